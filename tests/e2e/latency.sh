#!/bin/bash
# Latency against witnesses: on an idle topology nstrace's echo round
# trip agrees with ping's; with a tbf queue on a bridge port under a
# bounded UDP load, the hop through that port shows the queueing delay by
# which ping's RTT rises, and the other hops stay fast.
. "$(dirname "$0")/../lib.sh"

if ! topo_up topologies/bridge.topo >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
R=${P}red B=${P}blue
median() { sort -n | awk '{v[NR] = $1} END {if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
# ping RTTs in µs, one per line.
rtts() { grep -o 'time=[0-9.]*' | cut -d= -f2 | awk '{printf "%d\n", $1 * 1000}'; }
lat() {   # OUT KIND SRC DST FIELD
	summary "$1" "[.latency[] | select(.kind == \"$2\" and .src_netns == \"$3\" and .dst_netns == \"$4\") | .$5] | first // empty"
}
hop() {   # OUT FROM_NS FROM_DEV TO_NS TO_DEV FIELD
	summary "$1" "[.latency[] | select(.kind == \"hop\" and .hop[0].netns == \"$2\" and .hop[0].dev == \"$3\"
		and .hop[1].netns == \"$4\" and .hop[1].dev == \"$5\") | .$6] | first // empty"
}
close_enough() {   # NAME GOT WANT PCT FLOOR: |GOT - WANT| <= max(PCT% of WANT, FLOOR)
	local ok
	ok=$(echo "$2 $3 $4 $5" | awk '{d = $1 - $2; if (d < 0) d = -d; lim = $2 * $3 / 100;
		if (lim < $4) lim = $4; print (d <= lim && $1 > 0) ? 1 : 0}')
	[ "$ok" = 1 ] && pass "$1" || fail "$1" "nstrace $2, witness $3 (allowed: $4% or $5)"
}

# Idle: 30 echoes red -> blue, nstrace's echo RTT vs ping's, 2 ms apart:
# with more between them the vCPUs doze off and both clocks measure mostly
# wake-up time, ping's more than nstrace's (105-120 µs against 64-76 µs
# at 50 ms on this VM; see KNOWN_ISSUES.md).
ip netns exec "$R" ping -c 2 -W 1 10.0.0.2 >/dev/null   # ARP warm
start_watch "$TMP/idle" "$R" || fail idle "not ready"
ip netns exec "$R" ping -c 30 -i 0.002 -W 1 10.0.0.2 >"$TMP/ping.idle"
sleep 0.3
stop_watch
ping_us=$(rtts <"$TMP/ping.idle" | median)
echo_us=$(lat "$TMP/idle" echo_rtt "$R" "$B" p50_us)
eq idle/echo_count "$(lat "$TMP/idle" echo_rtt "$R" "$B" count)" 30
# ping's own time in user space is part of its RTT, not nstrace's: ~50 µs here,
# 3-5 times that under emulation (make check-kernels sets NST_EMULATED).
floor=50; [ -n "${NST_EMULATED:-}" ] && floor=150
close_enough idle/echo_rtt_matches_ping "${echo_us:-0}" "${ping_us:-0}" 20 "$floor"
eq idle/one_way_each_direction "$(lat "$TMP/idle" one_way "$R" "$B" count) $(lat "$TMP/idle" one_way "$B" "$R" count)" "30 30"
echo "    idle: ping median ${ping_us} µs, nstrace echo p50 ${echo_us} µs"

# A queue: tbf at 2 Mbit/s on root's port toward blue, 30 ms of queue. The
# load below offers ~12 Mbit/s here but under 8 in make check-kernels'
# emulated guests (no queue formed at 8 Mbit/s there): 2 queues on both.
tc qdisc add dev "${P}br0-blue" root tbf rate 2mbit burst 4kb latency 30ms
ip netns exec "$B" timeout 10 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.0.0.2", 9999)); s.settimeout(8)
try:
    while True: s.recv(2048)
except Exception: pass' &
PIDS+=($!)
start_watch "$TMP/load" "$R" || fail load "not ready"
# About 12 Mbit/s of 1000-byte datagrams for 3 s (bounded: at most 6000),
# each different, so each is its own packet to nstrace.
ip netns exec "$R" timeout 10 python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + 3
for i in range(6000):
    if time.time() > end: break
    s.sendto(i.to_bytes(4, "big") + b"x" * 996, ("10.0.0.2", 9999))
    time.sleep(0.0005)' &
LOAD=$!
PIDS+=($LOAD)
sleep 0.5
ip netns exec "$R" ping -c 15 -i 0.1 -W 1 10.0.0.2 >"$TMP/ping.load"
wait "$LOAD"
sleep 0.3
stop_watch
tc qdisc del dev "${P}br0-blue" root
load_us=$(rtts <"$TMP/ping.load" | median)
rise=$(awk -v a="${load_us:-0}" -v b="${ping_us:-0}" 'BEGIN { printf "%d", a - b }')
q_us=$(hop "$TMP/load" root "${P}br0-blue" "$B" veth-blue p50_us)
echo "    load: ping median ${load_us} µs (rise ${rise} µs), hop through tbf p50 ${q_us} µs"
if [ "$rise" -le 5000 ] && [ -n "${NST_EMULATED:-}" ]; then
	# qemu's TCG paces neither the load nor tbf like hardware: no witness.
	skip load/witness_sees_a_queue "ping rose by ${rise} µs only: no queue formed under emulation"
	skip load/queue_hop_matches_ping_rise "no queue for the witness under emulation"
else
	[ "$rise" -gt 5000 ] && pass load/witness_sees_a_queue || fail load/witness_sees_a_queue "ping rose by ${rise} µs only"
	close_enough load/queue_hop_matches_ping_rise "${q_us:-0}" "$rise" 25 0
fi
# (5 ms under emulation, where a vCPU may wait that long for the host)
limit=1000; [ -n "${NST_EMULATED:-}" ] && limit=5000
slow=$(summary "$TMP/load" "[.latency[] | select(.kind == \"hop\" and .hop[0].dev != \"${P}br0-blue\" and .p50_us > $limit)] | length")
eq load/other_hops_fast "$slow" 0
