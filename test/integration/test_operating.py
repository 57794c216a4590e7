# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Operating the module: thread-safe under the event, worker and prefork MPMs
(many concurrent requests, every answer the right one: doc/attacks.md F6,
mod_authnz_jwt #23), and keys reload on graceful restart."""

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness import assert_invalid_token, assert_ok, location
from jose_kit import MAKERS, claims, craft, key_for_alg, now, pyjwt_token

ALGS = ["HS256", "RS256", "PS384", "ES256", "ES512", "EdDSA-Ed25519"]


def _body(K):
    return (location("/hs/", "AuthJWTVerifyKey secret:%s" % K("hs256.secret"),
                     "AuthJWTAudience api")
            + location("/rsa/", "AuthJWTVerifyKey %s" % K("rsa.pub.pem"),
                       "AuthJWTAudience api")
            + location("/ec/", "AuthJWTVerifyKey %s" % K("p256.pub.pem"),
                       "AuthJWTVerifyKey %s" % K("p521.pub.pem"),
                       "AuthJWTAudience api")
            + location("/ed/", "AuthJWTVerifyKey %s" % K("ed25519.pub.pem"),
                       "AuthJWTAudience api"))


PATHS = {"HS256": "/hs/", "RS256": "/rsa/", "PS384": "/rsa/",
         "ES256": "/ec/", "ES512": "/ec/", "EdDSA-Ed25519": "/ed/"}


def _cases(ring):
    """(path, token, expected status, expected user) for a mixed load."""
    out = []
    for i, alg in enumerate(ALGS):
        key = key_for_alg(ring, alg)
        maker = MAKERS[sorted(MAKERS)[i % 2]]
        user = "u%d" % i
        out.append((PATHS[alg], maker(alg, key, claims(sub=user, aud="api")),
                    200, user))
        out.append((PATHS[alg], maker(alg, key, claims(sub=user, aud="x")),
                    401, None))
        out.append((PATHS[alg], maker(alg, key, claims(sub=user, aud="api",
                                                        exp=now() - 999)),
                    401, None))
        good = maker(alg, key, claims(sub=user, aud="api"))
        h, p, s = good.split(".")
        out.append((PATHS[alg], h + "." + p + "." + s[::-1], 401, None))
    return out


@pytest.mark.parametrize("mpm", ["event", "worker", "prefork"])
def test_concurrent_mixed_load(httpd, ring, K, mpm):
    srv = httpd("mpm-" + mpm, _body(K), mpm=mpm)
    cases = _cases(ring) * 8
    for _, tok, _, _ in cases:
        srv.note_secret(tok)

    def one(case):
        path, tok, status, user = case
        r = srv.get(path + "ok", tok)
        return case, r

    with ThreadPoolExecutor(max_workers=24) as pool:
        results = list(pool.map(one, cases))
    for (path, tok, status, user), r in results:
        assert r.status == status, (path, status, r)
        if status == 200:
            assert r.header("X-Remote-User") == user, r
        else:
            assert_invalid_token(r)



def test_keys_reload_on_graceful_restart(httpd, ring, K, basedir):
    keyfile = os.path.join(basedir, "reload.secret")
    with open(keyfile, "wb") as f:
        f.write(ring["hs256"].secret)
    os.chmod(keyfile, 0o644)
    srv = httpd("graceful", location("/r/", "AuthJWTVerifyKey secret:%s"
                                     % keyfile))
    old = pyjwt_token("HS256", ring["hs256"], claims())
    new = pyjwt_token("HS256", ring["hs256b"], claims())
    assert_ok(srv.get("/r/ok", old))
    assert_invalid_token(srv.get("/r/ok", new), reason="signature")
    with open(keyfile, "wb") as f:
        f.write(ring["hs256b"].secret)
    srv.graceful()
    deadline = time.time() + 10
    while time.time() < deadline:
        r = srv.get("/r/ok", new)
        if r.status == 200:
            break
        time.sleep(0.2)
    assert_ok(r)
    assert_invalid_token(srv.get("/r/ok", old), reason="signature")



def test_graceful_restart_with_broken_key_keeps_running(httpd, ring, basedir):
    # a key that breaks on reload: httpd refuses the new generation (and
    # says why); it must not come back serving with no key at all
    keyfile = os.path.join(basedir, "reload2.secret")
    with open(keyfile, "wb") as f:
        f.write(ring["hs256"].secret)
    os.chmod(keyfile, 0o644)
    srv = httpd("graceful-broken", location("/r/", "AuthJWTVerifyKey "
                                            "secret:%s" % keyfile))
    tok = pyjwt_token("HS256", ring["hs256"], claims())
    assert_ok(srv.get("/r/ok", tok))
    with open(keyfile, "wb") as f:
        f.write(b"short")
    srv.graceful()
    time.sleep(1.5)
    # either the parent exited (configuration error) or it still serves the
    # old configuration; never a 200 for a forged token
    forged = craft({"alg": "HS256"}, claims(), "HS256", b"short")
    if srv.running:
        r = srv.get("/r/ok", forged)
        assert r.status == 401, r
    text = srv._read(srv.error_log) + srv._read(os.path.join(
        srv.root, "logs", "stdout.log"))
    assert "short" in text or "32" in text or "at least" in text, text

