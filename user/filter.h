/* Packet filters applied in the kernel, so counts stay exact:
 * --host A, --net CIDR, --port N, --proto P, or a small tcpdump-like
 * expression: "host 10.0.0.2 and tcp port 80". */
#ifndef NST_FILTER_H
#define NST_FILTER_H

#include <stddef.h>
#include "addr.h"

struct filter {
	int proto;            /* IPPROTO_*, 0: any */
	int port;             /* 0: any */
	struct ipaddr net;    /* family 0: any; plen is the prefix */
};

/* Each: 0, or -1 with a reason in WHY. */
int filter_proto(struct filter *f, const char *s, char *why, size_t len);
int filter_port(struct filter *f, const char *s, char *why, size_t len);
int filter_host(struct filter *f, const char *s, int is_net, char *why, size_t len);
int filter_expr(struct filter *f, const char *expr, char *why, size_t len);
/* "host 10.0.0.2 and tcp port 80", or "" for no filter. */
void filter_str(const struct filter *f, char *buf, size_t len);

#endif
