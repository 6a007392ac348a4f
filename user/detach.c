/* Taking our clsact filters away at exit, a namespace at a time: the
 * namespace entered once and one rtnetlink socket for all its devices.
 * Each device's filters are dumped once per direction; a clsact qdisc we
 * created that holds nothing but our filters is deleted (the filters go
 * with it: one request), otherwise only our filters are, and the qdisc
 * stays for whoever else uses it (another watch, a user's filter).
 * Through libbpf this was eight requests a device, each on a socket of
 * its own (2,000 ports: 14,000 sockets at exit). A dead watch's leased
 * filters (cleanup, the next watch) go the same way, one at a time
 * (attach_detach_legacy). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include "attach.h"
#include "netns.h"
#include "nstrace_types.h"
#include "rtnl.h"

/* What one direction of a device holds, from its filter dump. */
struct dir_scan {
	const struct attachment *a;   /* ours there, or NULL */
	int ours;                     /* our filter is still there, still our program */
	int foreign;                  /* filters that are not ours */
};

static int opt_cb(const struct nlattr *attr, void *data)
{
	unsigned int *id = data;

	if (mnl_attr_get_type(attr) == TCA_BPF_ID && mnl_attr_get_payload_len(attr) >= 4)
		*id = mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

static int top_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **opts = data;

	if (mnl_attr_get_type(attr) == TCA_OPTIONS)
		*opts = attr;
	return MNL_CB_OK;
}

/* A filter (or a priority's header, handle 0) in the dump: ours when it is
 * at our priority and, for a filter, has our handle and runs our program
 * (ifindexes repeat across namespaces; filters can be replaced). */
static int scan_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *opts = NULL;
	struct dir_scan *d = data;
	unsigned int id = 0;

	if (nlh->nlmsg_type != RTM_NEWTFILTER || mnl_nlmsg_get_payload_len(nlh) < sizeof(*t))
		return MNL_CB_OK;
	if (!d->a || TC_H_MAJ(t->tcm_info) >> 16 != d->a->prio) {
		d->foreign++;
		return MNL_CB_OK;
	}
	if (!t->tcm_handle)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*t), top_cb, &opts);
	if (opts)
		mnl_attr_parse_nested(opts, opt_cb, &id);
	if (t->tcm_handle == d->a->handle && id == d->a->prog_id)
		d->ours = 1;
	else
		d->foreign++;
	return MNL_CB_OK;
}

static unsigned int clsact_parent(int dir)
{
	return TC_H_MAKE(TC_H_CLSACT, dir == NST_INGRESS ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);
}

static struct tcmsg *tc_msg(struct rtnl *r, char *buf, int type, int flags, int ifindex)
{
	struct nlmsghdr *nlh = rtnl_msg(r, buf, type, flags);
	struct tcmsg *t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));

	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	return t;
}

static int scan_dir(struct rtnl *r, int ifindex, int dir, struct dir_scan *d)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct tcmsg *t = tc_msg(r, buf, RTM_GETTFILTER, NLM_F_DUMP, ifindex);

	t->tcm_parent = clsact_parent(dir);
	return rtnl_talk(r, (struct nlmsghdr *)buf, scan_cb, d);
}

static int del_filter(struct rtnl *r, const struct attachment *a)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct tcmsg *t = tc_msg(r, buf, RTM_DELTFILTER, 0, a->ifindex);

	t->tcm_parent = clsact_parent(a->dir);
	t->tcm_handle = a->handle;
	t->tcm_info = TC_H_MAKE(a->prio << 16, htons(ETH_P_ALL));
	mnl_attr_put_strz((struct nlmsghdr *)buf, TCA_KIND, "bpf");
	return rtnl_talk(r, (struct nlmsghdr *)buf, NULL, NULL);
}

static int del_clsact(struct rtnl *r, int ifindex)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct tcmsg *t = tc_msg(r, buf, RTM_DELQDISC, 0, ifindex);

	t->tcm_parent = TC_H_CLSACT;
	t->tcm_handle = TC_H_MAKE(TC_H_CLSACT, 0);
	mnl_attr_put_strz((struct nlmsghdr *)buf, TCA_KIND, "clsact");
	return rtnl_talk(r, (struct nlmsghdr *)buf, NULL, NULL);
}

/* One device's attachments (the namespace entered): A[0..N), both
 * directions at most once each. How many of our filters are (DRY: would
 * be) removed, or -errno. A filter of the other direction that A does not
 * name counts as someone else's: the qdisc stays for it. */
static int detach_dev(struct rtnl *r, const struct attachment **a, int n, int dry)
{
	struct dir_scan d[2] = { { 0 } };
	int created = 0, ours, ret = 0;

	for (int i = 0; i < n; i++) {
		if (!d[a[i]->dir].a)
			d[a[i]->dir].a = a[i];
		created |= a[i]->hook_created;
	}
	for (int dir = NST_INGRESS; dir <= NST_EGRESS; dir++)
		/* No device, no clsact qdisc: nothing of ours is left there. */
		if (scan_dir(r, a[0]->ifindex, dir, &d[dir]))
			return 0;
	ours = d[0].ours + d[1].ours;
	if (dry || !ours)
		return ours;
	if (created && !d[0].foreign && !d[1].foreign)
		return (ret = del_clsact(r, a[0]->ifindex)) ? ret : ours;
	for (int dir = NST_INGRESS; dir <= NST_EGRESS; dir++)
		if (d[dir].ours && (ret = del_filter(r, d[dir].a)))
			return ret;
	return ours;
}

int attach_detach_legacy(int netns_fd, const struct attachment *a, int dry)
{
	int saved, ret = netns_enter(netns_fd, &saved);
	struct rtnl r;

	if (ret)
		return ret;
	if (!(ret = rtnl_open(&r, -1))) {
		ret = detach_dev(&r, &a, 1, dry);
		rtnl_close(&r);
	}
	netns_leave(saved);
	return ret;
}

static int by_place(const void *x, const void *y)
{
	const struct attachment *a = *(const struct attachment *const *)x;
	const struct attachment *b = *(const struct attachment *const *)y;

	if (a->netns != b->netns)
		return a->netns < b->netns ? -1 : 1;
	return a->ifindex - b->ifindex;
}

/* The devices of one namespace: P[0..N), sorted by ifindex. */
static void detach_ns(const struct attachment **p, int n, int (*open_ns)(uint64_t netns, void *ctx),
		      void *ctx)
{
	int fd = open_ns(p[0]->netns, ctx), saved;
	struct rtnl r;

	if (fd < 0)
		return;   /* gone: its devices and filters went with it */
	if (!netns_enter(fd, &saved)) {
		if (!rtnl_open(&r, -1)) {
			for (int i = 0, j; i < n; i = j) {
				for (j = i + 1; j < n && p[j]->ifindex == p[i]->ifindex; j++)
					;
				detach_dev(&r, p + i, j - i, 0);
			}
			rtnl_close(&r);
		}
		netns_leave(saved);
	}
	close(fd);
}

void detach_clsact_all(struct attachment *v, int n, int (*open_ns)(uint64_t netns, void *ctx),
		       void *ctx)
{
	const struct attachment **p = calloc(n ? n : 1, sizeof(*p));
	int m = 0;

	if (!p)
		return;
	for (int i = 0; i < n; i++)
		if (v[i].legacy)
			p[m++] = &v[i];
	qsort(p, m, sizeof(*p), by_place);
	for (int i = 0, j; i < m; i = j) {
		for (j = i + 1; j < m && p[j]->netns == p[i]->netns; j++)
			;
		detach_ns(p + i, j - i, open_ns, ctx);
	}
	free(p);
}
