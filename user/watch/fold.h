/* Keys outlive their port or namespace (containers come and go): the
 * counter maps would hold the host's history, not the host. A key whose
 * port or namespace has left the plan, or (small counters) that has been
 * quiet a while, is taken out of its map and its counts are kept in its
 * row (struct folded, struct lat_pack), so the summary still tells them. */
#ifndef NST_FOLD_H
#define NST_FOLD_H

#include <stddef.h>
#include <stdint.h>
#include "model.h"

/* Quiet this long (seconds), a drop, reset or ICMP key is folded even
 * though its port lives: its next count creates it again. Histograms are
 * not (a new one is 2 KB per CPU allocated in softirq: KNOWN_ISSUES.md). */
#define FOLD_QUIET_S 5.0
/* At most this many keys a map a read; the rest at the next. */
#define FOLD_PER_READ 256

/* The planned namespaces and ports, sorted, for asking many keys. */
struct live_set {
	uint64_t *ns;              /* netns inode (as BPF keys hold it, 32 bits) */
	int nns;
	uint64_t *ports;           /* netns << 32 | ifindex */
	int nports;
};

/* 0, or -1 when out of memory (then everything reads as live). */
int live_set_build(struct live_set *ls, const struct plan *p);
void live_set_free(struct live_set *ls);
int live_ns(const struct live_set *ls, uint32_t netns);
int live_port(const struct live_set *ls, uint32_t netns, uint32_t ifindex);

/* Whether a key of each map belongs to a port or namespace that is gone. */
int gone_drop(const struct live_set *ls, const void *key);
int gone_reset(const struct live_set *ls, const void *key);
int gone_icmp(const struct live_set *ls, const void *key);
int gone_gen(const struct live_set *ls, const void *key);
int gone_hop(const struct live_set *ls, const void *key);
int gone_pair(const struct live_set *ls, const void *key);

/* Take KEY out of the per-CPU map FD, its values (every CPU's) into VALS:
 * in one step where the kernel can (5.14+), else looked up and deleted at
 * once. 0, or -1 (the key stays counted where it is). */
int fold_take(int fd, const void *key, void *vals);

/* Room for any histogram's slots (NULL when out of memory), then filled
 * with H's non-empty ones and shrunk to them: nothing to fail after the
 * key is taken out of its map. */
/* The CPUs a per-CPU map has a value for (at least 1). */
int fold_ncpus(void);
struct lat_pack *lat_pack_room(void);
struct lat_pack *lat_pack_fill(struct lat_pack *room, const struct nst_hist *h);
/* Add what P holds into H. */
void lat_unpack(const struct lat_pack *p, struct nst_hist *h);
size_t lat_pack_size(const struct lat_pack *p);

/* ARR (N elements of SZ bytes) with room for one more, zeroed: grown to
 * the next power of two (rows come and go with containers: one realloc a
 * row fragmented the heap). NULL when out of memory (ARR stays). Every
 * array of rows grows so: its room is implied by N. */
void *fold_grow(void *arr, int n, size_t sz);
/* The row of *ROWS (ROWSZ bytes each) whose leading KSZ bytes are KEY,
 * added (zeroed) if new. NULL only when out of memory. */
void *fold_row_for(void **rows, int *n, size_t rowsz, const void *key, size_t ksz);

/* A per-CPU u64 map whose rows hold their key first, then at COUNT_OFF
 * the count and at FOLD_OFF its struct folded. */
struct count_map {
	int fd;
	size_t ksz, rowsz, count_off, fold_off;
	int (*gone)(const struct live_set *ls, const void *key);
};

/* Read the per-CPU u64 map M into ROWS; keys gone (M->gone) or quiet
 * folded (counted in FOLDED). The map's keys left. */
uint32_t fold_read_counts(const struct count_map *m, void **rows, int *nrows,
			  const struct live_set *ls, double now, uint64_t *folded);
/* Read a per-CPU histogram map into ROWS (the key at KEY_OFF in each),
 * packed; keys GONE folded (counted in FOLDED). The map's keys left. */
uint32_t fold_read_hists(int fd, size_t ksz, struct lat_row **rows, int *nrows, size_t key_off,
			 const struct live_set *ls,
			 int (*gone)(const struct live_set *ls, const void *key), uint64_t *folded);
/* A sample the kernel sent for KEY of FD (nst_lat_event) into its row;
 * the key made if the last read did not find it. 0, or -ENOMEM. */
int fold_lat_sample(int fd, size_t ksz, struct lat_row **rows, int *nrows, size_t key_off,
		    const void *key, uint64_t ns);

#endif
