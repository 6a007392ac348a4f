/* nstrace doctor, internal to doctor.c (the command), doctor_checks.c (the
 * checks) and doctor_model.c (what they read). */
#ifndef NST_DOCTOR_H
#define NST_DOCTOR_H

#include <stddef.h>
#include <stdint.h>
#include "discover.h"

/* The live topology flattened once: every link of every namespace is a
 * port, every address on a port an endpoint, in discovery order. The
 * checks walk these lists instead of nesting loops over namespaces, links
 * and addresses. */
struct doc_port {
	const struct live_ns *ns;
	const struct live_link *link;
	int nsi;                  /* index of ns in the live topology */
	int asked;                /* its namespace is one the user asked about */
	int peer;                 /* the port at the veth's other end, or -1 */
	int domain;               /* L2 domain: joined by veth pairs and bridges */
	int ep, nep;              /* its endpoints: eps[ep .. ep + nep) */
};

struct doc_endpoint {
	int port;                 /* index in ports */
	const struct ipaddr *addr;
};

struct plan;

struct doctor {
	struct live_topo lt;
	struct netns_list nl;
	uint64_t *only;           /* namespaces asked about; NULL: all */
	int nonly;
	/* Their paths, as watch would follow them (veth peers, bridges and
	 * the namespaces on them): checked too. NULL with --topo or no NS. */
	const struct plan *near;
	int json, nproblems;
	struct doc_port *ports;
	int nports;
	struct doc_endpoint *eps;
	int neps;
};

/* ---- doctor_model.c ---- */
int doctor_asked(const struct doctor *d, uint64_t ino);
/* Ports, endpoints and L2 domains from D->lt. 0 or -ENOMEM. */
int doctor_flatten(struct doctor *d);

/* How to run CMD ("link set eth0 mtu 1500") in NS, as printed: "ip -n red
 * ...", "ip ..." in root, "nsenter -t PID -n ip ..." for a namespace only a
 * process holds (a container). */
const char *doctor_ip(const struct live_ns *ns, char *buf, size_t len);

/* ---- doctor_checks.c ---- */
/* Every check, each problem printed as text or JSON and counted. */
void doctor_check_all(struct doctor *d);

#endif
