/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * mod_authn_jwt_startup.c: what post_config checks once the whole
 * configuration is read, what it tells the administrator, and the
 * once-per-child notices of a misconfiguration met while serving.
 *
 * Each <Location>, <Directory> and <Files> section (and the server and
 * virtual host level) that verifies tokens without AuthJWTAudience is named
 * once per start-up: there a token that carries aud is refused (RFC 7519
 * section 4.1.3), which an administrator moving from "not checked" should
 * hear about before the first 401.  .htaccess files are read per request
 * and are not seen here.
 */

#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"

#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include "mod_authn_jwt.h"

APLOG_USE_MODULE(authn_jwt);

typedef struct {
    server_rec *s;
    apr_pool_t *ptemp;
    apr_hash_t *seen;           /* our records already looked at */
    const authn_jwt_dir_conf_t *dflt;   /* the server level's record */
} walk_t;

/* WHERE names the section for the administrator. */
static void check_section(walk_t *w, const authn_jwt_dir_conf_t *conf,
                          const char *where)
{
    if (conf == NULL || apr_hash_get(w->seen, &conf, sizeof(conf)) != NULL) {
        return;
    }
    apr_hash_set(w->seen, apr_pmemdup(w->ptemp, &conf, sizeof(conf)),
                 sizeof(conf), "");
    if (!conf->verify_keys_set && !conf->decrypt_keys_set) {
        return;
    }
    if (conf->audiences_set
        || (w->dflt != NULL && w->dflt != conf && w->dflt->audiences_set)) {
        return;
    }
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, w->s, AJLOGNO(00101)
                 "%s%s%s: tokens are verified here without AuthJWTAudience, "
                 "so a token that carries aud is refused (RFC 7519 4.1.3): "
                 "name this service's audience with AuthJWTAudience, or "
                 "write AuthJWTAudience * to accept any",
                 conf->keys_where ? conf->keys_where : "",
                 conf->keys_where ? ": " : "", where);
}

static void walk(walk_t *w, apr_array_header_t *secs, const char *kind)
{
    int i;

    if (secs == NULL) {
        return;
    }
    for (i = 0; i < secs->nelts; i++) {
        ap_conf_vector_t *v = APR_ARRAY_IDX(secs, i, ap_conf_vector_t *);
        core_dir_config *cd = ap_get_core_module_config(v);

        check_section(w, ap_get_module_config(v, &authn_jwt_module),
                      apr_psprintf(w->ptemp, "<%s %s>", kind,
                                   ap_escape_logitem(w->ptemp, cd != NULL
                                                     && cd->d != NULL
                                                     ? cd->d : "/")));
        if (cd != NULL) {
            walk(w, cd->sec_file, "Files");
            walk(w, cd->sec_if, "If");
        }
    }
}

void authn_jwt_startup_checks(apr_pool_t *ptemp, server_rec *s)
{
    const authn_jwt_dir_conf_t *main_dflt = NULL;
    walk_t w;

    /* httpd reads its configuration twice at start-up: say it once */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return;
    }
    memset(&w, 0, sizeof(w));
    w.ptemp = ptemp;
    w.seen = apr_hash_make(ptemp);
    for (; s != NULL; s = s->next) {
        core_server_config *sc = ap_get_core_module_config(s->module_config);

        w.s = s;
        w.dflt = ap_get_module_config(s->lookup_defaults, &authn_jwt_module);
        /* a virtual host inherits the server level: said for the main
         * server, and for a virtual host only with keys of its own */
        if (!s->is_virtual) {
            main_dflt = w.dflt;
            check_section(&w, w.dflt, "the main server configuration");
        }
        else if (w.dflt != NULL && main_dflt != NULL
                 && w.dflt->verify_keys != main_dflt->verify_keys) {
            check_section(&w, w.dflt, apr_psprintf(ptemp,
                          "<VirtualHost %s:%u>",
                          ap_escape_logitem(ptemp, s->server_hostname
                                            ? s->server_hostname : "*"),
                          (unsigned)s->port));
        }
        /* a virtual host's lists hold the main server's sections too;
         * SEEN says each once */
        walk(&w, sc->sec_dir, "Directory");
        walk(&w, sc->sec_url, "Location");
    }
}

/* ---- once per location per child ---- */

/* Sections told about, per child: a misconfigured location must be seen
 * in the log, but one ERR line per request would flood it.  Bounded: past
 * ONCE_MAX sections (.htaccess directories are sections too) the rest are
 * logged at debug only. */
#define ONCE_MAX 1024

typedef struct {
    apr_pool_t *pool;
    apr_hash_t *seen;
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
#endif
} once_t;

/* Set in child_init, before the child's threads exist; read-only after,
 * and what it points to is guarded by its lock. */
static once_t *once;

void authn_jwt_once_init(apr_pool_t *pchild)
{
    once_t *o = apr_pcalloc(pchild, sizeof(*o));

    o->pool = pchild;
    o->seen = apr_hash_make(pchild);
#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&o->lock, APR_THREAD_MUTEX_DEFAULT, pchild)
        != APR_SUCCESS) {
        return;
    }
#endif
    once = o;
}

int authn_jwt_once(const request_rec *r, const char *what)
{
    const core_dir_config *cd = ap_get_core_module_config(r->per_dir_config);
    const char *key;
    int first = 0;

    if (once == NULL) {
        return 1;
    }
    /* the section (its path, or the directory of an .htaccess file) of
     * this server, and what is said about it */
    key = apr_psprintf(r->pool, "%pp|%s|%s", (void *)r->server, what,
                       cd != NULL && cd->d != NULL ? cd->d : "");
#if APR_HAS_THREADS
    if (apr_thread_mutex_lock(once->lock) != APR_SUCCESS) {
        return 0;
    }
#endif
    if (apr_hash_get(once->seen, key, APR_HASH_KEY_STRING) == NULL
        && apr_hash_count(once->seen) < ONCE_MAX) {
        apr_hash_set(once->seen, apr_pstrdup(once->pool, key),
                     APR_HASH_KEY_STRING, "");
        first = 1;
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(once->lock);
#endif
    return first;
}
