#!/bin/bash
# nstrace changes no packet's fate. A user's own tc filters on blue's port
# (one drops odd echo requests with TC_ACT_SHOT, one accepts everything
# early with TC_ACT_OK), then the same traffic without nstrace and with two
# nstraces at once (tcx and --clsact): ping and a UDP counter see the same
# fates, both nstraces count the user's drops exactly, and the user's
# filters are still there, unchanged, when they exit.
. "$(dirname "$0")/../lib.sh"

if ! topo_up topologies/bridge.topo >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
R=${P}red B=${P}blue
for o in .output/test-user_drop.bpf.o .output/test-user_accept.bpf.o; do
	[ -e "$o" ] || { fail user_filters_built "$o missing (make unit builds it)"; exit 1; }
done
ip netns exec "$B" tc qdisc add dev veth-blue clsact
ip netns exec "$B" tc filter add dev veth-blue ingress pref 10 bpf da obj .output/test-user_drop.bpf.o sec tc
ip netns exec "$B" tc filter add dev veth-blue ingress pref 20 bpf da obj .output/test-user_accept.bpf.o sec tc
user_filters() { ip netns exec "$B" tc filter show dev veth-blue ingress | grep -o 'pref [0-9]* .* id [0-9]*' | sort; }
before=$(user_filters)

traffic() {   # prints "echo replies, UDP datagrams received"
	# Generous timeouts: under emulation python starts in ~1 s and the 200
	# datagrams take ~8 s; it ends 1.5 s after the last one anyway.
	rm -f "$TMP/udp.ready"
	ip netns exec "$B" timeout 60 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.0.0.2", 7777)); s.settimeout(20)
open("'"$TMP"'/udp.ready", "w").close()
n = 0
try:
    while True: s.recv(64); n += 1; s.settimeout(1.5)   # the first may wait for the pings
except Exception: print(n)' >"$TMP/udp.count" &
	local rx=$! i ping
	for i in $(seq 400); do [ -e "$TMP/udp.ready" ] && break; sleep 0.05; done   # bound before anything is sent
	ping=$(ip netns exec "$R" ping -c 10 -i 0.05 -W 1 10.0.0.2 | grep -o '[0-9]* received' | cut -d' ' -f1)
	ip netns exec "$R" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200):
    s.sendto(b"x%d" % i, ("10.0.0.2", 7777)); time.sleep(0.001)'
	wait "$rx"
	echo "$ping $(cat "$TMP/udp.count")"
}

base=$(traffic)
eq without/fates_as_the_filters_say "$base" "5 200"

# a: clsact first (NSTRACE_TCX_FIRST=0), so that only the rule below
# decides where it gets tcx links.
NSTRACE_TCX_FIRST=0 start_watch "$TMP/a" "$R" || fail a "not ready"
A=$WPID
start_watch "$TMP/b" "$B" --clsact || fail b "not ready"
BW=$WPID
with=$(traffic)
sleep 0.3
kill -INT "$A" "$BW"; wait "$A" "$BW"
eq with_two_nstraces/same_fates "$with" "$base"

# A port where filters run before ours gets a tcx link (placed first),
# the others (past the first hooks) clsact filters; --clsact means clsact
# everywhere.
# Kernels before 6.6 have no tcx: there a is clsact everywhere, like b.
tcx_available && TCX=1 || TCX=
if [ -n "$TCX" ]; then
	eq a_auto/tcx_where_user_filters_run_first "$(head -1 "$TMP/a" | jq -r .tc)" "tcx+clsact"
else
	eq a_auto/clsact_without_tcx "$(head -1 "$TMP/a" | jq -r .tc)" "clsact"
fi
eq b_clsact/clsact_everywhere "$(head -1 "$TMP/b" | jq -r .tc)" "clsact"
# Both count the user's drops exactly (tc ingress, in blue).
eq a_tcx/counts_user_drops "$(drops "$TMP/a" "$B" veth-blue TC_INGRESS)" 5
eq b_clsact/counts_user_drops "$(drops "$TMP/b" "$B" veth-blue TC_INGRESS)" 5
# tcx runs before the user's filters: it sees every echo and datagram.
rx=$(summary "$TMP/a" "[.ports[] | select(.netns == \"$B\" and .dev == \"veth-blue\") | .rx_packets] | add")
if [ -n "$TCX" ]; then
	[ "${rx:-0}" -ge 210 ] && pass a_tcx/sees_all_ingress || fail a_tcx/sees_all_ingress "rx $rx < 210"
else   # without tcx, a's ingress filter also sits behind the user's TC_ACT_OK
	eq a_clsact/after_accept_sees_nothing "$rx" 0
fi
# A clsact filter at nstrace's priority comes after the user's: the
# TC_ACT_OK before it means it sees nothing there, as tc intends.
eq b_clsact/after_accept_sees_nothing "$(summary "$TMP/b" "[.ports[] | select(.netns == \"$B\" and .dev == \"veth-blue\") | .rx_packets] | add")" 0
tx=$(summary "$TMP/b" "[.ports[] | select(.netns == \"$B\" and .dev == \"veth-blue\") | .tx_packets] | add")
[ "${tx:-0}" -ge 5 ] && pass b_clsact/sees_egress || fail b_clsact/sees_egress "tx $tx"

# By default the first 16 hooks get tcx links, which cost a packet no
# clsact dispatch: red's plan has 14, so no filter of ours is made, and
# the counts are the same.
if [ -n "$TCX" ]; then
	start_watch "$TMP/c" "$R" || fail c "not ready"
	C=$WPID
	ours=$(for spec in "$R:veth-red" ":${P}br0-red" ":${P}br0-blue" "$B:veth-blue"; do
		ns=${spec%%:*} dev=${spec#*:}
		for d in ingress egress; do
			if [ -n "$ns" ]; then ip netns exec "$ns" tc filter show dev "$dev" $d
			else tc filter show dev "$dev" $d; fi
		done; done | grep -c 'handle 0x4e53')
	with=$(traffic)
	sleep 0.3
	kill -INT "$C"; wait "$C"
	eq c_default/first_hooks_tcx "$(head -1 "$TMP/c" | jq -r .tc) $ours" "tcx 0"
	eq c_default/same_fates "$with" "$base"
	eq c_default/counts_user_drops "$(drops "$TMP/c" "$B" veth-blue TC_INGRESS)" 5
fi
eq user_filters_unchanged "$(user_filters)" "$before"
ip netns exec "$B" tc qdisc show dev veth-blue | grep -q clsact && pass user_clsact_kept ||
	fail user_clsact_kept "the user's clsact qdisc is gone"
after=$(traffic)
eq after/same_fates "$after" "$base"
