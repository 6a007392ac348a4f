#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include "addr.h"

int ipaddr_parse(const char *s, struct ipaddr *out, int need_prefix,
		 char *why, size_t whylen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	int max;

	memset(out, 0, sizeof(*out));
	out->plen = -1;
	if (hl == 0 || hl >= sizeof(host)) {
		snprintf(why, whylen, "'%s' is not an IP address", s);
		return -1;
	}
	memcpy(host, s, hl);
	host[hl] = 0;
	if (inet_pton(AF_INET, host, out->a) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, out->a) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		snprintf(why, whylen, "'%s' is not an IPv4 or IPv6 address", host);
		return -1;
	}
	if (!slash) {
		if (need_prefix) {
			snprintf(why, whylen, "'%s' needs a prefix length (e.g. /24)", s);
			return -1;
		}
		return 0;
	}
	char *end;
	long plen;

	errno = 0;
	plen = strtol(slash + 1, &end, 10);
	if (!slash[1] || *end || errno || plen < 0 || plen > max) {
		snprintf(why, whylen, "'%s': prefix length must be 0..%d", s, max);
		return -1;
	}
	out->plen = (int)plen;
	return 0;
}

void ipaddr_format(const struct ipaddr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];

	inet_ntop(a->family, a->a, host, sizeof(host));
	if (a->plen >= 0)
		snprintf(buf, len, "%s/%d", host, a->plen);
	else
		snprintf(buf, len, "%s", host);
}

int ipaddr_equal(const struct ipaddr *x, const struct ipaddr *y)
{
	size_t n = x->family == AF_INET ? 4 : 16;

	return x->family == y->family && x->plen == y->plen &&
	       !memcmp(x->a, y->a, n);
}

int addr_add(struct rtnl *r, int ifindex, const struct ipaddr *a)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	size_t n = a->family == AF_INET ? 4 : 16;

	nlh = rtnl_msg(r, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = a->family;
	ifa->ifa_prefixlen = a->plen < 0 ? (int)(n * 8) : a->plen;
	ifa->ifa_index = ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	mnl_attr_put(nlh, IFA_LOCAL, n, a->a);
	mnl_attr_put(nlh, IFA_ADDRESS, n, a->a);
	/* A topology is built to be used at once: skip IPv6 DAD's delay. */
	if (a->family == AF_INET6)
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
	return rtnl_talk(r, nlh, NULL, NULL);
}
