#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/socket.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include "attach.h"
#include "clock.h"
#include "kfeat.h"
#include "log.h"
#include "netns.h"
#include "nstrace_types.h"
#include "rtnl.h"

/* libbpf 1.1's headers predate tcx (kernel 6.6). */
#define NST_BPF_TCX_INGRESS 46
#define NST_BPF_TCX_EGRESS 47
#ifndef BPF_F_BEFORE
#define BPF_F_BEFORE (1U << 3)
#endif
/* Our clsact priority: high enough to stay out of the way of tc's
 * defaults (49152 and up are what tc picks), fixed so we can find it. */
#define NST_TC_PRIO 0x4e53
#define NST_TC_PRIOS 16   /* nstraces watching one port at once */
#define NST_TC_HANDLE 0x4e53

static int tcx_unsupported;

static int attach_tcx(int ifindex, int dir, int prog_fd)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_BEFORE);

	return bpf_link_create(prog_fd, ifindex,
			       dir == NST_INGRESS ? NST_BPF_TCX_INGRESS : NST_BPF_TCX_EGRESS,
			       &opts);
}

/* HOOK_EXISTS: the other direction was just attached with clsact on this
 * device, so its qdisc is there (one RTNL round trip less a port). */
static int attach_clsact(struct attachment *a, int prog_fd, struct lease *lease, int hook_exists)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
		    .attach_point = a->dir == NST_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .priority = NST_TC_PRIO,
		    .handle = NST_TC_HANDLE);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int ret;

	if ((ret = bpf_obj_get_info_by_fd(prog_fd, &info, &len)))
		return ret;
	ret = hook_exists ? -EEXIST : bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST)
		return ret;
	a->hook_created = ret == 0;
	a->prio = NST_TC_PRIO;
	a->handle = NST_TC_HANDLE;
	a->prog_id = info.id;
	/* Written down before the filter exists: a SIGKILL in between must
	 * not leave a filter nobody knows of. */
	if (!lease->f && (ret = lease_open(lease, "watch")))
		goto undo;
	/* No BPF_TC_F_REPLACE: a filter already at our priority is not ours
	 * (another nstrace's, on the same port): the next priority, then. */
	for (int i = 0; i < NST_TC_PRIOS; i++) {
		opts.priority = a->prio = NST_TC_PRIO + i;
		if ((ret = lease_add(lease, ATTACH_LEASE_LINE, (unsigned long long)a->netns,
				     a->ifindex, a->dir, a->prio, a->handle, a->prog_id,
				     a->hook_created)))
			goto undo;
		ret = bpf_tc_attach(&hook, &opts);
		if (ret != -EEXIST)
			break;
		opts.prog_id = 0;
	}
	if (ret)
		goto undo;
	a->legacy = 1;
	return 0;
undo:
	if (a->hook_created)
		bpf_tc_hook_destroy(&hook);
	return ret;
}

#define ATTACH_TCX_FIRST 16
#define ATTACH_TCX_SLOW_MS 50

/* ATTACH_TCX_FIRST, or NSTRACE_TCX_FIRST (tests: 0 is clsact first). */
static int tcx_first_max(void)
{
	static int max = -1;
	const char *e;

	if (max < 0) {
		e = getenv("NSTRACE_TCX_FIRST");
		max = e && *e ? atoi(e) : ATTACH_TCX_FIRST;
		if (max < 0)
			max = 0;
	}
	return max;
}

const char *attach_kind(const struct attach_set *s)
{
	/* Nothing attached yet (a large host's plan is told first): the mode. */
	if (!s->used_tcx && !s->used_legacy && kfeat_get()->tcx && !tcx_unsupported) {
		if (s->mode == ATTACH_TCX)
			return "tcx";
		if (s->mode == ATTACH_AUTO && tcx_first_max() > 0)
			return "tcx+clsact";
	}
	return s->used_tcx && s->used_legacy ? "tcx+clsact" : s->used_tcx ? "tcx" : "clsact";
}

/* How many tcx programs run on IFINDEX in DIR already (this namespace). */
static unsigned int tcx_progs(int ifindex, int dir)
{
	__u32 ids[8], cnt = 8, flags = 0;

	if (bpf_prog_query(ifindex, dir == NST_INGRESS ? NST_BPF_TCX_INGRESS : NST_BPF_TCX_EGRESS,
			   0, &flags, ids, &cnt))
		return 0;
	return cnt;
}

struct filter_count {
	unsigned int below;   /* count filters with a priority below this */
	int n;
};

static int count_filter(const struct nlmsghdr *nlh, void *data)
{
	const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);
	struct filter_count *c = data;

	if (nlh->nlmsg_type == RTM_NEWTFILTER && TC_H_MAJ(t->tcm_info) >> 16 < c->below)
		c->n++;
	return MNL_CB_OK;
}

/* How many tc filters on IFINDEX in DIR (this namespace) have a priority
 * below BELOW. */
static int filters_below(int ifindex, int dir, unsigned int below)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct filter_count c = { .below = below };
	struct nlmsghdr *nlh;
	struct tcmsg *t;
	struct rtnl r;

	if (rtnl_open(&r, -1))
		return 0;
	nlh = rtnl_msg(&r, buf, RTM_GETTFILTER, NLM_F_DUMP);
	t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_parent = TC_H_MAKE(TC_H_CLSACT, dir == NST_INGRESS ? TC_H_MIN_INGRESS
								 : TC_H_MIN_EGRESS);
	if (rtnl_talk(&r, nlh, count_filter, &c))
		c.n = 0;
	rtnl_close(&r);
	return c.n;
}

/* Filters before our priority: a TC_ACT_OK or a redirect there ends a
 * packet's way before a clsact filter of ours would see it. */
static int filters_before_ours(int ifindex, int dir)
{
	return filters_below(ifindex, dir, NST_TC_PRIO);
}

static int qdisc_cb(const struct nlmsghdr *nlh, void *data)
{
	struct attach_qdiscs *q = data;
	const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);
	int *v;

	if (nlh->nlmsg_type != RTM_NEWQDISC || mnl_nlmsg_get_payload_len(nlh) < sizeof(*t) ||
	    (t->tcm_parent != TC_H_CLSACT && t->tcm_parent != TC_H_INGRESS))
		return MNL_CB_OK;
	v = realloc(q->dev, (q->n + 1) * sizeof(*v));
	if (!v)
		return MNL_CB_ERROR;
	q->dev = v;
	v[q->n++] = t->tcm_ifindex;
	return MNL_CB_OK;
}

/* This namespace's (NETNS, the current one) qdiscs, dumped once a pass. */
static struct attach_qdiscs *qdiscs_of(struct attach_set *s, uint64_t netns)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct attach_qdiscs *q;
	struct nlmsghdr *nlh;
	struct tcmsg *t;
	struct rtnl r;

	for (int i = 0; i < s->nqd; i++)
		if (s->qd[i].netns == netns)
			return &s->qd[i];
	q = realloc(s->qd, (s->nqd + 1) * sizeof(*q));
	if (!q)
		return NULL;
	s->qd = q;
	q = &s->qd[s->nqd++];
	memset(q, 0, sizeof(*q));
	q->netns = netns;
	if (rtnl_open(&r, -1))
		return q;
	nlh = rtnl_msg(&r, buf, RTM_GETQDISC, NLM_F_DUMP);
	t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tcm_family = AF_UNSPEC;
	q->valid = !rtnl_talk(&r, nlh, qdisc_cb, q);
	rtnl_close(&r);
	return q;
}

/* Can IFINDEX (in NETNS, the current namespace) have tc filters at all?
 * When its namespace's qdiscs cannot be read, assume so. */
static int may_have_filters(struct attach_set *s, uint64_t netns, int ifindex)
{
	const struct attach_qdiscs *q = qdiscs_of(s, netns);

	if (!q || !q->valid)
		return 1;
	for (int i = 0; i < q->n; i++)
		if (q->dev[i] == ifindex)
			return 1;
	return 0;
}

void attach_pass_begin(struct attach_set *s)
{
	for (int i = 0; i < s->nqd; i++)
		free(s->qd[i].dev);
	free(s->qd);
	s->qd = NULL;
	s->nqd = 0;
}

/* clsact filters attach and detach in well under a millisecond, but cost
 * every packet clsact's dispatch (tcf_classify around the program: more
 * than our program itself in a small-packet storm); a tcx link costs a
 * packet almost nothing, but waits for an RCU grace period under RTNL to
 * attach (8-16 ms idle, more on a busy host: KNOWN_ISSUES.md). So the
 * first ATTACH_TCX_FIRST hooks of a watch (bridge.topo's red has 14) get
 * tcx links, ~0.2 s paid once, and the rest clsact filters, so that a
 * large host still attaches in seconds; after one link that took longer
 * than ATTACH_TCX_SLOW_MS (a busy or emulated host), clsact only. And tcx
 * wherever other programs run on the device before our filter would (tcx
 * programs run before every clsact filter, and filters at a lower priority
 * before ours): there only a tcx link placed first sees every packet.
 * FIRST: set when the link is one of the first ones. */
static int use_tcx(struct attach_set *s, uint64_t netns, int ifindex, int dir, int *first)
{
	*first = 0;
	if (s->mode == ATTACH_CLSACT || tcx_unsupported || !kfeat_get()->tcx)
		return 0;
	if (s->mode == ATTACH_AUTO && !s->tcx_slow && s->tcx_first < tcx_first_max()) {
		*first = 1;
		return 1;
	}
	return s->mode == ATTACH_TCX || tcx_progs(ifindex, dir) > 0 ||
	       (may_have_filters(s, netns, ifindex) && filters_before_ours(ifindex, dir) > 0);
}

/* Does PROG_FD run on A's port already? A device moved into another
 * namespace (a container's veth, renamed eth0) takes its filters and
 * links along: it is adopted then, not attached twice. */
static int already_ours(struct attach_set *s, struct attachment *a, int prog_fd,
			struct lease *lease)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
		    .attach_point = a->dir == NST_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), ids[8], cnt = 8, flags = 0;

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return 0;
	if (!bpf_prog_query(a->ifindex, a->dir == NST_INGRESS ? NST_BPF_TCX_INGRESS :
			    NST_BPF_TCX_EGRESS, 0, &flags, ids, &cnt))
		for (__u32 i = 0; i < cnt; i++)
			if (ids[i] == info.id)
				return 1;   /* its tcx link is released where it was made */
	/* No clsact qdisc, no filter: 16 queries a port and direction less
	 * (a netlink dump each: minutes at 2,000 ports). */
	if (!may_have_filters(s, a->netns, a->ifindex))
		return 0;
	for (int i = 0; i < NST_TC_PRIOS; i++) {
		LIBBPF_OPTS(bpf_tc_opts, opts, .priority = NST_TC_PRIO + i, .handle = NST_TC_HANDLE);

		if (bpf_tc_query(&hook, &opts) || opts.prog_id != info.id)
			continue;
		a->legacy = 1;
		a->prio = opts.priority;
		a->handle = opts.handle;
		a->prog_id = info.id;
		/* Leased again under its new namespace, for cleanup after a kill. */
		if (lease->f)
			lease_add(lease, ATTACH_LEASE_LINE, (unsigned long long)a->netns, a->ifindex,
				  a->dir, a->prio, a->handle, a->prog_id, 0);
		return 1;
	}
	return 0;
}

int attach_port(struct attach_set *s, int netns_fd, uint64_t netns, int ifindex,
		int dir, int prog_fd)
{
	struct attachment *v, a = { .netns = netns, .ifindex = ifindex, .dir = dir, .link_fd = -1 };
	int saved, ret, tcx, first, fd = -1;
	double t0, ms;

	v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	/* An ifindex means something only inside its namespace. */
	ret = netns_enter(netns_fd, &saved);
	if (ret)
		return ret;
	if (already_ours(s, &a, prog_fd, &s->lease)) {
		netns_leave(saved);
		s->v[s->n++] = a;
		return 0;
	}
	tcx = use_tcx(s, netns, ifindex, dir, &first);
	if (tcx) {
		t0 = mono_now();
		fd = attach_tcx(ifindex, dir, prog_fd);
		ms = (mono_now() - t0) * 1e3;
		s->tcx_first += first;
		if (first && ms > ATTACH_TCX_SLOW_MS) {
			pr_debug("a tcx link took %.0f ms: clsact filters from here on\n", ms);
			s->tcx_slow = 1;
		}
		if (fd == -EINVAL || fd == -EOPNOTSUPP) {
			pr_info("tcx links are not available (%s); using clsact\n", strerror(-fd));
			tcx_unsupported = 1;
			tcx = 0;
		}
	}
	if (!tcx) {
		const struct attachment *prev = s->n ? &s->v[s->n - 1] : NULL;

		ret = attach_clsact(&a, prog_fd, &s->lease, prev && prev->legacy &&
				    prev->netns == netns && prev->ifindex == ifindex);
		s->used_legacy |= !ret;
	} else if (fd >= 0) {
		a.link_fd = fd;
		s->used_tcx = 1;
		ret = 0;
	} else {
		ret = fd;
	}
	netns_leave(saved);
	if (!ret)
		s->v[s->n++] = a;
	return ret;
}

static int by_fd(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The child that lets the tcx links go: every fd but theirs closed (a
 * reader of our stdout sees its end now), default signals. */
static void release_links_child(int *fds, int n, int go)
{
	sigset_t all;
	int prev = -1;
	char c;

	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	qsort(fds, n, sizeof(*fds), by_fd);
	for (int i = 0; i < n; prev = fds[i++])
		if (fds[i] > prev + 1)
			close_range(prev + 1, fds[i] - 1, 0);
	close_range(prev + 1, ~0U, 0);
	/* Only once the parent has let go of its copies (it closes GO's
	 * other end after them): otherwise the parent's close may be a link's
	 * last, and it waits for the grace period, not us. */
	while (go >= 0 && read(go, &c, 1) < 0 && errno == EINTR)
		;
	for (int i = 0; i < n; i++)
		close(fds[i]);
	_exit(0);
}

/* Each tcx link waits for an RCU grace period when released (~10 ms idle,
 * seconds on a busy host with hundreds of ports), and the kernel releases
 * what a dying process holds before its parent sees it exit. A child
 * inherits the links and releases them; we close our copies at once and
 * are free to exit. If it cannot be made, we release them here. */
void attach_hand_off_links(struct attach_set *s)
{
	int *fds = calloc(s->n + 1, sizeof(*fds)), n = 0, go[2] = { -1, -1 };

	for (int i = 0; fds && i < s->n; i++)
		if (s->v[i].link_fd >= 0)
			fds[n++] = s->v[i].link_fd;
	if (n && !pipe2(go, O_CLOEXEC))
		fds[n] = go[0];   /* kept open in the child, not closed with the links */
	if (n && fork() == 0)
		release_links_child(fds, go[0] >= 0 ? n + 1 : n, go[0]);
	for (int i = 0; i < s->n; i++)
		if (s->v[i].link_fd >= 0) {
			close(s->v[i].link_fd);
			s->v[i].link_fd = -1;
		}
	if (go[0] >= 0) {
		close(go[0]);
		/* Closed once our clsact filters are off (attach_release) or
		 * when we die: the child's go-ahead. */
		s->links_go = go[1];
		s->links_go_open = 1;
	}
	free(fds);
}

static void links_go(struct attach_set *s)
{
	if (s->links_go_open)
		close(s->links_go);
	s->links_go_open = 0;
}

void attach_release(struct attach_set *s, int (*open_ns)(uint64_t netns, void *ctx),
		    void *ctx)
{
	attach_hand_off_links(s);
	detach_clsact_all(s->v, s->n, open_ns, ctx);
	links_go(s);
	lease_drop(&s->lease);
	free(s->v);
	s->v = NULL;
	s->n = 0;
	attach_pass_begin(s);
}

void attach_forget_gone(struct attach_set *s, int (*exists)(uint64_t netns, int ifindex, void *ctx),
			void *ctx)
{
	int k = 0;

	for (int i = 0; i < s->n; i++) {
		struct attachment *a = &s->v[i];

		if (exists(a->netns, a->ifindex, ctx)) {
			s->v[k++] = *a;
			continue;
		}
		if (a->link_fd >= 0)
			close(a->link_fd);   /* defunct with its device */
	}
	s->n = k;
}
