/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * fuzz_jwe.c: compact JWE decryption (RFC 7516 section 7.1, RFC 7518
 * sections 4 and 5, RFC 8037 section 3.2) and nested JWTs (RFC 7519
 * section 5.2, 7.2) on arbitrary bytes: jwe_decrypt and jwt_check with
 * decryption keys for RSA-OAEP(-256), RSA1_5 (named), A128KW, A128GCMKW,
 * dir, ECDH-ES(+A*KW) on P-256, P-384 and X25519, and PBES2 (named), plus
 * the RFC 7516/7520 example keys (doc/attacks.md C1-C11, F6).
 *
 * Input: without a NUL byte, a token as received.  With NUL bytes either
 * HEADER \0 EK \0 IV \0 CIPHERTEXT \0 TAG (five raw parts, base64url-encoded
 * here), or HEADER \0 PLAINTEXT: the header JSON is used as it is and the
 * plaintext is encrypted here for it with a fixed CEK and IV, with the
 * fixture key its alg/kid select for dir, A*KW, RSA* and PBES2 (p2s and
 * p2c from the header), so that mutated headers and inner tokens get
 * past the tag check.  Other algorithms get an encrypted key of the right
 * length, so that the epk and the unwrap are still reached.
 *
 * Properties, beyond the sanitizers: jwe_decrypt fails only with
 * JWT_ERR_DECRYPT and, when it succeeds, the key is a configured decryption
 * key that allows the alg and fits the kid, and for RSA, ECDH-ES and PBES2
 * the first that fits (one expensive attempt per token, C6); same token,
 * same answer (F6);
 * jwt_check accepts only what jwe_decrypt decrypts; an accepted token is a
 * verified inner JWS, or an unsigned JWE only with allow_unsigned_jwe and
 * shared-secret key management (C1).
 */

#include <string.h>
#include <apr_strings.h>
#include <openssl/obj_mac.h>
#include "jose_b64.h"
#include "jose_crypto.h"
#include "jose_util.h"
#include "jwe.h"
#include "fuzz_common.h"

/* The module with AuthJWTDecryptKey and encryption required; the same
 * without AuthJWTAllowUnsignedJWE. */
static jwt_rules_t rules, signed_only;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init(1);
    jwt_rules_init(&rules);
    rules.verify_keys = fz_verify_keys();
    rules.decrypt_keys = fz_decrypt_keys();
    rules.require_encryption = 1;
    rules.allow_unsigned_jwe = 1;
    signed_only = rules;
    signed_only.allow_unsigned_jwe = 0;
    return 0;
}

static int is_shared_secret(jose_alg_t id)
{
    return id == JOSE_ALG_DIR || id == JOSE_ALG_A128KW
           || id == JOSE_ALG_A192KW || id == JOSE_ALG_A256KW
           || id == JOSE_ALG_A128GCMKW || id == JOSE_ALG_A192GCMKW
           || id == JOSE_ALG_A256GCMKW;
}

static int is_expensive(jose_alg_t id)
{
    const jose_alg_info_t *a = jose_alg_get(id);

    return a->kty == JOSE_KTY_RSA || a->kty == JOSE_KTY_EC
           || id == JOSE_ALG_PBES2_HS256_A128KW
           || id == JOSE_ALG_PBES2_HS384_A192KW
           || id == JOSE_ALG_PBES2_HS512_A256KW;
}

/* Could K have been tried for a token with ALG and KID (jwe.h)? */
static int fits(const jwk_t *k, const jose_alg_info_t *alg, const char *kid)
{
    if (k->use != JOSE_USE_ENC || !k->is_private
        || !JOSE_ALG_IN(k->algs, alg->id)
        || (k->kid != NULL && kid != NULL && strcmp(k->kid, kid) != 0)) {
        return 0;
    }
    if (alg->kty == JOSE_KTY_EC) {
        return (k->kty == JOSE_KTY_EC
                && (k->curve_nid == NID_X9_62_prime256v1
                    || k->curve_nid == NID_secp384r1
                    || k->curve_nid == NID_secp521r1))
               || (k->kty == JOSE_KTY_OKP
                   && (k->curve_nid == NID_X25519
                       || k->curve_nid == NID_X448));
    }
    return k->kty == alg->kty;
}

static const char *b64(apr_pool_t *p, const void *b, size_t n)
{
    return jose_b64url_encode(p, b, n);
}

/* The encrypted key for the header HDR, with CEK[0..CL), or a stand-in of
 * the length the algorithm expects. */
static void wrap(unsigned char **ek, size_t *eklen, unsigned char *cek,
                 apr_pool_t *p, json_t *hdr, const jose_alg_info_t *alg,
                 size_t cl)
{
    const jwk_t *key = fz_pick_key(fz_decrypt_keys(), alg->id,
                                   jose_json_str(hdr, "kid", NULL));
    unsigned char kek[JOSE_MAX_KEK_LEN];
    const unsigned char *k = NULL;
    jose_alg_t id = alg->id;

    *ek = NULL;
    *eklen = 0;
    if (id == JOSE_ALG_DIR || id == JOSE_ALG_ECDH_ES) {
        if (id == JOSE_ALG_DIR && key != NULL && key->secret_len == cl) {
            memcpy(cek, key->secret, cl);
        }
        return;
    }
    if (key != NULL && key->kty == JOSE_KTY_RSA) {
        if (jose_rsa_encrypt(ek, eklen, p, key->pkey, alg, cek, cl)
            == JWT_OK) {
            return;
        }
    }
    else if (key != NULL && key->kty == JOSE_KTY_OCT
             && (id == JOSE_ALG_A128KW || id == JOSE_ALG_A192KW
                 || id == JOSE_ALG_A256KW)) {
        k = key->secret;
    }
    else if (key != NULL && key->kty == JOSE_KTY_OCT
             && (id == JOSE_ALG_PBES2_HS256_A128KW
                 || id == JOSE_ALG_PBES2_HS384_A192KW
                 || id == JOSE_ALG_PBES2_HS512_A256KW)) {
        /* PBES2 (RFC 7518 4.8.1.1): Salt = UTF8(alg) || 0x00 || p2s */
        json_t *c = json_object_get(hdr, "p2c");
        const char *s2 = jose_json_str(hdr, "p2s", NULL);
        unsigned char *p2s, *salt;
        size_t n, namelen = strlen(alg->name);

        if (json_is_integer(c) && json_integer_value(c) >= JWE_MIN_P2C
            && json_integer_value(c) <= JWE_DEFAULT_MAX_P2C && s2 != NULL
            && jose_b64url_decode(&p2s, &n, p, s2, strlen(s2)) == JWT_OK) {
            salt = apr_palloc(p, namelen + 1 + n);
            memcpy(salt, alg->name, namelen + 1);
            memcpy(salt + namelen + 1, p2s, n);
            if (jose_pbkdf2(kek, alg->key_len, alg->digest, key->secret,
                            key->secret_len, salt, namelen + 1 + n,
                            (unsigned long)json_integer_value(c))
                == JWT_OK) {
                k = kek;
            }
        }
    }
    *ek = apr_pcalloc(p, cl + JOSE_KW_OVERHEAD);
    *eklen = cl + JOSE_KW_OVERHEAD;
    if (k != NULL
        && jose_aes_kw_wrap(*ek, eklen, k, alg->key_len, cek, cl)
           != JWT_OK) {
        *eklen = cl + JOSE_KW_OVERHEAD;
    }
    if (id == JOSE_ALG_A128GCMKW || id == JOSE_ALG_A192GCMKW
        || id == JOSE_ALG_A256GCMKW) {
        *eklen = cl;
    }
}

/* HEADER \0 PLAINTEXT, encrypted for the header as well as we can. */
static char *encrypt_for(apr_pool_t *p, const uint8_t *h, size_t hlen,
                         const uint8_t *pt, size_t ptlen)
{
    json_t *hdr = json_loadb((const char *)h, hlen, 0, NULL);
    const char *alg_name = jose_json_str(hdr, "alg", NULL);
    const char *enc_name = jose_json_str(hdr, "enc", NULL);
    const jose_alg_info_t *alg = NULL;
    const jose_enc_info_t *enc = NULL;
    unsigned char cek[JOSE_MAX_CEK_LEN], iv[JOSE_CBC_IV_LEN];
    unsigned char tag[JOSE_MAX_CEK_LEN / 2], *ek = NULL, *ct;
    size_t eklen = 0, ctlen = 0, ivlen = JOSE_GCM_IV_LEN;
    size_t taglen = JOSE_GCM_TAG_LEN;
    const char *aad = b64(p, h, hlen);
    char *tok;

    /* fixed, so that an input always makes the same token (RSA padding
     * aside) */
    memset(cek, 0x5a, sizeof(cek));
    memset(iv, 0xa5, sizeof(iv));
    memset(tag, 0, sizeof(tag));
    if (alg_name != NULL) {
        alg = jose_alg_lookup(alg_name, strlen(alg_name));
    }
    if (enc_name != NULL) {
        enc = jose_enc_lookup(enc_name, strlen(enc_name));
    }
    ct = apr_palloc(p, ptlen + JOSE_CBC_IV_LEN);
    if (enc != NULL) {
        ivlen = enc->iv_len;
        taglen = enc->tag_len;
    }
    if (alg != NULL && alg->use == JOSE_USE_ENC && enc != NULL) {
        wrap(&ek, &eklen, cek, p, hdr, alg, enc->cek_len);
    }
    if (enc == NULL
        || jose_content_encrypt(ct, &ctlen, tag, enc, cek, enc->cek_len, iv,
                                ivlen, (const unsigned char *)aad,
                                strlen(aad), pt, ptlen) != JWT_OK) {
        memcpy(ct, pt, ptlen);
        ctlen = ptlen;
    }
    tok = apr_pstrcat(p, aad, ".", b64(p, ek, eklen), ".", b64(p, iv, ivlen),
                      ".", b64(p, ct, ctlen), ".", b64(p, tag, taglen),
                      NULL);
    json_decref(hdr);
    return tok;
}

static char *structured(size_t *outlen, apr_pool_t *p, const uint8_t *data,
                        size_t size)
{
    const uint8_t *part[FZ_MAX_PARTS];
    size_t len[FZ_MAX_PARTS];
    char *tok;

    if (fz_split(data, size, part, len, 5) == 5) {
        tok = apr_pstrcat(p, b64(p, part[0], len[0]), ".",
                          b64(p, part[1], len[1]), ".",
                          b64(p, part[2], len[2]), ".",
                          b64(p, part[3], len[3]), ".",
                          b64(p, part[4], len[4]), NULL);
    }
    else {
        (void)fz_split(data, size, part, len, 2);
        tok = encrypt_for(p, part[0], len[0], part[1], len[1]);
    }
    *outlen = strlen(tok);
    return tok;
}

static int decrypts(apr_pool_t *p, const char *tok, size_t len)
{
    const jwk_set_t *keys = fz_decrypt_keys();
    jwe_t *jwe = NULL;
    jwt_status_t st;
    int i, found = 0;

    st = jwe_decrypt(&jwe, p, tok, len, keys, 0);
    fz_check_status(st);
    fz_note("jwe_decrypt", st);
    /* C4, C5: one failure for every reason */
    FZ_ASSERT(st == JWT_OK || st == JWT_ERR_DECRYPT);
    FZ_ASSERT((st == JWT_OK) == (jwe != NULL));
    if (st != JWT_OK) {
        return 0;
    }
    FZ_ASSERT(jose_count_dots(tok, len) == 4);
    FZ_ASSERT(json_is_object(jwe->header));
    FZ_ASSERT(json_object_get(jwe->header, "zip") == NULL);
    FZ_ASSERT(json_object_get(jwe->header, "crit") == NULL);
    FZ_ASSERT(jwe->alg != NULL && jwe->alg->use == JOSE_USE_ENC);
    FZ_ASSERT(jwe->enc != NULL);
    FZ_ASSERT(jwe->plaintext != NULL && jwe->plaintext_len < len
              && jwe->plaintext[jwe->plaintext_len] == '\0');
    FZ_ASSERT(jwe->key != NULL);
    for (i = 0; i < keys->keys->nelts; i++) {
        found |= APR_ARRAY_IDX(keys->keys, i, const jwk_t *) == jwe->key;
    }
    FZ_ASSERT(found);
    FZ_ASSERT(jwe->key->use == JOSE_USE_ENC && jwe->key->is_private);
    FZ_ASSERT(JOSE_ALG_IN(jwe->key->algs, jwe->alg->id));
    FZ_ASSERT(jwe->key->kid == NULL || jwe->kid == NULL
              || strcmp(jwe->kid, jwe->key->kid) == 0);
    FZ_ASSERT(jwe->alg->id != JOSE_ALG_DIR
              || jwe->key->secret_len == jwe->enc->cek_len);
    /* one expensive attempt per token (jwe.h): the key is the first that
     * fits, for RSA, ECDH-ES and PBES2 */
    if (is_expensive(jwe->alg->id)) {
        for (i = 0; i < keys->keys->nelts; i++) {
            const jwk_t *k = APR_ARRAY_IDX(keys->keys, i, const jwk_t *);

            if (k == jwe->key) {
                break;
            }
            if (fits(k, jwe->alg, jwe->kid)) {
                fz_fail("jwe_decrypt tried a second key for %s",
                        jwe->alg->name);
            }
        }
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fz_pool();
    jwt_t *jwt = NULL, *again = NULL;
    jwt_status_t st, st2;
    size_t len = size;
    char *tok, *copy;
    int decrypted;

    if (memchr(data, 0, size) != NULL) {
        const char *s = structured(&len, p, data, size);

        tok = fz_exact_copy(s, len);
    }
    else {
        tok = fz_exact_copy(data, size);
    }
    decrypted = decrypts(p, tok, len);

    st = jwt_check(&jwt, p, tok, len, &rules, FZ_NOW);
    fz_check_status(st);
    fz_note("jwt_check", st);
    copy = fz_exact_copy(tok, len);
    st2 = jwt_check(&again, p, copy, len, &rules, FZ_NOW);
    free(copy);
    if (st2 != st) {
        fz_fail("jwt_check gave %s, then %s for the same token",
                jwt_status_name(st), jwt_status_name(st2));
    }
    if (st == JWT_OK) {
        FZ_ASSERT(decrypted && jwt != NULL && jwt->encrypted);
        FZ_ASSERT(json_is_object(jwt->jwe_header));
        FZ_ASSERT(json_is_object(jwt->claims));
        FZ_ASSERT(jwt->key != NULL);
        if (jwt->unsigned_jwe) {
            /* C1: only a shared secret stands in for a signature, and only
             * when the configuration says so */
            FZ_ASSERT(jwt->jws == NULL && jwt->key->use == JOSE_USE_ENC);
            FZ_ASSERT(jwt->alg != NULL);
            FZ_ASSERT(is_shared_secret(jose_alg_lookup(jwt->alg,
                                       strlen(jwt->alg))->id));
            copy = fz_exact_copy(tok, len);
            again = NULL;
            st2 = jwt_check(&again, p, copy, len, &signed_only, FZ_NOW);
            free(copy);
            FZ_ASSERT(st2 == JWT_ERR_NESTED);
        }
        else {
            FZ_ASSERT(jwt->jws != NULL);
            fz_check_sig_key(jwt->key, jwt->jws->alg, jwt->kid, jwt->iss);
        }
    }
    if (jwt != NULL) {
        fz_check_status(jwt_validate(jwt, &rules, FZ_NOW));
        fz_claim_model(p, jwt->claims);
    }
    free(tok);
    fz_input_done();
    return 0;
}
