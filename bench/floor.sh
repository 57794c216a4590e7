#!/bin/bash
# Licensed under the Apache License, Version 2.0; see LICENSE.
#
# bench/floor.sh: what the shared benchmark charges for a signature check
# alone, next to what it charges this module.
#
#   BENCH_TMP=/tmp/authn-jwt-bench bash bench/floor.sh
#
# Uses the instances, keys and header files a run of ../shared/bench/run.sh
# left in BENCH_TMP.  It builds bench/mod_bench_floor.c with apxs and adds,
# next to the harness's baseline, one instance per BenchFloor mode (the
# least a verifier can do: check the token's signature with the harness's
# key, and nothing else; see that file), then measures them and the
# module's rows as the harness does: httpd pinned to CPU 0, wrk -t1 -c32 on CPU 1
# with the harness's rotate.lua, the baseline between every configuration
# (a, x, a, y, ...), the children's CPU time per request from /proc, and
# `+us/req` against the two neighbouring baseline runs.  `beyond` is
# `+us/req` minus `verify us` (openssl speed on CPU 0), the figure issue 9
# bounds at 5 us for the module's -cold rows.
#
# `bash bench/floor.sh --build-only` only builds the module and tries each
# mode in a real httpd: a signing mode must take a token of its own and
# refuse a forged one and none (scripts/test.sh runs this, so the tool keeps
# working).  Needs apxs (apache2-dev), python3-jwt and curl.
#
# Environment: BENCH_TMP, FLOOR_SECONDS (5), FLOOR_ROUNDS (5),
# FLOOR_CONFIGS (ERE over the row names, default all), MOD_AUTHN_JWT_SO (the
# module the authn_jwt rows load; default: as the instances have it),
# FLOOR_PORT (first port of the floor instances, default 18300).
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T=${BENCH_TMP:-/tmp/authn-jwt-bench}
INST=$T/inst
HDR=$T/hdr
SECS=${FLOOR_SECONDS:-5}
ROUNDS=${FLOOR_ROUNDS:-5}
FILTER=${FLOOR_CONFIGS:-}
PORT0=${FLOOR_PORT:-18300}
ROTATE=$SRC_DIR/../shared/bench/lib/rotate.lua
HTTPD=/usr/sbin/apache2
TICK=$(getconf CLK_TCK)

die() { echo "floor: $*" >&2; exit 1; }
command -v apxs >/dev/null || die "apxs missing (apache2-dev)"

WORK=$(mktemp -d)
cleanup() {
    local d
    for d in "$INST"/floor-*; do
        [ -s "$d/httpd.pid" ] && "$HTTPD" -f "$d/httpd.conf" -k stop >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# ---- the floor module ------------------------------------------------------
cp "$SRC_DIR/bench/mod_bench_floor.c" "$WORK/"
(cd "$WORK" && apxs -c -Wc,-O2 -Wc,-Wall -Wc,-Wextra -Wc,-Werror mod_bench_floor.c -lcrypto \
    >build.log 2>&1) || { cat "$WORK/build.log" >&2; die "apxs failed"; }

if [ "${1:-}" = --build-only ]; then
    # each mode in a real httpd: its own token 200, a forged one and no
    # token 401
    command -v curl >/dev/null || die "curl missing"
    mkdir -p "$WORK/docroot/p" "$WORK/run" "$WORK/keys"
    chmod 755 "$WORK"   # the child runs as www-data
    echo floor >"$WORK/docroot/p/index.html"
    /usr/bin/python3 - "$WORK/keys" <<'PYEOF' || die "no test keys and tokens (python3-jwt, python3-cryptography)"
import os, sys, jwt
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
d = sys.argv[1]
secret = os.urandom(32)
open(os.path.join(d, "HS256.key"), "wb").write(secret)
keys = {"RS256": rsa.generate_private_key(65537, 2048),
        "ES256": ec.generate_private_key(ec.SECP256R1()),
        "EdDSA": ed25519.Ed25519PrivateKey.generate()}
claims = {"sub": "floor", "scope": "read"}
tokens = {"HS256": jwt.encode(claims, secret, algorithm="HS256")}
for alg, k in keys.items():
    open(os.path.join(d, alg + ".key"), "wb").write(k.public_key().public_bytes(
        ser.Encoding.PEM, ser.PublicFormat.SubjectPublicKeyInfo))
    tokens[alg] = jwt.encode(claims, k, algorithm=alg)
for alg, t in tokens.items():
    h, p, s = t.split(".")
    bad = s[:10] + ("A" if s[10] != "A" else "B") + s[11:]
    open(os.path.join(d, alg + ".tok"), "w").write(t)
    open(os.path.join(d, alg + ".bad"), "w").write(h + "." + p + "." + bad)
PYEOF
    port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    for mode in none spin:20 HS256 RS256 ES256 EdDSA; do
        case $mode in
            none|spin:*) arg=$mode; good=x; bad= ;;
            *) arg="$mode $WORK/keys/$mode.key"; good=$(cat "$WORK/keys/$mode.tok"); bad=$(cat "$WORK/keys/$mode.bad") ;;
        esac
        printf '%s\n' "ServerRoot $WORK" "DefaultRuntimeDir $WORK/run" "PidFile $WORK/httpd.pid" \
            "ErrorLog $WORK/error.log" "Listen 127.0.0.1:$port" "ServerName 127.0.0.1" \
            "User www-data" "Group www-data" \
            "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so" \
            "LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so" \
            "LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so" \
            "LoadModule authz_user_module /usr/lib/apache2/modules/mod_authz_user.so" \
            "LoadModule bench_floor_module $WORK/.libs/mod_bench_floor.so" \
            "DocumentRoot $WORK/docroot" "BenchFloor $arg" \
            "<Location /p/>" "AuthType BenchFloor" "Require valid-user" "</Location>" \
            >"$WORK/t.conf"
        rm -f "$WORK/httpd.pid"
        "$HTTPD" -f "$WORK/t.conf" -k start >"$WORK/t.out" 2>&1 \
            || { cat "$WORK/t.out" "$WORK/error.log" >&2; die "httpd did not start with BenchFloor $mode"; }
        for _ in $(seq 50); do [ -s "$WORK/httpd.pid" ] && break; sleep 0.1; done
        url=http://127.0.0.1:$port/p/index.html
        got=$(curl -s -o /dev/null -w '%{http_code}' --retry 5 --retry-connrefused --retry-delay 0 \
                  -H "Authorization: Bearer $good" "$url" || true)
        got=$got/$(curl -s -o /dev/null -w '%{http_code}' "$url" || true)
        [ -z "$bad" ] || got=$got/$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $bad" "$url" || true)
        "$HTTPD" -f "$WORK/t.conf" -k stop >/dev/null 2>&1 || true
        for _ in $(seq 50); do [ -s "$WORK/httpd.pid" ] || break; sleep 0.1; done
        want=200/401; [ -z "$bad" ] || want=200/401/401
        [ "$got" = "$want" ] || { cat "$WORK/error.log" >&2; die "BenchFloor $mode answered $got, not $want"; }
    done
    echo "floor: mod_bench_floor built; each mode takes its own token and refuses a forged one or none"
    exit 0
fi

[ -f "$INST/baseline/httpd.conf" ] || die "no harness instances under $INST (run ../shared/bench/run.sh with BENCH_TMP=$T first)"
[ -f "$ROTATE" ] || die "no rotate.lua at $ROTATE"
command -v wrk >/dev/null || die "wrk missing (scripts/deps.sh)"
SO=$T/mod_bench_floor.so
cp "$WORK/.libs/mod_bench_floor.so" "$SO"

# ---- instances: NAME HEADERFILE [BenchFloor mode] --------------------------
ROWS=(
    "floor-none       bearer-hs256.cold   none"
    "floor-spin20     bearer-hs256.cold   spin:20"
    "floor-spin70     bearer-hs256.cold   spin:70"
    "floor-hs256      bearer-hs256.cold   HS256 $T/keys/hmac.key"
    "floor-rs256      bearer-rs256.cold   RS256 $T/keys/rsa_pub.pem"
    "floor-es256      bearer-es256.cold   ES256 $T/keys/ec_pub.pem"
    "floor-eddsa      bearer-eddsa.cold   EdDSA $T/keys/ed25519_pub.pem"
    "authn_jwt-hs256      bearer-hs256.valid"
    "authn_jwt-eddsa      bearer-eddsa.valid"
    "authn_jwt-hs256-cold bearer-hs256.cold"
    "authn_jwt-rs256-cold bearer-rs256.cold"
    "authn_jwt-es256-cold bearer-es256.cold"
    "authn_jwt-eddsa-cold bearer-eddsa.cold"
)

make_floor() {   # make_floor NAME MODE PORT
    local d=$INST/$1
    mkdir -p "$d/run"
    sed -e "s#$INST/baseline#$d#g" -e "s#^Listen .*#Listen 127.0.0.1:$3#" \
        "$INST/baseline/httpd.conf" >"$d/httpd.conf"
    cat >>"$d/httpd.conf" <<EOF
# (floor) the cheapest authentication running the same signature check
LoadModule bench_floor_module "$SO"
BenchFloor $2
<Location /p/>
    AuthType BenchFloor
    Require valid-user
</Location>
EOF
    "$HTTPD" -t -f "$d/httpd.conf" >/dev/null 2>&1 || die "$1: httpd -t failed"
}

NAMES=() ; declare -A HDRF
port=$PORT0
for row in "${ROWS[@]}"; do
    set -- $row
    if [ -n "$FILTER" ] && ! [[ $1 =~ $FILTER ]]; then continue; fi
    [ -f "$HDR/$2" ] || die "no header file $HDR/$2"
    if [ $# -ge 3 ]; then
        make_floor "$1" "${*:3}" "$port"; port=$((port + 1))
    else
        [ -f "$INST/$1/httpd.conf" ] || die "no instance $INST/$1"
        if [ -n "${MOD_AUTHN_JWT_SO:-}" ]; then
            sed -i "s#^LoadModule authn_jwt_module .*#LoadModule authn_jwt_module \"$MOD_AUTHN_JWT_SO\"#" \
                "$INST/$1/httpd.conf"
        fi
    fi
    NAMES+=("$1"); HDRF[$1]=$HDR/$2
done
HDRF[baseline]=$HDR/bearer-hs256.cold

# ---- measuring, as the harness does ----------------------------------------
ticks_of_children() {
    local sum=0 kid st
    for kid in $(pgrep -P "$1" || true); do
        st=$(cat "/proc/$kid/stat" 2>/dev/null) || continue
        st=${st##*) }
        set -- $st
        sum=$((sum + ${12} + ${13}))
    done
    echo "$sum"
}

measure() {   # measure NAME -> prints cpu us per request
    local d=$INST/$1 conf port pidf ppid t0 t1 reqs url
    conf=$d/httpd.conf; pidf=$d/httpd.pid
    port=$(awk -F: '/^Listen/ { print $NF; exit }' "$conf")
    rm -f "$pidf"
    taskset -c 0 "$HTTPD" -f "$conf" -k start
    for _ in $(seq 100); do [ -s "$pidf" ] && break; sleep 0.1; done
    ppid=$(cat "$pidf")
    url=http://127.0.0.1:$port/p/index.html
    for _ in $(seq 50); do curl -s -o /dev/null "$url" && break; sleep 0.1; done
    taskset -c 1 timeout 30 wrk -t1 -c32 -d1s -s "$ROTATE" "$url" -- "${HDRF[$1]}" >/dev/null 2>&1
    t0=$(ticks_of_children "$ppid")
    taskset -c 1 timeout $((SECS + 30)) wrk -t1 -c32 -d"${SECS}s" --timeout 5s -s "$ROTATE" \
        "$url" -- "${HDRF[$1]}" >"$WORK/wrk.out" 2>&1
    t1=$(ticks_of_children "$ppid")
    "$HTTPD" -f "$conf" -k stop >/dev/null 2>&1
    for _ in $(seq 50); do [ -s "$pidf" ] || break; sleep 0.1; done
    reqs=$(grep -o '"requests":[0-9]*' "$WORK/wrk.out" | cut -d: -f2)
    grep -q '"err_status":0' "$WORK/wrk.out" || die "$1: answers other than 2xx"
    awk -v t=$((t1 - t0)) -v hz="$TICK" -v n="${reqs:-0}" 'BEGIN { printf "%.2f\n", n ? t / hz * 1e6 / n : 0 }'
}

: >"$WORK/raw"
measure baseline >/dev/null   # the first run on an idle machine is slow
for r in $(seq "$ROUNDS"); do
    prev=$(measure baseline)
    for n in "${NAMES[@]}"; do
        x=$(measure "$n")
        next=$(measure baseline)
        echo "$n $x $prev $next" >>"$WORK/raw"
        echo "round $r: $n $x us/req (baselines $prev, $next)" >&2
        prev=$next
    done
done

taskset -c 0 openssl speed -seconds 3 -mr rsa2048 ecdsap256 ed25519 >"$WORK/speed-pk" 2>/dev/null || true
taskset -c 0 openssl speed -seconds 3 -bytes 256 -mr -hmac sha256 >"$WORK/speed-hmac" 2>/dev/null || true
verify_us() {   # verify_us NAME -> us per verification from openssl speed
    case $1 in
        authn_jwt-*-cold) ;;
        authn_jwt-*) return 0 ;;   # a cache hit checks no signature
    esac
    case $1 in
        *hs256*) awk -F: '$1 == "+F" && $3 ~ /^hmac/ { printf "%.3f", 1e6 * 256 / $4 }' "$WORK/speed-hmac" ;;
        *rs256*) awk -F: '$1 == "+F2" && $3 == 2048 { printf "%.3f", 1e6 / $5 }' "$WORK/speed-pk" ;;
        *es256*) awk -F: '$1 == "+F4" && $3 == 256 { printf "%.3f", 1e6 / $5 }' "$WORK/speed-pk" ;;
        *eddsa*) awk -F: '$1 == "+F6" && $4 == "Ed25519" { printf "%.3f", 1e6 / $6 }' "$WORK/speed-pk" ;;
        *spin20*) echo 20 ;;
        *spin70*) echo 70 ;;
        *) echo 0 ;;
    esac
}

printf '%-22s %10s %10s %10s %10s\n' config "cpu us/req" "+us/req" "verify us" "beyond us"
for n in "${NAMES[@]}"; do
    v=$(verify_us "$n")
    awk -v name="$n" -v v="${v:--}" '$1 == name {
            cpu[++k] = $2; add[k] = $2 - ($3 + $4) / 2 }
        function med(a, k,   i, j, t) {
            for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++)
                if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
            return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
        END { c = med(cpu, k); a = med(add, k)
              if (v == "-") printf "%-22s %10.1f %10.1f %10s %10s\n", name, c, a, "-", "-"
              else printf "%-22s %10.1f %10.1f %10.2f %10.1f\n", name, c, a, v, a - v }' "$WORK/raw"
done
