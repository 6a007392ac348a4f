/* Undoing the leases of runs that died (see lease.h): `nstrace cleanup`,
 * and the repairs topo up, topo down and watch make on their own. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "attach.h"
#include "cleanup.h"
#include "cmd.h"
#include "lease.h"
#include "link.h"
#include "caps.h"
#include "exitcode.h"
#include "log.h"
#include "netns.h"
#include "nftrace.h"

/* "3 links (a, b, c)", "120 namespaces (k1, k2, k3, ...)" */
static void tally(char *buf, size_t len, int n, const char *what, const char *names)
{
	size_t pos = strlen(buf);

	if (!n)
		return;
	snprintf(buf + pos, len - pos, "%s%d %s%s (%s%s)", pos ? " and " : "", n, what,
		 n == 1 ? "" : "s", names, n > 3 ? ", ..." : "");
}

struct undo_topo {
	struct rtnl root;
	int rtnl_ok, dry, links, n, ret;   /* links: this pass removes links */
	char names[160];
};

static int undo_topo_line(const char *line, void *ctx)
{
	struct undo_topo *u = ctx;
	char name[NETNS_NAME_MAX];
	int r = 0, present;

	if (u->links && sscanf(line, "link %15s", name) == 1) {
		present = u->rtnl_ok && link_ifindex(&u->root, name) > 0;
		if (present && !u->dry)
			r = link_del(&u->root, name);
	} else if (!u->links && sscanf(line, "ns %63s", name) == 1) {
		present = netns_exists(name);
		if (present && !u->dry)
			r = netns_delete(name);
	} else {
		return 0;
	}
	if (r && r != -ENODEV && r != -ENOENT) {
		u->ret = r;
	} else if (present) {
		if (u->n < 3)
			snprintf(u->names + strlen(u->names), sizeof(u->names) - strlen(u->names),
				 "%s%s", u->n ? ", " : "", name);
		u->n++;
	}
	return 0;
}

/* Remove what a dead topo up listed: root links, then namespaces. */
static int undo_topo(const struct lease_info *li, int dry, char *done, size_t len)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), ret = 0;
	struct undo_topo u = { .dry = dry };

	done[0] = 0;
	if (fd < 0)
		return -errno;
	u.rtnl_ok = !rtnl_open(&u.root, fd);
	for (int pass = 0; pass < 2 && !ret; pass++) {
		u.links = pass == 0;
		u.n = 0;
		u.names[0] = 0;
		ret = lease_each(li, 0, undo_topo_line, &u);
		tally(done, len, u.n, u.links ? "link" : "namespace", u.names);
	}
	if (u.rtnl_ok)
		rtnl_close(&u.root);
	close(fd);
	return ret ? ret : u.ret;
}

/* What undoing a dead watch's lease lines did. */
struct undo_count {
	int dry, removed, ret;
};

/* Run FN on LI's lines, last first (undo in reverse), and say how many
 * NOUNs went. */
static int undo_lines(const struct lease_info *li, int dry, int (*fn)(const char *, void *),
		      const char *noun, char *done, size_t len)
{
	struct undo_count u = { .dry = dry };
	int ret = lease_each(li, 1, fn, &u);

	snprintf(done, len, "%d %s%s", u.removed, noun, u.removed == 1 ? "" : "s");
	return ret ? ret : u.ret;
}

static int undo_watch_line(const char *line, void *ctx)
{
	struct undo_count *u = ctx;
	struct attachment a = { .link_fd = -1, .legacy = 1 };
	unsigned long long netns;
	char err[160];
	int fd, r;

	if (sscanf(line, ATTACH_LEASE_LINE, &netns, &a.ifindex, &a.dir, &a.prio, &a.handle,
		   &a.prog_id, &a.hook_created) != 7)
		return 0;
	a.netns = netns;
	fd = netns_open_inode(netns, err, sizeof(err));
	if (fd < 0)   /* the namespace is gone, and its filters with it */
		return 0;
	r = attach_detach_legacy(fd, &a, u->dry);
	close(fd);
	if (r < 0)
		u->ret = r;
	u->removed += r > 0;
	return 0;
}

/* Remove the clsact filters a dead watch listed, each only if it still
 * runs the program it was given; last first, as the watch itself would
 * have: a clsact qdisc goes with the filter that created it, after the
 * filters attached later. */
static int undo_watch(const struct lease_info *li, int dry, char *done, size_t len)
{
	return undo_lines(li, dry, undo_watch_line, "clsact filter", done, len);
}

static int undo_nftrace_line(const char *line, void *ctx)
{
	struct undo_count *u = ctx;
	unsigned long long netns;
	char table[64], err[160];
	int fd, r = 0;

	if (sscanf(line, NFTRACE_LEASE_LINE, &netns, table) != 2 ||
	    strncmp(table, NFTRACE_TABLE_PREFIX, strlen(NFTRACE_TABLE_PREFIX)))
		return 0;
	fd = netns_open_inode(netns, err, sizeof(err));
	if (fd < 0)   /* the namespace is gone, and the table with it */
		return 0;
	if (!u->dry)
		r = nftrace_remove(fd, table);
	close(fd);
	if (r)
		u->ret = r;
	else
		u->removed++;
	return 0;
}

/* Remove the nftables tracing tables a dead watch listed (only ours:
 * their names carry its pid). */
static int undo_nftrace(const struct lease_info *li, int dry, char *done, size_t len)
{
	return undo_lines(li, dry, undo_nftrace_line, "nftables tracing table", done, len);
}

int cleanup_lease(const struct lease_info *li, int dry, char *done, size_t len)
{
	int ret = !strcmp(li->kind, "topo") ? undo_topo(li, dry, done, len) :
		  !strcmp(li->kind, "watch") ? undo_watch(li, dry, done, len) :
		  !strcmp(li->kind, "nftrace") ? undo_nftrace(li, dry, done, len) : -EINVAL;

	if (!ret && !dry) {
		unlink(li->path);
		rmdir(LEASE_DIR);
	}
	return ret;
}

int cleanup_dead(const char *kind, int (*wanted)(const struct lease_info *li, void *ctx),
		 void *ctx, const char *who)
{
	struct lease_info *v;
	int n = lease_list(&v), undone = 0;
	char done[1024];

	for (int i = 0; i < n; i++) {
		if (v[i].alive || strcmp(v[i].kind, kind) || (wanted && !wanted(&v[i], ctx)))
			continue;
		if (cleanup_lease(&v[i], 0, done, sizeof(done)))
			pr_warn("%s: could not undo %s of pid %d (%s) entirely\n", who, v[i].kind,
				v[i].pid, v[i].path);
		else
			pr_warn("%s: undid what an earlier %s (pid %d, killed) left: %s\n", who, kind,
				v[i].pid, done[0] ? done : "nothing was left");
		undone++;
	}
	lease_list_free(v, n);
	return undone;
}

static void cleanup_usage(FILE *f)
{
	fprintf(f,
"Usage: nstrace cleanup [--dry-run]\n"
"\n"
"Lists what runs of nstrace that died (SIGKILL, OOM, a crash) left behind,\n"
"from their leases in " LEASE_DIR ", and removes it: the namespaces and\n"
"links of an interrupted 'topo up', the clsact filters of a 'watch' (tcx\n"
"links need no cleanup: the kernel removes them) and its nftables tracing\n"
"tables (table inet nstrace_trace_PID, see watch --why). A filter is removed\n"
"only if it still runs the program nstrace gave it. Leases of running processes\n"
"are listed and left alone. A lease written in another PID namespace (a\n"
"container's) is looked up there; when that namespace cannot be seen from\n"
"here (it is above or beside ours), the lease is left alone.\n"
"\n"
"  --dry-run   list only\n"
"\n"
"Exit codes: 0 ok (also when there was nothing to do), 1 something could\n"
"not be removed, 2 bad usage, 3 not root.\n");
}

int cmd_cleanup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct lease_info *v;
	int c, dry = 0, n, failed = 0, ret;
	char done[1024];

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":nh", opts, NULL)) != -1) {
		if (c == 'n') {
			dry = 1;
		} else if (c == 'h') {
			cleanup_usage(stdout);
			return EXIT_OK;
		} else {
			return bad_option("cleanup", c, argv);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nstrace cleanup: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	if ((ret = need_caps("cleanup", NST_CAPS_WATCH)))
		return ret;
	n = lease_list(&v);
	if (n < 0) {
		fprintf(stderr, "nstrace cleanup: cannot read %s: %s\n", LEASE_DIR, strerror(-n));
		return EXIT_RUNTIME;
	}
	for (int i = 0; i < n; i++) {
		if (v[i].unknown) {
			printf("%s: %s, pid %d of a PID namespace not seen from here (pid:[%llu]): "
			       "left alone; run nstrace cleanup there\n", v[i].path, v[i].kind,
			       v[i].pid, v[i].pid_ns);
			continue;
		}
		if (v[i].alive) {
			printf("%s: %s, pid %d is running: left alone\n", v[i].path, v[i].kind, v[i].pid);
			continue;
		}
		ret = cleanup_lease(&v[i], dry, done, sizeof(done));
		printf("%s: %s, pid %d is gone: %s%s%s\n", v[i].path, v[i].kind, v[i].pid,
		       dry ? "would remove " : ret ? "could not remove all of " : "removed ",
		       done[0] ? done : "nothing (already gone)", dry ? " (dry run)" : "");
		failed |= ret != 0;
	}
	if (!n)
		printf("nothing to clean up (no leases in %s)\n", LEASE_DIR);
	lease_list_free(v, n);
	return failed ? EXIT_RUNTIME : EXIT_OK;
}
