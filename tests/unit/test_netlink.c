/* Discovery's rtnetlink parsing on hand-made messages, including the ones
 * the fuzzer found (tests/fuzz/corpus/netlink/crash-*). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include "discover.h"
#include "unit.h"

static struct nlmsghdr *newlink(char *buf, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = ifindex;
	return nlh;
}

static void parses_a_link(void)
{
	char buf[512] __attribute__((aligned(4))) = { 0 };
	struct nlmsghdr *nlh = newlink(buf, 7);
	struct live_ns ns = { 0 };

	mnl_attr_put_strz(nlh, IFLA_IFNAME, "veth-red");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1400);
	CHECK(discover_parse(&ns, buf, nlh->nlmsg_len) == 0, "parse");
	CHECK(ns.nlinks == 1 && ns.links[0].ifindex == 7, "one link, ifindex 7");
	CHECK(ns.nlinks == 1 && !strcmp(ns.links[0].name, "veth-red") && ns.links[0].mtu == 1400,
	      "name and mtu");
	free(ns.links);
}

/* A u32 attribute of 2 bytes and a name without its NUL are ignored,
 * not read past. */
static void short_attributes_ignored(void)
{
	char buf[512] __attribute__((aligned(4))) = { 0 };
	struct nlmsghdr *nlh = newlink(buf, 3);
	struct live_ns ns = { 0 };
	uint16_t two = 1500;

	mnl_attr_put(nlh, IFLA_MTU, sizeof(two), &two);
	mnl_attr_put(nlh, IFLA_IFNAME, 4, "abcd");
	CHECK(discover_parse(&ns, buf, nlh->nlmsg_len) == 0, "parse");
	CHECK(ns.nlinks == 1 && ns.links[0].mtu == 0 && ns.links[0].name[0] == 0,
	      "mtu %u name '%s'", ns.nlinks ? ns.links[0].mtu : 0, ns.nlinks ? ns.links[0].name : "");
	free(ns.links);
}

/* Found by fuzz_netlink: a message whose length runs past the buffer
 * sent libmnl 1.0.4 reading far beyond it. */
static void length_past_the_buffer(void)
{
	char buf[64] __attribute__((aligned(4))) = { 0 };
	struct nlmsghdr *nlh = newlink(buf, 1);
	struct live_ns ns = { 0 };

	nlh->nlmsg_len = 0xfffffff0;
	CHECK(discover_parse(&ns, buf, sizeof(buf)) == -EBADMSG, "accepted a length past the end");
	nlh->nlmsg_len = 0xffffffff;   /* padded in 32 bits, that wraps to 0: a loop */
	CHECK(discover_parse(&ns, buf, sizeof(buf)) == -EBADMSG, "accepted a length that wraps");
	nlh->nlmsg_len = 8;   /* shorter than its own header */
	CHECK(discover_parse(&ns, buf, sizeof(buf)) == -EBADMSG, "accepted a length under 16");
	CHECK(ns.nlinks == 0, "a link from a broken buffer");
	free(ns.links);
}

/* Found by fuzz_netlink: a message of 51 bytes in a buffer of 51 whose
 * last attribute ends in the padding libmnl reads up to (52). */
static void attribute_in_the_padding(void)
{
	char *buf = malloc(51);
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct live_ns ns = { 0 };

	if (!CHECK(buf, "malloc"))
		return;
	memset(buf, 0, 51);
	nlh = (struct nlmsghdr *)buf;
	nlh->nlmsg_len = 51;
	nlh->nlmsg_type = RTM_NEWROUTE;
	rtm = (struct rtmsg *)(nlh + 1);
	rtm->rtm_family = 2;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_type = RTN_UNICAST;
	/* at 44: RTA_DST, nla_len 8: its last byte would be the 52nd */
	buf[44] = 8;
	buf[46] = RTA_DST;
	CHECK(discover_parse(&ns, buf, 51) == -EBADMSG, "read an attribute past the buffer");
	free(ns.routes);
	free(buf);
}

/* Messages too short for their ifinfomsg, ifaddrmsg or rtmsg header are
 * skipped without reading the header (found by fuzz_netlink: an address
 * message of 4 bytes had its family read from beyond the buffer). */
static void header_too_short(void)
{
	static const int types[] = { RTM_NEWLINK, RTM_NEWADDR, RTM_NEWROUTE };

	for (int i = 0; i < 3; i++) {
		char *buf = malloc(sizeof(struct nlmsghdr) + 4);
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		struct live_ns ns = { 0 };

		if (!CHECK(buf, "malloc"))
			return;
		memset(buf, 0, sizeof(*nlh) + 4);
		nlh->nlmsg_type = types[i];
		nlh->nlmsg_len = sizeof(*nlh) + 4;
		CHECK(discover_parse(&ns, buf, nlh->nlmsg_len) == 0 && !ns.nlinks && !ns.nroutes,
		      "type %d: something from 4 bytes", types[i]);
		free(ns.links);
		free(ns.routes);
		free(buf);
	}
}

const struct unit_test netlink_tests[] = {
	{ "netlink_parses_a_link", parses_a_link },
	{ "netlink_short_attributes_ignored", short_attributes_ignored },
	{ "netlink_length_past_the_buffer", length_past_the_buffer },
	{ "netlink_header_too_short", header_too_short },
	{ "netlink_attribute_in_the_padding", attribute_in_the_padding },
	{ NULL, NULL },
};
