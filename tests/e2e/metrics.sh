#!/bin/bash
# watch --metrics, scraped by a real Prometheus (Debian's), queried over
# its HTTP API: the drop counter arrives with the expected labels and the
# value the kernel witnesses. promtool checks the exposition format.
. "$(dirname "$0")/../lib.sh"

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
	fail prometheus_installed "prometheus or promtool missing (make deps installs them)"; exit 1
fi
if ! topo_up topologies/bridge.topo >"$TMP/up" 2>&1; then
	fail up "topo up failed"; detail <"$TMP/up"; exit 1
fi
R=${P}red B=${P}blue
MPORT=$((20000 + RANDOM % 5000)) PPORT=$((25000 + RANDOM % 5000))

start_watch "$TMP/w" "$R" --metrics "$MPORT" || { fail watch "not ready"; exit 1; }
cat >"$TMP/prom.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: nstrace
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
YML
prometheus --config.file="$TMP/prom.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" >"$TMP/prom.log" 2>&1 &
PIDS+=($!)

# A real fault: red sends 5 datagrams to a closed port on blue.
before=$(nsstat "$B" UdpNoPorts)
ip netns exec "$R" bash -c 'for i in 1 2 3 4 5; do echo x >/dev/udp/10.0.0.2/9; done' 2>/dev/null
want=$(( $(nsstat "$B" UdpNoPorts) - before ))

curl -s "http://127.0.0.1:$MPORT/metrics" >"$TMP/metrics"
promtool check metrics <"$TMP/metrics" >"$TMP/promtool" 2>&1 && pass exposition_format ||
	{ fail exposition_format "promtool complains"; detail <"$TMP/promtool"; }
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/other")
eq not_found_elsewhere "$code" 404

q='nstrace_drops_total{reason="NO_SOCKET",location="__udp4_lib_rcv"}'
got=
for i in $(seq 60); do
	got=$(curl -s -G "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$q" |
		jq -r '.data.result[0] | "\(.metric.netns) \(.metric.dev) \(.metric.benign) \(.value[1])"' 2>/dev/null)
	[ "${got##* }" = "$want" ] && break
	sleep 0.5
done
eq prometheus_has_the_drop "$got" "$B veth-blue false $want"
up=$(curl -s -G "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode 'query=up{job="nstrace"}' |
	jq -r '.data.result[0].value[1]')
eq scrape_healthy "$up" 1
stop_watch
! curl -s -m 1 "http://127.0.0.1:$MPORT/metrics" >/dev/null && pass closed_on_exit ||
	fail closed_on_exit "still serving after watch exited"

# A port already taken: exit 2, one line, nothing attached.
nc -l 127.0.0.1 "$MPORT" >/dev/null 2>&1 &
PIDS+=($!)
sleep 0.2
expect_exit port_in_use 2 "cannot listen on $MPORT: Address already in use" \
	"$NST" watch "$R" --metrics "$MPORT" --duration 1
