/* Links over rtnetlink: veth pairs, bridges, MTU, master, state. */
#ifndef NST_LINK_H
#define NST_LINK_H

#include "rtnl.h"

int link_ifindex(struct rtnl *r, const char *name);    /* >0 or -errno */
int link_add_bridge(struct rtnl *r, const char *name);
/* NAME in r's namespace, PEER in the namespace PEER_NETNS_FD. */
int link_add_veth(struct rtnl *r, const char *name, const char *peer,
		  int peer_netns_fd);
int link_set_mtu(struct rtnl *r, const char *name, unsigned int mtu);
int link_set_master(struct rtnl *r, const char *name, int master_ifindex);
int link_set_up(struct rtnl *r, const char *name, int up);
int link_del(struct rtnl *r, const char *name);

#endif
