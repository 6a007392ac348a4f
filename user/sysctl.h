/* Per-namespace sysctls (net.*), written through /proc/sys inside the
 * namespace. */
#ifndef NST_SYSCTL_H
#define NST_SYSCTL_H

#include <stddef.h>

/* KEY like "net.ipv4.ip_forward". 0 or -errno. */
int sysctl_set(int netns_fd, const char *key, const char *value);
/* Read KEY into BUF (trailing newline removed). 0 or -errno. */
int sysctl_get(int netns_fd, const char *key, char *buf, size_t len);

#endif
