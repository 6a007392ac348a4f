/* What topo up and topo down share, internal to topo_apply.c (the
 * commands), topo_build.c (the steps of topo up) and topo_applier.c (the
 * applier: one netlink socket per namespace touched, and the error). */
#ifndef NST_TOPO_APPLY_H
#define NST_TOPO_APPLY_H

#include <stddef.h>
#include "rtnl.h"
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

/* ---- topo_applier.c ---- */
/* "file:line: what" (or "file: what" for LINE 0) into A's error. */
void applier_err(struct applier *a, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The namespace context for NS ("" root), opening its socket on first use.
 * NULL when the namespace does not exist (errno set). */
struct nsctx *applier_ns(struct applier *a, const char *ns);
void applier_close_all(struct applier *a);
/* Close NS's socket and fd (before deleting the namespace). */
void applier_forget(struct applier *a, const char *ns);

/* ---- topo_build.c: topo up's steps, in order; 0 or -errno, error set ---- */
int topo_make_namespaces(struct applier *a);
int topo_make_links(struct applier *a, enum topo_link_kind kind);
int topo_configure_link(struct applier *a, const struct topo_link *l);
int topo_set_sysctls(struct applier *a);
int topo_bring_up(struct applier *a);
int topo_make_routes(struct applier *a);
/* Each namespace's firewall in one nft transaction. */
int topo_apply_firewalls(struct applier *a);

#endif
