/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwk_int.h: private header of the key loader, shared by its files and by
 * nothing else (not installed, not part of the API in include/):
 *
 *   jwk.c         the typing of every key: what its kty/curve can do, the
 *                 use, key_ops and alg it declares (RFC 7517 4.2-4.4),
 *                 alg= narrowing, HMAC/AES lengths (RFC 7518 3.2, 4), sets
 *   jwk_pkey.c    EVP_PKEY typing and refusal of weak or damaged material
 *   jwk_import.c  JWK and JWK Set JSON to keys (RFC 7517, RFC 7518 6,
 *                 RFC 8037 2)
 *   jwk_file.c    key files: PEM, JSON, secret: (jwk_load)
 *   jwk_export.c  public/private JWK JSON and RFC 7638 thumbprints
 *
 * The internal functions follow the loader's own convention: they return
 * RC_OK, RC_FAIL (an error for the administrator) or RC_SKIP (a key of a
 * set meant for something else), with the message in *err; the public
 * functions of jwk.h turn that into 0/-1.
 */

#ifndef JWK_INT_H
#define JWK_INT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "jose_alg.h"
#include "jwk.h"

/* A JWK Set larger than this is not a real identity provider's. */
#define JWK_MAX_KEYS      100

#define HINT_HMAC "generate one with `htjwt keygen oct` or " \
                  "`openssl rand -out FILE 64`"

enum { RC_FAIL = -1, RC_OK = 0, RC_SKIP = 1 };

/* The curves of RFC 7518 6.2.1.1, RFC 8812 3.1 and RFC 8037 2: JWK crv,
 * OpenSSL group or key type, and the exact coordinate/key length. */
typedef struct {
    jose_kty_t kty;
    const char *crv;
    const char *ossl;
    int nid;
    size_t len;
} jwk_curve_t;

extern const jwk_curve_t jwk_curves[];
extern const size_t jwk_curve_count;

/* RFC 7517 4.3 key_ops values the loader understands, in the order of
 * the names in jwk_import.c. */
enum {
    OP_SIGN = 1 << 0, OP_VERIFY = 1 << 1, OP_ENCRYPT = 1 << 2,
    OP_DECRYPT = 1 << 3, OP_WRAP = 1 << 4, OP_UNWRAP = 1 << 5,
    OP_DERIVE_KEY = 1 << 6, OP_DERIVE_BITS = 1 << 7
};

/* What a JWK says about its own use (RFC 7517 4.2 to 4.5); all zero for a
 * key from a PEM file or a secret. */
typedef struct {
    const char *alg;
    const char *use;
    const char *kid;
    unsigned ops;
    int has_ops;
} jwk_meta_t;

/* ---- messages (jwk.c) ---- */

/* Sets *ERR to the formatted message (from P) and returns RC. */
int jwk_say(int rc, const char **err, apr_pool_t *p, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define FAIL(...) jwk_say(RC_FAIL, err, p, __VA_ARGS__)
#define SKIP(...) jwk_say(RC_SKIP, err, p, __VA_ARGS__)

/* Text from a key file (alg, kty, kid) quoted in a message: bounded and
 * without control characters, since remote sets reach the error log. */
const char *jwk_shown(apr_pool_t *p, const char *s);

/* The most recent OpenSSL reason (never key material), queue cleared so
 * that it cannot surface in a later, unrelated call. */
const char *jwk_ossl_why(apr_pool_t *p);

/* "signatures" or "encryption". */
const char *jwk_use_text(jose_use_t use);

const jwk_curve_t *jwk_curve_by_nid(int nid);
const jwk_curve_t *jwk_curve_by_crv(jose_kty_t kty, const char *crv);

/* ---- typing (jwk.c, jwk_pkey.c) ---- */

/* RC_SKIP when the key is meant for something else: its use, key_ops or
 * alg say so, or its type cannot serve the use (RFC 7517 4.2, 4.3). */
int jwk_usable(const jwk_meta_t *m, jose_kty_t kty, int nid,
               const jwk_load_opts_t *o, apr_pool_t *p, const char *where,
               const char **err);

/* Type PKEY as a JOSE key into K and refuse weak or damaged material. */
int jwk_pkey_inspect(jwk_t *k, apr_pool_t *p, EVP_PKEY *pkey,
                     const char *where, const char **err);

/* A key from secret bytes S (copied into P, wiped with it) or from PKEY
 * (already owned by P), typed and finished: algorithms, private half, kid,
 * thumbprint.  WHERE names it in messages, SOURCE becomes key->source;
 * IN_SET: a member of a JWK Set (mismatches skip it instead of failing). */
int jwk_secret_key(jwk_t **out, apr_pool_t *p, const unsigned char *s,
                   size_t len, const jwk_meta_t *m, const jwk_load_opts_t *o,
                   int in_set, const char *where, const char *source,
                   const char **err);
int jwk_pkey_key(jwk_t **out, apr_pool_t *p, EVP_PKEY *pkey,
                 const jwk_meta_t *m, const jwk_load_opts_t *o, int in_set,
                 const char *where, const char *source, const char **err);

/* ---- sets and scratch memory (jwk.c) ---- */

/* NULL options: a verification key, everything derived from the key. */
const jwk_load_opts_t *jwk_opts_or_default(const jwk_load_opts_t *o);

/* A child pool of P for the work of one call (secrets decoded into it
 * register their own wipe); NULL when out of memory. */
apr_pool_t *jwk_scratch(apr_pool_t *p);

/* Append ADD to SET if the union passes jwk_set_check; SET is unchanged
 * otherwise. */
int jwk_set_commit(jwk_set_t *set, apr_pool_t *p,
                   const apr_array_header_t *add, const char **err);

/* ---- JWK JSON (jwk_import.c) ---- */

/* One JWK object.  TMP holds decoded members (wiped when destroyed). */
int jwk_parse_one(jwk_t **out, apr_pool_t *p, apr_pool_t *tmp,
                  const json_t *jwk, const jwk_load_opts_t *o, int in_set,
                  const char *where, const char *source, const char **err);

/* The keys of a JWKS into ADD (not yet in any set). */
int jwk_parse_set(apr_array_header_t *add, apr_pool_t *p, apr_pool_t *tmp,
                  const json_t *jwks, const jwk_load_opts_t *o,
                  const char *source, const char **err);

#endif /* JWK_INT_H */
