/* ICMP and ICMPv6 errors in words (RFC 792, 1812, 4443 and their
 * updates), named as nft names them where it does. */
#include <stdio.h>
#include "icmp_names.h"

static const char *const unreach4[] = {
	"net-unreachable", "host-unreachable", "prot-unreachable", "port-unreachable",
	"frag-needed", "source-route-failed", "net-unknown", "host-unknown",
	"source-host-isolated", "net-prohibited", "host-prohibited", "net-unreachable-for-tos",
	"host-unreachable-for-tos", "admin-prohibited", "host-precedence-violation",
	"precedence-cutoff",
};
static const char *const redirect4[] = {
	"redirect-net", "redirect-host", "redirect-tos-net", "redirect-tos-host",
};
static const char *const param4[] = { "parameter-problem", "missing-option", "bad-length" };
static const char *const unreach6[] = {
	"no-route", "admin-prohibited", "beyond-scope", "addr-unreachable", "port-unreachable",
	"policy-fail", "reject-route", "source-routing-error", "headers-too-long",
};
static const char *const param6[] = {
	"bad-header-field", "unknown-next-header", "unknown-option", "incomplete-header-chain",
};

#define PICK(t, c) ((c) < sizeof(t) / sizeof((t)[0]) ? (t)[c] : NULL)

const char *icmp_error_class(int v6, unsigned int type)
{
	if (v6)
		return type == 1 ? "unreachable" : type == 2 ? "packet_too_big" :
		       type == 3 ? "time_exceeded" : type == 4 ? "parameter_problem" : NULL;
	return type == 3 ? "unreachable" : type == 5 ? "redirect" : type == 11 ? "time_exceeded" :
	       type == 12 ? "parameter_problem" : NULL;
}

const char *icmp_error_name(int v6, unsigned int type, unsigned int code, char *buf, size_t len)
{
	const char *n = NULL, *cls = icmp_error_class(v6, type);

	if (v6) {
		if (type == 1)
			n = PICK(unreach6, code);
		else if (type == 2)
			n = "packet-too-big";
		else if (type == 3)
			n = code == 0 ? "hop-limit-exceeded" : code == 1 ? "reassembly-time-exceeded" : NULL;
		else if (type == 4)
			n = PICK(param6, code);
	} else {
		if (type == 3)
			n = PICK(unreach4, code);
		else if (type == 5)
			n = PICK(redirect4, code);
		else if (type == 11)
			n = code == 0 ? "ttl-exceeded" : code == 1 ? "reassembly-time-exceeded" : NULL;
		else if (type == 12)
			n = PICK(param4, code);
	}
	if (n)
		return n;
	if (cls)
		snprintf(buf, len, "%s code %u", cls, code);
	else
		snprintf(buf, len, "%s type %u code %u", v6 ? "icmp6" : "icmp", type, code);
	return buf;
}

int icmp_probe_answer(int v6, unsigned int type, unsigned int code, unsigned int orig_kind)
{
	int ttl = v6 ? type == 3 && code == 0 : type == 11 && code == 0;
	int port = v6 ? type == 1 && code == 4 : type == 3 && code == 3;

	return (ttl && (orig_kind == NST_ORIG_TRACEROUTE || orig_kind == NST_ORIG_ECHO)) ||
	       (port && orig_kind == NST_ORIG_TRACEROUTE);
}
