# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""manual "API keys" (AuthType ApiKey): ID.SECRET in a request header,
SECRET checked by authn providers as the password of user ID.  With the
file provider (an `htpasswd -B` line, and the lines `htjwt apikey` prints)
and with mod_authn_dbd over SQLite, whose extra column reaches
AUTHENTICATE_SCOPES and, through AuthJWTScope "%{env:AUTHENTICATE_SCOPES}",
the issued token.  Every refusal is 401 with an ApiKey challenge."""

import os
import re
import secrets
import shutil
import subprocess

import pytest

from harness import assert_ok, location
from issue_kit import (HTJWT, INVALID_SCOPE_DESC, htpasswd_line, issued,
                       oauth_error, parts, post, run, start_without_module,
                       wait_aj)

SQLITE = shutil.which("sqlite3") or "/usr/bin/sqlite3"

FILE_ID, FILE_SECRET = "k1", "file-" + secrets.token_urlsafe(24)
# a secret with dots in it: the key splits at its first dot only
DOT_ID, DOT_SECRET = "k2", "a.b." + secrets.token_urlsafe(24)
DBD = {
    "svc-rw": ("dbd-" + secrets.token_urlsafe(24), "read write"),
    "svc-r": ("dbd-" + secrets.token_urlsafe(24), "read"),
    "svc-none": ("dbd-" + secrets.token_urlsafe(24), ""),
}


@pytest.fixture(scope="module")
def htjwt_key():
    rc, out, err = run([HTJWT, "apikey", "--id", "ci-bot"])
    assert rc == 0, err
    lines = out.splitlines()
    assert len(lines) == 2, out
    key, line = lines
    # ID.SECRET: 32 random bytes in base64url; the line is htpasswd -B
    assert re.fullmatch(r"ci-bot\.[A-Za-z0-9_-]{43}", key), key
    assert re.fullmatch(r"ci-bot:\$2[aby]\$10\$[./A-Za-z0-9]{53}", line), \
        line
    return key, line


@pytest.fixture(scope="module")
def sqlite_db(basedir):
    d = os.path.join(basedir, "apikey-db")
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o755)
    path = os.path.join(d, "apikeys.sqlite")
    sql = ["CREATE TABLE apikeys (id TEXT PRIMARY KEY, hash TEXT NOT NULL,"
           " scopes TEXT NOT NULL);"]
    for kid, (secret, scopes) in DBD.items():
        h = htpasswd_line(kid, secret).split(":", 1)[1]
        sql.append("INSERT INTO apikeys VALUES ('%s', '%s', '%s');"
                   % (kid, h, scopes))
    subprocess.run([SQLITE, path], input="\n".join(sql).encode(),
                   check=True)
    os.chmod(path, 0o644)
    return path


@pytest.fixture(scope="module")
def srv(httpd, K, htjwt_key, sqlite_db):
    sign = "AuthJWTSignKey " + K("p256.key.pem")
    users = 'AuthUserFile "@ROOT@/keys.htpasswd"'

    def keyloc(path, *lines, realm="Keys"):
        return location(path, *lines, authtype="ApiKey", realm=realm)

    body = (
        "DBDriver sqlite3\n"
        "DBDParams %s\n" % sqlite_db
        + keyloc("/i/key/", users, "SetHandler jwt-issuer", sign,
                 'AuthJWTScope "read write"')
        + keyloc("/i/hdr/", users, "AuthJWTApiKeyHeader X-Key",
                 "SetHandler jwt-issuer", sign, "AuthJWTScope read")
        + keyloc("/i/norealm/", users, "SetHandler jwt-issuer", sign,
                 realm=None)
        + keyloc("/i/echo/", users, "SetHandler jwt-issuer", sign,
                 'AuthJWTClaim echo "%{HTTP:X-Echo}"')
        + keyloc("/i/dbd/", "AuthJWTApiKeyProvider dbd",
                 'AuthDBDUserPWQuery "SELECT hash, scopes FROM apikeys '
                 'WHERE id = %s"', "SetHandler jwt-issuer", sign,
                 'AuthJWTScope "%{env:AUTHENTICATE_SCOPES}"')
        # dbd first: an id it does not know is asked of the file next
        + keyloc("/i/both/", "AuthJWTApiKeyProvider dbd file", users,
                 'AuthDBDUserPWQuery "SELECT hash, scopes FROM apikeys '
                 'WHERE id = %s"', "SetHandler jwt-issuer", sign,
                 'AuthJWTScope read')
        # an ordinary resource behind an API key
        + keyloc("/k/", users))
    files = {"keys.htpasswd": htpasswd_line(FILE_ID, FILE_SECRET) + "\n"
             + htpasswd_line(DOT_ID, DOT_SECRET) + "\n"
             + htjwt_key[1] + "\n"}
    return httpd("issuing-apikey", body, files=files,
                 extra_modules=[("dbd_module", "mod_dbd.so"),
                                ("authn_dbd_module", "mod_authn_dbd.so")])


def with_key(srv, path, key, header="X-API-Key", scope=None, headers=()):
    secret = key.partition(".")[2]
    return post(srv, path, scope=scope, headers=[(header, key)]
                + list(headers), secrets=[key, secret])


def assert_apikey_401(r, realm="Keys"):
    assert r.status == 401, r
    want = 'ApiKey realm="%s"' % realm if realm else "ApiKey"
    assert r.header_all("WWW-Authenticate") == [want], \
        r.header_all("WWW-Authenticate")
    assert r.header("Authorization") is None
    assert b"access_token" not in r.body


# ---------------------------------------------------------------- file

def test_file_key_issues_token(srv):
    off = srv.error_offset()
    r = with_key(srv, "/i/key/t", "%s.%s" % (FILE_ID, FILE_SECRET))
    tok, _ = issued(srv, r, scope="read write")
    hdr, cl, _ = parts(tok)
    assert cl["sub"] == FILE_ID and cl["scope"] == "read write"
    assert hdr["alg"] == "ES256"
    accepted = wait_aj(srv, off, "AJ00025", "info")
    assert accepted and 'id="k1"' in accepted[0] and "provider=file" in \
        accepted[0], accepted
    line = wait_aj(srv, off, "AJ00016", "info")
    assert line and "via=ApiKey" in line[0], line


def test_file_key_scope_narrowing(srv):
    key = "%s.%s" % (FILE_ID, FILE_SECRET)
    issued(srv, with_key(srv, "/i/key/t", key, scope="write"),
           scope="write")
    oauth_error(with_key(srv, "/i/key/t", key, scope="admin"),
                "invalid_scope", INVALID_SCOPE_DESC)


def test_htjwt_apikey_lines_work(srv, htjwt_key):
    key, _ = htjwt_key
    tok, _ = issued(srv, with_key(srv, "/i/key/t", key), scope="read write")
    assert parts(tok)[1]["sub"] == "ci-bot"


def test_key_on_a_plain_resource(srv):
    r = assert_ok(srv.request("/k/ok", [("X-API-Key", "%s.%s" % (
        FILE_ID, FILE_SECRET))], secrets=[FILE_SECRET]))
    assert r.header("X-Remote-User") == FILE_ID
    assert r.header("X-Auth-Type") == "ApiKey"
    assert_apikey_401(srv.request("/k/ok"))


def test_wrong_secret_401(srv):
    off = srv.error_offset()
    r = with_key(srv, "/i/key/t", "%s.%s" % (FILE_ID, FILE_SECRET + "x"))
    assert_apikey_401(r)
    lines = wait_aj(srv, off, "AJ00028", "info")
    assert lines and "reason=wrong_secret" in lines[0], lines
    assert FILE_SECRET not in "\n".join(srv.error_lines_since(off))


def test_unknown_id_401(srv):
    off = srv.error_offset()
    assert_apikey_401(with_key(srv, "/i/key/t", "nobody." + FILE_SECRET))
    lines = wait_aj(srv, off, "AJ00028", "info")
    assert lines and "reason=unknown_id" in lines[0], lines


def test_missing_key_401(srv):
    off = srv.error_offset()
    assert_apikey_401(post(srv, "/i/key/t", scope="read"))
    assert_apikey_401(post(srv, "/i/key/t", headers=[("X-API-Key", "")]))
    assert wait_aj(srv, off, "AJ00026", "info")


@pytest.mark.parametrize("key", [
    "no-dot-at-all",
    ".secret-without-id",
    "id-without-secret.",
    "k1.sec ret",
    "k1.sec,ret",
    "k1.sec\tret",
])
def test_malformed_key_401(srv, key):
    off = srv.error_offset()
    assert_apikey_401(srv.request("/i/key/t", [("X-API-Key", key)],
                                  method="POST", body=b""))
    assert wait_aj(srv, off, "AJ00027", "info"), \
        "\n".join(srv.error_lines_since(off))


def test_two_key_headers_401(srv):
    # httpd joins repeated headers with ", ": never one of the keys
    key = "%s.%s" % (FILE_ID, FILE_SECRET)
    r = srv.request("/i/key/t", [("X-API-Key", key), ("X-API-Key", key)],
                    method="POST", body=b"", secrets=[key, FILE_SECRET])
    assert_apikey_401(r)


def test_secret_with_dots_splits_at_first(srv):
    # ID.SECRET splits at the first dot: "k2.a.b.X" is id k2, secret "a.b.X"
    tok, _ = issued(srv, with_key(srv, "/i/key/t", DOT_ID + "." + DOT_SECRET),
                    scope="read write")
    assert parts(tok)[1]["sub"] == DOT_ID
    assert_apikey_401(with_key(srv, "/i/key/t", "k1.%s.x" % FILE_SECRET))


def test_no_realm_challenge(srv):
    assert_apikey_401(post(srv, "/i/norealm/t"), realm=None)


def test_custom_header(srv):
    key = "%s.%s" % (FILE_ID, FILE_SECRET)
    issued(srv, with_key(srv, "/i/hdr/t", key, header="X-Key"),
           scope="read")
    # the default header is not read there
    assert_apikey_401(with_key(srv, "/i/hdr/t", key))
    # header names are case-insensitive
    issued(srv, with_key(srv, "/i/hdr/t", key, header="x-key"),
           scope="read")


def test_basic_is_not_an_api_key(srv):
    r = post(srv, "/i/key/t", basic=(FILE_ID, FILE_SECRET))
    assert_apikey_401(r)


@pytest.mark.parametrize("what", ["key", "secret"])
def test_claim_equal_to_api_key_refused(srv, what, log_expect):
    log_expect.append("AJ00022")
    key = "%s.%s" % (FILE_ID, FILE_SECRET)
    value = key if what == "key" else FILE_SECRET
    r = with_key(srv, "/i/echo/t", key, headers=[("X-Echo", value)])
    assert r.status == 403, r
    assert b"access_token" not in r.body


# ---------------------------------------------------------------- dbd

@pytest.mark.parametrize("kid", ["svc-rw", "svc-r"])
def test_dbd_key_scopes_reach_token(srv, kid):
    secret, scopes = DBD[kid]
    tok, _ = issued(srv, with_key(srv, "/i/dbd/t", "%s.%s" % (kid, secret)),
                    scope=scopes)
    cl = parts(tok)[1]
    assert cl["sub"] == kid and cl["scope"] == scopes


def test_dbd_key_scope_narrowing(srv):
    secret, _ = DBD["svc-rw"]
    key = "svc-rw." + secret
    issued(srv, with_key(srv, "/i/dbd/t", key, scope="write"),
           scope="write")
    secret, _ = DBD["svc-r"]
    oauth_error(with_key(srv, "/i/dbd/t", "svc-r." + secret,
                         scope="write"), "invalid_scope",
                INVALID_SCOPE_DESC)


def test_dbd_key_without_scopes(srv):
    secret, _ = DBD["svc-none"]
    tok, _ = issued(srv, with_key(srv, "/i/dbd/t", "svc-none." + secret),
                    scope=None)
    assert "scope" not in parts(tok)[1]


def test_dbd_wrong_secret_401(srv):
    secret, _ = DBD["svc-rw"]
    assert_apikey_401(with_key(srv, "/i/dbd/t", "svc-rw." + secret[:-1]))
    assert_apikey_401(with_key(srv, "/i/dbd/t", "svc-rw." + DBD["svc-r"][0]))


def test_dbd_unknown_id_401(srv):
    assert_apikey_401(with_key(srv, "/i/dbd/t", "nobody." + DBD["svc-r"][0]))


def test_dbd_file_key_not_in_dbd(srv):
    assert_apikey_401(with_key(srv, "/i/dbd/t", "%s.%s" % (FILE_ID,
                                                          FILE_SECRET)))


def test_providers_in_order(srv):
    # dbd does not know k1: the file provider is asked next
    issued(srv, with_key(srv, "/i/both/t", "%s.%s" % (FILE_ID, FILE_SECRET)),
           scope="read")
    secret, _ = DBD["svc-r"]
    issued(srv, with_key(srv, "/i/both/t", "svc-r." + secret), scope="read")
    # dbd knows svc-r: a wrong secret there is final
    assert_apikey_401(with_key(srv, "/i/both/t", "svc-r." + FILE_SECRET))


# ------------------------------------------------------ broken back ends

@pytest.fixture(scope="module")
def broken(httpd, K, sqlite_db):
    """mod_authn_file not loaded (the default provider is missing) and a
    dbd provider whose query fails: server errors, not client errors."""
    body = ("DBDriver sqlite3\n"
            "DBDParams %s\n" % sqlite_db
            + location("/k/default/", authtype="ApiKey", realm="Keys")
            + location("/k/dbd/", "AuthJWTApiKeyProvider dbd",
                       'AuthDBDUserPWQuery "SELECT hash FROM nosuchtable '
                       'WHERE id = %s"', authtype="ApiKey", realm="Keys"))
    return start_without_module(
        httpd, "issuing-apikey-broken", body, "authn_file_module",
        extra_modules=[("dbd_module", "mod_dbd.so"),
                       ("authn_dbd_module", "mod_authn_dbd.so")],
        # mod_dbd reports the statement it cannot prepare
        expect=[r"\[dbd:", r"\[authn_dbd:"])


def test_default_provider_missing_500(broken, log_expect):
    log_expect.append("AJ00030")
    off = broken.error_offset()
    r = broken.request("/k/default/ok", [("X-API-Key", "k1.whatever-long-"
                                          "secret")], allow_500=True)
    assert r.status == 500, r
    lines = wait_aj(broken, off, "AJ00030", "error")
    assert lines and "mod_authn_file" in lines[0], lines
    assert "whatever-long-secret" not in "\n".join(
        broken.error_lines_since(off))


def test_provider_error_500(broken, log_expect):
    log_expect.append("AJ00029")
    off = broken.error_offset()
    secret = DBD["svc-r"][0]
    r = broken.request("/k/dbd/ok", [("X-API-Key", "svc-r." + secret)],
                       secrets=[secret], allow_500=True)
    assert r.status == 500, r
    lines = wait_aj(broken, off, "AJ00029", "error")
    assert lines and 'id "svc-r"' in lines[0] and "provider dbd" in \
        lines[0], lines
