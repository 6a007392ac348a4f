/* Following the system while watching: link changes (rtnetlink), the
 * plan rebuilt around them, and targets that vanish. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

/* A container target whose namespace is gone: the container restarted
 * (a new namespace, the same name) is followed there; stopped, it is
 * waited for. */
static void follow_container(struct watch *w, int i)
{
	struct target *t = &w->s.target[i];
	char err[512], why[320];
	uint64_t ino;
	int fd;

	if (netns_by_inode(&w->s.nl, w->s.targets[i]))
		return;
	fd = netns_resolve(t->container, err, sizeof(err));
	if (fd < 0) {
		if (!t->gone) {
			t->gone = 1;
			snprintf(why, sizeof(why), "container %s stopped: waiting for it to start again",
				 t->container);
			report_note(&w->rep, &w->view, why);
		}
		return;
	}
	ino = netns_inode(fd);
	close(fd);
	if (ino == w->s.targets[i])
		return;
	w->s.targets[i] = ino;
	t->gone = 0;
	w->replan = 1;
	snprintf(why, sizeof(why), "container %s (re)started: watching its new namespace", t->container);
	report_note(&w->rep, &w->view, why);
}

/* Named targets vanish from /run/netns; our own fds keep the namespace
 * itself alive, so link events would never tell. */
int follow_check_targets(struct watch *w)
{
	char why[160];

	for (int i = 0; i < w->s.ntargets; i++) {
		const struct target *t = &w->s.target[i];

		if (t->container)
			follow_container(w, i);

		if (t->name[0] && !t->gone && !netns_exists(t->name)) {
			snprintf(why, sizeof(why), "namespace %s was deleted", t->name);
			if (follow_target_gone(w, i, why))
				return 1;
		}
	}
	return 0;
}

/* Namespaces that lost their name (ip netns del) or their process: stop
 * following them, so that nstrace is not what keeps them alive, and
 * re-plan (a container's veth usually goes first, its namespace after). */
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
		why_forget(&w->why, mon->v[i].netns);   /* its trace socket would hold it too */
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
		/* Out of the plan too: its keys are folded and its filter entries
		 * pruned now, not at whatever re-plan comes next. */
		w->replan = 1;
	}
}

/* ---- link news, held back a moment ----
 * A container runtime makes a veth pair, moves one end into the
 * container and renames it eth0 there, within milliseconds; on stop it
 * moves eth0 back and deletes it. Told as it happens, that is "appeared",
 * "deleted" and nothing about the container: held back until the next
 * refresh, it is one story ("vethddb7cab renamed to eth0 in web"), and a
 * link that came and went unseen is no story at all. */

#define PENDING_MIN_S 0.3     /* news younger than this waits for the next refresh */
#define MOVE_WAIT_S 3.0       /* a moved link's new namespace must turn up by then */

static struct link_pending *pending_find(struct watch *w, uint64_t netns, int ifindex)
{
	for (int i = 0; i < w->npending; i++)
		if (w->pending[i].netns == netns && w->pending[i].ifindex == ifindex)
			return &w->pending[i];
	return NULL;
}

static void pending_add(struct watch *w, uint64_t netns, const struct link_change *c,
			const char *name, int told)
{
	struct link_pending *v = realloc(w->pending, (w->npending + 1) * sizeof(*v));

	if (!v) {   /* told at once, then */
		report_link(&w->rep, &w->view, netns, name, c->deleted ? "deleted" : "new", 0, c->mtu);
		return;
	}
	w->pending = v;
	v = &w->pending[w->npending++];
	memset(v, 0, sizeof(*v));
	v->netns = netns;
	v->ifindex = c->ifindex;
	v->told = told;
	v->moved = c->moved;
	v->new_ifindex = c->new_ifindex;
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->since = watch_now();
}

/* The links told of: all of the first plan's, then those announced. */
static int told_find(struct watch *w, uint64_t netns, int ifindex)
{
	if (!w->told_init) {
		w->told_init = 1;
		for (int i = 0; i < w->s.lt.nns; i++)
			for (int k = 0; k < w->s.lt.ns[i].nlinks; k++)
				follow_tell(w, w->s.lt.ns[i].inode, w->s.lt.ns[i].links[k].ifindex,
					    w->s.lt.ns[i].links[k].name);
	}
	for (int i = 0; i < w->ntold; i++)
		if (w->told[i].netns == netns && w->told[i].ifindex == ifindex)
			return i;
	return -1;
}

void follow_tell(struct watch *w, uint64_t netns, int ifindex, const char *name)
{
	struct link_told *v;
	int i = w->told_init ? told_find(w, netns, ifindex) : -1;

	if (!name && i >= 0)
		w->told[i] = w->told[--w->ntold];
	if (!name)
		return;
	if (i < 0) {
		if (!(v = realloc(w->told, (w->ntold + 1) * sizeof(*v))))
			return;
		w->told = v;
		i = w->ntold++;
		v[i].netns = netns;
		v[i].ifindex = ifindex;
	}
	snprintf(w->told[i].name, sizeof(w->told[i].name), "%s", name);
}

/* The pending move whose link turns up as IFINDEX in NETNS, or NULL. */
static struct link_pending *arriving(struct watch *w, uint64_t netns, int ifindex)
{
	for (int i = 0; i < w->npending; i++)
		if (w->pending[i].moved && w->pending[i].new_ifindex == ifindex &&
		    w->pending[i].netns != netns)
			return &w->pending[i];
	return NULL;
}

/* Where moved link P is now: the namespace (not its old one) with a link
 * of its new ifindex, the one whose veth peer stayed behind if several. */
static const struct live_link *moved_to(const struct watch *w, const struct link_pending *p,
					uint64_t *to)
{
	const struct live_link *found = NULL;
	int n = 0;

	for (int i = 0; i < w->s.lt.nns; i++) {
		const struct live_ns *ns = &w->s.lt.ns[i];
		const struct live_link *l = live_link_by_index(ns, p->new_ifindex);

		if (ns->inode == p->netns || !l || l->gone)
			continue;
		if (l->peer_netns == p->netns) {
			*to = ns->inode;
			return l;
		}
		found = l;
		*to = ns->inode;
		n++;
	}
	return n == 1 ? found : NULL;
}

/* One held-back piece of news, told; 0 when it must wait on. */
static int flush_one(struct watch *w, const struct link_pending *p, int all, double now)
{
	const struct live_ns *ns = live_ns_by_inode(&w->s.lt, p->netns);
	const struct live_link *l = ns ? live_link_by_index(ns, p->ifindex) : NULL;
	uint64_t to = 0;

	if (!all && now - p->since < PENDING_MIN_S)
		return 0;
	if (p->gone) {
		report_link(&w->rep, &w->view, p->netns, p->name, "deleted", 0, 0);
	} else if (!p->moved && !p->told) {
		report_link(&w->rep, &w->view, p->netns, l ? l->name : p->name, "new", 0,
			    l ? l->mtu : 0);
		follow_tell(w, p->netns, p->ifindex, l ? l->name : p->name);
	} else if (!p->moved) {
		if (l && strcmp(l->name, p->name))
			report_link_moved(&w->rep, &w->view, p->netns, p->name, p->netns, l->name);
		if (l)
			follow_tell(w, p->netns, p->ifindex, l->name);
	} else if ((l = moved_to(w, p, &to))) {
		report_link_moved(&w->rep, &w->view, p->netns, p->name, to, l->name);
		follow_tell(w, to, l->ifindex, l->name);
	} else if (all || now - p->since >= MOVE_WAIT_S) {
		if (p->told)   /* not found where it went: as good as deleted */
			report_link(&w->rep, &w->view, p->netns, p->name, "deleted", 0, 0);
	} else {
		return 0;
	}
	return 1;
}

void follow_flush_links(struct watch *w, int all)
{
	double now = watch_now();
	int k = 0;

	for (int i = 0; i < w->npending; i++)
		if (!flush_one(w, &w->pending[i], all, now))
			w->pending[k++] = w->pending[i];
	w->npending = k;
}

/* A link deleted: told at once only when nothing about it waits. */
static void link_deleted(struct watch *w, uint64_t netns, const struct link_change *c,
			 struct link_pending *pend, int told, const char *name)
{
	struct link_pending *to;

	if (pend) {
		if (c->moved) {
			pend->moved = 1;
			pend->new_ifindex = c->new_ifindex;
		} else if (!pend->told) {
			*pend = w->pending[--w->npending];   /* came and went unseen */
		} else {
			pend->gone = 1;
		}
	} else if (told && c->moved) {
		pending_add(w, netns, c, name, 1);
	} else if (told) {
		report_link(&w->rep, &w->view, netns, name, "deleted", 0, 0);
	} else if ((to = arriving(w, netns, c->ifindex))) {
		to->gone = to->told;   /* moved out, then deleted there: a container stopping */
		to->moved = 0;
	}
	follow_tell(w, netns, c->ifindex, NULL);
}

/* The kernel often announces one change several times. The model is kept
 * current as each announcement arrives (a deleted link stays, marked gone,
 * so its name is kept too), so a repeat finds nothing new. */
void follow_on_link(void *ctx, uint64_t netns, const struct link_change *c)
{
	struct watch *w = ctx;
	struct live_ns *ns = (struct live_ns *)live_ns_by_inode(&w->s.lt, netns);
	struct live_link *old = ns ? (struct live_link *)live_link_by_index(ns, c->ifindex) : NULL;
	int ti = told_find(w, netns, c->ifindex), told = ti >= 0;
	struct link_pending *pend = pending_find(w, netns, c->ifindex);
	char name[16];

	/* By the name the user knows: the model may be ahead of the news. */
	snprintf(name, sizeof(name), "%s", told ? w->told[ti].name : old ? old->name : c->name);

	w->replan = 1;
	if (c->deleted && old && old->gone)
		return;   /* told already */
	if (c->deleted) {
		link_deleted(w, netns, c, pend, told, name);
	} else if (!told && !pend) {
		if (!arriving(w, netns, c->ifindex))
			pending_add(w, netns, c, c->name, 0);
	} else if (told && !pend && old) {
		if (c->name[0] && strcmp(c->name, name))
			pending_add(w, netns, c, name, 1);   /* renamed */
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
	if (c->name[0] && !c->deleted)
		memcpy(old->name, c->name, sizeof(old->name));
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
