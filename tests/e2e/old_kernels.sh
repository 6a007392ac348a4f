#!/bin/bash
# The paths older kernels take, run on this one: NSTRACE_DEGRADE turns off
# what the kernel has (tcx, bpf_cast_to_kern_ctx, the drop reason, resets
# without a socket), so the program variants Debian 12's 6.1 and the 5.x
# kernels load are proven here on every run; make check-kernels proves them
# on the real kernels. Counts stay exact against the same witnesses.
. "$(dirname "$0")/../lib.sh"

if ! topo_up topologies/bridge.topo >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
R=${P}red B=${P}blue
N=5

# refused NAME: N refused connects, 3 pings and 2 datagrams to a closed
# UDP port from red to blue, watched.
refused() {
	local out=$1 opens0 rsts0 unr0
	start_watch "$out" "$R" || return 1
	opens0=$(nsstat "$R" TcpActiveOpens); rsts0=$(nsstat "$B" TcpOutRsts)
	unr0=$(nsstat "$B" IcmpOutDestUnreachs)
	for i in $(seq $N); do ip netns exec "$R" nc -z -w1 10.0.0.2 81 2>/dev/null; done
	ip netns exec "$R" ping -c3 -i 0.05 10.0.0.2 >/dev/null
	ip netns exec "$R" bash -c 'for i in 1 2; do echo x >/dev/udp/10.0.0.2/9; done' 2>/dev/null
	SYNS=$(( $(nsstat "$R" TcpActiveOpens) - opens0 )); RSTS=$(( $(nsstat "$B" TcpOutRsts) - rsts0 ))
	UNR=$(( $(nsstat "$B" IcmpOutDestUnreachs) - unr0 ))
	stop_watch
}
# port_unreach_at_red OUT: the port-unreachable errors red's port received.
port_unreach_at_red() {
	summary "$1" "[.icmp[] | select(.netns == \"$R\" and .direction == \"ingress\" and .type == 3 and .code == 3) | .count] | add // 0"
}

# 1. As on 6.1: clsact, the port's namespace read without the kfunc, and
#    resets to a closed port counted from their NO_SOCKET drop.
export NSTRACE_DEGRADE=kctx,tcx,reset_nosock
if refused "$TMP/61"; then
	grep -q 'degraded on this kernel: clsact filters' "$TMP/61.err" &&
		pass like_6.1/says_once_what_is_degraded || { fail like_6.1/says_once_what_is_degraded "no line"; detail <"$TMP/61.err"; }
	eq like_6.1/one_degraded_line "$(grep -c degraded "$TMP/61.err")" 1
	eq like_6.1/tc_is_clsact "$(head -1 "$TMP/61" | jq -r .tc)" clsact
	eq like_6.1/no_socket_in_blue "$(drops "$TMP/61" "$B" veth-blue NO_SOCKET tcp_v4_rcv)" "$SYNS"
	eq like_6.1/resets_from_drops "$(summary "$TMP/61" "[.resets[] | select(.netns == \"$B\" and
		.direction == \"sent\" and .port == 81) | .count] | add")" "$RSTS"
	# Port counters keyed by the namespace the probe read found: blue's
	# veth received at least every SYN and every echo request.
	n=$(summary "$TMP/61" "[.ports[] | select(.netns == \"$B\" and .dev == \"veth-blue\") | .rx_packets] | add // 0")
	[ "$n" -ge $((SYNS + 3)) ] && pass like_6.1/port_counted_in_its_namespace ||
		fail like_6.1/port_counted_in_its_namespace "blue:veth-blue rx $n, sent $((SYNS + 3))"
	eq like_6.1/no_port_without_namespace "$(summary "$TMP/61" '[.ports[] | select(.netns_inode == 0)] | length')" 0
	eq like_6.1/latency_echo_rows "$(summary "$TMP/61" "[.latency[] | select(.kind == \"echo_rtt\" and
		.src_netns == \"$R\" and .dst_netns == \"$B\") | .count] | add")" 3
	eq like_6.1/only_the_refusals_are_real "$(summary "$TMP/61" '[.drops[] | select(.benign | not) | .location] | unique | join(",")')" __udp4_lib_rcv,tcp_v4_rcv
	eq like_6.1/port_unreachable_seen_equals_nstat "$(port_unreach_at_red "$TMP/61")" "$UNR"
	[ "$UNR" -gt 0 ] && pass like_6.1/witness_port_unreachable || fail like_6.1/witness_port_unreachable "blue sent none"
else
	fail like_6.1 "watch not ready"
fi
eq like_6.1/no_filter_left "$(for ns in "$R" "$B"; do ip netns exec "$ns" tc filter show dev veth-${ns#$P} ingress; done | wc -l)" 0

# 2. As on 5.10-5.16: kfree_skb without a reason. The drop is named by its
#    function, counted exactly; the ping copies are still told apart as benign.
export NSTRACE_DEGRADE=reason,icmp_send
if refused "$TMP/515"; then
	eq no_reason/counted_by_function "$(drops "$TMP/515" "$B" veth-blue NO_REASON tcp_v4_rcv)" "$SYNS"
	eq no_reason/ping_copies_benign "$(summary "$TMP/515" '[.drops[] | select(.icmp_type? == 0 or
		(.location | test("icmp_rcv|ping_rcv"))) | select(.benign | not)] | length')" 0
	eq no_reason/no_icmp_send_program "$(summary "$TMP/515" '.icmp_generated | length')" 0
	eq no_reason/port_unreachable_seen_equals_nstat "$(port_unreach_at_red "$TMP/515")" "$UNR"
else
	fail no_reason "watch not ready"
fi

# 3. features says what is degraded and why, and still exits 0.
out=$(NSTRACE_DEGRADE=kctx,tcx,reason "$NST" features 2>&1); rc=$?
eq features/exit_0 "$rc" 0
for cap in 'tc          degraded: clsact' 'tc-netns    degraded' 'reasons     degraded' \
	'icmp-sent   available' 'latency     available'; do
	echo "$out" | grep -q "^$cap" && pass "features/${cap%% *}" ||
		{ fail "features/${cap%% *}" "no '$cap'"; echo "$out" | detail; }
done
unset NSTRACE_DEGRADE
# On the kernel itself: degraded exactly where its version says it lacks
# the feature (tcx 6.6, bpf_cast_to_kern_ctx 6.2, resets without a socket
# 6.10, drop reasons 5.17).
out=$("$NST" features 2>&1)
v=$(uname -r | awk -F. '{print $1 * 100 + $2}')
for row in "tc 606" "tc-netns 602" "resets 610" "reasons 517"; do
	set -- $row
	want=available; [ "$v" -lt "$2" ] && want=degraded
	got=$(echo "$out" | awk -v c="$1" '$1 == c {sub(":", "", $2); print $2}')
	eq "features/$1_${want}_on_$(uname -r | cut -d. -f1-2)" "$got" "$want"
done
