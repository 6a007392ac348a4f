/* A sorted array of u64 (namespace inodes, netns << 32 | ifindex) asked
 * many times: sorted once, then looked up by bisection. */
#ifndef NST_U64SET_H
#define NST_U64SET_H

#include <stdint.h>
#include <stdlib.h>

static inline int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static inline void u64_sort(uint64_t *v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), u64_cmp);
}

/* Whether sorted V (N entries; NULL holds nothing) holds K. */
static inline int u64_has(const uint64_t *v, size_t n, uint64_t k)
{
	return v && n && bsearch(&k, v, n, sizeof(k), u64_cmp) != NULL;
}

#endif
