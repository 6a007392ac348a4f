/* Opening a network namespace by name, pid or path, checked to be one
 * (never entering it: that is netns.c). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
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


int netns_exists(const char *name)
{
	char path[sizeof(NETNS_RUN_DIR) + NETNS_NAME_MAX + 2];

	if (netns_name_valid(name, NULL, 0))
		return 0;
	snprintf(path, sizeof(path), NETNS_RUN_DIR "/%s", name);
	return access(path, F_OK) == 0;
}
