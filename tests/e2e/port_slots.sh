#!/bin/bash
# Port counters live in array slots (NST_PORT_SLOT), and in the "ports"
# hash for a port whose slot another port has: 30 namespaces on one bridge
# (61 ports) make such sharing likely. Every port's packets, both ways,
# must equal the kernel's own device counters over the same quiet window
# (IPv6 off, neighbours learnt before), slot or not.
. "$(dirname "$0")/../lib.sh"

NNS=30
{
	echo "bridge bb0"
	for i in $(seq "$NNS"); do
		echo "ns n$i"; echo "veth n$i:eth0 bb0"; echo "addr n$i:eth0 10.9.0.$i/24"
	done
} >"$TMP/many.topo"
if ! topo_up "$TMP/many.topo" >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
quiet() { sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1; }
quiet
for i in $(seq "$NNS"); do ip netns exec "${P}n$i" bash -c "$(declare -f quiet); quiet"; done
# Every namespace pings its neighbour once, so ARP is settled before the window.
ping_ring() {
	local i pids=()
	for i in $(seq "$NNS"); do
		ip netns exec "${P}n$i" ping -c "$1" -i 0.01 -W 1 -q "10.9.0.$(( i % NNS + 1 ))" >/dev/null &
		pids+=($!)
	done
	wait "${pids[@]}"   # not the watch
}
ping_ring 1

# dev_counts: "netns_inode dev rx tx" for every veth on the bridge's path.
dev_counts() {
	local ns ino
	for ns in "" $(seq "$NNS"); do
		if [ -z "$ns" ]; then
			ino=$(stat -L -c %i /proc/self/ns/net)
			ip -j -s link show type veth
		else
			ino=$(ip netns exec "${P}n$ns" stat -L -c %i /proc/self/ns/net)
			ip netns exec "${P}n$ns" ip -j -s link show type veth
		fi | jq -r --arg ino "$ino" '.[] | "\($ino) \(.ifname | sub("@.*"; "")) \(.stats64.rx.packets) \(.stats64.tx.packets)"'
	done | sort
}

if start_watch "$TMP/w" "${P}n1"; then
	dev_counts >"$TMP/before"
	ping_ring 3
	dev_counts >"$TMP/after"
	stop_watch
	join -j 1 <(awk '{print $1":"$2, $3, $4}' "$TMP/before") <(awk '{print $1":"$2, $3, $4}' "$TMP/after") |
		awk '{print $1, $4 - $2, $5 - $3}' >"$TMP/kernel"
	summary "$TMP/w" '.ports[] | select(.dev != "'"${P}"'bb0") | "\(.netns_inode):\(.dev) \(.rx_packets) \(.tx_packets) \(.ifindex)"' |
		sort >"$TMP/nstrace"
	n=$(wc -l <"$TMP/nstrace")
	eq ports_planned "$n" $((2 * NNS))
	# Ports that shared a slot (computed as nstrace.h does): counted in the hash.
	shared=$(while IFS=' :' read -r ino _ _ _ ifx; do
			echo $(( (((ino ^ ((ifx * 0x9e3779b1) & 0xffffffff)) * 0x85ebca6b) & 0xffffffff) >> 23 ))
		done <"$TMP/nstrace" | sort | uniq -c | awk '$1 > 1 { k += $1 } END { print k + 0 }')
	echo "    $n ports, $shared of them in a slot shared with another port"
	bad=$(join -j 1 "$TMP/kernel" <(awk '{print $1, $2, $3}' "$TMP/nstrace") |
		awk '$2 != $4 || $3 != $5 || $2 + $3 == 0')
	missing=$(join -v 1 -j 1 "$TMP/kernel" "$TMP/nstrace" | wc -l)
	eq every_port_known "$missing" 0
	[ -z "$bad" ] && pass counts_equal_device_counters ||
		{ fail counts_equal_device_counters "port kernel-rx kernel-tx nstrace-rx nstrace-tx:"; echo "$bad" | detail; }
else
	fail watch "not ready"
fi
