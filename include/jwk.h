/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwk.h: keys and key sets, and the one key loader used by the module and
 * by htjwt (RFC 7517, RFC 7518 section 6, RFC 8037 section 2, RFC 7638).
 *
 * A key is parsed once, at start-up, into an EVP_PKEY (or a secret) and is
 * typed there: it carries the exact set of algorithms it may be used with,
 * its kid and, optionally, the only issuer it verifies.  Nothing a token
 * says can widen that.  Every OpenSSL object and every secret belongs to the
 * pool the key was loaded into (freed and wiped by a pool cleanup).
 *
 * The loader refuses weak or ambiguous material (doc/attacks.md A6, B4, G):
 * RSA keys under 2048 bits, e = 1, HMAC secrets shorter than the hash of
 * every algorithm they are allowed for, EC points not on their curve, a JWK
 * whose alg/crv/kty disagree, a signing key marked use=enc or whose key_ops
 * lack verify/sign, and key sets with duplicate kids.
 */

#ifndef JWK_H
#define JWK_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "jose_alg.h"
#include "jwt_status.h"

/* Verification state prepared at load (jose_sig.h); opaque here. */
struct jose_sig_prep;

typedef struct jwk_t {
    jose_kty_t kty;
    EVP_PKEY *pkey;             /* RSA, EC, OKP; NULL for oct            */
    const unsigned char *secret;/* oct key bytes; NULL otherwise         */
    size_t secret_len;
    int curve_nid;              /* EC curve NID, or NID_ED25519, NID_ED448,
                                 * NID_X25519, NID_X448 for OKP; else 0  */
    int is_private;             /* private half available (signing)      */
    jose_use_t use;             /* what it was loaded for                */
    jose_alg_set_t algs;        /* exactly the algorithms it may use     */
    jose_enc_set_t encs;        /* JWE content encryption it may carry
                                 * (enc=, doc/attacks.md C10); 0: any       */
    const char *kid;            /* NULL when it has none                 */
    const char *iss;            /* only tokens of this issuer; NULL: any */
    const char *thumbprint;     /* RFC 7638 SHA-256, base64url           */
    const char *source;         /* where it came from, for messages      */
    struct jose_sig_prep *prep; /* prepared verify contexts; NULL: none,
                                 * read-only once the key is loaded       */
} jwk_t;

typedef struct {
    apr_array_header_t *keys;   /* of jwk_t *                            */
} jwk_set_t;

/* Options from a directive: AuthJWTVerifyKey [alg=..] [kid=..] [iss=..],
 * AuthJWTDecryptKey [alg=..] [enc=..] [kid=..]. */
typedef struct {
    jose_use_t use;             /* JOSE_USE_SIG or JOSE_USE_ENC          */
    int want_private;           /* signing/decryption: private required  */
    jose_alg_set_t algs;        /* alg=: 0 means "derive from the key"   */
    jose_enc_set_t encs;        /* enc= (JOSE_USE_ENC only): 0 means any */
    const char *kid;            /* kid=: overrides/sets the kid; only for
                                 * sources that hold a single key        */
    const char *iss;            /* iss=                                  */
    const char *base_dir;       /* relative paths resolve here (ServerRoot),
                                 * NULL: as given                        */
} jwk_load_opts_t;

jwk_set_t *jwk_set_make(apr_pool_t *p);

/* How many keys SET holds; 0 for NULL. */
int jwk_set_size(const jwk_set_t *set);

/* Load SOURCE and append its key(s) to SET.  SOURCE is a PEM file (public
 * key, certificate, or private key), a JWK or JWKS JSON file, or
 * "secret:PATH" (the file's bytes, one trailing newline dropped).  The kind
 * of file is detected from its content.  On failure returns non-zero and sets
 * *ERR to a message that says what is wrong and how to fix it (no key
 * material in it); SET is left unchanged.
 *
 * Inside a JWK Set, keys meant for something else (another "use", key_ops
 * without the wanted operation, an alg of the other use, an unknown
 * kty/crv/alg) are skipped, and alg= keeps the keys that can use at least
 * one of its algorithms; a set left with no key is an error.  A single key
 * in those cases is an error.  Weak or damaged keys are always errors.  A
 * set may not mix private (or secret) and public keys.  The resulting set
 * is checked with jwk_set_check. */
int jwk_load(jwk_set_t *set, apr_pool_t *p, const char *source,
             const jwk_load_opts_t *opts, const char **err) JWT_WUR;

/* Parse one JWK object / a JWKS document held in memory (remote JWKS,
 * tests).  SOURCE names it in messages.  The document is the caller's and
 * is left as it is: a caller holding private keys in it wipes it with
 * jwk_json_wipe before freeing it (jwk_load does so for files). */
int jwk_parse_json(jwk_t **out, apr_pool_t *p, json_t *jwk,
                   const jwk_load_opts_t *opts, const char *source,
                   const char **err) JWT_WUR;
int jwk_set_parse_json(jwk_set_t *set, apr_pool_t *p, json_t *jwks,
                       const jwk_load_opts_t *opts, const char *source,
                       const char **err) JWT_WUR;

/* Overwrite, in place, the private members (d, p, q, dp, dq, qi, k, and
 * r, d, t of "oth") of a JWK, or of every key of a JWK Set, so that they do
 * not stay in freed memory: jansson's json_decref frees without clearing.
 * The document's strings hold zero bytes afterwards; free it next. */
void jwk_json_wipe(json_t *doc);

/* Make a key from raw secret bytes (copied into P). */
int jwk_from_secret(jwk_t **out, apr_pool_t *p, const unsigned char *secret,
                    size_t len, const jwk_load_opts_t *opts,
                    const char *source, const char **err) JWT_WUR;

/* Take ownership of PKEY (freed with P) and type it as a key. */
int jwk_from_pkey(jwk_t **out, apr_pool_t *p, EVP_PKEY *pkey,
                  const jwk_load_opts_t *opts, const char *source,
                  const char **err) JWT_WUR;

/* The RFC 7638 thumbprint (SHA-256, base64url) of a key's public part. */
const char *jwk_thumbprint(apr_pool_t *p, const jwk_t *key);

/* The public JWK of an asymmetric key with kid, alg (when exactly one is
 * allowed) and use; NULL for secrets.  Never a private member.  The caller
 * owns the reference. */
json_t *jwk_public_json(const jwk_t *key);

/* The private JWK (for htjwt keygen); secrets as kty "oct".  NULL when
 * the key has no private half.  The strings are copied into jansson's
 * heap, which is not wiped: free it promptly. */
json_t *jwk_private_json(const jwk_t *key);

/* Check that SET has no two keys with the same kid (and the same use);
 * keys with different iss= may share a kid, since iss keeps them apart. */
int jwk_set_check(const jwk_set_t *set, const char **err) JWT_WUR;

/* The one algorithm a signing key uses when none is named: RS256 for RSA,
 * ES256/384/512/ES256K by curve, EdDSA, HS256/384/512 by secret length. */
jose_alg_t jwk_default_sign_alg(const jwk_t *key);

#endif /* JWK_H */
