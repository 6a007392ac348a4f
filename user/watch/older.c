/* The older gone namespaces and ports folded into one pseudo-namespace's
 * rows (older.h). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fold.h"
#include "hist.h"
#include "older.h"
#include "u64set.h"

int older_keep(void)
{
	static int keep;

	if (!keep) {
		const char *e = getenv("NSTRACE_GONE_KEEP");

		keep = e && atoi(e) > 0 ? atoi(e) : OLDER_KEEP;
	}
	return keep;
}


static uint64_t place_key(uint32_t netns, uint32_t ifindex)
{
	return (uint64_t)netns << 32 | ifindex;
}

/* What lives, sorted: the session's namespaces, the discovered ones, and
 * the devices of those; and (PINNED) the places a counter slot holds. */
struct alive {
	uint64_t *ns, *lt_ns, *links, *pinned, *dslots, *known;
	int nns, nlt, nlinks, npinned, ndslots, nknown;
};

static void alive_free(struct alive *a)
{
	free(a->ns);
	free(a->lt_ns);
	free(a->links);
	free(a->pinned);
	free(a->dslots);
	free(a->known);
}

static int alive_build(struct alive *a, const struct names *nm, const struct stats *st)
{
	const struct live_topo *lt = nm->lt;
	int nl = 0;

	memset(a, 0, sizeof(*a));
	if (!nm->nl || !lt)
		return -1;
	for (int i = 0; i < lt->nns; i++)
		nl += lt->ns[i].nlinks;
	a->ns = malloc((nm->nl->n + 1) * sizeof(*a->ns));
	a->lt_ns = malloc((lt->nns + 1) * sizeof(*a->lt_ns));
	a->links = malloc((nl + 1) * sizeof(*a->links));
	a->known = malloc((st->ngone + 1) * sizeof(*a->known));
	if (!a->ns || !a->lt_ns || !a->links || !a->known)
		return -1;
	for (int i = 0; i < nm->nl->n; i++)
		a->ns[a->nns++] = (uint32_t)nm->nl->v[i].inode;
	for (int i = 0; i < lt->nns; i++) {
		a->lt_ns[a->nlt++] = (uint32_t)lt->ns[i].inode;
		for (int k = 0; k < lt->ns[i].nlinks; k++)
			a->links[a->nlinks++] = place_key((uint32_t)lt->ns[i].inode,
							  (uint32_t)lt->ns[i].links[k].ifindex);
	}
	for (int i = 0; i < st->ngone; i++)
		a->known[a->nknown++] = place_key(st->gone[i].netns, st->gone[i].ifindex);
	u64_sort(a->ns, a->nns);
	u64_sort(a->lt_ns, a->nlt);
	u64_sort(a->links, a->nlinks);
	u64_sort(a->known, a->nknown);
	return 0;
}

/* The place (NETNS, IFINDEX) is in, if gone: its namespace, or (the
 * namespace lives, its devices known) its device. */
static int gone_at(const struct alive *a, uint32_t netns, uint32_t ifindex, struct gone_place *g)
{
	if (!netns || netns == NS_OLDER_GONE)
		return 0;
	if (!u64_has(a->ns, a->nns, netns)) {
		*g = (struct gone_place){ netns, 0 };
		return 1;
	}
	if (ifindex && u64_has(a->lt_ns, a->nlt, netns) &&
	    !u64_has(a->links, a->nlinks, place_key(netns, ifindex))) {
		*g = (struct gone_place){ netns, ifindex };
		return 1;
	}
	return 0;
}

/* A newly gone place joins the end of ST->gone (the newest). */
static void notice(struct stats *st, struct alive *a, uint32_t netns, uint32_t ifindex)
{
	struct gone_place g, *v;
	uint64_t k, *kv;
	int at;

	if (!gone_at(a, netns, ifindex, &g) ||
	    u64_has(a->known, a->nknown, k = place_key(g.netns, g.ifindex)))
		return;
	if (!(v = fold_grow(st->gone, st->ngone, sizeof(*v))))
		return;
	st->gone = v;
	v[st->ngone++] = g;
	if (!(kv = realloc(a->known, (a->nknown + 1) * sizeof(*kv))))
		return;
	a->known = kv;
	for (at = a->nknown; at > 0 && kv[at - 1] > k; at--)
		kv[at] = kv[at - 1];
	kv[at] = k;
	a->nknown++;
}

static void notice_all(struct stats *st, struct alive *a)
{
	for (int i = 0; i < st->ndrops; i++)
		notice(st, a, st->drops[i].k.netns, st->drops[i].k.ifindex);
	for (int i = 0; i < st->nports; i++)
		notice(st, a, st->ports[i].k.netns, st->ports[i].k.ifindex);
	for (int i = 0; i < st->nresets; i++)
		notice(st, a, st->resets[i].k.netns, st->resets[i].k.ifindex);
	for (int i = 0; i < st->nicmp; i++)
		notice(st, a, st->icmp[i].k.netns, st->icmp[i].k.ifindex);
	for (int i = 0; i < st->ngen; i++)
		notice(st, a, st->gen[i].k.netns, 0);
	for (int i = 0; i < st->nhops; i++) {
		notice(st, a, st->hops[i].hop.from_netns, st->hops[i].hop.from_ifindex);
		notice(st, a, st->hops[i].hop.to_netns, st->hops[i].hop.to_ifindex);
	}
	for (int i = 0; i < st->npairs; i++) {
		notice(st, a, st->pairs[i].pair.src_netns, 0);
		notice(st, a, st->pairs[i].pair.dst_netns, 0);
	}
}

/* The places a port slot still holds (PINNED: folded once the slot is
 * freed, two reads after the port went) and those a drop slot holds
 * (DSLOTS: held, see older_held), each as its port and its namespace. */
static void read_slots(struct alive *a, const struct stat_maps *m)
{
	int n = fold_ncpus();
	struct nst_port_slot ps[n];
	struct nst_drop_slot ds[n];

	a->pinned = malloc(2 * NST_PORT_SLOTS * sizeof(*a->pinned));
	a->dslots = malloc(2 * NST_DROP_SLOTS * (size_t)n * sizeof(*a->dslots));
	if (!a->pinned || !a->dslots)
		return;
	for (uint32_t s = 0; m->port_slots >= 0 && s < NST_PORT_SLOTS; s++)
		if (!bpf_map_lookup_elem(m->port_slots, &s, ps) && ps[0].netns) {
			a->pinned[a->npinned++] = place_key(ps[0].netns, ps[0].ifindex);
			a->pinned[a->npinned++] = place_key(ps[0].netns, 0);
		}
	for (uint32_t s = 0; m->drop_slots >= 0 && s < NST_DROP_SLOTS; s++) {
		if (bpf_map_lookup_elem(m->drop_slots, &s, ds))
			continue;
		for (int c = 0; c < n; c++)
			if (ds[c].k.location) {
				a->dslots[a->ndslots++] = place_key(ds[c].k.netns, ds[c].k.ifindex);
				a->dslots[a->ndslots++] = place_key(ds[c].k.netns, 0);
			}
	}
	u64_sort(a->pinned, a->npinned);
	u64_sort(a->dslots, a->ndslots);
}

/* A port attached and gone between two reads got a slot but never a row:
 * the slot is freed (its counts kept) only through a row (stats.c), so it
 * gets one, and its place is noticed. */
static void adopt_slots(struct stats *st, struct alive *a)
{
	struct gone_place g;

	for (int i = 0; i < a->npinned; i++) {
		uint32_t ns = (uint32_t)(a->pinned[i] >> 32), ifx = (uint32_t)a->pinned[i];
		struct nst_port_key k = { .netns = ns, .ifindex = ifx };
		int j;

		if (!ifx || !gone_at(a, ns, ifx, &g))
			continue;
		for (j = 0; j < st->nports && (st->ports[j].k.netns != ns || st->ports[j].k.ifindex != ifx); j++)
			;
		if (j == st->nports &&
		    fold_row_for((void **)&st->ports, &st->nports, sizeof(struct port_row), &k,
				 offsetof(struct nst_port_key, dir)))
			notice(st, a, ns, ifx);
	}
}



static int cmp_held(const void *a, const void *b)
{
	return u64_cmp(&((const struct held_place *)a)->place, &((const struct held_place *)b)->place);
}

#define HELD_READS 5   /* a slot taken over: its counts in "drops" are folded at the next read */

/* The folded places drop slots still count for: renewed while a slot
 * holds them, forgotten HELD_READS reads after. FOLDED: just folded. */
static void held_update(struct stats *st, const struct alive *a, const uint64_t *folded, int nfolded)
{
	struct held_place *v;
	int k = 0;

	for (int i = 0; i < st->nheld; i++) {
		st->held[i].ttl = u64_has(a->dslots, a->ndslots, st->held[i].place) ? HELD_READS :
				  st->held[i].ttl - 1;
		if (st->held[i].ttl > 0)
			st->held[k++] = st->held[i];
	}
	st->nheld = k;
	for (int i = 0; i < nfolded; i++) {
		if (!u64_has(a->dslots, a->ndslots, folded[i]) ||
		    !(v = realloc(st->held, (st->nheld + 1) * sizeof(*v))))
			continue;
		st->held = v;
		v[st->nheld++] = (struct held_place){ folded[i], HELD_READS };
	}
	qsort(st->held, st->nheld, sizeof(*st->held), cmp_held);
}

int older_held(const struct stats *st, uint32_t netns, uint32_t ifindex)
{
	struct held_place k = { place_key(netns, 0), 0 };

	if (!st->nheld)
		return 0;
	if (bsearch(&k, st->held, st->nheld, sizeof(k), cmp_held))
		return 1;
	k.place = place_key(netns, ifindex);
	return ifindex && bsearch(&k, st->held, st->nheld, sizeof(k), cmp_held);
}

void older_fold(struct stats *st, const struct stat_maps *m, struct names *names)
{
	int keep = older_keep(), count[2] = { 0, 0 }, k = 0, nfolded = 0;
	uint64_t *folded = NULL;
	struct alive a;

	if (alive_build(&a, names, st)) {
		alive_free(&a);
		return;
	}
	/* A place that lives again (the kernel reuses a gone namespace's
	 * inode) is no longer gone. */
	for (int i = 0; i < st->ngone; i++) {
		struct gone_place g;

		if (gone_at(&a, st->gone[i].netns, st->gone[i].ifindex, &g) &&
		    g.ifindex == st->gone[i].ifindex)
			st->gone[k++] = st->gone[i];
	}
	st->ngone = k;
	notice_all(st, &a);
	read_slots(&a, m);
	adopt_slots(st, &a);
	for (int i = 0; i < st->ngone; i++)
		count[st->gone[i].ifindex != 0]++;
	folded = malloc((st->ngone + 1) * sizeof(*folded));
	k = 0;
	for (int i = 0; i < st->ngone; i++) {
		struct gone_place g = st->gone[i];
		int port = g.ifindex != 0;

		if (count[port] <= keep || !folded ||
		    u64_has(a.pinned, a.npinned, place_key(g.netns, g.ifindex)) ||
		    older_busy(st, g)) {
			st->gone[k++] = g;
			continue;
		}
		older_fold_place(st, g);
		names_forget(names, g.netns, g.ifindex);
		folded[nfolded++] = place_key(g.netns, g.ifindex);
		count[port]--;
		*(port ? &st->older_ports : &st->older_ns) += 1;
	}
	st->ngone = k;
	held_update(st, &a, folded, nfolded);
	free(folded);
	alive_free(&a);
}
