#!/bin/bash
# SIGKILL at the worst moments: during attach, while streaming (tcx and
# clsact), during topo up. Afterwards tc, bpftool, ip netns and
# /run/nstrace show nothing of ours: tcx links die with the process,
# clsact filters and half-built topologies are undone from their leases.
. "$(dirname "$0")/../lib.sh"

BIG=$TMP/big.topo
{ echo "bridge kb0"; for i in $(seq 1 20); do echo "ns k$i"; echo "veth k$i:eth0 kb0"; echo "addr k$i:eth0 10.1.0.$i/24"; done; } >"$BIG"
if ! topo_up "$BIG" >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
ours() {   # our BPF programs still loaded (held by a link or a filter)
	bpftool prog show -j 2>/dev/null | jq '[.[] | select(.name // "" | startswith("watch_"))] | length'
}
filters() {   # our tc filters on every port of the topology, and tc/tcx entries bpftool sees
	{ for l in $(ip -o link | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^${P}"); do
		tc filter show dev "$l" ingress; tc filter show dev "$l" egress; done
	  for ns in $(ip netns list | awk '{print $1}' | grep "^$P"); do
		ip netns exec "$ns" tc filter show dev eth0 ingress; ip netns exec "$ns" tc filter show dev eth0 egress
		ip netns exec "$ns" bpftool net -j | jq -r '.[] | (.tc // [])[] | .name'; done
	  bpftool net -j | jq -r '.[] | (.tc // [])[] | .name'; } 2>/dev/null | grep -c 'watch_tc'
}
settle() {   # the kernel frees a dead process's links a moment later
	for i in $(seq 40); do [ "$(ours)" = 0 ] && return; sleep 0.05; done
}
kill_at() {   # SECONDS|lease|ready ARGS...: start watch, SIGKILL it after SECONDS,
	      # once its lease exists, or half a second into streaming
	rm -f "$TMP/kill.ready"
	"$NST" watch "${@:2}" --lines -q --duration 60 --ready-file "$TMP/kill.ready" >/dev/null 2>&1 &
	local p=$! i
	if [ "$1" = lease ]; then   # attach has begun: the lease is written before the first filter
		for i in $(seq 3000); do ls /run/nstrace/watch-*.lease >/dev/null 2>&1 && break; sleep 0.01; done
	elif [ "$1" = ready ]; then   # streaming (emulated kernels take seconds to get there)
		for i in $(seq 600); do [ -e "$TMP/kill.ready" ] && break; sleep 0.1; done
		sleep 0.5
	else
		sleep "$1"
	fi
	kill -9 "$p"
	wait "$p" 2>/dev/null
}
links() { bpftool link show -j 2>/dev/null | jq length; }
LINKS0=$(links)
eq before/nothing_of_ours "$(ours) $(filters)" "0 0"

# Kernels before 6.6 have no tcx: watch falls back to clsact there, whose
# filters outlive the process until their lease is undone (cases 1 and 2).
tcx_available && TCX=1 || TCX=
undo_if_clsact() { [ -n "$TCX" ] || "$NST" cleanup >/dev/null 2>&1; }

# Under qemu's emulation (make check-kernels) an RCU grace period takes
# seconds, and a killed process releases each tcx link before it is gone:
# 82 links outlast the test's time there. Only k1's own port, then.
ONLY=; [ -n "${NST_EMULATED:-}" ] && ONLY=--only

# 1. tcx, killed while attaching 41 ports (~1.5 s of attaching).
kill_at 0.5 "${P}k1" --tcx $ONLY
undo_if_clsact
settle
eq attach_tcx/nothing_left "$(ours) $(filters)" "0 0"

# 2. tcx, killed while streaming.
kill_at ready "${P}k1" --tcx $ONLY
undo_if_clsact
settle
eq streaming_tcx/nothing_left "$(ours) $(filters)" "0 0"

# 3. The default (tcx links for the first 16 hooks, clsact filters for the
#    other 66), killed while streaming: the filters stay until the lease
#    is undone.
kill_at ready "${P}k1"
n=$(for l in $(ip -o link | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^${P}"); do
	tc filter show dev "$l" ingress; tc filter show dev "$l" egress; done | grep -c 'handle 0x4e53 watch_tc')
n=$((n + $(for ns in $(ip netns list | awk '{print $1}' | grep "^$P"); do
	ip netns exec "$ns" tc filter show dev eth0 ingress; ip netns exec "$ns" tc filter show dev eth0 egress
	done | grep -c 'handle 0x4e53 watch_tc')))
[ "$n" -gt 0 ] && pass streaming_clsact/filters_outlive_the_process ||
	fail streaming_clsact/filters_outlive_the_process "no filter left: the test proves nothing"
ls /run/nstrace/watch-*.lease >/dev/null 2>&1 && pass streaming_clsact/lease_written ||
	fail streaming_clsact/lease_written "no lease"
"$NST" cleanup >"$TMP/cleanup" 2>&1
grep -q "removed $n clsact filters" "$TMP/cleanup" && pass streaming_clsact/cleanup_says_what ||
	{ fail streaming_clsact/cleanup_says_what "want 'removed $n clsact filters'"; detail <"$TMP/cleanup"; }
settle
eq streaming_clsact/nothing_left "$(ours) $(filters) $(ls /run/nstrace 2>/dev/null | wc -l)" "0 0 0"

# 4. clsact, killed while attaching (once its lease exists: a fixed 0.5 s is
#    still loading under qemu's emulation); the next watch undoes it by itself.
kill_at lease "${P}k1" --clsact
"$NST" watch "${P}k2" --only --lines -q --duration 0.2 >/dev/null 2>"$TMP/next"
grep -q "undid what an earlier watch" "$TMP/next" && pass attach_clsact/next_watch_repairs ||
	{ fail attach_clsact/next_watch_repairs "no word of it"; detail <"$TMP/next"; }
settle
eq attach_clsact/nothing_left "$(ours) $(filters) $(ls /run/nstrace 2>/dev/null | wc -l)" "0 0 0"

# 5. A watch in a child PID namespace sharing /run (a container's nstrace):
#    its lease names a pid of that namespace, which here is another process
#    or none. cleanup looks it up there: a running watch keeps its filters;
#    once it is killed (its namespace lives on), they are removed.
rm -f "$TMP/pidns.ready"
unshare --pid --fork --mount-proc bash -c "sleep 120 & \"$NST\" watch ${P}k1 --only --clsact \
	--lines -q --duration 60 --ready-file $TMP/pidns.ready >/dev/null 2>&1 & wait" &
UPID=$!; PIDS+=("$UPID")
for i in $(seq 600); do [ -e "$TMP/pidns.ready" ] && break; sleep 0.1; done
INIT=$(pgrep -P "$UPID" | head -1)
WATCH=$(for c in $(pgrep -P "$INIT"); do [ "$(cat /proc/"$c"/comm)" = nstrace ] && echo "$c"; done)
inner=$(awk '/^NSpid:/ {print $NF}' /proc/"$WATCH"/status 2>/dev/null)
"$NST" cleanup >"$TMP/cleanup_pidns" 2>&1
grep -q "pid $inner is running: left alone" "$TMP/cleanup_pidns" && [ "$(filters)" -gt 0 ] &&
	pass pidns/running_watch_left_alone ||
	{ fail pidns/running_watch_left_alone "watch pid $inner inside, $(filters) filters"; detail <"$TMP/cleanup_pidns"; }
kill -9 "$WATCH"
for i in $(seq 100); do [ -d /proc/"$WATCH" ] || break; sleep 0.05; done
"$NST" cleanup >"$TMP/cleanup_pidns" 2>&1
grep -q "pid $inner is gone: removed" "$TMP/cleanup_pidns" && pass pidns/killed_watch_undone ||
	{ fail pidns/killed_watch_undone "want 'pid $inner is gone: removed'"; detail <"$TMP/cleanup_pidns"; }
kill "$UPID" "$INIT" 2>/dev/null; wait "$UPID" 2>/dev/null
settle
eq pidns/nothing_left "$(ours) $(filters) $(ls /run/nstrace 2>/dev/null | wc -l)" "0 0 0"

# 6. topo up killed halfway: the next topo up of the file repairs it.
"$NST" topo down --prefix "$P" "$BIG" >/dev/null 2>&1
# 120 namespaces; 30 under emulation, where each takes a second or more.
NH=120; [ -n "${NST_EMULATED:-}" ] && NH=30
{ echo "bridge kc0"; for i in $(seq 1 $NH); do echo "ns c$i"; echo "veth c$i:eth0 kc0"; done; } >"$TMP/huge.topo"
UP_FILES+=("$TMP/huge.topo")
"$NST" topo up --prefix "$P" "$TMP/huge.topo" >/dev/null 2>&1 &
p=$!
# Killed once it has made some namespaces, long before its veths.
for i in $(seq 1000); do [ "$(ls /run/netns | grep -c "^${P}c")" -ge 10 ] && break; sleep 0.005; done
kill -9 "$p"
wait "$p" 2>/dev/null
half=$(ip netns list 2>/dev/null | grep -c "^${P}c")
ends=$(ip -o link | grep -c "${P}kc0-c")
# Halfway: something was built, and the lease (dropped when up is done) is still there.
[ "$half" -gt 0 ] && ls /run/nstrace/topo-*.lease >/dev/null 2>&1 && pass topo_up/killed_halfway ||
	fail topo_up/killed_halfway "$half of $NH namespaces, $ends of $NH veths, no lease: the test proves nothing"
echo "    killed with $half of $NH namespaces and $ends of $NH veths built"
"$NST" cleanup --dry-run >"$TMP/dry" 2>&1
grep -q "would remove .*$half namespaces" "$TMP/dry" && pass topo_up/cleanup_lists_it ||
	{ fail topo_up/cleanup_lists_it "dry run"; detail <"$TMP/dry"; }
"$NST" topo up --prefix "$P" "$TMP/huge.topo" >"$TMP/again" 2>&1 && pass topo_up/next_up_repairs ||
	{ fail topo_up/next_up_repairs "topo up failed"; detail <"$TMP/again"; }
eq topo_up/complete "$(ip netns list | grep -c "^${P}c")" "$NH"
"$NST" topo down --prefix "$P" "$TMP/huge.topo" >/dev/null 2>&1
eq topo_up/nothing_left "$(ip netns list | grep -c "^$P") $(ip -o link | grep -c "${P}kc0") $(ls /run/nstrace 2>/dev/null | wc -l)" "0 0 0"

# And, after all of it: the kernel holds no more BPF links than before.
eq all/bpftool_link_as_before "$(links)" "$LINKS0"
