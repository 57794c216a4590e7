/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * check_issue.c: unit tests of minting (include/jwt_issue.h), the core of
 * the module's jwt-issuer handler and of "htjwt sign".
 *
 * - jwt_issue for every key type: the exact protected header (alg from the
 *   key, kid its RFC 7638 thumbprint, typ JWT), the exact claims text in
 *   its documented order (RFC 7519 4.1), signature lengths (RFC 7518 3.4
 *   raw R||S), a round trip through jwt_check, and every signature bit
 *   flipped; registered names in the extra claims never
 *   override (doc/attacks.md H); lifetime bounds; keys that must not sign.
 * - the encrypt path: nested JWE (RFC 7519 5.2, cty JWT) with the default
 *   key management by key type, fresh CEK/IV per token, decrypted and
 *   verified by jwt_check.
 * - jwt_scope_grant (RFC 6749 3.3) and jwt_claim_name_sensitive.
 * - Known-answer signatures (doc/attacks.md H): RFC 7515 A.1 (HS256) and A.2
 *   (RS256) and RFC 8037 A.4 (Ed25519) re-created byte for byte by
 *   jose_sig_sign, RFC 7520 4.1/4.4 by jws_sign, and a whole HS256 token of
 *   jwt_issue against an independent computation (EVP_Q_mac, EVP_Q_digest,
 *   testutil's own base64url).
 */

#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "testutil.h"
#include "jwe.h"
#include "jwt_issue.h"

#define NOW INT64_C(1700000000)
#define I64 "%" APR_INT64_T_FMT
#define ISS "https://issuer.example"

/* ------------------------------------------------------------ helpers -- */

typedef struct {
    const char *key;            /* signing key fixture             */
    const char *pub;            /* its verification key            */
    const char *alg;            /* jwk_default_sign_alg            */
    size_t siglen;              /* exact signature length          */
} key_case_t;

static const key_case_t keys[] = {
    { "rsa2048.key.pem", "rsa2048.pub.pem", "RS256", 256 },
    { "rsa3072.key.pem", "rsa3072.pub.pem", "RS256", 384 },
    { "ec-p256.key.pem", "ec-p256.pub.pem", "ES256", 64 },
    { "ec-p384.key.pem", "ec-p384.pub.pem", "ES384", 96 },
    { "ec-p521.key.pem", "ec-p521.pub.pem", "ES512", 132 },
    { "ec-secp256k1.key.pem", "ec-secp256k1.pub.pem", "ES256K", 64 },
    { "ed25519.key.pem", "ed25519.pub.pem", "EdDSA", 64 },
    { "ed448.key.pem", "ed448.pub.pem", "EdDSA", 114 },
    { "secret:hs256.secret", "secret:hs256.secret", "HS256", 32 },
    { "secret:hs384.secret", "secret:hs384.secret", "HS384", 48 },
    { "secret:hs512.secret", "secret:hs512.secret", "HS512", 64 },
};
#define NKEYS ((int)(sizeof(keys) / sizeof(keys[0])))

/* The thumbprint jwcrypto computed for FILE (keys/thumbprints.txt). */
static const char *fixture_thumbprint(const char *file)
{
    char *text = tu_read_file(tu_pool, tu_key_path(tu_pool,
                                                   "thumbprints.txt"), NULL);
    char *line, *last;
    size_t n = strlen(file);

    for (line = apr_strtok(text, "\n", &last); line != NULL;
         line = apr_strtok(NULL, "\n", &last)) {
        if (strncmp(line, file, n) == 0 && line[n] == ' ') {
            return line + n + 1;
        }
    }
    return NULL;
}

/* RFC 7638 thumbprint of a secret, computed here: SHA-256 over
 * {"k":"..","kty":"oct"}. */
static const char *oct_thumbprint(const unsigned char *secret, size_t len)
{
    const char *json = apr_psprintf(tu_pool, "{\"k\":\"%s\",\"kty\":\"oct\"}",
                                    tu_b64(tu_pool, secret, len));
    unsigned char md[32];
    size_t mdlen = 0;

    ck_assert_int_eq(EVP_Q_digest(NULL, "SHA256", NULL, json, strlen(json),
                                  md, &mdlen), 1);
    return tu_b64(tu_pool, md, mdlen);
}

/* Parameters of an ordinary token for KEY. */
static void params(jwt_issue_params_t *ip, const jwk_t *key)
{
    memset(ip, 0, sizeof(*ip));
    ip->sign_key = key;
    ip->iss = ISS;
    ip->sub = "alice";
    ip->aud = tu_strs(tu_pool, "api", NULL);
    ip->jti = "j-1";
    ip->scope = "read write";
    ip->lifetime = 600;
}

static char *issue_ok(const jwt_issue_params_t *ip, json_t **claims)
{
    char *tok = NULL;

    ck_assert_status(jwt_issue(&tok, claims, tu_pool, ip, NOW), JWT_OK);
    ck_assert_ptr_nonnull(tok);
    return tok;
}

static json_t *segment_json(const char *token, int index)
{
    return tu_json(tu_pool, tu_segment(tu_pool, token, index));
}

static jwt_rules_t R;

static void rules_for(const jwk_set_t *verify)
{
    tu_rules(&R, tu_pool, verify);
    R.issuers = tu_strs(tu_pool, ISS, NULL);
    R.audiences = tu_strs(tu_pool, "api", NULL);
}

/* jwt_check on a pool copy, keeping the result. */
static jwt_status_t check(jwt_t **jwt, const char *token, int64_t now)
{
    return jwt_check(jwt, tu_pool, apr_pstrdup(tu_pool, token),
                     strlen(token), &R, now);
}

static const jwk_t *enc_pub(const char *name)
{
    jwk_load_opts_t o = tu_opts(JOSE_USE_ENC, 0, 0, NULL, NULL);

    return tu_load_key(tu_pool, name, &o);
}

static const jwk_t *enc_priv(const char *name)
{
    jwk_load_opts_t o = tu_opts(JOSE_USE_ENC, 1, 0, NULL, NULL);

    return tu_load_key(tu_pool, name, &o);
}

/* A secret of LEN random bytes loaded for USE. */
static const jwk_t *random_secret(size_t len, jose_use_t use)
{
    unsigned char buf[64];
    jwk_load_opts_t o = tu_opts(use, 1, 0, NULL, NULL);
    const char *path;

    ck_assert_uint_le(len, sizeof(buf));
    ck_assert_int_eq(RAND_bytes(buf, (int)len), 1);
    /* no trailing newline: the loader would drop it */
    buf[len - 1] = buf[len - 1] == '\n' ? 'x' : buf[len - 1];
    path = tu_temp_file(tu_pool, buf, len);
    return tu_load_key(tu_pool, apr_pstrcat(tu_pool, "secret:", path, NULL),
                       &o);
}

/* ------------------------------------------------ each key type, exact -- */

START_TEST(issue_each_key_type)
{
    const key_case_t *kc = &keys[_i];
    const jwk_t *k = tu_sign_key(tu_pool, kc->key, 0);
    const jwk_t *pub = tu_verify_key(tu_pool, kc->pub, 0);
    jwt_issue_params_t ip;
    const char *thumb, *want;
    json_t *claims = NULL;
    jwt_t *jwt = NULL;
    unsigned char *sig;
    size_t siglen;
    char *tok;

    params(&ip, k);
    tok = issue_ok(&ip, &claims);
    ck_assert_int_eq(jose_count_dots(tok, strlen(tok)), 2);

    /* the default kid is the RFC 7638 thumbprint, as jwcrypto computes it
     * (or as computed here for a secret) */
    if (k->kty == JOSE_KTY_OCT) {
        thumb = oct_thumbprint(k->secret, k->secret_len);
    }
    else {
        thumb = fixture_thumbprint(kc->pub);
    }
    ck_assert_ptr_nonnull(thumb);
    ck_assert_str_eq(k->thumbprint, thumb);
    want = apr_psprintf(tu_pool, "{\"alg\":\"%s\",\"kid\":\"%s\","
                        "\"typ\":\"JWT\"}", kc->alg, thumb);
    ck_assert_str_eq(tu_segment(tu_pool, tok, 0), want);

    /* RFC 7519 4.1, in the order the header documents */
    want = apr_psprintf(tu_pool, "{\"iss\":\"" ISS "\",\"sub\":\"alice\","
                        "\"aud\":\"api\",\"iat\":" I64 ",\"exp\":" I64 ","
                        "\"jti\":\"j-1\",\"scope\":\"read write\"}",
                        NOW, NOW + 600);
    ck_assert_str_eq(tu_segment(tu_pool, tok, 1), want);
    ck_assert_ptr_nonnull(claims);
    ck_assert(json_equal(claims, segment_json(tok, 1)));

    sig = tu_sig_of(tu_pool, tok, &siglen);
    ck_assert_ptr_nonnull(sig);
    ck_assert_uint_eq(siglen, kc->siglen);

    rules_for(tu_set(tu_pool, pub, NULL));
    ck_assert_status(check(&jwt, tok, NOW + 1), JWT_OK);
    ck_assert_str_eq(jwt->alg, kc->alg);
    ck_assert_str_eq(jwt->kid, thumb);
    ck_assert_str_eq(jwt->sub, "alice");
    ck_assert_str_eq(jwt->iss, ISS);
    ck_assert_str_eq(jwt->jti, "j-1");
    ck_assert(jwt->has_exp && jwt->has_iat && !jwt->has_nbf);
    ck_assert_int_eq(jwt->iat, NOW);
    ck_assert_int_eq(jwt->exp, NOW + 600);
    ck_assert_int_eq(jwt->encrypted, 0);
    /* and until exp (+ the default leeway of 30 s; jwt.h: expired when
     * now >= exp + leeway) */
    ck_assert_status(check(&jwt, tok, NOW + 600 + 29), JWT_OK);
    ck_assert_status(check(&jwt, tok, NOW + 600 + 30), JWT_ERR_EXPIRED);
}
END_TEST

/* Every bit of the signature flipped, every truncation: refused. */
START_TEST(issued_mutations)
{
    static const char *const which[] = { "secret:hs256.secret",
                                         "ec-p256.key.pem",
                                         "ed25519.key.pem" };
    static const char *const pubs[] = { "secret:hs256.secret",
                                        "ec-p256.pub.pem",
                                        "ed25519.pub.pem" };
    jwt_issue_params_t ip;
    size_t i;

    for (i = 0; i < 3; i++) {
        params(&ip, tu_sign_key(tu_pool, which[i], 0));
        ck_assert_int_gt(tu_check_mutations(
            issue_ok(&ip, NULL),
            tu_set(tu_pool, tu_verify_key(tu_pool, pubs[i], 0), NULL), ISS,
            which[i]), 0);
    }
}
END_TEST

/* ECDSA signatures differ per token (random k) but always have the full
 * length, even when R or S has leading zero bytes (doc/attacks.md H). */
START_TEST(ecdsa_full_length_always)
{
    const jwk_t *k = tu_sign_key(tu_pool, "ec-p521.key.pem", 0);
    jwt_issue_params_t ip;
    size_t len;
    int i;

    params(&ip, k);
    for (i = 0; i < 64; i++) {
        char *tok = issue_ok(&ip, NULL);

        tu_sig_of(tu_pool, tok, &len);
        ck_assert_uint_eq(len, 132);
    }
}
END_TEST

/* ------------------------------------------------------- header options -- */

START_TEST(alg_kid_typ_options)
{
    const jwk_t *rsa = tu_sign_key(tu_pool, "rsa2048.key.pem", 0);
    const jwk_t *ec = tu_sign_key(tu_pool, "ec-p256.key.pem", 0);
    const jwk_t *hs = tu_sign_key(tu_pool, "secret:hs512.secret", 0);
    jwt_issue_params_t ip;
    jwt_t *jwt = NULL;
    char *tok = NULL;

    params(&ip, rsa);
    ip.alg = tu_alg("PS384");
    ip.kid = "k-1";
    ip.typ = "at+jwt";
    tok = issue_ok(&ip, NULL);
    ck_assert_str_eq(tu_segment(tu_pool, tok, 0),
                     "{\"alg\":\"PS384\",\"kid\":\"k-1\",\"typ\":\"at+jwt\"}");
    rules_for(tu_set(tu_pool, tu_verify_key(tu_pool, "rsa2048.pub.pem", 0),
                     NULL));
    ck_assert_status(check(&jwt, tok, NOW), JWT_OK);
    ck_assert_str_eq(jwt->alg, "PS384");

    /* a shorter HMAC than the secret allows is still an HMAC */
    params(&ip, hs);
    ip.alg = tu_alg("HS256");
    tok = issue_ok(&ip, NULL);
    ck_assert_ptr_nonnull(strstr(tu_segment(tu_pool, tok, 0),
                                 "\"alg\":\"HS256\""));

    /* an algorithm the key cannot use; never "none" */
    params(&ip, rsa);
    ip.alg = tu_alg("HS256");
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW), JWT_ERR_ALG);
    ip.alg = tu_alg("ES256");
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW), JWT_ERR_ALG);
    params(&ip, ec);
    ip.alg = tu_alg("ES384");
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW), JWT_ERR_ALG);
    ip.alg = tu_alg("RSA-OAEP");
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW), JWT_ERR_ALG);
    {
        const jose_alg_info_t *none = jose_alg_lookup("none", 4);

        if (none != NULL) {
            ip.alg = none;
            ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW),
                             JWT_ERR_ALG);
        }
    }
}
END_TEST

/* The key's own kid wins over the thumbprint. */
START_TEST(key_kid_is_default)
{
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 1, 0, "own-kid", NULL);
    const jwk_t *k = tu_load_key(tu_pool, "ec-p256.key.pem", &o);
    jwt_issue_params_t ip;

    params(&ip, k);
    ck_assert_str_eq(tu_segment(tu_pool, issue_ok(&ip, NULL), 0),
                     "{\"alg\":\"ES256\",\"kid\":\"own-kid\","
                     "\"typ\":\"JWT\"}");
}
END_TEST

/* Keys that must not sign. */
START_TEST(keys_that_cannot_sign)
{
    jwt_issue_params_t ip;
    jwk_load_opts_t eo = tu_opts(JOSE_USE_ENC, 1, 0, NULL, NULL);
    char *tok = NULL;

    /* a public key: no private half */
    params(&ip, tu_verify_key(tu_pool, "rsa2048.pub.pem", 0));
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW),
                     JWT_ERR_NO_KEY);
    params(&ip, tu_verify_key(tu_pool, "ed25519.pub.pem", 0));
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW),
                     JWT_ERR_NO_KEY);
    /* a key loaded for encryption only */
    params(&ip, tu_load_key(tu_pool, "rsa2048.key.pem", &eo));
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW), JWT_ERR_ALG);
    /* no key */
    params(&ip, NULL);
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW),
                     JWT_ERR_INTERNAL);
}
END_TEST

/* ------------------------------------------------------------- claims -- */

START_TEST(optional_claims)
{
    const jwk_t *k = tu_sign_key(tu_pool, "secret:hs256.secret", 0);
    jwt_issue_params_t ip;
    json_t *c;

    /* nothing optional: iat and exp only */
    memset(&ip, 0, sizeof(ip));
    ip.sign_key = k;
    ip.lifetime = 5;
    ck_assert_str_eq(tu_segment(tu_pool, issue_ok(&ip, NULL), 1),
                     apr_psprintf(tu_pool, "{\"iat\":" I64 ",\"exp\":" I64
                                  "}", NOW, NOW + 5));
    /* an empty scope and an empty audience list are left out */
    ip.scope = "";
    ip.aud = tu_strs(tu_pool, NULL);
    c = segment_json(issue_ok(&ip, NULL), 1);
    ck_assert_uint_eq(json_object_size(c), 2);
    /* two audiences: an array, in order (RFC 7519 4.1.3) */
    ip.aud = tu_strs(tu_pool, "a", "b", NULL);
    c = segment_json(issue_ok(&ip, NULL), 1);
    ck_assert(json_equal(json_object_get(c, "aud"),
                         tu_json(tu_pool, "[\"a\",\"b\"]")));
    /* one: a string */
    ip.aud = tu_strs(tu_pool, "a", NULL);
    c = segment_json(issue_ok(&ip, NULL), 1);
    ck_assert_str_eq(json_string_value(json_object_get(c, "aud")), "a");
}
END_TEST

/* auth_time (the login a refresh must not outlive) only when the caller
 * gives it, and then an extra claim of that name cannot replace it. */
START_TEST(auth_time_from_the_caller)
{
    const jwk_t *k = tu_sign_key(tu_pool, "secret:hs256.secret", 0);
    jwt_issue_params_t ip;
    json_t *c;

    params(&ip, k);
    c = segment_json(issue_ok(&ip, NULL), 1);
    ck_assert_ptr_null(json_object_get(c, "auth_time"));
    ip.auth_time = NOW - 3600;
    ip.extra = tu_json(tu_pool, "{\"auth_time\":1}");
    c = segment_json(issue_ok(&ip, NULL), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "auth_time")),
                     NOW - 3600);
}
END_TEST

/* doc/attacks.md H / the header: extra claims never replace what the issuer
 * decides (nor add nbf); everything else is kept as given. */
START_TEST(extra_never_overrides_registered)
{
    const jwk_t *k = tu_sign_key(tu_pool, "secret:hs256.secret", 0);
    jwt_issue_params_t ip;
    json_t *c, *claims = NULL;
    char *tok;

    params(&ip, k);
    ip.extra = tu_json(tu_pool,
        "{\"iss\":\"evil\",\"sub\":\"root\",\"aud\":\"any\","
        "\"exp\":9999999999,\"nbf\":1,\"iat\":1,\"jti\":\"x\","
        "\"scope\":\"admin\",\"role\":\"user\",\"n\":3,\"flag\":true,"
        "\"obj\":{\"a\":[1,2]}}");
    tok = issue_ok(&ip, &claims);
    c = segment_json(tok, 1);
    ck_assert(json_equal(c, claims));
    ck_assert_str_eq(json_string_value(json_object_get(c, "iss")), ISS);
    ck_assert_str_eq(json_string_value(json_object_get(c, "sub")), "alice");
    ck_assert_str_eq(json_string_value(json_object_get(c, "aud")), "api");
    ck_assert_int_eq(json_integer_value(json_object_get(c, "exp")),
                     NOW + 600);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "iat")), NOW);
    ck_assert_ptr_null(json_object_get(c, "nbf"));
    ck_assert_str_eq(json_string_value(json_object_get(c, "jti")), "j-1");
    ck_assert_str_eq(json_string_value(json_object_get(c, "scope")),
                     "read write");
    ck_assert_str_eq(json_string_value(json_object_get(c, "role")), "user");
    ck_assert_int_eq(json_integer_value(json_object_get(c, "n")), 3);
    ck_assert(json_is_true(json_object_get(c, "flag")));
    ck_assert(json_equal(json_object_get(c, "obj"),
                         tu_json(tu_pool, "{\"a\":[1,2]}")));
    ck_assert_uint_eq(json_object_size(c), 11);

    /* registered names given only in extra (no iss/sub/scope/jti set):
     * still never copied in */
    memset(&ip, 0, sizeof(ip));
    ip.sign_key = k;
    ip.lifetime = 60;
    ip.extra = tu_json(tu_pool, "{\"iss\":\"evil\",\"sub\":\"root\","
                       "\"scope\":\"admin\",\"jti\":\"x\",\"aud\":\"y\","
                       "\"nbf\":1}");
    c = segment_json(issue_ok(&ip, NULL), 1);
    ck_assert_uint_eq(json_object_size(c), 2);
}
END_TEST

START_TEST(claims_must_be_utf8)
{
    const jwk_t *k = tu_sign_key(tu_pool, "secret:hs256.secret", 0);
    jwt_issue_params_t ip;
    char *tok = NULL;

    params(&ip, k);
    ip.sub = "al\xffice";
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW),
                     JWT_ERR_CLAIM_TYPE);
    params(&ip, k);
    ip.iss = "https://\xc3(.example";
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW),
                     JWT_ERR_CLAIM_TYPE);
    /* the other string claims too: never silently left out */
    params(&ip, k);
    ip.aud = tu_strs(tu_pool, "ap\xffi", NULL);
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW),
                     JWT_ERR_CLAIM_TYPE);
    params(&ip, k);
    ip.aud = tu_strs(tu_pool, "a", "b\x80", NULL);
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW),
                     JWT_ERR_CLAIM_TYPE);
    params(&ip, k);
    ip.jti = "j\xfe" "1";
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW),
                     JWT_ERR_CLAIM_TYPE);
    params(&ip, k);
    ip.scope = "read wr\xc3";
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW),
                     JWT_ERR_CLAIM_TYPE);
    /* valid UTF-8 and characters JSON must escape go through */
    params(&ip, k);
    ip.sub = "J\xc3\xbcrgen \"q\" \\ /";
    tok = issue_ok(&ip, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(
                         segment_json(tok, 1), "sub")),
                     "J\xc3\xbcrgen \"q\" \\ /");
}
END_TEST

START_TEST(lifetime_bounds)
{
    const jwk_t *k = tu_sign_key(tu_pool, "secret:hs256.secret", 0);
    jwt_issue_params_t ip;
    char *tok = NULL;
    json_t *c;

    params(&ip, k);
    ip.lifetime = 0;
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW),
                     JWT_ERR_INTERNAL);
    ip.lifetime = -1;
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW),
                     JWT_ERR_INTERNAL);
    ip.lifetime = INT64_MIN;
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW),
                     JWT_ERR_INTERNAL);
    ip.lifetime = 1;
    c = segment_json(issue_ok(&ip, NULL), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "exp")), NOW + 1);
    /* exp may reach the largest NumericDate jwt_check accepts, not pass */
    ip.lifetime = JWT_MAX_NUMERIC_DATE - NOW;
    c = segment_json(issue_ok(&ip, NULL), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "exp")),
                     JWT_MAX_NUMERIC_DATE);
    ip.lifetime = JWT_MAX_NUMERIC_DATE - NOW + 1;
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW),
                     JWT_ERR_INTERNAL);
    /* no signed overflow on the way (UBSan stops on one) */
    ip.lifetime = INT64_MAX;
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW),
                     JWT_ERR_INTERNAL);
}
END_TEST

/* ------------------------------------------------------------ encrypt -- */

typedef struct {
    const char *pub, *priv;     /* recipient key files               */
    const char *alg;            /* the default key management        */
} enc_case_t;

static const enc_case_t encs[] = {
    { "rsa2048-other.pub.pem", "rsa2048-other.key.pem", "RSA-OAEP-256" },
    { "ec-p256-other.pub.pem", "ec-p256-other.key.pem", "ECDH-ES+A256KW" },
    { "ec-p521-other.pub.pem", "ec-p521-other.key.pem", "ECDH-ES+A256KW" },
    { "x25519.pub.pem", "x25519.key.pem", "ECDH-ES+A256KW" },
};
#define NENCS ((int)(sizeof(encs) / sizeof(encs[0])))

START_TEST(encrypt_round_trip)
{
    const enc_case_t *ec = &encs[_i];
    const jwk_t *sk = tu_sign_key(tu_pool, "ec-p256.key.pem", 0);
    const jwk_t *rcpt = enc_pub(ec->pub);
    jwt_issue_params_t ip;
    json_t *hdr, *claims = NULL;
    jwt_t *jwt = NULL;
    char *tok, *tok2;

    ck_assert_str_eq(jwt_issue_default_enc_alg(rcpt)->name, ec->alg);
    params(&ip, sk);
    ip.encrypt_key = rcpt;
    tok = issue_ok(&ip, &claims);
    ck_assert_int_eq(jose_count_dots(tok, strlen(tok)), 4);
    hdr = segment_json(tok, 0);
    ck_assert_str_eq(json_string_value(json_object_get(hdr, "alg")), ec->alg);
    ck_assert_str_eq(json_string_value(json_object_get(hdr, "enc")),
                     "A256GCM");
    ck_assert_str_eq(json_string_value(json_object_get(hdr, "cty")), "JWT");
    /* the key has no kid: none in the header; never zip */
    ck_assert_ptr_null(json_object_get(hdr, "kid"));
    ck_assert_ptr_null(json_object_get(hdr, "zip"));

    rules_for(tu_set(tu_pool, tu_verify_key(tu_pool, "ec-p256.pub.pem", 0),
                     NULL));
    R.decrypt_keys = tu_set(tu_pool, enc_priv(ec->priv), NULL);
    ck_assert_status(check(&jwt, tok, NOW), JWT_OK);
    ck_assert_int_eq(jwt->encrypted, 1);
    ck_assert_str_eq(jwt->sub, "alice");
    ck_assert_str_eq(jwt->alg, "ES256");
    ck_assert(json_equal(jwt->claims, claims));
    /* the inner token is signed with the usual header */
    ck_assert_str_eq(jwt->typ, "JWT");

    /* RFC 7516 / doc/attacks.md H: fresh CEK and IV for every token */
    tok2 = issue_ok(&ip, NULL);
    ck_assert_str_ne(tok, tok2);
    {
        char *a = apr_pstrdup(tu_pool, tok), *b = apr_pstrdup(tu_pool, tok2);
        char *la, *lb, *sa, *sb;
        int seg;

        sa = apr_strtok(a, ".", &la);
        sb = apr_strtok(b, ".", &lb);
        for (seg = 1; seg < 5; seg++) {
            sa = apr_strtok(NULL, ".", &la);
            sb = apr_strtok(NULL, ".", &lb);
            /* ECDH-ES+A*KW: encrypted key (seg 1); IV (2); ciphertext
             * (3); tag (4): none repeats */
            ck_assert_ptr_nonnull(sa);
            ck_assert_ptr_nonnull(sb);
            ck_assert_str_ne(sa, sb);
        }
    }

    /* the wrong recipient cannot read it */
    R.decrypt_keys = tu_set(tu_pool, enc_priv(
        ec->priv[0] == 'r' ? "rsa2048.key.pem" : "ec-p256.key.pem"), NULL);
    ck_assert_status_in(check(&jwt, tok, NOW), 2, JWT_ERR_DECRYPT,
                        JWT_ERR_NO_KEY);
}
END_TEST

START_TEST(encrypt_options)
{
    const jwk_t *sk = tu_sign_key(tu_pool, "ed25519.key.pem", 0);
    jwk_load_opts_t ko = tu_opts(JOSE_USE_ENC, 0, 0, "rcpt-1", NULL);
    const jwk_t *rsa_kid = tu_load_key(tu_pool, "rsa2048-other.pub.pem", &ko);
    jwt_issue_params_t ip;
    jwt_t *jwt = NULL;
    json_t *hdr;
    char *tok = NULL;

    params(&ip, sk);
    ip.encrypt_key = rsa_kid;
    ip.enc_alg = tu_alg("RSA-OAEP");
    ip.enc = jose_enc_lookup("A128CBC-HS256", 13);
    ck_assert_ptr_nonnull(ip.enc);
    tok = issue_ok(&ip, NULL);
    hdr = segment_json(tok, 0);
    ck_assert_str_eq(json_string_value(json_object_get(hdr, "alg")),
                     "RSA-OAEP");
    ck_assert_str_eq(json_string_value(json_object_get(hdr, "enc")),
                     "A128CBC-HS256");
    ck_assert_str_eq(json_string_value(json_object_get(hdr, "kid")),
                     "rcpt-1");
    rules_for(tu_set(tu_pool, tu_verify_key(tu_pool, "ed25519.pub.pem", 0),
                     NULL));
    R.decrypt_keys = tu_set(tu_pool, enc_priv("rsa2048-other.key.pem"),
                            NULL);
    ck_assert_status(check(&jwt, tok, NOW), JWT_OK);
    ck_assert_int_eq(jwt->encrypted, 1);

    /* a key management algorithm the key cannot use */
    params(&ip, sk);
    ip.encrypt_key = enc_pub("ec-p256-other.pub.pem");
    ip.enc_alg = tu_alg("RSA-OAEP-256");
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW), JWT_ERR_ALG);
    /* never RSA1_5 (doc/attacks.md C4, H) */
    params(&ip, sk);
    ip.encrypt_key = enc_pub("rsa2048-other.pub.pem");
    ip.enc_alg = tu_alg("RSA1_5");
    ck_assert_status(jwt_issue(&tok, NULL, tu_pool, &ip, NOW), JWT_ERR_ALG);
}
END_TEST

START_TEST(encrypt_to_secret)
{
    static const size_t lens[] = { 16, 24, 32 };
    static const char *const algs[] = { "A128KW", "A192KW", "A256KW" };
    const jwk_t *sk = tu_sign_key(tu_pool, "secret:hs256.secret", 0);
    jwt_issue_params_t ip;
    jwt_t *jwt = NULL;
    size_t i;

    for (i = 0; i < 3; i++) {
        const jwk_t *s = random_secret(lens[i], JOSE_USE_ENC);
        char *tok;

        ck_assert_str_eq(jwt_issue_default_enc_alg(s)->name, algs[i]);
        params(&ip, sk);
        ip.encrypt_key = s;
        tok = issue_ok(&ip, NULL);
        ck_assert_str_eq(json_string_value(json_object_get(
                             segment_json(tok, 0), "alg")), algs[i]);
        rules_for(tu_set(tu_pool, sk, NULL));
        R.decrypt_keys = tu_set(tu_pool, s, NULL);
        ck_assert_status(check(&jwt, tok, NOW), JWT_OK);
        ck_assert_int_eq(jwt->encrypted, 1);
    }
}
END_TEST

/* --------------------------------------------------------- scope grant -- */

static void grant(const char *asked, const apr_array_header_t *allowed,
                  const char *want)
{
    const char *got = NULL;

    ck_assert_status(jwt_scope_grant(&got, tu_pool, asked, allowed), JWT_OK);
    ck_assert_ptr_nonnull(got);
    ck_assert_msg(strcmp(got, want) == 0, "asked \"%s\": granted \"%s\", "
                  "want \"%s\"", asked ? asked : "(null)", got, want);
}

static void refuse(const char *asked, const apr_array_header_t *allowed)
{
    const char *got = NULL;

    ck_assert_msg(jwt_scope_grant(&got, tu_pool, asked, allowed)
                  == JWT_ERR_INSUFFICIENT_SCOPE, "asked \"%s\" granted",
                  asked);
}

START_TEST(scope_grant)
{
    apr_array_header_t *allowed = tu_strs(tu_pool, "read", "write",
                                          "admin:users", NULL);
    apr_array_header_t *none = tu_strs(tu_pool, NULL);

    /* not asked: everything allowed, in the allowed order */
    grant(NULL, allowed, "read write admin:users");
    grant(NULL, none, "");
    grant(NULL, NULL, "");
    /* subsets, in the asked order */
    grant("read", allowed, "read");
    grant("write read", allowed, "write read");
    grant("admin:users", allowed, "admin:users");
    grant("read write admin:users", allowed, "read write admin:users");
    /* duplicates collapse; any number of spaces separates */
    grant("read read", allowed, "read");
    grant("read write read write", allowed, "read write");
    grant("read   write", allowed, "read write");
    grant("  read ", allowed, "read");
    grant("", allowed, "");
    grant("   ", allowed, "");
    /* beyond what is allowed: invalid_scope */
    refuse("delete", allowed);
    refuse("read delete", allowed);
    refuse("delete read", allowed);
    refuse("READ", allowed);            /* exact, case-sensitive */
    refuse("rea", allowed);             /* no prefixes */
    refuse("readx", allowed);
    refuse("admin", allowed);
    refuse("read\twrite", allowed);     /* only spaces separate */
    refuse("read", none);
    refuse("read", NULL);
}
END_TEST

/* ------------------------------------------------------ sensitive names -- */

START_TEST(sensitive_names)
{
    static const char *const yes[] = {
        "password", "Password", "PASSWORD", "user_password", "passwordHash",
        "db-password", "passwd", "pwd", "passphrase", "secret",
        "client_secret", "clientSecret", "Client-Secret", "shared.secret",
        "api_key", "apiKey", "API-KEY", "x-api-key", "apikey",
        "private_key", "privateKey", "ssh-private-key", "pin", "PIN",
        "ssn", "cvv", "cvc", "cvv2", "card", "credit_card", "creditCard",
        "card_number", "cardNumber", "iban", "pan", "credential",
        "credentials", "social_security_number", "p_a_s_s_w_o_r_d",
        NULL
    };
    static const char *const no[] = {
        "role", "roles", "email", "name", "tenant", "groups", "dept",
        "spin", "pinned", "pinyin", "cardinal", "discard", "panel",
        "company", "ssno", "scope_hint", "org", "locale", "key", "id",
        "", NULL
    };
    int i;

    for (i = 0; yes[i] != NULL; i++) {
        ck_assert_msg(jwt_claim_name_sensitive(yes[i]) == 1,
                      "\"%s\" not found sensitive", yes[i]);
    }
    for (i = 0; no[i] != NULL; i++) {
        ck_assert_msg(jwt_claim_name_sensitive(no[i]) == 0,
                      "\"%s\" found sensitive", no[i]);
    }
    /* long names: the whole name is looked at, however long (padding
     * must not push "password" out of sight) */
    {
        char name[301];

        memset(name, 'x', sizeof(name));
        memcpy(name + 100, "password", 8);
        name[300] = '\0';
        ck_assert_int_eq(jwt_claim_name_sensitive(name), 1);
        memset(name, '_', sizeof(name));
        memcpy(name + 292, "password", 8);
        name[300] = '\0';
        ck_assert_int_eq(jwt_claim_name_sensitive(name), 1);
        memset(name, 'x', sizeof(name));
        memcpy(name + 120, "password", 8);
        name[128] = '\0';
        ck_assert_int_eq(jwt_claim_name_sensitive(name), 1);
        memset(name, 'x', sizeof(name));
        name[300] = '\0';
        ck_assert_int_eq(jwt_claim_name_sensitive(name), 0);
    }
}
END_TEST

/* -------------------------------------------------- known answers (KAT) -- */

static const jwk_t *latchset_private(const char *name)
{
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 1, 0, NULL, NULL);

    return tu_jwk_json(tu_pool, tu_vector(tu_pool, apr_pstrcat(
                           tu_pool, "rfc/latchset-jose/", name, NULL)), &o);
}

/* jose_sig_sign over the vector's own signing input gives its signature
 * byte for byte (HMAC, RSASSA-PKCS1-v1_5 and Ed25519 are deterministic). */
static void reproduce_sig(const char *token, const jwk_t *k, const char *alg)
{
    size_t inlen = (size_t)(strrchr(token, '.') - token);
    unsigned char *sig = NULL, *want;
    size_t siglen = 0, wlen = 0;

    want = tu_sig_of(tu_pool, token, &wlen);
    ck_assert_status(jose_sig_sign(&sig, &siglen, tu_pool, k, tu_alg(alg),
                                   (const unsigned char *)token, inlen),
                     JWT_OK);
    ck_assert_uint_eq(siglen, wlen);
    ck_assert_mem_eq(sig, want, siglen);
    ck_assert_status(tu_jws(token, tu_set(tu_pool, k, NULL)), JWT_OK);
}

START_TEST(rfc7515_a1_hs256_byte_for_byte)
{
    reproduce_sig(tu_read_line(tu_pool, tu_vector_path(
                      tu_pool, "rfc/latchset-jose/rfc7515_A.1.jwsc")),
                  latchset_private("rfc7515_A.1.jwk"), "HS256");
}
END_TEST

START_TEST(rfc7515_a2_rs256_byte_for_byte)
{
    reproduce_sig(tu_read_line(tu_pool, tu_vector_path(
                      tu_pool, "rfc/latchset-jose/rfc7515_A.2.jwsc")),
                  latchset_private("rfc7515_A.2.jwk"), "RS256");
}
END_TEST

START_TEST(rfc8037_a4_ed25519_byte_for_byte)
{
    json_t *v = tu_vector(tu_pool, "rfc/rfc8037_appendix_A.json");
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 1, 0, NULL, NULL);
    const jwk_t *k = tu_jwk_json(tu_pool,
                                 json_object_get(v, "A.1_ed25519_private_jwk"),
                                 &o);

    /* the RFC 8037 A.3 thumbprint is the key's default kid */
    ck_assert_str_eq(k->thumbprint, json_string_value(
                         json_object_get(v, "A.3_jwk_thumbprint_sha256")));
    reproduce_sig(json_string_value(json_object_get(v, "A.4_compact")), k,
                  "EdDSA");
}
END_TEST

/* jws_sign writes {"alg":..,"kid":..}: RFC 7520 4.4 (HS256) and 4.1
 * (RS256) come out whole, byte for byte. */
static void reproduce_7520(const char *file)
{
    json_t *v = tu_vector(tu_pool, apr_pstrcat(tu_pool, "rfc7520/jws/",
                                               file, NULL));
    json_t *in = json_object_get(v, "input");
    json_t *key = json_object_get(in, "key");
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 1, 0, NULL, NULL);
    const jwk_t *k = tu_jwk_json(tu_pool, key, &o);
    const char *payload = json_string_value(json_object_get(in, "payload"));
    char *out = NULL;

    ck_assert_status(jws_sign(&out, tu_pool, k, tu_alg(json_string_value(
                                  json_object_get(in, "alg"))),
                              json_string_value(json_object_get(key, "kid")),
                              NULL, (const unsigned char *)payload,
                              strlen(payload)), JWT_OK);
    ck_assert_str_eq(out, json_string_value(json_object_get(
                         json_object_get(v, "output"), "compact")));
}

START_TEST(rfc7520_4_4_hs256_jws_sign)
{
    reproduce_7520("4_4.hmac-sha2_integrity_protection.json");
}
END_TEST

START_TEST(rfc7520_4_1_rs256_jws_sign)
{
    reproduce_7520("4_1.rsa_v15_signature.json");
}
END_TEST

/* A whole jwt_issue token, byte for byte: the RFC 7515 A.1 secret, fixed
 * claims, computed here without the code under test. */
START_TEST(jwt_issue_hs256_byte_for_byte)
{
    const jwk_t *k = latchset_private("rfc7515_A.1.jwk");
    jwt_issue_params_t ip;
    const char *thumb, *hdr, *payload, *input, *want;
    unsigned char mac[32];
    size_t maclen = 0;

    thumb = oct_thumbprint(k->secret, k->secret_len);
    hdr = apr_psprintf(tu_pool, "{\"alg\":\"HS256\",\"kid\":\"%s\","
                       "\"typ\":\"JWT\"}", thumb);
    payload = apr_psprintf(tu_pool, "{\"iss\":\"joe\",\"sub\":\"alice\","
                           "\"aud\":[\"a\",\"b\"],\"iat\":" I64 ","
                           "\"exp\":" I64 ",\"jti\":\"id-7\","
                           "\"scope\":\"read\",\"role\":\"op\"}",
                           NOW, NOW + 900);
    input = apr_pstrcat(tu_pool, tu_b64(tu_pool, hdr, strlen(hdr)), ".",
                        tu_b64(tu_pool, payload, strlen(payload)), NULL);
    ck_assert_ptr_nonnull(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL,
                                    k->secret, k->secret_len,
                                    (const unsigned char *)input,
                                    strlen(input), mac, sizeof(mac),
                                    &maclen));
    ck_assert_uint_eq(maclen, 32);
    want = apr_pstrcat(tu_pool, input, ".", tu_b64(tu_pool, mac, maclen),
                       NULL);

    memset(&ip, 0, sizeof(ip));
    ip.sign_key = k;
    ip.alg = tu_alg("HS256");       /* a 64-byte secret defaults to HS512 */
    ip.iss = "joe";
    ip.sub = "alice";
    ip.aud = tu_strs(tu_pool, "a", "b", NULL);
    ip.jti = "id-7";
    ip.scope = "read";
    ip.lifetime = 900;
    ip.extra = tu_json(tu_pool, "{\"role\":\"op\"}");
    ck_assert_str_eq(issue_ok(&ip, NULL), want);

    /* and its default algorithm is the strongest HMAC the secret allows */
    ip.alg = NULL;
    ck_assert_ptr_nonnull(strstr(tu_segment(tu_pool, issue_ok(&ip, NULL), 0),
                                 "\"alg\":\"HS512\""));
}
END_TEST

/* --------------------------------------------------------------- main -- */

static Suite *issue_suite(void)
{
    Suite *s = suite_create("issue");
    TCase *tc;

    tc = tcase_create("issue");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, issue_each_key_type, 0, NKEYS);
    tcase_add_test(tc, issued_mutations);
    tcase_add_test(tc, ecdsa_full_length_always);
    tcase_add_test(tc, alg_kid_typ_options);
    tcase_add_test(tc, key_kid_is_default);
    tcase_add_test(tc, keys_that_cannot_sign);
    tcase_add_test(tc, optional_claims);
    tcase_add_test(tc, auth_time_from_the_caller);
    tcase_add_test(tc, extra_never_overrides_registered);
    tcase_add_test(tc, claims_must_be_utf8);
    tcase_add_test(tc, lifetime_bounds);
    suite_add_tcase(s, tc);

    tc = tcase_create("encrypt");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, encrypt_round_trip, 0, NENCS);
    tcase_add_test(tc, encrypt_options);
    tcase_add_test(tc, encrypt_to_secret);
    suite_add_tcase(s, tc);

    tc = tcase_create("policy");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_add_test(tc, scope_grant);
    tcase_add_test(tc, sensitive_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("known-answers");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rfc7515_a1_hs256_byte_for_byte);
    tcase_add_test(tc, rfc7515_a2_rs256_byte_for_byte);
    tcase_add_test(tc, rfc8037_a4_ed25519_byte_for_byte);
    tcase_add_test(tc, rfc7520_4_4_hs256_jws_sign);
    tcase_add_test(tc, rfc7520_4_1_rs256_jws_sign);
    tcase_add_test(tc, jwt_issue_hs256_byte_for_byte);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tu_init();
    return tu_run(issue_suite());
}
