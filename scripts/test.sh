#!/bin/bash
# Licensed under the Apache License, Version 2.0; see LICENSE.
#
# test.sh: everything, from a fresh Debian 12 to a verdict.
#   1. dependencies     scripts/deps.sh (apt-get, only what is missing)
#   2. build            autogen.sh, configure, make (.libs/mod_authn_jwt.so)
#   3. unit             make check: libcheck programs under ASan/UBSan/LSan,
#                       module symbol check
#      fuzz-build       the libFuzzer targets built with clang
#                       (test/fuzz/fuzz.sh --build-only; `make fuzz` runs
#                       them, never this command)
#      bench-build      bench/verify_micro built; bench/mod_bench_floor.c
#                       built and each of its modes tried in a real httpd
#                       (bench/floor.sh --build-only)
#   4. integration      pytest against a real httpd (test/integration)
#   5. memcheck         a part of them with httpd under valgrind
#                       (scripts/memcheck.sh)
#   6. interop          other JOSE implementations (test/interop), if present
#   7. package          the Debian packages: build, lintian, install, serve
#                       an example from the Debian apache2, purge
#                       (scripts/package-test.sh; root and dpkg-dev needed)
# Every step runs even when an earlier test step failed; the exit status is
# non-zero when any step failed.
#
# Environment:
#   BUILD_DIR        build here instead of in the source tree
#   CONFIGURE_FLAGS  extra ./configure arguments (e.g. --with-apxs=...)
#   SKIP_DEPS=1      do not run scripts/deps.sh
#   PYTEST_ARGS      extra pytest arguments (e.g. "-k expiry -x")
#   SKIP_PACKAGE=1   do not build and try the Debian packages
# Exported to the tests:
#   MOD_AUTHN_JWT_SO path of the built module
#   HTJWT            path of the built htjwt (when it is built)
# (test/integration also reads APACHE2_BIN, APACHE2_MODDIR, IT_PORT_BASE,
# IT_WORKDIR; their defaults suit Debian.)
set -uo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC_DIR}
mkdir -p "$BUILD_DIR" && BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
PY=/usr/bin/python3     # Debian's, with pytest/jwt/jwcrypto/requests
JOBS=$(nproc 2>/dev/null || echo 2)
export BUILD_DIR

if [ -t 1 ]; then
    B=$'\e[1m' R=$'\e[31m' G=$'\e[32m' Y=$'\e[33m' N=$'\e[0m'
else
    B='' R='' G='' Y='' N=''
fi

names=()
results=()
record() {
    names+=("$1")
    results+=("$2")
}
banner() {
    printf '\n%s==== %s ====%s\n' "$B" "$1" "$N"
}
summary() {
    local i rc=0 col
    banner "summary"
    for i in "${!names[@]}"; do
        case ${results[$i]} in
            PASS) col=$G ;;
            SKIP*) col=$Y ;;
            *) col=$R; rc=1 ;;
        esac
        printf '  %-14s %s%s%s\n' "${names[$i]}" "$col" "${results[$i]}" "$N"
    done
    if [ "$rc" -eq 0 ]; then
        printf '%sALL PASSED%s\n' "$G" "$N"
    else
        printf '%sFAILED%s\n' "$R" "$N"
    fi
    return "$rc"
}
fatal() {
    record "$1" FAIL
    summary
    exit 1
}

# ---------------------------------------------------------------- deps --
if [ "${SKIP_DEPS:-0}" = 1 ]; then
    record deps "SKIP (SKIP_DEPS=1)"
else
    banner "dependencies"
    bash "$SRC_DIR/scripts/deps.sh" || fatal deps
    record deps PASS
fi

# --------------------------------------------------------------- build --
banner "build"
bash "$SRC_DIR/scripts/build.sh" || fatal build
SO=$BUILD_DIR/.libs/mod_authn_jwt.so
[ -f "$SO" ] || { echo "test.sh: $SO was not built" >&2; fatal build; }
record build PASS
export MOD_AUTHN_JWT_SO=$SO
if [ -x "$BUILD_DIR/htjwt" ]; then
    export HTJWT=$BUILD_DIR/htjwt
fi

# ---------------------------------------------------------------- unit --
banner "unit tests (make check)"
if make -C "$BUILD_DIR" -j"$JOBS" check; then
    record unit PASS
else
    if [ -f "$BUILD_DIR/test-suite.log" ]; then
        banner "test-suite.log"
        cat "$BUILD_DIR/test-suite.log"
    fi
    record unit FAIL
fi
# The fuzz targets are run by hand (make fuzz), so nothing else would
# notice when they stop building, as they did once the core needed libcurl.
banner "fuzz targets (build only)"
FUZZ_BUILD=$(mktemp -d)
if FUZZ_OUT=$FUZZ_BUILD bash "$SRC_DIR/test/fuzz/fuzz.sh" --build-only; then
    record fuzz-build PASS
else
    record fuzz-build FAIL
fi
rm -rf "$FUZZ_BUILD"
# The benchmark's own programs, also run by hand only.
banner "benchmark tools (build and a smoke test)"
if make -C "$BUILD_DIR" bench/verify_micro && bash "$SRC_DIR/bench/floor.sh" --build-only; then
    record bench-build PASS
else
    record bench-build FAIL
fi
# The conformance counts (RFC and Wycheproof vectors) the unit programs
# wrote to their logs: valid accepted, invalid rejected, acceptable, skipped.
banner "conformance summary (RFC and Wycheproof vectors)"
grep -h -E '^(wycheproof |check_jwe: |check_issue: |rfc)' \
    "$BUILD_DIR"/test/unit/check_*.log 2>/dev/null \
    || echo "(no unit test logs found)"

# --------------------------------------------------------- integration --
banner "integration tests (pytest, real httpd)"
if compgen -G "$SRC_DIR/test/integration/test_*.py" >/dev/null; then
    # shellcheck disable=SC2086
    if (cd "$SRC_DIR" && "$PY" -m pytest -q ${PYTEST_ARGS:-} test/integration)
    then
        record integration PASS
    else
        record integration FAIL
    fi
else
    echo "no test/integration/test_*.py yet"
    record integration "SKIP (none yet)"
fi

# ------------------------------------------------------------- memcheck --
# The module's Apache glue has no sanitizer build: a part of the
# integration tests again, with every httpd process under valgrind.
banner "memcheck (integration tests, httpd under valgrind)"
if [ -n "${PYTEST_ARGS:-}" ]; then
    record memcheck "SKIP (PYTEST_ARGS set)"
elif bash "$SRC_DIR/scripts/memcheck.sh"; then
    record memcheck PASS
else
    record memcheck FAIL
fi

# -------------------------------------------------------------- interop --
# test/interop/ either has its own run.sh (e.g. node-based, installs its
# npm packages itself) or pytest files; run.sh gets the same environment.
banner "interop tests"
if [ -f "$SRC_DIR/test/interop/run.sh" ]; then
    if (cd "$SRC_DIR" && bash test/interop/run.sh); then
        record interop PASS
    else
        record interop FAIL
    fi
elif compgen -G "$SRC_DIR/test/interop/test_*.py" >/dev/null; then
    # shellcheck disable=SC2086
    if (cd "$SRC_DIR" && "$PY" -m pytest -q ${PYTEST_ARGS:-} test/interop)
    then
        record interop PASS
    else
        record interop FAIL
    fi
else
    echo "no test/interop yet"
    record interop "SKIP (none yet)"
fi

# -------------------------------------------------------------- package --
banner "Debian packages (scripts/package-test.sh)"
if [ "${SKIP_PACKAGE:-0}" = 1 ]; then
    record package "SKIP (SKIP_PACKAGE=1)"
else
    bash "$SRC_DIR/scripts/package-test.sh" 2>&1 | tee "$BUILD_DIR/package-test.log"
    case ${PIPESTATUS[0]} in
        0) record package PASS ;;
        77) record package "SKIP ($(sed -n 's/^package-test: SKIPPED: //p' \
                "$BUILD_DIR/package-test.log" | cut -c1-60))" ;;
        *) record package FAIL ;;
    esac
fi

summary
