/* The kernel's log-linear latency histograms (struct nst_hist): slots,
 * percentiles, and the log2 bar chart people know from biolatency. */
#ifndef NST_HIST_H
#define NST_HIST_H

#include <stdint.h>
#include <stdio.h>
#include "nstrace_types.h"

/* The slot the kernel puts NS nanoseconds in (bpf/watch.bpf.c). */
int hist_slot(uint64_t ns);
/* The nanoseconds slot S holds: [low, high). */
uint64_t hist_slot_low(int s);
uint64_t hist_slot_high(int s);

/* One sample of NS nanoseconds into H, as the kernel adds it. */
void hist_add_sample(struct nst_hist *h, uint64_t ns);
void hist_merge(struct nst_hist *into, const struct nst_hist *h);
/* The Q-quantile (0 < Q <= 1) in nanoseconds: the nearest-rank sample,
 * placed by its rank inside its slot, the largest one exact (the max);
 * 0 when empty. */
double hist_quantile(const struct nst_hist *h, double q);
/* Packets at or below LE nanoseconds, for Prometheus' cumulative buckets:
 * exact at slot boundaries (powers of two of ns), else the slot across LE
 * counts in proportion (within its 6 %). Monotonic in LE. */
uint64_t hist_count_le(const struct nst_hist *h, uint64_t le);

/* "12µs", "1.4ms", "2.0s": at most 7 characters. */
const char *hist_fmt(double ns, char *buf, size_t len);
/* A log2 chart in microseconds, one line per power of two, INDENT spaces
 * in, bars up to WIDTH characters. */
void hist_draw(FILE *o, const struct nst_hist *h, int indent, int width);

#endif
