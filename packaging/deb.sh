#!/bin/bash
# Turn a `make install DESTDIR=WORK/debian/nstrace PREFIX=/usr` tree into a .deb with
# the standard tools: dpkg-shlibdeps computes Depends from the binary,
# dpkg-deb builds it (owned by root, no fakeroot needed).
#   packaging/deb.sh WORK VERSION OUT.deb
set -eu
work=$1 version=$2 deb=$3
root=$work/debian/nstrace
here=$(cd "$(dirname "$0")" && pwd)
arch=$(dpkg --print-architecture)

[ -x "$root/usr/sbin/nstrace" ] || { echo "deb: $root/usr/sbin/nstrace is missing (make install first)" >&2; exit 1; }

# Policy: man pages gzipped (-n: no name or time stamp, so builds compare),
# the copyright file in the package's doc directory.
sed -i "1s/\"nstrace [^\"]*\"/\"nstrace $version\"/" "$root/usr/share/man/man8/nstrace.8"
gzip -9nf "$root/usr/share/man/man8/nstrace.8"
install -D -m 0644 "$here/copyright" "$root/usr/share/doc/nstrace/copyright"
# A native package's changelog: one entry for this build, dated by its
# commit (so rebuilding the same commit gives the same file).
maint="nstrace maintainers <maintainers@users.noreply.r-seed-7ee64528.example>"
when=$(git -C "$here" log -1 --format=%aD 2>/dev/null || date -R)
printf 'nstrace (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- %s  %s\n' "$version" \
	"$(git -C "$here" describe --tags --always --dirty 2>/dev/null || echo "a source tree without git")" \
	"$maint" "$when" | gzip -9n >"$root/usr/share/doc/nstrace/changelog.gz"
# zlib (with libbpf and libelf) is linked in on purpose: the binary must
# run on hosts whatever their libbpf; see packaging/copyright.
mkdir -p "$root/usr/share/lintian/overrides"
cat >"$root/usr/share/lintian/overrides/nstrace" <<EOF
# Linked in on purpose, with libbpf and libelf: one binary for every host.
nstrace: embedded-library zlib [usr/sbin/nstrace]
EOF
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/sbin/nstrace"

# dpkg-shlibdeps wants to run in a source tree, the package staged in
# debian/PACKAGE: a debian/control stub beside it is enough. -O prints the
# substvar instead of writing debian/substvars.
mkdir -p "$root/DEBIAN"   # how dpkg-shlibdeps finds the package root
printf 'Source: nstrace\n\nPackage: nstrace\nArchitecture: any\n' >"$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O debian/nstrace/usr/sbin/nstrace | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

# libbpf, libelf and zlib are linked in: Built-Using names the exact
# sources, as Debian policy asks of statically linked code.
# (None when they were not built from Debian packages.)
built_using=$(dpkg-query -W -f='${source:Package} (= ${source:Version}), ' libbpf-dev libelf-dev zlib1g-dev 2>/dev/null) ||
	built_using=
built_using=${built_using%, }

# Recommends, not Depends: libnftables1 is dlopened, only for topology
# firewall, nat and nft statements (dpkg-shlibdeps cannot see it). apt
# installs Recommends by default, so the usual install has it; a minimal
# host may leave it out (--no-install-recommends) and loses only those.

cat >"$root/DEBIAN/control" <<EOF
Package: nstrace
Version: $version
Architecture: $arch
Maintainer: $maint
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Recommends: libnftables1, libcurl4, libjson-c5
${built_using:+Built-Using: $built_using
}Section: net
Priority: optional
Description: where, between which network namespaces, and why packets are lost
 nstrace builds or discovers a topology of Linux network namespaces (veth
 pairs, bridges, routers, MTUs) over netlink and, with eBPF (tracepoints
 and tc only), shows where packets are dropped or slowed: the kernel's own
 drop reason, the namespace, the port and the flow, plus per-hop latency.
 .
 libbpf, libelf and zlib are linked in. libnftables (Recommends) is loaded
 only for topology files with firewall, nat or nft statements; libcurl and
 json-c (Recommends) only to name Docker and Podman containers.
EOF
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "deb: $deb ($(du -k "$deb" | cut -f1) KiB; Depends: $depends; Recommends: libnftables1, libcurl4, libjson-c5)"
