#!/bin/bash
# Licensed under the Apache License, Version 2.0; see LICENSE.
#
# bench/profile.sh: how much of a request's CPU time is this module's, in
# microseconds, measured natively inside httpd rather than derived from the
# difference of two throughput runs.
#
#   bash bench/profile.sh INSTANCE HEADERS [INSTANCE HEADERS ...]
#
# INSTANCE is an instance directory the shared harness left behind
# (BENCH_TMP/inst/NAME, holding httpd.conf: one event-MPM child), HEADERS
# the matching request-header file (BENCH_TMP/hdr/...), as for
# ../shared/bench/lib/rotate.lua.  For each pair it starts that httpd
# pinned to CPU 0, warms it up with wrk on CPU 1, runs wrk once to measure
# the child's CPU time per request and once more while `perf record
# --call-graph dwarf` samples the child, and prints
#
#   cpu us/req   the child's CPU time (user + system, /proc) per request
#   module %     samples with the module's .so anywhere on the stack: the
#                module and everything it calls (OpenSSL, jansson, libc)
#   module us    module % of cpu us/req
#   crypto us    samples with libcrypto on the stack, as us/req (only this
#                module calls OpenSSL while a request is served)
#   beyond us    module us - crypto us: what the module adds beyond the
#                signature check, the figure issue 9 puts a bound on
#
# The profiler slows the server down, so the CPU time per request comes from
# the run without it and only the shares from the sampled run.  Needs perf
# (Debian linux-perf) and wrk.
#
# Environment: PROFILE_SECONDS (default 5), PROFILE_ROUNDS (default 3: the
# median of the rounds is printed), MOD_AUTHN_JWT_SO (default: the
# instance's LoadModule line is left as it is), ROTATE (the harness's
# rotate.lua, default ../shared/bench/lib/rotate.lua).
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECS=${PROFILE_SECONDS:-5}
ROUNDS=${PROFILE_ROUNDS:-3}
ROTATE=${ROTATE:-$SRC_DIR/../shared/bench/lib/rotate.lua}
HTTPD=/usr/sbin/apache2
TICK=$(getconf CLK_TCK)

command -v perf >/dev/null || { echo "profile: perf missing (apt-get install linux-perf)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "profile: wrk missing (scripts/deps.sh)" >&2; exit 1; }
[ -f "$ROTATE" ] || { echo "profile: no rotate.lua at $ROTATE" >&2; exit 1; }
[ $(( $# % 2 )) -eq 0 ] && [ $# -gt 0 ] || {
    echo "usage: bench/profile.sh INSTANCE HEADERS [INSTANCE HEADERS ...]" >&2; exit 2; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# user + system ticks of PID
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

stop() {
    local conf=$1 pidf=$2
    if [ -s "$pidf" ]; then
        "$HTTPD" -f "$conf" -k stop >/dev/null 2>&1 || true
        for _ in $(seq 50); do [ -s "$pidf" ] || break; sleep 0.1; done
    fi
}

# One round: prints "reqs cpu_us_per_req module% crypto%"
round() {
    local inst=$1 hdr=$2 conf=$1/httpd.conf port pidf parent child t0 t1 reqs
    pidf=$(awk '/^PidFile/ { gsub(/"/, "", $2); print $2 }' "$conf")
    port=$(awk -F: '/^Listen/ { print $NF; exit }' "$conf")
    stop "$conf" "$pidf"
    rm -f "$pidf"
    taskset -c 0 "$HTTPD" -f "$conf" -k start
    for _ in $(seq 100); do [ -s "$pidf" ] && break; sleep 0.1; done
    parent=$(cat "$pidf")
    for _ in $(seq 100); do
        child=$(pgrep -P "$parent" | head -1 || true)
        [ -n "$child" ] && break
        sleep 0.1
    done
    [ -n "$child" ] || { echo "profile: no child of $parent" >&2; stop "$conf" "$pidf"; return 1; }
    local url=http://127.0.0.1:$port/p/index.html
    taskset -c 1 timeout 30 wrk -t1 -c32 -d2s -s "$ROTATE" "$url" -- "$hdr" >/dev/null 2>&1
    # the CPU time per request, without the profiler
    t0=$(cpu_ticks "$child")
    taskset -c 1 timeout $((SECS + 20)) wrk -t1 -c32 -d"${SECS}s" -s "$ROTATE" "$url" -- "$hdr" \
        >"$WORK/wrk.out" 2>&1
    t1=$(cpu_ticks "$child")
    reqs=$(grep -o '"requests":[0-9]*' "$WORK/wrk.out" | cut -d: -f2)
    [ -n "$reqs" ] && [ "$reqs" -gt 0 ] || { echo "profile: wrk made no request" >&2; stop "$conf" "$pidf"; return 1; }
    # the shares, under the profiler
    perf record -q -F 999 --call-graph dwarf,16384 -o "$WORK/perf.data" -p "$child" \
        >/dev/null 2>&1 &
    local perfpid=$!
    sleep 0.5
    taskset -c 1 timeout $((SECS + 20)) wrk -t1 -c32 -d"${SECS}s" -s "$ROTATE" "$url" -- "$hdr" \
        >/dev/null 2>&1
    kill -INT "$perfpid"
    wait "$perfpid" 2>/dev/null || true
    stop "$conf" "$pidf"
    perf report -i "$WORK/perf.data" --children --sort dso -g none --stdio 2>/dev/null \
        >"$WORK/dso.txt"
    # the module's file name as perf shows it: that of its LoadModule line
    local dso
    dso=$(awk '$1 == "LoadModule" && $2 == "authn_jwt_module" {
            gsub(/"/, "", $3); n = split($3, part, "/"); print part[n] }' "$conf")
    awk -v reqs="$reqs" -v ticks=$((t1 - t0)) -v hz="$TICK" -v dso="${dso:-mod_authn_jwt.so}" '
        /^ +[0-9.]+%/ {
            pct = $1; sub(/%/, "", pct)
            if ($3 == dso) mod = pct
            if ($3 ~ /^libcrypto/) cry = pct
        }
        END { printf "%d %.2f %.2f %.2f\n", reqs, ticks / hz * 1e6 / reqs, mod, cry }
    ' "$WORK/dso.txt"
}

printf '%-26s %8s %10s %8s %10s %10s %10s\n' config "req/s" "cpu us/req" "module %" \
    "module us" "crypto us" "beyond us"
while [ $# -gt 0 ]; do
    inst=${1%/}; hdr=$2; shift 2
    if [ -n "${MOD_AUTHN_JWT_SO:-}" ]; then
        sed -i "s#^LoadModule authn_jwt_module .*#LoadModule authn_jwt_module \"$MOD_AUTHN_JWT_SO\"#" \
            "$inst/httpd.conf"
    fi
    : >"$WORK/rounds"
    for _ in $(seq "$ROUNDS"); do
        round "$inst" "$hdr" >>"$WORK/rounds"
    done
    # the median round by module us
    sort -n -k5 <(awk '{ printf "%s %s %s %s %.3f\n", $1, $2, $3, $4, $2 * $3 / 100 }' \
        "$WORK/rounds") | awk -v n="$ROUNDS" -v name="$(basename "$inst")" -v secs="$SECS" '
        NR == int((n + 1) / 2) {
            mod_us = $2 * $3 / 100; cry_us = $2 * $4 / 100
            printf "%-26s %8.0f %10.1f %8.2f %10.2f %10.2f %10.2f\n", name, $1 / secs, $2, $3,
                mod_us, cry_us, mod_us - cry_us
        }'
done
