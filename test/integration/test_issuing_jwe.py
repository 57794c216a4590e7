# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""AuthJWTEncryptKey: issued tokens become nested JWE (RFC 7519 section
5.2, RFC 7516 compact serialization, cty "JWT").  jwcrypto decrypts them
with the recipient's private key and the inner JWS verifies with the
signing key; the defaults are RSA-OAEP-256 for RSA, ECDH-ES+A256KW for EC,
A256KW for a 32-byte secret, always A256GCM unless enc= says otherwise;
every token has a fresh CEK and IV (doc/attacks.md H, CVE-2021-32791); and
the module itself accepts them where AuthJWTDecryptKey is set."""

import json

import pytest
from jwcrypto import jwe as jc_jwe

from harness import assert_invalid_token, assert_ok, location
from issue_kit import (htpasswd_line, issued, parts, post, thumbprint,
                       verify_jwcrypto, verify_pyjwt, wait_aj)
from jose_kit import b64u_decode

pytestmark = pytest.mark.jwe

USER = ("dave", "dave-password-0123456789")

# name: (sign key, encrypt option+source (ring name, file suffix),
#        expected alg, expected enc, recipient ring key)
CASES = {
    "rsa": ("p256", "", "rsa_enc.pub.pem", "RSA-OAEP-256", "A256GCM",
            "rsa_enc"),
    "ec": ("rsa", "", "p256_enc.pub.pem", "ECDH-ES+A256KW", "A256GCM",
           "p256_enc"),
    "oct": ("ed25519", "", "aes256.jwk", "A256KW", "A256GCM", "aes256"),
    "cbc": ("p256", "alg=RSA-OAEP enc=A128CBC-HS256 ", "rsa_enc.pub.pem",
            "RSA-OAEP", "A128CBC-HS256", "rsa_enc"),
    "kid": ("p256", "kid=enc-1 ", "rsa_enc.pub.pem", "RSA-OAEP-256",
            "A256GCM", "rsa_enc"),
}
SIGN_ALG = {"p256": "ES256", "rsa": "RS256", "ed25519": "EdDSA"}


def _sign_src(K, name):
    return K(name + ".key.pem")


def _pub_src(K, name):
    return K(name + ".pub.pem")


def _dec_src(K, ring, name):
    if ring[name].kind == "oct":
        return K(name + ".jwk")
    return K(name + ".key.pem")


@pytest.fixture(scope="module")
def srv(httpd, K, ring):
    body = ""
    for name, (sk, opt, enc_src, _, _, rcpt) in CASES.items():
        body += location("/i/%s/" % name, "AuthBasicProvider file",
                         'AuthUserFile "@ROOT@/htpasswd"',
                         "SetHandler jwt-issuer",
                         "AuthJWTSignKey " + _sign_src(K, sk),
                         "AuthJWTEncryptKey %s%s" % (opt, K(enc_src)),
                         "AuthJWTScope read", authtype="Basic")
        body += location("/v/%s/" % name, "AuthJWTVerifyKey " +
                         _pub_src(K, sk), "AuthJWTDecryptKey " +
                         _dec_src(K, ring, rcpt))
    # signed only, and the locations that see a JWE without a decrypt key
    body += location("/i/plain/", "AuthBasicProvider file",
                     'AuthUserFile "@ROOT@/htpasswd"',
                     "SetHandler jwt-issuer",
                     "AuthJWTSignKey " + _sign_src(K, "p256"),
                     authtype="Basic")
    body += location("/v/nodecrypt/", "AuthJWTVerifyKey " +
                     _pub_src(K, "p256"))
    body += location("/v/require/", "AuthJWTVerifyKey " +
                     _pub_src(K, "p256"),
                     "AuthJWTDecryptKey " + K("rsa_enc.key.pem"),
                     "AuthJWTRequireEncryption On")
    return httpd("issuing-jwe", body,
                 files={"htpasswd": htpasswd_line(*USER) + "\n"})


def issue(srv, name):
    r = post(srv, "/i/%s/t" % name, basic=USER)
    scope = None if name == "plain" else "read"
    return issued(srv, r, scope=scope)[0]


def decrypt(token, ring, rcpt):
    key = ring[rcpt].jwk(private=ring[rcpt].kind != "oct")
    t = jc_jwe.JWE()
    t.deserialize(token, key=key)
    return json.loads(t.objects["protected"]), t.payload.decode()


@pytest.mark.parametrize("name", list(CASES))
def test_nested_jwe_decrypts_and_verifies(srv, ring, name):
    sk, _, _, alg, enc, rcpt = CASES[name]
    tok = issue(srv, name)
    segs = tok.split(".")
    assert len(segs) == 5, "not a compact JWE"
    hdr, inner = decrypt(tok, ring, rcpt)
    want = {"alg", "enc", "cty"}
    if alg.startswith("ECDH-ES"):
        want.add("epk")
    if name == "kid":
        want.add("kid")
        assert hdr["kid"] == "enc-1"
    assert set(hdr) == want, hdr
    assert hdr["alg"] == alg and hdr["enc"] == enc and hdr["cty"] == "JWT"
    assert "zip" not in hdr
    if enc.endswith("GCM"):
        assert len(b64u_decode(segs[2])) == 12      # IV
        assert len(b64u_decode(segs[4])) == 16      # full tag
    # the inner token is an ordinary signed JWT of the signing key
    ihdr, cl, _ = parts(inner)
    assert ihdr == {"alg": SIGN_ALG[sk], "kid": thumbprint(ring[sk]),
                    "typ": "JWT"}, ihdr
    assert cl["sub"] == "dave" and cl["scope"] == "read"
    assert verify_jwcrypto(inner, SIGN_ALG[sk], ring[sk].jwk()) == cl
    assert verify_pyjwt(inner, SIGN_ALG[sk], ring[sk].pub) == cl


@pytest.mark.parametrize("name", list(CASES))
def test_module_accepts_its_jwe(srv, name):
    tok = issue(srv, name)
    r = assert_ok(srv.get("/v/%s/ok" % name, tok))
    assert r.header("X-Remote-User") == "dave"


def test_fresh_cek_and_iv_per_token(srv):
    seen = {2: set(), 1: set()}
    for _ in range(4):
        segs = issue(srv, "rsa").split(".")
        seen[1].add(segs[1])
        seen[2].add(segs[2])
    assert len(seen[1]) == 4, "encrypted key repeated"
    assert len(seen[2]) == 4, "IV repeated"


def test_other_recipient_cannot_decrypt(srv):
    # the EC token at the RSA recipient's location
    tok = issue(srv, "ec")
    assert_invalid_token(srv.get("/v/rsa/ok", tok),
                         reasons=["decrypt", "no_key", "alg"])


def test_jwe_refused_without_decrypt_key(srv):
    assert_invalid_token(srv.get("/v/nodecrypt/ok", issue(srv, "rsa")),
                         reason="jwe_not_accepted")


def test_require_encryption(srv):
    assert_ok(srv.get("/v/require/ok", issue(srv, "rsa")))
    assert_invalid_token(srv.get("/v/require/ok", issue(srv, "plain")),
                         reason="encryption_required")


def test_info_line_says_encrypted(srv):
    off = srv.error_offset()
    issue(srv, "rsa")
    lines = wait_aj(srv, off, "AJ00016", "info")
    assert lines and " encrypted " in lines[0], lines
    off = srv.error_offset()
    issue(srv, "plain")
    lines = wait_aj(srv, off, "AJ00016", "info")
    assert lines and " encrypted" not in lines[0], lines
