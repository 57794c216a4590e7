/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * fuzz_jws.c: compact JWS (RFC 7515 section 7.1) and JWT validation (RFC
 * 7519 section 7.2) on arbitrary bytes: jws_parse + jws_verify, and
 * jwt_check against the fixture key set (HMAC, RSA, EC, OKP) with a fixed
 * clock (doc/attacks.md A-F, F6 above all).
 *
 * Input: without a NUL byte, a token exactly as it would arrive after
 * "Bearer ".  With NUL bytes, HEADER \0 PAYLOAD [\0 SIGNATURE]: the parts
 * are base64url-encoded here and, when no signature is given, the token is
 * signed with the fixture key that the header's alg (and kid) selects, so
 * that mutated JSON reaches claim validation with a valid signature instead
 * of dying in base64url.
 *
 * Properties, beyond the sanitizers: every status is one of the enum; the
 * same token gives the same answer twice (F6); an accepted token was
 * verified by a configured key that allows its alg, of its key type and
 * curve, with its kid and issuer binding (A1-A5); jwt_check and jws_verify
 * agree; validation arithmetic survives any clock (E-series, no overflow).
 */

#include <string.h>
#include <apr_strings.h>
#include "jose_b64.h"
#include "jose_util.h"
#include "fuzz_common.h"

/* The validator as configured in the module, and a stricter policy run on
 * every parsed token through jwt_validate. */
static jwt_rules_t rules, strict;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_pool_t *r;

    (void)argc;
    (void)argv;
    fz_init(1);
    r = fz_root();
    jwt_rules_init(&rules);
    rules.verify_keys = fz_verify_keys();
    rules.audiences = fz_strs(r, "api", NULL);

    jwt_rules_init(&strict);
    strict.verify_keys = fz_verify_keys();
    strict.issuers = fz_strs(r, FZ_ISSUER, "joe", NULL);
    strict.audiences = fz_strs(r, "api", "https://api.example", NULL);
    strict.required = fz_strs(r, "exp", "iat", "sub", "realm_access.roles",
                              NULL);
    strict.types = fz_strs(r, "JWT", "at+jwt", NULL);
    strict.max_ttl = 3600;
    strict.leeway = 0;
    strict.user_claim = "preferred_username";
    return 0;
}

/* HEADER \0 PAYLOAD [\0 SIGNATURE] as a compact JWS. */
static char *structured(size_t *outlen, apr_pool_t *p, const uint8_t *data,
                        size_t size)
{
    const uint8_t *part[3];
    size_t len[3], n, siglen = 0;
    const unsigned char *sig = NULL;
    unsigned char *made = NULL;
    char *input, *tok;

    n = fz_split(data, size, part, len, 3);
    input = apr_pstrcat(p, jose_b64url_encode(p, part[0], len[0]), ".",
                        jose_b64url_encode(p, part[1], len[1]), NULL);
    if (n == 3) {
        sig = part[2];
        siglen = len[2];
    }
    else {
        json_t *hdr = json_loadb((const char *)part[0], len[0], 0, NULL);
        const char *name = jose_json_str(hdr, "alg", NULL);
        const char *kid = jose_json_str(hdr, "kid", NULL);
        const jose_alg_info_t *alg = NULL;
        const jwk_t *key = NULL;

        if (name != NULL) {
            alg = jose_alg_lookup(name, strlen(name));
        }
        if (alg != NULL && alg->use == JOSE_USE_SIG) {
            key = fz_pick_key(fz_sign_keys(), alg->id, kid);
        }
        if (key != NULL
            && jose_sig_sign(&made, &siglen, p, key, alg,
                             (const unsigned char *)input,
                             strlen(input)) == JWT_OK) {
            sig = made;
        }
        else {
            siglen = 0;
        }
        json_decref(hdr);
    }
    tok = apr_pstrcat(p, input, ".", jose_b64url_encode(p, sig, siglen),
                      NULL);
    *outlen = strlen(tok);
    return tok;
}

/* jws_parse reads the common header without jansson: what it found must
 * be what jansson finds in the same bytes (one object, no duplicates;
 * kid, typ and cty the same strings or absent alike). */
static void check_header_field(const json_t *hdr, const char *name,
                               const char *got)
{
    const json_t *v = json_object_get(hdr, name);

    if (got == NULL) {
        FZ_ASSERT(v == NULL);
    }
    else {
        FZ_ASSERT(json_is_string(v) && strcmp(json_string_value(v), got) == 0);
    }
}

static void check_header_fields(apr_pool_t *p, const char *tok, size_t len,
                                const jws_t *jws)
{
    const char *dot = memchr(tok, '.', len);
    unsigned char *h = NULL;
    size_t hlen = 0;
    json_error_t err;
    json_t *hdr;

    FZ_ASSERT(dot != NULL);
    FZ_ASSERT(jose_b64url_decode(&h, &hlen, p, tok, (size_t)(dot - tok))
              == JWT_OK);
    hdr = json_loadb((const char *)h, hlen, JSON_REJECT_DUPLICATES, &err);
    FZ_ASSERT(json_is_object(hdr));
    check_header_field(hdr, "alg", jws->alg_name);
    check_header_field(hdr, "kid", jws->kid);
    check_header_field(hdr, "typ", jws->typ);
    check_header_field(hdr, "cty", jws->cty);
    json_decref(hdr);
}

static void check_jws(apr_pool_t *p, const char *tok, size_t len)
{
    static const char *const issuers[] = { NULL, FZ_ISSUER };
    jws_t *jws = NULL;
    const jwk_t *used;
    jwt_status_t st;
    size_t i;

    st = jws_parse(&jws, p, tok, len);
    fz_check_status(st);
    fz_note("jws_parse", st);
    if (st != JWT_OK) {
        return;
    }
    FZ_ASSERT(jws != NULL && jws->alg != NULL && jws->alg_name != NULL);
    FZ_ASSERT(jws->alg->use == JOSE_USE_SIG);
    FZ_ASSERT(strcmp(jws->alg->name, jws->alg_name) == 0);
    check_header_fields(p, tok, len, jws);
    FZ_ASSERT(jws->signing_input == tok && jws->signing_input_len < len);
    FZ_ASSERT(jose_count_dots(tok, len) == 2);
    FZ_ASSERT(jws->payload != NULL
              && jws->payload[jws->payload_len] == '\0');
    FZ_ASSERT(jws->sig != NULL && jws->sig_len > 0);
    FZ_ASSERT(jws->kid == NULL || strlen(jws->kid) <= JWS_MAX_KID_LEN);
    for (i = 0; i < sizeof(issuers) / sizeof(issuers[0]); i++) {
        used = NULL;
        st = jws_verify(&used, jws, fz_verify_keys(), issuers[i]);
        fz_check_status(st);
        fz_note(issuers[i] != NULL ? "jws_verify iss" : "jws_verify", st);
        FZ_ASSERT(st == JWT_OK || st == JWT_ERR_NO_KEY
                  || st == JWT_ERR_SIGNATURE);
        if (st == JWT_OK) {
            fz_check_sig_key(used, jws->alg, jws->kid, issuers[i]);
        }
    }
}

static int same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL)
           || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The claims read flat (the module's request path) give the answers
 * jansson's object gives: the status, the registered claims, the object
 * itself, and jwt_validate under both rule sets at every clock. */
static void check_flat(apr_pool_t *p, const char *tok, size_t len,
                       const jwt_rules_t *rules, const jwt_rules_t *strict,
                       jwt_status_t st, const jwt_t *jwt,
                       const int64_t *clocks, size_t nclocks)
{
    jwt_rules_t fr = *rules, fs = *strict;
    jwt_t *flat = NULL;
    char *copy = fz_exact_copy(tok, len);
    json_t *obj;
    size_t i;

    fr.claims_flat = fs.claims_flat = 1;
    if (jwt_check(&flat, p, copy, len, &fr, FZ_NOW) != st) {
        fz_fail("jwt_check with claims read flat gave another answer");
    }
    free(copy);
    FZ_ASSERT((jwt == NULL) == (flat == NULL));
    if (jwt == NULL || jwt->claims == NULL) {
        FZ_ASSERT(flat == NULL || !flat->flat);
        return;
    }
    FZ_ASSERT(jwt->has_exp == flat->has_exp && jwt->exp == flat->exp);
    FZ_ASSERT(jwt->has_nbf == flat->has_nbf && jwt->nbf == flat->nbf);
    FZ_ASSERT(jwt->has_iat == flat->has_iat && jwt->iat == flat->iat);
    FZ_ASSERT(same_str(jwt->iss, flat->iss) && same_str(jwt->sub, flat->sub)
              && same_str(jwt->jti, flat->jti));
    FZ_ASSERT(same_str(jwt_ref_string(jwt->aud, NULL),
                       jwt_ref_string(flat->aud, NULL)));
    FZ_ASSERT(same_str(jwt_ref_array_text(p, jwt->aud),
                       jwt_ref_array_text(p, flat->aud)));
    FZ_ASSERT(same_str(jwt_ref_array_text(p, jwt->scp),
                       jwt_ref_array_text(p, flat->scp)));
    FZ_ASSERT(same_str(jwt_token_scope_text(p, jwt, NULL),
                       jwt_token_scope_text(p, flat, NULL)));
    obj = jwt_claims_object(flat);
    FZ_ASSERT(json_equal(obj, jwt->claims));
    json_decref(obj);
    for (i = 0; i < nclocks; i++) {
        FZ_ASSERT(jwt_validate(jwt, strict, clocks[i])
                  == jwt_validate(flat, &fs, clocks[i]));
        FZ_ASSERT(jwt_validate(jwt, rules, clocks[i])
                  == jwt_validate(flat, &fr, clocks[i]));
    }
}

static void check_jwt(apr_pool_t *p, const char *tok, size_t len)
{
    static const int64_t clocks[] = {
        0, -1, INT64_MIN, INT64_MAX, JWT_MAX_NUMERIC_DATE,
        JWT_MAX_NUMERIC_DATE + 1, FZ_NOW
    };
    jwt_t *jwt = NULL, *again = NULL;
    const jwk_t *used = NULL;
    jwt_status_t st, st2;
    char *copy;
    size_t i;

    st = jwt_check(&jwt, p, tok, len, &rules, FZ_NOW);
    fz_check_status(st);
    fz_note("jwt_check", st);

    /* F6: same token, same answer (no state kept between calls) */
    copy = fz_exact_copy(tok, len);
    st2 = jwt_check(&again, p, copy, len, &rules, FZ_NOW);
    free(copy);
    if (st2 != st) {
        fz_fail("jwt_check gave %s, then %s for the same token",
                jwt_status_name(st), jwt_status_name(st2));
    }
    FZ_ASSERT((jwt == NULL) == (again == NULL));
    check_flat(p, tok, len, &rules, &strict, st, jwt, clocks,
               sizeof(clocks) / sizeof(clocks[0]));

    if (st == JWT_OK) {
        FZ_ASSERT(jwt != NULL && jwt->jws != NULL && jwt->key != NULL);
        FZ_ASSERT(!jwt->encrypted && !jwt->unsigned_jwe);
        FZ_ASSERT(json_is_object(jwt->claims));
        fz_check_sig_key(jwt->key, jwt->jws->alg, jwt->kid, jwt->iss);
        /* exp is required by default and must lie ahead (with leeway) */
        FZ_ASSERT(jwt->has_exp && jwt->exp > FZ_NOW - rules.leeway);
        /* the layers agree: the JWS alone verifies with the same key */
        FZ_ASSERT(jws_verify(&used, jwt->jws, fz_verify_keys(), jwt->iss)
                  == JWT_OK && used == jwt->key);
    }
    if (jwt == NULL) {
        return;
    }
    /* parsed (maybe not verified): the policy and the claim model run on
     * whatever claims a token carries */
    FZ_ASSERT(json_is_object(jwt->claims));
    FZ_ASSERT(!jwt->has_exp
              || (jwt->exp >= 0 && jwt->exp <= JWT_MAX_NUMERIC_DATE));
    FZ_ASSERT(!jwt->has_nbf
              || (jwt->nbf >= 0 && jwt->nbf <= JWT_MAX_NUMERIC_DATE));
    FZ_ASSERT(!jwt->has_iat
              || (jwt->iat >= 0 && jwt->iat <= JWT_MAX_NUMERIC_DATE));
    fz_note("jwt_validate strict", jwt_validate(jwt, &strict, FZ_NOW));
    for (i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++) {
        fz_check_status(jwt_validate(jwt, &strict, clocks[i]));
        fz_check_status(jwt_validate(jwt, &rules, clocks[i]));
    }
    fz_claim_model(p, jwt->claims);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fz_pool();
    size_t len = size;
    char *tok;

    if (memchr(data, 0, size) != NULL) {
        const char *s = structured(&len, p, data, size);

        tok = fz_exact_copy(s, len);
    }
    else {
        tok = fz_exact_copy(data, size);
    }
    check_jws(p, tok, len);
    check_jwt(p, tok, len);
    free(tok);
    fz_input_done();
    return 0;
}
