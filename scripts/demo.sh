#!/bin/bash
# Licensed under the Apache License, Version 2.0; see LICENSE.
#
# demo.sh: install the dependencies, build the module and htjwt, and start
# a demo httpd on 127.0.0.1:8080 that issues ES256 tokens at POST /auth
# (Basic login) and POST /auth/apikey (X-API-Key login), publishes its
# public key at /jwks.json, and protects /api/ (scope read) and /api/admin/
# (scope admin) with them.  Then it walks through the login flow and shows
# each answer with its WWW-Authenticate header.
#
#   bash scripts/demo.sh          (re)start the demo and show it
#   bash scripts/demo.sh stop     stop it
#
# Environment:
#   DEMO_DIR          state directory (default /tmp/mod_authn_jwt-demo):
#                     keys/, htdocs/, logs/, httpd.conf, password.txt,
#                     apikey.txt, token.txt
#   DEMO_PORT         port on 127.0.0.1 (default 8080)
#   SKIP_DEPS=1       do not run scripts/deps.sh
#   SKIP_BUILD=1      use MOD_AUTHN_JWT_SO (default .libs/mod_authn_jwt.so)
#                     and HTJWT (default ./htjwt) as they are
#   BUILD_DIR, CONFIGURE_FLAGS   as for scripts/build.sh
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEMO_DIR=${DEMO_DIR:-/tmp/mod_authn_jwt-demo}
PORT=${DEMO_PORT:-8080}
CONF_IN=${DEMO_CONF_IN:-$SRC_DIR/conf/demo.conf.in}
HTTPD=/usr/sbin/apache2
BASE=http://127.0.0.1:$PORT
ISS=$BASE/
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
HTJWT=${HTJWT:-$BUILD_DIR/htjwt}
[ -x "$HTJWT" ] || { echo "demo.sh: no htjwt at $HTJWT" >&2; exit 1; }

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
    "$HTJWT" keygen --out "$DEMO_DIR/keys/es256.key.pem" ec:P-256
    openssl pkey -in "$DEMO_DIR/keys/es256.key.pem" -pubout \
        -out "$DEMO_DIR/keys/es256.pub.pem"
    echo "made an ES256 (P-256) key pair in $DEMO_DIR/keys/" \
         "(htjwt keygen ec:P-256)"
else
    echo "reusing the key pair in $DEMO_DIR/keys/"
fi

# The Basic login for /auth.  mod_authn_file reads its files per request,
# in the child: group-readable by httpd's group, not by the world.
if [ ! -s "$DEMO_DIR/password.txt" ]; then
    (umask 077; openssl rand -hex 12 > "$DEMO_DIR/password.txt")
fi
PASSWORD=$(cat "$DEMO_DIR/password.txt")
htpasswd -ciB "$DEMO_DIR/htpasswd" alice <<< "$PASSWORD" 2>/dev/null
# The API key for /auth/apikey: the client keeps ID.SECRET, the server only
# the bcrypt line.
if [ ! -s "$DEMO_DIR/apikey.txt" ] || [ ! -s "$DEMO_DIR/apikeys" ]; then
    out=$("$HTJWT" apikey --id demo-client)
    (umask 077; sed -n 1p <<< "$out" > "$DEMO_DIR/apikey.txt")
    sed -n 2p <<< "$out" > "$DEMO_DIR/apikeys"
    echo "made the API key of demo-client (htjwt apikey --id demo-client)"
fi
APIKEY=$(cat "$DEMO_DIR/apikey.txt")
for f in htpasswd apikeys; do
    chgrp "$RUN_GROUP" "$DEMO_DIR/$f"
    chmod 640 "$DEMO_DIR/$f"
done
echo "Basic login:  alice / $PASSWORD  ($DEMO_DIR/password.txt)"
echo "API key:      $APIKEY  ($DEMO_DIR/apikey.txt)"

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
if ! out=$("$HTTPD" -t -f "$CONF" 2>&1); then
    printf '%s\n' "$out" >&2
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

# ---------------------------------------------------------- helpers --
# req TITLE CURL-ARGS..: one request; prints the status line, the headers
# that matter here and (for JSON or when BODY=1) the body.  Leaves the
# status in CODE and the body in RESP.
CODE='' RESP=''
req() {
    local title=$1 hdrs body
    shift
    hdrs=$(mktemp)
    body=$(mktemp)
    CODE=$(curl -s -o "$body" -D "$hdrs" -w '%{http_code}' "$@" || true)
    RESP=$(cat "$body")
    printf '\n%s%s%s\n' "$B" "$title" "$N"
    printf '  %s -> %s\n' "$(shown_cmd "$@")" "$CODE"
    grep -iE '^(WWW-Authenticate|X-JWT-Sub|X-JWT-Scope|Cache-Control|Allow):' \
        "$hdrs" | tr -d '\r' | sed 's/^/  /' || true
    if grep -qi '^Content-Type: application/.*json' "$hdrs"; then
        printf '  %s\n' "$RESP"
    elif [ "$CODE" = 200 ]; then
        printf '  %s"%s"%s\n' "$D" "$(head -1 "$body")" "$N"
    fi
    rm -f "$hdrs" "$body"
}
# The curl command line as a reader would type it, with secrets shortened.
shown_cmd() {
    local a out='curl'
    for a in "$@"; do
        case $a in
            -u|-H|-d|-X|--data-urlencode) out+=" $a" ;;
            "alice:$PASSWORD") out+=" alice:<password>" ;;
            "Authorization: Bearer "*) out+=" 'Authorization: Bearer <token>'" ;;
            "X-API-Key: "*) out+=" 'X-API-Key: <key>'" ;;
            *' '*) out+=" '$a'" ;;
            *) out+=" $a" ;;
        esac
    done
    printf '%s' "$out"
}
# The access_token member of a token response in RESP.
access_token() {
    sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' <<< "$RESP"
}
bearer() { printf 'Authorization: Bearer %s' "$1"; }

# ------------------------------------------------------------- login --
say "1. log in with Basic: POST /auth (alice) asking for scope \"read\""
req "a token for alice with scope read" \
    -u "alice:$PASSWORD" -d scope=read "$BASE/auth"
TOKEN=$(access_token)
[ "$CODE" = 200 ] && [ -n "$TOKEN" ] || {
    echo "demo.sh: the issuer did not answer with a token; see" \
         "$DEMO_DIR/logs/error.log" >&2
    exit 1
}
printf '%s\n' "$TOKEN" > "$DEMO_DIR/token.txt"
echo "${D}the token, decoded (htjwt decode: looks, checks nothing):${N}"
"$HTJWT" decode "$TOKEN" 2>/dev/null | sed 's/^/  /'

req "no scope asked: every scope /auth may grant" \
    -u "alice:$PASSWORD" -X POST "$BASE/auth"
ADMIN_TOKEN=$(access_token)
printf '%s\n' "$ADMIN_TOKEN" > "$DEMO_DIR/admin-token.txt"

req "wrong password" -u "alice:wrong" -X POST "$BASE/auth"
req "GET is not a login" -u "alice:$PASSWORD" "$BASE/auth"

# ------------------------------------------------------------- use it --
# The same token with one character in the middle of the signature changed
# (not the last one, whose low bits are padding: that would test base64url
# strictness, not the signature check).
i=$(( ${#TOKEN} - 10 ))
if [ "${TOKEN:i:1}" = A ]; then swap=B; else swap=A; fi
BAD_TOKEN=${TOKEN:0:i}$swap${TOKEN:i+1}

say "2. use the token on the protected API"
req "no token" "$BASE/api/hello.txt"
req "with the token (scope read)" -H "$(bearer "$TOKEN")" \
    "$BASE/api/hello.txt"
req "with a copy whose signature has one character changed" \
    -H "$(bearer "$BAD_TOKEN")" "$BASE/api/hello.txt"
req "admin area, token without the admin scope" -H "$(bearer "$TOKEN")" \
    "$BASE/api/admin/index.txt"
req "admin area, token with scope \"read write admin\"" \
    -H "$(bearer "$ADMIN_TOKEN")" "$BASE/api/admin/index.txt"

# ------------------------------------------------------------- API key --
say "3. log in with an API key: POST /auth/apikey"
req "X-API-Key of demo-client" -H "X-API-Key: $APIKEY" -X POST \
    "$BASE/auth/apikey"
KEY_TOKEN=$(access_token)
req "its token on the API" -H "$(bearer "$KEY_TOKEN")" "$BASE/api/hello.txt"
req "asking for scope admin, which API keys may not get" \
    -H "X-API-Key: $APIKEY" -d scope=admin "$BASE/auth/apikey"
req "a wrong key" -H "X-API-Key: demo-client.wrong-secret" -X POST \
    "$BASE/auth/apikey"

# ------------------------------------------------------------- JWKS --
say "4. the public key for other servers: GET /jwks.json"
req "the JWKS" "$BASE/jwks.json"
printf '%s\n' "$RESP" > "$DEMO_DIR/jwks.json"
echo
echo "${B}another server checks the token with that file${N}" \
     "(htjwt verify, the module's own rules):"
"$HTJWT" verify --key "$DEMO_DIR/jwks.json" --iss "$ISS" --aud demo-api \
    "$TOKEN" 2>&1 | sed 's/^/  /' || true

STOP_CMD="bash $SRC_DIR/scripts/demo.sh stop"
if [ "$DEMO_DIR" != /tmp/mod_authn_jwt-demo ]; then
    STOP_CMD="DEMO_DIR=$DEMO_DIR $STOP_CMD"
fi
say "try it yourself"
cat <<EOF
  TOKEN=\$(curl -s -u alice:$PASSWORD -d scope=read $BASE/auth |
          sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')
  curl -i -H "Authorization: Bearer \$TOKEN" $BASE/api/hello.txt
  curl -i $BASE/api/hello.txt
  curl -s -H "X-API-Key: \$(cat $DEMO_DIR/apikey.txt)" -X POST $BASE/auth/apikey
  curl -s $BASE/jwks.json
  $HTJWT decode "\$TOKEN"

  logs:    $DEMO_DIR/logs/access.log (sub, jti, kid, JWT_ERROR per request)
           $DEMO_DIR/logs/error.log  (one info line per token, never the token)
  config:  $CONF
  stop:    $STOP_CMD
           (or: $HTTPD -f $CONF -k stop)
EOF
