# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Every JWS algorithm the manual documents (RFC 7518 section 3, RFC 8037,
RFC 8812)
with tokens made by two independent libraries (PyJWT and jwcrypto), and
AuthJWTVerifyKey: every SOURCE kind and the alg=, kid= and iss= options."""

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519

from harness import assert_invalid_token, assert_ok, location
from jose_kit import (JWS_ALGS, MAKERS, Key, claims, craft, jwcrypto_token,
                      key_for_alg, pyjwt_token)

# location per key: the key verifies every algorithm its type allows
ALG_LOC = {
    "HS256": ("/hs256/", "hs256.secret", "secret:"),
    "HS384": ("/hs384/", "hs384.secret", "secret:"),
    "HS512": ("/hs512/", "hs512.secret", "secret:"),
    "RS256": ("/rsa/", "rsa.pub.pem", ""),
    "RS384": ("/rsa/", "rsa.pub.pem", ""),
    "RS512": ("/rsa/", "rsa.pub.pem", ""),
    "PS256": ("/rsa/", "rsa.pub.pem", ""),
    "PS384": ("/rsa/", "rsa.pub.pem", ""),
    "PS512": ("/rsa/", "rsa.pub.pem", ""),
    "ES256": ("/p256/", "p256.pub.pem", ""),
    "ES384": ("/p384/", "p384.pub.pem", ""),
    "ES512": ("/p521/", "p521.pub.pem", ""),
    "ES256K": ("/k256/", "k256.pub.pem", ""),
    "EdDSA-Ed25519": ("/ed25519/", "ed25519.pub.pem", ""),
    "EdDSA-Ed448": ("/ed448/", "ed448.pub.pem", ""),
}


@pytest.fixture(scope="module")
def srv(httpd, K):
    seen = set()
    body = ""
    for path, f, prefix in ALG_LOC.values():
        if path in seen:
            continue
        seen.add(path)
        body += location(path, "AuthJWTVerifyKey %s%s" % (prefix, K(f)))
    body += location("/alg-ps256/",
                     "AuthJWTVerifyKey alg=PS256 %s" % K("rsa.pub.pem"))
    body += location("/alg-list/", "AuthJWTVerifyKey alg=RS256,PS256 %s"
                     % K("rsa.pub.pem"))
    body += location("/alg-hs384/", "AuthJWTVerifyKey alg=HS384 secret:%s"
                     % K("hs512.secret"))
    body += location("/kid/", "AuthJWTVerifyKey kid=k1 secret:%s"
                     % K("hs256.secret"))
    body += location("/jwk-alg/", "AuthJWTVerifyKey %s" % K("rsa_rs256.jwk"))
    body += location("/jwks/", "AuthJWTVerifyKey %s" % K("set.jwks"))
    body += location(
        "/two-iss/",
        "AuthJWTVerifyKey iss=https://a.example %s" % K("rsa.pub.pem"),
        "AuthJWTVerifyKey iss=https://b.example %s" % K("p256.pub.pem"))
    body += location(
        "/two-keys/",
        "AuthJWTVerifyKey %s" % K("rsa.pub.pem"),
        "AuthJWTVerifyKey %s" % K("rsa2.pub.pem"),
        "AuthJWTVerifyKey secret:%s" % K("hs256.secret"))
    return httpd("algorithms", body)


_OTHER = {}


def _other(kind_key):
    """Another key of the same type: right alg, wrong key (one per type)."""
    k = kind_key
    tag = (k.kind, getattr(getattr(k.priv, "curve", None), "name", None),
           len(k.secret or b""))
    if tag not in _OTHER:
        _OTHER[tag] = _make_other(k)
    return _OTHER[tag]


def _make_other(k):
    if k.kind == "oct":
        return Key("other", "oct", secret=b"x" * len(k.secret))
    if k.kind == "rsa":
        from cryptography.hazmat.primitives.asymmetric import rsa
        return Key("other", "rsa", rsa.generate_private_key(65537, 2048))
    if k.kind == "ec":
        return Key("other", "ec", ec.generate_private_key(k.priv.curve))
    if k.kind == "ed25519":
        return Key("other", "ed25519", ed25519.Ed25519PrivateKey.generate())
    return Key("other", "ed448", ed448.Ed448PrivateKey.generate())


# ---- the algorithm matrix: two libraries, every algorithm

@pytest.mark.parametrize("maker", sorted(MAKERS))
@pytest.mark.parametrize("alg", JWS_ALGS)
def test_algorithm_accepted(srv, ring, alg, maker):
    key = key_for_alg(ring, alg)
    tok = MAKERS[maker](alg, key, claims(sub="u-" + maker))
    r = assert_ok(srv.get(ALG_LOC[alg][0] + "ok", tok))
    assert r.header("X-Remote-User") == "u-" + maker


@pytest.mark.parametrize("alg", JWS_ALGS)
def test_algorithm_wrong_key(srv, ring, alg):
    other = _other(key_for_alg(ring, alg))
    tok = pyjwt_token(alg, other, claims())
    assert_invalid_token(srv.get(ALG_LOC[alg][0] + "ok", tok),
                         reason="signature")


@pytest.mark.parametrize("alg", JWS_ALGS)
def test_algorithm_tampered_payload(srv, ring, alg):
    tok = jwcrypto_token(alg, key_for_alg(ring, alg), claims(sub="alice"))
    h, p, s = tok.split(".")
    p2 = craft({"alg": "x"}, claims(sub="admin")).split(".")[1]
    forged = h + "." + p2 + "." + s
    assert_invalid_token(srv.get(ALG_LOC[alg][0] + "ok", forged),
                         reason="signature")


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_hmac_alg_needs_long_enough_secret(srv, ring, alg):
    # a 32-byte secret may not verify HS384/HS512 (RFC 7518 section 3.2)
    tok = pyjwt_token(alg, ring["hs256"], claims())
    assert_invalid_token(srv.get("/hs256/ok", tok),
                         reasons=["alg", "no_key"])


def test_rsa_key_refuses_other_families(srv, ring):
    for alg in ("ES256", "EdDSA-Ed25519", "HS256"):
        tok = pyjwt_token(alg, key_for_alg(ring, alg), claims())
        assert_invalid_token(srv.get("/rsa/ok", tok),
                             reasons=["alg", "no_key"])


def test_ec_curve_bound_to_alg(srv, ring):
    # ES384 on a P-256 key, ES256K on a P-256 key: alg and curve must agree
    tok = craft({"alg": "ES384"}, claims(), "ES256", ring["p256"])
    assert_invalid_token(srv.get("/p256/ok", tok),
                         reasons=["alg", "no_key", "signature"])
    tok = craft({"alg": "ES256K"}, claims(), "ES256", ring["p256"])
    assert_invalid_token(srv.get("/p256/ok", tok),
                         reasons=["alg", "no_key", "signature"])
    tok = craft({"alg": "ES256"}, claims(), "ES256K", ring["k256"])
    assert_invalid_token(srv.get("/k256/ok", tok),
                         reasons=["alg", "no_key", "signature"])


# ---- alg=

def test_alg_option_narrows(srv, ring):
    assert_ok(srv.get("/alg-ps256/ok",
                      pyjwt_token("PS256", ring["rsa"], claims())))
    assert_invalid_token(
        srv.get("/alg-ps256/ok", pyjwt_token("RS256", ring["rsa"],
                                             claims())),
        reasons=["alg", "no_key"])


def test_alg_option_list(srv, ring):
    for alg in ("RS256", "PS256"):
        assert_ok(srv.get("/alg-list/ok",
                          jwcrypto_token(alg, ring["rsa"], claims())))
    for alg in ("RS384", "PS512"):
        assert_invalid_token(
            srv.get("/alg-list/ok", jwcrypto_token(alg, ring["rsa"],
                                                   claims())),
            reasons=["alg", "no_key"])


def test_alg_option_on_secret(srv, ring):
    # a 64-byte secret named alg=HS384 verifies HS384 only
    assert_ok(srv.get("/alg-hs384/ok",
                      pyjwt_token("HS384", ring["hs512"], claims())))
    for alg in ("HS256", "HS512"):
        assert_invalid_token(
            srv.get("/alg-hs384/ok", pyjwt_token(alg, ring["hs512"],
                                                 claims())),
            reasons=["alg", "no_key"])


# ---- kid=

def test_kid_option(srv, ring):
    key = ring["hs256"]
    assert_ok(srv.get("/kid/ok", pyjwt_token("HS256", key, claims(),
                                             {"kid": "k1"})))
    assert_invalid_token(
        srv.get("/kid/ok", pyjwt_token("HS256", key, claims(),
                                       {"kid": "k2"})),
        reason="no_key")
    # kid compares exactly (RFC 7515 section 4.1.4 is a case-sensitive
    # string)
    assert_invalid_token(
        srv.get("/kid/ok", pyjwt_token("HS256", key, claims(),
                                       {"kid": "K1"})),
        reason="no_key")


def test_kid_absent_tries_the_keys(srv, ring):
    # the module's documented rule (src/jws.c): a token without kid may be
    # verified by any configured key that fits its alg; a token naming a
    # kid only by that key (or keys without a kid)
    assert_ok(srv.get("/kid/ok", pyjwt_token("HS256", ring["hs256"],
                                             claims())))
    assert_invalid_token(srv.get("/kid/ok", pyjwt_token(
        "HS256", ring["hs256"], claims(), {"kid": "other"})),
        reason="no_key")
    assert_invalid_token(srv.get("/kid/ok", pyjwt_token(
        "HS256", ring["hs384"], claims())), reason="signature")


# ---- a JWK's own alg narrows it

def test_jwk_alg_narrows(srv, ring):
    assert_ok(srv.get("/jwk-alg/ok", pyjwt_token(
        "RS256", ring["rsa"], claims(), {"kid": "rsa-jwk"})))
    for alg in ("PS256", "RS512"):
        assert_invalid_token(
            srv.get("/jwk-alg/ok", pyjwt_token(alg, ring["rsa"], claims(),
                                               {"kid": "rsa-jwk"})),
            reasons=["alg", "no_key"])


# ---- JWKS with kids

@pytest.mark.parametrize("alg,kid", [("ES256", "ec-1"), ("RS256", "rsa-1"),
                                     ("PS384", "rsa-1"),
                                     ("EdDSA-Ed25519", "ed-1")])
def test_jwks_kid_selects(srv, ring, alg, kid):
    key = key_for_alg(ring, alg)
    for maker in MAKERS.values():
        assert_ok(srv.get("/jwks/ok", maker(alg, key, claims(),
                                            {"kid": kid})))


def test_jwks_without_kid(srv, ring):
    # every key of the set has a kid; a token without kid is tried against
    # the keys that fit its alg, and only a right signature passes
    assert_ok(srv.get("/jwks/ok", pyjwt_token("ES256", ring["p256"],
                                              claims())))
    assert_invalid_token(srv.get("/jwks/ok", pyjwt_token(
        "ES256", ring["p256b"], claims())), reason="signature")


def test_jwks_kid_of_other_key_type(srv, ring):
    # kid names the RSA key, the token is ES256: the kid-selected key's type
    # must fit the alg (mod_auth_openidc 2026: "on the kid lookup path too")
    tok = pyjwt_token("ES256", ring["p256"], claims(), {"kid": "rsa-1"})
    assert_invalid_token(srv.get("/jwks/ok", tok),
                         reasons=["alg", "no_key"])
    tok = pyjwt_token("RS256", ring["rsa"], claims(), {"kid": "ec-1"})
    assert_invalid_token(srv.get("/jwks/ok", tok),
                         reasons=["alg", "no_key"])


def test_jwks_unknown_kid(srv, ring):
    tok = pyjwt_token("ES256", ring["p256"], claims(), {"kid": "ec-2"})
    assert_invalid_token(srv.get("/jwks/ok", tok), reason="no_key")


def test_jwks_wrong_signer_with_right_kid(srv, ring):
    tok = pyjwt_token("ES256", ring["p256b"], claims(), {"kid": "ec-1"})
    assert_invalid_token(srv.get("/jwks/ok", tok), reason="signature")


# ---- iss= : two identity providers on one location

def test_two_issuers(srv, ring):
    a, b = "https://a.example", "https://b.example"
    assert_ok(srv.get("/two-iss/ok",
                      pyjwt_token("RS256", ring["rsa"], claims(iss=a))))
    assert_ok(srv.get("/two-iss/ok",
                      jwcrypto_token("ES256", ring["p256"], claims(iss=b))))


def test_two_issuers_crossed(srv, ring):
    a, b = "https://a.example", "https://b.example"
    # a's token signed with b's key, and the other way round
    assert_invalid_token(
        srv.get("/two-iss/ok", pyjwt_token("ES256", ring["p256"],
                                           claims(iss=a))),
        reasons=["no_key", "alg", "issuer"])
    assert_invalid_token(
        srv.get("/two-iss/ok", pyjwt_token("RS256", ring["rsa"],
                                           claims(iss=b))),
        reasons=["no_key", "alg", "issuer"])


def test_two_issuers_unknown_or_missing_iss(srv, ring):
    for c in (claims(iss="https://c.example"), claims(),
              claims(iss="https://a.example/")):
        assert_invalid_token(
            srv.get("/two-iss/ok", pyjwt_token("RS256", ring["rsa"], c)),
            reasons=["no_key", "issuer", "missing_claim"])


def test_several_keys_one_location(srv, ring):
    assert_ok(srv.get("/two-keys/ok",
                      pyjwt_token("RS256", ring["rsa"], claims())))
    assert_ok(srv.get("/two-keys/ok",
                      pyjwt_token("PS256", ring["rsa2"], claims())))
    assert_ok(srv.get("/two-keys/ok",
                      pyjwt_token("HS256", ring["hs256"], claims())))
    assert_invalid_token(
        srv.get("/two-keys/ok", pyjwt_token("RS256", ring["rsa_attacker"],
                                            claims())),
        reason="signature")


# ---- every SOURCE kind, each in its own small server so that a refused
# source fails only its own test

SOURCES = {
    # name: (directive argument, alg, signing key, kid or None)
    "pem-public-rsa": ("{K[rsa.pub.pem]}", "RS256", "rsa", None),
    "pem-public-ec": ("{K[p384.pub.pem]}", "ES384", "p384", None),
    "pem-public-ed448": ("{K[ed448.pub.pem]}", "EdDSA-Ed448", "ed448", None),
    "pkcs1-rsa-public": ("{K[rsa.pkcs1.pem]}", "RS256", "rsa", None),
    "cert-rsa": ("{K[rsa.cert.pem]}", "PS256", "rsa", None),
    "cert-ec": ("{K[p256.cert.pem]}", "ES256", "p256", None),
    "cert-ed25519": ("{K[ed25519.cert.pem]}", "EdDSA-Ed25519", "ed25519",
                     None),
    "private-rsa": ("{K[rsa.key.pem]}", "RS384", "rsa", None),
    "private-ec": ("{K[p521.key.pem]}", "ES512", "p521", None),
    "private-ed25519": ("{K[ed25519.key.pem]}", "EdDSA-Ed25519", "ed25519",
                        None),
    "jwk-rsa": ("{K[rsa.pub.jwk]}", "RS256", "rsa", None),
    "jwk-ec-k256": ("{K[k256.pub.jwk]}", "ES256K", "k256", None),
    "jwk-ed448": ("{K[ed448.pub.jwk]}", "EdDSA-Ed448", "ed448", None),
    "jwk-oct-binary": ("{K[oct_bin.jwk]}", "HS512", "oct_bin", "oct-1"),
    "jwk-oct": ("{K[hs384.jwk]}", "HS384", "hs384", None),
    "jwks": ("{K[set.jwks]}", "EdDSA-Ed25519", "ed25519", "ed-1"),
    "secret": ("secret:{K[hs512.secret]}", "HS512", "hs512", None),
    "secret-trailing-newline": ("secret:{K[hs256_nl.secret]}", "HS256",
                                "hs256", None),
    "relative-path": ("secret:../keys/hs256.secret", "HS256", "hs256",
                      None),
}


class _KeyPaths:
    def __init__(self, K):
        self.K = K

    def __getitem__(self, name):
        return self.K(name)


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_verify_key_source(httpd, ring, K, name):
    arg, alg, keyname, kid = SOURCES[name]
    arg = arg.format(K=_KeyPaths(K))
    srv = httpd("src-" + name, location("/s/", "AuthJWTVerifyKey " + arg))
    hdr = {"kid": kid} if kid else None
    key = ring[keyname]
    for maker in MAKERS.values():
        r = assert_ok(srv.get("/s/ok", maker(alg, key, claims(), hdr)))
        assert r.header("X-Remote-User") == "alice"
    tok = pyjwt_token(alg, _other(key), claims(), hdr)
    assert_invalid_token(srv.get("/s/ok", tok), reason="signature")
