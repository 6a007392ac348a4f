// SPDX-License-Identifier: GPL-2.0
/* The smallest useful program: counts kfree_skb per namespace. It reads
 * only the skb argument, so it loads on kernels whose tracepoint has no
 * drop reason (before 5.17) as well.
 * `nstrace features` loads and attaches it to prove the kernel accepts
 * tp_btf programs with CO-RE, before `watch` relies on them. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "nstrace.h"

char LICENSE[] SEC("license") = "GPL";

const volatile __u32 filter_netns = 0; /* 0: every namespace */

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nst_probe_key);
	__type(value, __u64);
} drop_counts SEC(".maps");

static __always_inline __u32 skb_netns(struct sk_buff *skb)
{
	struct net_device *dev = BPF_CORE_READ(skb, dev);
	struct sock *sk;

	if (dev)
		return BPF_CORE_READ(dev, nd_net.net, ns.inum);
	sk = BPF_CORE_READ(skb, sk);
	if (sk)
		return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(probe_kfree_skb, struct sk_buff *skb)
{
	struct nst_probe_key key = {};
	__u64 one = 1, *val;

	key.netns = skb_netns(skb);
	if (filter_netns && key.netns != filter_netns)
		return 0;
	val = bpf_map_lookup_elem(&drop_counts, &key);
	if (val)
		*val += 1;
	else
		bpf_map_update_elem(&drop_counts, &key, &one, BPF_NOEXIST);
	return 0;
}
