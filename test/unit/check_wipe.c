/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * check_wipe.c: private JWK members do not stay in freed memory.
 *
 * This program gives jansson an allocator of its own (json_set_alloc_funcs
 * is process-wide, which is why this test is a program of its own) that
 * looks into every buffer jansson frees while a key is being loaded: a
 * buffer that still holds the whole base64url value of a private member
 * (d, p, q, dp, dq, qi, k) fails the test.  Before the loader wiped them,
 * the JSON string values of the parsed document were such buffers.
 *
 * What this does not cover: jansson's lexer keeps the text of the token it
 * is reading in scratch buffers of its own, freed inside json_loadb, which
 * no caller can reach; those may hold fragments of a value (its start, or
 * all but its first character).  Clearing them would take a wiping
 * allocator for the whole process, which a module loaded into httpd next
 * to others using jansson (mod_md) must not impose.
 */

#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "testutil.h"

#define HDR 16

static int armed;
static int hits;
static const char *needles[16];
static size_t nneedles;

static void *t_malloc(size_t n)
{
    unsigned char *p = malloc(n + HDR);

    if (p == NULL) {
        return NULL;
    }
    memcpy(p, &n, sizeof(n));
    return p + HDR;
}

static int holds(const unsigned char *buf, size_t len, const char *needle)
{
    size_t n = strlen(needle), i;

    for (i = 0; n > 0 && n <= len && i <= len - n; i++) {
        if (memcmp(buf + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static void t_free(void *ptr)
{
    unsigned char *p;
    size_t n, i;

    if (ptr == NULL) {
        return;
    }
    p = (unsigned char *)ptr - HDR;
    memcpy(&n, p, sizeof(n));
    if (armed) {
        for (i = 0; i < nneedles; i++) {
            hits += holds(p + HDR, n, needles[i]);
        }
    }
    free(p);
}

/* The private members of the JWK(s) in FILE become the needles. */
static void needles_from(const char *path)
{
    static const char *const names[] = { "d", "p", "q", "dp", "dq", "qi",
                                         "k" };
    json_t *doc = tu_json_file(tu_pool, path), *keys, *k;
    size_t i, j;

    nneedles = 0;
    keys = json_object_get(doc, "keys");
    for (j = 0; j == 0 || j < json_array_size(keys); j++) {
        k = keys != NULL ? json_array_get(keys, j) : doc;
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            const char *v = json_string_value(json_object_get(k, names[i]));

            if (v != NULL && nneedles < sizeof(needles) / sizeof(needles[0])) {
                needles[nneedles++] = apr_pstrdup(tu_pool, v);
            }
        }
    }
    ck_assert_uint_gt(nneedles, 0);
}

/* jwk_load SOURCE (a key file: needles from it) and count the freed
 * buffers that still hold a private member.  WANT: must the load work. */
static int load_hits(const char *source, const char *file, int want_ok)
{
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 1, 0, NULL, NULL);
    jwk_set_t *set = jwk_set_make(tu_pool);
    const char *err = NULL;
    int rc;

    needles_from(file);
    hits = 0;
    armed = 1;
    rc = jwk_load(set, tu_pool, source, &o, &err);
    armed = 0;
    ck_assert_msg((rc == 0) == want_ok, "%s: %s", source,
                  err ? err : "loaded");
    return hits;
}

START_TEST(detector_sees_unwiped_values)
{
    /* the control: a document freed without jwk_json_wipe leaves its
     * private values behind, and the allocator sees them */
    const char *path = tu_key_path(tu_pool, "rsa2048.key.jwk");
    json_t *doc;

    needles_from(path);
    doc = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    hits = 0;
    armed = 1;
    json_decref(doc);
    armed = 0;
    ck_assert_int_ge(hits, 6);

    doc = json_load_file(path, 0, NULL);
    ck_assert_ptr_nonnull(doc);
    jwk_json_wipe(doc);
    hits = 0;
    armed = 1;
    json_decref(doc);
    armed = 0;
    ck_assert_int_eq(hits, 0);
}
END_TEST

START_TEST(private_jwk_members_wiped)
{
    static const char *const files[] = {
        "rsa2048.key.jwk", "ec-p256.key.jwk", "ed25519.key.jwk", "hs256.jwk"
    };
    size_t i;

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        const char *path = tu_key_path(tu_pool, files[i]);

        ck_assert_msg(load_hits(path, path, 1) == 0,
                      "%s: a private member was freed unwiped", files[i]);
    }
}
END_TEST

START_TEST(private_jwks_members_wiped)
{
    /* a JWK Set of private keys; and one that fails to load after its
     * first key (mixed private and public) is wiped all the same */
    json_t *set = json_pack("{s:[OO]}", "keys",
                            tu_json_file(tu_pool, tu_key_path(tu_pool,
                                                 "ec-p256.key.jwk")),
                            tu_json_file(tu_pool, tu_key_path(tu_pool,
                                                 "ed25519.key.jwk")));
    json_t *mixed = json_pack("{s:[OO]}", "keys",
                              tu_json_file(tu_pool, tu_key_path(tu_pool,
                                                   "rsa2048.key.jwk")),
                              tu_json_file(tu_pool, tu_key_path(tu_pool,
                                                   "ec-p256.pub.jwk")));
    char *text = json_dumps(set, JSON_COMPACT);
    char *mtext = json_dumps(mixed, JSON_COMPACT);
    const char *path = tu_temp_file(tu_pool, text, strlen(text));
    const char *mpath = tu_temp_file(tu_pool, mtext, strlen(mtext));

    ck_assert_int_eq(load_hits(path, path, 1), 0);
    ck_assert_int_eq(load_hits(mpath, mpath, 0), 0);
    jwk_json_wipe(set);
    jwk_json_wipe(mixed);
    /* json_dumps allocates with jansson's allocator: ours */
    t_free(text);
    t_free(mtext);
    json_decref(set);
    json_decref(mixed);
}
END_TEST

START_TEST(jwk_given_as_secret_wiped)
{
    /* secret:FILE holding a private JWK is refused, and the JSON it was
     * recognised by is wiped too */
    const char *path = tu_key_path(tu_pool, "ec-p256.key.jwk");

    ck_assert_int_eq(load_hits(apr_pstrcat(tu_pool, "secret:", path, NULL),
                               path, 0), 0);
}
END_TEST

static Suite *wipe_suite(void)
{
    Suite *s = suite_create("wipe");
    TCase *tc = tcase_create("jwk");

    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_add_test(tc, detector_sees_unwiped_values);
    tcase_add_test(tc, private_jwk_members_wiped);
    tcase_add_test(tc, private_jwks_members_wiped);
    tcase_add_test(tc, jwk_given_as_secret_wiped);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    /* before anything else uses jansson: every buffer it frees passes
     * through t_free */
    json_set_alloc_funcs(t_malloc, t_free);
    tu_init();
    return tu_run(wipe_suite());
}
