# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Start-up errors of the issuing directives (manual "Issuing tokens", "API
keys";
doc/attacks.md H): httpd refuses to start, and its message names the file,
the line and the fix, both on a real start and with `apache2 -t`, as
test_config_errors.py does for the validating ones."""

import re

import pytest

from harness import location

# name: (line before the directive or None, the directive, regex of the
# fix the message must hold)
CASES = {
    "claim-sensitive-password": (
        None, 'AuthJWTClaim password "%{REMOTE_USER}"',
        r"looks like it carries a secret"),
    "claim-sensitive-api-key": (
        None, "AuthJWTClaim Api-Key x",
        r"looks like it carries a secret"),
    "claim-sensitive-client-secret": (
        None, "AuthJWTClaim client_secret x",
        r"looks like it carries a secret"),
    "claim-registered-sub": (
        None, "AuthJWTClaim sub mallory",
        r"'sub' is set by the issuer itself"),
    "claim-registered-exp": (
        None, "AuthJWTClaim exp 99999999999",
        r"'exp' is set by the issuer itself"),
    "claim-scp": (
        None, "AuthJWTClaim scp admin",
        r"'scp' is set by the issuer itself"),
    "refresh-max-age-zero": (
        None, "AuthJWTRefreshMaxAge 0",
        r"e\.g\. 86400"),
    "refresh-max-age-word": (
        None, "AuthJWTRefreshMaxAge day",
        r"refreshed, e\.g\. 86400"),
    "refresh-max-age-negative": (
        None, "AuthJWTRefreshMaxAge -60",
        r"whole number between 1 and"),
    "claim-registered-auth-time": (
        None, "AuthJWTClaim auth_time 1",
        r"'auth_time' is set by the issuer itself"),
    "claim-duplicate": (
        "AuthJWTClaim org a", "AuthJWTClaim org b",
        r"already set"),
    "claim-empty-value": (
        None, 'AuthJWTClaim note ""',
        r"(?i)empty"),
    "claim-bad-expression": (
        None, 'AuthJWTClaim note "%{nosuchfunc:x"',
        r"(?i)ap_expr"),
    "sign-hmac-short": (
        None, "AuthJWTSignKey secret:{hs_short}",
        r"(?i)(at least|too short|shorter|32 bytes|256 bits)"),
    "sign-public-key": (
        None, "AuthJWTSignKey {rsa_pub}",
        r"(?i)private"),
    "sign-two-keys": (
        "AuthJWTSignKey {p256}", "AuthJWTSignKey {rsa}",
        r"exactly one key"),
    "sign-alg-none": (
        None, "AuthJWTSignKey alg=none {rsa}",
        r"'none' is never used"),
    "sign-alg-not-for-key": (
        None, "AuthJWTSignKey alg=ES256 {rsa}",
        r"ES256"),
    "sign-jwe-alg": (
        None, "AuthJWTSignKey alg=RSA-OAEP {rsa}",
        r"not a JWS signature algorithm"),
    "encrypt-rsa1_5": (
        "AuthJWTSignKey {p256}", "AuthJWTEncryptKey alg=RSA1_5 {rsa_pub}",
        r"RSA1_5 is never used"),
    "encrypt-unknown-enc": (
        "AuthJWTSignKey {p256}", "AuthJWTEncryptKey enc=A512GCM {rsa_pub}",
        r"A512GCM"),
    "lifetime-zero": (
        None, "AuthJWTLifetime 0",
        r"(?i)(seconds|at least|range|0)"),
    "scope-not-a-scope-token": (
        None, "AuthJWTScope read caf\u00e9",
        r"not a scope"),
    "apikey-provider-unknown": (
        None, "AuthJWTApiKeyProvider nosuchprovider",
        r"nosuchprovider"),
    "apikey-header-authorization": (
        None, "AuthJWTApiKeyHeader Authorization",
        r"Authorization"),
}


@pytest.fixture(scope="module")
def paths(K):
    return {"hs_short": K("hs_short.secret"), "rsa": K("rsa.key.pem"),
            "rsa_pub": K("rsa.pub.pem"), "p256": K("p256.key.pem")}


def _fill(text, paths):
    # not str.format: ap_expr strings hold braces
    for k, v in paths.items():
        text = text.replace("{%s}" % k, v)
    return text


def _body(case, paths):
    pre, directive, _ = CASES[case]
    lines = ["AuthBasicProvider file", 'AuthUserFile "@ROOT@/htpasswd"',
             "SetHandler jwt-issuer", "AuthJWTScope read"]
    if pre is not None:
        lines.append(_fill(pre, paths))
    # the offending directive is the last line of an otherwise valid
    # issuer location
    directive = _fill(directive, paths)
    lines.append(directive)
    return location("/i/", *lines, authtype="Basic"), directive


def _check(srv, output, directive, fix):
    line = srv.line_of(directive)
    assert srv.conf_path in output, \
        "the message does not name the file %s:\n%s" % (srv.conf_path,
                                                        output)
    assert re.search(r"\bline %d\b" % line, output), \
        "the message does not name line %d:\n%s" % (line, output)
    assert re.search(fix, output), "no fix (/%s/) in:\n%s" % (fix, output)


@pytest.mark.parametrize("case", sorted(CASES))
def test_start_refused(httpd, paths, case):
    body, directive = _body(case, paths)
    srv = httpd("icfg-" + case, body, start=False,
                files={"htpasswd": "u:x\n"})
    started, output = srv.start(must_work=False, timeout=10)
    if started:
        srv.stop()
    assert not started, "httpd started with: %s" % directive
    _check(srv, output, directive, CASES[case][2])


@pytest.mark.parametrize("case", sorted(CASES))
def test_configtest_refuses(httpd, paths, case):
    body, directive = _body(case, paths)
    srv = httpd("icfgt-" + case, body, start=False,
                files={"htpasswd": "u:x\n"})
    rc, output = srv.configtest()
    assert rc != 0, "apache2 -t said Syntax OK with: %s\n%s" % (directive,
                                                               output)
    _check(srv, output, directive, CASES[case][2])


def test_long_sensitive_claim_name_refused(httpd):
    # the whole name is looked at: padding must not hide "password" at the
    # end of the longest name AuthJWTClaim accepts
    name = "x" * 120 + "password"
    assert len(name) == 128
    directive = 'AuthJWTClaim %s "%%{REMOTE_USER}"' % name
    body = location("/i/", "AuthBasicProvider file",
                    'AuthUserFile "@ROOT@/htpasswd"',
                    "SetHandler jwt-issuer", directive, authtype="Basic")
    srv = httpd("icfg-long-name", body, start=False,
                files={"htpasswd": "u:x\n"})
    started, output = srv.start(must_work=False, timeout=10)
    if started:
        srv.stop()
    assert not started, "httpd started with a %d-character claim name " \
        "ending in 'password'" % len(name)
    _check(srv, output, directive, r"looks like it carries a secret")


@pytest.mark.expect_log(r"AuthJWTSignKey not allowed here")
def test_signkey_not_in_htaccess(httpd, K):
    # AuthJWTSignKey would let a directory owner mint tokens with the
    # server's key: not an AuthConfig directive
    body = ('Alias "/hta/" "@ROOT@/hta/"\n'
            '<Directory "@ROOT@/hta">\n'
            "    AllowOverride AuthConfig FileInfo\n"
            "    Require all granted\n"
            "</Directory>\n")
    files = {"hta/.htaccess": "SetHandler jwt-issuer\nAuthJWTSignKey %s\n"
             % K("rsa.key.pem"), "hta/x": "x\n"}
    srv = httpd("icfg-htaccess", body, files=files)
    r = srv.request("/hta/x", method="POST", body=b"", allow_500=True)
    # httpd refuses the .htaccess (500, "not allowed here"); no token
    assert r.status == 500, r
    assert b"access_token" not in r.body
    lines = srv.error_lines_since(srv.startup_offset)
    assert any("AuthJWTSignKey not allowed here" in l for l in lines), lines


def test_valid_issuer_configuration_starts(httpd, K):
    # control: the same skeleton with a good key starts
    body, _ = _body("sign-alg-none", {"rsa": K("rsa.key.pem")})
    body = body.replace("alg=none ", "")
    srv = httpd("icfg-control", body, files={"htpasswd": "u:x\n"})
    assert srv.running
