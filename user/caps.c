/* Capabilities this process holds, read with capget (no libcap). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "caps.h"
#include "exitcode.h"

static const char *cap_names[64] = {
	[NST_CAP_NET_ADMIN] = "CAP_NET_ADMIN", [NST_CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
	[NST_CAP_PERFMON] = "CAP_PERFMON", [NST_CAP_BPF] = "CAP_BPF",
};

/* Kernels before 5.8 have neither CAP_BPF nor CAP_PERFMON: CAP_SYS_ADMIN
 * stands for both there. */
static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int n = 40;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = 40;
		fclose(f);
	}
	return n;
}

int need_caps(const char *cmd, unsigned long long want)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 } };
	char names[160] = "";
	unsigned long long eff, missing, bpf = NST_CAP(NST_CAP_BPF) | NST_CAP(NST_CAP_PERFMON);

	if (last_cap() < NST_CAP_BPF && (want & bpf))
		want = (want & ~bpf) | NST_CAP(NST_CAP_SYS_ADMIN);
	if (syscall(SYS_capget, &h, d))
		return geteuid() == 0 ? 0 : EXIT_NOPRIV;
	eff = d[0].effective | (unsigned long long)d[1].effective << 32;
	missing = want & ~eff;
	if (!missing)
		return 0;
	for (int c = 0; c < 64; c++)
		if ((missing & NST_CAP(c)) && cap_names[c])
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
				 names[0] ? ", " : "", cap_names[c]);
	fprintf(stderr, "nstrace %s: missing %s (run as root, or grant %s)\n", cmd, names,
		__builtin_popcountll(missing) == 1 ? "it" : "them");
	return EXIT_NOPRIV;
}
