/* Logging: "nstrace: " and our sentence on stderr, at the level -v asks. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
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
