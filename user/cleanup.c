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
#include "log.h"
#include "netns.h"

/* "3 links (a, b, c)", "120 namespaces (k1, k2, k3, ...)" */
static void tally(char *buf, size_t len, int n, const char *what, const char *names)
{
	size_t pos = strlen(buf);

	if (!n)
		return;
	snprintf(buf + pos, len - pos, "%s%d %s%s (%s%s)", pos ? " and " : "", n, what,
		 n == 1 ? "" : "s", names, n > 3 ? ", ..." : "");
}

/* Remove what a dead topo up listed: root links, then namespaces. */
static int undo_topo(const struct lease_info *li, int dry, char *done, size_t len)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), ret = 0, rtnl_ok;
	char *save = NULL, *line;
	struct rtnl root;

	done[0] = 0;
	if (fd < 0)
		return -errno;
	rtnl_ok = !rtnl_open(&root, fd);
	for (int pass = 0; pass < 2; pass++) {
		char *copy = strdup(li->text ? li->text : ""), names[160] = "";
		int n = 0;

		if (!copy) {
			ret = -ENOMEM;
			break;
		}
		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char name[NETNS_NAME_MAX];
			int r = 0, present;

			if (pass == 0 && sscanf(line, "link %15s", name) == 1) {
				present = rtnl_ok && link_ifindex(&root, name) > 0;
				if (present && !dry)
					r = link_del(&root, name);
			} else if (pass == 1 && sscanf(line, "ns %63s", name) == 1) {
				present = netns_exists(name);
				if (present && !dry)
					r = netns_delete(name);
			} else {
				continue;
			}
			if (r && r != -ENODEV && r != -ENOENT) {
				ret = r;
			} else if (present) {
				if (n < 3)
					snprintf(names + strlen(names), sizeof(names) - strlen(names),
						 "%s%s", n ? ", " : "", name);
				n++;
			}
		}
		tally(done, len, n, pass ? "namespace" : "link", names);
		free(copy);
	}
	if (rtnl_ok)
		rtnl_close(&root);
	close(fd);
	return ret;
}

/* Remove the clsact filters a dead watch listed, each only if it still
 * runs the program it was given. */
static int undo_watch(const struct lease_info *li, int dry, char *done, size_t len)
{
	char *text = strdup(li->text ? li->text : ""), *save = NULL, *line, *lines[4096];
	int n = 0, removed = 0, ret = 0;

	if (!text)
		return -ENOMEM;
	for (line = strtok_r(text, "\n", &save); line && n < 4096; line = strtok_r(NULL, "\n", &save))
		lines[n++] = line;
	/* Last first, as the watch itself would have: a clsact qdisc goes with
	 * the filter that created it, after the filters attached later. */
	while (n--) {
		struct attachment a = { .link_fd = -1, .legacy = 1 };
		unsigned long long netns;
		char err[160];
		int fd, r;

		if (sscanf(lines[n], "clsact %llu %d %d %u %u %u %d", &netns, &a.ifindex, &a.dir,
			   &a.prio, &a.handle, &a.prog_id, &a.hook_created) != 7)
			continue;
		a.netns = netns;
		fd = netns_open_inode(netns, err, sizeof(err));
		if (fd < 0)   /* the namespace is gone, and its filters with it */
			continue;
		r = attach_detach_legacy(fd, &a, dry);
		close(fd);
		if (r < 0)
			ret = r;
		removed += r > 0;
	}
	free(text);
	snprintf(done, len, "%d clsact filter%s", removed, removed == 1 ? "" : "s");
	return ret;
}

int cleanup_lease(const struct lease_info *li, int dry, char *done, size_t len)
{
	int ret = !strcmp(li->kind, "topo") ? undo_topo(li, dry, done, len) :
		  !strcmp(li->kind, "watch") ? undo_watch(li, dry, done, len) : -EINVAL;

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
"links need no cleanup: the kernel removes them). A filter is removed only\n"
"if it still runs the program nstrace gave it. Leases of running processes\n"
"are listed and left alone.\n"
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
