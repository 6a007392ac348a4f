/* nstrace watch: attach to the ports and tracepoints of the watched
 * namespaces and report drops and resets, live, until told to stop. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cleanup.h"
#include "cmd.h"
#include "caps.h"
#include "exitcode.h"
#include "log.h"
#include "reasons.h"
#include "watch.h"
#include "watch.skel.h"

#define TICK_MS 100

static void watch_usage(FILE *f)
{
	fprintf(f,
"Usage: nstrace watch [NS...] [--pid PID]... [--all | --only] [options]\n"
"\n"
"Streams where, between which namespaces, and why packets are dropped:\n"
"the kernel's drop reason and the function that freed the packet, TCP\n"
"resets, and per-port packet counters, for the namespaces named and for\n"
"their traffic wherever it goes on this host (veth peers, bridges,\n"
"router namespaces), counting only packets to or from their addresses.\n"
"\n"
"  NS               an ip netns name, pid:N, a path to a namespace file,\n"
"                   inode:N, or root\n"
"  --pid PID        a running process's namespace (a container), no\n"
"                   shell needed inside it\n"
"  --all            every namespace and all traffic\n"
"  --only           the namespaces named, not their peers\n"
"\n"
"Output (a live view on a terminal, lines when piped):\n"
"  --lines          one line per story, then the summary\n"
"  --json           one JSON object per line (docs/json.md)\n"
"  -q, --quiet      do not print the attach plan\n"
"  --benign         also tell the drops healthy traffic makes (multicast\n"
"                   nobody joined, ping socket copies, ...); they are\n"
"                   always counted, and always in --json\n"
"  --duration S     stop after S seconds (default: on Ctrl-C or SIGTERM)\n"
"  --ready-file F   create F once everything is attached\n"
"  --interval MS    at most one story per (namespace, port, reason,\n"
"                   location) every MS milliseconds (default 1000);\n"
"                   counts are exact whatever this is\n"
"  --pcap FILE      write the first 128 bytes of each packet a story is\n"
"                   about (drops, ICMP errors, resets) to FILE as pcapng,\n"
"                   each with a comment saying where and why\n"
"  --pcap-all       also one packet per port, direction and --interval\n"
"                   of the traffic that was not dropped\n"
"  --journey        every wanted packet's path, port by port with times,\n"
"                   to its delivery or its drop ('nstrace trace' is this);\n"
"                   narrow it with the filters below\n"
"  --hist           draw a log2 latency histogram under each latency row\n"
"  --no-latency     do not time hops (no per-packet stamps on the ports)\n"
"  --clsact         attach clsact filters, as on kernels without tcx links\n"
"                   (a lease in /run/nstrace lets 'nstrace cleanup' remove\n"
"                   them should watch be killed)\n"
"  --btf PATH       the kernel's types from PATH, for kernels without\n"
"                   /sys/kernel/btf/vmlinux (e.g. a file from BTFHub)\n"
"  --metrics [ADDR:]PORT\n"
"                   serve the counters at http://ADDR:PORT/metrics for\n"
"                   Prometheus (ADDR defaults to 127.0.0.1)\n"
"\n"
"Filters, applied in the kernel so counts stay exact:\n"
"  --host ADDR      packets from or to ADDR\n"
"  --net CIDR       packets from or to CIDR\n"
"  --port N         TCP/UDP source or destination port N\n"
"  --proto P        tcp, udp, icmp, icmp6 or sctp\n"
"  --filter EXPR    the same as an expression: 'host 10.0.0.2 and tcp port 80'\n"
"\n"
"Examples:\n"
"  nstrace watch red\n"
"  nstrace watch --pid 1234 --port 5432\n"
"  nstrace watch red --duration 5 --json > drops.json\n"
"  nstrace watch --all --filter 'udp and port 53'\n"
"\n"
"Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad input (e.g. a\n"
"namespace that does not exist), 3 missing privilege or kernel feature.\n");
}

double watch_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *watch_ns_label(const struct watch *w, uint64_t inode)
{
	static char buf[4][32];
	static int slot;
	const struct netns_info *ni = netns_by_inode(&w->nl, inode);

	if (ni)
		return ni->label;
	snprintf(buf[slot % 4], sizeof(buf[0]), "netns %llu", (unsigned long long)inode);
	return buf[slot++ % 4];
}

const char *watch_dev_name(const struct watch *w, uint64_t inode, int ifindex,
			   char *buf, size_t len)
{
	const struct live_ns *ns = live_ns_by_inode(&w->lt, inode);
	const struct live_link *l = ns ? live_link_by_index(ns, ifindex) : NULL;

	if (l) {
		snprintf(buf, len, "%s", l->name);
		return buf;
	}
	for (int i = w->nnames - 1; i >= 0; i--)
		if (w->names[i].netns == inode && w->names[i].ifindex == ifindex) {
			snprintf(buf, len, "%s", w->names[i].name);
			return buf;
		}
	snprintf(buf, len, "ifindex %d", ifindex);
	return buf;
}

static int parse_args(int argc, char **argv, struct watch_opts *o, int *pids, int *npids)
{
	enum { O_ALL = 256, O_ONLY, O_BENIGN, O_JSON, O_LINES, O_DURATION, O_READY, O_INTERVAL,
	       O_HOST, O_NET, O_PORT, O_PROTO, O_FILTER, O_PID, O_METRICS, O_PCAP, O_PCAP_ALL,
	       O_HIST, O_NO_LATENCY, O_JOURNEY, O_CLSACT, O_BTF };
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, O_PID },
		{ "all", no_argument, NULL, O_ALL },
		{ "only", no_argument, NULL, O_ONLY },
		{ "json", no_argument, NULL, O_JSON },
		{ "lines", no_argument, NULL, O_LINES },
		{ "benign", no_argument, NULL, O_BENIGN },
		{ "quiet", no_argument, NULL, 'q' },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "ready-file", required_argument, NULL, O_READY },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "metrics", required_argument, NULL, O_METRICS },
		{ "pcap", required_argument, NULL, O_PCAP },
		{ "pcap-all", no_argument, NULL, O_PCAP_ALL },
		{ "hist", no_argument, NULL, O_HIST },
		{ "journey", no_argument, NULL, O_JOURNEY },
		{ "clsact", no_argument, NULL, O_CLSACT },
		{ "btf", required_argument, NULL, O_BTF },
		{ "no-latency", no_argument, NULL, O_NO_LATENCY },
		{ "host", required_argument, NULL, O_HOST },
		{ "net", required_argument, NULL, O_NET },
		{ "port", required_argument, NULL, O_PORT },
		{ "proto", required_argument, NULL, O_PROTO },
		{ "filter", required_argument, NULL, O_FILTER },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char why[160], *end;
	int c, ret = 0;

	optind = 0;
	opterr = 0;
	while (!ret && (c = getopt_long(argc, argv, ":qvh", opts, NULL)) != -1) {
		switch (c) {
		case O_PID: {
			long pid = strtol(optarg, &end, 10);

			if (!*optarg || *end || pid <= 0 || pid > 0x7fffffff) {
				fprintf(stderr, "nstrace watch: --pid '%s' is not a process id\n", optarg);
				return EXIT_USAGE;
			}
			if (*npids == WATCH_MAX_TARGETS) {
				fprintf(stderr, "nstrace watch: at most %d --pid\n", WATCH_MAX_TARGETS);
				return EXIT_USAGE;
			}
			pids[(*npids)++] = (int)pid;
			break;
		}
		case O_ALL: o->scope = PLAN_ALL; break;
		case O_ONLY: o->scope = PLAN_ONLY; break;
		case O_JSON: o->mode = REPORT_JSON; break;
		case O_LINES: o->mode = REPORT_LINES; break;
		case O_BENIGN: o->show_benign = 1; break;
		case 'q': o->quiet = 1; break;
		case 'v': log_level++; break;
		case 'h':
			if (!strcmp(argv[0], "trace"))
				printf("nstrace trace [NS...] [--pid PID]... [filters] is 'nstrace watch "
				       "--journey':\neach matching packet's path, port by port with "
				       "times, to its delivery\nor its drop. The options are watch's:\n\n");
			watch_usage(stdout);
			return -1;
		case O_DURATION:
			o->duration = strtod(optarg, &end);
			if (!*optarg || *end || o->duration <= 0 || o->duration > 1e7) {
				fprintf(stderr, "nstrace watch: --duration '%s' is not a number of seconds\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case O_READY: o->ready_file = optarg; break;
		case O_PCAP: o->pcap = optarg; break;
		case O_PCAP_ALL: o->pcap_all = 1; break;
		case O_HIST: o->hist = 1; break;
		case O_JOURNEY: o->journey = 1; break;
		case O_CLSACT: o->clsact = 1; break;
		case O_BTF: o->btf = optarg; break;
		case O_NO_LATENCY: o->no_latency = 1; break;
		case O_METRICS: {
			struct sockaddr_storage ss;

			if (metrics_parse(optarg, &ss, why, sizeof(why))) {
				fprintf(stderr, "nstrace watch: %s\n", why);
				return EXIT_USAGE;
			}
			o->metrics = optarg;
			break;
		}
		case O_INTERVAL: {
			long ms = strtol(optarg, &end, 10);

			if (!*optarg || *end || ms < 0 || ms > 3600000) {
				fprintf(stderr, "nstrace watch: --interval '%s' is not 0..3600000 ms\n", optarg);
				return EXIT_USAGE;
			}
			o->sample_ms = (unsigned int)ms;
			break;
		}
		case O_HOST: ret = filter_host(&o->filter, optarg, 0, why, sizeof(why)); break;
		case O_NET: ret = filter_host(&o->filter, optarg, 1, why, sizeof(why)); break;
		case O_PORT: ret = filter_port(&o->filter, optarg, why, sizeof(why)); break;
		case O_PROTO: ret = filter_proto(&o->filter, optarg, why, sizeof(why)); break;
		case O_FILTER: ret = filter_expr(&o->filter, optarg, why, sizeof(why)); break;
		default: return bad_option("watch", c, argv);
		}
	}
	if (ret) {
		fprintf(stderr, "nstrace watch: filter: %s\n", why);
		return EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		if (o->ntargets == WATCH_MAX_TARGETS) {
			fprintf(stderr, "nstrace watch: at most %d namespaces\n", WATCH_MAX_TARGETS);
			return EXIT_USAGE;
		}
		o->targets[o->ntargets++] = argv[i];
	}
	if (o->hist && o->no_latency) {
		fprintf(stderr, "nstrace watch: --hist and --no-latency exclude each other\n");
		return EXIT_USAGE;
	}
	if (o->pcap_all && !o->pcap) {
		fprintf(stderr, "nstrace watch: --pcap-all needs --pcap FILE\n");
		return EXIT_USAGE;
	}
	if (!o->ntargets && !*npids && o->scope != PLAN_ALL) {
		fprintf(stderr, "nstrace watch: name a namespace, --pid PID or --all "
			"(try 'nstrace watch --help')\n");
		return EXIT_USAGE;
	}
	return 0;
}

/* Resolve every target to an inode; the fds are not kept (an open fd
 * would keep a deleted namespace alive). */
static int resolve_targets(struct watch *w, const int *pids, int npids)
{
	char err[384];

	for (int i = 0; i < w->o.ntargets + npids; i++) {
		int pid = i < w->o.ntargets ? 0 : pids[i - w->o.ntargets], fd;

		w->target_pidfd[w->ntargets] = -1;
		w->target_pid[w->ntargets] = pid;
		fd = pid ? netns_open_pidfd(pid, &w->target_pidfd[w->ntargets], err, sizeof(err))
			 : netns_resolve(w->o.targets[i], err, sizeof(err));
		if (fd < 0) {
			fprintf(stderr, "nstrace watch: %s\n", err);
			return fd == -EPERM || fd == -EACCES ? EXIT_NOPRIV : EXIT_USAGE;
		}
		if (!pid && !strchr(w->o.targets[i], '/') && netns_exists(w->o.targets[i]))
			snprintf(w->target_name[w->ntargets], NETNS_NAME_MAX, "%s", w->o.targets[i]);
		w->targets[w->ntargets++] = netns_inode(fd);
		close(fd);
	}
	return 0;
}

/* For detaching clsact filters at exit: the fds were let go of. */
static int open_ns_cb(uint64_t inode, void *ctx)
{
	char err[160];

	(void)ctx;
	return netns_open_inode(inode, err, sizeof(err));
}

int watch_handle_event(void *ctx, void *data, size_t size)
{
	struct watch *w = ctx;
	const struct nst_event *e = data;

	if (size < sizeof(struct nst_event))
		return 0;
	if (w->pcap.f && e->data_kind != NST_DATA_NONE) {
		char name[136], comment[300];

		report_where(w, e->netns, e->ifindex, name, sizeof(name));
		report_event_comment(w, e, comment, sizeof(comment));
		pcap_write(&w->pcap, e, name, comment);
	}
	if (e->type == NST_EV_SEEN)
		return 0;
	if (e->type == NST_EV_HOP) {
		journey_hop(w, e);
		return 0;
	}
	stats_note_event(w, data);
	if (w->o.journey && e->type == NST_EV_DROP && journey_drop(w, e))
		return 0;
	report_event(w, data);
	return 0;
}

static void configure(struct watch *w)
{
	struct watch_bpf *s = w->skel;
	static const char *tps[] = { "kfree_skb", "tcp_send_reset", "tcp_receive_reset",
				     "icmp_send" };
	struct bpf_program *progs[] = { s->progs.watch_kfree_skb, s->progs.watch_tcp_send_reset,
					s->progs.watch_tcp_receive_reset, s->progs.watch_icmp_send };

	s->rodata->sample_ns = (unsigned long long)w->o.sample_ms * 1000000ULL;
	s->rodata->latency = !w->o.no_latency;
	s->rodata->journey = w->o.journey;
	s->rodata->capture = !w->o.pcap ? NST_CAP_OFF : w->o.pcap_all ? NST_CAP_ALL : NST_CAP_DROPS;
	s->rodata->f_proto = w->o.filter.proto;
	s->rodata->f_port = w->o.filter.port;
	if (w->o.filter.net.family) {
		s->rodata->f_family = w->o.filter.net.family;
		s->rodata->f_plen = w->o.filter.net.plen;
		memcpy((void *)s->rodata->f_addr, w->o.filter.net.a, 16);
	}
	for (size_t i = 0; i < sizeof(tps) / sizeof(tps[0]); i++)
		if (!kernel_has_tracepoint(tps[i])) {
			pr_warn("this kernel has no %s tracepoint: that part is off\n", tps[i]);
			bpf_program__set_autoload(progs[i], false);
		}
}

/* For latency: every veth end's peer, and which namespace owns each
 * address (loopback's are everyone's, so not). */
static int fill_latency_maps(struct watch *w)
{
	int pfd = bpf_map__fd(w->skel->maps.peers), lfd = bpf_map__fd(w->skel->maps.local_addrs);

	for (int i = 0; i < w->lt.nns; i++) {
		const struct live_ns *ns = &w->lt.ns[i];
		uint32_t owner = (uint32_t)ns->inode;

		for (int l = 0; l < ns->nlinks; l++) {
			const struct live_link *ln = &ns->links[l];
			struct nst_port me = { .netns = owner, .ifindex = (uint32_t)ln->ifindex };
			struct nst_port peer = { .netns = (uint32_t)ln->peer_netns,
						 .ifindex = (uint32_t)ln->peer_ifindex };

			if (ln->gone || !strcmp(ln->kind, "loopback"))
				continue;
			if (ln->peer_ifindex && bpf_map_update_elem(pfd, &me, &peer, BPF_ANY))
				return -errno;
			for (int a = 0; a < ln->naddrs; a++) {
				struct nst_akey k = { .family = (uint32_t)ln->addrs[a].family };

				memcpy(k.addr, ln->addrs[a].a, 16);
				if (bpf_map_update_elem(lfd, &k, &owner, BPF_ANY))
					return -errno;
			}
		}
	}
	return 0;
}

int watch_fill_maps(struct watch *w)
{
	int nsfd = bpf_map__fd(w->skel->maps.netns_mode);
	int afd = bpf_map__fd(w->skel->maps.watched_addrs);
	unsigned char one = 1;

	for (int i = 0; i < w->plan.nns; i++) {
		uint32_t ino = (uint32_t)w->plan.ns[i].inode, mode = w->plan.ns[i].mode;

		if (bpf_map_update_elem(nsfd, &ino, &mode, BPF_ANY))
			return -errno;
	}
	for (int i = 0; i < w->plan.naddrs; i++) {
		struct nst_akey k = { .family = w->plan.addrs[i].family };

		memcpy(k.addr, w->plan.addrs[i].a, 16);
		if (bpf_map_update_elem(afd, &k, &one, BPF_ANY))
			return -errno;
	}
	return fill_latency_maps(w);
}

static int attached(const struct watch *w, uint64_t netns, int ifindex, int dir)
{
	for (int i = 0; i < w->att.n; i++)
		if (w->att.v[i].netns == netns && w->att.v[i].ifindex == ifindex &&
		    w->att.v[i].dir == dir)
			return 1;
	return 0;
}

/* tc on every planned port not yet attached. Each tcx attachment waits
 * for an RCU grace period under RTNL in the kernel (KNOWN_ISSUES.md), so
 * threads would not make this faster. */
int watch_attach_ports(struct watch *w)
{
	char dev[32];
	int ret;

	for (int i = 0; i < w->plan.nports; i++) {
		const struct plan_port *p = &w->plan.ports[i];
		const struct netns_info *ni = netns_by_inode(&w->nl, p->netns);

		for (int dir = NST_INGRESS; ni && dir <= NST_EGRESS; dir++) {
			int fd = bpf_program__fd(dir == NST_INGRESS ? w->skel->progs.watch_tc_ingress
								    : w->skel->progs.watch_tc_egress);

			if (attached(w, p->netns, p->ifindex, dir))
				continue;
			ret = attach_port(&w->att, ni->fd, p->netns, p->ifindex, dir, fd);
			if (ret) {
				fprintf(stderr, "nstrace watch: cannot attach to %s:%s (ifindex %d) %s: %s\n",
					ni->label, watch_dev_name(w, p->netns, p->ifindex, dev, sizeof(dev)),
					p->ifindex, dir == NST_INGRESS ? "ingress" : "egress",
					strerror(-ret));
				return exit_code_for_errno(ret) == EXIT_NOPRIV ? EXIT_NOPRIV : EXIT_RUNTIME;
			}
		}
	}
	return 0;
}

static int attach_all(struct watch *w)
{
	int ret = watch_bpf__attach(w->skel);

	if (ret) {
		fprintf(stderr, "nstrace watch: cannot attach the tracepoint programs: %s\n",
			strerror(-ret));
		return exit_code_for_errno(ret) == EXIT_RUNTIME ? EXIT_RUNTIME : EXIT_NOPRIV;
	}
	return watch_attach_ports(w);
}

static void window_size(struct watch *w)
{
	struct winsize ws;

	if (!ioctl(fileno(w->out), TIOCGWINSZ, &ws) && ws.ws_col) {
		w->rows = ws.ws_row;
		w->cols = ws.ws_col;
	}
}

static int loop(struct watch *w)
{
	struct itimerspec its = { .it_interval = { 0, TICK_MS * 1000000L },
				  .it_value = { 0, TICK_MS * 1000000L } };
	struct epoll_event ev = { .events = EPOLLIN }, got[16];
	int sfd, tfd, efd, ret = 0, done = 0;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	efd = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || efd < 0 || timerfd_settime(tfd, 0, &its, NULL)) {
		ret = -errno;
		goto out;
	}
	ev.data.u64 = TAG_SIGNAL;
	epoll_ctl(efd, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.u64 = TAG_TIMER;
	epoll_ctl(efd, EPOLL_CTL_ADD, tfd, &ev);
	w->efd = efd;
	if (w->metrics.fd >= 0) {
		ev.data.u64 = TAG_METRICS;
		epoll_ctl(efd, EPOLL_CTL_ADD, w->metrics.fd, &ev);
	}
	follow_monitor_plan(w);
	netns_list_close_fds(&w->nl);   /* attached and followed: let go of them */
	for (int i = 0; i < w->ntargets; i++)
		if (w->target_pidfd[i] >= 0) {
			ev.data.u64 = TAG_PIDFD + i;
			epoll_ctl(efd, EPOLL_CTL_ADD, w->target_pidfd[i], &ev);
		}
	while (!done) {
		int n = epoll_wait(efd, got, 16, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (got[i].data.u64 == TAG_METRICS) {
				metrics_accept(&w->metrics, efd, TAG_METRICS);
			} else if (got[i].data.u64 > TAG_METRICS) {
				metrics_client(&w->metrics, (int)(got[i].data.u64 - TAG_METRICS - 1), efd, w);
			} else if (got[i].data.u64 >= TAG_PIDFD) {
				int t = (int)(got[i].data.u64 - TAG_PIDFD);
				char why[64];

				epoll_ctl(efd, EPOLL_CTL_DEL, w->target_pidfd[t], NULL);
				snprintf(why, sizeof(why), "pid %d exited", w->target_pid[t]);
				done |= follow_target_gone(w, t, why);
			} else if (got[i].data.u64 >= TAG_MONITOR) {
				monitor_read(&w->mon, (int)(got[i].data.u64 - TAG_MONITOR), follow_on_link, w);
			} else if (got[i].data.u64 == TAG_SIGNAL) {
				struct signalfd_siginfo si;

				if (read(sfd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGWINCH)
					window_size(w);
				else
					done = 1;
			} else {
				uint64_t ticks;

				if (read(tfd, &ticks, sizeof(ticks)) < 0)
					continue;
				/* Stories are submitted without wakeups: drain here. */
				ring_buffer__consume(w->rb);
				if (w->o.journey)   /* a packet quiet for 300 ms has arrived or died */
					journey_flush(w, (uint64_t)(watch_now() * 1e9), 300000000ULL);
				if (watch_now() - w->last_refresh >= 1.0) {
					done |= follow_check_targets(w);
					follow_check_namespaces(w);
					stats_read(w);
					if (w->o.mode == REPORT_TTY)
						report_live(w);
				}
				if (w->o.duration && watch_now() - w->start >= w->o.duration)
					done = 1;
			}
		}
		if (w->replan)
			follow_replan(w);
	}
out:
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	if (efd >= 0)
		close(efd);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	return ret;
}

static int write_ready(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	if (write(fd, "ready\n", 6) != 6) {
		close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

static int run(struct watch *w, const int *pids, int npids)
{
	struct timespec mono, real;
	int ret;

	double t0 = watch_now();

	if ((ret = resolve_targets(w, pids, npids)))
		return ret;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	w->mono_to_real = (real.tv_sec - mono.tv_sec) + (real.tv_nsec - mono.tv_nsec) / 1e9;
	if (w->o.pcap && (ret = pcap_open(&w->pcap, w->o.pcap, w->mono_to_real))) {
		fprintf(stderr, "nstrace watch: cannot create %s: %s\n", w->o.pcap, strerror(-ret));
		return EXIT_USAGE;
	}
	if (w->o.metrics) {
		char err[256];

		if (metrics_open(&w->metrics, w->o.metrics, err, sizeof(err))) {
			fprintf(stderr, "nstrace watch: %s\n", err);
			return EXIT_USAGE;
		}
	}
	reasons_set_btf(w->o.btf);
	ret = reasons_load();
	pr_debug("%.1f ms: kernel BTF read\n", (watch_now() - t0) * 1e3);
	if (ret && w->o.btf) {
		fprintf(stderr, "nstrace watch: --btf %s: cannot read BTF from it: %s\n", w->o.btf,
			ret == -ENOENT ? "No such file or directory" : ret == -EPERM || ret == -EACCES ?
			strerror(-ret) : "not a BTF file");
		return EXIT_USAGE;
	}
	if (ret) {
		fprintf(stderr, "nstrace watch: this kernel exposes no BTF at /sys/kernel/btf/vmlinux "
			"(%s): give its types with --btf PATH\n", strerror(-ret));
		return EXIT_NOPRIV;
	}
	netns_enumerate(&w->nl);
	if (discover(&w->lt, &w->nl) || plan_build(&w->plan, &w->lt, w->targets,
						   w->ntargets, w->o.scope)) {
		fprintf(stderr, "nstrace watch: out of memory while planning\n");
		return EXIT_RUNTIME;
	}
	follow_remember_names(w);
	pr_debug("%.1f ms: topology discovered, %d ports planned\n", (watch_now() - t0) * 1e3,
		 w->plan.nports);
	{
		LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = w->o.btf);

		w->skel = watch_bpf__open_opts(&oo);
	}
	if (!w->skel) {
		fprintf(stderr, "nstrace watch: cannot open the BPF programs: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	configure(w);
	ret = watch_bpf__load(w->skel);
	if (ret) {
		fprintf(stderr, "nstrace watch: the kernel refused the BPF programs: %s "
			"(needs CAP_BPF, CAP_PERFMON and BTF; -v shows the verifier)\n", strerror(-ret));
		return EXIT_NOPRIV;
	}
	pr_debug("%.1f ms: BPF programs loaded\n", (watch_now() - t0) * 1e3);
	if ((ret = watch_fill_maps(w))) {
		fprintf(stderr, "nstrace watch: cannot fill the filter maps: %s\n", strerror(-ret));
		return EXIT_RUNTIME;
	}
	w->rb = ring_buffer__new(bpf_map__fd(w->skel->maps.events), watch_handle_event, w, NULL);
	if (!w->rb) {
		fprintf(stderr, "nstrace watch: cannot open the ring buffer: %s\n", strerror(errno));
		return EXIT_RUNTIME;
	}
	if ((ret = attach_all(w)))
		return ret;
	pr_debug("%.1f ms: attached\n", (watch_now() - t0) * 1e3);
	w->start = w->last_refresh = watch_now();
	if (w->o.mode == REPORT_TTY) {
		window_size(w);
		report_tty_begin(w);
	} else {
		report_plan(w);
	}
	if (w->o.ready_file && !(ret = write_ready(w->o.ready_file)))
		w->ready_written = 1;
	if (w->o.ready_file && ret) {
		if (w->o.mode == REPORT_TTY)
			report_tty_end(w);
		fprintf(stderr, "nstrace watch: cannot create %s: %s\n", w->o.ready_file,
			strerror(-ret));
		return EXIT_USAGE;
	}
	ret = loop(w);
	ring_buffer__consume(w->rb);
	journey_flush(w, 0, 0);
	stats_read(w);
	if (w->o.mode == REPORT_TTY) {
		report_tty_end(w);
		report_plan(w);
	}
	report_summary(w);
	if (w->pcap.f && pcap_close(&w->pcap)) {
		fprintf(stderr, "nstrace watch: writing %s failed: %s\n", w->o.pcap, strerror(EIO));
		ret = ret ? ret : -EIO;
	}
	if (ret)
		fprintf(stderr, "nstrace watch: event loop failed: %s\n", strerror(-ret));
	return ret ? EXIT_RUNTIME : EXIT_OK;
}

/* nstrace trace ARGS: watch --journey ARGS. */
int cmd_trace(int argc, char **argv)
{
	char **args = calloc(argc + 2, sizeof(*args));
	int ret;

	if (!args)
		return EXIT_RUNTIME;
	args[0] = argv[0];
	args[1] = "--journey";
	memcpy(args + 2, argv + 1, (argc - 1) * sizeof(*args));
	ret = cmd_watch(argc + 1, args);
	free(args);
	return ret;
}

int cmd_watch(int argc, char **argv)
{
	struct watch *w = calloc(1, sizeof(*w));
	int pids[WATCH_MAX_TARGETS], npids = 0, ret;

	if (!w)
		return EXIT_RUNTIME;
	w->out = stdout;
	w->o.sample_ms = 1000;
	w->metrics.fd = -1;
	for (int i = 0; i < METRICS_CLIENTS; i++)
		w->metrics.c[i].fd = -1;
	w->o.mode = isatty(STDOUT_FILENO) ? REPORT_TTY : REPORT_LINES;
	ret = parse_args(argc, argv, &w->o, pids, &npids);
	if (ret) {
		free(w);
		return ret < 0 ? EXIT_OK : ret;
	}
	/* Journeys are blocks of lines, not a screen to redraw. */
	if (w->o.journey && w->o.mode == REPORT_TTY)
		w->o.mode = REPORT_LINES;
	if (w->o.journey && !w->o.filter.proto && !w->o.filter.port && !w->o.filter.net.family)
		pr_warn("tracing every packet on these ports: narrow it with --host, --port "
			"or --proto\n");
	w->att.force_legacy = w->o.clsact;
	if (!(ret = need_caps("watch", NST_CAPS_WATCH))) {
		cleanup_dead("watch", NULL, NULL, "watch");   /* filters of a watch that was killed */
		ret = run(w, pids, npids);
	}
	attach_release(&w->att, open_ns_cb, w);
	monitor_free(&w->mon);
	metrics_close(&w->metrics);
	pcap_close(&w->pcap);
	journeys_free(&w->journeys);
	free(w->names);
	for (int i = 0; i < w->ntargets; i++)
		if (w->target_pidfd[i] >= 0)
			close(w->target_pidfd[i]);
	ring_buffer__free(w->rb);
	watch_bpf__destroy(w->skel);
	if (w->ready_written)   /* never a file that was there before us */
		unlink(w->o.ready_file);
	plan_free(&w->plan);
	live_free(&w->lt);
	netns_list_free(&w->nl);
	stats_free(&w->st);
	free(w);
	return ret;
}
