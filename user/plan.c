#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "nstrace_types.h"
#include "plan.h"

static int is_port_kind(const struct live_link *l)
{
	return !strcmp(l->kind, "veth") || !strcmp(l->kind, "bridge");
}

static int grow(void **arr, int n, size_t sz)
{
	void *v = realloc(*arr, (n + 1) * sz);

	if (!v)
		return -ENOMEM;
	*arr = v;
	return 0;
}

static int has_port(const struct plan *p, uint64_t ns, int ifindex)
{
	for (int i = 0; i < p->nports; i++)
		if (p->ports[i].netns == ns && p->ports[i].ifindex == ifindex)
			return 1;
	return 0;
}

int plan_has_ns(const struct plan *p, uint64_t inode)
{
	for (int i = 0; i < p->nns; i++)
		if (p->ns[i].inode == inode)
			return 1;
	return 0;
}

uint64_t plan_addr_owner(const struct plan *p, const struct live_topo *lt, int af,
			 const uint8_t *addr)
{
	uint64_t found = 0;

	for (int i = 0; i < lt->nns; i++)
		for (int l = 0; l < lt->ns[i].nlinks; l++) {
			const struct live_link *ln = &lt->ns[i].links[l];

			if (!strcmp(ln->kind, "loopback"))
				continue;
			for (int a = 0; a < ln->naddrs; a++)
				if (ln->addrs[a].family == af &&
				    !memcmp(ln->addrs[a].a, addr, af == AF_INET ? 4 : 16)) {
					if (plan_has_ns(p, lt->ns[i].inode))
						return lt->ns[i].inode;
					found = found ? found : lt->ns[i].inode;
				}
		}
	return found;
}

static int add_ns(struct plan *p, uint64_t inode, int mode)
{
	for (int i = 0; i < p->nns; i++)
		if (p->ns[i].inode == inode) {
			if (mode == NST_NS_ALL)
				p->ns[i].mode = mode;
			return 0;
		}
	if (grow((void **)&p->ns, p->nns, sizeof(*p->ns)))
		return -ENOMEM;
	p->ns[p->nns].inode = inode;
	p->ns[p->nns++].mode = mode;
	return 0;
}

/* Add a port; 1 if it is new (its neighbours are then explored). */
static int add_port(struct plan *p, const struct live_ns *ns, const struct live_link *l)
{
	struct plan_port *pp;

	if (!is_port_kind(l) || has_port(p, ns->inode, l->ifindex))
		return 0;
	if (grow((void **)&p->ports, p->nports, sizeof(*p->ports)))
		return -ENOMEM;
	pp = &p->ports[p->nports++];
	memset(pp, 0, sizeof(*pp));
	pp->netns = ns->inode;
	pp->ifindex = l->ifindex;
	pp->mtu = l->mtu;
	memcpy(pp->name, l->name, sizeof(pp->name));
	memcpy(pp->kind, l->kind, sizeof(pp->kind));
	return 1;
}

static int is_target(const uint64_t *t, int n, uint64_t ino)
{
	for (int i = 0; i < n; i++)
		if (t[i] == ino)
			return 1;
	return 0;
}

/* Walk from every port of the targets: veth peers, the bridges ports hang
 * on and those bridges' other ports, and every port of a namespace that
 * is reached through a veth (a router), except the root namespace, which
 * is only crossed through its bridges: its other veths lead to every
 * other container on the host. */
static int explore(struct plan *p, const struct live_topo *lt, const uint64_t *targets,
		   int ntargets)
{
	for (int i = 0; i < p->nports; i++) {
		struct plan_port port = p->ports[i];
		const struct live_ns *ns = live_ns_by_inode(lt, port.netns);
		const struct live_link *l = ns ? live_link_by_index(ns, port.ifindex) : NULL;
		const struct live_ns *pns;

		if (!l)
			continue;
		if (l->peer_ifindex && (pns = live_ns_by_inode(lt, l->peer_netns))) {
			const struct live_link *peer = live_link_by_index(pns, l->peer_ifindex);
			int fresh = peer ? add_port(p, pns, peer) : 0;

			if (fresh < 0)
				return fresh;
			/* A namespace entered through a veth forwards: take all of it. */
			if (fresh && !pns->is_root && !is_target(targets, ntargets, pns->inode))
				for (int k = 0; k < pns->nlinks; k++)
					if (add_port(p, pns, &pns->links[k]) < 0)
						return -ENOMEM;
		}
		for (int k = 0; k < ns->nlinks; k++) {
			const struct live_link *o = &ns->links[k];
			int same_bridge = (l->master && (o->ifindex == l->master || o->master == l->master)) ||
					  (!strcmp(l->kind, "bridge") && o->master == l->ifindex);

			if (same_bridge && add_port(p, ns, o) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

static int is_loopback_addr(const struct ipaddr *a)
{
	static const unsigned char v6lo[16] = { [15] = 1 };

	if (a->family == AF_INET)
		return a->a[0] == 127;
	return !memcmp(a->a, v6lo, 16);
}

int plan_build(struct plan *p, const struct live_topo *lt, const uint64_t *targets,
	       int ntargets, enum plan_scope scope)
{
	memset(p, 0, sizeof(*p));
	for (int i = 0; i < lt->nns; i++) {
		const struct live_ns *ns = &lt->ns[i];
		int target = scope == PLAN_ALL || is_target(targets, ntargets, ns->inode);

		if (!target)
			continue;
		if (add_ns(p, ns->inode, NST_NS_ALL))
			return -ENOMEM;
		for (int k = 0; k < ns->nlinks; k++) {
			const struct live_link *l = &ns->links[k];

			if (add_port(p, ns, l) < 0)
				return -ENOMEM;
			for (int a = 0; scope != PLAN_ALL && a < l->naddrs; a++) {
				if (is_loopback_addr(&l->addrs[a]))
					continue;
				if (grow((void **)&p->addrs, p->naddrs, sizeof(*p->addrs)))
					return -ENOMEM;
				p->addrs[p->naddrs++] = l->addrs[a];
			}
		}
	}
	if (scope == PLAN_COMPONENT && explore(p, lt, targets, ntargets))
		return -ENOMEM;
	if (scope == PLAN_ONLY) {
		/* The targets' own ports only. */
		int n = 0;

		for (int i = 0; i < p->nports; i++)
			if (is_target(targets, ntargets, p->ports[i].netns))
				p->ports[n++] = p->ports[i];
		p->nports = n;
	}
	for (int i = 0; i < p->nports; i++)
		if (add_ns(p, p->ports[i].netns, NST_NS_ADDRS))
			return -ENOMEM;
	return 0;
}

void plan_free(struct plan *p)
{
	free(p->ports);
	free(p->ns);
	free(p->addrs);
	memset(p, 0, sizeof(*p));
}
