/* Journeys: hops (tc) and drops (kfree_skb) of the same packet identity
 * put together, told once the packet has gone quiet.
 *
 * The expected path of a packet ends in the namespace that owns its
 * destination address. A namespace it entered that neither owns that
 * address nor sent it on is a bystander (a bridge flooded it there); a
 * port passed twice in the same direction is a loop. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "journey.h"
#include "reasons.h"
#include "report.h"
#include "why.h"

static int same_packet(const struct nst_pid *a, const struct nst_pid *b)
{
	/* The TTL and checksums change on the way; nothing in nst_pid does,
	 * except tcp_flags' padding neighbours, which are copied whole. */
	return !memcmp(a, b, sizeof(*a));
}

static struct journey *find(struct journeys *j, const struct nst_pid *p)
{
	for (int i = j->n - 1; i >= 0; i--)
		if (same_packet(&j->v[i].pid, p))
			return &j->v[i];
	return NULL;
}


int journey_bystanders(const struct journey *j, uint64_t dst_owner, uint32_t *out, int max)
{
	int n = 0;

	for (int i = 0; i < j->nhops && n < max; i++) {
		const struct jhop *h = &j->hop[i];
		int forwarded = 0, dup = 0;

		if (h->dir != NST_INGRESS || h->netns == dst_owner || h->netns == j->hop[0].netns)
			continue;
		/* Dropped there for a reason of its own (a router's firewall):
		 * it was on the way, not flooded to. */
		if (j->dropped && j->drop.netns == h->netns &&
		    strcmp(reason_name(j->drop.reason), "OTHERHOST"))
			continue;
		for (int k = i + 1; k < j->nhops; k++)
			forwarded |= j->hop[k].netns == h->netns && j->hop[k].dir == NST_EGRESS;
		for (int k = 0; k < n; k++)
			dup |= out[k] == h->netns;
		if (!forwarded && !dup)
			out[n++] = h->netns;
	}
	return n;
}

/* A port passed twice the same way: where the loop closes, or -1. */
static int loop_at(const struct journey *j)
{
	for (int i = 1; i < j->nhops; i++)
		for (int k = 0; k < i; k++)
			if (j->hop[k].netns == j->hop[i].netns && j->hop[k].ifindex == j->hop[i].ifindex &&
			    j->hop[k].dir == j->hop[i].dir)
				return i;
	return -1;
}

void journey_hop(struct journeys *js, struct report *r, const struct watch_view *v,
		 const struct nst_event *e)
{
	struct journey *j = find(js, &e->pid);

	if (!j) {
		if (js->n == JOURNEY_OPEN)   /* bounded: tell the oldest now */
			journey_flush(js, r, v, UINT64_MAX, 0);
		if (!(js->v = js->v ? js->v : calloc(JOURNEY_OPEN, sizeof(*js->v))))
			return;
		j = &js->v[js->n++];
		memset(j, 0, sizeof(*j));
		j->pid = e->pid;
		j->flow = e->flow;
	}
	if (j->nhops < JOURNEY_HOPS) {
		struct jhop *h = &j->hop[j->nhops++];

		h->ts = e->ts;
		h->netns = e->netns;
		h->ifindex = e->ifindex;
		h->dir = e->dir;
	} else {
		j->more++;
	}
	j->last_ts = e->ts;
}

int journey_drop(struct journeys *js, const struct nst_event *e, int rule)
{
	struct journey *j = find(js, &e->pid);

	if (!j || j->dropped)
		return 0;
	j->dropped = 1;
	j->drop = *e;
	j->rule = rule;
	j->last_ts = e->ts;
	return 1;
}

/* "dropped in router:rt-web: NETFILTER_DROP at nft_do_chain by nft rule
 * ...", "dropped: 1500 bytes > blue:veth-blue's MTU 1400 (NOT_SPECIFIED
 * at __dev_forward_skb2 in red:veth-red)": the cause in words where
 * nstrace knows it. */
static void drop_cause(const struct watch_view *v, const struct journey *j, const char *where,
		       const struct drop_words *dw, char *buf, size_t len)
{
	const struct why_rule *rule = why_rule_at(v->why, j->rule);
	char words[400];

	if (why_mtu_words(v, &j->drop, words, sizeof(words))) {
		snprintf(buf, len, "dropped: %s (%s at %s in %s)", words, dw->reason, dw->loc, where);
	} else if (rule) {
		why_rule_words(rule, words, sizeof(words));
		snprintf(buf, len, "dropped in %s: %s at %s by %s", where, dw->reason, dw->loc, words);
	} else {
		snprintf(buf, len, "dropped in %s: %s at %s", where, dw->reason, dw->loc);
	}
}

/* The verdict in words: delivered, dropped (where, why), off the path. */
static void verdict(const struct watch_view *v, const struct journey *j, char *buf, size_t len,
		    uint64_t *owner)
{
	const struct names *nm = v->names;
	const struct jhop *last = &j->hop[j->nhops - 1];
	char where[96], who[NAME_LEN], dst[NAME_LEN];
	struct drop_words dw;
	uint32_t by[8];
	int nby, loop = loop_at(j), delivered = 0;
	size_t pos;

	*owner = plan_addr_owner(v->plan, v->lt, family_af(j->flow.family), j->flow.dst);
	for (int i = 0; i < j->nhops; i++)
		delivered |= *owner && j->hop[i].netns == *owner && j->hop[i].dir == NST_INGRESS;
	names_ns(nm, *owner, dst, sizeof(dst));
	if (j->dropped) {
		drop_words(j->drop.reason, j->drop.location, &j->flow, &dw);
		names_where(nm, j->drop.netns, j->drop.ifindex, where, sizeof(where));
	}
	if (j->dropped && delivered && dw.benign)
		snprintf(buf, len, "delivered to %s (a copy was dropped: %s at %s, %s)", dst, dw.reason,
			 dw.loc, dw.hint);
	else if (j->dropped && delivered && j->drop.netns != *owner)
		snprintf(buf, len, "delivered to %s; a copy dropped in %s: %s at %s", dst, where,
			 dw.reason, dw.loc);
	else if (j->dropped)
		drop_cause(v, j, where, &dw, buf, len);
	else if (delivered)
		snprintf(buf, len, "delivered to %s", dst);
	else
		snprintf(buf, len, "last seen at %s %s",
			 names_where(nm, last->netns, last->ifindex, where, sizeof(where)),
			 last->dir == NST_INGRESS ? "ingress" : "egress");
	nby = journey_bystanders(j, *owner, by, 8);
	snprintf(who, sizeof(who), "%s", *owner ? dst : "no watched namespace");
	for (int i = 0; i < nby; i++) {
		pos = strlen(buf);
		snprintf(buf + pos, len - pos, "; left the expected path: flooded to %s, a bystander "
			 "(the destination lives in %s)", names_ns(nm, by[i], NAME_BUF), who);
	}
	if (loop >= 0) {
		pos = strlen(buf);
		names_where(nm, j->hop[loop].netns, j->hop[loop].ifindex, where, sizeof(where));
		snprintf(buf + pos, len - pos, "; looped: passed %s twice", where);
	}
}

static const char *dir_name(uint32_t dir)
{
	return dir == NST_INGRESS ? "ingress" : "egress";
}

static void journey_json(struct report *r, const struct watch_view *v, const struct journey *j,
			 const char *flow, const char *verdict, uint64_t owner)
{
	uint64_t t0 = j->hop[0].ts;
	struct printer p;
	char port[96];

	print_begin(&p, r->out, 1, "journey");
	print_float(&p, PRINT_JSON, "ts", "%.6f", NULL, t0 / 1e9 + v->mono_to_real);
	print_str(&p, PRINT_JSON, "flow", NULL, flow);
	print_open_array(&p, "hops");
	for (int i = 0; i < j->nhops; i++) {
		const struct jhop *h = &j->hop[i];

		print_open_object(&p, NULL);
		print_float(&p, PRINT_JSON, "t_us", "%.1f", NULL, (h->ts - t0) / 1e3);
		print_str(&p, PRINT_JSON, "netns", NULL, names_ns(v->names, h->netns, NAME_BUF));
		print_str(&p, PRINT_JSON, "dev", NULL, names_dev(v->names, h->netns, (int)h->ifindex,
								  NAME_BUF));
		print_str(&p, PRINT_JSON, "dir", NULL, dir_name(h->dir));
		print_close_object(&p);
	}
	print_close_array(&p);
	print_str(&p, PRINT_JSON, "end", NULL, !strncmp(verdict, "delivered", 9) ? "delivered" :
		  j->dropped ? "dropped" : "unknown");
	if (j->dropped) {
		names_where(v->names, j->drop.netns, j->drop.ifindex, port, sizeof(port));
		print_open_object(&p, "drop");
		print_str(&p, PRINT_JSON, "at", NULL, port);
		print_float(&p, PRINT_JSON, "t_us", "%.1f", NULL, (j->drop.ts - t0) / 1e3);
		print_str(&p, PRINT_JSON, "reason", NULL, reason_name(j->drop.reason));
		print_str(&p, PRINT_JSON, "location", NULL, names_location(j->drop.location, NAME_BUF));
		if (why_rule_at(v->why, j->rule))
			why_print_rule(&p, why_rule_at(v->why, j->rule));
		print_close_object(&p);
	}
	print_str(&p, PRINT_JSON, "dst_netns", NULL, owner ? names_ns(v->names, owner, NAME_BUF) : "");
	print_str(&p, PRINT_JSON, "verdict", NULL, verdict);
	print_end(&p, 1);
	fflush(r->out);
}

/* A block of lines: the packet, each port with its time, the verdict. */
static void journey_text(struct report *r, const struct watch_view *v, const struct journey *j,
			 const char *flow, const char *verdict)
{
	uint64_t t0 = j->hop[0].ts;
	double wall = t0 / 1e9 + v->mono_to_real;
	time_t sec = (time_t)wall;
	FILE *o = r->out;
	char port[96];
	struct tm tm;

	localtime_r(&sec, &tm);
	fprintf(o, "%02d:%02d:%02d.%06d %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
		(int)((wall - sec) * 1e6), flow);
	for (int i = 0; i < j->nhops; i++) {
		names_where(v->names, j->hop[i].netns, j->hop[i].ifindex, port, sizeof(port));
		fprintf(o, "  %+10.1fµs  %-32s %s\n", (j->hop[i].ts - t0) / 1e3, port,
			dir_name(j->hop[i].dir));
	}
	if (j->more)
		fprintf(o, "  ... and %d more ports\n", j->more);
	if (j->dropped) {
		names_where(v->names, j->drop.netns, j->drop.ifindex, port, sizeof(port));
		fprintf(o, "  %+10.1fµs  %-32s DROP %s at %s\n", (j->drop.ts - t0) / 1e3, port,
			reason_name(j->drop.reason), names_location(j->drop.location, NAME_BUF));
	}
	fprintf(o, "  => %s\n", verdict);
	fflush(o);
}

static void tell_journey(struct journeys *js, struct report *r, const struct watch_view *v,
			 const struct journey *j)
{
	char flow[160], verdict_s[1200], line[400];
	uint64_t owner;

	names_flow(&j->flow, flow, sizeof(flow));
	verdict(v, j, verdict_s, sizeof(verdict_s), &owner);
	js->told++;
	if (v->o->mode == REPORT_JSON) {
		journey_json(r, v, j, flow, verdict_s, owner);
	} else if (v->o->mode != REPORT_LINES) {   /* the live view: one line */
		snprintf(line, sizeof(line), "TRACE %.160s: %d ports, %.200s", flow, j->nhops, verdict_s);
		report_note(r, v, line);
	} else {
		journey_text(r, v, j, flow, verdict_s);
	}
}

void journey_flush(struct journeys *js, struct report *r, const struct watch_view *v,
		   uint64_t now_ns, uint64_t idle_ns)
{
	int keep = 0;

	for (int i = 0; i < js->n; i++) {
		struct journey *j = &js->v[i];

		/* UINT64_MAX with idle 0: only the oldest, to make room. */
		if (now_ns == UINT64_MAX ? i == 0 : !idle_ns || now_ns - j->last_ts >= idle_ns) {
			if (j->nhops)
				tell_journey(js, r, v, j);
			continue;
		}
		if (keep != i)
			js->v[keep] = *j;
		keep++;
	}
	js->n = keep;
}

void journeys_free(struct journeys *j)
{
	free(j->v);
	memset(j, 0, sizeof(*j));
}
