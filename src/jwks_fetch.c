/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwks_fetch.c: one HTTPS GET of a key set or discovery document with
 * libcurl, under the rules of manual #idp: HTTPS only (also for
 * anything curl might be pointed at later), the peer certificate and host
 * name always verified, redirects never followed (doc/attacks.md A4: a key
 * set answers where it was configured or not at all), 200 (or 304 to our
 * If-None-Match) only, and the body cap enforced while reading, so a
 * 10 MB answer costs 256 KiB of memory and is then refused.
 */

#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <curl/curl.h>

#include "jwks_remote.h"

typedef struct {
    apr_pool_t *p;
    char *buf;
    size_t len, cap, max;
    int too_large;
    const char *etag;
    const char *cache_control;
    int (*stop)(void *baton);
    void *stop_baton;
} fetch_ctx_t;

int jwks_fetch_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static size_t on_body(char *data, size_t size, size_t n, void *baton)
{
    fetch_ctx_t *c = baton;
    size_t add = size * n;

    if (add > c->max - c->len) {
        c->too_large = 1;
        return 0;                           /* aborts the transfer */
    }
    if (c->len + add + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 8192;
        char *nb;

        while (cap < c->len + add + 1) {
            cap *= 2;
        }
        if (cap > c->max + 1) {
            cap = c->max + 1;
        }
        nb = apr_palloc(c->p, cap);
        if (c->len) {
            memcpy(nb, c->buf, c->len);
        }
        c->buf = nb;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, data, add);
    c->len += add;
    c->buf[c->len] = '\0';
    return add;
}

/* One header line: "Name: value\r\n" (headers of a 1xx are seen too, and
 * reset at each status line). */
static size_t on_header(char *data, size_t size, size_t n, void *baton)
{
    fetch_ctx_t *c = baton;
    size_t len = size * n, nl;
    const char *colon, *v;

    if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        c->etag = NULL;
        c->cache_control = NULL;
        return len;
    }
    colon = memchr(data, ':', len);
    if (colon == NULL) {
        return len;
    }
    nl = (size_t)(colon - data);
    v = colon + 1;
    while (v < data + len && (*v == ' ' || *v == '\t')) {
        v++;
    }
    len -= (size_t)(v - data);
    while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n'
                       || v[len - 1] == ' ' || v[len - 1] == '\t')) {
        len--;
    }
    if (nl == 4 && strncasecmp(data, "ETag", 4) == 0) {
        c->etag = len > 0 && len <= JWKS_MAX_ETAG
                  ? apr_pstrmemdup(c->p, v, len) : NULL;
    }
    else if (nl == 13 && strncasecmp(data, "Cache-Control", 13) == 0) {
        c->cache_control = apr_pstrmemdup(c->p, v, len);
    }
    return size * n;
}

static int on_progress(void *baton, curl_off_t dt, curl_off_t dn,
                       curl_off_t ut, curl_off_t un)
{
    fetch_ctx_t *c = baton;

    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return c->stop != NULL && c->stop(c->stop_baton) ? 1 : 0;
}

/* An ETag goes back verbatim in If-None-Match; refuse anything that could
 * break the header line. */
static int etag_ok(const char *etag)
{
    const unsigned char *c;

    for (c = (const unsigned char *)etag; *c; c++) {
        if (*c < 0x20 || *c == 0x7f) {
            return 0;
        }
    }
    return *etag != '\0';
}

int jwks_fetch(jwks_fetch_result_t *res, apr_pool_t *p,
               const jwks_fetch_opts_t *o)
{
    char errbuf[CURL_ERROR_SIZE];
    struct curl_slist *hdrs = NULL;
    fetch_ctx_t c;
    CURL *h;
    CURLcode cc;
    const char *uerr = NULL;
    double total = 0;
    int rv = -1;

    memset(res, 0, sizeof(*res));
    memset(&c, 0, sizeof(c));
    c.p = p;
    c.max = o->max_body ? o->max_body : JWKS_MAX_BODY;
    c.stop = o->stop;
    c.stop_baton = o->stop_baton;
    if (jwks_url_check(p, o->url, &uerr) != 0) {
        res->error = uerr;
        return -1;
    }
    h = curl_easy_init();
    if (h == NULL) {
        res->error = "libcurl could not be initialised";
        return -1;
    }
    errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, o->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->ca_file != NULL) {
        curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
        curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
    }
    {
        long ms = o->timeout_ms > 0 ? o->timeout_ms
                  : (o->timeout > 0 ? o->timeout : 5L) * 1000L;

        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, ms);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ms);
    }
    /* no signals from a thread of a multi-threaded server */
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c.max);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &c);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &c);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &c);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    if (o->user_agent != NULL) {
        curl_easy_setopt(h, CURLOPT_USERAGENT, o->user_agent);
    }
    hdrs = curl_slist_append(hdrs, "Accept: application/json, "
                             "application/jwk-set+json");
    if (o->etag != NULL && etag_ok(o->etag)) {
        hdrs = curl_slist_append(hdrs, apr_pstrcat(p, "If-None-Match: ",
                                                   o->etag, NULL));
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);

    cc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &res->http_status);
    curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &total);
    res->seconds = total;

    if (c.too_large || cc == CURLE_FILESIZE_EXCEEDED) {
        res->error = apr_psprintf(p, "the answer is larger than %lu bytes",
                                  (unsigned long)c.max);
        res->http_status = res->http_status ? res->http_status : 200;
    }
    else if (cc == CURLE_ABORTED_BY_CALLBACK) {
        res->error = "the fetch was stopped (server shutting down)";
    }
    else if (cc == CURLE_OPERATION_TIMEDOUT) {
        res->error = apr_psprintf(p, "no complete answer within %ld s "
                                  "(AuthJWTKeysTimeout)", o->timeout);
    }
    else if (cc != CURLE_OK) {
        res->error = apr_psprintf(p, "%s%s%s", curl_easy_strerror(cc),
                                  errbuf[0] ? ": " : "", errbuf);
    }
    else if (res->http_status == 304 && o->etag != NULL) {
        res->not_modified = 1;
        rv = 0;
    }
    else if (res->http_status >= 300 && res->http_status < 400) {
        res->error = apr_psprintf(p, "answered %ld, a redirect, which is "
                                  "never followed: configure the URL it "
                                  "points to", res->http_status);
    }
    else if (res->http_status != 200) {
        res->error = apr_psprintf(p, "answered HTTP %ld, not 200",
                                  res->http_status);
    }
    else if (c.len == 0) {
        res->error = "answered 200 with an empty body";
    }
    else {
        rv = 0;
    }
    if (rv == 0) {
        res->body = c.buf ? c.buf : apr_pstrdup(p, "");
        res->len = c.len;
        res->etag = c.etag;
        res->have_max_age = jwks_cache_control_max_age(c.cache_control,
                                                       &res->max_age);
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return rv;
}

int jwks_fetch_source(jwks_fetch_result_t *out, const char **issuer,
                      const char **jwks_uri, apr_pool_t *p,
                      const jwks_fetch_opts_t *opts)
{
    jwks_fetch_result_t doc;
    jwks_fetch_opts_t o = *opts;
    const char *err = NULL;

    *issuer = NULL;
    *jwks_uri = opts->url;
    if (jwks_doc_kind(opts->url) == JWKS_DOC_NONE) {
        return jwks_fetch(out, p, opts);
    }
    /* The document itself is small and fetched unconditionally: its
     * jwks_uri may move, and the key set's ETag is what saves work. */
    o.etag = NULL;
    if (jwks_fetch(&doc, p, &o) != 0) {
        *out = doc;
        out->error = apr_psprintf(p, "discovery document: %s", doc.error);
        return -1;
    }
    if (jwks_doc_check(issuer, jwks_uri, p, opts->url, doc.body, doc.len,
                       &err) != 0) {
        memset(out, 0, sizeof(*out));
        out->http_status = doc.http_status;
        out->seconds = doc.seconds;
        out->error = err;
        return -1;
    }
    o.url = *jwks_uri;
    o.etag = opts->etag;
    o.timeout_ms = (opts->timeout_ms > 0 ? opts->timeout_ms
                    : (opts->timeout > 0 ? opts->timeout : 5L) * 1000L)
                   - (long)(doc.seconds * 1000.0);
    if (o.timeout_ms < 100) {
        o.timeout_ms = 100;
    }
    if (jwks_fetch(out, p, &o) != 0) {
        out->seconds += doc.seconds;
        out->error = apr_psprintf(p, "jwks_uri %s: %s", *jwks_uri,
                                  out->error);
        return -1;
    }
    out->seconds += doc.seconds;
    return 0;
}

int jwks_load_remote(jwk_set_t *set, apr_pool_t *p, const char *url,
                     const jwk_load_opts_t *opts, const char *ca_file,
                     long timeout, const char **err)
{
    jwks_fetch_opts_t fo;
    jwks_fetch_result_t res;
    jwk_load_opts_t o = *opts;
    const char *issuer, *jwks_uri;

    memset(&fo, 0, sizeof(fo));
    fo.url = url;
    fo.ca_file = ca_file;
    fo.timeout = timeout;
    fo.user_agent = "htjwt (mod_authn_jwt)";
    if (jwks_fetch_source(&res, &issuer, &jwks_uri, p, &fo) != 0) {
        *err = apr_psprintf(p, "%s: %s", url, res.error);
        return -1;
    }
    if (o.iss == NULL) {
        o.iss = issuer;
    }
    if (jwks_parse_keys(set, p, res.body, res.len, &o, jwks_uri, err)
        != 0) {
        *err = apr_psprintf(p, "%s: %s", jwks_uri, *err);
        return -1;
    }
    return 0;
}
