/* The session: load, plan, attach, follow, and the undo of each, side by
 * side (xdpdump's capture_on_interface is the model). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <bpf/bpf.h>
#include "exitcode.h"
#include "kfeat.h"
#include "ksyms.h"
#include "log.h"
#include "mapsize.h"
#include "reasons.h"
#include "session.h"
#include "tags.h"
#include "watch.skel.h"

void session_init(struct session *s, const struct watch_opts *o, int efd)
{
	memset(s, 0, sizeof(*s));
	s->o = o;
	s->efd = efd;
	s->t0 = watch_now();
	s->tc_fd[0] = s->tc_fd[1] = -1;
	s->tc_efd = -1;
	s->att.mode = o->clsact ? ATTACH_CLSACT : o->tcx ? ATTACH_TCX : ATTACH_AUTO;
	s->names.nl = &s->nl;
	s->names.lt = &s->lt;
}

/* Every target to an inode; the fds are not kept (an open fd would keep
 * a deleted namespace alive). */
int session_resolve(struct session *s)
{
	const struct watch_opts *o = s->o;
	char err[384];

	for (int i = 0; i < o->ntargets + o->npids; i++) {
		int pid = i < o->ntargets ? 0 : o->pids[i - o->ntargets], fd;
		struct target *t = &s->target[s->ntargets];

		t->pidfd = -1;
		t->pid = pid;
		fd = pid ? netns_open_pidfd(pid, &t->pidfd, err, sizeof(err))
			 : netns_resolve(o->targets[i], err, sizeof(err));
		if (fd < 0) {
			fprintf(stderr, "nstrace watch: %s\n", err);
			return fd == -EPERM || fd == -EACCES ? EXIT_NOPRIV : EXIT_USAGE;
		}
		if (!pid && !strchr(o->targets[i], '/') && netns_exists(o->targets[i]))
			snprintf(t->name, sizeof(t->name), "%s", o->targets[i]);
		else if (!pid && (container_spec_explicit(o->targets[i]) ||
				  !netns_name_valid(o->targets[i], NULL, 0)))
			t->container = o->targets[i];
		s->targets[s->ntargets++] = netns_inode(fd);
		close(fd);
	}
	return 0;
}

/* The kernel's types: drop reason names, and what the programs need. */
static int read_btf(const struct watch_opts *o)
{
	int ret;

	reasons_set_btf(o->btf);
	ret = reasons_load();
	if (ret && o->btf) {
		fprintf(stderr, "nstrace watch: --btf %s: cannot read BTF from it: %s\n", o->btf,
			ret == -ENOENT ? "No such file or directory" : ret == -EPERM || ret == -EACCES ?
			strerror(-ret) : "not a BTF file");
		return EXIT_USAGE;
	}
	if (ret) {
		fprintf(stderr, "nstrace watch: this kernel exposes no BTF at /sys/kernel/btf/vmlinux "
			"(%s): give its types with --btf PATH\n", strerror(-ret));
		return EXIT_NOPRIV;
	}
	return 0;
}

/* The programs' settings, between open and load: ours, then the variants
 * this kernel can run (kfeat.c). */
static void configure(struct watch_bpf *s, const struct watch_opts *o)
{
	struct nst_config *c = &s->rodata->cfg;

	c->sample_ns = (unsigned long long)o->sample_ms * 1000000ULL;
	c->latency = !o->no_latency;
	c->journey = o->journey;
	c->capture = !o->pcap ? NST_CAP_OFF : o->pcap_all ? NST_CAP_ALL : NST_CAP_DROPS;
	c->f_proto = o->filter.proto;
	c->f_port = o->filter.port;
	if (o->filter.net.family) {
		c->f_family = o->filter.net.family;
		c->f_plen = o->filter.net.plen;
		memcpy(c->f_addr, o->filter.net.a, 16);
	}
	kfeat_configure(s, kfeat_get());
}

static void tc_join(struct session *s);

static void close_tc(struct session *s)
{
	tc_join(s);
	for (int dir = NST_INGRESS; dir <= NST_EGRESS; dir++) {
		if (s->tc_fd[dir] >= 0)
			close(s->tc_fd[dir]);
		s->tc_fd[dir] = -1;
	}
}

/* Only the programs of section "tc" (TC 1), or only the others (TC 0). */
static void autoload_only(struct watch_bpf *skel, int tc)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, skel->obj)
		if ((strcmp(bpf_program__section_name(p), "tc") == 0) != tc)
			bpf_program__set_autoload(p, false);
}

static struct watch_bpf *open_skel(const struct session *s)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = s->o->btf);
	struct watch_bpf *skel = watch_bpf__open_opts(&oo);

	if (!skel)
		fprintf(stderr, "nstrace watch: cannot open the BPF programs: %s\n", strerror(errno));
	else
		configure(skel, s->o);
	return skel;
}

/* The tracepoints' programs and the maps: drops are counted and told from
 * here on. The tc programs (two thirds of the verifier's time) load apart
 * (load_tc), so that a large host's first story does not wait for them. */
static int load(struct session *s)
{
	char degraded[512];
	int ret;

	if (!(s->skel = open_skel(s)))
		return EXIT_RUNTIME;
	autoload_only(s->skel, 0);
	if ((ret = mapsize_apply(s->skel, &s->plan, &s->lt))) {
		fprintf(stderr, "nstrace watch: cannot size the BPF maps: %s\n", strerror(-ret));
		return EXIT_RUNTIME;
	}
	ret = watch_bpf__load(s->skel);
	if (ret) {
		kfeat_refused(s->o->journey ? "trace" : "watch", ret);
		return EXIT_NOPRIV;
	}
	kfeat_degraded(kfeat_get(), degraded, sizeof(degraded));
	if (*degraded)
		pr_warn("degraded on this kernel: %s\n", degraded);
	return 0;
}

/* The tc programs, before the first port is attached: a second copy of
 * the object whose maps are the first one's (only .rodata is its own,
 * configured alike). Only the two programs are kept (their fds, in FD,
 * hold them and, through them, the maps): not a second set of map fds.
 * An exit code. */
static int load_tc_now(struct session *s, int fd[2])
{
	struct watch_bpf *tc;
	struct bpf_map *m;
	int ret = 0;

	if (!(tc = open_skel(s)))
		return EXIT_RUNTIME;
	autoload_only(tc, 1);
	bpf_object__for_each_map(m, tc->obj) {
		struct bpf_map *ours = bpf_object__find_map_by_name(s->skel->obj, bpf_map__name(m));

		if (bpf_map__is_internal(m) || !ours)
			continue;
		if ((ret = bpf_map__reuse_fd(m, bpf_map__fd(ours)))) {
			fprintf(stderr, "nstrace watch: cannot share map %s with the tc programs: %s\n",
				bpf_map__name(m), strerror(-ret));
			ret = EXIT_RUNTIME;
			goto out;
		}
	}
	if ((ret = watch_bpf__load(tc))) {
		kfeat_refused(s->o->journey ? "trace" : "watch", ret);
		ret = EXIT_NOPRIV;
		goto out;
	}
	for (int dir = NST_INGRESS; dir <= NST_EGRESS; dir++)
		fd[dir] = fcntl(kfeat_tc_prog_fd(tc, dir), F_DUPFD_CLOEXEC, 0);
	if (fd[NST_INGRESS] < 0 || fd[NST_EGRESS] < 0) {
		fprintf(stderr, "nstrace watch: cannot keep the tc programs: %s\n", strerror(errno));
		for (int dir = NST_INGRESS; dir <= NST_EGRESS; dir++)
			if (fd[dir] >= 0)
				close(fd[dir]);
		fd[NST_INGRESS] = fd[NST_EGRESS] = -1;
		ret = EXIT_RUNTIME;
	} else {
		pr_debug("%.1f ms: tc programs loaded\n", (watch_now() - s->t0) * 1e3);
	}
out:
	watch_bpf__destroy(tc);
	return ret;
}

/* A large host's tc programs load in a thread (0.2-0.9 s of the
 * verifier's) while the event loop tells the first stories; tc_efd is
 * readable when it is done. */
static void *tc_thread(void *arg)
{
	struct session *s = arg;
	uint64_t one = 1;

	s->tc_thread_ret = load_tc_now(s, s->tc_thread_fd);
	__atomic_store_n(&s->tc_loading, 0, __ATOMIC_RELEASE);
	if (write(s->tc_efd, &one, sizeof(one)) < 0)
		pr_debug("cannot wake the event loop: %s\n", strerror(errno));
	return NULL;
}

static void tc_load_begin(struct session *s)
{
	if (s->tc_fd[NST_INGRESS] >= 0 || s->tc_started)
		return;
	if (s->tc_efd < 0 && (s->tc_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		return;   /* then loaded in the loop, as a small host's */
	s->tc_thread_fd[0] = s->tc_thread_fd[1] = -1;
	s->tc_loading = 1;
	if (pthread_create(&s->tc_thread, NULL, tc_thread, s)) {
		s->tc_loading = 0;
		return;
	}
	s->tc_started = 1;
}

/* The thread's programs (waiting for it if it still runs): its exit
 * code, or -1 if none ran. */
static int tc_take(struct session *s)
{
	if (!s->tc_started)
		return -1;
	pthread_join(s->tc_thread, NULL);
	s->tc_started = 0;
	s->tc_fd[NST_INGRESS] = s->tc_thread_fd[NST_INGRESS];
	s->tc_fd[NST_EGRESS] = s->tc_thread_fd[NST_EGRESS];
	return s->tc_thread_ret;
}

static void tc_join(struct session *s)
{
	tc_take(s);
	if (s->tc_efd >= 0)
		close(s->tc_efd);
	s->tc_efd = -1;
}

int session_tc_loading(const struct session *s)
{
	return __atomic_load_n(&s->tc_loading, __ATOMIC_ACQUIRE);
}

/* The tc programs, loaded now or by the thread. An exit code. */
static int load_tc(struct session *s)
{
	int ret;

	if (s->tc_fd[NST_INGRESS] >= 0)
		return 0;
	if ((ret = tc_take(s)) >= 0)
		return ret;
	return load_tc_now(s, s->tc_fd);
}

/* For latency: every veth end's peer, and which namespace owns each
 * address (loopback's are everyone's, so not). */
static int fill_ns_latency(struct session *s, const struct live_ns *ns)
{
	int pfd = bpf_map__fd(s->skel->maps.peers), lfd = bpf_map__fd(s->skel->maps.local_addrs);
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
			struct nst_addr_key k = { .family = (uint32_t)ln->addrs[a].family };

			memcpy(k.addr, ln->addrs[a].a, 16);
			if (bpf_map_update_elem(lfd, &k, &owner, BPF_ANY))
				return -errno;
		}
	}
	return 0;
}

/* Namespaces outside the plan first: where two namespaces hold the same
 * address (two container networks, two test runs on one host), the
 * watched one is the owner, written last. */
static int fill_latency_maps(struct session *s)
{
	int ret;

	for (int planned = 0; planned < 2; planned++)
		for (int i = 0; i < s->lt.nns; i++)
			if (plan_has_ns(&s->plan, s->lt.ns[i].inode) == planned &&
			    (ret = fill_ns_latency(s, &s->lt.ns[i])))
				return ret;
	return 0;
}

/* netns_fast's slot for INO (see NST_NS_SLOT), after netns_mode has it:
 * INO's own when free, else shared (netns_mode decides). */
static int fill_ns_slot(int fd, uint32_t ino, uint32_t mode)
{
	uint32_t slot = NST_NS_SLOT(ino);
	uint64_t v = 0;

	if (bpf_map_lookup_elem(fd, &slot, &v))
		return -errno;
	if (v >> 32 == NST_NS_ASK)
		return 0;
	v = !v || (uint32_t)v == ino ? (uint64_t)mode << 32 | ino : (uint64_t)NST_NS_ASK << 32;
	return bpf_map_update_elem(fd, &slot, &v, BPF_ANY) ? -errno : 0;
}

/* addr_fast's slot for K (see NST_ADDR_SLOT), after watched_addrs has
 * it: K's own when free, else shared; an owned slot's key stays (only its
 * state changes), so a program reading it meanwhile never sees half a key. */
static int fill_addr_slot(int fd, const struct nst_addr_key *k)
{
	struct nst_addr_slot e;
	uint32_t w[4], slot;

	memcpy(w, k->addr, 16);
	slot = NST_ADDR_SLOT(k->family, w[0], w[1], w[2], w[3]);
	if (bpf_map_lookup_elem(fd, &slot, &e))
		return -errno;
	if (e.state == NST_ADDR_ASK || (e.state == NST_ADDR_OWN && !memcmp(&e.k, k, sizeof(*k))))
		return 0;
	if (e.state == NST_ADDR_OWN)
		e.state = NST_ADDR_ASK;
	else
		e = (struct nst_addr_slot){ .k = *k, .state = NST_ADDR_OWN };
	return bpf_map_update_elem(fd, &slot, &e, BPF_ANY) ? -errno : 0;
}

static int link_exists(uint64_t netns, int ifindex, void *ctx)
{
	const struct live_ns *ns = live_ns_by_inode(ctx, netns);

	return ns && live_link_by_index(ns, ifindex);
}

/* The namespaces to filter on and the targets' addresses. */
static int fill_maps(struct session *s)
{
	int nsfd = bpf_map__fd(s->skel->maps.netns_mode);
	int fastfd = bpf_map__fd(s->skel->maps.netns_fast);
	int afd = bpf_map__fd(s->skel->maps.watched_addrs);
	int addrfastfd = bpf_map__fd(s->skel->maps.addr_fast);
	unsigned char one = 1;
	int ret;

	for (int i = 0; i < s->plan.nns; i++) {
		uint32_t ino = (uint32_t)s->plan.ns[i].inode, mode = s->plan.ns[i].mode;

		if (bpf_map_update_elem(nsfd, &ino, &mode, BPF_ANY))
			return -errno;
		if ((ret = fill_ns_slot(fastfd, ino, mode)))
			return ret;
	}
	for (int i = 0; i < s->plan.naddrs; i++) {
		struct nst_addr_key k = { .family = s->plan.addrs[i].family };

		memcpy(k.addr, s->plan.addrs[i].a, 16);
		if (bpf_map_update_elem(afd, &k, &one, BPF_ANY))
			return -errno;
		if ((ret = fill_addr_slot(addrfastfd, &k)))
			return ret;
	}
	mapsize_prune(s->skel, &s->plan, &s->lt);
	attach_forget_gone(&s->att, link_exists, &s->lt);
	return fill_latency_maps(s);
}

static int attached(const struct session *s, uint64_t netns, int ifindex, int dir)
{
	for (int i = 0; i < s->att.n; i++)
		if (s->att.v[i].netns == netns && s->att.v[i].ifindex == ifindex &&
		    s->att.v[i].dir == dir)
			return 1;
	return 0;
}

/* tc on every planned port not yet attached. Each tcx attachment waits
 * for an RCU grace period under RTNL in the kernel (KNOWN_ISSUES.md), so
 * threads would not make this faster. */
/* SIGINT, SIGTERM or SIGHUP waiting (cmd_watch blocks them first thing,
 * so none is lost before the event loop reads them). */
static int stop_pending(void)
{
	sigset_t set;

	return !sigpending(&set) && (sigismember(&set, SIGINT) || sigismember(&set, SIGTERM) ||
				     sigismember(&set, SIGHUP));
}

/* Give port NETNS:IFINDEX its counters' slot (NST_PORT_SLOT) if no port
 * has it yet. Its packets counted before (in "ports") stay there: user
 * space adds both. */
static void claim_port_slot(struct session *s, uint32_t netns, uint32_t ifindex)
{
	int fd = bpf_map__fd(s->skel->maps.port_slots), n = libbpf_num_possible_cpus();
	uint32_t slot = NST_PORT_SLOT(netns, ifindex);

	if (n <= 0)
		return;
	struct nst_port_slot v[n];

	if (bpf_map_lookup_elem(fd, &slot, v) || v[0].netns)
		return;
	memset(v, 0, sizeof(v));
	for (int c = 0; c < n; c++) {
		v[c].netns = netns;
		v[c].ifindex = ifindex;
	}
	bpf_map_update_elem(fd, &slot, v, BPF_ANY);
}

/* The planned ports from s->attach_next on, until DEADLINE (watch_now()
 * seconds) passes: then s->attach_pending says more are to come. An exit
 * code. */
static int attach_ports(struct session *s, double deadline)
{
	int ret;

	s->attach_pending = 0;
	for (int i = s->attach_next; i < s->plan.nports; i++) {
		const struct plan_port *p = &s->plan.ports[i];
		const struct netns_info *ni = netns_by_inode(&s->nl, p->netns);

		if (watch_now() > deadline) {
			s->attach_next = i;
			s->attach_pending = 1;
			return 0;
		}
		/* Told to stop while attaching (each tcx link can take tens of
		 * milliseconds): stop here, not after every port. */
		if (s->starting && stop_pending()) {
			s->stopped = 1;
			s->nattached = i;
			return 0;
		}

		if (ni && (ret = load_tc(s)))
			return ret;
		for (int dir = NST_INGRESS; ni && dir <= NST_EGRESS; dir++) {
			int fd = s->tc_fd[dir];

			if (attached(s, p->netns, p->ifindex, dir))
				continue;
			ret = attach_port(&s->att, ni->fd, p->netns, p->ifindex, dir, fd);
			/* Gone since discovery (a container stopping): its deletion
			 * is on its way, and re-plans again. */
			if (ret == -ENODEV && !s->starting)
				break;
			if (ret) {
				fprintf(stderr, "nstrace watch: cannot attach to %s:%s (ifindex %d) %s: %s\n",
					ni->label, names_dev(&s->names, p->netns, p->ifindex, NAME_BUF),
					p->ifindex, dir == NST_INGRESS ? "ingress" : "egress",
					strerror(-ret));
				return exit_code_for_errno(ret) == EXIT_NOPRIV ? EXIT_NOPRIV : EXIT_RUNTIME;
			}
		}
		if (ni)
			claim_port_slot(s, (uint32_t)p->netns, (uint32_t)p->ifindex);
	}
	s->attach_next = s->plan.nports;
	pr_debug("%.1f ms: every planned port attached\n", (watch_now() - s->t0) * 1e3);
	netns_list_close_fds(&s->nl);   /* attached and followed: let go of them */
	return 0;
}

int session_attach_some(struct session *s, double budget)
{
	int ret;

	if (!s->attach_pending)
		return 0;
	ret = attach_ports(s, watch_now() + budget);
	if (ret)
		s->attach_pending = 0;   /* said; the ports attached so far stay watched */
	return ret;
}

/* More namespaces than this: their link changes through one shared socket
 * (monitor.h), not a socket each. Fewer keep a socket each, which also
 * hears a stopping container's last changes. */
#define MONITOR_SHARE_FROM 64

/* Follow link changes in every planned namespace. */
static void monitor_plan(struct session *s)
{
	if (s->plan.nns > MONITOR_SHARE_FROM)
		s->mon.share = 1;
	for (int i = 0; i < s->plan.nns; i++) {
		const struct netns_info *ni = netns_by_inode(&s->nl, s->plan.ns[i].inode);
		struct epoll_event ev = { .events = EPOLLIN };
		int fd;

		if (!ni || monitor_has(&s->mon, ni->inode))
			continue;
		fd = monitor_add(&s->mon, ni->fd, ni->inode);
		for (int j = s->mon.n - 1; (fd >= 0 || fd == -EALREADY) && j >= 0; j--)
			if (!s->mon.v[j].shared && s->mon.v[j].netns == ni->inode) {
				snprintf(s->mon.v[j].name, sizeof(s->mon.v[j].name), "%s", ni->name);
				break;
			}
		if (fd == -EALREADY)   /* heard through the shared socket */
			continue;
		if (fd < 0) {
			pr_info("cannot follow link changes in %s: %s\n", ni->label, strerror(-fd));
			continue;
		}
		ev.data.u64 = tag_make(TAG_MONITOR, (uint32_t)s->mon.n - 1);
		epoll_ctl(s->efd, EPOLL_CTL_ADD, fd, &ev);
	}
}

/* Discover and plan (before the programs load: the maps are sized from
 * the plan). */
static int plan_now(struct session *s)
{
	live_free(&s->lt);
	netns_list_free(&s->nl);
	plan_free(&s->plan);
	netns_enumerate(&s->nl);
	if (discover_no_routes(&s->lt, &s->nl) ||
	    plan_build(&s->plan, &s->lt, s->targets, s->ntargets, s->o->scope)) {
		fprintf(stderr, "nstrace watch: out of memory while planning\n");
		return EXIT_RUNTIME;
	}
	return 0;
}

/* A plan with more ports than this is a large host: watch says what it
 * watches (and tells the first stories) before the tc programs load and
 * the ports attach, a batch at a time from the event loop. */
#define ATTACH_LATER_FROM 64

/* Learn the names, fill the maps, attach what is new, follow it. Earlier
 * attachments stay (tcx links of deleted devices go with them). */
static int apply_plan(struct session *s)
{
	int ret;

	names_learn(&s->names);
	if ((ret = fill_maps(s))) {
		fprintf(stderr, "nstrace watch: cannot fill the filter maps: %s\n", strerror(-ret));
		return EXIT_RUNTIME;
	}
	monitor_plan(s);
	/* A large host's ports are attached a batch at a time from the event
	 * loop (session_attach_some): stories and counts of what is attached
	 * flow meanwhile, and the ready file waits for the last port. */
	attach_pass_begin(&s->att);
	s->attach_next = 0;
	if (s->starting && s->plan.nports > ATTACH_LATER_FROM) {
		s->attach_pending = 1;
		tc_load_begin(s);
		return 0;
	}
	/* Loaded first: the budget is for attaching (a small host's ports all
	 * attach before the plan is told, which names what they got). */
	if (s->plan.nports && (ret = load_tc(s)))
		return ret;
	return attach_ports(s, s->attach_budget > 0 ? watch_now() + s->attach_budget : 1e300);
}

/* Discover, plan, and apply the plan. */
int session_plan(struct session *s)
{
	char maps[256];
	int ret = plan_now(s);

	if (ret)
		return ret;
	if (!s->outgrown_told && mapsize_outgrown(s->skel, &s->plan, &s->lt, maps, sizeof(maps))) {
		pr_warn("the host outgrew the BPF maps sized at start (%s): counts may be lost "
			"from now on (said in the summary); restart watch to size them afresh\n", maps);
		s->outgrown_told = 1;
	}
	return apply_plan(s);
}

/* For detaching clsact filters at exit: the fds were let go of. CTX, if
 * not NULL, is every namespace enumerated once (not once a port: 2,000
 * ports on 1,000 namespaces took 92 s to detach so). */
static int open_ns_cb(uint64_t inode, void *ctx)
{
	const struct netns_info *ni = ctx ? netns_by_inode(ctx, inode) : NULL;
	char err[160];

	if (ni)
		return dup(ni->fd);
	return netns_open_inode(inode, err, sizeof(err));
}

/* attach_release, with the namespaces enumerated once when there are
 * clsact filters to take away. */
static void release_ports(struct session *s)
{
	struct netns_list all = { 0 };
	int legacy = 0;

	for (int i = 0; i < s->att.n; i++)
		legacy |= s->att.v[i].legacy;
	if (legacy)
		netns_enumerate(&all);
	attach_release(&s->att, open_ns_cb, legacy ? &all : NULL);
	netns_list_free(&all);
	pr_debug("%.1f ms: ports released\n", (watch_now() - s->t0) * 1e3);
}

struct btf_job {
	const struct watch_opts *o;
	double t0;
	int ret;
};

static void *read_btf_thread(void *arg)
{
	struct btf_job *j = arg;

	j->ret = read_btf(j->o);
	pr_debug("%.1f ms: kernel BTF read\n", (watch_now() - j->t0) * 1e3);
	return NULL;
}

int session_start(struct session *s, ring_buffer_sample_fn on_event, void *ctx)
{
	struct btf_job bj;
	double t0 = s->t0;
	int ret, btf_thread;
	pthread_t bt;

	netns_raise_fd_limit();
	ksyms_prefetch();   /* a story names the function that dropped: read by then */
	/* The kernel's BTF (20-60 ms) is read while the host is discovered. */
	bj.o = s->o;
	bj.t0 = t0;
	if ((btf_thread = !pthread_create(&bt, NULL, read_btf_thread, &bj)) == 0)
		read_btf_thread(&bj);
	s->starting = 1;
	ret = plan_now(s);
	s->starting = 0;
	if (btf_thread)
		pthread_join(bt, NULL);
	if (bj.ret)
		return bj.ret;
	if (ret)
		return ret;
	pr_debug("%.1f ms: topology discovered, %d ports planned\n", (watch_now() - t0) * 1e3,
		 s->plan.nports);
	if ((ret = load(s)))
		goto out_programs;
	pr_debug("%.1f ms: BPF programs loaded\n", (watch_now() - t0) * 1e3);
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_event, ctx, NULL);
	if (!s->rb) {
		fprintf(stderr, "nstrace watch: cannot open the ring buffer: %s\n", strerror(errno));
		ret = EXIT_RUNTIME;
		goto out_programs;
	}
	ret = watch_bpf__attach(s->skel);
	if (ret) {
		fprintf(stderr, "nstrace watch: cannot attach the tracepoint programs: %s\n",
			strerror(-ret));
		ret = exit_code_for_errno(ret) == EXIT_RUNTIME ? EXIT_RUNTIME : EXIT_NOPRIV;
		goto out_ring;
	}
	s->starting = 1;
	ret = apply_plan(s);
	s->starting = 0;
	if (ret)
		goto out_ports;
	pr_debug("%.1f ms: %d of %d ports attached\n", (watch_now() - t0) * 1e3,
		 s->attach_pending ? s->attach_next : s->plan.nports, s->plan.nports);
	return 0;

out_ports:
	release_ports(s);
	monitor_free(&s->mon);
out_ring:
	ring_buffer__free(s->rb);
	s->rb = NULL;
out_programs:
	close_tc(s);
	watch_bpf__destroy(s->skel);   /* detaches the tracepoints too */
	s->skel = NULL;
	return ret;
}

void session_stop(struct session *s)
{
	release_ports(s);
	monitor_free(&s->mon);
	ring_buffer__free(s->rb);
	s->rb = NULL;
	close_tc(s);
	watch_bpf__destroy(s->skel);
	s->skel = NULL;
	for (int i = 0; i < s->ntargets; i++)
		if (s->target[i].pidfd >= 0)
			close(s->target[i].pidfd);
	s->ntargets = 0;
	names_free(&s->names);
	plan_free(&s->plan);
	live_free(&s->lt);
	netns_list_free(&s->nl);
}

void session_stat_maps(const struct session *s, struct stat_maps *m)
{
	m->drops = bpf_map__fd(s->skel->maps.drops);
	m->drop_slots = bpf_map__fd(s->skel->maps.drop_slots);
	m->ports = bpf_map__fd(s->skel->maps.ports);
	m->port_slots = bpf_map__fd(s->skel->maps.port_slots);
	m->resets = bpf_map__fd(s->skel->maps.resets);
	m->icmp_wire = bpf_map__fd(s->skel->maps.icmp_wire);
	m->icmp_gen = bpf_map__fd(s->skel->maps.icmp_gen);
	m->hop_hist = bpf_map__fd(s->skel->maps.hop_hist);
	m->pair_hist = bpf_map__fd(s->skel->maps.pair_hist);
	m->stats = bpf_map__fd(s->skel->maps.stats);
	m->max[SM_DROPS] = bpf_map__max_entries(s->skel->maps.drops);
	m->max[SM_PORTS] = bpf_map__max_entries(s->skel->maps.ports);
	m->max[SM_RESETS] = bpf_map__max_entries(s->skel->maps.resets);
	m->max[SM_ICMP_WIRE] = bpf_map__max_entries(s->skel->maps.icmp_wire);
	m->max[SM_ICMP_GEN] = bpf_map__max_entries(s->skel->maps.icmp_gen);
	m->max[SM_HOP_HIST] = bpf_map__max_entries(s->skel->maps.hop_hist);
	m->max[SM_PAIR_HIST] = bpf_map__max_entries(s->skel->maps.pair_hist);
}
