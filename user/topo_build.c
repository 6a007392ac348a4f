/* The steps of topo up, each over the whole model: namespaces, links,
 * their configuration, sysctls, links up, routes, firewalls. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "firewall.h"
#include "link.h"
#include "log.h"
#include "route.h"
#include "sysctl.h"
#include "topo_apply.h"

int topo_make_namespaces(struct applier *a)
{
	const struct topo *t = a->t;

	for (int i = 0; i < t->nns; i++) {
		struct nsctx *c;
		int ret = netns_create(t->ns[i].name);

		if (ret) {
			applier_err(a, t->ns[i].line, "cannot create namespace '%s': %s",
				    t->ns[i].name, strerror(-ret));
			return ret;
		}
		a->ns_created[i] = 1;
		c = applier_ns(a, t->ns[i].name);
		if (!c) {
			ret = -errno;
			applier_err(a, t->ns[i].line, "cannot open namespace '%s': %s",
				    t->ns[i].name, strerror(errno));
			return ret;
		}
		ret = link_set_up(&c->r, "lo", 1);
		if (ret) {
			applier_err(a, t->ns[i].line, "cannot set lo up in '%s': %s",
				    t->ns[i].name, rtnl_strerror(&c->r, ret));
			return ret;
		}
	}
	return 0;
}

int topo_make_links(struct applier *a, enum topo_link_kind kind)
{
	const struct topo *t = a->t;
	char s1[96], s2[96];

	for (int i = 0; i < t->nlinks; i++) {
		const struct topo_link *l = &t->links[i];
		struct nsctx *c, *pc = NULL;
		int ret;

		if (l->kind != kind || (kind == TL_VETH && !l->primary))
			continue;
		c = applier_ns(a, l->ns);
		if (kind == TL_VETH)
			pc = applier_ns(a, t->links[l->peer].ns);
		if (!c || (kind == TL_VETH && !pc)) {
			ret = -errno;
			applier_err(a, l->line, "cannot open namespace of '%s': %s",
				    topo_link_str(l, s1, sizeof(s1)), strerror(errno));
			return ret;
		}
		if (kind == TL_BRIDGE)
			ret = link_add_bridge(&c->r, l->name);
		else
			ret = link_add_veth(&c->r, l->name, t->links[l->peer].name, pc->fd);
		if (ret) {
			if (kind == TL_BRIDGE)
				applier_err(a, l->line, "cannot create bridge '%s': %s",
					    topo_link_str(l, s1, sizeof(s1)), rtnl_strerror(&c->r, ret));
			else
				applier_err(a, l->line, "cannot create veth %s <-> %s: %s",
					    topo_link_str(l, s1, sizeof(s1)),
					    topo_link_str(&t->links[l->peer], s2, sizeof(s2)),
					    rtnl_strerror(&c->r, ret));
			return ret;
		}
		a->link_created[i] = 1;
		if (kind == TL_VETH)
			a->link_created[l->peer] = 1;
	}
	return 0;
}

int topo_configure_link(struct applier *a, const struct topo_link *l)
{
	struct nsctx *c = applier_ns(a, l->ns);
	char s[96], abuf[64];
	int ret, idx;

	topo_link_str(l, s, sizeof(s));
	if (!c)
		return -errno;
	if (l->mtu && (ret = link_set_mtu(&c->r, l->name, l->mtu))) {
		applier_err(a, l->mtu_line, "cannot set MTU %u on '%s': %s", l->mtu, s,
			    rtnl_strerror(&c->r, ret));
		return ret;
	}
	if (l->master[0]) {
		idx = link_ifindex(&c->r, l->master);
		ret = idx < 0 ? idx : link_set_master(&c->r, l->name, idx);
		if (ret) {
			applier_err(a, l->master_line, "cannot add '%s' to bridge '%s': %s", s,
				    l->master, rtnl_strerror(&c->r, ret));
			return ret;
		}
	}
	idx = link_ifindex(&c->r, l->name);
	if (idx < 0) {
		applier_err(a, l->line, "'%s' vanished while being configured", s);
		return idx;
	}
	for (int k = 0; k < l->naddrs; k++) {
		ret = addr_add(&c->r, idx, &l->addrs[k]);
		if (ret) {
			ipaddr_format(&l->addrs[k], abuf, sizeof(abuf));
			applier_err(a, l->addr_line[k], "cannot add address %s to '%s': %s",
				    abuf, s, rtnl_strerror(&c->r, ret));
			return ret;
		}
	}
	return 0;
}

int topo_bring_up(struct applier *a)
{
	const struct topo *t = a->t;
	char s[96];

	for (int i = 0; i < t->nlinks; i++) {
		const struct topo_link *l = &t->links[i];
		struct nsctx *c = applier_ns(a, l->ns);
		int ret;

		if (l->down)
			continue;
		ret = c ? link_set_up(&c->r, l->name, 1) : -errno;
		if (ret) {
			applier_err(a, l->line, "cannot set '%s' up: %s",
				    topo_link_str(l, s, sizeof(s)),
				    c ? rtnl_strerror(&c->r, ret) : strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int topo_make_routes(struct applier *a)
{
	const struct topo *t = a->t;

	for (int i = 0; i < t->nroutes; i++) {
		const struct topo_route *tr = &t->routes[i];
		struct nsctx *c = applier_ns(a, tr->ns);
		struct route_spec rs = { .dst = tr->dst, .has_gw = tr->has_gw, .gw = tr->gw };
		char dst[64];
		int ret = 0;

		if (!c)
			return -errno;
		if (tr->dev[0]) {
			rs.oif = link_ifindex(&c->r, tr->dev);
			ret = rs.oif < 0 ? rs.oif : 0;
		}
		if (!ret)
			ret = route_add(&c->r, &rs);
		if (ret) {
			if (tr->dst.plen == 0)
				snprintf(dst, sizeof(dst), "default");
			else
				ipaddr_format(&tr->dst, dst, sizeof(dst));
			applier_err(a, tr->line, "cannot add route %s in '%s': %s", dst,
				    tr->ns, rtnl_strerror(&c->r, ret));
			return ret;
		}
	}
	return 0;
}

int topo_set_sysctls(struct applier *a)
{
	const struct topo *t = a->t;

	for (int i = 0; i < t->nsysctls; i++) {
		const struct topo_sysctl *s = &t->sysctls[i];
		struct nsctx *c = applier_ns(a, s->ns);
		int ret = c ? sysctl_set(c->fd, s->key, s->value) : -errno;

		if (ret) {
			applier_err(a, s->line, "cannot set %s=%s in '%s': %s", s->key,
				    s->value, s->ns, ret == -ENOENT ? "no such sysctl" :
				    strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int topo_apply_firewalls(struct applier *a)
{
	const struct topo *t = a->t;
	static char script[TOPO_MAX_RULES * (TOPO_NFT_MAX + 256)];
	int lines[TOPO_MAX_RULES * 2 + 8];

	for (int i = 0; i < t->nns; i++) {
		struct nsctx *c;
		char why[400];
		int n = firewall_script(t, t->ns[i].name, script, sizeof(script), lines,
					sizeof(lines) / sizeof(lines[0])), cmd, ret;

		if (n <= 0) {
			if (n < 0)
				applier_err(a, 0, "the firewall of '%s' is too long", t->ns[i].name);
			if (n < 0)
				return n;
			continue;
		}
		c = applier_ns(a, t->ns[i].name);
		ret = c ? firewall_apply(c->fd, script, &cmd, why, sizeof(why)) : -errno;
		if (ret) {
			int line = cmd > 0 && cmd <= n ? lines[cmd - 1] : 0;

			applier_err(a, line, "cannot set up the firewall of '%s': %s",
				    t->ns[i].name, c ? why : strerror(-ret));
			return ret;
		}
		pr_debug("%s: %d nft commands\n%s", t->ns[i].name, n, script);
	}
	return 0;
}
