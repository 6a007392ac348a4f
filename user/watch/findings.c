/* Findings: the sentences an engineer would write after reading the
 * counters, built from exact counts plus the discovered topology. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "findings.h"
#include "ksyms.h"
#include "reasons.h"

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

static const struct live_link *link_of(const struct watch_view *v, uint64_t ns, int ifindex)
{
	const struct live_ns *n = live_ns_by_inode(v->lt, ns);

	return n ? live_link_by_index(n, ifindex) : NULL;
}


static void pair_str(int family, const unsigned char *s, const unsigned char *d, char *buf,
		     size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	snprintf(buf, len, "%s->%s", names_addr(family, s, a, sizeof(a)),
		 names_addr(family, d, b, sizeof(b)));
}

static void mtu_mismatch(const struct watch_view *v, struct fl *l)
{
	const struct names *nm = v->names;

	for (int i = 0; i < v->st->ndrops; i++) {
		const struct drop_row *r = &v->st->drops[i];
		const char *loc = ksym_name(r->k.location);
		const struct live_link *d, *p;
		struct finding *f;
		uint64_t avg;

		if (!loc || !r->packets)
			continue;
		avg = r->bytes / r->packets;
		d = link_of(v, r->k.netns, r->k.ifindex);
		if (!d)
			continue;
		if (!strcmp(loc, "__dev_forward_skb2") || !strcmp(loc, "__dev_forward_skb")) {
			p = d->peer_ifindex ? link_of(v, d->peer_netns, d->peer_ifindex) : NULL;
			if (!p || p->mtu >= d->mtu)
				continue;
			if (!(f = add(l, "mtu_mismatch", r->k.netns, r->packets)))
				return;
			snprintf(f->text, sizeof(f->text),
				 "MTU mismatch: %s:%s (%u) -> peer %s:%s (%u); %llu frames of %llu bytes dropped "
				 "(counted on the end that sent them; fix: the same MTU on both ends)",
				 names_ns(nm, r->k.netns, NAME_BUF), names_dev(nm, r->k.netns, d->ifindex, NAME_BUF),
				 d->mtu, names_ns(nm, d->peer_netns, NAME_BUF),
				 names_dev(nm, d->peer_netns, p->ifindex, NAME_BUF), p->mtu,
				 (unsigned long long)r->packets, (unsigned long long)avg);
		} else if (!strcmp(loc, "br_dev_queue_push_xmit") || !strcmp(loc, "br_nf_dev_queue_xmit")) {
			if (!(f = add(l, "mtu_mismatch", r->k.netns, r->packets)))
				return;
			snprintf(f->text, sizeof(f->text),
				 "MTU mismatch on a bridge port: %s:%s (%u) cannot take %llu frames of %llu bytes "
				 "(fix: the same MTU on every port of the bridge)",
				 names_ns(nm, r->k.netns, NAME_BUF), names_dev(nm, r->k.netns, d->ifindex, NAME_BUF),
				 d->mtu, (unsigned long long)r->packets, (unsigned long long)avg);
		}
	}
}

/* A drop in NS of an ICMP error about ORIG_SRC (frag-needed / too big). */
static const struct drop_row *icmp_refused(const struct watch_view *v, uint64_t ns, int family,
					   const unsigned char *orig_src)
{
	for (int i = 0; i < v->st->ndrops; i++) {
		const struct drop_row *r = &v->st->drops[i];
		const struct nst_flow *f = &r->flow;
		int is_ptb = family_is_v6(family) ? f->proto == IPPROTO_ICMPV6 && f->icmp_type == 2
						  : f->proto == IPPROTO_ICMP && f->icmp_type == 3 &&
						    f->icmp_code == 4;

		/* (a benign row: handled, then freed, as 6.1 does with ICMPv6) */
		if (r->k.netns == ns && r->has_flow && !r->words.benign && f->family == family && is_ptb &&
		    !memcmp(f->dst, orig_src, family_addr_len(family)))
			return r;
	}
	return NULL;
}

/* Where the ICMP about ORIG was seen arriving: the sender's namespace? */
static const struct icmp_row *icmp_arrival(const struct watch_view *v, int family,
					   const unsigned char *src, const unsigned char *dst,
					   uint64_t at_ns)
{
	const struct icmp_row *any = NULL;

	for (int i = 0; i < v->st->nicmp; i++) {
		const struct icmp_row *r = &v->st->icmp[i];

		if (r->k.family != family || memcmp(r->k.orig_src, src, 16) ||
		    memcmp(r->k.orig_dst, dst, 16))
			continue;
		if (r->k.netns == at_ns && r->k.dir == NST_INGRESS)
			return r;
		any = r;
	}
	return any;
}

static void icmp_story(const struct watch_view *v, struct fl *l, uint64_t gen_ns, int family,
		       const unsigned char *src, const unsigned char *dst, unsigned int mtu,
		       uint64_t count, const char *what)
{
	const struct names *nm = v->names;
	uint64_t sender = plan_addr_owner(v->plan, v->lt, family_af(family), src);
	const struct icmp_row *seen = icmp_arrival(v, family, src, dst, sender);
	const struct drop_row *refused = sender ? icmp_refused(v, sender, family, src) : NULL;
	char flow[100], tail[200], sbuf[NAME_LEN], gbuf[NAME_LEN];
	const char *sname, *gname = "the path";
	struct finding *f;

	pair_str(family, src, dst, flow, sizeof(flow));
	sname = names_ns(nm, sender, sbuf, sizeof(sbuf));
	if (gen_ns)
		gname = names_ns(nm, gen_ns, gbuf, sizeof(gbuf));
	if (refused) {
		f = add(l, "pmtu_blackhole", sender, count);
		if (f)
			snprintf(f->text, sizeof(f->text),
				 "PMTU blackhole: %s generated %llu %s (MTU %u) for %s's flow %s; %s never "
				 "accepted them (%s in %s, %llu dropped) and keeps sending too-big packets "
				 "(fix: let ICMP type 3 code 4 / ICMPv6 type 2 in)",
				 gname, (unsigned long long)count, what, mtu, sname, flow, sname,
				 reason_name(refused->k.reason), sname,
				 (unsigned long long)refused->packets);
		return;
	}
	if (seen && seen->k.netns == sender && sender)
		snprintf(tail, sizeof(tail), "delivered to %s (seen at %s:%s)", sname, sname,
			 names_dev(nm, sender, seen->k.ifindex, NAME_BUF));
	else if (seen)
		snprintf(tail, sizeof(tail), "seen at %s:%s, not at the sender",
			 names_ns(nm, seen->k.netns, NAME_BUF),
			 names_dev(nm, seen->k.netns, seen->k.ifindex, NAME_BUF));
	else
		snprintf(tail, sizeof(tail), "not seen on any watched port");
	f = add(l, family_is_v6(family) ? "packet_too_big" : "frag_needed", gen_ns ? gen_ns : sender,
		count);
	if (f)
		snprintf(f->text, sizeof(f->text), "%s %s %s (MTU %u) for %s (%llu %s); %s",
			 gname, gen_ns ? "generated" : "sent", what, mtu, flow, (unsigned long long)count,
			 count == 1 ? "time" : "times", tail);
}

int findings_build(const struct watch_view *v, struct finding **out)
{
	const struct stats *st = v->st;
	struct fl l = { 0 };

	mtu_mismatch(v, &l);
	for (int i = 0; i < st->ngen; i++) {
		const struct gen_row *g = &st->gen[i];

		if (g->k.type == 3 && g->k.code == 4 && g->count)
			icmp_story(v, &l, g->k.netns, g->k.family, g->k.orig_src, g->k.orig_dst,
				   g->k.mtu, g->count, "frag-needed");
	}
	/* IPv6 has no icmp_send tracepoint: the wire tells who sent it. */
	for (int i = 0; i < st->nicmp; i++) {
		const struct icmp_row *r = &st->icmp[i];
		int dup = 0;

		if (!family_is_v6(r->k.family) || r->k.type != 2 || r->k.dir != NST_EGRESS)
			continue;
		for (int k = 0; k < i; k++)
			dup |= family_is_v6(st->icmp[k].k.family) && st->icmp[k].k.dir == NST_EGRESS &&
			       !memcmp(st->icmp[k].k.orig_src, r->k.orig_src, 16) &&
			       !memcmp(st->icmp[k].k.orig_dst, r->k.orig_dst, 16);
		/* The first port it left through is in the namespace that sent it. */
		if (!dup)
			icmp_story(v, &l, r->k.netns, AF_INET6, r->k.orig_src, r->k.orig_dst, r->k.mtu,
				   r->count, "Packet Too Big");
	}
	*out = l.v;
	return l.n;
}
