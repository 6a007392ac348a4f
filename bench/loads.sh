# Sourced by bench/run.sh: the loads. Each load_X prints one number, a rate
# (higher is better), measured over SECS seconds. All traffic stays between
# the namespaces run.sh made (red -> blue of bridge.topo, or the big topology).

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

# Drop storm: every 64-byte data packet dropped by nft in blue
# (NETFILTER_DROP); iperf3's small UDP "connect" datagram still passes.
storm_setup() {
	ip netns exec "$B" nft -f - <<NFT
table inet nstbench {
	chain input { type filter hook input priority 0; udp dport 5201 udp length 72 counter drop; }
}
NFT
}
storm_teardown() { ip netns exec "$B" nft delete table inet nstbench; }
storm_witness() { ip netns exec "$B" nft -j list table inet nstbench | jq '[.nftables[].rule? // empty | .expr[] | .counter? // empty | .packets] | add'; }

# ---- trafgen: 60-byte UDP frames to a closed port, sent through a packet
# socket's TX_RING, so the skb holds only the Ethernet header in its linear
# area and the IP header in page fragments (nstrace's non-linear path).
# --qdisc-path: through dev_queue_xmit like any application's packets, so
# veth-red's tc egress and packet taps see them (trafgen bypasses the qdisc
# layer by default). Every frame reaches blue and is freed as NO_SOCKET in
# __udp4_lib_rcv (UdpNoPorts). Port 9: nothing listens in blue.
TG_PORT=9
# trafgen_cfg FILE SRC_NS SRC_DEV DST_NS DST_DEV SRC_IP DST_IP
trafgen_cfg() {
	local smac dmac
	smac=$(ip netns exec "$2" cat /sys/class/net/"$3"/address)
	dmac=$(ip netns exec "$4" cat /sys/class/net/"$5"/address)
	# One echo first, so the bridge knows where both MACs live (no flooding).
	ip netns exec "$2" ping -c 1 -W 1 "$7" >/dev/null 2>&1
	cat >"$1" <<CFG
{
  eth(da=$dmac, sa=$smac, type=0x0800),
  ipv4(saddr=$6, daddr=$7, ttl=64, df),
  udp(sport=40000, dport=$TG_PORT),
  fill(0x00, 18),
}
CFG
}
# trafgen_start NS DEV CFG MAXSECS: flood in the background (tg_pid); stops
# by itself after MAXSECS at the latest (timeout), or after MAXSECS times
# 3 Mpps frames should timeout be gone.
trafgen_start() {
	ip netns exec "$1" timeout -s INT "$4" trafgen --dev "$2" --conf "$3" --cpus 1 \
		--no-sock-mem --qdisc-path --no-cpu-stats --num "$(awk -v s="$4" 'BEGIN { printf "%d", s * 3000000 }')" \
		>/dev/null 2>&1 &
	tg_pid=$!
}
trafgen_stop() {
	[ -n "${tg_pid:-}" ] || return 0
	kill -INT "$tg_pid" 2>/dev/null
	reap "$tg_pid" 5
	tg_pid=
}
# noports NS: the namespace's UdpNoPorts counter.
noports() {
	ip netns exec "$1" awk '/^Udp:/ { if (!n++) { for (i = 1; i <= NF; i++) h[$i] = i } else print $h["NoPorts"] }' /proc/net/snmp
}
load_trafgen() {  # frames per second freed as NO_SOCKET in blue (UdpNoPorts)
	local c0 c1 t0 t1
	trafgen_start "$R" veth-red "$TMP/trafgen.cfg" "$(awk -v s="$SECS" 'BEGIN { print s + 3 }')"
	sleep 0.3   # past the ring's setup
	c0=$(noports "$B"); t0=$(now_ns)
	sleep "$SECS"
	c1=$(noports "$B"); t1=$(now_ns)
	trafgen_stop
	[ "$c1" != "$c0" ] || echo "bench: trafgen: no frame reached blue (UdpNoPorts did not move)" >&2
	awk -v c="$((c1 - c0))" -v t="$((t1 - t0))" 'BEGIN { if (t > 0) printf "%.0f\n", c / (t / 1e9); else print 0 }'
}
