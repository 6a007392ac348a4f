/* Following the system while watching: link changes (rtnetlink), the
 * plan rebuilt around them, and targets that vanish. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <net/if.h>
#include "log.h"
#include "watch.h"

/* Mark target I gone; 1 when nothing is left to watch. */
int follow_target_gone(struct watch *w, int i, const char *why)
{
	int left = 0;

	if (!w->target_gone[i]) {
		w->target_gone[i] = 1;
		report_note(w, why);
	}
	for (int k = 0; k < w->ntargets; k++)
		left += !w->target_gone[k];
	if (!left && w->ntargets)
		report_note(w, "nothing left to watch: stopping");
	return !left && w->ntargets;
}

/* Named targets vanish from /run/netns; our own fds keep the namespace
 * itself alive, so link events would never tell. */
int follow_check_targets(struct watch *w)
{
	char why[160];

	for (int i = 0; i < w->ntargets; i++)
		if (w->target_name[i][0] && !w->target_gone[i] && !netns_exists(w->target_name[i])) {
			snprintf(why, sizeof(why), "namespace %s was deleted", w->target_name[i]);
			if (follow_target_gone(w, i, why))
				return 1;
		}
	return 0;
}

/* Namespaces that lost their name (ip netns del) or their process: stop
 * following them, so that nstrace is not what keeps them alive. Their
 * veths then go, and the root side's link events replan the watch. */
void follow_check_namespaces(struct watch *w)
{
	char why[160];

	for (int i = 0; i < w->mon.n; i++) {
		struct netns_info *ni = (struct netns_info *)netns_by_inode(&w->nl, w->mon.v[i].netns);

		/* Not in the list since the last re-plan: no name and no process
		 * hold it any more, only this socket. */
		if (!w->mon.v[i].nl || (ni && netns_still_there(ni)))
			continue;
		monitor_close(&w->mon, i);
		snprintf(why, sizeof(why), "namespace %s is gone (%s): no longer followed",
			 watch_ns_label(w, w->mon.v[i].netns),
			 !ni ? "nothing but nstrace held it" : ni->name[0] ? "deleted" : "its process exited");
		report_note(w, why);
	}
}

/* Remember every name: a deleted port's drops still need one. */
void follow_remember_names(struct watch *w)
{
	for (int i = 0; i < w->lt.nns; i++)
		for (int k = 0; k < w->lt.ns[i].nlinks; k++) {
			const struct live_link *l = &w->lt.ns[i].links[k];
			struct name_cache *v;
			int known = 0;

			for (int j = 0; j < w->nnames && !known; j++)
				known = w->names[j].netns == w->lt.ns[i].inode &&
					w->names[j].ifindex == l->ifindex && !strcmp(w->names[j].name, l->name);
			if (known || !(v = realloc(w->names, (w->nnames + 1) * sizeof(*v))))
				continue;
			w->names = v;
			w->names[w->nnames].netns = w->lt.ns[i].inode;
			w->names[w->nnames].ifindex = l->ifindex;
			memcpy(w->names[w->nnames++].name, l->name, sizeof(l->name));
		}
}

/* Follow link changes in every planned namespace. */
void follow_monitor_plan(struct watch *w)
{
	for (int i = 0; i < w->plan.nns; i++) {
		const struct netns_info *ni = netns_by_inode(&w->nl, w->plan.ns[i].inode);
		struct epoll_event ev = { .events = EPOLLIN };
		int fd;

		if (!ni || monitor_has(&w->mon, ni->inode))
			continue;
		fd = monitor_add(&w->mon, ni->fd, ni->inode);
		if (fd < 0) {
			pr_info("cannot follow link changes in %s: %s\n", ni->label, strerror(-fd));
			continue;
		}
		ev.data.u64 = TAG_MONITOR + w->mon.n - 1;
		epoll_ctl(w->efd, EPOLL_CTL_ADD, fd, &ev);
	}
}

/* The kernel often announces one change several times. The model is kept
 * current as each announcement arrives (a deleted link stays, marked gone,
 * so its name is kept too), so a repeat finds nothing new. */
void follow_on_link(void *ctx, uint64_t netns, const struct link_change *c)
{
	struct watch *w = ctx;
	struct live_ns *ns = (struct live_ns *)live_ns_by_inode(&w->lt, netns);
	struct live_link *old = ns ? (struct live_link *)live_link_by_index(ns, c->ifindex) : NULL;

	int known = old && !old->gone;

	w->replan = 1;
	if (c->deleted && old && old->gone)
		return;   /* told already */
	if (c->deleted || !known) {
		report_link(w, netns, old ? old->name : c->name, c->deleted ? "deleted" : "new",
			    0, c->deleted ? 0 : c->mtu);
	} else {
		if (c->mtu && c->mtu != old->mtu)
			report_link(w, netns, c->name, "mtu", old->mtu, c->mtu);
		if ((c->flags ^ old->flags) & IFF_UP)
			report_link(w, netns, c->name, (c->flags & IFF_UP) ? "up" : "down", 0, 0);
	}
	if (!old && ns && (old = live_ns_add_link(ns))) {
		old->ifindex = c->ifindex;
		memcpy(old->name, c->name, sizeof(old->name));
	}
	if (!old)
		return;
	old->gone = c->deleted;
	old->flags = c->flags;
	if (c->mtu)
		old->mtu = c->mtu;
}

/* Links changed: see the system afresh, extend the plan, attach to what is
 * new. (tcx links of deleted devices go with them.) */
void follow_replan(struct watch *w)
{
	w->replan = 0;
	live_free(&w->lt);
	netns_list_free(&w->nl);
	plan_free(&w->plan);
	netns_enumerate(&w->nl);
	if (discover(&w->lt, &w->nl) ||
	    plan_build(&w->plan, &w->lt, w->targets, w->ntargets, w->o.scope))
		return;
	follow_remember_names(w);
	watch_fill_maps(w);
	if (watch_attach_ports(w))
		pr_warn("the attach plan changed and a new port could not be attached\n");
	follow_monitor_plan(w);
	netns_list_close_fds(&w->nl);   /* attached and followed: let go of them */
}
