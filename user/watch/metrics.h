/* watch --metrics: the exact counters over HTTP, in the Prometheus text
 * exposition format, served from the watch's own event loop. */
#ifndef NST_METRICS_H
#define NST_METRICS_H

#include <stdio.h>
#include <sys/socket.h>

#define METRICS_CLIENTS 8

struct watch_view;

struct metrics {
	int fd;                          /* listening socket, -1: off */
	char url[80];                    /* "127.0.0.1:9464", "[::1]:9464" */
	struct metrics_client {
		int fd;                  /* -1: free */
		size_t len;
		char req[2048];
	} c[METRICS_CLIENTS];
};

/* SPEC is PORT (loopback), ADDR:PORT or [V6ADDR]:PORT. 0, or -1 with a
 * sentence in ERR (the exit code is 2: bad input). */
int metrics_parse(const char *spec, struct sockaddr_storage *ss, char *err, size_t errlen);
int metrics_open(struct metrics *m, const char *spec, char *err, size_t errlen);
void metrics_close(struct metrics *m);

/* The event loop's side: a connection to accept, a client readable. */
/* Clients are added to EFD tagged FIRST_TAG + their slot. */
void metrics_accept(struct metrics *m, int efd, unsigned long long first_tag);
void metrics_client(struct metrics *m, int slot, int efd, const struct watch_view *v);

/* The exposition itself, from the counters of the last refresh. */
void metrics_write(const struct watch_view *v, FILE *o);

#endif
