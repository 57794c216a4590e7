# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""The credential after it was accepted (manual "Validating tokens", key rules):
the query-string token, the token cookie and the API key header are
removed before a CGI (or any backend) sees them; responses to requests
authenticated by anything but Authorization never reach mod_cache; and
subrequests and internal redirects keep the token's decision and its
JWT_* variables without a second verification."""

import time

import pytest

from harness import assert_challenge, assert_ok, location
from issue_kit import basic_value, htpasswd_line
from jose_kit import claims, pyjwt_token

API_ID, API_SECRET = "svc1", "s3cr3t-" + "x" * 24
API_KEY = "%s.%s" % (API_ID, API_SECRET)
BASIC_PW = "pw-" + "y" * 20

CACHE_MODULES = [("cache_module", "mod_cache.so"),
                 ("cache_socache_module", "mod_cache_socache.so"),
                 ("socache_shmcb_module", "mod_socache_shmcb.so")]
MORE_MODULES = [("rewrite_module", "mod_rewrite.so"),
                ("include_module", "mod_include.so"),
                ("proxy_module", "mod_proxy.so"),
                ("proxy_http_module", "mod_proxy_http.so")]


@pytest.fixture(scope="module")
def tok(ring):
    def make(**kw):
        return pyjwt_token("HS256", ring["hs256"], claims(**kw))
    return make


@pytest.fixture(scope="module")
def srv(httpd, K):
    key = "AuthJWTVerifyKey secret:%s" % K("hs256.secret")
    apikey = 'AuthUserFile "@ROOT@/keys.htpasswd"'
    body = (
        location("/q/", key, "AuthJWTTokenFrom header query=access_token")
        # a backend behind mod_proxy: its URL is made before authentication
        # (/be/env is the CGI of this same server, without authentication)
        + 'ProxyPass "/pxraw/" "http://127.0.0.1:@PORT@/be/" nocanon\n'
        + 'ProxyPass "/px/" "http://127.0.0.1:@PORT@/be/"\n'
        + "RewriteEngine On\n"
        + 'RewriteRule "^/rwp/(.*)$" "http://127.0.0.1:@PORT@/be/$1" [P]\n'
        + location("/pxraw/", key,
                   "AuthJWTTokenFrom header query=access_token")
        + location("/px/", key, "AuthJWTTokenFrom header query=access_token")
        + location("/rwp/", key,
                   "AuthJWTTokenFrom header query=access_token")
        + location("/ck/", key, "AuthJWTTokenFrom cookie=at")
        + location("/ak/", apikey, authtype="ApiKey")
        + location("/akh/", apikey, "AuthJWTApiKeyHeader X-Service-Key",
                   authtype="ApiKey")
        # rewritten inside the same directory: httpd skips authentication
        # for the redirect and copies r->user
        + 'ScriptAlias "/rw/" "@ROOT@/cgi/"\n'
        + location("/rw/", key, "AuthJWTTokenFrom cookie=at",
                   "ErrorDocument 403 /rw/env.cgi")
        + '<Directory "@ROOT@/cgi">\n'
        + "    RewriteEngine On\n"
        + "    RewriteRule ^alias\\.cgi$ env.cgi [L]\n"
        + "    RewriteRule ^forbidden\\.cgi$ - [F]\n"
        + "</Directory>\n"
        # server-side includes: a subrequest into a directory with a
        # configuration of its own (same token rules, or stricter ones)
        + '<Directory "@ROOT@/htdocs/inc">\n'
        + "    Options +Includes\n"
        + "    AddOutputFilter INCLUDES .shtml\n"
        + "</Directory>\n"
        + '<Directory "@ROOT@/htdocs/inc/sub">\n'
        + "    AddDefaultCharset utf-8\n"
        + "</Directory>\n"
        + location("/inc/", key, "AuthJWTTokenFrom header cookie=at")
        + location("/inc/strict/", "AuthJWTLeeway 5")
        # another module's user of the same name as the token's subject
        + location("/inc/basic/", 'AuthUserFile "@ROOT@/users.htpasswd"',
                   authtype="Basic", require="Require jwt-scope read"))
    page = ('<!--#include virtual="/inc/sub/part.txt" -->|'
            '<!--#include virtual="/inc/strict/part.txt" -->\n')
    files = {
        "keys.htpasswd": htpasswd_line(API_ID, API_SECRET) + "\n",
        "users.htpasswd": htpasswd_line("alice", BASIC_PW) + "\n",
        "htdocs/inc/mixed.shtml":
            '<!--#include virtual="/inc/basic/part.txt" -->\n',
        "htdocs/inc/basic/part.txt": "basic-part",
        "htdocs/inc/page.shtml": page,
        "htdocs/inc/sub/part.txt": "sub-part",
        "htdocs/inc/strict/part.txt": "strict-part",
    }
    return httpd("credentials", body, files=files,
                 extra_modules=MORE_MODULES,
                 loglevel="warn authn_jwt:debug rewrite:warn")


# ---- the credential is removed (issue 10 item 5)

def test_query_token_removed_other_arguments_stay(srv, tok):
    t = tok()
    r = assert_ok(srv.get("/q/env", query="a=1&access_token=%s&b=2" % t))
    env = r.cgi_env()
    assert env.get("QUERY_STRING") == "a=1&b=2"
    assert env.get("JWT_SUB") == "alice"
    for k, v in env.items():
        assert t not in v, k


@pytest.mark.parametrize("path", ["/pxraw/", "/px/", "/rwp/"])
def test_query_token_never_reaches_a_proxied_backend(srv, tok, path):
    """ProxyPass (also nocanon, which passes the URL as received) and a
    server-context RewriteRule [P] make the backend URL before
    authentication: the token leaves it too."""
    t = tok()
    r = assert_ok(srv.get(path + "env", query="a=1&access_token=%s&b=2" % t))
    env = r.cgi_env()
    assert env.get("QUERY_STRING") == "a=1&b=2"
    assert env.get("REQUEST_URI") == "/be/env?a=1&b=2"
    for k, v in env.items():
        assert t not in v, k


def test_query_token_alone_leaves_empty_query(srv, tok):
    t = tok()
    r = assert_ok(srv.get("/q/env", query="access_token=" + t))
    assert r.cgi_env().get("QUERY_STRING") == ""


def test_header_token_leaves_query_alone(srv, tok):
    r = assert_ok(srv.get("/q/env?access_token=", tok()))
    # an empty argument is no token; it stays where it was
    assert r.cgi_env().get("QUERY_STRING") == "access_token="


def test_token_cookie_removed_other_cookies_stay(srv, tok):
    t = tok()
    r = srv.request("/ck/env", [("Cookie", "x=1; at=%s; y=2" % t)],
                    secrets=[t])
    env = assert_ok(r).cgi_env()
    assert env.get("HTTP_COOKIE") == "x=1; y=2"
    for k, v in env.items():
        assert t not in v, k


def test_token_cookie_alone_leaves_no_cookie_header(srv, tok):
    t = tok()
    r = srv.request("/ck/env", [("Cookie", "at=%s" % t)], secrets=[t])
    assert "HTTP_COOKIE" not in assert_ok(r).cgi_env()


def test_every_cookie_of_the_name_removed(srv, tok):
    t, old = tok(), tok(exp=1)
    r = srv.request("/ck/env", [("Cookie", "at=%s; k=v" % t),
                                ("Cookie", "at=%s" % old)],
                    secrets=[t, old])
    env = assert_ok(r).cgi_env()
    assert env.get("HTTP_COOKIE") == "k=v"


def test_api_key_header_removed(srv):
    r = srv.request("/ak/env", [("X-API-Key", API_KEY)],
                    secrets=[API_KEY])
    env = assert_ok(r).cgi_env()
    assert env.get("REMOTE_USER") == API_ID
    assert "HTTP_X_API_KEY" not in env
    for k, v in env.items():
        assert API_SECRET not in v, k


def test_configured_api_key_header_removed(srv):
    r = srv.request("/akh/env", [("X-Service-Key", API_KEY),
                                 ("X-Other", "stays")],
                    secrets=[API_KEY])
    env = assert_ok(r).cgi_env()
    assert "HTTP_X_SERVICE_KEY" not in env
    assert env.get("HTTP_X_OTHER") == "stays"


def test_rejected_cookie_is_left_alone(srv, tok):
    # nothing was consumed: the 401 is all the client gets
    t = tok(exp=1)
    r = srv.request("/ck/env", [("Cookie", "at=%s" % t)], secrets=[t])
    assert r.status == 401


# ---- subrequests and internal redirects (issue 10 item 11)

def _accepts_since(srv, off, uid):
    return [l for l in srv.error_lines_since(off)
            if "AJ00002" in l and uid in l]


def test_redirect_sees_the_same_variables(srv, tok):
    # mod_rewrite in directory context: an internal redirect with the same
    # configuration, for which httpd skips authentication
    t = tok(tenant="acme")
    r = srv.request("/rw/alias.cgi", [("Cookie", "at=%s; o=1" % t)],
                    secrets=[t])
    env = assert_ok(r).cgi_env()
    assert env.get("REMOTE_USER") == "alice"
    assert env.get("JWT_SUB") == "alice"
    assert env.get("JWT_CLAIM_tenant") == "acme"
    assert env.get("HTTP_COOKIE") == "o=1"


def test_error_document_sees_the_same_variables(srv, tok):
    # a 403 answered by an ErrorDocument CGI under the same configuration:
    # the error page knows who was refused what
    t = tok(tenant="acme")
    r = srv.request("/rw/forbidden.cgi", [("Cookie", "at=%s" % t)],
                    secrets=[t])
    assert r.status == 403, r
    env = r.cgi_env()
    assert env.get("REDIRECT_STATUS") == "403", env
    assert env.get("JWT_SUB") == "alice"
    assert env.get("JWT_CLAIM_tenant") == "acme"
    assert "HTTP_COOKIE" not in env


def test_subrequest_with_same_rules_not_verified_again(srv, tok):
    off = srv.error_offset()
    r = assert_ok(srv.get("/inc/page.shtml", tok()))
    assert r.text.startswith("sub-part|strict-part"), r.text
    uid = r.header("X-Unique-Id")
    time.sleep(0.2)
    # the page, and the stricter location; not the part with the same rules
    assert len(_accepts_since(srv, off, uid)) == 2
    assert any("AJ00150" in l and uid in l
               for l in srv.error_lines_since(off))


def test_subrequest_after_cookie_removed(srv, tok):
    # the cookie left the request; the subrequest with other rules checks
    # the token it carried again
    t = tok()
    r = srv.request("/inc/page.shtml", [("Cookie", "at=%s" % t)],
                    secrets=[t])
    assert assert_ok(r).text.startswith("sub-part|strict-part"), r.text


@pytest.mark.expect_log("AH01631", r"unable to include")
def test_same_name_from_another_module_is_not_the_token(srv, tok):
    # the page is authenticated by the cookie token (sub alice, scope
    # read); the included part by Basic, user alice.  Require jwt-scope
    # there must not take the main request's token for that user's.
    t = tok(scope="read")
    r = srv.request("/inc/mixed.shtml",
                    [("Cookie", "at=%s" % t),
                     ("Authorization", basic_value("alice", BASIC_PW))],
                    secrets=[t, BASIC_PW])
    assert_ok(r)
    assert "basic-part" not in r.text, r.text


def test_user_of_another_module_is_not_the_tokens(srv, tok):
    # a name alone never ties a token to a request: an API key user named
    # like the token's subject gets no JWT_* variables
    r = srv.request("/ak/env", [("X-API-Key", API_KEY)],
                    secrets=[API_KEY])
    env = assert_ok(r).cgi_env()
    assert not [k for k in env if k.startswith("JWT_")]


# ---- mod_cache (issue 10 item 6)

@pytest.fixture(scope="module")
def cache_srv(httpd, K):
    key = "AuthJWTVerifyKey secret:%s" % K("hs256.secret")
    apikey = 'AuthUserFile "@ROOT@/keys.htpasswd"'
    body = (
        "CacheSocache shmcb\n"
        "CacheQuickHandler On\n"
        "CacheIgnoreQueryString On\n"
        "CacheMinExpire 60\n"
        "CacheEnable socache /\n"
        + location("/ck/", key, "AuthJWTTokenFrom cookie=at")
        + location("/q/", key, "AuthJWTTokenFrom query=access_token")
        + location("/hd/", key)
        + location("/ak/", apikey, authtype="ApiKey"))
    files = {"keys.htpasswd": htpasswd_line(API_ID, API_SECRET) + "\n"}
    return httpd("credcache", body, files=files,
                 extra_modules=CACHE_MODULES)


@pytest.mark.parametrize("path", ["/ck/ok", "/q/ok", "/ak/ok"])
def test_not_stored_when_not_authorization(cache_srv, tok, path):
    t = tok()
    if path.startswith("/ck/"):
        r = cache_srv.request(path, [("Cookie", "at=" + t)], secrets=[t])
    elif path.startswith("/q/"):
        r = cache_srv.get(path, query="access_token=" + t)
    else:
        r = cache_srv.request(path, [("X-API-Key", API_KEY)],
                              secrets=[API_KEY])
    assert_ok(r)
    # the next client, without any credential: mod_cache's quick handler
    # would answer before authentication if the first response was stored
    for _ in range(2):
        r = cache_srv.request(path)
        assert_challenge(r, 401, realm="R",
                         scheme="ApiKey" if path.startswith("/ak/")
                         else "Bearer")


def test_authorization_header_still_uncached(cache_srv, tok):
    # mod_cache's own rule for Authorization: unchanged
    assert_ok(cache_srv.get("/hd/ok", tok()))
    assert_challenge(cache_srv.request("/hd/ok"), 401, realm="R")
