#!/bin/bash
# A host that is not the build machine: a minimal Debian root
# (debootstrap --variant=minbase: no compiler, no libbpf, no libmnl, no
# nftables), cached in .output/install/ and used through fresh overlays.
#  1. apt-get install ./nstrace_*.deb resolves the dependencies from the
#     package; then --version, features and topo check run.
#  2. The bare binary in another fresh copy names the one library it
#     misses (libmnl.so.0) in one line; given libmnl, it runs without
#     nftables: features says so, plain topologies build, watch and doctor
#     run, and a firewall topology fails whole, naming libnftables1.
# Needs root and the Debian mirror (apt, and debootstrap the first time);
# without the mirror the apt half is skipped with the reason. Every mount
# is made in a private mount namespace and undone by the EXIT trap.
# Run alone (make check-install): the same sandbox as tests/run.sh's.
if [ -z "${NST_SANDBOX:-}" ] && [ "$(id -u)" = 0 ]; then
	exec 9</proc/self/ns/net
	exec env NST_SANDBOX=1 NST_HOST_NET_FD=9 unshare --net --mount --propagation private \
		bash -c 'mkdir -p /run/netns && mount -t tmpfs -o mode=0755 nst-test-netns /run/netns &&
			ip link set lo up && exec bash "$0"' "$0"
fi
. "$(dirname "$0")/../lib.sh"
failed=0
fail() { echo "FAIL $T/$1: $2"; failed=1; }   # and exit 1 at the end

SUITE=bookworm
MIRROR=${NST_MIRROR:-http://deb.debian.org/debian}
CACHE=$PWD/.output/install/$SUITE-minbase
WORK=$PWD/.output/install/run.$$

if [ "$(id -u)" != 0 ]; then
	skip all "needs root (debootstrap, chroot, mounts)"
	exit 0
fi
# Inside make check's sandbox (no network) apt and debootstrap reach the
# mirror from the namespace the runner was started in (tests/run.sh keeps
# it open as fd NST_HOST_NET_FD); nstrace itself always runs in the sandbox.
online=()
[ -n "${NST_HOST_NET_FD:-}" ] && online=(nsenter "--net=/proc/self/fd/$NST_HOST_NET_FD" --)

ms() { echo $((($(date +%s%N) - $1) / 1000000)); }   # since $1 (date +%s%N)

unmount_all() {   # deepest first; then remove, never across a mount
	local m
	for m in $(findmnt -rno TARGET | grep "^$WORK/" | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	[ -d "$WORK" ] && ! findmnt -rno TARGET | grep -q "^$WORK/" && rm -rf --one-file-system "$WORK"
}
trap 'unmount_all; cleanup' EXIT
# A killed run's copies (its mounts died with its mount namespace).
for d in .output/install/run.*; do
	[ -d "$d" ] && ! kill -0 "${d##*.}" 2>/dev/null && rm -rf --one-file-system "$d"
done

for c in debootstrap chroot nsenter findmnt; do
	command -v "$c" >/dev/null || { fail setup "$c is not installed (make deps)"; exit 1; }
done
# The product binary, also under make check-asan (whose $NST needs libasan).
BIN=$PWD/nstrace
VER=$("$BIN" --version | awk '{print $2}')
DEB=$(ls .output/nstrace_"$VER"_*.deb 2>/dev/null | head -1)
[ -n "$DEB" ] || { fail setup "no .output/nstrace_${VER}_*.deb for this build (make deb)"; exit 1; }

# libbpf, libelf and zlib are linked in; libnftables is dlopened.
eq needs_only_libmnl_and_libc "$(readelf -d "$BIN" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort | xargs)" \
	"libc.so.6 libmnl.so.0"

# The cached root: built once (into .tmp, renamed when whole).
if [ ! -x "$CACHE/usr/bin/apt-get" ]; then
	rm -rf --one-file-system "$CACHE.tmp"
	mkdir -p "$(dirname "$CACHE")"
	t0=$(date +%s%N)
	if ! "${online[@]}" debootstrap --variant=minbase "$SUITE" "$CACHE.tmp" "$MIRROR" >"$TMP/debootstrap.log" 2>&1; then
		if grep -qiE 'resolve|connect|Failed getting release|unable to fetch' "$TMP/debootstrap.log"; then
			skip all "the mirror $MIRROR is unreachable, and no cached root in $CACHE"
			detail 3 <"$TMP/debootstrap.log"
			exit 0
		fi
		fail debootstrap "debootstrap --variant=minbase $SUITE failed"
		tail -5 "$TMP/debootstrap.log" | detail
		exit 1
	fi
	mv "$CACHE.tmp" "$CACHE"
	echo "  minimal root built in $(($(ms "$t0") / 1000)) s, $(du -sh "$CACHE" | cut -f1), cached in $CACHE"
fi

# fresh_root NAME: a writable copy of the cached root in $ROOT (an
# overlay; a copy where overlayfs is missing) with /proc, /sys and /dev.
fresh_root() {
	local r=$WORK/$1
	ROOT=$r
	mkdir -p "$r" "$WORK/$1.upper" "$WORK/$1.work"
	mount -t overlay "nst-$1" -o "lowerdir=$CACHE,upperdir=$WORK/$1.upper,workdir=$WORK/$1.work" "$r" 2>/dev/null ||
		cp -a "$CACHE/." "$r/"
	mount -t proc proc "$r/proc"
	mount --bind /sys "$r/sys"
	mount --bind /dev "$r/dev"
	cp /etc/resolv.conf "$r/etc/resolv.conf"
	cp topologies/bridge.topo topologies/three-tier.topo "$r/tmp/"
}
# inroot ROOT CMD...: run CMD chrooted, with a clean environment;
# online ROOT CMD...: the same where the mirror is reachable.
inroot() { local r=$1; shift; env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/sbin LANG=C chroot "$r" "$@" 9<&-; }
online() { "${online[@]}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C DEBIAN_FRONTEND=noninteractive chroot "$@"; }
lines() { grep -c '' <<<"$1"; }

# ---- 1. the .deb, installed with apt from the mirror ----------------------
fresh_root deb; R1=$ROOT
cp "$DEB" "$R1/tmp/"
t0=$(date +%s%N)
host=$(sed -n 's|^deb [a-z]*://\([^/:]*\).*|\1|p' "$R1/etc/apt/sources.list" | head -1)
if ! "${online[@]}" timeout 10 bash -c "exec 3<>/dev/tcp/$host/80" 2>/dev/null; then
	skip deb "cannot connect to the mirror $host:80; installing the .deb needs apt"
elif ! online "$R1" apt-get update -qq >"$TMP/update.log" 2>&1 || grep -q '^[WE]: ' "$TMP/update.log"; then
	skip deb "apt-get update in the minimal root failed: $(grep -m1 '^[WE]: ' "$TMP/update.log")"
else
	if online "$R1" apt-get install -y -q "/tmp/$(basename "$DEB")" >"$TMP/install.log" 2>&1; then
		pass deb_installs_with_apt
	else
		fail deb_installs_with_apt "apt-get install ./$(basename "$DEB") failed"
		tail -8 "$TMP/install.log" | detail
	fi
	echo "  apt-get update + install in the minimal root: $(ms "$t0") ms"
	got=$(inroot "$R1" dpkg-query -W -f '${Package}:${db:Status-Abbrev}\n' nstrace libmnl0 libnftables1 2>&1 | tr -d ' ' | tr '\n' ' ')
	eq deb_pulled_depends_and_recommends "$got" "libmnl0:ii libnftables1:ii nstrace:ii "
	inroot "$R1" dpkg-query -W libbpf1 libelf1 >/dev/null 2>&1 &&
		fail no_libbpf_on_host "libbpf1 or libelf1 got installed" || pass no_libbpf_on_host
	eq deb_version "$(inroot "$R1" nstrace --version 2>&1)" "nstrace $VER"
	files=$(inroot "$R1" dpkg -L nstrace 2>&1) missing=
	for f in /usr/sbin/nstrace /usr/share/man/man8/nstrace.8.gz /usr/share/doc/nstrace/copyright \
		/usr/share/bash-completion/completions/nstrace; do
		grep -qx "$f" <<<"$files" || missing+=" $f"
	done
	[ -z "$missing" ] && pass deb_files || fail deb_files "not in the package:$missing"
	out=$(inroot "$R1" nstrace features 2>&1)
	rc=$?
	if [ "$rc" = 0 ] && grep -q '^nftables    libnftables.so.1 loaded' <<<"$out" &&
		grep -q '^tp_btf      kfree_skb attached' <<<"$out"; then
		pass deb_features
	else
		fail deb_features "exit $rc"; detail <<<"$out"
	fi
	out=$(inroot "$R1" nstrace topo check /tmp/bridge.topo 2>&1)
	[ $? = 0 ] && grep -q ': ok (' <<<"$out" && pass deb_topo_check || { fail deb_topo_check "$out"; }
fi

# ---- 2. the bare binary in a fresh root, no package ------------------------
fresh_root bare; R2=$ROOT
install -m 0755 "$BIN" "$R2/usr/local/sbin/nstrace"
out=$(inroot "$R2" nstrace --version 2>&1)
rc=$?
if [ "$rc" = 127 ] && [ "$(lines "$out")" = 1 ] && grep -q 'libmnl.so.0: cannot open shared object file' <<<"$out"; then
	pass bare_names_the_missing_library
	echo "  $out"
else
	fail bare_names_the_missing_library "exit $rc"; detail <<<"$out"
fi
# What `apt-get install libmnl0` would put there: bookworm's own.
for f in /usr/lib/x86_64-linux-gnu/libmnl.so.0*; do cp -a "$f" "$R2$f"; done
eq bare_version "$(inroot "$R2" nstrace --version 2>&1)" "nstrace $VER"
out=$(inroot "$R2" nstrace features 2>&1)
rc=$?
if [ "$rc" = 0 ] && grep -q '^nftables    not available: libnftables.so.1: cannot open shared object file.*install libnftables1' <<<"$out"; then
	pass bare_features_without_nftables
	echo "  $(grep '^nftables' <<<"$out")"
else
	fail bare_features_without_nftables "exit $rc"; detail <<<"$out"
fi
check bare_topo_check_firewall inroot "$R2" nstrace topo check /tmp/three-tier.topo
before=$(snapshot)
inroot "$R2" nstrace topo up --prefix "$P" /tmp/three-tier.topo >"$TMP/out" 2>"$TMP/err"
rc=$?
err=$(cat "$TMP/err")
if [ "$rc" = 3 ] && [ "$(lines "$err")" = 1 ] &&
	grep -q "^nstrace: /tmp/three-tier.topo:[0-9]*: firewall, nat and nft statements need libnftables: libnftables.so.1: .*Debian package libnftables1; nothing was changed)$" <<<"$err"; then
	pass bare_firewall_topology_names_libnftables1
	echo "  $err"
else
	fail bare_firewall_topology_names_libnftables1 "exit $rc"; detail <<<"$err"
fi
eq bare_firewall_topology_left_nothing "$(snapshot | md5sum; ls "$R2/run/netns" 2>/dev/null)" "$(echo "$before" | md5sum)"
# Plain topologies, doctor and watch need no nftables.
if inroot "$R2" nstrace topo up --prefix "$P" /tmp/bridge.topo; then
	pass bare_topo_up_without_nftables
	out=$(inroot "$R2" nstrace doctor "${P}red" "${P}blue" 2>&1)
	rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 4 ] && pass bare_doctor || { fail bare_doctor "exit $rc"; detail <<<"$out"; }
	out=$(inroot "$R2" nstrace watch "${P}red" --lines --duration 1 2>&1)
	rc=$?
	[ "$rc" = 0 ] && grep -q 'summary after' <<<"$out" && pass bare_watch ||
		{ fail bare_watch "exit $rc"; detail <<<"$out"; }
	check bare_topo_down inroot "$R2" nstrace topo down --prefix "$P" /tmp/bridge.topo
else
	fail bare_topo_up_without_nftables "topo up bridge.topo failed"
fi
exit $failed
