/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jose_sig.c: per-key verification state prepared at load, and ECDSA DER
 * from R || S by hand (see jose_sig.h).
 *
 * Why: EVP_DigestVerifyInit looks up the signature implementation and
 * exports the key to its provider on every call, and EVP_MAC_init with a
 * digest name fetches the digest; ECDSA_SIG/BIGNUM allocate five objects
 * to write 72 bytes.  Done once per key, each request pays one context
 * copy instead (bench/README.md has the measurements).  For HMAC even a
 * copy of a keyed EVP_MAC_CTX duplicates three digest contexts and the
 * key; the two keyed digest states of RFC 2104 are copied instead, and
 * check_sig holds the result to EVP_MAC's.
 */

#include <string.h>
#include <openssl/err.h>
#include "jose_sig.h"
#include "jose_util.h"

/* Room for every JWS algorithm id (they come first in jose_alg_t). */
#define PREP_SLOTS (JOSE_ALG_EDDSA + 1)

/* HMAC block sizes go up to SHA-512's. */
#define HMAC_BLOCK_MAX 128

struct jose_sig_prep {
    EVP_MD_CTX *hin[PREP_SLOTS];    /* oct: H after (K' ^ ipad)        */
    EVP_MD_CTX *hout[PREP_SLOTS];   /* oct: H after (K' ^ opad)        */
    EVP_MD_CTX *md[PREP_SLOTS];     /* RSA, EC, OKP: verify initialised */
};

static apr_status_t prep_cleanup(void *data)
{
    struct jose_sig_prep *prep = data;
    int i;

    for (i = 0; i < PREP_SLOTS; i++) {
        /* the keyed digest states are derived from the secret; OpenSSL's
         * digests wipe their state when it is freed */
        EVP_MD_CTX_free(prep->hin[i]);
        EVP_MD_CTX_free(prep->hout[i]);
        EVP_MD_CTX_free(prep->md[i]);
        prep->hin[i] = prep->hout[i] = prep->md[i] = NULL;
    }
    return APR_SUCCESS;
}

/* One digest state after absorbing the block K ^ PAD. */
static EVP_MD_CTX *keyed_state(const EVP_MD *md, const unsigned char *k,
                               size_t bs, unsigned char pad)
{
    unsigned char block[HMAC_BLOCK_MAX];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    size_t i;

    for (i = 0; i < bs; i++) {
        block[i] = (unsigned char)(k[i] ^ pad);
    }
    if (ctx == NULL || !EVP_DigestInit_ex(ctx, md, NULL)
        || !EVP_DigestUpdate(ctx, block, bs)) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    OPENSSL_cleanse(block, sizeof(block));
    return ctx;
}

/* RFC 2104 section 2: HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m)),
 * K' the key zero-padded to the block size, or its hash when longer.  The
 * two keyed states are computed here once; a MAC then costs two copies
 * and the hashing of the message (jose_sig_hmac). */
static int prepare_hmac(struct jose_sig_prep *prep, int id,
                        const jwk_t *key, const jose_alg_info_t *alg)
{
    const EVP_MD *md = jose_md(alg->digest);
    unsigned char k[HMAC_BLOCK_MAX];
    unsigned int n = 0;
    int bs;

    if (md == NULL || key->secret == NULL
        || key->secret_len < alg->key_len) {
        return 0;
    }
    bs = EVP_MD_get_block_size(md);
    if (bs <= 0 || (size_t)bs > sizeof(k)
        || EVP_MD_get_size(md) > bs) {
        return 0;
    }
    memset(k, 0, sizeof(k));
    if (key->secret_len > (size_t)bs) {
        if (!EVP_Digest(key->secret, key->secret_len, k, &n, md, NULL)) {
            OPENSSL_cleanse(k, sizeof(k));
            return 0;
        }
    }
    else {
        memcpy(k, key->secret, key->secret_len);
    }
    prep->hin[id] = keyed_state(md, k, (size_t)bs, 0x36);
    prep->hout[id] = keyed_state(md, k, (size_t)bs, 0x5c);
    OPENSSL_cleanse(k, sizeof(k));
    if (prep->hin[id] == NULL || prep->hout[id] == NULL) {
        EVP_MD_CTX_free(prep->hin[id]);
        EVP_MD_CTX_free(prep->hout[id]);
        prep->hin[id] = prep->hout[id] = NULL;
        return 0;
    }
    return 1;
}

static EVP_MD_CTX *prepare_md(const jwk_t *key, const jose_alg_info_t *alg)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();

    if (ctx == NULL || key->pkey == NULL
        || !jose_sig_digest_init(ctx, key, alg, 0)) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

void jose_sig_prepare(jwk_t *key, apr_pool_t *p)
{
    struct jose_sig_prep *prep;
    int id, any = 0;

    if (key == NULL || key->use != JOSE_USE_SIG || key->prep != NULL) {
        return;
    }
    prep = apr_pcalloc(p, sizeof(*prep));
    for (id = 1; id < PREP_SLOTS; id++) {
        const jose_alg_info_t *alg = jose_alg_get((jose_alg_t)id);

        if (alg == NULL || alg->use != JOSE_USE_SIG
            || !JOSE_ALG_IN(key->algs, alg->id) || alg->kty != key->kty) {
            continue;
        }
        if (alg->kty == JOSE_KTY_OCT) {
            any |= prepare_hmac(prep, id, key, alg);
        }
        else {
            prep->md[id] = prepare_md(key, alg);
            any |= prep->md[id] != NULL;
        }
    }
    /* an algorithm that could not be prepared (a digest missing under
     * FIPS, a PSS key restricted to another hash) verifies the slow way,
     * and fails there as it always did */
    ERR_clear_error();
    if (any) {
        apr_pool_cleanup_register(p, prep, prep_cleanup,
                                  apr_pool_cleanup_null);
        key->prep = prep;
    }
}

int jose_sig_hmac(unsigned char *mac, size_t *maclen, const jwk_t *key,
                  const jose_alg_info_t *alg, const unsigned char *in,
                  size_t inlen)
{
    unsigned char inner[EVP_MAX_MD_SIZE];
    unsigned int n = 0, m = 0;
    EVP_MD_CTX *ctx;
    int ok = 0;

    *maclen = 0;
    if (key->prep == NULL || alg->id <= 0 || alg->id >= PREP_SLOTS
        || key->prep->hin[alg->id] == NULL) {
        return -1;
    }
    ctx = EVP_MD_CTX_new();
    if (ctx != NULL
        && EVP_MD_CTX_copy_ex(ctx, key->prep->hin[alg->id])
        && EVP_DigestUpdate(ctx, in, inlen)
        && EVP_DigestFinal_ex(ctx, inner, &n)
        && EVP_MD_CTX_copy_ex(ctx, key->prep->hout[alg->id])
        && EVP_DigestUpdate(ctx, inner, n)
        && EVP_DigestFinal_ex(ctx, mac, &m)) {
        *maclen = m;
        ok = 1;
    }
    OPENSSL_cleanse(inner, sizeof(inner));
    EVP_MD_CTX_free(ctx);
    return ok;
}

EVP_MD_CTX *jose_sig_md_copy(const jwk_t *key, const jose_alg_info_t *alg)
{
    EVP_MD_CTX *ctx;

    if (key->prep == NULL || alg->id <= 0 || alg->id >= PREP_SLOTS
        || key->prep->md[alg->id] == NULL) {
        return NULL;
    }
    ctx = EVP_MD_CTX_new();
    if (ctx != NULL && !EVP_MD_CTX_copy_ex(ctx, key->prep->md[alg->id])) {
        EVP_MD_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

/* One DER INTEGER (X.690 section 8.3) for the unsigned big-endian N bytes
 * at V, written at OUT; returns its length. */
static size_t der_uint(unsigned char *out, const unsigned char *v, size_t n)
{
    size_t pad;

    /* minimal: no leading zero bytes ... */
    while (n > 1 && v[0] == 0) {
        v++;
        n--;
    }
    /* ... except one to keep a set high bit from reading as negative;
     * zero itself is the one byte 0x00 */
    pad = (v[0] & 0x80) != 0;
    out[0] = 0x02;
    out[1] = (unsigned char)(n + pad);
    out[2] = 0x00;
    memcpy(out + 2 + pad, v, n);
    return 2 + pad + n;
}

int jose_ecdsa_der(unsigned char *der, size_t *derlen, size_t max,
                   const unsigned char *rs, size_t rslen)
{
    unsigned char body[2 * (2 + 1 + 127)];
    size_t half = rslen / 2, blen, hlen;

    *derlen = 0;
    /* each INTEGER's length must stay in DER's short form */
    if (rslen == 0 || rslen % 2 != 0 || half > 126) {
        return -1;
    }
    blen = der_uint(body, rs, half);
    blen += der_uint(body + blen, rs + half, half);
    /* the SEQUENCE: short length form below 128, 0x81 LL up to 255 */
    hlen = blen < 0x80 ? 2 : 3;
    if (blen > 0xff || hlen + blen > max) {
        return -1;
    }
    der[0] = 0x30;
    if (hlen == 2) {
        der[1] = (unsigned char)blen;
    }
    else {
        der[1] = 0x81;
        der[2] = (unsigned char)blen;
    }
    memcpy(der + hlen, body, blen);
    *derlen = hlen + blen;
    return 0;
}
