# SPDX-License-Identifier: BSD-3-Clause
# hydrascope: `make` builds, `sudo make demo` / `sudo make check` also set up.

# BASE: the BPF object and skeleton, the fuzz targets; OUT: userspace
# objects and tests (another folder for the sanitizer build, below)
BASE     := .output
OUT      := $(BASE)
BIN      := hydrascope
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= $(shell command -v bpftool 2>/dev/null || echo /usr/sbin/bpftool)
ARCH_INC := /usr/include/$(shell $(CC) -print-multiarch 2>/dev/null)
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo dev)

# Debian packages: to build, then what the tests and demo drive.
DEBS_BUILD := make gcc clang llvm libc6-dev libbpf-dev libelf-dev zlib1g-dev \
	      bpftool libpcap-dev libjson-c-dev libssl-dev libinih-dev libcmocka-dev \
	      libmicrohttpd-dev libcap-dev libclang-rt-14-dev libpq-dev
DEBS_TEST  := iproute2 ethtool tcpdump p0f tshark python3 python3-cryptography procps util-linux passwd \
	      openssl curl gnutls-bin wget nodejs golang-go default-jdk-headless chromium firefox-esr \
	      libnss3-tools prometheus wrk nginx-light postgresql-15 postgresql-15-hll ngtcp2-client \
	      ngtcp2-server
DEBS       := $(DEBS_BUILD) $(DEBS_TEST)

# AddressSanitizer and UndefinedBehaviorSanitizer: the fuzz targets always,
# the binary and the C tests with `make check SANITIZE=1` (clang, in their
# own output folder; any report fails the test that met it)
SANFLAGS := -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
ifeq ($(SANITIZE),1)
OUT      := $(BASE)/asan
BIN      := $(OUT)/hydrascope
CC       := $(CLANG)
CFLAGS   ?= -O1 -g
HS_SAN   := $(SANFLAGS)
endif

# CFLAGS, LDFLAGS: the user's (`make CFLAGS=...` included), added to ours
CFLAGS   ?= -O2 -g
WFLAGS   := -Wall -Wextra -Werror -Iheaders -Iuser -I$(BASE) -I/usr/include/postgresql -MMD -MP \
	    -DHS_VERSION='"$(VERSION)"'
HS_CFLAGS = $(WFLAGS) $(HS_SAN) $(CFLAGS)
FUZZFLAGS := -O1 -g $(SANFLAGS) $(WFLAGS)
LDLIBS   := -lbpf -lelf -lz -lpcap -ljson-c -linih -lcrypto -lmicrohttpd -lcap -lpq -lpthread -lm
# BPF_EXTRA: more flags for the BPF object alone (tests/live/t_restart_live.sh builds
# a second one, -DHS_VLAN_MAX=3, in another BASE, to upgrade a running
# instance to)
BPF_EXTRA ?=
# BPF v3: 32-bit subregisters and jumps, no zero-extension pair after each
# 32-bit operation (docs/performance.md); BASE_REV's object is built
# without it, as it was then
BPF_CPU  := -mcpu=v3
BPFFLAGS := -g -O2 -target bpf $(BPF_CPU) -Wall -Werror -Iheaders -I$(ARCH_INC) -MMD -MP $(BPF_EXTRA)

USER_SRC := $(wildcard user/*.c)
USER_OBJ := $(patsubst user/%.c,$(OUT)/%.o,$(USER_SRC))
LIB_OBJ  := $(filter-out $(OUT)/main.o,$(USER_OBJ))
# The tests by kind (tests/README.md). Every C test, benchmark and helper
# program is built as $(OUT)/tests/NAME, whatever its folder.
TEST_KINDS := unit bpf bench fuzz tools
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst %.c,$(OUT)/tests/%,$(notdir $(UNIT_SRC)))
TEST_SRC := $(UNIT_SRC) $(wildcard tests/bpf/test_*.c)
TEST_BIN := $(patsubst %.c,$(OUT)/tests/%,$(notdir $(TEST_SRC)))
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
BENCH_BIN := $(patsubst %.c,$(OUT)/tests/%,$(notdir $(BENCH_SRC)))
# libFuzzer targets, one per parser, over the user objects built for them
FUZZ_OUT := $(BASE)/fuzz
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(FUZZ_OUT)/%,$(FUZZ_SRC))
FUZZ_OBJ := $(patsubst user/%.c,$(FUZZ_OUT)/%.o,$(filter-out user/main.c,$(USER_SRC)))
FUZZ_SECONDS ?= 600

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DEFAULT_GOAL := all
.DELETE_ON_ERROR:
.PHONY: all clean deps print-debs check unit demo eval bench tests help install fuzz profile

PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
INCLUDEDIR ?= $(PREFIX)/include
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system

all: $(BIN)

help:
	@echo 'make             build ./hydrascope (V=1 shows commands)'
	@echo 'sudo make demo   install missing Debian packages, build, run the demo test bed'
	@echo 'make unit        build and run the unit tests and the CLI test: no root,'
	@echo '                 no namespaces, no package installs (well under a minute)'
	@echo 'sudo make check  install missing Debian packages, build, run every test'
	@echo '                 (SANITIZE=1: all of it built with ASan and UBSan)'
	@echo 'sudo make fuzz   every fuzz target for FUZZ_SECONDS (600) each'
	@echo 'sudo make eval   the hydra detector on seeded scenarios (several minutes)'
	@echo 'sudo make bench  benchmarks: figures as "name value unit" lines'
	@echo 'sudo make profile CLASS=NAME  the program'"'"'s hottest code in a bench_pkt class (perf)'
	@echo 'make deps        install missing Debian packages (root)'
	@echo 'make install     binary, man page, sockopt header, systemd unit, config (PREFIX, DESTDIR)'
	@echo 'make clean       remove build outputs'

$(sort $(BASE) $(OUT) $(OUT)/tests $(FUZZ_OUT)):
	$(Q)mkdir -p $@

$(BASE)/hydrascope.bpf.o: bpf/hydrascope.bpf.c Makefile | $(BASE)
	@command -v $(CLANG) >/dev/null || { echo "clang not found: run 'sudo make deps'"; exit 1; }
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPFFLAGS) -c $< -o $@

# The BPF object of BASE_REV, built from git beside today's with the same
# flags: what the equivalence test (tests/bpf/test_equiv.c) and bench_pkt
# compare today's program with, loaded by name, not through a skeleton.
# BASE_REV is main just before issue 19's walks were merged (tag i19-base
# and issue 18's QUIC changes to the program after it), named by its hash
# so that a clone without tags builds it too; set it to another
# commit (BASE_REV=HEAD~3) to compare with that one.
BASE_REV ?= dde55ba5bd77a011441bf4c6940bb56ac7b9c1c6
BASE_OBJ := $(BASE)/base/hydrascope.bpf.o
$(BASE_OBJ): Makefile | $(BASE)
	@command -v $(CLANG) >/dev/null || { echo "clang not found: run 'sudo make deps'"; exit 1; }
	$(call msg,BPF-BASE,$@ ($(BASE_REV)))
	$(Q)rm -rf $(BASE)/base/src && mkdir -p $(BASE)/base/src && \
	if git archive $(BASE_REV) bpf headers 2>/dev/null | tar -x -C $(BASE)/base/src; then \
		$(CLANG) $(filter-out -Iheaders -MMD -MP $(BPF_CPU),$(BPFFLAGS)) -I$(BASE)/base/src/headers \
			-c $(BASE)/base/src/bpf/hydrascope.bpf.c -o $@; \
	else \
		echo "  (no git history with $(BASE_REV): test_equiv and bench_pkt's comparison skip)"; \
	fi

# BASE_REV's whole binary, built from git the same way: bench_live runs it
# beside today's (BENCH_LIVE_OLD).
BASE_BIN := $(BASE)/base/hydrascope
$(BASE_BIN): Makefile | $(BASE)
	$(call msg,BIN-BASE,$@ ($(BASE_REV)))
	$(Q)rm -rf $(BASE)/base/tree && mkdir -p $(BASE)/base/tree && \
	if git archive $(BASE_REV) 2>/dev/null | tar -x -C $(BASE)/base/tree; then \
		if MAKEFLAGS= $(MAKE) -C $(BASE)/base/tree hydrascope >$(BASE)/base/tree.log 2>&1; then \
			cp $(BASE)/base/tree/hydrascope $@; \
		else \
			echo "  (BASE_REV's binary did not build, see $(BASE)/base/tree.log: bench_live leaves it out)"; \
		fi; \
	else \
		echo "  (no git history with $(BASE_REV): bench_live leaves the old program out)"; \
	fi

$(BASE)/hs_bpf.skel.h: $(BASE)/hydrascope.bpf.o
	@test -x $(BPFTOOL) || { echo "bpftool not found: run 'sudo make deps'"; exit 1; }
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name hs_bpf > $@

# the fleet schema, built into the binary (fleet --init)
$(BASE)/fleet_sql.h: dist/fleet.sql | $(BASE)
	$(call msg,GEN,$@)
	$(Q){ echo 'static const char fleet_sql[] ='; \
	  sed 's/\\/\\\\/g; s/"/\\"/g; s/.*/"&\\n"/' $<; echo ';'; } > $@
$(OUT)/fleetdb.o $(FUZZ_OUT)/fleetdb.o: $(BASE)/fleet_sql.h

# every userspace object may include the skeleton
$(OUT)/%.o: user/%.c $(BASE)/hs_bpf.skel.h Makefile | $(OUT)
	$(call msg,CC,$@)
	$(Q)$(CC) $(HS_CFLAGS) -c $< -o $@

$(BIN): $(USER_OBJ)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(HS_CFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@

# one pattern rule per kind's folder: tests/KIND/NAME.c -> $(OUT)/tests/NAME
define test_prog_rule
$$(OUT)/tests/%: tests/$(1)/%.c $$(LIB_OBJ) $$(BASE)/hs_bpf.skel.h Makefile | $$(OUT)/tests
	$$(call msg,CC,$$@)
	$$(Q)$$(CC) $$(HS_CFLAGS) $$(LDFLAGS) -Itests/lib $$< $$(LIB_OBJ) $$(LDLIBS) -lcmocka -o $$@
endef
$(foreach k,$(TEST_KINDS),$(eval $(call test_prog_rule,$(k))))

.SECONDARY: $(FUZZ_OBJ)
$(FUZZ_OUT)/%.o: user/%.c $(BASE)/hs_bpf.skel.h Makefile | $(FUZZ_OUT)
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(FUZZFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_OBJ) Makefile | $(FUZZ_OUT)
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(FUZZFLAGS) -fsanitize=fuzzer -Itests/lib $< $(FUZZ_OBJ) $(LDLIBS) -o $@

tests: $(BIN) $(TEST_BIN) $(FUZZ_BIN) $(OUT)/tests/mkseeds $(OUT)/tests/mkseeds_quic \
	$(OUT)/tests/quicflood $(OUT)/examples/sockopt_server $(BASE_OBJ)

# the examples, as an application would build them (the installed header)
$(OUT)/examples/%: examples/%.c headers/hydrascope/sockopt.h Makefile
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) -Wall -Wextra -Werror $(HS_SAN) $(CFLAGS) -Iheaders $< -lssl -lcrypto -o $@

print-debs:
	@echo $(DEBS)

# Install what is missing (Debian); a no-op when everything is there.
deps:
	@missing=$$(for p in $(DEBS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "Missing Debian packages:" $$missing "- run as root (sudo make ...)"; exit 1; \
		fi; \
		echo "Installing Debian packages:" $$missing; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

# the shell tests run $(BIN) and the C tests of $(OUT) (tests/lib/lib.sh, run.sh)
RUN_TESTS = HS_OUT=$(OUT) HS_BIN=$(abspath $(BIN)) tests/run.sh
check:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)$(RUN_TESTS)

# The quick loop: no deps (no package installs), no root, no namespaces.
# The CLI test runs its unprivileged part and skips the rest.
unit: $(BIN) $(UNIT_BIN)
	$(Q)$(RUN_TESTS) tests/unit/ tests/cli/

fuzz:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory tests
	$(Q)tests/fuzz/fuzz.sh -p -t $(FUZZ_SECONDS)

demo:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tests/tools/demo.sh

eval:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)python3 tests/tools/eval.py ./$(BIN) --seeds 1,2,3 --minutes 60

bench:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BIN) $(BASE_OBJ) $(BASE_BIN)
	$(Q)tests/bench/bench.sh

# Where the program's time goes, instruction by instruction, in one of
# bench_pkt's comparison classes: make profile CLASS=hello_chrome_steady$
# (root; perf, Debian's linux-perf; docs/performance.md)
profile:
	$(Q)$(MAKE) --no-print-directory deps
	$(Q)$(MAKE) --no-print-directory all $(OUT)/tests/bench_pkt $(OUT)/tests/jitprof $(BASE_OBJ)
	$(Q)HS_OUT=$(OUT) tests/bench/profile.sh '$(CLASS)'

# The config file is installed only where none is: never overwritten.
install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/hydrascope
	install -D -m 0644 user/hydrascope.8 $(DESTDIR)$(MANDIR)/man8/hydrascope.8
	install -D -m 0644 headers/hydrascope/sockopt.h $(DESTDIR)$(INCLUDEDIR)/hydrascope/sockopt.h
	install -d -m 0755 $(DESTDIR)$(UNITDIR)
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		dist/hydrascope@.service >$(DESTDIR)$(UNITDIR)/hydrascope@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/hydrascope@.service
	install -D -m 0644 dist/hydrascope.conf $(DESTDIR)$(PREFIX)/share/doc/hydrascope/hydrascope.conf.example
	install -D -m 0644 dist/grafana-dashboard.json $(DESTDIR)$(PREFIX)/share/doc/hydrascope/grafana-dashboard.json
	install -D -m 0644 dist/grafana-fleet.json $(DESTDIR)$(PREFIX)/share/doc/hydrascope/grafana-fleet.json
	install -D -m 0644 dist/fleet.sql $(DESTDIR)$(PREFIX)/share/doc/hydrascope/fleet.sql
	install -D -m 0644 dist/hydrascope-alerts.yml $(DESTDIR)$(PREFIX)/share/doc/hydrascope/hydrascope-alerts.yml
	test -e $(DESTDIR)$(SYSCONFDIR)/hydrascope/hydrascope.conf || \
		install -D -m 0644 dist/hydrascope.conf $(DESTDIR)$(SYSCONFDIR)/hydrascope/hydrascope.conf

clean:
	rm -rf $(OUT) $(BIN)

-include $(sort $(wildcard $(BASE)/*.d $(OUT)/*.d $(OUT)/tests/*.d $(FUZZ_OUT)/*.d))
