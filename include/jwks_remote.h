/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwks_remote.h: key sets that live at an https:// URL: a JWKS URI
 * (RFC 7517 section 5), an OpenID Connect discovery document (OpenID
 * Connect Discovery 1.0 sections 3 and 4) or an OAuth 2.0 authorization
 * server metadata document (RFC 8414 sections 2 and 3).
 *
 * The pieces here need no httpd: the fetch (libcurl, HTTPS only, peer and
 * host verified, no redirects, 200 or 304 only, a size cap enforced while
 * reading, conditional GET with ETag), the discovery checks, the refresh
 * interval from Cache-Control, the last-good-set file kept across restarts
 * and the refetch rate limiter shared by processes.  Who fetches when, and
 * how processes share the result, is the caller's business (the module
 * fetches from one process and shares through shared memory; htjwt fetches
 * once).  No function here reads the clock except jwks_fetch, which
 * measures its own duration.
 */

#ifndef JWKS_REMOTE_H
#define JWKS_REMOTE_H

#include <stdint.h>
#include <apr_pools.h>
#include <jansson.h>
#include "jwk.h"

/* manual #idp: the body cap and the clamp of Cache-Control. */
#define JWKS_MAX_BODY           (256 * 1024)
#define JWKS_MIN_MAX_AGE        60
#define JWKS_MAX_MAX_AGE        86400
/* ETag values longer than this are not kept (no conditional GET then). */
#define JWKS_MAX_ETAG           256
/* A URL longer than this is refused at configuration time. */
#define JWKS_MAX_URL            2048

typedef enum {
    JWKS_DOC_NONE = 0,          /* a JWKS URI                             */
    JWKS_DOC_OIDC,              /* .../.well-known/openid-configuration   */
    JWKS_DOC_OAUTH              /* .../oauth-authorization-server (8414) */
} jwks_doc_kind_t;

/* Check that URL is an absolute https:// URL with a host and without
 * userinfo or a fragment (the key source of a configuration line).  On
 * failure returns non-zero with *ERR saying what to write instead. */
int jwks_url_check(apr_pool_t *p, const char *url, const char **err) JWT_WUR;

/* Which kind of document URL names (by its path). */
jwks_doc_kind_t jwks_doc_kind(const char *url);

/* The issuer a discovery document at URL must carry: for OpenID Connect
 * (Discovery 1.0 section 4.1) the URL before "/.well-known/openid-
 * configuration"; for RFC 8414 section 3.1 the well-known part removed from
 * between host and path (or, when it was appended to a path, the URL
 * before it).  NULL when URL is no discovery URL. */
const char *jwks_doc_expected_issuer(apr_pool_t *p, const char *url);

/* Check a discovery document fetched from URL: a JSON object whose
 * "issuer" equals the expected issuer (OpenID Connect Discovery 1.0
 * section 4.3, RFC 8414 section 3.3; a single trailing '/' of the issuer is
 * tolerated, as providers such as Auth0 publish it) and whose "jwks_uri"
 * is an https:// URL.  Sets *ISSUER and *JWKS_URI (copied into P). */
int jwks_doc_check(const char **issuer, const char **jwks_uri,
                   apr_pool_t *p, const char *url, const char *body,
                   size_t len, const char **err) JWT_WUR;

/*
 * Parse BODY as a JWK Set (a JSON object with a "keys" array, duplicate
 * members refused) and load its verification keys into SET with OPTS (the
 * directive's alg= and iss=; OPTS->kid keeps only the key with that kid).
 * Keys meant for something else are skipped as jwk_set_parse_json does;
 * a set left with no usable key is an error, so a broken or empty answer
 * never replaces a good set.
 */
int jwks_parse_keys(jwk_set_t *set, apr_pool_t *p, const char *body,
                    size_t len, const jwk_load_opts_t *opts,
                    const char *source, const char **err) JWT_WUR;

/* The max-age of a Cache-Control header value (RFC 9111 section 5.2.2.1):
 * 1 and *OUT when present and well formed; "no-store" and "no-cache" count
 * as max-age 0.  0 when there is none. */
int jwks_cache_control_max_age(const char *value, int64_t *out);

/* Seconds until the next refresh: the answer's max-age (when HAVE_MAX_AGE)
 * clamped to [JWKS_MIN_MAX_AGE, JWKS_MAX_MAX_AGE], else CONFIGURED. */
int64_t jwks_refresh_interval(int have_max_age, int64_t max_age,
                              int64_t configured);

/*
 * The refetch rate limiter shared by every process of a server.  *LAST is
 * the time (seconds) of the last refetch granted, in shared memory.  Returns
 * 1 to exactly one caller per MIN_INTERVAL seconds (compare-and-swap:
 * concurrent callers in any process cannot both win), 0 to the others.
 */
int jwks_rate_take(volatile uint32_t *last, uint32_t now,
                   uint32_t min_interval);

/* ---- fetching (libcurl) ---- */

typedef struct {
    const char *url;
    const char *ca_file;        /* NULL: the system trust store           */
    long timeout;               /* seconds, connect + answer              */
    long timeout_ms;            /* when > 0, instead of TIMEOUT           */
    const char *etag;           /* If-None-Match; NULL: unconditional     */
    const char *user_agent;
    size_t max_body;            /* 0: JWKS_MAX_BODY                       */
    int (*stop)(void *baton);   /* polled while waiting; non-zero aborts
                                 * (server shutting down); NULL: never   */
    void *stop_baton;
} jwks_fetch_opts_t;

typedef struct {
    long http_status;           /* 0 when no answer was read              */
    int not_modified;           /* 304 to If-None-Match                   */
    char *body;                 /* NUL-terminated, in the pool            */
    size_t len;
    const char *etag;           /* NULL when none (or too long)           */
    int have_max_age;
    int64_t max_age;
    double seconds;             /* duration of the exchange               */
    const char *error;          /* why it failed; NULL on success         */
} jwks_fetch_result_t;

/* Call once per process before any thread may fetch (curl_global_init). */
int jwks_fetch_global_init(void);

/* GET OPTS->url.  Returns 0 on a 200 with a body of at most max_body bytes
 * (or a 304 when OPTS->etag was sent); otherwise non-zero with
 * RES->error saying what happened (TLS verification, timeout, status,
 * redirect, size).  Never follows redirects, never speaks plain HTTP. */
int jwks_fetch(jwks_fetch_result_t *res, apr_pool_t *p,
               const jwks_fetch_opts_t *opts) JWT_WUR;

/*
 * One refresh of a key source: for a discovery URL the document first
 * (checked with jwks_doc_check), then the JWKS at its jwks_uri.  ETAG is
 * sent with the JWKS request.  On success *OUT holds the JWKS answer
 * (not_modified set for a 304), *ISSUER the document's issuer (NULL for a
 * plain JWKS URI) and *JWKS_URI the URL the keys came from.  The body is
 * not parsed here.  The two fetches share one AuthJWTKeysTimeout: the
 * second gets what the first left (at least 100 ms).
 */
int jwks_fetch_source(jwks_fetch_result_t *out, const char **issuer,
                      const char **jwks_uri, apr_pool_t *p,
                      const jwks_fetch_opts_t *opts) JWT_WUR;

/* htjwt verify https://...: jwks_fetch_source then jwks_parse_keys, the
 * issuer of a discovery document binding the keys unless OPTS->iss is set.
 */
int jwks_load_remote(jwk_set_t *set, apr_pool_t *p, const char *url,
                     const jwk_load_opts_t *opts, const char *ca_file,
                     long timeout, const char **err) JWT_WUR;

/* ---- the last good set, kept across restarts ---- */

typedef struct {
    const char *uri;            /* the configured URL                     */
    const char *jwks_uri;       /* where the keys came from               */
    const char *issuer;         /* discovery issuer; NULL for a JWKS URI  */
    const char *etag;           /* NULL: none                             */
    int64_t fetched;            /* time of the fetch (seconds)            */
    const char *body;           /* the JWKS as fetched                    */
    size_t len;
} jwks_cache_entry_t;

/* DIR/jwks-<first 32 hex digits of SHA-256(URI)>.json */
const char *jwks_cache_path(apr_pool_t *p, const char *dir, const char *uri);

/* Write E atomically (a temporary file in DIR, fsync, rename) with mode
 * 0600.  *PATH is the file written (for the caller to chown). */
int jwks_cache_write(const char **path, apr_pool_t *p, const char *dir,
                     const jwks_cache_entry_t *e, const char **err) JWT_WUR;

/* Read the entry for URI from DIR.  Returns non-zero when there is none
 * (*ERR NULL) or it cannot be used (*ERR says why: unreadable, too large,
 * not ours, another URI). */
int jwks_cache_read(jwks_cache_entry_t *e, apr_pool_t *p, const char *dir,
                    const char *uri, const char **err) JWT_WUR;

#endif /* JWKS_REMOTE_H */
