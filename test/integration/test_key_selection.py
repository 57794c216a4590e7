# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""README "Security notes": no request costs more than two public-key
signature checks, whatever the number of keys.  A token is checked against the key
its kid names, else against the first two keys that fit it; a location with
more keys than that tells them apart by kid, and start-up says so."""

import json
import os

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from harness import assert_invalid_token, assert_ok, location
from jose_kit import Key, claims, craft, jdump

N = 6           # keys in the PEM locations
NJWKS = 30      # keys in the JWK Set


@pytest.fixture(scope="module")
def keys(basedir):
    d = os.path.join(basedir, "keysel-keys")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    out = []
    for i in range(NJWKS):
        k = Key("sel%d" % (i + 1), "ec",
                ec.generate_private_key(ec.SECP256R1()))
        k.path = os.path.join(d, "sel%d.pub.pem" % (i + 1))
        with open(k.path, "wb") as f:
            f.write(k.pub_pem())
        os.chmod(k.path, 0o644)
        out.append(k)
    jwks = os.path.join(d, "many.jwks")
    with open(jwks, "w") as f:
        f.write(jdump({"keys": [k.jwk_dict(kid="j%d" % (i + 1), use="sig")
                                for i, k in enumerate(out)]}))
    os.chmod(jwks, 0o644)
    return out, jwks


@pytest.fixture(scope="module")
def srv(httpd, keys):
    ks, jwks = keys
    body = location("/bare/", *["AuthJWTVerifyKey %s" % k.path
                                for k in ks[:N]])
    body += location("/kids/", *["AuthJWTVerifyKey kid=k%d %s" % (i + 1,
                                                                  k.path)
                                 for i, k in enumerate(ks[:N])])
    body += location("/jwks/", "AuthJWTVerifyKey %s" % jwks)
    # two keys without a kid: a rollover, both tried, nothing to warn of
    body += location("/two/", "AuthJWTVerifyKey %s" % ks[0].path,
                     "AuthJWTVerifyKey %s" % ks[1].path)
    return httpd("keysel", body, expect=[r"AJ00100"])


def tok(key, kid=None):
    hdr = {"alg": "ES256", "typ": "JWT"}
    if kid is not None:
        hdr["kid"] = kid
    return craft(hdr, claims(), "ES256", key)


def test_startup_warns_once_for_the_crowded_location(srv, keys):
    ks, _ = keys
    warn = [l for l in srv.startup_lines if "AJ00100" in l]
    line = srv.line_of(ks[2].path)
    # the third key without a kid crowds /bare/; /kids/, /jwks/ and /two/
    # are fine; httpd reads its configuration twice at start-up
    assert warn, srv.startup_lines
    assert all("%s:%d:" % (srv.conf_path, line) in l for l in warn), warn
    assert all("[warn]" in l or ":warn]" in l for l in warn), warn
    assert "ES256" in warn[0] and "kid" in warn[0]


def test_no_kid_tries_the_first_two_keys_only(srv, keys):
    ks, _ = keys
    for k in ks[:2]:
        assert_ok(srv.get("/bare/ok", tok(k)))
    for k in ks[2:N]:
        assert_invalid_token(srv.get("/bare/ok", tok(k)),
                             reason="signature")
    # a kid the location does not know changes nothing
    assert_invalid_token(srv.get("/bare/ok", tok(ks[N - 1], kid="nope")),
                         reason="signature")
    assert_ok(srv.get("/bare/ok", tok(ks[1], kid="nope")))


def test_kid_reaches_its_key(srv, keys):
    ks, _ = keys
    for i, k in enumerate(ks[:N]):
        assert_ok(srv.get("/kids/ok", tok(k, kid="k%d" % (i + 1))))
    # the kid names one key, no other is tried
    assert_invalid_token(srv.get("/kids/ok", tok(ks[0], kid="k%d" % N)),
                         reason="signature")
    # without a kid, keys with kids fit too, but only two are tried
    assert_ok(srv.get("/kids/ok", tok(ks[1])))
    assert_invalid_token(srv.get("/kids/ok", tok(ks[N - 1])),
                         reason="signature")


def test_many_keys_in_a_set(srv, keys):
    ks, _ = keys
    assert_ok(srv.get("/jwks/ok", tok(ks[-1], kid="j%d" % NJWKS)))
    assert_invalid_token(srv.get("/jwks/ok", tok(ks[-1])),
                         reason="signature")
    assert_invalid_token(srv.get("/jwks/ok", tok(ks[-1], kid="j1")),
                         reason="signature")
    assert_invalid_token(srv.get("/jwks/ok", tok(ks[-1], kid="j0")),
                         reason="no_key")


def test_rollover_pair_without_kids(srv, keys):
    ks, _ = keys
    assert_ok(srv.get("/two/ok", tok(ks[0])))
    assert_ok(srv.get("/two/ok", tok(ks[1])))
    assert_invalid_token(srv.get("/two/ok", tok(ks[2])), reason="signature")
