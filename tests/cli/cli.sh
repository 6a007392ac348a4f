#!/bin/bash
# The command line itself: help, version, exact matching, exit codes, and
# the rule that the product never shells out. Needs no root.
. "$(dirname "$0")/../lib.sh"

# 1.2.3, or from git 1.2.3+4.gabc1234[.dirty]: also a valid Debian version.
check version bash -c "'$NST' --version | grep -Eq '^nstrace [0-9]+\.[0-9]+\.[0-9]+(\+[0-9a-z.]+)?$'"
check help_lists_exit_codes bash -c "'$NST' --help | grep -q 'Exit codes: 0 ok, 1 runtime failure, 2 bad usage'"
check topo_help_has_examples bash -c "'$NST' topo --help | grep -q '^Examples:'"
expect_exit no_command 2 'Usage: nstrace' "$NST"
expect_exit unknown_command 2 "unknown command 'frob'" "$NST" frob
expect_exit prefix_is_not_a_command 2 "unknown command 'top'" "$NST" top show
expect_exit unknown_topo_sub 2 "unknown subcommand 'upp'" "$NST" topo upp x
expect_exit topo_up_without_file 2 'expected exactly one FILE' "$NST" topo check
expect_exit unknown_option 2 "unknown option '--frob'" "$NST" topo show --frob
expect_exit json_and_dot 2 'exclude each other' "$NST" topo show --json --dot
printf 'ns red\nns blue\nveth red:a blue:b\nmtu red:a 99999\n' >"$TMP/bad.topo"
expect_exit check_names_file_and_line 2 "^nstrace: $TMP/bad.topo:4: MTU '99999' for 'red:a' is out of range" \
	"$NST" topo check "$TMP/bad.topo"
expect_exit check_directory 2 'is a directory' "$NST" topo check "$TMP"
expect_exit check_missing_file 2 'cannot open: No such file' "$NST" topo check "$TMP/none.topo"
check check_bundled bash -c "for f in topologies/*.topo; do '$NST' topo check \$f || exit 1; done"

# The product never runs ip, tc or nft: netlink is libmnl, BPF is libbpf.
if grep -rnE 'system\(|popen\(|exec[lv]p?e?\(' user/; then
	fail no_shelling_out "user/ calls system(), popen() or exec*()"
else
	pass no_shelling_out
fi
# Only user/netns.c may change namespaces.
if grep -lE '\bsetns\(' user/*.c | grep -v '^user/netns.c$'; then
	fail setns_only_in_netns_c "setns() outside user/netns.c"
else
	pass setns_only_in_netns_c
fi

# Bash completion: commands, subcommands, options, namespaces, files.
complete_words() {   # the words typed so far; prints COMPREPLY sorted
	bash -c '. completion/nstrace.bash; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _nstrace
		printf "%s\n" "${COMPREPLY[@]}" | sort' x "$@"
}
eq completion/command "$(complete_words nstrace wa)" watch
eq completion/topo_sub "$(complete_words nstrace topo u)" up
eq completion/topo_file "$(complete_words nstrace topo up topologies/br)" topologies/bridge.topo
eq completion/namespace "$(complete_words nstrace watch ro)" root
eq completion/option "$(complete_words nstrace watch --pca)" "$(printf -- '--pcap\n--pcap-all')"
eq completion/proto "$(complete_words nstrace watch --proto ic)" "$(printf 'icmp\nicmp6')"

# Every option a command's --help names is completed and in the man page.
for cmd in "topo" "watch" "doctor" "cleanup"; do
	missing=
	for opt in $("$NST" $cmd --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
		grep -q -- "$opt" completion/nstrace.bash || missing+=" completion:$opt"
		grep -q -- "${opt//-/\\\\-}" nstrace.8 || missing+=" man:$opt"
	done
	[ -z "$missing" ] && pass "in_step/$cmd" || fail "in_step/$cmd" "not documented:$missing"
done
