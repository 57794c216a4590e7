/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * fuzz_jwk.c: the key loader on arbitrary JSON (RFC 7517 sections 4-5, RFC
 * 7518 section 6, RFC 8037 section 2, RFC 7638): the bytes are read as the
 * loader reads a JWK or JWK Set file (jose_json_object), then given to
 * jwk_parse_json and jwk_set_parse_json for both uses, as a verification or
 * encryption key (public) and as a signing or decryption key (private, with
 * alg=, kid= and iss= as a directive would give them).
 *
 * Properties, beyond the sanitizers, for every key accepted (doc/attacks.md
 * A2, A6, B4, G): it may use only algorithms of its use, type, curve and
 * length, never one that alg= does not name, never RSA1_5 or PBES2 unless
 * named; RSA keys have at least 2048 bits; a private key was asked for
 * gets one; the set has no duplicate kid; a failure comes with a message;
 * the public JWK holds no private member and loads again to the same RFC
 * 7638 thumbprint and no algorithm the key did not have, as does the
 * private JWK.
 */

#include <string.h>
#include <openssl/obj_mac.h>
#include "jose_util.h"
#include "fuzz_common.h"

typedef struct {
    jose_use_t use;
    int want_private;
    const char *algs;
    const char *kid;
    const char *iss;
} cfg_t;

/* AuthJWTVerifyKey, AuthJWTDecryptKey, an issuer's signing key with every
 * option, and an encryption recipient named with alg= */
static const cfg_t cfgs[] = {
    { JOSE_USE_SIG, 0, NULL, NULL, NULL },
    { JOSE_USE_ENC, 1, NULL, NULL, NULL },
    { JOSE_USE_SIG, 1, "RS256,PS384,ES256,ES512,EdDSA,HS256,HS512",
      "fuzz-kid", FZ_ISSUER },
    { JOSE_USE_ENC, 0, "RSA-OAEP-256,RSA1_5,ECDH-ES+A128KW,ECDH-ES,A128KW,"
      "A256GCMKW,dir,PBES2-HS256+A128KW", NULL, NULL },
};

static jwk_load_opts_t opts[sizeof(cfgs) / sizeof(cfgs[0])];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    size_t i;

    (void)argc;
    (void)argv;
    fz_init(0);
    for (i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
        const char *s = cfgs[i].algs;

        memset(&opts[i], 0, sizeof(opts[i]));
        opts[i].use = cfgs[i].use;
        opts[i].want_private = cfgs[i].want_private;
        opts[i].kid = cfgs[i].kid;
        opts[i].iss = cfgs[i].iss;
        while (s != NULL && *s != '\0') {
            const char *e = strchr(s, ',');
            size_t n = e != NULL ? (size_t)(e - s) : strlen(s);
            const jose_alg_info_t *a = jose_alg_lookup(s, n);

            FZ_ASSERT(a != NULL);
            opts[i].algs |= JOSE_ALG_BIT(a->id);
            s = e != NULL ? e + 1 : NULL;
        }
    }
    return 0;
}

static int is_ecdh(jose_alg_t id)
{
    return id == JOSE_ALG_ECDH_ES || id == JOSE_ALG_ECDH_ES_A128KW
           || id == JOSE_ALG_ECDH_ES_A192KW || id == JOSE_ALG_ECDH_ES_A256KW;
}

/* May KEY use A at all, by type, curve and length? */
static void check_alg(const jwk_t *k, const jose_alg_info_t *a)
{
    int i, ok;

    FZ_ASSERT(a != NULL && a->use == k->use);
    if (is_ecdh(a->id)) {
        FZ_ASSERT((k->kty == JOSE_KTY_EC
                   && (k->curve_nid == NID_X9_62_prime256v1
                       || k->curve_nid == NID_secp384r1
                       || k->curve_nid == NID_secp521r1))
                  || (k->kty == JOSE_KTY_OKP
                      && (k->curve_nid == NID_X25519
                          || k->curve_nid == NID_X448)));
        return;
    }
    FZ_ASSERT(a->kty == k->kty);
    FZ_ASSERT(a->curve_nid == 0 || a->curve_nid == k->curve_nid);
    if (a->id == JOSE_ALG_EDDSA) {
        FZ_ASSERT(k->curve_nid == NID_ED25519 || k->curve_nid == NID_ED448);
    }
    if (k->kty != JOSE_KTY_OCT) {
        FZ_ASSERT(k->pkey != NULL && k->secret == NULL);
        return;
    }
    FZ_ASSERT(k->pkey == NULL && k->secret != NULL && k->is_private);
    if (a->use == JOSE_USE_SIG) {
        /* RFC 7518 3.2 (A6) */
        FZ_ASSERT(k->secret_len >= a->key_len);
    }
    else if (a->id == JOSE_ALG_DIR) {
        for (i = 1, ok = 0; i < JOSE_ENC_COUNT; i++) {
            ok |= jose_enc_get((jose_enc_t)i)->cek_len == k->secret_len;
        }
        FZ_ASSERT(ok);
    }
    else if (a->explicit_only) {
        FZ_ASSERT(k->secret_len > 0);
    }
    else {
        FZ_ASSERT(k->secret_len == a->key_len);
    }
}

/* Load J, an export of K, again as a single key for what K may do (made
 * public when PUBLIC): same type, same thumbprint, no new algorithm. */
static void reload(apr_pool_t *p, const jwk_t *k, json_t *j,
                   const jwk_load_opts_t *o, int public)
{
    jwk_load_opts_t again = *o;
    const char *err = NULL;
    jwk_t *k2 = NULL;

    again.want_private = public ? 0 : o->want_private;
    again.algs = k->algs;
    again.kid = NULL;
    again.iss = NULL;
    if (jwk_parse_json(&k2, p, j, &again, "fuzz export", &err) != 0) {
        fz_fail("the %s JWK of an accepted key does not load again: %s",
                public ? "public" : "private", err != NULL ? err : "?");
    }
    FZ_ASSERT(k2->kty == k->kty && k2->curve_nid == k->curve_nid);
    FZ_ASSERT(strcmp(k2->thumbprint, k->thumbprint) == 0);
    /* the published alg may narrow a signing key to the one it signs
     * with; nothing may widen it */
    if (k2->algs == 0 || (k2->algs & ~k->algs) != 0) {
        fz_fail("reloaded %s JWK: algs %llx, was %llx", public ? "public"
                : "private", (unsigned long long)k2->algs,
                (unsigned long long)k->algs);
    }
    FZ_ASSERT(k2->is_private == (public ? 0 : k->is_private)
              || k->kty == JOSE_KTY_OCT);
}

static void check_key(apr_pool_t *p, const jwk_t *k, const jwk_load_opts_t *o)
{
    static const char *const private_members[] = {
        "d", "p", "q", "dp", "dq", "qi", "oth", "k"
    };
    const char *tp;
    json_t *pub, *priv;
    size_t i;
    int a;

    FZ_ASSERT(k != NULL && k->use == o->use && k->algs != 0);
    FZ_ASSERT(!o->want_private || k->is_private);
    FZ_ASSERT(k->kid == NULL || strlen(k->kid) <= JWS_MAX_KID_LEN);
    for (a = 1; a < JOSE_ALG_COUNT; a++) {
        const jose_alg_info_t *info = jose_alg_get((jose_alg_t)a);

        if (!JOSE_ALG_IN(k->algs, a)) {
            continue;
        }
        check_alg(k, info);
        /* alg= narrows, never widens (A2); RSA1_5 and PBES2 only named */
        FZ_ASSERT(o->algs == 0 || JOSE_ALG_IN(o->algs, a));
        FZ_ASSERT(!info->explicit_only || JOSE_ALG_IN(o->algs, a));
    }
    if (k->kty == JOSE_KTY_RSA) {
        FZ_ASSERT(EVP_PKEY_get_bits(k->pkey) >= 2048);
    }
    FZ_ASSERT(k->thumbprint != NULL);
    tp = jwk_thumbprint(p, k);
    FZ_ASSERT(tp != NULL && strcmp(tp, k->thumbprint) == 0);
    (void)jwk_default_sign_alg(k);

    pub = jwk_public_json(k);
    FZ_ASSERT((pub == NULL) == (k->kty == JOSE_KTY_OCT));
    if (pub != NULL) {
        jose_json_pool_own(p, pub);
        for (i = 0; i < sizeof(private_members) / sizeof(private_members[0]);
             i++) {
            FZ_ASSERT(json_object_get(pub, private_members[i]) == NULL);
        }
        reload(p, k, pub, o, 1);
    }
    priv = jwk_private_json(k);
    FZ_ASSERT((priv != NULL) == (k->is_private != 0));
    if (priv != NULL) {
        jose_json_pool_own(p, priv);
        reload(p, k, priv, o, 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fz_pool();
    json_t *doc;
    size_t i;

    if (jose_json_object(&doc, p, data, size) != JWT_OK) {
        fz_input_done();
        return 0;
    }
    for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        const char *err = NULL;
        jwk_set_t *set = jwk_set_make(p);
        jwk_t *k = NULL;
        int j;

        if (jwk_parse_json(&k, p, doc, &opts[i], "fuzz", &err) == 0) {
            check_key(p, k, &opts[i]);
        }
        else {
            FZ_ASSERT(err != NULL && k == NULL);
        }
        err = NULL;
        if (jwk_set_parse_json(set, p, doc, &opts[i], "fuzz", &err) == 0) {
            FZ_ASSERT(set->keys->nelts > 0);
            FZ_ASSERT(jwk_set_check(set, &err) == 0);
            for (j = 0; j < set->keys->nelts; j++) {
                check_key(p, APR_ARRAY_IDX(set->keys, j, const jwk_t *),
                          &opts[i]);
            }
        }
        else {
            FZ_ASSERT(err != NULL && set->keys->nelts == 0);
        }
    }
    fz_input_done();
    return 0;
}
