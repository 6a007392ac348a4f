/* Findings: the sentences an engineer would write after reading the
 * counters, built from exact counts plus the discovered topology. */
#ifndef NST_FINDINGS_H
#define NST_FINDINGS_H

#include <stdint.h>
#include "model.h"

struct finding {
	char kind[24];             /* mtu_mismatch, frag_needed, pmtu_blackhole, ... */
	char text[480];
	uint64_t netns;            /* where to look first */
	uint64_t count;
};

/* The findings, in *OUT (free it); their number. */
int findings_build(const struct watch_view *v, struct finding **out);

#endif
