/* nstrace topo up|down|check|show */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"
#include "diff.h"
#include "discover.h"
#include "caps.h"
#include "exitcode.h"
#include "log.h"
#include "render.h"
#include "topo.h"

static void topo_usage(FILE *f)
{
	fprintf(f,
"Usage: nstrace topo up FILE [--prefix P]\n"
"       nstrace topo down FILE [--prefix P]\n"
"       nstrace topo check FILE [--prefix P]\n"
"       nstrace topo show [NS...] [--json | --dot] [--diff FILE [--prefix P]]\n"
"\n"
"  up      build the namespaces, bridges, veth pairs, addresses, MTUs,\n"
"          routes and sysctls that FILE declares; all or nothing: on any\n"
"          failure everything it created is removed again\n"
"  down    remove what FILE declares (only that); safe to repeat\n"
"  check   parse and validate FILE without touching the system\n"
"  show    draw the live topology of every namespace, or of NS... (an\n"
"          ip netns name, pid:N, a path to a namespace file, inode:N, root)\n"
"\n"
"Options:\n"
"  --prefix P   prepend P to every namespace name and to every interface\n"
"               in the root namespace (run a topology beside another)\n"
"  --json       show as JSON (one object: {\"namespaces\":[...]})\n"
"  --dot        show as a Graphviz graph\n"
"  --diff FILE  list what differs between FILE and the live system\n"
"               (exit 1 when something differs)\n"
"  -v           verbose\n"
"\n"
"Examples:\n"
"  nstrace topo up topologies/bridge.topo\n"
"  ip netns exec red ping -c1 10.0.0.3\n"
"  nstrace topo show red blue\n"
"  nstrace topo show --dot | dot -Tsvg > topo.svg\n"
"  nstrace topo show --diff topologies/bridge.topo\n"
"  nstrace topo down topologies/bridge.topo\n"
"\n"
"Exit codes: 0 ok, 1 runtime failure (or differences with --diff),\n"
"            2 bad usage or bad input, 3 missing privilege.\n");
}

struct topo_opts {
	const char *prefix;
	const char *diff;
	int json, dot;
};

static int parse_opts(int argc, char **argv, struct topo_opts *o)
{
	static const struct option opts[] = {
		{ "prefix", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "dot", no_argument, NULL, 'd' },
		{ "diff", required_argument, NULL, 'D' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	optind = 0;  /* glibc: start afresh on this argv */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': o->prefix = optarg; break;
		case 'j': o->json = 1; break;
		case 'd': o->dot = 1; break;
		case 'D': o->diff = optarg; break;
		case 'v': log_level++; break;
		case 'h': topo_usage(stdout); return -1;
		default: bad_option("topo", c, argv); return -2;
		}
	}
	if (o->json && o->dot) {
		fprintf(stderr, "nstrace topo show: --json and --dot exclude each other\n");
		return -2;
	}
	return 0;
}

static struct topo *load(const char *path, const char *prefix)
{
	char err[640];
	struct topo *t = topo_parse_file(path, prefix, err, sizeof(err));

	if (!t)
		fprintf(stderr, "nstrace: %s\n", err);
	return t;
}

static int file_cmd(const char *sub, const char *path, const struct topo_opts *o)
{
	char err[768];
	struct topo *t;
	int ret;

	if (strcmp(sub, "check") && (ret = need_caps("topo", NST_CAPS_NETNS)))
		return ret;
	t = load(path, o->prefix);
	if (!t)
		return EXIT_USAGE;
	if (!strcmp(sub, "check")) {
		printf("%s: ok (%d namespaces, %d interfaces, %d routes, %d sysctls, "
		       "%d firewall/nat/nft statements)\n",
		       path, t->nns, t->nlinks, t->nroutes, t->nsysctls, t->nrules);
		ret = EXIT_OK;
	} else {
		err[0] = 0;
		ret = !strcmp(sub, "up") ? topo_up(t, err, sizeof(err))
					 : topo_down(t, err, sizeof(err));
		if (ret)
			fprintf(stderr, "nstrace: %s\n", err);
		else
			pr_info("topo %s %s: done\n", sub, path);
	}
	topo_free(t);
	return ret;
}

static int show(int argc, char **argv, const struct topo_opts *o)
{
	struct live_topo lt;
	uint64_t *only = NULL;
	int nonly = 0, ret = EXIT_OK;

	if ((ret = need_caps("topo show", NST_CAPS_NETNS)))
		return ret;
	if (argc > 0) {
		only = calloc(argc, sizeof(*only));
		if (!only)
			return EXIT_RUNTIME;
	}
	for (int i = 0; i < argc; i++) {
		char err[384];
		int fd = netns_resolve(argv[i], err, sizeof(err));

		if (fd < 0) {
			fprintf(stderr, "nstrace: %s\n", err);
			free(only);
			return fd == -EPERM || fd == -EACCES ? EXIT_NOPRIV : EXIT_USAGE;
		}
		only[nonly++] = netns_inode(fd);
		close(fd);
	}
	if (discover(&lt, NULL)) {
		fprintf(stderr, "nstrace: cannot discover the topology: out of memory\n");
		free(only);
		return EXIT_RUNTIME;
	}
	if (o->diff) {
		struct topo *t = load(o->diff, o->prefix);

		if (!t) {
			ret = EXIT_USAGE;
		} else {
			int n = topo_diff(stdout, t, &lt);

			if (!n)
				printf("%s: the live system matches\n", o->diff);
			ret = n ? EXIT_RUNTIME : EXIT_OK;
			topo_free(t);
		}
	} else if (o->json) {
		render_json(stdout, &lt, only, only ? nonly : 0);
	} else if (o->dot) {
		render_dot(stdout, &lt, only, only ? nonly : 0);
	} else {
		render_tree(stdout, &lt, only, only ? nonly : 0);
	}
	live_free(&lt);
	free(only);
	return ret;
}

int cmd_topo(int argc, char **argv)
{
	struct topo_opts o = { 0 };
	const char *sub;
	int ret;

	if (argc < 2) {
		topo_usage(stderr);
		return EXIT_USAGE;
	}
	sub = argv[1];
	if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
		topo_usage(stdout);
		return EXIT_OK;
	}
	ret = parse_opts(argc - 1, argv + 1, &o);
	if (ret)
		return ret == -1 ? EXIT_OK : EXIT_USAGE;
	argc -= optind + 1;
	argv += optind + 1;
	if (!strcmp(sub, "show"))
		return show(argc, argv, &o);
	if (strcmp(sub, "up") && strcmp(sub, "down") && strcmp(sub, "check")) {
		fprintf(stderr, "nstrace topo: unknown subcommand '%s' "
			"(expected up, down, check or show)\n", sub);
		return EXIT_USAGE;
	}
	if (argc != 1) {
		fprintf(stderr, "nstrace topo %s: expected exactly one FILE\n", sub);
		return EXIT_USAGE;
	}
	if (o.json || o.dot || o.diff) {
		fprintf(stderr, "nstrace topo %s: --json, --dot and --diff belong to 'show'\n", sub);
		return EXIT_USAGE;
	}
	return file_cmd(sub, argv[0], &o);
}
