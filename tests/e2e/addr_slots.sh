#!/bin/bash
# The watched-address filter reads an array slot first (NST_ADDR_SLOT) and
# asks the watched_addrs hash only where two addresses share a slot. Red
# gets a second address in the same slot as 10.0.0.1, green one too: in
# blue (watched by address), red's datagrams from both count, exactly,
# and green's from its slot-mate do not.
. "$(dirname "$0")/../lib.sh"

if ! topo_up topologies/bridge.topo >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
R=${P}red B=${P}blue G=${P}green

# slot A.B.C.D: NST_ADDR_SLOT of an IPv4 address (family 2, the address's
# bytes as a little-endian word, the other words 0), as nstrace.h computes it.
slot() {
	local IFS=. a
	read -r -a a <<<"$1"
	echo $(( ((2 ^ (a[0] | a[1] << 8 | a[2] << 16 | a[3] << 24)) * 0x9e3779b1 & 0xffffffff) >> 24 ))
}
want=$(slot 10.0.0.1)
mates=()
for y in $(seq 1 250); do
	for x in $(seq 1 250); do
		[ "$(slot "10.7.$y.$x")" = "$want" ] && mates+=("10.7.$y.$x")
		[ ${#mates[@]} -ge 2 ] && break 2
	done
done
[ ${#mates[@]} -ge 2 ] || { fail mates "no two addresses in 10.7/16 share 10.0.0.1's slot"; exit 1; }
echo "    slot $want: 10.0.0.1, ${mates[0]} (red), ${mates[1]} (green)"
ip -n "$R" addr add "${mates[0]}/16" dev veth-red
ip -n "$G" addr add "${mates[1]}/16" dev veth-green
ip -n "$B" addr add 10.7.0.2/16 dev veth-blue

# send NS SRC N: N datagrams from SRC to blue's closed port 9.
send() {
	ip netns exec "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for i in range(int(sys.argv[2])):
    s.sendto(b"x", (sys.argv[3], 9))' "$2" "$3" "$4"
}
if start_watch "$TMP/w" "$R"; then
	before=$(nsstat "$B" UdpNoPorts)
	send "$R" 10.0.0.1 5 10.0.0.2
	send "$R" "${mates[0]}" 7 10.7.0.2
	send "$G" "${mates[1]}" 11 10.7.0.2
	sleep 0.3
	stop_watch
	eq blue_saw_all "$(( $(nsstat "$B" UdpNoPorts) - before ))" 23
	eq counted_red_only "$(drops "$TMP/w" "$B" veth-blue NO_SOCKET __udp4_lib_rcv)" 12
else
	fail watch "not ready"
fi
