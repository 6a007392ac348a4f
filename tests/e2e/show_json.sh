#!/bin/bash
# topo show --json agrees with ip -j, link by link, and names namespaces
# given by name, pid, path and inode, named or not.
. "$(dirname "$0")/../lib.sh"

if ! topo_up topologies/bridge.topo >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi

# One line per link: name mtu operstate master addresses, from each side.
from_ip() {   # NS ("" for root)
	ip -j ${1:+-n "$1"} addr show | jq -r '.[] | [.ifname, (.mtu|tostring), .operstate,
		(.master // "-"), ([.addr_info[] | "\(.local)/\(.prefixlen)"] | sort | join(","))] | join(" ")' | sort
}
from_nst() {  # LABEL
	jq -r --arg l "$1" '.namespaces[] | select(.label == $l) | .links[] | [.name, (.mtu|tostring),
		.operstate, (.master // "-"), (.addrs | sort | join(","))] | join(" ")' "$TMP/show.json" | sort
}

"$NST" topo show --json >"$TMP/show.json" 2>"$TMP/err" || { fail show_json "exit $?"; detail <"$TMP/err"; }
if jq -e . "$TMP/show.json" >/dev/null; then pass valid_json; else fail valid_json "jq cannot parse it"; fi
for ns in red blue green; do
	if diff <(from_ip "$P$ns") <(from_nst "$P$ns") >"$TMP/d"; then
		pass "links_match_ip/$ns"
	else
		fail "links_match_ip/$ns" "nstrace and ip -j disagree"; detail <"$TMP/d"
	fi
done
if diff <(from_ip "" | grep "^$P") <(from_nst root | grep "^$P") >"$TMP/d"; then
	pass links_match_ip/root
else
	fail links_match_ip/root "nstrace and ip -j disagree on the root namespace"; detail <"$TMP/d"
fi

# Peers: ip -j shows link_index (and link_netnsid) for each veth end.
bad=0
for ns in red blue green; do
	want=$(ip -j -n "$P$ns" link show "veth-$ns" | jq -r '.[0].link_index')
	got=$(jq -r --arg l "$P$ns" --arg n "veth-$ns" '.namespaces[] | select(.label == $l) |
		.links[] | select(.name == $n) | "\(.peer.netns) \(.peer.ifindex) \(.peer.name)"' "$TMP/show.json")
	rootidx=$(ip -j link show "${P}br0-$ns" | jq -r '.[0].ifindex')
	[ "$got" = "root $want ${P}br0-$ns" ] && [ "$want" = "$rootidx" ] ||
		{ echo "    $ns: nstrace says '$got', ip says peer ifindex $want (${P}br0-$ns is $rootidx)"; bad=1; }
done
[ $bad = 0 ] && pass veth_peers_across_namespaces || fail veth_peers_across_namespaces "peers differ"

# The tree names the peer and the bridge, for people.
"$NST" topo show "$P"red root >"$TMP/tree" 2>&1
if grep -q "veth-red .*\u2194 root:${P}br0-red" "$TMP/tree" || grep -q "veth-red .*↔ root:${P}br0-red" "$TMP/tree"; then
	pass tree_shows_peer
else
	fail tree_shows_peer "no '↔ root:${P}br0-red' on veth-red's line"; detail <"$TMP/tree"
fi
grep -q "${P}br0 .*bridge .*ports: ${P}br0-red ${P}br0-blue ${P}br0-green" "$TMP/tree" &&
	pass tree_shows_bridge_ports || { fail tree_shows_bridge_ports "ports missing"; detail <"$TMP/tree"; }

# Namespaces by pid, path and inode resolve to the same one; an unnamed
# namespace held only by a process is found and labelled by its pid.
ino=$(stat -L -c %i /run/netns/"$P"red)
ip netns exec "$P"red sleep 30 & PIDS+=($!); named_pid=$!
unshare --net sleep 30 & PIDS+=($!); anon_pid=$!
sleep 0.3
for spec in "$P"red "pid:$named_pid" "/run/netns/${P}red" "inode:$ino" "$ino"; do
	got=$("$NST" topo show --json "$spec" 2>&1 | jq -r '.namespaces[] | "\(.inode) \(.label)"')
	[ "$got" = "$ino ${P}red" ] && pass "resolve/$spec" || fail "resolve/$spec" "got '$got'"
done
anon_ino=$(stat -L -c %i /proc/$anon_pid/ns/net)
got=$("$NST" topo show --json | jq -r --argjson i "$anon_ino" '.namespaces[] | select(.inode == $i) | .label')
[ "$got" = "pid $anon_pid (sleep)" ] && pass unnamed_namespace_labelled_by_pid ||
	fail unnamed_namespace_labelled_by_pid "got '$got' for inode $anon_ino"

# The graph has every veth pair once and every bridge port.
"$NST" topo show --dot "$P"red "$P"blue "$P"green root >"$TMP/dot"
n=$(grep -c '\[label="veth"\]' "$TMP/dot")
nb=$(grep -c '\[style=dashed\]' "$TMP/dot")
[ "$n" = 3 ] && [ "$nb" = 3 ] && pass dot_edges || fail dot_edges "$n veth edges and $nb bridge edges, want 3 and 3"
