/* Firewall and NAT statements of a topology, as nftables commands run
 * inside the namespace (libnftables; nothing is executed). */
#ifndef NST_FIREWALL_H
#define NST_FIREWALL_H

#include <stddef.h>
#include "topo.h"

#define FIREWALL_TABLE "inet nstrace"
/* The table's comment: this, then the topology file's absolute path. */
#define FIREWALL_FILE_COMMENT "topology "
/* Loaded with dlopen, only for topologies that need it. */
#define FIREWALL_LIB "libnftables.so.1"
#define FIREWALL_PKG "libnftables1"

/* Load libnftables once: 0, or -ENOENT when it (or one of its functions)
 * is missing. firewall_missing() then says why in one phrase, naming the
 * library; NULL when it is there. */
int firewall_load(void);
const char *firewall_missing(void);
/* One line for nstrace features: loaded, or what to install. */
const char *firewall_status(void);

/* Address families rule R can match: bit 0 IPv4, bit 1 IPv6. 0 means
 * its from and to share none (an error to report at R's line). */
int firewall_families(const struct topo *t, const struct topo_rule *r);

/* The commands for namespace NS into BUF, one a line, each rule's line
 * recorded in LINES[k] for the k-th command (may be NULL). Returns the
 * number of commands (0: NS has no statements) or -ENOSPC. */
int firewall_script(const struct topo *t, const char *ns, char *buf, size_t len,
		    int *lines, int maxlines);

/* Run SCRIPT as one transaction inside the namespace NSFD: all or
 * nothing. On failure, -EINVAL, nft's error line in ERR and the number
 * (1-based) of the command that fails in *CMD, 0 when unknown. */
int firewall_apply(int nsfd, const char *script, int *cmd, char *err, size_t errlen);

/* Run the listing command CMD ("list chain inet filter input") inside the
 * namespace NSFD; nft's text (with "# handle N" comments when HANDLES)
 * into OUT, its warnings and errors into ERR (may be NULL: "table ip
 * filter is managed by iptables-nft"). 0, -ENOENT when nft refused it,
 * -EOPNOTSUPP without libnftables. */
int firewall_list(int nsfd, const char *cmd, int handles, char *out, size_t len,
		  char *err, size_t errlen);

#endif
