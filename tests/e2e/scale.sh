#!/bin/bash
# A host with hundreds of containers: 200 namespaces on one bridge, built
# by topo up from a generated file, watched with --all. A refused connect
# in one of them is counted exactly (the kernel's TcpOutRsts is the
# witness), no count is lost, the plan and summary fit 80 columns, and
# containers coming and going while watching are covered within a second
# without leaking fds or memory, and watch holds far fewer fds than
# namespaces.
. "$(dirname "$0")/../lib.sh"

N=${NST_SCALE_NS:-200}
CHURN=${NST_SCALE_CHURN:-8}
F=$TMP/host.topo
{ echo "bridge hb0"; echo "addr hb0 10.77.255.254/16"
  for i in $(seq 1 "$N"); do
	echo "ns h$i"; echo "veth h$i:eth0 hb0"
	echo "addr h$i:eth0 10.77.$((i / 250)).$((i % 250 + 1))/16"
  done; } >"$F"
t0=$(date +%s%N)
if ! topo_up "$F" >"$TMP/up" 2>&1; then
	fail up "topo up of $N namespaces failed"; detail <"$TMP/up"; exit 1
fi
echo "    topo up of $N namespaces: $((($(date +%s%N) - t0) / 1000000)) ms"
A=${P}h7 B=${P}h9 BADDR=10.77.0.10

# 1. Exact at scale: no count lost. (Latency samples may be: a histogram
#    is 2 KB per CPU, allocated on first use, and the kernel refuses many
#    at once in softirq; those are counted apart, KNOWN_ISSUES.md.)
start_watch "$TMP/w" --all || { fail exact/ready "not ready"; exit 1; }
# A user's filter on one port while we watch: our clsact qdisc there must
# stay for it at exit; every other port's goes (released a namespace at a
# time, user/detach.c). A port past the first 16 hooks (those get tcx
# links, no qdisc): the first with our clsact qdisc.
UP=
for i in $(seq 5 "$N"); do
	tc qdisc show dev "${P}hb0-h$i" 2>/dev/null | grep -q clsact && { UP=${P}hb0-h$i; break; }
done
tc filter add dev "$UP" ingress prio 30000 bpf da obj .output/test-user_accept.bpf.o sec tc 2>"$TMP/tcf" ||
	{ fail exit/user_filter_added "$(cat "$TMP/tcf")"; }
before=$(nsstat "$B" TcpOutRsts)
for i in 1 2 3; do ip netns exec "$A" bash -c "echo > /dev/tcp/$BADDR/81" 2>/dev/null; done
after=$(nsstat "$B" TcpOutRsts)
sleep 0.5
stop_watch
eq exact/no_socket "$(drops "$TMP/w" "$B" eth0 NO_SOCKET)" "$((after - before))"
eq exact/counts_lost "$(summary "$TMP/w" '.counts_lost')" 0
# New hops' histograms the kernel cannot allocate in softirq (hundreds
# here) come apart through the ring buffer: none lost.
eq exact/latency_samples_lost "$(summary "$TMP/w" '.latency_samples_lost')" 0
echo "    latency samples lost: $(summary "$TMP/w" '.latency_samples_lost'), sent apart: $(summary "$TMP/w" '.latency_samples_apart'), map entries: $(summary "$TMP/w" '.map_entries' | jq -c .)"
nports=$(grep '"type":"plan"' "$TMP/w" | jq '.ports | length')
[ "$nports" -ge $((2 * N)) ] && pass plan/all_ports || fail plan/all_ports "$nports ports planned"
# The plan is still the first line, though a large host's ports attach
# after it is told (and stories flow meanwhile).
# (tcx links for the first 16 hooks, clsact filters for the rest; clsact
# only below 6.6.)
tcx_available && want=tcx+clsact || want=clsact
eq plan/first_line "$(head -1 "$TMP/w" | jq -r '.type + " " + .tc')" "plan $want"
eq exit/user_filter_kept "$(tc filter show dev "$UP" ingress | grep -c 'user_accept')" 1
eq exit/our_filter_gone "$(tc filter show dev "$UP" ingress | grep -c 'watch_tc')" 0
eq exit/other_qdiscs_gone "$(tc qdisc show | grep -c clsact)" 1
eq exit/namespace_side_gone "$(for i in 1 100 "$N"; do tc -n "${P}h$i" qdisc show; done | grep -c clsact)" 0
tc qdisc del dev "$UP" clsact 2>/dev/null

# 2. Readable: plan and summary in 80 columns (not a tty), the quiet
#    majority summarised.
"$NST" watch --all --lines --duration 1.5 >"$TMP/lines" 2>"$TMP/lines.err"
# Columns, not bytes: µ is one column.
grep -v '^[0-9][0-9]:' "$TMP/lines" | sed 's/µ/u/g' >"$TMP/lines.c"
wide=$(awk 'length($0) > 80' "$TMP/lines.c" | wc -l)
eq readable/fits_80_columns "$wide" 0
[ "$wide" = 0 ] || awk 'length($0) > 80' "$TMP/lines.c" | detail 5
grep -Eq "^  root +.*hb0.* \+ [0-9]+ ports" "$TMP/lines" && pass readable/plan_summarised ||
	{ fail readable/plan_summarised "no 'root ... + N ports'"; detail <"$TMP/lines"; }
grep -Eq "^  and [0-9]+ more namespaces" "$TMP/lines" && grep -Eq "^  and [0-9]+ quieter ports" "$TMP/lines" &&
	pass readable/tables_summarised || fail readable/tables_summarised "no 'and N more' lines"
# Stories aside (each drop told once), a screenful or two, not a line a port.
[ "$(wc -l <"$TMP/lines.c")" -lt 120 ] && pass readable/short || fail readable/short "$(wc -l <"$TMP/lines.c") lines"

# 3. Churn: containers (a namespace and a veth on the bridge) created and
#    destroyed while watching --all. Both ends of each one's veth carry our
#    programs within a second (bpftool sees them), and its closed port gets
#    a datagram a second after: counted only if it was covered by then.
#    IPv6 is off on both ends of its veth, so what crossed it is known: the
#    kernel's own counters, read just before the container goes, are the
#    witness of what the summary must still tell about it.
# map_keys PID GONE_NS GONE_PORTS MAP...: "MAP KEYS STALE" for each BPF map
# of PID so named (bpftool, an independent witness): its keys (port_slots
# and drop_slots: the slots in use), and how many of them are of a gone
# namespace (an inode in the JSON array GONE_NS) or port ("inode:ifindex"
# in GONE_PORTS).
map_keys() {
	local pid=$1 gns=$2 gports=$3 fd id ids=() m
	shift 3
	for fd in /proc/"$pid"/fdinfo/*; do
		id=$(awk '/^map_id:/ {print $2}' "$fd" 2>/dev/null)
		[ -n "$id" ] && ids+=("$id")
	done
	bpftool -j map show | jq -r --arg ids " ${ids[*]} " '.[] | .id as $i | select($ids | contains(" \($i) ")) | "\(.id) \(.name)"' |
	while read -r id m; do
		for want in "$@"; do
			[ "$m" = "$want" ] || continue
			# Each key as the places it names: [[netns, ifindex], ...].
			case $m in
			port_slots) f='.[] | .formatted.values[0].value | select(.netns != 0) | [[.netns, .ifindex]]' ;;
			drop_slots) f='.[].formatted.values[].value.k | select(.location != 0) | [[.netns, .ifindex]]' ;;
			hop_hist) f='.[].formatted.key | [[.from_netns, .from_ifindex], [.to_netns, .to_ifindex]]' ;;
			pair_hist) f='.[].formatted.key | [[.src_netns, 0], [.dst_netns, 0]]' ;;
			icmp_gen) f='.[].formatted.key | [[.netns, 0]]' ;;
			*) f='.[].formatted.key | [[.netns, .ifindex]]' ;;
			esac
			bpftool -j map dump id "$id" | jq -r --argjson ns "$gns" --argjson ports "$gports" --arg m "$m" \
				"[$f] | [length, map(select(any(.[]; (.[0] as \$n | any(\$ns[]; . == \$n)) or
					(\"\(.[0]):\(.[1])\" as \$p | any(\$ports[]; . == \$p))))) | length] |
					\"\(\$m) \(.[0]) \(.[1])\""
		done
	done | sort
}
CHURN_MAPS="drops icmp_wire icmp_gen hop_hist pair_hist port_slots drop_slots"
# Only the last KEEP gone namespaces (and gone ports) are told in detail;
# the older ones' rows are folded into "(older gone namespaces)" rows
# (user/watch/older.h: 256; here 1, so that some are: the kernel reuses
# a gone namespace's inode, so 8 containers may be only 3 or 4 inodes).
KEEP=${NST_SCALE_KEEP:-1}
NSTRACE_GONE_KEEP=$KEEP start_watch "$TMP/c" --all || { fail churn/ready "not ready"; exit 1; }
sleep 1
fd0=$(ls /proc/"$WPID"/fd | wc -l)
map_keys "$WPID" '[]' '[]' $CHURN_MAPS >"$TMP/keys0"
: >"$TMP/witness"
for k in $(seq 1 "$CHURN"); do
	c=${P}c$k
	ip netns add "$c"
	ip netns exec "$c" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip link add "${P}cv$k" type veth peer name eth0 netns "$c"
	sysctl -qw "net.ipv6.conf.${P}cv$k.disable_ipv6=1"
	ip link set "${P}cv$k" master "${P}hb0"
	ip -n "$c" addr add "10.77.250.$k/16" dev eth0
	ip -n "$c" link set eth0 up
	ip -n "$c" link set lo up
	# Nothing crosses its veth until both ends have our programs (the
	# kernel's counters then count what we do): within a second.
	t0=$(date +%s%N) late=1
	while [ $(($(date +%s%N) - t0)) -lt 1000000000 ]; do
		if [ "$(ip netns exec "$c" bpftool -j net show dev eth0 | jq '.[0].tc | length')" -ge 2 ] &&
			[ "$(bpftool -j net show dev "${P}cv$k" | jq '.[0].tc | length')" -ge 2 ]; then
			late=0; break
		fi
		sleep 0.05
	done
	nlate=$((${nlate:-0} + late))
	ip link set "${P}cv$k" up
	sleep 1
	ip netns exec "${P}h1" bash -c "echo x >/dev/udp/10.77.250.$k/9" 2>/dev/null
	sleep 0.2
	# Nothing crosses its veth from here on: the kernel's counters are final.
	ip link set "${P}cv$k" down
	sleep 0.1
	# witness: name inode rx tx icmp_out_dest_unreach ip_out root_ifindex
	# root_rx root_tx (its veth's host end). tx: what the device was handed,
	# sent or dropped (nstrace counts at egress, before the veth drops a
	# frame its peer's full backlog refuses: 0-133 a container here).
	echo "$c $(ip netns exec "$c" stat -L -c %i /proc/self/ns/net)" \
		"$(ip -n "$c" -j -s link show eth0 | jq -r '.[0].stats64 | "\(.rx.packets) \(.tx.packets + .tx.dropped)"')" \
		"$(ip netns exec "$c" nstat -az IcmpOutDestUnreachs | awk '$1 == "IcmpOutDestUnreachs" {print $2}')" \
		"$(ip netns exec "$c" nstat -az IpOutRequests | awk '$1 == "IpOutRequests" {print $2}')" \
		"$(ip -j link show "${P}cv$k" | jq .[0].ifindex)" \
		"$(ip -j -s link show "${P}cv$k" | jq -r '.[0].stats64 | "\(.rx.packets) \(.tx.packets + .tx.dropped)"')" >>"$TMP/witness"
	ip link del "${P}cv$k"
	ip netns del "$c"
	# RSS from the second on: the first re-plans and the first drop told
	# (the kernel's symbols, ~5 MB) size malloc's heap once.
	if [ "$k" = 2 ]; then sleep 1.5; rss0=$(awk '/VmRSS/ {print $2}' /proc/"$WPID"/status); fi
done
# A deleted namespace is noticed within a second (its monitor closed);
# its keys are folded at the next read, a gone port's slot freed at the one
# after, and keys about it on ports that live (the ICMP it sent, seen on
# h1's port) once quiet for 5 s (user/watch/fold.h).
sleep 7
fd1=$(ls /proc/"$WPID"/fd | wc -l)
rss1=$(awk '/VmRSS/ {print $2}' /proc/"$WPID"/status)
root=$(stat -L -c %i /proc/self/ns/net)
gns=$(awk '{print $2}' "$TMP/witness" | jq -s -c .)
gports=$(awk -v r="$root" '{print "\"" r ":" $7 "\""}' "$TMP/witness" | jq -s -c .)
map_keys "$WPID" "$gns" "$gports" $CHURN_MAPS >"$TMP/keys1"
stop_watch
echo "    churn: fds $fd0 -> $fd1, rss ${rss0} -> ${rss1} kB," \
	"keys $(join "$TMP/keys0" "$TMP/keys1" | awk '{printf "%s %s -> %s (%s stale), ", $1, $2, $4, $5}')" \
	"slots $(summary "$TMP/c" '.slots' | jq -c .)"
OLDER="(older gone namespaces)"
got=$(summary "$TMP/c" '[.drops[] | select(.reason == "NO_SOCKET" and .location == "__udp4_lib_rcv" and ((.netns | startswith("'"${P}c"'")) or .netns == "'"$OLDER"'")) | .count] | add // 0')
eq churn/every_container_covered "$got" "$CHURN"
eq churn/attached_within_1s "${nlate:-0}" 0
[ "$got" = "$CHURN" ] || { summary "$TMP/c" '.drops[] | select(.reason == "NO_SOCKET") | "\(.netns) \(.netns_inode) \(.dev) \(.location) \(.count)"' | detail 20; awk '{print $1, $2}' "$TMP/witness" | detail; }
[ "$fd1" -le "$fd0" ] && pass churn/fds_flat || fail churn/fds_flat "$fd0 -> $fd1"
# Map occupancy: the gone containers' keys are folded into their rows and
# deleted, so the port counters hold the bridge's ports only (2 keys each).
pk=$(summary "$TMP/c" '.map_entries.ports')
[ "$pk" -le $((2 * (2 * N + 1))) ] && pass churn/map_entries_flat ||
	fail churn/map_entries_flat "$pk port keys for $((2 * N + 1)) ports"
# No key in the counters of drops, ICMP and latency, nor a port slot, is
# of a gone container's namespace or port; and the ICMP maps (quiet on
# this bridge) end as they began. Each container left a key or more in
# each (its ports' hops, the ICMP error it sent, seen on 4 ports). Drop
# slots are freed by the next key that needs one (counters.bpf.h): told
# (stale), not asserted.
while read -r m n0 _ n1 stale; do
	[ "$m" = drop_slots ] && continue
	[ "$stale" = 0 ] && pass "churn/no_stale_$m" || fail "churn/no_stale_$m" "$stale of $n1 keys are of gone containers"
	case $m in icmp_*|pair_hist)
		[ "$n1" -le $((n0 + 2)) ] && pass "churn/flat_$m" || fail "churn/flat_$m" "$n0 keys at the start, $n1 after $CHURN containers"
	esac
done < <(join "$TMP/keys0" "$TMP/keys1")
# The gone ports' slots were freed, and the JSON says none is held.
eq churn/port_slots_freed "$(summary "$TMP/c" '.slots.ports_gone')" 0
# What the gone containers did is still in the summary, exactly. The
# kernel gives a new namespace the inode of one gone before (8 containers
# are often 2-4 inodes): such containers share a row under the first one's
# name, and the older ones' rows are folded into "(older gone namespaces)"
# whenever more than KEEP places went after them, so one inode's history
# may be part in its row and part in the aggregate. Hence: no row holds
# more than the kernel counted for its inode, and the totals (rows and
# aggregate) are exact: both ends' packets and the ICMP errors they
# generated (their NO_SOCKET drops: every_container_covered), and at most
# one hop per IP packet out.
lost=$(summary "$TMP/c" '.latency_samples_lost')
one_in=$(summary "$TMP/c" '.latency_timed_1_in')
bad=0 older_inodes=0
while read -r ino rx tx icmp ipout n; do
	label=$(summary "$TMP/c" "[.ports[] | select(.netns_inode == $ino and .dev == \"eth0\") | .netns] | first // \"\"")
	if [ -z "$label" ]; then
		older_inodes=$((older_inodes + 1))
		continue
	fi
	got=$(summary "$TMP/c" "[.ports[] | select(.netns_inode == $ino and .dev == \"eth0\")] | \"\(map(.rx_packets) | add) \(map(.tx_packets) | add)\"")
	gen=$(summary "$TMP/c" "[.icmp_generated[] | select(.netns_inode == $ino) | .count] | add // 0")
	hop=$(summary "$TMP/c" "[.latency[] | select(.kind == \"hop\" and .src_netns == \"$label\" and .hop[0].dev == \"eth0\" and .hop[0].dir == \"egress\") | .count] | add // 0")
	if [ "${got% *}" -gt "$rx" ] || [ "${got#* }" -gt "$tx" ] || [ "$gen" -gt "$icmp" ] || [ "$hop" -gt "$ipout" ]; then
		bad=$((bad + 1))
		echo "    inode $ino ($label): ports $got (kernel $rx $tx), ICMP generated $gen (kernel $icmp), hops $hop (IP out $ipout)"
	fi
done < <(awk '{rx[$2] += $3; tx[$2] += $4; ic[$2] += $5; ip[$2] += $6; n[$2]++}
	END {for (i in rx) print i, rx[i], tx[i], ic[i], ip[i], n[i]}' "$TMP/witness")
eq churn/no_row_above_its_kernel "$bad" 0
# Totals over every gone container: its namespace's rows (by inode), its
# host end's row (root, by ifindex) while told in detail, and the aggregate.
inodes=$(awk '{print $2}' "$TMP/witness" | sort -u | jq -s -c .)
root_ifx=$(awk '{print $7}' "$TMP/witness" | jq -s -c .)
root=$(stat -L -c %i /proc/self/ns/net)
want=$(awk '{rx += $3 + $8; tx += $4 + $9; ic += $5} END {print rx, tx, ic}' "$TMP/witness")
got=$(summary "$TMP/c" "[([.ports[] | select((.netns_inode as \$i | $inodes | index(\$i)) and .dev == \"eth0\"
		or (.netns_inode == $root and (.ifindex as \$x | $root_ifx | index(\$x)))
		or .netns == \"$OLDER\")] | \"\(map(.rx_packets) | add) \(map(.tx_packets) | add)\"),
	([.icmp_generated[] | select((.netns_inode as \$i | $inodes | index(\$i)) or .netns == \"$OLDER\") | .count] | add // 0)]
	| map(tostring) | join(\" \")")
eq churn/gone_totals_exact "$got" "$want"
[ "$got" = "$want" ] || echo "    (rx and tx of both ends, ICMP generated; $lost samples lost, timed 1 in $one_in)"
# At most KEEP gone namespaces told in detail, the older ones folded.
detail=$(summary "$TMP/c" '[.ports[] | select(.netns | startswith("'"${P}c"'")) | .netns_inode] | unique | length')
[ "$detail" -le "$KEEP" ] && [ "$older_inodes" -gt 0 ] && pass churn/older_folded ||
	fail churn/older_folded "$detail gone namespaces in detail (at most $KEEP), $older_inodes folded"
eq churn/older_label "$(summary "$TMP/c" '.older_gone | "\(.namespaces >= '"$older_inodes"') \(.kept)"')" "true $KEEP"
# One link monitor socket for the namespaces our own has an id for (every
# one here), not one per namespace.
# (Plus the first 16 hooks' tcx links, an fd each.)
[ "$fd0" -lt $((N / 4 + 16)) ] && pass fds/not_one_per_namespace ||
	fail fds/not_one_per_namespace "$fd0 fds open watching $N namespaces"
# RSS flat: a gone container keeps a few KB of rows (its counts for the
# summary: drops, ports, packed histograms); a whole histogram kept per
# gone hop (2 KB each, 5 a container) or a table per re-plan crosses this.
[ $((rss1 - rss0)) -lt 512 ] && pass churn/rss_flat || fail churn/rss_flat "$rss0 -> $rss1 kB"
errs=$(grep -Eic "error|cannot|fail" "$TMP/c.err")
eq churn/no_error_lines "$errs" 0
[ "$errs" = 0 ] || detail <"$TMP/c.err"
