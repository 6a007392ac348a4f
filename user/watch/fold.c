/* Folding gone and quiet keys out of the counter maps (fold.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fold.h"
#include "hist.h"
#include "u64set.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524   /* the kernel's own, not in the uapi headers */
#endif


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
	u64_sort(ls->ns, ls->nns);
	u64_sort(ls->ports, ls->nports);
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

	return !ls->ns || u64_has(ls->ns, ls->nns, k);
}

int live_port(const struct live_set *ls, uint32_t netns, uint32_t ifindex)
{
	uint64_t k = (uint64_t)netns << 32 | ifindex;

	return !ls->ports || u64_has(ls->ports, ls->nports, k);
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

void *fold_grow(void *arr, int n, size_t sz)
{
	void *v = arr;

	if (!(n & (n - 1)) && !(v = realloc(arr, (n ? 2 * (size_t)n : 1) * sz)))
		return NULL;
	memset((char *)v + n * sz, 0, sz);
	return v;
}

/* The row whose leading KSZ bytes are KEY, added if new (rows hold their
 * key first). NULL only when out of memory. */
void *fold_row_for(void **rows, int *n, size_t rowsz, const void *key, size_t ksz)
{
	char *v;

	for (int i = 0; i < *n; i++)
		if (!memcmp((char *)*rows + i * rowsz, key, ksz))
			return (char *)*rows + i * rowsz;
	v = fold_grow(*rows, *n, rowsz);
	if (!v)
		return NULL;
	*rows = v;
	v += (*n)++ * rowsz;
	memcpy(v, key, ksz);
	return v;
}

int fold_ncpus(void)
{
	static int n;

	if (!n)
		n = libbpf_num_possible_cpus();
	return n > 0 ? n : 1;
}

uint32_t fold_read_counts(const struct count_map *m, void **rows, int *nrows,
			  const struct live_set *ls, double now, uint64_t *folded)
{
	uint32_t used = 0;
	int n = fold_ncpus(), nfold = 0, more;
	unsigned char key[128], next[128];
	uint64_t vals[n];

#define COUNT(row) ((uint64_t *)((char *)(row) + m->count_off))
#define FOLDED(row) ((struct folded *)((char *)(row) + m->fold_off))
	for (int i = 0; i < *nrows; i++) {
		char *row = (char *)*rows + i * m->rowsz;

		*COUNT(row) = FOLDED(row)->base;
	}
	for (more = !bpf_map_get_next_key(m->fd, NULL, next); more;) {
		uint64_t sum = 0;
		char *row;
		int fold;

		memcpy(key, next, m->ksz);
		more = !bpf_map_get_next_key(m->fd, key, next);
		used++;
		if (bpf_map_lookup_elem(m->fd, key, vals) ||
		    !(row = fold_row_for(rows, nrows, m->rowsz, key, m->ksz)))
			continue;
		fold = nfold < FOLD_PER_READ &&
		       (m->gone(ls, key) ||
			(FOLDED(row)->moved && now - FOLDED(row)->moved >= FOLD_QUIET_S)) &&
		       !fold_take(m->fd, key, vals);
		for (int c = 0; c < n; c++)
			sum += vals[c];
		*COUNT(row) += sum;
		if (fold) {
			FOLDED(row)->base += sum;
			nfold++;
			used--;
		}
	}
	for (int i = 0; i < *nrows; i++) {
		char *row = (char *)*rows + i * m->rowsz;
		struct folded *f = FOLDED(row);

		if (*COUNT(row) != f->last || !f->moved) {
			f->last = *COUNT(row);
			f->moved = now;
		}
	}
#undef COUNT
#undef FOLDED
	*folded += (uint64_t)nfold;
	return used;
}

const struct nst_hist *stats_hist(const struct lat_row *r)
{
	static struct nst_hist scratch;

	memset(&scratch, 0, sizeof(scratch));
	lat_unpack(r->all ? r->all : r->apart, &scratch);
	return &scratch;
}

/* Latency row R with its key's per-CPU histograms VALS added to what is
 * held apart, packed into ROOM (lat_pack_room) that becomes *INTO. */
static void pack_sum(struct lat_row *r, const struct nst_hist *vals, int n,
		     struct lat_pack *room, struct lat_pack **into)
{
	static struct nst_hist sum;   /* 2 KB: not on the stack */

	memset(&sum, 0, sizeof(sum));
	lat_unpack(r->apart, &sum);
	for (int c = 0; c < n; c++)
		hist_merge(&sum, &vals[c]);
	r->count = sum.count;
	free(*into);
	*into = lat_pack_fill(room, &sum);
}

/* Key KEY of latency row R is gone: taken out of FD into what is held
 * apart (the memory found first: nothing taken out is then lost). */
static int fold_hist(struct lat_row *r, int fd, const void *key, struct nst_hist *vals, int n)
{
	struct lat_pack *room = lat_pack_room();

	if (!room || fold_take(fd, key, vals)) {
		free(room);
		return -1;
	}
	pack_sum(r, vals, n, room, &r->apart);
	free(r->all);
	r->all = NULL;
	return 0;
}

/* The row of latency key KEY (at KEY_OFF in each row), added if new. */
static struct lat_row *lat_row_for(struct lat_row **rows, int *nrows, const void *key,
				   size_t ksz, size_t key_off)
{
	struct lat_row *v;

	for (int i = 0; i < *nrows; i++)
		if (!memcmp((char *)&(*rows)[i] + key_off, key, ksz))
			return &(*rows)[i];
	v = fold_grow(*rows, *nrows, sizeof(*v));
	if (!v)
		return NULL;
	*rows = v;
	v = &v[(*nrows)++];
	memcpy((char *)v + key_off, key, ksz);
	return v;
}

/* Sample NS of KEY that the kernel could not put in FD (nst_lat_event):
 * added to its row apart from the map, and the key made if the last read
 * did not find it, so the next samples land in the map (a full map keeps
 * refusing: its samples go on arriving here). 0, or -ENOMEM. */
int fold_lat_sample(int fd, size_t ksz, struct lat_row **rows, int *nrows, size_t key_off,
		    const void *key, uint64_t ns)
{
	static struct nst_hist h;   /* 2 KB: not on the stack */
	struct lat_row *r = lat_row_for(rows, nrows, key, ksz, key_off);
	struct lat_pack *room = lat_pack_room(), *all = lat_pack_room();
	int n = fold_ncpus();
	void *zero;

	if (!r || !room || !all) {
		free(room);
		free(all);
		return -ENOMEM;
	}
	memset(&h, 0, sizeof(h));
	hist_add_sample(&h, ns);
	lat_unpack(r->apart, &h);
	free(r->apart);
	r->apart = lat_pack_fill(room, &h);
	if (r->all) {   /* the sum read last, with the sample: until the next read */
		memset(&h, 0, sizeof(h));
		lat_unpack(r->all, &h);
		hist_add_sample(&h, ns);
		free(r->all);
		r->all = lat_pack_fill(all, &h);
	} else {
		free(all);
	}
	r->count += 1;
	/* Not in the map at the last read: made here (the kernel's allocator
	 * may refuse here too; then the next sample comes apart as well). */
	if (!r->all && (zero = calloc(n, sizeof(struct nst_hist)))) {
		bpf_map_update_elem(fd, key, zero, BPF_NOEXIST);
		free(zero);
	}
	return 0;
}

/* A per-CPU histogram map into ROWS, the key at KEY_OFF in each row. Keys
 * whose port or namespace is gone are folded into their rows (packed). */
uint32_t fold_read_hists(int fd, size_t ksz, struct lat_row **rows, int *nrows, size_t key_off,
			 const struct live_set *ls,
			 int (*gone)(const struct live_set *ls, const void *key), uint64_t *folded)
{
	int n = fold_ncpus(), nfold = 0, more;
	unsigned char key[64], next[64];
	struct nst_hist *vals = calloc(n, sizeof(*vals));
	uint32_t used = 0;

	if (!vals)
		return 0;
	for (more = !bpf_map_get_next_key(fd, NULL, next); more;) {
		struct lat_pack *room;
		struct lat_row *r;

		memcpy(key, next, ksz);
		more = !bpf_map_get_next_key(fd, key, next);
		used++;
		if (bpf_map_lookup_elem(fd, key, vals) ||
		    !(r = lat_row_for(rows, nrows, key, ksz, key_off)))
			continue;
		if (nfold < FOLD_PER_READ && gone(ls, key) && !fold_hist(r, fd, key, vals, n)) {
			nfold++;
			used--;
			continue;
		}
		if ((room = lat_pack_room()))   /* out of memory: the last read's stays */
			pack_sum(r, vals, n, room, &r->all);
	}
	free(vals);
	*folded += (uint64_t)nfold;
	return used;
}
