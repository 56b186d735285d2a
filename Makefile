# The two commands of the README, plus the build they share.
#   make demo   install missing build packages, build arus, run the SQLite -> SQLite demo
#               (scripts/demo.sh)
#   make test   install and start everything the tests need, run the whole suite
#               (scripts/run-tests.sh)
#   make build  configure and build everything (arus, tests) into build/, optimised + debug info
#   make install [PREFIX=/usr/local] [DESTDIR=...]
#               build, then install arus, libarus + headers + arus.pc, man pages and bash
#               completion under PREFIX (inside DESTDIR when given)
#   make deb    build, then the Debian package build/arus_<version>_<arch>.deb (CPack)
#   make bench [BENCH_ROWS=1000000] [ROUNDS=2]
#               build, then every pair's bench/*.sh against the engines' own pipe on the
#               running test servers, one table at the end (bench/run_all.sh, bench/README.md)
#   make bench-scale
#               build, then bench/scale.sh: 1M and 10M rows PostgreSQL/MariaDB -> PostgreSQL,
#               linearity, peak RSS, incremental runs on the 10M-row table (~15 min)
#   make clean  remove build/, build-asan/ and demo/
JOBS ?= $(shell nproc)
PREFIX ?= /usr/local
BENCH_ROWS ?= 1000000
CONFIGURE = cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all build demo test install deb bench bench-scale clean

all: build

build:
	$(CONFIGURE)
	cmake --build build -j $(JOBS)

# Sequential on purpose: the packages must be there before the build starts, even under make -j.
# Only the arus binary: the demo needs no test programs.
demo:
	bash scripts/install-deps.sh build
	$(CONFIGURE)
	cmake --build build -j $(JOBS) --target arus
	bash scripts/demo.sh build/arus

test:
	bash scripts/run-tests.sh

install: build
	DESTDIR="$(DESTDIR)" cmake --install build --prefix "$(PREFIX)"

deb: build
	cd build && cpack -G DEB

bench: build
	BENCH_ROWS="$(BENCH_ROWS)" bash bench/run_all.sh

bench-scale: build
	bash bench/scale.sh

clean:
	rm -rf build build-asan demo
