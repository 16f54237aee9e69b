# dangjian build. One binary, the web front end, tests and tools.
#   make            release binary build/release/dangjian and web/dist
#   make run        build, create var/dangjian.db with demo data on first run, serve :8080
#   make test       everything (ASan+UBSan server and unit tests, API, fuzz replay, e2e)
#   make asan       sanitizer build in build/asan/
#   make valgrind   the unit tests and API tests under valgrind
#   make fuzz       each libFuzzer harness for FUZZ_SECONDS
#   make bench      benchmarks (not tests), writes bench/results.md
#   make bench DB=pg  the same on a throwaway PostgreSQL 15 cluster: its section of results.md
# Source files are found by wildcard: a new src/**/*.c, tests/unit/test_*.c or
# tests/fuzz/fuzz_*.c needs no Makefile change. Route tables (ROUTE_TABLE) and SQL
# tables (DB_SQL_TABLE) are collected by tools/gen_registry; migrations in sql/ are
# embedded by tools/embed.

MODE    ?= release
B       := build/$(MODE)
CC      ?= cc
PKGS    := libmicrohttpd jansson sqlite3 libpq libsodium liboath xlsxwriter libzip expat inih zlib libjpeg libpng libwebp libcurl libqrencode libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

WARN    := -std=c17 -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
           -Wno-unused-parameter -Wno-missing-field-initializers -Werror
HARDEN  := -fPIE -fstack-protector-strong -fstack-clash-protection
LDHARD  := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack

# assert() states invariants: it is compiled in the asan, debug and fuzz builds that the
# tests run, and out of release (NDEBUG), where a serving process must not abort and the
# code treats the same states as errors (db.h: a bind or column misuse fails the step).
ifeq ($(MODE),release)
  OPT   := -O2 -g -D_FORTIFY_SOURCE=2 -DNDEBUG
  SAN   :=
else ifeq ($(MODE),asan)
  OPT   := -O1 -g -fno-omit-frame-pointer
  SAN   := -fsanitize=address,undefined -fno-sanitize-recover=all
else ifeq ($(MODE),debug)
  OPT   := -O0 -g
  SAN   :=
else ifeq ($(MODE),fuzz)
  CC    := clang
  OPT   := -O1 -g -fno-omit-frame-pointer -DDJ_FUZZING
  SAN   := -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
endif

CFLAGS  := $(WARN) $(HARDEN) $(OPT) $(SAN) -D_GNU_SOURCE -Isrc -I$(B)/gen $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(LDHARD) $(SAN) $(EXTRA_LDFLAGS)

SRC      := $(shell find src -name '*.c' | sort)
LIB_SRC  := $(filter-out src/main.c,$(SRC))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o) $(B)/obj/gen/registry.o $(B)/obj/gen/embedded.o
SQL      := $(sort $(wildcard sql/sqlite/*.sql sql/pg/*.sql)) $(wildcard src/**/*.txt) $(wildcard data/*)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))

.PHONY: FORCE all server web web-budget run test asan valgrind fuzz bench unit clean compile_commands.json deps check-deps
all: server web compile_commands.json

server: $(B)/dangjian
unit: $(UNIT_BIN)

$(B)/tools/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c17 -O1 -Wall -Wextra -o $@ $<

# the lists of inputs, rewritten only when a file is added or removed, so that a
# removed migration or source file also regenerates what embeds or registers it
$(B)/gen/sources.list: FORCE
	@mkdir -p $(dir $@)
	@echo '$(SRC)' | cmp -s - $@ || echo '$(SRC)' > $@
$(B)/gen/embedded.list: FORCE
	@mkdir -p $(dir $@)
	@echo '$(SQL)' | cmp -s - $@ || echo '$(SQL)' > $@
FORCE:

$(B)/gen/registry.c: $(SRC) tools/gen_registry $(B)/gen/sources.list
	@mkdir -p $(dir $@)
	@tools/gen_registry $(SRC) > $@.tmp && mv $@.tmp $@

$(B)/gen/embedded.c: $(B)/tools/embed $(SQL) $(B)/gen/embedded.list
	@mkdir -p $(dir $@)
	@$(B)/tools/embed $(SQL) > $@.tmp && mv $@.tmp $@

$(B)/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -Wno-overlength-strings -c -o $@ $<

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/libdj.a: $(LIB_OBJ)
	@rm -f $@
	@echo "  AR      $@"
	@ar rcs $@ $^

$(B)/dangjian: $(B)/obj/src/main.o $(B)/libdj.a
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/tests/test_%: tests/unit/test_%.c $(B)/libdj.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(B)/libdj.a $(PKG_LIBS) $(shell pkg-config --libs cmocka)

# Fuzz harnesses: built with libFuzzer in MODE=fuzz, and as plain corpus replayers
# (tests/fuzz/replay_main.c) in MODE=asan so that `make test` replays their corpora.
ifeq ($(MODE),fuzz)
$(B)/fuzz/%: tests/fuzz/%.c $(B)/libdj.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(LDFLAGS) -o $@ $< $(B)/libdj.a $(PKG_LIBS)
else
$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/replay_main.c $(B)/libdj.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay_main.c $(B)/libdj.a $(PKG_LIBS)
endif
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=$(B)/fuzz/%)
fuzzbins: $(FUZZ_BIN)

# The front end lands from its own branch: until web/package.json exists, `web` is a
# no-op and the server answers 404 for the front end's pages.
ifneq ($(wildcard web/package.json),)
web: web/dist/index.html
web/dist/index.html: web/package.json web/package-lock.json $(shell find web/src web/index.html web/vite.config.* 2>/dev/null)
	cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build
	find web/dist -type f \( -name '*.js' -o -name '*.css' -o -name '*.svg' -o -name '*.html' \) -size +1k -exec gzip -k -9 -f {} +
# the JavaScript budgets of issue 20 #23 (login ≤ 120 KB, 我的 ≤ 150 KB gzip): exits 1 over
# a budget; `make test` fails over a budget too (tests/run's budget tier)
web-budget: web
	node tools/bundle-budget.mjs
else
web:
	@echo "web: no web/package.json yet, nothing to build"
endif

node_modules/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error && touch $@

compile_commands.json: $(SRC) Makefile
	@tools/compile_commands "$(CC)" "$(CFLAGS)" $(SRC) $(UNIT_SRC) > $@

asan:
	$(MAKE) MODE=asan server unit fuzzbins

run: all
	tools/run-demo $(B)/dangjian

test: node_modules/.stamp
	$(MAKE) MODE=asan server unit fuzzbins
	$(MAKE) MODE=release server
	$(MAKE) web
	tests/run

valgrind:
	$(MAKE) MODE=debug server unit
	DJ_VALGRIND=1 DJ_BIN=build/debug/dangjian DJ_UNIT_DIR=build/debug/tests tests/run --unit --api

fuzz:
	$(MAKE) MODE=fuzz fuzzbins
	tools/fuzz-all build/fuzz/fuzz $${FUZZ_SECONDS:-30}

bench:
	scripts/deps --bench
	$(MAKE) MODE=release server web
	BENCH_DB=$(DB) bench/run

clean:
	rm -rf build compile_commands.json

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
