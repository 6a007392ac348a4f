#!/bin/bash
# One incident, told whole (issue #12's scenario, the same on every kernel):
# on bridge.topo with blue's veth at MTU 1400, red gets a refused connect,
# three pings and one 1450-byte DF ping. watch red must name the refusal,
# the MTU mismatch, the latency of the pings, nothing alarming from healthy
# traffic, and leave nothing behind; doctor must find the mismatch.
. "$(dirname "$0")/../lib.sh"

finding() { summary "$1" "[.findings[] | select(.kind == \"$2\") | .text] | join(\"\\n\")"; }

if ! topo_up topologies/bridge.topo >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
R=${P}red B=${P}blue
ip -n "$B" link set veth-blue mtu 1400
start_watch "$TMP/w" "$R" || { fail watch "not ready"; exit 1; }
ip netns exec "$R" nc -z -w1 10.0.0.2 81 2>/dev/null
ip netns exec "$R" ping -c3 -i0.2 -q 10.0.0.2 >/dev/null
ip netns exec "$R" ping -c1 -W1 -M do -s 1450 -q 10.0.0.2 >/dev/null 2>&1 &&
	fail witness "a 1450-byte DF ping crossed a 1400 MTU"
stop_watch

eq refused/no_socket_in_blue "$(drops "$TMP/w" "$B" veth-blue NO_SOCKET tcp_v4_rcv)" 1
finding "$TMP/w" mtu_mismatch | grep -q "MTU mismatch" && pass mtu/mismatch_found ||
	{ fail mtu/mismatch_found "no mtu_mismatch finding"; summary "$TMP/w" '.findings' | detail; }
# Rows for the pings (their exact count is latency.sh's and old_kernels.sh's).
n=$(summary "$TMP/w" "[.latency[] | select(.kind == \"echo_rtt\" and
	.src_netns == \"$R\" and .dst_netns == \"$B\") | .count] | add // 0")
[ "$n" -ge 1 ] && pass latency/echo_rows || fail latency/echo_rows "no echo round trip red > blue"
# What is not benign: the refusal and the oversize frame, nothing from the pings.
real=$(summary "$TMP/w" '[.drops[] | select(.benign | not) | .reason + " at " + .location] | unique | join(", ")')
# (the oversize frame dies where the veth hands it over, __dev_forward_skb*,
# or on the bridge's way out, br_*, depending on where the MTUs differ)
if echo "$real" | grep -Eqx '(NOT_SPECIFIED at (__dev_forward_skb2?|br_[a-z_]+), NO_SOCKET at tcp_v4_rcv|NO_SOCKET at tcp_v4_rcv, NOT_SPECIFIED at (__dev_forward_skb2?|br_[a-z_]+))'; then
	pass noise/only_the_refusal_and_the_mtu_drop
else
	fail noise/only_the_refusal_and_the_mtu_drop "$real"
fi
left=$(for ns in "$R" "$B"; do ip netns exec "$ns" tc filter show dev "veth-${ns#$P}" ingress
	ip netns exec "$ns" tc filter show dev "veth-${ns#$P}" egress; done
	for l in "${P}br0-red" "${P}br0-blue"; do tc filter show dev "$l" ingress; tc filter show dev "$l" egress; done)
eq nothing_left "$(echo -n "$left" | grep -c watch_tc)" 0
"$NST" doctor "$R" "$B" >"$TMP/doc" 2>&1
eq doctor/exit_4 "$?" 4
grep -q "MTU" "$TMP/doc" && pass doctor/names_the_mtu || { fail doctor/names_the_mtu "no MTU problem"; detail <"$TMP/doc"; }
