#!/usr/bin/env bash
# Install like a real tool: `cmake --install` (what make install runs) into a temporary root
# with DESTDIR, then the installed arus --version, man pages readable by man, bash completion
# loading and completing, and the host-program example built against the installed libarus
# through pkg-config and run; then the Debian package (CPack, what make deb runs) and its
# contents (dpkg-deb -c; it is not installed). Needs no server.
source "$(dirname "$0")/lib.sh"

: "${ARUS_BUILD_DIR:?ARUS_BUILD_DIR must name the build directory (ctest sets it)}"
ROOT=$WORK/root
PREFIX=/opt/arus-test
DESTDIR=$ROOT cmake --install "$ARUS_BUILD_DIR" --prefix "$PREFIX" >"$WORK/install.log" ||
    fail "cmake --install: $(tail -5 "$WORK/install.log")"
P=$ROOT$PREFIX
for f in bin/arus include/arus/arus.h include/arus/source.h lib/libarus.a lib/pkgconfig/arus.pc \
         share/man/man1/arus.1 share/man/man5/arus.yml.5 share/bash-completion/completions/arus; do
    [ -f "$P/$f" ] || fail "not installed: $f (got: $(cd "$P" && find . -type f | sort | tr '\n' ' '))"
done
version=$(sed -n 's/^project(arus VERSION \([0-9.]*\).*/\1/p' "$ARUS_SOURCE_DIR/CMakeLists.txt")
assert_eq "$("$P/bin/arus" --version)" "arus $version" "installed arus --version"
man -l "$P/share/man/man1/arus.1" 2>/dev/null | grep -q 'dead-letters pipeline' || fail "arus(1) does not render"
man -l "$P/share/man/man5/arus.yml.5" 2>/dev/null | grep -q 'hash_columns' || fail "arus.yml(5) does not render"

# make install passes PREFIX and DESTDIR on to the same cmake --install (dry run: no rebuild)
make -s -n -C "$ARUS_SOURCE_DIR" install PREFIX=/opt/p DESTDIR=/tmp/d >"$WORK/make.log" 2>&1 || true
grep -qF 'DESTDIR="/tmp/d" cmake --install build --prefix "/opt/p"' "$WORK/make.log" ||
    fail "make install: $(cat "$WORK/make.log")"
grep -qF 'cpack -G DEB' <(make -s -n -C "$ARUS_SOURCE_DIR" deb 2>&1) || fail "make deb"

# bash completion: verbs, and pipeline names from the config
cat >"$WORK/arus.yml" <<'YML'
sources:
  lite: {type: sqlite, path: /dev/null}
destinations:
  wh: {type: sqlite, path: /dev/null}
pipelines:
  orders_pipe: {source: lite, destination: wh}
  users_pipe: {source: lite, destination: wh}
YML
completions=$(cd "$WORK" && bash -c '
    source "$1"
    COMP_WORDS=(arus d); COMP_CWORD=1; _arus; echo "${COMPREPLY[*]}"
    COMP_WORDS=(arus reset ""); COMP_CWORD=2; _arus; echo "${COMPREPLY[*]}"
    COMP_WORDS=(arus sync orders_pipe --f); COMP_CWORD=3; _arus; echo "${COMPREPLY[*]}"' _ \
    "$P/share/bash-completion/completions/arus")
assert_eq "$completions" $'discover dead-letters\norders_pipe users_pipe\n--full-refresh --from' "bash completion"

# the example host program against the installed library, found through pkg-config
export PKG_CONFIG_PATH=$P/lib/pkgconfig
flags=()
grep -q '^ARUS_SANITIZE:BOOL=ON' "$ARUS_BUILD_DIR/CMakeCache.txt" && flags=(-fsanitize=address,undefined)
# shellcheck disable=SC2046
cc -std=c17 "${flags[@]}" -o "$WORK/host_source" "$ARUS_SOURCE_DIR/examples/host_source.c" \
    $(pkg-config --cflags --libs arus) 2>"$WORK/cc.log" || fail "build against installed libarus: $(cat "$WORK/cc.log")"
assert_eq "$(pkg-config --variable=includedir arus)" "$P/lib/pkgconfig/../../include" "relocatable pkg-config prefix"
bash "$ARUS_SOURCE_DIR/tests/examples/run_host_source.sh" "$WORK/host_source" >"$WORK/example.log" 2>&1 ||
    fail "installed example: $(cat "$WORK/example.log")"

# the Debian package: built by CPack in a copy of the build's package settings, inspected only
(cd "$ARUS_BUILD_DIR" && cpack -G DEB -B "$WORK/deb") >"$WORK/cpack.log" 2>&1 ||
    fail "cpack: $(tail -20 "$WORK/cpack.log")"
deb=$(ls "$WORK"/deb/arus_*.deb) || fail "no .deb: $(ls "$WORK/deb")"
dpkg-deb -c "$deb" >"$WORK/contents"
for f in '/usr/bin/arus' '/usr/lib/([^/]+/)?libarus\.a' '/usr/include/arus/arus\.h' \
         '/usr/lib/([^/]+/)?pkgconfig/arus\.pc' '/usr/share/man/man1/arus\.1' \
         '/usr/share/man/man5/arus\.yml\.5' '/usr/share/bash-completion/completions/arus'; do
    grep -Eq " \.$f\$" "$WORK/contents" || fail "not in the package: $f"
done
dpkg-deb -f "$deb" Package Version Depends >"$WORK/fields"
grep -q '^Package: arus$' "$WORK/fields" || fail "package name: $(cat "$WORK/fields")"
grep -q '^Depends: .*libpq5' "$WORK/fields" || fail "Depends from the linked libraries: $(cat "$WORK/fields")"
echo ok
