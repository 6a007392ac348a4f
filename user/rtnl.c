#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "netns.h"
#include "rtnl.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

int rtnl_open(struct rtnl *r, int netns_fd)
{
	int one = 1, saved = -1, ret = 0;

	memset(r, 0, sizeof(*r));
	if (netns_fd >= 0) {
		ret = netns_enter(netns_fd, &saved);
		if (ret)
			return ret;
	}
	/* The socket keeps the namespace it was created in. */
	r->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!r->nl)
		ret = -errno;
	if (netns_leave(saved) && !ret)
		ret = -errno;
	if (ret)
		goto fail;
	mnl_socket_setsockopt(r->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(r->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto fail;
	}
	r->portid = mnl_socket_get_portid(r->nl);
	r->seq = (unsigned int)time(NULL);
	return 0;
fail:
	if (r->nl)
		mnl_socket_close(r->nl);
	r->nl = NULL;
	return ret ? ret : -EIO;
}

void rtnl_close(struct rtnl *r)
{
	if (r->nl)
		mnl_socket_close(r->nl);
	r->nl = NULL;
}

struct nlmsghdr *rtnl_msg(struct rtnl *r, void *buf, int type, int flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++r->seq;
	return nlh;
}

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	struct rtnl *r = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
		snprintf(r->err, sizeof(r->err), "%s", mnl_attr_get_str(attr));
		r->err[strcspn(r->err, "\n")] = 0;
	}
	return MNL_CB_OK;
}

/* mnl hands one pointer to data and control callbacks alike: ours carries
 * the socket (for the error text) and the caller's callback and data. */
struct talk {
	struct rtnl *r;
	mnl_cb_t cb;
	void *data;
};

static int data_cb(const struct nlmsghdr *nlh, void *p)
{
	const struct talk *t = p;

	return t->cb ? t->cb(nlh, t->data) : MNL_CB_OK;
}

static int error_cb(const struct nlmsghdr *nlh, void *p)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct talk *t = p;
	size_t off;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(e->msg);
		if (mnl_nlmsg_size(off) < nlh->nlmsg_len)
			mnl_attr_parse(nlh, off, extack_attr_cb, t->r);
	}
	errno = -e->error;
	return MNL_CB_ERROR;
}

static int noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_STOP;
}

int rtnl_buf_valid(const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const void *)p;
		size_t step = ((size_t)nlh->nlmsg_len + 3) & ~(size_t)3;   /* no 32-bit wrap */

		/* libmnl reads attributes up to the aligned end: that much
		 * must be there (the kernel always pads). */
		if (nlh->nlmsg_len < sizeof(*nlh) || step > len)
			return 0;
		if (step == len)
			return 1;
		p += step;
		len -= step;
	}
	return len == 0;
}

int rtnl_talk(struct rtnl *r, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = noop_cb,
		[NLMSG_ERROR] = error_cb,
		[NLMSG_DONE] = done_cb,
		[NLMSG_OVERRUN] = noop_cb,
	};
	struct talk t = { .r = r, .cb = cb, .data = data };
	char *buf;
	int ret;

	r->err[0] = 0;
	/* NLM_F_DUMP shares bits with NLM_F_CREATE|NLM_F_EXCL: only a GET
	 * (type % 4 == 2) can be a dump. */
	int dump = (nlh->nlmsg_type & 3) == 2 &&
		   (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;

	if (!dump)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	buf = malloc(RTNL_BUF);
	if (!buf)
		return -ENOMEM;
	do {
		ret = mnl_socket_recvfrom(r->nl, buf, RTNL_BUF);
		if (ret < 0)
			break;
		if (!rtnl_buf_valid(buf, (size_t)ret)) {
			free(buf);
			return -EBADMSG;
		}
		ret = mnl_cb_run2(buf, ret, nlh->nlmsg_seq, r->portid, data_cb, &t,
				  ctl, NLMSG_MIN_TYPE);
	} while (ret > 0);
	free(buf);
	return ret < 0 ? -errno : 0;
}

const char *rtnl_strerror(const struct rtnl *r, int err)
{
	if (r && r->err[0])
		return r->err;
	return strerror(err < 0 ? -err : err);
}
