#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "log.h"
#include "netns.h"
#include "nstrace_types.h"

/* libbpf 1.1's headers predate tcx (kernel 6.6). */
#define NST_BPF_TCX_INGRESS 46
#define NST_BPF_TCX_EGRESS 47
#ifndef BPF_F_BEFORE
#define BPF_F_BEFORE (1U << 3)
#endif
/* Our clsact priority: high enough to stay out of the way of tc's
 * defaults (49152 and up are what tc picks), fixed so we can find it. */
#define NST_TC_PRIO 0x4e53
#define NST_TC_HANDLE 0x4e53

static int tcx_unsupported;

static int attach_tcx(int ifindex, int dir, int prog_fd)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_BEFORE);

	return bpf_link_create(prog_fd, ifindex,
			       dir == NST_INGRESS ? NST_BPF_TCX_INGRESS : NST_BPF_TCX_EGRESS,
			       &opts);
}

static int attach_clsact(struct attachment *a, int prog_fd)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
		    .attach_point = a->dir == NST_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd, .priority = NST_TC_PRIO,
		    .handle = NST_TC_HANDLE);
	int ret;

	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST)
		return ret;
	a->hook_created = ret == 0;
	/* No BPF_TC_F_REPLACE: a filter already at our priority is not ours. */
	ret = bpf_tc_attach(&hook, &opts);
	if (ret) {
		if (a->hook_created)
			bpf_tc_hook_destroy(&hook);
		return ret;
	}
	a->legacy = 1;
	a->prio = opts.priority;
	a->handle = opts.handle;
	a->prog_id = opts.prog_id;
	return 0;
}

int attach_port(struct attach_set *s, int netns_fd, uint64_t netns, int ifindex,
		int dir, int prog_fd)
{
	struct attachment *v, a = { .netns = netns, .ifindex = ifindex, .dir = dir, .link_fd = -1 };
	int saved, ret, fd = -1;

	v = realloc(s->v, (s->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	/* An ifindex means something only inside its namespace. */
	ret = netns_enter(netns_fd, &saved);
	if (ret)
		return ret;
	if (!tcx_unsupported) {
		fd = attach_tcx(ifindex, dir, prog_fd);
		if (fd == -EINVAL || fd == -EOPNOTSUPP) {
			pr_info("tcx links are not available (%s); using clsact\n", strerror(-fd));
			tcx_unsupported = 1;
		}
	}
	if (fd >= 0) {
		a.link_fd = fd;
		ret = 0;
	} else if (tcx_unsupported) {
		ret = attach_clsact(&a, prog_fd);
		s->used_legacy |= !ret;
	} else {
		ret = fd;
	}
	netns_leave(saved);
	if (!ret)
		s->v[s->n++] = a;
	return ret;
}

static void detach_clsact(const struct attachment *a)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
		    .attach_point = a->dir == NST_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .priority = a->prio, .handle = a->handle);

	/* ifindexes repeat across namespaces and filters can be replaced:
	 * delete only what still runs our program. */
	if (bpf_tc_query(&hook, &opts) || opts.prog_id != a->prog_id)
		return;
	opts.prog_id = 0;
	opts.prog_fd = 0;
	opts.flags = 0;
	bpf_tc_detach(&hook, &opts);
	/* A clsact qdisc we created goes with us (see KNOWN_ISSUES.md). */
	if (a->hook_created) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
}

void attach_release(struct attach_set *s, int (*open_ns)(uint64_t netns, void *ctx),
		    void *ctx)
{
	for (int i = 0; i < s->n; i++) {
		struct attachment *a = &s->v[i];
		int fd, saved;

		if (a->link_fd >= 0) {
			close(a->link_fd);
			continue;
		}
		if (!a->legacy || (fd = open_ns(a->netns, ctx)) < 0)
			continue;
		if (!netns_enter(fd, &saved)) {
			detach_clsact(a);
			netns_leave(saved);
		}
		close(fd);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
