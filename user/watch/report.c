/* What watch shows: the plan, stories (lines or JSON), the live terminal
 * view, and the summary. Numbers come from stats.c, never from stories. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "json.h"
#include "latency.h"
#include "ksyms.h"
#include "reasons.h"
#include "watch.h"

static const char *proto_name(int p)
{
	switch (p) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 58: return "icmp6";
	case 132: return "sctp";
	case 0: return "ipv6-hop-by-hop";
	case 2: return "igmp";
	default: return NULL;
	}
}

static void addr_str(const struct nst_flow *f, const unsigned char *a, char *buf, size_t len)
{
	inet_ntop(f->family == 10 ? AF_INET6 : AF_INET, a, buf, len);
}

void report_flow_str(const struct nst_flow *f, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	const char *pn = proto_name(f->proto);
	int v6 = f->family == 10;

	if (!f->family) {
		if (f->l3proto == 0x0806)
			snprintf(buf, len, "arp");
		else
			snprintf(buf, len, "ethertype 0x%04x", f->l3proto);
		return;
	}
	addr_str(f, f->src, s, sizeof(s));
	addr_str(f, f->dst, d, sizeof(d));
	if (f->proto == 6 || f->proto == 17)
		snprintf(buf, len, v6 ? "%s [%s]:%u -> [%s]:%u" : "%s %s:%u -> %s:%u",
			 pn, s, f->sport, d, f->dport);
	else if (f->proto == 1 || f->proto == 58)
		snprintf(buf, len, "%s %s -> %s type %u code %u", pn, s, d, f->icmp_type,
			 f->icmp_code);
	else if (pn)
		snprintf(buf, len, "%s %s -> %s", pn, s, d);
	else
		snprintf(buf, len, "proto %u %s -> %s", f->proto, s, d);
}

const char *report_location(uint64_t location)
{
	static char buf[4][24];
	static int slot;
	const char *s = ksym_name(location);

	if (s)
		return s;
	snprintf(buf[slot % 4], sizeof(buf[0]), "0x%llx", (unsigned long long)location);
	return buf[slot++ % 4];
}

/* "blue:veth-blue", or "blue" when the device is unknown. */
const char *report_where(const struct watch *w, uint32_t netns, uint32_t ifindex, char *buf,
			 size_t len)
{
	char dev[32];

	if (ifindex)
		snprintf(buf, len, "%s:%s", watch_ns_label(w, netns),
			 watch_dev_name(w, netns, ifindex, dev, sizeof(dev)));
	else
		snprintf(buf, len, "%s", watch_ns_label(w, netns));
	return buf;
}

static void clock_str(const struct watch *w, uint64_t ts, char *buf, size_t len)
{
	double real = ts / 1e9 + w->mono_to_real;
	time_t t = (time_t)real;
	struct tm tm;

	localtime_r(&t, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)((real - t) * 1000));
}

static const char *drop_hint(const char *reason, const char *loc, const struct nst_flow *f,
			     int *benign)
{
	const char *b = reason_benign(reason, loc, f ? f->family : 0,
				      f ? f->dst : (const unsigned char *)"\0");

	*benign = b != NULL;
	return b ? b : reason_hint(reason, loc);
}

/* A drop row's reason, freeing function and hint, named once for all views. */
const char *report_drop_words(const struct drop_row *r, const char **reason, const char **loc,
			     int *benign)
{
	*reason = reason_name(r->k.reason);
	*loc = report_location(r->k.location);
	return drop_hint(*reason, *loc, r->has_flow ? &r->flow : NULL, benign);
}

static void json_flow(FILE *o, const struct nst_flow *f)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	const char *pn = proto_name(f->proto);

	if (!f->family) {
		fprintf(o, ",\"proto\":\"%s\"", f->l3proto == 0x0806 ? "arp" : "other");
		return;
	}
	addr_str(f, f->src, s, sizeof(s));
	addr_str(f, f->dst, d, sizeof(d));
	if (pn)
		fprintf(o, ",\"proto\":\"%s\"", pn);
	else
		fprintf(o, ",\"proto\":\"%u\"", f->proto);
	fprintf(o, ",\"src\":\"%s\",\"dst\":\"%s\"", s, d);
	if (f->proto == 6 || f->proto == 17)
		fprintf(o, ",\"sport\":%u,\"dport\":%u", f->sport, f->dport);
	if (f->proto == 1 || f->proto == 58)
		fprintf(o, ",\"icmp_type\":%u,\"icmp_code\":%u", f->icmp_type, f->icmp_code);
}

static void json_place(FILE *o, const struct watch *w, uint32_t netns, uint32_t ifindex)
{
	char dev[32];

	fprintf(o, "\"netns\":");
	json_str(o, watch_ns_label(w, netns));
	fprintf(o, ",\"netns_inode\":%u,\"dev\":", netns);
	json_str(o, ifindex ? watch_dev_name(w, netns, ifindex, dev, sizeof(dev)) : "");
	fprintf(o, ",\"ifindex\":%u", ifindex);
}

void report_plan(struct watch *w)
{
	FILE *o = w->out;
	char dev[32];

	if (w->o.quiet)
		return;
	if (w->o.mode == REPORT_JSON) {
		fprintf(o, "{\"type\":\"plan\",\"namespaces\":[");
		for (int i = 0; i < w->plan.nns; i++) {
			fprintf(o, "%s{\"netns\":", i ? "," : "");
			json_str(o, watch_ns_label(w, w->plan.ns[i].inode));
			fprintf(o, ",\"netns_inode\":%llu,\"filter\":\"%s\"}",
				(unsigned long long)w->plan.ns[i].inode,
				w->plan.ns[i].mode == NST_NS_ALL ? "all" : "addresses");
		}
		fprintf(o, "],\"ports\":[");
		for (int i = 0; i < w->plan.nports; i++) {
			fprintf(o, "%s{", i ? "," : "");
			json_place(o, w, w->plan.ports[i].netns, w->plan.ports[i].ifindex);
			fprintf(o, ",\"mtu\":%u}", w->plan.ports[i].mtu);
		}
		fprintf(o, "],\"tc\":\"%s\"", w->att.used_legacy ? "clsact" : "tcx");
		if (w->metrics.fd >= 0)
			fprintf(o, ",\"metrics\":\"http://%s/metrics\"", w->metrics.url);
		fprintf(o, "}\n");
		fflush(o);
		return;
	}
	fprintf(o, "nstrace: watching %d namespace%s, %d port%s (tc %s, both directions)\n",
		w->plan.nns, w->plan.nns == 1 ? "" : "s", w->plan.nports,
		w->plan.nports == 1 ? "" : "s", w->att.used_legacy ? "clsact" : "tcx");
	for (int i = 0; i < w->plan.nns; i++) {
		uint64_t ino = w->plan.ns[i].inode;

		fprintf(o, "  %-16s", watch_ns_label(w, ino));
		for (int k = 0; k < w->plan.nports; k++)
			if (w->plan.ports[k].netns == ino)
				fprintf(o, " %s", watch_dev_name(w, ino, w->plan.ports[k].ifindex,
								 dev, sizeof(dev)));
		fprintf(o, "%s\n", w->plan.ns[i].mode == NST_NS_ALL ? "" :
			"   (only the targets' traffic)");
	}
	if (w->o.filter.proto || w->o.filter.port || w->o.filter.net.family) {
		char fs[128];

		filter_str(&w->o.filter, fs, sizeof(fs));
		fprintf(o, "  filter: %s\n", fs);
	}
	if (w->metrics.fd >= 0)
		fprintf(o, "  metrics: http://%s/metrics\n", w->metrics.url);
	fflush(o);
}

/* A story line: kept for the live view, printed at once with --lines. */
static void tell(struct watch *w, const char *text)
{
	snprintf(w->stories[w->nstories % WATCH_STORIES], sizeof(w->stories[0]), "%.199s", text);
	w->nstories++;
	if (w->o.mode == REPORT_LINES) {
		fprintf(w->out, "%s\n", text);
		fflush(w->out);
	}
}

/* Now, on the clock the kernel stamps events with (CLOCK_MONOTONIC ns). */
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void report_event(struct watch *w, const struct nst_event *e)
{
	char place[96], flow[160], clk[16], line[400];
	FILE *o = w->out;

	report_where(w, e->netns, e->ifindex, place, sizeof(place));
	report_flow_str(&e->flow, flow, sizeof(flow));
	clock_str(w, e->ts, clk, sizeof(clk));
	if (e->type == NST_EV_DROP) {
		const char *reason = reason_name(e->reason), *loc = report_location(e->location);
		int benign;
		const char *hint = drop_hint(reason, loc, &e->flow, &benign);

		if (w->o.mode == REPORT_JSON) {
			fprintf(o, "{\"type\":\"drop\",\"ts\":%.6f,", e->ts / 1e9 + w->mono_to_real);
			json_place(o, w, e->netns, e->ifindex);
			fprintf(o, ",\"reason\":\"%s\",\"location\":", reason);
			json_str(o, loc);
			json_flow(o, &e->flow);
			fprintf(o, ",\"len\":%u,\"segs\":%u,\"benign\":%s,\"hint\":", e->len, e->segs,
				benign ? "true" : "false");
			json_str(o, hint ? hint : "");
			fprintf(o, "}\n");
			return;
		}
		/* Healthy traffic's drops are counted, not told (--benign tells). */
		if (benign && !w->o.show_benign) {
			w->st.untold++;
			return;
		}
		snprintf(line, sizeof(line), "%s DROP  %s %s at %s: %s len %u%s%s%s", clk, place,
			 reason, loc, flow, e->len, hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
	} else if (e->type == NST_EV_ICMP_WIRE || e->type == NST_EV_ICMP_SENT) {
		int wire = e->type == NST_EV_ICMP_WIRE;
		const char *what = e->flow.family == 10 ? "Packet Too Big" :
				   e->icmp_type == 3 && e->icmp_code == 4 ? "frag-needed" : "ICMP error";

		if (w->o.mode == REPORT_JSON) {
			fprintf(o, "{\"type\":\"icmp\",\"event\":\"%s\",\"ts\":%.6f,",
				wire ? "seen" : "generated", e->ts / 1e9 + w->mono_to_real);
			json_place(o, w, e->netns, e->ifindex);
			if (wire)
				fprintf(o, ",\"direction\":\"%s\"", e->dir == NST_INGRESS ? "ingress" : "egress");
			fprintf(o, ",\"icmp_type\":%u,\"icmp_code\":%u,\"mtu\":%u,\"orig\":{\"family\":%u",
				e->icmp_type, e->icmp_code, e->mtu, e->flow.family == 10 ? 6 : 4);
			json_flow(o, &e->flow);
			fprintf(o, "}}\n");
			return;
		}
		if (wire)
			snprintf(line, sizeof(line), "%s ICMP  %s %s %s (MTU %u) about %s", clk, place,
				 e->dir == NST_INGRESS ? "received" : "sent", what, e->mtu, flow);
		else
			snprintf(line, sizeof(line), "%s ICMP  %s generated type %u code %u%s about %s",
				 clk, place, e->icmp_type, e->icmp_code,
				 e->icmp_type == 3 && e->icmp_code == 4 ? " (frag-needed)" : "", flow);
		if (e->mtu && !wire)
			snprintf(line + strlen(line), sizeof(line) - strlen(line), " (route MTU %u)", e->mtu);
	} else {
		int sent = e->type == NST_EV_RESET_SENT;

		if (w->o.mode == REPORT_JSON) {
			fprintf(o, "{\"type\":\"reset\",\"direction\":\"%s\",\"ts\":%.6f,",
				sent ? "sent" : "received", e->ts / 1e9 + w->mono_to_real);
			json_place(o, w, e->netns, e->ifindex);
			fprintf(o, ",\"port\":%u", e->port);
			json_flow(o, &e->flow);
			fprintf(o, "}\n");
			return;
		}
		snprintf(line, sizeof(line), "%s RESET %s %s on port %u: %s (%s)", clk, place,
			 sent ? "sent" : "received", e->port, flow,
			 sent ? "connection refused or aborted here" : "the peer reset the connection");
	}
	tell(w, line);
}

void report_event_comment(struct watch *w, const struct nst_event *e, char *buf, size_t len)
{
	char place[96], dev[32];
	const char *dir = e->dir == NST_INGRESS ? "ingress" : "egress";

	if (e->ifindex)
		snprintf(place, sizeof(place), "in %s on %s", watch_ns_label(w, e->netns),
			 watch_dev_name(w, e->netns, e->ifindex, dev, sizeof(dev)));
	else
		snprintf(place, sizeof(place), "in %s", watch_ns_label(w, e->netns));
	switch (e->type) {
	case NST_EV_DROP:
		snprintf(buf, len, "drop %s at %s %s", reason_name(e->reason),
			 report_location(e->location), place);
		break;
	case NST_EV_RESET_SENT:
		snprintf(buf, len, "answered with a TCP reset %s", place);
		break;
	case NST_EV_ICMP_WIRE:
		snprintf(buf, len, "ICMP type %u code %u (MTU %u) %s %s", e->icmp_type, e->icmp_code,
			 e->mtu, place, dir);
		break;
	case NST_EV_ICMP_SENT:
		snprintf(buf, len, "caused ICMP type %u code %u %s", e->icmp_type, e->icmp_code, place);
		if (e->mtu)
			snprintf(buf + strlen(buf), len - strlen(buf), ": route MTU %u", e->mtu);
		break;
	default:
		snprintf(buf, len, "seen %s %s", place, dir);
	}
	if (e->data_kind == NST_DATA_NET)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s",
			 " (captured from the IP header; MACs are zero)");
}

void report_note(struct watch *w, const char *text)
{
	uint64_t ts = now_ns();
	char clk[16], line[300];

	if (w->o.mode == REPORT_JSON) {
		fprintf(w->out, "{\"type\":\"note\",\"ts\":%.6f,\"text\":", ts / 1e9 + w->mono_to_real);
		json_str(w->out, text);
		fprintf(w->out, "}\n");
		fflush(w->out);
		return;
	}
	clock_str(w, ts, clk, sizeof(clk));
	snprintf(line, sizeof(line), "%s NOTE  %s", clk, text);
	tell(w, line);
}

void report_link(struct watch *w, uint64_t netns, const char *dev, const char *event,
		 unsigned int old_mtu, unsigned int mtu)
{
	uint64_t ts = now_ns();
	char clk[16], line[300];

	if (w->o.mode == REPORT_JSON) {
		fprintf(w->out, "{\"type\":\"link\",\"ts\":%.6f,\"netns\":", ts / 1e9 + w->mono_to_real);
		json_str(w->out, watch_ns_label(w, netns));
		fprintf(w->out, ",\"netns_inode\":%llu,\"dev\":", (unsigned long long)netns);
		json_str(w->out, dev);
		fprintf(w->out, ",\"event\":\"%s\",\"old_mtu\":%u,\"mtu\":%u}\n", event, old_mtu, mtu);
		fflush(w->out);
		return;
	}
	clock_str(w, ts, clk, sizeof(clk));
	if (!strcmp(event, "mtu"))
		snprintf(line, sizeof(line), "%s LINK  %s:%s MTU %u -> %u", clk,
			 watch_ns_label(w, netns), dev, old_mtu, mtu);
	else
		snprintf(line, sizeof(line), "%s LINK  %s:%s %s", clk, watch_ns_label(w, netns), dev,
			 !strcmp(event, "new") ? "appeared" : event);
	tell(w, line);
}

/* What needs attention first: real drops before benign ones, then by count. */
static int cmp_drop(const void *a, const void *b)
{
	const struct drop_row *x = a, *y = b;
	const char *reason, *loc;
	int bx, by;

	report_drop_words(x, &reason, &loc, &bx);
	report_drop_words(y, &reason, &loc, &by);

	if (bx != by)
		return bx - by;
	return x->packets < y->packets ? 1 : x->packets > y->packets ? -1 : 0;
}

static uint64_t port_drops(const struct watch *w, uint32_t netns, uint32_t ifindex)
{
	uint64_t n = 0;

	for (int i = 0; i < w->st.ndrops; i++)
		if (w->st.drops[i].k.netns == netns && w->st.drops[i].k.ifindex == ifindex)
			n += w->st.drops[i].packets;
	return n;
}

/* ---- summary ---- */

static void findings_text(struct watch *w, FILE *o, int width)
{
	struct finding *f = NULL;
	int n = findings_build(w, &f);

	if (n)
		fprintf(o, "FINDINGS\n");
	for (int i = 0; i < n; i++)
		fprintf(o, "  %.*s\n", width - 2, f[i].text);
	free(f);
}

static void summary_json(struct watch *w)
{
	FILE *o = w->out;
	int first = 1;

	fprintf(o, "{\"type\":\"summary\",\"duration_s\":%.3f,\"targets\":[", watch_now() - w->start);
	for (int i = 0; i < w->ntargets; i++) {
		fprintf(o, "%s", i ? "," : "");
		json_str(o, watch_ns_label(w, w->targets[i]));
	}
	fprintf(o, "],\"drops\":[");
	for (int i = 0; i < w->st.ndrops; i++) {
		const struct drop_row *r = &w->st.drops[i];
		const char *reason, *loc;
		int benign;
		const char *hint = report_drop_words(r, &reason, &loc, &benign);

		if (!r->packets)
			continue;
		fprintf(o, "%s{", first ? "" : ",");
		first = 0;
		json_place(o, w, r->k.netns, r->k.ifindex);
		fprintf(o, ",\"reason\":\"%s\",\"location\":", reason);
		json_str(o, loc);
		fprintf(o, ",\"count\":%llu,\"segs\":%llu,\"bytes\":%llu,\"benign\":%s,\"hint\":",
			(unsigned long long)r->packets, (unsigned long long)r->segs,
			(unsigned long long)r->bytes, benign ? "true" : "false");
		json_str(o, hint ? hint : "");
		fprintf(o, "}");
	}
	fprintf(o, "],\"resets\":[");
	for (int i = 0; i < w->st.nresets; i++) {
		const struct reset_row *r = &w->st.resets[i];

		fprintf(o, "%s{", i ? "," : "");
		json_place(o, w, r->k.netns, r->k.ifindex);
		fprintf(o, ",\"direction\":\"%s\",\"port\":%u,\"count\":%llu}",
			r->k.type == NST_EV_RESET_SENT ? "sent" : "received", r->k.port,
			(unsigned long long)r->count);
	}
	fprintf(o, "],\"ports\":[");
	for (int i = 0; i < w->st.nports; i++) {
		const struct port_row *r = &w->st.ports[i];

		fprintf(o, "%s{", i ? "," : "");
		json_place(o, w, r->k.netns, r->k.ifindex);
		fprintf(o, ",\"rx_packets\":%llu,\"rx_bytes\":%llu,\"tx_packets\":%llu,"
			"\"tx_bytes\":%llu,\"drops\":%llu}",
			(unsigned long long)r->rx_packets, (unsigned long long)r->rx_bytes,
			(unsigned long long)r->tx_packets, (unsigned long long)r->tx_bytes,
			(unsigned long long)port_drops(w, r->k.netns, r->k.ifindex));
	}
	fprintf(o, "],\"icmp\":[");
	for (int i = 0; i < w->st.nicmp; i++) {
		const struct icmp_row *r = &w->st.icmp[i];
		char a[64], b[64];
		int af = r->k.family == 10 ? AF_INET6 : AF_INET;

		inet_ntop(af, r->k.orig_src, a, sizeof(a));
		inet_ntop(af, r->k.orig_dst, b, sizeof(b));
		fprintf(o, "%s{", i ? "," : "");
		json_place(o, w, r->k.netns, r->k.ifindex);
		fprintf(o, ",\"direction\":\"%s\",\"type\":%u,\"code\":%u,\"mtu\":%u,"
			"\"orig_src\":\"%s\",\"orig_dst\":\"%s\",\"count\":%llu}",
			r->k.dir == NST_INGRESS ? "ingress" : "egress", r->k.type, r->k.code, r->k.mtu,
			a, b, (unsigned long long)r->count);
	}
	fprintf(o, "],\"icmp_generated\":[");
	for (int i = 0; i < w->st.ngen; i++) {
		const struct gen_row *r = &w->st.gen[i];
		char a[64] = "", b[64] = "";
		int af = r->k.family == 10 ? AF_INET6 : AF_INET;

		if (r->k.family) {
			inet_ntop(af, r->k.orig_src, a, sizeof(a));
			inet_ntop(af, r->k.orig_dst, b, sizeof(b));
		}
		fprintf(o, "%s{\"netns\":", i ? "," : "");
		json_str(o, watch_ns_label(w, r->k.netns));
		fprintf(o, ",\"netns_inode\":%u,\"type\":%u,\"code\":%u,\"mtu\":%u,"
			"\"orig_src\":\"%s\",\"orig_dst\":\"%s\",\"count\":%llu}",
			r->k.netns, r->k.type, r->k.code, r->k.mtu, a, b, (unsigned long long)r->count);
	}
	fprintf(o, "],\"latency\":[");
	latency_json(w, o);
	fprintf(o, "],\"findings\":[");
	{
		struct finding *f = NULL;
		int nf = findings_build(w, &f);

		for (int i = 0; i < nf; i++) {
			fprintf(o, "%s{\"type\":\"finding\",\"kind\":\"%s\",\"netns\":", i ? "," : "",
				f[i].kind);
			json_str(o, watch_ns_label(w, f[i].netns));
			fprintf(o, ",\"count\":%llu,\"text\":", (unsigned long long)f[i].count);
			json_str(o, f[i].text);
			fprintf(o, "}");
		}
		free(f);
	}
	fprintf(o, "],\"events\":%llu,\"events_not_shown\":%llu,\"counts_lost\":%llu",
		(unsigned long long)w->st.stories, (unsigned long long)w->st.rb_full,
		(unsigned long long)w->st.map_full);
	if (w->pcap.f)
		fprintf(o, ",\"pcap_packets\":%llu", (unsigned long long)w->pcap.packets);
	fprintf(o, "}\n");
}

/* Two lines a row, so it fits 80 columns:
 *   blue:veth-blue          NO_SOCKET               3     1.0/s  at tcp_v4_rcv
 *       tcp 10.0.0.1:38462 -> 10.0.0.2:81: nothing listens on that port */
static void drops_table(struct watch *w, FILE *o, int max, int width, int live)
{
	char place[96], line[512], flow[160], rate[16];
	int shown = 0;

	qsort(w->st.drops, w->st.ndrops, sizeof(*w->st.drops), cmp_drop);
	for (int i = 0; i < w->st.ndrops && shown < max; i++) {
		const struct drop_row *r = &w->st.drops[i];
		const char *reason, *loc;
		int benign;
		const char *hint = report_drop_words(r, &reason, &loc, &benign);

		if (!r->packets)
			continue;
		report_where(w, r->k.netns, r->k.ifindex, place, sizeof(place));
		if (benign && !w->o.show_benign) {
			snprintf(line, sizeof(line), "  %-24s %-18s %9llu   benign: %s", place, reason,
				 (unsigned long long)r->packets, hint);
			fprintf(o, "%.*s\n", width, line);
			shown++;
			continue;
		}
		rate[0] = 0;
		if (live)
			snprintf(rate, sizeof(rate), "%7.1f/s", r->rate);
		snprintf(line, sizeof(line), "  %-24s %-18s %9llu %s  at %s", place, reason,
			 (unsigned long long)r->packets, rate, loc);
		fprintf(o, "%.*s\n", width, line);
		flow[0] = 0;
		if (r->has_flow)
			report_flow_str(&r->flow, flow, sizeof(flow));
		if (r->segs != r->packets)
			snprintf(flow + strlen(flow), sizeof(flow) - strlen(flow),
				 " (%llu GSO segments)", (unsigned long long)r->segs);
		snprintf(line, sizeof(line), "      %s%s%s", flow, flow[0] && hint ? ": " : "",
			 hint ? hint : "");
		if (flow[0] || hint)
			fprintf(o, "%.*s\n", width, line);
		shown++;
	}
	if (!shown)
		fprintf(o, "  none\n");
}

static void resets_table(struct watch *w, FILE *o, int width)
{
	char place[96], flow[160], line[400];

	for (int i = 0; i < w->st.nresets; i++) {
		const struct reset_row *r = &w->st.resets[i];

		report_where(w, r->k.netns, r->k.ifindex, place, sizeof(place));
		flow[0] = 0;
		if (r->has_flow)
			report_flow_str(&r->flow, flow, sizeof(flow));
		snprintf(line, sizeof(line), "  %-24s %-8s port %-5u %9llu  %s", place,
			 r->k.type == NST_EV_RESET_SENT ? "sent" : "received", r->k.port,
			 (unsigned long long)r->count, flow);
		fprintf(o, "%.*s\n", width, line);
	}
}

static void ports_table(struct watch *w, FILE *o, int max, int width)
{
	char place[96], line[256];

	for (int i = 0; i < w->st.nports && i < max; i++) {
		const struct port_row *r = &w->st.ports[i];

		report_where(w, r->k.netns, r->k.ifindex, place, sizeof(place));
		snprintf(line, sizeof(line), "  %-30s %11llu %11llu %9llu", place,
			 (unsigned long long)r->rx_packets, (unsigned long long)r->tx_packets,
			 (unsigned long long)port_drops(w, r->k.netns, r->k.ifindex));
		fprintf(o, "%.*s\n", width, line);
	}
}

void report_summary(struct watch *w)
{
	FILE *o = w->out;

	if (w->o.mode == REPORT_JSON) {
		summary_json(w);
		return;
	}
	fprintf(o, "\nnstrace: summary after %.1f s\n", watch_now() - w->start);
	findings_text(w, o, 4096);
	fprintf(o, "DROPS (exact counts)       REASON                 COUNT\n");
	drops_table(w, o, 1000, 4096, 0);
	if (w->st.nresets) {
		fprintf(o, "TCP RESETS\n");
		resets_table(w, o, 4096);
	}
	fprintf(o, "PORTS                               RX PACKETS  TX PACKETS     DROPS\n");
	ports_table(w, o, 1000, 4096);
	latency_text(w, o, w->cols > 40 ? w->cols : 80, 1000, w->o.hist);
	fprintf(o, "stories read: %llu", (unsigned long long)w->st.stories);
	if (w->st.untold)
		fprintf(o, " (%llu of them benign, not printed)", (unsigned long long)w->st.untold);
	fprintf(o, ", events not shown: %llu", (unsigned long long)w->st.rb_full);
	if (w->st.map_full)
		fprintf(o, ", counts lost (counter maps full): %llu", (unsigned long long)w->st.map_full);
	fputc('\n', o);
	if (w->pcap.f)
		fprintf(o, "pcap: %llu packets written to %s\n", (unsigned long long)w->pcap.packets,
			w->o.pcap);
	fflush(o);
}

/* ---- the live terminal view ---- */

static int use_color(void)
{
	const char *nc = getenv("NO_COLOR");

	return !(nc && *nc);
}

void report_tty_begin(struct watch *w)
{
	/* Alternate screen, no cursor; report_tty_end puts both back. */
	fprintf(w->out, "\033[?1049h\033[?25l");
	fflush(w->out);
}

void report_tty_end(struct watch *w)
{
	fprintf(w->out, "\033[?25h\033[?1049l");
	fflush(w->out);
}

void report_live(struct watch *w)
{
	int cols = w->cols > 20 ? w->cols : 80, rows = w->rows > 10 ? w->rows : 24;
	const char *b = use_color() ? "\033[1m" : "", *n = use_color() ? "\033[0m" : "";
	double up = watch_now() - w->start;
	int lines = 0, nrecent;
	char line[512], *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);

	if (!o)
		return;
	/* What matters most first: a narrow terminal cuts the end. */
	snprintf(line, sizeof(line), "nstrace watch  %d ns, %d ports (%s)  up %02d:%02d  "
		 "not shown: %llu  %.0f stories/s",
		 w->plan.nns, w->plan.nports, w->att.used_legacy ? "clsact" : "tcx",
		 (int)up / 60, (int)up % 60, (unsigned long long)w->st.rb_full, w->story_rate);
	fprintf(o, "%s%.*s%s\n", b, cols, line, n);
	findings_text(w, o, cols);
	fprintf(o, "%s%.*s%s\n", b, cols, "PORTS                               RX PACKETS  TX PACKETS     DROPS", n);
	ports_table(w, o, rows / 4, cols);
	fprintf(o, "%s%.*s%s\n", b, cols, "DROPS (exact counts)       REASON                 COUNT     RATE", n);
	drops_table(w, o, rows / 8 > 1 ? rows / 8 : 1, cols, 1);
	if (w->st.nresets) {
		fprintf(o, "%s%.*s%s\n", b, cols, "TCP RESETS", n);
		resets_table(w, o, cols);
	}
	latency_text(w, o, cols, rows / 10 > 1 ? rows / 10 : 1, 0);
	fprintf(o, "%s%.*s%s\n", b, cols, "RECENT", n);
	fclose(o);
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	/* Clear and redraw in one write, so the screen does not flicker. */
	fprintf(w->out, "\033[H\033[2J%s", buf);
	free(buf);
	nrecent = rows - lines - 1;
	if (nrecent > w->nstories)
		nrecent = w->nstories;
	if (nrecent > WATCH_STORIES)
		nrecent = WATCH_STORIES;
	for (int i = w->nstories - (nrecent > 0 ? nrecent : 0); i < w->nstories; i++)
		fprintf(w->out, "%.*s\n", cols, w->stories[i % WATCH_STORIES]);
	fflush(w->out);
}
