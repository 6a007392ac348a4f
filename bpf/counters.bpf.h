/* watch's exact counters, the namespace and flow filters, and the
 * sampled stories (one per sample key per interval) into the ring buffer.
 * Included by watch.bpf.c only, after what it names. */
#ifndef NST_COUNTERS_BPF_H
#define NST_COUNTERS_BPF_H

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);               /* netns inode */
	__type(value, __u32);             /* enum nst_ns_mode */
} netns_mode SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct nst_addr_key);
	__type(value, __u8);
} watched_addrs SEC(".maps");

/* netns_mode's first test, for programs that run for every packet of the
 * host (kfree_skb): an array slot, no hashing (see NST_NS_SLOT). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NST_NS_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} netns_fast SEC(".maps");

/* Drop counters by slot, per CPU (see NST_DROP_SLOT). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NST_DROP_SLOTS);
	__type(key, __u32);
	__type(value, struct nst_drop_slot);
} drop_slots SEC(".maps");

/* watched_addrs' first test (see NST_ADDR_SLOT). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NST_ADDR_SLOTS);
	__type(key, __u32);
	__type(value, struct nst_addr_slot);
} addr_fast SEC(".maps");

/* Port counters by slot (see NST_PORT_SLOT); "ports" has the others. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NST_PORT_SLOTS);
	__type(key, __u32);
	__type(value, struct nst_port_slot);
} port_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);   /* fast to create: attach time counts */
	__uint(max_entries, 16384);
	__type(key, struct nst_drop_key);
	__type(value, struct nst_drop_val);
} drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct nst_port_key);
	__type(value, struct nst_port_val);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct nst_reset_key);
	__type(value, __u64);
} resets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct nst_icmp_key);
	__type(value, __u64);
} icmp_wire SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct nst_icmp_gen_key);
	__type(value, __u64);
} icmp_gen SEC(".maps");

/* When each key last told a story. LRU: forgetting only means one more. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct nst_sample_key);
	__type(value, __u64);
} sampled SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NST_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

/* The per-CPU counter for KEY, created from ZERO on first use. Another
 * CPU may create it first (then our insert fails): look again before
 * calling the map full. */
static __always_inline void *counter(void *map, const void *key, const void *zero)
{
	void *v = bpf_map_lookup_elem(map, key);

	if (v)
		return v;
	bpf_map_update_elem(map, key, zero, BPF_NOEXIST);
	v = bpf_map_lookup_elem(map, key);
	if (!v)
		stat_inc(NST_STAT_MAP_FULL);
	return v;
}

static __always_inline void count_u64(void *map, const void *key)
{
	__u64 zero = 0, *v = counter(map, key, &zero);

	if (v)
		*v += 1;
}

/* A jiffy is 10 ms at most (HZ >= 100): what remains of a quiet time
 * in ns is at least this many jiffies. */
#define NS_PER_JIFFY_MAX 10000000ULL
/* How NETNS is watched (enum nst_ns_mode), 0 when it is not. */
static __always_inline __u32 ns_mode(__u32 netns)
{
	__u32 slot = NST_NS_SLOT(netns), *mode;
	__u64 *e = bpf_map_lookup_elem(&netns_fast, &slot), v;

	if (!e)
		return 0;
	v = *e;
	if ((__u32)v == netns)
		return v >> 32;
	if (v >> 32 != NST_NS_ASK)
		return 0;
	mode = bpf_map_lookup_elem(&netns_mode, &netns);
	return mode ? *mode : 0;
}

/* Slot S holds the key of a namespace no longer watched (gone: user space
 * took it out of netns_mode and netns_fast): its counts move into "drops",
 * where user space folds them into their row, and the slot is free. 0
 * when "drops" has no room for them (the slot then stays as it is). Only
 * this CPU writes its copy of the slot, so nothing counted is lost. */
static __always_inline int drop_slot_free(struct nst_drop_slot *s, const struct nst_drop_val *zero)
{
	struct nst_drop_val *v = bpf_map_lookup_elem(&drops, &s->k);

	if (!v) {
		bpf_map_update_elem(&drops, &s->k, zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&drops, &s->k);
		if (!v)
			return 0;
	}
	v->packets += s->v.packets;
	v->segs += s->v.segs;
	v->bytes += s->v.bytes;
	s->v = *zero;
	s->k.location = 0;
	return 1;
}

/* The counters of drop key K on this CPU: its slot if this CPU gave it
 * one (or does now: the slot is free, or its key's namespace is gone),
 * else in "drops". */
static __always_inline struct nst_drop_val *drop_counter(const struct nst_drop_key *k,
							 const struct nst_drop_val *zero)
{
	__u32 slot = NST_DROP_SLOT(k->netns, k->ifindex, k->reason, k->location);
	struct nst_drop_slot *s = bpf_map_lookup_elem(&drop_slots, &slot);

	if (!s)
		return counter(&drops, k, zero);
	if (s->k.location == k->location && s->k.netns == k->netns &&
	    s->k.ifindex == k->ifindex && s->k.reason == k->reason)
		return &s->v;
	if (s->k.location && (ns_mode(s->k.netns) || !drop_slot_free(s, zero)))
		return counter(&drops, k, zero);
	s->k = *k;   /* user space reads every slot: no allocation to fail */
	return &s->v;
}

/* The counters of port NETNS:IFINDEX in direction DIR: its own slot if it
 * has one, else in "ports". */
static __always_inline struct nst_port_val *port_counter(__u32 netns, __u32 ifindex, __u32 dir)
{
	struct nst_port_key k = { .netns = netns, .ifindex = ifindex, .dir = dir };
	struct nst_port_val zero = {};
	__u32 slot = NST_PORT_SLOT(netns, ifindex);
	struct nst_port_slot *s = bpf_map_lookup_elem(&port_slots, &slot);

	if (s && s->netns == netns && s->ifindex == ifindex)
		return &s->v[dir & 1];
	return counter(&ports, &k, &zero);
}

static __always_inline int addr_watched(__u32 family, const __u8 *addr)
{
	struct nst_addr_key k = { .family = family };
	struct nst_addr_slot *e;
	__u32 w[4], slot;

	__builtin_memcpy(w, addr, 16);
	slot = NST_ADDR_SLOT(family, w[0], w[1], w[2], w[3]);
	e = bpf_map_lookup_elem(&addr_fast, &slot);
	if (!e || e->state == NST_ADDR_FREE)
		return 0;
	if (e->state == NST_ADDR_OWN) {
		const __u32 *o = (const __u32 *)e->k.addr;

		return e->k.family == family && o[0] == w[0] && o[1] == w[1] && o[2] == w[2] &&
		       o[3] == w[3];
	}
	__builtin_memcpy(k.addr, w, 16);
	return bpf_map_lookup_elem(&watched_addrs, &k) != NULL;
}

static __always_inline int prefix_match(const __u8 *a)
{
	__u32 plen = cfg.f_plen;

#pragma unroll
	for (int i = 0; i < 16; i++) {
		__u8 mask;

		if (plen >= 8) {
			mask = 0xff;
			plen -= 8;
		} else {
			mask = (__u8)(0xff << (8 - plen));
			plen = 0;
		}
		if ((a[i] ^ cfg.f_addr[i]) & mask)
			return 0;
	}
	return 1;
}

/* Is this packet, in a namespace watched with MODE, one we report? */
static __always_inline int flow_wanted(__u32 mode, const struct nst_flow *f)
{
	if (mode == NST_NS_ADDRS) {
		if (!f->family)
			return 0;
		if (!addr_watched(f->family, f->src) && !addr_watched(f->family, f->dst))
			return 0;
	}
	if (cfg.f_proto && f->proto != cfg.f_proto)
		return 0;
	if (cfg.f_port && f->sport != cfg.f_port && f->dport != cfg.f_port)
		return 0;
	if (cfg.f_family && (f->family != cfg.f_family ||
			 (!prefix_match(f->src) && !prefix_match(f->dst))))
		return 0;
	return 1;
}

/* Is a story about K due (none told in the last cfg.sample_ns)? NEXT,
 * if given, learns when one may be due again. */
static __always_inline int sample_due_next(const struct nst_sample_key *k, __u64 now,
					   __u64 *next)
{
	__u64 *last = bpf_map_lookup_elem(&sampled, k);

	if (last && now - *last < cfg.sample_ns) {
		if (next)
			*next = *last + cfg.sample_ns;
		return 0;
	}
	bpf_map_update_elem(&sampled, k, &now, BPF_ANY);
	if (next)
		*next = now + cfg.sample_ns;
	return 1;
}

static __always_inline int sample_due(const struct nst_sample_key *k, __u64 now)
{
	return sample_due_next(k, now, NULL);
}

/* Reserve and start a story; NULL (and counted) when the ring is full. */
static __always_inline struct nst_event *story(__u32 type, __u32 netns, __u32 ifindex,
					       const struct nst_flow *f, __u64 now)
{
	struct nst_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		stat_inc(NST_STAT_RB_FULL);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	e->ts = now;
	e->type = type;
	e->netns = netns;
	e->ifindex = ifindex;
	e->segs = 1;
	e->flow = *f;
	return e;
}

#endif
