#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <linux/if_arp.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include "discover.h"
#include "rtnl.h"

struct nsid_map {
	int nsid;
	uint64_t inode;
};

static int push(void **arr, int *n, size_t sz)
{
	void *v = realloc(*arr, (*n + 1) * sz);

	if (!v)
		return -ENOMEM;
	*arr = v;
	memset((char *)v + *n * sz, 0, sz);
	(*n)++;
	return 0;
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (type <= IFLA_MAX)  /* the largest of the attribute sets we read */
		tb[type] = attr;
	return MNL_CB_OK;
}

/* An attribute read as a u32 (u8) must hold that much: a short one from
 * a buggy or hostile sender is ignored, not read past. */
static uint32_t get_u32(const struct nlattr *a, uint32_t dflt)
{
	return a && mnl_attr_get_payload_len(a) >= 4 ? mnl_attr_get_u32(a) : dflt;
}

/* A string attribute, NUL-terminated within its payload, or "". */
static const char *get_str(const struct nlattr *a)
{
	return a && !mnl_attr_validate(a, MNL_TYPE_NUL_STRING) ? mnl_attr_get_str(a) : "";
}

static void read_kind(const struct nlattr *linkinfo, char *kind, size_t len)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, linkinfo)
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
		    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			snprintf(kind, len, "%s", mnl_attr_get_str(a));
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct live_ns *ns = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1] = {};
	struct live_link *l;

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return MNL_CB_OK;
	if (push((void **)&ns->links, &ns->nlinks, sizeof(*l)))
		return MNL_CB_ERROR;
	l = &ns->links[ns->nlinks - 1];
	mnl_attr_parse(nlh, sizeof(*ifi), attr_cb, tb);
	l->ifindex = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	l->link_nsid = -1;
	snprintf(l->name, sizeof(l->name), "%s", get_str(tb[IFLA_IFNAME]));
	l->mtu = get_u32(tb[IFLA_MTU], 0);
	if (tb[IFLA_OPERSTATE] && mnl_attr_get_payload_len(tb[IFLA_OPERSTATE]) >= 1)
		l->operstate = mnl_attr_get_u8(tb[IFLA_OPERSTATE]);
	l->master = (int)get_u32(tb[IFLA_MASTER], 0);
	l->link_ifindex = (int)get_u32(tb[IFLA_LINK], 0);
	l->link_nsid = (int)get_u32(tb[IFLA_LINK_NETNSID], (uint32_t)-1);
	if (tb[IFLA_LINKINFO])
		read_kind(tb[IFLA_LINKINFO], l->kind, sizeof(l->kind));
	if (!l->kind[0])
		snprintf(l->kind, sizeof(l->kind), "%s",
			 ifi->ifi_type == ARPHRD_LOOPBACK ? "loopback" : "device");
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6) {
		const unsigned char *m = mnl_attr_get_payload(tb[IFLA_ADDRESS]);

		snprintf(l->mac, sizeof(l->mac), "%02x:%02x:%02x:%02x:%02x:%02x",
			 m[0], m[1], m[2], m[3], m[4], m[5]);
	}
	return MNL_CB_OK;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct live_ns *ns = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1] = {};
	const struct nlattr *a;
	struct live_link *l;
	size_t n;

	if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return MNL_CB_OK;
	n = ifa->ifa_family == AF_INET ? 4 : 16;   /* read only once it is there */
	l = (struct live_link *)live_link_by_index(ns, (int)ifa->ifa_index);
	if (!l || l->naddrs >= LIVE_MAX_ADDRS)
		return MNL_CB_OK;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, tb);
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a || mnl_attr_get_payload_len(a) < n)
		return MNL_CB_OK;
	l->addrs[l->naddrs].family = ifa->ifa_family;
	l->addrs[l->naddrs].plen = ifa->ifa_prefixlen;
	memcpy(l->addrs[l->naddrs].a, mnl_attr_get_payload(a), n);
	l->naddrs++;
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct live_ns *ns = data;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFLA_MAX + 1] = {};
	struct live_route *r;
	size_t n;
	int table;

	if (nlh->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) ||
	    rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	n = rtm->rtm_family == AF_INET ? 4 : 16;
	mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb);
	table = (int)get_u32(tb[RTA_TABLE], rtm->rtm_table);
	if (table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	if (push((void **)&ns->routes, &ns->nroutes, sizeof(*r)))
		return MNL_CB_ERROR;
	r = &ns->routes[ns->nroutes - 1];
	r->dst.family = rtm->rtm_family;
	r->dst.plen = rtm->rtm_dst_len;
	r->protocol = rtm->rtm_protocol;
	if (tb[RTA_DST] && mnl_attr_get_payload_len(tb[RTA_DST]) >= n)
		memcpy(r->dst.a, mnl_attr_get_payload(tb[RTA_DST]), n);
	if (tb[RTA_GATEWAY] && mnl_attr_get_payload_len(tb[RTA_GATEWAY]) >= n) {
		r->has_gw = 1;
		r->gw.family = rtm->rtm_family;
		r->gw.plen = -1;
		memcpy(r->gw.a, mnl_attr_get_payload(tb[RTA_GATEWAY]), n);
	}
	r->oif = (int)get_u32(tb[RTA_OIF], 0);
	if (tb[RTA_METRICS]) {
		const struct nlattr *m;

		mnl_attr_for_each_nested(m, tb[RTA_METRICS])
			if (mnl_attr_get_type(m) == RTAX_MTU &&
			    mnl_attr_get_payload_len(m) >= 4)
				r->mtu = mnl_attr_get_u32(m);
	}
	return MNL_CB_OK;
}

static int any_cb(const struct nlmsghdr *nlh, void *data)
{
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK: return link_cb(nlh, data);
	case RTM_NEWADDR: return addr_cb(nlh, data);
	case RTM_NEWROUTE: return route_cb(nlh, data);
	default: return MNL_CB_OK;
	}
}

int discover_parse(struct live_ns *ns, const void *buf, size_t len)
{
	int ret;

	if (!rtnl_buf_valid(buf, len))
		return -EBADMSG;
	ret = mnl_cb_run(buf, len, 0, 0, any_cb, ns);
	return ret < 0 ? -errno : 0;
}

static int dump(struct rtnl *r, int type, int family, size_t hdrlen,
		mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = rtnl_msg(r, buf, type, NLM_F_DUMP);
	/* Every rt*msg starts with its family byte. */
	*(unsigned char *)mnl_nlmsg_put_extra_header(nlh, hdrlen) = family;
	return rtnl_talk(r, nlh, cb, data);
}

static int nsid_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1] = {};

	if (nlh->nlmsg_type != RTM_NEWNSID)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(struct rtgenmsg), attr_cb, tb);
	if (tb[NETNSA_NSID])
		*(int *)data = (int)get_u32(tb[NETNSA_NSID], (uint32_t)-1);
	return MNL_CB_OK;
}

/* The id that the namespace of R gives to the namespace FD, or -1. */
static int nsid_of(struct rtnl *r, int fd)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct rtgenmsg *g;
	int id = -1;

	nlh = rtnl_msg(r, buf, RTM_GETNSID, 0);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, fd);
	if (rtnl_talk(r, nlh, nsid_cb, &id))
		id = -1;
	return id;
}

#define DUMP_TRIES 5

static int discover_one(struct live_ns *ns, const struct netns_info *ni,
			const struct netns_list *all, int routes)
{
	struct rtnl r;
	int *ids, ret = rtnl_open(&r, ni->fd);

	if (ret)
		return ret;
	ids = malloc((all->n ? all->n : 1) * sizeof(*ids));
	if (!ids) {
		rtnl_close(&r);
		return -ENOMEM;
	}
	for (int k = 0; k < all->n; k++)
		ids[k] = -2;  /* not asked yet */
	for (int tries = 1; ; tries++) {
		ret = dump(&r, RTM_GETLINK, AF_UNSPEC, sizeof(struct ifinfomsg), link_cb, ns);
		if (!ret)
			ret = dump(&r, RTM_GETADDR, AF_UNSPEC, sizeof(struct ifaddrmsg), addr_cb, ns);
		if (!ret && routes)
			ret = dump(&r, RTM_GETROUTE, AF_INET, sizeof(struct rtmsg), route_cb, ns);
		if (!ret && routes)
			dump(&r, RTM_GETROUTE, AF_INET6, sizeof(struct rtmsg), route_cb, ns);
		/* Links or addresses changed during the dump (NLM_F_DUMP_INTR: a
		 * host still configuring hundreds of new veths): all of it again,
		 * on a fresh socket (the rest of that dump is still queued). The
		 * namespace is not gone: it must not drop out of the plan (the
		 * root did so, with its 1,001 ports, 10 s after a topo up of 1,000). */
		if (ret != -EINTR || tries == DUMP_TRIES)
			break;
		free(ns->links);
		free(ns->routes);
		ns->links = NULL;
		ns->routes = NULL;
		ns->nlinks = ns->nroutes = 0;
		rtnl_close(&r);
		if ((ret = rtnl_open(&r, ni->fd))) {
			free(ids);
			return ret;
		}
	}
	/* Peers: IFLA_LINK is an ifindex in the namespace that
	 * IFLA_LINK_NETNSID names, as this namespace numbers it. */
	for (int i = 0; !ret && i < ns->nlinks; i++) {
		struct live_link *l = &ns->links[i];

		if (strcmp(l->kind, "veth") || !l->link_ifindex)
			continue;
		l->peer_ifindex = l->link_ifindex;
		if (l->link_nsid < 0) {
			l->peer_netns = ns->inode;
			continue;
		}
		for (int k = 0; k < all->n; k++) {
			if (all->v[k].inode == ns->inode)
				continue;
			if (ids[k] == -2)
				ids[k] = nsid_of(&r, all->v[k].fd);
			if (ids[k] == l->link_nsid) {
				l->peer_netns = all->v[k].inode;
				break;
			}
		}
	}
	free(ids);
	rtnl_close(&r);
	return ret;
}

/* A large host is discovered by a few threads, each in the namespaces it
 * takes next (its own setns, its own sockets): the dumps are the kernel's
 * work, and a namespace's three round trips wait on each other, not on
 * the other namespaces'. */
#define DISCOVER_PAR_FROM 32
#define DISCOVER_THREADS 4

struct discovery {
	const struct netns_list *nl;
	struct live_ns *ns;       /* one a namespace, in NL's order */
	char *ok;
	int routes;
	int next;                 /* the next namespace to take (atomic) */
};

static void discover_at(struct discovery *d, int i)
{
	const struct netns_info *ni = &d->nl->v[i];
	struct live_ns *ns = &d->ns[i];

	ns->inode = ni->inode;
	ns->is_root = ni->is_root;
	ns->pid = ni->pid;
	snprintf(ns->name, sizeof(ns->name), "%s", ni->name);
	snprintf(ns->label, sizeof(ns->label), "%s", ni->label);
	ns->ct = ni->ct;
	/* A namespace that vanished meanwhile is simply not shown. */
	if (discover_one(ns, ni, d->nl, d->routes)) {
		free(ns->links);
		free(ns->routes);
		memset(ns, 0, sizeof(*ns));
		return;
	}
	d->ok[i] = 1;
}

static void *discover_thread(void *arg)
{
	struct discovery *d = arg;

	for (int i; (i = __atomic_fetch_add(&d->next, 1, __ATOMIC_RELAXED)) < d->nl->n;)
		discover_at(d, i);
	return NULL;
}

static int threads_wanted(int n)
{
	const char *e = getenv("NSTRACE_DISCOVER_THREADS");   /* for make bench */
	int t = e && atoi(e) > 0 ? atoi(e) : DISCOVER_THREADS;

	return n < DISCOVER_PAR_FROM ? 1 : t;
}

static int discover_some(struct live_topo *lt, const struct netns_list *nl, int routes)
{
	struct netns_list own = { 0 };
	struct discovery d = { .routes = routes };
	pthread_t th[DISCOVER_THREADS * 4];
	int nth = 0, want;

	memset(lt, 0, sizeof(*lt));
	if (!nl) {
		netns_enumerate(&own);
		nl = &own;
	}
	d.nl = nl;
	lt->ns = calloc(nl->n ? nl->n : 1, sizeof(*lt->ns));
	d.ns = lt->ns;
	d.ok = calloc(nl->n ? nl->n : 1, 1);
	if (!lt->ns || !d.ok) {
		free(d.ok);
		netns_list_free(&own);
		return -ENOMEM;
	}
	want = threads_wanted(nl->n);
	if (want > (int)(sizeof(th) / sizeof(th[0])))
		want = sizeof(th) / sizeof(th[0]);
	/* This thread is one of them; a thread not started is one fewer. */
	while (nth < want - 1 && !pthread_create(&th[nth], NULL, discover_thread, &d))
		nth++;
	discover_thread(&d);
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	/* In NL's order, those that answered. */
	for (int i = 0; i < nl->n; i++)
		if (d.ok[i])
			lt->ns[lt->nns++] = lt->ns[i];
	memset(lt->ns + lt->nns, 0, (nl->n - lt->nns) * sizeof(*lt->ns));
	free(d.ok);
	netns_list_free(&own);
	return 0;
}

int discover(struct live_topo *lt, const struct netns_list *nl)
{
	return discover_some(lt, nl, 1);
}

int discover_no_routes(struct live_topo *lt, const struct netns_list *nl)
{
	return discover_some(lt, nl, 0);
}

void live_free(struct live_topo *lt)
{
	for (int i = 0; i < lt->nns; i++) {
		free(lt->ns[i].links);
		free(lt->ns[i].routes);
	}
	free(lt->ns);
	memset(lt, 0, sizeof(*lt));
}

const struct live_ns *live_ns_by_inode(const struct live_topo *lt, uint64_t ino)
{
	for (int i = 0; i < lt->nns; i++)
		if (lt->ns[i].inode == ino)
			return &lt->ns[i];
	return NULL;
}

const struct live_ns *live_ns_by_name(const struct live_topo *lt, const char *name)
{
	for (int i = 0; i < lt->nns; i++)
		if (!strcmp(lt->ns[i].name, name) || (!name[0] && lt->ns[i].is_root))
			return &lt->ns[i];
	return NULL;
}

const struct live_link *live_link_by_index(const struct live_ns *ns, int ifindex)
{
	for (int i = 0; i < ns->nlinks; i++)
		if (ns->links[i].ifindex == ifindex)
			return &ns->links[i];
	return NULL;
}

const struct live_link *live_link_by_name(const struct live_ns *ns, const char *name)
{
	for (int i = 0; i < ns->nlinks; i++)
		if (!strcmp(ns->links[i].name, name))
			return &ns->links[i];
	return NULL;
}

const char *live_operstate(int operstate)
{
	static const char *names[] = { "UNKNOWN", "NOTPRESENT", "DOWN",
		"LOWERLAYERDOWN", "TESTING", "DORMANT", "UP" };

	if (operstate < 0 || operstate > 6)
		return "UNKNOWN";
	return names[operstate];
}

struct live_link *live_ns_add_link(struct live_ns *ns)
{
	if (push((void **)&ns->links, &ns->nlinks, sizeof(*ns->links)))
		return NULL;
	ns->links[ns->nlinks - 1].link_nsid = -1;
	return &ns->links[ns->nlinks - 1];
}

