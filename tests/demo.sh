#!/bin/bash
# make demo: nstrace on the bundled bridge topology. Builds it (names
# prefixed "demo-" so nothing of yours is touched), draws it, proves
# red <-> green connectivity with ping, and removes it again, even on
# failure or Ctrl-C.
set -u
cd "$(dirname "$0")/.."
NST=./nstrace
FILE=topologies/bridge.topo
PFX=demo-

if [ "$(id -u)" != 0 ]; then
	echo "make demo needs root (it creates network namespaces)" >&2
	exit 3
fi
cleanup() { "$NST" topo down --prefix "$PFX" "$FILE"; }
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "nstrace topo up --prefix $PFX $FILE"
"$NST" topo up --prefix "$PFX" "$FILE" || exit
say "nstrace topo show ${PFX}red ${PFX}blue ${PFX}green root"
"$NST" topo show "${PFX}red" "${PFX}blue" "${PFX}green" root | grep -v -e '^  lo ' -e '^  route' -e '^  ifb' -e '^  eth'
say "ip netns exec ${PFX}red ping -c3 10.0.0.3   (red -> green over ${PFX}br0)"
ip netns exec "${PFX}red" ping -c3 -i0.2 -W1 10.0.0.3 || { echo "demo: red cannot reach green" >&2; exit 1; }
say "nstrace watch ${PFX}red   (while red connects to a port nobody listens on in blue)"
READY=$(mktemp -u /tmp/nstrace-demo.XXXXXX)
(
	for i in $(seq 50); do [ -e "$READY" ] && break; sleep 0.1; done
	sleep 1
	for i in 1 2 3; do
		ip netns exec "${PFX}red" nc -z -w1 10.0.0.2 8080 2>/dev/null
		sleep 1
	done
) &
fault=$!
mode=--lines
[ -t 1 ] && mode=
"$NST" watch "${PFX}red" --duration 6 --ready-file "$READY" $mode
wait "$fault"
say "nstrace watch ${PFX}red --hist   (latency per hop and per namespace pair, while red pings green)"
rm -f "$READY"
(
	for i in $(seq 50); do [ -e "$READY" ] && break; sleep 0.1; done
	ip netns exec "${PFX}red" ping -c20 -i0.1 -W1 10.0.0.3 >/dev/null 2>&1
) &
fault=$!
"$NST" watch "${PFX}red" --duration 3 --ready-file "$READY" --lines -q --hist |
	sed -n '/^LATENCY BETWEEN/,/^stories read/p' | grep -v '^stories read'
wait "$fault"
say "nstrace trace ${PFX}red --proto icmp   (one ping's path, port by port)"
rm -f "$READY"
(
	for i in $(seq 50); do [ -e "$READY" ] && break; sleep 0.1; done
	ip netns exec "${PFX}red" ping -c1 -W1 10.0.0.3 >/dev/null 2>&1
) &
fault=$!
"$NST" trace "${PFX}red" --proto icmp --duration 1.5 --ready-file "$READY" -q | sed '/^$/,$d'
wait "$fault"
say "Someone sets blue's MTU to 1400. nstrace doctor ${PFX}red ${PFX}blue finds it before any traffic:"
ip -n "${PFX}blue" link set veth-blue mtu 1400
"$NST" doctor "${PFX}red" "${PFX}blue"
say "nstrace watch ${PFX}red   (while red sends 1450-byte pings to blue: they vanish)"
rm -f "$READY"
(
	for i in $(seq 50); do [ -e "$READY" ] && break; sleep 0.1; done
	ip netns exec "${PFX}red" ping -c3 -i0.5 -W1 -s 1450 10.0.0.2 >/dev/null 2>&1
) &
fault=$!
"$NST" watch "${PFX}red" --duration 3 --ready-file "$READY" --lines -q
wait "$fault"
ip -n "${PFX}blue" link set veth-blue mtu 1500
say "nstrace topo show --diff $FILE --prefix $PFX"
"$NST" topo show --diff "$FILE" --prefix "$PFX"
say "nstrace topo down --prefix $PFX $FILE"
