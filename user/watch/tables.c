/* Tables of the exact counts: drops, resets, ports, findings. */
#include <stdlib.h>
#include <string.h>
#include "findings.h"
#include "tables.h"
#include "why.h"

void findings_text(const struct watch_view *v, FILE *o, int width)
{
	struct finding *f = NULL;
	int n = findings_build(v, &f);

	if (n)
		fprintf(o, "FINDINGS\n");
	for (int i = 0; i < n; i++)
		fprintf(o, "  %.*s\n", width - 2, f[i].text);
	free(f);
}

/* LINE in lines of at most WIDTH bytes, broken at spaces, the following
 * ones indented by INDENT: a hint cut short would say something else. */
static void wrapped(FILE *o, const char *line, int width, int indent)
{
	int first = 1;

	while (*line) {
		int room = width - (first ? 0 : indent), len = (int)strlen(line), cut = len;

		if (room < 20)
			room = 20;
		if (len > room) {
			for (cut = room; cut > 0 && line[cut] != ' '; cut--)
				;
			if (cut == 0)
				cut = room;
		}
		fprintf(o, "%*s%.*s\n", first ? 0 : indent, "", cut, line);
		line += cut;
		while (*line == ' ')
			line++;
		first = 0;
	}
}

/* The second line of a drop row: its flow, GSO segments and hint. */
static void drop_detail(const struct drop_row *r, FILE *o, int width)
{
	const char *hint = r->words.hint;
	char flow[160] = "", line[512];
	size_t n;

	if (r->has_flow)
		names_flow(&r->flow, flow, sizeof(flow));
	n = strlen(flow);
	if (r->segs != r->packets)
		snprintf(flow + n, sizeof(flow) - n, " (%llu GSO segments)", (unsigned long long)r->segs);
	snprintf(line, sizeof(line), "      %s%s%s", flow, flow[0] && hint ? ": " : "",
		 hint ? hint : "");
	if (flow[0] || hint)
		wrapped(o, line, width, 8);
}

/* Two lines a row, so it fits 80 columns:
 *   blue:veth-blue          NO_SOCKET               3     1.0/s  at tcp_v4_rcv
 *       tcp 10.0.0.1:38462 -> 10.0.0.2:81: nothing listens on that port */
/* "      by nft rule inet nstrace forward handle 7: ... (traced 3)" under
 * a drop row, for each rule its stories were traced to. */
static void why_row_text(const struct watch_view *v, const struct nst_drop_key *k, FILE *o,
			 int width)
{
	const struct why_rule *rule;
	char words[400], line[440];

	if (!v->o->why && why_nft_drop(k->reason, k->location))
		fprintf(o, "%.*s\n", width, "      (--why names the rule)");
	for (int i = 0; (rule = why_row_rule_at(v->why, k, i)); i++) {
		why_rule_words(rule, words, sizeof(words));
		snprintf(line, sizeof(line), "      by %s, traced %llu", words,
			 (unsigned long long)rule->traced);
		fprintf(o, "%.*s\n", width, line);
	}
}

void drops_table(const struct watch_view *v, FILE *o, int max, int width, int live)
{
	const struct stats *st = v->st;
	char place[96], line[512], rate[16];
	int shown = 0;

	for (int i = 0; i < st->ndrops && shown < max; i++) {
		const struct drop_row *r = &st->drops[st->drop_order[i]];
		const struct drop_words *w = &r->words;

		if (!r->packets)
			continue;
		names_place(v->names, r->k.netns, r->k.ifindex, place, sizeof(place));
		shown++;
		if (w->benign && !v->o->show_benign) {
			snprintf(line, sizeof(line), "  %-24s %-18s %9llu   benign: %s", place, w->reason,
				 (unsigned long long)r->packets, w->hint);
			fprintf(o, "%.*s\n", width, line);
			continue;
		}
		rate[0] = 0;
		if (live)
			snprintf(rate, sizeof(rate), "%7.1f/s", r->rate);
		snprintf(line, sizeof(line), "  %-24s %-18s %9llu %s  at %s", place, w->reason,
			 (unsigned long long)r->packets, rate, w->loc);
		fprintf(o, "%.*s\n", width, line);
		drop_detail(r, o, width);
		why_row_text(v, &r->k, o, width);
	}
	if (!shown)
		fprintf(o, "  none\n");
	else if (shown == max) {
		int rest = 0;

		for (int i = 0; i < st->ndrops; i++)
			rest += st->drops[i].packets > 0;
		if (rest > shown)
			fprintf(o, "  and %d more drop rows%s\n", rest - shown,
				live ? "" : " (--json lists every one)");
	}
}

void resets_table(const struct watch_view *v, FILE *o, int width)
{
	char place[96], flow[160], line[400];

	for (int i = 0; i < v->st->nresets; i++) {
		const struct reset_row *r = &v->st->resets[i];

		names_place(v->names, r->k.netns, r->k.ifindex, place, sizeof(place));
		flow[0] = 0;
		if (r->has_flow)
			names_flow(&r->flow, flow, sizeof(flow));
		snprintf(line, sizeof(line), "  %-24s %-8s port %-5u %9llu  %s", place,
			 r->k.type == NST_EV_RESET_SENT ? "sent" : "received", r->k.port,
			 (unsigned long long)r->count, flow);
		fprintf(o, "%.*s\n", width, line);
	}
}

static uint64_t port_weight(const struct port_row *r)
{
	return r->rx_packets + r->tx_packets;
}

/* Ports with drops first, then the busiest. */
static int cmp_ports(const void *a, const void *b, void *ctx)
{
	const struct port_row *p = ctx, *x = &p[*(const int *)a], *y = &p[*(const int *)b];

	if (x->drops != y->drops)
		return x->drops < y->drops ? 1 : -1;
	if (port_weight(x) != port_weight(y))
		return port_weight(x) < port_weight(y) ? 1 : -1;
	return *(const int *)a - *(const int *)b;
}

/* At most MAX rows: all of them in the order first seen, or, on a large
 * host, the MAX that need attention first and a count of the quieter. */
void ports_table(const struct watch_view *v, FILE *o, int max, int width)
{
	int n = v->st->nports, *order = calloc(n ? n : 1, sizeof(*order));
	char place[96], line[256];

	for (int i = 0; order && i < n; i++)
		order[i] = i;
	if (order && n > max)
		qsort_r(order, n, sizeof(*order), cmp_ports, v->st->ports);
	for (int i = 0; i < n && i < max; i++) {
		const struct port_row *r = &v->st->ports[order ? order[i] : i];

		names_place(v->names, r->k.netns, r->k.ifindex, place, sizeof(place));
		snprintf(line, sizeof(line), "  %-30s %11llu %11llu %9llu", place,
			 (unsigned long long)r->rx_packets, (unsigned long long)r->tx_packets,
			 (unsigned long long)r->drops);
		fprintf(o, "%.*s\n", width, line);
	}
	if (n > max && max > 0)
		fprintf(o, "  and %d quieter ports\n", n - max);
	free(order);
}
