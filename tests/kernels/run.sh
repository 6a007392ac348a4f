#!/bin/bash
# make check-kernels: the same build's tests on the kernels users run.
# Boots Debian's own kernels under qemu (TCG: this VM has no nested
# virtualisation) and runs a subset of tests/e2e inside each guest with the
# host's own binaries (its /usr, /etc and this checkout over 9p, read-only;
# tests/kernels/guest-init.sh is the guest's /init), then the same subset on
# this machine's kernel ("host", in tests/run.sh's usual sandbox). Every
# verdict line is prefixed by its kernel; the last line is "N passed, N failed".
#
#   tests/kernels/run.sh [6.1 6.12 host ...]   kernels: Debian X.Y (newest
#                                               linux-image-X.Y*-amd64), or host
#   NST_KERNEL_TESTS   the subset (e2e file names), default below
#   NST_KERNEL_CACHE   downloads and images (default .output/kernels; may be
#                      shared between checkouts)
#   NST_GUEST_TIMEOUT  seconds a guest may run, boot to power-off (default 900)
set -u
cd "$(dirname "$0")/../.."
SRC=$PWD
KERNELS=${*:-6.1 6.12 host}
TESTS=${NST_KERNEL_TESTS:-features bad_input watch_drops mtu latency journey kill9 fate old_kernels incident}
CACHE=${NST_KERNEL_CACHE:-$SRC/.output/kernels}
# Each checkout's own: logs, console, what the guest wrote.
RESULTS=$SRC/.output/check-kernels
GUEST_TIMEOUT=${NST_GUEST_TIMEOUT:-900}
# A test's limit inside a guest: everything runs 5-10 times slower under TCG.
GUEST_TEST_TIMEOUT=${NST_GUEST_TEST_TIMEOUT:-600}
# The modules 9p needs before anything can be mounted; the initramfs carries them.
BOOT_MODULES="virtio_pci 9pnet_virtio 9p"

pass=0 fail=0 skip=0
say() { echo "check-kernels: $*"; }

if [ "$(id -u)" != 0 ]; then
	echo "SKIP check-kernels: needs root (qemu's 9p shares of /usr, namespaces, BPF)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
if [ ! -x ./nstrace ]; then
	echo "FAIL check-kernels: no ./nstrace (run make all unit first)"
	echo "0 passed, 1 failed"
	exit 1
fi

# Probe first, apt-get only for what is missing.
need_tools() {
	local missing=()
	command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
	command -v xz >/dev/null || missing+=(xz-utils)
	command -v gzip >/dev/null || missing+=(gzip)
	[ ${#missing[@]} -eq 0 ] && return 0
	say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
}

UPDATED=
apt_search() {   # REGEX: package names, once more after apt-get update if none
	local r
	r=$(apt-cache search --names-only "$1" 2>/dev/null | awk '{print $1}')
	if [ -z "$r" ] && [ -z "$UPDATED" ]; then
		UPDATED=1
		apt-get update -qq >/dev/null 2>&1
		r=$(apt-cache search --names-only "$1" 2>/dev/null | awk '{print $1}')
	fi
	printf '%s\n' "$r" | grep .
}

# fetch PKG: extract a package into $CACHE/PKG/root once (apt-get download +
# dpkg -x, nothing installed); prints that directory.
fetch() {
	local pkg=$1 dir=$CACHE/$1 tmp
	if [ ! -e "$dir/.ok" ]; then
		rm -rf "$dir" && mkdir -p "$dir/root"
		tmp=$(mktemp -d "$CACHE/download.XXXXXX")
		chown _apt "$tmp" 2>/dev/null   # apt's download sandbox user
		(cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>"$tmp/err") &&
			dpkg -x "$tmp"/*.deb "$dir/root" || {
			echo "cannot download $pkg: $(tail -1 "$tmp/err")" >&2; rm -rf "$tmp" "$dir"; return 1; }
		rm -rf "$tmp"
		touch "$dir/.ok"
	fi
	echo "$dir"
}

# kernel_pkg X.Y: the newest Debian linux-image-X.Y*-amd64 (not cloud, rt,
# dbg or unsigned); without the apt lists, the newest one already cached.
kernel_pkg() {
	local re="^linux-image-${1//./\\.}[.-][0-9.+a-z-]*-amd64\$" p
	p=$(apt_search "$re" | grep -v -e '-cloud-' -e '-rt-' | sort -V | tail -1)
	[ -n "$p" ] || p=$(ls "$CACHE" 2>/dev/null | grep -E "$re" | sort -V | tail -1)
	[ -n "$p" ] && echo "$p"
}

# boot_modules MODDIR: the module files the initramfs must carry for
# $BOOT_MODULES, dependencies first (from modules.dep; builtins are absent).
boot_modules() {
	awk -v want="$BOOT_MODULES" '
	function base(f) { sub(/.*\//, "", f); sub(/\.ko(\.xz|\.zst|\.gz)?$/, "", f); gsub(/-/, "_", f); return f }
	function visit(f,   n, i, d) {
		if (f in seen) return
		seen[f] = 1
		n = split(deps[f], d, " ")
		for (i = 1; i <= n; i++) visit(d[i])
		print f
	}
	{ f = $1; sub(/:$/, "", f); deps[f] = ""; for (i = 2; i <= NF; i++) deps[f] = deps[f] " " $i; byname[base(f)] = f }
	END { n = split(want, w, " "); for (i = 1; i <= n; i++) if (w[i] in byname) visit(byname[w[i]]) }
	' "$1/modules.dep"
}

# image KDIR: modules.dep (busybox depmod) and the initramfs, once per
# kernel and again whenever guest-init.sh changes.
image() {
	local kdir=$1 kver moddir st n=10 f a
	kver=$(ls "$kdir/root/lib/modules")
	moddir=$kdir/root/lib/modules/$kver
	[ -e "$moddir/modules.dep" ] || (cd "$kdir/root" && "$BUSYBOX" depmod -b . "$kver") || return 1
	[ "$kdir/initrd.gz" -nt tests/kernels/guest-init.sh ] && [ "$kdir/initrd.gz" -nt "$BUSYBOX" ] && return 0
	st=$(mktemp -d)
	mkdir -p "$st"/{kbin,kmod,proc,sys,dev,usr,etc,src,results,lib/modules,tmp,run,var,root}
	cp "$BUSYBOX" "$st/kbin/busybox"
	for a in $("$BUSYBOX" --list); do [ "$a" = busybox ] || ln -s busybox "$st/kbin/$a"; done
	ln -s usr/bin "$st/bin"; ln -s usr/sbin "$st/sbin"; ln -s usr/lib64 "$st/lib64"
	install -m 0755 tests/kernels/guest-init.sh "$st/init"
	# Decompressed here, so busybox insmod needs no xz (6.12 ships .ko.xz).
	for f in $(boot_modules "$moddir"); do
		case $f in
		*.xz) xz -dc "$moddir/$f" >"$st/kmod/$n-$(basename "$f" .xz)" ;;
		*) cp "$moddir/$f" "$st/kmod/$n-$(basename "$f")" ;;
		esac
		n=$((n + 1))
	done
	(cd "$st" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null) | gzip -1 >"$kdir/initrd.gz.tmp" &&
		mv "$kdir/initrd.gz.tmp" "$kdir/initrd.gz"
	rm -rf "$st"
}

# prefix LABEL: verdict lines prefixed by the kernel; run.sh's own total dropped.
prefix() { sed -u -E -e "s/^(PASS|FAIL|SKIP) /\\1 [$1] /" -e '/^[0-9]+ passed, [0-9]+ failed/d'; }

# count LABEL OUT RC: add OUT's verdicts to the totals; a run.sh that ended
# badly without a FAIL line, or gave no verdict at all, is one failure more.
count() {
	local p f s
	p=$(grep -c '^PASS ' "$2"); f=$(grep -c '^FAIL ' "$2"); s=$(grep -c '^SKIP ' "$2")
	if [ $((p + f + s)) = 0 ] || { [ "$3" != 0 ] && [ "$f" = 0 ]; }; then
		echo "FAIL [$1] tests/run.sh: exited with status ${3:-?} and $((p + f + s)) verdicts"
		tail -n 5 "$2" | sed 's/^/    /'
		f=$((f + 1))
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	say "[$1] $p passed, $f failed, $s skipped"
}

guest() {   # X.Y: boot Debian's newest X.Y kernel and run the subset in it
	local label=$1 pkg kdir res t0 t1 rc qpid
	pkg=$(kernel_pkg "$label") || { echo "FAIL [$label] kernel: no linux-image-$label*-amd64 in apt or in $CACHE"; fail=$((fail + 1)); return; }
	# One guest at a time on this machine (2 CPUs), whichever checkout runs
	# it; the lock also guards a cache shared between checkouts being filled.
	exec 9>"${NST_KERNEL_LOCK:-/run/lock/nstrace-check-kernels.lock}"
	flock -n 9 || { say "[$label] waiting for another check-kernels guest to finish"; flock 9; }
	if [ -z "$BUSYBOX" ]; then
		need_tools || { echo "FAIL [$label] tools: cannot install qemu-system-x86"; fail=$((fail + 1)); exec 9>&-; return; }
		BUSYBOX=$(fetch busybox-static)/root/bin/busybox
	fi
	kdir=$(fetch "$pkg") && [ -x "$BUSYBOX" ] && image "$kdir" ||
		{ echo "FAIL [$label] image: cannot prepare $pkg"; fail=$((fail + 1)); exec 9>&-; return; }
	res=$RESULTS/$label
	rm -rf "$res" && mkdir -p "$res"
	printf 'NST_ONLY="%s"\nNST_TIMEOUT=%s\n' "$TESTS" "$GUEST_TEST_TIMEOUT" >"$res/env"
	say "[$label] booting $pkg under qemu (TCG), tests: $TESTS"
	t0=$(date +%s)
	timeout --kill-after=10 "$GUEST_TIMEOUT" qemu-system-x86_64 \
		-accel tcg,thread=multi -cpu max -smp 2 -m 4G \
		-nographic -no-reboot -monitor none -nic none \
		-serial "file:$res/console.log" \
		-kernel "$(ls "$kdir"/root/boot/vmlinuz-*)" -initrd "$kdir/initrd.gz" \
		-append "console=ttyS0 panic=-1 loglevel=4" \
		-virtfs "local,path=/usr,mount_tag=usr,readonly=on,security_model=none,multidevs=remap" \
		-virtfs "local,path=/etc,mount_tag=etc,readonly=on,security_model=none,multidevs=remap" \
		-virtfs "local,path=$SRC,mount_tag=src,readonly=on,security_model=none,multidevs=remap" \
		-virtfs "local,path=$(ls -d "$kdir"/root/lib/modules),mount_tag=mods,readonly=on,security_model=none,multidevs=remap" \
		-virtfs "local,path=$res,mount_tag=results,security_model=none,multidevs=remap" \
		</dev/null >"$res/qemu.log" 2>&1 &
	qpid=$!
	# The verdicts as the guest writes them, prefixed; counted at the end.
	tail -n +1 -F --pid="$qpid" "$res/out.log" 2>/dev/null | prefix "$label"
	wait "$qpid"
	rc=$?
	t1=$(date +%s)
	exec 9>&-
	if [ ! -e "$res/done" ]; then
		if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			echo "FAIL [$label] guest: did not finish within ${GUEST_TIMEOUT} s (NST_GUEST_TIMEOUT)"
		else
			echo "FAIL [$label] guest: qemu exited with status $rc before the tests finished"
		fi
		tail -n 15 "$res/console.log" "$res/qemu.log" 2>/dev/null | sed 's/^/    /'
		fail=$((fail + 1))
	fi
	[ -e "$res/done" ] && count "$label" "$res/out.log" "$(cat "$res/rc" 2>/dev/null)"
	[ -s "$res/watch-v.txt" ] && grep -q 'libbpf\|verifier\|refused' "$res/watch-v.txt" &&
		{ echo "    [$label] nstrace watch --all -v (first lines; all in $res/watch-v.txt):"; grep -m 12 -i 'libbpf\|verifier\|refused\|error' "$res/watch-v.txt" | sed 's/^/      /'; }
	say "[$label] kernel $(cat "$res/uname" 2>/dev/null || echo '?'): userland after $(cat "$res/boot_uptime" 2>/dev/null || echo '?') s, tests $(cat "$res/seconds" 2>/dev/null || echo '?') s, guest $((t1 - t0)) s in all; logs in $res"
}

host() {   # the same subset on this machine's kernel, in tests/run.sh's sandbox
	local res=$RESULTS/host t0
	rm -rf "$res" && mkdir -p "$res"
	say "[host] running on this machine's kernel $(uname -r), tests: $TESTS"
	t0=$(date +%s)
	NST_ONLY="$TESTS" ./tests/run.sh 2>&1 | tee "$res/out.log" | prefix host
	count host "$res/out.log" "${PIPESTATUS[0]}"
	say "[host] tests $(($(date +%s) - t0)) s"
}

mkdir -p "$CACHE" "$RESULTS"
T0=$(date +%s)
BUSYBOX=
for k in $KERNELS; do
	if [ "$k" = host ]; then
		host
		continue
	fi
	guest "$k"
done
say "$(($(date +%s) - T0)) s in all"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" = 0 ]
