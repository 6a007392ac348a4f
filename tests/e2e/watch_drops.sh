#!/bin/bash
# nstrace watch against independent witnesses (nstat, nft counters, ping):
# each scenario's exact count must equal what the kernel's own counters say.
. "$(dirname "$0")/../lib.sh"

if ! topo_up topologies/bridge.topo >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
R=${P}red B=${P}blue G=${P}green
N=5

# 1. TCP to a port nobody listens on: NO_SOCKET in blue at tcp_v4_rcv, one
#    per SYN, and as many resets sent by blue.
start_watch "$TMP/tcp" "$R" || { fail tcp_refused "watch not ready"; exit 1; }
opens0=$(nsstat "$R" TcpActiveOpens); rsts0=$(nsstat "$B" TcpOutRsts)
for i in $(seq $N); do ip netns exec "$R" nc -z -w1 10.0.0.2 81 2>/dev/null; done
syns=$(( $(nsstat "$R" TcpActiveOpens) - opens0 )); rsts=$(( $(nsstat "$B" TcpOutRsts) - rsts0 ))
stop_watch
eq tcp_refused/witness_syns "$syns" "$N"
eq tcp_refused/no_socket_in_blue "$(drops "$TMP/tcp" "$B" veth-blue NO_SOCKET tcp_v4_rcv)" "$syns"
eq tcp_refused/resets_sent_by_blue "$(summary "$TMP/tcp" "[.resets[] | select(.netns == \"$B\" and
	.direction == \"sent\" and .port == 81) | .count] | add")" "$rsts"
eq tcp_refused/nothing_blamed_on_red "$(drops "$TMP/tcp" "$R" veth-red NO_SOCKET tcp_v4_rcv)" 0
grep -q '"type":"drop".*"reason":"NO_SOCKET","location":"tcp_v4_rcv".*"dport":81' "$TMP/tcp" &&
	pass tcp_refused/story_names_flow || fail tcp_refused/story_names_flow "no NO_SOCKET story with dport 81"

# 2. A firewall rule in blue: NETFILTER_DROP in blue, as many as nft counted.
ip netns exec "$B" nft -f - <<NFT
table inet nsttest {
	chain input { type filter hook input priority 0; tcp dport 80 counter drop; }
}
NFT
start_watch "$TMP/nft" "$R" || fail nft "watch not ready"
for i in $(seq 3); do ip netns exec "$R" nc -z -w1 10.0.0.2 80 2>/dev/null; done
stop_watch
nftc=$(ip netns exec "$B" nft -j list table inet nsttest | jq '[.nftables[].rule? // empty | .expr[] | .counter? // empty | .packets] | add')
eq nft/netfilter_drop_equals_nft_counter "$(drops "$TMP/nft" "$B" veth-blue NETFILTER_DROP)" "$nftc"
summary "$TMP/nft" '.drops[] | select(.reason == "NETFILTER_DROP") | .hint' | grep -q firewall &&
	pass nft/hint || fail nft/hint "no firewall hint"
ip netns exec "$B" nft delete table inet nsttest

# 3. UDP to a closed port: NO_SOCKET at __udp4_lib_rcv, as nstat UdpNoPorts.
start_watch "$TMP/udp" "$R" || fail udp "watch not ready"
np0=$(nsstat "$B" UdpNoPorts)
ip netns exec "$R" bash -c "for i in \$(seq 20); do echo x >/dev/udp/10.0.0.2/9; done" 2>/dev/null
sleep 0.3
np=$(( $(nsstat "$B" UdpNoPorts) - np0 ))
stop_watch
eq udp_closed/witness 20 "$np"
eq udp_closed/no_socket "$(drops "$TMP/udp" "$B" veth-blue NO_SOCKET __udp4_lib_rcv)" "$np"

# 4. A UDP receiver that never reads: SOCKET_RCVBUFF, as UdpRcvbufErrors.
ip netns exec "$B" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
s.bind(("10.0.0.2", 5000))
open("'"$TMP"'/sink.ready", "w").close()
time.sleep(20)' &
PIDS+=($!)
for i in $(seq 100); do [ -e "$TMP/sink.ready" ] && break; sleep 0.05; done
start_watch "$TMP/rcvbuf" "$R" || fail rcvbuf "watch not ready"
rb0=$(nsstat "$B" UdpRcvbufErrors)
ip netns exec "$R" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(200): s.sendto(b"x" * 1000, ("10.0.0.2", 5000))'
sleep 0.3
rb=$(( $(nsstat "$B" UdpRcvbufErrors) - rb0 ))
stop_watch
[ "$rb" -gt 0 ] && pass rcvbuf/witness_overflowed || fail rcvbuf/witness_overflowed "no UdpRcvbufErrors"
eq rcvbuf/socket_rcvbuff "$(drops "$TMP/rcvbuf" "$B" veth-blue SOCKET_RCVBUFF)" "$rb"

# 5. Healthy traffic: nothing that is not benign, nothing blamed elsewhere.
ip netns exec "$G" timeout 10 nc -l 10.0.0.3 7000 >/dev/null &
PIDS+=($!)
sleep 0.2
start_watch "$TMP/healthy" "$R" || fail healthy "watch not ready"
ip netns exec "$R" ping -c5 -i0.05 -q 10.0.0.2 >/dev/null
ip netns exec "$R" ping -c5 -i0.05 -q 10.0.0.3 >/dev/null
head -c 100000 /dev/zero | ip netns exec "$R" nc -N -w2 10.0.0.3 7000
sleep 0.3
stop_watch
eq healthy/no_count_lost "$(summary "$TMP/healthy" '.counts_lost')" 0
bad=$(summary "$TMP/healthy" '[.drops[] | select(.benign | not)] | length')
eq healthy/no_alarming_drops "$bad" 0
[ "$bad" = 0 ] || summary "$TMP/healthy" '.drops[] | select(.benign | not)' | detail
rx=$(summary "$TMP/healthy" ".ports[] | select(.netns == \"$B\" and .dev == \"veth-blue\") | .rx_packets")
[ "${rx:-0}" -ge 5 ] && pass healthy/port_counts_pings || fail healthy/port_counts_pings "veth-blue rx $rx < 5 pings"

# 6. Cold ARP towards a bridge port that is down: NEIGH_FAILED in red.
ip link set "${P}br0-blue" down
ip -n "$R" neigh flush all
start_watch "$TMP/neigh" "$R" || fail neigh "watch not ready"
ip netns exec "$R" ping -c1 -W5 -q 10.0.0.2 >/dev/null && fail neigh/witness "ping passed through a down port"
stop_watch
ip link set "${P}br0-blue" up
eq neigh/neigh_failed_in_sender "$(drops "$TMP/neigh" "$R" veth-red NEIGH_FAILED)" 1

# 7. Bad targets: a namespace that does not exist, a pid that has exited.
expect_exit missing_namespace 2 "namespace '${P}nope' does not exist" "$NST" watch "${P}nope" --duration 1
sleep 0.1 & dead=$!; wait $dead
expect_exit exited_pid 2 "pid $dead: no such process" "$NST" watch --pid "$dead" --duration 1
expect_exit no_target 2 "name a namespace, --pid PID or --all" "$NST" watch
expect_exit bad_filter 2 "unknown protocol 'tpc'" "$NST" watch "$R" --proto tpc
