/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jose_crypto.c: the JWE primitives on OpenSSL 3 EVP: AES Key Wrap
 * (RFC 3394, RFC 7518 4.4), AES-GCM (RFC 7518 5.3 and 4.7),
 * AES_CBC_HMAC_SHA2 (RFC 7518 5.2), RSAES-OAEP and RSAES-PKCS1-v1_5
 * (RFC 7518 4.2, 4.3), ECDH-ES with the Concat KDF (RFC 7518 4.6,
 * RFC 8037 3.2) and PBKDF2 (RFC 7518 4.8).
 *
 * Lengths are checked against the algorithm before any EVP call: OpenSSL
 * takes a GCM tag of any length from 1 to 16 bytes and compares only that
 * prefix (SECURITY.md C8), and happily CBC-decrypts before anyone looked at
 * the MAC (C9).  Every context is freed through one cleanup label, every
 * intermediate secret is wiped, and the OpenSSL error queue is cleared on
 * failure so that nothing about a rejected token outlives the call.
 */

#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include "jose_b64.h"
#include "jose_crypto.h"
#include "jose_util.h"

static void put_be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
}

/* n < 2^32 without a shift by the width of size_t (undefined on ILP32) */
static int fits_u32(size_t n)
{
    return ((n >> 16) >> 16) == 0;
}

/* ---- the AES ciphers, fetched once ----
 * EVP_aes_*() would make every EVP_CipherInit_ex search the provider store
 * under a lock (implicit fetch, see jose_util.h); these are fetched once
 * under CRYPTO_THREAD_run_once and are read-only afterwards. */

enum { AES_WRAP, AES_GCM, AES_CBC, AES_MODES };

static const char *const aes_names[AES_MODES][3] = {
    { "AES-128-WRAP", "AES-192-WRAP", "AES-256-WRAP" },
    { "AES-128-GCM", "AES-192-GCM", "AES-256-GCM" },
    { "AES-128-CBC", "AES-192-CBC", "AES-256-CBC" },
};
static EVP_CIPHER *aes_fetched[AES_MODES][3];
static CRYPTO_ONCE aes_once = CRYPTO_ONCE_STATIC_INIT;

static void aes_fetch_all(void)
{
    int m, k;

    for (m = 0; m < AES_MODES; m++) {
        for (k = 0; k < 3; k++) {
            aes_fetched[m][k] = EVP_CIPHER_fetch(NULL, aes_names[m][k],
                                                 NULL);
        }
    }
    ERR_clear_error();
}

/* The AES cipher of MODE for a 16, 24 or 32-byte key; NULL otherwise. */
static const EVP_CIPHER *aes_cipher(int mode, size_t keylen)
{
    if ((keylen != 16 && keylen != 24 && keylen != 32)
        || !CRYPTO_THREAD_run_once(&aes_once, aes_fetch_all)) {
        return NULL;
    }
    return aes_fetched[mode][(keylen - 16) / 8];
}

/* ---- AES Key Wrap ---- */

static jwt_status_t aes_kw(int wrap, unsigned char *out, size_t *outlen,
                           const unsigned char *kek, size_t keklen,
                           const unsigned char *in, size_t inlen)
{
    const EVP_CIPHER *cipher = aes_cipher(AES_WRAP, keklen);
    size_t want = wrap ? inlen + JOSE_KW_OVERHEAD : inlen - JOSE_KW_OVERHEAD;
    EVP_CIPHER_CTX *ctx = NULL;
    jwt_status_t rv = JWT_ERR_DECRYPT;
    int n = 0;

    *outlen = 0;
    /* RFC 3394 2.2: at least two 64-bit blocks of key data */
    if (cipher == NULL || kek == NULL || in == NULL || inlen % 8 != 0
        || inlen < (wrap ? 16u : 24u) || inlen > INT_MAX / 2) {
        return JWT_ERR_DECRYPT;
    }
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        rv = JWT_ERR_INTERNAL;
        goto cleanup;
    }
    EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
    if (EVP_CipherInit_ex(ctx, cipher, NULL, kek, NULL, wrap) != 1) {
        rv = JWT_ERR_INTERNAL;
        goto cleanup;
    }
    /* the whole wrap happens in one update; a failed integrity check
     * (A != A6A6A6A6A6A6A6A6) is a failed update */
    if (EVP_CipherUpdate(ctx, out, &n, in, (int)inlen) != 1
        || n < 0 || (size_t)n != want) {
        OPENSSL_cleanse(out, want);
        goto cleanup;
    }
    *outlen = want;
    rv = JWT_OK;
cleanup:
    EVP_CIPHER_CTX_free(ctx);
    if (rv != JWT_OK) {
        ERR_clear_error();
    }
    return rv;
}

jwt_status_t jose_aes_kw_wrap(unsigned char *out, size_t *outlen,
                              const unsigned char *kek, size_t keklen,
                              const unsigned char *in, size_t inlen)
{
    return aes_kw(1, out, outlen, kek, keklen, in, inlen);
}

jwt_status_t jose_aes_kw_unwrap(unsigned char *out, size_t *outlen,
                                const unsigned char *kek, size_t keklen,
                                const unsigned char *in, size_t inlen)
{
    return aes_kw(0, out, outlen, kek, keklen, in, inlen);
}

/* ---- AES-GCM ---- */

static jwt_status_t aes_gcm(int enc, unsigned char *out, unsigned char *tag,
                            const unsigned char *key, size_t keylen,
                            const unsigned char *iv, size_t ivlen,
                            const unsigned char *aad, size_t aadlen,
                            const unsigned char *in, size_t inlen,
                            size_t taglen)
{
    const EVP_CIPHER *cipher = aes_cipher(AES_GCM, keylen);
    EVP_CIPHER_CTX *ctx = NULL;
    jwt_status_t rv = JWT_ERR_DECRYPT;
    int n = 0, m = 0;

    /* C8: exactly a 96-bit IV and a 128-bit tag, before OpenSSL sees them */
    if (cipher == NULL || key == NULL || iv == NULL || tag == NULL
        || ivlen != JOSE_GCM_IV_LEN || taglen != JOSE_GCM_TAG_LEN
        || aadlen > INT_MAX || inlen > INT_MAX
        || (aadlen != 0 && aad == NULL) || (inlen != 0 && in == NULL)) {
        return JWT_ERR_DECRYPT;
    }
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL || EVP_CipherInit_ex(ctx, cipher, NULL, key, iv,
                                         enc) != 1) {
        rv = JWT_ERR_INTERNAL;
        goto cleanup;
    }
    if (aadlen != 0
        && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1) {
        goto cleanup;
    }
    n = 0;
    if (inlen != 0
        && EVP_CipherUpdate(ctx, out, &n, in, (int)inlen) != 1) {
        goto cleanup;
    }
    if (enc) {
        if (EVP_CipherFinal_ex(ctx, out + n, &m) != 1
            || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
                                   JOSE_GCM_TAG_LEN, tag) != 1) {
            rv = JWT_ERR_INTERNAL;
            goto cleanup;
        }
    }
    else if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
                                 JOSE_GCM_TAG_LEN, (void *)tag) != 1
             || EVP_CipherFinal_ex(ctx, out + n, &m) != 1) {
        goto cleanup;
    }
    rv = JWT_OK;
cleanup:
    EVP_CIPHER_CTX_free(ctx);
    if (rv != JWT_OK) {
        /* unauthenticated plaintext never leaves this function */
        if (inlen != 0 && out != NULL) {
            OPENSSL_cleanse(out, inlen);
        }
        ERR_clear_error();
    }
    return rv;
}

jwt_status_t jose_aes_gcm_encrypt(unsigned char *out, unsigned char *tag,
                                  const unsigned char *key, size_t keylen,
                                  const unsigned char *iv, size_t ivlen,
                                  const unsigned char *aad, size_t aadlen,
                                  const unsigned char *in, size_t inlen)
{
    return aes_gcm(1, out, tag, key, keylen, iv, ivlen, aad, aadlen, in,
                   inlen, JOSE_GCM_TAG_LEN);
}

jwt_status_t jose_aes_gcm_decrypt(unsigned char *out,
                                  const unsigned char *key, size_t keylen,
                                  const unsigned char *iv, size_t ivlen,
                                  const unsigned char *aad, size_t aadlen,
                                  const unsigned char *in, size_t inlen,
                                  const unsigned char *tag, size_t taglen)
{
    return aes_gcm(0, out, (unsigned char *)tag, key, keylen, iv, ivlen,
                   aad, aadlen, in, inlen, taglen);
}

/* ---- AES_CBC_HMAC_SHA2 ---- */

/* RFC 7518 5.2.2.1 step 4: HMAC over AAD || IV || C || AL, where AL is the
 * bit length of AAD as a 64-bit big-endian number.  It is computed in
 * uint64_t: a 32-bit length lets a long AAD wrap around (CVE-2016-9123,
 * GHSA-2qp9-wg27-9pcv). */
static jwt_status_t cbc_hmac_mac(unsigned char *mac, size_t *maclen,
                                 const jose_enc_info_t *enc,
                                 const unsigned char *mackey, size_t mklen,
                                 const unsigned char *iv,
                                 const unsigned char *aad, size_t aadlen,
                                 const unsigned char *ct, size_t ctlen)
{
    EVP_MAC *hmac = jose_hmac();
    EVP_MAC_CTX *ctx = NULL;
    OSSL_PARAM params[2];
    unsigned char al[8];
    uint64_t bits;
    jwt_status_t rv = JWT_ERR_INTERNAL;
    int i;

    *maclen = 0;
    if ((uint64_t)aadlen > UINT64_MAX / 8) {
        return JWT_ERR_DECRYPT;
    }
    bits = (uint64_t)aadlen * 8;
    for (i = 0; i < 8; i++) {
        al[7 - i] = (unsigned char)(bits >> (8 * i));
    }
    if (hmac == NULL || (ctx = EVP_MAC_CTX_new(hmac)) == NULL) {
        goto cleanup;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)enc->digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(ctx, mackey, mklen, params) != 1
        || (aadlen != 0 && EVP_MAC_update(ctx, aad, aadlen) != 1)
        || EVP_MAC_update(ctx, iv, JOSE_CBC_IV_LEN) != 1
        || (ctlen != 0 && EVP_MAC_update(ctx, ct, ctlen) != 1)
        || EVP_MAC_update(ctx, al, sizeof(al)) != 1
        || EVP_MAC_final(ctx, mac, maclen, EVP_MAX_MD_SIZE) != 1
        || *maclen < enc->tag_len) {
        goto cleanup;
    }
    rv = JWT_OK;
cleanup:
    EVP_MAC_CTX_free(ctx);
    if (rv != JWT_OK) {
        ERR_clear_error();
    }
    return rv;
}

static int cbc_hmac_params_ok(const jose_enc_info_t *enc,
                              const unsigned char *key, size_t keylen,
                              const unsigned char *iv, size_t ivlen)
{
    return enc != NULL && enc->digest != NULL && key != NULL && iv != NULL
           && keylen == enc->cek_len && ivlen == JOSE_CBC_IV_LEN
           && aes_cipher(AES_CBC, keylen / 2) != NULL
           && enc->tag_len == keylen / 2;
}

jwt_status_t jose_aes_cbc_hmac_encrypt(unsigned char *out, size_t *outlen,
                                       unsigned char *tag,
                                       const jose_enc_info_t *enc,
                                       const unsigned char *key,
                                       size_t keylen,
                                       const unsigned char *iv, size_t ivlen,
                                       const unsigned char *aad,
                                       size_t aadlen,
                                       const unsigned char *in, size_t inlen)
{
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t half = keylen / 2, maclen = 0;
    jwt_status_t rv = JWT_ERR_INTERNAL;
    int n = 0, m = 0;

    *outlen = 0;
    if (!cbc_hmac_params_ok(enc, key, keylen, iv, ivlen)
        || inlen > INT_MAX - JOSE_CBC_IV_LEN || (inlen != 0 && in == NULL)) {
        return JWT_ERR_DECRYPT;
    }
    /* RFC 7518 5.2.2.1: MAC_KEY is the first half, ENC_KEY the second */
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL
        || EVP_EncryptInit_ex(ctx, aes_cipher(AES_CBC, half), NULL, key + half,
                              iv) != 1
        || (inlen != 0
            && EVP_EncryptUpdate(ctx, out, &n, in, (int)inlen) != 1)
        || EVP_EncryptFinal_ex(ctx, out + n, &m) != 1) {
        goto cleanup;
    }
    *outlen = (size_t)n + (size_t)m;
    rv = cbc_hmac_mac(mac, &maclen, enc, key, half, iv, aad, aadlen, out,
                      *outlen);
    if (rv != JWT_OK) {
        goto cleanup;
    }
    memcpy(tag, mac, enc->tag_len);
cleanup:
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(mac, sizeof(mac));
    if (rv != JWT_OK) {
        *outlen = 0;
        ERR_clear_error();
    }
    return rv;
}

jwt_status_t jose_aes_cbc_hmac_decrypt(unsigned char *out, size_t *outlen,
                                       const jose_enc_info_t *enc,
                                       const unsigned char *key,
                                       size_t keylen,
                                       const unsigned char *iv, size_t ivlen,
                                       const unsigned char *aad,
                                       size_t aadlen,
                                       const unsigned char *in, size_t inlen,
                                       const unsigned char *tag,
                                       size_t taglen)
{
    EVP_CIPHER_CTX *ctx = NULL;
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t half = keylen / 2, maclen = 0;
    jwt_status_t rv = JWT_ERR_DECRYPT;
    int n = 0, m = 0;

    *outlen = 0;
    /* C9: the full tag length, and whole blocks of ciphertext */
    if (!cbc_hmac_params_ok(enc, key, keylen, iv, ivlen) || tag == NULL
        || taglen != enc->tag_len || in == NULL || inlen == 0
        || inlen % JOSE_CBC_IV_LEN != 0 || inlen > INT_MAX) {
        return JWT_ERR_DECRYPT;
    }
    rv = cbc_hmac_mac(mac, &maclen, enc, key, half, iv, aad, aadlen, in,
                      inlen);
    if (rv != JWT_OK) {
        goto cleanup;
    }
    /* RFC 7518 5.2.2.2: authenticate first; padding is never looked at for
     * a ciphertext the sender did not MAC, so there is no padding oracle */
    if (CRYPTO_memcmp(mac, tag, taglen) != 0) {
        rv = JWT_ERR_DECRYPT;
        goto cleanup;
    }
    rv = JWT_ERR_DECRYPT;
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL
        || EVP_DecryptInit_ex(ctx, aes_cipher(AES_CBC, half), NULL, key + half,
                              iv) != 1) {
        rv = JWT_ERR_INTERNAL;
        goto cleanup;
    }
    if (EVP_DecryptUpdate(ctx, out, &n, in, (int)inlen) != 1
        || EVP_DecryptFinal_ex(ctx, out + n, &m) != 1) {
        OPENSSL_cleanse(out, inlen);
        goto cleanup;
    }
    *outlen = (size_t)n + (size_t)m;
    rv = JWT_OK;
cleanup:
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(mac, sizeof(mac));
    if (rv != JWT_OK) {
        ERR_clear_error();
    }
    return rv;
}

/* ---- content encryption by enc ---- */

jwt_status_t jose_content_encrypt(unsigned char *out, size_t *outlen,
                                  unsigned char *tag,
                                  const jose_enc_info_t *enc,
                                  const unsigned char *cek, size_t ceklen,
                                  const unsigned char *iv, size_t ivlen,
                                  const unsigned char *aad, size_t aadlen,
                                  const unsigned char *in, size_t inlen)
{
    jwt_status_t rv;

    *outlen = 0;
    if (enc == NULL || ceklen != enc->cek_len) {
        return JWT_ERR_DECRYPT;
    }
    if (enc->digest != NULL) {
        return jose_aes_cbc_hmac_encrypt(out, outlen, tag, enc, cek, ceklen,
                                         iv, ivlen, aad, aadlen, in, inlen);
    }
    rv = jose_aes_gcm_encrypt(out, tag, cek, ceklen, iv, ivlen, aad, aadlen,
                              in, inlen);
    if (rv == JWT_OK) {
        *outlen = inlen;
    }
    return rv;
}

jwt_status_t jose_content_decrypt(unsigned char *out, size_t *outlen,
                                  const jose_enc_info_t *enc,
                                  const unsigned char *cek, size_t ceklen,
                                  const unsigned char *iv, size_t ivlen,
                                  const unsigned char *aad, size_t aadlen,
                                  const unsigned char *in, size_t inlen,
                                  const unsigned char *tag, size_t taglen)
{
    jwt_status_t rv;

    *outlen = 0;
    if (enc == NULL || ceklen != enc->cek_len || taglen != enc->tag_len
        || ivlen != enc->iv_len) {
        return JWT_ERR_DECRYPT;
    }
    if (enc->digest != NULL) {
        return jose_aes_cbc_hmac_decrypt(out, outlen, enc, cek, ceklen, iv,
                                         ivlen, aad, aadlen, in, inlen, tag,
                                         taglen);
    }
    rv = jose_aes_gcm_decrypt(out, cek, ceklen, iv, ivlen, aad, aadlen, in,
                              inlen, tag, taglen);
    if (rv == JWT_OK) {
        *outlen = inlen;
    }
    return rv;
}

/* ---- RSA ---- */

/* C5: padding, OAEP digest and MGF1 digest follow from ALG alone */
static jwt_status_t rsa_setup(EVP_PKEY_CTX *ctx, const jose_alg_info_t *alg)
{
    const EVP_MD *md;

    if (alg->id == JOSE_ALG_RSA1_5) {
        return EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1
               ? JWT_OK : JWT_ERR_INTERNAL;
    }
    if (alg->id != JOSE_ALG_RSA_OAEP && alg->id != JOSE_ALG_RSA_OAEP_256) {
        return JWT_ERR_DECRYPT;
    }
    md = jose_md(alg->digest);
    if (md == NULL
        || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) != 1
        || EVP_PKEY_CTX_set_rsa_oaep_md(ctx, md) != 1
        || EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) != 1) {
        return JWT_ERR_INTERNAL;
    }
    return JWT_OK;
}

static jwt_status_t rsa_crypt(int enc, unsigned char **out, size_t *outlen,
                              apr_pool_t *p, EVP_PKEY *pkey,
                              const jose_alg_info_t *alg,
                              const unsigned char *in, size_t inlen)
{
    EVP_PKEY_CTX *ctx = NULL;
    unsigned char *buf;
    jwt_status_t rv = JWT_ERR_DECRYPT;
    size_t n;
    int size;

    *out = NULL;
    *outlen = 0;
    if (pkey == NULL || alg == NULL || in == NULL
        || !EVP_PKEY_is_a(pkey, "RSA")
        || (size = EVP_PKEY_get_size(pkey)) <= 0) {
        return JWT_ERR_DECRYPT;
    }
    /* RFC 8017 7.1.2 / 7.2.2 step 1: the ciphertext is exactly k bytes */
    if (!enc && inlen != (size_t)size) {
        return JWT_ERR_DECRYPT;
    }
    buf = apr_palloc(p, (size_t)size);
    if (!enc) {
        jose_wipe_on_cleanup(p, buf, (size_t)size);
    }
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx == NULL
        || (enc ? EVP_PKEY_encrypt_init(ctx)
                : EVP_PKEY_decrypt_init(ctx)) != 1) {
        rv = JWT_ERR_INTERNAL;
        goto cleanup;
    }
    rv = rsa_setup(ctx, alg);
    if (rv != JWT_OK) {
        goto cleanup;
    }
    n = (size_t)size;
    if ((enc ? EVP_PKEY_encrypt(ctx, buf, &n, in, inlen)
             : EVP_PKEY_decrypt(ctx, buf, &n, in, inlen)) != 1
        || n > (size_t)size) {
        rv = enc ? JWT_ERR_INTERNAL : JWT_ERR_DECRYPT;
        goto cleanup;
    }
    *out = buf;
    *outlen = n;
cleanup:
    EVP_PKEY_CTX_free(ctx);
    if (rv != JWT_OK) {
        OPENSSL_cleanse(buf, (size_t)size);
        ERR_clear_error();
    }
    return rv;
}

jwt_status_t jose_rsa_encrypt(unsigned char **out, size_t *outlen,
                              apr_pool_t *p, EVP_PKEY *pkey,
                              const jose_alg_info_t *alg,
                              const unsigned char *in, size_t inlen)
{
    return rsa_crypt(1, out, outlen, p, pkey, alg, in, inlen);
}

jwt_status_t jose_rsa_decrypt(unsigned char **out, size_t *outlen,
                              apr_pool_t *p, EVP_PKEY *pkey,
                              const jose_alg_info_t *alg,
                              const unsigned char *in, size_t inlen)
{
    return rsa_crypt(0, out, outlen, p, pkey, alg, in, inlen);
}

/* All ones when X is zero, 0 otherwise, without a branch. */
static unsigned char ct_is_zero(unsigned char x)
{
    return (unsigned char)(((unsigned int)x - 1) >> 8);
}

jwt_status_t jose_rsa1_5_unwrap(unsigned char *key, size_t keylen,
                                const unsigned char *rnd, apr_pool_t *p,
                                EVP_PKEY *pkey, const unsigned char *in,
                                size_t inlen)
{
    EVP_PKEY_CTX *ctx = NULL;
    unsigned char *em, good, z;
    size_t k, n, i, sep;
    int size;

    if (key == NULL || rnd == NULL || pkey == NULL || in == NULL
        || !EVP_PKEY_is_a(pkey, "RSA")
        || (size = EVP_PKEY_get_size(pkey)) <= 0) {
        return JWT_ERR_DECRYPT;
    }
    k = (size_t)size;
    /* RFC 8017 7.2.2 step 1: lengths are public */
    if (inlen != k || keylen == 0 || keylen > k - 11) {
        return JWT_ERR_DECRYPT;
    }
    em = apr_pcalloc(p, k);
    jose_wipe_on_cleanup(p, em, k);
    n = k;
    /* RSADP only (blinded, constant time); the padding is checked below,
     * so no OpenSSL error path depends on it.  A failure here depends on
     * public data only (c >= n); it leaves EM zero, which is refused. */
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx == NULL || EVP_PKEY_decrypt_init(ctx) != 1
        || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) != 1
        || EVP_PKEY_decrypt(ctx, em, &n, in, inlen) != 1 || n != k) {
        OPENSSL_cleanse(em, k);
    }
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    /* RFC 8017 7.2.2 step 3: EM = 0x00 || 0x02 || PS || 0x00 || K with PS
     * nonzero; with |K| fixed, every position is known in advance and
     * every byte is looked at, whatever its value */
    sep = k - keylen - 1;
    good = ct_is_zero(em[0]) & ct_is_zero((unsigned char)(em[1] ^ 0x02));
    for (i = 2; i < sep; i++) {
        good &= (unsigned char)~ct_is_zero(em[i]);
    }
    good &= ct_is_zero(em[sep]);
    for (i = 0; i < keylen; i++) {
        z = em[sep + 1 + i];
        key[i] = (unsigned char)((z & good) | (rnd[i] & ~good));
    }
    OPENSSL_cleanse(em, k);
    return JWT_OK;
}

/* ---- ECDH-ES ---- */

typedef struct {
    int nid;
    const char *crv;        /* JWK name (RFC 7518 6.2.1.1, RFC 8037 2) */
    const char *group;      /* OpenSSL EC group; NULL for OKP           */
    const char *okp;        /* OpenSSL key type for OKP; NULL for EC    */
    size_t flen;            /* coordinate / key length                  */
} curve_t;

static const curve_t curves[] = {
    { NID_X9_62_prime256v1, "P-256", "prime256v1", NULL, 32 },
    { NID_secp384r1, "P-384", "secp384r1", NULL, 48 },
    { NID_secp521r1, "P-521", "secp521r1", NULL, 66 },
    { NID_X25519, "X25519", NULL, "X25519", 32 },
    { NID_X448, "X448", NULL, "X448", 56 },
};

static const curve_t *curve_get(int nid)
{
    size_t i;

    for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
        if (curves[i].nid == nid) {
            return &curves[i];
        }
    }
    return NULL;
}

const char *jose_curve_jwk_name(int curve_nid)
{
    const curve_t *c = curve_get(curve_nid);

    return c != NULL ? c->crv : NULL;
}

static int str_is(const char *s, size_t len, const char *lit)
{
    return s != NULL && len == strlen(lit) && memcmp(s, lit, len) == 0;
}

/* A base64url member of exactly LEN decoded bytes. */
static const unsigned char *coord(apr_pool_t *p, const json_t *jwk,
                                  const char *name, size_t len)
{
    const char *s;
    size_t slen, n;
    unsigned char *b;

    s = jose_json_str(jwk, name, &slen);
    if (s == NULL || slen != (len * 4 + 2) / 3
        || jose_b64url_decode(&b, &n, p, s, slen) != JWT_OK || n != len) {
        return NULL;
    }
    return b;
}

jwt_status_t jose_epk_import(EVP_PKEY **out, apr_pool_t *p,
                             const json_t *jwk, int curve_nid)
{
    const curve_t *c = curve_get(curve_nid);
    const unsigned char *x, *y = NULL;
    unsigned char pub[1 + 2 * JOSE_MAX_ECDH_Z_LEN];
    EVP_PKEY_CTX *ctx = NULL, *chk = NULL;
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM params[3];
    const char *s;
    size_t len;
    jwt_status_t rv = JWT_ERR_DECRYPT;

    *out = NULL;
    if (c == NULL || !json_is_object(jwk)) {
        return JWT_ERR_DECRYPT;
    }
    /* C3: the peer key lives on the recipient's curve, nothing else */
    s = jose_json_str(jwk, "kty", &len);
    if (!str_is(s, len, c->group != NULL ? "EC" : "OKP")) {
        return JWT_ERR_DECRYPT;
    }
    s = jose_json_str(jwk, "crv", &len);
    if (!str_is(s, len, c->crv)) {
        return JWT_ERR_DECRYPT;
    }
    x = coord(p, jwk, "x", c->flen);
    if (x == NULL) {
        return JWT_ERR_DECRYPT;
    }
    if (c->okp != NULL) {
        pkey = EVP_PKEY_new_raw_public_key_ex(NULL, c->okp, NULL, x,
                                              c->flen);
        if (pkey == NULL) {
            goto cleanup;
        }
    }
    else {
        y = coord(p, jwk, "y", c->flen);
        if (y == NULL) {
            goto cleanup;
        }
        /* SEC 1 2.3.3 uncompressed point, decoded on the group only */
        pub[0] = 0x04;
        memcpy(pub + 1, x, c->flen);
        memcpy(pub + 1 + c->flen, y, c->flen);
        params[0] = OSSL_PARAM_construct_utf8_string(
            OSSL_PKEY_PARAM_GROUP_NAME, (char *)c->group, 0);
        params[1] = OSSL_PARAM_construct_octet_string(
            OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * c->flen);
        params[2] = OSSL_PARAM_construct_end();
        ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1
            || EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY,
                                 params) != 1) {
            goto cleanup;
        }
    }
    /* on the curve, not the point at infinity, coordinates below p */
    chk = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (chk == NULL || EVP_PKEY_public_check(chk) != 1) {
        goto cleanup;
    }
    *out = pkey;
    pkey = NULL;
    rv = JWT_OK;
cleanup:
    EVP_PKEY_CTX_free(chk);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    if (rv != JWT_OK) {
        ERR_clear_error();
    }
    return rv;
}

json_t *jose_epk_export(apr_pool_t *p, EVP_PKEY *pkey, int curve_nid)
{
    const curve_t *c = curve_get(curve_nid);
    unsigned char pub[1 + 2 * JOSE_MAX_ECDH_Z_LEN];
    size_t len = 0;
    json_t *j;

    if (c == NULL || pkey == NULL) {
        return NULL;
    }
    if (c->okp != NULL) {
        len = sizeof(pub);
        if (EVP_PKEY_get_raw_public_key(pkey, pub, &len) != 1
            || len != c->flen) {
            ERR_clear_error();
            return NULL;
        }
        return json_pack("{s:s, s:s, s:s}", "kty", "OKP", "crv", c->crv,
                         "x", jose_b64url_encode(p, pub, len));
    }
    if (EVP_PKEY_get_octet_string_param(pkey,
                                        OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                        pub, sizeof(pub), &len) != 1
        || len != 1 + 2 * c->flen || pub[0] != 0x04) {
        ERR_clear_error();
        return NULL;
    }
    j = json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", c->crv,
                  "x", jose_b64url_encode(p, pub + 1, c->flen),
                  "y", jose_b64url_encode(p, pub + 1 + c->flen, c->flen));
    return j;
}

jwt_status_t jose_ecdh_keygen(EVP_PKEY **out, int curve_nid)
{
    const curve_t *c = curve_get(curve_nid);

    *out = NULL;
    if (c == NULL) {
        return JWT_ERR_INTERNAL;
    }
    *out = c->okp != NULL ? EVP_PKEY_Q_keygen(NULL, NULL, c->okp)
                          : EVP_PKEY_Q_keygen(NULL, NULL, "EC", c->group);
    if (*out == NULL) {
        ERR_clear_error();
        return JWT_ERR_INTERNAL;
    }
    return JWT_OK;
}

jwt_status_t jose_ecdh_derive(unsigned char *z, size_t *zlen,
                              EVP_PKEY *priv, EVP_PKEY *peer)
{
    EVP_PKEY_CTX *ctx = NULL;
    jwt_status_t rv = JWT_ERR_DECRYPT;
    unsigned char acc = 0;
    size_t n = 0, i;

    *zlen = 0;
    if (priv == NULL || peer == NULL) {
        return JWT_ERR_DECRYPT;
    }
    /* set_peer checks that both keys share the group and validates the
     * peer once more */
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
    if (ctx == NULL || EVP_PKEY_derive_init(ctx) != 1
        || EVP_PKEY_derive_set_peer(ctx, peer) != 1
        || EVP_PKEY_derive(ctx, NULL, &n) != 1
        || n == 0 || n > JOSE_MAX_ECDH_Z_LEN
        || EVP_PKEY_derive(ctx, z, &n) != 1) {
        goto cleanup;
    }
    /* RFC 7748 6.1: a low-order peer point gives Z = 0; refuse it.  An
     * all-zero x-coordinate is a valid (if rare) result on the NIST curves
     * and is not refused there. */
    if (EVP_PKEY_is_a(priv, "X25519") || EVP_PKEY_is_a(priv, "X448")) {
        for (i = 0; i < n; i++) {
            acc |= z[i];
        }
        if (acc == 0) {
            OPENSSL_cleanse(z, n);
            goto cleanup;
        }
    }
    *zlen = n;
    rv = JWT_OK;
cleanup:
    EVP_PKEY_CTX_free(ctx);
    if (rv != JWT_OK) {
        ERR_clear_error();
    }
    return rv;
}

static int md_update_lv(EVP_MD_CTX *ctx, const void *data, size_t len)
{
    unsigned char be[4];

    put_be32(be, (uint32_t)len);
    return EVP_DigestUpdate(ctx, be, 4) == 1
           && (len == 0 || EVP_DigestUpdate(ctx, data, len) == 1);
}

jwt_status_t jose_concat_kdf(unsigned char *out, size_t outlen,
                             const unsigned char *z, size_t zlen,
                             const char *algid,
                             const unsigned char *apu, size_t apulen,
                             const unsigned char *apv, size_t apvlen)
{
    const EVP_MD *md = jose_md("SHA256");
    EVP_MD_CTX *ctx = NULL;
    unsigned char buf[EVP_MAX_MD_SIZE], be[4];
    size_t algidlen, done = 0, take;
    unsigned int n = 0;
    uint32_t counter;
    jwt_status_t rv = JWT_ERR_INTERNAL;

    if (out == NULL || z == NULL || zlen == 0 || algid == NULL
        || outlen == 0 || outlen > JOSE_MAX_CEK_LEN
        || !fits_u32(apulen) || !fits_u32(apvlen)
        || (apulen != 0 && apu == NULL) || (apvlen != 0 && apv == NULL)) {
        return JWT_ERR_DECRYPT;
    }
    algidlen = strlen(algid);
    if (md == NULL || (ctx = EVP_MD_CTX_new()) == NULL) {
        goto cleanup;
    }
    /* NIST SP 800-56A 5.8.1: K(i) = H(counter || Z || OtherInfo); RFC 7518
     * 4.6.2: OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo ||
     * SuppPubInfo, each datalen-prefixed but SuppPubInfo (keydatalen) */
    for (counter = 1; done < outlen; counter++) {
        put_be32(be, counter);
        if (EVP_DigestInit_ex(ctx, md, NULL) != 1
            || EVP_DigestUpdate(ctx, be, 4) != 1
            || EVP_DigestUpdate(ctx, z, zlen) != 1
            || !md_update_lv(ctx, algid, algidlen)
            || !md_update_lv(ctx, apu, apulen)
            || !md_update_lv(ctx, apv, apvlen)) {
            goto cleanup;
        }
        put_be32(be, (uint32_t)(outlen * 8));
        if (EVP_DigestUpdate(ctx, be, 4) != 1
            || EVP_DigestFinal_ex(ctx, buf, &n) != 1 || n == 0) {
            goto cleanup;
        }
        take = outlen - done < n ? outlen - done : n;
        memcpy(out + done, buf, take);
        done += take;
    }
    rv = JWT_OK;
cleanup:
    EVP_MD_CTX_free(ctx);
    OPENSSL_cleanse(buf, sizeof(buf));
    if (rv != JWT_OK) {
        OPENSSL_cleanse(out, outlen);
        ERR_clear_error();
    }
    return rv;
}

/* ---- PBES2 ---- */

jwt_status_t jose_pbkdf2(unsigned char *out, size_t outlen,
                         const char *digest,
                         const unsigned char *pwd, size_t pwdlen,
                         const unsigned char *salt, size_t saltlen,
                         unsigned long iter)
{
    const EVP_MD *md = jose_md(digest);

    if (md == NULL) {
        return JWT_ERR_INTERNAL;
    }
    if (out == NULL || outlen == 0 || outlen > INT_MAX || pwdlen > INT_MAX
        || saltlen > INT_MAX || iter == 0 || iter > INT_MAX
        || (pwdlen != 0 && pwd == NULL) || (saltlen != 0 && salt == NULL)) {
        return JWT_ERR_DECRYPT;
    }
    if (PKCS5_PBKDF2_HMAC(pwdlen != 0 ? (const char *)pwd : "", (int)pwdlen,
                          saltlen != 0 ? salt : (const unsigned char *)"",
                          (int)saltlen, (int)iter, md, (int)outlen,
                          out) != 1) {
        OPENSSL_cleanse(out, outlen);
        ERR_clear_error();
        return JWT_ERR_INTERNAL;
    }
    return JWT_OK;
}
