/* watch's model: what was asked (options), what is counted (stats), and
 * the read-only view of both that every output is handed. Outputs
 * (report, latency, findings, metrics) read a const struct watch_view and
 * never change what it points to; counting and ordering happen in stats. */
#ifndef NST_MODEL_H
#define NST_MODEL_H

#include <stdint.h>
#include "attach.h"
#include "discover.h"
#include "filter.h"
#include "names.h"
#include "nstrace_types.h"
#include "plan.h"

#define WATCH_MAX_TARGETS 64

struct why;

enum report_mode { REPORT_TTY, REPORT_LINES, REPORT_JSON };

struct watch_opts {
	const char *targets[WATCH_MAX_TARGETS];
	int ntargets;
	int pids[WATCH_MAX_TARGETS];   /* --pid */
	int npids;
	enum plan_scope scope;
	enum report_mode mode;
	int quiet;
	int show_benign;           /* tell healthy traffic's drops as stories */
	int no_latency;            /* --no-latency: no stamps, no histograms */
	int hist;                  /* --hist: draw the histograms */
	int journey;               /* --journey (nstrace trace): every wanted packet's path */
	int clsact;                /* --clsact: clsact filters everywhere */
	int tcx;                   /* --tcx: tcx links everywhere */
	int why;                   /* --why: name the nftables rules (why.h) */
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
	struct nst_drop_key k;
	uint64_t packets, segs, bytes;
	uint64_t base[3];          /* packets, segs, bytes of keys deleted (namespace gone, quiet) */
	double moved;              /* watch_now() when its packets last changed */
	uint64_t prev_packets;     /* at the previous refresh, for the rate */
	double rate;
	int has_flow;
	struct nst_flow flow;      /* from the latest story */
	struct drop_words words;   /* named once, when the row or its flow changes */
};

struct port_row {
	struct nst_port_key k;         /* dir is ignored: rx and tx side by side */
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t base[4];          /* the same, of keys deleted (port gone) */
	unsigned int planned;      /* the read that last found it planned */
	int slot_quiet;            /* gone, and its slot did not move since the last read */
	uint64_t slot_packets;     /* its slot's packets at the last read */
	uint64_t drops;            /* the drop rows charged to this port, summed */
};

/* What a row keeps once its key is deleted from the map (its port or
 * namespace gone, or quiet for a while): the counts the deleted keys
 * held, and since when the row's count has not moved. */
struct folded {
	uint64_t base;             /* counts of deleted keys */
	uint64_t last;             /* the count at the last read */
	double moved;              /* watch_now() when the count last changed */
};

struct reset_row {
	struct nst_reset_key k;
	uint64_t count;
	struct folded f;
	int has_flow;
	struct nst_flow flow;
};

struct icmp_row {
	struct nst_icmp_key k;
	uint64_t count;
	struct folded f;
};

struct gen_row {
	struct nst_icmp_gen_key k;
	uint64_t count;
	struct folded f;
	int has_flow;
	struct nst_flow flow;      /* the offending packet, from a story */
};

struct lat_pack;

/* A latency histogram: a hop (port to port) or a namespace pair, kept
 * packed (its non-empty slots: a few hundred bytes, not 2 KB, for each of
 * the many hops of a busy or churning host). Read it through stats_hist(). */
struct lat_row {
	struct nst_hop_key hop;       /* hops */
	struct nst_pair_key pair;      /* pairs */
	uint64_t count;            /* packets timed, all told */
	struct lat_pack *all;      /* summed over CPUs, apart included; NULL: key not in the map */
	struct lat_pack *apart;    /* held apart from the map: its deleted keys and the samples
				    * the kernel sent (nst_lat_event); NULL: none */
};

/* A namespace that is gone (IFINDEX 0), or a gone port of a namespace
 * that lives (a container's host end): its rows are kept in detail until
 * more than older_keep() places of its kind went after it (older.h). */
struct gone_place {
	uint32_t netns, ifindex;
};

/* The counter maps, for saying which one is full (names as in bpf/). */
enum stat_map { SM_DROPS, SM_PORTS, SM_RESETS, SM_ICMP_WIRE, SM_ICMP_GEN, SM_HOP_HIST,
		SM_PAIR_HIST, STAT_MAPS };
extern const char *const stat_map_names[STAT_MAPS];
extern const char *const stat_map_what[STAT_MAPS];

/* The exact numbers, and the orders the tables show them in. Rows keep
 * the order they were first seen in (JSON and metrics list them so);
 * the *_order arrays index them by what needs attention first. */
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
	int *drop_order;           /* real drops before benign ones, then by count */
	int *hop_order, *pair_order;   /* busiest first */
	uint64_t rb_full, map_full;
	uint64_t lat_lost;         /* latency samples lost: the ring buffer full, or lat_lost_user */
	uint64_t lat_lost_user;    /* ... sent apart but with no memory here for them */
	uint64_t lat_apart;        /* latency samples sent apart (nst_lat_event), counted in rows */
	uint32_t map_used[STAT_MAPS], map_max[STAT_MAPS];   /* entries in each, and room */
	uint64_t folded;           /* keys deleted from the maps, their counts kept in rows */
	struct gone_place *gone;   /* gone places told in detail, oldest first (older.h) */
	int ngone;
	uint64_t older_ns, older_ports;   /* gone places folded into NS_OLDER_GONE rows */
	struct held_place {
		uint64_t place;    /* netns << 32 | ifindex (0: the namespace) */
		int ttl;           /* reads left once no drop slot holds it */
	} *held;                   /* folded places a drop slot still counts for, sorted */
	int nheld;
	/* The array fast paths (NST_PORT_SLOT, NST_DROP_SLOT): slots (a drop
	 * slot counts once per CPU holding a key) in use, and of those the
	 * ones held by a port or namespace that is gone. */
	uint32_t port_slots, port_slots_gone, drop_slots, drop_slots_gone;
	uint64_t lat_mask;         /* under load 1 in lat_mask + 1 packets was timed */
	uint64_t stories;          /* events read from the ring buffer */
	uint64_t untold;           /* of those, benign drops not printed */
	double last_refresh;       /* watch_now() of the last read */
	uint64_t last_stories;
	double story_rate;
};

/* What the outputs may read. Filled once when the watch starts; what it
 * points to is kept current by the session and stats. */
struct watch_view {
	const struct watch_opts *o;
	const struct names *names;
	const struct live_topo *lt;
	const struct plan *plan;
	const struct stats *st;
	const uint64_t *targets;
	const int *ntargets;
	const struct attach_set *att;   /* what the ports got: tcx, clsact */
	const int *hooks;          /* port hooks attached */
	const char *metrics_url;   /* NULL: no --metrics */
	const uint64_t *pcap_packets;   /* NULL: no --pcap */
	const struct why *why;     /* the rules behind NETFILTER_DROPs */
	double start;              /* watch_now() when attached */
	double mono_to_real;       /* add to monotonic seconds for wall time */
};

/* Latency row R's histogram, its deleted keys' part included (stats.c).
 * Valid until the next call: a gone row's is unpacked into one buffer. */
const struct nst_hist *stats_hist(const struct lat_row *r);

/* CLOCK_MONOTONIC seconds. */
double watch_now(void);

#endif
