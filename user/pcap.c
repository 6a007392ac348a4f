/* pcapng writer (draft-ietf-opsawg-pcapng): a section header, interface
 * description blocks, enhanced packet blocks; host byte order, which the
 * byte-order magic declares.
 *
 * Every interface is LINKTYPE_ETHERNET. Bytes from tc start at the real
 * Ethernet header; bytes from a tracepoint start at the network header,
 * so a header with zero MAC addresses and the packet's EtherType is put
 * in front (the comment says so). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "nstrace_types.h"
#include "pcap.h"

#define BT_SHB 0x0A0D0D0A
#define BT_IDB 0x00000001
#define BT_EPB 0x00000006
#define OPT_END 0
#define OPT_COMMENT 1
#define IF_NAME 2
#define IF_TSRESOL 9
#define LINKTYPE_ETHERNET 1
#define SNAPLEN (NST_SNAPLEN + 14)

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);
}

static void put16(FILE *f, uint16_t v)
{
	fwrite(&v, 2, 1, f);
}

static void put_bytes(FILE *f, const void *b, size_t n)
{
	static const char zero[4];

	fwrite(b, 1, n, f);
	fwrite(zero, 1, pad4(n) - n, f);
}

/* An option: code, length, value padded to 4 bytes. Its size in the block. */
static size_t opt_size(size_t len)
{
	return 4 + pad4(len);
}

static void put_opt(FILE *f, uint16_t code, const void *v, size_t len)
{
	put16(f, code);
	put16(f, (uint16_t)len);
	put_bytes(f, v, len);
}

int pcap_open(struct pcap *p, const char *path, double mono_to_real)
{
	static const char app[] = "nstrace " NSTRACE_VERSION;
	uint32_t len = 28 + (uint32_t)opt_size(sizeof(app) - 1) + 4;

	memset(p, 0, sizeof(*p));
	p->mono_to_real = mono_to_real;
	p->pending = calloc(PCAP_PENDING, sizeof(*p->pending));
	if (!p->pending)
		return -ENOMEM;
	p->f = fopen(path, "we");
	if (!p->f) {
		int err = errno;

		free(p->pending);
		p->pending = NULL;
		return -err;
	}
	put32(p->f, BT_SHB);
	put32(p->f, len);
	put32(p->f, 0x1A2B3C4D);                 /* byte-order magic */
	put16(p->f, 1);                          /* version 1.0 */
	put16(p->f, 0);
	put32(p->f, 0xffffffff);                 /* section length: unknown */
	put32(p->f, 0xffffffff);
	put_opt(p->f, 4, app, sizeof(app) - 1);  /* shb_userappl */
	put32(p->f, OPT_END);
	put32(p->f, len);
	return ferror(p->f) ? -EIO : 0;
}

static int iface_id(struct pcap *p, uint64_t netns, uint32_t ifindex, const char *name)
{
	static const uint8_t nsres = 9;          /* timestamps in nanoseconds */
	size_t nlen = strlen(name);
	uint32_t len;
	struct pcap_if *v;

	for (int i = 0; i < p->nifs; i++)
		if (p->ifs[i].netns == netns && p->ifs[i].ifindex == ifindex)
			return i;
	v = realloc(p->ifs, (p->nifs + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	p->ifs = v;
	p->ifs[p->nifs].netns = netns;
	p->ifs[p->nifs].ifindex = ifindex;
	len = 20 + (uint32_t)(opt_size(nlen) + opt_size(1)) + 4;
	put32(p->f, BT_IDB);
	put32(p->f, len);
	put16(p->f, LINKTYPE_ETHERNET);
	put16(p->f, 0);
	put32(p->f, SNAPLEN);
	put_opt(p->f, IF_NAME, name, nlen);
	put_opt(p->f, IF_TSRESOL, &nsres, 1);
	put32(p->f, OPT_END);
	put32(p->f, len);
	return p->nifs++;
}

/* Write one packet block now. */
static int put_packet(struct pcap *p, const struct nst_event *e, const char *name,
		      const char *comment)
{
	uint8_t frame[SNAPLEN];
	uint32_t caplen = e->caplen, wirelen = e->wirelen, len;
	uint64_t ts;
	char note[sizeof(((struct pcap_pending *)0)->comment) + 64];
	size_t clen;
	int id;

	snprintf(note, sizeof(note), "%s%s", comment,
		 e->data_kind == NST_DATA_NET ? " (captured from the IP header; MACs are zero)" : "");
	comment = note;
	clen = strlen(comment);
	if (e->data_kind == NST_DATA_NET) {
		uint16_t type = e->flow.l3proto;

		if (!type)   /* locally built: the IP version says it */
			type = (e->data[0] >> 4) == 6 ? 0x86DD : 0x0800;
		memset(frame, 0, 12);
		frame[12] = (uint8_t)(type >> 8);
		frame[13] = (uint8_t)type;
		memcpy(frame + 14, e->data, caplen);
		caplen += 14;
		wirelen += 14;
	} else {
		memcpy(frame, e->data, caplen);
	}
	if (wirelen < caplen)
		wirelen = caplen;
	id = iface_id(p, e->netns, e->ifindex, name);
	if (id < 0)
		return id;
	ts = e->ts + (uint64_t)(p->mono_to_real * 1e9);
	len = 28 + (uint32_t)pad4(caplen) + (uint32_t)opt_size(clen) + 4 + 4;
	put32(p->f, BT_EPB);
	put32(p->f, len);
	put32(p->f, (uint32_t)id);
	put32(p->f, (uint32_t)(ts >> 32));
	put32(p->f, (uint32_t)ts);
	put32(p->f, caplen);
	put32(p->f, wirelen);
	put_bytes(p->f, frame, caplen);
	put_opt(p->f, OPT_COMMENT, comment, clen);
	put32(p->f, OPT_END);
	put32(p->f, len);
	p->packets++;
	return ferror(p->f) ? -EIO : 0;
}

/* The network header of E's bytes and how many there are; NULL if none. */
static const uint8_t *net_bytes(const struct nst_event *e, uint32_t *len)
{
	if (e->data_kind == NST_DATA_NET) {
		*len = e->caplen;
		return e->data;
	}
	if (e->caplen <= 14 || (e->data[12] != 0x08 && e->data[12] != 0x86))
		return NULL;
	*len = e->caplen - 14;
	return e->data + 14;
}

/* Are A and B the same packet, seen twice in one namespace? Their first
 * bytes from the network header on are alike, but for what a hop may
 * change (IPv4 TTL and checksum, IPv6 hop limit). Ports of a namespace
 * each see their own copy (tc on two devices): only a tracepoint's story
 * joins another port's. */
static int same_packet(const struct nst_event *a, const struct nst_event *b)
{
	uint32_t la, lb, n;
	const uint8_t *x = net_bytes(a, &la), *y = net_bytes(b, &lb);

	if (!x || !y || a->netns != b->netns ||
	    (a->data_kind == NST_DATA_ETH && b->data_kind == NST_DATA_ETH && a->ifindex != b->ifindex))
		return 0;
	n = la < lb ? la : lb;
	if (n < 28 || a->wirelen - (a->data_kind == NST_DATA_ETH ? 14 : 0) !=
		      b->wirelen - (b->data_kind == NST_DATA_ETH ? 14 : 0))
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		int v6 = (x[0] >> 4) == 6;

		if ((v6 && i == 7) || (!v6 && (i == 8 || i == 10 || i == 11)))
			continue;
		if (x[i] != y[i])
			return 0;
	}
	return 1;
}

static int put_pending(struct pcap *p, struct pcap_pending *q)
{
	return put_packet(p, &q->e, q->name, q->comment);
}

/* Write the packets waiting longer than up to BEFORE (event clock, ns),
 * oldest first. */
int pcap_flush(struct pcap *p, uint64_t before)
{
	int ret = 0, keep = 0;

	for (int i = 0; i < p->npending; i++) {
		struct pcap_pending *q = &p->pending[i];
		int r;

		if (q->e.ts >= before) {
			if (keep != i)
				p->pending[keep] = *q;
			keep++;
			continue;
		}
		r = put_pending(p, q);
		ret = ret ? ret : r;
	}
	p->npending = keep;
	return ret;
}

int pcap_write(struct pcap *p, const struct nst_event *e, const char *name,
	       const char *comment)
{
	struct pcap_pending *q;
	int ret = 0;

	if (!p->f || e->data_kind == NST_DATA_NONE || !e->caplen || e->caplen > NST_SNAPLEN)
		return 1;
	for (int i = 0; i < p->npending; i++) {
		q = &p->pending[i];
		if (e->ts - q->e.ts > PCAP_JOIN_NS && q->e.ts - e->ts > PCAP_JOIN_NS)
			continue;
		if (e->type == NST_EV_SEEN || q->e.type == NST_EV_SEEN || !same_packet(&q->e, e))
			continue;
		size_t n = strlen(q->comment);

		snprintf(q->comment + n, sizeof(q->comment) - n, "; %s", comment);
		/* A port's frame has the real Ethernet header, a drop's story
		 * the device: keep the better of the two. */
		if ((q->e.data_kind == NST_DATA_NET && e->data_kind == NST_DATA_ETH) ||
		    (q->e.data_kind == e->data_kind && !q->e.ifindex && e->ifindex)) {
			uint64_t ts = q->e.ts;

			q->e = *e;
			q->e.ts = ts;
			snprintf(q->name, sizeof(q->name), "%s", name);
		}
		return 0;
	}
	if (p->npending == PCAP_PENDING)
		ret = pcap_flush(p, p->pending[0].e.ts + 1);
	q = &p->pending[p->npending++];
	q->e = *e;
	snprintf(q->name, sizeof(q->name), "%s", name);
	snprintf(q->comment, sizeof(q->comment), "%s", comment);
	return ret;
}

int pcap_close(struct pcap *p)
{
	int ret = 0;

	if (p->f)
		pcap_flush(p, UINT64_MAX);
	if (p->f && (ferror(p->f) | fclose(p->f)))
		ret = -EIO;
	p->f = NULL;
	free(p->ifs);
	p->ifs = NULL;
	free(p->pending);
	p->pending = NULL;
	p->npending = 0;
	return ret;
}
