# Licensed under the Apache License, Version 2.0 (the "License"); you may not
# use this file except in compliance with the License.  You may obtain a copy
# of the License at http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
"""Claim checks (RFC 7519 section 4.1, manual "Validating tokens"):
exp/nbf/iat with
AuthJWTLeeway, AuthJWTMaxTTL, AuthJWTIssuer, AuthJWTAudience,
AuthJWTRequireClaim, AuthJWTType, AuthJWTUserClaim, AuthJWTMaxTokenSize, and
the claim attacks of doc/attacks.md E1-E3 and E5."""


import pytest

from harness import assert_invalid_token, assert_ok, location
from jose_kit import claims, craft, jdump, jwcrypto_token, now, pyjwt_token

ISS1 = "https://idp.example.com"
ISS2 = "https://idp2.example.com"


@pytest.fixture(scope="module")
def srv(httpd, K):
    key = "AuthJWTVerifyKey secret:%s" % K("hs256.secret")
    body = (
        # a long token must reach the module (doc/attacks.md F4): the default
        # AuthJWTMaxTokenSize 8192 is above httpd's 8190-byte field limit
        "LimitRequestFieldSize 65536\n"
        + location("/c/", key)
        + location("/iss/", key, "AuthJWTIssuer %s %s" % (ISS1, ISS2))
        + location("/aud/", key, "AuthJWTAudience api1 api2")
        + location("/aud-any/", key, "AuthJWTAudience *")
        + location("/lee0/", key, "AuthJWTLeeway 0")
        + location("/lee120/", key, "AuthJWTLeeway 120")
        + location("/ttl/", key, "AuthJWTMaxTTL 600")
        + location("/req/", key, "AuthJWTRequireClaim exp jti tenant")
        + location("/sub/", key, "AuthJWTRequireClaim sub")
        + location("/noexp/", key, "AuthJWTRequireClaim none")
        + location("/typ/", key, "AuthJWTType at+jwt")
        + location("/typ2/", key, "AuthJWTType at+jwt JWT")
        + location("/user/", key, "AuthJWTUserClaim email")
        + location("/size/", key, "AuthJWTMaxTokenSize 512"))
    return httpd("claims", body, expect=[r"AJ00102"])


def hs(ring, payload, header=None):
    """HS256 token over PAYLOAD (dict, or raw JSON text)."""
    h = {"alg": "HS256", "typ": "JWT"}
    h.update(header or {})
    return craft(h, payload, "HS256", ring["hs256"])


def raw_claims(**kw):
    """JSON text of claims() with members replaced by raw JSON texts."""
    base = claims()
    for k in kw:
        base.pop(k, None)
    text = jdump(base)[:-1]
    for k, v in kw.items():
        text += ',"%s":%s' % (k, v)
    return text + "}"


# ---- exp (doc/attacks.md E1)

def test_exp_in_future_ok(srv, ring):
    assert_ok(srv.get("/c/ok", hs(ring, claims(exp=now() + 60))))


def test_exp_expired(srv, ring):
    assert_invalid_token(srv.get("/c/ok", hs(ring, claims(exp=now() - 100))),
                         reason="expired")


def test_exp_within_default_leeway(srv, ring):
    # default AuthJWTLeeway 30
    assert_ok(srv.get("/c/ok", hs(ring, claims(exp=now() - 10))))


def test_exp_missing(srv, ring):
    assert_invalid_token(srv.get("/c/ok", hs(ring, claims(exp=None))),
                         reason="missing_claim")


@pytest.mark.parametrize("value", ['"%d"', "null", "true", "[%d]",
                                   '{"t":%d}'])
def test_exp_not_a_number(srv, ring, value):
    v = value % (now() + 300) if "%d" in value else value
    r = srv.get("/c/ok", hs(ring, raw_claims(exp=v)))
    assert_invalid_token(r, reasons=["claim_type", "missing_claim"])


def test_exp_real_in_future_accepted(srv, ring):
    # RFC 7519 NumericDate may be fractional; the core floors finite reals
    assert_ok(srv.get("/c/ok", hs(ring, raw_claims(exp="%d.75" % (now()
                                                                   + 300)))))


def test_exp_real_in_past_expired(srv, ring):
    # 1.7e9 is a json real: never read as 0 (doc/attacks.md E1)
    assert_invalid_token(srv.get("/c/ok", hs(ring, raw_claims(exp="1.7e9"))),
                         reason="expired")
    assert_invalid_token(
        srv.get("/c/ok", hs(ring, raw_claims(exp="%d.5" % (now() - 100)))),
        reason="expired")


@pytest.mark.parametrize("value", ["-1", "0", "1"])
def test_exp_tiny(srv, ring, value):
    # a negative NumericDate may be refused as ill-typed instead
    assert_invalid_token(srv.get("/c/ok", hs(ring, raw_claims(exp=value))),
                         reasons=["expired", "claim_type"])


@pytest.mark.parametrize("value", ["9223372036854775807", "253402300800",
                                   "1e300"])
def test_exp_huge_refused(srv, ring, value):
    # beyond year 9999 (JWT_MAX_NUMERIC_DATE): refused, never "forever"
    r = srv.get("/c/ok", hs(ring, raw_claims(exp=value)))
    assert_invalid_token(r, reasons=["claim_type"])


@pytest.mark.parametrize("value", ["9223372036854775808", "1e400", "NaN",
                                   "Infinity", "-0x1"])
def test_exp_unparsable(srv, ring, value):
    r = srv.get("/c/ok", hs(ring, raw_claims(exp=value)))
    assert_invalid_token(r, reasons=["json", "malformed", "claim_type"])


def test_exp_duplicate_member(srv, ring):
    # doc/attacks.md D2: {"exp":1,"exp":9999999999}
    base = claims(exp=None)
    t = jdump(base)[:-1] + ',"exp":1,"exp":%d}' % (now() + 300)
    assert_invalid_token(srv.get("/c/ok", hs(ring, t)),
                         reasons=["json", "malformed"])


# ---- nbf, iat

def test_nbf_future(srv, ring):
    assert_invalid_token(srv.get("/c/ok", hs(ring, claims(nbf=now() + 100))),
                         reason="not_yet_valid")


def test_nbf_within_leeway_and_past(srv, ring):
    assert_ok(srv.get("/c/ok", hs(ring, claims(nbf=now() + 10))))
    assert_ok(srv.get("/c/ok", hs(ring, claims(nbf=now() - 100))))


@pytest.mark.parametrize("value", ['"9999999999"', "null", "false", "[1]"])
def test_nbf_not_a_number(srv, ring, value):
    r = srv.get("/c/ok", hs(ring, raw_claims(nbf=value)))
    assert_invalid_token(r, reasons=["claim_type"])


def test_nbf_huge(srv, ring):
    r = srv.get("/c/ok", hs(ring, raw_claims(nbf="9e18")))
    assert_invalid_token(r, reasons=["claim_type", "not_yet_valid"])


def test_iat_future(srv, ring):
    assert_invalid_token(srv.get("/c/ok", hs(ring, claims(iat=now() + 100))),
                         reason="issued_in_future")


def test_iat_not_a_number(srv, ring):
    r = srv.get("/c/ok", hs(ring, raw_claims(iat='"yesterday"')))
    assert_invalid_token(r, reasons=["claim_type"])


def test_iat_absent_ok(srv, ring):
    assert_ok(srv.get("/c/ok", hs(ring, claims(iat=None))))


# ---- AuthJWTLeeway

def test_leeway_zero(srv, ring):
    assert_invalid_token(
        srv.get("/lee0/ok", hs(ring, claims(exp=now() - 5))),
        reason="expired")
    assert_invalid_token(
        srv.get("/lee0/ok", hs(ring, claims(nbf=now() + 10))),
        reason="not_yet_valid")
    assert_ok(srv.get("/lee0/ok", hs(ring, claims(exp=now() + 60))))


def test_leeway_120(srv, ring):
    assert_ok(srv.get("/lee120/ok", hs(ring, claims(exp=now() - 90))))
    assert_ok(srv.get("/lee120/ok", hs(ring, claims(nbf=now() + 90))))
    assert_ok(srv.get("/lee120/ok", hs(ring, claims(iat=now() + 90))))
    assert_invalid_token(
        srv.get("/lee120/ok", hs(ring, claims(exp=now() - 200))),
        reason="expired")


# ---- AuthJWTMaxTTL

def test_max_ttl(srv, ring):
    assert_ok(srv.get("/ttl/ok", hs(ring, claims(exp=now() + 300))))
    assert_invalid_token(
        srv.get("/ttl/ok", hs(ring, claims(exp=now() + 3600))),
        reason="ttl")


def test_max_ttl_exp_minus_iat(srv, ring):
    # valid for 300 s from now, but minted to live 1300 s
    t = now()
    assert_invalid_token(
        srv.get("/ttl/ok", hs(ring, claims(iat=t - 1000, exp=t + 300))),
        reason="ttl")


def test_max_ttl_without_iat(srv, ring):
    assert_ok(srv.get("/ttl/ok", hs(ring, claims(iat=None,
                                                 exp=now() + 500))))


# ---- AuthJWTRequireClaim

def test_require_claim(srv, ring):
    assert_ok(srv.get("/req/ok", hs(ring, claims(tenant="acme"))))
    for c in (claims(), claims(tenant="acme", jti=None),
              claims(tenant="acme", exp=None)):
        assert_invalid_token(srv.get("/req/ok", hs(ring, c)),
                             reason="missing_claim")


def test_require_claim_null_is_not_presence(srv, ring):
    r = srv.get("/req/ok", hs(ring, raw_claims(tenant="null")))
    assert r.status in (200, 401)       # documented either way; never 500


def test_require_claim_adds_to_exp(srv, ring):
    # manual: names add to exp; "AuthJWTRequireClaim sub" must not drop it
    assert_invalid_token(srv.get("/sub/ok", hs(ring, claims(exp=None))),
                         reason="missing_claim")
    assert_invalid_token(srv.get("/sub/ok", hs(ring, claims(sub=None))),
                         reasons=["missing_claim", "user_claim"])
    assert_ok(srv.get("/sub/ok", hs(ring, claims())))


def test_exp_optional_only_with_none(srv, ring):
    # manual: "AuthJWTRequireClaim none" alone waives exp
    assert_ok(srv.get("/noexp/ok", hs(ring, claims(exp=None))))
    # a present exp is still checked, and still must be a number
    assert_invalid_token(
        srv.get("/noexp/ok", hs(ring, claims(exp=now() - 100))),
        reason="expired")
    assert_invalid_token(
        srv.get("/noexp/ok", hs(ring, raw_claims(exp='"%d"'
                                                 % (now() + 100)))),
        reason="claim_type")


def test_require_none_warned_at_startup(srv):
    warn = [l for l in srv.startup_lines if "AJ00102" in l]
    assert warn, srv.startup_lines
    line = srv.line_of("AuthJWTRequireClaim none")
    assert all("%s:%d: AuthJWTRequireClaim none" % (srv.conf_path, line)
               in l for l in warn), warn
    assert all("[authn_jwt:warn]" in l for l in warn), warn


# ---- AuthJWTIssuer (doc/attacks.md E3)

def test_issuer_accepted(srv, ring):
    assert_ok(srv.get("/iss/ok", hs(ring, claims(iss=ISS1))))
    assert_ok(srv.get("/iss/ok", hs(ring, claims(iss=ISS2))))


@pytest.mark.parametrize("iss", [ISS1[:-1], ISS1 + ".evil", ISS1 + "/",
                                 ISS1.upper(), "https", "",
                                 " " + ISS1, ISS1 + " "])
def test_issuer_near_misses(srv, ring, iss):
    assert_invalid_token(srv.get("/iss/ok", hs(ring, claims(iss=iss))),
                         reason="issuer")


def test_issuer_missing(srv, ring):
    assert_invalid_token(srv.get("/iss/ok", hs(ring, claims(iss=None))),
                         reasons=["issuer", "missing_claim"])


@pytest.mark.parametrize("value", ['["%s"]' % ISS1, "1", "null",
                                   '{"iss":"%s"}' % ISS1])
def test_issuer_wrong_type(srv, ring, value):
    assert_invalid_token(srv.get("/iss/ok", hs(ring, raw_claims(iss=value))),
                         reasons=["claim_type", "issuer"])


def test_issuer_nul(srv, ring):
    # Jansson refuses \u0000 unless JSON_ALLOW_NUL (doc/attacks.md E3/E5)
    r = srv.get("/iss/ok", hs(ring, raw_claims(
        iss='"%s\\u0000evil"' % ISS1)))
    assert_invalid_token(r, reasons=["json", "malformed", "claim_type",
                                     "issuer"])


def test_issuer_type_checked_without_issuer_directive(srv, ring):
    assert_ok(srv.get("/c/ok", hs(ring, claims(iss="https://any"))))
    assert_invalid_token(srv.get("/c/ok", hs(ring, raw_claims(iss="5"))),
                         reason="claim_type")


# ---- AuthJWTAudience (doc/attacks.md E2)

@pytest.mark.parametrize("aud", ["api1", "api2", ["x", "api2"], ["api1"],
                                 ["api2", "api1"]])
def test_audience_accepted(srv, ring, aud):
    assert_ok(srv.get("/aud/ok", hs(ring, claims(aud=aud))))


@pytest.mark.parametrize("aud", ["api3", ["x"], "", "API1", "api1 ",
                                 "api", "api1api2", "api1 api2"])
def test_audience_refused(srv, ring, aud):
    assert_invalid_token(srv.get("/aud/ok", hs(ring, claims(aud=aud))),
                         reason="audience")


def test_audience_empty_array(srv, ring):
    assert_invalid_token(srv.get("/aud/ok", hs(ring, claims(aud=[]))),
                         reasons=["audience", "claim_type"])


def test_audience_missing(srv, ring):
    assert_invalid_token(srv.get("/aud/ok", hs(ring, claims())),
                         reasons=["audience", "missing_claim"])


@pytest.mark.parametrize("value", ['[["api1"]]', "[123]", '{"api1":1}',
                                   "null", "1", '["api1",5]'])
def test_audience_wrong_type(srv, ring, value):
    assert_invalid_token(srv.get("/aud/ok", hs(ring, raw_claims(aud=value))),
                         reasons=["claim_type", "audience"])


# RFC 7519 section 4.1.3: an aud that does not name us is refused, and
# where no AuthJWTAudience applies nothing names us (a token minted for
# another service of the same issuer)
@pytest.mark.parametrize("aud", ["whatever", ["a", "b"], ["api1"], ""])
def test_audience_refused_without_directive(srv, ring, aud):
    assert_invalid_token(srv.get("/c/ok", hs(ring, claims(aud=aud))),
                         reason="audience_not_configured")


def test_no_audience_without_directive(srv, ring):
    assert_ok(srv.get("/c/ok", hs(ring, claims())))


@pytest.mark.parametrize("aud", ["whatever", ["a", "b"], "*", ""])
def test_audience_any_explicitly(srv, ring, aud):
    assert_ok(srv.get("/aud-any/ok", hs(ring, claims(aud=aud))))
    assert_ok(srv.get("/aud-any/ok", hs(ring, claims())))


def test_audience_any_still_checks_types(srv, ring):
    assert_invalid_token(srv.get("/aud-any/ok",
                                 hs(ring, raw_claims(aud="[5]"))),
                         reason="claim_type")


def test_audience_star_is_a_wildcard_only_alone(srv, ring):
    # "*" is no wildcard inside a token's aud where audiences are named
    assert_invalid_token(srv.get("/aud/ok", hs(ring, claims(aud="*"))),
                         reason="audience")


def test_startup_names_locations_without_audience(srv):
    notes = [l for l in srv.startup_lines if "AJ00101" in l]
    named = " ".join(notes)
    for loc in ("/c/", "/iss/", "/lee0/", "/typ/"):
        assert "<Location %s>" % loc in named, notes
    for loc in ("/aud/", "/aud-any/"):
        assert "<Location %s>" % loc not in named, notes
    # once per location, with the file and line of its key
    assert len(notes) == len(set(notes))
    line = srv.line_of('<Location "/c/">') + 3
    assert any("%s:%d: <Location /c/>" % (srv.conf_path, line) in l
               for l in notes), notes
    assert all("[authn_jwt:notice]" in l for l in notes), notes


# ---- AuthJWTType (RFC 9068, RFC 8725 section 3.11)

def test_type_at_jwt(srv, ring):
    assert_ok(srv.get("/typ/ok", hs(ring, claims(), {"typ": "at+jwt"})))


def test_type_media_type_forms(srv, ring):
    # RFC 7515 section 4.1.9: "application/" may be omitted and media types
    # compare case-insensitively (doc/attacks.md D3)
    assert_ok(srv.get("/typ/ok", hs(ring, claims(),
                                    {"typ": "application/at+jwt"})))
    assert_ok(srv.get("/typ/ok", hs(ring, claims(), {"typ": "AT+JWT"})))


@pytest.mark.parametrize("typ", ["JWT", "at+jwt2", "jwt", "application/jwt",
                                 "at+jw", ""])
def test_type_refused(srv, ring, typ):
    assert_invalid_token(srv.get("/typ/ok", hs(ring, claims(),
                                               {"typ": typ})),
                         reason="type")


def test_type_missing(srv, ring):
    tok = craft({"alg": "HS256"}, claims(), "HS256", ring["hs256"])
    assert_invalid_token(srv.get("/typ/ok", tok), reason="type")


def test_type_not_a_string(srv, ring):
    tok = craft('{"alg":"HS256","typ":5}', claims(), "HS256", ring["hs256"])
    assert_invalid_token(srv.get("/typ/ok", tok), reasons=["header", "type"])


def test_type_list(srv, ring):
    assert_ok(srv.get("/typ2/ok", hs(ring, claims(), {"typ": "JWT"})))
    assert_ok(srv.get("/typ2/ok", hs(ring, claims(), {"typ": "at+jwt"})))
    assert_invalid_token(srv.get("/typ2/ok", hs(ring, claims(),
                                                {"typ": "id+jwt"})),
                         reason="type")


# ---- AuthJWTUserClaim

def test_user_claim(srv, ring):
    r = assert_ok(srv.get("/user/ok", hs(ring, claims(
        email="bob@example.com"))))
    assert r.header("X-Remote-User") == "bob@example.com"


def test_user_claim_missing(srv, ring):
    assert_invalid_token(srv.get("/user/ok", hs(ring, claims())),
                         reason="user_claim")


@pytest.mark.parametrize("value", ["5", "true", '["bob"]', '{"a":1}', '""',
                                   "null"])
def test_user_claim_not_a_string(srv, ring, value):
    assert_invalid_token(
        srv.get("/user/ok", hs(ring, raw_claims(email=value))),
        reasons=["user_claim", "claim_type"])


def test_default_user_claim_sub(srv, ring):
    assert_invalid_token(srv.get("/c/ok", hs(ring, claims(sub=None))),
                         reasons=["user_claim", "missing_claim"])
    assert_invalid_token(srv.get("/c/ok", hs(ring, raw_claims(sub="42"))),
                         reasons=["user_claim", "claim_type"])


# ---- AuthJWTMaxTokenSize (doc/attacks.md F4)

def _padded(ring, size, path_claims=None):
    """A valid HS256 token of exactly SIZE bytes (a pad claim)."""
    c = claims(**(path_claims or {}))
    c["pad"] = ""
    base = len(hs(ring, c))
    # every 3 payload bytes are 4 token characters
    c["pad"] = "x" * ((size - base) * 3 // 4)
    tok = hs(ring, c)
    while len(tok) < size:
        c["pad"] += "x"
        tok = hs(ring, c)
    assert len(tok) in range(size, size + 4)
    return tok


def test_max_token_size(srv, ring):
    assert_ok(srv.get("/size/ok", _padded(ring, 400)))
    assert_invalid_token(srv.get("/size/ok", _padded(ring, 600)),
                         reason="too_large")


def test_default_max_token_size_8192(srv, ring):
    assert_ok(srv.get("/c/ok", _padded(ring, 8000)))
    assert_invalid_token(srv.get("/c/ok", _padded(ring, 9000)),
                         reason="too_large")


def test_too_large_is_checked_before_parsing(srv):
    # garbage longer than the limit: too_large, not malformed
    assert_invalid_token(srv.get("/size/ok", "x" * 600), reason="too_large")


# ---- claims that are odd but valid JSON (doc/attacks.md F5)

@pytest.mark.parametrize("payload", ['"string"', "123", "null", "[]",
                                     "true", "[{}]"])
def test_payload_not_an_object(srv, ring, payload):
    assert_invalid_token(srv.get("/c/ok", hs(ring, payload)),
                         reasons=["json", "malformed", "claim_type"])


def test_payload_empty_object(srv, ring):
    assert_invalid_token(srv.get("/c/ok", hs(ring, "{}")),
                         reasons=["missing_claim", "user_claim"])


def test_payload_deep_nesting(srv, ring):
    deep = "[" * 1500 + "]" * 1500
    text = jdump(claims())[:-1] + ',"deep":' + deep + "}"
    r = srv.get("/c/ok", hs(ring, text))
    assert r.status in (200, 401)


def test_payload_deeper_than_jansson(srv, ring):
    deep = "[" * 2100 + "]" * 2100
    text = jdump(claims())[:-1] + ',"deep":' + deep + "}"
    assert_invalid_token(srv.get("/c/ok", hs(ring, text)),
                         reasons=["json", "malformed"])


@pytest.mark.parametrize("raw", [b'{"sub":"\xff\xfe"}',
                                 b'{"sub":"\xc0\xaf"}',
                                 b'\xef\xbb\xbf{"sub":"a"}',
                                 b'{"sub":"\\ud800"}',
                                 b"{'sub':'a'}",
                                 b'{"sub":"a"} x',
                                 b'{"sub":"a"/*c*/}'])
def test_payload_bad_json(srv, ring, raw):
    assert_invalid_token(srv.get("/c/ok", hs(ring, raw)),
                         reasons=["json", "malformed"])


def test_payload_trailing_whitespace_tolerated_or_refused(srv, ring):
    r = srv.get("/c/ok", hs(ring, jdump(claims()) + "  \n"))
    assert r.status in (200, 401)


def test_jwcrypto_token_at_claims_location(srv, ring):
    # sanity: the claims group also accepts the other library
    assert_ok(srv.get("/iss/ok", jwcrypto_token("HS256", ring["hs256"],
                                                 claims(iss=ISS1))))
    assert_ok(srv.get("/aud/ok", pyjwt_token("HS256", ring["hs256"],
                                             claims(aud=["api2"]))))
