#include <errno.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include "firewall.h"
#include "topo.h"
#include "unit.h"

static struct topo *parse(const char *text, const char *prefix, char *err, size_t len)
{
	err[0] = 0;
	return topo_parse_text("t.topo", text, strlen(text), prefix, err, len);
}

static void bridge_model(void)
{
	const char *text =
		"# comment\n\nns red\nns blue   # trailing comment\n"
		"bridge br0\n"
		"veth red:veth-red br0\n"
		"veth blue:veth-blue br0 peer bp-blue\n"
		"addr red:veth-red 10.0.0.1/24\n"
		"addr red:veth-red fd42::1/64\n"
		"mtu red:veth-red 1400\n"
		"down blue:veth-blue\n";
	char err[512];
	struct topo *t = parse(text, NULL, err, sizeof(err));
	int i;

	if (!CHECK(t, "parse failed: %s", err))
		return;
	CHECK(t->nns == 2 && t->nlinks == 5, "nns %d nlinks %d", t->nns, t->nlinks);
	i = topo_find_link(t, "", "br0-red");
	CHECK(i >= 0 && !strcmp(t->links[i].master, "br0"), "far end br0-red not on br0");
	CHECK(i >= 0 && t->links[i].peer == topo_find_link(t, "red", "veth-red"), "peer");
	i = topo_find_link(t, "", "bp-blue");
	CHECK(i >= 0, "explicit peer name not used");
	i = topo_find_link(t, "red", "veth-red");
	CHECK(i >= 0 && t->links[i].primary && t->links[i].mtu == 1400 &&
	      t->links[i].naddrs == 2 && t->links[i].mtu_line == 10, "veth-red attributes");
	CHECK(t->links[i].addrs[1].family == AF_INET6, "second address is IPv6");
	i = topo_find_link(t, "blue", "veth-blue");
	CHECK(i >= 0 && t->links[i].down, "down not recorded");
	topo_free(t);
}

static void prefix_applies(void)
{
	const char *text = "ns red\nbridge br0\nbridge red:br1\nveth red:v0 br0\n"
			   "route red default via 10.0.0.254\n"
			   "sysctl red net.ipv4.ip_forward=1\n";
	char err[512];
	struct topo *t = parse(text, "n4f2a-", err, sizeof(err));

	if (!CHECK(t, "parse failed: %s", err))
		return;
	CHECK(!strcmp(t->ns[0].name, "n4f2a-red"), "ns name %s", t->ns[0].name);
	CHECK(topo_find_link(t, "", "n4f2a-br0") >= 0, "root bridge not prefixed");
	CHECK(topo_find_link(t, "n4f2a-red", "br1") >= 0, "bridge in a namespace prefixed");
	CHECK(topo_find_link(t, "", "n4f2a-br0-red") >= 0, "far end not prefixed");
	CHECK(topo_find_link(t, "n4f2a-red", "v0") >= 0, "namespaced end prefixed");
	CHECK(!strcmp(t->routes[0].ns, "n4f2a-red") && !strcmp(t->sysctls[0].ns, "n4f2a-red"),
	      "route/sysctl namespace not prefixed");
	topo_free(t);
	/* A longer prefix pushes the far end past 15 bytes: refused, not cut. */
	t = parse(text, "nst-4f2a-", err, sizeof(err));
	CHECK(!t, "over-long far end accepted");
	CHECK_STR_HAS(err, "t.topo:4: far end of the veth: interface name 'nst-4f2a-br0-red' "
		      "is longer than 15 bytes");
	topo_free(t);
}

static void route_forms(void)
{
	const char *text = "ns red\nveth red:a red:b\n"
			   "route red default via 10.0.0.1\n"
			   "route red 10.1.0.0/16 dev a\n"
			   "route red fd42:1::/64 via fd42::1 dev b\n"
			   "route red default6 dev a\n";
	char err[512];
	struct topo *t = parse(text, NULL, err, sizeof(err));

	if (!CHECK(t, "parse failed: %s", err))
		return;
	CHECK(t->nroutes == 4, "nroutes %d", t->nroutes);
	CHECK(t->routes[0].dst.plen == 0 && t->routes[0].has_gw, "default via");
	CHECK(!strcmp(t->routes[1].dev, "a") && t->routes[1].dst.plen == 16, "dev route");
	CHECK(t->routes[2].dst.family == AF_INET6 && !strcmp(t->routes[2].dev, "b"), "v6 route");
	CHECK(t->routes[3].dst.family == AF_INET6 && t->routes[3].dst.plen == 0, "default6");
	topo_free(t);
}

/* Every error path: the message names the line and the cause. */
static void error_table(void)
{
	static const struct { const char *text, *prefix, *want; } cases[] = {
		{ "", NULL, "t.topo: no statements" },
		{ "# only a comment\n\n", NULL, "no statements" },
		{ "ns red\nfrobnicate x\n", NULL, "t.topo:2: unknown statement 'frobnicate'" },
		{ "ns\n", NULL, "t.topo:1: missing argument: expected 'ns NAME'" },
		{ "ns a b\n", NULL, "t.topo:1: too many arguments" },
		{ "ns red\nns red\n", NULL, "t.topo:2: namespace 'red' is already declared at line 1" },
		{ "ns a/b\n", NULL, "t.topo:1: namespace 'a/b': a name may not contain '/'" },
		{ "ns ..\n", NULL, "'.' and '..' are not names" },
		{ "ns root\n", NULL, "'root' is the host's namespace" },
		{ "ns 0123456789012345678901234567890123456789012345678901234567890123\n", NULL,
		  "longer than 63 bytes" },
		{ "bridge averyveryverylongname\n", NULL, "t.topo:1: interface name 'averyveryverylongname' is longer than 15 bytes" },
		{ "bridge br/0\n", NULL, "character that is not allowed" },
		{ "bridge br0\nbridge br0\n", NULL, "t.topo:2: interface 'br0' is already declared at line 1" },
		{ "veth red:a b\n", NULL, "t.topo:1: namespace 'red' is not declared" },
		{ "ns red\nveth red:a\n", NULL, "t.topo:2: missing argument" },
		{ "ns red\nveth red:a red:a\n", NULL, "both ends of the veth" },
		{ "ns red\nveth red:a b peer c\n", NULL, "'peer NAME' is only for a veth joined to a bridge" },
		{ "ns red\nbridge br0\nveth red:a br0 pier c\n", NULL, "expected 'peer NAME'" },
		{ "ns redredredred\nbridge br0\nveth redredredred:a br0\n", NULL,
		  "t.topo:3: far end of the veth: interface name 'br0-redredredred' is longer than 15 bytes" },
		{ "ns red\nbridge bridge0\n", "nst-4f2a-b-", "t.topo:2: interface name 'nst-4f2a-b-bridge0' is longer than 15 bytes (with prefix" },
		{ "ns red\nveth red:a b\naddr red:a 10.0.0.300/24\n", NULL, "t.topo:3: '10.0.0.300' is not an IPv4 or IPv6 address" },
		{ "ns red\nveth red:a b\naddr red:a 10.0.0.1\n", NULL, "needs a prefix length" },
		{ "ns red\nveth red:a b\naddr red:a 10.0.0.1/24\naddr red:a 10.0.0.1/16\n", NULL,
		  "t.topo:4: address 10.0.0.1/16 is already declared on 'red:a' at line 3" },
		{ "ns red\naddr red:x 10.0.0.1/24\n", NULL, "t.topo:2: interface 'red:x' is not declared" },
		{ "ns red\nveth red:a b\nmtu red:a 67\n", NULL, "t.topo:3: MTU '67' for 'red:a' is out of range" },
		{ "ns red\nveth red:a b\nmtu red:a 65536\n", NULL, "out of range (68..65535)" },
		{ "ns red\nveth red:a b\nmtu red:a 1500x\n", NULL, "out of range" },
		{ "ns red\nveth red:a b\nmtu red:a 1400\nmtu red:a 1300\n", NULL, "already set at line 3" },
		{ "bridge br0\nbridge br1\nmaster br1 br0\n", NULL, "t.topo:3: bridge 'br1' cannot be a port of bridge 'br0' (a bridge loop)" },
		{ "ns red\nveth red:a b\nmaster red:a b\n", NULL, "'b' is not a bridge" },
		{ "ns red\nbridge br0\nveth red:a red:b\nmaster red:a br0\n", NULL, "in different namespaces" },
		{ "ns red\nbridge br0\nbridge br1\nveth x br0\nmaster br0-root br1\n", NULL, "t.topo:5: 'br0-root' is already a port of 'br0' (line 4)" },
		{ "ns red\nroute red default\n", NULL, "t.topo:2: missing argument" },
		{ "ns red\nroute red default via\n", NULL, "missing argument" },
		{ "ns red\nroute red default via 10.0.0.1/24\n", NULL, "must not have a prefix length" },
		{ "ns red\nroute red default via 10.0.0.1 dev nope\n", NULL, "interface 'red:nope' is not declared" },
		{ "ns red\nroute red 10.1.0.0/16 via fd42::1\n", NULL, "different families" },
		{ "ns red\nroute red default gateway 10.0.0.1\n", NULL, "unexpected 'gateway'" },
		{ "route root default via 10.0.0.1\n", NULL, "routes in the host's namespace" },
		{ "ns red\nsysctl red kernel.panic=1\n", NULL, "only per-namespace keys under net." },
		{ "ns red\nsysctl red net.ipv4/../x=1\n", NULL, "only per-namespace keys" },
		{ "ns red\nsysctl red net.ipv4.ip_forward\n", NULL, "expected net.KEY=VALUE" },
		{ "sysctl root net.ipv4.ip_forward=1\n", NULL, "sysctls of the host's namespace" },
		{ "ns red\0blue\n", NULL, "t.topo:1: binary data" },
		{ "ns red\n\x01\x02garbage\n", NULL, "t.topo:2: control character 0x01" },
		{ "ns red\nns a b c d e f g h i j k l m n o p q\n", NULL, "too many words" },
		{ "ns a\nfirewall a sideways drop\n", NULL, "t.topo:2: chain 'sideways' is not input, forward or output" },
		{ "ns a\nfirewall a input allow\n", NULL, "action 'allow' is not accept, drop or reject" },
		{ "ns a\nfirewall a input drop port 22\n", NULL, "a port needs tcp or udp before it" },
		{ "ns a\nfirewall a input drop tcp port 0\n", NULL, "port '0' is not 1..65535" },
		{ "ns a\nfirewall a input drop tcp from\n", NULL, "'from' needs an argument" },
		{ "ns a\nfirewall a input drop from ghost\n", NULL, "'ghost' is neither a declared namespace nor an address" },
		{ "ns a\nfirewall a input drop from 10.0.0.0/8 from 10.0.0.0/8\n", NULL, "unexpected 'from' (or given twice)" },
		{ "ns a\nns b\nfirewall a forward drop from b\n", NULL, "t.topo:3: this firewall rule can match nothing" },
		{ "ns a\nfirewall a input drop icmp6 from 10.0.0.1\n", NULL, "can match nothing" },
		{ "firewall root input drop\n", NULL, "the host's firewall is not managed by nstrace" },
		{ "ns a\nnat a masquerade out x\n", NULL, "t.topo:2: interface 'a:x' is not declared" },
		{ "ns a\nnat a snat out x\n", NULL, "expected 'nat NS masquerade out IF'" },
		{ "ns a\nnft a\n", NULL, "t.topo:2: missing argument: expected 'nft NS" },
		{ "ns a\nnft a ''\n", NULL, "missing argument" },
		{ "nft ghost 'add table ip x'\n", NULL, "namespace 'ghost' is not declared" },
		{ "ns red\n", "bad/prefix", "prefix 'bad/prefix' is not usable" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].text);
		struct topo *t;

		if (strstr(cases[i].want, "binary data"))
			len = 11;  /* the literal holds a NUL */
		err[0] = 0;
		t = topo_parse_text("t.topo", cases[i].text, len, cases[i].prefix, err, sizeof(err));
		CHECK(!t, "case %zu parsed but should fail with '%s'", i, cases[i].want);
		CHECK(strstr(err, cases[i].want), "case %zu: got '%s', want '%s'", i, err,
		      cases[i].want);
		topo_free(t);
	}
}

static void long_line(void)
{
	size_t n = 1 << 20;
	char *text = malloc(n + 16), err[512];
	struct topo *t;

	if (!CHECK(text, "malloc"))
		return;
	memcpy(text, "ns red\n", 7);
	memset(text + 7, 'x', n);
	text[7 + n] = '\n';
	t = topo_parse_text("t.topo", text, n + 8, NULL, err, sizeof(err));
	CHECK(!t, "a 1 MiB line parsed");
	CHECK_STR_HAS(err, "t.topo:2: line is longer than 4096 bytes");
	free(text);
}

/* A host with hundreds of containers: 2,000 namespaces on one bridge
 * parse; one more than the limit is refused by name. */
static void large_host(void)
{
	size_t cap = 4 << 20, len = 0;
	char *text = malloc(cap), err[512];
	struct topo *t;

	if (!CHECK(text, "malloc"))
		return;
	len += snprintf(text + len, cap - len, "bridge br0\n");
	for (int i = 1; i <= 2000; i++)
		len += snprintf(text + len, cap - len, "ns c%d\nveth c%d:eth0 br0\n"
				"addr c%d:eth0 10.%d.%d.1/8\nroute c%d default via 10.0.0.1\n",
				i, i, i, i / 256, i % 256, i);
	t = topo_parse_text("t.topo", text, len, NULL, err, sizeof(err));
	if (CHECK(t, "2,000 namespaces: %s", err))
		CHECK(t->nns == 2000 && t->nlinks == 4001 && t->nroutes == 2000,
		      "%d namespaces, %d links, %d routes", t->nns, t->nlinks, t->nroutes);
	topo_free(t);
	len = 0;
	for (int i = 0; i <= TOPO_MAX_NS; i++)
		len += snprintf(text + len, cap - len, "ns n%d\n", i);
	t = topo_parse_text("t.topo", text, len, NULL, err, sizeof(err));
	CHECK(!t, "%d namespaces parsed", TOPO_MAX_NS + 1);
	CHECK_STR_HAS(err, "too many namespaces (at most 4096)");
	free(text);
}

static void bundled_files_parse(void)
{
	static const char *files[] = { "topologies/pair.topo", "topologies/bridge.topo",
		"topologies/router-mtu.topo", "topologies/mtu-mismatch.topo",
		"topologies/three-tier.topo", "topologies/gateway.topo" };
	char err[512];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct topo *t = topo_parse_file(files[i], "nffff-", err, sizeof(err));

		CHECK(t, "%s: %s", files[i], err);
		topo_free(t);
	}
	CHECK(!topo_parse_file("topologies", NULL, err, sizeof(err)), "a directory parsed");
	CHECK_STR_HAS(err, "is a directory");
	CHECK(!topo_parse_file("topologies/nonexistent.topo", NULL, err, sizeof(err)), "missing file");
	CHECK_STR_HAS(err, "cannot open: No such file or directory");
}

/* Firewall statements become nft commands in table inet nstrace, one per
 * address family the rule can match, each remembering its line. */
static void firewall_commands(void)
{
	static const char text[] =
		"ns web\nns db\nns rt\n"
		"veth web:e rt:w\nveth db:e rt:d\n"
		"addr web:e 10.1.0.2/24\naddr web:e fd00:1::2/64\naddr db:e 10.2.0.2/24\n"
		"firewall rt forward drop tcp from web to db port 5432\n"
		"firewall rt input accept icmp\n"
		"firewall rt forward reject from 10.9.9.9/16\n"
		"nat rt masquerade out d\n"
		"nft rt 'add rule inet nstrace input meta mark 7 counter'\n";
	char err[512], buf[4096];
	int lines[16], n;
	struct topo *t = topo_parse_text("t.topo", text, sizeof(text) - 1, NULL, err, sizeof(err));

	if (!CHECK(t, "%s", err))
		return;
	n = firewall_script(t, "rt", buf, sizeof(buf), lines, 16);
	CHECK(n == 9, "got %d commands:\n%s", n, buf);
	CHECK_STR_HAS(buf, "add table inet nstrace { comment \"topology t.topo\"; }\n");
	CHECK_STR_HAS(buf, "add chain inet nstrace forward { type filter hook forward priority 0; policy accept; }\n");
	CHECK_STR_HAS(buf, "add chain inet nstrace postrouting { type nat hook postrouting priority 100;");
	/* web has v4 and v6, db only v4: one rule, IPv4. */
	CHECK_STR_HAS(buf, "add rule inet nstrace forward ip saddr { 10.1.0.2 } ip daddr { 10.2.0.2 } "
		      "tcp dport 5432 counter drop comment \"line 9\"\n");
	CHECK(!strstr(buf, "fd00:1::2"), "a v6 rule toward a v4-only namespace");
	CHECK_STR_HAS(buf, "add rule inet nstrace input meta l4proto icmp counter accept comment \"line 10\"\n");
	CHECK_STR_HAS(buf, "ip saddr 10.9.0.0/16 counter reject");      /* host bits cleared */
	CHECK_STR_HAS(buf, "postrouting oifname \"d\" counter masquerade comment \"line 12\"");
	CHECK_STR_HAS(buf, "\nadd rule inet nstrace input meta mark 7 counter\n");
	CHECK(lines[0] == 0 && lines[n - 1] == 13 && lines[n - 2] == 12, "lines %d %d %d",
	      lines[0], lines[n - 2], lines[n - 1]);
	CHECK(firewall_script(t, "web", buf, sizeof(buf), NULL, 0) == 0, "web has no firewall");
	CHECK(firewall_script(t, "rt", buf, 64, NULL, 0) == -ENOSPC, "a short buffer is not -ENOSPC");
	topo_free(t);
}

const struct unit_test parse_tests[] = {
	{ "parse_firewall_commands", firewall_commands },
	{ "parse_bridge_model", bridge_model },
	{ "parse_prefix", prefix_applies },
	{ "parse_routes", route_forms },
	{ "parse_error_table", error_table },
	{ "parse_long_line", long_line },
	{ "parse_large_host", large_host },
	{ "parse_bundled_files", bundled_files_parse },
	{ NULL, NULL },
};
