#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filter.h"

static const struct { const char *name; int proto; } protos[] = {
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "icmp", IPPROTO_ICMP },
	{ "icmp6", IPPROTO_ICMPV6 }, { "icmpv6", IPPROTO_ICMPV6 }, { "sctp", IPPROTO_SCTP },
};

int filter_proto(struct filter *f, const char *s, char *why, size_t len)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(s, protos[i].name)) {
			if (f->proto && f->proto != protos[i].proto) {
				snprintf(why, len, "two protocols ('%s' and another): at most one", s);
				return -1;
			}
			f->proto = protos[i].proto;
			return 0;
		}
	snprintf(why, len, "unknown protocol '%s' (expected tcp, udp, icmp, icmp6 or sctp)", s);
	return -1;
}

int filter_port(struct filter *f, const char *s, char *why, size_t len)
{
	char *end;
	long p = strtol(s, &end, 10);

	if (!*s || *end || p < 1 || p > 65535) {
		snprintf(why, len, "port '%s' is not a number from 1 to 65535", s);
		return -1;
	}
	if (f->port) {
		snprintf(why, len, "two ports: at most one");
		return -1;
	}
	f->port = (int)p;
	return 0;
}

int filter_host(struct filter *f, const char *s, int is_net, char *why, size_t len)
{
	struct ipaddr a;

	if (f->net.family) {
		snprintf(why, len, "two hosts or nets: at most one");
		return -1;
	}
	if (ipaddr_parse(s, &a, is_net, why, len))
		return -1;
	if (!is_net && a.plen >= 0) {
		snprintf(why, len, "host '%s' has a prefix length: use --net (or 'net')", s);
		return -1;
	}
	if (a.plen < 0)
		a.plen = a.family == AF_INET ? 32 : 128;
	f->net = a;
	return 0;
}

int filter_expr(struct filter *f, const char *expr, char *why, size_t len)
{
	char *copy = strdup(expr), *save = NULL, *tok;
	int ret = 0, want_term = 1;

	if (!copy)
		return -1;
	for (tok = strtok_r(copy, " \t", &save); tok && !ret; tok = strtok_r(NULL, " \t", &save)) {
		if (!strcmp(tok, "and")) {
			if (want_term) {
				snprintf(why, len, "'and' without a term before it");
				ret = -1;
			}
			want_term = 1;
			continue;
		}
		if (!strcmp(tok, "host") || !strcmp(tok, "net") || !strcmp(tok, "port")) {
			char *arg = strtok_r(NULL, " \t", &save);

			if (!arg) {
				snprintf(why, len, "'%s' needs an argument", tok);
				ret = -1;
			} else if (tok[0] == 'p') {
				ret = filter_port(f, arg, why, len);
			} else {
				ret = filter_host(f, arg, tok[0] == 'n', why, len);
			}
		} else if (!strcmp(tok, "or") || !strcmp(tok, "not")) {
			snprintf(why, len, "'%s' is not supported: terms are joined with 'and'", tok);
			ret = -1;
		} else {
			ret = filter_proto(f, tok, why, len);
		}
		want_term = 0;
	}
	if (!ret && want_term && strspn(expr, " \t") != strlen(expr)) {
		snprintf(why, len, "the expression ends with 'and'");
		ret = -1;
	}
	free(copy);
	return ret;
}

void filter_str(const struct filter *f, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	if (f->net.family) {
		char a[64];
		int full = f->net.plen == (f->net.family == AF_INET ? 32 : 128);
		struct ipaddr host = f->net;

		if (full)
			host.plen = -1;
		ipaddr_format(&host, a, sizeof(a));
		n += snprintf(buf + n, len - n, "%s %s", full ? "host" : "net", a);
	}
	for (size_t i = 0; f->proto && i < sizeof(protos) / sizeof(protos[0]) && n < len; i++)
		if (protos[i].proto == f->proto) {
			n += snprintf(buf + n, len - n, "%s%s", n ? " and " : "", protos[i].name);
			break;
		}
	if (f->port && n < len)
		snprintf(buf + n, len - n, "%s%sport %d", n ? (f->proto ? " " : " and ") : "",
			 "", f->port);
}
