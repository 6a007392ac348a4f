/* Names in statements: the error sentence every statement parser returns,
 * the argument count check, and "[NS:]IF" and "NS" turned into the
 * model's final names, checked to be valid and declared. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "topo_parser.h"

int topo_fail(struct topo_parser *p, const char *fmt, ...)
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

int topo_ifname_valid(const char *s, char *why, size_t whylen)
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
int topo_ns_ref(struct topo_parser *p, const char *raw, char *out)
{
	char why[128];

	if (!*raw || !strcmp(raw, "root")) {
		out[0] = 0;
		return 0;
	}
	if (netns_name_valid(raw, why, sizeof(why)))
		return topo_fail(p, "namespace '%s': %s", raw, why);
	snprintf(out, NETNS_NAME_MAX, "%s%s", p->prefix, raw);
	if (topo_find_ns(p->t, out) < 0)
		return topo_fail(p, "namespace '%s' is not declared (add 'ns %s' above)",
				 raw, raw);
	return 0;
}

/* Split "[NS:]IF" into final names; prefix applies to root interfaces. */
int topo_if_ref(struct topo_parser *p, const char *tok, char *ns, char *ifname)
{
	const char *colon = strchr(tok, ':');
	char rawns[NETNS_NAME_MAX + 1] = "", why[160], full[64];
	const char *name = tok;

	if (colon) {
		size_t n = colon - tok;

		if (n >= sizeof(rawns))
			return topo_fail(p, "namespace in '%.80s' is too long", tok);
		memcpy(rawns, tok, n);
		rawns[n] = 0;
		name = colon + 1;
		if (!n)
			return topo_fail(p, "'%s': empty namespace before ':'", tok);
	}
	if (topo_ns_ref(p, rawns, ns))
		return -1;
	if (topo_ifname_valid(name, why, sizeof(why)))
		return topo_fail(p, "%s", why);
	snprintf(full, sizeof(full), "%s%s", ns[0] ? "" : p->prefix, name);
	if (strlen(full) >= TOPO_IFNAMSIZ)
		return topo_fail(p, "interface name '%s' is longer than 15 bytes "
				 "(with prefix '%s')", full, p->prefix);
	strcpy(ifname, full);
	return 0;
}

/* A declared interface, or an error naming it. */
int topo_declared_link(struct topo_parser *p, const char *tok)
{
	char ns[NETNS_NAME_MAX], name[TOPO_IFNAMSIZ];
	int i;

	if (topo_if_ref(p, tok, ns, name))
		return -1;
	i = topo_find_link(p->t, ns, name);
	if (i < 0)
		return topo_fail(p, "interface '%s' is not declared (declare it with "
				 "'bridge' or 'veth' above)", tok);
	return i;
}

int topo_want_args(struct topo_parser *p, int ntok, int min, int max,
		     const char *usage)
{
	if (ntok < min)
		return topo_fail(p, "missing argument: expected '%s'", usage);
	if (ntok > max)
		return topo_fail(p, "too many arguments: expected '%s'", usage);
	return 0;
}
