# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""manual "Authorization": Require jwt-scope, Require jwt-claim,
Require expr with jwt_claim(), RequireAll/RequireAny, AuthJWTScopeClaim;
requests not authenticated by this module never satisfy jwt-*; and the
Basic authn provider (AuthBasicProvider jwt)."""

import base64
import subprocess

import pytest

from harness import assert_challenge, assert_invalid_token, assert_ok, \
    location
from jose_kit import claims, pyjwt_token

FORBID = "AuthzSendForbiddenOnFailure On"


@pytest.fixture(scope="module")
def srv(httpd, K, basedir):
    key = "AuthJWTVerifyKey secret:%s" % K("hs256.secret")
    htpasswd = basedir + "/authz.htpasswd"
    subprocess.run(["htpasswd", "-cbB", htpasswd, "alice", "pw-alice"],
                   check=True, capture_output=True)
    subprocess.run(["htpasswd", "-bB", htpasswd, "bob", "pw-bob"],
                   check=True, capture_output=True)
    # a password with the two dots of a JWS
    subprocess.run(["htpasswd", "-bB", htpasswd, "dave",
                    "correct.horse.staple"], check=True, capture_output=True)
    basic_file = ['AuthBasicProvider file', 'AuthUserFile "%s"' % htpasswd]
    body = (
        location("/s/read/", key, FORBID, require="Require jwt-scope read")
        + location("/s/rw/", key, FORBID,
                   require="Require jwt-scope read write")
        + location("/s/perm/", key, FORBID, "AuthJWTScopeClaim perms",
                   require="Require jwt-scope admin")
        + location("/s/two-lines/", key, FORBID,
                   require="<RequireAll>\n        Require jwt-scope read\n"
                   "        Require jwt-scope write\n    </RequireAll>")
        + location("/cl/tenant/", key, FORBID,
                   require="Require jwt-claim tenant=acme")
        + location("/cl/roles/", key, FORBID,
                   require="Require jwt-claim realm_access.roles=admin")
        + location("/cl/deep/", key, FORBID,
                   require="Require jwt-claim a.b.c=d")
        + location("/cl/num/", key, FORBID,
                   require="Require jwt-claim level=3")
        + location("/cl/bool/", key, FORBID,
                   require="Require jwt-claim admin=true")
        + location("/cl/groups/", key, FORBID,
                   require="Require jwt-claim groups=ops")
        + location("/cl/multi/", key, FORBID,
                   require="Require jwt-claim tenant=acme level=3")
        + location("/cl/sub/", key, FORBID,
                   require="Require jwt-claim sub=alice")
        + location("/expr/tenant/", key, FORBID,
                   require="Require expr \"jwt_claim('tenant') == 'acme'\"")
        + location("/expr/roles/", key, FORBID,
                   require="Require expr "
                   "\"jwt_claim('realm_access.roles') =~ /(^| )admin( |$)/\"")
        + location("/expr/num/", key, FORBID,
                   require="Require expr \"jwt_claim('level') == '3'\"")
        + location("/all/", key, FORBID,
                   require="<RequireAll>\n        Require jwt-scope read\n"
                   "        Require jwt-claim tenant=acme\n"
                   "    </RequireAll>")
        + location("/any/", key, FORBID,
                   require="<RequireAny>\n        Require jwt-scope admin\n"
                   "        Require jwt-claim tenant=acme\n"
                   "    </RequireAny>")
        + location("/none/", key, FORBID,
                   require="<RequireAll>\n        Require valid-user\n"
                   "        <RequireNone>\n"
                   "            Require jwt-claim tenant=evil\n"
                   "        </RequireNone>\n    </RequireAll>")
        # Basic with a file user: not authenticated by this module
        + location("/bf-valid/", *basic_file, realm="B", authtype="Basic")
        + location("/bf-scope/", *basic_file, realm="B", authtype="Basic",
                   require="Require jwt-scope read")
        + location("/bf-claim/", *basic_file, realm="B", authtype="Basic",
                   require="Require jwt-claim sub=alice")
        + location("/bf-expr/", *basic_file, realm="B", authtype="Basic",
                   require="Require expr \"jwt_claim('sub') == 'alice'\"")
        # Basic with the jwt provider: the token is the password
        + location("/bj-plain/", "AuthBasicProvider jwt", key, realm="B",
                   authtype="Basic")
        + location("/bj-scope/", "AuthBasicProvider jwt", key, realm="B",
                   authtype="Basic", require="Require jwt-scope read")
        + location("/bj-email/", "AuthBasicProvider jwt", key,
                   "AuthJWTUserClaim email", realm="B", authtype="Basic")
        + location("/bj-aud/", "AuthBasicProvider jwt", key,
                   "AuthJWTAudience git", realm="B", authtype="Basic")
        + location("/bj-both/", "AuthBasicProvider file jwt", *basic_file[1:],
                   key, realm="B", authtype="Basic")
        + location("/bj-first/", "AuthBasicProvider jwt file",
                   *basic_file[1:], key, realm="B", authtype="Basic")
        # a jwt provider that cannot check any token: the server's fault
        + location("/bj-nokey/", "AuthBasicProvider jwt file",
                   *basic_file[1:], realm="B", authtype="Basic"))
    # mod_authz_core logs every authorization failure of a user at error
    # level (AH01631), and mod_auth_basic every refused password (AH01617,
    # AH01618): those lines are the point of this group.
    # AH01629: a failing "Require expr" that needs a user (jwt_claim() does)
    return httpd("authz", body, expect=[r"AH01631", r"AH0161[78]",
                                        r"AH01629"])


@pytest.fixture(scope="module")
def tok(ring):
    def make(**kw):
        return pyjwt_token("HS256", ring["hs256"], claims(**kw))
    return make


def denied(r):
    assert r.status == 403, "expected 403, got %r" % (r,)


def expr_denied(r):
    # mod_authz_core answers a failing user-dependent "Require expr" with
    # 401 after authentication (AH01629), whatever
    # AuthzSendForbiddenOnFailure says -- as for %{REMOTE_USER} == 'x'
    assert r.status in (401, 403), "expected 401/403, got %r" % (r,)
    assert r.env_header("X-Jwt-Error") in (None, "insufficient_scope"), r


# ---- Require jwt-scope

def test_scope_string(srv, tok):
    assert_ok(srv.get("/s/read/ok", tok(scope="read")))
    assert_ok(srv.get("/s/read/ok", tok(scope="write read")))
    assert_ok(srv.get("/s/rw/ok", tok(scope="read other write")))


def test_scope_array(srv, tok):
    assert_ok(srv.get("/s/rw/ok", tok(scope=["write", "read"])))


def test_scope_scp_fallback(srv, tok):
    # AuthJWTScopeClaim default: scope, then scp
    assert_ok(srv.get("/s/read/ok", tok(scp=["read"])))
    assert_ok(srv.get("/s/read/ok", tok(scp="read write")))


@pytest.mark.parametrize("scope", ["readonly", "READ", "re ad", "", "write",
                                   "readwrite", "read\u00a0"])
def test_scope_exact_tokens(srv, tok, scope):
    # doc/attacks.md E4: exact, case-sensitive tokens, never substrings
    r = srv.get("/s/read/ok", tok(scope=scope))
    assert_challenge(r, 403, error="insufficient_scope", scope="read",
                     reasons=["insufficient_scope"])


def test_scope_missing_claim(srv, tok):
    assert_challenge(srv.get("/s/rw/ok", tok()), 403,
                     error="insufficient_scope", scope="read write",
                     reasons=["insufficient_scope"])


def test_scope_one_of_two(srv, tok):
    assert_challenge(srv.get("/s/rw/ok", tok(scope="read")), 403,
                     error="insufficient_scope", scope="read write",
                     reasons=["insufficient_scope"])


def test_scope_ill_typed(srv, tok):
    for bad in (5, {"read": True}, [["read"]], True):
        denied(srv.get("/s/read/ok", tok(scope=bad)))


def test_scope_claim_directive(srv, tok):
    assert_ok(srv.get("/s/perm/ok", tok(perms="admin x")))
    assert_ok(srv.get("/s/perm/ok", tok(perms=["x", "admin"])))
    # the default claims are not read when AuthJWTScopeClaim names another
    denied(srv.get("/s/perm/ok", tok(scope="admin")))
    denied(srv.get("/s/perm/ok", tok(scp="admin")))


def test_scope_require_all_lines(srv, tok):
    assert_ok(srv.get("/s/two-lines/ok", tok(scope="read write")))
    denied(srv.get("/s/two-lines/ok", tok(scope="read")))


# ---- Require jwt-claim

def test_claim_string(srv, tok):
    assert_ok(srv.get("/cl/tenant/ok", tok(tenant="acme")))
    for v in ("acme2", "ACME", "acm", " acme"):
        denied(srv.get("/cl/tenant/ok", tok(tenant=v)))
    denied(srv.get("/cl/tenant/ok", tok()))


def test_claim_array_contains(srv, tok):
    assert_ok(srv.get("/cl/groups/ok", tok(groups=["dev", "ops"])))
    denied(srv.get("/cl/groups/ok", tok(groups=["dev", "opsx"])))
    denied(srv.get("/cl/groups/ok", tok(groups=[])))


def test_claim_dotted_path(srv, tok):
    assert_ok(srv.get("/cl/roles/ok", tok(realm_access={
        "roles": ["user", "admin"]})))
    assert_ok(srv.get("/cl/roles/ok", tok(realm_access={"roles": "admin"})))
    denied(srv.get("/cl/roles/ok", tok(realm_access={"roles": ["user"]})))
    denied(srv.get("/cl/roles/ok", tok(realm_access="admin")))
    denied(srv.get("/cl/roles/ok", tok(roles=["admin"])))
    assert_ok(srv.get("/cl/deep/ok", tok(a={"b": {"c": "d"}})))
    denied(srv.get("/cl/deep/ok", tok(a={"b": {"c": "e"}})))


def test_claim_top_level_name_with_dot(srv, tok):
    # jwt.h: a top-level member whose name contains a dot is found first
    c = {"realm_access.roles": "admin"}
    assert_ok(srv.get("/cl/roles/ok", tok(**c)))


def test_claim_number(srv, tok):
    assert_ok(srv.get("/cl/num/ok", tok(level=3)))
    assert_ok(srv.get("/cl/num/ok", tok(level="3")))
    denied(srv.get("/cl/num/ok", tok(level=4)))
    denied(srv.get("/cl/num/ok", tok(level=33)))


def test_claim_boolean(srv, tok):
    assert_ok(srv.get("/cl/bool/ok", tok(admin=True)))
    assert_ok(srv.get("/cl/bool/ok", tok(admin="true")))
    denied(srv.get("/cl/bool/ok", tok(admin=False)))
    denied(srv.get("/cl/bool/ok", tok(admin=1)))


def test_claim_all_pairs(srv, tok):
    assert_ok(srv.get("/cl/multi/ok", tok(tenant="acme", level=3)))
    denied(srv.get("/cl/multi/ok", tok(tenant="acme", level=4)))
    denied(srv.get("/cl/multi/ok", tok(level=3)))


def test_claims_read_flat_then_cached(srv, tok):
    # Claims of strings, small integers and booleans are read without a
    # JSON object; jwt-claim and jwt_claim() then get one made from them,
    # and a cache hit (the same token again, the same rules) gets the one
    # the cache entry keeps.  Every answer is the same each time.
    good = tok(tenant="acme", level=3, admin=True, scope="read")
    bad = tok(tenant="acmE", level=4, admin=False, scope="read")
    for _ in range(3):
        for path in ("/cl/tenant/", "/cl/num/", "/cl/bool/", "/cl/multi/",
                     "/cl/sub/", "/expr/tenant/", "/expr/num/", "/all/"):
            assert_ok(srv.get(path + "ok", good))
        for path in ("/cl/tenant/", "/cl/num/", "/cl/bool/", "/cl/multi/",
                     "/all/"):
            denied(srv.get(path + "ok", bad))
        for path in ("/expr/tenant/", "/expr/num/"):
            expr_denied(srv.get(path + "ok", bad))
        # a name with a dot is a member of that name, not a path
        assert_ok(srv.get("/cl/roles/ok", tok(**{"realm_access.roles":
                                                 "admin"})))
        denied(srv.get("/cl/deep/ok", tok(**{"a.b": "c=d"})))


def test_claim_object_never_matches(srv, tok):
    denied(srv.get("/cl/tenant/ok", tok(tenant={"acme": 1})))


# ---- Require expr with jwt_claim()

def test_expr_jwt_claim(srv, tok):
    assert_ok(srv.get("/expr/tenant/ok", tok(tenant="acme")))
    expr_denied(srv.get("/expr/tenant/ok", tok(tenant="other")))
    expr_denied(srv.get("/expr/tenant/ok", tok()))


def test_expr_dotted_path(srv, tok):
    assert_ok(srv.get("/expr/roles/ok", tok(realm_access={
        "roles": ["user", "admin"]})))
    expr_denied(srv.get("/expr/roles/ok", tok(realm_access={
        "roles": ["user", "administrator"]})))


def test_expr_number_as_text(srv, tok):
    assert_ok(srv.get("/expr/num/ok", tok(level=3)))
    expr_denied(srv.get("/expr/num/ok", tok(level=4)))


# ---- RequireAll / RequireAny / RequireNone

def test_require_all(srv, tok):
    assert_ok(srv.get("/all/ok", tok(scope="read", tenant="acme")))
    r = srv.get("/all/ok", tok(scope="read", tenant="other"))
    denied(r)
    denied(srv.get("/all/ok", tok(scope="write", tenant="acme")))


def test_require_any(srv, tok):
    assert_ok(srv.get("/any/ok", tok(scope="admin")))
    assert_ok(srv.get("/any/ok", tok(tenant="acme")))
    denied(srv.get("/any/ok", tok(scope="read", tenant="other")))


def test_require_none(srv, tok):
    assert_ok(srv.get("/none/ok", tok(tenant="acme")))
    denied(srv.get("/none/ok", tok(tenant="evil")))


def test_authz_still_needs_valid_token(srv, tok):
    # an expired token with the right scope is a 401, not a 403
    assert_invalid_token(srv.get("/s/read/ok", tok(scope="read", exp=1)),
                         reason="expired")
    assert_challenge(srv.get("/s/read/ok"), 401)


# ---- not authenticated by this module: jwt-* never holds

def test_basic_file_user_sanity(srv):
    r = assert_ok(srv.basic("/bf-valid/ok", "alice", "pw-alice"))
    assert r.header("X-Remote-User") == "alice"


@pytest.mark.parametrize("path", ["/bf-scope/ok", "/bf-claim/ok",
                                  "/bf-expr/ok"])
def test_basic_file_user_never_satisfies_jwt(srv, path):
    r = srv.basic(path, "alice", "pw-alice")
    assert r.status == 401, r
    assert r.header("WWW-Authenticate") == 'Basic realm="B"'


def test_basic_file_user_with_bearer_token_too(srv, tok):
    # a bearer token in another header does not authenticate a Basic
    # request: the Basic user still never satisfies jwt-*
    t = tok(scope="read")
    r = srv.request("/bf-scope/ok", [
        ("Authorization", "Basic YWxpY2U6cHctYWxpY2U="),
        ("X-Authorization", "Bearer " + t)], secrets=[t])
    assert r.status == 401, r


# ---- AuthBasicProvider jwt (token as the Basic password)

def test_basic_jwt_empty_user(srv, tok):
    r = assert_ok(srv.basic("/bj-plain/ok", "", tok()))
    assert r.header("X-Remote-User") == "alice"


def test_basic_jwt_user_equals_sub(srv, tok):
    r = assert_ok(srv.basic("/bj-plain/ok", "alice", tok()))
    assert r.header("X-Remote-User") == "alice"


@pytest.mark.parametrize("user", ["mallory", "Alice", "alice ", "alic"])
def test_basic_jwt_user_mismatch(srv, tok, user):
    r = srv.basic("/bj-plain/ok", user, tok())
    assert r.status == 401, r
    assert r.header("WWW-Authenticate") == 'Basic realm="B"'


def test_basic_jwt_user_claim(srv, tok):
    t = tok(email="bob@example.com")
    assert_ok(srv.basic("/bj-email/ok", "bob@example.com", t))
    assert_ok(srv.basic("/bj-email/ok", "", t))
    assert srv.basic("/bj-email/ok", "alice", t).status == 401


@pytest.mark.parametrize("bad", ["expired", "garbage", "wrongkey", "aud"])
def test_basic_jwt_same_checks(srv, ring, tok, bad):
    path = "/bj-plain/ok"
    if bad == "expired":
        t = tok(exp=1)
    elif bad == "garbage":
        t = "not-a-token"
    elif bad == "wrongkey":
        t = pyjwt_token("HS256", ring["hs256b"], claims())
    else:
        t, path = tok(aud="other"), "/bj-aud/ok"
    r = srv.basic(path, "", t)
    assert r.status == 401, r
    assert r.header("WWW-Authenticate") == 'Basic realm="B"'


def test_basic_jwt_audience_ok(srv, tok):
    assert_ok(srv.basic("/bj-aud/ok", "", tok(aud="git")))


def test_basic_jwt_satisfies_jwt_scope(srv, tok):
    # authenticated by this module through the Basic provider
    assert_ok(srv.basic("/bj-scope/ok", "", tok(scope="read")))
    r = srv.basic("/bj-scope/ok", "", tok(scope="write"))
    assert r.status == 401, r


def test_basic_file_then_jwt_provider(srv, tok):
    # mod_auth_basic asks the next provider only when the user is unknown
    # to the previous one
    assert_ok(srv.basic("/bj-both/ok", "alice", "pw-alice"))
    r = assert_ok(srv.basic("/bj-both/ok", "carol", tok(sub="carol")))
    assert r.header("X-Remote-User") == "carol"
    assert_ok(srv.basic("/bj-both/ok", "", tok()))
    assert srv.basic("/bj-both/ok", "alice", "wrong").status == 401
    assert srv.basic("/bj-both/ok", "carol", tok(exp=1)).status == 401


def test_basic_jwt_then_file_provider(srv, tok):
    # a password that is no token goes on to the next provider, even when
    # it has the dots of one (issue 10 item 10)
    r = assert_ok(srv.basic("/bj-first/ok", "dave", "correct.horse.staple"))
    assert r.header("X-Remote-User") == "dave"
    assert_ok(srv.basic("/bj-first/ok", "alice", "pw-alice"))
    assert_ok(srv.basic("/bj-first/ok", "", tok()))
    assert srv.basic("/bj-first/ok", "dave", "wrong.horse.staple") \
        .status == 401
    # a well-formed token that fails is the token's answer, not file's
    assert srv.basic("/bj-first/ok", "", tok(exp=1)).status == 401


@pytest.mark.expect_log("AJ00006", "AJ00155")
def test_basic_jwt_without_keys_is_500(srv, tok):
    t = tok()
    cred = base64.b64encode((":" + t).encode()).decode()
    r = srv.request("/bj-nokey/ok", [("Authorization", "Basic " + cred)],
                    secrets=[t], allow_500=True)
    assert r.status == 500, r
    # no key does not stop the file users
    assert_ok(srv.basic("/bj-nokey/ok", "dave", "correct.horse.staple"))
