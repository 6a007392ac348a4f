#!/bin/bash
# watch --pcap: the packets stories are about, as pcapng, read back by
# Debian's tshark: they decode, each carries a comment with the reason,
# and the count matches the kernel's own counter.
. "$(dirname "$0")/../lib.sh"

if ! command -v tshark >/dev/null; then
	fail tshark_installed "tshark missing (make deps installs it)"; exit 1
fi
if ! topo_up topologies/bridge.topo >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
R=${P}red B=${P}blue G=${P}green
ts() { tshark -r "$@" 2>"$TMP/tshark.err"; }

# Every drop a story (--interval 0), so every drop a packet in the file.
start_watch "$TMP/w" "$R" --interval 0 --pcap "$TMP/drops.pcapng" || fail watch "not ready"
before=$(nsstat "$B" UdpNoPorts)
ip netns exec "$R" bash -c 'for i in 1 2 3 4 5; do echo nstrace-pcap >/dev/udp/10.0.0.2/9; done' 2>/dev/null
want=$(( $(nsstat "$B" UdpNoPorts) - before ))
sleep 0.3
stop_watch
gen=$(ts "$TMP/drops.pcapng" -Y 'udp.dstport == 9 && frame.comment contains "caused ICMP type 3 code 3"' \
	-T fields -e frame.interface_name | sort -u)
eq port_unreachable_story "$gen" "$B:veth-blue"
# The drops; the ICMP port-unreachable stories carry the same packets.
ts "$TMP/drops.pcapng" -Y 'udp.dstport == 9 && frame.comment contains "drop"' -T fields -e ip.src -e ip.dst -e data.text \
	-e frame.comment -o data.show_as_text:TRUE >"$TMP/udp"
eq udp_drops_in_file "$(wc -l <"$TMP/udp")" "$want"
eq decoded "$(sort -u "$TMP/udp" | cut -f1-3)" "$(printf '10.0.0.1\t10.0.0.2\tnstrace-pcap\\n')"
# One packet once: the datagram caused the error and was dropped, one
# frame says both.
eq comment_has_reason "$(cut -f4 "$TMP/udp" | sort -u)" \
	"caused ICMP type 3 code 3 port-unreachable in $B; drop NO_SOCKET at __udp4_lib_rcv in $B on veth-blue (captured from the IP header; MACs are zero)"
eq udp_each_once "$(ts "$TMP/drops.pcapng" -Y 'udp.dstport == 9 && !icmp' -T fields -e frame.number | wc -l)" "$want"
eq interface_named "$(ts "$TMP/drops.pcapng" -Y 'udp.dstport == 9 && frame.comment contains "drop"' \
	-T fields -e frame.interface_name | sort -u)" "$B:veth-blue"
ts "$TMP/drops.pcapng" -q >/dev/null && ! grep -qi 'damaged\|corrupt\|malformed' "$TMP/tshark.err" &&
	pass file_well_formed || { fail file_well_formed "tshark complains"; detail <"$TMP/tshark.err"; }

# A refused SYN: answered with a reset, then freed. Written once, both
# stories in its comment, and no frame Wireshark calls a retransmission.
start_watch "$TMP/syn" "$R" --interval 0 --pcap "$TMP/syn.pcapng" || fail syn_watch "not ready"
before=$(nsstat "$B" TcpOutRsts)
for i in 1 2 3; do ip netns exec "$R" bash -c 'echo >/dev/tcp/10.0.0.2/81' 2>/dev/null; done
rsts=$(( $(nsstat "$B" TcpOutRsts) - before ))
sleep 0.3
stop_watch
ts "$TMP/syn.pcapng" -Y 'tcp.dstport == 81 && tcp.flags.syn == 1' -T fields -e frame.comment >"$TMP/syn"
eq syn/witness_resets "$rsts" 3
eq syn/each_once "$(wc -l <"$TMP/syn")" "$rsts"
eq syn/both_stories "$(grep -c "answered with a TCP reset in $B on veth-blue; drop NO_SOCKET at tcp_v4_rcv in $B" "$TMP/syn")" "$rsts"
eq syn/no_retransmission "$(ts "$TMP/syn.pcapng" -Y 'tcp.analysis.retransmission' -T fields -e frame.number | wc -l)" 0

# --pcap-all: the path of three pings, red -> green, port by port.
start_watch "$TMP/all" "$R" --interval 0 --pcap "$TMP/all.pcapng" --pcap-all || fail watch_all "not ready"
ip netns exec "$R" ping -c 3 -i 0.2 -W 1 10.0.0.3 >/dev/null || fail ping "red cannot reach green"
sleep 0.3
stop_watch
for hop in "$R:veth-red" "root:${P}br0-red" "root:${P}br0-green" "$G:veth-green"; do
	n=$(ts "$TMP/all.pcapng" -Y "icmp.type == 8 && frame.interface_name == \"$hop\"" -T fields -e frame.number | wc -l)
	eq "all/requests_on_$hop" "$n" 3
done
n=$(ts "$TMP/all.pcapng" -Y "icmp.type == 8 && eth.src != 00:00:00:00:00:00" -T fields -e frame.number | wc -l)
[ "$n" -ge 12 ] && pass all/real_ethernet_headers || fail all/real_ethernet_headers "only $n frames with MACs"

expect_exit unwritable 2 "cannot create $TMP/no/such/dir.pcapng: No such file" \
	"$NST" watch "$R" --pcap "$TMP/no/such/dir.pcapng" --duration 1
expect_exit pcap_all_alone 2 "needs --pcap FILE" "$NST" watch "$R" --pcap-all --duration 1
