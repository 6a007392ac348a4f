#!/bin/bash
# Every ICMP and ICMPv6 error, end to end, against witnesses that are not
# nstrace: red -- router -- blue, where the router has routes of type
# unreachable, prohibit and blackhole, no route at all for a fourth net,
# an nft reject rule, and forwards TTL 1 to its death; blue has a closed
# UDP port. What red's port received (type, code, count) equals what
# tcpdump captured there; what each namespace generated equals its
# nstat Icmp/Icmp6 Out counters.
. "$(dirname "$0")/../lib.sh"

if ! command -v tshark >/dev/null || ! command -v tcpdump >/dev/null; then
	fail tools_installed "tcpdump or tshark missing (make deps installs them)"; exit 1
fi
if ! topo_up topologies/router-mtu.topo >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
R=${P}red RT=${P}router B=${P}blue
# No rate limits in the generating namespaces: every error is sent (the
# kernel's own, and the counters, agree either way; this makes them > 0).
for ns in "$RT" "$B"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
done
# ip_error() also limits per source address (5 at once): one source each.
for a in 11 12 13; do ip -n "$R" addr add 10.0.1.$a/24 dev veth-red; done
ip -n "$RT" route add unreachable 10.0.91.0/24
ip -n "$RT" route add prohibit 10.0.92.0/24
ip -n "$RT" route add blackhole 10.0.93.0/24
ip -n "$RT" -6 route add unreachable fd42:4e53:91::/64
ip -n "$RT" -6 route add prohibit fd42:4e53:92::/64
ip -n "$RT" -6 route add blackhole fd42:4e53:93::/64
ip netns exec "$RT" nft -f - <<NFT
table inet nsticmp {
	chain forward { type filter hook forward priority 0;
		udp dport 7777 meta nfproto ipv4 reject with icmp type host-prohibited
		udp dport 7777 meta nfproto ipv6 reject with icmpv6 type addr-unreachable
	}
}
NFT
# red drops one kind of error: told as dropped in red, not delivered.
ip netns exec "$R" nft -f - <<NFT
table inet nsticmp {
	chain input { type filter hook input priority 0; icmp type destination-unreachable icmp code host-prohibited counter drop; }
}
NFT
for i in 1 2 3 4 5; do ip netns exec "$R" ping -c1 -W1 -q fd42:4e53:2::1 >/dev/null 2>&1 && break; done

tcpdump_start() {
	ip netns exec "$R" tcpdump -i veth-red -Q in -nn -U --immediate-mode -w "$TMP/red.pcap" 'icmp or icmp6' 2>"$TMP/td.err" &
	TDPID=$!
	PIDS+=("$TDPID")
	for i in $(seq 100); do grep -q listening "$TMP/td.err" && return 0; sleep 0.05; done
	fail tcpdump "did not start"; detail <"$TMP/td.err"
}
out_counters() {   # NS: the ICMP Out counters, one "name value" a line
	ip netns exec "$1" nstat -az IcmpOutDestUnreachs IcmpOutTimeExcds IcmpOutParmProbs IcmpOutRedirects \
		Icmp6OutDestUnreachs Icmp6OutTimeExcds Icmp6OutParmProblems Icmp6OutPktTooBigs |
		awk '/^Icmp/ {print $1, $2}'
}
c0_rt=$(out_counters "$RT") c0_b=$(out_counters "$B")
tcpdump_start
MPORT=$((20000 + RANDOM % 5000))
start_watch "$TMP/w" "$R" "$RT" "$B" --interval 0 --metrics "127.0.0.1:$MPORT" || fail watch "not ready"
ping_from() { ip netns exec "$R" ping -c3 -i0.2 -W1 -q "$@" >/dev/null 2>&1; }
udp_to() { ip netns exec "$R" bash -c "for i in 1 2 3; do echo x >/dev/udp/$1/$2; sleep 0.05; done" 2>/dev/null; }
ping_from -I 10.0.1.11 10.0.99.1       # no route: net-unreachable
ping_from -I 10.0.1.12 10.0.91.1       # unreachable route: host-unreachable
ping_from -I 10.0.1.13 10.0.92.1       # prohibit route: admin-prohibited
ping_from 10.0.93.1                    # blackhole: no error at all
ping_from -t 1 10.0.2.1                # TTL 1: ttl-exceeded (a probe's answer)
udp_to 10.0.2.1 9                      # blue's closed port: port-unreachable
udp_to 10.0.2.1 7777                   # nft reject: host-prohibited (dropped in red)
ping_from fd42:4e53:99::1
ping_from fd42:4e53:91::1
ping_from fd42:4e53:92::1
ping_from fd42:4e53:93::1
ping_from -t 1 fd42:4e53:2::1
udp_to fd42:4e53:2::1 9
udp_to fd42:4e53:2::1 7777
sleep 1.2   # the counters are read once a second
curl -s "http://127.0.0.1:$MPORT/metrics" >"$TMP/metrics"
stop_watch
kill -INT "$TDPID"; wait "$TDPID" 2>/dev/null
c1_rt=$(out_counters "$RT") c1_b=$(out_counters "$B")

# What tcpdump captured at red's port: "family type code count", errors only.
tshark -r "$TMP/red.pcap" -T fields -E occurrence=f -e ip.version -e icmp.type -e icmp.code \
	-e icmpv6.type -e icmpv6.code 2>/dev/null |
	awk -F'\t' '$1 == 4 && ($2 == 3 || $2 == 5 || $2 == 11 || $2 == 12) {print 4, $2, $3}
		$1 == 6 && $4 >= 1 && $4 <= 4 {print 6, $4, $5}' | sort | uniq -c | awk '{print $2, $3, $4, $1}' >"$TMP/want"
summary "$TMP/w" ".icmp[] | select(.netns == \"$R\" and .dev == \"veth-red\" and .direction == \"ingress\") |
	\"\(.family) \(.type) \(.code) \(.count)\"" | sort >"$TMP/seen.raw"
awk '{n[$1" "$2" "$3] += $4} END {for (k in n) print k, n[k]}' "$TMP/seen.raw" | sort >"$TMP/got"
eq witness_captured_errors "$(wc -l <"$TMP/want")" 11
if diff "$TMP/want" "$TMP/got" >"$TMP/diff"; then pass seen_at_red_equals_tcpdump
else fail seen_at_red_equals_tcpdump "type/code/count differ (tcpdump <, nstrace >)"; detail <"$TMP/diff"; fi
for tc in "4 3 0" "4 3 1" "4 3 13" "4 11 0" "4 3 3" "4 3 10" "6 1 0" "6 1 1" "6 3 0" "6 1 4" "6 1 3"; do
	grep -q "^$tc [1-9]" "$TMP/got" && pass "seen/$(echo $tc | tr ' ' /)" || fail "seen/$(echo $tc | tr ' ' /)" "not seen"
done
eq blackhole_silent "$(summary "$TMP/w" '[.icmp[] | select(.orig_dst == "10.0.93.1" or .orig_dst == "fd42:4e53:93::1")] | length')" 0

# The generating side: icmp_send (IPv4) and the first port the error
# left through (IPv6) against the namespace's own Out counters.
delta() { # BEFORE AFTER COUNTER
	echo $(( $(echo "$2" | awk -v c="$3" '$1 == c {print $2}') - $(echo "$1" | awk -v c="$3" '$1 == c {print $2}') ))
}
gen4() { summary "$TMP/w" "[.icmp_generated[] | select(.netns == \"$1\" and .type == $2) | .count] | add // 0"; }
# (IPv6: the errors the namespace sent itself, from its own address, not
# the ones it forwarded.)
out6() { summary "$TMP/w" "[.icmp[] | select(.netns == \"$1\" and .direction == \"egress\" and .family == 6 and .type == $2 and .from == \"$3\") | .count] | add // 0"; }
eq router/v4_dest_unreach_equals_nstat "$(gen4 "$RT" 3)" "$(delta "$c0_rt" "$c1_rt" IcmpOutDestUnreachs)"
eq router/v4_time_exceeded_equals_nstat "$(gen4 "$RT" 11)" "$(delta "$c0_rt" "$c1_rt" IcmpOutTimeExcds)"
eq router/v6_dest_unreach_equals_nstat "$(out6 "$RT" 1 fd42:4e53:1::fe)" "$(delta "$c0_rt" "$c1_rt" Icmp6OutDestUnreachs)"
eq router/v6_time_exceeded_equals_nstat "$(out6 "$RT" 3 fd42:4e53:1::fe)" "$(delta "$c0_rt" "$c1_rt" Icmp6OutTimeExcds)"
eq blue/v4_port_unreach_equals_nstat "$(gen4 "$B" 3)" "$(delta "$c0_b" "$c1_b" IcmpOutDestUnreachs)"
eq blue/v6_port_unreach_equals_nstat "$(out6 "$B" 1 fd42:4e53:2::1)" "$(delta "$c0_b" "$c1_b" Icmp6OutDestUnreachs)"
[ "$(gen4 "$RT" 3)" -ge 9 ] && pass router/witness_counted || fail router/witness_counted "only $(gen4 "$RT" 3)"

# Tied together per flow, in words.
finding() { summary "$TMP/w" "[.findings[] | select(.kind == \"$1\") | .text] | join(\"\\n\")"; }
finding unreachable | grep -q "^$RT generated net-unreachable for $R's 10.0.1.11->10.0.99.1 (3 times); delivered to $R (seen at $R:veth-red)" &&
	pass finding/net_unreachable_delivered || { fail finding/net_unreachable_delivered "no such finding"; finding unreachable | detail; }
finding unreachable | grep -q "^$RT generated no-route for $R's fd42:4e53:1::1->fd42:4e53:99::1 (3 times); delivered to $R" &&
	pass finding/v6_no_route || { fail finding/v6_no_route "no such finding"; finding unreachable | detail; }
finding unreachable | grep -q "^$B generated port-unreachable for $R's 10.0.1.1->10.0.2.1 (3 times); delivered" &&
	pass finding/port_unreachable || { fail finding/port_unreachable "no such finding"; finding unreachable | detail; }
nftc=$(ip netns exec "$R" nft -j list table inet nsticmp | jq '[.nftables[].rule? // empty | .expr[] | .counter? // empty | .packets] | add')
eq witness_red_dropped "$nftc" 3
finding icmp_dropped | grep -q "^$RT generated host-prohibited for $R's 10.0.1.1->10.0.2.1 (3 times); dropped in $R (NETFILTER_DROP at $R:veth-red, 3 dropped)" &&
	pass finding/dropped_in_red || { fail finding/dropped_in_red "no such finding"; finding icmp_dropped | detail; }
# traceroute's answers are no incident: counted, marked, not a finding.
[ -z "$(finding time_exceeded)" ] && pass ttl_exceeded_no_finding || fail ttl_exceeded_no_finding "$(finding time_exceeded)"
eq ttl_exceeded_benign "$(summary "$TMP/w" "[.icmp[] | select(.type == 11 and .netns == \"$R\") | .benign] | unique | join(\",\")")" true
# Stories: each seen error told once per port with its name and sender.
grep -q '"type":"icmp","event":"seen".*"netns":"'"$R"'".*"icmp_type":3,"icmp_code":0,"name":"net-unreachable","mtu":0,"from":"10.0.1.254"' "$TMP/w" &&
	pass story_names_sender || { fail story_names_sender "no story"; grep '"type":"icmp"' "$TMP/w" | head -3 | detail; }

# Prometheus: the same counts at red's port, each error by its name.
grep "^nstrace_icmp_errors_seen_total{netns=\"$R\",dev=\"veth-red\",direction=\"ingress\"" "$TMP/metrics" |
	sed -E 's/.*family="([0-9])",type="([0-9]+)",code="([0-9]+)".* ([0-9]+)$/\1 \2 \3 \4/' |
	awk '{n[$1" "$2" "$3] += $4} END {for (k in n) print k, n[k]}' | sort >"$TMP/prom"
if diff "$TMP/want" "$TMP/prom" >"$TMP/diff"; then pass metrics_equal_tcpdump
else fail metrics_equal_tcpdump "type/code/count differ (tcpdump <, metrics >)"; detail <"$TMP/diff"; fi
grep -q "^nstrace_icmp_errors_seen_total{netns=\"$R\",dev=\"veth-red\",direction=\"ingress\",family=\"4\",type=\"3\",code=\"0\",name=\"net-unreachable\",benign=\"false\",mtu=\"0\"} 3$" "$TMP/metrics" &&
	pass metrics_named || { fail metrics_named "no such sample"; grep icmp_errors_seen "$TMP/metrics" | detail 5; }
if command -v promtool >/dev/null; then
	promtool check metrics <"$TMP/metrics" >"$TMP/promtool" 2>&1 && pass metrics_format ||
		{ fail metrics_format "promtool complains"; detail <"$TMP/promtool"; }
fi
# The probe itself: freed in the router with IP_INHDR at ip_forward, once
# per time exceeded, and benign as its answer is.
eq ttl_drop_equals_time_exceeded "$(drops "$TMP/w" "$RT" rt-red IP_INHDR ip_forward)" "$(gen4 "$RT" 11)"
eq ttl_drop_benign "$(summary "$TMP/w" "[.drops[] | select(.netns == \"$RT\" and .reason == \"IP_INHDR\") | .benign] | unique | join(\",\")")" true
