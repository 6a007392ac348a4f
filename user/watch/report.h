/* What watch shows: the plan, stories (lines or JSON), the live terminal
 * view, and the summary. It reads the model through a const view; its
 * only state is its own: the stream and the last stories for the live
 * view. Numbers come from stats, never from stories. */
#ifndef NST_REPORT_H
#define NST_REPORT_H

#include <stdio.h>
#include "model.h"
#include "print.h"
#include "why.h"

#define REPORT_STORIES 64

struct report {
	FILE *out;
	int rows, cols;            /* the terminal's, 0 when unknown */
	char stories[REPORT_STORIES][200];
	int nstories;              /* total ever; the ring holds the last 64 */
};

/* The words of one event, named once, for its story and its pcap comment. */
struct event_words {
	char clk[16];              /* "12:34:56.789", local time */
	char ns[NAME_LEN];
	char dev[32];              /* "" without a device */
	char place[96];            /* "blue:veth-blue", or "blue" */
	char flow[160];
	struct drop_words drop;    /* NST_EV_DROP only */
	const struct why_rule *rule;   /* the nftables rule that dropped it, or NULL */
};
void event_words(const struct watch_view *v, const struct nst_event *e, struct event_words *w);

/* An ICMP story about the answer a path probe asked for (traceroute's
 * TTL exceeded): told only with --benign, like healthy drops. */
int report_icmp_benign(const struct nst_event *e);
/* One story. 0 when it was a benign drop or probe answer kept quiet (the caller counts
 * it, see stats_note_untold), else 1. */
int report_event(struct report *r, const struct watch_view *v, const struct nst_event *e,
		 const struct event_words *w);
/* What a packet in --pcap is: "drop NO_SOCKET at __udp4_lib_rcv in blue
 * on veth-blue". */
void report_comment(const struct nst_event *e, const struct event_words *w, char *buf,
		    size_t len);
void report_plan(struct report *r, const struct watch_view *v);
/* Something about the watch itself ("pid 1234 exited"). */
void report_note(struct report *r, const struct watch_view *v, const char *text);
/* A link changed while watching: EVENT is new, deleted, up, down or mtu. */
void report_link(struct report *r, const struct watch_view *v, uint64_t netns, const char *dev,
		 const char *event, unsigned int old_mtu, unsigned int mtu);
/* A link moved to namespace TO_NETNS (and maybe renamed TO_DEV there). */
void report_link_moved(struct report *r, const struct watch_view *v, uint64_t netns,
		       const char *dev, uint64_t to_netns, const char *to_dev);

/* summary.c */
void report_summary(struct report *r, const struct watch_view *v);

/* live.c: the terminal view, redrawn at each refresh. */
void report_live(struct report *r, const struct watch_view *v);
void report_tty_begin(struct report *r);
void report_tty_end(struct report *r);

/* Shared by the records of report.c, summary.c and journey.c. */
/* JSON: "netns", "netns_inode", "dev", "ifindex"; text: FMT with
 * "blue:veth-blue". */
void print_container(struct printer *p, const struct container *c);
void print_place(struct printer *p, const struct watch_view *v, uint64_t netns,
		 uint32_t ifindex, const char *fmt);
/* JSON: "proto", "src", "dst" and ports or ICMP type; text: FMT with the
 * flow in words. */
void print_flow(struct printer *p, const struct nst_flow *f, const char *fmt);
/* A story line: kept for the live view, printed at once with --lines. */
void report_tell(struct report *r, const struct watch_view *v, const char *line);

#endif
