# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""doc/attacks.md sections A (algorithm and key selection), B (signature
values), D (header semantics) and F (encoding, framing, limits) against a
real httpd: every forged token is a 401 invalid_token (or a 400 from httpd's
own request limits), never a 200, never a 500, never a crash, never an
outbound request."""

import json
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.utils import \
    encode_dss_signature

from harness import (Listener, assert_invalid_token, assert_ok,
                     assert_refused, location)
from jose_kit import (b64u, b64u_decode, claims, craft, jdump,
                      jwe_nested, pyjwt_token, sign)

P256_N = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
             16)
ED25519_L = 2 ** 252 + 27742317777372353535851937790883648493


@pytest.fixture(scope="module")
def srv(httpd, K):
    body = (
        location("/a/rsa/", "AuthJWTVerifyKey %s" % K("rsa.pub.pem"))
        + location("/a/ec/", "AuthJWTVerifyKey %s" % K("p256.pub.pem"))
        + location("/a/p521/", "AuthJWTVerifyKey %s" % K("p521.pub.pem"))
        + location("/a/ed/", "AuthJWTVerifyKey %s" % K("ed25519.pub.pem"))
        + location("/a/hs/", "AuthJWTVerifyKey secret:%s"
                   % K("hs256.secret"))
        + location("/a/hskid/", "AuthJWTVerifyKey kid=k1 secret:%s"
                   % K("hs256.secret"))
        + location("/a/kid/", "AuthJWTVerifyKey %s" % K("set.jwks"))
        + location("/a/small/", "AuthJWTMaxTokenSize 1024",
                   "AuthJWTVerifyKey secret:%s" % K("hs256.secret")))
    return httpd("attacks", body)


@pytest.fixture(scope="module")
def listener():
    from conftest import next_port
    for _ in range(8):
        try:
            lst = Listener(next_port())
            break
        except OSError:
            continue
    yield lst
    lst.close()


def hs(ring, c=None, **hdr):
    h = {"alg": "HS256"}
    h.update(hdr)
    return craft(h, c or claims(), "HS256", ring["hs256"])


def valid_for(ring, path):
    """A valid token for a location, and its alg."""
    return {
        "/a/rsa/": lambda: pyjwt_token("RS256", ring["rsa"], claims()),
        "/a/ec/": lambda: pyjwt_token("ES256", ring["p256"], claims()),
        "/a/p521/": lambda: pyjwt_token("ES512", ring["p521"], claims()),
        "/a/ed/": lambda: pyjwt_token("EdDSA", ring["ed25519"], claims()),
        "/a/hs/": lambda: hs(ring),
        "/a/hskid/": lambda: hs(ring, kid="k1"),
        "/a/kid/": lambda: pyjwt_token("RS256", ring["rsa"], claims(),
                                       {"kid": "rsa-1"}),
    }[path]()


LOCS = ["/a/rsa/", "/a/ec/", "/a/p521/", "/a/ed/", "/a/hs/", "/a/hskid/",
        "/a/kid/"]


@pytest.mark.parametrize("path", LOCS)
def test_sanity_valid_tokens(srv, ring, path):
    assert_ok(srv.get(path + "ok", valid_for(ring, path)))


# ---- A1 alg none and friends

@pytest.mark.parametrize("path", ["/a/rsa/", "/a/hs/", "/a/kid/"])
@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
@pytest.mark.parametrize("sig", ["empty", "kept"])
def test_alg_none(srv, ring, path, alg, sig):
    good = valid_for(ring, path)
    h, p, s = good.split(".")
    hdr = {"alg": alg}
    if path == "/a/kid/":
        hdr["kid"] = "rsa-1"
    tok = seg_join(hdr, p, "" if sig == "empty" else s)
    assert_invalid_token(srv.get(path + "ok", tok),
                         reasons=["alg", "malformed", "header"])


def seg_join(hdr, payload_seg, sig_seg):
    return b64u(jdump(hdr)) + "." + payload_seg + "." + sig_seg


@pytest.mark.parametrize("hdr", [
    "{}", '{"typ":"JWT"}', '{"alg":null}', '{"alg":""}', '{"alg":5}',
    '{"alg":["HS256"]}', '{"alg":"HS256 "}', '{"alg":" HS256"}',
    '{"alg":"hs256"}', '{"alg":"HS256\\u0000"}', '{"alg":{"a":1}}',
    '{"alg":true}', '{"alg":"HS-256"}', '{"alg":"HS2560"}'])
def test_alg_missing_or_bad(srv, ring, hdr):
    # the HMAC is right for the bytes sent; only alg is wrong
    tok = craft(hdr, claims(), "HS256", ring["hs256"])
    assert_invalid_token(srv.get("/a/hs/ok", tok),
                         reasons=["alg", "header", "json", "malformed"])


# ---- A2 key confusion: the public key as an HMAC secret

def _confusion_secrets(key):
    pem = key.pub_pem()
    out = {
        "pem": pem,
        "pem-no-newline": pem.rstrip(b"\n"),
        "pem-crlf": pem.replace(b"\n", b"\r\n"),
        "der": key.pub_der(),
        "jwk-json": jdump(key.jwk_dict()).encode(),
        "empty": b"",
        "cert": key.cert_pem(),
    }
    if key.kind == "rsa":
        out["pkcs1"] = key.pub_pkcs1_pem()
        n = key.pub.public_numbers().n
        out["raw-n"] = n.to_bytes(256, "big")
    else:
        out["point"] = key.pub.public_bytes(
            serialization.Encoding.X962,
            serialization.PublicFormat.UncompressedPoint)
    return out


@pytest.mark.parametrize("hs_alg", ["HS256", "HS384", "HS512"])
@pytest.mark.parametrize("path,keyname", [("/a/rsa/", "rsa"),
                                          ("/a/ec/", "p256"),
                                          ("/a/kid/", "rsa")])
def test_rs256_to_hs256_confusion(srv, ring, path, keyname, hs_alg):
    key = ring[keyname]
    hdr = {"alg": hs_alg, "typ": "JWT"}
    if path == "/a/kid/":
        hdr["kid"] = "rsa-1"
    for name, secret in _confusion_secrets(key).items():
        tok = craft(hdr, claims(), hs_alg, secret)
        r = srv.get(path + "ok", tok)
        assert r.status == 401, (name, r)
        assert_invalid_token(r, reasons=["alg", "no_key"])


@pytest.mark.parametrize("path,alg,keyname", [
    ("/a/rsa/", "ES256", "p256"), ("/a/rsa/", "EdDSA", "ed25519"),
    ("/a/ec/", "RS256", "rsa"), ("/a/ec/", "ES384", "p384"),
    ("/a/ec/", "ES256K", "k256"), ("/a/ec/", "EdDSA", "ed25519"),
    ("/a/ed/", "ES256", "p256"), ("/a/ed/", "RS256", "rsa"),
    ("/a/hs/", "RS256", "rsa"), ("/a/hs/", "ES256", "p256"),
    ("/a/p521/", "ES256", "p256")])
def test_cross_family(srv, ring, path, alg, keyname):
    tok = craft({"alg": alg}, claims(), alg, ring[keyname])
    assert_invalid_token(srv.get(path + "ok", tok),
                         reasons=["alg", "no_key"])


def test_es256_signature_under_rs256_name(srv, ring):
    # header says RS256, signature is an ES256 one: wrong length for RSA
    tok = craft({"alg": "RS256"}, claims(), "ES256", ring["p256"])
    assert_invalid_token(srv.get("/a/rsa/ok", tok), reason="signature")


# ---- A3 embedded jwk / x5c; A4 jku / x5u (no outbound request)

def test_embedded_jwk_not_trusted(srv, ring):
    att = ring["rsa_attacker"]
    for path in ("/a/rsa/", "/a/kid/"):
        tok = craft({"alg": "RS256", "jwk": att.jwk_dict()}, claims(),
                    "RS256", att)
        assert_invalid_token(srv.get(path + "ok", tok),
                             reasons=["signature", "no_key", "header"])
    # a symmetric jwk (Wycheproof notes one library took it)
    k = b"k" * 32
    tok = craft({"alg": "HS256", "jwk": {"kty": "oct", "k": b64u(k)}},
                claims(), "HS256", k)
    assert_invalid_token(srv.get("/a/hs/ok", tok),
                         reasons=["signature", "no_key", "header"])


def test_embedded_x5c_not_trusted(srv, ring):
    att = ring["rsa_attacker"]
    der = b"".join(att.cert_pem().split(b"\n")[1:-2])
    tok = craft({"alg": "RS256", "x5c": [der.decode()]}, claims(), "RS256",
                att)
    assert_invalid_token(srv.get("/a/rsa/ok", tok),
                         reasons=["signature", "no_key", "header"])


@pytest.mark.parametrize("member", ["jku", "x5u"])
def test_jku_x5u_never_fetched(srv, ring, listener, member):
    att = ring["rsa_attacker"]
    url = "http://127.0.0.1:%d/jwks.json" % listener.port
    before = len(listener.requests())
    for path, kid in (("/a/rsa/", None), ("/a/kid/", "attacker"),
                      ("/a/kid/", "rsa-1")):
        hdr = {"alg": "RS256", member: url}
        if kid:
            hdr["kid"] = kid
        tok = craft(hdr, claims(), "RS256", att)
        assert_invalid_token(srv.get(path + "ok", tok),
                             reasons=["signature", "no_key", "header"])
    # a legitimately signed token with a jku: accepted or refused, but the
    # URL is never dereferenced
    tok = craft({"alg": "RS256", member: url}, claims(), "RS256",
                ring["rsa"])
    r = srv.get("/a/rsa/ok", tok)
    assert r.status in (200, 401)
    time.sleep(0.3)
    assert len(listener.requests()) == before, listener.requests()


def test_ssrf_urls_in_claims_never_fetched(srv, ring, listener):
    url = "http://127.0.0.1:%d/x" % listener.port
    before = len(listener.requests())
    tok = craft({"alg": "HS256", "x5u": url, "jku": url, "kid": url},
                claims(iss=url, aud=url, sub=url, jku=url), "HS256",
                ring["hs256"])
    srv.get("/a/hs/ok", tok)
    srv.get("/a/kid/ok", tok)
    time.sleep(0.3)
    assert len(listener.requests()) == before, listener.requests()


# ---- A5 kid injection

@pytest.mark.parametrize("path", ["/a/hskid/", "/a/kid/", "/a/hs/"])
@pytest.mark.parametrize("kid,secret", [
    ("../../../../../../dev/null", b""), ("/dev/null", b""), ("", b""),
    ("/invalid_path", b""), ("x' UNION SELECT '1';--", b"1"),
    ("k1' OR '1'='1", b""), ("k1\u0000", b""), ("k1/../k1", b""),
    ("*", b""), ("k%31", b"")])
def test_kid_injection(srv, ring, path, kid, secret):
    tok = craft({"alg": "HS256", "kid": kid}, claims(), "HS256", secret)
    r = srv.get(path + "ok", tok)
    assert_invalid_token(r, reasons=["no_key", "signature", "header",
                                     "json", "malformed", "alg"])


def test_kid_command_injection_no_delay(srv, ring):
    t0 = time.time()
    for kid in ("|sleep 3", "$(sleep 3)", "`sleep 3`", "; sleep 3"):
        tok = craft({"alg": "HS256", "kid": kid}, claims(), "HS256", b"")
        assert_invalid_token(srv.get("/a/hskid/ok", tok),
                             reasons=["no_key", "signature"])
    assert time.time() - t0 < 3


@pytest.mark.parametrize("kid", ['{"$ne":null}', "5", "true", '["k1"]',
                                 "null"])
def test_kid_not_a_string(srv, ring, kid):
    tok = craft('{"alg":"HS256","kid":%s}' % kid, claims(), "HS256",
                ring["hs256"])
    assert_invalid_token(srv.get("/a/hskid/ok", tok),
                         reasons=["header", "no_key"])


def test_kid_too_long(srv, ring):
    # JWS_MAX_KID_LEN 256
    tok = hs(ring, kid="k" * 300)
    assert_invalid_token(srv.get("/a/hs/ok", tok),
                         reasons=["header", "no_key"])


def test_kid_right_key_wrong_kid(srv, ring):
    # the secret is right but the kid names nothing: no fallback to any key
    assert_invalid_token(srv.get("/a/hskid/ok", hs(ring, kid="k2")),
                         reason="no_key")


# ---- L: the signature before the claims

@pytest.mark.parametrize("payload", [
    "not json",
    '{"exp":"soon"}',
    '{"exp":1800000000,"exp":1}',
    '{"sub":"mallory","exp":1}',
])
@pytest.mark.parametrize("path", ["/a/hs/", "/a/rsa/"])
def test_unsigned_payload_never_parsed(srv, ring, path, payload):
    """A payload nobody signed is refused for its signature, never for what
    the JSON parser or the claim checks would have said of it."""
    good = valid_for(ring, path)
    forged = craft(json.loads(b64u_decode(good.split(".")[0])), payload,
                   sig=good.split(".")[2])
    assert_invalid_token(srv.get(path + "ok", forged), reason="signature")


# ---- A6 weak secrets

@pytest.mark.parametrize("secret", [b"", b"secret", b"\x00" * 32,
                                    b"your-256-bit-secret"])
def test_weak_secret_resigning(srv, secret):
    tok = craft({"alg": "HS256"}, claims(), "HS256", secret)
    assert_invalid_token(srv.get("/a/hs/ok", tok), reason="signature")


# ---- B1 signature length

@pytest.mark.parametrize("path", LOCS)
def test_empty_signature(srv, ring, path):
    h, p, _ = valid_for(ring, path).split(".")
    assert_invalid_token(srv.get(path + "ok", h + "." + p + "."),
                         reasons=["signature", "malformed"])


@pytest.mark.parametrize("path", LOCS)
@pytest.mark.parametrize("how", ["truncated1", "truncated_half", "append0",
                                 "prepend0", "cut4chars", "flipbit"])
def test_signature_mangled(srv, ring, path, how):
    tok = valid_for(ring, path)
    h, p, s = tok.split(".")
    sig = b64u_decode(s)
    if how == "truncated1":
        new = b64u(sig[:-1])
    elif how == "truncated_half":
        new = b64u(sig[:len(sig) // 2])
    elif how == "append0":
        new = b64u(sig + b"\x00")
    elif how == "prepend0":
        new = b64u(b"\x00" + sig)
    elif how == "cut4chars":
        new = s[:-4]
    else:
        new = b64u(bytes([sig[0] ^ 1]) + sig[1:])
    srv.note_secret(tok)
    assert_invalid_token(srv.get(path + "ok", h + "." + p + "." + new),
                         reasons=["signature", "base64", "malformed"])


# ---- B2/B3 ECDSA

ES256_HDR = {"alg": "ES256"}


@pytest.mark.parametrize("sig", [
    "A" * 86,                                       # r = s = 0, raw
    "MAYCAQACAQA",                                  # r = s = 0, DER
    b64u(P256_N.to_bytes(32, "big") * 2),           # r = s = n
    b64u((1).to_bytes(32, "big") * 2),              # r = s = 1
    b64u(b"\x00" * 32 + (1).to_bytes(32, "big")),   # r = 0
    b64u((P256_N - 1).to_bytes(32, "big") + b"\x00" * 32),  # s = 0
    b64u(b"\xff" * 64),                             # r, s > n
])
def test_ecdsa_special_values(srv, ring, sig):
    tok = craft(ES256_HDR, claims(), sig=sig)
    assert_invalid_token(srv.get("/a/ec/ok", tok),
                         reasons=["signature", "base64", "malformed"])


def test_ecdsa_psychic_es512(srv):
    tok = craft({"alg": "ES512"}, claims(), sig=b"\x00" * 132)
    assert_invalid_token(srv.get("/a/p521/ok", tok), reason="signature")


def test_ecdsa_der_signature_refused(srv, ring):
    # a correct signature, DER-encoded instead of R||S (RFC 7518 3.4)
    c = claims()
    good = craft(ES256_HDR, c, "ES256", ring["p256"])
    h, p, s = good.split(".")
    raw = b64u_decode(s)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"),
                               int.from_bytes(raw[32:], "big"))
    srv.note_secret(good)
    assert_invalid_token(srv.get("/a/ec/ok", h + "." + p + "." + b64u(der)),
                         reason="signature")


def test_ecdsa_wrong_lengths(srv, ring):
    good = craft(ES256_HDR, claims(), "ES256", ring["p256"])
    h, p, s = good.split(".")
    raw = b64u_decode(s)
    srv.note_secret(good)
    r0, s0 = raw[:32], raw[32:]
    for sig in (r0[1:] + s0, raw + b"\x00", b"\x00" + r0 + s0,
                b"\x00" + r0 + b"\x00" + s0, raw * 2):
        assert_invalid_token(srv.get("/a/ec/ok", h + "." + p + "." +
                                     b64u(sig)), reason="signature")


def test_ecdsa_high_s_is_valid(srv, ring):
    # doc/attacks.md B3: high-S is valid ECDSA, do not reject it
    good = craft(ES256_HDR, claims(), "ES256", ring["p256"])
    h, p, s = good.split(".")
    raw = b64u_decode(s)
    r0, s0 = raw[:32], int.from_bytes(raw[32:], "big")
    tok = h + "." + p + "." + b64u(r0 + (P256_N - s0).to_bytes(32, "big"))
    assert_ok(srv.get("/a/ec/ok", tok))


def test_huge_signature(srv, ring):
    # HAProxy DER-conversion overflow: a huge ES signature before verify
    tok = craft(ES256_HDR, claims(), sig="A" * 6000)
    assert_invalid_token(srv.get("/a/ec/ok", tok),
                         reasons=["signature", "too_large", "malformed"])


# ---- B4 RSA

def test_rsa_signature_length(srv, ring):
    good = pyjwt_token("RS256", ring["rsa"], claims())
    h, p, s = good.split(".")
    raw = b64u_decode(s)
    srv.note_secret(good)
    for sig in (raw[1:], b"\x00" + raw, raw + b"\x00", b"\x00" * 256,
                b"\x01" + b"\x00" * 255, b"\xff" * 256):
        assert_invalid_token(srv.get("/a/rsa/ok", h + "." + p + "." +
                                     b64u(sig)), reason="signature")


def test_pss_salt_length_fixed(srv, ring):
    # PS256 with salt length 0 or 64: RFC 7518 3.5 fixes it to the hash size
    key = ring["rsa"]
    for salt in (0, 20, 64):
        si = b64u(jdump({"alg": "PS256"})) + "." + b64u(jdump(claims()))
        sig = key.priv.sign(si.encode(), padding.PSS(
            padding.MGF1(hashes.SHA256()), salt), hashes.SHA256())
        assert_invalid_token(srv.get("/a/rsa/ok", si + "." + b64u(sig)),
                             reason="signature")


def test_pss_mgf_hash_fixed(srv, ring):
    key = ring["rsa"]
    si = b64u(jdump({"alg": "PS256"})) + "." + b64u(jdump(claims()))
    sig = key.priv.sign(si.encode(), padding.PSS(
        padding.MGF1(hashes.SHA1()), 32), hashes.SHA256())
    assert_invalid_token(srv.get("/a/rsa/ok", si + "." + b64u(sig)),
                         reason="signature")


def test_rsa_padding_swapped(srv, ring):
    # a PKCS#1 v1.5 signature named PS256, a PSS signature named RS256
    c = claims()
    si = b64u(jdump({"alg": "PS256"})) + "." + b64u(jdump(c))
    tok = si + "." + b64u(sign("RS256", ring["rsa"], si))
    assert_invalid_token(srv.get("/a/rsa/ok", tok), reason="signature")
    si = b64u(jdump({"alg": "RS256"})) + "." + b64u(jdump(c))
    tok = si + "." + b64u(sign("PS256", ring["rsa"], si))
    assert_invalid_token(srv.get("/a/rsa/ok", tok), reason="signature")


def test_rsa_hash_swapped(srv, ring):
    c = claims()
    si = b64u(jdump({"alg": "RS256"})) + "." + b64u(jdump(c))
    tok = si + "." + b64u(sign("RS512", ring["rsa"], si))
    assert_invalid_token(srv.get("/a/rsa/ok", tok), reason="signature")


# ---- B6 EdDSA

def test_ed25519_non_canonical_s(srv, ring):
    good = craft({"alg": "EdDSA"}, claims(), "EdDSA", ring["ed25519"])
    h, p, s = good.split(".")
    raw = b64u_decode(s)
    srv.note_secret(good)
    S = int.from_bytes(raw[32:], "little") + ED25519_L
    if S < 2 ** 256:
        bad = raw[:32] + S.to_bytes(32, "little")
        assert_invalid_token(srv.get("/a/ed/ok", h + "." + p + "." +
                                     b64u(bad)), reason="signature")
    for bad in (raw[:-1], raw + b"\x00", b"\x00" * 64):
        assert_invalid_token(srv.get("/a/ed/ok", h + "." + p + "." +
                                     b64u(bad)), reason="signature")


# ---- C1 (framing part): a JWE where no decryption key is configured

def test_jwe_without_decrypt_key(srv, ring):
    inner = pyjwt_token("HS256", ring["hs256"], claims())
    for alg, key in (("RSA-OAEP-256", ring["rsa"]), ("dir", ring["aes256"]),
                     ("A256KW", ring["aes256"])):
        tok = jwe_nested(inner, key, alg=alg, enc="A256GCM")
        assert tok.count(".") == 4
        assert_invalid_token(srv.get("/a/hs/ok", tok),
                             reason="jwe_not_accepted")


def test_enc_in_three_segment_token_is_a_jws(srv, ring):
    # never infer JWE from "enc" in a 3-segment token (doc/attacks.md C1)
    tok = craft({"alg": "HS256", "enc": "A256GCM"}, claims(), "HS256",
                ring["hs256"])
    r = srv.get("/a/hs/ok", tok)
    assert r.status in (200, 401)
    if r.status == 401:
        assert_invalid_token(r, reasons=["header", "nested"])
    tok = craft({"alg": "RSA-OAEP", "enc": "A256GCM"}, claims(), "HS256",
                ring["hs256"])
    assert_invalid_token(srv.get("/a/hs/ok", tok), reasons=["alg", "header"])


# ---- D1 crit, D2 duplicates, D4 member types

@pytest.mark.parametrize("hdr", [
    {"alg": "HS256", "crit": ["foo"], "foo": 1},
    {"alg": "HS256", "crit": ["b64"], "b64": False},
    {"alg": "HS256", "crit": ["b64"], "b64": True},
    {"alg": "HS256", "crit": []},
    {"alg": "HS256", "crit": "exp"},
    {"alg": "HS256", "crit": ["alg"]},
    {"alg": "HS256", "crit": ["foo"]},
    {"alg": "HS256", "crit": ["foo", "foo"], "foo": 1},
    {"alg": "HS256", "crit": [5]},
    {"alg": "HS256", "crit": None},
    {"alg": "HS256", "crit": ["exp"], "exp": 1},
])
def test_crit(srv, ring, hdr):
    tok = craft(hdr, claims(), "HS256", ring["hs256"])
    assert_invalid_token(srv.get("/a/hs/ok", tok), reasons=["crit", "header"])


def test_b64_false_without_crit(srv, ring):
    # RFC 7797: b64 present means reject (D4)
    c = jdump(claims())
    h = b64u(jdump({"alg": "HS256", "b64": False}))
    si = h + "." + c
    tok = h + "." + b64u(c) + "." + b64u(sign("HS256", ring["hs256"], si))
    assert_invalid_token(srv.get("/a/hs/ok", tok), reasons=["header", "crit",
                                                             "signature"])
    tok = craft({"alg": "HS256", "b64": False}, claims(), "HS256",
                ring["hs256"])
    assert_invalid_token(srv.get("/a/hs/ok", tok), reasons=["header", "crit"])


@pytest.mark.parametrize("hdr", [
    '{"alg":"HS256","alg":"none"}', '{"alg":"none","alg":"HS256"}',
    '{"alg":"HS256","alg":"HS256"}', '{"alg":"HS256","kid":"a","kid":"b"}',
    '{"alg":"HS256","typ":"JWT","typ":"at+jwt"}'])
def test_duplicate_header_members(srv, ring, hdr):
    tok = craft(hdr, claims(), "HS256", ring["hs256"])
    assert_invalid_token(srv.get("/a/hs/ok", tok), reasons=["json",
                                                             "malformed"])


@pytest.mark.parametrize("member", ["sub", "exp", "aud", "iss", "jti",
                                    "scope", "x"])
def test_duplicate_claim_members(srv, ring, member):
    c = claims()
    first = '"%s":%s' % (member, jdump(c.get(member, "a")))
    text = "{%s,%s}" % (first, jdump(c)[1:-1]) if member in c else \
        '{"%s":"a","%s":"b",%s}' % (member, member, jdump(c)[1:-1])
    tok = craft({"alg": "HS256"}, text, "HS256", ring["hs256"])
    assert_invalid_token(srv.get("/a/hs/ok", tok), reasons=["json",
                                                             "malformed"])


def test_nested_duplicate_claim_members(srv, ring):
    text = jdump(claims())[:-1] + ',"realm":{"r":"a","r":"b"}}'
    tok = craft({"alg": "HS256"}, text, "HS256", ring["hs256"])
    assert_invalid_token(srv.get("/a/hs/ok", tok), reasons=["json",
                                                             "malformed"])


@pytest.mark.parametrize("hdr", [
    '{"alg":"HS256","typ":5}', '{"alg":"HS256","cty":5}',
    '{"alg":"HS256","zip":5}', '{"alg":"HS256","enc":5}',
    '{"alg":"HS256","typ":null}', '{"alg":"HS256","cty":["JWT"]}'])
def test_header_member_types(srv, ring, hdr):
    # D4: alg, enc, kid, cty, typ, zip must be strings
    tok = craft(hdr, claims(), "HS256", ring["hs256"])
    assert_invalid_token(srv.get("/a/hs/ok", tok), reasons=["header", "alg"])


@pytest.mark.parametrize("hdr", [
    '{"alg":"HS256","zip":"DEF"}', '{"alg":"HS256","zip":"XYZ"}',
    '{"alg":"HS256","cty":"JWT"}'])
def test_header_members_ignored_or_refused(srv, ring, hdr):
    # C7: zip in a JWS header is ignored or rejected, never acted on; a JWS
    # whose cty says JWT is not parsed a second time as a token
    tok = craft(hdr, claims(), "HS256", ring["hs256"])
    r = srv.get("/a/hs/ok", tok)
    assert r.status in (200, 401)
    if r.status == 401:
        assert_invalid_token(r, reasons=["header", "nested"])


@pytest.mark.parametrize("hdr", ["[]", '"HS256"', "null", "1", '[{"alg":'
                                 '"HS256"}]', "", "{"])
def test_header_not_an_object(srv, ring, hdr):
    tok = craft(hdr, claims(), "HS256", ring["hs256"])
    assert_invalid_token(srv.get("/a/hs/ok", tok),
                         reasons=["json", "malformed", "header"])


# ---- F1 base64url strictness

@pytest.mark.parametrize("part", [0, 1, 2])
def test_padding_refused(srv, ring, part):
    # make the segment's length not a multiple of 4, then pad it
    for n in range(4):
        tok = craft({"alg": "HS256", "x": "y" * n}, claims(pad="x" * n),
                    "HS256", ring["hs256"])
        segs = tok.split(".")
        if len(segs[part]) % 4:
            break
    srv.note_secret(tok)
    segs[part] += "=" * (-len(segs[part]) % 4)
    assert_invalid_token(srv.get("/a/hs/ok", ".".join(segs)),
                         reasons=["base64", "malformed"])


def test_standard_alphabet_refused(srv, ring):
    # + and / instead of - and _
    for _ in range(200):
        tok = pyjwt_token("RS256", ring["rsa"], claims())
        s = tok.split(".")[2]
        if "-" in s or "_" in s:
            break
    srv.note_secret(tok)
    bad = tok.replace("-", "+").replace("_", "/")
    assert_invalid_token(srv.get("/a/rsa/ok", bad),
                         reasons=["base64", "malformed"])


def _flip_unused_bits(segment):
    """Change the last character so that lenient decoders still give the
    same bytes (non-zero unused bits)."""
    alphabet = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                "0123456789-_")
    unused = {2: 4, 3: 2}[len(segment) % 4]
    v = alphabet.index(segment[-1])
    assert v & ((1 << unused) - 1) == 0
    return segment[:-1] + alphabet[v | 1]


def test_signature_unused_bits(srv, ring):
    tok = hs(ring)                   # 32-byte MAC: 43 chars, 2 unused bits
    h, p, s = tok.split(".")
    srv.note_secret(tok)
    bad = _flip_unused_bits(s)
    assert b64u_decode(bad) == b64u_decode(s)
    assert_invalid_token(srv.get("/a/hs/ok", h + "." + p + "." + bad),
                         reasons=["base64", "malformed"])


def test_payload_unused_bits(srv, ring):
    for n in range(6):
        c = claims(pad="x" * n)
        p = b64u(jdump(c))
        if len(p) % 4:
            break
    p2 = _flip_unused_bits(p)
    h = b64u(jdump({"alg": "HS256"}))
    # signed over the modified bytes as sent: only the encoding is wrong
    si = h + "." + p2
    tok = si + "." + b64u(sign("HS256", ring["hs256"], si))
    assert_invalid_token(srv.get("/a/hs/ok", tok),
                         reasons=["base64", "malformed"])


def test_header_unused_bits(srv, ring):
    for n in range(6):
        hdr = {"alg": "HS256", "x": "y" * n}
        h = b64u(jdump(hdr))
        if len(h) % 4:
            break
    h2 = _flip_unused_bits(h)
    si = h2 + "." + b64u(jdump(claims()))
    tok = si + "." + b64u(sign("HS256", ring["hs256"], si))
    assert_invalid_token(srv.get("/a/hs/ok", tok),
                         reasons=["base64", "malformed"])


def test_length_one_mod_four(srv, ring):
    tok = hs(ring)
    h, p, s = tok.split(".")
    srv.note_secret(tok)
    for bad in (h + "A." + p + "." + s, h + "." + p + "." + s + "AA",
                h + "." + p + "A." + s):
        segs = bad.split(".")
        if any(len(x) % 4 == 1 for x in segs):
            assert_invalid_token(srv.get("/a/hs/ok", bad),
                                 reasons=["base64", "malformed"])


@pytest.mark.parametrize("ch", ["*", "?", "#", "%", "!", "~", "+", "/",
                                "=", "\\", "\"", "'", "$", "@"])
def test_foreign_characters(srv, ring, ch):
    tok = hs(ring)
    h, p, s = tok.split(".")
    srv.note_secret(tok)
    bad = h + "." + p + "." + s[:10] + ch + s[11:]
    r = srv.get("/a/hs/ok", bad)
    assert_refused(r)


def test_non_ascii_byte_in_token(srv, ring):
    tok = hs(ring)
    h, p, s = tok.split(".")
    raw = (b"GET /a/hs/ok HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close"
           b"\r\nAuthorization: Bearer " + h.encode() + b"." + p.encode() +
           b"." + s[:5].encode() + b"\xc3\xa9" + s[7:].encode() +
           b"\r\n\r\n")
    assert_refused(srv.raw(raw, secrets=[tok]))


# ---- F3 segments and dots

@pytest.mark.parametrize("tok", ["a.b", "a.b.c.d", "a..c", ".b.c", "..",
                                 "....", ".", "a.b.c.d.e.f", "......",
                                 "eyJhbGciOiJIUzI1NiJ9..", "a.b.c."])
def test_segment_count(srv, tok):
    assert_invalid_token(srv.get("/a/hs/ok", tok),
                         reasons=["malformed", "base64", "json",
                                  "jwe_not_accepted", "header", "alg",
                                  "signature"])


def test_valid_token_plus_dot(srv, ring):
    tok = hs(ring)
    srv.note_secret(tok)
    for bad in (tok + ".", "." + tok, tok + "..", tok.replace(".", "..", 1)):
        assert_invalid_token(srv.get("/a/hs/ok", bad),
                             reasons=["malformed", "base64", "json",
                                      "jwe_not_accepted", "header"])


def test_empty_payload(srv, ring):
    h = b64u(jdump({"alg": "HS256"}))
    si = h + "."
    tok = si + "." + b64u(sign("HS256", ring["hs256"], si))
    assert_invalid_token(srv.get("/a/hs/ok", tok),
                         reasons=["malformed", "json"])


def test_many_dots_within_limits(srv):
    assert_invalid_token(srv.get("/a/hs/ok", "." * 8000),
                         reasons=["malformed", "too_large"])
    assert_invalid_token(srv.get("/a/small/ok", "a." * 600),
                         reasons=["too_large"])


def test_many_dots_beyond_httpd_limit(srv):
    # 100 000 dots (CVE-2025-30204 class): httpd's field limit answers 400
    r = srv.get("/a/hs/ok", "." * 100000)
    assert r.status in (400, 401), r


# ---- F4 oversize tokens

@pytest.mark.parametrize("size", [9 * 1024, 64 * 1024, 1024 * 1024])
def test_oversize_default_limits(srv, ring, size):
    c = claims(pad="x" * size)
    tok = hs(ring, c)
    r = srv.get("/a/hs/ok", tok)
    # LimitRequestFieldSize 8190: httpd core 400 first; never a 200
    assert r.status in (400, 401), r


def test_oversize_module_limit(srv, ring):
    tok = hs(ring, claims(pad="x" * 2000))
    assert_invalid_token(srv.get("/a/small/ok", tok), reason="too_large")
    assert_ok(srv.get("/a/small/ok", hs(ring)))


def test_oversize_query_token(srv, ring):
    tok = hs(ring, claims(pad="x" * 10000))
    r = srv.get("/a/hs/ok", query="access_token=" + tok)
    assert r.status in (400, 401, 414), r


# ---- F6 resilience: nothing ever crashes the child

def test_truncations_of_a_valid_token(srv, ring):
    tok = pyjwt_token("ES256", ring["p256"], claims())
    srv.note_secret(tok)
    step = max(1, len(tok) // 60)
    for n in range(1, len(tok), step):
        r = srv.get("/a/ec/ok", tok[:n])
        assert r.status in (400, 401), (n, r)


def test_er_mode_type_confusion(srv, ring):
    # jwt_tool -M er: each header and claim replaced by null/true/false/
    # "jwt_tool"/0, keeping the original signature
    good = pyjwt_token("RS256", ring["rsa"], claims(aud="x", iss="y"))
    h, p, s = good.split(".")
    hdr = json.loads(b64u_decode(h))
    pl = json.loads(b64u_decode(p))
    srv.note_secret(good)
    for which, obj in (("h", hdr), ("p", pl)):
        for k in list(obj):
            for v in (None, True, False, "jwt_tool", 0):
                o = dict(obj)
                o[k] = v
                nh = b64u(jdump(o)) if which == "h" else h
                np = b64u(jdump(o)) if which == "p" else p
                r = srv.get("/a/rsa/ok", nh + "." + np + "." + s)
                assert r.status == 401, (which, k, v, r)
