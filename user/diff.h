/* Compare what a topology file declares with the live system. */
#ifndef NST_DIFF_H
#define NST_DIFF_H

#include <stdio.h>
#include "discover.h"
#include "topo.h"

/* One line per difference on F; returns how many there were. */
int topo_diff(FILE *f, const struct topo *t, const struct live_topo *lt);

#endif
