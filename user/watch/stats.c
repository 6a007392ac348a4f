/* Exact numbers: the per-CPU counter maps, summed over CPUs. Rows keep
 * what the stories told about them (the last flow) across refreshes. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <time.h>
#include "clock.h"
#include "fold.h"
#include "hist.h"
#include "older.h"
#include "stats.h"

double watch_now(void)
{
	return mono_now();
}

const char *const stat_map_names[STAT_MAPS] = {
	"drops", "ports", "resets", "icmp_wire", "icmp_gen", "hop_hist", "pair_hist",
};
const char *const stat_map_what[STAT_MAPS] = {
	"drops", "port packets", "resets", "ICMP seen on ports", "ICMP generated",
	"latency by hop", "latency between namespaces",
};


static struct drop_row *drop_row(struct stats *st, const struct nst_drop_key *k)
{
	return fold_row_for((void **)&st->drops, &st->ndrops, sizeof(struct drop_row), k, sizeof(*k));
}

/* The row a key read from a map or slot counts in: an older gone
 * place's counts go to its NS_OLDER_GONE row (older_held). */
static struct drop_row *drop_row_read(struct stats *st, const struct nst_drop_key *k)
{
	struct nst_drop_key o = *k;

	if (older_held(st, k->netns, k->ifindex)) {
		o.netns = NS_OLDER_GONE;
		o.ifindex = 0;
	}
	return drop_row(st, &o);
}

static struct port_row *port_row(struct stats *st, uint32_t netns, uint32_t ifindex)
{
	struct port_row *v;

	for (int i = 0; i < st->nports; i++)
		if (st->ports[i].k.netns == netns && st->ports[i].k.ifindex == ifindex)
			return &st->ports[i];
	v = fold_grow(st->ports, st->nports, sizeof(*v));
	if (!v)
		return NULL;
	st->ports = v;
	v = &st->ports[st->nports++];
	v->k.netns = netns;
	v->k.ifindex = ifindex;
	return v;
}

static struct reset_row *reset_row(struct stats *st, const struct nst_reset_key *k)
{
	return fold_row_for((void **)&st->resets, &st->nresets, sizeof(struct reset_row), k, sizeof(*k));
}

/* Plus the keys the CPUs gave a slot (see NST_DROP_SLOT), whether or not
 * "drops" has them. Each slot is read twice: a CPU's key counts when both
 * reads agree (a key being written meanwhile is counted at the next read).
 * A slot whose key's namespace is gone is taken over by the next key
 * that lands there, its counts moved into "drops" (bpf/counters.bpf.h). */
static void read_drop_slots(struct stats *st, int fd, const struct live_set *ls)
{
	int n = fold_ncpus();
	struct nst_drop_slot a[n], b[n];

	st->drop_slots = st->drop_slots_gone = 0;
	for (uint32_t slot = 0; fd >= 0 && slot < NST_DROP_SLOTS; slot++) {
		if (bpf_map_lookup_elem(fd, &slot, a) || bpf_map_lookup_elem(fd, &slot, b))
			continue;
		for (int c = 0; c < n; c++) {
			struct drop_row *r;

			if (!b[c].k.location)
				continue;
			st->drop_slots++;
			st->drop_slots_gone += gone_drop(ls, &b[c].k);
			if (memcmp(&a[c].k, &b[c].k, sizeof(b[c].k)) || !(r = drop_row_read(st, &b[c].k)))
				continue;
			r->packets += b[c].v.packets;
			r->segs += b[c].v.segs;
			r->bytes += b[c].v.bytes;
		}
	}
}

/* Keys outlive their port or namespace (containers come and go): once it
 * has left the plan, or been quiet for FOLD_QUIET_S, a key's counts are
 * folded into its row and the key is deleted (fold.h), so the maps stay as
 * large as the host, not as its history. */
static uint32_t read_drops(struct stats *st, int fd, int slots_fd, double now, double dt,
			   const struct live_set *ls)
{
	uint32_t used = 0;
	int n = fold_ncpus(), nfold = 0, more;
	struct nst_drop_key key, next;
	struct nst_drop_val vals[n];

	for (int i = 0; i < st->ndrops; i++) {
		st->drops[i].packets = st->drops[i].base[0];
		st->drops[i].segs = st->drops[i].base[1];
		st->drops[i].bytes = st->drops[i].base[2];
	}
	/* The next key first: a deleted key has no successor. */
	for (more = !bpf_map_get_next_key(fd, NULL, &next); more;) {
		struct drop_row *r;
		uint64_t v[3] = { 0 };
		int fold;

		key = next;
		more = !bpf_map_get_next_key(fd, &key, &next);
		used++;
		if (bpf_map_lookup_elem(fd, &key, vals) || !(r = drop_row_read(st, &key)))
			continue;
		fold = nfold < FOLD_PER_READ && (gone_drop(ls, &key) || (r->moved && now - r->moved >= FOLD_QUIET_S));
		if (fold && !fold_take(fd, &key, vals)) {
			nfold++;
			used--;
		} else {
			fold = 0;
		}
		for (int c = 0; c < n; c++) {
			v[0] += vals[c].packets;
			v[1] += vals[c].segs;
			v[2] += vals[c].bytes;
		}
		r->packets += v[0];
		r->segs += v[1];
		r->bytes += v[2];
		for (int i = 0; fold && i < 3; i++)
			r->base[i] += v[i];
	}
	read_drop_slots(st, slots_fd, ls);
	for (int i = 0; i < st->ndrops; i++) {
		struct drop_row *r = &st->drops[i];

		if (r->packets != r->prev_packets || !r->moved)
			r->moved = now;
		if (dt > 0) {
			r->rate = (r->packets - r->prev_packets) / dt;
			r->prev_packets = r->packets;
		}
	}
	st->folded += (uint64_t)nfold;
	return used;
}

/* The read that last found each port row planned (port_row.planned). */
static unsigned int plan_gen;

static uint32_t read_ports(struct stats *st, int fd, const struct plan *plan)
{
	uint32_t used = 0;
	int n = fold_ncpus(), nfold = 0, more;
	struct nst_port_key key, next;
	struct nst_port_val vals[n];
	struct port_row *pr;

	/* Every planned port has a row: a silent port shows zeros, not nothing. */
	plan_gen++;
	for (int i = 0; i < plan->nports; i++)
		if ((pr = port_row(st, plan->ports[i].netns, plan->ports[i].ifindex)))
			pr->planned = plan_gen;
	for (int i = 0; i < st->nports; i++) {
		struct port_row *r = &st->ports[i];

		r->rx_packets = r->base[0];
		r->rx_bytes = r->base[1];
		r->tx_packets = r->base[2];
		r->tx_bytes = r->base[3];
	}
	for (more = !bpf_map_get_next_key(fd, NULL, &next); more;) {
		struct port_row *r;
		uint64_t p = 0, b = 0;
		int o, fold;

		key = next;
		more = !bpf_map_get_next_key(fd, &key, &next);
		used++;
		if (bpf_map_lookup_elem(fd, &key, vals) ||
		    !(r = port_row(st, key.netns, key.ifindex)))
			continue;
		/* The port is gone: its key is folded into its row. */
		fold = r->planned != plan_gen && nfold < FOLD_PER_READ && !fold_take(fd, &key, vals);
		for (int c = 0; c < n; c++) {
			p += vals[c].packets;
			b += vals[c].bytes;
		}
		o = key.dir == NST_INGRESS ? 0 : 2;
		if (fold) {
			r->base[o] += p;
			r->base[o + 1] += b;
			nfold++;
			used--;
		}
		if (key.dir == NST_INGRESS) {
			r->rx_packets += p;
			r->rx_bytes += b;
		} else {
			r->tx_packets += p;
			r->tx_bytes += b;
		}
	}
	st->folded += (uint64_t)nfold;
	return used;
}

/* Port R is gone and its slot has not moved for a whole read: no program
 * counts there any more (a device that moved namespaces counts under its
 * new namespace, never this owner). Its counts (VALS, read just now) go
 * into the row, and the slot is freed for the next port attached (whose
 * NST_PORT_SLOT it is). */
static void release_port_slot(struct port_row *r, int fd, uint32_t slot,
			      const struct nst_port_slot *vals, int n)
{
	struct nst_port_slot zero[n];

	memset(zero, 0, sizeof(zero));
	if (bpf_map_update_elem(fd, &slot, zero, BPF_EXIST))
		return;
	for (int c = 0; c < n; c++) {
		r->base[0] += vals[c].v[NST_INGRESS].packets;
		r->base[1] += vals[c].v[NST_INGRESS].bytes;
		r->base[2] += vals[c].v[NST_EGRESS].packets;
		r->base[3] += vals[c].v[NST_EGRESS].bytes;
	}
	r->slot_quiet = 0;
}

/* Plus what the ports with a slot of their own counted there (every port
 * that ever had one has a row: it was planned when it got it). */
static void read_port_slots(struct stats *st, int fd)
{
	int n = fold_ncpus();
	struct nst_port_slot vals[n];

	st->port_slots = st->port_slots_gone = 0;
	for (int i = 0; fd >= 0 && i < st->nports; i++) {
		struct port_row *r = &st->ports[i];
		uint32_t slot = NST_PORT_SLOT(r->k.netns, r->k.ifindex);
		uint64_t packets = 0;

		if (bpf_map_lookup_elem(fd, &slot, vals) || vals[0].netns != r->k.netns ||
		    vals[0].ifindex != r->k.ifindex)
			continue;
		for (int c = 0; c < n; c++) {
			r->rx_packets += vals[c].v[NST_INGRESS].packets;
			r->rx_bytes += vals[c].v[NST_INGRESS].bytes;
			r->tx_packets += vals[c].v[NST_EGRESS].packets;
			r->tx_bytes += vals[c].v[NST_EGRESS].bytes;
			packets += vals[c].v[NST_INGRESS].packets + vals[c].v[NST_EGRESS].packets;
		}
		st->port_slots++;
		if (r->planned == plan_gen) {
			r->slot_quiet = 0;
			continue;
		}
		st->port_slots_gone++;
		if (r->slot_quiet && r->slot_packets == packets) {
			release_port_slot(r, fd, slot, vals, n);
			st->port_slots--;
			st->port_slots_gone--;
			continue;
		}
		r->slot_quiet = 1;
		r->slot_packets = packets;
	}
}

/* A per-CPU stat: summed, or (MAX) the largest CPU's value. */
static uint64_t read_stat(int fd, uint32_t idx, int max)
{
	int n = fold_ncpus();
	uint64_t vals[n], v = 0;

	if (bpf_map_lookup_elem(fd, &idx, vals))
		return 0;
	for (int c = 0; c < n; c++)
		v = max ? (vals[c] > v ? vals[c] : v) : v + vals[c];
	return v;
}

int stats_read(struct stats *st, const struct stat_maps *m, const struct plan *plan,
	       int latency, struct names *names)
{
	double now = watch_now(), dt = now - st->last_refresh;
	struct count_map resets = { m->resets, sizeof(struct nst_reset_key), sizeof(struct reset_row),
				    offsetof(struct reset_row, count), offsetof(struct reset_row, f),
				    gone_reset };
	struct count_map icmp = { m->icmp_wire, sizeof(struct nst_icmp_key), sizeof(struct icmp_row),
				  offsetof(struct icmp_row, count), offsetof(struct icmp_row, f),
				  gone_icmp };
	struct count_map gen = { m->icmp_gen, sizeof(struct nst_icmp_gen_key), sizeof(struct gen_row),
				 offsetof(struct gen_row, count), offsetof(struct gen_row, f),
				 gone_gen };
	uint32_t *u = st->map_used;
	struct live_set ls;

	live_set_build(&ls, plan);   /* out of memory: everything reads as live */
	memcpy(st->map_max, m->max, sizeof(st->map_max));
	u[SM_DROPS] = read_drops(st, m->drops, m->drop_slots, now, dt, &ls);
	u[SM_PORTS] = read_ports(st, m->ports, plan);
	read_port_slots(st, m->port_slots);
	u[SM_RESETS] = fold_read_counts(&resets, (void **)&st->resets, &st->nresets, &ls, now,
					&st->folded);
	u[SM_ICMP_WIRE] = fold_read_counts(&icmp, (void **)&st->icmp, &st->nicmp, &ls, now,
					   &st->folded);
	u[SM_ICMP_GEN] = fold_read_counts(&gen, (void **)&st->gen, &st->ngen, &ls, now,
					  &st->folded);
	if (latency) {
		u[SM_HOP_HIST] = fold_read_hists(m->hop_hist, sizeof(struct nst_hop_key), &st->hops,
						 &st->nhops, offsetof(struct lat_row, hop), &ls, gone_hop,
						 &st->folded);
		u[SM_PAIR_HIST] = fold_read_hists(m->pair_hist, sizeof(struct nst_pair_key),
						  &st->pairs, &st->npairs, offsetof(struct lat_row, pair),
						  &ls, gone_pair, &st->folded);
	}
	live_set_free(&ls);
	st->lat_mask = read_stat(m->stats, NST_STAT_LAT_MASK, 1);   /* a mask: the widest */
	st->rb_full = read_stat(m->stats, NST_STAT_RB_FULL, 0);
	st->map_full = read_stat(m->stats, NST_STAT_MAP_FULL, 0);
	st->lat_lost = read_stat(m->stats, NST_STAT_LAT_LOST, 0) + st->lat_lost_user;
	if (dt > 0) {
		st->story_rate = (st->stories - st->last_stories) / dt;
		st->last_stories = st->stories;
	}
	st->last_refresh = now;
	older_fold(st, m, names);
	stats_settle(st);
	return 0;
}

static void name_drop(struct drop_row *r)
{
	drop_words(r->k.reason, r->k.location, r->has_flow ? &r->flow : NULL, &r->words);
}

void stats_lat_sample(struct stats *st, const struct stat_maps *m, const struct nst_lat_event *e)
{
	int ret;

	if (e->map == NST_LATMAP_HOP)
		ret = fold_lat_sample(m->hop_hist, sizeof(e->key.hop), &st->hops, &st->nhops,
				      offsetof(struct lat_row, hop), &e->key.hop, e->ns);
	else
		ret = fold_lat_sample(m->pair_hist, sizeof(e->key.pair), &st->pairs, &st->npairs,
				      offsetof(struct lat_row, pair), &e->key.pair, e->ns);
	if (ret)
		st->lat_lost_user++;
	else
		st->lat_apart++;
}

void stats_note_event(struct stats *st, const struct nst_event *e)
{
	st->stories++;
	if (e->type == NST_EV_DROP) {
		struct nst_drop_key k = { .netns = e->netns, .ifindex = e->ifindex,
					  .reason = e->reason, .location = e->location };
		struct drop_row *r = drop_row(st, &k);

		if (r) {
			r->flow = e->flow;
			r->has_flow = 1;
			name_drop(r);   /* a flow can make a drop benign */
		}
	} else if (e->type == NST_EV_ICMP_SENT) {
		struct nst_icmp_gen_key k = { .netns = e->netns, .mtu = e->mtu,
					      .type = e->icmp_type, .code = e->icmp_code,
					      .family = e->flow.family, .orig_kind = e->orig_kind };

		memcpy(k.orig_src, e->flow.src, 16);
		memcpy(k.orig_dst, e->flow.dst, 16);
		for (int i = 0; i < st->ngen; i++)
			if (!memcmp(&st->gen[i].k, &k, sizeof(k))) {
				st->gen[i].flow = e->flow;
				st->gen[i].has_flow = 1;
			}
	} else if (e->type != NST_EV_ICMP_WIRE) {
		struct nst_reset_key k = { .netns = e->netns, .ifindex = e->ifindex,
					   .type = e->type, .port = e->port };
		struct reset_row *r = reset_row(st, &k);

		if (r) {
			r->flow = e->flow;
			r->has_flow = 1;
		}
	}
}

void stats_note_untold(struct stats *st)
{
	st->untold++;
}

/* ---- ordering: done here, on index arrays, so the rows stay put ---- */

static const struct stats *sorting;   /* qsort has no context argument */

/* What needs attention first: real drops before benign ones, then by count. */
static int cmp_drop(const void *a, const void *b)
{
	const struct drop_row *x = &sorting->drops[*(const int *)a];
	const struct drop_row *y = &sorting->drops[*(const int *)b];

	if (x->words.benign != y->words.benign)
		return x->words.benign - y->words.benign;
	return x->packets < y->packets ? 1 : x->packets > y->packets ? -1 : 0;
}

/* Busiest first; ties in a stable order (the key), so reruns read alike. */
static int cmp_lat(const struct lat_row *x, const struct lat_row *y)
{
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return memcmp(x, y, offsetof(struct lat_row, count));
}

static int cmp_hop(const void *a, const void *b)
{
	return cmp_lat(&sorting->hops[*(const int *)a], &sorting->hops[*(const int *)b]);
}

static int cmp_pair(const void *a, const void *b)
{
	return cmp_lat(&sorting->pairs[*(const int *)a], &sorting->pairs[*(const int *)b]);
}

/* ORDER becomes 0..N-1 sorted by CMP; on no memory it stays as it was. */
static void order(const struct stats *st, int **order, int n, int (*cmp)(const void *, const void *))
{
	int *v = realloc(*order, (n ? n : 1) * sizeof(*v));

	if (!v)
		return;
	*order = v;
	for (int i = 0; i < n; i++)
		v[i] = i;
	sorting = st;
	qsort(v, n, sizeof(*v), cmp);
	sorting = NULL;
}

void stats_settle(struct stats *st)
{
	for (int i = 0; i < st->ndrops; i++)
		name_drop(&st->drops[i]);
	for (int p = 0; p < st->nports; p++) {
		struct port_row *r = &st->ports[p];

		r->drops = 0;
		for (int i = 0; i < st->ndrops; i++)
			if (st->drops[i].k.netns == r->k.netns && st->drops[i].k.ifindex == r->k.ifindex)
				r->drops += st->drops[i].packets;
	}
	order(st, &st->drop_order, st->ndrops, cmp_drop);
	order(st, &st->hop_order, st->nhops, cmp_hop);
	order(st, &st->pair_order, st->npairs, cmp_pair);
}

void stats_free(struct stats *st)
{
	free(st->drops);
	free(st->ports);
	free(st->resets);
	free(st->icmp);
	free(st->gen);
	for (int i = 0; i < st->nhops; i++) {
		free(st->hops[i].all);
		free(st->hops[i].apart);
	}
	for (int i = 0; i < st->npairs; i++) {
		free(st->pairs[i].all);
		free(st->pairs[i].apart);
	}
	free(st->hops);
	free(st->pairs);
	free(st->drop_order);
	free(st->hop_order);
	free(st->pair_order);
	free(st->gone);
	free(st->held);
	memset(st, 0, sizeof(*st));
}
