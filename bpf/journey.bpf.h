/* watch --journey (nstrace trace): a story at every port a wanted
 * packet passes, and at its drop.
 * Included by watch.bpf.c only, after what it names. */
#ifndef NST_JOURNEY_BPF_H
#define NST_JOURNEY_BPF_H

/* "The flow" of a packet identity, for the filters. */
static __always_inline void pid_flow(const struct nst_pid *p, struct nst_flow *f)
{
	f->family = p->family;
	f->proto = p->proto;
	__builtin_memcpy(f->src, p->src, 16);
	__builtin_memcpy(f->dst, p->dst, 16);
	if (p->proto == NST_IPPROTO_TCP || p->proto == NST_IPPROTO_UDP) {
		f->sport = bpf_ntohs((__u16)p->c);
		f->dport = bpf_ntohs((__u16)(p->c >> 16));
	} else {
		f->icmp_type = (__u8)p->c;
		f->icmp_code = (__u8)(p->c >> 8);
	}
}

/* watch --journey: a wanted packet passed this port. */
static __noinline void tell_hop(struct __sk_buff *ctx, __u32 netns, __u32 dir)
{
	struct nst_flow f = {};
	struct nst_event *e;
	struct nst_pid p = {};
	__u32 *mode = bpf_map_lookup_elem(&netns_mode, &netns);

	if (!mode || tc_pid(ctx, &p))
		return;
	pid_flow(&p, &f);
	if (!flow_wanted(*mode, &f))
		return;
	if (!(e = story(NST_EV_HOP, netns, ctx->ifindex, &f, bpf_ktime_get_ns())))
		return;
	e->dir = dir;
	e->len = ctx->len;
	e->pid = p;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* watch --journey: every wanted drop is the end of some packet's story,
 * told with the packet's identity (never sampled). */
static __noinline void tell_journey_drop(struct sk_buff *skb, const struct nst_drop_key *k,
					 const struct nst_flow *f, __u32 len, __u64 now)
{
	struct nst_event *e = story(NST_EV_DROP, k->netns, k->ifindex, f, now);

	if (!e)
		return;
	e->reason = k->reason;
	e->location = k->location;
	e->len = len;
	skb_pid(skb, &e->pid);
	capture_skb(e, skb);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}


#endif
