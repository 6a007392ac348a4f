/* watch's command line: one table of options, from which getopt's list,
 * the usage text (--help) and so the man-page and completion tests (they
 * read --help) all come. Each option has a typed parser that checks its
 * argument where it is read. */
#ifndef NST_OPTIONS_H
#define NST_OPTIONS_H

#include "model.h"

enum opts_result {
	OPTS_RUN,          /* O is filled in: watch */
	OPTS_HELP_SHOWN,   /* --help was printed: exit 0 */
	OPTS_BAD,          /* a sentence was printed: exit 2 */
};

/* ARGV[0] is "watch" or "trace" (for --help's first lines). */
enum opts_result options_parse(int argc, char **argv, struct watch_opts *o);
void options_usage(FILE *f);

#endif
