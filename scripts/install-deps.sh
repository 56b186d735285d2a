#!/usr/bin/env bash
# install-deps.sh - install the Debian 12 packages arus needs, only those missing.
#
#   install-deps.sh build   compiler, CMake and every connector's client library (make build/demo)
#   install-deps.sh test    build + the test servers and tools (make test)
#
# Checks with dpkg-query first and leaves apt alone when nothing is missing. Runs apt-get as
# root, through sudo otherwise. Debian's postinst scripts would start each server on its
# default port; a temporary policy-rc.d (only if none exists) keeps them from doing so, since
# the tests run their own servers (scripts/servers.sh).
set -euo pipefail

BUILD_PKGS=(cmake gcc make pkg-config libyaml-dev libsqlite3-dev sqlite3 libpq-dev
            libmariadb-dev libmongoc-dev libbson-dev libcurl4-openssl-dev
            libmicrohttpd-dev libjson-c-dev libssl-dev)
# clang + libclang-rt-14-dev: libFuzzer targets; valgrind: leak runs; openssl: TLS test
# certificates; jq, python3, bc, procps: used by the test and bench scripts; time: time -v;
# pgloader: the second yardstick of bench/my_to_pg.sh.
TEST_PKGS=(postgresql mariadb-server mariadb-client clickhouse-server clickhouse-client curl
           clang libclang-rt-14-dev valgrind openssl jq python3 bc procps time sysbench chromium pgloader)

log() { printf '[install-deps] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

installed() { [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]; }

case ${1:-build} in
    build) wanted=("${BUILD_PKGS[@]}") ;;
    test)
        wanted=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}")
        # The MongoDB test server runs on Node >= 18; a Node already on PATH (from any source)
        # is used as is, and Debian's nodejs/npm would conflict with a non-Debian install.
        if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
            wanted+=(nodejs npm)
        fi ;;
    *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac

missing=()
for p in "${wanted[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
    log "all ${#wanted[@]} packages present"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
elif command -v sudo >/dev/null; then
    sudo=(sudo)
else
    die "need root or sudo to install: ${missing[*]}"
fi

policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
    trap '"${sudo[@]}" rm -f "$policy"' EXIT
    printf '#!/bin/sh\n# temporary, from arus scripts/install-deps.sh\nexit 101\n' \
        | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
fi

log "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${missing[@]}"
log "done"
