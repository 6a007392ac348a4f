/* nstrace watch: attach to the ports and tracepoints of the watched
 * namespaces and report drops and resets, live, until told to stop.
 * This file wires them: options -> session -> event loop -> report. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include "caps.h"
#include "cleanup.h"
#include "cmd.h"
#include "exitcode.h"
#include "follow.h"
#include "log.h"
#include "options.h"
#include "tags.h"
#include "watch.h"

#define TICK_MS 100
#define LOADING_MS 20
/* A packet quiet this long has arrived or died: its journey is told. */
#define JOURNEY_IDLE_NS 300000000ULL

/* Who sent the stop we obeyed: a program (timeout(1) signals us and then
 * its process group) may send it twice; a terminal's ^C comes from no
 * process (0), once a keypress. */
static pid_t stop_sender = -1;

int watch_handle_event(void *ctx, void *data, size_t size)
{
	struct watch *w = ctx;
	const struct nst_event *e = data;
	struct event_words words;
	int rule = -1;

	if (size >= sizeof(struct nst_lat_event) && e->type == NST_EV_LATENCY) {
		struct stat_maps m;

		session_stat_maps(&w->s, &m);
		stats_lat_sample(&w->st, &m, data);
		return 0;
	}
	if (size < sizeof(struct nst_event))
		return 0;
	if (e->type == NST_EV_HOP) {
		journey_hop(&w->journeys, &w->rep, &w->view, e);
		return 0;
	}
	event_words(&w->view, e, &words);
	if (e->type == NST_EV_DROP)
		rule = why_drop(&w->why, &w->rep, &w->view, e);
	words.rule = why_rule_at(&w->why, rule);
	if (w->pcap.f && e->data_kind != NST_DATA_NONE) {
		char comment[300];

		report_comment(e, &words, comment, sizeof(comment));
		pcap_write(&w->pcap, e, words.place, comment);
	}
	if (e->type == NST_EV_SEEN)
		return 0;
	stats_note_event(&w->st, e);
	if (w->o.journey && e->type == NST_EV_DROP && journey_drop(&w->journeys, e, rule))
		return 0;
	if (!report_event(&w->rep, &w->view, e, &words))
		stats_note_untold(&w->st);
	return 0;
}

/* The outputs' window on the model: pointers into the watch, set once. */
static void view_init(struct watch *w)
{
	struct watch_view *v = &w->view;
	struct timespec mono, real;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	v->o = &w->o;
	v->names = &w->s.names;
	v->lt = &w->s.lt;
	v->plan = &w->s.plan;
	v->st = &w->st;
	v->targets = w->s.targets;
	v->ntargets = &w->s.ntargets;
	v->att = &w->s.att;
	v->hooks = &w->s.att.n;
	v->why = &w->why;
	v->mono_to_real = (real.tv_sec - mono.tv_sec) + (real.tv_nsec - mono.tv_nsec) / 1e9;
}

static void read_counters(struct watch *w)
{
	struct stat_maps m;

	session_stat_maps(&w->s, &m);
	stats_read(&w->st, &m, &w->s.plan, !w->o.no_latency, &w->s.names);
}

static void window_size(struct watch *w)
{
	struct winsize ws;

	if (!ioctl(fileno(w->rep.out), TIOCGWINSZ, &ws) && ws.ws_col) {
		w->rep.rows = ws.ws_row;
		w->rep.cols = ws.ws_col;
	}
}

/* Stories are submitted without wakeups: drained every tick, after the
 * traces (sent before the packets they are about were freed). */
static void drain(struct watch *w)
{
	why_read_all(&w->why);
	ring_buffer__consume(w->s.rb);
	why_enable_pending(&w->why, &w->rep, &w->view);
}

/* Every tick: drain the stories, and once a second refresh; 1 when done. */
static int tick(struct watch *w)
{
	int done = 0;

	drain(w);
	/* A packet's stories are drained together: what waited a tick is whole. */
	if (w->pcap.f)
		pcap_flush(&w->pcap, (uint64_t)((watch_now() - 2.0 * TICK_MS / 1000) * 1e9));
	if (w->o.journey)
		journey_flush(&w->journeys, &w->rep, &w->view, (uint64_t)(watch_now() * 1e9),
			      JOURNEY_IDLE_NS);
	if (watch_now() - w->st.last_refresh >= 1.0) {
		done |= follow_check_targets(w);
		follow_check_namespaces(w);
		follow_flush_links(w, 0);
		read_counters(w);
		if (w->o.mode == REPORT_TTY)
			report_live(&w->rep, &w->view);
	}
	return done || (w->o.duration && watch_now() - w->view.start >= w->o.duration);
}

struct loop_fds {
	int efd, sfd, tfd;
};

/* One wake-up of the loop; 1 when the watch is over. */
static int dispatch(struct watch *w, const struct loop_fds *fds, uint64_t tag)
{
	uint32_t i = tag_index(tag);
	struct signalfd_siginfo si;
	uint64_t ticks;
	char why[64];

	switch (tag_of(tag)) {
	case TAG_SIGNAL:
		if (read(fds->sfd, &si, sizeof(si)) != sizeof(si))
			return 0;
		if (si.ssi_signo != SIGWINCH) {
			stop_sender = (pid_t)si.ssi_pid;
			return 1;
		}
		window_size(w);
		return 0;
	case TAG_TIMER:
		metrics_expire(&w->metrics, fds->efd);
		return read(fds->tfd, &ticks, sizeof(ticks)) < 0 ? 0 : tick(w);
	case TAG_MONITOR:
		monitor_read(&w->s.mon, (int)i, follow_on_link, w);
		return 0;
	case TAG_PIDFD:
		epoll_ctl(fds->efd, EPOLL_CTL_DEL, w->s.target[i].pidfd, NULL);
		snprintf(why, sizeof(why), "pid %d exited", w->s.target[i].pid);
		return follow_target_gone(w, (int)i, why);
	case TAG_METRICS:
		metrics_accept(&w->metrics, fds->efd, tag_make(TAG_METRICS_CLIENT, 0));
		return 0;
	case TAG_METRICS_CLIENT:
		metrics_client(&w->metrics, (int)i, fds->efd, tag, &w->view);
		return 0;
	case TAG_NFTRACE:
		why_read(&w->why, (int)i);
		return 0;
	case TAG_TC_LOADED:   /* attach_more goes on from here */
		epoll_ctl(fds->efd, EPOLL_CTL_DEL, w->s.tc_efd, NULL);
		return 0;
	}
	return 0;
}

static void watch_fd(int efd, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	epoll_ctl(efd, EPOLL_CTL_ADD, fd, &ev);
}

/* The signals the event loop reads from a signalfd. Blocked from the
 * start of cmd_watch: a SIGINT that comes while loading and attaching
 * waits there (and is not lost, even where a shell started us with
 * SIGINT ignored). */
/* SIGINT, SIGTERM and SIGHUP: each means "stop". */
static void stop_mask(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
}

static void stop_signals(sigset_t *mask)
{
	stop_mask(mask);
	sigaddset(mask, SIGWINCH);
	sigprocmask(SIG_BLOCK, mask, NULL);
}

/* Consume the stop signal that ended attaching (and note its sender). */
static void take_stop_signal(void)
{
	struct timespec none = { 0, 0 };
	siginfo_t info;
	sigset_t mask;

	stop_mask(&mask);
	while (sigtimedwait(&mask, &info, &none) > 0)
		stop_sender = info.si_pid;
}

static void on_second_stop(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	if (info->si_pid && info->si_pid == stop_sender)
		return;   /* the same stop again */
	_exit(128 + sig);
}

/* The summary is out: a second SIGINT (or SIGTERM) during teardown ends
 * the process at once. tcx links were handed off already; clsact filters
 * keep their lease for the next watch or 'nstrace cleanup'. */
static void teardown_signals(void)
{
	struct sigaction sa = { .sa_sigaction = on_second_stop, .sa_flags = SA_SIGINFO };
	sigset_t mask;

	stop_mask(&mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
}

/* Until a stop signal, the duration, or no target left. 0 or -errno. */
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

/* A batch of a large host's ports (50 ms), between events; the ready file
 * once the last is attached. */
static void attach_more(struct watch *w)
{
	/* The first batch loads the tc programs (0.2-0.3 s): what came
	 * before is told first. Later batches leave the stories to the tick
	 * (draining before each one let a storm of stories starve attaching). */
	if (w->s.tc_fd[NST_INGRESS] < 0)
		drain(w);
	if (session_attach_some(&w->s, 0.05))
		pr_warn("some ports could not be attached: they are not watched\n");
	if (!w->s.attach_pending && w->o.ready_file && !w->ready_written &&
	    !write_ready(w->o.ready_file))
		w->ready_written = 1;
}

static int loop(struct watch *w, int efd)
{
	struct itimerspec its = { .it_interval = { 0, TICK_MS * 1000000L },
				  .it_value = { 0, TICK_MS * 1000000L } };
	struct loop_fds fds = { .efd = efd };
	struct epoll_event got[16];
	int ret = 0, done = 0;
	sigset_t mask;

	stop_signals(&mask);
	fds.sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	fds.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (fds.sfd < 0 || fds.tfd < 0 || timerfd_settime(fds.tfd, 0, &its, NULL)) {
		ret = -errno;
		goto out;
	}
	watch_fd(efd, fds.sfd, tag_make(TAG_SIGNAL, 0));
	watch_fd(efd, fds.tfd, tag_make(TAG_TIMER, 0));
	if (w->metrics.fd >= 0)
		watch_fd(efd, w->metrics.fd, tag_make(TAG_METRICS, 0));
	if (session_tc_loading(&w->s))
		watch_fd(efd, w->s.tc_efd, tag_make(TAG_TC_LOADED, 0));
	for (int i = 0; i < w->s.ntargets; i++)
		if (w->s.target[i].pidfd >= 0)
			watch_fd(efd, w->s.target[i].pidfd, tag_make(TAG_PIDFD, (uint32_t)i));
	while (!done) {
		/* Ports still to attach: between batches, only what is ready.
		 * While the tc programs load in their thread, the first stories
		 * are told every 20 ms, not every tick. */
		int loading = session_tc_loading(&w->s);
		int busy = w->s.attach_pending && !loading;
		int n = epoll_wait(efd, got, 16, busy ? 0 : loading ? LOADING_MS : -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		for (int i = 0; i < n; i++)
			done |= dispatch(w, &fds, got[i].data.u64);
		if (loading && !done)
			drain(w);
		if (w->replan)
			follow_replan(w);
		if (w->s.attach_pending && !done && !session_tc_loading(&w->s))
			attach_more(w);
	}
out:
	if (fds.sfd >= 0)
		close(fds.sfd);
	if (fds.tfd >= 0)
		close(fds.tfd);
	return ret;
}


/* --pcap and --metrics, before anything is loaded: a bad path or address
 * is bad input. An exit code. */
static int outputs_open(struct watch *w)
{
	char err[256];
	int ret;

	if (w->o.pcap && (ret = pcap_open(&w->pcap, w->o.pcap, w->view.mono_to_real))) {
		fprintf(stderr, "nstrace watch: cannot create %s: %s\n", w->o.pcap, strerror(-ret));
		return EXIT_USAGE;
	}
	if (w->o.pcap)
		w->view.pcap_packets = &w->pcap.packets;
	if (w->o.metrics && metrics_open(&w->metrics, w->o.metrics, err, sizeof(err))) {
		fprintf(stderr, "nstrace watch: %s\n", err);
		return EXIT_USAGE;
	}
	if (w->o.metrics)
		w->view.metrics_url = w->metrics.url;
	return 0;
}

/* Attached: show the plan and tell whoever waits. An exit code. */
static int announce(struct watch *w)
{
	int ret = 0;

	w->view.start = w->st.last_refresh = watch_now();
	if (w->o.mode == REPORT_TTY) {
		window_size(w);
		report_tty_begin(&w->rep);
	} else {
		report_plan(&w->rep, &w->view);
	}
	/* --why's tables are in before we say ready: a kill -9 right after
	 * finds them leased. Ready: every port attached (a large host's last
	 * ones in the loop). */
	pr_debug("%.1f ms: watching (plan told)\n", (watch_now() - w->s.t0) * 1e3);
	why_start(&w->why, &w->rep, &w->view);
	if (w->o.ready_file && !w->s.attach_pending && !(ret = write_ready(w->o.ready_file)))
		w->ready_written = 1;
	if (!ret)
		return 0;
	if (w->o.mode == REPORT_TTY)
		report_tty_end(&w->rep);
	fprintf(stderr, "nstrace watch: cannot create %s: %s\n", w->o.ready_file, strerror(-ret));
	return EXIT_USAGE;
}

/* Stopped: the last stories, the last counts, the summary. */
static int finish(struct watch *w, int ret)
{
	pr_debug("%.1f ms: stopping\n", (watch_now() - w->s.t0) * 1e3);
	why_read_all(&w->why);
	ring_buffer__consume(w->s.rb);
	journey_flush(&w->journeys, &w->rep, &w->view, 0, 0);
	follow_flush_links(w, 1);
	if (w->pcap.f)
		pcap_flush(&w->pcap, UINT64_MAX);
	read_counters(w);
	if (w->o.mode == REPORT_TTY) {
		report_tty_end(&w->rep);
		report_plan(&w->rep, &w->view);
	}
	report_summary(&w->rep, &w->view);
	fflush(w->rep.out);   /* out before teardown, which a supervisor may cut short */
	pr_debug("%.1f ms: summary told\n", (watch_now() - w->s.t0) * 1e3);
	if (w->pcap.f && pcap_close(&w->pcap)) {
		fprintf(stderr, "nstrace watch: writing %s failed: %s\n", w->o.pcap, strerror(EIO));
		ret = ret ? ret : -EIO;
	}
	if (ret)
		fprintf(stderr, "nstrace watch: event loop failed: %s\n", strerror(-ret));
	return ret ? EXIT_RUNTIME : EXIT_OK;
}

/* Set up in order, undo in reverse, one way out. */
static int run(struct watch *w)
{
	int efd = epoll_create1(EPOLL_CLOEXEC), ret;

	if (efd < 0)
		return EXIT_RUNTIME;
	session_init(&w->s, &w->o, efd);
	w->s.attach_budget = 0.2;   /* then the rest from the loop: stories meanwhile */
	why_init(&w->why, w->o.why, efd);
	view_init(w);
	if ((ret = session_resolve(&w->s)))
		goto out_session;
	if ((ret = outputs_open(w)))
		goto out_outputs;
	if ((ret = session_start(&w->s, watch_handle_event, w)))
		goto out_outputs;
	if (w->s.stopped) {
		fprintf(stderr, "nstrace watch: stopped while attaching (%d of %d ports): "
			"nothing was watched\n", w->s.nattached, w->s.plan.nports);
		take_stop_signal();   /* obeyed: not a second one */
	} else if (!(ret = announce(w))) {
		ret = finish(w, loop(w, efd));
	}
	if (w->ready_written)   /* never a file that was there before us */
		unlink(w->o.ready_file);
	/* Before a second signal may end us: a process that dies holding tcx
	 * links waits for each one's release before it is gone. */
	attach_hand_off_links(&w->s.att);
	teardown_signals();
out_outputs:
	why_stop(&w->why);   /* our tables out of the namespaces, before we go */
	metrics_close(&w->metrics);
	pcap_close(&w->pcap);
	journeys_free(&w->journeys);
out_session:
	session_stop(&w->s);
	free(w->pending);
	free(w->told);
	stats_free(&w->st);
	close(efd);
	return ret;
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
	enum opts_result parsed;
	sigset_t stop;
	int ret;

	if (!w)
		return EXIT_RUNTIME;
	stop_signals(&stop);
	w->rep.out = stdout;
	w->o.sample_ms = 1000;
	w->metrics.fd = w->metrics.spare = -1;
	w->o.mode = isatty(STDOUT_FILENO) ? REPORT_TTY : REPORT_LINES;
	parsed = options_parse(argc, argv, &w->o);
	if (parsed != OPTS_RUN) {
		free(w);
		return parsed == OPTS_HELP_SHOWN ? EXIT_OK : EXIT_USAGE;
	}
	/* Journeys are blocks of lines, not a screen to redraw. */
	if (w->o.journey && w->o.mode == REPORT_TTY)
		w->o.mode = REPORT_LINES;
	/* Programs read --lines and --json live: each line leaves whole when
	 * it ends (one write, up to the buffer), not when 4 KiB have piled up. */
	if (w->o.mode != REPORT_TTY)
		setvbuf(stdout, NULL, _IOLBF, 1 << 20);
	if (w->o.journey && !w->o.filter.proto && !w->o.filter.port && !w->o.filter.net.family)
		pr_warn("tracing every packet on these ports: narrow it with --host, --port "
			"or --proto\n");
	if (!(ret = need_caps("watch", NST_CAPS_WATCH))) {
		cleanup_dead("watch", NULL, NULL, "watch");   /* filters of a watch that was killed */
		cleanup_dead("nftrace", NULL, NULL, "watch");   /* and its tracing tables */
		ret = run(w);
	}
	free(w);
	return ret;
}
