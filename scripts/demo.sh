#!/bin/bash
# Licensed under the Apache License, Version 2.0; see LICENSE.
#
# demo.sh: install the dependencies, build the module, and start a demo
# httpd on 127.0.0.1:8080 that protects /api/ with ES256 bearer tokens; then
# show a token, and the answers to requests without it, with it, with a
# tampered copy, and without the scope /api/admin/ needs.
#
#   bash scripts/demo.sh          (re)start the demo and show it
#   bash scripts/demo.sh stop     stop it
#
# Environment:
#   DEMO_DIR          state directory (default /tmp/mod_authn_jwt-demo):
#                     keys/, htdocs/, logs/, httpd.conf, token.txt
#   DEMO_PORT         port on 127.0.0.1 (default 8080)
#   SKIP_DEPS=1       do not run scripts/deps.sh
#   SKIP_BUILD=1      use MOD_AUTHN_JWT_SO (default .libs/mod_authn_jwt.so)
#                     as it is
#   BUILD_DIR, CONFIGURE_FLAGS   as for scripts/build.sh
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO_DIR=${DEMO_DIR:-/tmp/mod_authn_jwt-demo}
PORT=${DEMO_PORT:-8080}
CONF_IN=${DEMO_CONF_IN:-$SRC_DIR/conf/demo.conf.in}
HTTPD=/usr/sbin/apache2
PY=/usr/bin/python3     # Debian's, with PyJWT
BASE=http://127.0.0.1:$PORT
ISS=$BASE/
KID=demo-es256
CONF=$DEMO_DIR/httpd.conf

if [ -t 1 ]; then
    B=$'\e[1m' D=$'\e[2m' N=$'\e[0m'
else
    B='' D='' N=''
fi
say() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }

stop_demo() {
    local pid i
    [ -f "$DEMO_DIR/run/httpd.pid" ] || return 0
    pid=$(cat "$DEMO_DIR/run/httpd.pid")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        echo "stopping the demo httpd (pid $pid)"
        "$HTTPD" -f "$CONF" -k stop || kill "$pid" 2>/dev/null || true
        for i in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            [ "$i" -eq 50 ] && echo "demo httpd $pid did not stop" >&2
            sleep 0.1
        done
    fi
    rm -f "$DEMO_DIR/run/httpd.pid"
}

if [ "${1:-}" = stop ]; then
    stop_demo
    exit 0
elif [ -n "${1:-}" ]; then
    echo "usage: $0 [stop]" >&2
    exit 2
fi

# -------------------------------------------------------- deps, build --
if [ "${SKIP_DEPS:-0}" != 1 ]; then
    say "dependencies"
    bash "$SRC_DIR/scripts/deps.sh"
fi
BUILD_DIR=${BUILD_DIR:-$SRC_DIR}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    say "build"
    BUILD_DIR=$BUILD_DIR bash "$SRC_DIR/scripts/build.sh"
fi
SO=${MOD_AUTHN_JWT_SO:-$BUILD_DIR/.libs/mod_authn_jwt.so}
SO=$(cd "$(dirname "$SO")" && pwd)/$(basename "$SO")
[ -f "$SO" ] || { echo "demo.sh: no module at $SO" >&2; exit 1; }

# --------------------------------------------------------- state dir --
say "demo state in $DEMO_DIR"
stop_demo
if [ "$(id -u)" -eq 0 ]; then
    RUN_USER=www-data RUN_GROUP=www-data
else
    RUN_USER=$(id -un) RUN_GROUP=$(id -gn)
fi
mkdir -p "$DEMO_DIR"/{keys,logs,run,htdocs/api/admin}
chmod 755 "$DEMO_DIR" "$DEMO_DIR/htdocs"
# Keys are read by httpd at start-up, as root: they stay private.
chmod 700 "$DEMO_DIR/keys"
if [ ! -s "$DEMO_DIR/keys/es256.key.pem" ]; then
    (umask 077
     openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
         -out "$DEMO_DIR/keys/es256.key.pem")
    openssl pkey -in "$DEMO_DIR/keys/es256.key.pem" -pubout \
        -out "$DEMO_DIR/keys/es256.pub.pem"
    echo "made an ES256 (P-256) key pair in $DEMO_DIR/keys/"
else
    echo "reusing the key pair in $DEMO_DIR/keys/"
fi

# A login for the token endpoint (HOOK(issuer) in conf/demo.conf.in).
# mod_authn_file reads the file per request, in the child: group-readable.
if [ ! -s "$DEMO_DIR/password.txt" ]; then
    (umask 077; openssl rand -hex 12 > "$DEMO_DIR/password.txt")
fi
PASSWORD=$(cat "$DEMO_DIR/password.txt")
htpasswd -ciB "$DEMO_DIR/htpasswd" alice <<< "$PASSWORD"
chgrp "$RUN_GROUP" "$DEMO_DIR/htpasswd"
chmod 640 "$DEMO_DIR/htpasswd"

echo "public: no token needed" > "$DEMO_DIR/htdocs/index.txt"
echo "hello from /api/: your token was accepted" \
    > "$DEMO_DIR/htdocs/api/hello.txt"
echo "hello from /api/admin/: your token carries the admin scope" \
    > "$DEMO_DIR/htdocs/api/admin/index.txt"
chmod -R a+rX "$DEMO_DIR/htdocs"

MODDIR=$(apxs -q LIBEXECDIR 2>/dev/null || echo /usr/lib/apache2/modules)
sed -e "s|@DEMO_DIR@|$DEMO_DIR|g" \
    -e "s|@PORT@|$PORT|g" \
    -e "s|@MODULE_SO@|$SO|g" \
    -e "s|@MODDIR@|$MODDIR|g" \
    -e "s|@RUN_USER@|$RUN_USER|g" \
    -e "s|@RUN_GROUP@|$RUN_GROUP|g" \
    "$CONF_IN" > "$CONF"

# ------------------------------------------------------------- start --
say "starting $HTTPD on $BASE"
if curl -s -o /dev/null --max-time 2 "$BASE/"; then
    echo "demo.sh: something else already listens on 127.0.0.1:$PORT;" \
         "set DEMO_PORT" >&2
    exit 1
fi
if ! "$HTTPD" -t -f "$CONF"; then
    echo "demo.sh: the configuration $CONF does not load (see above)" >&2
    exit 1
fi
: > "$DEMO_DIR/logs/error.log"
"$HTTPD" -f "$CONF" -k start
up=0
for _ in $(seq 50); do
    if curl -s -o /dev/null --max-time 1 "$BASE/index.txt"; then
        up=1
        break
    fi
    sleep 0.1
done
if [ "$up" != 1 ]; then
    echo "demo.sh: httpd did not come up; $DEMO_DIR/logs/error.log:" >&2
    tail -20 "$DEMO_DIR/logs/error.log" >&2
    exit 1
fi
echo "up (pid $(cat "$DEMO_DIR/run/httpd.pid"))"

# ------------------------------------------------------------- token --
# Token for `sub` alice with scope SCOPE.  HOOK(issuer): first ask the
# server's login endpoint (POST /auth, Basic alice:password); until
# `SetHandler jwt-issuer` is enabled in conf/demo.conf.in that answers 404
# and the token is made here with PyJWT and the same private key.
# get_token SCOPE: sets TOKEN and TOKEN_FROM (no subshell, so that both
# survive).
TOKEN='' TOKEN_FROM=''
get_token() {
    local scope=$1 body code
    body=$(mktemp)
    code=$(curl -s -o "$body" -w '%{http_code}' -u "alice:$PASSWORD" \
               --data-urlencode "scope=$scope" "$BASE/auth" || true)
    if [ "$code" = 200 ]; then
        TOKEN_FROM="POST $BASE/auth (the module's issuer)"
        TOKEN=$("$PY" -c \
            'import json,sys; print(json.load(sys.stdin)["access_token"])' \
            < "$body")
        rm -f "$body"
        return
    fi
    rm -f "$body"
    TOKEN_FROM="PyJWT, signed with $DEMO_DIR/keys/es256.key.pem"
    TOKEN_FROM+=" (POST /auth answered $code: issuer not enabled yet)"
    TOKEN=$("$PY" - "$DEMO_DIR/keys/es256.key.pem" "$ISS" "$KID" "$scope" \
            <<'PYEOF'
import sys, time, uuid
import jwt
key_file, iss, kid, scope = sys.argv[1:5]
with open(key_file) as f:
    key = f.read()
now = int(time.time())
claims = {"iss": iss, "sub": "alice", "aud": "demo-api", "iat": now,
          "exp": now + 600, "jti": str(uuid.uuid4()), "scope": scope}
print(jwt.encode(claims, key, algorithm="ES256",
                 headers={"kid": kid, "typ": "JWT"}))
PYEOF
    )
}
get_token "read admin"
ADMIN_TOKEN=$TOKEN
get_token read
printf '%s\n' "$TOKEN" > "$DEMO_DIR/token.txt"
printf '%s\n' "$ADMIN_TOKEN" > "$DEMO_DIR/admin-token.txt"
# The same token with one character in the middle of the signature changed
# (not the last one, whose low bits are padding: that would test base64url
# strictness, not the signature check).
i=$(( ${#TOKEN} - 10 ))
if [ "${TOKEN:i:1}" = A ]; then swap=B; else swap=A; fi
BAD_TOKEN=${TOKEN:0:i}$swap${TOKEN:i+1}

say "a token (scope \"read\", 10 minutes), from $TOKEN_FROM"
echo "$TOKEN"
echo "${D}header and claims:${N}"
"$PY" - "$TOKEN" <<'PYEOF'
import json, sys
import jwt
t = sys.argv[1]
print("  header:", json.dumps(jwt.get_unverified_header(t)))
print("  claims:", json.dumps(jwt.decode(t, options={"verify_signature": False})))
PYEOF

# ---------------------------------------------------------- requests --
show() {
    local what=$1 path=$2 token=${3:-} hdrs body code
    hdrs=$(mktemp)
    body=$(mktemp)
    local args=(-s -o "$body" -D "$hdrs" -w '%{http_code}')
    [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
    code=$(curl "${args[@]}" "$BASE$path" || true)
    printf '\n%s%s%s\n  GET %s -> %s\n' "$B" "$what" "$N" "$path" "$code"
    grep -iE '^(WWW-Authenticate|X-JWT-Sub|X-JWT-Scope):' "$hdrs" |
        tr -d '\r' | sed 's/^/  /' || true
    [ "$code" = 200 ] && printf '  %s"%s"%s\n' "$D" "$(head -1 "$body")" "$N"
    rm -f "$hdrs" "$body"
}
say "requests"
show "public file, no token" /index.txt
show "protected, no token" /api/hello.txt
show "protected, with the token" /api/hello.txt "$TOKEN"
show "protected, token with one signature character changed" \
    /api/hello.txt "$BAD_TOKEN"
show "admin area, token without the admin scope" \
    /api/admin/index.txt "$TOKEN"
show "admin area, token with scope \"read admin\"" \
    /api/admin/index.txt "$ADMIN_TOKEN"

STOP_CMD="bash $SRC_DIR/scripts/demo.sh stop"
if [ "$DEMO_DIR" != /tmp/mod_authn_jwt-demo ]; then
    STOP_CMD="DEMO_DIR=$DEMO_DIR $STOP_CMD"
fi
say "try it yourself"
cat <<EOF
  TOKEN=\$(cat $DEMO_DIR/token.txt)
  curl -i $BASE/api/hello.txt
  curl -i -H "Authorization: Bearer \$TOKEN" $BASE/api/hello.txt
  curl -i -H "Authorization: Bearer \$(cat $DEMO_DIR/admin-token.txt)" $BASE/api/admin/index.txt

  logs:    $DEMO_DIR/logs/access.log (sub, jti, kid, JWT_ERROR per request)
           $DEMO_DIR/logs/error.log  (one info line per token, never the token)
  config:  $CONF
  stop:    $STOP_CMD
           (or: $HTTPD -f $CONF -k stop)
EOF
