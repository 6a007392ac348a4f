#!/bin/bash
# Faults while watching: the container process exits, the namespace is
# deleted. watch says so as a story and stops by itself, status 0, with a
# summary, once nothing it watches is left.
. "$(dirname "$0")/../lib.sh"

unshare --net sleep 1 &
CPID=$!
PIDS+=($CPID)
s=$(date +%s)
timeout 20 "$NST" watch --pid "$CPID" --json -q --duration 30 >"$TMP/pid" 2>"$TMP/pid.err"
rc=$?
took=$(( $(date +%s) - s ))
eq pid_exit/status_0 "$rc" 0
[ "$took" -lt 10 ] && pass pid_exit/stopped_by_itself || fail pid_exit/stopped_by_itself "ran ${took}s"
grep -q "\"type\":\"note\".*\"text\":\"pid $CPID exited\"" "$TMP/pid" && pass pid_exit/told ||
	{ fail pid_exit/told "no note"; detail <"$TMP/pid"; }
grep -q '"type":"summary"' "$TMP/pid" && pass pid_exit/summary || fail pid_exit/summary "no summary"

printf 'ns solo\n' >"$TMP/solo.topo"
topo_up "$TMP/solo.topo" >/dev/null 2>&1
( sleep 1.5; ip netns del "${P}solo" ) &
PIDS+=($!)
timeout 20 "$NST" watch "${P}solo" --json -q --duration 30 >"$TMP/ns" 2>"$TMP/ns.err"
eq ns_deleted/status_0 "$?" 0
grep -q "\"text\":\"namespace ${P}solo was deleted\"" "$TMP/ns" && pass ns_deleted/told ||
	{ fail ns_deleted/told "no note"; detail <"$TMP/ns"; }
grep -q '"type":"summary"' "$TMP/ns" && pass ns_deleted/summary || fail ns_deleted/summary "no summary"

# A namespace on the watched path deleted while watching: nstrace must not
# be what keeps it alive. Its veth's root end (br0-blue) goes within a
# moment, as it does without nstrace, and the plan follows.
if topo_up topologies/bridge.topo >"$TMP/up" 2>&1; then
	start_watch "$TMP/del" "${P}red" || fail released "not ready"
	ip netns del "${P}blue"
	gone=no
	for i in $(seq 50); do ip link show "${P}br0-blue" >/dev/null 2>&1 || { gone=yes; break; }; sleep 0.1; done
	eq released/peer_link_goes "$gone" yes
	sleep 1.2
	# While it runs: no namespace fd open (sockets are counted by the note above).
	eq released/no_namespace_fds "$(ls -l /proc/"$WPID"/fd 2>/dev/null | grep -c 'net:\[')" 0
	[ -d /proc/"$WPID" ] && pass released/still_running || fail released/still_running "watch exited"
	stop_watch
	grep -q "\"text\":\"namespace ${P}blue is gone (deleted): no longer followed\"" "$TMP/del" &&
		pass released/told || { fail released/told "no note"; grep note "$TMP/del" | detail; }
	eq released/deleted_link_told "$(grep -c "\"type\":\"link\".*\"dev\":\"${P}br0-blue\".*deleted" "$TMP/del")" 1

	# The same when a re-plan comes first (a link appears in root at once):
	# the namespace is then no longer listed at all, and still let go of.
	start_watch "$TMP/del2" "${P}red" || fail released_after_replan "not ready"
	ip netns del "${P}green"
	ip link add "${P}x0" type veth peer name "${P}x1"
	gone=no
	for i in $(seq 50); do ip link show "${P}br0-green" >/dev/null 2>&1 || { gone=yes; break; }; sleep 0.1; done
	stop_watch
	ip link del "${P}x0"
	eq released_after_replan/peer_link_goes "$gone" yes
else
	fail released "topo up failed"
fi
