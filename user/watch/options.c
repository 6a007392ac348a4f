/* The option table of watch (and trace), its parsers, and its usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "exitcode.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "why.h"

/* A parser: 0, or -1 with the sentence (after "nstrace watch: ") in WHY. */
typedef int (*opt_parse)(struct watch_opts *o, const char *arg, char *why, size_t len);

struct opt {
	const char *name;          /* --name; NULL: a heading or the positional NS */
	char short_name;           /* -x, or 0 */
	const char *arg;           /* its argument in the usage, NULL: a flag */
	opt_parse parse;
	const char *help;          /* lines after the first indented; NULL: not listed */
};

static int set_all(struct watch_opts *o, const char *a, char *w, size_t l)
{
	(void)a, (void)w, (void)l;
	o->scope = PLAN_ALL;
	return 0;
}

static int set_only(struct watch_opts *o, const char *a, char *w, size_t l)
{
	(void)a, (void)w, (void)l;
	o->scope = PLAN_ONLY;
	return 0;
}

static int set_json(struct watch_opts *o, const char *a, char *w, size_t l)
{
	(void)a, (void)w, (void)l;
	o->mode = REPORT_JSON;
	return 0;
}

static int set_lines(struct watch_opts *o, const char *a, char *w, size_t l)
{
	(void)a, (void)w, (void)l;
	o->mode = REPORT_LINES;
	return 0;
}

/* Flags: each sets one field of struct watch_opts to 1. */
#define FLAG(field)                                                             \
	static int set_##field(struct watch_opts *o, const char *a, char *w, size_t l) \
	{                                                                       \
		(void)a, (void)w, (void)l;                                      \
		o->field = 1;                                                   \
		return 0;                                                       \
	}
FLAG(quiet)
FLAG(show_benign)
FLAG(pcap_all)
FLAG(journey)
FLAG(hist)
FLAG(no_latency)
FLAG(clsact)
FLAG(tcx)

static int set_why(struct watch_opts *o, const char *a, char *w, size_t l)
{
	(void)a, (void)w, (void)l;
	o->why = WHY_ON;
	return 0;
}

static int set_verbose(struct watch_opts *o, const char *a, char *w, size_t l)
{
	(void)o, (void)a, (void)w, (void)l;
	log_level++;
	return 0;
}

static int set_ready(struct watch_opts *o, const char *a, char *w, size_t l)
{
	(void)w, (void)l;
	o->ready_file = a;
	return 0;
}

static int set_pcap(struct watch_opts *o, const char *a, char *w, size_t l)
{
	(void)w, (void)l;
	o->pcap = a;
	return 0;
}

static int set_btf(struct watch_opts *o, const char *a, char *w, size_t l)
{
	(void)w, (void)l;
	o->btf = a;
	return 0;
}

static int parse_pid(struct watch_opts *o, const char *a, char *why, size_t len)
{
	char *end;
	long pid = strtol(a, &end, 10);

	if (!*a || *end || pid <= 0 || pid > 0x7fffffff) {
		snprintf(why, len, "--pid '%s' is not a process id", a);
		return -1;
	}
	if (o->npids == WATCH_MAX_TARGETS) {
		snprintf(why, len, "at most %d --pid", WATCH_MAX_TARGETS);
		return -1;
	}
	o->pids[o->npids++] = (int)pid;
	return 0;
}

static int parse_duration(struct watch_opts *o, const char *a, char *why, size_t len)
{
	char *end;

	o->duration = strtod(a, &end);
	if (!*a || *end || o->duration <= 0 || o->duration > 1e7) {
		snprintf(why, len, "--duration '%s' is not a number of seconds", a);
		return -1;
	}
	return 0;
}

static int parse_interval(struct watch_opts *o, const char *a, char *why, size_t len)
{
	char *end;
	long ms = strtol(a, &end, 10);

	if (!*a || *end || ms < 0 || ms > 3600000) {
		snprintf(why, len, "--interval '%s' is not 0..3600000 ms", a);
		return -1;
	}
	o->sample_ms = (unsigned int)ms;
	return 0;
}

static int parse_metrics(struct watch_opts *o, const char *a, char *why, size_t len)
{
	struct sockaddr_storage ss;

	if (metrics_parse(a, &ss, why, len))
		return -1;
	o->metrics = a;
	return 0;
}

/* The filters' own sentences, after "filter: ". */
static int filter_failed(int ret, char *why, size_t len)
{
	char inner[160];

	if (!ret)
		return 0;
	snprintf(inner, sizeof(inner), "%s", why);
	snprintf(why, len, "filter: %s", inner);
	return -1;
}

static int parse_host(struct watch_opts *o, const char *a, char *why, size_t len)
{
	return filter_failed(filter_host(&o->filter, a, 0, why, len), why, len);
}

static int parse_net(struct watch_opts *o, const char *a, char *why, size_t len)
{
	return filter_failed(filter_host(&o->filter, a, 1, why, len), why, len);
}

static int parse_port(struct watch_opts *o, const char *a, char *why, size_t len)
{
	return filter_failed(filter_port(&o->filter, a, why, len), why, len);
}

static int parse_proto(struct watch_opts *o, const char *a, char *why, size_t len)
{
	return filter_failed(filter_proto(&o->filter, a, why, len), why, len);
}

static int parse_filter(struct watch_opts *o, const char *a, char *why, size_t len)
{
	return filter_failed(filter_expr(&o->filter, a, why, len), why, len);
}

#define HEADING(text) { NULL, 0, NULL, NULL, text }

static const struct opt opts[] = {
	{ NULL, 0, "NS", NULL, "an ip netns name, pid:N, a path to a namespace file,\n"
			       "inode:N, root, or a container: web (when no ip netns\n"
			       "has that name), docker:web, podman:web,\n"
			       "pod:NAMESPACE/NAME, id:PREFIX (DOCKER_HOST and\n"
			       "CONTAINER_HOST name the sockets, as for their CLIs)" },
	{ "pid", 0, "PID", parse_pid, "a running process's namespace (a container), no\n"
				      "shell needed inside it" },
	{ "all", 0, NULL, set_all, "every namespace and all traffic" },
	{ "only", 0, NULL, set_only, "the namespaces named, not their peers" },
	HEADING("Output (a live view on a terminal, lines when piped):"),
	{ "lines", 0, NULL, set_lines, "one line per story, then the summary" },
	{ "json", 0, NULL, set_json, "one JSON object per line (docs/json.md)" },
	{ "quiet", 'q', NULL, set_quiet, "do not print the attach plan" },
	{ "benign", 0, NULL, set_show_benign,
	  "also tell the drops healthy traffic makes (multicast\n"
	  "nobody joined, ping socket copies, ...) and the ICMP\n"
	  "errors path probes ask for (traceroute's TTL exceeded);\n"
	  "they are always counted, and always in --json" },
	{ "duration", 0, "S", parse_duration,
	  "stop after S seconds (default: on Ctrl-C or SIGTERM)" },
	{ "ready-file", 0, "F", set_ready, "create F once everything is attached" },
	{ "interval", 0, "MS", parse_interval,
	  "at most one story per (namespace, port, reason,\n"
	  "location) every MS milliseconds (default 1000);\n"
	  "counts are exact whatever this is" },
	{ "pcap", 0, "FILE", set_pcap,
	  "write the first 128 bytes of each packet a story is\n"
	  "about (drops, ICMP errors, resets) to FILE as pcapng,\n"
	  "each with a comment saying where and why" },
	{ "pcap-all", 0, NULL, set_pcap_all,
	  "also one packet per port, direction and --interval\n"
	  "of the traffic that was not dropped" },
	{ "journey", 0, NULL, set_journey,
	  "every wanted packet's path, port by port with times,\n"
	  "to its delivery or its drop ('nstrace trace' is this);\n"
	  "narrow it with the filters below" },
	{ "why", 0, NULL, set_why,
	  "name the nftables rule behind each NETFILTER_DROP:\n"
	  "adds table inet nstrace_trace_PID, which only sets\n"
	  "nftrace on watched packets (20/s per address pair), to\n"
	  "each watched namespace with a ruleset (and to one\n"
	  "where a NETFILTER_DROP comes later); removed at exit" },
	{ "hist", 0, NULL, set_hist, "draw a log2 latency histogram under each latency row" },
	{ "no-latency", 0, NULL, set_no_latency,
	  "do not time hops (no per-packet stamps on the ports)" },
	{ "clsact", 0, NULL, set_clsact,
	  "clsact filters on every port (by default the first 16\n"
	  "hooks, and ports where other programs run first, get\n"
	  "tcx links)" },
	{ "tcx", 0, NULL, set_tcx,
	  "tcx links on every port (kernel 6.6+): seen before every\n"
	  "other program, released by the kernel with the process,\n"
	  "but each attach and detach waits for an RCU grace period\n"
	  "(by default only the first 16 hooks; clsact filters for\n"
	  "the rest, leased in /run/nstrace so 'nstrace cleanup'\n"
	  "removes them should watch be killed)" },
	{ "btf", 0, "PATH", set_btf,
	  "the kernel's types from PATH, for kernels without\n"
	  "/sys/kernel/btf/vmlinux (e.g. a file from BTFHub)" },
	{ "metrics", 0, "[ADDR:]PORT", parse_metrics,
	  "serve the counters at http://ADDR:PORT/metrics for\n"
	  "Prometheus (ADDR defaults to 127.0.0.1)" },
	HEADING("Filters, applied in the kernel so counts stay exact:"),
	{ "host", 0, "ADDR", parse_host, "packets from or to ADDR" },
	{ "net", 0, "CIDR", parse_net, "packets from or to CIDR" },
	{ "port", 0, "N", parse_port, "TCP/UDP source or destination port N" },
	{ "proto", 0, "P", parse_proto, "tcp, udp, icmp, icmp6 or sctp" },
	{ "filter", 0, "EXPR", parse_filter,
	  "the same as an expression: 'host 10.0.0.2 and tcp port 80'" },
	{ "verbose", 'v', NULL, set_verbose, NULL },
	{ "help", 'h', NULL, NULL, NULL },
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))
/* getopt's value for opts[i] without a short name. */
#define LONG_ID(i) (256 + (int)(i))

static int is_heading(const struct opt *d)
{
	return !d->name && !d->arg;
}

/* "  --name ARG       help", continued lines under the help's column. */
static void usage_line(FILE *f, const struct opt *d)
{
	char left[64];
	const char *h = d->help;

	if (d->short_name)
		snprintf(left, sizeof(left), "-%c, --%s", d->short_name, d->name);
	else if (d->name)
		snprintf(left, sizeof(left), "--%s%s%s", d->name, d->arg ? " " : "", d->arg ? d->arg : "");
	else
		snprintf(left, sizeof(left), "%s", d->arg);
	if (strlen(left) > 16)
		fprintf(f, "  %s\n%19s", left, "");
	else
		fprintf(f, "  %-16s ", left);
	for (const char *nl; (nl = strchr(h, '\n')); h = nl + 1)
		fprintf(f, "%.*s\n%19s", (int)(nl - h), h, "");
	fprintf(f, "%s\n", h);
}

void options_usage(FILE *f)
{
	fprintf(f,
"Usage: nstrace watch [NS...] [--pid PID]... [--all | --only] [options]\n"
"\n"
"Streams where, between which namespaces, and why packets are dropped:\n"
"the kernel's drop reason and the function that freed the packet, TCP\n"
"resets, and per-port packet counters, for the namespaces named and for\n"
"their traffic wherever it goes on this host (veth peers, bridges,\n"
"router namespaces), counting only packets to or from their addresses.\n"
"\n");
	for (size_t i = 0; i < NOPTS; i++) {
		if (is_heading(&opts[i]))
			fprintf(f, "\n%s\n", opts[i].help);
		else if (opts[i].help)
			usage_line(f, &opts[i]);
	}
	fprintf(f,
"\n"
"Examples:\n"
"  nstrace watch red\n"
"  nstrace watch web                (a Docker or Podman container)\n"
"  nstrace watch --pid 1234 --port 5432\n"
"  nstrace watch red --duration 5 --json > drops.json\n"
"  nstrace watch --all --filter 'udp and port 53'\n"
"\n"
"Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad input (e.g. a\n"
"namespace that does not exist), 3 missing privilege or kernel feature.\n");
}

static void help(const char *cmd)
{
	if (!strcmp(cmd, "trace"))
		printf("nstrace trace [NS...] [--pid PID]... [filters] is 'nstrace watch "
		       "--journey':\neach matching packet's path, port by port with "
		       "times, to its delivery\nor its drop. The options are watch's:\n\n");
	options_usage(stdout);
}

/* What no single option can check: how they go together. */
static int check(const struct watch_opts *o)
{
	const char *why = NULL;

	if (o->hist && o->no_latency)
		why = "--hist and --no-latency exclude each other";
	else if (o->clsact && o->tcx)
		why = "--clsact and --tcx exclude each other";
	else if (o->pcap_all && !o->pcap)
		why = "--pcap-all needs --pcap FILE";
	else if (!o->ntargets && !o->npids && o->scope != PLAN_ALL)
		why = "name a namespace, --pid PID or --all (try 'nstrace watch --help')";
	if (why)
		fprintf(stderr, "nstrace watch: %s\n", why);
	return why ? -1 : 0;
}

/* getopt's long options and short string, from the table. */
static void getopt_tables(struct option *lo, char *shorts)
{
	size_t n = 0, s = 0;

	shorts[s++] = ':';
	for (size_t i = 0; i < NOPTS; i++) {
		if (!opts[i].name)
			continue;
		lo[n++] = (struct option){ opts[i].name, opts[i].arg ? required_argument : no_argument,
					   NULL, opts[i].short_name ? opts[i].short_name : LONG_ID(i) };
		if (opts[i].short_name)
			shorts[s++] = opts[i].short_name;
	}
	lo[n] = (struct option){ 0 };
	shorts[s] = 0;
}

static const struct opt *opt_for(int c)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (opts[i].name && (c == LONG_ID(i) || (opts[i].short_name && c == opts[i].short_name)))
			return &opts[i];
	return NULL;
}

enum opts_result options_parse(int argc, char **argv, struct watch_opts *o)
{
	struct option lo[NOPTS + 1];
	char shorts[16], why[256];
	const struct opt *d;
	int c;

	getopt_tables(lo, shorts);
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		if (!(d = opt_for(c))) {
			bad_option("watch", c, argv);
			return OPTS_BAD;
		}
		if (!d->parse) {   /* --help */
			help(argv[0]);
			return OPTS_HELP_SHOWN;
		}
		if (d->parse(o, optarg, why, sizeof(why))) {
			fprintf(stderr, "nstrace watch: %s\n", why);
			return OPTS_BAD;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (o->ntargets == WATCH_MAX_TARGETS) {
			fprintf(stderr, "nstrace watch: at most %d namespaces\n", WATCH_MAX_TARGETS);
			return OPTS_BAD;
		}
		o->targets[o->ntargets++] = argv[i];
	}
	return check(o) ? OPTS_BAD : OPTS_RUN;
}
