# nstrace: BPF programs -> skeletons -> one binary.
# A new bpf/x.bpf.c needs no new rule: the pattern rules below build
# $(OUT)/x.bpf.o and $(OUT)/x.skel.h, and every user object depends on all
# skeletons.

VERSION   := 0.1.0
OUT       := .output
CLANG     ?= clang
BPFTOOL   ?= bpftool
CC        ?= cc
PREFIX    := /usr/local
ARCH      := $(shell uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')

# The version from git (`git describe --tags --always --dirty`), made a
# valid Debian version, so `nstrace --version` and the .deb agree: tag
# v1.2.3 gives 1.2.3, four commits later 1.2.3+4.gabc1234; with no tag (a
# fresh CI clone) VERSION+gabc1234; without git, VERSION. "-dirty" -> ".dirty".
NST_VERSION := $(shell { git describe --tags --dirty --match 'v[0-9]*' --match '[0-9]*' 2>/dev/null || \
	{ h=$$(git describe --always --dirty --exclude '*' 2>/dev/null) && echo "$(VERSION)-g$$h"; }; } | \
	sed 's/^v//; s/-/+/; s/-/./g' | grep . || echo $(VERSION))

CFLAGS    ?= -O2 -g
CFLAGS    += -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -DNSTRACE_VERSION='"$(NST_VERSION)"'
CFLAGS    += -I$(OUT) -Ibpf -Iuser -Iuser/watch -MMD -MP
ifeq ($(CI),true)
CFLAGS    += -Werror
endif
# libbpf, libelf and zlib are linked in: the BPF loader is the same on every
# host, and hosts without libbpf.so.1 (Ubuntu 22.04 has .so.0) run it.
# libmnl stays shared (Debian has no libmnl.a); libnftables is dlopened by
# user/firewall.c only for topologies with firewall statements (its header
# is still needed to build).
STATIC_PKGS := libbpf libelf zlib
LDLIBS    := -Wl,-Bstatic $(shell pkg-config --libs --static $(STATIC_PKGS) 2>/dev/null || echo -lbpf -lelf -lz) \
	     -Wl,-Bdynamic $(shell pkg-config --libs libmnl 2>/dev/null || echo -lmnl) -ldl
BPFCFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Ibpf -Wall

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
# Every BPF header: a change to any of them rebuilds every program.
BPF_HDRS  := $(wildcard bpf/*.h)
SKELS     := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
# user/x.c -> $(OUT)/x.o, user/watch/x.c -> $(OUT)/watch/x.o: names stay unique.
USER_SRCS := $(wildcard user/*.c user/watch/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUT)/%.o,$(USER_SRCS))
# Modules the unit tests link without main.c and without root.
UNIT_OBJS := $(filter-out $(OUT)/main.o,$(USER_OBJS))

.PHONY: all clean check demo bench deps vmlinux install unit fuzz check-asan deb check-install check-kernels FORCE
.SECONDARY:

all: nstrace

deps:
	@./tests/deps.sh

nstrace: $(USER_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(OUT):
	@mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) vmlinux/vmlinux.h | $(OUT)
	$(CLANG) $(BPFCFLAGS) -c $< -o $@.tmp.o
	$(BPFTOOL) gen object $@ $@.tmp.o
	@rm -f $@.tmp.o

# A user's own tc filters, for the tests (tests/e2e/fate.sh): not nstrace.
TEST_BPF  := $(patsubst tests/bpf/%.bpf.c,$(OUT)/test-%.bpf.o,$(wildcard tests/bpf/*.bpf.c))
$(OUT)/test-%.bpf.o: tests/bpf/%.bpf.c | $(OUT)
	$(CLANG) -g -O2 -target bpf -I/usr/include/$(shell uname -m)-linux-gnu -Wall -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $*_bpf > $@.tmp && mv $@.tmp $@

$(OUT)/%.o: user/%.c $(SKELS) | $(OUT)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

# The objects that print the version are rebuilt when it changes.
$(OUT)/version: FORCE | $(OUT)
	@echo '$(NST_VERSION)' | cmp -s - $@ || echo '$(NST_VERSION)' >$@
$(patsubst user/%.c,$(OUT)/%.o,$(shell grep -l NSTRACE_VERSION user/*.c)): $(OUT)/version
FORCE:

$(OUT)/unit_tests: tests/unit/*.c $(UNIT_OBJS)
	$(CC) $(CFLAGS) -Itests/unit -o $@ tests/unit/*.c $(UNIT_OBJS) $(LDLIBS)

unit: $(OUT)/unit_tests $(TEST_BPF)

# ---- fuzzing (libFuzzer) and sanitizers: the same sources, built apart ----
SAN_FLAGS  := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
SAN_CFLAGS  = -Wall -Wextra -std=gnu11 -D_GNU_SOURCE -DNSTRACE_VERSION='"$(NST_VERSION)"' -I$(OUT) -Ibpf -Iuser -Iuser/watch
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJS  := $(patsubst user/%.c,$(OUT)/fuzz/%.o,$(filter-out user/main.c,$(USER_SRCS)))
ASAN_OBJS  := $(patsubst user/%.c,$(OUT)/asan/%.o,$(USER_SRCS))

$(OUT)/fuzz/%.o: user/%.c $(SKELS)
	@mkdir -p $(@D)
	$(CLANG) $(SAN_FLAGS) -fsanitize=fuzzer-no-link $(SAN_CFLAGS) -c $< -o $@

$(OUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(CLANG) $(SAN_FLAGS) -fsanitize=fuzzer $(SAN_CFLAGS) -o $@ $^ $(LDLIBS)

fuzz: deps $(FUZZ_BINS)
	./tests/fuzz/run.sh

$(OUT)/asan/%.o: user/%.c $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) $(SAN_CFLAGS) -c $< -o $@

$(OUT)/asan/nstrace: $(ASAN_OBJS)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

$(OUT)/asan/unit_tests: tests/unit/*.c $(filter-out $(OUT)/asan/main.o,$(ASAN_OBJS))
	$(CC) $(SAN_FLAGS) $(SAN_CFLAGS) -Itests/unit -o $@ $^ $(LDLIBS)

# The unit and end-to-end tests with ASan, UBSan and LeakSanitizer.
check-asan: deps
	$(MAKE) all unit deb $(OUT)/asan/nstrace $(OUT)/asan/unit_tests
	NST=$(CURDIR)/$(OUT)/asan/nstrace UNIT=$(OUT)/asan/unit_tests NST_SANITIZE=1 ./tests/run.sh

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

check: deps
	$(MAKE) all unit deb
	./tests/run.sh

# The e2e subset on Debian's own 6.1 and 6.12 kernels under qemu, then on
# this one (tests/kernels/run.sh; KERNELS="6.1" to choose).
check-kernels: deps
	$(MAKE) all unit
	./tests/kernels/run.sh $(KERNELS)

demo: deps
	$(MAKE) all
	./tests/demo.sh

bench: deps
	$(MAKE) all $(TEST_BPF)
	./bench/run.sh

install: nstrace
	install -D -m 0755 nstrace $(DESTDIR)$(PREFIX)/sbin/nstrace
	install -D -m 0644 nstrace.8 $(DESTDIR)$(PREFIX)/share/man/man8/nstrace.8
	install -D -m 0644 completion/nstrace.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/nstrace

# A Debian package of this build: make install into a staging root with
# prefix /usr, then packaging/deb.sh (dpkg-shlibdeps, dpkg-deb).
DEB_ARCH  = $(shell dpkg --print-architecture)
DEB       = $(OUT)/nstrace_$(NST_VERSION)_$(DEB_ARCH).deb
deb: nstrace
	rm -rf $(OUT)/deb $(OUT)/nstrace_*.deb && $(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(OUT)/deb/debian/nstrace PREFIX=/usr
	./packaging/deb.sh $(OUT)/deb $(NST_VERSION) $(DEB)

# Only the install test: the .deb into a fresh minimal Debian root, and the
# bare binary into another (tests/install/minbase.sh; make check runs it too).
check-install: deps
	$(MAKE) all deb
	./tests/install/minbase.sh

clean:
	rm -rf $(OUT) nstrace

-include $(wildcard $(OUT)/*.d $(OUT)/*/*.d $(OUT)/*/*/*.d)
