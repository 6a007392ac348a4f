/* The statements that configure a namespace's network stack: route and
 * sysctl (never the host's). */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include "topo_parser.h"

int topo_st_route(struct topo_parser *p, char **tok, int n)
{
	const char *usage = "route NS default|PREFIX [via GW] [dev IF]";
	struct topo *t = p->t;
	struct topo_route *r;
	char why[160];
	int k, gw_family = 0;

	if (topo_want_args(p, n, 5, 7, usage))
		return -1;
	if (t->nroutes >= TOPO_MAX_ROUTES)
		return topo_fail(p, "too many routes (at most %d)", TOPO_MAX_ROUTES);
	r = &t->routes[t->nroutes];
	memset(r, 0, sizeof(*r));
	r->line = p->line;
	if (!strcmp(tok[1], "root"))
		return topo_fail(p, "routes in the host's namespace are not managed by nstrace");
	if (topo_ns_ref(p, tok[1], r->ns))
		return -1;
	for (k = 3; k + 1 < n; k += 2) {
		if (!strcmp(tok[k], "via") && !r->has_gw) {
			if (ipaddr_parse(tok[k + 1], &r->gw, 0, why, sizeof(why)))
				return topo_fail(p, "gateway: %s", why);
			if (r->gw.plen >= 0)
				return topo_fail(p, "gateway '%s' must not have a prefix length",
						 tok[k + 1]);
			r->has_gw = 1;
			gw_family = r->gw.family;
		} else if (!strcmp(tok[k], "dev") && !r->dev[0]) {
			char tmp[NETNS_NAME_MAX + TOPO_IFNAMSIZ + 2];
			int li;

			snprintf(tmp, sizeof(tmp), "%s:%s", tok[1], tok[k + 1]);
			if (strchr(tok[k + 1], ':'))
				return topo_fail(p, "dev '%s': name the interface without a namespace",
						 tok[k + 1]);
			li = topo_declared_link(p, tmp);
			if (li < 0)
				return -1;
			memcpy(r->dev, t->links[li].name, sizeof(r->dev));
		} else {
			return topo_fail(p, "unexpected '%s': expected '%s'", tok[k], usage);
		}
	}
	if (k != n)
		return topo_fail(p, "missing argument after '%s': expected '%s'", tok[n - 1], usage);
	if (!strcmp(tok[2], "default")) {
		r->dst.family = gw_family ? gw_family : AF_INET;
		r->dst.plen = 0;
	} else if (!strcmp(tok[2], "default6")) {
		r->dst.family = AF_INET6;
		r->dst.plen = 0;
	} else if (ipaddr_parse(tok[2], &r->dst, 1, why, sizeof(why))) {
		return topo_fail(p, "destination: %s", why);
	}
	if (gw_family && gw_family != r->dst.family)
		return topo_fail(p, "gateway %s and destination %s are of different families",
				 tok[4], tok[2]);
	t->nroutes++;
	return 0;
}

int topo_st_sysctl(struct topo_parser *p, char **tok, int n)
{
	struct topo *t = p->t;
	struct topo_sysctl *s;
	char *eq;

	if (topo_want_args(p, n, 3, 3, "sysctl NS net.KEY=VALUE"))
		return -1;
	if (!strcmp(tok[1], "root"))
		return topo_fail(p, "sysctls of the host's namespace are not managed by nstrace");
	if (t->nsysctls >= TOPO_MAX_SYSCTLS)
		return topo_fail(p, "too many sysctls (at most %d)", TOPO_MAX_SYSCTLS);
	s = &t->sysctls[t->nsysctls];
	memset(s, 0, sizeof(*s));
	s->line = p->line;
	if (topo_ns_ref(p, tok[1], s->ns))
		return -1;
	eq = strchr(tok[2], '=');
	if (!eq || eq == tok[2] || !eq[1])
		return topo_fail(p, "expected net.KEY=VALUE, got '%s'", tok[2]);
	*eq = 0;
	if (strncmp(tok[2], "net.", 4) || strstr(tok[2], "..") ||
	    strlen(tok[2]) >= sizeof(s->key) || tok[2][strlen(tok[2]) - 1] == '.')
		return topo_fail(p, "sysctl '%s': only per-namespace keys under net. are allowed",
				 tok[2]);
	for (const char *c = tok[2]; *c; c++)
		if (!(*c == '.' || *c == '_' || *c == '-' || (*c >= '0' && *c <= '9') ||
		      (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')))
			return topo_fail(p, "sysctl '%s': unexpected character '%c'", tok[2], *c);
	if (strlen(eq + 1) >= sizeof(s->value))
		return topo_fail(p, "sysctl value for '%s' is too long", tok[2]);
	snprintf(s->key, sizeof(s->key), "%s", tok[2]);
	snprintf(s->value, sizeof(s->value), "%s", eq + 1);
	t->nsysctls++;
	return 0;
}
