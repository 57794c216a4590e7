/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * check_vectors.c: the Wycheproof signature vectors, table-driven
 * at two levels:
 *
 * - JOSE: json_web_signature_test.json and json_web_key_test.json through
 *   the key loader, jws_parse and jws_verify; json_web_crypto_test.json
 *   (the older combined set: its JWS cases the same way, its JWE cases
 *   through the loader and jwe_decrypt; a JWK Set mixing secret and public
 *   keys is refused at load, as Wycheproof expects);
 * - the RFC 7520 section 3 keys through jwk_load: RFC 7638 thumbprints
 *   computed here from the JWK members, public and private halves the same
 *   key pair, and the section 4 examples made with them verified;
 * - primitives, through jose_sig_verify with keys from the loader:
 *   ECDSA P-256/384/521 in the JWS form R || S (RFC 7518 3.4), the P-256
 *   DER vectors (every DER signature placed in a JWS must be rejected,
 *   doc/attacks.md B3), RSASSA-PKCS1-v1_5 (RS*), RSASSA-PSS with the JOSE
 *   parameters (PS*: MGF1 with the same hash, salt = hash length), Ed25519
 *   and Ed448 (RFC 8037), and HMAC (HS*) with full-length tags only.
 *
 * Policy: "valid" must be accepted and "invalid" rejected (with
 * JWT_ERR_SIGNATURE at the primitive level).  "acceptable" outcomes are
 * recorded and counted, not asserted (Wycheproof: either is correct).  The
 * known problems listed in test/vectors/README.md are applied: tcId
 * 367/370 are skipped (byte-identical to the valid tcId 357, C2SP/
 * wycheproof#236), tcId 372/373 are expected to be rejected.  A JWS vector
 * labelled valid whose key carries an "alg" other than the token's (the
 * RFC 7520 figures with a PS256 key for a PS384 token, or the unknown alg
 * "ES521") is expected to be rejected: manual "Key rules and security
 * defaults": a JWK's own alg narrows
 * the key (json_web_key_test.json says the same: mismatchedAlgAndCurve).
 * HMAC vectors with truncated tags must be rejected (a JWS MAC is full
 * length, doc/attacks.md B1); keys shorter than the hash are refused at load
 * (RFC 7518 3.2).  Each file prints one summary line.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/x509.h>
#include "testutil.h"

typedef struct {
    const char *name;
    int valid_ok;       /* valid, accepted                         */
    int invalid_ok;     /* invalid, rejected                       */
    int acc_yes;        /* acceptable, accepted                    */
    int acc_no;         /* acceptable, rejected                    */
    int skipped;
    int extra;          /* file-specific count (see each test)     */
    int extra2;
    int mismatches;
    char *log;          /* the first mismatches, for the message   */
} tally_t;

static void tally_init(tally_t *t, const char *name)
{
    memset(t, 0, sizeof(*t));
    t->name = name;
    t->log = apr_pstrdup(tu_pool, "");
}

static void mismatch(tally_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void mismatch(tally_t *t, const char *fmt, ...)
{
    va_list ap;

    t->mismatches++;
    if (t->mismatches <= 25) {
        char buf[512];

        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        t->log = apr_pstrcat(tu_pool, t->log, "\n  ", buf, NULL);
    }
}

static void tally_done(tally_t *t, const char *line)
{
    printf("%s\n", line);
    fflush(stdout);
    ck_assert_msg(t->mismatches == 0, "%s: %d mismatches:%s", t->name,
                  t->mismatches, t->log);
}

static int tc_id(json_t *t)
{
    return (int)json_integer_value(json_object_get(t, "tcId"));
}

static const char *tc_str(json_t *t, const char *k)
{
    const char *s = json_string_value(json_object_get(t, k));

    return s != NULL ? s : "";
}

/* ---------------------------------------------------------- JOSE level - */

/* The alg member of the token's header, or NULL when it cannot be read
 * (the malformed-token vectors). */
static const char *header_alg(json_t *test)
{
    const char *jws = json_string_value(json_object_get(test, "jws"));
    const char *dot;
    unsigned char *h;
    size_t n;
    json_t *j;

    if (jws == NULL || (dot = strchr(jws, '.')) == NULL) {
        return NULL;
    }
    h = tu_unb64(tu_pool, jws, (size_t)(dot - jws), &n);
    if (h == NULL) {
        return NULL;
    }
    j = json_loadb((const char *)h, n, 0, NULL);
    if (j == NULL) {
        return NULL;
    }
    tu_own(tu_pool, j);
    return json_string_value(json_object_get(j, "alg"));
}

static const char *group_key_alg(json_t *g)
{
    json_t *k = json_object_get(g, "public");

    if (k == NULL) {
        k = json_object_get(g, "private");
    }
    return json_string_value(json_object_get(k, "alg"));
}

START_TEST(wycheproof_json_web_signature)
{
    json_t *v = tu_vector(tu_pool, "wycheproof/json_web_signature_test.json");
    json_t *groups = json_object_get(v, "testGroups");
    const char *jws357 = NULL;
    size_t gi, ti;
    int total = 0, policy = 0, flipped = 0;
    tally_t t;

    tally_init(&t, "json_web_signature");
    for (gi = 0; gi < json_array_size(groups); gi++) {
        json_t *tests = json_object_get(json_array_get(groups, gi), "tests");

        for (ti = 0; ti < json_array_size(tests); ti++) {
            if (tc_id(json_array_get(tests, ti)) == 357) {
                jws357 = tc_str(json_array_get(tests, ti), "jws");
            }
        }
    }
    ck_assert_ptr_nonnull(jws357);

    for (gi = 0; gi < json_array_size(groups); gi++) {
        json_t *g = json_array_get(groups, gi);
        json_t *tests = json_object_get(g, "tests");
        const char *kalg = group_key_alg(g);

        for (ti = 0; ti < json_array_size(tests); ti++) {
            json_t *x = json_array_get(tests, ti);
            int id = tc_id(x), at_load, want_ok;
            const char *res = tc_str(x, "result"), *err, *halg;
            jwt_status_t st;

            total++;
            if (id == 367 || id == 370) {
                /* C2SP/wycheproof#236: byte-identical to valid tcId 357 */
                if (strcmp(tc_str(x, "jws"), jws357) != 0) {
                    mismatch(&t, "tcId %d is no longer identical to 357: "
                             "revisit the skip", id);
                }
                t.skipped++;
                continue;
            }
            want_ok = strcmp(res, "valid") == 0;
            if (id == 372 || id == 373) {
                /* '?' inside a segment, MAC of the clean token: a strict
                 * verifier rejects (test/vectors/README.md) */
                want_ok = 0;
                flipped++;
            }
            halg = header_alg(x);
            if (want_ok && kalg != NULL && halg != NULL
                && strcmp(kalg, halg) != 0) {
                want_ok = 0;
                policy++;
            }
            st = tu_wycheproof_jws(tu_pool, g, x, &at_load, &err);
            if (want_ok && st == JWT_OK) {
                t.valid_ok++;
            }
            else if (!want_ok && st != JWT_OK) {
                t.invalid_ok++;
            }
            else {
                mismatch(&t, "tcId %d (%s, %s): %s%s%s", id,
                         tc_str(x, "comment"), res,
                         st == JWT_OK ? "accepted" : jwt_status_name(st),
                         at_load ? " at load: " : "",
                         at_load && err ? err : "");
            }
        }
    }
    ck_assert_int_eq(total, 401);
    tally_done(&t, apr_psprintf(tu_pool,
        "wycheproof json_web_signature: %d valid accepted, %d invalid "
        "rejected, %d skipped (tcId 367/370: byte-identical to the valid "
        "tcId 357, C2SP/wycheproof#236); of the rejected, %d are labelled "
        "valid but the key's own alg is not the token's alg (manual: a JWK's "
        "alg narrows the key) and %d are tcId 372/373 (MAC of the clean "
        "token, test/vectors/README.md)",
        t.valid_ok, t.invalid_ok, t.skipped, policy, flipped));
    /* the four RFC 7520 figures with a mismatched key alg */
    ck_assert_int_eq(policy, 4);
    ck_assert_int_eq(flipped, 2);
}
END_TEST

START_TEST(wycheproof_json_web_key)
{
    json_t *v = tu_vector(tu_pool, "wycheproof/json_web_key_test.json");
    json_t *groups = json_object_get(v, "testGroups");
    size_t gi, ti;
    int total = 0;
    tally_t t;

    tally_init(&t, "json_web_key");
    for (gi = 0; gi < json_array_size(groups); gi++) {
        json_t *g = json_array_get(groups, gi);
        json_t *tests = json_object_get(g, "tests");

        for (ti = 0; ti < json_array_size(tests); ti++) {
            json_t *x = json_array_get(tests, ti);
            int at_load, want_ok = strcmp(tc_str(x, "result"), "valid") == 0;
            const char *err;
            jwt_status_t st = tu_wycheproof_jws(tu_pool, g, x, &at_load,
                                                &err);

            total++;
            if (want_ok && st == JWT_OK) {
                t.valid_ok++;
            }
            else if (!want_ok && st != JWT_OK) {
                t.invalid_ok++;
                t.extra += at_load;
            }
            else {
                mismatch(&t, "tcId %d (%s, %s): %s%s%s", tc_id(x),
                         tc_str(x, "comment"), tc_str(x, "result"),
                         st == JWT_OK ? "accepted" : jwt_status_name(st),
                         at_load ? " at load: " : "",
                         at_load && err ? err : "");
            }
        }
    }
    ck_assert_int_eq(total, 26);
    tally_done(&t, apr_psprintf(tu_pool,
        "wycheproof json_web_key: %d valid accepted, %d invalid rejected "
        "(%d of them when the key set was loaded), %d skipped",
        t.valid_ok, t.invalid_ok, t.extra, t.skipped));
}
END_TEST

/* ------------------------------------------- RFC 7520 section 3 keys - */

/* RFC 7638 3.2 written out from the JWK's own members (required members
 * only, in lexicographic order, no whitespace, SHA-256), so that the
 * expected thumbprint does not come from jwk_export.c.  The cookbook
 * publishes no thumbprints for these keys. */
static const char *rfc7638_of(json_t *jwk)
{
    const char *kty = tc_str(jwk, "kty"), *c;
    unsigned char md[32];
    unsigned int mdlen = 0;

    if (strcmp(kty, "EC") == 0) {
        c = apr_psprintf(tu_pool, "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":"
                         "\"%s\",\"y\":\"%s\"}", tc_str(jwk, "crv"),
                         tc_str(jwk, "x"), tc_str(jwk, "y"));
    }
    else if (strcmp(kty, "RSA") == 0) {
        c = apr_psprintf(tu_pool, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":"
                         "\"%s\"}", tc_str(jwk, "e"), tc_str(jwk, "n"));
    }
    else {
        ck_assert_str_eq(kty, "oct");
        c = apr_psprintf(tu_pool, "{\"k\":\"%s\",\"kty\":\"oct\"}",
                         tc_str(jwk, "k"));
    }
    ck_assert_int_eq(EVP_Digest(c, strlen(c), md, &mdlen, EVP_sha256(),
                                NULL), 1);
    ck_assert_uint_eq(mdlen, sizeof(md));
    return tu_b64(tu_pool, md, mdlen);
}

/* One RFC 7520 section 3 key file through jwk_load (the module's loader,
 * with the file's path as the source), checked against its JSON. */
static const jwk_t *cookbook_jwk(const char *file, jose_use_t use,
                                 int want_private)
{
    const char *path = tu_vector_path(tu_pool, apr_pstrcat(tu_pool,
                                      "rfc7520/jwk/", file, NULL));
    jwk_load_opts_t o = tu_opts(use, want_private, 0, NULL, NULL);
    const jwk_t *k = tu_load_key(tu_pool, path, &o);
    json_t *j = tu_json_file(tu_pool, path);

    ck_assert_str_eq(k->kid, tc_str(j, "kid"));
    ck_assert_int_eq(k->use, use);
    ck_assert_int_eq(k->is_private, json_object_get(j, "d") != NULL
                                    || json_object_get(j, "k") != NULL);
    ck_assert_ptr_nonnull(k->thumbprint);
    ck_assert_str_eq(k->thumbprint, rfc7638_of(j));
    ck_assert_str_eq(jwk_thumbprint(tu_pool, k), k->thumbprint);
    return k;
}

/* The public and private halves are one key pair: the same public part,
 * the same thumbprint, and what the private half signs with ALG the
 * public half verifies. */
static void halves_match(const jwk_t *pub, const jwk_t *priv,
                         const char *alg)
{
    static const unsigned char msg[] = "RFC 7520 section 3";
    unsigned char *sig;
    size_t siglen;

    ck_assert_int_eq(pub->is_private, 0);
    ck_assert_int_eq(priv->is_private, 1);
    ck_assert_int_eq(EVP_PKEY_eq(pub->pkey, priv->pkey), 1);
    ck_assert_str_eq(pub->thumbprint, priv->thumbprint);
    ck_assert_status(jose_sig_sign(&sig, &siglen, tu_pool, priv,
                                   tu_alg(alg), msg, sizeof(msg) - 1),
                     JWT_OK);
    ck_assert_status(jose_sig_verify(pub, tu_alg(alg), msg, sizeof(msg) - 1,
                                     sig, siglen), JWT_OK);
    sig[0] ^= 1;
    ck_assert_status(jose_sig_verify(pub, tu_alg(alg), msg, sizeof(msg) - 1,
                                     sig, siglen), JWT_ERR_SIGNATURE);
}

/* The compact example of a section 4 file verifies with KEY. */
static void verifies_example(const jwk_t *key, const char *file)
{
    json_t *v = tu_vector(tu_pool, apr_pstrcat(tu_pool, "rfc7520/jws/",
                                               file, NULL));
    const char *tok = tc_str(json_object_get(v, "output"), "compact");

    ck_assert_msg(tu_jws(tok, tu_set(tu_pool, key, NULL)) == JWT_OK,
                  "%s does not verify with its section 3 key", file);
}

START_TEST(rfc7520_keys)
{
    const jwk_t *ecpub = cookbook_jwk("3_1.ec_public_key.json",
                                      JOSE_USE_SIG, 0);
    const jwk_t *ecpriv = cookbook_jwk("3_2.ec_private_key.json",
                                       JOSE_USE_SIG, 1);
    const jwk_t *rsapub = cookbook_jwk("3_3.rsa_public_key.json",
                                       JOSE_USE_SIG, 0);
    const jwk_t *rsapriv = cookbook_jwk("3_4.rsa_private_key.json",
                                        JOSE_USE_SIG, 1);
    const jwk_t *mac = cookbook_jwk("3_5.symmetric_key_mac_computation.json",
                                    JOSE_USE_SIG, 1);
    const jwk_t *cek = cookbook_jwk("3_6.symmetric_key_encryption.json",
                                    JOSE_USE_ENC, 1);
    static const unsigned char pt[] = "RFC 7520 3.6";
    char *tok;
    jwe_t *jwe = NULL;

    /* 3.1/3.2: P-521, no alg member, so every ES512 use */
    ck_assert_int_eq(ecpub->kty, JOSE_KTY_EC);
    ck_assert_int_eq(ecpub->curve_nid, NID_secp521r1);
    halves_match(ecpub, ecpriv, "ES512");
    /* 3.3/3.4: RSA without alg: the RS and PS families */
    ck_assert_int_eq(rsapub->kty, JOSE_KTY_RSA);
    halves_match(rsapub, rsapriv, "RS256");
    halves_match(rsapub, rsapriv, "PS384");
    /* 3.5: its alg HS256 narrows it to HS256 */
    ck_assert_int_eq(mac->kty, JOSE_KTY_OCT);
    ck_assert_uint_eq(mac->secret_len, 32);
    ck_assert(mac->algs == JOSE_ALG_BIT(JOSE_ALG_HS256));
    /* the section 4 examples made with these keys */
    verifies_example(rsapub, "4_1.rsa_v15_signature.json");
    verifies_example(rsapub, "4_2.rsa-pss_signature.json");
    verifies_example(ecpub, "4_3.ecdsa_signature.json");
    verifies_example(mac, "4_4.hmac-sha2_integrity_protection.json");
    /* 3.6: alg "A256GCM" is an enc: the secret is the CEK itself (dir,
     * RFC 7518 4.5).  No section 5 example uses this key, so it is
     * checked by a round trip. */
    ck_assert_int_eq(cek->kty, JOSE_KTY_OCT);
    ck_assert_uint_eq(cek->secret_len, 32);
    ck_assert(cek->algs == JOSE_ALG_BIT(JOSE_ALG_DIR));
    ck_assert_status(jwe_encrypt(&tok, tu_pool, cek, tu_alg("dir"),
                                 jose_enc_lookup("A256GCM", 7), NULL, NULL,
                                 pt, sizeof(pt) - 1), JWT_OK);
    ck_assert_status(jwe_decrypt(&jwe, tu_pool, tok, strlen(tok),
                                 tu_set(tu_pool, cek, NULL), 0), JWT_OK);
    ck_assert_uint_eq(jwe->plaintext_len, sizeof(pt) - 1);
    ck_assert_mem_eq(jwe->plaintext, pt, sizeof(pt) - 1);
    /* a key of the other use is not loaded for this one */
    {
        jwk_set_t *set;
        const char *err;
        jwk_load_opts_t o = tu_opts(JOSE_USE_ENC, 1, 0, NULL, NULL);

        ck_assert_int_ne(tu_try_load(&set, tu_pool, tu_vector_path(tu_pool,
                             "rfc7520/jwk/3_5.symmetric_key_mac_computation"
                             ".json"), &o, &err), 0);
    }
    printf("rfc7520 jwk 3.1-3.6: 6 keys loaded by jwk_load; RFC 7638 "
           "thumbprints equal an independent computation from the JWK "
           "members; EC P-521 and RSA public/private halves match (same "
           "public key and thumbprint, sign/verify); 3.1/3.3/3.5 verify "
           "the 4.1-4.4 examples; 3.6 (alg A256GCM) loads as a dir CEK and "
           "round-trips\n");
    fflush(stdout);
}
END_TEST

/* ------------------------------------------------ json_web_crypto ----- */

static int has_flag(json_t *t, const char *flag)
{
    json_t *v;
    size_t i;

    json_array_foreach(json_object_get(t, "flags"), i, v) {
        if (strcmp(json_string_value(v), flag) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The older combined JWS + JWE file: every case through the same runners
 * as json_web_signature (key set loaded for verification, jws_parse +
 * jws_verify) and json_web_encryption (the private JWK loaded for
 * decryption, jwe_decrypt). */
START_TEST(wycheproof_json_web_crypto)
{
    json_t *v = tu_vector(tu_pool, "wycheproof/json_web_crypto_test.json");
    json_t *groups = json_object_get(v, "testGroups");
    size_t gi, ti;
    int total = 0, njws = 0, njwe = 0, json_ser = 0, keyset = 0;
    tally_t t;

    tally_init(&t, "json_web_crypto");
    ck_assert_str_eq(tc_str(v, "schema"), "json_web_crypto_schema_v1.json");
    for (gi = 0; gi < json_array_size(groups); gi++) {
        json_t *g = json_array_get(groups, gi);
        json_t *tests = json_object_get(g, "tests");

        ck_assert_str_eq(tc_str(g, "type"), "JsonWebCrypto");
        for (ti = 0; ti < json_array_size(tests); ti++) {
            json_t *x = json_array_get(tests, ti);
            const char *res = tc_str(x, "result"), *err;
            int at_load, want_ok = strcmp(res, "valid") == 0;
            jwt_status_t st;

            total++;
            if (json_object_get(x, "jws") != NULL) {
                njws++;
                st = tu_wycheproof_jws(tu_pool, g, x, &at_load, &err);
            }
            else {
                jwe_t *jwe;

                njwe++;
                ck_assert_ptr_nonnull(json_object_get(x, "jwe"));
                st = tu_wycheproof_jwe(&jwe, tu_pool, g, x, &at_load, &err);
                if (st == JWT_OK && json_object_get(x, "pt") != NULL) {
                    size_t n;
                    unsigned char *pt = tu_unhex(tu_pool, tc_str(x, "pt"),
                                                 &n);

                    ck_assert_msg(jwe->plaintext_len == n
                                  && memcmp(jwe->plaintext, pt, n) == 0,
                                  "tcId %d: wrong plaintext", tc_id(x));
                }
            }
            json_ser += has_flag(x, "JsonSerialization");
            keyset += has_flag(x, "JsonWebKeyset");
            if (strcmp(res, "acceptable") == 0) {
                if (st == JWT_OK) {
                    t.acc_yes++;
                }
                else {
                    t.acc_no++;
                }
            }
            else if (want_ok && st == JWT_OK) {
                t.valid_ok++;
            }
            else if (!want_ok && st != JWT_OK) {
                t.invalid_ok++;
                t.extra += at_load;
            }
            else {
                mismatch(&t, "tcId %d (%s, %s): %s%s%s", tc_id(x),
                         tc_str(x, "comment"), res,
                         st == JWT_OK ? "accepted" : jwt_status_name(st),
                         at_load ? " at load: " : "",
                         at_load && err ? err : "");
            }
        }
    }
    ck_assert_int_eq(total, 83);
    ck_assert_int_eq(total, (int)json_integer_value(json_object_get(
                                 v, "numberOfTests")));
    tally_done(&t, apr_psprintf(tu_pool,
        "wycheproof json_web_crypto: %d valid accepted, %d invalid "
        "rejected (%d of them when the key set was loaded), acceptable: "
        "%d accepted / %d rejected, %d skipped; %d JWS and %d JWE cases, "
        "%d JSON-serialized (rejected: compact only), %d with a JWK Set",
        t.valid_ok, t.invalid_ok, t.extra, t.acc_yes, t.acc_no, t.skipped,
        njws, njwe, json_ser, keyset));
}
END_TEST

/* ----------------------------------------------------- primitive level - */

/* A verification key from a Wycheproof group: its JWK when there is one
 * (the loader's JWK path), else its DER SubjectPublicKeyInfo. */
static const jwk_t *group_key(json_t *g, const char **err)
{
    json_t *j = json_object_get(g, "publicKeyJwk");
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 0, 0, NULL, NULL);
    jwk_t *k = NULL;

    if (j == NULL) {
        j = json_object_get(g, "keyJwk");
    }
    *err = NULL;
    if (j != NULL) {
        return jwk_parse_json(&k, tu_pool, j, &o, "wycheproof", err) == 0
               ? k : NULL;
    }
    else {
        size_t n;
        const unsigned char *der = tu_unhex(tu_pool,
                                            tc_str(g, "publicKeyDer"), &n);
        EVP_PKEY *pk = d2i_PUBKEY(NULL, &der, (long)n);

        ck_assert_ptr_nonnull(pk);
        /* jwk_from_pkey owns PK from here on, success or not */
        return jwk_from_pkey(&k, tu_pool, pk, &o, "wycheproof", err) == 0
               ? k : NULL;
    }
}

/* One signature file: every test through jose_sig_verify with ALG. */
static void sig_file(const char *file, const char *alg, const char *label)
{
    json_t *v = tu_vector(tu_pool, apr_pstrcat(tu_pool, "wycheproof/", file,
                                               NULL));
    json_t *groups = json_object_get(v, "testGroups");
    const jose_alg_info_t *a = tu_alg(alg);
    size_t gi, ti;
    int total = 0;
    tally_t t;

    tally_init(&t, label);
    for (gi = 0; gi < json_array_size(groups); gi++) {
        json_t *g = json_array_get(groups, gi);
        json_t *tests = json_object_get(g, "tests");
        const char *err;
        const jwk_t *k = group_key(g, &err);

        if (k == NULL) {
            /* a group key the loader refuses (policy): its tests cannot
             * run; shown in the summary */
            t.skipped += (int)json_array_size(tests);
            t.extra2++;
            printf("  %s: group %zu key refused: %s\n", label, gi,
                   err ? err : "(no message)");
            total += (int)json_array_size(tests);
            continue;
        }
        for (ti = 0; ti < json_array_size(tests); ti++) {
            json_t *x = json_array_get(tests, ti);
            const char *res = tc_str(x, "result");
            size_t mlen, slen;
            unsigned char *msg = tu_unhex(tu_pool, tc_str(x, "msg"), &mlen);
            unsigned char *sig = tu_unhex(tu_pool, tc_str(x, "sig"), &slen);
            jwt_status_t st = jose_sig_verify(k, a, msg, mlen, sig, slen);

            total++;
            if (strcmp(res, "acceptable") == 0) {
                if (st == JWT_OK) {
                    t.acc_yes++;
                }
                else {
                    t.acc_no++;
                }
            }
            else if (strcmp(res, "valid") == 0 && st == JWT_OK) {
                t.valid_ok++;
            }
            else if (strcmp(res, "invalid") == 0
                     && st == JWT_ERR_SIGNATURE) {
                t.invalid_ok++;
            }
            else {
                mismatch(&t, "tcId %d (%s, %s): %s", tc_id(x),
                         tc_str(x, "comment"), res,
                         st == JWT_OK ? "accepted" : jwt_status_name(st));
            }
        }
    }
    ck_assert_int_eq(total, (int)json_integer_value(json_object_get(
                                 v, "numberOfTests")));
    tally_done(&t, apr_psprintf(tu_pool,
        "wycheproof %s (%s): %d valid accepted, %d invalid rejected, "
        "acceptable: %d accepted / %d rejected (recorded, not asserted), "
        "%d skipped%s",
        label, alg, t.valid_ok, t.invalid_ok, t.acc_yes, t.acc_no,
        t.skipped, t.extra2 ? " (group key refused by the loader)" : ""));
}

START_TEST(wycheproof_es256_p1363)
{
    sig_file("ecdsa_secp256r1_sha256_p1363_test.json", "ES256",
             "ecdsa_secp256r1_sha256_p1363");
}
END_TEST

START_TEST(wycheproof_es384_p1363)
{
    sig_file("ecdsa_secp384r1_sha384_p1363_test.json", "ES384",
             "ecdsa_secp384r1_sha384_p1363");
}
END_TEST

START_TEST(wycheproof_es512_p1363)
{
    sig_file("ecdsa_secp521r1_sha512_p1363_test.json", "ES512",
             "ecdsa_secp521r1_sha512_p1363");
}
END_TEST

START_TEST(wycheproof_rs256)
{
    sig_file("rsa_signature_2048_sha256_test.json", "RS256",
             "rsa_signature_2048_sha256");
}
END_TEST

START_TEST(wycheproof_rs384)
{
    sig_file("rsa_signature_2048_sha384_test.json", "RS384",
             "rsa_signature_2048_sha384");
}
END_TEST

START_TEST(wycheproof_rs512)
{
    sig_file("rsa_signature_2048_sha512_test.json", "RS512",
             "rsa_signature_2048_sha512");
}
END_TEST

/* RFC 7518 3.5: MGF1 with the signature's hash and a salt as long as the
 * hash; the files hold exactly those parameters (checked here). */
static void pss_file(const char *file, const char *alg, const char *sha,
                     int slen)
{
    json_t *v = tu_vector(tu_pool, apr_pstrcat(tu_pool, "wycheproof/", file,
                                               NULL));
    json_t *groups = json_object_get(v, "testGroups");
    size_t gi;

    for (gi = 0; gi < json_array_size(groups); gi++) {
        json_t *g = json_array_get(groups, gi);

        ck_assert_str_eq(tc_str(g, "sha"), sha);
        ck_assert_str_eq(tc_str(g, "mgf"), "MGF1");
        ck_assert_str_eq(tc_str(g, "mgfSha"), sha);
        ck_assert_int_eq(json_integer_value(json_object_get(g, "sLen")),
                         slen);
    }
    sig_file(file, alg, apr_pstrndup(tu_pool, file, strlen(file) - 10));
}

START_TEST(wycheproof_ps256)
{
    pss_file("rsa_pss_2048_sha256_mgf1_32_test.json", "PS256", "SHA-256",
             32);
}
END_TEST

START_TEST(wycheproof_ps384)
{
    pss_file("rsa_pss_2048_sha384_mgf1_48_test.json", "PS384", "SHA-384",
             48);
}
END_TEST

START_TEST(wycheproof_ps512)
{
    pss_file("rsa_pss_4096_sha512_mgf1_64_test.json", "PS512", "SHA-512",
             64);
}
END_TEST

START_TEST(wycheproof_ed25519)
{
    sig_file("ed25519_test.json", "EdDSA", "ed25519");
}
END_TEST

START_TEST(wycheproof_ed448)
{
    sig_file("ed448_test.json", "EdDSA", "ed448");
}
END_TEST

/* doc/attacks.md B3: a DER ECDSA signature is never a JWS signature.  Every
 * signature of the DER file, valid or not, is refused as R || S; the valid
 * ones, converted to R || S, verify (the conversion jws.c does the other
 * way round). */
START_TEST(wycheproof_es256_der_rejected)
{
    json_t *v = tu_vector(tu_pool,
                          "wycheproof/ecdsa_secp256r1_sha256_test.json");
    json_t *groups = json_object_get(v, "testGroups");
    const jose_alg_info_t *a = tu_alg("ES256");
    size_t gi, ti;
    int total = 0;
    tally_t t;

    tally_init(&t, "ecdsa_secp256r1_sha256 (DER)");
    for (gi = 0; gi < json_array_size(groups); gi++) {
        json_t *g = json_array_get(groups, gi);
        json_t *tests = json_object_get(g, "tests");
        const char *err;
        const jwk_t *k = group_key(g, &err);

        ck_assert_msg(k != NULL, "group %zu: %s", gi, err ? err : "");
        for (ti = 0; ti < json_array_size(tests); ti++) {
            json_t *x = json_array_get(tests, ti);
            size_t mlen, slen;
            unsigned char *msg = tu_unhex(tu_pool, tc_str(x, "msg"), &mlen);
            unsigned char *sig = tu_unhex(tu_pool, tc_str(x, "sig"), &slen);
            jwt_status_t st = jose_sig_verify(k, a, msg, mlen, sig, slen);

            total++;
            if (st == JWT_ERR_SIGNATURE) {
                t.invalid_ok++;
            }
            else {
                mismatch(&t, "tcId %d (%s): DER signature gave %s", tc_id(x),
                         tc_str(x, "comment"), jwt_status_name(st));
            }
            if (strcmp(tc_str(x, "result"), "valid") == 0) {
                const unsigned char *d = sig;
                ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &d, (long)slen);
                const BIGNUM *r, *s;
                unsigned char raw[64];

                ck_assert_ptr_nonnull(es);
                ECDSA_SIG_get0(es, &r, &s);
                ck_assert_int_eq(BN_bn2binpad(r, raw, 32), 32);
                ck_assert_int_eq(BN_bn2binpad(s, raw + 32, 32), 32);
                ECDSA_SIG_free(es);
                st = jose_sig_verify(k, a, msg, mlen, raw, 64);
                if (st == JWT_OK) {
                    t.valid_ok++;
                }
                else {
                    mismatch(&t, "tcId %d (%s): valid as R||S: %s",
                             tc_id(x), tc_str(x, "comment"),
                             jwt_status_name(st));
                }
            }
        }
    }
    ck_assert_int_eq(total, 484);
    tally_done(&t, apr_psprintf(tu_pool,
        "wycheproof ecdsa_secp256r1_sha256 (DER, ES256): %d of %d DER "
        "signatures rejected as a JWS signature; %d valid ones accepted "
        "after conversion to R||S, 0 skipped", t.invalid_ok, total,
        t.valid_ok));
}
END_TEST

/* HS256/384/512: only full-length tags are JWS MACs. */
static void hmac_file(const char *file, const char *alg, int bits)
{
    json_t *v = tu_vector(tu_pool, apr_pstrcat(tu_pool, "wycheproof/", file,
                                               NULL));
    json_t *groups = json_object_get(v, "testGroups");
    const jose_alg_info_t *a = tu_alg(alg);
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 0, JOSE_ALG_BIT(a->id), NULL,
                                NULL);
    size_t gi, ti;
    int total = 0, truncated = 0, shortkey = 0;
    tally_t t;

    tally_init(&t, file);
    for (gi = 0; gi < json_array_size(groups); gi++) {
        json_t *g = json_array_get(groups, gi);
        json_t *tests = json_object_get(g, "tests");
        int keybits = (int)json_integer_value(json_object_get(g, "keySize"));
        int tagbits = (int)json_integer_value(json_object_get(g, "tagSize"));

        for (ti = 0; ti < json_array_size(tests); ti++) {
            json_t *x = json_array_get(tests, ti);
            const char *res = tc_str(x, "result"), *err = NULL;
            size_t klen, mlen, tlen;
            unsigned char *key = tu_unhex(tu_pool, tc_str(x, "key"), &klen);
            unsigned char *msg = tu_unhex(tu_pool, tc_str(x, "msg"), &mlen);
            unsigned char *tag = tu_unhex(tu_pool, tc_str(x, "tag"), &tlen);
            jwk_t *k = NULL;
            int rv = jwk_from_secret(&k, tu_pool, key, klen, &o, "wycheproof",
                                     &err);
            jwt_status_t st;

            total++;
            ck_assert_int_eq((int)klen * 8, keybits);
            if (keybits < bits) {
                /* RFC 7518 3.2: refused at load, the test cannot run */
                if (rv == 0) {
                    mismatch(&t, "tcId %d: a %d-bit key was loaded for %s",
                             tc_id(x), keybits, alg);
                }
                shortkey++;
                t.skipped++;
                continue;
            }
            if (rv != 0) {
                mismatch(&t, "tcId %d: key refused: %s", tc_id(x),
                         err ? err : "");
                continue;
            }
            st = jose_sig_verify(k, a, msg, mlen, tag, tlen);
            if (tagbits != bits) {
                /* a truncated MAC is never a JWS MAC (B1) */
                if (st == JWT_ERR_SIGNATURE) {
                    truncated++;
                }
                else {
                    mismatch(&t, "tcId %d: %d-bit tag (%s): %s", tc_id(x),
                             tagbits, res, jwt_status_name(st));
                }
            }
            else if (strcmp(res, "valid") == 0 && st == JWT_OK) {
                t.valid_ok++;
            }
            else if (strcmp(res, "invalid") == 0
                     && st == JWT_ERR_SIGNATURE) {
                t.invalid_ok++;
            }
            else {
                mismatch(&t, "tcId %d (%s, %s): %s", tc_id(x),
                         tc_str(x, "comment"), res, jwt_status_name(st));
            }
        }
    }
    ck_assert_int_eq(total, (int)json_integer_value(json_object_get(
                                 v, "numberOfTests")));
    tally_done(&t, apr_psprintf(tu_pool,
        "wycheproof %s (%s): %d valid accepted, %d invalid rejected, "
        "%d truncated-tag vectors rejected (a JWS MAC is full length), "
        "%d skipped (key shorter than the hash: refused at load, RFC 7518 "
        "3.2)", file, alg, t.valid_ok, t.invalid_ok, truncated, shortkey));
}

START_TEST(wycheproof_hs256)
{
    hmac_file("hmac_sha256_test.json", "HS256", 256);
}
END_TEST

START_TEST(wycheproof_hs384)
{
    hmac_file("hmac_sha384_test.json", "HS384", 384);
}
END_TEST

START_TEST(wycheproof_hs512)
{
    hmac_file("hmac_sha512_test.json", "HS512", 512);
}
END_TEST

static Suite *vectors_suite(void)
{
    Suite *s = suite_create("vectors");
    TCase *tc;

    tc = tcase_create("jose");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, wycheproof_json_web_signature);
    tcase_add_test(tc, wycheproof_json_web_key);
    tcase_add_test(tc, wycheproof_json_web_crypto);
    tcase_add_test(tc, rfc7520_keys);
    suite_add_tcase(s, tc);

    tc = tcase_create("primitives");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, wycheproof_es256_p1363);
    tcase_add_test(tc, wycheproof_es384_p1363);
    tcase_add_test(tc, wycheproof_es512_p1363);
    tcase_add_test(tc, wycheproof_es256_der_rejected);
    tcase_add_test(tc, wycheproof_rs256);
    tcase_add_test(tc, wycheproof_rs384);
    tcase_add_test(tc, wycheproof_rs512);
    tcase_add_test(tc, wycheproof_ps256);
    tcase_add_test(tc, wycheproof_ps384);
    tcase_add_test(tc, wycheproof_ps512);
    tcase_add_test(tc, wycheproof_ed25519);
    tcase_add_test(tc, wycheproof_ed448);
    tcase_add_test(tc, wycheproof_hs256);
    tcase_add_test(tc, wycheproof_hs384);
    tcase_add_test(tc, wycheproof_hs512);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tu_init();
    return tu_run(vectors_suite());
}
