/* nftables tracing: the marking table, the NFNLGRP_NFTRACE socket, the
 * trace messages, and the rules they name (see nftrace.h). */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include "firewall.h"
#include "netns.h"
#include "nftrace.h"
#include "outbuf.h"

/* "10.0.0.1, 10.0.0.2": the selection's addresses of family AF; how many. */
static int put_addrs(struct outbuf *o, const struct nftrace_sel *sel, int af)
{
	char a[INET6_ADDRSTRLEN + 8];
	int n = 0;

	for (int i = 0; i < sel->naddrs; i++) {
		struct ipaddr h = sel->addrs[i];

		if (h.family != af)
			continue;
		h.plen = -1;
		ipaddr_format(&h, a, sizeof(a));
		outbuf_put(o, "%s%s", n++ ? ", " : "", a);
	}
	return n;
}

static int count_addrs(const struct nftrace_sel *sel, int af)
{
	int n = 0;

	for (int i = 0; i < sel->naddrs; i++)
		n += sel->addrs[i].family == af;
	return n;
}

/* The filter's network as nft wants it: host bits cleared. */
static void net_str(const struct ipaddr *net, char *buf, size_t len)
{
	struct ipaddr n = *net;
	int bits = n.family == AF_INET ? 32 : 128;

	if (n.plen >= 0 && n.plen < bits)
		for (int b = n.plen; b < bits; b++)
			n.a[b / 8] &= (unsigned char)~(0x80 >> (b % 8));
	ipaddr_format(&n, buf, len);
}

/* The rules of one family: every combination of (source or destination
 * in the watched addresses) x (source or destination in --net) x (source
 * or destination port), each in both chains. */
static int put_family(struct outbuf *o, const char *table, const struct nftrace_sel *sel, int af)
{
	const struct filter *f = sel->filter;
	const char *kw = af == AF_INET ? "ip" : "ip6", *set = af == AF_INET ? "f4" : "f6";
	int naddr = sel->naddrs ? 2 : 1, nnet = f && f->net.family ? 2 : 1;
	int nport = f && f->port ? 2 : 1, rules = 0;
	char net[INET6_ADDRSTRLEN + 8];

	if (sel->naddrs && !count_addrs(sel, af))
		return 0;
	if (f && f->net.family && f->net.family != af)
		return 0;
	if (f && ((f->proto == IPPROTO_ICMP && af != AF_INET) ||
		  (f->proto == IPPROTO_ICMPV6 && af != AF_INET6)))
		return 0;
	if (f && f->net.family)
		net_str(&f->net, net, sizeof(net));
	for (int chain = 0; chain < 2; chain++)
		for (int a = 0; a < naddr; a++)
			for (int n = 0; n < nnet; n++)
				for (int p = 0; p < nport; p++) {
					outbuf_put(o, "add rule inet %s %s meta nfproto %s", table,
					    chain ? "out" : "pre", af == AF_INET ? "ipv4" : "ipv6");
					if (sel->naddrs) {
						outbuf_put(o, " %s %saddr { ", kw, a ? "d" : "s");
						put_addrs(o, sel, af);
						outbuf_put(o, " }");
					}
					if (nnet > 1)
						outbuf_put(o, " %s %saddr %s", kw, n ? "d" : "s", net);
					if (f && f->proto)
						outbuf_put(o, " meta l4proto %d", f->proto);
					else if (nport > 1)
						outbuf_put(o, " meta l4proto { 6, 17, 132 }");
					if (nport > 1)
						outbuf_put(o, " th %sport %d", p ? "d" : "s", f->port);
					outbuf_put(o, " update @%s { %s saddr . %s daddr . meta l4proto limit rate "
					    "%d/second } meta nftrace set 1 accept\n", set, kw, kw, NFTRACE_RATE);
					rules++;
				}
	return rules;
}

int nftrace_script(const char *table, const struct nftrace_sel *sel, char *buf, size_t len)
{
	struct outbuf o = { .buf = buf, .len = len };
	int rules;

	buf[0] = 0;
	outbuf_put(&o, "add table inet %s\n", table);
	for (int v6 = 0; v6 < 2; v6++)
		outbuf_put(&o, "add set inet %s f%d { type %s . %s . inet_proto; size 4096; "
		    "flags dynamic,timeout; timeout 10s; }\n", table, v6 ? 6 : 4,
		    v6 ? "ipv6_addr" : "ipv4_addr", v6 ? "ipv6_addr" : "ipv4_addr");
	outbuf_put(&o, "add chain inet %s pre { type filter hook prerouting priority -500; "
	    "policy accept; }\n", table);
	outbuf_put(&o, "add chain inet %s out { type filter hook output priority -500; "
	    "policy accept; }\n", table);
	rules = put_family(&o, table, sel, AF_INET) + put_family(&o, table, sel, AF_INET6);
	return o.pos >= o.len ? -ENOSPC : rules;
}

int nftrace_add(int nsfd, const char *script, char *err, size_t errlen)
{
	return firewall_apply(nsfd, script, NULL, err, errlen);
}

int nftrace_remove(int nsfd, const char *table)
{
	char cmd[128], err[256];
	int ret;

	snprintf(cmd, sizeof(cmd), "delete table inet %s\n", table);
	ret = firewall_apply(nsfd, cmd, NULL, err, sizeof(err));
	/* Already gone (someone flushed the ruleset): nothing to do. */
	return ret == -EINVAL && strstr(err, "No such file") ? 0 : ret;
}

int nftrace_is_drop(const struct nftrace_msg *m)
{
	if (m->type == NFT_TRACETYPE_POLICY)
		return m->has_policy && m->policy == NF_DROP;
	return m->type == NFT_TRACETYPE_RULE && m->has_verdict && m->verdict == NF_DROP;
}

const char *nftrace_family(int nfproto)
{
	switch (nfproto) {
	case NFPROTO_INET: return "inet";
	case NFPROTO_IPV4: return "ip";
	case NFPROTO_IPV6: return "ip6";
	case NFPROTO_ARP: return "arp";
	case NFPROTO_BRIDGE: return "bridge";
	case NFPROTO_NETDEV: return "netdev";
	}
	return "unknown";
}

int nftrace_open(int nsfd, void **out)
{
	int saved, ret, grp = NFNLGRP_NFTRACE, big = 1 << 20;
	struct mnl_socket *nl;

	*out = NULL;
	if ((ret = netns_enter(nsfd, &saved)))
		return ret;
	/* Opened inside: the socket hears that namespace's traces. */
	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ret = nl ? 0 : -errno;
	netns_leave(saved);
	if (ret)
		return ret;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
		ret = -errno;
		mnl_socket_close(nl);
		return ret;
	}
	/* A burst of traces must not overflow it (loss is -ENOBUFS). */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	*out = nl;
	return mnl_socket_get_fd(nl);
}

void nftrace_close(void *nl)
{
	if (nl)
		mnl_socket_close(nl);
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, NFTA_TRACE_MAX) > 0)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int verdict_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, NFTA_VERDICT_MAX) > 0)
		tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static void copy_str(const struct nlattr *a, char *buf, size_t len)
{
	size_t n = mnl_attr_get_payload_len(a);
	const char *s = mnl_attr_get_payload(a);

	n = n < len - 1 ? n : len - 1;
	memcpy(buf, s, n);
	buf[n] = 0;
	buf[strnlen(buf, n)] = 0;
}

static uint32_t be32_attr(const struct nlattr *a)
{
	return mnl_attr_get_payload_len(a) >= 4 ? ntohl(mnl_attr_get_u32(a)) : 0;
}

/* The network and transport headers into a flow, as the BPF side reads
 * packets (struct nst_flow). */
static void parse_headers(const struct nlattr *net, const struct nlattr *th, struct nftrace_msg *m)
{
	const uint8_t *h = mnl_attr_get_payload(net), *t = th ? mnl_attr_get_payload(th) : NULL;
	size_t len = mnl_attr_get_payload_len(net), tlen = th ? mnl_attr_get_payload_len(th) : 0;
	struct nst_flow *f = &m->flow;

	memset(f, 0, sizeof(*f));
	if (len >= 20 && h[0] >> 4 == 4) {
		f->family = NST_AF_INET;
		f->l3proto = 0x0800;
		f->proto = h[9];
		memcpy(f->src, h + 12, 4);
		memcpy(f->dst, h + 16, 4);
	} else if (len >= 40 && h[0] >> 4 == 6) {
		f->family = NST_AF_INET6;
		f->l3proto = 0x86dd;
		f->proto = h[6];
		memcpy(f->src, h + 8, 16);
		memcpy(f->dst, h + 24, 16);
	} else {
		return;
	}
	m->has_flow = 1;
	if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP || f->proto == IPPROTO_SCTP) {
		if (tlen >= 4) {
			f->sport = (uint16_t)(t[0] << 8 | t[1]);
			f->dport = (uint16_t)(t[2] << 8 | t[3]);
		}
		if (f->proto == IPPROTO_TCP && tlen >= 14)
			f->tcp_flags = t[13];
	} else if ((f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6) && tlen >= 2) {
		f->icmp_type = t[0];
		f->icmp_code = t[1];
	}
}

int nftrace_parse(const void *buf, size_t len, struct nftrace_msg *m)
{
	const struct nlmsghdr *nlh = buf;
	const struct nlattr *tb[NFTA_TRACE_MAX + 1] = { 0 };
	const struct nfgenmsg *g;

	memset(m, 0, sizeof(*m));
	if (len < sizeof(*nlh) || nlh->nlmsg_len > len ||
	    nlh->nlmsg_type != ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_TRACE) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return 0;
	g = mnl_nlmsg_get_payload(nlh);
	m->family = g->nfgen_family;
	if (mnl_attr_parse(nlh, sizeof(*g), attr_cb, tb) < 0)
		return 0;
	if (tb[NFTA_TRACE_TABLE])
		copy_str(tb[NFTA_TRACE_TABLE], m->table, sizeof(m->table));
	if (tb[NFTA_TRACE_CHAIN])
		copy_str(tb[NFTA_TRACE_CHAIN], m->chain, sizeof(m->chain));
	if (tb[NFTA_TRACE_RULE_HANDLE] && mnl_attr_get_payload_len(tb[NFTA_TRACE_RULE_HANDLE]) >= 8)
		m->handle = be64toh(mnl_attr_get_u64(tb[NFTA_TRACE_RULE_HANDLE]));
	if (tb[NFTA_TRACE_TYPE])
		m->type = be32_attr(tb[NFTA_TRACE_TYPE]);
	if (tb[NFTA_TRACE_ID])
		m->id = be32_attr(tb[NFTA_TRACE_ID]);
	if (tb[NFTA_TRACE_POLICY]) {
		m->has_policy = 1;
		m->policy = be32_attr(tb[NFTA_TRACE_POLICY]);
	}
	if (tb[NFTA_TRACE_VERDICT]) {
		const struct nlattr *vb[NFTA_VERDICT_MAX + 1] = { 0 };

		if (mnl_attr_parse_nested(tb[NFTA_TRACE_VERDICT], verdict_cb, vb) >= 0 &&
		    vb[NFTA_VERDICT_CODE]) {
			m->has_verdict = 1;
			m->verdict = (int32_t)be32_attr(vb[NFTA_VERDICT_CODE]);
		}
	}
	if (tb[NFTA_TRACE_NETWORK_HEADER])
		parse_headers(tb[NFTA_TRACE_NETWORK_HEADER], tb[NFTA_TRACE_TRANSPORT_HEADER], m);
	return 1;
}

struct read_ctx {
	void (*cb)(void *ctx, const struct nftrace_msg *m);
	void *ctx;
};

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct read_ctx *rc = data;
	struct nftrace_msg m;

	if (nftrace_parse(nlh, nlh->nlmsg_len, &m))
		rc->cb(rc->ctx, &m);
	return MNL_CB_OK;
}

int nftrace_read(void *nl, void (*cb)(void *ctx, const struct nftrace_msg *m), void *ctx)
{
	static char buf[1 << 16];
	struct read_ctx rc = { cb, ctx };
	int ret = 0;

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0 && errno == ENOBUFS) {
			ret = -ENOBUFS;
			continue;
		}
		if (n <= 0)
			break;
		mnl_cb_run(buf, (size_t)n, 0, 0, msg_cb, &rc);
	}
	return ret;
}

/* A name nft 1.0's parser takes unquoted (it refuses quoted ones). */
static int safe_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-./", *s))
			return 0;
	return 1;
}

/* "counter packets 12 bytes 720" -> "counter", in place. */
static void bare_counters(char *s)
{
	char *p;

	while ((p = strstr(s, "counter packets "))) {
		char *q = p + strlen("counter packets ");
		unsigned long long a, b;
		int used = 0;

		if (sscanf(q, "%llu bytes %llu%n", &a, &b, &used) < 2)
			break;
		memmove(p + strlen("counter"), q + used, strlen(q + used) + 1);
	}
}

/* The rule line with "# handle H" of LIST (or, for a policy, the chain's
 * policy) into TEXT. */
static int find_rule(char *list, uint64_t handle, char *text, size_t len)
{
	char want[40], *save = NULL;

	snprintf(want, sizeof(want), "# handle %llu", (unsigned long long)handle);
	for (char *l = strtok_r(list, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *end, *p;

		while (isspace((unsigned char)*l))
			l++;
		if (!handle) {
			if ((p = strstr(l, "policy ")) && (end = strchr(p, ';'))) {
				snprintf(text, len, "%.*s", (int)(end - p), p);
				return 0;
			}
			continue;
		}
		if (!strncmp(l, "chain ", 6) || !strncmp(l, "table ", 6) ||
		    !(p = strstr(l, want)) || strcmp(p, want) != 0)
			continue;
		while (p > l && isspace((unsigned char)p[-1]))
			p--;
		*p = 0;
		bare_counters(l);
		snprintf(text, len, "%s", l);
		return 0;
	}
	return -ENOENT;
}

/* find_rule within chain CHAIN's block of a table's listing (a policy
 * line is the chain's own). */
static int find_chain_rule(char *list, const char *chain, uint64_t handle, char *text,
			   size_t len)
{
	char head[128], *start, *end;

	snprintf(head, sizeof(head), "\tchain %s {", chain);
	if (!(start = strstr(list, head)))
		return -ENOENT;
	if ((end = strstr(start, "\n\t}")))
		end[1] = 0;
	return find_rule(start, handle, text, len);
}

/* Tables iptables-nft makes (in its ip, ip6, arp and bridge families). */
static int iptables_table(int family, const char *table)
{
	static const char *names[] = { "filter", "nat", "mangle", "raw", "security" };

	if (family == NFPROTO_INET || family == NFPROTO_NETDEV)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(table, names[i]))
			return 1;
	return 0;
}

/* The file named by the table's comment of LIST (topology tables). */
static void topo_file(const char *list, char *file, size_t len)
{
	const char *c = strstr(list, "\tcomment \"" FIREWALL_FILE_COMMENT), *end;

	file[0] = 0;
	if (!c)
		return;
	c += strlen("\tcomment \"" FIREWALL_FILE_COMMENT);
	if ((end = strchr(c, '"')))
		snprintf(file, len, "%.*s", (int)(end - c), c);
}

int nftrace_rule(int nsfd, int family, const char *table, const char *chain, uint64_t handle,
		 char *text, size_t len, struct nftrace_topo *topo, int *iptables)
{
	int ours = family == NFPROTO_INET && !strcmp(table, "nstrace");
	size_t biglen = 1 << 18;
	char cmd[256], err[512], *list = malloc(biglen), *c;
	int ret;

	text[0] = 0;
	memset(topo, 0, sizeof(*topo));
	*iptables = 0;
	if (!list)
		return -ENOMEM;
	if (!safe_name(table) || !safe_name(chain)) {
		free(list);
		return -EINVAL;
	}
	/* Our topology's table whole (it is small): its comment names the file. */
	if (ours)
		snprintf(cmd, sizeof(cmd), "list table inet nstrace");
	else
		snprintf(cmd, sizeof(cmd), "list chain %s %s %s", nftrace_family(family), table, chain);
	ret = firewall_list(nsfd, cmd, 1, list, biglen, err, sizeof(err));
	if (!ret && ours)
		topo_file(list, topo->file, sizeof(topo->file));
	if (!ret)
		ret = ours ? find_chain_rule(list, chain, handle, text, len) :
			     find_rule(list, handle, text, len);
	free(list);
	if (ret)
		return ret;
	*iptables = strstr(err, "managed by iptables-nft") || iptables_table(family, table);
	if (ours && (c = strstr(text, "comment \"line ")))
		topo->line = atoi(c + strlen("comment \"line "));
	return 0;
}
