/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jose_crypto_kex.c: the JWE key management primitives that are not AES, on
 * OpenSSL 3 EVP: RSAES-OAEP and RSAES-PKCS1-v1_5 (RFC 7518 4.2, 4.3),
 * ECDH-ES with its ephemeral key and the Concat KDF (RFC 7518 4.6,
 * RFC 8037 3.2) and PBKDF2 for PBES2 (RFC 7518 4.8).  AES Key Wrap and the
 * content encryption are in jose_crypto_aes.c.
 *
 * RSA padding and digests follow from the algorithm alone (doc/attacks.md C5);
 * the RSA1_5 padding is checked in constant time and a bad one yields the
 * caller's random CEK (C4, RFC 7516 11.5); an ephemeral public key must lie
 * on the recipient's curve (C3).  Every context is freed through one
 * cleanup label, every intermediate secret is wiped, and the OpenSSL error
 * queue is cleared on failure so that nothing about a rejected token
 * outlives the call.
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
