#!/bin/bash
# Licensed under the Apache License, Version 2.0; see LICENSE.
#
# package-test.sh: the Debian packages, as an administrator meets them.
#   1. build      dpkg-buildpackage -us -uc -b in a clean copy of the
#                 sources (the checkout's own build is left alone)
#   2. lintian    no errors; every warning listed in debian/README.source
#   3. install    both packages; a2enmod authn_jwt; apache2ctl configtest
#   4. serve      a Debian apache2 instance (apache2ctl with its own
#                 APACHE_CONFDIR, a copy of /etc/apache2, so the system's
#                 instance and port 80 are left alone) serving
#                 conf/examples/protected-api.conf on a free loopback port:
#                 401 without a token, 200 with one from /usr/bin/htjwt
#   5. remove     the module is disabled; purge: nothing of either package
#                 is left (files, mods-enabled links, maintainer state)
# Run as root.  Exit status 0 pass, 1 fail, 77 skipped (the reason is
# printed: no dpkg-buildpackage, not root, packages or a hand-installed
# module already on this machine).  The machine is left as it was found:
# the instance is stopped through its own pid file, its directories are
# removed, the packages are purged, and a system apache2 that a maintainer
# script started is stopped again.  Concurrent runs on one machine take
# turns (flock) for the install-to-purge part.
#
# Environment:
#   PKG_TEST_PORT    port to serve on (default: the first free one from
#                    IT_PORT_BASE + 900, IT_PORT_BASE defaulting to 42000)
#   PKG_TEST_KEEP=1  keep the work directory (build log, debs, logs)
set -uo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODULE_PKG=libapache2-mod-authn-jwt
TOOL_PKG=htjwt
LOCK=/run/lock/mod_authn_jwt-package-test.lock

fails=0
passes=0
ok() { passes=$((passes + 1)); echo "ok - $*"; }
not_ok() { fails=$((fails + 1)); echo "not ok - $*"; }
check() {   # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}
logged() {  # logged FILE COMMAND...: run it, its output into FILE
    local log=$1
    shift
    "$@" >"$log" 2>&1
}
skip() {
    echo "package-test: SKIPPED: $*"
    exit 77
}

# ------------------------------------------------------------ can we? --
command -v dpkg-buildpackage >/dev/null 2>&1 ||
    skip "dpkg-buildpackage not found (apt-get install dpkg-dev debhelper; scripts/deps.sh installs them)"
command -v dh >/dev/null 2>&1 ||
    skip "debhelper not found (apt-get install debhelper)"
[ "$(id -u)" -eq 0 ] ||
    skip "not root: installing packages needs root"
for t in apache2ctl a2enmod a2dismod /usr/sbin/apache2 curl openssl; do
    command -v "$t" >/dev/null 2>&1 || skip "$t not found (apt-get install apache2 curl openssl)"
done
if [ ! -f /usr/share/apache2/apache2-maintscript-helper ]; then
    skip "apache2 is not installed (apt-get install apache2)"
fi

known_to_dpkg() {   # installed, half-installed or removed but not purged
    local s
    s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null) || return 1
    case "$s" in
        un*|"") return 1 ;;
    esac
    return 0
}
unknown_to_dpkg() {
    ! known_to_dpkg "$1"
}

# Paths the packages own; none may exist before (a `make install` or an
# administrator's copy is not ours to overwrite or remove).
OWNED=(
    /usr/lib/apache2/modules/mod_authn_jwt.so
    /etc/apache2/mods-available/authn_jwt.load
    /etc/apache2/mods-available/authn_jwt.conf
    /etc/apache2/mods-enabled/authn_jwt.load
    /etc/apache2/mods-enabled/authn_jwt.conf
    /usr/bin/htjwt
    /usr/share/man/man1/htjwt.1.gz
    "/usr/share/doc/$MODULE_PKG"
    "/usr/share/doc/$TOOL_PKG"
)
MAINT_STATE=(/var/lib/apache2/module/*/authn_jwt)

# ------------------------------------------------------------ version --
conf_version=$(sed -n 's/^AC_INIT(\[mod_authn_jwt\], *\[\([^]]*\)\].*/\1/p' \
    "$SRC_DIR/configure.ac")
deb_version=$(dpkg-parsechangelog -l "$SRC_DIR/debian/changelog" -S Version)
check "debian/changelog ($deb_version) is for configure.ac's $conf_version" \
    test "${deb_version%-*}" = "$conf_version"

# -------------------------------------------------------------- build --
WORK=$(mktemp -d /tmp/mod_authn_jwt-pkg.XXXXXX)
chmod 755 "$WORK"
INSTANCE=
INSTANCE_STARTED=0
WE_INSTALLED=0
SYSTEM_PIDFILE=/var/run/apache2/apache2.pid

system_apache_running() {
    [ -s "$SYSTEM_PIDFILE" ] && kill -0 "$(cat "$SYSTEM_PIDFILE")" 2>/dev/null
}

instance_pid() {
    local f=/var/run/apache2-${INSTANCE#/etc/apache2-}/apache2.pid
    [ -s "$f" ] && cat "$f"
}

stop_instance() {
    local pid
    [ "$INSTANCE_STARTED" = 1 ] || return 0
    pid=$(instance_pid || true)
    APACHE_CONFDIR=$INSTANCE apache2ctl stop >/dev/null 2>&1
    for _ in $(seq 1 100); do
        [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null
    fi
    INSTANCE_STARTED=0
}

purge_packages() {
    dpkg --purge "$TOOL_PKG" "$MODULE_PKG" >"$WORK/purge.log" 2>&1
}

cleanup() {
    stop_instance
    if [ -n "$INSTANCE" ]; then
        local sfx=${INSTANCE#/etc/apache2-}
        rm -rf "$INSTANCE" "/var/log/apache2-$sfx" "/var/run/apache2-$sfx" \
            "/var/lock/apache2-$sfx"
    fi
    if [ "$WE_INSTALLED" = 1 ]; then
        purge_packages
    fi
    # a maintainer script may have (re)started the system's apache2 through
    # invoke-rc.d; if it was not running before, it is stopped again
    if [ "${SYSTEM_WAS_RUNNING:-1}" = 0 ] && system_apache_running; then
        apache2ctl stop >/dev/null 2>&1 || true
    fi
    if [ "${PKG_TEST_KEEP:-0}" = 1 ]; then
        echo "package-test: work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A clean tree: the checkout's tracked and new files, not its build.
mkdir -p "$WORK/src"
if git -C "$SRC_DIR" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$SRC_DIR" && git ls-files -z --cached --others --exclude-standard |
        xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
        tar --null -T - -cf -) | tar -C "$WORK/src" -xf -
else
    (cd "$SRC_DIR" && tar --exclude=.libs --exclude='*.o' --exclude='*.lo' \
        -cf - .) | tar -C "$WORK/src" -xf -
    [ -f "$WORK/src/Makefile" ] && make -C "$WORK/src" -s distclean >/dev/null 2>&1
fi

echo "package-test: dpkg-buildpackage -us -uc -b in $WORK/src"
if (cd "$WORK/src" && dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1
then
    ok "dpkg-buildpackage -us -uc -b"
else
    not_ok "dpkg-buildpackage -us -uc -b; the end of its log:"
    tail -40 "$WORK/build.log" | sed 's/^/    /'
    exit 1
fi

arch=$(dpkg --print-architecture)
MOD_DEB=$WORK/${MODULE_PKG}_${deb_version}_${arch}.deb
TOOL_DEB=$WORK/${TOOL_PKG}_${deb_version}_${arch}.deb
CHANGES=$WORK/mod-authn-jwt_${deb_version}_${arch}.changes
check "built $(basename "$MOD_DEB") and $(basename "$TOOL_DEB")" \
    test -f "$MOD_DEB" -a -f "$TOOL_DEB"
[ -f "$MOD_DEB" ] && [ -f "$TOOL_DEB" ] || exit 1

mod_depends=$(dpkg-deb -f "$MOD_DEB" Depends)
echo "    $MODULE_PKG Depends: $mod_depends"
check "$MODULE_PKG depends on the apache2 API dh_apache2 computed" \
    grep -q 'apache2-api-[0-9]' <<< "$mod_depends"
check "$MODULE_PKG depends on libssl3 and libjansson (shlibs)" \
    grep -q 'libjansson.*libssl3\|libssl3.*libjansson' <<< "$mod_depends"
mod_files=$(dpkg-deb -c "$MOD_DEB" | awk '{print $NF}')
tool_files=$(dpkg-deb -c "$TOOL_DEB" | awk '{print $NF}')
has() {   # has LIST PATH...: every PATH is a line of LIST
    local list=$1 f
    shift
    for f in "$@"; do
        grep -qxF -- "$f" <<< "$list" || { echo "    missing: $f"; return 1; }
    done
}
check "$MODULE_PKG ships the module, its .load/.conf and the manual" \
    has "$mod_files" ./usr/lib/apache2/modules/mod_authn_jwt.so \
        ./etc/apache2/mods-available/authn_jwt.load \
        ./etc/apache2/mods-available/authn_jwt.conf \
        "./usr/share/doc/$MODULE_PKG/mod_authn_jwt.html" \
        "./usr/share/doc/$MODULE_PKG/examples/protected-api.conf"
check "$TOOL_PKG ships htjwt and its man page" \
    has "$tool_files" ./usr/bin/htjwt ./usr/share/man/man1/htjwt.1.gz

# ------------------------------------------------------------ lintian --
if command -v lintian >/dev/null 2>&1; then
    lintian --allow-root --tag-display-limit 0 "$CHANGES" >"$WORK/lintian.log" 2>&1
    echo "    lintian: $(grep -c '^E: ' "$WORK/lintian.log") errors," \
         "$(grep -c '^W: ' "$WORK/lintian.log") warnings"
    sed 's/^/    /' "$WORK/lintian.log"
    check "lintian reports no errors" \
        bash -c "! grep -q '^E: ' '$WORK/lintian.log'"
    # every warning's tag is explained in debian/README.source
    unexplained=$(sed -n 's/^W: [^:]*: \([a-z0-9+.-]*\).*/\1/p' \
        "$WORK/lintian.log" | sort -u | while read -r tag; do
            grep -q -- "$tag" "$SRC_DIR/debian/README.source" || echo "$tag"
        done)
    check "every lintian warning is explained in debian/README.source${unexplained:+ (not: $unexplained)}" \
        test -z "$unexplained"
else
    not_ok "lintian not found (apt-get install lintian; scripts/deps.sh installs it)"
fi

# ----------------------------------------------------- install and use --
exec 9>"$LOCK"
if ! flock -w 1200 9; then
    not_ok "another package test held $LOCK for 20 minutes"
    exit 1
fi
for p in "$MODULE_PKG" "$TOOL_PKG"; do
    if known_to_dpkg "$p"; then
        skip "$p is already installed (or not purged) here, so the test leaves it alone (a killed run? dpkg --purge $TOOL_PKG $MODULE_PKG)"
    fi
done
for f in "${OWNED[@]}" "${MAINT_STATE[@]}"; do
    if [ -e "$f" ] || [ -L "$f" ]; then
        skip "$f exists (a hand installation?); the test would overwrite or remove it"
    fi
done
if system_apache_running; then SYSTEM_WAS_RUNNING=1; else SYSTEM_WAS_RUNNING=0; fi

WE_INSTALLED=1
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends -o DPkg::Lock::Timeout=600 \
        "$MOD_DEB" "$TOOL_DEB" >"$WORK/install.log" 2>&1; then
    ok "apt-get install of both packages"
else
    not_ok "apt-get install of both packages:"
    sed 's/^/    /' "$WORK/install.log"
    exit 1
fi

check "a2enmod authn_jwt" a2enmod authn_jwt
check "mods-enabled/authn_jwt.load links to mods-available" \
    test "$(readlink -f /etc/apache2/mods-enabled/authn_jwt.load)" = \
         /etc/apache2/mods-available/authn_jwt.load
if apache2ctl configtest >"$WORK/configtest.log" 2>&1; then
    ok "apache2ctl configtest"
else
    not_ok "apache2ctl configtest:"
    sed 's/^/    /' "$WORK/configtest.log"
fi
check "/usr/bin/htjwt --version says mod_authn_jwt/$conf_version" \
    test "$(/usr/bin/htjwt --version)" = "htjwt (mod_authn_jwt/$conf_version)"

# The example, with its key paths pointing at keys made here by the
# installed htjwt.
mkdir -p "$WORK/keys" "$WORK/htdocs"
chmod 755 "$WORK/keys" "$WORK/htdocs"
echo "protected content" >"$WORK/htdocs/index.html"
chmod 644 "$WORK/htdocs/index.html"
/usr/bin/htjwt keygen --out "$WORK/keys/issuer.key.pem" ec:P-256 \
    >/dev/null 2>"$WORK/keygen.log"
openssl pkey -in "$WORK/keys/issuer.key.pem" -pubout \
    -out "$WORK/keys/issuer.pub.pem" 2>>"$WORK/keygen.log"
check "htjwt keygen made the issuer's key" test -s "$WORK/keys/issuer.pub.pem"

# Port: the first one nobody listens on, from the suite's own range.
free_port() {
    local p=$1
    while [ "$p" -lt $(( $1 + 100 )) ]; do
        if /usr/bin/python3 - "$p" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
        then
            echo "$p"
            return 0
        fi
        p=$((p + 1))
    done
    return 1
}
PORT=${PKG_TEST_PORT:-$(free_port $(( ${IT_PORT_BASE:-42000} + 900 )))}

# The instance: Debian's multiple-instance layout (apache2ctl, envvars and
# a2enmod honour APACHE_CONFDIR=/etc/apache2-NAME; pid file, run, lock and
# log directories get the -NAME suffix).  A copy of /etc/apache2, so it
# loads the module exactly as a2enmod enabled it, with its own Listen.
INSTANCE=/etc/apache2-ajpkgtest$$
sfx=${INSTANCE#/etc/apache2-}
cp -a /etc/apache2 "$INSTANCE"
mkdir -p "/var/log/apache2-$sfx"
printf 'Listen 127.0.0.1:%s\n' "$PORT" >"$INSTANCE/ports.conf"
rm -f "$INSTANCE"/sites-enabled/*
{
    echo "# written by scripts/package-test.sh"
    echo "ServerName 127.0.0.1"
    echo "LogLevel warn authn_jwt:info"
    echo "DocumentRoot \"$WORK/htdocs\""
    echo "Alias \"/api/\" \"$WORK/htdocs/\""
    echo "<Directory \"$WORK/htdocs\">"
    echo "    Require all granted"
    echo "</Directory>"
    sed "s#/etc/apache2/jwt/#$WORK/keys/#g" \
        "$SRC_DIR/conf/examples/protected-api.conf"
} >"$INSTANCE/conf-available/authn-jwt-example.conf"
check "a2enconf the example in the instance" \
    env APACHE_CONFDIR="$INSTANCE" a2enconf -q authn-jwt-example

# apache2ctl start would hand over to systemctl on a systemd host; this
# instance is the test's own, started and stopped by apache2ctl itself.
if APACHE_CONFDIR=$INSTANCE APACHE_STARTED_BY_SYSTEMD=1 apache2ctl start \
        >"$WORK/start.log" 2>&1; then
    INSTANCE_STARTED=1
    ok "apache2ctl start (APACHE_CONFDIR=$INSTANCE, 127.0.0.1:$PORT)"
else
    not_ok "apache2ctl start:"
    sed 's/^/    /' "$WORK/start.log" "/var/log/apache2-$sfx/error.log" 2>/dev/null
    exit 1
fi

URL=http://127.0.0.1:$PORT/api/
status() {   # status [curl args...]: the HTTP status of URL
    curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' \
        --max-time 10 "$@" "$URL"
}
code=000
for _ in $(seq 1 100); do
    code=$(status) && [ "$code" != 000 ] && break
    sleep 0.1
done
check "no token: 401 (got $code)" test "$code" = 401
check "no token: WWW-Authenticate: Bearer realm=\"api\"" \
    grep -qi '^WWW-Authenticate: Bearer realm="api"' "$WORK/headers"

TOKEN=$(/usr/bin/htjwt sign --key "$WORK/keys/issuer.key.pem" \
    --iss https://login.example.com/ --aud https://api.example.com/ \
    --sub alice --lifetime 300)
code=$(status -H "Authorization: Bearer $TOKEN")
check "token from /usr/bin/htjwt: 200 (got $code)" test "$code" = 200
check "token from /usr/bin/htjwt: the protected content" \
    grep -q "protected content" "$WORK/body"
# one character of the signature changed
sig=${TOKEN##*.}
if [ "${sig:4:1}" = A ]; then c=B; else c=A; fi
code=$(status -H "Authorization: Bearer ${TOKEN%.*}.${sig:0:4}$c${sig:5}")
check "tampered token: 401 (got $code)" test "$code" = 401
check "the instance logged AJ00200 mod_authn_jwt/$conf_version" \
    grep -q "AJ00200: mod_authn_jwt/$conf_version configured" \
        "/var/log/apache2-$sfx/error.log"
check "the instance logged the accepted token for alice" \
    grep -q 'AJ00002: token accepted for user "alice"' \
        "/var/log/apache2-$sfx/error.log"
pid=$(instance_pid || true)
stop_instance
check "the instance stopped (pid ${pid:-none})" \
    bash -c "[ -n '$pid' ] && ! kill -0 '$pid' 2>/dev/null"

# ------------------------------------------------------ remove, purge --
check "dpkg --remove" \
    logged "$WORK/remove.log" dpkg --remove "$TOOL_PKG" "$MODULE_PKG"
check "removal disabled the module (no mods-enabled/authn_jwt.*)" \
    bash -c '! ls /etc/apache2/mods-enabled/authn_jwt.* >/dev/null 2>&1'
check "removal left the module out of apache2ctl configtest" \
    bash -c 'apache2ctl configtest >/dev/null 2>&1'
check "dpkg --purge" purge_packages
WE_INSTALLED=0
for p in "$MODULE_PKG" "$TOOL_PKG"; do
    check "$p is unknown to dpkg after purge" unknown_to_dpkg "$p"
done
left=
for f in "${OWNED[@]}" /var/lib/apache2/module/*/authn_jwt; do
    if [ -e "$f" ] || [ -L "$f" ]; then left="$left $f"; fi
done
check "nothing left after purge${left:+:$left}" test -z "$left"

echo "package: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
