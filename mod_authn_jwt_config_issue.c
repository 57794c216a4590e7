/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * mod_authn_jwt_config_issue.c: the directives of the issuer (SetHandler
 * jwt-issuer: AuthJWTSignKey, AuthJWTEncryptKey, AuthJWTLifetime,
 * AuthJWTScope, AuthJWTClaim; manual "Issuing tokens", RFC 7515, RFC 7516,
 * RFC 7519
 * section 5.2), of AuthType ApiKey (AuthJWTApiKeyHeader,
 * AuthJWTApiKeyProvider) and of the RFC 9728 metadata document
 * (AuthJWTResource).  They sit in the one table of
 * mod_authn_jwt_config.c; what they do at request time is in
 * mod_authn_jwt_issuer.c and mod_authn_jwt_handlers.c.
 *
 * Keys are loaded at start-up and must hold exactly one key; the
 * algorithm comes from the key and the configuration, never "none", and
 * RSA1_5 is never used to encrypt (doc/attacks.md C4, H).  AuthJWTScope and
 * AuthJWTClaim expressions are parsed here, once; a claim named like a
 * secret or like a registered claim is a start-up error (manual "Issuing
 * tokens").
 */

#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_main.h"

#include "apr_strings.h"

#include "ap_expr.h"
#include "ap_provider.h"
#include "mod_auth.h"

#include "jose_alg.h"
#include "jwk.h"
#include "jwt.h"
#include "jwt_issue.h"
#include "mod_authn_jwt.h"

APLOG_USE_MODULE(authn_jwt);

#define MAX_CLAIM_NAME          128

/* ---- issuing: keys (manual "Issuing tokens"; RFC 7515, RFC 7516) ---- */

typedef struct {
    const char *alg, *enc, *kid;    /* options; NULL when absent         */
    const char *source;
} key_args_t;

/* [alg=A] [enc=E] [kid=K] SOURCE, each option at most once (enc= only for
 * USE JOSE_USE_ENC), and the options to load SOURCE for USE with: signing
 * needs the private key, the recipient's public key suffices to encrypt. */
static const char *key_words(cmd_parms *cmd, const char *args,
                             jose_use_t use, key_args_t *ka,
                             jwk_load_opts_t *opts)
{
    apr_array_header_t *words = apr_array_make(cmd->temp_pool, 4,
                                               sizeof(const char *));
    int with_enc = use == JOSE_USE_ENC;
    const char *w, *err;
    int i;

    memset(ka, 0, sizeof(*ka));
    while (*(w = ap_getword_conf(cmd->pool, &args)) != '\0') {
        APR_ARRAY_PUSH(words, const char *) = w;
    }
    if (words->nelts == 0) {
        return apr_psprintf(cmd->pool, "%s needs a key SOURCE: a PEM file, "
                            "a JWK file, or secret:PATH", cmd->cmd->name);
    }
    for (i = 0; i < words->nelts - 1; i++) {
        w = APR_ARRAY_IDX(words, i, const char *);
        if (strncmp(w, "alg=", 4) == 0 && ka->alg == NULL && w[4]) {
            ka->alg = w + 4;
        }
        else if (with_enc && strncmp(w, "enc=", 4) == 0 && ka->enc == NULL
                 && w[4]) {
            ka->enc = w + 4;
        }
        else if (strncmp(w, "kid=", 4) == 0 && ka->kid == NULL) {
            ka->kid = w + 4;
            if ((err = authn_jwt_check_kid(cmd, ka->kid)) != NULL) {
                return err;
            }
        }
        else {
            return apr_psprintf(cmd->pool, "%s: unknown, empty or repeated "
                                "option '%s'; the options are %s, each at "
                                "most once, followed by the key SOURCE",
                                cmd->cmd->name,
                                ap_escape_logitem(cmd->temp_pool, w),
                                with_enc ? "alg=A, enc=E and kid=K"
                                         : "alg=A and kid=K");
        }
    }
    ka->source = APR_ARRAY_IDX(words, words->nelts - 1, const char *);
    if (strncmp(ka->source, "alg=", 4) == 0
        || strncmp(ka->source, "enc=", 4) == 0
        || strncmp(ka->source, "kid=", 4) == 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' is an option; the last "
                            "argument must be the key SOURCE",
                            cmd->cmd->name, ka->source);
    }
    if (ap_cstr_casecmpn(ka->source, "https://", 8) == 0
        || ap_cstr_casecmpn(ka->source, "http://", 7) == 0) {
        return apr_psprintf(cmd->pool, "%s: %s is a URL; name a local key "
                            "file", cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, ka->source));
    }
    memset(opts, 0, sizeof(*opts));
    opts->use = use;
    opts->want_private = use == JOSE_USE_SIG;
    opts->kid = ka->kid;
    opts->base_dir = ap_server_root;
    return NULL;
}

/* Load SOURCE with OPTS; it must hold exactly one key (a signing key is
 * chosen by configuration, never by a token), usable with *ALG (NULL: the
 * key's default algorithm, which is then set). */
static const char *load_one_key(cmd_parms *cmd, const key_args_t *ka,
                                const jwk_load_opts_t *opts,
                                const jwk_t **key,
                                const jose_alg_info_t **alg)
{
    jwk_set_t *set = jwk_set_make(cmd->pool);
    const char *err = NULL;

    if (jwk_load(set, cmd->pool, ka->source, opts, &err) != 0) {
        return apr_psprintf(cmd->pool, "%s %s: %s", cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, ka->source),
                            err ? err : "the key could not be loaded");
    }
    if (set->keys->nelts != 1) {
        return apr_psprintf(cmd->pool, "%s %s: the file holds %d keys; "
                            "name a file with exactly one key (a PEM file "
                            "or a single JWK)", cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, ka->source),
                            set->keys->nelts);
    }
    *key = APR_ARRAY_IDX(set->keys, 0, const jwk_t *);
    if (*alg == NULL) {
        *alg = opts->use == JOSE_USE_SIG
               ? jose_alg_get(jwk_default_sign_alg(*key))
               : jwt_issue_default_enc_alg(*key);
    }
    if (*alg == NULL || !JOSE_ALG_IN((*key)->algs, (*alg)->id)) {
        return apr_psprintf(cmd->pool, "%s %s: this key cannot %s %s; name "
                            "the algorithm with alg=", cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, ka->source),
                            opts->use == JOSE_USE_SIG ? "sign with"
                                                      : "be used with",
                            *alg ? (*alg)->name : "its default algorithm");
    }
    return NULL;
}

static authn_jwt_issue_key_t *issue_key(apr_pool_t *p, const jwk_t *key,
                                        const jose_alg_info_t *alg,
                                        const jose_enc_info_t *enc,
                                        const char *kid)
{
    authn_jwt_issue_key_t *ik = apr_pcalloc(p, sizeof(*ik));

    ik->key = key;
    ik->alg = alg;
    ik->enc = enc;
    ik->kid = kid;
    return ik;
}

/* AuthJWTSignKey [alg=A] [kid=K] SOURCE: the private key (or secret) that
 * signs issued tokens.  doc/attacks.md H: the algorithm comes from the key
 * and the configuration, never "none". */
const char *authn_jwt_set_sign_key(cmd_parms *cmd, void *dconf,
                                   const char *args)
{
    authn_jwt_dir_conf_t *conf = dconf;
    const jose_alg_info_t *alg = NULL;
    jwk_load_opts_t opts;
    const jwk_t *key;
    key_args_t ka;
    const char *err;

    if (conf->sign_key != NULL) {
        return apr_psprintf(cmd->pool, "%s: this section already has a "
                            "signing key (%s); tokens are signed with "
                            "exactly one key", cmd->cmd->name,
                            conf->sign_key->key->source);
    }
    if ((err = key_words(cmd, args, JOSE_USE_SIG, &ka, &opts)) != NULL) {
        return err;
    }
    if (ka.alg != NULL) {
        alg = jose_alg_lookup(ka.alg, strlen(ka.alg));
        if (alg == NULL || alg->use != JOSE_USE_SIG) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a JWS signature "
                                "algorithm (names are case-sensitive, e.g. "
                                "RS256, PS256, ES256, EdDSA, HS256; 'none' "
                                "is never used)", cmd->cmd->name,
                                ap_escape_logitem(cmd->temp_pool, ka.alg));
        }
        opts.algs = JOSE_ALG_BIT(alg->id);
    }
    if ((err = load_one_key(cmd, &ka, &opts, &key, &alg)) != NULL) {
        return err;
    }
    /* manual: the default kid is the key's own, else its RFC 7638
     * thumbprint; the JWKS publishes the same value. */
    conf->sign_key = issue_key(cmd->pool, key, alg, NULL,
                               key->kid != NULL ? key->kid
                                                : key->thumbprint);
    conf->sign_key_set = 1;
    return NULL;
}

/* AuthJWTEncryptKey [alg=A] [enc=E] [kid=K] SOURCE: issued tokens become
 * nested JWE (RFC 7519 section 5.2, cty "JWT") for this recipient key. */
const char *authn_jwt_set_encrypt_key(cmd_parms *cmd, void *dconf,
                                      const char *args)
{
    authn_jwt_dir_conf_t *conf = dconf;
    const jose_alg_info_t *alg = NULL;
    const jose_enc_info_t *enc;
    jwk_load_opts_t opts;
    const jwk_t *key;
    key_args_t ka;
    const char *err;

    if (conf->encrypt_key != NULL) {
        return apr_psprintf(cmd->pool, "%s: this section already has an "
                            "encryption key (%s); tokens are encrypted to "
                            "exactly one recipient", cmd->cmd->name,
                            conf->encrypt_key->key->source);
    }
    if ((err = key_words(cmd, args, JOSE_USE_ENC, &ka, &opts)) != NULL) {
        return err;
    }
    if (ka.alg != NULL) {
        alg = jose_alg_lookup(ka.alg, strlen(ka.alg));
        if (alg == NULL || alg->use != JOSE_USE_ENC) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a JWE key "
                                "management algorithm (e.g. RSA-OAEP-256, "
                                "ECDH-ES+A256KW, A256KW, dir)",
                                cmd->cmd->name,
                                ap_escape_logitem(cmd->temp_pool, ka.alg));
        }
        /* doc/attacks.md C4 and H: never mint RSA1_5. */
        if (alg->id == JOSE_ALG_RSA1_5) {
            return apr_psprintf(cmd->pool, "%s: RSA1_5 is never used to "
                                "encrypt (Bleichenbacher); use RSA-OAEP-256",
                                cmd->cmd->name);
        }
        opts.algs = JOSE_ALG_BIT(alg->id);
    }
    enc = jose_enc_get(JOSE_ENC_A256GCM);
    if (ka.enc != NULL) {
        enc = jose_enc_lookup(ka.enc, strlen(ka.enc));
        if (enc == NULL) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a JWE content "
                                "encryption (A128GCM, A192GCM, A256GCM, "
                                "A128CBC-HS256, A192CBC-HS384, "
                                "A256CBC-HS512)", cmd->cmd->name,
                                ap_escape_logitem(cmd->temp_pool, ka.enc));
        }
    }
    if ((err = load_one_key(cmd, &ka, &opts, &key, &alg)) != NULL) {
        return err;
    }
    /* RFC 7518 section 4.5: with dir the secret is the content key. */
    if (alg->id == JOSE_ALG_DIR && key->secret_len != enc->cek_len) {
        return apr_psprintf(cmd->pool, "%s %s: alg=dir uses the secret as "
                            "the content key; enc=%s needs exactly %"
                            APR_SIZE_T_FMT " bytes, the secret has %"
                            APR_SIZE_T_FMT, cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, ka.source),
                            enc->name, enc->cek_len, key->secret_len);
    }
    conf->encrypt_key = issue_key(cmd->pool, key, alg, enc, key->kid);
    conf->encrypt_key_set = 1;
    return NULL;
}

/* ---- issuing: claims and scopes ---- */

const char *authn_jwt_set_lifetime(cmd_parms *cmd, void *dconf,
                                   const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;
    apr_int64_t v;
    const char *err = authn_jwt_parse_seconds(cmd, arg, 1,
                                              AUTHN_JWT_MAX_TTL, &v);

    if (err) {
        return err;
    }
    conf->lifetime = v;
    conf->lifetime_set = 1;
    return NULL;
}

/* How long after the original login (auth_time) refresh still works:
 * without a bound one leaked token renews itself forever. */
const char *authn_jwt_set_refresh_max_age(cmd_parms *cmd, void *dconf,
                                          const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;
    apr_int64_t v;
    const char *err = authn_jwt_parse_seconds(cmd, arg, 1,
                                              AUTHN_JWT_MAX_TTL, &v);

    if (err) {
        return apr_pstrcat(cmd->pool, err, ": give the seconds after the "
                           "original login during which a token may be "
                           "refreshed, e.g. 86400 for a day", NULL);
    }
    conf->refresh_max_age = v;
    conf->refresh_max_age_set = 1;
    return NULL;
}

/* Text that ap_expr would read as itself: no variables, no escapes. */
static int is_literal(const char *s)
{
    return strchr(s, '%') == NULL && strchr(s, '\\') == NULL;
}

static const char *parse_expr(cmd_parms *cmd, const char *what,
                              const char *text, ap_expr_info_t **expr)
{
    const char *err = NULL;

    *expr = ap_expr_parse_cmd(cmd, text, AP_EXPR_FLAG_STRING_RESULT, &err,
                              NULL);
    if (err != NULL || *expr == NULL) {
        return apr_psprintf(cmd->pool, "%s: cannot parse the %s '%s' as an "
                            "ap_expr string: %s", cmd->cmd->name, what,
                            ap_escape_logitem(cmd->temp_pool, text),
                            err ? err : "unknown error");
    }
    return NULL;
}

static void push_expr(apr_array_header_t *list, const char *name,
                      const char *text, ap_expr_info_t *expr)
{
    authn_jwt_expr_t *e = &APR_ARRAY_PUSH(list, authn_jwt_expr_t);

    e->name = name;
    e->text = text;
    e->expr = expr;
}

/* AuthJWTScope EXPR [EXPR..]: literal arguments are split into scopes and
 * checked now (RFC 6749 section 3.3 scope-token); expressions are parsed
 * now and evaluated per request. */
const char *authn_jwt_set_scope(cmd_parms *cmd, void *dconf, int argc,
                                char *const argv[])
{
    authn_jwt_dir_conf_t *conf = dconf;
    int i;

    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s needs at least one scope or "
                            "expression", cmd->cmd->name);
    }
    if (conf->scopes == NULL) {
        conf->scopes = apr_array_make(cmd->pool, argc,
                                      sizeof(authn_jwt_expr_t));
    }
    for (i = 0; i < argc; i++) {
        const char *arg = apr_pstrdup(cmd->pool, argv[i]);
        apr_array_header_t *words;
        ap_expr_info_t *expr;
        const char *err;
        int j;

        if (!is_literal(arg)) {
            if ((err = parse_expr(cmd, "expression", arg, &expr)) != NULL) {
                return err;
            }
            push_expr(conf->scopes, NULL, arg, expr);
            continue;
        }
        words = jwt_scope_split(cmd->pool, arg);
        if (words->nelts == 0) {
            return apr_psprintf(cmd->pool, "%s: an empty argument grants "
                                "nothing; remove it", cmd->cmd->name);
        }
        for (j = 0; j < words->nelts; j++) {
            const char *w = APR_ARRAY_IDX(words, j, const char *);

            if (!jwt_is_scope_token(w)) {
                return apr_psprintf(cmd->pool, "%s: '%s' is not a scope "
                                    "(printable ASCII without spaces, "
                                    "quotes or backslashes, RFC 6749 3.3)",
                                    cmd->cmd->name,
                                    ap_escape_logitem(cmd->temp_pool, w));
            }
            push_expr(conf->scopes, NULL, w, NULL);
        }
    }
    conf->scopes_set = 1;
    return NULL;
}

/* Claims the issuer sets itself (jwt_issue ignores them in extra), and
 * "scp", which verifiers read for scopes when "scope" is absent: an extra
 * claim could otherwise grant what AuthJWTScope does not. */
static const char *const issuer_claims[] = {
    "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "scp",
    "auth_time", NULL
};

/* AuthJWTClaim NAME EXPR. */
const char *authn_jwt_set_claim(cmd_parms *cmd, void *dconf,
                                const char *name, const char *value)
{
    authn_jwt_dir_conf_t *conf = dconf;
    ap_expr_info_t *expr = NULL;
    const char *err;
    int i;

    if ((err = authn_jwt_check_name(cmd, "claim name", name)) != NULL) {
        return err;
    }
    if (strlen(name) > MAX_CLAIM_NAME) {
        return apr_psprintf(cmd->pool, "%s: the claim name is longer than "
                            "%d bytes", cmd->cmd->name, MAX_CLAIM_NAME);
    }
    for (i = 0; issuer_claims[i] != NULL; i++) {
        if (strcmp(name, issuer_claims[i]) == 0) {
            return apr_psprintf(cmd->pool, "%s %s: '%s' is set by the "
                                "issuer itself (iss from AuthJWTIssuer, sub "
                                "from the authenticated user, aud from "
                                "AuthJWTAudience, iat/exp from "
                                "AuthJWTLifetime, jti per request, scope "
                                "from AuthJWTScope, auth_time from the login) "
                                "and cannot be set with "
                                "%s", cmd->cmd->name, name, name,
                                cmd->cmd->name);
        }
    }
    /* manual "Issuing tokens": a JWT is only base64url-encoded; anyone
     * holding the
     * token reads every claim, so a secret must never become one. */
    if (jwt_claim_name_sensitive(name)) {
        return apr_psprintf(cmd->pool, "%s %s: the claim name '%s' looks "
                            "like it carries a secret (password, PIN, card "
                            "number, API key, private key...); every holder "
                            "of a token can read its claims, so such a "
                            "claim is refused. If it holds no secret, give "
                            "it a name that does not look like one",
                            cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, name),
                            ap_escape_logitem(cmd->temp_pool, name));
    }
    if (conf->claims == NULL) {
        conf->claims = apr_array_make(cmd->pool, 4,
                                      sizeof(authn_jwt_expr_t));
    }
    for (i = 0; i < conf->claims->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(conf->claims, i, authn_jwt_expr_t).name,
                   name) == 0) {
            return apr_psprintf(cmd->pool, "%s %s: this claim is already "
                                "set in this section", cmd->cmd->name,
                                ap_escape_logitem(cmd->temp_pool, name));
        }
    }
    if (*value == '\0') {
        return apr_psprintf(cmd->pool, "%s %s: an empty value would always "
                            "omit the claim; remove the line",
                            cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, name));
    }
    if (!is_literal(value)
        && (err = parse_expr(cmd, "value", value, &expr)) != NULL) {
        return err;
    }
    push_expr(conf->claims, apr_pstrdup(cmd->pool, name),
              apr_pstrdup(cmd->pool, value), expr);
    conf->claims_set = 1;
    return NULL;
}

/* ---- API keys ---- */

const char *authn_jwt_set_apikey_header(cmd_parms *cmd, void *dconf,
                                        const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;
    const char *c;

    if (*arg == '\0' || strlen(arg) > 128) {
        return apr_psprintf(cmd->pool, "%s: the header name must have 1 to "
                            "128 characters", cmd->cmd->name);
    }
    for (c = arg; *c; c++) {
        if (!authn_jwt_is_tchar((unsigned char)*c)) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a header name "
                                "(RFC 9110 token)", cmd->cmd->name,
                                ap_escape_logitem(cmd->temp_pool, arg));
        }
    }
    /* Those carry other schemes' credentials (and the Bearer token). */
    if (strcasecmp(arg, "Authorization") == 0
        || strcasecmp(arg, "Proxy-Authorization") == 0
        || strcasecmp(arg, "Cookie") == 0) {
        return apr_psprintf(cmd->pool, "%s: %s carries other credentials; "
                            "name a header of its own such as X-API-Key",
                            cmd->cmd->name, arg);
    }
    conf->apikey_header = arg;
    conf->apikey_header_set = 1;
    return NULL;
}

/* Like AuthBasicProvider: each provider is found now, so a typo or a
 * module that is not loaded stops start-up. */
const char *authn_jwt_set_apikey_provider(cmd_parms *cmd, void *dconf,
                                          const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;
    const authn_provider *prov;
    authn_jwt_provider_t *entry;

    prov = ap_lookup_provider(AUTHN_PROVIDER_GROUP, arg,
                              AUTHN_PROVIDER_VERSION);
    if (prov == NULL) {
        return apr_psprintf(cmd->pool, "%s: unknown authn provider '%s': "
                            "load the module that provides it before this "
                            "line (mod_authn_file for file, mod_authn_dbm "
                            "for dbm, mod_authn_dbd for dbd, "
                            "mod_authn_socache for socache, mod_authnz_ldap "
                            "for ldap) or define the <AuthnProviderAlias> "
                            "first", cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, arg));
    }
    if (prov->check_password == NULL) {
        return apr_psprintf(cmd->pool, "%s: the authn provider '%s' cannot "
                            "check passwords", cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, arg));
    }
    if (conf->apikey_providers == NULL) {
        conf->apikey_providers = apr_array_make(cmd->pool, 2,
                                                sizeof(authn_jwt_provider_t));
    }
    entry = &APR_ARRAY_PUSH(conf->apikey_providers, authn_jwt_provider_t);
    entry->name = apr_pstrdup(cmd->pool, arg);
    entry->provider = prov;
    conf->apikey_providers_set = 1;
    return NULL;
}

/* ---- RFC 9728 ---- */

const char *authn_jwt_set_resource(cmd_parms *cmd, void *dconf,
                                   const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;

    /* RFC 9728 section 1.2: the resource identifier is an https URL
     * without a fragment. */
    if (ap_cstr_casecmpn(arg, "https://", 8) != 0 || arg[8] == '\0'
        || !authn_jwt_is_plain_quotable(arg) || strchr(arg, '#') != NULL) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an https:// URL "
                            "without a fragment, spaces, quotes or "
                            "backslashes", cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, arg));
    }
    conf->resource = arg;
    conf->resource_set = 1;
    return NULL;
}
