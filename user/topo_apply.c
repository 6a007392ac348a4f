/* topo up / topo down: turn the model into namespaces and links, all or
 * nothing, and take exactly that away again. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cleanup.h"
#include "firewall.h"
#include "lease.h"
#include "link.h"
#include "log.h"
#include "route.h"
#include "sysctl.h"
#include "topo.h"

struct nsctx {
	char name[NETNS_NAME_MAX];   /* "" root */
	int fd;
	struct rtnl r;
	int open;
};

struct applier {
	const struct topo *t;
	struct nsctx ctx[TOPO_MAX_NS + 1];
	int nctx;
	int ns_created[TOPO_MAX_NS];
	int link_created[TOPO_MAX_LINKS];
	char *err;
	size_t errlen;
	int err_set;
};

static void set_err(struct applier *a, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(struct applier *a, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line)
		snprintf(a->err, a->errlen, "%s:%d: %s", a->t->file, line, msg);
	else
		snprintf(a->err, a->errlen, "%s: %s", a->t->file, msg);
	a->err_set = 1;
}

/* The namespace context for NS ("" root), opening its socket on first use.
 * NULL when the namespace does not exist (errno set). */
static struct nsctx *ctx_get(struct applier *a, const char *ns)
{
	char err[256];
	struct nsctx *c;
	int ret;

	for (int i = 0; i < a->nctx; i++)
		if (!strcmp(a->ctx[i].name, ns))
			return &a->ctx[i];
	c = &a->ctx[a->nctx];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", ns);
	c->fd = ns[0] ? netns_open_name(ns, err, sizeof(err))
		      : open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (c->fd < 0) {
		errno = c->fd == -1 ? errno : -c->fd;
		return NULL;
	}
	ret = rtnl_open(&c->r, c->fd);
	if (ret) {
		close(c->fd);
		errno = -ret;
		return NULL;
	}
	c->open = 1;
	a->nctx++;
	return c;
}

static void ctx_close_all(struct applier *a)
{
	for (int i = 0; i < a->nctx; i++) {
		rtnl_close(&a->ctx[i].r);
		close(a->ctx[i].fd);
	}
	a->nctx = 0;
}

static void ctx_forget(struct applier *a, const char *ns)
{
	for (int i = 0; i < a->nctx; i++)
		if (!strcmp(a->ctx[i].name, ns)) {
			rtnl_close(&a->ctx[i].r);
			close(a->ctx[i].fd);
			a->ctx[i] = a->ctx[--a->nctx];
			return;
		}
}

/* Delete a link by name in NS; a missing link or namespace is not an error. */
static int del_link(struct applier *a, const char *ns, const char *name)
{
	struct nsctx *c = ctx_get(a, ns);
	int ret;

	if (!c)
		return 0;
	ret = link_del(&c->r, name);
	return ret == -ENODEV ? 0 : ret;
}

static void rollback(struct applier *a)
{
	const struct topo *t = a->t;

	for (int i = t->nlinks - 1; i >= 0; i--)
		if (a->link_created[i])
			del_link(a, t->links[i].ns, t->links[i].name);
	for (int i = t->nns - 1; i >= 0; i--)
		if (a->ns_created[i]) {
			ctx_forget(a, t->ns[i].name);
			netns_delete(t->ns[i].name);
		}
}

static int preflight(struct applier *a)
{
	const struct topo *t = a->t;
	struct nsctx *root;

	/* Before anything exists: a host without nftables fails here, whole. */
	if (t->nrules && firewall_load()) {
		set_err(a, t->rules[0].line, "firewall, nat and nft statements need "
			"libnftables: %s (install the Debian package " FIREWALL_PKG
			"; nothing was changed)", firewall_missing());
		return -EOPNOTSUPP;
	}
	root = ctx_get(a, "");
	if (!root) {
		set_err(a, 0, "cannot open a netlink socket: %s", strerror(errno));
		return -errno;
	}
	for (int i = 0; i < t->nns; i++)
		if (netns_exists(t->ns[i].name)) {
			set_err(a, t->ns[i].line, "namespace '%s' already exists "
				"(nothing was changed)", t->ns[i].name);
			return -EEXIST;
		}
	for (int i = 0; i < t->nlinks; i++)
		if (!t->links[i].ns[0] && link_ifindex(&root->r, t->links[i].name) > 0) {
			set_err(a, t->links[i].line, "interface '%s' already exists in "
				"the root namespace (nothing was changed)", t->links[i].name);
			return -EEXIST;
		}
	return 0;
}

static int make_namespaces(struct applier *a)
{
	const struct topo *t = a->t;

	for (int i = 0; i < t->nns; i++) {
		struct nsctx *c;
		int ret = netns_create(t->ns[i].name);

		if (ret) {
			set_err(a, t->ns[i].line, "cannot create namespace '%s': %s",
				t->ns[i].name, strerror(-ret));
			return ret;
		}
		a->ns_created[i] = 1;
		c = ctx_get(a, t->ns[i].name);
		if (!c) {
			ret = -errno;
			set_err(a, t->ns[i].line, "cannot open namespace '%s': %s",
				t->ns[i].name, strerror(errno));
			return ret;
		}
		ret = link_set_up(&c->r, "lo", 1);
		if (ret) {
			set_err(a, t->ns[i].line, "cannot set lo up in '%s': %s",
				t->ns[i].name, rtnl_strerror(&c->r, ret));
			return ret;
		}
	}
	return 0;
}

static int make_links(struct applier *a, enum topo_link_kind kind)
{
	const struct topo *t = a->t;
	char s1[96], s2[96];

	for (int i = 0; i < t->nlinks; i++) {
		const struct topo_link *l = &t->links[i];
		struct nsctx *c, *pc = NULL;
		int ret;

		if (l->kind != kind || (kind == TL_VETH && !l->primary))
			continue;
		c = ctx_get(a, l->ns);
		if (kind == TL_VETH)
			pc = ctx_get(a, t->links[l->peer].ns);
		if (!c || (kind == TL_VETH && !pc)) {
			ret = -errno;
			set_err(a, l->line, "cannot open namespace of '%s': %s",
				topo_link_str(l, s1, sizeof(s1)), strerror(errno));
			return ret;
		}
		if (kind == TL_BRIDGE)
			ret = link_add_bridge(&c->r, l->name);
		else
			ret = link_add_veth(&c->r, l->name, t->links[l->peer].name, pc->fd);
		if (ret) {
			if (kind == TL_BRIDGE)
				set_err(a, l->line, "cannot create bridge '%s': %s",
					topo_link_str(l, s1, sizeof(s1)), rtnl_strerror(&c->r, ret));
			else
				set_err(a, l->line, "cannot create veth %s <-> %s: %s",
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

static int configure_link(struct applier *a, const struct topo_link *l)
{
	struct nsctx *c = ctx_get(a, l->ns);
	char s[96], abuf[64];
	int ret, idx;

	topo_link_str(l, s, sizeof(s));
	if (!c)
		return -errno;
	if (l->mtu && (ret = link_set_mtu(&c->r, l->name, l->mtu))) {
		set_err(a, l->mtu_line, "cannot set MTU %u on '%s': %s", l->mtu, s,
			rtnl_strerror(&c->r, ret));
		return ret;
	}
	if (l->master[0]) {
		idx = link_ifindex(&c->r, l->master);
		ret = idx < 0 ? idx : link_set_master(&c->r, l->name, idx);
		if (ret) {
			set_err(a, l->master_line, "cannot add '%s' to bridge '%s': %s", s,
				l->master, rtnl_strerror(&c->r, ret));
			return ret;
		}
	}
	idx = link_ifindex(&c->r, l->name);
	if (idx < 0) {
		set_err(a, l->line, "'%s' vanished while being configured", s);
		return idx;
	}
	for (int k = 0; k < l->naddrs; k++) {
		ret = addr_add(&c->r, idx, &l->addrs[k]);
		if (ret) {
			ipaddr_format(&l->addrs[k], abuf, sizeof(abuf));
			set_err(a, l->addr_line[k], "cannot add address %s to '%s': %s",
				abuf, s, rtnl_strerror(&c->r, ret));
			return ret;
		}
	}
	return 0;
}

static int bring_up(struct applier *a)
{
	const struct topo *t = a->t;
	char s[96];

	for (int i = 0; i < t->nlinks; i++) {
		const struct topo_link *l = &t->links[i];
		struct nsctx *c = ctx_get(a, l->ns);
		int ret;

		if (l->down)
			continue;
		ret = c ? link_set_up(&c->r, l->name, 1) : -errno;
		if (ret) {
			set_err(a, l->line, "cannot set '%s' up: %s",
				topo_link_str(l, s, sizeof(s)),
				c ? rtnl_strerror(&c->r, ret) : strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int make_routes(struct applier *a)
{
	const struct topo *t = a->t;

	for (int i = 0; i < t->nroutes; i++) {
		const struct topo_route *tr = &t->routes[i];
		struct nsctx *c = ctx_get(a, tr->ns);
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
			set_err(a, tr->line, "cannot add route %s in '%s': %s", dst,
				tr->ns, rtnl_strerror(&c->r, ret));
			return ret;
		}
	}
	return 0;
}

static int set_sysctls(struct applier *a)
{
	const struct topo *t = a->t;

	for (int i = 0; i < t->nsysctls; i++) {
		const struct topo_sysctl *s = &t->sysctls[i];
		struct nsctx *c = ctx_get(a, s->ns);
		int ret = c ? sysctl_set(c->fd, s->key, s->value) : -errno;

		if (ret) {
			set_err(a, s->line, "cannot set %s=%s in '%s': %s", s->key,
				s->value, s->ns, ret == -ENOENT ? "no such sysctl" :
				strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Each namespace's firewall in one nft transaction. */
static int apply_firewalls(struct applier *a)
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
				set_err(a, 0, "the firewall of '%s' is too long", t->ns[i].name);
			if (n < 0)
				return n;
			continue;
		}
		c = ctx_get(a, t->ns[i].name);
		ret = c ? firewall_apply(c->fd, script, &cmd, why, sizeof(why)) : -errno;
		if (ret) {
			int line = cmd > 0 && cmd <= n ? lines[cmd - 1] : 0;

			set_err(a, line, "cannot set up the firewall of '%s': %s",
				t->ns[i].name, c ? why : strerror(-ret));
			return ret;
		}
		pr_debug("%s: %d nft commands\n%s", t->ns[i].name, n, script);
	}
	return 0;
}

static int declared(const char *line, void *ctx)
{
	const struct topo *t = ctx;
	char name[NETNS_NAME_MAX];

	if (sscanf(line, "ns %63s", name) == 1)
		return topo_find_ns(t, name) >= 0;
	if (sscanf(line, "link %15s", name) == 1)
		return topo_find_link(t, "", name) >= 0;
	return 0;
}

/* Does a dead run's lease name something this topology declares? */
static int overlaps(const struct lease_info *li, void *ctx)
{
	return lease_each(li, 0, declared, ctx) == 1;
}

/* What this topo up is about to create, written down first. */
static int write_lease(const struct topo *t, struct lease *l)
{
	int ret = lease_open(l, "topo");

	if (ret)
		return ret;
	lease_add(l, "file %s", t->file);
	for (int i = 0; i < t->nlinks; i++)
		if (!t->links[i].ns[0])
			lease_add(l, "link %s", t->links[i].name);
	for (int i = 0; i < t->nns; i++)
		if ((ret = lease_add(l, "ns %s", t->ns[i].name)))
			break;
	return ret;
}

int topo_up(const struct topo *t, char *err, size_t errlen)
{
	struct applier *a = calloc(1, sizeof(*a));
	struct lease lease = { 0 };
	int ret;

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return EXIT_RUNTIME;
	}
	a->t = t;
	a->err = err;
	a->errlen = errlen;
	/* An earlier topo up of these names that was killed: finish its
	 * rollback first (it is the only one that could have made them). */
	cleanup_dead("topo", overlaps, (void *)t, "topo up");
	ret = preflight(a);
	if (ret)
		goto out;
	if ((ret = write_lease(t, &lease))) {
		set_err(a, 0, "cannot write the lease %s: %s", LEASE_DIR, strerror(-ret));
		goto out;
	}
	ret = make_namespaces(a);
	if (!ret)
		ret = make_links(a, TL_BRIDGE);
	if (!ret)
		ret = make_links(a, TL_VETH);
	for (int i = 0; !ret && i < t->nlinks; i++)
		ret = configure_link(a, &t->links[i]);
	if (!ret)
		ret = set_sysctls(a);
	if (!ret)
		ret = bring_up(a);
	if (!ret)
		ret = make_routes(a);
	if (!ret)
		ret = apply_firewalls(a);
	if (ret) {
		if (!a->err_set)
			set_err(a, 0, "%s", strerror(-ret));
		rollback(a);
		strncat(err, " (everything created so far was removed)",
			errlen - strlen(err) - 1);
	}
out:
	ctx_close_all(a);
	lease_drop(&lease);   /* built, or rolled back: nothing left to repair */
	free(a);
	if (!ret)
		return EXIT_OK;
	return exit_code_for_errno(ret);
}

int topo_down(const struct topo *t, char *err, size_t errlen)
{
	struct applier *a = calloc(1, sizeof(*a));
	int ret = 0, links = 0, spaces = 0;
	char s[96];

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return EXIT_RUNTIME;
	}
	a->t = t;
	a->err = err;
	a->errlen = errlen;
	/* Veths first, from either end (a half-built pair may have lost one),
	 * so their root-namespace ends vanish now rather than whenever the
	 * kernel gets round to destroying the namespace. */
	for (int i = 0; i < t->nlinks && !ret; i++) {
		const struct topo_link *l = &t->links[i];
		struct nsctx *c;

		if (l->kind != TL_VETH || !l->primary)
			continue;
		for (int end = 0; end < 2; end++) {
			const struct topo_link *e = end ? &t->links[l->peer] : l;

			c = ctx_get(a, e->ns);
			if (!c)
				continue;
			ret = link_del(&c->r, e->name);
			if (ret == -ENODEV) {
				ret = 0;
				continue;
			}
			if (ret)
				set_err(a, l->line, "cannot delete '%s': %s",
					topo_link_str(e, s, sizeof(s)), rtnl_strerror(&c->r, ret));
			else
				links++;
			break;
		}
	}
	for (int i = 0; i < t->nlinks && !ret; i++) {
		const struct topo_link *l = &t->links[i];
		struct nsctx *c;

		if (l->kind != TL_BRIDGE || !(c = ctx_get(a, l->ns)))
			continue;
		ret = link_del(&c->r, l->name);
		if (ret == -ENODEV)
			ret = 0;
		else if (ret)
			set_err(a, l->line, "cannot delete bridge '%s': %s",
				topo_link_str(l, s, sizeof(s)), rtnl_strerror(&c->r, ret));
		else
			links++;
	}
	ctx_close_all(a);
	for (int i = 0; i < t->nns && !ret; i++) {
		int r = netns_delete(t->ns[i].name);

		if (r == 0)
			spaces++;
		else if (r != -ENOENT) {
			set_err(a, t->ns[i].line, "cannot delete namespace '%s': %s",
				t->ns[i].name, strerror(-r));
			ret = r;
		}
	}
	free(a);
	if (ret)
		return exit_code_for_errno(ret);
	cleanup_dead("topo", overlaps, (void *)t, "topo down");   /* its names are gone now */
	pr_info("removed %d namespaces and %d links\n", spaces, links);
	return EXIT_OK;
}
