#!/bin/bash
# Licensed under the Apache License, Version 2.0; see LICENSE.
#
# deps.sh: install, from Debian 12's own archive, everything the build, the
# tests, the demo and the benchmark need.  Idempotent: packages already
# installed are left alone, and apt-get runs (update first) only when
# something is missing.  Works as root; otherwise through sudo if present.
#
#   bash scripts/deps.sh            install what is missing
#   bash scripts/deps.sh --check    list what is missing, exit 1 if any
set -euo pipefail

# Build: compiler, autotools, httpd headers and apxs, the libraries.
BUILD_PKGS=(
    build-essential autoconf automake libtool pkg-config
    apache2-dev libssl-dev libjansson-dev libcurl4-openssl-dev
)
# Tests: libcheck for the unit tests, httpd + Python for the black box,
# clang and its runtime (libFuzzer) for the fuzz targets, SQLite for the
# API key tests through mod_authn_dbd; memcached and Redis as the shared
# revocation stores, prometheus_client's parser for the metrics, gdb for
# the backtrace of a child that crashed during a test, and valgrind for
# scripts/memcheck.sh.
TEST_PKGS=(
    check apache2 apache2-utils openssl curl gdb valgrind
    python3 python3-pytest python3-requests python3-jwt python3-jwcrypto
    python3-cryptography
    clang libclang-rt-14-dev
    libaprutil1-dbd-sqlite3 sqlite3
    memcached redis-server python3-prometheus-client
)
# The Debian packages (scripts/package-test.sh): dpkg-buildpackage,
# debhelper (dh_apache2 comes with apache2-dev), lintian.
PACKAGE_PKGS=(dpkg-dev debhelper lintian)
# Benchmark: wrk for the load, perf for bench/profile.sh.
BENCH_PKGS=(wrk linux-perf)
# Interoperability tests (JavaScript JOSE libraries from npm): nodejs and
# npm, unless a node/npm is already installed (e.g. NodeSource's nodejs,
# which bundles npm and conflicts with Debian's npm package).
NODE_PKGS=()
command -v node >/dev/null 2>&1 || NODE_PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || NODE_PKGS+=(npm)

ALL_PKGS=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}" "${PACKAGE_PKGS[@]}"
          "${BENCH_PKGS[@]}"
          ${NODE_PKGS[@]+"${NODE_PKGS[@]}"})

is_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = \
      "install ok installed" ]
}

# promtool, for the metrics test: taken from Debian's prometheus package
# without installing it (installing would enable and start a Prometheus
# server and pull in the JavaScript of its web UI).  Only the one binary
# is unpacked, here; test_metrics.py looks for it at this path.
PROMTOOL_DIR=${PROMTOOL_DIR:-/var/cache/mod_authn_jwt-test}
PROMTOOL=$PROMTOOL_DIR/promtool

missing=()
for p in "${ALL_PKGS[@]}"; do
    is_installed "$p" || missing+=("$p")
done
need_promtool=0
[ -x "$PROMTOOL" ] || need_promtool=1

if [ "${#missing[@]}" -eq 0 ] && [ "$need_promtool" -eq 0 ]; then
    echo "deps.sh: all ${#ALL_PKGS[@]} packages and promtool present"
    exit 0
fi

if [ "${1:-}" = "--check" ]; then
    [ "$need_promtool" -eq 0 ] || missing+=("promtool($PROMTOOL)")
    echo "deps.sh: missing: ${missing[*]}"
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps.sh: no apt-get here; install by hand: ${missing[*]}" >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "deps.sh: not root and no sudo; as root run:" >&2
    echo "    apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
    apt-get update -q
if [ "${#missing[@]}" -gt 0 ]; then
    echo "deps.sh: installing: ${missing[*]}"
    ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "$need_promtool" -eq 1 ]; then
    echo "deps.sh: unpacking promtool from the prometheus package into" \
         "$PROMTOOL_DIR"
    tmp=$(mktemp -d)
    # apt downloads as its own user when it can write the directory
    if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
        chown _apt "$tmp"
    fi
    if (cd "$tmp" && apt-get download -q prometheus >/dev/null) &&
       dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb |
           tar -x -C "$tmp" ./usr/bin/promtool; then
        ${as_root[@]+"${as_root[@]}"} install -d -m 0755 "$PROMTOOL_DIR"
        ${as_root[@]+"${as_root[@]}"} install -m 0755 \
            "$tmp/usr/bin/promtool" "$PROMTOOL"
    else
        # a test tool: its test is skipped, nothing else depends on it
        echo "deps.sh: could not get promtool; test_promtool_check will" \
             "be skipped" >&2
    fi
    rm -rf "$tmp"
fi

# The apache2 package enables and starts the distribution's own site on
# port 80; the demo, the tests and the benchmark use their own configs on
# other ports, so it is left as Debian set it up.
echo "deps.sh: done"
