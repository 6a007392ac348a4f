# Sourced by bench/run.sh: statistics, the traced variants, and the kernel's
# own per-program accounting (kernel.bpf_stats_enabled).
# Uses NST, R, B, P, TMP and PIDS from run.sh.

# ---- statistics over one number per line ----
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print 0; else if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2] + a[NR/2+1]) / 2}'; }
# mmm: "median min max" of the numbers on stdin ("0 0 0" when there are none).
mmm() { sort -g | awk '{a[NR]=$1} END {
	if (NR == 0) { print "0 0 0"; exit }
	m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2
	print m, a[1], a[NR] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
# ratios A B: per-line A/B of two files of the same length (rounds of one run).
ratios() { paste -d' ' "$1" "$2" | awk '{ if ($2 > 0) printf "%.4f\n", $1 / $2 }'; }
now_ns() { date +%s%N; }

# ---- the variants: each starts its tracer and leaves its pids in tracer[] ----
tracer=()
start_none() { tracer=(); }
start_nstrace() {   # [ARGS...]: the full watch, latency included
	rm -f "$TMP/ready"
	"$NST" watch "$R" --json -q --ready-file "$TMP/ready" "$@" >"$TMP/watch.json" 2>/dev/null &
	tracer=($!)
	for i in $(seq 300); do
		[ -e "$TMP/ready" ] && return
		kill -0 "${tracer[0]}" 2>/dev/null || break
		sleep 0.01
	done
	echo "bench: nstrace watch $* did not become ready" >&2
}
start_nolat() { start_nstrace --no-latency; }
start_tcx() { start_nstrace --tcx; }
# The floor: a trivial tc program (tests/bpf/user_accept.bpf.c) as a clsact
# filter on ingress and egress of the four ports (tc, a witness).
FLOOR_PORTS="$R:veth-red :${P}br0-red :${P}br0-blue $B:veth-blue"
FLOOR_OBJ=${FLOOR_OBJ:-$PWD/.output/test-user_accept.bpf.o}
FLOOR_ON=
in_ns() { if [ -n "$1" ]; then ip netns exec "$1" "${@:2}"; else "${@:2}"; fi; }
start_floor() {
	local spec ns dev
	tracer=()
	[ -e "$FLOOR_OBJ" ] || { echo "bench: floor: $FLOOR_OBJ missing (make $FLOOR_OBJ)" >&2; return; }
	FLOOR_ON=1
	for spec in $FLOOR_PORTS; do
		ns=${spec%%:*} dev=${spec#*:}
		in_ns "$ns" tc qdisc add dev "$dev" clsact &&
		in_ns "$ns" tc filter add dev "$dev" ingress bpf da obj "$FLOOR_OBJ" sec tc &&
		in_ns "$ns" tc filter add dev "$dev" egress bpf da obj "$FLOOR_OBJ" sec tc ||
			echo "bench: floor: could not attach to $dev" >&2
	done
}
stop_floor() {
	local spec ns dev
	[ -n "$FLOOR_ON" ] || return 0
	for spec in $FLOOR_PORTS; do
		ns=${spec%%:*} dev=${spec#*:}
		in_ns "$ns" tc qdisc del dev "$dev" clsact 2>/dev/null
	done
	FLOOR_ON=
}
start_tcpdump() {
	tracer=()
	for spec in "$R:veth-red" ":${P}br0-red" ":${P}br0-blue" "$B:veth-blue"; do
		ns=${spec%%:*} dev=${spec#*:}
		if [ -n "$ns" ]; then
			ip netns exec "$ns" tcpdump -i "$dev" -w /dev/null -s 0 -q 2>/dev/null &
		else
			tcpdump -i "$dev" -w /dev/null -s 0 -q 2>/dev/null &
		fi
		tracer+=($!)
	done
	sleep 0.5   # tcpdump has no ready signal; it needs ~45 ms to its first packet
}
# reap PID SECS: wait until PID (our child) ends; SIGKILL after SECS. Polls
# /proc with builtins (a zombie still answers kill -0). 1 when it was killed.
reap() {
	local pid=$1 n=$(($2 * 400)) st rc=0
	while [ "$n" -gt 0 ]; do
		read -r _ _ st _ 2>/dev/null <"/proc/$pid/stat" || break
		[ "$st" = Z ] && break
		sleep 0.002
		n=$((n - 1))
	done
	if [ "$n" -le 0 ]; then kill -KILL "$pid" 2>/dev/null; rc=1; fi
	wait "$pid" 2>/dev/null
	return $rc
}
# stop_tracer [SIG]: SIGINT as a user would (SIGTERM from the EXIT trap: a
# SIGINT sent before watch blocks it is lost, bash starts background jobs
# with SIGINT ignored), then wait, 10 s at most.
stop_tracer() {
	local p
	[ ${#tracer[@]} -gt 0 ] || return 0
	kill -"${1:-INT}" "${tracer[@]}" 2>/dev/null
	for p in "${tracer[@]}"; do reap "$p" 10 || echo "bench: pid $p killed after 10 s" >&2; done
	tracer=()
}

# ---- per-program cost from the kernel's accounting ----
# Programs are global: other nstrace processes on the host load watch_* too,
# so only the programs whose fds our watch holds count (/proc/PID/fdinfo
# names a prog_id for program and link fds; bpftool maps ids to names).
STATS_WAS=
stats_on() {
	[ -n "$STATS_WAS" ] || STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null)
	sysctl -q -w kernel.bpf_stats_enabled=1 >/dev/null
}
stats_restore() {   # from the EXIT trap
	[ -n "$STATS_WAS" ] && sysctl -q -w kernel.bpf_stats_enabled="$STATS_WAS" >/dev/null
	STATS_WAS=
}
# prog_snapshot PID: "kind run_time_ns run_cnt" per nstrace program of PID.
# Kinds by name prefix (the kernel keeps 15 characters of a name; bpftool
# prints BTF's full name when it has one).
prog_snapshot() {
	local ids
	ids=$(grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un | paste -sd, -)
	[ -n "$ids" ] || return 0
	bpftool prog show -j 2>/dev/null | jq -r --argjson ids "[$ids]" '
		.[] | select(.id as $i | $ids | index($i)) |
		(.name // "") as $n |
		(if ($n | startswith("watch_tc_ingres")) then "tc_ingress"
		 elif ($n | startswith("watch_tc_egress")) then "tc_egress"
		 elif ($n | startswith("watch_kfree_skb")) then "kfree_skb"
		 elif ($n | startswith("watch_icmp_send")) then "icmp_send"
		 elif ($n | startswith("watch_tcp_send_")) or ($n | startswith("watch_tcp_recei")) then "resets"
		 else empty end) as $k |
		"\($k) \(.run_time_ns // 0) \(.run_cnt // 0)"'
}
# cost_add FILE BEFORE AFTER SECONDS: append the per-kind deltas
# ("kind ns calls seconds"); one kind may have several programs (resets).
cost_add() {
	awk -v s="$4" 'NR == FNR { t[$1] -= $2; c[$1] -= $3; next } { t[$1] += $2; c[$1] += $3 }
		END { for (k in t) print k, t[k], c[k], s }' "$2" "$3" >>"$1"
}
# cost_cell FILE KIND: "ns per call" over all runs in FILE, "–" without calls.
cost_cell() {
	awk -v k="$2" '$1 == k { t += $2; c += $3 } END { if (c > 0) printf "%.0f", t / c; else printf "–" }' "$1"
}
# calls_cell FILE KIND: calls of KIND per second of load ("12k/s", "3/s").
calls_cell() {
	awk -v k="$2" '$1 == k { c += $3; s += $4 } END {
		r = (s > 0) ? c / s : 0
		if (r >= 1000) printf "%.0fk/s", r / 1000; else printf "%.0f/s", r }' "$1"
}
# phase NAME: say on stderr what starts, and how long the previous phase took.
PHASE= PHASE_T=
phase() {
	local t
	t=$(date +%s.%N)
	[ -n "$PHASE" ] && awk -v a="$PHASE_T" -v b="$t" -v n="$PHASE" 'BEGIN { printf "bench: %s took %.0fs\n", n, b - a }' >&2
	PHASE=$1 PHASE_T=$t
	[ -n "$1" ] && echo "bench: $1" >&2
	return 0
}
