/* The tables the summary and the live view share, in WIDTH columns. */
#ifndef NST_TABLES_H
#define NST_TABLES_H

#include <stdio.h>
#include "model.h"

void findings_text(const struct watch_view *v, FILE *o, int width);
/* At most MAX rows, in the order stats gave them; LIVE adds the rate. */
void drops_table(const struct watch_view *v, FILE *o, int max, int width, int live);
void resets_table(const struct watch_view *v, FILE *o, int width);
void ports_table(const struct watch_view *v, FILE *o, int max, int width);

#endif
