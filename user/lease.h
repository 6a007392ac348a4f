/* Leases: what a run created that the kernel would not take away if the
 * run died (SIGKILL, OOM), written down before it is created, under
 * /run/nstrace (a tmpfs: gone with the machine, like what it lists).
 *
 * Named KIND-PID-START-PIDNS.lease: the pid, its start time and the inode of
 * the PID namespace the pid belongs to.
 *
 *   topo-...lease          "ns NAME", "link NAME" (root namespace): what a
 *                          topo up is creating; removed when it is done
 *   watch-...lease         "clsact INODE IFINDEX DIR PRIO HANDLE PROGID
 *                          CREATED": legacy tc filters (tcx links need none)
 *
 * A lease whose process is gone (pid and start time no longer match) is
 * undone by the next run that meets it, or by `nstrace cleanup`. A lease
 * from another PID namespace is looked up there (NSpid); one from a
 * namespace we cannot see is taken as alive: undoing a live watch's filters
 * would blind it. */
#ifndef NST_LEASE_H
#define NST_LEASE_H

#include <stdio.h>

#define LEASE_DIR "/run/nstrace"

struct lease {
	FILE *f;
	char path[128];
};

/* Start this process's lease of KIND ("topo", "watch"). 0 or -errno. */
int lease_open(struct lease *l, const char *kind);
/* Append one line (flushed: it must outlive a SIGKILL that comes next). */
int lease_add(struct lease *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Done: the lease is removed (what it listed is gone or in good hands). */
void lease_drop(struct lease *l);

struct lease_info {
	char path[300];
	char kind[16];
	int pid;
	int alive;               /* running, or cannot be told (unknown) */
	int unknown;             /* of a PID namespace we cannot see */
	unsigned long long pid_ns;   /* its inode; 0 in an older nstrace's lease */
	char *text;              /* the lines, NUL-terminated */
};

/* FN on each line of LI (the last first when REVERSE: undo in the
 * opposite order of doing) until FN returns non-zero, which is returned;
 * 0 when every line was seen, -ENOMEM. */
int lease_each(const struct lease_info *li, int reverse,
	       int (*fn)(const char *line, void *ctx), void *ctx);

/* Every lease on the host, oldest first; free with lease_list_free. */
int lease_list(struct lease_info **out);
void lease_list_free(struct lease_info *v, int n);

#endif
