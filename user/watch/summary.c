/* The summary at the end of a watch: tables in text, one object in JSON,
 * each JSON section described once below. */
#include <stdlib.h>
#include "findings.h"
#include "icmp_names.h"
#include "latency.h"
#include "older.h"
#include "report.h"
#include "tables.h"
#include "why.h"

static void json_targets(struct printer *p, const struct watch_view *v)
{
	for (int i = 0; i < *v->ntargets; i++)
		print_str(p, PRINT_JSON, NULL, NULL, names_ns(v->names, v->targets[i], NAME_BUF));
}

static void json_drops(struct printer *p, const struct watch_view *v)
{
	for (int i = 0; i < v->st->ndrops; i++) {
		const struct drop_row *r = &v->st->drops[i];

		if (!r->packets)
			continue;
		print_open_object(p, NULL);
		print_place(p, v, r->k.netns, r->k.ifindex, "");
		print_str(p, PRINT_JSON, "reason", NULL, r->words.reason);
		print_str(p, PRINT_JSON, "location", NULL, r->words.loc);
		print_uint(p, PRINT_JSON, "count", NULL, r->packets);
		print_uint(p, PRINT_JSON, "segs", NULL, r->segs);
		print_uint(p, PRINT_JSON, "bytes", NULL, r->bytes);
		print_bool(p, PRINT_JSON, "benign", NULL, r->words.benign);
		print_str(p, PRINT_JSON, "hint", NULL, r->words.hint ? r->words.hint : "");
		if (why_row_rule(v->why, &r->k))
			why_print_rule(p, why_row_rule(v->why, &r->k));
		print_close_object(p);
	}
}

static void json_resets(struct printer *p, const struct watch_view *v)
{
	for (int i = 0; i < v->st->nresets; i++) {
		const struct reset_row *r = &v->st->resets[i];

		print_open_object(p, NULL);
		print_place(p, v, r->k.netns, r->k.ifindex, "");
		print_str(p, PRINT_JSON, "direction", NULL,
			  r->k.type == NST_EV_RESET_SENT ? "sent" : "received");
		print_uint(p, PRINT_JSON, "port", NULL, r->k.port);
		print_uint(p, PRINT_JSON, "count", NULL, r->count);
		print_close_object(p);
	}
}

static void json_ports(struct printer *p, const struct watch_view *v)
{
	for (int i = 0; i < v->st->nports; i++) {
		const struct port_row *r = &v->st->ports[i];

		print_open_object(p, NULL);
		print_place(p, v, r->k.netns, r->k.ifindex, "");
		print_uint(p, PRINT_JSON, "rx_packets", NULL, r->rx_packets);
		print_uint(p, PRINT_JSON, "rx_bytes", NULL, r->rx_bytes);
		print_uint(p, PRINT_JSON, "tx_packets", NULL, r->tx_packets);
		print_uint(p, PRINT_JSON, "tx_bytes", NULL, r->tx_bytes);
		print_uint(p, PRINT_JSON, "drops", NULL, r->drops);
		print_close_object(p);
	}
}

/* The packet an ICMP error is about; nothing known when FAMILY is 0. */
static void print_orig(struct printer *p, int family, const unsigned char *src,
		       const unsigned char *dst)
{
	print_str(p, PRINT_JSON, "orig_src", NULL, family ? names_addr(family, src, NAME_BUF) : "");
	print_str(p, PRINT_JSON, "orig_dst", NULL, family ? names_addr(family, dst, NAME_BUF) : "");
}

/* An ICMP error's family, type, code, name, and whether a path probe
 * asked for it. */
static void icmp_kind(struct printer *p, int family, unsigned int type, unsigned int code,
		      unsigned int orig_kind)
{
	int v6 = family_is_v6(family);

	print_uint(p, PRINT_JSON, "family", NULL, v6 ? 6 : 4);
	print_uint(p, PRINT_JSON, "type", NULL, type);
	print_uint(p, PRINT_JSON, "code", NULL, code);
	print_str(p, PRINT_JSON, "name", NULL, icmp_error_name(v6, type, code, NAME_BUF));
	print_bool(p, PRINT_JSON, "benign", NULL, icmp_probe_answer(v6, type, code, orig_kind));
}

static void json_icmp(struct printer *p, const struct watch_view *v)
{
	for (int i = 0; i < v->st->nicmp; i++) {
		const struct icmp_row *r = &v->st->icmp[i];
		int older = r->k.netns == NS_OLDER_GONE;

		print_open_object(p, NULL);
		print_place(p, v, r->k.netns, r->k.ifindex, "");
		print_str(p, PRINT_JSON, "direction", NULL, r->k.dir == NST_INGRESS ? "ingress" : "egress");
		icmp_kind(p, r->k.family ? r->k.family : AF_INET, r->k.type, r->k.code, r->k.orig_kind);
		print_uint(p, PRINT_JSON, "mtu", NULL, r->k.mtu);
		/* Seen on the wire, so always an IP packet; the older gone
		 * namespaces' rows keep no addresses. */
		print_orig(p, older ? 0 : r->k.family ? r->k.family : AF_INET, r->k.orig_src,
			   r->k.orig_dst);
		print_str(p, PRINT_JSON, "from", NULL, older ? "" :
			  names_addr(r->k.family ? r->k.family : AF_INET, r->k.from, NAME_BUF));
		print_uint(p, PRINT_JSON, "count", NULL, r->count);
		print_close_object(p);
	}
}

static void json_generated(struct printer *p, const struct watch_view *v)
{
	for (int i = 0; i < v->st->ngen; i++) {
		const struct gen_row *r = &v->st->gen[i];

		print_open_object(p, NULL);
		print_str(p, PRINT_JSON, "netns", NULL, names_ns(v->names, r->k.netns, NAME_BUF));
		print_uint(p, PRINT_JSON, "netns_inode", NULL, r->k.netns);
		print_container(p, names_container(v->names, r->k.netns));
		icmp_kind(p, r->k.family ? r->k.family : AF_INET, r->k.type, r->k.code, r->k.orig_kind);
		print_uint(p, PRINT_JSON, "mtu", NULL, r->k.mtu);
		print_orig(p, r->k.netns == NS_OLDER_GONE ? 0 : r->k.family, r->k.orig_src, r->k.orig_dst);
		print_uint(p, PRINT_JSON, "count", NULL, r->count);
		print_close_object(p);
	}
}

static void json_latency(struct printer *p, const struct watch_view *v)
{
	latency_json(v, p->f);
}

static void json_findings(struct printer *p, const struct watch_view *v)
{
	struct finding *f = NULL;
	int n = findings_build(v, &f);

	for (int i = 0; i < n; i++) {
		print_open_object(p, NULL);
		print_str(p, PRINT_JSON, "type", NULL, "finding");
		print_str(p, PRINT_JSON, "kind", NULL, f[i].kind);
		print_str(p, PRINT_JSON, "netns", NULL, names_ns(v->names, f[i].netns, NAME_BUF));
		print_uint(p, PRINT_JSON, "count", NULL, f[i].count);
		print_str(p, PRINT_JSON, "text", NULL, f[i].text);
		print_close_object(p);
	}
	free(f);
}

static const struct {
	const char *key;
	void (*rows)(struct printer *p, const struct watch_view *v);
} sections[] = {
	{ "targets", json_targets }, { "drops", json_drops }, { "resets", json_resets },
	{ "ports", json_ports }, { "icmp", json_icmp }, { "icmp_generated", json_generated },
	{ "latency", json_latency }, { "findings", json_findings },
	{ "nft_rules", why_json_rules },
};

static void summary_json(struct report *r, const struct watch_view *v)
{
	const struct stats *st = v->st;
	struct printer p;

	print_begin(&p, r->out, 1, "summary");
	print_float(&p, PRINT_JSON, "duration_s", "%.3f", NULL, watch_now() - v->start);
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		print_open_array(&p, sections[i].key);
		sections[i].rows(&p, v);
		print_close_array(&p);
	}
	print_uint(&p, PRINT_JSON, "events", NULL, st->stories);
	print_uint(&p, PRINT_JSON, "events_not_shown", NULL, st->rb_full);
	print_uint(&p, PRINT_JSON, "counts_lost", NULL, st->map_full);
	print_uint(&p, PRINT_JSON, "latency_samples_lost", NULL, st->lat_lost);
	print_uint(&p, PRINT_JSON, "latency_samples_apart", NULL, st->lat_apart);
	print_uint(&p, PRINT_JSON, "latency_timed_1_in", NULL, (unsigned long long)st->lat_mask + 1);
	print_open_array(&p, "maps_full");
	for (int i = 0; i < STAT_MAPS; i++)
		if (st->map_max[i] && st->map_used[i] >= st->map_max[i])
			print_str(&p, PRINT_JSON, NULL, NULL, stat_map_names[i]);
	print_close_array(&p);
	print_open_object(&p, "map_entries");
	for (int i = 0; i < STAT_MAPS; i++)
		print_uint(&p, PRINT_JSON, stat_map_names[i], NULL, st->map_used[i]);
	print_close_object(&p);
	print_uint(&p, PRINT_JSON, "keys_folded", NULL, st->folded);
	print_open_object(&p, "slots");
	print_uint(&p, PRINT_JSON, "ports", NULL, st->port_slots);
	print_uint(&p, PRINT_JSON, "ports_gone", NULL, st->port_slots_gone);
	print_uint(&p, PRINT_JSON, "drops", NULL, st->drop_slots);
	print_uint(&p, PRINT_JSON, "drops_gone", NULL, st->drop_slots_gone);
	print_close_object(&p);
	print_open_object(&p, "older_gone");
	print_uint(&p, PRINT_JSON, "namespaces", NULL, st->older_ns);
	print_uint(&p, PRINT_JSON, "ports", NULL, st->older_ports);
	print_uint(&p, PRINT_JSON, "kept", NULL, (uint64_t)older_keep());
	print_close_object(&p);
	if (v->pcap_packets)
		print_uint(&p, PRINT_JSON, "pcap_packets", NULL, *v->pcap_packets);
	print_end(&p, 1);
}

#define SUMMARY_ROWS 20

static void summary_text(struct report *r, const struct watch_view *v)
{
	const struct stats *st = v->st;
	FILE *o = r->out;

	/* A small watch shows every row; a large host the ones that need
	 * attention (JSON has every one). */
	int rows = st->nports > SUMMARY_ROWS + 5 ? SUMMARY_ROWS : 1000;
	int width = r->cols > 40 ? r->cols : 80;

	fprintf(o, "\nnstrace: summary after %.1f s\n", watch_now() - v->start);
	findings_text(v, o, 4096);
	fprintf(o, "DROPS (exact counts)       REASON                 COUNT\n");
	drops_table(v, o, st->ndrops > SUMMARY_ROWS + 5 ? SUMMARY_ROWS : 1000, width, 0);
	if (st->nresets) {
		fprintf(o, "TCP RESETS\n");
		resets_table(v, o, 4096);
	}
	fprintf(o, "PORTS                               RX PACKETS  TX PACKETS     DROPS\n");
	ports_table(v, o, rows, width);
	latency_text(v, o, r->cols > 40 ? r->cols : 80, st->nhops > SUMMARY_ROWS + 5 ?
		     SUMMARY_ROWS : 1000, v->o->hist);
	if (st->older_ns || st->older_ports)
		fprintf(o, "%s: %llu namespaces and %llu ports gone before the last %d of each\n",
			NS_OLDER_LABEL, (unsigned long long)st->older_ns,
			(unsigned long long)st->older_ports, older_keep());
	fprintf(o, "stories read: %llu", (unsigned long long)st->stories);
	if (st->untold)
		fprintf(o, " (%llu of them benign, not printed)", (unsigned long long)st->untold);
	fprintf(o, ", events not shown: %llu", (unsigned long long)st->rb_full);
	if (st->map_full) {
		fprintf(o, ", counts lost (counter maps full): %llu", (unsigned long long)st->map_full);
		for (int i = 0, n = 0; i < STAT_MAPS; i++)
			if (st->map_max[i] && st->map_used[i] >= st->map_max[i])
				fprintf(o, "%s%s (%s, %u entries)", n++ ? ", " : "\n  full: ",
					stat_map_names[i], stat_map_what[i], st->map_max[i]);
	}
	fputc('\n', o);
	if (st->lat_lost)
		fprintf(o, "latency samples lost (ring buffer full or out of memory): %llu\n",
			(unsigned long long)st->lat_lost);
	if (v->pcap_packets)
		fprintf(o, "pcap: %llu packets written to %s\n", (unsigned long long)*v->pcap_packets,
			v->o->pcap);
}

void report_summary(struct report *r, const struct watch_view *v)
{
	if (v->o->mode == REPORT_JSON)
		summary_json(r, v);
	else
		summary_text(r, v);
	fflush(r->out);
}
