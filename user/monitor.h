/* rtnetlink link monitor: one socket per watched namespace, subscribed to
 * link changes, read from watch's event loop. */
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
};

struct monitor {
	struct monitor_sock *v;
	int n;
};

/* Subscribe inside NETNS_FD; returns the socket's fd (for epoll) or -errno. */
int monitor_add(struct monitor *m, int netns_fd, uint64_t netns);
int monitor_has(const struct monitor *m, uint64_t netns);
/* Stop following socket IDX (its slot stays, empty: epoll tags are indexes).
 * A socket, like an fd, keeps its namespace alive. */
void monitor_close(struct monitor *m, int idx);
/* Read what is pending on socket IDX; CB sees each change. */
int monitor_read(struct monitor *m, int idx,
		 void (*cb)(void *ctx, uint64_t netns, const struct link_change *c), void *ctx);
void monitor_free(struct monitor *m);

#endif
