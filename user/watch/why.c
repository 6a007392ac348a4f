/* The rule behind a NETFILTER_DROP, from nftables' tracing, and the MTU
 * behind an oversize frame (see why.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <linux/netfilter/nf_tables.h>
#include "firewall.h"
#include "log.h"
#include "netns.h"
#include "reasons.h"
#include "report.h"
#include "tags.h"
#include "why.h"

/* A trace and the story of its drop are read from two queues: they meet
 * if read this close in time. */
#define WHY_WINDOW_S 2.0

void why_init(struct why *y, int mode, int efd)
{
	memset(y, 0, sizeof(*y));
	y->mode = mode;
	y->efd = efd;
	snprintf(y->table, sizeof(y->table), NFTRACE_TABLE_PREFIX "%d", (int)getpid());
}

static struct why_ns *ns_slot(struct why *y, uint64_t netns)
{
	struct why_ns *v;

	for (int i = 0; i < y->nns; i++)
		if (y->ns[i].netns == netns)
			return &y->ns[i];
	if (!(v = realloc(y->ns, (y->nns + 1) * sizeof(*v))))
		return NULL;
	y->ns = v;
	memset(&v[y->nns], 0, sizeof(*v));
	v[y->nns].netns = netns;
	return &v[y->nns++];
}

static int ns_mode(const struct plan *p, uint64_t netns)
{
	for (int i = 0; i < p->nns; i++)
		if (p->ns[i].inode == netns)
			return p->ns[i].mode;
	return 0;
}

/* Does the namespace have a ruleset of its own (any table but ours)? */
static int has_ruleset(int nsfd)
{
	char list[4096], *save = NULL;

	if (firewall_list(nsfd, "list tables", 0, list, sizeof(list), NULL, 0))
		return 0;
	for (char *l = strtok_r(list, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (!strncmp(l, "table ", 6) && !strstr(l, " " NFTRACE_TABLE_PREFIX))
			return 1;
	return 0;
}

/* Listen, then mark: our table in NETNS, leased first. 0 or -errno. */
static int enable(struct why *y, struct report *r, const struct watch_view *v, struct why_ns *s,
		  int need_ruleset)
{
	struct nftrace_sel sel = { .filter = &v->o->filter };
	char err[256], script[8192], note[400], label[NAME_LEN];
	struct epoll_event ev = { .events = EPOLLIN };
	int nsfd, fd, ret;

	if (s->table || s->failed)
		return 0;
	s->failed = 1;   /* one try per namespace */
	if (firewall_load()) {
		pr_warn("cannot name nftables rules: %s\n", firewall_missing());
		return -EOPNOTSUPP;
	}
	nsfd = netns_open_inode(s->netns, err, sizeof(err));
	if (nsfd < 0)
		return nsfd;
	if (need_ruleset && !has_ruleset(nsfd)) {
		s->failed = 0;   /* nothing to trace yet: a NETFILTER_DROP may ask again */
		close(nsfd);
		return 0;
	}
	if (ns_mode(v->plan, s->netns) == NST_NS_ADDRS) {
		sel.addrs = v->plan->addrs;
		sel.naddrs = v->plan->naddrs;
	}
	names_ns(v->names, s->netns, label, sizeof(label));
	ret = nftrace_script(y->table, &sel, script, sizeof(script));
	if (ret <= 0)
		goto out;
	fd = nftrace_open(nsfd, &s->nl);
	if (fd < 0) {
		ret = fd;
		pr_warn("cannot read nftables traces in %s: %s\n", label, strerror(-fd));
		goto out;
	}
	ev.data.u64 = tag_make(TAG_NFTRACE, (uint32_t)(s - y->ns));
	epoll_ctl(y->efd, EPOLL_CTL_ADD, fd, &ev);
	if ((!y->lease.f && (ret = lease_open(&y->lease, "nftrace"))) ||
	    (ret = lease_add(&y->lease, NFTRACE_LEASE_LINE, (unsigned long long)s->netns, y->table))) {
		pr_warn("cannot lease the tracing table in %s: %s\n", LEASE_DIR, strerror(-ret));
		goto out_sock;
	}
	if ((ret = nftrace_add(nsfd, script, err, sizeof(err)))) {
		pr_warn("cannot add table inet %s in %s: %s\n", y->table, label, err);
		goto out_sock;
	}
	s->table = 1;
	s->failed = 0;
	snprintf(note, sizeof(note), "naming the nftables rules that drop in %s: added table inet %s "
		 "there (it only sets nftrace on watched packets; removed at exit)",
		 label, y->table);
	report_note(r, v, note);
	close(nsfd);
	return 0;
out_sock:
	nftrace_close(s->nl);   /* also leaves the epoll set */
	s->nl = NULL;
out:
	close(nsfd);
	return ret;
}

void why_start(struct why *y, struct report *r, const struct watch_view *v)
{
	if (y->mode != WHY_ON)
		return;
	for (int i = 0; i < v->plan->nns; i++) {
		struct why_ns *s = ns_slot(y, v->plan->ns[i].inode);

		if (s)
			enable(y, r, v, s, 1);
	}
}

static void resolve(struct why_rule *r);

/* The rule M names, found or added (and listed once, as nft prints it,
 * while it is likely still there). */
static int rule_index(struct why *y, uint64_t netns, const struct nftrace_msg *m)
{
	uint64_t handle = m->type == NFT_TRACETYPE_POLICY ? 0 : m->handle;
	struct why_rule *v;

	for (int i = 0; i < y->nrules; i++) {
		const struct why_rule *r = &y->rules[i];

		if (r->netns == netns && r->family == m->family && r->handle == handle &&
		    !strcmp(r->table, m->table) && !strcmp(r->chain, m->chain))
			return i;
	}
	if (!(v = realloc(y->rules, (y->nrules + 1) * sizeof(*v))))
		return -1;
	y->rules = v;
	memset(&v[y->nrules], 0, sizeof(*v));
	v[y->nrules].netns = netns;
	v[y->nrules].family = m->family;
	v[y->nrules].handle = handle;
	snprintf(v[y->nrules].table, sizeof(v->table), "%s", m->table);
	snprintf(v[y->nrules].chain, sizeof(v->chain), "%s", m->chain);
	resolve(&v[y->nrules]);
	return y->nrules++;
}

struct read_ctx {
	struct why *y;
	uint64_t netns;
};

static void on_trace(void *ctx, const struct nftrace_msg *m)
{
	struct read_ctx *rc = ctx;
	struct why *y = rc->y;
	struct why_seen *s;

	/* Our own chains only mark: not what anyone asks about. */
	if (!strncmp(m->table, NFTRACE_TABLE_PREFIX, strlen(NFTRACE_TABLE_PREFIX)))
		return;
	if (!m->has_flow && !nftrace_is_drop(m))
		return;
	s = &y->seen[y->nseen++ % WHY_SEEN];
	memset(s, 0, sizeof(*s));
	s->t = watch_now();
	s->netns = rc->netns;
	s->id = m->id;
	s->rule = -1;
	s->has_flow = m->has_flow;
	s->flow = m->flow;
	/* Only the first message of a chain carries the headers: the drop
	 * may come later in it, under the same trace id. */
	for (unsigned int k = 1; !s->has_flow && k < WHY_SEEN && k < y->nseen; k++) {
		const struct why_seen *o = &y->seen[(y->nseen - 1 - k) % WHY_SEEN];

		if (o->netns == s->netns && o->id == s->id && o->has_flow) {
			s->has_flow = 1;
			s->flow = o->flow;
		}
	}
	if (nftrace_is_drop(m) && (s->rule = rule_index(y, rc->netns, m)) >= 0)
		y->rules[s->rule].traced++;
}

void why_read(struct why *y, int idx)
{
	struct read_ctx rc = { y, 0 };

	if (idx < 0 || idx >= y->nns || !y->ns[idx].nl)
		return;
	rc.netns = y->ns[idx].netns;
	if (nftrace_read(y->ns[idx].nl, on_trace, &rc) == -ENOBUFS)
		y->lost++;
}

void why_read_all(struct why *y)
{
	for (int i = 0; i < y->nns; i++)
		why_read(y, i);
}

static int same_flow(const struct nst_flow *a, const struct nst_flow *b)
{
	size_t n = a->family == NST_AF_INET6 ? 16 : 4;

	if (a->family != b->family || a->proto != b->proto || memcmp(a->src, b->src, n) ||
	    memcmp(a->dst, b->dst, n))
		return 0;
	if (a->proto == IPPROTO_TCP || a->proto == IPPROTO_UDP || a->proto == IPPROTO_SCTP)
		return a->sport == b->sport && a->dport == b->dport;
	if (a->proto == IPPROTO_ICMP || a->proto == IPPROTO_ICMPV6)
		return a->icmp_type == b->icmp_type && a->icmp_code == b->icmp_code;
	return 1;
}

static void resolve(struct why_rule *r)
{
	char err[160];
	int nsfd, ret;

	if (r->resolved)
		return;
	r->resolved = 1;
	nsfd = netns_open_inode(r->netns, err, sizeof(err));
	if (nsfd < 0)
		return;
	ret = nftrace_rule(nsfd, r->family, r->table, r->chain, r->handle, r->text, sizeof(r->text),
			   &r->topo, &r->iptables);
	if (ret)
		pr_info("cannot list rule %llu of chain %s %s %s: %s\n", (unsigned long long)r->handle,
			nftrace_family(r->family), r->table, r->chain, strerror(-ret));
	close(nsfd);
}

static void note_row(struct why *y, const struct nst_event *e, int rule)
{
	struct nst_drop_key k = { .netns = e->netns, .ifindex = e->ifindex, .reason = e->reason,
				  .location = e->location };
	struct why_row *row = NULL, *v;
	int known = 0;

	for (int i = 0; i < y->nrows && !row; i++)
		if (!memcmp(&y->rows[i].k, &k, sizeof(k)))
			row = &y->rows[i];
	if (!row) {
		if (!(v = realloc(y->rows, (y->nrows + 1) * sizeof(*v))))
			return;
		y->rows = v;
		row = &v[y->nrows++];
		memset(row, 0, sizeof(*row));
		row->k = k;
	}
	row->rule = rule;
	for (int i = 0; i < row->nrules; i++)
		known |= row->rules[i] == rule;
	if (rule >= 0 && !known && row->nrules < WHY_ROW_RULES)
		row->rules[row->nrules++] = rule;
}

int why_nft_drop(uint32_t reason, uint64_t location)
{
	char loc[128];

	names_location(location, loc, sizeof(loc));
	return !strcmp(reason_name(reason), "NETFILTER_DROP") || !strcmp(loc, "nft_do_chain");
}

int why_drop(struct why *y, struct report *r, const struct watch_view *v,
	     const struct nst_event *e)
{
	double t = e->ts / 1e9;
	struct why_ns *s;
	int found = -1;

	if (y->mode == WHY_OFF || !why_nft_drop(e->reason, e->location))
		return -1;
	why_read_all(y);
	for (unsigned int k = 0; k < WHY_SEEN && k < y->nseen; k++) {
		const struct why_seen *o = &y->seen[(y->nseen - 1 - k) % WHY_SEEN];

		if (o->rule >= 0 && o->netns == e->netns && o->has_flow &&
		    o->t > t - WHY_WINDOW_S && o->t < t + WHY_WINDOW_S && same_flow(&o->flow, &e->flow)) {
			found = o->rule;
			break;
		}
	}
	/* Turned on after the story is told, so its note follows it. */
	if (found < 0 && plan_has_ns(v->plan, e->netns) && (s = ns_slot(y, e->netns)) &&
	    !s->table && !s->failed)
		s->pending = 1;
	(void)r;
	note_row(y, e, found);
	return found;
}

void why_forget(struct why *y, uint64_t netns)
{
	for (int i = 0; i < y->nns; i++)
		if (y->ns[i].netns == netns && y->ns[i].nl) {
			nftrace_close(y->ns[i].nl);
			y->ns[i].nl = NULL;
			y->ns[i].failed = 1;
		}
}

void why_enable_pending(struct why *y, struct report *r, const struct watch_view *v)
{
	for (int i = 0; i < y->nns; i++)
		if (y->ns[i].pending) {
			y->ns[i].pending = 0;
			enable(y, r, v, &y->ns[i], 0);
		}
}

void why_stop(struct why *y)
{
	int kept = 0;

	for (int i = 0; i < y->nns; i++) {
		struct why_ns *s = &y->ns[i];
		char err[160];
		int nsfd;

		nftrace_close(s->nl);
		s->nl = NULL;
		if (!s->table)
			continue;
		nsfd = netns_open_inode(s->netns, err, sizeof(err));
		if (nsfd < 0)   /* the namespace went, and our table with it */
			continue;
		if (nftrace_remove(nsfd, y->table)) {
			pr_warn("cannot remove table inet %s (netns %llu): 'nstrace cleanup' will\n",
				y->table, (unsigned long long)s->netns);
			kept = 1;
		}
		close(nsfd);
	}
	if (kept && y->lease.f) {   /* the lease stays for cleanup */
		fclose(y->lease.f);
		y->lease.f = NULL;
	}
	lease_drop(&y->lease);
	free(y->ns);
	free(y->rules);
	free(y->rows);
	y->ns = NULL;
	y->rules = NULL;
	y->rows = NULL;
	y->nns = y->nrules = y->nrows = 0;
}

/* A rule's own fields, in a drop's "rule" object and in nft_rules. */
static void rule_fields(struct printer *p, const struct why_rule *r)
{
	print_str(p, PRINT_JSON, "family", NULL, nftrace_family(r->family));
	print_str(p, PRINT_JSON, "table", NULL, r->table);
	print_str(p, PRINT_JSON, "chain", NULL, r->chain);
	print_uint(p, PRINT_JSON, "handle", NULL, r->handle);
	print_str(p, PRINT_JSON, "text", NULL, r->text);
	print_uint(p, PRINT_JSON, "topo_line", NULL, (uint64_t)r->topo.line);
	print_str(p, PRINT_JSON, "topo_file", NULL, r->topo.file);
	print_bool(p, PRINT_JSON, "iptables", NULL, r->iptables);
	print_bool(p, PRINT_JSON, "policy", NULL, !r->handle);
}

void why_json_rules(struct printer *p, const struct watch_view *v)
{
	const struct why *y = v->why;

	for (int i = 0; y && i < y->nrules; i++) {
		const struct why_rule *r = &y->rules[i];

		print_open_object(p, NULL);
		print_str(p, PRINT_JSON, "netns", NULL, names_ns(v->names, r->netns, NAME_BUF));
		rule_fields(p, r);
		print_uint(p, PRINT_JSON, "traced", NULL, r->traced);
		print_close_object(p);
	}
}

const struct why_rule *why_rule_at(const struct why *y, int idx)
{
	return y && idx >= 0 && idx < y->nrules ? &y->rules[idx] : NULL;
}

static const struct why_row *find_row(const struct why *y, const struct nst_drop_key *k)
{
	for (int i = 0; y && i < y->nrows; i++)
		if (y->rows[i].k.netns == k->netns && y->rows[i].k.ifindex == k->ifindex &&
		    y->rows[i].k.reason == k->reason && y->rows[i].k.location == k->location)
			return &y->rows[i];
	return NULL;
}

const struct why_rule *why_row_rule(const struct why *y, const struct nst_drop_key *k)
{
	const struct why_row *row = find_row(y, k);

	return row ? why_rule_at(y, row->rule) : NULL;
}

const struct why_rule *why_row_rule_at(const struct why *y, const struct nst_drop_key *k, int i)
{
	const struct why_row *row = find_row(y, k);

	return row && i < row->nrules ? why_rule_at(y, row->rules[i]) : NULL;
}

void why_rule_words(const struct why_rule *r, char *buf, size_t len)
{
	size_t pos;

	if (!r->handle)
		snprintf(buf, len, "the %s of chain %s %s %s", r->text[0] ? r->text : "policy",
			 nftrace_family(r->family), r->table, r->chain);
	else
		snprintf(buf, len, "nft rule %s %s %s handle %llu: %s", nftrace_family(r->family),
			 r->table, r->chain, (unsigned long long)r->handle,
			 r->text[0] ? r->text : "(its text could not be listed)");
	pos = strlen(buf);
	if (r->topo.line && r->topo.file[0])
		snprintf(buf + pos, len - pos, " (%s:%d)", r->topo.file, r->topo.line);
	else if (r->topo.line)
		snprintf(buf + pos, len - pos, " (topology line %d)", r->topo.line);
	else if (r->iptables)
		snprintf(buf + pos, len - pos, " (made by iptables-nft: nft's translation)");
}

void why_print_rule(struct printer *p, const struct why_rule *r)
{
	print_open_object(p, "rule");
	rule_fields(p, r);
	print_close_object(p);
}

static const struct live_link *find_link(const struct live_topo *lt, uint64_t netns, int ifindex)
{
	for (int i = 0; i < lt->nns; i++)
		if (lt->ns[i].inode == netns)
			for (int l = 0; l < lt->ns[i].nlinks; l++)
				if (lt->ns[i].links[l].ifindex == ifindex)
					return &lt->ns[i].links[l];
	return NULL;
}

int why_mtu_words(const struct watch_view *v, const struct nst_event *e, char *buf, size_t len)
{
	const struct live_link *me, *peer;
	char loc[128], who[NAME_LEN + 20];
	unsigned int bytes;

	names_location(e->location, loc, sizeof(loc));
	if (!(me = find_link(v->lt, e->netns, (int)e->ifindex)))
		return 0;
	/* The frame still has its Ethernet header; the MTU counts from IP. */
	bytes = e->len > 14 ? e->len - 14 : e->len;
	/* A veth handing the frame to its peer: the peer's MTU. */
	if ((strcmp(loc, "__dev_forward_skb2") && strcmp(loc, "__dev_forward_skb") &&
	     strcmp(loc, "is_skb_forwardable")) || !me->peer_ifindex ||
	    !(peer = find_link(v->lt, me->peer_netns, me->peer_ifindex)))
		return 0;
	if (!peer->mtu || bytes <= peer->mtu)
		return 0;
	names_where(v->names, me->peer_netns, (uint32_t)peer->ifindex, who, sizeof(who));
	snprintf(buf, len, "%u bytes > %s's MTU %u", bytes, who, peer->mtu);
	return 1;
}
