# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""README "htjwt" and doc/htjwt.1, against the module in both directions:
keys made by `htjwt keygen` (every type, PEM and JWK) sign tokens with
`htjwt sign` that the module accepts; tokens the module issues pass
`htjwt verify` with the server's JWKS or the public PEM, and tampered or
expired ones are rejected with the module's reason; `decode`,
`thumbprint` (checked against jwcrypto), `apikey` (its lines work with
AuthType ApiKey), nested JWE both ways, `--help` and usage errors (exit
status 0 / 1 / 2 as the man page says).

The binary is $HTJWT (default <repo>/htjwt)."""

import json
import os
import re
import stat
import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import (ec, ed448, ed25519,
                                                       rsa)
from jwcrypto import jwk as jc_jwk

from harness import assert_ok, location
from issue_kit import (HTJWT, PRIVATE_MEMBERS, htpasswd_line, issued,
                       oct_thumbprint, parts, post, run, verify_jwcrypto,
                       verify_pyjwt)
from jose_kit import b64u_decode, claims, craft, jwe_nested, pyjwt_token

USER = ("erin", "erin-password-0123456789")
ISS = "https://htjwt.example/"

# keygen TYPE -> (file stem, expected JWS alg, cryptography check)
TYPES = {
    "rsa:2048": ("rsa", "RS256",
                 lambda k: isinstance(k, rsa.RSAPrivateKey)
                 and k.key_size == 2048),
    "ec:P-256": ("p256", "ES256",
                 lambda k: isinstance(k, ec.EllipticCurvePrivateKey)
                 and k.curve.name == "secp256r1"),
    "ec:P-384": ("p384", "ES384",
                 lambda k: isinstance(k, ec.EllipticCurvePrivateKey)
                 and k.curve.name == "secp384r1"),
    "ec:P-521": ("p521", "ES512",
                 lambda k: isinstance(k, ec.EllipticCurvePrivateKey)
                 and k.curve.name == "secp521r1"),
    "ec:secp256k1": ("k256", "ES256K",
                     lambda k: isinstance(k, ec.EllipticCurvePrivateKey)
                     and k.curve.name == "secp256k1"),
    "ed25519": ("ed25519", "EdDSA",
                lambda k: isinstance(k, ed25519.Ed25519PrivateKey)),
    "ed448": ("ed448", "EdDSA",
              lambda k: isinstance(k, ed448.Ed448PrivateKey)),
    "oct:32": ("oct32", "HS256", None),
    "oct:64": ("oct64", "HS512", None),
}
ASYM = [t for t in TYPES if not t.startswith("oct")]


def htjwt(*args, stdin=None):
    return run([HTJWT] + list(args), stdin=stdin)


def ok(*args, stdin=None):
    rc, out, err = htjwt(*args, stdin=stdin)
    assert rc == 0, "htjwt %s: exit %d\n%s%s" % (" ".join(args), rc, out,
                                                 err)
    return out, err


@pytest.fixture(scope="module")
def keydir(basedir):
    d = os.path.join(basedir, "htjwt-keys")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    return d


@pytest.fixture(scope="module")
def gen(keydir):
    """For each TYPE: <stem>.key.pem (keygen --out), <stem>.pub.pem (its
    public half), <stem>.key.jwk (keygen --jwk), <stem>.pub.jwk; for oct:
    <stem>.secret (keygen text) and <stem>.jwk (keygen --jwk)."""
    out = {}
    for t, (stem, _, _) in TYPES.items():
        p = lambda s: os.path.join(keydir, stem + s)     # noqa: E731
        files = {}
        if t.startswith("oct"):
            ok("keygen", "--out", p(".secret"), t)
            files["secret"] = p(".secret")
            text, _ = ok("keygen", "--jwk", t)
            with open(p(".jwk"), "w") as f:
                f.write(text)
            files["jwk"] = p(".jwk")
        else:
            ok("keygen", "--out", p(".key.pem"), t)
            with open(p(".key.pem"), "rb") as f:
                priv = serialization.load_pem_private_key(f.read(), None)
            with open(p(".pub.pem"), "wb") as f:
                f.write(priv.public_key().public_bytes(
                    serialization.Encoding.PEM,
                    serialization.PublicFormat.SubjectPublicKeyInfo))
            # the PEM key's public half as a JWK (for jwcrypto)
            with open(p(".pem.pub.jwk"), "w") as f:
                f.write(jc_jwk.JWK.from_pem(
                    priv.public_key().public_bytes(
                        serialization.Encoding.PEM,
                        serialization.PublicFormat.SubjectPublicKeyInfo))
                    .export_public())
            # a second key, made as a JWK
            text, _ = ok("keygen", "--jwk", t)
            with open(p(".key.jwk"), "w") as f:
                f.write(text)
            pub = jc_jwk.JWK(**json.loads(text)).export_public()
            with open(p(".pub.jwk"), "w") as f:
                f.write(pub)
            files.update({"key.pem": p(".key.pem"), "pub.pem": p(".pub.pem"),
                          "pem.pub.jwk": p(".pem.pub.jwk"),
                          "key.jwk": p(".key.jwk"), "pub.jwk": p(".pub.jwk")})
        out[t] = files
    return out


@pytest.fixture(scope="module")
def apikeys():
    """Two keys made by htjwt apikey: (key, htpasswd line)."""
    keys = []
    for args in (["--id", "deploy", "--cost", "4"], ["--cost", "4"]):
        out, _ = ok("apikey", *args)
        lines = out.splitlines()
        assert len(lines) == 2, out
        keys.append((lines[0], lines[1]))
    return keys


@pytest.fixture(scope="module")
def srv(httpd, K, gen, apikeys):
    body = ""
    for t, (stem, _, _) in TYPES.items():
        f = gen[t]
        if t.startswith("oct"):
            pem_src, jwk_src = "secret:" + f["secret"], f["jwk"]
        else:
            pem_src, jwk_src = f["pub.pem"], f["pub.jwk"]
        body += location("/v/%s-pem/" % stem, "AuthJWTVerifyKey " + pem_src)
        body += location("/v/%s-jwk/" % stem, "AuthJWTVerifyKey " + jwk_src)
    body += location("/v/claims/", "AuthJWTVerifyKey " +
                     gen["ec:P-256"]["pub.pem"], "AuthJWTIssuer " + ISS,
                     "AuthJWTAudience a1", require="Require jwt-scope read")
    # nested JWE made by htjwt sign --encrypt-to
    body += location("/v/enc/", "AuthJWTVerifyKey " +
                     gen["ed25519"]["pub.pem"],
                     "AuthJWTDecryptKey " + K("rsa_enc.key.pem"),
                     "AuthJWTDecryptKey " + K("p256_enc.key.pem"),
                     "AuthJWTRequireEncryption On")
    # the module issues with a key htjwt made; htjwt verifies
    sign = "AuthJWTSignKey " + gen["ec:P-384"]["key.pem"]
    body += location("/i/", "AuthBasicProvider file",
                     'AuthUserFile "@ROOT@/htpasswd"', "SetHandler jwt-issuer",
                     sign, "AuthJWTIssuer " + ISS, "AuthJWTAudience a1",
                     'AuthJWTScope "read write"', authtype="Basic")
    body += location("/j/", "SetHandler jwt-jwks", sign, authtype=None,
                     realm=None, require="Require all granted")
    body += location("/k/", 'AuthUserFile "@ROOT@/keys"', authtype="ApiKey")
    files = {"htpasswd": htpasswd_line(*USER) + "\n",
             "keys": "".join(line + "\n" for _, line in apikeys)}
    return httpd("htjwt", body, files=files)


def module_token(srv, scope=None):
    r = post(srv, "/i/t", basic=USER, scope=scope)
    return issued(srv, r, scope=scope or "read write")[0]


# ------------------------------------------------------------------ keygen

@pytest.mark.parametrize("t", ASYM)
def test_keygen_pem_and_jwk(gen, t):
    stem, alg, is_type = TYPES[t]
    f = gen[t]
    # --out: mode 0600 (a private key)
    assert stat.S_IMODE(os.stat(f["key.pem"]).st_mode) == 0o600
    with open(f["key.pem"], "rb") as fh:
        text = fh.read()
    assert text.startswith(b"-----BEGIN PRIVATE KEY-----"), text[:40]
    assert is_type(serialization.load_pem_private_key(text, None))
    with open(f["key.jwk"]) as fh:
        j = json.load(fh)
    assert "d" in j and j["use"] == "sig" and j["alg"] == alg, j
    key = jc_jwk.JWK(**j)
    assert key.has_private
    # default kid: the RFC 7638 thumbprint
    assert j["kid"] == key.thumbprint()


@pytest.mark.parametrize("t", ASYM)
def test_keygen_public(t):
    stem, alg, is_type = TYPES[t]
    out, _ = ok("keygen", "--public", t)
    assert out.startswith("-----BEGIN PUBLIC KEY-----"), out[:40]
    assert "PRIVATE" not in out
    pub = serialization.load_pem_public_key(out.encode())
    assert not hasattr(pub, "private_bytes")
    out, _ = ok("keygen", "--jwk", "--public", t)
    j = json.loads(out)
    assert not set(j) & set(PRIVATE_MEMBERS), j
    assert j["kid"] == jc_jwk.JWK(**j).thumbprint()
    assert j["alg"] == alg


def test_keygen_kid_option():
    out, _ = ok("keygen", "--jwk", "--kid", "my-key", "ec:P-256")
    assert json.loads(out)["kid"] == "my-key"


@pytest.mark.parametrize("t,n", [("oct:32", 32), ("oct:64", 64)])
def test_keygen_oct(gen, t, n):
    with open(gen[t]["secret"]) as fh:
        text = fh.read()
    assert text.endswith("\n") and text.count("\n") == 1
    assert re.fullmatch(r"[A-Za-z0-9_-]+", text.strip())
    assert len(b64u_decode(text.strip())) == n
    with open(gen[t]["jwk"]) as fh:
        j = json.load(fh)
    assert j["kty"] == "oct" and len(b64u_decode(j["k"])) == n
    # a kid only when --kid is given
    assert "kid" not in j, j


def test_keygen_default_oct_is_64_bytes():
    out, _ = ok("keygen", "oct")
    assert len(b64u_decode(out.strip())) == 64


def test_keygen_option_forms(keydir):
    # doc/htjwt.1: options come before TYPE; a value follows its option as
    # the next argument or after "="
    path = os.path.join(keydir, "eq-form.pem")
    ok("keygen", "--out=" + path, "ec:P-256")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    out, _ = ok("keygen", "--jwk", "--public", "--kid=idp-2025", "ed25519")
    j = json.loads(out)
    assert j["kid"] == "idp-2025" and j["crv"] == "Ed25519" and "d" not in j


def test_keygen_options_after_type(keydir):
    # options may also follow TYPE (the order htpasswd users expect, and
    # the one the first man page showed: "htjwt keygen ec:P-256 --out F")
    path = os.path.join(keydir, "after-type.pem")
    ok("keygen", "ec:P-256", "--out", path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    assert key.curve.name == "secp256r1"
    out, _ = ok("keygen", "ed25519", "--jwk", "--public")
    j = json.loads(out)
    assert j["crv"] == "Ed25519" and "d" not in j
    # still exactly one TYPE
    rc, out, err = htjwt("keygen", "ed25519", "--jwk", "ed448")
    assert rc == 2 and out == "" and "usage: htjwt keygen" in err


# --------------------------------------------- htjwt sign -> module accepts

@pytest.mark.parametrize("form", ["pem", "jwk"])
@pytest.mark.parametrize("t", list(TYPES))
def test_sign_module_accepts(srv, gen, t, form):
    stem, alg, _ = TYPES[t]
    f = gen[t]
    if t.startswith("oct"):
        src = "secret:" + f["secret"] if form == "pem" else f["jwk"]
    else:
        src = f["key.pem"] if form == "pem" else f["key.jwk"]
    tok, _ = ok("sign", "--key", src, "--sub", "frank")
    tok = tok.strip()
    srv.note_secret(tok)
    hdr, cl, _ = parts(tok)
    assert hdr["alg"] == alg and hdr["typ"] == "JWT", hdr
    if t.startswith("oct"):
        if form == "pem":
            with open(f["secret"], "rb") as fh:
                secret = fh.read().rstrip(b"\n")
        else:
            with open(f["jwk"]) as fh:
                secret = b64u_decode(json.load(fh)["k"])
        assert hdr["kid"] == oct_thumbprint(secret)
        assert verify_pyjwt(tok, alg, secret) == cl
    else:
        with open(f["pem.pub.jwk" if form == "pem" else "pub.jwk"]) as fh:
            pub = json.load(fh)
        assert hdr["kid"] == jc_jwk.JWK(**pub).thumbprint()
        name = "EdDSA" if alg == "EdDSA" else alg
        assert verify_jwcrypto(tok, name, pub) == cl
    assert cl["sub"] == "frank" and cl["exp"] - cl["iat"] == 900
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", cl["jti"])
    r = assert_ok(srv.get("/v/%s-%s/ok" % (stem, form), tok))
    assert r.header("X-Remote-User") == "frank"


def test_sign_claims_options(srv, gen):
    key = gen["ec:P-256"]["key.pem"]
    tok, err = ok("sign", "--key", key, "--iss", ISS, "--sub", "gina",
                "--aud", "a1", "--scope", "read write", "--lifetime", "120",
                "--claim", "team=blue", "--claim", "admin:=false",
                "--claims", '{"level": 3}', "--claim", "sub=mallory",
                "--typ", "at+jwt")
    tok = tok.strip()
    srv.note_secret(tok)
    hdr, cl, _ = parts(tok)
    assert hdr["typ"] == "at+jwt"
    assert set(cl) == {"iss", "sub", "aud", "iat", "exp", "jti", "scope",
                       "team", "admin", "level"}, cl
    # an option given as well wins over --claim(s), and says so
    assert cl["sub"] == "gina"
    assert cl["iss"] == ISS and cl["aud"] == "a1"
    assert cl["exp"] - cl["iat"] == 120
    assert cl["team"] == "blue" and cl["admin"] is False and \
        cl["level"] == 3
    assert '--sub given: the "sub" of --claim(s) is not used' in err, err
    assert_ok(srv.get("/v/claims/ok", tok))


def test_sign_registered_claims_from_json(srv, gen):
    # registered claims given by --claims or --claim are honoured, never
    # dropped in silence
    key = gen["ec:P-256"]["key.pem"]
    tok, err = ok("sign", "--key", key, "--claims",
                  '{"sub":"x","scope":"read","iss":"%s","aud":"a1"}' % ISS)
    tok = tok.strip()
    srv.note_secret(tok)
    _, cl, _ = parts(tok)
    assert cl["sub"] == "x" and cl["scope"] == "read", cl
    assert cl["iss"] == ISS and cl["aud"] == "a1", cl
    assert err == "", err
    assert_ok(srv.get("/v/claims/ok", tok))
    tok, _ = ok("sign", "--key", key, "--claim", "sub=x", "--claim",
                "scope=read write")
    _, cl, _ = parts(tok.strip())
    assert cl["sub"] == "x" and cl["scope"] == "read write", cl
    # aud as an array, jti, and the times: iat is --now, exp the lifetime
    tok, _ = ok("sign", "--key", key, "--claims",
                '{"aud":["a","b"],"jti":"j-1","iat":1700000000,'
                '"exp":1700000600}')
    _, cl, _ = parts(tok.strip())
    assert cl["aud"] == ["a", "b"] and cl["jti"] == "j-1", cl
    assert cl["iat"] == 1700000000 and cl["exp"] == 1700000600, cl
    tok, _ = ok("sign", "--key", key, "--claim", "exp:=1700000300",
                "--now", "1700000000")
    _, cl, _ = parts(tok.strip())
    assert cl["iat"] == 1700000000 and cl["exp"] == 1700000300, cl


@pytest.mark.parametrize("opts,name", [
    (["--sub", "a", "--claims", '{"sub":"b"}'], "sub"),
    (["--iss", "a", "--claim", "iss=b"], "iss"),
    (["--aud", "a", "--claims", '{"aud":["b"]}'], "aud"),
    (["--scope", "a", "--claim", "scope=b"], "scope"),
    (["--lifetime", "60", "--claim", "exp:=9999999999"], "exp"),
    (["--now", "1700000000", "--claim", "iat:=1600000000"], "iat"),
])
def test_sign_option_wins_and_says_so(gen, opts, name):
    tok, err = ok("sign", "--key", gen["ec:P-256"]["key.pem"], *opts)
    _, cl, _ = parts(tok.strip())
    opt = {"exp": "--lifetime", "iat": "--now"}.get(name, "--" + name)
    assert '%s given: the "%s" of --claim(s) is not used' % (opt, name) \
        in err, err
    if name in ("sub", "iss", "scope"):
        assert cl[name] == "a"
    elif name == "aud":
        assert cl["aud"] == "a"
    elif name == "exp":
        assert cl["exp"] - cl["iat"] == 60
    else:
        assert cl["iat"] == 1700000000


@pytest.mark.parametrize("claims_json", [
    '{"nbf":1}', '{"sub":5}', '{"aud":[]}', '{"aud":["a",1]}',
    '{"exp":"soon"}', '{"iat":1.5}', '{"scope":["read"]}',
    '{"iat":1700000000,"exp":1600000000}'])
def test_sign_registered_claims_refused(gen, claims_json):
    rc, out, err = htjwt("sign", "--key", gen["ec:P-256"]["key.pem"],
                         "--claims", claims_json)
    assert rc == 2 and out == "", (rc, out, err)
    assert "--claim(s)" in err, err


def test_sign_two_audiences_and_no_jti(gen):
    tok, _ = ok("sign", "--key", gen["ed25519"]["key.pem"], "--aud", "a",
                "--aud", "b", "--no-jti")
    _, cl, _ = parts(tok.strip())
    assert cl["aud"] == ["a", "b"] and "jti" not in cl


@pytest.mark.parametrize("opt", ["--sub", "--iss", "--aud", "--scope",
                                 "--claim"])
def test_sign_refuses_invalid_utf8(gen, opt):
    # a value that cannot be a JSON string is an error, never a claim that
    # silently disappears from the token
    value = b"\xff".decode("latin-1")
    arg = "team=" + value if opt == "--claim" else value
    # subprocess passes str arguments as UTF-8 unless given bytes
    r = run([HTJWT.encode(), b"sign", b"--key",
             gen["ed25519"]["key.pem"].encode(), b"--no-jti",
             opt.encode(), arg.encode("latin-1")])
    rc, out, err = r
    assert rc == 2, "exit %d, token claims %r" % (
        rc, parts(out.strip())[1] if rc == 0 else None)
    assert out == "" and err.strip()


def test_sign_alg_option(srv, gen):
    tok, _ = ok("sign", "--key", gen["rsa:2048"]["key.pem"], "--alg",
                "PS384", "--sub", "h")
    tok = tok.strip()
    srv.note_secret(tok)
    assert parts(tok)[0]["alg"] == "PS384"
    assert_ok(srv.get("/v/rsa-pem/ok", tok))


def test_sign_refuses_bad_keys(gen, K):
    # a public key cannot sign; alg none / a wrong alg are usage errors
    for args in (["--key", gen["ec:P-256"]["pub.pem"]],
                 ["--key", gen["ec:P-256"]["key.pem"], "--alg", "none"],
                 ["--key", gen["ec:P-256"]["key.pem"], "--alg", "RS256"],
                 ["--key", "secret:" + K("hs_short.secret")],
                 ["--key", gen["ed25519"]["key.pem"], "--lifetime", "0"]):
        rc, out, err = htjwt("sign", *args)
        assert rc == 2, (args, rc, out, err)
        assert out == "", out



def test_secret_that_is_a_key_refused(keydir, K, gen):
    # the module's loader: a certificate or public key in any form is
    # never an HMAC secret (doc/attacks.md A2), for sign and verify alike
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization as ser
    with open(K("rsa.cert.pem"), "rb") as f:
        pem = f.read()
    der = x509.load_pem_x509_certificate(pem).public_key().public_bytes(
        ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)
    files = {"bag.secret": b"Bag Attributes\n    localKeyID: 01 02\n"
                           b"subject=CN = x\n" + pem,
             "pub.der.secret": der}
    tok = craft({"alg": "HS256"}, claims(), "HS256", der)
    for name, data in files.items():
        path = os.path.join(keydir, name)
        with open(path, "wb") as f:
            f.write(data)
        for cmd in (["sign", "--key", "secret:" + path],
                    ["verify", "--key", "secret:" + path, tok]):
            rc, out, err = htjwt(*cmd)
            assert rc == 2, (cmd, rc, out, err)
            assert path in err and "not an HMAC secret" in err, err


@pytest.mark.jwe
@pytest.mark.parametrize("rcpt,alg", [("rsa_enc.pub.pem", "RSA-OAEP-256"),
                                      ("p256_enc.pub.pem", "ECDH-ES+A256KW")])
def test_sign_encrypt_to_module_accepts(srv, gen, K, rcpt, alg):
    tok, _ = ok("sign", "--key", gen["ed25519"]["key.pem"], "--sub", "ivy",
                "--encrypt-to", K(rcpt))
    tok = tok.strip()
    srv.note_secret(tok)
    segs = tok.split(".")
    assert len(segs) == 5
    hdr = json.loads(b64u_decode(segs[0]))
    assert hdr["alg"] == alg and hdr["enc"] == "A256GCM" and \
        hdr["cty"] == "JWT", hdr
    r = assert_ok(srv.get("/v/enc/ok", tok))
    assert r.header("X-Remote-User") == "ivy"


# ------------------------------------------ module token -> htjwt verify

def test_verify_module_token_with_jwks(srv, keydir, gen):
    tok = module_token(srv)
    r = srv.request("/j/jwks.json")
    assert r.status == 200
    path = os.path.join(keydir, "server.jwks.json")
    with open(path, "wb") as f:
        f.write(r.body)
    out, err = ok("verify", "--key", path, "--iss", ISS, "--aud", "a1", tok)
    assert json.loads(out) == parts(tok)[1]
    kid = parts(tok)[0]["kid"]
    assert "accepted (alg ES384, kid %s)" % kid in err, err
    # from standard input (no argument), one trailing newline dropped
    out2, _ = ok("verify", "--key", path, "--aud", "a1",
                 stdin=tok + "\n")
    assert json.loads(out2) == parts(tok)[1]


def test_verify_dash_reads_stdin(srv, gen):
    # "-" is standard input (SYNOPSIS [TOKEN|-]), also after "--" and
    # before the options
    tok = module_token(srv)
    key = gen["ec:P-384"]["pub.pem"]
    for args in (["--key", key, "--aud", "a1", "-"],
                 ["--key", key, "--aud", "a1", "--", "-"],
                 ["-", "--key", key, "--aud", "a1"]):
        out, _ = ok("verify", *args, stdin=tok + "\n")
        assert json.loads(out) == parts(tok)[1], args
    # the token before the options
    out, _ = ok("verify", tok, "--key", key, "--aud", "a1")
    assert json.loads(out) == parts(tok)[1]


def test_verify_module_token_with_pem(srv, gen):
    tok = module_token(srv, scope="read")
    out, _ = ok("verify", "--key", gen["ec:P-384"]["pub.pem"], "--aud",
                "a1", tok)
    cl = json.loads(out)
    assert cl == parts(tok)[1] and cl["scope"] == "read"


def test_verify_audience_rule(srv, gen):
    # the module's rule (RFC 7519 4.1.3): a token that carries aud is
    # rejected unless an audience names it, or --aud '*' accepts any
    tok = module_token(srv)
    key = gen["ec:P-384"]["pub.pem"]
    out = rejected(["--key", key, tok], "audience_not_configured")
    assert out.strip() == ("rejected: audience_not_configured: audience "
                           "not configured")
    rejected(["--key", key, "--aud", "a2", tok], "audience")
    out, _ = ok("verify", "--key", key, "--aud", "*", tok)
    assert json.loads(out)["aud"] == "a1"
    # '*' stands alone, as in AuthJWTAudience
    rc, out, err = htjwt("verify", "--key", key, "--aud", "*", "--aud",
                         "a1", tok)
    assert rc == 2 and "'*'" in err, (rc, out, err)


def rejected(args, reason, stdin=None):
    rc, out, err = htjwt("verify", *args, stdin=stdin)
    assert rc == 1, (rc, out, err)
    assert out.startswith("rejected: %s: " % reason), out
    return out


def test_verify_tampered(srv, gen):
    tok = module_token(srv)
    h, p, s = tok.split(".")
    cl = json.loads(b64u_decode(p))
    cl["scope"] = "read write admin"
    from jose_kit import b64u
    forged = h + "." + b64u(json.dumps(cl)) + "." + s
    out = rejected(["--key", gen["ec:P-384"]["pub.pem"], forged],
                   "signature")
    assert out.strip() == "rejected: signature: invalid signature"
    # a signature of the right length made by another key
    other = gen["ec:P-256"]["pub.pem"]
    rejected(["--key", other, tok], "no_key")


def test_verify_expired(srv, gen):
    tok = module_token(srv)
    exp = parts(tok)[1]["exp"]
    out = rejected(["--key", gen["ec:P-384"]["pub.pem"], "--now",
                    str(exp + 3600), tok], "expired")
    assert out.strip() == "rejected: expired: token expired"
    # a token htjwt signed long ago
    old, _ = ok("sign", "--key", gen["ed25519"]["key.pem"], "--now",
                str(int(time.time()) - 7200), "--lifetime", "60")
    rejected(["--key", gen["ed25519"]["pub.pem"], old.strip()], "expired")


def test_verify_policy_options(srv, gen):
    tok = module_token(srv)
    key = gen["ec:P-384"]["pub.pem"]
    rejected(["--key", key, "--aud", "other", tok], "audience")
    rejected(["--key", key, "--iss", "https://x.example/", tok], "issuer")
    rejected(["--key", key, "--typ", "at+jwt", tok], "type")
    rejected(["--key", key, "--require", "nbf", tok], "missing_claim")
    rejected(["--key", key, "--max-size", "100", tok], "too_large")


def test_verify_require_adds_to_exp(keydir):
    # as AuthJWTRequireClaim: --require NAME adds to exp; only --require
    # none, alone, waives it
    secret = os.path.join(keydir, "req.secret")
    with open(secret, "wb") as f:
        f.write(b"r" * 32)
    noexp = craft({"alg": "HS256"}, {"sub": "alice"}, "HS256", b"r" * 32)
    rejected(["--key", "secret:" + secret, "--require", "sub", noexp],
             "missing_claim")
    rejected(["--key", "secret:" + secret, noexp], "missing_claim")
    out, _ = ok("verify", "--key", "secret:" + secret, "--require", "none",
                noexp)
    assert json.loads(out) == {"sub": "alice"}
    rc, out, err = htjwt("verify", "--key", "secret:" + secret,
                         "--require", "none", "--require", "sub", noexp)
    assert rc == 2 and "'none'" in err, (rc, out, err)


def test_verify_garbage(gen):
    rejected(["--key", gen["ed25519"]["pub.pem"], "abc"], "malformed")


@pytest.mark.jwe
def test_verify_decrypts_jwcrypto_jwe(ring, K):
    inner = pyjwt_token("ES256", ring["p256"], claims(sub="jack"))
    tok = jwe_nested(inner, ring["rsa_enc"])
    out, _ = ok("verify", "--key", K("p256.pub.pem"), "--decrypt-key",
                K("rsa_enc.key.pem"), tok)
    assert json.loads(out)["sub"] == "jack"
    rejected(["--key", K("p256.pub.pem"), tok], "jwe_not_accepted")
    rejected(["--key", K("p256.pub.pem"), "--decrypt-key",
              K("rsa2.key.pem"), tok], "decrypt")


@pytest.mark.jwe
def test_verify_jwe_options(ring, K, basedir):
    # the options of AuthJWTDecryptKey alg=/enc=, AuthJWTMaxPBES2Count and
    # AuthJWTAllowUnsignedJWE, with the same outcomes as the module
    from jose_kit import Key, jdump, jwe_pbes2
    pw = os.path.join(basedir, "htjwt-pbes2.secret")
    with open(pw, "wb") as f:
        f.write(b"a password for htjwt")
    inner = pyjwt_token("ES256", ring["p256"], claims(sub="pbes"))
    tok = jwe_pbes2(inner, b"a password for htjwt", 20000)
    base = ["--key", K("p256.pub.pem"), "--decrypt-key", "secret:" + pw]
    # PBES2 not named: a 20-byte password is no AES key, as at start-up
    rc, _, err = htjwt("verify", *(base + [tok]))
    assert rc == 2 and "A128KW" in err, err
    named = base + ["--decrypt-alg", "PBES2-HS256+A128KW"]
    rejected(named + [tok], "decrypt")                 # p2c over 10000
    out, _ = ok("verify", *(named + ["--max-pbes2-count", "20000", tok]))
    assert json.loads(out)["sub"] == "pbes"
    rc, _, err = htjwt("verify", *(named + ["--max-pbes2-count", "999",
                                            tok]))
    assert rc == 2 and "1000" in err, err
    rc, _, err = htjwt("verify", *(base + ["--decrypt-alg", "RS256", tok]))
    assert rc == 2 and "RS256" in err, err
    # enc=
    enc_tok = jwe_nested(inner, ring["rsa_enc"], enc="A128GCM")
    rsa = ["--key", K("p256.pub.pem"), "--decrypt-key",
           K("rsa_enc.key.pem")]
    ok("verify", *(rsa + ["--enc", "A128GCM,A256GCM", enc_tok]))
    rejected(rsa + ["--enc", "A256GCM", enc_tok], "decrypt")
    rc, _, err = htjwt("verify", *(rsa + ["--enc", "A256gcm", enc_tok]))
    assert rc == 2 and "A256gcm" in err, err
    # a JWE holding the claims: only when allowed, and then with the
    # decryption key alone
    kw = Key("kw", "oct", secret=ring["hs256"].secret)
    plain = jwe_nested(jdump(claims(sub="plain")), kw, alg="A256KW",
                       cty=None)
    dk = ["--decrypt-key", "secret:" + K("hs256.secret")]
    rejected(["--key", K("p256.pub.pem")] + dk + [plain], "nested")
    out, _ = ok("verify", *(dk + ["--allow-unsigned-jwe", plain]))
    assert json.loads(out)["sub"] == "plain"
    rc, _, _ = htjwt("verify", *(dk + [plain]))
    assert rc == 2                                     # no --key: usage


# ------------------------------------------------------------------ decode

def test_decode(srv):
    tok = module_token(srv)
    out, err = ok("decode", tok)
    assert "NOT VERIFIED" in err
    hdr, cl, _ = parts(tok)
    m = re.fullmatch(r"header:\n(.*)\nclaims:\n(.*)\n", out, re.S)
    assert m, out
    assert json.loads(m.group(1)) == hdr
    assert json.loads(m.group(2)) == cl
    # the signature is not checked: a forged one decodes the same
    forged = tok[:-4] + ("AAAA" if not tok.endswith("AAAA") else "BBBB")
    out2, err2 = ok("decode", forged)
    assert out2 == out and "NOT VERIFIED" in err2
    out3, _ = ok("decode", stdin=tok)
    assert out3 == out
    out4, _ = ok("decode", "-", stdin=tok + "\n")
    assert out4 == out


@pytest.mark.jwe
def test_decode_jwe_shows_only_header(ring):
    tok = jwe_nested(pyjwt_token("ES256", ring["p256"], claims()),
                     ring["rsa_enc"])
    out, err = ok("decode", tok)
    assert out.startswith("JWE header (the content is encrypted):\n"), out
    assert json.loads(out.split("\n", 1)[1])["alg"] == "RSA-OAEP-256"
    assert "NOT VERIFIED" in err


def test_decode_not_a_token():
    rc, out, err = htjwt("decode", "abc")
    assert rc == 2 and out == "" and "NOT VERIFIED" in err


# -------------------------------------------------------------- thumbprint

@pytest.mark.parametrize("t", list(TYPES))
def test_thumbprint_matches_jwcrypto(gen, t):
    f = gen[t]
    if t.startswith("oct"):
        with open(f["jwk"]) as fh:
            want = jc_jwk.JWK(**json.load(fh)).thumbprint()
        out, _ = ok("thumbprint", f["jwk"])
        assert out == want + "\n"
        with open(f["secret"], "rb") as fh:
            want = oct_thumbprint(fh.read().rstrip(b"\n"))
        out, _ = ok("thumbprint", "secret:" + f["secret"])
        assert out == want + "\n"
        return
    for pub, srcs in (("pem.pub.jwk", ("key.pem", "pub.pem")),
                      ("pub.jwk", ("key.jwk", "pub.jwk"))):
        with open(f[pub]) as fh:
            want = jc_jwk.JWK(**json.load(fh)).thumbprint()
        for src in srcs:
            out, _ = ok("thumbprint", f[src])
            assert out == want + "\n", src


def test_thumbprint_is_the_module_kid(srv, gen):
    tok = module_token(srv)
    out, _ = ok("thumbprint", gen["ec:P-384"]["pub.pem"])
    assert parts(tok)[0]["kid"] == out.strip()


def test_thumbprint_of_a_key_set(K, ring):
    out, _ = ok("thumbprint", K("set.jwks"))
    want = [ring[n].jwk().thumbprint() for n in ("p256", "rsa", "ed25519")]
    assert out.split() == want


def test_thumbprint_rfc7638_example(keydir):
    # RFC 7638 section 3.1
    jwk = {"kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
           "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAt"
                "VT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn6"
                "4tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FD"
                "W2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n9"
                "1CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINH"
                "aQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}
    p = os.path.join(keydir, "rfc7638.jwk")
    with open(p, "w") as f:
        json.dump(jwk, f)
    out, _ = ok("thumbprint", p)
    assert out == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs\n"


# ------------------------------------------------------------------ apikey

def test_apikey_format(apikeys):
    key, line = apikeys[0]
    assert re.fullmatch(r"deploy\.[A-Za-z0-9_-]{43}", key), key
    assert re.fullmatch(r"deploy:\$2y\$04\$[./A-Za-z0-9]{53}", line), line
    key2, line2 = apikeys[1]
    kid = key2.split(".")[0]
    assert re.fullmatch(r"[A-Za-z0-9_-]{12}", kid), key2
    assert line2.startswith(kid + ":$2y$04$")


def test_apikey_bytes_option():
    out, _ = ok("apikey", "--id", "x", "--bytes", "16", "--cost", "4")
    key = out.splitlines()[0]
    assert len(b64u_decode(key.split(".", 1)[1])) == 16


def test_apikey_keys_work_with_module(srv, apikeys):
    for key, _ in apikeys:
        kid, secret = key.split(".", 1)
        r = srv.request("/k/ok", [("X-API-Key", key)], secrets=[key, secret])
        assert_ok(r)
        assert r.header("X-Remote-User") == kid
        assert r.header("X-Auth-Type") == "ApiKey"
        bad = srv.request("/k/ok", [("X-API-Key", key[:-1])],
                          secrets=[key[:-1]])
        assert bad.status == 401, bad
        assert bad.header("WWW-Authenticate") == 'ApiKey realm="R"'


# ------------------------------------------------------- help and usage

@pytest.mark.parametrize("cmd", ["keygen", "sign", "verify", "decode",
                                 "thumbprint", "apikey"])
def test_help_of_each_command(cmd):
    rc, out, err = htjwt(cmd, "--help")
    assert rc == 0, (rc, err)
    assert out.startswith("usage: htjwt %s" % cmd), out


def test_main_help():
    for arg in ("--help", "-h", "help"):
        rc, out, err = htjwt(arg)
        assert rc == 0 and out.startswith("usage: htjwt COMMAND"), out
        for cmd in ("keygen", "sign", "verify", "decode", "thumbprint",
                    "apikey"):
            assert cmd in out


@pytest.mark.parametrize("args", [
    [],
    ["nosuch"],
    ["keygen"],
    ["keygen", "foo"],
    ["keygen", "rsa:1024"],
    ["keygen", "ec:P-192"],
    ["keygen", "oct:8"],
    ["keygen", "--bogus", "ed25519"],
    ["sign"],
    ["sign", "--sub", "x"],
    ["sign", "--key", "/nonexistent/key.pem"],
    ["sign", "--key", "@KEY@", "--lifetime", "abc"],
    ["sign", "--key", "@KEY@", "--claim", "novalue"],
    ["sign", "--key", "@KEY@", "--claims", "[1,2]"],
    ["sign", "--key", "@KEY@", "--encrypt-to", "@KEY@", "--enc", "A1GCM"],
    ["verify"],
    ["verify", "abc"],
    ["verify", "--key", "/nonexistent/key.pem", "abc"],
    ["verify", "--key", "@KEY@", "--alg", "XS256", "abc"],
    ["verify", "--key", "@KEY@", "a", "b"],
    ["decode", "a", "b"],
    ["thumbprint"],
    ["thumbprint", "a", "b"],
    ["thumbprint", "/nonexistent/key.pem"],
    ["apikey", "--id", "a.b"],
    ["apikey", "--id", "a:b"],
    ["apikey", "--cost", "3"],
    ["apikey", "--bytes", "8"],
    ["apikey", "extra"],
])
def test_usage_errors_exit_2(gen, args):
    key = gen["ed25519"]["key.pem"]
    args = [key if a == "@KEY@" else a for a in args]
    rc, out, err = htjwt(*args)
    assert rc == 2, (args, rc, out, err)
    assert out == "", out
    assert err.strip(), "no message on standard error"
