/* Putting tc programs on ports, in each port's own namespace: a tcx link
 * where the kernel has tcx (6.6+), else a clsact filter. tcx links are not
 * pinned, so the kernel removes them when nstrace exits, however it exits. */
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

struct attach_set {
	struct attachment *v;
	int n;
	int used_legacy;
	int force_legacy;     /* --clsact: as on kernels without tcx */
	struct lease lease;   /* the clsact filters, should we die */
};

/* Attach PROG_FD in direction DIR to IFINDEX inside NETNS_FD. 0 or -errno. */
int attach_port(struct attach_set *s, int netns_fd, uint64_t netns, int ifindex,
		int dir, int prog_fd);
/* Remove one clsact filter inside NETNS_FD, only if it still runs the
 * program it ran (ifindexes repeat across namespaces; filters can be
 * replaced). 1 if removed (DRY: if it would be), 0 if not there or not
 * ours (left alone), -errno. */
int attach_detach_legacy(int netns_fd, const struct attachment *a, int dry);
/* Detach everything; clsact filters only after checking they are ours. */
void attach_release(struct attach_set *s, int (*open_ns)(uint64_t netns, void *ctx),
		    void *ctx);

#endif
