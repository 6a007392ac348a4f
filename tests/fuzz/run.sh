#!/bin/bash
# make fuzz: each libFuzzer target for FUZZ_SECS seconds (default 60) with
# ASan and UBSan, from its committed seed corpus (tests/fuzz/corpus/NAME,
# never written to); new inputs go to a scratch directory. A crash leaves
# its input in .output/fuzz/crash-NAME-* and fails the run: turn it into a
# unit test, then fix it.
set -u
cd "$(dirname "$0")/../.."
SECS=${FUZZ_SECS:-60}
fails=0
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	bin=.output/fuzz/$name
	work=$(mktemp -d)
	echo "fuzz: $name for ${SECS}s"
	if "$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix=".output/fuzz/crash-$name-" "$work" "tests/fuzz/corpus/${name#fuzz_}" \
		>".output/fuzz/log-$name" 2>&1; then
		echo "PASS fuzz/$name: $(grep -o 'stat::number_of_executed_units: *[0-9]*' ".output/fuzz/log-$name" | grep -o '[0-9]*$') runs, no crash"
	else
		echo "FAIL fuzz/$name: see .output/fuzz/log-$name"
		grep -E 'ERROR|SUMMARY|runtime error' ".output/fuzz/log-$name" | head -5 | sed 's/^/    /'
		fails=$((fails + 1))
	fi
	rm -rf "$work"
done
[ "$fails" = 0 ]
