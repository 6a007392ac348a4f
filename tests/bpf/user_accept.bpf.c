// SPDX-License-Identifier: GPL-2.0
/* A user's own tc filter, for tests/e2e/fate.sh: accepts every packet
 * early (TC_ACT_OK), so no filter after it runs. Not part of nstrace. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int user_accept(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}
