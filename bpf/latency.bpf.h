/* Latency: stamps on the ports, hop and namespace-pair histograms,
 * round trips (TCP handshakes, echoes), and the per-CPU sampling under load.
 * Included by watch.bpf.c only, after what it names. */
#ifndef NST_LATENCY_BPF_H
#define NST_LATENCY_BPF_H

/* Stamps waiting for their packet at the next port (struct nst_stamp_key).
 * LRU: a packet that never arrives is forgotten, not leaked. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct nst_stamp_key);
	__type(value, struct nst_stamp);
} stamps SEC(".maps");

/* Each veth end's peer, filled from discovery. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct nst_port);
	__type(value, struct nst_port);
} peers SEC(".maps");

/* Every address on the host, with the namespace that owns it: where a
 * packet is delivered, whose round trip it is. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct nst_addr_key);
	__type(value, __u32);
} local_addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 2048);
	__type(key, struct nst_hop_key);
	__type(value, struct nst_hist);
} hop_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 2048);
	__type(key, struct nst_pair_key);
	__type(value, struct nst_hist);
} pair_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nst_lat_load);
} lat_load SEC(".maps");

/* A zeroed histogram to create entries from (too big for the stack). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nst_hist);
} zero_hist SEC(".maps");

/* A stamp older than this is another packet with the same headers. A
 * veth crossing (egress to the peer's ingress) includes the qdisc queue,
 * so it may take long; a namespace's own path (ingress to egress: bridge
 * or router forwarding, before any queue) takes microseconds, and a
 * multicast control packet received and later sent alike must not pass
 * for a hop. */
#define STAMP_MAX_NS 1000000000ULL
#define STAMP_MAX_NS_INSIDE 50000000ULL

static __always_inline __u32 msb64(__u64 v)
{
	__u32 r = 0, s;

	s = (v > 0xffffffffULL) << 5; v >>= s; r |= s;
	s = (v > 0xffff) << 4; v >>= s; r |= s;
	s = (v > 0xff) << 3; v >>= s; r |= s;
	s = (v > 0xf) << 2; v >>= s; r |= s;
	s = (v > 0x3) << 1; v >>= s; r |= s;
	r |= (v >> 1);
	return r;
}

static __always_inline __u32 hist_slot(__u64 ns)
{
	__u32 msb;

	if (ns < NST_HIST_SUB)
		return (__u32)ns;
	msb = msb64(ns);
	if (msb > 33)
		return NST_HIST_SLOTS - 1;
	return (msb - 2) * NST_HIST_SUB + ((ns >> (msb - 3)) & (NST_HIST_SUB - 1));
}

/* A new key's histogram may not be allocatable at that moment (2 KB per
 * CPU, in softirq, when several keys are new at once): the sample goes to
 * user space instead (nst_lat_event), which makes the key; only a full
 * ring buffer loses it, counted apart from the exact counters' losses. */
static __always_inline void hist_add(void *map, __u32 which, const void *key, __u64 ns)
{
	__u32 z = 0;
	struct nst_hist *h = bpf_map_lookup_elem(map, key), *zero;
	struct nst_lat_event *e;

	if (!h && (zero = bpf_map_lookup_elem(&zero_hist, &z))) {
		bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
		h = bpf_map_lookup_elem(map, key);
	}
	if (!h) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e) {
			stat_inc(NST_STAT_LAT_LOST);
			return;
		}
		e->ns = ns;
		e->type = NST_EV_LATENCY;
		e->map = which;
		if (which == NST_LATMAP_HOP)
			__builtin_memcpy(&e->key.hop, key, sizeof(e->key.hop));
		else
			__builtin_memcpy(&e->key.pair, key, sizeof(e->key.pair));
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
		return;
	}
	h->count += 1;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->slot[hist_slot(ns) & (NST_HIST_SLOTS - 1)] += 1;
}

static __always_inline __u32 addr_owner(__u8 family, const __u8 *addr)
{
	struct nst_addr_key k = { .family = family };
	__u32 *ns;

	__builtin_memcpy(k.addr, addr, 16);
	ns = bpf_map_lookup_elem(&local_addrs, &k);
	return ns ? *ns : 0;
}

static __always_inline int echo_request(const struct nst_pid *p)
{
	return (p->proto == NST_IPPROTO_ICMP && (__u8)p->c == 8) ||
	       (p->proto == NST_IPPROTO_ICMPV6 && (__u8)p->c == 128);
}

static __always_inline int echo_reply(const struct nst_pid *p)
{
	return (p->proto == NST_IPPROTO_ICMP && (__u8)p->c == 0) ||
	       (p->proto == NST_IPPROTO_ICMPV6 && (__u8)p->c == 129);
}

/* The key of a round trip, from the client's side: KIND, client -> server. */
static __always_inline void rtt_key(struct nst_stamp_key *k, const struct nst_pid *p, __u32 kind,
				    int reply)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->ifindex = kind;
	k->p.family = p->family;
	k->p.proto = p->proto;
	__builtin_memcpy(k->p.src, reply ? p->dst : p->src, 16);
	__builtin_memcpy(k->p.dst, reply ? p->src : p->dst, 16);
	if (kind == NST_RTT_HANDSHAKE)
		k->p.c = reply ? (p->c >> 16) | (p->c << 16) : p->c;
	else
		k->p.a = p->a;   /* echo id and sequence */
}

/* A packet leaving its sender: start a round trip if it is a SYN or an
 * echo request. */
static __always_inline void rtt_start(const struct nst_pid *p, __u32 netns, __u64 now)
{
	struct nst_stamp st = { .ts = now, .first_ts = now, .netns = netns };
	struct nst_stamp_key k;

	if (p->proto == NST_IPPROTO_TCP && (p->tcp_flags & (NST_TCP_SYN | NST_TCP_ACK)) == NST_TCP_SYN)
		rtt_key(&k, p, NST_RTT_HANDSHAKE, 0);
	else if (echo_request(p))
		rtt_key(&k, p, NST_RTT_ECHO, 0);
	else
		return;
	st.first_netns = addr_owner(p->family, p->dst);
	bpf_map_update_elem(&stamps, &k, &st, BPF_ANY);
}

/* A packet delivered to NETNS: the end of a round trip if it answers one. */
static __always_inline void rtt_end(const struct nst_pid *p, __u32 netns, __u64 now)
{
	struct nst_pair_key x = { .src_netns = netns };
	struct nst_stamp *st;
	struct nst_stamp_key k;

	if (p->proto == NST_IPPROTO_TCP && (p->tcp_flags & (NST_TCP_SYN | NST_TCP_ACK)) == (NST_TCP_SYN | NST_TCP_ACK)) {
		rtt_key(&k, p, NST_RTT_HANDSHAKE, 1);
		x.kind = NST_LAT_HANDSHAKE;
	} else if (echo_reply(p)) {
		rtt_key(&k, p, NST_RTT_ECHO, 1);
		x.kind = NST_LAT_ECHO;
	} else {
		return;
	}
	st = bpf_map_lookup_elem(&stamps, &k);
	if (!st || st->netns != netns || now - st->ts > STAMP_MAX_NS * 10)
		return;
	x.dst_netns = st->first_netns;
	hist_add(&pair_hist, NST_LATMAP_PAIR, &x, now - st->ts);
	bpf_map_delete_elem(&stamps, &k);
}

static __always_inline void hop_add(const struct nst_stamp *from, __u32 netns, __u32 ifindex,
				    __u32 dir, __u64 now)
{
	struct nst_hop_key h = { .from_netns = from->netns, .from_ifindex = from->ifindex,
				 .from_dir = from->dir, .to_netns = netns, .to_ifindex = ifindex,
				 .to_dir = dir };

	hist_add(&hop_hist, NST_LATMAP_HOP, &h, now - from->ts);
}

/* One packet in MASK + 1, by a hash of bytes that no hop changes. */
static __always_inline int lat_pick(__u32 x, __u32 l4, __u32 mask)
{
	x ^= l4;
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	return !(x & mask);
}

/* A flow-hashed pick's place in this window's cap (NST_LAT_CAP). */
static __always_inline int lat_take_flow(void)
{
	__u32 z = 0;
	struct nst_lat_load *l = bpf_map_lookup_elem(&lat_load, &z);

	if (!l || l->by_flow >= NST_LAT_CAP)
		return 0;
	l->by_flow += 1;
	return 1;
}

/* An IPv4 UDP datagram (IP, the 20 bytes of its header, no options) is
 * picked from its IP header alone, so that no port copies its UDP header
 * out: a bridge pulls only the IP header of a frame that came in
 * fragments, and that copy was most of what latency cost a flood of such
 * frames. By its id when set (a connected socket's, or one without DF);
 * else (unconnected sockets with DF send id 0) by its addresses and
 * length, which time such datagrams of one size between two addresses all
 * or none: lat_take_flow caps them. */
static __always_inline int lat_udp4(const __u8 *ip, __u32 mask)
{
	__u32 x = *(const __u32 *)(ip + 4);   /* id, fragment word */

	if (x & bpf_htonl(0xffff0000))
		return lat_pick(x, 0, mask);
	return lat_pick(x ^ *(const __u32 *)(ip + 12),
			*(const __u32 *)(ip + 16) ^ *(const __u16 *)(ip + 2), mask) &&
	       lat_take_flow();
}

/* The per-CPU budget: the mask lat_pick uses under load, 0 when every
 * packet is timed, -1 without the map. Every 128 passes on this CPU, the
 * rate of the last window sets it. */
static __always_inline long lat_mask(void)
{
	__u32 z = 0, mask;
	struct nst_lat_load *l = bpf_map_lookup_elem(&lat_load, &z);

	if (!l)
		return -1;
	l->passes += 1;
	if (!(l->passes & 127)) {
		__u64 now = bpf_ktime_get_ns(), span = now - l->window;

		if (span >= NST_LAT_WINDOW_NS) {
			/* passes per window at this rate, halved until under budget */
			__u64 per = span > NST_LAT_WINDOW_NS * 64 ? 0 :
				    (__u64)l->passes * NST_LAT_WINDOW_NS / span;

			mask = 0;
			for (int i = 0; i < 12 && (per >> i) > NST_LAT_BUDGET; i++)
				mask = (mask << 1) | 1;
			l->mask = mask;
			l->passes = 0;
			l->by_flow = 0;
			l->window = now;
			if (mask) {
				__u32 idx = NST_STAT_LAT_MASK;
				__u64 *m = bpf_map_lookup_elem(&stats, &idx);

				if (m && *m < mask)
					*m = mask;
			}
		}
	}
	return l->mask;
}

/* What count_port does with a frame beyond the linear part. */
#define LOOK_TIME 1   /* time it (latency) */
#define LOOK_ICMP 2   /* an ICMP or ICMPv6 message: icmp_on_wire */

/* look_copied's MASK when its caller has not asked lat_mask yet. */
#define LAT_ASK (-2L)

/* For a frame whose headers are not in the linear part: the same bytes
 * as lat_wanted's, copied out in one call, which also gives the protocol.
 * MASK: lat_mask's answer if the caller has it (each pass counts once in
 * the budget), else LAT_ASK.
 * A function of its own: its buffer is never on the stack with time_port's. */
static __noinline int look_copied(struct __sk_buff *ctx, long mask)
{
	__u8 h[56];
	int flags = 1, v4 = 1, icmp = 0, t;   /* flags: the TCP flags byte was copied too */
	__u8 proto;

	if (ctx->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(ctx, ETH_HLEN, h, 34)) {
			if (bpf_skb_load_bytes(ctx, ETH_HLEN, h, 28))
				return LOOK_ICMP | LOOK_TIME;
			flags = 0;
		}
		proto = h[9];
		icmp = proto == NST_IPPROTO_ICMP ? LOOK_ICMP : 0;
	} else if (ctx->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(ctx, ETH_HLEN, h, 54)) {
			if (bpf_skb_load_bytes(ctx, ETH_HLEN, h, 48))
				return LOOK_ICMP | LOOK_TIME;
			flags = 0;
		}
		v4 = 0;
		proto = h[6];
		icmp = proto == NST_IPPROTO_ICMPV6 ? LOOK_ICMP : 0;
	} else {
		return 0;
	}
	if (!cfg.latency)
		return icmp;
	if (mask == LAT_ASK)
		mask = lat_mask();
	if (mask <= 0)
		return icmp | (mask ? 0 : LOOK_TIME);
	if (v4 && h[0] != 0x45)
		t = 1;
	else if (v4 && proto == NST_IPPROTO_UDP)
		return icmp | (lat_udp4(h, mask) ? LOOK_TIME : 0);
	else if (proto == NST_IPPROTO_TCP)
		t = !flags || (h[v4 ? 33 : 53] & NST_TCP_SYN);
	else if (icmp && (v4 ? h[20] == 8 || h[20] == 0 : h[40] == 128 || h[40] == 129))
		t = 1;
	else
		t = 0;
	if (!t)
		t = v4 ? lat_pick(*(__u32 *)(h + 4), *(__u32 *)(h + 24), mask) :
			 lat_pick(*(__u32 *)h & bpf_htonl(0x000fffff), *(__u32 *)(h + 44), mask);
	return icmp | (t ? LOOK_TIME : 0);
}

/* Under load, is this frame one of the timed ones? Decided before any
 * parsing, from the per-CPU budget first (no packet byte read while every
 * pass is timed), then from bytes at fixed places that no bridge or router
 * changes (IPv4 id and fragment word, or IPv6 flow label; L4 bytes 4-7:
 * TCP seq, UDP length and checksum, ICMP id and sequence; an IPv4 UDP
 * datagram: its IP header alone, see lat_udp4), read in place or,
 * where they are not in the linear part, copied out (the L4 bytes alone,
 * or look_copied): so a packet is timed on every port or on none, whatever
 * its layout there. Round trips (SYN, echo) always are, and so are IPv4
 * packets with options. */
static __always_inline int lat_wanted(struct __sk_buff *ctx, void *data, void *end)
{
	__u32 x, l4;
	long mask = lat_mask();
	__u8 proto, first;

	if (mask <= 0)
		return !mask;
	if (ctx->protocol == bpf_htons(ETH_P_IP)) {
		__u8 *ip = data + ETH_HLEN, b[16];

		if ((void *)(ip + 20) > end)
			return look_copied(ctx, mask) & LOOK_TIME;
		if (ip[0] != 0x45)
			return 1;
		proto = ip[9];
		if (proto == NST_IPPROTO_UDP)
			return lat_udp4(ip, mask);
		x = *(__u32 *)(ip + 4);                    /* id, fragment word */
		/* Where only the IP header is linear, the L4 bytes are copied. */
		if (proto == NST_IPPROTO_TCP) {
			if ((void *)(ip + 34) <= end) {
				if (ip[33] & NST_TCP_SYN)
					return 1;
				l4 = *(__u32 *)(ip + 24);
			} else {
				if (bpf_skb_load_bytes(ctx, ETH_HLEN + 20, b, 14) ||
				    (b[13] & NST_TCP_SYN))
					return 1;
				l4 = *(__u32 *)(b + 4);
			}
			return lat_pick(x, l4, mask);
		}
		if ((void *)(ip + 28) <= end) {
			first = ip[20];
			l4 = *(__u32 *)(ip + 24);
		} else {
			if (bpf_skb_load_bytes(ctx, ETH_HLEN + 20, b, 8))
				return 1;
			first = b[0];
			l4 = *(__u32 *)(b + 4);
		}
		if (proto == NST_IPPROTO_ICMP && (first == 8 || first == 0))
			return 1;
	} else if (ctx->protocol == bpf_htons(ETH_P_IPV6)) {
		__u8 *ip6 = data + ETH_HLEN;

		if ((void *)(ip6 + 48) > end)
			return look_copied(ctx, mask) & LOOK_TIME;
		proto = ip6[6];
		first = ip6[40];
		x = *(__u32 *)ip6 & bpf_htonl(0x000fffff);  /* flow label */
		l4 = *(__u32 *)(ip6 + 44);
		if (proto == NST_IPPROTO_TCP) {
			if ((void *)(ip6 + 54) > end)
				return look_copied(ctx, mask) & LOOK_TIME;
			if (ip6[53] & NST_TCP_SYN)
				return 1;
		} else if (proto == NST_IPPROTO_ICMPV6 && (first == 128 || first == 129)) {
			return 1;
		}
	} else {
		return 0;
	}
	return lat_pick(x, l4, mask);
}

/* The hop from the last sighting to this one, and the stamp for the
 * next: at a veth's far end (egress) or in this namespace (ingress). */
static __noinline void time_port(struct __sk_buff *ctx, __u32 netns, __u32 dir)
{
	struct nst_stamp *s, st = {};
	struct nst_stamp_key k = {};
	struct nst_port me = { .netns = netns, .ifindex = ctx->ifindex }, *peer;
	__u32 mode;
	__u64 now;

	if (tc_pid(ctx, &k.p))
		return;
	now = bpf_ktime_get_ns();
	mode = ns_mode(netns);
	if (!mode)
		return;
	if (mode == NST_NS_ADDRS && !addr_watched(k.p.family, k.p.src) &&
	    !addr_watched(k.p.family, k.p.dst))
		return;
	k.netns = netns;
	k.ifindex = dir == NST_INGRESS ? ctx->ifindex : 0;
	s = bpf_map_lookup_elem(&stamps, &k);
	if (s && now - s->ts < (dir == NST_INGRESS ? STAMP_MAX_NS : STAMP_MAX_NS_INSIDE)) {
		/* A frame a bridge floods (group destination MAC) leaves by
		 * every port: one hop "ingress port > flooded" (to ifindex 0),
		 * not one per pair of ports, so N ports make N keys, not N². */
		__u8 *eth = (void *)(long)ctx->data;
		__u32 to = ctx->ifindex;

		if (dir == NST_EGRESS && (void *)(eth + 1) <= (void *)(long)ctx->data_end &&
		    (eth[0] & 1))
			to = 0;
		hop_add(s, netns, to, dir, now);
		st.first_ts = s->first_ts;
		st.first_netns = s->first_netns;
	} else {
		s = NULL;
		st.first_ts = now;
		st.first_netns = netns;
	}
	st.ts = now;
	st.netns = netns;
	st.ifindex = ctx->ifindex;
	st.dir = dir;
	if (dir == NST_INGRESS) {
		if (s)
			bpf_map_delete_elem(&stamps, &k);
		if (addr_owner(k.p.family, k.p.dst) == netns) {   /* delivered here */
			struct nst_pair_key x = { .src_netns = st.first_netns, .dst_netns = netns,
						  .kind = NST_LAT_ONEWAY };

			if (s)
				hist_add(&pair_hist, NST_LATMAP_PAIR, &x, now - st.first_ts);
			rtt_end(&k.p, netns, now);
			return;
		}
		k.ifindex = 0;   /* on to this namespace's way out */
	} else {
		if (!s && addr_owner(k.p.family, k.p.src) == netns)
			rtt_start(&k.p, netns, now);
		peer = bpf_map_lookup_elem(&peers, &me);
		if (!peer)
			return;
		k.netns = peer->netns;
		k.ifindex = peer->ifindex;
	}
	bpf_map_update_elem(&stamps, &k, &st, BPF_ANY);
}


#endif
