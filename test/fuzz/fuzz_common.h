/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * fuzz_common.h: what the fuzz targets share (doc/attacks.md F6).
 *
 * Each target is a libFuzzer entry point, LLVMFuzzerTestOneInput, and is
 * built twice: with clang -fsanitize=fuzzer,address,undefined by
 * test/fuzz/fuzz.sh (`make fuzz`), and with gcc and the sanitizers around
 * replay.c, which feeds every file of the seed corpus to it in `make check`.
 *
 * The key sets are loaded once per process from the unit-test fixtures
 * (test/unit/keys, env KEYS_DIR) and the RFC examples (test/vectors, env
 * VECTORS_DIR) into a process pool; everything an input allocates comes from
 * one per-input pool that is cleared after the input, so a leak shows up as
 * a leak and a pointer kept across inputs as a use after free.  The clock is
 * fixed (FZ_NOW): the same input always gives the same answer, which the
 * targets also assert (doc/attacks.md F6, mod_authnz_jwt #23).
 */

#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "jwt_status.h"
#include "jose_alg.h"
#include "jwk.h"
#include "jws.h"
#include "jwt.h"

/* The libFuzzer interface (also called by replay.c). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The fixed clock: 600 s after the iat of the seed tokens (1700000000),
 * long before their exp (4102444800). */
#define FZ_NOW INT64_C(1700000600)
#define FZ_ISSUER "https://issuer.example"

/* Most parts a structured input is split into (see fz_split). */
#define FZ_MAX_PARTS 5

/* Once per process: APR, the OpenSSL fetches and, with WITH_KEYS, the key
 * sets.  Aborts with a message when a fixture cannot be loaded (a broken
 * checkout, not a bug). */
void fz_init(int with_keys);

/* The process pool (keys, rules); the pool of the current input, asked for
 * first thing in LLVMFuzzerTestOneInput; and the end of an input: the input
 * pool is cleared, the OpenSSL error queue emptied, and every pool
 * allocation made since fz_pool() must have been freed (fuzz_palloc.c). */
apr_pool_t *fz_root(void);
apr_pool_t *fz_pool(void);
void fz_input_done(void);

/* Print to stderr and abort(): a violated property is a crash for libFuzzer
 * and a failed test for replay. */
void fz_fail(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
#define FZ_ASSERT(cond)                                                     \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fz_fail("%s:%d: property violated: %s", __FILE__, __LINE__,     \
                    #cond);                                                 \
        }                                                                   \
    } while (0)

/* The key sets.  Verification: HMAC, RSA, EC (P-256/384/521, secp256k1),
 * Ed25519, Ed448, some with kid, one bound to FZ_ISSUER, plus the RFC
 * 7515/7520/7519/8037 and Wycheproof example keys.  Signing: the private
 * halves of the fixture keys (structured inputs are signed with them).
 * Decryption: RSA-OAEP, RSA1_5 (named), RSA-OAEP-256, A128KW/A128GCMKW,
 * dir, ECDH-ES on P-256, P-384 and X25519, PBES2 (named), and the RFC
 * 7516/7520 example keys. */
const jwk_set_t *fz_verify_keys(void);
const jwk_set_t *fz_sign_keys(void);
const jwk_set_t *fz_decrypt_keys(void);

/* The first key of SET that may use ALG and, when KID is given and some
 * such key has that kid, the one with that kid.  NULL when none. */
const jwk_t *fz_pick_key(const jwk_set_t *set, jose_alg_t alg,
                         const char *kid);

/* KEY, which accepted a JWS with ALG, KID (header) and ISS (claim), is a
 * signature key of fz_verify_keys() that may be used with ALG: its type
 * and curve, its kid and issuer binding (doc/attacks.md A1-A5). */
void fz_check_sig_key(const jwk_t *key, const jose_alg_info_t *alg,
                      const char *kid, const char *iss);

/* Split DATA at NUL bytes into at most MAX parts (the last part keeps any
 * further NULs).  Returns the number of parts (1 when there is no NUL). */
size_t fz_split(const uint8_t *data, size_t size, const uint8_t **part,
                size_t *len, size_t max);

/* A malloc'ed copy of exactly LEN bytes, no terminating NUL, so that
 * AddressSanitizer sees a read past the end; free() it. */
char *fz_exact_copy(const void *data, size_t len);

/* The number of pool allocations not freed yet (fuzz_palloc.c). */
size_t fz_palloc_live(void);

/* The status is one of the enum and its table row is complete. */
void fz_check_status(jwt_status_t st);

/* With FUZZ_VERBOSE set in the environment (replay, corpus upkeep), print
 * "WHAT: status" on stderr. */
void fz_note(const char *what, jwt_status_t st);

/* Run the claim model (jwt_claim_get/text/matches, jwt_scopes) over the
 * claims of a parsed token, as authorization and the environment do. */
void fz_claim_model(apr_pool_t *p, const json_t *claims);

/* An array of const char * from a NULL-terminated list. */
apr_array_header_t *fz_strs(apr_pool_t *p, ...);

#endif /* FUZZ_COMMON_H */
