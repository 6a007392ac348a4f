/* Which container holds a process (its cgroup path, then the runtime's
 * name for it), and which process a container named by the user runs. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "container.h"

static void copy(char *dst, size_t len, const char *s, size_t n)
{
	if (n >= len)
		n = len - 1;
	memcpy(dst, s, n);
	dst[n] = 0;
}

static size_t hex_run(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && isxdigit((unsigned char)s[i]))
		i++;
	return i;
}

/* A container id: 12 to 64 hex digits, the whole of S[0..N). */
static int is_id(const char *s, size_t n)
{
	return n >= 12 && n <= 64 && hex_run(s, n) == n;
}

/* A pod's cgroup: "pod<uid>" (cgroupfs) or "kubepods-burstable-pod<uid
 * with '_' for '-'>.slice" (systemd). */
static int pod_segment(const char *seg, size_t n, struct container *c)
{
	const char *p;
	size_t len;

	if (n > 6 && !memcmp(seg + n - 6, ".slice", 6)) {
		if (!(p = memmem(seg, n, "-pod", 4)))
			return 0;
		p += 4;
		len = (size_t)(seg + n - 6 - p);
	} else if (n > 3 && !memcmp(seg, "pod", 3)) {
		p = seg + 3;
		len = n - 3;
	} else {
		return 0;
	}
	if (len < 32 || len > 40)
		return 0;   /* a uid is 36 characters */
	copy(c->pod_uid, sizeof(c->pod_uid), p, len);
	for (char *u = c->pod_uid; *u; u++)
		if (*u == '_')
			*u = '-';
	return 1;
}

/* One segment of a cgroup path; SEG[0..N), PREV the one before it. The
 * forms the runtimes write, with the systemd driver (a ".scope" unit) and
 * with plain cgroupfs. */
static void segment(const char *seg, size_t n, const char *prev, size_t pn, struct container *c)
{
	static const struct { const char *prefix, *runtime; } scopes[] = {
		{ "docker-", "docker" }, { "libpod-", "podman" }, { "cri-containerd-", "containerd" },
		{ "crio-", "cri-o" }, { "nerdctl-", "containerd" },
	};
	if (n > 6 && !memcmp(seg + n - 6, ".scope", 6))
		n -= 6;
	if (pod_segment(seg, n, c))
		return;
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		size_t l = strlen(scopes[i].prefix);

		if (n > l && !memcmp(seg, scopes[i].prefix, l) && is_id(seg + l, n - l)) {
			copy(c->runtime, sizeof(c->runtime), scopes[i].runtime, strlen(scopes[i].runtime));
			copy(c->id, sizeof(c->id), seg + l, n - l);
			return;
		}
	}
	/* cgroupfs: /docker/ID, /kubepods/.../podUID/ID, or any --cgroup-parent
	 * with a full 64-digit id under it: the runtimes are asked which. */
	if (prev && is_id(seg, n) && (n == 64 || c->pod_uid[0])) {
		const char *rt = pn == 6 && !memcmp(prev, "docker", 6) ? "docker" :
				 c->pod_uid[0] ? "cri" : "container";

		copy(c->runtime, sizeof(c->runtime), rt, strlen(rt));
		copy(c->id, sizeof(c->id), seg, n);
		return;
	}
	if (n > 12 && !memcmp(seg, "lxc.payload.", 12)) {
		copy(c->runtime, sizeof(c->runtime), "lxc", 3);
		copy(c->name, sizeof(c->name), seg + 12, n - 12);
	}
}

int container_from_cgroup(const char *text, struct container *c)
{
	const char *line = text;

	memset(c, 0, sizeof(*c));
	while (line && *line) {
		const char *end = strchr(line, '\n'), *path = NULL;
		const char *seg, *prev = NULL;
		size_t pn = 0;

		if (!end)
			end = line + strlen(line);
		/* hierarchy:controllers:path; the path may itself hold ':'. */
		path = memchr(line, ':', (size_t)(end - line));
		path = path ? memchr(path + 1, ':', (size_t)(end - path - 1)) : NULL;
		if (path)
			path++;
		for (seg = path; seg && seg < end;) {
			const char *slash = memchr(seg, '/', (size_t)(end - seg));
			size_t n = (size_t)((slash ? slash : end) - seg);

			if (n)
				segment(seg, n, prev, pn, c);
			if (n) {
				prev = seg;
				pn = n;
			}
			seg = slash ? slash + 1 : end;
		}
		if (c->runtime[0] || c->pod_uid[0])
			break;
		line = *end ? end + 1 : end;
	}
	return c->runtime[0] || c->pod_uid[0] ? 0 : -1;
}

static const char *kubelet_dir(void)
{
	const char *d = getenv("NSTRACE_KUBELET_DIR");

	return d && *d ? d : "/var/lib/kubelet";
}

int container_pod_from_kubelet(struct container *c)
{
	char path[512], line[256];
	glob_t g;
	FILE *f;

	if (!c->pod_uid[0] || strchr(c->pod_uid, '/'))
		return -1;
	/* kubelet writes the pod's own line last: "IP\tHOSTNAME". */
	snprintf(path, sizeof(path), "%s/pods/%s/etc-hosts", kubelet_dir(), c->pod_uid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char ip[64], host[CT_NAME_LEN];

		if (line[0] != '#' && sscanf(line, "%63s %63s", ip, host) == 2 &&
		    strcmp(host, "localhost") && strncmp(host, "ip6-", 4))
			snprintf(c->pod, sizeof(c->pod), "%s", host);
	}
	fclose(f);
	/* The service account's projected volume holds the namespace. */
	snprintf(path, sizeof(path), "%s/pods/%s/volumes/kubernetes.io~projected/*/namespace",
		 kubelet_dir(), c->pod_uid);
	if (!glob(path, 0, NULL, &g) && g.gl_pathc && (f = fopen(g.gl_pathv[0], "re"))) {
		if (fgets(line, sizeof(line), f))
			snprintf(c->pod_ns, sizeof(c->pod_ns), "%.*s", (int)strcspn(line, "\n"), line);
		fclose(f);
	}
	globfree(&g);
	return c->pod[0] ? 0 : -1;
}

static int read_cgroup(int pid, char *buf, size_t len)
{
	char path[64];
	size_t n;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cgroup");
	if (!(f = fopen(path, "re")))
		return -1;
	n = fread(buf, 1, len - 1, f);
	buf[n] = 0;
	fclose(f);
	return 0;
}

/* Names learned, by container id (or pod uid): the runtime is asked once
 * per container, again at most once a second while it cannot answer. */
static struct known {
	char key[CT_ID_LEN];
	struct container c;
	int named;
	time_t asked;
} *known;
static int nknown;

static struct known *known_get(const char *key)
{
	struct known *k;

	for (int i = 0; i < nknown; i++)
		if (!strcmp(known[i].key, key))
			return &known[i];
	if (!(k = realloc(known, (nknown + 1) * sizeof(*k))))
		return NULL;
	known = k;
	k = &known[nknown++];
	memset(k, 0, sizeof(*k));
	snprintf(k->key, sizeof(k->key), "%s", key);
	return k;
}

static void name_it(struct container *c)
{
	char why[256];
	int pid;

	static const char *const rts[] = { "docker", "podman" };

	for (int i = 0; i < 2; i++) {
		struct container got = { 0 };

		/* Each runtime its own; one we cannot tell, both. */
		if (strcmp(c->runtime, "container") && strcmp(c->runtime, rts[i]))
			continue;
		if (!container_api_inspect(rts[i], c->id, &got, &pid, why, sizeof(why))) {
			snprintf(c->name, sizeof(c->name), "%s", got.name);
			snprintf(c->runtime, sizeof(c->runtime), "%s", got.runtime);
			if (got.pod[0]) {
				memcpy(c->pod, got.pod, sizeof(c->pod));
				memcpy(c->pod_ns, got.pod_ns, sizeof(c->pod_ns));
			}
			break;
		}
	}
	if (c->pod_uid[0] && !c->pod[0])
		container_pod_from_kubelet(c);
}

/* The container nstrace itself runs in (cgroup v1 without a cgroup
 * namespace shows it for every process): not a container of the host's. */
static int is_own(const struct container *c)
{
	static struct container self;
	static int read;
	char text[4096];

	if (!read) {
		read = 1;
		if (read_cgroup(0, text, sizeof(text)) || container_from_cgroup(text, &self))
			memset(&self, 0, sizeof(self));
	}
	return self.runtime[0] && !strcmp(self.id, c->id) && !strcmp(self.pod_uid, c->pod_uid);
}

int container_of_pid(int pid, struct container *c)
{
	char text[4096];
	struct known *k;
	time_t now = time(NULL);

	if (read_cgroup(pid, text, sizeof(text)) || container_from_cgroup(text, c) || is_own(c)) {
		memset(c, 0, sizeof(*c));
		return -1;
	}
	if (!(k = known_get(c->id[0] ? c->id : c->pod_uid)))
		return 0;
	if (!k->named && k->asked != now) {
		k->asked = now;
		name_it(c);
		k->c = *c;
		k->named = c->name[0] || c->pod[0];
	}
	*c = k->c;
	return 0;
}

const char *container_label(const struct container *c, int prefix, char *buf, size_t len)
{
	if (c->pod[0])
		snprintf(buf, len, "pod:%s%s%s", c->pod_ns, c->pod_ns[0] ? "/" : "", c->pod);
	else if (c->name[0])
		snprintf(buf, len, "%s%s%s", prefix ? c->runtime : "", prefix ? ":" : "", c->name);
	else if (c->runtime[0])
		snprintf(buf, len, "%s:%.12s", c->runtime, c->id);
	else if (len)
		buf[0] = 0;
	return buf;
}

int container_spec_explicit(const char *spec)
{
	return !strncmp(spec, "docker:", 7) || !strncmp(spec, "podman:", 7) ||
	       !strncmp(spec, "pod:", 4) || !strncmp(spec, "id:", 3);
}

/* Every process's cgroup, for a pod or an id no Engine API knows: the
 * lowest pid whose container matches (a pod's pause process). */
static int scan_procs(const char *pod_ns, const char *pod, const char *id, struct container *out)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int best = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		int pid = atoi(de->d_name);
		struct container c;

		if (pid <= 0 || (best && pid > best) || container_of_pid(pid, &c))
			continue;
		if (pod ? !strcmp(c.pod, pod) && (!pod_ns || !strcmp(c.pod_ns, pod_ns))
			: c.id[0] && !strncmp(c.id, id, strlen(id))) {
			best = pid;
			*out = c;
		}
	}
	closedir(d);
	return best ? best : -ENOENT;
}

static int by_api(const char *runtime, const char *name, struct container *c, char *err,
		  size_t errlen)
{
	int pid = 0, ret = container_api_inspect(runtime, name, c, &pid, err, errlen);

	if (ret)
		return ret;
	if (pid <= 0) {
		snprintf(err, errlen, "container %s:%s is not running", c->runtime, c->name);
		return -ESRCH;
	}
	return pid;
}

int container_find(const char *spec, struct container *c, char *err, size_t errlen)
{
	char w1[256] = "", w2[256] = "";
	int ret;

	memset(c, 0, sizeof(*c));
	if (!strncmp(spec, "docker:", 7) || !strncmp(spec, "podman:", 7)) {
		char rt[8];

		copy(rt, sizeof(rt), spec, 6);
		if (!spec[7]) {
			snprintf(err, errlen, "'%s': expected %s:NAME", spec, rt);
			return -EINVAL;
		}
		return by_api(rt, spec + 7, c, err, errlen);
	}
	if (!strncmp(spec, "pod:", 4)) {
		const char *slash = strchr(spec + 4, '/');
		char ns[CT_NAME_LEN] = "";

		if (!spec[4] || (slash && (!slash[1] || slash == spec + 4))) {
			snprintf(err, errlen, "'%s': expected pod:NAMESPACE/NAME or pod:NAME", spec);
			return -EINVAL;
		}
		if (slash)
			copy(ns, sizeof(ns), spec + 4, (size_t)(slash - spec - 4));
		ret = scan_procs(slash ? ns : NULL, slash ? slash + 1 : spec + 4, NULL, c);
		if (ret == -ENOENT)
			snprintf(err, errlen, "no running pod %s (pods are found by their cgroup and "
				 "%s/pods)", spec + 4, kubelet_dir());
		return ret;
	}
	if (!strncmp(spec, "id:", 3)) {
		size_t n = strlen(spec + 3);

		if (!n || hex_run(spec + 3, n) != n) {
			snprintf(err, errlen, "'%s': expected id:HEXPREFIX", spec);
			return -EINVAL;
		}
		if ((ret = by_api("docker", spec + 3, c, w1, sizeof(w1))) > 0 ||
		    (ret = by_api("podman", spec + 3, c, w2, sizeof(w2))) > 0 ||
		    (ret = scan_procs(NULL, NULL, spec + 3, c)) > 0)
			return ret;
		snprintf(err, errlen, "no running container has an id starting %s", spec + 3);
		return -ENOENT;
	}
	if ((ret = by_api("docker", spec, c, w1, sizeof(w1))) > 0 || ret == -ESRCH ||
	    (ret = by_api("podman", spec, c, w2, sizeof(w2))) > 0 || ret == -ESRCH) {
		if (ret == -ESRCH)
			snprintf(err, errlen, "%s", *w2 ? w2 : w1);
		return ret;
	}
	snprintf(err, errlen, "%s; %s", w1, w2);
	return -ENOENT;
}
