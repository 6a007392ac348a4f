/* bpf/nstrace.h for user space: the kernel's fixed-width types first. */
#ifndef NST_TYPES_H
#define NST_TYPES_H

#include <linux/types.h>
#include "nstrace.h"

#endif
