/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jws.c: compact JWS (RFC 7515 sections 3.1, 4, 5.2 and 7.1) with the
 * signature algorithms of RFC 7518 section 3, RFC 8812 section 3.2
 * (ES256K) and RFC 8037 section 3.1 (EdDSA).
 *
 * Parsing is structure only.  Verification takes its keys from the
 * configured set and nothing else: the header's alg, kid and the caller's
 * iss only narrow that set (RFC 8725 section 3.1, doc/attacks.md A1-A5), and
 * the primitive is chosen by the key's type from the algorithm table row,
 * never by the token.  Every signature length is checked against the table
 * or the key before any cryptography (B1), HMAC compares in constant time
 * (B5), ECDSA takes the raw R||S of RFC 7518 section 3.4 only (B2, B3), PSS
 * uses salt = digest length and MGF1 with the same digest (B4).
 *
 * Digests and the HMAC implementation come from jose_md()/jose_hmac(),
 * fetched once per process; an OpenSSL failure while verifying is just an
 * invalid signature, and the error queue is cleared so that one request's
 * failure never shows up in another request's log.
 */

#include <limits.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>
#include <apr_strings.h>
#include "jose_b64.h"
#include "jose_sig.h"
#include "jose_util.h"
#include "jws.h"

int jose_two_dots(const char *token, size_t len, const char **d1,
                  const char **d2)
{
    const char *a, *b;

    /* memchr stops at each dot, so even 100 000 dots cost three calls */
    if (token == NULL || (a = memchr(token, '.', len)) == NULL
        || (b = memchr(a + 1, '.', len - (size_t)(a + 1 - token))) == NULL
        || memchr(b + 1, '.', len - (size_t)(b + 1 - token)) != NULL) {
        return 0;
    }
    if (d1 != NULL) {
        *d1 = a;
    }
    if (d2 != NULL) {
        *d2 = b;
    }
    return 1;
}

int jose_count_dots(const char *token, size_t len)
{
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
    size_t i = 0, n = 0;

    if (token == NULL) {
        return 0;
    }
    /* one pass, no allocation, no early exit on the dots themselves: a
     * token of 100 000 dots costs one scan (F3).  Eight bytes at a time:
     * the bytes of X equal to '.' become zero, and the exact zero-byte
     * test below sets the top bit of those bytes and of no others. */
    for (; i + 8 <= len; i += 8) {
        uint64_t x, t;

        memcpy(&x, token + i, 8);
        x ^= ones * '.';
        t = ~(((x & low7) + low7) | x | low7);
        /* one bit per '.' byte, at its top: the sum of the bytes of
         * t >> 7 (at most 8) lands in the top byte of the product */
        n += (size_t)(((t >> 7) * ones) >> 56);
    }
    for (; i < len; i++) {
        n += token[i] == '.';
    }
    /* a count past INT_MAX is as wrong as 3 */
    return n > INT_MAX ? INT_MAX : (int)n;
}

/* ---- key and algorithm fit ---- */

/* The EdDSA signature length of an OKP key (RFC 8032 section 5.1.6 and
 * 5.2.6), 0 when the key is not an EdDSA key. */
static size_t eddsa_sig_len(const jwk_t *key)
{
    if (key->curve_nid == NID_ED25519
        && EVP_PKEY_get_base_id(key->pkey) == EVP_PKEY_ED25519) {
        return 64;
    }
    if (key->curve_nid == NID_ED448
        && EVP_PKEY_get_base_id(key->pkey) == EVP_PKEY_ED448) {
        return 114;
    }
    return 0;
}

/* May KEY be used with ALG at all?  The key was typed when it was loaded;
 * the EVP_PKEY is checked again here so that a mistyped jwk_t can never
 * send, say, an EC key down the HMAC path (A2). */
static int key_fits(const jwk_t *key, const jose_alg_info_t *alg)
{
    int id;

    if (key == NULL || alg == NULL || alg->use != JOSE_USE_SIG
        || key->use != JOSE_USE_SIG || !JOSE_ALG_IN(key->algs, alg->id)
        || key->kty != alg->kty) {
        return 0;
    }
    if (alg->kty == JOSE_KTY_OCT) {
        /* RFC 7518 section 3.2: at least as long as the hash output */
        return key->secret != NULL && key->secret_len >= alg->key_len;
    }
    if (key->pkey == NULL) {
        return 0;
    }
    id = EVP_PKEY_get_base_id(key->pkey);
    switch (alg->kty) {
    case JOSE_KTY_RSA:
        return id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS;
    case JOSE_KTY_EC:
        /* ES256 only on P-256, ES256K only on secp256k1 ... */
        return id == EVP_PKEY_EC && key->curve_nid == alg->curve_nid
               && (size_t)(EVP_PKEY_get_bits(key->pkey) + 7) / 8 * 2
                  == alg->sig_len;
    case JOSE_KTY_OKP:
        return eddsa_sig_len(key) != 0;
    default:
        return 0;
    }
}

/* ---- primitives ---- */

static int hmac_compute(unsigned char *mac, size_t *maclen,
                        const jwk_t *key, const jose_alg_info_t *alg,
                        const unsigned char *in, size_t inlen)
{
    EVP_MAC *hmac = jose_hmac();
    EVP_MAC_CTX *ctx = NULL;
    OSSL_PARAM params[2];
    int ok;

    /* the states keyed at load, when there are some */
    ok = jose_sig_hmac(mac, maclen, key, alg, in, inlen);
    if (ok >= 0) {
        return ok && *maclen == alg->sig_len;
    }
    ok = 0;
    if (hmac == NULL || jose_md(alg->digest) == NULL) {
        goto cleanup;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 (char *)alg->digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    ctx = EVP_MAC_CTX_new(hmac);
    if (ctx == NULL
        || !EVP_MAC_init(ctx, key->secret, key->secret_len, params)
        || !EVP_MAC_update(ctx, in, inlen)
        || !EVP_MAC_final(ctx, mac, maclen, EVP_MAX_MD_SIZE)) {
        goto cleanup;
    }
    ok = *maclen == alg->sig_len;
cleanup:
    EVP_MAC_CTX_free(ctx);
    return ok;
}

/* Initialise CTX for signing or verifying with KEY and ALG: the digest is
 * the prefetched one (EdDSA: none, RFC 8037 section 3.1 signs the message
 * itself), the RSA padding is fixed by the algorithm, never negotiated.
 * Also what jose_sig_prepare runs once per key and algorithm. */
int jose_sig_digest_init(EVP_MD_CTX *ctx, const jwk_t *key,
                         const jose_alg_info_t *alg, int sign)
{
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *md = NULL;
    int rc;

    if (alg->kty == JOSE_KTY_OKP) {
        rc = sign ? EVP_DigestSignInit_ex(ctx, &pctx, NULL, NULL, NULL,
                                          key->pkey, NULL)
                  : EVP_DigestVerifyInit_ex(ctx, &pctx, NULL, NULL, NULL,
                                            key->pkey, NULL);
        return rc == 1;
    }
    md = jose_md(alg->digest);
    if (md == NULL) {
        return 0;
    }
    /* passing the fetched EVP_MD (not its name) keeps libcrypto from
     * fetching it again */
    rc = sign ? EVP_DigestSignInit(ctx, &pctx, md, NULL, key->pkey)
              : EVP_DigestVerifyInit(ctx, &pctx, md, NULL, key->pkey);
    if (rc != 1) {
        return 0;
    }
    if (alg->kty != JOSE_KTY_RSA) {
        return 1;
    }
    if (alg->id != JOSE_ALG_PS256 && alg->id != JOSE_ALG_PS384
        && alg->id != JOSE_ALG_PS512) {
        return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
    }
    /* RFC 7518 section 3.5: MGF1 with the same hash, salt as long as the
     * hash output; no "auto" salt length when verifying (B4) */
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0
           && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
                                               RSA_PSS_SALTLEN_DIGEST) > 0
           && EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) > 0;
}

static int pkey_verify(const jwk_t *key, const jose_alg_info_t *alg,
                       const unsigned char *in, size_t inlen,
                       const unsigned char *sig, size_t siglen)
{
    /* a copy of the context initialised at load, when there is one */
    EVP_MD_CTX *ctx = jose_sig_md_copy(key, alg);
    int ok = 0;

    if (ctx == NULL) {
        ctx = EVP_MD_CTX_new();
        if (ctx == NULL || !jose_sig_digest_init(ctx, key, alg, 0)) {
            goto cleanup;
        }
    }
    /* used once: without this, OpenSSL 3 duplicates the signature context
     * (and its digest state) in EVP_DigestVerifyFinal so that the caller
     * could go on hashing */
    EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
    ok = EVP_DigestVerify(ctx, sig, siglen, in, inlen) == 1;
cleanup:
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* RFC 7518 section 3.4: the JWS signature is R || S, each exactly half of
 * the table's length.  It is turned into the DER that OpenSSL verifies
 * here, from the halves, so DER from the token is never parsed (B3), and
 * r = 0 or s = 0 reaches ECDSA verification, which refuses it (B2).  The
 * DER is written directly (jose_ecdsa_der), without ECDSA_SIG/BIGNUMs. */
static int ecdsa_verify(const jwk_t *key, const jose_alg_info_t *alg,
                        const unsigned char *in, size_t inlen,
                        const unsigned char *sig, size_t siglen)
{
    unsigned char der[JOSE_ECDSA_DER_MAX];
    size_t derlen;

    if (siglen != alg->sig_len
        || jose_ecdsa_der(der, &derlen, sizeof(der), sig, siglen) != 0) {
        return 0;
    }
    return pkey_verify(key, alg, in, inlen, der, derlen);
}

jwt_status_t jose_sig_verify(const jwk_t *key, const jose_alg_info_t *alg,
                             const unsigned char *in, size_t inlen,
                             const unsigned char *sig, size_t siglen)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;
    int ok = 0;

    if (!key_fits(key, alg)) {
        return JWT_ERR_ALG;
    }
    if (in == NULL || sig == NULL) {
        return JWT_ERR_SIGNATURE;
    }
    /* the exact length first, from the table or the key, never from the
     * token (B1) */
    switch (alg->kty) {
    case JOSE_KTY_OCT:
        if (siglen != alg->sig_len
            || !hmac_compute(mac, &maclen, key, alg, in, inlen)) {
            break;
        }
        /* the MAC of the bytes as received, compared in constant time */
        ok = jose_ct_equal(mac, maclen, sig, siglen);
        break;
    case JOSE_KTY_RSA:
        ok = EVP_PKEY_get_size(key->pkey) > 0
             && siglen == (size_t)EVP_PKEY_get_size(key->pkey)
             && pkey_verify(key, alg, in, inlen, sig, siglen);
        break;
    case JOSE_KTY_EC:
        ok = ecdsa_verify(key, alg, in, inlen, sig, siglen);
        break;
    case JOSE_KTY_OKP:
        ok = siglen == eddsa_sig_len(key)
             && pkey_verify(key, alg, in, inlen, sig, siglen);
        break;
    default:
        break;
    }
    /* the right MAC for a forged header.payload is what a forger wants */
    OPENSSL_cleanse(mac, sizeof(mac));
    if (!ok) {
        ERR_clear_error();
        return JWT_ERR_SIGNATURE;
    }
    return JWT_OK;
}

/* ECDSA signing: OpenSSL gives DER; JWS wants R || S, each left-padded
 * with zeros to half the table length (RFC 7518 section 3.4, H). */
static int ecdsa_to_raw(unsigned char *out, size_t outlen,
                        const unsigned char *der, size_t derlen)
{
    const unsigned char *d = der;
    const BIGNUM *r, *s;
    size_t half = outlen / 2;
    ECDSA_SIG *es;
    int ok = 0;

    es = d2i_ECDSA_SIG(NULL, &d, (long)derlen);
    if (es == NULL) {
        return 0;
    }
    ECDSA_SIG_get0(es, &r, &s);
    if ((size_t)BN_num_bytes(r) <= half && (size_t)BN_num_bytes(s) <= half
        && BN_bn2binpad(r, out, (int)half) == (int)half
        && BN_bn2binpad(s, out + half, (int)half) == (int)half) {
        ok = 1;
    }
    ECDSA_SIG_free(es);
    return ok;
}

static int pkey_sign(unsigned char **sig, size_t *siglen, apr_pool_t *p,
                     const jwk_t *key, const jose_alg_info_t *alg,
                     const unsigned char *in, size_t inlen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *buf = NULL, *raw;
    size_t len = 0;
    int ok = 0;

    if (ctx == NULL || !jose_sig_digest_init(ctx, key, alg, 1)) {
        goto cleanup;
    }
    /* one signature per context: no copy of it in EVP_DigestSignFinal
     * (see pkey_verify) */
    EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
    if (EVP_DigestSign(ctx, NULL, &len, in, inlen) != 1 || len == 0) {
        goto cleanup;
    }
    buf = apr_palloc(p, len);
    if (EVP_DigestSign(ctx, buf, &len, in, inlen) != 1) {
        goto cleanup;
    }
    if (alg->kty == JOSE_KTY_EC) {
        raw = apr_palloc(p, alg->sig_len);
        if (!ecdsa_to_raw(raw, alg->sig_len, buf, len)) {
            goto cleanup;
        }
        buf = raw;
        len = alg->sig_len;
    }
    *sig = buf;
    *siglen = len;
    ok = 1;
cleanup:
    EVP_MD_CTX_free(ctx);
    return ok;
}

jwt_status_t jose_sig_sign(unsigned char **sig, size_t *siglen,
                           apr_pool_t *p, const jwk_t *key,
                           const jose_alg_info_t *alg,
                           const unsigned char *in, size_t inlen)
{
    unsigned char *buf;
    int ok;

    *sig = NULL;
    *siglen = 0;
    if (!key_fits(key, alg)) {
        return JWT_ERR_ALG;
    }
    if (alg->kty != JOSE_KTY_OCT && !key->is_private) {
        return JWT_ERR_NO_KEY;
    }
    if (in == NULL && inlen != 0) {
        return JWT_ERR_INTERNAL;
    }
    if (alg->kty == JOSE_KTY_OCT) {
        buf = apr_palloc(p, EVP_MAX_MD_SIZE);
        ok = hmac_compute(buf, siglen, key, alg, in, inlen);
        if (ok) {
            *sig = buf;
        }
    }
    else {
        ok = pkey_sign(sig, siglen, p, key, alg, in, inlen);
    }
    if (!ok) {
        char msg[256] = "unknown error";

        if (ERR_peek_last_error() != 0) {
            ERR_error_string_n(ERR_peek_last_error(), msg, sizeof(msg));
        }
        jose_log(3, "jws: %s signing failed: %s", alg->name, msg);
        ERR_clear_error();
        *siglen = 0;
        return JWT_ERR_INTERNAL;
    }
    return JWT_OK;
}

/* ---- compact serialization ---- */

/* The header members the checks read, whichever reader found them: each
 * absent (!present), a string (S, LEN bytes, NUL-terminated) or anything
 * else (present, S NULL). */
typedef struct {
    const char *s;
    size_t len;
    int present;
} hdr_val_t;

typedef struct {
    hdr_val_t alg, kid, typ, cty;
    int crit, jwe_only;
} hdr_t;

/* Note one member, KEY of KLEN bytes (compared over its full length, as
 * json_object_get would), its value the string S of SLEN bytes or, S
 * NULL, something else. */
static void hdr_member(hdr_t *h, const char *key, size_t klen,
                       const char *s, size_t slen)
{
    hdr_val_t *v = NULL;

    switch (klen) {
    case 3:
        if (JOSE_NAME_IS(key, klen, "alg")) {
            v = &h->alg;
        }
        else if (JOSE_NAME_IS(key, klen, "kid")) {
            v = &h->kid;
        }
        else if (JOSE_NAME_IS(key, klen, "typ")) {
            v = &h->typ;
        }
        else if (JOSE_NAME_IS(key, klen, "cty")) {
            v = &h->cty;
        }
        else if (JOSE_NAME_IS(key, klen, "b64")) {
            h->crit = 1;
        }
        else if (JOSE_NAME_IS(key, klen, "zip")
                 || JOSE_NAME_IS(key, klen, "enc")) {
            h->jwe_only = 1;
        }
        break;
    case 4:
        if (JOSE_NAME_IS(key, klen, "crit")) {
            h->crit = 1;
        }
        break;
    default:
        break;
    }
    if (v != NULL) {
        v->present = 1;
        v->s = s;
        v->len = s != NULL ? slen : 0;
    }
}

/* A header member that must be a string when present (D4). */
static jwt_status_t header_str(const char **out, const hdr_val_t *v)
{
    *out = v->s;
    return v->present && v->s == NULL ? JWT_ERR_HEADER : JWT_OK;
}

/* The header checks, in their order, over what hdr_member noted. */
static jwt_status_t hdr_check(jws_t *jws, const hdr_t *h)
{
    jwt_status_t st;

    /* RFC 7515 section 4.1.1: alg is required and compared byte for byte
     * over its full length; a missing or non-string alg is an alg
     * failure, like "none" (A1) */
    if (h->alg.s == NULL) {
        return JWT_ERR_ALG;
    }
    jws->alg_name = h->alg.s;
    jws->alg = jose_alg_lookup(h->alg.s, h->alg.len);
    /* a key-management alg in a 3-segment token is never a JWE (C1) */
    if (jws->alg == NULL || jws->alg->use != JOSE_USE_SIG) {
        jws->alg = NULL;
        return JWT_ERR_ALG;
    }
    /* RFC 7515 section 4.1.11: we implement no extension, so any crit
     * (well formed or not) names something we do not understand (D1);
     * b64 (RFC 7797) changes what is signed, so it is refused by design */
    if (h->crit) {
        return JWT_ERR_CRIT;
    }
    /* zip belongs to JWE only (RFC 7516 section 4.1.3, C7); enc in three
     * segments means the token claims to be what its framing is not */
    if (h->jwe_only) {
        return JWT_ERR_HEADER;
    }
    /* jku, x5u, jwk, x5c, x5t are never read (A3, A4) */
    if ((st = header_str(&jws->kid, &h->kid)) != JWT_OK
        || (st = header_str(&jws->typ, &h->typ)) != JWT_OK
        || (st = header_str(&jws->cty, &h->cty)) != JWT_OK) {
        return st;
    }
    if (jws->kid != NULL && h->kid.len > JWS_MAX_KID_LEN) {
        return JWT_ERR_HEADER;
    }
    return JWT_OK;
}

/* Members read without building a json_t; a header with more goes to
 * jansson. */
#define HDR_FLAT_MEMBERS 16

/* HBUF, the decoded header (changed in place), as one JSON object without
 * duplicate members, its members noted in *H (JWT_ERR_JSON otherwise).
 * The common header takes jose_json_members, and the strings stay in
 * HBUF; any other goes through jose_json_object, and the strings live in
 * its json_t, which P owns. */
static jwt_status_t read_header(hdr_t *h, apr_pool_t *p, char *hbuf,
                                size_t hbuflen)
{
    jose_member_t m[HDR_FLAT_MEMBERS];
    const char *key;
    size_t i, n, klen;
    json_t *hdr, *v;
    jwt_status_t st;

    memset(h, 0, sizeof(*h));
    if (jose_json_members(m, HDR_FLAT_MEMBERS, &n, hbuf, hbuflen)) {
        for (i = 0; i < n; i++) {
            hdr_member(h, m[i].key, m[i].klen, m[i].str, m[i].slen);
        }
        return JWT_OK;
    }
    if ((st = jose_json_object(&hdr, p, hbuf, hbuflen)) != JWT_OK) {
        return st;
    }
    json_object_keylen_foreach(hdr, key, klen, v) {
        if (json_is_string(v)) {
            hdr_member(h, key, klen, json_string_value(v),
                       json_string_length(v));
        }
        else {
            hdr_member(h, key, klen, NULL, 0);
        }
    }
    return JWT_OK;
}

jwt_status_t jws_parse(jws_t **out, apr_pool_t *p, const char *token,
                       size_t len)
{
    const char *d1, *d2, *seg;
    size_t hlen, plen, slen;
    unsigned char *hbuf;
    size_t hbuflen;
    hdr_t h;
    jws_t *jws;
    jwt_status_t st;

    *out = NULL;
    /* RFC 7515 section 7.1: exactly three segments (F3) */
    if (!jose_two_dots(token, len, &d1, &d2)) {
        return JWT_ERR_MALFORMED;
    }
    hlen = (size_t)(d1 - token);
    plen = (size_t)(d2 - d1 - 1);
    slen = len - (size_t)(d2 + 1 - token);
    if (hlen == 0) {
        return JWT_ERR_MALFORMED;
    }
    jws = apr_pcalloc(p, sizeof(*jws));
    if ((st = jose_b64url_decode(&hbuf, &hbuflen, p, token, hlen))
        != JWT_OK
        || (st = read_header(&h, p, (char *)hbuf, hbuflen)) != JWT_OK
        || (st = hdr_check(jws, &h)) != JWT_OK) {
        return st;
    }
    /* an empty payload is a valid JWS (RFC 7515 appendix F); jwt.c
     * refuses it as claims */
    seg = d1 + 1;
    if ((st = jose_b64url_decode(&jws->payload, &jws->payload_len, p, seg,
                                 plen)) != JWT_OK) {
        return st;
    }
    /* the unsecured "h.p." form (A1, B1) */
    if (slen == 0) {
        return JWT_ERR_SIGNATURE;
    }
    if ((st = jose_b64url_decode(&jws->sig, &jws->sig_len, p, d2 + 1,
                                 slen)) != JWT_OK) {
        return st;
    }
    /* RFC 7515 section 5.2 step 8: the bytes as received, never
     * re-encoded (F1) */
    jws->signing_input = token;
    jws->signing_input_len = (size_t)(d2 - token);
    *out = jws;
    return JWT_OK;
}

/* Exact bytes over the full length of both (A5, E3). */
static int same_str(const char *a, const char *b)
{
    size_t alen = strlen(a);

    return alen == strlen(b) && memcmp(a, b, alen) == 0;
}

/* May KEY verify JWS at all: the token's alg among what the key allows
 * (A2), the kid when both have one (A5: a lookup key and nothing else),
 * the issuer when the key is bound to one (AuthJWTVerifyKey iss=). */
static int key_candidate(const jwk_t *key, const jws_t *jws, const char *iss)
{
    if (!key_fits(key, jws->alg)) {
        return 0;
    }
    if (key->kid != NULL && jws->kid != NULL
        && !same_str(key->kid, jws->kid)) {
        return 0;
    }
    return key->iss == NULL || (iss != NULL && same_str(key->iss, iss));
}

int jws_select_keys(const jwk_t **out, const jws_t *jws,
                    const jwk_set_t *keys, const char *iss)
{
    int i, n = 0;

    if (jws == NULL || jws->alg == NULL || keys == NULL
        || keys->keys == NULL) {
        return 0;
    }
    /* The key named by the token's kid goes first, so that a kid always
     * reaches its key whatever else the set holds. */
    if (jws->kid != NULL) {
        for (i = 0; i < keys->keys->nelts; i++) {
            const jwk_t *key = APR_ARRAY_IDX(keys->keys, i, const jwk_t *);

            if (key->kid != NULL && key_candidate(key, jws, iss)) {
                out[n++] = key;
                break;
            }
        }
    }
    /* Then, in configuration order, the keys the kid did not rule out.
     * Each one costs a signature check, public-key ones ~0.05-1 ms, and
     * the token is the attacker's: no token, however it is forged, gets
     * more than JWS_MAX_VERIFY_KEYS of them (README "Security notes").
     * Two is enough for a key rollover without kids; more keys need kids. */
    for (i = 0; i < keys->keys->nelts && n < JWS_MAX_VERIFY_KEYS; i++) {
        const jwk_t *key = APR_ARRAY_IDX(keys->keys, i, const jwk_t *);

        if ((jws->kid == NULL || key->kid == NULL)
            && key_candidate(key, jws, iss)) {
            out[n++] = key;
        }
    }
    return n;
}

static int same_iss(const jwk_t *a, const jwk_t *b)
{
    return a->iss == NULL ? b->iss == NULL
                          : b->iss != NULL && same_str(a->iss, b->iss);
}

const jose_alg_info_t *jws_crowded_alg(const jwk_set_t *keys)
{
    int i, j, a;

    if (keys == NULL || keys->keys == NULL) {
        return NULL;
    }
    /* start-up only: quadratic in the keys of one location is fine */
    for (i = 0; i < keys->keys->nelts; i++) {
        const jwk_t *k = APR_ARRAY_IDX(keys->keys, i, const jwk_t *);

        if (k->kid != NULL || k->use != JOSE_USE_SIG) {
            continue;
        }
        for (a = 1; a < JOSE_ALG_COUNT; a++) {
            int n = 0;

            if (!JOSE_ALG_IN(k->algs, a)) {
                continue;
            }
            for (j = 0; j < keys->keys->nelts; j++) {
                const jwk_t *o = APR_ARRAY_IDX(keys->keys, j, const jwk_t *);

                n += o->kid == NULL && o->use == JOSE_USE_SIG
                     && JOSE_ALG_IN(o->algs, a) && same_iss(k, o);
            }
            if (n > JWS_MAX_VERIFY_KEYS) {
                return jose_alg_get((jose_alg_t)a);
            }
        }
    }
    return NULL;
}

jwt_status_t jws_verify(const jwk_t **used, const jws_t *jws,
                        const jwk_set_t *keys, const char *iss)
{
    const jwk_t *cand[JWS_MAX_VERIFY_KEYS];
    int i, n;

    if (used != NULL) {
        *used = NULL;
    }
    if (jws == NULL || jws->alg == NULL || jws->sig == NULL) {
        return JWT_ERR_INTERNAL;
    }
    if (keys == NULL || keys->keys == NULL) {
        return JWT_ERR_NO_KEY;
    }
    n = jws_select_keys(cand, jws, keys, iss);
    for (i = 0; i < n; i++) {
        if (jose_sig_verify(cand[i], jws->alg,
                            (const unsigned char *)jws->signing_input,
                            jws->signing_input_len, jws->sig, jws->sig_len)
            == JWT_OK) {
            if (used != NULL) {
                *used = cand[i];
            }
            return JWT_OK;
        }
    }
    return n > 0 ? JWT_ERR_SIGNATURE : JWT_ERR_NO_KEY;
}

jwt_status_t jws_sign(char **out, apr_pool_t *p, const jwk_t *key,
                      const jose_alg_info_t *alg, const char *kid,
                      json_t *extra, const unsigned char *payload,
                      size_t len)
{
    json_t *hdr = NULL;
    const char *name;
    json_t *v;
    char *hjson, *h64, *p64, *input, *s64;
    size_t hlen, inlen, siglen;
    unsigned char *sig;
    jwt_status_t st = JWT_ERR_INTERNAL;

    *out = NULL;
    if (!key_fits(key, alg)) {
        return JWT_ERR_ALG;
    }
    if ((payload == NULL && len != 0)
        || (extra != NULL && !json_is_object(extra))) {
        return JWT_ERR_INTERNAL;
    }
    if (kid == NULL) {
        kid = key->kid != NULL ? key->kid
              : key->thumbprint != NULL ? key->thumbprint
              : jwk_thumbprint(p, key);
    }
    hdr = json_object();
    if (hdr == NULL
        || json_object_set_new(hdr, "alg", json_string(alg->name)) != 0
        || (kid != NULL
            && json_object_set_new(hdr, "kid", json_string(kid)) != 0)) {
        goto cleanup;
    }
    if (extra != NULL) {
        json_object_foreach(extra, name, v) {
            /* the signer decides alg and kid, not the caller's extras */
            if (strcmp(name, "alg") == 0 || strcmp(name, "kid") == 0) {
                continue;
            }
            if (json_object_set(hdr, name, v) != 0) {
                goto cleanup;
            }
        }
    }
    hjson = jose_json_dump(p, hdr, &hlen);
    if (hjson == NULL) {
        goto cleanup;
    }
    h64 = jose_b64url_encode(p, (const unsigned char *)hjson, hlen);
    p64 = jose_b64url_encode(p, payload, len);
    if (h64 == NULL || p64 == NULL) {
        goto cleanup;
    }
    input = apr_pstrcat(p, h64, ".", p64, NULL);
    inlen = strlen(input);
    st = jose_sig_sign(&sig, &siglen, p, key, alg,
                       (const unsigned char *)input, inlen);
    if (st != JWT_OK) {
        goto cleanup;
    }
    s64 = jose_b64url_encode(p, sig, siglen);
    if (s64 == NULL) {
        st = JWT_ERR_INTERNAL;
        goto cleanup;
    }
    *out = apr_pstrcat(p, input, ".", s64, NULL);
    st = JWT_OK;
cleanup:
    json_decref(hdr);
    return st;
}
