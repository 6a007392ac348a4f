#!/kbin/sh
# /init of the initramfs that make check-kernels boots (tests/kernels/run.sh
# builds it): busybox in /kbin, the modules 9p needs in /kmod, nothing else.
# It mounts the host's /usr and /etc read-only over 9p, so the host's own
# bash, ip, nft, jq and the checkout's nstrace run here unchanged, loads the
# network modules the tests use, runs the subset named in /results/env with
# tests/run.sh and writes everything it learns to /results (read-write 9p).
# Then it powers the guest off; the host's timeout covers a guest that hangs.
export PATH=/kbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
read -r up _ </proc/uptime

say() { echo "guest-init: $*" >/dev/console; }
for m in /kmod/*.ko; do
	insmod "$m" || say "insmod $m failed"
done
m9p() {   # TAG DIR OPTS
	mount -t 9p -o "trans=virtio,version=9p2000.L,msize=512000,$3" "$1" "$2" || say "cannot mount 9p $1 on $2"
}
m9p results /results rw,cache=none
echo "$up" >/results/boot_uptime
m9p usr /usr ro
m9p etc /etc ro
m9p src /src ro
m9p mods /lib/modules ro

# Debian is usr-merged: /bin, /sbin and /lib64 are symlinks into /usr (made
# with the image); /lib is a real directory here so that /lib/modules can be
# this kernel's, so each of /usr/lib's entries is linked into it instead.
for e in /usr/lib/*; do
	[ "$e" = /usr/lib/modules ] || ln -s "$e" /lib/
done
for d in /tmp /run /var /root /dev/shm; do
	mkdir -p "$d" && mount -t tmpfs -o mode=1777 tmpfs "$d"
done
chmod 0755 /run /var /root
mkdir -p /var/tmp /var/lib /run/lock /dev/pts
mount -t devpts devpts /dev/pts
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
mount -t cgroup2 cgroup2 /sys/fs/cgroup

# Modules: by busybox modprobe, against the modules.dep the host generated
# with busybox depmod. The kernel asks the same modprobe for what a test
# needs and nobody listed (nft expressions, qdiscs).
echo /kbin/modprobe >/proc/sys/kernel/modprobe
# libcrc32c (nf_tables) asks the crypto API for crc32c: the generic one first.
for m in crc32c_generic veth bridge sch_ingress cls_bpf sch_tbf nf_tables nf_conntrack \
	nft_ct nft_reject_inet nft_chain_nat nft_nat nft_masq; do
	modprobe "$m" 2>>/results/modprobe.err || say "modprobe $m failed"
done
lsmod >/results/lsmod
ip link set lo up
hostname guest

# The tests, with the host's bash and tools (/usr/bin before /kbin).
. /results/env
cd /src
uname -r >/results/uname
/usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/kbin HOME=/root TERM=dumb \
	/src/nstrace features >/results/features.txt 2>&1
# What the loader and the verifier say, for whoever fixes a refusal.
/usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/kbin HOME=/root TERM=dumb \
	/src/nstrace watch --all --lines -v --duration 2 >/results/watch-v.txt 2>&1
echo "guest-init: running tests: $NST_ONLY" >/dev/console
start=$(date +%s)
{
	/usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/kbin HOME=/root TERM=dumb \
		NST_ONLY="$NST_ONLY" NST_TIMEOUT="$NST_TIMEOUT" NST_EMULATED=1 /usr/bin/bash tests/run.sh 2>&1
	echo $? >/results/rc
} | tee /results/out.log >/dev/console
echo "$(($(date +%s) - start))" >/results/seconds
dmesg >/results/dmesg
echo done >/results/done
sync
umount /results
poweroff -f
