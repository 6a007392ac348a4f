#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>
#include <getopt.h>
#include <bpf/libbpf.h>
#include "log.h"

int log_level = LOG_WARN;

void pr_log(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if ((int)lvl > log_level)
		return;
	va_start(ap, fmt);
	fputs("nstrace: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* libbpf's warnings are our debug output: users read our sentence. */
	int ours = level == LIBBPF_WARN ? LOG_INFO : LOG_DEBUG;

	if (ours > log_level)
		return 0;
	fputs("libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

void log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}

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

int need_root(const char *cmd, const char *what)
{
	if (geteuid() == 0)
		return 0;
	fprintf(stderr, "nstrace %s: needs root (%s)\n", cmd, what);
	return EXIT_NOPRIV;
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
