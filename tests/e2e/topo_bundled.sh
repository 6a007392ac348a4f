#!/bin/bash
# Each bundled topology: up, then witnesses that are not nstrace (ip, ping)
# agree with the file; down leaves the system exactly as before.
. "$(dirname "$0")/../lib.sh"

# ping FROM_NS ADDR [ping args]: one echo, one second at most.
nsping() { local ns=$1 addr=$2; shift 2; ip netns exec "$P$ns" ping -c1 -W1 -q "$@" "$addr" >/dev/null 2>&1; }

# The file's own addr and mtu lines, checked against ip's view.
check_declared() {
	local file=$1 name=$2 kw ref val ns ifc bad=0
	while read -r kw ref val _; do
		case $kw in addr|mtu) ;; *) continue ;; esac
		ns=${ref%%:*} ifc=${ref#*:}
		[ "$ns" = "$ref" ] && { ns=""; ifc=$P$ref; }
		if [ "$kw" = addr ]; then
			ip ${ns:+-n "$P$ns"} -o addr show dev "$ifc" | grep -q " $val " ||
				{ echo "    $ref has no $val"; bad=1; }
		else
			ip ${ns:+-n "$P$ns"} -o link show dev "$ifc" | grep -q " mtu $val " ||
				{ echo "    $ref mtu is not $val"; bad=1; }
		fi
	done < <(sed 's/#.*//' "$file")
	[ $bad = 0 ] && pass "$name/addresses_and_mtus" || fail "$name/addresses_and_mtus" "ip disagrees with the file"
}

connectivity() {
	case $1 in
	pair) nsping red 10.0.0.2 && nsping blue 10.0.0.1 ;;
	bridge) nsping red 10.0.0.3 && nsping blue 10.0.0.1 && nsping red fd42:4e53::3 ;;
	router-mtu) nsping red 10.0.2.1 && nsping blue 10.0.1.1 &&
		# Through the 1400-byte link only what fits passes with DF set.
		nsping red 10.0.2.1 -M do -s 1372 && ! nsping red 10.0.2.1 -M do -s 1472 ;;
	mtu-mismatch) nsping red 10.0.3.2 -s 1000 && ! nsping red 10.0.3.2 -s 1472 ;;
	three-tier) nsping web 10.10.3.2 && nsping db 10.10.1.2 && nsping app 10.10.1.2 ;;
	# wan has no route back: only the masquerade makes the reply come home.
	gateway) nsping lan 203.0.113.2 && ! nsping wan 192.168.7.2 ;;
	*) return 1 ;;
	esac
}

for file in topologies/*.topo; do
	name=$(basename "$file" .topo)
	before=$(snapshot)
	if ! out=$(topo_up "$file" 2>&1); then
		fail "$name/up" "topo up failed"
		echo "$out" | detail
		continue
	fi
	pass "$name/up"
	check_declared "$file" "$name"
	for ns in $(sed -n 's/^ns \([^ #]*\).*/\1/p' "$file"); do
		ip netns list | grep -q "^$P$ns\b" || { fail "$name/ip_netns_list" "$P$ns not listed"; continue 2; }
	done
	pass "$name/ip_netns_list"
	if connectivity "$name"; then pass "$name/ping"; else fail "$name/ping" "connectivity as declared does not hold"; fi
	check "$name/show_diff_matches" "$NST" topo show --diff "$file" --prefix "$P"
	check "$name/down" "$NST" topo down --prefix "$P" "$file"
	after=$(snapshot)
	if [ "$before" = "$after" ]; then
		pass "$name/down_leaves_nothing"
	else
		fail "$name/down_leaves_nothing" "namespaces or links differ"
		diff <(echo "$before") <(echo "$after") | detail
	fi
	check "$name/down_again_is_harmless" "$NST" topo down --prefix "$P" "$file"
done
