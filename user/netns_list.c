/* Every network namespace on the host: the named ones in /run/netns and
 * those of processes, de-duplicated by inode and labelled. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "netns.h"

static struct netns_info *list_add(struct netns_list *l, int fd, uint64_t ino)
{
	struct netns_info *v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (!v)
		return NULL;
	l->v = v;
	v = &l->v[l->n++];
	memset(v, 0, sizeof(*v));
	v->fd = fd;
	v->inode = ino;
	return v;
}

static void add_named(struct netns_list *l)
{
	DIR *d = opendir(NETNS_RUN_DIR);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char err[128];
		struct netns_info *ni;
		int fd;

		if (de->d_name[0] == '.' || netns_name_valid(de->d_name, NULL, 0))
			continue;
		fd = netns_open_name(de->d_name, err, sizeof(err));
		if (fd < 0)
			continue;   /* stale entry: not mounted any more */
		if (netns_by_inode(l, netns_inode(fd)) ||
		    !(ni = list_add(l, fd, netns_inode(fd)))) {
			close(fd);
			continue;
		}
		snprintf(ni->name, sizeof(ni->name), "%.63s", de->d_name);
	}
	closedir(d);
}

static void read_comm(int pid, char *buf, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	buf[0] = 0;
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, len, f))
		buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

static void add_by_pid(struct netns_list *l)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[64];
		struct netns_info *ni;
		struct stat st;
		int pid = atoi(de->d_name), fd;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
		if (stat(path, &st))
			continue;
		ni = (struct netns_info *)netns_by_inode(l, st.st_ino);
		if (ni) {
			if (!ni->pid || pid < ni->pid)
				ni->pid = pid;
			continue;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ni = list_add(l, fd, st.st_ino);
		if (!ni) {
			close(fd);
			continue;
		}
		ni->pid = pid;
	}
	closedir(d);
}

/* A container's name, else "pid N (comm)". While runc's init process is
 * all there is, the container has no name yet: say so, and say that the
 * label is passing. */
static void label_pid(struct netns_info *ni)
{
	char comm[32], ct[NETNS_LABEL_MAX];

	if (!container_of_pid(ni->pid, &ni->ct) &&
	    *container_label(&ni->ct, netns_exists(ni->ct.name), ct, sizeof(ct))) {
		snprintf(ni->label, sizeof(ni->label), "%s", ct);
		return;
	}
	read_comm(ni->pid, comm, sizeof(comm));
	ni->label_passing = !strncmp(comm, "runc:[", 6);
	if (ni->label_passing)
		snprintf(ni->label, sizeof(ni->label), "pid %d (a container starting)", ni->pid);
	else
		snprintf(ni->label, sizeof(ni->label), "pid %d (%s)", ni->pid, comm);
}

/* Root first, then named namespaces by name, then the rest by pid. */
static int cmp_ns(const void *a, const void *b)
{
	const struct netns_info *x = a, *y = b;

	if (x->is_root != y->is_root)
		return y->is_root - x->is_root;
	if (!!x->name[0] != !!y->name[0])
		return !!y->name[0] - !!x->name[0];
	if (x->name[0])
		return strcmp(x->name, y->name);
	return x->pid - y->pid;
}

int netns_enumerate(struct netns_list *out)
{
	struct stat root;

	out->v = NULL;
	out->n = 0;
	add_named(out);
	add_by_pid(out);
	/* "root" is the namespace nstrace runs in: the one topology files call
	 * root, and the host's unless nstrace itself runs in a container. */
	if (stat("/proc/self/ns/net", &root))
		root.st_ino = 0;
	for (int i = 0; i < out->n; i++) {
		struct netns_info *ni = &out->v[i];

		ni->is_root = ni->inode == root.st_ino;
		if (ni->name[0]) {
			snprintf(ni->label, sizeof(ni->label), "%s", ni->name);
			if (ni->pid && !ni->is_root)
				container_of_pid(ni->pid, &ni->ct);
		} else if (ni->is_root) {
			snprintf(ni->label, sizeof(ni->label), "root");
		} else if (ni->pid) {
			label_pid(ni);
		} else {
			snprintf(ni->label, sizeof(ni->label), "netns %llu",
				 (unsigned long long)ni->inode);
		}
	}
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(out->v[0]), cmp_ns);
	return 0;
}

void netns_list_close_fds(struct netns_list *l)
{
	for (int i = 0; i < l->n; i++)
		if (l->v[i].fd >= 0) {
			close(l->v[i].fd);
			l->v[i].fd = -1;
		}
}

int netns_still_there(struct netns_info *ni)
{
	char path[64];
	struct stat st;

	if (ni->is_root)
		return 1;
	if (ni->name[0])
		return netns_exists(ni->name);
	if (ni->pid > 0) {
		DIR *d;
		struct dirent *de;
		int found = 0;

		snprintf(path, sizeof(path), "/proc/%d/ns/net", ni->pid);
		if (!stat(path, &st) && st.st_ino == ni->inode)
			return 1;
		/* That process is gone; another may still be inside. */
		if (!(d = opendir("/proc")))
			return 1;
		while (!found && (de = readdir(d))) {
			if (de->d_name[0] < '1' || de->d_name[0] > '9')
				continue;
			snprintf(path, sizeof(path), "/proc/%.16s/ns/net", de->d_name);
			found = !stat(path, &st) && st.st_ino == ni->inode;
			if (found)   /* checked first next time: no second scan */
				ni->pid = atoi(de->d_name);
		}
		closedir(d);
		return found;
	}
	return 1;   /* reached some other way: no cheap way to tell */
}

void netns_list_free(struct netns_list *l)
{
	for (int i = 0; i < l->n; i++)
		if (l->v[i].fd >= 0)
			close(l->v[i].fd);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

const struct netns_info *netns_by_inode(const struct netns_list *l, uint64_t ino)
{
	for (int i = 0; i < l->n; i++)
		if (l->v[i].inode == ino)
			return &l->v[i];
	return NULL;
}

/* An fd per namespace while planning (and a socket per namespace while
 * building a topology): 1,000 namespaces outgrow the usual soft limit of
 * 1024. The hard limit is ours to take. */
void netns_raise_fd_limit(void)
{
	struct rlimit r;

	if (!getrlimit(RLIMIT_NOFILE, &r) && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}
