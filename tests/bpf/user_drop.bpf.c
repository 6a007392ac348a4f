// SPDX-License-Identifier: GPL-2.0
/* A user's own tc filter, for tests/e2e/fate.sh: drops ICMP echo
 * requests with an odd sequence number (TC_ACT_SHOT), lets the rest go
 * on to the next filter. Not part of nstrace. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

/* linux/icmp.h and linux/in.h pull in the C library: the fields we need. */
#define IPPROTO_ICMP 1
#define ICMP_ECHO 8

struct echo {
	__u8 type, code;
	__u16 csum, id, seq;
};

SEC("tc")
int user_drop(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct echo *ic;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->protocol != IPPROTO_ICMP || ip->ihl != 5)
		return TC_ACT_UNSPEC;
	ic = (void *)(ip + 1);
	if ((void *)(ic + 1) > end)
		return TC_ACT_UNSPEC;
	if (ic->type == ICMP_ECHO && (bpf_ntohs(ic->seq) & 1))
		return TC_ACT_SHOT;
	return TC_ACT_UNSPEC;
}
