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
say "nstrace topo show --diff $FILE --prefix $PFX"
"$NST" topo show --diff "$FILE" --prefix "$PFX"
say "nstrace topo down --prefix $PFX $FILE"
