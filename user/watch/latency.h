/* Latency in watch's report (hops and namespace pairs). */
#ifndef NST_LATENCY_H
#define NST_LATENCY_H

#include <stdio.h>
#include "model.h"

/* "red:veth-red > root:br0-red"; "red > blue echo round trip". */
void latency_hop_str(const struct watch_view *v, const struct nst_hop_key *k, char *buf, size_t len);
void latency_pair_str(const struct watch_view *v, const struct nst_pair_key *k, char *buf, size_t len);

/* Tables (busiest first, at most MAX rows each) in WIDTH columns, with a
 * log2 chart under each row when HIST. Nothing when nothing was timed. */
void latency_text(const struct watch_view *v, FILE *o, int width, int max, int hist);
/* The summary's "latency" array entries, comma-separated, no brackets. */
void latency_json(const struct watch_view *v, FILE *o);

#endif
