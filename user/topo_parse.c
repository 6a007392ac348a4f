/* Parser and validator for topology files: one statement a line.
 *
 *   ns NAME
 *   bridge [NS:]NAME
 *   veth [NS:]NAME [NS:]NAME          a pair, each end in its namespace
 *   veth [NS:]NAME BRIDGE [peer NAME] far end in BRIDGE's namespace, enslaved
 *   master [NS:]IF BRIDGE
 *   addr [NS:]IF ADDRESS/PLEN
 *   mtu [NS:]IF MTU
 *   down [NS:]IF
 *   route NS default|PREFIX [via GW] [dev IF]
 *   sysctl NS net.KEY=VALUE
 *   firewall NS input|forward|output accept|drop|reject [tcp|udp|icmp|icmp6]
 *            [from NS|PREFIX] [to NS|PREFIX] [port N]
 *   nat NS masquerade out IF
 *   nft NS 'COMMAND'                  an nft command, run inside NS
 *
 * A name without "NS:" (or with "root:") is in the root namespace. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include "firewall.h"
#include "topo.h"

#define MAX_TOKENS 16

struct parser {
	struct topo *t;
	const char *prefix;
	int line;
	char *err;
	size_t errlen;
};

static int fail(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->t->file, p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->t->file, msg);
	return -1;
}

int topo_find_ns(const struct topo *t, const char *name)
{
	for (int i = 0; i < t->nns; i++)
		if (!strcmp(t->ns[i].name, name))
			return i;
	return -1;
}

int topo_find_link(const struct topo *t, const char *ns, const char *name)
{
	for (int i = 0; i < t->nlinks; i++)
		if (!strcmp(t->links[i].ns, ns) && !strcmp(t->links[i].name, name))
			return i;
	return -1;
}

const char *topo_link_str(const struct topo_link *l, char *buf, size_t len)
{
	if (l->ns[0])
		snprintf(buf, len, "%s:%s", l->ns, l->name);
	else
		snprintf(buf, len, "%s", l->name);
	return buf;
}

static int ifname_valid(const char *s, char *why, size_t whylen)
{
	if (!*s) {
		snprintf(why, whylen, "an interface name is empty");
		return -1;
	}
	if (strlen(s) >= TOPO_IFNAMSIZ) {
		snprintf(why, whylen, "interface name '%s' is longer than 15 bytes", s);
		return -1;
	}
	if (!strcmp(s, ".") || !strcmp(s, "..")) {
		snprintf(why, whylen, "'%s' is not an interface name", s);
		return -1;
	}
	for (const char *c = s; *c; c++)
		if (*c <= ' ' || *c >= 0x7f || *c == '/' || *c == ':') {
			snprintf(why, whylen, "interface name '%s' has a character "
				 "that is not allowed ('/', ':', space, non-ASCII)", s);
			return -1;
		}
	return 0;
}

/* The namespace's final name (prefixed), checked to be declared. */
static int ns_ref(struct parser *p, const char *raw, char *out)
{
	char why[128];

	if (!*raw || !strcmp(raw, "root")) {
		out[0] = 0;
		return 0;
	}
	if (netns_name_valid(raw, why, sizeof(why)))
		return fail(p, "namespace '%s': %s", raw, why);
	snprintf(out, NETNS_NAME_MAX, "%s%s", p->prefix, raw);
	if (topo_find_ns(p->t, out) < 0)
		return fail(p, "namespace '%s' is not declared (add 'ns %s' above)",
			    raw, raw);
	return 0;
}

/* Split "[NS:]IF" into final names; prefix applies to root interfaces. */
static int if_ref(struct parser *p, const char *tok, char *ns, char *ifname)
{
	const char *colon = strchr(tok, ':');
	char rawns[NETNS_NAME_MAX + 1] = "", why[160], full[64];
	const char *name = tok;

	if (colon) {
		size_t n = colon - tok;

		if (n >= sizeof(rawns))
			return fail(p, "namespace in '%.80s' is too long", tok);
		memcpy(rawns, tok, n);
		rawns[n] = 0;
		name = colon + 1;
		if (!n)
			return fail(p, "'%s': empty namespace before ':'", tok);
	}
	if (ns_ref(p, rawns, ns))
		return -1;
	if (ifname_valid(name, why, sizeof(why)))
		return fail(p, "%s", why);
	snprintf(full, sizeof(full), "%s%s", ns[0] ? "" : p->prefix, name);
	if (strlen(full) >= TOPO_IFNAMSIZ)
		return fail(p, "interface name '%s' is longer than 15 bytes "
			    "(with prefix '%s')", full, p->prefix);
	strcpy(ifname, full);
	return 0;
}

/* A declared interface, or an error naming it. */
static int declared_link(struct parser *p, const char *tok)
{
	char ns[NETNS_NAME_MAX], name[TOPO_IFNAMSIZ];
	int i;

	if (if_ref(p, tok, ns, name))
		return -1;
	i = topo_find_link(p->t, ns, name);
	if (i < 0)
		return fail(p, "interface '%s' is not declared (declare it with "
			    "'bridge' or 'veth' above)", tok);
	return i;
}

static struct topo_link *new_link(struct parser *p, const char *ns,
				  const char *name, enum topo_link_kind kind)
{
	struct topo *t = p->t;
	struct topo_link *l;
	int dup = topo_find_link(t, ns, name);

	if (dup >= 0) {
		fail(p, "interface '%s%s%s' is already declared at line %d",
		     ns, ns[0] ? ":" : "", name, t->links[dup].line);
		return NULL;
	}
	if (t->nlinks >= TOPO_MAX_LINKS) {
		fail(p, "too many interfaces (at most %d)", TOPO_MAX_LINKS);
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

static int want_args(struct parser *p, int ntok, int min, int max,
		     const char *usage)
{
	if (ntok < min)
		return fail(p, "missing argument: expected '%s'", usage);
	if (ntok > max)
		return fail(p, "too many arguments: expected '%s'", usage);
	return 0;
}

static int st_ns(struct parser *p, char **tok, int n)
{
	struct topo *t = p->t;
	char why[128], full[NETNS_NAME_MAX + 64];
	int dup;

	if (want_args(p, n, 2, 2, "ns NAME"))
		return -1;
	if (!strcmp(tok[1], "root"))
		return fail(p, "'root' is the host's namespace and cannot be declared");
	if (netns_name_valid(tok[1], why, sizeof(why)))
		return fail(p, "namespace '%s': %s", tok[1], why);
	snprintf(full, sizeof(full), "%s%s", p->prefix, tok[1]);
	if (netns_name_valid(full, why, sizeof(why)))
		return fail(p, "namespace '%s': %s", full, why);
	dup = topo_find_ns(t, full);
	if (dup >= 0)
		return fail(p, "namespace '%s' is already declared at line %d",
			    tok[1], t->ns[dup].line);
	if (t->nns >= TOPO_MAX_NS)
		return fail(p, "too many namespaces (at most %d)", TOPO_MAX_NS);
	memcpy(t->ns[t->nns].name, full, strlen(full) + 1);  /* < 64: checked */
	t->ns[t->nns++].line = p->line;
	return 0;
}

static int st_bridge(struct parser *p, char **tok, int n)
{
	char ns[NETNS_NAME_MAX], name[TOPO_IFNAMSIZ];

	if (want_args(p, n, 2, 2, "bridge [NS:]NAME") || if_ref(p, tok[1], ns, name))
		return -1;
	return new_link(p, ns, name, TL_BRIDGE) ? 0 : -1;
}

static int enslave(struct parser *p, struct topo_link *port,
		   const struct topo_link *br, const char *what)
{
	if (br->kind != TL_BRIDGE)
		return fail(p, "'%s' is not a bridge", what);
	if (port->kind == TL_BRIDGE)
		return fail(p, "bridge '%s' cannot be a port of bridge '%s' "
			    "(a bridge loop)", port->name, br->name);
	if (strcmp(port->ns, br->ns))
		return fail(p, "'%s' and bridge '%s' are in different namespaces",
			    port->name, br->name);
	if (port->master[0])
		return fail(p, "'%s' is already a port of '%s' (line %d)",
			    port->name, port->master, port->master_line);
	snprintf(port->master, sizeof(port->master), "%s", br->name);
	port->master_line = p->line;
	return 0;
}

static int st_veth(struct parser *p, char **tok, int n)
{
	const char *usage = "veth [NS:]NAME [NS:]NAME | veth [NS:]NAME BRIDGE [peer NAME]";
	char ns[NETNS_NAME_MAX], name[TOPO_IFNAMSIZ];
	char pns[NETNS_NAME_MAX], pname[TOPO_IFNAMSIZ];
	struct topo_link *a, *b;
	int br = -1, ai;

	if (n != 3 && n != 5)
		return want_args(p, n, 3, 3, usage) ? -1 : fail(p, "expected '%s'", usage);
	if (if_ref(p, tok[1], ns, name))
		return -1;
	if (if_ref(p, tok[2], pns, pname))
		return -1;
	br = topo_find_link(p->t, pns, pname);
	if (br >= 0 && p->t->links[br].kind == TL_BRIDGE) {
		/* Shorthand: the far end lives beside the bridge and joins it,
		 * named "BRIDGE-NS" from the names as written unless given. */
		size_t plen = strlen(p->prefix);
		const char *brname = p->t->links[br].name + (pns[0] ? 0 : plen);
		const char *nsname = ns[0] ? ns + plen : "root";
		char leaf[256], full[300], why[160];

		if (n == 5 && strcmp(tok[3], "peer"))
			return fail(p, "expected 'peer NAME', got '%s'", tok[3]);
		if (n == 5)
			snprintf(leaf, sizeof(leaf), "%.200s", tok[4]);
		else
			snprintf(leaf, sizeof(leaf), "%.60s-%.60s", brname, nsname);
		snprintf(full, sizeof(full), "%s%s", pns[0] ? "" : p->prefix, leaf);
		if (ifname_valid(full, why, sizeof(why)))
			return fail(p, "far end of the veth: %s (name it with 'peer NAME')", why);
		memcpy(pname, full, strlen(full) + 1);  /* < 16: checked */
	} else {
		if (n == 5)
			return fail(p, "'peer NAME' is only for a veth joined to a bridge; "
				    "'%s' is not a declared bridge", tok[2]);
		br = -1;
	}
	if (!strcmp(ns, pns) && !strcmp(name, pname))
		return fail(p, "both ends of the veth are '%s'", tok[1]);
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

static int st_master(struct parser *p, char **tok, int n)
{
	int port, br;

	if (want_args(p, n, 3, 3, "master [NS:]IF BRIDGE"))
		return -1;
	port = declared_link(p, tok[1]);
	if (port < 0)
		return -1;
	br = declared_link(p, tok[2]);
	if (br < 0)
		return -1;
	return enslave(p, &p->t->links[port], &p->t->links[br], tok[2]);
}

static int st_addr(struct parser *p, char **tok, int n)
{
	struct topo_link *l;
	struct ipaddr a;
	char why[160];
	int i;

	if (want_args(p, n, 3, 3, "addr [NS:]IF ADDRESS/PLEN"))
		return -1;
	i = declared_link(p, tok[1]);
	if (i < 0)
		return -1;
	l = &p->t->links[i];
	if (ipaddr_parse(tok[2], &a, 1, why, sizeof(why)))
		return fail(p, "%s", why);
	for (int k = 0; k < l->naddrs; k++)
		if (!memcmp(l->addrs[k].a, a.a, 16) && l->addrs[k].family == a.family)
			return fail(p, "address %s is already declared on '%s' at line %d",
				    tok[2], tok[1], l->addr_line[k]);
	if (l->naddrs >= TOPO_MAX_ADDRS)
		return fail(p, "too many addresses on '%s' (at most %d)", tok[1],
			    TOPO_MAX_ADDRS);
	l->addr_line[l->naddrs] = p->line;
	l->addrs[l->naddrs++] = a;
	return 0;
}

static int st_mtu(struct parser *p, char **tok, int n)
{
	struct topo_link *l;
	char *end;
	long mtu;
	int i;

	if (want_args(p, n, 3, 3, "mtu [NS:]IF MTU"))
		return -1;
	i = declared_link(p, tok[1]);
	if (i < 0)
		return -1;
	l = &p->t->links[i];
	errno = 0;
	mtu = strtol(tok[2], &end, 10);
	if (errno || *end || end == tok[2] || mtu < 68 || mtu > 65535)
		return fail(p, "MTU '%s' for '%s' is out of range (68..65535)",
			    tok[2], tok[1]);
	if (l->mtu)
		return fail(p, "MTU of '%s' is already set at line %d", tok[1], l->mtu_line);
	l->mtu = (unsigned int)mtu;
	l->mtu_line = p->line;
	return 0;
}

static int st_down(struct parser *p, char **tok, int n)
{
	int i;

	if (want_args(p, n, 2, 2, "down [NS:]IF"))
		return -1;
	i = declared_link(p, tok[1]);
	if (i < 0)
		return -1;
	p->t->links[i].down = 1;
	return 0;
}

static int st_route(struct parser *p, char **tok, int n)
{
	const char *usage = "route NS default|PREFIX [via GW] [dev IF]";
	struct topo *t = p->t;
	struct topo_route *r;
	char why[160];
	int k, gw_family = 0;

	if (want_args(p, n, 5, 7, usage))
		return -1;
	if (t->nroutes >= TOPO_MAX_ROUTES)
		return fail(p, "too many routes (at most %d)", TOPO_MAX_ROUTES);
	r = &t->routes[t->nroutes];
	memset(r, 0, sizeof(*r));
	r->line = p->line;
	if (!strcmp(tok[1], "root"))
		return fail(p, "routes in the host's namespace are not managed by nstrace");
	if (ns_ref(p, tok[1], r->ns))
		return -1;
	for (k = 3; k + 1 < n; k += 2) {
		if (!strcmp(tok[k], "via") && !r->has_gw) {
			if (ipaddr_parse(tok[k + 1], &r->gw, 0, why, sizeof(why)))
				return fail(p, "gateway: %s", why);
			if (r->gw.plen >= 0)
				return fail(p, "gateway '%s' must not have a prefix length",
					    tok[k + 1]);
			r->has_gw = 1;
			gw_family = r->gw.family;
		} else if (!strcmp(tok[k], "dev") && !r->dev[0]) {
			char tmp[NETNS_NAME_MAX + TOPO_IFNAMSIZ + 2];
			int li;

			snprintf(tmp, sizeof(tmp), "%s:%s", tok[1], tok[k + 1]);
			if (strchr(tok[k + 1], ':'))
				return fail(p, "dev '%s': name the interface without a namespace",
					    tok[k + 1]);
			li = declared_link(p, tmp);
			if (li < 0)
				return -1;
			memcpy(r->dev, t->links[li].name, sizeof(r->dev));
		} else {
			return fail(p, "unexpected '%s': expected '%s'", tok[k], usage);
		}
	}
	if (k != n)
		return fail(p, "missing argument after '%s': expected '%s'", tok[n - 1], usage);
	if (!strcmp(tok[2], "default")) {
		r->dst.family = gw_family ? gw_family : AF_INET;
		r->dst.plen = 0;
	} else if (!strcmp(tok[2], "default6")) {
		r->dst.family = AF_INET6;
		r->dst.plen = 0;
	} else if (ipaddr_parse(tok[2], &r->dst, 1, why, sizeof(why))) {
		return fail(p, "destination: %s", why);
	}
	if (gw_family && gw_family != r->dst.family)
		return fail(p, "gateway %s and destination %s are of different families",
			    tok[4], tok[2]);
	t->nroutes++;
	return 0;
}

static int st_sysctl(struct parser *p, char **tok, int n)
{
	struct topo *t = p->t;
	struct topo_sysctl *s;
	char *eq;

	if (want_args(p, n, 3, 3, "sysctl NS net.KEY=VALUE"))
		return -1;
	if (!strcmp(tok[1], "root"))
		return fail(p, "sysctls of the host's namespace are not managed by nstrace");
	if (t->nsysctls >= TOPO_MAX_SYSCTLS)
		return fail(p, "too many sysctls (at most %d)", TOPO_MAX_SYSCTLS);
	s = &t->sysctls[t->nsysctls];
	memset(s, 0, sizeof(*s));
	s->line = p->line;
	if (ns_ref(p, tok[1], s->ns))
		return -1;
	eq = strchr(tok[2], '=');
	if (!eq || eq == tok[2] || !eq[1])
		return fail(p, "expected net.KEY=VALUE, got '%s'", tok[2]);
	*eq = 0;
	if (strncmp(tok[2], "net.", 4) || strstr(tok[2], "..") ||
	    strlen(tok[2]) >= sizeof(s->key) || tok[2][strlen(tok[2]) - 1] == '.')
		return fail(p, "sysctl '%s': only per-namespace keys under net. are allowed",
			    tok[2]);
	for (const char *c = tok[2]; *c; c++)
		if (!(*c == '.' || *c == '_' || *c == '-' || (*c >= '0' && *c <= '9') ||
		      (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
			return fail(p, "sysctl '%s': unexpected character '%c'", tok[2], *c);
	if (strlen(eq + 1) >= sizeof(s->value))
		return fail(p, "sysctl value for '%s' is too long", tok[2]);
	snprintf(s->key, sizeof(s->key), "%s", tok[2]);
	snprintf(s->value, sizeof(s->value), "%s", eq + 1);
	t->nsysctls++;
	return 0;
}

static struct topo_rule *new_rule(struct parser *p, const char *rawns, enum topo_rule_kind kind)
{
	struct topo *t = p->t;
	struct topo_rule *r;

	if (!strcmp(rawns, "root")) {
		fail(p, "the host's firewall is not managed by nstrace: name a declared namespace");
		return NULL;
	}
	if (t->nrules >= TOPO_MAX_RULES) {
		fail(p, "too many firewall, nat and nft statements (at most %d)", TOPO_MAX_RULES);
		return NULL;
	}
	r = &t->rules[t->nrules];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->line = p->line;
	r->from.ns = r->to.ns = -1;
	if (ns_ref(p, rawns, r->ns))
		return NULL;
	return r;
}

/* "web" (a declared namespace) or "10.10.1.0/24" / "10.10.1.2". */
static int peer_ref(struct parser *p, const char *tok, struct topo_peer *peer)
{
	char full[NETNS_NAME_MAX + 64], why[128];

	snprintf(full, sizeof(full), "%s%s", p->prefix, tok);
	peer->ns = topo_find_ns(p->t, full);
	if (peer->ns >= 0)
		return 0;
	if (ipaddr_parse(tok, &peer->net, 0, why, sizeof(why)))
		return fail(p, "'%s' is neither a declared namespace nor an address: %s", tok, why);
	peer->has_net = 1;
	return 0;
}

static int st_firewall(struct parser *p, char **tok, int n)
{
	const char *usage = "firewall NS input|forward|output accept|drop|reject "
			    "[tcp|udp|icmp|icmp6] [from NS|PREFIX] [to NS|PREFIX] [port N]";
	static const char *chains[] = { "input", "forward", "output" };
	static const char *actions[] = { "accept", "drop", "reject" };
	static const char *protos[] = { "tcp", "udp", "icmp", "icmp6" };
	struct topo_rule *r;
	int i = 4, ok = 0;

	if (want_args(p, n, 4, 12, usage) || !(r = new_rule(p, tok[1], TR_FILTER)))
		return -1;
	for (size_t c = 0; c < 3; c++)
		ok |= !strcmp(tok[2], chains[c]);
	if (!ok)
		return fail(p, "chain '%.40s' is not input, forward or output", tok[2]);
	ok = 0;
	for (size_t c = 0; c < 3; c++)
		ok |= !strcmp(tok[3], actions[c]);
	if (!ok)
		return fail(p, "action '%.40s' is not accept, drop or reject", tok[3]);
	snprintf(r->chain, sizeof(r->chain), "%s", tok[2]);
	snprintf(r->action, sizeof(r->action), "%s", tok[3]);
	for (size_t c = 0; i < n && c < 4; c++)
		if (!strcmp(tok[i], protos[c])) {
			snprintf(r->proto, sizeof(r->proto), "%s", tok[i++]);
			break;
		}
	for (; i < n; i += 2) {
		char *end;

		if (i + 1 >= n)
			return fail(p, "'%.40s' needs an argument: expected '%s'", tok[i], usage);
		if (!strcmp(tok[i], "from") && r->from.ns < 0 && !r->from.has_net) {
			if (peer_ref(p, tok[i + 1], &r->from))
				return -1;
		} else if (!strcmp(tok[i], "to") && r->to.ns < 0 && !r->to.has_net) {
			if (peer_ref(p, tok[i + 1], &r->to))
				return -1;
		} else if (!strcmp(tok[i], "port") && !r->port) {
			long port = strtol(tok[i + 1], &end, 10);

			if (*end || port < 1 || port > 65535)
				return fail(p, "port '%.40s' is not 1..65535", tok[i + 1]);
			if (strcmp(r->proto, "tcp") && strcmp(r->proto, "udp"))
				return fail(p, "a port needs tcp or udp before it");
			r->port = (unsigned int)port;
		} else {
			return fail(p, "unexpected '%.40s' (or given twice): expected '%s'", tok[i], usage);
		}
	}
	p->t->nrules++;
	return 0;
}

static int st_nat(struct parser *p, char **tok, int n)
{
	const char *usage = "nat NS masquerade out IF";
	char why[160];
	struct topo_rule *r;

	if (want_args(p, n, 5, 5, usage) || !(r = new_rule(p, tok[1], TR_MASQUERADE)))
		return -1;
	if (strcmp(tok[2], "masquerade") || strcmp(tok[3], "out"))
		return fail(p, "expected '%s'", usage);
	if (ifname_valid(tok[4], why, sizeof(why)))
		return fail(p, "%s", why);
	if (topo_find_link(p->t, r->ns, tok[4]) < 0)
		return fail(p, "interface '%s:%s' is not declared", tok[1], tok[4]);
	snprintf(r->oif, sizeof(r->oif), "%s", tok[4]);
	p->t->nrules++;
	return 0;
}

/* nft NS 'COMMAND': the rest of the line, quotes optional. LINE has had
 * its comment removed; it is not split into words. */
static int st_nft(struct parser *p, char *line)
{
	char *s = line + strspn(line, " \t") + 3, *ns, *text;
	struct topo_rule *r;
	size_t len;

	s += strspn(s, " \t");
	ns = s;
	s += strcspn(s, " \t");
	if (!*ns || !*s)
		return fail(p, "missing argument: expected 'nft NS 'COMMAND''");
	*s++ = 0;
	text = s + strspn(s, " \t");
	len = strlen(text);
	while (len && strchr(" \t\r", text[len - 1]))
		text[--len] = 0;
	if (len >= 2 && (text[0] == '\'' || text[0] == '"') && text[len - 1] == text[0]) {
		text[--len] = 0;
		text++;
		len--;
	}
	if (!len)
		return fail(p, "missing argument: expected 'nft NS 'COMMAND''");
	if (len >= TOPO_NFT_MAX)
		return fail(p, "nft command is longer than %d bytes", TOPO_NFT_MAX - 1);
	if (!(r = new_rule(p, ns, TR_RAW)))
		return -1;
	memcpy(r->text, text, len + 1);
	p->t->nrules++;
	return 0;
}

static const struct {
	const char *word;
	int (*fn)(struct parser *p, char **tok, int n);
} statements[] = {
	{ "ns", st_ns }, { "bridge", st_bridge }, { "veth", st_veth },
	{ "master", st_master }, { "addr", st_addr }, { "mtu", st_mtu },
	{ "down", st_down }, { "route", st_route }, { "sysctl", st_sysctl },
	{ "firewall", st_firewall }, { "nat", st_nat },
};

static int parse_line(struct parser *p, char *line)
{
	char *tok[MAX_TOKENS + 1], *save = NULL, *s;
	int n = 0;

	line[strcspn(line, "#")] = 0;
	s = line + strspn(line, " \t");
	if (!strncmp(s, "nft", 3) && (s[3] == ' ' || s[3] == '\t' || !s[3]))
		return st_nft(p, line);
	for (s = strtok_r(line, " \t\r\v\f", &save); s; s = strtok_r(NULL, " \t\r\v\f", &save)) {
		if (n == MAX_TOKENS)
			return fail(p, "too many words on one line");
		tok[n++] = s;
	}
	if (!n)
		return 0;
	for (size_t i = 0; i < sizeof(statements) / sizeof(statements[0]); i++)
		if (!strcmp(tok[0], statements[i].word))
			return statements[i].fn(p, tok, n);
	return fail(p, "unknown statement '%.40s' (expected ns, bridge, veth, master, "
		    "addr, mtu, down, route, sysctl, firewall, nat or nft)", tok[0]);
}

struct topo *topo_parse_text(const char *name, const char *text, size_t len,
			     const char *prefix, char *err, size_t errlen)
{
	struct parser p = { .prefix = prefix ? prefix : "", .err = err, .errlen = errlen };
	char line[TOPO_LINE_MAX + 1];
	size_t pos = 0;
	int statements_seen = 0;

	p.t = calloc(1, sizeof(*p.t));
	if (!p.t) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	snprintf(p.t->file, sizeof(p.t->file), "%s", name);
	if (prefix && *prefix) {
		char why[128];

		if (netns_name_valid(prefix, why, sizeof(why)) || strlen(prefix) > 12) {
			fail(&p, "prefix '%s' is not usable: %s", prefix,
			     strlen(prefix) > 12 ? "at most 12 bytes" : why);
			goto bad;
		}
	}
	/* A NUL anywhere: binary, whatever its first lines look like. */
	if (memchr(text, 0, len)) {
		const char *z = memchr(text, 0, len);

		for (const char *c = text; c < z; c++)
			p.line += *c == '\n';
		p.line++;
		fail(&p, "binary data (a NUL byte): not a topology file");
		goto bad;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (text + pos)) : len - pos;

		p.line++;
		if (l > TOPO_LINE_MAX) {
			fail(&p, "line is longer than %d bytes", TOPO_LINE_MAX);
			goto bad;
		}
		if (memchr(text + pos, 0, l)) {
			fail(&p, "binary data (a NUL byte): not a topology file");
			goto bad;
		}
		memcpy(line, text + pos, l);
		line[l] = 0;
		for (size_t i = 0; i < l; i++)
			if ((unsigned char)line[i] < 0x20 && line[i] != '\t' && line[i] != '\r') {
				fail(&p, "control character 0x%02x: not a topology file",
				     (unsigned char)line[i]);
				goto bad;
			}
		pos += l + (nl ? 1 : 0);
		if (parse_line(&p, line))
			goto bad;
		if (p.t->nns + p.t->nlinks + p.t->nroutes + p.t->nsysctls + p.t->nrules)
			statements_seen = 1;
	}
	for (int i = 0; i < p.t->nrules; i++)
		if (p.t->rules[i].kind == TR_FILTER && !firewall_families(p.t, &p.t->rules[i])) {
			p.line = p.t->rules[i].line;
			fail(&p, "this firewall rule can match nothing: its from, to and protocol "
			     "share no address family (does the namespace have addresses?)");
			goto bad;
		}
	if (!statements_seen) {
		p.line = 0;
		fail(&p, "no statements: an empty topology");
		goto bad;
	}
	return p.t;
bad:
	free(p.t);
	return NULL;
}

struct topo *topo_parse_file(const char *path, const char *prefix,
			     char *err, size_t errlen)
{
	struct topo *t = NULL;
	struct stat st;
	size_t len = 0, cap = 65536;
	char *buf;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: is a directory, not a topology file", path);
		fclose(f);
		return NULL;
	}
	buf = malloc(cap);
	while (buf) {
		size_t got = fread(buf + len, 1, cap - len, f);

		len += got;
		if (len < cap)
			break;
		if (cap >= 16 << 20) {
			snprintf(err, errlen, "%s: larger than 16 MiB, not a topology file", path);
			free(buf);
			fclose(f);
			return NULL;
		}
		cap *= 2;
		char *nb = realloc(buf, cap);

		if (!nb)
			free(buf);
		buf = nb;
	}
	if (!buf || ferror(f)) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 buf ? strerror(errno) : "out of memory");
	} else {
		t = topo_parse_text(path, buf, len, prefix, err, errlen);
	}
	free(buf);
	fclose(f);
	return t;
}

void topo_free(struct topo *t)
{
	free(t);
}
