# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Interoperability: the module against two independent JOSE
implementations, node's `jose` (npm, pinned in package.json) and Python's
jwcrypto (Debian python3-jwcrypto), through a real httpd (one server, one
<Location> per key).

1. JWS (RFC 7515, RFC 7518 section 3, RFC 8037): tokens signed by node jose
   (and jwcrypto) with every documented algorithm are accepted; tokens issued
   by the module (SetHandler jwt-issuer) verify in node jose and jwcrypto
   with the key the module publishes (SetHandler jwt-jwks; HMAC with the
   shared secret).
2. Nested JWE (RFC 7516, RFC 7518 sections 4 and 5, RFC 7519 section 5.2,
   RFC 8037 section 3.2): made by node jose and by jwcrypto for every
   alg x enc pair the manual documents (plus kid selection and ECDH-ES apu/apv),
   accepted by the module; the same token sent to a
   location holding a wrong key of the same type and size, and the token
   with one bit of its tag flipped, answer 401 (decrypt).
3. Nested JWE issued by the module (AuthJWTEncryptKey alg= enc=) for every
   pair the issuer may use (all but RSA1_5, doc/attacks.md H) decrypt in node
   jose and jwcrypto, and the inner JWS verifies.

A module failure is listed in KNOWN (direction, library, row, enc) and runs
as xfail(strict=True): the day it is fixed the run says XPASS and the entry
must go.  The matrix is printed at the end (conftest.py).
"""

import base64
import hashlib
import json
import os
import re
import secrets
import shutil
import string
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x448, x25519
from jwcrypto import jwe as jc_jwe
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws

from harness import StartupError, assert_invalid_token, location
from jose_kit import Key, b64u, b64u_decode, claims, jdump, jwcrypto_token

HERE = os.path.dirname(os.path.abspath(__file__))
NODE = os.environ.get("NODE", shutil.which("node") or "node")
NODE_LIB = "node-jose"
JC_LIB = "jwcrypto"
LIBS = [NODE_LIB, JC_LIB]
USER = "interop"

# ---------------------------------------------------------------------------
# the algorithms (manual "Validating tokens")

JWS_ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
            "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "ES256K",
            "EdDSA-Ed25519", "EdDSA-Ed448"]
# JWS alg -> the session key (test/integration/jose_kit.py KeyRing) that
# signs and verifies it; RS* and PS* use "rsa"
JWS_KEY = {"HS256": "hs256", "HS384": "hs384", "HS512": "hs512",
           "ES256": "p256", "ES384": "p384", "ES512": "p521",
           "ES256K": "k256", "EdDSA-Ed25519": "ed25519",
           "EdDSA-Ed448": "ed448"}

ENCS = ["A128GCM", "A192GCM", "A256GCM", "A128CBC-HS256", "A192CBC-HS384",
        "A256CBC-HS512"]
CEK_LEN = {"A128GCM": 16, "A192GCM": 24, "A256GCM": 32,
           "A128CBC-HS256": 32, "A192CBC-HS384": 48, "A256CBC-HS512": 64}
CURVES = {"P-256": "p256", "P-384": "p384", "P-521": "p521",
          "X25519": "x25519", "X448": "x448"}
ECDH = ["ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW"]
PBES2 = ["PBES2-HS256+A128KW", "PBES2-HS384+A192KW", "PBES2-HS512+A256KW"]

# decryption slots: one <Location> each (/d/SLOT/ the right key, /w/SLOT/ a
# wrong key of the same type and size).  slot -> (alg= option or None,
# right key, wrong key)
SLOTS = {
    "rsa": (None, "rsa_enc", "rsa2"),
    # manual: RSA1_5 and PBES2-* only when named in alg=
    "rsa15": ("RSA1_5", "rsa_enc", "rsa2"),
    "oct16": (None, "oct16", "oct16x"),
    "oct24": (None, "oct24", "oct24x"),
    "oct32": (None, "oct32", "oct32x"),
    "oct48": (None, "oct48", "oct48x"),
    "oct64": (None, "oct64", "oct64x"),
    "pbes2": (",".join(PBES2), "pw", "pwx"),
    "p256": (None, "p256_enc", "p256b"),
    "p384": (None, "p384", "p384x"),
    "p521": (None, "p521", "p521x"),
    "x25519": (None, "x25519", "x25519x"),
    "x448": (None, "x448", "x448x"),
    # two RSA keys told apart by kid= only (jwe.h: a key with a kid
    # decrypts only tokens with exactly that kid): /d/ has enc-a = rsa2,
    # enc-b = rsa_enc; /w/ swaps them, so a module that ignored the
    # token's kid and tried every key would accept there
    "rsakid": (None, "rsa_enc", "rsa2"),
}
KID = "enc-b"
APU, APV = "QWxpY2U", "Qm9i"          # RFC 7518 appendix C: Alice, Bob


def _jwe_rows():
    """(row label, alg, slot or None for dir: the slot follows enc)."""
    rows = [("RSA-OAEP", "RSA-OAEP", "rsa"),
            ("RSA-OAEP-256", "RSA-OAEP-256", "rsa"),
            ("RSA1_5", "RSA1_5", "rsa15")]
    for n in (128, 192, 256):
        rows.append(("A%dKW" % n, "A%dKW" % n, "oct%d" % (n // 8)))
    for n in (128, 192, 256):
        rows.append(("A%dGCMKW" % n, "A%dGCMKW" % n, "oct%d" % (n // 8)))
    rows.append(("dir", "dir", None))
    for a in ECDH:
        for crv, slot in CURVES.items():
            rows.append(("%s %s" % (a, crv), a, slot))
    for a in PBES2:
        rows.append((a, a, "pbes2"))
    rows.append(("RSA-OAEP-256 kid", "RSA-OAEP-256", "rsakid"))
    for a in ("ECDH-ES", "ECDH-ES+A256KW"):
        for crv in ("P-256", "X25519"):
            rows.append(("%s %s apu/apv" % (a, crv), a, CURVES[crv]))
    return rows


JWE_ROWS = _jwe_rows()


def extra(row):
    """Per-row extras: protected header members, ECDH-ES PartyUInfo and
    PartyVInfo (RFC 7518 4.6.1.2-3, part of the Concat KDF input), and
    whether the issuer direction applies (the module never sets apu/apv)."""
    if row.endswith(" kid"):
        return {"header": {"kid": KID}, "kmp": None, "issued": True}
    if row.endswith(" apu/apv"):
        return {"header": {}, "kmp": {"apu": APU, "apv": APV},
                "issued": False}
    return {"header": {}, "kmp": None, "issued": True}


def slot_of(row_slot, enc):
    return row_slot or "oct%d" % CEK_LEN[enc]


def slug(text):
    return re.sub(r"[^A-Za-z0-9-]", "_", text)


# ---------------------------------------------------------------------------
# known module failures: (direction, library, row, enc) -> reason.
# direction: jws-accept, jws-issued, accept, wrongkey, tamper, issued;
# enc is None for JWS.
KNOWN = {}

INTEROP_TABLES = [
    ("JWS: library -> module (accepted) and module -> library (issued "
     "by jwt-issuer, verified with the jwt-jwks key / the HMAC secret)",
     ["lib->module", "module->lib"]),
    ("JWE made by the library -> module (accepted; and 401 with a wrong "
     "key and with a flipped tag bit)", ENCS),
    ("JWE issued by the module -> library (decrypted, inner JWS "
     "verified)", ENCS),
]
T_JWS, T_JWE_IN, T_JWE_OUT = (t[0] for t in INTEROP_TABLES)


def _param(direction, lib, row, enc, table, col, *values):
    marks = [pytest.mark.cell(table, lib, row, col)]
    reason = KNOWN.get((direction, lib, row, enc))
    if reason:
        marks.append(pytest.mark.xfail(strict=True, reason=reason))
    ident = "-".join(x for x in (lib, slug(row), enc) if x)
    return pytest.param(lib, row, enc, *values, marks=marks, id=ident)


def jws_params(direction, libs):
    col = "lib->module" if direction == "jws-accept" else "module->lib"
    return [_param(direction, lib, alg, None, T_JWS, col)
            for alg in JWS_ALGS for lib in libs]


def jwe_params(direction):
    table = T_JWE_OUT if direction == "issued" else T_JWE_IN
    out = []
    for lib in LIBS:
        for row, alg, rslot in JWE_ROWS:
            if direction == "issued" and (alg == "RSA1_5"
                                          or not extra(row)["issued"]):
                continue
            for enc in ENCS:
                out.append(_param(direction, lib, row, enc, table, enc, alg,
                                  slot_of(rslot, enc)))
    return out


# ---------------------------------------------------------------------------
# keys

def _okp_jwk(priv, crv):
    raw = serialization.Encoding.Raw
    d = priv.private_bytes(raw, serialization.PrivateFormat.Raw,
                           serialization.NoEncryption())
    x = priv.public_key().public_bytes(raw, serialization.PublicFormat.Raw)
    pub = {"kty": "OKP", "crv": crv, "x": b64u(x)}
    return dict(pub, d=b64u(d)), pub


class Kit:
    """Every key of the suite as JWKs (for the libraries) and files (for
    the module): name -> {"priv", "pub", "dec", "enc"} where dec/enc are the
    module's AuthJWTDecryptKey / AuthJWTEncryptKey SOURCE."""

    def __init__(self, ring):
        self.ring = ring
        self.keys = {}
        for name in ("rsa", "rsa2", "rsa_enc", "p256", "p256b", "p256_enc",
                     "p384", "p521", "k256", "ed25519", "ed448"):
            k = ring[name]
            self._add(name, k.jwk_dict(private=True), k.jwk_dict(),
                      ring.path(name + ".key.pem"),
                      ring.path(name + ".pub.pem"))
        for name in ("hs256", "hs384", "hs512"):
            k = ring[name]
            jwk = {"kty": "oct", "k": b64u(k.secret)}
            src = "secret:" + ring.path(name + ".secret")
            self._add(name, jwk, jwk, src, src)
        for name, curve in (("p384x", ec.SECP384R1()),
                            ("p521x", ec.SECP521R1())):
            k = Key(name, "ec", ec.generate_private_key(curve))
            self._files(name, k.priv_pem(), k.pub_pem())
            self._add(name, k.jwk_dict(private=True), k.jwk_dict(),
                      ring.path(name + ".key.pem"),
                      ring.path(name + ".pub.pem"))
        for name, cls, crv in (("x25519", x25519.X25519PrivateKey, "X25519"),
                               ("x25519x", x25519.X25519PrivateKey,
                                "X25519"),
                               ("x448", x448.X448PrivateKey, "X448"),
                               ("x448x", x448.X448PrivateKey, "X448")):
            priv = cls.generate()
            pem = priv.private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
            pub = priv.public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo)
            self._files(name, pem, pub)
            jpriv, jpub = _okp_jwk(priv, crv)
            self._add(name, jpriv, jpub, ring.path(name + ".key.pem"),
                      ring.path(name + ".pub.pem"))
        # AES keys (KW, GCMKW, dir) as JWK files: binary, no newline rule
        for n in (16, 24, 32, 48, 64):
            for name in ("oct%d" % n, "oct%dx" % n):
                jwk = {"kty": "oct", "k": b64u(os.urandom(n))}
                path = ring.path(name + ".jwk")
                self._write(path, jdump(jwk))
                self._add(name, jwk, jwk, path, path)
        # PBES2 passwords: secret:PATH, printable, no trailing newline
        for name in ("pw", "pwx"):
            pw = "".join(secrets.choice(string.ascii_letters + string.digits)
                         for _ in range(24))
            path = ring.path(name + ".secret")
            self._write(path, pw)
            jwk = {"kty": "oct", "k": b64u(pw)}
            self._add(name, jwk, jwk, "secret:" + path, "secret:" + path)
        # Basic credentials for the issuer locations ({SHA}: fast to check)
        self.password = "pw-" + secrets.token_hex(12)
        sha = base64.b64encode(hashlib.sha1(
            self.password.encode()).digest()).decode()
        self.htpasswd = ring.path("interop.htpasswd")
        self._write(self.htpasswd, "%s:{SHA}%s\n" % (USER, sha))

    def _write(self, path, data):
        with open(path, "wb" if isinstance(data, bytes) else "w") as f:
            f.write(data)
        os.chmod(path, 0o644)

    def _files(self, name, priv_pem, pub_pem):
        self._write(self.ring.path(name + ".key.pem"), priv_pem)
        self._write(self.ring.path(name + ".pub.pem"), pub_pem)

    def _add(self, name, priv, pub, dec, enc):
        self.keys[name] = {"priv": priv, "pub": pub, "dec": dec, "enc": enc}

    def __getitem__(self, name):
        return self.keys[name]


def jws_alg(alg):
    """'EdDSA-Ed448' -> 'EdDSA'."""
    return alg.split("-")[0]


def jws_key_name(alg):
    return JWS_KEY.get(alg, "rsa")


# ---------------------------------------------------------------------------
# the server: one httpd, one <Location> per key / algorithm / pair

# inner JWS of the nested tokens: node-jose signs ES256, jwcrypto RS256
INNER = {NODE_LIB: ("ES256", "p256"), JC_LIB: ("RS256", "rsa")}
ISSUED_INNER = ("ES256", "p256")


def _verify_lines(kit):
    return ["AuthJWTVerifyKey alg=%s %s" % (alg, kit[key]["enc"])
            for alg, key in INNER.values()]


def issuer_lines(kit):
    return ["AuthBasicProvider file", 'AuthUserFile "%s"' % kit.htpasswd,
            "SetHandler jwt-issuer"]


def jwe_issue_path(row, enc):
    return "/e/%s/%s" % (slug(row), enc)


def encrypt_line(kit, alg, slot, enc, kid=None):
    key = kit[SLOTS[slot][1]]
    return "AuthJWTEncryptKey alg=%s enc=%s %s%s" % (
        alg, enc, "kid=%s " % kid if kid else "", key["enc"])


def server_locations(kit):
    """path -> <Location> text, in configuration order."""
    locs = {}

    def add(path, *lines, **kw):
        locs[path] = location(path, *lines, **kw)

    for slot in SLOTS:
        for prefix, wrong in (("d", False), ("w", True)):
            opt, right, bad = SLOTS[slot]
            key = kit[bad if wrong else right]
            lines = ["AuthJWTDecryptKey %s%s" % (
                "alg=%s " % opt if opt else "", key["dec"])]
            if slot == "rsakid":
                other = kit[right if wrong else bad]
                lines = ["AuthJWTDecryptKey kid=enc-a %s" % other["dec"],
                         "AuthJWTDecryptKey kid=%s %s" % (KID, key["dec"])]
            add("/%s/%s/" % (prefix, slot), *lines, *_verify_lines(kit))
    for alg in JWS_ALGS:
        key = kit[jws_key_name(alg)]
        a = jws_alg(alg)
        add("/s/%s/" % alg, "AuthJWTVerifyKey alg=%s %s" % (a, key["enc"]))
        sign = "AuthJWTSignKey alg=%s %s" % (a, key["dec"])
        add("/i/%s" % alg, *issuer_lines(kit), sign, realm="I",
            authtype="Basic")
        add("/k/%s" % alg, "SetHandler jwt-jwks", sign, realm=None,
            authtype=None, require=None)
    ialg, ikey = ISSUED_INNER
    sign = "AuthJWTSignKey alg=%s %s" % (ialg, kit[ikey]["dec"])
    for row, alg, rslot in JWE_ROWS:
        if alg == "RSA1_5" or not extra(row)["issued"]:
            continue
        for enc in ENCS:
            add(jwe_issue_path(row, enc), *issuer_lines(kit), sign,
                encrypt_line(kit, alg, slot_of(rslot, enc), enc,
                             extra(row)["header"].get("kid")),
                realm="I", authtype="Basic")
    return locs


def _location_at(conf_path, lineno):
    """The path of the <Location> enclosing line LINENO of the config."""
    with open(conf_path) as f:
        lines = f.read().splitlines()[:lineno]
    for line in reversed(lines):
        m = re.match(r'\s*<Location "([^"]+)">', line)
        if m:
            return m.group(1)
        if line.strip().startswith("</Location"):
            return None
    return None


@pytest.fixture(scope="module")
def kit(ring):
    return Kit(ring)


@pytest.fixture(scope="module")
def srv(httpd, kit):
    """The one server.  A <Location> the module refuses at start-up (found
    with `apache2 -t`, which names the line) is left out and remembered in
    srv.dropped, so that only the cells needing it fail, with the module's
    own message, instead of the whole matrix."""
    locs = server_locations(kit)
    dropped = {}
    try:
        s = httpd("interop", "".join(locs.values()))
        s.dropped = dropped
        return s
    except StartupError:
        pass
    for _ in range(len(locs)):
        probe = httpd("interop-configtest", "".join(locs.values()),
                      start=False)
        rc, out = probe.configtest()
        if rc == 0:
            break
        m = re.search(r"line (\d+) of", out)
        path = _location_at(probe.conf_path, int(m.group(1))) if m else None
        if path not in locs:
            break           # not one location's fault: start-up says why
        dropped[path] = out.strip()
        del locs[path]
    s = httpd("interop", "".join(locs.values()))
    s.dropped = dropped
    return s


def need(srv, *paths):
    """Fail (with the start-up error) when a location was refused."""
    for path in paths:
        if path in srv.dropped:
            pytest.fail("the module refused <Location %s> at start-up:\n%s"
                        % (path, srv.dropped[path]), pytrace=False)


# ---------------------------------------------------------------------------
# node jose

def node(script, jobs):
    if not os.path.isfile(os.path.join(HERE, "node_modules", "jose",
                                       "package.json")):
        pytest.fail("node's jose is not installed: run `npm ci` in %s "
                    "(test/interop/run.sh does)" % HERE, pytrace=False)
    r = subprocess.run([NODE, os.path.join(HERE, script)],
                       input=json.dumps({"jobs": jobs}).encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       cwd=HERE, timeout=300)
    assert r.returncode == 0, "%s failed (%d): %s" % (
        script, r.returncode, r.stderr.decode("utf-8", "replace"))
    return json.loads(r.stdout)


def _payload(lib):
    return claims(sub="%s-%s" % (USER, lib))


# ---------------------------------------------------------------------------
# jwcrypto

def jc_nested(kit, alg, enc, key_name, row):
    salg, skey = INNER[JC_LIB]
    inner = jwcrypto_token(salg, kit.ring[skey], _payload(JC_LIB),
                           headers={"typ": "JWT"})
    hdr = {"alg": alg, "enc": enc, "cty": "JWT"}
    hdr.update(extra(row)["header"])
    hdr.update(extra(row)["kmp"] or {})     # jwcrypto reads apu/apv here
    t = jc_jwe.JWE(inner.encode(), protected=jdump(hdr), algs=[alg, enc])
    t.add_recipient(jc_jwk.JWK(**kit[key_name]["pub"]))
    return t.serialize(compact=True)


def jc_check(token, verify_key, verify_alg, decrypt=None):
    """jwcrypto: decrypt (alg, enc, private JWK) if asked, then verify the
    JWS with VERIFY_KEY (a JWK dict) -> (jwe header, jws header, claims)."""
    jwe_header = None
    jws_text = token
    if decrypt is not None:
        alg, enc, priv = decrypt
        t = jc_jwe.JWE(algs=[alg, enc])
        t.deserialize(token, key=jc_jwk.JWK(**priv))
        jwe_header = t.jose_header
        jws_text = t.payload.decode()
    s = jc_jws.JWS()
    s.deserialize(jws_text)
    s.verify(jc_jwk.JWK(**verify_key), alg=verify_alg)
    return jwe_header, s.jose_header, json.loads(s.payload)


# ---------------------------------------------------------------------------
# tokens made by the libraries (once per run, node in one process)

@pytest.fixture(scope="module")
def made(kit):
    """(direction, lib, row, enc) -> token, or an Exception text."""
    jobs = []
    ids = {}
    for alg in JWS_ALGS:
        key = kit[jws_key_name(alg)]
        jid = "jws-%s" % alg
        ids[jid] = ("jws-accept", NODE_LIB, alg, None)
        jobs.append({"id": jid, "sign": {
            "alg": jws_alg(alg), "key": key["priv"],
            "payload": _payload(NODE_LIB)}})
    out = {}
    for alg in JWS_ALGS:
        out[("jws-accept", JC_LIB, alg, None)] = jwcrypto_token(
            alg, kit.ring[jws_key_name(alg)], _payload(JC_LIB),
            headers={"typ": "JWT"})
    salg, skey = INNER[NODE_LIB]
    for row, alg, rslot in JWE_ROWS:
        for enc in ENCS:
            slot = slot_of(rslot, enc)
            rkey = kit[SLOTS[slot][1]]
            jid = "jwe-%s-%s" % (row, enc)
            ids[jid] = ("jwe", NODE_LIB, row, enc)
            jobs.append({"id": jid,
                         "sign": {"alg": salg, "key": kit[skey]["priv"],
                                  "payload": _payload(NODE_LIB)},
                         "encrypt": {"alg": alg, "enc": enc,
                                     "key": rkey["pub"],
                                     "header": extra(row)["header"],
                                     "kmp": extra(row)["kmp"]}})
            try:
                out[("jwe", JC_LIB, row, enc)] = jc_nested(
                    kit, alg, enc, SLOTS[slot][1], row)
            except Exception as e:     # reported by the test of the cell
                out[("jwe", JC_LIB, row, enc)] = RuntimeError(
                    "jwcrypto could not make the token: %r" % e)
    for jid, res in node("jose_make.mjs", jobs).items():
        out[ids[jid]] = res["token"] if "token" in res else RuntimeError(
            "node jose could not make the token: %s" % res["error"])
    return out


def token_of(made, *key):
    tok = made[key]
    if isinstance(tok, Exception):
        pytest.fail(str(tok), pytrace=False)
    return tok


def flip_tag(token):
    p = token.split(".")
    tag = bytearray(b64u_decode(p[4]))
    tag[-1] ^= 1
    p[4] = b64u(bytes(tag))
    return ".".join(p)


def module_log(srv, since):
    """The module's error-log lines since offset SINCE (for messages)."""
    return "\n".join(l for l in srv.error_lines_since(since)
                     if "authn_jwt" in l)


# ---------------------------------------------------------------------------
# 1. JWS

@pytest.mark.parametrize("lib,row,enc", jws_params("jws-accept", LIBS))
def test_jws_accept(srv, made, lib, row, enc):
    need(srv, "/s/%s/" % row)
    tok = token_of(made, "jws-accept", lib, row, enc)
    off = srv.error_offset()
    r = srv.get("/s/%s/ok" % row, tok)
    assert r.status == 200, "%r\n%s" % (r, module_log(srv, off))
    assert r.header("X-Remote-User") == "%s-%s" % (USER, lib)


def _post(srv, kit, path):
    if path in srv.dropped:
        return {"status": None, "token": None, "path": path}
    off = srv.error_offset()
    r = srv.request(path, [
        ("Authorization", "Basic " + base64.b64encode(
            ("%s:%s" % (USER, kit.password)).encode()).decode()),
        ("Content-Type", "application/x-www-form-urlencoded")],
        method="POST", body=b"", secrets=[kit.password])
    lines = srv.error_lines_since(off)
    tok = None
    if r.status == 200:
        tok = json.loads(r.body)["access_token"]
        assert r.header("Authorization") == "Bearer " + tok
        # an issued token is as secret as a sent one: never in a log
        srv.note_secret(tok)
    return {"status": r.status, "response": r, "token": tok,
            "lines": lines, "path": path}


@pytest.fixture(scope="module")
def issued(srv, kit):
    """POST to every issuer location once, then node jose checks every
    token in one process.  (direction, row, enc) -> POST result with
    "node": node's answer."""
    res = {}
    jobs = []
    for alg in JWS_ALGS:
        p = _post(srv, kit, "/i/%s" % alg)
        p["jwks"], p["jwks_status"] = None, None
        if "/k/%s" % alg not in srv.dropped:
            jwks = srv.request("/k/%s" % alg)
            p["jwks_status"] = jwks.status
            if jwks.status == 200:
                p["jwks"] = json.loads(jwks.body)
        res[("jws-issued", alg, None)] = p
        if p["token"] is None:
            continue
        a = jws_alg(alg)
        verify = {"algs": [a]}
        if alg.startswith("HS"):
            verify["key"] = kit[jws_key_name(alg)]["pub"]
        else:
            verify["jwks"] = p["jwks"] or {"keys": []}
        jobs.append({"id": "jws-%s" % alg, "token": p["token"],
                     "verify": verify})
    ialg, ikey = ISSUED_INNER
    for row, alg, rslot in JWE_ROWS:
        if alg == "RSA1_5" or not extra(row)["issued"]:
            continue
        for enc in ENCS:
            p = _post(srv, kit, jwe_issue_path(row, enc))
            p["decrypt"] = (alg, enc, kit[SLOTS[slot_of(rslot, enc)][1]]
                            ["priv"])
            res[("issued", row, enc)] = p
            if p["token"] is None:
                continue
            jobs.append({"id": "jwe-%s-%s" % (row, enc),
                         "token": p["token"],
                         "decrypt": {"alg": alg, "enc": enc,
                                     "key": p["decrypt"][2]},
                         "verify": {"algs": [ialg],
                                    "key": kit[ikey]["pub"]}})
    answers = node("jose_check.mjs", jobs)
    for key, p in res.items():
        direction, row, enc = key
        jid = ("jws-%s" % row) if direction == "jws-issued" else \
            "jwe-%s-%s" % (row, enc)
        p["node"] = answers.get(jid)
    return res


def _issued_ok(srv, p):
    need(srv, p["path"])
    bad = srv.serious_lines(p["lines"])
    assert p["status"] == 200 and not bad, \
        "issuer answered %r\n%s" % (p["response"], "\n".join(
            l for l in p["lines"] if "authn_jwt" in l))


def _check_claims(payload, jws_header, alg):
    assert payload["sub"] == USER
    assert payload["exp"] - payload["iat"] == 900
    assert jws_header["alg"] == alg
    assert jws_header.get("kid"), jws_header


@pytest.mark.parametrize("lib,row,enc", jws_params("jws-issued", LIBS))
def test_jws_issued(srv, kit, issued, lib, row, enc):
    p = issued[("jws-issued", row, None)]
    _issued_ok(srv, p)
    a = jws_alg(row)
    if not row.startswith("HS"):
        need(srv, "/k/%s" % row)
        assert p["jwks_status"] == 200, "jwt-jwks answered %d" \
            % p["jwks_status"]
        assert len(p["jwks"]["keys"]) == 1, p["jwks"]
        pub = p["jwks"]["keys"][0]
        for member in ("d", "p", "q", "dp", "dq", "qi", "k"):
            assert member not in pub, "private member %s in JWKS" % member
        assert pub.get("alg") == a and pub.get("use") == "sig", pub
    if lib == NODE_LIB:
        ans = p["node"]
        assert ans and "error" not in ans, "node jose: %s" % (
            ans and ans.get("error"))
        header, payload = ans["header"], ans["payload"]
    else:
        hdr = json.loads(b64u_decode(p["token"].split(".")[0]))
        if row.startswith("HS"):
            vkey = kit[jws_key_name(row)]["pub"]
        else:
            ks = [k for k in p["jwks"]["keys"] if k.get("kid") == hdr["kid"]]
            assert len(ks) == 1, "kid %r not once in the JWKS %r" % (
                hdr.get("kid"), p["jwks"])
            vkey = ks[0]
        _, header, payload = jc_check(p["token"], vkey, a)
    _check_claims(payload, header, a)


# ---------------------------------------------------------------------------
# 2. nested JWE made by the libraries

def _jwe_get(srv, path, tok):
    need(srv, path.rsplit("/", 1)[0] + "/")
    off = srv.error_offset()
    r = srv.get(path, tok)
    return r, off


@pytest.mark.parametrize("lib,row,enc,alg,slot", jwe_params("accept"))
def test_jwe_accept(srv, made, lib, row, enc, alg, slot):
    tok = token_of(made, "jwe", lib, row, enc)
    r, off = _jwe_get(srv, "/d/%s/ok" % slot, tok)
    assert r.status == 200, "%r\n%s" % (r, module_log(srv, off))
    assert r.header("X-Remote-User") == "%s-%s" % (USER, lib)


@pytest.mark.parametrize("lib,row,enc,alg,slot", jwe_params("wrongkey"))
def test_jwe_wrong_key(srv, made, lib, row, enc, alg, slot):
    tok = token_of(made, "jwe", lib, row, enc)
    r, off = _jwe_get(srv, "/w/%s/ok" % slot, tok)
    try:
        assert_invalid_token(r, reason="decrypt")
    except AssertionError as e:
        raise AssertionError("%s\n%s" % (e, module_log(srv, off)))


@pytest.mark.parametrize("lib,row,enc,alg,slot", jwe_params("tamper"))
def test_jwe_tampered_tag(srv, made, lib, row, enc, alg, slot):
    tok = token_of(made, "jwe", lib, row, enc)
    srv.note_secret(tok)
    r, off = _jwe_get(srv, "/d/%s/ok" % slot, flip_tag(tok))
    try:
        assert_invalid_token(r, reason="decrypt")
    except AssertionError as e:
        raise AssertionError("%s\n%s" % (e, module_log(srv, off)))


# ---------------------------------------------------------------------------
# 3. nested JWE issued by the module

@pytest.mark.parametrize("lib,row,enc,alg,slot", jwe_params("issued"))
def test_jwe_issued(srv, kit, issued, lib, row, enc, alg, slot):
    p = issued[("issued", row, enc)]
    _issued_ok(srv, p)
    ialg, ikey = ISSUED_INNER
    if lib == NODE_LIB:
        ans = p["node"]
        assert ans and "error" not in ans, "node jose: %s" % (
            ans and ans.get("error"))
        jwe_header, header, payload = (ans["jwe_header"], ans["header"],
                                       ans["payload"])
    else:
        jwe_header, header, payload = jc_check(
            p["token"], kit[ikey]["pub"], ialg, decrypt=p["decrypt"])
    assert jwe_header["alg"] == alg and jwe_header["enc"] == enc, jwe_header
    assert jwe_header.get("cty", "").upper() in ("JWT", "APPLICATION/JWT")
    assert "zip" not in jwe_header
    # handlers: the JWE header names a kid only when the key has one
    assert jwe_header.get("kid") == extra(row)["header"].get("kid"), \
        jwe_header
    _check_claims(payload, header, ialg)
