/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwk.c: the one key loader (RFC 7517 JWK and JWK Set, RFC 7518 section 6
 * key parameters, RFC 8037 section 2 OKP keys, RFC 7638 thumbprints) and
 * the typing of every key at start-up.
 *
 * A key is typed once, here: its kty/curve decide the algorithms it could
 * ever serve (jose_algs_for_key), alg= and the JWK's own alg narrow that,
 * and nothing in a token can widen it again (RFC 8725 3.1, SECURITY.md A2).
 * Weak or damaged material is a start-up error, never a silent fallback:
 * RSA under 2048 bits, e = 1, ROCA moduli (B4, G), HMAC secrets shorter
 * than the hash (RFC 7518 3.2, A6), EC points off their curve, private
 * halves that do not match their public half, a JWK whose alg disagrees
 * with its kty/crv, duplicate kids (A5).  Inside a JWK Set, keys meant for
 * something else (another use, key_ops, an unknown kty/crv/alg) are skipped,
 * since identity providers publish mixed sets; a single key is refused.
 *
 * Keys are read-only after loading and shared between threads, so no
 * json_t is kept: JWK documents live in a scratch pool destroyed (and
 * wiped) before the loader returns.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "jose_b64.h"
#include "jose_util.h"
#include "jwk.h"
#include "jws.h"

/* Key files are small; a cap keeps a mistaken path (a log, a disk image)
 * from being read whole. */
#define JWK_MAX_FILE      (1024 * 1024)
/* A JWK Set larger than this is not a real identity provider's. */
#define JWK_MAX_KEYS      100
#define JWK_RSA_MIN_BITS  2048
/* OpenSSL refuses larger moduli when verifying (OPENSSL_RSA_MAX_MODULUS_BITS)
 * so such a key could never verify anything. */
#define JWK_RSA_MAX_BITS  16384

#define HINT_HMAC "generate one with `htjwt keygen oct` or " \
                  "`openssl rand -out FILE 64`"
#define HINT_RSA  "generate one with `htjwt keygen rsa` or `openssl " \
                  "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072`"

enum { RC_FAIL = -1, RC_OK = 0, RC_SKIP = 1 };

/* The curves of RFC 7518 6.2.1.1, RFC 8812 3.1 and RFC 8037 2: JWK crv,
 * OpenSSL group or key type, and the exact coordinate/key length. */
typedef struct {
    jose_kty_t kty;
    const char *crv;
    const char *ossl;
    int nid;
    size_t len;
} curve_t;

static const curve_t curves[] = {
    { JOSE_KTY_EC, "P-256", "prime256v1", NID_X9_62_prime256v1, 32 },
    { JOSE_KTY_EC, "P-384", "secp384r1", NID_secp384r1, 48 },
    { JOSE_KTY_EC, "P-521", "secp521r1", NID_secp521r1, 66 },
    { JOSE_KTY_EC, "secp256k1", "secp256k1", NID_secp256k1, 32 },
    { JOSE_KTY_OKP, "Ed25519", "ED25519", NID_ED25519, 32 },
    { JOSE_KTY_OKP, "Ed448", "ED448", NID_ED448, 57 },
    { JOSE_KTY_OKP, "X25519", "X25519", NID_X25519, 32 },
    { JOSE_KTY_OKP, "X448", "X448", NID_X448, 56 },
};
#define CURVE_COUNT (sizeof(curves) / sizeof(curves[0]))

/* RFC 7517 4.3 key_ops values this loader understands. */
enum {
    OP_SIGN = 1 << 0, OP_VERIFY = 1 << 1, OP_ENCRYPT = 1 << 2,
    OP_DECRYPT = 1 << 3, OP_WRAP = 1 << 4, OP_UNWRAP = 1 << 5,
    OP_DERIVE_KEY = 1 << 6, OP_DERIVE_BITS = 1 << 7
};

static const char *const op_names[] = {
    "sign", "verify", "encrypt", "decrypt", "wrapKey", "unwrapKey",
    "deriveKey", "deriveBits"
};
#define OP_COUNT (sizeof(op_names) / sizeof(op_names[0]))

/* What a JWK says about its own use (RFC 7517 4.2 to 4.5). */
typedef struct {
    const char *alg;
    const char *use;
    const char *kid;
    unsigned ops;
    int has_ops;
} jwk_meta_t;

/* ---- messages ---- */

static int say(int rc, const char **err, apr_pool_t *p, const char *fmt,
               ...) __attribute__((format(printf, 4, 5)));

static int say(int rc, const char **err, apr_pool_t *p, const char *fmt,
               ...)
{
    va_list ap;

    va_start(ap, fmt);
    *err = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    return rc;
}

#define FAIL(...) say(RC_FAIL, err, p, __VA_ARGS__)
#define SKIP(...) say(RC_SKIP, err, p, __VA_ARGS__)

/* Text from a key file (alg, kty, kid) quoted in a message: bounded and
 * without control characters, since remote sets reach the error log. */
static const char *shown(apr_pool_t *p, const char *s)
{
    size_t n = strlen(s), i, max = 48;
    char *o = apr_palloc(p, (n > max ? max : n) + 4);

    for (i = 0; i < n && i < max; i++) {
        unsigned char c = (unsigned char)s[i];

        o[i] = (c < 0x20 || c >= 0x7f || c == '"') ? '?' : (char)c;
    }
    if (n > max) {
        memcpy(o + i, "...", 3);
        i += 3;
    }
    o[i] = '\0';
    return o;
}

/* The most recent OpenSSL reason (never key material), queue cleared so
 * that it cannot surface in a later, unrelated call. */
static const char *ossl_why(apr_pool_t *p)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;
    const char *s = apr_pstrdup(p, r != NULL ? r : "no details");

    ERR_clear_error();
    return s;
}

static const char *alg_names(apr_pool_t *p, jose_alg_set_t set)
{
    const char *s = NULL;
    int i;

    for (i = 1; i < JOSE_ALG_COUNT; i++) {
        if (JOSE_ALG_IN(set, i)) {
            const char *n = jose_alg_get((jose_alg_t)i)->name;

            s = s == NULL ? n : apr_pstrcat(p, s, ", ", n, NULL);
        }
    }
    return s != NULL ? s : "none";
}

static const char *use_text(jose_use_t use)
{
    return use == JOSE_USE_ENC ? "encryption" : "signatures";
}

static const curve_t *curve_by_nid(int nid)
{
    size_t i;

    for (i = 0; i < CURVE_COUNT; i++) {
        if (curves[i].nid == nid) {
            return &curves[i];
        }
    }
    return NULL;
}

static const curve_t *curve_by_crv(jose_kty_t kty, const char *crv)
{
    size_t i;

    for (i = 0; i < CURVE_COUNT; i++) {
        if (curves[i].kty == kty && strcmp(curves[i].crv, crv) == 0) {
            return &curves[i];
        }
    }
    return NULL;
}

/* "RSA key", "EC P-256 key", "Ed25519 key", "HMAC secret". */
static const char *type_text(apr_pool_t *p, jose_kty_t kty, int nid,
                             jose_use_t use)
{
    const curve_t *c = curve_by_nid(nid);

    switch (kty) {
    case JOSE_KTY_RSA:
        return "RSA key";
    case JOSE_KTY_EC:
        return apr_pstrcat(p, "EC ", c ? c->crv : "", " key", NULL);
    case JOSE_KTY_OKP:
        return apr_pstrcat(p, c ? c->crv : "OKP", " key", NULL);
    case JOSE_KTY_OCT:
        return use == JOSE_USE_SIG ? "HMAC secret" : "AES key";
    default:
        return "key";
    }
}

/* Why a key type cannot serve a use at all, and what would. */
static const char *type_hint(jose_kty_t kty, int nid, jose_use_t use)
{
    if (kty == JOSE_KTY_OKP && use == JOSE_USE_ENC) {
        return "Ed25519/Ed448 keys only sign; ECDH-ES uses X25519 or X448";
    }
    if (kty == JOSE_KTY_OKP) {
        return "X25519/X448 keys only agree on keys (ECDH-ES); signatures "
               "use Ed25519 or Ed448";
    }
    if (kty == JOSE_KTY_EC && nid == NID_secp256k1) {
        return "secp256k1 only signs (ES256K); ECDH-ES uses P-256, P-384 "
               "or P-521";
    }
    return "use a key made for this purpose";
}

/* ---- JWK members ---- */

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

/* ---- can this key serve this use at all ---- */

/* Algorithms a key type could use, including those that are enabled only
 * when alg= names them (RSA1_5, PBES2-*, SECURITY.md C4, C6). */
static jose_alg_set_t possible_algs(jose_kty_t kty, int nid, jose_use_t use)
{
    jose_alg_set_t set = jose_algs_for_key(kty, nid, use);
    int i;

    for (i = 1; i < JOSE_ALG_COUNT; i++) {
        const jose_alg_info_t *a = jose_alg_get((jose_alg_t)i);

        if (a->explicit_only && a->kty == kty && a->use == use) {
            set |= JOSE_ALG_BIT(a->id);
        }
    }
    return set;
}

static unsigned wanted_ops(const jwk_load_opts_t *o)
{
    if (o->use == JOSE_USE_SIG) {
        return o->want_private ? OP_SIGN : OP_VERIFY;
    }
    return (o->want_private ? (OP_DECRYPT | OP_UNWRAP)
                            : (OP_ENCRYPT | OP_WRAP))
           | OP_DERIVE_KEY | OP_DERIVE_BITS;
}

/* RC_SKIP when the key is meant for something else: its use, key_ops or
 * alg say so, or its type cannot serve the use (RFC 7517 4.2, 4.3). */
static int usable(const jwk_meta_t *m, jose_kty_t kty, int nid,
                  const jwk_load_opts_t *o, apr_pool_t *p,
                  const char *where, const char **err)
{
    const char *want = o->use == JOSE_USE_ENC ? "enc" : "sig";
    const char *type = type_text(p, kty, nid, o->use);
    const jose_alg_info_t *a;

    if (m->use != NULL && strcmp(m->use, want) != 0) {
        return SKIP("The %s %s is marked \"use\":\"%s\" but is loaded for "
                    "%s (\"%s\"): use a key published for %s",
                    type, where, shown(p, m->use), use_text(o->use), want,
                    use_text(o->use));
    }
    if (m->has_ops && (m->ops & wanted_ops(o)) == 0) {
        return SKIP("The %s %s has key_ops without \"%s\", so it may not "
                    "be used for %s here (RFC 7517 4.3): use a key whose "
                    "key_ops allow it",
                    type, where,
                    o->use == JOSE_USE_SIG
                        ? (o->want_private ? "sign" : "verify")
                        : (o->want_private ? "decrypt" : "encrypt"),
                    use_text(o->use));
    }
    if (possible_algs(kty, nid, o->use) == 0) {
        return SKIP("The %s %s cannot be used for %s: %s",
                    type, where, use_text(o->use), type_hint(kty, nid,
                                                              o->use));
    }
    if (m->alg == NULL) {
        return RC_OK;
    }
    a = jose_alg_lookup(m->alg, strlen(m->alg));
    if (a == NULL) {
        /* an enc name marks a CEK for dir (RFC 7520 5.6 does this) */
        if (jose_enc_lookup(m->alg, strlen(m->alg)) != NULL
            && o->use == JOSE_USE_ENC && kty == JOSE_KTY_OCT) {
            return RC_OK;
        }
        if (jose_enc_lookup(m->alg, strlen(m->alg)) != NULL) {
            return SKIP("The %s %s has alg \"%s\", a content encryption "
                        "algorithm (enc), which marks a secret used "
                        "directly as the CEK (dir), not a key for %s: fix "
                        "the JWK's alg", type, where, shown(p, m->alg),
                        use_text(o->use));
        }
        return SKIP("The %s %s has alg \"%s\", which is not a JOSE "
                    "algorithm this module supports: fix the JWK's alg or "
                    "remove it", type, where, shown(p, m->alg));
    }
    if (a->use != o->use) {
        return SKIP("The %s %s has alg %s, which is for %s, but it is "
                    "loaded for %s: use a key made for %s",
                    type, where, a->name, use_text(a->use),
                    use_text(o->use), use_text(o->use));
    }
    return RC_OK;
}

/* ---- EVP_PKEY typing and hygiene ---- */

/* ROCA (CVE-2017-15361): Infineon moduli are 65537^a mod M plus a
 * multiple of M, so N mod p lies in the subgroup generated by 65537 for
 * every small prime p dividing M.  A random modulus passes all of these
 * tests with negligible probability. */
static int rsa_is_roca(const BIGNUM *n)
{
    static const unsigned short primes[] = {
        3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61,
        67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137,
        139, 149, 151, 157, 163, 167
    };
    size_t i;

    for (i = 0; i < sizeof(primes) / sizeof(primes[0]); i++) {
        unsigned long pr = primes[i], g = 65537 % pr, x = 1, r;
        BN_ULONG w = BN_mod_word(n, (BN_ULONG)pr);
        int found = 0;

        if (w == (BN_ULONG)-1) {
            return 0;
        }
        r = (unsigned long)w;
        do {
            if (x == r) {
                found = 1;
                break;
            }
            x = (x * g) % pr;
        } while (x != 1);
        if (!found) {
            return 0;
        }
    }
    return 1;
}

/* The private half must belong to the public half: a damaged d would
 * otherwise sign tokens nobody can verify.  Raw RSA both ways. */
static int rsa_pair_ok(EVP_PKEY *pkey, apr_pool_t *p)
{
    EVP_PKEY_CTX *ctx = NULL;
    size_t n = (size_t)EVP_PKEY_get_size(pkey), clen = n, mlen = n;
    unsigned char *m, *c, *back;
    int ok = 0;

    if (n < 32) {
        return 0;
    }
    m = apr_pcalloc(p, n);
    c = apr_palloc(p, n);
    back = apr_palloc(p, n);
    memset(m + n - 16, 0x5a, 16);   /* well below any modulus */
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (ctx == NULL
        || EVP_PKEY_encrypt_init(ctx) <= 0
        || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) <= 0
        || EVP_PKEY_encrypt(ctx, c, &clen, m, n) <= 0
        || EVP_PKEY_decrypt_init(ctx) <= 0
        || EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) <= 0
        || EVP_PKEY_decrypt(ctx, back, &mlen, c, clen) <= 0) {
        goto cleanup;
    }
    ok = mlen == n && CRYPTO_memcmp(back, m, n) == 0;

cleanup:
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}

static int rsa_check(jwk_t *k, apr_pool_t *p, EVP_PKEY *pkey,
                     const char *where, const char **err)
{
    BIGNUM *n = NULL, *e = NULL, *d = NULL;
    int bits = EVP_PKEY_get_bits(pkey), rc = RC_FAIL;

    if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n)
        || !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e)) {
        rc = FAIL("The RSA key %s has no modulus or exponent (%s): export "
                  "it again", where, ossl_why(p));
        goto cleanup;
    }
    k->is_private = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &d);
    ERR_clear_error();
    if (bits < JWK_RSA_MIN_BITS) {
        rc = FAIL("The RSA key %s is %d bits; at least %d are required "
                  "(RFC 7518 3.3): %s", where, bits, JWK_RSA_MIN_BITS,
                  HINT_RSA);
        goto cleanup;
    }
    if (bits > JWK_RSA_MAX_BITS) {
        rc = FAIL("The RSA key %s is %d bits; OpenSSL verifies at most %d: "
                  "use a 2048 to 4096-bit key", where, bits,
                  JWK_RSA_MAX_BITS);
        goto cleanup;
    }
    /* e = 1 makes the "signature" the message itself (Wycheproof
     * rejectsPublicExponent1); an even e or n is not an RSA key */
    if (!BN_is_odd(e) || BN_is_one(e) || !BN_is_odd(n)) {
        rc = FAIL("The RSA key %s has an invalid public exponent or modulus "
                  "(e must be odd and greater than 1, usually 65537): the "
                  "key is broken; %s", where, HINT_RSA);
        goto cleanup;
    }
    if (rsa_is_roca(n)) {
        rc = FAIL("The RSA key %s was made by the flawed Infineon library "
                  "(ROCA, CVE-2017-15361): its private key can be computed "
                  "from the public key; replace it (%s)", where, HINT_RSA);
        goto cleanup;
    }
    if (k->is_private && !rsa_pair_ok(pkey, p)) {
        rc = FAIL("The RSA private key %s does not match its own public "
                  "key (d, p, q or the CRT values are wrong): export it "
                  "again", where);
        goto cleanup;
    }
    rc = RC_OK;

cleanup:
    BN_free(n);
    BN_free(e);
    BN_clear_free(d);
    return rc;
}

static int ec_check(jwk_t *k, apr_pool_t *p, EVP_PKEY *pkey,
                    const char *where, const char **err)
{
    EVP_PKEY_CTX *ctx = NULL;
    BIGNUM *d = NULL;
    const curve_t *c;
    char group[64];
    int rc = RC_FAIL;

    if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                        group, sizeof(group), NULL)) {
        ERR_clear_error();
        return FAIL("The EC key %s has explicit curve parameters instead of "
                    "a named curve: export it with `openssl pkey -in FILE "
                    "-out NEW.pem` from a named-curve key (P-256, P-384, "
                    "P-521 or secp256k1)", where);
    }
    c = curve_by_nid(OBJ_sn2nid(group));
    if (c == NULL || c->kty != JOSE_KTY_EC) {
        return FAIL("The EC key %s is on curve %s; JOSE uses P-256, P-384, "
                    "P-521 or secp256k1: generate one with `openssl genpkey "
                    "-algorithm EC -pkeyopt ec_paramgen_curve:P-256`",
                    where, shown(p, group));
    }
    k->curve_nid = c->nid;
    k->is_private = EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY,
                                          &d);
    ERR_clear_error();
    ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    /* an off-curve point gives away the private key in ECDH (C3) and
     * never verifies anything: refuse it now */
    if (ctx == NULL || EVP_PKEY_public_check(ctx) != 1) {
        rc = FAIL("The EC public key %s is not a valid point on %s (%s): "
                  "the key is damaged; export it again", where, c->crv,
                  ossl_why(p));
        goto cleanup;
    }
    if (k->is_private && EVP_PKEY_pairwise_check(ctx) != 1) {
        rc = FAIL("The EC private key %s does not match its public point "
                  "(%s): export it again", where, ossl_why(p));
        goto cleanup;
    }
    rc = RC_OK;

cleanup:
    EVP_PKEY_CTX_free(ctx);
    BN_clear_free(d);
    return rc;
}

/* Type PKEY as a JOSE key and refuse weak or damaged material. */
static int pkey_inspect(jwk_t *k, apr_pool_t *p, EVP_PKEY *pkey,
                        const char *where, const char **err)
{
    size_t i, len = 0;

    k->pkey = pkey;
    if (EVP_PKEY_is_a(pkey, "RSA")) {
        k->kty = JOSE_KTY_RSA;
        return rsa_check(k, p, pkey, where, err);
    }
    if (EVP_PKEY_is_a(pkey, "EC")) {
        k->kty = JOSE_KTY_EC;
        return ec_check(k, p, pkey, where, err);
    }
    for (i = 0; i < CURVE_COUNT; i++) {
        if (curves[i].kty == JOSE_KTY_OKP
            && EVP_PKEY_is_a(pkey, curves[i].ossl)) {
            k->kty = JOSE_KTY_OKP;
            k->curve_nid = curves[i].nid;
            k->is_private = EVP_PKEY_get_raw_private_key(pkey, NULL, &len)
                            == 1;
            ERR_clear_error();
            return RC_OK;
        }
    }
    if (EVP_PKEY_is_a(pkey, "RSA-PSS")) {
        return FAIL("The key %s is an RSA-PSS-restricted key "
                    "(id-RSASSA-PSS); PS256/384/512 use plain RSA keys "
                    "(rsaEncryption): %s", where, HINT_RSA);
    }
    return FAIL("The key %s is a %s key; JOSE keys are RSA, EC (P-256, "
                "P-384, P-521, secp256k1), Ed25519, Ed448, X25519 or X448: "
                "use one of those", where,
                shown(p, EVP_PKEY_get0_type_name(pkey) != NULL
                         ? EVP_PKEY_get0_type_name(pkey) : "unknown"));
}

/* ---- algorithms ---- */

static int oct_lengths(jwk_t *k, apr_pool_t *p, int named,
                       const char *where, const char **err)
{
    size_t len = k->secret_len;
    jose_alg_set_t keep = 0;
    int i, j;

    for (i = 1; i < JOSE_ALG_COUNT; i++) {
        const jose_alg_info_t *a = jose_alg_get((jose_alg_t)i);
        int ok;

        if (!JOSE_ALG_IN(k->algs, i)) {
            continue;
        }
        if (a->use == JOSE_USE_SIG) {
            ok = len >= a->key_len;       /* RFC 7518 3.2 */
        }
        else if (a->id == JOSE_ALG_DIR) {
            ok = 0;                       /* RFC 7518 4.5: the key is a CEK */
            for (j = 1; j < JOSE_ENC_COUNT; j++) {
                ok |= jose_enc_get((jose_enc_t)j)->cek_len == len;
            }
        }
        else if (a->explicit_only) {
            ok = len > 0;                 /* PBES2: a password */
        }
        else {
            ok = len == a->key_len;       /* RFC 7518 4.4, 4.7 */
        }
        if (ok) {
            keep |= JOSE_ALG_BIT(i);
        }
        else if (named && a->use == JOSE_USE_SIG) {
            return FAIL("The HMAC secret %s is %" APR_SIZE_T_FMT " bytes; "
                        "%s needs at least %" APR_SIZE_T_FMT " (RFC 7518 "
                        "3.2): %s", where, len, a->name, a->key_len,
                        HINT_HMAC);
        }
        else if (named && a->id == JOSE_ALG_DIR) {
            return FAIL("The AES key %s is %" APR_SIZE_T_FMT " bytes; dir "
                        "uses the key as the CEK, which is 16, 24, 32, 48 "
                        "or 64 bytes (RFC 7518 5): generate one with "
                        "`openssl rand -out FILE 32`", where, len);
        }
        else if (named) {
            return FAIL("The AES key %s is %" APR_SIZE_T_FMT " bytes; %s "
                        "needs exactly %" APR_SIZE_T_FMT " (RFC 7518 4): "
                        "generate one with `openssl rand -out FILE %"
                        APR_SIZE_T_FMT "`", where, len, a->name, a->key_len,
                        a->key_len);
        }
    }
    if (keep == 0 && k->use == JOSE_USE_SIG) {
        return FAIL("The HMAC secret %s is %" APR_SIZE_T_FMT " bytes; HS256 "
                    "needs at least 32 (RFC 7518 3.2): %s", where, len,
                    HINT_HMAC);
    }
    if (keep == 0) {
        return FAIL("The AES key %s is %" APR_SIZE_T_FMT " bytes; A128KW "
                    "needs 16, A192KW 24, A256KW 32, dir 16 to 64 (RFC 7518 "
                    "4): generate one with `openssl rand -out FILE 32`",
                    where, len);
    }
    k->algs = keep;
    return RC_OK;
}

/* k->algs: what the key type can do, narrowed by alg= and by the JWK's
 * own alg (RFC 7517 4.4); never widened (SECURITY.md A2). */
static int key_algs(jwk_t *k, apr_pool_t *p, const jwk_meta_t *m,
                    const jwk_load_opts_t *o, int in_set, const char *where,
                    const char **err)
{
    jose_alg_set_t possible = possible_algs(k->kty, k->curve_nid, o->use);
    jose_alg_set_t allowed = jose_algs_for_key(k->kty, k->curve_nid, o->use);
    const char *type = type_text(p, k->kty, k->curve_nid, o->use);
    const jose_alg_info_t *a = NULL;
    const jose_enc_info_t *e = NULL;

    if (m->alg != NULL) {
        /* usable() has checked that it is known and of this use, or an
         * enc name on a secret for encryption, meaning dir */
        a = jose_alg_lookup(m->alg, strlen(m->alg));
        if (a == NULL) {
            e = jose_enc_lookup(m->alg, strlen(m->alg));
            a = jose_alg_get(JOSE_ALG_DIR);
            if (e->cek_len != k->secret_len) {
                return FAIL("The AES key %s says alg %s, so it is the CEK "
                            "itself (dir), which must be %" APR_SIZE_T_FMT
                            " bytes, but it is %" APR_SIZE_T_FMT ": fix the "
                            "JWK's alg or k", where, e->name, e->cek_len,
                            k->secret_len);
            }
        }
        if (!JOSE_ALG_IN(possible, a->id)) {
            return FAIL("The %s %s says alg %s, which needs an %s: fix "
                        "the JWK's alg (this key can use %s)", type, where,
                        a->name, type_text(p, a->kty, a->curve_nid, a->use),
                        alg_names(p, possible));
        }
    }
    if (o->algs != 0) {
        jose_alg_set_t bad = o->algs & ~possible;

        if (bad != 0 && !(in_set && (o->algs & possible) != 0)) {
            return say(in_set ? RC_SKIP : RC_FAIL, err, p,
                       "alg=%s cannot be used with the %s %s; it can use "
                       "%s: change alg= or use a matching key",
                       alg_names(p, bad), type, where,
                       alg_names(p, possible));
        }
        allowed = o->algs & possible;
    }
    if (a != NULL) {
        if (!JOSE_ALG_IN(allowed, a->id)) {
            if (a->explicit_only) {
                return say(in_set ? RC_SKIP : RC_FAIL, err, p,
                           "The %s %s is for %s, which is enabled only "
                           "when alg= names it (SECURITY.md C4, C6): add "
                           "alg=%s if you really need it",
                           type, where, a->name, a->name);
            }
            return say(in_set ? RC_SKIP : RC_FAIL, err, p,
                       "The %s %s is for alg %s, but alg= allows only %s: "
                       "change alg= or use another key", type, where,
                       a->name, alg_names(p, o->algs));
        }
        allowed = JOSE_ALG_BIT(a->id);
    }
    k->algs = allowed;
    if (k->kty == JOSE_KTY_OCT) {
        return oct_lengths(k, p, o->algs != 0 || a != NULL, where, err);
    }
    return RC_OK;
}

/* Everything after the key material: algorithms, private half, kid,
 * thumbprint. */
static int key_finish(jwk_t *k, apr_pool_t *p, const jwk_meta_t *m,
                      const jwk_load_opts_t *o, int in_set,
                      const char *where, const char *source,
                      const char **err)
{
    int rc;

    k->use = o->use;
    rc = usable(m, k->kty, k->curve_nid, o, p, where, err);
    if (rc == RC_OK) {
        rc = key_algs(k, p, m, o, in_set, where, err);
    }
    if (rc != RC_OK) {
        return rc;
    }
    if (o->want_private && !k->is_private) {
        return FAIL("The %s %s holds only the public half; %s needs the "
                    "private key: point the directive at the private key "
                    "file", type_text(p, k->kty, k->curve_nid, o->use),
                    where, o->use == JOSE_USE_SIG ? "signing"
                                                  : "decryption");
    }
    k->kid = m->kid != NULL ? apr_pstrdup(p, m->kid) : NULL;
    if (!in_set && o->kid != NULL) {
        k->kid = apr_pstrdup(p, o->kid);
    }
    k->iss = o->iss != NULL ? apr_pstrdup(p, o->iss) : NULL;
    k->source = apr_pstrdup(p, source);
    k->thumbprint = jwk_thumbprint(p, k);
    if (k->thumbprint == NULL) {
        return FAIL("The %s %s could not be exported for its RFC 7638 "
                    "thumbprint (%s)", type_text(p, k->kty, k->curve_nid,
                                                 o->use), where,
                    ossl_why(p));
    }
    return RC_OK;
}

static int secret_key(jwk_t **out, apr_pool_t *p, const unsigned char *s,
                      size_t len, const jwk_meta_t *m,
                      const jwk_load_opts_t *o, int in_set,
                      const char *where, const char *source,
                      const char **err)
{
    jwk_t *k = apr_pcalloc(p, sizeof(*k));
    unsigned char *copy = apr_palloc(p, len + 1);
    int rc;

    *out = NULL;
    if (len > 0) {
        memcpy(copy, s, len);
    }
    copy[len] = '\0';
    jose_wipe_on_cleanup(p, copy, len + 1);
    k->kty = JOSE_KTY_OCT;
    k->secret = copy;
    k->secret_len = len;
    k->is_private = 1;      /* a secret signs as well as it verifies */
    rc = key_finish(k, p, m, o, in_set, where, source, err);
    if (rc == RC_OK) {
        *out = k;
    }
    return rc;
}

/* PKEY is already owned by P. */
static int pkey_key(jwk_t **out, apr_pool_t *p, EVP_PKEY *pkey,
                    const jwk_meta_t *m, const jwk_load_opts_t *o,
                    int in_set, const char *where, const char *source,
                    const char **err)
{
    jwk_t *k = apr_pcalloc(p, sizeof(*k));
    int rc;

    *out = NULL;
    rc = pkey_inspect(k, p, pkey, where, err);
    if (rc == RC_OK) {
        rc = key_finish(k, p, m, o, in_set, where, source, err);
    }
    if (rc == RC_OK) {
        *out = k;
    }
    return rc;
}

/* ---- JWK to EVP_PKEY (RFC 7518 6.2, 6.3; RFC 8037 2) ---- */

static EVP_PKEY *from_params(const char *type, int selection,
                             OSSL_PARAM *params)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *pkey = NULL;

    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0
        || EVP_PKEY_fromdata(ctx, &pkey, selection, params) <= 0) {
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    return pkey;
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
    OSSL_PARAM *ps = NULL;
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
        /* private values live in OpenSSL's secure heap when it has one
         * and are cleared when the parameters are freed */
        bn[i] = i >= 2 ? BN_secure_new() : BN_new();
        if (bn[i] == NULL || BN_bin2bn(v, (int)len, bn[i]) == NULL
            || !OSSL_PARAM_BLD_push_BN(bld, params[i], bn[i])) {
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
    ps = OSSL_PARAM_BLD_to_param(bld);
    if (ps != NULL) {
        *out = from_params("RSA", bn[2] != NULL ? EVP_PKEY_KEYPAIR
                                                : EVP_PKEY_PUBLIC_KEY, ps);
    }
    if (*out == NULL) {
        rc = FAIL("The RSA key %s could not be built (%s): export it again",
                  where, ossl_why(p));
        goto cleanup;
    }
    rc = RC_OK;

cleanup:
    OSSL_PARAM_free(ps);
    OSSL_PARAM_BLD_free(bld);
    for (i = 0; i < 8; i++) {
        BN_clear_free(bn[i]);
    }
    return rc;
}

static int ec_from_jwk(EVP_PKEY **out, apr_pool_t *p, apr_pool_t *tmp,
                       const json_t *jwk, const curve_t *c,
                       const char *where, const char **err)
{
    unsigned char *x, *y, *d, *pub;
    size_t xl, yl, dl;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *ps = NULL;
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
    if (d != NULL) {
        bn = BN_secure_new();
        if (bn == NULL || BN_bin2bn(d, (int)dl, bn) == NULL
            || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn)) {
            rc = FAIL("Out of memory loading the EC key %s", where);
            goto cleanup;
        }
    }
    ps = OSSL_PARAM_BLD_to_param(bld);
    if (ps != NULL) {
        *out = from_params("EC", d != NULL ? EVP_PKEY_KEYPAIR
                                           : EVP_PKEY_PUBLIC_KEY, ps);
    }
    if (*out == NULL) {
        /* OpenSSL refuses a point that is not on the curve right here */
        rc = FAIL("The EC public key %s is not a valid point on %s (%s): "
                  "the key is damaged or its crv is wrong", where, c->crv,
                  ossl_why(p));
        goto cleanup;
    }
    rc = RC_OK;

cleanup:
    OSSL_PARAM_free(ps);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(bn);
    return rc;
}

static int okp_from_jwk(EVP_PKEY **out, apr_pool_t *p, apr_pool_t *tmp,
                        const json_t *jwk, const curve_t *c,
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
    pkey = from_params(c->ossl, d != NULL ? EVP_PKEY_KEYPAIR
                                          : EVP_PKEY_PUBLIC_KEY, ps);
    if (pkey == NULL) {
        return FAIL("The %s key %s could not be built (%s): export it "
                    "again", c->crv, where, ossl_why(p));
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

/* One JWK.  TMP holds decoded members (wiped when destroyed). */
static int parse_one(jwk_t **out, apr_pool_t *p, apr_pool_t *tmp,
                     const json_t *jwk, const jwk_load_opts_t *o,
                     int in_set, const char *where, const char *source,
                     const char **err)
{
    const curve_t *c = NULL;
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
                    "support (RSA, EC, OKP, oct)", where, shown(p, kty));
    }
    if (t == JOSE_KTY_EC || t == JOSE_KTY_OKP) {
        if (str_member(&crv, jwk, "crv") != RC_OK || crv == NULL) {
            return FAIL("The %s key %s has no \"crv\" string (RFC 7518 "
                        "6.2.1.1, RFC 8037 2): fix the JWK", kty, where);
        }
        c = curve_by_crv(t, crv);
        if (c == NULL) {
            return SKIP("The %s key %s is on curve \"%s\", which JOSE here "
                        "does not support (%s)", kty, where, shown(p, crv),
                        t == JOSE_KTY_EC
                            ? "P-256, P-384, P-521, secp256k1"
                            : "Ed25519, Ed448, X25519, X448");
        }
    }
    /* keys meant for something else are not judged further */
    rc = usable(&m, t, c != NULL ? c->nid : 0, o, p, where, err);
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
        return secret_key(out, p, k, klen, &m, o, in_set, where, source,
                          err);
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
    return pkey_key(out, p, pkey, &m, o, in_set, where, source, err);
}

/* ---- sets ---- */

jwk_set_t *jwk_set_make(apr_pool_t *p)
{
    jwk_set_t *set = apr_pcalloc(p, sizeof(*set));

    set->keys = apr_array_make(p, 4, sizeof(jwk_t *));
    return set;
}

int jwk_set_check(const jwk_set_t *set, const char **err)
{
    apr_pool_t *p;
    int i, j;

    if (set == NULL || set->keys == NULL) {
        return 0;
    }
    p = set->keys->pool;
    for (i = 0; i < set->keys->nelts; i++) {
        const jwk_t *a = APR_ARRAY_IDX(set->keys, i, const jwk_t *);

        for (j = i + 1; j < set->keys->nelts; j++) {
            const jwk_t *b = APR_ARRAY_IDX(set->keys, j, const jwk_t *);

            if (a->kid == NULL || b->kid == NULL || a->use != b->use
                || strcmp(a->kid, b->kid) != 0) {
                continue;
            }
            /* iss= on both sides keeps two issuers' keys apart */
            if (a->iss != NULL && b->iss != NULL
                && strcmp(a->iss, b->iss) != 0) {
                continue;
            }
            *err = apr_psprintf(p, "Two keys have kid \"%s\" (%s and %s); "
                                "a kid must select exactly one key "
                                "(SECURITY.md A5): give each key its own "
                                "kid= or remove one", shown(p, a->kid),
                                a->source, b->source);
            return -1;
        }
    }
    return 0;
}

/* Append ADD to SET if the union passes jwk_set_check; SET is unchanged
 * otherwise. */
static int set_commit(jwk_set_t *set, apr_pool_t *p,
                      const apr_array_header_t *add, const char **err)
{
    jwk_set_t all;

    all.keys = apr_array_copy(p, set->keys);
    apr_array_cat(all.keys, add);
    if (jwk_set_check(&all, err) != 0) {
        return RC_FAIL;
    }
    apr_array_cat(set->keys, add);
    return RC_OK;
}

/* The keys of a JWKS into ADD (not yet in any set). */
static int parse_set(apr_array_header_t *add, apr_pool_t *p,
                     apr_pool_t *tmp, const json_t *jwks,
                     const jwk_load_opts_t *o, const char *source,
                     const char **err)
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
        const char *kid = NULL, *where, *src;
        jwk_t *k;
        int rc;

        if (json_is_object(j)) {
            (void)str_member(&kid, j, "kid");
        }
        where = apr_psprintf(p, "#%d%s%s%s in %s", i + 1,
                             kid ? " (kid \"" : "", kid ? shown(p, kid) : "",
                             kid ? "\")" : "", source);
        src = apr_psprintf(p, "%s key #%d%s%s%s", source, i + 1,
                           kid ? " (kid \"" : "", kid ? shown(p, kid) : "",
                           kid ? "\")" : "");
        rc = parse_one(&k, p, tmp, j, o, 1, where, src, err);
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
                    use_text(o->use), why != NULL ? why : "");
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

/* NULL options: a verification key, everything derived from the key. */
static const jwk_load_opts_t *opts_or_default(const jwk_load_opts_t *o)
{
    static const jwk_load_opts_t dflt = { JOSE_USE_SIG, 0, 0, NULL, NULL,
                                          NULL };

    return o != NULL ? o : &dflt;
}

static apr_pool_t *scratch(apr_pool_t *p)
{
    apr_pool_t *tmp;

    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        return NULL;
    }
    return tmp;
}

int jwk_parse_json(jwk_t **out, apr_pool_t *p, json_t *jwk,
                   const jwk_load_opts_t *opts, const char *source,
                   const char **err)
{
    apr_pool_t *tmp = scratch(p);
    int rc;

    *out = NULL;
    if (tmp == NULL) {
        return FAIL("Out of memory loading %s", source);
    }
    rc = parse_one(out, p, tmp, jwk, opts_or_default(opts), 0,
                   apr_pstrcat(p, "in ", source, NULL), source, err);
    apr_pool_destroy(tmp);
    return rc == RC_OK ? 0 : -1;
}

int jwk_set_parse_json(jwk_set_t *set, apr_pool_t *p, json_t *jwks,
                       const jwk_load_opts_t *opts, const char *source,
                       const char **err)
{
    apr_array_header_t *add = apr_array_make(p, 4, sizeof(jwk_t *));
    apr_pool_t *tmp = scratch(p);
    int rc;

    if (tmp == NULL) {
        return FAIL("Out of memory loading %s", source);
    }
    rc = parse_set(add, p, tmp, jwks, opts_or_default(opts), source, err);
    apr_pool_destroy(tmp);
    if (rc == RC_OK) {
        rc = set_commit(set, p, add, err);
    }
    return rc == RC_OK ? 0 : -1;
}

int jwk_from_secret(jwk_t **out, apr_pool_t *p, const unsigned char *secret,
                    size_t len, const jwk_load_opts_t *opts,
                    const char *source, const char **err)
{
    jwk_meta_t m;

    memset(&m, 0, sizeof(m));
    return secret_key(out, p, secret, len, &m, opts_or_default(opts), 0,
                      apr_pstrcat(p, "in ", source, NULL), source, err)
           == RC_OK ? 0 : -1;
}

int jwk_from_pkey(jwk_t **out, apr_pool_t *p, EVP_PKEY *pkey,
                  const jwk_load_opts_t *opts, const char *source,
                  const char **err)
{
    jwk_meta_t m;

    *out = NULL;
    if (pkey == NULL) {
        return FAIL("No key was given for %s", source);
    }
    jose_pkey_pool_own(p, pkey);
    memset(&m, 0, sizeof(m));
    return pkey_key(out, p, pkey, &m, opts_or_default(opts), 0,
                    apr_pstrcat(p, "in ", source, NULL), source, err)
           == RC_OK ? 0 : -1;
}

/* ---- files ---- */

static int read_file(char **buf, size_t *len, apr_pool_t *p,
                     apr_pool_t *tmp, const char *path, const char **err)
{
    apr_finfo_t fi;
    apr_file_t *f;
    apr_size_t n = 0;
    apr_status_t rv;
    char ebuf[120];

    *buf = NULL;
    *len = 0;
    rv = apr_stat(&fi, path, APR_FINFO_TYPE | APR_FINFO_SIZE, tmp);
    if (rv != APR_SUCCESS) {
        return FAIL("Cannot read the key file %s (%s): check the path "
                    "(relative paths are under ServerRoot) and its "
                    "permissions", path, apr_strerror(rv, ebuf,
                                                     sizeof(ebuf)));
    }
    if (fi.filetype != APR_REG) {
        return FAIL("The key source %s is not a regular file: name the key "
                    "file itself", path);
    }
    if (fi.size > JWK_MAX_FILE) {
        return FAIL("The key file %s is larger than %d bytes, which no key "
                    "file is: check the path", path, JWK_MAX_FILE);
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, tmp);
    if (rv != APR_SUCCESS) {
        return FAIL("Cannot open the key file %s (%s): check its "
                    "permissions", path, apr_strerror(rv, ebuf,
                                                     sizeof(ebuf)));
    }
    /* one byte more than its size shows a file that grew meanwhile */
    *buf = apr_palloc(tmp, (apr_size_t)fi.size + 2);
    jose_wipe_on_cleanup(tmp, *buf, (apr_size_t)fi.size + 2);
    rv = apr_file_read_full(f, *buf, (apr_size_t)fi.size + 1, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return FAIL("Cannot read the key file %s (%s)", path,
                    apr_strerror(rv, ebuf, sizeof(ebuf)));
    }
    if (n > (apr_size_t)fi.size) {
        return FAIL("The key file %s changed while it was read: try again "
                    "once it is written", path);
    }
    (*buf)[n] = '\0';
    *len = n;
    return RC_OK;
}

static const char *skip_space(const char *s, const char *end)
{
    /* a UTF-8 byte order mark some editors write */
    if (end - s >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
        s += 3;
    }
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'
                       || *s == '\f' || *s == '\v')) {
        s++;
    }
    return s;
}

/* Refuse a key file used as an HMAC secret (SECURITY.md A2: a public key
 * in any encoding must never become an HMAC key). */
static int secret_looks_like_key(const char *buf, size_t len)
{
    const char *s = skip_space(buf, buf + len);
    size_t n = (size_t)(buf + len - s);
    static const char *const prefixes[] = {
        "-----BEGIN", "ssh-rsa ", "ssh-ed25519 ", "ssh-ed448 ",
        "ecdsa-sha2-", "sk-ssh-", "sk-ecdsa-"
    };
    json_error_t je;
    json_t *j;
    size_t i;

    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        if (n >= strlen(prefixes[i])
            && memcmp(s, prefixes[i], strlen(prefixes[i])) == 0) {
            return 1;
        }
    }
    if (n > 0 && *s == '{') {
        j = json_loadb(s, n, 0, &je);
        if (j != NULL) {
            json_decref(j);
            return 1;
        }
    }
    return 0;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;      /* never prompt: httpd has no terminal */
}

/* The first key or certificate of a PEM file (parameter blocks skipped). */
static int pem_pkey(EVP_PKEY **out, apr_pool_t *p, const char *buf,
                    size_t len, const char *path, const char **err)
{
    const char *end = buf + len, *s = buf, *block = NULL, *lend, *enc;
    char label[64];
    OSSL_DECODER_CTX *dctx = NULL;
    const unsigned char *dp;
    size_t dlen, llen = 0;
    X509 *x509 = NULL;
    BIO *bio = NULL;
    int rc = RC_FAIL;

    *out = NULL;
    for (;;) {
        s = strstr(s, "-----BEGIN ");
        if (s == NULL) {
            break;
        }
        lend = strstr(s + 11, "-----");
        if (lend == NULL || (size_t)(lend - (s + 11)) >= sizeof(label)) {
            break;
        }
        llen = (size_t)(lend - (s + 11));
        memcpy(label, s + 11, llen);
        label[llen] = '\0';
        /* openssl ecparam -genkey writes "EC PARAMETERS" first */
        if (llen < 10 || strcmp(label + llen - 10, "PARAMETERS") != 0) {
            block = s;
            break;
        }
        s = lend;
    }
    if (block == NULL) {
        return FAIL("%s has no PEM key or certificate block: convert it "
                    "to PEM (`openssl pkey -in FILE -out NEW.pem`)", path);
    }
    /* RFC 1421 4.6.1.1 headers mark a traditional encrypted key */
    enc = strstr(block, "Proc-Type: 4,ENCRYPTED");
    lend = strstr(block, "-----END");
    if (strcmp(label, "ENCRYPTED PRIVATE KEY") == 0
        || (enc != NULL && (lend == NULL || enc < lend))) {
        return FAIL("The private key in %s is encrypted with a passphrase, "
                    "which httpd cannot ask for: store it decrypted and "
                    "readable only by root (`openssl pkey -in FILE -out "
                    "NEW.pem`)", path);
    }
    if (strcmp(label, "OPENSSH PRIVATE KEY") == 0) {
        return FAIL("%s is an OpenSSH private key: convert it to PEM "
                    "(`ssh-keygen -p -m PEM -f COPY`, or make a new key with "
                    "`htjwt keygen`)", path);
    }
    bio = BIO_new_mem_buf(block, (int)(end - block));
    if (bio == NULL) {
        return FAIL("Out of memory reading %s", path);
    }
    if (strcmp(label, "CERTIFICATE") == 0
        || strcmp(label, "X509 CERTIFICATE") == 0
        || strcmp(label, "TRUSTED CERTIFICATE") == 0) {
        /* only the subject public key: the certificate's validity and
         * chain are not what this key is trusted for */
        x509 = label[0] == 'T'
               ? PEM_read_bio_X509_AUX(bio, NULL, no_passphrase, NULL)
               : PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
        *out = x509 != NULL ? X509_get_pubkey(x509) : NULL;
    }
    else if (strcmp(label, "PUBLIC KEY") == 0) {
        *out = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
    }
    else if (strcmp(label, "RSA PUBLIC KEY") == 0) {
        /* PKCS#1 RSAPublicKey (RFC 8017 A.1.1) */
        dp = (const unsigned char *)block;
        dlen = (size_t)(end - block);
        dctx = OSSL_DECODER_CTX_new_for_pkey(out, "PEM", NULL, "RSA",
                                             EVP_PKEY_PUBLIC_KEY, NULL,
                                             NULL);
        if (dctx == NULL || !OSSL_DECODER_from_data(dctx, &dp, &dlen)) {
            *out = NULL;
        }
    }
    else if (llen >= 11 && strcmp(label + llen - 11, "PRIVATE KEY") == 0) {
        *out = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    }
    else {
        rc = FAIL("%s starts with a PEM \"%s\" block, which is not a key or "
                  "certificate: use a PUBLIC KEY, PRIVATE KEY or "
                  "CERTIFICATE PEM file", path, shown(p, label));
        goto cleanup;
    }
    if (*out == NULL) {
        rc = FAIL("The PEM %s in %s could not be read (%s): check that the "
                  "file is complete and not damaged", shown(p, label), path,
                  ossl_why(p));
        goto cleanup;
    }
    rc = RC_OK;

cleanup:
    OSSL_DECODER_CTX_free(dctx);
    X509_free(x509);
    BIO_free(bio);
    ERR_clear_error();
    return rc;
}

static int load_json(jwk_set_t *set, apr_pool_t *p, apr_pool_t *tmp,
                     const char *buf, size_t len,
                     const jwk_load_opts_t *o, const char *path,
                     const char **err)
{
    apr_array_header_t *add = apr_array_make(p, 4, sizeof(jwk_t *));
    json_t *doc;
    jwk_t *k;
    int rc;

    if (jose_json_object(&doc, tmp, buf, len) != JWT_OK) {
        return FAIL("%s is not a valid JSON object (syntax error, a "
                    "duplicate member or a NUL in a string): check it with "
                    "`python3 -m json.tool FILE`", path);
    }
    if (json_object_get(doc, "keys") != NULL) {
        rc = parse_set(add, p, tmp, doc, o, path, err);
    }
    else {
        rc = parse_one(&k, p, tmp, doc, o, 0,
                       apr_pstrcat(p, "in ", path, NULL), path, err);
        if (rc == RC_OK) {
            APR_ARRAY_PUSH(add, jwk_t *) = k;
        }
    }
    if (rc != RC_OK) {
        return RC_FAIL;
    }
    return set_commit(set, p, add, err);
}

int jwk_load(jwk_set_t *set, apr_pool_t *p, const char *source,
             const jwk_load_opts_t *opts, const char **err)
{
    apr_array_header_t *add = apr_array_make(p, 1, sizeof(jwk_t *));
    const char *path, *s;
    char *merged;
    apr_pool_t *tmp = NULL;
    EVP_PKEY *pkey;
    size_t len;
    char *buf;
    jwk_t *k;
    int rc = RC_FAIL, secret = 0;

    opts = opts_or_default(opts);
    if (source == NULL || source[0] == '\0') {
        return FAIL("No key source given: name a PEM, JWK or JWK Set file, "
                    "or secret:FILE");
    }
    if (strncmp(source, "https://", 8) == 0
        || strncmp(source, "http://", 7) == 0) {
        return FAIL("%s: remote key sets are not supported here; name a "
                    "local PEM, JWK or JWK Set file", source);
    }
    path = source;
    if (strncmp(source, "secret:", 7) == 0) {
        secret = 1;
        path = source + 7;
        if (path[0] == '\0') {
            return FAIL("secret: needs a file name (secret:/path/to/file): "
                        "%s", HINT_HMAC);
        }
    }
    if (opts->base_dir != NULL) {
        if (apr_filepath_merge(&merged, opts->base_dir, path, 0, p)
            != APR_SUCCESS) {
            return FAIL("Cannot resolve the key path %s under %s", path,
                        opts->base_dir);
        }
        path = merged;
    }
    tmp = scratch(p);
    if (tmp == NULL) {
        return FAIL("Out of memory loading %s", path);
    }
    if (read_file(&buf, &len, p, tmp, path, err) != RC_OK) {
        goto cleanup;
    }
    if (secret) {
        /* exactly one line end, as `echo` or an editor leaves it */
        if (len >= 2 && buf[len - 2] == '\r' && buf[len - 1] == '\n') {
            len -= 2;
        }
        else if (len >= 1 && buf[len - 1] == '\n') {
            len -= 1;
        }
        if (secret_looks_like_key(buf, len)) {
            rc = FAIL("%s holds a key (PEM, JSON or OpenSSH), not an HMAC "
                      "secret; a key is never used as a secret (SECURITY.md "
                      "A2): drop the secret: prefix to load it as a key, or "
                      "%s", path, HINT_HMAC);
            goto cleanup;
        }
        rc = jwk_from_secret(&k, p, (const unsigned char *)buf, len, opts,
                             path, err) == 0 ? RC_OK : RC_FAIL;
        if (rc == RC_OK) {
            APR_ARRAY_PUSH(add, jwk_t *) = k;
            rc = set_commit(set, p, add, err);
        }
        goto cleanup;
    }
    s = skip_space(buf, buf + len);
    if (s < buf + len && *s == '{') {
        rc = load_json(set, p, tmp, s, (size_t)(buf + len - s), opts, path,
                       err);
        goto cleanup;
    }
    if (strstr(s, "-----BEGIN ") == NULL) {
        rc = FAIL("%s is neither a PEM file nor a JSON JWK/JWK Set%s: "
                  "convert it (`openssl pkey -inform DER -in FILE -out "
                  "NEW.pem`), or use secret:%s for an HMAC secret", path,
                  len == 0 ? " (it is empty)" : "", path);
        goto cleanup;
    }
    if (pem_pkey(&pkey, p, s, (size_t)(buf + len - s), path, err)
        != RC_OK) {
        goto cleanup;
    }
    rc = jwk_from_pkey(&k, p, pkey, opts, path, err) == 0 ? RC_OK
                                                          : RC_FAIL;
    if (rc == RC_OK) {
        APR_ARRAY_PUSH(add, jwk_t *) = k;
        rc = set_commit(set, p, add, err);
    }

cleanup:
    apr_pool_destroy(tmp);
    return rc == RC_OK ? 0 : -1;
}

/* ---- export: thumbprint and JWK ---- */

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
    s = jose_b64url_encode(p, b, n);
    OPENSSL_cleanse(b, n);
    if (secret && s != NULL) {
        jose_wipe_on_cleanup(p, s, strlen(s));
    }
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
    s = jose_b64url_encode(p, b, n);
    OPENSSL_cleanse(b, sizeof(b));
    if (secret && s != NULL) {
        jose_wipe_on_cleanup(p, s, strlen(s));
    }
    return s;
}

/* The public members (RFC 7518 6.2.1, 6.3.1, RFC 8037 2), coordinates at
 * full field width (RFC 7638 3.2 relies on it).  For a secret, k. */
static int pub_members(const char **a, const char **b, apr_pool_t *p,
                       const jwk_t *key)
{
    const curve_t *c = curve_by_nid(key->curve_nid);

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
        *a = jose_b64url_encode(p, key->secret, key->secret_len);
        if (*a != NULL) {
            jose_wipe_on_cleanup(p, (void *)*a, strlen(*a));
        }
        return *a != NULL;
    default:
        return 0;
    }
}

const char *jwk_thumbprint(apr_pool_t *p, const jwk_t *key)
{
    const curve_t *c;
    const char *a, *b, *json;
    unsigned char md[32];
    unsigned int mdlen = 0;
    apr_pool_t *tmp = scratch(p);
    const char *out = NULL;

    if (key == NULL || tmp == NULL) {
        return NULL;
    }
    c = curve_by_nid(key->curve_nid);
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
    const curve_t *c;
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
    c = curve_by_nid(key->curve_nid);
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
