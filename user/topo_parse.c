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
 * A name without "NS:" (or with "root:") is in the root namespace.
 *
 * This file reads the lines, hands each to its statement's parser (the
 * table below; the parsers are in topo_st_*.c) and validates the whole. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "firewall.h"
#include "topo_parser.h"

#define MAX_TOKENS 16

static const struct {
	const char *word;
	int (*fn)(struct topo_parser *p, char **tok, int n);
} statements[] = {
	{ "ns", topo_st_ns }, { "bridge", topo_st_bridge }, { "veth", topo_st_veth },
	{ "master", topo_st_master }, { "addr", topo_st_addr }, { "mtu", topo_st_mtu },
	{ "down", topo_st_down }, { "route", topo_st_route }, { "sysctl", topo_st_sysctl },
	{ "firewall", topo_st_firewall }, { "nat", topo_st_nat },
};

static int parse_line(struct topo_parser *p, char *line)
{
	char *tok[MAX_TOKENS + 1], *save = NULL, *s;
	int n = 0;

	line[strcspn(line, "#")] = 0;
	s = line + strspn(line, " \t");
	if (!strncmp(s, "nft", 3) && (s[3] == ' ' || s[3] == '\t' || !s[3]))
		return topo_st_nft(p, line);
	for (s = strtok_r(line, " \t\r\v\f", &save); s; s = strtok_r(NULL, " \t\r\v\f", &save)) {
		if (n == MAX_TOKENS)
			return topo_fail(p, "too many words on one line");
		tok[n++] = s;
	}
	if (!n)
		return 0;
	for (size_t i = 0; i < sizeof(statements) / sizeof(statements[0]); i++)
		if (!strcmp(tok[0], statements[i].word))
			return statements[i].fn(p, tok, n);
	return topo_fail(p, "unknown statement '%.40s' (expected ns, bridge, veth, master, "
			 "addr, mtu, down, route, sysctl, firewall, nat or nft)", tok[0]);
}

/* A usable --prefix: a namespace name of at most 12 bytes. */
static int check_prefix(struct topo_parser *p, const char *prefix)
{
	char why[128];

	if (!prefix || !*prefix)
		return 0;
	if (netns_name_valid(prefix, why, sizeof(why)) || strlen(prefix) > 12)
		return topo_fail(p, "prefix '%s' is not usable: %s", prefix,
				 strlen(prefix) > 12 ? "at most 12 bytes" : why);
	return 0;
}

/* A NUL anywhere: binary, whatever its first lines look like. */
static int check_text(struct topo_parser *p, const char *text, size_t len)
{
	const char *z = memchr(text, 0, len);

	if (!z)
		return 0;
	for (const char *c = text; c < z; c++)
		p->line += *c == '\n';
	p->line++;
	return topo_fail(p, "binary data (a NUL byte): not a topology file");
}

/* The line of TEXT at *POS into LINE (TOPO_LINE_MAX + 1 bytes), checked
 * to be text; *POS moves past it and P->line counts it. */
static int next_line(struct topo_parser *p, const char *text, size_t len,
		     size_t *pos, char *line)
{
	const char *nl = memchr(text + *pos, '\n', len - *pos);
	size_t l = nl ? (size_t)(nl - (text + *pos)) : len - *pos;

	p->line++;
	if (l > TOPO_LINE_MAX)
		return topo_fail(p, "line is longer than %d bytes", TOPO_LINE_MAX);
	if (memchr(text + *pos, 0, l))
		return topo_fail(p, "binary data (a NUL byte): not a topology file");
	memcpy(line, text + *pos, l);
	line[l] = 0;
	for (size_t i = 0; i < l; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t' && line[i] != '\r')
			return topo_fail(p, "control character 0x%02x: not a topology file",
					 (unsigned char)line[i]);
	*pos += l + (nl ? 1 : 0);
	return 0;
}

/* What only the whole file can tell. */
static int validate(struct topo_parser *p, int statements_seen)
{
	const struct topo *t = p->t;

	for (int i = 0; i < t->nrules; i++)
		if (t->rules[i].kind == TR_FILTER && !firewall_families(t, &t->rules[i])) {
			p->line = t->rules[i].line;
			return topo_fail(p, "this firewall rule can match nothing: its from, to "
					 "and protocol share no address family (does the "
					 "namespace have addresses?)");
		}
	if (!statements_seen) {
		p->line = 0;
		return topo_fail(p, "no statements: an empty topology");
	}
	return 0;
}

struct topo *topo_parse_text(const char *name, const char *text, size_t len,
			     const char *prefix, char *err, size_t errlen)
{
	struct topo_parser p = { .prefix = prefix ? prefix : "", .err = err, .errlen = errlen };
	char line[TOPO_LINE_MAX + 1];
	size_t pos = 0;
	int statements_seen = 0;

	p.t = calloc(1, sizeof(*p.t));
	if (!p.t) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	snprintf(p.t->file, sizeof(p.t->file), "%s", name);
	if (check_prefix(&p, prefix) || check_text(&p, text, len))
		goto bad;
	while (pos < len) {
		if (next_line(&p, text, len, &pos, line) || parse_line(&p, line))
			goto bad;
		if (p.t->nns + p.t->nlinks + p.t->nroutes + p.t->nsysctls + p.t->nrules)
			statements_seen = 1;
	}
	if (validate(&p, statements_seen))
		goto bad;
	return p.t;
bad:
	free(p.t);
	return NULL;
}

/* All of F (PATH), at most 16 MiB, in a malloc'd buffer; NULL with ERR. */
static char *read_all(FILE *f, const char *path, size_t *lenp, char *err, size_t errlen)
{
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);

	while (buf) {
		size_t got = fread(buf + len, 1, cap - len, f);

		len += got;
		if (len < cap)
			break;
		if (cap >= 16 << 20) {
			snprintf(err, errlen, "%s: larger than 16 MiB, not a topology file", path);
			free(buf);
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
		free(buf);
		return NULL;
	}
	*lenp = len;
	return buf;
}

struct topo *topo_parse_file(const char *path, const char *prefix,
			     char *err, size_t errlen)
{
	struct topo *t = NULL;
	struct stat st;
	size_t len = 0;
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
	buf = read_all(f, path, &len, err, errlen);
	if (buf)
		t = topo_parse_text(path, buf, len, prefix, err, errlen);
	free(buf);
	fclose(f);
	return t;
}

void topo_free(struct topo *t)
{
	free(t);
}
