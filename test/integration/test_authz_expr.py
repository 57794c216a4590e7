# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""manual "Authorization": Require jwt-expr (an ap_expr over the
verified claims, false answers like jwt-claim) and Require expr with
jwt_claim() (evaluated after authentication; false answers 401, as httpd
does for expressions that need a user)."""

import subprocess

import pytest

from harness import (assert_challenge, assert_invalid_token, assert_ok,
                     location)
from jose_kit import claims, pyjwt_token

FORBID = "AuthzSendForbiddenOnFailure On"
TENANT = "\"jwt_claim('tenant') == 'acme'\""


@pytest.fixture(scope="module")
def srv(httpd, K, basedir):
    key = "AuthJWTVerifyKey secret:%s" % K("hs256.secret")
    htpasswd = basedir + "/authz-expr.htpasswd"
    subprocess.run(["htpasswd", "-cbB", htpasswd, "alice", "pw-alice"],
                   check=True, capture_output=True)
    body = (
        location("/jx/", key, FORBID, require="Require jwt-expr " + TENANT)
        + location("/jx401/", key, require="Require jwt-expr " + TENANT)
        + location("/jx-roles/", key, FORBID,
                   require="Require jwt-expr \"jwt_claim('realm_access."
                   "roles') =~ /(^| )admin( |$)/ && %{REQUEST_METHOD} "
                   "== 'GET'\"")
        + location("/jx-any/", key, FORBID,
                   require="<RequireAny>\n        Require jwt-scope admin\n"
                   "        Require jwt-expr " + TENANT + "\n"
                   "    </RequireAny>")
        + location("/jx-basic/", 'AuthUserFile "%s"' % htpasswd,
                   realm="B", authtype="Basic",
                   require="Require jwt-expr \"true\"")
        + location("/ex/", key, FORBID, require="Require expr " + TENANT)
        + location("/ex-user/", key,
                   require="Require expr \"%{REMOTE_USER} == 'alice'\"")
        + location("/ex-plain/", realm=None, authtype=None,
                   require="Require expr \"%{REQUEST_METHOD} == 'GET'\""))
    # mod_authz_core logs every authorization failure of a user (AH01631)
    # and of a user-dependent expression (AH01629) at error level
    return httpd("authz-expr", body, expect=[r"AH01631", r"AH01629",
                                             r"AH01630"])


@pytest.fixture(scope="module")
def tok(ring):
    def make(**kw):
        return pyjwt_token("HS256", ring["hs256"], claims(**kw))
    return make


# ---- Require jwt-expr

def test_jwt_expr_true(srv, tok):
    r = assert_ok(srv.get("/jx/ok", tok(tenant="acme")))
    assert r.header("WWW-Authenticate") is None


def test_jwt_expr_false_403_insufficient_scope(srv, tok):
    for t in (tok(tenant="other"), tok()):
        r = srv.get("/jx/ok", t)
        assert_challenge(r, 403, error="insufficient_scope")
        assert r.env_header("X-Jwt-Error") == "insufficient_scope"


def test_jwt_expr_false_401_without_forbidden_on_failure(srv, tok):
    r = srv.get("/jx401/ok", tok(tenant="other"))
    assert_challenge(r, 401, error="insufficient_scope")


def test_jwt_expr_no_token_asks_for_one(srv):
    # evaluated after authentication: no token is a 401 challenge, not 403
    assert_challenge(srv.get("/jx/ok"), 401)


def test_jwt_expr_bad_token(srv, tok):
    assert_invalid_token(srv.get("/jx/ok", tok(tenant="acme", exp=1)),
                         reason="expired")


def test_jwt_expr_dotted_path_and_other_variables(srv, tok):
    assert_ok(srv.get("/jx-roles/ok",
                      tok(realm_access={"roles": ["user", "admin"]})))
    assert_challenge(srv.get("/jx-roles/ok",
                             tok(realm_access={"roles": ["user"]})),
                     403, error="insufficient_scope")


def test_jwt_expr_in_require_any(srv, tok):
    assert_ok(srv.get("/jx-any/ok", tok(scope="admin")))
    r = assert_ok(srv.get("/jx-any/ok", tok(tenant="acme")))
    assert r.header("WWW-Authenticate") is None
    assert r.env_header("X-Jwt-Error") is None
    assert_challenge(srv.get("/jx-any/ok", tok(scope="read")), 403,
                     error="insufficient_scope", scope="admin")


def test_jwt_expr_not_satisfied_by_another_module(srv):
    # a Basic file user never satisfies a jwt-* provider, not even "true"
    r = srv.basic("/jx-basic/ok", "alice", "pw-alice")
    assert r.status in (401, 403), r


def test_jwt_expr_syntax_error_stops_startup(httpd, K):
    key = "AuthJWTVerifyKey secret:%s" % K("hs256.secret")
    srv = httpd("authz-expr-bad",
                location("/b/", key, require="Require jwt-expr "
                         "\"jwt_claim('x') ==\""), start=False)
    rc, out = srv.configtest()
    assert rc != 0, out
    assert "Require jwt-expr" in out and "httpd.conf" in out, out


# ---- Require expr with jwt_claim()

def test_expr_jwt_claim_after_authentication(srv, tok):
    assert_ok(srv.get("/ex/ok", tok(tenant="acme")))
    # no token: a challenge, because jwt_claim() needs a user
    assert_challenge(srv.get("/ex/ok"), 401)
    # false after authentication: 401, as for %{REMOTE_USER} (AH01629)
    r = srv.get("/ex/ok", tok(tenant="other"))
    assert r.status == 401, r
    assert_invalid_token(srv.get("/ex/ok", tok(tenant="acme", exp=1)),
                         reason="expired")


def test_expr_remote_user_unchanged(srv, tok):
    assert_ok(srv.get("/ex-user/ok", tok()))
    assert srv.get("/ex-user/ok", tok(sub="bob")).status == 401
    assert_challenge(srv.get("/ex-user/ok"), 401)


def test_expr_without_user_unchanged(srv):
    assert_ok(srv.get("/ex-plain/ok"))
    r = srv.request("/ex-plain/ok", method="POST", body=b"")
    assert r.status == 403, r
