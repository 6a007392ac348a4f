/* What doctor's checks read: the live topology as a flat list of ports
 * (namespace, link) and endpoints (port, address), built once, with each
 * port's veth peer and L2 domain. */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include "doctor.h"
#include "plan.h"

int doctor_asked(const struct doctor *d, uint64_t ino)
{
	if (!d->only)
		return 1;
	for (int i = 0; i < d->nonly; i++)
		if (d->only[i] == ino)
			return 1;
	return d->near && plan_has_ns(d->near, ino);
}

/* A port on the targets' paths: in a namespace asked about, or one watch
 * would attach to (a bridge host's other links are not on the path). */
static int port_asked(const struct doctor *d, const struct live_ns *ns, const struct live_link *l)
{
	for (int i = 0; i < d->nonly; i++)
		if (d->only[i] == ns->inode)
			return 1;
	if (!d->only)
		return 1;
	for (int i = 0; d->near && i < d->near->nports; i++)
		if (d->near->ports[i].netns == ns->inode && d->near->ports[i].ifindex == l->ifindex)
			return 1;
	return 0;
}

const char *doctor_ip(const struct live_ns *ns, char *buf, size_t len)
{
	if (ns->is_root)
		snprintf(buf, len, "ip");
	else if (ns->name[0])
		snprintf(buf, len, "ip -n %s", ns->name);
	else
		snprintf(buf, len, "nsenter -t %d -n ip", ns->pid);
	return buf;
}

/* The port of the link with IFINDEX in the namespace with inode INO. */
static int port_of(const struct doctor *d, uint64_t ino, int ifindex)
{
	const struct live_ns *ns = live_ns_by_inode(&d->lt, ino);
	const struct live_link *l = ns ? live_link_by_index(ns, ifindex) : NULL;

	for (int p = 0; l && p < d->nports; p++)
		if (d->ports[p].link == l)
			return p;
	return -1;
}

static int count_links(const struct live_topo *lt, int *naddrs)
{
	int n = 0;

	*naddrs = 0;
	for (int i = 0; i < lt->nns; i++)
		for (int k = 0; k < lt->ns[i].nlinks; k++, n++)
			*naddrs += lt->ns[i].links[k].naddrs;
	return n;
}

static void add_port(struct doctor *d, int nsi, const struct live_link *l)
{
	struct doc_port *p = &d->ports[d->nports];

	p->ns = &d->lt.ns[nsi];
	p->link = l;
	p->nsi = nsi;
	p->asked = port_asked(d, p->ns, p->link);
	p->peer = -1;
	p->domain = d->nports;
	p->ep = d->neps;
	p->nep = l->naddrs;
	for (int a = 0; a < l->naddrs; a++)
		d->eps[d->neps++] = (struct doc_endpoint){ .port = d->nports, .addr = &l->addrs[a] };
	d->nports++;
}

static int find(struct doc_port *ports, int x)
{
	while (ports[x].domain != x)
		x = ports[x].domain = ports[ports[x].domain].domain;
	return x;
}

static void join(struct doc_port *ports, int a, int b)
{
	int ra = find(ports, a), rb = find(ports, b);

	ports[ra].domain = rb;
}

/* Veth pairs and bridge ports join links into one L2 domain. */
static void build_domains(struct doctor *d)
{
	for (int i = 0; i < d->nports; i++) {
		const struct doc_port *p = &d->ports[i];
		const struct live_link *l = p->link;
		int other;

		if (l->peer_ifindex && l->peer_netns && p->peer >= 0)
			join(d->ports, i, p->peer);
		if (l->master && (other = port_of(d, p->ns->inode, l->master)) >= 0)
			join(d->ports, i, other);
	}
	for (int i = 0; i < d->nports; i++)
		d->ports[i].domain = find(d->ports, i);
}

int doctor_flatten(struct doctor *d)
{
	int naddrs, nlinks = count_links(&d->lt, &naddrs);

	d->ports = calloc(nlinks + 1, sizeof(*d->ports));
	d->eps = calloc(naddrs + 1, sizeof(*d->eps));
	if (!d->ports || !d->eps)
		return -ENOMEM;
	for (int i = 0; i < d->lt.nns; i++)
		for (int k = 0; k < d->lt.ns[i].nlinks; k++)
			add_port(d, i, &d->lt.ns[i].links[k]);
	for (int i = 0; i < d->nports; i++) {
		const struct live_link *l = d->ports[i].link;

		d->ports[i].peer = port_of(d, l->peer_netns, l->peer_ifindex);
	}
	build_domains(d);
	return 0;
}
