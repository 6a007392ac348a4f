/* doctor's checks, each a simple walk over the flat lists doctor_model.c
 * builds. Each problem names the objects involved and a fix. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include "doctor.h"

/* A scratch buffer for doctor_ip() within one expression. */
#define IP_BUF (char[96]){ 0 }, 96
#include "json.h"
#include "sysctl.h"

static void problem(struct doctor *d, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void problem(struct doctor *d, const char *kind, const char *fmt, ...)
{
	char text[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	d->nproblems++;
	if (d->json) {
		const char *fix = strstr(text, "(fix: ");
		size_t n = fix ? strlen(fix + 6) : 0;

		printf("{\"type\":\"finding\",\"kind\":\"%s\",\"text\":", kind);
		json_str(stdout, text);
		/* The fix alone, for a program to show or run. */
		if (n && fix[6 + n - 1] == ')') {
			char cmd[640];

			snprintf(cmd, sizeof(cmd), "%.*s", (int)n - 1, fix + 6);
			printf(",\"fix\":");
			json_str(stdout, cmd);
		}
		printf("}\n");
	} else {
		printf("problem: %s\n", text);
	}
}

/* ---- links ---- */

static void check_veth_mtu(struct doctor *d)
{
	for (int i = 0; i < d->nports; i++) {
		const struct doc_port *a = &d->ports[i], *b;
		const struct live_link *l = a->link, *p;

		if (a->peer < 0)
			continue;
		b = &d->ports[a->peer];
		p = b->link;
		/* Each pair once: from the end with the larger MTU. */
		if (l->mtu <= p->mtu || (!a->asked && !b->asked))
			continue;
		problem(d, "veth_mtu_mismatch",
			"veth MTU mismatch: %s:%s (%u) <-> %s:%s (%u): frames over %u bytes from %s "
			"are dropped silently in __dev_forward_skb2 (fix: %s link set %s mtu %u)",
			a->ns->label, l->name, l->mtu, b->ns->label, p->name, p->mtu, p->mtu,
			a->ns->label, doctor_ip(b->ns, IP_BUF), p->name, l->mtu);
	}
}

/* The ports of bridge B: each one down is a problem; those whose MTU is
 * not the bridge's are listed in PORTS. */
static void bridge_ports(struct doctor *d, const struct doc_port *b, char *ports, size_t len)
{
	const struct live_ns *ns = b->ns;
	size_t n = 0;

	for (int i = 0; i < d->nports; i++) {
		const struct live_link *l = d->ports[i].link;

		if (d->ports[i].nsi != b->nsi || l->master != b->link->ifindex)
			continue;
		if (l->mtu != b->link->mtu && n < len)
			n += snprintf(ports + n, len - n, "%s%s (%u)", n ? ", " : "",
				      l->name, l->mtu);
		if (!(l->flags & IFF_UP))
			problem(d, "bridge_port_down", "bridge port %s:%s of %s is down: "
				"frames for it are flooded or dropped (fix: %s link set %s up)",
				ns->label, l->name, b->link->name, doctor_ip(ns, IP_BUF), l->name);
	}
}

static void check_bridges(struct doctor *d)
{
	for (int i = 0; i < d->nports; i++) {
		const struct doc_port *b = &d->ports[i];
		char ports[400] = "";

		if (!b->asked || strcmp(b->link->kind, "bridge"))
			continue;
		bridge_ports(d, b, ports, sizeof(ports));
		if (ports[0])
			problem(d, "bridge_mtu_mismatch", "bridge %s:%s (MTU %u) has ports with other "
				"MTUs: %s (fix: one MTU for the bridge and all its ports)",
				b->ns->label, b->link->name, b->link->mtu, ports);
	}
}

static void check_down(struct doctor *d)
{
	for (int i = 0; i < d->nports; i++) {
		const struct live_ns *ns = d->ports[i].ns;
		const struct live_link *l = d->ports[i].link;
		int lo = !strcmp(l->kind, "loopback");

		if (!d->ports[i].asked || l->flags & IFF_UP || l->master)
			continue;   /* bridge ports: check_bridges */
		if (lo && !ns->is_root)
			problem(d, "lo_down", "lo is down in %s: services on 127.0.0.1 are "
				"unreachable there (fix: %s link set lo up)", ns->label,
				doctor_ip(ns, IP_BUF));
		else if (!strcmp(l->kind, "veth") || !strcmp(l->kind, "bridge"))
			problem(d, "link_down", "%s:%s is down (fix: %s link set %s up)",
				ns->label, l->name, doctor_ip(ns, IP_BUF), l->name);
	}
}

static void check_route_mtu(struct doctor *d)
{
	for (int i = 0; i < d->lt.nns; i++) {
		const struct live_ns *ns = &d->lt.ns[i];

		for (int r = 0; doctor_asked(d, ns->inode) && r < ns->nroutes; r++) {
			const struct live_route *rt = &ns->routes[r];
			const struct live_link *dev = live_link_by_index(ns, rt->oif);
			char dst[64] = "default";

			if (!rt->mtu || !dev || rt->mtu <= dev->mtu)
				continue;
			if (rt->dst.plen)
				ipaddr_format(&rt->dst, dst, sizeof(dst));
			problem(d, "route_mtu", "route %s in %s has mtu %u, more than its link %s (%u): "
				"packets between the two sizes are dropped (fix: lower the route's mtu)",
				dst, ns->label, rt->mtu, dev->name, dev->mtu);
		}
	}
}

/* ---- addresses and routes ---- */

static int covers(const struct ipaddr *net, const unsigned char *a)
{
	int bits = net->plen;
	size_t n = net->family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < n && bits > 0; i++, bits -= 8) {
		unsigned char m = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));

		if ((net->a[i] ^ a[i]) & m)
			return 0;
	}
	return 1;
}

static int has_route(const struct live_ns *ns, const struct ipaddr *to)
{
	for (int r = 0; r < ns->nroutes; r++)
		if (ns->routes[r].dst.family == to->family && covers(&ns->routes[r].dst, to->a))
			return 1;
	return 0;
}

static int link_local(const struct ipaddr *a)
{
	return a->family == AF_INET6 && a->a[0] == 0xfe && (a->a[1] & 0xc0) == 0x80;
}

static int has_family(const struct doctor *d, const struct doc_port *p, int family)
{
	for (int e = p->ep; e < p->ep + p->nep; e++)
		if (d->eps[e].addr->family == family && !link_local(d->eps[e].addr))
			return 1;
	return 0;
}

/* Same subnet as TO (on B), on port A of another L2 domain: unreachable. */
static void split_subnet(struct doctor *d, const struct doc_port *a, const struct doc_port *b,
			 const struct ipaddr *to, const char *ab)
{
	for (int e = a->ep; e < a->ep + a->nep; e++) {
		const struct ipaddr *me = d->eps[e].addr;
		char mb[64];

		if (me->family != to->family || me->plen != to->plen || link_local(me) ||
		    !strcmp(a->link->kind, "loopback") || !covers(me, to->a))
			continue;
		ipaddr_format(me, mb, sizeof(mb));
		problem(d, "split_subnet", "%s:%s has %s and %s:%s has %s: the "
			"same subnet on two links that do not meet, so they cannot "
			"reach each other (fix: join the links or renumber one)",
			a->ns->label, a->link->name, mb, b->ns->label, b->link->name, ab);
	}
}

/* Two namespaces on one link (domain): each must route to the other's
 * addresses there. Only namespaces with an address of that family on the
 * link take part at L3 (a bridge's host usually has none). */
static void check_reach(struct doctor *d, const struct doc_port *a, const struct doc_endpoint *e)
{
	const struct doc_port *b = &d->ports[e->port];
	const struct ipaddr *to = e->addr;
	int same = a->domain == b->domain;
	char ab[64];

	if (a->nsi == b->nsi || (!a->asked && !b->asked))
		return;
	if (link_local(to) || !strcmp(b->link->kind, "loopback"))
		return;
	ipaddr_format(to, ab, sizeof(ab));
	if (same && has_family(d, a, to->family) && !has_route(a->ns, to))
		problem(d, "no_route", "%s has no route to %s's %s, on the same "
			"link as %s:%s (fix: an address in that subnet on %s, or a route)",
			a->ns->label, b->ns->label, ab, a->ns->label, a->link->name, a->link->name);
	if (!same && a->nsi < b->nsi)   /* each pair once */
		split_subnet(d, a, b, to, ab);
}

static void check_routes_and_subnets(struct doctor *d)
{
	for (int i = 0; i < d->nports; i++)
		for (int e = 0; e < d->neps; e++)
			check_reach(d, &d->ports[i], &d->eps[e]);
}

/* Is GW one of namespace NSI's addresses? */
static int owns(const struct doctor *d, int nsi, const struct ipaddr *gw)
{
	for (int e = 0; e < d->neps; e++) {
		const struct ipaddr *a = d->eps[e].addr;

		if (d->ports[d->eps[e].port].nsi == nsi && a->family == gw->family &&
		    !memcmp(a->a, gw->a, gw->family == AF_INET ? 4 : 16))
			return 1;
	}
	return 0;
}

/* Which families namespace GW forwards for others, and for whom (USERS). */
static void routed_through(const struct doctor *d, int gw, int *need4, int *need6,
			   char *users, size_t len)
{
	size_t n = 0;

	for (int j = 0; j < d->lt.nns; j++)
		for (int r = 0; j != gw && r < d->lt.ns[j].nroutes; r++) {
			const struct live_route *rt = &d->lt.ns[j].routes[r];

			if (!rt->has_gw || !owns(d, gw, &rt->gw) ||
			    (!doctor_asked(d, d->lt.ns[gw].inode) && !doctor_asked(d, d->lt.ns[j].inode)))
				continue;
			*need4 |= rt->gw.family == AF_INET;
			*need6 |= rt->gw.family == AF_INET6;
			if (!strstr(users, d->lt.ns[j].label) && n < len)
				n += snprintf(users + n, len - n, "%s%s", n ? ", " : "",
					      d->lt.ns[j].label);
		}
}

/* The prefix that runs a command in NS: "ip netns exec red ", "nsenter -t
 * PID -n ", or nothing in root. */
static const char *exec_in(const struct live_ns *ns, char *buf, size_t len)
{
	if (ns->is_root)
		snprintf(buf, len, "%s", "");
	else if (ns->name[0])
		snprintf(buf, len, "ip netns exec %s ", ns->name);
	else
		snprintf(buf, len, "nsenter -t %d -n ", ns->pid);
	return buf;
}

/* A namespace others route through must forward. */
static void check_forwarding(struct doctor *d)
{
	for (int i = 0; i < d->lt.nns; i++) {
		const struct live_ns *gw = &d->lt.ns[i];
		const struct netns_info *ni = netns_by_inode(&d->nl, gw->inode);
		int need4 = 0, need6 = 0;
		char users[256] = "", val[16];

		routed_through(d, i, &need4, &need6, users, sizeof(users));
		if (!ni)
			continue;
		if (need4 && !sysctl_get(ni->fd, "net.ipv4.ip_forward", val, sizeof(val)) &&
		    !strcmp(val, "0"))
			problem(d, "forwarding_off", "%s routes for %s but net.ipv4.ip_forward is 0: it "
				"drops what it should forward (fix: %ssysctl -w "
				"net.ipv4.ip_forward=1)", gw->label, users, exec_in(gw, IP_BUF));
		if (need6 && !sysctl_get(ni->fd, "net.ipv6.conf.all.forwarding", val, sizeof(val)) &&
		    !strcmp(val, "0"))
			problem(d, "forwarding_off", "%s routes IPv6 for %s but "
				"net.ipv6.conf.all.forwarding is 0 (fix: %ssysctl -w "
				"net.ipv6.conf.all.forwarding=1)", gw->label, users, exec_in(gw, IP_BUF));
	}
}

void doctor_check_all(struct doctor *d)
{
	check_down(d);
	check_veth_mtu(d);
	check_bridges(d);
	check_route_mtu(d);
	check_routes_and_subnets(d);
	check_forwarding(d);
}
