/* Findings: the sentences an engineer would write after reading the
 * counters, built from exact counts plus the discovered topology. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "findings.h"
#include "icmp_names.h"
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

/* One ICMP error about one flow, as the findings tell it. */
struct icmp_err {
	int family, type, code;
	unsigned int mtu;
	const unsigned char *src, *dst;   /* the quoted packet's addresses */
	const unsigned char *from;        /* who sent it (seen on the wire), or NULL */
	uint64_t gen_ns;                  /* the namespace that generated it, or 0 */
	uint64_t count;
};

static int is_pmtu(const struct icmp_err *x)
{
	return family_is_v6(x->family) ? x->type == 2 : x->type == 3 && x->code == 4;
}

/* A drop in NS of the ICMP error X (sent to its quoted source). */
static const struct drop_row *icmp_refused(const struct watch_view *v, uint64_t ns,
					   const struct icmp_err *x)
{
	int proto = family_is_v6(x->family) ? IPPROTO_ICMPV6 : IPPROTO_ICMP;

	for (int i = 0; i < v->st->ndrops; i++) {
		const struct drop_row *r = &v->st->drops[i];
		const struct nst_flow *f = &r->flow;

		/* (a benign row: handled, then freed, as 6.1 does with ICMPv6) */
		if (r->k.netns == ns && r->has_flow && !r->words.benign && f->family == x->family &&
		    f->proto == proto && f->icmp_type == x->type && f->icmp_code == x->code &&
		    !memcmp(f->dst, x->src, family_addr_len(x->family)))
			return r;
	}
	return NULL;
}

static int same_error(const struct nst_icmp_key *k, const struct icmp_err *x)
{
	return k->family == x->family && k->type == x->type && k->code == x->code &&
	       !memcmp(k->orig_src, x->src, 16) && !memcmp(k->orig_dst, x->dst, 16);
}

/* Where X was seen arriving: the sender's namespace? */
static const struct icmp_row *icmp_arrival(const struct watch_view *v, const struct icmp_err *x,
					   uint64_t at_ns)
{
	const struct icmp_row *any = NULL;

	for (int i = 0; i < v->st->nicmp; i++) {
		const struct icmp_row *r = &v->st->icmp[i];

		if (!same_error(&r->k, x))
			continue;
		if (r->k.netns == at_ns && r->k.dir == NST_INGRESS)
			return r;
		any = r;
	}
	return any;
}

static void icmp_story(const struct watch_view *v, struct fl *l, const struct icmp_err *x)
{
	const struct names *nm = v->names;
	int v6 = family_is_v6(x->family), pmtu = is_pmtu(x);
	uint64_t sender = plan_addr_owner(v->plan, v->lt, family_af(x->family), x->src);
	const struct icmp_row *seen = icmp_arrival(v, x, sender);
	const struct drop_row *refused = sender ? icmp_refused(v, sender, x) : NULL;
	char flow[100], tail[200], sbuf[NAME_LEN], gbuf[NAME_LEN], what[64], whose[NAME_LEN + 8];
	const char *sname, *gname = "the path";
	unsigned long long n = (unsigned long long)x->count;
	struct finding *f;

	pair_str(x->family, x->src, x->dst, flow, sizeof(flow));
	sname = names_ns(nm, sender, sbuf, sizeof(sbuf));
	snprintf(whose, sizeof(whose), "%s's ", sname);
	if (x->gen_ns)
		gname = names_ns(nm, x->gen_ns, gbuf, sizeof(gbuf));
	else if (x->from)
		gname = names_addr(x->family, x->from, gbuf, sizeof(gbuf));
	snprintf(what, sizeof(what), "%s", icmp_error_name(v6, x->type, x->code, NAME_BUF));
	if (pmtu)
		snprintf(what + strlen(what), sizeof(what) - strlen(what), " (MTU %u)", x->mtu);
	if (refused && pmtu) {
		f = add(l, "pmtu_blackhole", sender, x->count);
		if (f)
			snprintf(f->text, sizeof(f->text),
				 "PMTU blackhole: %s generated %llu %s for %s's flow %s; %s never "
				 "accepted them (%s in %s, %llu dropped) and keeps sending too-big packets "
				 "(fix: let ICMP type 3 code 4 / ICMPv6 type 2 in)",
				 gname, n, what, sname, flow, sname, reason_name(refused->k.reason), sname,
				 (unsigned long long)refused->packets);
		return;
	}
	if (refused)
		snprintf(tail, sizeof(tail), "dropped in %s (%s at %s:%s, %llu dropped)", sname,
			 reason_name(refused->k.reason), sname,
			 names_dev(nm, sender, (int)refused->k.ifindex, NAME_BUF),
			 (unsigned long long)refused->packets);
	else if (seen && seen->k.netns == sender && sender)
		snprintf(tail, sizeof(tail), "delivered to %s (seen at %s:%s)", sname, sname,
			 names_dev(nm, sender, seen->k.ifindex, NAME_BUF));
	else if (seen)
		snprintf(tail, sizeof(tail), "seen at %s:%s, not at the sender",
			 names_ns(nm, seen->k.netns, NAME_BUF),
			 names_dev(nm, seen->k.netns, seen->k.ifindex, NAME_BUF));
	else
		snprintf(tail, sizeof(tail), "not seen on any watched port");
	f = add(l, refused ? "icmp_dropped" : pmtu ? (v6 ? "packet_too_big" : "frag_needed") :
		icmp_error_class(v6, x->type), x->gen_ns ? x->gen_ns : sender, x->count);
	if (f)
		snprintf(f->text, sizeof(f->text), "%s %s %s for %s%s (%llu %s); %s", gname,
			 x->gen_ns ? "generated" : "sent", what, sender ? whose : "", flow, n,
			 n == 1 ? "time" : "times", tail);
}

/* Errors seen only on the wire (IPv6, which has no icmp_send tracepoint,
 * and errors from namespaces not watched): one story per error, flow and
 * sender. Its count: as it left the namespace owning the sender's address,
 * else as it reached the quoted source's, else the most any port saw. */
static void wire_stories(const struct watch_view *v, struct fl *l)
{
	const struct stats *st = v->st;

	for (int i = 0; i < st->nicmp; i++) {
		const struct icmp_row *r = &st->icmp[i];
		struct icmp_err x = { r->k.family, r->k.type, r->k.code, r->k.mtu, r->k.orig_src,
				      r->k.orig_dst, r->k.from, 0, 0 };
		uint64_t out = 0, in = 0, most = 0, sender;
		int af = family_af(x.family), told = 0;

		if (r->k.netns == NS_OLDER_GONE)   /* no addresses kept: no story to tell */
			continue;
		if (!v->o->show_benign && icmp_probe_answer(family_is_v6(x.family), x.type, x.code,
							    r->k.orig_kind))
			continue;
		for (int k = 0; k < i && !told; k++)
			told = same_error(&st->icmp[k].k, &x) &&
			       !memcmp(st->icmp[k].k.from, r->k.from, 16);
		for (int k = 0; k < st->ngen && !told; k++)
			told = st->gen[k].k.family == x.family && st->gen[k].k.type == x.type &&
			       st->gen[k].k.code == x.code &&
			       !memcmp(st->gen[k].k.orig_src, x.src, 16) &&
			       !memcmp(st->gen[k].k.orig_dst, x.dst, 16);
		if (told)
			continue;
		x.gen_ns = plan_addr_owner(v->plan, v->lt, af, r->k.from);
		sender = plan_addr_owner(v->plan, v->lt, af, x.src);
		for (int k = i; k < st->nicmp; k++) {
			const struct icmp_row *o = &st->icmp[k];

			if (!same_error(&o->k, &x) || memcmp(o->k.from, r->k.from, 16))
				continue;
			if (x.gen_ns && o->k.netns == x.gen_ns && o->k.dir == NST_EGRESS)
				out += o->count;
			if (sender && o->k.netns == sender && o->k.dir == NST_INGRESS)
				in += o->count;
			most = o->count > most ? o->count : most;
		}
		x.count = out ? out : in ? in : most;
		if (!plan_has_ns(v->plan, x.gen_ns))
			x.gen_ns = 0;
		icmp_story(v, l, &x);
	}
}

int findings_build(const struct watch_view *v, struct finding **out)
{
	const struct stats *st = v->st;
	struct fl l = { 0 };

	mtu_mismatch(v, &l);
	/* IPv4 errors the watched namespaces generated (icmp_send). */
	for (int i = 0; i < st->ngen; i++) {
		const struct gen_row *g = &st->gen[i];
		struct icmp_err x = { g->k.family, g->k.type, g->k.code, g->k.mtu, g->k.orig_src,
				      g->k.orig_dst, NULL, g->k.netns, g->count };

		if (g->k.netns == NS_OLDER_GONE)
			continue;
		if (g->count && (v->o->show_benign || !icmp_probe_answer(0, x.type, x.code,
									  g->k.orig_kind)))
			icmp_story(v, &l, &x);
	}
	wire_stories(v, &l);
	*out = l.v;
	return l.n;
}
