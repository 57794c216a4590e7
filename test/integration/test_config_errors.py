# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Configuration errors stop start-up (manual "Key rules and security
defaults"): httpd refuses to
start, and what it prints names the file, the line and the fix.  Checked
both by a real start and by `apache2 -t` (what `apachectl configtest` runs),
since an administrator expects configtest to catch what start-up refuses."""

import os
import re
import subprocess

import pytest

from harness import location
from jose_kit import Key, claims, pyjwt_token

# name: (directive line(s), regex the message must match: the fix)
CASES = {
    "hmac-secret-short": (
        "AuthJWTVerifyKey secret:{hs_short}",
        r"(?i)(at least|too short|shorter|32 bytes|256 bits)"),
    "hmac-secret-empty": (
        "AuthJWTVerifyKey secret:{empty}",
        r"(?i)(empty|at least|too short|shorter)"),
    "hmac-secret-short-for-alg": (
        "AuthJWTVerifyKey alg=HS512 secret:{hs256}",
        r"(?i)(at least|too short|shorter|64 bytes|512 bits)"),
    "key-file-missing": (
        "AuthJWTVerifyKey {missing}",
        r"/nonexistent-dir/key\.pem"),
    "key-file-is-directory": (
        "AuthJWTVerifyKey {keydir}",
        r"(?i)(director|read|keys)"),
    "key-file-garbage": (
        "AuthJWTVerifyKey {garbage}",
        r"(?i)(garbage\.pem|not a|no key|PEM|JWK)"),
    "jwk-bad-json": (
        "AuthJWTVerifyKey {badjson}",
        r"(?i)(bad\.jwk|JSON|JWK)"),
    "alg-not-for-rsa": (
        "AuthJWTVerifyKey alg=HS256 {rsa}",
        r"HS256"),
    "alg-wrong-curve": (
        "AuthJWTVerifyKey alg=ES384 {p256}",
        r"ES384"),
    "alg-unknown": (
        "AuthJWTVerifyKey alg=XS256 {rsa}",
        r"XS256"),
    "alg-none": (
        "AuthJWTVerifyKey alg=none {rsa}",
        r"none"),
    "alg-lowercase": (
        "AuthJWTVerifyKey alg=rs256 {rsa}",
        r"rs256"),
    "unknown-option": (
        "AuthJWTVerifyKey foo=bar {rsa}",
        r"foo"),
    "kid-on-key-set": (
        "AuthJWTVerifyKey kid=x {jwks}",
        r"(?i)kid"),
    "http-jwks-uri": (
        "AuthJWTVerifyKey http://127.0.0.1:1/jwks.json",
        r"not an https:// URL"),
    "https-decrypt-key": (
        "AuthJWTDecryptKey https://127.0.0.1:1/jwks.json",
        r"verification keys only"),
    "rsa-1024-bits": (
        "AuthJWTVerifyKey {rsa1024}",
        r"(?i)(2048|bits|too small|too short|weak)"),
    "duplicate-kid": (
        "AuthJWTVerifyKey {dupkid}",
        r"(?i)kid"),
    "decrypt-key-public-only": (
        "AuthJWTDecryptKey {rsa_pub_enc}",
        r"(?i)private"),
    "leeway-not-a-number": (
        "AuthJWTLeeway abc",
        r"(?i)(abc|number|integer|seconds)"),
    "leeway-negative": (
        "AuthJWTLeeway -5",
        r"(?i)(-5|negative|number|integer|seconds)"),
    "leeway-trailing-garbage": (
        "AuthJWTLeeway 12x",
        r"(?i)(12x|number|integer|seconds)"),
    "max-ttl-not-a-number": (
        "AuthJWTMaxTTL ten",
        r"(?i)(ten|number|integer|seconds)"),
    "max-token-size-unit": (
        "AuthJWTMaxTokenSize 8k",
        r"(?i)(8k|number|integer|bytes)"),
    "max-token-size-overflow": (
        "AuthJWTMaxTokenSize 99999999999999999999999",
        r"(?i)(9999|number|integer|bytes|range|large)"),
    "token-from-unknown": (
        "AuthJWTTokenFrom body",
        r"(?i)(body|header|cookie|query)"),
    "token-from-empty-name": (
        "AuthJWTTokenFrom cookie=",
        r"(?i)(cookie|name)"),
    "require-encryption-not-a-flag": (
        "AuthJWTRequireEncryption maybe",
        r"(?i)(on|off)"),
    "allow-unsigned-jwe-not-a-flag": (
        "AuthJWTAllowUnsignedJWE maybe",
        r"(?i)(on|off)"),
    "max-pbes2-count-below-rfc": (
        "AuthJWTMaxPBES2Count 999",
        r"between 1000 and 1000000"),
    "max-pbes2-count-too-high": (
        "AuthJWTMaxPBES2Count 1000001",
        r"between 1000 and 1000000"),
    "max-pbes2-count-not-a-number": (
        "AuthJWTMaxPBES2Count 10k",
        r"10k"),
    "decrypt-enc-unknown": (
        "AuthJWTDecryptKey enc=A256gcm {rsa_enc}",
        r"A256gcm.*A256GCM"),
    "decrypt-enc-empty": (
        "AuthJWTDecryptKey enc= {rsa_enc}",
        r"(?i)empty.*enc=A256GCM"),
    "decrypt-enc-trailing-comma": (
        "AuthJWTDecryptKey enc=A256GCM, {rsa_enc}",
        r"(?i)empty"),
    "decrypt-enc-alg-not-enc": (
        "AuthJWTDecryptKey enc=RSA-OAEP {rsa_enc}",
        r"RSA-OAEP"),
    "decrypt-enc-twice": (
        "AuthJWTDecryptKey enc=A256GCM enc=A128GCM {rsa_enc}",
        r"(?i)repeated"),
    "decrypt-dir-enc-other-length": (
        "AuthJWTDecryptKey alg=dir enc=A128GCM secret:{hs256}",
        r"(?i)dir.*enc="),
    "audience-star-not-alone": (
        "AuthJWTAudience api *",
        r"'\*' accepts any audience and stands alone"),
    "require-claim-none-with-others": (
        "AuthJWTRequireClaim none sub",
        r"'none' waives exp and stands alone"),
    "require-claim-others-with-none": (
        "AuthJWTRequireClaim sub none",
        r"'none' waives exp and stands alone"),
    # doc/attacks.md A2: a public key or certificate, in any form, is never
    # an HMAC secret (anyone holding it could sign tokens)
    "secret-pkcs12-bag-attributes": (
        "AuthJWTVerifyKey secret:{bagcert}",
        r"bag\.pem holds a PEM block, not an HMAC secret.*Drop the "
        r"secret: prefix"),
    "secret-x509-text": (
        "AuthJWTVerifyKey secret:{x509text}",
        r"text\.pem holds a PEM block, not an HMAC secret.*Drop the "
        r"secret: prefix"),
    "secret-der-public-key": (
        "AuthJWTVerifyKey secret:{derpub}",
        r"pub\.der holds a DER key or certificate, not an HMAC secret.*"
        r"Drop the secret: prefix"),
    "secret-der-certificate": (
        "AuthJWTVerifyKey secret:{dercert}",
        r"cert\.der holds a DER key or certificate, not an HMAC secret.*"
        r"Drop the secret: prefix"),
    "decrypt-secret-der-public-key": (
        "AuthJWTDecryptKey alg=A256KW secret:{derpub}",
        r"pub\.der holds a DER key or certificate"),
    "verify-key-with-enc": (
        "AuthJWTVerifyKey enc=A256GCM {rsa}",
        r"enc=A256GCM"),
}


@pytest.fixture(scope="module")
def paths(basedir, K):
    d = os.path.join(basedir, "badkeys")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)

    def put(name, data):
        p = os.path.join(d, name)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, 0o644)
        return p

    def openssl(*args):
        subprocess.run(["openssl"] + list(args), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    # what openssl(1) writes when an administrator exports the issuer's
    # certificate or public key
    p12 = os.path.join(d, "issuer.p12")
    openssl("pkcs12", "-export", "-in", K("rsa.cert.pem"), "-inkey",
            K("rsa.key.pem"), "-out", p12, "-passout", "pass:")
    openssl("pkcs12", "-in", p12, "-nokeys", "-passin", "pass:", "-out",
            os.path.join(d, "bag.pem"))
    openssl("x509", "-in", K("rsa.cert.pem"), "-text", "-out",
            os.path.join(d, "text.pem"))
    openssl("pkey", "-pubin", "-in", K("rsa.pub.pem"), "-outform", "DER",
            "-out", os.path.join(d, "pub.der"))
    openssl("x509", "-in", K("rsa.cert.pem"), "-outform", "DER", "-out",
            os.path.join(d, "cert.der"))
    with open(os.path.join(d, "bag.pem"), "rb") as f:
        assert f.read().startswith(b"Bag Attributes")
    for name in ("bag.pem", "text.pem", "pub.der", "cert.der"):
        os.chmod(os.path.join(d, name), 0o644)
    return {
        "bagcert": os.path.join(d, "bag.pem"),
        "x509text": os.path.join(d, "text.pem"),
        "derpub": os.path.join(d, "pub.der"),
        "dercert": os.path.join(d, "cert.der"),
        "hs_short": K("hs_short.secret"),
        "hs256": K("hs256.secret"),
        "empty": put("empty.secret", b""),
        "missing": "/nonexistent-dir/key.pem",
        "keydir": os.path.dirname(K("rsa.pub.pem")),
        "garbage": put("garbage.pem", b"hello, not a key\n"),
        "badjson": put("bad.jwk", b'{"kty":'),
        "rsa": K("rsa.pub.pem"),
        "p256": K("p256.pub.pem"),
        "jwks": K("set.jwks"),
        "rsa1024": K("rsa1024.pub.pem"),
        "dupkid": K("dup_kid.jwks"),
        "rsa_pub_enc": K("rsa_enc.pub.pem"),
        "rsa_enc": K("rsa_enc.key.pem"),
    }


def _body(directive):
    # the offending directive is the last of a complete, otherwise valid
    # location, so nothing else can be what httpd complains about
    return location("/x/", "AuthJWTVerifyKey secret:@HS256@",
                    directive, require="Require valid-user")


def _check(srv, output, directive):
    """The output names the config file, the directive's line and a fix."""
    line = srv.line_of(directive)
    assert srv.conf_path in output, \
        "the message does not name the file %s:\n%s" % (srv.conf_path,
                                                        output)
    assert re.search(r"\bline %d\b" % line, output), \
        "the message does not name line %d:\n%s" % (line, output)


@pytest.mark.parametrize("name", sorted(CASES))
def test_start_refused(httpd, paths, name):
    directive, fix = CASES[name]
    directive = directive.format(**paths)
    body = _body(directive).replace("@HS256@", paths["hs256"])
    srv = httpd("cfg-" + name, body, start=False)
    started, output = srv.start(must_work=False, timeout=10)
    if started:
        srv.stop()
    assert not started, "httpd started with: %s" % directive
    _check(srv, output, directive)
    assert re.search(fix, output), \
        "no fix (/%s/) in:\n%s" % (fix, output)


@pytest.mark.parametrize("name", sorted(CASES))
def test_configtest_refuses(httpd, paths, name):
    directive, fix = CASES[name]
    directive = directive.format(**paths)
    body = _body(directive).replace("@HS256@", paths["hs256"])
    srv = httpd("cfgt-" + name, body, start=False)
    rc, output = srv.configtest()
    assert rc != 0, "apache2 -t said Syntax OK with: %s\n%s" % (directive,
                                                               output)
    _check(srv, output, directive)


def test_valid_configuration_starts(httpd, K):
    # control: the same skeleton with a good key starts and answers
    srv = httpd("cfg-control", location(
        "/x/", "AuthJWTVerifyKey secret:%s" % K("hs256.secret")))
    r = srv.get("/x/ok")
    assert r.status == 401


def test_directive_outside_module_context(httpd, K):
    # server-config context only: AuthJWTVerifyKey is per-directory; at
    # server level httpd must refuse it or accept it as a default, never
    # crash
    body = "AuthJWTVerifyKey secret:%s\n" % K("hs256.secret") + location(
        "/x/", "AuthJWTLeeway 10")
    srv = httpd("cfg-server-level", body, start=False)
    started, output = srv.start(must_work=False, timeout=10)
    if started:
        srv.stop()
    else:
        _check(srv, output, "AuthJWTVerifyKey")


def test_bearer_location_without_key(httpd):
    # AuthType Bearer and no AuthJWTVerifyKey: refused at start-up (naming
    # the file and line), or every token refused; never a 200 or a 500
    directive = "AuthType Bearer"
    srv = httpd("cfg-no-key", location("/x/"), start=False)
    started, output = srv.start(must_work=False, timeout=10)
    if not started:
        _check(srv, output, directive)
        return
    t = pyjwt_token("HS256", Key("k", "oct", secret=b"k" * 32), claims())
    r = srv.get("/x/ok", t)
    assert r.status == 401, r
