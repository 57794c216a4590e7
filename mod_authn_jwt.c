/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * mod_authn_jwt.c: the module structure and AuthType Bearer.
 *
 * The check_authn hook finds the token (RFC 6750 section 2.1 Authorization
 * header, a cookie, or section 2.3 query argument, in the configured
 * order), hands it to the core (parse, verify, validate; include/jwt.h) with
 * the request time as the clock, and on success sets r->user from the user
 * claim and the JWT_* environment.  Any failure is answered with 400 or 401
 * and the RFC 6750 section 3 challenge built by the note_auth_failure hook;
 * the module's own failures are a 401 too, never a 500 (doc/attacks.md F6).
 * Every decision is one INFO log line with the reason, jti, sub, kid and
 * UNIQUE_ID, never the token, its signature or the Authorization header.
 *
 * Configuration lives in mod_authn_jwt_config.c, the Require providers,
 * jwt_claim() and the Basic provider in mod_authn_jwt_authz.c, the
 * jwt-issuer handler in mod_authn_jwt_issuer.c, the jwt-jwks and
 * jwt-resource-metadata handlers and AuthType ApiKey in
 * mod_authn_jwt_handlers.c.
 */

#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "apr_strings.h"
#include "apr_lib.h"

#include "authn_jwt_version.h"
#include "jose_util.h"
#include "jwt.h"
#include "jwt_status.h"
#include "mod_authn_jwt.h"

/* The module structure is written out at the end of this file instead of
 * AP_DECLARE_MODULE, which would declare the log module index a second
 * time after every log call site. */
APLOG_USE_MODULE(authn_jwt);

/* At most this many JWT_CLAIM_* variables per request. */
#define MAX_CLAIM_VARS 64

/* The fixed variables this module sets; cleared before every decision so
 * nothing set earlier (SetEnvIf on client headers) passes for a claim.
 * Every one starts with "JWT_" (env_clear relies on it). */
static const char *const env_names[] = {
    "JWT_SUB", "JWT_ISS", "JWT_JTI", "JWT_SCOPE", "JWT_EXP", "JWT_ALG",
    "JWT_KID", AUTHN_JWT_ENV_ERROR, NULL
};

/* ---- small helpers ---- */

const char *authn_jwt_log_item(apr_pool_t *p, const char *s)
{
    if (s == NULL || *s == '\0') {
        return "-";
    }
    if (strlen(s) > AUTHN_JWT_LOG_ITEM_MAX) {
        s = apr_pstrcat(p, apr_pstrndup(p, s, AUTHN_JWT_LOG_ITEM_MAX), "...",
                        NULL);
    }
    return ap_escape_logitem(p, s);
}

/* Values with control characters never reach the environment: CGI and
 * RequestHeader would turn them into header injection (doc/attacks.md E3). */
static int is_clean(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* 1 when the variable was added.  CLEAN: VALUE is known to hold no
 * control character (decimal digits, or a string of claims read flat:
 * printable ASCII or UTF-8 beyond it, jose_util.h), so it is not
 * scanned again. */
static int env_add(apr_array_header_t *env, const char *name,
                   const char *value, int clean)
{
    if (value != NULL && (clean || is_clean(value))) {
        authn_jwt_env_t *e = apr_array_push(env);

        e->name = name;
        e->value = value;
        return 1;
    }
    return 0;
}

/* Is there any JWT_ variable at all?  Stops at the first. */
static int find_jwt_var(void *baton, const char *key, const char *val)
{
    int *found = baton;

    (void)val;
    if (ap_cstr_casecmpn(key, "JWT_", 4) == 0) {
        *found = 1;
        return 0;
    }
    return 1;
}

static int collect_claim_var(void *baton, const char *key, const char *val)
{
    apr_array_header_t *names = baton;

    (void)val;
    /* Table keys compare case-insensitively, so must the prefix. */
    if (ap_cstr_casecmpn(key, AUTHN_JWT_ENV_CLAIM,
                         sizeof(AUTHN_JWT_ENV_CLAIM) - 1) == 0) {
        APR_ARRAY_PUSH(names, const char *) = key;
    }
    return 1;
}

static void env_clear(request_rec *r)
{
    apr_array_header_t *names;
    int i, found = 0;

    /* Every name of ours starts with JWT_: one pass over the table finds
     * none in the common case, and then there is nothing to unset. */
    apr_table_do(find_jwt_var, &found, r->subprocess_env, NULL);
    if (!found) {
        apr_table_unset(r->notes, AUTHN_JWT_ENV_ERROR);
        return;
    }
    names = apr_array_make(r->pool, 4, sizeof(const char *));
    for (i = 0; env_names[i] != NULL; i++) {
        apr_table_unset(r->subprocess_env, env_names[i]);
    }
    apr_table_do(collect_claim_var, names, r->subprocess_env, NULL);
    for (i = 0; i < names->nelts; i++) {
        apr_table_unset(r->subprocess_env,
                        APR_ARRAY_IDX(names, i, const char *));
    }
    apr_table_unset(r->notes, AUTHN_JWT_ENV_ERROR);
}

void authn_jwt_set_error(request_rec *r, jwt_status_t st)
{
    const char *name = jwt_status_name(st);

    apr_table_setn(r->subprocess_env, AUTHN_JWT_ENV_ERROR, name);
    apr_table_setn(r->notes, AUTHN_JWT_ENV_ERROR, name);
}

/* JWT_CLAIM_<name>: characters outside [A-Za-z0-9_] become '_' so the name
 * is a valid environment variable for CGI and %{..}e.  One allocation.
 * *HASH: FNV-1a of the part after the prefix, without case, for
 * env_dedupe. */
static const char *claim_var_name(apr_pool_t *p, const char *claim,
                                  uint32_t *hash)
{
    size_t plen = sizeof(AUTHN_JWT_ENV_CLAIM) - 1, clen = strlen(claim);
    char *name = apr_palloc(p, plen + clen + 1), *c;
    uint32_t h = 2166136261u;

    memcpy(name, AUTHN_JWT_ENV_CLAIM, plen);
    /* ASCII only, whatever the locale: no ctype call per character */
    for (c = name + plen; *claim; c++, claim++) {
        unsigned char ch = (unsigned char)*claim, lower = ch | 0x20;
        int letter = lower >= 'a' && lower <= 'z';

        if (!letter && !(ch >= '0' && ch <= '9')) {
            ch = lower = '_';
        }
        *c = (char)ch;
        h = (h ^ (letter ? lower : ch)) * 16777619u;
    }
    *c = '\0';
    *hash = h;
    return name;
}

/* V as decimal text, as "%lld" writes it, without the formatter. */
static const char *int_text(apr_pool_t *p, long long v)
{
    char buf[24], *end = buf + sizeof(buf), *c = end;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v
                                 : (unsigned long long)v;

    do {
        *--c = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0);
    if (v < 0) {
        *--c = '-';
    }
    return apr_pstrmemdup(p, c, (apr_size_t)(end - c));
}

/* A claim value as its variable text, NULL for a value that has none
 * (null, an object).  Token strings hold no NUL (the JSON is parsed
 * without JSON_ALLOW_NUL) and live as long as the request (the claims
 * belong to r->pool), so a string is used where it is, uncopied; an
 * integer is written directly; other values as jwt_claim_text makes
 * them. */
static const char *claim_env_text(apr_pool_t *p, jwt_ref_t r)
{
    const json_t *v = r.json;
    const char *s = jwt_ref_string(r, NULL);

    if (s != NULL) {
        return s;
    }
    if (r.flat != NULL) {
        switch (r.flat->kind) {
        case JOSE_MEMBER_INT:
            return int_text(p, (long long)r.flat->i);
        case JOSE_MEMBER_TRUE:
            return "true";
        case JOSE_MEMBER_FALSE:
            return "false";
        case JOSE_MEMBER_ARRAY:
            return jwt_ref_array_text(p, r);
        default:
            return NULL;
        }
    }
    if (json_is_object(v) || json_is_null(v)) {
        return NULL;
    }
    if (json_is_integer(v)) {
        return int_text(p, (long long)json_integer_value(v));
    }
    return jwt_claim_text(p, v);
}

/* Two claims may map to one variable name ("a-b" and "a_b"), and table
 * keys compare without case: the later one wins, as apr_table_setn would
 * have it.  The variables from FIRST on are the JWT_CLAIM_ ones, with
 * HASH[i - FIRST] the hash claim_var_name gave; those before FIRST have
 * fixed names of their own, none starting with JWT_CLAIM_. */
static void env_dedupe(apr_array_header_t *env, int first,
                       const uint32_t *hash)
{
    authn_jwt_env_t *e = (authn_jwt_env_t *)env->elts;
    int i, j, n = first;

    /* e[n] is written only with n <= i: the entries still compared (after
     * i) and the hashes keep their places */
    for (i = first; i < env->nelts; i++) {
        for (j = i + 1; j < env->nelts; j++) {
            if (hash[j - first] == hash[i - first]
                && strcasecmp(e[i].name, e[j].name) == 0) {
                break;
            }
        }
        if (j == env->nelts) {
            e[n++] = e[i];
        }
    }
    env->nelts = n;
}

apr_array_header_t *authn_jwt_env_make(apr_pool_t *p,
                                       const authn_jwt_dir_conf_t *conf,
                                       const jwt_t *jwt)
{
    apr_array_header_t *env = apr_array_make(p, 16, sizeof(authn_jwt_env_t));
    const char *key, *kid;
    jwt_claim_iter_t it;
    jwt_ref_t v;
    uint32_t hash[MAX_CLAIM_VARS];
    int n = 0, k = 0, first;

    env_add(env, "JWT_SUB", jwt->sub, jwt->flat);
    env_add(env, "JWT_ISS", jwt->iss, jwt->flat);
    env_add(env, "JWT_JTI", jwt->jti, jwt->flat);
    env_add(env, "JWT_ALG", jwt->alg, 0);
    kid = jwt->kid ? jwt->kid : (jwt->key ? jwt->key->kid : NULL);
    env_add(env, "JWT_KID", kid, 0);
    if (jwt->has_exp) {
        env_add(env, "JWT_EXP", int_text(p, (long long)jwt->exp), 1);
    }
    /* the scopes of claims read flat are one of their strings, or its
     * words joined by spaces */
    env_add(env, "JWT_SCOPE",
            jwt_token_scope_text(p, jwt, conf->scope_claim), jwt->flat);
    first = env->nelts;

    /* Top-level strings, numbers, booleans and arrays of strings only;
     * objects are reachable through jwt_claim() with a dotted path. */
    memset(&it, 0, sizeof(it));
    while (jwt_claims_next(jwt, &it, &key, &v)) {
        const char *text, *name;
        uint32_t h;

        if (*key == '\0' || (text = claim_env_text(p, v)) == NULL) {
            continue;
        }
        if (++n > MAX_CLAIM_VARS) {
            break;
        }
        name = claim_var_name(p, key, &h);
        if (env_add(env, name, text, jwt->flat)) {
            hash[k++] = h;
        }
    }
    env_dedupe(env, first, hash);
    return env;
}

/* env_clear removed every JWT_* name and env_dedupe made the names unique,
 * so adding never needs the search apr_table_setn makes for each name
 * (all share the "JWT_" checksum: n^2/2 string compares). */
static void env_apply(request_rec *r, const authn_jwt_env_t *env, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        apr_table_addn(r->subprocess_env, env[i].name, env[i].value);
    }
}

/* ---- the per-request record ---- */

static authn_jwt_req_t *req_get(const request_rec *r)
{
    return ap_get_module_config(r->request_config, &authn_jwt_module);
}

static authn_jwt_req_t *req_make(request_rec *r)
{
    authn_jwt_req_t *rq = req_get(r);

    if (rq == NULL) {
        rq = apr_pcalloc(r->pool, sizeof(*rq));
        ap_set_module_config(r->request_config, &authn_jwt_module, rq);
    }
    rq->jwt = NULL;
    rq->user = NULL;
    rq->pool = r->pool;
    rq->claims = NULL;
    rq->status = JWT_ERR_INTERNAL;
    rq->via = NULL;
    rq->conf = NULL;
    rq->token = NULL;
    rq->token_len = 0;
    rq->credential = NULL;
    return rq;
}

authn_jwt_req_t *authn_jwt_req_find(const request_rec *r)
{
    const request_rec *m, *q;

    for (m = r; m != NULL; m = m->main) {
        for (q = m; q != NULL; q = q->prev) {
            authn_jwt_req_t *rq = req_get(q);

            if (rq != NULL) {
                return rq;
            }
        }
    }
    return NULL;
}

const jwt_t *authn_jwt_authenticated(const request_rec *r)
{
    const authn_jwt_req_t *rq;

    if (r == NULL || r->user == NULL) {
        return NULL;
    }
    rq = authn_jwt_req_find(r);
    /* httpd hands a subrequest or redirect that skips authentication the
     * very r->user pointer of the request it came from; any module that
     * authenticates again sets its own.  So the pointer, not the name,
     * says whether this token still stands behind r->user: another
     * module's user of the same name is not ours. */
    if (rq == NULL || rq->jwt == NULL || rq->user == NULL
        || rq->user != r->user) {
        return NULL;
    }
    return rq->jwt;
}

const json_t *authn_jwt_claims(const request_rec *r)
{
    const jwt_t *jwt = authn_jwt_authenticated(r);
    authn_jwt_req_t *rq;

    if (jwt == NULL) {
        return NULL;
    }
    if (!jwt->flat) {
        return jwt->claims;
    }
    /* the record may be the main request's: the object lives in its pool */
    rq = authn_jwt_req_find(r);
    if (rq->claims == NULL) {
        rq->claims = jose_json_pool_own(rq->pool, jwt_claims_object(jwt));
    }
    return rq->claims;
}

/* The accepted decision of the request R came from (its main request or
 * the request it was redirected from), not R's own. */
static const authn_jwt_req_t *req_inherited(const request_rec *r)
{
    const request_rec *m, *q;

    for (m = r; m != NULL; m = m->main) {
        for (q = m; q != NULL; q = q->prev) {
            const authn_jwt_req_t *rq;

            if (q == r) {
                continue;
            }
            rq = req_get(q);
            if (rq != NULL && rq->status == JWT_OK && rq->jwt != NULL) {
                return rq;
            }
        }
    }
    return NULL;
}

void authn_jwt_consume_apikey(request_rec *r, const char *name,
                              const char *value)
{
    authn_jwt_req_t *rq = req_get(r);

    if (rq == NULL) {
        rq = req_make(r);
    }
    rq->credential = value;
    apr_table_unset(r->headers_in, name);
    /* mod_cache stores a response unless the request carried an
     * Authorization header: an API key is no such header. */
    r->no_cache = 1;
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJLOGNO(00159)
                  "credential removed from the request: header %s", name);
}

const char *authn_jwt_consumed_apikey(const request_rec *r)
{
    const request_rec *m, *q;

    for (m = r; m != NULL; m = m->main) {
        for (q = m; q != NULL; q = q->prev) {
            const authn_jwt_req_t *rq = req_get(q);

            if (rq != NULL && rq->credential != NULL) {
                return rq->credential;
            }
        }
    }
    return NULL;
}

/* ---- logging ---- */

static const char *unique_id(const request_rec *r)
{
    const char *id = apr_table_get(r->subprocess_env, "UNIQUE_ID");

    if (id == NULL) {
        id = apr_table_get(r->subprocess_env, "REDIRECT_UNIQUE_ID");
    }
    return id;
}

const char *authn_jwt_unique_id(const request_rec *r)
{
    return unique_id(r);
}

static void log_decision(request_rec *r, jwt_status_t st, const jwt_t *jwt,
                         const char *user, const char *via)
{
    apr_pool_t *p = r->pool;
    const char *kid = NULL, *jti = NULL, *sub = NULL, *alg = NULL;

    /* the escaped items cost allocations: not made for a line that the
     * log level drops anyway */
    if (!APLOG_R_IS_LEVEL(r, APLOG_INFO)) {
        return;
    }
    if (jwt != NULL) {
        kid = jwt->kid ? jwt->kid : (jwt->key ? jwt->key->kid : NULL);
        jti = jwt->jti;
        sub = jwt->sub;
        alg = jwt->alg;
    }
    if (st == JWT_OK && strcmp(via, "basic") == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00007)
                      "token accepted (Basic password) for user \"%s\": "
                      "alg=%s kid=%s jti=%s sub=%s unique_id=%s",
                      authn_jwt_log_item(p, user), authn_jwt_log_item(p, alg),
                      authn_jwt_log_item(p, kid), authn_jwt_log_item(p, jti),
                      authn_jwt_log_item(p, sub),
                      authn_jwt_log_item(p, unique_id(r)));
    }
    else if (st == JWT_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00002)
                      "token accepted for user \"%s\": via=%s alg=%s kid=%s "
                      "jti=%s sub=%s unique_id=%s",
                      authn_jwt_log_item(p, user), via,
                      authn_jwt_log_item(p, alg), authn_jwt_log_item(p, kid),
                      authn_jwt_log_item(p, jti), authn_jwt_log_item(p, sub),
                      authn_jwt_log_item(p, unique_id(r)));
    }
    else {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00003)
                      "token rejected: reason=%s via=%s alg=%s kid=%s jti=%s "
                      "sub=%s unique_id=%s", jwt_status_name(st), via,
                      authn_jwt_log_item(p, alg), authn_jwt_log_item(p, kid),
                      authn_jwt_log_item(p, jti), authn_jwt_log_item(p, sub),
                      authn_jwt_log_item(p, unique_id(r)));
    }
}

/* ---- the decision, shared by Bearer and the Basic provider ---- */

jwt_rules_t authn_jwt_request_rules(const request_rec *r,
                                    const authn_jwt_dir_conf_t *conf)
{
    jwt_rules_t rules = conf->rules;

    rules.verify_keys = authn_jwt_verify_keys(r, conf);
    /* what reads claims by path asks authn_jwt_claims */
    rules.claims_flat = 1;
    return rules;
}

const jwk_set_t *authn_jwt_verify_keys(const request_rec *r,
                                       const authn_jwt_dir_conf_t *conf)
{
    const jwk_set_t *keys = NULL;

    if (conf->remote_keys == NULL) {
        return conf->rules.verify_keys;
    }
    (void)authn_jwt_remote_keys(r, conf, &keys);
    return keys;
}

/* The user claim: a non-empty string without control characters, so that
 * REMOTE_USER can reach logs and headers safely (doc/attacks.md E3). */
static jwt_status_t user_from_claims(const char **user, const jwt_t *jwt,
                                     const authn_jwt_dir_conf_t *conf)
{
    size_t len;
    const char *s = jwt_ref_string(jwt_token_claim(jwt,
                                                   conf->rules.user_claim),
                                   &len);

    if (s == NULL || *s == '\0' || strlen(s) != len || !is_clean(s)) {
        return JWT_ERR_USER_CLAIM;
    }
    *user = s;
    return JWT_OK;
}

int authn_jwt_has_keys(const request_rec *r,
                       const authn_jwt_dir_conf_t *conf)
{
    (void)r;
    /* a remote source counts even while its set is missing: that is the
     * provider's failure (503), not a configuration without keys */
    return jwk_set_size(conf->verify_keys) > 0 || conf->remote_keys != NULL
           || (conf->rules.allow_unsigned_jwe
               && jwk_set_size(conf->decrypt_keys) > 0);
}

/*
 * jwt_check against the keys of the moment (manual #idp): a token
 * whose kid no current set has may trigger one refetch for the whole
 * server, and is then checked again; "no key" while a provider's set is
 * missing or too old is the provider's failure (503), not the client's.
 */
static jwt_status_t check_with_remote_keys(jwt_t **jwt, request_rec *r,
    const authn_jwt_dir_conf_t *conf, const char *token, size_t len)
{
    jwt_rules_t rules = authn_jwt_request_rules(r, conf);
    int64_t now = (int64_t)apr_time_sec(r->request_time);
    jwt_status_t st;
    jwt_t *peek = NULL;

    st = jwt_check(jwt, r->pool, token, len, &rules, now);
    if (st != JWT_ERR_NO_KEY) {
        return st;
    }
    if (jwt_parse(&peek, r->pool, token, len, &rules) == JWT_OK
        && peek->kid != NULL && !peek->unsigned_jwe
        && authn_jwt_remote_refetch(r, conf, peek->kid, peek->iss)) {
        rules.verify_keys = authn_jwt_verify_keys(r, conf);
        st = jwt_check(jwt, r->pool, token, len, &rules, now);
    }
    if (st == JWT_ERR_NO_KEY && authn_jwt_remote_any_unavailable(r, conf)) {
        st = JWT_ERR_KEYS_UNAVAILABLE;
        apr_table_setn(r->err_headers_out, "Retry-After",
                       apr_ltoa(r->pool,
                                authn_jwt_remote_retry_after(conf)));
    }
    return st;
}

static int all_b64token(const char *s, size_t n);

/*
 * authn_jwt_check_token, for a token from the Authorization header whose
 * b64token syntax (RFC 6750 section 2.1) is not checked yet when
 * UNSCANNED: a cached token was checked when it was accepted, and only
 * the same bytes find it, and a token the full check accepts is made of
 * base64url and dots only, so the scan is made for a token refused
 * (a miss) only.  A token that fails it returns JWT_ERR_BAD_REQUEST with
 * *BAD_SYNTAX set and nothing recorded or logged: the caller refuses the
 * request as for any malformed header.
 */
static jwt_status_t check_token(request_rec *r,
                                const authn_jwt_dir_conf_t *conf,
                                const char *token, size_t len,
                                const char *basic_user, const char *via,
                                int unscanned, int *bad_syntax)
{
    authn_jwt_req_t *rq;
    authn_jwt_cache_ctx_t cc;
    const authn_jwt_env_t *env = NULL;
    int nenv = 0, has_keys, hit = 0;
    jwt_t *jwt = NULL;
    const char *user = NULL;
    jwt_status_t st;

    memset(&cc, 0, sizeof(cc));
    has_keys = authn_jwt_has_keys(r, conf);
    if (has_keys) {
        hit = authn_jwt_cache_lookup(&cc, r, conf, token, len, &jwt);
    }
    if (!hit && unscanned && !has_keys && !all_b64token(token, len)) {
        *bad_syntax = 1;
        return JWT_ERR_BAD_REQUEST;
    }
    rq = req_make(r);
    env_clear(r);
    rq->via = via;

    if (!has_keys) {
        /* An administrator's mistake, not the client's: said at ERR so it
         * is seen, once per location and child so that it does not flood
         * the log; the client gets the same 401 as for a bad token.  The
         * level is decided outside ap_log_rerror, a macro that reads its
         * level argument twice. */
        int level = authn_jwt_once(r, "no key") ? APLOG_ERR : APLOG_DEBUG;

        ap_log_rerror(APLOG_MARK, level, 0, r, AJLOGNO(00006)
                      "no AuthJWTVerifyKey applies to %s: every token is "
                      "refused; add AuthJWTVerifyKey to this location",
                      ap_escape_logitem(r->pool, r->uri));
        st = JWT_ERR_NO_KEY;
    }
    else if (hit) {
        st = JWT_OK;
    }
    else if (conf->remote_keys == NULL) {
        jwt_rules_t rules = authn_jwt_request_rules(r, conf);

        st = jwt_check(&jwt, r->pool, token, len, &rules,
                       (int64_t)apr_time_sec(r->request_time));
    }
    else {
        st = check_with_remote_keys(&jwt, r, conf, token, len);
    }
    /* A token the check accepted is base64url segments and dots, every
     * byte a b64token one: only a refused token is scanned, before its
     * refusal is counted or logged. */
    if (st != JWT_OK && !hit && has_keys && unscanned
        && !all_b64token(token, len)) {
        *bad_syntax = 1;
        return JWT_ERR_BAD_REQUEST;
    }
    if (st == JWT_OK && jwt == NULL) {
        st = JWT_ERR_INTERNAL;
    }
    if (st == JWT_OK && hit && cc.user != NULL) {
        /* the same rules, the user claim among them, found it before */
        user = cc.user;
    }
    else if (st == JWT_OK) {
        st = user_from_claims(&user, jwt, conf);
    }
    /* The Basic user name is a label the client chose: it must be empty or
     * name the same user as the token, never override it. */
    if (st == JWT_OK && basic_user != NULL && *basic_user != '\0'
        && strcmp(basic_user, user) != 0) {
        st = JWT_ERR_USER_MISMATCH;
    }
    if (st == JWT_OK) {
        st = authn_jwt_revocation_check(r, &cc, jwt, token, len);
    }
    /* The environment is made once per token: a cache hit brings the
     * one made when the token was checked in full. */
    if (st == JWT_OK && cc.hit) {
        env = cc.env;
        nenv = cc.nenv;
    }
    else if (st == JWT_OK) {
        apr_array_header_t *made = authn_jwt_env_make(r->pool, conf, jwt);

        env = (const authn_jwt_env_t *)made->elts;
        nenv = made->nelts;
        authn_jwt_cache_insert(&cc, r, conf, token, len, jwt, user, env,
                               nenv);
    }

    rq->status = st;
    authn_jwt_metric_decision(st);
    log_decision(r, st, jwt, user, via);
    if (st != JWT_OK) {
        authn_jwt_set_error(r, st);
        return st;
    }
    rq->jwt = jwt;
    rq->user = user;
    rq->conf = conf;
    rq->token = token;
    rq->token_len = len;
    r->user = (char *)user;
    env_apply(r, env, nenv);
    return JWT_OK;
}

jwt_status_t authn_jwt_check_token(request_rec *r,
                                   const authn_jwt_dir_conf_t *conf,
                                   const char *token, size_t len,
                                   const char *basic_user, const char *via)
{
    int bad_syntax = 0;

    return check_token(r, conf, token, len, basic_user, via, 0,
                       &bad_syntax);
}

/* ---- finding the token ---- */

typedef struct {
    const char *token;
    size_t len;
    int count;              /* tokens seen, over all sources            */
    jwt_status_t status;    /* JWT_OK or a request-level failure        */
    const char *via;
    const authn_jwt_source_t *src;  /* where TOKEN was found            */
    const authn_jwt_source_t *cur;  /* the source being searched        */
    int unscanned;          /* TOKEN's b64token syntax left to the check */
} token_search_t;

static void found(token_search_t *ts, const char *tok, size_t len,
                  const char *via)
{
    if (ts->count++ == 0) {
        ts->token = tok;
        ts->len = len;
        ts->via = via;
        ts->src = ts->cur;
    }
}

/* RFC 6750 section 2.1 b64token. */
/* RFC 6750 section 2.1 b64token: ALPHA / DIGIT / "-" / "." / "_" / "~" /
 * "+" / "/", then "=" padding.  A table: this runs for every byte of every
 * token. */
static const unsigned char b64token_chars[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1, ['+'] = 1, ['/'] = 1,
    ['='] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
    ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
    ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
    ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1
};

/* Every byte of S..S+N a b64token character: eight table lookups per
 * step, no branch on the bytes (this runs for every request). */
static int all_b64token(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    const unsigned char *t = b64token_chars;
    unsigned ok = 1;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        ok &= t[u[i]] & t[u[i + 1]] & t[u[i + 2]] & t[u[i + 3]]
              & t[u[i + 4]] & t[u[i + 5]] & t[u[i + 6]] & t[u[i + 7]];
    }
    for (; i < n; i++) {
        ok &= t[u[i]];
    }
    return (int)ok;
}

/*
 * Authorization: Bearer SP+ b64token, nothing else (doc/attacks.md F2).  The
 * scheme compares case-insensitively (RFC 9110 section 11.1); any other
 * scheme is someone else's credential and counts as no token.  Two headers
 * arrive merged with a comma and fail the b64token check.
 */
static void from_header(request_rec *r, token_search_t *ts, int defer)
{
    const char *h, *c, *start;
    size_t len;

    h = apr_table_get(r->headers_in, PROXYREQ_PROXY == r->proxyreq
                      ? "Proxy-Authorization" : "Authorization");
    if (h == NULL) {
        return;
    }
    /* the auth-scheme is an RFC 9110 token: "Bearer" in any case, and
     * not the start of a longer token ("Bearers") */
    if (ap_cstr_casecmpn(h, AUTHN_JWT_SCHEME, sizeof(AUTHN_JWT_SCHEME) - 1)
        != 0) {
        return;
    }
    c = h + sizeof(AUTHN_JWT_SCHEME) - 1;
    if (authn_jwt_is_tchar((unsigned char)*c)) {
        return;
    }
    if (*c != ' ') {
        ts->status = JWT_ERR_BAD_REQUEST;
        return;
    }
    while (*c == ' ') {
        c++;
    }
    start = c;
    len = strlen(start);
    if (len == 0 || (!defer && !all_b64token(start, len))) {
        ts->status = JWT_ERR_BAD_REQUEST;
        return;
    }
    found(ts, start, len, "header");
    ts->unscanned = defer;
}

typedef struct {
    token_search_t *ts;
    const char *name;
    size_t name_len;
    apr_pool_t *p;
    int seen;               /* the first non-empty cookie was taken     */
} cookie_search_t;

/* One NAME=VALUE pair of a Cookie header starting at C: *PAIR..*END is the
 * pair without surrounding blanks; returns where the next one starts. */
static const char *cookie_pair(const char *c, const char **pair,
                               const char **end)
{
    const char *e;

    while (*c == ' ' || *c == '\t' || *c == ';' || *c == ',') {
        c++;
    }
    *pair = c;
    while (*c && *c != ';' && *c != ',') {
        c++;
    }
    e = c;
    while (e > *pair && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    *end = e;
    return c;
}

static int cookie_named(const char *pair, const char *end, const char *name,
                        size_t name_len)
{
    const char *eq = memchr(pair, '=', (size_t)(end - pair));

    return eq != NULL && (size_t)(eq - pair) == name_len
           && memcmp(pair, name, name_len) == 0;
}

/* One Cookie header: pairs separated by ';' (RFC 6265 section 4.2.1), and
 * by ',' where httpd merged several Cookie headers into one. */
/*
 * RFC 6265 section 5.4: a browser sends one cookie per matching path, the
 * longest path first, all under the same name; the first one is the one
 * meant for this resource.  So several cookies of this name are one token,
 * the first non-empty one, not an ambiguous request.
 */
static int cookie_cb(void *baton, const char *key, const char *value)
{
    cookie_search_t *cs = baton;
    const char *c = value;

    (void)key;
    while (*c && !cs->seen) {
        const char *pair, *end, *v;
        size_t vlen;

        c = cookie_pair(c, &pair, &end);
        if (!cookie_named(pair, end, cs->name, cs->name_len)) {
            continue;
        }
        v = pair + cs->name_len + 1;
        vlen = (size_t)(end - v);
        if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
            v++;
            vlen -= 2;
        }
        /* An empty cookie is a logged-out client, not a token. */
        if (vlen > 0) {
            found(cs->ts, apr_pstrmemdup(cs->p, v, vlen), vlen, "cookie");
            cs->seen = 1;
        }
    }
    return 1;
}

static void from_cookie(request_rec *r, token_search_t *ts, const char *name)
{
    cookie_search_t cs;

    cs.ts = ts;
    cs.name = name;
    cs.name_len = strlen(name);
    cs.p = r->pool;
    cs.seen = 0;
    apr_table_do(cookie_cb, &cs, r->headers_in, "Cookie", NULL);
}

/* RFC 6750 section 2.3: NAME=VALUE in the query, percent-decoded.  Every
 * occurrence counts, so a repeated argument is two tokens. */
static void from_query(request_rec *r, token_search_t *ts, const char *name)
{
    size_t nlen = strlen(name);
    const char *c = r->args;

    while (c != NULL && *c) {
        const char *end = strchr(c, '&');
        size_t plen = end ? (size_t)(end - c) : strlen(c);

        if (plen > nlen && c[nlen] == '=' && memcmp(c, name, nlen) == 0
            && plen > nlen + 1) {
            char *v = apr_pstrmemdup(r->pool, c + nlen + 1, plen - nlen - 1);

            if (ap_unescape_urlencoded(v) != OK) {
                ts->status = JWT_ERR_BAD_REQUEST;
                return;
            }
            if (*v != '\0') {
                found(ts, v, strlen(v), "query");
            }
        }
        c = end ? end + 1 : NULL;
    }
}

static void find_token(request_rec *r, const authn_jwt_dir_conf_t *conf,
                       token_search_t *ts)
{
    int i;

    memset(ts, 0, sizeof(*ts));
    ts->status = JWT_OK;
    for (i = 0; i < conf->token_from->nelts && ts->status == JWT_OK; i++) {
        const authn_jwt_source_t *src =
            &APR_ARRAY_IDX(conf->token_from, i, authn_jwt_source_t);

        ts->cur = src;
        switch (src->kind) {
        case AUTHN_JWT_FROM_HEADER:
            /* the header alone: its syntax can wait for a cache miss
             * (check_token); with other sources a bad header must stop
             * the search where it is */
            from_header(r, ts, conf->token_from->nelts == 1);
            break;
        case AUTHN_JWT_FROM_COOKIE:
            from_cookie(r, ts, src->name);
            break;
        case AUTHN_JWT_FROM_QUERY:
            from_query(r, ts, src->name);
            break;
        }
    }
    if (ts->status != JWT_OK) {
        return;
    }
    /* RFC 6750 section 2: a client must not use more than one method;
     * two tokens are ambiguous, not a choice for us to make. */
    if (ts->count > 1) {
        ts->status = JWT_ERR_MULTIPLE_TOKENS;
    }
    else if (ts->count == 0) {
        ts->status = JWT_ERR_NO_TOKEN;
    }
}

/* ---- removing the consumed credential ---- */

typedef struct {
    apr_array_header_t *kept;       /* the Cookie values, without NAME  */
    const char *name;
    size_t name_len;
    apr_pool_t *p;
} cookie_strip_t;

static int cookie_strip_cb(void *baton, const char *key, const char *value)
{
    cookie_strip_t *cs = baton;
    const char *c = value, *out = NULL;

    (void)key;
    while (*c) {
        const char *pair, *end, *one;

        c = cookie_pair(c, &pair, &end);
        if (end == pair || cookie_named(pair, end, cs->name, cs->name_len)) {
            continue;
        }
        one = apr_pstrmemdup(cs->p, pair, (apr_size_t)(end - pair));
        /* "; " between pairs, as RFC 6265 section 5.4 writes them */
        out = out ? apr_pstrcat(cs->p, out, "; ", one, NULL) : one;
    }
    if (out != NULL) {
        APR_ARRAY_PUSH(cs->kept, const char *) = out;
    }
    return 1;
}

/* Every cookie named NAME leaves the Cookie header(s); the others stay
 * as they were, in order. */
static void strip_cookie(request_rec *r, const char *name)
{
    cookie_strip_t cs;
    int i;

    cs.kept = apr_array_make(r->pool, 2, sizeof(const char *));
    cs.name = name;
    cs.name_len = strlen(name);
    cs.p = r->pool;
    apr_table_do(cookie_strip_cb, &cs, r->headers_in, "Cookie", NULL);
    apr_table_unset(r->headers_in, "Cookie");
    for (i = 0; i < cs.kept->nelts; i++) {
        apr_table_addn(r->headers_in, "Cookie",
                       APR_ARRAY_IDX(cs.kept, i, const char *));
    }
}

/* QUERY[0..LEN) without its NAME=... arguments; NULL when none is left. */
static char *query_without(apr_pool_t *p, const char *query, size_t len,
                           const char *name)
{
    size_t nlen = strlen(name);
    const char *c = query, *stop = query + len;
    char *out = apr_palloc(p, len + 1), *o = out;

    while (c < stop) {
        const char *end = memchr(c, '&', (size_t)(stop - c));
        size_t plen = end ? (size_t)(end - c) : (size_t)(stop - c);

        if (!(plen > nlen && c[nlen] == '=' && memcmp(c, name, nlen) == 0)) {
            if (o != out) {
                *o++ = '&';
            }
            memcpy(o, c, plen);
            o += plen;
        }
        c = end ? end + 1 : stop;
    }
    *o = '\0';
    return o == out ? NULL : out;
}

/* URI ("/path?query", also inside a request line) with the query cut by
 * query_without. */
static const char *uri_without(apr_pool_t *p, const char *uri,
                               const char *name)
{
    const char *q = uri ? strchr(uri, '?') : NULL;
    const char *end, *query;

    if (q == NULL) {
        return uri;
    }
    /* the request line goes on after the URI: " HTTP/1.1" */
    end = strchr(q, ' ');
    if (end == NULL) {
        end = q + strlen(q);
    }
    query = query_without(p, q + 1, (size_t)(end - q - 1), name);
    return apr_pstrcat(p, apr_pstrmemdup(p, uri, (apr_size_t)(q - uri)),
                       query ? "?" : "", query ? query : "", end, NULL);
}

/* The token argument leaves r->args and the parsed URI, and the copies
 * CGI reads: the request line (REQUEST_URI, %r in the access log), the
 * unparsed URI and QUERY_STRING (when something set it already).  Also
 * the backend URL mod_proxy made before authentication, "proxy:URL?QUERY":
 * with ProxyPass nocanon its query is the one received, and it goes to the
 * backend as it is. */
static void strip_query(request_rec *r, const char *name)
{
    char *args = r->args ? query_without(r->pool, r->args, strlen(r->args),
                                         name)
                         : NULL;

    r->args = args;
    r->parsed_uri.query = args;
    r->unparsed_uri = (char *)uri_without(r->pool, r->unparsed_uri, name);
    r->the_request = (char *)uri_without(r->pool, r->the_request, name);
    if (r->filename != NULL && strncmp(r->filename, "proxy:", 6) == 0) {
        r->filename = (char *)uri_without(r->pool, r->filename, name);
    }
    if (apr_table_get(r->subprocess_env, "QUERY_STRING") != NULL) {
        apr_table_setn(r->subprocess_env, "QUERY_STRING", args ? args : "");
    }
}

/*
 * SECURITY: the credential this module consumed is not the backend's to
 * see (CGI, PHP-FPM and proxied servers get headers and the query string).
 * The Authorization header is left alone: httpd keeps it from CGI, and a
 * proxied service that verifies tokens itself may want it.  mod_cache
 * refuses to store responses to requests with an Authorization header
 * only: a token from anywhere else must keep the response out of it, or
 * CacheQuickHandler serves it to the next client without any check.
 */
static void consume(request_rec *r, const authn_jwt_source_t *src)
{
    if (src == NULL || src->kind == AUTHN_JWT_FROM_HEADER) {
        return;
    }
    r->no_cache = 1;
    if (src->kind == AUTHN_JWT_FROM_COOKIE) {
        strip_cookie(r, src->name);
    }
    else {
        strip_query(r, src->name);
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJLOGNO(00151)
                  "credential removed from the request: %s %s",
                  src->kind == AUTHN_JWT_FROM_COOKIE ? "cookie" : "query",
                  src->name);
}

/* ---- subrequests and internal redirects ---- */

/* The JWT_* variables of JWT, made for this request's location. */
static void env_export(request_rec *r, const authn_jwt_dir_conf_t *conf,
                       const jwt_t *jwt)
{
    apr_array_header_t *made = authn_jwt_env_make(r->pool, conf, jwt);

    env_apply(r, (const authn_jwt_env_t *)made->elts, made->nelts);
}

/*
 * The same rules decide the same way: the same keys (the sets are shared
 * by pointer between merged configurations), the same validation rules
 * and the same token sources.  Anything that differs asks for a check of
 * its own.
 */
static int same_rules(const authn_jwt_dir_conf_t *a,
                      const authn_jwt_dir_conf_t *b)
{
    if (a == b) {
        return 1;
    }
    return a != NULL && b != NULL
           && memcmp(&a->rules, &b->rules, sizeof(a->rules)) == 0
           && a->token_from == b->token_from;
}

/* A subrequest or redirect under the very rules that accepted the token of
 * the request it came from: that decision stands, without a second
 * verification; only the environment is this request's own. */
static int reuse(request_rec *r, const authn_jwt_dir_conf_t *conf,
                 const authn_jwt_req_t *prior)
{
    authn_jwt_req_t *rq = req_make(r);

    env_clear(r);
    rq->jwt = prior->jwt;
    rq->user = prior->user;
    rq->status = JWT_OK;
    rq->via = prior->via;
    rq->conf = conf;
    rq->token = prior->token;
    rq->token_len = prior->token_len;
    r->user = (char *)prior->user;
    r->ap_auth_type = (char *)AUTHN_JWT_SCHEME;
    if (strcmp(prior->via, "header") != 0) {
        r->no_cache = 1;
    }
    env_export(r, conf, prior->jwt);
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJLOGNO(00150)
                  "token of the %s request reused for user \"%s\": "
                  "unique_id=%s", r->main ? "main" : "previous",
                  authn_jwt_log_item(r->pool, prior->user),
                  authn_jwt_log_item(r->pool, unique_id(r)));
    return OK;
}

/* ---- hooks ---- */

static int is_bearer(const char *type)
{
    return type != NULL && strcasecmp(type, AUTHN_JWT_SCHEME) == 0;
}

static int authn_jwt_check_authn(request_rec *r)
{
    const authn_jwt_dir_conf_t *conf;
    token_search_t ts;
    authn_jwt_req_t *rq;
    jwt_status_t st;

    const authn_jwt_req_t *prior;

    if (!is_bearer(ap_auth_type(r))) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->per_dir_config, &authn_jwt_module);

    prior = req_inherited(r);
    if (prior != NULL && same_rules(prior->conf, conf)) {
        return reuse(r, conf, prior);
    }
    find_token(r, conf, &ts);
    /* The token of the request this one came from was removed from it
     * (cookie, query): other rules check that same token again. */
    if (ts.status == JWT_ERR_NO_TOKEN && prior != NULL
        && prior->token != NULL) {
        ts.status = JWT_OK;
        ts.token = prior->token;
        ts.len = prior->token_len;
        ts.via = prior->via;
        ts.src = NULL;
    }
    if (ts.status == JWT_OK) {
        int bad_syntax = 0;

        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJLOGNO(00008)
                      "token found in the %s (%" APR_SIZE_T_FMT " bytes)",
                      ts.via, ts.len);
        st = check_token(r, conf, ts.token, ts.len, NULL, ts.via,
                         ts.unscanned, &bad_syntax);
        if (bad_syntax) {
            ts.status = st;
        }
    }
    if (ts.status != JWT_OK) {
        rq = req_make(r);
        rq->status = ts.status;
        authn_jwt_metric_decision(ts.status);
        env_clear(r);
        authn_jwt_set_error(r, ts.status);
        if (ts.status == JWT_ERR_NO_TOKEN) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00004)
                          "no token: reason=%s unique_id=%s",
                          jwt_status_name(ts.status),
                          authn_jwt_log_item(r->pool, unique_id(r)));
        }
        else {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00005)
                          "request rejected: reason=%s unique_id=%s",
                          jwt_status_name(ts.status),
                          authn_jwt_log_item(r->pool, unique_id(r)));
        }
        ap_note_auth_failure(r);
        return jwt_status_info(ts.status)->http_status;
    }
    if (st != JWT_OK) {
        /* a 503 says nothing about the token: no challenge */
        if (jwt_status_info(st)->http_status != HTTP_SERVICE_UNAVAILABLE) {
            ap_note_auth_failure(r);
        }
        return jwt_status_info(st)->http_status;
    }
    if (strcmp(ts.via, "header") != 0) {
        r->no_cache = 1;
    }
    consume(r, ts.src);
    r->ap_auth_type = (char *)AUTHN_JWT_SCHEME;
    return OK;
}

/*
 * An internal redirect (ErrorDocument, mod_rewrite, DirectoryIndex) under
 * the same configuration skips authentication: httpd copies r->user, and
 * the environment arrives renamed REDIRECT_JWT_*.  The target sees the
 * same JWT_* as the request that was authenticated.
 */
static int authn_jwt_redirect_fixups(request_rec *r)
{
    const authn_jwt_dir_conf_t *conf;
    const authn_jwt_req_t *rq;

    if (r->prev == NULL || r->user == NULL || req_get(r) != NULL) {
        return DECLINED;
    }
    rq = authn_jwt_req_find(r);
    if (rq == NULL || rq->jwt == NULL || rq->user != r->user) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->per_dir_config, &authn_jwt_module);
    env_clear(r);
    env_export(r, conf, rq->jwt);
    if (rq->via != NULL && strcmp(rq->via, "header") != 0) {
        r->no_cache = 1;
    }
    return DECLINED;
}

const char *authn_jwt_challenge_header(const request_rec *r)
{
    return PROXYREQ_PROXY == r->proxyreq ? "Proxy-Authenticate"
                                         : "WWW-Authenticate";
}

/*
 * An RFC 9110 quoted-string.  The realm arrives from mod_authn_core already
 * passed through ap_escape_quotes, which keeps backslash pairs as they
 * are: so a backslash pair is copied, a bare '"' is escaped, a lone
 * trailing backslash and control bytes are dropped.  The result is a valid
 * quoted-string for escaped and unescaped input alike.
 */
static const char *quoted(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, 2 * strlen(s) + 3);
    char *o = out;
    const char *c;

    *o++ = '"';
    for (c = s; *c; c++) {
        unsigned char u = (unsigned char)*c;

        if (u < 0x20 || u == 0x7f) {
            continue;
        }
        if (u == '\\') {
            if (c[1] == '\0' || (unsigned char)c[1] < 0x20
                || (unsigned char)c[1] == 0x7f) {
                continue;
            }
            *o++ = *c++;
            *o++ = *c;
            continue;
        }
        if (u == '"') {
            *o++ = '\\';
        }
        *o++ = *c;
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

const char *authn_jwt_quoted(apr_pool_t *p, const char *s)
{
    return quoted(p, s);
}

/* Append NAME=QUOTED(VALUE) to the challenge: the first parameter after
 * the scheme and a space, the others after ", " (RFC 9110 11.6.1). */
static const char *add_param(apr_pool_t *p, const char *hdr,
                             const char *name, const char *value)
{
    const char *sep = strchr(hdr, ' ') == NULL ? " " : ", ";

    return apr_pstrcat(p, hdr, sep, name, "=", quoted(p, value), NULL);
}

const char *authn_jwt_challenge(request_rec *r,
                                const authn_jwt_dir_conf_t *conf,
                                jwt_status_t st, const char *scope)
{
    const jwt_status_info_t *info = jwt_status_info(st);
    const char *realm = ap_auth_name(r);
    const char *hdr = AUTHN_JWT_SCHEME;

    if (realm != NULL) {
        hdr = add_param(r->pool, hdr, "realm", realm);
    }
    /* RFC 6750 section 3: no error code when the request had no token;
     * error_description only for a token that was refused (3.1). */
    if (st != JWT_OK && info->error != NULL) {
        hdr = add_param(r->pool, hdr, "error", info->error);
        if (st == JWT_ERR_INSUFFICIENT_SCOPE) {
            if (scope != NULL) {
                hdr = add_param(r->pool, hdr, "scope", scope);
            }
        }
        else if (st != JWT_ERR_BAD_REQUEST
                 && st != JWT_ERR_MULTIPLE_TOKENS) {
            hdr = add_param(r->pool, hdr, "error_description",
                            info->description);
        }
    }
    if (conf != NULL && conf->resource_metadata != NULL) {
        hdr = add_param(r->pool, hdr, "resource_metadata",
                        conf->resource_metadata);
    }
    return hdr;
}

/*
 * ap_note_auth_failure() for AuthType Bearer: after our own rejection (the
 * status recorded by check_authn), or after mod_authz_core refused an
 * authenticated user with 401, where a failed Require jwt-scope left the
 * scopes it wanted in the notes.
 */
static int authn_jwt_note_auth_failure(request_rec *r, const char *type)
{
    const authn_jwt_dir_conf_t *conf;
    const authn_jwt_req_t *rq;
    const char *scope;
    jwt_status_t st;

    if (!is_bearer(type)) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->per_dir_config, &authn_jwt_module);
    rq = authn_jwt_req_find(r);
    scope = apr_table_get(r->notes, AUTHN_JWT_NOTE_SCOPE);
    st = rq != NULL ? rq->status : JWT_ERR_NO_TOKEN;
    if (st == JWT_OK && scope != NULL) {
        st = JWT_ERR_INSUFFICIENT_SCOPE;
        scope = *scope ? scope : NULL;
    }
    apr_table_setn(r->err_headers_out, authn_jwt_challenge_header(r),
                   authn_jwt_challenge(r, conf, st, scope));
    return OK;
}

/* Core diagnostics (key loading) go to the error log; at start-up before
 * the logs are open BATON is NULL and httpd writes them to stderr. */
static void authn_jwt_jose_log(int level, const char *msg, void *baton)
{
    server_rec *s = baton;

    if (level < APLOG_EMERG) {
        level = APLOG_EMERG;
    }
    if (level > APLOG_DEBUG) {
        level = APLOG_DEBUG;
    }
    ap_log_error(APLOG_MARK, level, 0, s, AJLOGNO(00001) "%s", msg);
}

static int authn_jwt_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp)
{
    (void)pconf;
    (void)plog;
    (void)ptemp;
    /* Keys load while the configuration is read, before post_config. */
    jose_log_set(authn_jwt_jose_log, NULL);
    return OK;
}

static int authn_jwt_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    (void)pconf;
    (void)plog;
    (void)ptemp;
    jose_log_set(authn_jwt_jose_log, s);
    /* Every digest and HMAC the module uses, fetched now: an OpenSSL that
     * lacks one (a FIPS or stripped provider set) stops start-up here,
     * saying what is missing, instead of refusing every token later. */
    if (jose_crypto_init() != 0) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, AJLOGNO(00103)
                     "OpenSSL lacks algorithms this module needs (named "
                     "above): check the providers that OPENSSL_CONF "
                     "activates (the default provider, or fips with base) "
                     "and `openssl list -digest-algorithms`");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* Once per start or restart, not in the dry run httpd makes of the
     * configuration first; NOTICE, which httpd logs whatever LogLevel, as
     * its own "configured -- resuming normal operations". */
    if (ap_state_query(AP_SQ_MAIN_STATE) != AP_SQ_MS_CREATE_PRE_CONFIG) {
        ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, s, AJLOGNO(00200)
                     AUTHN_JWT_VERSION_STRING " configured");
    }
    authn_jwt_startup_checks(ptemp, s);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, AJLOGNO(00015)
                 "mod_authn_jwt initialised");
    return OK;
}

static void authn_jwt_child_init(apr_pool_t *pchild, server_rec *s)
{
    (void)s;
    authn_jwt_once_init(pchild);
}

static void authn_jwt_register_hooks(apr_pool_t *p)
{
    ap_hook_pre_config(authn_jwt_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(authn_jwt_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(authn_jwt_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_authn(authn_jwt_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(authn_jwt_note_auth_failure, NULL, NULL,
                              APR_HOOK_MIDDLE);
    /* First, so later fixups (mod_env, mod_headers) see the variables. */
    ap_hook_fixups(authn_jwt_redirect_fixups, NULL, NULL,
                   APR_HOOK_REALLY_FIRST);
    authn_jwt_register_authz(p);
    authn_jwt_register_keycache(p);
    authn_jwt_register_handlers(p);
    authn_jwt_register_metrics(p);
    authn_jwt_register_cache(p);
    authn_jwt_register_revoke(p);
    authn_jwt_remote_register_hooks(p);
}

module AP_MODULE_DECLARE_DATA authn_jwt_module = {
    STANDARD20_MODULE_STUFF,
    authn_jwt_create_dir_conf,
    authn_jwt_merge_dir_conf,
    authn_jwt_create_srv_conf,
    authn_jwt_merge_srv_conf,
    authn_jwt_cmds,
    authn_jwt_register_hooks,
    AP_MODULE_FLAG_NONE
};
