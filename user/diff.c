#include <string.h>
#include <net/if.h>
#include "diff.h"
#include "render.h"

struct differ {
	FILE *f;
	const struct topo *t;
	int n;
};

static void say(struct differ *d, int line, const char *what, const char *obj,
		const char *detail)
{
	fprintf(d->f, "%-8s %s%s%s", what, obj, detail[0] ? ": " : "", detail);
	if (line)
		fprintf(d->f, "  (%s:%d)", d->t->file, line);
	fputc('\n', d->f);
	d->n++;
}

static void diff_link(struct differ *d, const struct live_topo *lt,
		      const struct live_ns *ns, const struct topo_link *tl)
{
	const struct live_link *l = live_link_by_name(ns, tl->name);
	char obj[96], det[400];

	topo_link_str(tl, obj, sizeof(obj));
	if (!l) {
		say(d, tl->line, "missing", obj, "no such interface");
		return;
	}
	if (strcmp(l->kind, tl->kind == TL_BRIDGE ? "bridge" : "veth")) {
		snprintf(det, sizeof(det), "kind: file %s, live %s",
			 tl->kind == TL_BRIDGE ? "bridge" : "veth", l->kind);
		say(d, tl->line, "differs", obj, det);
	}
	if (tl->mtu && tl->mtu != l->mtu) {
		snprintf(det, sizeof(det), "mtu: file %u, live %u", tl->mtu, l->mtu);
		say(d, tl->mtu_line, "differs", obj, det);
	}
	if (!tl->down != !!(l->flags & IFF_UP)) {
		snprintf(det, sizeof(det), "state: file %s, live %s",
			 tl->down ? "down" : "up", (l->flags & IFF_UP) ? "up" : "down");
		say(d, tl->line, "differs", obj, det);
	}
	const struct live_link *m = l->master ? live_link_by_index(ns, l->master) : NULL;

	if (strcmp(tl->master, m ? m->name : "")) {
		snprintf(det, sizeof(det), "bridge: file %s, live %s",
			 tl->master[0] ? tl->master : "none", m ? m->name : "none");
		say(d, tl->master_line ? tl->master_line : tl->line, "differs", obj, det);
	}
	if (tl->kind == TL_VETH && tl->peer >= 0) {
		const struct topo_link *tp = &d->t->links[tl->peer];
		char want[160], have[128];
		const struct live_ns *pns = live_ns_by_name(lt, tp->ns);

		snprintf(want, sizeof(want), "%s:%s", tp->ns[0] ? tp->ns : "root", tp->name);
		render_peer(lt, l, have, sizeof(have));
		if (pns && pns->is_root && !tp->ns[0])
			snprintf(want, sizeof(want), "%s:%s", pns->label, tp->name);
		if (strcmp(want, have)) {
			snprintf(det, sizeof(det), "peer: file %s, live %s", want,
				 have[0] ? have : "none");
			say(d, tl->line, "differs", obj, det);
		}
	}
	for (int k = 0; k < tl->naddrs; k++) {
		int found = 0;
		char ab[64];

		for (int j = 0; j < l->naddrs; j++)
			found |= ipaddr_equal(&tl->addrs[k], &l->addrs[j]);
		if (!found) {
			ipaddr_format(&tl->addrs[k], ab, sizeof(ab));
			snprintf(det, sizeof(det), "address %s is not configured", ab);
			say(d, tl->addr_line[k], "missing", obj, det);
		}
	}
}

static int route_matches(const struct topo_route *tr, const struct live_ns *ns,
			 const struct live_route *r)
{
	const struct live_link *dev = r->oif ? live_link_by_index(ns, r->oif) : NULL;
	size_t n = tr->dst.family == AF_INET ? 4 : 16;

	if (r->dst.family != tr->dst.family || r->dst.plen != tr->dst.plen ||
	    memcmp(r->dst.a, tr->dst.a, n))
		return 0;
	if (tr->has_gw && (!r->has_gw || memcmp(r->gw.a, tr->gw.a, n)))
		return 0;
	if (tr->dev[0] && (!dev || strcmp(dev->name, tr->dev)))
		return 0;
	return 1;
}

int topo_diff(FILE *f, const struct topo *t, const struct live_topo *lt)
{
	struct differ d = { .f = f, .t = t };
	char obj[192];

	for (int i = 0; i < t->nns; i++)
		if (!live_ns_by_name(lt, t->ns[i].name))
			say(&d, t->ns[i].line, "missing", t->ns[i].name, "no such namespace");
	for (int i = 0; i < t->nlinks; i++) {
		const struct live_ns *ns = live_ns_by_name(lt, t->links[i].ns);

		if (ns)
			diff_link(&d, lt, ns, &t->links[i]);
	}
	for (int i = 0; i < t->nroutes; i++) {
		const struct topo_route *tr = &t->routes[i];
		const struct live_ns *ns = live_ns_by_name(lt, tr->ns);
		int found = 0;

		if (!ns)
			continue;
		for (int k = 0; k < ns->nroutes; k++)
			found |= route_matches(tr, ns, &ns->routes[k]);
		if (!found) {
			char dst[64] = "default";

			if (tr->dst.plen)
				ipaddr_format(&tr->dst, dst, sizeof(dst));
			snprintf(obj, sizeof(obj), "%s: route %s", tr->ns, dst);
			say(&d, tr->line, "missing", obj, "");
		}
	}
	/* What lives in the file's namespaces but is not in the file. */
	for (int i = 0; i < t->nns; i++) {
		const struct live_ns *ns = live_ns_by_name(lt, t->ns[i].name);

		for (int k = 0; ns && k < ns->nlinks; k++) {
			const struct live_link *l = &ns->links[k];

			if (!strcmp(l->name, "lo") || topo_find_link(t, t->ns[i].name, l->name) >= 0)
				continue;
			snprintf(obj, sizeof(obj), "%s:%s", t->ns[i].name, l->name);
			say(&d, 0, "extra", obj, "not in the file");
		}
	}
	return d.n;
}
