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
# time, user/detach.c).
UP=${P}hb0-h5
tc filter add dev "$UP" ingress prio 30000 bpf da obj .output/test-user_accept.bpf.o sec tc 2>"$TMP/tcf" ||
	{ fail exit/user_filter_added "$(cat "$TMP/tcf")"; }
before=$(nsstat "$B" TcpOutRsts)
for i in 1 2 3; do ip netns exec "$A" bash -c "echo > /dev/tcp/$BADDR/81" 2>/dev/null; done
after=$(nsstat "$B" TcpOutRsts)
sleep 0.5
stop_watch
eq exact/no_socket "$(drops "$TMP/w" "$B" eth0 NO_SOCKET)" "$((after - before))"
eq exact/counts_lost "$(summary "$TMP/w" '.counts_lost')" 0
echo "    latency samples lost: $(summary "$TMP/w" '.latency_samples_lost'), map entries: $(summary "$TMP/w" '.map_entries' | jq -c .)"
nports=$(grep '"type":"plan"' "$TMP/w" | jq '.ports | length')
[ "$nports" -ge $((2 * N)) ] && pass plan/all_ports || fail plan/all_ports "$nports ports planned"
# The plan is still the first line, though a large host's ports attach
# after it is told (and stories flow meanwhile).
eq plan/first_line "$(head -1 "$TMP/w" | jq -r '.type + " " + .tc')" "plan clsact"
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
#    destroyed while watching --all. Each one's closed port gets a datagram
#    a second after it appeared: counted only if it was covered by then.
start_watch "$TMP/c" --all || { fail churn/ready "not ready"; exit 1; }
fd0=$(ls /proc/"$WPID"/fd | wc -l)
rss0=$(awk '/VmRSS/ {print $2}' /proc/"$WPID"/status)
for k in $(seq 1 "$CHURN"); do
	c=${P}c$k
	ip netns add "$c"
	ip link add "${P}cv$k" type veth peer name eth0 netns "$c"
	ip link set "${P}cv$k" master "${P}hb0" up
	ip -n "$c" addr add "10.77.250.$k/16" dev eth0
	ip -n "$c" link set eth0 up
	ip -n "$c" link set lo up
	sleep 1
	ip netns exec "${P}h1" bash -c "echo x >/dev/udp/10.77.250.$k/9" 2>/dev/null
	sleep 0.2
	ip link del "${P}cv$k"
	ip netns del "$c"
done
sleep 1.5   # a deleted namespace is noticed within a second (its monitor closed)
fd1=$(ls /proc/"$WPID"/fd | wc -l)
rss1=$(awk '/VmRSS/ {print $2}' /proc/"$WPID"/status)
stop_watch
echo "    churn: fds $fd0 -> $fd1, rss ${rss0} -> ${rss1} kB"
got=$(summary "$TMP/c" '[.drops[] | select(.reason == "NO_SOCKET" and .location == "__udp4_lib_rcv") | .count] | add // 0')
eq churn/every_container_covered "$got" "$CHURN"
[ "$got" = "$CHURN" ] || summary "$TMP/c" '.drops[] | select(.reason == "NO_SOCKET") | [.netns, .netns_inode, .dev, .location, .count] | @tsv' | detail 20
eq churn/fds_flat "$fd1" "$fd0"
# Map occupancy: the gone containers' keys are folded into their rows and
# deleted, so the port counters hold the bridge's ports only (2 keys each).
pk=$(summary "$TMP/c" '.map_entries.ports')
[ "$pk" -le $((2 * (2 * N + 1))) ] && pass churn/map_entries_flat ||
	fail churn/map_entries_flat "$pk port keys for $((2 * N + 1)) ports"
# One link monitor socket for the namespaces our own has an id for (every
# one here), not one per namespace.
[ "$fd0" -lt $((N / 4)) ] && pass fds/not_one_per_namespace ||
	fail fds/not_one_per_namespace "$fd0 fds open watching $N namespaces"
# RSS: within 10 MB (the first re-plans grow malloc's arenas by ~8 MB,
# as before this test; a leak per container would grow without bound).
[ $((rss1 - rss0)) -lt 10240 ] && pass churn/rss_bounded || fail churn/rss_bounded "$rss0 -> $rss1 kB"
errs=$(grep -Eic "error|cannot|fail" "$TMP/c.err")
eq churn/no_error_lines "$errs" 0
[ "$errs" = 0 ] || detail <"$TMP/c.err"
