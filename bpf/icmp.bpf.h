/* ICMP errors: every error seen on the ports (v4 and v6), and the
 * stories about them and about the errors a namespace sent.
 * Included by watch.bpf.c only, after what it names. */
#ifndef NST_ICMP_BPF_H
#define NST_ICMP_BPF_H

/* What the quoted packet is, for telling a probe's answer apart. */
static __always_inline __u8 orig_kind(const struct nst_flow *f)
{
	if ((f->proto == NST_IPPROTO_ICMP && f->icmp_type == 8) ||
	    (f->proto == NST_IPPROTO_ICMPV6 && f->icmp_type == 128))
		return NST_ORIG_ECHO;
	if (f->proto == NST_IPPROTO_UDP && f->dport >= 33434 && f->dport <= 33534)
		return NST_ORIG_TRACEROUTE;
	return NST_ORIG_OTHER;
}

/* A story about an ICMP error: the offending packet is the flow. */
static __always_inline void emit_icmp(__u32 type, __u32 netns, __u32 ifindex, __u32 dir,
				      __u8 itype, __u8 icode, __u32 mtu,
				      const struct nst_flow *orig, struct sk_buff *skb,
				      struct __sk_buff *ctx, const __u8 *from)
{
	struct nst_sample_key k = { .type = type, .netns = netns, .ifindex = ifindex,
				    .dir = dir, .icmp_type = itype, .icmp_code = icode };
	struct nst_event *e;
	__u64 now = bpf_ktime_get_ns();

	if (!sample_due(&k, now) || !(e = story(type, netns, ifindex, orig, now)))
		return;
	e->dir = dir;
	e->mtu = mtu;
	e->icmp_type = itype;
	e->icmp_code = icode;
	e->orig_kind = orig_kind(orig);
	if (from)
		__builtin_memcpy(e->from, from, 16);
	if (ctx) {
		if (cfg.capture != NST_CAP_OFF)
			capture_ctx(e, ctx);
	} else {
		capture_skb(e, skb);
	}
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* Is this ICMP (v6: ICMPv6) type an error that quotes the packet it is
 * about? v4: destination unreachable, redirect, time exceeded, parameter
 * problem; v6: destination unreachable, Packet Too Big, time exceeded,
 * parameter problem. */
static __always_inline int icmp_is_error(int v6, __u8 type)
{
	return v6 ? type >= 1 && type <= 4 : type == 3 || type == 5 || type == 11 || type == 12;
}

/* ICMP errors on the wire: only ICMP pays for more than a one-byte load,
 * and only errors for more than one more. Loads, not direct access:
 * frames sent from a packet socket's TX ring keep the IP header out of
 * the linear part. */
static __noinline void icmp_on_wire(struct __sk_buff *ctx, __u32 netns, __u32 dir)
{
	struct nst_flow orig = {};
	struct nst_icmp_key k = {};
	__u32 *mode, inner_off, mtu = 0;
	__u8 b[8];

	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;

	if (ctx->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr in;
		__u8 proto, vihl, ihl;

		/* The common case is linear: read the protocol directly. */
		if (data + ETH_HLEN + 10 <= data_end)
			proto = *((__u8 *)data + ETH_HLEN + 9);
		else if (bpf_skb_load_bytes(ctx, ETH_HLEN + 9, &proto, 1))
			return;
		if (proto != NST_IPPROTO_ICMP)
			return;
		if (bpf_skb_load_bytes(ctx, ETH_HLEN, &vihl, 1))
			return;
		ihl = (vihl & 0xf) * 4;
		if (bpf_skb_load_bytes(ctx, ETH_HLEN + ihl, b, 8) || !icmp_is_error(0, b[0]))
			return;
		if (b[0] == 3 && b[1] == 4)
			mtu = ((__u32)b[6] << 8) | b[7];
		/* Who sent it: the outer source address. */
		if (bpf_skb_load_bytes(ctx, ETH_HLEN + 12, k.from, 4))
			return;
		inner_off = ETH_HLEN + ihl + 8;
		if (bpf_skb_load_bytes(ctx, inner_off, &in, sizeof(in)))
			return;
		orig.family = NST_AF_INET;
		orig.proto = in.protocol;
		__builtin_memcpy(orig.src, &in.saddr, 4);
		__builtin_memcpy(orig.dst, &in.daddr, 4);
		inner_off += in.ihl * 4;
	} else if (ctx->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr in;
		__u8 nh;

		if (data + ETH_HLEN + 7 <= data_end)
			nh = *((__u8 *)data + ETH_HLEN + 6);
		else if (bpf_skb_load_bytes(ctx, ETH_HLEN + 6, &nh, 1))
			return;
		if (nh != NST_IPPROTO_ICMPV6)
			return;
		if (bpf_skb_load_bytes(ctx, ETH_HLEN + 40, b, 8) || !icmp_is_error(1, b[0]))
			return;
		if (b[0] == 2)
			mtu = ((__u32)b[4] << 24) | ((__u32)b[5] << 16) | ((__u32)b[6] << 8) | b[7];
		if (bpf_skb_load_bytes(ctx, ETH_HLEN + 8, k.from, 16))
			return;
		inner_off = ETH_HLEN + 48;
		if (bpf_skb_load_bytes(ctx, inner_off, &in, sizeof(in)))
			return;
		orig.family = NST_AF_INET6;
		orig.proto = in.nexthdr;
		__builtin_memcpy(orig.src, &in.saddr, 16);
		__builtin_memcpy(orig.dst, &in.daddr, 16);
		inner_off += sizeof(in);
	} else {
		return;
	}
	if (orig.proto == NST_IPPROTO_TCP || orig.proto == NST_IPPROTO_UDP) {
		__u16 ports[2];

		if (!bpf_skb_load_bytes(ctx, inner_off, ports, 4)) {
			orig.sport = bpf_ntohs(ports[0]);
			orig.dport = bpf_ntohs(ports[1]);
		}
	} else if (orig.proto == NST_IPPROTO_ICMP || orig.proto == NST_IPPROTO_ICMPV6) {
		__u8 it[2];

		if (!bpf_skb_load_bytes(ctx, inner_off, it, 2)) {
			orig.icmp_type = it[0];
			orig.icmp_code = it[1];
		}
	}
	mode = bpf_map_lookup_elem(&netns_mode, &netns);
	if (!mode || !flow_wanted(*mode, &orig))
		return;
	k.netns = netns;
	k.ifindex = ctx->ifindex;
	k.dir = dir;
	k.mtu = mtu;
	k.type = b[0];
	k.code = b[1];
	k.family = orig.family;
	k.orig_kind = orig_kind(&orig);
	__builtin_memcpy(k.orig_src, orig.src, 16);
	__builtin_memcpy(k.orig_dst, orig.dst, 16);
	count_u64(&icmp_wire, &k);
	emit_icmp(NST_EV_ICMP_WIRE, netns, ctx->ifindex, dir, b[0], b[1], mtu, &orig, NULL, ctx,
		  k.from);
}


#endif
