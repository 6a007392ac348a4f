#!/bin/bash
# Install what building and testing nstrace needs, only where it is missing.
# Probes first (pkg-config modules, commands), apt-get only for the gaps.
set -u
missing=()
need_pc() { pkg-config --exists "$1" 2>/dev/null || missing+=("$2"); }
need_cmd() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }

need_cmd pkg-config pkg-config
need_pc libbpf libbpf-dev
need_pc libelf libelf-dev
need_pc zlib zlib1g-dev
need_pc libmnl libmnl-dev
need_pc libnftables libnftables-dev
need_pc libcurl libcurl4-openssl-dev
need_pc json-c libjson-c-dev
need_cmd bpftool bpftool
need_cmd clang clang
need_cmd llvm-strip llvm
need_cmd cc gcc
need_cmd make make
# make fuzz: libFuzzer and the sanitizer runtimes of clang.
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1 ||
	missing+=("libclang-rt-$(clang --version 2>/dev/null | grep -o 'version [0-9]*' | grep -o '[0-9]*$' || echo 14)-dev")
# What the tests use as independent witnesses.
need_cmd ip iproute2
need_cmd ping iputils-ping
need_cmd jq jq
need_cmd tcpdump tcpdump
need_cmd nft nftables
need_cmd iptables-nft iptables
need_cmd nc netcat-openbsd
need_cmd python3 python3
need_cmd nstat iproute2
need_cmd curl curl
need_cmd prometheus prometheus
need_cmd promtool prometheus
need_cmd tshark tshark
need_cmd tmux tmux
# make deb and tests/install: the package tools and a minimal Debian root.
need_cmd dpkg-shlibdeps dpkg-dev
need_cmd debootstrap debootstrap
need_cmd nsenter util-linux
# tests/e2e/containers.sh: a real Docker (its own dockerd inside the test
# sandbox; the install below starts no daemon, even where systemd runs)
# and a static busybox for an image made offline.
need_cmd dockerd docker.io
need_cmd busybox busybox-static
# What make bench uses.
need_cmd iperf3 iperf3
need_cmd bc bc
need_cmd trafgen netsniff-ng

[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
	exit 3
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# No recommends: prometheus would bring node-exporter, a second service.
# No service starts either (policy-rc.d 101): a host dockerd would make
# docker0 and iptables rules on the machine the tests run on.
rc=/usr/sbin/policy-rc.d own_rc=
if [ ! -e "$rc" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$rc" && chmod 755 "$rc" && own_rc=1
fi
apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
ok=$?
[ -n "$own_rc" ] && rm -f "$rc"
if [ "$ok" != 0 ]; then
	echo "deps: apt-get install ${missing[*]} failed" >&2
	exit 1
fi
