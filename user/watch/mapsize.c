/* The BPF maps sized from the plan before loading: a host with hundreds
 * of namespaces needs more room than the defaults in the bpf/ headers, and a
 * full counter map breaks the exact-count promise. Counter maps are
 * BPF_F_NO_PREALLOC hashes (memory follows use), so their headroom costs
 * nothing until used; the filter maps are preallocated and sized closer.
 * A map cannot grow once loaded: a re-plan that outgrows one says so. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "mapsize.h"
#include "nstrace.h"
#include "u64set.h"
#include "watch.skel.h"

struct need {
	unsigned int ports;      /* planned ports */
	unsigned int ns;         /* planned namespaces */
	unsigned int addrs;      /* the targets' addresses */
	unsigned int links;      /* every link of every namespace (peers) */
	unsigned int laddrs;     /* every address of every namespace */
	unsigned int allns;      /* every namespace on the host */
};

static void count(const struct plan *p, const struct live_topo *lt, struct need *n)
{
	n->ports = (unsigned int)p->nports;
	n->ns = (unsigned int)p->nns;
	n->addrs = (unsigned int)p->naddrs;
	n->links = n->laddrs = 0;
	n->allns = (unsigned int)lt->nns;
	for (int i = 0; i < lt->nns; i++) {
		n->links += (unsigned int)lt->ns[i].nlinks;
		for (int l = 0; l < lt->ns[i].nlinks; l++)
			n->laddrs += (unsigned int)lt->ns[i].links[l].naddrs;
	}
}

static unsigned int at_least(unsigned int floor, unsigned int want)
{
	return want > floor ? want : floor;
}

/* What each map needs for N, with headroom for a re-plan (containers
 * started while watching) and for keys of several kinds per port. A hop
 * is a veth crossing (one per port and direction), a namespace's own path
 * from an ingress port to one egress port, or, for a frame a bridge
 * floods, to "flooded" (one key per ingress port, not one per pair of
 * ports): 16 per port leaves room for unicast traffic between many pairs. */
static void sizes(const struct need *n, struct map_size *out, int *nout)
{
	struct map_size v[] = {
		{ "netns_mode", at_least(4096, 4 * n->allns + 256) },
		{ "watched_addrs", at_least(4096, 4 * n->addrs) },
		/* preallocated (below): closer to the need, creation costs ~1 ms
		 * per 1,000 entries on 2 CPUs */
		{ "drops", at_least(16384, 16 * n->allns) },
		{ "ports", at_least(4096, 4 * n->ports) },
		{ "resets", at_least(4096, 4 * n->allns) },
		{ "icmp_wire", at_least(4096, 2 * n->ports) },
		{ "icmp_gen", at_least(4096, 4 * n->allns) },
		{ "sampled", at_least(16384, 8 * n->ports) },
		{ "peers", at_least(8192, 4 * n->links) },
		{ "local_addrs", at_least(8192, 4 * n->laddrs) },
		{ "hop_hist", at_least(2048, 16 * n->ports) },
		{ "pair_hist", at_least(2048, 16 * n->allns) },
	};

	*nout = 0;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]) && i < MAPSIZE_MAX; i++)
		out[(*nout)++] = v[i];
}

/* Counter maps whose values are small: preallocated. A BPF_F_NO_PREALLOC
 * map allocates each new key's per-CPU value from the program, in softirq,
 * and that fails with ENOMEM when many keys are new at once: 200 namespaces'
 * IPv6 autoconfiguration flooded over one bridge lost 17,000 counts so
 * (kernel 6.18). The histograms (2 KB per CPU each) stay allocated on use. */
static const char *const prealloc[] = { "drops", "ports", "resets", "icmp_wire", "icmp_gen" };

int mapsize_apply(struct watch_bpf *skel, const struct plan *p, const struct live_topo *lt)
{
	struct map_size v[MAPSIZE_MAX];
	struct need n;
	int nv, ret;

	for (size_t i = 0; i < sizeof(prealloc) / sizeof(prealloc[0]); i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, prealloc[i]);

		if (m && (ret = bpf_map__set_map_flags(m, bpf_map__map_flags(m) & ~BPF_F_NO_PREALLOC)))
			return ret;
	}
	count(p, lt, &n);
	sizes(&n, v, &nv);
	for (int i = 0; i < nv; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, v[i].name);

		if (!m || bpf_map__max_entries(m) >= v[i].entries)
			continue;
		if ((ret = bpf_map__set_max_entries(m, v[i].entries)))
			return ret;
		pr_debug("map %s sized for %u ports, %u namespaces: %u entries\n", v[i].name,
			 n.ports, n.allns, v[i].entries);
	}
	return 0;
}

int mapsize_outgrown(struct watch_bpf *skel, const struct plan *p, const struct live_topo *lt,
		     char *buf, size_t len)
{
	struct map_size v[MAPSIZE_MAX];
	struct need n;
	size_t off = 0;
	int nv, out = 0;

	buf[0] = 0;
	count(p, lt, &n);
	sizes(&n, v, &nv);
	for (int i = 0; i < nv; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, v[i].name);
		unsigned int have = m ? bpf_map__max_entries(m) : 0;

		/* The sizes carry 2x headroom or more: outgrown once it is used up. */
		if (!m || (uint64_t)have * 2 >= v[i].entries)
			continue;
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%s (%u entries)",
				out ? ", " : "", v[i].name, have);
		out++;
	}
	return out;
}


/* Forget what namespaces that are gone left in the filter and latency
 * maps (containers come and go: the maps stay as large as the host).
 * KSZ-byte keys; the namespace is the key's first u32, or (BY_VALUE) the
 * u32 value. */
static void prune(int fd, size_t ksz, int by_value, const uint64_t *live, size_t nlive)
{
	unsigned char key[64], next[64];
	int more = !bpf_map_get_next_key(fd, NULL, key);

	while (more) {
		uint32_t v;
		uint64_t ns;

		/* The next key first: a deleted key's successor is not found. */
		more = !bpf_map_get_next_key(fd, key, next);
		if (by_value ? !bpf_map_lookup_elem(fd, key, &v) : (memcpy(&v, key, sizeof(v)), 1)) {
			ns = v;
			if (!u64_has(live, nlive, ns))
				bpf_map_delete_elem(fd, key);
		}
		memcpy(key, next, ksz);
	}
}

/* netns_fast's slots held by one namespace that is gone (see NST_NS_SLOT)
 * are free again: a drop counted in a slot of the drop_slots array under
 * a gone namespace then gives the slot up to the next key that needs it
 * (bpf/counters.bpf.h), and the namespace's next owner of that inode is
 * not taken for watched. Shared slots stay shared (netns_mode decides). */
static void prune_fast(int fd, const uint64_t *live, size_t nlive)
{
	for (uint32_t slot = 0; fd >= 0 && slot < NST_NS_SLOTS; slot++) {
		uint64_t v, ns, zero = 0;

		if (bpf_map_lookup_elem(fd, &slot, &v) || !v || v >> 32 == NST_NS_ASK)
			continue;
		ns = (uint32_t)v;
		if (!u64_has(live, nlive, ns))
			bpf_map_update_elem(fd, &slot, &zero, BPF_ANY);
	}
}

void mapsize_prune(struct watch_bpf *skel, const struct plan *p, const struct live_topo *lt)
{
	uint64_t *live = calloc(lt->nns + p->nns + 1, sizeof(*live));
	size_t n = 0;

	if (!live)
		return;
	for (int i = 0; i < p->nns; i++)
		live[n++] = (uint32_t)p->ns[i].inode;
	u64_sort(live, n);
	prune(bpf_map__fd(skel->maps.netns_mode), sizeof(uint32_t), 0, live, n);
	prune_fast(bpf_map__fd(skel->maps.netns_fast), live, n);
	for (int i = 0; i < lt->nns; i++)
		live[n++] = (uint32_t)lt->ns[i].inode;
	u64_sort(live, n);
	prune(bpf_map__fd(skel->maps.peers), sizeof(struct nst_port), 0, live, n);
	prune(bpf_map__fd(skel->maps.local_addrs), sizeof(struct nst_addr_key), 1, live, n);
	free(live);
}
