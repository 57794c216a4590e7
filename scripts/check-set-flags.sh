#!/bin/bash
# Licensed under the Apache License, Version 2.0; see LICENSE.
#
# check-set-flags.sh SRCDIR: authn_jwt_merge_dir_conf returns the other
# record as it is when one side of a merge sets nothing, which it reads
# from the one word ANY_SET that overlays every _set flag of
# authn_jwt_dir_conf_t (mod_authn_jwt.h).  A _set flag declared outside
# that union would make its directive vanish in such a merge: fail
# "make check" instead.  (Too many flags for the word stop the build:
# a _Static_assert in mod_authn_jwt_config.c.)
set -euo pipefail

src=${1:?usage: check-set-flags.sh SRCDIR}
hdr=$src/mod_authn_jwt.h

body=$(awk '/^typedef struct \{/ { body = "" }
            { body = body $0 "\n" }
            /^\} authn_jwt_dir_conf_t;/ { printf "%s", body; exit }' "$hdr")
all=$(grep -oE 'unsigned [a-z_0-9]+_set:1' <<< "$body" | awk '{print $2}' |
      sed 's/:1$//' | sort)
inside=$(awk '/^    union \{/ { on = 1 } on { print }
              /uint64_t any_set;/ { on = 0 }' <<< "$body" |
         grep -oE 'unsigned [a-z_0-9]+_set:1' | awk '{print $2}' |
         sed 's/:1$//' | sort)
if [ -z "$all" ] || [ -z "$inside" ]; then
    echo "check-set-flags: could not read the flags of $hdr" >&2
    exit 1
fi
outside=$(comm -23 <(echo "$all") <(echo "$inside"))
if [ -n "$outside" ]; then
    echo "check-set-flags: _set flags of authn_jwt_dir_conf_t outside the" \
         "union with any_set in $hdr:" >&2
    while read -r f; do echo "    $f"; done <<< "$outside" >&2
    exit 1
fi
echo "check-set-flags: $(wc -l <<< "$all") flags, all under any_set OK"
