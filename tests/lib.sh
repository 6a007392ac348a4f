# Shared by the shell tests. Source it, then call pass/fail/skip/check.
# Every namespace and link a test makes carries the random prefix $P, and
# the EXIT trap removes all of them (and the processes in $PIDS) even when
# the test fails.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.."
NST=${NST:-$PWD/nstrace}
T=$(basename "$0" .sh)
P=n$(printf %04x $((RANDOM * 2 + RANDOM % 2)) | tail -c 4)-
TMP=$(mktemp -d)
UP_FILES=()
PIDS=()

pass() { echo "PASS $T/$1"; }
fail() { echo "FAIL $T/$1: $2"; }
skip() { echo "SKIP $T/$1: $2"; }
detail() { sed 's/^/    /' | head -n "${1:-20}"; }

# check NAME CMD...: PASS when CMD succeeds, else FAIL with its output.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "'$*' failed"
		printf '%s\n' "$out" | detail
	fi
}

# expect_exit NAME CODE PATTERN CMD...: CMD exits CODE and its stderr
# matches the extended regex PATTERN.
expect_exit() {
	local name=$1 want=$2 pat=$3 rc
	shift 3
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ "$rc" != "$want" ]; then
		fail "$name" "exit $rc, want $want"
		detail <"$TMP/err"
	elif ! grep -Eq -- "$pat" "$TMP/err"; then
		fail "$name" "message does not match /$pat/"
		detail <"$TMP/err"
	else
		pass "$name"
	fi
}

topo_up() {   # FILE: nstrace topo up with our prefix, remembered for cleanup
	UP_FILES+=("$1")
	"$NST" topo up --prefix "$P" "$1"
}

# What the host looks like from here: namespaces and root links.
snapshot() {
	{ ip netns list | awk '{print $1}' | sort; echo --; ip -o link | awk -F': ' '{print $2}' | cut -d@ -f1 | sort; }
}

cleanup() {
	local f ns l pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
	for f in "${UP_FILES[@]}"; do "$NST" topo down --prefix "$P" "$f" >/dev/null 2>&1; done
	for ns in $(ip netns list | awk '{print $1}' | grep "^$P"); do ip netns del "$ns"; done
	for l in $(ip -o link | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^$P"); do ip link del "$l"; done
	rm -f /run/netns/"$P"* 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# start_watch OUT ARGS...: nstrace watch --json in the background, returning
# once its ready file exists (never guessing with sleeps). stop_watch ends
# it with SIGINT, as a user would, and waits for its summary.
start_watch() {
	local out=$1 i
	shift
	rm -f "$out.ready"
	"$NST" watch "$@" --json --duration 120 --ready-file "$out.ready" >"$out" 2>"$out.err" &
	WPID=$!
	PIDS+=("$WPID")
	for i in $(seq 200); do
		[ -e "$out.ready" ] && return 0
		kill -0 "$WPID" 2>/dev/null || break
		sleep 0.05
	done
	echo "    nstrace watch did not become ready:"; detail <"$out.err"
	return 1
}
stop_watch() {
	kill -INT "$WPID" 2>/dev/null
	wait "$WPID"
}
# summary OUT JQ-FILTER: apply a jq filter to the summary line of OUT.
summary() { grep '"type":"summary"' "$1" | jq -r "$2"; }
# drops OUT NETNS DEV REASON [LOCATION]: the summed exact count.
drops() {
	summary "$1" "[.drops[] | select(.netns == \"$2\" and .dev == \"$3\" and .reason == \"$4\"
		${5:+and .location == \"$5\"}) | .count] | add // 0"
}
# nsstat NS COUNTER: a kernel SNMP counter inside a namespace (nstat -az).
# tcx_available: the kernel has tcx links (6.6+), as nstrace features says.
tcx_available() { "$NST" features 2>/dev/null | grep -q '^tc  *available'; }
nsstat() { ip netns exec "$1" nstat -az "$2" | awk -v c="$2" '$1 == c {print $2}'; }
# eq NAME GOT WANT: PASS when equal (and not empty).
eq() {
	if [ -n "$2" ] && [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '${2}', want '${3}'"; fi
}
