/* nstrace features: what this kernel lets nstrace do. Loads and attaches
 * the probe program for real, so a "yes" here is a kernel that accepted it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cmd.h"
#include "kfeat.h"
#include "container.h"
#include "firewall.h"
#include "log.h"
#include "nstrace.h"
#include "probe.skel.h"

static long count_drops(struct probe_bpf *skel)
{
	int fd = bpf_map__fd(skel->maps.drop_counts);
	int ncpu = libbpf_num_possible_cpus();
	struct nst_probe_key key, next, *prev = NULL;
	unsigned long long vals[ncpu > 0 ? ncpu : 1];
	long total = 0;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(fd, &next, vals) == 0)
			for (int c = 0; c < ncpu; c++)
				total += vals[c];
		key = next;
		prev = &key;
	}
	return total;
}

int cmd_features(int argc, char **argv)
{
	struct probe_bpf *skel;
	struct utsname u;
	int ret;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("Usage: nstrace features\n\n"
		       "Loads and attaches nstrace's probe program (tp_btf/kfree_skb\n"
		       "with CO-RE) for a fifth of a second and reports what worked,\n"
		       "then lists each capability as available, degraded (what\n"
		       "nstrace does instead) or missing on this kernel, with the reason.\n"
		       "Exit codes: 0 all present, 3 a needed feature or privilege\n"
		       "is missing.\n");
		return EXIT_OK;
	}
	if (argc > 1) {
		fprintf(stderr, "nstrace features: unexpected argument '%s'\n", argv[1]);
		return EXIT_USAGE;
	}
	if ((ret = need_caps("features", NST_CAP(NST_CAP_BPF) | NST_CAP(NST_CAP_PERFMON))))
		return ret;
	uname(&u);
	printf("kernel      %s\n", u.release);
	printf("nftables    %s\n", firewall_status());   /* optional: topo firewalls */
	printf("containers  %s\n", container_api_status());   /* optional: their names */
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		printf("btf         missing: /sys/kernel/btf/vmlinux (needs CONFIG_DEBUG_INFO_BTF)\n");
		return EXIT_NOPRIV;
	}
	printf("btf         /sys/kernel/btf/vmlinux\n");
	skel = probe_bpf__open_and_load();
	if (!skel) {
		ret = -errno;
		printf("tp_btf      cannot load the probe program: %s\n", strerror(-ret));
		return exit_code_for_errno(ret) == EXIT_USAGE ? EXIT_NOPRIV : EXIT_RUNTIME;
	}
	ret = probe_bpf__attach(skel);
	if (ret) {
		printf("tp_btf      cannot attach to kfree_skb: %s\n", strerror(-ret));
		probe_bpf__destroy(skel);
		return EXIT_NOPRIV;
	}
	usleep(200 * 1000);
	printf("tp_btf      kfree_skb attached; %ld drops seen host-wide in 0.2 s\n",
	       count_drops(skel));
	probe_bpf__destroy(skel);
	kfeat_print(kfeat_get(), stdout);
	return EXIT_OK;
}
