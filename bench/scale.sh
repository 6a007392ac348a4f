# Sourced by bench/run.sh: watch --all on a host with hundreds of
# namespaces (issue 18). For each size in SCALE_NS (namespaces on one
# bridge; a namespace is 2 ports: its eth0 and the bridge's end), built
# with topo up: the time from start to the first story (a namespace sends
# a datagram to a closed port every 10 ms from before the start), to all
# ports ready (--ready-file), SIGINT to exit, and RSS and open fds at
# ready. Then churn: containers (a namespace and a veth on the bridge)
# created and destroyed at CHURN_PER_MIN for CHURN_MIN minutes while
# watching --all: fds, RSS and map entries at the start and the end, and
# whether every container's port was covered within a second.

SCALE_NS=${SCALE_NS:-200 1000}
CHURN_PER_MIN=${CHURN_PER_MIN:-100}
CHURN_MIN=${CHURN_MIN:-5}

# scale_topo N FILE: N namespaces on bridge sb0, 10.88.0.0/16.
scale_topo() {
	{ echo "bridge sb0"; echo "addr sb0 10.88.255.254/16"
	  for i in $(seq 1 "$1"); do
		echo "ns s$i"; echo "veth s$i:eth0 sb0"
		echo "addr s$i:eth0 10.88.$((i / 250)).$((i % 250 + 1))/16"
	  done; } >"$2"
}

# scale_run N: one start and stop of watch --all over N namespaces; appends
# "N ports up_ms first_ms ready_ms exit_ms rss_kb fds down_ms" to $TMP/scale.
scale_run() {
	local n=$1 f=$TMP/scale$1.topo s e up down first ready exit_ms rss fds ports tx line
	scale_topo "$n" "$f"
	s=$(now_ns)
	"$NST" topo up --prefix "$P" "$f" >/dev/null || { echo "bench: topo up of $n failed" >&2; return; }
	up=$(ms_between "$s" "$(now_ns)")
	sleep 10   # the namespaces' own IPv6 start-up traffic dies down
	ip netns exec "${P}s2" bash -c 'while :; do echo x >/dev/udp/10.88.0.2/9; sleep 0.01; done' 2>/dev/null &
	tx=$!
	rm -f "$TMP/sc.ready" "$TMP/sc.fifo"
	mkfifo "$TMP/sc.fifo"
	# Stamped by python, not a bash read loop: bash reads a pipe a byte at
	# a time, ~0.1 s for the 2,000-port plan line, and held watch's write.
	python3 -c 'import sys, time
for l in sys.stdin:
	sys.stdout.write("%.6f %s" % (time.time(), l)); sys.stdout.flush()' \
		<"$TMP/sc.fifo" >"$TMP/sc.out" &
	local rd=$!
	s=$EPOCHREALTIME
	"$NST" watch --all --json --ready-file "$TMP/sc.ready" >"$TMP/sc.fifo" 2>"$TMP/sc.err" &
	lc_pid=$!
	local deadline=$(( $(date +%s) + 120 ))
	while [ ! -e "$TMP/sc.ready" ] && kill -0 "$lc_pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
		sleep 0.01
	done
	e=$EPOCHREALTIME
	ready=$(awk -v a="$s" -v b="$e" 'BEGIN { printf "%.0f", (b - a) * 1000 }')
	rss=$(awk '/VmRSS/ {print $2}' /proc/"$lc_pid"/status 2>/dev/null)
	fds=$(ls /proc/"$lc_pid"/fd 2>/dev/null | wc -l)
	sleep 1
	e=$(now_ns)
	lc_stop
	exit_ms=$(ms_between "$e" "$(now_ns)")
	wait "$rd" 2>/dev/null
	kill "$tx" 2>/dev/null; wait "$tx" 2>/dev/null
	first=$(grep -m1 "\"type\":\"drop\".*\"dport\":9[,}]" "$TMP/sc.out" | cut -d' ' -f1)
	first=$([ -n "$first" ] && awk -v a="$s" -v b="$first" 'BEGIN { printf "%.0f", (b - a) * 1000 }' || echo -)
	ports=$(grep -m1 '"type":"plan"' "$TMP/sc.out" | cut -d' ' -f2- | jq '.ports | length')
	s=$(now_ns)
	"$NST" topo down --prefix "$P" "$f" >/dev/null
	down=$(ms_between "$s" "$(now_ns)")
	echo "$n ${ports:-0} $up $first $ready $exit_ms ${rss:-0} $fds $down" >>"$TMP/scale"
	rm -f "$TMP/sc.fifo"
}

# bench_map_keys PID: "name=keys ..." of PID's counter maps (bpftool), and
# the port and drop slots in use.
bench_map_keys() {
	local fd id ids=() m n
	for fd in /proc/"$1"/fdinfo/*; do
		id=$(awk '/^map_id:/ {print $2}' "$fd" 2>/dev/null)
		[ -n "$id" ] && ids+=("$id")
	done
	bpftool -j map show | jq -r --arg ids " ${ids[*]} " '.[] | .id as $i | select($ids | contains(" \($i) ")) | "\(.id) \(.name)"' |
	while read -r id m; do
		case $m in
		port_slots) n=$(bpftool -j map dump id "$id" | jq '[.[] | select(.formatted.values[0].value.netns != 0)] | length') ;;
		drop_slots) n=$(bpftool -j map dump id "$id" | jq '[.[].formatted.values[] | select(.value.k.location != 0)] | length') ;;
		drops|ports|resets|icmp_wire|icmp_gen|hop_hist|pair_hist) n=$(bpftool -j map dump id "$id" | jq length) ;;
		*) continue ;;
		esac
		echo "$m=$n"
	done | sort | tr '\n' ' '
}

# churn: CHURN_MIN minutes of CHURN_PER_MIN containers a minute on a
# 100-namespace bridge, each alive ~10 s (so ~17 at a time at 100/min).
# Each gets a datagram to a closed port 1 s after it appeared.
churn_run() {
	local f=$TMP/churn.topo k=0 c end gap alive=() fd0 fd1 rss0 rssw=- rss1 got keys0 keys1
	scale_topo 100 "$f"
	"$NST" topo up --prefix "$P" "$f" >/dev/null || { echo "bench: churn topology failed" >&2; return; }
	sleep 5
	rm -f "$TMP/ch.ready"
	"$NST" watch --all --json --ready-file "$TMP/ch.ready" >"$TMP/ch.out" 2>"$TMP/ch.err" &
	lc_pid=$!
	wait_ready "$TMP/ch.ready"
	fd0=$(ls /proc/"$lc_pid"/fd | wc -l)
	rss0=$(awk '/VmRSS/ {print $2}' /proc/"$lc_pid"/status)
	keys0=$(bench_map_keys "$lc_pid")
	gap=$(awk -v r="$CHURN_PER_MIN" 'BEGIN { printf "%.3f", 60 / r }')
	end=$(( $(date +%s) + CHURN_MIN * 60 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		k=$((k + 1))
		c=${P}k$k
		ip netns add "$c"
		ip link add "${P}kv$k" type veth peer name eth0 netns "$c"
		ip link set "${P}kv$k" master "${P}sb0" up
		ip -n "$c" addr add "10.88.$((200 + k / 250)).$((k % 250 + 1))/16" dev eth0
		ip -n "$c" link set eth0 up
		( sleep 1; ip netns exec "${P}s1" bash -c \
			"echo x >/dev/udp/10.88.$((200 + k / 250)).$((k % 250 + 1))/9" 2>/dev/null ) &
		alive+=("$k")
		if [ "${#alive[@]}" -gt $((CHURN_PER_MIN / 6)) ]; then
			ip link del "${P}kv${alive[0]}" 2>/dev/null
			ip netns del "${P}k${alive[0]}" 2>/dev/null
			alive=("${alive[@]:1}")
		fi
		# RSS once the heap has its size (the kernel's symbols, read at
		# the first drop told, and the first re-plans).
		[ "$k" = 10 ] && rssw=$(awk '/VmRSS/ {print $2}' /proc/"$lc_pid"/status)
		sleep "$gap"
	done
	sleep 1.5   # the last one's datagram
	for k in "${alive[@]}"; do ip link del "${P}kv$k" 2>/dev/null; ip netns del "${P}k$k" 2>/dev/null; done
	sleep 7   # quiet keys are folded after 5 s, a gone port's slot freed at the next read
	fd1=$(ls /proc/"$lc_pid"/fd | wc -l)
	rss1=$(awk '/VmRSS/ {print $2}' /proc/"$lc_pid"/status)
	keys1=$(bench_map_keys "$lc_pid")
	lc_stop
	# The containers' rows (one whose namespace got a gone one's inode
	# shares its row and name: KNOWN_ISSUES.md).
	got=$(grep '"type":"summary"' "$TMP/ch.out" | jq --arg k "${P}k" '[.drops[] | select(.reason == "NO_SOCKET" and .location == "__udp4_lib_rcv" and (.netns | startswith($k))) | .count] | add // 0')
	echo "$k $got $fd0 $fd1 $rss0 $rssw $rss1 $(grep -Eic 'error|cannot' "$TMP/ch.err") $(grep '"type":"summary"' "$TMP/ch.out" | jq -c '{keys_folded, slots}')" >"$TMP/churn"
	echo "$keys0" >"$TMP/churn.keys0"
	echo "$keys1" >"$TMP/churn.keys1"
	"$NST" topo down --prefix "$P" "$f" >/dev/null
}

scale_report() {
	[ -s "$TMP/scale" ] || return 0
	echo "## A large host: watch --all over hundreds of namespaces"
	echo
	echo "One run each (ms, kB). N namespaces on one bridge (topo up from a generated file),"
	echo "10 s after topo up. First story: start to the first drop object read on a pipe (a"
	echo "datagram to a closed port every 10 ms, sent since before the start). Ready: start to"
	echo "--ready-file (every port attached). Exit: SIGINT to the end. RSS and fds at ready."
	echo "Load average at the start of the phase: ${SCALE_LOAD:-?} (other work on this machine)."
	echo
	echo "| namespaces | ports | topo up | first story | ready | exit | RSS kB | fds | topo down |"
	echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	while read -r n ports up first ready ex rss fds down; do
		echo "| $n | $ports | $up | $first | $ready | $ex | $rss | $fds | $down |"
	done <"$TMP/scale"
	echo
	if [ -s "$TMP/churn" ]; then
		read -r k got fd0 fd1 rss0 rssw rss1 errs folded <"$TMP/churn"
		echo "Churn: $k containers over $CHURN_MIN min ($CHURN_PER_MIN a minute) on a 100-namespace"
		echo "bridge with watch --all: $got of $k covered within a second (a datagram to a closed"
		echo "port 1 s after it appeared, counted as NO_SOCKET); fds $fd0 -> $fd1; RSS $rss0 kB at ready,"
		echo "$rssw after 10 containers, $rss1 at the end; error lines: $errs. Map keys (bpftool) at"
		echo "ready: \`$(cat "$TMP/churn.keys0")\`; at the end: \`$(cat "$TMP/churn.keys1")\`;"
		echo "summary: \`$folded\`."
		echo
	fi
}

phase "watch --all at scale: $SCALE_NS namespaces"
SCALE_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
for n in $SCALE_NS; do scale_run "$n"; done
if [ "$CHURN_MIN" != 0 ]; then
	phase "churn: $CHURN_PER_MIN containers a minute for $CHURN_MIN min"
	churn_run
fi
