#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "netns.h"
#include "sysctl.h"

int sysctl_set(int netns_fd, const char *key, const char *value)
{
	char path[256];
	int saved, fd, ret = 0;
	size_t len = strlen(value);

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	for (char *c = path + strlen("/proc/sys/"); *c; c++)
		if (*c == '.')
			*c = '/';
	ret = netns_enter(netns_fd, &saved);
	if (ret)
		return ret;
	/* /proc/sys/net resolves against the opener's namespace. */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		ret = -errno;
	netns_leave(saved);
	if (fd < 0)
		return ret;
	if (write(fd, value, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}
