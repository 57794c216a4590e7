/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * verify_micro.c: the cost of the core's verify path without httpd, to
 * tell the module's own work from the server's (bench/README.md).
 *
 * For HS256, RS256, ES256 and EdDSA it signs N distinct tokens shaped like
 * the ones of the shared benchmark (kid, iss, aud, sub, iat, exp, scope,
 * jti), then times, per token:
 *   plain   jose_sig_verify over the token's signing input, parsed
 *           beforehand, with the key's prepared state hidden: every
 *           call initialises its own context (the path before
 *           jose_sig.c)
 *   sig     the same with the prepared state: the signature check as
 *           the module runs it
 *   check   jwt_check with issuer and audience rules, in a pool cleared
 *           after every token, as the module calls it
 * and prints them and check - sig, the core's cost beyond the signature.
 * The columns are measured interleaved, round after round, so that other
 * load on the machine spoils all of them alike, and timed in thread CPU
 * time, which another process on the core does not add to; medians are
 * printed.  Not a test: nothing here passes or fails on a number.
 *
 * Usage: bench/verify_micro [-n TOKENS] [-r ROUNDS] [-k KEYS_DIR] [ALG...]
 * KEYS_DIR defaults to test/unit/keys of the source tree.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <apr_general.h>
#include <apr_strings.h>
#include "jose_alg.h"
#include "jose_util.h"
#include "jwk.h"
#include "jws.h"
#include "jwt.h"

#define ISS "https://issuer.bench.invalid"
#define AUD "bench-api"

typedef struct {
    const char *alg;
    const char *sign_src;
    const char *verify_src;
    const char *kid;
} case_t;

static const case_t cases[] = {
    { "HS256", "secret:hs256.secret", "secret:hs256.secret", "bench-hs256" },
    { "RS256", "rsa2048.key.pem", "rsa2048.pub.pem", "bench-rs256" },
    { "ES256", "ec-p256.key.pem", "ec-p256.pub.pem", "bench-es256" },
    { "EdDSA", "ed25519.key.pem", "ed25519.pub.pem", "bench-eddsa" },
};

static double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static jwk_set_t *load(apr_pool_t *p, const char *dir, const char *src,
                       const char *alg, const char *kid, int priv)
{
    jwk_set_t *set = jwk_set_make(p);
    jwk_load_opts_t o;
    const char *err = NULL, *bad = NULL;
    size_t badlen = 0;

    memset(&o, 0, sizeof(o));
    o.use = JOSE_USE_SIG;
    o.want_private = priv;
    o.kid = kid;
    o.base_dir = dir;
    if (jose_alg_set_parse(&o.algs, alg, JOSE_USE_SIG, &bad, &badlen) != 0
        || jwk_load(set, p, src, &o, &err) != 0) {
        fprintf(stderr, "verify_micro: %s: %s\n", src, err ? err : "?");
        exit(1);
    }
    return set;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void run(apr_pool_t *p, const char *dir, const case_t *c, int n,
                int rounds)
{
    jwk_set_t *sk = load(p, dir, c->sign_src, c->alg, c->kid, 1);
    jwk_set_t *vk = load(p, dir, c->verify_src, c->alg, c->kid, 0);
    const jwk_t *skey = APR_ARRAY_IDX(sk->keys, 0, const jwk_t *);
    const jwk_t *vkey = APR_ARRAY_IDX(vk->keys, 0, const jwk_t *);
    const jose_alg_info_t *alg = jose_alg_lookup(c->alg, strlen(c->alg));
    apr_pool_t *scratch;
    jwt_rules_t rules;
    char **tok = malloc(sizeof(char *) * (size_t)n);
    jws_t **jws = malloc(sizeof(jws_t *) * (size_t)n);
    double *sig_t = malloc(sizeof(double) * (size_t)rounds);
    double *plain_t = malloc(sizeof(double) * (size_t)rounds);
    jwk_t plain;
    double *chk_t = malloc(sizeof(double) * (size_t)rounds);
    long t0 = (long)time(NULL);
    int i, k;

    if (tok == NULL || jws == NULL || sig_t == NULL || plain_t == NULL || chk_t == NULL || alg == NULL) {
        exit(1);
    }
    for (i = 0; i < n; i++) {
        char *claims = apr_psprintf(p,
            "{\"sub\":\"bench-user\",\"iss\":\"" ISS "\",\"aud\":\"" AUD
            "\",\"iat\":%ld,\"exp\":%ld,\"scope\":\"read write\","
            "\"jti\":\"%s-cold-%06d\"}", t0, t0 + 86400, c->kid, i);
        json_t *typ = json_pack("{s:s}", "typ", "JWT");

        if (jws_sign(&tok[i], p, skey, alg, c->kid, typ,
                     (const unsigned char *)claims, strlen(claims))
            != JWT_OK) {
            fprintf(stderr, "verify_micro: %s signing failed\n", c->alg);
            exit(1);
        }
        json_decref(typ);
        /* parsed once, outside the timed loops: the sig column is the
         * signature primitive alone */
        if (jws_parse(&jws[i], p, tok[i], strlen(tok[i])) != JWT_OK) {
            exit(1);
        }
    }
    jwt_rules_init(&rules);
    rules.verify_keys = vk;
    rules.issuers = apr_array_make(p, 1, sizeof(const char *));
    APR_ARRAY_PUSH(rules.issuers, const char *) = ISS;
    rules.audiences = apr_array_make(p, 1, sizeof(const char *));
    APR_ARRAY_PUSH(rules.audiences, const char *) = AUD;
    rules.user_claim = "sub";
    apr_pool_create(&scratch, p);

    plain = *vkey;
    plain.prep = NULL;
    for (k = 0; k < rounds; k++) {
        double t;

        t = now_ns();
        for (i = 0; i < n; i++) {
            if (jose_sig_verify(&plain, alg,
                                (const unsigned char *)jws[i]->signing_input,
                                jws[i]->signing_input_len, jws[i]->sig,
                                jws[i]->sig_len) != JWT_OK) {
                exit(1);
            }
        }
        plain_t[k] = (now_ns() - t) / n;

        t = now_ns();
        for (i = 0; i < n; i++) {
            if (jose_sig_verify(vkey, alg,
                                (const unsigned char *)jws[i]->signing_input,
                                jws[i]->signing_input_len, jws[i]->sig,
                                jws[i]->sig_len) != JWT_OK) {
                fprintf(stderr, "verify_micro: %s: signature refused\n",
                        c->alg);
                exit(1);
            }
        }
        sig_t[k] = (now_ns() - t) / n;

        t = now_ns();
        for (i = 0; i < n; i++) {
            jwt_t *jwt = NULL;

            if (jwt_check(&jwt, scratch, tok[i], strlen(tok[i]), &rules,
                          (int64_t)t0) != JWT_OK) {
                fprintf(stderr, "verify_micro: %s: token refused\n",
                        c->alg);
                exit(1);
            }
            apr_pool_clear(scratch);
        }
        chk_t[k] = (now_ns() - t) / n;
    }
    qsort(sig_t, (size_t)rounds, sizeof(double), compare);
    qsort(chk_t, (size_t)rounds, sizeof(double), compare);
    qsort(plain_t, (size_t)rounds, sizeof(double), compare);
    printf("%-6s %10.2f %10.2f %10.2f %10.2f\n", c->alg,
           plain_t[rounds / 2] / 1e3, sig_t[rounds / 2] / 1e3,
           chk_t[rounds / 2] / 1e3,
           (chk_t[rounds / 2] - sig_t[rounds / 2]) / 1e3);
    free(tok);
    free(jws);
    free(sig_t);
    free(plain_t);
    free(chk_t);
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    apr_pool_t *p;
    int n = 2000, rounds = 5, opt, i;
    size_t c;

    while ((opt = getopt(argc, argv, "n:r:k:")) != -1) {
        switch (opt) {
        case 'n':
            n = atoi(optarg);
            break;
        case 'r':
            rounds = atoi(optarg);
            break;
        case 'k':
            dir = optarg;
            break;
        default:
            fprintf(stderr, "usage: verify_micro [-n TOKENS] [-r ROUNDS] "
                            "[-k KEYS_DIR] [ALG...]\n");
            return 2;
        }
    }
    if (n < 1 || rounds < 1) {
        return 2;
    }
    if (dir == NULL) {
        dir = VERIFY_MICRO_KEYS_DIR;
    }
    apr_initialize();
    apr_pool_create(&p, NULL);
    if (jose_crypto_init() != 0) {
        return 1;
    }
    printf("# %d tokens, median of %d rounds, microseconds per token\n", n,
           rounds);
    printf("%-6s %10s %10s %10s %10s\n", "alg", "plain", "sig", "check",
           "beyond");
    for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        int want = optind >= argc;

        for (i = optind; i < argc; i++) {
            want |= strcmp(argv[i], cases[c].alg) == 0;
        }
        if (want) {
            run(p, dir, &cases[c], n, rounds);
        }
    }
    apr_pool_destroy(p);
    apr_terminate();
    return 0;
}
