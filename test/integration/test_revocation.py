# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""manual "Caching and revocation": SetHandler
jwt-revoke (RFC 7009 section 2: every answer of 2.2 and 2.2.1, who may
revoke what, token_type_hint), a revoked token refused at once on every
child, and the list shared through a real memcached and a real Redis that
this module starts on loopback ports of its own: two servers share each
store, a revocation at one is seen by the other within the delay, the
store killed gives 503 (fail closed) or 200 (fail open), counted, and the
servers recover when it comes back; Redis with persistence loses nothing
across its restart."""

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import next_port, next_quiet_port
from harness import assert_invalid_token, assert_ok, location
from jose_kit import claims, now, pyjwt_token

SOCACHE = {
    "shmcb": ("socache_shmcb_module", "mod_socache_shmcb.so"),
    "memcache": ("socache_memcache_module", "mod_socache_memcache.so"),
    "redis": ("socache_redis_module", "mod_socache_redis.so"),
}
MODS = [SOCACHE["shmcb"], ("authz_host_module", "mod_authz_host.so")]

# what an unreachable store makes httpd and its socache providers log
STORE_DOWN = [r"AJ00323", r"AJ00329", r"scache_mc|scache_rd|socache",
              r"memcache|redis|Redis|apr_memcache", r"AH\d+"]

METRICS = """
<Location "/metrics">
    SetHandler jwt-metrics
</Location>
"""


def metric(srv, name, **labels):
    r = srv.request("/metrics")
    assert r.status == 200, r
    total = 0.0
    for fam in text_string_to_metric_families(r.text):
        for s in fam.samples:
            if s.name == name and all(s.labels.get(k) == v
                                      for k, v in labels.items()):
                total += s.value
    return total


def form(**params):
    return urllib.parse.urlencode(params).encode()


def revoke(srv, path, body, bearer=None, basic=None, ctype=None,
           method="POST"):
    hdrs = [("Content-Type", ctype or "application/x-www-form-urlencoded")]
    secrets = []
    if bearer is not None:
        hdrs.append(("Authorization", "Bearer " + bearer))
        secrets.append(bearer)
    if basic is not None:
        cred = base64.b64encode(("%s:%s" % basic).encode()).decode()
        hdrs.append(("Authorization", "Basic " + cred))
    if body:
        for v in urllib.parse.parse_qs(body.decode()).get("token", []):
            secrets.append(v)
    return srv.request(path, hdrs, method=method, body=body,
                       secrets=secrets)


def assert_oauth_error(r, code, status=400):
    assert r.status == status, r
    assert r.header("Content-Type").startswith("application/json"), r
    assert json.loads(r.text) == {"error": code}, r.text
    assert r.header("Cache-Control") == "no-store", r


def assert_revoked(r):
    assert_invalid_token(r, reason="revoked")
    assert r.env_header("X-Jwt-Error") == "revoked"


# ---------------------------------------------------------------------------
# RFC 7009 at one server (the default store, shmcb)

def _local_body(K, basedir):
    hs = "AuthJWTVerifyKey secret:%s" % K("hs256.secret")
    users = os.path.join(basedir, "revoke.htpasswd")
    subprocess.run(["htpasswd", "-b", "-c", "-B", "-C", "4", users, "alice",
                    "pw-alice"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    os.chmod(users, 0o644)
    return (METRICS
            + location("/api/", hs)
            + location("/revoke", hs, "SetHandler jwt-revoke")
            + location("/revoke-basic", hs, "AuthBasicProvider file",
                       "AuthUserFile %s" % users, "SetHandler jwt-revoke",
                       authtype="Basic")
            + location("/revoke-any", hs, "AuthJWTRevokeAny On",
                       "SetHandler jwt-revoke", require="Require user admin")
            + location("/revoke-open", hs, "SetHandler jwt-revoke",
                       authtype=None, require="Require all granted")
            + location("/basicapi/", hs, "AuthBasicProvider jwt",
                       authtype="Basic"))


@pytest.fixture(scope="module")
def local(httpd, K, basedir):
    return httpd("revoke-local", _local_body(K, basedir), extra_modules=MODS)


def tok(ring, **kw):
    return pyjwt_token("HS256", ring["hs256"], claims(**kw))


def test_only_post(local, ring):
    t = tok(ring)
    r = local.request("/revoke", [("Authorization", "Bearer " + t)],
                      secrets=[t])
    assert r.status == 405, r
    assert "POST" in r.header("Allow"), r
    r = revoke(local, "/revoke", form(token=t), bearer=t, method="PUT")
    assert r.status == 405, r


@pytest.mark.parametrize("body,ctype", [
    (b"", None),                                   # no token at all
    (b"token=", None),                             # empty: absent
    (b"token_type_hint=access_token", None),
    (b"token=a.b.c&token=a.b.c", None),            # twice (RFC 6749 3.2)
    (b"token=%zz", None),                          # bad encoding
    (b"token=a.b.c", "application/json"),          # not a form
])
def test_invalid_request(local, ring, body, ctype):
    t = tok(ring)
    r = revoke(local, "/revoke", body, bearer=t, ctype=ctype)
    assert_oauth_error(r, "invalid_request")
    assert_ok(local.get("/api/ok", t))


@pytest.mark.expect_log(r"AH01617")       # the Basic try of a revoked token
def test_revoke_own_token_refused_at_once_on_every_child(local, ring):
    t = tok(ring, sub="alice")
    for _ in range(6):              # cached in both children
        assert_ok(local.get("/api/ok", t))
    before = metric(local, "authn_jwt_revocations_total")
    r = revoke(local, "/revoke", form(token=t), bearer=t)
    assert r.status == 200, r
    assert r.body == b""
    assert r.header("Cache-Control") == "no-store"
    for _ in range(8):
        assert_revoked(local.get("/api/ok", t))
    assert metric(local, "authn_jwt_revocations_total") == before + 1
    assert metric(local, "authn_jwt_tokens_rejected_total",
                  reason="revoked") >= 8
    # the Basic provider refuses it too
    cred = base64.b64encode((":" + t).encode()).decode()
    r = local.request("/basicapi/ok", [("Authorization", "Basic " + cred)],
                      secrets=[t])
    assert r.status == 401, r
    # revoking it again: the caller's own credential is no longer valid
    assert revoke(local, "/revoke", form(token=t), bearer=t).status == 401


@pytest.mark.parametrize("hint", ["access_token", "refresh_token",
                                  "something_else"])
def test_token_type_hint(local, ring, hint):
    t = tok(ring)
    assert_ok(local.get("/api/ok", t))
    r = revoke(local, "/revoke", form(token=t, token_type_hint=hint),
               bearer=t)
    assert r.status == 200, r
    assert_revoked(local.get("/api/ok", t))


def test_invalid_tokens_answer_200_and_revoke_nothing(local, ring):
    caller = tok(ring, sub="alice")
    other_key = pyjwt_token("HS256", ring["hs256b"], claims(sub="alice"))
    expired = tok(ring, sub="alice", exp=now() - 999)
    before = metric(local, "authn_jwt_revocations_total")
    for bad in ("garbage", "a.b.c", other_key, expired):
        r = revoke(local, "/revoke", form(token=bad), bearer=caller)
        assert r.status == 200, (bad, r)
    assert metric(local, "authn_jwt_revocations_total") == before
    assert_ok(local.get("/api/ok", caller))


def test_same_user_may_revoke_other_user_may_not(local, ring):
    alice1 = tok(ring, sub="alice")
    alice2 = tok(ring, sub="alice")
    bob = tok(ring, sub="bob")
    assert_ok(local.get("/api/ok", bob))
    r = revoke(local, "/revoke", form(token=bob), bearer=alice1)
    assert_oauth_error(r, "unauthorized_client")
    assert_ok(local.get("/api/ok", bob))
    r = revoke(local, "/revoke", form(token=alice2), bearer=alice1)
    assert r.status == 200, r
    assert_revoked(local.get("/api/ok", alice2))
    assert_ok(local.get("/api/ok", alice1))


def test_basic_user_revokes_own_tokens_only(local, ring):
    mine = tok(ring, sub="alice")
    bobs = tok(ring, sub="bob")
    r = revoke(local, "/revoke-basic", form(token=bobs),
               basic=("alice", "pw-alice"))
    assert_oauth_error(r, "unauthorized_client")
    assert_ok(local.get("/api/ok", bobs))
    r = revoke(local, "/revoke-basic", form(token=mine),
               basic=("alice", "pw-alice"))
    assert r.status == 200, r
    assert_revoked(local.get("/api/ok", mine))


@pytest.mark.expect_log(r"AH01631")       # carol is no admin
def test_revoke_any(local, ring):
    admin = tok(ring, sub="admin")
    bobs = tok(ring, sub="bob")
    # AuthJWTRevokeAny is per location: /revoke does not have it
    assert_oauth_error(revoke(local, "/revoke", form(token=bobs),
                              bearer=admin), "unauthorized_client")
    r = revoke(local, "/revoke-any", form(token=bobs), bearer=admin)
    assert r.status == 200, r
    assert_revoked(local.get("/api/ok", bobs))
    # its Require still decides who is a caller
    carol = tok(ring, sub="carol")
    r = revoke(local, "/revoke-any", form(token=tok(ring, sub="dave")),
               bearer=carol)
    assert r.status in (401, 403), r


def test_unauthenticated_caller_revokes_nothing(local, ring):
    t = tok(ring, sub="alice")
    r = revoke(local, "/revoke-open", form(token=t))
    assert_oauth_error(r, "unauthorized_client")
    assert_ok(local.get("/api/ok", t))


def test_by_iss_and_jti_or_by_token_hash(local, ring):
    # same iss + jti: one token, however it is re-signed
    c = claims(sub="alice", iss="https://idp", jti="fixed-jti-1")
    t1 = pyjwt_token("HS256", ring["hs256"], c)
    t2 = pyjwt_token("HS256", ring["hs256"], dict(c, scope="x"))
    other_iss = pyjwt_token("HS256", ring["hs256"],
                            dict(c, iss="https://idp2"))
    assert revoke(local, "/revoke", form(token=t1), bearer=t1).status == 200
    assert_revoked(local.get("/api/ok", t1))
    assert_revoked(local.get("/api/ok", t2))
    assert_ok(local.get("/api/ok", other_iss))
    # no jti: only that very token
    n1 = tok(ring, sub="alice", jti=None)
    n2 = tok(ring, sub="alice", jti=None, iat=now() - 1)
    assert revoke(local, "/revoke", form(token=n1), bearer=n1).status == 200
    assert_revoked(local.get("/api/ok", n1))
    assert_ok(local.get("/api/ok", n2))


# ---------------------------------------------------------------------------
# memcached and Redis, started here

class Store:
    def __init__(self, kind, basedir):
        self.kind = kind
        self.port = next_quiet_port()
        self.dir = os.path.join(basedir, "%s-%d" % (kind, self.port))
        os.makedirs(self.dir, exist_ok=True)
        self.proc = None

    def argv(self):
        if self.kind == "memcache":
            argv = ["memcached", "-l", "127.0.0.1", "-p", str(self.port),
                    "-U", "0", "-m", "16", "-t", "2"]
            if os.geteuid() == 0:
                argv += ["-u", "nobody"]
            return argv
        return ["redis-server", "--port", str(self.port), "--bind",
                "127.0.0.1", "--dir", self.dir, "--save", "",
                "--appendonly", "yes", "--appendfsync", "always",
                "--daemonize", "no", "--protected-mode", "no",
                "--logfile", os.path.join(self.dir, "redis.log")]

    def start(self):
        binary = "memcached" if self.kind == "memcache" else "redis-server"
        if shutil.which(binary) is None:
            pytest.fail("%s is not installed (scripts/deps.sh installs it)"
                        % binary)
        if os.geteuid() == 0:
            os.chmod(self.dir, 0o777)
        self.proc = subprocess.Popen(self.argv(), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL,
                                     start_new_session=True)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2) \
                    .close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("%s did not start on %d" % (binary, self.port))

    def stop(self):
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    @property
    def spec(self):
        return "%s:127.0.0.1:%d" % (self.kind, self.port)


@pytest.fixture(params=["memcache", "redis"])
def store(request, basedir):
    s = Store(request.param, basedir)
    s.start()
    yield s
    s.stop()


DELAY = 2


def _shared_body(K, spec, fail_open, delay=DELAY):
    hs = "AuthJWTVerifyKey secret:%s" % K("hs256.secret")
    return ("AuthJWTRevocationStore %s\n" % spec
            + "AuthJWTRevocationDelay %d\n" % delay
            + ("AuthJWTRevocationFailOpen On\n" if fail_open else "")
            + METRICS + location("/api/", hs)
            + location("/revoke", hs, "SetHandler jwt-revoke"))


def _pair(httpd, K, store, delay=DELAY):
    mods = MODS + [SOCACHE[store.kind]]
    a = httpd("rev-%s-a-%d-%d" % (store.kind, store.port, delay),
              _shared_body(K, store.spec, False, delay), extra_modules=mods)
    b = httpd("rev-%s-b-%d-%d" % (store.kind, store.port, delay),
              _shared_body(K, store.spec, True, delay), extra_modules=mods)
    return a, b


def test_delay_0_asks_the_store_every_time(httpd, ring, K, store):
    a, b = _pair(httpd, K, store, delay=0)
    t = tok(ring, sub="alice")
    for srv in (a, b):
        for _ in range(3):
            assert_ok(srv.get("/api/ok", t))
    looked = metric(b, "authn_jwt_revocation_lookups_total")
    assert looked >= 3
    assert revoke(a, "/revoke", form(token=t), bearer=t).status == 200
    # no waiting at all at the other server
    for _ in range(4):
        assert_revoked(b.get("/api/ok", t))


def _wait_status(srv, path, token, status, limit):
    t0 = time.time()
    while True:
        r = srv.get(path, token)
        if r.status == status:
            return time.time() - t0, r
        if time.time() - t0 > limit:
            raise AssertionError("still %r after %.1fs (want %d)"
                                 % (r, limit, status))
        time.sleep(0.1)


def test_shared_store_two_servers(httpd, ring, K, store):
    a, b = _pair(httpd, K, store)
    t = tok(ring, sub="alice")
    for srv in (a, b):
        for _ in range(4):
            assert_ok(srv.get("/api/ok", t))
    t0 = time.time()
    assert revoke(a, "/revoke", form(token=t), bearer=t).status == 200
    # at once on every child of the server that revoked it
    for _ in range(6):
        assert_revoked(a.get("/api/ok", t))
    # within the delay on the other
    waited, r = _wait_status(b, "/api/ok", t, 401, DELAY + 2)
    assert_revoked(r)
    assert time.time() - t0 <= DELAY + 1.5, time.time() - t0
    for _ in range(6):
        assert_revoked(b.get("/api/ok", t))
    # and a token revoked at B is refused at A
    u = tok(ring, sub="bob")
    assert_ok(a.get("/api/ok", u))
    assert revoke(b, "/revoke", form(token=u), bearer=u).status == 200
    _wait_status(a, "/api/ok", u, 401, DELAY + 2)


@pytest.mark.expect_log(*STORE_DOWN)
def test_store_down_fail_closed_and_open_then_recovers(httpd, ring, K,
                                                       store):
    a, b = _pair(httpd, K, store)       # a: fail closed, b: fail open
    t = tok(ring, sub="alice")
    for srv in (a, b):
        assert_ok(srv.get("/api/ok", t))
    errs_a = metric(a, "authn_jwt_revocation_store_errors_total",
                    op="lookup")
    store.stop()
    time.sleep(DELAY + 0.2)             # the cached answers grow old
    r = a.get("/api/ok", t)
    assert r.status == 503, r
    assert r.header("Retry-After"), r
    assert r.env_header("X-Jwt-Error") == "revocation_unavailable"
    assert_ok(b.get("/api/ok", t))
    # a new token too: nothing cached
    n = tok(ring, sub="carol")
    assert a.get("/api/ok", n).status == 503
    assert_ok(b.get("/api/ok", n))
    assert metric(a, "authn_jwt_revocation_store_errors_total",
                  op="lookup") > errs_a
    assert metric(b, "authn_jwt_revocation_fail_open_total") >= 2
    # revoking while the store is down: 503, nothing promised
    r = revoke(a, "/revoke", form(token=n), bearer=t)
    assert r.status in (503, 400), r
    store.start()
    _wait_status(a, "/api/ok", t, 200, 40)
    _wait_status(a, "/api/ok", n, 200, 40)
    assert_ok(b.get("/api/ok", t))


@pytest.mark.expect_log(*STORE_DOWN)
def test_store_down_is_asked_once_a_second(httpd, ring, K, store):
    """While the store fails, one request a second per child asks it: the
    others are answered without it (503, or accepted unchecked when
    failing open) and counted, and the socache provider's error lines stay
    a few a second instead of one per request."""
    a, b = _pair(httpd, K, store, delay=0)
    t = tok(ring, sub="alice")
    assert_ok(a.get("/api/ok", t))
    store.stop()
    off = a.error_offset()
    errs = metric(a, "authn_jwt_revocation_store_errors_total", op="lookup")
    t0 = time.time()
    n = 0
    with ThreadPoolExecutor(max_workers=4) as ex:
        while time.time() - t0 < 2.0:
            st = list(ex.map(lambda _: a.get("/api/ok", t).status, range(40)))
            assert set(st) == {503}, st
            n += len(st)
        assert set(ex.map(lambda _: b.get("/api/ok", t).status,
                          range(40))) == {200}
    elapsed = time.time() - t0
    lines = [l for l in a.error_lines_since(off)
             if re.search(r"scache_mc|scache_rd|socache", l)]
    # every request is counted, asked or not
    assert metric(a, "authn_jwt_revocation_store_errors_total",
                  op="lookup") >= errs + n
    # at most a probe (two store operations) a second in each child
    children = 2
    assert len(lines) <= 2 * children * (int(elapsed) + 2), (n, lines[:5])
    assert n >= 100
    store.start()
    _wait_status(a, "/api/ok", t, 200, 40)


@pytest.mark.expect_log(*STORE_DOWN)
def test_redis_persistence_keeps_revocations(httpd, ring, K, basedir):
    store = Store("redis", basedir)
    store.start()
    try:
        a, _ = _pair(httpd, K, store)
        t = tok(ring, sub="alice")
        assert_ok(a.get("/api/ok", t))
        assert revoke(a, "/revoke", form(token=t), bearer=t).status == 200
        assert_revoked(a.get("/api/ok", t))
        store.stop()
        store.start()
        time.sleep(DELAY + 0.2)
        _, r = _wait_status(a, "/api/ok", t, 401, 40)
        assert_revoked(r)
        other = tok(ring, sub="bob")
        assert_ok(a.get("/api/ok", other))
    finally:
        store.stop()


def test_unknown_store_stops_start_up(httpd, K):
    srv = httpd("rev-bad-store", "AuthJWTRevocationStore memcache:127.0.0.1:"
                "11211\n" + location("/api/", "AuthJWTVerifyKey secret:%s"
                                     % K("hs256.secret")), start=False)
    started, out = srv.start(must_work=False)
    assert not started
    assert "AJ00322" in out and "socache_memcache_module" in out, out


@pytest.mark.parametrize("line,needle", [
    ("AuthJWTRevocationStore dbm:/tmp/x", "is not a store"),
    ("AuthJWTRevocationStore memcache", "is not a store"),
    ("AuthJWTRevocationDelay -1", "whole number"),
    ("AuthJWTRevocationDelay 99999", "whole number"),
    ("AuthJWTCacheSize lots", "not a number"),
    ("<Location /x>\nAuthJWTCacheSize 5\n</Location>", "not allowed"),
    ("<Location /x>\nAuthJWTRevocationStore shmcb\n</Location>",
     "not allowed"),
    ("<Location /x>\nAuthJWTCacheMaxAge 0\n</Location>", "whole number"),
])
def test_config_errors(httpd, line, needle):
    srv = httpd("rev-conf-%d" % (abs(hash(line)) % 100000), line,
                start=False)
    rc, out = srv.configtest()
    assert rc != 0, out
    assert needle in out, out
    assert "httpd.conf" in out, out


# ---------------------------------------------------------------------------
# htjwt revoke, against the same server

def _htjwt(*args, stdin=None):
    from issue_kit import HTJWT, run
    return run([HTJWT] + list(args), stdin=stdin)


def test_htjwt_revoke_own_token(local, ring):
    t = tok(ring, sub="alice")
    local.note_secret(t)
    assert_ok(local.get("/api/ok", t))
    url = "http://127.0.0.1:%d/revoke" % local.port
    rc, out, err = _htjwt("revoke", url, t)
    assert rc == 0, err
    assert "200" in err and t not in err + out
    assert_revoked(local.get("/api/ok", t))


def test_htjwt_revoke_stdin_auth_token_and_basic(local, ring):
    url = "http://127.0.0.1:%d/revoke" % local.port
    caller = tok(ring, sub="alice")
    mine = tok(ring, sub="alice")
    bobs = tok(ring, sub="bob")
    local.note_secret(caller, mine, bobs)
    rc, _, err = _htjwt("revoke", "--auth-token", caller, "--hint",
                        "access_token", url, "-", stdin=mine + "\n")
    assert rc == 0, err
    assert_revoked(local.get("/api/ok", mine))
    rc, _, err = _htjwt("revoke", "--auth-token", caller, url, bobs)
    assert rc == 1, err
    assert "unauthorized_client" in err and "400" in err
    assert_ok(local.get("/api/ok", bobs))
    basic_url = "http://127.0.0.1:%d/revoke-basic" % local.port
    rc, _, err = _htjwt("revoke", "--user", "alice:pw-alice", basic_url,
                        caller)
    assert rc == 0, err
    assert_revoked(local.get("/api/ok", caller))


@pytest.mark.parametrize("args", [
    [],
    ["ftp://127.0.0.1/revoke", "a.b.c"],
    ["--user", "nocolon", "http://127.0.0.1:1/revoke", "a.b.c"],
    ["--timeout", "0", "http://127.0.0.1:1/revoke", "a.b.c"],
    ["--bogus", "x", "http://127.0.0.1:1/revoke", "a.b.c"],
    ["--auth-token", "x", "--user", "a:b", "http://127.0.0.1:1/r", "a.b.c"],
])
def test_htjwt_revoke_usage(args):
    rc, _, err = _htjwt("revoke", *args)
    assert rc == 2, err
    assert "usage" in err or "must" in err or "takes" in err or \
        "unknown" in err, err


def test_htjwt_revoke_no_server():
    port = next_port()
    rc, _, err = _htjwt("revoke", "--timeout", "3",
                        "http://127.0.0.1:%d/revoke" % port, "a.b.c")
    assert rc == 2, err
    assert "no answer" in err, err
