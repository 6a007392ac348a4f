/* watch --metrics ADDR:PORT: a small HTTP/1.0 server on the event loop.
 *
 * One request a connection, answered from the counters of the last refresh
 * (at most a second old), then closed. Label values are escaped as the
 * exposition format asks (\\, \", \n); samples that end up with the same
 * labels (a device renamed, two rows of one port) are summed, since
 * Prometheus refuses a scrape with a duplicate series. */
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
#include <sys/time.h>
#include "hist.h"
#include "icmp_names.h"
#include "metrics.h"
#include "model.h"

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

	m->fd = -1;
	for (int i = 0; i < METRICS_CLIENTS; i++)
		m->c[i].fd = -1;
	if (metrics_parse(spec, &ss, err, errlen))
		return -1;
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
	    listen(m->fd, 16)) {
		snprintf(err, errlen, "--metrics: cannot listen on %s: %s", spec, strerror(errno));
		metrics_close(m);
		return -1;
	}
	return 0;
}

void metrics_close(struct metrics *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	for (int i = 0; i < METRICS_CLIENTS; i++) {
		if (m->c[i].fd >= 0)
			close(m->c[i].fd);
		m->c[i].fd = -1;
	}
}

void metrics_accept(struct metrics *m, int efd, unsigned long long first_tag)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd;

	while ((fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		int slot = -1;

		for (int i = 0; i < METRICS_CLIENTS && slot < 0; i++)
			if (m->c[i].fd < 0)
				slot = i;
		if (slot < 0) {            /* busy: the next scrape will do */
			close(fd);
			continue;
		}
		m->c[slot].fd = fd;
		m->c[slot].len = 0;
		ev.data.u64 = first_tag + slot;
		epoll_ctl(efd, EPOLL_CTL_ADD, fd, &ev);
	}
}

/* Write all of BUF; the socket is made blocking with a 2 s send timeout,
 * so a stuck client costs the loop at most that. */
static void send_all(int fd, const char *buf, size_t len)
{
	struct timeval tv = { .tv_sec = 2 };

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

static void respond(int fd, const char *status, const char *type, const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head), "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, type, len);

	send_all(fd, head, (size_t)n);
	send_all(fd, body, len);
}

void metrics_client(struct metrics *m, int slot, int efd, const struct watch_view *v)
{
	struct metrics_client *c = &m->c[slot];
	ssize_t n = read(c->fd, c->req + c->len, sizeof(c->req) - 1 - c->len);
	char *body = NULL;
	size_t blen = 0;
	FILE *o;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		c->len += (size_t)n;
		c->req[c->len] = 0;
		if (!strstr(c->req, "\r\n\r\n") && !strstr(c->req, "\n\n") &&
		    c->len < sizeof(c->req) - 1)
			return;     /* the headers are not all here yet */
		if (strncmp(c->req, "GET ", 4)) {
			respond(c->fd, "405 Method Not Allowed", "text/plain", "GET only\n", 9);
		} else if (!strncmp(c->req + 4, "/metrics ", 9) || !strncmp(c->req + 4, "/metrics?", 9)) {
			o = open_memstream(&body, &blen);
			if (o) {
				metrics_write(v, o);
				fclose(o);
				respond(c->fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8",
					body, blen);
				free(body);
			}
		} else {
			static const char nf[] = "nstrace: the metrics are at /metrics\n";

			respond(c->fd, "404 Not Found", "text/plain", nf, sizeof(nf) - 1);
		}
	}
	epoll_ctl(efd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
}

/* ---- the exposition ---- */

struct sample {
	int family;               /* index in families[] */
	char labels[384];
	double value;
};

static const struct {
	const char *name, *type, *help;
} families[] = {
	{ "nstrace_drops_total", "counter",
	  "Packets the kernel freed as dropped, by namespace, device, drop reason and freeing function." },
	{ "nstrace_dropped_bytes_total", "counter", "Bytes of those packets." },
	{ "nstrace_port_packets_total", "counter",
	  "Packets through a watched veth or bridge port, by direction (rx, tx)." },
	{ "nstrace_port_bytes_total", "counter", "Bytes through a watched port, by direction." },
	{ "nstrace_tcp_resets_total", "counter",
	  "TCP resets a namespace sent or received, by the service port." },
	{ "nstrace_icmp_errors_seen_total", "counter",
	  "ICMP and ICMPv6 errors seen on a port, by family, type, code, name and MTU." },
	{ "nstrace_icmp_errors_generated_total", "counter",
	  "ICMP errors a namespace generated (IPv4), by type, code, name and route MTU." },
	{ "nstrace_events_total", "counter", "Stories read from the kernel's ring buffer." },
	{ "nstrace_events_not_shown_total", "counter",
	  "Stories lost because the ring buffer was full (the counts stay exact)." },
	{ "nstrace_counts_lost_total", "counter",
	  "Packets not counted because a counter map was full." },
	{ "nstrace_watched_ports", "gauge", "Port hooks nstrace has attached (two per port)." },
	{ "nstrace_build_info", "gauge", "Always 1; the version is a label." },
};
enum { F_DROPS, F_DBYTES, F_PPKTS, F_PBYTES, F_RESETS, F_ICMP_SEEN, F_ICMP_GEN, F_EVENTS,
       F_NOT_SHOWN, F_LOST, F_PORTS, F_BUILD, F_N };

struct samples {
	struct sample *v;
	int n, cap;
};

/* Append ,name="value" with the value escaped. */
static void label(char *buf, size_t len, const char *name, const char *value)
{
	size_t pos = strlen(buf);

	pos += (size_t)snprintf(buf + pos, pos < len ? len - pos : 0, "%s%s=\"", pos ? "," : "", name);
	for (const char *c = value; *c && pos + 3 < len; c++) {
		if (*c == '\\' || *c == '"' || *c == '\n')
			buf[pos++] = '\\';
		buf[pos++] = *c == '\n' ? 'n' : *c;
	}
	if (pos + 2 < len) {
		buf[pos++] = '"';
		buf[pos] = 0;
	}
}

static void labelu(char *buf, size_t len, const char *name, unsigned long long v)
{
	char s[24];

	snprintf(s, sizeof(s), "%llu", v);
	label(buf, len, name, s);
}

static void place(char *buf, size_t len, const struct names *n, uint32_t netns, uint32_t ifindex)
{
	buf[0] = 0;
	label(buf, len, "netns", names_ns(n, netns, NAME_BUF));
	label(buf, len, "dev", ifindex ? names_dev(n, netns, (int)ifindex, NAME_BUF) : "");
}

/* family (4, 6), type, code, name ("net-unreachable"), and benign: a
 * path probe's answer (traceroute's TTL exceeded). */
static void icmp_labels(char *buf, size_t len, int family, unsigned int type, unsigned int code,
			unsigned int orig_kind)
{
	int v6 = family_is_v6(family);

	labelu(buf, len, "family", v6 ? 6 : 4);
	labelu(buf, len, "type", type);
	labelu(buf, len, "code", code);
	label(buf, len, "name", icmp_error_name(v6, type, code, NAME_BUF));
	label(buf, len, "benign", icmp_probe_answer(v6, type, code, orig_kind) ? "true" : "false");
}

static void add(struct samples *s, int family, const char *labels, double value)
{
	for (int i = 0; i < s->n; i++)
		if (s->v[i].family == family && !strcmp(s->v[i].labels, labels)) {
			s->v[i].value += value;
			return;
		}
	if (s->n == s->cap) {
		int cap = s->cap ? s->cap * 2 : 64;
		struct sample *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n].family = family;
	snprintf(s->v[s->n].labels, sizeof(s->v[0].labels), "%s", labels);
	s->v[s->n++].value = value;
}

static void collect(const struct watch_view *v, struct samples *s)
{
	const struct stats *st = v->st;
	const struct names *n = v->names;
	char l[384];

	for (int i = 0; i < st->ndrops; i++) {
		const struct drop_row *r = &st->drops[i];

		if (!r->packets)
			continue;
		place(l, sizeof(l), n, r->k.netns, r->k.ifindex);
		label(l, sizeof(l), "reason", r->words.reason);
		label(l, sizeof(l), "location", r->words.loc);
		label(l, sizeof(l), "benign", r->words.benign ? "true" : "false");
		add(s, F_DROPS, l, (double)r->packets);
		add(s, F_DBYTES, l, (double)r->bytes);
	}
	for (int i = 0; i < st->nports; i++) {
		const struct port_row *r = &st->ports[i];

		for (int dir = 0; dir < 2; dir++) {
			place(l, sizeof(l), n, r->k.netns, r->k.ifindex);
			label(l, sizeof(l), "direction", dir ? "tx" : "rx");
			add(s, F_PPKTS, l, (double)(dir ? r->tx_packets : r->rx_packets));
			add(s, F_PBYTES, l, (double)(dir ? r->tx_bytes : r->rx_bytes));
		}
	}
	for (int i = 0; i < st->nresets; i++) {
		const struct reset_row *r = &st->resets[i];

		place(l, sizeof(l), n, r->k.netns, r->k.ifindex);
		label(l, sizeof(l), "direction", r->k.type == NST_EV_RESET_SENT ? "sent" : "received");
		labelu(l, sizeof(l), "port", r->k.port);
		add(s, F_RESETS, l, (double)r->count);
	}
	for (int i = 0; i < st->nicmp; i++) {
		const struct icmp_row *r = &st->icmp[i];

		place(l, sizeof(l), n, r->k.netns, r->k.ifindex);
		label(l, sizeof(l), "direction", r->k.dir == NST_INGRESS ? "ingress" : "egress");
		icmp_labels(l, sizeof(l), r->k.family, r->k.type, r->k.code, r->k.orig_kind);
		labelu(l, sizeof(l), "mtu", r->k.mtu);
		add(s, F_ICMP_SEEN, l, (double)r->count);
	}
	for (int i = 0; i < st->ngen; i++) {
		const struct gen_row *r = &st->gen[i];

		l[0] = 0;
		label(l, sizeof(l), "netns", names_ns(n, r->k.netns, NAME_BUF));
		icmp_labels(l, sizeof(l), r->k.family, r->k.type, r->k.code, r->k.orig_kind);
		labelu(l, sizeof(l), "mtu", r->k.mtu);
		add(s, F_ICMP_GEN, l, (double)r->count);
	}
	add(s, F_EVENTS, "", (double)st->stories);
	add(s, F_NOT_SHOWN, "", (double)st->rb_full);
	add(s, F_LOST, "", (double)st->map_full);
	add(s, F_PORTS, "", (double)*v->hooks);
	l[0] = 0;
	label(l, sizeof(l), "version", NSTRACE_VERSION);
	add(s, F_BUILD, l, 1);
}

/* A Prometheus histogram: cumulative buckets at 1 µs .. 4 s (powers of
 * two, which are slot boundaries of the kernel's histogram), sum, count. */
static void histogram(FILE *o, const char *name, const char *labels, const struct nst_hist *h)
{
	for (int k = 0; k <= 22; k++) {
		uint64_t le_ns = (1ULL << k) * 1000;

		fprintf(o, "%s_bucket{%s,le=\"%.6g\"} %llu\n", name, labels, le_ns / 1e9,
			(unsigned long long)hist_count_le(h, le_ns));
	}
	fprintf(o, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, labels, (unsigned long long)h->count);
	fprintf(o, "%s_sum{%s} %.9f\n", name, labels, h->sum_ns / 1e9);
	fprintf(o, "%s_count{%s} %llu\n", name, labels, (unsigned long long)h->count);
}

static void latency_histograms(const struct watch_view *v, FILE *o)
{
	static const char *kinds[] = { "one_way", "tcp_handshake", "echo_rtt" };
	const struct stats *st = v->st;
	const struct names *n = v->names;
	char l[384];

	fprintf(o, "# HELP nstrace_hop_latency_seconds Time from one port to the next, per packet.\n"
		"# TYPE nstrace_hop_latency_seconds histogram\n");
	for (int i = 0; i < st->nhops; i++) {
		const struct nst_hop_key *k = &st->hops[i].hop;

		l[0] = 0;
		label(l, sizeof(l), "from_netns", names_ns(n, k->from_netns, NAME_BUF));
		label(l, sizeof(l), "from_dev", names_dev(n, k->from_netns, (int)k->from_ifindex, NAME_BUF));
		label(l, sizeof(l), "to_netns", names_ns(n, k->to_netns, NAME_BUF));
		label(l, sizeof(l), "to_dev", names_dev(n, k->to_netns, (int)k->to_ifindex, NAME_BUF));
		histogram(o, "nstrace_hop_latency_seconds", l, &st->hops[i].h);
	}
	fprintf(o, "# HELP nstrace_pair_latency_seconds Between namespaces: one way (first port "
		"to last), echo round trip, TCP handshake.\n"
		"# TYPE nstrace_pair_latency_seconds histogram\n");
	for (int i = 0; i < st->npairs; i++) {
		const struct nst_pair_key *k = &st->pairs[i].pair;

		l[0] = 0;
		label(l, sizeof(l), "src_netns", names_ns(n, k->src_netns, NAME_BUF));
		label(l, sizeof(l), "dst_netns", k->dst_netns ? names_ns(n, k->dst_netns, NAME_BUF) : "");
		label(l, sizeof(l), "kind", kinds[k->kind < 3 ? k->kind : 0]);
		histogram(o, "nstrace_pair_latency_seconds", l, &st->pairs[i].h);
	}
}

void metrics_write(const struct watch_view *v, FILE *o)
{
	struct samples s = { 0 };

	collect(v, &s);
	for (int f = 0; f < F_N; f++) {
		fprintf(o, "# HELP %s %s\n# TYPE %s %s\n", families[f].name, families[f].help,
			families[f].name, families[f].type);
		for (int i = 0; i < s.n; i++)
			if (s.v[i].family == f)
				fprintf(o, "%s%s%s%s %.17g\n", families[f].name, s.v[i].labels[0] ? "{" : "",
					s.v[i].labels, s.v[i].labels[0] ? "}" : "", s.v[i].value);
	}
	free(s.v);
	latency_histograms(v, o);
}
