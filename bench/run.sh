#!/bin/bash
# make bench: what nstrace costs, measured in one run beside the baseline
# with latency off (--no-latency), and beside tcpdump on the same ports. Ratios, medians of interleaved runs
# (A/B/C, A/B/C, ...), because this machine is shared and noisy.
#
# Runs inside its own network and mount namespace (unshare -n -m), on
# red and blue of topologies/bridge.topo built by nstrace itself; nothing
# is left behind. PAIRS (default 5) and SECS (default 2) set the effort.
set -u
cd "$(dirname "$0")/.."
if [ -z "${NST_SANDBOX:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "make bench needs root" >&2; exit 3; }
	exec env NST_SANDBOX=1 unshare --net --mount --propagation private "$0" "$@"
fi
mkdir -p /run/netns && mount -t tmpfs -o mode=0755 nst-bench /run/netns
ip link set lo up

NST=$PWD/nstrace
PAIRS=${PAIRS:-5}
SECS=${SECS:-2}
P=nb-
R=${P}red B=${P}blue
TMP=$(mktemp -d)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	"$NST" topo down --prefix "$P" topologies/bridge.topo >/dev/null 2>&1
	[ -n "${BIG:-}" ] && "$NST" topo down --prefix "$P" "$BIG" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT

"$NST" topo up --prefix "$P" topologies/bridge.topo || exit 1
ip netns exec "$B" iperf3 -s -D -B 10.0.0.2 --pidfile "$TMP/iperf.pid" >/dev/null
sleep 0.3
PIDS+=("$(cat "$TMP/iperf.pid")")

# ---- the variants: each starts its tracer and echoes its pids ----
tracer=()
start_none() { tracer=(); }
start_nstrace() {   # [ARGS...]: the full watch, latency included
	rm -f "$TMP/ready"
	"$NST" watch "$R" --json -q --ready-file "$TMP/ready" "$@" >"$TMP/watch.json" 2>/dev/null &
	tracer=($!)
	for i in $(seq 200); do [ -e "$TMP/ready" ] && return; sleep 0.01; done
}
start_nolat() { start_nstrace --no-latency; }
start_tcpdump() {
	tracer=()
	for spec in "$R:veth-red" ":${P}br0-red" ":${P}br0-blue" "$B:veth-blue"; do
		ns=${spec%%:*} dev=${spec#*:}
		if [ -n "$ns" ]; then
			ip netns exec "$ns" tcpdump -i "$dev" -w /dev/null -s 0 -q 2>/dev/null &
		else
			tcpdump -i "$dev" -w /dev/null -s 0 -q 2>/dev/null &
		fi
		tracer+=($!)
	done
	sleep 0.5   # tcpdump has no ready signal; it needs ~45 ms to its first packet
}
stop_tracer() {
	[ ${#tracer[@]} -gt 0 ] || return 0
	kill -INT "${tracer[@]}" 2>/dev/null
	wait "${tracer[@]}" 2>/dev/null
}

# ---- the loads: each prints one number (higher is better) ----
load_tcp() {  # bits per second received
	ip netns exec "$R" iperf3 -c 10.0.0.2 -t "$SECS" -J 2>/dev/null |
		jq '.end.sum_received.bits_per_second // 0'
}
load_udp64() {  # packets per second received at blue
	ip netns exec "$R" iperf3 -c 10.0.0.2 -u -l 64 -b 0 -t "$SECS" -J 2>/dev/null |
		jq '((.end.sum.packets // 0) - (.end.sum.lost_packets // 0)) / (.end.sum.seconds // 1)'
}
load_storm() {  # packets per second sent while blue's firewall drops them all
	ip netns exec "$R" iperf3 -c 10.0.0.2 -u -l 64 -b 0 -t "$SECS" -J 2>/dev/null |
		jq '(.end.sum.packets // 0) / (.end.sum.seconds // 1)'
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print 0; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

declare -A RES
run_load() {  # LOAD
	local load=$1 v
	for i in $(seq "$PAIRS"); do
		for v in none nstrace nolat tcpdump; do
			"start_$v"
			echo "$("load_$load")" >>"$TMP/$load.$v"
			stop_tracer
		done
	done
	for v in none nstrace nolat tcpdump; do
		RES[$load.$v]=$(median <"$TMP/$load.$v")
	done
}

echo "bench: $PAIRS interleaved runs of ${SECS}s per variant and load" >&2
run_load tcp
run_load udp64

# Drop storm: every 64-byte data packet dropped by nft in blue
# (NETFILTER_DROP); iperf3's small UDP "connect" datagram still passes.
ip netns exec "$B" nft -f - <<NFT
table inet nstbench {
	chain input { type filter hook input priority 0; udp dport 5201 udp length 72 counter drop; }
}
NFT
nft_count() { ip netns exec "$B" nft -j list table inet nstbench | jq '[.nftables[].rule? // empty | .expr[] | .counter? // empty | .packets] | add'; }
run_load storm
# One more storm run for exactness, CPU and RSS of nstrace itself.
c0=$(nft_count)
start_nstrace
npid=${tracer[0]}
t0=$(awk '{print $14 + $15}' /proc/$npid/stat)
load_storm >/dev/null
t1=$(awk '{print $14 + $15}' /proc/$npid/stat)
rss_kb=$(awk '/VmHWM/ {print $2}' /proc/$npid/status)
sleep 0.2
stop_tracer
c1=$(nft_count)
witness=$((c1 - c0))
counted=$(grep '"type":"summary"' "$TMP/watch.json" | jq '[.drops[] | select(.reason == "NETFILTER_DROP") | .count] | add // 0')
events=$(grep '"type":"summary"' "$TMP/watch.json" | jq '.events')
dur=$(grep '"type":"summary"' "$TMP/watch.json" | jq '.duration_s')
not_shown=$(grep '"type":"summary"' "$TMP/watch.json" | jq '.events_not_shown')
hz=$(getconf CLK_TCK)
cpu_pct=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$SECS" 'BEGIN { printf "%.1f", (b - a) / hz / s * 100 }')
exact=no; [ "$counted" = "$witness" ] && exact=yes
ip netns exec "$B" nft delete table inet nstbench

# Attach latency: start to ready file, bridge topology and 20 namespaces.
attach_ms() {  # ARGS...: median ms of 5 starts
	for i in 1 2 3 4 5; do
		rm -f "$TMP/ready"
		s=$(date +%s%N)
		"$NST" watch "$@" --json -q --ready-file "$TMP/ready" >/dev/null 2>&1 &
		p=$!
		while [ ! -e "$TMP/ready" ] && kill -0 $p 2>/dev/null; do sleep 0.001; done
		e=$(date +%s%N)
		kill -INT $p; wait $p
		echo $(( (e - s) / 1000000 ))
	done | median
}
ports_of() { "$NST" watch "$@" --json --duration 0.1 2>/dev/null | head -1 | jq '.ports | length'; }
echo "bench: attach latency" >&2
a_small=$(attach_ms "$R"); p_small=$(ports_of "$R")
BIG=$TMP/big.topo
{
	echo "bridge bb0"
	for i in $(seq 1 20); do echo "ns n$i"; echo "veth n$i:eth0 bb0"; echo "addr n$i:eth0 10.1.0.$i/24"; done
} >"$BIG"
"$NST" topo up --prefix "$P" "$BIG" >/dev/null || echo "bench: 20-namespace topology failed" >&2
a_big=$(attach_ms "${P}n1"); p_big=$(ports_of "${P}n1")
per_port=$(awk -v a="$a_small" -v b="$a_big" -v pa="$p_small" -v pb="$p_big" \
	'BEGIN { if (pb > pa) printf "%.2f", (b - a) / (pb - pa); else print "n/a" }')

report() {
printf '\n%-26s %11s %11s %11s %11s\n' "load (median of $PAIRS)" "no tracing" "nstrace" "no latency" "tcpdump"
printf '%-26s %11.0f %11.0f %11.0f %11.0f\n' "tcp red->blue (Mbit/s)" \
	"$(echo "${RES[tcp.none]} / 1000000" | bc -l)" "$(echo "${RES[tcp.nstrace]} / 1000000" | bc -l)" \
	"$(echo "${RES[tcp.nolat]} / 1000000" | bc -l)" "$(echo "${RES[tcp.tcpdump]} / 1000000" | bc -l)"
printf '%-26s %11.0f %11.0f %11.0f %11.0f\n' "udp 64 B received (pps)" "${RES[udp64.none]}" \
	"${RES[udp64.nstrace]}" "${RES[udp64.nolat]}" "${RES[udp64.tcpdump]}"
printf '%-26s %11.0f %11.0f %11.0f %11.0f\n' "drop storm sent (pps)" "${RES[storm.none]}" \
	"${RES[storm.nstrace]}" "${RES[storm.nolat]}" "${RES[storm.tcpdump]}"
echo
echo "storm: nstrace counted $counted NETFILTER_DROP, nft counted $witness (exact: $exact);" \
	"$events stories in ${dur}s, $not_shown not shown"
echo "nstrace during the storm: cpu ${cpu_pct}% of one core, peak rss $((rss_kb / 1024)) MB"
echo "attach (start to ready file): ${a_small} ms for $p_small ports, ${a_big} ms for $p_big ports (${per_port} ms per extra port)"
echo "ratio tcp=$(ratio "${RES[tcp.nstrace]}" "${RES[tcp.none]}") udp64=$(ratio "${RES[udp64.nstrace]}" "${RES[udp64.none]}")" \
	"storm=$(ratio "${RES[storm.nstrace]}" "${RES[storm.none]}") storm_exact=$exact attach_ms=$a_small" \
	"attach_ms_${p_big}ports=$a_big per_port_ms=$per_port rss_mb=$((rss_kb / 1024)) cpu_pct=$cpu_pct" \
	"tcpdump_tcp=$(ratio "${RES[tcp.tcpdump]}" "${RES[tcp.none]}") tcpdump_udp64=$(ratio "${RES[udp64.tcpdump]}" "${RES[udp64.none]}")" \
	"tcpdump_storm=$(ratio "${RES[storm.tcpdump]}" "${RES[storm.none]}")" \
	"nolat_tcp=$(ratio "${RES[tcp.nolat]}" "${RES[tcp.none]}") nolat_udp64=$(ratio "${RES[udp64.nolat]}" "${RES[udp64.none]}")" \
	"nolat_storm=$(ratio "${RES[storm.nolat]}" "${RES[storm.none]}")"
}

report | tee "$TMP/report"
# A full run (PAIRS >= 5) is the record: bench/RESULTS.md.
if [ "$PAIRS" -ge 5 ]; then
	{
		echo "# make bench: last full run"
		echo
		echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "- machine: $(uname -r), $(nproc) vCPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
		echo "- nstrace $("$NST" --version | cut -d' ' -f2), $PAIRS interleaved runs of ${SECS}s per variant"
		echo
		echo '```'
		cat "$TMP/report"
		echo '```'
	} >bench/RESULTS.md.new && mv bench/RESULTS.md.new bench/RESULTS.md
	echo "bench: wrote bench/RESULTS.md" >&2
fi
