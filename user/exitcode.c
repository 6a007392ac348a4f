/* Failures to exit codes: errno from the kernel, options getopt refused. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include "exitcode.h"

int exit_code_for_errno(int err)
{
	if (err < 0)
		err = -err;
	switch (err) {
	case EPERM:
	case EACCES:
	case EOPNOTSUPP:
	case ENOSYS:
		return EXIT_NOPRIV;
	case EINVAL:
	case EEXIST:
	case ERANGE:
	case ENETUNREACH:
	case ENODEV:
	case ENOENT:
	case EADDRNOTAVAIL:
	case ENAMETOOLONG:
	case ENOTDIR:
	case EISDIR:
		return EXIT_USAGE;
	default:
		return EXIT_RUNTIME;
	}
}

int bad_option(const char *cmd, int c, char **argv)
{
	const char *opt = argv[optind - 1];

	if (c == ':')
		fprintf(stderr, "nstrace %s: option '%s' needs an argument\n", cmd, opt);
	else
		fprintf(stderr, "nstrace %s: unknown option '%s' (try 'nstrace %s --help')\n",
			cmd, opt, cmd);
	return EXIT_USAGE;
}
