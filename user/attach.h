/* Putting tc programs on ports, in each port's own namespace: a tcx link
 * (6.6+) for the first hooks of a watch, where other tcx programs run on
 * the device, or always with --tcx; else a clsact filter (leased, so a
 * killed nstrace's filters are undone later). tcx links are not pinned,
 * so the kernel removes them when nstrace exits, however it exits. */
#ifndef NST_ATTACH_H
#define NST_ATTACH_H

#include <stdint.h>
#include "lease.h"

struct attachment {
	uint64_t netns;
	int ifindex;
	int dir;              /* enum nst_dir */
	int link_fd;          /* tcx link, or -1 */
	int legacy;           /* clsact filter */
	int hook_created;     /* we created the clsact qdisc */
	unsigned int prio, handle, prog_id;
};

/* A clsact filter's lease line (printf and scanf alike): namespace
 * inode, ifindex, direction, priority, handle, program id, and whether
 * nstrace created the clsact qdisc. */
#define ATTACH_LEASE_LINE "clsact %llu %d %d %u %u %u %d"

enum attach_mode {
	ATTACH_AUTO = 0,      /* tcx for the first hooks, then clsact; tcx where
			       * other tcx programs run (attach.c) */
	ATTACH_CLSACT,        /* --clsact */
	ATTACH_TCX,           /* --tcx: tcx links wherever the kernel has them */
};

struct attach_set {
	struct attachment *v;
	int n;
	int used_legacy;      /* some ports have clsact filters */
	int used_tcx;         /* some have tcx links */
	int tcx_first;        /* hooks given tcx links for being first */
	int tcx_slow;         /* one such link took long: clsact from then on */
	int links_go;         /* attach_hand_off_links' child waits for this */
	int links_go_open;    /* fd to close (attach_release) */
	enum attach_mode mode;
	struct lease lease;   /* the clsact filters, should we die */
	/* The devices of one namespace that have a clsact (or ingress)
	 * qdisc, from one dump: only those can hold tc filters that run
	 * before ours (at 2,000 ports, one dump a namespace instead of one
	 * a port and direction). Valid for one attach pass. */
	struct attach_qdiscs *qd;
	int nqd;
};

struct attach_qdiscs {
	uint64_t netns;
	int valid;            /* the dump worked */
	int *dev;             /* ifindexes with a clsact or ingress qdisc */
	int n;
};

/* Forget what the last attach pass learned of the namespaces' qdiscs. */
void attach_pass_begin(struct attach_set *s);
/* Forget the attachments of devices that are gone (EXISTS says no): their
 * filters and links went with them. The kernel gives a new namespace the
 * inode of one gone before, and its first veth the same ifindex: that
 * port is attached afresh, not taken for attached already. */
void attach_forget_gone(struct attach_set *s, int (*exists)(uint64_t netns, int ifindex, void *ctx),
			void *ctx);

/* Attach PROG_FD in direction DIR to IFINDEX inside NETNS_FD. 0 or -errno. */
int attach_port(struct attach_set *s, int netns_fd, uint64_t netns, int ifindex,
		int dir, int prog_fd);
/* Remove one clsact filter inside NETNS_FD, only if it still runs the
 * program it ran (ifindexes repeat across namespaces; filters can be
 * replaced). 1 if removed (DRY: if it would be), 0 if not there or not
 * ours (left alone), -errno. */
int attach_detach_legacy(int netns_fd, const struct attachment *a, int dry);
/* "clsact", "tcx" or "tcx+clsact": what the ports got. */
const char *attach_kind(const struct attach_set *s);
/* Let go of the tcx links now: a child process releases them (each
 * waits for an RCU grace period) while we go on to exit; it starts once
 * attach_release has taken our clsact filters off (each of those waits
 * for RTNL, which a link's release holds through its grace period), or
 * when we die. */
void attach_hand_off_links(struct attach_set *s);
/* The clsact filters among V[0..N), a namespace at a time (detach.c):
 * only filters still ours; a qdisc we created goes with them when
 * nothing else is on it. OPEN_NS(netns, CTX) gives a namespace's fd. */
void detach_clsact_all(struct attachment *v, int n, int (*open_ns)(uint64_t netns, void *ctx),
		       void *ctx);
/* Detach everything; clsact filters only after checking they are ours. */
void attach_release(struct attach_set *s, int (*open_ns)(uint64_t netns, void *ctx),
		    void *ctx);

#endif
