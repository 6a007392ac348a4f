/* ICMP and ICMPv6 errors in words: the names nft uses for them
 * ("net-unreachable", "admin-prohibited"), their class, and which of
 * them healthy traffic asks for (traceroute's probes). */
#ifndef NST_ICMP_NAMES_H
#define NST_ICMP_NAMES_H

#include <stddef.h>
#include "nstrace_types.h"

/* "net-unreachable", "frag-needed", "hop-limit-exceeded", ...; for a
 * code without a name "unreachable code 9"-like words in BUF. V6: the
 * type and code are ICMPv6's. */
const char *icmp_error_name(int v6, unsigned int type, unsigned int code, char *buf,
			    size_t len);
/* The class, as a finding's kind: "unreachable", "packet_too_big",
 * "time_exceeded", "parameter_problem", "redirect"; NULL: not an error. */
const char *icmp_error_class(int v6, unsigned int type);
/* Is this the answer a path probe asks for, not an incident? Time
 * exceeded in transit (v4 11/0, v6 3/0) about a UDP datagram to
 * traceroute's ports (33434-33534) or about an echo request (traceroute
 * -I, mtr, ping -t); port unreachable about a UDP datagram to those ports
 * (traceroute's last hop). ORIG_KIND (enum nst_orig_kind) is what the
 * quoted packet was, as the kernel side classed it. */
int icmp_probe_answer(int v6, unsigned int type, unsigned int code, unsigned int orig_kind);

#endif
