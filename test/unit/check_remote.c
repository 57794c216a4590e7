/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * check_remote.c: unit tests of the network-free parts of remote key sets
 * (include/jwks_remote.h): URL checks; the discovery-document issuer rule
 * (OpenID Connect Discovery 1.0 sections 4.1 and 4.3, RFC 8414 sections 3.1
 * and 3.3) including the impersonation case; JWK Set parsing that never
 * yields an empty set; Cache-Control max-age and its 60 s - 24 h clamp;
 * the refetch rate limiter (one winner per interval, also with threads);
 * and the cache-file round trip with its permissions.  The fetch itself
 * is covered by the integration tests against a local HTTPS server.
 */

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <apr_file_io.h>
#include "testutil.h"
#include "jose_util.h"
#include "jwks_remote.h"

/* ------------------------------------------------------------- URLs -- */

START_TEST(url_check)
{
    const char *err = NULL;

    ck_assert_int_eq(jwks_url_check(tu_pool, "https://idp.example/jwks",
                                    &err), 0);
    ck_assert_int_eq(jwks_url_check(tu_pool, "https://idp.example:8443",
                                    &err), 0);
    ck_assert_int_ne(jwks_url_check(tu_pool, "http://idp.example/jwks",
                                    &err), 0);
    ck_assert_ptr_nonnull(strstr(err, "https://"));
    ck_assert_int_ne(jwks_url_check(tu_pool, "file:///etc/passwd", &err), 0);
    ck_assert_int_ne(jwks_url_check(tu_pool, "https:///jwks", &err), 0);
    ck_assert_int_ne(jwks_url_check(tu_pool, "https://u:p@idp.example/",
                                    &err), 0);
    ck_assert_int_ne(jwks_url_check(tu_pool, "https://idp.example/a b",
                                    &err), 0);
    ck_assert_int_ne(jwks_url_check(tu_pool, "https://idp.example/#x",
                                    &err), 0);
}
END_TEST

/* ------------------------------------------------------- discovery -- */

typedef struct {
    const char *url;
    jwks_doc_kind_t kind;
    const char *issuer;
} doc_case_t;

static const doc_case_t doc_cases[] = {
    { "https://idp.example/jwks.json", JWKS_DOC_NONE, NULL },
    { "https://kc.example/realms/acme/.well-known/openid-configuration",
      JWKS_DOC_OIDC, "https://kc.example/realms/acme" },
    { "https://tenant.auth0.example/.well-known/openid-configuration",
      JWKS_DOC_OIDC, "https://tenant.auth0.example" },
    { "https://as.example/.well-known/oauth-authorization-server",
      JWKS_DOC_OAUTH, "https://as.example" },
    { "https://as.example/.well-known/oauth-authorization-server/t1",
      JWKS_DOC_OAUTH, "https://as.example/t1" },
    { "https://as.example/t1/.well-known/oauth-authorization-server",
      JWKS_DOC_OAUTH, "https://as.example/t1" },
    { "https://idp.example/.well-known/openid-configuration?x=1",
      JWKS_DOC_NONE, NULL },
};

START_TEST(doc_issuer)
{
    const doc_case_t *c = &doc_cases[_i];
    const char *iss = jwks_doc_expected_issuer(tu_pool, c->url);

    ck_assert_int_eq(jwks_doc_kind(c->url), c->kind);
    if (c->issuer == NULL) {
        ck_assert_ptr_null(iss);
    }
    else {
        ck_assert_str_eq(iss, c->issuer);
    }
}
END_TEST

#define OIDC_URL "https://kc.example/realms/acme/.well-known/openid-" \
                 "configuration"

static int doc(const char *body, const char **iss, const char **ju,
               const char **err)
{
    return jwks_doc_check(iss, ju, tu_pool, OIDC_URL, body, strlen(body),
                          err);
}

START_TEST(doc_check)
{
    const char *iss = NULL, *ju = NULL, *err = NULL;

    ck_assert_int_eq(doc("{\"issuer\":\"https://kc.example/realms/acme\","
                         "\"jwks_uri\":\"https://kc.example/certs\"}",
                         &iss, &ju, &err), 0);
    ck_assert_str_eq(iss, "https://kc.example/realms/acme");
    ck_assert_str_eq(ju, "https://kc.example/certs");
    /* Auth0 publishes its issuer with a trailing slash */
    ck_assert_int_eq(doc("{\"issuer\":\"https://kc.example/realms/acme/\","
                         "\"jwks_uri\":\"https://kc.example/certs\"}",
                         &iss, &ju, &err), 0);
    ck_assert_str_eq(iss, "https://kc.example/realms/acme/");
    /* Discovery 1.0 section 4.3: another issuer is refused */
    ck_assert_int_ne(doc("{\"issuer\":\"https://evil.example/realms/acme\","
                         "\"jwks_uri\":\"https://kc.example/certs\"}",
                         &iss, &ju, &err), 0);
    ck_assert_ptr_nonnull(strstr(err, "4.3"));
    ck_assert_int_ne(doc("{\"issuer\":\"https://kc.example/realms/acm\","
                         "\"jwks_uri\":\"https://kc.example/certs\"}",
                         &iss, &ju, &err), 0);
    ck_assert_int_ne(doc("{\"issuer\":\"https://kc.example/realms/acme//\","
                         "\"jwks_uri\":\"https://kc.example/certs\"}",
                         &iss, &ju, &err), 0);
    /* jwks_uri missing, or not https */
    ck_assert_int_ne(doc("{\"issuer\":\"https://kc.example/realms/acme\"}",
                         &iss, &ju, &err), 0);
    ck_assert_int_ne(doc("{\"issuer\":\"https://kc.example/realms/acme\","
                         "\"jwks_uri\":\"http://kc.example/certs\"}",
                         &iss, &ju, &err), 0);
    /* issuer missing, not a string, duplicate members, not JSON */
    ck_assert_int_ne(doc("{\"jwks_uri\":\"https://kc.example/certs\"}",
                         &iss, &ju, &err), 0);
    ck_assert_int_ne(doc("{\"issuer\":5,"
                         "\"jwks_uri\":\"https://kc.example/certs\"}",
                         &iss, &ju, &err), 0);
    ck_assert_int_ne(doc("{\"issuer\":\"https://kc.example/realms/acme\","
                         "\"issuer\":\"https://kc.example/realms/acme\","
                         "\"jwks_uri\":\"https://kc.example/certs\"}",
                         &iss, &ju, &err), 0);
    ck_assert_int_ne(doc("<html>", &iss, &ju, &err), 0);
    /* not a discovery URL at all */
    ck_assert_int_ne(jwks_doc_check(&iss, &ju, tu_pool,
                                    "https://idp.example/jwks", "{}", 2,
                                    &err), 0);
}
END_TEST

/* -------------------------------------------------------- key sets -- */

static const char *pub_jwk(const char *name)
{
    size_t len;

    return tu_read_file(tu_pool, tu_key_path(tu_pool, name), &len);
}

static int parse(const char *body, const jwk_load_opts_t *o, jwk_set_t **set,
                 const char **err)
{
    *set = jwk_set_make(tu_pool);
    return jwks_parse_keys(*set, tu_pool, body, strlen(body), o, "test",
                           err);
}

START_TEST(parse_keys)
{
    jwk_load_opts_t o;
    jwk_set_t *set;
    const char *err = NULL;
    const char *ec = pub_jwk("ec-p256.pub.jwk");
    const char *ed = pub_jwk("ed25519.pub.jwk");
    const char *two = apr_psprintf(tu_pool, "{\"keys\":[%s,%s]}", ec, ed);
    jwk_t *k;

    memset(&o, 0, sizeof(o));
    o.use = JOSE_USE_SIG;
    o.iss = "https://idp.example";
    ck_assert_int_eq(parse(two, &o, &set, &err), 0);
    ck_assert_int_eq(jwk_set_size(set), 2);
    k = APR_ARRAY_IDX(set->keys, 0, jwk_t *);
    ck_assert_str_eq(k->iss, "https://idp.example");

    /* kid= keeps one key of the set */
    o.kid = APR_ARRAY_IDX(set->keys, 1, jwk_t *)->kid;
    ck_assert_ptr_nonnull(o.kid);
    ck_assert_int_eq(parse(two, &o, &set, &err), 0);
    ck_assert_int_eq(jwk_set_size(set), 1);
    o.kid = "no-such-kid";
    ck_assert_int_ne(parse(two, &o, &set, &err), 0);
    ck_assert_int_eq(jwk_set_size(set), 0);
    o.kid = NULL;

    /* never an empty or broken set */
    ck_assert_int_ne(parse("{\"keys\":[]}", &o, &set, &err), 0);
    ck_assert_ptr_nonnull(strstr(err, "empty"));
    ck_assert_int_ne(parse("{\"keys\":{}}", &o, &set, &err), 0);
    ck_assert_int_ne(parse("{}", &o, &set, &err), 0);
    ck_assert_int_ne(parse("[1]", &o, &set, &err), 0);
    ck_assert_int_ne(parse("{\"keys\":[", &o, &set, &err), 0);
    ck_assert_int_ne(parse("{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAAA"
                           "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}]}",
                           &o, &set, &err), 0);
    ck_assert_int_eq(jwk_set_size(set), 0);
    /* a set whose only key is for encryption has no verification key */
    {
        json_t *j = json_loads(ec, 0, NULL);
        char *text;

        ck_assert_ptr_nonnull(j);
        json_object_set_new(j, "use", json_string("enc"));
        text = json_dumps(j, JSON_COMPACT);
        ck_assert_int_ne(parse(apr_psprintf(tu_pool, "{\"keys\":[%s]}",
                                            text), &o, &set, &err), 0);
        free(text);
        json_decref(j);
    }
}
END_TEST

/* ---------------------------------------------------------- max-age -- */

typedef struct {
    const char *value;
    int found;
    int64_t max_age;
    int64_t interval;           /* jwks_refresh_interval(.., 600) */
} cc_case_t;

static const cc_case_t cc_cases[] = {
    { NULL, 0, 0, 600 },
    { "", 0, 0, 600 },
    { "public", 0, 0, 600 },
    { "max-age=3600", 1, 3600, 3600 },
    { "public, max-age=300, must-revalidate", 1, 300, 300 },
    { "max-age=\"120\"", 1, 120, 120 },
    { "MAX-AGE=900", 1, 900, 900 },
    { "max-age=5", 1, 5, 60 },
    { "max-age=0", 1, 0, 60 },
    { "no-cache", 1, 0, 60 },
    { "no-store", 1, 0, 60 },
    { "max-age=604800", 1, 604800, 86400 },
    { "max-age=99999999999999999999", 1, 1000000000, 86400 },
    { "s-maxage=100", 0, 0, 600 },
    { "x=\"max-age=5\", max-age=700", 1, 700, 700 },
    { "max-age=", 0, 0, 600 },
    { "max-age=abc", 0, 0, 600 },
};

START_TEST(max_age)
{
    const cc_case_t *c = &cc_cases[_i];
    int64_t v = -1;
    int found = jwks_cache_control_max_age(c->value, &v);

    ck_assert_int_eq(found, c->found);
    if (found) {
        ck_assert_int_eq(v, c->max_age);
    }
    ck_assert_int_eq(jwks_refresh_interval(found, v, 600), c->interval);
}
END_TEST

/* ----------------------------------------------------- rate limiter -- */

START_TEST(rate_limiter)
{
    volatile uint32_t last = 0;

    ck_assert_int_eq(jwks_rate_take(&last, 1000, 30), 1);
    ck_assert_int_eq(last, 1000);
    ck_assert_int_eq(jwks_rate_take(&last, 1000, 30), 0);
    ck_assert_int_eq(jwks_rate_take(&last, 1029, 30), 0);
    ck_assert_int_eq(jwks_rate_take(&last, 1030, 30), 1);
    ck_assert_int_eq(jwks_rate_take(&last, 1031, 30), 0);
    /* a clock stepped back does not lock refetches out for good */
    ck_assert_int_eq(jwks_rate_take(&last, 900, 30), 1);
}
END_TEST

#define RACERS 8
#define ROUNDS 2000

typedef struct {
    volatile uint32_t *last;
    volatile uint32_t *clock;
    int wins;
} racer_t;

static void *APR_THREAD_FUNC race(apr_thread_t *t, void *baton)
{
    racer_t *r = baton;
    int i;

    for (i = 0; i < ROUNDS; i++) {
        r->wins += jwks_rate_take(r->last, *r->clock + (uint32_t)i / 100,
                                  30);
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

START_TEST(rate_limiter_threads)
{
    volatile uint32_t last = 0, clock = 5000;
    apr_thread_t *th[RACERS];
    racer_t r[RACERS];
    int i, total = 0;

    /* every racer sees times 5000..5019: one interval, so one winner */
    for (i = 0; i < RACERS; i++) {
        r[i].last = &last;
        r[i].clock = &clock;
        r[i].wins = 0;
        ck_assert_int_eq(apr_thread_create(&th[i], NULL, race, &r[i],
                                           tu_pool), APR_SUCCESS);
    }
    for (i = 0; i < RACERS; i++) {
        apr_status_t rv;

        apr_thread_join(&rv, th[i]);
        total += r[i].wins;
    }
    ck_assert_int_eq(total, 1);
}
END_TEST

/* ------------------------------------------------------- cache file -- */

START_TEST(cache_round_trip)
{
    char tmpl[] = "/tmp/check_remote.XXXXXX";
    const char *dir = mkdtemp(tmpl), *path = NULL, *err = NULL;
    const char *body = "{\"keys\":[{\"kty\":\"EC\",\"x\":\"\\u0000\"}]}";
    jwks_cache_entry_t e, got;
    struct stat st;

    ck_assert_ptr_nonnull(dir);
    memset(&e, 0, sizeof(e));
    e.uri = "https://kc.example/realms/a/.well-known/openid-configuration";
    e.jwks_uri = "https://kc.example/realms/a/certs";
    e.issuer = "https://kc.example/realms/a";
    e.etag = "W/\"abc\"";
    e.fetched = 1700000000;
    e.body = body;
    e.len = strlen(body);

    /* nothing there yet: no entry, and no error either */
    ck_assert_int_ne(jwks_cache_read(&got, tu_pool, dir, e.uri, &err), 0);
    ck_assert_ptr_null(err);

    ck_assert_int_eq(jwks_cache_write(&path, tu_pool, dir, &e, &err), 0);
    ck_assert_str_eq(path, jwks_cache_path(tu_pool, dir, e.uri));
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);

    ck_assert_int_eq(jwks_cache_read(&got, tu_pool, dir, e.uri, &err), 0);
    ck_assert_str_eq(got.uri, e.uri);
    ck_assert_str_eq(got.jwks_uri, e.jwks_uri);
    ck_assert_str_eq(got.issuer, e.issuer);
    ck_assert_str_eq(got.etag, e.etag);
    ck_assert_int_eq(got.fetched, e.fetched);
    ck_assert_uint_eq(got.len, e.len);
    ck_assert_int_eq(memcmp(got.body, body, e.len), 0);

    /* a second write replaces the first atomically */
    e.etag = NULL;
    e.issuer = NULL;
    ck_assert_int_eq(jwks_cache_write(&path, tu_pool, dir, &e, &err), 0);
    ck_assert_int_eq(jwks_cache_read(&got, tu_pool, dir, e.uri, &err), 0);
    ck_assert_ptr_null(got.etag);
    ck_assert_ptr_null(got.issuer);

    /* another URI hashing elsewhere has no entry; a file naming another
     * URI, or a damaged one, is refused with a reason */
    ck_assert_int_ne(jwks_cache_read(&got, tu_pool, dir, "https://x.example",
                                     &err), 0);
    ck_assert_ptr_null(err);
    ck_assert_int_eq(rename(path, jwks_cache_path(tu_pool, dir,
                                                  "https://x.example")), 0);
    ck_assert_int_ne(jwks_cache_read(&got, tu_pool, dir, "https://x.example",
                                     &err), 0);
    ck_assert_ptr_nonnull(strstr(err, "another URL"));
    {
        FILE *f = fopen(jwks_cache_path(tu_pool, dir, e.uri), "w");

        ck_assert_ptr_nonnull(f);
        fputs("{\"uri\":", f);
        fclose(f);
    }
    ck_assert_int_ne(jwks_cache_read(&got, tu_pool, dir, e.uri, &err), 0);
    ck_assert_ptr_nonnull(strstr(err, "damaged"));

    /* a directory that does not exist: a clear error, no file */
    ck_assert_int_ne(jwks_cache_write(&path, tu_pool, "/nonexistent/dir", &e,
                                      &err), 0);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir"));

    unlink(jwks_cache_path(tu_pool, dir, e.uri));
    unlink(jwks_cache_path(tu_pool, dir, "https://x.example"));
    rmdir(dir);
}
END_TEST

/* ------------------------------------------------------------ fetch -- */

START_TEST(fetch_refuses_http)
{
    jwks_fetch_opts_t o;
    jwks_fetch_result_t res;

    memset(&o, 0, sizeof(o));
    o.url = "http://127.0.0.1:1/jwks.json";
    o.timeout = 1;
    ck_assert_int_ne(jwks_fetch(&res, tu_pool, &o), 0);
    ck_assert_ptr_nonnull(strstr(res.error, "https://"));
    ck_assert_int_eq(res.http_status, 0);
}
END_TEST

static Suite *remote_suite(void)
{
    Suite *s = suite_create("remote");
    TCase *tc = tcase_create("urls");

    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_add_test(tc, url_check);
    tcase_add_loop_test(tc, doc_issuer, 0,
                        sizeof(doc_cases) / sizeof(doc_cases[0]));
    tcase_add_test(tc, doc_check);
    tcase_add_test(tc, fetch_refuses_http);
    suite_add_tcase(s, tc);

    tc = tcase_create("keys");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_add_test(tc, parse_keys);
    suite_add_tcase(s, tc);

    tc = tcase_create("refresh");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_add_loop_test(tc, max_age, 0,
                        sizeof(cc_cases) / sizeof(cc_cases[0]));
    tcase_add_test(tc, rate_limiter);
    tcase_add_test(tc, rate_limiter_threads);
    suite_add_tcase(s, tc);

    tc = tcase_create("cache");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_add_test(tc, cache_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tu_init();
    return tu_run(remote_suite());
}
