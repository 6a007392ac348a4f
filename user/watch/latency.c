/* Latency in the report: per hop (port to port) and per namespace pair
 * (one way, echo round trip, TCP handshake), as percentiles, log2 charts
 * (--hist) and JSON. The numbers come from the kernel's histograms. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "hist.h"
#include "json.h"
#include "latency.h"

static const char *kind_words(uint32_t kind)
{
	return kind == NST_LAT_HANDSHAKE ? "TCP handshake" :
	       kind == NST_LAT_ECHO ? "echo round trip" : "one way";
}

static const char *kind_json(uint32_t kind)
{
	return kind == NST_LAT_HANDSHAKE ? "tcp_handshake" :
	       kind == NST_LAT_ECHO ? "echo_rtt" : "one_way";
}

void latency_hop_str(const struct watch_view *v, const struct nst_hop_key *k, char *buf, size_t len)
{
	char a[96], b[96];

	names_where(v->names, k->from_netns, k->from_ifindex, a, sizeof(a));
	if (!k->to_ifindex && k->to_netns != NS_OLDER_GONE)   /* a frame the bridge (or namespace) flooded */
		snprintf(buf, len, "%s > %s (flooded)", a, names_ns(v->names, k->to_netns, b, sizeof(b)));
	else
		snprintf(buf, len, "%s > %s", a,
			 names_where(v->names, k->to_netns, k->to_ifindex, b, sizeof(b)));
}

void latency_pair_str(const struct watch_view *v, const struct nst_pair_key *k, char *buf, size_t len)
{
	char dst[NAME_LEN] = "elsewhere";

	if (k->dst_netns)
		names_ns(v->names, k->dst_netns, dst, sizeof(dst));
	snprintf(buf, len, "%s > %s %s", names_ns(v->names, k->src_netns, NAME_BUF), dst,
		 kind_words(k->kind));
}

/* The label column of a WIDTH-column table: what four 8-column numbers
 * and a 9-column count leave after the indent. */
static int label_width(int width)
{
	int lw = width - 2 - 4 * 8 - 9;

	return lw < 12 ? 12 : lw;
}

/* "label   p50 p90 p99 max count" in WIDTH columns; a long label gets a
 * line of its own. */
static void row(FILE *o, const char *label, const struct nst_hist *h, int width)
{
	char p[4][16];
	int lw = label_width(width);

	hist_fmt(hist_quantile(h, 0.50), p[0], sizeof(p[0]));
	hist_fmt(hist_quantile(h, 0.90), p[1], sizeof(p[1]));
	hist_fmt(hist_quantile(h, 0.99), p[2], sizeof(p[2]));
	hist_fmt((double)h->max_ns, p[3], sizeof(p[3]));
	/* A label too long for its column gets a line of its own. */
	if ((int)strlen(label) > lw) {
		fprintf(o, "  %s\n", label);
		label = "";
	}
	/* "µ" is two bytes and one column: pad by columns, not bytes. */
	fprintf(o, "  %-*.*s", lw, lw, label);
	for (int i = 0; i < 4; i++)
		fprintf(o, " %*s", 7 + (strstr(p[i], "µ") ? 1 : 0), p[i]);
	fprintf(o, " %8llu\n", (unsigned long long)h->count);
}

void latency_text(const struct watch_view *v, FILE *o, int width, int max, int hist)
{
	const struct stats *st = v->st;
	char label[240];

	for (int table = 0; table < 2; table++) {
		const struct lat_row *rows = table ? st->hops : st->pairs;
		const int *order = table ? st->hop_order : st->pair_order;
		int n = table ? st->nhops : st->npairs;

		if (!n)   /* a heading over nothing says nothing */
			continue;
		fprintf(o, "%-*s    p50     p90     p99     max  packets\n", label_width(width) + 2,
			table ? "LATENCY BY HOP (port > next port)" : "LATENCY BETWEEN NAMESPACES");
		if (table && st->lat_mask)
			fprintf(o, "  (under load 1 packet in %llu was timed; round trips always)\n",
				(unsigned long long)st->lat_mask + 1);
		for (int i = 0; i < n && i < max; i++) {
			const struct lat_row *r = &rows[order[i]];

			if (table)
				latency_hop_str(v, &r->hop, label, sizeof(label));
			else
				latency_pair_str(v, &r->pair, label, sizeof(label));
			row(o, label, stats_hist(r), width);
			if (hist)
				hist_draw(o, stats_hist(r), 4, 30);
		}
		if (n > max)
			fprintf(o, "  and %d quieter %s\n", n - max, table ? "hops" : "pairs");
	}
}

static void json_hist(FILE *o, const struct lat_row *r)
{
	const struct nst_hist *h = stats_hist(r);
	int first = 1;

	fprintf(o, ",\"count\":%llu,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,"
		"\"max_us\":%.1f,\"hist\":[", (unsigned long long)h->count,
		hist_quantile(h, 0.5) / 1e3, hist_quantile(h, 0.9) / 1e3,
		hist_quantile(h, 0.99) / 1e3, h->max_ns / 1e3);
	for (int s = 0; s < NST_HIST_SLOTS; s++) {
		if (!h->slot[s])
			continue;
		fprintf(o, "%s[%.3f,%.3f,%llu]", first ? "" : ",", hist_slot_low(s) / 1e3,
			hist_slot_high(s) / 1e3, (unsigned long long)h->slot[s]);
		first = 0;
	}
	fprintf(o, "]}");
}

static void json_port(FILE *o, const struct watch_view *v, uint32_t netns, uint32_t ifindex,
		      uint32_t dir)
{
	fprintf(o, "{\"netns\":");
	json_str(o, names_ns(v->names, netns, NAME_BUF));
	fprintf(o, ",\"dev\":");
	json_str(o, ifindex ? names_dev(v->names, netns, (int)ifindex, NAME_BUF) : "");
	if (!ifindex && netns != NS_OLDER_GONE)
		fprintf(o, ",\"flooded\":true");
	fprintf(o, ",\"dir\":\"%s\"}", dir == NST_INGRESS ? "ingress" : "egress");
}

void latency_json(const struct watch_view *v, FILE *o)
{
	const struct stats *st = v->st;
	int first = 1;

	for (int i = 0; i < st->npairs; i++) {
		const struct nst_pair_key *k = &st->pairs[i].pair;

		fprintf(o, "%s{\"type\":\"latency\",\"kind\":\"%s\",\"src_netns\":", first ? "" : ",",
			kind_json(k->kind));
		json_str(o, names_ns(v->names, k->src_netns, NAME_BUF));
		fprintf(o, ",\"dst_netns\":");
		json_str(o, k->dst_netns ? names_ns(v->names, k->dst_netns, NAME_BUF) : "");
		fprintf(o, ",\"hop\":[]");
		json_hist(o, &st->pairs[i]);
		first = 0;
	}
	for (int i = 0; i < st->nhops; i++) {
		const struct nst_hop_key *k = &st->hops[i].hop;

		fprintf(o, "%s{\"type\":\"latency\",\"kind\":\"hop\",\"src_netns\":", first ? "" : ",");
		json_str(o, names_ns(v->names, k->from_netns, NAME_BUF));
		fprintf(o, ",\"dst_netns\":");
		json_str(o, names_ns(v->names, k->to_netns, NAME_BUF));
		fprintf(o, ",\"hop\":[");
		json_port(o, v, k->from_netns, k->from_ifindex, k->from_dir);
		fprintf(o, ",");
		json_port(o, v, k->to_netns, k->to_ifindex, k->to_dir);
		fprintf(o, "]");
		json_hist(o, &st->hops[i]);
		first = 0;
	}
}
