/* The attach plan: which ports (veth and bridge interfaces) to put tc
 * programs on and which namespaces to filter drops on, for a set of
 * target namespaces. Built from a live topology, so it can be tested on a
 * hand-made one without root. */
#ifndef NST_PLAN_H
#define NST_PLAN_H

#include <stdint.h>
#include "addr.h"
#include "discover.h"

enum plan_scope {
	PLAN_COMPONENT = 0,   /* targets, and their traffic wherever it goes */
	PLAN_ONLY = 1,        /* the targets alone */
	PLAN_ALL = 2,         /* every namespace, all traffic */
};

struct plan_port {
	uint64_t netns;
	int ifindex;
	char name[16];
	char kind[16];
	unsigned int mtu;
};

struct plan_ns {
	uint64_t inode;
	int mode;            /* enum nst_ns_mode: NST_NS_ALL or NST_NS_ADDRS */
};

struct plan {
	struct plan_port *ports;
	int nports;
	struct plan_ns *ns;
	int nns;
	struct ipaddr *addrs;  /* the targets' addresses (for NST_NS_ADDRS) */
	int naddrs;
};

int plan_build(struct plan *p, const struct live_topo *lt, const uint64_t *targets,
	       int ntargets, enum plan_scope scope);
void plan_free(struct plan *p);
int plan_has_ns(const struct plan *p, uint64_t inode);
/* The namespace holding address ADDR (AF is AF_INET or AF_INET6), not
 * counting loopback; a planned one first where several hold it (two
 * container networks on one host, two test runs). 0 when none does. */
uint64_t plan_addr_owner(const struct plan *p, const struct live_topo *lt, int af,
			 const uint8_t *addr);

#endif
