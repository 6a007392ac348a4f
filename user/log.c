#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
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

static char failed_prog[64];

/* libbpf's own words name the program the kernel refused. */
static void note_failed_prog(const char *msg)
{
	const char *p = strstr(msg, "prog '"), *q;

	if (!p || !strstr(msg, "failed to load"))
		return;
	p += 6;
	q = strchr(p, '\'');
	if (q && q - p < (long)sizeof(failed_prog))
		snprintf(failed_prog, sizeof(failed_prog), "%.*s", (int)(q - p), p);
}

const char *log_failed_prog(void)
{
	return failed_prog[0] ? failed_prog : NULL;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	/* libbpf's warnings are our debug output: users read our sentence. */
	int ours = level == LIBBPF_WARN ? LOG_INFO : LOG_DEBUG;
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (level == LIBBPF_WARN)
		note_failed_prog(msg);
	/* The kernel's answer when our clsact qdisc exists already (we ask
	 * with NLM_F_EXCL and take EEXIST as "there"): not news. */
	if (strstr(msg, "Exclusivity flag on"))
		return 0;
	if (ours > log_level)
		return 0;
	/* Most of libbpf's lines carry their own "libbpf: " already. */
	return fprintf(stderr, "%s%s", strncmp(msg, "libbpf: ", 8) ? "libbpf: " : "", msg);
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

static const char *cap_names[64] = {
	[NST_CAP_NET_ADMIN] = "CAP_NET_ADMIN", [NST_CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
	[NST_CAP_PERFMON] = "CAP_PERFMON", [NST_CAP_BPF] = "CAP_BPF",
};

/* Kernels before 5.8 have neither CAP_BPF nor CAP_PERFMON: CAP_SYS_ADMIN
 * stands for both there. */
static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int n = 40;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = 40;
		fclose(f);
	}
	return n;
}

int need_caps(const char *cmd, unsigned long long want)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 } };
	char names[160] = "";
	unsigned long long eff, missing, bpf = NST_CAP(NST_CAP_BPF) | NST_CAP(NST_CAP_PERFMON);

	if (last_cap() < NST_CAP_BPF && (want & bpf))
		want = (want & ~bpf) | NST_CAP(NST_CAP_SYS_ADMIN);
	if (syscall(SYS_capget, &h, d))
		return geteuid() == 0 ? 0 : EXIT_NOPRIV;
	eff = d[0].effective | (unsigned long long)d[1].effective << 32;
	missing = want & ~eff;
	if (!missing)
		return 0;
	for (int c = 0; c < 64; c++)
		if ((missing & NST_CAP(c)) && cap_names[c])
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 names[0] ? ", " : "", cap_names[c]);
	fprintf(stderr, "nstrace %s: missing %s (run as root, or grant %s)\n", cmd, names,
		__builtin_popcountll(missing) == 1 ? "it" : "them");
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
