# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The JWE settings an administrator chooses: PBES2 with its p2c ceiling
(AuthJWTMaxPBES2Count, doc/attacks.md C6), a JWE whose payload is the claims
rather than a signed token (AuthJWTAllowUnsignedJWE, C1), and the content
encryption a decryption key accepts (AuthJWTDecryptKey enc=, C10)."""

import os
import time

import pytest

from harness import assert_invalid_token, assert_ok, location
from jose_kit import (Key, claims, jdump, jwe_nested, jwe_pbes2,
                      pyjwt_token)

pytestmark = pytest.mark.jwe

PASSWORD = b"correct horse battery staple, with salt"
PBES2 = "PBES2-HS256+A128KW,PBES2-HS512+A256KW"


@pytest.fixture(scope="module")
def pw_file(basedir):
    d = os.path.join(basedir, "jwe-options")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "pbes2.secret")
    with open(path, "wb") as f:
        f.write(PASSWORD)
    os.chmod(path, 0o644)
    return path


@pytest.fixture(scope="module")
def srv(httpd, K, pw_file):
    sig = "AuthJWTVerifyKey %s" % K("rsa.pub.pem")
    kw = "secret:%s" % K("hs256.secret")
    body = (
        # PBES2 with the default ceiling (10000) and with a raised one
        location("/pb/", "AuthJWTDecryptKey alg=%s secret:%s"
                 % (PBES2, pw_file), sig)
        + location("/pbhi/", "AuthJWTDecryptKey alg=%s secret:%s"
                   % (PBES2, pw_file), sig, "AuthJWTMaxPBES2Count 20000")
        + location("/pbhi/lo/", "AuthJWTMaxPBES2Count 1000")
        # PBES2 present but not named: refused whatever the count
        + location("/pboff/", "AuthJWTDecryptKey alg=A256KW %s" % kw, sig)
        # unsigned JWE, with and without a verification key beside it
        + location("/un/", "AuthJWTDecryptKey alg=A256KW,dir %s" % kw, sig,
                   "AuthJWTAllowUnsignedJWE On")
        + location("/un/off/", "AuthJWTAllowUnsignedJWE Off")
        + location("/unonly/", "AuthJWTDecryptKey alg=A256GCMKW %s" % kw,
                   "AuthJWTAllowUnsignedJWE On",
                   require="Require jwt-scope read")
        + location("/unrsa/", "AuthJWTDecryptKey %s"
                   % K("rsa_enc.key.pem"), sig,
                   "AuthJWTAllowUnsignedJWE On")
        + location("/unno/", "AuthJWTDecryptKey alg=A256KW %s" % kw, sig)
        # enc= narrows the content encryption of one key
        + location("/enc/", "AuthJWTDecryptKey enc=A256GCM,A256CBC-HS512 %s"
                   % K("rsa_enc.key.pem"), sig)
        + location("/enckw/", "AuthJWTDecryptKey alg=A256KW enc=A128GCM %s"
                   % kw, sig))
    # httpd logs every authorization failure at error level (AH01631)
    return httpd("jwe-opts", body, expect=[r"AH01631"])


@pytest.fixture(scope="module")
def inner(ring):
    def make(**kw):
        return pyjwt_token("RS256", ring["rsa"], claims(**kw))
    return make


@pytest.fixture(scope="module")
def kw_key(ring):
    return Key("kw", "oct", secret=ring["hs256"].secret)


# ---- PBES2 and AuthJWTMaxPBES2Count

@pytest.mark.parametrize("alg", ["PBES2-HS256+A128KW", "PBES2-HS512+A256KW"])
@pytest.mark.parametrize("p2c", [1000, 8192, 10000])
def test_pbes2_within_default_ceiling(srv, inner, alg, p2c):
    tok = jwe_pbes2(inner(sub="pb-user"), PASSWORD, p2c, alg=alg)
    r = assert_ok(srv.get("/pb/ok", tok))
    assert r.header("X-Remote-User") == "pb-user"


def test_pbes2_made_by_jwcrypto(srv, inner):
    # an independent implementation (p2c 8192, its fixed count)
    key = Key("pw", "oct", secret=PASSWORD)
    tok = jwe_nested(inner(), key, alg="PBES2-HS256+A128KW", enc="A128GCM",
                     algs=["PBES2-HS256+A128KW", "A128GCM"])
    assert_ok(srv.get("/pb/ok", tok))


@pytest.mark.parametrize("p2c", [10001, 20000, 999, 0])
def test_pbes2_outside_default_ceiling(srv, inner, p2c):
    tok = jwe_pbes2(inner(), PASSWORD, p2c)
    assert_invalid_token(srv.get("/pb/ok", tok), reason="decrypt")


@pytest.mark.parametrize("p2c", [2 ** 31 - 1, 2 ** 53, 10 ** 9])
def test_pbes2_huge_p2c_refused_before_pbkdf2(srv, inner, p2c):
    # C6: two billion PBKDF2 rounds would take minutes of CPU; the count
    # is refused before any is run, so the answer comes at once (the
    # bound is generous: it fails only if the rounds were run)
    tok = jwe_pbes2(inner(), PASSWORD, p2c)
    t0 = time.monotonic()
    r = srv.get("/pb/ok", tok)
    assert time.monotonic() - t0 < 5
    assert_invalid_token(r, reason="decrypt")


def test_pbes2_raised_ceiling(srv, inner):
    assert_ok(srv.get("/pbhi/ok", jwe_pbes2(inner(), PASSWORD, 20000)))
    assert_invalid_token(srv.get("/pbhi/ok",
                                 jwe_pbes2(inner(), PASSWORD, 20001)),
                         reason="decrypt")
    # the default location still refuses the same count
    assert_invalid_token(srv.get("/pb/ok",
                                 jwe_pbes2(inner(), PASSWORD, 20000)),
                         reason="decrypt")


def test_pbes2_ceiling_lowered_in_sub_location(srv, inner):
    # the ceiling merges like every per-directory setting
    assert_ok(srv.get("/pbhi/lo/ok", jwe_pbes2(inner(), PASSWORD, 1000)))
    assert_invalid_token(srv.get("/pbhi/lo/ok",
                                 jwe_pbes2(inner(), PASSWORD, 1001)),
                         reason="decrypt")


def test_pbes2_wrong_password(srv, inner):
    tok = jwe_pbes2(inner(), b"not the password", 1000)
    assert_invalid_token(srv.get("/pb/ok", tok), reason="decrypt")


def test_pbes2_not_named(srv, inner):
    # C6: PBES2 only when named in alg=, even with a key that could serve
    tok = jwe_pbes2(inner(), PASSWORD, 1000)
    assert_invalid_token(srv.get("/pboff/ok", tok),
                         reasons=["decrypt", "alg", "no_key"])


# ---- AuthJWTAllowUnsignedJWE

@pytest.mark.parametrize("alg,enc", [("A256KW", "A256GCM"),
                                     ("A256KW", "A128CBC-HS256"),
                                     ("dir", "A256GCM")])
def test_unsigned_jwe_accepted_when_allowed(srv, kw_key, alg, enc):
    tok = jwe_nested(jdump(claims(sub="plain-user")), kw_key, alg=alg,
                     enc=enc, cty=None)
    r = assert_ok(srv.get("/un/ok", tok))
    assert r.header("X-Remote-User") == "plain-user"
    assert r.header("X-Jwt-Sub") == "plain-user"


def test_unsigned_jwe_without_verify_key(srv, kw_key):
    # a location with only a decryption key: no AJ00006 error, and the
    # claims still decide (Require jwt-scope)
    ok = jwe_nested(jdump(claims(scope="read write")), kw_key,
                    alg="A256GCMKW", enc="A256GCM", cty=None)
    assert_ok(srv.get("/unonly/ok", ok))
    no_scope = jwe_nested(jdump(claims(scope="write")), kw_key,
                          alg="A256GCMKW", enc="A256GCM", cty=None)
    r = srv.get("/unonly/ok", no_scope)
    assert r.status == 401 and "insufficient_scope" in r.header(
        "WWW-Authenticate"), r


def test_unsigned_jwe_without_verify_key_refuses_jws(srv, inner):
    # nothing can verify a plain JWS there
    assert_invalid_token(srv.get("/unonly/ok", inner()),
                         reasons=["no_key", "signature"])


def test_unsigned_jwe_claims_still_validated(srv, kw_key):
    tok = jwe_nested(jdump(claims(exp=1)), kw_key, alg="A256KW", cty=None)
    assert_invalid_token(srv.get("/un/ok", tok), reason="expired")
    tok = jwe_nested(jdump({"sub": "no-exp"}), kw_key, alg="A256KW",
                     cty=None)
    assert_invalid_token(srv.get("/un/ok", tok), reason="missing_claim")


def test_unsigned_jwe_payload_must_be_object(srv, kw_key):
    tok = jwe_nested("not json", kw_key, alg="A256KW", cty=None)
    assert_invalid_token(srv.get("/un/ok", tok),
                         reasons=["json", "malformed", "nested"])


def test_nested_still_verified_when_unsigned_allowed(srv, ring, inner,
                                                     kw_key):
    # allowing unsigned JWE never downgrades a nested token: its inner
    # signature is still checked, with cty JWT and without it
    assert_ok(srv.get("/un/ok", jwe_nested(inner(), kw_key, alg="A256KW")))
    bad = pyjwt_token("RS256", ring["rsa_attacker"], claims())
    for cty in ("JWT", None):
        tok = jwe_nested(bad, kw_key, alg="A256KW", cty=cty)
        assert_invalid_token(srv.get("/un/ok", tok), reason="signature")


def test_unsigned_jwe_needs_shared_secret(srv, ring):
    # C1: anyone holding the public key can encrypt to RSA or ECDH, so
    # the directive never makes those acceptable
    tok = jwe_nested(jdump(claims()), ring["rsa_enc"], cty=None)
    assert_invalid_token(srv.get("/unrsa/ok", tok), reason="nested")


@pytest.mark.parametrize("where", ["/unno/ok", "/un/off/ok"])
def test_unsigned_jwe_refused_by_default(srv, kw_key, where):
    tok = jwe_nested(jdump(claims()), kw_key, alg="A256KW", cty=None)
    assert_invalid_token(srv.get(where, tok), reason="nested")


# ---- AuthJWTDecryptKey enc=

@pytest.mark.parametrize("enc", ["A256GCM", "A256CBC-HS512"])
def test_key_enc_allowed(srv, ring, inner, enc):
    assert_ok(srv.get("/enc/ok", jwe_nested(inner(), ring["rsa_enc"],
                                            enc=enc)))


@pytest.mark.parametrize("enc", ["A128GCM", "A192GCM", "A128CBC-HS256",
                                 "A192CBC-HS384"])
def test_key_enc_refused(srv, ring, inner, enc):
    assert_invalid_token(srv.get("/enc/ok", jwe_nested(inner(),
                                                       ring["rsa_enc"],
                                                       enc=enc)),
                         reason="decrypt")


def test_key_enc_shared_secret(srv, inner, kw_key):
    assert_ok(srv.get("/enckw/ok", jwe_nested(inner(), kw_key,
                                              alg="A256KW", enc="A128GCM")))
    assert_invalid_token(srv.get("/enckw/ok",
                                 jwe_nested(inner(), kw_key, alg="A256KW",
                                            enc="A256GCM")),
                         reason="decrypt")
