#!/bin/bash
# Containers by name, against a real Docker (docker.io from Debian): a
# dockerd of our own inside the test sandbox (its data and exec roots on a
# tmpfs, its own socket, our own bridge, no iptables rules), an image made
# offline from busybox-static. nstrace finds the socket through DOCKER_HOST,
# as the docker CLI does.
#   - watch web: a container by name; refused connects counted exactly
#     (the kernel's TcpOutRsts in web is the witness), JSON carries the
#     container object;
#   - a container started and one stopped while watching: no error lines,
#     one story for the veth moved and renamed, labels that stay;
#   - doctor web: an MTU mismatch one hop away (another container on the
#     bridge), and the fix it prints, run as printed, repairs it;
#   - metrics: docker restart web keeps the series (same label);
#   - Podman: its Engine API answered by a recorded server (no podman here).
if [ -z "${NST_SANDBOX:-}" ]; then   # never on the host's own network
	exec unshare --net --mount --propagation private --pid --fork --mount-proc \
		env NST_SANDBOX=1 bash -c 'mkdir -p /run/netns /run/nstrace &&
		mount -t tmpfs t /run/netns && mount -t tmpfs t /run/nstrace &&
		ip link set lo up && exec bash "$0"' "$0"
fi
. "$(dirname "$0")/../lib.sh"

for c in dockerd docker busybox nsenter; do
	command -v "$c" >/dev/null || { fail installed "$c missing (make deps installs docker.io, busybox-static)"; exit 1; }
done
DK=$TMP/docker BR=${P}dk CG=nstrace-${P}docker
mkdir -p "$DK" && mount -t tmpfs nstrace-docker "$DK" || { fail tmpfs "cannot mount a tmpfs"; exit 1; }
mkdir -p "$DK/root" "$DK/exec" "$DK/img/bin"
docker_down() {
	[ -n "${DPID:-}" ] || return
	docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1
	kill "$DPID" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	for d in /sys/fs/cgroup/*/"$CG"; do rmdir "$d" 2>/dev/null; done
	umount -l "$DK" 2>/dev/null
	DPID=
}
trap 'docker_down; cleanup' EXIT

ip link add "$BR" type bridge && ip addr add 10.213.0.1/24 dev "$BR" && ip link set "$BR" up
export DOCKER_HOST=unix://$DK/docker.sock
dockerd --data-root "$DK/root" --exec-root "$DK/exec" -H "$DOCKER_HOST" --pidfile "$DK/docker.pid" \
	--bridge "$BR" --iptables=false --ip6tables=false --storage-driver vfs \
	--cgroup-parent "/$CG" >"$DK/dockerd.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do docker info >/dev/null 2>&1 && break; sleep 0.1; done
if ! docker info >/dev/null 2>&1; then
	fail dockerd "dockerd did not come up"; detail 30 <"$DK/dockerd.log"; exit 1
fi
# The image: busybox-static and its applets, imported (no registry needed).
cp "$(command -v busybox)" "$DK/img/bin/"
for a in sh sleep nc ip cat; do ln -s busybox "$DK/img/bin/$a"; done
tar -C "$DK/img" -c . | docker import - nstrace-bb >/dev/null || { fail image "docker import failed"; exit 1; }
run() { docker run -d --name "$1" nstrace-bb sleep 100000 >/dev/null; }
pidof_c() { docker inspect -f '{{.State.Pid}}' "$1"; }
ipof() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }
cstat() { nsenter -t "$(pidof_c "$1")" -n nstat -az "$2" | awk -v c="$2" '$1 == c {print $2}'; }
# N connects from client to web's closed port 81.
refuse() {
	nsenter -t "$(pidof_c client)" -n bash -c "for i in \$(seq $2); do
		echo > /dev/tcp/$1/81; done" 2>/dev/null
}
run web && run client || { fail run "docker run failed"; detail <"$DK/dockerd.log"; exit 1; }

# 1. watch web, by name; a refused connect counted exactly.
N=4
start_watch "$TMP/w" web || { fail watch_by_name "not ready"; exit 1; }
WIP=$(ipof web)
rst0=$(cstat web TcpOutRsts)
refuse "$WIP" $N
rsts=$(( $(cstat web TcpOutRsts) - rst0 ))
# 2. a container started and one stopped while watching.
run db
for i in $(seq 50); do   # its veth's move told (at a refresh), then stop client
	jq -r 'select(.type == "link" and .event == "moved") | .to_netns' "$TMP/w" 2>/dev/null |
		grep -q '^db$' && break
	sleep 0.1
done
docker stop -t 0 client >/dev/null
# Link news is told at the next refresh: wait for the story (a loaded
# machine may take more than a second), not a fixed time.
for i in $(seq 50); do
	jq -r 'select(.type == "link" and .event == "deleted") | .netns' "$TMP/w" 2>/dev/null |
		grep -q '^client$' && break
	sleep 0.1
done
sleep 0.3
stop_watch
eq watch_by_name/witness_resets "$rsts" "$N"
eq watch_by_name/refused_counted "$(drops "$TMP/w" web eth0 NO_SOCKET tcp_v4_rcv)" "$N"
eq watch_by_name/container_object "$(summary "$TMP/w" '[.drops[] | select(.netns == "web") |
	.container | "\(.runtime) \(.name) \(.id | length)"] | unique | join(",")')" "docker web 64"
eq start_stop/no_error_lines "$(grep -cE 'cannot attach|could not be attached|File exists' "$TMP/w.err")" 0
eq start_stop/no_runc_label "$(grep -c 'runc' "$TMP/w")" 0
eq start_stop/rename_one_story "$(jq -r 'select(.type == "link" and .event == "moved") |
	"\(.to_dev) \(.to_netns)"' "$TMP/w" | sort -u | grep -c '^eth0 db$')" 1
eq start_stop/no_appeared_then_deleted "$(jq -r 'select(.type == "link") | "\(.netns):\(.dev) \(.event)"' \
	"$TMP/w" | awk '$2 == "new" {n[$1]++} $2 == "deleted" {if (n[$1]) bad++} END {print bad + 0}')" 0
eq start_stop/stopped_keeps_its_name "$(jq -r 'select(.type == "link" and .event == "deleted") |
	.netns' "$TMP/w" | grep -c '^client$')" 1
if grep -q 'client (gone)' "$TMP/w" || summary "$TMP/w" '[.ports[] | .netns] | index("client")' |
	grep -q '[0-9]'; then pass start_stop/summary_names_the_stopped; else
	fail start_stop/summary_names_the_stopped "client not in the summary's ports"; fi
detail 5 <"$TMP/w.err"

# The same in text: the summary says "client (gone)".
"$NST" watch web --lines --duration 2 >"$TMP/t" 2>&1 &
TPID=$!; PIDS+=("$TPID")
sleep 1; wait "$TPID"
grep -q '^  web:eth0' "$TMP/t" && pass text/labelled_by_name ||
	{ fail text/labelled_by_name "no web:eth0 row"; detail <"$TMP/t"; }

# Bad names: clear, exit 2.
expect_exit unknown_name 2 "no container is named so" "$NST" watch nosuch-$P --duration 1
expect_exit stopped_container 2 "is not running" "$NST" doctor docker:client
expect_exit explicit_form 2 "docker has no container" "$NST" watch docker:nosuch-$P --duration 1
check id_prefix "$NST" doctor "id:$(docker inspect -f '{{.Id}}' web | cut -c1-10)"
check topo_show_marks bash -c "'$NST' topo show | grep -q '^web  (docker container'"

# 3. doctor web: the mismatch one hop away, on db's side of the bridge.
nsenter -t "$(pidof_c db)" -n ip link set eth0 mtu 1400
"$NST" doctor web >"$TMP/doc" 2>&1; rc=$?
eq doctor/exit_4 "$rc" 4
eq doctor/one_problem "$(grep -c '^problem:' "$TMP/doc")" 1
grep -q 'veth MTU mismatch: root:veth[0-9a-f]* (1500) <-> db:eth0 (1400)' "$TMP/doc" &&
	pass doctor/names_it || { fail doctor/names_it "wrong problem"; detail <"$TMP/doc"; }
fix=$(sed -n 's/.*(fix: \(.*\))$/\1/p' "$TMP/doc")
case $fix in nsenter\ -t\ *\ -n\ ip\ link\ set\ eth0\ mtu\ 1500) pass doctor/fix_is_nsenter ;;
	*) fail doctor/fix_is_nsenter "fix: '$fix'" ;; esac
bash -c "$fix" && "$NST" doctor web >"$TMP/doc2" 2>&1 && pass doctor/fix_as_printed_repairs ||
	{ fail doctor/fix_as_printed_repairs "still: $(cat "$TMP/doc2")"; }
nsenter -t "$(pidof_c db)" -n ip link set eth0 mtu 1400
eq doctor/json_fix "$("$NST" doctor --json web | jq -r .fix)" "$fix"
bash -c "$fix"
"$NST" doctor --pid "$(pidof_c web)" >"$TMP/doc3" 2>&1
eq doctor/pid_form "$?" 0

# 4. metrics: docker restart web keeps its label and its series.
MPORT=$((20000 + RANDOM % 5000))
start_watch "$TMP/m" web --metrics "$MPORT" || { fail metrics "not ready"; exit 1; }
q() { curl -s "http://127.0.0.1:$MPORT/metrics" | grep '^nstrace_drops_total{' |
	grep 'reason="NO_SOCKET"' | grep 'location="tcp_v4_rcv"'; }
docker start client >/dev/null
refuse "$(ipof web)" 2
for _ in $(seq 20); do [ "$(q | grep -c 'netns="web"')" = 1 ] && break; sleep 0.2; done
before=$(q)
docker restart -t 0 web >/dev/null
for _ in $(seq 60); do grep -q 'container web (re)started' "$TMP/m" && break; sleep 0.1; done
grep -q 'container web (re)started' "$TMP/m" && pass metrics/followed_through_restart ||
	fail metrics/followed_through_restart "no note of the restart"
sleep 1.5   # the re-plan attaches to its new ports (one refresh, under load)
refuse "$(ipof web)" 3
for _ in $(seq 20); do q | grep -q ' 5$' && break; sleep 0.2; done
after=$(q)
eq metrics/one_series_before "$(printf '%s\n' "$before" | grep -c 'netns="web"')" 1
eq metrics/same_series_after "$(printf '%s\n' "$after" | grep -c 'netns="web"')" 1
eq metrics/counts_both_lives "$(printf '%s\n' "$after" | awk '{print $NF}')" 5
eq metrics/no_pid_labels "$(curl -s "http://127.0.0.1:$MPORT/metrics" | grep -c 'netns="pid ')" 0
stop_watch

docker_down
eq docker_gone "$(ip -o link | grep -c "$BR\|veth")" 1

# 5. Podman's side of the Engine API, recorded: a python server on a unix
# socket answers as Podman 4 does (/version names "Podman Engine"), for a
# process of ours in its own namespace and in a libpod cgroup.
ID=$(printf '%064x' $((RANDOM * 65536 + RANDOM)))
CGROOT=/sys/fs/cgroup/pids   # cgroup v1 (this VM); v2 alone: its root
[ -d "$CGROOT" ] || CGROOT=/sys/fs/cgroup
PCG=$CGROOT/nstrace-${P}podman/libpod-$ID.scope
unshare -n sleep 300 &
SPID=$!; PIDS+=("$SPID")
mkdir -p "$PCG" && echo "$SPID" >"$PCG/cgroup.procs" || { fail podman/cgroup "cannot make $PCG"; exit 1; }
trap 'kill $SPID 2>/dev/null; wait $SPID 2>/dev/null; rmdir "$PCG" "$(dirname "$PCG")" 2>/dev/null; docker_down; cleanup' EXIT
cat >"$TMP/podman.py" <<'PY'
import http.server, json, os, socketserver, sys
sock, cid, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/version":
            body = {"Components": [{"Name": "Podman Engine", "Version": "4.3.1"}], "Version": "4.3.1"}
        elif self.path in ("/containers/web2/json", "/containers/%s/json" % cid):
            body = {"Id": cid, "Name": "web2", "State": {"Status": "running", "Pid": pid},
                    "Config": {"Labels": {}}}
        else:
            self.send_response(404); self.end_headers()
            self.wfile.write(b'{"cause":"no such container","message":"no container"}'); return
        data = json.dumps(body).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
    def log_message(self, *a): pass
class S(socketserver.UnixStreamServer):
    def get_request(self):
        req, _ = super().get_request(); return req, ("local", 0)
S(sock, H).serve_forever()
PY
python3 "$TMP/podman.py" "$TMP/podman.sock" "$ID" "$SPID" &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$TMP/podman.sock" ] && break; sleep 0.1; done
export CONTAINER_HOST=unix://$TMP/podman.sock
unset DOCKER_HOST   # no Docker now: podman:web2 and plain web2 are Podman's
"$NST" topo show --json podman:web2 >"$TMP/pm" 2>"$TMP/pm.err"
eq podman/by_name "$(jq -r '.namespaces[0] | "\(.label) \(.container.runtime) \(.container.name) \(.pid)"' "$TMP/pm")" \
	"web2 podman web2 $SPID"
"$NST" topo show --json web2 >"$TMP/pm2" 2>&1
eq podman/bare_name "$(jq -r '.namespaces[0].container.id' "$TMP/pm2")" "$ID"
expect_exit podman/unknown 2 "podman has no container 'nosuch'" "$NST" doctor podman:nosuch

# A daemon that accepts and never answers: asked once, for a second at
# most, then left alone; the container is still told apart by its id.
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(64); time.sleep(120)' "$TMP/hung.sock" &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$TMP/hung.sock" ] && break; sleep 0.1; done
export CONTAINER_HOST=unix://$TMP/hung.sock
t0=$(date +%s%N)
"$NST" topo show --json >"$TMP/hung" 2>&1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
eq hung_daemon/labelled_by_id "$(jq -r --arg p "$SPID" '.namespaces[] | select(.pid == ($p | tonumber)) | .label' "$TMP/hung")" \
	"podman:$(printf %.12s "$ID")"
[ "$ms" -lt 2500 ] && pass hung_daemon/does_not_stall || fail hung_daemon/does_not_stall "topo show took $ms ms"
