/* Kernel function names for addresses, from /proc/kallsyms (read once,
 * on first use, so start-up does not pay for it). */
#ifndef NST_KSYMS_H
#define NST_KSYMS_H

#include <stdint.h>

/* The function containing ADDR, or NULL. */
const char *ksym_name(uint64_t addr);
void ksyms_free(void);

#endif
