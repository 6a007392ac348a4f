/* Folding a gone place's rows into the NS_OLDER_GONE rows (older.h). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "fold.h"
#include "hist.h"
#include "older.h"

static int in_place(struct gone_place g, uint32_t netns, uint32_t ifindex)
{
	return netns == g.netns && (!g.ifindex || ifindex == g.ifindex);
}

/* Row I of ROWS taken out, the rows after it kept in their order (the
 * caller moved its counts into its NS_OLDER_GONE row first). */
static void drop_at(void *rows, int *n, size_t rowsz, int i)
{
	char *r = rows;

	memmove(r + i * rowsz, r + (i + 1) * rowsz, (*n - i - 1) * rowsz);
	(*n)--;
}

static void fold_drops(struct stats *st, struct gone_place g)
{
	for (int i = 0; i < st->ndrops;) {
		struct drop_row r = st->drops[i], *o;

		if (!in_place(g, r.k.netns, r.k.ifindex)) {
			i++;
			continue;
		}
		r.k.netns = NS_OLDER_GONE;
		r.k.ifindex = 0;
		if (!(o = fold_row_for((void **)&st->drops, &st->ndrops, sizeof(*o), &r.k, sizeof(r.k)))) {
			i++;   /* out of memory: told in detail */
			continue;
		}
		/* Every read starts a row from what its deleted keys held:
		 * a key still counting (in a slot: older_held) is added
		 * there from the next read on. */
		for (int k = 0; k < 3; k++)
			o->base[k] += r.base[k];
		o->packets += r.packets;
		o->segs += r.segs;
		o->bytes += r.bytes;
		o->prev_packets += r.prev_packets;
		if (r.has_flow) {
			o->flow = r.flow;
			o->has_flow = 1;
		}
		o->moved = r.moved > o->moved ? r.moved : o->moved;
		drop_at(st->drops, &st->ndrops, sizeof(r), i);
	}
}

static void fold_ports(struct stats *st, struct gone_place g)
{
	for (int i = 0; i < st->nports;) {
		struct port_row r = st->ports[i], *o;
		struct nst_port_key k = { .netns = NS_OLDER_GONE };

		if (!in_place(g, r.k.netns, r.k.ifindex)) {
			i++;
			continue;
		}
		if (!(o = fold_row_for((void **)&st->ports, &st->nports, sizeof(*o), &k,
				       offsetof(struct nst_port_key, dir)))) {
			i++;
			continue;
		}
		for (int b = 0; b < 4; b++)
			o->base[b] += r.base[b];
		o->rx_packets += r.rx_packets;
		o->rx_bytes += r.rx_bytes;
		o->tx_packets += r.tx_packets;
		o->tx_bytes += r.tx_bytes;
		drop_at(st->ports, &st->nports, sizeof(r), i);
	}
}

/* Rows of ROWSZ bytes whose key (KSZ bytes, first) starts with netns and
 * (HAS_IFINDEX) ifindex; their count at COUNT_OFF and struct folded at
 * FOLD_OFF. OLDER makes the aggregate's key of a key. */
static void fold_counts(void **rows, int *n, size_t rowsz, size_t ksz, int has_ifindex,
			size_t count_off, size_t fold_off, struct gone_place g, void (*older)(void *key))
{
	char key[128], *row, *o;

	for (int i = 0; i < *n;) {
		uint32_t *k = (uint32_t *)((char *)*rows + i * rowsz);
		struct folded f;

		if (!in_place(g, k[0], has_ifindex ? k[1] : 0)) {
			i++;
			continue;
		}
		memcpy(key, k, ksz);
		older(key);
		if (!(o = fold_row_for(rows, n, rowsz, key, ksz))) {
			i++;
			continue;
		}
		row = (char *)*rows + i * rowsz;
		memcpy(&f, row + fold_off, sizeof(f));
		((struct folded *)(o + fold_off))->base += f.base;
		((struct folded *)(o + fold_off))->last += f.base;
		*(uint64_t *)(o + count_off) += *(uint64_t *)(row + count_off);
		drop_at(*rows, n, rowsz, i);
	}
}

static void older_reset(void *key)
{
	struct nst_reset_key *k = key;

	k->netns = NS_OLDER_GONE;
	k->ifindex = 0;
	k->port = 0;
}

static void older_icmp(void *key)
{
	struct nst_icmp_key *k = key;

	k->netns = NS_OLDER_GONE;
	k->ifindex = 0;
	k->mtu = 0;
	memset(k->orig_src, 0, sizeof(k->orig_src));
	memset(k->orig_dst, 0, sizeof(k->orig_dst));
	memset(k->from, 0, sizeof(k->from));
}

static void older_gen(void *key)
{
	struct nst_icmp_gen_key *k = key;

	k->netns = NS_OLDER_GONE;
	k->mtu = 0;
	memset(k->orig_src, 0, sizeof(k->orig_src));
	memset(k->orig_dst, 0, sizeof(k->orig_dst));
}

/* The ends of latency row R's key in G become the aggregate's; 0 if none is. */
static int older_lat(struct lat_row *r, int hop, struct gone_place g)
{
	int moved = 0;

	if (hop && in_place(g, r->hop.from_netns, r->hop.from_ifindex)) {
		r->hop.from_netns = NS_OLDER_GONE;
		r->hop.from_ifindex = 0;
		moved = 1;
	}
	if (hop && in_place(g, r->hop.to_netns, r->hop.to_ifindex)) {
		r->hop.to_netns = NS_OLDER_GONE;
		r->hop.to_ifindex = 0;
		moved = 1;
	}
	if (!hop && in_place(g, r->pair.src_netns, 0)) {
		r->pair.src_netns = NS_OLDER_GONE;
		moved = 1;
	}
	if (!hop && in_place(g, r->pair.dst_netns, 0)) {
		r->pair.dst_netns = NS_OLDER_GONE;
		moved = 1;
	}
	return moved;
}

static void fold_lats(struct lat_row **rows, int *n, int hop, struct gone_place g)
{
	static struct nst_hist sum;   /* 2 KB: not on the stack */
	size_t off = hop ? offsetof(struct lat_row, hop) : offsetof(struct lat_row, pair);
	size_t ksz = hop ? sizeof(struct nst_hop_key) : sizeof(struct nst_pair_key);

	for (int i = 0; i < *n;) {
		struct lat_row r = (*rows)[i], *o = NULL;
		struct lat_pack *room;
		int j;

		if (!older_lat(&r, hop, g)) {
			i++;
			continue;
		}
		for (j = 0; j < *n && memcmp((char *)&(*rows)[j] + off, (char *)&r + off, ksz); j++)
			;
		if (j == *n && (o = fold_grow(*rows, *n, sizeof(*o)))) {
			*rows = o;
			memcpy((char *)&o[(*n)++] + off, (char *)&r + off, ksz);
		}
		if (j == *n || !(room = lat_pack_room())) {
			i++;
			continue;
		}
		o = &(*rows)[j];
		memset(&sum, 0, sizeof(sum));
		lat_unpack(o->apart, &sum);
		lat_unpack(r.apart, &sum);
		free(o->apart);
		o->apart = lat_pack_fill(room, &sum);
		o->count = sum.count;
		free(r.all);
		free(r.apart);
		drop_at(*rows, n, sizeof(r), i);
	}
}

void older_fold_place(struct stats *st, struct gone_place g)
{
	fold_drops(st, g);
	fold_ports(st, g);
	fold_counts((void **)&st->resets, &st->nresets, sizeof(struct reset_row),
		    sizeof(struct nst_reset_key), 1, offsetof(struct reset_row, count),
		    offsetof(struct reset_row, f), g, older_reset);
	fold_counts((void **)&st->icmp, &st->nicmp, sizeof(struct icmp_row),
		    sizeof(struct nst_icmp_key), 1, offsetof(struct icmp_row, count),
		    offsetof(struct icmp_row, f), g, older_icmp);
	fold_counts((void **)&st->gen, &st->ngen, sizeof(struct gen_row),
		    sizeof(struct nst_icmp_gen_key), 0, offsetof(struct gen_row, count),
		    offsetof(struct gen_row, f), g, older_gen);
	fold_lats(&st->hops, &st->nhops, 1, g);
	fold_lats(&st->pairs, &st->npairs, 0, g);
}

/* A latency key of G still in its map (its row's "all"): G waits until
 * it is folded out (a histogram's counts cannot be told apart later). */
int older_busy(const struct stats *st, struct gone_place g)
{
	struct lat_row r;

	for (int i = 0; i < st->nhops; i++)
		if (st->hops[i].all && (r = st->hops[i], older_lat(&r, 1, g)))
			return 1;
	for (int i = 0; i < st->npairs; i++)
		if (st->pairs[i].all && (r = st->pairs[i], older_lat(&r, 0, g)))
			return 1;
	return 0;
}
