// SPDX-License-Identifier: GPL-2.0
/* nstrace watch: drops (kfree_skb) and resets (tcp tracepoints) in the
 * watched namespaces, per-port counters on their veth and bridge ports (tc).
 *
 * Numbers are exact and live in per-CPU maps; stories are sampled (one per
 * key per interval) into one ring buffer, submitted without wakeups: the
 * reader drains it on a timer. Every program only observes. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "nstrace.h"
#include "packet.bpf.h"

char LICENSE[] SEC("license") = "GPL";

#define TC_ACT_UNSPEC (-1)   /* also TCX_NEXT: let the packet go on */

const volatile __u64 sample_ns = 1000000000ULL;
const volatile __u32 capture = NST_CAP_OFF;   /* enum nst_capture */
const volatile __u8 latency = 0;     /* stamp packets on ports, time the hops */
const volatile __u8 journey = 0;     /* a story at every port for wanted packets */
/* Kernels before 6.10 do not fire tcp_send_reset for a reset that answers
 * a segment with no socket (a SYN to a closed port): count those from the
 * NO_SOCKET drop that follows it in tcp_v4_rcv / tcp_v6_rcv. */
const volatile __u8 reset_from_drop = 0;
/* User filters (--proto, --port, --host/--net); zero means "any". */
const volatile __u8 f_proto = 0;
const volatile __u16 f_port = 0;
const volatile __u32 f_family = 0;
const volatile __u32 f_plen = 0;
const volatile __u8 f_addr[16] = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);               /* netns inode */
	__type(value, __u32);             /* enum nst_ns_mode */
} netns_mode SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nst_akey);
	__type(value, __u8);
} watched_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);   /* fast to create: attach time counts */
	__uint(max_entries, 16384);
	__type(key, struct nst_dkey);
	__type(value, struct nst_dval);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct nst_pkey);
	__type(value, struct nst_pval);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct nst_rkey);
	__type(value, __u64);
} resets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct nst_ikey);
	__type(value, __u64);
} icmp_wire SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct nst_gkey);
	__type(value, __u64);
} icmp_gen SEC(".maps");

/* ---- latency ---- */

/* Stamps waiting for their packet at the next port (struct nst_skey).
 * LRU: a packet that never arrives is forgotten, not leaked. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct nst_skey);
	__type(value, struct nst_stamp);
} stamps SEC(".maps");

/* Each veth end's peer, filled from discovery. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct nst_port);
	__type(value, struct nst_port);
} peers SEC(".maps");

/* Every address on the host, with the namespace that owns it: where a
 * packet is delivered, whose round trip it is. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct nst_akey);
	__type(value, __u32);
} local_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 2048);
	__type(key, struct nst_hkey);
	__type(value, struct nst_hist);
} hop_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 2048);
	__type(key, struct nst_xkey);
	__type(value, struct nst_hist);
} pair_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nst_lat_load);
} lat_load SEC(".maps");

/* A zeroed histogram to create entries from (too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nst_hist);
} zero_hist SEC(".maps");

/* When each key last told a story. LRU: forgetting only means one more. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct nst_dkey);
	__type(value, __u64);
} sampled SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NST_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

/* The per-CPU counter for KEY, created from ZERO on first use. Another
 * CPU may create it first (then our insert fails): look again before
 * calling the map full. */
static __always_inline void *counter(void *map, const void *key, const void *zero)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	v = bpf_map_lookup_elem(map, key);
	if (!v)
		stat_inc(NST_STAT_MAP_FULL);
	return v;
}

static __always_inline void count_u64(void *map, const void *key)
{
	__u64 zero = 0, *v = counter(map, key, &zero);

	if (v)
		*v += 1;
}

static __always_inline int addr_watched(__u32 family, const __u8 *addr)
{
	struct nst_akey k = { .family = family };

	__builtin_memcpy(k.addr, addr, 16);
	return bpf_map_lookup_elem(&watched_addrs, &k) != NULL;
}

static __always_inline int prefix_match(const __u8 *a)
{
	__u32 plen = f_plen;

#pragma unroll
	for (int i = 0; i < 16; i++) {
		__u8 mask;

		if (plen >= 8) {
			mask = 0xff;
			plen -= 8;
		} else {
			mask = (__u8)(0xff << (8 - plen));
			plen = 0;
		}
		if ((a[i] ^ f_addr[i]) & mask)
			return 0;
	}
	return 1;
}

/* Is this packet, in a namespace watched with MODE, one we report? */
static __always_inline int flow_wanted(__u32 mode, const struct nst_flow *f)
{
	if (mode == NST_NS_ADDRS) {
		if (!f->family)
			return 0;
		if (!addr_watched(f->family, f->src) && !addr_watched(f->family, f->dst))
			return 0;
	}
	if (f_proto && f->proto != f_proto)
		return 0;
	if (f_port && f->sport != f_port && f->dport != f_port)
		return 0;
	if (f_family && (f->family != f_family ||
			 (!prefix_match(f->src) && !prefix_match(f->dst))))
		return 0;
	return 1;
}

static __always_inline int sample_due(const struct nst_dkey *k, __u64 now)
{
	__u64 *last = bpf_map_lookup_elem(&sampled, k);

	if (last && now - *last < sample_ns)
		return 0;
	bpf_map_update_elem(&sampled, k, &now, BPF_ANY);
	return 1;
}

/* Reserve and start a story; NULL (and counted) when the ring is full. */
static __always_inline struct nst_event *story(__u32 type, __u32 netns, __u32 ifindex,
					       const struct nst_flow *f, __u64 now)
{
	struct nst_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		stat_inc(NST_STAT_RB_FULL);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts = now;
	e->type = type;
	e->netns = netns;
	e->ifindex = ifindex;
	e->segs = 1;
	e->flow = *f;
	return e;
}

/* The first bytes from the network header, linear part only (for --pcap). */
static __always_inline void capture_skb(struct nst_event *e, struct sk_buff *skb)
{
	unsigned char *head;
	__u32 nh, tail, data;
	__u64 n;   /* 64-bit: the bound checked is the length passed */

	if (capture == NST_CAP_OFF || !skb)
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

static __always_inline void emit(__u32 type, const struct nst_dkey *k,
				 const struct nst_flow *f, __u32 len, __u32 segs,
				 __u32 port, __u64 now, struct sk_buff *skb)
{
	struct nst_event *e = story(type, k->netns, k->ifindex, f, now);

	if (!e)
		return;
	capture_skb(e, skb);
	e->reason = k->reason;
	e->location = k->location;
	e->len = len;
	e->segs = segs;
	e->port = port;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* watch --journey: every wanted drop is the end of some packet's story,
 * told with the packet's identity (never sampled). */
static __noinline void tell_journey_drop(struct sk_buff *skb, const struct nst_dkey *k,
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

static __always_inline void count_reset(__u32 type, __u32 netns, __u32 ifindex,
					const struct nst_flow *f, __u16 lport, struct sk_buff *skb)
{
	struct nst_rkey rk = { .netns = netns, .ifindex = ifindex, .type = type, .port = lport };
	struct nst_dkey k = { .netns = netns, .ifindex = ifindex, .reason = type };
	__u64 now;

	count_u64(&resets, &rk);
	now = bpf_ktime_get_ns();
	if (sample_due(&k, now))
		emit(type, &k, f, 0, 1, lport, now, skb);
}

/* Skbs that are not network packets (unix and netlink sockets free them
 * with kfree_skb too: glibc's nscd lookup on 6.1) have no device and a
 * socket of another family. */
static __always_inline int not_a_packet(struct sk_buff *skb, struct net_device *dev)
{
	struct sock *sk;
	__u16 family;

	if (dev)
		return 0;
	sk = BPF_CORE_READ(skb, sk);
	if (!sk)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	return family != NST_AF_INET && family != NST_AF_INET6;
}

static __always_inline void on_drop(struct sk_buff *skb, void *location, __u32 reason)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct nst_flow f = {};
	struct nst_dkey k = {};
	struct nst_dval *v, zero = {};
	__u32 *mode, segs, len;
	int parsed = 0;
	__u64 now;

	k.netns = skb_netns(skb, NULL);
	mode = bpf_map_lookup_elem(&netns_mode, &k.netns);
	if (!mode || not_a_packet(skb, dev))
		return;
	/* Headers only when a filter needs them or a story is due: in a drop
	 * storm most drops are just counted. */
	if (*mode == NST_NS_ADDRS || f_proto || f_port || f_family) {
		skb_flow(skb, &f);
		parsed = 1;
		if (!flow_wanted(*mode, &f))
			return;
	}
	k.ifindex = dev ? BPF_CORE_READ(dev, ifindex) : 0;
	k.reason = reason;
	k.location = (__u64)location;
	segs = skb_segs(skb);
	len = BPF_CORE_READ(skb, len);
	v = counter(&drops, &k, &zero);
	if (!v)
		return;
	v->packets += 1;
	v->segs += segs;
	v->bytes += len;
	if (reset_from_drop &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NO_SOCKET)) {
		if (!parsed)
			skb_flow(skb, &f);
		parsed = 1;
		if (f.proto == NST_IPPROTO_TCP && !(f.tcp_flags & NST_TCP_RST))
			count_reset(NST_EV_RESET_SENT, k.netns, k.ifindex, &f, f.dport, skb);
	}
	now = bpf_ktime_get_ns();
	if (journey) {
		if (!parsed)
			skb_flow(skb, &f);
		if (flow_wanted(NST_NS_ALL, &f))
			tell_journey_drop(skb, &k, &f, len, now);
		return;
	}
	if (sample_due(&k, now)) {
		if (!parsed)
			skb_flow(skb, &f);
		emit(NST_EV_DROP, &k, &f, len, segs, 0, now, skb);
	}
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(watch_kfree_skb, struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason)
{
	on_drop(skb, location, reason);
	return 0;
}

/* Kernels before 5.17: the tracepoint has no reason; only the location. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(watch_kfree_skb_noreason, struct sk_buff *skb, void *location)
{
	on_drop(skb, location, NST_REASON_NONE);
	return 0;
}

/* A reset this namespace sends; SKB is the packet it answers (it may be
 * the only clue: a SYN to a closed port has no socket). */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(watch_tcp_send_reset, const struct sock *sk, struct sk_buff *skb)
{
	struct nst_flow f = {};
	__u32 netns = 0, ifindex = 0, *mode;
	struct net_device *dev = skb ? BPF_CORE_READ(skb, dev) : NULL;

	/* Counted from their NO_SOCKET drop instead (see reset_from_drop). */
	if (reset_from_drop && !sk)
		return 0;
	if (skb)
		netns = skb_netns(skb, sk);
	else if (sk)
		netns = sk_netns(sk);
	mode = bpf_map_lookup_elem(&netns_mode, &netns);
	if (!mode)
		return 0;
	if (skb) {
		skb_flow(skb, &f);
		ifindex = dev ? BPF_CORE_READ(dev, ifindex) : 0;
	} else if (sk) {
		sk_flow(sk, &f);
	}
	if (!flow_wanted(*mode, &f))
		return 0;
	count_reset(NST_EV_RESET_SENT, netns, ifindex, &f, skb ? f.dport : f.sport, skb);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(watch_tcp_receive_reset, struct sock *sk)
{
	struct nst_flow f = {};
	__u32 netns = sk_netns(sk), *mode;

	mode = bpf_map_lookup_elem(&netns_mode, &netns);
	if (!mode)
		return 0;
	sk_flow(sk, &f);
	if (!flow_wanted(*mode, &f))
		return 0;
	/* The peer's port: the service that refused or aborted. */
	count_reset(NST_EV_RESET_RECV, netns, 0, &f, f.dport, NULL);
	return 0;
}

/* A story about an ICMP error: the offending packet is the flow. */
static __always_inline void emit_icmp(__u32 type, __u32 netns, __u32 ifindex, __u32 dir,
				      __u8 itype, __u8 icode, __u32 mtu,
				      const struct nst_flow *orig, struct sk_buff *skb,
				      struct __sk_buff *ctx)
{
	struct nst_dkey k = { .netns = netns, .ifindex = ifindex,
			      .reason = type, .location = (itype << 8) | icode | ((__u64)dir << 16) };
	struct nst_event *e;
	__u64 now = bpf_ktime_get_ns();

	if (!sample_due(&k, now) || !(e = story(type, netns, ifindex, orig, now)))
		return;
	e->dir = dir;
	e->mtu = mtu;
	e->icmp_type = itype;
	e->icmp_code = icode;
	if (ctx) {
		if (capture != NST_CAP_OFF)
			capture_ctx(e, ctx);
	} else {
		capture_skb(e, skb);
	}
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

/* Every ICMP error the kernel generates, in the namespace generating it.
 * SKB is the offending packet; for frag-needed the MTU is that of the
 * route it could not take. (There is no IPv6 counterpart.) */
SEC("tp_btf/icmp_send")
int BPF_PROG(watch_icmp_send, struct sk_buff *skb, int type, int code)
{
	struct nst_flow f = {};
	struct nst_gkey k = {};
	__u32 netns = skb_netns(skb, NULL), *mode;

	mode = bpf_map_lookup_elem(&netns_mode, &netns);
	if (!mode)
		return 0;
	skb_flow(skb, &f);
	if (!flow_wanted(*mode, &f))
		return 0;
	k.netns = netns;
	k.type = type;
	k.code = code;
	k.family = f.family;
	__builtin_memcpy(k.orig_src, f.src, 16);
	__builtin_memcpy(k.orig_dst, f.dst, 16);
	if (type == 3 && code == 4) {
		struct dst_entry *dst = (void *)(BPF_CORE_READ(skb, _skb_refdst) & ~1UL);

		if (dst)
			k.mtu = BPF_CORE_READ(dst, dev, mtu);
	}
	count_u64(&icmp_gen, &k);
	emit_icmp(NST_EV_ICMP_SENT, netns, 0, 0, type, code, k.mtu, &f, skb, NULL);
	return 0;
}

/* From 6.2 on; weak so that the object loads without it, and only the
 * _kctx programs that call it are loaded where it exists. */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym __weak;

#define ETH_HLEN 14

/* ICMP frag-needed and ICMPv6 Packet Too Big on the wire: only ICMP pays
 * for more than a one-byte load. Loads, not direct access: frames sent
 * from a packet socket's TX ring keep the IP header out of the linear part. */
static __noinline void icmp_on_wire(struct __sk_buff *ctx, __u32 netns, __u32 dir)
{
	struct nst_flow orig = {};
	struct nst_ikey k = {};
	__u32 *mode, inner_off, mtu;
	__u8 b[8];

	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;

	if (ctx->protocol == bpf_htons(ETH_P_IP)) {
		__u8 vihl, proto, ihl;
		struct iphdr in;

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
		if (bpf_skb_load_bytes(ctx, ETH_HLEN + ihl, b, 8) || b[0] != 3 || b[1] != 4)
			return;
		mtu = ((__u32)b[6] << 8) | b[7];
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
		if (bpf_skb_load_bytes(ctx, ETH_HLEN + 40, b, 8) || b[0] != 2)
			return;
		mtu = ((__u32)b[4] << 24) | ((__u32)b[5] << 16) | ((__u32)b[6] << 8) | b[7];
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
	__builtin_memcpy(k.orig_src, orig.src, 16);
	__builtin_memcpy(k.orig_dst, orig.dst, 16);
	count_u64(&icmp_wire, &k);
	emit_icmp(NST_EV_ICMP_WIRE, netns, ctx->ifindex, dir, b[0], b[1], mtu, &orig, NULL, ctx);
}

/* ---- latency: stamps and histograms ---- */

/* A stamp older than this is another packet with the same headers. A
 * veth crossing (egress to the peer's ingress) includes the qdisc queue,
 * so it may take long; a namespace's own path (ingress to egress: bridge
 * or router forwarding, before any queue) takes microseconds, and a
 * multicast control packet received and later sent alike must not pass
 * for a hop. */
#define STAMP_MAX_NS 1000000000ULL
#define STAMP_MAX_NS_INSIDE 50000000ULL

static __always_inline __u32 msb64(__u64 v)
{
	__u32 r = 0, s;

	s = (v > 0xffffffffULL) << 5; v >>= s; r |= s;
	s = (v > 0xffff) << 4; v >>= s; r |= s;
	s = (v > 0xff) << 3; v >>= s; r |= s;
	s = (v > 0xf) << 2; v >>= s; r |= s;
	s = (v > 0x3) << 1; v >>= s; r |= s;
	r |= (v >> 1);
	return r;
}

static __always_inline __u32 hist_slot(__u64 ns)
{
	__u32 msb;

	if (ns < NST_HIST_SUB)
		return (__u32)ns;
	msb = msb64(ns);
	if (msb > 33)
		return NST_HIST_SLOTS - 1;
	return (msb - 2) * NST_HIST_SUB + ((ns >> (msb - 3)) & (NST_HIST_SUB - 1));
}

static __always_inline void hist_add(void *map, const void *key, __u64 ns)
{
	__u32 z = 0;
	struct nst_hist *h, *zero = bpf_map_lookup_elem(&zero_hist, &z);

	if (!zero || !(h = counter(map, key, zero)))
		return;
	h->count += 1;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->slot[hist_slot(ns) & (NST_HIST_SLOTS - 1)] += 1;
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

static __always_inline __u32 addr_owner(__u8 family, const __u8 *addr)
{
	struct nst_akey k = { .family = family };
	__u32 *ns;

	__builtin_memcpy(k.addr, addr, 16);
	ns = bpf_map_lookup_elem(&local_addrs, &k);
	return ns ? *ns : 0;
}

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

static __always_inline int echo_request(const struct nst_pid *p)
{
	return (p->proto == NST_IPPROTO_ICMP && (__u8)p->c == 8) ||
	       (p->proto == NST_IPPROTO_ICMPV6 && (__u8)p->c == 128);
}

static __always_inline int echo_reply(const struct nst_pid *p)
{
	return (p->proto == NST_IPPROTO_ICMP && (__u8)p->c == 0) ||
	       (p->proto == NST_IPPROTO_ICMPV6 && (__u8)p->c == 129);
}

/* The key of a round trip, from the client's side: KIND, client -> server. */
static __always_inline void rtt_key(struct nst_skey *k, const struct nst_pid *p, __u32 kind,
				    int reply)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->ifindex = kind;
	k->p.family = p->family;
	k->p.proto = p->proto;
	__builtin_memcpy(k->p.src, reply ? p->dst : p->src, 16);
	__builtin_memcpy(k->p.dst, reply ? p->src : p->dst, 16);
	if (kind == NST_RTT_HANDSHAKE)
		k->p.c = reply ? (p->c >> 16) | (p->c << 16) : p->c;
	else
		k->p.a = p->a;   /* echo id and sequence */
}

/* A packet leaving its sender: start a round trip if it is a SYN or an
 * echo request. */
static __always_inline void rtt_start(const struct nst_pid *p, __u32 netns, __u64 now)
{
	struct nst_stamp st = { .ts = now, .first_ts = now, .netns = netns };
	struct nst_skey k;

	if (p->proto == NST_IPPROTO_TCP && (p->tcp_flags & 0x12) == 0x02)
		rtt_key(&k, p, NST_RTT_HANDSHAKE, 0);
	else if (echo_request(p))
		rtt_key(&k, p, NST_RTT_ECHO, 0);
	else
		return;
	st.first_netns = addr_owner(p->family, p->dst);
	bpf_map_update_elem(&stamps, &k, &st, BPF_ANY);
}

/* A packet delivered to NETNS: the end of a round trip if it answers one. */
static __always_inline void rtt_end(const struct nst_pid *p, __u32 netns, __u64 now)
{
	struct nst_xkey x = { .src_netns = netns };
	struct nst_stamp *st;
	struct nst_skey k;

	if (p->proto == NST_IPPROTO_TCP && (p->tcp_flags & 0x12) == 0x12) {
		rtt_key(&k, p, NST_RTT_HANDSHAKE, 1);
		x.kind = NST_LAT_HANDSHAKE;
	} else if (echo_reply(p)) {
		rtt_key(&k, p, NST_RTT_ECHO, 1);
		x.kind = NST_LAT_ECHO;
	} else {
		return;
	}
	st = bpf_map_lookup_elem(&stamps, &k);
	if (!st || st->netns != netns || now - st->ts > STAMP_MAX_NS * 10)
		return;
	x.dst_netns = st->first_netns;
	hist_add(&pair_hist, &x, now - st->ts);
	bpf_map_delete_elem(&stamps, &k);
}

static __always_inline void hop_add(const struct nst_stamp *from, __u32 netns, __u32 ifindex,
				    __u32 dir, __u64 now)
{
	struct nst_hkey h = { .from_netns = from->netns, .from_ifindex = from->ifindex,
			      .from_dir = from->dir, .to_netns = netns, .to_ifindex = ifindex,
			      .to_dir = dir };

	hist_add(&hop_hist, &h, now - from->ts);
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

/* The hop from the last sighting to this one, and the stamp for the
 * next: at a veth's far end (egress) or in this namespace (ingress). */
/* Under load, is this frame one of the timed ones? Decided before any
 * parsing or call, from bytes at fixed places that no bridge or router
 * changes (IPv4 id and fragment word, or IPv6 flow label; L4 bytes 4-7:
 * TCP seq, UDP length and checksum, ICMP id and sequence), so a packet is
 * timed on every port or on none. Round trips (SYN, echo) always are. A
 * frame whose headers are not in place is always looked at. */
static __always_inline int lat_wanted(struct __sk_buff *ctx, void *data, void *end)
{
	__u32 z = 0, x, mask, l4;
	__u8 proto, first;
	struct nst_lat_load *l = bpf_map_lookup_elem(&lat_load, &z);

	if (!l)
		return 0;
	l->passes += 1;
	if (!(l->passes & 127)) {
		__u64 now = bpf_ktime_get_ns(), span = now - l->window;

		if (span >= NST_LAT_WINDOW_NS) {
			/* passes per window at this rate, halved until under budget */
			__u64 per = span > NST_LAT_WINDOW_NS * 64 ? 0 :
				    (__u64)l->passes * NST_LAT_WINDOW_NS / span;

			mask = 0;
			for (int i = 0; i < 12 && (per >> i) > NST_LAT_BUDGET; i++)
				mask = (mask << 1) | 1;
			l->mask = mask;
			l->passes = 0;
			l->window = now;
			if (mask) {
				__u32 idx = NST_STAT_LAT_MASK;
				__u64 *m = bpf_map_lookup_elem(&stats, &idx);

				if (m && *m < mask)
					*m = mask;
			}
		}
	}
	if (!l->mask)
		return 1;
	if (ctx->protocol == bpf_htons(ETH_P_IP)) {
		__u8 *ip = data + ETH_HLEN;

		if ((void *)(ip + 28) > end || ip[0] != 0x45)
			return 1;
		proto = ip[9];
		first = ip[20];
		x = *(__u32 *)(ip + 4);                    /* id, fragment word */
		l4 = *(__u32 *)(ip + 24);
		if (proto == NST_IPPROTO_TCP) {
			if ((void *)(ip + 34) > end || (ip[33] & 0x02))   /* SYN */
				return 1;
		} else if (proto == NST_IPPROTO_ICMP && (first == 8 || first == 0)) {
			return 1;
		}
	} else if (ctx->protocol == bpf_htons(ETH_P_IPV6)) {
		__u8 *ip6 = data + ETH_HLEN;

		if ((void *)(ip6 + 48) > end)
			return 1;
		proto = ip6[6];
		first = ip6[40];
		x = *(__u32 *)ip6 & bpf_htonl(0x000fffff);  /* flow label */
		l4 = *(__u32 *)(ip6 + 44);
		if (proto == NST_IPPROTO_TCP) {
			if ((void *)(ip6 + 54) > end || (ip6[53] & 0x02))
				return 1;
		} else if (proto == NST_IPPROTO_ICMPV6 && (first == 128 || first == 129)) {
			return 1;
		}
	} else {
		return 0;
	}
	x ^= l4;
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	return !(x & l->mask);
}

static __noinline void time_port(struct __sk_buff *ctx, __u32 netns, __u32 dir)
{
	struct nst_stamp *s, st = {};
	struct nst_skey k = {};
	struct nst_port me = { .netns = netns, .ifindex = ctx->ifindex }, *peer;
	__u32 *mode;
	__u64 now;

	if (tc_pid(ctx, &k.p))
		return;
	now = bpf_ktime_get_ns();
	mode = bpf_map_lookup_elem(&netns_mode, &netns);
	if (!mode)
		return;
	if (*mode == NST_NS_ADDRS && !addr_watched(k.p.family, k.p.src) &&
	    !addr_watched(k.p.family, k.p.dst))
		return;
	k.netns = netns;
	k.ifindex = dir == NST_INGRESS ? ctx->ifindex : 0;
	s = bpf_map_lookup_elem(&stamps, &k);
	if (s && now - s->ts < (dir == NST_INGRESS ? STAMP_MAX_NS : STAMP_MAX_NS_INSIDE)) {
		hop_add(s, netns, ctx->ifindex, dir, now);
		st.first_ts = s->first_ts;
		st.first_netns = s->first_netns;
	} else {
		s = NULL;
		st.first_ts = now;
		st.first_netns = netns;
	}
	st.ts = now;
	st.netns = netns;
	st.ifindex = ctx->ifindex;
	st.dir = dir;
	if (dir == NST_INGRESS) {
		if (s)
			bpf_map_delete_elem(&stamps, &k);
		if (addr_owner(k.p.family, k.p.dst) == netns) {   /* delivered here */
			struct nst_xkey x = { .src_netns = st.first_netns, .dst_netns = netns,
					      .kind = NST_LAT_ONEWAY };

			if (s)
				hist_add(&pair_hist, &x, now - st.first_ts);
			rtt_end(&k.p, netns, now);
			return;
		}
		k.ifindex = 0;   /* on to this namespace's way out */
	} else {
		if (!s && addr_owner(k.p.family, k.p.src) == netns)
			rtt_start(&k.p, netns, now);
		peer = bpf_map_lookup_elem(&peers, &me);
		if (!peer)
			return;
		k.netns = peer->netns;
		k.ifindex = peer->ifindex;
	}
	bpf_map_update_elem(&stamps, &k, &st, BPF_ANY);
}

/* watch --pcap-all: one packet per port and direction per interval. */
static __noinline void sample_seen(struct __sk_buff *ctx, __u32 netns, __u32 dir)
{
	struct nst_dkey k = { .netns = netns, .ifindex = ctx->ifindex,
			      .reason = NST_EV_SEEN, .location = dir };
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
 * calls below count_port (6.1's verifier allows 512 bytes in all). */
static __noinline __u32 tc_netns_read(struct __sk_buff *ctx)
{
	struct { void *p[8]; } head = {};
	struct net_device *dev;

	if (bpf_probe_read_kernel(&head, sizeof(head), ctx))
		return 0;
	dev = head.p[(bpf_core_field_offset(struct sk_buff, dev) / 8) & 7];
	return dev ? dev_netns(dev) : 0;
}

static __always_inline int count_port(struct __sk_buff *ctx, __u32 dir, __u32 netns)
{
	struct nst_pkey k = { .netns = netns, .ifindex = ctx->ifindex, .dir = dir };
	struct nst_pval *v, zero = {};
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 proto = l4_proto(ctx, data, end);

	v = counter(&ports, &k, &zero);
	if (v) {
		v->packets += 1;
		v->bytes += ctx->len;
	}
	/* Only ICMP (or what cannot be read in place) pays for a closer look. */
	if (proto == NST_IPPROTO_ICMP || proto == NST_IPPROTO_ICMPV6 || proto == 0xff)
		icmp_on_wire(ctx, k.netns, dir);
	if (capture == NST_CAP_ALL)
		sample_seen(ctx, k.netns, dir);
	if (journey)
		tell_hop(ctx, k.netns, dir);
	if (latency && lat_wanted(ctx, data, end))
		time_port(ctx, k.netns, dir);
	return TC_ACT_UNSPEC;
}

SEC("tc")
int watch_tc_ingress_kctx(struct __sk_buff *ctx)
{
	return count_port(ctx, NST_INGRESS, tc_netns_kctx(ctx));
}

SEC("tc")
int watch_tc_egress_kctx(struct __sk_buff *ctx)
{
	return count_port(ctx, NST_EGRESS, tc_netns_kctx(ctx));
}

SEC("tc")
int watch_tc_ingress(struct __sk_buff *ctx)
{
	return count_port(ctx, NST_INGRESS, tc_netns_read(ctx));
}

SEC("tc")
int watch_tc_egress(struct __sk_buff *ctx)
{
	return count_port(ctx, NST_EGRESS, tc_netns_read(ctx));
}
