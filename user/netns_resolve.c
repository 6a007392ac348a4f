/* Resolving what a user names ("red", "pid:42", a path, "inode:N", a
 * container: "web", "docker:web", "podman:web", "pod:NS/NAME", "id:PREFIX")
 * to a namespace fd; an inode is found by enumerating every namespace. An
 * ip netns name comes before a container of the same name. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "netns.h"

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

/* The namespace of the container SPEC names, through one of its processes. */
static int open_container(const char *spec, char *err, size_t errlen)
{
	struct container c;
	int pid = container_find(spec, &c, err, errlen);

	return pid < 0 ? pid : netns_open_pid(pid, err, errlen);
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
	if (container_spec_explicit(spec))
		return open_container(spec, err, errlen);
	if (strchr(spec, '/'))
		return netns_open_path(spec, err, errlen);
	if (!strcmp(spec, "root"))
		return netns_open_path("/proc/self/ns/net", err, errlen);
	if (!parse_number(spec, &n) && !netns_exists(spec))
		return netns_open_inode(n, err, errlen);
	if (!netns_exists(spec) && !netns_name_valid(spec, NULL, 0)) {
		char why[512];
		int fd = open_container(spec, why, sizeof(why));

		if (fd >= 0 || fd != -ENOENT) {
			if (fd < 0)
				snprintf(err, errlen, "%s", why);
			return fd;
		}
		fd = netns_open_name(spec, err, errlen);
		snprintf(err + strlen(err), errlen - strlen(err), ", and no container is named so (%s)",
			 why);
		return fd;
	}
	return netns_open_name(spec, err, errlen);
}
