/* Drop reasons: names from the running kernel's BTF (enum skb_drop_reason
 * is not a stable ABI), and plain-language hints for the common ones. */
#ifndef NST_REASONS_H
#define NST_REASONS_H

/* Read the kernel's types from PATH (watch --btf) instead of
 * /sys/kernel/btf/vmlinux; call before reasons_load. */
void reasons_set_btf(const char *path);
/* 0, or -errno when the kernel's BTF cannot be read. */
int reasons_load(void);
/* 1 if the running kernel has the raw tracepoint NAME (for tp_btf). */
int kernel_has_tracepoint(const char *name);
/* How many arguments tracepoint NAME passes (its BTF prototype), or -1
 * when the kernel has no such tracepoint. */
int kernel_tracepoint_args(const char *name);
/* The kernel's types (NULL when they cannot be read), loaded once. */
struct btf;
const struct btf *kernel_btf(void);
/* "NO_SOCKET", or "SUBSYS:N" / "reason N" for values BTF does not name. */
const char *reason_name(unsigned int reason);
/* A sentence for people, or NULL. LOCATION is the freeing function. */
const char *reason_hint(const char *name, const char *location);
/* Healthy traffic makes some drops too; say which, by what the packet F
 * is (NULL: not known, the freeing function decides). NULL when not
 * benign. */
struct nst_flow;
const char *reason_benign(const char *name, const char *location, const struct nst_flow *f);

#endif
