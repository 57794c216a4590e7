/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwk_export.c: keys back to JSON: the public JWK a JWKS endpoint publishes
 * (never a private member), the private JWK htjwt keygen writes, the RFC
 * 7638 thumbprint every key carries, and the one algorithm a signing key
 * uses when none is named.  Members follow RFC 7518 6.2 and 6.3 and RFC
 * 8037 2; EC coordinates are written at full field width, which the
 * thumbprint relies on (RFC 7638 3.2).  Private values pass through pool
 * memory that is wiped when the pool goes.
 */

#include <string.h>
#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include "jose_b64.h"
#include "jose_util.h"
#include "jwk.h"
#include "jwk_int.h"

/* B in base64url; a SECRET result is wiped when P goes. */
static char *b64(apr_pool_t *p, const unsigned char *b, size_t n,
                 int secret)
{
    char *s = jose_b64url_encode(p, b, n);

    if (secret && s != NULL) {
        jose_wipe_on_cleanup(p, s, strlen(s));
    }
    return s;
}

static char *bn_b64(apr_pool_t *p, const BIGNUM *bn, size_t width,
                    int secret)
{
    size_t n = width != 0 ? width : (size_t)BN_num_bytes(bn);
    unsigned char *b = apr_palloc(p, n + 1);
    char *s;

    if ((width != 0 ? BN_bn2binpad(bn, b, (int)n)
                    : BN_bn2bin(bn, b)) < 0) {
        return NULL;
    }
    s = b64(p, b, n, secret);
    OPENSSL_cleanse(b, n);
    return s;
}

static char *param_b64(apr_pool_t *p, const EVP_PKEY *pkey,
                       const char *name, size_t width, int secret)
{
    BIGNUM *bn = NULL;
    char *s;

    if (!EVP_PKEY_get_bn_param(pkey, name, &bn)) {
        ERR_clear_error();
        return NULL;
    }
    s = bn_b64(p, bn, width, secret);
    BN_clear_free(bn);
    return s;
}

static char *raw_b64(apr_pool_t *p, const EVP_PKEY *pkey, int secret)
{
    unsigned char b[64];
    size_t n = sizeof(b);
    char *s;
    int ok = secret ? EVP_PKEY_get_raw_private_key(pkey, b, &n)
                    : EVP_PKEY_get_raw_public_key(pkey, b, &n);

    if (ok != 1) {
        ERR_clear_error();
        return NULL;
    }
    s = b64(p, b, n, secret);
    OPENSSL_cleanse(b, sizeof(b));
    return s;
}

/* The public members (RFC 7518 6.2.1, 6.3.1, RFC 8037 2), coordinates at
 * full field width (RFC 7638 3.2 relies on it).  For a secret, k. */
static int pub_members(const char **a, const char **b, apr_pool_t *p,
                       const jwk_t *key)
{
    const jwk_curve_t *c = jwk_curve_by_nid(key->curve_nid);

    *a = *b = NULL;
    switch (key->kty) {
    case JOSE_KTY_RSA:
        *a = param_b64(p, key->pkey, OSSL_PKEY_PARAM_RSA_N, 0, 0);
        *b = param_b64(p, key->pkey, OSSL_PKEY_PARAM_RSA_E, 0, 0);
        return *a != NULL && *b != NULL;
    case JOSE_KTY_EC:
        if (c == NULL) {
            return 0;
        }
        *a = param_b64(p, key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, c->len, 0);
        *b = param_b64(p, key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, c->len, 0);
        return *a != NULL && *b != NULL;
    case JOSE_KTY_OKP:
        *a = raw_b64(p, key->pkey, 0);
        return *a != NULL && c != NULL;
    case JOSE_KTY_OCT:
        *a = b64(p, key->secret, key->secret_len, 1);
        return *a != NULL;
    default:
        return 0;
    }
}

const char *jwk_thumbprint(apr_pool_t *p, const jwk_t *key)
{
    const jwk_curve_t *c;
    const char *a, *b, *json;
    unsigned char md[32];
    unsigned int mdlen = 0;
    apr_pool_t *tmp = jwk_scratch(p);
    const char *out = NULL;

    if (key == NULL || tmp == NULL) {
        return NULL;
    }
    c = jwk_curve_by_nid(key->curve_nid);
    if (!pub_members(&a, &b, tmp, key)) {
        goto cleanup;
    }
    /* RFC 7638 3.2: required members only, lexicographic order, no
     * whitespace; base64url values need no JSON escaping */
    switch (key->kty) {
    case JOSE_KTY_RSA:
        json = apr_pstrcat(tmp, "{\"e\":\"", b, "\",\"kty\":\"RSA\",\"n\":\"",
                           a, "\"}", NULL);
        break;
    case JOSE_KTY_EC:
        json = apr_pstrcat(tmp, "{\"crv\":\"", c->crv,
                           "\",\"kty\":\"EC\",\"x\":\"", a, "\",\"y\":\"", b,
                           "\"}", NULL);
        break;
    case JOSE_KTY_OKP:
        json = apr_pstrcat(tmp, "{\"crv\":\"", c->crv,
                           "\",\"kty\":\"OKP\",\"x\":\"", a, "\"}", NULL);
        break;
    default:
        json = apr_pstrcat(tmp, "{\"k\":\"", a, "\",\"kty\":\"oct\"}", NULL);
        jose_wipe_on_cleanup(tmp, (void *)json, strlen(json));
        break;
    }
    if (jose_md("SHA256") == NULL
        || EVP_Digest(json, strlen(json), md, &mdlen, jose_md("SHA256"),
                      NULL) != 1
        || mdlen != sizeof(md)) {
        ERR_clear_error();
        goto cleanup;
    }
    out = jose_b64url_encode(p, md, sizeof(md));

cleanup:
    apr_pool_destroy(tmp);
    return out;
}

static int popcount(jose_alg_set_t s)
{
    int n = 0;

    for (; s != 0; s &= s - 1) {
        n++;
    }
    return n;
}

static jose_alg_t lowest(jose_alg_set_t s)
{
    int i;

    for (i = 1; i < JOSE_ALG_COUNT; i++) {
        if (JOSE_ALG_IN(s, i)) {
            return (jose_alg_t)i;
        }
    }
    return JOSE_ALG_UNKNOWN;
}

jose_alg_t jwk_default_sign_alg(const jwk_t *key)
{
    static const jose_alg_t hs[] = { JOSE_ALG_HS512, JOSE_ALG_HS384,
                                     JOSE_ALG_HS256 };
    jose_alg_set_t sig;
    size_t i;

    if (key == NULL) {
        return JOSE_ALG_UNKNOWN;
    }
    sig = key->algs & jose_algs_for_key(key->kty, key->curve_nid,
                                        JOSE_USE_SIG);
    if (popcount(sig) == 1 || key->kty == JOSE_KTY_EC
        || key->kty == JOSE_KTY_OKP) {
        return lowest(sig);
    }
    if (key->kty == JOSE_KTY_RSA && JOSE_ALG_IN(sig, JOSE_ALG_RS256)) {
        return JOSE_ALG_RS256;
    }
    /* the strongest HMAC the secret is long enough for (oct_lengths kept
     * only those) */
    for (i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
        if (JOSE_ALG_IN(sig, hs[i])) {
            return hs[i];
        }
    }
    return lowest(sig);
}

/* The alg member to publish: the one a signing key signs with, or the
 * only one an encryption key allows. */
static const char *published_alg(const jwk_t *key)
{
    const jose_alg_info_t *a = NULL;

    if (key->use == JOSE_USE_SIG) {
        a = jose_alg_get(jwk_default_sign_alg(key));
    }
    else if (popcount(key->algs) == 1) {
        a = jose_alg_get(lowest(key->algs));
    }
    return a != NULL ? a->name : NULL;
}

static int set_str(json_t *o, const char *name, const char *v)
{
    return v == NULL || json_object_set_new(o, name, json_string(v)) == 0;
}

/* TMP lives as long as the strings are needed; jansson copies them. */
static json_t *export_json(const jwk_t *key, int private)
{
    const jwk_curve_t *c;
    const char *a, *b, *alg;
    apr_pool_t *tmp = NULL;
    json_t *o = NULL;
    int ok;

    if (key == NULL || (private && !key->is_private)
        || (!private && key->kty == JOSE_KTY_OCT)) {
        return NULL;
    }
    /* no caller pool: an unmanaged pool is thread-safe on its own */
    if (apr_pool_create_unmanaged_ex(&tmp, NULL, NULL) != APR_SUCCESS) {
        return NULL;
    }
    c = jwk_curve_by_nid(key->curve_nid);
    o = json_object();
    if (o == NULL || !pub_members(&a, &b, tmp, key)) {
        goto fail;
    }
    switch (key->kty) {
    case JOSE_KTY_RSA:
        ok = set_str(o, "kty", "RSA") && set_str(o, "n", a)
             && set_str(o, "e", b);
        if (ok && private) {
            static const char *const names[] = { "d", "p", "q", "dp", "dq",
                                                 "qi" };
            static const char *const params[] = {
                OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1,
                OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
                OSSL_PKEY_PARAM_RSA_EXPONENT2,
                OSSL_PKEY_PARAM_RSA_COEFFICIENT1
            };
            size_t i;

            for (i = 0; ok && i < 6; i++) {
                /* CRT values are optional (RFC 7518 6.3.2) */
                ok = set_str(o, names[i], param_b64(tmp, key->pkey,
                                                    params[i], 0, 1))
                     && (i != 0 || json_object_get(o, "d") != NULL);
            }
        }
        break;
    case JOSE_KTY_EC:
        ok = set_str(o, "kty", "EC") && set_str(o, "crv", c->crv)
             && set_str(o, "x", a) && set_str(o, "y", b);
        if (ok && private) {
            const char *d = param_b64(tmp, key->pkey,
                                      OSSL_PKEY_PARAM_PRIV_KEY, c->len, 1);

            ok = d != NULL && set_str(o, "d", d);
        }
        break;
    case JOSE_KTY_OKP:
        ok = set_str(o, "kty", "OKP") && set_str(o, "crv", c->crv)
             && set_str(o, "x", a);
        if (ok && private) {
            const char *d = raw_b64(tmp, key->pkey, 1);

            ok = d != NULL && set_str(o, "d", d);
        }
        break;
    default:
        ok = set_str(o, "kty", "oct") && set_str(o, "k", a);
        break;
    }
    alg = published_alg(key);
    ok = ok
         && set_str(o, "kid", key->kid != NULL ? key->kid : key->thumbprint)
         && set_str(o, "use", key->use == JOSE_USE_ENC ? "enc" : "sig")
         && set_str(o, "alg", alg);
    if (!ok) {
        goto fail;
    }
    apr_pool_destroy(tmp);
    return o;

fail:
    json_decref(o);
    ERR_clear_error();
    apr_pool_destroy(tmp);
    return NULL;
}

json_t *jwk_public_json(const jwk_t *key)
{
    return export_json(key, 0);
}

json_t *jwk_private_json(const jwk_t *key)
{
    return export_json(key, 1);
}
