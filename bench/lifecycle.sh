# Sourced by bench/run.sh: start, stop and first story (issue 13).
# Ready: start to the --ready-file. Exit: SIGINT to the process's end, idle
# or under a drop storm (a trafgen flood to a closed port, every frame a
# NO_SOCKET drop). First story: a drop made right after ready, to the moment
# its JSON object reaches a reader on a pipe.

lc_pid=
lc_stop() {   # [SIG]: SIGINT; SIGTERM from the EXIT trap
	[ -n "$lc_pid" ] || return 0
	kill -"${1:-INT}" "$lc_pid" 2>/dev/null
	reap "$lc_pid" 10 || echo "bench: watch killed 10 s after SIGINT" >&2
	lc_pid=
}
# wait_ready FILE: until watch ($lc_pid) writes it, exits, or 30 s pass.
wait_ready() {
	local deadline=$(( $(date +%s) + 30 ))
	while [ ! -e "$1" ] && kill -0 "$lc_pid" 2>/dev/null; do
		[ "$(date +%s)" -lt "$deadline" ] || { echo "bench: watch not ready after 30 s" >&2; break; }
		sleep 0.002
	done
}
# ms_between NS_START NS_END
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f\n", (b - a) / 1e6 }'; }

# lc_runs NAME N STORM_NS STORM_DEV STORM_CFG -- WATCH_ARGS...: N starts and
# stops; appends to $TMP/lc.NAME.{ready,exit_idle,exit_storm} (ms) and .summary (1 when the
# summary line was delivered). STORM_NS empty: idle.
lc_runs() {
	local name=$1 n=$2 sns=$3 sdev=$4 scfg=$5 i s e out=$TMP/lc.out kind=idle
	shift 6
	[ -n "$sns" ] && kind=storm
	for i in $(seq "$n"); do
		rm -f "$TMP/lc.ready"
		s=$(now_ns)
		"$NST" watch "$@" --json -q --ready-file "$TMP/lc.ready" >"$out" 2>/dev/null &
		lc_pid=$!
		wait_ready "$TMP/lc.ready"
		e=$(now_ns)
		ms_between "$s" "$e" >>"$TMP/lc.$name.ready"
		if [ -n "$sns" ]; then
			trafgen_start "$sns" "$sdev" "$scfg" 10
			sleep 0.7   # the storm well under way
		fi
		s=$(now_ns)
		lc_stop
		e=$(now_ns)
		ms_between "$s" "$e" >>"$TMP/lc.$name.exit_$kind"
		[ -n "$sns" ] && trafgen_stop
		grep -c '"type":"summary"' "$out" >>"$TMP/lc.$name.summary"
	done
}

# first_story N CAP_S: N runs of watch --json red into a pipe whose reader
# stamps each line as it arrives. Right after ready, one UDP datagram from
# red to a closed port of blue (NO_SOCKET); wait up to CAP_S for its story,
# then SIGINT. Appends ms to $TMP/fs.ms and "live" or "at_exit" to $TMP/fs.when.
first_story() {
	local n=$1 cap=$2 i port td line ts rd when _
	for i in $(seq "$n"); do
		port=$((9100 + i))
		rm -f "$TMP/fs.ready" "$TMP/fs.fifo"
		mkfifo "$TMP/fs.fifo"
		( while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done ) \
			<"$TMP/fs.fifo" >"$TMP/fs.out" &
		rd=$!
		"$NST" watch "$R" --json --ready-file "$TMP/fs.ready" >"$TMP/fs.fifo" 2>/dev/null &
		lc_pid=$!
		wait_ready "$TMP/fs.ready"
		ip netns exec "$R" bash -c "echo story >/dev/udp/10.0.0.2/$port"
		td=$EPOCHREALTIME
		when=at_exit
		for _ in $(seq "$(awk -v c="$cap" 'BEGIN { print int(c * 100) }')"); do
			if grep -q "\"type\":\"drop\".*\"dport\":$port[,}]" "$TMP/fs.out"; then when=live; break; fi
			sleep 0.01
		done
		lc_stop
		wait "$rd" 2>/dev/null
		ts=$(grep -m1 "\"type\":\"drop\".*\"dport\":$port[,}]" "$TMP/fs.out" | cut -d' ' -f1)
		if [ -n "$ts" ]; then
			awk -v a="$td" -v b="$ts" 'BEGIN { printf "%.0f\n", (b - a) * 1000 }' >>"$TMP/fs.ms"
			echo "$when" >>"$TMP/fs.when"
		else
			echo never >>"$TMP/fs.when"
		fi
	done
	rm -f "$TMP/fs.fifo"
}
