#!/bin/bash
# Bad input, table-driven: each case must exit with its code, print one line
# naming the object and the cause, and change nothing on the system.
. "$(dirname "$0")/../lib.sh"

before=$(snapshot)
mkdir -p "$TMP/files"
f() { printf "$2" >"$TMP/files/$1"; echo "$TMP/files/$1"; }
long=$(printf 'x%.0s' {1..70})
huge=$TMP/files/huge.topo
{ printf 'ns red\n'; head -c 1048576 /dev/zero | tr '\0' 'a'; printf '\n'; } >"$huge"
# A binary passed by mistake: an ELF header (it has NULs), then noise.
{ printf '\177ELF\002\001\001\000\000\000'; head -c 4096 /dev/urandom; } >"$TMP/files/garbage.topo"
touch /run/netns/"${P}stale"
sleep 0.1 & dead=$!; wait $dead

# name|exit|pattern|command...[|wrapper: what runs nstrace, e.g. setpriv]
cases=(
"unknown_keyword|2|:2: unknown statement 'bridg'|topo check $(f k.topo 'ns a\nbridg br0\n')"
"missing_argument|2|:1: missing argument: expected 'addr|topo check $(f m.topo 'addr\n')"
"bad_cidr|2|:3: '10.0.0.1/33': prefix length must be 0..32|topo check $(f c.topo 'ns a\nveth a:x a:y\naddr a:x 10.0.0.1/33\n')"
"mtu_out_of_range|2|:3: MTU '20' for 'a:x' is out of range|topo check $(f u.topo 'ns a\nveth a:x a:y\nmtu a:x 20\n')"
"ifname_over_15|2|:2: interface name 'abcdefghijklmnop' is longer than 15 bytes|topo check $(f i.topo 'ns a\nbridge a:abcdefghijklmnop\n')"
"duplicate_ns|2|:2: namespace 'a' is already declared at line 1|topo check $(f d.topo 'ns a\nns a\n')"
"duplicate_link|2|:3: interface 'a:x' is already declared at line 2|topo check $(f dl.topo 'ns a\nbridge a:x\nbridge a:x\n')"
"undeclared_ns|2|:1: namespace 'ghost' is not declared|topo check $(f g.topo 'veth ghost:x y\n')"
"bridge_loop|2|:3: bridge 'b1' cannot be a port of bridge 'b0' \\(a bridge loop\\)|topo check $(f l.topo 'bridge b0\nbridge b1\nmaster b1 b0\n')"
"one_mib_line|2|:2: line is longer than 4096 bytes|topo check $huge"
"binary_garbage|2|not a topology file|topo check $TMP/files/garbage.topo"
"empty_file|2|no statements: an empty topology|topo check $(f e.topo '')"
"directory|2|is a directory, not a topology file|topo check $TMP/files"
"missing_file|2|cannot open: No such file or directory|topo check $TMP/files/vanished.topo"
"gateway_family|2|different families|topo check $(f gf.topo 'ns a\nroute a 10.1.0.0/16 via fd42::1\n')"
"host_route|2|routes in the host's namespace are not managed|topo check $(f hr.topo 'route root default via 10.0.0.1\n')"
"host_sysctl|2|sysctls of the host's namespace are not managed|topo check $(f hs.topo 'sysctl root net.ipv4.ip_forward=1\n')"
"host_firewall|2|:1: the host's firewall is not managed by nstrace|topo check $(f hf.topo 'firewall root input drop\n')"
"firewall_unknown_peer|2|:2: 'ghost' is neither a declared namespace nor an address|topo check $(f fp.topo 'ns a\nfirewall a input drop from ghost\n')"
"non_net_sysctl|2|only per-namespace keys under net. are allowed|topo check $(f ns.topo 'ns a\nsysctl a kernel.panic=1\n')"
"prefix_with_slash|2|prefix 'a/b' is not usable|topo check --prefix a/b $(f p.topo 'ns a\n')"
"name_with_slash|2|a/b: No such file or directory|topo show a/b"
"name_dotdot|2|'\\.\\.': '\\.' and '\\.\\.' are not names|watch .. --duration 1"
"name_too_long|2|longer than 63 bytes|watch $long --duration 1"
"missing_namespace|2|namespace '${P}ghost' does not exist|watch ${P}ghost --duration 1"
"stale_netns_entry|2|namespace '${P}stale': not a network namespace|watch ${P}stale --duration 1"
"not_a_namespace_file|2|/etc/hostname: not a network namespace|watch /etc/hostname --duration 1"
"exited_pid|2|pid $dead: no such process|watch --pid $dead --duration 1"
"pid_not_a_number|2|--pid '12ab' is not a process id|watch --pid 12ab --duration 1"
"unknown_inode|2|inode 7: no network namespace has it|watch inode:7 --duration 1"
"bad_duration|2|--duration 'soon' is not a number of seconds|watch --all --duration soon"
"bad_interval|2|--interval '-5' is not 0..3600000 ms|watch --all --interval -5"
"bad_filter_proto|2|unknown protocol 'tpc'|watch --all --proto tpc"
"bad_filter_or|2|'or' is not supported|watch --all --filter 'tcp or udp'"
"bad_port|2|port '99999' is not a number from 1 to 65535|watch --all --port 99999"
"unknown_command|2|unknown command 'wacth'|wacth red"
"unknown_option|2|unknown option '--frob' \\(try 'nstrace watch --help'\\)|watch --frob"
"option_without_argument|2|option '--duration' needs an argument|watch --all --duration"
"doctor_missing_topology|2|namespace '${P}a' does not exist|doctor --topo $(f dt.topo 'ns a\n') --prefix $P"
"unwritable_ready_file|2|cannot create /proc/nstrace-ready|watch --all --duration 1 --ready-file /proc/nstrace-ready"
"btf_missing_file|2|--btf $TMP/none.btf: cannot read BTF from it: No such file|watch --all --duration 1 --btf $TMP/none.btf"
"btf_not_btf|2|--btf /etc/hostname: cannot read BTF from it: not a BTF file|watch --all --duration 1 --btf /etc/hostname"
"no_cap_bpf|3|^nstrace watch: missing CAP_BPF \\(run as root, or grant it\\)|watch --all --duration 1|setpriv --bounding-set=-bpf"
"no_cap_perfmon|3|missing CAP_PERFMON|watch --all --duration 1|setpriv --bounding-set=-perfmon"
"no_cap_net_admin|3|^nstrace topo: missing CAP_NET_ADMIN|topo up --prefix $P topologies/pair.topo|setpriv --bounding-set=-net_admin"
"no_cap_sys_admin_cleanup|3|nstrace cleanup: missing CAP_SYS_ADMIN|cleanup|setpriv --bounding-set=-sys_admin"
"cleanup_argument|2|unexpected argument 'now'|cleanup now"
)

for c in "${cases[@]}"; do
	IFS='|' read -r name code pat cmd wrap <<<"$c"
	eval "set -- $cmd"
	# shellcheck disable=SC2086
	${wrap:-} "$NST" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	# (on kernels that lack something, watch's one notice of what is
	# degraded comes first: it is not part of the error)
	lines=$(grep -vc '^nstrace: degraded on this kernel: ' "$TMP/err")
	if [ "$rc" != "$code" ]; then
		fail "$name" "exit $rc, want $code"; detail <"$TMP/err"
	elif ! grep -Eq -- "$pat" "$TMP/err"; then
		fail "$name" "message does not match /$pat/"; detail <"$TMP/err"
	elif [ "$lines" != 1 ]; then
		fail "$name" "$lines lines on stderr, want one"; detail <"$TMP/err"
	else
		pass "$name"
	fi
done
rm -f /run/netns/"${P}stale"
after=$(snapshot)
[ "$before" = "$after" ] && pass changed_nothing || { fail changed_nothing "the system changed"; diff <(echo "$before") <(echo "$after") | detail; }
[ ${#cases[@]} -ge 30 ] && pass at_least_30_cases || fail at_least_30_cases "${#cases[@]} cases"
