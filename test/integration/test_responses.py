# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""manual "Responses" (RFC 6750 section 3): every row, exactly, plus where the
token is read from (AuthJWTTokenFrom) and the Authorization header syntax
(RFC 6750 section 2.1, doc/attacks.md F2)."""

import pytest

from harness import (assert_challenge, assert_invalid_token, assert_ok,
                     location)
from jose_kit import claims, pyjwt_token


RM_URL = "https://rs.example.com/.well-known/oauth-protected-resource"


@pytest.fixture(scope="module")
def srv(httpd, K):
    key = "AuthJWTVerifyKey secret:%s" % K("hs256.secret")
    body = (
        location("/hs/", key)
        + location("/q/", key, "AuthJWTTokenFrom header query=access_token")
        + location("/ck/", key, "AuthJWTTokenFrom cookie=at")
        + location("/qc/", key,
                   "AuthJWTTokenFrom query=access_token cookie=at")
        + location("/aud/", key, "AuthJWTAudience api1")
        + location("/scope/", key, "AuthzSendForbiddenOnFailure On",
                   require="Require jwt-scope read write")
        + location("/scope401/", key, require="Require jwt-scope admin")
        + location("/realm/", key, realm="My API")
        + location("/rm/", key, "AuthJWTResourceMetadata " + RM_URL,
                   "AuthzSendForbiddenOnFailure On",
                   require="Require jwt-scope read")
        + 'Alias "/htadir/" "@ROOT@/hta/"\n'
        + '<Directory "@ROOT@/hta">\n'
        + "    AllowOverride AuthConfig\n"
        # the key in the server config, the rest in .htaccess
        + "    " + key + "\n"
        + "    Require all granted\n"
        + "</Directory>\n"
        + 'Alias "/htakey/" "@ROOT@/htakey/"\n'
        + '<Directory "@ROOT@/htakey">\n'
        + "    AllowOverride AuthConfig\n"
        + "    Require all granted\n"
        + "</Directory>\n")
    files = {
        "htakey/file.txt": "htakey\n",
        # everything, the key too, in .htaccess (loaded per request)
        "htakey/.htaccess": ('AuthType Bearer\nAuthName "K"\n'
                             + key + "\n"
                             "AuthJWTAudience api1\n"
                             "Require valid-user\n"),
        "hta/file.txt": "hta\n",
        "hta/.htaccess": ('AuthType Bearer\nAuthName "H"\n'
                          "AuthJWTAudience api1\n"
                          "Require valid-user\n"),
    }
    return httpd("responses", body, files=files)


@pytest.fixture(scope="module")
def tok(ring):
    def make(**kw):
        return pyjwt_token("HS256", ring["hs256"], claims(**kw))
    return make


# ---- the four rows of the table

def test_no_token_401_plain_challenge(srv):
    r = srv.get("/hs/ok")
    assert_challenge(r, 401, realm="R")


def test_valid_token_200(srv, tok):
    r = assert_ok(srv.get("/hs/ok", tok()))
    assert r.text == "ok\n"
    assert r.header("X-Remote-User") == "alice"
    assert r.header("X-Auth-Type") == "Bearer"


def test_two_tokens_header_and_query_400(srv, tok):
    t1, t2 = tok(), tok()
    r = srv.get("/q/ok", t1, query="access_token=" + t2)
    assert_challenge(r, 400, error="invalid_request",
                     reasons=["multiple_tokens"])


def test_same_token_twice_is_still_two_tokens(srv, tok):
    t = tok()
    r = srv.get("/q/ok", t, query="access_token=" + t)
    assert_challenge(r, 400, error="invalid_request",
                     reasons=["multiple_tokens"])


def test_two_tokens_query_and_cookie_400(srv, tok):
    r = srv.get("/qc/ok", cookie=("at", tok()),
                query="access_token=" + tok())
    assert_challenge(r, 400, error="invalid_request",
                     reasons=["multiple_tokens"])


def test_query_parameter_twice_400(srv, tok):
    r = srv.get("/q/ok", query="access_token=%s&access_token=%s"
                % (tok(), tok()))
    assert_challenge(r, 400, error="invalid_request",
                     reasons=["multiple_tokens"])


def test_expired_401_invalid_token(srv, tok):
    r = srv.get("/hs/ok", tok(exp=claims()["iat"] - 3600))
    assert_invalid_token(r, reason="expired")


def test_wrong_key_401_invalid_signature(srv, ring):
    t = pyjwt_token("HS256", ring["hs256b"], claims())
    assert_invalid_token(srv.get("/hs/ok", t), reason="signature")


def test_wrong_audience_401(srv, tok):
    assert_invalid_token(srv.get("/aud/ok", tok(aud="api2")),
                         reason="audience")
    assert_ok(srv.get("/aud/ok", tok(aud="api1")))


def test_garbage_token_401_malformed(srv):
    r = srv.get("/hs/ok", "abc")
    assert_invalid_token(r, reasons=["malformed"])


@pytest.mark.expect_log(r"AH01631")
def test_scope_missing_403_insufficient_scope(srv, tok):
    r = srv.get("/scope/ok", tok(scope="read"))
    assert_challenge(r, 403, error="insufficient_scope", scope="read write",
                     reasons=["insufficient_scope"])


@pytest.mark.expect_log(r"AH01631")
def test_scope_missing_without_forbidden_is_401(srv, tok):
    # without AuthzSendForbiddenOnFailure httpd answers an authz failure of
    # an authenticated user with 401 (mod_authz_core)
    r = srv.get("/scope401/ok", tok(scope="read"))
    assert r.status == 401
    assert r.header("WWW-Authenticate").startswith('Bearer realm="R"')


def test_scope_present_200(srv, tok):
    assert_ok(srv.get("/scope/ok", tok(scope="read write")))
    assert_ok(srv.get("/scope/ok", tok(scope="write extra read")))


def test_realm_with_space(srv, tok):
    assert_challenge(srv.get("/realm/ok"), 401, realm="My API")
    assert_invalid_token(srv.get("/realm/ok", tok(exp=1)), realm="My API",
                         reason="expired")


def test_htaccess_authconfig(srv, tok):
    # manual: directory context, also .htaccess with AuthConfig
    assert_challenge(srv.get("/htadir/file.txt"), 401, realm="H")
    r = assert_ok(srv.get("/htadir/file.txt", tok(aud="api1")))
    assert r.text == "hta\n"
    assert_invalid_token(srv.get("/htadir/file.txt", tok(aud="api2")),
                         realm="H", reason="audience")


def test_htaccess_with_key(srv, tok):
    # the key directive itself in .htaccess (AllowOverride AuthConfig)
    assert_challenge(srv.get("/htakey/file.txt"), 401, realm="K")
    r = assert_ok(srv.get("/htakey/file.txt", tok(aud="api1")))
    assert r.text == "htakey\n"
    assert_invalid_token(srv.get("/htakey/file.txt", tok(aud="api2")),
                         realm="K", reason="audience")


@pytest.mark.expect_log(r"AH01631")
def test_resource_metadata_in_every_challenge(srv, tok):
    # manual "Protected resource metadata" (RFC 9728 section 5.1)
    rm = {"resource_metadata": RM_URL}
    assert_challenge(srv.get("/rm/ok"), 401, extra=rm)
    assert_invalid_token(srv.get("/rm/ok", tok(exp=1)), reason="expired",
                         extra=rm)
    assert_challenge(srv.get("/rm/ok", tok(scope="write")), 403,
                     error="insufficient_scope", scope="read",
                     reasons=["insufficient_scope"], extra=rm)
    assert_ok(srv.get("/rm/ok", tok(scope="read")))


# ---- AuthJWTTokenFrom

def test_query_source(srv, tok):
    assert_ok(srv.get("/q/ok", query="access_token=" + tok()))
    assert_ok(srv.get("/q/ok", query="a=1&access_token=%s&b=2" % tok()))


def test_query_not_read_by_default(srv, tok):
    r = srv.get("/hs/ok", query="access_token=" + tok())
    assert_challenge(r, 401, realm="R")


def test_cookie_source(srv, tok):
    assert_ok(srv.get("/ck/ok", cookie=("at", tok())))
    t = tok()
    r = srv.request("/ck/ok", [("Cookie", "x=1; at=%s; y=2" % t)],
                    secrets=[t])
    assert_ok(r)


def test_cookie_twice_first_wins(srv, tok):
    # RFC 6265 section 5.4: one cookie per matching path, the longest path
    # first; the first is the one meant for this resource, not a second
    # token (this answered 400 multiple_tokens before)
    t1, bad = tok(), tok(exp=1)
    r = srv.request("/ck/ok", [("Cookie", "at=%s; at=%s" % (t1, bad))],
                    secrets=[t1, bad])
    assert_ok(r)
    r = srv.request("/ck/ok", [("Cookie", "at=%s; x=1; at=%s" % (bad, t1))],
                    secrets=[t1, bad])
    assert_invalid_token(r, reason="expired")
    # two Cookie headers (HTTP/2 sends crumbs): the first one still wins
    r = srv.request("/ck/ok", [("Cookie", "at=%s" % t1),
                               ("Cookie", "at=%s" % bad)],
                    secrets=[t1, bad])
    assert_ok(r)


def test_cookie_and_query_still_two_tokens(srv, tok):
    t1, t2 = tok(), tok()
    r = srv.request("/qc/ok?access_token=" + t1,
                    [("Cookie", "at=%s; at=%s" % (t2, t2))],
                    secrets=[t1, t2])
    assert_challenge(r, 400, error="invalid_request",
                     reasons=["multiple_tokens"])


def test_header_source_ignores_cookie(srv, tok):
    # the default source is the header only: a cookie is not a second token
    assert_ok(srv.get("/hs/ok", tok(), cookie=("at", tok())))


def test_cookie_source_ignores_header(srv, tok):
    assert_challenge(srv.get("/ck/ok", tok()), 401, realm="R")


def test_cookie_with_other_name_is_no_token(srv, tok):
    assert_challenge(srv.get("/ck/ok", cookie=("att", tok())), 401,
                     realm="R")


def test_order_sources_without_header(srv, tok):
    # only query and cookie are listed: the header is not a source
    assert_challenge(srv.get("/qc/ok", tok()), 401, realm="R")
    assert_ok(srv.get("/qc/ok", cookie=("at", tok())))
    assert_ok(srv.get("/qc/ok", query="access_token=" + tok()))


def test_bad_query_token_401(srv, tok):
    t = tok(exp=1)
    assert_invalid_token(srv.get("/q/ok", query="access_token=" + t),
                         reason="expired")


# ---- Authorization header syntax

def test_header_two_credentials_400(srv, tok):
    r = srv.request("/hs/ok", [("Authorization", "Bearer a b")])
    assert_challenge(r, 400, error="invalid_request",
                     reasons=["bad_request"])


def test_header_bearer_without_token_400(srv):
    r = srv.request("/hs/ok", [("Authorization", "Bearer")])
    assert_challenge(r, 400, error="invalid_request",
                     reasons=["bad_request"])
    # httpd strips trailing white space: "Bearer " is "Bearer"
    r = srv.request("/hs/ok", [("Authorization", "Bearer   ")])
    assert_challenge(r, 400, error="invalid_request",
                     reasons=["bad_request"])


def test_header_token_then_garbage_400(srv, tok):
    t = tok()
    r = srv.request("/hs/ok", [("Authorization", "Bearer %s extra" % t)],
                    secrets=[t])
    assert_challenge(r, 400, error="invalid_request",
                     reasons=["bad_request"])


def test_header_syntax_checked_after_the_token_was_cached(srv, tok):
    """The b64token check of the header waits for a cache miss: a token
    accepted (and cached) before, then sent with a character RFC 6750
    does not allow, is still 400, never a hit."""
    t = tok()
    assert_ok(srv.get("/hs/ok", t))
    assert_ok(srv.get("/hs/ok", t))
    for bad in (t + "!", t[:20] + "*" + t[21:], t[:30] + " " + t[30:],
                "!" + t, t.replace(".", ",", 1)):
        r = srv.request("/hs/ok", [("Authorization", "Bearer " + bad)],
                        secrets=[t])
        assert_challenge(r, 400, error="invalid_request",
                         reasons=["bad_request"])
    # and at a location with its rules in .htaccess (no key there)
    r = srv.request("/htadir/file.txt", [("Authorization", "Bearer " + t
                                          + "!")], secrets=[t])
    assert_challenge(r, 400, realm="H", error="invalid_request",
                     reasons=["bad_request"])
    assert_ok(srv.get("/hs/ok", t))


def test_two_authorization_headers_refused(srv, tok):
    # httpd merges them into "Bearer t1, Bearer t2" (doc/attacks.md F2:
    # reject ambiguous multiple credentials)
    t1, t2 = tok(), tok()
    r = srv.request("/hs/ok", [("Authorization", "Bearer " + t1),
                               ("Authorization", "Bearer " + t2)],
                    secrets=[t1, t2])
    assert r.status == 400, r
    assert_challenge(r, 400, error="invalid_request",
                     reasons=["bad_request", "multiple_tokens"])


def test_scheme_case_insensitive(srv, tok):
    # RFC 9110 section 11.1: the auth-scheme is case-insensitive
    assert_ok(srv.get("/hs/ok", tok(), scheme="bearer"))
    assert_ok(srv.get("/hs/ok", tok(), scheme="BEARER"))
    assert_ok(srv.get("/hs/ok", tok(), scheme="bEaReR"))


def test_several_spaces_before_token(srv, tok):
    # doc/attacks.md F2: one or more SP before the token
    t = tok()
    assert_ok(srv.request("/hs/ok", [("Authorization", "Bearer   " + t)],
                          secrets=[t]))


def test_tab_before_token_not_200(srv, tok):
    t = tok()
    r = srv.request("/hs/ok", [("Authorization", "Bearer\t" + t)],
                    secrets=[t])
    assert r.status in (400, 401), r


def test_other_scheme_is_no_bearer_token(srv):
    r = srv.request("/hs/ok", [("Authorization", "Basic dXNlcjpwdw==")])
    assert r.status == 401, r
    assert r.header("WWW-Authenticate").startswith('Bearer realm="R"')


def test_scheme_prefix_is_not_bearer(srv, tok):
    # "Bearerx" is another scheme, not Bearer
    t = tok()
    r = srv.request("/hs/ok", [("Authorization", "Bearerx " + t)],
                    secrets=[t])
    assert r.status in (400, 401), r


def test_token_with_internal_space_refused(srv, tok):
    t = tok()
    bad = t[:20] + " " + t[20:]
    r = srv.request("/hs/ok", [("Authorization", "Bearer " + bad)],
                    secrets=[t])
    assert r.status in (400, 401), r
    assert r.status != 200


def test_same_answer_every_time(srv, tok):
    # doc/attacks.md F6 (mod_authnz_jwt #23): same token, same answer
    good, bad = tok(), tok(exp=1)
    for _ in range(10):
        assert srv.get("/hs/ok", good).status == 200
        assert srv.get("/hs/ok", bad).status == 401
