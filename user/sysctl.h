/* Per-namespace sysctls (net.*), written through /proc/sys inside the
 * namespace. */
#ifndef NST_SYSCTL_H
#define NST_SYSCTL_H

/* KEY like "net.ipv4.ip_forward". 0 or -errno. */
int sysctl_set(int netns_fd, const char *key, const char *value);

#endif
