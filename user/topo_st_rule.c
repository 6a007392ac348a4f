/* The firewall statements: firewall, nat and nft, each one nftables rule
 * or command inside a declared namespace (never the host's). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "topo_parser.h"

static struct topo_rule *new_rule(struct topo_parser *p, const char *rawns, enum topo_rule_kind kind)
{
	struct topo *t = p->t;
	struct topo_rule *r;

	if (!strcmp(rawns, "root")) {
		topo_fail(p, "the host's firewall is not managed by nstrace: name a declared namespace");
		return NULL;
	}
	if (t->nrules >= TOPO_MAX_RULES) {
		topo_fail(p, "too many firewall, nat and nft statements (at most %d)", TOPO_MAX_RULES);
		return NULL;
	}
	r = &t->rules[t->nrules];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->line = p->line;
	r->from.ns = r->to.ns = -1;
	if (topo_ns_ref(p, rawns, r->ns))
		return NULL;
	return r;
}

/* "web" (a declared namespace) or "10.10.1.0/24" / "10.10.1.2". */
static int peer_ref(struct topo_parser *p, const char *tok, struct topo_peer *peer)
{
	char full[NETNS_NAME_MAX + 64], why[128];

	snprintf(full, sizeof(full), "%s%s", p->prefix, tok);
	peer->ns = topo_find_ns(p->t, full);
	if (peer->ns >= 0)
		return 0;
	if (ipaddr_parse(tok, &peer->net, 0, why, sizeof(why)))
		return topo_fail(p, "'%s' is neither a declared namespace nor an address: %s", tok, why);
	peer->has_net = 1;
	return 0;
}

int topo_st_firewall(struct topo_parser *p, char **tok, int n)
{
	const char *usage = "firewall NS input|forward|output accept|drop|reject "
			    "[tcp|udp|icmp|icmp6] [from NS|PREFIX] [to NS|PREFIX] [port N]";
	static const char *chains[] = { "input", "forward", "output" };
	static const char *actions[] = { "accept", "drop", "reject" };
	static const char *protos[] = { "tcp", "udp", "icmp", "icmp6" };
	struct topo_rule *r;
	int i = 4, ok = 0;

	if (topo_want_args(p, n, 4, 12, usage) || !(r = new_rule(p, tok[1], TR_FILTER)))
		return -1;
	for (size_t c = 0; c < 3; c++)
		ok |= !strcmp(tok[2], chains[c]);
	if (!ok)
		return topo_fail(p, "chain '%.40s' is not input, forward or output", tok[2]);
	ok = 0;
	for (size_t c = 0; c < 3; c++)
		ok |= !strcmp(tok[3], actions[c]);
	if (!ok)
		return topo_fail(p, "action '%.40s' is not accept, drop or reject", tok[3]);
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
			return topo_fail(p, "'%.40s' needs an argument: expected '%s'", tok[i], usage);
		if (!strcmp(tok[i], "from") && r->from.ns < 0 && !r->from.has_net) {
			if (peer_ref(p, tok[i + 1], &r->from))
				return -1;
		} else if (!strcmp(tok[i], "to") && r->to.ns < 0 && !r->to.has_net) {
			if (peer_ref(p, tok[i + 1], &r->to))
				return -1;
		} else if (!strcmp(tok[i], "port") && !r->port) {
			long port = strtol(tok[i + 1], &end, 10);

			if (*end || port < 1 || port > 65535)
				return topo_fail(p, "port '%.40s' is not 1..65535", tok[i + 1]);
			if (strcmp(r->proto, "tcp") && strcmp(r->proto, "udp"))
				return topo_fail(p, "a port needs tcp or udp before it");
			r->port = (unsigned int)port;
		} else {
			return topo_fail(p, "unexpected '%.40s' (or given twice): expected '%s'", tok[i], usage);
		}
	}
	p->t->nrules++;
	return 0;
}

int topo_st_nat(struct topo_parser *p, char **tok, int n)
{
	const char *usage = "nat NS masquerade out IF";
	char why[160];
	struct topo_rule *r;

	if (topo_want_args(p, n, 5, 5, usage) || !(r = new_rule(p, tok[1], TR_MASQUERADE)))
		return -1;
	if (strcmp(tok[2], "masquerade") || strcmp(tok[3], "out"))
		return topo_fail(p, "expected '%s'", usage);
	if (topo_ifname_valid(tok[4], why, sizeof(why)))
		return topo_fail(p, "%s", why);
	if (topo_find_link(p->t, r->ns, tok[4]) < 0)
		return topo_fail(p, "interface '%s:%s' is not declared", tok[1], tok[4]);
	snprintf(r->oif, sizeof(r->oif), "%s", tok[4]);
	p->t->nrules++;
	return 0;
}

/* nft NS 'COMMAND': the rest of the line, quotes optional. LINE has had
 * its comment removed; it is not split into words. */
int topo_st_nft(struct topo_parser *p, char *line)
{
	char *s = line + strspn(line, " \t") + 3, *ns, *text;
	struct topo_rule *r;
	size_t len;

	s += strspn(s, " \t");
	ns = s;
	s += strcspn(s, " \t");
	if (!*ns || !*s)
		return topo_fail(p, "missing argument: expected 'nft NS 'COMMAND''");
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
		return topo_fail(p, "missing argument: expected 'nft NS 'COMMAND''");
	if (len >= TOPO_NFT_MAX)
		return topo_fail(p, "nft command is longer than %d bytes", TOPO_NFT_MAX - 1);
	if (!(r = new_rule(p, ns, TR_RAW)))
		return -1;
	memcpy(r->text, text, len + 1);
	p->t->nrules++;
	return 0;
}
