#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "names.h"
#include "netns.h"
#include "unit.h"

static void netns_names(void)
{
	static const struct { const char *name; int ok; } cases[] = {
		{ "red", 1 }, { "nst-4f2a-red", 1 }, { "a", 1 },
		{ "", 0 }, { ".", 0 }, { "..", 0 }, { "a/b", 0 }, { "/etc", 0 },
		{ "has space", 0 }, { "tab\there", 0 }, { "co:lon", 0 },
		{ "0123456789012345678901234567890123456789012345678901234567890123", 0 },
		{ "012345678901234567890123456789012345678901234567890123456789012", 1 },
	};
	char why[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = 0;
		int ok = netns_name_valid(cases[i].name, why, sizeof(why)) == 0;

		CHECK(ok == cases[i].ok, "name '%s': got %s (%s)", cases[i].name,
		      ok ? "valid" : "invalid", why);
		if (!ok)
			CHECK(why[0], "no reason given for '%s'", cases[i].name);
	}
	CHECK(netns_name_valid(NULL, why, sizeof(why)) != 0, "NULL accepted");
}

static void addresses(void)
{
	struct ipaddr a;
	char why[128], buf[64];

	CHECK(ipaddr_parse("10.0.0.1/24", &a, 1, why, sizeof(why)) == 0, "%s", why);
	CHECK(a.family == AF_INET && a.plen == 24, "family %d plen %d", a.family, a.plen);
	ipaddr_format(&a, buf, sizeof(buf));
	CHECK(!strcmp(buf, "10.0.0.1/24"), "formatted as %s", buf);
	CHECK(ipaddr_parse("fd42::1/64", &a, 1, why, sizeof(why)) == 0, "%s", why);
	CHECK(a.family == AF_INET6 && a.plen == 64, "v6 family %d plen %d", a.family, a.plen);
	CHECK(ipaddr_parse("10.0.0.1", &a, 0, why, sizeof(why)) == 0 && a.plen == -1, "bare host");
	CHECK(ipaddr_parse("10.0.0.1", &a, 1, why, sizeof(why)) != 0, "prefix not demanded");
	CHECK_STR_HAS(why, "prefix length");
	CHECK(ipaddr_parse("10.0.0.1/33", &a, 1, why, sizeof(why)) != 0, "/33 accepted");
	CHECK(ipaddr_parse("10.0.0.1/", &a, 1, why, sizeof(why)) != 0, "empty prefix accepted");
	CHECK(ipaddr_parse("10.0.0.1/2x", &a, 1, why, sizeof(why)) != 0, "2x accepted");
	CHECK(ipaddr_parse("fd42::1/129", &a, 1, why, sizeof(why)) != 0, "/129 accepted");
	CHECK(ipaddr_parse("10.0.0.256/24", &a, 1, why, sizeof(why)) != 0, "octet 256 accepted");
	CHECK(ipaddr_parse("/24", &a, 1, why, sizeof(why)) != 0, "no host accepted");
	CHECK(ipaddr_parse("banana", &a, 0, why, sizeof(why)) != 0, "word accepted");
}

/* Port names learned at every plan: each port once, the newest name
 * wins after a rename, learning the same topology again adds nothing. */
static void ports_learned(void)
{
	struct live_link a[300], b[2];
	struct live_ns ns[2] = { { .inode = 100, .nlinks = 300, .links = a },
				 { .inode = 200, .nlinks = 2, .links = b } };
	struct live_topo lt = { .nns = 2, .ns = ns };
	struct names n = { .lt = &lt };
	int before;

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	for (int i = 0; i < 300; i++) {
		a[i].ifindex = i + 1;
		snprintf(a[i].name, sizeof(a[i].name), "veth%d", i);
	}
	b[0].ifindex = 1;
	snprintf(b[0].name, sizeof(b[0].name), "lo");
	b[1].ifindex = 2;
	snprintf(b[1].name, sizeof(b[1].name), "eth0");
	names_learn(&n);
	CHECK(n.ndevs == 302, "%d names for 302 ports", n.ndevs);
	names_learn(&n);
	before = n.ndevs;
	CHECK(before == 302, "learned again: %d names", before);
	snprintf(a[7].name, sizeof(a[7].name), "renamed");
	names_learn(&n);
	CHECK(n.ndevs == 303 && !strcmp(names_dev(&n, 100, 8, NAME_BUF), "renamed"),
	      "after a rename: %d names, port 8 is %s", n.ndevs, names_dev(&n, 100, 8, NAME_BUF));
	CHECK(!strcmp(names_dev(&n, 200, 2, NAME_BUF), "eth0") &&
	      !strcmp(names_dev(&n, 100, 300, NAME_BUF), "veth299"), "other ports keep their names");
	names_free(&n);
}

const struct unit_test names_tests[] = {
	{ "netns_name_validation", netns_names },
	{ "address_parsing", addresses },
	{ "port_names_learned", ports_learned },
	{ NULL, NULL },
};
