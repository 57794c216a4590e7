#!/bin/bash
# Licensed under the Apache License, Version 2.0; see LICENSE.
#
# check-module-symbols.sh SO: a shared module may link with undefined
# symbols (httpd resolves ap_* at load time), so a core function that was
# declared but never built only shows up when httpd refuses to start.  This
# check fails the build instead when
#   - a jwt_/jwk_/jws_/jwe_/jose_ symbol is undefined in the module, or
#   - the module exports anything but authn_jwt_module (STYLE 12).
set -euo pipefail

so=${1:?usage: check-module-symbols.sh path/to/mod_authn_jwt.so}
if [ ! -f "$so" ]; then
    echo "check-module-symbols: $so not found (run make first)" >&2
    exit 1
fi

rc=0
undef=$(nm -D --undefined-only "$so" | awk '{print $NF}' |
        grep -E '^(jwt|jwk|jws|jwe|jose)_' || true)
if [ -n "$undef" ]; then
    echo "check-module-symbols: core symbols undefined in $so:" >&2
    while read -r s; do echo "    $s"; done <<< "$undef" >&2
    rc=1
fi

exported=$(nm -D --defined-only "$so" | awk '{print $NF}' |
           grep -vE '^(_init|_fini|_edata|_end|__bss_start)$' || true)
if [ "$exported" != "authn_jwt_module" ]; then
    echo "check-module-symbols: $so must export only authn_jwt_module," \
         "it exports:" >&2
    while read -r s; do echo "    $s"; done <<< "$exported" >&2
    rc=1
fi

[ "$rc" -eq 0 ] && echo "check-module-symbols: $so OK"
exit "$rc"
