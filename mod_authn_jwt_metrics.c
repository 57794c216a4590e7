/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * mod_authn_jwt_metrics.c: counters summed over every child, served as
 * Prometheus text exposition format 0.0.4 (SetHandler jwt-metrics) and in
 * mod_status' /server-status.  The same segment holds the one other word
 * all children share: the revocation generation, bumped after every
 * revocation stored at this server, so that every child asks the store
 * again at once (mod_authn_jwt_revoke.c).
 *
 * The counters live in one anonymous shared memory segment made once per
 * httpd parent (in the process pool, so a graceful restart keeps them:
 * Prometheus counters only go up).  Children inherit the mapping; the
 * request path adds with a relaxed atomic and never takes a lock.  Reading
 * sums nothing: each counter is one word shared by all children.
 *
 * Names are fixed and every label value comes from a fixed set (a status
 * short name, an operation, a result): never a kid, sub, jti, URL or
 * anything else a request carries, so the number of series is bounded.
 * Other parts of the module add their own families through
 * authn_jwt_metrics_register() (e.g. the remote key sources).
 */

#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_status.h"

#include "apr_optional_hooks.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include "mod_authn_jwt.h"

APLOG_USE_MODULE(authn_jwt);

#define METRICS_HANDLER "jwt-metrics"
/* RFC-less but fixed: the Prometheus text format's content type. */
#define METRICS_TYPE    "text/plain; version=0.0.4; charset=utf-8"
#define SHM_USERDATA    "authn_jwt_metrics_shm"
#define SHM_MAGIC       UINT64_C(0x616a6d6574726963)  /* "ajmetric" */

/* Extra families registered by other glue files, at start-up only. */
#define MAX_EXTRA 8

typedef struct {
    uint64_t magic;
    uint64_t size;
    uint64_t counter[AUTHN_JWT_M_COUNT];
    uint64_t rejected[JWT_STATUS_COUNT];
    uint32_t rev_gen;           /* revocations stored at this server     */
} metrics_shm_t;

/* Written once at start-up (before any child exists), read-only after. */
static metrics_shm_t *shm_counters;
static authn_jwt_metrics_fn *extra_fn[MAX_EXTRA];
static int extra_count;

struct authn_jwt_metrics_out {
    request_rec *r;
    int html;                   /* /server-status without ?auto         */
    int status;                 /* 1: /server-status, 0: Prometheus      */
    const char *family;         /* the family whose HELP/TYPE was sent   */
};

/* ---- the request path ---- */

void authn_jwt_metric_inc(authn_jwt_metric_t m)
{
    if (shm_counters != NULL && (unsigned)m < AUTHN_JWT_M_COUNT) {
        __atomic_fetch_add(&shm_counters->counter[m], 1, __ATOMIC_RELAXED);
    }
}

void authn_jwt_metric_decision(jwt_status_t st)
{
    if (shm_counters == NULL) {
        return;
    }
    if (st == JWT_OK) {
        __atomic_fetch_add(&shm_counters->counter[AUTHN_JWT_M_ACCEPTED], 1,
                           __ATOMIC_RELAXED);
        return;
    }
    if ((unsigned)st >= JWT_STATUS_COUNT) {
        st = JWT_ERR_INTERNAL;
    }
    __atomic_fetch_add(&shm_counters->rejected[st], 1, __ATOMIC_RELAXED);
}

int authn_jwt_revocation_generation(uint32_t *gen)
{
    if (shm_counters == NULL) {
        *gen = 0;
        return 0;
    }
    *gen = __atomic_load_n(&shm_counters->rev_gen, __ATOMIC_ACQUIRE);
    return 1;
}

void authn_jwt_revocation_bump(void)
{
    if (shm_counters != NULL) {
        __atomic_fetch_add(&shm_counters->rev_gen, 1, __ATOMIC_ACQ_REL);
    }
}

void authn_jwt_metrics_register(authn_jwt_metrics_fn *fn)
{
    int i;

    for (i = 0; i < extra_count; i++) {
        if (extra_fn[i] == fn) {
            return;
        }
    }
    if (extra_count < MAX_EXTRA) {
        extra_fn[extra_count++] = fn;
    }
}

/* ---- output, shared by both renderings ---- */

void authn_jwt_metrics_family(authn_jwt_metrics_out_t *out, const char *name,
                              const char *type, const char *help)
{
    out->family = name;
    if (out->status) {
        return;
    }
    ap_rprintf(out->r, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
               type);
}

void authn_jwt_metrics_sample(authn_jwt_metrics_out_t *out,
                              const char *labels, double value)
{
    const char *name = out->family ? out->family : "authn_jwt_unknown";
    const char *l = labels ? apr_pstrcat(out->r->pool, "{", labels, "}",
                                         NULL) : "";

    if (out->status && !out->html) {
        ap_rprintf(out->r, "%s%s: %.17g\n", name, l, value);
    }
    else if (out->status) {
        ap_rprintf(out->r, "<tr><td>%s%s</td><td>%.17g</td></tr>\n", name,
                   ap_escape_html(out->r->pool, l), value);
    }
    else {
        ap_rprintf(out->r, "%s%s %.17g\n", name, l, value);
    }
}

static uint64_t load(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

typedef struct {
    authn_jwt_metric_t id;
    const char *name;
    const char *help;
} counter_row_t;

/* One row per simple counter, in output order. */
static const counter_row_t counter_rows[] = {
    { AUTHN_JWT_M_ACCEPTED, "authn_jwt_tokens_accepted_total",
      "Bearer tokens accepted (full check or cache hit)." },
    { AUTHN_JWT_M_ISSUED, "authn_jwt_tokens_issued_total",
      "Tokens issued by jwt-issuer handlers." },
    { AUTHN_JWT_M_CACHE_HIT, "authn_jwt_cache_hits_total",
      "Tokens accepted from the verified-token cache." },
    { AUTHN_JWT_M_CACHE_MISS, "authn_jwt_cache_misses_total",
      "Tokens checked in full with the cache on." },
    { AUTHN_JWT_M_CACHE_EVICT, "authn_jwt_cache_evictions_total",
      "Cache entries dropped to make room." },
    { AUTHN_JWT_M_REVOKED, "authn_jwt_revocations_total",
      "Tokens revoked through jwt-revoke handlers." },
    { AUTHN_JWT_M_REVOKE_LOOKUP, "authn_jwt_revocation_lookups_total",
      "Questions asked of the revocation store." },
    { AUTHN_JWT_M_FAIL_OPEN, "authn_jwt_revocation_fail_open_total",
      "Tokens accepted unchecked because the store failed "
      "(AuthJWTRevocationFailOpen On)." },
};

static void render(authn_jwt_metrics_out_t *out)
{
    size_t i;
    int st;

    if (shm_counters == NULL) {
        return;
    }
    for (i = 0; i < sizeof(counter_rows) / sizeof(counter_rows[0]); i++) {
        authn_jwt_metrics_family(out, counter_rows[i].name, "counter",
                                 counter_rows[i].help);
        authn_jwt_metrics_sample(out, NULL,
            (double)load(&shm_counters->counter[counter_rows[i].id]));
    }
    authn_jwt_metrics_family(out, "authn_jwt_tokens_rejected_total",
                             "counter", "Requests refused, by reason.");
    for (st = 1; st < JWT_STATUS_COUNT; st++) {
        /* Every reason is listed, at 0 too: a series that appears only
         * after the first failure breaks rate() over its start. */
        authn_jwt_metrics_sample(out,
            apr_psprintf(out->r->pool, "reason=\"%s\"", jwt_status_name(st)),
            (double)load(&shm_counters->rejected[st]));
    }
    authn_jwt_metrics_family(out, "authn_jwt_revocation_store_errors_total",
                             "counter",
                             "Revocation store operations that failed.");
    authn_jwt_metrics_sample(out, "op=\"lookup\"",
        (double)load(&shm_counters->counter[AUTHN_JWT_M_STORE_LOOKUP_ERR]));
    authn_jwt_metrics_sample(out, "op=\"store\"",
        (double)load(&shm_counters->counter[AUTHN_JWT_M_STORE_STORE_ERR]));
    for (i = 0; i < (size_t)extra_count; i++) {
        extra_fn[i](out, out->r->server);
    }
}

/* ---- SetHandler jwt-metrics ---- */

static int metrics_handler(request_rec *r)
{
    authn_jwt_metrics_out_t out;
    int rc;

    if (r->handler == NULL || strcmp(r->handler, METRICS_HANDLER) != 0) {
        return DECLINED;
    }
    if ((rc = authn_jwt_only_method(r, M_GET, "GET")) != OK) {
        return rc;
    }
    ap_set_content_type(r, METRICS_TYPE);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (r->header_only) {
        return OK;
    }
    memset(&out, 0, sizeof(out));
    out.r = r;
    render(&out);
    return OK;
}

/* ---- mod_status ---- */

static int metrics_status_hook(request_rec *r, int flags)
{
    authn_jwt_metrics_out_t out;

    if (shm_counters == NULL) {
        return OK;
    }
    memset(&out, 0, sizeof(out));
    out.r = r;
    out.status = 1;
    out.html = !(flags & AP_STATUS_SHORT);
    if (out.html) {
        ap_rputs("<hr />\n<h2>mod_authn_jwt</h2>\n<table border=\"0\">\n", r);
    }
    render(&out);
    if (out.html) {
        ap_rputs("</table>\n", r);
    }
    return OK;
}

/* ---- start-up ---- */

static int metrics_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    apr_pool_t *proc = s->process->pool;
    apr_shm_t *shm = NULL;
    metrics_shm_t *m;
    apr_status_t rv;

    (void)pconf;
    (void)plog;
    (void)ptemp;
    apr_pool_userdata_get((void **)&shm, SHM_USERDATA, proc);
    if (shm != NULL) {
        m = apr_shm_baseaddr_get(shm);
        if (m->magic == SHM_MAGIC && m->size == sizeof(*m)) {
            shm_counters = m;
            return OK;
        }
        /* another layout after a module upgrade: start from zero */
    }
    rv = apr_shm_create(&shm, sizeof(*m), NULL, proc);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, AJLOGNO(00320)
                     "cannot create the shared memory for the metrics: "
                     "counters are off");
        shm_counters = NULL;
        return OK;
    }
    m = apr_shm_baseaddr_get(shm);
    memset(m, 0, sizeof(*m));
    m->magic = SHM_MAGIC;
    m->size = sizeof(*m);
    apr_pool_userdata_set(shm, SHM_USERDATA, apr_pool_cleanup_null, proc);
    shm_counters = m;
    return OK;
}

void authn_jwt_register_metrics(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(metrics_post_config, NULL, NULL,
                        APR_HOOK_REALLY_FIRST);
    ap_hook_handler(metrics_handler, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, metrics_status_hook, NULL, NULL,
                      APR_HOOK_MIDDLE);
}
