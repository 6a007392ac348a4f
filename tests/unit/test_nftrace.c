/* nftables tracing without root: the marking table's rules for a
 * selection, and trace messages as the kernel sends them. */
#include <arpa/inet.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include "nftrace.h"
#include "unit.h"

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* Only the watched addresses, both ways, both hooks; the port filter
 * doubles that (source or destination port); IPv6 has none here. */
static void script_selects(void)
{
	struct filter f = { .proto = IPPROTO_TCP, .port = 80 };
	struct ipaddr a[2];
	struct nftrace_sel sel = { .filter = &f, .addrs = a, .naddrs = 2 };
	char why[64], buf[8192];
	int n;

	ipaddr_parse("10.0.0.1", &a[0], 0, why, sizeof(why));
	ipaddr_parse("10.0.0.2", &a[1], 0, why, sizeof(why));
	n = nftrace_script("nstrace_trace_1", &sel, buf, sizeof(buf));
	CHECK(n == 8, "got %d rules:\n%s", n, buf);
	CHECK_STR_HAS(buf, "add chain inet nstrace_trace_1 pre { type filter hook prerouting priority -500; policy accept; }\n");
	CHECK_STR_HAS(buf, "add rule inet nstrace_trace_1 pre meta nfproto ipv4 ip saddr { 10.0.0.1, 10.0.0.2 } "
		      "meta l4proto 6 th dport 80 update @f4 { ip saddr . ip daddr . meta l4proto limit rate "
		      "20/second } meta nftrace set 1 accept\n");
	CHECK(count(buf, "ip6 ") == 0, "IPv6 rules without IPv6 addresses:\n%s", buf);
	CHECK(count(buf, " drop") == 0 && count(buf, " reject") == 0, "a rule that decides a fate");
	/* ICMP (v4) cannot be IPv6; no address limit: one rule a hook. */
	f = (struct filter){ .proto = IPPROTO_ICMP };
	sel.naddrs = 0;
	CHECK(nftrace_script("t", &sel, buf, sizeof(buf)) == 2, "icmp:\n%s", buf);
}

/* A rule's drop, as nft_trace_notify builds it: table, chain, handle,
 * type, verdict, id and the packet's headers. */
static void parse_trace(void)
{
	char buf[1024];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	struct nlattr *v;
	struct nftrace_msg m;
	uint8_t ip[20] = { 0x45, 0, 0, 60, 0, 0, 0x40, 0, 64, IPPROTO_TCP, 0, 0,
			   10, 10, 1, 2, 10, 10, 3, 2 };
	uint8_t tcp[20] = { 0xa9, 0xc8, 0x15, 0x38 };   /* 43464 -> 5432 */

	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_TRACE;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = NFPROTO_INET;
	mnl_attr_put_strz(nlh, NFTA_TRACE_TABLE, "nstrace");
	mnl_attr_put_strz(nlh, NFTA_TRACE_CHAIN, "forward");
	mnl_attr_put_u64(nlh, NFTA_TRACE_RULE_HANDLE, htobe64(3));
	mnl_attr_put_u32(nlh, NFTA_TRACE_TYPE, htonl(NFT_TRACETYPE_RULE));
	mnl_attr_put_u32(nlh, NFTA_TRACE_ID, htonl(0x641c2a4c));
	v = mnl_attr_nest_start(nlh, NFTA_TRACE_VERDICT);
	mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl(NF_DROP));
	mnl_attr_nest_end(nlh, v);
	mnl_attr_put(nlh, NFTA_TRACE_NETWORK_HEADER, sizeof(ip), ip);
	mnl_attr_put(nlh, NFTA_TRACE_TRANSPORT_HEADER, sizeof(tcp), tcp);
	if (!CHECK(nftrace_parse(nlh, nlh->nlmsg_len, &m) == 1, "not parsed"))
		return;
	CHECK(!strcmp(m.table, "nstrace") && !strcmp(m.chain, "forward") && m.handle == 3,
	      "%s %s %llu", m.table, m.chain, (unsigned long long)m.handle);
	CHECK(nftrace_is_drop(&m) && m.id == 0x641c2a4c, "a drop, id %x", m.id);
	CHECK(m.has_flow && m.flow.family == NST_AF_INET && m.flow.proto == IPPROTO_TCP &&
	      m.flow.sport == 43464 && m.flow.dport == 5432 && m.flow.dst[2] == 3, "flow");
	CHECK(!strcmp(nftrace_family(m.family), "inet"), "family");
	/* Truncated: not read past its end. */
	CHECK(nftrace_parse(nlh, 10, &m) == 0, "a truncated message parsed");
}

const struct unit_test nftrace_tests[] = {
	{ "nftrace_script_selects", script_selects },
	{ "nftrace_parse_trace", parse_trace },
	{ NULL, NULL },
};
