/* Logging: our sentence first; libbpf's own chatter one level lower. */
#ifndef NST_LOG_H
#define NST_LOG_H

enum log_level { LOG_WARN = 0, LOG_INFO = 1, LOG_DEBUG = 2 };

/* Exit codes, documented in README, --help and the man page. */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1,
	EXIT_USAGE = 2,     /* bad usage or bad input */
	EXIT_NOPRIV = 3,    /* missing privilege or kernel feature */
};

extern int log_level;

void pr_log(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_setup_libbpf(void);
/* The program libbpf last said the kernel refused to load, or NULL. */
const char *log_failed_prog(void);
/* Map an errno from the kernel to one of our exit codes. */
int exit_code_for_errno(int err);
/* 0 when this process has every capability in WANT (NST_CAP(CAP_BPF) |
 * ...), checked with capget before anything is loaded; else one line
 * naming the missing ones, and EXIT_NOPRIV. */
#define NST_CAP(c) (1ULL << (c))
#define NST_CAP_BPF 39
#define NST_CAP_PERFMON 38
#define NST_CAP_NET_ADMIN 12
#define NST_CAP_SYS_ADMIN 21
#define NST_CAPS_WATCH (NST_CAP(NST_CAP_BPF) | NST_CAP(NST_CAP_PERFMON) | \
			NST_CAP(NST_CAP_NET_ADMIN) | NST_CAP(NST_CAP_SYS_ADMIN))
#define NST_CAPS_NETNS (NST_CAP(NST_CAP_NET_ADMIN) | NST_CAP(NST_CAP_SYS_ADMIN))
int need_caps(const char *cmd, unsigned long long want);

/* One line for an option getopt refused (C is '?' or ':'); EXIT_USAGE. */
int bad_option(const char *cmd, int c, char **argv);

#define pr_warn(...)  pr_log(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  pr_log(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) pr_log(LOG_DEBUG, __VA_ARGS__)

#endif
