#!/bin/sh
# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
#
# make-keys.sh: how the unit-test key fixtures in this directory were made.
# They were generated ONCE and committed; the tests never run this script.
# Re-running it replaces every key, so tokens or thumbprints written down
# elsewhere would no longer match.  These keys protect nothing: they are
# published test fixtures and must never be used for anything else.
#
# Needs: openssl (3.x) and Debian's /usr/bin/python3 with python3-jwcrypto.
set -eu
cd "$(dirname "$0")"
umask 022

PY=/usr/bin/python3

# Asymmetric keys: PKCS#8 private key PEM + SubjectPublicKeyInfo PEM.
gen() {
    name=$1; shift
    openssl genpkey "$@" -out "$name.key.pem" 2>/dev/null
    openssl pkey -in "$name.key.pem" -pubout -out "$name.pub.pem"
}
gen rsa2048    -algorithm RSA -pkeyopt rsa_keygen_bits:2048
gen rsa3072    -algorithm RSA -pkeyopt rsa_keygen_bits:3072
gen rsa1024    -algorithm RSA -pkeyopt rsa_keygen_bits:1024
gen ec-p256    -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
               -pkeyopt ec_param_enc:named_curve
gen ec-p384    -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
               -pkeyopt ec_param_enc:named_curve
gen ec-p521    -algorithm EC -pkeyopt ec_paramgen_curve:P-521 \
               -pkeyopt ec_param_enc:named_curve
gen ec-secp256k1 -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 \
               -pkeyopt ec_param_enc:named_curve
gen ed25519    -algorithm ED25519
gen ed448      -algorithm ED448
gen x25519     -algorithm X25519
# A second key of some types: "the attacker's key" / "the wrong key".
gen rsa2048-other -algorithm RSA -pkeyopt rsa_keygen_bits:2048
gen ec-p256-other -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
               -pkeyopt ec_param_enc:named_curve
gen ed25519-other -algorithm ED25519
gen ec-p384-other -algorithm EC -pkeyopt ec_paramgen_curve:P-384 \
               -pkeyopt ec_param_enc:named_curve
gen ec-p521-other -algorithm EC -pkeyopt ec_paramgen_curve:P-521 \
               -pkeyopt ec_param_enc:named_curve
gen ec-secp256k1-other -algorithm EC -pkeyopt ec_paramgen_curve:secp256k1 \
               -pkeyopt ec_param_enc:named_curve
gen ed448-other -algorithm ED448

# A passphrase-protected private key: the loader must refuse it without
# ever prompting (the passphrase is "fixture").
openssl pkey -in rsa2048.key.pem -aes256 -passout pass:fixture \
    -out rsa2048-encrypted.key.pem

# Self-signed certificates (a certificate as a verification key source).
openssl req -new -x509 -key rsa2048.key.pem -sha256 -days 36500 \
    -subj "/CN=mod_authn_jwt unit test RSA" -out rsa2048.cert.pem
openssl req -new -x509 -key ec-p256.key.pem -sha256 -days 36500 \
    -subj "/CN=mod_authn_jwt unit test EC" -out ec-p256.cert.pem

# HMAC secrets: printable bytes so that the newline rules are visible.
secret() {   # name length
    openssl rand -base64 96 | tr -d '\n/+=' | cut -c1-"$2" | tr -d '\n' > "$1"
}
secret hs256.secret 32
secret hs384.secret 48
secret hs512.secret 64
secret hs256-other.secret 32
secret hs384-other.secret 48
secret hs512-other.secret 64
secret short.secret 31
: > empty.secret
# Same 32 bytes as hs256.secret plus one newline (dropped by the loader),
# and plus two newlines (only one dropped: a 33-byte, different key).
{ cat hs256.secret; printf '\n'; } > hs256-nl.secret
{ cat hs256.secret; printf '\n\n'; } > hs256-2nl.secret

# JWK / JWKS forms (jwcrypto).  kids are fixed names used by the tests.
$PY - <<'PYEOF'
import json
from jwcrypto import jwk

def pem(name):
    with open(name, "rb") as f:
        return jwk.JWK.from_pem(f.read())

def dump(obj, name):
    with open(name, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.write("\n")

def pub(k, kid, alg=None):
    d = json.loads(k.export_public())
    d["kid"] = kid
    if alg:
        d["alg"] = alg
    return d

def priv(k, kid, alg=None):
    d = json.loads(k.export_private())
    d["kid"] = kid
    if alg:
        d["alg"] = alg
    return d

rsa = pem("rsa2048.key.pem")
ec256 = pem("ec-p256.key.pem")
ec384 = pem("ec-p384.key.pem")
ed = pem("ed25519.key.pem")
# this jwcrypto cannot import X25519 PEM: build the OKP JWK by hand
from cryptography.hazmat.primitives import serialization as ser
import base64
with open("x25519.key.pem", "rb") as f:
    xk = ser.load_pem_private_key(f.read(), None)
xraw = xk.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
xpub = {"kty": "OKP", "crv": "X25519",
        "x": base64.urlsafe_b64encode(xraw).rstrip(b"=").decode()}

dump(pub(rsa, "rsa2048", "RS256"), "rsa2048.pub.jwk")
dump(priv(rsa, "rsa2048", "RS256"), "rsa2048.key.jwk")
dump(pub(ec256, "ec-p256"), "ec-p256.pub.jwk")
dump(priv(ec256, "ec-p256", "ES256"), "ec-p256.key.jwk")
dump(pub(ed, "ed25519"), "ed25519.pub.jwk")
dump(priv(ed, "ed25519"), "ed25519.key.jwk")
xpub["kid"] = "x25519"
dump(xpub, "x25519.pub.jwk")

with open("hs256.secret", "r") as f:
    hs = jwk.JWK.from_password(f.read())
d = json.loads(hs.export())
d["kid"] = "hs256"
d["alg"] = "HS256"
dump(d, "hs256.jwk")

dump({"keys": [pub(rsa, "rsa2048", "RS256"), pub(ec256, "ec-p256", "ES256"),
               pub(ec384, "ec-p384", "ES384"), pub(ed, "ed25519", "EdDSA")]},
     "public.jwks")
# RFC 7638 thumbprints as computed by jwcrypto (an independent
# implementation), one "file thumbprint" line each.
with open("thumbprints.txt", "w") as f:
    for name in ["rsa2048", "rsa3072", "ec-p256", "ec-p384", "ec-p521",
                 "ec-secp256k1", "ed25519", "ed448"]:
        f.write("%s.pub.pem %s\n" % (name, pem(name + ".key.pem").thumbprint()))

# Tokens signed by jwcrypto with the fixture keys, so that the verifier is
# checked against a signer other than our own.  Header: alg and typ only
# (no kid), payload a fixed claim set.
from jwcrypto import jws
from jwcrypto.common import json_encode
payload = json_encode({"iss": "https://issuer.example", "sub": "alice",
                       "aud": "api", "iat": 1700000000,
                       "exp": 4102444800, "scope": "read write"})
def secret_key(name):
    with open(name, "r") as f:
        return jwk.JWK.from_password(f.read())
plan = [("HS256", "hs256.secret"), ("HS384", "hs384.secret"),
        ("HS512", "hs512.secret"),
        ("RS256", "rsa2048"), ("RS384", "rsa2048"), ("RS512", "rsa3072"),
        ("PS256", "rsa2048"), ("PS384", "rsa3072"), ("PS512", "rsa2048"),
        ("ES256", "ec-p256"), ("ES384", "ec-p384"), ("ES512", "ec-p521"),
        ("ES256K", "ec-secp256k1"), ("EdDSA", "ed25519"), ("EdDSA", "ed448")]
out = []
for alg, name in plan:
    if name.endswith(".secret"):
        key, verify = secret_key(name), "secret:" + name
    else:
        key, verify = pem(name + ".key.pem"), name + ".pub.pem"
    t = jws.JWS(payload.encode())
    t.add_signature(key, None, json_encode({"alg": alg, "typ": "JWT"}))
    out.append({"alg": alg, "verify_with": verify,
                "token": t.serialize(compact=True)})
dump({"payload": payload, "tokens": out}, "jwcrypto-tokens.json")
PYEOF
