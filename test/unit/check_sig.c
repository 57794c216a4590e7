/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * check_sig.c: jose_sig.c, the verification state prepared per key and the
 * ECDSA DER written by hand.
 *
 *   - jose_ecdsa_der agrees byte for byte with OpenSSL's i2d_ECDSA_SIG on
 *     the edge cases (leading zeros, high bit, zero, all 0xff) and on
 *     random R || S of every ECDSA size, P-521's long SEQUENCE length
 *     included; impossible inputs are refused
 *   - every signature key is prepared at load for each algorithm it may
 *     use, and a prepared and an unprepared copy of the same key agree on
 *     a valid token and on every single-bit flip of its signature
 *   - the prepared HMAC equals EVP_MAC's for short, block-sized and long
 *     keys and messages of many lengths
 *   - keys for encryption get no prepared state
 *   - many threads verifying with one prepared key at once all succeed
 *     and reject what they must (the state is read-only)
 */

#include <pthread.h>
#include <string.h>
#include <apr_strings.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/rand.h>
#include "jose_sig.h"
#include "jws.h"
#include "testutil.h"

#define PAYLOAD "{\"sub\":\"alice\",\"exp\":4102444800}"

/* What OpenSSL writes for R || S, for comparison. */
static size_t ossl_der(unsigned char *out, const unsigned char *rs,
                       size_t rslen)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(rs, (int)(rslen / 2), NULL);
    BIGNUM *s = BN_bin2bn(rs + rslen / 2, (int)(rslen / 2), NULL);
    unsigned char *d = out;
    int len;

    ck_assert_ptr_nonnull(es);
    ck_assert_int_eq(ECDSA_SIG_set0(es, r, s), 1);
    len = i2d_ECDSA_SIG(es, &d);
    ck_assert_int_gt(len, 0);
    ECDSA_SIG_free(es);
    return (size_t)len;
}

static void same_der(const unsigned char *rs, size_t rslen)
{
    unsigned char ours[JOSE_ECDSA_DER_MAX], theirs[JOSE_ECDSA_DER_MAX];
    size_t olen = 0, tlen;

    ck_assert_int_eq(jose_ecdsa_der(ours, &olen, sizeof(ours), rs, rslen),
                     0);
    tlen = ossl_der(theirs, rs, rslen);
    ck_assert_uint_eq(olen, tlen);
    ck_assert_mem_eq(ours, theirs, tlen);
}

START_TEST(der_edges)
{
    static const size_t sizes[] = { 64, 96, 132 };
    unsigned char rs[132];
    size_t i, n;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        n = sizes[i];
        /* zero, both halves */
        memset(rs, 0, n);
        same_der(rs, n);
        /* all ones: every INTEGER needs its 0x00 */
        memset(rs, 0xff, n);
        same_der(rs, n);
        /* high bit set in R only, clear in S */
        memset(rs, 0x11, n);
        rs[0] = 0x80;
        same_der(rs, n);
        /* leading zero bytes to strip, then a high bit after them */
        memset(rs, 0x22, n);
        rs[0] = 0;
        rs[1] = 0;
        rs[2] = 0x90;
        rs[n / 2] = 0;
        rs[n / 2 + 1] = 0x7f;
        same_der(rs, n);
        /* one non-zero last byte: a one-byte INTEGER */
        memset(rs, 0, n);
        rs[n / 2 - 1] = 0x01;
        rs[n - 1] = 0x80;
        same_der(rs, n);
    }
}
END_TEST

START_TEST(der_random)
{
    static const size_t sizes[] = { 64, 96, 132 };
    unsigned char rs[132];
    size_t i;
    int k;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        for (k = 0; k < 2000; k++) {
            ck_assert_int_eq(RAND_bytes(rs, (int)sizes[i]), 1);
            /* now and then, zero bytes at the front of a half */
            if (k % 3 == 0) {
                memset(rs, 0, (size_t)(k % 5));
            }
            if (k % 7 == 0) {
                memset(rs + sizes[i] / 2, 0, (size_t)(k % 4));
            }
            same_der(rs, sizes[i]);
        }
    }
}
END_TEST

START_TEST(der_refusals)
{
    unsigned char rs[300], der[JOSE_ECDSA_DER_MAX];
    size_t len = 99;

    memset(rs, 0xff, sizeof(rs));
    ck_assert_int_eq(jose_ecdsa_der(der, &len, sizeof(der), rs, 0), -1);
    ck_assert_uint_eq(len, 0);
    ck_assert_int_eq(jose_ecdsa_der(der, &len, sizeof(der), rs, 63), -1);
    ck_assert_int_eq(jose_ecdsa_der(der, &len, sizeof(der), rs, 254), -1);
    /* 2 x (2 + 1 + 66) + 3 = 141 bytes for P-521 with high bits set */
    ck_assert_int_eq(jose_ecdsa_der(der, &len, 140, rs, 132), -1);
    ck_assert_int_eq(jose_ecdsa_der(der, &len, 141, rs, 132), 0);
    ck_assert_uint_eq(len, 141);
}
END_TEST

typedef struct {
    const char *sign;
    const char *verify;
    const char *alg;
} pair_t;

static const pair_t pairs[] = {
    { "secret:hs256.secret", "secret:hs256.secret", "HS256" },
    { "secret:hs384.secret", "secret:hs384.secret", "HS384" },
    { "secret:hs512.secret", "secret:hs512.secret", "HS512" },
    { "rsa2048.key.pem", "rsa2048.pub.pem", "RS256" },
    { "rsa2048.key.pem", "rsa2048.pub.pem", "RS512" },
    { "rsa2048.key.pem", "rsa2048.pub.pem", "PS256" },
    { "rsa2048.key.pem", "rsa2048.pub.pem", "PS384" },
    { "ec-p256.key.pem", "ec-p256.pub.pem", "ES256" },
    { "ec-p384.key.pem", "ec-p384.pub.pem", "ES384" },
    { "ec-p521.key.pem", "ec-p521.pub.pem", "ES512" },
    { "ec-secp256k1.key.pem", "ec-secp256k1.pub.pem", "ES256K" },
    { "ed25519.key.pem", "ed25519.pub.pem", "EdDSA" },
    { "ed448.key.pem", "ed448.pub.pem", "EdDSA" },
};

static jwt_status_t verify_sig(const jwk_t *key, const jose_alg_info_t *alg,
                               const jws_t *jws, const unsigned char *sig)
{
    return jose_sig_verify(key, alg,
                           (const unsigned char *)jws->signing_input,
                           jws->signing_input_len, sig, jws->sig_len);
}

/* The prepared and the unprepared path agree on everything. */
START_TEST(prepared_agrees)
{
    const pair_t *c = &pairs[_i];
    const jose_alg_info_t *alg = tu_alg(c->alg);
    const jwk_t *sk = tu_sign_key(tu_pool, c->sign, JOSE_ALG_BIT(alg->id));
    const jwk_t *vk = tu_verify_key(tu_pool, c->verify, 0);
    char *t = tu_sign(tu_pool, sk, c->alg, NULL, NULL, PAYLOAD);
    jwk_t plain = *vk;
    unsigned char *sig;
    jws_t *jws = NULL;
    size_t i;
    int b;

    ck_assert_msg(vk->prep != NULL, "%s: %s was not prepared", c->alg,
                  c->verify);
    plain.prep = NULL;
    ck_assert_status(jws_parse(&jws, tu_pool, t, strlen(t)), JWT_OK);
    ck_assert_status(verify_sig(vk, alg, jws, jws->sig), JWT_OK);
    ck_assert_status(verify_sig(&plain, alg, jws, jws->sig), JWT_OK);
    sig = apr_pmemdup(tu_pool, jws->sig, jws->sig_len);
    for (i = 0; i < jws->sig_len; i++) {
        for (b = 0; b < 8; b++) {
            sig[i] ^= (unsigned char)(1 << b);
            ck_assert_status(verify_sig(vk, alg, jws, sig),
                             JWT_ERR_SIGNATURE);
            ck_assert_status(verify_sig(&plain, alg, jws, sig),
                             JWT_ERR_SIGNATURE);
            sig[i] ^= (unsigned char)(1 << b);
        }
    }
    /* and once more after all that: the prepared state is unchanged */
    ck_assert_status(verify_sig(vk, alg, jws, jws->sig), JWT_OK);
}
END_TEST

/* The prepared HMAC (two keyed digest states) against EVP_MAC, for keys
 * shorter than, equal to and longer than the block (hashed first), and
 * messages of every length around the block boundaries. */
START_TEST(hmac_matches_evp_mac)
{
    static const char *const algs[] = { "HS256", "HS384", "HS512" };
    static const size_t keylens[] = { 32, 48, 64, 65, 100, 128, 129, 300 };
    unsigned char secret[300], msg[300], ours[EVP_MAX_MD_SIZE];
    unsigned char theirs[EVP_MAX_MD_SIZE];
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    size_t a, kl, ml, olen, tlen;

    ck_assert_ptr_nonnull(hmac);
    for (a = 0; a < 3; a++) {
        const jose_alg_info_t *alg = tu_alg(algs[a]);

        for (kl = 0; kl < sizeof(keylens) / sizeof(keylens[0]); kl++) {
            jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 0,
                                        JOSE_ALG_BIT(alg->id), NULL, NULL);
            jwk_t *key = NULL;
            const char *err = NULL;
            OSSL_PARAM params[2];

            if (keylens[kl] < alg->key_len) {
                continue;
            }
            ck_assert_int_eq(RAND_bytes(secret, (int)keylens[kl]), 1);
            ck_assert_int_eq(jwk_from_secret(&key, tu_pool, secret,
                                             keylens[kl], &o, "test", &err),
                             0);
            ck_assert_ptr_nonnull(key->prep);
            params[0] = OSSL_PARAM_construct_utf8_string(
                "digest", (char *)alg->digest, 0);
            params[1] = OSSL_PARAM_construct_end();
            for (ml = 0; ml < sizeof(msg); ml += (ml < 140 ? 1 : 37)) {
                EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac);

                ck_assert_int_eq(RAND_bytes(msg, (int)sizeof(msg)), 1);
                ck_assert_int_eq(jose_sig_hmac(ours, &olen, key, alg, msg,
                                               ml), 1);
                ck_assert_ptr_nonnull(ctx);
                ck_assert_int_eq(EVP_MAC_init(ctx, secret, keylens[kl],
                                              params), 1);
                ck_assert_int_eq(EVP_MAC_update(ctx, msg, ml), 1);
                ck_assert_int_eq(EVP_MAC_final(ctx, theirs, &tlen,
                                               sizeof(theirs)), 1);
                EVP_MAC_CTX_free(ctx);
                ck_assert_uint_eq(olen, alg->sig_len);
                ck_assert_uint_eq(olen, tlen);
                ck_assert_mem_eq(ours, theirs, tlen);
            }
        }
    }
    EVP_MAC_free(hmac);
}
END_TEST

START_TEST(encryption_keys_unprepared)
{
    jwk_load_opts_t o = tu_opts(JOSE_USE_ENC, 0, 0, NULL, NULL);
    const jwk_t *k = tu_load_key(tu_pool, "rsa2048.pub.pem", &o);

    ck_assert_ptr_null(k->prep);
}
END_TEST

#define THREADS 8
#define ROUNDS 200

typedef struct {
    const jwk_t *key;
    const jose_alg_info_t *alg;
    const jws_t *good;
    const unsigned char *bad;
    int failures;
} worker_t;

static void *worker(void *arg)
{
    worker_t *w = arg;
    int i;

    for (i = 0; i < ROUNDS; i++) {
        if (verify_sig(w->key, w->alg, w->good, w->good->sig) != JWT_OK
            || verify_sig(w->key, w->alg, w->good, w->bad)
               != JWT_ERR_SIGNATURE) {
            w->failures++;
        }
    }
    return NULL;
}

/* One prepared key, many threads at once (event MPM). */
START_TEST(prepared_threads)
{
    static const pair_t c[] = {
        { "secret:hs256.secret", "secret:hs256.secret", "HS256" },
        { "rsa2048.key.pem", "rsa2048.pub.pem", "PS256" },
        { "ec-p256.key.pem", "ec-p256.pub.pem", "ES256" },
        { "ed25519.key.pem", "ed25519.pub.pem", "EdDSA" },
    };
    worker_t w[THREADS];
    pthread_t th[THREADS];
    int i;

    for (i = 0; i < THREADS; i++) {
        const pair_t *p = &c[i % 4];
        const jose_alg_info_t *alg = tu_alg(p->alg);
        const jwk_t *sk = tu_sign_key(tu_pool, p->sign,
                                      JOSE_ALG_BIT(alg->id));
        char *t = tu_sign(tu_pool, sk, p->alg, NULL, NULL, PAYLOAD);
        jws_t *jws = NULL;
        unsigned char *bad;

        ck_assert_status(jws_parse(&jws, tu_pool, t, strlen(t)), JWT_OK);
        bad = apr_pmemdup(tu_pool, jws->sig, jws->sig_len);
        bad[jws->sig_len / 2] ^= 0x01;
        /* threads of the same algorithm share one key */
        w[i].key = i < 4 ? tu_verify_key(tu_pool, p->verify, 0)
                         : w[i - 4].key;
        w[i].alg = alg;
        w[i].good = jws;
        w[i].bad = bad;
        w[i].failures = 0;
        if (i >= 4) {
            /* the token of thread i-4 fits the shared key */
            w[i].good = w[i - 4].good;
            w[i].bad = w[i - 4].bad;
        }
    }
    for (i = 0; i < THREADS; i++) {
        ck_assert_int_eq(pthread_create(&th[i], NULL, worker, &w[i]), 0);
    }
    for (i = 0; i < THREADS; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(w[i].failures, 0);
    }
}
END_TEST

static Suite *sig_suite(void)
{
    Suite *s = suite_create("sig");
    TCase *tc;

    tc = tcase_create("der");
    tcase_add_test(tc, der_edges);
    tcase_add_test(tc, der_random);
    tcase_add_test(tc, der_refusals);
    suite_add_tcase(s, tc);

    tc = tcase_create("prepared");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, prepared_agrees, 0,
                        (int)(sizeof(pairs) / sizeof(pairs[0])));
    tcase_add_test(tc, hmac_matches_evp_mac);
    tcase_add_test(tc, encryption_keys_unprepared);
    tcase_add_test(tc, prepared_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tu_init();
    return tu_run(sig_suite());
}
