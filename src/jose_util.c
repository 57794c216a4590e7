/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jose_util.c: the small shared pieces of the core.
 *
 * Strict JSON (RFC 7515 section 4, RFC 7519 section 4: duplicate member
 * names are rejected, doc/attacks.md D2, D4, E5), jansson and OpenSSL objects
 * owned by APR pools, constant-time comparison (B5), wiping, the log
 * callback, and the OpenSSL algorithm objects fetched once per process so
 * that the per-request path never searches the provider store.
 *
 * The only mutable globals are the fetched objects (written once under
 * CRYPTO_THREAD_run_once, read-only afterwards) and the log callback (set
 * once at start-up, before threads exist).
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include "jose_util.h"

/* ---- JSON ---- */

static apr_status_t json_cleanup(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

json_t *jose_json_pool_own(apr_pool_t *p, json_t *j)
{
    if (j != NULL) {
        apr_pool_cleanup_register(p, j, json_cleanup,
                                  apr_pool_cleanup_null);
    }
    return j;
}

jwt_status_t jose_json_load(json_t **out, const void *buf, size_t len)
{
    json_error_t err;
    json_t *j;

    *out = NULL;
    if (buf == NULL) {
        return JWT_ERR_JSON;
    }
    /* the usual token JSON without jansson's lexer; anything else below */
    if (jose_json_flat(&j, buf, len)) {
        *out = j;
        return JWT_OK;
    }
    /* No JSON_ALLOW_NUL: "\u0000" would make json_string_length() and
     * strlen() disagree (E5).  No JSON_DECODE_ANY, no
     * JSON_DISABLE_EOF_CHECK: one value and nothing after it.  Duplicates
     * are refused in every nested object too (D2). */
    j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
    if (j == NULL) {
        return JWT_ERR_JSON;
    }
    /* jansson accepts a top-level array even without JSON_DECODE_ANY */
    if (!json_is_object(j)) {
        json_decref(j);
        return JWT_ERR_JSON;
    }
    *out = j;
    return JWT_OK;
}

jwt_status_t jose_json_object(json_t **out, apr_pool_t *p,
                              const void *buf, size_t len)
{
    jwt_status_t st = jose_json_load(out, buf, len);

    if (st == JWT_OK) {
        *out = jose_json_pool_own(p, *out);
    }
    return st;
}

char *jose_json_dump(apr_pool_t *p, const json_t *j, size_t *len)
{
    const size_t flags = JSON_COMPACT | JSON_PRESERVE_ORDER
                         | JSON_ENCODE_ANY;
    size_t n, m;
    char *buf;

    if (len != NULL) {
        *len = 0;
    }
    if (j == NULL) {
        return NULL;
    }
    /* sized first, then written straight into the pool: no malloc'd copy
     * to free with whatever allocator jansson was given */
    n = json_dumpb(j, NULL, 0, flags);
    if (n == 0) {
        return NULL;
    }
    buf = apr_palloc(p, n + 1);
    m = json_dumpb(j, buf, n, flags);
    if (m != n) {
        return NULL;
    }
    buf[n] = '\0';
    if (len != NULL) {
        *len = n;
    }
    return buf;
}

const char *jose_json_str(const json_t *obj, const char *key, size_t *len)
{
    json_t *v;

    if (len != NULL) {
        *len = 0;
    }
    if (obj == NULL || key == NULL) {
        return NULL;
    }
    v = json_object_get(obj, key);
    if (!json_is_string(v)) {
        return NULL;
    }
    if (len != NULL) {
        *len = json_string_length(v);
    }
    return json_string_value(v);
}

/* ---- secrets ---- */

int jose_ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    /* lengths are public (they come from the algorithm table); only the
     * content must not leak through timing (B5) */
    if (alen != blen) {
        return 0;
    }
    if (alen == 0) {
        return 1;
    }
    return CRYPTO_memcmp(a, b, alen) == 0;
}

typedef struct {
    void *buf;
    size_t len;
} wipe_t;

static apr_status_t wipe_cleanup(void *data)
{
    wipe_t *w = data;

    OPENSSL_cleanse(w->buf, w->len);
    return APR_SUCCESS;
}

void jose_wipe_on_cleanup(apr_pool_t *p, void *buf, size_t len)
{
    wipe_t *w;

    if (buf == NULL || len == 0) {
        return;
    }
    /* pool memory is released only after every cleanup has run, so BUF
     * may itself come from P */
    w = apr_palloc(p, sizeof(*w));
    w->buf = buf;
    w->len = len;
    apr_pool_cleanup_register(p, w, wipe_cleanup, apr_pool_cleanup_null);
}

static apr_status_t pkey_cleanup(void *data)
{
    EVP_PKEY_free((EVP_PKEY *)data);
    return APR_SUCCESS;
}

EVP_PKEY *jose_pkey_pool_own(apr_pool_t *p, EVP_PKEY *pkey)
{
    if (pkey != NULL) {
        apr_pool_cleanup_register(p, pkey, pkey_cleanup,
                                  apr_pool_cleanup_null);
    }
    return pkey;
}

/* ---- logging ---- */

/* Set once at start-up (see jose_util.h); read-only while serving. */
static jose_log_fn *log_fn;
static void *log_baton;

void jose_log_set(jose_log_fn *fn, void *baton)
{
    log_fn = fn;
    log_baton = baton;
}

void jose_log(int level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (log_fn == NULL) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_fn(level, msg, log_baton);
}

/* ---- algorithm objects fetched once ---- */

/* Every digest name the algorithm tables use (jose_alg.c). */
static const char *const md_names[] = { "SHA1", "SHA256", "SHA384",
                                        "SHA512" };
#define MD_COUNT (sizeof(md_names) / sizeof(md_names[0]))

static CRYPTO_ONCE fetch_once = CRYPTO_ONCE_STATIC_INIT;
static EVP_MD *md_fetched[MD_COUNT];
static EVP_MAC *hmac_fetched;

static void fetch_all(void)
{
    size_t i;

    for (i = 0; i < MD_COUNT; i++) {
        md_fetched[i] = EVP_MD_fetch(NULL, md_names[i], NULL);
    }
    hmac_fetched = EVP_MAC_fetch(NULL, "HMAC", NULL);
    /* a failed fetch (SHA1 under FIPS) must not leave errors behind for
     * the first request to trip over */
    ERR_clear_error();
}

static int fetched(void)
{
    return CRYPTO_THREAD_run_once(&fetch_once, fetch_all);
}

const EVP_MD *jose_md(const char *name)
{
    size_t i;

    if (name == NULL || !fetched()) {
        return NULL;
    }
    for (i = 0; i < MD_COUNT; i++) {
        if (strcmp(name, md_names[i]) == 0) {
            return md_fetched[i];
        }
    }
    return NULL;
}

EVP_MAC *jose_hmac(void)
{
    if (!fetched()) {
        return NULL;
    }
    return hmac_fetched;
}

const char *jose_crypto_missing(void)
{
    size_t i;

    if (!fetched()) {
        return "CRYPTO_THREAD_run_once";
    }
    /* from SHA256 on: SHA1 serves only RSA-OAEP */
    for (i = 1; i < MD_COUNT; i++) {
        if (md_fetched[i] == NULL) {
            return md_names[i];
        }
    }
    return hmac_fetched == NULL ? "HMAC" : NULL;
}

int jose_crypto_init(void)
{
    size_t i;
    int rv = 0;

    if (!fetched()) {
        jose_log(3, "OpenSSL: CRYPTO_THREAD_run_once failed");
        return -1;
    }
    for (i = 0; i < MD_COUNT; i++) {
        if (md_fetched[i] == NULL) {
            /* SHA1 serves only RSA-OAEP: its absence is not fatal */
            jose_log(i == 0 ? 4 : 3, "OpenSSL: digest %s is not available",
                     md_names[i]);
            if (i != 0) {
                rv = -1;
            }
        }
    }
    if (hmac_fetched == NULL) {
        jose_log(3, "OpenSSL: HMAC is not available");
        rv = -1;
    }
    return rv;
}
