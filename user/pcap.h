/* watch --pcap FILE: the first bytes of the packets stories are about, as
 * pcapng for Wireshark and tshark: one interface block per port, and a
 * comment on each packet saying where and why it died. */
#ifndef NST_PCAP_H
#define NST_PCAP_H

#include <stdint.h>
#include <stdio.h>

#include "nstrace_types.h"

struct pcap_if {
	uint64_t netns;
	uint32_t ifindex;
};

/* A packet not written yet: another story about it may follow (a
 * refused SYN is answered with a reset, then freed), and the file gets it
 * once, with every story in its comment. */
#define PCAP_PENDING 64
#define PCAP_JOIN_NS 50000000ULL   /* stories this close in time may join */

struct pcap_pending {
	struct nst_event e;
	char name[96];
	char comment[1024];
};

struct pcap {
	FILE *f;
	struct pcap_pending *pending;   /* PCAP_PENDING, oldest first */
	int npending;
	struct pcap_if *ifs;        /* interface ids, in the order written */
	int nifs;
	uint64_t packets;
	double mono_to_real;        /* event ts (CLOCK_MONOTONIC) to wall clock */
};

/* Create PATH (truncated) and write the section header. 0 or -errno. */
int pcap_open(struct pcap *p, const char *path, double mono_to_real);
/* The interface block for (NETNS, IFINDEX) is written the first time it
 * is used, named NAME ("red:veth-red"). COMMENT goes on the packet; a
 * packet already waiting (the same bytes, in the same namespace, within
 * PCAP_JOIN_NS) gets COMMENT added to its own instead of a second block.
 * 0, 1 when E carries no packet bytes, or -errno. */
int pcap_write(struct pcap *p, const struct nst_event *e, const char *name,
	       const char *comment);
/* Write the waiting packets whose story came before BEFORE (ns, the
 * events' clock). 0 or -errno. */
int pcap_flush(struct pcap *p, uint64_t before);
/* Write what waits; 0, or -errno if anything written was lost. */
int pcap_close(struct pcap *p);

#endif
