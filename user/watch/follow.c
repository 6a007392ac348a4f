/* Following the system while watching: link changes (rtnetlink), the
 * plan rebuilt around them, and targets that vanish. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <net/if.h>
#include "follow.h"
#include "log.h"

/* Mark target I gone; 1 when nothing is left to watch. */
int follow_target_gone(struct watch *w, int i, const char *why)
{
	int left = 0;

	if (!w->s.target[i].gone) {
		w->s.target[i].gone = 1;
		report_note(&w->rep, &w->view, why);
	}
	for (int k = 0; k < w->s.ntargets; k++)
		left += !w->s.target[k].gone;
	if (!left && w->s.ntargets)
		report_note(&w->rep, &w->view, "nothing left to watch: stopping");
	return !left && w->s.ntargets;
}

/* Named targets vanish from /run/netns; our own fds keep the namespace
 * itself alive, so link events would never tell. */
int follow_check_targets(struct watch *w)
{
	char why[160];

	for (int i = 0; i < w->s.ntargets; i++) {
		const struct target *t = &w->s.target[i];

		if (t->name[0] && !t->gone && !netns_exists(t->name)) {
			snprintf(why, sizeof(why), "namespace %s was deleted", t->name);
			if (follow_target_gone(w, i, why))
				return 1;
		}
	}
	return 0;
}

/* Namespaces that lost their name (ip netns del) or their process: stop
 * following them, so that nstrace is not what keeps them alive. Their
 * veths then go, and the root side's link events replan the watch. */
void follow_check_namespaces(struct watch *w)
{
	char why[160];

	struct monitor *mon = &w->s.mon;
	int shared;

	for (int i = 0; i < mon->n; i++) {
		struct netns_info *ni = (struct netns_info *)netns_by_inode(&w->s.nl, mon->v[i].netns);

		/* Not in the list since the last re-plan: no name and no process
		 * hold it any more, only this socket. */
		if (!monitor_following(mon, i) || (ni && netns_still_there(ni)))
			continue;
		shared = mon->v[i].covered;
		monitor_close(mon, i);
		/* Heard through the shared socket, nothing of ours held it: it
		 * is gone already, its name with it. */
		if (!ni && shared)
			snprintf(why, sizeof(why), "namespace %s is gone (%s): no longer followed",
				 mon->v[i].name[0] ? mon->v[i].name :
				 names_ns(&w->s.names, mon->v[i].netns, NAME_BUF),
				 mon->v[i].name[0] ? "deleted" : "its process exited");
		else
			snprintf(why, sizeof(why), "namespace %s is gone (%s): no longer followed",
				 names_ns(&w->s.names, mon->v[i].netns, NAME_BUF),
				 !ni ? "nothing but nstrace held it" : ni->name[0] ? "deleted" :
				 "its process exited");
		report_note(&w->rep, &w->view, why);
	}
}

/* The kernel often announces one change several times. The model is kept
 * current as each announcement arrives (a deleted link stays, marked gone,
 * so its name is kept too), so a repeat finds nothing new. */
void follow_on_link(void *ctx, uint64_t netns, const struct link_change *c)
{
	struct watch *w = ctx;
	struct live_ns *ns = (struct live_ns *)live_ns_by_inode(&w->s.lt, netns);
	struct live_link *old = ns ? (struct live_link *)live_link_by_index(ns, c->ifindex) : NULL;

	int known = old && !old->gone;

	w->replan = 1;
	if (c->deleted && old && old->gone)
		return;   /* told already */
	if (c->deleted || !known) {
		report_link(&w->rep, &w->view, netns, old ? old->name : c->name,
			    c->deleted ? "deleted" : "new", 0, c->deleted ? 0 : c->mtu);
	} else {
		if (c->mtu && c->mtu != old->mtu)
			report_link(&w->rep, &w->view, netns, c->name, "mtu", old->mtu, c->mtu);
		if ((c->flags ^ old->flags) & IFF_UP)
			report_link(&w->rep, &w->view, netns, c->name,
				    (c->flags & IFF_UP) ? "up" : "down", 0, 0);
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

/* Links changed: the same plan-and-attach as at the start. */
void follow_replan(struct watch *w)
{
	w->replan = 0;
	if (session_plan(&w->s))
		pr_warn("the attach plan changed and a new port could not be attached\n");
}
