/* Reading packets and namespaces out of kernel objects, for tracing
 * programs (bpf_probe_read_kernel) where direct packet access is not
 * available. BPF-side only. */
#ifndef NST_PACKET_BPF_H
#define NST_PACKET_BPF_H

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD

/* The tracing programs' objects are BTF pointers (tp_btf): their fields
 * are read directly (a load, CO-RE relocated; a NULL pointer reads 0),
 * not with one bpf_probe_read_kernel call per field. kfree_skb runs for
 * every skb freed on the host, so this is most of its cost. */
static __always_inline __u32 dev_netns(const struct net_device *dev)
{
	return dev->nd_net.net->ns.inum;
}

static __always_inline __u32 sk_netns(const struct sock *sk)
{
	return sk->__sk_common.skc_net.net->ns.inum;
}

/* The namespace an skb is charged to: its device's, else its socket's. */
static __always_inline __u32 skb_netns(const struct sk_buff *skb, const struct sock *rx_sk)
{
	const struct net_device *dev = skb->dev;
	const struct sock *sk;

	if (dev)
		return dev_netns(dev);
	if (rx_sk)
		return sk_netns(rx_sk);
	sk = skb->sk;
	return sk ? sk_netns(sk) : 0;
}

static __always_inline void read_l4(const unsigned char *l4, struct nst_flow *f)
{
	__u16 ports[7];
	__u8 icmp[2];

	if (f->proto == NST_IPPROTO_TCP) {
		/* Up to the flags: a reset is told apart from what it answers. */
		if (!bpf_probe_read_kernel(ports, sizeof(ports), l4)) {
			f->sport = bpf_ntohs(ports[0]);
			f->dport = bpf_ntohs(ports[1]);
			f->tcp_flags = ((__u8 *)ports)[13];
		}
	} else if (f->proto == NST_IPPROTO_UDP) {
		if (!bpf_probe_read_kernel(ports, 4, l4)) {
			f->sport = bpf_ntohs(ports[0]);
			f->dport = bpf_ntohs(ports[1]);
		}
	} else if (f->proto == NST_IPPROTO_ICMP || f->proto == NST_IPPROTO_ICMPV6) {
		if (!bpf_probe_read_kernel(icmp, sizeof(icmp), l4)) {
			f->icmp_type = icmp[0];
			f->icmp_code = icmp[1];
		}
	}
}

/* From 6.2; weak: only programs loaded where it exists call it (the
 * callers' CAST argument is a constant per program). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* read_l4 with plain (fault-safe) loads through typed casts, no helper. */
static __always_inline void read_l4_cast(const unsigned char *l4, struct nst_flow *f)
{
	if (f->proto == NST_IPPROTO_TCP) {
		const struct tcphdr *t = bpf_rdonly_cast(l4, bpf_core_type_id_kernel(struct tcphdr));

		f->sport = bpf_ntohs(t->source);
		f->dport = bpf_ntohs(t->dest);
		f->tcp_flags = ((const __u8 *)t)[13];
	} else if (f->proto == NST_IPPROTO_UDP) {
		const struct udphdr *u = bpf_rdonly_cast(l4, bpf_core_type_id_kernel(struct udphdr));

		f->sport = bpf_ntohs(u->source);
		f->dport = bpf_ntohs(u->dest);
	} else if (f->proto == NST_IPPROTO_ICMP || f->proto == NST_IPPROTO_ICMPV6) {
		const struct icmphdr *c = bpf_rdonly_cast(l4, bpf_core_type_id_kernel(struct icmphdr));

		f->icmp_type = c->type;
		f->icmp_code = c->code;
	}
}

/* Addresses, protocol and ports from the skb's network header: the
 * skb's fields are direct loads (a BTF pointer), the header bytes are
 * copied with bpf_probe_read_kernel, or with CAST (6.2+) read through
 * bpf_rdonly_cast, which costs no helper call: kfree_skb parses every
 * drop of a namespace watched by address (a storm's). */
static __always_inline void skb_flow_k(struct sk_buff *skb, struct nst_flow *f, int cast)
{
	unsigned char *head = skb->head;
	__u16 nh = skb->network_header;
	__u16 proto = bpf_ntohs(skb->protocol);
	__u8 ver = 0;

	f->l3proto = proto;
	if (nh == (__u16)~0U || !head)
		return;
	if (cast && (proto == ETH_P_IP || proto == ETH_P_IPV6 || !proto)) {
		const struct iphdr *ip = bpf_rdonly_cast(head + nh, bpf_core_type_id_kernel(struct iphdr));
		const struct ipv6hdr *ip6;
		__u8 vihl = *(const __u8 *)ip;

		if (!proto)   /* locally built, no skb->protocol yet */
			proto = (vihl >> 4) == 4 ? ETH_P_IP : (vihl >> 4) == 6 ? ETH_P_IPV6 : 0;
		if (proto == ETH_P_IP) {
			if ((vihl >> 4) != 4)
				return;
			f->family = NST_AF_INET;
			f->proto = ip->protocol;
			__builtin_memcpy(f->src, &ip->saddr, 4);
			__builtin_memcpy(f->dst, &ip->daddr, 4);
			if (bpf_ntohs(ip->frag_off) & 0x1fff)
				return;
			read_l4_cast(head + nh + (vihl & 0xf) * 4, f);
		} else if (proto == ETH_P_IPV6) {
			ip6 = bpf_rdonly_cast(head + nh, bpf_core_type_id_kernel(struct ipv6hdr));
			f->family = NST_AF_INET6;
			f->proto = ip6->nexthdr;
			__builtin_memcpy(f->src, &ip6->saddr, 16);
			__builtin_memcpy(f->dst, &ip6->daddr, 16);
			read_l4_cast(head + nh + sizeof(*ip6), f);
		}
		return;
	}

	/* Locally built packets may not carry skb->protocol yet. */
	if (proto != ETH_P_IP && proto != ETH_P_IPV6) {
		if (proto || bpf_probe_read_kernel(&ver, 1, head + nh))
			return;
		proto = (ver >> 4) == 4 ? ETH_P_IP : (ver >> 4) == 6 ? ETH_P_IPV6 : 0;
	}
	if (proto == ETH_P_IP) {
		struct iphdr iph;

		if (bpf_probe_read_kernel(&iph, sizeof(iph), head + nh) || iph.version != 4)
			return;
		f->family = NST_AF_INET;
		f->proto = iph.protocol;
		__builtin_memcpy(f->src, &iph.saddr, 4);
		__builtin_memcpy(f->dst, &iph.daddr, 4);
		/* Only the first fragment carries the L4 header. */
		if (bpf_ntohs(iph.frag_off) & 0x1fff)
			return;
		read_l4(head + nh + iph.ihl * 4, f);
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return;
		f->family = NST_AF_INET6;
		f->proto = ip6.nexthdr;
		__builtin_memcpy(f->src, &ip6.saddr, 16);
		__builtin_memcpy(f->dst, &ip6.daddr, 16);
		read_l4(head + nh + sizeof(ip6), f);
	}
}

static __always_inline void skb_flow(struct sk_buff *skb, struct nst_flow *f)
{
	skb_flow_k(skb, f, 0);
}

/* Addresses and ports of a socket (local = src). */
static __always_inline void sk_flow(const struct sock *sk, struct nst_flow *f)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	f->proto = NST_IPPROTO_TCP;
	f->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	f->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (family == NST_AF_INET) {
		__u32 s = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);

		f->family = NST_AF_INET;
		__builtin_memcpy(f->src, &s, 4);
		__builtin_memcpy(f->dst, &d, 4);
	} else if (family == NST_AF_INET6) {
		f->family = NST_AF_INET6;
		BPF_CORE_READ_INTO(&f->src, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&f->dst, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	}
}

/* ---- packet identity (struct nst_pid), from raw headers ---- */

/* Bytes of L4 header the identity needs: TCP up to its flags. */
static __always_inline int pid_l4_len(__u8 proto)
{
	return proto == NST_IPPROTO_TCP ? 14 :
	       proto == NST_IPPROTO_UDP || proto == NST_IPPROTO_ICMP ||
	       proto == NST_IPPROTO_ICMPV6 ? 8 : 0;
}

static __always_inline void pid_l4(struct nst_pid *p, const __u8 *l4)
{
	__builtin_memcpy(&p->c, l4, 4);
	__builtin_memcpy(&p->a, l4 + 4, 4);
	/* ICMP keeps its checksum in c: it tells apart control messages
	 * (MLD, ND) that are otherwise alike, and no hop changes it. */
	if (p->proto == NST_IPPROTO_TCP) {
		__builtin_memcpy(&p->b, l4 + 8, 4);
		p->tcp_flags = l4[13];
	}
}

static __always_inline void pid_v4(struct nst_pid *p, const struct iphdr *ip)
{
	p->family = NST_AF_INET;
	p->proto = ip->protocol;
	p->id = ip->id | ((__u32)ip->frag_off << 16);
	__builtin_memcpy(p->src, &ip->saddr, 4);
	__builtin_memcpy(p->dst, &ip->daddr, 4);
}

static __always_inline void pid_v6(struct nst_pid *p, const struct ipv6hdr *ip6)
{
	p->family = NST_AF_INET6;
	p->proto = ip6->nexthdr;
	__builtin_memcpy(&p->id, ip6->flow_lbl, 3);
	__builtin_memcpy(p->src, &ip6->saddr, 16);
	__builtin_memcpy(p->dst, &ip6->daddr, 16);
}

/* The identity of an skb from its network header (tracepoints).
 * 0, or -1 when it is not IP. */
static __always_inline int skb_pid(struct sk_buff *skb, struct nst_pid *p)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u32 off;
	__u8 l4[16] = {}, ver;

	if (nh == (__u16)~0U || !head || bpf_probe_read_kernel(&ver, 1, head + nh))
		return -1;
	if ((ver >> 4) == 4) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), head + nh))
			return -1;
		pid_v4(p, &ip);
		if (bpf_ntohs(ip.frag_off) & 0x1fff)
			return 0;
		off = nh + ip.ihl * 4;
	} else if ((ver >> 4) == 6) {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh))
			return -1;
		pid_v6(p, &ip6);
		off = nh + sizeof(ip6);
	} else {
		return -1;
	}
	if (pid_l4_len(p->proto) && !bpf_probe_read_kernel(l4, 14, head + off))
		pid_l4(p, l4);
	return 0;
}

/* Segments of a GSO skb, else 1: one probe read for a plain skb (the
 * shared info lies past the data; skb->head is no BTF pointer). */
static __always_inline __u32 skb_segs(const struct sk_buff *skb)
{
	struct skb_shared_info *shinfo = (void *)(skb->head + skb->end);  /* end: an offset on 64-bit */
	__u16 size = 0, segs = 0;

	if (bpf_probe_read_kernel(&size, sizeof(size), &shinfo->gso_size) || !size)
		return 1;
	bpf_probe_read_kernel(&segs, sizeof(segs), &shinfo->gso_segs);
	return segs ? segs : 1;
}

#endif
