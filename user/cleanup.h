/* Undoing what dead runs left behind, from their leases (lease.h). */
#ifndef NST_CLEANUP_H
#define NST_CLEANUP_H

#include <stddef.h>
#include "lease.h"

/* Undo LI (unless DRY) and remove it; DONE says what was removed. 0 or
 * -errno (the lease then stays, for another try). */
int cleanup_lease(const struct lease_info *li, int dry, char *done, size_t len);
/* Undo the dead leases of KIND that WANTED (NULL: all) picks, saying so
 * as WHO. Returns how many. */
int cleanup_dead(const char *kind, int (*wanted)(const struct lease_info *li, void *ctx),
		 void *ctx, const char *who);

#endif
