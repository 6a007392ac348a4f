/* rtnetlink over libmnl: sockets bound to a namespace, requests that carry
 * the kernel's own error sentence (extended ack) back to the caller. */
#ifndef NST_RTNL_H
#define NST_RTNL_H

#include <libmnl/libmnl.h>

#define RTNL_BUF 65536

struct rtnl {
	struct mnl_socket *nl;
	unsigned int portid;
	unsigned int seq;
	char err[256];      /* the kernel's extack text for the last failure */
};

/* Open a NETLINK_ROUTE socket inside NETNS_FD (-1: the current one). */
int rtnl_open(struct rtnl *r, int netns_fd);
void rtnl_close(struct rtnl *r);
/* Start a message of TYPE in BUF with FLAGS|NLM_F_REQUEST. A request fits
 * in MNL_SOCKET_BUFFER_SIZE; RTNL_BUF is the size replies are read with. */
struct nlmsghdr *rtnl_msg(struct rtnl *r, void *buf, int type, int flags);
/* Send NLH and read until the ack or the end of the dump; CB (may be NULL)
 * sees every data message. Returns 0 or -errno; r->err holds the kernel's
 * sentence when it gave one. */
/* 1 when every message in BUF, padded to 4 bytes, lies inside it (libmnl
 * 1.0.4 trusts a message's length: one of 0xfffffff0 sends it reading far
 * past, and it reads attributes up to the padded end). */
int rtnl_buf_valid(const void *buf, size_t len);
int rtnl_talk(struct rtnl *r, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
/* "Invalid MTU" from the kernel, else strerror(-err). */
const char *rtnl_strerror(const struct rtnl *r, int err);

#endif
