# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Keys and tokens for the black-box suite.

Keys are made once per session (RSA 2048, EC P-256/P-384/P-521/secp256k1,
Ed25519, Ed448, HMAC secrets of 32/48/64 bytes) and written as PEM, DER,
certificate, JWK and JWKS files.  Tokens come from two independent libraries,
PyJWT and jwcrypto, and from `craft`, which assembles a compact JWS byte by
byte over the `cryptography` package so that attacks can break any rule
(RFC 7515 section 7.1, RFC 7518 section 3).
"""

import base64
import datetime
import hashlib
import hmac
import json
import os
import secrets
import string
import time
import uuid

import jwt as pyjwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import (ec, ed448, ed25519,
                                                       padding, rsa)
from cryptography.hazmat.primitives.asymmetric.utils import \
    decode_dss_signature
from cryptography.x509.oid import NameOID
from jwcrypto import jwe as jc_jwe
from jwcrypto import jwk as jc_jwk
from jwcrypto import jws as jc_jws

JWS_ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
            "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "ES256K",
            "EdDSA-Ed25519", "EdDSA-Ed448"]

_HASH = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
_HASHLIB = {"256": hashlib.sha256, "384": hashlib.sha384,
            "512": hashlib.sha512}
_EC_SIZE = {"ES256": 32, "ES384": 48, "ES512": 66, "ES256K": 32}


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(s):
    s = s + "=" * (-len(s) % 4)
    return base64.urlsafe_b64decode(s)


def jdump(obj):
    return json.dumps(obj, separators=(",", ":"))


def now():
    return int(time.time())


def claims(**kw):
    """Default claims: sub alice, iat now, exp now+300, a fresh jti.
    A value of None removes the claim."""
    t = now()
    c = {"sub": "alice", "iat": t, "exp": t + 300,
         "jti": "jti-" + uuid.uuid4().hex}
    for k, v in kw.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def _ascii_secret(n):
    # printable and without a newline, so "secret:PATH" reads it unchanged
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n)).encode()


class Key:
    """One key pair or secret, with every file form the tests need."""

    def __init__(self, name, kind, priv=None, secret=None):
        self.name = name
        self.kind = kind            # rsa, ec, ed25519, ed448, oct
        self.priv = priv
        self.secret = secret
        self.files = {}

    @property
    def pub(self):
        return self.priv.public_key() if self.priv is not None else None

    def pub_pem(self):
        return self.pub.public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo)

    def pub_der(self):
        return self.pub.public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo)

    def pub_pkcs1_pem(self):
        return self.pub.public_bytes(serialization.Encoding.PEM,
                                     serialization.PublicFormat.PKCS1)

    def priv_pem(self):
        return self.priv.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption())

    def jwk(self, private=False):
        """jwcrypto JWK (the private key when PRIVATE)."""
        cache = self.__dict__.setdefault("_jwk", {})
        if private not in cache:
            if self.kind == "oct":
                cache[private] = jc_jwk.JWK(kty="oct", k=b64u(self.secret))
            elif private:
                cache[private] = jc_jwk.JWK.from_pem(self.priv_pem())
            else:
                cache[private] = jc_jwk.JWK.from_pem(self.pub_pem())
        return cache[private]

    def jwk_dict(self, private=False, **extra):
        if self.kind == "oct" or private:
            d = json.loads(self.jwk(private).export(private_key=True))
        else:
            d = json.loads(self.jwk().export_public())
        # jwcrypto names keys by their thumbprint; a kid is only there when
        # a test asks for one
        d.pop("kid", None)
        d.update(extra)
        return d

    def cert_pem(self):
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                                "mod_authn_jwt test")])
        t = datetime.datetime.utcnow()
        algo = None if self.kind in ("ed25519", "ed448") else hashes.SHA256()
        cert = (x509.CertificateBuilder().subject_name(subject)
                .issuer_name(subject).public_key(self.pub)
                .serial_number(x509.random_serial_number())
                .not_valid_before(t - datetime.timedelta(days=1))
                .not_valid_after(t + datetime.timedelta(days=30))
                .sign(self.priv, algo))
        return cert.public_bytes(serialization.Encoding.PEM)


class KeyRing:
    """All session keys, written under DIRECTORY (absolute paths)."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        os.chmod(directory, 0o755)
        k = {}
        k["rsa"] = Key("rsa", "rsa",
                       rsa.generate_private_key(65537, 2048))
        k["rsa2"] = Key("rsa2", "rsa",
                        rsa.generate_private_key(65537, 2048))
        k["rsa_enc"] = Key("rsa_enc", "rsa",
                           rsa.generate_private_key(65537, 2048))
        k["rsa_attacker"] = Key("rsa_attacker", "rsa",
                                rsa.generate_private_key(65537, 2048))
        k["p256"] = Key("p256", "ec", ec.generate_private_key(ec.SECP256R1()))
        k["p256b"] = Key("p256b", "ec",
                         ec.generate_private_key(ec.SECP256R1()))
        k["p256_enc"] = Key("p256_enc", "ec",
                            ec.generate_private_key(ec.SECP256R1()))
        k["p384"] = Key("p384", "ec", ec.generate_private_key(ec.SECP384R1()))
        k["p521"] = Key("p521", "ec", ec.generate_private_key(ec.SECP521R1()))
        k["k256"] = Key("k256", "ec", ec.generate_private_key(ec.SECP256K1()))
        k["ed25519"] = Key("ed25519", "ed25519",
                           ed25519.Ed25519PrivateKey.generate())
        k["ed448"] = Key("ed448", "ed448", ed448.Ed448PrivateKey.generate())
        k["hs256"] = Key("hs256", "oct", secret=_ascii_secret(32))
        k["hs256b"] = Key("hs256b", "oct", secret=_ascii_secret(32))
        k["hs384"] = Key("hs384", "oct", secret=_ascii_secret(48))
        k["hs512"] = Key("hs512", "oct", secret=_ascii_secret(64))
        k["hs_short"] = Key("hs_short", "oct", secret=_ascii_secret(31))
        k["oct_bin"] = Key("oct_bin", "oct", secret=os.urandom(64))
        k["aes256"] = Key("aes256", "oct", secret=os.urandom(32))
        self.keys = k
        self._write()

    def __getitem__(self, name):
        return self.keys[name]

    def path(self, name):
        return os.path.join(self.dir, name)

    def _put(self, name, data):
        p = self.path(name)
        mode = "wb" if isinstance(data, bytes) else "w"
        with open(p, mode) as f:
            f.write(data)
        os.chmod(p, 0o644)
        return p

    def _write(self):
        for name, key in self.keys.items():
            if key.kind == "oct":
                self._put(name + ".secret", key.secret)
                self._put(name + ".jwk", jdump(key.jwk_dict()))
                continue
            self._put(name + ".pub.pem", key.pub_pem())
            self._put(name + ".key.pem", key.priv_pem())
            self._put(name + ".pub.jwk", jdump(key.jwk_dict()))
            self._put(name + ".cert.pem", key.cert_pem())
        # a secret file with one trailing newline (dropped by secret:)
        self._put("hs256_nl.secret", self["hs256"].secret + b"\n")
        # a JWK that narrows its key to one algorithm, and one with a kid
        self._put("rsa_rs256.jwk", jdump(self["rsa"].jwk_dict(
            alg="RS256", kid="rsa-jwk", use="sig")))
        # a JWKS with three keys of three types, each with its kid
        self._put("set.jwks", jdump({"keys": [
            self["p256"].jwk_dict(kid="ec-1", use="sig"),
            self["rsa"].jwk_dict(kid="rsa-1", use="sig"),
            self["ed25519"].jwk_dict(kid="ed-1", use="sig"),
        ]}))
        self._put("oct_bin.jwk", jdump(self["oct_bin"].jwk_dict(
            alg="HS512", kid="oct-1")))
        self._put("dup_kid.jwks", jdump({"keys": [
            self["p256"].jwk_dict(kid="same"),
            self["p256b"].jwk_dict(kid="same")]}))
        # PKCS#1 RSA public key (BEGIN RSA PUBLIC KEY)
        self._put("rsa.pkcs1.pem", self["rsa"].pub_pkcs1_pem())
        # a 1024-bit RSA key must be refused at start-up (SECURITY B4)
        weak = rsa.generate_private_key(65537, 1024)
        self._put("rsa1024.pub.pem", weak.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo))


# ---------------------------------------------------------------------------
# signing primitives for hand-made tokens

def sign(alg, key, data):
    """Raw JWS signature of DATA with KEY (a Key, or bytes for HMAC)."""
    if isinstance(data, str):
        data = data.encode()
    if alg.startswith("HS"):
        secret = key if isinstance(key, (bytes, bytearray)) else key.secret
        return hmac.new(bytes(secret), data, _HASHLIB[alg[2:]]).digest()
    if alg.startswith("RS"):
        return key.priv.sign(data, padding.PKCS1v15(), _HASH[alg[2:]]())
    if alg.startswith("PS"):
        h = _HASH[alg[2:]]()
        return key.priv.sign(data, padding.PSS(padding.MGF1(h),
                                               h.digest_size), h)
    if alg.startswith("ES"):
        h = _HASH["256" if alg == "ES256K" else alg[2:]]()
        der = key.priv.sign(data, ec.ECDSA(h))
        r, s = decode_dss_signature(der)
        n = _EC_SIZE[alg]
        return r.to_bytes(n, "big") + s.to_bytes(n, "big")
    if alg == "EdDSA":
        return key.priv.sign(data)
    raise ValueError(alg)


def seg(part):
    """A header/payload segment: dicts are JSON, str/bytes taken as the
    JSON text (so duplicate members and odd JSON can be written)."""
    if isinstance(part, dict) or isinstance(part, list):
        return b64u(jdump(part))
    return b64u(part)


def craft(header, payload, alg=None, key=None, sig=None):
    """Compact JWS from parts.  With ALG and KEY the signature is computed
    over the received bytes; SIG (bytes or a ready segment str) overrides."""
    signing_input = seg(header) + "." + seg(payload)
    if sig is None:
        sig_seg = b64u(sign(alg, key, signing_input)) if alg else ""
    elif isinstance(sig, bytes):
        sig_seg = b64u(sig)
    else:
        sig_seg = sig
    return signing_input + "." + sig_seg


# ---------------------------------------------------------------------------
# the two independent libraries

def _split(alg):
    return ("EdDSA", alg.split("-")[1]) if alg.startswith("EdDSA-") else \
        (alg, None)


def pyjwt_token(alg, key, payload, headers=None):
    a, _ = _split(alg)
    k = key.secret if key.kind == "oct" else key.priv
    return pyjwt.encode(payload, k, algorithm=a, headers=headers)


def jwcrypto_token(alg, key, payload, headers=None):
    a, _ = _split(alg)
    hdr = {"alg": a}
    hdr.update(headers or {})
    tok = jc_jws.JWS(jdump(payload).encode())
    tok.add_signature(key.jwk(private=True), alg=a,
                      protected=jdump(hdr))
    return tok.serialize(compact=True)


MAKERS = {"pyjwt": pyjwt_token, "jwcrypto": jwcrypto_token}


def key_for_alg(ring, alg):
    """The session key each algorithm is tested with."""
    if alg.startswith("HS"):
        return ring["hs" + alg[2:]]
    if alg[:2] in ("RS", "PS"):
        return ring["rsa"]
    return ring[{"ES256": "p256", "ES384": "p384", "ES512": "p521",
                 "ES256K": "k256", "EdDSA-Ed25519": "ed25519",
                 "EdDSA-Ed448": "ed448"}[alg]]


def jwe_nested(inner, enc_key, alg="RSA-OAEP-256", enc="A256GCM",
               cty="JWT", extra=None, algs=None):
    """Compact JWE (jwcrypto) around INNER (a compact JWS, or any text)."""
    hdr = {"alg": alg, "enc": enc}
    if cty is not None:
        hdr["cty"] = cty
    hdr.update(extra or {})
    t = jc_jwe.JWE(inner.encode() if isinstance(inner, str) else inner,
                   protected=jdump(hdr),
                   algs=algs or [alg, enc])
    if enc_key.kind == "oct":
        t.add_recipient(enc_key.jwk())
    else:
        t.add_recipient(enc_key.jwk(private=False))
    return t.serialize(compact=True)


def jwe_pbes2(plaintext, password, p2c, alg="PBES2-HS256+A128KW",
              enc="A128GCM", cty="JWT"):
    """Compact PBES2 JWE (RFC 7518 4.8) with any p2c, built here because
    jwcrypto always writes p2c 8192.  A256GCM/A128GCM content only."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
    from cryptography.hazmat.primitives.keywrap import aes_key_wrap

    bits = alg[8:11]
    kek_len = {"256": 16, "384": 24, "512": 32}[bits]
    p2s = secrets.token_bytes(16)
    hdr = {"alg": alg, "enc": enc, "p2s": b64u(p2s), "p2c": p2c}
    if cty is not None:
        hdr["cty"] = cty
    h = b64u(jdump(hdr))
    cek = secrets.token_bytes({"A128GCM": 16, "A256GCM": 32}[enc])
    if 1 <= p2c <= 1000000:
        kek = PBKDF2HMAC(algorithm=_HASH[bits](), length=kek_len,
                         salt=alg.encode() + b"\0" + p2s,
                         iterations=p2c).derive(password)
        ek = aes_key_wrap(kek, cek)
    else:
        ek = secrets.token_bytes(len(cek) + 8)   # never derived: refused
    iv = secrets.token_bytes(12)
    data = plaintext.encode() if isinstance(plaintext, str) else plaintext
    sealed = AESGCM(cek).encrypt(iv, data, h.encode())
    return ".".join([h, b64u(ek), b64u(iv), b64u(sealed[:-16]),
                     b64u(sealed[-16:])])
