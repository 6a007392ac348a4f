#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "netns.h"
#include "sysctl.h"

/* Open /proc/sys/KEY as seen from inside NETNS_FD: /proc/sys/net
 * resolves against the opener's namespace. */
static int open_in(int netns_fd, const char *key, int flags)
{
	char path[256];
	int saved, fd, ret;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	for (char *c = path + strlen("/proc/sys/"); *c; c++)
		if (*c == '.')
			*c = '/';
	ret = netns_enter(netns_fd, &saved);
	if (ret)
		return ret;
	fd = open(path, flags | O_CLOEXEC);
	ret = fd < 0 ? -errno : fd;
	netns_leave(saved);
	return ret;
}

int sysctl_get(int netns_fd, const char *key, char *buf, size_t len)
{
	int fd = open_in(netns_fd, key, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

int sysctl_set(int netns_fd, const char *key, const char *value)
{
	size_t len = strlen(value);
	int fd = open_in(netns_fd, key, O_WRONLY), ret = 0;

	if (fd < 0)
		return fd;
	if (write(fd, value, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}
