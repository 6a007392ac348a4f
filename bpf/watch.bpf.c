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

/* The programs' settings (struct nst_config), set by user space between
 * open and load. */
const volatile struct nst_config cfg = { .sample_ns = 1000000000ULL };

#include "counters.bpf.h"
#include "capture.bpf.h"
#include "tc.bpf.h"
#include "icmp.bpf.h"
#include "latency.bpf.h"
#include "journey.bpf.h"

/* A story about a drop or a reset (its sample key was due). */
static __always_inline void emit(const struct nst_sample_key *k, const struct nst_flow *f,
				 __u32 len, __u32 segs, __u32 port, __u64 now,
				 struct sk_buff *skb)
{
	struct nst_event *e;

	if (!(e = story(k->type, k->netns, k->ifindex, f, now)))
		return;

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

static __always_inline void count_reset(__u32 type, __u32 netns, __u32 ifindex,
					const struct nst_flow *f, __u16 lport, struct sk_buff *skb)
{
	struct nst_reset_key rk = { .netns = netns, .ifindex = ifindex, .type = type, .port = lport };
	struct nst_sample_key k = { .type = type, .netns = netns, .ifindex = ifindex };
	__u64 now;

	count_u64(&resets, &rk);
	now = bpf_ktime_get_ns();
	if (sample_due(&k, now))
		emit(&k, f, 0, 1, lport, now, skb);
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
	sk = skb->sk;
	if (!sk)
		return 0;
	family = sk->__sk_common.skc_family;
	return family != NST_AF_INET && family != NST_AF_INET6;
}

/* F from SKB's headers, the first time it is needed (zeroed then, not on
 * every drop: most drops of a storm never need it). CAST: see skb_flow_k. */
static __always_inline void flow_once(struct sk_buff *skb, struct nst_flow *f, int *parsed,
				      int cast)
{
	if (*parsed)
		return;
	__builtin_memset(f, 0, sizeof(*f));
	skb_flow_k(skb, f, cast);
	*parsed = 1;
}

/* skb_segs without a helper call: the shared info cast to its type, read
 * with plain (fault-safe) loads. bpf_probe_read_kernel costs most of a
 * storm's kfree_skb otherwise (copy_from_kernel_nofault and its checks). */
static __always_inline __u32 skb_segs_cast(const struct sk_buff *skb)
{
	struct skb_shared_info *sh = bpf_rdonly_cast(skb->head + skb->end,
						     bpf_core_type_id_kernel(struct skb_shared_info));
	__u16 segs;

	if (!sh->gso_size)
		return 1;
	segs = sh->gso_segs;
	return segs ? segs : 1;
}

static __always_inline void on_drop(struct sk_buff *skb, void *location, __u32 reason, int cast)
{
	struct net_device *dev = skb->dev;
	struct nst_flow f;
	struct nst_drop_key k = {};
	struct nst_drop_val *v, zero = {};
	__u32 mode, segs, len;
	int parsed = 0;
	__u64 now, next;

	k.netns = skb_netns(skb, NULL);
	mode = ns_mode(k.netns);
	if (!mode || not_a_packet(skb, dev))
		return;
	/* Headers only when a filter needs them or a story is due: in a drop
	 * storm most drops are just counted. */
	if (mode == NST_NS_ADDRS || cfg.f_proto || cfg.f_port || cfg.f_family) {
		flow_once(skb, &f, &parsed, cast);
		if (!flow_wanted(mode, &f))
			return;
	}
	k.ifindex = dev ? dev->ifindex : 0;
	k.reason = reason;
	k.location = (__u64)location;
	segs = cast ? skb_segs_cast(skb) : skb_segs(skb);
	len = skb->len;
	v = drop_counter(&k, &zero);
	if (!v)
		return;
	v->packets += 1;
	v->segs += segs;
	v->bytes += len;
	if (cfg.reset_from_drop &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_NO_SOCKET)) {
		flow_once(skb, &f, &parsed, cast);
		if (f.proto == NST_IPPROTO_TCP && !(f.tcp_flags & NST_TCP_RST))
			count_reset(NST_EV_RESET_SENT, k.netns, k.ifindex, &f, f.dport, skb);
	}
	if (cfg.journey) {
		flow_once(skb, &f, &parsed, cast);
		if (flow_wanted(NST_NS_ALL, &f))
			tell_journey_drop(skb, &k, &f, len, bpf_ktime_get_ns());
		return;
	}
	/* This CPU knows when the next story can be due: most drops of a
	 * storm stop here, without a look in the shared "sampled" map, and
	 * on jiffies, a load (bpf_ktime_get_coarse_ns is not for tracing
	 * programs; bpf_ktime_get_ns reads the clock source). */
	if (bpf_jiffies64() < v->quiet_until)
		return;
	now = bpf_ktime_get_ns();
	{
		struct nst_sample_key sk = { .type = NST_EV_DROP, .netns = k.netns,
					     .ifindex = k.ifindex, .reason = k.reason,
					     .location = k.location };

		if (sample_due_next(&sk, now, &next)) {
			flow_once(skb, &f, &parsed, cast);
			emit(&sk, &f, len, segs, 0, now, skb);
		}
	}
	/* In whole jiffies of the longest kind, rounded down: never late,
	 * but the last 10 ms before the due time ask "sampled" again. */
	v->quiet_until = bpf_jiffies64() + (next - now) / NS_PER_JIFFY_MAX;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(watch_kfree_skb_kctx, struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason)
{
	on_drop(skb, location, reason, 1);
	return 0;
}

/* 5.17-6.1: the reason, but no bpf_rdonly_cast. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(watch_kfree_skb, struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason)
{
	on_drop(skb, location, reason, 0);
	return 0;
}

/* Kernels before 5.17: the tracepoint has no reason; only the location. */
SEC("tp_btf/kfree_skb")
int BPF_PROG(watch_kfree_skb_noreason, struct sk_buff *skb, void *location)
{
	on_drop(skb, location, NST_REASON_NONE, 0);
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
	if (cfg.reset_from_drop && !sk)
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

/* Every ICMP error the kernel generates, in the namespace generating it.
 * SKB is the offending packet; for frag-needed the MTU is that of the
 * route it could not take. (There is no IPv6 counterpart.) */
SEC("tp_btf/icmp_send")
int BPF_PROG(watch_icmp_send, struct sk_buff *skb, int type, int code)
{
	struct nst_flow f = {};
	struct nst_icmp_gen_key k = {};
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
	k.orig_kind = orig_kind(&f);
	__builtin_memcpy(k.orig_src, f.src, 16);
	__builtin_memcpy(k.orig_dst, f.dst, 16);
	if (type == 3 && code == 4) {
		struct dst_entry *dst = (void *)(BPF_CORE_READ(skb, _skb_refdst) & ~1UL);

		if (dst)
			k.mtu = BPF_CORE_READ(dst, dev, mtu);
	}
	count_u64(&icmp_gen, &k);
	emit_icmp(NST_EV_ICMP_SENT, netns, 0, 0, type, code, k.mtu, &f, skb, NULL, NULL);
	return 0;
}

static __always_inline int count_port(struct __sk_buff *ctx, __u32 dir, __u32 netns)
{
	struct nst_port_val *v;
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 proto = l4_proto(ctx, data, end);
	int look = 0;

	v = port_counter(netns, ctx->ifindex, dir);
	if (v) {
		v->packets += 1;
		v->bytes += ctx->len;
	}
	/* Headers not in the linear part (a packet socket's TX ring): one
	 * copy tells whether it is ICMP and whether it is timed. */
	if (proto == 0xff)
		look = look_copied(ctx, LAT_ASK);
	else if (cfg.latency && lat_wanted(ctx, data, end))
		look = LOOK_TIME;
	/* Only ICMP pays for a closer look. */
	if (proto == NST_IPPROTO_ICMP || proto == NST_IPPROTO_ICMPV6 || (look & LOOK_ICMP))
		icmp_on_wire(ctx, netns, dir);
	if (cfg.capture == NST_CAP_ALL)
		sample_seen(ctx, netns, dir);
	if (cfg.journey)
		tell_hop(ctx, netns, dir);
	if (cfg.latency && (look & LOOK_TIME))
		time_port(ctx, netns, dir);
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
