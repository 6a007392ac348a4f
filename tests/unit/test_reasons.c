/* Benign drops are told by what the packet is, the same on every kernel
 * (the ping copy is freed at ping_rcv on 6.18, icmp_rcv on 6.1 and 6.12). */
#include <string.h>
#include <sys/socket.h>
#include "nstrace_types.h"
#include "reasons.h"
#include "unit.h"

static struct nst_flow icmp(int proto, int type)
{
	struct nst_flow f = { .family = AF_INET, .proto = proto, .icmp_type = type };

	f.dst[0] = 10;
	return f;
}

static void ping_copy_by_packet(void)
{
	struct nst_flow reply = icmp(1, 0), reply6 = icmp(58, 129), udp = icmp(17, 0);

	CHECK(reason_benign("NO_SOCKET", "icmp_rcv", &reply), "echo reply at icmp_rcv (6.1)");
	CHECK(reason_benign("NO_SOCKET", "ping_rcv", &reply), "echo reply at ping_rcv (6.18)");
	CHECK(reason_benign("NO_SOCKET", "icmpv6_rcv", &reply6), "ICMPv6 echo reply");
	CHECK(!reason_benign("NO_SOCKET", "icmp_rcv", &udp), "a UDP drop is not a ping copy");
	CHECK(!reason_benign("NO_SOCKET", "__udp4_lib_rcv", NULL), "no packet, no ping_rcv");
	CHECK(reason_benign("NO_SOCKET", "ping_rcv", NULL), "no packet: the function tells");
}

static void no_reason_kernels(void)
{
	struct nst_flow mc = { .family = AF_INET6 }, reply = icmp(1, 0), uni = icmp(17, 0);

	mc.dst[0] = 0xff;
	CHECK(reason_benign("NO_REASON", "ip6_mc_input", &mc), "multicast before 5.17");
	CHECK(reason_benign("NO_REASON", "icmp_rcv", &reply), "ping copy before 5.17");
	CHECK(!reason_benign("NO_REASON", "__udp4_lib_rcv", &uni), "a real drop stays real");
	CHECK(!strcmp(reason_name(NST_REASON_NONE), "NO_REASON"), "%s", reason_name(NST_REASON_NONE));
}

static void late_teardown_segments(void)
{
	struct nst_flow rst = icmp(6, 0), fin = icmp(6, 0), syn = icmp(6, 0), data = icmp(6, 0);

	rst.tcp_flags = 0x14;   /* RST ACK */
	fin.tcp_flags = 0x11;   /* FIN ACK */
	syn.tcp_flags = 0x02;
	data.tcp_flags = 0x18;  /* PSH ACK */
	CHECK(reason_benign("NO_SOCKET", "tcp_v4_rcv", &rst), "a reset for a closed connection");
	CHECK(reason_benign("NO_SOCKET", "tcp_v4_rcv", &fin), "a FIN for a closed connection");
	CHECK(!reason_benign("NO_SOCKET", "tcp_v4_rcv", &syn), "a refused SYN is the alarm");
	CHECK(!reason_benign("NO_SOCKET", "tcp_v4_rcv", &data), "data to a dead socket is lost");
}

static void icmp_error_handled_then_freed(void)
{
	struct nst_flow ptb = icmp(58, 2), fn = icmp(1, 3), echo = icmp(58, 128);

	ptb.family = 10;
	CHECK(reason_benign("NOT_SPECIFIED", "icmpv6_rcv", &ptb), "6.1 frees a handled Packet Too Big");
	CHECK(reason_benign("NOT_SPECIFIED", "icmp_rcv", &fn), "a handled frag-needed");
	CHECK(!reason_benign("NETFILTER_DROP", "nft_do_chain", &ptb), "a firewall's drop is refused");
	CHECK(!reason_benign("NOT_SPECIFIED", "icmpv6_rcv", &echo), "an echo request is no error");
}

static void probe_ttl_runs_out(void)
{
	struct nst_flow echo = icmp(1, 8), tcp = icmp(6, 0);

	CHECK(reason_benign("IP_INHDR", "ip_forward", &echo), "ping -t 1 through a router");
	CHECK(!reason_benign("IP_INHDR", "ip_forward", &tcp), "TCP's TTL running out: a loop?");
	CHECK(!reason_benign("IP_INHDR", "ip_rcv_core", &echo), "a bad header is no probe");
}

const struct unit_test reasons_tests[] = {
	{ "reasons_probe_ttl_runs_out", probe_ttl_runs_out },
	{ "reasons_icmp_error_handled_then_freed", icmp_error_handled_then_freed },
	{ "reasons_late_teardown_segments", late_teardown_segments },
	{ "reasons_ping_copy_by_packet", ping_copy_by_packet },
	{ "reasons_no_reason_kernels", no_reason_kernels },
	{ NULL, NULL },
};
