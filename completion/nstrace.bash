# bash completion for nstrace: commands, options, namespace names (from
# /run/netns, plus root), running containers (docker/podman ps) and the
# container target forms, and topology files (*.topo).
# Installed by 'make install' to /usr/share/bash-completion/completions/nstrace.

_nstrace_namespaces()
{
	local d=/run/netns
	{ echo root; [ -d $d ] && ls -1 $d 2>/dev/null; _nstrace_containers; } | sort -u
}

# Running Docker/Podman containers by name, when their CLI answers quickly;
# and the explicit target forms.
_nstrace_containers()
{
	local c
	for c in docker podman; do
		command -v $c >/dev/null 2>&1 &&
			timeout 1 $c ps --format '{{.Names}}' 2>/dev/null | sed "p; s/^/$c:/"
	done
	echo docker: podman: pod: id: pid:
}

_nstrace()
{
	local cur prev cmd sub i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

	# The command and topo's subcommand, skipping global options.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) if [ -z "$cmd" ]; then cmd=${COMP_WORDS[i]}
		   elif [ "$cmd" = topo ] && [ -z "$sub" ]; then sub=${COMP_WORDS[i]}
		   fi ;;
		esac
	done

	case $prev in
	--prefix|--duration|--interval|--host|--net|--port|--filter|--metrics|--pid)
		[ "$prev" = --pid ] && COMPREPLY=($(compgen -W "$(ls /proc | grep -E '^[0-9]+$')" -- "$cur"))
		return ;;
	--proto)
		COMPREPLY=($(compgen -W "tcp udp icmp icmp6 sctp" -- "$cur")); return ;;
	--topo|--diff)
		COMPREPLY=($(compgen -f -X '!*.topo' -- "$cur") $(compgen -d -- "$cur")); return ;;
	--ready-file|--pcap|--btf)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	esac

	case $cmd in
	"")
		COMPREPLY=($(compgen -W "topo watch trace doctor cleanup features --verbose --help --version" -- "$cur")) ;;
	topo)
		case $sub in
		"") COMPREPLY=($(compgen -W "up down check show" -- "$cur")) ;;
		up|down|check)
			if [[ $cur == -* ]]; then
				COMPREPLY=($(compgen -W "--prefix --help" -- "$cur"))
			else
				COMPREPLY=($(compgen -f -X '!*.topo' -- "$cur") $(compgen -d -- "$cur"))
			fi ;;
		show)
			if [[ $cur == -* ]]; then
				COMPREPLY=($(compgen -W "--json --dot --diff --prefix --help" -- "$cur"))
			else
				COMPREPLY=($(compgen -W "$(_nstrace_namespaces)" -- "$cur"))
			fi ;;
		esac ;;
	watch|trace)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--pid --all --only --lines --json --quiet --benign
				--duration --ready-file --interval --pcap --pcap-all --metrics --hist
				--no-latency --journey --why --clsact --tcx --btf --host --net --port --proto
				--filter --verbose --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_nstrace_namespaces)" -- "$cur"))
		fi ;;
	doctor)
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--pid --topo --prefix --json --help" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_nstrace_namespaces)" -- "$cur"))
		fi ;;
	features)
		COMPREPLY=($(compgen -W "--help" -- "$cur")) ;;
	cleanup)
		COMPREPLY=($(compgen -W "--dry-run --help" -- "$cur")) ;;
	esac
}
complete -F _nstrace nstrace
