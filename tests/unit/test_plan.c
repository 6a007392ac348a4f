#include <stdlib.h>
#include <net/if.h>
#include <netinet/in.h>
#include "filter.h"
#include "nstrace_types.h"
#include "plan.h"
#include "unit.h"

/* root(1): lo, br0(3), br0-red(4, peer red:2), br0-blue(5, peer blue:2),
 *          eth0(6, a NIC);  red(2): lo, veth-red(2);  blue(3): veth-blue(2). */
static struct live_link root_l[4], red_l[2], blue_l[1];
static struct live_ns nss[3];
static struct live_topo lt = { .nns = 3, .ns = nss };

static void mk(struct live_link *l, int idx, const char *name, const char *kind)
{
	memset(l, 0, sizeof(*l));
	l->ifindex = idx;
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->kind, sizeof(l->kind), "%s", kind);
	l->mtu = 1500;
	l->flags = IFF_UP;
	l->link_nsid = -1;
}

static void peer(struct live_link *l, uint64_t ns, int idx)
{
	l->peer_netns = ns;
	l->peer_ifindex = idx;
	l->link_nsid = 0;
}

static void build(void)
{
	memset(nss, 0, sizeof(nss));
	nss[0] = (struct live_ns){ .inode = 1, .is_root = 1, .nlinks = 4, .links = root_l };
	nss[1] = (struct live_ns){ .inode = 2, .nlinks = 2, .links = red_l };
	nss[2] = (struct live_ns){ .inode = 3, .nlinks = 1, .links = blue_l };
	mk(&root_l[0], 3, "br0", "bridge");
	mk(&root_l[1], 4, "br0-red", "veth");
	root_l[1].master = 3;
	peer(&root_l[1], 2, 2);
	mk(&root_l[2], 5, "br0-blue", "veth");
	root_l[2].master = 3;
	peer(&root_l[2], 3, 2);
	mk(&root_l[3], 6, "eth0", "device");
	mk(&red_l[0], 1, "lo", "loopback");
	red_l[0].naddrs = 1;
	ipaddr_parse("127.0.0.1/8", &red_l[0].addrs[0], 1, NULL, 0);
	mk(&red_l[1], 2, "veth-red", "veth");
	peer(&red_l[1], 1, 4);
	red_l[1].naddrs = 1;
	ipaddr_parse("10.0.0.1/24", &red_l[1].addrs[0], 1, NULL, 0);
	mk(&blue_l[0], 2, "veth-blue", "veth");
	peer(&blue_l[0], 1, 5);
}

static int has(const struct plan *p, uint64_t ns, int ifindex)
{
	for (int i = 0; i < p->nports; i++)
		if (p->ports[i].netns == ns && p->ports[i].ifindex == ifindex)
			return 1;
	return 0;
}

static int mode_of(const struct plan *p, uint64_t ns)
{
	for (int i = 0; i < p->nns; i++)
		if (p->ns[i].inode == ns)
			return p->ns[i].mode;
	return 0;
}

static void component(void)
{
	uint64_t red = 2;
	struct plan p;

	build();
	if (!CHECK(plan_build(&p, &lt, &red, 1, PLAN_COMPONENT) == 0, "plan_build"))
		return;
	CHECK(p.nports == 5, "%d ports, want 5 (veth-red, br0-red, br0, br0-blue, veth-blue)", p.nports);
	CHECK(has(&p, 2, 2) && has(&p, 1, 4) && has(&p, 1, 3) && has(&p, 1, 5) && has(&p, 3, 2),
	      "a port on red's path is missing");
	CHECK(!has(&p, 1, 6), "a NIC was planned");
	CHECK(!has(&p, 2, 1), "loopback was planned");
	CHECK(mode_of(&p, 2) == NST_NS_ALL, "red not watched whole");
	CHECK(mode_of(&p, 1) == NST_NS_ADDRS && mode_of(&p, 3) == NST_NS_ADDRS,
	      "crossed namespaces not limited to red's addresses");
	CHECK(p.naddrs == 1 && p.addrs[0].a[0] == 10, "addresses: %d (loopback must not count)", p.naddrs);
	plan_free(&p);
}

static void only_and_all(void)
{
	uint64_t red = 2;
	struct plan p;

	build();
	plan_build(&p, &lt, &red, 1, PLAN_ONLY);
	CHECK(p.nports == 1 && has(&p, 2, 2), "--only: %d ports", p.nports);
	CHECK(p.nns == 1, "--only: %d namespaces", p.nns);
	plan_free(&p);
	plan_build(&p, &lt, NULL, 0, PLAN_ALL);
	CHECK(p.nports == 5 && p.nns == 3, "--all: %d ports %d ns", p.nports, p.nns);
	CHECK(mode_of(&p, 3) == NST_NS_ALL && p.naddrs == 0, "--all must not filter by address");
	plan_free(&p);
}

static void filters(void)
{
	struct filter f = { 0 };
	char why[160], s[128];

	CHECK(filter_expr(&f, "host 10.0.0.2 and tcp port 80", why, sizeof(why)) == 0, "%s", why);
	CHECK(f.proto == IPPROTO_TCP && f.port == 80 && f.net.plen == 32, "parsed wrong");
	filter_str(&f, s, sizeof(s));
	CHECK(!strcmp(s, "host 10.0.0.2 and tcp port 80"), "printed as '%s'", s);
	memset(&f, 0, sizeof(f));
	CHECK(filter_expr(&f, "net fd42::/64 and udp", why, sizeof(why)) == 0, "%s", why);
	CHECK(f.net.family == AF_INET6 && f.net.plen == 64 && f.proto == IPPROTO_UDP, "v6 net");
	static const char *bad[] = { "host", "tcp or udp", "port 0", "port 70000", "and tcp",
		"tcp and", "host 10.0.0.1/24", "tcp udp", "host 1.2.3.4 and host 5.6.7.8", "frob" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&f, 0, sizeof(f));
		why[0] = 0;
		CHECK(filter_expr(&f, bad[i], why, sizeof(why)) != 0 && why[0],
		      "'%s' accepted", bad[i]);
	}
}

const struct unit_test plan_tests[] = {
	{ "plan_component", component },
	{ "plan_only_and_all", only_and_all },
	{ "filter_expressions", filters },
	{ NULL, NULL },
};
