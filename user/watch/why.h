/* Why a packet was dropped, in words nstrace can back: the nftables rule
 * behind a NETFILTER_DROP (from nftables' own tracing, nftrace.h), and
 * the MTU behind an oversize frame a veth refused.
 *
 * When: only with --why (it adds a table to the namespaces' rulesets, and
 * every packet there then passes its chains): from the start in every
 * watched namespace that has an nftables ruleset, and in any other
 * watched namespace from its first NETFILTER_DROP on (a NOTE says so each
 * time). Without it a NETFILTER_DROP story says that --why names it. */
#ifndef NST_WHY_H
#define NST_WHY_H

#include <stdint.h>
#include "lease.h"
#include "model.h"
#include "nftrace.h"
#include "print.h"

enum why_mode { WHY_OFF = 0, WHY_ON };

struct report;

/* A rule (or a chain's policy, HANDLE 0) that dropped traced packets. */
struct why_rule {
	uint64_t netns;
	int family;                /* the table's NFPROTO_* */
	char table[64], chain[64];
	uint64_t handle;
	char text[256];            /* as nft prints it ("" when it could not be listed) */
	struct nftrace_topo topo;  /* a topology's rule: its line (0: none) and file */
	int iptables;              /* made by iptables-nft */
	int resolved;
	uint64_t traced;           /* drops traced to it */
};

struct why_ns {
	uint64_t netns;
	void *nl;                  /* the NFNLGRP_NFTRACE socket, NULL: none */
	int table;                 /* our marking table is there */
	int failed;                /* tried, could not: do not try again */
	int pending;               /* a NETFILTER_DROP was told: turn it on */
};

#define WHY_SEEN 512

/* A trace message read: the packet (by trace id) and its drop, if any. */
struct why_seen {
	double t;                  /* watch_now() when read */
	uint64_t netns;
	uint32_t id;
	int has_flow;
	struct nst_flow flow;
	int rule;                  /* index in rules when it says "dropped here", else -1 */
};

#define WHY_ROW_RULES 4

struct why_row {
	struct nst_drop_key k;
	int rule;                  /* the latest story's, or -1 */
	int rules[WHY_ROW_RULES];  /* every rule its stories named, first seen first */
	int nrules;
};

struct why {
	int mode;                  /* enum why_mode */
	int efd;
	char table[32];            /* nstrace_trace_PID */
	struct why_ns *ns;
	int nns;
	struct why_rule *rules;
	int nrules;
	struct why_seen seen[WHY_SEEN];
	unsigned int nseen;
	struct why_row *rows;      /* drop rows -> the rule their latest story named */
	int nrows;
	struct lease lease;
	uint64_t lost;             /* reads that found messages lost (ENOBUFS) */
};

void why_init(struct why *y, int mode, int efd);
/* --why: mark in every planned namespace with a ruleset. */
void why_start(struct why *y, struct report *r, const struct watch_view *v);
/* Socket IDX (an epoll tag's index) is readable. */
void why_read(struct why *y, int idx);
/* Every socket, before the ring buffer is drained: a trace is sent
 * before its packet is freed, so its drop story finds it. */
void why_read_all(struct why *y);
/* A drop story: the rule that dropped it (an index), or -1. A
 * NETFILTER_DROP in a planned namespace turns tracing on there (--why). */
int why_drop(struct why *y, struct report *r, const struct watch_view *v,
	     const struct nst_event *e);
/* Turn tracing on where a NETFILTER_DROP asked for it (after its story). */
void why_enable_pending(struct why *y, struct report *r, const struct watch_view *v);
/* NETNS is gone but for our socket: let go of it (never again). */
void why_forget(struct why *y, uint64_t netns);
/* Remove our tables, close the sockets, drop the lease. */
void why_stop(struct why *y);

const struct why_rule *why_rule_at(const struct why *y, int idx);
/* The rule the latest story of drop row K named, or NULL. */
const struct why_rule *why_row_rule(const struct why *y, const struct nst_drop_key *k);
/* The I-th rule the stories of drop row K named (several rules may drop
 * on one port), or NULL after the last. */
const struct why_rule *why_row_rule_at(const struct why *y, const struct nst_drop_key *k, int i);
/* "nft rule inet nstrace forward handle 7: tcp dport 5432 counter drop
 * comment "line 27" (topology line 27)". */
void why_rule_words(const struct why_rule *rule, char *buf, size_t len);
/* JSON: "rule": {family, table, chain, handle, text, topo_line, iptables}. */
void why_print_rule(struct printer *p, const struct why_rule *rule);

/* A NETFILTER_DROP (by its reason and location) that --why would name. */
int why_nft_drop(uint32_t reason, uint64_t location);

/* The summary's "nft_rules": every rule traced dropping packets, with
 * how many. */
void why_json_rules(struct printer *p, const struct watch_view *v);

/* An oversize frame in words, "1500 bytes > blue:veth-blue's MTU 1400",
 * for a drop where a veth hands a frame to its peer; 0 when E is not
 * one (BUF untouched). */
int why_mtu_words(const struct watch_view *v, const struct nst_event *e, char *buf, size_t len);

#endif
