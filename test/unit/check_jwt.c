/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * check_jwt.c: unit tests of JWT validation (RFC 7519) through jwt_check
 * with a fixed clock: one test per rejection reason jwt.c produces, each
 * asserting that exact jwt_status_t, with the boundaries of every time rule
 * (doc/attacks.md E1), type confusion in registered claims (E1-E3), issuer
 * and audience matching (E2, E3), typ normalisation (D3, RFC 8725 3.11),
 * nesting (C1, C2: RFC 7520 section 6 and RFC 7519 A.2), and the claim
 * model used by authorization: dotted paths, claim text, claim matching
 * and scopes (E4).
 */

#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "testutil.h"
#include "jose_b64.h"
#include "jwe.h"

#define NOW INT64_C(1700000000)
#define I64 "%" APR_INT64_T_FMT
#define B(a) JOSE_ALG_BIT(JOSE_ALG_##a)

static const jwk_t *hk;         /* the HS256 signing/verifying secret */
static jwk_set_t *hset;         /* { hk }                             */
static jwt_rules_t R;           /* tu_rules(hset), reset per test     */
static int flat_mode;           /* the "check-flat" case: claims_flat */

static void setup(void)
{
    tu_setup();
    hk = tu_sign_key(tu_pool, "secret:hs256.secret", 0);
    hset = tu_set(tu_pool, hk, NULL);
    tu_rules(&R, tu_pool, hset);
    flat_mode = 0;
}

/* The same checks with the claims read flat where they can be, as the
 * module reads them: every answer must be the same. */
static void setup_flat(void)
{
    setup();
    flat_mode = 1;
}

/* The claims of JWT as an object, whichever way they were read. */
static const json_t *claims_obj(const jwt_t *jwt)
{
    return jose_json_pool_own(tu_pool, jwt_claims_object(jwt));
}

/* A JWS of HEADER/PAYLOAD text with a correct HS256 MAC. */
static char *tokh(const char *header, const char *payload)
{
    return tu_token(tu_pool, header, payload, hk, "HS256");
}

static char *tok(const char *payload)
{
    return tokh("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload);
}

/* Claims with exp an hour after NOW, plus EXTRA members ("" for none). */
static char *claims(const char *extra)
{
    return apr_psprintf(tu_pool, "{\"sub\":\"alice\",\"exp\":" I64 "%s%s}",
                        (NOW + 3600), *extra ? "," : "", extra);
}

static jwt_status_t chk(const char *token)
{
    R.claims_flat = flat_mode;
    return tu_jwt_status(token, strlen(token), &R, NOW);
}

static jwt_status_t chk_at(const char *token, int64_t now)
{
    R.claims_flat = flat_mode;
    return tu_jwt_status(token, strlen(token), &R, now);
}

/* jwt_check on a pool copy, keeping the jwt_t. */
static jwt_status_t check_keep(jwt_t **jwt, const char *token, int64_t now)
{
    R.claims_flat = flat_mode;
    return jwt_check(jwt, tu_pool, apr_pstrdup(tu_pool, token),
                     strlen(token), &R, now);
}

#define ck_chk(token, want) ck_assert_status(chk(token), want)
#define ck_claims(extra, want) ck_assert_status(chk(tok(claims(extra))), want)

/* ------------------------------------------------------------ accepted - */

START_TEST(accepted_and_fields)
{
    jwt_t *jwt = NULL;
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 1, 0, "the-kid", NULL);
    const jwk_t *k = tu_load_key(tu_pool, "secret:hs256.secret", &o);
    char *t;

    R.verify_keys = tu_set(tu_pool, k, NULL);
    t = tu_sign(tu_pool, k, "HS256", NULL, "{\"typ\":\"JWT\"}",
                apr_psprintf(tu_pool, "{\"iss\":\"https://idp.example\","
                             "\"sub\":\"alice\",\"jti\":\"j-1\","
                             "\"iat\":" I64 ",\"nbf\":" I64 ","
                             "\"exp\":" I64 "}",
                             NOW - 10, NOW - 5,
                             NOW + 60));
    ck_assert_status(check_keep(&jwt, t, NOW), JWT_OK);
    ck_assert_ptr_nonnull(jwt);
    ck_assert_str_eq(jwt->iss, "https://idp.example");
    ck_assert_str_eq(jwt->sub, "alice");
    ck_assert_str_eq(jwt->jti, "j-1");
    ck_assert_str_eq(jwt->alg, "HS256");
    ck_assert_str_eq(jwt->kid, "the-kid");
    ck_assert(jwt->has_exp && jwt->has_nbf && jwt->has_iat);
    ck_assert_int_eq(jwt->exp, NOW + 60);
    ck_assert_int_eq(jwt->nbf, NOW - 5);
    ck_assert_int_eq(jwt->iat, NOW - 10);
    ck_assert_ptr_eq(jwt->key, k);
    ck_assert_int_eq(jwt->encrypted, 0);
    ck_assert_ptr_nonnull(jwt->jws);
    ck_assert_str_eq(jwt->typ, "JWT");
    ck_assert_str_eq(json_string_value(json_object_get(claims_obj(jwt),
                                                       "sub")), "alice");
    ck_assert_str_eq(jwt_ref_string(jwt_token_claim(jwt, "sub"), NULL),
                     "alice");
    /* the module's reading is the flat one, for claims like these */
    ck_assert_int_eq(jwt->flat, flat_mode);
}
END_TEST

/* The order of the checks (doc/attacks.md L): the header, then the
 * signature, then the claims, so that a payload nobody signed is never
 * parsed; keys bound to an issuer (iss=) need the iss claim to be chosen,
 * so there the claims are parsed first.  *OUT is set once the header (or,
 * with iss= keys, the whole token) parsed. */
START_TEST(order_of_checks)
{
    jwk_load_opts_t oi = tu_opts(JOSE_USE_SIG, 1, 0, NULL,
                                 "https://idp.example");
    jwt_t *jwt = NULL;
    char *t, *bad, *junk;
    unsigned char *sig;
    size_t n;

    /* bad signature and an ill-typed claim: the signature speaks first */
    t = tok("{\"exp\":\"soon\"}");
    sig = tu_sig_of(tu_pool, t, &n);
    sig[0] ^= 1;
    ck_chk(tu_with_sig(tu_pool, t, sig, n), JWT_ERR_SIGNATURE);
    /* bad signature and a payload that is no JSON at all: the same */
    junk = tok("not json");
    sig = tu_sig_of(tu_pool, junk, &n);
    sig[0] ^= 1;
    ck_chk(tu_with_sig(tu_pool, junk, sig, n), JWT_ERR_SIGNATURE);
    ck_chk(junk, JWT_ERR_JSON);
    /* bad signature and expired: the signature speaks first */
    t = tok("{\"sub\":\"bob\",\"exp\":1}");
    sig = tu_sig_of(tu_pool, t, &n);
    sig[0] ^= 1;
    bad = tu_with_sig(tu_pool, t, sig, n);
    ck_chk(bad, JWT_ERR_SIGNATURE);
    /* a bad signature: *OUT has the header for the log line (alg, kid),
     * and no claims were read */
    ck_assert_status(check_keep(&jwt, bad, NOW), JWT_ERR_SIGNATURE);
    ck_assert_ptr_nonnull(jwt);
    ck_assert_str_eq(jwt->alg, "HS256");
    ck_assert_ptr_null(jwt->claims);
    ck_assert(!jwt->flat);
    ck_assert_ptr_null(jwt->sub);
    /* rejected after the signature: the claims are there too */
    jwt = NULL;
    ck_assert_status(check_keep(&jwt, tok("{\"sub\":\"bob\",\"exp\":1}"),
                                NOW), JWT_ERR_EXPIRED);
    ck_assert_ptr_nonnull(jwt);
    ck_assert_str_eq(jwt->sub, "bob");
    /* parse failure: no jwt */
    jwt = (jwt_t *)1;
    ck_assert_status(check_keep(&jwt, "a.b", NOW), JWT_ERR_MALFORMED);
    ck_assert_ptr_null(jwt);

    /* keys bound to an issuer: the claims are read first, to choose */
    R.verify_keys = tu_set(tu_pool, tu_load_key(tu_pool,
                                                "secret:hs256.secret", &oi),
                           NULL);
    t = tok("{\"iss\":\"https://idp.example\",\"exp\":\"soon\"}");
    sig = tu_sig_of(tu_pool, t, &n);
    sig[0] ^= 1;
    ck_chk(tu_with_sig(tu_pool, t, sig, n), JWT_ERR_CLAIM_TYPE);
    t = tok("{\"iss\":\"https://idp.example\",\"sub\":\"bob\","
            "\"exp\":1}");
    sig = tu_sig_of(tu_pool, t, &n);
    sig[0] ^= 1;
    jwt = NULL;
    ck_assert_status(check_keep(&jwt, tu_with_sig(tu_pool, t, sig, n), NOW),
                     JWT_ERR_SIGNATURE);
    ck_assert_ptr_nonnull(jwt);
    ck_assert_str_eq(jwt->sub, "bob");
}
END_TEST

/* Every bit of the signature and every truncation, through jwt_check. */
START_TEST(mutations_through_jwt_check)
{
    char *t = tok(claims("\"aud\":\"api\""));
    size_t len = strlen(t), n, bit, cut;
    unsigned char *sig = tu_sig_of(tu_pool, t, &n);

    R.audiences = tu_strs(tu_pool, "api", NULL);
    ck_chk(t, JWT_OK);
    for (bit = 0; bit < n * 8; bit++) {
        unsigned char *m = apr_pmemdup(tu_pool, sig, n);

        m[bit / 8] ^= (unsigned char)(0x80 >> (bit % 8));
        ck_assert_msg(chk(tu_with_sig(tu_pool, t, m, n)) == JWT_ERR_SIGNATURE,
                      "bit %zu", bit);
    }
    for (cut = 0; cut < len; cut++) {
        jwt_status_t st = tu_jwt_status(t, cut, &R, NOW);

        ck_assert_msg(st != JWT_OK && st != JWT_ERR_INTERNAL,
                      "truncated to %zu: %s", cut, jwt_status_name(st));
    }
}
END_TEST

/* Every single character of the token replaced by every other character
 * of the alphabet (and by '.', '=', '+', '/', ' '): never accepted, never
 * an internal error (F1, F6). */
START_TEST(every_character_replaced)
{
    static const char chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        ".=+/ ";
    char *t = tok(claims("\"aud\":\"api\""));
    size_t len = strlen(t), i, c;
    long n = 0;

    R.audiences = tu_strs(tu_pool, "api", NULL);
    ck_chk(t, JWT_OK);
    for (i = 0; i < len; i++) {
        for (c = 0; c < sizeof(chars) - 1; c++) {
            char saved = t[i];
            jwt_status_t st;

            if (chars[c] == saved) {
                continue;
            }
            t[i] = chars[c];
            st = chk(t);
            t[i] = saved;
            ck_assert_msg(st != JWT_OK && st != JWT_ERR_INTERNAL,
                          "position %zu set to '%c': %s", i, chars[c],
                          jwt_status_name(st));
            n++;
        }
    }
    ck_assert_int_eq(n, (long)(len * (sizeof(chars) - 2)));
}
END_TEST

/* ------------------------------------------------ one test per status -- */

START_TEST(st_too_large)
{
    char *t = tok(claims(""));
    size_t len = strlen(t);
    char *junk = apr_palloc(tu_pool, 9000);

    R.max_size = len;
    ck_chk(t, JWT_OK);
    R.max_size = len - 1;
    ck_chk(t, JWT_ERR_TOO_LARGE);
    /* the default cap is 8192, checked before anything is looked at */
    tu_rules(&R, tu_pool, hset);
    ck_assert_uint_eq(R.max_size, 8192);
    memset(junk, '.', 9000);
    ck_assert_status(tu_jwt_status(junk, 8193, &R, NOW), JWT_ERR_TOO_LARGE);
    memset(junk, 'A', 9000);
    ck_assert_status(tu_jwt_status(junk, 8193, &R, NOW), JWT_ERR_TOO_LARGE);
    /* 0 means the default */
    R.max_size = 0;
    ck_assert_status(tu_jwt_status(junk, 8193, &R, NOW), JWT_ERR_TOO_LARGE);
    R.max_size = 8192;
    /* a real token padded to 8193 bytes in its payload */
    {
        char *big = apr_palloc(tu_pool, 9000);
        char *pl;

        memset(big, 'x', 8000);
        big[8000] = '\0';
        pl = claims(apr_psprintf(tu_pool, "\"pad\":\"%s\"", big));
        t = tok(pl);
        ck_assert_uint_gt(strlen(t), 8192);
        ck_chk(t, JWT_ERR_TOO_LARGE);
    }
}
END_TEST

START_TEST(st_malformed)
{
    static const char *const bad[] = {
        "", "a", "a.b", "a.b.c.d", "..", ".", "...", "a.b.c.d.e.f",
        "a.b.c.d.e.f.g", NULL
    };
    size_t big = 100000;
    char *dots = apr_palloc(tu_pool, big);
    int i;

    for (i = 0; bad[i] != NULL; i++) {
        ck_assert_msg(chk(bad[i]) == JWT_ERR_MALFORMED, "\"%s\": %s",
                      bad[i], jwt_status_name(chk(bad[i])));
    }
    /* F3: 100 000 dots (within the size limit) */
    memset(dots, '.', big);
    R.max_size = big;
    ck_assert_status(tu_jwt_status(dots, big, &R, NOW), JWT_ERR_MALFORMED);
    /* empty header segment of a real token */
    {
        char *t = tok(claims(""));

        ck_chk(strchr(t, '.'), JWT_ERR_MALFORMED);
    }
}
END_TEST

START_TEST(st_base64)
{
    char *t = tok(claims(""));
    const char *d1 = strchr(t, '.'), *d2 = strrchr(t, '.');
    size_t plen = (size_t)(d2 - d1 - 1), dl;
    char *bad = apr_pstrdup(tu_pool, t);
    int c, found = 0;

    /* Wycheproof ModifiedUnusedBitsInPayload: the same bytes, another
     * string; the payload segment must not be a multiple of 4 here */
    ck_assert_uint_ne(plen % 4, 0);
    for (c = 0; c < 64 && !found; c++) {
        static const char a[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
            "0123456789-_";

        bad[d2 - t - 1] = a[c];
        if (tu_unb64(tu_pool, bad + (d1 - t) + 1, plen, &dl) == NULL) {
            found = 1;
        }
    }
    ck_assert(found);
    ck_chk(bad, JWT_ERR_BASE64);
    /* length 1 mod 4 in the header */
    ck_chk(apr_pstrcat(tu_pool, "eyJhb", d1, NULL), JWT_ERR_BASE64);
    /* padding and other alphabets */
    ck_assert_status_in(chk(apr_pstrcat(tu_pool, t, "=", NULL)), 2,
                        JWT_ERR_BASE64, JWT_ERR_MALFORMED);
    ck_assert_status_in(chk(apr_pstrcat(tu_pool, "+", t, NULL)), 2,
                        JWT_ERR_BASE64, JWT_ERR_MALFORMED);
}
END_TEST

START_TEST(st_json)
{
    static const char *const payloads[] = {
        /* D2: duplicates, at the top and deeper */
        "{\"sub\":\"alice\",\"sub\":\"admin\",\"exp\":1800000000}",
        "{\"exp\":1,\"exp\":9999999999}",
        "{\"aud\":\"x\",\"aud\":\"ours\",\"exp\":1800000000}",
        "{\"exp\":1800000000,\"a\":{\"b\":1,\"b\":2}}",
        /* F5: not an object */
        "[]", "\"claims\"", "123", "null", "true", "[{\"exp\":1800000000}]",
        /* not JSON, or not only JSON */
        "", "hello", "{\"exp\":1800000000", "{\"exp\":1800000000}x",
        "{\"exp\":1800000000}{}",
        /* E5: NUL, E1: numbers jansson cannot hold */
        "{\"exp\":1800000000,\"sub\":\"a\\u0000b\"}",
        "{\"exp\":1800000000,\"iss\":\"https://idp\\u0000evil\"}",
        "{\"exp\":1e400}", "{\"exp\":9223372036854775808}",
        "{\"exp\":NaN}", "{\"exp\":-Infinity}",
        NULL
    };
    int i;

    for (i = 0; payloads[i] != NULL; i++) {
        ck_assert_msg(chk(tok(payloads[i])) == JWT_ERR_JSON, "%s: %s",
                      payloads[i], jwt_status_name(chk(tok(payloads[i]))));
    }
    ck_chk(tokh("{\"alg\":\"HS256\",\"alg\":\"HS256\"}", claims("")),
           JWT_ERR_JSON);
    ck_chk(tokh("{\"alg\":\"HS256\",\"alg\":\"none\"}", claims("")),
           JWT_ERR_JSON);
    ck_chk(tokh("[\"HS256\"]", claims("")), JWT_ERR_JSON);
}
END_TEST

START_TEST(st_header)
{
    ck_chk(tokh("{\"alg\":\"HS256\",\"kid\":5}", claims("")),
           JWT_ERR_HEADER);
    ck_chk(tokh("{\"alg\":\"HS256\",\"typ\":[\"JWT\"]}", claims("")),
           JWT_ERR_HEADER);
    ck_chk(tokh("{\"alg\":\"HS256\",\"cty\":1}", claims("")),
           JWT_ERR_HEADER);
    ck_chk(tokh("{\"alg\":\"HS256\",\"zip\":\"DEF\"}", claims("")),
           JWT_ERR_HEADER);
    /* enc in three segments: never routed to JWE decryption (C1) */
    ck_chk(tokh("{\"alg\":\"HS256\",\"enc\":\"A128GCM\"}", claims("")),
           JWT_ERR_HEADER);
}
END_TEST

START_TEST(st_crit)
{
    ck_chk(tokh("{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}",
                claims("")), JWT_ERR_CRIT);
    ck_chk(tokh("{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}",
                claims("")), JWT_ERR_CRIT);
}
END_TEST

START_TEST(st_alg)
{
    static const char *const hs[] = {
        "{\"alg\":\"none\"}", "{\"alg\":\"None\"}", "{\"alg\":\"HS256 \"}",
        "{\"alg\":\"hs256\"}", "{\"alg\":\"\"}", "{\"alg\":\"RSA-OAEP\"}",
        NULL
    };
    int i;

    for (i = 0; hs[i] != NULL; i++) {
        ck_assert_msg(chk(tokh(hs[i], claims(""))) == JWT_ERR_ALG, "%s",
                      hs[i]);
        ck_assert_msg(chk(tu_token(tu_pool, hs[i], claims(""), NULL, NULL))
                      == JWT_ERR_ALG, "%s, empty signature", hs[i]);
    }
    ck_assert_status_in(chk(tokh("{\"typ\":\"JWT\"}", claims(""))), 2,
                        JWT_ERR_ALG, JWT_ERR_HEADER);
    ck_assert_status_in(chk(tokh("{\"alg\":null}", claims(""))), 2,
                        JWT_ERR_ALG, JWT_ERR_HEADER);
}
END_TEST

START_TEST(st_no_key)
{
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 0, 0, "k1", NULL);
    jwk_load_opts_t oi = tu_opts(JOSE_USE_SIG, 0, 0, NULL,
                                 "https://idp.example");
    const jwk_t *rsa = tu_sign_key(tu_pool, "rsa2048.key.pem", 0);
    char *t = tok(claims(""));

    /* kid mismatch */
    R.verify_keys = tu_set(tu_pool, tu_load_key(tu_pool,
                                                "secret:hs256.secret", &o),
                           NULL);
    ck_chk(tu_sign(tu_pool, hk, "HS256", "k2", NULL, claims("")),
           JWT_ERR_NO_KEY);
    ck_chk(tu_sign(tu_pool, hk, "HS256", "k1", NULL, claims("")), JWT_OK);
    /* an algorithm no configured key allows */
    R.verify_keys = hset;
    ck_chk(tu_sign(tu_pool, rsa, "RS256", NULL, NULL, claims("")),
           JWT_ERR_NO_KEY);
    /* a key loaded for encryption never verifies a signature */
    {
        jwk_load_opts_t eo = tu_opts(JOSE_USE_ENC, 1, 0, NULL, NULL);

        R.verify_keys = tu_load_set(tu_pool, "rsa2048.key.pem", &eo);
        ck_chk(tu_sign(tu_pool, rsa, "RS256", NULL, NULL, claims("")),
               JWT_ERR_NO_KEY);
        eo.algs = B(A256KW);
        R.verify_keys = tu_load_set(tu_pool, "secret:hs256.secret", &eo);
        ck_chk(t, JWT_ERR_NO_KEY);
    }
    /* no keys at all */
    R.verify_keys = NULL;
    ck_chk(t, JWT_ERR_NO_KEY);
    R.verify_keys = jwk_set_make(tu_pool);
    ck_chk(t, JWT_ERR_NO_KEY);
    /* a key bound to an issuer: the token's iss claim selects */
    R.verify_keys = tu_set(tu_pool, tu_load_key(tu_pool,
                                                "secret:hs256.secret", &oi),
                           NULL);
    ck_chk(t, JWT_ERR_NO_KEY);
    ck_chk(tok(claims("\"iss\":\"https://other.example\"")),
           JWT_ERR_NO_KEY);
    ck_chk(tok(claims("\"iss\":\"https://idp.example\"")), JWT_OK);
}
END_TEST

START_TEST(st_signature)
{
    char *t = tok(claims(""));
    size_t n;
    unsigned char *sig = tu_sig_of(tu_pool, t, &n);
    const jwk_t *other = tu_sign_key(tu_pool, "secret:hs256-other.secret",
                                     0);

    sig[n - 1] ^= 0x01;
    ck_chk(tu_with_sig(tu_pool, t, sig, n), JWT_ERR_SIGNATURE);
    ck_chk(tu_token(tu_pool, "{\"alg\":\"HS256\"}", claims(""), other,
                    "HS256"), JWT_ERR_SIGNATURE);
    /* the empty signature */
    ck_assert_status_in(chk(tu_token(tu_pool, "{\"alg\":\"HS256\"}",
                                     claims(""), NULL, NULL)), 2,
                        JWT_ERR_SIGNATURE, JWT_ERR_MALFORMED);
}
END_TEST

START_TEST(st_encryption_required)
{
    R.require_encryption = 1;
    ck_chk(tok(claims("")), JWT_ERR_ENCRYPTION_REQUIRED);
}
END_TEST

static const char *rfc7516_a1(void)
{
    json_t *v = tu_vector(tu_pool, "rfc/rfc7516_appendix_A.json");
    json_t *a1 = json_array_get(json_object_get(v, "examples"), 0);
    const char *t = json_string_value(json_object_get(a1, "compact"));

    ck_assert_str_eq(json_string_value(json_object_get(a1, "section")),
                     "A.1");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(jose_count_dots(t, strlen(t)), 4);
    return t;
}

START_TEST(st_jwe_not_accepted)
{
    const char *t = rfc7516_a1();

    ck_chk(t, JWT_ERR_JWE_NOT_ACCEPTED);
    R.decrypt_keys = jwk_set_make(tu_pool);
    ck_chk(t, JWT_ERR_JWE_NOT_ACCEPTED);
    ck_chk("a.b.c.d.e", JWT_ERR_JWE_NOT_ACCEPTED);
}
END_TEST

static jwk_set_t *enc_set(const char *name, jose_alg_set_t algs)
{
    jwk_load_opts_t o = tu_opts(JOSE_USE_ENC, 1, algs, NULL, NULL);

    return tu_load_set(tu_pool, name, &o);
}

START_TEST(st_decrypt)
{
    R.decrypt_keys = enc_set("rsa2048.key.pem", 0);
    /* encrypted to another key */
    ck_chk(rfc7516_a1(), JWT_ERR_DECRYPT);
    ck_chk("a.b.c.d.e", JWT_ERR_DECRYPT);
    ck_chk("eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.AAAA.AAAA.AAAA."
           "AAAA", JWT_ERR_DECRYPT);
}
END_TEST

/* A JWE of PLAINTEXT to the first key of SET with ALG/ENC. */
static char *encrypt_to(jwk_set_t *set, const char *alg, const char *enc,
                        const char *cty, const char *plaintext)
{
    char *out = NULL;
    jwt_status_t st = jwe_encrypt(&out, tu_pool,
                                  APR_ARRAY_IDX(set->keys, 0, const jwk_t *),
                                  tu_alg(alg),
                                  jose_enc_lookup(enc, strlen(enc)), NULL,
                                  cty, (const unsigned char *)plaintext,
                                  strlen(plaintext));

    ck_assert_msg(st == JWT_OK, "jwe_encrypt %s/%s: %s", alg, enc,
                  jwt_status_name(st));
    return out;
}

START_TEST(st_nested)
{
    jwk_set_t *rsa = enc_set("rsa2048.key.pem", 0);
    jwk_load_opts_t oo = tu_opts(JOSE_USE_ENC, 1, B(A256KW), NULL, NULL);
    jwk_set_t *kw = tu_load_set(tu_pool, "secret:hs256.secret", &oo);
    char *inner = tok(claims(""));
    jwt_t *jwt = NULL;
    char *t;

    R.decrypt_keys = rsa;
    /* C1: claims encrypted to our public key prove nothing */
    t = encrypt_to(rsa, "RSA-OAEP-256", "A256GCM", NULL, claims(""));
    ck_chk(t, JWT_ERR_NESTED);
    R.allow_unsigned_jwe = 1;
    ck_chk(t, JWT_ERR_NESTED);
    R.allow_unsigned_jwe = 0;
    /* a JWE inside the JWE */
    ck_chk(encrypt_to(rsa, "RSA-OAEP", "A128GCM", "JWT", t),
           JWT_ERR_NESTED);
    /* the signed token inside: accepted, claims from the inner JWS */
    t = encrypt_to(rsa, "RSA-OAEP-256", "A256GCM", "JWT", inner);
    ck_assert_status(check_keep(&jwt, t, NOW), JWT_OK);
    ck_assert_int_eq(jwt->encrypted, 1);
    ck_assert_ptr_nonnull(jwt->jwe_header);
    ck_assert_ptr_eq(jwt->key, hk);
    ck_assert_str_eq(jwt->sub, "alice");
    /* without cty, a compact JWS inside is still the inner token */
    ck_chk(encrypt_to(rsa, "RSA-OAEP-256", "A256GCM", NULL, inner), JWT_OK);
    /* the inner JWS passes every check: alg none, bad signature, expired */
    ck_chk(encrypt_to(rsa, "RSA-OAEP", "A128GCM", "JWT",
                      tu_token(tu_pool, "{\"alg\":\"none\"}", claims(""),
                               NULL, NULL)), JWT_ERR_ALG);
    ck_chk(encrypt_to(rsa, "RSA-OAEP", "A128GCM", "JWT",
                      tu_token(tu_pool, "{\"alg\":\"HS256\"}", claims(""),
                               tu_sign_key(tu_pool,
                                           "secret:hs256-other.secret", 0),
                               "HS256")), JWT_ERR_SIGNATURE);
    ck_chk(encrypt_to(rsa, "RSA-OAEP", "A128GCM", "JWT",
                      tok("{\"exp\":1}")), JWT_ERR_EXPIRED);
    /* a JWS that says it carries a JWT (two levels of signing) */
    ck_chk(tokh("{\"alg\":\"HS256\",\"cty\":\"JWT\"}", inner),
           JWT_ERR_NESTED);
    /* require_encryption: the nested token is what it wants */
    R.require_encryption = 1;
    ck_chk(t, JWT_OK);
    ck_chk(inner, JWT_ERR_ENCRYPTION_REQUIRED);
    R.require_encryption = 0;
    /* a shared-secret JWE without inner JWS: only when allowed */
    R.decrypt_keys = kw;
    t = encrypt_to(kw, "A256KW", "A128CBC-HS256", NULL, claims(""));
    ck_chk(t, JWT_ERR_NESTED);
    R.allow_unsigned_jwe = 1;
    jwt = NULL;
    ck_assert_status(check_keep(&jwt, t, NOW), JWT_OK);
    ck_assert_int_eq(jwt->encrypted, 1);
    ck_assert_str_eq(jwt->sub, "alice");
    /* and its claims are still validated */
    ck_chk(encrypt_to(kw, "A256KW", "A128GCM", NULL, "{\"exp\":5}"),
           JWT_ERR_EXPIRED);
}
END_TEST

/* RFC 7520 section 6: PS256 inside RSA-OAEP/A128GCM (cty JWT). */
START_TEST(rfc7520_6_nested)
{
    json_t *v = tu_vector(tu_pool,
                          "rfc7520/6.nesting_signatures_and_encryption.json");
    json_t *skey = json_deep_copy(json_object_get(json_object_get(
                       json_object_get(v, "sign"), "input"), "key"));
    json_t *ekey = json_deep_copy(json_object_get(json_object_get(
                       json_object_get(v, "encrypt"), "input"), "key"));
    const char *t = json_string_value(json_object_get(json_object_get(
                        json_object_get(v, "encrypt"), "output"),
                        "compact"));
    jwk_load_opts_t eo = tu_opts(JOSE_USE_ENC, 1, 0, NULL, NULL);
    jwk_set_t *keyed, *unkeyed, *dec, *deckeyed;
    const char *err;
    jwt_t *jwt = NULL;

    /* Neither header of the RFC example names a kid, and both RFC keys
     * have one.  With kid a lookup key and nothing else (a key with a kid
     * only takes tokens that name it), the keys are used without kid. */
    tu_own(tu_pool, skey);
    tu_own(tu_pool, ekey);
    ck_assert_int_eq(tu_try_jwk_json(&keyed, tu_pool, skey, NULL, &err), 0);
    ck_assert_int_eq(tu_try_jwk_json(&deckeyed, tu_pool, ekey, &eo, &err),
                     0);
    json_object_del(skey, "kid");
    json_object_del(ekey, "kid");
    ck_assert_int_eq(tu_try_jwk_json(&unkeyed, tu_pool, skey, NULL, &err),
                     0);
    ck_assert_int_eq(tu_try_jwk_json(&dec, tu_pool, ekey, &eo, &err), 0);
    R.decrypt_keys = dec;
    R.verify_keys = unkeyed;
    /* the token is from 2011: check it just before its exp */
    ck_assert_status(check_keep(&jwt, t, INT64_C(1300819380) - 60), JWT_OK);
    ck_assert_int_eq(jwt->encrypted, 1);
    ck_assert_str_eq(jwt->iss, "hobbiton.example");
    ck_assert_str_eq(jwt->alg, "PS256");
    ck_assert_status(chk(t), JWT_ERR_EXPIRED);
    /* with the RFC's kids the keys are selected by kid too */
    R.verify_keys = keyed;
    R.decrypt_keys = deckeyed;
    ck_assert_status(chk_at(t, INT64_C(1300819380) - 60), JWT_OK);
}
END_TEST

/* RFC 7519 A.2: RS256 inside RSA1_5/A128CBC-HS256.  RSA1_5 is off unless
 * named in alg= (doc/attacks.md C4). */
START_TEST(rfc7519_a2_nested)
{
    json_t *v = tu_vector(tu_pool, "rfc/rfc7519_A.2_nested_jwt.json");
    const char *t = json_string_value(json_object_get(v, "compact"));
    jwk_load_opts_t dflt = tu_opts(JOSE_USE_ENC, 1, 0, NULL, NULL);
    jwk_load_opts_t named = tu_opts(JOSE_USE_ENC, 1, B(RSA1_5), NULL, NULL);
    jwk_set_t *dec, *dec15, *ver;
    const char *err;
    int64_t then = INT64_C(1300819380) - 60;
    jwt_t *jwt = NULL;

    ck_assert_int_eq(tu_try_jwk_json(&ver, tu_pool, json_object_get(
                                         v, "inner_jws_verification_jwk"),
                                     NULL, &err), 0);
    ck_assert_int_eq(tu_try_jwk_json(&dec, tu_pool, json_object_get(
                                         v, "outer_jwe_decryption_jwk"),
                                     &dflt, &err), 0);
    ck_assert_int_eq(tu_try_jwk_json(&dec15, tu_pool, json_object_get(
                                         v, "outer_jwe_decryption_jwk"),
                                     &named, &err), 0);
    R.verify_keys = ver;
    R.decrypt_keys = dec;
    ck_assert_status_in(chk_at(t, then), 2, JWT_ERR_DECRYPT,
                        JWT_ERR_ALG);
    R.decrypt_keys = dec15;
    ck_assert_status(check_keep(&jwt, t, then), JWT_OK);
    ck_assert_str_eq(jwt->iss, "joe");
    ck_assert_int_eq(jwt->exp, INT64_C(1300819380));
    ck_assert(json_is_true(json_object_get(claims_obj(jwt),
                                           "http://example.com/is_root")));
}
END_TEST

START_TEST(st_claim_type)
{
    static const char *const bad[] = {
        /* E1: NumericDates are numbers in range */
        "{\"exp\":\"1800000000\"}", "{\"exp\":null}", "{\"exp\":true}",
        "{\"exp\":[1800000000]}", "{\"exp\":{}}", "{\"exp\":-1}",
        "{\"exp\":-0.5}", "{\"exp\":9223372036854775807}",
        "{\"exp\":253402300800}", "{\"exp\":1e300}",
        "{\"exp\":1800000000,\"nbf\":\"1\"}",
        "{\"exp\":1800000000,\"nbf\":false}",
        "{\"exp\":1800000000,\"nbf\":9e18}",
        "{\"exp\":1800000000,\"iat\":\"1700000000\"}",
        "{\"exp\":1800000000,\"iat\":[]}",
        /* E2: aud a string or a non-empty array of strings */
        "{\"exp\":1800000000,\"aud\":[]}",
        "{\"exp\":1800000000,\"aud\":[123]}",
        "{\"exp\":1800000000,\"aud\":{}}",
        "{\"exp\":1800000000,\"aud\":{\"api\":1}}",
        "{\"exp\":1800000000,\"aud\":[[\"api\"]]}",
        "{\"exp\":1800000000,\"aud\":[\"api\",null]}",
        "{\"exp\":1800000000,\"aud\":null}",
        "{\"exp\":1800000000,\"aud\":5}",
        /* E3: iss, sub, jti are strings */
        "{\"exp\":1800000000,\"iss\":5}",
        "{\"exp\":1800000000,\"iss\":[\"https://idp.example\"]}",
        "{\"exp\":1800000000,\"iss\":null}",
        "{\"exp\":1800000000,\"sub\":{}}",
        "{\"exp\":1800000000,\"sub\":42}",
        "{\"exp\":1800000000,\"jti\":7}",
        NULL
    };
    int i;

    for (i = 0; bad[i] != NULL; i++) {
        ck_assert_msg(chk(tok(bad[i])) == JWT_ERR_CLAIM_TYPE, "%s: %s",
                      bad[i], jwt_status_name(chk(tok(bad[i]))));
    }
    /* the largest NumericDate accepted (year 9999) */
    ck_chk(tok("{\"exp\":253402300799}"), JWT_OK);
    ck_chk(tok("{\"exp\":253402300799.5}"), JWT_OK);
}
END_TEST

/* RFC 7519 2: a NumericDate may have a fraction.  Reals are floored, never
 * read as 0 (the "nbf read as 0 passes" bug of doc/attacks.md E1). */
START_TEST(numeric_date_reals)
{
    jwt_t *jwt = NULL;

    ck_chk(tok(apr_psprintf(tu_pool, "{\"exp\":" I64 ".5}",
                            NOW + 1000)), JWT_OK);
    ck_assert_status(check_keep(&jwt, tok(apr_psprintf(tu_pool,
                                "{\"exp\":" I64 ".75}", NOW + 1000)),
                                NOW), JWT_OK);
    ck_assert_int_eq(jwt->exp, NOW + 1000);
    ck_chk(tok(apr_psprintf(tu_pool, "{\"exp\":" I64 ".5}",
                            NOW - 1000)), JWT_ERR_EXPIRED);
    ck_chk(tok(apr_psprintf(tu_pool, "{\"exp\":" I64 ",\"nbf\":" I64 ".5}",
                            NOW + 5000, NOW + 1000)),
           JWT_ERR_NOT_YET_VALID);
    ck_chk(tok(apr_psprintf(tu_pool, "{\"exp\":" I64 ",\"iat\":" I64 ".5}",
                            NOW + 5000, NOW + 1000)),
           JWT_ERR_ISSUED_IN_FUTURE);
    ck_chk(tok("{\"exp\":1.8e9}"), JWT_OK);
    ck_chk(tok("{\"exp\":1.6e9}"), JWT_ERR_EXPIRED);
    ck_chk(tok("{\"exp\":1800000000,\"nbf\":1.8e9}"),
           JWT_ERR_NOT_YET_VALID);
    /* -0 is the integer 0: a valid (long expired) date */
    ck_chk(tok("{\"exp\":-0}"), JWT_ERR_EXPIRED);
}
END_TEST

START_TEST(st_missing_claim)
{
    char *noexp = tok("{\"sub\":\"alice\"}");

    /* manual: exp required by default (jwt_rules_init: required NULL) */
    jwt_rules_init(&R);
    R.verify_keys = hset;
    ck_assert_ptr_null(R.required);
    ck_chk(noexp, JWT_ERR_MISSING_CLAIM);
    /* AuthJWTRequireClaim with other names */
    R.required = tu_strs(tu_pool, "exp", "jti", NULL);
    ck_chk(tok(claims("")), JWT_ERR_MISSING_CLAIM);
    ck_chk(tok(claims("\"jti\":\"x\"")), JWT_OK);
    ck_chk(tok(claims("\"jti\":\"x\",\"foo\":null")), JWT_OK);
    R.required = tu_strs(tu_pool, "exp", "foo", NULL);
    ck_chk(tok(claims("\"foo\":null")), JWT_ERR_MISSING_CLAIM);
    ck_chk(tok(claims("\"foo\":0")), JWT_OK);
    ck_chk(tok(claims("\"foo\":\"\"")), JWT_OK);
    /* dotted paths */
    R.required = tu_strs(tu_pool, "realm_access.roles", NULL);
    ck_chk(tok(claims("\"realm_access\":{\"roles\":[\"a\"]}")), JWT_OK);
    ck_chk(tok(claims("\"realm_access\":{\"groups\":[\"a\"]}")),
           JWT_ERR_MISSING_CLAIM);
    ck_chk(tok(claims("\"realm_access\":\"roles\"")),
           JWT_ERR_MISSING_CLAIM);
    /* an empty list requires nothing, not even exp */
    R.required = tu_strs(tu_pool, NULL);
    ck_chk(noexp, JWT_OK);
}
END_TEST

/* AuthJWTRequireClaim and htjwt --require: names add to exp, "none" alone
 * waives it, "none" with anything else is refused. */
START_TEST(st_required_list)
{
    static const char *const bad[][3] = {
        { "none", "sub", NULL }, { "sub", "none", NULL },
        { "none", "none", NULL }, { "exp", "none", NULL },
        { "", NULL, NULL }, { "sub", "", NULL }
    };
    char *noexp = tok("{\"sub\":\"alice\"}");
    apr_array_header_t *l = NULL;
    const char *err = NULL;
    size_t i, j;

    ck_assert_int_eq(jwt_required_add(&l, tu_pool, "sub", &err), 0);
    ck_assert_int_eq(l->nelts, 2);
    ck_assert_str_eq(APR_ARRAY_IDX(l, 0, const char *), "exp");
    ck_assert_str_eq(APR_ARRAY_IDX(l, 1, const char *), "sub");
    ck_assert_int_eq(jwt_required_add(&l, tu_pool, "exp", &err), 0);
    ck_assert_int_eq(jwt_required_add(&l, tu_pool, "sub", &err), 0);
    ck_assert_int_eq(l->nelts, 2);
    R.required = l;
    ck_chk(noexp, JWT_ERR_MISSING_CLAIM);
    ck_chk(tok(claims("")), JWT_OK);

    l = NULL;
    ck_assert_int_eq(jwt_required_add(&l, tu_pool, "exp", &err), 0);
    ck_assert_int_eq(l->nelts, 1);

    l = NULL;
    ck_assert_int_eq(jwt_required_add(&l, tu_pool, JWT_REQUIRE_NONE, &err),
                     0);
    ck_assert_ptr_nonnull(l);
    ck_assert_int_eq(l->nelts, 0);
    R.required = l;
    ck_chk(noexp, JWT_OK);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = 0;

        l = NULL;
        err = NULL;
        for (j = 0; bad[i][j] != NULL && rc == 0; j++) {
            rc = jwt_required_add(&l, tu_pool, bad[i][j], &err);
        }
        ck_assert_msg(rc != 0 && err != NULL, "list %zu accepted", i);
    }
}
END_TEST

START_TEST(st_expired)
{
    int64_t exp = NOW;
    char *t = tok(apr_psprintf(tu_pool, "{\"exp\":" I64 "}", exp));

    ck_assert_int_eq(R.leeway, 30);
    /* expired at exactly exp + leeway, valid one second before */
    ck_assert_status(chk_at(t, exp + 30), JWT_ERR_EXPIRED);
    ck_assert_status(chk_at(t, exp + 29), JWT_OK);
    ck_assert_status(chk_at(t, exp + 100000), JWT_ERR_EXPIRED);
    R.leeway = 0;
    ck_assert_status(chk_at(t, exp), JWT_ERR_EXPIRED);
    ck_assert_status(chk_at(t, exp - 1), JWT_OK);
    /* no overflow anywhere (UBSan watches): huge leeway, extreme now */
    R.leeway = INT64_MAX;
    ck_assert_status(chk_at(t, INT64_MAX), JWT_ERR_EXPIRED);
    ck_assert_status(chk_at(t, exp + 1000000), JWT_OK);
    R.leeway = -5;
    ck_assert_status(chk_at(t, exp), JWT_ERR_EXPIRED);
    ck_assert_status(chk_at(t, exp - 1), JWT_OK);
    R.leeway = 30;
    ck_assert_status(chk_at(t, INT64_MIN), JWT_OK);
    ck_assert_status(chk_at(tok("{\"exp\":253402300799}"), INT64_MAX),
                     JWT_ERR_EXPIRED);
    ck_assert_status(chk_at(tok("{\"exp\":0}"), 0), JWT_OK);
    ck_assert_status(chk_at(tok("{\"exp\":0}"), 30), JWT_ERR_EXPIRED);
}
END_TEST

START_TEST(st_not_yet_valid)
{
    char *t = tok(apr_psprintf(tu_pool, "{\"exp\":" I64 ",\"nbf\":" I64 "}",
                               NOW + 5000, NOW));

    /* now + leeway < nbf */
    ck_assert_status(chk_at(t, NOW - 31), JWT_ERR_NOT_YET_VALID);
    ck_assert_status(chk_at(t, NOW - 30), JWT_OK);
    ck_assert_status(chk_at(t, NOW), JWT_OK);
    R.leeway = 0;
    ck_assert_status(chk_at(t, NOW - 1), JWT_ERR_NOT_YET_VALID);
    ck_assert_status(chk_at(t, NOW), JWT_OK);
    R.leeway = INT64_MAX;
    ck_assert_status_in(chk_at(t, INT64_MIN), 2, JWT_OK,
                        JWT_ERR_NOT_YET_VALID);
    ck_assert_status(chk_at(t, NOW - 1000000), JWT_OK);
}
END_TEST

START_TEST(st_issued_in_future)
{
    char *t = tok(apr_psprintf(tu_pool, "{\"exp\":" I64 ",\"iat\":" I64 "}",
                               NOW + 5000, NOW));

    /* iat > now + leeway */
    ck_assert_status(chk_at(t, NOW - 31), JWT_ERR_ISSUED_IN_FUTURE);
    ck_assert_status(chk_at(t, NOW - 30), JWT_OK);
    R.leeway = 0;
    ck_assert_status(chk_at(t, NOW - 1), JWT_ERR_ISSUED_IN_FUTURE);
    ck_assert_status(chk_at(t, NOW), JWT_OK);
}
END_TEST

START_TEST(st_ttl)
{
    R.max_ttl = 600;
    /* exp - now > max_ttl + leeway */
    ck_claims("", JWT_ERR_TTL);     /* exp = NOW + 3600 */
    ck_chk(tok(apr_psprintf(tu_pool, "{\"exp\":" I64 "}",
                            NOW + 630)), JWT_OK);
    ck_chk(tok(apr_psprintf(tu_pool, "{\"exp\":" I64 "}",
                            NOW + 631)), JWT_ERR_TTL);
    /* exp - iat > max_ttl */
    ck_chk(tok(apr_psprintf(tu_pool, "{\"exp\":" I64 ",\"iat\":" I64 "}",
                            NOW + 100, NOW - 1000)),
           JWT_ERR_TTL);
    ck_chk(tok(apr_psprintf(tu_pool, "{\"exp\":" I64 ",\"iat\":" I64 "}",
                            NOW + 100, NOW - 500)),
           JWT_OK);
    /* no exp at all lives forever: longer than any max TTL */
    R.required = tu_strs(tu_pool, NULL);
    ck_chk(tok("{\"sub\":\"alice\"}"), JWT_ERR_TTL);
    R.max_ttl = 0;
    ck_chk(tok("{\"sub\":\"alice\"}"), JWT_OK);
    ck_claims("", JWT_OK);
}
END_TEST

START_TEST(st_issuer)
{
    static const char *const wrong[] = {
        /* E3: prefix, superstring, case, trailing slash, spaces */
        "\"https://idp.example.evil\"", "\"https://idp\"",
        "\"HTTPS://IDP.EXAMPLE\"", "\"https://idp.example/\"",
        "\" https://idp.example\"", "\"https://idp.example \"",
        "\"\"", "\"https://idp.exampl\"", "\"http\"", NULL
    };
    int i;

    R.issuers = tu_strs(tu_pool, "https://idp.example",
                        "https://second.example", NULL);
    ck_claims("\"iss\":\"https://idp.example\"", JWT_OK);
    ck_claims("\"iss\":\"https://second.example\"", JWT_OK);
    for (i = 0; wrong[i] != NULL; i++) {
        char *x = apr_pstrcat(tu_pool, "\"iss\":", wrong[i], NULL);

        ck_assert_msg(chk(tok(claims(x))) == JWT_ERR_ISSUER, "iss %s",
                      wrong[i]);
    }
    ck_claims("", JWT_ERR_ISSUER);
    /* not configured: any issuer */
    R.issuers = NULL;
    ck_claims("\"iss\":\"https://whoever.example\"", JWT_OK);
    R.issuers = tu_strs(tu_pool, NULL);
    ck_claims("\"iss\":\"https://whoever.example\"", JWT_OK);
}
END_TEST

START_TEST(st_audience)
{
    static const char *const wrong[] = {
        "\"other\"", "\"API\"", "\"api \"", "\" api\"", "\"\"", "\"ap\"",
        "\"apis\"", "[\"other\"]", "[\"API\",\"x\"]", "[\"\"]", NULL
    };
    int i;

    R.audiences = tu_strs(tu_pool, "api", "https://api.example", NULL);
    ck_claims("\"aud\":\"api\"", JWT_OK);
    ck_claims("\"aud\":\"https://api.example\"", JWT_OK);
    ck_claims("\"aud\":[\"other\",\"api\"]", JWT_OK);
    ck_claims("\"aud\":[\"api\"]", JWT_OK);
    for (i = 0; wrong[i] != NULL; i++) {
        char *x = apr_pstrcat(tu_pool, "\"aud\":", wrong[i], NULL);

        ck_assert_msg(chk(tok(claims(x))) == JWT_ERR_AUDIENCE, "aud %s: %s",
                      wrong[i], jwt_status_name(chk(tok(claims(x)))));
    }
    ck_claims("", JWT_ERR_AUDIENCE);
    ck_claims("\"aud\":[]", JWT_ERR_CLAIM_TYPE);
    ck_claims("\"aud\":[123,\"api\"]", JWT_ERR_CLAIM_TYPE);
    /* "*" in a token's aud is just a string */
    ck_claims("\"aud\":\"*\"", JWT_ERR_AUDIENCE);
    /* not configured: RFC 7519 4.1.3, a token that carries aud is refused,
     * whatever it names (but still typed first); without aud it passes */
    R.audiences = NULL;
    ck_claims("\"aud\":\"whatever\"", JWT_ERR_AUDIENCE_NOT_CONFIGURED);
    ck_claims("\"aud\":[\"api\",\"x\"]", JWT_ERR_AUDIENCE_NOT_CONFIGURED);
    ck_claims("\"aud\":\"\"", JWT_ERR_AUDIENCE_NOT_CONFIGURED);
    ck_claims("\"aud\":\"*\"", JWT_ERR_AUDIENCE_NOT_CONFIGURED);
    ck_claims("\"aud\":[123]", JWT_ERR_CLAIM_TYPE);
    ck_claims("", JWT_OK);
    R.audiences = tu_strs(tu_pool, NULL);
    ck_claims("\"aud\":\"whatever\"", JWT_ERR_AUDIENCE_NOT_CONFIGURED);
    ck_claims("", JWT_OK);
    /* "*" alone: any audience, or none, explicitly */
    R.audiences = tu_strs(tu_pool, JWT_AUDIENCE_ANY, NULL);
    ck_assert(jwt_audience_any(R.audiences));
    ck_claims("\"aud\":\"whatever\"", JWT_OK);
    ck_claims("\"aud\":[\"a\",\"b\"]", JWT_OK);
    ck_claims("", JWT_OK);
    ck_claims("\"aud\":[123]", JWT_ERR_CLAIM_TYPE);
    /* "*" among others is no wildcard (the directive refuses that) */
    R.audiences = tu_strs(tu_pool, "api", JWT_AUDIENCE_ANY, NULL);
    ck_assert(!jwt_audience_any(R.audiences));
    ck_claims("\"aud\":\"whatever\"", JWT_ERR_AUDIENCE);
    ck_assert(!jwt_audience_any(NULL));
    ck_assert(!jwt_audience_any(tu_strs(tu_pool, "**", NULL)));
    ck_assert_str_eq(jwt_status_description(JWT_ERR_AUDIENCE_NOT_CONFIGURED),
                     "audience not configured");
    ck_assert_int_eq(jwt_status_info(JWT_ERR_AUDIENCE_NOT_CONFIGURED)
                     ->http_status, 401);
}
END_TEST

START_TEST(st_type)
{
    static const char *const ok[] = {
        "at+jwt", "application/at+jwt", "AT+JWT", "Application/At+Jwt",
        "APPLICATION/AT+JWT", NULL
    };
    static const char *const bad[] = {
        "JWT", "at+jwt ", " at+jwt", "application/", "xapplication/at+jwt",
        "application/jwt", "at+jwt/application", "application/application/"
        "at+jwt", "", "at", NULL
    };
    int i;

    R.types = tu_strs(tu_pool, "at+jwt", NULL);
    for (i = 0; ok[i] != NULL; i++) {
        char *h = apr_psprintf(tu_pool, "{\"alg\":\"HS256\",\"typ\":\"%s\"}",
                               ok[i]);

        ck_assert_msg(chk(tokh(h, claims(""))) == JWT_OK, "typ %s", ok[i]);
    }
    for (i = 0; bad[i] != NULL; i++) {
        char *h = apr_psprintf(tu_pool, "{\"alg\":\"HS256\",\"typ\":\"%s\"}",
                               bad[i]);

        ck_assert_msg(chk(tokh(h, claims(""))) == JWT_ERR_TYPE, "typ %s",
                      bad[i]);
    }
    ck_chk(tokh("{\"alg\":\"HS256\"}", claims("")), JWT_ERR_TYPE);
    /* the configured value is normalised too */
    R.types = tu_strs(tu_pool, "application/AT+JWT", NULL);
    ck_chk(tokh("{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", claims("")),
           JWT_OK);
    R.types = tu_strs(tu_pool, "JWT", "at+jwt", NULL);
    ck_chk(tokh("{\"alg\":\"HS256\",\"typ\":\"jwt\"}", claims("")), JWT_OK);
    ck_chk(tokh("{\"alg\":\"HS256\",\"typ\":\"dpop+jwt\"}", claims("")),
           JWT_ERR_TYPE);
    /* not configured: any typ, or none */
    R.types = NULL;
    ck_chk(tokh("{\"alg\":\"HS256\",\"typ\":\"whatever\"}", claims("")),
           JWT_OK);
    ck_chk(tokh("{\"alg\":\"HS256\"}", claims("")), JWT_OK);
}
END_TEST

START_TEST(st_user_claim)
{
    R.user_claim = "sub";
    ck_claims("", JWT_OK);
    ck_chk(tok("{\"exp\":1800000000}"), JWT_ERR_USER_CLAIM);
    ck_chk(tok("{\"exp\":1800000000,\"sub\":\"\"}"), JWT_ERR_USER_CLAIM);
    ck_chk(tok("{\"exp\":1800000000,\"sub\":\"ali\\nce\"}"),
           JWT_ERR_USER_CLAIM);
    ck_chk(tok("{\"exp\":1800000000,\"sub\":\"ali\\rce\"}"),
           JWT_ERR_USER_CLAIM);
    ck_chk(tok("{\"exp\":1800000000,\"sub\":\"ali\\u007fce\"}"),
           JWT_ERR_USER_CLAIM);
    ck_chk(tok("{\"exp\":1800000000,\"sub\":\"ali\\tce\"}"),
           JWT_ERR_USER_CLAIM);
    ck_chk(tok("{\"exp\":1800000000,"
               "\"sub\":\"Ren\xc3\xa9" "e M\xc3\xbcller\"}"), JWT_OK);
    ck_chk(tok("{\"exp\":1800000000,\"sub\":5}"), JWT_ERR_CLAIM_TYPE);
    R.user_claim = "email";
    ck_claims("\"email\":\"alice@example.com\"", JWT_OK);
    ck_claims("\"email\":5", JWT_ERR_USER_CLAIM);
    ck_claims("\"email\":[\"a@b\"]", JWT_ERR_USER_CLAIM);
    ck_claims("\"email\":null", JWT_ERR_USER_CLAIM);
    ck_claims("", JWT_ERR_USER_CLAIM);
    R.user_claim = "profile.name";
    ck_claims("\"profile\":{\"name\":\"Alice\"}", JWT_OK);
    ck_claims("\"profile\":{\"nick\":\"Alice\"}", JWT_ERR_USER_CLAIM);
}
END_TEST

/* -------------------------------------------------------- claim model -- */

START_TEST(claim_paths)
{
    json_t *c = tu_json(tu_pool,
        "{\"sub\":\"a\",\"realm_access\":{\"roles\":[\"admin\",\"user\"]},"
        "\"a.b\":\"dotted\",\"a\":{\"b\":\"nested\"},\"n\":{\"m\":null},"
        "\"s\":\"str\",\"x\":{\"y\":{\"z\":1}}}");
    json_t *deep = tu_json(tu_pool, "{}"), *cur = deep;
    char path[256] = "";
    int i;

    ck_assert_ptr_nonnull(jwt_claim_get(c, "realm_access.roles"));
    ck_assert(json_is_array(jwt_claim_get(c, "realm_access.roles")));
    ck_assert_int_eq(json_integer_value(jwt_claim_get(c, "x.y.z")), 1);
    /* a member whose name has a dot is found first */
    ck_assert_str_eq(json_string_value(jwt_claim_get(c, "a.b")), "dotted");
    ck_assert_str_eq(json_string_value(jwt_claim_get(c, "sub")), "a");
    ck_assert_ptr_null(jwt_claim_get(c, "missing"));
    ck_assert_ptr_null(jwt_claim_get(c, "realm_access.missing"));
    ck_assert_ptr_null(jwt_claim_get(c, "s.length"));
    ck_assert_ptr_null(jwt_claim_get(c, "realm_access.roles.0"));
    ck_assert_ptr_null(jwt_claim_get(c, ""));
    ck_assert_ptr_null(jwt_claim_get(c, "."));
    ck_assert_ptr_null(jwt_claim_get(c, "x..y"));
    ck_assert_ptr_null(jwt_claim_get(c, ".x"));
    ck_assert_ptr_null(jwt_claim_get(c, "x.y."));
    ck_assert_ptr_null(jwt_claim_get(c, NULL));
    ck_assert_ptr_null(jwt_claim_get(NULL, "sub"));
    ck_assert(json_is_null(jwt_claim_get(c, "n.m")));
    /* F5: a depth cap of JWT_MAX_CLAIM_DEPTH */
    for (i = 0; i < JWT_MAX_CLAIM_DEPTH + 4; i++) {
        json_t *next = json_object();

        json_object_set_new(cur, "a", next);
        cur = next;
    }
    json_object_set_new(cur, "leaf", json_true());
    for (i = 1; i <= JWT_MAX_CLAIM_DEPTH + 4; i++) {
        strcat(path, i == 1 ? "a" : ".a");
        if (i <= JWT_MAX_CLAIM_DEPTH) {
            ck_assert_msg(jwt_claim_get(deep, path) != NULL, "depth %d", i);
        }
        else {
            ck_assert_msg(jwt_claim_get(deep, path) == NULL, "depth %d", i);
        }
    }
}
END_TEST

START_TEST(claim_text)
{
    json_t *c = tu_json(tu_pool,
        "{\"s\":\"alice\",\"i\":42,\"neg\":-7,\"r\":1.5,\"t\":true,"
        "\"f\":false,\"n\":null,\"a\":[\"read\",\"write\"],\"e\":[],"
        "\"mixed\":[\"a\",1],\"o\":{\"k\":\"v\"},\"big\":9007199254740993,"
        "\"u\":\"caf\\u00e9\"}");

    ck_assert_str_eq(jwt_claim_text(tu_pool, json_object_get(c, "s")),
                     "alice");
    ck_assert_str_eq(jwt_claim_text(tu_pool, json_object_get(c, "i")), "42");
    ck_assert_str_eq(jwt_claim_text(tu_pool, json_object_get(c, "neg")),
                     "-7");
    ck_assert_str_eq(jwt_claim_text(tu_pool, json_object_get(c, "r")),
                     "1.5");
    ck_assert_str_eq(jwt_claim_text(tu_pool, json_object_get(c, "t")),
                     "true");
    ck_assert_str_eq(jwt_claim_text(tu_pool, json_object_get(c, "f")),
                     "false");
    ck_assert_str_eq(jwt_claim_text(tu_pool, json_object_get(c, "a")),
                     "read write");
    ck_assert_str_eq(jwt_claim_text(tu_pool, json_object_get(c, "e")), "");
    ck_assert_str_eq(jwt_claim_text(tu_pool, json_object_get(c, "big")),
                     "9007199254740993");
    ck_assert_str_eq(jwt_claim_text(tu_pool, json_object_get(c, "u")),
                     "caf\xc3\xa9");
    ck_assert_ptr_null(jwt_claim_text(tu_pool, json_object_get(c, "n")));
    ck_assert_ptr_null(jwt_claim_text(tu_pool, json_object_get(c, "mixed")));
    ck_assert_ptr_null(jwt_claim_text(tu_pool, json_object_get(c, "o")));
    ck_assert_ptr_null(jwt_claim_text(tu_pool, NULL));
}
END_TEST

START_TEST(claim_matches)
{
    json_t *c = tu_json(tu_pool,
        "{\"role\":\"admin\",\"roles\":[\"user\",\"admin\",5,true],"
        "\"n\":5,\"r\":2.5,\"t\":true,\"f\":false,\"z\":null,"
        "\"o\":{\"admin\":1},\"nest\":[[\"admin\"],{\"admin\":1}],"
        "\"e\":\"\"}");
    json_t *role = json_object_get(c, "role");
    json_t *roles = json_object_get(c, "roles");

    ck_assert_int_eq(jwt_claim_matches(role, "admin"), 1);
    ck_assert_int_eq(jwt_claim_matches(role, "Admin"), 0);
    ck_assert_int_eq(jwt_claim_matches(role, "admin "), 0);
    ck_assert_int_eq(jwt_claim_matches(role, "adm"), 0);
    ck_assert_int_eq(jwt_claim_matches(role, "administrator"), 0);
    ck_assert_int_eq(jwt_claim_matches(role, ""), 0);
    ck_assert_int_eq(jwt_claim_matches(roles, "admin"), 1);
    ck_assert_int_eq(jwt_claim_matches(roles, "user"), 1);
    ck_assert_int_eq(jwt_claim_matches(roles, "5"), 1);
    ck_assert_int_eq(jwt_claim_matches(roles, "true"), 1);
    ck_assert_int_eq(jwt_claim_matches(roles, "user admin"), 0);
    ck_assert_int_eq(jwt_claim_matches(roles, "root"), 0);
    ck_assert_int_eq(jwt_claim_matches(json_object_get(c, "n"), "5"), 1);
    ck_assert_int_eq(jwt_claim_matches(json_object_get(c, "n"), "5.0"), 0);
    ck_assert_int_eq(jwt_claim_matches(json_object_get(c, "n"), "05"), 0);
    ck_assert_int_eq(jwt_claim_matches(json_object_get(c, "r"), "2.5"), 1);
    ck_assert_int_eq(jwt_claim_matches(json_object_get(c, "t"), "true"), 1);
    ck_assert_int_eq(jwt_claim_matches(json_object_get(c, "t"), "True"), 0);
    ck_assert_int_eq(jwt_claim_matches(json_object_get(c, "t"), "1"), 0);
    ck_assert_int_eq(jwt_claim_matches(json_object_get(c, "f"), "false"), 1);
    ck_assert_int_eq(jwt_claim_matches(json_object_get(c, "z"), "null"), 0);
    ck_assert_int_eq(jwt_claim_matches(json_object_get(c, "z"), ""), 0);
    ck_assert_int_eq(jwt_claim_matches(json_object_get(c, "o"), "admin"), 0);
    ck_assert_int_eq(jwt_claim_matches(json_object_get(c, "nest"), "admin"),
                     0);
    ck_assert_int_eq(jwt_claim_matches(json_object_get(c, "e"), ""), 1);
    ck_assert_int_eq(jwt_claim_matches(NULL, "admin"), 0);
    ck_assert_int_eq(jwt_claim_matches(role, NULL), 0);
    ck_assert_int_eq(jwt_claim_matches(jwt_claim_get(
                         tu_json(tu_pool, "{\"realm_access\":{\"roles\":"
                                 "[\"admin\"]}}"), "realm_access.roles"),
                         "admin"), 1);
}
END_TEST

static int has_scope(const apr_array_header_t *a, const char *s)
{
    int i;

    for (i = 0; i < a->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(a, i, const char *), s) == 0) {
            return 1;
        }
    }
    return 0;
}

START_TEST(scopes)
{
    apr_array_header_t *s;
    json_t *c;

    c = tu_json(tu_pool, "{\"scope\":\"read  write   admin \"}");
    s = jwt_scopes(tu_pool, c, NULL);
    ck_assert_int_eq(s->nelts, 3);
    ck_assert(has_scope(s, "read") && has_scope(s, "write")
              && has_scope(s, "admin"));
    ck_assert(!has_scope(s, ""));
    ck_assert_int_eq(jwt_scopes_include(s, tu_strs(tu_pool, "read", "admin",
                                                   NULL)), 1);
    ck_assert_int_eq(jwt_scopes_include(s, tu_strs(tu_pool, "read", "root",
                                                   NULL)), 0);
    ck_assert_int_eq(jwt_scopes_include(s, tu_strs(tu_pool, NULL)), 1);
    /* exact, case-sensitive tokens: no substring, no prefix (E4) */
    c = tu_json(tu_pool, "{\"scope\":\"readadmin ADMIN admin:all\"}");
    s = jwt_scopes(tu_pool, c, NULL);
    ck_assert_int_eq(s->nelts, 3);
    ck_assert_int_eq(jwt_scopes_include(s, tu_strs(tu_pool, "admin", NULL)),
                     0);
    ck_assert_int_eq(jwt_scopes_include(s, tu_strs(tu_pool, "read", NULL)),
                     0);
    /* a tab is part of a scope, not a separator (RFC 6749 3.3) */
    c = tu_json(tu_pool, "{\"scope\":\"read\\tadmin\"}");
    s = jwt_scopes(tu_pool, c, NULL);
    ck_assert_int_eq(s->nelts, 1);
    ck_assert_int_eq(jwt_scopes_include(s, tu_strs(tu_pool, "admin", NULL)),
                     0);
    /* an array of strings */
    c = tu_json(tu_pool, "{\"scope\":[\"read\",\"write\"]}");
    s = jwt_scopes(tu_pool, c, NULL);
    ck_assert_int_eq(s->nelts, 2);
    ck_assert_int_eq(jwt_scopes_include(s, tu_strs(tu_pool, "write", "read",
                                                   NULL)), 1);
    /* scp when scope is absent, and only then */
    c = tu_json(tu_pool, "{\"scp\":[\"admin\"]}");
    s = jwt_scopes(tu_pool, c, NULL);
    ck_assert_int_eq(s->nelts, 1);
    ck_assert(has_scope(s, "admin"));
    c = tu_json(tu_pool, "{\"scope\":\"read\",\"scp\":[\"admin\"]}");
    s = jwt_scopes(tu_pool, c, NULL);
    ck_assert_int_eq(s->nelts, 1);
    ck_assert(!has_scope(s, "admin"));
    /* AuthJWTScopeClaim names the claim; no fallback then */
    c = tu_json(tu_pool, "{\"scope\":\"read\",\"perms\":\"admin write\","
                "\"x\":{\"s\":\"deep\"}}");
    s = jwt_scopes(tu_pool, c, "perms");
    ck_assert_int_eq(s->nelts, 2);
    ck_assert(has_scope(s, "admin") && !has_scope(s, "read"));
    s = jwt_scopes(tu_pool, c, "x.s");
    ck_assert(has_scope(s, "deep"));
    s = jwt_scopes(tu_pool, c, "nothing");
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(s->nelts, 0);
    /* ill-typed: none */
    c = tu_json(tu_pool, "{\"scope\":5}");
    ck_assert_int_eq(jwt_scopes(tu_pool, c, NULL)->nelts, 0);
    c = tu_json(tu_pool, "{\"scope\":{\"admin\":true}}");
    ck_assert_int_eq(jwt_scopes(tu_pool, c, NULL)->nelts, 0);
    c = tu_json(tu_pool, "{\"scope\":\"\"}");
    ck_assert_int_eq(jwt_scopes(tu_pool, c, NULL)->nelts, 0);
    c = tu_json(tu_pool, "{\"scope\":[\"admin\",[\"root\"],5]}");
    s = jwt_scopes(tu_pool, c, NULL);
    ck_assert(!has_scope(s, "root"));
    ck_assert_int_eq(jwt_scopes_include(s, tu_strs(tu_pool, "5", NULL)), 0);
    c = tu_json(tu_pool, "{}");
    ck_assert_int_eq(jwt_scopes(tu_pool, c, NULL)->nelts, 0);
    ck_assert_int_eq(jwt_scopes_include(jwt_scopes(tu_pool, c, NULL),
                                        tu_strs(tu_pool, "read", NULL)), 0);
}
END_TEST

/* CLAIMS (JSON text) as jwt_parse reads them from a token (which it does
 * not verify: the signature segment is a stand-in). */
static jwt_t *parsed(const char *claims_json)
{
    static const char hdr[] = "{\"alg\":\"HS256\"}";
    const char *t = apr_pstrcat(
        tu_pool, jose_b64url_encode(tu_pool, (const unsigned char *)hdr,
                                    sizeof(hdr) - 1),
        ".", jose_b64url_encode(tu_pool, (const unsigned char *)claims_json,
                                strlen(claims_json)),
        ".AAAA", NULL);
    jwt_t *jwt = NULL;

    ck_assert_status(jwt_parse(&jwt, tu_pool, t, strlen(t), NULL), JWT_OK);
    return jwt;
}

/* jwt_scope_text (JWT_SCOPE) is jwt_scopes joined by one space, whether
 * it takes the string as it is or splits and joins it; the token form
 * (from the claims jwt_parse found) gives the same text. */
START_TEST(scope_text)
{
    static const char *const cases[][3] = {
        /* claims, AuthJWTScopeClaim, JWT_SCOPE (NULL: not set) */
        { "{\"scope\":\"read write\"}", NULL, "read write" },
        { "{\"scope\":\"read\"}", NULL, "read" },
        { "{\"scope\":\"read  write   admin \"}", NULL,
          "read write admin" },
        { "{\"scope\":\" read\"}", NULL, "read" },
        { "{\"scope\":\"read \"}", NULL, "read" },
        { "{\"scope\":\"read\\tadmin\"}", NULL, "read\tadmin" },
        { "{\"scope\":\"\"}", NULL, NULL },
        { "{\"scope\":\"   \"}", NULL, NULL },
        { "{\"scope\":[\"read\",\"\",\"write\"]}", NULL, "read write" },
        { "{\"scope\":[]}", NULL, NULL },
        { "{\"scope\":5}", NULL, NULL },
        { "{\"scp\":\"a b\"}", NULL, "a b" },
        { "{\"scope\":\"r\",\"scp\":\"a b\"}", NULL, "r" },
        { "{\"perms\":\"x  y\",\"scope\":\"r\"}", "perms", "x y" },
        { "{\"scope\":\"r\"}", "perms", NULL },
        { "{\"scp\":\"a b\",\"scope\":\"r\"}", NULL, "r" },
        { "{\"scope\":null,\"scp\":\"a b\"}", NULL, NULL },
        { "{\"scopes\":\"r\",\"Scope\":\"s\",\"sc\":\"t\"}", NULL, NULL },
        { "{}", NULL, NULL },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *c = tu_json(tu_pool, cases[i][0]);
        const char *got = jwt_scope_text(tu_pool, c, cases[i][1]);
        apr_array_header_t *s = jwt_scopes(tu_pool, c, cases[i][1]);

        ck_assert_pstr_eq(jwt_token_scope_text(tu_pool, parsed(cases[i][0]),
                                               cases[i][1]), got);
        if (cases[i][2] == NULL) {
            ck_assert_msg(got == NULL, "%s: got \"%s\"", cases[i][0], got);
            ck_assert_int_eq(s->nelts, 0);
        }
        else {
            ck_assert_msg(got != NULL && strcmp(got, cases[i][2]) == 0,
                          "%s: got \"%s\"", cases[i][0], got ? got : "NULL");
            ck_assert_str_eq(got, apr_array_pstrcat(tu_pool, s, ' '));
        }
    }
}
END_TEST

/* jwt_claims_have_scopes answers as jwt_scopes_include over jwt_scopes,
 * for every claim shape against every wanted list. */
START_TEST(have_scopes_agrees)
{
    static const char *const claims[] = {
        "{\"scope\":\"read write\"}", "{\"scope\":\"read\"}",
        "{\"scope\":\"  read   write admin \"}", "{\"scope\":\"\"}",
        "{\"scope\":\"   \"}", "{\"scope\":\"read\\tadmin\"}",
        "{\"scope\":\"readwrite\"}", "{\"scope\":\"rea\"}",
        "{\"scope\":[\"read\",\"\",\"write\"]}", "{\"scope\":[]}",
        "{\"scope\":[\"read write\"]}", "{\"scope\":[1,\"read\"]}",
        "{\"scope\":5}", "{\"scope\":null}", "{\"scp\":\"read x\"}",
        "{\"scope\":\"x\",\"scp\":\"read\"}", "{\"perms\":\"read\"}",
        "{\"scp\":\"read\",\"scope\":\"x\"}", "{\"scopes\":\"read\"}",
        "{\"scope\":null,\"scp\":\"read\"}", "{}",
    };
    static const char *const wanted[][3] = {
        { NULL }, { "read" }, { "write" }, { "read", "write" },
        { "read", "admin" }, { "" }, { "read write" }, { "rea" },
        { "read\tadmin" }, { "x" }, { "admin", "read", "write" },
    };
    static const char *const claim_names[] = { NULL, "scope", "perms" };
    size_t c, w, k, i;

    for (c = 0; c < sizeof(claims) / sizeof(claims[0]); c++) {
        json_t *js = tu_json(tu_pool, claims[c]);
        const jwt_t *jt = parsed(claims[c]);

        for (k = 0; k < 3; k++) {
            apr_array_header_t *have = jwt_scopes(tu_pool, js,
                                                  claim_names[k]);

            for (w = 0; w < sizeof(wanted) / sizeof(wanted[0]); w++) {
                apr_array_header_t *want =
                    apr_array_make(tu_pool, 3, sizeof(const char *));

                for (i = 0; i < 3 && wanted[w][i] != NULL; i++) {
                    APR_ARRAY_PUSH(want, const char *) = wanted[w][i];
                }
                ck_assert_int_eq(jwt_token_has_scopes(jt, claim_names[k],
                                                      want),
                                 jwt_claims_have_scopes(js, claim_names[k],
                                                        want));
                ck_assert_msg(jwt_claims_have_scopes(js, claim_names[k],
                                                     want)
                              == jwt_scopes_include(have, want),
                              "%s, claim %s, wanted #%zu", claims[c],
                              claim_names[k] ? claim_names[k] : "(default)",
                              w);
            }
        }
    }
}
END_TEST

/* RFC 6749 section 3.3: a scope-token is never empty, so "" in an array
 * is no scope, as the runs of spaces in a string give none. */
START_TEST(scopes_empty_member)
{
    apr_array_header_t *s;
    json_t *c;

    c = tu_json(tu_pool, "{\"scp\":[\"read\",\"\",\"write\"]}");
    s = jwt_scopes(tu_pool, c, NULL);
    ck_assert_int_eq(s->nelts, 2);
    ck_assert(has_scope(s, "read") && has_scope(s, "write"));
    ck_assert(!has_scope(s, ""));
    ck_assert_int_eq(jwt_scopes_include(s, tu_strs(tu_pool, "", NULL)), 0);
    c = tu_json(tu_pool, "{\"scope\":[\"\"]}");
    ck_assert_int_eq(jwt_scopes(tu_pool, c, NULL)->nelts, 0);
}
END_TEST

START_TEST(scope_split)
{
    apr_array_header_t *s;

    s = jwt_scope_split(tu_pool, "  read write  read ");
    ck_assert_int_eq(s->nelts, 3);
    ck_assert_str_eq(APR_ARRAY_IDX(s, 0, const char *), "read");
    ck_assert_str_eq(APR_ARRAY_IDX(s, 1, const char *), "write");
    ck_assert_str_eq(APR_ARRAY_IDX(s, 2, const char *), "read");
    /* only %x20 separates; the grammar is the caller's check */
    s = jwt_scope_split(tu_pool, "a\tb\"c");
    ck_assert_int_eq(s->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(s, 0, const char *), "a\tb\"c");
    ck_assert_int_eq(jwt_scope_split(tu_pool, "   ")->nelts, 0);
    ck_assert_int_eq(jwt_scope_split(tu_pool, "")->nelts, 0);
    ck_assert_int_eq(jwt_scope_split(tu_pool, NULL)->nelts, 0);

    ck_assert_int_eq(jwt_is_scope_token("read:all"), 1);
    ck_assert_int_eq(jwt_is_scope_token("!#[]~"), 1);
    ck_assert_int_eq(jwt_is_scope_token(""), 0);
    ck_assert_int_eq(jwt_is_scope_token(NULL), 0);
    ck_assert_int_eq(jwt_is_scope_token("a b"), 0);
    ck_assert_int_eq(jwt_is_scope_token("a\tb"), 0);
    ck_assert_int_eq(jwt_is_scope_token("a\"b"), 0);
    ck_assert_int_eq(jwt_is_scope_token("a\\b"), 0);
    ck_assert_int_eq(jwt_is_scope_token("a\x7f"), 0);
    ck_assert_int_eq(jwt_is_scope_token("caf\xc3\xa9"), 0);
}
END_TEST

/* ------------------------------------------------------ flat claims - */

/* The string S as JSON text, as jose_json_dump writes it. */
static const char *str_text(const char *s)
{
    json_t *j = json_string(s);
    const char *t;

    ck_assert_ptr_nonnull(j);
    t = jose_json_dump(tu_pool, j, NULL);
    json_decref(j);
    return t;
}

/* A claim as text, for comparing the two readings: NULL when absent. */
static const char *ref_text(jwt_ref_t v)
{
    if (v.flat != NULL) {
        switch (v.flat->kind) {
        case JOSE_MEMBER_STRING:
            return str_text(v.flat->str);
        case JOSE_MEMBER_INT:
            return apr_psprintf(tu_pool, "%" APR_INT64_T_FMT,
                                (apr_int64_t)v.flat->i);
        case JOSE_MEMBER_TRUE:
            return "true";
        case JOSE_MEMBER_FALSE:
            return "false";
        case JOSE_MEMBER_NULL:
            return "null";
        case JOSE_MEMBER_ARRAY: {
            /* jose_json_dump's compact form */
            const char *out = "[", *s;
            size_t pos = 0, len;

            ck_assert(v.flat->strings);
            while (jwt_ref_array_next(v, &pos, &s, &len)) {
                ck_assert_ptr_nonnull(s);
                ck_assert_uint_eq(strlen(s), len);
                out = apr_pstrcat(tu_pool, out, out[1] ? "," : "",
                                  str_text(s), NULL);
            }
            return apr_pstrcat(tu_pool, out, "]", NULL);
        }
        default:
            ck_abort_msg("a member of no kind");
        }
    }
    if (v.json == NULL) {
        return NULL;
    }
    return jose_json_dump(tu_pool, v.json, NULL);
}

static void ck_same_str(const char *a, const char *b, const char *what,
                        const char *json)
{
    ck_assert_msg((a == NULL && b == NULL)
                  || (a != NULL && b != NULL && strcmp(a, b) == 0),
                  "%s differs for %s: %s / %s", what, json,
                  a ? a : "(null)", b ? b : "(null)");
}

/* Everything the module reads of a token, the same from A (jansson) and
 * B (read flat where it could be). */
static void ck_same_token(const jwt_t *a, const jwt_t *b, const char *json)
{
    static const char *const paths[] = {
        "sub", "iss", "aud", "scope", "scp", "roles", "a.b", "a", "x", "",
        "exp", "n", "t", "f", "u", "e", "g", NULL
    };
    static const char *const wanted[][3] = {
        { "read", NULL }, { "read", "write", NULL }, { "x", NULL },
        { "", NULL }, { NULL }
    };
    jwt_claim_iter_t ia, ib;
    const char *ka, *kb;
    jwt_ref_t va, vb;
    int i, j, more;

    ck_assert_msg(!a->flat, "%s", json);
    ck_assert_int_eq(a->has_exp, b->has_exp);
    ck_assert_int_eq(a->has_nbf, b->has_nbf);
    ck_assert_int_eq(a->has_iat, b->has_iat);
    ck_assert_int_eq(a->exp, b->exp);
    ck_assert_int_eq(a->nbf, b->nbf);
    ck_assert_int_eq(a->iat, b->iat);
    ck_same_str(a->iss, b->iss, "iss", json);
    ck_same_str(a->sub, b->sub, "sub", json);
    ck_same_str(a->jti, b->jti, "jti", json);
    ck_same_str(ref_text(a->aud), ref_text(b->aud), "aud", json);
    ck_same_str(ref_text(a->scope), ref_text(b->scope), "scope", json);
    ck_same_str(ref_text(a->scp), ref_text(b->scp), "scp", json);
    for (i = 0; paths[i] != NULL; i++) {
        const char *claim = *paths[i] ? paths[i] : NULL;

        va = jwt_token_claim(a, paths[i]);
        vb = jwt_token_claim(b, paths[i]);
        ck_same_str(ref_text(va), ref_text(vb), paths[i], json);
        ck_assert_int_eq(jwt_ref_present(va), jwt_ref_present(vb));
        ck_same_str(jwt_ref_string(va, NULL), jwt_ref_string(vb, NULL),
                    paths[i], json);
        ck_same_str(jwt_ref_array_text(tu_pool, va),
                    jwt_ref_array_text(tu_pool, vb), paths[i], json);
        ck_same_str(jwt_token_scope_text(tu_pool, a, claim),
                    jwt_token_scope_text(tu_pool, b, claim), "scope text",
                    json);
        for (j = 0; wanted[j][0] != NULL; j++) {
            apr_array_header_t *w = tu_strs(tu_pool, wanted[j][0],
                                            wanted[j][1], NULL);

            ck_assert_msg(jwt_token_has_scopes(a, claim, w)
                          == jwt_token_has_scopes(b, claim, w),
                          "scopes %s of %s differ for %s", wanted[j][0],
                          paths[i], json);
        }
    }
    /* the same members in the same order */
    memset(&ia, 0, sizeof(ia));
    memset(&ib, 0, sizeof(ib));
    do {
        more = jwt_claims_next(a, &ia, &ka, &va);
        ck_assert_int_eq(more, jwt_claims_next(b, &ib, &kb, &vb));
        if (more) {
            ck_same_str(ka, kb, "member name", json);
            ck_same_str(ref_text(va), ref_text(vb), ka, json);
        }
    } while (more);
    ck_assert_msg(json_equal(a->claims, claims_obj(b)), "object of %s",
                  json);
}

/* Parse CLAIMS_JSON both ways and validate it under a few rule sets: the
 * same answers.  Returns whether it was read flat. */
static int both_readings(const char *claims_json)
{
    static const char hdr[] = "{\"alg\":\"HS256\"}";
    const char *t = apr_pstrcat(
        tu_pool, jose_b64url_encode(tu_pool, (const unsigned char *)hdr,
                                    sizeof(hdr) - 1),
        ".", jose_b64url_encode(tu_pool, (const unsigned char *)claims_json,
                                strlen(claims_json)),
        ".AAAA", NULL);
    jwt_rules_t r;
    jwt_t *a = NULL, *b = NULL, copy;
    jwt_status_t sa, sb;
    int k;

    jwt_rules_init(&r);
    sa = jwt_parse(&a, tu_pool, t, strlen(t), &r);
    r.claims_flat = 1;
    sb = jwt_parse(&b, tu_pool, t, strlen(t), &r);
    ck_assert_msg(sa == sb, "%s: %s / %s", claims_json, jwt_status_name(sa),
                  jwt_status_name(sb));
    if (sa != JWT_OK) {
        return 0;
    }
    ck_same_token(a, b, claims_json);
    for (k = 0; k < 6; k++) {
        jwt_rules_init(&r);
        switch (k) {
        case 1:
            r.audiences = tu_strs(tu_pool, "api", NULL);
            r.issuers = tu_strs(tu_pool, "https://idp", NULL);
            break;
        case 2:
            r.user_claim = "sub";
            r.audiences = tu_strs(tu_pool, "*", NULL);
            break;
        case 3:
            r.user_claim = "a.b";
            r.required = tu_strs(tu_pool, "exp", "n", NULL);
            break;
        case 4:
            r.required = tu_strs(tu_pool, "a.b", "u", NULL);
            r.leeway = 0;
            break;
        case 5:
            r.required = tu_strs(tu_pool, NULL);
            r.max_ttl = 3600;
            break;
        }
        sa = jwt_validate(a, &r, NOW);
        sb = jwt_validate(b, &r, NOW);
        ck_assert_msg(sa == sb, "%s, rules %d: %s / %s", claims_json, k,
                      jwt_status_name(sa), jwt_status_name(sb));
    }
    /* what the token cache keeps: B reading its own object again */
    copy = *b;
    copy.claims = NULL;
    ck_assert_status(jwt_use_claims(&copy, jwt_claims_object(b)), JWT_OK);
    jose_json_pool_own(tu_pool, copy.claims);
    ck_assert(!copy.flat && copy.members == NULL);
    ck_same_token(&copy, b, claims_json);
    return b->flat;
}

/* The claims read flat (rules->claims_flat, the module's request path)
 * give every answer jansson's object gives: fields, claims by name and
 * path, scopes, the members in order, the object made again, validation
 * under several rule sets.  Flat is used exactly for the shape it takes,
 * and every single-byte change of each case agrees too. */
START_TEST(flat_agrees)
{
    static const struct {
        const char *json;
        int flat;
    } cases[] = {
        { "{\"sub\":\"bench-user\",\"iss\":\"https://idp\",\"aud\":\"api\","
          "\"iat\":1699999000,\"exp\":1700003600,\"scope\":\"read write\","
          "\"jti\":\"j-1\"}", 1 },
        { "{}", 1 },
        { " { \"sub\" : \"a\" , \"exp\" : 1700003600 } ", 1 },
        { "{\"scp\":\"read\",\"scope\":null,\"n\":0,\"t\":true,\"f\":false,"
          "\"u\":null}", 1 },
        { "{\"a.b\":\"dotted\",\"a\":\"x\",\"\":\"empty name\"}", 1 },
        { "{\"exp\":\"1700003600\"}", 0 },
        { "{\"exp\":253402300800}", 0 },
        { "{\"exp\":253402300799,\"nbf\":0,\"iat\":-1}", 0 },
        { "{\"aud\":[\"api\",\"other\"],\"sub\":\"a\"}", 1 },
        { "{\"aud\":[\"other\",\"api\"],\"iss\":\"https://idp\"}", 1 },
        { "{\"aud\":[\"other\"]}", 1 },
        { "{\"aud\":[],\"sub\":\"a\"}", 0 },
        { "{\"aud\":[\"api\",1]}", 0 },
        { "{\"scp\":[\"read\",\"write\"]}", 1 },
        { "{\"scp\":[\"read\",\"\",\" write\",\"write\"],\"e\":[]}", 1 },
        { "{\"scope\":[\"read\"],\"scp\":\"write\"}", 1 },
        { "{\"roles\":[ \"a\" , \"b\" ],\"g\":[\"x\",null]}", 0 },
        { "{\"g\":[true,false],\"sub\":\"a\"}", 0 },
        { "{\"u\":[\"a\"],\"n\":[\"1\"],\"sub\":[\"a\"]}", 0 },
        { "{\"x\":[\"a\"],\"a.b\":[\"c=d\"],\"a\":[]}", 1 },
        { "{\"aud\":123}", 0 },
        { "{\"aud\":null}", 0 },
        { "{\"sub\":true}", 0 },
        { "{\"iss\":7}", 0 },
        { "{\"a\":{\"b\":\"nested\"},\"sub\":\"x\"}", 0 },
        { "{\"sub\":\"caf\\u00e9\"}", 1 },
        /* escapes as PHP and Python write them, in strings and arrays */
        { "{\"iss\":\"https:\\/\\/idp\",\"aud\":[\"x\\\"y\",\"ap\\u0069\"],"
          "\"sub\":\"\\ud83d\\ude00\\\\\",\"exp\":1700003600}", 1 },
        { "{\"scope\":\"read\\u0020write\",\"scp\":[\"\\\"\",\"w\\/x\"],"
          "\"aud\":\"\\u0061pi\"}", 1 },
        { "{\"s\\u0075b\":\"a\"}", 0 },
        { "{\"sub\":\"a\\nb\",\"iss\":\"https:\\/\\/idp\"}", 0 },
        { "{\"sub\":\"\\ud800\"}", 0 },
        { "{\"sub\":\"caf\xc3\xa9\",\"scp\":[\"l\xc3\xa9\",\"\xe2\x82\xac\"],"
          "\"\xf0\x9f\x98\x80\":\"x\"}", 1 },
        { "{\"sub\":\"caf\xc3\"}", 0 },
        { "{\"sub\":\"tab\\there\"}", 0 },
        { "{\"exp\":1700003600.5}", 0 },
        { "{\"sub\":\"a\",\"sub\":\"b\"}", 0 },
        { "{\"scope\":\" read  write \"}", 1 },
        { "{\"scope\":\"\"}", 1 },
        { "{\"roles\":\"admin\",\"scope\":\"read\"}", 1 },
        { "[]", 0 },
        { "{\"sub\":\"a\"} x", 0 },
        { "{\"exp\":1700003600,\"nbf\":1700000000,\"iat\":1700000000,"
          "\"sub\":\"a\",\"iss\":\"https://idp\",\"aud\":\"api\"}", 1 },
    };
    static const char subst[] = "\"\\0x[]{},: \x7f";
    const char *many;
    size_t i, pos, c;
    int flat = 0;

    /* a case refused by both readings counts as not read flat: there is
     * no token to ask */
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *m = apr_pstrdup(tu_pool, cases[i].json);
        size_t len = strlen(m);

        ck_assert_msg(both_readings(cases[i].json) == cases[i].flat,
                      "read flat: %s", cases[i].json);
        for (pos = 0; pos < len; pos++) {
            for (c = 0; c < sizeof(subst) - 1; c++) {
                char old = m[pos];

                m[pos] = subst[c];
                flat += both_readings(m);
                m[pos] = old;
            }
        }
    }
    ck_assert_int_gt(flat, 100);
    /* JWT_FLAT_CLAIMS members are read flat, one more is jansson's */
    many = "\"m0\":0";
    for (i = 1; i < JWT_FLAT_CLAIMS; i++) {
        many = apr_psprintf(tu_pool, "%s,\"m%d\":%d", many, (int)i,
                            (int)i);
    }
    ck_assert_int_eq(both_readings(apr_psprintf(tu_pool, "{%s}", many)), 1);
    ck_assert_int_eq(both_readings(apr_psprintf(tu_pool, "{%s,\"x\":1}",
                                                many)), 0);
}
END_TEST

/* The status tests that run under either reading of the claims. */
static void add_status_tests(TCase *tc)
{
    tcase_add_test(tc, accepted_and_fields);
    tcase_add_test(tc, order_of_checks);
    tcase_add_test(tc, mutations_through_jwt_check);
    tcase_add_test(tc, every_character_replaced);
    tcase_add_test(tc, st_too_large);
    tcase_add_test(tc, st_malformed);
    tcase_add_test(tc, st_base64);
    tcase_add_test(tc, st_json);
    tcase_add_test(tc, st_header);
    tcase_add_test(tc, st_crit);
    tcase_add_test(tc, st_alg);
    tcase_add_test(tc, st_no_key);
    tcase_add_test(tc, st_signature);
    tcase_add_test(tc, st_nested);
    tcase_add_test(tc, rfc7520_6_nested);
    tcase_add_test(tc, rfc7519_a2_nested);
    tcase_add_test(tc, st_claim_type);
    tcase_add_test(tc, numeric_date_reals);
    tcase_add_test(tc, st_missing_claim);
    tcase_add_test(tc, st_required_list);
    tcase_add_test(tc, st_expired);
    tcase_add_test(tc, st_not_yet_valid);
    tcase_add_test(tc, st_issued_in_future);
    tcase_add_test(tc, st_ttl);
    tcase_add_test(tc, st_issuer);
    tcase_add_test(tc, st_audience);
    tcase_add_test(tc, st_type);
    tcase_add_test(tc, st_user_claim);
}

static Suite *jwt_suite(void)
{
    Suite *s = suite_create("jwt");
    TCase *tc;

    tc = tcase_create("check");
    tcase_add_checked_fixture(tc, setup, tu_teardown);
    tcase_set_timeout(tc, 120);
    add_status_tests(tc);
    /* the JWE refusals read no claims: once is enough */
    tcase_add_test(tc, st_encryption_required);
    tcase_add_test(tc, st_jwe_not_accepted);
    tcase_add_test(tc, st_decrypt);
    suite_add_tcase(s, tc);

    tc = tcase_create("check-flat");
    tcase_add_checked_fixture(tc, setup_flat, tu_teardown);
    tcase_set_timeout(tc, 120);
    add_status_tests(tc);
    tcase_add_test(tc, flat_agrees);
    suite_add_tcase(s, tc);

    tc = tcase_create("claims");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, claim_paths);
    tcase_add_test(tc, claim_text);
    tcase_add_test(tc, claim_matches);
    tcase_add_test(tc, scopes);
    tcase_add_test(tc, scope_text);
    tcase_add_test(tc, have_scopes_agrees);
    tcase_add_test(tc, scopes_empty_member);
    tcase_add_test(tc, scope_split);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tu_init();
    return tu_run(jwt_suite());
}
