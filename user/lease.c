#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lease.h"

/* Field 22 of /proc/PID/stat: when the process started, in clock ticks.
 * With the pid it names one process for the machine's uptime. */
static unsigned long long start_time(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');   /* the command may hold spaces */
	if (!p)
		return 0;
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

/* The inode of this process's PID namespace: a lease's pid means a process
 * only in the PID namespace it was written in. 0 when it cannot be read. */
static unsigned long long pid_ns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) ? 0 : (unsigned long long)st.st_ino;
}

/* The pid PID has in its innermost PID namespace: the last of /proc/HP/status'
 * NSpid (HP is its pid here). 0 when it cannot be read. */
static int inner_pid(int hp)
{
	char path[64], line[256];
	int pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", hp);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line + 6, *end;

		if (strncmp(line, "NSpid:", 6))
			continue;
		for (long v; (v = strtol(p, &end, 10)), end != p; p = end)
			pid = (int)v;
		break;
	}
	fclose(f);
	return pid;
}

#define INIT_PID_NS 0xEFFFFFFCULL   /* the kernel's first PID namespace */

/* Whether the process PID (started at START) of the PID namespace NS, not
 * ours (SELF_NS), runs: looked up among the processes of NS we see, which are
 * all of them when NS is below ours. When none of NS is seen, it is gone if
 * every namespace is below ours (we are in the first); otherwise NS may be
 * above or beside ours and *UNKNOWN is set: taken as running, since undoing
 * a live watch's filters would blind it. */
static int alive_elsewhere(int pid, unsigned long long start, unsigned long long ns,
			   unsigned long long self_ns, int *unknown)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int seen = 0, alive = 0;

	*unknown = 0;
	if (!d) {
		*unknown = 1;
		return 1;
	}
	while (!alive && (de = readdir(d))) {
		char path[300];
		struct stat st;
		int hp = atoi(de->d_name);

		if (hp <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", hp);
		if (stat(path, &st) || st.st_ino != ns)
			continue;
		seen = 1;
		alive = inner_pid(hp) == pid && start_time(hp) == start;
	}
	closedir(d);
	if (!seen && self_ns != INIT_PID_NS)
		*unknown = alive = 1;
	return alive;
}

int lease_open(struct lease *l, const char *kind)
{
	int pid = getpid();

	memset(l, 0, sizeof(*l));
	if (mkdir(LEASE_DIR, 0700) && errno != EEXIST)
		return -errno;
	snprintf(l->path, sizeof(l->path), LEASE_DIR "/%s-%d-%llu-%llu.lease", kind, pid, start_time(pid),
		 pid_ns());
	l->f = fopen(l->path, "we");
	if (!l->f)
		return -errno;
	return 0;
}

int lease_add(struct lease *l, const char *fmt, ...)
{
	va_list ap;

	if (!l->f)
		return -EBADF;
	va_start(ap, fmt);
	vfprintf(l->f, fmt, ap);
	va_end(ap);
	fputc('\n', l->f);
	return fflush(l->f) ? -errno : 0;
}

void lease_drop(struct lease *l)
{
	if (!l->f)
		return;
	fclose(l->f);
	unlink(l->path);
	l->f = NULL;
	rmdir(LEASE_DIR);   /* only if empty: the last one out tidies up */
}

int lease_each(const struct lease_info *li, int reverse,
	       int (*fn)(const char *line, void *ctx), void *ctx)
{
	char *text = strdup(li->text ? li->text : ""), *save = NULL, *line, **lines = NULL;
	int n = 0, ret = 0;

	if (!text)
		return -ENOMEM;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char **v = realloc(lines, (n + 1) * sizeof(*v));

		if (!v) {
			ret = -ENOMEM;
			break;
		}
		lines = v;
		lines[n++] = line;
	}
	for (int i = 0; !ret && i < n; i++)
		ret = fn(lines[reverse ? n - 1 - i : i], ctx);
	free(lines);
	free(text);
	return ret;
}

static int cmp_info(const void *a, const void *b)
{
	return strcmp(((const struct lease_info *)a)->path, ((const struct lease_info *)b)->path);
}

int lease_list(struct lease_info **out)
{
	DIR *d = opendir(LEASE_DIR);
	struct lease_info *v = NULL;
	unsigned long long self_ns = pid_ns();
	struct dirent *de;
	int n = 0;

	*out = NULL;
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		char kind[16];
		int pid;
		unsigned long long start, ns = 0;
		struct lease_info *nv, *li;
		FILE *f;
		long len;

		/* KIND-PID-START-PIDNS.lease; KIND-PID-START.lease, older nstrace */
		if (sscanf(de->d_name, "%15[a-z]-%d-%llu-%llu.lease", kind, &pid, &start, &ns) < 3)
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		li = &v[n];
		memset(li, 0, sizeof(*li));
		snprintf(li->path, sizeof(li->path), LEASE_DIR "/%s", de->d_name);
		snprintf(li->kind, sizeof(li->kind), "%s", kind);
		li->pid = pid;
		li->pid_ns = ns;
		if (ns && self_ns && ns != self_ns)
			li->alive = alive_elsewhere(pid, start, ns, self_ns, &li->unknown);
		else
			li->alive = pid > 0 && start != 0 && start_time(pid) == start;
		f = fopen(li->path, "re");
		if (!f)
			continue;
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		li->text = calloc(1, len > 0 ? len + 1 : 1);
		if (li->text && len > 0 && fread(li->text, 1, len, f) != (size_t)len)
			li->text[0] = 0;
		fclose(f);
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_info);
	*out = v;
	return n;
}

void lease_list_free(struct lease_info *v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}
