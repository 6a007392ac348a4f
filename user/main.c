/* nstrace: where, between which network namespaces, and why packets are
 * lost or slowed. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "exitcode.h"
#include "log.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "topo", cmd_topo, "build, remove, check and show namespace topologies" },
	{ "watch", cmd_watch, "stream drops, their reasons, resets and per-hop latency, live" },
	{ "trace", cmd_trace, "each matching packet's path, port by port, to delivery or drop" },
	{ "doctor", cmd_doctor, "find MTU, route and link problems before traffic flows" },
	{ "cleanup", cmd_cleanup, "remove what runs of nstrace that were killed left behind" },
	{ "features", cmd_features, "check that this kernel runs nstrace's BPF programs" },
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: nstrace [-v] COMMAND [ARGS...]\n"
"\n"
"Shows where, between which network namespaces, and why packets are lost\n"
"or slowed.\n"
"\n"
"Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
"\n"
"Options:\n"
"  -v, --verbose   say more (twice: libbpf and netlink detail)\n"
"  -h, --help      this help; 'nstrace COMMAND --help' for a command's\n"
"  -V, --version   print the version\n"
"\n"
"Examples:\n"
"  nstrace topo up topologies/bridge.topo\n"
"  nstrace topo show red --json\n"
"  nstrace watch red\n"
"  nstrace topo down topologies/bridge.topo\n"
"\n"
"Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad input,\n"
"            3 missing privilege or kernel feature, 4 (doctor) problems found.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "+vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			log_level++;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("nstrace %s\n", NSTRACE_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	log_setup_libbpf();
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name)) {
			argv += optind;
			argc -= optind;
			optind = 1;
			return commands[i].fn(argc, argv);
		}
	fprintf(stderr, "nstrace: unknown command '%s' (try 'nstrace --help')\n",
		argv[optind]);
	return EXIT_USAGE;
}
