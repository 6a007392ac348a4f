#include <errno.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "nstrace_types.h"
#include "reasons.h"

#define SUBSYS_SHIFT 16

struct name { unsigned int value; char *name; };

static struct name *names;
static int nnames;
static struct name *subsys;
static int nsubsys;

static int add(struct name **arr, int *n, unsigned int value, const char *s,
	       const char *strip)
{
	struct name *v = realloc(*arr, (*n + 1) * sizeof(**arr));
	size_t l = strlen(strip);

	if (!v)
		return -ENOMEM;
	*arr = v;
	v[*n].value = value;
	v[*n].name = strdup(strncmp(s, strip, l) ? s : s + l);
	if (!v[*n].name)
		return -ENOMEM;
	(*n)++;
	return 0;
}

static int read_enum(const struct btf *btf, const char *enum_name, const char *strip,
		     struct name **arr, int *n)
{
	int id = btf__find_by_name_kind(btf, enum_name, BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *e;

	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, e++)
		if (add(arr, n, (unsigned int)e->val, btf__name_by_offset(btf, e->name_off), strip))
			return -ENOMEM;
	return 0;
}

static struct btf *vmlinux_btf;
static const char *btf_path;

void reasons_set_btf(const char *path)
{
	btf_path = path;
}

int reasons_load(void)
{
	int ret;

	if (!vmlinux_btf)
		vmlinux_btf = btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
	if (!vmlinux_btf)
		return -errno;
	if (nnames)
		return 0;
	ret = read_enum(vmlinux_btf, "skb_drop_reason", "SKB_DROP_REASON_", &names, &nnames);
	/* Subsystems (openvswitch, mac80211, ...) exist from 6.4 on. */
	read_enum(vmlinux_btf, "skb_drop_reason_subsys", "SKB_DROP_REASON_SUBSYS_",
		  &subsys, &nsubsys);
	return ret;
}

const struct btf *kernel_btf(void)
{
	if (!vmlinux_btf)
		reasons_load();
	return vmlinux_btf;
}

int kernel_tracepoint_args(const char *name)
{
	const struct btf *btf = kernel_btf();
	const struct btf_type *t;
	char tname[128];
	int id;

	if (!btf)
		return -1;
	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	id = btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF);
	if (id <= 0)
		return -1;
	/* typedef -> pointer -> function prototype (void *, args...) */
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	if (!t || !btf_is_ptr(t) || !(t = btf__type_by_id(btf, t->type)) || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1;
}

int kernel_has_tracepoint(const char *name)
{
	return kernel_tracepoint_args(name) >= 0;
}

static const char *find(const struct name *arr, int n, unsigned int value)
{
	for (int i = 0; i < n; i++)
		if (arr[i].value == value)
			return arr[i].name;
	return NULL;
}

const char *reason_name(unsigned int reason)
{
	static char buf[8][48];
	static int slot;
	const char *s = find(names, nnames, reason), *sub;
	char *out;

	if (reason == NST_REASON_NONE)
		return "NO_REASON";

	if (s)
		return s;
	out = buf[slot++ % 8];
	sub = reason >> SUBSYS_SHIFT ? find(subsys, nsubsys, reason >> SUBSYS_SHIFT) : NULL;
	if (sub)
		snprintf(out, sizeof(buf[0]), "%s:%u", sub, reason & 0xffff);
	else
		snprintf(out, sizeof(buf[0]), "reason %u", reason);
	return out;
}

static const struct { const char *name, *hint; } hints[] = {
	{ "NO_REASON", "this kernel (before 5.17) names no drop reason: the freeing function is the clue" },
	{ "NO_SOCKET", "nothing listens on that port" },
	{ "NETFILTER_DROP", "a firewall rule (netfilter) in this namespace dropped it" },
	{ "NEIGH_FAILED", "ARP/ND got no answer: the next hop is down or unreachable" },
	{ "NEIGH_QUEUEFULL", "too many packets were waiting for ARP/ND" },
	{ "NEIGH_DEAD", "the neighbour entry died (interface going down)" },
	{ "OTHERHOST", "frame for another host's MAC: flooded by a bridge or misaddressed" },
	{ "IP_RPFILTER", "reverse-path filter: the source is not routed back through this port" },
	{ "IP_INNOROUTES", "no route for the destination on input" },
	{ "IP_OUTNOROUTES", "no route to the destination" },
	{ "IP_INADDRERRORS", "invalid destination address" },
	{ "IP_INHDR", "invalid IP header" },
	{ "IP_CSUM", "bad IP checksum" },
	{ "SOCKET_RCVBUFF", "the receiving socket's buffer is full: the application reads too slowly" },
	{ "SOCKET_FILTER", "a socket filter (BPF) dropped it" },
	{ "PROTO_MEM", "the protocol's memory limit was hit" },
	{ "QDISC_DROP", "the queue (qdisc) is full" },
	{ "PKT_TOO_BIG", "larger than the next link's MTU and not fragmentable" },
	{ "DEV_READY", "the device is down or not ready" },
	{ "TC_INGRESS", "a tc filter dropped it on ingress" },
	{ "TC_EGRESS", "a tc filter dropped it on egress" },
	{ "TC_DROP", "a tc filter dropped it" },
	{ "XDP", "an XDP program dropped it" },
	{ "UNHANDLED_PROTO", "nothing handles this protocol here" },
	{ "IPV6DISABLED", "IPv6 is disabled on this interface" },
	{ "IP_NOPROTO", "no handler for this IP protocol" },
	{ "TCP_RESET", "the connection was reset" },
	{ "TCP_INVALID_SEQUENCE", "TCP segment outside the window" },
	{ "TCP_CLOSE", "the TCP connection is closed" },
	{ "TCP_FLAGS", "TCP segment with invalid flags" },
	{ "SOCKET_CLOSE", "the socket was closed with data still queued" },
	{ "QUEUE_PURGE", "a socket queue was purged on close" },
	{ "FULL_RING", "the ring buffer of the device is full" },
	{ "NOMEM", "out of memory" },
	{ "UDP_CSUM", "bad UDP checksum" },
	{ "SKB_CSUM", "bad checksum" },
	{ "PKT_TOO_SMALL", "truncated packet" },
	{ "BRIDGE_INGRESS_STP_STATE", "the bridge port is not forwarding (STP state)" },
	{ "VXLAN_INVALID_HDR", "invalid VXLAN header" },
	{ "FRAG_REASM_TIMEOUT", "fragments never all arrived" },
	{ "IPV6_NDISC_FRAG", "fragmented neighbour discovery" },
	{ "ICMP_CSUM", "bad ICMP checksum" },
};

const char *reason_hint(const char *name, const char *location)
{
	/* ip_forward and ip6_forward free with IP_INHDR what they cannot
	 * forward for its TTL (hop limit). */
	if (!strcmp(name, "IP_INHDR") && location && (!strcmp(location, "ip_forward") ||
						      !strcmp(location, "ip6_forward")))
		return "its TTL (hop limit) ran out here: a time exceeded error goes back";
	if (!strcmp(name, "NOT_SPECIFIED") && location) {
		if (!strcmp(location, "__dev_forward_skb2") || !strcmp(location, "__dev_forward_skb"))
			return "a veth handed over a frame larger than its peer's MTU (or the peer is down)";
		if (!strncmp(location, "br_", 3))
			return "the bridge could not deliver it (port MTU or state)";
		if (!strcmp(location, "ip_error"))
			return "the route to the destination is of type unreachable or prohibit";
	}
	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (!strcmp(hints[i].name, name))
			return hints[i].hint;
	return NULL;
}

/* An echo reply: ping's raw socket takes a copy, and the kernel frees
 * the original with NO_SOCKET, at ping_rcv (6.18) or icmp_rcv (6.1, 6.12). */
static int echo_reply(const struct nst_flow *f)
{
	return (f->proto == NST_IPPROTO_ICMP && f->icmp_type == 0) ||
	       (f->proto == NST_IPPROTO_ICMPV6 && f->icmp_type == 129);
}

/* NAME is the drop's reason, or any reason on kernels that name none. */
static int is(const char *name, const char *reason)
{
	return !strcmp(name, reason) || !strcmp(name, "NO_REASON");
}

/* Destination unreachable, time exceeded, parameter problem; ICMPv6 1-4. */
static int icmp_error(const struct nst_flow *f)
{
	return (f->proto == NST_IPPROTO_ICMP && (f->icmp_type == 3 || f->icmp_type == 11 ||
						 f->icmp_type == 12)) ||
	       (f->proto == NST_IPPROTO_ICMPV6 && f->icmp_type >= 1 && f->icmp_type <= 4);
}

const char *reason_benign(const char *name, const char *location, const struct nst_flow *f)
{
	static const struct nst_flow none;
	int family = f ? f->family : 0;
	const unsigned char *dst = f ? f->dst : none.dst;

	if (is(name, "NO_SOCKET") && (f ? echo_reply(f) : location && !strcmp(location, "ping_rcv")))
		return "copy of a ping reply for the raw socket";
	/* A reset or FIN for a connection already gone here: nothing is
	 * refused (a SYN would be; data would be lost and answered by a reset). */
	if (is(name, "NO_SOCKET") && f && f->proto == NST_IPPROTO_TCP &&
	    (f->tcp_flags & (NST_TCP_RST | NST_TCP_FIN)) && !(f->tcp_flags & NST_TCP_SYN))
		return "late reset or FIN of a connection already closed";
	/* 6.1 frees an ICMPv6 error with kfree_skb once it has handled it
	 * (the route MTU of a Packet Too Big is learned): not refused. */
	if (is(name, "NOT_SPECIFIED") && f && icmp_error(f) && location && !strncmp(location, "icmp", 4))
		return "an ICMP error the kernel handled, then freed";
	if (!strcmp(name, "QUEUE_PURGE"))
		return "socket queue purged on close";
	/* A path probe's TTL runs out on purpose (the rule icmp_probe_answer
	 * applies to the time exceeded it earns). */
	if (is(name, "IP_INHDR") && f && location && (!strcmp(location, "ip_forward") ||
						   !strcmp(location, "ip6_forward")) &&
	    ((f->proto == NST_IPPROTO_ICMP && f->icmp_type == 8) ||
	     (f->proto == NST_IPPROTO_ICMPV6 && f->icmp_type == 128) ||
	     (f->proto == NST_IPPROTO_UDP && f->dport >= 33434 && f->dport <= 33534)))
		return "a path probe's TTL ran out (traceroute, mtr, ping -t)";
	if (is(name, "NOT_SPECIFIED") && location) {
		static const char *teardown[] = { "tcp_close", "__tcp_close", "inet_csk_destroy_sock",
			"sk_stream_kill_queues", "tcp_write_queue_purge", "__sk_destruct",
			"skb_queue_purge_reason", "tcp_done" };

		for (size_t i = 0; i < sizeof(teardown) / sizeof(teardown[0]); i++)
			if (!strcmp(location, teardown[i]))
				return "TCP teardown freed queued data";
	}
	if (family == AF_INET6 && dst[0] == 0xff && is(name, "NOT_SPECIFIED"))
		return "IPv6 multicast nobody joined";
	if (family == AF_INET && (dst[0] & 0xf0) == 0xe0 && is(name, "NOT_SPECIFIED"))
		return "IPv4 multicast nobody joined";
	if (family == AF_INET6 && dst[0] == 0xff && !strcmp(name, "IPV6DISABLED"))
		return "IPv6 multicast on an interface without IPv6";
	return NULL;
}
