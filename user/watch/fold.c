/* Folding gone and quiet keys out of the counter maps (fold.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "fold.h"
#include "hist.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524   /* the kernel's own, not in the uapi headers */
#endif

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int live_set_build(struct live_set *ls, const struct plan *p)
{
	memset(ls, 0, sizeof(*ls));
	ls->ns = malloc((p->nns ? p->nns : 1) * sizeof(*ls->ns));
	ls->ports = malloc((p->nports ? p->nports : 1) * sizeof(*ls->ports));
	if (!ls->ns || !ls->ports) {
		live_set_free(ls);
		return -1;
	}
	for (int i = 0; i < p->nns; i++)
		ls->ns[ls->nns++] = (uint32_t)p->ns[i].inode;
	for (int i = 0; i < p->nports; i++)
		ls->ports[ls->nports++] = (uint64_t)(uint32_t)p->ports[i].netns << 32 |
					  (uint32_t)p->ports[i].ifindex;
	qsort(ls->ns, ls->nns, sizeof(*ls->ns), cmp_u64);
	qsort(ls->ports, ls->nports, sizeof(*ls->ports), cmp_u64);
	return 0;
}

void live_set_free(struct live_set *ls)
{
	free(ls->ns);
	free(ls->ports);
	memset(ls, 0, sizeof(*ls));
}

int live_ns(const struct live_set *ls, uint32_t netns)
{
	uint64_t k = netns;

	return !ls->ns || bsearch(&k, ls->ns, ls->nns, sizeof(k), cmp_u64);
}

int live_port(const struct live_set *ls, uint32_t netns, uint32_t ifindex)
{
	uint64_t k = (uint64_t)netns << 32 | ifindex;

	return !ls->ports || bsearch(&k, ls->ports, ls->nports, sizeof(k), cmp_u64);
}

int gone_drop(const struct live_set *ls, const void *key)
{
	const struct nst_drop_key *k = key;

	return !live_ns(ls, k->netns);
}

int gone_reset(const struct live_set *ls, const void *key)
{
	const struct nst_reset_key *k = key;

	return !live_ns(ls, k->netns);
}

/* Seen on a port: gone with its port. */
int gone_icmp(const struct live_set *ls, const void *key)
{
	const struct nst_icmp_key *k = key;

	return !live_port(ls, k->netns, k->ifindex);
}

int gone_gen(const struct live_set *ls, const void *key)
{
	const struct nst_icmp_gen_key *k = key;

	return !live_ns(ls, k->netns);
}

/* A hop starts on a port; it ends on a port, or (flooded) in a namespace. */
int gone_hop(const struct live_set *ls, const void *key)
{
	const struct nst_hop_key *k = key;

	return !live_port(ls, k->from_netns, k->from_ifindex) ||
	       (k->to_ifindex ? !live_port(ls, k->to_netns, k->to_ifindex) : !live_ns(ls, k->to_netns));
}

int gone_pair(const struct live_set *ls, const void *key)
{
	const struct nst_pair_key *k = key;

	return !live_ns(ls, k->src_netns) || (k->dst_netns && !live_ns(ls, k->dst_netns));
}

int fold_take(int fd, const void *key, void *vals)
{
	static int no_atomic;   /* the kernel has no lookup-and-delete for hashes (< 5.14) */
	int ret;

	if (!no_atomic) {
		ret = bpf_map_lookup_and_delete_elem(fd, key, vals);
		if (!ret)
			return 0;
		if (ret != -EINVAL && ret != -ENOTSUPP && ret != -EOPNOTSUPP)
			return -1;
		no_atomic = 1;
	}
	/* Between the two a count may land in the key we then delete: only
	 * on kernels before 5.14, and only for keys quiet or gone. */
	if (bpf_map_lookup_elem(fd, key, vals))
		return -1;
	return bpf_map_delete_elem(fd, key) ? -1 : 0;
}

struct lat_pack {
	uint64_t count, sum_ns, max_ns;
	uint16_t n;
	struct {
		uint16_t slot;
		uint64_t v;
	} __attribute__((packed)) s[];
};

struct lat_pack *lat_pack_room(void)
{
	return malloc(sizeof(struct lat_pack) + NST_HIST_SLOTS * sizeof(((struct lat_pack *)0)->s[0]));
}

struct lat_pack *lat_pack_fill(struct lat_pack *p, const struct nst_hist *h)
{
	struct lat_pack *small;

	p->count = h->count;
	p->sum_ns = h->sum_ns;
	p->max_ns = h->max_ns;
	p->n = 0;
	for (int i = 0; i < NST_HIST_SLOTS; i++)
		if (h->slot[i]) {
			p->s[p->n].slot = (uint16_t)i;
			p->s[p->n++].v = h->slot[i];
		}
	small = realloc(p, lat_pack_size(p));
	return small ? small : p;
}

void lat_unpack(const struct lat_pack *p, struct nst_hist *h)
{
	if (!p)
		return;
	h->count += p->count;
	h->sum_ns += p->sum_ns;
	if (p->max_ns > h->max_ns)
		h->max_ns = p->max_ns;
	for (int i = 0; i < p->n; i++)
		h->slot[p->s[i].slot & (NST_HIST_SLOTS - 1)] += p->s[i].v;
}

size_t lat_pack_size(const struct lat_pack *p)
{
	return p ? sizeof(*p) + p->n * sizeof(p->s[0]) : 0;
}
