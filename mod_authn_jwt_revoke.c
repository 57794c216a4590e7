/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * mod_authn_jwt_revoke.c: token revocation (RFC 7009) and the revocation
 * list every accepted token is checked against.
 *
 *   SetHandler jwt-revoke          POST token=...[&token_type_hint=...]
 *   AuthJWTRevocationStore         where the list lives: Apache's socache
 *                                  providers (shmcb, memcache, redis)
 *   AuthJWTRevocationDelay         how old a "not revoked" answer may be
 *   AuthJWTRevocationFailOpen      what an unreachable store means
 *   AuthJWTRevokeAny               who may revoke what
 *
 * A revoked token is named by its issuer and jti, or by the SHA-256 of
 * the whole token when it has no jti, and is kept in the store until its
 * own exp plus the longest leeway (AuthJWTLeeway's ceiling).
 *
 * Not asking the store on every request: a cache entry remembers the last
 * "not revoked" answer with the second it came and the server's shared
 * revocation generation at the time.  A revocation made at this server
 * bumps the generation (shared memory), so every child asks again at
 * once; a revocation made at another server sharing the store is seen
 * when the answer is AuthJWTRevocationDelay seconds old.  shmcb is this
 * server's alone: with it, nothing revoked since start-up means nothing
 * to ask.  A token that is not in the cache (cache off, first sight) is
 * looked up every time.
 */

#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_provider.h"
#include "ap_socache.h"
#include "util_mutex.h"

#include "apr_global_mutex.h"
#include "apr_strings.h"

#include <openssl/evp.h>

#include "jose_util.h"
#include "mod_authn_jwt.h"

APLOG_USE_MODULE(authn_jwt);

#define REVOKE_HANDLER      "jwt-revoke"
#define MUTEX_TYPE          "authn-jwt-revoke"
#define STORE_NAMESPACE     "authn_jwt_revoke"
#define DEFAULT_STORE       "shmcb"
/* exp plus AuthJWTLeeway's ceiling (one day) and a minute: no location
 * can still accept the token after that. */
#define KEEP_AFTER_EXP      (86400 + 60)
/* A token without exp (AuthJWTRequireClaim none) stays revoked a year. */
#define KEEP_NO_EXP         (365 * 86400)
/* A failing store is logged at most this often per child. */
#define LOG_EVERY           60
/* While a store fails, one request a second per child asks it whether it
 * is back; the others are answered without it. */
#define PROBE_EVERY         APR_USEC_PER_SEC
/* The Retry-After of a 503. */
#define RETRY_AFTER         "5"

struct authn_jwt_revstore {
    const char *spec;               /* as written, for messages           */
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *inst;
    apr_global_mutex_t *mutex;      /* providers that are not MP-safe     */
    int local;                      /* shmcb: only this server writes     */
    int failing;                    /* this child saw the store fail and
                                     * has not seen it work since (atomic) */
    apr_time_t next_probe;          /* while FAILING: when the next request
                                     * may ask the store (atomic)         */
    unsigned inflight;              /* lookups and revocations running in
                                     * this child (atomic)                */
};

/* apr_time_sec of the last store failure logged by this child. */
static apr_int64_t last_logged;

/* ---- the store ---- */

/* The id of a revoked token: "j" + SHA-256(iss NUL jti), or "t" +
 * SHA-256(token) without jti.  33 bytes into ID. */
static int revocation_id(unsigned char id[33], const jwt_t *jwt,
                         const char *token, size_t len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 0;
    int ok;

    if (md == NULL) {
        return 0;
    }
    ok = EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
    if (jwt != NULL && jwt->jti != NULL) {
        const char *iss = jwt->iss ? jwt->iss : "";

        id[0] = 'j';
        ok = ok && EVP_DigestUpdate(md, iss, strlen(iss) + 1) == 1
             && EVP_DigestUpdate(md, jwt->jti, strlen(jwt->jti)) == 1;
    }
    else {
        id[0] = 't';
        ok = ok && EVP_DigestUpdate(md, token, len) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(md, id + 1, &n) == 1 && n == 32;
    EVP_MD_CTX_free(md);
    return ok;
}

static apr_status_t store_get(struct authn_jwt_revstore *rs, server_rec *s,
                              const unsigned char id[33], apr_pool_t *p)
{
    unsigned char data[8];
    unsigned int dlen = sizeof(data);
    apr_status_t rv;

    if (rs->mutex != NULL
        && (rv = apr_global_mutex_lock(rs->mutex)) != APR_SUCCESS) {
        return rv;
    }
    rv = rs->provider->retrieve(rs->inst, s, id, 33, data, &dlen, p);
    if (rs->mutex != NULL) {
        apr_global_mutex_unlock(rs->mutex);
    }
    return rv;
}

static apr_status_t store_put(struct authn_jwt_revstore *rs, server_rec *s,
                              const unsigned char id[33], apr_time_t expiry,
                              apr_pool_t *p)
{
    unsigned char data[1] = { '1' };
    apr_status_t rv;

    if (rs->mutex != NULL
        && (rv = apr_global_mutex_lock(rs->mutex)) != APR_SUCCESS) {
        return rv;
    }
    rv = rs->provider->store(rs->inst, s, id, 33, expiry, data, 1, p);
    if (rs->mutex != NULL) {
        apr_global_mutex_unlock(rs->mutex);
    }
    return rv;
}

/*
 * apr_memcache (and apr_redis) answer "not found" once every server is
 * marked dead, without asking anything.  So after a failure, a "not
 * found" counts only when a write of a marker key works: the store is
 * back.  The first operation on a dead server fails for real, which sets
 * FAILING.  Then the lookup is asked again: the write may have found the
 * server alive only because apr retried it (every 5 s) after the first
 * "not found", which was the mark's.
 *
 * Another thread of the child may be in that first operation: the server
 * is already marked dead, FAILING not set yet, and this thread's "not
 * found" came from the mark.  (A fail-closed server answered 200 right
 * after its store stopped, in 2 of 14 runs of
 * test_store_down_is_asked_once_a_second.)  Each operation sets FAILING
 * before it leaves INFLIGHT; so a "not found" while another operation is
 * in flight is checked by the marker write too.  (A mark old enough
 * for apr to retry the server was made by an operation that has set
 * FAILING since.)  Every lookup and revocation is bracketed by op_begin()
 * and op_end().
 */
static void op_begin(struct authn_jwt_revstore *rs)
{
    __atomic_add_fetch(&rs->inflight, 1, __ATOMIC_ACQ_REL);
}

static void op_end(struct authn_jwt_revstore *rs)
{
    __atomic_sub_fetch(&rs->inflight, 1, __ATOMIC_ACQ_REL);
}

/* FAILING from the outcome RV of an operation that asked the store. */
static apr_status_t store_answer(struct authn_jwt_revstore *rs,
                                 apr_status_t rv)
{
    if (rv == APR_SUCCESS) {
        /* an entry was found, or a write taken: the store answers */
        __atomic_store_n(&rs->failing, 0, __ATOMIC_RELEASE);
    }
    else if (rv != APR_NOTFOUND) {
        __atomic_store_n(&rs->failing, 1, __ATOMIC_RELEASE);
    }
    return rv;
}

/* Is ID revoked: APR_SUCCESS (yes), APR_NOTFOUND (no), or the store's
 * failure.  Between op_begin() and op_end(). */
static apr_status_t store_lookup(struct authn_jwt_revstore *rs,
                                 server_rec *s, const unsigned char id[33],
                                 apr_pool_t *p)
{
    static const unsigned char probe[33] = "authn_jwt_revocation_probe";
    apr_status_t rv = store_get(rs, s, id, p), pv;
    int others, was_failing;

    if (rv != APR_NOTFOUND || rs->local) {
        return store_answer(rs, rv);
    }
    others = __atomic_load_n(&rs->inflight, __ATOMIC_ACQUIRE) > 1;
    was_failing = __atomic_load_n(&rs->failing, __ATOMIC_ACQUIRE);
    if (!others && !was_failing) {
        return APR_NOTFOUND;
    }
    pv = store_put(rs, s, probe, apr_time_now() + apr_time_from_sec(60), p);
    if (pv != APR_SUCCESS) {
        return store_answer(rs, pv == APR_NOTFOUND ? APR_ECONNREFUSED : pv);
    }
    __atomic_store_n(&rs->failing, 0, __ATOMIC_RELEASE);
    if (!was_failing) {
        return APR_NOTFOUND;
    }
    /* the store is back: ask it the lookup itself */
    rv = store_get(rs, s, id, p);
    return store_answer(rs, rv);
}

/*
 * While the store fails, asking it on every request would cost each of
 * them a failing round trip (or apr_memcache's and apr_redis's "server
 * dead" answer) and make mod_socache_memcache / mod_socache_redis log an
 * error per request: thousands of lines a second under load.  So one
 * request a second per child asks; the others are answered as if it had
 * failed (503, or accepted unchecked with AuthJWTRevocationFailOpen), and
 * counted the same way.
 */
static int store_may_ask(struct authn_jwt_revstore *rs, apr_time_t now)
{
    apr_time_t due;

    if (rs->local || !__atomic_load_n(&rs->failing, __ATOMIC_ACQUIRE)) {
        return 1;
    }
    due = __atomic_load_n(&rs->next_probe, __ATOMIC_ACQUIRE);
    return now >= due
           && __atomic_compare_exchange_n(&rs->next_probe, &due,
                                          now + PROBE_EVERY, 0,
                                          __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED);
}

static const authn_jwt_srv_conf_t *srv_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &authn_jwt_module);
}

/* ---- the check on every accepted token ---- */

static uint64_t state_word(uint32_t gen, apr_int64_t now)
{
    return ((uint64_t)gen << 32) | (uint32_t)now;
}

jwt_status_t authn_jwt_revocation_check(request_rec *r,
                                        authn_jwt_cache_ctx_t *cc,
                                        const jwt_t *jwt, const char *token,
                                        size_t len)
{
    const authn_jwt_srv_conf_t *sc = srv_conf(r->server);
    struct authn_jwt_revstore *rs = sc ? sc->revstore : NULL;
    apr_int64_t now = apr_time_sec(r->request_time);
    unsigned char id[33];
    uint32_t gen;
    int shared;
    apr_status_t rv;

    if (rs == NULL) {
        return JWT_OK;
    }
    shared = authn_jwt_revocation_generation(&gen);
    if (shared && cc != NULL && cc->rev != NULL) {
        uint64_t w = __atomic_load_n(&cc->rev->word, __ATOMIC_ACQUIRE);

        if (w != 0 && (uint32_t)(w >> 32) == gen
            && (rs->local
                || (sc->rev_delay > 0
                    && (apr_int64_t)(uint32_t)now - (apr_int64_t)(uint32_t)w
                       < sc->rev_delay
                    && (uint32_t)now >= (uint32_t)w))) {
            return JWT_OK;
        }
    }
    else if (shared && rs->local && gen == 0) {
        /* nothing was ever revoked at this server since it started */
        return JWT_OK;
    }

    if (!revocation_id(id, jwt, token, len)) {
        return JWT_ERR_INTERNAL;
    }
    authn_jwt_metric_inc(AUTHN_JWT_M_REVOKE_LOOKUP);
    if (!store_may_ask(rs, r->request_time)) {
        rv = APR_ECONNREFUSED;          /* still failing a moment ago */
    }
    else {
        op_begin(rs);
        rv = store_lookup(rs, r->server, id, r->pool);
        op_end(rs);
    }
    if (rv == APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00324)
                      "token is revoked (store %s)", rs->spec);
        return JWT_ERR_REVOKED;
    }
    if (rv == APR_NOTFOUND) {
        if (shared) {
            uint64_t w = state_word(gen, now);

            if (cc != NULL && cc->rev != NULL) {
                __atomic_store_n(&cc->rev->word, w, __ATOMIC_RELEASE);
            }
            else if (cc != NULL) {
                cc->rev_checked = w;
            }
        }
        return JWT_OK;
    }

    authn_jwt_metric_inc(AUTHN_JWT_M_STORE_LOOKUP_ERR);
    if (__atomic_exchange_n(&last_logged, now, __ATOMIC_RELAXED)
        <= now - LOG_EVERY) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, AJLOGNO(00323)
                      "revocation store %s cannot be reached: tokens are "
                      "%s (AuthJWTRevocationFailOpen %s); logged once a "
                      "minute, counted in "
                      "authn_jwt_revocation_store_errors_total", rs->spec,
                      sc->rev_fail_open ? "accepted unchecked"
                                        : "answered 503",
                      sc->rev_fail_open ? "On" : "Off");
    }
    if (sc->rev_fail_open) {
        authn_jwt_metric_inc(AUTHN_JWT_M_FAIL_OPEN);
        return JWT_OK;
    }
    apr_table_setn(r->err_headers_out, "Retry-After", RETRY_AFTER);
    return JWT_ERR_REVOCATION_UNAVAILABLE;
}

/* ---- SetHandler jwt-revoke (RFC 7009 section 2) ---- */

/* RFC 7009 section 2.2.1 / RFC 6749 section 5.2: {"error": CODE}. */
static int oauth_error(request_rec *r, int status, const char *code)
{
    json_t *doc = jose_json_pool_own(r->pool, json_object());

    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Pragma", "no-cache");
    if (doc == NULL
        || json_object_set_new(doc, "error", json_string(code)) != 0) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(r->err_headers_out, "Retry-After", RETRY_AFTER);
    }
    return authn_jwt_send_json(r, status, AUTHN_JWT_JSON_TYPE, doc);
}

static int revoked_ok(request_rec *r)
{
    /* RFC 7009 section 2.2: 200, the body is ignored by the client */
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Pragma", "no-cache");
    r->status = HTTP_OK;
    ap_set_content_length(r, 0);
    return OK;
}

/* RFC 6749 section 3.2: no parameter twice; an empty one counts as
 * absent.  Returns NULL or why the request is malformed. */
static const char *form_params(apr_pool_t *p, const char *data,
                               apr_size_t len, const char **token,
                               const char **hint)
{
    const char *c = data, *end = data + len;
    int seen_token = 0, seen_hint = 0;

    while (c < end) {
        const char *amp = memchr(c, '&', (size_t)(end - c));
        const char *pend = amp ? amp : end;
        const char *eq = memchr(c, '=', (size_t)(pend - c));
        char *name = apr_pstrmemdup(p, c, (apr_size_t)((eq ? eq : pend) - c));
        char *v = eq ? apr_pstrmemdup(p, eq + 1, (apr_size_t)(pend - eq - 1))
                     : apr_pstrdup(p, "");

        if (ap_unescape_urlencoded(name) != OK
            || ap_unescape_urlencoded(v) != OK) {
            return "malformed form encoding";
        }
        if (strcmp(name, "token") == 0) {
            if (seen_token++ > 0) {
                return "token given more than once";
            }
            *token = *v ? v : NULL;
        }
        else if (strcmp(name, "token_type_hint") == 0) {
            if (seen_hint++ > 0) {
                return "token_type_hint given more than once";
            }
            *hint = *v ? v : NULL;
        }
        c = amp ? amp + 1 : end;
    }
    return NULL;
}

static const char *log_item(request_rec *r, const char *s)
{
    return authn_jwt_log_item(r->pool, s);
}

/*
 * Who may revoke (manual "Caching and revocation"): the caller presenting
 * the token as its own credential, a caller whose authenticated user is the
 * token's user, or any caller where AuthJWTRevokeAny is On.
 */
static int may_revoke(request_rec *r, const authn_jwt_dir_conf_t *conf,
                      const char *token, size_t len, const char *owner)
{
    const authn_jwt_req_t *rq = authn_jwt_req_find(r);

    if (conf->revoke_any) {
        return 1;
    }
    if (rq != NULL && rq->token != NULL && rq->token_len == len
        && authn_jwt_authenticated(r) != NULL
        && memcmp(rq->token, token, len) == 0) {
        return 1;
    }
    return r->user != NULL && owner != NULL && strcmp(r->user, owner) == 0;
}

static int revoke_handler(request_rec *r)
{
    const authn_jwt_dir_conf_t *conf;
    const authn_jwt_srv_conf_t *sc;
    const char *token = NULL, *hint = NULL, *err = NULL, *owner = NULL;
    apr_size_t blen, max;
    jwt_rules_t rules;
    jwt_t *jwt = NULL;
    unsigned char id[33];
    apr_time_t expiry;
    jwt_status_t st;
    apr_status_t rv;
    char *body;
    size_t len;
    int rc;

    if (r->handler == NULL || strcmp(r->handler, REVOKE_HANDLER) != 0) {
        return DECLINED;
    }
    /* RFC 7009 section 2.1: POST only */
    if ((rc = authn_jwt_only_method(r, M_POST, "POST")) != OK) {
        return rc;
    }
    conf = ap_get_module_config(r->per_dir_config, &authn_jwt_module);
    sc = srv_conf(r->server);
    max = conf->rules.max_size * 3 + 1024;
    rc = authn_jwt_read_body(r, max, &body, &blen);
    if (rc == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        err = "request body too large";
    }
    else if (rc != OK) {
        return rc;
    }
    else if (blen == 0) {
        err = "no token parameter";
    }
    else if (!authn_jwt_is_form(apr_table_get(r->headers_in, "Content-Type"))) {
        err = "the request body must be " AUTHN_JWT_FORM_TYPE;
    }
    else if (memchr(body, '\0', blen) != NULL) {
        err = "malformed form encoding";
    }
    else if ((err = form_params(r->pool, body, blen, &token, &hint)) == NULL
             && token == NULL) {
        err = "no token parameter";
    }
    if (err != NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00328)
                      "jwt-revoke: invalid_request: %s: user=%s "
                      "unique_id=%s", err, log_item(r, r->user),
                      log_item(r, authn_jwt_unique_id(r)));
        return oauth_error(r, HTTP_BAD_REQUEST, "invalid_request");
    }
    /* RFC 7009 section 2.1: the hint only speeds up the search; any
     * value, known or not, leads to the same one, since every token this
     * server accepts is a JWT. */
    (void)hint;
    len = strlen(token);

    /* Valid at this location, as the Bearer check would see it (no cache:
     * the answer must be the full check's). */
    rules = authn_jwt_request_rules(r, conf);
    st = jwt_check(&jwt, r->pool, token, len, &rules,
                   (int64_t)apr_time_sec(r->request_time));
    if (st == JWT_OK && jwt == NULL) {
        st = JWT_ERR_INTERNAL;
    }
    if (st == JWT_OK) {
        owner = jwt_ref_string(jwt_token_claim(jwt, conf->rules.user_claim
                                               ? conf->rules.user_claim
                                               : "sub"), NULL);
    }
    if (st != JWT_OK) {
        /* RFC 7009 section 2.2: an invalid token is no error */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00326)
                      "jwt-revoke: token not valid here (reason=%s), "
                      "nothing revoked: user=%s unique_id=%s",
                      jwt_status_name(st), log_item(r, r->user),
                      log_item(r, authn_jwt_unique_id(r)));
        return revoked_ok(r);
    }
    if (!may_revoke(r, conf, token, len, owner)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00327)
                      "jwt-revoke: unauthorized_client: user=%s may not "
                      "revoke a token of sub=%s jti=%s unique_id=%s",
                      log_item(r, r->user), log_item(r, owner),
                      log_item(r, jwt->jti),
                      log_item(r, authn_jwt_unique_id(r)));
        return oauth_error(r, HTTP_BAD_REQUEST, "unauthorized_client");
    }
    if (sc == NULL || sc->revstore == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJLOGNO(00330)
                      "jwt-revoke: this server has no revocation store: "
                      "load mod_socache_shmcb (LoadModule "
                      "socache_shmcb_module) or set "
                      "AuthJWTRevocationStore");
        return oauth_error(r, HTTP_SERVICE_UNAVAILABLE,
                           "temporarily_unavailable");
    }
    if (!revocation_id(id, jwt, token, len)) {
        return oauth_error(r, HTTP_SERVICE_UNAVAILABLE,
                           "temporarily_unavailable");
    }
    expiry = apr_time_from_sec(jwt->has_exp
                               ? jwt->exp + KEEP_AFTER_EXP
                               : apr_time_sec(r->request_time)
                                 + KEEP_NO_EXP);
    op_begin(sc->revstore);
    rv = store_put(sc->revstore, r->server, id, expiry, r->pool);
    /* the store took it (it works again if it failed before), or not */
    store_answer(sc->revstore, rv == APR_SUCCESS ? APR_SUCCESS
                                                 : APR_EGENERAL);
    op_end(sc->revstore);
    if (rv != APR_SUCCESS) {
        authn_jwt_metric_inc(AUTHN_JWT_M_STORE_STORE_ERR);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, AJLOGNO(00329)
                      "jwt-revoke: revocation store %s failed: token NOT "
                      "revoked: sub=%s jti=%s unique_id=%s",
                      sc->revstore->spec, log_item(r, owner),
                      log_item(r, jwt->jti),
                      log_item(r, authn_jwt_unique_id(r)));
        /* RFC 7009 section 2.2.1: the client retries later */
        return oauth_error(r, HTTP_SERVICE_UNAVAILABLE,
                           "temporarily_unavailable");
    }
    /* Every child of this server asks the store again at once. */
    authn_jwt_revocation_bump();
    authn_jwt_metric_inc(AUTHN_JWT_M_REVOKED);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00325)
                  "jwt-revoke: token revoked by user=%s: sub=%s jti=%s "
                  "by=%s unique_id=%s", log_item(r, r->user),
                  log_item(r, owner), log_item(r, jwt->jti),
                  jwt->jti ? "iss+jti" : "token hash",
                  log_item(r, authn_jwt_unique_id(r)));
    return revoked_ok(r);
}

/* ---- start-up ---- */

static int revoke_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    return ap_mutex_register(pconf, MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0)
           == APR_SUCCESS ? OK : !OK;
}

static struct authn_jwt_revstore *store_make(apr_pool_t *pconf,
                                             apr_pool_t *ptemp,
                                             server_rec *s, const char *spec,
                                             int explicit, int *failed)
{
    struct authn_jwt_revstore *rs;
    struct ap_socache_hints hints;
    const char *colon = strchr(spec, ':');
    const char *name = colon ? apr_pstrmemdup(ptemp, spec,
                                              (apr_size_t)(colon - spec))
                             : spec;
    const char *arg = colon ? colon + 1 : NULL;
    const char *err;
    apr_status_t rv;

    rs = apr_pcalloc(pconf, sizeof(*rs));
    rs->spec = spec;
    rs->local = strcmp(name, "shmcb") == 0;
    rs->provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                      AP_SOCACHE_PROVIDER_VERSION);
    if (rs->provider == NULL) {
        if (!explicit) {
            /* the default: nothing can be revoked, nothing to check;
             * jwt-revoke says why if it is used */
            return NULL;
        }
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, AJLOGNO(00322)
                     "AuthJWTRevocationStore %s: the socache provider "
                     "\"%s\" is not loaded; add LoadModule "
                     "socache_%s_module modules/mod_socache_%s.so",
                     spec, name, name, name);
        *failed = 1;
        return NULL;
    }
    err = rs->provider->create(&rs->inst, arg, ptemp, pconf);
    if (err != NULL) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, AJLOGNO(00322)
                     "AuthJWTRevocationStore %s: %s", spec, err);
        *failed = 1;
        return NULL;
    }
    if (rs->provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&rs->mutex, NULL, MUTEX_TYPE, NULL, s,
                                    pconf, 0);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, AJLOGNO(00331)
                         "AuthJWTRevocationStore %s: cannot create its "
                         "lock", spec);
            *failed = 1;
            return NULL;
        }
    }
    memset(&hints, 0, sizeof(hints));
    hints.avg_id_len = 33;
    hints.avg_obj_size = 1;
    hints.expiry_interval = apr_time_from_sec(60);
    rv = rs->provider->init(rs->inst, STORE_NAMESPACE, &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, AJLOGNO(00322)
                     "AuthJWTRevocationStore %s: the store cannot be "
                     "set up", spec);
        *failed = 1;
        return NULL;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, AJLOGNO(00332)
                 "revocation store %s ready", spec);
    return rs;
}

static apr_status_t store_destroy(void *data)
{
    struct authn_jwt_revstore *rs = data;

    if (rs->inst != NULL && rs->provider->destroy != NULL) {
        rs->provider->destroy(rs->inst, NULL);
        rs->inst = NULL;
    }
    return APR_SUCCESS;
}

static int revoke_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *made = apr_hash_make(ptemp);
    int failed = 0;
    server_rec *v;

    (void)plog;
    for (v = s; v != NULL; v = v->next) {
        authn_jwt_srv_conf_t *sc =
            ap_get_module_config(v->module_config, &authn_jwt_module);
        const char *spec;
        struct authn_jwt_revstore *rs;

        if (sc == NULL) {
            continue;
        }
        spec = sc->rev_store ? sc->rev_store : DEFAULT_STORE;
        /* one store per distinct setting, shared by the vhosts naming it */
        if (apr_hash_get(made, spec, APR_HASH_KEY_STRING) != NULL) {
            rs = apr_hash_get(made, spec, APR_HASH_KEY_STRING);
            sc->revstore = rs->inst ? rs : NULL;
            continue;
        }
        rs = store_make(pconf, ptemp, v, spec, sc->rev_store != NULL,
                        &failed);
        if (rs != NULL) {
            apr_pool_cleanup_register(pconf, rs, store_destroy,
                                      apr_pool_cleanup_null);
        }
        else {
            rs = apr_pcalloc(ptemp, sizeof(*rs));
        }
        apr_hash_set(made, spec, APR_HASH_KEY_STRING, rs);
        sc->revstore = rs->inst ? rs : NULL;
    }
    return failed ? HTTP_INTERNAL_SERVER_ERROR : OK;
}

static void revoke_child_init(apr_pool_t *p, server_rec *s)
{
    server_rec *v;

    for (v = s; v != NULL; v = v->next) {
        const authn_jwt_srv_conf_t *sc = srv_conf(v);

        if (sc != NULL && sc->revstore != NULL
            && sc->revstore->mutex != NULL) {
            apr_global_mutex_child_init(&sc->revstore->mutex,
                apr_global_mutex_lockfile(sc->revstore->mutex), p);
        }
    }
}

/* ---- directives ---- */

const char *authn_jwt_set_revocation_store(cmd_parms *cmd, void *dummy,
                                           const char *arg)
{
    authn_jwt_srv_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &authn_jwt_module);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE);
    const char *colon = strchr(arg, ':');
    size_t nlen = colon ? (size_t)(colon - arg) : strlen(arg);

    (void)dummy;
    if (err != NULL) {
        return err;
    }
    if (!((nlen == 5 && strncmp(arg, "shmcb", 5) == 0)
          || (nlen == 8 && strncmp(arg, "memcache", 8) == 0 && colon
              && colon[1] != '\0')
          || (nlen == 5 && strncmp(arg, "redis", 5) == 0 && colon
              && colon[1] != '\0'))) {
        return apr_psprintf(cmd->pool, "%s: \"%s\" is not a store; write "
                            "shmcb (this server only), "
                            "memcache:HOST:PORT[,HOST:PORT..] or "
                            "redis:HOST:PORT", cmd->cmd->name, arg);
    }
    sc->rev_store = arg;
    sc->rev_store_set = 1;
    return NULL;
}

const char *authn_jwt_set_revocation_delay(cmd_parms *cmd, void *dummy,
                                           const char *arg)
{
    authn_jwt_srv_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &authn_jwt_module);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE);
    apr_int64_t v;

    (void)dummy;
    if (err == NULL) {
        err = authn_jwt_parse_seconds(cmd, arg, 0, AUTHN_JWT_REV_DELAY_MAX,
                                      &v);
    }
    if (err != NULL) {
        return err;
    }
    sc->rev_delay = v;
    sc->rev_delay_set = 1;
    return NULL;
}

const char *authn_jwt_set_revocation_fail_open(cmd_parms *cmd, void *dummy,
                                               int on)
{
    authn_jwt_srv_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &authn_jwt_module);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE);

    (void)dummy;
    if (err != NULL) {
        return err;
    }
    sc->rev_fail_open = on ? 1 : 0;
    sc->rev_fail_open_set = 1;
    return NULL;
}

const char *authn_jwt_set_revoke_any(cmd_parms *cmd, void *dconf, int on)
{
    authn_jwt_dir_conf_t *conf = dconf;

    (void)cmd;
    conf->revoke_any = on ? 1 : 0;
    conf->revoke_any_set = 1;
    return NULL;
}

void authn_jwt_register_revoke(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(revoke_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(revoke_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(revoke_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(revoke_handler, NULL, NULL, APR_HOOK_MIDDLE);
}
