/* nftables' own tracing (what `nft monitor trace` reads), without kprobes:
 * packets carrying the nftrace mark make every nftables chain they pass
 * send an NFT_MSG_TRACE message (table, chain, rule handle, verdict, the
 * packet's headers) to the NFNLGRP_NFTRACE group of their namespace.
 *
 * nstrace marks the packets it watches with a table of its own,
 * `table inet nstrace_trace_PID`, whose base chains run before every
 * other (priority -500 on prerouting and output) and only set the mark,
 * at most NFTRACE_RATE packets a second per (source, destination,
 * protocol); its rules end in accept, which ends only that chain: the
 * packet's fate is the other tables'. The table is leased (lease.h, kind
 * "nftrace") before it is added, so a killed watch's is removed later. */
#ifndef NST_NFTRACE_H
#define NST_NFTRACE_H

#include <stddef.h>
#include <stdint.h>
#include "addr.h"
#include "filter.h"
#include "nstrace_types.h"

#define NFTRACE_TABLE_PREFIX "nstrace_trace_"
#define NFTRACE_RATE 20
/* Lease line (printf and scanf alike): namespace inode, table name. */
#define NFTRACE_LEASE_LINE "nftable %llu %63s"

/* Which packets get the mark: FILTER's, and with ADDRS (NADDRS > 0) only
 * those from or to one of them (a namespace watched for the targets'
 * traffic only). */
struct nftrace_sel {
	const struct filter *filter;
	const struct ipaddr *addrs;
	int naddrs;
};

/* The commands that add TABLE, one a line, into BUF: the number of
 * marking rules (0: the selection matches nothing), or -ENOSPC. */
int nftrace_script(const char *table, const struct nftrace_sel *sel, char *buf, size_t len);
/* Add (script from nftrace_script) or remove TABLE inside NSFD. 0, or
 * -errno with nft's sentence in ERR. Removing a table not there is 0. */
int nftrace_add(int nsfd, const char *script, char *err, size_t errlen);
int nftrace_remove(int nsfd, const char *table);

/* One trace message. */
struct nftrace_msg {
	int family;                /* the table's: NFPROTO_* */
	char table[64], chain[64];
	uint64_t handle;           /* 0: none (policy) */
	uint32_t type;             /* NFT_TRACETYPE_* */
	int has_verdict;
	int32_t verdict;           /* NF_DROP, NF_ACCEPT, NFT_JUMP, ... */
	int has_policy;
	uint32_t policy;
	uint32_t id;               /* the same for every message of one packet */
	int has_flow;
	struct nst_flow flow;      /* from the network and transport headers */
};

/* 1 when M says the packet was dropped there (a rule or a policy). */
int nftrace_is_drop(const struct nftrace_msg *m);
/* "inet", "ip", "ip6", "bridge", "arp", "netdev". */
const char *nftrace_family(int nfproto);

/* A socket subscribed to NFNLGRP_NFTRACE inside NSFD: its fd (for
 * epoll) with the socket in *NL, or -errno. */
int nftrace_open(int nsfd, void **nl);
void nftrace_close(void *nl);
/* Read what is pending; CB sees each trace message. 0, or -errno
 * (-ENOBUFS: messages were lost, the socket goes on). */
int nftrace_read(void *nl, void (*cb)(void *ctx, const struct nftrace_msg *m), void *ctx);
/* Parse one netlink message (exposed for the unit tests and the fuzzer):
 * 1 and *M when it is a trace message, else 0. */
int nftrace_parse(const void *nlh, size_t len, struct nftrace_msg *m);

/* A rule as nft prints it: the line of `list chain` with "# handle
 * HANDLE", counters shown as a bare "counter"; a policy (HANDLE 0) as
 * "policy drop". For rules nstrace topo made (table inet nstrace), the
 * N of their `comment "line N"` into TOPO->line and the file their table's
 * comment names into TOPO->file ("" when it names none); IPTABLES 1 for
 * a rule iptables-nft made. 0 or -errno. */
struct nftrace_topo {
	int line;                  /* 0: not a topology's rule */
	char file[256];
};
int nftrace_rule(int nsfd, int family, const char *table, const char *chain, uint64_t handle,
		 char *text, size_t len, struct nftrace_topo *topo, int *iptables);

#endif
