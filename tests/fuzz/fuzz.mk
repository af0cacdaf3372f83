# libFuzzer targets (tests/fuzz/NAME.c -> build/fuzz/NAME), included by the
# top-level Makefile.  Every target links the whole of cordon (minus main)
# and tests/fuzz/lib/ as static archives, so a new target is one file: it
# takes what it calls.  See docs/testing.md, "Fuzzing".
#
#   make fuzz                    build every target
#   make fuzz FUZZ_SECONDS=N     ... and run each for N seconds on one core
#   make fuzz FUZZ_TARGETS=a,b   only those targets
#   make fuzz FUZZ_SECONDS=N FUZZ_RUNS=M   ... each stopping at M executions

FUZZ_CC      := clang
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
# clang warns about positional initializers in libseccomp's own macros.
FUZZ_WARN    := $(WARN) -Wno-missing-field-initializers
FUZZ_CFLAGS  := $(CSTD) $(FUZZ_WARN) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link -DCORDON_FUZZ \
		-fsanitize-coverage-ignorelist=tests/fuzz/coverage-ignore.txt
FUZZ_NAMES   := $(sort $(basename $(notdir $(wildcard tests/fuzz/*.c))))
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_DIR)/%)
# The virtio guest-driver rig of the unit tests drives device targets too,
# and the engine tests' CPU fixture is the CPU target's machine.
FUZZ_LIB_SRC := $(sort $(wildcard tests/fuzz/lib/*.c)) tests/unit/virtio_rig.c tests/unit/cpu_fixture.c
FUZZ_CORE_OBJ := $(CORE_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_LIB_OBJ := $(FUZZ_LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)

.PHONY: fuzz fuzz-build
fuzz: deps
	@$(MAKE) --no-print-directory fuzz-build
ifneq ($(FUZZ_SECONDS),)
	@tests/fuzz/run.sh --seconds $(FUZZ_SECONDS) $(if $(FUZZ_RUNS),--runs $(FUZZ_RUNS)) $(subst $(comma), ,$(FUZZ_TARGETS))
endif

comma := ,
fuzz-build: $(FUZZ_BINS)

# The translator (jit*.c), its block cache (block.c) and the decoder keep
# their edge counters but lose trace-cmp: their compares are on host
# registers, code-buffer offsets, block tags, byte counts left and table
# entries, none a value a mutation of guest code is steered towards (an
# opcode byte is one of 256 and byte mutations reach it directly).  With the
# encoders inlined into their callers (where fun:x_* in coverage-ignore.txt
# does not reach) the callbacks took 40% of the cpu target's time; the
# interpreter, whose compares are on operand values, keeps them.
FUZZ_NOCMP_OBJ := $(filter $(FUZZ_DIR)/obj/src/engine/soft/jit%.o $(FUZZ_DIR)/obj/src/engine/soft/block.o \
		  $(FUZZ_DIR)/obj/src/engine/soft/decode.o,\
		  $(FUZZ_CORE_OBJ))
$(FUZZ_NOCMP_OBJ): FUZZ_CMP := -fno-sanitize-coverage=trace-cmp

$(FUZZ_DIR)/obj/%.o: %.c tests/fuzz/coverage-ignore.txt tests/fuzz/fuzz.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_CMP) $(INC) -Itests/fuzz/lib -Itests/unit $(DEPFLAGS) -c -o $@ $<

$(FUZZ_DIR)/libcordon.a: $(FUZZ_CORE_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ_DIR)/libfuzzhelp.a: $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	@rm -f $@
	@ar rcs $@ $^

$(FUZZ_DIR)/%: $(FUZZ_DIR)/obj/tests/fuzz/%.o $(FUZZ_DIR)/libfuzzhelp.a $(FUZZ_DIR)/libcordon.a
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -g -o $@ $^ $(LIBS)

-include $(FUZZ_CORE_OBJ:.o=.d) $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_NAMES:%=$(FUZZ_DIR)/obj/tests/fuzz/%.d)

# Keep the targets' objects: make would delete them as intermediates.
.SECONDARY: $(FUZZ_NAMES:%=$(FUZZ_DIR)/obj/tests/fuzz/%.o)
