#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "monitor.h"
#include "rtnl.h"
#include "netns.h"

#ifndef NETLINK_LISTEN_ALL_NSID
#define NETLINK_LISTEN_ALL_NSID 8
#endif

static int nsid_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWNSID)
		return MNL_CB_OK;
	mnl_attr_for_each(a, nlh, sizeof(struct rtgenmsg))
		if (mnl_attr_get_type(a) == NETNSA_NSID && mnl_attr_get_payload_len(a) >= 4)
			*(int *)data = (int)mnl_attr_get_u32(a);
	return MNL_CB_OK;
}

/* The id our namespace gives NETNS_FD's, or -1 (none: never assigned
 * here, so that namespace's events do not reach the shared socket). */
static int nsid_of(struct monitor *m, int netns_fd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	int id = -1;

	if (!m->query) {
		struct rtnl *r = calloc(1, sizeof(*r));

		if (!r || rtnl_open(r, -1)) {
			free(r);
			return -1;
		}
		m->query = r;
	}
	nlh = rtnl_msg(m->query, buf, RTM_GETNSID, 0);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)netns_fd);
	if (rtnl_talk(m->query, nlh, nsid_cb, &id))
		id = -1;
	return id;
}

static struct monitor_sock *slot(struct monitor *m)
{
	struct monitor_sock *v = realloc(m->v, (m->n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	m->v = v;
	memset(&v[m->n], 0, sizeof(*v));
	return &v[m->n++];
}

/* A socket subscribed to link changes, opened inside NETNS_FD (-1: ours). */
static struct mnl_socket *subscribe(int netns_fd, int all)
{
	struct mnl_socket *nl;
	int saved = -1, ret = 0, on = 1;

	if (netns_fd >= 0 && (ret = netns_enter(netns_fd, &saved))) {
		errno = -ret;
		return NULL;
	}
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ret = nl ? 0 : -errno;
	if (saved >= 0)
		netns_leave(saved);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	if ((all && mnl_socket_setsockopt(nl, NETLINK_LISTEN_ALL_NSID, &on, sizeof(on)) < 0) ||
	    mnl_socket_bind(nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		ret = errno;
		mnl_socket_close(nl);
		errno = ret;
		return NULL;
	}
	return nl;
}

static int shared_index(const struct monitor *m)
{
	for (int i = 0; i < m->n; i++)
		if (m->v[i].shared && m->v[i].nl)
			return i;
	return -1;
}

int monitor_add(struct monitor *m, int netns_fd, uint64_t netns)
{
	struct monitor_sock *v;
	struct mnl_socket *nl;
	int nsid;

	if (!m->own) {
		int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

		if (self >= 0) {
			m->own = netns_inode(self);
			close(self);
		}
	}
	nsid = m->share ? nsid_of(m, netns_fd) : -1;
	if (m->share && netns == m->own && nsid < 0)
		nsid = -2;   /* ours: its messages carry no id */
	if (nsid != -1) {
		int have = shared_index(m) >= 0;

		if (!(v = slot(m)))
			return -ENOMEM;
		v->netns = netns;
		v->covered = 1;
		v->nsid = nsid;
		if (have)
			return -EALREADY;
		/* The shared socket, last, so its slot is m->n - 1. */
		if (!(nl = subscribe(-1, 1))) {
			m->n--;   /* its own socket, then */
		} else {
			if (!(v = slot(m))) {
				mnl_socket_close(nl);
				return -ENOMEM;
			}
			v->shared = 1;
			v->nl = nl;
			return mnl_socket_get_fd(nl);
		}
	}
	if (!(nl = subscribe(netns_fd, 0)))
		return -errno;
	if (!(v = slot(m))) {
		mnl_socket_close(nl);
		return -ENOMEM;
	}
	v->netns = netns;
	v->nl = nl;
	return mnl_socket_get_fd(nl);
}

int monitor_following(const struct monitor *m, int idx)
{
	return !m->v[idx].shared && (m->v[idx].nl || m->v[idx].covered);
}

int monitor_has(const struct monitor *m, uint64_t netns)
{
	for (int i = 0; i < m->n; i++)
		if (monitor_following(m, i) && m->v[i].netns == netns)
			return 1;
	return 0;
}

void monitor_close(struct monitor *m, int idx)
{
	m->v[idx].covered = 0;
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

/* The namespace the shared socket's message came from: by the id in its
 * control message, none for our own. 0 when we do not follow it. */
static uint64_t sender(const struct monitor *m, struct msghdr *msg)
{
	int nsid = -2;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c))
		if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_LISTEN_ALL_NSID &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&nsid, CMSG_DATA(c), sizeof(nsid));
	for (int i = 0; i < m->n; i++)
		if (m->v[i].covered && m->v[i].nsid == nsid)
			return m->v[i].netns;
	return 0;
}

static int read_shared(struct monitor *m, int idx, struct read_ctx *rc)
{
	char buf[16384], cbuf[CMSG_SPACE(sizeof(int)) * 2];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	for (;;) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		n = recvmsg(mnl_socket_get_fd(m->v[idx].nl), &msg, 0);
		if (n <= 0)
			break;
		rc->netns = sender(m, &msg);
		if (rc->netns && rtnl_buf_valid(buf, (size_t)n))
			mnl_cb_run(buf, (size_t)n, 0, 0, msg_cb, rc);
	}
	return n < 0 && errno != EAGAIN ? -errno : 0;
}

int monitor_read(struct monitor *m, int idx,
		 void (*cb)(void *ctx, uint64_t netns, const struct link_change *c), void *ctx)
{
	struct read_ctx rc = { .netns = m->v[idx].netns, .cb = cb, .ctx = ctx };
	char buf[16384];
	int n;

	if (!m->v[idx].nl)
		return 0;
	if (m->v[idx].shared)
		return read_shared(m, idx, &rc);
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
	if (m->query) {
		rtnl_close(m->query);
		free(m->query);
		m->query = NULL;
	}
}
