/* Network namespaces: naming, resolving, enumerating (netns_open.c,
 * netns_resolve.c, netns_list.c), creating and entering (netns.c, the only
 * file that calls setns()). */
#ifndef NST_NETNS_H
#define NST_NETNS_H

#include <stddef.h>
#include <stdint.h>
#include "container.h"

#define NETNS_RUN_DIR "/run/netns"
#define NETNS_NAME_MAX 64
#define NETNS_LABEL_MAX 128

struct netns_info {
	int fd;                 /* open namespace file, or -1 */
	uint64_t inode;
	int pid;                /* a process inside it, 0 if only named */
	int is_root;            /* the namespace nstrace runs in */
	char name[NETNS_NAME_MAX];  /* ip netns name, "" if unnamed */
	/* name, "root", a container's ("web", "pod:default/web"), "pid N (comm)"
	 * or inode */
	char label[NETNS_LABEL_MAX];
	int label_passing;      /* a label for now only: runc's init, not a name yet */
	struct container ct;    /* the container holding it (ct.runtime "" if none) */
};

struct netns_list {
	struct netns_info *v;
	int n;
};

/* ---- netns_open.c ---- */
/* 0 if NAME may be an ip netns name; else -1 and a reason in WHY. */
int netns_name_valid(const char *name, char *why, size_t whylen);
/* Each returns an fd on a network namespace or -errno; ERR gets a sentence. */
int netns_open_name(const char *name, char *err, size_t errlen);
int netns_open_pid(int pid, char *err, size_t errlen);
/* The same, also handing over the pidfd that proved the process was the
 * one whose namespace was opened (it polls readable when it exits). */
int netns_open_pidfd(int pid, int *pidfd, char *err, size_t errlen);
int netns_open_path(const char *path, char *err, size_t errlen);
int netns_check_fd(int fd);       /* 0 if fd is a network namespace */
uint64_t netns_inode(int fd);
int netns_exists(const char *name);

/* ---- netns_resolve.c ---- */
int netns_open_inode(uint64_t inode, char *err, size_t errlen);
/* A name, "pid:N", a path (contains '/'), "inode:N" / a bare number, or a
 * container ("web" when no ip netns has that name, "docker:web",
 * "podman:web", "pod:NS/NAME", "id:PREFIX"). */
int netns_resolve(const char *spec, char *err, size_t errlen);

/* ---- netns.c ---- */
int netns_create(const char *name);   /* like ip netns add: 0 or -errno */
int netns_delete(const char *name);   /* like ip netns del: 0 or -errno */

/* Enter FD; *SAVED receives the namespace to go back to. */
int netns_enter(int fd, int *saved);
int netns_leave(int saved);

/* ---- netns_list.c ---- */
/* Every network namespace on the host, de-duplicated by inode. */
int netns_enumerate(struct netns_list *out);
void netns_list_free(struct netns_list *l);
/* Close the fds but keep the list (inodes, names, labels): an open fd
 * keeps a deleted namespace alive. */
void netns_list_close_fds(struct netns_list *l);
/* Does the namespace still have its name, or a process? When the process
 * it was found by has gone, another inside it is looked for and kept. */
int netns_still_there(struct netns_info *ni);
const struct netns_info *netns_by_inode(const struct netns_list *l, uint64_t ino);
/* RLIMIT_NOFILE's soft limit raised to the hard one (a large host). */
void netns_raise_fd_limit(void);

#endif
