#!/bin/bash
# MTU, fragmentation-needed and PMTU blackholes, live (watch) and static
# (doctor), each against a witness: ip -s link, ip route get, nft counters.
. "$(dirname "$0")/../lib.sh"

finding() { summary "$1" "[.findings[] | select(.kind == \"$2\") | .text] | join(\"\\n\")"; }

# 1. veth MTU mismatch: the drop is charged to the sender, as tx_dropped.
topo_up topologies/mtu-mismatch.topo >/dev/null 2>&1 || fail mismatch/up "topo up failed"
R=${P}red B=${P}blue
txd() { ip -n "$R" -s -j link show veth-red | jq '.[0].stats64.tx.dropped'; }
start_watch "$TMP/mm" "$R" || fail mismatch "not ready"
d0=$(txd)
ip netns exec "$R" ping -c3 -i0.2 -W1 -M do -s 1450 -q 10.0.3.2 >/dev/null 2>&1
d=$(( $(txd) - d0 ))
stop_watch
[ "$d" -gt 0 ] && pass mismatch/witness_dropped || fail mismatch/witness_dropped "tx_dropped did not move"
eq mismatch/drops_equal_tx_dropped "$(drops "$TMP/mm" "$R" veth-red NOT_SPECIFIED __dev_forward_skb2)" "$d"
finding "$TMP/mm" mtu_mismatch | grep -q "MTU mismatch: $R:veth-red (1500) -> peer $B:veth-blue (1400)" &&
	pass mismatch/finding_names_both_ends ||
	{ fail mismatch/finding_names_both_ends "no such finding"; finding "$TMP/mm" mtu_mismatch | detail; }
"$NST" doctor "$R" "$B" >"$TMP/doc" 2>&1; rc=$?
eq mismatch/doctor_exit 4 "$rc"
eq mismatch/doctor_exactly_one "$(grep -c '^problem:' "$TMP/doc")" 1
grep -q "veth MTU mismatch: $R:veth-red (1500) <-> $B:veth-blue (1400)" "$TMP/doc" &&
	pass mismatch/doctor_names_it || { fail mismatch/doctor_names_it "wrong problem"; detail <"$TMP/doc"; }
"$NST" topo down --prefix "$P" topologies/mtu-mismatch.topo

# 2. Router with a 1400-byte link, and red dropping ICMP: a PMTU blackhole.
topo_up topologies/router-mtu.topo >/dev/null 2>&1 || fail router/up "topo up failed"
RT=${P}router
ip netns exec "$R" nft -f - <<NFT
table inet nstbh {
	chain input { type filter hook input priority 0; icmp type destination-unreachable counter drop; }
}
NFT
start_watch "$TMP/bh" "$R" || fail blackhole "not ready"
ip netns exec "$R" ping -c3 -i0.3 -W1 -M do -s 1472 -q 10.0.2.1 >/dev/null 2>&1
stop_watch
nftc=$(ip netns exec "$R" nft -j list table inet nstbh | jq '[.nftables[].rule? // empty | .expr[] | .counter? // empty | .packets] | add')
[ "${nftc:-0}" -gt 0 ] && pass blackhole/witness_nft_dropped || fail blackhole/witness_nft_dropped "nft counted nothing"
eq blackhole/netfilter_drop_equals_nft "$(drops "$TMP/bh" "$R" veth-red NETFILTER_DROP)" "$nftc"
ip netns exec "$R" ip route get 10.0.2.1 | grep -q 'mtu 1400' &&
	fail blackhole/witness_pmtu_not_learned "red learned the PMTU" || pass blackhole/witness_pmtu_not_learned
finding "$TMP/bh" pmtu_blackhole | grep -q "PMTU blackhole: $RT generated [0-9]* frag-needed (MTU 1400) for $R's flow 10.0.1.1->10.0.2.1; $R never accepted them (NETFILTER_DROP in $R" &&
	pass blackhole/finding || { fail blackhole/finding "no blackhole finding"; summary "$TMP/bh" '.findings' | detail; }
ip netns exec "$R" nft delete table inet nstbh

# 3. Now red accepts ICMP: frag-needed generated in router, seen at red's
#    port, and the kernel caches the PMTU (ip route get is the witness).
start_watch "$TMP/fn" "$R" || fail fragneeded "not ready"
ip netns exec "$R" ping -c2 -i0.3 -W1 -M do -s 1472 -q 10.0.2.1 >/dev/null 2>&1
stop_watch
ip netns exec "$R" ip route get 10.0.2.1 | grep -q 'mtu 1400' && pass fragneeded/witness_pmtu_cached ||
	fail fragneeded/witness_pmtu_cached "no cached mtu 1400"
eq fragneeded/generated_in_router "$(summary "$TMP/fn" "[.icmp_generated[] | select(.netns == \"$RT\" and .type == 3 and .code == 4 and .mtu == 1400 and .orig_src == \"10.0.1.1\") | .count] | add // 0 | . > 0")" true
eq fragneeded/seen_at_reds_port "$(summary "$TMP/fn" "[.icmp[] | select(.netns == \"$R\" and .dev == \"veth-red\" and .direction == \"ingress\" and .type == 3 and .code == 4 and .mtu == 1400 and .orig_dst == \"10.0.2.1\")] | length > 0")" true
finding "$TMP/fn" frag_needed | grep -q "$RT generated frag-needed (MTU 1400) for $R's 10.0.1.1->10.0.2.1 .*delivered to $R" &&
	pass fragneeded/finding || { fail fragneeded/finding "no finding"; summary "$TMP/fn" '.findings' | detail; }

# 4. IPv6: Packet Too Big with MTU 1400, and the cached route MTU.
for i in 1 2 3; do ip netns exec "$R" ping -c1 -W1 -q fd42:4e53:2::1 >/dev/null 2>&1 && break; done
start_watch "$TMP/ptb" "$R" || fail ptb "not ready"
ip netns exec "$R" ping -c2 -i0.3 -W1 -M do -s 1452 -q fd42:4e53:2::1 >/dev/null 2>&1
stop_watch
ip netns exec "$R" ip -6 route get fd42:4e53:2::1 | grep -q 'mtu 1400' && pass ptb/witness_pmtu_cached ||
	fail ptb/witness_pmtu_cached "no cached mtu 1400"
eq ptb/seen_at_reds_port "$(summary "$TMP/ptb" "[.icmp[] | select(.netns == \"$R\" and .direction == \"ingress\" and .type == 2 and .mtu == 1400)] | length > 0")" true
eq ptb/too_big_drop_in_router "$(summary "$TMP/ptb" "[.drops[] | select(.netns == \"$RT\" and .reason == \"PKT_TOO_BIG\") | .count] | add // 0 | . > 0")" true
finding "$TMP/ptb" packet_too_big | grep -q "$RT generated packet-too-big (MTU 1400) for $R's fd42:4e53:1::1->fd42:4e53:2::1.*delivered to $R" &&
	pass ptb/finding || { fail ptb/finding "no finding"; summary "$TMP/ptb" '.findings' | detail; }

# 5. doctor: the router's forwarding switched off is the one problem.
check doctor/router_healthy "$NST" doctor --topo topologies/router-mtu.topo --prefix "$P"
ip netns exec "$RT" sysctl -qw net.ipv4.ip_forward=0
"$NST" doctor --topo topologies/router-mtu.topo --prefix "$P" >"$TMP/doc" 2>&1; rc=$?
eq doctor/forwarding_off_exit 4 "$rc"
eq doctor/forwarding_off_exactly_one "$(grep -c '^problem:' "$TMP/doc")" 1
grep -q "$RT routes for .* but net.ipv4.ip_forward is 0" "$TMP/doc" && pass doctor/forwarding_off_named ||
	{ fail doctor/forwarding_off_named "wrong problem"; detail <"$TMP/doc"; }
"$NST" topo down --prefix "$P" topologies/router-mtu.topo

# 6. doctor finds nothing on the healthy bundled topologies.
for f in bridge pair three-tier; do
	topo_up "topologies/$f.topo" >/dev/null 2>&1
	check "doctor/healthy/$f" "$NST" doctor --topo "topologies/$f.topo" --prefix "$P"
	"$NST" topo down --prefix "$P" "topologies/$f.topo"
done
