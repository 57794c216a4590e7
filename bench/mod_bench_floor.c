/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * mod_bench_floor.c: the least a JWS verifier can do inside httpd, for
 * bench/floor.sh.  Not part of the product and never installed.
 *
 *   AuthType BenchFloor
 *   BenchFloor HS256|RS256|ES256|EdDSA KEYFILE
 *   BenchFloor none|spin:MICROSECONDS
 *   Require valid-user
 *
 * Per request its check_user_id hook takes the token from "Authorization:
 * Bearer", finds its last dot, decodes the signature (base64url) and checks
 * it over the signing input with the key of KEYFILE (a PEM public key, or
 * the HMAC secret's raw bytes), the way mod_authn_jwt does (a context
 * prepared at start-up, copied per request, EVP_MD_CTX_FLAG_FINALISE; R||S
 * written as DER for ES256).  Nothing else: no header or claim is read, no
 * time or audience checked, nothing logged or exported.  So what the shared
 * benchmark charges this module beyond `openssl speed` is what any verifier
 * pays for running the signature check inside httpd.  "none" does no
 * cryptography (httpd's authentication and authorization hooks alone);
 * "spin:N" does N microseconds of register-only arithmetic instead, to tell
 * time spent from caches disturbed.
 */

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_request.h"
#include "apr_strings.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

module AP_MODULE_DECLARE_DATA bench_floor_module;

typedef enum { FLOOR_UNSET, FLOOR_NONE, FLOOR_SPIN, FLOOR_HMAC, FLOOR_PKEY } floor_kind_t;

typedef struct {
    floor_kind_t kind;
    const char *alg;
    const char *keyfile;
    long spin_iters;
    int es256;
    EVP_MD_CTX *hin, *hout;   /* HS256: SHA-256 after K ^ ipad, K ^ opad */
    EVP_MD_CTX *verify;       /* RS256, ES256, EdDSA: verify initialised */
} floor_conf_t;

static void *create_server(apr_pool_t *p, server_rec *s)
{
    (void)s;
    return apr_pcalloc(p, sizeof(floor_conf_t));
}

static const char *set_floor(cmd_parms *cmd, void *dummy, const char *arg,
                             const char *keyfile)
{
    floor_conf_t *c = ap_get_module_config(cmd->server->module_config,
                                           &bench_floor_module);
    (void)dummy;
    c->alg = arg;
    c->keyfile = keyfile ? ap_server_root_relative(cmd->pool, keyfile) : NULL;
    if (!strcmp(arg, "none")) {
        c->kind = FLOOR_NONE;
    }
    else if (!strncmp(arg, "spin:", 5) && atol(arg + 5) > 0) {
        c->kind = FLOOR_SPIN;
        c->spin_iters = atol(arg + 5);   /* microseconds until calibrated */
    }
    else if (!strcmp(arg, "HS256") && keyfile) {
        c->kind = FLOOR_HMAC;
    }
    else if ((!strcmp(arg, "RS256") || !strcmp(arg, "ES256")
              || !strcmp(arg, "EdDSA")) && keyfile) {
        c->kind = FLOOR_PKEY;
        c->es256 = !strcmp(arg, "ES256");
    }
    else {
        return "BenchFloor: HS256|RS256|ES256|EdDSA KEYFILE, none or spin:MICROSECONDS";
    }
    return NULL;
}

static apr_status_t free_ctx(void *data)
{
    EVP_MD_CTX_free(data);
    return APR_SUCCESS;
}

static EVP_MD_CTX *keyed(apr_pool_t *p, const unsigned char *k, unsigned char pad)
{
    unsigned char block[64];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int i;

    for (i = 0; i < 64; i++) {
        block[i] = k[i] ^ pad;
    }
    if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)
        || !EVP_DigestUpdate(ctx, block, sizeof(block))) {
        EVP_MD_CTX_free(ctx);
        return NULL;
    }
    apr_pool_cleanup_register(p, ctx, free_ctx, apr_pool_cleanup_null);
    return ctx;
}

static volatile unsigned long spin_sink;

/* Register-only work: nothing read from or written to memory in the loop. */
static unsigned long spin(long iters)
{
    unsigned long x = 88172645463325252UL;
    long i;

    for (i = 0; i < iters; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

static long calibrate(long usec)
{
    struct timespec a, b;
    long iters = 1000000;
    double ns;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    spin_sink = spin(iters);
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
    return (long)(usec * 1000.0 * iters / (ns > 0 ? ns : 1));
}

static int prepare(apr_pool_t *p, server_rec *s, floor_conf_t *c)
{
    EVP_PKEY *pkey = NULL;
    FILE *f;
    int ok;

    if (c->kind == FLOOR_SPIN) {
        c->spin_iters = calibrate(c->spin_iters);
        return 1;
    }
    if (c->kind == FLOOR_NONE) {
        return 1;
    }
    f = fopen(c->keyfile, "rb");
    if (f == NULL) {
        ap_log_error(APLOG_MARK, APLOG_ERR, errno, s, "BenchFloor: cannot open %s", c->keyfile);
        return 0;
    }
    if (c->kind == FLOOR_HMAC) {
        unsigned char key[64] = { 0 };
        size_t n = fread(key, 1, sizeof(key), f);

        fclose(f);
        c->hin = keyed(p, key, 0x36);
        c->hout = keyed(p, key, 0x5c);
        OPENSSL_cleanse(key, sizeof(key));
        return n > 0 && c->hin && c->hout;
    }
    pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    c->verify = EVP_MD_CTX_new();
    ok = pkey && c->verify
         && EVP_DigestVerifyInit(c->verify, NULL,
                                 strcmp(c->alg, "EdDSA") ? EVP_sha256() : NULL,
                                 NULL, pkey) == 1;
    EVP_PKEY_free(pkey);
    if (c->verify) {
        apr_pool_cleanup_register(p, c->verify, free_ctx, apr_pool_cleanup_null);
    }
    if (!ok) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "BenchFloor %s: no key from %s",
                     c->alg, c->keyfile);
    }
    return ok;
}

static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                       server_rec *s)
{
    floor_conf_t *c = ap_get_module_config(s->module_config, &bench_floor_module);
    (void)plog; (void)ptemp;
    if (c->kind != FLOOR_UNSET && !prepare(pconf, s, c)) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/* base64url without padding; -1 when IN holds anything else. */
static long b64url_decode(unsigned char *out, size_t max, const char *in, size_t len)
{
    unsigned long acc = 0;
    size_t i, n = 0;
    int bits = 0;

    for (i = 0; i < len; i++) {
        int ch = (unsigned char)in[i], v;

        if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
        else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
        else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
        else if (ch == '-') v = 62;
        else if (ch == '_') v = 63;
        else return -1;
        acc = (acc << 6) | (unsigned long)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == max) return -1;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    return (long)n;
}

/* ES256 R || S as the DER SEQUENCE of two INTEGERs OpenSSL verifies. */
static size_t der_int(unsigned char *o, const unsigned char *v)
{
    size_t skip = 0, n;

    while (skip < 31 && v[skip] == 0) skip++;
    n = 32 - skip;
    o[0] = 0x02;
    if (v[skip] & 0x80) {
        o[1] = (unsigned char)(n + 1);
        o[2] = 0;
        memcpy(o + 3, v + skip, n);
        return n + 3;
    }
    o[1] = (unsigned char)n;
    memcpy(o + 2, v + skip, n);
    return n + 2;
}

static int verify(const floor_conf_t *c, const char *tok, size_t len)
{
    const char *dot = memrchr(tok, '.', len);
    unsigned char sig[512], der[80];
    const unsigned char *s = sig;
    EVP_MD_CTX *ctx;
    long siglen;
    int ok = 0;

    if (dot == NULL) {
        return 0;
    }
    siglen = b64url_decode(sig, sizeof(sig), dot + 1, len - (size_t)(dot + 1 - tok));
    if (siglen <= 0) {
        return 0;
    }
    if (c->es256) {
        size_t r, t;

        if (siglen != 64) {
            return 0;
        }
        r = der_int(der + 2, sig);
        t = der_int(der + 2 + r, sig + 32);
        der[0] = 0x30;
        der[1] = (unsigned char)(r + t);
        s = der;
        siglen = (long)(r + t + 2);
    }
    ctx = EVP_MD_CTX_new();
    if (ctx == NULL) {
        return 0;
    }
    if (c->kind == FLOOR_HMAC) {
        unsigned char inner[32], mac[32];
        unsigned int n;

        ok = EVP_MD_CTX_copy_ex(ctx, c->hin)
             && EVP_DigestUpdate(ctx, tok, (size_t)(dot - tok))
             && EVP_DigestFinal_ex(ctx, inner, &n)
             && EVP_MD_CTX_copy_ex(ctx, c->hout)
             && EVP_DigestUpdate(ctx, inner, n)
             && EVP_DigestFinal_ex(ctx, mac, &n)
             && (long)n == siglen && CRYPTO_memcmp(mac, sig, n) == 0;
    }
    else if (EVP_MD_CTX_copy_ex(ctx, c->verify)) {
        EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE);
        ok = EVP_DigestVerify(ctx, s, (size_t)siglen, (const unsigned char *)tok,
                              (size_t)(dot - tok)) == 1;
    }
    EVP_MD_CTX_free(ctx);
    return ok;
}

static int check_user_id(request_rec *r)
{
    floor_conf_t *c = ap_get_module_config(r->server->module_config,
                                           &bench_floor_module);
    const char *type = ap_auth_type(r), *h;

    if (type == NULL || strcasecmp(type, "BenchFloor") || c->kind == FLOOR_UNSET) {
        return DECLINED;
    }
    h = apr_table_get(r->headers_in, "Authorization");
    if (h == NULL || strncasecmp(h, "Bearer ", 7)) {
        return HTTP_UNAUTHORIZED;
    }
    if (c->kind == FLOOR_SPIN) {
        spin_sink = spin(c->spin_iters);
    }
    else if (c->kind != FLOOR_NONE && !verify(c, h + 7, strlen(h + 7))) {
        return HTTP_UNAUTHORIZED;
    }
    r->user = "floor";
    r->ap_auth_type = "BenchFloor";
    return OK;
}

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_authn(check_user_id, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
}

static const command_rec cmds[] = {
    AP_INIT_TAKE12("BenchFloor", set_floor, NULL, RSRC_CONF,
                   "HS256|RS256|ES256|EdDSA KEYFILE, none or spin:MICROSECONDS"),
    { NULL }
};

AP_DECLARE_MODULE(bench_floor) = {
    STANDARD20_MODULE_STUFF,
    NULL, NULL, create_server, NULL, cmds, register_hooks, 0
};
