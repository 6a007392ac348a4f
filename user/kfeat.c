/* Kernel features, read from the running kernel's BTF: the same facts
 * the verifier and libbpf will check, known before anything is loaded,
 * so a missing one picks another program instead of failing the load. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include "kfeat.h"
#include "log.h"
#include "nstrace_types.h"
#include "reasons.h"
#include "watch.skel.h"

static int enum_has(const struct btf *btf, const char *type, const char *value)
{
	int id = btf__find_by_name_kind(btf, type, BTF_KIND_ENUM);
	const struct btf_type *t;
	const struct btf_enum *e;

	if (id <= 0)
		return 0;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (int i = 0; i < btf_vlen(t); i++, e++)
		if (!strcmp(btf__name_by_offset(btf, e->name_off), value))
			return 1;
	return 0;
}

/* NSTRACE_DEGRADE=kctx,tcx,...: is NAME listed? */
static int degraded_by_env(const char *name)
{
	const char *s = getenv("NSTRACE_DEGRADE");
	size_t n = strlen(name);

	while (s && *s) {
		if (!strncmp(s, name, n) && (s[n] == ',' || !s[n]))
			return 1;
		s = strchr(s, ',');
		s = s ? s + 1 : NULL;
	}
	return 0;
}

static void probe(struct kfeat *k)
{
	const struct btf *btf = kernel_btf();

	if (!btf)
		return;
	/* Both from 6.2: tc's namespace, kfree_skb's segment count. */
	k->kctx = btf__find_by_name_kind(btf, "bpf_cast_to_kern_ctx", BTF_KIND_FUNC) > 0 &&
		  btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
	k->tcx = enum_has(btf, "bpf_attach_type", "BPF_TCX_INGRESS");
	/* (skb, location, reason[, rx_sk]) from 5.17; (skb, location) before. */
	k->drop_reason = kernel_tracepoint_args("kfree_skb") >= 3;
	k->icmp_send = kernel_has_tracepoint("icmp_send");
	k->tcp_resets = kernel_has_tracepoint("tcp_send_reset") &&
			kernel_has_tracepoint("tcp_receive_reset");
	/* 6.10 gave tcp_send_reset its reason argument in the same series
	 * that made it fire for resets sent without a socket. */
	k->reset_nosock = kernel_tracepoint_args("tcp_send_reset") >= 3;
	k->forced = getenv("NSTRACE_DEGRADE") && *getenv("NSTRACE_DEGRADE");
	if (degraded_by_env("kctx"))
		k->kctx = 0;
	if (degraded_by_env("tcx"))
		k->tcx = 0;
	if (degraded_by_env("reason"))
		k->drop_reason = 0;
	if (degraded_by_env("icmp_send"))
		k->icmp_send = 0;
	if (degraded_by_env("reset_nosock"))
		k->reset_nosock = 0;
}

const struct kfeat *kfeat_get(void)
{
	static struct kfeat k;
	static int probed;

	if (!probed) {
		probe(&k);
		probed = 1;
	}
	return &k;
}

/* One capability: its name, whether the kernel has it, and the words for
 * each case. DEGRADED is what nstrace does instead ("" when it cannot). */
struct cap {
	const char *name;
	int have;
	const char *yes;
	const char *degraded;
	const char *why;
};

static int caps(const struct kfeat *k, struct cap *c)
{
	int n = 0;

	c[n++] = (struct cap){ "tc", k->tcx,
		"tcx links for the first 16 hooks and where another program runs first, clsact filters",
		"clsact filters only, so a tc filter before ours can hide packets",
		"no tcx links before 6.6" };
	c[n++] = (struct cap){ "tc-netns", k->kctx, "bpf_cast_to_kern_ctx, bpf_rdonly_cast",
		"a port's namespace, a drop's segments and headers read with bpf_probe_read_kernel, slower",
		"no bpf_cast_to_kern_ctx before 6.2" };
	c[n++] = (struct cap){ "reasons", k->drop_reason, "kfree_skb with the drop reason",
		"freeing function only, no reason", "kfree_skb has no reason before 5.17" };
	c[n++] = (struct cap){ "icmp-sent", k->icmp_send, "icmp_send tracepoint",
		"", "no icmp:icmp_send tracepoint: errors are only seen on the ports" };
	c[n++] = (struct cap){ "resets", k->tcp_resets && k->reset_nosock,
		"tcp_send_reset / tcp_receive_reset",
		k->tcp_resets ? "resets to closed ports counted from their NO_SOCKET drop" : "",
		k->tcp_resets ? "tcp_send_reset does not fire without a socket before 6.10"
			      : "no tcp reset tracepoints" };
	for (int i = 0; k->forced && i < n; i++)
		if (!c[i].have)
			c[i].why = "as NSTRACE_DEGRADE asks, whatever the kernel has";
	return n;
}

void kfeat_degraded(const struct kfeat *k, char *buf, unsigned long len)
{
	struct cap c[8];
	int n = caps(k, c), off = 0;

	buf[0] = 0;
	for (int i = 0; i < n && off < (int)len; i++) {
		if (c[i].have)
			continue;
		off += snprintf(buf + off, len - off, "%s%s (%s)", off ? "; " : "",
				*c[i].degraded ? c[i].degraded : c[i].name, c[i].why);
	}
}

void kfeat_print(const struct kfeat *k, FILE *out)
{
	struct cap c[8];
	int n = caps(k, c);

	for (int i = 0; i < n; i++) {
		if (c[i].have)
			fprintf(out, "%-11s available: %s\n", c[i].name, c[i].yes);
		else if (*c[i].degraded)
			fprintf(out, "%-11s degraded: %s (%s)\n", c[i].name, c[i].degraded, c[i].why);
		else
			fprintf(out, "%-11s missing: %s\n", c[i].name, c[i].why);
	}
	/* What rests on tc alone works wherever tc programs attach. */
	fprintf(out, "%-11s available: stamps on the tc ports\n", "latency");
	fprintf(out, "%-11s available: hops on the tc ports, drops from kfree_skb\n", "journeys");
	fprintf(out, "%-11s available: packet heads from tc and kfree_skb\n", "pcap");
}

void kfeat_configure(struct watch_bpf *s, const struct kfeat *k)
{
	bpf_program__set_autoload(s->progs.watch_tc_ingress_kctx, k->kctx);
	bpf_program__set_autoload(s->progs.watch_tc_egress_kctx, k->kctx);
	bpf_program__set_autoload(s->progs.watch_tc_ingress, !k->kctx);
	bpf_program__set_autoload(s->progs.watch_tc_egress, !k->kctx);
	bpf_program__set_autoload(s->progs.watch_kfree_skb_kctx, k->drop_reason && k->kctx);
	bpf_program__set_autoload(s->progs.watch_kfree_skb, k->drop_reason && !k->kctx);
	bpf_program__set_autoload(s->progs.watch_kfree_skb_noreason, !k->drop_reason);
	bpf_program__set_autoload(s->progs.watch_icmp_send, k->icmp_send);
	bpf_program__set_autoload(s->progs.watch_tcp_send_reset, k->tcp_resets);
	bpf_program__set_autoload(s->progs.watch_tcp_receive_reset, k->tcp_resets);
	s->rodata->cfg.reset_from_drop = !k->reset_nosock;
}

int kfeat_tc_prog_fd(const struct watch_bpf *s, int dir)
{
	const struct kfeat *k = kfeat_get();

	if (dir == NST_INGRESS)
		return bpf_program__fd(k->kctx ? s->progs.watch_tc_ingress_kctx
					       : s->progs.watch_tc_ingress);
	return bpf_program__fd(k->kctx ? s->progs.watch_tc_egress_kctx : s->progs.watch_tc_egress);
}

static const char *prog_role(const char *prog)
{
	if (!strncmp(prog, "watch_tc_", 9))
		return "tc, on the ports";
	if (!strncmp(prog, "watch_kfree_skb", 15))
		return "tp_btf/kfree_skb, for drops";
	if (!strcmp(prog, "watch_icmp_send"))
		return "tp_btf/icmp_send, for generated ICMP errors";
	if (!strncmp(prog, "watch_tcp_", 10))
		return "tp_btf/tcp_*_reset, for resets";
	return "";
}

void kfeat_refused(const char *cmd, int err)
{
	const char *prog = log_failed_prog();
	struct utsname u;

	uname(&u);
	/* EACCES is also the verifier's (a stack too large): only EPERM
	 * means we may not load at all. */
	if (err == -EPERM) {
		fprintf(stderr, "nstrace %s: the kernel did not let us load BPF programs: %s "
			"(lockdown, or a security module refusing CAP_BPF/CAP_PERFMON)\n",
			cmd, strerror(-err));
		return;
	}
	fprintf(stderr, "nstrace %s: kernel %s refused the BPF program %s%s%s%s: %s "
		"(-v shows the verifier's reasons)\n", cmd, u.release,
		prog ? "'" : "", prog ? prog : "", prog ? "' " : "",
		prog ? prog_role(prog) : "", strerror(-err));
}
