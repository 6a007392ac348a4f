/* What tc programs read from their frame: the port's namespace, the IP
 * protocol, the packet's identity.
 * Included by watch.bpf.c only, after what it names. */
#ifndef NST_TC_BPF_H
#define NST_TC_BPF_H

#define TC_ACT_UNSPEC (-1)   /* also TCX_NEXT: let the packet go on */
#define ETH_HLEN 14

/* From 6.2 on; weak so that the object loads without it, and only the
 * _kctx programs that call it are loaded where it exists. */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym __weak;

/* The IP protocol (IPv6 next header) read in place, or 0xff when the
 * header is not in the linear part: the caller then looks closer. */
static __always_inline __u8 l4_proto(struct __sk_buff *ctx, void *data, void *end)
{
	if (ctx->protocol == bpf_htons(ETH_P_IP))
		return data + ETH_HLEN + 10 <= end ? *((__u8 *)data + ETH_HLEN + 9) : 0xff;
	if (ctx->protocol == bpf_htons(ETH_P_IPV6))
		return data + ETH_HLEN + 7 <= end ? *((__u8 *)data + ETH_HLEN + 6) : 0xff;
	return 0;
}

/* The namespace of the port: through the kernel's sk_buff behind the
 * context, cast (6.2+) ... */
static __always_inline __u32 tc_netns_kctx(struct __sk_buff *ctx)
{
	struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);

	return skb->dev->nd_net.net->ns.inum;
}

/* ... or read with bpf_probe_read_kernel, which tc programs of a
 * CAP_PERFMON loader may call: the context pointer is the sk_buff. A
 * function of its own, so that its buffer is not on the stack of the
 * calls below count_port in watch.bpf.c (6.1's verifier allows 512 bytes in all). */
static __noinline __u32 tc_netns_read(struct __sk_buff *ctx)
{
	struct { void *p[8]; } head = {};
	struct net_device *dev;

	if (bpf_probe_read_kernel(&head, sizeof(head), ctx))
		return 0;
	dev = head.p[(bpf_core_field_offset(struct sk_buff, dev) / 8) & 7];
	return dev ? BPF_CORE_READ(dev, nd_net.net, ns.inum) : 0;
}

/* The identity of the frame a tc program sees. 0, or -1: not IP.
 * Headers in the linear part are read in place (no helper call); frames
 * whose headers are not (a packet socket's TX ring) are copied out. */
static __always_inline int tc_pid(struct __sk_buff *ctx, struct nst_pid *p)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 l4[16] = {};
	__u32 off;
	int n;

	if (ctx->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ipp = data + ETH_HLEN, ip;

		if ((void *)(ipp + 1) <= end) {
			pid_v4(p, ipp);
			off = ipp->ihl * 4;
			if (bpf_ntohs(ipp->frag_off) & 0x1fff)
				return 0;
		} else {
			if (bpf_skb_load_bytes(ctx, ETH_HLEN, &ip, sizeof(ip)))
				return -1;
			pid_v4(p, &ip);
			off = ip.ihl * 4;
			if (bpf_ntohs(ip.frag_off) & 0x1fff)
				return 0;
		}
		off = ETH_HLEN + (off & 0x3c);
	} else if (ctx->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6p = data + ETH_HLEN, ip6;

		if ((void *)(ip6p + 1) <= end) {
			pid_v6(p, ip6p);
		} else {
			if (bpf_skb_load_bytes(ctx, ETH_HLEN, &ip6, sizeof(ip6)))
				return -1;
			pid_v6(p, &ip6);
		}
		off = ETH_HLEN + sizeof(ip6);
	} else {
		return -1;
	}
	n = pid_l4_len(p->proto);
	if (!n)
		return 0;
	if (data + off + 14 <= end) {
		pid_l4(p, data + off);
		return 0;
	}
	if (n == 14 ? !bpf_skb_load_bytes(ctx, off, l4, 14) : !bpf_skb_load_bytes(ctx, off, l4, 8))
		pid_l4(p, l4);
	return 0;
}

#endif
