/* rtnetlink link monitor, read from watch's event loop: one socket in our
 * own namespace that hears every namespace it has an id for
 * (NETLINK_LISTEN_ALL_NSID: a container's, once its veth's peer is here),
 * and a socket of its own for any other watched namespace. So a host of
 * 1,000 containers costs one socket, not 1,000, and no namespace is kept
 * alive by a socket inside it. Only when asked (share): a namespace's own
 * socket also hears what happens while it dies (a container's eth0 deleted
 * when it stops), which the shared one does not. */
#ifndef NST_MONITOR_H
#define NST_MONITOR_H

#include <stdint.h>

struct link_change {
	int deleted;           /* RTM_DELLINK */
	int ifindex;
	char name[16];
	unsigned int mtu;
	unsigned int flags;    /* IFF_* */
	int moved;             /* deleted here because moved to another namespace */
	int new_ifindex;       /* its ifindex there (IFLA_NEW_IFINDEX, else the same) */
};

struct monitor_sock {
	uint64_t netns;
	void *nl;              /* struct mnl_socket, NULL once closed */
	int shared;            /* the socket hearing all namespaces with an id */
	int covered;           /* followed through the shared socket, as NSID */
	int nsid;              /* -2: our own namespace */
	char name[64];         /* its ip netns name, "" if none (for the note when it goes) */
};

struct monitor {
	struct monitor_sock *v;
	int n;
	int share;             /* use the shared socket (set by the caller) */
	void *query;           /* struct rtnl *: asks our namespace for ids */
	uint64_t own;          /* our namespace's inode */
};

/* Follow NETNS (open as NETNS_FD): returns a new socket's fd for epoll (its
 * slot is the last, m->n - 1), -EALREADY when a socket already in the
 * epoll set hears it, or -errno. */
int monitor_add(struct monitor *m, int netns_fd, uint64_t netns);
/* Is slot IDX following a namespace (not the shared socket itself)? */
int monitor_following(const struct monitor *m, int idx);
int monitor_has(const struct monitor *m, uint64_t netns);
/* Stop following socket IDX (its slot stays, empty: epoll tags are indexes).
 * A socket, like an fd, keeps its namespace alive. */
void monitor_close(struct monitor *m, int idx);
/* Read what is pending on socket IDX; CB sees each change. */
int monitor_read(struct monitor *m, int idx,
		 void (*cb)(void *ctx, uint64_t netns, const struct link_change *c), void *ctx);
void monitor_free(struct monitor *m);

#endif
