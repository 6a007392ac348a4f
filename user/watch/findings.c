/* Findings: the sentences an engineer would write after reading the
 * counters, built from exact counts plus the discovered topology. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksyms.h"
#include "reasons.h"
#include "watch.h"

struct fl {
	struct finding *v;
	int n;
};

static struct finding *add(struct fl *l, const char *kind, uint64_t netns, uint64_t count)
{
	struct finding *v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	l->v = v;
	v = &l->v[l->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->kind, sizeof(v->kind), "%s", kind);
	v->netns = netns;
	v->count = count;
	return v;
}

static const struct live_link *link_of(const struct watch *w, uint64_t ns, int ifindex)
{
	const struct live_ns *n = live_ns_by_inode(&w->lt, ns);

	return n ? live_link_by_index(n, ifindex) : NULL;
}

/* The namespace that owns ADDR, or 0. */
static uint64_t owner(const struct watch *w, int family, const unsigned char *addr)
{
	size_t len = family == 10 ? 16 : 4;

	for (int i = 0; i < w->lt.nns; i++)
		for (int k = 0; k < w->lt.ns[i].nlinks; k++) {
			const struct live_link *l = &w->lt.ns[i].links[k];

			for (int a = 0; a < l->naddrs; a++)
				if (l->addrs[a].family == (family == 10 ? AF_INET6 : AF_INET) &&
				    !memcmp(l->addrs[a].a, addr, len))
					return w->lt.ns[i].inode;
		}
	return 0;
}

static void pair_str(int family, const unsigned char *s, const unsigned char *d, char *buf,
		     size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int af = family == 10 ? AF_INET6 : AF_INET;

	inet_ntop(af, s, a, sizeof(a));
	inet_ntop(af, d, b, sizeof(b));
	snprintf(buf, len, "%s->%s", a, b);
}

static void mtu_mismatch(struct watch *w, struct fl *l)
{
	char dev[32], pdev[32];

	for (int i = 0; i < w->st.ndrops; i++) {
		const struct drop_row *r = &w->st.drops[i];
		const char *loc = ksym_name(r->k.location);
		const struct live_link *d, *p;
		struct finding *f;
		uint64_t avg;

		if (!loc || !r->packets)
			continue;
		avg = r->bytes / r->packets;
		d = link_of(w, r->k.netns, r->k.ifindex);
		if (!d)
			continue;
		if (!strcmp(loc, "__dev_forward_skb2") || !strcmp(loc, "__dev_forward_skb")) {
			p = d->peer_ifindex ? link_of(w, d->peer_netns, d->peer_ifindex) : NULL;
			if (!p || p->mtu >= d->mtu)
				continue;
			if (!(f = add(l, "mtu_mismatch", r->k.netns, r->packets)))
				return;
			snprintf(f->text, sizeof(f->text),
				 "MTU mismatch: %s:%s (%u) -> peer %s:%s (%u); %llu frames of %llu bytes dropped "
				 "(counted on the end that sent them; fix: the same MTU on both ends)",
				 watch_ns_label(w, r->k.netns), watch_dev_name(w, r->k.netns, d->ifindex, dev, sizeof(dev)),
				 d->mtu, watch_ns_label(w, d->peer_netns),
				 watch_dev_name(w, d->peer_netns, p->ifindex, pdev, sizeof(pdev)), p->mtu,
				 (unsigned long long)r->packets, (unsigned long long)avg);
		} else if (!strcmp(loc, "br_dev_queue_push_xmit") || !strcmp(loc, "br_nf_dev_queue_xmit")) {
			if (!(f = add(l, "mtu_mismatch", r->k.netns, r->packets)))
				return;
			snprintf(f->text, sizeof(f->text),
				 "MTU mismatch on a bridge port: %s:%s (%u) cannot take %llu frames of %llu bytes "
				 "(fix: the same MTU on every port of the bridge)",
				 watch_ns_label(w, r->k.netns), watch_dev_name(w, r->k.netns, d->ifindex, dev, sizeof(dev)),
				 d->mtu, (unsigned long long)r->packets, (unsigned long long)avg);
		}
	}
}

/* A drop in NS of an ICMP error about ORIG_SRC (frag-needed / too big). */
static const struct drop_row *icmp_refused(const struct watch *w, uint64_t ns, int family,
					   const unsigned char *orig_src)
{
	for (int i = 0; i < w->st.ndrops; i++) {
		const struct drop_row *r = &w->st.drops[i];
		const struct nst_flow *f = &r->flow;
		int is_ptb = family == 10 ? f->proto == 58 && f->icmp_type == 2
					  : f->proto == 1 && f->icmp_type == 3 && f->icmp_code == 4;

		if (r->k.netns == ns && r->has_flow && f->family == family && is_ptb &&
		    !memcmp(f->dst, orig_src, family == 10 ? 16 : 4))
			return r;
	}
	return NULL;
}

/* Where the ICMP about ORIG was seen arriving: the sender's namespace? */
static const struct icmp_row *icmp_arrival(const struct watch *w, int family, const unsigned char *src,
					   const unsigned char *dst, uint64_t at_ns)
{
	const struct icmp_row *any = NULL;

	for (int i = 0; i < w->st.nicmp; i++) {
		const struct icmp_row *r = &w->st.icmp[i];

		if (r->k.family != family || memcmp(r->k.orig_src, src, 16) ||
		    memcmp(r->k.orig_dst, dst, 16))
			continue;
		if (r->k.netns == at_ns && r->k.dir == NST_INGRESS)
			return r;
		any = r;
	}
	return any;
}

static void icmp_story(struct watch *w, struct fl *l, uint64_t gen_ns, int family,
		       const unsigned char *src, const unsigned char *dst, unsigned int mtu,
		       uint64_t count, const char *what)
{
	uint64_t sender = owner(w, family, src);
	const struct icmp_row *seen = icmp_arrival(w, family, src, dst, sender);
	const struct drop_row *refused = sender ? icmp_refused(w, sender, family, src) : NULL;
	char flow[100], dev[32], tail[200];
	struct finding *f;

	pair_str(family, src, dst, flow, sizeof(flow));
	if (refused) {
		f = add(l, "pmtu_blackhole", sender, count);
		if (f)
			snprintf(f->text, sizeof(f->text),
				 "PMTU blackhole: %s generated %llu %s (MTU %u) for %s's flow %s; %s never "
				 "accepted them (%s in %s, %llu dropped) and keeps sending too-big packets "
				 "(fix: let ICMP type 3 code 4 / ICMPv6 type 2 in)",
				 gen_ns ? watch_ns_label(w, gen_ns) : "the path", (unsigned long long)count,
				 what, mtu, watch_ns_label(w, sender), flow, watch_ns_label(w, sender),
				 reason_name(refused->k.reason), watch_ns_label(w, sender),
				 (unsigned long long)refused->packets);
		return;
	}
	if (seen && seen->k.netns == sender && sender)
		snprintf(tail, sizeof(tail), "delivered to %s (seen at %s:%s)", watch_ns_label(w, sender),
			 watch_ns_label(w, sender), watch_dev_name(w, sender, seen->k.ifindex, dev, sizeof(dev)));
	else if (seen)
		snprintf(tail, sizeof(tail), "seen at %s:%s, not at the sender", watch_ns_label(w, seen->k.netns),
			 watch_dev_name(w, seen->k.netns, seen->k.ifindex, dev, sizeof(dev)));
	else
		snprintf(tail, sizeof(tail), "not seen on any watched port");
	f = add(l, family == 10 ? "packet_too_big" : "frag_needed", gen_ns ? gen_ns : sender, count);
	if (f)
		snprintf(f->text, sizeof(f->text), "%s %s %s (MTU %u) for %s (%llu %s); %s",
			 gen_ns ? watch_ns_label(w, gen_ns) : "the path",
			 gen_ns ? "generated" : "sent", what, mtu, flow, (unsigned long long)count,
			 count == 1 ? "time" : "times", tail);
}

int findings_build(struct watch *w, struct finding **out)
{
	struct fl l = { 0 };

	mtu_mismatch(w, &l);
	for (int i = 0; i < w->st.ngen; i++) {
		const struct gen_row *g = &w->st.gen[i];

		if (g->k.type == 3 && g->k.code == 4 && g->count)
			icmp_story(w, &l, g->k.netns, g->k.family, g->k.orig_src, g->k.orig_dst,
				   g->k.mtu, g->count, "frag-needed");
	}
	/* IPv6 has no icmp_send tracepoint: the wire tells who sent it. */
	for (int i = 0; i < w->st.nicmp; i++) {
		const struct icmp_row *r = &w->st.icmp[i];
		int dup = 0;

		if (r->k.family != 10 || r->k.type != 2 || r->k.dir != NST_EGRESS)
			continue;
		for (int k = 0; k < i; k++)
			dup |= w->st.icmp[k].k.family == 10 && w->st.icmp[k].k.dir == NST_EGRESS &&
			       !memcmp(w->st.icmp[k].k.orig_src, r->k.orig_src, 16) &&
			       !memcmp(w->st.icmp[k].k.orig_dst, r->k.orig_dst, 16);
		/* The first port it left through is in the namespace that sent it. */
		if (!dup)
			icmp_story(w, &l, r->k.netns, 10, r->k.orig_src, r->k.orig_dst, r->k.mtu,
				   r->count, "Packet Too Big");
	}
	*out = l.v;
	return l.n;
}
