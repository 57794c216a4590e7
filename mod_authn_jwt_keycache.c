/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * mod_authn_jwt_keycache.c: the keys of AuthJWTVerifyKey and
 * AuthJWTDecryptKey lines in .htaccess files, loaded once per child.
 *
 * httpd reads a .htaccess file on every request, and its directives run
 * again each time: without this cache every request would read the key
 * file from disk and parse it (a PEM or JWK decode, an RSA or EC key
 * check), so that .htaccess would cost far more than the same lines in
 * the server configuration.  A loaded key set is kept per child, found by
 * its source, the directive's options and the file's size and mtime: a
 * file that changes is read again on the next request.  The cache holds at
 * most MAX_ENTRIES sets; one mutex guards it, and a set in use by a request
 * is freed only after that request ends (a reference count released by a
 * cleanup of the request pool).
 *
 * At start-up, in the server configuration, nothing is cached: the keys
 * live as long as the configuration.
 */

#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include "jwk.h"
#include "mod_authn_jwt.h"

APLOG_USE_MODULE(authn_jwt);

/* Distinct key sources in .htaccess files per child. */
#define MAX_ENTRIES 64

typedef struct keycache_entry_t {
    const char *id;             /* source and options, the hash key      */
    apr_off_t size;
    apr_time_t mtime;
    apr_pool_t *pool;           /* the keys; destroyed with the entry    */
    jwk_set_t *set;
    int refs;                   /* requests using the keys now           */
    int dropped;                /* out of the table: free at refs == 0   */
} keycache_entry_t;

typedef struct {
    apr_thread_mutex_t *mutex;
    apr_pool_t *pool;           /* own allocator: used under MUTEX only  */
    apr_hash_t *entries;        /* id -> keycache_entry_t *              */
} keycache_t;

/* Written once in child_init, before the child serves a request, and only
 * read afterwards; the table it points to is guarded by its mutex. */
static keycache_t *keycache;

typedef struct {
    keycache_entry_t *entry;
} keycache_ref_t;

/* Caller holds the mutex. */
static void entry_release(keycache_entry_t *e)
{
    if (--e->refs == 0 && e->dropped) {
        apr_pool_destroy(e->pool);
    }
}

/* Caller holds the mutex. */
static void entry_drop(keycache_entry_t *e)
{
    apr_hash_set(keycache->entries, e->id, APR_HASH_KEY_STRING, NULL);
    e->dropped = 1;
    if (e->refs == 0) {
        apr_pool_destroy(e->pool);
    }
}

static apr_status_t ref_cleanup(void *data)
{
    keycache_ref_t *ref = data;

    apr_thread_mutex_lock(keycache->mutex);
    entry_release(ref->entry);
    apr_thread_mutex_unlock(keycache->mutex);
    return APR_SUCCESS;
}

/* The file behind SOURCE ("secret:PATH" or PATH), relative to
 * BASE_DIR. */
static const char *source_path(apr_pool_t *p, const char *source,
                               const char *base_dir)
{
    const char *path = source;
    char *full = NULL;

    if (strncmp(path, "secret:", 7) == 0) {
        path += 7;
    }
    if (base_dir == NULL) {
        return path;
    }
    if (apr_filepath_merge(&full, base_dir, path, APR_FILEPATH_TRUENAME, p)
        != APR_SUCCESS) {
        return path;
    }
    return full;
}

static const char *entry_id(apr_pool_t *p, const char *source,
                            const jwk_load_opts_t *opts)
{
    return apr_psprintf(p, "%d|%d|%llx|%llx|%s|%s|%s", (int)opts->use,
                        opts->want_private,
                        (unsigned long long)opts->algs,
                        (unsigned long long)opts->encs,
                        opts->kid ? opts->kid : "",
                        opts->iss ? opts->iss : "", source);
}

int authn_jwt_keycache_load(jwk_set_t *set, apr_pool_t *p, server_rec *s,
                            const char *source, const jwk_load_opts_t *opts,
                            const char **err)
{
    keycache_entry_t *e;
    keycache_ref_t *ref;
    apr_finfo_t finfo;
    const char *id;
    int i, rc = 0;

    if (keycache == NULL
        || apr_stat(&finfo, source_path(p, source, opts->base_dir),
                    APR_FINFO_SIZE | APR_FINFO_MTIME, p) != APR_SUCCESS) {
        /* start-up, or a file that is not there: the loader's own
         * message says what is wrong */
        return jwk_load(set, p, source, opts, err);
    }
    id = entry_id(p, source, opts);

    apr_thread_mutex_lock(keycache->mutex);
    e = apr_hash_get(keycache->entries, id, APR_HASH_KEY_STRING);
    if (e != NULL && (e->size != finfo.size || e->mtime != finfo.mtime)) {
        entry_drop(e);
        e = NULL;
    }
    if (e == NULL) {
        apr_pool_t *kp;
        jwk_load_opts_t kopts = *opts;

        if (apr_hash_count(keycache->entries) >= MAX_ENTRIES) {
            apr_hash_index_t *hi = apr_hash_first(NULL, keycache->entries);
            keycache_entry_t *old = apr_hash_this_val(hi);

            ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, AJLOGNO(00158)
                          ".htaccess key cache full (%d sources): %s "
                          "dropped", MAX_ENTRIES,
                          ap_escape_logitem(p, old->id));
            entry_drop(old);
        }
        apr_pool_create(&kp, keycache->pool);
        e = apr_pcalloc(kp, sizeof(*e));
        e->id = apr_pstrdup(kp, id);
        e->pool = kp;
        e->size = finfo.size;
        e->mtime = finfo.mtime;
        e->set = jwk_set_make(kp);
        kopts.kid = opts->kid ? apr_pstrdup(kp, opts->kid) : NULL;
        kopts.iss = opts->iss ? apr_pstrdup(kp, opts->iss) : NULL;
        kopts.base_dir = opts->base_dir ? apr_pstrdup(kp, opts->base_dir)
                                        : NULL;
        rc = jwk_load(e->set, kp, source, &kopts, err);
        if (rc != 0) {
            /* the message outlives the entry's pool */
            *err = *err ? apr_pstrdup(p, *err) : NULL;
            apr_pool_destroy(kp);
            apr_thread_mutex_unlock(keycache->mutex);
            return rc;
        }
        apr_hash_set(keycache->entries, e->id, APR_HASH_KEY_STRING, e);
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, AJLOGNO(00157)
                      ".htaccess key cache: %s loaded from disk",
                      ap_escape_logitem(p, source));
    }
    e->refs++;
    apr_thread_mutex_unlock(keycache->mutex);

    ref = apr_palloc(p, sizeof(*ref));
    ref->entry = e;
    apr_pool_cleanup_register(p, ref, ref_cleanup, apr_pool_cleanup_null);
    for (i = 0; i < e->set->keys->nelts; i++) {
        APR_ARRAY_PUSH(set->keys, jwk_t *) =
            APR_ARRAY_IDX(e->set->keys, i, jwk_t *);
    }
    return 0;
}

static void keycache_child_init(apr_pool_t *pchild, server_rec *s)
{
    keycache_t *kc = apr_pcalloc(pchild, sizeof(*kc));

    /* The pool is unmanaged, not a child of PCHILD: it is never destroyed,
     * and its keys go with the child's memory.  Destroying it with PCHILD
     * would free keys inside prefork's SIGTERM handler (see the token
     * cache in mod_authn_jwt_cache.c). */
    if (apr_thread_mutex_create(&kc->mutex, APR_THREAD_MUTEX_DEFAULT,
                                pchild) != APR_SUCCESS
        || apr_pool_create_unmanaged_ex(&kc->pool, NULL, NULL)
           != APR_SUCCESS) {
        /* without the cache .htaccess keys load per request, as before */
        return;
    }
    kc->entries = apr_hash_make(kc->pool);
    (void)s;
    keycache = kc;
}

void authn_jwt_register_keycache(apr_pool_t *p)
{
    (void)p;
    ap_hook_child_init(keycache_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
