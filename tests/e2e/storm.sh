#!/bin/bash
# A drop storm: red floods blue's closed UDP port from two senders for 3 s
# (bounded by time, only between our namespaces). A watch as users run it
# counts exactly what the kernel's UdpNoPorts counts, on a bounded share of
# a CPU; a second one in a terminal, asked for every drop as a story
# (--interval 0), cannot keep them all: it counts and shows what it lost,
# and its live view keeps refreshing through it.
. "$(dirname "$0")/../lib.sh"

if ! topo_up topologies/bridge.topo >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
R=${P}red B=${P}blue
SOCK=$TMP/tmux.sock
trap 'tmux -S "$SOCK" kill-server 2>/dev/null; cleanup' EXIT

start_watch "$TMP/w" "$R" || { fail watch "not ready"; exit 1; }
WJ=$WPID
tmux -S "$SOCK" new-session -d -s storm -x 80 -y 24 \
	"$NST watch $R --interval 0 --duration 20 --ready-file $TMP/tty.ready; sleep 30"
for i in $(seq 400); do [ -e "$TMP/tty.ready" ] && break; sleep 0.05; done
before=$(nsstat "$B" UdpNoPorts)
t0=$(awk '{print $14 + $15}' /proc/$WJ/stat)
for s in 1 2; do
	ip netns exec "$R" timeout 10 python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("10.0.0.2", 9))
end = time.time() + 3
n = 0
while time.time() < end:
    for i in range(1000):
        try: s.send(b"storm")
        except OSError: pass
    n += 1000
print(n)' >"$TMP/sent.$s" &
	PIDS+=($!)
done
sleep 1.5
tmux -S "$SOCK" capture-pane -p -t storm >"$TMP/tty.1"
sleep 1.2
tmux -S "$SOCK" capture-pane -p -t storm >"$TMP/tty.2"
wait "${PIDS[@]: -2}"
t1=$(awk '{print $14 + $15}' /proc/$WJ/stat)
sleep 0.5
stop_watch
want=$(( $(nsstat "$B" UdpNoPorts) - before ))
sent=$(( $(cat "$TMP/sent.1") + $(cat "$TMP/sent.2") ))
cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%d", (b - a) / hz / 3 * 100 }')
echo "    storm: $sent datagrams sent in 3 s, $want dropped by blue (UdpNoPorts); nstrace used ${cpu}% of a core"
[ "$want" -gt 200000 ] && pass storm_is_a_storm || fail storm_is_a_storm "only $want drops in 3 s"
eq count_equals_udpnoports "$(drops "$TMP/w" "$B" veth-blue NO_SOCKET __udp4_lib_rcv)" "$want"
[ "$cpu" -le 30 ] && pass cpu_bounded || fail cpu_bounded "${cpu}% of a core (bound: 30%)"
a=$(grep -o 'up 00:0[0-9]' "$TMP/tty.1") b=$(grep -o 'up 00:0[0-9]' "$TMP/tty.2")
[ -n "$a" ] && [ "$a" != "$b" ] && pass view_keeps_refreshing || fail view_keeps_refreshing "'$a' then '$b'"
grep -q 'not shown: [1-9]' "$TMP/tty.2" && pass view_shows_loss ||
	{ fail view_shows_loss "no 'events not shown' count in the live view"; detail <"$TMP/tty.2"; }
tmux -S "$SOCK" send-keys -t storm C-c   # as a user ends it
for i in $(seq 60); do grep -q '^stories read' "$TMP/tty.end" 2>/dev/null && break
	sleep 0.1; tmux -S "$SOCK" capture-pane -p -S -300 -t storm >"$TMP/tty.end"; done
grep -Eq '^stories read: [0-9]+.*events not shown: [1-9]' "$TMP/tty.end" && pass summary_counts_loss ||
	{ fail summary_counts_loss "the summary does not count the lost stories"; grep -E '^stories' "$TMP/tty.end" | detail; }
