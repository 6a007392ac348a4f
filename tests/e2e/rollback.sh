#!/bin/bash
# All or nothing: a failure on the last statement, whether the parser or
# the kernel finds it, leaves the system exactly as it was; a second 'up'
# fails cleanly without harming the first; nstrace never touches an
# interface it did not create.
. "$(dirname "$0")/../lib.sh"

unchanged() {   # NAME BEFORE
	local after
	after=$(snapshot)
	if [ "$2" = "$after" ]; then pass "$1/left_nothing"; else
		fail "$1/left_nothing" "the system changed"; diff <(echo "$2") <(echo "$after") | detail
	fi
}

# The kernel refuses the last statement: a gateway that is on no link.
cp topologies/bridge.topo "$TMP/kernel.topo"
echo "route red 10.9.0.0/16 via 10.77.0.1" >>"$TMP/kernel.topo"
last=$(wc -l <"$TMP/kernel.topo")
before=$(snapshot)
UP_FILES+=("$TMP/kernel.topo")
expect_exit kernel_error 2 "kernel.topo:$last: cannot add route 10.9.0.0/16 in '${P}red': .*(everything created so far was removed)" \
	"$NST" topo up --prefix "$P" "$TMP/kernel.topo"
unchanged kernel_error "$before"

# The parser refuses the last statement: nothing is even attempted.
cp topologies/bridge.topo "$TMP/parse.topo"
echo "mtu red:veth-red 70000" >>"$TMP/parse.topo"
last=$(wc -l <"$TMP/parse.topo")
expect_exit parse_error 2 "parse.topo:$last: MTU '70000' for 'red:veth-red' is out of range" \
	"$NST" topo up --prefix "$P" "$TMP/parse.topo"
unchanged parse_error "$before"

# A sysctl this kernel does not have, found halfway through.
printf 'ns a\nns b\nveth a:x b:y\naddr a:x 10.5.0.1/24\nsysctl a net.ipv4.no_such_key=1\n' >"$TMP/sysctl.topo"
UP_FILES+=("$TMP/sysctl.topo")
expect_exit missing_sysctl 2 "sysctl.topo:5: cannot set net.ipv4.no_such_key=1 in '${P}a': no such sysctl" \
	"$NST" topo up --prefix "$P" "$TMP/sysctl.topo"
unchanged missing_sysctl "$before"

# Up twice: the second fails before changing anything; the first still works.
if topo_up topologies/pair.topo >"$TMP/out" 2>&1; then pass twice/first_up; else fail twice/first_up "failed"; detail <"$TMP/out"; fi
expect_exit twice/second_up 2 "namespace '${P}red' already exists \(nothing was changed\)" \
	"$NST" topo up --prefix "$P" topologies/pair.topo
check twice/first_still_works ip netns exec "$P"red ping -c1 -W1 -q 10.0.0.2
"$NST" topo down --prefix "$P" topologies/pair.topo
unchanged twice "$before"

# An interface of the same name that someone else owns is never touched.
ip link add "$P"br0 type bridge
idx=$(ip -j link show "$P"br0 | jq -r '.[0].ifindex')
before=$(snapshot)
expect_exit foreign_link 2 "interface '${P}br0' already exists in the root namespace" \
	"$NST" topo up --prefix "$P" topologies/bridge.topo
unchanged foreign_link "$before"
check foreign_link/still_there bash -c "[ \"\$(ip -j link show '$P'br0 | jq -r '.[0].ifindex')\" = $idx ]"
ip link del "$P"br0
