#!/bin/bash
# Runs every test and ends with one line: "N passed, N failed".
# Tests print "PASS name", "FAIL name: why" or "SKIP name: why"; a script
# that dies without a verdict counts as failed.
#
# As root, the run re-executes itself inside a new network, mount and PID
# namespace (unshare -n -m -p, its own /proc) with a private tmpfs on
# /run: whatever a test creates, even in its "root" namespace, cannot
# touch the host's interfaces and vanishes with the run (leases in
# /run/nstrace too), and what nstrace
# discovers through /proc is only the run's own processes (another run on
# the same host is not a namespace of ours). Set NST_NO_SANDBOX=1 to run on the
# host itself; NST_SHELL=1 drops into a shell inside the sandbox instead.
# NST_ONLY="watch_drops mtu" runs only the tests so named (file names;
# "unit" and "cli" too), NST_TIMEOUT a test's limit in seconds (default 240):
# make check-kernels runs a subset in slow emulated guests.
set -u
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && [ -z "${NST_SANDBOX:-}" ] && [ -z "${NST_NO_SANDBOX:-}" ]; then
	# fd 9 keeps this network namespace: tests/install reaches the Debian
	# mirror through it (apt only; nstrace runs in the sandbox).
	exec 9</proc/self/ns/net
	exec env NST_SANDBOX=1 NST_HOST_NET_FD=9 unshare --net --mount --propagation private \
		--pid --fork --mount-proc "$0" "$@"
fi
if [ -n "${NST_SANDBOX:-}" ]; then
	# A private /run: namespace names (/run/netns) and leases (/run/nstrace)
	# of this run only. Leases name a pid of this PID namespace: another run
	# must not read them as a dead process's and undo them. A tmpfs on
	# /run/nstrace alone was not enough: an nstrace on the host removes its
	# empty /run/nstrace, and that detaches a mount on it in every other
	# mount namespace (KNOWN_ISSUES.md).
	mount -t tmpfs -o mode=0755 nst-test-run /run
	mkdir -p /run/netns /run/lock && chmod 1777 /run/lock
	ip link set lo up
	if [ -n "${NST_SHELL:-}" ]; then
		echo "inside the test sandbox; exit to leave"
		exec bash -i
	fi
fi

pass=0 fail=0 skip=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# make check-asan: every sanitizer report of every process (also the ones
# tests run in the background) lands in one directory, read at the end.
if [ -n "${NST_SANITIZE:-}" ]; then
	san=$(mktemp -d /tmp/nstrace-san.XXXXXX)
	export ASAN_OPTIONS="detect_leaks=1:log_path=$san/asan"
	export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$san/ubsan"
fi

only() { [ -z "${NST_ONLY:-}" ] || [[ " $NST_ONLY " == *" $(basename "$1" .sh) "* ]]; }

count() {   # $1: the name of what ran, $2: its exit status; reads $log
	local p f s
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	s=$(grep -c '^SKIP ' "$log")
	if [ "$2" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL $1: exited with status $2 without naming a failure"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

run() {   # $1: name, rest: command
	local name=$1 rc
	shift
	timeout --kill-after=10 "${NST_TIMEOUT:-240}" "$@" 2>&1 | tee "$log" | grep -E '^(PASS|FAIL|SKIP) |^  ' 
	rc=${PIPESTATUS[0]}
	[ "$rc" = 124 ] && echo "FAIL $name: timed out" | tee -a "$log"
	count "$name" "$rc"
}

{   # fd 9 (the runner's own network namespace) is for tests/install only
only unit && run unit "${UNIT:-.output/unit_tests}"
for t in tests/cli/*.sh; do
	only cli || continue
	run "$t" bash "$t"
done
for t in tests/e2e/*.sh; do
	only "$t" || continue
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP $t: needs root (namespaces, netlink, BPF)"
		skip=$((skip + 1))
		continue
	fi
	run "$t" bash "$t"
done
} 9<&-
# The .deb in a fresh minimal Debian root, and the bare binary (root, mirror).
for t in tests/install/*.sh; do
	only "$t" || continue
	run "$t" bash "$t"
done

if [ -n "${NST_SANITIZE:-}" ]; then
	reports=$(ls "$san" 2>/dev/null | wc -l)
	if [ "$reports" = 0 ]; then
		echo "PASS sanitizers: no ASan, UBSan or LeakSanitizer report from any process"
		pass=$((pass + 1))
	else
		echo "FAIL sanitizers: $reports reports in $san"
		for f in "$san"/*; do grep -m3 -E 'ERROR|SUMMARY|runtime error' "$f" | sed 's/^/    /'; done | head -30
		fail=$((fail + 1))
	fi
fi
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" = 0 ]
