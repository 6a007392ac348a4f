#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include "link.h"

static struct nlmsghdr *link_msg(struct rtnl *r, void *buf, int type,
				 int flags, const char *name)
{
	struct nlmsghdr *nlh = rtnl_msg(r, buf, type, flags);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

static int ifindex_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type == RTM_NEWLINK)
		*(int *)data = ifi->ifi_index;
	return MNL_CB_OK;
}

int link_ifindex(struct rtnl *r, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int idx = 0, ret;

	ret = rtnl_talk(r, link_msg(r, buf, RTM_GETLINK, 0, name),
			ifindex_cb, &idx);
	if (ret)
		return ret;
	return idx > 0 ? idx : -ENODEV;
}

int link_add_bridge(struct rtnl *r, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nlattr *info;

	nlh = link_msg(r, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	return rtnl_talk(r, nlh, NULL, NULL);
}

int link_add_veth(struct rtnl *r, const char *name, const char *peer,
		  int peer_netns_fd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *info, *data, *peer_attr;
	struct ifinfomsg *pifi;
	struct nlmsghdr *nlh;

	nlh = link_msg(r, buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* The peer is a nested message with its own ifinfomsg header. */
	peer_attr = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*pifi));
	pifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	if (peer_netns_fd >= 0)
		mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, peer_netns_fd);
	mnl_attr_nest_end(nlh, peer_attr);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return rtnl_talk(r, nlh, NULL, NULL);
}

int link_set_mtu(struct rtnl *r, const char *name, unsigned int mtu)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = link_msg(r, buf, RTM_NEWLINK, 0, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return rtnl_talk(r, nlh, NULL, NULL);
}

int link_set_master(struct rtnl *r, const char *name, int master_ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = link_msg(r, buf, RTM_NEWLINK, 0, name);
	mnl_attr_put_u32(nlh, IFLA_MASTER, master_ifindex);
	return rtnl_talk(r, nlh, NULL, NULL);
}

int link_set_up(struct rtnl *r, const char *name, int up)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	nlh = link_msg(r, buf, RTM_NEWLINK, 0, name);
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	return rtnl_talk(r, nlh, NULL, NULL);
}

int link_del(struct rtnl *r, const char *name)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return rtnl_talk(r, link_msg(r, buf, RTM_DELLINK, 0, name), NULL, NULL);
}
