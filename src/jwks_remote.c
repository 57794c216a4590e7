/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwks_remote.c: the parts of remote key sets that need no network: the
 * URL and discovery-document checks (OpenID Connect Discovery 1.0 sections
 * 4.1 and 4.3, RFC 8414 sections 3.1 and 3.3), parsing a fetched JWK Set
 * (RFC 7517 section 5), the refresh interval from Cache-Control (RFC 9111
 * section 5.2.2.1), the refetch rate limiter, and the last-good-set file.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_atomic.h>
#include <apr_strings.h>
#include <openssl/evp.h>

#include "jose_util.h"
#include "jwks_remote.h"

#define WELL_KNOWN_OIDC  "/.well-known/openid-configuration"
#define WELL_KNOWN_OAUTH "/.well-known/oauth-authorization-server"
/* A cache file holds one body of at most JWKS_MAX_BODY bytes, escaped. */
#define CACHE_FILE_MAX   (8 * JWKS_MAX_BODY)

int jwks_url_check(apr_pool_t *p, const char *url, const char **err)
{
    const char *host, *end;
    size_t i;

    if (url == NULL || strncasecmp(url, "https://", 8) != 0) {
        *err = apr_psprintf(p, "'%s' is not an https:// URL: key sets are "
                            "only fetched over HTTPS (write https://...), "
                            "or download the keys to a file",
                            url ? url : "");
        return -1;
    }
    if (strlen(url) > JWKS_MAX_URL) {
        *err = apr_psprintf(p, "the URL is longer than %d characters",
                            JWKS_MAX_URL);
        return -1;
    }
    for (i = 0; url[i]; i++) {
        unsigned char c = (unsigned char)url[i];

        if (c <= 0x20 || c >= 0x7f || c == '#') {
            *err = "the URL contains a space, a control character, a "
                   "fragment or a non-ASCII byte: percent-encode it";
            return -1;
        }
    }
    host = url + 8;
    end = host + strcspn(host, "/?");
    if (end == host || memchr(host, '@', (size_t)(end - host)) != NULL) {
        *err = "the URL has no host, or has user:password@ in it: name the "
               "key set as https://HOST[:PORT]/PATH";
        return -1;
    }
    return 0;
}

static const char *path_of(const char *url)
{
    const char *host = url + 8;

    return host + strcspn(host, "/?");
}

static int ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);

    return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

jwks_doc_kind_t jwks_doc_kind(const char *url)
{
    size_t len;

    if (url == NULL || strncasecmp(url, "https://", 8) != 0
        || strchr(url, '?') != NULL) {
        return JWKS_DOC_NONE;
    }
    len = strlen(url);
    if (ends_with(url, len, WELL_KNOWN_OIDC)) {
        return JWKS_DOC_OIDC;
    }
    if (ends_with(url, len, WELL_KNOWN_OAUTH)
        || strstr(path_of(url), WELL_KNOWN_OAUTH "/") == path_of(url)) {
        return JWKS_DOC_OAUTH;
    }
    return JWKS_DOC_NONE;
}

const char *jwks_doc_expected_issuer(apr_pool_t *p, const char *url)
{
    const char *path;
    size_t len, n;

    switch (jwks_doc_kind(url)) {
    case JWKS_DOC_OIDC:
        /* Discovery 1.0 section 4.1: the issuer with the well-known path
         * appended. */
        len = strlen(url) - strlen(WELL_KNOWN_OIDC);
        return apr_pstrmemdup(p, url, len);
    case JWKS_DOC_OAUTH:
        path = path_of(url);
        n = strlen(WELL_KNOWN_OAUTH);
        if (strncmp(path, WELL_KNOWN_OAUTH, n) == 0) {
            /* RFC 8414 section 3.1: inserted between host and path */
            return apr_pstrcat(p, apr_pstrmemdup(p, url,
                                                 (size_t)(path - url)),
                               path + n, NULL);
        }
        /* appended to the issuer's path, as many servers also publish */
        len = strlen(url) - n;
        return apr_pstrmemdup(p, url, len);
    default:
        return NULL;
    }
}

int jwks_doc_check(const char **issuer, const char **jwks_uri,
                   apr_pool_t *p, const char *url, const char *body,
                   size_t len, const char **err)
{
    const char *expected = jwks_doc_expected_issuer(p, url);
    const char *iss, *ju, *uerr = NULL;
    size_t iss_len, elen;
    json_t *doc;

    if (expected == NULL) {
        *err = "not a discovery document URL";
        return -1;
    }
    if (jose_json_object(&doc, p, body, len) != JWT_OK) {
        *err = "the discovery document is not one JSON object (or has a "
               "duplicate member)";
        return -1;
    }
    iss = jose_json_str(doc, "issuer", &iss_len);
    if (iss == NULL || iss_len != strlen(iss)) {
        *err = "the discovery document has no \"issuer\" string";
        return -1;
    }
    /* OpenID Connect Discovery 1.0 section 4.3, RFC 8414 section 3.3: a
     * document that names another issuer than the one it was fetched for
     * is an impersonation attempt, and is refused. */
    elen = strlen(expected);
    if (!(iss_len == elen && memcmp(iss, expected, elen) == 0)
        && !(iss_len == elen + 1 && memcmp(iss, expected, elen) == 0
             && iss[elen] == '/')) {
        *err = apr_psprintf(p, "the discovery document names issuer \"%s\" "
                            "but was fetched for \"%s\" (OpenID Connect "
                            "Discovery 1.0 section 4.3): check the URL",
                            apr_pstrmemdup(p, iss, iss_len > 200 ? 200
                                           : iss_len), expected);
        return -1;
    }
    ju = jose_json_str(doc, "jwks_uri", NULL);
    if (ju == NULL) {
        *err = "the discovery document has no \"jwks_uri\"";
        return -1;
    }
    if (jwks_url_check(p, ju, &uerr) != 0) {
        *err = apr_psprintf(p, "the discovery document's jwks_uri: %s",
                            uerr);
        return -1;
    }
    *issuer = apr_pstrmemdup(p, iss, iss_len);
    *jwks_uri = apr_pstrdup(p, ju);
    return 0;
}

int jwks_parse_keys(jwk_set_t *set, apr_pool_t *p, const char *body,
                    size_t len, const jwk_load_opts_t *opts,
                    const char *source, const char **err)
{
    jwk_set_t *tmp = jwk_set_make(p);
    jwk_load_opts_t o = *opts;
    json_t *doc, *keys;
    int i;

    if (len > JWKS_MAX_BODY) {
        *err = "the key set is larger than 256 KiB";
        return -1;
    }
    if (jose_json_object(&doc, p, body, len) != JWT_OK) {
        *err = "the answer is not one JSON object (or has a duplicate "
               "member)";
        return -1;
    }
    keys = json_object_get(doc, "keys");
    if (!json_is_array(keys)) {
        *err = "the answer has no \"keys\" array: is this a JWK Set?";
        return -1;
    }
    if (json_array_size(keys) == 0) {
        *err = "the key set is empty";
        return -1;
    }
    /* kid= selects within a remote set; the loader would take it as the
     * name of a single key. */
    o.kid = NULL;
    o.use = JOSE_USE_SIG;
    o.want_private = 0;
    if (jwk_set_parse_json(tmp, p, doc, &o, source, err) != 0) {
        return -1;
    }
    for (i = 0; i < tmp->keys->nelts; i++) {
        jwk_t *k = APR_ARRAY_IDX(tmp->keys, i, jwk_t *);

        if (k->kty == JOSE_KTY_OCT) {
            /* a published set never carries a shared secret */
            continue;
        }
        if (opts->kid != NULL
            && (k->kid == NULL || strcmp(k->kid, opts->kid) != 0)) {
            continue;
        }
        APR_ARRAY_PUSH(set->keys, jwk_t *) = k;
    }
    if (set->keys->nelts == 0) {
        *err = opts->kid != NULL
               ? apr_psprintf(p, "the key set has no usable key with kid "
                              "\"%s\"", opts->kid)
               : "the key set has no usable verification key";
        return -1;
    }
    return 0;
}

int jwks_cache_control_max_age(const char *value, int64_t *out)
{
    const char *c = value;
    int found = 0;

    if (value == NULL) {
        return 0;
    }
    while (*c) {
        const char *start;
        size_t n;

        while (*c == ' ' || *c == '\t' || *c == ',') {
            c++;
        }
        start = c;
        while (*c && *c != ',' && *c != '=' && *c != ' ' && *c != '\t') {
            c++;
        }
        n = (size_t)(c - start);
        if ((n == 8 && strncasecmp(start, "no-store", 8) == 0)
            || (n == 8 && strncasecmp(start, "no-cache", 8) == 0)) {
            *out = 0;
            return 1;
        }
        if (n == 7 && strncasecmp(start, "max-age", 7) == 0 && *c == '=') {
            int64_t v = 0;
            int digits = 0, quoted = 0;

            c++;
            if (*c == '"') {
                quoted = 1;
                c++;
            }
            while (*c >= '0' && *c <= '9') {
                /* saturate: any huge value clamps to a day anyway */
                v = v * 10 + (*c - '0');
                if (v > INT64_C(1000000000)) {
                    v = INT64_C(1000000000);
                }
                digits++;
                c++;
            }
            if (quoted && *c == '"') {
                c++;
            }
            if (digits > 0 && !found) {
                *out = v;
                found = 1;
            }
        }
        /* skip the rest of this directive, quoted values included */
        while (*c && *c != ',') {
            if (*c == '"') {
                c++;
                while (*c && *c != '"') {
                    c++;
                }
                if (*c) {
                    c++;
                }
                continue;
            }
            c++;
        }
    }
    return found;
}

int64_t jwks_refresh_interval(int have_max_age, int64_t max_age,
                              int64_t configured)
{
    if (!have_max_age) {
        return configured;
    }
    if (max_age < JWKS_MIN_MAX_AGE) {
        return JWKS_MIN_MAX_AGE;
    }
    if (max_age > JWKS_MAX_MAX_AGE) {
        return JWKS_MAX_MAX_AGE;
    }
    return max_age;
}

int jwks_rate_take(volatile uint32_t *last, uint32_t now,
                   uint32_t min_interval)
{
    uint32_t seen = apr_atomic_read32(last);

    /* unsigned difference: also right when NOW went backwards past LAST */
    if (seen != 0 && now - seen < min_interval && now >= seen) {
        return 0;
    }
    return apr_atomic_cas32(last, now == 0 ? 1 : now, seen) == seen;
}

/* ---- the cache file ---- */

const char *jwks_cache_path(apr_pool_t *p, const char *dir, const char *uri)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char hex[33];
    int i;

    if (EVP_Digest(uri, strlen(uri), md, &mdlen, EVP_sha256(), NULL) != 1
        || mdlen < 16) {
        return NULL;
    }
    for (i = 0; i < 16; i++) {
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    }
    return apr_pstrcat(p, dir, "/jwks-", hex, ".json", NULL);
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int jwks_cache_write(const char **path, apr_pool_t *p, const char *dir,
                     const jwks_cache_entry_t *e, const char **err)
{
    const char *final = jwks_cache_path(p, dir, e->uri);
    json_t *doc = json_object();
    char *text = NULL, *tmp;
    int fd = -1, rv = -1;

    if (final == NULL || doc == NULL) {
        *err = "out of memory";
        json_decref(doc);
        return -1;
    }
    jose_json_pool_own(p, doc);
    json_object_set_new(doc, "uri", json_string(e->uri));
    json_object_set_new(doc, "jwks_uri", json_string(e->jwks_uri
                                                     ? e->jwks_uri : e->uri));
    if (e->issuer) {
        json_object_set_new(doc, "issuer", json_string(e->issuer));
    }
    if (e->etag) {
        json_object_set_new(doc, "etag", json_string(e->etag));
    }
    json_object_set_new(doc, "fetched", json_integer(e->fetched));
    json_object_set_new(doc, "jwks", json_stringn(e->body, e->len));
    text = json_dumps(doc, JSON_COMPACT);
    if (text == NULL) {
        *err = "the key set could not be serialised";
        return -1;
    }
    /* A temporary file in the same directory, then rename(2): a reader
     * (another start-up) sees the old file or the new one, never half. */
    tmp = apr_psprintf(p, "%s.%ld.tmp", final, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
              S_IRUSR | S_IWUSR);
    if (fd < 0) {
        *err = apr_psprintf(p, "cannot create %s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    if (fchmod(fd, S_IRUSR | S_IWUSR) != 0
        || write_all(fd, text, strlen(text)) != 0 || fsync(fd) != 0) {
        *err = apr_psprintf(p, "cannot write %s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    if (close(fd) != 0) {
        fd = -1;
        *err = apr_psprintf(p, "cannot write %s: %s", tmp, strerror(errno));
        goto cleanup;
    }
    fd = -1;
    if (rename(tmp, final) != 0) {
        *err = apr_psprintf(p, "cannot rename %s to %s: %s", tmp, final,
                            strerror(errno));
        goto cleanup;
    }
    *path = final;
    rv = 0;
cleanup:
    if (fd >= 0) {
        close(fd);
    }
    if (rv != 0) {
        unlink(tmp);
    }
    free(text);
    return rv;
}

int jwks_cache_read(jwks_cache_entry_t *e, apr_pool_t *p, const char *dir,
                    const char *uri, const char **err)
{
    const char *path = jwks_cache_path(p, dir, uri);
    char *buf;
    size_t len = 0;
    json_t *doc;
    const char *s;
    struct stat st;
    int fd;

    *err = NULL;
    memset(e, 0, sizeof(*e));
    if (path == NULL) {
        *err = "out of memory";
        return -1;
    }
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) {
            *err = apr_psprintf(p, "cannot open %s: %s", path,
                                strerror(errno));
        }
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)
        || st.st_size > CACHE_FILE_MAX) {
        close(fd);
        *err = apr_psprintf(p, "%s is not a regular file of at most %d "
                            "bytes", path, CACHE_FILE_MAX);
        return -1;
    }
    buf = apr_palloc(p, (size_t)st.st_size + 1);
    while (len < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
    }
    close(fd);
    if (jose_json_object(&doc, p, buf, len) != JWT_OK) {
        *err = apr_psprintf(p, "%s is damaged (not JSON): remove it", path);
        return -1;
    }
    s = jose_json_str(doc, "uri", NULL);
    if (s == NULL || strcmp(s, uri) != 0) {
        *err = apr_psprintf(p, "%s belongs to another URL: remove it",
                            path);
        return -1;
    }
    e->uri = apr_pstrdup(p, s);
    s = jose_json_str(doc, "jwks_uri", NULL);
    e->jwks_uri = s ? apr_pstrdup(p, s) : e->uri;
    s = jose_json_str(doc, "issuer", NULL);
    e->issuer = s ? apr_pstrdup(p, s) : NULL;
    s = jose_json_str(doc, "etag", NULL);
    e->etag = s ? apr_pstrdup(p, s) : NULL;
    e->fetched = json_integer_value(json_object_get(doc, "fetched"));
    s = jose_json_str(doc, "jwks", &e->len);
    if (s == NULL || e->len > JWKS_MAX_BODY) {
        *err = apr_psprintf(p, "%s is damaged (no key set): remove it",
                            path);
        return -1;
    }
    e->body = apr_pstrmemdup(p, s, e->len);
    return 0;
}
