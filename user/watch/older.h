/* A host that churns for days: every gone container's rows (drops, ports,
 * ICMP, latency) and names are kept so the summary can tell them, a few
 * KB each. Only the most recently gone are kept in detail: OLDER_KEEP gone
 * namespaces and OLDER_KEEP gone ports of namespaces that live (a
 * container's host end of its veth). The rows of older ones are folded
 * into rows of the pseudo-namespace NS_OLDER_GONE (names.h) with the same
 * reason, direction, kind (addresses and ports dropped): every count stays
 * in the totals, histograms merge, and their names are forgotten. */
#ifndef NST_OLDER_H
#define NST_OLDER_H

#include "model.h"
#include "stats.h"

#define OLDER_KEEP 256

/* OLDER_KEEP, or the environment's NSTRACE_GONE_KEEP (for tests). */
int older_keep(void);

/* Notice the places of ST's rows newly gone (NAMES says what lives), and
 * fold the rows of the oldest beyond older_keep() of each kind, forgetting
 * their names. A place whose port slot is not yet freed, or with a
 * latency key not yet folded out of its map, waits. For stats_read,
 * before it orders the rows. */
void older_fold(struct stats *st, const struct stat_maps *m, struct names *names);
/* Is NETNS (or its device IFINDEX) folded while a drop slot still counts
 * for it? Its slot's counts (and their key in "drops" once the slot is
 * taken over) then go to the NS_OLDER_GONE row. */
int older_held(const struct stats *st, uint32_t netns, uint32_t ifindex);

/* older_rows.c: fold G's rows into the NS_OLDER_GONE rows (only what
 * each read starts a row from; a histogram's deleted keys' part). */
void older_fold_place(struct stats *st, struct gone_place g);
/* Has G a latency key still in its map? It waits: the histogram's part
 * in the map could not be told apart once merged. */
int older_busy(const struct stats *st, struct gone_place g);

#endif
