/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * mod_authn_jwt_handlers.c: what the module serves, and its second way in.
 *
 *   SetHandler jwt-issuer             dispatched to
 *                                     mod_authn_jwt_issuer.c
 *   AuthType ApiKey                   "ID.SECRET" in a request header,
 *                                     SECRET checked by the authn
 *                                     providers as the password of ID
 *   SetHandler jwt-jwks               the public signing keys (RFC 7517
 *                                     section 5)
 *   SetHandler jwt-resource-metadata  RFC 9728 section 3 metadata
 *
 * It registers the hooks of all four and holds the JSON response helpers
 * the handlers share.  The two documents are public: they carry public
 * keys and configuration only, never a secret.
 */

#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_provider.h"
#include "mod_auth.h"

#include "apr_hash.h"
#include "apr_strings.h"

#include "jose_util.h"
#include "jwk.h"
#include "mod_authn_jwt.h"

APLOG_USE_MODULE(authn_jwt);

#define ISSUER_HANDLER      "jwt-issuer"
#define JWKS_HANDLER        "jwt-jwks"
#define METADATA_HANDLER    "jwt-resource-metadata"

/* RFC 9728 section 3: the well-known path inserted before the path of
 * the resource identifier. */
#define WELL_KNOWN_PRM      "/.well-known/oauth-protected-resource"
#define JWKS_TYPE           "application/jwk-set+json"
#define JWKS_CACHE          "public, max-age=300"

/* ---- shared helpers ---- */

static const authn_jwt_dir_conf_t *dir_conf(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &authn_jwt_module);
}

static const char *log_item(request_rec *r, const char *s)
{
    return authn_jwt_log_item(r->pool, s);
}

int authn_jwt_send_json(request_rec *r, int status, const char *type,
                        const json_t *doc)
{
    size_t len = 0;
    char *body = doc ? jose_json_dump(r->pool, doc, &len) : NULL;

    if (body == NULL) {
        /* jansson could not allocate: nothing sensible can be sent */
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    r->status = status;
    ap_set_content_type(r, type);
    ap_set_content_length(r, (apr_off_t)len);
    if (!r->header_only) {
        ap_rwrite(body, (int)len, r);
    }
    return OK;
}

/* RFC 6749 section 3.2 / RFC 7009 section 2.1: the media type of a form
 * body, parameters after ';' allowed. */
int authn_jwt_is_form(const char *ct)
{
    size_t n = sizeof(AUTHN_JWT_FORM_TYPE) - 1;

    if (ct == NULL || ap_cstr_casecmpn(ct, AUTHN_JWT_FORM_TYPE, n) != 0) {
        return 0;
    }
    for (ct += n; *ct == ' ' || *ct == '\t'; ct++) {
        ;
    }
    return *ct == '\0' || *ct == ';';
}

int authn_jwt_read_body(request_rec *r, apr_size_t max, char **out,
                        apr_size_t *outlen)
{
    apr_size_t n = 0;
    char *buf;
    int rc;

    *out = NULL;
    *outlen = 0;
    if ((rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK)) != OK) {
        return rc;
    }
    if (!ap_should_client_block(r)) {
        return OK;
    }
    buf = apr_palloc(r->pool, max + 2);
    for (;;) {
        long got = ap_get_client_block(r, buf + n, max + 1 - n);

        if (got < 0) {
            return HTTP_BAD_REQUEST;
        }
        if (got == 0) {
            break;
        }
        n += (apr_size_t)got;
        if (n > max) {
            /* the connection is closed with the 413, so the rest of the
             * body is never read */
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return OK;
}

int authn_jwt_only_method(request_rec *r, int method, const char *name)
{
    if (r->method_number == method) {
        return OK;
    }
    /* RFC 9110 section 15.5.6: a 405 lists what is allowed */
    ap_allow_methods(r, REPLACE_ALLOW, name, NULL);
    return HTTP_METHOD_NOT_ALLOWED;
}

/* ================================================================== */
/* AuthType ApiKey                                                     */
/* ================================================================== */

static int is_apikey(const char *type)
{
    return type != NULL && strcasecmp(type, AUTHN_JWT_APIKEY_SCHEME) == 0;
}

/* Visible ASCII only: a key with spaces, commas of merged headers or
 * control characters is not one key. */
static int is_key_text(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f
            || *s == ',') {
            return 0;
        }
    }
    return 1;
}

static int apikey_refuse(request_rec *r)
{
    ap_note_auth_failure(r);
    return HTTP_UNAUTHORIZED;
}

/*
 * The check_authn hook of AuthType ApiKey, in mod_auth_basic's shape: the
 * header holds ID.SECRET (split at the first dot), each provider is asked
 * in turn with the provider name note set (mod_authn_socache), and the
 * first answer other than "user not found" decides.  Extra columns of
 * mod_authn_dbd reach AUTHENTICATE_* as they do for Basic.  The secret is
 * never logged.
 */
static int apikey_check_authn(request_rec *r)
{
    const authn_jwt_dir_conf_t *conf;
    const authn_provider *prov = NULL;
    const char *value, *dot, *id, *secret, *name = NULL;
    authn_status res = AUTH_USER_NOT_FOUND;
    int i, n;

    if (!is_apikey(ap_auth_type(r))) {
        return DECLINED;
    }
    conf = dir_conf(r);
    value = apr_table_get(r->headers_in, conf->apikey_header);
    /* A subrequest or redirect with rules of its own: the key was removed
     * from the request it came from, and is checked again. */
    if ((value == NULL || *value == '\0') && (r->main || r->prev)) {
        value = authn_jwt_consumed_apikey(r);
    }
    if (value == NULL || *value == '\0') {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00026)
                      "no API key: header %s absent or empty: unique_id=%s",
                      conf->apikey_header,
                      log_item(r, authn_jwt_unique_id(r)));
        return apikey_refuse(r);
    }
    dot = strchr(value, '.');
    if (dot == NULL || dot == value || dot[1] == '\0'
        || !is_key_text(value)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00027)
                      "API key rejected: reason=malformed (not ID.SECRET) "
                      "header=%s unique_id=%s", conf->apikey_header,
                      log_item(r, authn_jwt_unique_id(r)));
        return apikey_refuse(r);
    }
    id = apr_pstrmemdup(r->pool, value, (apr_size_t)(dot - value));
    secret = dot + 1;

    /* As mod_auth_basic: the providers and the logs see the claimed
     * user. */
    r->user = (char *)id;
    n = conf->apikey_providers ? conf->apikey_providers->nelts : 1;
    for (i = 0; i < n; i++) {
        if (conf->apikey_providers != NULL) {
            const authn_jwt_provider_t *e =
                &APR_ARRAY_IDX(conf->apikey_providers, i,
                               authn_jwt_provider_t);

            name = e->name;
            prov = e->provider;
        }
        else {
            name = AUTHN_DEFAULT_PROVIDER;
            prov = ap_lookup_provider(AUTHN_PROVIDER_GROUP, name,
                                      AUTHN_PROVIDER_VERSION);
            if (prov == NULL || prov->check_password == NULL) {
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJLOGNO(00030)
                              "AuthType ApiKey: the default authn provider "
                              "'%s' is not available: load mod_authn_file "
                              "or set AuthJWTApiKeyProvider", name);
                return HTTP_INTERNAL_SERVER_ERROR;
            }
        }
        apr_table_setn(r->notes, AUTHN_PROVIDER_NAME_NOTE, name);
        res = prov->check_password(r, id, secret);
        apr_table_unset(r->notes, AUTHN_PROVIDER_NAME_NOTE);
        if (res != AUTH_USER_NOT_FOUND) {
            break;
        }
    }

    if (res == AUTH_GRANTED) {
        r->ap_auth_type = (char *)AUTHN_JWT_APIKEY_SCHEME;
        authn_jwt_consume_apikey(r, conf->apikey_header, value);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00025)
                      "API key accepted: id=\"%s\" provider=%s unique_id=%s",
                      log_item(r, id), name,
                      log_item(r, authn_jwt_unique_id(r)));
        return OK;
    }
    if (res == AUTH_GENERAL_ERROR) {
        /* As mod_auth_basic: the back end failed, not the client. */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJLOGNO(00029)
                      "API key for id \"%s\" could not be checked: provider "
                      "%s failed: unique_id=%s", log_item(r, id), name,
                      log_item(r, authn_jwt_unique_id(r)));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00028)
                  "API key rejected: reason=%s id=\"%s\" provider=%s "
                  "unique_id=%s",
                  res == AUTH_USER_NOT_FOUND ? "unknown_id" : "wrong_secret",
                  log_item(r, id), name,
                  log_item(r, authn_jwt_unique_id(r)));
    return apikey_refuse(r);
}

/* No standard defines an ApiKey challenge: it names the scheme and the
 * realm, so a client knows which key to send. */
static int apikey_note_auth_failure(request_rec *r, const char *type)
{
    const char *realm, *hdr = AUTHN_JWT_APIKEY_SCHEME;

    if (!is_apikey(type)) {
        return DECLINED;
    }
    realm = ap_auth_name(r);
    if (realm != NULL) {
        hdr = apr_pstrcat(r->pool, hdr, " realm=",
                          authn_jwt_quoted(r->pool, realm), NULL);
    }
    apr_table_setn(r->err_headers_out, "WWW-Authenticate", hdr);
    return OK;
}

/* ================================================================== */
/* jwt-jwks                                                            */
/* ================================================================== */

/* The public JWK of KEY into KEYS, once per kid; secrets never. */
static void add_public_key(request_rec *r, json_t *keys, apr_hash_t *seen,
                           const jwk_t *key)
{
    const char *kid;
    json_t *jwk;

    if (key == NULL || key->kty == JOSE_KTY_OCT) {
        return;
    }
    /* a new object per request: jansson reference counts are not
     * atomic, so nothing is shared between threads */
    jwk = jwk_public_json(key);
    if (jwk == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJLOGNO(00031)
                      "jwt-jwks: the public key of %s could not be "
                      "exported; left out", log_item(r, key->source));
        return;
    }
    kid = jose_json_str(jwk, "kid", NULL);
    if (kid != NULL && apr_hash_get(seen, kid, APR_HASH_KEY_STRING)) {
        json_decref(jwk);
        return;
    }
    if (kid != NULL) {
        apr_hash_set(seen, apr_pstrdup(r->pool, kid), APR_HASH_KEY_STRING,
                     "");
    }
    json_array_append_new(keys, jwk);
}

static int jwks_handler(request_rec *r)
{
    const authn_jwt_dir_conf_t *conf = dir_conf(r);
    apr_hash_t *seen = apr_hash_make(r->pool);
    json_t *doc, *keys;
    int i, rc;

    if ((rc = authn_jwt_only_method(r, M_GET, "GET")) != OK) {
        return rc;
    }
    doc = jose_json_pool_own(r->pool, json_object());
    keys = json_array();
    if (doc == NULL || keys == NULL
        || json_object_set_new(doc, "keys", keys) != 0) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (conf->sign_key != NULL) {
        add_public_key(r, keys, seen, conf->sign_key->key);
    }
    for (i = 0; conf->verify_keys != NULL && conf->verify_keys->keys != NULL
                && i < conf->verify_keys->keys->nelts; i++) {
        add_public_key(r, keys, seen,
                       APR_ARRAY_IDX(conf->verify_keys->keys, i,
                                     const jwk_t *));
    }
    apr_table_setn(r->headers_out, "Cache-Control", JWKS_CACHE);
    return authn_jwt_send_json(r, HTTP_OK, JWKS_TYPE, doc);
}

/* ================================================================== */
/* jwt-resource-metadata (RFC 9728)                                    */
/* ================================================================== */

/* RFC 9728 section 3.1: the metadata URL is the resource URL with the
 * well-known path inserted before its path; undo that.  NULL when URL
 * has no such path. */
static const char *resource_from_prm(apr_pool_t *p, const char *url)
{
    const char *host = strstr(url, "://"), *path, *rest;
    size_t wk = sizeof(WELL_KNOWN_PRM) - 1;

    if (host == NULL) {
        return NULL;
    }
    path = strchr(host + 3, '/');
    if (path == NULL || strncmp(path, WELL_KNOWN_PRM, wk) != 0
        || (path[wk] != '\0' && path[wk] != '/' && path[wk] != '?')) {
        return NULL;
    }
    rest = path + wk;
    if (*rest == '?') {
        rest = "";
    }
    return apr_pstrcat(p, apr_pstrmemdup(p, url, (apr_size_t)(path - url)),
                       rest, NULL);
}

static const char *resource_id(request_rec *r,
                               const authn_jwt_dir_conf_t *conf)
{
    const char *res = NULL, *origin;
    size_t n;

    if (conf->resource != NULL) {
        return conf->resource;
    }
    if (conf->resource_metadata != NULL) {
        res = resource_from_prm(r->pool, conf->resource_metadata);
    }
    if (res == NULL) {
        res = resource_from_prm(r->pool,
                                ap_construct_url(r->pool, r->uri, r));
    }
    if (res == NULL) {
        /* served somewhere else: the server itself is the resource */
        origin = ap_construct_url(r->pool, "/", r);
        n = strlen(origin);
        res = n > 0 && origin[n - 1] == '/'
              ? apr_pstrmemdup(r->pool, origin, n - 1) : origin;
    }
    return res;
}

static int metadata_handler(request_rec *r)
{
    const authn_jwt_dir_conf_t *conf = dir_conf(r);
    json_t *doc, *a;
    int i, rc, header = 0, query = 0;

    if ((rc = authn_jwt_only_method(r, M_GET, "GET")) != OK) {
        return rc;
    }
    doc = jose_json_pool_own(r->pool, json_object());
    if (doc == NULL) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    json_object_set_new(doc, "resource",
                        json_string(resource_id(r, conf)));

    if (conf->rules.issuers != NULL && conf->rules.issuers->nelts > 0) {
        a = json_array();
        for (i = 0; i < conf->rules.issuers->nelts; i++) {
            json_array_append_new(a, json_string(
                APR_ARRAY_IDX(conf->rules.issuers, i, const char *)));
        }
        json_object_set_new(doc, "authorization_servers", a);
    }

    /* Only the literal scopes: an expression's value depends on who
     * asks. */
    a = json_array();
    for (i = 0; conf->scopes != NULL && i < conf->scopes->nelts; i++) {
        const authn_jwt_expr_t *e = &APR_ARRAY_IDX(conf->scopes, i,
                                                   authn_jwt_expr_t);

        if (e->expr == NULL) {
            json_array_append_new(a, json_string(e->text));
        }
    }
    if (json_array_size(a) > 0) {
        json_object_set_new(doc, "scopes_supported", a);
    }
    else {
        json_decref(a);
    }

    /* RFC 9728 section 2: "header" (RFC 6750 2.1), "query" (2.3); a
     * cookie is none of the registered methods. */
    for (i = 0; i < conf->token_from->nelts; i++) {
        const authn_jwt_source_t *src =
            &APR_ARRAY_IDX(conf->token_from, i, authn_jwt_source_t);

        header |= src->kind == AUTHN_JWT_FROM_HEADER;
        query |= src->kind == AUTHN_JWT_FROM_QUERY;
    }
    a = json_array();
    if (header) {
        json_array_append_new(a, json_string("header"));
    }
    if (query) {
        json_array_append_new(a, json_string("query"));
    }
    json_object_set_new(doc, "bearer_methods_supported", a);
    return authn_jwt_send_json(r, HTTP_OK, AUTHN_JWT_JSON_TYPE, doc);
}

/* ---- hooks ---- */

static int authn_jwt_handler(request_rec *r)
{
    if (r->handler == NULL) {
        return DECLINED;
    }
    if (strcmp(r->handler, ISSUER_HANDLER) == 0) {
        return authn_jwt_issuer_handler(r);
    }
    if (strcmp(r->handler, JWKS_HANDLER) == 0) {
        return jwks_handler(r);
    }
    if (strcmp(r->handler, METADATA_HANDLER) == 0) {
        return metadata_handler(r);
    }
    return DECLINED;
}

void authn_jwt_register_handlers(apr_pool_t *p)
{
    (void)p;
    ap_hook_handler(authn_jwt_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_authn(apikey_check_authn, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(apikey_note_auth_failure, NULL, NULL,
                              APR_HOOK_MIDDLE);
}
