/* Every label watch prints: namespaces, devices, places, flows, kernel
 * functions, drop reasons. Labels are written into the caller's buffer
 * (NAME_BUF gives a scratch one for a single expression), never into
 * rotating static ones.
 *
 * The one place that learns names and keeps them: a device deleted while
 * watching still has its drops, so its name outlives it here, and so does
 * a namespace's: the first real label a namespace gets (a container's
 * name, learned from its runtime) stays for the whole run, through a
 * container's processes coming and going and after it is gone. */
#ifndef NST_NAMES_H
#define NST_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "discover.h"
#include "netns.h"
#include "nstrace_types.h"

/* Room for any label: a namespace's ("pid 1234 (comm)") and a device's. */
#define NAME_LEN 128
/* A buffer alive until the end of the enclosing block, with its size:
 * printf("%s", names_ns(n, ino, NAME_BUF)). */
#define NAME_BUF (char[NAME_LEN]){ 0 }, NAME_LEN

/* The pseudo-namespace whose rows hold the counts of the older gone
 * namespaces and ports (user/watch/older.h): a proc inode is never this
 * small (they start at 0xF0000000). Its label is NS_OLDER_LABEL, the same
 * all along (a Prometheus series must keep its labels). */
#define NS_OLDER_GONE 1
#define NS_OLDER_LABEL "(older gone namespaces)"

struct names {
	const struct netns_list *nl;    /* the session's, current after each re-plan */
	const struct live_topo *lt;
	struct dev_name {
		uint64_t netns;
		int ifindex;
		char name[16];
	} *devs;                        /* every port name ever seen, oldest first */
	int ndevs, cap_devs;
	struct ns_name {
		uint64_t netns;
		char label[NAME_LEN];
		struct container ct;
	} *nss;                         /* every namespace label ever learned */
	int nnss;
};

/* Remember every device name of the current topology. */
void names_learn(struct names *n);
void names_free(struct names *n);
/* Forget namespace NETNS's label and device names (IFINDEX 0), or one
 * device's: their rows are folded (older.h). */
void names_forget(struct names *n, uint64_t netns, uint32_t ifindex);

/* "red", "web", "pod:default/web", "pid 1234 (nginx)", "netns 4026532177":
 * the same for a namespace all along (Prometheus labels, JSON). */
const char *names_ns(const struct names *n, uint64_t inode, char *buf, size_t len);
/* The container holding the namespace, or NULL. */
const struct container *names_container(const struct names *n, uint64_t inode);
/* Is a namespace once seen gone (in no current list)? */
int names_ns_gone(const struct names *n, uint64_t inode);
/* names_where, with " (gone)" after a namespace that is: the summary's. */
const char *names_place(const struct names *n, uint64_t netns, uint32_t ifindex, char *buf,
			size_t len);
/* "veth-red", or "ifindex 7" when never seen. */
const char *names_dev(const struct names *n, uint64_t inode, int ifindex, char *buf, size_t len);
/* "blue:veth-blue", or "blue" when IFINDEX is 0 (no device). */
const char *names_where(const struct names *n, uint64_t netns, uint32_t ifindex, char *buf,
			size_t len);

/* Address families as the kernel side stores them (struct nst_flow). */
int family_af(int family);              /* AF_INET6 or AF_INET */
size_t family_addr_len(int family);     /* 16 or 4 */
int family_is_v6(int family);
const char *names_addr(int family, const unsigned char *a, char *buf, size_t len);
/* "tcp", "icmp6", ...; NULL for a protocol without a name here. */
const char *names_proto(int proto);
/* "tcp 10.0.0.1:43210 -> 10.0.0.2:81" */
const char *names_flow(const struct nst_flow *f, char *buf, size_t len);
/* The kernel function at LOCATION, or its address in hex. */
const char *names_location(uint64_t location, char *buf, size_t len);

/* A drop in words: its reason, freeing function, hint, and whether
 * healthy traffic makes such drops. FLOW may be NULL (not seen yet). */
struct drop_words {
	const char *reason;
	char loc[128];
	const char *hint;               /* NULL: none */
	int benign;
};
void drop_words(uint32_t reason, uint64_t location, const struct nst_flow *flow,
		struct drop_words *out);

#endif
