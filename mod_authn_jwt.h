/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * mod_authn_jwt.h: private header shared by the httpd glue files
 * (mod_authn_jwt.c, mod_authn_jwt_config.c, mod_authn_jwt_config_issue.c,
 * mod_authn_jwt_authz.c, mod_authn_jwt_handlers.c, mod_authn_jwt_issuer.c
 * and mod_authn_jwt_startup.c).  It is not installed and not part of the core
 * API in include/.
 *
 * It holds the per-directory configuration record, the per-request record
 * that carries a verified token from authentication to authorization
 * (RFC 6750 section 2 and 3), the few functions the glue files share, and
 * the list of log tags.
 *
 * Symbols shared between glue files carry the authn_jwt_ prefix and hidden
 * visibility; the shared object exports authn_jwt_module only.
 */

#ifndef MOD_AUTHN_JWT_H
#define MOD_AUTHN_JWT_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_expr.h"
#include "mod_auth.h"

#include "apr_tables.h"

#include "jose_alg.h"
#include "jwt.h"
#include "jwk.h"
#include "jwt_status.h"

#if defined(__GNUC__)
#define AUTHN_JWT_PRIVATE __attribute__((visibility("hidden")))
#else
#define AUTHN_JWT_PRIVATE
#endif

/*
 * Log tags.  httpd reserves "AH" and APLOGNO() only builds AH tags, so this
 * module writes its own: AJLOGNO(00001) gives "AJ00001: ".  One tag per call
 * site, never reused, never renumbered; tests declare expected lines by tag.
 *
 *   AJ00001  jose core diagnostic forwarded at start-up (any level)
 *   AJ00002  Bearer: token accepted (INFO)
 *   AJ00003  token rejected, with reason (INFO)
 *   AJ00004  Bearer: no token in the request (INFO)
 *   AJ00005  Bearer: request-level rejection, 400/401 (INFO)
 *   AJ00006  no AuthJWTVerifyKey for this location (ERR, misconfiguration;
 *            once per location per child, then DEBUG)
 *   AJ00007  Basic provider: token accepted (INFO)
 *   AJ00008  Bearer: token source found (DEBUG)
 *   AJ00009  Require jwt-scope: insufficient scope (INFO)
 *   AJ00010  Require jwt-claim: requirement not met (INFO)
 *   AJ00011  Require jwt-*: request not authenticated by this module (DEBUG)
 *   AJ00012  Basic provider: password is not a token, next provider (DEBUG)
 *   AJ00013  Require jwt-scope: granted (DEBUG)
 *   AJ00014  Require jwt-claim: granted (DEBUG)
 *   AJ00015  module initialised, post_config (DEBUG)
 *   AJ00016  jwt-issuer: token issued (INFO)
 *   AJ00017  jwt-issuer: no authenticated user, location lacks auth (ERR)
 *   AJ00018  jwt-issuer: no AuthJWTSignKey for this location (ERR)
 *   AJ00019  jwt-issuer: scope asked for is not allowed (INFO)
 *   AJ00020  jwt-issuer: malformed request parameters (INFO)
 *   AJ00021  jwt-issuer: AuthJWTScope evaluation failed (ERR)
 *   AJ00022  jwt-issuer: claim value is the presented credential (ERR)
 *   AJ00023  jwt-issuer: signing or encryption failed (ERR)
 *   AJ00024  jwt-issuer: dropped an allowed scope that is no scope-token
 *            (INFO)
 *   AJ00025  ApiKey: key accepted (INFO)
 *   AJ00026  ApiKey: no key in the request (INFO)
 *   AJ00027  ApiKey: malformed key (INFO)
 *   AJ00028  ApiKey: key refused by the providers (INFO)
 *   AJ00029  ApiKey: provider error (ERR)
 *   AJ00030  ApiKey: authn provider not available (ERR)
 *   AJ00031  jwt-jwks: a key could not be exported (ERR)
 *   AJ00032  jwt-issuer: request body too large (INFO)
 *   AJ00033  jwt-issuer: AuthJWTClaim evaluation failed (ERR)
 *   AJ00034  jwt-issuer: AuthJWTClaim value is not valid UTF-8 (ERR)
 *
 * Block AJ00100-00149: key selection, audience and start-up checks.
 *   AJ00100  AuthJWTVerifyKey: more keys without a kid than a token is
 *            checked against (WARN, start-up)
 *   AJ00101  a section verifies tokens without AuthJWTAudience: tokens
 *            with aud are refused there (NOTICE, start-up)
 *   AJ00102  AuthJWTRequireClaim none: tokens without exp are accepted
 *            (WARN, start-up)
 *   AJ00103  OpenSSL lacks a digest or HMAC: start-up stops (CRIT)
 *
 * Block AJ00150-00199: credentials, subrequests, authorization glue.
 *   AJ00150  Bearer: a subrequest or redirect reuses the token of the
 *            request it came from, same rules (DEBUG)
 *   AJ00151  the token cookie or query argument was removed from the
 *            request (DEBUG)
 *   AJ00152  Require jwt-expr: cannot evaluate the expression (ERR)
 *   AJ00153  Require jwt-expr: expression false (INFO)
 *   AJ00154  Require jwt-expr: granted (DEBUG)
 *   AJ00155  Basic provider: token could not be checked, 500 (ERR)
 *   AJ00156  jwt-issuer: refresh refused, login too old (INFO)
 *   AJ00157  .htaccess key cache: a key file loaded from disk (DEBUG)
 *   AJ00158  .htaccess key cache: full, a source dropped (DEBUG)
 *   AJ00159  ApiKey: the key header was removed from the request (DEBUG)
 *   AJ00160  Require expr: cannot evaluate the expression (ERR)
 *
 * Block AJ00200-00219: packaging and start-up.
 *   AJ00200  start-up: the module's version, once per (re)start (NOTICE)
 *
 * Remote key sets (mod_authn_jwt_remote.c), AJ00220-AJ00299:
 *   AJ00220  key set fetched in the background: URL, result, HTTP status,
 *            keys, ETag hit, duration (INFO)
 *   AJ00221  key set cannot be refreshed, last good set in use (WARN,
 *            once per state change)
 *   AJ00222  key set older than AuthJWTKeysMaxStale: 503 (ERR, once)
 *   AJ00223  key set refreshed again after a failure (NOTICE)
 *   AJ00224  no key set at all: 503 until a fetch succeeds (ERR, once)
 *   AJ00225  start-up: key set taken from AuthJWTKeysCacheDir (WARN)
 *   AJ00226  key set could not be written to AuthJWTKeysCacheDir (WARN)
 *   AJ00227  AuthJWTKeysCacheDir entry unreadable (WARN)
 *   AJ00228  a child loaded a new generation of a key set (DEBUG)
 *   AJ00229  a new generation has no key for one AuthJWTVerifyKey line;
 *            that line keeps its keys (WARN)
 *   AJ00230  unknown kid: refetch asked for (INFO)
 *   AJ00231  unknown kid: refetch suppressed by AuthJWTKeysMinRefresh
 *            (DEBUG)
 *   AJ00233  mod_watchdog not loaded (CRIT, start-up stops)
 *   AJ00234  libcurl initialisation failed (CRIT, start-up stops)
 *   AJ00235  shared memory for the key sets failed (CRIT, start-up stops)
 *   AJ00236  AuthJWTKeysCacheDir unusable (CRIT, start-up stops)
 *   AJ00237  start-up fetch: same fields as AJ00220 (INFO)
 *   AJ00238  cannot chown a kept key set file (WARN)
 *   AJ00239  the kept key set is not usable (WARN)
 *   AJ00240  start-up: a key set has no key for one AuthJWTVerifyKey line
 *            (WARN)
 *   AJ00241  the key set fetcher could not be registered (CRIT)
 *
 * Block AJ00320-00399: cache, revocation and metrics.
 *   AJ00320  metrics: no shared memory for the counters (ERR)
 *   AJ00321  cache: no locks for the token cache, cache off (ERR)
 *   AJ00322  revocation: store cannot be set up, start-up stops (ERR)
 *   AJ00323  revocation: store failed on a lookup (ERR, at most once a
 *            minute per child)
 *   AJ00324  revocation: token refused, revoked (INFO, the decision line
 *            AJ00003 follows)
 *   AJ00325  jwt-revoke: token revoked (INFO)
 *   AJ00326  jwt-revoke: token not valid here, nothing revoked (INFO)
 *   AJ00327  jwt-revoke: caller may not revoke this token (INFO)
 *   AJ00328  jwt-revoke: malformed request (INFO)
 *   AJ00329  jwt-revoke: the store failed, not revoked (ERR)
 *   AJ00330  jwt-revoke: no revocation store on this server (ERR)
 *   AJ00331  revocation: global mutex for the store failed (ERR)
 *   AJ00332  revocation: store ready, post_config (DEBUG)
 */
#define AJLOGNO(n) "AJ" #n ": "

/* Longest value of a claim, kid or id we copy into a log line. */
#define AUTHN_JWT_LOG_ITEM_MAX 64

/* The request notes and environment names the glue writes. */
#define AUTHN_JWT_ENV_ERROR     "JWT_ERROR"
#define AUTHN_JWT_ENV_CLAIM     "JWT_CLAIM_"
/* r->notes: a Require jwt-* line refused a valid token: the scopes of a
 * failed Require jwt-scope, "" for Require jwt-claim (challenge). */
#define AUTHN_JWT_NOTE_SCOPE    "authn_jwt_insufficient_scope"
/* r->notes: the 403 challenge was put in err_headers_out early. */
#define AUTHN_JWT_NOTE_SCOPE_HDR "authn_jwt_scope_challenge"

/* The auth scheme of RFC 6750, also r->ap_auth_type after acceptance. */
#define AUTHN_JWT_SCHEME        "Bearer"
/* AuthType ApiKey: the scheme of its challenge and r->ap_auth_type.  No
 * standard defines it; the challenge only tells the client which realm
 * wants a key. */
#define AUTHN_JWT_APIKEY_SCHEME "ApiKey"
#define AUTHN_JWT_APIKEY_HEADER "X-API-Key"
#define AUTHN_JWT_DEFAULT_LIFETIME 900
/* AuthJWTRefreshMaxAge: a day after the login, refresh stops. */
#define AUTHN_JWT_DEFAULT_REFRESH_MAX_AGE 86400
/* Longest AuthJWTMaxTTL and AuthJWTLifetime: ten years. */
#define AUTHN_JWT_MAX_TTL       315360000

extern module AP_MODULE_DECLARE_DATA authn_jwt_module;

/* ---- configuration (mod_authn_jwt_config.c) ---- */

/* A remote key source line (AuthJWTVerifyKey https://...); opaque outside
 * mod_authn_jwt_remote.c. */
typedef struct authn_jwt_remote_t authn_jwt_remote_t;

typedef enum {
    AUTHN_JWT_FROM_HEADER = 1,  /* Authorization: Bearer (RFC 6750 2.1)  */
    AUTHN_JWT_FROM_COOKIE,      /* a named cookie                        */
    AUTHN_JWT_FROM_QUERY        /* a named query argument (RFC 6750 2.3) */
} authn_jwt_from_t;

typedef struct {
    authn_jwt_from_t kind;
    const char *name;           /* cookie or query argument name         */
} authn_jwt_source_t;

/* AuthJWTSignKey / AuthJWTEncryptKey: one key, loaded at start-up, and
 * what it is used with.  Read-only after start-up. */
typedef struct {
    const jwk_t *key;
    const jose_alg_info_t *alg;     /* JWS alg, or JWE key management     */
    const jose_enc_info_t *enc;     /* JWE content encryption; NULL: sign */
    const char *kid;                /* signing: the header kid            */
} authn_jwt_issue_key_t;

/* One argument of AuthJWTScope, or one AuthJWTClaim.  A literal argument
 * (no '%' and no '\\') is kept as text and never evaluated: AuthJWTScope
 * literals are split into one entry per scope at start-up. */
typedef struct {
    const char *name;               /* AuthJWTClaim NAME; NULL for scopes */
    const char *text;               /* literal value or expression source */
    ap_expr_info_t *expr;           /* NULL when literal                  */
} authn_jwt_expr_t;

/* AuthJWTApiKeyProvider: a provider found at start-up. */
typedef struct {
    const char *name;
    const authn_provider *provider;
} authn_jwt_provider_t;

/*
 * One record per directory scope, in mod_auth_basic's shape: each field has
 * a _set flag, defaults are the secure ones, merge takes the child's value
 * when set.  The validation rules of the core are stored directly in
 * RULES so the request path reads them and never rebuilds them; the key
 * sets are only ever written at start-up and are read-only afterwards
 * (thread safety under the event and worker MPMs).
 */
typedef struct {
    /* Validating (manual "Validating tokens").  rules.verify_keys and
     * rules.decrypt_keys always point at the two sets below. */
    jwt_rules_t rules;
    jwk_set_t *verify_keys;         /* AuthJWTVerifyKey; NULL: none       */
    jwk_set_t *decrypt_keys;        /* AuthJWTDecryptKey; NULL: no JWE    */
    apr_array_header_t *remote_keys;/* authn_jwt_remote_t *: the https://
                                     * AuthJWTVerifyKey lines; merged with
                                     * verify_keys (verify_keys_set)     */
    apr_array_header_t *token_from; /* of authn_jwt_source_t              */
    const char *scope_claim;        /* NULL: "scope", then "scp"          */
    const char *resource_metadata;  /* RFC 9728 URL for the challenge     */
    const char *keys_where;         /* "file:line" of the first key line,
                                     * for start-up messages              */

    /* Every _set flag of the record, those of the cache, revocation and
     * issuing fields below too, in one word: ANY_SET is 0 when no
     * directive set anything (nothing_set() in mod_authn_jwt_config.c;
     * scripts/check-set-flags.sh checks that no flag is outside). */
    union {
        struct {
            unsigned verify_keys_set:1;
            unsigned decrypt_keys_set:1;
            unsigned require_encryption_set:1;
            unsigned allow_unsigned_jwe_set:1;
            unsigned max_p2c_set:1;
            unsigned issuers_set:1;
            unsigned audiences_set:1;
            unsigned leeway_set:1;
            unsigned max_ttl_set:1;
            unsigned required_set:1;
            unsigned types_set:1;
            unsigned token_from_set:1;
            unsigned user_claim_set:1;
            unsigned scope_claim_set:1;
            unsigned max_size_set:1;
            unsigned resource_metadata_set:1;
            /* (the cache, revocation and issuing fields below) */
            unsigned cache_set:1;
            unsigned cache_max_age_set:1;
            unsigned revoke_any_set:1;
            unsigned sign_key_set:1;
            unsigned encrypt_key_set:1;
            unsigned lifetime_set:1;
            unsigned refresh_max_age_set:1;
            unsigned scopes_set:1;
            unsigned claims_set:1;
            unsigned apikey_header_set:1;
            unsigned apikey_providers_set:1;
            unsigned resource_set:1;
        };
        uint64_t any_set;
    };

    /* Cache and revocation (mod_authn_jwt_cache.c,
     * mod_authn_jwt_revoke.c). */
    /* Fingerprints of the lists and key sets in RULES, computed once per
     * record (mod_authn_jwt_cache.c); merged with their fields. */
    uint64_t rules_fp[6];
    uint64_t rules_fp_all;          /* of all the rules, with VERIFY_KEYS:
                                     * 0 until the first lookup           */
    int cache;                      /* AuthJWTCache                       */
    apr_int64_t cache_max_age;      /* AuthJWTCacheMaxAge, seconds        */
    int revoke_any;                 /* AuthJWTRevokeAny                   */

    /* Issuing (mod_authn_jwt_issuer.c), API keys, JWKS and RFC 9728
     * metadata (mod_authn_jwt_handlers.c). */
    authn_jwt_issue_key_t *sign_key;    /* AuthJWTSignKey; NULL: none     */
    authn_jwt_issue_key_t *encrypt_key; /* AuthJWTEncryptKey; NULL: JWS   */
    apr_int64_t lifetime;               /* AuthJWTLifetime, seconds       */
    apr_int64_t refresh_max_age;        /* AuthJWTRefreshMaxAge, seconds  */
    apr_array_header_t *scopes;         /* AuthJWTScope: authn_jwt_expr_t */
    apr_array_header_t *claims;         /* AuthJWTClaim: authn_jwt_expr_t */
    const char *apikey_header;          /* AuthJWTApiKeyHeader            */
    apr_array_header_t *apikey_providers; /* authn_jwt_provider_t; NULL:
                                         * "file", looked up per request  */
    const char *resource;               /* AuthJWTResource (RFC 9728)     */
} authn_jwt_dir_conf_t;

/* The defaults of the remote key directives (manual #idp), seconds. */
#define AUTHN_JWT_KEYS_REFRESH      600
#define AUTHN_JWT_KEYS_MIN_REFRESH  30
#define AUTHN_JWT_KEYS_MAX_STALE    86400
#define AUTHN_JWT_KEYS_TIMEOUT      5

/*
 * Server scope (main server and <VirtualHost>), merged like the directory
 * record.  Other parts add their server-scope fields here.
 */
typedef struct {
    int cache_size;                 /* AuthJWTCacheSize, entries          */
    const char *rev_store;          /* AuthJWTRevocationStore, as written */
    apr_int64_t rev_delay;          /* AuthJWTRevocationDelay, seconds    */
    int rev_fail_open;              /* AuthJWTRevocationFailOpen          */
    unsigned cache_size_set:1;
    unsigned rev_store_set:1;
    unsigned rev_delay_set:1;
    unsigned rev_fail_open_set:1;

    /* Remote key sets (mod_authn_jwt_remote.c) */
    apr_int64_t keys_refresh;       /* AuthJWTKeysRefresh                 */
    apr_int64_t keys_min_refresh;   /* AuthJWTKeysMinRefresh              */
    apr_int64_t keys_max_stale;     /* AuthJWTKeysMaxStale                */
    apr_int64_t keys_timeout;       /* AuthJWTKeysTimeout                 */
    const char *keys_ca_file;       /* AuthJWTKeysCAFile; NULL: system    */
    const char *keys_cache_dir;     /* AuthJWTKeysCacheDir; NULL: default */
    unsigned keys_refresh_set:1;
    unsigned keys_min_refresh_set:1;
    unsigned keys_max_stale_set:1;
    unsigned keys_timeout_set:1;
    unsigned keys_ca_file_set:1;
    unsigned keys_cache_dir_set:1;

    /* Run time, never merged. */
    void *remote;                   /* main server: the remote key sources,
                                     * set at post_config                 */
    struct authn_jwt_cache *cache;  /* this child's, made in child_init   */
    struct authn_jwt_revstore *revstore; /* made in post_config; NULL:
                                     * nothing can be revoked             */
} authn_jwt_srv_conf_t;

#define AUTHN_JWT_CACHE_SIZE_DEFAULT    10000
#define AUTHN_JWT_CACHE_SIZE_MAX        10000000
#define AUTHN_JWT_CACHE_MAX_AGE_DEFAULT 300
#define AUTHN_JWT_CACHE_MAX_AGE_MAX     86400
#define AUTHN_JWT_REV_DELAY_DEFAULT     5
#define AUTHN_JWT_REV_DELAY_MAX         3600

AUTHN_JWT_PRIVATE void *authn_jwt_create_srv_conf(apr_pool_t *p,
                                                  server_rec *s);
AUTHN_JWT_PRIVATE void *authn_jwt_merge_srv_conf(apr_pool_t *p, void *basev,
                                                 void *addv);

AUTHN_JWT_PRIVATE extern const command_rec authn_jwt_cmds[];
AUTHN_JWT_PRIVATE void *authn_jwt_create_dir_conf(apr_pool_t *p, char *dir);
AUTHN_JWT_PRIVATE void *authn_jwt_merge_dir_conf(apr_pool_t *p, void *basev,
                                                 void *addv);

/* Directive argument checks shared by the two configuration files; the
 * const char * ones return the error string for httpd, or NULL.
 * authn_jwt_is_tchar (RFC 9110 section 5.6.2) also checks the
 * auth-scheme of an Authorization header. */
AUTHN_JWT_PRIVATE const char *authn_jwt_parse_seconds(cmd_parms *cmd,
    const char *arg, apr_int64_t min, apr_int64_t max, apr_int64_t *out);
AUTHN_JWT_PRIVATE const char *authn_jwt_check_name(cmd_parms *cmd,
    const char *what, const char *arg);
AUTHN_JWT_PRIVATE const char *authn_jwt_check_kid(cmd_parms *cmd,
                                                  const char *kid);
AUTHN_JWT_PRIVATE int authn_jwt_is_tchar(int c);
AUTHN_JWT_PRIVATE int authn_jwt_is_plain_quotable(const char *s);

/* The directives of the issuer, AuthType ApiKey and RFC 9728
 * (mod_authn_jwt_config_issue.c), listed in authn_jwt_cmds. */
AUTHN_JWT_PRIVATE const char *authn_jwt_set_sign_key(cmd_parms *cmd,
    void *dconf, const char *args);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_encrypt_key(cmd_parms *cmd,
    void *dconf, const char *args);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_lifetime(cmd_parms *cmd,
    void *dconf, const char *arg);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_refresh_max_age(cmd_parms *cmd,
    void *dconf, const char *arg);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_scope(cmd_parms *cmd,
    void *dconf, int argc, char *const argv[]);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_claim(cmd_parms *cmd,
    void *dconf, const char *name, const char *value);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_apikey_header(cmd_parms *cmd,
    void *dconf, const char *arg);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_apikey_provider(cmd_parms *cmd,
    void *dconf, const char *arg);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_resource(cmd_parms *cmd,
    void *dconf, const char *arg);

/* ---- remote key sets (mod_authn_jwt_remote.c) ---- */

AUTHN_JWT_PRIVATE const char *authn_jwt_set_keys_refresh(cmd_parms *cmd,
    void *d, const char *arg);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_keys_min_refresh(cmd_parms *cmd,
    void *d, const char *arg);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_keys_max_stale(cmd_parms *cmd,
    void *d, const char *arg);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_keys_timeout(cmd_parms *cmd,
    void *d, const char *arg);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_keys_ca_file(cmd_parms *cmd,
    void *d, const char *arg);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_keys_cache_dir(cmd_parms *cmd,
    void *d, const char *arg);

/* AuthJWTVerifyKey with an https:// SOURCE: register URL (a JWKS URI or a
 * discovery document) with the line's OPTS for CONF.  Error string or
 * NULL. */
AUTHN_JWT_PRIVATE const char *authn_jwt_remote_add(cmd_parms *cmd,
    authn_jwt_dir_conf_t *conf, const jwk_load_opts_t *opts,
    const char *url);

/*
 * The remote part of authn_jwt_verify_keys: the key files of CONF plus the
 * current set of every remote source, held until R's pool is cleared.
 * JWT_ERR_KEYS_UNAVAILABLE when the location has no usable key at all
 * because its remote sets are missing or older than AuthJWTKeysMaxStale;
 * *KEYS may then be NULL.
 */
AUTHN_JWT_PRIVATE jwt_status_t authn_jwt_remote_keys(const request_rec *r,
    const authn_jwt_dir_conf_t *conf, const jwk_set_t **keys);

/* 1 when a remote source of CONF has no usable set (so that "no key for
 * this token" may be the provider's fault, not the client's). */
AUTHN_JWT_PRIVATE int authn_jwt_remote_any_unavailable(request_rec *r,
    const authn_jwt_dir_conf_t *conf);

/* Seconds for Retry-After on a 503: until the next fetch attempt. */
AUTHN_JWT_PRIVATE long authn_jwt_remote_retry_after(
    const authn_jwt_dir_conf_t *conf);

/* A token named KID (of issuer ISS, may be NULL) that no current set has:
 * ask for a refetch, at most once per AuthJWTKeysMinRefresh per source for
 * the whole server, and wait for it up to AuthJWTKeysTimeout.  1 when a
 * new set was loaded (check the token again), 0 otherwise. */
AUTHN_JWT_PRIVATE int authn_jwt_remote_refetch(request_rec *r,
    const authn_jwt_dir_conf_t *conf, const char *kid, const char *iss);

/* Figures of one remote key source for jwt-metrics and mod_status.  They
 * live in shared memory, so they already cover every child.  INDEX (1..,
 * configuration order) is the label; URL is for humans (server-status),
 * never a metrics label. */
typedef struct {
    int index;
    const char *url;
    apr_uint32_t fetch_ok;          /* 200 with a usable set              */
    apr_uint32_t fetch_not_modified;/* 304 to If-None-Match               */
    apr_uint32_t fetch_failed;      /* no answer, TLS, status, size       */
    apr_uint32_t fetch_invalid;     /* 200 but no usable set: refused     */
    apr_uint32_t refetch_suppressed;/* unknown kid within MinRefresh      */
    apr_uint32_t keys;              /* keys in the current set            */
    apr_time_t last_good;           /* last 200/304; 0: never             */
    const char *state;              /* empty, fresh, failing, stale       */
} authn_jwt_keys_stats_t;

/* One authn_jwt_keys_stats_t per remote source of the server, in P. */
AUTHN_JWT_PRIVATE apr_array_header_t *authn_jwt_keys_stats(apr_pool_t *p);

AUTHN_JWT_PRIVATE void authn_jwt_remote_register_hooks(apr_pool_t *p);

/* ---- start-up checks (mod_authn_jwt_startup.c), from post_config ---- */

AUTHN_JWT_PRIVATE void authn_jwt_startup_checks(apr_pool_t *ptemp,
                                                server_rec *s);

/* 1 the first time, in this child, that WHAT is said about the section
 * that configured R, else 0 (log it at debug then).  The registry is
 * made by authn_jwt_once_init from child_init. */
AUTHN_JWT_PRIVATE void authn_jwt_once_init(apr_pool_t *pchild);
AUTHN_JWT_PRIVATE int authn_jwt_once(const request_rec *r,
                                     const char *what);

/* ---- per request (mod_authn_jwt.c) ---- */

/*
 * Kept in request_config of the request that checked the token.  Lookups
 * walk r, then its main request (subrequests) and each one's prev
 * (internal redirects), so authorization, jwt_claim() and subrequests see
 * the token that authenticated the request.
 */
typedef struct {
    jwt_t *jwt;                 /* accepted token; NULL when rejected     */
    const char *user;           /* the user claim that became r->user: a
                                 * request is ours while r->user is this
                                 * very pointer (httpd copies it into
                                 * subrequests and redirects)             */
    jwt_status_t status;        /* the decision                           */
    const char *via;            /* header, cookie, query or basic         */
    const authn_jwt_dir_conf_t *conf; /* the rules that decided      */
    const char *token;          /* the accepted token; NULL when rejected.
                                 * Also for subrequests and redirects of
                                 * this request whose source was removed  */
    size_t token_len;
    const char *credential;     /* the API key removed from the request,
                                 * kept for the issuer's credential guard */
    apr_pool_t *pool;           /* the pool of the request it belongs to  */
    json_t *claims;             /* JWT's claims as an object, once
                                 * authn_jwt_claims made it               */
} authn_jwt_req_t;

/* The record that decided this request, or NULL.  TOKEN/TOKEN_LEN: the
 * credential that was accepted (jwt-revoke compares with it). */
AUTHN_JWT_PRIVATE authn_jwt_req_t *authn_jwt_req_find(const request_rec *r);

/* The verified claims when THIS module authenticated r->user, else NULL. */
AUTHN_JWT_PRIVATE const jwt_t *authn_jwt_authenticated(const request_rec *r);

/* The claims of authn_jwt_authenticated(R) as one JSON object, for what
 * reads claims by path (Require jwt-claim, jwt_claim(), the issuer): made
 * once per request when the token's claims were read flat.  NULL when
 * this module did not authenticate R. */
AUTHN_JWT_PRIVATE const json_t *authn_jwt_claims(const request_rec *r);

/*
 * Check TOKEN[0..LEN) against CONF for R: parse, verify, validate with the
 * request time as the clock, then the user claim (a non-empty string with no
 * control characters) and, when BASIC_USER is non-empty, that it equals the
 * user claim.  On JWT_OK sets r->user and the JWT_* environment; on failure
 * sets JWT_ERROR.  Either way records the decision and logs one INFO line.
 * VIA names the token source for the log.
 */
AUTHN_JWT_PRIVATE jwt_status_t authn_jwt_check_token(request_rec *r,
    const authn_jwt_dir_conf_t *conf, const char *token, size_t len,
    const char *basic_user, const char *via);

/* AuthType ApiKey accepted VALUE from the header NAME: remove it from the
 * request (backends never see it), keep it for the issuer's credential
 * guard, and keep the response out of shared caches. */
AUTHN_JWT_PRIVATE void authn_jwt_consume_apikey(request_rec *r,
    const char *name, const char *value);

/* The API key consumed by this request or the request it came from
 * (subrequest, internal redirect), or NULL. */
AUTHN_JWT_PRIVATE const char *authn_jwt_consumed_apikey(
    const request_rec *r);

/* 1 when CONF has a key that can accept a token at all. */
AUTHN_JWT_PRIVATE int authn_jwt_has_keys(const request_rec *r,
                                         const authn_jwt_dir_conf_t *conf);

/*
 * The location's verification keys as they are now.  Every check of a
 * token and the cache's "is the key that verified it still there" test go
 * through this one function, so a key set that changes at run time (remote
 * key sources) is seen the same way by both.
 */
AUTHN_JWT_PRIVATE const jwk_set_t *authn_jwt_verify_keys(
    const request_rec *r, const authn_jwt_dir_conf_t *conf);

/* The rules a token is checked by at CONF for R: the location's, with
 * authn_jwt_verify_keys, claims read flat where they can be. */
AUTHN_JWT_PRIVATE jwt_rules_t authn_jwt_request_rules(
    const request_rec *r, const authn_jwt_dir_conf_t *conf);

/* One JWT_* variable of an accepted token. */
typedef struct {
    const char *name;
    const char *value;
} authn_jwt_env_t;

/* The JWT_* variables of JWT at a location of CONF (manual "Environment
 * variables"): an array of authn_jwt_env_t, values without control
 * characters only.  The cache keeps it with the token. */
AUTHN_JWT_PRIVATE apr_array_header_t *authn_jwt_env_make(apr_pool_t *p,
    const authn_jwt_dir_conf_t *conf, const jwt_t *jwt);

/* Set JWT_ERROR (environment and notes) to the status' short name. */
AUTHN_JWT_PRIVATE void authn_jwt_set_error(request_rec *r, jwt_status_t st);

/*
 * The WWW-Authenticate value of RFC 6750 section 3 for status ST: realm
 * from AuthName, error and error_description from the status table, SCOPE
 * (may be NULL) for insufficient_scope, resource_metadata (RFC 9728
 * section 5.1) when configured.  Every quoted value is escaped.
 */
AUTHN_JWT_PRIVATE const char *authn_jwt_challenge(request_rec *r,
    const authn_jwt_dir_conf_t *conf, jwt_status_t st, const char *scope);

/* The response header that carries the challenge for R (proxy or not). */
AUTHN_JWT_PRIVATE const char *authn_jwt_challenge_header(const request_rec *r);

/* A short, escaped, truncated copy of S for a log line ("-" for NULL). */
AUTHN_JWT_PRIVATE const char *authn_jwt_log_item(apr_pool_t *p,
                                                 const char *s);

/* S as an RFC 9110 quoted-string (for challenge parameters). */
AUTHN_JWT_PRIVATE const char *authn_jwt_quoted(apr_pool_t *p,
                                               const char *s);

/* The request's UNIQUE_ID (mod_unique_id), or NULL. */
AUTHN_JWT_PRIVATE const char *authn_jwt_unique_id(const request_rec *r);

/* ---- keys named in .htaccess (mod_authn_jwt_keycache.c) ---- */

/* jwk_load for a directive: once the child serves requests (.htaccess), the
 * keys of SOURCE with OPTS come from a per-child cache while the file keeps
 * its size and mtime; at start-up it is jwk_load itself.  S: for the log. */
AUTHN_JWT_PRIVATE int authn_jwt_keycache_load(jwk_set_t *set, apr_pool_t *p,
    server_rec *s, const char *source, const jwk_load_opts_t *opts,
    const char **err);
AUTHN_JWT_PRIVATE void authn_jwt_register_keycache(apr_pool_t *p);

/* ---- authorization and the Basic provider (mod_authn_jwt_authz.c) ---- */

AUTHN_JWT_PRIVATE void authn_jwt_register_authz(apr_pool_t *p);

/* ---- AuthType ApiKey, jwt-jwks, jwt-resource-metadata and the hooks
 * of all handlers (mod_authn_jwt_handlers.c) ---- */

#define AUTHN_JWT_JSON_TYPE     "application/json"
#define AUTHN_JWT_FORM_TYPE     "application/x-www-form-urlencoded"

AUTHN_JWT_PRIVATE void authn_jwt_register_handlers(apr_pool_t *p);

/* Send DOC (owned by r->pool; NULL: 500) as the whole response with
 * STATUS and content type TYPE.  Returns OK or an HTTP status. */
AUTHN_JWT_PRIVATE int authn_jwt_send_json(request_rec *r, int status,
    const char *type, const json_t *doc);

/* Whether the Content-Type CT is application/x-www-form-urlencoded. */
AUTHN_JWT_PRIVATE int authn_jwt_is_form(const char *ct);

/* The whole request body of R, at most MAX bytes, NUL-terminated, into
 * *OUT (NULL and 0 when there is none): OK, or the HTTP status to answer
 * (413 when longer than MAX, 400 when it cannot be read). */
AUTHN_JWT_PRIVATE int authn_jwt_read_body(request_rec *r, apr_size_t max,
    char **out, apr_size_t *outlen);

/* OK when R's method is METHOD (M_GET also answers HEAD), else 405 with
 * Allow: NAME. */
AUTHN_JWT_PRIVATE int authn_jwt_only_method(request_rec *r, int method,
                                            const char *name);

/* ---- metrics (mod_authn_jwt_metrics.c) ---- */

/* The counters without labels, plus the two store error counters. */
typedef enum {
    AUTHN_JWT_M_ACCEPTED = 0,
    AUTHN_JWT_M_ISSUED,
    AUTHN_JWT_M_CACHE_HIT,
    AUTHN_JWT_M_CACHE_MISS,
    AUTHN_JWT_M_CACHE_EVICT,
    AUTHN_JWT_M_REVOKED,
    AUTHN_JWT_M_REVOKE_LOOKUP,
    AUTHN_JWT_M_FAIL_OPEN,
    AUTHN_JWT_M_STORE_LOOKUP_ERR,
    AUTHN_JWT_M_STORE_STORE_ERR,
    AUTHN_JWT_M_COUNT
} authn_jwt_metric_t;

/* Add one; lock-free, callable from any thread of any child. */
AUTHN_JWT_PRIVATE void authn_jwt_metric_inc(authn_jwt_metric_t m);
/* Count one decision: accepted for JWT_OK, else rejected{reason}. */
AUTHN_JWT_PRIVATE void authn_jwt_metric_decision(jwt_status_t st);

/*
 * Families of other parts (e.g. the remote key sources): FN is called for
 * every jwt-metrics and /server-status answer, after the module's own
 * counters.  It writes each family with authn_jwt_metrics_family (NAME
 * prefixed authn_jwt_, counters ending in _total; TYPE "counter" or
 * "gauge") followed by its samples (LABELS: NULL or a fixed text such as
 * "source=\"1\",result=\"ok\"", never request data).  Register from a
 * register_hooks or post_config function; at most 8.
 */
typedef struct authn_jwt_metrics_out authn_jwt_metrics_out_t;
typedef void authn_jwt_metrics_fn(authn_jwt_metrics_out_t *out,
                                  server_rec *s);
AUTHN_JWT_PRIVATE void authn_jwt_metrics_register(authn_jwt_metrics_fn *fn);
AUTHN_JWT_PRIVATE void authn_jwt_metrics_family(authn_jwt_metrics_out_t *out,
    const char *name, const char *type, const char *help);
AUTHN_JWT_PRIVATE void authn_jwt_metrics_sample(authn_jwt_metrics_out_t *out,
    const char *labels, double value);

AUTHN_JWT_PRIVATE void authn_jwt_register_metrics(apr_pool_t *p);

/* The families of the remote key sources (mod_authn_jwt_remote_conf.c),
 * registered with authn_jwt_metrics_register. */
AUTHN_JWT_PRIVATE void authn_jwt_remote_metrics(authn_jwt_metrics_out_t *out,
                                                server_rec *s);

/* ---- the verified-token cache (mod_authn_jwt_cache.c) ---- */

/* Revocation lookup state of one cache entry: the shared revocation
 * generation (high 32 bits) and the second (low 32 bits) of its last
 * "not revoked" answer; 0: never asked. */
typedef struct {
    uint64_t word;
} authn_jwt_rev_state_t;

/* The parts of the rules fingerprint kept in authn_jwt_dir_conf_t. */
enum {
    AUTHN_JWT_FP_VERIFY_KEYS = 0,
    AUTHN_JWT_FP_DECRYPT_KEYS,
    AUTHN_JWT_FP_ISSUERS,
    AUTHN_JWT_FP_AUDIENCES,
    AUTHN_JWT_FP_REQUIRED,
    AUTHN_JWT_FP_TYPES,
    AUTHN_JWT_FP_COUNT
};

/* The fingerprint of one part of CONF's rules, memoised in CONF. */
AUTHN_JWT_PRIVATE uint64_t authn_jwt_rules_part(authn_jwt_dir_conf_t *conf,
                                                int part);

/* One request's use of the cache, filled by authn_jwt_cache_lookup. */
typedef struct {
    struct authn_jwt_cache *cache;  /* NULL: no cache here               */
    uint64_t hash, rules;
    int hit;
    int admit;                      /* a miss that may be inserted       */
    authn_jwt_rev_state_t *rev;     /* the entry's, on a hit             */
    uint64_t rev_checked;           /* a lookup's answer before insert   */
    const authn_jwt_env_t *env;     /* the entry's JWT_* variables       */
    int nenv;
    const char *user;               /* the entry's user, on a hit         */
} authn_jwt_cache_ctx_t;

/* 1 and *OUT (valid until r->pool is cleared) when TOKEN was accepted
 * before under the same rules, has not expired (exp, nbf, max age) and its
 * key is still in the location's set; 0 otherwise (check in full).
 * Revocation is the caller's to check. */
AUTHN_JWT_PRIVATE int authn_jwt_cache_lookup(authn_jwt_cache_ctx_t *cc,
    request_rec *r, const authn_jwt_dir_conf_t *conf, const char *token,
    size_t len, jwt_t **out);

/* Remember JWT, just accepted in full, and its NENV variables ENV, for
 * CC's rules. */
AUTHN_JWT_PRIVATE void authn_jwt_cache_insert(authn_jwt_cache_ctx_t *cc,
    request_rec *r, const authn_jwt_dir_conf_t *conf, const char *token,
    size_t len, const jwt_t *jwt, const char *user,
    const authn_jwt_env_t *env, int nenv);

AUTHN_JWT_PRIVATE const char *authn_jwt_set_cache(cmd_parms *cmd,
    void *dconf, int on);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_cache_max_age(cmd_parms *cmd,
    void *dconf, const char *arg);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_cache_size(cmd_parms *cmd,
    void *dconf, const char *arg);
AUTHN_JWT_PRIVATE void authn_jwt_register_cache(apr_pool_t *p);

/* ---- revocation (mod_authn_jwt_revoke.c) ---- */

/*
 * JWT_OK, JWT_ERR_REVOKED, or JWT_ERR_REVOCATION_UNAVAILABLE (store
 * failed, fail closed).  Asks the store only when CC's entry has no
 * recent enough answer (AuthJWTRevocationDelay; at once after a
 * revocation at this server).
 */
AUTHN_JWT_PRIVATE jwt_status_t authn_jwt_revocation_check(request_rec *r,
    authn_jwt_cache_ctx_t *cc, const jwt_t *jwt, const char *token,
    size_t len);

/* Shared by all children (mod_authn_jwt_metrics.c): bumped after every
 * revocation stored at this server.  0 when there is no shared memory
 * (then nothing may be assumed: ask the store). */
AUTHN_JWT_PRIVATE int authn_jwt_revocation_generation(uint32_t *gen);
AUTHN_JWT_PRIVATE void authn_jwt_revocation_bump(void);

AUTHN_JWT_PRIVATE const char *authn_jwt_set_revocation_store(
    cmd_parms *cmd, void *dconf, const char *arg);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_revocation_delay(
    cmd_parms *cmd, void *dconf, const char *arg);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_revocation_fail_open(
    cmd_parms *cmd, void *dconf, int on);
AUTHN_JWT_PRIVATE const char *authn_jwt_set_revoke_any(cmd_parms *cmd,
    void *dconf, int on);
AUTHN_JWT_PRIVATE void authn_jwt_register_revoke(apr_pool_t *p);

/* ---- jwt-issuer (mod_authn_jwt_issuer.c) ---- */

/* The handler of SetHandler jwt-issuer. */
AUTHN_JWT_PRIVATE int authn_jwt_issuer_handler(request_rec *r);

#endif /* MOD_AUTHN_JWT_H */
