/* The BPF maps sized from the plan (ports, namespaces, addresses) before
 * the programs load. */
#ifndef NST_MAPSIZE_H
#define NST_MAPSIZE_H

#include <stddef.h>
#include "discover.h"
#include "plan.h"

#define MAPSIZE_MAX 16

struct watch_bpf;

struct map_size {
	const char *name;
	unsigned int entries;
};

/* Between open and load: every map at least what P and LT need, with
 * headroom. 0 or -errno. */
int mapsize_apply(struct watch_bpf *skel, const struct plan *p, const struct live_topo *lt);
/* After a re-plan: how many maps (named in BUF) the plan has outgrown.
 * Loaded maps cannot grow; counts may be lost in them from now on. */
int mapsize_outgrown(struct watch_bpf *skel, const struct plan *p, const struct live_topo *lt,
		     char *buf, size_t len);

/* After a re-plan: forget what namespaces that are gone left in the
 * filter and latency maps, so they stay as large as the host. */
void mapsize_prune(struct watch_bpf *skel, const struct plan *p, const struct live_topo *lt);

#endif
