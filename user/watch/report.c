/* Stories: each event, note and link change described once, for its text
 * line and its JSON object (print.h), and its pcap comment from the same
 * words. */
#include <string.h>
#include <time.h>
#include "icmp_names.h"
#include "ksyms.h"
#include "report.h"

static void clock_str(const struct watch_view *v, uint64_t ts, char *buf, size_t len)
{
	double real = ts / 1e9 + v->mono_to_real;
	time_t t = (time_t)real;
	struct tm tm;

	localtime_r(&t, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)((real - t) * 1000));
}

/* Now, on the clock the kernel stamps events with (CLOCK_MONOTONIC ns). */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static const char *dir_name(uint32_t dir)
{
	return dir == NST_INGRESS ? "ingress" : "egress";
}

void event_words(const struct watch_view *v, const struct nst_event *e, struct event_words *w)
{
	clock_str(v, e->ts, w->clk, sizeof(w->clk));
	names_ns(v->names, e->netns, w->ns, sizeof(w->ns));
	w->dev[0] = 0;
	if (e->ifindex)
		names_dev(v->names, e->netns, (int)e->ifindex, w->dev, sizeof(w->dev));
	names_where(v->names, e->netns, e->ifindex, w->place, sizeof(w->place));
	names_flow(&e->flow, w->flow, sizeof(w->flow));
	w->rule = NULL;
	if (e->type == NST_EV_DROP)
		drop_words(e->reason, e->location, &e->flow, &w->drop);
}

/* "container": {runtime, id, name, pod, pod_namespace}, only for one. */
void print_container(struct printer *p, const struct container *c)
{
	if (!c || !p->json)
		return;
	print_open_object(p, "container");
	print_str(p, PRINT_JSON, "runtime", NULL, c->runtime);
	print_str(p, PRINT_JSON, "id", NULL, c->id);
	print_str(p, PRINT_JSON, "name", NULL, c->name);
	if (c->pod[0]) {
		print_str(p, PRINT_JSON, "pod", NULL, c->pod);
		print_str(p, PRINT_JSON, "pod_namespace", NULL, c->pod_ns);
	}
	print_close_object(p);
}

void print_place(struct printer *p, const struct watch_view *v, uint64_t netns,
		 uint32_t ifindex, const char *fmt)
{
	print_str(p, PRINT_JSON, "netns", NULL, names_ns(v->names, netns, NAME_BUF));
	print_uint(p, PRINT_JSON, "netns_inode", NULL, netns);
	print_container(p, names_container(v->names, netns));
	print_str(p, PRINT_JSON, "dev", NULL,
		  ifindex ? names_dev(v->names, netns, (int)ifindex, NAME_BUF) : "");
	print_uint(p, PRINT_JSON, "ifindex", NULL, ifindex);
	print_str(p, PRINT_TEXT, NULL, fmt, names_where(v->names, netns, ifindex, (char[96]){ 0 }, 96));
}

void print_flow(struct printer *p, const struct nst_flow *f, const char *fmt)
{
	const char *pn = names_proto(f->proto);
	int ports = f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP;
	int icmp = f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6;
	char num[8];

	print_str(p, PRINT_TEXT, NULL, fmt, names_flow(f, (char[160]){ 0 }, 160));
	if (!p->json)
		return;
	if (!f->family) {
		print_str(p, PRINT_JSON, "proto", NULL, f->l3proto == 0x0806 ? "arp" : "other");
		return;
	}
	snprintf(num, sizeof(num), "%u", f->proto);
	print_str(p, PRINT_JSON, "proto", NULL, pn ? pn : num);
	print_str(p, PRINT_JSON, "src", NULL, names_addr(f->family, f->src, NAME_BUF));
	print_str(p, PRINT_JSON, "dst", NULL, names_addr(f->family, f->dst, NAME_BUF));
	if (ports) {
		print_uint(p, PRINT_JSON, "sport", NULL, f->sport);
		print_uint(p, PRINT_JSON, "dport", NULL, f->dport);
	}
	if (icmp) {
		print_uint(p, PRINT_JSON, "icmp_type", NULL, f->icmp_type);
		print_uint(p, PRINT_JSON, "icmp_code", NULL, f->icmp_code);
	}
}

/* "ts" in JSON (wall clock seconds), the local time of day in text. */
static void print_clock(struct printer *p, const struct watch_view *v, uint64_t ts,
			const char *clk)
{
	print_float(p, PRINT_JSON, "ts", "%.6f", NULL, ts / 1e9 + v->mono_to_real);
	print_str(p, PRINT_TEXT, NULL, "%s", clk);
}

void report_tell(struct report *r, const struct watch_view *v, const char *line)
{
	snprintf(r->stories[r->nstories % REPORT_STORIES], sizeof(r->stories[0]), "%.199s", line);
	r->nstories++;
	if (v->o->mode == REPORT_LINES) {
		fprintf(r->out, "%s\n", line);
		fflush(r->out);
	}
}

/* A record is whole: a JSON object is written and flushed, a text line told. */
static void finish(struct report *r, const struct watch_view *v, struct printer *p)
{
	if (p->json) {
		print_end(p, 1);
		fflush(r->out);
		return;
	}
	report_tell(r, v, p->line);
}

static void drop_record(struct printer *p, const struct watch_view *v, const struct nst_event *e,
			const struct event_words *w)
{
	const char *hint = w->drop.hint;

	print_clock(p, v, e->ts, w->clk);
	print_text(p, " DROP  %s", w->place);
	print_place(p, v, e->netns, e->ifindex, "");
	print_str(p, PRINT_ANY, "reason", " %s", w->drop.reason);
	print_str(p, PRINT_ANY, "location", " at %s", w->drop.loc);
	print_flow(p, &e->flow, ": %s");
	print_uint(p, PRINT_ANY, "len", " len %llu", e->len);
	print_uint(p, PRINT_JSON, "segs", NULL, e->segs);
	print_bool(p, PRINT_JSON, "benign", NULL, w->drop.benign);
	print_str(p, PRINT_ANY, "hint", hint ? " (%s)" : "%s", hint ? hint : "");
	if (w->rule) {
		char rule[400];

		why_rule_words(w->rule, rule, sizeof(rule));
		print_text(p, " by %s", rule);
		why_print_rule(p, w->rule);
	} else if (!v->o->why && why_nft_drop(e->reason, e->location)) {
		print_text(p, " (--why names the rule)");
	}
}

/* "net-unreachable", "frag-needed", "packet-too-big", ... */
static const char *icmp_what(const struct nst_event *e, char *buf, size_t len)
{
	return icmp_error_name(family_is_v6(e->flow.family), e->icmp_type, e->icmp_code, buf, len);
}

int report_icmp_benign(const struct nst_event *e)
{
	return icmp_probe_answer(family_is_v6(e->flow.family), e->icmp_type, e->icmp_code,
				 e->orig_kind);
}

static void icmp_record(struct printer *p, const struct watch_view *v, const struct nst_event *e,
			const struct event_words *w)
{
	int wire = e->type == NST_EV_ICMP_WIRE, v6 = family_is_v6(e->flow.family);
	const char *what = icmp_what(e, NAME_BUF);

	print_str(p, PRINT_JSON, "event", NULL, wire ? "seen" : "generated");
	print_clock(p, v, e->ts, w->clk);
	print_text(p, " ICMP  %s", w->place);
	print_place(p, v, e->netns, e->ifindex, "");
	if (wire) {
		print_str(p, PRINT_JSON, "direction", NULL, dir_name(e->dir));
		print_text(p, " %s %s", e->dir == NST_INGRESS ? "received" : "sent", what);
		if (e->mtu)
			print_text(p, " (MTU %u)", e->mtu);
		else
			print_text(p, " (type %u code %u)", e->icmp_type, e->icmp_code);
	} else {
		print_text(p, " generated");
	}
	print_uint(p, wire ? PRINT_JSON : PRINT_ANY, "icmp_type", " type %llu", e->icmp_type);
	print_uint(p, wire ? PRINT_JSON : PRINT_ANY, "icmp_code", " code %llu", e->icmp_code);
	print_str(p, wire ? PRINT_JSON : PRINT_ANY, "name", " (%s)", what);
	print_uint(p, PRINT_JSON, "mtu", NULL, e->mtu);
	if (wire)
		print_str(p, PRINT_ANY, "from", " from %s", names_addr(e->flow.family, e->from, NAME_BUF));
	print_bool(p, PRINT_JSON, "benign", NULL, report_icmp_benign(e));
	print_open_object(p, "orig");
	print_uint(p, PRINT_JSON, "family", NULL, v6 ? 6 : 4);
	print_flow(p, &e->flow, " about %s");
	print_close_object(p);
	if (!wire && e->mtu)
		print_text(p, " (route MTU %u)", e->mtu);
	if (report_icmp_benign(e))
		print_text(p, " (a path probe's answer)");
}

static void reset_record(struct printer *p, const struct watch_view *v, const struct nst_event *e,
			 const struct event_words *w)
{
	int sent = e->type == NST_EV_RESET_SENT;

	print_str(p, PRINT_JSON, "direction", NULL, sent ? "sent" : "received");
	print_clock(p, v, e->ts, w->clk);
	print_text(p, " RESET %s %s", w->place, sent ? "sent" : "received");
	print_place(p, v, e->netns, e->ifindex, "");
	print_uint(p, PRINT_ANY, "port", " on port %llu", e->port);
	print_flow(p, &e->flow, ": %s");
	print_text(p, " (%s)", sent ? "connection refused or aborted here" :
		   "the peer reset the connection");
}

int report_event(struct report *r, const struct watch_view *v, const struct nst_event *e,
		 const struct event_words *w)
{
	int json = v->o->mode == REPORT_JSON;
	struct printer p;

	/* Healthy traffic's drops are counted, not told (--benign tells). */
	if (e->type == NST_EV_DROP && !json && w->drop.benign && !v->o->show_benign)
		return 0;
	/* So are the answers path probes ask for (traceroute's TTL exceeded). */
	if ((e->type == NST_EV_ICMP_WIRE || e->type == NST_EV_ICMP_SENT) && !json &&
	    report_icmp_benign(e) && !v->o->show_benign)
		return 0;
	if (e->type == NST_EV_DROP) {
		print_begin(&p, r->out, json, "drop");
		drop_record(&p, v, e, w);
	} else if (e->type == NST_EV_ICMP_WIRE || e->type == NST_EV_ICMP_SENT) {
		print_begin(&p, r->out, json, "icmp");
		icmp_record(&p, v, e, w);
	} else {
		print_begin(&p, r->out, json, "reset");
		reset_record(&p, v, e, w);
	}
	finish(r, v, &p);
	return 1;
}

void report_comment(const struct nst_event *e, const struct event_words *w, char *buf,
		    size_t len)
{
	char place[NAME_LEN + 48];
	size_t n;

	if (w->dev[0])
		snprintf(place, sizeof(place), "in %s on %s", w->ns, w->dev);
	else
		snprintf(place, sizeof(place), "in %s", w->ns);
	switch (e->type) {
	case NST_EV_DROP:
		snprintf(buf, len, "drop %s at %s %s", w->drop.reason, w->drop.loc, place);
		n = strlen(buf);
		if (w->rule)
			snprintf(buf + n, len - n, " by nft rule %s %s %s handle %llu",
				 nftrace_family(w->rule->family), w->rule->table, w->rule->chain,
				 (unsigned long long)w->rule->handle);
		break;
	case NST_EV_RESET_SENT:
		snprintf(buf, len, "answered with a TCP reset %s", place);
		break;
	case NST_EV_ICMP_WIRE:
		snprintf(buf, len, "ICMP type %u code %u %s (MTU %u) from %s %s %s", e->icmp_type,
			 e->icmp_code, icmp_what(e, NAME_BUF), e->mtu,
			 names_addr(e->flow.family, e->from, NAME_BUF), place, dir_name(e->dir));
		break;
	case NST_EV_ICMP_SENT:
		snprintf(buf, len, "caused ICMP type %u code %u %s %s", e->icmp_type, e->icmp_code,
			 icmp_what(e, NAME_BUF), place);
		n = strlen(buf);
		if (e->mtu)
			snprintf(buf + n, len - n, ": route MTU %u", e->mtu);
		break;
	default:
		snprintf(buf, len, "seen %s %s", place, dir_name(e->dir));
	}
}

void report_note(struct report *r, const struct watch_view *v, const char *text)
{
	uint64_t ts = now_ns();
	struct printer p;
	char clk[16];

	clock_str(v, ts, clk, sizeof(clk));
	print_begin(&p, r->out, v->o->mode == REPORT_JSON, "note");
	print_clock(&p, v, ts, clk);
	print_str(&p, PRINT_ANY, "text", " NOTE  %s", text);
	finish(r, v, &p);
}

/* "12:00:01.234 LINK  NS:DEV", the start of every link story. */
static void link_begin(struct printer *p, struct report *r, const struct watch_view *v,
		       uint64_t netns, const char *dev, const char *event)
{
	uint64_t ts = now_ns();
	char clk[16];

	clock_str(v, ts, clk, sizeof(clk));
	print_begin(p, r->out, v->o->mode == REPORT_JSON, "link");
	print_clock(p, v, ts, clk);
	print_str(p, PRINT_ANY, "netns", " LINK  %s", names_ns(v->names, netns, NAME_BUF));
	print_uint(p, PRINT_JSON, "netns_inode", NULL, netns);
	print_str(p, PRINT_ANY, "dev", ":%s", dev);
	print_str(p, PRINT_JSON, "event", NULL, event);
}

void report_link(struct report *r, const struct watch_view *v, uint64_t netns, const char *dev,
		 const char *event, unsigned int old_mtu, unsigned int mtu)
{
	int is_mtu = !strcmp(event, "mtu");
	struct printer p;

	link_begin(&p, r, v, netns, dev, event);
	if (!is_mtu)
		print_text(&p, " %s", !strcmp(event, "new") ? "appeared" : event);
	print_uint(&p, is_mtu ? PRINT_ANY : PRINT_JSON, "old_mtu", " MTU %llu", old_mtu);
	print_uint(&p, is_mtu ? PRINT_ANY : PRINT_JSON, "mtu", " -> %llu", mtu);
	finish(r, v, &p);
}

void report_link_moved(struct report *r, const struct watch_view *v, uint64_t netns,
		       const char *dev, uint64_t to_netns, const char *to_dev)
{
	struct printer p;

	link_begin(&p, r, v, netns, dev, "moved");
	if (strcmp(dev, to_dev))
		print_str(&p, PRINT_ANY, "to_dev", " renamed to %s", to_dev);
	else
		print_text(&p, " moved");
	print_str(&p, PRINT_ANY, "to_netns", " in %s", names_ns(v->names, to_netns, NAME_BUF));
	print_uint(&p, PRINT_JSON, "to_netns_inode", NULL, to_netns);
	finish(r, v, &p);
}

/* ---- the attach plan ---- */

static void plan_json(struct report *r, const struct watch_view *v)
{
	const struct plan *pl = v->plan;
	struct printer p;

	print_begin(&p, r->out, 1, "plan");
	print_open_array(&p, "namespaces");
	for (int i = 0; i < pl->nns; i++) {
		print_open_object(&p, NULL);
		print_str(&p, PRINT_JSON, "netns", NULL, names_ns(v->names, pl->ns[i].inode, NAME_BUF));
		print_uint(&p, PRINT_JSON, "netns_inode", NULL, pl->ns[i].inode);
		print_container(&p, names_container(v->names, pl->ns[i].inode));
		print_str(&p, PRINT_JSON, "filter", NULL,
			  pl->ns[i].mode == NST_NS_ALL ? "all" : "addresses");
		print_close_object(&p);
	}
	print_close_array(&p);
	print_open_array(&p, "ports");
	for (int i = 0; i < pl->nports; i++) {
		print_open_object(&p, NULL);
		print_place(&p, v, pl->ports[i].netns, (uint32_t)pl->ports[i].ifindex, "");
		print_uint(&p, PRINT_JSON, "mtu", NULL, pl->ports[i].mtu);
		print_close_object(&p);
	}
	print_close_array(&p);
	print_str(&p, PRINT_JSON, "tc", NULL, attach_kind(v->att));
	if (v->metrics_url) {
		char url[128];

		snprintf(url, sizeof(url), "http://%s/metrics", v->metrics_url);
		print_str(&p, PRINT_JSON, "metrics", NULL, url);
	}
	print_end(&p, 1);
}

/* A namespace's line of the plan: every port, or with more than a few,
 * in WIDTH columns: its ports while they fit, then "+ 400 ports" ("root
 * br0 + 400 ports"). */
#define PLAN_PORTS_INLINE 8

static void plan_ns_line(FILE *o, const struct watch_view *v, uint64_t ino, int mode, int width)
{
	const struct plan *pl = v->plan;
	const char *tail = mode == NST_NS_ALL ? "" : "   (only the targets' traffic)";
	char line[512], more[32];
	int n = 0, shown = 0, len;

	for (int k = 0; k < pl->nports; k++)
		n += pl->ports[k].netns == ino;
	if (n <= PLAN_PORTS_INLINE)
		width = (int)sizeof(line) - 1;
	len = snprintf(line, sizeof(line), "  %-16s", names_ns(v->names, ino, NAME_BUF));
	for (int k = 0; k < pl->nports && len < (int)sizeof(line); k++) {
		const char *dev;

		if (pl->ports[k].netns != ino)
			continue;
		dev = names_dev(v->names, ino, pl->ports[k].ifindex, NAME_BUF);
		snprintf(more, sizeof(more), " + %d ports", n - shown - 1);
		/* This one, and room for the "+ N" of the rest if any. */
		if (len + 1 + (int)strlen(dev) + (shown + 1 < n ? (int)strlen(more) : 0) +
		    (int)strlen(tail) > width)
			break;
		len += snprintf(line + len, sizeof(line) - len, " %s", dev);
		shown++;
	}
	if (shown < n && len < (int)sizeof(line))
		snprintf(line + len, sizeof(line) - len, " + %d port%s", n - shown,
			 n - shown == 1 ? "" : "s");
	fprintf(o, "%s%s\n", line, tail);
}

/* More namespaces than this: the first ones, then how many more. */
#define PLAN_NS_LINES 12

/* The text plan: one line per namespace, its ports after it; on a large
 * host the first namespaces and a count of the rest (--json has all). */
static void plan_text(struct report *r, const struct watch_view *v)
{
	const struct plan *pl = v->plan;
	int width = r->cols > 40 ? r->cols : 80, lines = pl->nns;
	FILE *o = r->out;

	fprintf(o, "nstrace: watching %d namespace%s, %d port%s (tc %s, both directions)\n",
		pl->nns, pl->nns == 1 ? "" : "s", pl->nports, pl->nports == 1 ? "" : "s",
		attach_kind(v->att));
	if (lines > PLAN_NS_LINES + 4)
		lines = PLAN_NS_LINES;
	for (int i = 0; i < lines; i++)
		plan_ns_line(o, v, pl->ns[i].inode, pl->ns[i].mode, width);
	if (lines < pl->nns) {
		int rest = 0;

		for (int k = 0; k < pl->nports; k++)
			for (int i = lines; i < pl->nns; i++)
				if (pl->ports[k].netns == pl->ns[i].inode) {
					rest++;
					break;
				}
		fprintf(o, "  and %d more namespaces with %d ports (--json lists every one)\n",
			pl->nns - lines, rest);
	}
	if (v->o->filter.proto || v->o->filter.port || v->o->filter.net.family) {
		char fs[128];

		filter_str(&v->o->filter, fs, sizeof(fs));
		fprintf(o, "  filter: %s\n", fs);
	}
	if (v->metrics_url)
		fprintf(o, "  metrics: http://%s/metrics\n", v->metrics_url);
}

void report_plan(struct report *r, const struct watch_view *v)
{
	if (v->o->quiet)
		return;
	if (v->o->mode == REPORT_JSON)
		plan_json(r, v);
	else
		plan_text(r, v);
	fflush(r->out);
}
