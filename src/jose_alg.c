/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jose_alg.c: the algorithm table (RFC 7518 sections 3.1, 4.1, 5.1 and
 * RFC 8037 section 3.1).  Names compare byte for byte with their full length
 * (RFC 7515 section 4.1.1: case-sensitive), so "none", "None", "hs256" or
 * "HS256 " are simply not found.
 */

#include <string.h>
#include <openssl/obj_mac.h>
#include "jose_alg.h"

#define SIG JOSE_USE_SIG
#define ENC JOSE_USE_ENC

static const jose_alg_info_t alg_table[] = {
    { JOSE_ALG_UNKNOWN, NULL, 0, JOSE_KTY_NONE, NULL, 0, 0, 0, 0 },
    /* RFC 7518 3.2: the secret is at least as long as the hash output */
    { JOSE_ALG_HS256, "HS256", SIG, JOSE_KTY_OCT, "SHA256", 0, 32, 32, 0 },
    { JOSE_ALG_HS384, "HS384", SIG, JOSE_KTY_OCT, "SHA384", 0, 48, 48, 0 },
    { JOSE_ALG_HS512, "HS512", SIG, JOSE_KTY_OCT, "SHA512", 0, 64, 64, 0 },
    /* RFC 7518 3.3 / 3.5: signature length is the modulus length */
    { JOSE_ALG_RS256, "RS256", SIG, JOSE_KTY_RSA, "SHA256", 0, 0, 0, 0 },
    { JOSE_ALG_RS384, "RS384", SIG, JOSE_KTY_RSA, "SHA384", 0, 0, 0, 0 },
    { JOSE_ALG_RS512, "RS512", SIG, JOSE_KTY_RSA, "SHA512", 0, 0, 0, 0 },
    { JOSE_ALG_PS256, "PS256", SIG, JOSE_KTY_RSA, "SHA256", 0, 0, 0, 0 },
    { JOSE_ALG_PS384, "PS384", SIG, JOSE_KTY_RSA, "SHA384", 0, 0, 0, 0 },
    { JOSE_ALG_PS512, "PS512", SIG, JOSE_KTY_RSA, "SHA512", 0, 0, 0, 0 },
    /* RFC 7518 3.4: R||S, each the size of the group order */
    { JOSE_ALG_ES256, "ES256", SIG, JOSE_KTY_EC, "SHA256",
      NID_X9_62_prime256v1, 64, 0, 0 },
    { JOSE_ALG_ES384, "ES384", SIG, JOSE_KTY_EC, "SHA384",
      NID_secp384r1, 96, 0, 0 },
    { JOSE_ALG_ES512, "ES512", SIG, JOSE_KTY_EC, "SHA512",
      NID_secp521r1, 132, 0, 0 },
    /* RFC 8812 3.2 */
    { JOSE_ALG_ES256K, "ES256K", SIG, JOSE_KTY_EC, "SHA256",
      NID_secp256k1, 64, 0, 0 },
    /* RFC 8037 3.1: Ed25519 64 bytes, Ed448 114 bytes, from the key */
    { JOSE_ALG_EDDSA, "EdDSA", SIG, JOSE_KTY_OKP, NULL, 0, 0, 0, 0 },
    /* RFC 7518 4.2: RSA1_5 only when named (Bleichenbacher, C4) */
    { JOSE_ALG_RSA1_5, "RSA1_5", ENC, JOSE_KTY_RSA, NULL, 0, 0, 0, 1 },
    { JOSE_ALG_RSA_OAEP, "RSA-OAEP", ENC, JOSE_KTY_RSA, "SHA1", 0, 0, 0, 0 },
    { JOSE_ALG_RSA_OAEP_256, "RSA-OAEP-256", ENC, JOSE_KTY_RSA, "SHA256",
      0, 0, 0, 0 },
    /* RFC 7518 4.4: AES key wrap, exact key sizes */
    { JOSE_ALG_A128KW, "A128KW", ENC, JOSE_KTY_OCT, NULL, 0, 0, 16, 0 },
    { JOSE_ALG_A192KW, "A192KW", ENC, JOSE_KTY_OCT, NULL, 0, 0, 24, 0 },
    { JOSE_ALG_A256KW, "A256KW", ENC, JOSE_KTY_OCT, NULL, 0, 0, 32, 0 },
    /* RFC 7518 4.5: the key is the CEK; its length is checked against enc */
    { JOSE_ALG_DIR, "dir", ENC, JOSE_KTY_OCT, NULL, 0, 0, 0, 0 },
    /* RFC 7518 4.6: curve from the recipient key, Concat KDF on SHA-256 */
    { JOSE_ALG_ECDH_ES, "ECDH-ES", ENC, JOSE_KTY_EC, "SHA256", 0, 0, 0, 0 },
    { JOSE_ALG_ECDH_ES_A128KW, "ECDH-ES+A128KW", ENC, JOSE_KTY_EC, "SHA256",
      0, 0, 16, 0 },
    { JOSE_ALG_ECDH_ES_A192KW, "ECDH-ES+A192KW", ENC, JOSE_KTY_EC, "SHA256",
      0, 0, 24, 0 },
    { JOSE_ALG_ECDH_ES_A256KW, "ECDH-ES+A256KW", ENC, JOSE_KTY_EC, "SHA256",
      0, 0, 32, 0 },
    /* RFC 7518 4.7 */
    { JOSE_ALG_A128GCMKW, "A128GCMKW", ENC, JOSE_KTY_OCT, NULL, 0, 0, 16, 0 },
    { JOSE_ALG_A192GCMKW, "A192GCMKW", ENC, JOSE_KTY_OCT, NULL, 0, 0, 24, 0 },
    { JOSE_ALG_A256GCMKW, "A256GCMKW", ENC, JOSE_KTY_OCT, NULL, 0, 0, 32, 0 },
    /* RFC 7518 4.8: only when named, p2c capped (C6) */
    { JOSE_ALG_PBES2_HS256_A128KW, "PBES2-HS256+A128KW", ENC, JOSE_KTY_OCT,
      "SHA256", 0, 0, 16, 1 },
    { JOSE_ALG_PBES2_HS384_A192KW, "PBES2-HS384+A192KW", ENC, JOSE_KTY_OCT,
      "SHA384", 0, 0, 24, 1 },
    { JOSE_ALG_PBES2_HS512_A256KW, "PBES2-HS512+A256KW", ENC, JOSE_KTY_OCT,
      "SHA512", 0, 0, 32, 1 },
};

_Static_assert(sizeof(alg_table) / sizeof(alg_table[0]) == JOSE_ALG_COUNT,
               "jose_alg.c: one row per jose_alg_t value");
_Static_assert(JOSE_ALG_COUNT <= 64, "jose_alg_set_t holds every algorithm");

static const jose_enc_info_t enc_table[] = {
    { JOSE_ENC_UNKNOWN, NULL, 0, 0, 0, NULL },
    /* RFC 7518 5.2.3-5.2.5: CEK = MAC_KEY || ENC_KEY, tag = half the HMAC */
    { JOSE_ENC_A128CBC_HS256, "A128CBC-HS256", 32, 16, 16, "SHA256" },
    { JOSE_ENC_A192CBC_HS384, "A192CBC-HS384", 48, 16, 24, "SHA384" },
    { JOSE_ENC_A256CBC_HS512, "A256CBC-HS512", 64, 16, 32, "SHA512" },
    /* RFC 7518 5.3: 96-bit IV, 128-bit tag, nothing shorter (C8) */
    { JOSE_ENC_A128GCM, "A128GCM", 16, 12, 16, NULL },
    { JOSE_ENC_A192GCM, "A192GCM", 24, 12, 16, NULL },
    { JOSE_ENC_A256GCM, "A256GCM", 32, 12, 16, NULL },
};

_Static_assert(sizeof(enc_table) / sizeof(enc_table[0]) == JOSE_ENC_COUNT,
               "jose_alg.c: one row per jose_enc_t value");

static int name_is(const char *name, const char *s, size_t len)
{
    return name != NULL && strlen(name) == len && memcmp(name, s, len) == 0;
}

const jose_alg_info_t *jose_alg_lookup(const char *name, size_t len)
{
    int i;

    for (i = 1; i < JOSE_ALG_COUNT; i++) {
        if (name_is(alg_table[i].name, name, len)) {
            return &alg_table[i];
        }
    }
    return NULL;
}

const jose_enc_info_t *jose_enc_lookup(const char *name, size_t len)
{
    int i;

    for (i = 1; i < JOSE_ENC_COUNT; i++) {
        if (name_is(enc_table[i].name, name, len)) {
            return &enc_table[i];
        }
    }
    return NULL;
}

/* One walk over "a,b,c" for both lists: LOOKUP gives the bit of a name,
 * 0 when the name is not allowed. */
static int set_parse(uint64_t *out, const char *list,
                     uint64_t (*lookup)(const char *, size_t, jose_use_t),
                     jose_use_t use, const char **bad, size_t *badlen)
{
    const char *c = list;
    uint64_t set = 0;

    if (list == NULL) {
        return -1;
    }
    for (;;) {
        const char *end = strchr(c, ',');
        size_t n = end != NULL ? (size_t)(end - c) : strlen(c);
        uint64_t bit = n > 0 ? lookup(c, n, use) : 0;

        if (bit == 0) {
            if (bad != NULL) {
                *bad = c;
            }
            if (badlen != NULL) {
                *badlen = n;
            }
            return -1;
        }
        set |= bit;
        if (end == NULL) {
            break;
        }
        c = end + 1;
    }
    *out = set;
    return 0;
}

static uint64_t alg_bit(const char *name, size_t len, jose_use_t use)
{
    const jose_alg_info_t *a = jose_alg_lookup(name, len);

    return a != NULL && a->use == use ? JOSE_ALG_BIT(a->id) : 0;
}

static uint64_t enc_bit(const char *name, size_t len, jose_use_t use)
{
    const jose_enc_info_t *e = jose_enc_lookup(name, len);

    (void)use;
    return e != NULL ? JOSE_ENC_BIT(e->id) : 0;
}

int jose_alg_set_parse(jose_alg_set_t *out, const char *list,
                       jose_use_t use, const char **bad, size_t *badlen)
{
    uint64_t set;

    if (set_parse(&set, list, alg_bit, use, bad, badlen) != 0) {
        return -1;
    }
    *out = (jose_alg_set_t)set;
    return 0;
}

int jose_enc_set_parse(jose_enc_set_t *out, const char *list,
                       const char **bad, size_t *badlen)
{
    uint64_t set;

    if (set_parse(&set, list, enc_bit, JOSE_USE_ENC, bad, badlen) != 0) {
        return -1;
    }
    *out = (jose_enc_set_t)set;
    return 0;
}

const jose_alg_info_t *jose_alg_get(jose_alg_t id)
{
    if (id <= JOSE_ALG_UNKNOWN || id >= JOSE_ALG_COUNT) {
        return NULL;
    }
    return &alg_table[id];
}

const jose_enc_info_t *jose_enc_get(jose_enc_t id)
{
    if (id <= JOSE_ENC_UNKNOWN || id >= JOSE_ENC_COUNT) {
        return NULL;
    }
    return &enc_table[id];
}

static int okp_can(int curve_nid, jose_use_t use)
{
    if (use == JOSE_USE_SIG) {
        return curve_nid == NID_ED25519 || curve_nid == NID_ED448;
    }
    return curve_nid == NID_X25519 || curve_nid == NID_X448;
}

jose_alg_set_t jose_algs_for_key(jose_kty_t kty, int curve_nid,
                                 jose_use_t use)
{
    jose_alg_set_t set = 0;
    int i;

    for (i = 1; i < JOSE_ALG_COUNT; i++) {
        const jose_alg_info_t *a = &alg_table[i];

        if (a->use != use || a->kty != kty || a->explicit_only) {
            continue;
        }
        if (kty == JOSE_KTY_EC && use == JOSE_USE_SIG
            && a->curve_nid != curve_nid) {
            continue;
        }
        if (kty == JOSE_KTY_EC && use == JOSE_USE_ENC
            && curve_nid != NID_X9_62_prime256v1
            && curve_nid != NID_secp384r1 && curve_nid != NID_secp521r1) {
            continue;
        }
        if (kty == JOSE_KTY_OKP && !okp_can(curve_nid, use)) {
            continue;
        }
        set |= JOSE_ALG_BIT(a->id);
    }
    /* ECDH-ES over X25519/X448 (RFC 8037 3.2): OKP keys use the EC rows */
    if (kty == JOSE_KTY_OKP && use == JOSE_USE_ENC
        && okp_can(curve_nid, use)) {
        set = JOSE_ALG_BIT(JOSE_ALG_ECDH_ES)
              | JOSE_ALG_BIT(JOSE_ALG_ECDH_ES_A128KW)
              | JOSE_ALG_BIT(JOSE_ALG_ECDH_ES_A192KW)
              | JOSE_ALG_BIT(JOSE_ALG_ECDH_ES_A256KW);
    }
    return set;
}
