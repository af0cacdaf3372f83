# cordon -- a secure x86 virtual machine monitor.
#
#   make            build build/cordon
#   make test       install what is missing, build, run the whole suite
#   make demo       build cordon and the Debian guest, boot it, show it working,
#                   then run examples/two-labels.sys, channels.sys and transfer.sys
#                   under the supervisor
#   make guest      fetch Debian's 686 kernel and busybox, build build/guest/
#   make bench      side-by-side benchmarks (see bench/): boot and CPU
#   make bench-disk 256 MiB virtio-blk write and read, cordon vs QEMU TCG
#   make bench-workloads  the guest workload suite, cordon vs QEMU TCG
#   make bench-transfer   64 MiB between two VMs: the guard vs nc on a network link
#   make bench-firmware   SeaBIOS + GRUB boots and IDE/CD-ROM reads, cordon vs QEMU TCG
#   make bench-net        64 MiB over TCP: direct link, labeled net, QEMU TCG; the diode
#   make bench-supervisor a guest flooding its console (quota), ps beside slow clients
#   make fuzz       build the libFuzzer targets (tests/fuzz/); FUZZ_SECONDS=N runs each

CC      ?= gcc
BUILD   := build
WARN    := -Wall -Wextra -Werror
CSTD    := -std=c11 -D_GNU_SOURCE
CFLAGS  ?= -O2 -g -flto=auto
INC     := -Isrc
DEPFLAGS = -MMD -MP

SRC      := $(shell find src -name '*.c' | sort)
CORE_SRC := $(filter-out src/cli/main.c,$(SRC))
TEST_SRC := $(sort $(wildcard tests/unit/*.c)) guest/sha256.c

OBJ      := $(SRC:%.c=$(BUILD)/obj/%.o)
ASAN_OBJ := $(CORE_SRC:%.c=$(BUILD)/asan/%.o) $(TEST_SRC:%.c=$(BUILD)/asan/%.o)
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIBS := -lcryptsetup -lcrypto -lseccomp -ljansson

.PHONY: all test unit demo guest bench bench-disk bench-workloads bench-transfer bench-firmware bench-net bench-supervisor deps clean
all: $(BUILD)/cordon

$(BUILD)/cordon: $(OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(CFLAGS) $(INC) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/unit-tests: $(ASAN_OBJ)
	$(CC) $(SANITIZE) -g -o $@ $^ $(LIBS)

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SANITIZE) -DCORDON_TEST_HOOKS $(INC) -I. -Itests/unit $(DEPFLAGS) -c -o $@ $<

# build/cordon-test: cordon with the test-only hooks (src/sec/test_hooks.h)
# that some shell tests need; build/cordon has none.  Only the files that
# include the hooks' header are compiled a second time.
HOOK_SRC := $(shell grep -l '"sec/test_hooks.h"' $(SRC))
HOOK_OBJ := $(HOOK_SRC:%.c=$(BUILD)/hooks/%.o)

$(BUILD)/cordon-test: $(filter-out $(HOOK_SRC:%.c=$(BUILD)/obj/%.o),$(OBJ)) $(HOOK_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(LIBS)

# build/cordon-asan: cordon under ASan and UBSan (the unit tests' objects,
# test hooks included), for the hostile-guest suite.
$(BUILD)/cordon-asan: $(CORE_SRC:%.c=$(BUILD)/asan/%.o) $(BUILD)/asan/src/cli/main.o
	$(CC) $(SANITIZE) -g -o $@ $^ $(LIBS)

$(BUILD)/hooks/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(CFLAGS) -DCORDON_TEST_HOOKS $(INC) $(DEPFLAGS) -c -o $@ $<

deps:
	@scripts/deps.sh

# Helper programs the tests need (small guest kernels, the native oracle).
$(BUILD)/test-helpers.stamp: $(shell find tests/guest tests/oracle guest src/xfer -type f 2>/dev/null) | deps
	@$(MAKE) --no-print-directory -C tests/guest BUILD=$(abspath $(BUILD))/tests
	@$(MAKE) --no-print-directory -C tests/guest/hostile BUILD=$(abspath $(BUILD))/tests
	@$(MAKE) --no-print-directory -C tests/oracle BUILD=$(abspath $(BUILD))/tests
	@$(MAKE) --no-print-directory -C guest BUILD=$(abspath $(BUILD))/tests
	@touch $@

guest: deps
	@scripts/mkguest.sh $(BUILD)/guest

test: deps
	@$(MAKE) --no-print-directory $(BUILD)/cordon $(BUILD)/cordon-test $(BUILD)/cordon-asan \
		$(BUILD)/unit-tests $(BUILD)/test-helpers.stamp
	@$(MAKE) --no-print-directory fuzz-build
	@scripts/mkguest.sh $(BUILD)/guest
	@tests/run.sh

demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/cordon
	@scripts/mkguest.sh $(BUILD)/guest
	@scripts/demo.sh
	@scripts/demo-labels.sh
	@scripts/demo-channels.sh
	@scripts/demo-transfer.sh

bench: deps
	@$(MAKE) --no-print-directory $(BUILD)/cordon
	@scripts/mkguest.sh $(BUILD)/guest
	@bench/boot.sh

bench-disk: deps
	@$(MAKE) --no-print-directory $(BUILD)/cordon
	@scripts/mkguest.sh $(BUILD)/guest
	@bench/disk.sh

bench-transfer: deps
	@$(MAKE) --no-print-directory $(BUILD)/cordon
	@scripts/mkguest.sh $(BUILD)/guest
	@bench/transfer.sh

bench-net: deps
	@$(MAKE) --no-print-directory $(BUILD)/cordon
	@scripts/mkguest.sh $(BUILD)/guest
	@bench/net.sh

bench-supervisor: deps
	@$(MAKE) --no-print-directory $(BUILD)/cordon $(BUILD)/test-helpers.stamp
	@bench/supervisor.sh

bench-workloads: deps
	@$(MAKE) --no-print-directory $(BUILD)/cordon
	@scripts/mkguest.sh $(BUILD)/guest
	@bench/workloads.sh

bench-firmware: deps
	@$(MAKE) --no-print-directory $(BUILD)/cordon
	@scripts/mkguest.sh $(BUILD)/guest
	@bench/firmware.sh

clean:
	rm -rf $(BUILD)/obj $(BUILD)/asan $(BUILD)/cordon $(BUILD)/unit-tests $(BUILD)/tests $(BUILD)/test-helpers.stamp
	rm -rf $(BUILD)/hooks $(BUILD)/cordon-test $(BUILD)/cordon-asan
	rm -rf $(BUILD)/fuzz/obj $(BUILD)/fuzz/*.a $(FUZZ_BINS)

include tests/fuzz/fuzz.mk

-include $(OBJ:.o=.d) $(ASAN_OBJ:.o=.d) $(HOOK_OBJ:.o=.d)
