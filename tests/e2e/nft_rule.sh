#!/bin/bash
# The nftables rule behind a NETFILTER_DROP (watch --why: from the start
# where a ruleset is, else after a namespace's first NETFILTER_DROP), from
# nftables' own tracing: named with
# its table, chain, handle and text as nft itself lists them, the
# topology line for rules topo made, iptables-nft's rules as such; the
# traced count equals the rule's own counter. The user's ruleset is the
# same after watch, after kill -9 + cleanup, and after the next watch.
# trace's verdict says an oversize frame's size and the MTU it exceeded.
. "$(dirname "$0")/../lib.sh"

ruleset() { ip netns exec "$1" nft -j list ruleset; }
no_trace_table() { ! ip netns exec "$1" nft list tables | grep -q nstrace_trace_; }
# story OUT JQ: the drop stories of OUT that carry a rule, filtered.
story() { grep '"type":"drop"' "$1" | jq -r "select(.rule) | $2" | sort -u; }

# --- three-tier: the router's topology rule, and an iptables-nft rule in
# a chain FORWARD jumps to (Docker's DOCKER-ISOLATION-STAGE-2 is one) ---
if ! topo_up topologies/three-tier.topo >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
W=${P}web A=${P}app D=${P}db R=${P}router
# Docker's way: FORWARD jumps to a chain of its own that drops.
{ ip netns exec "$R" iptables -N NST-ISOLATION &&
  ip netns exec "$R" iptables -A FORWARD -j NST-ISOLATION &&
  ip netns exec "$R" iptables -A NST-ISOLATION -p tcp --dport 8080 -j DROP; } ||
	fail iptables_rule "iptables failed"
ip netns exec "$A" timeout 60 nc -lk 8080 >/dev/null 2>&1 &
PIDS+=($!)
ip netns exec "$D" timeout 60 nc -lk 5432 >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.2
start_watch "$TMP/w" "$W" --why --interval 0 --pcap "$TMP/d.pcapng" || fail watch "not ready"
ip netns exec "$R" nft list tables | grep -q "table inet nstrace_trace_$WPID" &&
	pass why_adds_its_table || fail why_adds_its_table "no nstrace_trace_$WPID in router"
ip netns exec "$W" nc -z -w 2 10.10.3.2 5432 && fail web_blocked_from_db "connected"
ip netns exec "$W" nc -z -w 2 10.10.2.2 8080 && fail web_blocked_from_app "connected"
sleep 0.2
stop_watch
no_trace_table "$R" && pass table_removed_at_exit || fail table_removed_at_exit "still in router"

line=$(grep -n '^firewall router forward drop' topologies/three-tier.topo | cut -d: -f1)
handle=$(ip netns exec "$R" nft -a list chain inet nstrace forward | awk '/dport 5432/ && / drop / {print $NF}')
eq topo_rule_named "$(story "$TMP/w" 'select(.dport == 5432) | .rule | [.family, .table, .chain, .handle, .topo_line, .topo_file] | @tsv')" \
	"$(printf 'inet\tnstrace\tforward\t%s\t%s\t%s' "$handle" "$line" "$(realpath topologies/three-tier.topo)")"
story "$TMP/w" 'select(.dport == 5432) | .rule.text' | grep -qx 'ip daddr 10.10.3.2 tcp dport 5432 counter drop comment "line '"$line"'"' &&
	pass topo_rule_text_as_nft_prints_it || fail topo_rule_text_as_nft_prints_it "$(story "$TMP/w" '.rule.text')"
tshark -r "$TMP/d.pcapng" -Y 'tcp.dstport == 5432' -T fields -e frame.comment 2>/dev/null |
	grep -q "by nft rule inet nstrace forward handle $handle" && pass pcap_comment_names_rule ||
	fail pcap_comment_names_rule "$(tshark -r "$TMP/d.pcapng" -T fields -e frame.comment 2>&1 | head -3)"
ipt_handle=$(ip netns exec "$R" nft -a list chain ip filter NST-ISOLATION 2>/dev/null | awk '/dport 8080/ {print $NF}')
eq iptables_rule_named "$(story "$TMP/w" 'select(.dport == 8080) | .rule | [.family, .table, .chain, .handle, .iptables] | @tsv')" \
	"$(printf 'ip\tfilter\tNST-ISOLATION\t%s\ttrue' "$ipt_handle")"
# The witnesses: nft's and iptables' own counters.
nft_count=$(ip netns exec "$R" nft list chain inet nstrace forward |
	awk '/dport 5432 counter/ && / drop / {for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1)}')
ipt_count=$(ip netns exec "$R" iptables -L NST-ISOLATION -v -x -n | awk '/dpt:8080/ {print $1}')
eq traced_equals_nft_counter "$(summary "$TMP/w" "[.nft_rules[] | select(.table == \"nstrace\" and .handle == $handle) | .traced] | add // 0")" "$nft_count"
eq traced_equals_iptables_counter "$(summary "$TMP/w" "[.nft_rules[] | select(.table == \"filter\") | .traced] | add // 0")" "$ipt_count"
eq drops_equal_both_counters "$(drops "$TMP/w" "$R" rt-web NETFILTER_DROP)" "$((nft_count + ipt_count))"
[ "${nft_count:-0}" -gt 0 ] && [ "${ipt_count:-0}" -gt 0 ] && pass witnesses_counted ||
	fail witnesses_counted "nft '$nft_count' iptables '$ipt_count'"
summary "$TMP/w" '.drops[] | select(.reason == "NETFILTER_DROP") | .rule.chain' | grep -Eqx 'forward|NST-ISOLATION' &&
	pass summary_row_names_rule || fail summary_row_names_rule "no rule in the drop row"
"$NST" topo down --prefix "$P" topologies/three-tier.topo >/dev/null 2>&1

# --- a user's own rule in blue, not made by nstrace ---
if ! topo_up topologies/pair.topo >"$TMP/up" 2>&1; then
	fail pair_up "topo up failed"; detail <"$TMP/up"; exit 1
fi
B=${P}blue Rd=${P}red
# Blue has no ruleset when watch starts: --why leaves it alone until the
# first NETFILTER_DROP there, then says so.
start_watch "$TMP/u" "$Rd" --why --interval 0 || fail watch_user "not ready"
no_trace_table "$B" && pass why_not_where_no_ruleset || fail why_not_where_no_ruleset "table added at start"
ip netns exec "$B" nft add table inet filter
ip netns exec "$B" nft 'add chain inet filter input { type filter hook input priority 0; }'
ip netns exec "$B" nft add rule inet filter input tcp dport 80 drop
before=$(ruleset "$B")
ip netns exec "$Rd" nc -z -w 3 10.0.0.2 80 && fail user_rule_drops "connected"
stop_watch
uh=$(ip netns exec "$B" nft -a list chain inet filter input | awk '/dport 80 drop/ {print $NF}')
eq user_rule_named "$(story "$TMP/u" '.rule | [.table, .chain, .handle, .text, .iptables] | @tsv')" \
	"$(printf 'filter\tinput\t%s\ttcp dport 80 drop\tfalse' "$uh")"
grep '"type":"note"' "$TMP/u" | grep -q "drop in $B: added table inet nstrace_trace_" &&
	pass why_says_so || fail why_says_so "no note"
eq ruleset_same_after_watch "$(ruleset "$B" | md5sum)" "$(echo "$before" | md5sum)"

# kill -9: the table stays, leased; nstrace cleanup removes it.
start_watch "$TMP/k" "$Rd" --why || fail watch_kill "not ready"
kill -9 "$WPID"; wait "$WPID" 2>/dev/null
no_trace_table "$B" && fail kill9_leaves_table "the witness is void: no table after kill -9" ||
	pass kill9_leaves_table
"$NST" cleanup >"$TMP/c" 2>&1
grep -q "removed .*1 nftables tracing table" "$TMP/c" && pass cleanup_says_so || { fail cleanup_says_so "see below"; detail <"$TMP/c"; }
eq ruleset_same_after_cleanup "$(ruleset "$B" | md5sum)" "$(echo "$before" | md5sum)"
# ... and the next watch does it too.
start_watch "$TMP/k" "$Rd" --why || fail watch_kill2 "not ready"
no_trace_table "$B" && fail kill9_leaves_table2 "no table once ready"
kill -9 "$WPID"; wait "$WPID" 2>/dev/null
start_watch "$TMP/n" "$Rd" || fail watch_next "not ready"
stop_watch
grep -q "undid what an earlier nftrace" "$TMP/n.err" && pass next_watch_cleans ||
	{ fail next_watch_cleans "no word of it"; detail <"$TMP/n.err"; }
eq ruleset_same_after_next_watch "$(ruleset "$B" | md5sum)" "$(echo "$before" | md5sum)"
"$NST" topo down --prefix "$P" topologies/pair.topo >/dev/null 2>&1

# --- trace: an oversize frame's verdict in words ---
if topo_up topologies/mtu-mismatch.topo >"$TMP/up" 2>&1; then
	mtu=$(ip -n "${P}blue" -j link show veth-blue | jq '.[0].mtu')
	rm -f "$TMP/t.ready"
	"$NST" trace "${P}red" --proto icmp --json --duration 20 --ready-file "$TMP/t.ready" >"$TMP/t" 2>"$TMP/t.err" &
	WPID=$!
	PIDS+=("$WPID")
	for i in $(seq 200); do [ -e "$TMP/t.ready" ] && break; sleep 0.05; done
	# 1464 bytes of data + 8 (ICMP) + 20 (IP) = 1492 on the wire.
	ip netns exec "${P}red" ping -c 1 -W 1 -s 1464 -M dont 10.0.3.2 >/dev/null &&
		fail mtu_witness "the oversize ping was answered"
	stop_watch
	grep '"type":"journey"' "$TMP/t" | jq -r '.verdict' | grep -qx "dropped: 1492 bytes > ${P}blue:veth-blue's MTU $mtu (NOT_SPECIFIED at __dev_forward_skb2\?.*" &&
		pass trace_verdict_says_mtu ||
		{ fail trace_verdict_says_mtu "see below"; grep '"type":"journey"' "$TMP/t" | jq -r .verdict | detail; }
else
	fail mtu_up "topo up failed"; detail <"$TMP/up"
fi
