/* Drawing a live topology: a tree for people, JSON for scripts, DOT for
 * Graphviz. ONLY (NONLY inodes) limits the namespaces shown; NULL: all. */
#ifndef NST_RENDER_H
#define NST_RENDER_H

#include <stdio.h>
#include "discover.h"

void render_tree(FILE *f, const struct live_topo *lt, const uint64_t *only, int nonly);
void render_json(FILE *f, const struct live_topo *lt, const uint64_t *only, int nonly);
void render_dot(FILE *f, const struct live_topo *lt, const uint64_t *only, int nonly);
/* "red:veth-red" for a link's veth peer, or "" when it has none. */
void render_peer(const struct live_topo *lt, const struct live_link *l,
		 char *buf, size_t len);

#endif
