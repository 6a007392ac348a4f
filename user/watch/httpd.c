/* watch --metrics, the server: HTTP/1.0 on watch's own event loop, one
 * request a connection, answered and closed.
 *
 * Local users may be hostile or merely slow, and the loop also drains the
 * ring buffer and redraws the live view, so nothing here waits: sockets
 * are non-blocking, a response that does not fit in the socket buffer
 * goes out as the client takes it (EPOLLOUT), and every connection has a
 * deadline (metrics.h). The exposition is rendered once per refresh and
 * shared by reference, so a client costs its request buffer, not a copy
 * of the body. Written here rather than with libmicrohttpd: see
 * docs/prometheus.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include "metrics.h"
#include "model.h"

/* Accepted per wake-up at most: a flood of connections waits in the
 * backlog, not in front of the ring buffer. */
#define ACCEPT_BURST 64

enum { READING, SENDING, SENDING_BLOCKED };   /* metrics_client.sending */

/* Head and body of one response, shared by the clients sending it. */
struct metrics_resp {
	int refs;
	size_t len;
	char data[];
};

int metrics_parse(const char *spec, struct sockaddr_storage *ss, char *err, size_t errlen)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	char host[64] = "127.0.0.1";
	const char *port = spec, *colon = strrchr(spec, ':');
	char *end;
	long n;

	memset(ss, 0, sizeof(*ss));
	if (colon) {
		const char *h = spec;
		size_t hl = colon - spec;

		if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
			h++;
			hl -= 2;
		}
		if (!hl || hl >= sizeof(host)) {
			snprintf(err, errlen, "--metrics '%s': expected PORT or ADDR:PORT", spec);
			return -1;
		}
		memcpy(host, h, hl);
		host[hl] = 0;
		port = colon + 1;
	}
	n = strtol(port, &end, 10);
	if (!*port || *end || n < 1 || n > 65535) {
		snprintf(err, errlen, "--metrics '%s': port '%s' is not 1..65535", spec, port);
		return -1;
	}
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)n);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)n);
	} else {
		snprintf(err, errlen, "--metrics '%s': '%s' is not an IPv4 or IPv6 address", spec, host);
		return -1;
	}
	return 0;
}

int metrics_open(struct metrics *m, const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	int one = 1;

	m->fd = m->spare = -1;
	if (metrics_parse(spec, &ss, err, errlen))
		return -1;
	if (!(m->c = calloc(METRICS_CLIENTS, sizeof(*m->c)))) {
		snprintf(err, errlen, "--metrics: %s", strerror(ENOMEM));
		return -1;
	}
	for (int i = 0; i < METRICS_CLIENTS; i++)
		m->c[i].fd = -1;
	m->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	{
		char a[INET6_ADDRSTRLEN];
		int v6 = ss.ss_family == AF_INET6;

		inet_ntop(ss.ss_family, v6 ? (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr
					   : (void *)&((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a));
		snprintf(m->url, sizeof(m->url), v6 ? "[%s]:%u" : "%s:%u", a,
			 ntohs(((struct sockaddr_in *)&ss)->sin_port));
	}
	m->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->fd < 0 ||
	    setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(m->fd, (struct sockaddr *)&ss, ss.ss_family == AF_INET ? sizeof(struct sockaddr_in)
									: sizeof(struct sockaddr_in6)) ||
	    listen(m->fd, METRICS_CLIENTS)) {
		snprintf(err, errlen, "--metrics: cannot listen on %s: %s", spec, strerror(errno));
		metrics_close(m);
		return -1;
	}
	return 0;
}

static void resp_put(struct metrics_resp *r)
{
	if (r && !--r->refs)
		free(r);
}

static struct metrics_resp *resp_new(const char *status, const char *type, const char *body,
				     size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head), "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, type, len);
	struct metrics_resp *r = malloc(sizeof(*r) + (size_t)n + len);

	if (!r)
		return NULL;
	r->refs = 1;
	r->len = (size_t)n + len;
	memcpy(r->data, head, (size_t)n);
	memcpy(r->data + n, body, len);
	return r;
}

/* The exposition of the last refresh: rendered by the first scrape after
 * it and shared by the others until the next, so a flood of scrapes costs
 * one rendering a second. Counters move at a refresh; what stories add in
 * between (a flow, nstrace_events_total) shows a refresh later at most. */
static struct metrics_resp *exposition(struct metrics *m, const struct watch_view *v)
{
	if (!m->cached || m->cached_refresh != v->st->last_refresh) {
		struct metrics_resp *r = NULL;
		char *body = NULL;
		size_t len = 0;
		FILE *o = open_memstream(&body, &len);

		if (!o)
			return NULL;
		metrics_write(v, o);
		if (!fclose(o) && body)
			r = resp_new("200 OK", "text/plain; version=0.0.4; charset=utf-8", body, len);
		free(body);
		if (!r)
			return NULL;
		resp_put(m->cached);
		m->cached = r;
		m->cached_refresh = v->st->last_refresh;
	}
	m->cached->refs++;
	return m->cached;
}

static struct metrics_resp *answer(struct metrics *m, const char *req, const struct watch_view *v)
{
	static const char nf[] = "nstrace: the metrics are at /metrics\n";

	if (strncmp(req, "GET ", 4))
		return resp_new("405 Method Not Allowed", "text/plain", "GET only\n", 9);
	if (!strncmp(req + 4, "/metrics ", 9) || !strncmp(req + 4, "/metrics?", 9))
		return exposition(m, v);
	return resp_new("404 Not Found", "text/plain", nf, sizeof(nf) - 1);
}

static void drop(struct metrics_client *c, int efd)
{
	epoll_ctl(efd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	resp_put(c->resp);
	c->resp = NULL;
}

void metrics_close(struct metrics *m)
{
	if (m->fd >= 0)
		close(m->fd);
	if (m->spare >= 0)
		close(m->spare);
	m->fd = m->spare = -1;
	for (int i = 0; m->c && i < METRICS_CLIENTS; i++) {
		if (m->c[i].fd >= 0)
			close(m->c[i].fd);
		resp_put(m->c[i].resp);
	}
	free(m->c);
	m->c = NULL;
	resp_put(m->cached);
	m->cached = NULL;
}

/* The client to evict for room: the oldest that has not sent its
 * request yet, else the oldest of all; -1 when there is none. */
static int oldest(const struct metrics *m)
{
	int best = -1;

	for (int i = 0; i < METRICS_CLIENTS; i++) {
		const struct metrics_client *c = &m->c[i], *b = best >= 0 ? &m->c[best] : NULL;

		if (c->fd >= 0 && (!b || (c->sending == READING) > (b->sending == READING) ||
				   ((c->sending == READING) == (b->sending == READING) &&
				    c->since < b->since)))
			best = i;
	}
	return best;
}

static int slot_for(const struct metrics *m)
{
	for (int i = 0; i < METRICS_CLIENTS; i++)
		if (m->c[i].fd < 0)
			return i;
	return oldest(m);
}

/* Out of file descriptors with no client to evict, the connection would
 * stay in the backlog and the listening socket readable: rather than spin,
 * refuse it with the fd kept for this. */
static void refuse(struct metrics *m)
{
	int fd;

	if (m->spare < 0)
		return;
	close(m->spare);
	fd = accept4(m->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	m->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

void metrics_accept(struct metrics *m, int efd, unsigned long long first_tag)
{
	struct epoll_event ev = { .events = EPOLLIN };

	for (int n = 0; n < ACCEPT_BURST; n++) {
		int fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), slot;
		struct metrics_client *c;

		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			if ((slot = oldest(m)) < 0) {
				refuse(m);
				return;
			}
			drop(&m->c[slot], efd);
			continue;
		}
		if (fd < 0 && errno == ECONNABORTED)
			continue;
		if (fd < 0)
			return;
		slot = slot_for(m);
		c = &m->c[slot];
		if (c->fd >= 0)
			drop(c, efd);
		ev.data.u64 = first_tag + slot;
		if (epoll_ctl(efd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->sending = READING;
		c->since = watch_now();
		c->len = 0;
	}
}

/* As much of the response as the socket takes; the rest when it is
 * writable again. Closed when all of it is out. */
static void send_some(struct metrics_client *c, int efd, unsigned long long tag)
{
	while (c->len < c->resp->len) {
		ssize_t n = send(c->fd, c->resp->data + c->len, c->resp->len - c->len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = tag };

			/* Not EPOLLIN any more: a client that keeps writing
			 * must not wake us for nothing. */
			if (c->sending != SENDING_BLOCKED && epoll_ctl(efd, EPOLL_CTL_MOD, c->fd, &ev))
				break;
			c->sending = SENDING_BLOCKED;
			return;
		}
		if (n <= 0)
			break;
		c->len += (size_t)n;
	}
	drop(c, efd);
}

void metrics_client(struct metrics *m, int slot, int efd, unsigned long long tag,
		    const struct watch_view *v)
{
	struct metrics_client *c = &m->c[slot];
	ssize_t n;

	if (c->fd < 0)
		return;   /* closed earlier in this round of events */
	if (c->sending != READING) {
		send_some(c, efd, tag);
		return;
	}
	n = read(c->fd, c->req + c->len, sizeof(c->req) - 1 - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop(c, efd);
		return;
	}
	c->len += (size_t)n;
	c->req[c->len] = 0;
	if (!strstr(c->req, "\r\n\r\n") && !strstr(c->req, "\n\n") && c->len < sizeof(c->req) - 1)
		return;     /* the headers are not all here yet */
	if (!(c->resp = answer(m, c->req, v))) {
		drop(c, efd);
		return;
	}
	c->sending = SENDING;
	c->since = watch_now();
	c->len = 0;
	send_some(c, efd, tag);
}

void metrics_expire(struct metrics *m, int efd)
{
	double now = watch_now();

	for (int i = 0; m->fd >= 0 && i < METRICS_CLIENTS; i++) {
		struct metrics_client *c = &m->c[i];

		if (c->fd >= 0 && (now - c->since) * 1000 >=
		    (c->sending == READING ? METRICS_REQ_MS : METRICS_SEND_MS))
			drop(c, efd);
	}
}
