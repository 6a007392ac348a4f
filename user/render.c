#include <string.h>
#include <net/if.h>
#include <linux/rtnetlink.h>
#include "json.h"
#include "render.h"

static int shown(const struct live_ns *ns, const uint64_t *only, int nonly)
{
	if (!only)
		return 1;
	for (int i = 0; i < nonly; i++)
		if (only[i] == ns->inode)
			return 1;
	return 0;
}

void render_peer(const struct live_topo *lt, const struct live_link *l,
		 char *buf, size_t len)
{
	const struct live_ns *pns;
	const struct live_link *p;

	buf[0] = 0;
	if (!l->peer_ifindex)
		return;
	pns = l->peer_netns ? live_ns_by_inode(lt, l->peer_netns) : NULL;
	p = pns ? live_link_by_index(pns, l->peer_ifindex) : NULL;
	if (pns && p)
		snprintf(buf, len, "%s:%s", pns->label, p->name);
	else if (l->link_nsid >= 0)
		snprintf(buf, len, "ifindex %d in netns id %d", l->peer_ifindex, l->link_nsid);
	else
		snprintf(buf, len, "ifindex %d", l->peer_ifindex);
}

static const char *state_of(const struct live_link *l)
{
	return (l->flags & IFF_UP) ? live_operstate(l->operstate) : "DOWN";
}

static const char *master_name(const struct live_ns *ns, const struct live_link *l)
{
	const struct live_link *m = l->master ? live_link_by_index(ns, l->master) : NULL;

	return m ? m->name : NULL;
}

static int boring_route(const struct live_route *r)
{
	/* IPv6 link-local routes exist on every interface; they say nothing. */
	return r->dst.family == AF_INET6 && r->dst.plen == 64 &&
	       r->dst.a[0] == 0xfe && (r->dst.a[1] & 0xc0) == 0x80;
}

static void route_str(const struct live_ns *ns, const struct live_route *r,
		      char *buf, size_t len)
{
	const struct live_link *dev = r->oif ? live_link_by_index(ns, r->oif) : NULL;
	char dst[64] = "default", gw[64];
	size_t n;

	if (r->dst.plen)
		ipaddr_format(&r->dst, dst, sizeof(dst));
	else if (r->dst.family == AF_INET6)
		snprintf(dst, sizeof(dst), "default (inet6)");
	n = snprintf(buf, len, "%s", dst);
	if (r->has_gw && n < len) {
		ipaddr_format(&r->gw, gw, sizeof(gw));
		n += snprintf(buf + n, len - n, " via %s", gw);
	}
	if (dev && n < len)
		snprintf(buf + n, len - n, " dev %s", dev->name);
}

void render_tree(FILE *f, const struct live_topo *lt, const uint64_t *only, int nonly)
{
	for (int i = 0; i < lt->nns; i++) {
		const struct live_ns *ns = &lt->ns[i];

		if (!shown(ns, only, nonly))
			continue;
		if (ns->ct.runtime[0])
			fprintf(f, "%s  (%s container %.12s, pid %d, netns %llu)\n", ns->label,
				ns->ct.pod[0] && !ns->ct.name[0] ? "pod" : ns->ct.runtime, ns->ct.id,
				ns->pid, (unsigned long long)ns->inode);
		else
			fprintf(f, "%s  (netns %llu)\n", ns->label, (unsigned long long)ns->inode);
		for (int k = 0; k < ns->nlinks; k++) {
			const struct live_link *l = &ns->links[k];
			const char *m = master_name(ns, l);
			char peer[128];

			fprintf(f, "  %-15s %-8s %-6s mtu %-5u", l->name, l->kind,
				state_of(l), l->mtu);
			for (int a = 0; a < l->naddrs; a++) {
				const struct ipaddr *ip = &l->addrs[a];
				char ab[64];

				/* Link-local IPv6 is on every port: noise in a tree
				 * (JSON keeps it). */
				if (ip->family == AF_INET6 && ip->a[0] == 0xfe &&
				    (ip->a[1] & 0xc0) == 0x80)
					continue;
				ipaddr_format(ip, ab, sizeof(ab));
				fprintf(f, " %s", ab);
			}
			if (m)
				fprintf(f, "  master %s", m);
			if (!strcmp(l->kind, "bridge")) {
				fprintf(f, "  ports:");
				for (int p = 0; p < ns->nlinks; p++)
					if (ns->links[p].master == l->ifindex)
						fprintf(f, " %s", ns->links[p].name);
			}
			render_peer(lt, l, peer, sizeof(peer));
			if (peer[0])
				fprintf(f, "  \u2194 %s", peer);
			fputc('\n', f);
		}
		for (int k = 0; k < ns->nroutes; k++) {
			char rs[160];

			if (boring_route(&ns->routes[k]))
				continue;
			route_str(ns, &ns->routes[k], rs, sizeof(rs));
			fprintf(f, "  route %s\n", rs);
		}
	}
}

static void json_link(FILE *f, const struct live_topo *lt, const struct live_ns *ns,
		      const struct live_link *l)
{
	const char *m = master_name(ns, l);

	fprintf(f, "{\"ifindex\":%d,\"name\":", l->ifindex);
	json_str(f, l->name);
	fprintf(f, ",\"kind\":");
	json_str(f, l->kind);
	fprintf(f, ",\"up\":%s,\"operstate\":\"%s\",\"mtu\":%u,\"mac\":",
		(l->flags & IFF_UP) ? "true" : "false", live_operstate(l->operstate), l->mtu);
	json_str(f, l->mac);
	fprintf(f, ",\"master\":");
	if (m)
		json_str(f, m);
	else
		fprintf(f, "null");
	fprintf(f, ",\"peer\":");
	if (l->peer_ifindex) {
		const struct live_ns *pns = live_ns_by_inode(lt, l->peer_netns);
		const struct live_link *p = pns ? live_link_by_index(pns, l->peer_ifindex) : NULL;

		fprintf(f, "{\"netns\":");
		json_str(f, pns ? pns->label : "");
		fprintf(f, ",\"netns_inode\":%llu,\"ifindex\":%d,\"name\":",
			(unsigned long long)l->peer_netns, l->peer_ifindex);
		json_str(f, p ? p->name : "");
		fputc('}', f);
	} else {
		fprintf(f, "null");
	}
	fprintf(f, ",\"addrs\":[");
	for (int a = 0; a < l->naddrs; a++) {
		char ab[64];

		ipaddr_format(&l->addrs[a], ab, sizeof(ab));
		fprintf(f, "%s", a ? "," : "");
		json_str(f, ab);
	}
	fprintf(f, "]}");
}

/* "container":{...}, for a namespace a container holds; then a comma. */
static void json_container(FILE *f, const struct container *c)
{
	static const struct { const char *k; size_t off; } fields[] = {
		{ "runtime", offsetof(struct container, runtime) },
		{ "id", offsetof(struct container, id) },
		{ "name", offsetof(struct container, name) },
		{ "pod", offsetof(struct container, pod) },
		{ "pod_namespace", offsetof(struct container, pod_ns) },
	};

	if (!c->runtime[0])
		return;
	fprintf(f, "\"container\":{");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const char *v = (const char *)c + fields[i].off;

		if (i > 2 && !*v)
			continue;
		fprintf(f, "%s\"%s\":", i ? "," : "", fields[i].k);
		json_str(f, v);
	}
	fprintf(f, "},");
}

void render_json(FILE *f, const struct live_topo *lt, const uint64_t *only, int nonly)
{
	int first = 1;

	fprintf(f, "{\"namespaces\":[");
	for (int i = 0; i < lt->nns; i++) {
		const struct live_ns *ns = &lt->ns[i];

		if (!shown(ns, only, nonly))
			continue;
		fprintf(f, "%s{\"label\":", first ? "" : ",");
		first = 0;
		json_str(f, ns->label);
		fprintf(f, ",\"name\":");
		json_str(f, ns->name);
		fprintf(f, ",\"inode\":%llu,\"root\":%s,\"pid\":%d,",
			(unsigned long long)ns->inode, ns->is_root ? "true" : "false", ns->pid);
		json_container(f, &ns->ct);
		fprintf(f, "\"links\":[");
		for (int k = 0; k < ns->nlinks; k++) {
			if (k)
				fputc(',', f);
			json_link(f, lt, ns, &ns->links[k]);
		}
		fprintf(f, "],\"routes\":[");
		for (int k = 0; k < ns->nroutes; k++) {
			const struct live_route *r = &ns->routes[k];
			const struct live_link *dev = live_link_by_index(ns, r->oif);
			char b[64];

			fprintf(f, "%s{\"family\":\"%s\",\"dst\":", k ? "," : "",
				r->dst.family == AF_INET ? "inet" : "inet6");
			if (r->dst.plen)
				ipaddr_format(&r->dst, b, sizeof(b));
			else
				snprintf(b, sizeof(b), "default");
			json_str(f, b);
			fprintf(f, ",\"gateway\":");
			if (r->has_gw) {
				ipaddr_format(&r->gw, b, sizeof(b));
				json_str(f, b);
			} else {
				fprintf(f, "null");
			}
			fprintf(f, ",\"dev\":");
			json_str(f, dev ? dev->name : "");
			fprintf(f, ",\"protocol\":%d}", r->protocol);
		}
		fprintf(f, "]}");
	}
	fprintf(f, "]}\n");
}

void render_dot(FILE *f, const struct live_topo *lt, const uint64_t *only, int nonly)
{
	fprintf(f, "graph nstrace {\n  node [shape=box];\n");
	for (int i = 0; i < lt->nns; i++) {
		const struct live_ns *ns = &lt->ns[i];

		if (!shown(ns, only, nonly))
			continue;
		fprintf(f, "  subgraph \"cluster_%llu\" {\n    label=",
			(unsigned long long)ns->inode);
		if (ns->ct.runtime[0]) {
			char l[NETNS_LABEL_MAX + 32];

			snprintf(l, sizeof(l), "%s (%s container)", ns->label, ns->ct.runtime);
			json_str(f, l);
			fprintf(f, ";\n    style=\"rounded,dashed\"");
		} else {
			json_str(f, ns->label);
		}
		fprintf(f, ";\n");
		for (int k = 0; k < ns->nlinks; k++) {
			const struct live_link *l = &ns->links[k];

			fprintf(f, "    \"%llu_%d\" [label=\"%s\\n%s mtu %u",
				(unsigned long long)ns->inode, l->ifindex, l->name, l->kind, l->mtu);
			for (int a = 0; a < l->naddrs; a++) {
				char ab[64];

				ipaddr_format(&l->addrs[a], ab, sizeof(ab));
				fprintf(f, "\\n%s", ab);
			}
			fprintf(f, "\"];\n");
		}
		fprintf(f, "  }\n");
	}
	for (int i = 0; i < lt->nns; i++) {
		const struct live_ns *ns = &lt->ns[i];

		if (!shown(ns, only, nonly))
			continue;
		for (int k = 0; k < ns->nlinks; k++) {
			const struct live_link *l = &ns->links[k];
			const struct live_ns *pns = live_ns_by_inode(lt, l->peer_netns);

			if (l->master)
				fprintf(f, "  \"%llu_%d\" -- \"%llu_%d\" [style=dashed];\n",
					(unsigned long long)ns->inode, l->ifindex,
					(unsigned long long)ns->inode, l->master);
			/* Each veth pair once: from the end with the lower key. */
			if (!l->peer_ifindex || !pns || !shown(pns, only, nonly))
				continue;
			if (l->peer_netns < ns->inode ||
			    (l->peer_netns == ns->inode && l->peer_ifindex < l->ifindex))
				continue;
			fprintf(f, "  \"%llu_%d\" -- \"%llu_%d\" [label=\"veth\"];\n",
				(unsigned long long)ns->inode, l->ifindex,
				(unsigned long long)l->peer_netns, l->peer_ifindex);
		}
	}
	fprintf(f, "}\n");
}
