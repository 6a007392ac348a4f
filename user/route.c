#include <linux/rtnetlink.h>
#include "route.h"

int route_add(struct rtnl *r, const struct route_spec *rt)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	size_t n = rt->dst.family == AF_INET ? 4 : 16;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	nlh = rtnl_msg(r, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = rt->dst.family;
	rtm->rtm_dst_len = rt->dst.plen < 0 ? (int)(n * 8) : rt->dst.plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_scope = rt->has_gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	if (rtm->rtm_dst_len)
		mnl_attr_put(nlh, RTA_DST, n, rt->dst.a);
	if (rt->has_gw)
		mnl_attr_put(nlh, RTA_GATEWAY, n, rt->gw.a);
	if (rt->oif)
		mnl_attr_put_u32(nlh, RTA_OIF, rt->oif);
	return rtnl_talk(r, nlh, NULL, NULL);
}
