#!/bin/bash
# Licensed under the Apache License, Version 2.0; see LICENSE.
#
# bench/run.sh: what token verification and issuing cost.  One httpd
# (event MPM) on loopback serves the same small file at
#   /static/                      no authentication (the baseline)
#   /hs256/ /rs256/ /es256/ /eddsa/   AuthType Bearer, one key each
#   /basic/                       AuthType Basic, a {SHA} htpasswd line
# and issues tokens at
#   POST /issue/hs256 .. /issue/eddsa  SetHandler jwt-issuer behind the same
#                                 cheap Basic login, one signing key each
# wrk requests each in turn (with a valid token, or the Basic login), then
# prints requests/s, latency, and the ratio to /static/.  See
# bench/README.md.
#
# Environment:
#   BENCH_DURATION     wrk -d per endpoint (default 10s)
#   BENCH_ISSUER       1 (default): also measure /basic/ and /issue/*; 0: not
#   BENCH_THREADS      wrk -t (default 2)
#   BENCH_CONNECTIONS  wrk -c (default 32)
#   BENCH_WARMUP       warm-up run per endpoint (default 2s; 0 = none)
#   BENCH_ROUNDS       measure every endpoint this many times (default 1),
#                      each round starting one endpoint later; the table
#                      shows the median, so that a burst of load elsewhere
#                      on the machine, or going first, hits one round, not
#                      one endpoint
#   BENCH_PORT         port on 127.0.0.1 (default 8090)
#   BENCH_DIR          state directory (default /tmp/mod_authn_jwt-bench)
#   BENCH_SERVER_EXTRA extra server-level configuration lines
#   SKIP_DEPS=1, SKIP_BUILD=1, MOD_AUTHN_JWT_SO, BUILD_DIR  as for demo.sh
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${BENCH_DURATION:-10s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
WARMUP=${BENCH_WARMUP:-2s}
ISSUER=${BENCH_ISSUER:-1}
ROUNDS=${BENCH_ROUNDS:-1}
PORT=${BENCH_PORT:-8090}
DIR=${BENCH_DIR:-/tmp/mod_authn_jwt-bench}
HTTPD=/usr/sbin/apache2
PY=/usr/bin/python3
BASE=http://127.0.0.1:$PORT
CONF=$DIR/httpd.conf

# ------------------------------------------------------ deps, build --
if [ "${SKIP_DEPS:-0}" != 1 ]; then
    bash "$SRC_DIR/scripts/deps.sh"
fi
BUILD_DIR=${BUILD_DIR:-$SRC_DIR}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    BUILD_DIR=$BUILD_DIR bash "$SRC_DIR/scripts/build.sh"
fi
SO=${MOD_AUTHN_JWT_SO:-$BUILD_DIR/.libs/mod_authn_jwt.so}
SO=$(cd "$(dirname "$SO")" && pwd)/$(basename "$SO")
[ -f "$SO" ] || { echo "bench: no module at $SO" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench: wrk missing (deps.sh)" >&2; exit 1; }

stop_httpd() {
    local pid
    [ -f "$DIR/httpd.pid" ] || return 0
    pid=$(cat "$DIR/httpd.pid")
    "$HTTPD" -f "$CONF" -k stop 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    rm -f "$DIR/httpd.pid"
}

# ------------------------------------------------------------ setup --
mkdir -p "$DIR"/{keys,htdocs,logs}
stop_httpd
chmod 755 "$DIR" "$DIR/htdocs"
chmod 700 "$DIR/keys"
K=$DIR/keys
if [ ! -s "$K/hs256.secret" ]; then
    (umask 077
     # 64 bytes of text: longer than the 32 RFC 7518 section 3.2 requires.
     openssl rand -hex 32 > "$K/hs256.secret"
     openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
         -out "$K/rs256.key.pem" 2>/dev/null
     openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
         -out "$K/es256.key.pem"
     openssl genpkey -algorithm ED25519 -out "$K/eddsa.key.pem")
    for a in rs256 es256 eddsa; do
        openssl pkey -in "$K/$a.key.pem" -pubout -out "$K/$a.pub.pem"
    done
fi
# The issuer's login: a {SHA} line (htpasswd -s), the cheapest password
# check httpd has, so that /issue/* measures signing and not bcrypt (which
# costs tens of milliseconds per login by design).  Benchmark use only:
# unsalted SHA-1 is no way to store a person's password.
htpasswd -cbs "$DIR/bench.htpasswd" bench bench-password 2>/dev/null
chmod 644 "$DIR/bench.htpasswd"
BASIC=$(printf 'bench:bench-password' | base64)
# wrk posts with this script.
cat > "$DIR/post.lua" <<'LUAEOF'
wrk.method = "POST"
wrk.body = "scope=read"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUAEOF

# A typical small static file (1 KiB).
head -c 1024 /dev/zero | tr '\0' 'x' > "$DIR/htdocs/file.txt"
chmod a+r "$DIR/htdocs/file.txt"

MODDIR=$(apxs -q LIBEXECDIR 2>/dev/null || echo /usr/lib/apache2/modules)
if [ "$(id -u)" -eq 0 ]; then
    RUN_AS="User www-data
Group www-data"
else
    RUN_AS=""
fi

auth_location() {   # NAME ALG KEYSOURCE
    cat <<EOF
Alias "/$1/" "$DIR/htdocs/"
<Location "/$1/">
    AuthType Bearer
    AuthName "bench"
    AuthJWTVerifyKey alg=$2 $3
    AuthJWTIssuer bench
    AuthJWTAudience bench
    Require valid-user
</Location>
EOF
}

basic_lines() {
    cat <<EOF
    AuthType Basic
    AuthName "bench"
    AuthBasicProvider file
    AuthUserFile "$DIR/bench.htpasswd"
    Require valid-user
EOF
}

issue_location() {  # NAME ALG KEYSOURCE
    cat <<EOF
<Location "/issue/$1">
    SetHandler jwt-issuer
$(basic_lines)
    AuthJWTSignKey alg=$2 $3
    AuthJWTIssuer bench
    AuthJWTAudience bench
    AuthJWTScope "read write"
</Location>
EOF
}

cat > "$CONF" <<EOF
# Generated by bench/run.sh
ServerRoot "$DIR"
ServerName 127.0.0.1
Listen 127.0.0.1:$PORT
PidFile "$DIR/httpd.pid"
DefaultRuntimeDir "$DIR"
$RUN_AS
LoadModule mpm_event_module $MODDIR/mod_mpm_event.so
LoadModule authn_core_module $MODDIR/mod_authn_core.so
LoadModule authz_core_module $MODDIR/mod_authz_core.so
LoadModule authz_user_module $MODDIR/mod_authz_user.so
LoadModule alias_module $MODDIR/mod_alias.so
LoadModule mime_module $MODDIR/mod_mime.so
LoadModule auth_basic_module $MODDIR/mod_auth_basic.so
LoadModule authn_file_module $MODDIR/mod_authn_file.so
LoadModule authn_jwt_module "$SO"
TypesConfig /etc/mime.types
ErrorLog "$DIR/logs/error.log"
LogLevel warn
# No access log: the benchmark measures authentication, not logging.

# Enough workers that wrk, not httpd's limits, is the bottleneck; keep-alive
# without a request limit, as a client with a token would use it.
StartServers 2
ServerLimit 4
ThreadsPerChild 64
MaxRequestWorkers 256
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30
${BENCH_SERVER_EXTRA:-}

DocumentRoot "$DIR/htdocs"
<Directory "$DIR/htdocs">
    Require all granted
</Directory>
Alias "/static/" "$DIR/htdocs/"
$(auth_location hs256 HS256 "secret:$K/hs256.secret")
$(auth_location rs256 RS256 "$K/rs256.pub.pem")
$(auth_location es256 ES256 "$K/es256.pub.pem")
$(auth_location eddsa EdDSA "$K/eddsa.pub.pem")
Alias "/basic/" "$DIR/htdocs/"
<Location "/basic/">
$(basic_lines)
</Location>
$(issue_location hs256 HS256 "secret:$K/hs256.secret")
$(issue_location rs256 RS256 "$K/rs256.key.pem")
$(issue_location es256 ES256 "$K/es256.key.pem")
$(issue_location eddsa EdDSA "$K/eddsa.key.pem")
EOF

# One token per algorithm, valid for an hour, signed with the same keys.
declare -A TOKEN
while read -r name tok; do
    TOKEN[$name]=$tok
done < <("$PY" - "$K" <<'PYEOF'
import sys, time
import jwt
k = sys.argv[1]
now = int(time.time())
claims = {"iss": "bench", "aud": "bench", "sub": "bench-user",
          "iat": now, "exp": now + 3600, "scope": "read"}
with open(k + "/hs256.secret", "rb") as f:
    secret = f.read()
if secret.endswith(b"\n"):      # as the module reads secret: files
    secret = secret[:-1]
print("hs256", jwt.encode(claims, secret, algorithm="HS256"))
for name, alg in (("rs256", "RS256"), ("es256", "ES256"),
                  ("eddsa", "EdDSA")):
    with open("%s/%s.key.pem" % (k, name)) as f:
        print(name, jwt.encode(claims, f.read(), algorithm=alg))
PYEOF
)

# ------------------------------------------------------------ start --
"$HTTPD" -t -f "$CONF" >/dev/null 2>&1 || {
    "$HTTPD" -t -f "$CONF"
    exit 1
}
"$HTTPD" -f "$CONF" -k start
trap stop_httpd EXIT
for _ in $(seq 50); do
    curl -s -o /dev/null --max-time 1 "$BASE/static/file.txt" && break
    sleep 0.1
done

ENDPOINTS=(static hs256 rs256 es256 eddsa)
if [ "$ISSUER" = 1 ]; then
    ENDPOINTS+=(basic issue/hs256 issue/rs256 issue/es256 issue/eddsa)
fi
# The request of endpoint E: sets URL, ARGS (header options for curl and
# wrk) and LUA (wrk's script option, for the POSTs).
request_of() {
    ARGS=() LUA=()
    case $1 in
        static) URL=$BASE/static/file.txt ;;
        basic)  URL=$BASE/basic/file.txt
                ARGS=(-H "Authorization: Basic $BASIC") ;;
        issue/*) URL=$BASE/$1
                ARGS=(-H "Authorization: Basic $BASIC")
                LUA=(-s "$DIR/post.lua") ;;
        *)      URL=$BASE/$1/file.txt
                ARGS=(-H "Authorization: Bearer ${TOKEN[$1]}") ;;
    esac
}
# Each endpoint must answer 200 before it is measured: a benchmark of 401s
# would look very fast.
for e in "${ENDPOINTS[@]}"; do
    request_of "$e"
    post=()
    [ "${#LUA[@]}" -gt 0 ] && post=(--data-urlencode scope=read)
    code=$(curl -s -o /dev/null -w '%{http_code}' \
               ${ARGS[@]+"${ARGS[@]}"} ${post[@]+"${post[@]}"} "$URL" || true)
    if [ "$code" != 200 ]; then
        echo "bench: /$e answered $code, not 200; see" \
             "$DIR/logs/error.log" >&2
        tail -5 "$DIR/logs/error.log" >&2
        exit 1
    fi
done

# ------------------------------------------------------------ measure --
echo "mod_authn_jwt benchmark: $(nproc) CPUs, $("$HTTPD" -v | head -1 |
      sed 's/Server version: //'), $(openssl version | cut -d' ' -f1-2)"
echo "wrk -t$THREADS -c$CONNS -d$DURATION, keep-alive, 1 KiB file," \
     "event MPM on 127.0.0.1:$PORT"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# The median of the numbers on standard input.
median() {
    sort -g | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2];
              else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

declare -A RPS LAT ERRS ALL_RPS ALL_LAT
for e in "${ENDPOINTS[@]}"; do
    ALL_RPS[$e]='' ALL_LAT[$e]='' ERRS[$e]=0
done
NE=${#ENDPOINTS[@]}
for round in $(seq "$ROUNDS"); do
    [ "$ROUNDS" -gt 1 ] && echo "round $round of $ROUNDS"
    for i in $(seq 0 $(( NE - 1 ))); do
        e=${ENDPOINTS[$(( (i + round - 1) % NE ))]}
        request_of "$e"
        if [ "$WARMUP" != 0 ]; then
            wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" ${ARGS[@]+"${ARGS[@]}"} \
                ${LUA[@]+"${LUA[@]}"} "$URL" >/dev/null
        fi
        out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency \
                  ${ARGS[@]+"${ARGS[@]}"} ${LUA[@]+"${LUA[@]}"} "$URL")
        echo "$out" > "$DIR/wrk-${e//\//-}-$round.txt"
        rps=$(awk '/^Requests\/sec:/ {print $2}' <<< "$out")
        # wrk prints the mean latency in us, ms or s: in ms here.
        lat=$(awk '$1 == "Latency" {
                  v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
                  if (u == "us") v /= 1000; else if (u == "s") v *= 1000;
                  printf "%.2f", v; exit }' <<< "$out")
        err=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' <<< "$out")
        ALL_RPS[$e]+="${rps:-0} "
        ALL_LAT[$e]+="${lat:-0} "
        ERRS[$e]=$(( ERRS[$e] + ${err:-0} ))
        printf '  %-12s %12s req/s\n' "$e" "$rps"
    done
done
for e in "${ENDPOINTS[@]}"; do
    RPS[$e]=$(tr ' ' '\n' <<< "${ALL_RPS[$e]}" | grep . | median)
    LAT[$e]=$(tr ' ' '\n' <<< "${ALL_LAT[$e]}" | grep . | median)ms
done

echo
{
printf '%-12s %-6s %12s %10s %12s %8s\n' endpoint alg "requests/s" \
    "vs static" "avg latency" non-2xx
for e in "${ENDPOINTS[@]}"; do
    case ${e#issue/} in
        static|basic) alg=- ;;
        eddsa) alg=EdDSA ;;
        *) alg=${e#issue/}; alg=${alg^^} ;;
    esac
    ratio=$(awk -v a="${RPS[$e]}" -v b="${RPS[static]}" \
                'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    printf '%-12s %-6s %12s %10s %12s %8s\n' "$e" "$alg" "${RPS[$e]}" \
        "$ratio" "${LAT[$e]}" "${ERRS[$e]}"
done
} | tee "$DIR/results.txt"
echo
[ "$ROUNDS" -gt 1 ] && echo "(median of $ROUNDS rounds)" | tee -a "$DIR/results.txt"
echo "raw wrk output: $DIR/wrk-*-ROUND.txt; config: $CONF"

bad=0
for e in "${ENDPOINTS[@]}"; do
    [ "${ERRS[$e]}" = 0 ] || bad=1
done
if [ "$bad" = 1 ]; then
    echo "bench: some responses were not 2xx: the numbers are not valid" >&2
    exit 1
fi
