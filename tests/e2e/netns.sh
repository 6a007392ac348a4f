#!/bin/bash
# Namespaces: created the way ip netns does (ip sees and enters them);
# bad names, stale entries, dead pids and non-namespace files are refused
# with a reason; without root nothing is attempted.
. "$(dirname "$0")/../lib.sh"

printf 'ns solo\n' >"$TMP/solo.topo"
UP_FILES+=("$TMP/solo.topo")
check create "$NST" topo up --prefix "$P" "$TMP/solo.topo"
check ip_netns_list_sees_it bash -c "ip netns list | grep -q '^${P}solo'"
check ip_netns_exec_enters_it bash -c "ip netns exec '${P}solo' ip -o link show lo | grep -q 'state UNKNOWN'"
check lo_is_up bash -c "ip -n '${P}solo' -o link show lo | grep -q '<LOOPBACK,UP'"
check delete "$NST" topo down --prefix "$P" "$TMP/solo.topo"
check ip_netns_list_lost_it bash -c "! ip netns list | grep -q '^${P}solo'"

expect_exit name_with_slash 2 'a/b: No such file' "$NST" topo show a/b
expect_exit name_dotdot 2 "'\.\.': '\.' and '\.\.' are not names" "$NST" topo show ..
expect_exit name_too_long 2 "longer than 63 bytes" "$NST" topo show "$(printf 'x%.0s' {1..70})"
expect_exit missing_name 2 "namespace '${P}nope' does not exist" "$NST" topo show "${P}nope"
touch /run/netns/"${P}stale"
expect_exit stale_entry 2 "namespace '${P}stale': not a network namespace" "$NST" topo show "${P}stale"
rm -f /run/netns/"${P}stale"
expect_exit not_a_namespace_file 2 "/etc/hostname: not a network namespace" "$NST" topo show /etc/hostname
sleep 0.1 & dead=$!; wait $dead
expect_exit exited_pid 2 "pid $dead: no such process" "$NST" topo show "pid:$dead"
expect_exit bad_pid 2 "expected pid:NUMBER" "$NST" topo show pid:12x
expect_exit unknown_inode 2 "inode 1: no network namespace has it" "$NST" topo show inode:1

# Without root: exit 3 and a reason, before touching anything.
before=$(snapshot)
expect_exit unprivileged_up 3 "missing CAP_NET_ADMIN, CAP_SYS_ADMIN" setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$NST" topo up --prefix "$P" topologies/pair.topo
[ "$before" = "$(snapshot)" ] && pass unprivileged_up/left_nothing || fail unprivileged_up/left_nothing "system changed"
check unprivileged_check setpriv --reuid=65534 --regid=65534 --clear-groups "$NST" topo check topologies/pair.topo
