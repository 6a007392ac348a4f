#!/bin/bash
# make bench: what nstrace costs, measured in one run beside the baseline,
# beside itself with latency off (--no-latency), and beside tcpdump on the
# same ports. Ratios to no tracing just before and after (a round is
# none/nstrace/none/nolat/none/tcpdump/none), medians (with min and max)
# of interleaved rounds, because this machine is shared and noisy. Then the kernel's own cost
# accounting per program, exactness of the counts, and start/stop/first-story
# times (issue 13).
#
# Runs inside its own network, mount and PID namespace (unshare -n -m -p:
# watch --all finds namespaces through /proc, and must see only ours), on
# red and blue of topologies/bridge.topo built by nstrace itself; nothing
# is left behind. PAIRS (default 5) and SECS (default 2) set the effort,
# LC_RUNS (default 5) the start/stop runs; EXTRA="tcx floor" more variants
# (see VARIANTS below); QUICK=1 is a short functional run
# (PAIRS=1 SECS=1 LC_RUNS=2, one 200-namespace host, 1 min of churn);
# SCALE=0 skips the large host (bench/scale.sh: SCALE_NS, CHURN_PER_MIN,
# CHURN_MIN); LOADS="storm trafgen" measures only those loads; COST_ONLY=1
# only the per-program cost (see below). Only a run with PAIRS >= 5 over
# every load writes bench/RESULTS.md;
# RESULTS_OUT=/path writes any run's report there instead. trafgen sends with
# --no-sock-mem (host sysctls untouched); kernel.bpf_stats_enabled is set only
# during the cost passes and restored on exit.
set -u
cd "$(dirname "$0")/.."
if [ -z "${NST_SANDBOX:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "make bench needs root" >&2; exit 3; }
	exec env NST_SANDBOX=1 unshare --net --mount --propagation private --pid --fork --mount-proc "$0" "$@"
fi
mkdir -p /run/netns && mount -t tmpfs -o mode=0755 nst-bench /run/netns
ip link set lo up

NST=${NST:-$PWD/nstrace}   # NST=/path/to/nstrace measures another build
if [ -n "${QUICK:-}" ]; then
	PAIRS=${PAIRS:-1} SECS=${SECS:-1} LC_RUNS=${LC_RUNS:-2}
	SCALE_NS=${SCALE_NS:-200} CHURN_MIN=${CHURN_MIN:-1}
else
	PAIRS=${PAIRS:-5} SECS=${SECS:-2} LC_RUNS=${LC_RUNS:-5}
fi
P=nb-
R=${P}red B=${P}blue
TMP=$(mktemp -d)
PIDS=()
BIG=
BENCH_T0=$(date +%s)
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)   # the other work on this machine, at the start
. bench/lib.sh
. bench/loads.sh
. bench/lifecycle.sh

cleanup() {
	stop_tracer TERM
	stop_floor
	trafgen_stop
	lc_stop TERM
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	stats_restore
	"$NST" topo down --prefix "$P" topologies/bridge.topo >/dev/null 2>&1
	[ -n "$BIG" ] && "$NST" topo down --prefix "$P" "$BIG" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$NST" topo up --prefix "$P" topologies/bridge.topo || exit 1
ip netns exec "$B" iperf3 -s -D -B 10.0.0.2 --pidfile "$TMP/iperf.pid" >/dev/null
sleep 0.3
PIDS+=("$(cat "$TMP/iperf.pid")")
trafgen_cfg "$TMP/trafgen.cfg" "$R" veth-red "$B" veth-blue 10.0.0.1 10.0.0.2

# EXTRA="tcx floor" adds variants to the rounds (columns after tcpdump's):
# tcx is the full watch on tcx links (--tcx), floor a trivial tc program
# (TC_ACT_OK) as a clsact filter on the four ports tcpdump watches: what
# the clsact dispatch costs before any of nstrace's work.
VARIANTS="none nstrace nolat tcpdump ${EXTRA:-}"
# summary_sum FILTER: a number from the summary line of the last watch.
summary_get() { grep '"type":"summary"' "$TMP/watch.json" | jq -r "$1"; }

# measure LOAD: PAIRS interleaved rounds, then the cost pass. A round runs
# the load without tracing before and after every variant (none A none B
# none C none): a variant's ratio is to the mean of the two runs around
# it, which cancels this machine's slow drift (TCP's rate moves by 15-20 %
# over seconds; adjacent runs agree better than runs further apart). Then the cost
# pass: one more run of nstrace and nolat each with kernel.bpf_stats_enabled=1
# (off during the rounds: the stats add two clock reads to every program
# call, a cost of their own), for the per-program table, exactness, CPU, RSS.
measure() {
	local load=$1 v i w0 w1 t0 t1 c0 c1 npid
	local before after
	phase "$load"
	for i in $(seq "$PAIRS"); do
		before=$("load_$load")
		echo "$before" >>"$TMP/$load.none"
		for v in $VARIANTS; do
			[ "$v" = none ] && continue
			"start_$v"
			echo "$("load_$load")" >>"$TMP/$load.$v"
			stop_tracer
			[ "$v" = floor ] && stop_floor
			[ "$v" = tcx ] && sleep 0.5   # its child releases the links
			after=$("load_$load")
			echo "$after" >>"$TMP/$load.none"
			awk -v a="$before" -v b="$after" 'BEGIN { printf "%.0f\n", (a + b) / 2 }' >>"$TMP/$load.$v.base"
			before=$after
		done
	done
	stats_on
	for v in $COST_VARIANTS; do
		w0=$(witness_$load)
		"start_$v"
		npid=${tracer[0]}
		prog_snapshot "$npid" >"$TMP/progs.before"
		t0=$(now_ns); c0=$(awk '{print $14 + $15}' /proc/"$npid"/stat)
		"load_$load" >/dev/null
		t1=$(now_ns); c1=$(awk '{print $14 + $15}' /proc/"$npid"/stat)
		prog_snapshot "$npid" >"$TMP/progs.after"
		cost_add "$TMP/cost.$load.$v" "$TMP/progs.before" "$TMP/progs.after" \
			"$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e9 }')"
		if [ "$v" = nstrace ]; then
			CPU[$load]=$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" -v t="$((t1 - t0))" \
				'BEGIN { printf "%.1f", (b - a) / hz / (t / 1e9) * 100 }')
			RSS[$load]=$(awk '/VmHWM/ { printf "%d", $2 / 1024 }' /proc/"$npid"/status)
		fi
		sleep 0.2
		stop_tracer
		w1=$(witness_$load)
		EXACT[$load.$v]="$(counted_$load) $((w1 - w0))"
	done
	stats_restore
}
declare -A CPU RSS EXACT
witness_tcp() { echo 0; }
witness_udp64() { echo 0; }
witness_storm() { storm_witness; }
witness_trafgen() { noports "$B"; }
counted_tcp() { echo 0; }
counted_udp64() { echo 0; }
counted_storm() { summary_get '[.drops[] | select(.reason == "NETFILTER_DROP") | .count] | add // 0'; }
counted_trafgen() { summary_get "[.drops[] | select(.netns == \"$B\" and .reason == \"NO_SOCKET\") | .count] | add // 0"; }

. bench/report.sh
# COST_ONLY=1: only the cost passes (no rounds, no start/stop), for the
# loads in LOADS (default all) and the variants in COST_VARIANTS (default
# "nstrace nolat"; a variant X with NST_X=/path/to/nstrace in the
# environment is the full watch of that build, to compare builds in one
# run), COST_RUNS times (default 1): the per-program table and exactness.
if [ -n "${COST_ONLY:-}" ]; then
	PAIRS=0
	for v in $COST_VARIANTS; do
		declare -F "start_$v" >/dev/null && continue
		bin=NST_$v
		[ -x "${!bin:-}" ] || { echo "bench: variant $v: set $bin to an nstrace binary" >&2; exit 2; }
		eval "start_$v() { local NST=\$$bin; start_nstrace; }"
		VNAME[$v]="$v: ${!bin} (full)"
	done
	for l in $LOADS; do
		[ "$l" = storm ] && storm_setup
		for r in $(seq "${COST_RUNS:-1}"); do measure "$l"; done
		[ "$l" = storm ] && storm_teardown
	done
	phase ""
	cost_table
	for l in storm trafgen; do
		for v in $COST_VARIANTS; do
			[ -n "${EXACT[$l.$v]:-}" ] && echo "- $l: $(exact_line "$l" "$v" drops "the witness")"
		done
	done
	exit 0
fi
echo "bench: $PAIRS interleaved rounds of ${SECS}s per variant and load" >&2
for l in $LOADS; do
	[ "$l" = storm ] && storm_setup
	measure "$l"
	[ "$l" = storm ] && storm_teardown
done
TG_WHERE=$(summary_get "[.drops[] | select(.netns == \"$B\" and .reason == \"NO_SOCKET\") | .location] | unique | join(\", \")")

# ---- start, stop, first story ----
phase "start, stop and first story on bridge.topo"
ports_of() { "$NST" watch "$@" --json --duration 0.1 2>/dev/null | head -1 | jq '.ports | length'; }
p_small=$(ports_of "$R")
lc_runs small "$LC_RUNS" "" "" "" -- "$R"
lc_runs small "$LC_RUNS" "$R" veth-red "$TMP/trafgen.cfg" -- "$R"
FS_CAP=1
first_story "$LC_RUNS" "$FS_CAP"
phase "start and stop with 41 ports"
BIG=$TMP/big.topo
{
	echo "bridge bb0"
	for i in $(seq 1 20); do echo "ns n$i"; echo "veth n$i:eth0 bb0"; echo "addr n$i:eth0 10.1.0.$i/24"; done
} >"$BIG"
"$NST" topo up --prefix "$P" "$BIG" >/dev/null || echo "bench: 20-namespace topology failed" >&2
trafgen_cfg "$TMP/trafgen-big.cfg" "${P}n1" eth0 "${P}n2" eth0 10.1.0.1 10.1.0.2
p_big=$(ports_of "${P}n1")
lc_runs big "$LC_RUNS" "" "" "" -- "${P}n1"
lc_runs big "$LC_RUNS" "${P}n1" eth0 "$TMP/trafgen-big.cfg" -- "${P}n1"
"$NST" topo down --prefix "$P" "$BIG" >/dev/null

# ---- a large host (issue 18): SCALE=0 skips it ----
scale_report() { :; }
[ "${SCALE:-1}" != 0 ] && . bench/scale.sh

phase ""
BENCH_SECS=$(( $(date +%s) - BENCH_T0 ))
report | tee "$TMP/report"
echo "bench: took ${BENCH_SECS}s" >&2
# A full run (PAIRS >= 5) is the record: bench/RESULTS.md (RESULTS_OUT=FILE
# writes any run's report to FILE instead).
OUT=${RESULTS_OUT:-}
[ -z "$OUT" ] && [ "$PAIRS" -ge 5 ] && [ "$LOADS" = "tcp udp64 storm trafgen" ] && OUT=bench/RESULTS.md
if [ -n "$OUT" ]; then
	{
		echo "# make bench: $([ "$PAIRS" -ge 5 ] && echo "last full run" || echo "a short run (PAIRS=$PAIRS)")"
		echo
		echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
		echo "- machine: kernel $(uname -r), $(nproc) vCPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
		echo "- nstrace $("$NST" --version | cut -d' ' -f2), commit $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- 2>/dev/null || echo ' (with local changes)')"
		echo "- $PAIRS interleaved rounds of ${SECS}s per variant and load, $LC_RUNS start/stop runs; the bench took ${BENCH_SECS}s"
		echo "- load average (1, 5, 15 min) at the start: $LOAD0; at the end: $(cut -d' ' -f1-3 /proc/loadavg) (the bench itself adds about 1)"
		cat "$TMP/report"
	} >"$OUT.new" && mv "$OUT.new" "$OUT"
	echo "bench: wrote $OUT" >&2
fi
