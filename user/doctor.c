/* nstrace doctor: static checks of the live topology, before any traffic
 * flows. This file is the command: which namespaces to examine, then the
 * checks (doctor_checks.c) over the flattened topology (doctor_model.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "cmd.h"
#include "doctor.h"
#include "log.h"
#include "plan.h"
#include "topo.h"

#define EXIT_PROBLEMS 4

static void doctor_usage(FILE *f)
{
	fprintf(f,
"Usage: nstrace doctor [NS...] [--pid PID]... [--topo FILE [--prefix P]] [--json]\n"
"\n"
"Reads the live topology over netlink and reports, with a fix for each:\n"
"veth peers with different MTUs, bridge ports whose MTU differs from the\n"
"bridge's, routes whose MTU exceeds their link's, interfaces, lo or bridge\n"
"ports down, a namespace with no route to a neighbour on its own link, a\n"
"namespace others route through with forwarding off, and one subnet on two\n"
"links that do not meet. Without NS, every namespace; with NS (an ip netns\n"
"name, a container as in 'nstrace watch': web, docker:web, podman:web,\n"
"pod:NAMESPACE/NAME, id:PREFIX, pid:N) or --pid, those and what their\n"
"traffic crosses, as watch follows it (veth peers, bridges, the namespaces\n"
"on them); with --topo, the namespaces FILE declares (and root, if it\n"
"declares interfaces there). Each fix is a command to run as printed.\n"
"\n"
"Examples:\n"
"  nstrace doctor red blue\n"
"  nstrace doctor web          (a Docker or Podman container)\n"
"  nstrace doctor --pid 1234\n"
"  nstrace doctor --topo topologies/router-mtu.topo\n"
"\n"
"Exit codes: 0 no problem found, 4 problems found, 1 runtime failure,\n"
"            2 bad usage or bad input, 3 missing privilege.\n");
}

static int add_only(struct doctor *d, uint64_t ino)
{
	uint64_t *v = realloc(d->only, (d->nonly + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	d->only = v;
	d->only[d->nonly++] = ino;
	return 0;
}

/* Each NS the user named (SPECS) and each --pid, by inode. */
static int ask_namespaces(struct doctor *d, char **specs, int n, const int *pids, int npids)
{
	char err[640];

	for (int i = 0; i < n + npids; i++) {
		int fd = i < n ? netns_resolve(specs[i], err, sizeof(err))
			       : netns_open_pid(pids[i - n], err, sizeof(err));

		if (fd < 0) {
			fprintf(stderr, "nstrace doctor: %s\n", err);
			return fd == -EPERM || fd == -EACCES ? EXIT_NOPRIV : EXIT_USAGE;
		}
		add_only(d, netns_inode(fd));
		close(fd);
	}
	return EXIT_OK;
}

/* The namespaces FILE declares, and root if it declares interfaces there. */
static int ask_topology(struct doctor *d, const char *file, const char *prefix)
{
	char err[640];
	struct topo *t = topo_parse_file(file, prefix, err, sizeof(err));

	if (!t) {
		fprintf(stderr, "nstrace: %s\n", err);
		return EXIT_USAGE;
	}
	for (int i = 0; i < t->nns; i++) {
		int fd = netns_open_name(t->ns[i].name, err, sizeof(err));

		if (fd < 0) {
			fprintf(stderr, "nstrace doctor: %s:%d: %s (is the topology up?)\n",
				file, t->ns[i].line, err);
			topo_free(t);
			return EXIT_USAGE;
		}
		add_only(d, netns_inode(fd));
		close(fd);
	}
	for (int i = 0; i < t->nlinks; i++)
		if (!t->links[i].ns[0]) {
			int fd = netns_resolve("root", err, sizeof(err));

			if (fd >= 0) {
				add_only(d, netns_inode(fd));
				close(fd);
			}
			break;
		}
	topo_free(t);
	return EXIT_OK;
}

static int examine(struct doctor *d, int named)
{
	struct plan near = { 0 };

	netns_enumerate(&d->nl);
	/* What watch would follow from the named namespaces is theirs too. */
	if (discover(&d->lt, &d->nl) ||
	    (named && plan_build(&near, &d->lt, d->only, named, PLAN_COMPONENT)) ||
	    (d->near = named ? &near : NULL, doctor_flatten(d))) {
		plan_free(&near);
		fprintf(stderr, "nstrace doctor: out of memory\n");
		return EXIT_RUNTIME;
	}
	doctor_check_all(d);
	plan_free(&near);
	d->near = NULL;
	if (!d->json)
		printf("%d problem%s found\n", d->nproblems, d->nproblems == 1 ? "" : "s");
	return d->nproblems ? EXIT_PROBLEMS : EXIT_OK;
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "topo", required_argument, NULL, 't' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "pid", required_argument, NULL, 'P' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *file = NULL, *prefix = NULL;
	struct doctor d = { 0 };
	int c, ret, named, pids[32], npids = 0;
	char *end;
	long pid;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case 't': file = optarg; break;
		case 'p': prefix = optarg; break;
		case 'P':
			pid = strtol(optarg, &end, 10);
			if (*end || end == optarg || pid <= 0 || pid > 0x7fffffff) {
				fprintf(stderr, "nstrace doctor: --pid '%s' is not a process id\n", optarg);
				return EXIT_USAGE;
			}
			if (npids == (int)(sizeof(pids) / sizeof(pids[0]))) {
				fprintf(stderr, "nstrace doctor: at most %d --pid\n", npids);
				return EXIT_USAGE;
			}
			pids[npids++] = (int)pid;
			break;
		case 'j': d.json = 1; break;
		case 'v': log_level++; break;
		case 'h': doctor_usage(stdout); return EXIT_OK;
		default: return bad_option("doctor", c, argv);
		}
	}
	if ((ret = need_caps("doctor", NST_CAPS_NETNS)))
		return ret;
	ret = ask_namespaces(&d, argv + optind, argc - optind, pids, npids);
	named = d.nonly;
	if (!ret && file)
		ret = ask_topology(&d, file, prefix);
	if (!ret)
		ret = examine(&d, named);
	live_free(&d.lt);
	netns_list_free(&d.nl);
	free(d.only);
	free(d.ports);
	free(d.eps);
	return ret;
}
