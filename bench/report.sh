# Sourced by bench/run.sh after the measurements: report prints the results
# as markdown (stdout, and bench/RESULTS.md after a full run).

LOADS=${LOADS:-tcp udp64 storm trafgen}
COST_VARIANTS=${COST_VARIANTS:-nstrace nolat}
declare -A LOAD_NAME=(
	[tcp]="iperf3 TCP red→blue"
	[udp64]="iperf3 UDP 64 B, received"
	[storm]="drop storm: iperf3 UDP 64 B, nft drops all in blue, sent"
	[trafgen]="trafgen 60 B UDP to a closed port (TX_RING, non-linear), NO_SOCKET in blue"
)
declare -A UNIT=([tcp]="Mbit/s" [udp64]="pps" [storm]="pps" [trafgen]="pps")
declare -A VNAME=([nstrace]="watch red (full)" [nolat]="--no-latency" [tcpdump]="tcpdump, 4 ports"
	[tcx]="watch red --tcx (full)" [floor]="floor: TC_ACT_OK on the 4 ports")
# Columns: the three above, then EXTRA's variants that ran.
COLS="nstrace nolat tcpdump ${EXTRA:-}"

# rate LOAD VARIANT: median rate in the load's unit.
rate() {
	local m
	m=$(median <"$TMP/$1.$2")
	if [ "$1" = tcp ]; then awk -v m="$m" 'BEGIN { printf "%.0f", m / 1e6 }'; else printf '%.0f' "$m"; fi
}
# rcell LOAD VARIANT: "median (min–max)" of the per-round ratios, each to
# the mean of the untraced runs just before and after it.
rcell() {
	ratios "$TMP/$1.$2" "$TMP/$1.$2.base" | mmm | awk '{ printf "%.2f (%.2f–%.2f)", $1, $2, $3 }'
}
rmed() { ratios "$TMP/$1.$2" "$TMP/$1.$2.base" | median | awk '{ printf "%.2f", $1 }'; }
# lcell FILE: "median (min–max)" of whole numbers, "–" when empty.
lcell() {
	[ -s "$1" ] || { printf '–'; return; }
	mmm <"$1" | awk '{ printf "%.0f (%.0f–%.0f)", $1, $2, $3 }'
}
lmed() { [ -s "$1" ] && median <"$1" | awk '{ printf "%.0f", $1 }' || printf 'n/a'; }
summ() { [ -s "$1" ] && awk '$1 > 0 { k++ } END { printf "%d of %d", k, NR }' "$1"; }
exact_line() {  # LOAD VARIANT WHAT WITNESS
	local c w
	read -r c w <<<"${EXACT[$1.$2]:-}"
	local ok=no; [ "$c" = "$w" ] && ok=yes
	printf '%s counted %s %s, %s counted %s (exact: %s)' "${VNAME[$2]}" "$c" "$3" "$4" "$w" "$ok"
}

# cost_table: the per-program table (ns per call) of the cost passes.
cost_table() {
	local l v k
	echo "## Cost per program, from the kernel's accounting"
	echo
	echo "kernel.bpf_stats_enabled=1 during one extra run per load and variant (off during the rounds"
	echo "above). ns per call: run_time_ns / run_cnt of nstrace's programs (bpftool prog show), in"
	echo "parentheses calls per second. tc: one program per direction, attached to every"
	echo "watched port; resets: tcp_send_reset + tcp_receive_reset. kfree_skb and the tracepoints run for"
	echo "every namespace on the host (the netns filter is inside the program), so anything else running"
	echo "on the host adds calls; rare calls (a few per second) cost more each, from cold caches."
	echo
	echo "| load | watch | tc ingress | tc egress | kfree_skb | icmp_send | resets |"
	echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
	for l in $LOADS; do
		for v in $COST_VARIANTS; do
			printf '| %s | %s |' "$l" "${VNAME[$v]}"
			for k in tc_ingress tc_egress kfree_skb icmp_send resets; do
				printf ' %s (%s) |' "$(cost_cell "$TMP/cost.$l.$v" "$k")" "$(calls_cell "$TMP/cost.$l.$v" "$k")"
			done
			echo
		done
	done
	echo
}

report() {
	local l v
	echo
	echo "## Cost: rate while tracing / rate without, just before and after"
	echo
	echo "Median of $PAIRS rounds (min–max); each ratio is to the mean of the untraced runs just"
	echo "before and after it (a round: none, full, none, --no-latency, none, tcpdump, none)."
	echo "Higher is better; 1.00 = free."
	echo
	printf '| load | no tracing (median) |'; for v in $COLS; do printf ' %s |' "${VNAME[$v]}"; done; echo
	printf '| --- | ---: |'; for v in $COLS; do printf ' ---: |'; done; echo
	for l in $LOADS; do
		printf '| %s | %s %s |' "${LOAD_NAME[$l]}" "$(rate "$l" none)" "${UNIT[$l]}"
		for v in $COLS; do printf ' %s |' "$(rcell "$l" "$v")"; done; echo
	done
	echo
	echo "Rates (medians):"
	echo
	printf '| load | unit | no tracing |'; for v in $COLS; do printf ' %s |' "${VNAME[$v]}"; done; echo
	printf '| --- | --- | ---: |'; for v in $COLS; do printf ' ---: |'; done; echo
	for l in $LOADS; do
		printf '| %s | %s | %s |' "$l" "${UNIT[$l]}" "$(rate "$l" none)"
		for v in $COLS; do printf ' %s |' "$(rate "$l" "$v")"; done; echo
	done
	echo
	cost_table
	echo "## Exact counts, and nstrace's own cost (in the runs above)"
	echo
	echo "- storm: $(exact_line storm nstrace NETFILTER_DROP nft); $(exact_line storm nolat NETFILTER_DROP nft)"
	echo "- trafgen: $(exact_line trafgen nstrace "NO_SOCKET in $B" UdpNoPorts); $(exact_line trafgen nolat "NO_SOCKET in $B" UdpNoPorts); at ${TG_WHERE:-?}"
	for l in storm trafgen; do
		echo "- nstrace (full) during $l: cpu ${CPU[$l]:-?}% of one core, peak rss ${RSS[$l]:-?} MB"
	done
	echo
	echo "## Start, stop, first story"
	echo
	echo "Median (min–max) of $LC_RUNS runs each, in ms. Ready: start to --ready-file. Exit: SIGINT to"
	echo "the end of the process; the storm is a trafgen flood to a closed port (every frame a"
	echo "NO_SOCKET drop), under way 0.7 s before the SIGINT."
	echo
	echo "| topology | ports | ready | exit, idle | exit, storm | summary delivered |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: |"
	echo "| bridge.topo, watch red | $p_small | $(lcell "$TMP/lc.small.ready") | $(lcell "$TMP/lc.small.exit_idle") | $(lcell "$TMP/lc.small.exit_storm") | $(summ "$TMP/lc.small.summary") |"
	echo "| 20 namespaces on one bridge, watch n1 | $p_big | $(lcell "$TMP/lc.big.ready") | $(lcell "$TMP/lc.big.exit_idle") | $(lcell "$TMP/lc.big.exit_storm") | $(summ "$TMP/lc.big.summary") |"
	PER_PORT=$(awk -v a="$(lmed "$TMP/lc.small.ready")" -v b="$(lmed "$TMP/lc.big.ready")" -v pa="$p_small" -v pb="$p_big" \
		'BEGIN { if (pb > pa) printf "%.1f", (b - a) / (pb - pa); else print "n/a" }')
	echo
	echo "- ready: ${PER_PORT} ms per extra port"
	local live total
	live=$(grep -c '^live$' "$TMP/fs.when" 2>/dev/null)
	total=$(wc -l <"$TMP/fs.when" 2>/dev/null)
	echo "- first story (\`watch --json red\` into a pipe; one UDP datagram to a closed port of blue right"
	echo "  after ready, until its drop object reaches the reader): $(lcell "$TMP/fs.ms") ms;"
	echo "  $live of $total arrived while watch ran, the others only at exit after a SIGINT ${FS_CAP} s"
	echo "  after the drop$( [ "$live" != "$total" ] && echo ' (output block-buffered: those figures are the wait plus the exit)')"
	scale_report
	echo
	echo "Machine-readable:"
	echo
	echo '```'
	printf 'ratio'
	for l in $LOADS; do printf ' %s=%s' "$l" "$(rmed "$l" nstrace)"; done
	read -r c w <<<"${EXACT[storm.nstrace]:-}"; printf ' storm_exact=%s' "$([ "$c" = "$w" ] && echo yes || echo no)"
	read -r c w <<<"${EXACT[trafgen.nstrace]:-}"; printf ' trafgen_exact=%s' "$([ "$c" = "$w" ] && echo yes || echo no)"
	printf ' attach_ms=%s attach_ms_%sports=%s per_port_ms=%s' "$(lmed "$TMP/lc.small.ready")" "$p_big" "$(lmed "$TMP/lc.big.ready")" "$PER_PORT"
	printf ' exit_ms=%s exit_storm_ms=%s exit_ms_%sports=%s exit_storm_ms_%sports=%s' \
		"$(lmed "$TMP/lc.small.exit_idle")" "$(lmed "$TMP/lc.small.exit_storm")" \
		"$p_big" "$(lmed "$TMP/lc.big.exit_idle")" "$p_big" "$(lmed "$TMP/lc.big.exit_storm")"
	printf ' first_story_ms=%s first_story_live=%s/%s' "$(lmed "$TMP/fs.ms")" "$live" "$total"
	printf ' rss_mb=%s cpu_pct=%s' "${RSS[storm]:-?}" "${CPU[storm]:-?}"
	for v in tcpdump nolat ${EXTRA:-}; do
		for l in $LOADS; do printf ' %s_%s=%s' "$v" "$l" "$(rmed "$l" "$v")"; done
	done
	echo
	echo '```'
}
