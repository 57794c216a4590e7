/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jose_util.h: small shared pieces of the core: strict JSON loading tied to
 * a pool, constant-time comparison, wiping, and tying OpenSSL objects to
 * pools.  No httpd headers; the caller installs a log callback.
 */

#ifndef JOSE_UTIL_H
#define JOSE_UTIL_H

#include <stddef.h>
#include <string.h>
#include <apr_pools.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "jwt_status.h"

/* Parse BUF as one JSON object: duplicate members rejected at every depth
 * (JSON_REJECT_DUPLICATES), no NUL in strings, nothing after the value.
 * The reference is released when P is cleared.  JWT_ERR_JSON otherwise. */
jwt_status_t jose_json_object(json_t **out, apr_pool_t *p,
                              const void *buf, size_t len) JWT_WUR;

/* jose_json_object without a pool: *OUT is the caller's reference. */
jwt_status_t jose_json_load(json_t **out, const void *buf, size_t len)
    JWT_WUR;

/* The fast path of jose_json_object (jose_json.c): 1 and *OUT (owned by
 * the caller) when BUF is one object whose members are plain strings
 * (printable ASCII or well-formed UTF-8, and in values the escapes of
 * printable characters: no control character, no NUL, once decoded),
 * integers of up to 18 digits without sign, true, false, null or arrays
 * of those, without duplicates; 0 for
 * anything else, which is then left to jansson.  Whatever it accepts,
 * json_loadb with JSON_REJECT_DUPLICATES accepts too and reads as the
 * same value, members in the same order. */
int jose_json_flat(json_t **out, const void *buf, size_t len) JWT_WUR;

/* Whether the member name K of N bytes is the literal LIT, over its full
 * length (as json_object_get compares; a name may hold a NUL). */
#define JOSE_NAME_IS(k, n, lit) \
    ((n) == sizeof(lit) - 1 && memcmp((k), (lit), sizeof(lit) - 1) == 0)

/* What a member read by jose_json_members holds. */
typedef enum {
    JOSE_MEMBER_STRING = 1, JOSE_MEMBER_INT, JOSE_MEMBER_TRUE,
    JOSE_MEMBER_FALSE, JOSE_MEMBER_NULL, JOSE_MEMBER_ARRAY
} jose_member_kind_t;

/* One member as jose_json_members reads it: the name (KLEN bytes, then a
 * NUL), its KIND and, when the value is a string, STR (SLEN bytes, its
 * escapes decoded, then a NUL); STR is NULL for any other value.  I is
 * the value of a JOSE_MEMBER_INT (a non-negative integer of at most 18
 * digits), or the number of elements of a JOSE_MEMBER_ARRAY; STRINGS
 * says that all of them are strings (jose_member_array_next reads them).
 * ESCAPED says that the value held an escape.  RAW (RAWLEN bytes) spans
 * the value in the buffer: its JSON text as received, but for the
 * strings, decoded and terminated in place. */
typedef struct {
    const char *key;
    size_t klen;
    const char *str;
    size_t slen;
    json_int_t i;
    jose_member_kind_t kind;
    int strings;
    int escaped;
    const char *raw;
    size_t rawlen;
} jose_member_t;

/* The members of BUF without building a json_t: 1, M[0..*N) in order,
 * when jose_json_flat would take BUF and it has at most MAX members;
 * each name and string is then decoded and terminated in place, so BUF
 * must be the caller's to change and the members point into it.  0 for
 * anything else, with BUF unchanged: the caller then reads it with
 * jose_json_object. */
int jose_json_members(jose_member_t *m, size_t max, size_t *n, char *buf,
                      size_t len) JWT_WUR;

/* The strings of the array M (a JOSE_MEMBER_ARRAY with STRINGS) in
 * order: start with *POS at 0; 1 and *S (a C string of *LEN bytes) for
 * each, then 0.  0 at once for any other member. */
int jose_member_array_next(const jose_member_t *m, size_t *pos,
                           const char **s, size_t *len);

/* Release J (json_decref) when P is cleared; returns J. */
json_t *jose_json_pool_own(apr_pool_t *p, json_t *j);

/* Serialise compactly into P (no spaces, keys in insertion order), any
 * JSON value (JSON_ENCODE_ANY).  LEN may be NULL.  NULL on failure. */
char *jose_json_dump(apr_pool_t *p, const json_t *j, size_t *len);

/* A string member, with its length; NULL when absent or not a string. */
const char *jose_json_str(const json_t *obj, const char *key, size_t *len);

/* Equal length and equal bytes, in time independent of the content. */
int jose_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Wipe LEN bytes at BUF when P is cleared (key material, plaintext). */
void jose_wipe_on_cleanup(apr_pool_t *p, void *buf, size_t len);

/* Free an EVP_PKEY when P is cleared; returns PKEY. */
EVP_PKEY *jose_pkey_pool_own(apr_pool_t *p, EVP_PKEY *pkey);

/* Optional diagnostics from the core (OpenSSL errors at load time, ...).
 * LEVEL uses syslog numbers (3 = err ... 7 = debug).  Default: silent.
 * The callback and baton are plain process-wide variables: call
 * jose_log_set once at start-up (post_config, htjwt's main), before any
 * thread runs, and never while requests are served.  Messages never carry
 * tokens, signatures or key material. */
typedef void jose_log_fn(int level, const char *msg, void *baton);
void jose_log_set(jose_log_fn *fn, void *baton);
void jose_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- OpenSSL objects fetched once per process ----
 * Implicit fetches (EVP_get_digestbyname, a digest name passed to an _ex
 * call) look the algorithm up in the provider store on every call, under a
 * lock.  These are fetched once, under CRYPTO_THREAD_run_once, and are then
 * read-only and safe to share between threads; they live until the process
 * ends.  Per-request code uses only these. */

/* The digest for an OpenSSL name used in the algorithm tables: "SHA1",
 * "SHA256", "SHA384" or "SHA512".  NULL for any other name or when the
 * fetch failed (e.g. SHA1 in a FIPS-only configuration). */
const EVP_MD *jose_md(const char *name);

/* The HMAC EVP_MAC; NULL when the fetch failed. */
EVP_MAC *jose_hmac(void);

/* Run the fetches now (start-up), so that a broken OpenSSL configuration
 * is reported at start and not on the first request.  0 when HMAC and the
 * SHA-2 digests are available, -1 otherwise (details via jose_log). */
int jose_crypto_init(void) JWT_WUR;

/* The name of the first of those that OpenSSL cannot provide ("SHA256",
 * ..., "HMAC"), or NULL when all are there; logs nothing. */
const char *jose_crypto_missing(void);

#endif /* JOSE_UTIL_H */
