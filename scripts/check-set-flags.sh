#!/bin/bash
# Licensed under the Apache License, Version 2.0; see LICENSE.
#
# check-set-flags.sh SRCDIR: authn_jwt_merge_dir_conf returns the other
# record as it is when one side of a merge sets nothing (nothing_set() in
# mod_authn_jwt_config.c).  A _set flag added to authn_jwt_dir_conf_t but
# not listed there would make its directive vanish in such a merge: fail
# "make check" instead.
set -euo pipefail

src=${1:?usage: check-set-flags.sh SRCDIR}
hdr=$src/mod_authn_jwt.h
cfg=$src/mod_authn_jwt_config.c

flags=$(awk '/^typedef struct \{/ { body = "" }
             { body = body $0 "\n" }
             /^\} authn_jwt_dir_conf_t;/ { print body; exit }' "$hdr" |
        grep -oE 'unsigned [a-z_0-9]+_set:1' | awk '{print $2}' | sed 's/:1$//')
listed=$(awk '/^static int nothing_set\(/, /^\}/' "$cfg" |
         grep -oE 'c->[a-z_0-9]+_set' | sed 's/^c->//')
if [ -z "$flags" ] || [ -z "$listed" ]; then
    echo "check-set-flags: could not read the flags of $hdr or $cfg" >&2
    exit 1
fi
missing=$(comm -23 <(sort <<< "$flags") <(sort <<< "$listed"))
if [ -n "$missing" ]; then
    echo "check-set-flags: flags of authn_jwt_dir_conf_t missing from" \
         "nothing_set() in $cfg:" >&2
    while read -r f; do echo "    $f"; done <<< "$missing" >&2
    exit 1
fi
echo "check-set-flags: $(wc -l <<< "$flags") flags, all in nothing_set() OK"
