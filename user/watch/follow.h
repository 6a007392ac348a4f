/* Following the system while watching: link changes (rtnetlink), the
 * plan rebuilt around them, and targets that vanish. */
#ifndef NST_FOLLOW_H
#define NST_FOLLOW_H

#include "monitor.h"
#include "watch.h"

/* Mark target I gone, saying WHY; 1 when nothing is left to watch. */
int follow_target_gone(struct watch *w, int i, const char *why);
/* Named targets deleted; 1 when nothing is left to watch. */
int follow_check_targets(struct watch *w);
/* Stop following namespaces nothing but nstrace holds. */
void follow_check_namespaces(struct watch *w);
/* A link changed (the monitor's callback; CTX is the watch). */
void follow_on_link(void *ctx, uint64_t netns, const struct link_change *c);
/* Tell the link news held back (ALL: every one, now; else those a moment
 * old). Called at each refresh and before the summary. */
void follow_flush_links(struct watch *w, int all);
/* Remember that the user was told of link IFINDEX in NETNS by NAME, or
 * forget it (NAME NULL). */
void follow_tell(struct watch *w, uint64_t netns, int ifindex, const char *name);
/* Links changed: see the system afresh, attach to what is new. */
void follow_replan(struct watch *w);

#endif
