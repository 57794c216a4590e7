# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""manual "Environment variables": REMOTE_USER, AUTH_TYPE, the JWT_*
environment (seen by a CGI script), JWT_ERROR on rejection (environment,
note, ErrorDocument), and the info-level log line with reason, jti, sub, kid
and UNIQUE_ID -- never the token."""


import json
import uuid

import pytest

from harness import assert_invalid_token, assert_ok, location
from jose_kit import claims, craft, now


@pytest.fixture(scope="module")
def srv(httpd, K):
    key = "AuthJWTVerifyKey kid=k1 secret:%s" % K("hs256.secret")
    body = (
        location("/e/", key, "AuthJWTAudience *")
        + location("/ed/", key,
                   'ErrorDocument 401 "jwt_error=%{env:JWT_ERROR}"')
        + location("/nokid/", "AuthJWTVerifyKey secret:%s"
                   % K("hs256.secret"))
        + location("/esc/", key, "AuthJWTIssuer https://idp.example/t/1",
                   "AuthJWTAudience https://api.example/v1",
                   require="<RequireAll>\n"
                   "        Require jwt-scope read/all\n"
                   "        Require jwt-claim tenant=acme/eu\n"
                   "    </RequireAll>"))
    # mod_authz_core logs each authorization failure of a user at error
    # level (AH01631): /esc/ refuses some on purpose
    return httpd("env", body, loglevel="warn authn_jwt:info",
                 expect=[r"AH01631"])


def hs(ring, c, kid="k1", **hdr):
    h = {"alg": "HS256", "typ": "JWT"}
    if kid is not None:
        h["kid"] = kid
    h.update(hdr)
    return craft(h, c, "HS256", ring["hs256"])


def jwt_env_of(srv, ring, path, texts):
    """The JWT_* variables PATH shows for an HS256 token of each claims
    text (bytes, sent as they are)."""
    envs = []
    for text in texts:
        r = assert_ok(srv.get(path, hs(ring, text)))
        envs.append({k: v for k, v in r.cgi_env().items()
                     if k.startswith("JWT_")})
    return envs


def claim_env(env, name):
    """JWT_CLAIM_<name>: the claim name as written, or upper-cased."""
    for k in ("JWT_CLAIM_" + name, "JWT_CLAIM_" + name.upper()):
        if k in env:
            return env[k]
    return None


def test_cgi_environment(srv, ring):
    c = claims(iss="https://idp.example.com", scope="read write",
               tenant="acme", level=3, admin=True, ratio=1.5,
               groups=["ops", "dev"], nested={"x": 1}, mixed=["a", 1],
               aud="api")
    tok = hs(ring, c)
    r = assert_ok(srv.get("/e/env", tok))
    env = r.cgi_env()
    assert env.get("REMOTE_USER") == "alice"
    assert env.get("AUTH_TYPE") == "Bearer"
    assert env.get("JWT_SUB") == "alice"
    assert env.get("JWT_ISS") == "https://idp.example.com"
    assert env.get("JWT_JTI") == c["jti"]
    assert env.get("JWT_SCOPE") == "read write"
    assert env.get("JWT_EXP") == str(c["exp"])
    assert env.get("JWT_ALG") == "HS256"
    assert env.get("JWT_KID") == "k1"
    assert claim_env(env, "tenant") == "acme"
    assert claim_env(env, "level") == "3"
    assert claim_env(env, "admin") == "true"
    assert claim_env(env, "ratio") == "1.5"
    assert claim_env(env, "groups") == "ops dev"
    assert claim_env(env, "sub") == "alice"
    assert claim_env(env, "nested") is None
    assert "JWT_ERROR" not in env
    # the token is nowhere in the backend's environment
    for k, v in env.items():
        assert tok not in v and tok.split(".")[2] not in v, k


def test_cgi_environment_of_flat_claims(srv, ring):
    """Claims of the common flat shape (plain strings, small integers,
    booleans, arrays of strings) are read without a JSON object: the same
    variables as test_cgi_environment, arrays of strings joined, an empty
    array empty, and scp taken when there is no scope."""
    c = claims(iss="https://idp.example.com", scp=["read", "", "write"],
               tenant="acme", level=3, admin=False, groups=["ops", "dev"],
               none=[], aud=["other", "api"], gone=None)
    c["nothing"] = None
    tok = hs(ring, c)
    r = assert_ok(srv.get("/e/env", tok))
    env = r.cgi_env()
    assert env.get("REMOTE_USER") == "alice"
    assert env.get("JWT_SUB") == "alice"
    assert env.get("JWT_ISS") == "https://idp.example.com"
    assert env.get("JWT_JTI") == c["jti"]
    assert env.get("JWT_SCOPE") == "read write"
    assert env.get("JWT_EXP") == str(c["exp"])
    assert claim_env(env, "tenant") == "acme"
    assert claim_env(env, "level") == "3"
    assert claim_env(env, "admin") == "false"
    assert claim_env(env, "groups") == "ops dev"
    assert claim_env(env, "scp") == "read  write"
    assert claim_env(env, "aud") == "other api"
    assert claim_env(env, "none") == ""
    assert claim_env(env, "nothing") is None
    assert claim_env(env, "exp") == str(c["exp"])
    assert "JWT_ERROR" not in env


def test_env_of_utf8_claims_raw_or_escaped(srv, ring):
    """UTF-8 in claims as Node or Java write it (raw bytes, read by the
    module's flat reader) and as Python writes it (\\u escapes, left to
    jansson): the same variables either way."""
    c = claims(name="Jos\u00e9", city="Z\u00fcrich",
               groups=["Zo\u00eb", "ops"], scope="read")
    c["\u00e9t\u00e9"] = "summer"
    raw = json.dumps(c, ensure_ascii=False, separators=(",", ":"))
    esc = json.dumps(c, ensure_ascii=True, separators=(",", ":"))
    assert "\\u" not in raw and "\\u00e9" in esc
    envs = jwt_env_of(srv, ring, "/e/env",
                      (raw.encode("utf-8"), esc.encode("ascii")))
    assert envs[0] == envs[1]
    assert claim_env(envs[0], "name") == "Jos\u00e9"
    assert claim_env(envs[0], "groups") == "Zo\u00eb ops"
    assert envs[0].get("JWT_SCOPE") == "read"
    assert envs[0].get("JWT_CLAIM___t__") == "summer"


def test_escaped_claims_as_php_and_python_write_them(srv, ring):
    """Escapes in claim values (PHP's json_encode writes "https:\\/\\/...",
    Python's json.dumps "\\u00e9"; quotes and backslashes always) are read
    as their characters: the issuer, audience, scope and claim rules see
    the same values, and the JWT_* variables are the same, as for the
    token written without them.  A value that decodes to a control
    character still gives no variable, and the check still passes."""
    c = claims(iss="https://idp.example/t/1",
               aud=["https://api.example/v1", "other"],
               scope="read/all write", name="Jos\u00e9 \U0001F600",
               tenant="acme/eu", team='R&D "ops"', path="C:\\dir\\x",
               groups=['a"b', "c\\d", "e/f", "\u00fc"])
    raw = json.dumps(c, ensure_ascii=False, separators=(",", ":"))
    esc = json.dumps(c, ensure_ascii=True,
                     separators=(",", ":")).replace("/", "\\/")
    assert "\\/" not in raw and "\\/" in esc and "\\ud83d" in esc
    envs = jwt_env_of(srv, ring, "/esc/env",
                      (raw.encode("utf-8"), esc.encode("ascii")))
    assert envs[0] == envs[1]
    env = envs[1]
    assert env.get("JWT_ISS") == "https://idp.example/t/1"
    assert env.get("JWT_SCOPE") == "read/all write"
    assert claim_env(env, "name") == "Jos\u00e9 \U0001F600"
    assert claim_env(env, "tenant") == "acme/eu"
    assert claim_env(env, "team") == 'R&D "ops"'
    assert claim_env(env, "path") == "C:\\dir\\x"
    assert claim_env(env, "groups") == 'a"b c\\d e/f \u00fc'
    # an escaped character that breaks a rule still breaks it: issuer,
    # claim, audience, scope
    for old, new in (('"iss":"https:\\/\\/idp.example\\/t\\/1"',
                      '"iss":"https:\\/\\/idp.example\\/t\\/\\u0032"'),
                     ('"tenant":"acme\\/eu"', '"tenant":"acme\\/e\\u0076"'),
                     ("api.example\\/v1", "api.example\\/v\\u0032"),
                     ('"scope":"read\\/all write"',
                      '"scope":"read\\/al\\u006c2 write"')):
        assert old in esc, old
        text = esc.replace(old, new)
        r = srv.get("/esc/env", hs(ring, text.encode()))
        assert r.status in (401, 403), (new, r.status)
    # \\n in a value: the check passes, the variable is left out
    c2 = dict(c, note="two\nlines")
    text = json.dumps(c2, ensure_ascii=True, separators=(",", ":"))
    r = assert_ok(srv.get("/esc/env", hs(ring, text.encode())))
    env = r.cgi_env()
    assert claim_env(env, "note") is None
    assert claim_env(env, "team") == 'R&D "ops"'


def test_env_names_that_collide(srv, ring):
    """Claims whose variable names differ only in case or in characters
    outside [A-Za-z0-9_] give one variable: the later claim's."""
    c = claims()
    c.update({"a-b": "first", "a_b": "second", "x.y": "one", "Tenant": "t1",
              "tenant": "t2", "zz": "alone"})
    r = assert_ok(srv.get("/e/env", hs(ring, c)))
    env = r.cgi_env()
    ab = {k: v for k, v in env.items() if k.upper() == "JWT_CLAIM_A_B"}
    assert ab == {"JWT_CLAIM_a_b": "second"}, ab
    ten = {k: v for k, v in env.items() if k.upper() == "JWT_CLAIM_TENANT"}
    assert ten == {"JWT_CLAIM_tenant": "t2"}, ten
    assert env.get("JWT_CLAIM_x_y") == "one"
    assert env.get("JWT_CLAIM_zz") == "alone"
    assert env.get("JWT_SUB") == "alice"


def test_env_integer_and_scope_text(srv, ring):
    """Integers are written digit by digit, signs and the 64-bit limits
    included; JWT_SCOPE joins by one space whatever the token's spacing."""
    c = claims(zero=0, neg=-42, big=9223372036854775807,
               small=-9223372036854775808, scope="  read   write ")
    env = assert_ok(srv.get("/e/env", hs(ring, c))).cgi_env()
    assert claim_env(env, "zero") == "0"
    assert claim_env(env, "neg") == "-42"
    assert claim_env(env, "big") == "9223372036854775807"
    assert claim_env(env, "small") == "-9223372036854775808"
    assert env.get("JWT_EXP") == str(c["exp"])
    assert claim_env(env, "exp") == str(c["exp"])
    assert env.get("JWT_SCOPE") == "read write"


def test_env_without_kid(srv, ring):
    r = assert_ok(srv.get("/nokid/env", hs(ring, claims(), kid=None)))
    env = r.cgi_env()
    assert env.get("JWT_ALG") == "HS256"
    assert env.get("JWT_KID", "") == ""
    assert env.get("JWT_SUB") == "alice"


def test_env_scope_from_array(srv, ring):
    r = assert_ok(srv.get("/e/env", hs(ring, claims(scope=["a", "b"]))))
    assert r.cgi_env().get("JWT_SCOPE") == "a b"


def test_jwt_error_env_on_rejection(srv, ring):
    r = srv.get("/e/ok", hs(ring, claims(exp=now() - 3600)))
    assert_invalid_token(r, reason="expired")
    assert r.env_header("X-Jwt-Error") == "expired"
    r = srv.get("/e/ok", craft({"alg": "HS256", "kid": "k1"}, claims(),
                               "HS256", ring["hs256b"]))
    assert r.env_header("X-Jwt-Error") == "signature"
    r = srv.get("/e/ok", hs(ring, claims(), kid="k9"))
    assert r.env_header("X-Jwt-Error") == "no_key"


def test_jwt_error_unset_on_success(srv, ring):
    r = assert_ok(srv.get("/e/ok", hs(ring, claims())))
    assert r.env_header("X-Jwt-Error") is None
    assert r.env_header("X-Jwt-Sub") == "alice"


def test_jwt_error_note_in_access_log(srv, ring):
    r = srv.get("/e/ok", hs(ring, claims(exp=now() - 3600)))
    uid = r.header("X-Unique-Id")
    line = srv.wait_access_log(uid)
    assert line is not None, "no access-log line for %s" % uid
    assert " err=expired " in line + " ", line
    assert line.rstrip().endswith("note=expired"), line


def test_error_document_sees_jwt_error(srv, ring):
    r = srv.get("/ed/ok", hs(ring, claims(exp=now() - 3600)))
    assert r.status == 401
    assert "jwt_error=expired" in r.text, r.text
    assert r.header("WWW-Authenticate").startswith(
        'Bearer realm="R", error="invalid_token"')


def _module_lines(srv, offset, uid):
    lines = srv.error_lines_since(offset)
    return [l for l in lines if uid in l]


def test_info_line_accepted(srv, ring):
    off = srv.error_offset()
    jti, sub = "jti-" + uuid.uuid4().hex, "sub-" + uuid.uuid4().hex[:8]
    r = assert_ok(srv.get("/e/ok", hs(ring, claims(jti=jti, sub=sub))))
    uid = r.header("X-Unique-Id")
    assert uid and uid != "(null)"
    mine = _module_lines(srv, off, uid)
    assert mine, "no log line carries UNIQUE_ID %s:\n%s" % (
        uid, "\n".join(srv.error_lines_since(off)))
    info = [l for l in mine if "[authn_jwt:info]" in l]
    assert info, mine
    line = info[0]
    assert jti in line and sub in line and "k1" in line, line


def test_info_line_rejected(srv, ring):
    off = srv.error_offset()
    jti, sub = "jti-" + uuid.uuid4().hex, "sub-" + uuid.uuid4().hex[:8]
    r = srv.get("/e/ok", hs(ring, claims(jti=jti, sub=sub,
                                         exp=now() - 3600)))
    assert r.status == 401
    uid = r.header("X-Unique-Id")
    info = [l for l in _module_lines(srv, off, uid)
            if "[authn_jwt:info]" in l]
    assert info, "\n".join(srv.error_lines_since(off))
    line = info[0]
    for want in (jti, sub, "k1", "expired"):
        assert want in line, (want, line)


def test_info_line_bad_signature(srv, ring):
    off = srv.error_offset()
    tok = craft({"alg": "HS256", "kid": "k1"}, claims(), "HS256",
                ring["hs256b"])
    r = srv.get("/e/ok", tok)
    uid = r.header("X-Unique-Id")
    info = [l for l in _module_lines(srv, off, uid)
            if "[authn_jwt:info]" in l]
    assert info and "signature" in info[0], info


def test_log_has_no_token_at_info(srv, ring):
    # the leak check runs after every test; this one sends tokens whose
    # claims are echoed into the log (sub, jti) but whose segments must not
    off = srv.error_offset()
    tok = hs(ring, claims(sub="x" * 40))
    srv.get("/e/ok", tok)
    srv.get("/e/ok", tok[:-3] + "AAA")
    text = "\n".join(srv.error_lines_since(off))
    for part in tok.split("."):
        assert part not in text


def test_log_injection_in_kid_and_sub(srv, ring):
    # doc/attacks.md A5/E3: claim and header values are escaped in logs
    off = srv.error_offset()
    fake = "[Mon Jan 01 00:00:00.000000 2024] [authn_jwt:emerg] injected"
    srv.get("/e/ok", hs(ring, claims(), kid="k9\n" + fake))
    srv.get("/e/ok", hs(ring, claims(sub="eve\r\n" + fake, exp=1)))
    for line in srv.error_lines_since(off):
        assert not line.startswith("[Mon Jan 01"), line


def test_crlf_in_claims_never_reaches_headers(srv, ring):
    # an accepted token whose sub holds CR LF: JWT_SUB/REMOTE_USER end up
    # in response headers through mod_headers in this configuration; they
    # must be refused or sanitised, never a header injection or a 500
    tok = hs(ring, claims(sub="alice\r\nX-Evil: 1", tenant="a\nb"))
    r = srv.get("/e/ok", tok)
    assert r.status in (200, 401), r
    assert r.header("X-Evil") is None
    if r.status == 200:
        assert "\n" not in (r.header("X-Jwt-Sub") or "")


def test_unique_id_differs(srv, ring):
    a = srv.get("/e/ok", hs(ring, claims())).header("X-Unique-Id")
    b = srv.get("/e/ok", hs(ring, claims())).header("X-Unique-Id")
    assert a != b


def test_access_log_never_holds_token(srv, ring):
    tok = hs(ring, claims())
    r = srv.get("/e/ok", query="access_token=" + tok)  # not a source here
    srv.get("/e/ok", tok)
    assert srv.wait_access_log(r.header("X-Unique-Id"))
    with open(srv.access_log) as f:
        text = f.read()
    assert tok not in text and tok.split(".")[2] not in text
