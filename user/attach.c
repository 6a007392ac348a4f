#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "kfeat.h"
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

static int attach_clsact(struct attachment *a, int prog_fd, struct lease *lease)
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
	ret = bpf_tc_hook_create(&hook);
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
	if ((ret = lease_add(lease, ATTACH_LEASE_LINE, (unsigned long long)a->netns,
			     a->ifindex, a->dir, a->prio, a->handle, a->prog_id, a->hook_created)))
		goto undo;
	/* No BPF_TC_F_REPLACE: a filter already at our priority is not ours. */
	ret = bpf_tc_attach(&hook, &opts);
	if (ret)
		goto undo;
	a->legacy = 1;
	return 0;
undo:
	if (a->hook_created)
		bpf_tc_hook_destroy(&hook);
	return ret;
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
	if (s->force_legacy || !kfeat_get()->tcx)
		tcx_unsupported = 1;
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
		ret = attach_clsact(&a, prog_fd, &s->lease);
		s->used_legacy |= !ret;
	} else {
		ret = fd;
	}
	netns_leave(saved);
	if (!ret)
		s->v[s->n++] = a;
	return ret;
}

static int detach_clsact(const struct attachment *a, int dry)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
		    .attach_point = a->dir == NST_INGRESS ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .priority = a->prio, .handle = a->handle);
	int ret;

	/* ifindexes repeat across namespaces and filters can be replaced:
	 * delete only what still runs our program. */
	if (bpf_tc_query(&hook, &opts) || opts.prog_id != a->prog_id)
		return 0;
	if (dry)
		return 1;
	opts.prog_id = 0;
	opts.prog_fd = 0;
	opts.flags = 0;
	ret = bpf_tc_detach(&hook, &opts);
	if (ret)
		return ret;
	/* A clsact qdisc we created goes with us (see KNOWN_ISSUES.md). */
	if (a->hook_created) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	return 1;
}

int attach_detach_legacy(int netns_fd, const struct attachment *a, int dry)
{
	int saved, ret = netns_enter(netns_fd, &saved);

	if (ret)
		return ret;
	ret = detach_clsact(a, dry);
	netns_leave(saved);
	return ret;
}

void attach_release(struct attach_set *s, int (*open_ns)(uint64_t netns, void *ctx),
		    void *ctx)
{
	/* Last first: a clsact qdisc goes with the filter that created it,
	 * after the filters attached to it later. */
	for (int i = s->n - 1; i >= 0; i--) {
		struct attachment *a = &s->v[i];
		int fd;

		if (a->link_fd >= 0) {
			close(a->link_fd);
			continue;
		}
		if (!a->legacy || (fd = open_ns(a->netns, ctx)) < 0)
			continue;
		attach_detach_legacy(fd, a, 0);
		close(fd);
	}
	lease_drop(&s->lease);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
