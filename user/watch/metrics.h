/* watch --metrics: the exact counters over HTTP, in the Prometheus text
 * exposition format, served from the watch's own event loop. */
#ifndef NST_METRICS_H
#define NST_METRICS_H

#include <stdio.h>
#include <sys/socket.h>

/* Hostile or slow local clients cost a bounded amount and never stall the
 * loop: up to METRICS_CLIENTS connections (when full, the oldest makes
 * room, one that has not sent its request first); a request must arrive whole
 * within METRICS_REQ_MS and fit in METRICS_REQ_MAX bytes; the response
 * must leave within METRICS_SEND_MS, written without blocking from one
 * rendering per refresh that every scrape of that second shares. */
#define METRICS_CLIENTS 256
#define METRICS_REQ_MAX 2048
#define METRICS_REQ_MS  3000
#define METRICS_SEND_MS 10000

struct watch_view;
struct metrics_resp;                     /* a response, shared, counted */

struct metrics {
	int fd;                          /* listening socket, -1: off */
	int spare;                       /* /dev/null, given up to refuse at EMFILE */
	char url[80];                    /* "127.0.0.1:9464", "[::1]:9464" */
	struct metrics_resp *cached;     /* the exposition of ... */
	double cached_refresh;           /* ... this refresh */
	struct metrics_client {
		int fd;                  /* -1: free */
		int sending;             /* the request is read: resp goes out */
		double since;            /* watch_now() at accept, then at request */
		size_t len;              /* request bytes read, or response bytes sent */
		struct metrics_resp *resp;
		char req[METRICS_REQ_MAX];
	} *c;                            /* METRICS_CLIENTS of them, NULL: off */
};

/* SPEC is PORT (loopback), ADDR:PORT or [V6ADDR]:PORT. 0, or -1 with a
 * sentence in ERR (the exit code is 2: bad input). */
int metrics_parse(const char *spec, struct sockaddr_storage *ss, char *err, size_t errlen);
int metrics_open(struct metrics *m, const char *spec, char *err, size_t errlen);
void metrics_close(struct metrics *m);

/* The event loop's side (user/watch/httpd.c): a connection to accept, a
 * client readable or writable, and on every tick the clients whose time
 * is up. Clients are added to EFD tagged FIRST_TAG + their slot. */
void metrics_accept(struct metrics *m, int efd, unsigned long long first_tag);
void metrics_client(struct metrics *m, int slot, int efd, unsigned long long tag,
		    const struct watch_view *v);
void metrics_expire(struct metrics *m, int efd);

/* The exposition itself, from the counters of the last refresh. */
void metrics_write(const struct watch_view *v, FILE *o);

#endif
