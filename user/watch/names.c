/* Labels for everything watch prints, and the device names it keeps. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ksyms.h"
#include "names.h"
#include "reasons.h"

static struct ns_name *ns_learned(const struct names *n, uint64_t inode)
{
	for (int i = 0; i < n->nnss; i++)
		if (n->nss[i].netns == inode)
			return &n->nss[i];
	return NULL;
}

/* A label once learned stays; only a container's name may replace a
 * pid's, when the runtime could not be asked the first time. */
static void learn_ns(struct names *n, const struct netns_info *ni)
{
	struct ns_name *v = ns_learned(n, ni->inode);

	if (ni->label_passing || (v && (v->ct.runtime[0] || !ni->ct.runtime[0] || ni->name[0])))
		return;
	if (!v) {
		if (!(v = realloc(n->nss, (n->nnss + 1) * sizeof(*v))))
			return;
		n->nss = v;
		v = &n->nss[n->nnss++];
		v->netns = ni->inode;
	}
	snprintf(v->label, sizeof(v->label), "%s", ni->label);
	v->ct = ni->ct;
}

static uint32_t dev_hash(uint64_t netns, int ifindex)
{
	uint64_t x = netns * 0x9e3779b97f4a7c15ULL ^ (uint32_t)ifindex;

	return (uint32_t)(x ^ x >> 29);
}

/* The slot of (NETNS, IFINDEX) in table H of MASK + 1 slots (indexes into
 * n->devs, -1 free): its newest name's, or the free one it would take. */
static uint32_t dev_slot(const struct names *n, const int *h, uint32_t mask, uint64_t netns,
			 int ifindex)
{
	uint32_t i = dev_hash(netns, ifindex) & mask;

	while (h[i] >= 0 && (n->devs[h[i]].netns != netns || n->devs[h[i]].ifindex != ifindex))
		i = (i + 1) & mask;
	return i;
}

/* A large host has thousands of ports, learned again at every re-plan:
 * each one is looked up in a table of the names known, not in the list. */
void names_learn(struct names *n)
{
	const struct live_topo *lt = n->lt;
	uint32_t size = 64, mask;
	int nlinks = 0, *h;

	for (int i = 0; n->nl && i < n->nl->n; i++)
		learn_ns(n, &n->nl->v[i]);
	for (int i = 0; i < lt->nns; i++)
		nlinks += lt->ns[i].nlinks;
	while (size < 2 * (uint32_t)(n->ndevs + nlinks))
		size *= 2;
	mask = size - 1;
	if (!(h = malloc(size * sizeof(*h))))
		return;
	memset(h, 0xff, size * sizeof(*h));
	for (int j = 0; j < n->ndevs; j++)   /* the newest name of each port wins */
		h[dev_slot(n, h, mask, n->devs[j].netns, n->devs[j].ifindex)] = j;
	for (int i = 0; i < lt->nns; i++)
		for (int k = 0; k < lt->ns[i].nlinks; k++) {
			const struct live_link *l = &lt->ns[i].links[k];
			uint32_t at = dev_slot(n, h, mask, lt->ns[i].inode, l->ifindex);
			struct dev_name *v;

			if (h[at] >= 0 && !strcmp(n->devs[h[at]].name, l->name))
				continue;
			if (n->ndevs == n->cap_devs) {
				int cap = n->cap_devs ? 2 * n->cap_devs : 64;

				if (!(v = realloc(n->devs, (size_t)cap * sizeof(*v))))
					continue;
				n->devs = v;
				n->cap_devs = cap;
			}
			v = &n->devs[n->ndevs];
			v->netns = lt->ns[i].inode;
			v->ifindex = l->ifindex;
			memcpy(v->name, l->name, sizeof(l->name));
			h[at] = n->ndevs++;
		}
	free(h);
}

void names_free(struct names *n)
{
	free(n->devs);
	n->devs = NULL;
	n->ndevs = n->cap_devs = 0;
	free(n->nss);
	n->nss = NULL;
	n->nnss = 0;
}

void names_forget(struct names *n, uint64_t netns, uint32_t ifindex)
{
	int k = 0;

	for (int i = 0; i < n->ndevs; i++)
		if (n->devs[i].netns != netns || (ifindex && (uint32_t)n->devs[i].ifindex != ifindex))
			n->devs[k++] = n->devs[i];
	n->ndevs = k;
	if (ifindex)
		return;
	k = 0;
	for (int i = 0; i < n->nnss; i++)
		if (n->nss[i].netns != netns)
			n->nss[k++] = n->nss[i];
	n->nnss = k;
}

const char *names_ns(const struct names *n, uint64_t inode, char *buf, size_t len)
{
	const struct netns_info *ni = netns_by_inode(n->nl, inode);
	const struct ns_name *v = ns_learned(n, inode);

	if (inode == NS_OLDER_GONE)
		snprintf(buf, len, "%s", NS_OLDER_LABEL);
	else if (v)
		snprintf(buf, len, "%s", v->label);
	else if (ni)
		snprintf(buf, len, "%s", ni->label);
	else
		snprintf(buf, len, "netns %llu", (unsigned long long)inode);
	return buf;
}

const struct container *names_container(const struct names *n, uint64_t inode)
{
	const struct ns_name *v = ns_learned(n, inode);
	const struct netns_info *ni = v ? NULL : netns_by_inode(n->nl, inode);
	const struct container *c = v ? &v->ct : ni ? &ni->ct : NULL;

	return c && c->runtime[0] ? c : NULL;
}

int names_ns_gone(const struct names *n, uint64_t inode)
{
	return inode && inode != NS_OLDER_GONE && !netns_by_inode(n->nl, inode);
}

const char *names_place(const struct names *n, uint64_t netns, uint32_t ifindex, char *buf,
			size_t len)
{
	size_t l;

	names_ns(n, netns, buf, len);
	l = strlen(buf);
	if (names_ns_gone(n, netns))
		l += (size_t)snprintf(buf + l, l < len ? len - l : 0, " (gone)");
	if (ifindex && l < len)
		snprintf(buf + l, len - l, ":%s", names_dev(n, netns, (int)ifindex, NAME_BUF));
	return buf;
}

const char *names_dev(const struct names *n, uint64_t inode, int ifindex, char *buf, size_t len)
{
	const struct live_ns *ns = live_ns_by_inode(n->lt, inode);
	const struct live_link *l = ns ? live_link_by_index(ns, ifindex) : NULL;

	if (l) {
		snprintf(buf, len, "%s", l->name);
		return buf;
	}
	/* The newest name first: an ifindex can be reused. */
	for (int i = n->ndevs - 1; i >= 0; i--)
		if (n->devs[i].netns == inode && n->devs[i].ifindex == ifindex) {
			snprintf(buf, len, "%s", n->devs[i].name);
			return buf;
		}
	snprintf(buf, len, "ifindex %d", ifindex);
	return buf;
}

const char *names_where(const struct names *n, uint64_t netns, uint32_t ifindex, char *buf,
			size_t len)
{
	char ns[NAME_LEN], dev[32];

	names_ns(n, netns, ns, sizeof(ns));
	if (ifindex)
		snprintf(buf, len, "%s:%s", ns, names_dev(n, netns, (int)ifindex, dev, sizeof(dev)));
	else
		snprintf(buf, len, "%s", ns);
	return buf;
}

/* The BPF side stores the kernel's AF_* value; user space may not share it
 * by accident of libc, so every test goes through here. */
int family_is_v6(int family)
{
	return family == AF_INET6;
}

int family_af(int family)
{
	return family_is_v6(family) ? AF_INET6 : AF_INET;
}

size_t family_addr_len(int family)
{
	return family_is_v6(family) ? 16 : 4;
}

const char *names_addr(int family, const unsigned char *a, char *buf, size_t len)
{
	if (!inet_ntop(family_af(family), a, buf, len) && len)
		buf[0] = 0;
	return buf;
}

const char *names_proto(int p)
{
	switch (p) {
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMPV6: return "icmp6";
	case IPPROTO_SCTP: return "sctp";
	case IPPROTO_HOPOPTS: return "ipv6-hop-by-hop";
	case IPPROTO_IGMP: return "igmp";
	default: return NULL;
	}
}

#define ETH_P_ARP_HOST 0x0806

const char *names_flow(const struct nst_flow *f, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	const char *pn = names_proto(f->proto);
	int v6 = family_is_v6(f->family);

	if (!f->family) {
		if (f->l3proto == ETH_P_ARP_HOST)
			snprintf(buf, len, "arp");
		else
			snprintf(buf, len, "ethertype 0x%04x", f->l3proto);
		return buf;
	}
	names_addr(f->family, f->src, s, sizeof(s));
	names_addr(f->family, f->dst, d, sizeof(d));
	if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP)
		snprintf(buf, len, v6 ? "%s [%s]:%u -> [%s]:%u" : "%s %s:%u -> %s:%u",
			 pn, s, f->sport, d, f->dport);
	else if (f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6)
		snprintf(buf, len, "%s %s -> %s type %u code %u", pn, s, d, f->icmp_type,
			 f->icmp_code);
	else if (pn)
		snprintf(buf, len, "%s %s -> %s", pn, s, d);
	else
		snprintf(buf, len, "proto %u %s -> %s", f->proto, s, d);
	return buf;
}

const char *names_location(uint64_t location, char *buf, size_t len)
{
	const char *s = ksym_name(location);

	if (s)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)location);
	return buf;
}

void drop_words(uint32_t reason, uint64_t location, const struct nst_flow *flow,
		struct drop_words *out)
{
	const char *b;

	out->reason = reason_name(reason);
	names_location(location, out->loc, sizeof(out->loc));
	b = reason_benign(out->reason, out->loc, flow);
	out->benign = b != NULL;
	out->hint = b ? b : reason_hint(out->reason, out->loc);
}
