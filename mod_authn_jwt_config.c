/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * mod_authn_jwt_config.c: the per-directory configuration of the validator:
 * the record's defaults, the merge, and the directive table with its
 * handlers (SPEC "Validating").
 *
 * Every handler validates its arguments completely and returns the error
 * string, which httpd prefixes with the file and line and which stops
 * start-up.  Keys are loaded here, at parse time, into the configuration
 * pool: a bad key file, a weak HMAC secret (RFC 7518 section 3.2) or a
 * duplicate kid is a start-up error, never a per-request surprise, and a
 * graceful restart reloads them.  In .htaccess (AllowOverride AuthConfig)
 * httpd reads the file for every request, so a key named there is loaded
 * for every request into the request pool: it works, and the docs say to
 * prefer the server configuration.
 *
 * The directives of the issuer (SetHandler jwt-issuer), of AuthType ApiKey
 * and of the RFC 9728 metadata document are here too; what they do at
 * request time is in mod_authn_jwt_handlers.c.  AuthJWTScope and
 * AuthJWTClaim expressions are parsed here, once; a claim named like a
 * secret or like a registered claim is a start-up error (SPEC "Issuing").
 */

#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_main.h"

#include "apr_strings.h"
#include "apr_lib.h"

#include "ap_expr.h"
#include "ap_provider.h"
#include "mod_auth.h"

#include "jose_alg.h"
#include "jwk.h"
#include "jws.h"
#include "jwt.h"
#include "jwt_issue.h"
#include "mod_authn_jwt.h"

APLOG_USE_MODULE(authn_jwt);

/* SPEC defaults. */
#define DEFAULT_LEEWAY          30
#define DEFAULT_MAX_SIZE        8192
#define DEFAULT_USER_CLAIM      "sub"
#define DEFAULT_REQUIRED_CLAIM  "exp"

/* Bounds of the numeric directives. */
#define MAX_LEEWAY              86400           /* one day              */
#define MAX_TTL                 315360000       /* ten years            */
#define MIN_TOKEN_SIZE          64
#define MAX_TOKEN_SIZE          1048576         /* 1 MiB                */
#define MAX_TOKEN_SOURCES       8
#define MAX_CLAIM_NAME          128

/* ---- small validators ---- */

/* No control characters: such a value could never match a token claim and
 * would reach logs and headers (SECURITY.md E3). */
static int has_ctl(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f) {
            return 1;
        }
    }
    return 0;
}

/* RFC 9110 section 5.6.2 token characters: cookie names. */
static int is_tchar(int c)
{
    return apr_isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

/* A value that may appear inside a quoted-string of a challenge without
 * escaping: printable ASCII, no '"' or '\' (RFC 9728 URL). */
static int is_plain_quotable(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            return 0;
        }
    }
    return 1;
}

/* Whole-string decimal, no sign, no spaces, no trailing junk, in range. */
static const char *parse_seconds(cmd_parms *cmd, const char *arg,
                                 apr_int64_t min, apr_int64_t max,
                                 apr_int64_t *out)
{
    const char *c;
    apr_int64_t v = 0;

    if (*arg == '\0') {
        goto bad;
    }
    for (c = arg; *c; c++) {
        if (!apr_isdigit(*c)) {
            goto bad;
        }
        v = v * 10 + (*c - '0');
        if (v > max) {
            goto bad;
        }
    }
    if (v < min) {
        goto bad;
    }
    *out = v;
    return NULL;
bad:
    return apr_psprintf(cmd->pool, "%s: '%s' is not a whole number "
                        "between %" APR_INT64_T_FMT " and %"
                        APR_INT64_T_FMT, cmd->cmd->name, arg, min, max);
}

/* A claim or header value named in the configuration. */
static const char *check_name(cmd_parms *cmd, const char *what,
                              const char *arg)
{
    if (*arg == '\0') {
        return apr_psprintf(cmd->pool, "%s: an empty %s is not allowed",
                            cmd->cmd->name, what);
    }
    if (has_ctl(arg)) {
        return apr_psprintf(cmd->pool, "%s: the %s must not contain "
                            "control characters", cmd->cmd->name, what);
    }
    return NULL;
}

/* ---- create / merge ---- */

static apr_array_header_t *one_string(apr_pool_t *p, const char *s)
{
    apr_array_header_t *a = apr_array_make(p, 1, sizeof(const char *));

    APR_ARRAY_PUSH(a, const char *) = s;
    return a;
}

void *authn_jwt_create_dir_conf(apr_pool_t *p, char *dir)
{
    authn_jwt_dir_conf_t *conf = apr_pcalloc(p, sizeof(*conf));
    authn_jwt_source_t *src;

    (void)dir;
    jwt_rules_init(&conf->rules);
    /* Spelled out even where jwt_rules_init agrees: these are the SPEC's
     * defaults and the glue must not depend on the core's choice. */
    conf->rules.verify_keys = NULL;
    conf->rules.decrypt_keys = NULL;        /* JWE refused (C1)          */
    conf->rules.require_encryption = 0;
    conf->rules.allow_unsigned_jwe = 0;     /* no directive: never (C1)  */
    conf->rules.issuers = NULL;
    conf->rules.audiences = NULL;
    conf->rules.required = one_string(p, DEFAULT_REQUIRED_CLAIM); /* E1 */
    conf->rules.types = NULL;
    conf->rules.leeway = DEFAULT_LEEWAY;
    conf->rules.max_ttl = 0;
    conf->rules.max_size = DEFAULT_MAX_SIZE;                      /* F4 */
    conf->rules.user_claim = DEFAULT_USER_CLAIM;

    conf->token_from = apr_array_make(p, 1, sizeof(authn_jwt_source_t));
    src = &APR_ARRAY_PUSH(conf->token_from, authn_jwt_source_t);
    src->kind = AUTHN_JWT_FROM_HEADER;
    src->name = NULL;

    conf->sign_key = NULL;
    conf->encrypt_key = NULL;
    conf->lifetime = AUTHN_JWT_DEFAULT_LIFETIME;
    conf->scopes = NULL;                    /* grants nothing            */
    conf->claims = NULL;
    conf->apikey_header = AUTHN_JWT_APIKEY_HEADER;
    conf->apikey_providers = NULL;          /* "file"                    */
    conf->resource = NULL;
    return conf;
}

/* One line per field: the child's value when it set one. */
#define MERGE_FIELD(f) \
    new->f = add->f##_set ? add->f : base->f; \
    new->f##_set = add->f##_set | base->f##_set
#define MERGE_RULE(f) \
    new->rules.f = add->f##_set ? add->rules.f : base->rules.f; \
    new->f##_set = add->f##_set | base->f##_set

void *authn_jwt_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    authn_jwt_dir_conf_t *new = apr_pcalloc(p, sizeof(*new));
    const authn_jwt_dir_conf_t *base = basev;
    const authn_jwt_dir_conf_t *add = addv;

    /* Not a field-by-field copy of a struct: unset rules members take the
     * parent's values below, set ones the child's. */
    jwt_rules_init(&new->rules);

    MERGE_FIELD(verify_keys);
    MERGE_FIELD(decrypt_keys);
    MERGE_RULE(require_encryption);
    MERGE_RULE(issuers);
    MERGE_RULE(audiences);
    MERGE_RULE(leeway);
    MERGE_RULE(max_ttl);
    MERGE_RULE(required);
    MERGE_RULE(types);
    MERGE_FIELD(token_from);
    MERGE_RULE(user_claim);
    MERGE_FIELD(scope_claim);
    MERGE_RULE(max_size);
    MERGE_FIELD(resource_metadata);
    MERGE_FIELD(sign_key);
    MERGE_FIELD(encrypt_key);
    MERGE_FIELD(lifetime);
    MERGE_FIELD(scopes);
    MERGE_FIELD(claims);
    MERGE_FIELD(apikey_header);
    MERGE_FIELD(apikey_providers);
    MERGE_FIELD(resource);

    /* Derived, never set by a directive of their own. */
    new->rules.verify_keys = new->verify_keys;
    new->rules.decrypt_keys = new->decrypt_keys;
    new->rules.allow_unsigned_jwe = 0;
    return new;
}

/* ---- key directives ---- */

/* RFC 8725 section 3.1: the configuration, not the token, binds keys to
 * algorithms.  alg= narrows what the loader derives from the key; it may
 * name RSA1_5 and PBES2-*, which are otherwise off (SECURITY.md C4, C6). */
static const char *parse_alg_list(cmd_parms *cmd, const char *list,
                                  jose_use_t use, jose_alg_set_t *out)
{
    const char *c = list;
    jose_alg_set_t set = 0;

    if (*list == '\0') {
        return apr_psprintf(cmd->pool, "%s: alg= needs at least one "
                            "algorithm name", cmd->cmd->name);
    }
    while (*c) {
        const char *end = strchr(c, ',');
        size_t n = end ? (size_t)(end - c) : strlen(c);
        const jose_alg_info_t *a = jose_alg_lookup(c, n);
        const char *name = apr_pstrmemdup(cmd->temp_pool, c, n);

        if (n == 0) {
            return apr_psprintf(cmd->pool, "%s: empty algorithm name in "
                                "alg=%s", cmd->cmd->name, list);
        }
        if (a == NULL) {
            return apr_psprintf(cmd->pool, "%s: unknown algorithm '%s' "
                                "(names are case-sensitive, e.g. %s; "
                                "'none' is never accepted)",
                                cmd->cmd->name, name,
                                use == JOSE_USE_SIG ? "RS256, ES256, HS256, "
                                "EdDSA" : "RSA-OAEP-256, ECDH-ES+A256KW, "
                                "A256KW, dir");
        }
        if (a->use != use) {
            return apr_psprintf(cmd->pool, "%s: '%s' is %s algorithm; "
                                "%s takes %s algorithms here",
                                cmd->cmd->name, name,
                                a->use == JOSE_USE_SIG ? "a signature"
                                : "a key-management",
                                cmd->cmd->name,
                                use == JOSE_USE_SIG ? "JWS signature"
                                : "JWE key-management");
        }
        set |= JOSE_ALG_BIT(a->id);
        c = end ? end + 1 : c + n;
        if (end && *c == '\0') {
            return apr_psprintf(cmd->pool, "%s: empty algorithm name in "
                                "alg=%s", cmd->cmd->name, list);
        }
    }
    *out = set;
    return NULL;
}

/*
 * AuthJWTVerifyKey / AuthJWTDecryptKey [alg=A[,A..]] [kid=K] [iss=ISS]
 * SOURCE.  Every word but the last is an option; the last is the source.
 */
static const char *set_key(cmd_parms *cmd, authn_jwt_dir_conf_t *conf,
                           const char *args, jose_use_t use)
{
    const char *accepted = use == JOSE_USE_SIG
        ? "alg=A[,A..], kid=K and iss=ISS" : "alg=A[,A..] and kid=K";
    apr_array_header_t *words = apr_array_make(cmd->temp_pool, 4,
                                               sizeof(const char *));
    jwk_load_opts_t opts;
    jwk_set_t **setp;
    const char *source, *err = NULL, *w;
    int i, have_alg = 0;

    while (*(w = ap_getword_conf(cmd->temp_pool, &args)) != '\0') {
        APR_ARRAY_PUSH(words, const char *) = w;
    }
    if (words->nelts == 0) {
        return apr_psprintf(cmd->pool, "%s needs a key SOURCE: a PEM file, "
                            "a JWK or JWKS file, or secret:PATH",
                            cmd->cmd->name);
    }

    memset(&opts, 0, sizeof(opts));
    opts.use = use;
    /* Decryption needs the private half; verification uses the public half
     * of whatever the file holds. */
    opts.want_private = use == JOSE_USE_ENC;
    opts.base_dir = ap_server_root;

    for (i = 0; i < words->nelts - 1; i++) {
        w = APR_ARRAY_IDX(words, i, const char *);
        if (strncmp(w, "alg=", 4) == 0 && !have_alg) {
            const char *e = parse_alg_list(cmd, w + 4, use, &opts.algs);

            if (e) {
                return e;
            }
            have_alg = 1;
        }
        else if (strncmp(w, "kid=", 4) == 0 && opts.kid == NULL) {
            opts.kid = apr_pstrdup(cmd->pool, w + 4);
            if ((err = check_name(cmd, "kid", opts.kid)) != NULL) {
                return err;
            }
            if (strlen(opts.kid) > JWS_MAX_KID_LEN) {
                return apr_psprintf(cmd->pool, "%s: kid= is longer than %d "
                                    "bytes", cmd->cmd->name,
                                    JWS_MAX_KID_LEN);
            }
        }
        else if (use == JOSE_USE_SIG && strncmp(w, "iss=", 4) == 0
                 && opts.iss == NULL) {
            opts.iss = apr_pstrdup(cmd->pool, w + 4);
            if ((err = check_name(cmd, "iss", opts.iss)) != NULL) {
                return err;
            }
        }
        else {
            return apr_psprintf(cmd->pool, "%s: unknown or repeated option "
                                "'%s'; the options are %s, each at most "
                                "once, followed by the key SOURCE",
                                cmd->cmd->name, w, accepted);
        }
    }

    source = APR_ARRAY_IDX(words, words->nelts - 1, const char *);
    if (strncmp(source, "alg=", 4) == 0 || strncmp(source, "kid=", 4) == 0
        || strncmp(source, "iss=", 4) == 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' is an option; the last "
                            "argument must be the key SOURCE",
                            cmd->cmd->name, source);
    }
    if (ap_cstr_casecmpn(source, "https://", 8) == 0
        || ap_cstr_casecmpn(source, "http://", 7) == 0) {
        return apr_psprintf(cmd->pool, "%s: remote JWKS (%s) is not "
                            "supported yet: download the JWKS to a file and "
                            "name that file", cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, source));
    }

    setp = use == JOSE_USE_SIG ? &conf->verify_keys : &conf->decrypt_keys;
    if (*setp == NULL) {
        *setp = jwk_set_make(cmd->pool);
    }
    if (jwk_load(*setp, cmd->pool, source, &opts, &err) != 0) {
        return apr_psprintf(cmd->pool, "%s %s: %s", cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, source),
                            err ? err : "the key could not be loaded");
    }
    /* SECURITY.md A5/G: a kid must name one key, across every line. */
    if (jwk_set_check(*setp, &err) != 0) {
        return apr_psprintf(cmd->pool, "%s %s: %s", cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, source),
                            err ? err : "duplicate kid in the key set");
    }

    if (use == JOSE_USE_SIG) {
        conf->rules.verify_keys = conf->verify_keys;
        conf->verify_keys_set = 1;
    }
    else {
        conf->rules.decrypt_keys = conf->decrypt_keys;
        conf->decrypt_keys_set = 1;
    }
    return NULL;
}

static const char *set_verify_key(cmd_parms *cmd, void *dconf,
                                  const char *args)
{
    return set_key(cmd, dconf, args, JOSE_USE_SIG);
}

static const char *set_decrypt_key(cmd_parms *cmd, void *dconf,
                                   const char *args)
{
    return set_key(cmd, dconf, args, JOSE_USE_ENC);
}

/* ---- claim directives ---- */

static const char *set_require_encryption(cmd_parms *cmd, void *dconf,
                                          int flag)
{
    authn_jwt_dir_conf_t *conf = dconf;

    (void)cmd;
    conf->rules.require_encryption = flag;
    conf->require_encryption_set = 1;
    return NULL;
}

/* Append ARGV to *LIST (repeated lines add up), each checked. */
static const char *append_names(cmd_parms *cmd, apr_array_header_t **list,
                                const char *what, int argc,
                                char *const argv[])
{
    int i;

    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s needs at least one %s",
                            cmd->cmd->name, what);
    }
    if (*list == NULL) {
        *list = apr_array_make(cmd->pool, argc, sizeof(const char *));
    }
    for (i = 0; i < argc; i++) {
        const char *err = check_name(cmd, what, argv[i]);

        if (err) {
            return err;
        }
        APR_ARRAY_PUSH(*list, const char *) = apr_pstrdup(cmd->pool,
                                                          argv[i]);
    }
    return NULL;
}

static const char *set_issuer(cmd_parms *cmd, void *dconf, int argc,
                              char *const argv[])
{
    authn_jwt_dir_conf_t *conf = dconf;

    conf->issuers_set = 1;
    return append_names(cmd, &conf->rules.issuers, "issuer", argc, argv);
}

static const char *set_audience(cmd_parms *cmd, void *dconf, int argc,
                                char *const argv[])
{
    authn_jwt_dir_conf_t *conf = dconf;

    conf->audiences_set = 1;
    return append_names(cmd, &conf->rules.audiences, "audience", argc,
                        argv);
}

static const char *set_type(cmd_parms *cmd, void *dconf, int argc,
                            char *const argv[])
{
    authn_jwt_dir_conf_t *conf = dconf;

    conf->types_set = 1;
    return append_names(cmd, &conf->rules.types, "token type", argc, argv);
}

/* The list replaces the default (exp); "none" alone empties it, the only
 * way to accept tokens without exp (SPEC; SECURITY.md E1 says keep it). */
static const char *set_require_claim(cmd_parms *cmd, void *dconf, int argc,
                                     char *const argv[])
{
    authn_jwt_dir_conf_t *conf = dconf;

    if (!conf->required_set) {
        conf->rules.required = NULL;
        conf->required_set = 1;
    }
    if (argc == 1 && strcmp(argv[0], "none") == 0) {
        conf->rules.required = apr_array_make(cmd->pool, 1,
                                              sizeof(const char *));
        return NULL;
    }
    return append_names(cmd, &conf->rules.required, "claim name", argc,
                        argv);
}

static const char *set_leeway(cmd_parms *cmd, void *dconf, const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;
    apr_int64_t v;
    const char *err = parse_seconds(cmd, arg, 0, MAX_LEEWAY, &v);

    if (err) {
        return err;
    }
    conf->rules.leeway = v;
    conf->leeway_set = 1;
    return NULL;
}

static const char *set_max_ttl(cmd_parms *cmd, void *dconf, const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;
    apr_int64_t v = 0;
    const char *err = NULL;

    if (strcasecmp(arg, "off") != 0) {
        err = parse_seconds(cmd, arg, 0, MAX_TTL, &v);
    }
    if (err) {
        return apr_pstrcat(cmd->pool, err, " (or Off)", NULL);
    }
    conf->rules.max_ttl = v;
    conf->max_ttl_set = 1;
    return NULL;
}

static const char *set_max_size(cmd_parms *cmd, void *dconf, const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;
    apr_int64_t v;
    const char *err = parse_seconds(cmd, arg, MIN_TOKEN_SIZE, MAX_TOKEN_SIZE,
                                    &v);

    if (err) {
        return err;
    }
    conf->rules.max_size = (size_t)v;
    conf->max_size_set = 1;
    return NULL;
}

static const char *set_user_claim(cmd_parms *cmd, void *dconf,
                                  const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;
    const char *err = check_name(cmd, "claim name", arg);

    if (err) {
        return err;
    }
    conf->rules.user_claim = arg;
    conf->user_claim_set = 1;
    return NULL;
}

static const char *set_scope_claim(cmd_parms *cmd, void *dconf,
                                   const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;
    const char *err = check_name(cmd, "claim name", arg);

    if (err) {
        return err;
    }
    conf->scope_claim = arg;
    conf->scope_claim_set = 1;
    return NULL;
}

static const char *set_resource_metadata(cmd_parms *cmd, void *dconf,
                                         const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;

    /* RFC 9728 section 3: the metadata URL is an https URL; it goes into
     * a quoted challenge parameter unescaped, so it must be plain. */
    if (ap_cstr_casecmpn(arg, "https://", 8) != 0 || arg[8] == '\0'
        || !is_plain_quotable(arg)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an https:// URL "
                            "without spaces, quotes or backslashes",
                            cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, arg));
    }
    conf->resource_metadata = arg;
    conf->resource_metadata_set = 1;
    return NULL;
}

/* header | cookie=NAME | query=NAME, in order of preference. */
static const char *set_token_from(cmd_parms *cmd, void *dconf, int argc,
                                  char *const argv[])
{
    authn_jwt_dir_conf_t *conf = dconf;
    int i, j;

    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s needs at least one of header, "
                            "cookie=NAME, query=NAME", cmd->cmd->name);
    }
    if (!conf->token_from_set) {
        conf->token_from = apr_array_make(cmd->pool, argc,
                                          sizeof(authn_jwt_source_t));
        conf->token_from_set = 1;
    }
    for (i = 0; i < argc; i++) {
        const char *w = argv[i], *name = NULL, *c;
        authn_jwt_source_t *src;
        authn_jwt_from_t kind;

        if (strcasecmp(w, "header") == 0) {
            kind = AUTHN_JWT_FROM_HEADER;
        }
        else if (ap_cstr_casecmpn(w, "cookie=", 7) == 0) {
            kind = AUTHN_JWT_FROM_COOKIE;
            name = w + 7;
        }
        else if (ap_cstr_casecmpn(w, "query=", 6) == 0) {
            kind = AUTHN_JWT_FROM_QUERY;
            name = w + 6;
        }
        else {
            return apr_psprintf(cmd->pool, "%s: unknown token source '%s'; "
                                "use header, cookie=NAME or query=NAME",
                                cmd->cmd->name,
                                ap_escape_logitem(cmd->temp_pool, w));
        }
        if (name != NULL) {
            if (*name == '\0' || strlen(name) > 128) {
                return apr_psprintf(cmd->pool, "%s: '%s' needs a NAME of 1 "
                                    "to 128 characters", cmd->cmd->name, w);
            }
            /* Cookie names are RFC 9110 tokens (RFC 6265 4.1.1); query
             * names are compared undecoded, so only token chars too. */
            for (c = name; *c; c++) {
                if (!is_tchar((unsigned char)*c) || *c == '%' || *c == '&'
                    || *c == '+') {
                    return apr_psprintf(cmd->pool, "%s: invalid character "
                                        "in the name of '%s'",
                                        cmd->cmd->name,
                                        ap_escape_logitem(cmd->temp_pool,
                                                          w));
                }
            }
        }
        for (j = 0; j < conf->token_from->nelts; j++) {
            const authn_jwt_source_t *o = &APR_ARRAY_IDX(conf->token_from,
                                                         j,
                                                         authn_jwt_source_t);

            if (o->kind == kind && (name == NULL
                                    || strcmp(o->name, name) == 0)) {
                return apr_psprintf(cmd->pool, "%s: '%s' is named twice",
                                    cmd->cmd->name, w);
            }
        }
        if (conf->token_from->nelts >= MAX_TOKEN_SOURCES) {
            return apr_psprintf(cmd->pool, "%s: at most %d token sources",
                                cmd->cmd->name, MAX_TOKEN_SOURCES);
        }
        src = &APR_ARRAY_PUSH(conf->token_from, authn_jwt_source_t);
        src->kind = kind;
        src->name = name ? apr_pstrdup(cmd->pool, name) : NULL;
    }
    return NULL;
}

/* ---- issuing: keys (SPEC "Issuing"; RFC 7515, RFC 7516) ---- */

typedef struct {
    const char *alg, *enc, *kid;    /* options; NULL when absent         */
    const char *source;
} key_args_t;

/* [alg=A] [enc=E] [kid=K] SOURCE, each option at most once. */
static const char *key_words(cmd_parms *cmd, const char *args, int with_enc,
                             key_args_t *ka)
{
    apr_array_header_t *words = apr_array_make(cmd->temp_pool, 4,
                                               sizeof(const char *));
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
            if ((err = check_name(cmd, "kid", ka->kid)) != NULL) {
                return err;
            }
            if (strlen(ka->kid) > JWS_MAX_KID_LEN) {
                return apr_psprintf(cmd->pool, "%s: kid= is longer than %d "
                                    "bytes", cmd->cmd->name,
                                    JWS_MAX_KID_LEN);
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
    return NULL;
}

/* Load SOURCE with OPTS; it must hold exactly one key (a signing key is
 * chosen by configuration, never by a token). */
static const char *load_one_key(cmd_parms *cmd, const key_args_t *ka,
                                const jwk_load_opts_t *opts,
                                const jwk_t **key)
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
    return NULL;
}

/* AuthJWTSignKey [alg=A] [kid=K] SOURCE: the private key (or secret) that
 * signs issued tokens.  SECURITY.md H: the algorithm comes from the key
 * and the configuration, never "none". */
static const char *set_sign_key(cmd_parms *cmd, void *dconf,
                                const char *args)
{
    authn_jwt_dir_conf_t *conf = dconf;
    const jose_alg_info_t *alg = NULL;
    authn_jwt_issue_key_t *ik;
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
    if ((err = key_words(cmd, args, 0, &ka)) != NULL) {
        return err;
    }
    memset(&opts, 0, sizeof(opts));
    opts.use = JOSE_USE_SIG;
    opts.want_private = 1;
    opts.kid = ka.kid;
    opts.base_dir = ap_server_root;
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
    if ((err = load_one_key(cmd, &ka, &opts, &key)) != NULL) {
        return err;
    }
    if (alg == NULL) {
        alg = jose_alg_get(jwk_default_sign_alg(key));
    }
    if (alg == NULL || !JOSE_ALG_IN(key->algs, alg->id)) {
        return apr_psprintf(cmd->pool, "%s %s: this key cannot sign with %s; "
                            "name the algorithm with alg=", cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, ka.source),
                            alg ? alg->name : "its default algorithm");
    }
    ik = apr_pcalloc(cmd->pool, sizeof(*ik));
    ik->key = key;
    ik->alg = alg;
    ik->enc = NULL;
    /* SPEC: the default kid is the key's own, else its RFC 7638
     * thumbprint; the JWKS publishes the same value. */
    ik->kid = key->kid != NULL ? key->kid : key->thumbprint;
    conf->sign_key = ik;
    conf->sign_key_set = 1;
    return NULL;
}

/* AuthJWTEncryptKey [alg=A] [enc=E] [kid=K] SOURCE: issued tokens become
 * nested JWE (RFC 7519 section 5.2, cty "JWT") for this recipient key. */
static const char *set_encrypt_key(cmd_parms *cmd, void *dconf,
                                   const char *args)
{
    authn_jwt_dir_conf_t *conf = dconf;
    const jose_alg_info_t *alg = NULL;
    const jose_enc_info_t *enc;
    authn_jwt_issue_key_t *ik;
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
    if ((err = key_words(cmd, args, 1, &ka)) != NULL) {
        return err;
    }
    memset(&opts, 0, sizeof(opts));
    opts.use = JOSE_USE_ENC;
    opts.want_private = 0;      /* the recipient's public key suffices */
    opts.kid = ka.kid;
    opts.base_dir = ap_server_root;
    if (ka.alg != NULL) {
        alg = jose_alg_lookup(ka.alg, strlen(ka.alg));
        if (alg == NULL || alg->use != JOSE_USE_ENC) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a JWE key "
                                "management algorithm (e.g. RSA-OAEP-256, "
                                "ECDH-ES+A256KW, A256KW, dir)",
                                cmd->cmd->name,
                                ap_escape_logitem(cmd->temp_pool, ka.alg));
        }
        /* SECURITY.md C4 and H: never mint RSA1_5. */
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
    if ((err = load_one_key(cmd, &ka, &opts, &key)) != NULL) {
        return err;
    }
    if (alg == NULL) {
        alg = jwt_issue_default_enc_alg(key);
    }
    if (alg == NULL || !JOSE_ALG_IN(key->algs, alg->id)) {
        return apr_psprintf(cmd->pool, "%s %s: this key cannot be used "
                            "with %s; name the algorithm with alg=",
                            cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, ka.source),
                            alg ? alg->name : "its default algorithm");
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
    ik = apr_pcalloc(cmd->pool, sizeof(*ik));
    ik->key = key;
    ik->alg = alg;
    ik->enc = enc;
    ik->kid = key->kid;
    conf->encrypt_key = ik;
    conf->encrypt_key_set = 1;
    return NULL;
}

/* ---- issuing: claims and scopes ---- */

static const char *set_lifetime(cmd_parms *cmd, void *dconf,
                                const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;
    apr_int64_t v;
    const char *err = parse_seconds(cmd, arg, 1, MAX_TTL, &v);

    if (err) {
        return err;
    }
    conf->lifetime = v;
    conf->lifetime_set = 1;
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
static const char *set_scope(cmd_parms *cmd, void *dconf, int argc,
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
        const char *arg = apr_pstrdup(cmd->pool, argv[i]), *c = arg;
        ap_expr_info_t *expr;
        const char *err;
        int words = 0;

        if (!is_literal(arg)) {
            if ((err = parse_expr(cmd, "expression", arg, &expr)) != NULL) {
                return err;
            }
            push_expr(conf->scopes, NULL, arg, expr);
            continue;
        }
        while (*c) {
            size_t n;

            while (*c == ' ') {
                c++;
            }
            n = strcspn(c, " ");
            if (n == 0) {
                break;
            }
            if (!authn_jwt_is_scope_token(c, n)) {
                return apr_psprintf(cmd->pool, "%s: '%s' is not a scope "
                                    "(printable ASCII without spaces, "
                                    "quotes or backslashes, RFC 6749 3.3)",
                                    cmd->cmd->name,
                                    ap_escape_logitem(cmd->temp_pool,
                                        apr_pstrmemdup(cmd->temp_pool, c,
                                                       n)));
            }
            push_expr(conf->scopes, NULL, apr_pstrmemdup(cmd->pool, c, n),
                      NULL);
            words++;
            c += n;
        }
        if (words == 0) {
            return apr_psprintf(cmd->pool, "%s: an empty argument grants "
                                "nothing; remove it", cmd->cmd->name);
        }
    }
    conf->scopes_set = 1;
    return NULL;
}

/* Claims the issuer sets itself (jwt_issue ignores them in extra), and
 * "scp", which verifiers read for scopes when "scope" is absent: an extra
 * claim could otherwise grant what AuthJWTScope does not. */
static const char *const issuer_claims[] = {
    "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "scp", NULL
};

/* AuthJWTClaim NAME EXPR. */
static const char *set_claim(cmd_parms *cmd, void *dconf, const char *name,
                             const char *value)
{
    authn_jwt_dir_conf_t *conf = dconf;
    ap_expr_info_t *expr = NULL;
    const char *err;
    int i;

    if ((err = check_name(cmd, "claim name", name)) != NULL) {
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
                                "from AuthJWTScope) and cannot be set with "
                                "%s", cmd->cmd->name, name, name,
                                cmd->cmd->name);
        }
    }
    /* SPEC "Issuing": a JWT is only base64url-encoded; anyone holding the
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

static const char *set_apikey_header(cmd_parms *cmd, void *dconf,
                                     const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;
    const char *c;

    if (*arg == '\0' || strlen(arg) > 128) {
        return apr_psprintf(cmd->pool, "%s: the header name must have 1 to "
                            "128 characters", cmd->cmd->name);
    }
    for (c = arg; *c; c++) {
        if (!is_tchar((unsigned char)*c)) {
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
static const char *set_apikey_provider(cmd_parms *cmd, void *dconf,
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

static const char *set_resource(cmd_parms *cmd, void *dconf,
                                const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;

    /* RFC 9728 section 1.2: the resource identifier is an https URL
     * without a fragment. */
    if (ap_cstr_casecmpn(arg, "https://", 8) != 0 || arg[8] == '\0'
        || !is_plain_quotable(arg) || strchr(arg, '#') != NULL) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an https:// URL "
                            "without a fragment, spaces, quotes or "
                            "backslashes", cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, arg));
    }
    conf->resource = arg;
    conf->resource_set = 1;
    return NULL;
}

/* ---- the table ---- */

const command_rec authn_jwt_cmds[] = {
    AP_INIT_RAW_ARGS("AuthJWTVerifyKey", set_verify_key, NULL,
        OR_AUTHCFG,
        "[alg=A[,A..]] [kid=K] [iss=ISS] SOURCE: a key that may verify "
        "token signatures; SOURCE is a PEM file (public key, certificate "
        "or private key), a JWK or JWKS file, or secret:PATH (HMAC, at "
        "least as long as the hash); relative paths are under ServerRoot. "
        "Repeatable. Loaded when the configuration is read: at start-up, "
        "or for every request in .htaccess (slower)"),
    AP_INIT_RAW_ARGS("AuthJWTDecryptKey", set_decrypt_key, NULL,
        OR_AUTHCFG,
        "[alg=A[,A..]] [kid=K] SOURCE: a private RSA/EC key or secret:PATH "
        "that may decrypt JWE tokens (RSA1_5 and PBES2 only when named in "
        "alg=). Repeatable. Loaded when the configuration is read: at "
        "start-up, or for every request in .htaccess (slower)"),
    AP_INIT_FLAG("AuthJWTRequireEncryption", set_require_encryption, NULL,
        OR_AUTHCFG,
        "On: accept only encrypted (nested JWS-in-JWE) tokens; default Off"),
    AP_INIT_TAKE_ARGV("AuthJWTIssuer", set_issuer, NULL, OR_AUTHCFG,
        "ISS [ISS..]: accepted iss values (exact); default any"),
    AP_INIT_TAKE_ARGV("AuthJWTAudience", set_audience, NULL, OR_AUTHCFG,
        "AUD [AUD..]: aud must name one of these; default not checked"),
    AP_INIT_TAKE1("AuthJWTLeeway", set_leeway, NULL, OR_AUTHCFG,
        "SECONDS of clock skew allowed on exp, nbf and iat; default 30"),
    AP_INIT_TAKE1("AuthJWTMaxTTL", set_max_ttl, NULL, OR_AUTHCFG,
        "SECONDS: reject tokens valid longer than this from now (and with "
        "exp - iat longer); Off (default) disables"),
    AP_INIT_TAKE_ARGV("AuthJWTRequireClaim", set_require_claim, NULL,
        OR_AUTHCFG,
        "NAME [NAME..]: claims that must be present, replacing the default "
        "(exp); 'none' alone requires nothing"),
    AP_INIT_TAKE_ARGV("AuthJWTType", set_type, NULL, OR_AUTHCFG,
        "TYP [TYP..]: accepted typ header values, e.g. at+jwt; default any"),
    AP_INIT_TAKE_ARGV("AuthJWTTokenFrom", set_token_from, NULL, OR_AUTHCFG,
        "header | cookie=NAME | query=NAME ...: where the token is read, in "
        "order; default header (Authorization: Bearer)"),
    AP_INIT_TAKE1("AuthJWTUserClaim", set_user_claim, NULL, OR_AUTHCFG,
        "NAME: the claim that becomes REMOTE_USER; default sub"),
    AP_INIT_TAKE1("AuthJWTScopeClaim", set_scope_claim, NULL, OR_AUTHCFG,
        "NAME: the claim holding scopes (space-separated string or array); "
        "default scope, then scp"),
    AP_INIT_TAKE1("AuthJWTMaxTokenSize", set_max_size, NULL, OR_AUTHCFG,
        "BYTES: longer tokens are refused before any parsing; default 8192"),
    AP_INIT_TAKE1("AuthJWTResourceMetadata", set_resource_metadata, NULL,
        OR_AUTHCFG,
        "URL of the RFC 9728 protected resource metadata, added to every "
        "Bearer challenge as resource_metadata"),
    /* Issuing (SetHandler jwt-issuer).  Server and section context only:
     * from .htaccess they would let a directory owner mint tokens with
     * the server's key and any scope. */
    AP_INIT_RAW_ARGS("AuthJWTSignKey", set_sign_key, NULL,
        RSRC_CONF | ACCESS_CONF,
        "[alg=A] [kid=K] SOURCE: the private key (PEM or JWK file) or "
        "secret:PATH that signs tokens issued here; exactly one key; "
        "default alg from the key (RS256, ES256/384/512, EdDSA, "
        "HS256/384/512), default kid the key's own, else its RFC 7638 "
        "thumbprint. Loaded at start-up, so not allowed in .htaccess"),
    AP_INIT_RAW_ARGS("AuthJWTEncryptKey", set_encrypt_key, NULL,
        RSRC_CONF | ACCESS_CONF,
        "[alg=A] [enc=E] [kid=K] SOURCE: also encrypt issued tokens (nested "
        "JWE, cty JWT) to this public key or secret:PATH; default alg "
        "RSA-OAEP-256, ECDH-ES+A256KW or A*KW by key, enc A256GCM"),
    AP_INIT_TAKE1("AuthJWTLifetime", set_lifetime, NULL,
        RSRC_CONF | ACCESS_CONF,
        "SECONDS: exp - iat of issued tokens; default 900"),
    AP_INIT_TAKE_ARGV("AuthJWTScope", set_scope, NULL,
        RSRC_CONF | ACCESS_CONF,
        "EXPR [EXPR..]: the scopes this jwt-issuer may grant; each argument "
        "an ap_expr string (literal text is one, e.g. \"read write\", or "
        "\"%{env:AUTHENTICATE_SCOPES}\"), its result split on spaces; "
        "default none"),
    AP_INIT_TAKE2("AuthJWTClaim", set_claim, NULL,
        RSRC_CONF | ACCESS_CONF,
        "NAME EXPR: an extra claim of issued tokens, its value an ap_expr "
        "string, e.g. \"%{env:AUTHENTICATE_ROLE}\"; an empty result omits "
        "it; names that look like secrets and registered claims are "
        "refused"),
    /* AuthType ApiKey */
    AP_INIT_TAKE1("AuthJWTApiKeyHeader", set_apikey_header, NULL,
        OR_AUTHCFG,
        "NAME: the request header holding the API key ID.SECRET for "
        "AuthType ApiKey; default X-API-Key"),
    AP_INIT_ITERATE("AuthJWTApiKeyProvider", set_apikey_provider, NULL,
        OR_AUTHCFG,
        "PROVIDER [..]: authn providers (file, dbm, dbd, socache, ldap, an "
        "AuthnProviderAlias) that check an API key's SECRET as the password "
        "of user ID, tried in order; default file"),
    /* RFC 9728 (SetHandler jwt-resource-metadata) */
    AP_INIT_TAKE1("AuthJWTResource", set_resource, NULL, OR_AUTHCFG,
        "URL: the protected resource identifier served by SetHandler "
        "jwt-resource-metadata (RFC 9728); default derived from "
        "AuthJWTResourceMetadata, else from the request URL"),
    { NULL }
};
