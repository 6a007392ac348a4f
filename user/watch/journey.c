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
#include "json.h"
#include "reasons.h"
#include "watch.h"

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

static uint64_t owner_of(const struct watch *w, int family, const uint8_t *addr)
{
	for (int i = 0; i < w->lt.nns; i++)
		for (int l = 0; l < w->lt.ns[i].nlinks; l++) {
			const struct live_link *ln = &w->lt.ns[i].links[l];

			if (!strcmp(ln->kind, "loopback"))
				continue;
			for (int a = 0; a < ln->naddrs; a++)
				if (ln->addrs[a].family == family &&
				    !memcmp(ln->addrs[a].a, addr, family == AF_INET ? 4 : 16))
					return w->lt.ns[i].inode;
		}
	return 0;
}

int journey_bystanders(const struct journey *j, uint64_t dst_owner, uint32_t *out, int max)
{
	int n = 0;

	for (int i = 0; i < j->nhops && n < max; i++) {
		const struct jhop *h = &j->hop[i];
		int forwarded = 0, dup = 0;

		if (h->dir != NST_INGRESS || h->netns == dst_owner || h->netns == j->hop[0].netns)
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

void journey_hop(struct watch *w, const struct nst_event *e)
{
	struct journeys *js = &w->journeys;
	struct journey *j = find(js, &e->pid);

	if (!j) {
		if (js->n == JOURNEY_OPEN)   /* bounded: tell the oldest now */
			journey_flush(w, UINT64_MAX, 0);
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

int journey_drop(struct watch *w, const struct nst_event *e)
{
	struct journey *j = find(&w->journeys, &e->pid);

	if (!j || j->dropped)
		return 0;
	j->dropped = 1;
	j->drop = *e;
	j->last_ts = e->ts;
	return 1;
}

/* The verdict in words: delivered, dropped (where, why), off the path. */
static void verdict(const struct watch *w, const struct journey *j, char *buf, size_t len,
		    uint64_t *owner)
{
	uint32_t by[8];
	int nby, loop = loop_at(j);
	const struct jhop *last = &j->hop[j->nhops - 1];
	char where[96], who[96];
	size_t pos;

	int delivered = 0;

	*owner = owner_of(w, j->flow.family == 10 ? AF_INET6 : AF_INET, j->flow.dst);
	for (int i = 0; i < j->nhops; i++)
		delivered |= *owner && j->hop[i].netns == *owner && j->hop[i].dir == NST_INGRESS;
	const char *benign = NULL;

	if (j->dropped)
		benign = reason_benign(reason_name(j->drop.reason), report_location(j->drop.location),
				       j->flow.family, j->flow.dst);
	if (j->dropped && delivered && benign) {
		snprintf(buf, len, "delivered to %s (a copy was dropped: %s at %s, %s)",
			 watch_ns_label(w, *owner), reason_name(j->drop.reason),
			 report_location(j->drop.location), benign);
	} else if (j->dropped && delivered && j->drop.netns != *owner) {
		report_where(w, j->drop.netns, j->drop.ifindex, where, sizeof(where));
		snprintf(buf, len, "delivered to %s; a copy dropped in %s: %s at %s",
			 watch_ns_label(w, *owner), where, reason_name(j->drop.reason),
			 report_location(j->drop.location));
	} else if (j->dropped) {
		report_where(w, j->drop.netns, j->drop.ifindex, where, sizeof(where));
		snprintf(buf, len, "dropped in %s: %s at %s", where, reason_name(j->drop.reason),
			 report_location(j->drop.location));
	} else if (delivered) {
		snprintf(buf, len, "delivered to %s", watch_ns_label(w, *owner));
	} else {
		report_where(w, last->netns, last->ifindex, where, sizeof(where));
		snprintf(buf, len, "last seen at %s %s", where,
			 last->dir == NST_INGRESS ? "ingress" : "egress");
	}
	nby = journey_bystanders(j, *owner, by, 8);
	for (int i = 0; i < nby; i++) {
		pos = strlen(buf);
		snprintf(who, sizeof(who), "%s", *owner ? watch_ns_label(w, *owner) : "no watched namespace");
		snprintf(buf + pos, len - pos, "; left the expected path: flooded to %s, a bystander "
			 "(the destination lives in %s)", watch_ns_label(w, by[i]), who);
	}
	if (loop >= 0) {
		pos = strlen(buf);
		report_where(w, j->hop[loop].netns, j->hop[loop].ifindex, where, sizeof(where));
		snprintf(buf + pos, len - pos, "; looped: passed %s twice", where);
	}
}

static void tell_journey(struct watch *w, const struct journey *j)
{
	FILE *o = w->out;
	char flow[160], v[600], port[96], line[400];
	uint64_t t0 = j->hop[0].ts, owner;
	double wall = t0 / 1e9 + w->mono_to_real;
	time_t sec = (time_t)wall;
	struct tm tm;

	report_flow_str(&j->flow, flow, sizeof(flow));
	verdict(w, j, v, sizeof(v), &owner);
	w->journeys.told++;
	if (w->o.mode == REPORT_JSON) {
		fprintf(o, "{\"type\":\"journey\",\"ts\":%.6f,\"flow\":", wall);
		json_str(o, flow);
		fprintf(o, ",\"hops\":[");
		for (int i = 0; i < j->nhops; i++) {
			char dev[32];

			fprintf(o, "%s{\"t_us\":%.1f,\"netns\":", i ? "," : "", (j->hop[i].ts - t0) / 1e3);
			json_str(o, watch_ns_label(w, j->hop[i].netns));
			fprintf(o, ",\"dev\":");
			json_str(o, watch_dev_name(w, j->hop[i].netns, (int)j->hop[i].ifindex, dev, sizeof(dev)));
			fprintf(o, ",\"dir\":\"%s\"}", j->hop[i].dir == NST_INGRESS ? "ingress" : "egress");
		}
		fprintf(o, "],\"end\":\"%s\"", !strncmp(v, "delivered", 9) ? "delivered" :
			j->dropped ? "dropped" : "unknown");
		if (j->dropped) {
			report_where(w, j->drop.netns, j->drop.ifindex, port, sizeof(port));
			fprintf(o, ",\"drop\":{\"at\":");
			json_str(o, port);
			fprintf(o, ",\"t_us\":%.1f,\"reason\":\"%s\",\"location\":",
				(j->drop.ts - t0) / 1e3, reason_name(j->drop.reason));
			json_str(o, report_location(j->drop.location));
			fprintf(o, "}");
		}
		fprintf(o, ",\"dst_netns\":");
		json_str(o, owner ? watch_ns_label(w, owner) : "");
		fprintf(o, ",\"verdict\":");
		json_str(o, v);
		fprintf(o, "}\n");
		fflush(o);
		return;
	}
	if (w->o.mode != REPORT_LINES) {   /* the live view: one line */
		snprintf(line, sizeof(line), "TRACE %.160s: %d ports, %.200s", flow, j->nhops, v);
		report_note(w, line);
		return;
	}
	localtime_r(&sec, &tm);
	fprintf(o, "%02d:%02d:%02d.%06d %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec,
		(int)((wall - sec) * 1e6), flow);
	for (int i = 0; i < j->nhops; i++) {
		report_where(w, j->hop[i].netns, j->hop[i].ifindex, port, sizeof(port));
		fprintf(o, "  %+10.1fµs  %-32s %s\n", (j->hop[i].ts - t0) / 1e3, port,
			j->hop[i].dir == NST_INGRESS ? "ingress" : "egress");
	}
	if (j->more)
		fprintf(o, "  ... and %d more ports\n", j->more);
	if (j->dropped) {
		report_where(w, j->drop.netns, j->drop.ifindex, port, sizeof(port));
		fprintf(o, "  %+10.1fµs  %-32s DROP %s at %s\n", (j->drop.ts - t0) / 1e3, port,
			reason_name(j->drop.reason), report_location(j->drop.location));
	}
	fprintf(o, "  => %s\n", v);
	fflush(o);
}

void journey_flush(struct watch *w, uint64_t now_ns, uint64_t idle_ns)
{
	struct journeys *js = &w->journeys;
	int keep = 0;

	for (int i = 0; i < js->n; i++) {
		struct journey *j = &js->v[i];

		/* UINT64_MAX with idle 0: only the oldest, to make room. */
		if (now_ns == UINT64_MAX ? i == 0 : !idle_ns || now_ns - j->last_ts >= idle_ns) {
			if (j->nhops)
				tell_journey(w, j);
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
