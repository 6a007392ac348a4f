/* Shared between bpf/ and user/: fixed-width types and constants only.
 * Includes nothing itself; each side brings its own integer types. */
#ifndef NSTRACE_H
#define NSTRACE_H

#define NST_MAX_REASONS 512

/* Key of the exact drop counters: one per (netns, reason). */
struct nst_drop_key {
	__u32 netns;   /* inode of the namespace the drop is charged to */
	__u32 reason;  /* enum skb_drop_reason, named from BTF at run time */
};

#endif
