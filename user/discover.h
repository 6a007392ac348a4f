/* Discovery: the live topology of every network namespace, from netlink
 * dumps. The model here is also what the renderer and the differ read, so
 * tests can build one by hand without root. */
#ifndef NST_DISCOVER_H
#define NST_DISCOVER_H

#include <stdint.h>
#include "addr.h"
#include "netns.h"

#define LIVE_IFNAMSIZ 16
#define LIVE_MAX_ADDRS 16

struct live_link {
	int ifindex;
	char name[LIVE_IFNAMSIZ];
	char kind[16];            /* "veth", "bridge", "loopback", "device", ... */
	unsigned int mtu;
	unsigned int flags;       /* IFF_* */
	int operstate;            /* IF_OPER_* */
	int master;               /* ifindex of the bridge, 0 if none */
	char mac[18];
	/* veth peer, resolved across namespaces (0 when unknown) */
	int link_ifindex;
	int link_nsid;            /* -1: same namespace */
	uint64_t peer_netns;
	int peer_ifindex;
	int naddrs;
	struct ipaddr addrs[LIVE_MAX_ADDRS];
	int gone;                 /* deleted since discovery (watch keeps its name) */
};

struct live_route {
	struct ipaddr dst;        /* plen 0: default */
	int has_gw;
	struct ipaddr gw;
	int oif;
	int protocol;             /* RTPROT_* */
	unsigned int mtu;         /* the route's mtu metric, 0 if none */
};

struct live_ns {
	uint64_t inode;
	int is_root;
	int pid;
	char name[NETNS_NAME_MAX];
	char label[NETNS_LABEL_MAX];
	struct container ct;      /* the container holding it, ct.runtime "" if none */
	int nlinks, nroutes;
	struct live_link *links;
	struct live_route *routes;
};

struct live_topo {
	int nns;
	struct live_ns *ns;
};

/* Discover every namespace in NL (all of the host's when NL is NULL). */
int discover(struct live_topo *lt, const struct netns_list *nl);
/* The same without the routes (half the dumps a namespace): for watch,
 * whose plan follows links, not routes. */
int discover_no_routes(struct live_topo *lt, const struct netns_list *nl);
void live_free(struct live_topo *lt);
/* Add what the rtnetlink messages in BUF (links, addresses, routes, as a
 * dump returns them) say to NS. For the fuzzer; discover() uses the same
 * callbacks. 0 or -errno. */
int discover_parse(struct live_ns *ns, const void *buf, size_t len);

const struct live_ns *live_ns_by_inode(const struct live_topo *lt, uint64_t ino);
const struct live_ns *live_ns_by_name(const struct live_topo *lt, const char *name);
const struct live_link *live_link_by_index(const struct live_ns *ns, int ifindex);
const struct live_link *live_link_by_name(const struct live_ns *ns, const char *name);
const char *live_operstate(int operstate);
/* Keep a model current between discoveries (watch follows link changes). */
struct live_link *live_ns_add_link(struct live_ns *ns);

#endif
