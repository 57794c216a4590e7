/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * mod_authn_jwt_config.c: the per-directory configuration: the record's
 * defaults, the merge, the directives of the validator (manual
 * "Validating tokens")
 * and the one directive table of the module.  The directives of the issuer
 * (SetHandler jwt-issuer), of AuthType ApiKey and of the RFC 9728 metadata
 * document are handled in mod_authn_jwt_config_issue.c; what they do at
 * request time is in mod_authn_jwt_issuer.c and mod_authn_jwt_handlers.c.
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
 */

#include <stddef.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_main.h"

#include "apr_strings.h"
#include "apr_lib.h"

#include "jose_alg.h"
#include "jwk.h"
#include "jwe.h"
#include "jws.h"
#include "jwt.h"
#include "mod_authn_jwt.h"

APLOG_USE_MODULE(authn_jwt);

/* Documented defaults. */
#define DEFAULT_LEEWAY          30
#define DEFAULT_MAX_SIZE        8192
#define DEFAULT_USER_CLAIM      "sub"
#define DEFAULT_REQUIRED_CLAIM  "exp"

/* Bounds of the numeric directives. */
#define MAX_LEEWAY              86400           /* one day              */
#define MIN_TOKEN_SIZE          64
#define MAX_TOKEN_SIZE          1048576         /* 1 MiB                */
#define MAX_TOKEN_SOURCES       8

/* ---- small validators (shared with mod_authn_jwt_config_issue.c) ---- */

/* No control characters: such a value could never match a token claim and
 * would reach logs and headers (doc/attacks.md E3). */
static int has_ctl(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f) {
            return 1;
        }
    }
    return 0;
}

/* RFC 9110 section 5.6.2 token characters: cookie names, auth-scheme. */
int authn_jwt_is_tchar(int c)
{
    return apr_isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

/* A value that may appear inside a quoted-string of a challenge without
 * escaping: printable ASCII, no '"' or '\' (RFC 9728 URL). */
int authn_jwt_is_plain_quotable(const char *s)
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
const char *authn_jwt_parse_seconds(cmd_parms *cmd, const char *arg,
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
const char *authn_jwt_check_name(cmd_parms *cmd, const char *what,
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

/* A kid= option: a name no longer than a token's kid may be
 * (doc/attacks.md A5: a kid selects exactly one key). */
const char *authn_jwt_check_kid(cmd_parms *cmd, const char *kid)
{
    const char *err = authn_jwt_check_name(cmd, "kid", kid);

    if (err != NULL) {
        return err;
    }
    if (strlen(kid) > JWS_MAX_KID_LEN) {
        return apr_psprintf(cmd->pool, "%s: kid= is longer than %d bytes",
                            cmd->cmd->name, JWS_MAX_KID_LEN);
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
    /* Spelled out even where jwt_rules_init agrees: these are the documented
     * defaults and the glue must not depend on the core's choice. */
    conf->rules.verify_keys = NULL;
    conf->rules.decrypt_keys = NULL;        /* JWE refused (C1)          */
    conf->rules.require_encryption = 0;
    conf->rules.allow_unsigned_jwe = 0;     /* only when said (C1)       */
    conf->rules.max_p2c = JWE_DEFAULT_MAX_P2C;                    /* C6 */
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
    conf->refresh_max_age = AUTHN_JWT_DEFAULT_REFRESH_MAX_AGE;
    conf->scopes = NULL;                    /* grants nothing            */
    conf->claims = NULL;
    conf->apikey_header = AUTHN_JWT_APIKEY_HEADER;
    conf->apikey_providers = NULL;          /* "file"                    */
    conf->resource = NULL;

    conf->cache = 1;
    conf->cache_max_age = AUTHN_JWT_CACHE_MAX_AGE_DEFAULT;
    conf->revoke_any = 0;
    return conf;
}

/* One line per field: the child's value when it set one. */
#define MERGE_FIELD(f) \
    new->f = add->f##_set ? add->f : base->f; \
    new->f##_set = add->f##_set | base->f##_set
#define MERGE_RULE(f) \
    new->rules.f = add->f##_set ? add->rules.f : base->rules.f; \
    new->f##_set = add->f##_set | base->f##_set

/* The fingerprint of a rules part comes from the record its field comes
 * from, where it is computed once (mod_authn_jwt_cache.c). */
#define FP_FROM(f, part) \
    new->rules_fp[part] = authn_jwt_rules_part( \
        (authn_jwt_dir_conf_t *)(add->f##_set ? add : base), part)

/* No directive of this record was given: every field has its default. */
static int nothing_set(const authn_jwt_dir_conf_t *c)
{
    return c->any_set == 0;
}

/* Every _set flag inside ANY_SET: the union is the one word that follows
 * it (rules_fp comes next); a 65th flag would make it larger. */
_Static_assert(offsetof(authn_jwt_dir_conf_t, rules_fp)
               - offsetof(authn_jwt_dir_conf_t, any_set) == sizeof(uint64_t),
               "the _set flags no longer fit in any_set");

void *authn_jwt_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    authn_jwt_dir_conf_t *new;
    const authn_jwt_dir_conf_t *base = basev;
    const authn_jwt_dir_conf_t *add = addv;

    /* httpd merges on every request, once per section that applies.  A
     * side that sets nothing adds nothing: the other record is the merge,
     * shared as it is (records are read-only once the configuration is
     * read; the fingerprint memo in them is written atomically and is the
     * same whoever computes it). */
    if (nothing_set(add)) {
        return basev;
    }
    if (nothing_set(base)) {
        return addv;
    }
    new = apr_pcalloc(p, sizeof(*new));

    /* Not a field-by-field copy of a struct: unset rules members take the
     * parent's values below, set ones the child's. */
    jwt_rules_init(&new->rules);

    MERGE_FIELD(verify_keys);
    /* the https:// lines belong with the file lines (verify_keys_set) */
    new->remote_keys = add->verify_keys_set ? add->remote_keys
                                            : base->remote_keys;
    MERGE_FIELD(decrypt_keys);
    MERGE_RULE(require_encryption);
    MERGE_RULE(allow_unsigned_jwe);
    MERGE_RULE(max_p2c);
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
    MERGE_FIELD(refresh_max_age);
    MERGE_FIELD(scopes);
    MERGE_FIELD(claims);
    MERGE_FIELD(apikey_header);
    MERGE_FIELD(apikey_providers);
    MERGE_FIELD(resource);
    MERGE_FIELD(cache);
    MERGE_FIELD(cache_max_age);
    MERGE_FIELD(revoke_any);

    new->keys_where = add->verify_keys_set || add->decrypt_keys_set
                      ? add->keys_where : base->keys_where;

    /* The fingerprints travel with their fields: computed once in the
     * record the field comes from (base may be shared, but a fingerprint
     * is a function of fields no one changes after start-up). */
    FP_FROM(verify_keys, AUTHN_JWT_FP_VERIFY_KEYS);
    FP_FROM(decrypt_keys, AUTHN_JWT_FP_DECRYPT_KEYS);
    FP_FROM(issuers, AUTHN_JWT_FP_ISSUERS);
    FP_FROM(audiences, AUTHN_JWT_FP_AUDIENCES);
    FP_FROM(required, AUTHN_JWT_FP_REQUIRED);
    FP_FROM(types, AUTHN_JWT_FP_TYPES);

    /* Derived, never set by a directive of their own. */
    new->rules.verify_keys = new->verify_keys;
    new->rules.decrypt_keys = new->decrypt_keys;
    return new;
}

/* ---- server scope ---- */

void *authn_jwt_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    authn_jwt_srv_conf_t *sc = apr_pcalloc(p, sizeof(*sc));

    (void)s;
    sc->cache_size = AUTHN_JWT_CACHE_SIZE_DEFAULT;
    sc->rev_store = NULL;               /* shmcb, when it is loaded      */
    sc->rev_delay = AUTHN_JWT_REV_DELAY_DEFAULT;
    sc->rev_fail_open = 0;              /* fail closed: 503              */
    sc->keys_refresh = AUTHN_JWT_KEYS_REFRESH;
    sc->keys_min_refresh = AUTHN_JWT_KEYS_MIN_REFRESH;
    sc->keys_max_stale = AUTHN_JWT_KEYS_MAX_STALE;
    sc->keys_timeout = AUTHN_JWT_KEYS_TIMEOUT;
    sc->keys_ca_file = NULL;            /* the system store              */
    sc->keys_cache_dir = NULL;          /* under DefaultRuntimeDir       */
    return sc;
}

void *authn_jwt_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    authn_jwt_srv_conf_t *new = apr_pcalloc(p, sizeof(*new));
    const authn_jwt_srv_conf_t *base = basev;
    const authn_jwt_srv_conf_t *add = addv;

    MERGE_FIELD(cache_size);
    MERGE_FIELD(rev_store);
    MERGE_FIELD(rev_delay);
    MERGE_FIELD(rev_fail_open);
    MERGE_FIELD(keys_refresh);
    MERGE_FIELD(keys_min_refresh);
    MERGE_FIELD(keys_max_stale);
    MERGE_FIELD(keys_timeout);
    MERGE_FIELD(keys_ca_file);
    MERGE_FIELD(keys_cache_dir);
    return new;
}

/* ---- key directives ---- */

/* RFC 8725 section 3.1: the configuration, not the token, binds keys to
 * algorithms.  alg= narrows what the loader derives from the key; it may
 * name RSA1_5 and PBES2-*, which are otherwise off (doc/attacks.md C4, C6). */
static const char *parse_alg_list(cmd_parms *cmd, const char *list,
                                  jose_use_t use, jose_alg_set_t *out)
{
    const jose_alg_info_t *a;
    const char *bad = list, *name;
    size_t n = 0;

    if (jose_alg_set_parse(out, list, use, &bad, &n) == 0) {
        return NULL;
    }
    if (n == 0) {
        return apr_psprintf(cmd->pool, "%s: empty algorithm name in "
                            "alg=%s", cmd->cmd->name, list);
    }
    name = apr_pstrmemdup(cmd->temp_pool, bad, n);
    a = jose_alg_lookup(bad, n);
    if (a == NULL) {
        return apr_psprintf(cmd->pool, "%s: unknown algorithm '%s' "
                            "(names are case-sensitive, e.g. %s; "
                            "'none' is never accepted)",
                            cmd->cmd->name, name,
                            use == JOSE_USE_SIG ? "RS256, ES256, HS256, "
                            "EdDSA" : "RSA-OAEP-256, ECDH-ES+A256KW, "
                            "A256KW, dir");
    }
    return apr_psprintf(cmd->pool, "%s: '%s' is %s algorithm; %s takes %s "
                        "algorithms here", cmd->cmd->name, name,
                        a->use == JOSE_USE_SIG ? "a signature"
                        : "a key-management", cmd->cmd->name,
                        use == JOSE_USE_SIG ? "JWS signature"
                        : "JWE key-management");
}

/* enc= on a decryption key: the content algorithms tokens for it may use
 * (doc/attacks.md C10: a key bound to its enc as well as its alg). */
static const char *parse_enc_list(cmd_parms *cmd, const char *list,
                                  jose_enc_set_t *out)
{
    const char *bad = list;
    size_t n = 0;

    if (jose_enc_set_parse(out, list, &bad, &n) == 0) {
        return NULL;
    }
    if (n == 0) {
        return apr_psprintf(cmd->pool, "%s: empty name in enc=%s; enc= "
                            "takes a comma-separated list such as "
                            "enc=A256GCM,A128CBC-HS256", cmd->cmd->name,
                            list);
    }
    return apr_psprintf(cmd->pool, "%s: unknown content encryption '%s' in "
                        "enc= (names are case-sensitive: A128GCM, A192GCM, "
                        "A256GCM, A128CBC-HS256, A192CBC-HS384, "
                        "A256CBC-HS512)", cmd->cmd->name,
                        apr_pstrmemdup(cmd->temp_pool, bad, n));
}

/*
 * AuthJWTVerifyKey [alg=A[,A..]] [kid=K] [iss=ISS] SOURCE and
 * AuthJWTDecryptKey [alg=A[,A..]] [enc=E[,E..]] [kid=K] SOURCE.  Every word
 * but the last is an option; the last is the source.
 */
static const char *set_key(cmd_parms *cmd, authn_jwt_dir_conf_t *conf,
                           const char *args, jose_use_t use)
{
    const char *accepted = use == JOSE_USE_SIG
        ? "alg=A[,A..], kid=K and iss=ISS"
        : "alg=A[,A..], enc=E[,E..] and kid=K";
    apr_array_header_t *words = apr_array_make(cmd->temp_pool, 4,
                                               sizeof(const char *));
    const jose_alg_info_t *crowded;
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
        else if (use == JOSE_USE_ENC && strncmp(w, "enc=", 4) == 0
                 && opts.encs == 0) {
            const char *e = parse_enc_list(cmd, w + 4, &opts.encs);

            if (e) {
                return e;
            }
        }
        else if (strncmp(w, "kid=", 4) == 0 && opts.kid == NULL) {
            opts.kid = apr_pstrdup(cmd->pool, w + 4);
            if ((err = authn_jwt_check_kid(cmd, opts.kid)) != NULL) {
                return err;
            }
        }
        else if (use == JOSE_USE_SIG && strncmp(w, "iss=", 4) == 0
                 && opts.iss == NULL) {
            opts.iss = apr_pstrdup(cmd->pool, w + 4);
            if ((err = authn_jwt_check_name(cmd, "iss", opts.iss)) != NULL) {
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
        || strncmp(source, "iss=", 4) == 0
        || strncmp(source, "enc=", 4) == 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' is an option; the last "
                            "argument must be the key SOURCE",
                            cmd->cmd->name, source);
    }
    /* where the section's keys are, for start-up messages */
    if (conf->keys_where == NULL && cmd->directive != NULL) {
        conf->keys_where = apr_psprintf(cmd->pool, "%s:%d",
                                        cmd->directive->filename,
                                        cmd->directive->line_num);
    }
    /* manual #idp: a JWKS URI or a discovery document, fetched by
     * mod_authn_jwt_remote.c; http:// is refused there with the fix. */
    if (ap_cstr_casecmpn(source, "https://", 8) == 0
        || ap_cstr_casecmpn(source, "http://", 7) == 0) {
        return authn_jwt_remote_add(cmd, conf, &opts, source);
    }

    setp = use == JOSE_USE_SIG ? &conf->verify_keys : &conf->decrypt_keys;
    if (*setp == NULL) {
        *setp = jwk_set_make(cmd->pool);
    }
    crowded = use == JOSE_USE_SIG ? jws_crowded_alg(*setp) : NULL;
    if (authn_jwt_keycache_load(*setp, cmd->pool, cmd->server, source,
                                &opts, &err) != 0) {
        return apr_psprintf(cmd->pool, "%s %s: %s", cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, source),
                            err ? err : "the key could not be loaded");
    }
    /* doc/attacks.md A5/G: a kid must name one key, across every line. */
    if (jwk_set_check(*setp, &err) != 0) {
        return apr_psprintf(cmd->pool, "%s %s: %s", cmd->cmd->name,
                            ap_escape_logitem(cmd->temp_pool, source),
                            err ? err : "duplicate kid in the key set");
    }

    /* README "Security notes": a token is checked against two keys at most
     * (jws.h); said once, for the line that crowds the location, and not from .htaccess,
     * which is read for every request. */
    if (use == JOSE_USE_SIG && crowded == NULL
        && (crowded = jws_crowded_alg(*setp)) != NULL
        && cmd->pool == cmd->server->process->pconf) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     AJLOGNO(00100) "%s:%d: %s: more than %d keys without "
                     "a kid can verify %s here, but a token is checked "
                     "against %d keys at most, so a token without a kid "
                     "signed by a later key is refused: give every key a "
                     "kid (kid=, or the JWK's own) and have tokens carry it",
                     cmd->directive->filename, cmd->directive->line_num,
                     cmd->cmd->name, JWS_MAX_VERIFY_KEYS, crowded->name,
                     JWS_MAX_VERIFY_KEYS);
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

/* doc/attacks.md C1: a JWE proves only that the sender holds the decryption
 * key, which for RSA and ECDH is public; so a JWE without a signed token
 * inside stays refused unless said here, and even then only with the
 * shared-secret key management (dir, A*KW, A*GCMKW) that jwt.c allows. */
static const char *set_allow_unsigned_jwe(cmd_parms *cmd, void *dconf,
                                          int flag)
{
    authn_jwt_dir_conf_t *conf = dconf;

    (void)cmd;
    conf->rules.allow_unsigned_jwe = flag;
    conf->allow_unsigned_jwe_set = 1;
    return NULL;
}

/* doc/attacks.md C6: p2c is the token's to choose and each count is a
 * PBKDF2 round, so the ceiling is the administrator's, set at start-up. */
static const char *set_max_p2c(cmd_parms *cmd, void *dconf, const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;
    apr_int64_t v;
    const char *err = authn_jwt_parse_seconds(cmd, arg, JWE_MIN_P2C,
                                              JWE_MAX_P2C_LIMIT, &v);

    if (err) {
        return err;
    }
    conf->rules.max_p2c = (unsigned long)v;
    conf->max_p2c_set = 1;
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
        const char *err = authn_jwt_check_name(cmd, what, argv[i]);

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

/* RFC 7519 section 4.1.3: where no audience is named, a token that
 * carries aud is refused; "*" (alone) accepts any audience, explicitly. */
static const char *set_audience(cmd_parms *cmd, void *dconf, int argc,
                                char *const argv[])
{
    authn_jwt_dir_conf_t *conf = dconf;
    const char *err;
    int i;

    conf->audiences_set = 1;
    err = append_names(cmd, &conf->rules.audiences, "audience", argc, argv);
    if (err != NULL) {
        return err;
    }
    for (i = 0; i < conf->rules.audiences->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(conf->rules.audiences, i, const char *),
                   JWT_AUDIENCE_ANY) == 0
            && conf->rules.audiences->nelts > 1) {
            return apr_psprintf(cmd->pool, "%s: '*' accepts any audience "
                                "and stands alone: write either "
                                "AuthJWTAudience * or the audiences to "
                                "accept", cmd->cmd->name);
        }
    }
    return NULL;
}

static const char *set_type(cmd_parms *cmd, void *dconf, int argc,
                            char *const argv[])
{
    authn_jwt_dir_conf_t *conf = dconf;

    conf->types_set = 1;
    return append_names(cmd, &conf->rules.types, "token type", argc, argv);
}

/* Names add to exp (a list such as "sub" must not drop it by the way);
 * "none" alone waives exp, the only way to accept tokens without one, and
 * start-up says so (manual "Validating tokens"; doc/attacks.md E1).  A
 * section's lines add up and replace the parent's list. */
static const char *set_require_claim(cmd_parms *cmd, void *dconf, int argc,
                                     char *const argv[])
{
    authn_jwt_dir_conf_t *conf = dconf;
    const char *err;
    int i;

    if (argc < 1) {
        return apr_psprintf(cmd->pool, "%s needs at least one claim name, "
                            "or none", cmd->cmd->name);
    }
    if (!conf->required_set) {
        conf->rules.required = NULL;
        conf->required_set = 1;
    }
    for (i = 0; i < argc; i++) {
        if ((err = authn_jwt_check_name(cmd, "claim name", argv[i]))
            != NULL) {
            return err;
        }
        if (jwt_required_add(&conf->rules.required, cmd->pool, argv[i],
                             &err) != 0) {
            return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
        }
    }
    /* said at start-up; a .htaccess file is read for every request */
    if (conf->rules.required->nelts == 0
        && cmd->pool == cmd->server->process->pconf) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     AJLOGNO(00102) "%s:%d: AuthJWTRequireClaim none: "
                     "tokens without exp are accepted here and never "
                     "expire; a stolen one works forever. Remove this line "
                     "unless the issuer truly sets no exp (then consider "
                     "AuthJWTMaxTTL and short-lived keys)",
                     cmd->directive->filename, cmd->directive->line_num);
    }
    return NULL;
}

static const char *set_leeway(cmd_parms *cmd, void *dconf, const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;
    apr_int64_t v;
    const char *err = authn_jwt_parse_seconds(cmd, arg, 0, MAX_LEEWAY, &v);

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
        err = authn_jwt_parse_seconds(cmd, arg, 0, AUTHN_JWT_MAX_TTL, &v);
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
    const char *err = authn_jwt_parse_seconds(cmd, arg, MIN_TOKEN_SIZE,
                                              MAX_TOKEN_SIZE, &v);

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
    const char *err = authn_jwt_check_name(cmd, "claim name", arg);

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
    const char *err = authn_jwt_check_name(cmd, "claim name", arg);

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
        || !authn_jwt_is_plain_quotable(arg)) {
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
                if (!authn_jwt_is_tchar((unsigned char)*c) || *c == '%'
                    || *c == '&' || *c == '+') {
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

/* ---- the table ---- */

const command_rec authn_jwt_cmds[] = {
    AP_INIT_RAW_ARGS("AuthJWTVerifyKey", set_verify_key, NULL,
        OR_AUTHCFG,
        "[alg=A[,A..]] [kid=K] [iss=ISS] SOURCE: a key that may verify "
        "token signatures; SOURCE is a PEM file (public key, certificate "
        "or private key), a JWK or JWKS file, secret:PATH (HMAC, at "
        "least as long as the hash), or an https:// JWKS URI or discovery "
        "document (.well-known/openid-configuration or "
        "oauth-authorization-server; not in .htaccess); relative paths are "
        "under ServerRoot. Repeatable. Loaded when the configuration is "
        "read: at start-up, or for every request in .htaccess (slower)"),
    AP_INIT_RAW_ARGS("AuthJWTDecryptKey", set_decrypt_key, NULL,
        OR_AUTHCFG,
        "[alg=A[,A..]] [enc=E[,E..]] [kid=K] SOURCE: a private RSA/EC key "
        "or secret:PATH that may decrypt JWE tokens (RSA1_5 and PBES2 only "
        "when named in alg=; enc= limits the content encryption, default "
        "any). Repeatable. Loaded when the configuration is read: at "
        "start-up, or for every request in .htaccess (slower)"),
    AP_INIT_FLAG("AuthJWTRequireEncryption", set_require_encryption, NULL,
        OR_AUTHCFG,
        "On: accept only encrypted (nested JWS-in-JWE) tokens; default Off"),
    /* These two weaken or cost: server and section context only. */
    AP_INIT_FLAG("AuthJWTAllowUnsignedJWE", set_allow_unsigned_jwe, NULL,
        RSRC_CONF | ACCESS_CONF,
        "On: also accept a JWE whose payload is the claims themselves, not "
        "a signed token, when its key management is dir, A*KW or A*GCMKW "
        "(a shared secret); default Off"),
    AP_INIT_TAKE1("AuthJWTMaxPBES2Count", set_max_p2c, NULL,
        RSRC_CONF | ACCESS_CONF,
        "N: the highest PBES2 p2c (PBKDF2 iterations) a token may ask for, "
        "1000 to 1000000; default 10000"),
    AP_INIT_TAKE_ARGV("AuthJWTIssuer", set_issuer, NULL, OR_AUTHCFG,
        "ISS [ISS..]: accepted iss values (exact); default any"),
    AP_INIT_TAKE_ARGV("AuthJWTAudience", set_audience, NULL, OR_AUTHCFG,
        "AUD [AUD..]: aud (string or array) must name one of these; '*' "
        "accepts any audience; default none: a token that carries aud is "
        "refused (RFC 7519 4.1.3)"),
    AP_INIT_TAKE1("AuthJWTLeeway", set_leeway, NULL, OR_AUTHCFG,
        "SECONDS of clock skew allowed on exp, nbf and iat; default 30"),
    AP_INIT_TAKE1("AuthJWTMaxTTL", set_max_ttl, NULL, OR_AUTHCFG,
        "SECONDS: reject tokens valid longer than this from now (and with "
        "exp - iat longer); Off (default) disables"),
    AP_INIT_TAKE_ARGV("AuthJWTRequireClaim", set_require_claim, NULL,
        OR_AUTHCFG,
        "NAME [NAME..]: claims that must be present, in addition to exp; "
        "'none' alone requires nothing, not even exp (warned at start-up)"),
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
    AP_INIT_RAW_ARGS("AuthJWTSignKey", authn_jwt_set_sign_key, NULL,
        RSRC_CONF | ACCESS_CONF,
        "[alg=A] [kid=K] SOURCE: the private key (PEM or JWK file) or "
        "secret:PATH that signs tokens issued here; exactly one key; "
        "default alg from the key (RS256, ES256/384/512, EdDSA, "
        "HS256/384/512), default kid the key's own, else its RFC 7638 "
        "thumbprint. Loaded at start-up, so not allowed in .htaccess"),
    AP_INIT_RAW_ARGS("AuthJWTEncryptKey", authn_jwt_set_encrypt_key, NULL,
        RSRC_CONF | ACCESS_CONF,
        "[alg=A] [enc=E] [kid=K] SOURCE: also encrypt issued tokens (nested "
        "JWE, cty JWT) to this public key or secret:PATH; default alg "
        "RSA-OAEP-256, ECDH-ES+A256KW or A*KW by key, enc A256GCM"),
    AP_INIT_TAKE1("AuthJWTLifetime", authn_jwt_set_lifetime, NULL,
        RSRC_CONF | ACCESS_CONF,
        "SECONDS: exp - iat of issued tokens; default 900"),
    AP_INIT_TAKE1("AuthJWTRefreshMaxAge", authn_jwt_set_refresh_max_age,
        NULL, RSRC_CONF | ACCESS_CONF,
        "SECONDS: a token is refreshed only this long after the login it "
        "descends from (its auth_time); default 86400"),
    AP_INIT_TAKE_ARGV("AuthJWTScope", authn_jwt_set_scope, NULL,
        RSRC_CONF | ACCESS_CONF,
        "EXPR [EXPR..]: the scopes this jwt-issuer may grant; each argument "
        "an ap_expr string (literal text is one, e.g. \"read write\", or "
        "\"%{env:AUTHENTICATE_SCOPES}\"), its result split on spaces; "
        "default none"),
    AP_INIT_TAKE2("AuthJWTClaim", authn_jwt_set_claim, NULL,
        RSRC_CONF | ACCESS_CONF,
        "NAME EXPR: an extra claim of issued tokens, its value an ap_expr "
        "string, e.g. \"%{env:AUTHENTICATE_ROLE}\"; an empty result omits "
        "it; names that look like secrets and registered claims are "
        "refused"),
    /* AuthType ApiKey */
    AP_INIT_TAKE1("AuthJWTApiKeyHeader", authn_jwt_set_apikey_header, NULL,
        OR_AUTHCFG,
        "NAME: the request header holding the API key ID.SECRET for "
        "AuthType ApiKey; default X-API-Key"),
    AP_INIT_ITERATE("AuthJWTApiKeyProvider", authn_jwt_set_apikey_provider,
        NULL, OR_AUTHCFG,
        "PROVIDER [..]: authn providers (file, dbm, dbd, socache, ldap, an "
        "AuthnProviderAlias) that check an API key's SECRET as the password "
        "of user ID, tried in order; default file"),
    /* RFC 9728 (SetHandler jwt-resource-metadata) */
    AP_INIT_TAKE1("AuthJWTResource", authn_jwt_set_resource, NULL, OR_AUTHCFG,
        "URL: the protected resource identifier served by SetHandler "
        "jwt-resource-metadata (RFC 9728); default derived from "
        "AuthJWTResourceMetadata, else from the request URL"),
    /* The verified-token cache (mod_authn_jwt_cache.c) */
    AP_INIT_FLAG("AuthJWTCache", authn_jwt_set_cache, NULL, OR_AUTHCFG,
        "On|Off: remember accepted tokens so that the next request with the "
        "same token costs a lookup; default On"),
    AP_INIT_TAKE1("AuthJWTCacheMaxAge", authn_jwt_set_cache_max_age, NULL,
        OR_AUTHCFG,
        "SECONDS: the longest a token stays in the cache (never past its "
        "exp), 1 to 86400; default 300"),
    AP_INIT_TAKE1("AuthJWTCacheSize", authn_jwt_set_cache_size, NULL,
        RSRC_CONF,
        "N: the most tokens cached per virtual host in each child, 0 to "
        "10000000 (0: no cache); default 10000"),
    /* Revocation (mod_authn_jwt_revoke.c) */
    AP_INIT_TAKE1("AuthJWTRevocationStore", authn_jwt_set_revocation_store,
        NULL, RSRC_CONF,
        "shmcb | memcache:HOST:PORT[,HOST:PORT..] | redis:HOST:PORT: where "
        "revoked tokens are listed (the socache provider must be loaded); "
        "servers naming the same memcached or Redis share the list; "
        "default shmcb (this server only)"),
    AP_INIT_TAKE1("AuthJWTRevocationDelay", authn_jwt_set_revocation_delay,
        NULL, RSRC_CONF,
        "SECONDS: a revocation made at another server is seen within this "
        "time; 0 asks the store on every request; default 5"),
    AP_INIT_FLAG("AuthJWTRevocationFailOpen",
        authn_jwt_set_revocation_fail_open, NULL, RSRC_CONF,
        "On: accept tokens unchecked while the revocation store cannot be "
        "reached; Off (default): answer 503"),
    AP_INIT_FLAG("AuthJWTRevokeAny", authn_jwt_set_revoke_any, NULL,
        RSRC_CONF | ACCESS_CONF,
        "On: callers of this jwt-revoke location may revoke any valid "
        "token, not only their own; default Off"),
    /* remote key sets (mod_authn_jwt_remote.c), server scope */
    AP_INIT_TAKE1("AuthJWTKeysRefresh", authn_jwt_set_keys_refresh, NULL,
        RSRC_CONF,
        "SECONDS: how often https:// key sets are fetched again; a "
        "Cache-Control max-age of the answer wins, clamped to 60 s - 24 h; "
        "default 600"),
    AP_INIT_TAKE1("AuthJWTKeysMinRefresh", authn_jwt_set_keys_min_refresh,
        NULL, RSRC_CONF,
        "SECONDS: a token whose kid is not in the set triggers a refetch at "
        "most this often per URL, for all processes together; default 30"),
    AP_INIT_TAKE1("AuthJWTKeysMaxStale", authn_jwt_set_keys_max_stale, NULL,
        RSRC_CONF,
        "SECONDS: how long the last good key set is used while its URL "
        "fails; after that, 503; default 86400"),
    AP_INIT_TAKE1("AuthJWTKeysTimeout", authn_jwt_set_keys_timeout, NULL,
        RSRC_CONF,
        "SECONDS: the whole fetch of a key set (connect and answer); "
        "default 5"),
    AP_INIT_TAKE1("AuthJWTKeysCAFile", authn_jwt_set_keys_ca_file, NULL,
        RSRC_CONF,
        "PATH: PEM file of the CA certificates trusted for https:// key "
        "sets; default the system store"),
    AP_INIT_TAKE1("AuthJWTKeysCacheDir", authn_jwt_set_keys_cache_dir, NULL,
        RSRC_CONF,
        "PATH: where the last good key sets are kept across restarts "
        "(created mode 0700, owned by the User of the children); default "
        "authn_jwt-keys under DefaultRuntimeDir"),
    { NULL }
};
