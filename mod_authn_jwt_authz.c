/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * mod_authn_jwt_authz.c: what a verified token is used for after
 * authentication, in mod_authz_user's shape.
 *
 *   Require jwt-scope S [S..]           every scope present (RFC 6749 3.3,
 *                                       exact, case-sensitive; E4)
 *   Require jwt-claim NAME=VALUE [..]   every pair matches (dotted paths)
 *   Require jwt-expr EXPR               an ap_expr over the claims
 *   jwt_claim('path')                   ap_expr string function
 *   Require expr EXPR                   mod_authz_core's, and jwt_claim()
 *                                       needs a user like %{REMOTE_USER}
 *   AuthBasicProvider jwt               the token as the Basic password
 *
 * Require lines are parsed and checked at start-up; the check only
 * evaluates.  A request this module did not authenticate never satisfies a
 * jwt-* provider: before authentication the answer is AUTHZ_DENIED_NO_USER
 * (authentication then runs), after another module's authentication it is
 * AUTHZ_DENIED.  A valid token refused by a jwt-scope or jwt-claim line
 * gets the RFC 6750 section 3.1 insufficient_scope challenge (with scope=
 * listing the scopes asked for, for jwt-scope).
 */

#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_request.h"
#include "ap_expr.h"
#include "ap_provider.h"
#include "mod_auth.h"

#include "apr_lib.h"
#include "apr_strings.h"

#include "jose_b64.h"
#include "jws.h"
#include "jwt.h"
#include "jwt_status.h"
#include "mod_authn_jwt.h"

APLOG_USE_MODULE(authn_jwt);

/* ---- Require jwt-scope ---- */

typedef struct {
    apr_array_header_t *scopes;     /* const char *                     */
    const char *text;               /* the scopes joined by one space   */
} scope_req_t;

static const char *scope_parse(cmd_parms *cmd, const char *line,
                               const void **parsed)
{
    scope_req_t *req = apr_pcalloc(cmd->pool, sizeof(*req));
    const char *w;

    req->scopes = apr_array_make(cmd->pool, 2, sizeof(const char *));
    while (*(w = ap_getword_conf(cmd->pool, &line)) != '\0') {
        /* RFC 6749 section 3.3; this also keeps the scope= challenge
         * parameter free of quotes and backslashes */
        if (!jwt_is_scope_token(w)) {
            return apr_psprintf(cmd->pool, "Require jwt-scope: '%s' is not a "
                                "scope (printable ASCII without spaces, "
                                "quotes or backslashes, RFC 6749 3.3)",
                                ap_escape_logitem(cmd->temp_pool, w));
        }
        APR_ARRAY_PUSH(req->scopes, const char *) = w;
    }
    if (req->scopes->nelts == 0) {
        return "Require jwt-scope needs at least one scope";
    }
    req->text = apr_array_pstrcat(cmd->pool, req->scopes, ' ');
    *parsed = req;
    return NULL;
}

/* Request not ours: before authentication ask for it, after someone else's
 * refuse (manual: requests not authenticated by this module never satisfy a
 * jwt-* provider). */
static authz_status not_ours(request_rec *r, const char *provider)
{
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJLOGNO(00011)
                  "Require %s: request not authenticated by a token%s",
                  provider, r->user ? "" : " (yet)");
    return r->user ? AUTHZ_DENIED : AUTHZ_DENIED_NO_USER;
}

static const char *req_user(const request_rec *r)
{
    return r->user ? r->user : "";
}

/*
 * RFC 6750 section 3.1: a valid token without the privileges asked for is
 * insufficient_scope (SCOPE lists the scopes wanted; NULL for a claim
 * requirement).  With AuthzSendForbiddenOnFailure On mod_authz_core answers
 * 403 without calling note_auth_failure, so the challenge is put in place
 * now; err_headers_out also survives a local ErrorDocument.  If another
 * Require line still grants the request, the fixups hook takes it out
 * again.  With the default (Off) note_auth_failure rebuilds the 401
 * challenge from the notes.
 */
static void insufficient(request_rec *r, const authn_jwt_dir_conf_t *conf,
                         const char *scope)
{
    const char *had = apr_table_get(r->notes, AUTHN_JWT_NOTE_SCOPE);

    /* In <RequireAny>, a claim line after a failed scope line keeps the
     * more useful challenge, the one that says which scopes to ask for. */
    if (scope == NULL && had != NULL && *had != '\0') {
        return;
    }
    authn_jwt_set_error(r, JWT_ERR_INSUFFICIENT_SCOPE);
    apr_table_setn(r->notes, AUTHN_JWT_NOTE_SCOPE, scope ? scope : "");
    apr_table_setn(r->err_headers_out, authn_jwt_challenge_header(r),
                   authn_jwt_challenge(r, conf, JWT_ERR_INSUFFICIENT_SCOPE,
                                       scope));
    apr_table_setn(r->notes, AUTHN_JWT_NOTE_SCOPE_HDR, "1");
}

static authz_status scope_check(request_rec *r, const char *line,
                                const void *parsed)
{
    const scope_req_t *req = parsed;
    const authn_jwt_dir_conf_t *conf;
    const jwt_t *jwt = authn_jwt_authenticated(r);

    (void)line;
    if (jwt == NULL) {
        return not_ours(r, "jwt-scope");
    }
    conf = ap_get_module_config(r->per_dir_config, &authn_jwt_module);
    if (jwt_token_has_scopes(jwt, conf->scope_claim, req->scopes)) {
        if (APLOG_R_IS_LEVEL(r, APLOG_DEBUG)) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJLOGNO(00013)
                          "Require jwt-scope %s: granted",
                          ap_escape_logitem(r->pool, req->text));
        }
        return AUTHZ_GRANTED;
    }

    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00009)
                  "token rejected: reason=%s user=\"%s\" required=\"%s\" "
                  "jti=%s unique_id=%s",
                  jwt_status_name(JWT_ERR_INSUFFICIENT_SCOPE),
                  authn_jwt_log_item(r->pool, req_user(r)),
                  authn_jwt_log_item(r->pool, req->text),
                  authn_jwt_log_item(r->pool, jwt->jti),
                  authn_jwt_log_item(r->pool,
                                     apr_table_get(r->subprocess_env,
                                                   "UNIQUE_ID")));
    insufficient(r, conf, req->text);
    return AUTHZ_DENIED;
}

/* The request went through after all (<RequireAny>): no challenge and no
 * JWT_ERROR on a response that is not an error. */
static int authn_jwt_fixups(request_rec *r)
{
    if (apr_table_get(r->notes, AUTHN_JWT_NOTE_SCOPE_HDR) != NULL) {
        apr_table_unset(r->err_headers_out, authn_jwt_challenge_header(r));
        apr_table_unset(r->notes, AUTHN_JWT_NOTE_SCOPE_HDR);
        apr_table_unset(r->notes, AUTHN_JWT_NOTE_SCOPE);
        apr_table_unset(r->notes, AUTHN_JWT_ENV_ERROR);
        apr_table_unset(r->subprocess_env, AUTHN_JWT_ENV_ERROR);
    }
    return DECLINED;
}

/* ---- Require jwt-claim ---- */

typedef struct {
    const char *name;               /* dotted path                      */
    const char *value;              /* exact bytes                      */
} claim_pair_t;

static const char *claim_parse(cmd_parms *cmd, const char *line,
                               const void **parsed)
{
    apr_array_header_t *pairs = apr_array_make(cmd->pool, 2,
                                               sizeof(claim_pair_t));
    const char *w;

    while (*(w = ap_getword_conf(cmd->pool, &line)) != '\0') {
        const char *eq = strchr(w, '=');
        claim_pair_t *pair;
        const char *c;
        int depth = 1;

        if (eq == NULL || eq == w) {
            return apr_psprintf(cmd->pool, "Require jwt-claim: '%s' is not "
                                "NAME=VALUE (NAME may be a dotted path, e.g. "
                                "realm_access.roles=admin)",
                                ap_escape_logitem(cmd->temp_pool, w));
        }
        pair = &APR_ARRAY_PUSH(pairs, claim_pair_t);
        pair->name = apr_pstrmemdup(cmd->pool, w, (apr_size_t)(eq - w));
        pair->value = eq + 1;
        for (c = pair->name; *c; c++) {
            depth += *c == '.';
        }
        if (depth > JWT_MAX_CLAIM_DEPTH) {
            return apr_psprintf(cmd->pool, "Require jwt-claim: the path "
                                "'%s' is deeper than %d levels",
                                ap_escape_logitem(cmd->temp_pool,
                                                  pair->name),
                                JWT_MAX_CLAIM_DEPTH);
        }
    }
    if (pairs->nelts == 0) {
        return "Require jwt-claim needs at least one NAME=VALUE";
    }
    *parsed = pairs;
    return NULL;
}

static authz_status claim_check(request_rec *r, const char *line,
                                const void *parsed)
{
    const apr_array_header_t *pairs = parsed;
    const jwt_t *jwt = authn_jwt_authenticated(r);
    const json_t *claims = authn_jwt_claims(r);
    int i;

    (void)line;
    if (jwt == NULL) {
        return not_ours(r, "jwt-claim");
    }
    for (i = 0; i < pairs->nelts; i++) {
        const claim_pair_t *pair = &APR_ARRAY_IDX(pairs, i, claim_pair_t);
        const json_t *v = jwt_claim_get(claims, pair->name);

        if (v == NULL || !jwt_claim_matches(v, pair->value)) {
            insufficient(r, ap_get_module_config(r->per_dir_config,
                                                 &authn_jwt_module), NULL);
            /* The claim's name only: its value may be personal data. */
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00010)
                          "Require jwt-claim: claim \"%s\" does not match "
                          "for user \"%s\": jti=%s unique_id=%s",
                          authn_jwt_log_item(r->pool, pair->name),
                          authn_jwt_log_item(r->pool, req_user(r)),
                          authn_jwt_log_item(r->pool, jwt->jti),
                          authn_jwt_log_item(r->pool,
                                             apr_table_get(r->subprocess_env,
                                                           "UNIQUE_ID")));
            return AUTHZ_DENIED;
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJLOGNO(00014)
                  "Require jwt-claim: granted");
    return AUTHZ_GRANTED;
}

/* ---- jwt_claim() for ap_expr ---- */

static const char *jwt_claim_func(ap_expr_eval_ctx_t *ctx, const void *data,
                                  const char *arg)
{
    const json_t *v;
    const char *text;

    (void)data;
    if (ctx->r == NULL || arg == NULL || *arg == '\0') {
        return "";
    }
    v = jwt_claim_get(authn_jwt_claims(ctx->r), arg);
    if (v == NULL) {
        return "";
    }
    text = jwt_claim_text(ctx->p, v);
    return text ? text : "";
}

static int authn_jwt_expr_lookup(ap_expr_lookup_parms *parms)
{
    if (parms->type != AP_EXPR_FUNC_STRING
        || strcasecmp(parms->name, "jwt_claim") != 0) {
        return DECLINED;
    }
    *parms->func = (const void *)jwt_claim_func;
    *parms->data = NULL;
    return OK;
}

/* ---- Require jwt-expr, and Require expr with jwt_claim() ---- */

typedef struct {
    ap_expr_info_t *expr;
    const char *text;
    int wants_user;     /* names %{REMOTE_USER} or jwt_claim()          */
} expr_req_t;

/* ptemp userdata: the expr_req_t being parsed, for expr_lookup. */
#define EXPR_PARSE_NOTE "authn_jwt_expr_parse"

/*
 * Every variable and function of the expression comes through here while
 * it is parsed: note whether its value depends on the authenticated user,
 * then look it up as any other ap_expr would.
 */
static int expr_lookup(ap_expr_lookup_parms *parms)
{
    void *data = NULL;

    if (apr_pool_userdata_get(&data, EXPR_PARSE_NOTE, parms->ptemp)
        == APR_SUCCESS && data != NULL
        && ((parms->type == AP_EXPR_FUNC_VAR
             && strcasecmp(parms->name, "REMOTE_USER") == 0)
            || (parms->type == AP_EXPR_FUNC_STRING
                && strcasecmp(parms->name, "jwt_claim") == 0))) {
        ((expr_req_t *)data)->wants_user = 1;
    }
    return ap_expr_lookup_default(parms);
}

static const char *expr_parse(cmd_parms *cmd, const char *line,
                              const void **parsed, const char *what)
{
    expr_req_t *req = apr_pcalloc(cmd->pool, sizeof(*req));
    const char *err = NULL;
    size_t len = strlen(line);

    /* Require "a == b" arrives with its quotes */
    if (len >= 2 && line[0] == '"' && line[len - 1] == '"') {
        line = apr_pstrmemdup(cmd->pool, line + 1, len - 2);
    }
    req->text = apr_pstrdup(cmd->pool, line);
    apr_pool_userdata_setn(req, EXPR_PARSE_NOTE, NULL, cmd->temp_pool);
    req->expr = ap_expr_parse_cmd(cmd, req->text, 0, &err, expr_lookup);
    apr_pool_userdata_setn(NULL, EXPR_PARSE_NOTE, NULL, cmd->temp_pool);
    if (err != NULL) {
        return apr_psprintf(cmd->pool, "Require %s: cannot parse the "
                            "expression: %s", what, err);
    }
    *parsed = req;
    return NULL;
}

static const char *jwt_expr_parse(cmd_parms *cmd, const char *line,
                                  const void **parsed)
{
    return expr_parse(cmd, line, parsed, "jwt-expr");
}

/*
 * Require jwt-expr: evaluated only for a request this module
 * authenticated, so every jwt_claim() in it reads the verified token; a
 * false expression is a valid token without the privileges asked for
 * (RFC 6750 3.1), exactly like Require jwt-claim.
 */
static authz_status jwt_expr_check(request_rec *r, const char *line,
                                   const void *parsed)
{
    const expr_req_t *req = parsed;
    const jwt_t *jwt = authn_jwt_authenticated(r);
    const char *err = NULL;
    int rc;

    (void)line;
    if (jwt == NULL) {
        return not_ours(r, "jwt-expr");
    }
    rc = ap_expr_exec(r, req->expr, &err);
    if (rc < 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJLOGNO(00152)
                      "Require jwt-expr: cannot evaluate \"%s\": %s",
                      authn_jwt_log_item(r->pool, req->text),
                      authn_jwt_log_item(r->pool, err));
        return AUTHZ_GENERAL_ERROR;
    }
    if (rc == 0) {
        insufficient(r, ap_get_module_config(r->per_dir_config,
                                             &authn_jwt_module), NULL);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00153)
                      "Require jwt-expr: false for user \"%s\": jti=%s "
                      "unique_id=%s", authn_jwt_log_item(r->pool,
                                                         req_user(r)),
                      authn_jwt_log_item(r->pool, jwt->jti),
                      authn_jwt_log_item(r->pool, authn_jwt_unique_id(r)));
        return AUTHZ_DENIED;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJLOGNO(00154)
                  "Require jwt-expr: granted");
    return AUTHZ_GRANTED;
}

static const char *expr_parse_require(cmd_parms *cmd, const char *line,
                                      const void **parsed)
{
    return expr_parse(cmd, line, parsed, "expr");
}

/*
 * Require expr, as mod_authz_core defines it: an expression that names
 * %{REMOTE_USER} needs an authenticated user, so before authentication a
 * false result asks for one (AUTHZ_DENIED_NO_USER) and after it answers
 * 401.  jwt_claim() needs the user just as much, and mod_authz_core only
 * knows about %{REMOTE_USER}: without this provider a jwt_claim()
 * expression would be evaluated before the token is read, be false, and
 * answer 403 to every client.  Everything else is mod_authz_core's
 * behaviour.
 */
static authz_status expr_check(request_rec *r, const char *line,
                               const void *parsed)
{
    const expr_req_t *req = parsed;
    const char *err = NULL;
    int rc;

    (void)line;
    rc = ap_expr_exec(r, req->expr, &err);
    if (rc < 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJLOGNO(00160)
                      "Require expr: cannot evaluate \"%s\": %s",
                      authn_jwt_log_item(r->pool, req->text),
                      authn_jwt_log_item(r->pool, err));
        return AUTHZ_GENERAL_ERROR;
    }
    if (rc == 0) {
        return req->wants_user ? AUTHZ_DENIED_NO_USER : AUTHZ_DENIED;
    }
    return AUTHZ_GRANTED;
}

/* ---- AuthBasicProvider jwt ---- */

/*
 * A compact JWS or JWE: 2 or 4 dots, and a first segment that is base64url
 * of a JSON object.  Anything else is a password for the next provider:
 * "correct.horse.staple" has the dots of a JWS and is still no token.
 */
static int looks_like_token(apr_pool_t *p, const char *s, size_t len)
{
    int dots = len ? jose_count_dots(s, len) : 0;
    const char *dot = memchr(s, '.', len);
    unsigned char *hdr = NULL;
    size_t hlen = 0, i, j;

    if ((dots != 2 && dots != 4) || dot == NULL || dot == s
        || jose_b64url_decode(&hdr, &hlen, p, s, (size_t)(dot - s))
           != JWT_OK) {
        return 0;
    }
    for (i = 0; i < hlen && apr_isspace(hdr[i]); i++) {
        ;
    }
    for (j = hlen; j > i && apr_isspace(hdr[j - 1]); j--) {
        ;
    }
    return j - i >= 2 && hdr[i] == '{' && hdr[j - 1] == '}';
}

/*
 * For clients that speak only Basic (git, WebDAV, curl -u): the password is
 * the token, checked exactly as a Bearer token with this directory's
 * directives.  The user name must be empty or equal the user claim.  A
 * password that is not a well-formed token is not ours: AUTH_USER_NOT_FOUND
 * lets "AuthBasicProvider jwt file" ask the next provider.  A location
 * that cannot check tokens at all (no key) or a failure of the module is
 * the server's fault: AUTH_GENERAL_ERROR, a 500 from mod_auth_basic, never
 * a 401 that sends the client to retype a correct password.
 */
static authn_status basic_check_password(request_rec *r, const char *user,
                                         const char *password)
{
    const authn_jwt_dir_conf_t *conf =
        ap_get_module_config(r->per_dir_config, &authn_jwt_module);
    size_t len = password ? strlen(password) : 0;
    jwt_status_t st;

    if (!looks_like_token(r->pool, password ? password : "", len)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJLOGNO(00012)
                      "Basic password is not a token; next provider");
        return AUTH_USER_NOT_FOUND;
    }
    st = authn_jwt_check_token(r, conf, password, len, user, "basic");
    if (st == JWT_OK) {
        return AUTH_GRANTED;
    }
    if (st == JWT_ERR_INTERNAL
        || (st == JWT_ERR_NO_KEY && !authn_jwt_has_keys(r, conf))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJLOGNO(00155)
                      "Basic password for user \"%s\" could not be checked "
                      "as a token (reason=%s): answering 500",
                      authn_jwt_log_item(r->pool, user),
                      jwt_status_name(st));
        return AUTH_GENERAL_ERROR;
    }
    return AUTH_DENIED;
}

static const authn_provider authn_jwt_basic_provider = {
    basic_check_password,
    NULL        /* no realm hash: a token is not a Digest password */
};

static const authz_provider authz_jwt_scope_provider = {
    scope_check,
    scope_parse
};

static const authz_provider authz_jwt_claim_provider = {
    claim_check,
    claim_parse
};

static const authz_provider authz_jwt_expr_provider = {
    jwt_expr_check,
    jwt_expr_parse
};

static const authz_provider authz_expr_provider = {
    expr_check,
    expr_parse_require
};

/*
 * "Require expr" is registered again, after every module's register_hooks
 * (mod_authz_core's included, whatever the LoadModule order) and before
 * the configuration is read, so the Require lines find this one.
 */
static int authz_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    ap_register_auth_provider(pconf, AUTHZ_PROVIDER_GROUP, "expr",
                              AUTHZ_PROVIDER_VERSION, &authz_expr_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    return OK;
}

void authn_jwt_register_authz(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHN_PROVIDER_GROUP, "jwt",
                              AUTHN_PROVIDER_VERSION,
                              &authn_jwt_basic_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "jwt-scope",
                              AUTHZ_PROVIDER_VERSION,
                              &authz_jwt_scope_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "jwt-claim",
                              AUTHZ_PROVIDER_VERSION,
                              &authz_jwt_claim_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "jwt-expr",
                              AUTHZ_PROVIDER_VERSION,
                              &authz_jwt_expr_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_pre_config(authz_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_expr_lookup(authn_jwt_expr_lookup, NULL, NULL, APR_HOOK_MIDDLE);
    /* First, so later fixups (mod_env, mod_headers) see the cleaned
     * environment. */
    ap_hook_fixups(authn_jwt_fixups, NULL, NULL, APR_HOOK_REALLY_FIRST);
}
