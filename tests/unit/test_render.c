#include <stdlib.h>
#include <net/if.h>
#include <arpa/inet.h>
#include "diff.h"
#include "render.h"
#include "topo.h"
#include "unit.h"

static struct live_link root_links[3], red_links[2];
static struct live_route red_routes[1];
static struct live_ns nss[2];
static struct live_topo lt = { .nns = 2, .ns = nss };

static void set_link(struct live_link *l, int idx, const char *name, const char *kind,
		     unsigned int mtu, int up)
{
	memset(l, 0, sizeof(*l));
	l->ifindex = idx;
	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(l->kind, sizeof(l->kind), "%s", kind);
	l->mtu = mtu;
	l->flags = up ? IFF_UP : 0;
	l->operstate = up ? 6 : 2;
	l->link_nsid = -1;
}

/* root: lo, br0, br0-red (port of br0, peer red:veth-red);
 * red: lo, veth-red 10.0.0.1/24 mtu 1400, default via 10.0.0.254. */
static void build(void)
{
	memset(nss, 0, sizeof(nss));
	nss[0] = (struct live_ns){ .inode = 100, .is_root = 1, .nlinks = 3, .links = root_links };
	snprintf(nss[0].label, sizeof(nss[0].label), "root");
	nss[1] = (struct live_ns){ .inode = 200, .nlinks = 2, .links = red_links,
				   .nroutes = 1, .routes = red_routes };
	snprintf(nss[1].name, sizeof(nss[1].name), "red");
	snprintf(nss[1].label, sizeof(nss[1].label), "red");
	set_link(&root_links[0], 1, "lo", "loopback", 65536, 1);
	set_link(&root_links[1], 3, "br0", "bridge", 1500, 1);
	set_link(&root_links[2], 4, "br0-red", "veth", 1500, 1);
	root_links[2].master = 3;
	root_links[2].peer_netns = 200;
	root_links[2].peer_ifindex = 2;
	root_links[2].link_nsid = 0;
	set_link(&red_links[0], 1, "lo", "loopback", 65536, 1);
	set_link(&red_links[1], 2, "veth-red", "veth", 1400, 1);
	red_links[1].peer_netns = 100;
	red_links[1].peer_ifindex = 4;
	red_links[1].link_nsid = 0;
	red_links[1].naddrs = 1;
	ipaddr_parse("10.0.0.1/24", &red_links[1].addrs[0], 1, NULL, 0);
	memset(red_routes, 0, sizeof(red_routes));
	red_routes[0].dst.family = AF_INET;
	red_routes[0].has_gw = 1;
	red_routes[0].oif = 2;
	ipaddr_parse("10.0.0.254", &red_routes[0].gw, 0, NULL, 0);
}

static char *capture(void (*fn)(FILE *, const struct live_topo *, const uint64_t *, int),
		     const uint64_t *only, int nonly)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f, &lt, only, nonly);
	fclose(f);
	return buf;
}

static void tree(void)
{
	uint64_t only_red = 200;
	char *out;

	build();
	out = capture(render_tree, NULL, 0);
	CHECK_STR_HAS(out, "red  (netns 200)");
	CHECK_STR_HAS(out, "veth-red        veth     UP     mtu 1400  10.0.0.1/24  \u2194 root:br0-red");
	CHECK_STR_HAS(out, "master br0  \u2194 red:veth-red");
	CHECK_STR_HAS(out, "ports: br0-red");
	CHECK_STR_HAS(out, "route default via 10.0.0.254 dev veth-red");
	free(out);
	out = capture(render_tree, &only_red, 1);
	CHECK(!strstr(out, "br0  "), "root shown although only red was asked for:\n%s", out);
	free(out);
}

static void json(void)
{
	char *out;

	build();
	out = capture(render_json, NULL, 0);
	CHECK_STR_HAS(out, "{\"namespaces\":[{\"label\":\"root\"");
	CHECK_STR_HAS(out, "\"name\":\"br0-red\",\"kind\":\"veth\",\"up\":true,\"operstate\":\"UP\","
		      "\"mtu\":1500,\"mac\":\"\",\"master\":\"br0\",\"peer\":{\"netns\":\"red\","
		      "\"netns_inode\":200,\"ifindex\":2,\"name\":\"veth-red\"}");
	CHECK_STR_HAS(out, "\"addrs\":[\"10.0.0.1/24\"]");
	CHECK_STR_HAS(out, "{\"family\":\"inet\",\"dst\":\"default\",\"gateway\":\"10.0.0.254\","
		      "\"dev\":\"veth-red\"");
	free(out);
}

static void dot(void)
{
	char *out;

	build();
	out = capture(render_dot, NULL, 0);
	CHECK_STR_HAS(out, "graph nstrace {");
	CHECK_STR_HAS(out, "\"100_4\" -- \"100_3\" [style=dashed]");
	CHECK_STR_HAS(out, "\"100_4\" -- \"200_2\" [label=\"veth\"]");
	CHECK(!strstr(out, "\"200_2\" -- \"100_4\""), "veth pair drawn twice");
	free(out);
}

static void diff(void)
{
	const char *same = "ns red\nbridge br0\nveth red:veth-red br0\nmtu red:veth-red 1400\n"
			   "addr red:veth-red 10.0.0.1/24\nroute red default via 10.0.0.254\n";
	const char *other = "ns red\nns blue\nbridge br0\nveth red:veth-red br0\n"
			    "mtu red:veth-red 1500\naddr red:veth-red 10.0.0.9/24\n"
			    "route red 10.9.0.0/16 via 10.0.0.254\n";
	char err[256], *buf = NULL;
	size_t len = 0;
	struct topo *t;
	FILE *f;
	int n;

	build();
	t = topo_parse_text("d.topo", same, strlen(same), NULL, err, sizeof(err));
	if (!CHECK(t, "%s", err))
		return;
	f = open_memstream(&buf, &len);
	n = topo_diff(f, t, &lt);
	fclose(f);
	CHECK(n == 0, "%d differences where none are:\n%s", n, buf);
	free(buf);
	topo_free(t);

	t = topo_parse_text("d.topo", other, strlen(other), NULL, err, sizeof(err));
	if (!CHECK(t, "%s", err))
		return;
	buf = NULL;
	f = open_memstream(&buf, &len);
	n = topo_diff(f, t, &lt);
	fclose(f);
	CHECK(n == 4, "%d differences, want 4:\n%s", n, buf);
	CHECK_STR_HAS(buf, "missing  blue: no such namespace  (d.topo:2)");
	CHECK_STR_HAS(buf, "differs  red:veth-red: mtu: file 1500, live 1400  (d.topo:5)");
	CHECK_STR_HAS(buf, "missing  red:veth-red: address 10.0.0.9/24 is not configured  (d.topo:6)");
	CHECK_STR_HAS(buf, "missing  red: route 10.9.0.0/16  (d.topo:7)");
	free(buf);
	topo_free(t);
}

const struct unit_test render_tests[] = {
	{ "render_tree", tree },
	{ "render_json", json },
	{ "render_dot", dot },
	{ "diff_against_model", diff },
	{ NULL, NULL },
};
