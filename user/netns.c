/* Creating, deleting, entering and leaving network namespaces: the only
 * file that calls setns() (and unshare()), so a thread's namespace
 * changes in one place. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "netns.h"

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
