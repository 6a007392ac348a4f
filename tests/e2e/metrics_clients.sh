#!/bin/bash
# watch --metrics against hostile and slow local clients: 30 idle
# connections (or 300, more than the client slots, or as many as the fd
# limit allows) do not lock a scrape out and are closed after the request
# timeout; readers taking one byte a second stall neither the ring buffer
# (a drop is still told within 1 s) nor the live view (it still refreshes
# every second); 100 parallel scrapes are all answered in full.
. "$(dirname "$0")/../lib.sh"

for c in python3 tmux curl; do
	command -v $c >/dev/null || { fail ${c}_installed "$c missing (make deps installs it)"; exit 1; }
done
if ! topo_up topologies/bridge.topo >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
R=${P}red B=${P}blue
MPORT=$((20000 + RANDOM % 5000)) TPORT=$((25000 + RANDOM % 5000))
REQ_TIMEOUT=3   # seconds a connection may take to send its request (docs/prometheus.md)
SOCK=$TMP/tmux.sock
tm() { tmux -S "$SOCK" "$@"; }
trap 'tm kill-server 2>/dev/null; cleanup' EXIT

cat >"$TMP/clients.py" <<'PY'
import select, socket, sys, threading, time
host, port = sys.argv[1].rsplit(":", 1)
port, mode = int(port), sys.argv[2]

def conn(rcvbuf=0):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.connect((host, port))
    return s

if mode == "idle":          # N connections that never send a request
    n, t0 = int(sys.argv[3]), time.monotonic()
    socks = [conn() for _ in range(n)]
    print("open", flush=True)
    closed, left = [], socks
    while left and time.monotonic() - t0 < 12:
        ready, _, _ = select.select(left, [], [], 0.05)
        for s in ready:
            try:
                got = s.recv(1)
            except OSError:
                got = b""
            if not got:
                closed.append(time.monotonic() - t0)
                left.remove(s)
    print("closed %d of %d, first %.2f s, last %.2f s" % (len(closed), n,
          min(closed, default=-1), max(closed, default=-1)), flush=True)
elif mode == "slow":        # N readers taking one byte a second
    n, secs = int(sys.argv[3]), int(sys.argv[4])
    socks = [conn(rcvbuf=1) for _ in range(n)]
    for s in socks:
        s.settimeout(1)
    for s in socks:
        s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
    print("reading", flush=True)
    for _ in range(secs):
        for s in socks:
            try:
                s.recv(1)
            except OSError:
                pass
        time.sleep(1)
elif mode == "parallel":    # N scrapes at once, each with a 3 s limit
    n, ok, times = int(sys.argv[3]), [], []
    go = threading.Event()
    def scrape():
        go.wait()
        t0 = time.monotonic()
        try:
            s = conn()
            s.settimeout(3)
            s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
            data = b""
            while time.monotonic() - t0 < 3:
                b = s.recv(65536)
                if not b:
                    break
                data += b
            head, _, body = data.partition(b"\r\n\r\n")
            length = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
            if head.split(b" ")[1:2] == [b"200"] and length and int(length[0].split(b":")[1]) == len(body):
                ok.append(1)
                times.append(time.monotonic() - t0)
        except OSError:
            pass
    th = [threading.Thread(target=scrape) for _ in range(n)]
    for t in th:
        t.start()
    go.set()
    for t in th:
        t.join()
    print("%d %.2f" % (len(ok), max(times, default=-1)))
PY
clients() { exec python3 "$TMP/clients.py" "$@"; }
# Slow readers come from red over br0 (MTU 1500): loopback's 64 KB
# segments would let the kernel buffer a whole response for them.
slow_clients() { exec ip netns exec "$R" python3 "$TMP/clients.py" "$@"; }
ip addr add 10.0.0.254/24 dev "${P}br0"
# wait_line FILE PATTERN TENTHS: until FILE has a line matching PATTERN.
wait_line() {
	for _ in $(seq "$3"); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

# refuse_300: 300 connects from red to closed ports of blue, each refused.
refuse_300() {
	ip netns exec "$R" python3 -c '
import socket
for p in range(20000, 20300):
    s = socket.socket(); s.settimeout(1)
    try: s.connect(("10.0.0.2", p))
    except OSError: pass
    s.close()'
}

start_watch "$TMP/w" "$R" --metrics "0.0.0.0:$MPORT" || { fail watch "not ready"; exit 1; }
# 300 refused connects: 600 reset series make the body ~80 KB, more than
# loopback's socket buffers hold for a reader with a tiny window.
refuse_300
for _ in $(seq 30); do
	size=$(curl -s -m 2 "http://127.0.0.1:$MPORT/metrics" | wc -c)
	[ "$size" -gt 50000 ] && break
	sleep 0.3
done
[ "$size" -gt 50000 ] && pass big_body || fail big_body "the exposition is $size bytes, want > 50000"

# 30 idle connections, then a scrape.
clients "127.0.0.1:$MPORT" idle 30 >"$TMP/idle" &
PIDS+=($!)
wait_line "$TMP/idle" open 50 || fail idle_open "30 connections not opened"
res=$(curl -s -m 1 -o "$TMP/scrape" -w '%{http_code} %{time_total}' "http://127.0.0.1:$MPORT/metrics")
echo "  scrape behind 30 idle connections: $res"
[ "${res%% *}" = 200 ] && grep -q '^nstrace_build_info' "$TMP/scrape" && pass scrape_behind_30_idle ||
	fail scrape_behind_30_idle "curl got '$res' within 1 s"
# The idle ones are closed by the server after the timeout, not before.
wait_line "$TMP/idle" closed 130
res=$(grep closed "$TMP/idle")
echo "  idle connections: $res (timeout $REQ_TIMEOUT s)"
read -r _ nclosed _ _ _ first _ _ last _ <<<"$res"
[ "${nclosed:-0}" = 30 ] && awk -v f="$first" -v l="$last" -v t=$REQ_TIMEOUT \
	'BEGIN { exit !(f >= t - 0.5 && l <= t + 1.5) }' && pass idle_closed_after_timeout ||
	fail idle_closed_after_timeout "$res; want all 30 closed between $((REQ_TIMEOUT)) and $((REQ_TIMEOUT + 1)) s"

# More idle connections than client slots (256): the oldest idle ones
# make room, the scrape is answered.
clients "127.0.0.1:$MPORT" idle 300 >"$TMP/idle300" &
PIDS+=($!)
wait_line "$TMP/idle300" open 50 || fail idle300_open "300 connections not opened"
res=$(curl -s -m 1 -o /dev/null -w '%{http_code} %{time_total}' "http://127.0.0.1:$MPORT/metrics")
echo "  scrape behind 300 idle connections: $res"
eq scrape_behind_300_idle "${res%% *}" 200

# Four readers taking one byte a second; a drop is still told within 1 s.
slow_clients "10.0.0.254:$MPORT" slow 4 6 >"$TMP/slow" &
PIDS+=($!)
wait_line "$TMP/slow" reading 50
sleep 0.5
t0=$(date +%s.%N)
ip netns exec "$R" bash -c "echo x >/dev/udp/10.0.0.2/$TPORT" 2>/dev/null
if wait_line "$TMP/w" "\"dport\":$TPORT" 30; then
	dt=$(echo "$(date +%s.%N) - $t0" | bc)
	echo "  drop told after ${dt} s while 4 slow readers were served"
	awk -v d="$dt" 'BEGIN { exit !(d <= 1.0) }' && pass drop_told_despite_slow_readers ||
		fail drop_told_despite_slow_readers "told after $dt s, want <= 1 s"
else
	fail drop_told_despite_slow_readers "not told within 3 s"; detail <"$TMP/w.err"
fi

# 100 parallel scrapes, each answered in full within 3 s.
read -r nok tmax <<<"$(clients "127.0.0.1:$MPORT" parallel 100)"
echo "  100 parallel scrapes: $nok answered in full, slowest ${tmax} s"
eq parallel_100_answered "$nok" 100
# Out of file descriptors (80 allowed, 100 idle connections): the oldest
# idle ones are closed for room, not the scrape.
prlimit --nofile=80:4096 --pid "$WPID"
clients "127.0.0.1:$MPORT" idle 100 >"$TMP/idle100" &
PIDS+=($!)
wait_line "$TMP/idle100" open 50 || fail idle100_open "100 connections not opened"
res=$(curl -s -m 1 -o /dev/null -w '%{http_code} %{time_total}' "http://127.0.0.1:$MPORT/metrics")
echo "  scrape behind 100 idle connections with 80 fds: $res"
eq scrape_without_fds_to_spare "${res%% *}" 200
stop_watch

# The live view refreshes every second while four slow readers are being
# served. The pane is tall: the view lists every reset row (600 here).
MPORT2=$((MPORT + 1))
tm new-session -d -s live -x 80 -y 1000 \
	"NO_COLOR=1 $NST watch $R --duration 8 --metrics 0.0.0.0:$MPORT2 --ready-file $TMP/live.ready; sleep 30"
for _ in $(seq 100); do [ -e "$TMP/live.ready" ] && break; sleep 0.05; done
refuse_300
sleep 1.2   # a refresh reads the resets' counters
slow_clients "10.0.0.254:$MPORT2" slow 4 5 >"$TMP/slow2" &
PIDS+=($!)
wait_line "$TMP/slow2" reading 50
clocks=
for i in 1 2 3 4; do
	clocks+="$(tm capture-pane -p -t live | grep -o 'up 00:0[0-9]' | cut -c4-) "
	sleep 1.1
done
echo "  live view clocks, 1.1 s apart: $clocks"
[ "$(tr ' ' '\n' <<<"$clocks" | grep -c .)" = 4 ] &&
	[ "$(tr ' ' '\n' <<<"$clocks" | grep . | sort -u | wc -l)" = 4 ] && pass live_view_refreshes ||
	{ fail live_view_refreshes "clocks '$clocks', want four different"; tm capture-pane -p -t live | detail; }
