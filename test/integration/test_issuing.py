# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""manual "Issuing tokens" (SetHandler jwt-issuer) with Basic authentication
from an
htpasswd -B file, end to end: the RFC 6749 section 5.1 token response, the
claims of the token, scope narrowing (RFC 6749 section 3.3, 5.2), methods,
refresh through AuthType Bearer, the run-time guard that keeps the
credential out of the claims, the AJ00016 log line; manual "Publishing keys"
(SetHandler jwt-jwks) and "Protected resource metadata" (RFC 9728) of the
same server; jti without mod_unique_id on a second one."""

import json
import re
import secrets
import time

import pytest

from harness import (assert_challenge, assert_invalid_token, assert_ok,
                     location)
from issue_kit import (DUP_SCOPE_DESC, INVALID_SCOPE_DESC, NOT_FORM_DESC,
                       PRIVATE_MEMBERS, allow_set, basic_value, by_kid,
                       get_jwks, htpasswd_line, issued, json_body,
                       oauth_error, parts, post, start_without_module,
                       strict_b64u, thumbprint, verify_jwcrypto,
                       verify_pyjwt, wait_aj)
from jose_kit import b64u_decode, claims, pyjwt_token

ISS = "https://issuer.example/"
ISS2 = "https://other.example/"
AUD = "api1"
LIFETIME = 600
RM_URL = "https://rs.example.com/.well-known/oauth-protected-resource/api"

ALICE = ("alice", "alice-pw-" + secrets.token_hex(12))
BOB = ("bob", "bob-pw-" + secrets.token_hex(12))


def issuer(path, *lines, authtype="Basic", realm="R", extra_auth=()):
    """A jwt-issuer location authenticated by Basic from the htpasswd file
    (or AUTHTYPE with EXTRA_AUTH lines)."""
    auth = list(extra_auth)
    if authtype == "Basic":
        auth = ["AuthBasicProvider file",
                'AuthUserFile "@ROOT@/htpasswd"'] + auth
    return location(path, *(auth + ["SetHandler jwt-issuer"] + list(lines)),
                    authtype=authtype, realm=realm)


def public(path, *lines):
    return location(path, *lines, authtype=None, realm=None,
                    require="Require all granted")


@pytest.fixture(scope="module")
def srv(httpd, K, ring):
    sign = "AuthJWTSignKey " + K("rsa.key.pem")
    verify = "AuthJWTVerifyKey " + K("rsa.pub.pem")
    iss = "AuthJWTIssuer %s %s" % (ISS, ISS2)
    aud = "AuthJWTAudience " + AUD
    bearer_issuer = ["AuthJWTVerifyKey " + K("rsa.pub.pem"), iss, aud]
    body = (
        issuer("/i/basic/", sign, iss, aud,
               "AuthJWTLifetime %d" % LIFETIME,
               'AuthJWTScope "read write"',
               "AuthJWTClaim org acme",
               'AuthJWTClaim who "u-%{REMOTE_USER}"',
               'AuthJWTClaim tenant "%{HTTP:X-Tenant}"')
        + issuer("/i/aud2/", sign, "AuthJWTAudience api1 api2",
                 "AuthJWTScope read")
        # kid= and alg= on the signing key
        + issuer("/i/kid/", "AuthJWTSignKey alg=PS384 kid=my-kid " +
                 K("rsa.key.pem"), "AuthJWTScope read")
        + public("/j/kid/", "SetHandler jwt-jwks",
                 "AuthJWTSignKey alg=PS384 kid=my-kid " + K("rsa.key.pem"))
        # AuthJWTScope lines add up in a section; a child section's list
        # replaces its parent's
        + issuer("/m/", sign, "AuthJWTScope read", "AuthJWTScope write")
        + location("/m/sub/", "AuthJWTScope admin", authtype=None,
                   realm=None, require=None)
        # no AuthJWTScope, no issuer, no audience
        + issuer("/i/noscope/", sign)
        + issuer("/i/expr/", sign,
                 'AuthJWTScope read "%{HTTP:X-Grant}"')
        + issuer("/i/echo/", sign, 'AuthJWTScope read',
                 'AuthJWTClaim echo "%{HTTP:X-Echo}"')
        # no authentication at all, no signing key
        + public("/i/nouser/", "SetHandler jwt-issuer", sign)
        + issuer("/i/nokey/", 'AuthJWTScope read')
        # refresh: the location authenticates with our own Bearer
        + issuer("/i/refresh/", sign, *bearer_issuer, authtype="Bearer")
        + issuer("/i/refresh-short/", sign, "AuthJWTRefreshMaxAge 60",
                 *bearer_issuer, authtype="Bearer")
        + issuer("/i/refresh-narrow/", sign, "AuthJWTScope read",
                 *bearer_issuer, authtype="Bearer")
        + issuer("/i/refresh-echo/", sign, 'AuthJWTClaim echo '
                 '"%{HTTP:X-Echo}"', *bearer_issuer, authtype="Bearer")
        # resources protected by the issued tokens
        + location("/api/read/", verify, iss, aud,
                   require="Require jwt-scope read")
        + location("/api/admin/", verify, iss, aud,
                   "AuthzSendForbiddenOnFailure On",
                   require="Require jwt-scope admin")
        + location("/api/rm/", verify, aud,
                   "AuthJWTResourceMetadata " + RM_URL,
                   "AuthzSendForbiddenOnFailure On",
                   require="Require jwt-scope read")
        # jwt-jwks
        + public("/j/main/", "SetHandler jwt-jwks", sign,
                 "AuthJWTVerifyKey " + K("p384.pub.pem"),
                 "AuthJWTVerifyKey secret:" + K("hs256.secret"),
                 "AuthJWTVerifyKey " + K("ed25519.pub.jwk"),
                 # the signing key's own public half: published once
                 "AuthJWTVerifyKey " + K("rsa.pub.pem"))
        # private keys as verify keys: only their public halves go out
        + public("/j/priv/", "SetHandler jwt-jwks",
                 "AuthJWTSignKey " + K("ed448.key.pem"),
                 "AuthJWTVerifyKey " + K("p521.key.pem"),
                 'AuthJWTVerifyKey "@ROOT@/rsa2.private.jwk"')
        + public("/j/hs/", "SetHandler jwt-jwks",
                 "AuthJWTSignKey secret:" + K("hs512.secret"))
        # RFC 9728
        + public("/.well-known/oauth-protected-resource/api",
                 "SetHandler jwt-resource-metadata", iss,
                 'AuthJWTScope "read write"',
                 "AuthJWTTokenFrom header query=access_token")
        + public("/md/res/", "SetHandler jwt-resource-metadata",
                 "AuthJWTResource https://api.example.com/v1")
        + public("/md/rm/", "SetHandler jwt-resource-metadata",
                 "AuthJWTResourceMetadata " + RM_URL,
                 "AuthJWTTokenFrom cookie=at"))
    files = {"htpasswd": htpasswd_line(*ALICE) + "\n"
             + htpasswd_line(*BOB) + "\n",
             "rsa2.private.jwk": json.dumps(ring["rsa2"].jwk_dict(
                 private=True))}
    return httpd("issuing", body, files=files)


@pytest.fixture(scope="module")
def rsa_kid(ring):
    return thumbprint(ring["rsa"])


def get_token(srv, path="/i/basic/token", who=ALICE, scope=None, **kw):
    return post(srv, path, basic=who, scope=scope, **kw)


# ---------------------------------------------------------------- full flow

def test_basic_flow_response(srv, ring):
    r = get_token(srv)
    tok, doc = issued(srv, r, scope="read write", lifetime=LIFETIME)
    assert r.header("Content-Type") == "application/json"
    # the token works where it is meant to
    ok = assert_ok(srv.get("/api/read/ok", tok))
    assert ok.header("X-Remote-User") == "alice"
    assert ok.header("X-Auth-Type") == "Bearer"


@pytest.mark.expect_log(r"AH01631")
def test_basic_flow_insufficient_scope(srv):
    tok, _ = issued(srv, get_token(srv), scope="read write")
    r = srv.get("/api/admin/ok", tok)
    assert_challenge(r, 403, error="insufficient_scope", scope="admin",
                     reasons=["insufficient_scope"])


def test_issued_header_and_claims(srv, ring, rsa_kid):
    before = int(time.time())
    r = get_token(srv, headers=[("X-Tenant", "t-42")])
    after = int(time.time())
    tok, doc = issued(srv, r, scope="read write", lifetime=LIFETIME)
    for seg in tok.split("."):
        strict_b64u(seg)
    hdr, cl, sig = parts(tok)
    # manual: default alg from the key, default kid its RFC 7638 thumbprint
    assert hdr == {"alg": "RS256", "kid": rsa_kid, "typ": "JWT"}, hdr
    assert len(sig) == 256
    assert set(cl) == {"iss", "sub", "aud", "iat", "exp", "jti", "scope",
                       "auth_time", "org", "who", "tenant"}, cl
    # a login: the token's auth_time is now
    assert cl["auth_time"] == cl["iat"], cl
    assert cl["iss"] == ISS             # the first AuthJWTIssuer
    assert cl["sub"] == "alice"
    assert cl["aud"] == AUD             # one audience: a string
    assert type(cl["iat"]) is int and before <= cl["iat"] <= after, cl
    assert type(cl["exp"]) is int and cl["exp"] == cl["iat"] + LIFETIME
    # mod_unique_id is loaded: jti is the request's UNIQUE_ID
    assert cl["jti"] == r.header("X-Unique-Id"), (cl["jti"],
                                                  r.header("X-Unique-Id"))
    assert cl["scope"] == "read write"
    assert cl["org"] == "acme"          # literal AuthJWTClaim
    assert cl["who"] == "u-alice"       # ap_expr AuthJWTClaim
    assert cl["tenant"] == "t-42"
    # two independent libraries verify it with the public key
    pub = ring["rsa"].pub
    assert verify_pyjwt(tok, "RS256", pub, audience=AUD, issuer=ISS) == cl
    assert verify_jwcrypto(tok, "RS256", ring["rsa"].jwk()) == cl


def test_claim_value_json_escaped(srv):
    value = 'a"b\\c/{}<>'
    tok, _ = issued(srv, get_token(srv, headers=[("X-Tenant", value)]),
                    scope="read write")
    assert parts(tok)[1]["tenant"] == value


@pytest.mark.expect_log("AJ00034")
def test_claim_not_utf8_refused(srv):
    off = srv.error_offset()
    r = get_token(srv, headers=[("X-Tenant", "caf\xe9")])
    assert r.status == 403, r
    assert b"access_token" not in r.body
    lines = wait_aj(srv, off, "AJ00034", "error")
    assert lines and "AuthJWTClaim tenant" in lines[0], lines


def test_sign_key_kid_and_alg_options(srv, ring):
    tok, _ = issued(srv, get_token(srv, "/i/kid/t"), scope="read")
    hdr, cl, _ = parts(tok)
    assert hdr == {"alg": "PS384", "kid": "my-kid", "typ": "JWT"}, hdr
    jwks, _ = get_jwks(srv, "/j/kid/jwks.json")
    assert len(jwks["keys"]) == 1
    jwk = by_kid(jwks, "my-kid")
    assert jwk["alg"] == "PS384" and jwk["use"] == "sig"
    assert verify_jwcrypto(tok, "PS384", jwk) == cl
    assert verify_pyjwt(tok, "PS384", ring["rsa"].pub) == cl


def test_empty_claim_is_omitted(srv):
    # X-Tenant absent: "%{HTTP:X-Tenant}" is empty, the claim is left out
    tok, _ = issued(srv, get_token(srv), scope="read write")
    _, cl, _ = parts(tok)
    assert "tenant" not in cl
    assert cl["org"] == "acme" and cl["who"] == "u-alice"


def test_each_token_is_new(srv):
    t1, _ = issued(srv, get_token(srv), scope="read write")
    t2, _ = issued(srv, get_token(srv), scope="read write")
    assert t1 != t2
    assert parts(t1)[1]["jti"] != parts(t2)[1]["jti"]


def test_user_is_sub(srv):
    tok, _ = issued(srv, get_token(srv, who=BOB), scope="read write")
    _, cl, _ = parts(tok)
    assert cl["sub"] == "bob" and cl["who"] == "u-bob"
    assert assert_ok(srv.get("/api/read/ok", tok)).header(
        "X-Remote-User") == "bob"


def test_two_audiences_make_an_array(srv):
    tok, _ = issued(srv, get_token(srv, "/i/aud2/t"), scope="read")
    _, cl, _ = parts(tok)
    assert cl["aud"] == ["api1", "api2"]
    assert "iss" not in cl
    assert set(cl) == {"sub", "aud", "iat", "exp", "jti", "scope",
                       "auth_time"}, cl


def test_no_scope_no_issuer_no_audience(srv):
    # nothing to grant: no scope member in the body nor in the token
    r = get_token(srv, "/i/noscope/t")
    tok, doc = issued(srv, r, scope=None, lifetime=900)
    _, cl, _ = parts(tok)
    assert set(cl) == {"sub", "iat", "exp", "jti", "auth_time"}, cl
    assert cl["exp"] - cl["iat"] == 900     # the default AuthJWTLifetime


def test_no_scope_allowed_asking_is_invalid_scope(srv):
    oauth_error(get_token(srv, "/i/noscope/t", scope="read"),
                "invalid_scope", INVALID_SCOPE_DESC)


# ------------------------------------------------------------ scope narrowing

@pytest.mark.parametrize("asked,want", [
    ("read", "read"),
    ("write", "write"),
    ("read write", "read write"),
    ("read read", "read"),                  # duplicates collapse
    ("read  write", "read write"),          # several spaces
])
def test_scope_subset_granted(srv, asked, want):
    r = get_token(srv, scope=asked)
    tok, doc = issued(srv, r, scope=want)
    assert parts(tok)[1]["scope"] == want


def test_scope_other_order_granted(srv):
    # RFC 6749 3.3: the order of scope-tokens does not matter
    r = get_token(srv, scope="write read")
    doc = json_body(r)
    assert r.status == 200, r
    issued(srv, r, scope=doc.get("scope"))
    assert sorted(doc["scope"].split(" ")) == ["read", "write"]
    assert parts(doc["access_token"])[1]["scope"] == doc["scope"]


@pytest.mark.parametrize("asked", ["admin", "read admin", "READ",
                                   "read write admin", "rea"])
def test_scope_beyond_allowed_invalid_scope(srv, asked):
    r = get_token(srv, scope=asked)
    oauth_error(r, "invalid_scope", INVALID_SCOPE_DESC)
    assert b"access_token" not in r.body


def test_no_scope_asked_all_allowed(srv):
    issued(srv, get_token(srv), scope="read write")
    # RFC 6749 3.1: a parameter without a value is as if omitted
    issued(srv, get_token(srv, body="scope="), scope="read write")
    issued(srv, get_token(srv, body="grant_type=client_credentials"),
           scope="read write")


def test_scope_in_query(srv):
    r = post(srv, "/i/basic/t", basic=ALICE, query="scope=read")
    issued(srv, r, scope="read")
    r = post(srv, "/i/basic/t", basic=ALICE, query="scope=read%20admin")
    oauth_error(r, "invalid_scope", INVALID_SCOPE_DESC)


def test_scope_form_encoding(srv):
    issued(srv, get_token(srv, body="grant_type=x&scope=write%20read&a=b"),
           scope="write read")


@pytest.mark.parametrize("body,query", [
    ("scope=read&scope=write", None),
    ("scope=read&scope=read", None),
    ("scope=read", "scope=read"),
    ("scope=read&sc%6Fpe=write", None),     # the name is form-decoded too
    (None, "scope=read&scope=write"),
])
def test_scope_given_twice_invalid_request(srv, body, query):
    r = post(srv, "/i/basic/t", basic=ALICE, body=body, query=query)
    oauth_error(r, "invalid_request", DUP_SCOPE_DESC)


def test_form_with_charset(srv):
    r = post(srv, "/i/basic/t", basic=ALICE, body="scope=read",
             ctype="application/x-www-form-urlencoded; charset=UTF-8")
    issued(srv, r, scope="read")


def test_chunked_form_body(srv):
    body = b"scope=write"
    raw = ("POST /i/basic/t HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "Connection: close\r\nAuthorization: %s\r\n"
           "Content-Type: application/x-www-form-urlencoded\r\n"
           "Transfer-Encoding: chunked\r\n\r\n%x\r\n" % (
               basic_value(*ALICE), len(body))).encode() + body + \
        b"\r\n0\r\n\r\n"
    srv.note_secret(ALICE[1])
    issued(srv, srv.raw(raw), scope="write")


def test_body_not_a_form_invalid_request(srv):
    r = post(srv, "/i/basic/t", basic=ALICE, body='{"scope":"read"}',
             ctype="application/json")
    oauth_error(r, "invalid_request", NOT_FORM_DESC)


def test_malformed_form_encoding(srv):
    r = post(srv, "/i/basic/t", basic=ALICE, body="scope=read%zz")
    oauth_error(r, "invalid_request", "malformed form encoding")


def test_body_too_large_413(srv):
    r = post(srv, "/i/basic/t", basic=ALICE,
             body="scope=read&pad=" + "x" * 9000)
    assert r.status == 413, r
    assert r.header("Authorization") is None


def test_scope_lines_add_up_and_child_replaces(srv):
    issued(srv, get_token(srv, "/m/t"), scope="read write")
    issued(srv, get_token(srv, "/m/other/t"), scope="read write")
    issued(srv, get_token(srv, "/m/sub/t"), scope="admin")
    oauth_error(get_token(srv, "/m/sub/t", scope="read"), "invalid_scope",
                INVALID_SCOPE_DESC)


def test_scope_from_expression(srv):
    issued(srv, get_token(srv, "/i/expr/t"), scope="read")
    r = get_token(srv, "/i/expr/t", headers=[("X-Grant", "write  delete")])
    issued(srv, r, scope="read write delete")
    r = get_token(srv, "/i/expr/t", scope="delete",
                  headers=[("X-Grant", "write delete")])
    issued(srv, r, scope="delete")
    r = get_token(srv, "/i/expr/t", scope="delete")
    oauth_error(r, "invalid_scope", INVALID_SCOPE_DESC)


def test_scope_expression_bad_word_dropped(srv):
    # RFC 6749 3.3: a word with a quote is no scope-token: dropped, INFO
    off = srv.error_offset()
    r = get_token(srv, "/i/expr/t", headers=[("X-Grant", 'bad"word ok')])
    issued(srv, r, scope="read ok")
    assert wait_aj(srv, off, "AJ00024", "info"), \
        "\n".join(srv.error_lines_since(off))


# ------------------------------------------------------------------- methods

@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
def test_only_post(srv, method):
    body = b"scope=read" if method == "PUT" else None
    r = post(srv, "/i/basic/t", basic=ALICE, method=method, body=body)
    assert r.status == 405, r
    allowed = allow_set(r)
    assert "POST" in allowed, allowed
    assert not allowed & {"GET", "HEAD", "PUT", "DELETE"}, allowed
    assert r.header("Authorization") is None
    assert b"access_token" not in r.body


@pytest.mark.expect_log(r"AH01617")
def test_wrong_password_401(srv):
    r = post(srv, "/i/basic/t", basic=("alice", "not-" + ALICE[1]))
    assert r.status == 401, r
    assert r.header_all("WWW-Authenticate") == ['Basic realm="R"']
    assert r.header("Authorization") is None
    assert b"access_token" not in r.body


@pytest.mark.expect_log(r"AH01618")
def test_unknown_user_401(srv):
    r = post(srv, "/i/basic/t", basic=("mallory", ALICE[1]))
    assert r.status == 401, r
    assert b"access_token" not in r.body


def test_no_credentials_401(srv):
    r = post(srv, "/i/basic/t", scope="read")
    assert r.status == 401, r
    assert r.header_all("WWW-Authenticate") == ['Basic realm="R"']
    assert b"access_token" not in r.body


@pytest.mark.expect_log("AJ00017")
def test_no_authentication_configured_403(srv):
    off = srv.error_offset()
    r = post(srv, "/i/nouser/t")
    assert r.status == 403, r
    assert b"access_token" not in r.body
    assert wait_aj(srv, off, "AJ00017", "error")


@pytest.mark.expect_log("AJ00018")
def test_no_sign_key_403(srv):
    off = srv.error_offset()
    r = get_token(srv, "/i/nokey/t")
    assert r.status == 403, r
    assert b"access_token" not in r.body
    assert wait_aj(srv, off, "AJ00018", "error")


# ------------------------------------------------------------------- refresh

def _old(ring, **kw):
    base = dict(iss=ISS, aud=AUD, scope="read write")
    base.update(kw)
    return pyjwt_token("RS256", ring["rsa"], claims(**base))


def refresh(srv, path, tok, scope=None, headers=()):
    hdrs = [("Authorization", "Bearer " + tok)] + list(headers)
    return post(srv, path, scope=scope, headers=hdrs, secrets=[tok])


def test_refresh_same_scopes(srv, ring):
    old = _old(ring)
    r = refresh(srv, "/i/refresh/t", old)
    tok, doc = issued(srv, r, scope="read write", lifetime=900)
    _, ocl, _ = parts(old)
    _, cl, _ = parts(tok)
    assert cl["sub"] == "alice" and cl["iss"] == ISS and cl["aud"] == AUD
    assert cl["jti"] != ocl["jti"]
    assert cl["scope"] == "read write"
    assert_ok(srv.get("/api/read/ok", tok))


def test_refresh_of_an_issued_token(srv):
    first, _ = issued(srv, get_token(srv, scope="read"), scope="read")
    tok, _ = issued(srv, refresh(srv, "/i/refresh/t", first), scope="read")
    assert parts(tok)[1]["sub"] == "alice"


def test_refresh_fewer_scopes(srv, ring):
    r = refresh(srv, "/i/refresh/t", _old(ring), scope="write")
    tok, _ = issued(srv, r, scope="write")
    assert parts(tok)[1]["scope"] == "write"


def test_refresh_more_scopes_invalid_scope(srv, ring):
    r = refresh(srv, "/i/refresh/t", _old(ring, scope="read"),
                scope="read write")
    oauth_error(r, "invalid_scope", INVALID_SCOPE_DESC)
    r = refresh(srv, "/i/refresh/t", _old(ring), scope="admin")
    oauth_error(r, "invalid_scope", INVALID_SCOPE_DESC)


def test_refresh_scp_array(srv, ring):
    # the old token's scopes may be an scp array (RFC 9068 style)
    r = refresh(srv, "/i/refresh/t", _old(ring, scope=None,
                                           scp=["read", "write"]))
    issued(srv, r, scope="read write")


def test_refresh_token_without_scope_grants_none(srv, ring):
    r = refresh(srv, "/i/refresh/t", _old(ring, scope=None))
    tok, _ = issued(srv, r, scope=None)
    assert "scope" not in parts(tok)[1]


def test_refresh_bounded_by_location_scope(srv, ring):
    # AuthJWTScope read there: the new token has at most read
    tok, _ = issued(srv, refresh(srv, "/i/refresh-narrow/t", _old(ring)),
                    scope="read")
    r = refresh(srv, "/i/refresh-narrow/t", _old(ring), scope="write")
    oauth_error(r, "invalid_scope", INVALID_SCOPE_DESC)
    # the token did not hold read: nothing may be granted
    r = refresh(srv, "/i/refresh-narrow/t", _old(ring, scope="write"))
    issued(srv, r, scope=None)


def test_refresh_keeps_auth_time(srv, ring):
    login = int(time.time()) - 3000
    r = refresh(srv, "/i/refresh/t", _old(ring, auth_time=login))
    tok, _ = issued(srv, r, scope="read write")
    _, cl, _ = parts(tok)
    assert cl["auth_time"] == login, cl
    # and again: the second refresh still counts from the login
    tok2, _ = issued(srv, refresh(srv, "/i/refresh/t", tok),
                     scope="read write")
    assert parts(tok2)[1]["auth_time"] == login


def test_refresh_of_an_issued_token_keeps_its_login(srv):
    first, _ = issued(srv, get_token(srv, scope="read"), scope="read")
    tok, _ = issued(srv, refresh(srv, "/i/refresh/t", first), scope="read")
    assert parts(tok)[1]["auth_time"] == parts(first)[1]["auth_time"]


def test_refresh_login_too_old_401(srv, ring):
    # the default AuthJWTRefreshMaxAge: a day
    now = int(time.time())
    old = _old(ring, auth_time=now - 86400 - 120)
    r = refresh(srv, "/i/refresh/t", old)
    assert_invalid_token(r, reason="login_too_old")
    assert r.env_header("X-Jwt-Error") == "login_too_old"
    assert r.header("Authorization") is None
    assert b"access_token" not in r.body
    assert_ok(srv.get("/api/read/ok", old))     # still a valid token
    # just inside the day: refreshed
    issued(srv, refresh(srv, "/i/refresh/t",
                        _old(ring, auth_time=now - 86400 + 120)),
           scope="read write")


def test_refresh_max_age_directive(srv, ring):
    now = int(time.time())
    r = refresh(srv, "/i/refresh-short/t", _old(ring, auth_time=now - 120))
    assert_invalid_token(r, reason="login_too_old")
    issued(srv, refresh(srv, "/i/refresh-short/t",
                        _old(ring, auth_time=now - 10)), scope="read write")


def test_refresh_without_auth_time_counts_from_iat(srv, ring):
    now = int(time.time())
    r = refresh(srv, "/i/refresh-short/t", _old(ring, iat=now - 120))
    assert_invalid_token(r, reason="login_too_old")
    tok, _ = issued(srv, refresh(srv, "/i/refresh-short/t",
                                 _old(ring, iat=now - 5)),
                    scope="read write")
    assert parts(tok)[1]["auth_time"] == now - 5


def test_refresh_without_login_time_refused(srv, ring):
    # neither auth_time nor iat: nothing bounds the chain of refreshes
    r = refresh(srv, "/i/refresh/t", _old(ring, iat=None))
    assert_invalid_token(r, reason="login_too_old")
    r = refresh(srv, "/i/refresh/t", _old(ring, auth_time="yesterday"))
    assert_invalid_token(r, reason="login_too_old")


def test_refresh_expired_401(srv, ring):
    t = int(time.time())
    old = _old(ring, iat=t - 7200, exp=t - 3600)
    r = refresh(srv, "/i/refresh/t", old)
    assert_invalid_token(r, reason="expired")
    assert r.header("Authorization") is None
    assert b"access_token" not in r.body


def test_refresh_bad_signature_401(srv, ring):
    old = pyjwt_token("RS256", ring["rsa2"], claims(iss=ISS, aud=AUD))
    assert_invalid_token(refresh(srv, "/i/refresh/t", old),
                         reasons=["signature", "no_key"])


def test_refresh_no_token_401(srv):
    r = post(srv, "/i/refresh/t", scope="read")
    assert_challenge(r, 401, realm="R")


def test_refresh_basic_is_not_a_token(srv):
    # a Basic password is not accepted on a Bearer issuer
    r = post(srv, "/i/refresh/t", basic=ALICE)
    assert r.status == 401, r
    assert r.header("WWW-Authenticate").startswith('Bearer realm="R"')


# ------------------------------------------------ the credential never a claim

@pytest.mark.parametrize("echo", [
    "password",             # the Basic password itself
    "inside",               # the password inside a longer value
    "authorization",        # the whole Authorization header
])
def test_claim_equal_to_credential_refused(srv, echo, log_expect):
    log_expect.append("AJ00022")
    value = {"password": ALICE[1],
             "inside": "x-" + ALICE[1] + "-y",
             "authorization": basic_value(*ALICE)}[echo]
    off = srv.error_offset()
    r = get_token(srv, "/i/echo/t", headers=[("X-Echo", value)])
    assert r.status == 403, r
    assert r.header("Authorization") is None
    assert b"access_token" not in r.body
    lines = wait_aj(srv, off, "AJ00022", "error")
    assert lines, "\n".join(srv.error_lines_since(off))
    # the claim's name, never its value
    assert "AuthJWTClaim echo" in lines[0], lines[0]
    assert ALICE[1] not in "\n".join(srv.error_lines_since(off))


def test_claim_not_a_credential_is_fine(srv):
    r = get_token(srv, "/i/echo/t", headers=[("X-Echo", "hello world")])
    tok, _ = issued(srv, r, scope="read")
    assert parts(tok)[1]["echo"] == "hello world"
    # bob's password is not this request's credential
    r = get_token(srv, "/i/echo/t", headers=[("X-Echo", BOB[1])])
    tok, _ = issued(srv, r, scope="read")
    assert parts(tok)[1]["echo"] == BOB[1]


@pytest.mark.parametrize("echo", ["token", "signing_input"])
def test_refresh_claim_equal_to_token_refused(srv, ring, echo, log_expect):
    log_expect.append("AJ00022")
    old = _old(ring)
    value = old if echo == "token" else old.rsplit(".", 1)[0]
    r = refresh(srv, "/i/refresh-echo/t", old, headers=[("X-Echo", value)])
    assert r.status == 403, r
    assert b"access_token" not in r.body


# ---------------------------------------------------------------- the log line

def test_info_line_per_issued_token(srv, rsa_kid):
    off = srv.error_offset()
    r = get_token(srv, scope="read")
    tok, doc = issued(srv, r, scope="read")
    _, cl, _ = parts(tok)
    lines = wait_aj(srv, off, "AJ00016", "info")
    assert len(lines) == 1, lines
    line = lines[0]
    assert 'user "alice"' in line, line
    assert "via=Basic" in line, line
    assert "jti=%s" % cl["jti"] in line, line
    assert 'scope="read"' in line, line
    assert "exp=%d" % cl["exp"] in line, line
    assert "alg=RS256" in line, line
    assert "kid=%s" % rsa_kid in line, line
    assert "unique_id=%s" % r.header("X-Unique-Id") in line, line
    # never the token, nor any of its segments
    for seg in tok.split("."):
        assert seg not in line
    assert ALICE[1] not in line


# ----------------------------------------------------------------- jwt-jwks

def test_jwks_public_members_only(srv, ring, rsa_kid):
    doc, r = get_jwks(srv, "/j/main/jwks.json")
    assert r.header("Cache-Control") == "public, max-age=300"
    keys = doc["keys"]
    for k in keys:
        assert not set(k) & set(PRIVATE_MEMBERS), k
        assert k.get("use") == "sig", k
        assert isinstance(k.get("kid"), str) and k["kid"], k
        assert isinstance(k.get("alg"), str), k
    # the HMAC secret is never published; the sign key is published once
    # although its public half is also an AuthJWTVerifyKey there
    assert sorted(k["kty"] for k in keys) == ["EC", "OKP", "RSA"], keys
    want = {
        thumbprint(ring["rsa"]): ("RS256", ring["rsa"]),
        thumbprint(ring["p384"]): ("ES384", ring["p384"]),
        thumbprint(ring["ed25519"]): ("EdDSA", ring["ed25519"]),
    }
    assert {k["kid"] for k in keys} == set(want), keys
    assert keys[0]["kid"] == rsa_kid       # the signing key comes first
    for k in keys:
        alg, key = want[k["kid"]]
        assert k["alg"] == alg, k
        pub = {m: v for m, v in key.jwk_dict().items()}
        for m, v in pub.items():
            assert k[m] == v, (m, k)


def test_jwks_head_and_methods(srv):
    doc, r = get_jwks(srv, "/j/main/jwks.json")
    h = srv.request("/j/main/jwks.json", method="HEAD")
    assert h.status == 200, h
    assert h.body == b""
    assert h.header("Content-Type") == r.header("Content-Type")
    p = srv.request("/j/main/jwks.json", method="POST", body=b"")
    assert p.status == 405, p
    allowed = allow_set(p)
    assert "GET" in allowed and "POST" not in allowed, allowed


def test_jwks_from_private_keys_is_public(srv, ring):
    doc, r = get_jwks(srv, "/j/priv/jwks.json")
    assert b'"d"' not in r.body
    keys = doc["keys"]
    assert [k["kty"] for k in keys] == ["OKP", "EC", "RSA"], keys
    for k, name in zip(keys, ("ed448", "p521", "rsa2")):
        assert not set(k) & set(PRIVATE_MEMBERS), k
        assert k["kid"] == thumbprint(ring[name]), k
        for m, v in ring[name].jwk_dict().items():
            assert k[m] == v, (m, k)


def test_jwks_of_secret_only_is_empty(srv):
    doc, _ = get_jwks(srv, "/j/hs/jwks.json")
    assert doc == {"keys": []}


def test_issued_token_verifies_with_jwks(srv):
    tok, _ = issued(srv, get_token(srv), scope="read write")
    jwks, _ = get_jwks(srv, "/j/main/jwks.json")
    hdr, cl, _ = parts(tok)
    jwk = by_kid(jwks, hdr["kid"])
    assert verify_pyjwt(tok, "RS256", jwk, audience=AUD) == cl
    assert verify_jwcrypto(tok, "RS256", jwk) == cl


# -------------------------------------------------------- RFC 9728 metadata

def test_resource_metadata_document(srv):
    # the resource is the URL the client used (Host with its port)
    raw = ("GET /.well-known/oauth-protected-resource/api HTTP/1.1\r\n"
           "Host: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % srv.port)
    r = srv.raw(raw.encode())
    assert r.status == 200, r
    doc = json_body(r)
    assert doc == {
        "resource": "http://127.0.0.1:%d/api" % srv.port,
        "authorization_servers": [ISS, ISS2],
        "scopes_supported": ["read", "write"],
        "bearer_methods_supported": ["header", "query"],
    }, doc


def test_resource_metadata_configured_resource(srv):
    r = srv.request("/md/res/x")
    doc = json_body(assert_ok(r))
    assert doc == {"resource": "https://api.example.com/v1",
                   "bearer_methods_supported": ["header"]}, doc
    h = srv.request("/md/res/x", method="HEAD")
    assert h.status == 200 and h.body == b""
    p = srv.request("/md/res/x", method="POST", body=b"")
    assert p.status == 405, p


def test_resource_metadata_from_metadata_url(srv):
    # RFC 9728 3.1: the resource is the metadata URL without the
    # well-known part; a cookie is none of RFC 9728's bearer methods
    doc = json_body(assert_ok(srv.request("/md/rm/x")))
    assert doc == {"resource": "https://rs.example.com/api",
                   "bearer_methods_supported": []}, doc


@pytest.mark.expect_log(r"AH01631")
def test_resource_metadata_in_challenge(srv):
    rm = {"resource_metadata": RM_URL}
    assert_challenge(srv.get("/api/rm/ok"), 401, extra=rm)
    tok, _ = issued(srv, get_token(srv, scope="write"), scope="write")
    assert_challenge(srv.get("/api/rm/ok", tok), 403,
                     error="insufficient_scope", scope="read",
                     reasons=["insufficient_scope"], extra=rm)


# ---------------------------------------------- jti without mod_unique_id

def test_jti_random_without_unique_id(httpd, K):
    body = issuer("/i/basic/", "AuthJWTSignKey secret:" + K("hs256.secret"),
                  "AuthJWTScope read")
    srv2 = start_without_module(
        httpd, "issuing-nouid", body, "unique_id_module",
        files={"htpasswd": htpasswd_line(*ALICE) + "\n"})
    jtis = set()
    for _ in range(3):
        r = post(srv2, "/i/basic/t", basic=ALICE)
        tok, _ = issued(srv2, r, scope="read")
        assert r.env_header("X-Unique-Id") is None     # really not loaded
        jti = parts(tok)[1]["jti"]
        # RFC 7519 4.1.7: 128 random bits, base64url
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", jti), jti
        assert len(b64u_decode(jti)) == 16
        jtis.add(jti)
    assert len(jtis) == 3
