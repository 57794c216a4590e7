#!/bin/bash
# Licensed under the Apache License, Version 2.0; see LICENSE.
#
# memcheck.sh: integration tests with every httpd process (parent and
# children) under valgrind's memcheck, so that the module's Apache glue
# (mod_authn_jwt*.c), which the sanitizer builds of the unit tests do not
# cover, is checked for invalid reads and writes, uses of uninitialised
# memory and bad frees inside a real server.  Fails when valgrind reports
# any error in any process.
#
#   scripts/memcheck.sh [pytest arguments]
#
# Without arguments it runs the files below (about 90 s): every attack
# class, the removal of consumed credentials, and the token cache.  Tests
# that measure time or memory cannot pass under valgrind and are left out.
# The whole suite also passes under it (test_jwe, test_revocation,
# test_issuing*, test_authz*, test_htaccess_keys, test_metrics,
# test_env_log and test_remote_keys took 7.5 min here).
#
# Environment: MOD_AUTHN_JWT_SO, HTJWT as for the integration tests;
# MEMCHECK_DIR keeps valgrind's logs (default: a temporary directory,
# removed when nothing was found).
set -uo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=/usr/bin/python3

if ! command -v valgrind >/dev/null 2>&1; then
    echo "memcheck.sh: valgrind is not installed (scripts/deps.sh installs" \
         "it)" >&2
    exit 1
fi
dir=${MEMCHECK_DIR:-$(mktemp -d)}
mkdir -p "$dir/logs"
# the children run as www-data and write their own logs
chmod 0777 "$dir" "$dir/logs"
cat > "$dir/apache2" <<EOF
#!/bin/sh
exec valgrind --tool=memcheck --error-limit=no --num-callers=30 \\
    --log-file=$dir/logs/vg.%p.log ${APACHE2_BIN:-/usr/sbin/apache2} "\$@"
EOF
chmod 0755 "$dir/apache2"

if [ $# -eq 0 ]; then
    set -- test/integration/test_attacks.py \
           test/integration/test_credentials.py \
           test/integration/test_cache.py \
           -k "not hammer and not memory_flat"
fi

(cd "$SRC_DIR" && APACHE2_BIN="$dir/apache2" \
    "$PY" -m pytest -q -p no:cacheprovider "$@")
tests=$?

# Every process's log ends with "ERROR SUMMARY: N errors" unless it was
# killed; errors are also counted where they are reported.
errors=$(grep -l -E "ERROR SUMMARY: [1-9]|== (Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap)" \
         "$dir"/logs/vg.*.log 2>/dev/null)
procs=$(ls "$dir"/logs/vg.*.log 2>/dev/null | wc -l)
if [ -n "$errors" ]; then
    echo "memcheck: valgrind found errors in:"
    for f in $errors; do
        echo "== $f"
        grep -E "^==[0-9]+== ( |[A-Z])" "$f" | head -60
    done
    echo "memcheck: logs kept in $dir/logs"
    exit 1
fi
if [ "$procs" -eq 0 ]; then
    echo "memcheck: no httpd ran under valgrind" >&2
    exit 1
fi
echo "memcheck: $procs httpd processes, no valgrind error"
if [ "$tests" -ne 0 ]; then
    echo "memcheck: logs kept in $dir/logs"
    exit "$tests"
fi
[ -z "${MEMCHECK_DIR:-}" ] && rm -rf "$dir"
exit 0
