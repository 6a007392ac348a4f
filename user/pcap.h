/* watch --pcap FILE: the first bytes of the packets stories are about, as
 * pcapng for Wireshark and tshark: one interface block per port, and a
 * comment on each packet saying where and why it died. */
#ifndef NST_PCAP_H
#define NST_PCAP_H

#include <stdint.h>
#include <stdio.h>

struct nst_event;

struct pcap_if {
	uint64_t netns;
	uint32_t ifindex;
};

struct pcap {
	FILE *f;
	struct pcap_if *ifs;        /* interface ids, in the order written */
	int nifs;
	uint64_t packets;
	double mono_to_real;        /* event ts (CLOCK_MONOTONIC) to wall clock */
};

/* Create PATH (truncated) and write the section header. 0 or -errno. */
int pcap_open(struct pcap *p, const char *path, double mono_to_real);
/* The interface block for (NETNS, IFINDEX) is written the first time it
 * is used, named NAME ("red:veth-red"). COMMENT goes on the packet.
 * 0, 1 when E carries no packet bytes, or -errno. */
int pcap_write(struct pcap *p, const struct nst_event *e, const char *name,
	       const char *comment);
/* 0, or -errno if anything written was lost. */
int pcap_close(struct pcap *p);

#endif
