#!/bin/bash
# The BPF side: the probe program loads with CO-RE against this kernel's
# BTF, attaches to tp_btf/kfree_skb and counts real drops.
. "$(dirname "$0")/../lib.sh"

if ! out=$("$NST" features 2>&1); then
	fail features "exit $?"; echo "$out" | detail; exit 1
fi
pass features_exit_0
if echo "$out" | grep -q '^tp_btf      kfree_skb attached'; then
	pass tp_btf_attached
else
	fail tp_btf_attached "no attach line"; echo "$out" | detail
fi
# Drops made on purpose while it is attached must be counted: UDP to a
# closed port on the loopback of our own namespace is freed with NO_SOCKET.
printf 'ns a\n' >"$TMP/drop.topo"
topo_up "$TMP/drop.topo" >/dev/null 2>&1
# They go on until features is done: under qemu's emulation (make
# check-kernels) loading alone can take longer than a fixed burst.
ip netns exec "$P"a timeout 120 python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    s.sendto(b"x", ("127.0.0.1", 9)); time.sleep(0.001)' 2>/dev/null &
sender=$!
PIDS+=($sender)
sleep 0.2
out=$("$NST" features 2>&1)
kill "$sender" 2>/dev/null
n=$(echo "$out" | sed -n 's/.*; \([0-9]*\) drops seen.*/\1/p')
[ "${n:-0}" -gt 0 ] && pass counts_real_drops || { fail counts_real_drops "saw ${n:-no} drops"; echo "$out" | detail; }
