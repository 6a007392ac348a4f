#!/bin/bash
# What watch covers: a container by --pid (no name, no shell needed) sees
# the same as by name; the plan follows veths, bridges and routers; other
# containers' traffic does not show; filters keep counts exact.
. "$(dirname "$0")/../lib.sh"

if ! topo_up topologies/bridge.topo >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
R=${P}red B=${P}blue G=${P}green

# A "container": a process in an unnamed namespace, wired to the bridge.
unshare --net sleep 60 &
CPID=$!
PIDS+=($CPID)
sleep 0.2
ip link add "${P}c0" type veth peer name "${P}c1"
ip link set "${P}c1" netns "$CPID"
nsenter -t "$CPID" -n sh -c "ip link set lo up && ip addr add 10.0.0.9/24 dev ${P}c1 && ip link set ${P}c1 up"
ip link set "${P}c0" master "${P}br0" up
ip netns attach "${P}ctr" "$CPID"

start_watch "$TMP/bypid" --pid "$CPID" || fail pid "watch --pid not ready"
W1=$WPID
start_watch "$TMP/byname" "${P}ctr" || fail pid "watch by name not ready"
W2=$WPID
ip netns exec "$R" bash -c "for i in \$(seq 7); do echo x >/dev/udp/10.0.0.9/9; done" 2>/dev/null
sleep 0.3
kill -INT "$W1" "$W2"; wait "$W1" "$W2"
a=$(drops "$TMP/bypid" "${P}ctr" "${P}c1" NO_SOCKET __udp4_lib_rcv)
b=$(drops "$TMP/byname" "${P}ctr" "${P}c1" NO_SOCKET __udp4_lib_rcv)
eq pid/sees_drops "$a" 7
eq pid/same_as_by_name "$a" "$b"
summary "$TMP/bypid" '.targets[0]' | grep -qx "${P}ctr" && pass pid/labelled || fail pid/labelled "target label"
ip netns delete "${P}ctr"

# The plan: red's port, its peer, the bridge and its ports, their peers.
"$NST" watch "$R" --lines --duration 0.2 >"$TMP/plan" 2>&1
for port in "$R" "root  *${P}br0-red ${P}br0 " "$B  *veth-blue" "$G  *veth-green"; do
	grep -Eq "^  $port" "$TMP/plan" || { fail plan/covers "no line for '$port'"; detail <"$TMP/plan"; }
done
grep -q "^  $B .*(only the targets' traffic)" "$TMP/plan" && pass plan/covers ||
	fail plan/covers "blue not limited to red's traffic"

# Another container's noise: blue -> green to a closed port is not red's.
start_watch "$TMP/noise" "$R" || fail noise "not ready"
ip netns exec "$B" bash -c "for i in \$(seq 10); do echo x >/dev/udp/10.0.0.3/9; done" 2>/dev/null
ip netns exec "$R" bash -c "for i in \$(seq 4); do echo x >/dev/udp/10.0.0.3/9; done" 2>/dev/null
sleep 0.3
stop_watch
eq noise/only_reds_drops_in_green "$(drops "$TMP/noise" "$G" veth-green NO_SOCKET __udp4_lib_rcv)" 4
# ...while --all sees both.
start_watch "$TMP/all" --all || fail all "not ready"
ip netns exec "$B" bash -c "for i in \$(seq 10); do echo x >/dev/udp/10.0.0.3/9; done" 2>/dev/null
ip netns exec "$R" bash -c "for i in \$(seq 4); do echo x >/dev/udp/10.0.0.3/9; done" 2>/dev/null
sleep 0.3
stop_watch
eq all/sees_every_drop "$(drops "$TMP/all" "$G" veth-green NO_SOCKET __udp4_lib_rcv)" 14

# A kernel-side filter keeps counts exact for what it lets through.
start_watch "$TMP/filter" "$R" --filter "udp and port 9" || fail filter "not ready"
ip netns exec "$R" bash -c "for i in \$(seq 6); do echo x >/dev/udp/10.0.0.3/9; echo y >/dev/udp/10.0.0.3/10; done" 2>/dev/null
sleep 0.3
stop_watch
eq filter/port_9_only "$(drops "$TMP/filter" "$G" veth-green NO_SOCKET __udp4_lib_rcv)" 6

# Link changes while watching: told as stories, and the plan follows a
# container that joins the bridge after watch started.
start_watch "$TMP/links" "$R" || fail links "not ready"
ip -n "$B" link set veth-blue mtu 1400
ip netns add "${P}late"
ip link add "${P}l0" type veth peer name eth0 netns "${P}late"
ip -n "${P}late" addr add 10.0.0.20/24 dev eth0
ip -n "${P}late" link set eth0 up
ip link set "${P}l0" master "${P}br0" up
sleep 0.5
ip netns exec "$R" bash -c "for i in \$(seq 5); do echo x >/dev/udp/10.0.0.20/9; done" 2>/dev/null
sleep 0.3
stop_watch
grep -q "\"type\":\"link\".*\"netns\":\"$B\",.*\"dev\":\"veth-blue\",\"event\":\"mtu\",\"old_mtu\":1500,\"mtu\":1400" "$TMP/links" &&
	pass links/mtu_change_told || { fail links/mtu_change_told "no link story"; grep link "$TMP/links" | detail; }
eq links/plan_follows_new_container "$(drops "$TMP/links" "${P}late" eth0 NO_SOCKET __udp4_lib_rcv)" 5
ip -n "$B" link set veth-blue mtu 1500
ip netns del "${P}late"

# Through a router namespace: watch red sees blue's refusal behind it.
"$NST" topo down --prefix "$P" topologies/bridge.topo
topo_up topologies/router-mtu.topo >/dev/null 2>&1 || fail router "topo up failed"
start_watch "$TMP/router" "$R" || fail router "not ready"
for i in 1 2 3; do ip netns exec "$R" nc -z -w1 10.0.2.1 81 2>/dev/null; done
stop_watch
eq router/refused_behind_router "$(drops "$TMP/router" "$B" veth-blue NO_SOCKET tcp_v4_rcv)" 3
