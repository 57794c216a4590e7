/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwt.c: JSON Web Tokens (RFC 7519) over jws.c and jwe.c: framing and claim
 * types (jwt_parse), signature (jwt_verify), time and policy (jwt_validate).
 * The claim model used by authorization and the environment is in
 * jwt_claim.c.
 *
 * RFC 7519 section 7.2 (validation steps), section 4.1 (registered claims),
 * section 5.1-5.2 (typ, cty), RFC 7515 section 4.1.9-4.1.10 (media type
 * comparison), RFC 8725 sections 3.10-3.12 (issuer, audience, explicit
 * typing).  Attack notes: doc/attacks.md C1, C2, D3, E1-E5, F3-F5.
 */

#include <math.h>
#include <string.h>
#include <apr_strings.h>
#include "jwt.h"
#include "jwe.h"
#include "jose_util.h"

/* Keeps now +/- (leeway, max_ttl, a NumericDate) inside int64_t whatever
 * the caller passes: those are all bounded by JWT_MAX_NUMERIC_DATE. */
#define JWT_NOW_LIMIT (INT64_MAX / 4)

void jwt_rules_init(jwt_rules_t *rules)
{
    memset(rules, 0, sizeof(*rules));
    rules->leeway = JWT_DEFAULT_LEEWAY;
    rules->max_size = JWT_DEFAULT_MAX_SIZE;
}

/* RULES, or the documented defaults in BUF for a NULL pointer. */
static const jwt_rules_t *rules_or_default(const jwt_rules_t *rules,
                                           jwt_rules_t *buf)
{
    if (rules != NULL) {
        return rules;
    }
    jwt_rules_init(buf);
    return buf;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

static int array_empty(const apr_array_header_t *a)
{
    return a == NULL || a->nelts <= 0;
}

static int no_keys(const jwk_set_t *set)
{
    return jwk_set_size(set) <= 0;
}

/* Media types are case-insensitive (RFC 7515 section 4.1.9/4.1.10). */
static int ascii_ieq(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t i;

    if (alen != blen) {
        return 0;
    }
    for (i = 0; i < alen; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

        if (x >= 'A' && x <= 'Z') {
            x = (unsigned char)(x - 'A' + 'a');
        }
        if (y >= 'A' && y <= 'Z') {
            y = (unsigned char)(y - 'A' + 'a');
        }
        if (x != y) {
            return 0;
        }
    }
    return 1;
}

/* RFC 7515 section 4.1.9: "application/" may be omitted from typ/cty. */
static void strip_application(const char **s, size_t *len)
{
    static const char prefix[] = "application/";
    size_t plen = sizeof(prefix) - 1;

    if (*len > plen && ascii_ieq(*s, plen, prefix, plen)) {
        *s += plen;
        *len -= plen;
    }
}

/* cty "JWT" marks a nested token (RFC 7519 section 5.2). */
static int cty_is_jwt(const char *cty)
{
    size_t len;

    if (cty == NULL) {
        return 0;
    }
    len = strlen(cty);
    strip_application(&cty, &len);
    return ascii_ieq(cty, len, "jwt", 3);
}

/* S (LEN bytes) equal to a member of LIST: exact bytes with both
 * lengths, never a prefix or substring match (PyJWT CVE-2024-53861,
 * l8w8jwt #45). */
static int str_in_list(const char *s, size_t len,
                       const apr_array_header_t *list)
{
    int i;

    if (s == NULL) {
        return 0;
    }
    for (i = 0; i < list->nelts; i++) {
        const char *want = APR_ARRAY_IDX(list, i, const char *);

        if (want != NULL && strlen(want) == len
            && memcmp(want, s, len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* V is a string claim that str_in_list finds in LIST. */
static int ref_str_in_list(jwt_ref_t v, const apr_array_header_t *list)
{
    size_t len;
    const char *s = jwt_ref_string(v, &len);

    return s != NULL && str_in_list(s, len, list);
}

/* ---- jwt_parse ---- */

/* A NumericDate (RFC 7519 section 2): a JSON number, never a string read as
 * 0 (doc/attacks.md E1).  json_integer_value() on a real returns 0, so the
 * type is checked first; reals are range-checked as doubles and then
 * floored. */
static jwt_status_t numeric_date(int64_t *out, int *present, jwt_ref_t r)
{
    const json_t *v = r.json;

    *present = 0;
    *out = 0;
    if (r.flat != NULL) {
        /* the flat reader takes integers only, and no real */
        if (r.flat->kind != JOSE_MEMBER_INT
            || r.flat->i > JWT_MAX_NUMERIC_DATE) {
            return JWT_ERR_CLAIM_TYPE;
        }
        *out = (int64_t)r.flat->i;
        *present = 1;
        return JWT_OK;
    }
    if (v == NULL) {
        return JWT_OK;
    }
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);

        if (i < 0 || i > JWT_MAX_NUMERIC_DATE) {
            return JWT_ERR_CLAIM_TYPE;
        }
        *out = (int64_t)i;
    }
    else if (json_is_real(v)) {
        double d = json_real_value(v);

        if (!isfinite(d) || !(d >= 0.0)
            || !(d < (double)JWT_MAX_NUMERIC_DATE + 1.0)) {
            return JWT_ERR_CLAIM_TYPE;
        }
        *out = (int64_t)floor(d);
    }
    else {
        return JWT_ERR_CLAIM_TYPE;
    }
    *present = 1;
    return JWT_OK;
}

static jwt_status_t string_claim(const char **out, jwt_ref_t v)
{
    *out = NULL;
    if (v.json == NULL && v.flat == NULL) {
        return JWT_OK;
    }
    *out = jwt_ref_string(v, NULL);
    return *out != NULL ? JWT_OK : JWT_ERR_CLAIM_TYPE;
}

/* The registered claims, and the two that hold scopes, by position. */
enum { REG_EXP, REG_NBF, REG_IAT, REG_ISS, REG_SUB, REG_JTI, REG_AUD,
       REG_SCOPE, REG_SCP, REG_COUNT };

static const struct {
    const char *name;
    size_t len;
} registered_names[REG_COUNT] = {
    [REG_EXP] = { "exp", 3 }, [REG_NBF] = { "nbf", 3 },
    [REG_IAT] = { "iat", 3 }, [REG_ISS] = { "iss", 3 },
    [REG_SUB] = { "sub", 3 }, [REG_JTI] = { "jti", 3 },
    [REG_AUD] = { "aud", 3 }, [REG_SCOPE] = { "scope", 5 },
    [REG_SCP] = { "scp", 3 },
};

/* The registered claim named KEY (KLEN bytes), REG_COUNT for any other
 * name; names compare over their full length, as json_object_get
 * would. */
static int registered_index(const char *key, size_t klen)
{
    int i;

    for (i = 0; i < REG_COUNT; i++) {
        /* the first byte before the call: most pairs differ there */
        if (klen == registered_names[i].len
            && key[0] == registered_names[i].name[0]
            && memcmp(key, registered_names[i].name, klen) == 0) {
            break;
        }
    }
    return i;
}

/* REG[i]: the claim of JWT named registered_names[i], found in one pass
 * over the members (a lookup for each name cost more than the walk). */
static void registered_of(jwt_ref_t reg[REG_COUNT], const jwt_t *jwt)
{
    const char *key;
    size_t klen, m;
    json_t *v;
    int i;

    memset(reg, 0, REG_COUNT * sizeof(*reg));
    if (jwt->flat) {
        for (m = 0; m < jwt->nmembers; m++) {
            i = registered_index(jwt->members[m].key, jwt->members[m].klen);
            if (i < REG_COUNT) {
                reg[i].flat = &jwt->members[m];
            }
        }
        return;
    }
    json_object_keylen_foreach(jwt->claims, key, klen, v) {
        i = registered_index(key, klen);
        if (i < REG_COUNT) {
            reg[i].json = v;
        }
    }
}

/* Registered claim types (RFC 7519 section 4.1; doc/attacks.md E1-E3). */
static jwt_status_t claim_types(jwt_t *jwt)
{
    jwt_ref_t reg[REG_COUNT];
    const json_t *aud;
    jwt_status_t st;
    int exp, nbf, iat;

    registered_of(reg, jwt);
    jwt->scope = reg[REG_SCOPE];
    jwt->scp = reg[REG_SCP];
    if ((st = numeric_date(&jwt->exp, &exp, reg[REG_EXP])) != JWT_OK
        || (st = numeric_date(&jwt->nbf, &nbf, reg[REG_NBF])) != JWT_OK
        || (st = numeric_date(&jwt->iat, &iat, reg[REG_IAT])) != JWT_OK) {
        return st;
    }
    jwt->has_exp = exp ? 1 : 0;
    jwt->has_nbf = nbf ? 1 : 0;
    jwt->has_iat = iat ? 1 : 0;
    if ((st = string_claim(&jwt->iss, reg[REG_ISS])) != JWT_OK
        || (st = string_claim(&jwt->sub, reg[REG_SUB])) != JWT_OK
        || (st = string_claim(&jwt->jti, reg[REG_JTI])) != JWT_OK) {
        return st;
    }
    /* aud: a string or a non-empty array of strings, nothing else; an
     * ill-typed aud must not reach an audience check that might skip it
     * (CVE-2020-26160). */
    jwt->aud = reg[REG_AUD];
    if (jwt->aud.flat != NULL) {
        /* an array read flat holds strings only */
        return jwt->aud.flat->kind == JOSE_MEMBER_STRING
               || (jwt->aud.flat->kind == JOSE_MEMBER_ARRAY
                   && jwt->aud.flat->i > 0)
               ? JWT_OK : JWT_ERR_CLAIM_TYPE;
    }
    aud = jwt->aud.json;
    if (aud != NULL && !json_is_string(aud)) {
        size_t i;

        if (!json_is_array(aud) || json_array_size(aud) == 0) {
            return JWT_ERR_CLAIM_TYPE;
        }
        for (i = 0; i < json_array_size(aud); i++) {
            if (!json_is_string(json_array_get(aud, i))) {
                return JWT_ERR_CLAIM_TYPE;
            }
        }
    }
    return JWT_OK;
}

json_t *jwt_claims_object(const jwt_t *jwt)
{
    json_t *claims;

    if (jwt == NULL) {
        return NULL;
    }
    if (!jwt->flat) {
        return json_incref(jwt->claims);
    }
    /* the same text the flat reader took, so the same object jansson
     * would have made of it (check_core) */
    if (jose_json_load(&claims, jwt->claims_text, jwt->claims_len)
        != JWT_OK) {
        return NULL;
    }
    return claims;
}

jwt_status_t jwt_use_claims(jwt_t *jwt, json_t *claims)
{
    if (!json_is_object(claims)) {
        json_decref(claims);
        return JWT_ERR_JSON;
    }
    jwt->claims = claims;
    jwt->flat = 0;
    jwt->members = NULL;
    jwt->nmembers = 0;
    jwt->claims_text = NULL;
    jwt->claims_len = 0;
    return claim_types(jwt);
}

/* The protected header of a (possibly inner) JWS. */
static jwt_status_t jws_header_of(jwt_t *jwt)
{
    const jws_t *jws = jwt->jws;

    /* One level of nesting only (doc/attacks.md C2): a JWS whose payload is
     * itself a JWT is not accepted. */
    if (cty_is_jwt(jws->cty)) {
        return JWT_ERR_NESTED;
    }
    jwt->typ = jws->typ;
    jwt->alg = jws->alg_name;
    jwt->kid = jws->kid;
    return JWT_OK;
}

/* Claims read flat into P (see jwt_t): 1, or 0 when TEXT is not of that
 * shape and is left to jansson.  The members point into a copy, so that
 * TEXT stays as received for jwt_claims_object. */
static int claims_flat(jwt_t *jwt, apr_pool_t *p, const char *text,
                       size_t len)
{
    jose_member_t m[JWT_FLAT_CLAIMS];
    char *copy = apr_pstrmemdup(p, text, len);
    jose_member_t *out;
    size_t n, i;

    if (!jose_json_members(m, JWT_FLAT_CLAIMS, &n, copy, len)) {
        return 0;
    }
    /* arrays holding anything but strings are jansson's */
    for (i = 0; i < n; i++) {
        if (m[i].kind == JOSE_MEMBER_ARRAY && !m[i].strings) {
            return 0;
        }
    }
    out = apr_pmemdup(p, m, n * sizeof(*m));
    jwt->flat = 1;
    jwt->members = out;
    jwt->nmembers = n;
    return 1;
}

/* The claims: TEXT, one JSON object (JWT_ERR_JSON otherwise), read flat
 * when RULES allow it and it has that shape, else by jansson. */
static jwt_status_t claims_of(jwt_t *jwt, apr_pool_t *p, const void *text,
                              size_t len, const jwt_rules_t *rules)
{
    jwt->claims_text = text;
    jwt->claims_len = len;
    if (rules->claims_flat && claims_flat(jwt, p, text, len)) {
        return JWT_OK;
    }
    if (jose_json_object(&jwt->claims, p, text, len) != JWT_OK
        || !json_is_object(jwt->claims)) {
        return JWT_ERR_JSON;
    }
    return JWT_OK;
}

/* The claims of a JWS: its payload. */
static jwt_status_t jws_claims_of(jwt_t *jwt, apr_pool_t *p,
                                  const jwt_rules_t *rules)
{
    return claims_of(jwt, p, jwt->jws->payload, jwt->jws->payload_len,
                     rules);
}

static jwt_status_t from_jws(jwt_t *jwt, apr_pool_t *p,
                             const jwt_rules_t *rules)
{
    jwt_status_t st = jws_header_of(jwt);

    return st != JWT_OK ? st : jws_claims_of(jwt, p, rules);
}

/* Key management by a secret only trusted issuers hold.  Public-key and
 * password based JWEs prove nothing about the sender (doc/attacks.md C1). */
static int shared_secret_kw(const jose_alg_info_t *alg)
{
    if (alg == NULL) {
        return 0;
    }
    switch (alg->id) {
    case JOSE_ALG_DIR:
    case JOSE_ALG_A128KW:
    case JOSE_ALG_A192KW:
    case JOSE_ALG_A256KW:
    case JOSE_ALG_A128GCMKW:
    case JOSE_ALG_A192GCMKW:
    case JOSE_ALG_A256GCMKW:
        return 1;
    default:
        return 0;
    }
}

/* The dots of a plaintext that is a compact serialization (base64url
 * characters and dots only), -1 for anything else: a claims object such
 * as {"iss":"https://a.b.c"} may well hold two dots. */
static int compact_dots(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_'
              || c == '.')) {
            return -1;
        }
    }
    return jose_count_dots(s, len);
}

static jwt_status_t from_jwe(jwt_t *jwt, apr_pool_t *p, const char *token,
                             size_t len, const jwt_rules_t *rules)
{
    jwe_t *jwe = NULL;
    const json_t *typ;
    jwt_status_t st;
    const char *pt;
    int inner_dots;

    if (no_keys(rules->decrypt_keys)) {
        return JWT_ERR_JWE_NOT_ACCEPTED;
    }
    st = jwe_decrypt(&jwe, p, token, len, rules->decrypt_keys,
                     rules->max_p2c);
    if (st != JWT_OK) {
        return st;
    }
    if (jwe == NULL || jwe->plaintext == NULL || jwe->header == NULL) {
        return JWT_ERR_DECRYPT;
    }
    jwt->encrypted = 1;
    jwt->jwe_header = jwe->header;
    pt = (const char *)jwe->plaintext;
    inner_dots = compact_dots(pt, jwe->plaintext_len);

    /* A JWE inside the JWE: one level only (doc/attacks.md C2). */
    if (inner_dots == 4) {
        return JWT_ERR_NESTED;
    }
    if (cty_is_jwt(jwe->cty) || (jwe->cty == NULL && inner_dots == 2)) {
        if (inner_dots != 2) {
            return JWT_ERR_NESTED;
        }
        /* The inner JWS passes every check an outer one would; claims
         * come from its payload only, never from the JWE header. */
        st = jws_parse(&jwt->jws, p, pt, jwe->plaintext_len);
        if (st != JWT_OK) {
            return st;
        }
        return from_jws(jwt, p, rules);
    }

    /* Not a signed token inside: only by explicit configuration and only
     * with shared-secret key management (doc/attacks.md C1). */
    if (!rules->allow_unsigned_jwe || !shared_secret_kw(jwe->alg)
        || jwe->key == NULL) {
        return JWT_ERR_NESTED;
    }
    if ((st = claims_of(jwt, p, jwe->plaintext, jwe->plaintext_len, rules))
        != JWT_OK) {
        return st;
    }
    typ = json_object_get(jwe->header, "typ");
    jwt->typ = json_is_string(typ) ? json_string_value(typ) : NULL;
    jwt->alg = jwe->alg->name;
    jwt->kid = jwe->kid;
    jwt->key = jwe->key;
    jwt->unsigned_jwe = 1;
    return JWT_OK;
}

jwt_status_t jwt_parse(jwt_t **out, apr_pool_t *p, const char *token,
                       size_t len, const jwt_rules_t *rules)
{
    jwt_rules_t defaults;
    jwt_t *jwt;
    jwt_status_t st;
    size_t max;
    int dots;

    if (out == NULL) {
        return JWT_ERR_INTERNAL;
    }
    *out = NULL;
    if (p == NULL || token == NULL) {
        return JWT_ERR_INTERNAL;
    }
    rules = rules_or_default(rules, &defaults);
    /* The size cap comes before any decoding or allocation (F4). */
    max = rules->max_size ? rules->max_size : JWT_DEFAULT_MAX_SIZE;
    if (len > max) {
        return JWT_ERR_TOO_LARGE;
    }
    /* 2 dots JWS, 4 dots JWE, nothing else; never guessed from "enc"
     * (doc/attacks.md C1, F3). */
    dots = jose_count_dots(token, len);
    jwt = apr_pcalloc(p, sizeof(*jwt));
    if (dots == 2) {
        if (rules->require_encryption) {
            return JWT_ERR_ENCRYPTION_REQUIRED;
        }
        st = jws_parse(&jwt->jws, p, token, len);
        if (st == JWT_OK) {
            st = from_jws(jwt, p, rules);
        }
    }
    else if (dots == 4) {
        st = from_jwe(jwt, p, token, len, rules);
    }
    else {
        return JWT_ERR_MALFORMED;
    }
    if (st != JWT_OK) {
        return st;
    }
    if ((st = claim_types(jwt)) != JWT_OK) {
        return st;
    }
    *out = jwt;
    return JWT_OK;
}

/* ---- jwt_verify ---- */

jwt_status_t jwt_verify(jwt_t *jwt, const jwt_rules_t *rules)
{
    const jwk_t *used = NULL;
    jwt_status_t st;

    if (jwt == NULL) {
        return JWT_ERR_INTERNAL;
    }
    if (jwt->unsigned_jwe) {
        /* Accepted at parse only under allow_unsigned_jwe; re-checked so
         * a caller mixing rule sets cannot skip the signature. */
        if (rules == NULL || !rules->allow_unsigned_jwe) {
            return JWT_ERR_NESTED;
        }
        return jwt->key != NULL ? JWT_OK : JWT_ERR_NO_KEY;
    }
    if (jwt->jws == NULL) {
        return JWT_ERR_INTERNAL;
    }
    if (rules == NULL || no_keys(rules->verify_keys)) {
        return JWT_ERR_NO_KEY;
    }
    st = jws_verify(&used, jwt->jws, rules->verify_keys, jwt->iss);
    if (st != JWT_OK) {
        return st;
    }
    if (used == NULL) {
        return JWT_ERR_INTERNAL;
    }
    jwt->key = used;
    return JWT_OK;
}

/* ---- jwt_validate ---- */

/* RFC 8725 section 3.11: explicit typing, "at+jwt" == "application/AT+JWT"
 * (RFC 7515 section 4.1.9). */
static int type_accepted(const char *typ, const apr_array_header_t *types)
{
    const char *s = typ;
    size_t len;
    int i;

    if (typ == NULL) {
        return 0;
    }
    len = strlen(typ);
    strip_application(&s, &len);
    for (i = 0; i < types->nelts; i++) {
        const char *want = APR_ARRAY_IDX(types, i, const char *);
        size_t wlen;

        if (want == NULL) {
            continue;
        }
        wlen = strlen(want);
        strip_application(&want, &wlen);
        if (ascii_ieq(s, len, want, wlen)) {
            return 1;
        }
    }
    return 0;
}

/* RFC 7519 section 4.1.3: a string equal to one of ours, or an array that
 * holds one (types checked at parse). */
static int audience_accepted(jwt_ref_t ref,
                             const apr_array_header_t *audiences)
{
    size_t pos = 0, len;
    const char *s;

    if (jwt_ref_string(ref, NULL) != NULL) {
        return ref_str_in_list(ref, audiences);
    }
    while (jwt_ref_array_next(ref, &pos, &s, &len)) {
        if (s != NULL && str_in_list(s, len, audiences)) {
            return 1;
        }
    }
    return 0;
}

int jwt_audience_any(const apr_array_header_t *audiences)
{
    const char *a;

    if (array_empty(audiences) || audiences->nelts != 1) {
        return 0;
    }
    a = APR_ARRAY_IDX(audiences, 0, const char *);
    return a != NULL && strcmp(a, JWT_AUDIENCE_ANY) == 0;
}

/* REMOTE_USER: a non-empty string; control characters would reach logs
 * and headers (doc/attacks.md E3). */
static int user_claim_ok(jwt_ref_t v)
{
    const unsigned char *s;
    size_t i, len;

    s = (const unsigned char *)jwt_ref_string(v, &len);
    if (s == NULL || len == 0) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] == 0x7f) {
            return 0;
        }
    }
    return 1;
}

jwt_status_t jwt_validate(const jwt_t *jwt, const jwt_rules_t *rules,
                          int64_t now)
{
    jwt_rules_t defaults;
    int64_t leeway, max_ttl;
    int i;

    if (jwt == NULL || (!jwt->flat && !json_is_object(jwt->claims))) {
        return JWT_ERR_INTERNAL;
    }
    rules = rules_or_default(rules, &defaults);
    /* exp/nbf/iat are within [0, JWT_MAX_NUMERIC_DATE] since parse; with
     * these clamps no sum or difference below can overflow (E1). */
    now = clamp64(now, -JWT_NOW_LIMIT, JWT_NOW_LIMIT);
    leeway = clamp64(rules->leeway, 0, JWT_MAX_NUMERIC_DATE);
    max_ttl = clamp64(rules->max_ttl, 0, JWT_MAX_NUMERIC_DATE);

    /* exp is required unless the administrator says otherwise: "valid if
     * present" let tokens live forever (doc/attacks.md E1). */
    if (rules->required == NULL) {
        if (!jwt->has_exp) {
            return JWT_ERR_MISSING_CLAIM;
        }
    }
    else {
        for (i = 0; i < rules->required->nelts; i++) {
            const char *name = APR_ARRAY_IDX(rules->required, i,
                                             const char *);

            if (name != NULL
                && !jwt_ref_present(jwt_token_claim(jwt, name))) {
                return JWT_ERR_MISSING_CLAIM;
            }
        }
    }
    if (!array_empty(rules->types)
        && !type_accepted(jwt->typ, rules->types)) {
        return JWT_ERR_TYPE;
    }
    if (jwt->has_exp && now >= jwt->exp + leeway) {
        return JWT_ERR_EXPIRED;
    }
    if (jwt->has_nbf && now + leeway < jwt->nbf) {
        return JWT_ERR_NOT_YET_VALID;
    }
    if (jwt->has_iat && jwt->iat > now + leeway) {
        return JWT_ERR_ISSUED_IN_FUTURE;
    }
    if (max_ttl > 0) {
        if (!jwt->has_exp || jwt->exp - now > max_ttl + leeway) {
            return JWT_ERR_TTL;
        }
        if (jwt->has_iat && jwt->exp - jwt->iat > max_ttl) {
            return JWT_ERR_TTL;
        }
    }
    if (!array_empty(rules->issuers)
        && !str_in_list(jwt->iss, jwt->iss ? strlen(jwt->iss) : 0,
                        rules->issuers)) {
        return JWT_ERR_ISSUER;
    }
    /* RFC 7519 section 4.1.3: a token whose aud does not name us is
     * refused, and where no audience is configured nothing names us: a
     * token minted for another service of the same issuer must not pass
     * here (doc/attacks.md E2).  A token without aud is for anyone. */
    if (array_empty(rules->audiences)) {
        if (jwt->aud.json != NULL || jwt->aud.flat != NULL) {
            return JWT_ERR_AUDIENCE_NOT_CONFIGURED;
        }
    }
    else if (!jwt_audience_any(rules->audiences)
             && !audience_accepted(jwt->aud, rules->audiences)) {
        return JWT_ERR_AUDIENCE;
    }
    if (rules->user_claim != NULL
        && !user_claim_ok(jwt_token_claim(jwt, rules->user_claim))) {
        return JWT_ERR_USER_CLAIM;
    }
    return JWT_OK;
}

/* Whether a key of SET verifies only the tokens of one issuer: choosing
 * among such keys needs the iss claim before the signature. */
static int keys_bound_to_issuer(const jwk_set_t *set)
{
    int i;

    for (i = 0; i < set->keys->nelts; i++) {
        if (APR_ARRAY_IDX(set->keys, i, const jwk_t *)->iss != NULL) {
            return 1;
        }
    }
    return 0;
}

/*
 * A JWS checked signature first (doc/attacks.md L, steps 5-7): the payload of
 * a token nobody signed never reaches the JSON parser.  The caller made
 * sure that no key is bound to an issuer.  On a bad signature *OUT holds
 * the header fields only (alg, kid for the log line), no claims.
 */
static jwt_status_t check_signature_first(jwt_t **out, apr_pool_t *p,
    const char *token, size_t len, const jwt_rules_t *rules, int64_t now)
{
    const jwk_t *used = NULL;
    jwt_t *jwt = apr_pcalloc(p, sizeof(*jwt));
    jwt_status_t st;

    st = jws_parse(&jwt->jws, p, token, len);
    if (st == JWT_OK) {
        st = jws_header_of(jwt);
    }
    if (st != JWT_OK) {
        return st;
    }
    *out = jwt;
    st = jws_verify(&used, jwt->jws, rules->verify_keys, NULL);
    if (st != JWT_OK) {
        return st;
    }
    if (used == NULL) {
        return JWT_ERR_INTERNAL;
    }
    jwt->key = used;
    if ((st = jws_claims_of(jwt, p, rules)) != JWT_OK) {
        return st;
    }
    if ((st = claim_types(jwt)) != JWT_OK) {
        return st;
    }
    return jwt_validate(jwt, rules, now);
}

jwt_status_t jwt_check(jwt_t **out, apr_pool_t *p, const char *token,
                       size_t len, const jwt_rules_t *rules, int64_t now)
{
    jwt_status_t st;

    if (out != NULL) {
        *out = NULL;
    }
    if (out != NULL && p != NULL && token != NULL && rules != NULL
        && !rules->require_encryption
        && len <= (rules->max_size ? rules->max_size : JWT_DEFAULT_MAX_SIZE)
        && jose_two_dots(token, len, NULL, NULL)
        && !no_keys(rules->verify_keys)
        && !keys_bound_to_issuer(rules->verify_keys)) {
        return check_signature_first(out, p, token, len, rules, now);
    }
    st = jwt_parse(out, p, token, len, rules);
    if (st != JWT_OK) {
        return st;
    }
    st = jwt_verify(*out, rules);
    if (st != JWT_OK) {
        return st;
    }
    return jwt_validate(*out, rules, now);
}
