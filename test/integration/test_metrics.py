# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""manual "Metrics": SetHandler jwt-metrics speaks Prometheus text format
0.0.4 (parsed here by prometheus_client's own parser, and by promtool where
it is installed), sums over every child, counts what happened, and takes no
label value from a request; /server-status shows the same figures."""

import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness import assert_invalid_token, assert_ok, location
from jose_kit import claims, now, pyjwt_token

STATUS_MOD = [("status_module", "mod_status.so"),
              ("authz_host_module", "mod_authz_host.so")]

# every label name the module may use, and the fixed values of each
ALLOWED_LABELS = {"reason", "op", "result", "source"}


def _body(K):
    return (location("/p/", "AuthJWTVerifyKey secret:%s" % K("hs256.secret"),
                     "AuthJWTAudience api")
            + location("/issue/", "AuthJWTVerifyKey secret:%s"
                       % K("hs256.secret"),
                       "AuthJWTSignKey secret:%s" % K("hs256.secret"),
                       "AuthJWTAudience api", "SetHandler jwt-issuer")
            + """
<Location "/metrics">
    SetHandler jwt-metrics
    Require ip 127.0.0.1
</Location>
<Location "/server-status">
    SetHandler server-status
    Require ip 127.0.0.1
</Location>
""")


def _metrics(srv):
    r = srv.request("/metrics")
    assert r.status == 200, r
    assert r.header("Content-Type") == \
        "text/plain; version=0.0.4; charset=utf-8", r
    return r.text


def _parse(text):
    """{(sample name, frozenset(labels)): value}; also checks the naming
    rules of manual "Metrics"."""
    out = {}
    for fam in text_string_to_metric_families(text):
        assert fam.name.startswith("authn_jwt_"), fam.name
        assert fam.type in ("counter", "gauge"), (fam.name, fam.type)
        for s in fam.samples:
            if fam.type == "counter" and s.name.endswith("_created"):
                continue
            if fam.type == "counter":
                assert s.name.endswith("_total"), s.name
            assert set(s.labels) <= ALLOWED_LABELS, s
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def _val(m, name, **labels):
    return m.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture(scope="module")
def srv(httpd, K):
    return httpd("metrics", _body(K), extra_modules=STATUS_MOD)


def test_format_parses(srv):
    text = _metrics(srv)
    m = _parse(text)
    assert ("authn_jwt_tokens_accepted_total", frozenset()) in m
    assert ("authn_jwt_tokens_rejected_total",
            frozenset({("reason", "expired")})) in m
    for name in ("authn_jwt_cache_hits_total", "authn_jwt_cache_misses_total",
                 "authn_jwt_tokens_issued_total",
                 "authn_jwt_revocations_total"):
        assert (name, frozenset()) in m, name
    assert ("authn_jwt_revocation_store_errors_total",
            frozenset({("op", "lookup")})) in m
    # every line is a comment or "name{labels} value"
    for line in text.splitlines():
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") \
            or line.startswith("authn_jwt_"), line


# scripts/deps.sh unpacks it there from Debian's prometheus package
PROMTOOL_DEFAULT = "/var/cache/mod_authn_jwt-test/promtool"


def test_promtool_check(srv):
    promtool = os.environ.get("PROMTOOL") or shutil.which("promtool")
    if promtool is None and os.access(PROMTOOL_DEFAULT, os.X_OK):
        promtool = PROMTOOL_DEFAULT
    if promtool is None:
        pytest.skip("promtool not found (scripts/deps.sh unpacks it to %s)"
                    % PROMTOOL_DEFAULT)
    r = subprocess.run([promtool, "check", "metrics"],
                       input=_metrics(srv).encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    assert r.returncode == 0, r.stdout


def test_counters_move(srv, ring):
    before = _parse(_metrics(srv))
    good = pyjwt_token("HS256", ring["hs256"], claims(aud="api"))
    expired = pyjwt_token("HS256", ring["hs256"],
                          claims(aud="api", exp=now() - 999))
    for _ in range(3):
        assert_ok(srv.get("/p/ok", good))
    assert_invalid_token(srv.get("/p/ok", expired), reason="expired")
    assert srv.get("/p/ok").status == 401
    r = srv.request("/issue/", method="POST", headers=[
        ("Authorization", "Bearer " + good),
        ("Content-Type", "application/x-www-form-urlencoded")], body=b"",
        secrets=[good])
    assert r.status == 200, r
    after = _parse(_metrics(srv))

    def delta(name, **labels):
        return _val(after, name, **labels) - _val(before, name, **labels)

    # three at /p/ and the one that authenticated the issuer request
    assert delta("authn_jwt_tokens_accepted_total") == 4
    assert delta("authn_jwt_tokens_rejected_total", reason="expired") == 1
    assert delta("authn_jwt_tokens_rejected_total", reason="no_token") == 1
    assert delta("authn_jwt_tokens_issued_total") == 1


def test_summed_over_children(srv, ring):
    """Two children, many threads: nothing counted is lost."""
    before = _parse(_metrics(srv))
    toks = [pyjwt_token("HS256", ring["hs256"], claims(aud="api",
                                                        sub="u%d" % i))
            for i in range(20)]
    for t in toks:
        srv.note_secret(t)
    with ThreadPoolExecutor(max_workers=24) as pool:
        codes = list(pool.map(lambda t: srv.get("/p/ok", t).status,
                              toks * 10))
    assert codes == [200] * 200
    after = _parse(_metrics(srv))
    assert _val(after, "authn_jwt_tokens_accepted_total") \
        - _val(before, "authn_jwt_tokens_accepted_total") == 200


def test_no_label_from_the_request(srv, ring):
    """Odd kids, subjects, issuers and paths never become a series."""
    marker = "zzlabelprobe"
    tok = pyjwt_token("HS256", ring["hs256"],
                      claims(aud="api", sub=marker, iss=marker,
                             jti=marker + "-jti"),
                      headers={"kid": marker})
    srv.get("/p/ok", tok)
    srv.get("/p/%s/ok" % marker, tok)
    text = _metrics(srv)
    assert marker not in text
    series = _parse(text)
    for name, labels in series:
        for k, v in labels:
            assert k in ALLOWED_LABELS
            assert len(v) <= 40 and v.replace("_", "").isalnum(), (name, v)


def test_only_get(srv):
    r = srv.request("/metrics", method="POST", body=b"x")
    assert r.status == 405, r
    assert "GET" in (r.header("Allow") or "")


def test_server_status(srv, ring):
    tok = pyjwt_token("HS256", ring["hs256"], claims(aud="api"))
    assert_ok(srv.get("/p/ok", tok))
    m = _parse(_metrics(srv))
    auto = srv.request("/server-status?auto")
    assert auto.status == 200, auto
    lines = dict(l.split(": ", 1) for l in auto.text.splitlines()
                 if l.startswith("authn_jwt_"))
    assert float(lines["authn_jwt_tokens_accepted_total"]) >= \
        _val(m, "authn_jwt_tokens_accepted_total")
    assert 'authn_jwt_tokens_rejected_total{reason="expired"}' in lines
    html = srv.request("/server-status")
    assert html.status == 200
    assert "authn_jwt_tokens_accepted_total" in html.text
    assert "mod_authn_jwt" in html.text
