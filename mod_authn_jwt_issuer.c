/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * mod_authn_jwt_issuer.c: SetHandler jwt-issuer.  A POST gets a token for
 * the user that the location's own authentication let in (Basic, ApiKey,
 * or a Bearer token being refreshed): RFC 6749 section 5.1 response,
 * section 5.2 errors, section 3.3 scope narrowing, section 6 refresh
 * bounds; RFC 7519 claims.
 *
 * The issuer signs through the core (jwt_issue, include/jwt_issue.h); this
 * file only gathers what goes in: the scope asked for (a bounded form body
 * or the query string), the scopes AuthJWTScope allows, the extra claims
 * evaluated from their ap_expr strings, jti.  A claim value that is the
 * credential of the request itself is refused (manual "Issuing tokens").
 * A
 * configuration mistake never gives a 500: the administrator gets an ERR
 * line with its AJ tag, the client a 403.  The handler hook that calls
 * this file is in mod_authn_jwt_handlers.c.
 */

#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_expr.h"

#include "apr_base64.h"
#include "apr_strings.h"

#include <openssl/rand.h>

#include "jose_b64.h"
#include "jose_util.h"
#include "jwt.h"
#include "jwt_issue.h"
#include "mod_authn_jwt.h"

APLOG_USE_MODULE(authn_jwt);

/* The issuer reads at most this much of a form body (scope=...). */
#define MAX_FORM_BODY       8192
/* jti without mod_unique_id: 128 random bits (RFC 7519 4.1.7). */
#define JTI_RANDOM_BYTES    16
/* Credentials at least this long are also refused inside a claim value. */
#define MIN_CRED_SUBSTRING  8

static const char *log_item(request_rec *r, const char *s)
{
    return authn_jwt_log_item(r->pool, s);
}

/* RFC 6749 section 5.1 and 5.2: token responses and their errors must
 * not be stored by any cache. */
static void no_store(request_rec *r)
{
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Pragma", "no-cache");
}

/* RFC 6749 section 5.2 error response: 400 with {"error", fixed
 * "error_description"}; DESC never echoes request content.  Returns DONE
 * (the response is complete) so that no caller mistakes it for "go on". */
static int oauth_error(request_rec *r, const char *error, const char *desc)
{
    json_t *doc = jose_json_pool_own(r->pool,
                                     json_pack("{s:s,s:s}", "error", error,
                                               "error_description", desc));
    int rc;

    no_store(r);
    rc = authn_jwt_send_json(r, HTTP_BAD_REQUEST, AUTHN_JWT_JSON_TYPE,
                             doc);
    return rc == OK ? DONE : rc;
}

/* ---- the request's parameters ---- */

/*
 * name=value pairs (form body or query string): the scope parameter.  RFC
 * 6749 section 3.1: a parameter without a value is treated as omitted,
 * and a parameter must not be given more than once.  Everything else is
 * ignored (grant_type and the like: the location's authentication is the
 * grant).  Returns NULL or a fixed error_description.
 */
static const char *scope_param(apr_pool_t *p, const char *data,
                               apr_size_t len, const char **scope,
                               int *seen)
{
    const char *c = data, *end = data + len;

    while (c < end) {
        const char *amp = memchr(c, '&', (size_t)(end - c));
        const char *pend = amp ? amp : end;
        const char *eq = memchr(c, '=', (size_t)(pend - c));
        char *name = apr_pstrmemdup(p, c, (apr_size_t)((eq ? eq : pend) - c));

        if (ap_unescape_urlencoded(name) != OK) {
            return "malformed form encoding";
        }
        if (strcmp(name, "scope") == 0) {
            char *v = eq ? apr_pstrmemdup(p, eq + 1,
                                          (apr_size_t)(pend - eq - 1))
                         : apr_pstrdup(p, "");

            if (ap_unescape_urlencoded(v) != OK) {
                return "malformed form encoding";
            }
            if ((*seen)++ > 0) {
                return "the scope parameter is given more than once";
            }
            *scope = *v != '\0' ? v : NULL;
        }
        c = amp ? amp + 1 : end;
    }
    return NULL;
}

/* The scope asked for, from the form body or the query string; NULL when
 * none.  Returns OK to go on, else what the handler returns: an HTTP
 * status, or DONE when the 400 invalid_request was sent. */
static int asked_scope(request_rec *r, const char **asked)
{
    const char *err = NULL;
    apr_size_t len;
    char *body;
    int rc, seen = 0;

    *asked = NULL;
    rc = authn_jwt_read_body(r, MAX_FORM_BODY, &body, &len);
    if (rc == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00032)
                      "jwt-issuer: request body larger than %d bytes "
                      "refused: unique_id=%s", MAX_FORM_BODY,
                      log_item(r, authn_jwt_unique_id(r)));
    }
    if (rc != OK) {
        return rc;
    }
    if (len > 0) {
        if (!authn_jwt_is_form(apr_table_get(r->headers_in, "Content-Type"))) {
            err = "the request body must be " AUTHN_JWT_FORM_TYPE;
        }
        else if (memchr(body, '\0', len) != NULL) {
            err = "malformed form encoding";
        }
        else {
            err = scope_param(r->pool, body, len, asked, &seen);
        }
    }
    if (err == NULL && r->args != NULL) {
        err = scope_param(r->pool, r->args, strlen(r->args), asked, &seen);
    }
    if (err != NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00020)
                      "jwt-issuer: invalid_request for user \"%s\": %s: "
                      "unique_id=%s", log_item(r, r->user), err,
                      log_item(r, authn_jwt_unique_id(r)));
        return oauth_error(r, "invalid_request", err);
    }
    return OK;
}

/* ---- scopes ---- */

static int in_list(const apr_array_header_t *list, const char *s)
{
    int i;

    for (i = 0; list != NULL && i < list->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(list, i, const char *), s) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Split TEXT on spaces into LIST, skipping duplicates and (with a log
 * line naming WHERE) anything that is not an RFC 6749 scope-token: the
 * value of an expression can hold anything the request sent. */
static void add_scopes(request_rec *r, apr_array_header_t *list,
                       const char *text, const char *where)
{
    apr_array_header_t *words = jwt_scope_split(r->pool, text);
    int i;

    for (i = 0; i < words->nelts; i++) {
        const char *w = APR_ARRAY_IDX(words, i, const char *);

        if (!jwt_is_scope_token(w)) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00024)
                          "jwt-issuer: AuthJWTScope \"%s\" gave \"%s\", "
                          "which is not a scope (RFC 6749 3.3); not "
                          "granted", log_item(r, where), log_item(r, w));
        }
        else if (!in_list(list, w)) {
            APR_ARRAY_PUSH(list, const char *) = w;
        }
    }
}

/* What AuthJWTScope allows for this request: the literal scopes and the
 * words of each expression's value. */
static int allowed_scopes(request_rec *r, const authn_jwt_dir_conf_t *conf,
                          apr_array_header_t **out)
{
    apr_array_header_t *list = apr_array_make(r->pool, 8,
                                              sizeof(const char *));
    int i;

    for (i = 0; conf->scopes != NULL && i < conf->scopes->nelts; i++) {
        const authn_jwt_expr_t *e = &APR_ARRAY_IDX(conf->scopes, i,
                                                   authn_jwt_expr_t);
        const char *err = NULL, *v;

        if (e->expr == NULL) {
            if (!in_list(list, e->text)) {
                APR_ARRAY_PUSH(list, const char *) = e->text;
            }
            continue;
        }
        v = ap_expr_str_exec(r, e->expr, &err);
        if (err != NULL || v == NULL) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJLOGNO(00021)
                          "jwt-issuer: AuthJWTScope \"%s\" could not be "
                          "evaluated: %s; no token issued",
                          log_item(r, e->text),
                          log_item(r, err ? err : "no value"));
            return HTTP_FORBIDDEN;
        }
        add_scopes(r, list, v, e->text);
    }
    *out = list;
    return OK;
}

/* Members of A that are also in B, in A's order. */
static apr_array_header_t *intersect(apr_pool_t *p,
                                     const apr_array_header_t *a,
                                     const apr_array_header_t *b)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));
    int i;

    for (i = 0; i < a->nelts; i++) {
        const char *s = APR_ARRAY_IDX(a, i, const char *);

        if (in_list(b, s)) {
            APR_ARRAY_PUSH(out, const char *) = s;
        }
    }
    return out;
}

/* ---- the credential of this request (manual: never a claim value) ---- */

typedef struct {
    const char *s;
    size_t len;
} cred_t;

static void add_cred(apr_array_header_t *creds, const char *s)
{
    cred_t *c;

    if (s == NULL || *s == '\0') {
        return;
    }
    c = &APR_ARRAY_PUSH(creds, cred_t);
    c->s = s;
    c->len = strlen(s);
}

/* Authorization / Proxy-Authorization: the header as sent, and its
 * credential: the Basic password (decoded), any other scheme's token. */
static void auth_header_creds(request_rec *r, apr_array_header_t *creds,
                              const char *header)
{
    const char *v = apr_table_get(r->headers_in, header), *rest;
    size_t slen;

    if (v == NULL || *v == '\0') {
        return;
    }
    add_cred(creds, v);
    slen = strcspn(v, " ");
    for (rest = v + slen; *rest == ' '; rest++) {
        ;
    }
    if (slen == 5 && ap_cstr_casecmpn(v, "Basic", 5) == 0) {
        int n = apr_base64_decode_len(rest);
        char *plain = n > 0 ? apr_palloc(r->pool, (apr_size_t)n + 1) : NULL;
        const char *colon;
        size_t len;

        if (plain == NULL) {
            return;
        }
        n = apr_base64_decode(plain, rest);
        len = n > 0 ? (size_t)n : 0;
        plain[len] = '\0';
        jose_wipe_on_cleanup(r->pool, plain, len + 1);
        colon = strchr(plain, ':');
        add_cred(creds, colon ? colon + 1 : plain);
    }
    else {
        add_cred(creds, rest);
    }
}

static apr_array_header_t *request_creds(request_rec *r,
                                         const authn_jwt_dir_conf_t *conf)
{
    apr_array_header_t *creds = apr_array_make(r->pool, 4, sizeof(cred_t));
    /* The API key left the request once it was accepted (backends never
     * see it); the guard compares with the copy kept for it. */
    const char *key = authn_jwt_consumed_apikey(r);
    const jwt_t *old = authn_jwt_authenticated(r);

    auth_header_creds(r, creds, "Authorization");
    auth_header_creds(r, creds, "Proxy-Authorization");
    if (key == NULL) {
        key = apr_table_get(r->headers_in, conf->apikey_header);
    }
    if (key != NULL) {
        const char *dot = strchr(key, '.');

        add_cred(creds, key);
        add_cred(creds, dot ? dot + 1 : NULL);
    }
    /* A refreshed token may have come from a cookie or the query: what
     * holds the token holds its header.payload. */
    if (old != NULL && old->jws != NULL && old->jws->signing_input != NULL) {
        add_cred(creds, apr_pstrmemdup(r->pool, old->jws->signing_input,
                                       old->jws->signing_input_len));
    }
    return creds;
}

/* VALUE is a credential, or holds one that is long enough to tell. */
static int is_credential(const apr_array_header_t *creds, const char *value)
{
    size_t vlen = strlen(value);
    int i, hit = 0;

    for (i = 0; i < creds->nelts; i++) {
        const cred_t *c = &APR_ARRAY_IDX(creds, i, cred_t);

        /* no early exit: the time does not say which one matched */
        hit |= jose_ct_equal(value, vlen, c->s, c->len);
        hit |= c->len >= MIN_CRED_SUBSTRING && vlen > c->len
               && strstr(value, c->s) != NULL;
    }
    return hit;
}

/* ---- claims ---- */

static int extra_claims(request_rec *r, const authn_jwt_dir_conf_t *conf,
                        json_t **out)
{
    apr_array_header_t *creds;
    json_t *extra;
    int i;

    *out = NULL;
    if (conf->claims == NULL || conf->claims->nelts == 0) {
        return OK;
    }
    extra = jose_json_pool_own(r->pool, json_object());
    if (extra == NULL) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    creds = request_creds(r, conf);
    for (i = 0; i < conf->claims->nelts; i++) {
        const authn_jwt_expr_t *e = &APR_ARRAY_IDX(conf->claims, i,
                                                   authn_jwt_expr_t);
        const char *err = NULL, *v = e->text;
        json_t *js;

        if (e->expr != NULL) {
            v = ap_expr_str_exec(r, e->expr, &err);
        }
        if (err != NULL || v == NULL) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJLOGNO(00033)
                          "jwt-issuer: AuthJWTClaim %s could not be "
                          "evaluated: %s; no token issued",
                          log_item(r, e->name),
                          log_item(r, err ? err : "no value"));
            return HTTP_FORBIDDEN;
        }
        if (*v == '\0') {
            continue;           /* manual: an empty value omits the claim */
        }
        if (is_credential(creds, v)) {
            /* The claim's name only: its value is the secret. */
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJLOGNO(00022)
                          "jwt-issuer: AuthJWTClaim %s would carry the "
                          "credential presented with this request (a "
                          "password, API key or token); no token issued "
                          "for user \"%s\": unique_id=%s",
                          log_item(r, e->name), log_item(r, r->user),
                          log_item(r, authn_jwt_unique_id(r)));
            return HTTP_FORBIDDEN;
        }
        js = json_string(v);
        if (js == NULL) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJLOGNO(00034)
                          "jwt-issuer: AuthJWTClaim %s: the value is not "
                          "valid UTF-8; no token issued",
                          log_item(r, e->name));
            return HTTP_FORBIDDEN;
        }
        json_object_set_new(extra, e->name, js);
    }
    *out = extra;
    return OK;
}

/* RFC 7519 4.1.7: the request's UNIQUE_ID, else 128 random bits. */
static const char *make_jti(request_rec *r)
{
    const char *id = apr_table_get(r->subprocess_env, "UNIQUE_ID");
    unsigned char rnd[JTI_RANDOM_BYTES];

    if (id != NULL && *id != '\0') {
        return id;
    }
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return NULL;
    }
    return jose_b64url_encode(r->pool, rnd, sizeof(rnd));
}

/* ---- refresh: how old is the login? ---- */

/*
 * A refreshed token keeps the auth_time of the one it replaces (OpenID
 * Connect Core 2: the time of the original authentication); a token from
 * elsewhere without auth_time counts from its iat.  Once the login is
 * older than AuthJWTRefreshMaxAge the client must log in again: otherwise
 * one leaked token renews itself forever, each refresh with a full new
 * lifetime.  A token with neither claim, or a malformed auth_time, cannot
 * be bounded and is not refreshed.
 */
static int login_time(request_rec *r, const authn_jwt_dir_conf_t *conf,
                      const jwt_t *old, int64_t now, int64_t *auth_time)
{
    const json_t *v = json_object_get(authn_jwt_claims(r), "auth_time");
    authn_jwt_req_t *rq;
    double t = -1;

    if (v != NULL && json_is_number(v)) {
        t = json_number_value(v);
    }
    else if (v == NULL && old->has_iat) {
        t = (double)old->iat;
    }
    if (t >= 0 && t <= (double)JWT_MAX_NUMERIC_DATE) {
        *auth_time = (int64_t)t < now ? (int64_t)t : now;
        if (now - *auth_time <= conf->refresh_max_age) {
            return OK;
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00156)
                  "jwt-issuer: refresh refused for user \"%s\": "
                  "reason=%s auth_time=%s max_age=%" APR_INT64_T_FMT
                  " jti=%s unique_id=%s", log_item(r, r->user),
                  jwt_status_name(JWT_ERR_LOGIN_TOO_OLD),
                  t >= 0 ? apr_psprintf(r->pool, "%.0f", t) : "-",
                  (apr_int64_t)conf->refresh_max_age, log_item(r, old->jti),
                  log_item(r, authn_jwt_unique_id(r)));
    rq = authn_jwt_req_find(r);
    if (rq != NULL) {
        rq->status = JWT_ERR_LOGIN_TOO_OLD;
    }
    authn_jwt_set_error(r, JWT_ERR_LOGIN_TOO_OLD);
    no_store(r);
    ap_note_auth_failure(r);
    return HTTP_UNAUTHORIZED;
}

/* ---- the handler ---- */

/* Sign (and encrypt) the token through the core.  doc/attacks.md H: iat,
 * exp and jti always; iss and aud from the validator's directives, so the
 * servers verifying these tokens share one configuration. */
static int mint(request_rec *r, const authn_jwt_dir_conf_t *conf,
                const char *granted, json_t *extra, int64_t now,
                int64_t auth_time, char **token)
{
    const authn_jwt_issue_key_t *sk = conf->sign_key;
    const authn_jwt_issue_key_t *ek = conf->encrypt_key;
    jwt_issue_params_t ip;
    jwt_status_t st;

    memset(&ip, 0, sizeof(ip));
    ip.sign_key = sk->key;
    ip.alg = sk->alg;
    ip.kid = sk->kid;
    if (ek != NULL) {
        ip.encrypt_key = ek->key;
        ip.enc_alg = ek->alg;
        ip.enc = ek->enc;
    }
    if (conf->rules.issuers != NULL && conf->rules.issuers->nelts > 0) {
        ip.iss = APR_ARRAY_IDX(conf->rules.issuers, 0, const char *);
    }
    ip.sub = r->user;
    /* AuthJWTAudience * accepts any audience; it names none to issue */
    ip.aud = jwt_audience_any(conf->rules.audiences)
             ? NULL : conf->rules.audiences;
    ip.jti = make_jti(r);
    ip.scope = granted;
    ip.lifetime = conf->lifetime;
    ip.auth_time = auth_time;
    ip.extra = extra;
    *token = NULL;
    st = ip.jti != NULL ? jwt_issue(token, NULL, r->pool, &ip, now)
                        : JWT_ERR_INTERNAL;
    if (st != JWT_OK || *token == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJLOGNO(00023)
                      "jwt-issuer: no token issued for user \"%s\": "
                      "reason=%s kid=%s unique_id=%s",
                      log_item(r, r->user), jwt_status_name(st),
                      log_item(r, sk->kid),
                      log_item(r, authn_jwt_unique_id(r)));
        return HTTP_FORBIDDEN;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00016)
                  "token issued for user \"%s\": via=%s jti=%s scope=\"%s\" "
                  "exp=%" APR_INT64_T_FMT " alg=%s kid=%s%s unique_id=%s",
                  log_item(r, r->user), log_item(r, r->ap_auth_type),
                  log_item(r, ip.jti), log_item(r, granted),
                  (apr_int64_t)(now + conf->lifetime), sk->alg->name,
                  log_item(r, sk->kid), ek ? " encrypted" : "",
                  log_item(r, authn_jwt_unique_id(r)));
    authn_jwt_metric_inc(AUTHN_JWT_M_ISSUED);
    return OK;
}

int authn_jwt_issuer_handler(request_rec *r)
{
    const authn_jwt_dir_conf_t *conf =
        ap_get_module_config(r->per_dir_config, &authn_jwt_module);
    int64_t now = (int64_t)apr_time_sec(r->request_time);
    int64_t auth_time = now;        /* a login, unless a refresh */
    apr_array_header_t *allowed;
    const char *asked, *granted;
    const jwt_t *old;
    json_t *extra, *doc;
    char *token;
    int rc;

    if ((rc = authn_jwt_only_method(r, M_POST, "POST")) != OK) {
        return rc;
    }
    /* The issuer vouches for r->user: without the location's own
     * authentication there is nobody to vouch for. */
    if (r->user == NULL || *r->user == '\0') {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJLOGNO(00017)
                      "jwt-issuer location has no authentication: %s needs "
                      "AuthType (Basic, ApiKey, Bearer...) and Require "
                      "valid-user; no token issued",
                      log_item(r, r->uri));
        return HTTP_FORBIDDEN;
    }
    if (conf->sign_key == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJLOGNO(00018)
                      "jwt-issuer: no AuthJWTSignKey applies to %s; no "
                      "token issued", log_item(r, r->uri));
        return HTTP_FORBIDDEN;
    }
    if ((rc = asked_scope(r, &asked)) != OK) {
        return rc;
    }
    if ((rc = allowed_scopes(r, conf, &allowed)) != OK) {
        return rc;
    }
    /* Refresh (manual "Issuing tokens"; RFC 6749 section 6): a token
     * presented here bounds
     * what the new one may carry; without AuthJWTScope it is the bound
     * itself. */
    old = authn_jwt_authenticated(r);
    if (old != NULL
        && (rc = login_time(r, conf, old, now, &auth_time)) != OK) {
        return rc;
    }
    if (old != NULL) {
        apr_array_header_t *had = jwt_scopes(r->pool, authn_jwt_claims(r),
                                             conf->scope_claim);

        allowed = conf->scopes_set ? intersect(r->pool, allowed, had) : had;
    }
    if (jwt_scope_grant(&granted, r->pool, asked, allowed) != JWT_OK) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00019)
                      "jwt-issuer: invalid_scope for user \"%s\": asked "
                      "\"%s\", allowed \"%s\": unique_id=%s",
                      log_item(r, r->user), log_item(r, asked),
                      log_item(r, apr_array_pstrcat(r->pool, allowed, ' ')),
                      log_item(r, authn_jwt_unique_id(r)));
        return oauth_error(r, "invalid_scope", "the requested scope is "
                           "invalid, unknown, or exceeds the scope this "
                           "endpoint may grant");
    }
    if ((rc = extra_claims(r, conf, &extra)) != OK) {
        return rc;
    }
    if ((rc = mint(r, conf, granted, extra, now, auth_time, &token))
        != OK) {
        return rc;
    }

    /* RFC 6749 section 5.1, and the token once more in a header for
     * clients that read headers only. */
    doc = jose_json_pool_own(r->pool,
                             json_pack("{s:s,s:s,s:I}", "access_token", token,
                                       "token_type", "Bearer", "expires_in",
                                       (json_int_t)conf->lifetime));
    if (doc != NULL && *granted != '\0') {
        json_object_set_new(doc, "scope", json_string(granted));
    }
    apr_table_setn(r->headers_out, "Authorization",
                   apr_pstrcat(r->pool, "Bearer ", token, NULL));
    no_store(r);
    return authn_jwt_send_json(r, HTTP_OK, AUTHN_JWT_JSON_TYPE, doc);
}
