# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Every JWS algorithm the validator accepts, issued by the module
(doc/attacks.md H: "the issued-token round-trip must verify with an
independent library"): PyJWT and jwcrypto verify each token with the key
published by the jwt-jwks location next to the issuer (the secret for
HMAC), the header carries the key's default algorithm (or alg=) and its
RFC 7638 thumbprint as kid, ECDSA signatures are raw R||S of full length,
and the module verifies its own tokens.  Then the two-server set-up of
manual "Publishing keys": the JWKS served by this server, saved to a file,
is the AuthJWTVerifyKey of a second httpd that accepts this server's
tokens, and only those its keys (and their alg members) allow."""

import json
import os
import time

import pytest

from harness import assert_invalid_token, assert_ok, location
from issue_kit import (ES_SIG_LEN, ISSUE_ALGS, PRIVATE_MEMBERS, SIG_LEN,
                       by_kid, get_jwks, htpasswd_line, issued, jws_alg,
                       key_source, parts, post, thumbprint, verify_jwcrypto,
                       verify_pyjwt, verify_source)
from jose_kit import b64u, b64u_decode

ISS = "https://a.example/"
AUD = "api-b"
LIFETIME = 300
USER = ("carol", "carol-password-0123456789")


def _public(path, *lines):
    return location(path, *lines, authtype=None, realm=None,
                    require="Require all granted")


@pytest.fixture(scope="module")
def srv(httpd, K, ring):
    body = ""
    for name, (key, alg_opt) in ISSUE_ALGS.items():
        opt = "alg=%s " % alg_opt if alg_opt else ""
        sign = "AuthJWTSignKey %s%s" % (opt, key_source(K, ring, key))
        body += location("/i/%s/" % name, "AuthBasicProvider file",
                         'AuthUserFile "@ROOT@/htpasswd"',
                         "SetHandler jwt-issuer", sign,
                         "AuthJWTIssuer " + ISS, "AuthJWTAudience " + AUD,
                         "AuthJWTLifetime %d" % LIFETIME,
                         'AuthJWTScope "read write"', authtype="Basic")
        body += _public("/j/%s/" % name, "SetHandler jwt-jwks", sign)
        body += location("/v/%s/" % name, "AuthJWTVerifyKey " +
                         verify_source(K, ring, key),
                         "AuthJWTIssuer " + ISS, "AuthJWTAudience " + AUD)
    return httpd("issuing-algs", body,
                 files={"htpasswd": htpasswd_line(*USER) + "\n"})


def issue(srv, name, scope=None):
    r = post(srv, "/i/%s/t" % name, basic=USER, scope=scope)
    return issued(srv, r, scope=scope or "read write", lifetime=LIFETIME)[0]


@pytest.mark.parametrize("name", list(ISSUE_ALGS))
def test_issued_token_verifies_everywhere(srv, ring, name):
    keyname, _ = ISSUE_ALGS[name]
    key = ring[keyname]
    alg = jws_alg(name)
    before = int(time.time())
    tok = issue(srv, name)
    hdr, cl, sig = parts(tok)
    kid = thumbprint(key)
    assert hdr == {"alg": alg, "kid": kid, "typ": "JWT"}, hdr
    # RFC 7518 3.4: raw R||S, both zero-padded to the full length
    want_len = ES_SIG_LEN.get(name) or SIG_LEN.get(name) or 256
    assert len(sig) == want_len, (name, len(sig))
    assert cl["iss"] == ISS and cl["aud"] == AUD and cl["sub"] == "carol"
    assert cl["exp"] - cl["iat"] == LIFETIME
    assert before - 1 <= cl["iat"] <= int(time.time()) + 1

    if key.kind == "oct":
        # a secret is never published
        jwks, _ = get_jwks(srv, "/j/%s/jwks.json" % name)
        assert jwks == {"keys": []}
        assert verify_pyjwt(tok, name, key.secret, audience=AUD,
                            issuer=ISS) == cl
        assert verify_jwcrypto(tok, name, key.jwk()) == cl
    else:
        jwks, _ = get_jwks(srv, "/j/%s/jwks.json" % name)
        assert len(jwks["keys"]) == 1, jwks
        jwk = by_kid(jwks, kid)
        assert jwk["alg"] == alg and jwk["use"] == "sig", jwk
        assert not set(jwk) & set(PRIVATE_MEMBERS), jwk
        assert verify_pyjwt(tok, name, jwk, audience=AUD, issuer=ISS) == cl
        assert verify_jwcrypto(tok, name, jwk) == cl
    # and the module itself
    r = assert_ok(srv.get("/v/%s/ok" % name, tok))
    assert r.header("X-Remote-User") == "carol"


@pytest.mark.parametrize("name", ["RS256", "ES256", "EdDSA-Ed25519",
                                  "HS256"])
def test_tampered_issued_token_refused(srv, name):
    tok = issue(srv, name)
    h, p, s = tok.split(".")
    cl = json.loads(b64u_decode(p))
    cl["sub"] = "mallory"
    forged = h + "." + b64u(json.dumps(cl, separators=(",", ":"))) + "." + s
    assert_invalid_token(srv.get("/v/%s/ok" % name, forged),
                         reason="signature")


def test_narrowed_scope_per_alg(srv):
    tok = issue(srv, "ES384", scope="write")
    assert parts(tok)[1]["scope"] == "write"


# ------------------------------------------------------------ two servers

def test_two_servers_share_keys_by_jwks_file(srv, httpd, basedir):
    """Server A publishes; its JWKS, saved as served, is the key file of
    server B, which then accepts A's tokens."""
    d = os.path.join(basedir, "jwks-from-a")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    files = {}
    for name in ("ES256", "PS256"):
        r = srv.request("/j/%s/jwks.json" % name)
        assert r.status == 200, r
        p = os.path.join(d, "%s.jwks.json" % name)
        with open(p, "wb") as f:
            f.write(r.body)
        os.chmod(p, 0o644)
        files[name] = p
    rules = ["AuthJWTIssuer " + ISS, "AuthJWTAudience " + AUD]
    body = (location("/b/ec/", "AuthJWTVerifyKey " + files["ES256"], *rules)
            + location("/b/rsa/", "AuthJWTVerifyKey " + files["PS256"],
                       *rules))
    b = httpd("issuing-server-b", body)

    es = issue(srv, "ES256")
    ok = assert_ok(b.get("/b/ec/ok", es))
    assert ok.header("X-Remote-User") == "carol"
    ps = issue(srv, "PS256")
    assert_ok(b.get("/b/rsa/ok", ps))
    # a key B does not have
    assert_invalid_token(b.get("/b/ec/ok", issue(srv, "ES384")),
                         reasons=["no_key", "alg"])
    assert_invalid_token(b.get("/b/rsa/ok", es), reasons=["no_key", "alg"])
    # the same RSA key, but the JWK's alg (PS256) narrows what it verifies
    rs = issue(srv, "RS256")
    assert parts(rs)[0]["kid"] == parts(ps)[0]["kid"]
    assert_invalid_token(b.get("/b/rsa/ok", rs), reasons=["alg", "no_key"])
    # tampered
    h, p, s = es.split(".")
    forged = h + "." + p + "." + ("A" if s[0] != "A" else "B") + s[1:]
    assert_invalid_token(b.get("/b/ec/ok", forged), reason="signature")
