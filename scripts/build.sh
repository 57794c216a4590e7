#!/bin/bash
# Licensed under the Apache License, Version 2.0; see LICENSE.
#
# build.sh: autogen.sh (when configure is missing or older than its
# sources), configure, make.  Used by test.sh, demo.sh and bench/run.sh.
# Leaves BUILD_DIR/.libs/mod_authn_jwt.so.
#
# Environment:
#   BUILD_DIR        build here (default: the source tree)
#   CONFIGURE_FLAGS  extra ./configure arguments (e.g. --with-apxs=...)
set -euo pipefail

SRC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC_DIR}
mkdir -p "$BUILD_DIR" && BUILD_DIR=$(cd "$BUILD_DIR" && pwd)
JOBS=$(nproc 2>/dev/null || echo 2)

cd "$SRC_DIR"
if [ ! -x configure ] || [ configure.ac -nt configure ] ||
   [ ! -f Makefile.in ] || [ Makefile.am -nt Makefile.in ]; then
    ./autogen.sh
fi

cd "$BUILD_DIR"
# Always configure: sources that land later (tools/htjwt.c)
# are switched on by configure, not by make's rebuild rules.
# shellcheck disable=SC2086
"$SRC_DIR/configure" -q ${CONFIGURE_FLAGS:-}
make -j"$JOBS"

if [ ! -f .libs/mod_authn_jwt.so ]; then
    echo "build.sh: $BUILD_DIR/.libs/mod_authn_jwt.so was not built" >&2
    exit 1
fi
