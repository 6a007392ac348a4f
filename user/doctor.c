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
#include "topo.h"

#define EXIT_PROBLEMS 4

static void doctor_usage(FILE *f)
{
	fprintf(f,
"Usage: nstrace doctor [NS...] [--topo FILE [--prefix P]] [--json]\n"
"\n"
"Reads the live topology over netlink and reports, with a fix for each:\n"
"veth peers with different MTUs, bridge ports whose MTU differs from the\n"
"bridge's, routes whose MTU exceeds their link's, interfaces, lo or bridge\n"
"ports down, a namespace with no route to a neighbour on its own link, a\n"
"namespace others route through with forwarding off, and one subnet on two\n"
"links that do not meet. Without NS, every namespace; with --topo, the\n"
"namespaces FILE declares (and root, if it declares interfaces there).\n"
"\n"
"Examples:\n"
"  nstrace doctor red blue\n"
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

/* Each NS the user named (SPECS), by inode. */
static int ask_namespaces(struct doctor *d, char **specs, int n)
{
	char err[640];

	for (int i = 0; i < n; i++) {
		int fd = netns_resolve(specs[i], err, sizeof(err));

		if (fd < 0) {
			fprintf(stderr, "nstrace doctor: %s\n", err);
			return EXIT_USAGE;
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

static int examine(struct doctor *d)
{
	netns_enumerate(&d->nl);
	if (discover(&d->lt, &d->nl) || doctor_flatten(d)) {
		fprintf(stderr, "nstrace doctor: out of memory\n");
		return EXIT_RUNTIME;
	}
	doctor_check_all(d);
	if (!d->json)
		printf("%d problem%s found\n", d->nproblems, d->nproblems == 1 ? "" : "s");
	return d->nproblems ? EXIT_PROBLEMS : EXIT_OK;
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "topo", required_argument, NULL, 't' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *file = NULL, *prefix = NULL;
	struct doctor d = { 0 };
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case 't': file = optarg; break;
		case 'p': prefix = optarg; break;
		case 'j': d.json = 1; break;
		case 'v': log_level++; break;
		case 'h': doctor_usage(stdout); return EXIT_OK;
		default: return bad_option("doctor", c, argv);
		}
	}
	if ((ret = need_caps("doctor", NST_CAPS_NETNS)))
		return ret;
	ret = ask_namespaces(&d, argv + optind, argc - optind);
	if (!ret && file)
		ret = ask_topology(&d, file, prefix);
	if (!ret)
		ret = examine(&d);
	live_free(&d.lt);
	netns_list_free(&d.nl);
	free(d.only);
	free(d.ports);
	free(d.eps);
	return ret;
}
