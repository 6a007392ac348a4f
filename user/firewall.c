/* Topology firewall statements -> nft commands in table inet nstrace.
 *
 *   firewall router forward drop tcp from web to db port 5432
 *     add rule inet nstrace forward ip saddr { 10.10.1.2 } ip daddr { 10.10.3.2 }
 *         tcp dport 5432 counter drop comment "line 27"
 *
 * Every rule has a counter: that is the witness nstrace's NETFILTER_DROP
 * counts are checked against. */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <nftables/libnftables.h>
#include "firewall.h"
#include "netns.h"
#include "outbuf.h"

#define FAM_V4 1
#define FAM_V6 2

/* libnftables is loaded only when a topology has firewall, nat or nft
 * statements: watch, trace, doctor and the rest of topo then run on hosts
 * without nftables (it drags in libnftnl, libxtables, libjansson, libgmp).
 * The header still gives the types, so each pointer is checked against
 * the real prototype. */
#define NFT_FUNCS(X) X(nft_ctx_new) X(nft_ctx_free) X(nft_ctx_buffer_output) \
	X(nft_ctx_buffer_error) X(nft_ctx_get_error_buffer) X(nft_ctx_set_dry_run) \
	X(nft_run_cmd_from_buffer) X(nft_ctx_output_set_flags) X(nft_ctx_get_output_buffer)
#define NFT_PTR(f) static __typeof__(f) *p_##f;
NFT_FUNCS(NFT_PTR)
static char nft_why[256];

int firewall_load(void)
{
	static int state;   /* 0 not tried, 1 loaded, -1 missing */
	void *h;

	if (state)
		return state > 0 ? 0 : -ENOENT;
	state = -1;
	h = dlopen(FIREWALL_LIB, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(nft_why, sizeof(nft_why), "%s", dlerror());
		return -ENOENT;
	}
#define NFT_SYM(f) \
	if (!(p_##f = (__typeof__(f) *)dlsym(h, #f))) { \
		snprintf(nft_why, sizeof(nft_why), "%s has no %s", FIREWALL_LIB, #f); \
		dlclose(h); \
		return -ENOENT; \
	}
	NFT_FUNCS(NFT_SYM)
	state = 1;
	return 0;
}

const char *firewall_missing(void)
{
	return firewall_load() ? nft_why : NULL;
}

const char *firewall_status(void)
{
	static char s[400];
	const char *why = firewall_missing();

	if (!why)
		return FIREWALL_LIB " loaded (topology firewall, nat and nft statements)";
	snprintf(s, sizeof(s), "not available: %s (install " FIREWALL_PKG " for topology "
		 "firewall, nat and nft statements; nothing else needs it)", why);
	return s;
}

static int peer_families(const struct topo *t, const struct topo_peer *p)
{
	int fam = 0;

	if (p->has_net)
		return p->net.family == AF_INET ? FAM_V4 : FAM_V6;
	if (p->ns < 0)
		return FAM_V4 | FAM_V6;
	for (int i = 0; i < t->nlinks; i++)
		if (!strcmp(t->links[i].ns, t->ns[p->ns].name))
			for (int k = 0; k < t->links[i].naddrs; k++)
				fam |= t->links[i].addrs[k].family == AF_INET ? FAM_V4 : FAM_V6;
	return fam;
}

int firewall_families(const struct topo *t, const struct topo_rule *r)
{
	int fam = peer_families(t, &r->from) & peer_families(t, &r->to);

	if (!strcmp(r->proto, "icmp"))
		fam &= FAM_V4;
	else if (!strcmp(r->proto, "icmp6"))
		fam &= FAM_V6;
	return fam;
}

struct out {
	struct outbuf b;
	int ncmd, *lines, maxlines;
};

/* End a command that came from topology line LINE (0: nstrace's own). */
static void end_cmd(struct out *o, int line)
{
	outbuf_put(&o->b, "\n");
	if (o->lines && o->ncmd < o->maxlines)
		o->lines[o->ncmd] = line;
	o->ncmd++;
}

/* " ip saddr { 10.10.1.2, 10.10.1.3 }" for one family. */
static void put_peer(struct out *o, const struct topo *t, const struct topo_peer *p,
		     int fam, const char *dir)
{
	const char *kw = fam == FAM_V4 ? "ip" : "ip6";
	char a[INET6_ADDRSTRLEN + 8];
	int n = 0;

	if (p->has_net) {
		struct ipaddr net = p->net;
		int bits = net.family == AF_INET ? 32 : 128;

		if (net.plen >= 0 && net.plen < bits)   /* nft refuses host bits */
			for (int b = net.plen; b < bits; b++)
				net.a[b / 8] &= (unsigned char)~(0x80 >> (b % 8));
		ipaddr_format(&net, a, sizeof(a));
		outbuf_put(&o->b, " %s %saddr %s", kw, dir, a);
		return;
	}
	if (p->ns < 0)
		return;
	outbuf_put(&o->b, " %s %saddr {", kw, dir);
	for (int i = 0; i < t->nlinks; i++) {
		const struct topo_link *l = &t->links[i];

		if (strcmp(l->ns, t->ns[p->ns].name))
			continue;
		for (int k = 0; k < l->naddrs; k++) {
			struct ipaddr h = l->addrs[k];

			if ((h.family == AF_INET ? FAM_V4 : FAM_V6) != fam)
				continue;
			h.plen = -1;
			ipaddr_format(&h, a, sizeof(a));
			outbuf_put(&o->b, "%s %s", n++ ? "," : "", a);
		}
	}
	outbuf_put(&o->b, " }");
}

static void put_filter(struct out *o, const struct topo *t, const struct topo_rule *r)
{
	int fams = firewall_families(t, r), any = r->from.ns < 0 && !r->from.has_net &&
						  r->to.ns < 0 && !r->to.has_net;

	for (int fam = FAM_V4; fam <= FAM_V6; fam <<= 1) {
		if (!any && !(fams & fam))
			continue;
		outbuf_put(&o->b, "add rule " FIREWALL_TABLE " %s", r->chain);
		if (!any) {
			put_peer(o, t, &r->from, fam, "s");
			put_peer(o, t, &r->to, fam, "d");
		}
		if (r->port)
			outbuf_put(&o->b, " %s dport %u", r->proto, r->port);
		else if (!strcmp(r->proto, "icmp6"))
			outbuf_put(&o->b, " meta l4proto ipv6-icmp");
		else if (r->proto[0])
			outbuf_put(&o->b, " meta l4proto %s", r->proto);
		outbuf_put(&o->b, " counter %s comment \"line %d\"", r->action, r->line);
		end_cmd(o, r->line);
		if (any)
			break;
	}
}

/* The table says which file made it (FIREWALL_FILE_COMMENT), so that a
 * rule's `comment "line N"` leads back to FILE:N (watch --why). */
static void put_file(struct out *o, const char *file)
{
	char *abs = realpath(file, NULL);
	const char *f = abs ? abs : file;

	if (*f && !strpbrk(f, "\"\\\n") && strlen(f) < 200)
		outbuf_put(&o->b, " { comment \"" FIREWALL_FILE_COMMENT "%s\"; }", f);
	free(abs);
}

int firewall_script(const struct topo *t, const char *ns, char *buf, size_t len,
		    int *lines, int maxlines)
{
	static const char *chains[] = { "input", "forward", "output" };
	struct out o = { .b = { .buf = buf, .len = len }, .lines = lines, .maxlines = maxlines };
	int used[3] = { 0 }, masq = 0, nrules = 0;

	buf[0] = 0;
	for (int i = 0; i < t->nrules; i++) {
		const struct topo_rule *r = &t->rules[i];

		if (strcmp(r->ns, ns))
			continue;
		nrules++;
		masq |= r->kind == TR_MASQUERADE;
		for (int c = 0; c < 3; c++)
			used[c] |= r->kind == TR_FILTER && !strcmp(r->chain, chains[c]);
	}
	if (!nrules)
		return 0;
	outbuf_put(&o.b, "add table " FIREWALL_TABLE);
	put_file(&o, t->file);
	end_cmd(&o, 0);
	for (int c = 0; c < 3; c++)
		if (used[c]) {
			outbuf_put(&o.b, "add chain " FIREWALL_TABLE " %s { type filter hook %s "
			    "priority 0; policy accept; }", chains[c], chains[c]);
			end_cmd(&o, 0);
		}
	if (masq) {
		outbuf_put(&o.b, "add chain " FIREWALL_TABLE " postrouting { type nat hook "
		    "postrouting priority 100; policy accept; }");
		end_cmd(&o, 0);
	}
	for (int i = 0; i < t->nrules; i++) {
		const struct topo_rule *r = &t->rules[i];

		if (strcmp(r->ns, ns))
			continue;
		if (r->kind == TR_FILTER) {
			put_filter(&o, t, r);
		} else if (r->kind == TR_MASQUERADE) {
			outbuf_put(&o.b, "add rule " FIREWALL_TABLE " postrouting oifname \"%s\" "
			    "counter masquerade comment \"line %d\"", r->oif, r->line);
			end_cmd(&o, r->line);
		} else {
			outbuf_put(&o.b, "%s", r->text);
			end_cmd(&o, r->line);
		}
	}
	return o.b.pos >= o.b.len ? -ENOSPC : o.ncmd;
}

/* Which command of SCRIPT fails: nft's message shows the first line of
 * the buffer whatever failed, so check growing prefixes (dry run: checked
 * by the kernel, never committed). 0 when none fails alone. */
static int failing_cmd(struct nft_ctx *nft, const char *script)
{
	size_t len = strlen(script);
	char *buf = malloc(len + 1);
	int k = 0, found = 0;

	if (!buf)
		return 0;
	p_nft_ctx_set_dry_run(nft, true);
	for (const char *nl = script; !found && (nl = strchr(nl, '\n')); nl++) {
		k++;
		memcpy(buf, script, nl - script + 1);
		buf[nl - script + 1] = 0;
		found = p_nft_run_cmd_from_buffer(nft, buf) != 0;
	}
	p_nft_ctx_set_dry_run(nft, false);
	free(buf);
	return found ? k : 0;
}

int firewall_apply(int nsfd, const char *script, int *cmd, char *err, size_t errlen)
{
	struct nft_ctx *nft;
	int saved, ret;

	if (cmd)
		*cmd = 0;
	if (firewall_load()) {
		snprintf(err, errlen, "%s", firewall_missing());
		return -EOPNOTSUPP;
	}
	ret = netns_enter(nsfd, &saved);
	if (ret) {
		snprintf(err, errlen, "cannot enter the namespace: %s", strerror(-ret));
		return ret;
	}
	/* Created inside the namespace: its netlink socket belongs there. */
	nft = p_nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft) {
		snprintf(err, errlen, "cannot start libnftables");
		ret = -ENOMEM;
	} else {
		p_nft_ctx_buffer_output(nft);
		p_nft_ctx_buffer_error(nft);
		if (p_nft_run_cmd_from_buffer(nft, script)) {
			const char *msg = p_nft_ctx_get_error_buffer(nft), *e = strstr(msg, "Error: ");

			e = e ? e : msg;
			snprintf(err, errlen, "%.*s", (int)strcspn(e, "\n"), e);
			if (cmd)
				*cmd = failing_cmd(nft, script);
			ret = -EINVAL;
		}
		p_nft_ctx_free(nft);
	}
	netns_leave(saved);
	return ret;
}

int firewall_list(int nsfd, const char *cmd, int handles, char *out, size_t len,
		  char *err, size_t errlen)
{
	struct nft_ctx *nft;
	int saved, ret;

	out[0] = 0;
	if (err)
		err[0] = 0;
	if (firewall_load())
		return -EOPNOTSUPP;
	if ((ret = netns_enter(nsfd, &saved)))
		return ret;
	nft = p_nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft) {
		ret = -ENOMEM;
	} else {
		p_nft_ctx_buffer_output(nft);
		p_nft_ctx_buffer_error(nft);
		if (handles)
			p_nft_ctx_output_set_flags(nft, NFT_CTX_OUTPUT_HANDLE);
		ret = p_nft_run_cmd_from_buffer(nft, cmd) ? -ENOENT : 0;
		if (!ret)
			snprintf(out, len, "%s", p_nft_ctx_get_output_buffer(nft));
		if (err)
			snprintf(err, errlen, "%s", p_nft_ctx_get_error_buffer(nft));
		p_nft_ctx_free(nft);
	}
	netns_leave(saved);
	return ret;
}
