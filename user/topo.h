/* The topology model: what a .topo file declares, after parsing and
 * validation. Names are final (any --prefix already applied). */
#ifndef NST_TOPO_H
#define NST_TOPO_H

#include <stddef.h>
#include "addr.h"
#include "netns.h"

#define TOPO_IFNAMSIZ 16
#define TOPO_MAX_NS 4096
#define TOPO_MAX_LINKS 12288
#define TOPO_MAX_ROUTES 8192
#define TOPO_MAX_SYSCTLS 4096
#define TOPO_MAX_ADDRS 8
#define TOPO_LINE_MAX 4096
#define TOPO_MAX_RULES 256
#define TOPO_NFT_MAX 1024

enum topo_link_kind { TL_VETH, TL_BRIDGE };

struct topo_ns {
	char name[NETNS_NAME_MAX];
	int line;
};

struct topo_link {
	char ns[NETNS_NAME_MAX];        /* "" is the root namespace */
	char name[TOPO_IFNAMSIZ];
	enum topo_link_kind kind;
	int line;
	int peer;                       /* index of the other veth end, or -1 */
	int primary;                    /* the end a veth is created from */
	char master[TOPO_IFNAMSIZ];     /* bridge in the same namespace */
	int master_line;
	unsigned int mtu;               /* 0: kernel default */
	int mtu_line;
	int down;                       /* declared 'down' */
	int naddrs;
	struct ipaddr addrs[TOPO_MAX_ADDRS];
	int addr_line[TOPO_MAX_ADDRS];
};

struct topo_route {
	char ns[NETNS_NAME_MAX];
	struct ipaddr dst;              /* plen 0: default */
	int has_gw;
	struct ipaddr gw;
	char dev[TOPO_IFNAMSIZ];        /* "" when not given */
	int line;
};

struct topo_sysctl {
	char ns[NETNS_NAME_MAX];
	char key[128];
	char value[64];
	int line;
};

/* Firewall and NAT, applied with nftables inside a namespace (never the
 * host's): one table, inet nstrace, that goes with the namespace. */
enum topo_rule_kind {
	TR_FILTER,                      /* firewall NS CHAIN ACTION ... */
	TR_MASQUERADE,                  /* nat NS masquerade out IF */
	TR_RAW,                         /* nft NS 'COMMAND' */
};

/* Where a firewall rule's packets come from or go to: a declared
 * namespace (its addresses) or a prefix. */
struct topo_peer {
	int ns;                         /* index in ns[], or -1 */
	int has_net;
	struct ipaddr net;
};

struct topo_rule {
	char ns[NETNS_NAME_MAX];
	enum topo_rule_kind kind;
	int line;
	char chain[8];                  /* input, forward, output */
	char action[8];                 /* accept, drop, reject */
	char proto[8];                  /* "", tcp, udp, icmp, icmp6 */
	unsigned int port;              /* destination port, 0: any */
	struct topo_peer from, to;
	char oif[TOPO_IFNAMSIZ];        /* masquerade: the way out */
	char text[TOPO_NFT_MAX];        /* raw nft command */
};

struct topo {
	char file[256];
	int nns, nlinks, nroutes, nsysctls, nrules;
	struct topo_ns ns[TOPO_MAX_NS];
	struct topo_link links[TOPO_MAX_LINKS];
	struct topo_route routes[TOPO_MAX_ROUTES];
	struct topo_sysctl sysctls[TOPO_MAX_SYSCTLS];
	struct topo_rule rules[TOPO_MAX_RULES];
};

/* Parse FILE (or TEXT of LEN bytes, named NAME) into a new model; PREFIX
 * (may be NULL) is prepended to namespace names and to root-namespace
 * interface names. NULL on error, with "file:line: what" in ERR. */
struct topo *topo_parse_file(const char *path, const char *prefix,
			     char *err, size_t errlen);
struct topo *topo_parse_text(const char *name, const char *text, size_t len,
			     const char *prefix, char *err, size_t errlen);
void topo_free(struct topo *t);

int topo_find_link(const struct topo *t, const char *ns, const char *name);
int topo_find_ns(const struct topo *t, const char *name);
/* "red:veth-red", or "br0" for the root namespace. */
const char *topo_link_str(const struct topo_link *l, char *buf, size_t len);

/* Build (all or nothing) and tear down; return an exit code. */
int topo_up(const struct topo *t, char *err, size_t errlen);
int topo_down(const struct topo *t, char *err, size_t errlen);

#endif
