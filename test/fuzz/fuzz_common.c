/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * fuzz_common.c: the shared part of the fuzz targets: one-time set-up, the
 * key sets (from the unit-test fixtures, the RFC 7515, 7516, 7519, 7520
 * and 8037 examples and Wycheproof's JWS keys, so that the seed tokens
 * verify and decrypt and the fuzzer starts from accepted tokens), the
 * per-input pool and the checks every target makes on every status
 * (doc/attacks.md F6).
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <openssl/err.h>
#include "jose_util.h"
#include "fuzz_common.h"

#ifndef FUZZ_KEYS_DIR
#define FUZZ_KEYS_DIR "test/unit/keys"
#endif
#ifndef FUZZ_VECTORS_DIR
#define FUZZ_VECTORS_DIR "test/vectors"
#endif

static apr_pool_t *root;        /* keys: the whole process              */
static apr_pool_t *input_pool;  /* one input, cleared after it          */
static jwk_set_t *verify_set, *sign_set, *decrypt_set;
static int verbose;
static size_t live_at_start;    /* pool allocations when the input began */

void fz_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static const char *dir_from_env(const char *name, const char *dflt)
{
    const char *v = getenv(name);

    return v != NULL && *v != '\0' ? v : dflt;
}

/* ---- key loading (fixture problems abort: no key, no fuzzing) ---- */

static jose_alg_set_t alg_bits(const char *names)
{
    jose_alg_set_t set = 0;
    const char *s = names;

    while (s != NULL && *s != '\0') {
        const char *e = strchr(s, ',');
        size_t n = e != NULL ? (size_t)(e - s) : strlen(s);
        const jose_alg_info_t *a = jose_alg_lookup(s, n);

        if (a == NULL) {
            fz_fail("unknown algorithm in \"%s\"", names);
        }
        set |= JOSE_ALG_BIT(a->id);
        s = e != NULL ? e + 1 : NULL;
    }
    return set;
}

static jwk_load_opts_t opts(jose_use_t use, int want_private,
                            const char *algs, const char *kid,
                            const char *iss)
{
    jwk_load_opts_t o;

    memset(&o, 0, sizeof(o));
    o.use = use;
    o.want_private = want_private;
    o.algs = algs != NULL ? alg_bits(algs) : 0;
    o.kid = kid;
    o.iss = iss;
    o.base_dir = dir_from_env("KEYS_DIR", FUZZ_KEYS_DIR);
    return o;
}

/* A fixture file: "rsa2048.pub.pem", "secret:hs256.secret". */
static void load(jwk_set_t *set, const char *source, jose_use_t use,
                 int want_private, const char *algs, const char *kid,
                 const char *iss)
{
    jwk_load_opts_t o = opts(use, want_private, algs, kid, iss);
    const char *err = NULL;

    if (jwk_load(set, root, source, &o, &err) != 0) {
        fz_fail("cannot load the fixture %s from %s (set KEYS_DIR): %s",
                source, o.base_dir, err != NULL ? err : "?");
    }
}

static void add_key(jwk_set_t *set, jwk_t *k)
{
    const char *err = NULL;

    APR_ARRAY_PUSH(set->keys, jwk_t *) = k;
    if (jwk_set_check(set, &err) != 0) {
        fz_fail("fixture key set: %s", err != NULL ? err : "?");
    }
}

/* A key given as raw bytes (AES keys and the PBES2 password). */
static void load_secret(jwk_set_t *set, const void *secret, size_t len,
                        jose_use_t use, const char *algs, const char *kid)
{
    jwk_load_opts_t o = opts(use, use == JOSE_USE_ENC, algs, kid, NULL);
    const char *err = NULL;
    jwk_t *k;

    if (jwk_from_secret(&k, root, secret, len, &o, "fuzz secret", &err)
        != 0) {
        fz_fail("fuzz secret %s: %s", kid != NULL ? kid : "", err);
    }
    add_key(set, k);
}

/* A JWK inside an RFC example file: FILE under VECTORS_DIR, then a path of
 * member names and array indexes ("examples", "0", "jwk").  The JWK's own
 * alg is dropped when ALGS is given (RFC 7520's dir key names an enc), its
 * kid when ALGS starts with '-' (the rest is then ALGS, or none). */
static void load_vector_jwk(jwk_set_t *set, const char *file,
                            const char *const *path, jose_use_t use,
                            int want_private, const char *algs)
{
    const char *dir = dir_from_env("VECTORS_DIR", FUZZ_VECTORS_DIR);
    char *full = apr_pstrcat(root, dir, "/", file, NULL), *buf;
    jwk_load_opts_t o;
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n;
    json_t *doc, *j;
    const char *err = NULL;
    int drop_kid = algs != NULL && *algs == '-';
    jwk_t *k;

    if (drop_kid) {
        algs = algs[1] != '\0' ? algs + 1 : NULL;
    }
    o = opts(use, want_private, algs, NULL, NULL);
    if (apr_file_open(&f, full, APR_FOPEN_READ, APR_FPROT_OS_DEFAULT, root)
        != APR_SUCCESS
        || apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
        fz_fail("cannot read %s (set VECTORS_DIR)", full);
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(root, n + 1);
    if (apr_file_read_full(f, buf, n, &n) != APR_SUCCESS) {
        fz_fail("cannot read %s", full);
    }
    apr_file_close(f);
    if (jose_json_object(&doc, root, buf, n) != JWT_OK) {
        fz_fail("%s is not a JSON object", full);
    }
    for (j = doc; *path != NULL; path++) {
        j = json_is_array(j) ? json_array_get(j, strtoul(*path, NULL, 10))
                             : json_object_get(j, *path);
    }
    j = json_deep_copy(j);
    if (!json_is_object(j)) {
        fz_fail("%s: no JWK at the given path", full);
    }
    jose_json_pool_own(root, j);
    if (algs != NULL) {
        json_object_del(j, "alg");
    }
    if (drop_kid) {
        json_object_del(j, "kid");
    }
    if (jwk_parse_json(&k, root, j, &o, file, &err) != 0) {
        fz_fail("%s: %s", full, err != NULL ? err : "?");
    }
    add_key(set, k);
}

#define PATH(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void load_verify_keys(void)
{
    jwk_set_t *s = verify_set = jwk_set_make(root);
    static const char *const whole[] = { NULL };
    static const char *const rfc7515[] = {
        "rfc/latchset-jose/rfc7515_A.1.jwk",
        "rfc/latchset-jose/rfc7515_A.2.jwk",
        "rfc/latchset-jose/rfc7515_A.3.jwk",
        "rfc/latchset-jose/rfc7515_A.4.jwk",
    };
    static const char *const wycheproof[][2] = {
        { "0", "private" }, { "1", "public" }, { "2", "public" },
        { "3", "public" }, { "4", "public" }, { "5", "public" },
        { "6", "public" }, { "7", "public" }, { "8", "public" },
        { "21", "private" },
    };
    size_t i;

    load(s, "secret:hs256.secret", JOSE_USE_SIG, 0, NULL, "hs256", NULL);
    load(s, "secret:hs384.secret", JOSE_USE_SIG, 0, NULL, NULL, NULL);
    load(s, "secret:hs512.secret", JOSE_USE_SIG, 0, NULL, "hs512",
         FZ_ISSUER);
    load(s, "rsa2048.pub.pem", JOSE_USE_SIG, 0, NULL, NULL, NULL);
    load(s, "rsa3072.pub.pem", JOSE_USE_SIG, 0, "PS256,PS384,PS512",
         "rsa3072", NULL);
    load(s, "ec-p256.pub.jwk", JOSE_USE_SIG, 0, NULL, NULL, NULL);
    load(s, "ec-p384.pub.pem", JOSE_USE_SIG, 0, NULL, NULL, NULL);
    load(s, "ec-p521.pub.pem", JOSE_USE_SIG, 0, NULL, "ec-p521", NULL);
    load(s, "ec-secp256k1.pub.pem", JOSE_USE_SIG, 0, NULL, "es256k", NULL);
    load(s, "ed25519.pub.pem", JOSE_USE_SIG, 0, NULL, "ed25519", NULL);
    load(s, "ed448.pub.pem", JOSE_USE_SIG, 0, NULL, NULL, NULL);
    /* RFC 7520 4.1-4.4 (kid "bilbo.baggins@hobbiton.example" is the RSA
     * key; its EC namesake would be a duplicate kid), RFC 7520 6 (without
     * its kid: the token names none), RFC 7519 A.2, RFC 8037 A.2, RFC 7515
     * A.1-A.4 (no kid: any token) */
    load_vector_jwk(s, "rfc7520/jws/4_1.rsa_v15_signature.json",
                    PATH("input", "key"), JOSE_USE_SIG, 0, NULL);
    load_vector_jwk(s, "rfc7520/jws/4_4.hmac-sha2_integrity_protection.json",
                    PATH("input", "key"), JOSE_USE_SIG, 0, NULL);
    load_vector_jwk(s, "rfc7520/6.nesting_signatures_and_encryption.json",
                    PATH("sign", "input", "key"), JOSE_USE_SIG, 0, "-");
    load_vector_jwk(s, "rfc/rfc7519_A.2_nested_jwt.json",
                    PATH("inner_jws_verification_jwk"), JOSE_USE_SIG, 0,
                    NULL);
    load_vector_jwk(s, "rfc/rfc8037_appendix_A.json",
                    PATH("A.2_ed25519_public_jwk"), JOSE_USE_SIG, 0, NULL);
    for (i = 0; i < sizeof(rfc7515) / sizeof(rfc7515[0]); i++) {
        load_vector_jwk(s, rfc7515[i], whole, JOSE_USE_SIG, 0, NULL);
    }
    /* Wycheproof's JWS keys (all with a kid of their own), so that its
     * signature edge cases reach the primitives with the right key */
    for (i = 0; i < sizeof(wycheproof) / sizeof(wycheproof[0]); i++) {
        load_vector_jwk(s, "wycheproof/json_web_signature_test.json",
                        PATH("testGroups", wycheproof[i][0],
                             wycheproof[i][1]), JOSE_USE_SIG, 0, NULL);
    }
}

static void load_sign_keys(void)
{
    jwk_set_t *s = sign_set = jwk_set_make(root);

    load(s, "secret:hs256.secret", JOSE_USE_SIG, 1, NULL, "hs256", NULL);
    load(s, "secret:hs384.secret", JOSE_USE_SIG, 1, NULL, NULL, NULL);
    load(s, "secret:hs512.secret", JOSE_USE_SIG, 1, NULL, "hs512", NULL);
    load(s, "rsa2048.key.pem", JOSE_USE_SIG, 1, NULL, NULL, NULL);
    load(s, "rsa3072.key.pem", JOSE_USE_SIG, 1, "PS256,PS384,PS512",
         "rsa3072", NULL);
    load(s, "ec-p256.key.pem", JOSE_USE_SIG, 1, NULL, "ec-p256", NULL);
    load(s, "ec-p384.key.pem", JOSE_USE_SIG, 1, NULL, NULL, NULL);
    load(s, "ec-p521.key.pem", JOSE_USE_SIG, 1, NULL, "ec-p521", NULL);
    load(s, "ec-secp256k1.key.pem", JOSE_USE_SIG, 1, NULL, "es256k", NULL);
    load(s, "ed25519.key.pem", JOSE_USE_SIG, 1, NULL, "ed25519", NULL);
    load(s, "ed448.key.pem", JOSE_USE_SIG, 1, NULL, NULL, NULL);
}

/* RFC 7520 5.3's password (UTF-8, with two EN DASHes). */
static const char pbes2_password[] =
    "entrap_o\xe2\x80\x93" "peter_long\xe2\x80\x93" "credit_tun";
/* Fixed test keys: no fixture file has these lengths. */
static const unsigned char aes128_key[16] = "fuzz-A128KW-key!";
static const unsigned char dir_key[32] = "fuzz-dir-A128CBC-HS256-A256GCM!!";

static void load_decrypt_keys(void)
{
    jwk_set_t *s = decrypt_set = jwk_set_make(root);
    static const char *const rfc7520[] = {
        "rfc7520/jwe/5_4.key_agreement_with_key_wrapping_using_ecdh-es_and_"
        "aes-keywrap_with_aes-gcm.json",
        "rfc7520/jwe/5_5.key_agreement_using_ecdh-es_with_aes-cbc-hmac-"
        "sha2.json",
        "rfc7520/curve25519/ecdh-es.json",
        "rfc7520/jwe/5_7.key_wrap_using_aes-gcm_keywrap_with_aes-cbc-hmac-"
        "sha2.json",
        "rfc7520/jwe/5_8.key_wrap_using_aes-keywrap_with_aes-gcm.json",
    };
    size_t i;

    /* The order matters (jwe.h): for RSA, ECDH-ES and PBES2 only the first
     * fitting key is tried, a token without kid fits every key of its
     * algorithm and one with a kid also every key without a kid.  So one
     * RSA key per algorithm: RFC 7520 6's (without its kid; it is RFC 7520
     * 5.2's key too) for RSA-OAEP, RFC 7516 A.2's for RSA1_5 (RFC 7519 A.2
     * uses it as well), the fixture for RSA-OAEP-256.  Every ECDH key has
     * a kid, ec-p256 first: it takes the ECDH tokens without kid. */
    load_vector_jwk(s, "rfc7520/6.nesting_signatures_and_encryption.json",
                    PATH("encrypt", "input", "key"), JOSE_USE_ENC, 1,
                    "-RSA-OAEP");
    load_vector_jwk(s, "rfc/rfc7516_appendix_A.json",
                    PATH("examples", "1", "jwk"), JOSE_USE_ENC, 1,
                    "RSA1_5");
    load(s, "rsa2048.key.pem", JOSE_USE_ENC, 1, "RSA-OAEP-256", NULL, NULL);
    load(s, "ec-p256.key.pem", JOSE_USE_ENC, 1, NULL, "ec-p256", NULL);
    load(s, "x25519.key.pem", JOSE_USE_ENC, 1, NULL, "x25519", NULL);
    load_secret(s, aes128_key, sizeof(aes128_key), JOSE_USE_ENC,
                "A128KW,A128GCMKW", "a128kw");
    load_secret(s, dir_key, sizeof(dir_key), JOSE_USE_ENC, "dir", "dir");
    load_secret(s, pbes2_password, sizeof(pbes2_password) - 1, JOSE_USE_ENC,
                "PBES2-HS256+A128KW,PBES2-HS384+A192KW,PBES2-HS512+A256KW",
                NULL);
    for (i = 0; i < sizeof(rfc7520) / sizeof(rfc7520[0]); i++) {
        load_vector_jwk(s, rfc7520[i], PATH("input", "key"), JOSE_USE_ENC,
                        1, NULL);
    }
    load_vector_jwk(s, "rfc7520/jwe/5_6.direct_encryption_using_aes-gcm.json",
                    PATH("input", "key"), JOSE_USE_ENC, 1, "dir");
    load_vector_jwk(s, "rfc/rfc7516_appendix_A.json",
                    PATH("examples", "2", "jwk"), JOSE_USE_ENC, 1,
                    "A128KW");
}

void fz_init(int with_keys)
{
    static int done;
    apr_allocator_t *alloc;

    if (done) {
        return;
    }
    done = 1;
    verbose = getenv("FUZZ_VERBOSE") != NULL;
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&root, NULL) != APR_SUCCESS) {
        fz_fail("apr_initialize failed");
    }
    if (jose_crypto_init() != 0) {
        fz_fail("jose_crypto_init failed: OpenSSL lacks HMAC or SHA-2");
    }
    /* The input pool has its own allocator that keeps no free memory: a
     * cleared block goes back to malloc, so ASan sees a pointer into one
     * input's memory used during the next. */
    if (apr_allocator_create(&alloc) != APR_SUCCESS
        || apr_pool_create_ex(&input_pool, NULL, NULL, alloc)
           != APR_SUCCESS) {
        fz_fail("cannot create the input pool");
    }
    apr_allocator_owner_set(alloc, input_pool);
    apr_allocator_max_free_set(alloc, 1);
    if (with_keys) {
        load_verify_keys();
        load_sign_keys();
        load_decrypt_keys();
    }
    /* Pool memory is not scanned by LeakSanitizer (APR maps it), so what
     * only the pools point to must be released before the leak check at
     * exit, and before OpenSSL's own exit handler (registered earlier, so
     * run later) */
    atexit(apr_terminate);
}

apr_pool_t *fz_root(void)
{
    return root;
}

apr_pool_t *fz_pool(void)
{
    live_at_start = fz_palloc_live();
    return input_pool;
}

void fz_input_done(void)
{
    size_t live;

    apr_pool_clear(input_pool);
    ERR_clear_error();
    /* everything an input allocated went with its pool: nothing was put
     * in a long-lived pool (the keys' or the process's), where it would
     * pile up request after request in the module */
    live = fz_palloc_live();
    if (live != live_at_start) {
        fz_fail("%ld pool allocations of this input outlived its pool",
                (long)(live - live_at_start));
    }
}

const jwk_set_t *fz_verify_keys(void)
{
    return verify_set;
}

const jwk_set_t *fz_sign_keys(void)
{
    return sign_set;
}

const jwk_set_t *fz_decrypt_keys(void)
{
    return decrypt_set;
}

const jwk_t *fz_pick_key(const jwk_set_t *set, jose_alg_t alg,
                         const char *kid)
{
    const jwk_t *first = NULL;
    int i;

    for (i = 0; set != NULL && i < set->keys->nelts; i++) {
        const jwk_t *k = APR_ARRAY_IDX(set->keys, i, const jwk_t *);

        if (!JOSE_ALG_IN(k->algs, alg)) {
            continue;
        }
        if (kid == NULL || (k->kid != NULL && strcmp(k->kid, kid) == 0)) {
            return k;
        }
        if (first == NULL) {
            first = k;
        }
    }
    return first;
}

void fz_check_sig_key(const jwk_t *key, const jose_alg_info_t *alg,
                      const char *kid, const char *iss)
{
    int i, found = 0;

    FZ_ASSERT(key != NULL && alg != NULL);
    for (i = 0; i < verify_set->keys->nelts; i++) {
        found |= APR_ARRAY_IDX(verify_set->keys, i, const jwk_t *) == key;
    }
    FZ_ASSERT(found);
    FZ_ASSERT(alg->use == JOSE_USE_SIG && key->use == JOSE_USE_SIG);
    FZ_ASSERT(JOSE_ALG_IN(key->algs, alg->id));
    FZ_ASSERT(key->kty == alg->kty);
    FZ_ASSERT(alg->curve_nid == 0 || alg->curve_nid == key->curve_nid);
    FZ_ASSERT(key->kty != JOSE_KTY_OCT
              || (key->secret != NULL && key->secret_len >= alg->key_len));
    FZ_ASSERT(key->kty == JOSE_KTY_OCT || key->pkey != NULL);
    /* a kid in the token narrows the candidates to the key with that kid
     * and keys without one; a token without kid may use any (jws.h) */
    FZ_ASSERT(key->kid == NULL || kid == NULL || strcmp(key->kid, kid) == 0);
    FZ_ASSERT(key->iss == NULL
              || (iss != NULL && strcmp(key->iss, iss) == 0));
}

size_t fz_split(const uint8_t *data, size_t size, const uint8_t **part,
                size_t *len, size_t max)
{
    size_t n = 0, from = 0, i;

    for (i = 0; i < size && n + 1 < max; i++) {
        if (data[i] == 0) {
            part[n] = data + from;
            len[n] = i - from;
            n++;
            from = i + 1;
        }
    }
    part[n] = data + from;
    len[n] = size - from;
    return n + 1;
}

char *fz_exact_copy(const void *data, size_t len)
{
    /* malloc(0) may return NULL; one byte is still never read */
    char *c = malloc(len > 0 ? len : 1);

    if (c == NULL) {
        fz_fail("out of memory");
    }
    if (len > 0) {
        memcpy(c, data, len);
    }
    return c;
}

void fz_check_status(jwt_status_t st)
{
    const jwt_status_info_t *info;

    FZ_ASSERT((int)st >= 0 && st < JWT_STATUS_COUNT);
    info = jwt_status_info(st);
    FZ_ASSERT(info != NULL && info->name != NULL
              && info->description != NULL);
    FZ_ASSERT(st == JWT_OK ? info->http_status == 200
                           : info->http_status == 400
                             || info->http_status == 401
                             || info->http_status == 403);
}

void fz_note(const char *what, jwt_status_t st)
{
    if (verbose) {
        fprintf(stderr, "  %s: %s\n", what, jwt_status_name(st));
    }
}

void fz_claim_model(apr_pool_t *p, const json_t *claims)
{
    static const char *const paths[] = {
        "sub", "scope", "realm_access.roles", "a.b", "a.b.c.d.e.f.g.h.i.j",
        "resource_access.api.roles", ".", "a..b", "groups", "email",
    };
    apr_array_header_t *scopes, *want;
    const char *key;
    json_t *v;
    size_t i;

    if (!json_is_object(claims)) {
        return;
    }
    /* what mod_authn_jwt.c exports to the environment */
    json_object_foreach((json_t *)claims, key, v) {
        const char *t = jwt_claim_text(p, v);

        FZ_ASSERT(t == NULL || strlen(t) < 1024 * 1024);
        (void)jwt_claim_matches(v, "admin");
        (void)jwt_claim_matches(v, "1");
        (void)jwt_claim_matches(v, "true");
        (void)jwt_claim_get(claims, key);
    }
    /* Require jwt-claim and jwt_claim() with dotted paths */
    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        v = jwt_claim_get(claims, paths[i]);
        if (v != NULL) {
            (void)jwt_claim_text(p, v);
            (void)jwt_claim_matches(v, "admin");
        }
    }
    /* Require jwt-scope */
    want = fz_strs(p, "read", "write", NULL);
    scopes = jwt_scopes(p, claims, NULL);
    FZ_ASSERT(scopes != NULL);
    v = json_object_get(claims, "scope");
    if (v == NULL) {
        v = json_object_get(claims, "scp");
    }
    for (i = 0; i < (size_t)scopes->nelts; i++) {
        const char *s = APR_ARRAY_IDX(scopes, i, const char *);

        FZ_ASSERT(s != NULL);
        /* RFC 6749 3.3: a scope string splits on spaces into non-empty
         * scopes (array members are taken as they are) */
        FZ_ASSERT(!json_is_string(v) || (*s != '\0' && !strchr(s, ' ')));
    }
    (void)jwt_scopes_include(scopes, want);
    scopes = jwt_scopes(p, claims, "roles");
    FZ_ASSERT(scopes != NULL);
    (void)jwt_scopes_include(scopes, want);
}

apr_array_header_t *fz_strs(apr_pool_t *p, ...)
{
    apr_array_header_t *a = apr_array_make(p, 4, sizeof(const char *));
    const char *s;
    va_list ap;

    va_start(ap, p);
    while ((s = va_arg(ap, const char *)) != NULL) {
        APR_ARRAY_PUSH(a, const char *) = s;
    }
    va_end(ap);
    return a;
}
