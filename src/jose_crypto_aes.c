/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jose_crypto_aes.c: the symmetric JWE primitives on OpenSSL 3 EVP: AES Key
 * Wrap (RFC 3394, RFC 7518 4.4), AES-GCM (RFC 7518 5.3 and 4.7),
 * AES_CBC_HMAC_SHA2 (RFC 7518 5.2), and the content encryption of a JWE
 * chosen by its "enc" (RFC 7516 5.1, 5.2).  The key transport and key
 * agreement primitives are in jose_crypto_kex.c.
 *
 * Lengths are checked against the algorithm before any EVP call: OpenSSL
 * takes a GCM tag of any length from 1 to 16 bytes and compares only that
 * prefix (doc/attacks.md C8), and happily CBC-decrypts before anyone looked at
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
#include <openssl/params.h>
#include "jose_crypto.h"
#include "jose_util.h"

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
