/* What woke the event loop: each epoll registration carries a tag (what
 * it is) and an index (which one: a target, a monitor socket, a client). */
#ifndef NST_TAGS_H
#define NST_TAGS_H

#include <stdint.h>

enum loop_tag {
	TAG_SIGNAL = 1,
	TAG_TIMER,
	TAG_MONITOR,          /* index: the monitor socket */
	TAG_PIDFD,            /* index: the target whose process it is */
	TAG_METRICS,          /* the listening socket */
	TAG_METRICS_CLIENT,   /* index: the client's slot */
	TAG_NFTRACE,          /* index: the namespace's slot in struct why */
	TAG_TC_LOADED,        /* the tc programs' loading thread is done */
};

static inline uint64_t tag_make(enum loop_tag tag, uint32_t index)
{
	return (uint64_t)tag << 32 | index;
}

static inline enum loop_tag tag_of(uint64_t v)
{
	return (enum loop_tag)(v >> 32);
}

static inline uint32_t tag_index(uint64_t v)
{
	return (uint32_t)v;
}

#endif
