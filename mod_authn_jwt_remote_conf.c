/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * mod_authn_jwt_remote_conf.c: the server-scope directives of remote key
 * sets (AuthJWTKeysRefresh, AuthJWTKeysMinRefresh, AuthJWTKeysMaxStale,
 * AuthJWTKeysTimeout, AuthJWTKeysCAFile, AuthJWTKeysCacheDir; manual
 * #idp), and the metrics families of the sources (manual #logging).  The
 * fetching and sharing is mod_authn_jwt_remote.c.
 */

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "apr_strings.h"

#include "jwks_remote.h"
#include "mod_authn_jwt.h"

APLOG_USE_MODULE(authn_jwt);

static authn_jwt_srv_conf_t *srv_conf(server_rec *s)
{
    return ap_get_module_config(s->module_config, &authn_jwt_module);
}

/* ---- the six AuthJWTKeys* directives ---- */

static const char *set_seconds(cmd_parms *cmd, const char *arg,
                               apr_int64_t min, apr_int64_t max,
                               apr_int64_t *out, const char *fix)
{
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);

    if (err != NULL) {
        return err;
    }
    err = authn_jwt_parse_seconds(cmd, arg, min, max, out);
    return err ? apr_pstrcat(cmd->pool, err, " (", fix, ")", NULL) : NULL;
}

const char *authn_jwt_set_keys_refresh(cmd_parms *cmd, void *d,
                                       const char *arg)
{
    authn_jwt_srv_conf_t *c = srv_conf(cmd->server);

    (void)d;
    c->keys_refresh_set = 1;
    return set_seconds(cmd, arg, 1, JWKS_MAX_MAX_AGE, &c->keys_refresh,
                       "seconds between refreshes; default 600");
}

const char *authn_jwt_set_keys_min_refresh(cmd_parms *cmd, void *d,
                                           const char *arg)
{
    authn_jwt_srv_conf_t *c = srv_conf(cmd->server);

    (void)d;
    c->keys_min_refresh_set = 1;
    return set_seconds(cmd, arg, 1, JWKS_MAX_MAX_AGE, &c->keys_min_refresh,
                       "seconds between refetches for an unknown kid; "
                       "default 30");
}

const char *authn_jwt_set_keys_max_stale(cmd_parms *cmd, void *d,
                                         const char *arg)
{
    authn_jwt_srv_conf_t *c = srv_conf(cmd->server);

    (void)d;
    c->keys_max_stale_set = 1;
    return set_seconds(cmd, arg, 1, INT64_C(31536000), &c->keys_max_stale,
                       "seconds a key set is used while its URL fails; "
                       "default 86400");
}

const char *authn_jwt_set_keys_timeout(cmd_parms *cmd, void *d,
                                       const char *arg)
{
    authn_jwt_srv_conf_t *c = srv_conf(cmd->server);

    (void)d;
    c->keys_timeout_set = 1;
    return set_seconds(cmd, arg, 1, 60, &c->keys_timeout,
                       "seconds for a whole fetch; default 5");
}

const char *authn_jwt_set_keys_ca_file(cmd_parms *cmd, void *d,
                                       const char *arg)
{
    authn_jwt_srv_conf_t *c = srv_conf(cmd->server);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    const char *path;
    apr_finfo_t fi;

    (void)d;
    if (err != NULL) {
        return err;
    }
    path = ap_server_root_relative(cmd->pool, arg);
    if (path == NULL || apr_stat(&fi, path, APR_FINFO_TYPE, cmd->temp_pool)
                        != APR_SUCCESS || fi.filetype != APR_REG) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a readable file: "
                            "name a PEM file of CA certificates",
                            cmd->cmd->name, arg);
    }
    c->keys_ca_file = path;
    c->keys_ca_file_set = 1;
    return NULL;
}

const char *authn_jwt_set_keys_cache_dir(cmd_parms *cmd, void *d,
                                         const char *arg)
{
    authn_jwt_srv_conf_t *c = srv_conf(cmd->server);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    const char *path;

    (void)d;
    if (err != NULL) {
        return err;
    }
    path = ap_server_root_relative(cmd->pool, arg);
    if (path == NULL || *arg == '\0') {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a usable path",
                            cmd->cmd->name, arg);
    }
    c->keys_cache_dir = path;
    c->keys_cache_dir_set = 1;
    return NULL;
}

/* ---- metrics ---- */

/* jwt-metrics and /server-status: one series per source, labelled by its
 * number in the configuration (never the URL: manual #logging). */
void authn_jwt_remote_metrics(authn_jwt_metrics_out_t *out, server_rec *s)
{
    static const char *const results[] = {
        "ok", "not_modified", "failed", "invalid"
    };
    apr_pool_t *p;
    apr_array_header_t *st;
    int i, j;

    (void)s;
    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return;
    }
    st = authn_jwt_keys_stats(p);
    if (st->nelts > 0) {
        authn_jwt_metrics_family(out, "authn_jwt_key_fetches_total",
            "counter", "Fetches of remote key sets, by source and result.");
        for (i = 0; i < st->nelts; i++) {
            authn_jwt_keys_stats_t *k = &APR_ARRAY_IDX(st, i,
                                                       authn_jwt_keys_stats_t);
            apr_uint32_t v[4];

            v[0] = k->fetch_ok;
            v[1] = k->fetch_not_modified;
            v[2] = k->fetch_failed;
            v[3] = k->fetch_invalid;
            for (j = 0; j < 4; j++) {
                authn_jwt_metrics_sample(out, apr_psprintf(p,
                    "source=\"%d\",result=\"%s\"", k->index, results[j]),
                    (double)v[j]);
            }
        }
        authn_jwt_metrics_family(out,
            "authn_jwt_key_refetches_suppressed_total", "counter",
            "Unknown-kid refetches refused by AuthJWTKeysMinRefresh, by "
            "source.");
        for (i = 0; i < st->nelts; i++) {
            authn_jwt_keys_stats_t *k = &APR_ARRAY_IDX(st, i,
                                                       authn_jwt_keys_stats_t);

            authn_jwt_metrics_sample(out, apr_psprintf(p, "source=\"%d\"",
                                     k->index), (double)k->refetch_suppressed);
        }
        authn_jwt_metrics_family(out, "authn_jwt_keys_loaded", "gauge",
            "Keys in the current set of each remote source.");
        for (i = 0; i < st->nelts; i++) {
            authn_jwt_keys_stats_t *k = &APR_ARRAY_IDX(st, i,
                                                       authn_jwt_keys_stats_t);

            authn_jwt_metrics_sample(out, apr_psprintf(p, "source=\"%d\"",
                                     k->index), (double)k->keys);
        }
        authn_jwt_metrics_family(out,
            "authn_jwt_keys_last_good_fetch_seconds", "gauge",
            "Unix time of the last good fetch of each remote source (0: "
            "never).");
        for (i = 0; i < st->nelts; i++) {
            authn_jwt_keys_stats_t *k = &APR_ARRAY_IDX(st, i,
                                                       authn_jwt_keys_stats_t);

            authn_jwt_metrics_sample(out, apr_psprintf(p, "source=\"%d\"",
                                     k->index),
                                     (double)apr_time_sec(k->last_good));
        }
    }
    apr_pool_destroy(p);
}
