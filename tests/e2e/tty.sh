#!/bin/bash
# The live view in a real terminal (tmux, 80x24): it refreshes, no line is
# wider than 80 columns, NO_COLOR turns bold off, and the terminal is
# given back on exit.
. "$(dirname "$0")/../lib.sh"

if ! command -v tmux >/dev/null; then
	fail tmux_installed "tmux missing (make deps installs it)"; exit 1
fi
if ! topo_up topologies/bridge.topo >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
R=${P}red
SOCK=$TMP/tmux.sock
tm() { tmux -S "$SOCK" "$@"; }
cleanup_tmux() { tm kill-server 2>/dev/null; }
trap 'cleanup_tmux; cleanup' EXIT

run_view() {   # NAME ENV...: watch red in an 80x24 tmux pane for 4 s
	local name=$1
	shift
	tm new-session -d -s "$name" -x 80 -y 24 \
		"env $* $NST watch $R --duration 4 --ready-file $TMP/$name.ready; sleep 30"
	for i in $(seq 100); do [ -e "$TMP/$name.ready" ] && break; sleep 0.05; done
	ip netns exec "$R" bash -c 'for i in 1 2 3; do echo x >/dev/udp/10.0.0.2/9; done' 2>/dev/null
	sleep 1.5
	tm capture-pane -p -e -t "$name" >"$TMP/$name.1"
	sleep 1.2
	tm capture-pane -p -e -t "$name" >"$TMP/$name.2"
	sleep 2
	tm capture-pane -p -S -500 -t "$name" >"$TMP/$name.end"
}

run_view plain NO_COLOR=1
grep -q '^nstrace watch .* up 00:0' "$TMP/plain.1" && pass live_view_drawn ||
	{ fail live_view_drawn "no header"; detail <"$TMP/plain.1"; }
[ "$(grep -o 'up 00:0[0-9]' "$TMP/plain.1")" != "$(grep -o 'up 00:0[0-9]' "$TMP/plain.2")" ] &&
	pass refreshes || fail refreshes "the same clock twice"
grep -q "$R" "$TMP/plain.2" && grep -q 'NO_SOCKET' "$TMP/plain.2" && pass shows_drops ||
	{ fail shows_drops "no NO_SOCKET row"; detail <"$TMP/plain.2"; }
# Columns, not bytes ("µ" is two bytes, one column).
wide=$(sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' "$TMP/plain.2" "$TMP/plain.end" |
	python3 -c 'import sys; print(sum(len(l.rstrip("\n")) > 80 for l in sys.stdin.buffer.read().decode().splitlines()))')
eq fits_80_columns "$wide" 0
grep -q $'\x1b\\[1m' "$TMP/plain.2" && fail no_color_honoured "bold with NO_COLOR=1" || pass no_color_honoured
grep -q '^nstrace: summary after' "$TMP/plain.end" && pass summary_after_view ||
	{ fail summary_after_view "no summary on the main screen"; detail <"$TMP/plain.end"; }
run_view bold
grep -q $'\x1b\\[1m' "$TMP/bold.2" && pass bold_without_no_color || fail bold_without_no_color "no bold"
