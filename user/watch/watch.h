/* nstrace watch: everything one watch owns. Only watch.c and follow.c
 * see this; the outputs see a const struct watch_view. */
#ifndef NST_WATCH_H
#define NST_WATCH_H

#include "journey.h"
#include "metrics.h"
#include "model.h"
#include "pcap.h"
#include "report.h"
#include "session.h"
#include "stats.h"
#include "why.h"

struct watch {
	struct watch_opts o;
	struct session s;
	struct stats st;
	struct report rep;
	struct journeys journeys;
	struct metrics metrics;
	struct pcap pcap;
	struct why why;
	struct watch_view view;
	int ready_written;         /* the ready file is ours to remove */
	int replan;                /* links changed: discover and re-plan */
	struct link_pending {      /* link news held back a moment (follow.c) */
		uint64_t netns;
		int ifindex, new_ifindex;
		int told;              /* the link was told of before: renamed or moved */
		int moved, gone;
		char name[16];         /* its name when last told of */
		double since;
	} *pending;
	int npending;
	struct link_told {         /* the links the user knows of (follow.c) */
		uint64_t netns;
		int ifindex;
		char name[16];         /* by the name last told */
	} *told;
	int ntold, told_init;
};

/* One event from the ring buffer: counted, told, written, journeyed. */
int watch_handle_event(void *ctx, void *data, size_t size);

#endif
