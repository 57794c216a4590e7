/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwk_import.c: JWK and JWK Set JSON to keys (RFC 7517 4 and 5; RFC 7518 6:
 * RSA, EC and oct members; RFC 8037 2: OKP).  Every member is checked for
 * its type and strict base64url (RFC 7515 2), coordinates and private
 * values for their exact length, RSA CRT values come all or none, OKP
 * private keys must match their x; the key is then typed by jwk.c.
 *
 * A JWK Set may hold keys meant for something else (identity providers
 * publish mixed sets): those are skipped with a debug line; a set left
 * empty, one with more than JWK_MAX_KEYS keys or one mixing private and
 * public keys is refused.  Decoded members live in a scratch pool that is
 * wiped and destroyed before the loader returns; no json_t is kept, and
 * jwk_json_wipe clears the private members in jansson's own strings before
 * the document is freed.
 */

#include <string.h>
#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include "jose_b64.h"
#include "jose_util.h"
#include "jwk.h"
#include "jwk_int.h"
#include "jws.h"

static const char *const op_names[] = {
    "sign", "verify", "encrypt", "decrypt", "wrapKey", "unwrapKey",
    "deriveKey", "deriveBits"
};
#define OP_COUNT (sizeof(op_names) / sizeof(op_names[0]))

/* ---- members (RFC 7517 4, RFC 7518 6) ---- */

/* A string member: RC_OK with *OUT NULL when absent, RC_FAIL when present
 * but not a string (or one with a NUL inside). */
static int str_member(const char **out, const json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);

    *out = NULL;
    if (v == NULL) {
        return RC_OK;
    }
    if (!json_is_string(v)
        || strlen(json_string_value(v)) != json_string_length(v)) {
        return RC_FAIL;
    }
    *out = json_string_value(v);
    return RC_OK;
}

/* A base64url member (RFC 7518 6: strict, RFC 7515 2).  SECRET members
 * are wiped when TMP is destroyed. */
static int b64_member(unsigned char **out, size_t *len, apr_pool_t *p,
                      apr_pool_t *tmp, const json_t *jwk, const char *name,
                      int required, int secret, const char *what,
                      const char *where, const char **err)
{
    const char *s;

    *out = NULL;
    *len = 0;
    if (str_member(&s, jwk, name) != RC_OK) {
        return FAIL("%s %s: member \"%s\" is not a string: it must be the "
                    "base64url encoding of the value (RFC 7518 6)",
                    what, where, name);
    }
    if (s == NULL) {
        if (required) {
            return FAIL("%s %s has no \"%s\" member: the JWK is incomplete "
                        "(RFC 7518 6); export it again from its source",
                        what, where, name);
        }
        return RC_OK;
    }
    if (jose_b64url_decode(out, len, tmp, s, strlen(s)) != JWT_OK) {
        return FAIL("%s %s: member \"%s\" is not strict base64url (no "
                    "padding, no whitespace, '-' and '_', RFC 7515 2): "
                    "export the key again", what, where, name);
    }
    if (secret) {
        jose_wipe_on_cleanup(tmp, *out, *len);
    }
    return RC_OK;
}

static int meta_parse(jwk_meta_t *m, apr_pool_t *p, const json_t *jwk,
                      const char *where, const char **err)
{
    json_t *ops, *v;
    size_t i, j;

    memset(m, 0, sizeof(*m));
    if (str_member(&m->alg, jwk, "alg") != RC_OK
        || str_member(&m->use, jwk, "use") != RC_OK) {
        return FAIL("The key %s has an \"alg\" or \"use\" member that is "
                    "not a string (RFC 7517 4.2, 4.4): fix the JWK", where);
    }
    /* kid is only ever compared as an exact string (A5) */
    if (str_member(&m->kid, jwk, "kid") != RC_OK) {
        return FAIL("The key %s has a \"kid\" that is not a string (RFC "
                    "7517 4.5): make it a string or remove it", where);
    }
    if (m->kid != NULL
        && (m->kid[0] == '\0' || strlen(m->kid) > JWS_MAX_KID_LEN)) {
        return FAIL("The key %s has an empty kid or one longer than %d "
                    "bytes, which no token could select: give it a "
                    "shorter kid", where, JWS_MAX_KID_LEN);
    }
    ops = json_object_get(jwk, "key_ops");
    if (ops == NULL) {
        return RC_OK;
    }
    if (!json_is_array(ops)) {
        return FAIL("The key %s has \"key_ops\" that is not an array of "
                    "strings (RFC 7517 4.3): fix the JWK", where);
    }
    m->has_ops = 1;
    json_array_foreach(ops, i, v) {
        if (!json_is_string(v)) {
            return FAIL("The key %s has \"key_ops\" that is not an array of "
                        "strings (RFC 7517 4.3): fix the JWK", where);
        }
        for (j = 0; j < OP_COUNT; j++) {
            if (strcmp(json_string_value(v), op_names[j]) != 0) {
                continue;
            }
            if (m->ops & (1u << j)) {
                return FAIL("The key %s lists \"%s\" twice in key_ops "
                            "(RFC 7517 4.3 forbids duplicates): fix the "
                            "JWK", where, op_names[j]);
            }
            m->ops |= 1u << j;
        }
    }
    return RC_OK;
}

/* ---- JWK to EVP_PKEY (RFC 7518 6.2, 6.3; RFC 8037 2) ---- */

/* A key of TYPE from PARAMS, the private half too when PRIVATE. */
static EVP_PKEY *from_params(const char *type, int private,
                             OSSL_PARAM *params)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;

    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, private ? EVP_PKEY_KEYPAIR
                                                 : EVP_PKEY_PUBLIC_KEY,
                             params) <= 0) {
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return pkey;
}

static EVP_PKEY *from_builder(const char *type, int private,
                              OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *ps = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY *pkey = NULL;

    if (ps != NULL) {
        pkey = from_params(type, private, ps);
    }
    OSSL_PARAM_free(ps);
    return pkey;
}

/* V as the BIGNUM parameter NAME; *BN is the caller's to clear and free.
 * Private values live in OpenSSL's secure heap when it has one and are
 * cleared when the parameters are freed. */
static int push_bn(OSSL_PARAM_BLD *bld, const char *name,
                   const unsigned char *v, size_t len, int secret,
                   BIGNUM **bn)
{
    *bn = secret ? BN_secure_new() : BN_new();
    return *bn != NULL && BN_bin2bn(v, (int)len, *bn) != NULL
           && OSSL_PARAM_BLD_push_BN(bld, name, *bn);
}

static int rsa_from_jwk(EVP_PKEY **out, apr_pool_t *p, apr_pool_t *tmp,
                        const json_t *jwk, const char *where,
                        const char **err)
{
    static const char *const names[] = { "n", "e", "d", "p", "q", "dp",
                                         "dq", "qi" };
    static const char *const params[] = {
        OSSL_PKEY_PARAM_RSA_N, OSSL_PKEY_PARAM_RSA_E, OSSL_PKEY_PARAM_RSA_D,
        OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
        OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
        OSSL_PKEY_PARAM_RSA_COEFFICIENT1
    };
    BIGNUM *bn[8] = { NULL };
    OSSL_PARAM_BLD *bld = NULL;
    unsigned char *v;
    size_t len;
    int i, crt = 0, rc = RC_FAIL;

    *out = NULL;
    if (json_object_get(jwk, "oth") != NULL) {
        return FAIL("The RSA key %s has more than two primes (\"oth\", RFC "
                    "7518 6.3.2.7), which is not supported: use a two-prime "
                    "key", where);
    }
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL) {
        return FAIL("Out of memory loading the RSA key %s", where);
    }
    for (i = 0; i < 8; i++) {
        if (b64_member(&v, &len, p, tmp, jwk, names[i], i < 2, i >= 2,
                       "The RSA key", where, err) != RC_OK) {
            goto cleanup;
        }
        if (v == NULL) {
            continue;
        }
        if (!push_bn(bld, params[i], v, len, i >= 2, &bn[i])) {
            rc = FAIL("Out of memory loading the RSA key %s", where);
            goto cleanup;
        }
        crt += i >= 3;
    }
    /* RFC 7518 6.3.2: the CRT values come all together or not at all */
    if ((crt != 0 && crt != 5) || (crt != 0 && bn[2] == NULL)) {
        rc = FAIL("The RSA key %s has only some of d, p, q, dp, dq, qi "
                  "(RFC 7518 6.3.2 requires all or only d): export the "
                  "private key again", where);
        goto cleanup;
    }
    *out = from_builder("RSA", bn[2] != NULL, bld);
    if (*out == NULL) {
        rc = FAIL("The RSA key %s could not be built (%s): export it again",
                  where, jwk_ossl_why(p));
        goto cleanup;
    }
    rc = RC_OK;

cleanup:
    OSSL_PARAM_BLD_free(bld);
    for (i = 0; i < 8; i++) {
        BN_clear_free(bn[i]);
    }
    return rc;
}

static int ec_from_jwk(EVP_PKEY **out, apr_pool_t *p, apr_pool_t *tmp,
                       const json_t *jwk, const jwk_curve_t *c,
                       const char *where, const char **err)
{
    unsigned char *x, *y, *d, *pub;
    size_t xl, yl, dl;
    OSSL_PARAM_BLD *bld = NULL;
    BIGNUM *bn = NULL;
    int rc = RC_FAIL;

    *out = NULL;
    if (b64_member(&x, &xl, p, tmp, jwk, "x", 1, 0, "The EC key", where,
                   err) != RC_OK
        || b64_member(&y, &yl, p, tmp, jwk, "y", 1, 0, "The EC key", where,
                      err) != RC_OK
        || b64_member(&d, &dl, p, tmp, jwk, "d", 0, 1, "The EC key", where,
                      err) != RC_OK) {
        return RC_FAIL;
    }
    /* RFC 7518 6.2.1.2, 6.2.1.3, 6.2.2.1: full width, exactly */
    if (xl != c->len || yl != c->len || (d != NULL && dl != c->len)) {
        return FAIL("The EC %s key %s has x, y or d of the wrong length "
                    "(each must be exactly %" APR_SIZE_T_FMT " bytes for "
                    "%s, RFC 7518 6.2.1.2): the crv or the coordinates are "
                    "wrong", c->crv, where, c->len, c->crv);
    }
    pub = apr_palloc(tmp, 1 + 2 * c->len);
    pub[0] = 0x04;                      /* SEC 1 2.3.3 uncompressed */
    memcpy(pub + 1, x, c->len);
    memcpy(pub + 1 + c->len, y, c->len);
    bld = OSSL_PARAM_BLD_new();
    if (bld == NULL
        || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                            c->ossl, 0)
        || !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                             pub, 1 + 2 * c->len)) {
        rc = FAIL("Out of memory loading the EC key %s", where);
        goto cleanup;
    }
    if (d != NULL
        && !push_bn(bld, OSSL_PKEY_PARAM_PRIV_KEY, d, dl, 1, &bn)) {
        rc = FAIL("Out of memory loading the EC key %s", where);
        goto cleanup;
    }
    *out = from_builder("EC", d != NULL, bld);
    if (*out == NULL) {
        /* OpenSSL refuses a point that is not on the curve right here */
        rc = FAIL("The EC public key %s is not a valid point on %s (%s): "
                  "the key is damaged or its crv is wrong", where, c->crv,
                  jwk_ossl_why(p));
        goto cleanup;
    }
    rc = RC_OK;

cleanup:
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(bn);
    return rc;
}

static int okp_from_jwk(EVP_PKEY **out, apr_pool_t *p, apr_pool_t *tmp,
                        const json_t *jwk, const jwk_curve_t *c,
                        const char *where, const char **err)
{
    unsigned char *x, *d, derived[64];
    size_t xl, dl, derived_len = sizeof(derived);
    OSSL_PARAM ps[2];
    EVP_PKEY *pkey;

    *out = NULL;
    if (b64_member(&x, &xl, p, tmp, jwk, "x", 1, 0, "The OKP key", where,
                   err) != RC_OK
        || b64_member(&d, &dl, p, tmp, jwk, "d", 0, 1, "The OKP key", where,
                      err) != RC_OK) {
        return RC_FAIL;
    }
    if (xl != c->len || (d != NULL && dl != c->len)) {
        return FAIL("The %s key %s has x or d of the wrong length (each "
                    "must be exactly %" APR_SIZE_T_FMT " bytes, RFC 8037 2): "
                    "the crv or the key is wrong", c->crv, where, c->len);
    }
    /* Built from d alone, so the public half is derived and compared with
     * x: a pair that does not match is refused, not half used.  The
     * parameters point at pool memory that TMP wipes. */
    ps[0] = d != NULL
            ? OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PRIV_KEY, d,
                                                dl)
            : OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, x,
                                                xl);
    ps[1] = OSSL_PARAM_construct_end();
    pkey = from_params(c->ossl, d != NULL, ps);
    if (pkey == NULL) {
        return FAIL("The %s key %s could not be built (%s): export it "
                    "again", c->crv, where, jwk_ossl_why(p));
    }
    if (d != NULL
        && (EVP_PKEY_get_raw_public_key(pkey, derived, &derived_len) != 1
            || derived_len != xl
            || CRYPTO_memcmp(derived, x, xl) != 0)) {
        EVP_PKEY_free(pkey);
        ERR_clear_error();
        return FAIL("The %s private key %s does not match its x (public "
                    "key): export it again", c->crv, where);
    }
    *out = pkey;
    return RC_OK;
}

static jose_kty_t kty_by_name(const char *s)
{
    /* RFC 7518 6.1: case-sensitive */
    if (strcmp(s, "RSA") == 0) {
        return JOSE_KTY_RSA;
    }
    if (strcmp(s, "EC") == 0) {
        return JOSE_KTY_EC;
    }
    if (strcmp(s, "OKP") == 0) {
        return JOSE_KTY_OKP;
    }
    if (strcmp(s, "oct") == 0) {
        return JOSE_KTY_OCT;
    }
    return JOSE_KTY_NONE;
}

int jwk_parse_one(jwk_t **out, apr_pool_t *p, apr_pool_t *tmp,
                  const json_t *jwk, const jwk_load_opts_t *o, int in_set,
                  const char *where, const char *source, const char **err)
{
    const jwk_curve_t *c = NULL;
    const char *kty, *crv;
    EVP_PKEY *pkey = NULL;
    unsigned char *k;
    size_t klen;
    jwk_meta_t m;
    jose_kty_t t;
    int rc;

    *out = NULL;
    if (!json_is_object(jwk)) {
        return FAIL("The key %s is not a JSON object (RFC 7517 4): fix the "
                    "key set", where);
    }
    rc = meta_parse(&m, p, jwk, where, err);
    if (rc != RC_OK) {
        return rc;
    }
    if (str_member(&kty, jwk, "kty") != RC_OK || kty == NULL) {
        return FAIL("The key %s has no \"kty\" string (RFC 7517 4.1): it is "
                    "not a JWK", where);
    }
    t = kty_by_name(kty);
    if (t == JOSE_KTY_NONE) {
        return SKIP("The key %s has kty \"%s\", which this module does not "
                    "support (RSA, EC, OKP, oct)", where, jwk_shown(p, kty));
    }
    if (t == JOSE_KTY_EC || t == JOSE_KTY_OKP) {
        if (str_member(&crv, jwk, "crv") != RC_OK || crv == NULL) {
            return FAIL("The %s key %s has no \"crv\" string (RFC 7518 "
                        "6.2.1.1, RFC 8037 2): fix the JWK", kty, where);
        }
        c = jwk_curve_by_crv(t, crv);
        if (c == NULL) {
            return SKIP("The %s key %s is on curve \"%s\", which JOSE here "
                        "does not support (%s)", kty, where,
                        jwk_shown(p, crv),
                        t == JOSE_KTY_EC
                            ? "P-256, P-384, P-521, secp256k1"
                            : "Ed25519, Ed448, X25519, X448");
        }
    }
    /* keys meant for something else are not judged further */
    rc = jwk_usable(&m, t, c != NULL ? c->nid : 0, o, p, where, err);
    if (rc != RC_OK) {
        return rc;
    }
    switch (t) {
    case JOSE_KTY_OCT:
        rc = b64_member(&k, &klen, p, tmp, jwk, "k", 1, 1, "The secret",
                        where, err);
        if (rc != RC_OK) {
            return rc;
        }
        return jwk_secret_key(out, p, k, klen, &m, o, in_set, where,
                              source, err);
    case JOSE_KTY_RSA:
        rc = rsa_from_jwk(&pkey, p, tmp, jwk, where, err);
        break;
    case JOSE_KTY_EC:
        rc = ec_from_jwk(&pkey, p, tmp, jwk, c, where, err);
        break;
    default:
        rc = okp_from_jwk(&pkey, p, tmp, jwk, c, where, err);
        break;
    }
    if (rc != RC_OK) {
        return rc;
    }
    jose_pkey_pool_own(p, pkey);
    return jwk_pkey_key(out, p, pkey, &m, o, in_set, where, source, err);
}

/* ---- wiping (RFC 7518 6.2.2, 6.3.2, 6.4; RFC 8037 2) ---- */

/* The string member NAME of OBJ overwritten in jansson's own buffer: the
 * value is const to callers, but the buffer is jansson's heap, about to
 * be freed unwiped (json_decref does not clear). */
static void wipe_member(json_t *obj, const char *name)
{
    json_t *v = json_object_get(obj, name);

    if (json_is_string(v) && json_string_length(v) > 0) {
        OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
    }
}

static void wipe_jwk(json_t *jwk)
{
    static const char *const names[] = { "d", "p", "q", "dp", "dq", "qi",
                                         "k" };
    json_t *oth, *o;
    size_t i;

    if (!json_is_object(jwk)) {
        return;
    }
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        wipe_member(jwk, names[i]);
    }
    /* RFC 7518 6.3.2.7: the other primes' r, d, t are private too */
    oth = json_object_get(jwk, "oth");
    json_array_foreach(oth, i, o) {
        wipe_member(o, "r");
        wipe_member(o, "d");
        wipe_member(o, "t");
    }
}

void jwk_json_wipe(json_t *doc)
{
    json_t *keys = json_object_get(doc, "keys"), *k;
    size_t i;

    wipe_jwk(doc);
    json_array_foreach(keys, i, k) {
        wipe_jwk(k);
    }
}

/* ---- JWK Set (RFC 7517 5) ---- */

int jwk_parse_set(apr_array_header_t *add, apr_pool_t *p, apr_pool_t *tmp,
                  const json_t *jwks, const jwk_load_opts_t *o,
                  const char *source, const char **err)
{
    const json_t *keys = json_object_get(jwks, "keys");
    const char *why = NULL;
    int i, n, priv = 0, pub = 0;

    if (!json_is_array(keys)) {
        return FAIL("%s is not a JWK Set: it needs a \"keys\" array (RFC "
                    "7517 5)", source);
    }
    n = (int)json_array_size(keys);
    if (n == 0) {
        return FAIL("The JWK Set %s has no keys: add at least one", source);
    }
    if (n > JWK_MAX_KEYS) {
        return FAIL("The JWK Set %s has %d keys; at most %d are accepted: "
                    "keep only the keys in use", source, n, JWK_MAX_KEYS);
    }
    for (i = 0; i < n; i++) {
        const json_t *j = json_array_get(keys, (size_t)i);
        const char *kid = NULL, *tag = "", *where, *src;
        jwk_t *k;
        int rc;

        if (json_is_object(j)) {
            (void)str_member(&kid, j, "kid");
        }
        if (kid != NULL) {
            tag = apr_pstrcat(p, " (kid \"", jwk_shown(p, kid), "\")", NULL);
        }
        where = apr_psprintf(p, "#%d%s in %s", i + 1, tag, source);
        src = apr_psprintf(p, "%s key #%d%s", source, i + 1, tag);
        rc = jwk_parse_one(&k, p, tmp, j, o, 1, where, src, err);
        if (rc == RC_FAIL) {
            return RC_FAIL;
        }
        if (rc == RC_SKIP) {
            jose_log(7, "skipping a key of %s: %s", source, *err);
            why = why != NULL ? why : *err;
            continue;
        }
        priv += k->is_private;
        pub += !k->is_private;
        APR_ARRAY_PUSH(add, jwk_t *) = k;
    }
    if (add->nelts == 0) {
        return FAIL("The JWK Set %s has no key usable for %s. %s", source,
                    jwk_use_text(o->use), why != NULL ? why : "");
    }
    /* Wycheproof MixedKeySet: one document, one kind of key */
    if (priv != 0 && pub != 0) {
        return FAIL("The JWK Set %s mixes private (or secret) and public "
                    "keys: keep private keys and public keys in separate "
                    "files", source);
    }
    if (o->kid != NULL) {
        if (add->nelts != 1) {
            return FAIL("kid= names one key, but %s holds %d usable keys: "
                        "remove kid= (each key's own kid is used)", source,
                        add->nelts);
        }
        APR_ARRAY_IDX(add, 0, jwk_t *)->kid = apr_pstrdup(p, o->kid);
    }
    return RC_OK;
}

int jwk_parse_json(jwk_t **out, apr_pool_t *p, json_t *jwk,
                   const jwk_load_opts_t *opts, const char *source,
                   const char **err)
{
    apr_pool_t *tmp = jwk_scratch(p);
    int rc;

    *out = NULL;
    if (tmp == NULL) {
        return FAIL("Out of memory loading %s", source);
    }
    rc = jwk_parse_one(out, p, tmp, jwk, jwk_opts_or_default(opts), 0,
                       apr_pstrcat(p, "in ", source, NULL), source, err);
    apr_pool_destroy(tmp);
    return rc == RC_OK ? 0 : -1;
}

int jwk_set_parse_json(jwk_set_t *set, apr_pool_t *p, json_t *jwks,
                       const jwk_load_opts_t *opts, const char *source,
                       const char **err)
{
    apr_array_header_t *add = apr_array_make(p, 4, sizeof(jwk_t *));
    apr_pool_t *tmp = jwk_scratch(p);
    int rc;

    if (tmp == NULL) {
        return FAIL("Out of memory loading %s", source);
    }
    rc = jwk_parse_set(add, p, tmp, jwks, jwk_opts_or_default(opts), source,
                       err);
    apr_pool_destroy(tmp);
    if (rc == RC_OK) {
        rc = jwk_set_commit(set, p, add, err);
    }
    return rc == RC_OK ? 0 : -1;
}
