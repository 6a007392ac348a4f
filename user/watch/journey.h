/* watch --journey (nstrace trace): each wanted packet's path across
 * namespaces and ports, port by port, ending in its delivery or its drop,
 * checked against where its destination address lives. */
#ifndef NST_JOURNEY_H
#define NST_JOURNEY_H

#include <stdint.h>
#include "model.h"
#include "nstrace_types.h"

#define JOURNEY_HOPS 32
#define JOURNEY_OPEN 4096

struct report;

struct jhop {
	uint64_t ts;
	uint32_t netns, ifindex, dir;
};

struct journey {
	struct nst_pid pid;
	struct nst_flow flow;
	struct jhop hop[JOURNEY_HOPS];
	int nhops;
	int more;                      /* hops beyond JOURNEY_HOPS */
	int dropped;
	struct nst_event drop;         /* when dropped */
	int rule;                      /* the nftables rule that dropped it (why.h), or -1 */
	uint64_t last_ts;              /* kernel clock of the last sighting */
};

struct journeys {
	struct journey *v;
	int n;
	uint64_t told;
};

/* Events of --journey: a hop, or a drop (1 if it belonged to a journey).
 * A journey is told on R once it is over. */
void journey_hop(struct journeys *js, struct report *r, const struct watch_view *v,
		 const struct nst_event *e);
int journey_drop(struct journeys *js, const struct nst_event *e, int rule);
/* Tell the journeys quiet for IDLE_NS (all of them when IDLE_NS is 0). */
void journey_flush(struct journeys *js, struct report *r, const struct watch_view *v,
		   uint64_t now_ns, uint64_t idle_ns);
void journeys_free(struct journeys *j);

/* What went off the expected path, in words ("" when nothing). Exposed
 * for the unit tests: BYSTANDERS gets namespace inodes, at most MAX. */
int journey_bystanders(const struct journey *j, uint64_t dst_owner, uint32_t *out, int max);

#endif
