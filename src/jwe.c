/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwe.c: compact JWE (RFC 7516 sections 5.1, 5.2 and 7.1) with the key
 * management algorithms of RFC 7518 section 4 and RFC 8037 section 3.2 and
 * the content encryption of RFC 7518 section 5.
 *
 * Decryption is strict and uniform (doc/attacks.md C1-C11, L step 6): five
 * segments, a protected header that is one JSON object without duplicates,
 * no zip (C7) and no crit, a decryption key chosen from the configured set
 * only, every length fixed by alg/enc checked before any EVP call (C8-C10),
 * PBES2 parameters bounded before PBKDF2 (C6), the epk rebuilt on the
 * recipient's own curve (C3), and a random CEK drawn before every unwrap so
 * that an unwrap error, a wrong CEK length and a wrong tag are the same
 * failure at the same place: the tag check (C4, C5, C10).  Every failure
 * is JWT_ERR_DECRYPT; the reason is not given to anyone, not even the log.
 */

#include <string.h>
#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/obj_mac.h>
#include <openssl/rand.h>
#include "jose_b64.h"
#include "jose_crypto.h"
#include "jose_util.h"
#include "jwe.h"

/* The five segments, decoded, and the header parameters key management
 * needs, all checked before any key is tried. */
typedef struct {
    const char *aad;                /* header segment as received         */
    size_t aadlen;
    json_t *header;
    const jose_alg_info_t *alg;
    const jose_enc_info_t *enc;
    const char *kid, *cty;
    size_t kidlen;
    unsigned char *ek, *iv, *ct, *tag;
    size_t eklen, ivlen, ctlen, taglen;
    /* ECDH-ES (RFC 7518 4.6.1) */
    const json_t *epk;
    unsigned char *apu, *apv;
    size_t apulen, apvlen;
    /* A*GCMKW (RFC 7518 4.7.1) */
    unsigned char *kw_iv, *kw_tag;
    /* PBES2 (RFC 7518 4.8.1) */
    unsigned char *salt;            /* alg name || 0x00 || p2s            */
    size_t saltlen;
    unsigned long p2c;
} jwe_parts_t;

static int is_ecdh(jose_alg_t id)
{
    return id == JOSE_ALG_ECDH_ES || id == JOSE_ALG_ECDH_ES_A128KW
           || id == JOSE_ALG_ECDH_ES_A192KW || id == JOSE_ALG_ECDH_ES_A256KW;
}

static int is_gcmkw(jose_alg_t id)
{
    return id == JOSE_ALG_A128GCMKW || id == JOSE_ALG_A192GCMKW
           || id == JOSE_ALG_A256GCMKW;
}

static int is_pbes2(jose_alg_t id)
{
    return id == JOSE_ALG_PBES2_HS256_A128KW
           || id == JOSE_ALG_PBES2_HS384_A192KW
           || id == JOSE_ALG_PBES2_HS512_A256KW;
}

static int is_rsa(jose_alg_t id)
{
    return id == JOSE_ALG_RSA1_5 || id == JOSE_ALG_RSA_OAEP
           || id == JOSE_ALG_RSA_OAEP_256;
}

/* 0xff when A == B, 0 otherwise, without a branch on either. */
static unsigned char ct_eq_mask(size_t a, size_t b)
{
    size_t x = a ^ b;

    return (unsigned char)((((x | (0 - x)) >> (sizeof(size_t) * 8 - 1))
                            & 1) - 1);
}

/* An optional string member: absent is fine, any other type is not (D4). */
static int opt_str(const char **out, size_t *len, const json_t *hdr,
                   const char *name)
{
    json_t *v = json_object_get(hdr, name);

    *out = NULL;
    *len = 0;
    if (v == NULL) {
        return 1;
    }
    if (!json_is_string(v)) {
        return 0;
    }
    *out = json_string_value(v);
    *len = json_string_length(v);
    return 1;
}

/* An optional base64url header member (apu, apv). */
static int opt_b64(unsigned char **out, size_t *len, apr_pool_t *p,
                   const json_t *hdr, const char *name)
{
    const char *s;
    size_t slen;

    *out = NULL;
    *len = 0;
    if (!opt_str(&s, &slen, hdr, name)) {
        return 0;
    }
    return s == NULL || jose_b64url_decode(out, len, p, s, slen) == JWT_OK;
}

/* A required base64url header member of exactly WANT bytes (iv, tag). */
static unsigned char *exact_b64(apr_pool_t *p, const json_t *hdr,
                                const char *name, size_t want)
{
    const char *s;
    size_t slen, n;
    unsigned char *b;

    s = jose_json_str(hdr, name, &slen);
    if (s == NULL || slen != (want * 4 + 2) / 3
        || jose_b64url_decode(&b, &n, p, s, slen) != JWT_OK || n != want) {
        return NULL;
    }
    return b;
}

/* RFC 7518 4.6.1, 4.7.1, 4.8.1: the parameters of the key management
 * algorithm, bounded here, before any key is touched (C6, C8). */
static int parse_kw_params(jwe_parts_t *jp, apr_pool_t *p,
                           unsigned long max_p2c)
{
    const json_t *hdr = jp->header;
    jose_alg_t id = jp->alg->id;

    if (is_ecdh(id)) {
        jp->epk = json_object_get(hdr, "epk");
        return json_is_object(jp->epk)
               && opt_b64(&jp->apu, &jp->apulen, p, hdr, "apu")
               && opt_b64(&jp->apv, &jp->apvlen, p, hdr, "apv");
    }
    if (is_gcmkw(id)) {
        jp->kw_iv = exact_b64(p, hdr, "iv", JOSE_GCM_IV_LEN);
        jp->kw_tag = exact_b64(p, hdr, "tag", JOSE_GCM_TAG_LEN);
        return jp->kw_iv != NULL && jp->kw_tag != NULL;
    }
    if (is_pbes2(id)) {
        json_t *c = json_object_get(hdr, "p2c");
        const char *s;
        unsigned char *p2s;
        size_t slen, n, namelen = strlen(jp->alg->name);

        /* C6: an integer in [1000, max_p2c], p2s at least 8 bytes;
         * a real, a string, 0, a negative or a huge count are refused */
        if (!json_is_integer(c) || json_integer_value(c) < JWE_MIN_P2C
            || (unsigned long)json_integer_value(c) > max_p2c) {
            return 0;
        }
        jp->p2c = (unsigned long)json_integer_value(c);
        s = jose_json_str(hdr, "p2s", &slen);
        if (s == NULL || jose_b64url_decode(&p2s, &n, p, s, slen) != JWT_OK
            || n < JWE_MIN_P2S_LEN) {
            return 0;
        }
        /* RFC 7518 4.8.1.1: Salt = (UTF8(Alg) || 0x00 || Salt Input) */
        jp->saltlen = namelen + 1 + n;
        jp->salt = apr_palloc(p, jp->saltlen);
        memcpy(jp->salt, jp->alg->name, namelen);
        jp->salt[namelen] = 0;
        memcpy(jp->salt + namelen + 1, p2s, n);
    }
    return 1;
}

static jwt_status_t parse(jwe_parts_t *jp, apr_pool_t *p, const char *token,
                          size_t len, unsigned long max_p2c)
{
    size_t start[5], slen[5], i, n = 0, from = 0, ignore;
    unsigned char *hdr, **dec[4];
    size_t hdrlen, *declen[4];
    const char *s;

    memset(jp, 0, sizeof(*jp));
    if (token == NULL || len == 0) {
        return JWT_ERR_DECRYPT;
    }
    /* RFC 7516 7.1: exactly five segments, found in one pass (F3) */
    for (i = 0; i <= len; i++) {
        if (i == len || token[i] == '.') {
            if (n == 5) {
                return JWT_ERR_DECRYPT;
            }
            start[n] = from;
            slen[n] = i - from;
            n++;
            from = i + 1;
        }
    }
    if (n != 5 || slen[0] == 0) {
        return JWT_ERR_DECRYPT;
    }
    jp->aad = token;
    jp->aadlen = slen[0];
    if (jose_b64url_decode(&hdr, &hdrlen, p, token, slen[0]) != JWT_OK
        || jose_json_object(&jp->header, p, hdr, hdrlen) != JWT_OK) {
        return JWT_ERR_DECRYPT;
    }
    s = jose_json_str(jp->header, "alg", &n);
    jp->alg = s != NULL ? jose_alg_lookup(s, n) : NULL;
    s = jose_json_str(jp->header, "enc", &n);
    jp->enc = s != NULL ? jose_enc_lookup(s, n) : NULL;
    if (jp->alg == NULL || jp->alg->use != JOSE_USE_ENC || jp->enc == NULL) {
        return JWT_ERR_DECRYPT;
    }
    /* C7: no compression at all; D1: no extension is understood, so any
     * crit rejects; b64 (RFC 7797) is a JWS parameter with no JWE meaning */
    if (json_object_get(jp->header, "zip") != NULL
        || json_object_get(jp->header, "crit") != NULL
        || json_object_get(jp->header, "b64") != NULL) {
        return JWT_ERR_DECRYPT;
    }
    /* D4, A5: kid, cty, typ are strings; kid bounded */
    if (!opt_str(&jp->kid, &jp->kidlen, jp->header, "kid")
        || jp->kidlen > JWE_MAX_KID_LEN
        || !opt_str(&jp->cty, &ignore, jp->header, "cty")
        || !opt_str(&s, &ignore, jp->header, "typ")) {
        return JWT_ERR_DECRYPT;
    }
    dec[0] = &jp->ek;
    dec[1] = &jp->iv;
    dec[2] = &jp->ct;
    dec[3] = &jp->tag;
    declen[0] = &jp->eklen;
    declen[1] = &jp->ivlen;
    declen[2] = &jp->ctlen;
    declen[3] = &jp->taglen;
    for (i = 0; i < 4; i++) {
        if (jose_b64url_decode(dec[i], declen[i], p, token + start[i + 1],
                               slen[i + 1]) != JWT_OK) {
            return JWT_ERR_DECRYPT;
        }
    }
    /* C8, C9, F3: exact IV and tag for enc; an encrypted key exactly when
     * the algorithm has one (RFC 7516 5.2 step 9 and 10) */
    if (jp->ivlen != jp->enc->iv_len || jp->taglen != jp->enc->tag_len) {
        return JWT_ERR_DECRYPT;
    }
    if (jp->enc->digest != NULL
        && (jp->ctlen == 0 || jp->ctlen % JOSE_CBC_IV_LEN != 0)) {
        return JWT_ERR_DECRYPT;
    }
    if ((jp->alg->id == JOSE_ALG_DIR || jp->alg->id == JOSE_ALG_ECDH_ES)
        != (jp->eklen == 0)) {
        return JWT_ERR_DECRYPT;
    }
    if (!parse_kw_params(jp, p, max_p2c)) {
        return JWT_ERR_DECRYPT;
    }
    return JWT_OK;
}

static int curve_is_ecdh(const jwk_t *key)
{
    if (key->kty == JOSE_KTY_EC) {
        return jose_curve_jwk_name(key->curve_nid) != NULL
               && key->curve_nid != NID_X25519 && key->curve_nid != NID_X448;
    }
    return key->kty == JOSE_KTY_OKP
           && (key->curve_nid == NID_X25519 || key->curve_nid == NID_X448);
}

/* The key fits the algorithm: its type, its length, and (for decryption)
 * its private half.  The alg must be one the key was configured for:
 * RSA1_5 and PBES2 only when named in alg= (explicit_only). */
static int key_fits(const jwk_t *key, const jose_alg_info_t *alg,
                    const jose_enc_info_t *enc, int need_private)
{
    jose_alg_t id = alg->id;

    if (key == NULL || key->use != JOSE_USE_ENC
        || !JOSE_ALG_IN(key->algs, id)) {
        return 0;
    }
    /* C10: enc= binds the key to content algorithms too */
    if (key->encs != 0 && !JOSE_ENC_IN(key->encs, enc->id)) {
        return 0;
    }
    if (is_rsa(id)) {
        return key->kty == JOSE_KTY_RSA && key->pkey != NULL
               && (!need_private || key->is_private);
    }
    if (is_ecdh(id)) {
        return curve_is_ecdh(key) && key->pkey != NULL
               && (!need_private || key->is_private);
    }
    if (key->kty != JOSE_KTY_OCT || key->secret == NULL) {
        return 0;
    }
    if (id == JOSE_ALG_DIR) {
        /* RFC 7518 4.5: the shared key is the CEK, of enc's length (C10) */
        return key->secret_len == enc->cek_len;
    }
    if (is_pbes2(id)) {
        return key->secret_len > 0;
    }
    return key->secret_len == alg->key_len;
}

/* kid is a lookup key and nothing else (A5): a key with a kid decrypts
 * only tokens naming it; a key without one may decrypt any (as jws.c). */
static int kid_fits(const jwk_t *key, const char *kid, size_t kidlen)
{
    /* as for signatures (jws_verify): a kid in the token narrows the
     * choice to the key with that kid and to keys without one */
    if (key->kid == NULL || kid == NULL) {
        return 1;
    }
    return strlen(key->kid) == kidlen && memcmp(key->kid, kid, kidlen) == 0;
}

/* Z from the epk and the recipient's private key, then the Concat KDF:
 * RFC 7518 4.6.2, AlgorithmID is enc for ECDH-ES and alg for +A*KW. */
static jwt_status_t ecdh_kdf(unsigned char *out, size_t outlen,
                             apr_pool_t *p, const jwe_parts_t *jp,
                             const jwk_t *key, const char *algid)
{
    EVP_PKEY *peer = NULL;
    unsigned char z[JOSE_MAX_ECDH_Z_LEN];
    size_t zlen = 0;
    jwt_status_t rv;

    rv = jose_epk_import(&peer, p, jp->epk, key->curve_nid);
    if (rv == JWT_OK) {
        rv = jose_ecdh_derive(z, &zlen, key->pkey, peer);
    }
    if (rv == JWT_OK) {
        rv = jose_concat_kdf(out, outlen, z, zlen, algid, jp->apu,
                             jp->apulen, jp->apv, jp->apvlen);
    }
    EVP_PKEY_free(peer);
    OPENSSL_cleanse(z, sizeof(z));
    return rv;
}

/* The CEK for one candidate key.  Failures of the public parts (epk) are
 * returned; a failed unwrap is not: the CEK is then the random one drawn
 * before the attempt, selected in constant time, and the failure shows up
 * only at the tag check, like any other (C4, C5, C10). */
static jwt_status_t get_cek(unsigned char *cek, apr_pool_t *p,
                            const jwe_parts_t *jp, const jwk_t *key)
{
    const jose_alg_info_t *alg = jp->alg;
    size_t cl = jp->enc->cek_len, gotlen = 0, i;
    unsigned char rnd[JOSE_MAX_CEK_LEN], got[JOSE_MAX_CEK_LEN];
    unsigned char kek[JOSE_MAX_KEK_LEN];
    const unsigned char *src = got;
    unsigned char *rsa = NULL;
    jwt_status_t rv = JWT_OK, st = JWT_ERR_DECRYPT;
    unsigned char mask;

    memset(got, 0, sizeof(got));
    if (alg->id == JOSE_ALG_DIR) {
        memcpy(cek, key->secret, cl);
        return JWT_OK;
    }
    if (alg->id == JOSE_ALG_ECDH_ES) {
        return ecdh_kdf(cek, cl, p, jp, key, jp->enc->name);
    }
    if (RAND_bytes(rnd, (int)cl) != 1) {
        return JWT_ERR_INTERNAL;
    }
    if (alg->id == JOSE_ALG_RSA1_5) {
        /* C4: the padding check and the select are constant time */
        rv = jose_rsa1_5_unwrap(cek, cl, rnd, p, key->pkey, jp->ek,
                                jp->eklen);
        if (rv != JWT_OK) {
            /* the ciphertext length is public: still fail at the tag */
            memcpy(cek, rnd, cl);
            rv = JWT_OK;
        }
        goto cleanup;
    }
    if (is_rsa(alg->id)) {
        st = jose_rsa_decrypt(&rsa, &gotlen, p, key->pkey, alg, jp->ek,
                              jp->eklen);
        /* the buffer holds the modulus length (public), read CL bytes of
         * it whatever the decrypted length was */
        if (st == JWT_OK && rsa != NULL
            && (size_t)EVP_PKEY_get_size(key->pkey) >= cl) {
            src = rsa;
        }
    }
    else if (is_gcmkw(alg->id)) {
        if (jp->eklen == cl) {
            st = jose_aes_gcm_decrypt(got, key->secret, key->secret_len,
                                      jp->kw_iv, JOSE_GCM_IV_LEN, NULL, 0,
                                      jp->ek, jp->eklen, jp->kw_tag,
                                      JOSE_GCM_TAG_LEN);
            gotlen = cl;
        }
    }
    else {
        /* A*KW, ECDH-ES+A*KW, PBES2-*: a KEK, then RFC 3394 unwrap */
        const unsigned char *k = kek;

        if (is_ecdh(alg->id)) {
            rv = ecdh_kdf(kek, alg->key_len, p, jp, key, alg->name);
        }
        else if (is_pbes2(alg->id)) {
            rv = jose_pbkdf2(kek, alg->key_len, alg->digest, key->secret,
                             key->secret_len, jp->salt, jp->saltlen,
                             jp->p2c);
        }
        else {
            k = key->secret;
        }
        if (rv != JWT_OK) {
            goto cleanup;
        }
        if (jp->eklen == cl + JOSE_KW_OVERHEAD) {
            st = jose_aes_kw_unwrap(got, &gotlen, k, alg->key_len, jp->ek,
                                    jp->eklen);
        }
    }
    mask = ct_eq_mask((size_t)st, (size_t)JWT_OK) & ct_eq_mask(gotlen, cl);
    for (i = 0; i < cl; i++) {
        cek[i] = (unsigned char)((src[i] & mask) | (rnd[i] & ~mask));
    }
cleanup:
    OPENSSL_cleanse(rnd, sizeof(rnd));
    OPENSSL_cleanse(got, sizeof(got));
    OPENSSL_cleanse(kek, sizeof(kek));
    if (rsa != NULL) {
        OPENSSL_cleanse(rsa, (size_t)EVP_PKEY_get_size(key->pkey));
    }
    return rv;
}

jwt_status_t jwe_decrypt(jwe_t **out, apr_pool_t *p, const char *token,
                         size_t len, const jwk_set_t *keys,
                         unsigned long max_p2c)
{
    jwe_parts_t jp;
    unsigned char cek[JOSE_MAX_CEK_LEN];
    unsigned char *pt;
    size_t ptlen = 0, ptcap;
    jwe_t *jwe;
    int i;

    *out = NULL;
    if (max_p2c == 0) {
        max_p2c = JWE_DEFAULT_MAX_P2C;
    }
    else if (max_p2c < JWE_MIN_P2C) {
        max_p2c = JWE_MIN_P2C;
    }
    else if (max_p2c > JWE_MAX_P2C_LIMIT) {
        max_p2c = JWE_MAX_P2C_LIMIT;
    }
    if (keys == NULL || keys->keys == NULL
        || parse(&jp, p, token, len, max_p2c) != JWT_OK) {
        return JWT_ERR_DECRYPT;
    }
    /* plaintext is never longer than the ciphertext; +1 for the NUL */
    ptcap = jp.ctlen + 1;
    pt = apr_palloc(p, ptcap);
    jose_wipe_on_cleanup(p, pt, ptcap);
    for (i = 0; i < keys->keys->nelts; i++) {
        const jwk_t *key = APR_ARRAY_IDX(keys->keys, i, const jwk_t *);
        jwt_status_t st;

        if (!key_fits(key, jp.alg, jp.enc, 1)
            || !kid_fits(key, jp.kid, jp.kidlen)) {
            continue;
        }
        st = get_cek(cek, p, &jp, key);
        if (st == JWT_OK) {
            /* RFC 7516 5.2 step 14: AAD = ASCII(BASE64URL(header)) */
            st = jose_content_decrypt(pt, &ptlen, jp.enc, cek,
                                      jp.enc->cek_len, jp.iv, jp.ivlen,
                                      (const unsigned char *)jp.aad,
                                      jp.aadlen, jp.ct, jp.ctlen, jp.tag,
                                      jp.taglen);
        }
        OPENSSL_cleanse(cek, sizeof(cek));
        if (st != JWT_OK) {
            /* A hostile token gets at most one expensive operation (one
             * RSA or ECDH private-key operation, one PBKDF2): only the
             * first fitting key is tried for those; a kid picks it. */
            if (is_rsa(jp.alg->id) || is_ecdh(jp.alg->id)
                || is_pbes2(jp.alg->id)) {
                break;
            }
            continue;
        }
        pt[ptlen] = '\0';
        jwe = apr_pcalloc(p, sizeof(*jwe));
        jwe->header = jp.header;
        jwe->alg = jp.alg;
        jwe->enc = jp.enc;
        jwe->kid = jp.kid;
        jwe->cty = jp.cty;
        jwe->plaintext = pt;
        jwe->plaintext_len = ptlen;
        jwe->key = key;
        *out = jwe;
        return JWT_OK;
    }
    return JWT_ERR_DECRYPT;
}

/* ---- encryption ---- */

static int hdr_b64(json_t *hdr, apr_pool_t *p, const char *name,
                   const unsigned char *b, size_t len)
{
    const char *s = jose_b64url_encode(p, b, len);

    return s != NULL && json_object_set_new(hdr, name, json_string(s)) == 0;
}

/* The CEK, the encrypted key and the header parameters for KEY. */
static jwt_status_t wrap_cek(unsigned char *cek, unsigned char **ek,
                             size_t *eklen, apr_pool_t *p, json_t *hdr,
                             const jwk_t *key, const jose_alg_info_t *alg,
                             const jose_enc_info_t *enc)
{
    unsigned char kek[JOSE_MAX_KEK_LEN], z[JOSE_MAX_ECDH_Z_LEN];
    unsigned char rnd[16], salt[64];
    const unsigned char *k = key->secret;
    size_t cl = enc->cek_len, zlen = 0, namelen;
    EVP_PKEY *eph = NULL;
    json_t *epk;
    jwt_status_t rv = JWT_ERR_INTERNAL;

    *ek = NULL;
    *eklen = 0;
    if (alg->id == JOSE_ALG_DIR) {
        memcpy(cek, key->secret, cl);
        return JWT_OK;
    }
    if (is_ecdh(alg->id)) {
        /* RFC 7518 4.6: an ephemeral key on the recipient's curve */
        if (jose_ecdh_keygen(&eph, key->curve_nid) != JWT_OK
            || jose_ecdh_derive(z, &zlen, eph, key->pkey) != JWT_OK
            || (epk = jose_epk_export(p, eph, key->curve_nid)) == NULL) {
            goto cleanup;
        }
        if (json_object_set_new(hdr, "epk", epk) != 0) {
            goto cleanup;
        }
        if (alg->id == JOSE_ALG_ECDH_ES) {
            rv = jose_concat_kdf(cek, cl, z, zlen, enc->name, NULL, 0, NULL,
                                 0);
            goto cleanup;
        }
        if (jose_concat_kdf(kek, alg->key_len, z, zlen, alg->name, NULL, 0,
                            NULL, 0) != JWT_OK) {
            goto cleanup;
        }
        k = kek;
    }
    /* H: a fresh random CEK for every token */
    if (RAND_bytes(cek, (int)cl) != 1) {
        goto cleanup;
    }
    if (is_rsa(alg->id)) {
        rv = jose_rsa_encrypt(ek, eklen, p, key->pkey, alg, cek, cl);
        goto cleanup;
    }
    if (is_gcmkw(alg->id)) {
        unsigned char tag[JOSE_GCM_TAG_LEN];

        *ek = apr_palloc(p, cl);
        *eklen = cl;
        if (RAND_bytes(rnd, JOSE_GCM_IV_LEN) != 1
            || jose_aes_gcm_encrypt(*ek, tag, key->secret, key->secret_len,
                                    rnd, JOSE_GCM_IV_LEN, NULL, 0, cek,
                                    cl) != JWT_OK
            || !hdr_b64(hdr, p, "iv", rnd, JOSE_GCM_IV_LEN)
            || !hdr_b64(hdr, p, "tag", tag, JOSE_GCM_TAG_LEN)) {
            goto cleanup;
        }
        rv = JWT_OK;
        goto cleanup;
    }
    if (is_pbes2(alg->id)) {
        namelen = strlen(alg->name);
        memcpy(salt, alg->name, namelen);
        salt[namelen] = 0;
        if (RAND_bytes(rnd, sizeof(rnd)) != 1
            || !hdr_b64(hdr, p, "p2s", rnd, sizeof(rnd))
            || json_object_set_new(hdr, "p2c",
                                   json_integer(JWE_ENCRYPT_P2C)) != 0) {
            goto cleanup;
        }
        memcpy(salt + namelen + 1, rnd, sizeof(rnd));
        if (jose_pbkdf2(kek, alg->key_len, alg->digest, key->secret,
                        key->secret_len, salt, namelen + 1 + sizeof(rnd),
                        JWE_ENCRYPT_P2C) != JWT_OK) {
            goto cleanup;
        }
        k = kek;
    }
    *ek = apr_palloc(p, cl + JOSE_KW_OVERHEAD);
    rv = jose_aes_kw_wrap(*ek, eklen, k, alg->key_len, cek, cl);
cleanup:
    EVP_PKEY_free(eph);
    OPENSSL_cleanse(kek, sizeof(kek));
    OPENSSL_cleanse(z, sizeof(z));
    if (rv != JWT_OK) {
        OPENSSL_cleanse(cek, JOSE_MAX_CEK_LEN);
        rv = JWT_ERR_INTERNAL;
    }
    return rv;
}

jwt_status_t jwe_encrypt(char **out, apr_pool_t *p, const jwk_t *key,
                         const jose_alg_info_t *alg,
                         const jose_enc_info_t *enc, const char *kid,
                         const char *cty, const unsigned char *plaintext,
                         size_t len)
{
    unsigned char cek[JOSE_MAX_CEK_LEN], iv[JOSE_CBC_IV_LEN];
    unsigned char tag[JOSE_MAX_CEK_LEN / 2], *ek = NULL, *ct;
    size_t eklen = 0, ctlen = 0, hlen = 0;
    const char *h;
    json_t *hdr;
    jwt_status_t rv;

    *out = NULL;
    if (key == NULL || alg == NULL || enc == NULL
        || (plaintext == NULL && len != 0)) {
        return JWT_ERR_INTERNAL;
    }
    /* H: never RSA1_5 on output; the key decides what it may be used for */
    if (alg->use != JOSE_USE_ENC || alg->id == JOSE_ALG_RSA1_5
        || !key_fits(key, alg, enc, 0)) {
        return JWT_ERR_ALG;
    }
    if (kid == NULL) {
        kid = key->kid;
    }
    if (kid != NULL && strlen(kid) > JWE_MAX_KID_LEN) {
        return JWT_ERR_HEADER;
    }
    hdr = jose_json_pool_own(p, json_object());
    if (hdr == NULL
        || json_object_set_new(hdr, "alg", json_string(alg->name)) != 0
        || json_object_set_new(hdr, "enc", json_string(enc->name)) != 0
        || (kid != NULL
            && json_object_set_new(hdr, "kid", json_string(kid)) != 0)
        || (cty != NULL
            && json_object_set_new(hdr, "cty", json_string(cty)) != 0)) {
        return JWT_ERR_INTERNAL;
    }
    rv = wrap_cek(cek, &ek, &eklen, p, hdr, key, alg, enc);
    if (rv != JWT_OK) {
        return rv;
    }
    /* never zip (C7); a fresh IV per token (H) */
    h = jose_json_dump(p, hdr, &hlen);
    h = h != NULL ? jose_b64url_encode(p, (const unsigned char *)h, hlen)
                  : NULL;
    ct = apr_palloc(p, len + JOSE_CBC_IV_LEN);
    if (h == NULL || RAND_bytes(iv, (int)enc->iv_len) != 1) {
        rv = JWT_ERR_INTERNAL;
    }
    else {
        rv = jose_content_encrypt(ct, &ctlen, tag, enc, cek, enc->cek_len,
                                  iv, enc->iv_len,
                                  (const unsigned char *)h, strlen(h),
                                  plaintext, len);
    }
    OPENSSL_cleanse(cek, sizeof(cek));
    if (rv != JWT_OK) {
        return JWT_ERR_INTERNAL;
    }
    *out = apr_pstrcat(p, h, ".", jose_b64url_encode(p, ek, eklen), ".",
                       jose_b64url_encode(p, iv, enc->iv_len), ".",
                       jose_b64url_encode(p, ct, ctlen), ".",
                       jose_b64url_encode(p, tag, enc->tag_len), NULL);
    return *out != NULL ? JWT_OK : JWT_ERR_INTERNAL;
}
