/* IP addresses: parsing "10.0.0.1/24" and adding them over rtnetlink. */
#ifndef NST_ADDR_H
#define NST_ADDR_H

#include <stddef.h>
#include "rtnl.h"

struct ipaddr {
	int family;            /* AF_INET or AF_INET6 */
	int plen;              /* prefix length, -1 when none was written */
	unsigned char a[16];
};

/* 0, or -1 with a reason in WHY. NEED_PREFIX: "/N" is mandatory. */
int ipaddr_parse(const char *s, struct ipaddr *out, int need_prefix,
		 char *why, size_t whylen);
/* "10.0.0.1/24" (or without "/N" when plen < 0). */
void ipaddr_format(const struct ipaddr *a, char *buf, size_t len);
int ipaddr_equal(const struct ipaddr *x, const struct ipaddr *y);

int addr_add(struct rtnl *r, int ifindex, const struct ipaddr *a);

#endif
