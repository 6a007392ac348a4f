/* watch --metrics ADDR:PORT: the exposition, from the counters of the
 * last refresh (at most a second old); the server is httpd.c.
 * Label values are escaped as the
 * exposition format asks (\\, \", \n); samples that end up with the same
 * labels (a device renamed, two rows of one port) are summed, since
 * Prometheus refuses a scrape with a duplicate series. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hist.h"
#include "icmp_names.h"
#include "metrics.h"
#include "model.h"

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

/* A hop end's device; an end in the older gone namespaces has none, and
 * its direction tells the hops there apart (a veth crossing, egress to
 * ingress; a namespace's own path, ingress to egress). */
static const char *hop_dev(const struct names *n, uint32_t netns, uint32_t ifindex, uint32_t dir)
{
	static char buf[NAME_LEN];

	if (netns == NS_OLDER_GONE)
		return dir == NST_INGRESS ? "(ingress)" : "(egress)";
	return names_dev(n, netns, (int)ifindex, buf, sizeof(buf));
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
		label(l, sizeof(l), "from_dev", hop_dev(n, k->from_netns, k->from_ifindex, k->from_dir));
		label(l, sizeof(l), "to_netns", names_ns(n, k->to_netns, NAME_BUF));
		label(l, sizeof(l), "to_dev", hop_dev(n, k->to_netns, k->to_ifindex, k->to_dir));
		histogram(o, "nstrace_hop_latency_seconds", l, stats_hist(&st->hops[i]));
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
		histogram(o, "nstrace_pair_latency_seconds", l, stats_hist(&st->pairs[i]));
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
