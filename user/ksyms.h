/* Kernel function names for addresses, from /proc/kallsyms (read once:
 * on first use, or beforehand in a thread of its own). */
#ifndef NST_KSYMS_H
#define NST_KSYMS_H

#include <stdint.h>

/* The function containing ADDR, or NULL. */
const char *ksym_name(uint64_t addr);
/* Start reading /proc/kallsyms in a thread; ksym_name waits for it. */
void ksyms_prefetch(void);
void ksyms_free(void);

#endif
