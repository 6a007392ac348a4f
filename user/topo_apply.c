/* topo up / topo down: turn the model into namespaces and links, all or
 * nothing, and take exactly that away again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cleanup.h"
#include "clock.h"
#include "firewall.h"
#include "lease.h"
#include "link.h"
#include "log.h"
#include "topo_apply.h"

/* Delete a link by name in NS; a missing link or namespace is not an error. */
static int del_link(struct applier *a, const char *ns, const char *name)
{
	struct nsctx *c = applier_ns(a, ns);
	int ret;

	if (!c)
		return 0;
	ret = link_del(&c->r, name);
	return ret == -ENODEV ? 0 : ret;
}

/* The root-namespace end of veth L whose other end is in a namespace
 * (the end that outlives an unlinked namespace until the kernel's
 * cleanup), or NULL. */
static const struct topo_link *root_end(const struct topo *t, const struct topo_link *l)
{
	const struct topo_link *p;

	if (l->kind != TL_VETH || !l->primary || l->peer < 0)
		return NULL;
	p = &t->links[l->peer];
	if (!l->ns[0] && p->ns[0])
		return l;
	if (l->ns[0] && !p->ns[0])
		return p;
	return NULL;
}

/* Namespaces go first: the kernel destroys unlinked namespaces in
 * batches (one RCU grace period for many veths), where deleting 1,000
 * veths one by one costs a grace period each (30 s measured). Wait,
 * while that makes progress, for the root ends of their veths to vanish,
 * so they are gone when we return; what a process still holds open is
 * deleted one by one afterwards. */
static void wait_root_ends(struct applier *a, const int *only_created)
{
	const struct topo *t = a->t;
	struct nsctx *root = applier_ns(a, "");
	double last = mono_now();
	int left = -1;

	while (root) {
		int n = 0;

		for (int i = 0; i < t->nlinks; i++) {
			const struct topo_link *e = root_end(t, &t->links[i]);

			if (e && (!only_created || only_created[i]) &&
			    link_ifindex(&root->r, e->name) > 0)
				n++;
		}
		if (n == 0)
			return;
		if (left < 0 || n < left) {
			left = n;
			last = mono_now();
		} else if (mono_now() - last > 2.0) {
			return;
		}
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
}

static void rollback(struct applier *a)
{
	const struct topo *t = a->t;

	for (int i = t->nns - 1; i >= 0; i--)
		if (a->ns_created[i]) {
			applier_forget(a, t->ns[i].name);
			netns_delete(t->ns[i].name);
		}
	wait_root_ends(a, a->link_created);
	for (int i = t->nlinks - 1; i >= 0; i--)
		if (a->link_created[i])
			del_link(a, t->links[i].ns, t->links[i].name);
}

/* An applier for T whose errors go to ERR; NULL (ERR says so) without
 * memory. */
static struct applier *applier_new(const struct topo *t, char *err, size_t errlen)
{
	struct applier *a = calloc(1, sizeof(*a));

	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->t = t;
	a->err = err;
	a->errlen = errlen;
	return a;
}

static int preflight(struct applier *a)
{
	const struct topo *t = a->t;
	struct nsctx *root;

	/* Before anything exists: a host without nftables fails here, whole. */
	if (t->nrules && firewall_load()) {
		applier_err(a, t->rules[0].line, "firewall, nat and nft statements need "
			"libnftables: %s (install the Debian package " FIREWALL_PKG
			"; nothing was changed)", firewall_missing());
		return -EOPNOTSUPP;
	}
	root = applier_ns(a, "");
	if (!root) {
		applier_err(a, 0, "cannot open a netlink socket: %s", strerror(errno));
		return -errno;
	}
	for (int i = 0; i < t->nns; i++)
		if (netns_exists(t->ns[i].name)) {
			applier_err(a, t->ns[i].line, "namespace '%s' already exists "
				    "(nothing was changed)", t->ns[i].name);
			return -EEXIST;
		}
	for (int i = 0; i < t->nlinks; i++)
		if (!t->links[i].ns[0] && link_ifindex(&root->r, t->links[i].name) > 0) {
			applier_err(a, t->links[i].line, "interface '%s' already exists in "
				    "the root namespace (nothing was changed)", t->links[i].name);
			return -EEXIST;
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
	struct applier *a = applier_new(t, err, errlen);
	struct lease lease = { 0 };
	int ret;

	if (!a)
		return EXIT_RUNTIME;
	netns_raise_fd_limit();   /* a socket and an fd per namespace */
	/* An earlier topo up of these names that was killed: finish its
	 * rollback first (it is the only one that could have made them). */
	cleanup_dead("topo", overlaps, (void *)t, "topo up");
	ret = preflight(a);
	if (ret)
		goto out;
	if ((ret = write_lease(t, &lease))) {
		applier_err(a, 0, "cannot write the lease %s: %s", LEASE_DIR, strerror(-ret));
		goto out;
	}
	ret = topo_make_namespaces(a);
	if (!ret)
		ret = topo_make_links(a, TL_BRIDGE);
	if (!ret)
		ret = topo_make_links(a, TL_VETH);
	for (int i = 0; !ret && i < t->nlinks; i++)
		ret = topo_configure_link(a, &t->links[i]);
	if (!ret)
		ret = topo_set_sysctls(a);
	if (!ret)
		ret = topo_bring_up(a);
	if (!ret)
		ret = topo_make_routes(a);
	if (!ret)
		ret = topo_apply_firewalls(a);
	if (ret) {
		if (!a->err_set)
			applier_err(a, 0, "%s", strerror(-ret));
		rollback(a);
		strncat(err, " (everything created so far was removed)",
			errlen - strlen(err) - 1);
	}
out:
	applier_close_all(a);
	lease_drop(&lease);   /* built, or rolled back: nothing left to repair */
	free(a);
	if (!ret)
		return EXIT_OK;
	return exit_code_for_errno(ret);
}

/* The veths the namespaces did not take with them (both ends in the root,
 * or a namespace a process still holds), from either end (a half-built
 * pair may have lost one), so their root-namespace ends vanish now rather
 * than whenever the kernel gets round to destroying the namespace. Counts
 * what it deleted. */
static int down_veths(struct applier *a, int *links)
{
	const struct topo *t = a->t;
	char s[96];
	int ret = 0;

	for (int i = 0; i < t->nlinks && !ret; i++) {
		const struct topo_link *l = &t->links[i];
		struct nsctx *c;

		if (l->kind != TL_VETH || !l->primary)
			continue;
		for (int end = 0; end < 2; end++) {
			const struct topo_link *e = end ? &t->links[l->peer] : l;

			c = applier_ns(a, e->ns);
			if (!c)
				continue;
			ret = link_del(&c->r, e->name);
			if (ret == -ENODEV) {
				ret = 0;
				continue;
			}
			if (ret)
				applier_err(a, l->line, "cannot delete '%s': %s",
						topo_link_str(e, s, sizeof(s)), rtnl_strerror(&c->r, ret));
			else
				(*links)++;
			break;
		}
	}
	return ret;
}

static int down_bridges(struct applier *a, int *links)
{
	const struct topo *t = a->t;
	char s[96];
	int ret = 0;

	for (int i = 0; i < t->nlinks && !ret; i++) {
		const struct topo_link *l = &t->links[i];
		struct nsctx *c;

		if (l->kind != TL_BRIDGE || !(c = applier_ns(a, l->ns)))
			continue;
		ret = link_del(&c->r, l->name);
		if (ret == -ENODEV)
			ret = 0;
		else if (ret)
			applier_err(a, l->line, "cannot delete bridge '%s': %s",
					topo_link_str(l, s, sizeof(s)), rtnl_strerror(&c->r, ret));
		else
			(*links)++;
	}
	return ret;
}

static int down_namespaces(struct applier *a, int *spaces)
{
	const struct topo *t = a->t;
	int ret = 0;

	for (int i = 0; i < t->nns && !ret; i++) {
		int r = netns_delete(t->ns[i].name);

		if (r == 0)
			(*spaces)++;
		else if (r != -ENOENT) {
			applier_err(a, t->ns[i].line, "cannot delete namespace '%s': %s",
					t->ns[i].name, strerror(-r));
			ret = r;
		}
	}
	return ret;
}

int topo_down(const struct topo *t, char *err, size_t errlen)
{
	struct applier *a = applier_new(t, err, errlen);
	int ret, links = 0, spaces = 0;

	if (!a)
		return EXIT_RUNTIME;
	ret = down_namespaces(a, &spaces);
	if (!ret) {
		wait_root_ends(a, NULL);
		ret = down_veths(a, &links);
	}
	if (!ret)
		ret = down_bridges(a, &links);
	applier_close_all(a);
	free(a);
	if (ret)
		return exit_code_for_errno(ret);
	cleanup_dead("topo", overlaps, (void *)t, "topo down");   /* its names are gone now */
	pr_info("removed %d namespaces and %d links\n", spaces, links);
	return EXIT_OK;
}
