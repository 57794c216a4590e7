# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""manual "Caching and revocation": the verified-token cache never lets
through a token the full check would refuse.  Every rule a location may differ in is tried as
a bypass (the token cached at a lenient location, then shown to a strict
one, whose answer must equal that of the same location with the cache
off); a token expiring while cached (leeway 0); a key rotated away while
its tokens are cached; 16 children x 64 threads hammering the same and
different tokens (no wrong answer, no crash, clean log, RSS flat)."""

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness import assert_invalid_token, assert_ok, location
from jose_kit import claims, craft, now, pyjwt_token

METRICS = """
<Location "/metrics">
    SetHandler jwt-metrics
</Location>
"""


def metric(srv, name):
    r = srv.request("/metrics")
    assert r.status == 200, r
    total = 0.0
    for fam in text_string_to_metric_families(r.text):
        for s in fam.samples:
            if s.name == name:
                total += s.value
    return total


# (case, lines of the lenient location A, lines of the strict location B,
#  claims, headers, the reason B gives)
def _cases(K):
    hs = "AuthJWTVerifyKey secret:%s" % K("hs256.secret")
    hsb = "AuthJWTVerifyKey secret:%s" % K("hs256b.secret")
    return [
        ("keys", [hs], [hsb], {}, None, "signature"),
        ("key_issuer", [hs], ["AuthJWTVerifyKey iss=https://other "
                              "secret:%s" % K("hs256.secret")],
         {"iss": "https://idp"}, None, "no_key"),
        ("key_alg", ["AuthJWTVerifyKey %s" % K("rsa.pub.pem")],
         ["AuthJWTVerifyKey alg=PS256 %s" % K("rsa.pub.pem")], {}, None,
         ("no_key", "alg")),
        ("issuers", [hs, "AuthJWTIssuer https://idp https://idp2"],
         [hs, "AuthJWTIssuer https://idp"], {"iss": "https://idp2"}, None,
         "issuer"),
        ("audiences", [hs, "AuthJWTAudience api other"],
         [hs, "AuthJWTAudience api"], {"aud": "other"}, None, "audience"),
        ("types", [hs], [hs, "AuthJWTType at+jwt"], {}, {"typ": "JWT"},
         "type"),
        ("leeway", [hs, "AuthJWTLeeway 120"], [hs, "AuthJWTLeeway 0"],
         {"exp": now() - 30}, None, "expired"),
        ("nbf_leeway", [hs, "AuthJWTLeeway 600"], [hs, "AuthJWTLeeway 0"],
         {"nbf": now() + 300}, None, "not_yet_valid"),
        ("required", [hs], [hs, "AuthJWTRequireClaim exp email"], {}, None,
         "missing_claim"),
        ("max_ttl", [hs], [hs, "AuthJWTMaxTTL 60"],
         {"exp": now() + 3000}, None, "ttl"),
        ("user_claim", [hs], [hs, "AuthJWTUserClaim email"], {}, None,
         "user_claim"),
        ("encryption", [hs], [hs, "AuthJWTRequireEncryption On"], {}, None,
         "encryption_required"),
        ("max_size", [hs], [hs, "AuthJWTMaxTokenSize 256"],
         {"pad": "x" * 300}, None, "too_large"),
    ]


def _body(K):
    out = [METRICS]
    for case, a, b, _, _, _ in _cases(K):
        out.append(location("/a-%s/" % case, *a))
        out.append(location("/b-%s/" % case, *b))
        out.append(location("/nc-%s/" % case, *(b + ["AuthJWTCache Off"])))
    return "".join(out)


@pytest.fixture(scope="module")
def bypass_srv(httpd, K):
    return httpd("cache-bypass", _body(K))


@pytest.mark.parametrize("case", [c[0] for c in _cases(lambda n: n)])
def test_no_bypass_at_a_location_with_other_rules(bypass_srv, ring, K,
                                                  case):
    srv = bypass_srv
    _, _, _, extra, hdrs, reason = [c for c in _cases(K) if c[0] == case][0]
    if case == "key_alg":
        tok = pyjwt_token("RS256", ring["rsa"], claims(**extra), headers=hdrs)
    else:
        tok = pyjwt_token("HS256", ring["hs256"], claims(**extra),
                          headers=hdrs)
    reasons = reason if isinstance(reason, tuple) else (reason,)
    hits = metric(srv, "authn_jwt_cache_hits_total")
    for _ in range(3):
        assert_ok(srv.get("/a-%s/ok" % case, tok))
    # the second and third were hits: the token is in the cache
    assert metric(srv, "authn_jwt_cache_hits_total") >= hits + 2
    strict = srv.get("/b-%s/ok" % case, tok)
    full = srv.get("/nc-%s/ok" % case, tok)
    assert_invalid_token(full, reasons=reasons)
    assert_invalid_token(strict, reasons=reasons)
    assert strict.env_header("X-Jwt-Error") == full.env_header("X-Jwt-Error")
    # and the lenient location still has it
    assert_ok(srv.get("/a-%s/ok" % case, tok))


def test_hit_counts_and_cache_off(httpd, ring, K):
    hs = "AuthJWTVerifyKey secret:%s" % K("hs256.secret")
    srv = httpd("cache-onoff", METRICS + location("/on/", hs)
                + location("/off/", hs, "AuthJWTCache Off"))
    tok = pyjwt_token("HS256", ring["hs256"], claims(sub="carol"))
    h0 = metric(srv, "authn_jwt_cache_hits_total")
    m0 = metric(srv, "authn_jwt_cache_misses_total")
    for _ in range(4):
        r = assert_ok(srv.get("/off/env", tok))
    assert metric(srv, "authn_jwt_cache_hits_total") == h0
    assert metric(srv, "authn_jwt_cache_misses_total") == m0
    first = assert_ok(srv.get("/on/env", tok)).cgi_env()
    for _ in range(3):
        again = assert_ok(srv.get("/on/env", tok)).cgi_env()
    # two children: at least one of the later three hit
    assert metric(srv, "authn_jwt_cache_hits_total") >= h0 + 1
    # a hit sets the same user and environment as the full check
    keep = ("REMOTE_USER", "AUTH_TYPE", "JWT_SUB", "JWT_JTI", "JWT_EXP",
            "JWT_ALG", "JWT_CLAIM_iat")
    assert {k: first.get(k) for k in keep} == {k: again.get(k) for k in keep}
    assert again["REMOTE_USER"] == "carol"
    assert {k: r.cgi_env().get(k) for k in keep} == \
        {k: again.get(k) for k in keep}


def test_expires_while_cached_leeway_0(httpd, ring, K):
    srv = httpd("cache-expiry", METRICS + location(
        "/z/", "AuthJWTVerifyKey secret:%s" % K("hs256.secret"),
        "AuthJWTLeeway 0"))
    exp = now() + 2
    tok = pyjwt_token("HS256", ring["hs256"], claims(exp=exp))
    for _ in range(4):
        assert_ok(srv.get("/z/ok", tok))
    while time.time() < exp + 0.05:
        time.sleep(0.05)
    for _ in range(4):
        assert_invalid_token(srv.get("/z/ok", tok), reason="expired")


def test_max_age_rechecks(httpd, ring, K):
    srv = httpd("cache-maxage", METRICS + location(
        "/m/", "AuthJWTVerifyKey secret:%s" % K("hs256.secret"),
        "AuthJWTCacheMaxAge 1"))
    tok = pyjwt_token("HS256", ring["hs256"], claims())
    for _ in range(3):
        assert_ok(srv.get("/m/ok", tok))
    m0 = metric(srv, "authn_jwt_cache_misses_total")
    time.sleep(2.1)
    for _ in range(4):
        assert_ok(srv.get("/m/ok", tok))
    # the entry was too old: checked in full again (in each child)
    assert metric(srv, "authn_jwt_cache_misses_total") >= m0 + 1


def test_key_rotated_away_while_cached(httpd, ring, K, basedir):
    keyfile = os.path.join(basedir, "cache-rotate.secret")
    with open(keyfile, "wb") as f:
        f.write(ring["hs256"].secret)
    os.chmod(keyfile, 0o644)
    srv = httpd("cache-rotate", location("/r/", "AuthJWTVerifyKey secret:%s"
                                         % keyfile))
    old = pyjwt_token("HS256", ring["hs256"], claims())
    new = pyjwt_token("HS256", ring["hs256b"], claims())
    for _ in range(4):
        assert_ok(srv.get("/r/ok", old))
    with open(keyfile, "wb") as f:
        f.write(ring["hs256b"].secret)
    srv.graceful()
    deadline = time.time() + 10
    while time.time() < deadline:
        if srv.get("/r/ok", new).status == 200:
            break
        time.sleep(0.2)
    assert_ok(srv.get("/r/ok", new))
    for _ in range(6):
        assert_invalid_token(srv.get("/r/ok", old), reason="signature")


def test_a_refused_token_is_never_cached(httpd, ring, K):
    srv = httpd("cache-refused", METRICS + location(
        "/n/", "AuthJWTVerifyKey secret:%s" % K("hs256.secret"),
        "AuthJWTAudience api"))
    bad = pyjwt_token("HS256", ring["hs256"], claims(aud="other"))
    h0 = metric(srv, "authn_jwt_cache_hits_total")
    for _ in range(4):
        assert_invalid_token(srv.get("/n/ok", bad), reason="audience")
    assert metric(srv, "authn_jwt_cache_hits_total") == h0
    # a forged signature on a cached token's header.payload is no hit
    good = pyjwt_token("HS256", ring["hs256"], claims(aud="api"))
    assert_ok(srv.get("/n/ok", good))
    h, p, s = good.split(".")
    forged = h + "." + p + "." + ("A" if s[0] != "A" else "B") + s[1:]
    for _ in range(3):
        assert_invalid_token(srv.get("/n/ok", forged),
                             reasons=["signature", "base64"])


# ---- 16 children x 64 threads ----

HAMMER_MPM = """
ServerLimit 16
StartServers 16
ThreadLimit 64
ThreadsPerChild 64
MinSpareThreads 64
MaxSpareThreads 1024
MaxRequestWorkers 1024
MaxConnectionsPerChild 0
"""


def _children_rss_kb(srv):
    total = 0
    parent = srv.proc.pid
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) != parent:
                continue
            with open("/proc/%s/status" % pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total


def test_hammer_16_children_64_threads(httpd, ring, K):
    hs = "AuthJWTVerifyKey secret:%s" % K("hs256.secret")
    srv = httpd("cache-hammer", HAMMER_MPM + METRICS
                + location("/h/", hs, "AuthJWTAudience api")
                + location("/s/", hs, "AuthJWTAudience api",
                           "AuthJWTIssuer https://idp"),
                loglevel="warn")
    time.sleep(1.0)
    same = pyjwt_token("HS256", ring["hs256"], claims(aud="api", sub="same"))
    wrong_iss = pyjwt_token("HS256", ring["hs256"],
                            claims(aud="api", sub="x", iss="https://evil"))
    expired = pyjwt_token("HS256", ring["hs256"],
                          claims(aud="api", sub="old", exp=now() - 999))
    other_key = pyjwt_token("HS256", ring["hs256b"],
                            claims(aud="api", sub="mallory"))

    def distinct(i):
        return pyjwt_token("HS256", ring["hs256"],
                           claims(aud="api", sub="u%d" % i))

    def cases(start, n):
        out = []
        for i in range(start, start + n):
            out.append(("/h/env", same, 200, "same"))
            out.append(("/h/env", distinct(i), 200, "u%d" % i))
            out.append(("/s/ok", same, 401, None))          # no iss
            out.append(("/h/ok", wrong_iss, 200, "x"))
            out.append(("/s/ok", wrong_iss, 401, None))
            out.append(("/h/ok", expired, 401, None))
            out.append(("/h/ok", other_key, 401, None))
        return out

    def one(case):
        path, tok, status, user = case
        r = srv.get(path, tok)
        return case, r

    def run(batch):
        for _, tok, _, _ in batch:
            srv.note_secret(tok)
        with ThreadPoolExecutor(max_workers=64) as pool:
            results = list(pool.map(one, batch))
        for (path, tok, status, user), r in results:
            assert r.status == status, (path, status, r)
            if status == 200:
                assert r.header("X-Remote-User") == user, (path, user, r)
                if path.endswith("/env"):
                    assert r.cgi_env().get("JWT_SUB") == user

    # the first rounds reach every thread (each takes its own malloc
    # arena and stack pages); after that the children stay flat
    rss = []
    for rnd in range(4):
        run(cases(rnd * 1000, 150))
        rss.append(_children_rss_kb(srv))
    print("children RSS kB after each round:", rss)
    assert metric(srv, "authn_jwt_cache_hits_total") > 0
    assert rss[3] - rss[2] < 8 * 1024, rss


def test_memory_flat_with_a_small_cache(httpd, ring, K):
    """Far more distinct tokens than entries, each used three times over
    the two children (a full cache takes a token at its second sighting
    in a child): the cache stays at its size (evictions counted), the
    child's memory does not grow."""
    hs = "AuthJWTVerifyKey secret:%s" % K("hs256.secret")
    # both children from the start: a child spawned later would count
    srv = httpd("cache-flat", "StartServers 2\nMinSpareThreads 1\n"
                "MaxSpareThreads 32\nAuthJWTCacheSize 64\n" + METRICS
                + location("/f/", hs), loglevel="warn")

    def thrice(t):
        # three requests, two children: two of them reach the same one
        return [srv.get("/f/ok", t).status for _ in range(3)]

    def batch(start, n):
        toks = [pyjwt_token("HS256", ring["hs256"],
                            claims(sub="f%d" % i, pad="p" * 200))
                for i in range(start, start + n)]
        with ThreadPoolExecutor(max_workers=16) as pool:
            codes = list(pool.map(thrice, toks))
        assert codes == [[200, 200, 200]] * n

    rss = []
    for rnd in range(5):
        batch(rnd * 10000, 1200)
        rss.append(_children_rss_kb(srv))
    print("children RSS kB after each round:", rss)
    assert metric(srv, "authn_jwt_cache_evictions_total") >= 5000
    assert rss[4] - rss[2] < 2048, rss


def test_one_time_tokens_do_not_push_out_tokens_in_use(httpd, ring, K):
    """A full cache admits a token at its second sighting: a stream of
    tokens used once each is checked in full, inserts and evicts
    nothing, and the token in use keeps being a hit."""
    hs = "AuthJWTVerifyKey secret:%s" % K("hs256.secret")
    # one child: the requests below are sequential
    srv = httpd("cache-admit", "AuthJWTCacheSize 160\n" + METRICS
                + location("/a/", hs), loglevel="warn")
    in_use = [pyjwt_token("HS256", ring["hs256"], claims(sub="u%d" % i))
              for i in range(8)]
    for t in in_use:
        for _ in range(3):
            assert srv.get("/a/ok", t).status == 200
    hits0 = metric(srv, "authn_jwt_cache_hits_total")
    assert hits0 >= len(in_use)
    # fill the cache to its size with tokens seen twice
    for i in range(400):
        t = pyjwt_token("HS256", ring["hs256"], claims(sub="w%d" % i))
        assert srv.get("/a/ok", t).status == 200
        assert srv.get("/a/ok", t).status == 200
    ev0 = metric(srv, "authn_jwt_cache_evictions_total")
    for t in in_use:
        for _ in range(2):
            assert srv.get("/a/ok", t).status == 200
    hits1 = metric(srv, "authn_jwt_cache_hits_total")
    ev1 = metric(srv, "authn_jwt_cache_evictions_total")
    # the stream: 500 tokens, each once
    for i in range(500):
        t = pyjwt_token("HS256", ring["hs256"], claims(sub="o%d" % i))
        assert srv.get("/a/ok", t).status == 200
    # without the filter: 500; with it, only its rare false positives
    assert metric(srv, "authn_jwt_cache_evictions_total") <= ev1 + 10
    for t in in_use:
        assert srv.get("/a/ok", t).status == 200
    assert metric(srv, "authn_jwt_cache_hits_total") \
        >= hits1 + len(in_use)
    assert ev0 > 0


def test_no_bypass_between_htaccess_rules(httpd, ring, K):
    """Rules read from .htaccess live one request: their fingerprints are
    made again for each, never taken from another directory's."""
    ht = ("AuthType Bearer\nAuthName \"R\"\n"
          "AuthJWTVerifyKey secret:%s\n%s\nRequire valid-user\n")
    body = METRICS + "".join(
        '<Directory "@ROOT@/htdocs/%s">\n    AllowOverride AuthConfig\n'
        '</Directory>\n' % d for d in ("ha", "hb"))
    files = {
        "htdocs/ha/.htaccess": ht % (K("hs256.secret"),
                                     "AuthJWTAudience api other"),
        "htdocs/hb/.htaccess": ht % (K("hs256.secret"),
                                     "AuthJWTAudience api"),
        "htdocs/ha/f.txt": "a\n",
        "htdocs/hb/f.txt": "b\n",
    }
    srv = httpd("cache-htaccess", body, files=files)
    tok = pyjwt_token("HS256", ring["hs256"], claims(aud="other"))
    for _ in range(3):
        assert_ok(srv.get("/ha/f.txt", tok))
        assert_invalid_token(srv.get("/hb/f.txt", tok), reason="audience")
    assert metric(srv, "authn_jwt_cache_hits_total") >= 2
