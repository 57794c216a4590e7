/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * check_jws.c: unit tests of compact JWS (RFC 7515 section 7.1) at the
 * signature layer: jws_parse, jws_verify, jose_sig_verify, jws_sign.
 * Claims and time are jwt.c's business and are ignored here (the RFC
 * tokens expired in 2011).
 *
 * - RFC 7515 A.1-A.4, RFC 7520 4.1-4.4, RFC 8037 A.4 are accepted; A.5
 *   (alg none) is not; every accepted token is re-checked with every bit of
 *   its signature flipped and every truncation.
 * - RFC 7520 4.5-4.8 (JSON serialization, 4.5 detached): 4.5 with its
 *   payload re-attached, and every signature whose alg is protected (4.6,
 *   4.8 first and third) as protected.payload.signature, are accepted the
 *   same way; the ones without a compact form (4.7, 4.8 second) are
 *   refused as such and checked by jose_sig_verify; every JSON form is
 *   refused.
 * - Every algorithm signs and verifies with the fixture keys, with a
 *   negative test per key/alg pair (wrong key, other key types).
 * - The attacks of doc/attacks.md A1-A5, B1-B3, D1, D2, D4, F3: alg none and
 *   look-alikes, RS/HS confusion with the public key bytes as the secret,
 *   ES256 on RSA and on P-384 keys, kid and iss as filters only, embedded
 *   jwk/jku/x5u/x5c ignored, crit/b64/zip/enc, ECDSA r = s = 0 and DER,
 *   over-long and short signatures.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "testutil.h"

static const char PAYLOAD[] =
    "{\"iss\":\"https://issuer.example\",\"sub\":\"alice\","
    "\"exp\":4102444800}";

#define B(a) JOSE_ALG_BIT(JOSE_ALG_##a)

/* Parse and verify TOKEN (pool copy), return the jws and the key used. */
static jwt_status_t parse_verify(jws_t **jws, const jwk_t **used,
                                 const char *token, const jwk_set_t *keys,
                                 const char *iss)
{
    jwt_status_t st;

    *used = NULL;
    st = jws_parse(jws, tu_pool, apr_pstrdup(tu_pool, token),
                   strlen(token));
    if (st != JWT_OK) {
        return st;
    }
    return jws_verify(used, *jws, keys, iss);
}

/* ------------------------------------------------------- RFC vectors -- */

static void accept_vector(const char *label, const char *token,
                          const jwk_set_t *keys, const char *payload,
                          const char *alg)
{
    jws_t *jws;
    const jwk_t *used;

    ck_assert_msg(parse_verify(&jws, &used, token, keys, NULL) == JWT_OK,
                  "%s: not accepted", label);
    ck_assert_str_eq(jws->alg_name, alg);
    ck_assert_str_eq(jws->alg->name, alg);
    ck_assert_ptr_eq(used, APR_ARRAY_IDX(keys->keys, 0, const jwk_t *));
    if (payload != NULL) {
        ck_assert_uint_eq(jws->payload_len, strlen(payload));
        ck_assert_mem_eq(jws->payload, payload, jws->payload_len);
        ck_assert_uint_eq(jws->payload[jws->payload_len], 0);
    }
    /* the signing input is the received bytes, not a re-encoding */
    ck_assert_uint_eq(jws->signing_input_len,
                      (size_t)(strrchr(token, '.') - token));
    ck_assert_mem_eq(jws->signing_input, token, jws->signing_input_len);
    tu_check_mutations(token, keys, NULL, label);
}

static jwk_set_t *latchset_key(const char *name)
{
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 0, 0, NULL, NULL);
    jwk_set_t *set;
    const char *err;
    json_t *j = tu_vector(tu_pool, apr_pstrcat(tu_pool, "rfc/latchset-jose/",
                                               name, NULL));

    ck_assert_msg(tu_try_jwk_json(&set, tu_pool, j, &o, &err) == 0,
                  "%s refused: %s", name, err ? err : "");
    return set;
}

static void rfc7515(const char *n, const char *alg)
{
    const char *tok = tu_read_line(tu_pool, tu_vector_path(tu_pool,
                      apr_pstrcat(tu_pool, "rfc/latchset-jose/rfc7515_", n,
                                  ".jwsc", NULL)));
    jwk_set_t *keys = latchset_key(apr_pstrcat(tu_pool, "rfc7515_", n,
                                               ".jwk", NULL));

    accept_vector(apr_pstrcat(tu_pool, "RFC 7515 ", n, NULL), tok, keys,
                  tu_segment(tu_pool, tok, 1), alg);
}

START_TEST(rfc7515_a1_hs256) { rfc7515("A.1", "HS256"); } END_TEST
START_TEST(rfc7515_a2_rs256) { rfc7515("A.2", "RS256"); } END_TEST
START_TEST(rfc7515_a3_es256) { rfc7515("A.3", "ES256"); } END_TEST
START_TEST(rfc7515_a4_es512) { rfc7515("A.4", "ES512"); } END_TEST

START_TEST(rfc7515_a1_payload)
{
    const char *tok = tu_read_line(tu_pool, tu_vector_path(tu_pool,
                                   "rfc/latchset-jose/rfc7515_A.1.jwsc"));
    jws_t *jws;
    const jwk_t *used;

    ck_assert_status(parse_verify(&jws, &used, tok,
                                  latchset_key("rfc7515_A.1.jwk"), NULL),
                     JWT_OK);
    ck_assert_str_eq((char *)jws->payload,
                     "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n "
                     "\"http://example.com/is_root\":true}");
    ck_assert_str_eq(jws->typ, "JWT");
    ck_assert_ptr_null(jws->kid);
    ck_assert_ptr_null(jws->cty);
    ck_assert_uint_eq(jws->sig_len, 32);
}
END_TEST

/* RFC 7515 A.5: the unsecured JWS.  alg none is never accepted (A1). */
START_TEST(rfc7515_a5_none_rejected)
{
    const char *tok = tu_read_line(tu_pool, tu_vector_path(tu_pool,
                                   "rfc/latchset-jose/rfc7515_A.5.jwsc"));
    static const char *const keys[] = {
        "rfc7515_A.1.jwk", "rfc7515_A.2.jwk", "rfc7515_A.3.jwk",
        "rfc7515_A.4.jwk", NULL
    };
    int i;

    for (i = 0; keys[i] != NULL; i++) {
        ck_assert_status(tu_jws(tok, latchset_key(keys[i])), JWT_ERR_ALG);
    }
}
END_TEST

/* RFC 7515 A.6/A.7: JSON serializations; compact only (C11). */
START_TEST(rfc7515_json_serialization_rejected)
{
    static const char *const files[] = {
        "rfc/latchset-jose/rfc7515_A.6.jwsg",
        "rfc/latchset-jose/rfc7515_A.7.jwsf", NULL
    };
    int i;

    for (i = 0; files[i] != NULL; i++) {
        const char *t = tu_read_line(tu_pool,
                                     tu_vector_path(tu_pool, files[i]));

        ck_assert_status(tu_jws(t, latchset_key("rfc7515_A.3.jwk")),
                         JWT_ERR_MALFORMED);
    }
}
END_TEST

static void rfc7520(const char *file, const char *alg)
{
    json_t *v = tu_vector(tu_pool, apr_pstrcat(tu_pool, "rfc7520/jws/",
                                               file, NULL));
    json_t *in = json_object_get(v, "input");
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 0, 0, NULL, NULL);
    const jwk_t *k = tu_jwk_json(tu_pool, json_object_get(in, "key"), &o);
    const char *tok = json_string_value(json_object_get(
                          json_object_get(v, "output"), "compact"));

    ck_assert_ptr_nonnull(tok);
    accept_vector(file, tok, tu_set(tu_pool, k, NULL),
                  json_string_value(json_object_get(in, "payload")), alg);
}

START_TEST(rfc7520_4_1_rs256)
{
    rfc7520("4_1.rsa_v15_signature.json", "RS256");
}
END_TEST

START_TEST(rfc7520_4_2_ps384)
{
    rfc7520("4_2.rsa-pss_signature.json", "PS384");
}
END_TEST

START_TEST(rfc7520_4_3_es512)
{
    rfc7520("4_3.ecdsa_signature.json", "ES512");
}
END_TEST

START_TEST(rfc7520_4_4_hs256)
{
    rfc7520("4_4.hmac-sha2_integrity_protection.json", "HS256");
}
END_TEST

START_TEST(rfc8037_a4_eddsa)
{
    json_t *v = tu_vector(tu_pool, "rfc/rfc8037_appendix_A.json");
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 0, 0, NULL, NULL);
    const jwk_t *k = tu_jwk_json(tu_pool,
                                 json_object_get(v, "A.2_ed25519_public_jwk"),
                                 &o);

    accept_vector("RFC 8037 A.4",
                  json_string_value(json_object_get(v, "A.4_compact")),
                  tu_set(tu_pool, k, NULL),
                  json_string_value(json_object_get(v, "A.4_payload")),
                  "EdDSA");
}
END_TEST

/* The same example in the cookbook's own file, with its private JWK. */
START_TEST(rfc7520_curve25519_eddsa)
{
    json_t *v = tu_vector(tu_pool, "rfc7520/curve25519/jws.json");
    json_t *in = json_object_get(v, "input");
    const jwk_t *k = tu_jwk_json(tu_pool, json_object_get(in, "key"), NULL);

    accept_vector("rfc7520/curve25519/jws.json",
                  json_string_value(json_object_get(json_object_get(
                      v, "output"), "compact")),
                  tu_set(tu_pool, k, NULL),
                  json_string_value(json_object_get(in, "payload")),
                  "EdDSA");
}
END_TEST

/* The deterministic examples re-created byte for byte (doc/attacks.md H):
 * jws_sign writes {"alg":..,"kid":..} in that order, as RFC 7520 does. */
static void reproduce_7520(const char *file)
{
    json_t *v = tu_vector(tu_pool, apr_pstrcat(tu_pool, "rfc7520/jws/",
                                               file, NULL));
    json_t *in = json_object_get(v, "input");
    json_t *key = json_object_get(in, "key");
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 1, 0, NULL, NULL);
    const jwk_t *k = tu_jwk_json(tu_pool, key, &o);
    const char *want = json_string_value(json_object_get(
                           json_object_get(v, "output"), "compact"));
    char *got = tu_sign(tu_pool, k,
                        json_string_value(json_object_get(in, "alg")),
                        json_string_value(json_object_get(key, "kid")),
                        NULL,
                        json_string_value(json_object_get(in, "payload")));

    ck_assert_str_eq(got, want);
}

START_TEST(rfc7520_reproduce_hs256)
{
    reproduce_7520("4_4.hmac-sha2_integrity_protection.json");
}
END_TEST

START_TEST(rfc7520_reproduce_rs256)
{
    reproduce_7520("4_1.rsa_v15_signature.json");
}
END_TEST

START_TEST(rfc8037_reproduce_ed25519)
{
    json_t *v = tu_vector(tu_pool, "rfc/rfc8037_appendix_A.json");
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 1, 0, NULL, NULL);
    const jwk_t *k = tu_jwk_json(tu_pool,
                                 json_object_get(v, "A.1_ed25519_private_jwk"),
                                 &o);
    const char *want = json_string_value(json_object_get(v, "A.4_compact"));
    const char *in = apr_pstrndup(tu_pool, want,
                                  (apr_size_t)(strrchr(want, '.') - want));
    unsigned char *sig;
    size_t siglen, wlen;
    unsigned char *wsig = tu_sig_of(tu_pool, want, &wlen);

    ck_assert_status(jose_sig_sign(&sig, &siglen, tu_pool, k, tu_alg("EdDSA"),
                                   (const unsigned char *)in, strlen(in)),
                     JWT_OK);
    ck_assert_uint_eq(siglen, wlen);
    ck_assert_mem_eq(sig, wsig, siglen);
}
END_TEST

/* RFC 7797 b64=false with crit: refused by design (doc/attacks.md D1). */
START_TEST(rfc7797_b64_false_rejected)
{
    json_t *v = tu_vector(tu_pool,
                          "rfc7520/rfc7797/hmac-sha2_b64_false.json");
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 0, 0, NULL, NULL);
    const jwk_t *k = tu_jwk_json(tu_pool, json_object_get(
                                     json_object_get(v, "input"), "key"),
                                 &o);
    const char *tok = json_string_value(json_object_get(
                          json_object_get(v, "output"), "compact"));
    jwk_set_t *set = tu_set(tu_pool, k, NULL);
    char *t;

    ck_assert_status_in(tu_jws(tok, set), 3, JWT_ERR_CRIT, JWT_ERR_BASE64,
                        JWT_ERR_MALFORMED);
    /* the same header with a base64url payload and a correct MAC over the
     * signing input: only crit/b64 can reject it */
    t = tu_token(tu_pool, "{\"alg\":\"HS256\",\"b64\":false,"
                 "\"crit\":[\"b64\"]}", "$.02", k, "HS256");
    ck_assert_status(tu_jws(t, set), JWT_ERR_CRIT);
}
END_TEST

/* ------------------------------- RFC 7520 4.5-4.8: the JSON-only forms -- */

/* RFC 7520 4.5-4.8 are published in the JSON serializations (4.5 also as
 * a compact JWS with its payload detached), which this module does not
 * read (compact only, doc/attacks.md C11).  A JWS signature covers only
 * ASCII(BASE64URL(protected header) || '.' || BASE64URL(payload)) (RFC
 * 7515 5.2), never an unprotected header, so a signature whose alg is in
 * its protected header is also a valid compact JWS,
 * protected.payload.signature, and must verify as one.  A signature whose
 * alg is only in an unprotected header (4.7, the second one of 4.8) has no
 * compact form, its header segment would be empty: that form is refused,
 * and the signature itself is checked through jose_sig_verify so that the
 * example is still known to be right. */

static json_t *cookbook_jws(const char *file)
{
    return tu_vector(tu_pool, apr_pstrcat(tu_pool, "rfc7520/jws/", file,
                                          NULL));
}

static const char *jv_str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    ck_assert_msg(s != NULL, "vector member %s missing", k);
    return s;
}

/* A verification key from a cookbook JWK (the private JWKs give their
 * public half), through the loader. */
static jwk_set_t *cookbook_key(json_t *jwk)
{
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 0, 0, NULL, NULL);

    return tu_set(tu_pool, tu_jwk_json(tu_pool, jwk, &o), NULL);
}

/* Each JSON serialization of the example (general and flattened) handed
 * over as text is refused; returns how many there were. */
static int json_forms_refused(json_t *v, const jwk_set_t *keys)
{
    static const char *const forms[] = { "json", "json_flat", NULL };
    int i, n = 0;

    for (i = 0; forms[i] != NULL; i++) {
        json_t *j = json_object_get(json_object_get(v, "output"), forms[i]);
        char *d;

        if (j == NULL) {
            continue;
        }
        d = json_dumps(j, JSON_COMPACT);
        ck_assert_ptr_nonnull(d);
        ck_assert_status(tu_jws_status(d, strlen(d), keys, NULL),
                         JWT_ERR_MALFORMED);
        free(d);
        n++;
    }
    return n;
}

/* One signature object of a JSON serialization ("protected", "header",
 * "signature") over PAYLOAD_B64, with KEYS (its one key).  Returns 1 when
 * it was verified as a compact JWS, 0 when it has no compact form (then
 * the compact attempt is refused and the signature verified by the
 * primitive). */
static int json_signature(const char *label, json_t *sig,
                          const char *payload_b64, const char *payload,
                          const jwk_set_t *keys)
{
    const char *prot = json_string_value(json_object_get(sig, "protected"));
    const char *s = jv_str(sig, "signature");
    json_t *ph = NULL;
    const char *alg = NULL;
    char *tok;

    if (prot != NULL) {
        ph = tu_json(tu_pool, tu_segment(tu_pool, prot, 0));
        alg = json_string_value(json_object_get(ph, "alg"));
    }
    tok = apr_pstrcat(tu_pool, prot != NULL ? prot : "", ".", payload_b64,
                      ".", s, NULL);
    if (alg != NULL) {
        accept_vector(label, tok, keys, payload, alg);
        return 1;
    }
    else {
        json_t *uh = json_object_get(sig, "header");
        const char *ualg = jv_str(uh, "alg");
        const char *in = apr_pstrndup(tu_pool, tok,
                                      (apr_size_t)(strrchr(tok, '.') - tok));
        size_t n;
        unsigned char *raw = tu_sig_of(tu_pool, tok, &n);

        /* compact: the JOSE header is the protected header, all of it
         * (RFC 7515 7.1); without alg there it cannot be checked */
        ck_assert_status(tu_jws(tok, keys), prot == NULL ? JWT_ERR_MALFORMED
                                                         : JWT_ERR_ALG);
        ck_assert_msg(jose_sig_verify(APR_ARRAY_IDX(keys->keys, 0,
                                                    const jwk_t *),
                                      tu_alg(ualg),
                                      (const unsigned char *)in, strlen(in),
                                      raw, n) == JWT_OK,
                      "%s: the %s signature does not verify", label, ualg);
        return 0;
    }
}

/* 4.5: the detached payload re-attached, header.BASE64URL(payload).sig. */
START_TEST(rfc7520_4_5_detached)
{
    json_t *v = cookbook_jws("4_5.signature_with_detached_content.json");
    json_t *in = json_object_get(v, "input");
    json_t *sg = json_object_get(v, "signing");
    const char *payload = jv_str(in, "payload");
    const char *detached = jv_str(json_object_get(v, "output"), "compact");
    const char *sig = strrchr(detached, '.') + 1;
    const char *hdr = apr_pstrndup(tu_pool, detached,
                                   (apr_size_t)(strchr(detached, '.')
                                                - detached));
    jwk_set_t *keys = cookbook_key(json_object_get(in, "key"));
    char *att, *other;
    int nj;

    /* the compact form as published: header..signature */
    ck_assert_ptr_eq(sig - 2, strchr(detached, '.'));
    ck_assert_str_eq(hdr, jv_str(sg, "protected_b64u"));
    ck_assert_str_eq(sig, jv_str(sg, "sig"));
    /* as it stands the signature covers a payload that is not there */
    ck_assert_status(tu_jws(detached, keys), JWT_ERR_SIGNATURE);

    /* RFC 7515 F: the signing input with the payload put back */
    att = apr_pstrcat(tu_pool, hdr, ".",
                      tu_b64(tu_pool, payload, strlen(payload)), NULL);
    ck_assert_str_eq(att, jv_str(sg, "sig-input"));
    att = apr_pstrcat(tu_pool, att, ".", sig, NULL);
    accept_vector("RFC 7520 4.5 re-attached", att, keys, payload, "HS256");

    /* the same signature over another payload: one byte more, one less */
    other = apr_pstrcat(tu_pool, hdr, ".",
                        tu_b64(tu_pool, apr_pstrcat(tu_pool, payload, " ",
                                                    NULL),
                               strlen(payload) + 1),
                        ".", sig, NULL);
    ck_assert_status(tu_jws(other, keys), JWT_ERR_SIGNATURE);
    other = apr_pstrcat(tu_pool, hdr, ".",
                        tu_b64(tu_pool, payload, strlen(payload) - 1),
                        ".", sig, NULL);
    ck_assert_status(tu_jws(other, keys), JWT_ERR_SIGNATURE);
    nj = json_forms_refused(v, keys);
    ck_assert_int_eq(nj, 2);
    printf("rfc7520 jws 4.5 (HS256, detached content): payload "
           "re-attached and accepted (with every signature bit flip and "
           "truncation rejected); the detached compact form as published "
           "and two other payloads rejected; %d JSON serializations "
           "refused\n", nj);
    fflush(stdout);
}
END_TEST

/* 4.6: alg protected, kid only in the unprotected header. */
START_TEST(rfc7520_4_6_protected_alg)
{
    json_t *v = cookbook_jws("4_6.protecting_specific_header_fields.json");
    json_t *in = json_object_get(v, "input");
    json_t *out = json_object_get(v, "output");
    json_t *sg = json_object_get(v, "signing");
    const char *payload = jv_str(in, "payload");
    jwk_set_t *keys = cookbook_key(json_object_get(in, "key"));
    json_t *js = json_array_get(json_object_get(json_object_get(out, "json"),
                                                "signatures"), 0);
    const char *pb = jv_str(json_object_get(out, "json"), "payload");
    int nj;

    ck_assert_str_eq(pb, tu_b64(tu_pool, payload, strlen(payload)));
    ck_assert_str_eq(jv_str(js, "protected"), jv_str(sg, "protected_b64u"));
    ck_assert_int_eq(json_signature("RFC 7520 4.6", js, pb, payload, keys),
                     1);
    /* the flattened form holds the same signature */
    ck_assert_int_eq(json_signature("RFC 7520 4.6 (flattened)",
                                    json_object_get(out, "json_flat"), pb,
                                    payload, keys), 1);
    nj = json_forms_refused(v, keys);
    printf("rfc7520 jws 4.6 (HS256, kid only in the unprotected header): "
           "protected.payload.signature accepted as a compact JWS (kid-less "
           "token, keyed by the one configured key); %d JSON "
           "serializations refused\n", nj);
    fflush(stdout);
}
END_TEST

/* 4.7: no protected header at all. */
START_TEST(rfc7520_4_7_no_protected_header)
{
    json_t *v = cookbook_jws("4_7.protecting_content_only.json");
    json_t *in = json_object_get(v, "input");
    json_t *out = json_object_get(v, "output");
    const char *payload = jv_str(in, "payload");
    jwk_set_t *keys = cookbook_key(json_object_get(in, "key"));
    json_t *js = json_array_get(json_object_get(json_object_get(out, "json"),
                                                "signatures"), 0);
    const char *pb = jv_str(json_object_get(out, "json"), "payload");
    int nj;

    ck_assert_ptr_null(json_object_get(js, "protected"));
    ck_assert_int_eq(json_signature("RFC 7520 4.7", js, pb, payload, keys),
                     0);
    nj = json_forms_refused(v, keys);
    printf("rfc7520 jws 4.7 (HS256, no protected header): no compact form "
           "(alg only in the unprotected header); \".payload.sig\" refused, "
           "the MAC over \".payload\" checked by jose_sig_verify; %d JSON "
           "serializations refused\n", nj);
    fflush(stdout);
}
END_TEST

/* 4.8: three signatures (RS256, ES512, HS256) over one payload. */
START_TEST(rfc7520_4_8_multiple_signatures)
{
    json_t *v = cookbook_jws("4_8.multiple_signatures.json");
    json_t *in = json_object_get(v, "input");
    json_t *out = json_object_get(v, "output");
    json_t *jkeys = json_object_get(in, "key");
    json_t *sigs = json_object_get(json_object_get(out, "json"),
                                   "signatures");
    const char *payload = jv_str(in, "payload");
    const char *pb = jv_str(json_object_get(out, "json"), "payload");
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 0, 0, NULL, NULL);
    jwk_set_t *all = jwk_set_make(tu_pool), *set;
    json_t *jwks;
    const char *err;
    size_t i;
    int compact = 0, nj;

    ck_assert_uint_eq(json_array_size(sigs), 3);
    ck_assert_uint_eq(json_array_size(jkeys), 3);
    for (i = 0; i < 3; i++) {
        jwk_set_t *k = cookbook_key(json_array_get(jkeys, i));
        json_t *s = json_array_get(sigs, i);
        const char *label = apr_psprintf(tu_pool, "RFC 7520 4.8 signature "
                                         "%d", (int)i + 1);
        int c = json_signature(label, s, pb, payload, k);

        /* the first and third have alg protected, the second has not */
        ck_assert_int_eq(c, i != 1);
        compact += c;
        APR_ARRAY_PUSH(all->keys, jwk_t *) = APR_ARRAY_IDX(k->keys, 0,
                                                           jwk_t *);
        if (c) {
            /* with the three keys configured, each compact form still
             * finds its own key (kid, then alg and key type) */
            char *tok = apr_pstrcat(tu_pool, jv_str(s, "protected"), ".",
                                    pb, ".", jv_str(s, "signature"), NULL);
            jws_t *jws;
            const jwk_t *used;

            ck_assert_status(parse_verify(&jws, &used, tok, all, NULL),
                             JWT_OK);
            ck_assert_ptr_eq(used, APR_ARRAY_IDX(k->keys, 0, jwk_t *));
        }
    }
    /* As one JWK Set the three keys are refused: the RSA and the EC key
     * share the kid "bilbo.baggins@hobbiton.example" for the same use,
     * and a set with duplicate kids is ambiguous (jwk.h, doc/attacks.md
     * A5).  Configured one by one, as above, they work. */
    jwks = tu_own(tu_pool, json_pack("{s:O}", "keys", jkeys));
    ck_assert_int_ne(tu_try_jwk_json(&set, tu_pool, jwks, &o, &err), 0);
    ck_assert_msg(err != NULL
                  && strstr(err, "bilbo.baggins@hobbiton.example") != NULL,
                  "refused for another reason: %s", err ? err : "");
    nj = json_forms_refused(v, all);
    printf("rfc7520 jws 4.8 (three signatures): %d of 3 accepted as "
           "compact JWS (1 RS256, 3 HS256: alg in the protected header), "
           "signature 2 (ES512, alg only in the unprotected header) has no "
           "compact form: refused as \".payload.sig\", checked by "
           "jose_sig_verify; the three keys as one JWK Set refused "
           "(duplicate kid); %d JSON serialization refused\n", compact, nj);
    fflush(stdout);
}
END_TEST

/* Tokens signed by jwcrypto (another implementation) with the fixtures. */
START_TEST(jwcrypto_tokens_accepted)
{
    json_t *v = tu_json_file(tu_pool, tu_key_path(tu_pool,
                                                  "jwcrypto-tokens.json"));
    json_t *toks = json_object_get(v, "tokens");
    const char *payload = json_string_value(json_object_get(v, "payload"));
    size_t i;

    ck_assert_uint_eq(json_array_size(toks), 15);
    for (i = 0; i < json_array_size(toks); i++) {
        json_t *e = json_array_get(toks, i);
        const char *alg = json_string_value(json_object_get(e, "alg"));
        const char *with = json_string_value(json_object_get(e,
                                                             "verify_with"));
        const char *tok = json_string_value(json_object_get(e, "token"));
        jwk_set_t *set = tu_set(tu_pool, tu_verify_key(tu_pool, with, 0),
                                NULL);
        jws_t *jws;
        const jwk_t *used;

        ck_assert_msg(parse_verify(&jws, &used, tok, set, NULL) == JWT_OK,
                      "jwcrypto %s token (%s) not accepted", alg, with);
        ck_assert_str_eq(jws->alg_name, alg);
        ck_assert_str_eq((char *)jws->payload, payload);
        ck_assert_str_eq(jws->typ, "JWT");
        tu_check_mutations(tok, set, NULL,
                           apr_pstrcat(tu_pool, "jwcrypto ", alg, " ",
                                       with, NULL));
    }
}
END_TEST

/* --------------------------------------------------------- round trip -- */

typedef struct {
    const char *alg;
    const char *priv;       /* signing key                              */
    const char *pub;        /* its public half (or the same secret)     */
    const char *other;      /* another key of the same type             */
    size_t sig_len;         /* 0: the RSA modulus length                */
} rt_row_t;

static const rt_row_t rt[] = {
    { "HS256", "secret:hs256.secret", "secret:hs256.secret",
      "secret:hs256-other.secret", 32 },
    { "HS384", "secret:hs384.secret", "secret:hs384.secret",
      "secret:hs384-other.secret", 48 },
    { "HS512", "secret:hs512.secret", "secret:hs512.secret",
      "secret:hs512-other.secret", 64 },
    { "RS256", "rsa2048.key.pem", "rsa2048.pub.pem", "rsa2048-other.pub.pem",
      256 },
    { "RS384", "rsa2048.key.pem", "rsa2048.pub.pem", "rsa2048-other.pub.pem",
      256 },
    { "RS512", "rsa3072.key.pem", "rsa3072.pub.pem", "rsa2048.pub.pem",
      384 },
    { "PS256", "rsa2048.key.pem", "rsa2048.pub.pem", "rsa2048-other.pub.pem",
      256 },
    { "PS384", "rsa3072.key.pem", "rsa3072.pub.pem", "rsa2048-other.pub.pem",
      384 },
    { "PS512", "rsa2048.key.pem", "rsa2048.pub.pem", "rsa2048-other.pub.pem",
      256 },
    { "ES256", "ec-p256.key.pem", "ec-p256.pub.pem", "ec-p256-other.pub.pem",
      64 },
    { "ES384", "ec-p384.key.pem", "ec-p384.pub.pem", "ec-p384-other.pub.pem",
      96 },
    { "ES512", "ec-p521.key.pem", "ec-p521.pub.pem", "ec-p521-other.pub.pem",
      132 },
    { "ES256K", "ec-secp256k1.key.pem", "ec-secp256k1.pub.pem",
      "ec-secp256k1-other.pub.pem", 64 },
    { "EdDSA", "ed25519.key.pem", "ed25519.pub.pem", "ed25519-other.pub.pem",
      64 },
    { "EdDSA", "ed448.key.pem", "ed448.pub.pem", "ed448-other.pub.pem",
      114 },
    { "EdDSA", "ed25519.key.pem", "ed25519.pub.pem", "ed448.pub.pem", 64 },
};

#define NROWS (sizeof(rt) / sizeof(rt[0]))

/* Public keys of every type: the "other key types" negative. */
static const char *const all_pubs[] = {
    "secret:hs256.secret", "secret:hs512.secret", "rsa2048.pub.pem",
    "rsa3072.pub.pem", "ec-p256.pub.pem", "ec-p384.pub.pem",
    "ec-p521.pub.pem", "ec-secp256k1.pub.pem", "ed25519.pub.pem",
    "ed448.pub.pem", NULL
};

static jose_kty_t kty_of(const char *name)
{
    if (strncmp(name, "secret:", 7) == 0) {
        return JOSE_KTY_OCT;
    }
    if (strncmp(name, "rsa", 3) == 0) {
        return JOSE_KTY_RSA;
    }
    if (strncmp(name, "ec-", 3) == 0) {
        return JOSE_KTY_EC;
    }
    return JOSE_KTY_OKP;
}

START_TEST(roundtrip_each_alg)
{
    const rt_row_t *r = &rt[_i];
    const jose_alg_info_t *a = tu_alg(r->alg);
    const jwk_t *sk = tu_sign_key(tu_pool, r->priv, JOSE_ALG_BIT(a->id));
    const jwk_t *pk = tu_verify_key(tu_pool, r->pub, 0);
    const jwk_t *ok = tu_verify_key(tu_pool, r->other, 0);
    jwk_set_t *good = tu_set(tu_pool, pk, NULL);
    char *tok = tu_sign(tu_pool, sk, r->alg, NULL, "{\"typ\":\"JWT\"}",
                        PAYLOAD);
    char *label = apr_psprintf(tu_pool, "%s %s", r->alg, r->priv);
    jwk_set_t *others = jwk_set_make(tu_pool);
    jws_t *jws;
    const jwk_t *used;
    int i;

    /* positive: the public half verifies, with the right lengths */
    ck_assert_msg(parse_verify(&jws, &used, tok, good, NULL) == JWT_OK,
                  "%s: own token refused", label);
    ck_assert_ptr_eq(used, pk);
    ck_assert_str_eq(jws->alg_name, r->alg);
    ck_assert_uint_eq(jws->sig_len, r->sig_len);
    ck_assert_str_eq((char *)jws->payload, PAYLOAD);
    ck_assert_str_eq(jws->typ, "JWT");
    ck_assert_status(jose_sig_verify(pk, a, (const unsigned char *)
                                     jws->signing_input,
                                     jws->signing_input_len, jws->sig,
                                     jws->sig_len), JWT_OK);
    /* the signing key verifies its own tokens too */
    ck_assert_status(tu_jws(tok, tu_set(tu_pool, sk, NULL)), JWT_OK);
    tu_check_mutations(tok, good, NULL, label);

    /* negative: another key of the same type fits, the signature not */
    ck_assert_msg(tu_jws(tok, tu_set(tu_pool, ok, NULL))
                  == JWT_ERR_SIGNATURE, "%s: accepted by %s", label,
                  r->other);

    /* negative: keys of every other type do not even fit (A2) */
    for (i = 0; all_pubs[i] != NULL; i++) {
        if (kty_of(all_pubs[i]) != a->kty) {
            const jwk_t *x = tu_verify_key(tu_pool, all_pubs[i], 0);

            APR_ARRAY_PUSH(others->keys, jwk_t *) = (jwk_t *)x;
            ck_assert_msg(jose_sig_verify(x, a, (const unsigned char *)
                                          jws->signing_input,
                                          jws->signing_input_len, jws->sig,
                                          jws->sig_len) == JWT_ERR_ALG,
                          "%s: jose_sig_verify with %s is not an alg "
                          "error", label, all_pubs[i]);
        }
    }
    ck_assert_msg(tu_jws(tok, others) == JWT_ERR_NO_KEY,
                  "%s: keys of other types: not no_key", label);
    /* and the right key among all the others is found */
    APR_ARRAY_PUSH(others->keys, jwk_t *) = (jwk_t *)pk;
    ck_assert_status(tu_jws(tok, others), JWT_OK);
}
END_TEST

/* The algorithm must be one the key allows (AuthJWTVerifyKey alg=). */
START_TEST(alg_not_allowed_for_key)
{
    const jwk_t *rsa = tu_sign_key(tu_pool, "rsa2048.key.pem", 0);
    const jwk_t *ps = tu_verify_key(tu_pool, "rsa2048.pub.pem", B(PS256));
    const jwk_t *rs = tu_verify_key(tu_pool, "rsa2048.pub.pem",
                                    B(RS256) | B(RS512));
    const jwk_t *h512 = tu_verify_key(tu_pool, "secret:hs512.secret",
                                      B(HS512));
    const jwk_t *h = tu_sign_key(tu_pool, "secret:hs512.secret", 0);
    char *t;

    t = tu_sign(tu_pool, rsa, "RS256", NULL, NULL, PAYLOAD);
    ck_assert_status(tu_jws(t, tu_set(tu_pool, ps, NULL)), JWT_ERR_NO_KEY);
    ck_assert_status(tu_jws(t, tu_set(tu_pool, rs, NULL)), JWT_OK);
    t = tu_sign(tu_pool, rsa, "RS384", NULL, NULL, PAYLOAD);
    ck_assert_status(tu_jws(t, tu_set(tu_pool, rs, NULL)), JWT_ERR_NO_KEY);
    t = tu_sign(tu_pool, rsa, "PS256", NULL, NULL, PAYLOAD);
    ck_assert_status(tu_jws(t, tu_set(tu_pool, ps, NULL)), JWT_OK);
    ck_assert_status(tu_jws(t, tu_set(tu_pool, rs, NULL)), JWT_ERR_NO_KEY);
    /* PS256 and RS256 are different algorithms on one key (Wycheproof
     * UsingRS256): the signature of one never verifies as the other */
    t = tu_token(tu_pool, "{\"alg\":\"PS256\"}", PAYLOAD, rsa, "RS256");
    ck_assert_status(tu_jws(t, tu_set(tu_pool, ps, NULL)),
                     JWT_ERR_SIGNATURE);
    /* a 64-byte secret limited to HS512 does not verify HS256 */
    t = tu_sign(tu_pool, h, "HS256", NULL, NULL, PAYLOAD);
    ck_assert_status(tu_jws(t, tu_set(tu_pool, h512, NULL)),
                     JWT_ERR_NO_KEY);
    ck_assert_status(jose_sig_verify(h512, tu_alg("HS256"),
                                     (const unsigned char *)"x", 1,
                                     (const unsigned char *)"x", 1),
                     JWT_ERR_ALG);
}
END_TEST

START_TEST(certificate_as_key)
{
    const jwk_t *rsa = tu_sign_key(tu_pool, "rsa2048.key.pem", 0);
    const jwk_t *ec = tu_sign_key(tu_pool, "ec-p256.key.pem", 0);
    jwk_set_t *rc = tu_set(tu_pool, tu_verify_key(tu_pool, "rsa2048.cert.pem",
                                                  0), NULL);
    jwk_set_t *ecc = tu_set(tu_pool, tu_verify_key(tu_pool,
                                                   "ec-p256.cert.pem", 0),
                            NULL);

    ck_assert_status(tu_jws(tu_sign(tu_pool, rsa, "PS384", NULL, NULL,
                                    PAYLOAD), rc), JWT_OK);
    ck_assert_status(tu_jws(tu_sign(tu_pool, ec, "ES256", NULL, NULL,
                                    PAYLOAD), ecc), JWT_OK);
    ck_assert_status(tu_jws(tu_sign(tu_pool, ec, "ES256", NULL, NULL,
                                    PAYLOAD), rc), JWT_ERR_NO_KEY);
}
END_TEST

START_TEST(sign_refusals)
{
    const jwk_t *pub = tu_verify_key(tu_pool, "rsa2048.pub.pem", 0);
    const jwk_t *rsa = tu_sign_key(tu_pool, "rsa2048.key.pem", B(RS256));
    const jwk_t *ec = tu_sign_key(tu_pool, "ec-p384.key.pem", 0);
    char *out = (char *)"x";
    jwt_status_t st;

    /* no private half: no signature */
    st = jws_sign(&out, tu_pool, pub, tu_alg("RS256"), NULL, NULL,
                  (const unsigned char *)"x", 1);
    ck_assert_status_in(st, 2, JWT_ERR_NO_KEY, JWT_ERR_ALG);
    ck_assert_ptr_null(out);
    /* only the algorithms the key allows */
    out = (char *)"x";
    ck_assert_status(jws_sign(&out, tu_pool, rsa, tu_alg("PS256"), NULL,
                              NULL, (const unsigned char *)"x", 1),
                     JWT_ERR_ALG);
    ck_assert_ptr_null(out);
    ck_assert_status(jws_sign(&out, tu_pool, ec, tu_alg("ES256"), NULL,
                              NULL, (const unsigned char *)"x", 1),
                     JWT_ERR_ALG);
    ck_assert_status(jws_sign(&out, tu_pool, ec, tu_alg("HS384"), NULL,
                              NULL, (const unsigned char *)"x", 1),
                     JWT_ERR_ALG);
    ck_assert_status(jws_sign(&out, tu_pool, rsa, tu_alg("RSA-OAEP"), NULL,
                              NULL, (const unsigned char *)"x", 1),
                     JWT_ERR_ALG);
}
END_TEST

/* doc/attacks.md H / jsrsasign #627: R and S are left-padded to their full
 * size, so every ES signature has the table length; 1 in 256 ES256
 * signatures has a short R or S, so sign enough of them to meet some. */
START_TEST(ecdsa_signatures_full_length)
{
    static const char *const keys[] = {
        "ec-p256.key.pem", "ES256", "ec-secp256k1.key.pem", "ES256K",
        "ec-p521.key.pem", "ES512", NULL
    };
    int i, j;

    for (i = 0; keys[i] != NULL; i += 2) {
        const jwk_t *k = tu_sign_key(tu_pool, keys[i], 0);
        const jose_alg_info_t *a = tu_alg(keys[i + 1]);
        int rounds = a->sig_len == 64 ? 1500 : 200, short_half = 0;

        for (j = 0; j < rounds; j++) {
            char in[32];
            unsigned char *sig;
            size_t n;

            snprintf(in, sizeof(in), "input %d", j);
            ck_assert_status(jose_sig_sign(&sig, &n, tu_pool, k, a,
                                           (const unsigned char *)in,
                                           strlen(in)), JWT_OK);
            ck_assert_uint_eq(n, a->sig_len);
            short_half += sig[0] == 0 || sig[n / 2] == 0;
            ck_assert_status(jose_sig_verify(k, a, (const unsigned char *)in,
                                             strlen(in), sig, n), JWT_OK);
        }
        ck_assert_msg(short_half > 0, "%s: no signature with a leading "
                      "zero byte in %d rounds", keys[i + 1], rounds);
    }
}
END_TEST

START_TEST(sign_header_shape)
{
    const jwk_t *ec = tu_sign_key(tu_pool, "ec-p256.key.pem", 0);
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 1, 0, "my-kid", NULL);
    const jwk_t *eck = tu_load_key(tu_pool, "ec-p256.key.pem", &o);
    json_t *h;
    char *t;

    /* no kid anywhere: the RFC 7638 thumbprint (manual: default kid) */
    t = tu_sign(tu_pool, ec, "ES256", NULL, "{\"typ\":\"JWT\"}", PAYLOAD);
    h = tu_json(tu_pool, tu_segment(tu_pool, t, 0));
    ck_assert_str_eq(json_string_value(json_object_get(h, "alg")), "ES256");
    ck_assert_str_eq(json_string_value(json_object_get(h, "kid")),
                     jwk_thumbprint(tu_pool, ec));
    ck_assert_str_eq(json_string_value(json_object_get(h, "typ")), "JWT");
    ck_assert_uint_eq(json_object_size(h), 3);
    /* the key's kid */
    t = tu_sign(tu_pool, eck, "ES256", NULL, NULL, PAYLOAD);
    h = tu_json(tu_pool, tu_segment(tu_pool, t, 0));
    ck_assert_str_eq(json_string_value(json_object_get(h, "kid")), "my-kid");
    ck_assert_uint_eq(json_object_size(h), 2);
    /* the caller's kid wins; extras cannot change alg or kid */
    t = tu_sign(tu_pool, eck, "ES256", "given",
                "{\"alg\":\"none\",\"kid\":\"evil\",\"cty\":\"JWT\"}",
                PAYLOAD);
    h = tu_json(tu_pool, tu_segment(tu_pool, t, 0));
    ck_assert_str_eq(json_string_value(json_object_get(h, "alg")), "ES256");
    ck_assert_str_eq(json_string_value(json_object_get(h, "kid")), "given");
    ck_assert_str_eq(json_string_value(json_object_get(h, "cty")), "JWT");
    ck_assert_str_eq(tu_segment(tu_pool, t, 1), PAYLOAD);
    ck_assert_status(tu_jws(t, tu_set(tu_pool, ec, NULL)), JWT_OK);
}
END_TEST

/* ------------------------------------------------------ key confusion -- */

static const jwk_t *hmac_from(const void *bytes, size_t len,
                              jose_alg_set_t algs)
{
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 1, algs, NULL, NULL);
    jwk_t *k = NULL;
    const char *err = NULL;

    ck_assert_msg(jwk_from_secret(&k, tu_pool, bytes, len, &o, "test",
                                  &err) == 0, "secret refused: %s",
                  err ? err : "");
    return k;
}

/* HMAC-SHA-x of IN under KEY (any length, also empty), by OpenSSL. */
static unsigned char *raw_hmac(const char *md, const void *key, size_t klen,
                               const char *in, size_t *outlen)
{
    unsigned char *out = apr_palloc(tu_pool, EVP_MAX_MD_SIZE);
    static const unsigned char zero;

    ck_assert_ptr_nonnull(EVP_Q_mac(NULL, "HMAC", NULL, md, NULL,
                                    klen ? key : &zero, klen,
                                    (const unsigned char *)in, strlen(in),
                                    out, EVP_MAX_MD_SIZE, outlen));
    return out;
}

/* The public key in every encoding an attacker might guess, used as an
 * HMAC secret: never accepted (doc/attacks.md A2, CVE-2016-10555 class). */
static void confusion(const char *pubname, const char *jwkname)
{
    const jwk_t *pub = tu_verify_key(tu_pool, pubname, 0);
    jwk_set_t *set = tu_set(tu_pool, pub, NULL);
    size_t pemlen, jwklen = 0, n;
    char *pem = tu_read_file(tu_pool, tu_key_path(tu_pool, pubname),
                             &pemlen);
    char *jwkt = jwkname ? tu_read_file(tu_pool, tu_key_path(tu_pool,
                                                             jwkname),
                                        &jwklen)
                         : NULL;
    unsigned char *der = NULL;
    int derlen = i2d_PUBKEY(pub->pkey, &der);
    const void *enc[5];
    size_t enclen[5];
    static const char *const hs[] = { "HS256", "HS384", "HS512" };
    static const char *const md[] = { "SHA256", "SHA384", "SHA512" };
    int e, h;

    ck_assert_int_gt(derlen, 0);
    enc[0] = pem;               /* the PEM file as it is        */
    enclen[0] = pemlen;
    enc[1] = pem;               /* without its trailing newline */
    enclen[1] = pemlen - 1;
    enc[2] = der;               /* DER SubjectPublicKeyInfo     */
    enclen[2] = (size_t)derlen;
    enc[3] = jwkt;              /* the JWK JSON text            */
    enclen[3] = jwklen;
    enc[4] = "";                /* the empty key                */
    enclen[4] = 0;
    for (e = 0; e < 5; e++) {
        if (enc[e] == NULL) {
            continue;
        }
        for (h = 0; h < 3; h++) {
            char *hdr = apr_psprintf(tu_pool, "{\"alg\":\"%s\"}", hs[h]);
            char *in = apr_pstrcat(tu_pool, tu_b64(tu_pool, hdr, strlen(hdr)),
                                   ".", tu_b64(tu_pool, PAYLOAD,
                                               strlen(PAYLOAD)), NULL);
            unsigned char *mac = raw_hmac(md[h], enc[e], enclen[e], in, &n);
            char *t = apr_pstrcat(tu_pool, in, ".", tu_b64(tu_pool, mac, n),
                                  NULL);

            ck_assert_msg(tu_jws(t, set) == JWT_ERR_NO_KEY,
                          "%s: %s keyed with encoding %d: %s", pubname,
                          hs[h], e, jwt_status_name(tu_jws(t, set)));
            ck_assert_msg(jose_sig_verify(pub, tu_alg(hs[h]),
                                          (const unsigned char *)in,
                                          strlen(in), mac, n)
                          == JWT_ERR_ALG, "%s: primitive took %s", pubname,
                          hs[h]);
        }
    }
    OPENSSL_free(der);
}

START_TEST(rs_to_hs_confusion)
{
    confusion("rsa2048.pub.pem", "rsa2048.pub.jwk");
    confusion("rsa2048.cert.pem", "rsa2048.pub.jwk");
}
END_TEST

START_TEST(es_to_hs_confusion)
{
    confusion("ec-p256.pub.pem", "ec-p256.pub.jwk");
    confusion("ec-p384.pub.pem", NULL);
}
END_TEST

START_TEST(eddsa_to_hs_confusion)
{
    confusion("ed25519.pub.pem", "ed25519.pub.jwk");
}
END_TEST

/* With an HMAC key configured next to the RSA key, the confused token
 * finds a candidate, and its MAC is wrong. */
START_TEST(confusion_with_hmac_key_present)
{
    const jwk_t *pub = tu_verify_key(tu_pool, "rsa2048.pub.pem", 0);
    const jwk_t *hk = tu_verify_key(tu_pool, "secret:hs256.secret", 0);
    jwk_set_t *set = tu_set(tu_pool, pub, hk, NULL);
    size_t pemlen;
    char *pem = tu_read_file(tu_pool, tu_key_path(tu_pool,
                                                  "rsa2048.pub.pem"),
                             &pemlen);
    const jwk_t *forged = hmac_from(pem, pemlen, B(HS256));
    const jwk_t *rsa = tu_sign_key(tu_pool, "rsa2048.key.pem", 0);
    const jwk_t *used;
    jws_t *jws;

    ck_assert_status(tu_jws(tu_sign(tu_pool, forged, "HS256", NULL, NULL,
                                    PAYLOAD), set), JWT_ERR_SIGNATURE);
    ck_assert_status(parse_verify(&jws, &used,
                                  tu_sign(tu_pool, rsa, "RS256", NULL, NULL,
                                          PAYLOAD), set, NULL), JWT_OK);
    ck_assert_ptr_eq(used, pub);
}
END_TEST

START_TEST(es256_to_rsa_and_p384)
{
    const jwk_t *p256 = tu_sign_key(tu_pool, "ec-p256.key.pem", 0);
    const jwk_t *p384 = tu_verify_key(tu_pool, "ec-p384.pub.pem", 0);
    const jwk_t *rsa = tu_verify_key(tu_pool, "rsa2048.pub.pem", 0);
    const jwk_t *k1 = tu_verify_key(tu_pool, "ec-secp256k1.pub.pem", 0);
    char *t = tu_sign(tu_pool, p256, "ES256", NULL, NULL, PAYLOAD);
    unsigned char *sig;
    size_t siglen;
    const char *in;

    ck_assert_status(tu_jws(t, tu_set(tu_pool, rsa, NULL)), JWT_ERR_NO_KEY);
    ck_assert_status(tu_jws(t, tu_set(tu_pool, p384, NULL)), JWT_ERR_NO_KEY);
    /* ES256K is another curve of the same size: not a P-256 key */
    ck_assert_status(tu_jws(t, tu_set(tu_pool, k1, NULL)), JWT_ERR_NO_KEY);
    sig = tu_sig_of(tu_pool, t, &siglen);
    in = apr_pstrndup(tu_pool, t, (apr_size_t)(strrchr(t, '.') - t));
    ck_assert_status(jose_sig_verify(p384, tu_alg("ES256"),
                                     (const unsigned char *)in, strlen(in),
                                     sig, siglen), JWT_ERR_ALG);
    ck_assert_status(jose_sig_verify(rsa, tu_alg("ES256"),
                                     (const unsigned char *)in, strlen(in),
                                     sig, siglen), JWT_ERR_ALG);
    ck_assert_status(jose_sig_verify(p384, tu_alg("ES384"),
                                     (const unsigned char *)in, strlen(in),
                                     sig, siglen), JWT_ERR_SIGNATURE);
    /* a token that claims ES384 on the P-384 key, carrying a P-256 sig */
    t = tu_token(tu_pool, "{\"alg\":\"ES384\"}", PAYLOAD, p256, "ES256");
    ck_assert_status(tu_jws(t, tu_set(tu_pool, p384, NULL)),
                     JWT_ERR_SIGNATURE);
    /* and RS256 to an EC key */
    t = tu_sign(tu_pool, tu_sign_key(tu_pool, "rsa2048.key.pem", 0),
                "RS256", NULL, NULL, PAYLOAD);
    ck_assert_status(tu_jws(t, tu_set(tu_pool, p384, k1, NULL)),
                     JWT_ERR_NO_KEY);
}
END_TEST

/* ---------------------------------------------------------------- kid -- */

START_TEST(kid_is_a_filter)
{
    jwk_load_opts_t o1 = tu_opts(JOSE_USE_SIG, 0, 0, "k1", NULL);
    jwk_load_opts_t o2 = tu_opts(JOSE_USE_SIG, 0, 0, "k2", NULL);
    const jwk_t *k1 = tu_load_key(tu_pool, "rsa2048.pub.pem", &o1);
    const jwk_t *k2 = tu_load_key(tu_pool, "rsa2048-other.pub.pem", &o2);
    const jwk_t *s1 = tu_sign_key(tu_pool, "rsa2048.key.pem", 0);
    const jwk_t *s2 = tu_sign_key(tu_pool, "rsa2048-other.key.pem", 0);
    jwk_set_t *one = tu_set(tu_pool, k1, NULL);
    jwk_set_t *both = tu_set(tu_pool, k1, k2, NULL);
    static const char *const wrong[] = {
        "k2", "K1", "k1 ", " k1", "k", "k10", "", NULL
    };
    const jwk_t *used;
    jws_t *jws;
    int i;

    ck_assert_str_eq(k1->kid, "k1");
    ck_assert_status(tu_jws(tu_sign(tu_pool, s1, "RS256", "k1", NULL,
                                    PAYLOAD), one), JWT_OK);
    for (i = 0; wrong[i] != NULL; i++) {
        ck_assert_msg(tu_jws(tu_sign(tu_pool, s1, "RS256", wrong[i], NULL,
                                     PAYLOAD), one) == JWT_ERR_NO_KEY,
                      "kid \"%s\" matched \"k1\"", wrong[i]);
    }
    /* kid selects the key; the other key is never tried (no fallback) */
    ck_assert_status(parse_verify(&jws, &used,
                                  tu_sign(tu_pool, s2, "RS256", "k2", NULL,
                                          PAYLOAD), both, NULL), JWT_OK);
    ck_assert_ptr_eq(used, k2);
    ck_assert_str_eq(jws->kid, "k2");
    ck_assert_status(parse_verify(&jws, &used,
                                  tu_sign(tu_pool, s1, "RS256", "k1", NULL,
                                          PAYLOAD), both, NULL), JWT_OK);
    ck_assert_ptr_eq(used, k1);
    ck_assert_status(tu_jws(tu_sign(tu_pool, s2, "RS256", "k1", NULL,
                                    PAYLOAD), both), JWT_ERR_SIGNATURE);
    /* a token without kid is tried against every fitting key, kid or not:
     * only the right signature passes */
    ck_assert_status(tu_jws(tu_token(tu_pool, "{\"alg\":\"RS256\"}", PAYLOAD,
                                     s1, "RS256"), one), JWT_OK);
    ck_assert_status(parse_verify(&jws, &used,
                                  tu_token(tu_pool, "{\"alg\":\"RS256\"}",
                                           PAYLOAD, s2, "RS256"), both, NULL),
                     JWT_OK);
    ck_assert_ptr_eq(used, k2);
    ck_assert_status(tu_jws(tu_token(tu_pool, "{\"alg\":\"RS256\"}", PAYLOAD,
                                     s2, "RS256"), one), JWT_ERR_SIGNATURE);
}
END_TEST

START_TEST(key_without_kid_matches_any)
{
    const jwk_t *pub = tu_verify_key(tu_pool, "rsa2048.pub.pem", 0);
    const jwk_t *s = tu_sign_key(tu_pool, "rsa2048.key.pem", 0);
    jwk_set_t *set = tu_set(tu_pool, pub, NULL);

    /* manual: a PEM source has no kid unless kid= gives one */
    ck_assert_ptr_null(pub->kid);
    ck_assert_status(tu_jws(tu_sign(tu_pool, s, "RS256", "anything", NULL,
                                    PAYLOAD), set), JWT_OK);
    ck_assert_status(tu_jws(tu_token(tu_pool, "{\"alg\":\"RS256\"}",
                                     PAYLOAD, s, "RS256"), set), JWT_OK);
    ck_assert_status(tu_jws(tu_sign(tu_pool, s, "PS256", "x", NULL,
                                    PAYLOAD), set), JWT_OK);
}
END_TEST

START_TEST(kid_type_and_length)
{
    const jwk_t *k = tu_sign_key(tu_pool, "secret:hs256.secret", 0);
    jwk_set_t *set = tu_set(tu_pool, k, NULL);
    static const char *const bad[] = {
        "5", "null", "true", "{}", "[\"k1\"]", "{\"$ne\":null}", "1.5", NULL
    };
    char kid[400];
    int i;

    for (i = 0; bad[i] != NULL; i++) {
        char *h = apr_psprintf(tu_pool, "{\"alg\":\"HS256\",\"kid\":%s}",
                               bad[i]);

        ck_assert_msg(tu_jws(tu_token(tu_pool, h, PAYLOAD, k, "HS256"), set)
                      == JWT_ERR_HEADER, "kid %s accepted", bad[i]);
    }
    /* doc/attacks.md A5: a length cap on kid */
    memset(kid, 'a', sizeof(kid));
    kid[JWS_MAX_KID_LEN] = '\0';
    ck_assert_status(tu_jws(tu_sign(tu_pool, k, "HS256", kid, NULL,
                                    PAYLOAD), set), JWT_OK);
    kid[JWS_MAX_KID_LEN] = 'a';
    kid[JWS_MAX_KID_LEN + 1] = '\0';
    ck_assert_status(tu_jws(tu_sign(tu_pool, k, "HS256", kid, NULL,
                                    PAYLOAD), set), JWT_ERR_HEADER);
    /* a NUL inside kid never reaches the lookup (E5) */
    ck_assert_status(tu_jws(tu_token(tu_pool, "{\"alg\":\"HS256\","
                                     "\"kid\":\"k\\u0000x\"}", PAYLOAD, k,
                                     "HS256"), set), JWT_ERR_JSON);
}
END_TEST

/* jwt_tool's kid playbook: kid is never a path, SQL or command (A5). */
START_TEST(kid_injection)
{
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 0, 0, "hs", NULL);
    const jwk_t *k = tu_load_key(tu_pool, "secret:hs256.secret", &o);
    jwk_set_t *set = tu_set(tu_pool, k, NULL);
    static const char *const kids[] = {
        "../../../../../../dev/null", "/dev/null", "/invalid_path",
        "|sleep 10", "x' UNION SELECT '1';--", "hs/../hs", "hs\\u0000",
        NULL
    };
    int i;

    for (i = 0; kids[i] != NULL; i++) {
        char *h = apr_psprintf(tu_pool, "{\"alg\":\"HS256\",\"kid\":\"%s\"}",
                               kids[i]);
        size_t n;
        char *in = apr_pstrcat(tu_pool, tu_b64(tu_pool, h, strlen(h)), ".",
                               tu_b64(tu_pool, PAYLOAD, strlen(PAYLOAD)),
                               NULL);
        unsigned char *mac = raw_hmac("SHA256", "", 0, in, &n);
        char *t = apr_pstrcat(tu_pool, in, ".", tu_b64(tu_pool, mac, n),
                              NULL);

        ck_assert_status_in(tu_jws(t, set), 2, JWT_ERR_NO_KEY,
                            JWT_ERR_JSON);
        mac = raw_hmac("SHA256", "1", 1, in, &n);
        t = apr_pstrcat(tu_pool, in, ".", tu_b64(tu_pool, mac, n), NULL);
        ck_assert_status_in(tu_jws(t, set), 2, JWT_ERR_NO_KEY,
                            JWT_ERR_JSON);
    }
}
END_TEST

/* ---------------------------------------------------------------- iss -- */

START_TEST(iss_key_filter)
{
    jwk_load_opts_t oa = tu_opts(JOSE_USE_SIG, 0, 0, NULL,
                                 "https://a.example");
    jwk_load_opts_t ob = tu_opts(JOSE_USE_SIG, 0, 0, NULL,
                                 "https://b.example");
    const jwk_t *ka = tu_load_key(tu_pool, "rsa2048.pub.pem", &oa);
    const jwk_t *kb = tu_load_key(tu_pool, "rsa2048-other.pub.pem", &ob);
    const jwk_t *any = tu_verify_key(tu_pool, "rsa2048.pub.pem", 0);
    const jwk_t *sa = tu_sign_key(tu_pool, "rsa2048.key.pem", 0);
    const jwk_t *sb = tu_sign_key(tu_pool, "rsa2048-other.key.pem", 0);
    char *ta = tu_sign(tu_pool, sa, "RS256", NULL, NULL, PAYLOAD);
    char *tb = tu_sign(tu_pool, sb, "RS256", NULL, NULL, PAYLOAD);
    jwk_set_t *one = tu_set(tu_pool, ka, NULL);
    jwk_set_t *both = tu_set(tu_pool, ka, kb, NULL);
    static const char *const wrong[] = {
        "https://b.example", "https://a.example/", "https://a.exampl",
        "HTTPS://A.EXAMPLE", "https://a.example.evil", "", "https", NULL
    };
    const jwk_t *used;
    jws_t *jws;
    int i;

    ck_assert_str_eq(ka->iss, "https://a.example");
    ck_assert_status(tu_jws_status(ta, strlen(ta), one, "https://a.example"),
                     JWT_OK);
    ck_assert_status(tu_jws_status(ta, strlen(ta), one, NULL),
                     JWT_ERR_NO_KEY);
    for (i = 0; wrong[i] != NULL; i++) {
        ck_assert_msg(tu_jws_status(ta, strlen(ta), one, wrong[i])
                      == JWT_ERR_NO_KEY, "iss \"%s\" matched", wrong[i]);
    }
    ck_assert_status(parse_verify(&jws, &used, tb, both,
                                  "https://b.example"), JWT_OK);
    ck_assert_ptr_eq(used, kb);
    ck_assert_status(tu_jws_status(tb, strlen(tb), both,
                                   "https://a.example"), JWT_ERR_SIGNATURE);
    /* a key without iss= verifies tokens of any issuer */
    ck_assert_status(tu_jws_status(ta, strlen(ta), tu_set(tu_pool, any, NULL),
                                   "https://whoever.example"), JWT_OK);
    ck_assert_status(tu_jws_status(ta, strlen(ta), tu_set(tu_pool, any, NULL),
                                   NULL), JWT_OK);
}
END_TEST

/* README "Security notes": no token costs more than two signature checks,
 * however many keys fit it.  KEYS gets N freshly made P-256 keys for verification
 * (the private halves in SIGNERS), each with kid "kN" when WITH_KID. */
static jwk_set_t *many_ec_keys(const jwk_t **signers, int n, int with_kid)
{
    jwk_set_t *set = jwk_set_make(tu_pool);
    int i;

    for (i = 0; i < n; i++) {
        jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 0, 0,
                                    with_kid ? apr_psprintf(tu_pool, "k%d",
                                                            i + 1) : NULL,
                                    NULL);
        jwk_load_opts_t so = tu_opts(JOSE_USE_SIG, 1, 0, NULL, NULL);
        EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        EVP_PKEY *pub = NULL;
        unsigned char *der = NULL;
        const unsigned char *d;
        const char *err = NULL;
        jwk_t *k = NULL, *s = NULL;
        int len;

        ck_assert_ptr_nonnull(pk);
        len = i2d_PUBKEY(pk, &der);
        ck_assert_int_gt(len, 0);
        d = der;
        pub = d2i_PUBKEY(NULL, &d, len);
        OPENSSL_free(der);
        ck_assert_ptr_nonnull(pub);
        ck_assert_msg(jwk_from_pkey(&k, tu_pool, pub, &o, "generated",
                                    &err) == 0, "%s", err);
        ck_assert_msg(jwk_from_pkey(&s, tu_pool, pk, &so, "generated",
                                    &err) == 0, "%s", err);
        APR_ARRAY_PUSH(set->keys, const jwk_t *) = k;
        signers[i] = s;
    }
    return set;
}

START_TEST(at_most_two_keys_per_token)
{
    enum { N = 40 };
    const jwk_t *signers[N], *cand[JWS_MAX_VERIFY_KEYS + 1];
    jwk_set_t *bare = many_ec_keys(signers, N, 0);
    jws_t *jws;
    char *t;
    int i;

    ck_assert_int_eq(JWS_MAX_VERIFY_KEYS, 2);
    /* no kid: the first two fitting keys and no more, whoever signed */
    for (i = 0; i < N; i++) {
        t = tu_token(tu_pool, "{\"alg\":\"ES256\"}", PAYLOAD, signers[i],
                     "ES256");
        ck_assert_status(jws_parse(&jws, tu_pool, t, strlen(t)), JWT_OK);
        ck_assert_int_eq(jws_select_keys(cand, jws, bare, NULL), 2);
        ck_assert_ptr_eq(cand[0], APR_ARRAY_IDX(bare->keys, 0, jwk_t *));
        ck_assert_ptr_eq(cand[1], APR_ARRAY_IDX(bare->keys, 1, jwk_t *));
        ck_assert_status(tu_jws(t, bare),
                         i < 2 ? JWT_OK : JWT_ERR_SIGNATURE);
    }
    /* a kid nobody has: still the keys without a kid, two of them */
    t = tu_token(tu_pool, "{\"alg\":\"ES256\",\"kid\":\"zz\"}", PAYLOAD,
                 signers[N - 1], "ES256");
    ck_assert_status(jws_parse(&jws, tu_pool, t, strlen(t)), JWT_OK);
    ck_assert_int_eq(jws_select_keys(cand, jws, bare, NULL), 2);
    ck_assert_status(tu_jws(t, bare), JWT_ERR_SIGNATURE);
}
END_TEST

START_TEST(kid_reaches_its_key_among_many)
{
    enum { N = 40 };
    const jwk_t *signers[N], *cand[JWS_MAX_VERIFY_KEYS + 1], *used;
    jwk_set_t *kids = many_ec_keys(signers, N, 1);
    const jwk_t *extra[2];
    jwk_set_t *more;
    jws_t *jws;
    char *t, hdr[64];
    int i;

    for (i = 0; i < N; i++) {
        snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"kid\":\"k%d\"}",
                 i + 1);
        t = tu_token(tu_pool, hdr, PAYLOAD, signers[i], "ES256");
        ck_assert_status(jws_parse(&jws, tu_pool, t, strlen(t)), JWT_OK);
        ck_assert_int_eq(jws_select_keys(cand, jws, kids, NULL), 1);
        ck_assert_status(parse_verify(&jws, &used, t, kids, NULL), JWT_OK);
        ck_assert_ptr_eq(used, APR_ARRAY_IDX(kids->keys, i, jwk_t *));
        /* the key of another kid is never tried */
        t = tu_token(tu_pool, hdr, PAYLOAD, signers[(i + 1) % N], "ES256");
        ck_assert_status(tu_jws(t, kids), JWT_ERR_SIGNATURE);
    }
    /* no kid in the token: keys with kids fit too, but only two are
     * tried */
    t = tu_token(tu_pool, "{\"alg\":\"ES256\"}", PAYLOAD, signers[N - 1],
                 "ES256");
    ck_assert_status(jws_parse(&jws, tu_pool, t, strlen(t)), JWT_OK);
    ck_assert_int_eq(jws_select_keys(cand, jws, kids, NULL), 2);
    ck_assert_status(tu_jws(t, kids), JWT_ERR_SIGNATURE);

    /* the kid's key comes first even behind keys without a kid, and one
     * key without a kid may follow it */
    more = many_ec_keys(extra, 2, 0);
    for (i = 0; i < N; i++) {
        APR_ARRAY_PUSH(more->keys, const jwk_t *) =
            APR_ARRAY_IDX(kids->keys, i, const jwk_t *);
    }
    t = tu_token(tu_pool, "{\"alg\":\"ES256\",\"kid\":\"k40\"}", PAYLOAD,
                 signers[N - 1], "ES256");
    ck_assert_status(jws_parse(&jws, tu_pool, t, strlen(t)), JWT_OK);
    ck_assert_int_eq(jws_select_keys(cand, jws, more, NULL), 2);
    ck_assert_ptr_eq(cand[0], APR_ARRAY_IDX(more->keys, N + 1, jwk_t *));
    ck_assert_ptr_eq(cand[1], APR_ARRAY_IDX(more->keys, 0, jwk_t *));
    ck_assert_status(parse_verify(&jws, &used, t, more, NULL), JWT_OK);
    ck_assert_ptr_eq(used, cand[0]);
    t = tu_token(tu_pool, "{\"alg\":\"ES256\",\"kid\":\"k40\"}", PAYLOAD,
                 extra[0], "ES256");
    ck_assert_status(tu_jws(t, more), JWT_OK);
    t = tu_token(tu_pool, "{\"alg\":\"ES256\",\"kid\":\"k40\"}", PAYLOAD,
                 extra[1], "ES256");
    ck_assert_status(tu_jws(t, more), JWT_ERR_SIGNATURE);
}
END_TEST

START_TEST(hmac_tries_bounded_too)
{
    static const char *const names[] = {
        "secret:hs256.secret", "secret:hs256-other.secret",
        "secret:hs512.secret"
    };
    const jwk_t *k[3], *cand[JWS_MAX_VERIFY_KEYS + 1];
    jwk_set_t *set;
    jws_t *jws;
    char *t;
    int i;

    for (i = 0; i < 3; i++) {
        k[i] = tu_verify_key(tu_pool, names[i], B(HS256));
    }
    set = tu_set(tu_pool, k[0], k[1], k[2], NULL);
    t = tu_token(tu_pool, "{\"alg\":\"HS256\"}", PAYLOAD, k[2], "HS256");
    ck_assert_status(jws_parse(&jws, tu_pool, t, strlen(t)), JWT_OK);
    ck_assert_int_eq(jws_select_keys(cand, jws, set, NULL), 2);
    ck_assert_status(tu_jws(t, set), JWT_ERR_SIGNATURE);
    t = tu_token(tu_pool, "{\"alg\":\"HS256\"}", PAYLOAD, k[1], "HS256");
    ck_assert_status(tu_jws(t, set), JWT_OK);
}
END_TEST

/* ------------------------------------------------------------ headers -- */

static const jwk_t *hkey(void)
{
    return tu_sign_key(tu_pool, "secret:hs256.secret", 0);
}

/* A header text with a correct HS256 MAC: only the header can reject. */
static jwt_status_t hs(const char *header)
{
    const jwk_t *k = hkey();

    return tu_jws(tu_token(tu_pool, header, PAYLOAD, k, "HS256"),
                  tu_set(tu_pool, k, NULL));
}

START_TEST(header_crit)
{
    static const char *const crit[] = {
        "{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}",
        "{\"alg\":\"HS256\",\"crit\":[\"foo\"],\"foo\":1}",
        "{\"alg\":\"HS256\",\"crit\":[\"foo\"]}",
        "{\"alg\":\"HS256\",\"crit\":[]}",
        "{\"alg\":\"HS256\",\"crit\":[\"alg\"]}",
        "{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}",
        "{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":true}",
        "{\"alg\":\"HS256\",\"crit\":[\"foo\",\"foo\"],\"foo\":1}",
        NULL
    };
    static const char *const bad_type[] = {
        "{\"alg\":\"HS256\",\"crit\":\"exp\",\"exp\":1}",
        "{\"alg\":\"HS256\",\"crit\":null}",
        "{\"alg\":\"HS256\",\"crit\":[5]}",
        "{\"alg\":\"HS256\",\"crit\":{}}",
        /* RFC 7797 without crit: b64 changes what is signed (D4) */
        "{\"alg\":\"HS256\",\"b64\":false}",
        "{\"alg\":\"HS256\",\"b64\":true}",
        NULL
    };
    int i;

    ck_assert_status(hs("{\"alg\":\"HS256\"}"), JWT_OK);
    for (i = 0; crit[i] != NULL; i++) {
        ck_assert_msg(hs(crit[i]) == JWT_ERR_CRIT, "%s: %s", crit[i],
                      jwt_status_name(hs(crit[i])));
    }
    for (i = 0; bad_type[i] != NULL; i++) {
        ck_assert_msg(tu_status_in(hs(bad_type[i]), 2, JWT_ERR_CRIT,
                                   JWT_ERR_HEADER), "%s: %s", bad_type[i],
                      jwt_status_name(hs(bad_type[i])));
    }
}
END_TEST

/* The header is read in one pass over its members: names match over their
 * full length only, and the checks keep their order (alg first). */
START_TEST(header_member_names_exact)
{
    /* a longer name (also one written with an escape) or a prefix of
     * "alg" is not alg */
    ck_assert_status(hs("{\"alg\\u0041\":\"HS256\"}"), JWT_ERR_ALG);
    ck_assert_status(hs("{\"\\u0061lg\":\"HS256\"}"), JWT_OK);
    ck_assert_status(hs("{\"al\":\"HS256\"}"), JWT_ERR_ALG);
    ck_assert_status(hs("{\"algo\":\"HS256\"}"), JWT_ERR_ALG);
    /* names that only resemble crit, b64, zip and enc are ignored */
    ck_assert_status(hs("{\"alg\":\"HS256\",\"crit\\u0041\":1,"
                        "\"b6\":1,\"zipx\":1,\"Enc\":1,\"kidd\":5}"),
                     JWT_OK);
    /* alg is judged before crit, b64, zip, enc and a bad kid */
    ck_assert_status(hs("{\"crit\":[\"x\"],\"alg\":\"none\"}"),
                     JWT_ERR_ALG);
    ck_assert_status(hs("{\"zip\":\"DEF\",\"alg\":\"RSA-OAEP\"}"),
                     JWT_ERR_ALG);
    ck_assert_status(hs("{\"kid\":5,\"alg\":\"HS257\"}"), JWT_ERR_ALG);
    /* crit is judged before a kid of the wrong type */
    ck_assert_status(hs("{\"kid\":5,\"crit\":[\"x\"],\"alg\":\"HS256\"}"),
                     JWT_ERR_CRIT);
    /* kid, typ and cty must be strings wherever they stand */
    ck_assert_status(hs("{\"typ\":1,\"alg\":\"HS256\"}"), JWT_ERR_HEADER);
    ck_assert_status(hs("{\"alg\":\"HS256\",\"cty\":null}"),
                     JWT_ERR_HEADER);
    ck_assert_status(hs("{\"alg\":\"HS256\",\"kid\":[\"a\"]}"),
                     JWT_ERR_HEADER);
}
END_TEST

/* A header read without jansson (the common shape) and one read through
 * it (an escape, or more than sixteen members) give the same fields; the
 * in-place reading leaves every string whole and terminated. */
START_TEST(header_both_readers)
{
    static const char *const headers[] = {
        "{\"alg\":\"HS256\",\"kid\":\"k-1\",\"typ\":\"at+jwt\","
        "\"cty\":\"json\"}",
        "{\"alg\":\"HS256\",\"kid\":\"k-\\u0031\",\"typ\":\"at+jwt\","
        "\"cty\":\"json\"}",
        "{\"alg\":\"HS256\",\"kid\":\"k-1\",\"typ\":\"at+jwt\","
        "\"cty\":\"json\",\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1,"
        "\"g\":1,\"h\":1,\"i\":1,\"j\":1,\"k\":1,\"l\":1,\"m\":1}",
        NULL
    };
    const jwk_t *k = hkey();
    int i;

    for (i = 0; headers[i] != NULL; i++) {
        const char *tok = tu_token(tu_pool, headers[i], PAYLOAD, k, "HS256");
        jws_t *jws = NULL;

        ck_assert_status(jws_parse(&jws, tu_pool, tok, strlen(tok)), JWT_OK);
        ck_assert_str_eq(jws->alg_name, "HS256");
        ck_assert_str_eq(jws->kid, "k-1");
        ck_assert_str_eq(jws->typ, "at+jwt");
        ck_assert_str_eq(jws->cty, "json");
        ck_assert_status(hs(headers[i]), JWT_OK);
    }
    /* a duplicate goes to jansson, which refuses it */
    ck_assert_status(hs("{\"alg\":\"HS256\",\"alg\":\"HS256\"}"),
                     JWT_ERR_JSON);
    ck_assert_status(hs("{\"alg\":\"HS256\",\"kid\":\"a\",\"kid\":\"b\"}"),
                     JWT_ERR_JSON);
}
END_TEST

START_TEST(header_zip_and_enc)
{
    const jwk_t *k = hkey();
    jws_t *jws;
    const jwk_t *used;
    jwt_status_t st;

    /* zip is JWE-only: rejected, or at least never acted on (C7) */
    st = parse_verify(&jws, &used,
                      tu_token(tu_pool, "{\"alg\":\"HS256\",\"zip\":\"DEF\"}",
                               PAYLOAD, k, "HS256"),
                      tu_set(tu_pool, k, NULL), NULL);
    ck_assert_status_in(st, 2, JWT_ERR_HEADER, JWT_OK);
    if (st == JWT_OK) {
        ck_assert_str_eq((char *)jws->payload, PAYLOAD);
    }
    /* enc in three segments never makes it a JWE (C1) */
    ck_assert_status_in(hs("{\"alg\":\"HS256\",\"enc\":\"A128GCM\"}"), 2,
                        JWT_ERR_HEADER, JWT_OK);
    ck_assert_status(hs("{\"alg\":\"RSA-OAEP\",\"enc\":\"A128GCM\"}"),
                     JWT_ERR_ALG);
    ck_assert_status(hs("{\"alg\":\"dir\",\"enc\":\"A128GCM\"}"),
                     JWT_ERR_ALG);
    ck_assert_status(hs("{\"alg\":\"A128KW\"}"), JWT_ERR_ALG);
    ck_assert_status(hs("{\"alg\":\"PBES2-HS256+A128KW\"}"), JWT_ERR_ALG);
}
END_TEST

START_TEST(header_member_types)
{
    static const char *const bad[] = {
        "{\"alg\":\"HS256\",\"typ\":5}",
        "{\"alg\":\"HS256\",\"typ\":null}",
        "{\"alg\":\"HS256\",\"typ\":[\"JWT\"]}",
        "{\"alg\":\"HS256\",\"cty\":{}}",
        "{\"alg\":\"HS256\",\"cty\":true}",
        "{\"alg\":\"HS256\",\"kid\":7}",
        NULL
    };
    int i;

    for (i = 0; bad[i] != NULL; i++) {
        ck_assert_msg(hs(bad[i]) == JWT_ERR_HEADER, "%s: %s", bad[i],
                      jwt_status_name(hs(bad[i])));
    }
    /* D2: duplicate header members */
    ck_assert_status(hs("{\"alg\":\"HS256\",\"alg\":\"none\"}"),
                     JWT_ERR_JSON);
    ck_assert_status(hs("{\"alg\":\"HS256\",\"typ\":\"JWT\","
                        "\"typ\":\"JWT\"}"), JWT_ERR_JSON);
    ck_assert_status(hs("{\"alg\":\"HS256\",\"x\":{\"a\":1,\"a\":1}}"),
                     JWT_ERR_JSON);
    /* D4: the header is an object */
    ck_assert_status(hs("[\"HS256\"]"), JWT_ERR_JSON);
    ck_assert_status(hs("\"HS256\""), JWT_ERR_JSON);
    ck_assert_status(hs("{\"alg\":\"HS256\"}x"), JWT_ERR_JSON);
    ck_assert_status(hs("not json"), JWT_ERR_JSON);
    ck_assert_status(hs("{\"alg\":\"HS256\",\"x\":\"\\u0000\"}"),
                     JWT_ERR_JSON);
    /* unknown members are fine */
    ck_assert_status(hs("{\"alg\":\"HS256\",\"x-custom\":[1,{}]}"), JWT_OK);
}
END_TEST

/* jwk, jku, x5u, x5c, x5t in the header are never a source of trust
 * (A3, A4): a token signed by the attacker's key and carrying that key is
 * refused; the configured key still verifies tokens that carry them. */
START_TEST(embedded_keys_ignored)
{
    const jwk_t *pub = tu_verify_key(tu_pool, "rsa2048.pub.pem", 0);
    const jwk_t *good = tu_sign_key(tu_pool, "rsa2048.key.pem", 0);
    const jwk_t *evil = tu_sign_key(tu_pool, "rsa2048-other.key.pem", 0);
    const jwk_t *evil_hs = hmac_from("attacker-chosen-secret-of-32-bytes",
                                     34, B(HS256));
    jwk_set_t *set = tu_set(tu_pool, pub, NULL);
    json_t *ej = tu_own(tu_pool, jwk_public_json(evil));
    json_t *gj = tu_own(tu_pool, jwk_public_json(pub));
    char *ejt, *gjt, *h;
    static const char *const urls =
        "\"jku\":\"https://attacker.example/jwks.json\","
        "\"x5u\":\"https://attacker.example/cert.pem\","
        "\"x5c\":[\"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\"],"
        "\"x5t\":\"AAAA\"";

    ck_assert_ptr_nonnull(ej);
    ejt = json_dumps(ej, JSON_COMPACT);
    gjt = json_dumps(gj, JSON_COMPACT);
    ck_assert_ptr_nonnull(ejt);
    ck_assert_ptr_nonnull(gjt);

    /* CVE-2018-0114: the attacker's own public key in "jwk" */
    h = apr_psprintf(tu_pool, "{\"alg\":\"RS256\",\"jwk\":%s}", ejt);
    ck_assert_status(tu_jws(tu_token(tu_pool, h, PAYLOAD, evil, "RS256"),
                            set), JWT_ERR_SIGNATURE);
    /* even when it claims to be the configured key */
    h = apr_psprintf(tu_pool, "{\"alg\":\"RS256\",\"jwk\":%s}", gjt);
    ck_assert_status(tu_jws(tu_token(tu_pool, h, PAYLOAD, evil, "RS256"),
                            set), JWT_ERR_SIGNATURE);
    /* jku / x5u / x5c / x5t: never fetched, never trusted */
    h = apr_psprintf(tu_pool, "{\"alg\":\"RS256\",%s}", urls);
    ck_assert_status(tu_jws(tu_token(tu_pool, h, PAYLOAD, evil, "RS256"),
                            set), JWT_ERR_SIGNATURE);
    /* a symmetric jwk (Wycheproof doc) */
    h = apr_psprintf(tu_pool, "{\"alg\":\"HS256\",\"jwk\":{\"kty\":\"oct\","
                     "\"k\":\"%s\"}}",
                     tu_b64(tu_pool, "attacker-chosen-secret-of-32-bytes",
                            34));
    ck_assert_status(tu_jws(tu_token(tu_pool, h, PAYLOAD, evil_hs, "HS256"),
                            set), JWT_ERR_NO_KEY);
    /* the members do not stop the configured key from verifying */
    h = apr_psprintf(tu_pool, "{\"alg\":\"RS256\",\"jwk\":%s,%s}", ejt,
                     urls);
    ck_assert_status(tu_jws(tu_token(tu_pool, h, PAYLOAD, good, "RS256"),
                            set), JWT_OK);
    free(ejt);
    free(gjt);
}
END_TEST

/* --------------------------------------------------------- alg values -- */

/* doc/attacks.md A1: each spelling, with an empty signature and with the
 * correct HS256 MAC over the new signing input. */
START_TEST(alg_variants)
{
    const jwk_t *k = hkey();
    jwk_set_t *set = tu_set(tu_pool, k, NULL);
    static const char *const strings[] = {
        "\"none\"", "\"None\"", "\"NONE\"", "\"nOnE\"", "\"\"",
        "\"HS256 \"", "\" HS256\"", "\"hs256\"", "\"Hs256\"", "\"HS 256\"",
        "\"HS256\\n\"", "\"RS256\"", "\"ES256\"", "\"EdDSA\"", "\"HS\"",
        NULL
    };
    static const char *const nonstrings[] = {
        NULL /* missing */, "null", "5", "[\"HS256\"]", "{\"HS256\":1}",
        "true", "0", NULL
    };
    int i;

    for (i = 0; strings[i] != NULL; i++) {
        char *h = apr_psprintf(tu_pool, "{\"alg\":%s}", strings[i]);
        jwt_status_t want = JWT_ERR_ALG;

        /* real algorithms the HMAC key does not allow: no key fits */
        if (strcmp(strings[i], "\"RS256\"") == 0
            || strcmp(strings[i], "\"ES256\"") == 0
            || strcmp(strings[i], "\"EdDSA\"") == 0) {
            want = JWT_ERR_NO_KEY;
        }
        /* with an empty signature: any of the framing/alg reasons */
        ck_assert_msg(tu_status_in(tu_jws(tu_token(tu_pool, h, PAYLOAD, NULL,
                                                   NULL), set),
                                   3, want, JWT_ERR_SIGNATURE,
                                   JWT_ERR_MALFORMED),
                      "alg %s, empty signature: %s", strings[i],
                      jwt_status_name(tu_jws(tu_token(tu_pool, h, PAYLOAD,
                                                      NULL, NULL), set)));
        ck_assert_msg(tu_jws(tu_token(tu_pool, h, PAYLOAD, k, "HS256"), set)
                      == want, "alg %s with a valid MAC: %s", strings[i],
                      jwt_status_name(tu_jws(tu_token(tu_pool, h, PAYLOAD,
                                                      k, "HS256"), set)));
    }
    for (i = 0; i < 7; i++) {
        char *h = i == 0 ? apr_pstrdup(tu_pool, "{\"typ\":\"JWT\"}")
                  : apr_psprintf(tu_pool, "{\"alg\":%s}", nonstrings[i]);

        ck_assert_msg(tu_status_in(tu_jws(tu_token(tu_pool, h, PAYLOAD, k,
                                                   "HS256"), set),
                                   2, JWT_ERR_ALG, JWT_ERR_HEADER),
                      "header %s accepted", h);
        ck_assert_msg(tu_status_in(tu_jws(tu_token(tu_pool, h, PAYLOAD,
                                                   NULL, NULL), set),
                                   3, JWT_ERR_ALG, JWT_ERR_HEADER,
                                   JWT_ERR_SIGNATURE),
                      "header %s, empty signature", h);
    }
    /* the exact doc/attacks.md A1 trigger strings, with the MAC kept */
    {
        char *t = tu_sign(tu_pool, k, "HS256", NULL, NULL, PAYLOAD);
        const char *rest = strchr(t, '.');
        static const char *const heads[] = {
            "eyJhbGciOiJub25lIn0", "eyJhbGciOiJOb25lIn0",
            "eyJhbGciOiJOT05FIn0", "eyJhbGciOiJuT25FIn0", NULL
        };
        const char *sigdot = strrchr(t, '.');

        for (i = 0; heads[i] != NULL; i++) {
            char *kept = apr_pstrcat(tu_pool, heads[i], rest, NULL);
            char *empty = apr_pstrcat(tu_pool, heads[i],
                                      apr_pstrndup(tu_pool, rest,
                                                   (apr_size_t)(sigdot - rest
                                                                + 1)),
                                      NULL);

            ck_assert_status(tu_jws(kept, set), JWT_ERR_ALG);
            ck_assert_status(tu_jws(empty, set), JWT_ERR_ALG);
        }
    }
}
END_TEST

/* ------------------------------------------------ signature encodings -- */

static const char P256_ORDER[] =
    "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";

START_TEST(ecdsa_zero_and_der)
{
    const jwk_t *sk = tu_sign_key(tu_pool, "ec-p256.key.pem", 0);
    jwk_set_t *set = tu_set(tu_pool, tu_verify_key(tu_pool,
                                                   "ec-p256.pub.pem", 0),
                            NULL);
    char *t = tu_sign(tu_pool, sk, "ES256", NULL, NULL, PAYLOAD);
    unsigned char zero[64], *sig, *der = NULL, hi[64];
    size_t siglen;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r, *s, *n = NULL, *hs = BN_new();
    int derlen;

    memset(zero, 0, sizeof(zero));
    /* CVE-2022-21449: r = s = 0, raw and DER (B2) */
    ck_assert_status(tu_jws(tu_with_sig(tu_pool, t, zero, 64), set),
                     JWT_ERR_SIGNATURE);
    ck_assert_status(tu_jws(tu_with_sig(tu_pool, t, (const unsigned char *)
                                        "\x30\x06\x02\x01\x00\x02\x01\x00",
                                        8), set), JWT_ERR_SIGNATURE);
    /* r = 0 with the real s, and the real r with s = 0 */
    sig = tu_sig_of(tu_pool, t, &siglen);
    ck_assert_uint_eq(siglen, 64);
    memcpy(hi, sig, 64);
    memset(hi, 0, 32);
    ck_assert_status(tu_jws(tu_with_sig(tu_pool, t, hi, 64), set),
                     JWT_ERR_SIGNATURE);
    memcpy(hi, sig, 64);
    memset(hi + 32, 0, 32);
    ck_assert_status(tu_jws(tu_with_sig(tu_pool, t, hi, 64), set),
                     JWT_ERR_SIGNATURE);

    /* the valid signature in DER form is refused (B3) */
    r = BN_bin2bn(sig, 32, NULL);
    s = BN_bin2bn(sig + 32, 32, NULL);
    ck_assert_int_eq(ECDSA_SIG_set0(es, r, s), 1);
    derlen = i2d_ECDSA_SIG(es, &der);
    ck_assert_int_gt(derlen, 0);
    ck_assert_status(tu_jws(tu_with_sig(tu_pool, t, der, (size_t)derlen),
                            set), JWT_ERR_SIGNATURE);
    /* a DER that happens to be 64 bytes long is still not R || S */
    if (derlen < 64) {
        unsigned char pad[64];

        memset(pad, 0, sizeof(pad));
        memcpy(pad, der, (size_t)derlen);
        ck_assert_status(tu_jws(tu_with_sig(tu_pool, t, pad, 64), set),
                         JWT_ERR_SIGNATURE);
    }
    OPENSSL_free(der);

    /* high S (n - s) is a valid ECDSA signature: accepted (B3) */
    ck_assert_int_gt(BN_hex2bn(&n, P256_ORDER), 0);
    ck_assert_int_eq(BN_sub(hs, n, s), 1);
    memcpy(hi, sig, 32);
    ck_assert_int_eq(BN_bn2binpad(hs, hi + 32, 32), 32);
    ck_assert_status(tu_jws(tu_with_sig(tu_pool, t, hi, 64), set), JWT_OK);
    /* s + n does not fit in 32 bytes; r || s with s = n is refused */
    ck_assert_int_eq(BN_bn2binpad(n, hi + 32, 32), 32);
    ck_assert_status(tu_jws(tu_with_sig(tu_pool, t, hi, 64), set),
                     JWT_ERR_SIGNATURE);
    BN_free(n);
    BN_free(hs);
    ECDSA_SIG_free(es);
}
END_TEST

/* B1/B3: exact lengths; the HAProxy over-long ES signature. */
START_TEST(signature_lengths)
{
    size_t i;

    for (i = 0; i < NROWS; i++) {
        const rt_row_t *r = &rt[i];
        const jwk_t *sk = tu_sign_key(tu_pool, r->priv, 0);
        jwk_set_t *set = tu_set(tu_pool, tu_verify_key(tu_pool, r->pub, 0),
                                NULL);
        char *t = tu_sign(tu_pool, sk, r->alg, NULL, NULL, PAYLOAD);
        size_t n, big = 20000;
        unsigned char *sig = tu_sig_of(tu_pool, t, &n);
        unsigned char *longer = apr_pcalloc(tu_pool, big);
        const char *lbl = r->priv;

        ck_assert_status(tu_jws(t, set), JWT_OK);
        /* one zero byte appended / prepended */
        memcpy(longer, sig, n);
        ck_assert_msg(tu_jws(tu_with_sig(tu_pool, t, longer, n + 1), set)
                      == JWT_ERR_SIGNATURE, "%s: appended zero", lbl);
        memset(longer, 0, big);
        memcpy(longer + 1, sig, n);
        ck_assert_msg(tu_jws(tu_with_sig(tu_pool, t, longer, n + 1), set)
                      == JWT_ERR_SIGNATURE, "%s: prepended zero", lbl);
        /* truncated to any shorter length, e.g. an HMAC prefix */
        ck_assert_msg(tu_jws(tu_with_sig(tu_pool, t, sig, n - 1), set)
                      == JWT_ERR_SIGNATURE, "%s: one byte short", lbl);
        ck_assert_msg(tu_jws(tu_with_sig(tu_pool, t, sig, n / 2), set)
                      == JWT_ERR_SIGNATURE, "%s: half", lbl);
        ck_assert_msg(tu_jws(tu_with_sig(tu_pool, t, sig, 1), set)
                      == JWT_ERR_SIGNATURE, "%s: one byte", lbl);
        /* huge: 20000 bytes starting with the real signature */
        memset(longer, 0x41, big);
        memcpy(longer, sig, n);
        ck_assert_msg(tu_jws(tu_with_sig(tu_pool, t, longer, big), set)
                      == JWT_ERR_SIGNATURE, "%s: 20000 bytes", lbl);
        /* the signature twice */
        memcpy(longer, sig, n);
        memcpy(longer + n, sig, n);
        ck_assert_msg(tu_jws(tu_with_sig(tu_pool, t, longer, 2 * n), set)
                      == JWT_ERR_SIGNATURE, "%s: doubled", lbl);
        /* empty */
        ck_assert_msg(tu_status_in(tu_jws(tu_with_sig(tu_pool, t, sig, 0),
                                          set), 2, JWT_ERR_SIGNATURE,
                                   JWT_ERR_MALFORMED),
                      "%s: empty signature", lbl);
    }
}
END_TEST

/* ----------------------------------------------------------- framing -- */

START_TEST(count_dots)
{
    size_t n = 100000;
    char *dots = apr_palloc(tu_pool, n);

    memset(dots, '.', n);
    ck_assert_int_eq(jose_count_dots("", 0), 0);
    ck_assert_int_eq(jose_count_dots("abc", 3), 0);
    ck_assert_int_eq(jose_count_dots("a.b.c", 5), 2);
    ck_assert_int_eq(jose_count_dots("a.b.c", 3), 1);
    ck_assert_int_eq(jose_count_dots("a.b\0.c", 6), 2);
    ck_assert_int_eq(jose_count_dots("....", 4), 4);
    /* jose_two_dots agrees with it on "exactly two", and finds them */
    {
        static const char *const t[] = { "", "a", "a.b", "a.b.c", ".b.",
                                         "..", "...", "a.b.c.d", "a..",
                                         NULL };
        const char *d1, *d2;
        int i;

        for (i = 0; t[i] != NULL; i++) {
            size_t n = strlen(t[i]);

            ck_assert_int_eq(jose_two_dots(t[i], n, &d1, &d2),
                             jose_count_dots(t[i], n) == 2);
            if (jose_count_dots(t[i], n) == 2) {
                ck_assert_ptr_eq(d1, strchr(t[i], '.'));
                ck_assert_ptr_eq(d2, strrchr(t[i], '.'));
            }
        }
        ck_assert_int_eq(jose_two_dots("a.b\0.c", 6, NULL, NULL), 1);
        ck_assert_int_eq(jose_two_dots("a.b.c", 3, NULL, NULL), 0);
        ck_assert_int_eq(jose_two_dots(NULL, 0, NULL, NULL), 0);
    }
    ck_assert_int_eq(jose_count_dots(dots, n), (int)n);

    /* eight bytes at a time: every byte value next to '.', every length
     * and offset around a word, against a byte-by-byte count */
    {
        unsigned char buf[40];
        unsigned seed = 12345, v, off, len, i, want;

        for (v = 0; v < 256; v++) {
            for (off = 0; off < 8; off++) {
                for (len = 0; len + off <= sizeof(buf); len += 3) {
                    for (i = 0; i < sizeof(buf); i++) {
                        seed = seed * 1103515245u + 12345u;
                        buf[i] = (seed >> 16) % 3 == 0 ? '.'
                                 : (seed >> 16) % 3 == 1 ? (unsigned char)v
                                 : (unsigned char)(v ^ 0x80);
                    }
                    for (want = 0, i = off; i < off + len; i++) {
                        want += buf[i] == '.';
                    }
                    ck_assert_int_eq(jose_count_dots((const char *)buf + off,
                                                     len), (int)want);
                }
            }
        }
    }
}
END_TEST

START_TEST(framing)
{
    const jwk_t *k = hkey();
    jwk_set_t *set = tu_set(tu_pool, k, NULL);
    char *t = tu_sign(tu_pool, k, "HS256", NULL, NULL, PAYLOAD);
    const char *d1 = strchr(t, '.'), *d2 = strrchr(t, '.');
    char *h = apr_pstrndup(tu_pool, t, (apr_size_t)(d1 - t));
    char *pl = apr_pstrndup(tu_pool, d1 + 1, (apr_size_t)(d2 - d1 - 1));
    char *s = apr_pstrdup(tu_pool, d2 + 1);
    static const char *const shapes[] = {
        "", ".", "..", "...", "....", "a", "a.b", "a.b.c.d", "a.b.c.d.e.f",
        NULL
    };
    size_t big = 100000;
    char *dots = apr_palloc(tu_pool, big);
    int i;

    ck_assert_status(tu_jws(t, set), JWT_OK);
    for (i = 0; shapes[i] != NULL; i++) {
        ck_assert_msg(tu_jws(shapes[i], set) == JWT_ERR_MALFORMED,
                      "\"%s\": %s", shapes[i],
                      jwt_status_name(tu_jws(shapes[i], set)));
    }
    /* F3: missing and extra segments of a real token */
    ck_assert_status(tu_jws(apr_pstrcat(tu_pool, h, ".", pl, NULL), set),
                     JWT_ERR_MALFORMED);
    ck_assert_status(tu_jws(apr_pstrcat(tu_pool, pl, ".", s, NULL), set),
                     JWT_ERR_MALFORMED);
    ck_assert_status(tu_jws(apr_pstrcat(tu_pool, ".", pl, ".", s, NULL),
                            set), JWT_ERR_MALFORMED);
    ck_assert_status(tu_jws(apr_pstrcat(tu_pool, t, ".", NULL), set),
                     JWT_ERR_MALFORMED);
    ck_assert_status(tu_jws(apr_pstrcat(tu_pool, t, ".", s, NULL), set),
                     JWT_ERR_MALFORMED);
    ck_assert_status(tu_jws(apr_pstrcat(tu_pool, h, "..", s, NULL), set),
                     JWT_ERR_SIGNATURE);
    memset(dots, '.', big);
    ck_assert_status(tu_jws_status(dots, big, set, NULL), JWT_ERR_MALFORMED);
    /* F1/F2: padding, other alphabets, whitespace in each segment */
    ck_assert_status_in(tu_jws(apr_pstrcat(tu_pool, h, "=.", pl, ".", s,
                                           NULL), set), 2, JWT_ERR_BASE64,
                        JWT_ERR_MALFORMED);
    ck_assert_status_in(tu_jws(apr_pstrcat(tu_pool, h, ".", pl, "=.", s,
                                           NULL), set), 2, JWT_ERR_BASE64,
                        JWT_ERR_MALFORMED);
    ck_assert_status_in(tu_jws(apr_pstrcat(tu_pool, t, "=", NULL), set), 2,
                        JWT_ERR_BASE64, JWT_ERR_MALFORMED);
    ck_assert_status_in(tu_jws(apr_pstrcat(tu_pool, " ", t, NULL), set), 2,
                        JWT_ERR_BASE64, JWT_ERR_MALFORMED);
    ck_assert_status_in(tu_jws(apr_pstrcat(tu_pool, t, "\n", NULL), set), 2,
                        JWT_ERR_BASE64, JWT_ERR_MALFORMED);
    ck_assert_status_in(tu_jws(apr_pstrcat(tu_pool, h, ".", pl, ". ", s,
                                           NULL), set), 2, JWT_ERR_BASE64,
                        JWT_ERR_MALFORMED);
    /* a NUL inside the length given is not the end of the token */
    {
        char *withnul = apr_pstrcat(tu_pool, t, "AA", NULL);
        size_t n = strlen(withnul);

        withnul[n - 2] = '\0';
        ck_assert_status_in(tu_jws_status(withnul, n, set, NULL), 2,
                            JWT_ERR_BASE64, JWT_ERR_MALFORMED);
    }
    /* an empty payload is a valid JWS (RFC 7515 appendix F) */
    ck_assert_status(tu_jws(tu_token(tu_pool, "{\"alg\":\"HS256\"}", "", k,
                                     "HS256"), set), JWT_OK);
    /* the MAC is over the received bytes: a changed header/payload fails */
    ck_assert_status(tu_jws(tu_token(tu_pool, "{\"alg\":\"HS256\" }",
                                     PAYLOAD, k, "HS256"), set), JWT_OK);
    {
        char *a = tu_token(tu_pool, "{\"alg\":\"HS256\"}", PAYLOAD, k,
                           "HS256");
        char *b = tu_token(tu_pool, "{\"alg\":\"HS256\" }", PAYLOAD, k,
                           "HS256");
        char *mix = apr_pstrcat(tu_pool,
                                apr_pstrndup(tu_pool, b,
                                             (apr_size_t)(strrchr(b, '.')
                                                          - b)),
                                strrchr(a, '.'), NULL);

        ck_assert_status(tu_jws(mix, set), JWT_ERR_SIGNATURE);
    }
}
END_TEST

static Suite *jws_suite(void)
{
    Suite *s = suite_create("jws");
    TCase *tc;

    tc = tcase_create("rfc");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, rfc7515_a1_hs256);
    tcase_add_test(tc, rfc7515_a2_rs256);
    tcase_add_test(tc, rfc7515_a3_es256);
    tcase_add_test(tc, rfc7515_a4_es512);
    tcase_add_test(tc, rfc7515_a1_payload);
    tcase_add_test(tc, rfc7515_a5_none_rejected);
    tcase_add_test(tc, rfc7515_json_serialization_rejected);
    tcase_add_test(tc, rfc7520_4_1_rs256);
    tcase_add_test(tc, rfc7520_4_2_ps384);
    tcase_add_test(tc, rfc7520_4_3_es512);
    tcase_add_test(tc, rfc7520_4_4_hs256);
    tcase_add_test(tc, rfc8037_a4_eddsa);
    tcase_add_test(tc, rfc7520_curve25519_eddsa);
    tcase_add_test(tc, rfc7520_reproduce_hs256);
    tcase_add_test(tc, rfc7520_reproduce_rs256);
    tcase_add_test(tc, rfc8037_reproduce_ed25519);
    tcase_add_test(tc, rfc7797_b64_false_rejected);
    tcase_add_test(tc, rfc7520_4_5_detached);
    tcase_add_test(tc, rfc7520_4_6_protected_alg);
    tcase_add_test(tc, rfc7520_4_7_no_protected_header);
    tcase_add_test(tc, rfc7520_4_8_multiple_signatures);
    tcase_add_test(tc, jwcrypto_tokens_accepted);
    suite_add_tcase(s, tc);

    tc = tcase_create("roundtrip");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, roundtrip_each_alg, 0, (int)NROWS);
    tcase_add_test(tc, alg_not_allowed_for_key);
    tcase_add_test(tc, certificate_as_key);
    tcase_add_test(tc, sign_refusals);
    tcase_add_test(tc, sign_header_shape);
    tcase_add_test(tc, ecdsa_signatures_full_length);
    suite_add_tcase(s, tc);

    tc = tcase_create("confusion");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, rs_to_hs_confusion);
    tcase_add_test(tc, es_to_hs_confusion);
    tcase_add_test(tc, eddsa_to_hs_confusion);
    tcase_add_test(tc, confusion_with_hmac_key_present);
    tcase_add_test(tc, es256_to_rsa_and_p384);
    suite_add_tcase(s, tc);

    tc = tcase_create("selection");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, kid_is_a_filter);
    tcase_add_test(tc, at_most_two_keys_per_token);
    tcase_add_test(tc, kid_reaches_its_key_among_many);
    tcase_add_test(tc, hmac_tries_bounded_too);
    tcase_add_test(tc, key_without_kid_matches_any);
    tcase_add_test(tc, kid_type_and_length);
    tcase_add_test(tc, kid_injection);
    tcase_add_test(tc, iss_key_filter);
    suite_add_tcase(s, tc);

    tc = tcase_create("header");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, header_crit);
    tcase_add_test(tc, header_member_names_exact);
    tcase_add_test(tc, header_both_readers);
    tcase_add_test(tc, header_zip_and_enc);
    tcase_add_test(tc, header_member_types);
    tcase_add_test(tc, embedded_keys_ignored);
    tcase_add_test(tc, alg_variants);
    suite_add_tcase(s, tc);

    tc = tcase_create("signature");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, ecdsa_zero_and_der);
    tcase_add_test(tc, signature_lengths);
    tcase_add_test(tc, count_dots);
    tcase_add_test(tc, framing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tu_init();
    return tu_run(jws_suite());
}
