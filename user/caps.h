/* Capabilities: checked with capget before anything is loaded, so a
 * missing one is named instead of surfacing as a verifier's EPERM. */
#ifndef NST_CAPS_H
#define NST_CAPS_H

#define NST_CAP(c) (1ULL << (c))
#define NST_CAP_BPF 39
#define NST_CAP_PERFMON 38
#define NST_CAP_NET_ADMIN 12
#define NST_CAP_SYS_ADMIN 21
#define NST_CAPS_WATCH (NST_CAP(NST_CAP_BPF) | NST_CAP(NST_CAP_PERFMON) | \
			NST_CAP(NST_CAP_NET_ADMIN) | NST_CAP(NST_CAP_SYS_ADMIN))
#define NST_CAPS_NETNS (NST_CAP(NST_CAP_NET_ADMIN) | NST_CAP(NST_CAP_SYS_ADMIN))

/* 0 when this process has every capability in WANT (NST_CAP(CAP_BPF) |
 * ...); else one line naming the missing ones, and EXIT_NOPRIV. */
int need_caps(const char *cmd, unsigned long long want);

#endif
