/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * testutil.c: the helpers of testutil.h.  The base64url codec here is a
 * separate, deliberately plain implementation of RFC 7515 section 2 /
 * appendix C, so that expected values never come from jose_b64.c.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>
#include "testutil.h"

apr_pool_t *tu_pool;

void tu_init(void)
{
    static int done;

    if (!done) {
        apr_initialize();
        atexit(apr_terminate);
        done = 1;
    }
}

void tu_setup(void)
{
    tu_init();
    ck_assert_int_eq(apr_pool_create(&tu_pool, NULL), APR_SUCCESS);
}

void tu_teardown(void)
{
    apr_pool_destroy(tu_pool);
    tu_pool = NULL;
}

int tu_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    int failed;

    tu_init();
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int tu_status_in(jwt_status_t st, int n, ...)
{
    va_list ap;
    int i, found = 0;

    va_start(ap, n);
    for (i = 0; i < n; i++) {
        if ((jwt_status_t)va_arg(ap, int) == st) {
            found = 1;
        }
    }
    va_end(ap);
    return found;
}

/* ------------------------------------------------------------ files -- */

/* An absolute directory (tests compare paths, and keys load with a
 * base_dir): ENV when set, else the first guess that holds PROBE. */
static const char *find_dir(const char *env, const char *const *guesses,
                            const char *probe)
{
    char buf[4096], cwd[4096], *out;
    const char *v = getenv(env);
    size_t n;
    int i;

    if (v == NULL || *v == '\0') {
        v = guesses[0];
        for (i = 0; guesses[i] != NULL; i++) {
            snprintf(buf, sizeof(buf), "%s/%s", guesses[i], probe);
            if (access(buf, R_OK) == 0) {
                v = guesses[i];
                break;
            }
        }
    }
    if (v[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL) {
        return strdup(v);
    }
    n = strlen(cwd) + strlen(v) + 2;
    out = malloc(n);
    ck_assert_ptr_nonnull(out);
    snprintf(out, n, "%s/%s", cwd, v);
    return out;
}

const char *tu_vectors_dir(void)
{
    static const char *const g[] = {
        "test/vectors", "../vectors", "../../test/vectors", NULL
    };
    static const char *dir;

    if (dir == NULL) {
        dir = find_dir("VECTORS_DIR", g, "SHA256SUMS");
    }
    return dir;
}

const char *tu_keys_dir(void)
{
    static const char *const g[] = {
        "test/unit/keys", "keys", "../unit/keys", NULL
    };
    static const char *dir;

    if (dir == NULL) {
        dir = find_dir("KEYS_DIR", g, "make-keys.sh");
    }
    return dir;
}

char *tu_vector_path(apr_pool_t *p, const char *rel)
{
    return apr_pstrcat(p, tu_vectors_dir(), "/", rel, NULL);
}

char *tu_key_path(apr_pool_t *p, const char *name)
{
    return apr_pstrcat(p, tu_keys_dir(), "/", name, NULL);
}

char *tu_read_file(apr_pool_t *p, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    ck_assert_msg(n >= 0, "cannot size %s", path);
    rewind(f);
    buf = apr_palloc(p, (apr_size_t)n + 1);
    ck_assert_msg(fread(buf, 1, (size_t)n, f) == (size_t)n,
                  "cannot read %s", path);
    fclose(f);
    buf[n] = '\0';
    if (len != NULL) {
        *len = (size_t)n;
    }
    return buf;
}

char *tu_read_line(apr_pool_t *p, const char *path)
{
    size_t n;
    char *s = tu_read_file(p, path, &n);

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'
                     || s[n - 1] == ' ' || s[n - 1] == '\t')) {
        s[--n] = '\0';
    }
    return s;
}

const char *tu_temp_file(apr_pool_t *p, const void *data, size_t len)
{
    const char *dir = NULL;
    char *tmpl, pattern[7];
    apr_file_t *f;
    apr_size_t n = len;

    ck_assert_int_eq(apr_temp_dir_get(&dir, p), APR_SUCCESS);
    /* apr_file_mktemp replaces a trailing run of six 'X' */
    memset(pattern, 'X', 6);
    pattern[6] = '\0';
    tmpl = apr_pstrcat(p, dir, "/unit-test-", pattern, NULL);
    /* deleted when the pool closes the file */
    ck_assert_int_eq(apr_file_mktemp(&f, tmpl, APR_FOPEN_CREATE
                                     | APR_FOPEN_READ | APR_FOPEN_WRITE
                                     | APR_FOPEN_EXCL
                                     | APR_FOPEN_DELONCLOSE, p),
                     APR_SUCCESS);
    if (len > 0) {
        ck_assert_int_eq(apr_file_write_full(f, data, len, &n),
                         APR_SUCCESS);
    }
    ck_assert_int_eq(apr_file_flush(f), APR_SUCCESS);
    return tmpl;
}

static apr_status_t json_cleanup(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

json_t *tu_own(apr_pool_t *p, json_t *j)
{
    if (j != NULL) {
        apr_pool_cleanup_register(p, j, json_cleanup,
                                  apr_pool_cleanup_null);
    }
    return j;
}

json_t *tu_json_file(apr_pool_t *p, const char *path)
{
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);

    ck_assert_msg(j != NULL, "%s: %s (line %d)", path, e.text, e.line);
    return tu_own(p, j);
}

json_t *tu_vector(apr_pool_t *p, const char *rel)
{
    return tu_json_file(p, tu_vector_path(p, rel));
}

json_t *tu_json(apr_pool_t *p, const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);

    ck_assert_msg(j != NULL, "bad test JSON: %s", e.text);
    return tu_own(p, j);
}

/* --------------------------------------------------------- base64url -- */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '-') {
        return 62;
    }
    if (c == '_') {
        return 63;
    }
    return -1;
}

char *tu_b64(apr_pool_t *p, const void *buf, size_t len)
{
    const unsigned char *in = buf;
    char *out = apr_palloc(p, (len + 2) / 3 * 4 + 1);
    size_t i, o = 0;

    for (i = 0; i + 2 < len; i += 3) {
        unsigned long v = ((unsigned long)in[i] << 16)
                          | ((unsigned long)in[i + 1] << 8) | in[i + 2];

        out[o++] = b64chars[(v >> 18) & 63];
        out[o++] = b64chars[(v >> 12) & 63];
        out[o++] = b64chars[(v >> 6) & 63];
        out[o++] = b64chars[v & 63];
    }
    if (len - i == 1) {
        unsigned long v = (unsigned long)in[i] << 16;

        out[o++] = b64chars[(v >> 18) & 63];
        out[o++] = b64chars[(v >> 12) & 63];
    }
    else if (len - i == 2) {
        unsigned long v = ((unsigned long)in[i] << 16)
                          | ((unsigned long)in[i + 1] << 8);

        out[o++] = b64chars[(v >> 18) & 63];
        out[o++] = b64chars[(v >> 12) & 63];
        out[o++] = b64chars[(v >> 6) & 63];
    }
    out[o] = '\0';
    return out;
}

unsigned char *tu_unb64(apr_pool_t *p, const char *in, size_t len,
                        size_t *outlen)
{
    unsigned char *out;
    unsigned long acc = 0;
    size_t i, o = 0;
    int bits = 0;

    if (len % 4 == 1) {
        return NULL;
    }
    out = apr_palloc(p, len / 4 * 3 + 3);
    for (i = 0; i < len; i++) {
        int v = b64val((unsigned char)in[i]);

        if (v < 0) {
            return NULL;
        }
        acc = (acc << 6) | (unsigned long)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    /* RFC 7515 appendix C: the leftover bits of the last character must
     * be zero, or two strings would decode to the same bytes. */
    if (bits > 0 && (acc & ((1UL << bits) - 1)) != 0) {
        return NULL;
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

unsigned char *tu_unhex(apr_pool_t *p, const char *hex, size_t *outlen)
{
    size_t n = strlen(hex), i;
    unsigned char *out = apr_palloc(p, n / 2 + 1);

    ck_assert_msg(n % 2 == 0, "odd hex length");
    for (i = 0; i < n / 2; i++) {
        unsigned int v;

        ck_assert_msg(sscanf(hex + 2 * i, "%2x", &v) == 1, "bad hex");
        out[i] = (unsigned char)v;
    }
    *outlen = n / 2;
    return out;
}

/* -------------------------------------------------------------- keys -- */

jwk_load_opts_t tu_opts(jose_use_t use, int want_private,
                        jose_alg_set_t algs, const char *kid,
                        const char *iss)
{
    jwk_load_opts_t o;

    memset(&o, 0, sizeof(o));
    o.use = use;
    o.want_private = want_private;
    o.algs = algs;
    o.kid = kid;
    o.iss = iss;
    return o;
}

char *tu_key_source(apr_pool_t *p, const char *name)
{
    /* a name with a directory part is a path already */
    if (strncmp(name, "secret:", 7) == 0) {
        return apr_pstrcat(p, "secret:", strchr(name + 7, '/') != NULL
                                         ? name + 7
                                         : tu_key_path(p, name + 7), NULL);
    }
    if (strchr(name, '/') != NULL) {
        return apr_pstrdup(p, name);
    }
    return tu_key_path(p, name);
}

int tu_try_load(jwk_set_t **set, apr_pool_t *p, const char *name,
                const jwk_load_opts_t *opts, const char **err)
{
    *err = NULL;
    *set = jwk_set_make(p);
    ck_assert_ptr_nonnull(*set);
    return jwk_load(*set, p, tu_key_source(p, name), opts, err);
}

jwk_set_t *tu_load_set(apr_pool_t *p, const char *name,
                       const jwk_load_opts_t *opts)
{
    jwk_set_t *set;
    const char *err;
    int rv = tu_try_load(&set, p, name, opts, &err);

    ck_assert_msg(rv == 0, "loading %s failed: %s", name,
                  err ? err : "(no message)");
    ck_assert_ptr_nonnull(set->keys);
    ck_assert_msg(set->keys->nelts >= 1, "%s: no key loaded", name);
    return set;
}

const jwk_t *tu_load_key(apr_pool_t *p, const char *name,
                         const jwk_load_opts_t *opts)
{
    jwk_set_t *set = tu_load_set(p, name, opts);

    ck_assert_msg(set->keys->nelts == 1, "%s: %d keys, want 1", name,
                  set->keys->nelts);
    return APR_ARRAY_IDX(set->keys, 0, const jwk_t *);
}

const jwk_t *tu_verify_key(apr_pool_t *p, const char *name,
                           jose_alg_set_t algs)
{
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 0, algs, NULL, NULL);

    return tu_load_key(p, name, &o);
}

const jwk_t *tu_sign_key(apr_pool_t *p, const char *name,
                         jose_alg_set_t algs)
{
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 1, algs, NULL, NULL);

    return tu_load_key(p, name, &o);
}

int tu_try_jwk_json(jwk_set_t **set, apr_pool_t *p, json_t *jwk,
                    const jwk_load_opts_t *opts, const char **err)
{
    jwk_t *k = NULL;
    int rv;

    *err = NULL;
    *set = jwk_set_make(p);
    if (json_is_object(jwk) && json_object_get(jwk, "keys") != NULL) {
        return jwk_set_parse_json(*set, p, jwk, opts, "test JWKS", err);
    }
    rv = jwk_parse_json(&k, p, jwk, opts, "test JWK", err);
    if (rv == 0) {
        ck_assert_ptr_nonnull(k);
        APR_ARRAY_PUSH((*set)->keys, jwk_t *) = k;
    }
    return rv;
}

const jwk_t *tu_jwk_json(apr_pool_t *p, json_t *jwk,
                         const jwk_load_opts_t *opts)
{
    jwk_set_t *set;
    const char *err;
    int rv = tu_try_jwk_json(&set, p, jwk, opts, &err);

    ck_assert_msg(rv == 0, "JWK refused: %s", err ? err : "(no message)");
    ck_assert_int_ge(set->keys->nelts, 1);
    return APR_ARRAY_IDX(set->keys, 0, const jwk_t *);
}

jwk_set_t *tu_set(apr_pool_t *p, ...)
{
    jwk_set_t *set = jwk_set_make(p);
    va_list ap;
    const jwk_t *k;

    va_start(ap, p);
    while ((k = va_arg(ap, const jwk_t *)) != NULL) {
        APR_ARRAY_PUSH(set->keys, jwk_t *) = (jwk_t *)k;
    }
    va_end(ap);
    return set;
}

const jose_alg_info_t *tu_alg(const char *name)
{
    const jose_alg_info_t *a = jose_alg_lookup(name, strlen(name));

    ck_assert_msg(a != NULL, "algorithm %s not in the table", name);
    return a;
}

/* ------------------------------------------------------------ tokens -- */

char *tu_sign(apr_pool_t *p, const jwk_t *key, const char *alg,
              const char *kid, const char *extra, const char *payload)
{
    char *out = NULL;
    json_t *x = extra != NULL ? tu_json(p, extra) : NULL;
    jwt_status_t st = jws_sign(&out, p, key, tu_alg(alg), kid, x,
                               (const unsigned char *)payload,
                               strlen(payload));

    ck_assert_msg(st == JWT_OK, "jws_sign %s: %s", alg,
                  jwt_status_name(st));
    ck_assert_ptr_nonnull(out);
    return out;
}

char *tu_token_sig(apr_pool_t *p, const char *header, const char *payload,
                   const unsigned char *sig, size_t siglen)
{
    return apr_pstrcat(p, tu_b64(p, header, strlen(header)), ".",
                       tu_b64(p, payload, strlen(payload)), ".",
                       tu_b64(p, sig, siglen), NULL);
}

char *tu_token(apr_pool_t *p, const char *header, const char *payload,
               const jwk_t *key, const char *sign_alg)
{
    char *input = apr_pstrcat(p, tu_b64(p, header, strlen(header)), ".",
                              tu_b64(p, payload, strlen(payload)), NULL);
    unsigned char *sig = NULL;
    size_t siglen = 0;

    if (key != NULL) {
        jwt_status_t st = jose_sig_sign(&sig, &siglen, p, key,
                                        tu_alg(sign_alg),
                                        (const unsigned char *)input,
                                        strlen(input));

        ck_assert_msg(st == JWT_OK, "jose_sig_sign %s: %s", sign_alg,
                      jwt_status_name(st));
    }
    return apr_pstrcat(p, input, ".", tu_b64(p, sig, siglen), NULL);
}

char *tu_with_sig(apr_pool_t *p, const char *token,
                  const unsigned char *sig, size_t siglen)
{
    const char *dot = strrchr(token, '.');

    ck_assert_ptr_nonnull(dot);
    return apr_pstrcat(p, apr_pstrndup(p, token, (apr_size_t)(dot - token)),
                       ".", tu_b64(p, sig, siglen), NULL);
}

unsigned char *tu_sig_of(apr_pool_t *p, const char *token, size_t *len)
{
    const char *dot = strrchr(token, '.');
    unsigned char *sig;

    ck_assert_ptr_nonnull(dot);
    sig = tu_unb64(p, dot + 1, strlen(dot + 1), len);
    ck_assert_msg(sig != NULL, "signature segment is not base64url");
    return sig;
}

char *tu_segment(apr_pool_t *p, const char *token, int index)
{
    const char *s = token, *e;
    unsigned char *out;
    size_t n;
    int i;

    for (i = 0; i < index; i++) {
        s = strchr(s, '.');
        ck_assert_ptr_nonnull(s);
        s++;
    }
    e = strchr(s, '.');
    if (e == NULL) {
        e = s + strlen(s);
    }
    out = tu_unb64(p, s, (size_t)(e - s), &n);
    ck_assert_msg(out != NULL, "segment %d is not base64url", index);
    return (char *)out;
}

jwt_status_t tu_jws_status(const char *token, size_t len,
                           const jwk_set_t *keys, const char *iss)
{
    apr_pool_t *sp;
    char *buf = malloc(len > 0 ? len : 1);
    jws_t *jws = NULL;
    const jwk_t *used = NULL;
    jwt_status_t st;

    ck_assert_ptr_nonnull(buf);
    memcpy(buf, token, len);
    ck_assert_int_eq(apr_pool_create(&sp, tu_pool), APR_SUCCESS);
    st = jws_parse(&jws, sp, buf, len);
    if (st == JWT_OK) {
        ck_assert_ptr_nonnull(jws);
        ck_assert_ptr_nonnull(jws->alg);
        st = jws_verify(&used, jws, keys, iss);
        if (st == JWT_OK) {
            ck_assert_ptr_nonnull(used);
        }
    }
    apr_pool_destroy(sp);
    free(buf);
    return st;
}

jwt_status_t tu_jws(const char *token, const jwk_set_t *keys)
{
    return tu_jws_status(token, strlen(token), keys, NULL);
}

jwt_status_t tu_jwt_status(const char *token, size_t len,
                           const jwt_rules_t *rules, int64_t now)
{
    apr_pool_t *sp;
    char *buf = malloc(len > 0 ? len : 1);
    jwt_t *jwt = NULL;
    jwt_status_t st;

    ck_assert_ptr_nonnull(buf);
    memcpy(buf, token, len);
    ck_assert_int_eq(apr_pool_create(&sp, tu_pool), APR_SUCCESS);
    st = jwt_check(&jwt, sp, buf, len, rules, now);
    if (st == JWT_OK) {
        ck_assert_ptr_nonnull(jwt);
        ck_assert(jwt->claims != NULL || jwt->flat);
    }
    apr_pool_destroy(sp);
    free(buf);
    return st;
}

long tu_check_mutations(const char *token, const jwk_set_t *keys,
                        const char *iss, const char *label)
{
    apr_pool_t *sp;
    size_t len = strlen(token), siglen, bit, cut;
    unsigned char *sig;
    long n = 0;
    jwt_status_t st;

    st = tu_jws_status(token, len, keys, iss);
    ck_assert_msg(st == JWT_OK, "%s: the token itself: %s", label,
                  jwt_status_name(st));
    ck_assert_int_eq(apr_pool_create(&sp, tu_pool), APR_SUCCESS);
    sig = tu_sig_of(sp, token, &siglen);
    ck_assert_msg(siglen > 0, "%s: empty signature", label);

    for (bit = 0; bit < siglen * 8; bit++) {
        unsigned char *m = apr_pmemdup(sp, sig, siglen);
        char *t;

        m[bit / 8] ^= (unsigned char)(0x80 >> (bit % 8));
        t = tu_with_sig(sp, token, m, siglen);
        st = tu_jws_status(t, strlen(t), keys, iss);
        ck_assert_msg(st == JWT_ERR_SIGNATURE,
                      "%s: signature bit %zu flipped: got %s, want "
                      "signature", label, bit, jwt_status_name(st));
        n++;
        apr_pool_clear(sp);
        sig = tu_sig_of(sp, token, &siglen);
    }

    for (cut = 0; cut < len; cut++) {
        size_t dots = 0, i, second = 0;

        for (i = 0; i < cut; i++) {
            if (token[i] == '.') {
                if (++dots == 2) {
                    second = i;
                }
            }
        }
        st = tu_jws_status(token, cut, keys, iss);
        if (dots < 2) {
            ck_assert_msg(st == JWT_ERR_MALFORMED,
                          "%s: truncated to %zu bytes (%zu dots): got %s, "
                          "want malformed", label, cut, dots,
                          jwt_status_name(st));
        }
        else {
            size_t k = cut - second - 1, dl;

            if (k == 0) {
                ck_assert_msg(st == JWT_ERR_MALFORMED
                              || st == JWT_ERR_SIGNATURE,
                              "%s: signature removed: got %s", label,
                              jwt_status_name(st));
            }
            else if (tu_unb64(sp, token + second + 1, k, &dl) != NULL) {
                ck_assert_msg(st == JWT_ERR_SIGNATURE,
                              "%s: signature cut to %zu chars: got %s, "
                              "want signature", label, k,
                              jwt_status_name(st));
            }
            else {
                ck_assert_msg(st == JWT_ERR_BASE64,
                              "%s: signature cut to %zu chars (not "
                              "canonical base64url): got %s, want base64",
                              label, k, jwt_status_name(st));
            }
        }
        n++;
        apr_pool_clear(sp);
    }
    apr_pool_destroy(sp);
    return n;
}

/* -------------------------------------------------------------- rules -- */

apr_array_header_t *tu_strs(apr_pool_t *p, ...)
{
    apr_array_header_t *a = apr_array_make(p, 4, sizeof(const char *));
    va_list ap;
    const char *s;

    va_start(ap, p);
    while ((s = va_arg(ap, const char *)) != NULL) {
        APR_ARRAY_PUSH(a, const char *) = s;
    }
    va_end(ap);
    return a;
}

void tu_rules(jwt_rules_t *r, apr_pool_t *p, const jwk_set_t *keys)
{
    jwt_rules_init(r);
    r->verify_keys = keys;
    r->required = tu_strs(p, "exp", NULL);
}

/* --------------------------------------------------------- wycheproof -- */

/* The token of a test record: a compact string as it is, a JSON
 * serialization (an object) as its compact JSON text. */
static const char *record_token(apr_pool_t *p, json_t *v, size_t *len)
{
    const char *text;

    if (json_is_string(v)) {
        *len = json_string_length(v);
        return json_string_value(v);
    }
    else {
        char *d = json_dumps(v, JSON_COMPACT);

        ck_assert_ptr_nonnull(d);
        text = apr_pstrdup(p, d);
        *len = strlen(text);
        free(d);
        return text;
    }
}

jwt_status_t tu_wycheproof_jws(apr_pool_t *p, json_t *group, json_t *test,
                               int *at_load, const char **err)
{
    json_t *keyobj = json_object_get(group, "public");
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 0, 0, NULL, NULL);
    jwk_set_t *set;
    const char *text;
    size_t len;

    *at_load = 0;
    *err = NULL;
    if (keyobj == NULL) {
        keyobj = json_object_get(group, "private");
    }
    ck_assert_ptr_nonnull(keyobj);
    if (tu_try_jwk_json(&set, p, keyobj, &o, err) != 0) {
        *at_load = 1;
        return JWT_ERR_NO_KEY;
    }
    text = record_token(p, json_object_get(test, "jws"), &len);
    return tu_jws_status(text, len, set, NULL);
}

/* alg= as an administrator would write it for the JWK: its own alg when
 * that is a key management algorithm (RSA1_5 and PBES2-* are enabled only
 * when named, doc/attacks.md C4, C6), else nothing (a key set, or an enc
 * name, which the loader reads as dir). */
static jose_alg_set_t named_alg(json_t *jwk)
{
    const char *alg = json_string_value(json_object_get(jwk, "alg"));
    const jose_alg_info_t *a = alg != NULL
                               ? jose_alg_lookup(alg, strlen(alg)) : NULL;

    return a != NULL && a->use == JOSE_USE_ENC ? JOSE_ALG_BIT(a->id) : 0;
}

jwt_status_t tu_wycheproof_jwe(jwe_t **out, apr_pool_t *p, json_t *group,
                               json_t *test, int *at_load,
                               const char **err)
{
    json_t *keyobj = json_object_get(group, "private");
    jwk_load_opts_t o = tu_opts(JOSE_USE_ENC, 1, named_alg(keyobj), NULL,
                                NULL);
    jwk_set_t *set;
    const char *text;
    char *buf;
    size_t len;
    jwt_status_t st;

    *out = NULL;
    *at_load = 0;
    *err = NULL;
    ck_assert_ptr_nonnull(keyobj);
    if (tu_try_jwk_json(&set, p, keyobj, &o, err) != 0) {
        *at_load = 1;
        return JWT_ERR_NO_KEY;
    }
    text = record_token(p, json_object_get(test, "jwe"), &len);
    /* an exact-length copy, so that AddressSanitizer sees any over-read */
    buf = malloc(len > 0 ? len : 1);
    ck_assert_ptr_nonnull(buf);
    if (len > 0) {
        memcpy(buf, text, len);
    }
    st = jwe_decrypt(out, p, buf, len, set, 0);
    free(buf);
    ck_assert_msg((st == JWT_OK) == (*out != NULL), "out/status mismatch");
    return st;
}
