/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * check_jwk.c: unit tests of the key loader (RFC 7517, RFC 7518 section 6,
 * RFC 8037 section 2, RFC 7638).
 *
 * - Every key type from PEM (private, public), certificate, JWK, JWK Set
 *   and secret: files, typed with exactly the algorithms it may use.
 * - RFC 7638 thumbprints: RFC 7638 3.1, RFC 8037 A.3 and the fixtures'
 *   thumbprints computed by jwcrypto.
 * - Refusals (doc/attacks.md A2, A5, A6, B4, G): RSA under 2048 bits, e = 1,
 *   short or empty HMAC secrets, a key file used as a secret, alg/crv/kty
 *   disagreements, alg= that does not fit the key, use=enc and key_ops
 *   without verify for a signing key, duplicate kids, points not on the
 *   curve, missing files; the set is left unchanged on failure.
 * - jwk_public_json never carries d, p, q, dp, dq, qi, oth or k.
 * - The Wycheproof json_web_key_test.json cases.
 */

#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include <openssl/encoder.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include "testutil.h"

#define B(a) JOSE_ALG_BIT(JOSE_ALG_##a)
#define RSA_SIG (B(RS256) | B(RS384) | B(RS512) | B(PS256) | B(PS384) \
                 | B(PS512))
#define HS_ALL (B(HS256) | B(HS384) | B(HS512))
#define ECDH (B(ECDH_ES) | B(ECDH_ES_A128KW) | B(ECDH_ES_A192KW) \
              | B(ECDH_ES_A256KW))

/* The Wycheproof P-256 test key (json_web_signature_test.json, es256). */
#define WP_X "\"04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY\""
#define WP_Y "\"UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgmw\""

static const char *thumbprint_of(const char *pubfile)
{
    char *t = tu_read_file(tu_pool, tu_key_path(tu_pool, "thumbprints.txt"),
                           NULL);
    char *line, *last;

    for (line = apr_strtok(t, "\n", &last); line != NULL;
         line = apr_strtok(NULL, "\n", &last)) {
        char *sp = strchr(line, ' ');

        if (sp != NULL && (size_t)(sp - line) == strlen(pubfile)
            && memcmp(line, pubfile, strlen(pubfile)) == 0) {
            return sp + 1;
        }
    }
    ck_abort_msg("no thumbprint for %s", pubfile);
    return NULL;
}

/* Must be refused; the message names the problem and carries no key. */
static const char *refused(const char *name, const jwk_load_opts_t *o)
{
    jwk_set_t *set;
    const char *err = NULL;
    int rv = tu_try_load(&set, tu_pool, name, o, &err);

    ck_assert_msg(rv != 0, "%s was accepted", name);
    ck_assert_msg(err != NULL && err[0] != '\0', "%s: no message", name);
    ck_assert_int_eq(set->keys->nelts, 0);
    return err;
}

static const char *refused_json(const char *text, const jwk_load_opts_t *o)
{
    jwk_set_t *set;
    const char *err = NULL;
    int rv = tu_try_jwk_json(&set, tu_pool, tu_json(tu_pool, text), o, &err);

    ck_assert_msg(rv != 0, "accepted: %s", text);
    ck_assert_msg(err != NULL && err[0] != '\0', "no message for %s", text);
    ck_assert_int_eq(set->keys->nelts, 0);
    return err;
}

static const jwk_t *accepted_json(const char *text,
                                  const jwk_load_opts_t *o)
{
    jwk_set_t *set;
    const char *err = NULL;
    int rv = tu_try_jwk_json(&set, tu_pool, tu_json(tu_pool, text), o, &err);

    ck_assert_msg(rv == 0, "refused: %s: %s", text, err ? err : "");
    ck_assert_int_eq(set->keys->nelts, 1);
    return APR_ARRAY_IDX(set->keys, 0, const jwk_t *);
}

/* --------------------------------------------------------- key types -- */

typedef struct {
    const char *base;       /* fixture base name                  */
    jose_kty_t kty;
    int nid;                /* curve_nid expected (0 for RSA)     */
    jose_alg_set_t algs;    /* derived for use=sig                */
    jose_alg_t dflt;        /* jwk_default_sign_alg               */
} type_row_t;

static const type_row_t types[] = {
    { "rsa2048", JOSE_KTY_RSA, 0, RSA_SIG, JOSE_ALG_RS256 },
    { "rsa3072", JOSE_KTY_RSA, 0, RSA_SIG, JOSE_ALG_RS256 },
    { "ec-p256", JOSE_KTY_EC, NID_X9_62_prime256v1, B(ES256),
      JOSE_ALG_ES256 },
    { "ec-p384", JOSE_KTY_EC, NID_secp384r1, B(ES384), JOSE_ALG_ES384 },
    { "ec-p521", JOSE_KTY_EC, NID_secp521r1, B(ES512), JOSE_ALG_ES512 },
    { "ec-secp256k1", JOSE_KTY_EC, NID_secp256k1, B(ES256K),
      JOSE_ALG_ES256K },
    { "ed25519", JOSE_KTY_OKP, NID_ED25519, B(EDDSA), JOSE_ALG_EDDSA },
    { "ed448", JOSE_KTY_OKP, NID_ED448, B(EDDSA), JOSE_ALG_EDDSA },
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

static void check_typed(const jwk_t *k, const type_row_t *r, const char *f)
{
    ck_assert_msg(k->kty == r->kty, "%s: kty %d", f, k->kty);
    ck_assert_msg(k->curve_nid == r->nid, "%s: curve %d", f, k->curve_nid);
    ck_assert_msg(k->algs == r->algs, "%s: algs %llx, want %llx", f,
                  (unsigned long long)k->algs,
                  (unsigned long long)r->algs);
    ck_assert_ptr_nonnull(k->pkey);
    ck_assert_ptr_null(k->secret);
    ck_assert_int_eq(k->use, JOSE_USE_SIG);
    ck_assert_ptr_nonnull(k->source);
    ck_assert_ptr_nonnull(k->thumbprint);
    ck_assert_str_eq(k->thumbprint, jwk_thumbprint(tu_pool, k));
    ck_assert_msg(strcmp(k->thumbprint,
                         thumbprint_of(apr_pstrcat(tu_pool, r->base,
                                                   ".pub.pem", NULL))) == 0,
                  "%s: thumbprint %s differs from jwcrypto's", f,
                  k->thumbprint);
}

START_TEST(pem_every_type)
{
    const type_row_t *r = &types[_i];
    char *pub = apr_pstrcat(tu_pool, r->base, ".pub.pem", NULL);
    char *key = apr_pstrcat(tu_pool, r->base, ".key.pem", NULL);
    const jwk_t *k;

    /* the public key, and a private key whose public half is used */
    k = tu_verify_key(tu_pool, pub, 0);
    check_typed(k, r, pub);
    ck_assert_int_eq(k->is_private, 0);
    ck_assert_ptr_null(k->kid);
    ck_assert_ptr_null(k->iss);
    ck_assert_int_eq(jwk_default_sign_alg(k), r->dflt);
    check_typed(tu_verify_key(tu_pool, key, 0), r, key);
    /* signing needs the private half */
    k = tu_sign_key(tu_pool, key, 0);
    check_typed(k, r, key);
    ck_assert_int_eq(k->is_private, 1);
    ck_assert_int_eq(jwk_default_sign_alg(k), r->dflt);
    {
        jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 1, 0, NULL, NULL);

        refused(pub, &o);
    }
}
END_TEST

START_TEST(certificates)
{
    jwk_load_opts_t priv = tu_opts(JOSE_USE_SIG, 1, 0, NULL, NULL);

    check_typed(tu_verify_key(tu_pool, "rsa2048.cert.pem", 0), &types[0],
                "rsa2048.cert.pem");
    check_typed(tu_verify_key(tu_pool, "ec-p256.cert.pem", 0), &types[2],
                "ec-p256.cert.pem");
    /* a certificate has no private half */
    refused("rsa2048.cert.pem", &priv);
}
END_TEST

START_TEST(x25519_is_not_a_signing_key)
{
    jwk_load_opts_t enc = tu_opts(JOSE_USE_ENC, 0, 0, NULL, NULL);
    const jwk_t *k;

    refused("x25519.pub.pem", NULL);
    refused("x25519.key.pem", NULL);
    refused("x25519.pub.jwk", NULL);
    k = tu_load_key(tu_pool, "x25519.pub.pem", &enc);
    ck_assert_int_eq(k->kty, JOSE_KTY_OKP);
    ck_assert_int_eq(k->curve_nid, NID_X25519);
    ck_assert_uint_eq(k->algs, ECDH);
    ck_assert_int_eq(k->use, JOSE_USE_ENC);
    k = tu_load_key(tu_pool, "x25519.pub.jwk", &enc);
    ck_assert_str_eq(k->kid, "x25519");
    /* and an EdDSA key is no key-agreement key */
    refused("ed25519.pub.pem", &enc);
}
END_TEST

START_TEST(jwk_files)
{
    jwk_load_opts_t priv = tu_opts(JOSE_USE_SIG, 1, 0, NULL, NULL);
    const jwk_t *k;

    /* a JWK's own alg narrows the key (RFC 7517 4.4) */
    k = tu_verify_key(tu_pool, "rsa2048.pub.jwk", 0);
    ck_assert_int_eq(k->kty, JOSE_KTY_RSA);
    ck_assert_uint_eq(k->algs, B(RS256));
    ck_assert_str_eq(k->kid, "rsa2048");
    ck_assert_str_eq(k->thumbprint, thumbprint_of("rsa2048.pub.pem"));
    k = tu_load_key(tu_pool, "rsa2048.key.jwk", &priv);
    ck_assert_int_eq(k->is_private, 1);
    ck_assert_str_eq(k->thumbprint, thumbprint_of("rsa2048.pub.pem"));
    /* without alg: everything the key type can do */
    k = tu_verify_key(tu_pool, "ec-p256.pub.jwk", 0);
    ck_assert_uint_eq(k->algs, B(ES256));
    ck_assert_str_eq(k->kid, "ec-p256");
    ck_assert_str_eq(k->thumbprint, thumbprint_of("ec-p256.pub.pem"));
    refused("ec-p256.pub.jwk", &priv);
    k = tu_load_key(tu_pool, "ec-p256.key.jwk", &priv);
    ck_assert_int_eq(k->is_private, 1);
    k = tu_verify_key(tu_pool, "ed25519.pub.jwk", 0);
    ck_assert_int_eq(k->curve_nid, NID_ED25519);
    ck_assert_str_eq(k->thumbprint, thumbprint_of("ed25519.pub.pem"));
    k = tu_load_key(tu_pool, "ed25519.key.jwk", &priv);
    ck_assert_int_eq(k->is_private, 1);
    /* an oct JWK */
    k = tu_verify_key(tu_pool, "hs256.jwk", 0);
    ck_assert_int_eq(k->kty, JOSE_KTY_OCT);
    ck_assert_uint_eq(k->algs, B(HS256));
    ck_assert_uint_eq(k->secret_len, 32);
    ck_assert_mem_eq(k->secret, tu_read_file(tu_pool,
                                             tu_key_path(tu_pool,
                                                         "hs256.secret"),
                                             NULL), 32);
    ck_assert_ptr_null(k->pkey);
    ck_assert_str_eq(k->kid, "hs256");
}
END_TEST

START_TEST(jwks_file)
{
    jwk_set_t *set = tu_load_set(tu_pool, "public.jwks", NULL);
    static const struct {
        const char *kid;
        jose_alg_set_t algs;
    } want[] = {
        { "rsa2048", B(RS256) }, { "ec-p256", B(ES256) },
        { "ec-p384", B(ES384) }, { "ed25519", B(EDDSA) },
    };
    jwk_load_opts_t kid = tu_opts(JOSE_USE_SIG, 0, 0, "one", NULL);
    jwk_load_opts_t priv = tu_opts(JOSE_USE_SIG, 1, 0, NULL, NULL);
    int i;

    ck_assert_int_eq(set->keys->nelts, 4);
    for (i = 0; i < 4; i++) {
        const jwk_t *k = APR_ARRAY_IDX(set->keys, i, const jwk_t *);

        ck_assert_str_eq(k->kid, want[i].kid);
        ck_assert_uint_eq(k->algs, want[i].algs);
        ck_assert_int_eq(k->is_private, 0);
    }
    ck_assert_int_eq(jwk_set_check(set, &(const char *){ NULL }), 0);
    /* kid= names one key: not for a set of four */
    refused("public.jwks", &kid);
    /* public keys cannot sign */
    refused("public.jwks", &priv);
}
END_TEST

START_TEST(kid_and_iss_options)
{
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 0, 0, "given",
                                "https://idp.example");
    const jwk_t *k = tu_load_key(tu_pool, "rsa2048.pub.pem", &o);

    ck_assert_str_eq(k->kid, "given");
    ck_assert_str_eq(k->iss, "https://idp.example");
    /* kid= overrides the JWK's own kid */
    k = tu_load_key(tu_pool, "rsa2048.pub.jwk", &o);
    ck_assert_str_eq(k->kid, "given");
    k = tu_load_key(tu_pool, "secret:hs256.secret", &o);
    ck_assert_str_eq(k->kid, "given");
}
END_TEST

START_TEST(base_dir)
{
    jwk_load_opts_t o = tu_opts(JOSE_USE_SIG, 0, 0, NULL, NULL);
    jwk_set_t *set;
    const char *err;

    o.base_dir = tu_keys_dir();
    ck_assert_int_eq(jwk_load(jwk_set_make(tu_pool), tu_pool,
                              "rsa2048.pub.pem", &o, &err), 0);
    ck_assert_int_eq(jwk_load(jwk_set_make(tu_pool), tu_pool,
                              "secret:hs256.secret", &o, &err), 0);
    /* an absolute path stays what it is */
    ck_assert_int_eq(jwk_load(jwk_set_make(tu_pool), tu_pool,
                              tu_key_path(tu_pool, "ec-p256.pub.pem"), &o,
                              &err), 0);
    o.base_dir = "/nonexistent-dir";
    set = jwk_set_make(tu_pool);
    ck_assert_int_ne(jwk_load(set, tu_pool, "rsa2048.pub.pem", &o, &err),
                     0);
    ck_assert_int_eq(set->keys->nelts, 0);
}
END_TEST

/* ------------------------------------------------------------ secrets -- */

START_TEST(secrets)
{
    size_t n;
    char *raw = tu_read_file(tu_pool, tu_key_path(tu_pool, "hs256.secret"),
                             &n);
    const jwk_t *k;

    ck_assert_uint_eq(n, 32);
    k = tu_verify_key(tu_pool, "secret:hs256.secret", 0);
    ck_assert_int_eq(k->kty, JOSE_KTY_OCT);
    ck_assert_uint_eq(k->secret_len, 32);
    ck_assert_mem_eq(k->secret, raw, 32);
    ck_assert_ptr_null(k->pkey);
    /* RFC 7518 3.2: only the HMACs the secret is long enough for */
    ck_assert_msg(k->algs == B(HS256), "32 bytes: algs %llx",
                  (unsigned long long)k->algs);
    ck_assert_int_eq(jwk_default_sign_alg(k), JOSE_ALG_HS256);
    k = tu_verify_key(tu_pool, "secret:hs384.secret", 0);
    ck_assert_uint_eq(k->secret_len, 48);
    ck_assert_uint_eq(k->algs, B(HS256) | B(HS384));
    ck_assert_int_eq(jwk_default_sign_alg(k), JOSE_ALG_HS384);
    k = tu_verify_key(tu_pool, "secret:hs512.secret", 0);
    ck_assert_uint_eq(k->secret_len, 64);
    ck_assert_uint_eq(k->algs, HS_ALL);
    ck_assert_int_eq(jwk_default_sign_alg(k), JOSE_ALG_HS512);
    /* alg= narrows */
    k = tu_verify_key(tu_pool, "secret:hs512.secret", B(HS384));
    ck_assert_uint_eq(k->algs, B(HS384));
    ck_assert_int_eq(jwk_default_sign_alg(k), JOSE_ALG_HS384);
}
END_TEST

START_TEST(secret_trailing_newline)
{
    size_t n;
    char *raw = tu_read_file(tu_pool, tu_key_path(tu_pool, "hs256.secret"),
                             &n);
    const jwk_t *a = tu_verify_key(tu_pool, "secret:hs256.secret", 0);
    const jwk_t *b = tu_verify_key(tu_pool, "secret:hs256-nl.secret", 0);
    const jwk_t *c = tu_verify_key(tu_pool, "secret:hs256-2nl.secret", 0);
    char *t;

    /* manual: the file's bytes, one trailing newline dropped */
    ck_assert_uint_eq(b->secret_len, 32);
    ck_assert_mem_eq(b->secret, raw, 32);
    ck_assert_uint_eq(c->secret_len, 33);
    ck_assert_mem_eq(c->secret, raw, 32);
    ck_assert_uint_eq(c->secret[32], '\n');
    t = tu_sign(tu_pool, a, "HS256", NULL, NULL, "{}");
    ck_assert_status(tu_jws(t, tu_set(tu_pool, b, NULL)), JWT_OK);
    ck_assert_status(tu_jws(t, tu_set(tu_pool, c, NULL)), JWT_ERR_SIGNATURE);
}
END_TEST

START_TEST(secret_refusals)
{
    char *shortsecret = tu_read_file(tu_pool, tu_key_path(tu_pool,
                                                          "short.secret"),
                                     NULL);
    jwk_load_opts_t hs512 = tu_opts(JOSE_USE_SIG, 0, B(HS512), NULL, NULL);
    jwk_load_opts_t rs = tu_opts(JOSE_USE_SIG, 0, B(RS256), NULL, NULL);
    jwk_t *k = NULL;
    const char *err;

    /* doc/attacks.md A6: short or empty */
    err = refused("secret:short.secret", NULL);
    ck_assert_msg(strstr(err, "short.secret") != NULL,
                  "the message does not name the file: %s", err);
    ck_assert_msg(strstr(err, shortsecret) == NULL,
                  "the message shows the secret");
    refused("secret:empty.secret", NULL);
    /* a 32-byte secret is too short for HS512 */
    refused("secret:hs256.secret", &hs512);
    refused("secret:hs256.secret", &rs);
    /* a public key is never an HMAC secret (A2) */
    refused("secret:rsa2048.pub.pem", NULL);
    refused("secret:ec-p256.pub.pem", NULL);
    refused("secret:rsa2048.pub.jwk", NULL);
    refused("secret:public.jwks", NULL);
    /* jwk_from_secret applies the same length rule */
    ck_assert_int_ne(jwk_from_secret(&k, tu_pool,
                                     (const unsigned char *)"0123456789", 10,
                                     NULL, "test", &err), 0);
    ck_assert_int_ne(jwk_from_secret(&k, tu_pool,
                                     (const unsigned char *)"", 0, NULL,
                                     "test", &err), 0);
    ck_assert_int_ne(jwk_from_secret(&k, tu_pool,
                                     (const unsigned char *)
                                     "0123456789012345678901234567890", 31,
                                     NULL, "test", &err), 0);
    ck_assert_int_eq(jwk_from_secret(&k, tu_pool,
                                     (const unsigned char *)
                                     "01234567890123456789012345678901", 32,
                                     NULL, "test", &err), 0);
    ck_assert_uint_eq(k->algs, B(HS256));
}
END_TEST

/* doc/attacks.md A2: whatever holds a key or certificate is no secret, in
 * whatever form the file has it.  The file as "secret:", refused, with a
 * message that names it and the fix. */
static void secret_refused(const char *label, const void *data, size_t len)
{
    const char *path = tu_temp_file(tu_pool, data, len);
    const char *err = refused(apr_pstrcat(tu_pool, "secret:", path, NULL),
                              NULL);

    ck_assert_msg(strstr(err, path) != NULL, "%s: no file in: %s", label,
                  err);
    ck_assert_msg(strstr(err, "Drop the secret: prefix") != NULL,
                  "%s: no fix in: %s", label, err);
}

static void secret_accepted(const char *label, const void *data,
                            size_t len)
{
    const char *path = tu_temp_file(tu_pool, data, len);
    jwk_set_t *set;
    const char *err = NULL;

    ck_assert_msg(tu_try_load(&set, tu_pool,
                              apr_pstrcat(tu_pool, "secret:", path, NULL),
                              NULL, &err) == 0, "%s refused: %s", label,
                  err ? err : "");
}

static unsigned char *der_of(EVP_PKEY *pk, int selection,
                             const char *structure, size_t *len)
{
    OSSL_ENCODER_CTX *ctx = OSSL_ENCODER_CTX_new_for_pkey(pk, selection,
                                                          "DER", structure,
                                                          NULL);
    unsigned char *buf = NULL, *out;

    *len = 0;
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(OSSL_ENCODER_to_data(ctx, &buf, len), 1);
    OSSL_ENCODER_CTX_free(ctx);
    out = apr_pmemdup(tu_pool, buf, *len);
    OPENSSL_free(buf);
    return out;
}

START_TEST(secret_holding_a_key_refused)
{
    const char *certpem = tu_read_file(tu_pool, tu_key_path(tu_pool,
                                       "rsa2048.cert.pem"), NULL);
    const char *pubpem = tu_read_file(tu_pool, tu_key_path(tu_pool,
                                      "rsa2048.pub.pem"), NULL);
    const char *keypem = tu_read_file(tu_pool, tu_key_path(tu_pool,
                                      "ec-p256.key.pem"), NULL);
    const jwk_t *rsa = tu_verify_key(tu_pool, "rsa2048.pub.pem", 0);
    const jwk_t *ec = tu_sign_key(tu_pool, "ec-p256.key.pem", 0);
    const jwk_t *rsapriv = tu_sign_key(tu_pool, "rsa2048.key.pem", 0);
    BIO *bio = BIO_new_mem_buf(certpem, -1);
    X509 *x509 = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    unsigned char *der = NULL, *d, *body;
    const char *text, *b, *e;
    size_t len;
    int dlen;

    ck_assert_ptr_nonnull(x509);
    /* "openssl pkcs12 -nokeys" puts Bag Attributes before the PEM */
    text = apr_pstrcat(tu_pool, "Bag Attributes\n"
                       "    localKeyID: 6A 3F 01 9C\n"
                       "subject=CN = mod_authn_jwt test\n"
                       "issuer=CN = mod_authn_jwt test\n", certpem, NULL);
    secret_refused("pkcs12 bag", text, strlen(text));
    /* "openssl x509 -text": the decoded certificate, then the PEM */
    text = apr_pstrcat(tu_pool, "Certificate:\n    Data:\n"
                       "        Version: 3 (0x2)\n"
                       "        Signature Algorithm: sha256WithRSAEncryption"
                       "\n", certpem, NULL);
    secret_refused("x509 -text", text, strlen(text));
    /* a PEM public key after a comment line, and after a blank line */
    text = apr_pstrcat(tu_pool, "# the issuer's key\n", pubpem, NULL);
    secret_refused("comment + PEM", text, strlen(text));
    text = apr_pstrcat(tu_pool, "x", keypem, NULL);
    secret_refused("PEM private key after a byte", text, strlen(text));

    /* DER: the certificate, SubjectPublicKeyInfo, PKCS#1, PKCS#8, SEC 1 */
    dlen = i2d_X509(x509, &der);
    ck_assert_int_gt(dlen, 0);
    secret_refused("DER certificate", der, (size_t)dlen);
    d = apr_palloc(tu_pool, (size_t)dlen + 1);
    memcpy(d, der, (size_t)dlen);
    d[dlen] = '\n';
    secret_refused("DER certificate + newline", d, (size_t)dlen + 1);
    OPENSSL_free(der);
    d = der_of(rsa->pkey, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo",
               &len);
    secret_refused("DER RSA public key", d, len);
    d = der_of(rsa->pkey, EVP_PKEY_PUBLIC_KEY, "type-specific", &len);
    secret_refused("DER PKCS#1 RSA public key", d, len);
    d = der_of(ec->pkey, EVP_PKEY_PUBLIC_KEY, "SubjectPublicKeyInfo", &len);
    secret_refused("DER EC public key", d, len);
    d = der_of(ec->pkey, EVP_PKEY_KEYPAIR, "PrivateKeyInfo", &len);
    secret_refused("DER PKCS#8 EC private key", d, len);
    d = der_of(ec->pkey, EVP_PKEY_KEYPAIR, "type-specific", &len);
    secret_refused("DER SEC 1 EC private key", d, len);
    d = der_of(rsapriv->pkey, EVP_PKEY_KEYPAIR, "type-specific", &len);
    secret_refused("DER PKCS#1 RSA private key", d, len);

    /* the base64 body of a PEM public key, pasted without its armour */
    b = strchr(pubpem, '\n') + 1;
    e = strstr(b, "-----END");
    body = (unsigned char *)apr_pstrmemdup(tu_pool, b, (size_t)(e - b));
    secret_refused("base64 SPKI", body, strlen((char *)body));

    X509_free(x509);
    BIO_free(bio);
}
END_TEST

START_TEST(der_key_ending_in_newline_refused)
{
    /* one trailing newline is dropped from a secret: a DER key whose own
     * last byte is 0x0a must still be recognised */
    int i;

    for (i = 0; i < 4096; i++) {
        EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        unsigned char *der = NULL;
        int dlen = i2d_PUBKEY(pk, &der);

        ck_assert_int_gt(dlen, 0);
        if (der[dlen - 1] == '\n') {
            secret_refused("DER ending in 0x0a", der, (size_t)dlen);
            OPENSSL_free(der);
            EVP_PKEY_free(pk);
            return;
        }
        OPENSSL_free(der);
        EVP_PKEY_free(pk);
    }
    ck_abort_msg("no P-256 key with a DER public key ending in 0x0a");
}
END_TEST

START_TEST(secrets_that_are_secrets_accepted)
{
    static const char text[] =
        "correct horse battery staple BEGIN ----- not a key -----END";
    unsigned char bin[64];
    int i;

    secret_accepted("text", text, sizeof(text) - 1);
    /* binary secrets that start like DER (a SEQUENCE tag) */
    for (i = 0; i < 64; i++) {
        ck_assert_int_eq(RAND_bytes(bin, sizeof(bin)), 1);
        bin[0] = 0x30;
        bin[1] = (unsigned char)(i % 2 ? 0x3e : 0x82);
        secret_accepted("random 0x30", bin, sizeof(bin));
    }
    /* base64 text that decodes to no key */
    secret_accepted("base64", "c2VjcmV0IHNlY3JldCBzZWNyZXQgc2VjcmV0IHNlY3JldA==",
                    48);
}
END_TEST

/* ----------------------------------------------------------- refusals -- */

START_TEST(rsa_too_small)
{
    jwk_load_opts_t priv = tu_opts(JOSE_USE_SIG, 1, 0, NULL, NULL);
    json_t *v = tu_vector(tu_pool, "wycheproof/json_web_key_test.json");
    json_t *g = NULL;
    size_t i;
    jwk_set_t *set;
    const char *err;

    /* RFC 7518 3.3, doc/attacks.md B4 */
    refused("rsa1024.pub.pem", NULL);
    refused("rsa1024.key.pem", NULL);
    refused("rsa1024.key.pem", &priv);
    for (i = 0; i < json_array_size(json_object_get(v, "testGroups")); i++) {
        json_t *x = json_array_get(json_object_get(v, "testGroups"), i);

        if (strcmp(json_string_value(json_object_get(x, "comment")),
                   "keysize_too_small") == 0) {
            g = x;
        }
    }
    ck_assert_ptr_nonnull(g);
    ck_assert_int_ne(tu_try_jwk_json(&set, tu_pool,
                                     json_object_get(g, "public"), NULL,
                                     &err), 0);
    ck_assert_int_ne(tu_try_jwk_json(&set, tu_pool,
                                     json_object_get(g, "private"), &priv,
                                     &err), 0);
}
END_TEST

START_TEST(rsa_exponent_one)
{
    json_t *v = tu_vector(tu_pool, "wycheproof/json_web_key_test.json");
    json_t *groups = json_object_get(v, "testGroups");
    size_t i;
    int seen = 0;

    for (i = 0; i < json_array_size(groups); i++) {
        json_t *g = json_array_get(groups, i);
        jwk_set_t *set;
        const char *err;

        if (strcmp(json_string_value(json_object_get(g, "comment")),
                   "exponentOne") != 0) {
            continue;
        }
        seen++;
        ck_assert_int_ne(tu_try_jwk_json(&set, tu_pool,
                                         json_object_get(g, "public"), NULL,
                                         &err), 0);
        ck_assert_int_eq(set->keys->nelts, 0);
    }
    ck_assert_int_eq(seen, 1);
}
END_TEST

START_TEST(jwk_alg_crv_kty_disagree)
{
    static const char *const bad[] = {
        /* alg for another curve or another key type */
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES384\",\"x\":" WP_X
        ",\"y\":" WP_Y "}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES521\",\"x\":" WP_X
        ",\"y\":" WP_Y "}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES224\",\"x\":" WP_X
        ",\"y\":" WP_Y "}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ES256K\",\"x\":" WP_X
        ",\"y\":" WP_Y "}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"HS256\",\"x\":" WP_X
        ",\"y\":" WP_Y "}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"none\",\"x\":" WP_X
        ",\"y\":" WP_Y "}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":5,\"x\":" WP_X
        ",\"y\":" WP_Y "}",
        /* the coordinates do not fit the curve named */
        "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":" WP_X ",\"y\":" WP_Y "}",
        "{\"kty\":\"EC\",\"crv\":\"P-521\",\"x\":" WP_X ",\"y\":" WP_Y "}",
        "{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":" WP_X ",\"y\":" WP_Y
        "}",
        "{\"kty\":\"EC\",\"crv\":\"P-999\",\"x\":" WP_X ",\"y\":" WP_Y "}",
        "{\"kty\":\"EC\",\"x\":" WP_X ",\"y\":" WP_Y "}",
        /* kty does not match the members */
        "{\"kty\":\"RSA\",\"crv\":\"P-256\",\"x\":" WP_X ",\"y\":" WP_Y "}",
        "{\"kty\":\"OKP\",\"crv\":\"P-256\",\"x\":" WP_X ",\"y\":" WP_Y "}",
        "{\"kty\":\"oct\",\"crv\":\"P-256\",\"x\":" WP_X ",\"y\":" WP_Y "}",
        "{\"kty\":\"ec\",\"crv\":\"P-256\",\"x\":" WP_X ",\"y\":" WP_Y "}",
        "{\"crv\":\"P-256\",\"x\":" WP_X ",\"y\":" WP_Y "}",
        /* an invalid point (y changed in one character) */
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":" WP_X ",\"y\":"
        "\"UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVgnw\"}",
        /* a coordinate of the wrong length, or missing */
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":" WP_X ",\"y\":"
        "\"UI8exy-C06a7DUnjIdENkxeFtHM4-l_41LqEw9nVg\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":" WP_X "}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":" WP_X ",\"y\":5}",
        /* padded base64 in a member (RFC 7518 6: base64url) */
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":"
        "\"04N0xi21hshyvBp7I167sbE_bXqyqkAPfefdklMO7wY=\",\"y\":" WP_Y "}",
        /* OKP: the crv of the other family, a wrong-length key */
        "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"alg\":\"EdDSA\","
        "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
        "{\"kty\":\"OKP\",\"crv\":\"Ed448\","
        "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
        "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQ\"}",
        /* an AES key offered for signing (Wycheproof rejectsAesKey) */
        "{\"kty\":\"oct\",\"alg\":\"A256GCM\",\"use\":\"sig\","
        "\"k\":\"-ebuDNsVZ2iJtoZ-akfXTSCt4UO2cruLCsbWlBinggE\"}",
        "{\"kty\":\"oct\",\"alg\":\"A256KW\",\"use\":\"sig\","
        "\"k\":\"-ebuDNsVZ2iJtoZ-akfXTSCt4UO2cruLCsbWlBinggE\"}",
        "{\"kty\":\"oct\",\"alg\":\"HS512\","
        "\"k\":\"-ebuDNsVZ2iJtoZ-akfXTSCt4UO2cruLCsbWlBinggE\"}",
        "{\"kty\":\"oct\",\"k\":\"\"}",
        "{\"kty\":\"oct\"}",
        "{\"kty\":\"RSA\",\"n\":\"AQAB\"}",
        "[]",
        NULL
    };
    int i;

    for (i = 0; bad[i] != NULL; i++) {
        refused_json(bad[i], NULL);
    }
    /* the same P-256 key is fine as it should be */
    ck_assert_uint_eq(accepted_json("{\"kty\":\"EC\",\"crv\":\"P-256\","
                                    "\"x\":" WP_X ",\"y\":" WP_Y "}", NULL)
                      ->algs, B(ES256));
    ck_assert_uint_eq(accepted_json("{\"kty\":\"EC\",\"crv\":\"P-256\","
                                    "\"alg\":\"ES256\",\"use\":\"sig\","
                                    "\"key_ops\":[\"verify\"],"
                                    "\"x\":" WP_X ",\"y\":" WP_Y "}", NULL)
                      ->algs, B(ES256));
}
END_TEST

START_TEST(jwk_use_and_key_ops)
{
    static const char *const bad[] = {
        /* doc/attacks.md G: a key for encryption is not a signing key */
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":\"enc\",\"x\":" WP_X
        ",\"y\":" WP_Y "}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"key_ops\":[\"encrypt\"],"
        "\"x\":" WP_X ",\"y\":" WP_Y "}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"key_ops\":[\"deriveKey\"],"
        "\"x\":" WP_X ",\"y\":" WP_Y "}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"key_ops\":[],"
        "\"x\":" WP_X ",\"y\":" WP_Y "}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"ECDH-ES\",\"x\":" WP_X
        ",\"y\":" WP_Y "}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":5,\"x\":" WP_X
        ",\"y\":" WP_Y "}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"key_ops\":\"verify\","
        "\"x\":" WP_X ",\"y\":" WP_Y "}",
        NULL
    };
    jwk_load_opts_t enc = tu_opts(JOSE_USE_ENC, 0, 0, NULL, NULL);
    int i;

    for (i = 0; bad[i] != NULL; i++) {
        refused_json(bad[i], NULL);
    }
    /* for encryption the same enc key is fine, a sig key is not */
    ck_assert_uint_eq(accepted_json(bad[0], &enc)->algs, ECDH);
    refused_json("{\"kty\":\"EC\",\"crv\":\"P-256\",\"use\":\"sig\","
                 "\"x\":" WP_X ",\"y\":" WP_Y "}", &enc);
}
END_TEST

START_TEST(alg_option_must_fit_key)
{
    jwk_load_opts_t o;
    const jwk_t *k;

    o = tu_opts(JOSE_USE_SIG, 0, B(HS256), NULL, NULL);
    refused("rsa2048.pub.pem", &o);
    refused("ec-p256.pub.pem", &o);
    refused("ed25519.pub.pem", &o);
    o = tu_opts(JOSE_USE_SIG, 0, B(ES384), NULL, NULL);
    refused("ec-p256.pub.pem", &o);
    refused("rsa2048.pub.pem", &o);
    o = tu_opts(JOSE_USE_SIG, 0, B(ES256), NULL, NULL);
    refused("ec-secp256k1.pub.pem", &o);
    refused("ed25519.pub.pem", &o);
    o = tu_opts(JOSE_USE_SIG, 0, B(RS256), NULL, NULL);
    refused("secret:hs512.secret", &o);
    refused("ec-p256.pub.pem", &o);
    o = tu_opts(JOSE_USE_SIG, 0, B(EDDSA), NULL, NULL);
    refused("rsa2048.pub.pem", &o);
    /* alg=RS256 on a JWK that says alg PS256 */
    o = tu_opts(JOSE_USE_SIG, 0, B(PS256), NULL, NULL);
    refused("rsa2048.pub.jwk", &o);
    /* narrowing works */
    k = tu_verify_key(tu_pool, "rsa2048.pub.pem", B(PS256) | B(RS512));
    ck_assert_uint_eq(k->algs, B(PS256) | B(RS512));
    k = tu_verify_key(tu_pool, "ec-p521.pub.pem", B(ES512));
    ck_assert_uint_eq(k->algs, B(ES512));
}
END_TEST

/* enc= (doc/attacks.md C10) is kept on the key, only for decryption keys;
 * with dir the key is the CEK, so an enc= list of other lengths drops dir
 * (or refuses the key when dir was all it could do). */
START_TEST(enc_option)
{
    jwk_load_opts_t o;
    jwk_set_t *set;
    const jwk_t *k;
    const char *err = NULL;
    const jose_enc_set_t gcm128 = JOSE_ENC_BIT(JOSE_ENC_A128GCM);
    const jose_enc_set_t gcm256 = JOSE_ENC_BIT(JOSE_ENC_A256GCM);

    o = tu_opts(JOSE_USE_ENC, 1, 0, NULL, NULL);
    o.encs = gcm256 | gcm128;
    ck_assert_int_eq(tu_try_load(&set, tu_pool, "rsa2048.key.pem", &o,
                                 &err), 0);
    k = APR_ARRAY_IDX(set->keys, 0, const jwk_t *);
    ck_assert_uint_eq(k->encs, gcm256 | gcm128);
    /* a 32-byte secret: A256KW, A256GCMKW and dir (A256GCM) */
    o.encs = gcm256;
    ck_assert_int_eq(tu_try_load(&set, tu_pool, "secret:hs256.secret", &o,
                                 &err), 0);
    k = APR_ARRAY_IDX(set->keys, 0, const jwk_t *);
    ck_assert(JOSE_ALG_IN(k->algs, JOSE_ALG_DIR));
    o.encs = gcm128;
    ck_assert_int_eq(tu_try_load(&set, tu_pool, "secret:hs256.secret", &o,
                                 &err), 0);
    k = APR_ARRAY_IDX(set->keys, 0, const jwk_t *);
    ck_assert(!JOSE_ALG_IN(k->algs, JOSE_ALG_DIR));
    ck_assert(JOSE_ALG_IN(k->algs, JOSE_ALG_A256KW));
    /* alg=dir named: refused with the lengths in the message */
    o.algs = B(DIR);
    err = refused("secret:hs256.secret", &o);
    ck_assert_msg(strstr(err, "A128GCM 16") != NULL, "%s", err);
    o.encs = JOSE_ENC_BIT(JOSE_ENC_A128CBC_HS256);
    ck_assert_int_eq(tu_try_load(&set, tu_pool, "secret:hs256.secret", &o,
                                 &err), 0);
    /* not on a signature key */
    o = tu_opts(JOSE_USE_SIG, 0, 0, NULL, NULL);
    o.encs = gcm256;
    refused("rsa2048.pub.pem", &o);
}
END_TEST

START_TEST(duplicate_kid)
{
    jwk_set_t *set;
    const char *err = NULL;
    jwk_load_opts_t k1 = tu_opts(JOSE_USE_SIG, 0, 0, "same", NULL);
    const jwk_t *a, *b;
    static const char *const dup =
        "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"k\",\"k\":"
        "\"-ebuDNsVZ2iJtoZ-akfXTSCt4UO2cruLCsbWlBinggE\"},"
        "{\"kty\":\"oct\",\"kid\":\"k\",\"k\":"
        "\"-xbuDNsVZ2iJtoZ-akfXTSCt4UO2cruLCsbWlBinggE\"}]}";

    /* doc/attacks.md A5: a set with two keys of one kid is refused */
    err = refused_json(dup, NULL);
    ck_assert_ptr_nonnull(strstr(err, "k"));
    /* jwk_load into a set that already has the kid: refused, unchanged */
    set = tu_load_set(tu_pool, "rsa2048.pub.pem", &k1);
    ck_assert_int_ne(jwk_load(set, tu_pool,
                              tu_key_source(tu_pool, "ec-p256.pub.pem"), &k1,
                              &err), 0);
    ck_assert_int_eq(set->keys->nelts, 1);
    ck_assert_int_eq(jwk_load(set, tu_pool,
                              tu_key_source(tu_pool, "public.jwks"), NULL,
                              &err), 0);
    ck_assert_int_eq(set->keys->nelts, 5);
    ck_assert_int_ne(jwk_load(set, tu_pool,
                              tu_key_source(tu_pool, "public.jwks"), NULL,
                              &err), 0);
    ck_assert_int_eq(set->keys->nelts, 5);
    /* jwk_set_check on a set put together by hand */
    a = tu_load_key(tu_pool, "rsa2048.pub.pem", &k1);
    b = tu_load_key(tu_pool, "rsa2048-other.pub.pem", &k1);
    err = NULL;
    ck_assert_int_ne(jwk_set_check(tu_set(tu_pool, a, b, NULL), &err), 0);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(jwk_set_check(tu_set(tu_pool, a, tu_verify_key(
                         tu_pool, "rsa2048-other.pub.pem", 0), NULL), &err),
                     0);
    /* keys without kid never collide */
    ck_assert_int_eq(jwk_set_check(tu_set(tu_pool,
                                          tu_verify_key(tu_pool,
                                                        "rsa2048.pub.pem", 0),
                                          tu_verify_key(tu_pool,
                                                        "ec-p256.pub.pem", 0),
                                          NULL), &err), 0);
}
END_TEST

START_TEST(mixed_key_set)
{
    /* Wycheproof MixedKeySet: one secret and one public key in a set */
    refused_json("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"a\",\"k\":"
                 "\"-ebuDNsVZ2iJtoZ-akfXTSCt4UO2cruLCsbWlBinggE\"},"
                 "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"b\",\"x\":"
                 WP_X ",\"y\":" WP_Y "}]}", NULL);
}
END_TEST

START_TEST(files_that_are_not_keys)
{
    const char *err;

    err = refused("does-not-exist.pem", NULL);
    ck_assert_msg(strstr(err, "does-not-exist.pem") != NULL,
                  "message does not name the file: %s", err);
    refused("secret:does-not-exist", NULL);
    refused("make-keys.sh", NULL);
    refused("README.md", NULL);
    refused("thumbprints.txt", NULL);
    refused("empty.secret", NULL);
    refused("jwcrypto-tokens.json", NULL);
    {
        jwk_set_t *set = jwk_set_make(tu_pool);

        ck_assert_int_ne(jwk_load(set, tu_pool, "", NULL, &err), 0);
        ck_assert_int_ne(jwk_load(set, tu_pool, "secret:", NULL, &err), 0);
        ck_assert_int_ne(jwk_load(set, tu_pool, tu_keys_dir(), NULL, &err),
                         0);
        /* devices: refused, and no endless read (the test has a timeout) */
        ck_assert_int_ne(jwk_load(set, tu_pool, "/dev/zero", NULL, &err), 0);
        ck_assert_int_ne(jwk_load(set, tu_pool, "secret:/dev/zero", NULL,
                                  &err), 0);
        ck_assert_int_ne(jwk_load(set, tu_pool, "/dev/null", NULL, &err), 0);
        ck_assert_int_ne(jwk_load(set, tu_pool, "secret:/dev/null", NULL,
                                  &err), 0);
        ck_assert_int_ne(jwk_load(set, tu_pool,
                                  "https://idp.example/jwks.json", NULL,
                                  &err), 0);
        ck_assert_int_eq(set->keys->nelts, 0);
    }
}
END_TEST

/* --------------------------------------------------------- thumbprint -- */

START_TEST(rfc7638_thumbprint)
{
    json_t *j = tu_vector(tu_pool, "rfc/latchset-jose/rfc7638_3.1.jwk");
    const char *want = tu_read_line(tu_pool, tu_vector_path(tu_pool,
                                    "rfc/latchset-jose/rfc7638_3.1.thp"));
    const jwk_t *k = tu_jwk_json(tu_pool, j, NULL);

    ck_assert_str_eq(want, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    ck_assert_str_eq(jwk_thumbprint(tu_pool, k), want);
    ck_assert_str_eq(k->thumbprint, want);
    ck_assert_str_eq(k->kid, "2011-04-29");
}
END_TEST

START_TEST(rfc8037_thumbprint)
{
    json_t *v = tu_vector(tu_pool, "rfc/rfc8037_appendix_A.json");
    jwk_load_opts_t priv = tu_opts(JOSE_USE_SIG, 1, 0, NULL, NULL);
    const char *want = json_string_value(json_object_get(
                           v, "A.3_jwk_thumbprint_sha256"));
    const jwk_t *pub = tu_jwk_json(tu_pool, json_object_get(
                                       v, "A.2_ed25519_public_jwk"), NULL);
    const jwk_t *prv = tu_jwk_json(tu_pool, json_object_get(
                                       v, "A.1_ed25519_private_jwk"), &priv);

    ck_assert_str_eq(want, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    ck_assert_str_eq(jwk_thumbprint(tu_pool, pub), want);
    /* the thumbprint is over the public members only */
    ck_assert_str_eq(jwk_thumbprint(tu_pool, prv), want);
    ck_assert_int_eq(prv->is_private, 1);
}
END_TEST

START_TEST(rfc_key_files_load)
{
    static const char *const ok[] = {
        "rfc/latchset-jose/rfc7515_A.1.jwk",
        "rfc/latchset-jose/rfc7515_A.2.jwk",
        "rfc/latchset-jose/rfc7515_A.3.jwk",
        "rfc/latchset-jose/rfc7515_A.4.jwk",
        "rfc/latchset-jose/rfc7517_B.jwk", NULL
    };
    int i;

    for (i = 0; ok[i] != NULL; i++) {
        jwk_set_t *set = jwk_set_make(tu_pool);
        const char *err = NULL;

        ck_assert_msg(jwk_load(set, tu_pool, tu_vector_path(tu_pool, ok[i]),
                               NULL, &err) == 0, "%s: %s", ok[i],
                      err ? err : "");
        ck_assert_int_eq(set->keys->nelts, 1);
    }
}
END_TEST

/* RFC 7517 appendix A: sets that mix signing and encryption keys.  A key
 * that cannot serve the use asked for is left out of the set (a remote
 * JWKS usually publishes both kinds); the others load. */
START_TEST(rfc7517_key_sets)
{
    jwk_load_opts_t sig = tu_opts(JOSE_USE_SIG, 0, 0, NULL, NULL);
    jwk_load_opts_t sigp = tu_opts(JOSE_USE_SIG, 1, 0, NULL, NULL);
    jwk_load_opts_t enc = tu_opts(JOSE_USE_ENC, 0, 0, NULL, NULL);
    jwk_set_t *set;
    const jwk_t *k;
    const char *a1 = tu_vector_path(tu_pool,
                                    "rfc/latchset-jose/rfc7517_A.1.jwkset");
    const char *a2 = tu_vector_path(tu_pool,
                                    "rfc/latchset-jose/rfc7517_A.2.jwkset");
    const char *a3 = tu_vector_path(tu_pool,
                                    "rfc/latchset-jose/rfc7517_A.3.jwkset");

    set = tu_load_set(tu_pool, a1, &sig);
    ck_assert_int_eq(set->keys->nelts, 1);
    k = APR_ARRAY_IDX(set->keys, 0, const jwk_t *);
    ck_assert_str_eq(k->kid, "2011-04-29");
    ck_assert_uint_eq(k->algs, B(RS256));
    set = tu_load_set(tu_pool, a1, &enc);
    ck_assert_int_eq(set->keys->nelts, 1);
    k = APR_ARRAY_IDX(set->keys, 0, const jwk_t *);
    ck_assert_str_eq(k->kid, "1");
    ck_assert_uint_eq(k->algs, ECDH);
    /* the private set signs with its RSA key */
    set = tu_load_set(tu_pool, a2, &sigp);
    ck_assert_int_eq(set->keys->nelts, 1);
    k = APR_ARRAY_IDX(set->keys, 0, const jwk_t *);
    ck_assert_int_eq(k->is_private, 1);
    ck_assert_str_eq(k->kid, "2011-04-29");
    /* the symmetric set: the A128KW key is no HMAC key */
    set = tu_load_set(tu_pool, a3, &sig);
    ck_assert_int_eq(set->keys->nelts, 1);
    k = APR_ARRAY_IDX(set->keys, 0, const jwk_t *);
    ck_assert_str_eq(k->kid, "HMACkeyusedinJWSspecAppendixA.1example");
    ck_assert_uint_eq(k->secret_len, 64);
    ck_assert_uint_eq(k->algs, HS_ALL);
}
END_TEST

static const char *text_file(const char *text)
{
    return tu_temp_file(tu_pool, text, strlen(text));
}

/* File shapes an administrator produces: CRLF, a BOM, passphrases, binary
 * secrets, duplicate members, a private half that is not the public's. */
START_TEST(file_shapes)
{
    size_t n;
    char *pem = tu_read_file(tu_pool, tu_key_path(tu_pool, "rsa2048.pub.pem"),
                             &n);
    char *crlf = apr_palloc(tu_pool, 2 * n + 4), *w = crlf;
    char *raw = tu_read_file(tu_pool, tu_key_path(tu_pool, "hs256.secret"),
                             NULL);
    static const unsigned char bin[32] = {
        0x00, 0x0a, 0x0d, 0xff, 0x00, 0x41, 0x0a, 0x00, 1, 2, 3, 4, 5, 6, 7,
        8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 0x00
    };
    const jwk_t *k;
    const char *err;
    size_t i;

    /* a PEM with CRLF line ends, and with a UTF-8 BOM */
    for (i = 0; i < n; i++) {
        if (pem[i] == '\n') {
            *w++ = '\r';
        }
        *w++ = pem[i];
    }
    k = tu_verify_key(tu_pool, tu_temp_file(tu_pool, crlf,
                                            (size_t)(w - crlf)), 0);
    ck_assert_str_eq(k->thumbprint, thumbprint_of("rsa2048.pub.pem"));
    k = tu_verify_key(tu_pool, tu_temp_file(tu_pool,
                                            apr_pstrcat(tu_pool,
                                                        "\xef\xbb\xbf", pem,
                                                        NULL), n + 3), 0);
    ck_assert_str_eq(k->thumbprint, thumbprint_of("rsa2048.pub.pem"));
    /* a passphrase-protected key: refused, and no prompt (the test would
     * hang on a terminal, or read stdin) */
    refused("rsa2048-encrypted.key.pem", NULL);
    /* a binary secret: every byte counts, NUL and newlines included */
    k = tu_verify_key(tu_pool, apr_pstrcat(tu_pool, "secret:",
                      tu_temp_file(tu_pool, bin, sizeof(bin)), NULL), 0);
    ck_assert_uint_eq(k->secret_len, 32);
    ck_assert_mem_eq(k->secret, bin, 32);
    /* CR LF at the end of a secret is one line end */
    k = tu_verify_key(tu_pool, apr_pstrcat(tu_pool, "secret:",
                      tu_temp_file(tu_pool, apr_pstrcat(tu_pool, raw, "\r\n",
                                                        NULL), 34), NULL), 0);
    ck_assert_uint_eq(k->secret_len, 32);
    ck_assert_mem_eq(k->secret, raw, 32);
    /* a newline alone is an empty secret */
    refused(apr_pstrcat(tu_pool, "secret:", tu_temp_file(tu_pool, "\n", 1),
                        NULL), NULL);
    /* RFC 7517 4: member names are unique (the last "k" must not win) */
    refused(text_file("{\"kty\":\"oct\",\"k\":"
                      "\"-ebuDNsVZ2iJtoZ-akfXTSCt4UO2cruLCsbWlBinggE\","
                      "\"k\":\"AAAA\"}"), NULL);
    refused(text_file("{\"keys\":[]}"), NULL);
    refused(text_file("{\"keys\":{}}"), NULL);
    refused(text_file("{\"keys\":[5]}"), NULL);
    refused(text_file("-----BEGIN PUBLIC KEY-----\nAAAA\n"
                      "-----END PUBLIC KEY-----\n"), NULL);
    /* a NUL in kid never becomes a shorter kid (E5) */
    {
        json_error_t je;
        json_t *j = tu_own(tu_pool, json_loads(
            "{\"kty\":\"oct\",\"kid\":\"a\\u0000b\",\"k\":"
            "\"-ebuDNsVZ2iJtoZ-akfXTSCt4UO2cruLCsbWlBinggE\"}",
            JSON_ALLOW_NUL, &je));
        jwk_set_t *set;

        ck_assert_ptr_nonnull(j);
        if (tu_try_jwk_json(&set, tu_pool, j, NULL, &err) == 0) {
            const jwk_t *key = APR_ARRAY_IDX(set->keys, 0, const jwk_t *);
            const jwk_t *sk = tu_sign_key(tu_pool, "secret:hs256.secret", 0);

            ck_assert_status(tu_jws(tu_sign(tu_pool, sk, "HS256", "a", NULL,
                                            "{}"), set), JWT_ERR_NO_KEY);
            ck_assert_msg(key->kid == NULL || strcmp(key->kid, "a") != 0,
                          "kid \"a\\u0000b\" became \"a\"");
        }
    }
}
END_TEST

/* RFC 7518 6.3.1.1: n and e without leading zero octets.  A JWK that has
 * them is refused, or else it is the same key: same thumbprint (RFC 7638
 * 3.3 hashes the canonical form), same public JWK. */
START_TEST(jwk_leading_zeros)
{
    json_t *j = tu_json_file(tu_pool, tu_key_path(tu_pool,
                                                  "rsa2048.pub.jwk"));
    const char *n = json_string_value(json_object_get(j, "n"));
    size_t len;
    unsigned char *raw = tu_unb64(tu_pool, n, strlen(n), &len);
    unsigned char *z = apr_pcalloc(tu_pool, len + 1);
    json_t *v[2];
    int i;

    ck_assert_ptr_nonnull(raw);
    memcpy(z + 1, raw, len);
    v[0] = tu_json(tu_pool, apr_psprintf(tu_pool, "{\"kty\":\"RSA\","
                   "\"e\":\"AQAB\",\"n\":\"%s\"}",
                   tu_b64(tu_pool, z, len + 1)));
    v[1] = tu_json(tu_pool, apr_psprintf(tu_pool, "{\"kty\":\"RSA\","
                   "\"e\":\"AAEAAQ\",\"n\":\"%s\"}", n));
    for (i = 0; i < 2; i++) {
        jwk_set_t *set;
        const char *err;

        if (tu_try_jwk_json(&set, tu_pool, v[i], NULL, &err) == 0) {
            const jwk_t *k = APR_ARRAY_IDX(set->keys, 0, const jwk_t *);
            json_t *pub = tu_own(tu_pool, jwk_public_json(k));

            ck_assert_str_eq(k->thumbprint, thumbprint_of("rsa2048.pub.pem"));
            ck_assert_str_eq(json_string_value(json_object_get(pub, "n")),
                             n);
            ck_assert_str_eq(json_string_value(json_object_get(pub, "e")),
                             "AQAB");
        }
    }
}
END_TEST

/* A private JWK whose private half belongs to another key. */
START_TEST(private_half_mismatch)
{
    jwk_load_opts_t priv = tu_opts(JOSE_USE_SIG, 1, 0, NULL, NULL);
    const jwk_t *a = tu_sign_key(tu_pool, "rsa2048.key.pem", 0);
    const jwk_t *b = tu_sign_key(tu_pool, "rsa2048-other.key.pem", 0);
    const jwk_t *e1 = tu_sign_key(tu_pool, "ec-p256.key.pem", 0);
    const jwk_t *e2 = tu_sign_key(tu_pool, "ec-p256-other.key.pem", 0);
    json_t *ja = tu_own(tu_pool, jwk_private_json(a));
    json_t *jb = tu_own(tu_pool, jwk_private_json(b));
    json_t *je1 = tu_own(tu_pool, jwk_private_json(e1));
    json_t *je2 = tu_own(tu_pool, jwk_private_json(e2));
    jwk_set_t *set;
    const char *err;

    /* RSA: n and e of one key, the rest of the other */
    json_object_set(ja, "d", json_object_get(jb, "d"));
    json_object_set(ja, "p", json_object_get(jb, "p"));
    json_object_set(ja, "q", json_object_get(jb, "q"));
    json_object_set(ja, "dp", json_object_get(jb, "dp"));
    json_object_set(ja, "dq", json_object_get(jb, "dq"));
    json_object_set(ja, "qi", json_object_get(jb, "qi"));
    ck_assert_int_ne(tu_try_jwk_json(&set, tu_pool, ja, &priv, &err), 0);
    /* EC: x and y of one key, d of the other */
    json_object_set(je1, "d", json_object_get(je2, "d"));
    ck_assert_int_ne(tu_try_jwk_json(&set, tu_pool, je1, &priv, &err), 0);
}
END_TEST

/* ------------------------------------------------------------- export -- */

static void no_private_members(const json_t *j, const char *what)
{
    static const char *const secret[] = {
        "d", "p", "q", "dp", "dq", "qi", "oth", "k", NULL
    };
    int i;

    ck_assert_ptr_nonnull(j);
    for (i = 0; secret[i] != NULL; i++) {
        ck_assert_msg(json_object_get(j, secret[i]) == NULL,
                      "%s: public JWK has \"%s\"", what, secret[i]);
    }
}

START_TEST(public_json_never_private)
{
    static const char *const privs[] = {
        "rsa2048.key.pem", "rsa3072.key.pem", "ec-p256.key.pem",
        "ec-p384.key.pem", "ec-p521.key.pem", "ec-secp256k1.key.pem",
        "ed25519.key.pem", "ed448.key.pem", "rsa2048.key.jwk",
        "ec-p256.key.jwk", "ed25519.key.jwk", NULL
    };
    jwk_load_opts_t enc = tu_opts(JOSE_USE_ENC, 1, 0, NULL, NULL);
    int i;

    for (i = 0; privs[i] != NULL; i++) {
        const jwk_t *k = tu_sign_key(tu_pool, privs[i], 0);
        json_t *pub = tu_own(tu_pool, jwk_public_json(k));
        json_t *prv = tu_own(tu_pool, jwk_private_json(k));
        const jwk_t *back;
        const char *kty;

        no_private_members(pub, privs[i]);
        kty = json_string_value(json_object_get(pub, "kty"));
        ck_assert_ptr_nonnull(kty);
        if (k->kty == JOSE_KTY_RSA) {
            ck_assert_str_eq(kty, "RSA");
            ck_assert_ptr_nonnull(json_object_get(pub, "n"));
            ck_assert_ptr_nonnull(json_object_get(pub, "e"));
        }
        else if (k->kty == JOSE_KTY_EC) {
            ck_assert_str_eq(kty, "EC");
            ck_assert_ptr_nonnull(json_object_get(pub, "crv"));
            ck_assert_ptr_nonnull(json_object_get(pub, "x"));
            ck_assert_ptr_nonnull(json_object_get(pub, "y"));
        }
        else {
            ck_assert_str_eq(kty, "OKP");
            ck_assert_ptr_nonnull(json_object_get(pub, "crv"));
            ck_assert_ptr_nonnull(json_object_get(pub, "x"));
        }
        /* manual: each published key with alg and use */
        ck_assert_str_eq(json_string_value(json_object_get(pub, "use")),
                         "sig");
        ck_assert_ptr_nonnull(json_string_value(json_object_get(pub,
                                                                "alg")));
        if (k->kid != NULL) {
            ck_assert_str_eq(json_string_value(json_object_get(pub, "kid")),
                             k->kid);
        }
        /* the public JWK loads back to the same key */
        back = tu_jwk_json(tu_pool, pub, NULL);
        ck_assert_str_eq(back->thumbprint, k->thumbprint);
        ck_assert_int_eq(back->is_private, 0);
        /* the private JWK has d and loads back as a private key */
        ck_assert_ptr_nonnull(prv);
        ck_assert_ptr_nonnull(json_object_get(prv, "d"));
        back = tu_jwk_json(tu_pool, prv, &(jwk_load_opts_t){
                               JOSE_USE_SIG, 1, 0, 0, NULL, NULL, NULL });
        ck_assert_int_eq(back->is_private, 1);
        ck_assert_str_eq(back->thumbprint, k->thumbprint);
    }
    /* an encryption key too */
    {
        const jwk_t *x = tu_load_key(tu_pool, "x25519.key.pem", &enc);
        json_t *pub = tu_own(tu_pool, jwk_public_json(x));

        no_private_members(pub, "x25519.key.pem");
        ck_assert_str_eq(json_string_value(json_object_get(pub, "crv")),
                         "X25519");
        ck_assert_str_eq(json_string_value(json_object_get(pub, "use")),
                         "enc");
    }
    /* secrets have no public form */
    ck_assert_ptr_null(jwk_public_json(tu_verify_key(tu_pool,
                                                     "secret:hs256.secret",
                                                     0)));
    {
        json_t *o = tu_own(tu_pool, jwk_private_json(
                               tu_verify_key(tu_pool, "secret:hs256.secret",
                                             0)));

        ck_assert_str_eq(json_string_value(json_object_get(o, "kty")),
                         "oct");
        ck_assert_str_eq(json_string_value(json_object_get(o, "k")),
                         tu_b64(tu_pool, tu_read_file(tu_pool,
                                tu_key_path(tu_pool, "hs256.secret"), NULL),
                                32));
    }
}
END_TEST

/* --------------------------------------------------------- wycheproof -- */

START_TEST(wycheproof_json_web_key)
{
    json_t *v = tu_vector(tu_pool, "wycheproof/json_web_key_test.json");
    json_t *groups = json_object_get(v, "testGroups");
    size_t gi, ti;
    int n = 0;

    for (gi = 0; gi < json_array_size(groups); gi++) {
        json_t *g = json_array_get(groups, gi);
        json_t *tests = json_object_get(g, "tests");

        for (ti = 0; ti < json_array_size(tests); ti++) {
            json_t *t = json_array_get(tests, ti);
            const char *res = json_string_value(json_object_get(t,
                                                                "result"));
            int id = (int)json_integer_value(json_object_get(t, "tcId"));
            int at_load;
            const char *err;
            jwt_status_t st = tu_wycheproof_jws(tu_pool, g, t, &at_load,
                                                &err);

            if (strcmp(res, "valid") == 0) {
                ck_assert_msg(st == JWT_OK, "tcId %d (%s) refused: %s %s",
                              id, json_string_value(json_object_get(
                                  t, "comment")), jwt_status_name(st),
                              at_load ? err : "");
            }
            else {
                ck_assert_msg(st != JWT_OK, "tcId %d (%s) accepted", id,
                              json_string_value(json_object_get(t,
                                                                "comment")));
            }
            n++;
        }
    }
    ck_assert_int_eq(n, 26);
}
END_TEST

static Suite *jwk_suite(void)
{
    Suite *s = suite_create("jwk");
    TCase *tc;

    tc = tcase_create("load");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, pem_every_type, 0, (int)NTYPES);
    tcase_add_test(tc, certificates);
    tcase_add_test(tc, x25519_is_not_a_signing_key);
    tcase_add_test(tc, jwk_files);
    tcase_add_test(tc, jwks_file);
    tcase_add_test(tc, kid_and_iss_options);
    tcase_add_test(tc, base_dir);
    tcase_add_test(tc, secrets);
    tcase_add_test(tc, secret_trailing_newline);
    tcase_add_test(tc, rfc_key_files_load);
    tcase_add_test(tc, rfc7517_key_sets);
    suite_add_tcase(s, tc);

    tc = tcase_create("refuse");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, secret_refusals);
    tcase_add_test(tc, secret_holding_a_key_refused);
    tcase_add_test(tc, der_key_ending_in_newline_refused);
    tcase_add_test(tc, secrets_that_are_secrets_accepted);
    tcase_add_test(tc, rsa_too_small);
    tcase_add_test(tc, rsa_exponent_one);
    tcase_add_test(tc, jwk_alg_crv_kty_disagree);
    tcase_add_test(tc, jwk_use_and_key_ops);
    tcase_add_test(tc, alg_option_must_fit_key);
    tcase_add_test(tc, duplicate_kid);
    tcase_add_test(tc, mixed_key_set);
    tcase_add_test(tc, files_that_are_not_keys);
    tcase_add_test(tc, file_shapes);
    tcase_add_test(tc, private_half_mismatch);
    tcase_add_test(tc, jwk_leading_zeros);
    tcase_add_test(tc, enc_option);
    tcase_add_test(tc, wycheproof_json_web_key);
    suite_add_tcase(s, tc);

    tc = tcase_create("export");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rfc7638_thumbprint);
    tcase_add_test(tc, rfc8037_thumbprint);
    tcase_add_test(tc, public_json_never_private);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tu_init();
    return tu_run(jwk_suite());
}
