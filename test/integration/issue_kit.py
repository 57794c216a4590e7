# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Helpers for the issuing side of the black-box suite (manual "Issuing tokens",
"API keys", "Publishing keys", "Protected resource metadata", "htjwt";
doc/attacks.md H): POSTing to a jwt-issuer location, reading its RFC 6749
section 5.1 / 5.2 answers exactly, htpasswd -B lines, the JWKS of a
jwt-jwks location, and checking issued tokens with two independent
libraries (PyJWT and jwcrypto).

Kept out of harness.py so that the validating suite's harness stays as it
is; only harness.Httpd and its raw client are used.
"""

import base64
import json
import os
import re
import subprocess
import sys

import jwt as pyjwt
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws

import harness
from jose_kit import b64u, b64u_decode

HTPASSWD = os.environ.get("HTPASSWD_BIN", "/usr/bin/htpasswd")
HTJWT = os.environ.get("HTJWT", os.path.join(harness.REPO, "htjwt"))
FORM = "application/x-www-form-urlencoded"

# RFC 6749 section 5.2 (invalid_scope) and the fixed descriptions of the
# issuer's invalid_request answers (handlers-report.md)
INVALID_SCOPE_DESC = ("the requested scope is invalid, unknown, or exceeds "
                      "the scope this endpoint may grant")
DUP_SCOPE_DESC = "the scope parameter is given more than once"
NOT_FORM_DESC = "the request body must be " + FORM

# JWS algorithm -> the key each is issued with (jose_kit ring names), the
# alg= option needed (None: the key's default), the PyJWT/jwcrypto name
ISSUE_ALGS = {
    "HS256": ("hs256", None),
    "HS384": ("hs384", None),
    "HS512": ("hs512", None),
    "RS256": ("rsa", None),
    "RS384": ("rsa", "RS384"),
    "RS512": ("rsa", "RS512"),
    "PS256": ("rsa", "PS256"),
    "PS384": ("rsa", "PS384"),
    "PS512": ("rsa", "PS512"),
    "ES256": ("p256", None),
    "ES384": ("p384", None),
    "ES512": ("p521", None),
    "ES256K": ("k256", None),
    "EdDSA-Ed25519": ("ed25519", None),
    "EdDSA-Ed448": ("ed448", None),
}

# doc/attacks.md H / RFC 7518 3.4: raw R||S of the full length
ES_SIG_LEN = {"ES256": 64, "ES384": 96, "ES512": 132, "ES256K": 64}
SIG_LEN = {"HS256": 32, "HS384": 48, "HS512": 64, "EdDSA-Ed25519": 64,
           "EdDSA-Ed448": 114}

PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k", "oth")


def jws_alg(name):
    """'EdDSA-Ed448' -> 'EdDSA'."""
    return name.split("-")[0] if name.startswith("EdDSA") else name


def key_source(K, ring, name):
    """The AuthJWT*Key SOURCE of a jose_kit ring key (private half)."""
    if ring[name].kind == "oct":
        return "secret:" + K(name + ".secret")
    return K(name + ".key.pem")


def verify_source(K, ring, name):
    if ring[name].kind == "oct":
        return "secret:" + K(name + ".secret")
    return K(name + ".pub.pem")


# ---------------------------------------------------------------------------
# credentials

def htpasswd_line(user, password, cost=4):
    """USER:bcrypt-hash from `htpasswd -nbB` (apache2-utils); cost 4 keeps
    the server's check fast."""
    r = subprocess.run([HTPASSWD, "-nbB", "-C", str(cost), user, password],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       check=True)
    line = r.stdout.decode().strip()
    assert line.startswith(user + ":$2y$"), line
    return line


def basic_value(user, password):
    return "Basic " + base64.b64encode(
        ("%s:%s" % (user, password)).encode()).decode()


# ---------------------------------------------------------------------------
# talking to a jwt-issuer location

def post(srv, path, basic=None, scope=None, query=None, headers=(),
         body=None, ctype=FORM, method="POST", secrets=()):
    """METHOD PATH (default POST) with optional Basic credentials (user,
    password), a form body scope=SCOPE (or a raw BODY), a QUERY string."""
    hdrs = list(headers)
    sec = list(secrets)
    if basic is not None:
        hdrs.append(("Authorization", basic_value(*basic)))
        sec.append(basic[1])
    if scope is not None and body is None:
        body = "scope=" + scope.replace(" ", "+")
    if isinstance(body, str):
        body = body.encode()
    if body is not None and ctype is not None:
        hdrs.append(("Content-Type", ctype))
    if body is None and method == "POST":
        body = b""
    if query is not None:
        path = path + "?" + query
    return srv.request(path, hdrs, method=method, body=body, secrets=sec)


def json_body(r):
    assert r.header("Content-Type") is not None, r
    assert r.header("Content-Type").split(";")[0].strip() == \
        "application/json", r.header("Content-Type")
    return json.loads(r.body.decode("utf-8"))


def issued(srv, r, scope=None, lifetime=None):
    """A 200 token response (RFC 6749 5.1 + manual "Issuing tokens"), checked
    exactly: the Authorization header equals the body's access_token,
    Cache-Control no-store, Pragma no-cache, token_type Bearer, expires_in
    and scope (SCOPE None: no scope member).  Returns (token, body).
    The token is remembered as a secret that no log may contain."""
    assert r.status == 200, "expected 200, got %r %r" % (r, r.body[:300])
    doc = json_body(r)
    tok = doc.get("access_token")
    assert isinstance(tok, str) and tok, doc
    srv.note_secret(tok)
    assert r.header_all("Authorization") == ["Bearer " + tok], \
        r.header_all("Authorization")
    assert r.header_all("Cache-Control") == ["no-store"], \
        r.header_all("Cache-Control")
    assert r.header("Pragma") == "no-cache", r.header("Pragma")
    want = {"access_token", "token_type", "expires_in"}
    if scope is not None:
        want.add("scope")
    assert set(doc) == want, "members %r, expected %r" % (sorted(doc),
                                                          sorted(want))
    assert doc["token_type"] == "Bearer", doc
    assert type(doc["expires_in"]) is int, doc
    if lifetime is not None:
        assert doc["expires_in"] == lifetime, doc
    if scope is not None:
        assert doc["scope"] == scope, (doc["scope"], scope)
    return tok, doc


def oauth_error(r, error, description=None):
    """RFC 6749 section 5.2: 400, JSON {"error", "error_description"},
    never cached."""
    assert r.status == 400, "expected 400, got %r %r" % (r, r.body[:300])
    doc = json_body(r)
    assert doc.get("error") == error, doc
    assert set(doc) <= {"error", "error_description"}, doc
    if description is not None:
        assert doc.get("error_description") == description, doc
    assert r.header_all("Cache-Control") == ["no-store"], \
        r.header_all("Cache-Control")
    assert r.header("Pragma") == "no-cache", r.header("Pragma")
    assert r.header("Authorization") is None, r
    return doc


def allow_set(r):
    v = r.header("Allow")
    assert v is not None, "405 without Allow: %r" % (r,)
    return {m.strip() for m in v.split(",") if m.strip()}


# ---------------------------------------------------------------------------
# tokens

def parts(token):
    """(header, claims, signature bytes) of a compact JWS, decoded without
    any check (the checks are done by PyJWT and jwcrypto)."""
    segs = token.split(".")
    assert len(segs) == 3, "not a compact JWS: %d segments" % len(segs)
    hdr = json.loads(b64u_decode(segs[0]))
    cl = json.loads(b64u_decode(segs[1]))
    return hdr, cl, b64u_decode(segs[2])


def strict_b64u(seg):
    """RFC 7515 section 2: base64url without padding, canonical."""
    assert re.fullmatch(r"[A-Za-z0-9_-]*", seg), seg[:40]
    assert b64u(b64u_decode(seg)) == seg, "non-canonical base64url"


def verify_pyjwt(token, alg, key, **kw):
    """PyJWT: KEY is the HMAC secret (bytes), a cryptography public key,
    or a JWK dict."""
    if isinstance(key, dict):
        key = pyjwt.PyJWK(key, algorithm=jws_alg(alg)).key
    opts = {"verify_aud": "audience" in kw}
    return pyjwt.decode(token, key, algorithms=[jws_alg(alg)],
                        options=opts, **kw)


def verify_jwcrypto(token, alg, jwk):
    """jwcrypto: JWK is a jwcrypto.jwk.JWK or a dict; returns the claims."""
    if isinstance(jwk, dict):
        jwk = jc_jwk.JWK(**jwk)
    t = jc_jws.JWS()
    t.deserialize(token)
    t.allowed_algs = [jws_alg(alg)]
    t.verify(jwk)
    return json.loads(t.payload)


def oct_thumbprint(secret):
    return jc_jwk.JWK(kty="oct", k=b64u(secret)).thumbprint()


def thumbprint(key):
    """RFC 7638 SHA-256 thumbprint by jwcrypto of a jose_kit Key."""
    if key.kind == "oct":
        return oct_thumbprint(key.secret)
    return key.jwk().thumbprint()


# ---------------------------------------------------------------------------
# jwt-jwks

def get_jwks(srv, path):
    r = srv.request(path)
    assert r.status == 200, r
    assert r.header("Content-Type").split(";")[0].strip() == \
        "application/jwk-set+json", r.header("Content-Type")
    doc = json.loads(r.body.decode())
    assert set(doc) == {"keys"} and isinstance(doc["keys"], list), doc
    return doc, r


def by_kid(jwks, kid):
    found = [k for k in jwks["keys"] if k.get("kid") == kid]
    assert len(found) == 1, "kid %s: %d keys in %r" % (kid, len(found),
                                                      jwks)
    return found[0]


# ---------------------------------------------------------------------------
# logs

def aj_lines(srv, offset, tag, level=None):
    out = []
    for line in srv.error_lines_since(offset):
        if tag + ":" not in line:
            continue
        if level is not None and "[authn_jwt:%s]" % level not in line:
            continue
        out.append(line)
    return out


def wait_aj(srv, offset, tag, level=None, timeout=3.0):
    """Lines with TAG written since OFFSET (error logs are written by the
    child while answering, so a short wait is enough)."""
    import time
    deadline = time.time() + timeout
    while True:
        lines = aj_lines(srv, offset, tag, level)
        if lines or time.time() > deadline:
            return lines
        time.sleep(0.05)


# ---------------------------------------------------------------------------
# servers that differ from the harness defaults

def start_without_module(group, name, body, module, **kw):
    """A group server whose configuration does not load MODULE (one of
    harness.BASE_MODULES, e.g. unique_id_module).  Registered with the
    group (stopped and checked at the end of the module) and with the
    per-test log guard of conftest.py."""
    srv = group(name, body, start=False, **kw)
    orig = srv.conf_text

    def conf_text():
        out = []
        for line in orig().splitlines():
            if line.startswith("LoadModule %s " % module):
                line = "# %s left out by issue_kit.start_without_module" % \
                    module
            out.append(line)
        return "\n".join(out) + "\n"
    srv.conf_text = conf_text
    srv.start()
    conftest = sys.modules.get("conftest")
    if conftest is not None and hasattr(conftest, "_running"):
        conftest._running.append(srv)
    bad = srv.serious_lines(srv.startup_lines)
    assert not bad, "start-up of %s logged:\n%s" % (name, "\n".join(bad))
    return srv


def run(cmd, stdin=None, timeout=60):
    """Run a command; (exit status, stdout text, stderr text)."""
    r = subprocess.run(cmd, input=stdin.encode() if isinstance(stdin, str)
                       else stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return (r.returncode, r.stdout.decode("utf-8", "replace"),
            r.stderr.decode("utf-8", "replace"))
