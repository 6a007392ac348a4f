/* Packet heads for --pcap: from an skb's network header (tracepoints)
 * or a tc frame, and --pcap-all's sampled frames.
 * Included by watch.bpf.c only, after what it names. */
#ifndef NST_CAPTURE_BPF_H
#define NST_CAPTURE_BPF_H

/* The first bytes from the network header, linear part only (for --pcap). */
static __always_inline void capture_skb(struct nst_event *e, struct sk_buff *skb)
{
	unsigned char *head;
	__u32 nh, tail, data;
	__u64 n;   /* 64-bit: the bound checked is the length passed */

	if (cfg.capture == NST_CAP_OFF || !skb)
		return;
	head = BPF_CORE_READ(skb, head);
	nh = BPF_CORE_READ(skb, network_header);
	tail = BPF_CORE_READ(skb, tail);
	data = BPF_CORE_READ(skb, data) - head;
	if (!head || nh == 0xffff || tail <= nh)
		return;
	n = tail - nh;
	barrier_var(n);     /* one register, checked and passed */
	if (n > NST_SNAPLEN)
		n = NST_SNAPLEN;
	if (bpf_probe_read_kernel(e->data, n, head + nh))
		return;
	e->data_kind = NST_DATA_NET;
	e->caplen = n;
	e->wirelen = BPF_CORE_READ(skb, len) + data - nh;
}

/* The same from a tc program: the frame, Ethernet header first. */
static __always_inline void capture_ctx(struct nst_event *e, struct __sk_buff *ctx)
{
	__u32 n = ctx->len;

	if (n > NST_SNAPLEN)
		n = NST_SNAPLEN;
	if (n < 1 || bpf_skb_load_bytes(ctx, 0, e->data, n))
		return;
	e->data_kind = NST_DATA_ETH;
	e->caplen = n;
	e->wirelen = ctx->len;
}

/* watch --pcap-all: one packet per port and direction per interval. */
static __noinline void sample_seen(struct __sk_buff *ctx, __u32 netns, __u32 dir)
{
	struct nst_sample_key k = { .type = NST_EV_SEEN, .netns = netns,
				    .ifindex = ctx->ifindex, .dir = dir };
	struct nst_flow f = {};
	struct nst_event *e;
	__u64 now = bpf_ktime_get_ns();

	if (!sample_due(&k, now) || !(e = story(NST_EV_SEEN, netns, ctx->ifindex, &f, now)))
		return;
	e->dir = dir;
	e->len = ctx->len;
	capture_ctx(e, ctx);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

#endif
