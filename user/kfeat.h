/* What the running kernel offers nstrace's BPF programs, probed from its
 * BTF before anything is loaded, and the program variants that follow.
 * One binary serves every kernel with BTF from 5.10 on. */
#ifndef NST_KFEAT_H
#define NST_KFEAT_H

#include <stdio.h>

struct watch_bpf;

struct kfeat {
	int kctx;          /* bpf_cast_to_kern_ctx kfunc (6.2) for tc's namespace */
	int tcx;           /* tcx links (6.6); clsact filters below */
	int drop_reason;   /* kfree_skb carries the drop reason (5.17) */
	int icmp_send;     /* the icmp:icmp_send tracepoint */
	int tcp_resets;    /* tcp:tcp_send_reset and tcp:tcp_receive_reset */
	int reset_nosock;  /* tcp_send_reset fires without a socket (6.10) */
	int forced;        /* NSTRACE_DEGRADE turned some off */
};

/* The features of this kernel (probed once). NSTRACE_DEGRADE, a comma
 * separated list of kctx, tcx, reason, icmp_send, reset_nosock, turns
 * features off as if the kernel lacked them: the tests use it to run the
 * older kernels' paths on this one. */
const struct kfeat *kfeat_get(void);

/* One line of what is degraded on this kernel and why, or "" when
 * nothing is. */
void kfeat_degraded(const struct kfeat *k, char *buf, unsigned long len);

/* Pick the program variants for K between open and load. */
void kfeat_configure(struct watch_bpf *skel, const struct kfeat *k);

/* The tc program's fd for DIR (enum nst_dir), in the variant loaded. */
int kfeat_tc_prog_fd(const struct watch_bpf *skel, int dir);

/* One line on stderr for a load the kernel refused (ERR < 0): which
 * program, for what, on which kernel; not a guess about privileges. */
void kfeat_refused(const char *cmd, int err);

/* What `nstrace features` prints: one line a capability, "available",
 * "degraded" or "missing" with the reason. */
void kfeat_print(const struct kfeat *k, FILE *out);

#endif
