#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <linux/nsfs.h>
#include "netns.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

int netns_name_valid(const char *name, char *why, size_t whylen)
{
	const char *reason = NULL;

	if (!name || !*name)
		reason = "the name is empty";
	else if (strlen(name) >= NETNS_NAME_MAX)
		reason = "the name is longer than 63 bytes";
	else if (strchr(name, '/'))
		reason = "a name may not contain '/'";
	else if (!strcmp(name, ".") || !strcmp(name, ".."))
		reason = "'.' and '..' are not names";
	else
		for (const char *p = name; *p; p++)
			if (*p <= ' ' || *p == 0x7f || *p == ':') {
				reason = "a name may not contain spaces, ':' or control characters";
				break;
			}
	if (!reason)
		return 0;
	if (why)
		snprintf(why, whylen, "%s", reason);
	return -1;
}

int netns_check_fd(int fd)
{
	struct statfs sfs;
	int type;

	if (fstatfs(fd, &sfs) < 0)
		return -errno;
	if (sfs.f_type != NSFS_MAGIC)
		return -EINVAL;
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0)
		return -errno;
	return type == CLONE_NEWNET ? 0 : -EINVAL;
}

uint64_t netns_inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (uint64_t)st.st_ino;
}

/* Open PATH and make sure it is a network namespace. */
static int open_checked(const char *path, const char *what, char *err,
			size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", what, strerror(errno));
		return ret;
	}
	ret = netns_check_fd(fd);
	if (ret) {
		close(fd);
		snprintf(err, errlen, "%s: not a network namespace%s", what,
			 ret == -EINVAL ? " (stale or not a namespace file)" : "");
		return -EINVAL;
	}
	return fd;
}

int netns_open_name(const char *name, char *err, size_t errlen)
{
	char why[96], path[sizeof(NETNS_RUN_DIR) + NETNS_NAME_MAX + 2];
	char what[NETNS_NAME_MAX + 32];

	if (netns_name_valid(name, why, sizeof(why))) {
		snprintf(err, errlen, "namespace name '%s': %s", name ? name : "", why);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	snprintf(what, sizeof(what), "namespace '%s'", name);
	if (access(path, F_OK)) {
		snprintf(err, errlen, "namespace '%s' does not exist (no %s)", name, path);
		return -ENOENT;
	}
	return open_checked(path, what, err, errlen);
}

int netns_open_pid(int pid, char *err, size_t errlen)
{
	return netns_open_pidfd(pid, NULL, err, errlen);
}

int netns_open_pidfd(int pid, int *pidfd_out, char *err, size_t errlen)
{
	char path[64], what[64];
	int pidfd, fd;

	if (pid <= 0) {
		snprintf(err, errlen, "pid %d: not a process id", pid);
		return -EINVAL;
	}
	snprintf(what, sizeof(what), "pid %d", pid);
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		int e = errno;

		snprintf(err, errlen, "pid %d: %s", pid,
			 e == ESRCH ? "no such process" : strerror(e));
		return -e;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	fd = open_checked(path, what, err, errlen);
	/* The pidfd pins the process identity: if it died between pidfd_open
	 * and open, the pid may now name another process's namespace. */
	if (fd >= 0 && syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
		snprintf(err, errlen, "pid %d: exited while its namespace was opened", pid);
		close(fd);
		fd = -ESRCH;
	}
	if (fd >= 0 && pidfd_out)
		*pidfd_out = pidfd;
	else
		close(pidfd);
	return fd;
}

int netns_open_path(const char *path, char *err, size_t errlen)
{
	char what[300];

	snprintf(what, sizeof(what), "%.280s", path);
	return open_checked(path, what, err, errlen);
}

int netns_open_inode(uint64_t inode, char *err, size_t errlen)
{
	struct netns_list l;
	int fd = -ENOENT;

	if (netns_enumerate(&l)) {
		snprintf(err, errlen, "cannot list namespaces: %s", strerror(errno));
		return -errno;
	}
	for (int i = 0; i < l.n; i++)
		if (l.v[i].inode == inode) {
			fd = dup(l.v[i].fd);
			break;
		}
	netns_list_free(&l);
	if (fd < 0)
		snprintf(err, errlen, "inode %llu: no network namespace has it",
			 (unsigned long long)inode);
	return fd;
}

static int parse_number(const char *s, unsigned long long *out)
{
	char *end;

	if (!*s)
		return -1;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

int netns_resolve(const char *spec, char *err, size_t errlen)
{
	unsigned long long n;

	if (!strncmp(spec, "pid:", 4)) {
		if (parse_number(spec + 4, &n) || n > 0x7fffffff) {
			snprintf(err, errlen, "'%s': expected pid:NUMBER", spec);
			return -EINVAL;
		}
		return netns_open_pid((int)n, err, errlen);
	}
	if (!strncmp(spec, "inode:", 6)) {
		if (parse_number(spec + 6, &n)) {
			snprintf(err, errlen, "'%s': expected inode:NUMBER", spec);
			return -EINVAL;
		}
		return netns_open_inode(n, err, errlen);
	}
	if (strchr(spec, '/'))
		return netns_open_path(spec, err, errlen);
	if (!strcmp(spec, "root"))
		return netns_open_path("/proc/self/ns/net", err, errlen);
	if (!parse_number(spec, &n) && !netns_exists(spec))
		return netns_open_inode(n, err, errlen);
	return netns_open_name(spec, err, errlen);
}

int netns_exists(const char *name)
{
	char path[sizeof(NETNS_RUN_DIR) + NETNS_NAME_MAX + 2];

	if (netns_name_valid(name, NULL, 0))
		return 0;
	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	return access(path, F_OK) == 0;
}

/* ip netns add makes /run/netns a shared mount so that namespaces mounted
 * there appear in every mount namespace; do the same for interoperability. */
static int make_run_dir_shared(void)
{
	if (mkdir(NETNS_RUN_DIR, 0755) && errno != EEXIST)
		return -errno;
	if (!mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL))
		return 0;
	if (errno != EINVAL)
		return -errno;
	if (mount(NETNS_RUN_DIR, NETNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL))
		return -errno;
	if (mount("", NETNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL))
		return -errno;
	return 0;
}

int netns_create(const char *name)
{
	char path[sizeof(NETNS_RUN_DIR) + NETNS_NAME_MAX + 2];
	int fd, saved, ret = 0;

	if (netns_name_valid(name, NULL, 0))
		return -EINVAL;
	ret = make_run_dir_shared();
	if (ret)
		return ret;
	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0) {
		ret = -errno;
		unlink(path);
		return ret;
	}
	if (unshare(CLONE_NEWNET)) {
		ret = -errno;
	} else {
		if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL))
			ret = -errno;
		if (setns(saved, CLONE_NEWNET) && !ret)
			ret = -errno;
	}
	close(saved);
	if (ret)
		unlink(path);
	return ret;
}

int netns_delete(const char *name)
{
	char path[sizeof(NETNS_RUN_DIR) + NETNS_NAME_MAX + 2];

	if (netns_name_valid(name, NULL, 0))
		return -EINVAL;
	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	if (access(path, F_OK))
		return -ENOENT;
	umount2(path, MNT_DETACH);
	if (unlink(path))
		return -errno;
	return 0;
}

int netns_enter(int fd, int *saved)
{
	*saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return -errno;
	if (setns(fd, CLONE_NEWNET)) {
		int ret = -errno;

		close(*saved);
		*saved = -1;
		return ret;
	}
	return 0;
}

int netns_leave(int saved)
{
	int ret = 0;

	if (saved < 0)
		return 0;
	if (setns(saved, CLONE_NEWNET))
		ret = -errno;
	close(saved);
	return ret;
}

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
		char comm[32];

		ni->is_root = ni->inode == root.st_ino;
		if (ni->name[0]) {
			snprintf(ni->label, sizeof(ni->label), "%s", ni->name);
		} else if (ni->is_root) {
			snprintf(ni->label, sizeof(ni->label), "root");
		} else if (ni->pid) {
			read_comm(ni->pid, comm, sizeof(comm));
			snprintf(ni->label, sizeof(ni->label), "pid %d (%s)", ni->pid, comm);
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
