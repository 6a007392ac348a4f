/* Logging: our sentence first; libbpf's own chatter one level lower. */
#ifndef NST_LOG_H
#define NST_LOG_H

/* For the modules that still take exit codes and capability checks from
 * here (doctor.c, features.c, topo_apply.c are being split on another
 * branch); new code includes exitcode.h and caps.h itself. */
#include "caps.h"
#include "exitcode.h"

enum log_level { LOG_WARN = 0, LOG_INFO = 1, LOG_DEBUG = 2 };

extern int log_level;

void pr_log(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_setup_libbpf(void);
/* The program libbpf last said the kernel refused to load, or NULL. */
const char *log_failed_prog(void);

#define pr_warn(...)  pr_log(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  pr_log(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) pr_log(LOG_DEBUG, __VA_ARGS__)

#endif
