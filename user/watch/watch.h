/* nstrace watch: the state shared by its modules (watch.c runs the loop,
 * stats.c reads the exact counters, report.c draws them). */
#ifndef NST_WATCH_H
#define NST_WATCH_H

#include <stdint.h>
#include <stdio.h>
#include "attach.h"
#include "discover.h"
#include "filter.h"
#include "journey.h"
#include "metrics.h"
#include "monitor.h"
#include "netns.h"
#include "pcap.h"
#include "nstrace_types.h"
#include "plan.h"

#define WATCH_MAX_TARGETS 64
#define WATCH_STORIES 64

enum report_mode { REPORT_TTY, REPORT_LINES, REPORT_JSON };

struct watch_opts {
	const char *targets[WATCH_MAX_TARGETS];
	int ntargets;
	enum plan_scope scope;
	enum report_mode mode;
	int quiet;
	int show_benign;           /* tell healthy traffic's drops as stories */
	int no_latency;            /* --no-latency: no stamps, no histograms */
	int hist;                  /* --hist: draw the histograms */
	int journey;               /* --journey (nstrace trace): every wanted packet's path */
	int clsact;                /* --clsact: legacy tc filters, not tcx links */
	const char *btf;           /* --btf PATH: the kernel's types, not /sys/kernel/btf */
	double duration;           /* seconds, 0: until interrupted */
	const char *ready_file;
	unsigned int sample_ms;    /* at most one story per key per this */
	const char *metrics;       /* --metrics ADDR:PORT, NULL: off */
	const char *pcap;          /* --pcap FILE, NULL: off */
	int pcap_all;              /* also sampled packets seen on ports */
	struct filter filter;
};

struct drop_row {
	struct nst_dkey k;
	uint64_t packets, segs, bytes;
	uint64_t prev_packets;     /* at the previous refresh, for the rate */
	double rate;
	int has_flow;
	struct nst_flow flow;      /* from the latest story */
};

struct port_row {
	struct nst_pkey k;         /* dir is ignored: rx and tx side by side */
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
};

struct reset_row {
	struct nst_rkey k;
	uint64_t count;
	int has_flow;
	struct nst_flow flow;
};

struct icmp_row {
	struct nst_ikey k;
	uint64_t count;
};

struct gen_row {
	struct nst_gkey k;
	uint64_t count;
	int has_flow;
	struct nst_flow flow;      /* the offending packet, from a story */
};

/* A latency histogram: a hop (port to port) or a namespace pair. */
struct lat_row {
	struct nst_hkey hop;       /* hops */
	struct nst_xkey pair;      /* pairs */
	struct nst_hist h;         /* summed over CPUs */
};

struct finding {
	char kind[24];             /* mtu_mismatch, frag_needed, pmtu_blackhole, ... */
	char text[480];
	uint64_t netns;            /* where to look first */
	uint64_t count;
};

struct stats {
	struct drop_row *drops;
	int ndrops;
	struct port_row *ports;
	int nports;
	struct reset_row *resets;
	int nresets;
	struct icmp_row *icmp;
	int nicmp;
	struct gen_row *gen;
	int ngen;
	struct lat_row *hops;
	int nhops;
	struct lat_row *pairs;
	int npairs;
	uint64_t rb_full, map_full;
	uint64_t lat_mask;         /* under load 1 in lat_mask + 1 packets was timed */
	uint64_t stories;          /* events read from the ring buffer */
	uint64_t untold;           /* of those, benign drops not printed */
};

struct watch {
	struct watch_opts o;
	struct watch_bpf *skel;
	struct ring_buffer *rb;
	struct netns_list nl;
	struct live_topo lt;
	struct plan plan;
	struct attach_set att;
	struct stats st;
	uint64_t targets[WATCH_MAX_TARGETS];
	int ntargets;
	/* How each target can vanish: its ip netns name (deleted), its
	 * process (pidfd, readable on exit). */
	char target_name[WATCH_MAX_TARGETS][NETNS_NAME_MAX];
	int target_pid[WATCH_MAX_TARGETS];
	int target_pidfd[WATCH_MAX_TARGETS];
	int target_gone[WATCH_MAX_TARGETS];
	int ready_written;         /* the ready file is ours to remove */
	double start;              /* CLOCK_MONOTONIC seconds */
	double mono_to_real;       /* add to monotonic seconds for wall time */
	double last_refresh;
	uint64_t last_stories;
	double story_rate;
	char stories[WATCH_STORIES][200];
	int nstories;              /* total ever; the ring holds the last 64 */
	int rows, cols;
	FILE *out;
	struct monitor mon;
	struct metrics metrics;
	struct pcap pcap;
	struct journeys journeys;
	int efd;                   /* the event loop's epoll */
	int replan;                /* links changed: discover and re-plan */
	struct name_cache {
		uint64_t netns;
		int ifindex;
		char name[16];
	} *names;                  /* every port name ever seen, for deleted ones */
	int nnames;
};

/* Labels: "red", "pid 1234 (nginx)", "netns 4026532177"; "veth-red". */
const char *watch_ns_label(const struct watch *w, uint64_t inode);
const char *watch_dev_name(const struct watch *w, uint64_t inode, int ifindex,
			   char *buf, size_t len);
double watch_now(void);

/* One event from the ring buffer: counted, told, written, journeyed. */
int watch_handle_event(void *ctx, void *data, size_t size);

/* watch.c, for follow.c */
int watch_fill_maps(struct watch *w);
int watch_attach_ports(struct watch *w);

/* follow.c: links changing, targets vanishing. Epoll tags of the loop: */
#define TAG_SIGNAL 0
#define TAG_TIMER 1
#define TAG_MONITOR 2
#define TAG_PIDFD (1 << 20)
#define TAG_METRICS (1 << 21)      /* the listener; + 1 + slot: its clients */
int follow_target_gone(struct watch *w, int i, const char *why);
int follow_check_targets(struct watch *w);
void follow_check_namespaces(struct watch *w);
void follow_remember_names(struct watch *w);
void follow_monitor_plan(struct watch *w);
void follow_on_link(void *ctx, uint64_t netns, const struct link_change *c);
void follow_replan(struct watch *w);

/* stats.c */
int stats_read(struct watch *w);
void stats_note_event(struct watch *w, const struct nst_event *e);
void stats_free(struct stats *st);

/* findings.c: what the numbers mean, in plain words. */
int findings_build(struct watch *w, struct finding **out);

/* report.c */
void report_plan(struct watch *w);
void report_event(struct watch *w, const struct nst_event *e);
void report_live(struct watch *w);
void report_summary(struct watch *w);
/* Something about the watch itself ("pid 1234 exited"). */
void report_note(struct watch *w, const char *text);
/* A link changed while watching: EVENT is new, deleted, up, down or mtu. */
void report_link(struct watch *w, uint64_t netns, const char *dev, const char *event,
		 unsigned int old_mtu, unsigned int mtu);
void report_tty_begin(struct watch *w);
void report_tty_end(struct watch *w);
/* "blue:veth-blue", or "blue" when IFINDEX is 0 (no device). */
const char *report_where(const struct watch *w, uint32_t netns, uint32_t ifindex, char *buf,
			 size_t len);
/* "tcp 10.0.0.1:43210 -> 10.0.0.2:81" */
void report_flow_str(const struct nst_flow *f, char *buf, size_t len);
const char *report_location(uint64_t location);
/* What a packet in --pcap is: "drop NO_SOCKET at __udp4_lib_rcv in blue
 * on veth-blue". */
void report_event_comment(struct watch *w, const struct nst_event *e, char *buf, size_t len);
/* A drop row's reason name, freeing function and hint (NULL if none);
 * *BENIGN tells whether healthy traffic makes such drops. */
const char *report_drop_words(const struct drop_row *r, const char **reason, const char **loc,
			      int *benign);

#endif
