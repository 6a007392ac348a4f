/* A watch session: the BPF programs loaded, the plan of what to watch,
 * and everything attached for it. The same "plan and attach" runs at the
 * start and at every re-plan; session_stop undoes session_start. */
#ifndef NST_SESSION_H
#define NST_SESSION_H

#include <pthread.h>
#include <stdint.h>
#include <bpf/libbpf.h>
#include "attach.h"
#include "discover.h"
#include "model.h"
#include "monitor.h"
#include "names.h"
#include "netns.h"
#include "plan.h"
#include "stats.h"

struct watch_bpf;

/* A namespace asked for, and how it can vanish: its ip netns name
 * (deleted) or its process (a pidfd, readable on exit). */
struct target {
	char name[NETNS_NAME_MAX];
	const char *container;     /* named as a container: followed through restarts */
	int pid;
	int pidfd;                 /* -1: none */
	int gone;
};

struct session {
	const struct watch_opts *o;
	struct watch_bpf *skel;          /* the tracepoints' programs and every map */
	int tc_fd[2];                    /* the tc programs (per enum nst_dir), on skel's
					  * maps, loaded later; -1 until then */
	struct ring_buffer *rb;
	struct netns_list nl;
	struct live_topo lt;
	struct plan plan;
	struct attach_set att;
	struct monitor mon;
	struct names names;
	uint64_t targets[WATCH_MAX_TARGETS];   /* inodes */
	struct target target[WATCH_MAX_TARGETS];
	int ntargets;
	int efd;                   /* the event loop's epoll, for the monitors */
	double t0;                 /* watch_now() at session_init (for -vv's times) */
	int starting;              /* in session_start: a stop signal ends attaching */
	int stopped;               /* a stop signal came while attaching */
	int nattached;             /* ports attached when it came */
	int outgrown_told;         /* the host outgrew the maps: said once */
	double attach_budget;      /* seconds of attaching before the loop runs; 0: all */
	int attach_next;           /* the next planned port to attach */
	int attach_pending;        /* ports are left to attach (session_attach_some) */
	pthread_t tc_thread;       /* a large host's: loads the tc programs */
	int tc_started;            /* it was started and not joined yet */
	int tc_loading;            /* it still runs (atomic) */
	int tc_efd;                /* eventfd it signals when done, or -1 */
	int tc_thread_fd[2], tc_thread_ret;   /* what it loaded, its exit code */
};

/* Before anything else: the session's defaults. */
void session_init(struct session *s, const struct watch_opts *o, int efd);
/* Resolve the targets to inodes; an exit code. */
int session_resolve(struct session *s);
/* Load the programs, attach the tracepoints, plan and attach the ports;
 * events go to ON_EVENT(CTX). An exit code; on failure what was done is
 * undone. */
int session_start(struct session *s, ring_buffer_sample_fn on_event, void *ctx);
/* See the system afresh and attach to what is new. An exit code. */
int session_plan(struct session *s);
/* Attach more of the planned ports for up to BUDGET seconds (while
 * attach_pending). An exit code; on failure the rest is given up. */
int session_attach_some(struct session *s, double budget);
/* A thread still loads the tc programs (s->tc_efd says when it is done):
 * session_attach_some would wait for it. */
int session_tc_loading(const struct session *s);
/* Undo session_start, and free what session_resolve made. */
void session_stop(struct session *s);

void session_stat_maps(const struct session *s, struct stat_maps *m);

#endif
