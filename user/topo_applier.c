/* The applier of topo up and topo down: one rtnetlink socket per
 * namespace, opened on first use, and the error sentence. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "topo_apply.h"

void applier_err(struct applier *a, int line, const char *fmt, ...)
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

struct nsctx *applier_ns(struct applier *a, const char *ns)
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

void applier_close_all(struct applier *a)
{
	for (int i = 0; i < a->nctx; i++) {
		rtnl_close(&a->ctx[i].r);
		close(a->ctx[i].fd);
	}
	a->nctx = 0;
}

void applier_forget(struct applier *a, const char *ns)
{
	for (int i = 0; i < a->nctx; i++)
		if (!strcmp(a->ctx[i].name, ns)) {
			rtnl_close(&a->ctx[i].r);
			close(a->ctx[i].fd);
			a->ctx[i] = a->ctx[--a->nctx];
			return;
		}
}
