/* Routes over rtnetlink, in the main table. */
#ifndef NST_ROUTE_H
#define NST_ROUTE_H

#include "addr.h"

struct route_spec {
	struct ipaddr dst;      /* plen 0 for default */
	int has_gw;
	struct ipaddr gw;
	int oif;                /* 0 when not given */
};

int route_add(struct rtnl *r, const struct route_spec *rt);

#endif
