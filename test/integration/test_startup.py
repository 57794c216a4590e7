# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""What the administrator is told, and when: a missing OpenSSL algorithm
stops start-up with a clear message; a location without a key is logged at
error level once per child, not once per request."""

import os
import re

import pytest

from harness import location
from jose_kit import Key, claims, pyjwt_token

# OpenSSL with only the base provider: encoders and decoders, no digest,
# no HMAC, no signature (what a FIPS set-up without the fips provider, or
# a stripped build, looks like to the module)
BASE_ONLY = """\
openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
base = base_sect
[base_sect]
activate = 1
"""


@pytest.fixture
def base_only(basedir, monkeypatch):
    conf = os.path.join(basedir, "openssl-base-only.cnf")
    with open(conf, "w") as f:
        f.write(BASE_ONLY)
    os.chmod(conf, 0o644)
    monkeypatch.setenv("OPENSSL_CONF", conf)
    return conf


def _refused(srv):
    started, output = srv.start(must_work=False, timeout=10)
    if started:
        srv.stop()
    assert not started, "httpd started without SHA-256 and HMAC"
    return output


def test_missing_digest_named_by_the_key_directive(httpd, K, base_only):
    # the first key line says what OpenSSL lacks, with its file and line
    line = "AuthJWTVerifyKey secret:%s" % K("hs256.secret")
    srv = httpd("crypto-missing-key", location("/x/", line), start=False)
    output = _refused(srv)
    assert re.search(r"line %d of %s" % (srv.line_of(line),
                                         re.escape(srv.conf_path)), output), \
        output
    assert re.search(r"OpenSSL cannot provide SHA256, which this module "
                     r"needs for every key.*OPENSSL_CONF", output), output


def test_missing_digest_stops_startup(httpd, K, base_only, monkeypatch):
    # keys only in .htaccess: nothing is loaded while the configuration is
    # read, so before post_config checked, httpd started and refused every
    # token at run time
    body = ('<Directory "@ROOT@/htdocs/h">\n'
            "    AllowOverride AuthConfig\n"
            "</Directory>\n")
    files = {"htdocs/h/.htaccess": "AuthType Bearer\nAuthName R\n"
             "AuthJWTVerifyKey secret:%s\nRequire valid-user\n"
             % K("hs256.secret")}
    srv = httpd("crypto-missing", body, files=files, start=False)
    output = _refused(srv)
    assert re.search(r"AJ00001: OpenSSL: digest SHA256 is not available",
                     output), output
    assert re.search(r"AJ00001: OpenSSL: HMAC is not available", output), \
        output
    assert re.search(r"AJ00103: OpenSSL lacks algorithms this module needs.*"
                     r"OPENSSL_CONF", output), output
    # the same configuration with the default providers starts
    monkeypatch.delenv("OPENSSL_CONF")
    srv2 = httpd("crypto-present", body, files=files)
    assert srv2.get("/h/x").status == 401


def _pid(line):
    m = re.search(r"\[pid (\d+)", line)
    return m.group(1) if m else None


def test_no_key_logged_once_per_location(httpd):
    srv = httpd("nokey-once", location("/nk1/") + location("/nk2/"),
                expect=[r"AJ00006"])
    tok = pyjwt_token("HS256", Key("k", "oct", secret=b"k" * 32), claims())
    n = 12
    for _ in range(n):
        for loc in ("/nk1/", "/nk2/"):
            assert srv.get(loc + "ok", tok).status == 401
    lines = [l for l in srv.error_lines_since(srv.startup_offset)
             if "AJ00006" in l]
    for loc in ("/nk1/", "/nk2/"):
        mine = [l for l in lines if "applies to %sok" % loc in l]
        errs = [l for l in mine if "[authn_jwt:error]" in l]
        debug = [l for l in mine if "[authn_jwt:debug]" in l]
        assert len(mine) == n, mine
        # once per child at error level, every other time at debug
        pids = [_pid(l) for l in errs]
        assert errs and len(pids) == len(set(pids)), errs
        assert len(debug) == n - len(errs), mine
