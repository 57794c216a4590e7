#!/bin/bash
# Licensed under the Apache License, Version 2.0; see LICENSE.
#
# run.sh: the interoperability tests (test/interop/README.md), called by
# scripts/test.sh from the repository root with MOD_AUTHN_JWT_SO exported.
#   1. node and npm must be on PATH (scripts/deps.sh installs Debian's
#      nodejs and npm when no node is there; any node >= 18 does).
#   2. `npm ci` installs node's jose exactly as package-lock.json pins it
#      (registry.npmjs.org, .npmrc), unless node_modules already holds
#      exactly those versions (so a second run needs no network).
#   3. pytest under Debian's /usr/bin/python3 (it has jwcrypto, pytest,
#      requests) on test/interop, against a real httpd.
# Environment:
#   MOD_AUTHN_JWT_SO  the module (default <repo>/.libs/mod_authn_jwt.so)
#   PYTEST_ARGS       extra pytest arguments (e.g. "-k ECDH -x")
#   NODE              the node binary (default: node on PATH)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PY=/usr/bin/python3
NODE=${NODE:-node}

if ! command -v "$NODE" >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1
then
    echo "run.sh: node and npm are needed; bash scripts/deps.sh installs" \
         "them (Debian 12: apt-get install nodejs npm)" >&2
    exit 1
fi
major=$("$NODE" -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
    echo "run.sh: node $("$NODE" --version) is too old; jose needs >= 18" >&2
    exit 1
fi

# Every package of package-lock.json installed at its locked version?
installed() {
    (cd "$HERE" && "$NODE" -e '
        const lock = require("./package-lock.json");
        for (const [path, info] of Object.entries(lock.packages)) {
            if (path === "") continue;
            const v = require("./" + path + "/package.json").version;
            if (v !== info.version) process.exit(1);
        }') >/dev/null 2>&1
}

if ! installed; then
    echo "run.sh: npm ci in test/interop (node $("$NODE" --version)," \
         "npm $(npm --version))"
    (cd "$HERE" && npm ci --ignore-scripts --no-audit --no-fund \
         --loglevel=error)
fi
"$NODE" -p '"run.sh: node " + process.version + ", jose " +
    require(process.argv[1] + "/node_modules/jose/package.json").version' \
    "$HERE"

export NODE
cd "$REPO"
# shellcheck disable=SC2086
exec "$PY" -m pytest -q ${PYTEST_ARGS:-} test/interop
