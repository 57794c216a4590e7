/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwk.c: the typing of every key at start-up (RFC 7517 4.2 to 4.5: use,
 * key_ops, alg, kid; RFC 7518 3.2 and 4: secret lengths), key sets, and
 * the messages of the key loader.  Reading keys is in jwk_import.c (JWK
 * JSON), jwk_pkey.c (EVP_PKEY hygiene) and jwk_file.c (key files); writing
 * them in jwk_export.c.
 *
 * A key is typed once, here: its kty/curve decide the algorithms it could
 * ever serve (jose_algs_for_key), alg= and the JWK's own alg narrow that,
 * and nothing in a token can widen it again (RFC 8725 3.1, doc/attacks.md A2).
 * HMAC secrets shorter than the hash (RFC 7518 3.2, A6), a JWK whose alg
 * disagrees with its kty/crv and duplicate kids (A5) are start-up errors,
 * never a silent fallback.  Inside a JWK Set, keys meant for something
 * else (another use, key_ops, an unknown kty/crv/alg) are skipped, since
 * identity providers publish mixed sets; a single key is refused.
 *
 * Keys are read-only after loading and shared between threads.
 */

#include <stdarg.h>
#include <string.h>
#include <apr_strings.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include "jose_sig.h"
#include "jose_util.h"
#include "jwk.h"
#include "jwk_int.h"

const jwk_curve_t jwk_curves[] = {
    { JOSE_KTY_EC, "P-256", "prime256v1", NID_X9_62_prime256v1, 32 },
    { JOSE_KTY_EC, "P-384", "secp384r1", NID_secp384r1, 48 },
    { JOSE_KTY_EC, "P-521", "secp521r1", NID_secp521r1, 66 },
    { JOSE_KTY_EC, "secp256k1", "secp256k1", NID_secp256k1, 32 },
    { JOSE_KTY_OKP, "Ed25519", "ED25519", NID_ED25519, 32 },
    { JOSE_KTY_OKP, "Ed448", "ED448", NID_ED448, 57 },
    { JOSE_KTY_OKP, "X25519", "X25519", NID_X25519, 32 },
    { JOSE_KTY_OKP, "X448", "X448", NID_X448, 56 },
};
const size_t jwk_curve_count = sizeof(jwk_curves) / sizeof(jwk_curves[0]);

/* ---- messages ---- */

int jwk_say(int rc, const char **err, apr_pool_t *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    *err = apr_pvsprintf(p, fmt, ap);
    va_end(ap);
    return rc;
}

const char *jwk_shown(apr_pool_t *p, const char *s)
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

const char *jwk_ossl_why(apr_pool_t *p)
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

const char *jwk_use_text(jose_use_t use)
{
    return use == JOSE_USE_ENC ? "encryption" : "signatures";
}

const jwk_curve_t *jwk_curve_by_nid(int nid)
{
    size_t i;

    for (i = 0; i < jwk_curve_count; i++) {
        if (jwk_curves[i].nid == nid) {
            return &jwk_curves[i];
        }
    }
    return NULL;
}

const jwk_curve_t *jwk_curve_by_crv(jose_kty_t kty, const char *crv)
{
    size_t i;

    for (i = 0; i < jwk_curve_count; i++) {
        if (jwk_curves[i].kty == kty
            && strcmp(jwk_curves[i].crv, crv) == 0) {
            return &jwk_curves[i];
        }
    }
    return NULL;
}

/* "RSA key", "EC P-256 key", "Ed25519 key", "HMAC secret". */
static const char *type_text(apr_pool_t *p, jose_kty_t kty, int nid,
                             jose_use_t use)
{
    const jwk_curve_t *c = jwk_curve_by_nid(nid);

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

/* ---- can this key serve this use at all ---- */

/* Algorithms a key type could use, including those that are enabled only
 * when alg= names them (RSA1_5, PBES2-*, doc/attacks.md C4, C6). */
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

int jwk_usable(const jwk_meta_t *m, jose_kty_t kty, int nid,
               const jwk_load_opts_t *o, apr_pool_t *p, const char *where,
               const char **err)
{
    const char *want = o->use == JOSE_USE_ENC ? "enc" : "sig";
    const char *type = type_text(p, kty, nid, o->use);
    const jose_alg_info_t *a;

    if (m->use != NULL && strcmp(m->use, want) != 0) {
        return SKIP("The %s %s is marked \"use\":\"%s\" but is loaded for "
                    "%s (\"%s\"): use a key published for %s",
                    type, where, jwk_shown(p, m->use), jwk_use_text(o->use),
                    want, jwk_use_text(o->use));
    }
    if (m->has_ops && (m->ops & wanted_ops(o)) == 0) {
        return SKIP("The %s %s has key_ops without \"%s\", so it may not "
                    "be used for %s here (RFC 7517 4.3): use a key whose "
                    "key_ops allow it",
                    type, where,
                    o->use == JOSE_USE_SIG
                        ? (o->want_private ? "sign" : "verify")
                        : (o->want_private ? "decrypt" : "encrypt"),
                    jwk_use_text(o->use));
    }
    if (possible_algs(kty, nid, o->use) == 0) {
        return SKIP("The %s %s cannot be used for %s: %s",
                    type, where, jwk_use_text(o->use),
                    type_hint(kty, nid, o->use));
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
                        "the JWK's alg", type, where, jwk_shown(p, m->alg),
                        jwk_use_text(o->use));
        }
        return SKIP("The %s %s has alg \"%s\", which is not a JOSE "
                    "algorithm this module supports: fix the JWK's alg or "
                    "remove it", type, where, jwk_shown(p, m->alg));
    }
    if (a->use != o->use) {
        return SKIP("The %s %s has alg %s, which is for %s, but it is "
                    "loaded for %s: use a key made for %s",
                    type, where, a->name, jwk_use_text(a->use),
                    jwk_use_text(o->use), jwk_use_text(o->use));
    }
    return RC_OK;
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

/* A mismatch with alg= skips a member of a set and fails a single key. */
#define FAIL_OR_SKIP(...) \
    jwk_say(in_set ? RC_SKIP : RC_FAIL, err, p, __VA_ARGS__)

/* k->algs: what the key type can do, narrowed by alg= and by the JWK's
 * own alg (RFC 7517 4.4); never widened (doc/attacks.md A2). */
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
        /* jwk_usable() has checked that it is known and of this use, or
         * an enc name on a secret for encryption, meaning dir */
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
            return FAIL_OR_SKIP("alg=%s cannot be used with the %s %s; it "
                                "can use %s: change alg= or use a matching "
                                "key", alg_names(p, bad), type, where,
                                alg_names(p, possible));
        }
        allowed = o->algs & possible;
    }
    if (a != NULL) {
        if (!JOSE_ALG_IN(allowed, a->id)) {
            if (a->explicit_only) {
                return FAIL_OR_SKIP("The %s %s is for %s, which is enabled "
                                    "only when alg= names it (a padding "
                                    "oracle or a CPU cost an attacker "
                                    "chooses): add alg=%s if you really "
                                    "need it", type, where, a->name,
                                    a->name);
            }
            return FAIL_OR_SKIP("The %s %s is for alg %s, but alg= allows "
                                "only %s: change alg= or use another key",
                                type, where, a->name,
                                alg_names(p, o->algs));
        }
        allowed = JOSE_ALG_BIT(a->id);
    }
    k->algs = allowed;
    if (k->kty == JOSE_KTY_OCT) {
        return oct_lengths(k, p, o->algs != 0 || a != NULL, where, err);
    }
    return RC_OK;
}

/* RFC 7518 4.5: with dir the key is the CEK, so enc= must name an enc of
 * the key's length; a dir key no enc= fits would never decrypt. */
static int dir_encs(jwk_t *k, apr_pool_t *p, const jwk_load_opts_t *o,
                    const char *where, const char **err)
{
    int j;

    if (k->encs == 0 || !JOSE_ALG_IN(k->algs, JOSE_ALG_DIR)) {
        return RC_OK;
    }
    for (j = 1; j < JOSE_ENC_COUNT; j++) {
        if (JOSE_ENC_IN(k->encs, j)
            && jose_enc_get((jose_enc_t)j)->cek_len == k->secret_len) {
            return RC_OK;
        }
    }
    if (JOSE_ALG_IN(o->algs, JOSE_ALG_DIR)
        || k->algs == JOSE_ALG_BIT(JOSE_ALG_DIR)) {
        return FAIL("The AES key %s is %" APR_SIZE_T_FMT " bytes, but dir "
                    "uses the key as the CEK and no enc= value has a CEK of "
                    "that length (A128GCM 16, A192GCM 24, A256GCM and "
                    "A128CBC-HS256 32, A192CBC-HS384 48, A256CBC-HS512 64): "
                    "change enc= or the key", where, k->secret_len);
    }
    k->algs &= ~JOSE_ALG_BIT(JOSE_ALG_DIR);
    return RC_OK;
}

/* Everything after the key material: algorithms, private half, kid,
 * thumbprint.  *OUT is K on success. */
static int key_finish(jwk_t **out, jwk_t *k, apr_pool_t *p,
                      const jwk_meta_t *m, const jwk_load_opts_t *o,
                      int in_set, const char *where, const char *source,
                      const char **err)
{
    int rc;

    *out = NULL;
    k->use = o->use;
    rc = jwk_usable(m, k->kty, k->curve_nid, o, p, where, err);
    if (rc == RC_OK) {
        rc = key_algs(k, p, m, o, in_set, where, err);
    }
    if (rc != RC_OK) {
        return rc;
    }
    if (o->encs != 0 && o->use != JOSE_USE_ENC) {
        return FAIL("enc= applies only to decryption and encryption keys, "
                    "not to the %s %s", type_text(p, k->kty, k->curve_nid,
                                                  o->use), where);
    }
    k->encs = o->encs;
    if ((rc = dir_encs(k, p, o, where, err)) != RC_OK) {
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
                    jwk_ossl_why(p));
    }
    /* the per-key verification contexts, once, here: not per request */
    jose_sig_prepare(k, p);
    *out = k;
    return RC_OK;
}

int jwk_secret_key(jwk_t **out, apr_pool_t *p, const unsigned char *s,
                   size_t len, const jwk_meta_t *m, const jwk_load_opts_t *o,
                   int in_set, const char *where, const char *source,
                   const char **err)
{
    jwk_t *k = apr_pcalloc(p, sizeof(*k));
    unsigned char *copy = apr_palloc(p, len + 1);

    if (len > 0) {
        memcpy(copy, s, len);
    }
    copy[len] = '\0';
    jose_wipe_on_cleanup(p, copy, len + 1);
    k->kty = JOSE_KTY_OCT;
    k->secret = copy;
    k->secret_len = len;
    k->is_private = 1;      /* a secret signs as well as it verifies */
    return key_finish(out, k, p, m, o, in_set, where, source, err);
}

int jwk_pkey_key(jwk_t **out, apr_pool_t *p, EVP_PKEY *pkey,
                 const jwk_meta_t *m, const jwk_load_opts_t *o, int in_set,
                 const char *where, const char *source, const char **err)
{
    jwk_t *k = apr_pcalloc(p, sizeof(*k));
    int rc;

    *out = NULL;
    rc = jwk_pkey_inspect(k, p, pkey, where, err);
    if (rc != RC_OK) {
        return rc;
    }
    return key_finish(out, k, p, m, o, in_set, where, source, err);
}

/* ---- sets ---- */

jwk_set_t *jwk_set_make(apr_pool_t *p)
{
    jwk_set_t *set = apr_pcalloc(p, sizeof(*set));

    set->keys = apr_array_make(p, 4, sizeof(jwk_t *));
    return set;
}

int jwk_set_size(const jwk_set_t *set)
{
    return set != NULL && set->keys != NULL ? set->keys->nelts : 0;
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
                                "a kid must select exactly one key: give "
                                "each key its own kid= or remove one",
                                jwk_shown(p, a->kid),
                                a->source, b->source);
            return -1;
        }
    }
    return 0;
}

int jwk_set_commit(jwk_set_t *set, apr_pool_t *p,
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

const jwk_load_opts_t *jwk_opts_or_default(const jwk_load_opts_t *o)
{
    static const jwk_load_opts_t dflt = { JOSE_USE_SIG, 0, 0, 0, NULL,
                                          NULL, NULL };

    return o != NULL ? o : &dflt;
}

apr_pool_t *jwk_scratch(apr_pool_t *p)
{
    apr_pool_t *tmp;

    if (apr_pool_create(&tmp, p) != APR_SUCCESS) {
        return NULL;
    }
    return tmp;
}

int jwk_from_secret(jwk_t **out, apr_pool_t *p, const unsigned char *secret,
                    size_t len, const jwk_load_opts_t *opts,
                    const char *source, const char **err)
{
    jwk_meta_t m;

    memset(&m, 0, sizeof(m));
    return jwk_secret_key(out, p, secret, len, &m, jwk_opts_or_default(opts),
                          0, apr_pstrcat(p, "in ", source, NULL), source,
                          err) == RC_OK ? 0 : -1;
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
    return jwk_pkey_key(out, p, pkey, &m, jwk_opts_or_default(opts), 0,
                        apr_pstrcat(p, "in ", source, NULL), source, err)
           == RC_OK ? 0 : -1;
}
