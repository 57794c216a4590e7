# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""A real identity provider: panva's oidc-provider (oidc_idp.mjs, pinned in
package-lock.json) behind TLS, against the module configured with nothing
but the provider's discovery URL and AuthJWTAudience (and the test CA).

Access tokens come from the token endpoint by the client credentials grant
with a resource indicator (RFC 8707), so they are RFC 9068 JWTs (typ
at+jwt).  The provider then rotates its keys (a restart with a new first
key, the old one still published), and tokens signed with the new key are
accepted without restarting httpd."""

import base64
import json
import os
import ssl
import subprocess
import time
import urllib.parse
import urllib.request

import pytest
from jwcrypto import jwk

from harness import assert_ok, location
from integration_conftest import next_port
from jwks_server import LocalCA

HERE = os.path.dirname(os.path.abspath(__file__))
RESOURCE = "https://api.example/"


class Idp:
    def __init__(self, basedir):
        self.dir = os.path.join(basedir, "oidc-provider-idp")
        self.ca = LocalCA(os.path.join(self.dir, "ca"))
        self.cert, self.key = self.ca.issue("oidc-provider")
        self.port = next_port()
        self.proc = None
        self.keys = []

    @property
    def issuer(self):
        return "https://127.0.0.1:%d" % self.port

    def add_key(self, kid):
        k = jwk.JWK.generate(kty="RSA", size=2048, kid=kid, use="sig",
                             alg="RS256")
        # the first key signs
        self.keys.insert(0, json.loads(k.export_private()))

    def start(self):
        path = os.path.join(self.dir, "jwks.json")
        with open(path, "w") as f:
            json.dump({"keys": self.keys}, f)
        self.proc = subprocess.Popen(
            [os.environ.get("NODE", "node"), os.path.join(HERE,
                                                          "oidc_idp.mjs"),
             str(self.port), self.cert, self.key, path],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=HERE,
            universal_newlines=True)
        end = time.time() + 30
        while time.time() < end:
            line = self.proc.stdout.readline()
            if not line:
                break
            if line.startswith("ready "):
                return
        self.stop()
        pytest.fail("oidc-provider did not start")

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def token(self, resource=RESOURCE):
        ctx = ssl.create_default_context(cafile=self.ca.ca_file)
        data = urllib.parse.urlencode({
            "grant_type": "client_credentials", "resource": resource,
            "scope": "read"}).encode()
        req = urllib.request.Request(self.issuer + "/token", data=data)
        cred = base64.b64encode(b"api-client:api-client-secret").decode()
        req.add_header("Authorization", "Basic " + cred)
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return json.load(r)["access_token"]


def header(tok):
    h = tok.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))


@pytest.fixture(scope="module")
def idp(basedir):
    p = Idp(basedir)
    p.add_key("key-1")
    p.start()
    yield p
    p.stop()


def test_oidc_provider_tokens_and_rotation(httpd, idp):
    discovery = idp.issuer + "/.well-known/openid-configuration"
    srv = httpd("oidc-provider", "AuthJWTKeysCAFile %s\n" % idp.ca.ca_file
                + location("/p/", "AuthJWTVerifyKey %s" % discovery,
                           "AuthJWTAudience %s" % RESOURCE)
                + location("/scoped/", "AuthJWTVerifyKey %s" % discovery,
                           "AuthJWTAudience %s" % RESOURCE,
                           "AuthJWTType at+jwt",
                           require="Require jwt-scope read"))
    tok = idp.token()
    assert header(tok)["typ"] == "at+jwt" and header(tok)["kid"] == "key-1"
    r = srv.get("/p/ok", tok)
    assert_ok(r)
    assert r.header("X-Remote-User") == "api-client"
    assert_ok(srv.get("/scoped/ok", tok))
    h, p, s = tok.split(".")
    assert srv.get("/p/ok", h + "." + p + "." + s[::-1]).status == 401

    # rotation: the provider signs with a new key, the old one still
    # published; httpd is not restarted
    idp.stop()
    idp.add_key("key-2")
    idp.start()
    tok2 = idp.token()
    assert header(tok2)["kid"] == "key-2"
    assert_ok(srv.get("/p/ok", tok2))
    assert_ok(srv.get("/scoped/ok", tok2))
    assert_ok(srv.get("/p/ok", tok))
    log = open(srv.error_log).read()
    assert "AJ00230" in log                 # the unknown kid asked once
