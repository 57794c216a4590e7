/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * mod_authn_jwt_remote.c: AuthJWTVerifyKey https://... (manual #idp): key
 * sets fetched from a JWKS URI or through a discovery document, shared by
 * every child, refreshed in the background, kept through outages and
 * across restarts.
 *
 * Who does what:
 * - Directives register a *source* per URL (and CA file) for the whole
 *   server, and a *binding* (the line's alg=, kid=, iss=) per line.
 * - post_config (parent, before any child exists) creates one anonymous
 *   shared-memory slot per source and fills it: from the previous
 *   generation on a graceful restart, else by fetching (at most
 *   AuthJWTKeysTimeout), else from AuthJWTKeysCacheDir.  It parses each
 *   binding once; the children inherit those sets.
 * - One fetcher for the server: a singleton callback of mod_watchdog
 *   (compiled into Debian's apache2), i.e. a thread in exactly one child at
 *   a time, with a successor taking over when that child exits.  Not a
 *   thread of our own: mod_watchdog already solves election, child
 *   recycling and shutdown, and a thread in the parent would fork while
 *   holding curl's or OpenSSL's locks (mod_watchdog refuses parent threads
 *   under forked MPMs for the same reason).  Each 100 ms it looks for a due
 *   refresh or a refetch asked for by a request; a fetch writes the new
 *   body into the idle half of the slot's double buffer, then bumps the
 *   slot's generation.
 * - Requests compare the slot's generation with the one their binding
 *   parsed (one atomic read); on a change, one thread of the child parses
 *   the new set (off shared memory, into a pool of its own) while others
 *   go on with the old one.  A set is reference counted: a request holds
 *   it until its pool is cleared, and the replaced set is destroyed when
 *   its last holder lets go.
 * The six AuthJWTKeys* directives and the metrics families are in
 * mod_authn_jwt_remote_conf.c.
 *
 * - Unknown kid: jwks_rate_take on the slot grants one refetch per
 *   AuthJWTKeysMinRefresh to one request of the whole server; that request
 *   waits up to AuthJWTKeysTimeout for the fetcher, the others answer from
 *   the current set.
 */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_mpm.h"
#include "mod_watchdog.h"
#include "unixd.h"

#include "apr_atomic.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include "jose_util.h"
#include "jwks_remote.h"
#include "mod_authn_jwt.h"

#if defined(__has_include)
#if __has_include("authn_jwt_version.h")
#include "authn_jwt_version.h"
#endif
#endif
#ifndef AUTHN_JWT_VERSION_STRING
#define AUTHN_JWT_VERSION_STRING "mod_authn_jwt"
#endif

APLOG_USE_MODULE(authn_jwt);

#define WATCHDOG_NAME      "_authn_jwt_keys_"
#define USERDATA_CARRY     "authn_jwt_remote_carry"
#define USERDATA_REGISTRY  "authn_jwt_remote_registry"
#define USERDATA_CURL      "authn_jwt_remote_curl"
#define DEFAULT_CACHE_DIR  "authn_jwt-keys"
/* how often a waiting request looks at the slot */
#define WAIT_STEP          APR_TIME_C(20000)

/* Slot states: what the log says once per change, and what requests do. */
enum {
    KS_EMPTY = 0,       /* no set at all: 503                             */
    KS_FRESH,           /* the last fetch succeeded                       */
    KS_FAILING,         /* fetches fail, the last good set is used        */
    KS_STALE,           /* fetches failed for longer than MaxStale: 503   */
    KS_UNKNOWN          /* before the first fetch of a start-up          */
};

static const char *const state_names[] = {
    "empty", "fresh", "failing", "stale"
};

/* One source in shared memory.  The fetcher (one thread of one child) is
 * the only writer after start-up; requests of every child read. */
typedef struct {
    volatile apr_uint32_t gen;          /* bumped after each new set      */
    volatile apr_uint32_t cur;          /* buffer of the current set      */
    volatile apr_uint32_t want_seq;     /* refetch tickets handed out     */
    volatile apr_uint32_t done_seq;     /* tickets served by a finished
                                         * fetch (taken at its start)     */
    volatile apr_uint32_t last_forced;  /* jwks_rate_take                 */
    volatile apr_uint32_t good_at;      /* last 200/304 (s); 0: never     */
    volatile apr_uint32_t next_due;     /* next regular fetch (s)         */
    volatile apr_uint32_t state;
    volatile apr_uint32_t keys;         /* usable keys in the current set */
    volatile apr_uint32_t n_ok, n_not_modified, n_failed, n_invalid;
    volatile apr_uint32_t n_suppressed;
    apr_uint32_t len[2];
    char issuer[2][JWKS_MAX_URL + 1];
    char jwks_uri[JWKS_MAX_URL + 1];
    char etag[JWKS_MAX_ETAG + 1];
    char body[2][JWKS_MAX_BODY];
} slot_t;

/* Everything a source was configured with: the settings of the first
 * server that names it. */
typedef struct {
    const char *url;
    const char *key;                    /* url + CA file: the identity    */
    int index;                          /* 1.., the metrics label         */
    server_rec *s;                      /* the server that named it       */
    apr_int64_t refresh, min_refresh, max_stale, timeout;
    const char *ca_file, *cache_dir;
    slot_t *slot;                       /* NULL before post_config        */
} source_t;

/* A parsed key set of one binding, shared by the requests of a child. */
typedef struct {
    jwk_set_t *set;
    apr_array_header_t *kids;           /* every kid of the document, also
                                         * of keys this line filtered out */
    apr_pool_t *pool;                   /* its own; NULL: pconf (never
                                         * freed, inherited from parent)  */
    apr_uint32_t refs;                  /* under the binding's mutex      */
} keyset_t;

struct authn_jwt_remote_t {
    source_t *src;
    jwk_load_opts_t opts;               /* alg=, kid=, iss= of the line   */
    apr_thread_mutex_t *mutex;          /* cur and refs                   */
    apr_thread_mutex_t *reload;         /* one parser at a time           */
    keyset_t *cur;
    volatile apr_uint32_t gen;          /* slot generation cur came from;
                                         * read by any thread (atomics)   */
    apr_uint32_t warned_gen;            /* last generation refused; under
                                         * the reload mutex               */
};

typedef struct {
    apr_array_header_t *sources;        /* of source_t *                  */
    apr_array_header_t *bindings;       /* of authn_jwt_remote_t *        */
    apr_shm_t *shm;
    pid_t parent;
} registry_t;

/* What the parent keeps of a source across a graceful restart, in the
 * process pool, keyed by source_t.key: one buffer per key, reused. */
/* The scalars of slot_t a graceful restart carries over, listed once for
 * the struct below and both copies. */
#define CARRIED_SCALARS(X) \
    X(good_at) X(next_due) X(state) X(keys) X(last_forced) \
    X(n_ok) X(n_not_modified) X(n_failed) X(n_invalid) X(n_suppressed)
#define CARRY_DECLARE(f) apr_uint32_t f;
#define CARRY_SAVE(f)    c->f = sl->f;
#define CARRY_LOAD(f)    sl->f = c->f;

typedef struct {
    int valid;
    CARRIED_SCALARS(CARRY_DECLARE)
    apr_uint32_t len;
    char issuer[JWKS_MAX_URL + 1];
    char jwks_uri[JWKS_MAX_URL + 1];
    char etag[JWKS_MAX_ETAG + 1];
    char *body;                         /* JWKS_MAX_BODY bytes            */
} carry_t;

static apr_uint32_t now_sec(void)
{
    return (apr_uint32_t)apr_time_sec(apr_time_now());
}

/* ---- server configuration (mod_authn_jwt_remote_conf.c) ---- */

static authn_jwt_srv_conf_t *srv_conf(server_rec *s)
{
    return ap_get_module_config(s->module_config, &authn_jwt_module);
}

/* ---- AuthJWTVerifyKey https://... ---- */

static registry_t *registry_get(apr_pool_t *pconf, int create)
{
    registry_t *reg = NULL;

    apr_pool_userdata_get((void **)&reg, USERDATA_REGISTRY, pconf);
    if (reg == NULL && create) {
        reg = apr_pcalloc(pconf, sizeof(*reg));
        reg->sources = apr_array_make(pconf, 4, sizeof(source_t *));
        reg->bindings = apr_array_make(pconf, 4,
                                       sizeof(authn_jwt_remote_t *));
        apr_pool_userdata_set(reg, USERDATA_REGISTRY, apr_pool_cleanup_null,
                              pconf);
    }
    return reg;
}

const char *authn_jwt_remote_add(cmd_parms *cmd, authn_jwt_dir_conf_t *conf,
                                 const jwk_load_opts_t *opts,
                                 const char *url)
{
    registry_t *reg;
    source_t *src = NULL;
    authn_jwt_remote_t *b;
    const char *err = NULL;
    int i;

    if (opts->use != JOSE_USE_SIG) {
        return apr_psprintf(cmd->pool, "%s: remote key sets give "
                            "verification keys only; name a local key file",
                            cmd->cmd->name);
    }
    if (jwks_url_check(cmd->temp_pool, url, &err) != 0) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err);
    }
    /* .htaccess is read per request, long after the fetcher started */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_RUN_MPM) {
        return apr_psprintf(cmd->pool, "%s: https:// key sets cannot be "
                            "named in .htaccess files; put the line in the "
                            "server configuration", cmd->cmd->name);
    }
    reg = registry_get(cmd->server->process->pconf, 1);
    /* One source per URL and server: the server's AuthJWTKeys* settings
     * (known only at post_config, they may come later in the file) apply
     * to it. */
    for (i = 0; i < reg->sources->nelts; i++) {
        source_t *s = APR_ARRAY_IDX(reg->sources, i, source_t *);

        if (strcmp(s->url, url) == 0 && s->s == cmd->server) {
            src = s;
            break;
        }
    }
    if (src == NULL) {
        src = apr_pcalloc(cmd->pool, sizeof(*src));
        src->url = apr_pstrdup(cmd->pool, url);
        src->s = cmd->server;
        src->index = reg->sources->nelts + 1;
        APR_ARRAY_PUSH(reg->sources, source_t *) = src;
    }
    b = apr_pcalloc(cmd->pool, sizeof(*b));
    b->src = src;
    b->opts = *opts;
    b->opts.base_dir = NULL;
    APR_ARRAY_PUSH(reg->bindings, authn_jwt_remote_t *) = b;
    if (conf->remote_keys == NULL) {
        conf->remote_keys = apr_array_make(cmd->pool, 1,
                                           sizeof(authn_jwt_remote_t *));
    }
    APR_ARRAY_PUSH(conf->remote_keys, authn_jwt_remote_t *) = b;
    conf->verify_keys_set = 1;
    return NULL;
}

/* ---- reading a slot ---- */

/* Copy the current set of SLOT into P: body, issuer; returns the
 * generation copied, or 0 when the slot has none. */
static apr_uint32_t slot_copy(slot_t *slot, apr_pool_t *p,
                              char **body, apr_size_t *len,
                              const char **issuer)
{
    int tries;

    for (tries = 0; tries < 8; tries++) {
        apr_uint32_t g1 = apr_atomic_read32(&slot->gen), g2, c, l;

        if (g1 == 0) {
            return 0;
        }
        c = apr_atomic_read32(&slot->cur) & 1;
        l = slot->len[c];
        if (l > JWKS_MAX_BODY) {
            continue;
        }
        *body = apr_pstrmemdup(p, slot->body[c], l);
        *len = l;
        *issuer = slot->issuer[c][0] ? apr_pstrndup(p, slot->issuer[c],
                                                    JWKS_MAX_URL) : NULL;
        g2 = apr_atomic_read32(&slot->gen);
        if (g1 == g2) {
            return g1;
        }
    }
    return 0;
}

/* Parse the set of BINDING from BODY into a new keyset in its own pool
 * (or in PCONF at start-up).  NULL with *ERR on failure. */
static keyset_t *keyset_parse(authn_jwt_remote_t *b, apr_pool_t *pconf,
                              const char *body, apr_size_t len,
                              const char *issuer, const char **err)
{
    apr_pool_t *p = pconf;
    keyset_t *ks;
    jwk_load_opts_t o = b->opts;

    if (p == NULL && apr_pool_create_unmanaged_ex(&p, NULL, NULL)
                     != APR_SUCCESS) {
        *err = "out of memory";
        return NULL;
    }
    ks = apr_pcalloc(p, sizeof(*ks));
    ks->set = jwk_set_make(p);
    ks->pool = pconf ? NULL : p;
    ks->refs = 1;                       /* the binding's own reference */
    if (o.iss == NULL) {
        o.iss = issuer;                 /* the discovery document's     */
    }
    if (jwks_parse_keys(ks->set, p, body, len, &o, b->src->url, err) != 0
        || jwk_set_check(ks->set, err) != 0) {
        if (pconf == NULL) {
            apr_pool_destroy(p);
        }
        return NULL;
    }
    ks->kids = apr_array_make(p, 4, sizeof(const char *));
    {
        json_t *doc = NULL, *k;
        size_t i;

        if (jose_json_object(&doc, p, body, len) == JWT_OK) {
            json_array_foreach(json_object_get(doc, "keys"), i, k) {
                const char *kid = jose_json_str(k, "kid", NULL);

                if (kid != NULL) {
                    APR_ARRAY_PUSH(ks->kids, const char *)
                        = apr_pstrdup(p, kid);
                }
            }
        }
    }
    return ks;
}

static void keyset_release(authn_jwt_remote_t *b, keyset_t *ks)
{
    int last;

    if (ks == NULL) {
        return;
    }
    apr_thread_mutex_lock(b->mutex);
    last = --ks->refs == 0;
    apr_thread_mutex_unlock(b->mutex);
    if (last && ks->pool != NULL) {
        apr_pool_destroy(ks->pool);
    }
}

/* A new generation is in the slot: parse it, once per child.  A thread
 * that finds another one parsing goes on with the current set. */
static void binding_reload(authn_jwt_remote_t *b, server_rec *s,
                           apr_pool_t *tmp, apr_uint32_t want_gen)
{
    keyset_t *ks, *old;
    char *body = NULL;
    apr_size_t len = 0;
    const char *issuer = NULL, *err = NULL;
    apr_uint32_t g;

    if (apr_thread_mutex_trylock(b->reload) != APR_SUCCESS) {
        return;
    }
    if (apr_atomic_read32(&b->gen) == want_gen
        || b->warned_gen == want_gen) {
        apr_thread_mutex_unlock(b->reload);
        return;
    }
    g = slot_copy(b->src->slot, tmp, &body, &len, &issuer);
    if (g == 0) {
        apr_thread_mutex_unlock(b->reload);
        return;
    }
    ks = keyset_parse(b, NULL, body, len, issuer, &err);
    if (ks == NULL) {
        /* the fetcher checked the set; this line's alg=/kid= left nothing:
         * keep the keys this line had */
        b->warned_gen = g;
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, AJLOGNO(00229)
                     "key set of %s (generation %u): %s; this "
                     "AuthJWTVerifyKey line keeps its previous keys",
                     b->src->url, g, err ? err : "unusable");
        apr_thread_mutex_unlock(b->reload);
        return;
    }
    apr_thread_mutex_lock(b->mutex);
    old = b->cur;
    b->cur = ks;
    apr_atomic_set32(&b->gen, g);
    apr_thread_mutex_unlock(b->mutex);
    apr_thread_mutex_unlock(b->reload);
    keyset_release(b, old);
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, AJLOGNO(00228)
                 "key set of %s: generation %u loaded, %d key(s)",
                 b->src->url, g, jwk_set_size(ks->set));
}

typedef struct {
    authn_jwt_remote_t *b;
    keyset_t *ks;
} hold_t;

static apr_status_t hold_release(void *data)
{
    hold_t *h = data;

    keyset_release(h->b, h->ks);
    return APR_SUCCESS;
}

/* The current set of B for R, held until R's pool is cleared; NULL when
 * there is none or it is older than MaxStale. */
static const jwk_set_t *binding_acquire(authn_jwt_remote_t *b,
                                        const request_rec *r,
                                        int *unavailable)
{
    slot_t *slot = b->src->slot;
    apr_uint32_t g, good_at;
    hold_t *h;

    if (slot == NULL) {
        *unavailable = 1;
        return NULL;
    }
    g = apr_atomic_read32(&slot->gen);
    if (g != 0 && g != apr_atomic_read32(&b->gen)) {
        binding_reload(b, r->server, r->pool, g);
    }
    good_at = apr_atomic_read32(&slot->good_at);
    if (good_at == 0 || (apr_int64_t)apr_time_sec(r->request_time)
                        - (apr_int64_t)good_at > b->src->max_stale) {
        *unavailable = 1;
        return NULL;
    }
    h = apr_palloc(r->pool, sizeof(*h));
    h->b = b;
    apr_thread_mutex_lock(b->mutex);
    h->ks = b->cur;
    if (h->ks != NULL) {
        h->ks->refs++;
    }
    apr_thread_mutex_unlock(b->mutex);
    if (h->ks == NULL) {
        *unavailable = 1;
        return NULL;
    }
    apr_pool_cleanup_register(r->pool, h, hold_release,
                              apr_pool_cleanup_null);
    return h->ks->set;
}

jwt_status_t authn_jwt_remote_keys(const request_rec *r,
                                   const authn_jwt_dir_conf_t *conf,
                                   const jwk_set_t **keys)
{
    const jwk_set_t *one = NULL;
    jwk_set_t *all;
    int i, j, unavailable = 0, found = 0;

    if (conf->remote_keys == NULL) {
        *keys = conf->verify_keys;
        return JWT_OK;
    }
    /* the common case, one remote set and no file: no copy */
    if (conf->remote_keys->nelts == 1 && jwk_set_size(conf->verify_keys)
                                         == 0) {
        one = binding_acquire(APR_ARRAY_IDX(conf->remote_keys, 0,
                                            authn_jwt_remote_t *),
                              r, &unavailable);
        *keys = one;
        return one != NULL ? JWT_OK : JWT_ERR_KEYS_UNAVAILABLE;
    }
    all = jwk_set_make(r->pool);
    for (j = 0; j < jwk_set_size(conf->verify_keys); j++) {
        APR_ARRAY_PUSH(all->keys, jwk_t *)
            = APR_ARRAY_IDX(conf->verify_keys->keys, j, jwk_t *);
    }
    for (i = 0; i < conf->remote_keys->nelts; i++) {
        const jwk_set_t *set = binding_acquire(
            APR_ARRAY_IDX(conf->remote_keys, i, authn_jwt_remote_t *), r,
            &unavailable);

        for (j = 0; j < jwk_set_size(set); j++) {
            APR_ARRAY_PUSH(all->keys, jwk_t *)
                = APR_ARRAY_IDX(set->keys, j, jwk_t *);
            found++;
        }
    }
    *keys = all;
    /* a location with one provider down still serves the others */
    return unavailable && found == 0 && jwk_set_size(conf->verify_keys) == 0
           ? JWT_ERR_KEYS_UNAVAILABLE : JWT_OK;
}

int authn_jwt_remote_any_unavailable(request_rec *r,
                                     const authn_jwt_dir_conf_t *conf)
{
    int i;
    apr_int64_t now = apr_time_sec(r->request_time);

    for (i = 0; conf->remote_keys && i < conf->remote_keys->nelts; i++) {
        authn_jwt_remote_t *b = APR_ARRAY_IDX(conf->remote_keys, i,
                                              authn_jwt_remote_t *);
        apr_uint32_t good_at = b->src->slot
            ? apr_atomic_read32(&b->src->slot->good_at) : 0;

        if (good_at == 0 || now - (apr_int64_t)good_at
                            > b->src->max_stale) {
            return 1;
        }
    }
    return 0;
}

long authn_jwt_remote_retry_after(const authn_jwt_dir_conf_t *conf)
{
    long best = 0;
    apr_uint32_t now = now_sec();
    int i;

    for (i = 0; conf->remote_keys && i < conf->remote_keys->nelts; i++) {
        authn_jwt_remote_t *b = APR_ARRAY_IDX(conf->remote_keys, i,
                                              authn_jwt_remote_t *);
        long wait = (long)b->src->min_refresh;

        if (b->src->slot != NULL) {
            apr_uint32_t due = apr_atomic_read32(&b->src->slot->next_due);

            wait = due > now ? (long)(due - now) : 1;
        }
        if (best == 0 || wait < best) {
            best = wait;
        }
    }
    return best < 1 ? 1 : best > 3600 ? 3600 : best;
}

/* KID is in the document KS came from (a key this line's alg= or kid=
 * left out is no reason to fetch again). */
static int keyset_has_kid(const keyset_t *ks, const char *kid)
{
    int i;

    for (i = 0; ks->kids != NULL && i < ks->kids->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(ks->kids, i, const char *), kid) == 0) {
            return 1;
        }
    }
    return 0;
}

int authn_jwt_remote_refetch(request_rec *r,
                             const authn_jwt_dir_conf_t *conf,
                             const char *kid, const char *iss)
{
    apr_uint32_t ticket[16];
    authn_jwt_remote_t *asked[16];
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(r->request_time);
    apr_time_t deadline;
    int i, n = 0, changed = 0;

    if (kid == NULL || conf->remote_keys == NULL) {
        return 0;
    }
    for (i = 0; i < conf->remote_keys->nelts && n < 16; i++) {
        authn_jwt_remote_t *b = APR_ARRAY_IDX(conf->remote_keys, i,
                                              authn_jwt_remote_t *);
        slot_t *slot = b->src->slot;
        const char *biss = b->opts.iss;
        int known;

        if (slot == NULL) {
            continue;
        }
        /* a token of another provider is no reason to ask this one */
        if (biss != NULL && iss != NULL && strcmp(biss, iss) != 0) {
            continue;
        }
        apr_thread_mutex_lock(b->mutex);
        known = b->cur != NULL && keyset_has_kid(b->cur, kid);
        apr_thread_mutex_unlock(b->mutex);
        if (known) {
            continue;
        }
        if (!jwks_rate_take(&slot->last_forced, now,
                            (uint32_t)b->src->min_refresh)) {
            apr_atomic_inc32(&slot->n_suppressed);
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJLOGNO(00231)
                          "unknown kid \"%s\": refetch of %s suppressed "
                          "(AuthJWTKeysMinRefresh %" APR_INT64_T_FMT ")",
                          authn_jwt_log_item(r->pool, kid), b->src->url,
                          b->src->min_refresh);
            continue;
        }
        /* a ticket: only a fetch that starts after it serves it, not
         * one that was already running when the new key was published */
        ticket[n] = apr_atomic_inc32(&slot->want_seq) + 1;
        asked[n++] = b;
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJLOGNO(00230)
                      "unknown kid \"%s\": refetching %s",
                      authn_jwt_log_item(r->pool, kid), b->src->url);
    }
    if (n == 0) {
        return 0;
    }
    /* wait for the fetcher: at most AuthJWTKeysTimeout, and a tick */
    deadline = apr_time_now() + apr_time_from_sec(asked[0]->src->timeout)
               + APR_TIME_C(300000);
    for (;;) {
        int done = 0;

        for (i = 0; i < n; i++) {
            done += (apr_int32_t)(apr_atomic_read32(
                        &asked[i]->src->slot->done_seq) - ticket[i]) >= 0;
        }
        if (done == n || apr_time_now() >= deadline) {
            break;
        }
        apr_sleep(WAIT_STEP);
    }
    for (i = 0; i < n; i++) {
        apr_uint32_t g = apr_atomic_read32(&asked[i]->src->slot->gen);

        if (g != apr_atomic_read32(&asked[i]->gen)) {
            binding_reload(asked[i], r->server, r->pool, g);
            changed = 1;
        }
    }
    return changed;
}

/* ---- metrics ---- */

apr_array_header_t *authn_jwt_keys_stats(apr_pool_t *p)
{
    authn_jwt_srv_conf_t *mc = ap_server_conf ? srv_conf(ap_server_conf)
                                              : NULL;
    registry_t *reg = mc ? mc->remote : NULL;
    apr_array_header_t *out = apr_array_make(p, 2,
                                             sizeof(authn_jwt_keys_stats_t));
    int i;

    for (i = 0; reg != NULL && i < reg->sources->nelts; i++) {
        source_t *src = APR_ARRAY_IDX(reg->sources, i, source_t *);
        authn_jwt_keys_stats_t *st = &APR_ARRAY_PUSH(out,
                                                     authn_jwt_keys_stats_t);
        slot_t *sl = src->slot;
        apr_uint32_t state;

        memset(st, 0, sizeof(*st));
        st->index = src->index;
        st->url = src->url;
        if (sl == NULL) {
            st->state = state_names[KS_EMPTY];
            continue;
        }
        st->fetch_ok = apr_atomic_read32(&sl->n_ok);
        st->fetch_not_modified = apr_atomic_read32(&sl->n_not_modified);
        st->fetch_failed = apr_atomic_read32(&sl->n_failed);
        st->fetch_invalid = apr_atomic_read32(&sl->n_invalid);
        st->refetch_suppressed = apr_atomic_read32(&sl->n_suppressed);
        st->keys = apr_atomic_read32(&sl->keys);
        st->last_good = apr_time_from_sec(apr_atomic_read32(&sl->good_at));
        state = apr_atomic_read32(&sl->state);
        st->state = state_names[state <= KS_STALE ? state : KS_EMPTY];
    }
    return out;
}

/* ---- the fetcher ---- */

static const char *user_agent(apr_pool_t *p)
{
    return apr_pstrcat(p, AUTHN_JWT_VERSION_STRING,
                       " (key set fetcher; Apache httpd)", NULL);
}

/* Count the keys a body offers to a verifier at all (the check before a
 * set is published: an empty or broken set never replaces a good one). */
static int body_check(apr_pool_t *p, const char *url, const char *body,
                      apr_size_t len, const char **err)
{
    jwk_load_opts_t o;
    jwk_set_t *set = jwk_set_make(p);

    memset(&o, 0, sizeof(o));
    o.use = JOSE_USE_SIG;
    if (jwks_parse_keys(set, p, body, len, &o, url, err) != 0) {
        return -1;
    }
    return jwk_set_size(set);
}

static void cache_save(source_t *src, apr_pool_t *p, const char *jwks_uri,
                       const char *issuer, const char *etag,
                       apr_uint32_t when, const char *body, apr_size_t len)
{
    jwks_cache_entry_t e;
    const char *path = NULL, *err = NULL;

    memset(&e, 0, sizeof(e));
    e.uri = src->key;
    e.jwks_uri = jwks_uri;
    e.issuer = issuer;
    e.etag = etag;
    e.fetched = when;
    e.body = body;
    e.len = len;
    if (jwks_cache_write(&path, p, src->cache_dir, &e, &err) != 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, src->s, AJLOGNO(00226)
                     "key set of %s could not be kept in "
                     "AuthJWTKeysCacheDir: %s", src->url, err);
        return;
    }
    /* written by the parent at start-up: hand it to the children's user */
    if (geteuid() == 0 && chown(path, ap_unixd_config.user_id,
                                ap_unixd_config.group_id) != 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, errno, src->s,
                     AJLOGNO(00238) "cannot chown %s", path);
    }
}

static void slot_publish(slot_t *slot, const char *body, apr_size_t len,
                         const char *issuer, const char *jwks_uri,
                         const char *etag)
{
    apr_uint32_t next = (apr_atomic_read32(&slot->cur) + 1) & 1;

    memcpy(slot->body[next], body, len);
    slot->len[next] = (apr_uint32_t)len;
    apr_cpystrn(slot->issuer[next], issuer ? issuer : "",
                sizeof(slot->issuer[next]));
    apr_cpystrn(slot->jwks_uri, jwks_uri ? jwks_uri : "",
                sizeof(slot->jwks_uri));
    apr_cpystrn(slot->etag, etag ? etag : "", sizeof(slot->etag));
    /* the atomics are full barriers: the body is in place before the
     * generation that announces it */
    apr_atomic_set32(&slot->cur, next);
    apr_atomic_inc32(&slot->gen);
}

/* Log a state change, once: the fetcher is the only writer of state. */
static void slot_state(source_t *src, apr_uint32_t state, const char *why)
{
    slot_t *slot = src->slot;
    apr_uint32_t old = apr_atomic_xchg32(&slot->state, state);

    if (old == state) {
        return;
    }
    switch (state) {
    case KS_FAILING:
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, src->s, AJLOGNO(00221)
                     "key set of %s cannot be refreshed (%s); the last good "
                     "set stays in use for up to %" APR_INT64_T_FMT " s "
                     "(AuthJWTKeysMaxStale)", src->url, why,
                     src->max_stale);
        break;
    case KS_STALE:
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, src->s, AJLOGNO(00222)
                     "key set of %s is older than AuthJWTKeysMaxStale "
                     "(%" APR_INT64_T_FMT " s) and cannot be refreshed "
                     "(%s): tokens that need it are answered 503",
                     src->url, src->max_stale, why ? why : "no answer");
        break;
    case KS_EMPTY:
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, src->s, AJLOGNO(00224)
                     "no key set for %s yet (%s): tokens that need it are "
                     "answered 503 until a fetch succeeds", src->url,
                     why ? why : "not fetched");
        break;
    default:
        if (old != KS_UNKNOWN) {
            ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, src->s, AJLOGNO(00223)
                         "key set of %s refreshed again after a failure",
                         src->url);
        }
        break;
    }
}

/* ---- the fetcher and the end of its child ----
 *
 * mod_watchdog's thread is not joined when a child exits: exit() runs
 * OpenSSL's atexit cleanup while the thread may be inside a TLS handshake,
 * which then crashes the child.  So a fetch runs between fetch_begin() and
 * fetch_end(), and the child pool's cleanup fetcher_quiesce() (which every
 * MPM runs before exit(); prefork inside its SIGTERM handler) forbids new
 * fetches, aborts the current one through curl's progress callback, and
 * waits for it to end.  Only atomics and sleeps there: nothing that takes
 * a lock or allocates, which the SIGTERM handler must not. */
#define FETCH_BUSY          1u          /* a fetch is running             */
#define FETCH_STOP          2u          /* the child is exiting           */
#define QUIESCE_STEP        APR_TIME_C(5000)
#define QUIESCE_MAX         APR_TIME_C(1500000)

/* One word per process: the fetcher thread and the exiting thread. */
static volatile apr_uint32_t fetcher_state;

static int fetch_begin(void)
{
    return apr_atomic_cas32(&fetcher_state, FETCH_BUSY, 0) == 0;
}

static void fetch_end(void)
{
    apr_uint32_t s;

    do {
        s = apr_atomic_read32(&fetcher_state);
    } while (apr_atomic_cas32(&fetcher_state, s & ~FETCH_BUSY, s) != s);
}

static apr_status_t fetcher_quiesce(void *data)
{
    apr_uint32_t s;
    apr_time_t waited = 0;

    (void)data;
    do {
        s = apr_atomic_read32(&fetcher_state);
    } while (apr_atomic_cas32(&fetcher_state, s | FETCH_STOP, s) != s);
    /* curl calls the progress callback at least once a second */
    while ((apr_atomic_read32(&fetcher_state) & FETCH_BUSY)
           && waited < QUIESCE_MAX) {
        apr_sleep(QUIESCE_STEP);
        waited += QUIESCE_STEP;
    }
    return APR_SUCCESS;
}

/* curl's progress callback: a child that is told to stop does not wait
 * for a slow provider. */
static int mpm_stopping(void *baton)
{
    int state = AP_MPMQ_RUNNING;

    (void)baton;
    if (apr_atomic_read32(&fetcher_state) & FETCH_STOP) {
        return 1;
    }
    return ap_mpm_query(AP_MPMQ_MPM_STATE, &state) == APR_SUCCESS
           && state == AP_MPMQ_STOPPING;
}

/* One fetch of SRC and what follows from it.  STOP aborts (shutdown). */
static int source_fetch(source_t *src, apr_pool_t *p, int in_child,
                        int at_startup, const char **why)
{
    slot_t *slot = src->slot;
    jwks_fetch_opts_t fo;
    jwks_fetch_result_t res;
    const char *issuer = NULL, *jwks_uri = NULL, *err = NULL, *result;
    apr_uint32_t now, serves = apr_atomic_read32(&slot->want_seq);
    int keys = -1, rv, invalid = 0;

    memset(&fo, 0, sizeof(fo));
    fo.url = src->url;
    fo.ca_file = src->ca_file;
    fo.timeout = (long)src->timeout;
    fo.etag = apr_atomic_read32(&slot->gen) != 0 && slot->etag[0]
              ? apr_pstrdup(p, slot->etag) : NULL;
    fo.user_agent = user_agent(p);
    fo.stop = in_child ? mpm_stopping : NULL;
    rv = jwks_fetch_source(&res, &issuer, &jwks_uri, p, &fo);
    if (rv != 0 && in_child && mpm_stopping(NULL)) {
        /* shutting down: not the provider's fault */
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, src->s, AJLOGNO(00242)
                     "key set fetch of %s stopped: the child is exiting",
                     src->url);
        return rv;
    }
    now = now_sec();
    if (rv == 0 && !res.not_modified) {
        keys = body_check(p, src->url, res.body, res.len, &err);
        if (keys < 0) {
            rv = -1;
            invalid = 1;
            res.error = err;
            apr_atomic_inc32(&slot->n_invalid);
        }
    }
    if (rv == 0) {
        apr_int64_t next = jwks_refresh_interval(res.have_max_age,
                                                 res.max_age, src->refresh);

        if (res.not_modified) {
            result = "not modified";
            apr_atomic_inc32(&slot->n_not_modified);
            keys = (int)apr_atomic_read32(&slot->keys);
        }
        else {
            result = "new set";
            slot_publish(slot, res.body, res.len, issuer, jwks_uri,
                         res.etag);
            apr_atomic_set32(&slot->keys, (apr_uint32_t)keys);
            apr_atomic_inc32(&slot->n_ok);
        }
        apr_atomic_set32(&slot->good_at, now);
        apr_atomic_set32(&slot->next_due, now + (apr_uint32_t)next);
        if (!res.not_modified || at_startup) {
            cache_save(src, p, jwks_uri, issuer, slot->etag, now,
                       res.not_modified ? slot->body[slot->cur & 1]
                                        : res.body,
                       res.not_modified ? slot->len[slot->cur & 1]
                                        : res.len);
        }
        slot_state(src, KS_FRESH, NULL);
    }
    else {
        apr_uint32_t good_at = apr_atomic_read32(&slot->good_at);
        apr_uint32_t retry = (apr_uint32_t)(src->min_refresh < src->refresh
                                            ? src->min_refresh
                                            : src->refresh);

        result = invalid ? "refused" : "failed";
        if (!invalid) {
            apr_atomic_inc32(&slot->n_failed);
        }
        apr_atomic_set32(&slot->next_due, now + retry);
        if (at_startup) {
            /* the caller decides, once it knows about the cache file */
        }
        else if (good_at == 0) {
            slot_state(src, KS_EMPTY, res.error);
        }
        else if ((apr_int64_t)now - good_at > src->max_stale) {
            slot_state(src, KS_STALE, res.error);
        }
        else {
            slot_state(src, KS_FAILING, res.error);
        }
    }
    apr_atomic_set32(&slot->done_seq, serves);
    if (at_startup) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, src->s, AJLOGNO(00237)
                     "start-up fetch of %s: result=%s status=%ld keys=%d "
                     "etag_hit=%s duration=%.3fs%s%s", src->url, result,
                     res.http_status, keys, res.not_modified ? "yes" : "no",
                     res.seconds, rv ? " error=" : "",
                     rv ? res.error : "");
    }
    else {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, src->s, AJLOGNO(00220)
                     "key set fetch of %s: result=%s status=%ld keys=%d "
                     "etag_hit=%s duration=%.3fs%s%s", src->url, result,
                     res.http_status, keys, res.not_modified ? "yes" : "no",
                     res.seconds, rv ? " error=" : "",
                     rv ? res.error : "");
    }
    if (why != NULL) {
        *why = res.error;
    }
    return rv;
}

static apr_status_t fetcher_tick(int state, void *data, apr_pool_t *pool)
{
    registry_t *reg = data;
    int i;

    if (state == AP_WATCHDOG_STATE_STOPPING) {
        return APR_SUCCESS;
    }
    for (i = 0; i < reg->sources->nelts; i++) {
        source_t *src = APR_ARRAY_IDX(reg->sources, i, source_t *);
        slot_t *slot = src->slot;
        apr_uint32_t now = now_sec(), state_now, good_at;

        if (slot == NULL) {
            continue;
        }
        /* a set that ages past MaxStale: said before any fetch, so the log
         * tells it whenever requests were answered 503 for it */
        state_now = apr_atomic_read32(&slot->state);
        good_at = apr_atomic_read32(&slot->good_at);
        if (state_now == KS_FAILING && good_at != 0
            && (apr_int64_t)now - good_at > src->max_stale) {
            slot_state(src, KS_STALE, "the last fetches failed");
        }
        if (apr_atomic_read32(&slot->want_seq)
            != apr_atomic_read32(&slot->done_seq)
            || now >= apr_atomic_read32(&slot->next_due)) {
            apr_pool_t *p;

            if (!fetch_begin()) {
                return APR_SUCCESS;     /* the child is exiting */
            }
            apr_pool_create(&p, pool);
            source_fetch(src, p, 1, 0, NULL);
            apr_pool_destroy(p);
            fetch_end();
        }
    }
    return APR_SUCCESS;
}

/* ---- start-up ---- */

/* Save every slot into the process pool when the parent clears pconf
 * (restart), so the next generation starts from it without a fetch. */
static apr_status_t carry_save(void *data)
{
    registry_t *reg = data;
    apr_pool_t *pp;
    apr_hash_t *carry = NULL;
    int i;

    if (reg->shm == NULL || getpid() != reg->parent) {
        return APR_SUCCESS;
    }
    pp = APR_ARRAY_IDX(reg->sources, 0, source_t *)->s->process->pool;
    apr_pool_userdata_get((void **)&carry, USERDATA_CARRY, pp);
    if (carry == NULL) {
        carry = apr_hash_make(pp);
        apr_pool_userdata_set(carry, USERDATA_CARRY, apr_pool_cleanup_null,
                              pp);
    }
    for (i = 0; i < reg->sources->nelts; i++) {
        source_t *src = APR_ARRAY_IDX(reg->sources, i, source_t *);
        slot_t *sl = src->slot;
        carry_t *c = apr_hash_get(carry, src->key, APR_HASH_KEY_STRING);
        apr_uint32_t cur;

        if (sl == NULL || apr_atomic_read32(&sl->gen) == 0) {
            continue;
        }
        if (c == NULL) {
            const char *k = apr_pstrdup(pp, src->key);

            c = apr_pcalloc(pp, sizeof(*c));
            c->body = apr_palloc(pp, JWKS_MAX_BODY);
            apr_hash_set(carry, k, APR_HASH_KEY_STRING, c);
        }
        cur = sl->cur & 1;
        c->len = sl->len[cur];
        memcpy(c->body, sl->body[cur], c->len);
        memcpy(c->issuer, sl->issuer[cur], sizeof(c->issuer));
        memcpy(c->jwks_uri, sl->jwks_uri, sizeof(c->jwks_uri));
        memcpy(c->etag, sl->etag, sizeof(c->etag));
        CARRIED_SCALARS(CARRY_SAVE)
        c->valid = 1;
    }
    return APR_SUCCESS;
}

static int carry_restore(source_t *src, apr_pool_t *pp)
{
    apr_hash_t *carry = NULL;
    carry_t *c;
    slot_t *sl = src->slot;

    apr_pool_userdata_get((void **)&carry, USERDATA_CARRY, pp);
    c = carry ? apr_hash_get(carry, src->key, APR_HASH_KEY_STRING) : NULL;
    if (c == NULL || !c->valid) {
        return 0;
    }
    memcpy(sl->body[0], c->body, c->len);
    sl->len[0] = c->len;
    memcpy(sl->issuer[0], c->issuer, sizeof(c->issuer));
    memcpy(sl->jwks_uri, c->jwks_uri, sizeof(c->jwks_uri));
    memcpy(sl->etag, c->etag, sizeof(c->etag));
    CARRIED_SCALARS(CARRY_LOAD)
    sl->cur = 0;
    sl->gen = 1;
    return 1;
}

static int cache_restore(source_t *src, apr_pool_t *p)
{
    jwks_cache_entry_t e;
    const char *err = NULL;
    slot_t *sl = src->slot;
    int keys;

    if (jwks_cache_read(&e, p, src->cache_dir, src->key, &err) != 0) {
        if (err != NULL) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, src->s,
                         AJLOGNO(00227) "AuthJWTKeysCacheDir: %s", err);
        }
        return 0;
    }
    keys = body_check(p, src->url, e.body, e.len, &err);
    if (keys < 0) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, src->s, AJLOGNO(00239)
                     "the kept key set of %s is not usable: %s", src->url,
                     err);
        return 0;
    }
    slot_publish(sl, e.body, e.len, e.issuer, e.jwks_uri, e.etag);
    sl->good_at = (apr_uint32_t)e.fetched;
    sl->keys = (apr_uint32_t)keys;
    ap_log_error(APLOG_MARK, APLOG_WARNING, 0, src->s, AJLOGNO(00225)
                 "key set of %s taken from AuthJWTKeysCacheDir (fetched %"
                 APR_INT64_T_FMT " s ago)", src->url,
                 (apr_int64_t)now_sec() - e.fetched);
    return 1;
}

/* AuthJWTKeysCacheDir: created if missing, mode 0700, owned by the
 * children's user (they write it after a refresh). */
static const char *cache_dir_make(apr_pool_t *p, const char *dir)
{
    struct stat st;

    if (mkdir(dir, S_IRWXU) != 0 && errno != EEXIST) {
        return apr_psprintf(p, "cannot create %s: %s", dir,
                            strerror(errno));
    }
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return apr_psprintf(p, "%s is not a directory", dir);
    }
    if (chmod(dir, S_IRWXU) != 0) {
        return apr_psprintf(p, "cannot chmod %s: %s", dir, strerror(errno));
    }
    if (geteuid() == 0 && chown(dir, ap_unixd_config.user_id,
                                ap_unixd_config.group_id) != 0) {
        return apr_psprintf(p, "cannot chown %s to the User of the "
                            "children: %s", dir, strerror(errno));
    }
    return NULL;
}

static int remote_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *wd_get;
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *wd_register;
    registry_t *reg = registry_get(pconf, 0);
    ap_watchdog_t *wd = NULL;
    apr_size_t size;
    apr_status_t rv;
    void *flag = NULL;
    slot_t *slots;
    int i;

    (void)plog;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || reg == NULL || reg->sources->nelts == 0) {
        return OK;
    }
    srv_conf(s)->remote = reg;
    reg->parent = getpid();

    wd_get = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    wd_register = APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    if (wd_get == NULL || wd_register == NULL) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, AJLOGNO(00233)
                     "AuthJWTVerifyKey https://... needs mod_watchdog: "
                     "add LoadModule watchdog_module");
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    /* libcurl once per process, before any thread exists */
    apr_pool_userdata_get(&flag, USERDATA_CURL, s->process->pool);
    if (flag == NULL) {
        if (jwks_fetch_global_init() != 0) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, AJLOGNO(00234)
                         "libcurl could not be initialised");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        apr_pool_userdata_set((void *)1, USERDATA_CURL,
                              apr_pool_cleanup_null, s->process->pool);
    }

    size = sizeof(slot_t) * (apr_size_t)reg->sources->nelts;
    rv = apr_shm_create(&reg->shm, size, NULL, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, AJLOGNO(00235)
                     "cannot create %" APR_SIZE_T_FMT " bytes of shared "
                     "memory for the key sets", size);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    slots = apr_shm_baseaddr_get(reg->shm);
    memset(slots, 0, size);
    /* registered after the shm: runs before it is destroyed */
    apr_pool_cleanup_register(pconf, reg, carry_save, apr_pool_cleanup_null);

    for (i = 0; i < reg->sources->nelts; i++) {
        source_t *src = APR_ARRAY_IDX(reg->sources, i, source_t *);
        authn_jwt_srv_conf_t *c = srv_conf(src->s);
        const char *err;

        src->slot = &slots[i];
        src->refresh = c->keys_refresh;
        src->min_refresh = c->keys_min_refresh;
        src->max_stale = c->keys_max_stale;
        src->timeout = c->keys_timeout;
        src->ca_file = c->keys_ca_file;
        src->cache_dir = c->keys_cache_dir
            ? c->keys_cache_dir
            : ap_runtime_dir_relative(pconf, DEFAULT_CACHE_DIR);
        src->key = apr_pstrcat(pconf, src->url, "\n",
                               src->ca_file ? src->ca_file : "", NULL);
        if ((err = cache_dir_make(ptemp, src->cache_dir)) != NULL) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, AJLOGNO(00236)
                         "AuthJWTKeysCacheDir: %s; name a directory the "
                         "server may create and own", err);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        src->slot->state = KS_UNKNOWN;
        if (carry_restore(src, s->process->pool)) {
            continue;                   /* graceful restart: no fetch */
        }
        if (source_fetch(src, ptemp, 0, 1, &err) != 0) {
            const char *why = apr_pstrcat(ptemp, "start-up fetch: ", err,
                                          NULL);

            if (cache_restore(src, ptemp)) {
                slot_state(src, (apr_int64_t)now_sec() - src->slot->good_at
                                > src->max_stale ? KS_STALE : KS_FAILING,
                           why);
            }
            else {
                slot_state(src, KS_EMPTY, why);
            }
        }
    }

    /* parse every binding once; the children inherit the sets */
    for (i = 0; i < reg->bindings->nelts; i++) {
        authn_jwt_remote_t *b = APR_ARRAY_IDX(reg->bindings, i,
                                              authn_jwt_remote_t *);
        char *body = NULL;
        apr_size_t len = 0;
        const char *issuer = NULL, *err = NULL;
        apr_uint32_t g;

        apr_thread_mutex_create(&b->mutex, APR_THREAD_MUTEX_DEFAULT, pconf);
        apr_thread_mutex_create(&b->reload, APR_THREAD_MUTEX_DEFAULT, pconf);
        g = slot_copy(b->src->slot, ptemp, &body, &len, &issuer);
        if (g == 0) {
            continue;
        }
        b->cur = keyset_parse(b, pconf, body, len, issuer, &err);
        if (b->cur == NULL) {
            b->warned_gen = g;
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, AJLOGNO(00240)
                         "key set of %s: %s", b->src->url, err);
            continue;
        }
        b->gen = g;
    }

    rv = wd_get(&wd, WATCHDOG_NAME, 0, 1, pconf);
    if (rv == APR_SUCCESS) {
        rv = wd_register(wd, AP_WD_TM_SLICE, reg, fetcher_tick);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, AJLOGNO(00241)
                     "cannot start the key set fetcher (mod_watchdog)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static void remote_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (srv_conf(s)->remote != NULL) {
        apr_pool_cleanup_register(pchild, NULL, fetcher_quiesce,
                                  apr_pool_cleanup_null);
    }
}

void authn_jwt_remote_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_child_init(remote_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    /* before mod_watchdog's post_config (APR_HOOK_LAST) counts the
     * callbacks of its instances */
    ap_hook_post_config(remote_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    authn_jwt_metrics_register(authn_jwt_remote_metrics);
}
