/* What every statement parser shares: the parser's state, the error
 * sentence ("file:line: what"), and turning the names a statement writes
 * ("[NS:]IF", "NS") into the model's final, prefixed names.
 * Internal to the topology parser (topo_parse.c and topo_st_*.c). */
#ifndef NST_TOPO_PARSER_H
#define NST_TOPO_PARSER_H

#include <stddef.h>
#include "topo.h"

struct topo_parser {
	struct topo *t;
	const char *prefix;
	int line;
	char *err;
	size_t errlen;
};

/* Writes the error into P->err; always returns -1. */
int topo_fail(struct topo_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Fewer than MIN or more than MAX words: an error quoting USAGE. */
int topo_want_args(struct topo_parser *p, int ntok, int min, int max,
		   const char *usage);
/* 0 if S may be an interface name; else -1 and a reason in WHY. */
int topo_ifname_valid(const char *s, char *why, size_t whylen);
/* The namespace's final name (prefixed) in OUT, checked to be declared;
 * "" or "root" is the root namespace. */
int topo_ns_ref(struct topo_parser *p, const char *raw, char *out);
/* Split "[NS:]IF" into final names; the prefix applies to root interfaces. */
int topo_if_ref(struct topo_parser *p, const char *tok, char *ns, char *ifname);
/* The index of a declared interface, or -1 with an error naming it. */
int topo_declared_link(struct topo_parser *p, const char *tok);

/* One per statement word: TOK[0] is the word, N the number of words.
 * 0 or -1 (with the error set). */
int topo_st_ns(struct topo_parser *p, char **tok, int n);          /* topo_st_link.c */
int topo_st_bridge(struct topo_parser *p, char **tok, int n);
int topo_st_veth(struct topo_parser *p, char **tok, int n);
int topo_st_master(struct topo_parser *p, char **tok, int n);
int topo_st_addr(struct topo_parser *p, char **tok, int n);
int topo_st_mtu(struct topo_parser *p, char **tok, int n);
int topo_st_down(struct topo_parser *p, char **tok, int n);
int topo_st_route(struct topo_parser *p, char **tok, int n);       /* topo_st_route.c */
int topo_st_sysctl(struct topo_parser *p, char **tok, int n);
int topo_st_firewall(struct topo_parser *p, char **tok, int n);    /* topo_st_rule.c */
int topo_st_nat(struct topo_parser *p, char **tok, int n);
/* nft NS 'COMMAND': LINE is the whole line, not split into words. */
int topo_st_nft(struct topo_parser *p, char *line);

#endif
