#!/bin/bash
# Firewall and NAT statements in topology files: applied with libnftables
# inside the namespace, witnessed by real connections and nft's own
# counters, reported by watch as NETFILTER_DROP, and gone after topo down.
. "$(dirname "$0")/../lib.sh"

if ! topo_up topologies/three-tier.topo >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
W=${P}web A=${P}app D=${P}db R=${P}router
ip netns exec "$R" nft list table inet nstrace >"$TMP/rules" 2>&1 &&
	grep -q 'tcp dport 5432 counter packets 0 bytes 0 drop' "$TMP/rules" &&
	pass rules_in_router || { fail rules_in_router "no drop rule in router"; detail <"$TMP/rules"; }

# Listeners, bounded in time, killed by PID by the trap.
ip netns exec "$A" timeout 60 nc -lk 8080 >/dev/null 2>&1 &
PIDS+=($!)
ip netns exec "$D" timeout 60 nc -lk 5432 >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.3

start_watch "$TMP/w" "$W" || fail watch "not ready"
ip netns exec "$W" nc -z -w 2 10.10.2.2 8080 && pass web_reaches_app || fail web_reaches_app "connect failed"
ip netns exec "$A" nc -z -w 2 10.10.3.2 5432 && pass app_reaches_db || fail app_reaches_db "connect failed"
ip netns exec "$W" nc -z -w 1 10.10.3.2 5432 && fail web_blocked_from_db "connected" || pass web_blocked_from_db
sleep 0.3
stop_watch
# Without --why nstrace adds nothing to the router's ruleset.
ip netns exec "$R" nft list tables | grep -q nstrace_trace_ &&
	fail no_trace_table_unasked "a tracing table without --why" || pass no_trace_table_unasked
# The witness: the drop rule's own counter in router.
nft_count=$(ip netns exec "$R" nft list table inet nstrace |
	awk '/dport 5432 counter/ && / drop / {for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1)}')
got=$(summary "$TMP/w" "[.drops[] | select(.netns == \"$R\" and .reason == \"NETFILTER_DROP\") | .count] | add // 0")
[ "${nft_count:-0}" -gt 0 ] && eq watch_counts_router_drops "$got" "$nft_count" ||
	fail watch_counts_router_drops "nft counted '${nft_count}'"
summary "$TMP/w" '.drops[] | select(.reason == "NETFILTER_DROP") | .dev' | grep -qx rt-web &&
	pass drop_charged_to_ingress_port || fail drop_charged_to_ingress_port "dev not rt-web"

# Gone with topo down: the rules lived in router, which is gone.
"$NST" topo down --prefix "$P" topologies/three-tier.topo >/dev/null 2>&1
ip netns list | grep -q "^$R" && fail down_removes "router still there" || pass down_removes

# NAT: wan has no route back to lan, so a reply means gw masqueraded.
if topo_up topologies/gateway.topo >"$TMP/up" 2>&1; then
	ip netns exec "${P}lan" ping -c 2 -i 0.2 -W 1 203.0.113.2 >/dev/null &&
		pass masquerade_replies || fail masquerade_replies "no reply through gw"
	masq=$(ip netns exec "${P}gw" nft list table inet nstrace | grep -c 'oifname "gw-wan" counter packets [1-9].* masquerade')
	eq masquerade_counted "$masq" 1
	ip netns exec "${P}wan" ip route get 192.168.7.2 >/dev/null 2>&1 &&
		fail wan_has_no_route "the witness is void: wan can route to lan" || pass wan_has_no_route
else
	fail gateway_up "topo up failed"; detail <"$TMP/up"
fi

# All or nothing: a bad nft command leaves nothing, and names its line.
before=$(snapshot)
printf 'ns a\nns b\nveth a:e0 b:e0\nfirewall a input drop tcp port 22\nnft a add rule inet nstrace input junk\n' >"$TMP/bad.topo"
expect_exit bad_nft_names_line 2 "bad.topo:5: cannot set up the firewall of '${P}a': Error: " \
	"$NST" topo up --prefix "$P" "$TMP/bad.topo"
eq bad_nft_leaves_nothing "$(snapshot | md5sum)" "$(echo "$before" | md5sum)"
