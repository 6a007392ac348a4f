#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include "monitor.h"
#include "rtnl.h"
#include "netns.h"

int monitor_add(struct monitor *m, int netns_fd, uint64_t netns)
{
	struct monitor_sock *v = realloc(m->v, (m->n + 1) * sizeof(*v));
	struct mnl_socket *nl;
	int saved, ret;

	if (!v)
		return -ENOMEM;
	m->v = v;
	ret = netns_enter(netns_fd, &saved);
	if (ret)
		return ret;
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ret = nl ? 0 : -errno;
	netns_leave(saved);
	if (ret)
		return ret;
	if (mnl_socket_bind(nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		mnl_socket_close(nl);
		return ret;
	}
	m->v[m->n].netns = netns;
	m->v[m->n++].nl = nl;
	return mnl_socket_get_fd(nl);
}

int monitor_has(const struct monitor *m, uint64_t netns)
{
	for (int i = 0; i < m->n; i++)
		if (m->v[i].nl && m->v[i].netns == netns)
			return 1;
	return 0;
}

void monitor_close(struct monitor *m, int idx)
{
	if (!m->v[idx].nl)
		return;
	mnl_socket_close(m->v[idx].nl);   /* also leaves any epoll set */
	m->v[idx].nl = NULL;
}

struct read_ctx {
	uint64_t netns;
	void (*cb)(void *ctx, uint64_t netns, const struct link_change *c);
	void *ctx;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(attr) <= IFLA_MAX)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct read_ctx *rc = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1] = {};
	struct link_change c = { 0 };

	if ((nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifi), attr_cb, tb);
	c.deleted = nlh->nlmsg_type == RTM_DELLINK;
	c.ifindex = ifi->ifi_index;
	c.flags = ifi->ifi_flags;
	/* Lengths checked: a short attribute is ignored, not read past. */
	if (tb[IFLA_IFNAME] && !mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING))
		strncpy(c.name, mnl_attr_get_str(tb[IFLA_IFNAME]), sizeof(c.name) - 1);
	if (tb[IFLA_MTU] && mnl_attr_get_payload_len(tb[IFLA_MTU]) >= 4)
		c.mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	/* A device moving to another namespace is deleted here with its
	 * new namespace's id (a container's veth on its way to be eth0). */
	c.moved = c.deleted && tb[IFLA_NEW_NETNSID] != NULL;
	c.new_ifindex = c.ifindex;
	if (c.moved && tb[IFLA_NEW_IFINDEX] && mnl_attr_get_payload_len(tb[IFLA_NEW_IFINDEX]) >= 4)
		c.new_ifindex = (int)mnl_attr_get_u32(tb[IFLA_NEW_IFINDEX]);
	rc->cb(rc->ctx, rc->netns, &c);
	return MNL_CB_OK;
}

int monitor_read(struct monitor *m, int idx,
		 void (*cb)(void *ctx, uint64_t netns, const struct link_change *c), void *ctx)
{
	struct read_ctx rc = { .netns = m->v[idx].netns, .cb = cb, .ctx = ctx };
	char buf[16384];
	int n;

	if (!m->v[idx].nl)
		return 0;
	while ((n = mnl_socket_recvfrom(m->v[idx].nl, buf, sizeof(buf))) > 0)
		if (rtnl_buf_valid(buf, (size_t)n))
			mnl_cb_run(buf, n, 0, 0, msg_cb, &rc);
	return n < 0 && errno != EAGAIN ? -errno : 0;
}

void monitor_free(struct monitor *m)
{
	for (int i = 0; i < m->n; i++)
		if (m->v[i].nl)
			mnl_socket_close(m->v[i].nl);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}
