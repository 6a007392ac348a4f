/* The statements that declare namespaces and interfaces and configure
 * them: ns, bridge, veth, master, addr, mtu, down. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "topo_parser.h"

static struct topo_link *new_link(struct topo_parser *p, const char *ns,
				  const char *name, enum topo_link_kind kind)
{
	struct topo *t = p->t;
	struct topo_link *l;
	int dup = topo_find_link(t, ns, name);

	if (dup >= 0) {
		topo_fail(p, "interface '%s%s%s' is already declared at line %d",
			  ns, ns[0] ? ":" : "", name, t->links[dup].line);
		return NULL;
	}
	if (t->nlinks >= TOPO_MAX_LINKS) {
		topo_fail(p, "too many interfaces (at most %d)", TOPO_MAX_LINKS);
		return NULL;
	}
	l = &t->links[t->nlinks++];
	memset(l, 0, sizeof(*l));
	snprintf(l->ns, sizeof(l->ns), "%s", ns);
	snprintf(l->name, sizeof(l->name), "%s", name);
	l->kind = kind;
	l->line = p->line;
	l->peer = -1;
	return l;
}

int topo_st_ns(struct topo_parser *p, char **tok, int n)
{
	struct topo *t = p->t;
	char why[128], full[NETNS_NAME_MAX + 64];
	int dup;

	if (topo_want_args(p, n, 2, 2, "ns NAME"))
		return -1;
	if (!strcmp(tok[1], "root"))
		return topo_fail(p, "'root' is the host's namespace and cannot be declared");
	if (netns_name_valid(tok[1], why, sizeof(why)))
		return topo_fail(p, "namespace '%s': %s", tok[1], why);
	snprintf(full, sizeof(full), "%s%s", p->prefix, tok[1]);
	if (netns_name_valid(full, why, sizeof(why)))
		return topo_fail(p, "namespace '%s': %s", full, why);
	dup = topo_find_ns(t, full);
	if (dup >= 0)
		return topo_fail(p, "namespace '%s' is already declared at line %d",
				 tok[1], t->ns[dup].line);
	if (t->nns >= TOPO_MAX_NS)
		return topo_fail(p, "too many namespaces (at most %d)", TOPO_MAX_NS);
	memcpy(t->ns[t->nns].name, full, strlen(full) + 1);  /* < 64: checked */
	t->ns[t->nns++].line = p->line;
	return 0;
}

int topo_st_bridge(struct topo_parser *p, char **tok, int n)
{
	char ns[NETNS_NAME_MAX], name[TOPO_IFNAMSIZ];

	if (topo_want_args(p, n, 2, 2, "bridge [NS:]NAME") || topo_if_ref(p, tok[1], ns, name))
		return -1;
	return new_link(p, ns, name, TL_BRIDGE) ? 0 : -1;
}

static int enslave(struct topo_parser *p, struct topo_link *port,
		   const struct topo_link *br, const char *what)
{
	if (br->kind != TL_BRIDGE)
		return topo_fail(p, "'%s' is not a bridge", what);
	if (port->kind == TL_BRIDGE)
		return topo_fail(p, "bridge '%s' cannot be a port of bridge '%s' "
				 "(a bridge loop)", port->name, br->name);
	if (strcmp(port->ns, br->ns))
		return topo_fail(p, "'%s' and bridge '%s' are in different namespaces",
				 port->name, br->name);
	if (port->master[0])
		return topo_fail(p, "'%s' is already a port of '%s' (line %d)",
				 port->name, port->master, port->master_line);
	snprintf(port->master, sizeof(port->master), "%s", br->name);
	port->master_line = p->line;
	return 0;
}

/* veth [NS:]NAME BRIDGE [peer NAME]: the far end lives beside the bridge
 * and joins it, named "BRIDGE-NS" from the names as written unless given.
 * Its final name into PNAME (TOPO_IFNAMSIZ bytes). */
static int far_end_name(struct topo_parser *p, char **tok, int n, const char *ns,
			const char *pns, const struct topo_link *br, char *pname)
{
	size_t plen = strlen(p->prefix);
	const char *brname = br->name + (pns[0] ? 0 : plen);
	const char *nsname = ns[0] ? ns + plen : "root";
	char leaf[256], full[300], why[160];

	if (n == 5 && strcmp(tok[3], "peer"))
		return topo_fail(p, "expected 'peer NAME', got '%s'", tok[3]);
	if (n == 5)
		snprintf(leaf, sizeof(leaf), "%.200s", tok[4]);
	else
		snprintf(leaf, sizeof(leaf), "%.60s-%.60s", brname, nsname);
	snprintf(full, sizeof(full), "%s%s", pns[0] ? "" : p->prefix, leaf);
	if (topo_ifname_valid(full, why, sizeof(why)))
		return topo_fail(p, "far end of the veth: %s (name it with 'peer NAME')", why);
	memcpy(pname, full, strlen(full) + 1);  /* < 16: checked */
	return 0;
}

int topo_st_veth(struct topo_parser *p, char **tok, int n)
{
	const char *usage = "veth [NS:]NAME [NS:]NAME | veth [NS:]NAME BRIDGE [peer NAME]";
	char ns[NETNS_NAME_MAX], name[TOPO_IFNAMSIZ];
	char pns[NETNS_NAME_MAX], pname[TOPO_IFNAMSIZ];
	struct topo_link *a, *b;
	int br = -1, ai;

	if (n != 3 && n != 5)
		return topo_want_args(p, n, 3, 3, usage) ? -1 : topo_fail(p, "expected '%s'", usage);
	if (topo_if_ref(p, tok[1], ns, name))
		return -1;
	if (topo_if_ref(p, tok[2], pns, pname))
		return -1;
	br = topo_find_link(p->t, pns, pname);
	if (br >= 0 && p->t->links[br].kind == TL_BRIDGE) {
		if (far_end_name(p, tok, n, ns, pns, &p->t->links[br], pname))
			return -1;
	} else {
		if (n == 5)
			return topo_fail(p, "'peer NAME' is only for a veth joined to a bridge; "
					 "'%s' is not a declared bridge", tok[2]);
		br = -1;
	}
	if (!strcmp(ns, pns) && !strcmp(name, pname))
		return topo_fail(p, "both ends of the veth are '%s'", tok[1]);
	a = new_link(p, ns, name, TL_VETH);
	if (!a)
		return -1;
	ai = p->t->nlinks - 1;
	b = new_link(p, pns, pname, TL_VETH);
	if (!b)
		return -1;
	a->primary = 1;
	a->peer = p->t->nlinks - 1;
	b->peer = ai;
	if (br >= 0)
		return enslave(p, b, &p->t->links[br], tok[2]);
	return 0;
}

int topo_st_master(struct topo_parser *p, char **tok, int n)
{
	int port, br;

	if (topo_want_args(p, n, 3, 3, "master [NS:]IF BRIDGE"))
		return -1;
	port = topo_declared_link(p, tok[1]);
	if (port < 0)
		return -1;
	br = topo_declared_link(p, tok[2]);
	if (br < 0)
		return -1;
	return enslave(p, &p->t->links[port], &p->t->links[br], tok[2]);
}

int topo_st_addr(struct topo_parser *p, char **tok, int n)
{
	struct topo_link *l;
	struct ipaddr a;
	char why[160];
	int i;

	if (topo_want_args(p, n, 3, 3, "addr [NS:]IF ADDRESS/PLEN"))
		return -1;
	i = topo_declared_link(p, tok[1]);
	if (i < 0)
		return -1;
	l = &p->t->links[i];
	if (ipaddr_parse(tok[2], &a, 1, why, sizeof(why)))
		return topo_fail(p, "%s", why);
	for (int k = 0; k < l->naddrs; k++)
		if (!memcmp(l->addrs[k].a, a.a, 16) && l->addrs[k].family == a.family)
			return topo_fail(p, "address %s is already declared on '%s' at line %d",
					 tok[2], tok[1], l->addr_line[k]);
	if (l->naddrs >= TOPO_MAX_ADDRS)
		return topo_fail(p, "too many addresses on '%s' (at most %d)", tok[1],
				 TOPO_MAX_ADDRS);
	l->addr_line[l->naddrs] = p->line;
	l->addrs[l->naddrs++] = a;
	return 0;
}

int topo_st_mtu(struct topo_parser *p, char **tok, int n)
{
	struct topo_link *l;
	char *end;
	long mtu;
	int i;

	if (topo_want_args(p, n, 3, 3, "mtu [NS:]IF MTU"))
		return -1;
	i = topo_declared_link(p, tok[1]);
	if (i < 0)
		return -1;
	l = &p->t->links[i];
	errno = 0;
	mtu = strtol(tok[2], &end, 10);
	if (errno || *end || end == tok[2] || mtu < 68 || mtu > 65535)
		return topo_fail(p, "MTU '%s' for '%s' is out of range (68..65535)",
				 tok[2], tok[1]);
	if (l->mtu)
		return topo_fail(p, "MTU of '%s' is already set at line %d", tok[1], l->mtu_line);
	l->mtu = (unsigned int)mtu;
	l->mtu_line = p->line;
	return 0;
}

int topo_st_down(struct topo_parser *p, char **tok, int n)
{
	int i;

	if (topo_want_args(p, n, 2, 2, "down [NS:]IF"))
		return -1;
	i = topo_declared_link(p, tok[1]);
	if (i < 0)
		return -1;
	p->t->links[i].down = 1;
	return 0;
}
