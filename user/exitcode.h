/* Exit codes, documented in README, --help and the man page, and the
 * mapping of failures to them. */
#ifndef NST_EXITCODE_H
#define NST_EXITCODE_H

enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,
	EXIT_USAGE = 2,     /* bad usage or bad input */
	EXIT_NOPRIV = 3,    /* missing privilege or kernel feature */
};

/* Map an errno from the kernel to one of our exit codes. */
int exit_code_for_errno(int err);

/* One line for an option getopt refused (C is '?' or ':'); EXIT_USAGE. */
int bad_option(const char *cmd, int c, char **argv);

#endif
