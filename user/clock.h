/* The monotonic clock, in seconds: for deadlines and durations. */
#ifndef NST_CLOCK_H
#define NST_CLOCK_H

#include <time.h>

static inline double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
