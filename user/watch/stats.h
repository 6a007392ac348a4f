/* The exact numbers: per-CPU counter maps summed, the stories' flows kept
 * on their rows, and the orders the tables show them in. The only module
 * that changes struct stats. */
#ifndef NST_STATS_H
#define NST_STATS_H

#include "model.h"

/* The counter maps' fds. */
struct stat_maps {
	int drops, drop_slots, ports, port_slots, resets, icmp_wire, icmp_gen, hop_hist, pair_hist,
	    stats;
	uint32_t max[STAT_MAPS];   /* max_entries, by enum stat_map */
};

/* Read every map (histograms only when LATENCY); every planned port gets
 * a row, silent or not. The rows of the older gone namespaces and ports
 * are folded (older.h), their NAMES forgotten. Then stats_settle. */
int stats_read(struct stats *st, const struct stat_maps *m, const struct plan *plan,
	       int latency, struct names *names);
/* Name the drop rows, sum drops per port, order the tables. */
void stats_settle(struct stats *st);
/* A story from the ring buffer: counted, its flow kept on its row. */
void stats_note_event(struct stats *st, const struct nst_event *e);
/* A latency sample the kernel sent apart (its histogram could not be
 * allocated then): into its row, and its key made in M's map. */
void stats_lat_sample(struct stats *st, const struct stat_maps *m, const struct nst_lat_event *e);
/* A benign drop the report did not print. */
void stats_note_untold(struct stats *st);
void stats_free(struct stats *st);

#endif
