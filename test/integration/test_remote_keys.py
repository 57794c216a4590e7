# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The manual's "Keys from identity providers" (#idp), against a local HTTPS
identity provider (jwks_server.py) with a CA made for this run.

Each rule of the manual has a test: fetching a JWKS URI and a discovery
document (issuer bound, impersonation refused), refresh picking up a new key
and dropping a removed one, one fetch for 200 concurrent unknown-kid
requests across children, ETag and User-Agent, outages of every kind
keeping the last good set, MaxStale and start-up without any set answering
503 with Retry-After, the cache directory across restarts, graceful
restart without a fetch, every child seeing a new set, TLS refusals, and
the six directives' start-up errors."""

import json
import os
import pwd
import stat
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import next_port
from harness import assert_ok, location
from jose_kit import claims, craft
from jwks_server import JwksServer, LocalCA

AUD = "api"


@pytest.fixture(scope="module")
def ca(basedir):
    return LocalCA(os.path.join(basedir, "remote-ca"))


@pytest.fixture(scope="module")
def rogue_ca(basedir):
    return LocalCA(os.path.join(basedir, "rogue-ca"), cn="rogue CA")


@pytest.fixture
def idp(ca, ring, httpd):
    """A fresh provider for each test, serving kid k1 (rsa).  The servers
    the test started stop before it does, so that their refreshes do not
    log into the next test."""
    cert, key = ca.issue("idp")
    n = len(httpd.servers)
    srv = JwksServer(next_port(), cert, key,
                     keys=[jwk(ring, "rsa", "k1")]).start()
    yield srv
    for s in httpd.servers[n:]:
        s.stop()
    srv.stop()


def jwk(ring, name, kid, alg=None):
    d = ring[name].jwk_dict(kid=kid, use="sig")
    if alg:
        d["alg"] = alg
    return d


def token(ring, name="rsa", kid="k1", alg="RS256", **kw):
    kw.setdefault("aud", AUD)
    return craft({"alg": alg, "typ": "JWT", "kid": kid}, claims(**kw),
                 alg, ring[name])


def body(ca, url, *extra, loc=(), server=()):
    """A server with /p/ verified by the key set at URL."""
    lines = ["AuthJWTKeysCAFile %s" % ca.ca_file]
    lines += list(server)
    return "\n".join(lines) + "\n" + location(
        "/p/", "AuthJWTVerifyKey %s" % url, "AuthJWTAudience %s" % AUD,
        *loc) + "".join(extra)


def status(srv, tok, path="/p/ok"):
    return srv.get(path, tok).status


def wait_status(srv, tok, want, timeout=8.0):
    end = time.time() + timeout
    st = None
    while time.time() < end:
        st = status(srv, tok)
        if st == want:
            return st
        time.sleep(0.2)
    return st


# ---------------------------------------------------------------- basics --

def test_jwks_uri_accepts_and_refuses(httpd, idp, ca, ring):
    srv = httpd("rk-basic", body(ca, idp.jwks_url))
    assert idp.count() == 1                 # the start-up fetch
    assert_ok(srv.get("/p/ok", token(ring)))
    r = srv.get("/p/ok", token(ring, "rsa2"))
    assert r.status == 401 and r.header("X-Jwt-Error") == "signature"
    # a kid signed by another key, unknown: no_key, never a 5xx
    r = srv.get("/p/ok", token(ring, "rsa2", kid="k9"))
    assert r.status == 401 and r.header("X-Jwt-Error") == "no_key"
    # the set is shared: no fetch per request
    assert idp.count() <= 2
    assert idp.user_agent.startswith("mod_authn_jwt")
    assert "AJ00237" in open(srv.error_log).read()


def test_discovery_binds_issuer(httpd, idp, ca, ring):
    srv = httpd("rk-oidc", body(ca, idp.oidc_url))
    assert idp.count("/.well-known/openid-configuration") == 1
    assert_ok(srv.get("/p/ok", token(ring, iss=idp.base)))
    # the keys verify only tokens of the document's issuer
    r = srv.get("/p/ok", token(ring, iss="https://other.example"))
    assert r.status == 401 and r.header("X-Jwt-Error") == "no_key"
    r = srv.get("/p/ok", token(ring, iss=None))
    assert r.status == 401


def test_discovery_rfc8414(httpd, idp, ca, ring):
    url = idp.base + "/.well-known/oauth-authorization-server"
    srv = httpd("rk-as", body(ca, url))
    assert_ok(srv.get("/p/ok", token(ring, iss=idp.base)))


@pytest.mark.expect_log("AJ00224")
def test_discovery_impersonation_refused(httpd, idp, ca, ring):
    """OpenID Connect Discovery 1.0 section 4.3: a document naming another
    issuer is refused, so its keys never verify anything."""
    idp.issuer = "https://evil.example"
    srv = httpd("rk-evil", body(ca, idp.oidc_url, server=[
        "AuthJWTKeysMinRefresh 3600"]), expect=["AJ00224"])
    log = open(srv.error_log).read()
    assert "4.3" in log and "evil.example" in log
    assert idp.count() == 0
    r = srv.get("/p/ok", token(ring, iss="https://evil.example"))
    assert r.status == 503


def test_iss_option_overrides(httpd, idp, ca, ring):
    srv = httpd("rk-iss", body(ca, "iss=https://mine.example " + idp.jwks_url))
    assert_ok(srv.get("/p/ok", token(ring, iss="https://mine.example")))
    assert srv.get("/p/ok", token(ring, iss="https://x.example")).status \
        == 401


def test_alg_and_kid_options(httpd, idp, ca, ring):
    idp.keys.append(jwk(ring, "p256", "e1"))
    srv = httpd("rk-opts", body(ca, "alg=ES256 " + idp.jwks_url)
                + location("/k/", "AuthJWTVerifyKey kid=k1 %s" % idp.jwks_url,
                           "AuthJWTAudience %s" % AUD))
    assert_ok(srv.get("/p/ok", token(ring, "p256", "e1", "ES256")))
    assert srv.get("/p/ok", token(ring)).status == 401
    assert_ok(srv.get("/k/ok", token(ring)))
    assert srv.get("/k/ok", token(ring, "p256", "e1", "ES256")).status == 401
    assert idp.count() == 1                 # one source, two lines


def test_etag_and_refresh(httpd, idp, ca, ring):
    srv = httpd("rk-etag", body(ca, idp.jwks_url, server=[
        "AuthJWTKeysRefresh 1"]))
    assert idp.wait_count(3, timeout=6)
    assert idp.not_modified >= 2
    time.sleep(0.3)
    log = open(srv.error_log).read()
    assert "AJ00220" in log and "etag_hit=yes" in log
    assert_ok(srv.get("/p/ok", token(ring)))


# ------------------------------------------------------------- rotation --

def test_refresh_picks_up_new_key_and_drops_removed(httpd, idp, ca, ring):
    srv = httpd("rk-rotate", body(ca, idp.jwks_url, server=[
        "AuthJWTKeysRefresh 1", "AuthJWTKeysMinRefresh 3600"]))
    old, new = token(ring), token(ring, "rsa2", "k2")
    assert_ok(srv.get("/p/ok", old))
    idp.keys = [jwk(ring, "rsa", "k1"), jwk(ring, "rsa2", "k2")]
    assert wait_status(srv, new, 200) == 200
    idp.keys = [jwk(ring, "rsa2", "k2")]
    assert wait_status(srv, old, 401) == 401
    assert srv.get("/p/ok", old).header("X-Jwt-Error") == "no_key"
    assert_ok(srv.get("/p/ok", new))


def test_unknown_kid_refetches_once(httpd, idp, ca, ring):
    srv = httpd("rk-kid", body(ca, idp.jwks_url, server=[
        "AuthJWTKeysMinRefresh 3600"]))
    assert idp.count() == 1
    idp.keys.append(jwk(ring, "rsa2", "k2"))
    # the request that names the new kid waits for the refetch
    assert_ok(srv.get("/p/ok", token(ring, "rsa2", "k2")))
    assert idp.count() == 2
    # another unknown kid within AuthJWTKeysMinRefresh: no fetch
    r = srv.get("/p/ok", token(ring, "rsa2", "k3"))
    assert r.status == 401 and r.header("X-Jwt-Error") == "no_key"
    assert idp.count() == 2


@pytest.mark.parametrize("rotate", [False, True])
def test_concurrent_unknown_kid_one_fetch(httpd, idp, ca, ring, rotate):
    """200 concurrent requests naming an unknown kid, over several prefork
    children: exactly one fetch for the whole server."""
    srv = httpd("rk-storm-%d" % rotate, body(ca, idp.jwks_url, server=[
        "AuthJWTKeysMinRefresh 3600"]), mpm="prefork")
    assert idp.count() == 1
    if rotate:
        idp.keys.append(jwk(ring, "rsa2", "k2"))
    toks = [token(ring, "rsa2", "k2") for _ in range(200)]
    with ThreadPoolExecutor(max_workers=32) as ex:
        codes = list(ex.map(lambda t: status(srv, t), toks))
    assert set(codes) <= {200, 401}, codes
    time.sleep(0.5)
    assert idp.count() == 2
    if rotate:
        assert 200 in codes
        assert status(srv, toks[0]) == 200
    else:
        assert set(codes) == {401}


def test_every_child_sees_new_set(httpd, idp, ca, ring):
    srv = httpd("rk-children", body(ca, idp.jwks_url, server=[
        "AuthJWTKeysMinRefresh 3600"]), mpm="prefork")
    # every child answers once with the old set (each holds it parsed)
    with ThreadPoolExecutor(max_workers=8) as ex:
        assert set(ex.map(lambda _: status(srv, token(ring)),
                          range(40))) == {200}
    idp.keys = [jwk(ring, "rsa2", "k2")]
    assert_ok(srv.get("/p/ok", token(ring, "rsa2", "k2")))
    with ThreadPoolExecutor(max_workers=8) as ex:
        new = list(ex.map(lambda _: status(srv, token(ring, "rsa2", "k2")),
                          range(40)))
        old = list(ex.map(lambda _: status(srv, token(ring)), range(40)))
    assert set(new) == {200}
    assert set(old) == {401}
    pids = set()
    for line in open(srv.error_log):
        if "AJ00228" in line:
            pids.add(line.split("[pid ")[1].split(":")[0])
    assert len(pids) >= 2, pids


# --------------------------------------------------------------- outages --

OUTAGES = ["down", "500", "hang", "big", "redirect", "invalid", "empty",
           "nokeys"]


@pytest.mark.parametrize("mode", OUTAGES)
def test_outage_keeps_last_good_set(httpd, idp, ca, ring, mode, log_expect):
    log_expect.append("AJ00221")
    srv = httpd("rk-out-" + mode, body(ca, idp.jwks_url, server=[
        "AuthJWTKeysMinRefresh 1", "AuthJWTKeysTimeout 2"]))
    assert_ok(srv.get("/p/ok", token(ring)))
    if mode == "down":
        idp.stop()
    else:
        idp.mode = mode
        idp.hang = 4
    time.sleep(1.1)
    t0 = time.time()
    # an unknown kid asks for a refetch, which fails
    assert status(srv, token(ring, "rsa2", "k7")) == 401
    assert time.time() - t0 < 6
    assert_ok(srv.get("/p/ok", token(ring)))
    time.sleep(0.3)
    log = open(srv.error_log).read()
    assert log.count("AJ00221") == 1
    reason = {"redirect": "redirect", "big": "larger than",
              "500": "HTTP 500", "hang": "AuthJWTKeysTimeout",
              "empty": "empty", "nokeys": "keys", "invalid": "JSON"}
    if mode in reason:
        assert reason[mode] in log.split("AJ00221")[1].splitlines()[0]
    # a second failure says nothing new at warn
    time.sleep(1.1)
    assert status(srv, token(ring, "rsa2", "k8")) == 401
    assert open(srv.error_log).read().count("AJ00221") == 1


@pytest.mark.expect_log("AJ00221", "AJ00222")
def test_max_stale_then_503_then_recovery(httpd, idp, ca, ring):
    srv = httpd("rk-stale", body(ca, idp.jwks_url, server=[
        "AuthJWTKeysRefresh 1", "AuthJWTKeysMaxStale 2",
        "AuthJWTKeysTimeout 1"]))
    assert_ok(srv.get("/p/ok", token(ring)))
    idp.mode = "500"
    assert wait_status(srv, token(ring), 503, timeout=8) == 503
    time.sleep(0.3)
    r = srv.get("/p/ok", token(ring))
    assert r.status == 503
    assert int(r.header("Retry-After")) >= 1
    assert r.header("WWW-Authenticate") is None
    assert r.header("X-Jwt-Error") == "keys_unavailable"
    # a bad token is still the client's fault
    assert srv.get("/p/ok", "abc.def").status == 401
    idp.mode = "ok"
    assert wait_status(srv, token(ring), 200, timeout=8) == 200
    time.sleep(1.2)
    log = open(srv.error_log).read()
    assert log.count("AJ00222") == 1
    assert "AJ00223" in log


# --------------------------------------------------------------- start-up --

@pytest.mark.expect_log("AJ00224")
def test_startup_provider_down_no_cache(httpd, idp, ca, ring):
    idp.mode = "hang"
    idp.hang = 8
    t0 = time.time()
    srv = httpd("rk-nocache", body(ca, idp.jwks_url, server=[
        "AuthJWTKeysTimeout 2", "AuthJWTKeysMinRefresh 1"]),
        expect=["AJ00224"])
    assert time.time() - t0 < 6             # never more than the timeout
    r = srv.get("/p/ok", token(ring))
    assert r.status == 503 and int(r.header("Retry-After")) >= 1
    assert "AJ00224" in open(srv.error_log).read()
    idp.mode = "ok"
    assert wait_status(srv, token(ring), 200, timeout=8) == 200


def test_startup_provider_down_uses_cache(httpd, idp, ca, ring, basedir):
    cache = os.path.join(basedir, "rk-cache-dir")
    b = body(ca, idp.jwks_url, server=["AuthJWTKeysCacheDir %s" % cache,
                                       "AuthJWTKeysMinRefresh 1",
                                       "AuthJWTKeysTimeout 1"])
    srv = httpd("rk-cache", b)
    assert_ok(srv.get("/p/ok", token(ring)))
    st = os.stat(cache)
    assert stat.S_IMODE(st.st_mode) == 0o700
    files = os.listdir(cache)
    assert len(files) == 1 and files[0].startswith("jwks-")
    fst = os.stat(os.path.join(cache, files[0]))
    assert stat.S_IMODE(fst.st_mode) == 0o600
    if os.geteuid() == 0:
        www = pwd.getpwnam("www-data").pw_uid
        assert st.st_uid == www and fst.st_uid == www
    kept = json.load(open(os.path.join(cache, files[0])))
    assert json.loads(kept["jwks"])["keys"][0]["kid"] == "k1"
    srv.stop()
    idp.stop()
    srv2 = httpd("rk-cache2", b, expect=["AJ00225", "AJ00221"])
    assert_ok(srv2.get("/p/ok", token(ring)))
    assert "AJ00225" in open(srv2.error_log).read()


def test_graceful_restart_keeps_set_without_fetch(httpd, idp, ca, ring):
    srv = httpd("rk-graceful", body(ca, idp.jwks_url))
    assert_ok(srv.get("/p/ok", token(ring)))
    idp.stop()
    off = srv.error_offset()
    srv.graceful()
    end = time.time() + 10
    while time.time() < end:
        if any("resuming normal operations" in l
               for l in srv.error_lines_since(off)):
            break
        time.sleep(0.1)
    time.sleep(0.3)
    assert_ok(srv.get("/p/ok", token(ring)))
    assert idp.count() == 1
    assert "AJ00237" not in "\n".join(srv.error_lines_since(off))


@pytest.mark.parametrize("mpm", ["prefork", "event"])
def test_children_stop_during_a_fetch(httpd, idp, ca, ring, mpm):
    """A child that exits while its fetcher reads a key set over TLS: the
    fetch is aborted and waited for before exit() tears OpenSSL down
    (without that the fetching thread crashed the child, now and then)."""
    for i in range(int(os.environ.get("IT_STOP_ROUNDS", "3"))):
        idp.mode = "ok"
        srv = httpd("rk-stop-%s-%d" % (mpm, i), body(ca, idp.jwks_url, server=[
            "AuthJWTKeysRefresh 1", "AuthJWTKeysMinRefresh 1"]), mpm=mpm)
        n = idp.count()
        idp.mode = "drip"
        assert idp.wait_count(n + 1, timeout=5)
        time.sleep(0.3)                     # well into the trickle
        t0 = time.time()
        srv.stop()
        assert time.time() - t0 < 5
        text = srv._read(srv.error_log)
        assert not srv.crash_lines(text.splitlines()), text[-2000:]
        assert "still did not exit" not in text
        # the exiting child waited for the fetch, which saw the stop
        assert "AJ00242" in text, text[-2000:]


# -------------------------------------------------------------------- TLS --

@pytest.mark.parametrize("case", ["untrusted", "wrong-host"])
def test_tls_refused(httpd, ca, rogue_ca, ring, case):
    if case == "untrusted":
        cert, key = rogue_ca.issue("rogue")
    else:
        cert, key = ca.issue("otherhost", ip=None, dns=("other.invalid",))
    bad = JwksServer(next_port(), cert, key,
                     keys=[jwk(ring, "rsa", "k1")]).start()
    try:
        srv = httpd("rk-tls-" + case, body(ca, bad.jwks_url, server=[
            "AuthJWTKeysTimeout 2", "AuthJWTKeysMinRefresh 3600"]),
            expect=["AJ00224"])
        log = open(srv.error_log).read()
        line = [l for l in log.splitlines() if "AJ00224" in l][0]
        assert ("certificate" in line.lower() or "SSL" in line), line
        assert srv.get("/p/ok", token(ring)).status == 503
        srv.stop()
    finally:
        bad.stop()


# ------------------------------------------------------ start-up errors --

BAD = [
    ("AuthJWTVerifyKey http://127.0.0.1:1/jwks.json", "https://"),
    ("AuthJWTVerifyKey https://", "no host"),
    ("AuthJWTDecryptKey https://127.0.0.1:1/jwks.json", "verification keys"),
]

BAD_SERVER = [
    ("AuthJWTKeysRefresh 0", "between 1 and"),
    ("AuthJWTKeysRefresh soon", "whole number"),
    ("AuthJWTKeysMinRefresh -1", "whole number"),
    ("AuthJWTKeysMaxStale 0", "between 1 and"),
    ("AuthJWTKeysTimeout 61", "between 1 and 60"),
    ("AuthJWTKeysCAFile /nonexistent/ca.pem", "not a readable file"),
]


@pytest.mark.parametrize("line,needle", BAD)
def test_bad_key_source(httpd, ca, line, needle):
    srv = httpd("rk-bad", location("/p/", line, "AuthJWTAudience api"),
                start=False)
    rc, out = srv.configtest()
    assert rc != 0 and needle in out, out
    assert "line %d" % srv.line_of(line.split()[0]) in out, out


@pytest.mark.parametrize("line,needle", BAD_SERVER)
def test_bad_server_directive(httpd, line, needle):
    srv = httpd("rk-bad-srv", line + "\n", start=False)
    rc, out = srv.configtest()
    assert rc != 0 and needle in out and line.split()[0] in out, out
    assert "line %d" % srv.line_of(line.split()[0]) in out, out


def test_server_directive_not_in_location(httpd):
    srv = httpd("rk-bad-loc", location("/p/", "AuthJWTKeysTimeout 5",
                                       "AuthJWTVerifyKey x"), start=False)
    rc, out = srv.configtest()
    assert rc != 0 and "AuthJWTKeysTimeout" in out, out


def test_htaccess_refuses_remote(httpd, idp, ca, ring):
    srv = httpd("rk-htaccess", "<Directory \"@ROOT@/htdocs/h\">\n"
                "    AllowOverride AuthConfig\n</Directory>\n"
                "Alias /h/ \"@ROOT@/htdocs/h/\"\n",
                files={"htdocs/h/file.txt": "ok\n",
                       "htdocs/h/.htaccess":
                           "AuthType Bearer\nAuthName R\n"
                           "AuthJWTVerifyKey %s\nRequire valid-user\n"
                           % idp.jwks_url},
                expect=["\\.htaccess"])
    tok = token(ring)
    r = srv.request("/h/file.txt", [("Authorization", "Bearer " + tok)],
                    secrets=[tok], allow_500=True)
    assert r.status == 500
    assert "cannot be named in .htaccess" in open(srv.error_log).read()


# ----------------------------------------------------------------- htjwt --

def htjwt():
    return os.environ.get("HTJWT") or os.path.join(
        os.path.dirname(__file__), "..", "..", "htjwt")


def test_htjwt_verify_https(idp, ca, ring):
    tok = token(ring, iss=idp.base)
    r = subprocess.run([htjwt(), "verify", "--key", idp.oidc_url,
                        "--ca-file", ca.ca_file, "--aud", AUD, tok],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([htjwt(), "verify", "--key", idp.jwks_url,
                        "--aud", AUD, tok],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "certificate" in r.stderr.lower(), r.stderr
    r = subprocess.run([htjwt(), "verify", "--key",
                        idp.jwks_url.replace("https:", "http:"),
                        "--aud", AUD, tok],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "https://" in r.stderr, r.stderr


# --------------------------------------------------------------- metrics --

def test_metrics(httpd, idp, ca, ring):
    srv = httpd("rk-metrics", body(ca, idp.jwks_url, """
<Location "/metrics">
    SetHandler jwt-metrics
    Require all granted
</Location>
""", server=["AuthJWTKeysMinRefresh 3600"]))
    assert srv.get("/p/ok", token(ring, "rsa2", "k5")).status == 401
    assert srv.get("/p/ok", token(ring, "rsa2", "k6")).status == 401
    r = srv.request("/metrics")
    assert r.status == 200
    text = r.text
    # the start-up fetch, then a conditional refetch for k5 (304)
    assert 'authn_jwt_key_fetches_total{source="1",result="ok"} 1' in text
    assert 'authn_jwt_key_fetches_total{source="1",result="not_modified"} 1' \
        in text
    assert 'authn_jwt_key_fetches_total{source="1",result="failed"} 0' \
        in text
    assert 'authn_jwt_key_refetches_suppressed_total{source="1"} 1' in text
    assert 'authn_jwt_keys_loaded{source="1"} 1' in text
    line = [l for l in text.splitlines()
            if l.startswith('authn_jwt_keys_last_good_fetch_seconds')][0]
    assert abs(float(line.split()[-1]) - time.time()) < 60
    assert idp.base not in text             # never a URL as a label
