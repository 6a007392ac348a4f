/* nstrace doctor: static checks of the live topology, before any traffic
 * flows. Each problem names the objects involved and a fix. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include "cmd.h"
#include "discover.h"
#include "json.h"
#include "log.h"
#include "sysctl.h"
#include "topo.h"

#define EXIT_PROBLEMS 4

struct doctor {
	struct live_topo lt;
	struct netns_list nl;
	uint64_t *only;           /* namespaces asked about; NULL: all */
	int nonly;
	int json, nproblems;
	int *domain;              /* L2 domain of each link, flattened */
	int *base;                /* index of each namespace's first link */
};

static int asked(const struct doctor *d, uint64_t ino)
{
	if (!d->only)
		return 1;
	for (int i = 0; i < d->nonly; i++)
		if (d->only[i] == ino)
			return 1;
	return 0;
}

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
		printf("{\"type\":\"finding\",\"kind\":\"%s\",\"text\":", kind);
		json_str(stdout, text);
		printf("}\n");
	} else {
		printf("problem: %s\n", text);
	}
}

/* ---- L2 domains: veth pairs and bridge ports join links ---- */

static int find(int *p, int x)
{
	while (p[x] != x)
		x = p[x] = p[p[x]];
	return x;
}

static int link_id(const struct doctor *d, uint64_t ino, int ifindex)
{
	for (int i = 0; i < d->lt.nns; i++)
		if (d->lt.ns[i].inode == ino)
			for (int k = 0; k < d->lt.ns[i].nlinks; k++)
				if (d->lt.ns[i].links[k].ifindex == ifindex)
					return d->base[i] + k;
	return -1;
}

static int build_domains(struct doctor *d)
{
	int total = 0;

	d->base = calloc(d->lt.nns + 1, sizeof(int));
	if (!d->base)
		return -ENOMEM;
	for (int i = 0; i < d->lt.nns; i++) {
		d->base[i] = total;
		total += d->lt.ns[i].nlinks;
	}
	d->domain = malloc((total + 1) * sizeof(int));
	if (!d->domain)
		return -ENOMEM;
	for (int i = 0; i < total; i++)
		d->domain[i] = i;
	for (int i = 0; i < d->lt.nns; i++)
		for (int k = 0; k < d->lt.ns[i].nlinks; k++) {
			const struct live_link *l = &d->lt.ns[i].links[k];
			int me = d->base[i] + k, other = -1;

			if (l->peer_ifindex && l->peer_netns)
				other = link_id(d, l->peer_netns, l->peer_ifindex);
			if (other >= 0)
				d->domain[find(d->domain, me)] = find(d->domain, other);
			if (l->master && (other = link_id(d, d->lt.ns[i].inode, l->master)) >= 0)
				d->domain[find(d->domain, me)] = find(d->domain, other);
		}
	return 0;
}

/* ---- the checks ---- */

static void check_veth_mtu(struct doctor *d)
{
	for (int i = 0; i < d->lt.nns; i++) {
		const struct live_ns *ns = &d->lt.ns[i];

		for (int k = 0; k < ns->nlinks; k++) {
			const struct live_link *l = &ns->links[k];
			const struct live_ns *pns = live_ns_by_inode(&d->lt, l->peer_netns);
			const struct live_link *p = pns ? live_link_by_index(pns, l->peer_ifindex) : NULL;

			/* Each pair once: from the end with the larger MTU. */
			if (!p || l->mtu <= p->mtu || (!asked(d, ns->inode) && !asked(d, pns->inode)))
				continue;
			problem(d, "veth_mtu_mismatch",
				"veth MTU mismatch: %s:%s (%u) <-> %s:%s (%u): frames over %u bytes from %s "
				"are dropped silently in __dev_forward_skb2 (fix: ip -n %s link set %s mtu %u)",
				ns->label, l->name, l->mtu, pns->label, p->name, p->mtu, p->mtu, ns->label,
				pns->label, p->name, l->mtu);
		}
	}
}

static void check_bridges(struct doctor *d)
{
	for (int i = 0; i < d->lt.nns; i++) {
		const struct live_ns *ns = &d->lt.ns[i];

		if (!asked(d, ns->inode))
			continue;
		for (int k = 0; k < ns->nlinks; k++) {
			const struct live_link *b = &ns->links[k];
			char ports[400] = "";
			size_t n = 0;

			if (strcmp(b->kind, "bridge"))
				continue;
			for (int p = 0; p < ns->nlinks; p++) {
				const struct live_link *l = &ns->links[p];

				if (l->master != b->ifindex)
					continue;
				if (l->mtu != b->mtu && n < sizeof(ports))
					n += snprintf(ports + n, sizeof(ports) - n, "%s%s (%u)", n ? ", " : "",
						      l->name, l->mtu);
				if (!(l->flags & IFF_UP))
					problem(d, "bridge_port_down", "bridge port %s:%s of %s is down: "
						"frames for it are flooded or dropped (fix: ip%s%s link set %s up)",
						ns->label, l->name, b->name, ns->is_root ? "" : " -n ",
						ns->is_root ? "" : ns->label, l->name);
			}
			if (n)
				problem(d, "bridge_mtu_mismatch", "bridge %s:%s (MTU %u) has ports with other "
					"MTUs: %s (fix: one MTU for the bridge and all its ports)",
					ns->label, b->name, b->mtu, ports);
		}
	}
}

static void check_down(struct doctor *d)
{
	for (int i = 0; i < d->lt.nns; i++) {
		const struct live_ns *ns = &d->lt.ns[i];

		if (!asked(d, ns->inode))
			continue;
		for (int k = 0; k < ns->nlinks; k++) {
			const struct live_link *l = &ns->links[k];
			int lo = !strcmp(l->kind, "loopback");

			if (l->flags & IFF_UP || l->master)
				continue;   /* bridge ports: check_bridges */
			if (lo && !ns->is_root)
				problem(d, "lo_down", "lo is down in %s: services on 127.0.0.1 are "
					"unreachable there (fix: ip -n %s link set lo up)", ns->label, ns->label);
			else if (!strcmp(l->kind, "veth") || !strcmp(l->kind, "bridge"))
				problem(d, "link_down", "%s:%s is down (fix: ip%s%s link set %s up)",
					ns->label, l->name, ns->is_root ? "" : " -n ",
					ns->is_root ? "" : ns->label, l->name);
		}
	}
}

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

static int has_family(const struct live_link *l, int family)
{
	for (int a = 0; a < l->naddrs; a++)
		if (l->addrs[a].family == family && !link_local(&l->addrs[a]))
			return 1;
	return 0;
}

/* Two namespaces on one link (domain): each must route to the other's
 * addresses there. Only namespaces with an address of that family on the
 * link take part at L3 (a bridge's host usually has none). */
static void check_routes_and_subnets(struct doctor *d)
{
	for (int i = 0; i < d->lt.nns; i++)
		for (int k = 0; k < d->lt.ns[i].nlinks; k++)
			for (int j = 0; j < d->lt.nns; j++)
				for (int m = 0; m < d->lt.ns[j].nlinks; m++) {
					const struct live_ns *a = &d->lt.ns[i], *b = &d->lt.ns[j];
					const struct live_link *la = &a->links[k], *lb = &b->links[m];
					int same = find(d->domain, d->base[i] + k) == find(d->domain, d->base[j] + m);

					if (i == j || (!asked(d, a->inode) && !asked(d, b->inode)))
						continue;
					for (int x = 0; x < lb->naddrs; x++) {
						const struct ipaddr *to = &lb->addrs[x];
						char ab[64];

						if (link_local(to) || !strcmp(lb->kind, "loopback"))
							continue;
						ipaddr_format(to, ab, sizeof(ab));
						if (same && has_family(la, to->family) && !has_route(a, to))
							problem(d, "no_route", "%s has no route to %s's %s, on the same "
								"link as %s:%s (fix: an address in that subnet on %s, or a route)",
								a->label, b->label, ab, a->label, la->name, la->name);
						/* Same subnet, different links: unreachable. Each pair once. */
						for (int y = 0; !same && i < j && y < la->naddrs; y++) {
							const struct ipaddr *me = &la->addrs[y];
							char mb[64];

							if (me->family != to->family || me->plen != to->plen ||
							    link_local(me) || !strcmp(la->kind, "loopback") ||
							    !covers(me, to->a))
								continue;
							ipaddr_format(me, mb, sizeof(mb));
							problem(d, "split_subnet", "%s:%s has %s and %s:%s has %s: the "
								"same subnet on two links that do not meet, so they cannot "
								"reach each other (fix: join the links or renumber one)",
								a->label, la->name, mb, b->label, lb->name, ab);
						}
					}
				}
}

/* A namespace others route through must forward. */
static void check_forwarding(struct doctor *d)
{
	for (int i = 0; i < d->lt.nns; i++) {
		const struct live_ns *gw = &d->lt.ns[i];
		const struct netns_info *ni = netns_by_inode(&d->nl, gw->inode);
		int need4 = 0, need6 = 0;
		char users[256] = "", val[16];
		size_t n = 0;

		for (int j = 0; j < d->lt.nns; j++)
			for (int r = 0; j != i && r < d->lt.ns[j].nroutes; r++) {
				const struct live_route *rt = &d->lt.ns[j].routes[r];
				int mine = 0;

				if (!rt->has_gw)
					continue;
				for (int k = 0; k < gw->nlinks && !mine; k++)
					for (int a = 0; a < gw->links[k].naddrs && !mine; a++)
						mine = gw->links[k].addrs[a].family == rt->gw.family &&
						       !memcmp(gw->links[k].addrs[a].a, rt->gw.a,
							       rt->gw.family == AF_INET ? 4 : 16);
				if (!mine || (!asked(d, gw->inode) && !asked(d, d->lt.ns[j].inode)))
					continue;
				need4 |= rt->gw.family == AF_INET;
				need6 |= rt->gw.family == AF_INET6;
				if (!strstr(users, d->lt.ns[j].label) && n < sizeof(users))
					n += snprintf(users + n, sizeof(users) - n, "%s%s", n ? ", " : "",
						      d->lt.ns[j].label);
			}
		if (!ni)
			continue;
		if (need4 && !sysctl_get(ni->fd, "net.ipv4.ip_forward", val, sizeof(val)) &&
		    !strcmp(val, "0"))
			problem(d, "forwarding_off", "%s routes for %s but net.ipv4.ip_forward is 0: it "
				"drops what it should forward (fix: ip netns exec %s sysctl -w "
				"net.ipv4.ip_forward=1)", gw->label, users, gw->label);
		if (need6 && !sysctl_get(ni->fd, "net.ipv6.conf.all.forwarding", val, sizeof(val)) &&
		    !strcmp(val, "0"))
			problem(d, "forwarding_off", "%s routes IPv6 for %s but "
				"net.ipv6.conf.all.forwarding is 0 (fix: ip netns exec %s sysctl -w "
				"net.ipv6.conf.all.forwarding=1)", gw->label, users, gw->label);
	}
}

static void check_route_mtu(struct doctor *d)
{
	for (int i = 0; i < d->lt.nns; i++) {
		const struct live_ns *ns = &d->lt.ns[i];

		for (int r = 0; asked(d, ns->inode) && r < ns->nroutes; r++) {
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

static void doctor_usage(FILE *f)
{
	fprintf(f,
"Usage: nstrace doctor [NS...] [--topo FILE [--prefix P]] [--json]\n"
"\n"
"Reads the live topology over netlink and reports, with a fix for each:\n"
"veth peers with different MTUs, bridge ports whose MTU differs from the\n"
"bridge's, routes whose MTU exceeds their link's, interfaces, lo or bridge\n"
"ports down, a namespace with no route to a neighbour on its own link, a\n"
"namespace others route through with forwarding off, and one subnet on two\n"
"links that do not meet. Without NS, every namespace; with --topo, the\n"
"namespaces FILE declares (and root, if it declares interfaces there).\n"
"\n"
"Examples:\n"
"  nstrace doctor red blue\n"
"  nstrace doctor --topo topologies/router-mtu.topo\n"
"\n"
"Exit codes: 0 no problem found, 4 problems found, 1 runtime failure,\n"
"            2 bad usage or bad input, 3 missing privilege.\n");
}

static int add_only(struct doctor *d, uint64_t ino)
{
	uint64_t *v = realloc(d->only, (d->nonly + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	d->only = v;
	d->only[d->nonly++] = ino;
	return 0;
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "topo", required_argument, NULL, 't' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *file = NULL, *prefix = NULL;
	struct doctor d = { 0 };
	char err[640];
	int c, ret = EXIT_OK;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case 't': file = optarg; break;
		case 'p': prefix = optarg; break;
		case 'j': d.json = 1; break;
		case 'v': log_level++; break;
		case 'h': doctor_usage(stdout); return EXIT_OK;
		default: return bad_option("doctor", c, argv);
		}
	}
	if ((ret = need_caps("doctor", NST_CAPS_NETNS)))
		return ret;
	for (int i = optind; i < argc; i++) {
		int fd = netns_resolve(argv[i], err, sizeof(err));

		if (fd < 0) {
			fprintf(stderr, "nstrace doctor: %s\n", err);
			ret = EXIT_USAGE;
			goto out;
		}
		add_only(&d, netns_inode(fd));
		close(fd);
	}
	if (file) {
		struct topo *t = topo_parse_file(file, prefix, err, sizeof(err));

		if (!t) {
			fprintf(stderr, "nstrace: %s\n", err);
			ret = EXIT_USAGE;
			goto out;
		}
		for (int i = 0; i < t->nns; i++) {
			int fd = netns_open_name(t->ns[i].name, err, sizeof(err));

			if (fd < 0) {
				fprintf(stderr, "nstrace doctor: %s:%d: %s (is the topology up?)\n",
					file, t->ns[i].line, err);
				topo_free(t);
				ret = EXIT_USAGE;
				goto out;
			}
			add_only(&d, netns_inode(fd));
			close(fd);
		}
		for (int i = 0; i < t->nlinks; i++)
			if (!t->links[i].ns[0]) {
				int fd = netns_resolve("root", err, sizeof(err));

				if (fd >= 0) {
					add_only(&d, netns_inode(fd));
					close(fd);
				}
				break;
			}
		topo_free(t);
	}
	netns_enumerate(&d.nl);
	if (discover(&d.lt, &d.nl) || build_domains(&d)) {
		fprintf(stderr, "nstrace doctor: out of memory\n");
		ret = EXIT_RUNTIME;
		goto out;
	}
	check_down(&d);
	check_veth_mtu(&d);
	check_bridges(&d);
	check_route_mtu(&d);
	check_routes_and_subnets(&d);
	check_forwarding(&d);
	if (!d.json)
		printf("%d problem%s found\n", d.nproblems, d.nproblems == 1 ? "" : "s");
	ret = d.nproblems ? EXIT_PROBLEMS : EXIT_OK;
out:
	live_free(&d.lt);
	netns_list_free(&d.nl);
	free(d.only);
	free(d.domain);
	free(d.base);
	return ret;
}
