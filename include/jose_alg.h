/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jose_alg.h: the one table of JOSE algorithms (RFC 7518 section 3, 4 and 5,
 * RFC 8037 section 3).
 *
 * Every algorithm the project knows has one row: its registered name, the
 * key type it needs, the digest, the curve, the signature length and whether
 * it must be named explicitly to be enabled (RSA1_5, PBES2).  Callers
 * dispatch on the row, never on if/else chains of names.  "none" is not in
 * the table, so it can never be looked up.
 */

#ifndef JOSE_ALG_H
#define JOSE_ALG_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    JOSE_KTY_NONE = 0,
    JOSE_KTY_OCT,     /* HMAC secret or AES key */
    JOSE_KTY_RSA,
    JOSE_KTY_EC,
    JOSE_KTY_OKP      /* Ed25519, Ed448, X25519, X448 (RFC 8037) */
} jose_kty_t;

typedef enum {
    JOSE_USE_SIG = 1,
    JOSE_USE_ENC = 2
} jose_use_t;

typedef enum {
    JOSE_ALG_UNKNOWN = 0,
    /* JWS, RFC 7518 section 3 and RFC 8037 */
    JOSE_ALG_HS256, JOSE_ALG_HS384, JOSE_ALG_HS512,
    JOSE_ALG_RS256, JOSE_ALG_RS384, JOSE_ALG_RS512,
    JOSE_ALG_PS256, JOSE_ALG_PS384, JOSE_ALG_PS512,
    JOSE_ALG_ES256, JOSE_ALG_ES384, JOSE_ALG_ES512,
    JOSE_ALG_ES256K,
    JOSE_ALG_EDDSA,
    /* JWE key management, RFC 7518 section 4 */
    JOSE_ALG_RSA1_5, JOSE_ALG_RSA_OAEP, JOSE_ALG_RSA_OAEP_256,
    JOSE_ALG_A128KW, JOSE_ALG_A192KW, JOSE_ALG_A256KW,
    JOSE_ALG_DIR,
    JOSE_ALG_ECDH_ES,
    JOSE_ALG_ECDH_ES_A128KW, JOSE_ALG_ECDH_ES_A192KW, JOSE_ALG_ECDH_ES_A256KW,
    JOSE_ALG_A128GCMKW, JOSE_ALG_A192GCMKW, JOSE_ALG_A256GCMKW,
    JOSE_ALG_PBES2_HS256_A128KW, JOSE_ALG_PBES2_HS384_A192KW,
    JOSE_ALG_PBES2_HS512_A256KW,
    JOSE_ALG_COUNT
} jose_alg_t;

typedef enum {
    JOSE_ENC_UNKNOWN = 0,
    JOSE_ENC_A128CBC_HS256, JOSE_ENC_A192CBC_HS384, JOSE_ENC_A256CBC_HS512,
    JOSE_ENC_A128GCM, JOSE_ENC_A192GCM, JOSE_ENC_A256GCM,
    JOSE_ENC_COUNT
} jose_enc_t;

/* A set of algorithms: bit (1 << jose_alg_t). */
typedef uint64_t jose_alg_set_t;
#define JOSE_ALG_BIT(a)          ((jose_alg_set_t)1 << (a))
#define JOSE_ALG_IN(set, a)      (((set) & JOSE_ALG_BIT(a)) != 0)

/* A set of content-encryption algorithms: bit (1 << jose_enc_t). */
typedef uint32_t jose_enc_set_t;
#define JOSE_ENC_BIT(e)          ((jose_enc_set_t)1 << (e))
#define JOSE_ENC_IN(set, e)      (((set) & JOSE_ENC_BIT(e)) != 0)

typedef struct {
    jose_alg_t id;
    const char *name;       /* registered name, compared byte for byte   */
    jose_use_t use;         /* signature or key management              */
    jose_kty_t kty;         /* key type it needs                        */
    const char *digest;     /* OpenSSL digest name, NULL for EdDSA/AES  */
    int curve_nid;          /* EC: the only curve allowed; 0 otherwise  */
    size_t sig_len;         /* exact JWS signature length; 0 = key size */
    size_t key_len;         /* oct: minimum (HMAC) or exact (AES) bytes */
    unsigned explicit_only:1; /* RSA1_5, PBES2-*: only when named       */
} jose_alg_info_t;

typedef struct {
    jose_enc_t id;
    const char *name;
    size_t cek_len;         /* whole CEK: MAC key || ENC key for CBC-HS */
    size_t iv_len;          /* 16 for CBC, 12 for GCM                   */
    size_t tag_len;         /* 16/24/32 for CBC-HS, 16 for GCM          */
    const char *digest;     /* HMAC digest for CBC-HS, NULL for GCM     */
} jose_enc_info_t;

/* Look up a name exactly (length-checked, case-sensitive).  NULL when
 * unknown; "none" is always unknown. */
const jose_alg_info_t *jose_alg_lookup(const char *name, size_t len);
const jose_enc_info_t *jose_enc_lookup(const char *name, size_t len);

/* A comma-separated list of names (the alg= and enc= options of the key
 * directives and htjwt), each looked up exactly; USE is the kind of
 * algorithm the list may hold.  0 and the set, or -1 with *BAD and *BADLEN
 * naming the first entry that is empty, unknown or (algs) of the other
 * use; *OUT is then unchanged.  An empty list is one empty entry. */
int jose_alg_set_parse(jose_alg_set_t *out, const char *list,
                       jose_use_t use, const char **bad, size_t *badlen);
int jose_enc_set_parse(jose_enc_set_t *out, const char *list,
                       const char **bad, size_t *badlen);

/* The row of a known id, NULL for JOSE_ALG_UNKNOWN/out of range. */
const jose_alg_info_t *jose_alg_get(jose_alg_t id);
const jose_enc_info_t *jose_enc_get(jose_enc_t id);

/* All JWS algorithms (or all JWE key-management algorithms that are on by
 * default) that a key of this type and curve may use.  curve_nid is the
 * OpenSSL NID of the EC curve or of the OKP key type (NID_ED25519, ...). */
jose_alg_set_t jose_algs_for_key(jose_kty_t kty, int curve_nid,
                                 jose_use_t use);

#endif /* JOSE_ALG_H */
