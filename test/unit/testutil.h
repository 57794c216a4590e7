/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * testutil.h: helpers shared by the libcheck unit tests of the core.
 *
 * Finding fixtures (env VECTORS_DIR and KEYS_DIR, else the source tree),
 * reading files and JSON vectors, loading keys through jwk_load, making
 * tokens (through jws_sign, or byte for byte from a raw header text so that
 * a test controls every header member), an independent base64url codec (so
 * that expectations do not come from the code under test), and the
 * "every signature bit flipped, every truncation" re-check.
 *
 * Tokens handed to the parser are copied into malloc'ed buffers of exactly
 * their length, without a terminating NUL, so that AddressSanitizer sees
 * any read past the end (doc/attacks.md F6).
 */

#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <check.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "jwt_status.h"
#include "jose_alg.h"
#include "jwk.h"
#include "jwe.h"
#include "jws.h"
#include "jwt.h"

/* ---- set-up ---- */

/* apr_initialize once per program (call first in main). */
void tu_init(void);

/* The per-test pool: created by tu_setup, destroyed by tu_teardown
 * (a checked fixture, so it lives in libcheck's forked child). */
extern apr_pool_t *tu_pool;
void tu_setup(void);
void tu_teardown(void);

/* Run SUITE and return the process exit status. */
int tu_run(Suite *s);

/* ---- statuses ---- */

#define ck_assert_status(got, want)                                         \
    do {                                                                    \
        jwt_status_t tu_g_ = (got), tu_w_ = (want);                         \
        ck_assert_msg(tu_g_ == tu_w_, "got %s, want %s",                    \
                      jwt_status_name(tu_g_), jwt_status_name(tu_w_));      \
    } while (0)

/* ST is one of the N statuses that follow. */
int tu_status_in(jwt_status_t st, int n, ...);
#define ck_assert_status_in(got, n, ...)                                    \
    do {                                                                    \
        jwt_status_t tu_g_ = (got);                                         \
        ck_assert_msg(tu_status_in(tu_g_, n, __VA_ARGS__),                  \
                      "got %s, not one of the expected statuses",           \
                      jwt_status_name(tu_g_));                              \
    } while (0)

/* ---- files ---- */

const char *tu_vectors_dir(void);
const char *tu_keys_dir(void);
char *tu_vector_path(apr_pool_t *p, const char *rel);
char *tu_key_path(apr_pool_t *p, const char *name);

/* Whole file, NUL-terminated (not counted in *LEN); aborts the test when
 * it cannot be read. */
char *tu_read_file(apr_pool_t *p, const char *path, size_t *len);
/* Trimmed of trailing whitespace (the one-line latchset vector files). */
char *tu_read_line(apr_pool_t *p, const char *path);
/* A new file holding DATA[0..LEN), removed when P is cleared. */
const char *tu_temp_file(apr_pool_t *p, const void *data, size_t len);
/* Any JSON document, released with P. */
json_t *tu_json_file(apr_pool_t *p, const char *path);
json_t *tu_vector(apr_pool_t *p, const char *rel);
json_t *tu_json(apr_pool_t *p, const char *text);   /* parse, abort on err */
/* J is released when P is cleared; returns J. */
json_t *tu_own(apr_pool_t *p, json_t *j);

/* ---- independent base64url and hex (not the code under test) ---- */

char *tu_b64(apr_pool_t *p, const void *buf, size_t len);
/* Strict: the RFC 7515 rules; NULL when IN is not a canonical encoding. */
unsigned char *tu_unb64(apr_pool_t *p, const char *in, size_t len,
                        size_t *outlen);
unsigned char *tu_unhex(apr_pool_t *p, const char *hex, size_t *outlen);

/* ---- keys ---- */

jwk_load_opts_t tu_opts(jose_use_t use, int want_private,
                        jose_alg_set_t algs, const char *kid,
                        const char *iss);
/* A SOURCE as the module would see it, with fixture names resolved in the
 * keys directory: "rsa2048.pub.pem", "secret:hs256.secret"; a name with a
 * '/' in it is used as it is. */
char *tu_key_source(apr_pool_t *p, const char *name);
/* jwk_load into a new set; return value of jwk_load, *ERR its message. */
int tu_try_load(jwk_set_t **set, apr_pool_t *p, const char *name,
                const jwk_load_opts_t *opts, const char **err);
/* Must succeed. */
jwk_set_t *tu_load_set(apr_pool_t *p, const char *name,
                       const jwk_load_opts_t *opts);
/* Must succeed with exactly one key. */
const jwk_t *tu_load_key(apr_pool_t *p, const char *name,
                         const jwk_load_opts_t *opts);
/* Verification key (use=sig, public part) with ALGS (0: from the key). */
const jwk_t *tu_verify_key(apr_pool_t *p, const char *name,
                           jose_alg_set_t algs);
/* Signing key (use=sig, private required). */
const jwk_t *tu_sign_key(apr_pool_t *p, const char *name,
                         jose_alg_set_t algs);
/* A JWK (or, with "keys", a JWKS) object through jwk_parse_json /
 * jwk_set_parse_json into a new set; returns the status of the parse. */
int tu_try_jwk_json(jwk_set_t **set, apr_pool_t *p, json_t *jwk,
                    const jwk_load_opts_t *opts, const char **err);
const jwk_t *tu_jwk_json(apr_pool_t *p, json_t *jwk,
                         const jwk_load_opts_t *opts);
/* A set of the given keys (NULL-terminated). */
jwk_set_t *tu_set(apr_pool_t *p, ...);

const jose_alg_info_t *tu_alg(const char *name);   /* must exist */

/* ---- tokens ---- */

/* jws_sign with EXTRA given as JSON text (may be NULL); must succeed. */
char *tu_sign(apr_pool_t *p, const jwk_t *key, const char *alg,
              const char *kid, const char *extra, const char *payload);
/* b64(HEADER).b64(PAYLOAD).b64(sig): HEADER and PAYLOAD are used as raw
 * bytes, the signature is made by jose_sig_sign with KEY and SIGN_ALG over
 * the exact signing input; KEY NULL gives an empty signature. */
char *tu_token(apr_pool_t *p, const char *header, const char *payload,
               const jwk_t *key, const char *sign_alg);
/* The same with a given signature. */
char *tu_token_sig(apr_pool_t *p, const char *header, const char *payload,
                   const unsigned char *sig, size_t siglen);
/* TOKEN with its third segment replaced by the encoding of SIG. */
char *tu_with_sig(apr_pool_t *p, const char *token,
                  const unsigned char *sig, size_t siglen);
/* The decoded signature of TOKEN (independent decoder). */
unsigned char *tu_sig_of(apr_pool_t *p, const char *token, size_t *len);
/* The decoded header / payload (independent decoder), NUL-terminated. */
char *tu_segment(apr_pool_t *p, const char *token, int index);

/* jws_parse + jws_verify on an exact-length copy of TOKEN[0..LEN). */
jwt_status_t tu_jws_status(const char *token, size_t len,
                           const jwk_set_t *keys, const char *iss);
jwt_status_t tu_jws(const char *token, const jwk_set_t *keys);
/* jwt_check on an exact-length copy. */
jwt_status_t tu_jwt_status(const char *token, size_t len,
                           const jwt_rules_t *rules, int64_t now);

/* As in jwt_verify_lib: TOKEN must be accepted by KEYS (with ISS);
 * then every single bit of its signature flipped must give
 * JWT_ERR_SIGNATURE, and every proper prefix of the whole token must be
 * rejected with the status its shape calls for.  LABEL names the token in
 * failure messages.  Returns the number of mutants checked. */
long tu_check_mutations(const char *token, const jwk_set_t *keys,
                        const char *iss, const char *label);

/* ---- JWT rules ---- */

/* jwt_rules_init, then KEYS as verify keys, "exp" required. */
void tu_rules(jwt_rules_t *r, apr_pool_t *p, const jwk_set_t *keys);
/* An array of const char * from a NULL-terminated list. */
apr_array_header_t *tu_strs(apr_pool_t *p, ...);

/* ---- Wycheproof JOSE records ---- */

/* The outcome of one json_web_signature / json_web_key test: the key set
 * of GROUP ("public" if present, else "private"; a JWK or a JWKS) is
 * loaded for verification, then jws_parse + jws_verify run on the test's
 * "jws".  Returns JWT_OK when accepted; *AT_LOAD is 1 when the key set was
 * refused (the rejection happened at load time). */
jwt_status_t tu_wycheproof_jws(apr_pool_t *p, json_t *group, json_t *test,
                               int *at_load, const char **err);

/* The same for a JWE test (json_web_crypto; check_jwe.c checks that it
 * agrees with its own json_web_encryption runner): the group's "private"
 * JWK (or JWKS) is loaded for decryption as it is published, with alg=
 * naming the JWK's own alg as an administrator would (RSA1_5 and PBES2
 * need that), then jwe_decrypt runs on the test's "jwe" (a JSON
 * serialization is handed over as its text).  *OUT is the result when
 * accepted, else NULL. */
jwt_status_t tu_wycheproof_jwe(jwe_t **out, apr_pool_t *p, json_t *group,
                               json_t *test, int *at_load,
                               const char **err);

#endif /* TESTUTIL_H */
