/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * check_core.c: unit tests of the small shared pieces of the core.
 *
 * - jose_b64.c: strict base64url (RFC 7515 section 2 and appendix C;
 *   doc/attacks.md F1): one alphabet, no padding, no whitespace, no length
 *   that is 1 modulo 4, zero unused bits, every byte value tried in every
 *   position; results compared with the independent codec of testutil.c.
 * - jose_alg.c: the algorithm table (RFC 7518 sections 3-5, RFC 8037):
 *   names compared byte for byte (RFC 7515 4.1.1), "none" in no spelling,
 *   every documented algorithm present with the right key type and lengths.
 * - jwt_status.c: every status has a unique short name, a fixed
 *   description, an RFC 6750 section 3.1 error code and an HTTP status.
 * - jose_util.c: strict JSON (doc/attacks.md D2, D4, E5, F5): duplicate
 *   members at any depth, non-objects, trailing garbage, NUL refused.
 */

#include <stdlib.h>
#include <string.h>
#include <openssl/obj_mac.h>
#include "testutil.h"
#include "jose_b64.h"
#include "jose_util.h"

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* jose_b64url_decode on an exact-length malloc copy (ASan sees overreads). */
static jwt_status_t dec(const char *in, size_t len, unsigned char **out,
                        size_t *outlen)
{
    char *buf = malloc(len > 0 ? len : 1);
    jwt_status_t st;

    ck_assert_ptr_nonnull(buf);
    memcpy(buf, in, len);
    *out = NULL;
    *outlen = (size_t)-1;
    st = jose_b64url_decode(out, outlen, tu_pool, buf, len);
    free(buf);
    return st;
}

static jwt_status_t decs(const char *in)
{
    unsigned char *out;
    size_t n;

    return dec(in, strlen(in), &out, &n);
}

/* --------------------------------------------------------- base64url -- */

START_TEST(b64_known_values)
{
    /* RFC 7515 appendix C */
    static const unsigned char c[] = { 3, 236, 255, 224, 193 };
    unsigned char *out;
    size_t n;

    ck_assert_str_eq(jose_b64url_encode(tu_pool, c, sizeof(c)), "A-z_4ME");
    ck_assert_status(dec("A-z_4ME", 7, &out, &n), JWT_OK);
    ck_assert_uint_eq(n, sizeof(c));
    ck_assert_mem_eq(out, c, sizeof(c));

    ck_assert_status(dec("", 0, &out, &n), JWT_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_nonnull(out);
    ck_assert_str_eq(jose_b64url_encode(tu_pool, (const unsigned char *)"",
                                        0), "");

    ck_assert_status(dec("Zg", 2, &out, &n), JWT_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq((char *)out, "f");
    ck_assert_status(dec("Zm8", 3, &out, &n), JWT_OK);
    ck_assert_str_eq((char *)out, "fo");
    ck_assert_status(dec("Zm9v", 4, &out, &n), JWT_OK);
    ck_assert_str_eq((char *)out, "foo");
    ck_assert_uint_eq(n, 3);
    /* "-_8" is the URL alphabet for 0xfb 0xff */
    ck_assert_status(dec("-_8", 3, &out, &n), JWT_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(out[0], 0xfb);
    ck_assert_uint_eq(out[1], 0xff);
}
END_TEST

START_TEST(b64_decode_reads_only_len)
{
    unsigned char *out;
    size_t n;

    /* the input is not NUL-terminated at LEN: only 4 bytes are read */
    ck_assert_status(dec("Zm9vYmFy", 4, &out, &n), JWT_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_mem_eq(out, "foo", 3);
    ck_assert_uint_eq(out[3], 0);   /* NUL-terminated for convenience */
}
END_TEST

START_TEST(b64_round_trip)
{
    unsigned char buf[300];
    unsigned int seed = 12345;
    size_t len, i;

    for (len = 0; len <= sizeof(buf); len++) {
        unsigned char *out;
        size_t n;
        char *enc;

        for (i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (unsigned char)(seed >> 16);
        }
        enc = jose_b64url_encode(tu_pool, buf, len);
        ck_assert_ptr_nonnull(enc);
        /* the one canonical encoding: same as the independent encoder */
        ck_assert_str_eq(enc, tu_b64(tu_pool, buf, len));
        ck_assert_ptr_null(strchr(enc, '='));
        ck_assert_uint_eq(strspn(enc, b64url_alphabet), strlen(enc));
        ck_assert_uint_eq(JOSE_B64URL_DECODED_LEN(strlen(enc)), len);
        ck_assert_status(dec(enc, strlen(enc), &out, &n), JWT_OK);
        ck_assert_uint_eq(n, len);
        if (len > 0) {
            ck_assert_mem_eq(out, buf, len);
        }
    }
}
END_TEST

START_TEST(b64_padding_refused)
{
    static const char *const bad[] = {
        "Zg==", "Zg=", "Zm8=", "Zm9v=", "Zm9v====", "=", "==", "====",
        "Z=g", "Zm=9v", NULL
    };
    int i;

    for (i = 0; bad[i] != NULL; i++) {
        ck_assert_msg(decs(bad[i]) == JWT_ERR_BASE64, "accepted \"%s\"",
                      bad[i]);
    }
}
END_TEST

START_TEST(b64_standard_alphabet_refused)
{
    static const char *const bad[] = {
        "+_8", "-/8", "+/8", "A+AA", "AA/A", "Zm9v+w", "Zm9v/w", NULL
    };
    int i;

    for (i = 0; bad[i] != NULL; i++) {
        ck_assert_msg(decs(bad[i]) == JWT_ERR_BASE64, "accepted \"%s\"",
                      bad[i]);
    }
}
END_TEST

START_TEST(b64_whitespace_refused)
{
    static const char *const bad[] = {
        "Zm9v\n", " Zm9v", "Zm9v ", "Zm 9v", "Zm9v\t", "Zm9v\r\n",
        "Zm\n9v", "\nZm9v", NULL
    };
    int i;

    for (i = 0; bad[i] != NULL; i++) {
        ck_assert_msg(decs(bad[i]) == JWT_ERR_BASE64,
                      "accepted whitespace case %d", i);
    }
}
END_TEST

START_TEST(b64_length_1_mod_4_refused)
{
    static const char *const bad[] = {
        "Z", "A", "Zm9vZ", "Zm9vZm9vA", "AAAAAAAAAAAAA", NULL
    };
    int i;

    for (i = 0; bad[i] != NULL; i++) {
        ck_assert_msg(decs(bad[i]) == JWT_ERR_BASE64, "accepted \"%s\"",
                      bad[i]);
    }
}
END_TEST

/* RFC 7515 appendix C: the unused low bits of the last character must be
 * zero, else several strings decode to the same bytes (doc/attacks.md F1,
 * Wycheproof ModifiedUnusedBitsInPayload). */
START_TEST(b64_unused_bits_must_be_zero)
{
    int i, accepted2 = 0, accepted3 = 0;

    for (i = 0; i < 64; i++) {
        char two[3] = { 'Z', b64url_alphabet[i], 0 };
        char three[4] = { 'Z', 'm', b64url_alphabet[i], 0 };
        jwt_status_t s2 = decs(two), s3 = decs(three);

        /* 2 chars = 12 bits, 4 unused; 3 chars = 18 bits, 2 unused */
        if ((i & 15) == 0) {
            ck_assert_msg(s2 == JWT_OK, "refused \"%s\"", two);
            accepted2++;
        }
        else {
            ck_assert_msg(s2 == JWT_ERR_BASE64, "accepted \"%s\"", two);
        }
        if ((i & 3) == 0) {
            ck_assert_msg(s3 == JWT_OK, "refused \"%s\"", three);
            accepted3++;
        }
        else {
            ck_assert_msg(s3 == JWT_ERR_BASE64, "accepted \"%s\"", three);
        }
    }
    ck_assert_int_eq(accepted2, 4);
    ck_assert_int_eq(accepted3, 16);
    ck_assert_status(decs("AB"), JWT_ERR_BASE64);
    ck_assert_status(decs("AA"), JWT_OK);
}
END_TEST

/* Every byte value in every position of a 4- and an 8-character input:
 * accepted exactly when it is in the URL-safe alphabet, and then decoded
 * to the same bytes as the independent decoder. */
START_TEST(b64_every_char_class)
{
    int c, pos, len;

    for (len = 4; len <= 8; len += 4) {
        for (pos = 0; pos < len; pos++) {
            for (c = 0; c < 256; c++) {
                char in[8];
                unsigned char *out, *want;
                size_t n, wn;
                jwt_status_t st;

                memset(in, 'A', sizeof(in));
                in[pos] = (char)c;
                st = dec(in, (size_t)len, &out, &n);
                want = tu_unb64(tu_pool, in, (size_t)len, &wn);
                if (c != 0 && strchr(b64url_alphabet, c) != NULL) {
                    ck_assert_msg(st == JWT_OK,
                                  "refused byte 0x%02x at %d", c, pos);
                    ck_assert_ptr_nonnull(want);
                    ck_assert_uint_eq(n, wn);
                    ck_assert_mem_eq(out, want, n);
                }
                else {
                    ck_assert_msg(st == JWT_ERR_BASE64,
                                  "accepted byte 0x%02x at %d: %s", c, pos,
                                  jwt_status_name(st));
                }
            }
        }
    }
}
END_TEST

START_TEST(b64_large)
{
    size_t len = 100000, n;
    unsigned char *buf = apr_palloc(tu_pool, len), *out;
    char *enc;
    size_t i;

    for (i = 0; i < len; i++) {
        buf[i] = (unsigned char)(i * 7 + 3);
    }
    enc = jose_b64url_encode(tu_pool, buf, len);
    ck_assert_str_eq(enc, tu_b64(tu_pool, buf, len));
    ck_assert_status(dec(enc, strlen(enc), &out, &n), JWT_OK);
    ck_assert_uint_eq(n, len);
    ck_assert_mem_eq(out, buf, len);
    /* one bad character at the very end spoils the whole input */
    enc[strlen(enc) - 1] = '=';
    ck_assert_status(dec(enc, strlen(enc), &out, &n), JWT_ERR_BASE64);
}
END_TEST

/* ------------------------------------------------------------ alg table - */

typedef struct {
    const char *name;
    jose_alg_t id;
    jose_use_t use;
    jose_kty_t kty;
    size_t sig_len;
} alg_row_t;

static const alg_row_t spec_algs[] = {
    { "HS256", JOSE_ALG_HS256, JOSE_USE_SIG, JOSE_KTY_OCT, 32 },
    { "HS384", JOSE_ALG_HS384, JOSE_USE_SIG, JOSE_KTY_OCT, 48 },
    { "HS512", JOSE_ALG_HS512, JOSE_USE_SIG, JOSE_KTY_OCT, 64 },
    { "RS256", JOSE_ALG_RS256, JOSE_USE_SIG, JOSE_KTY_RSA, 0 },
    { "RS384", JOSE_ALG_RS384, JOSE_USE_SIG, JOSE_KTY_RSA, 0 },
    { "RS512", JOSE_ALG_RS512, JOSE_USE_SIG, JOSE_KTY_RSA, 0 },
    { "PS256", JOSE_ALG_PS256, JOSE_USE_SIG, JOSE_KTY_RSA, 0 },
    { "PS384", JOSE_ALG_PS384, JOSE_USE_SIG, JOSE_KTY_RSA, 0 },
    { "PS512", JOSE_ALG_PS512, JOSE_USE_SIG, JOSE_KTY_RSA, 0 },
    { "ES256", JOSE_ALG_ES256, JOSE_USE_SIG, JOSE_KTY_EC, 64 },
    { "ES384", JOSE_ALG_ES384, JOSE_USE_SIG, JOSE_KTY_EC, 96 },
    { "ES512", JOSE_ALG_ES512, JOSE_USE_SIG, JOSE_KTY_EC, 132 },
    { "ES256K", JOSE_ALG_ES256K, JOSE_USE_SIG, JOSE_KTY_EC, 64 },
    { "EdDSA", JOSE_ALG_EDDSA, JOSE_USE_SIG, JOSE_KTY_OKP, 0 },
    { "RSA1_5", JOSE_ALG_RSA1_5, JOSE_USE_ENC, JOSE_KTY_RSA, 0 },
    { "RSA-OAEP", JOSE_ALG_RSA_OAEP, JOSE_USE_ENC, JOSE_KTY_RSA, 0 },
    { "RSA-OAEP-256", JOSE_ALG_RSA_OAEP_256, JOSE_USE_ENC, JOSE_KTY_RSA, 0 },
    { "A128KW", JOSE_ALG_A128KW, JOSE_USE_ENC, JOSE_KTY_OCT, 0 },
    { "A192KW", JOSE_ALG_A192KW, JOSE_USE_ENC, JOSE_KTY_OCT, 0 },
    { "A256KW", JOSE_ALG_A256KW, JOSE_USE_ENC, JOSE_KTY_OCT, 0 },
    { "dir", JOSE_ALG_DIR, JOSE_USE_ENC, JOSE_KTY_OCT, 0 },
    { "ECDH-ES", JOSE_ALG_ECDH_ES, JOSE_USE_ENC, JOSE_KTY_EC, 0 },
    { "ECDH-ES+A128KW", JOSE_ALG_ECDH_ES_A128KW, JOSE_USE_ENC,
      JOSE_KTY_EC, 0 },
    { "ECDH-ES+A192KW", JOSE_ALG_ECDH_ES_A192KW, JOSE_USE_ENC,
      JOSE_KTY_EC, 0 },
    { "ECDH-ES+A256KW", JOSE_ALG_ECDH_ES_A256KW, JOSE_USE_ENC,
      JOSE_KTY_EC, 0 },
    { "A128GCMKW", JOSE_ALG_A128GCMKW, JOSE_USE_ENC, JOSE_KTY_OCT, 0 },
    { "A192GCMKW", JOSE_ALG_A192GCMKW, JOSE_USE_ENC, JOSE_KTY_OCT, 0 },
    { "A256GCMKW", JOSE_ALG_A256GCMKW, JOSE_USE_ENC, JOSE_KTY_OCT, 0 },
    { "PBES2-HS256+A128KW", JOSE_ALG_PBES2_HS256_A128KW, JOSE_USE_ENC,
      JOSE_KTY_OCT, 0 },
    { "PBES2-HS384+A192KW", JOSE_ALG_PBES2_HS384_A192KW, JOSE_USE_ENC,
      JOSE_KTY_OCT, 0 },
    { "PBES2-HS512+A256KW", JOSE_ALG_PBES2_HS512_A256KW, JOSE_USE_ENC,
      JOSE_KTY_OCT, 0 },
};

#define NELTS(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(alg_every_spec_alg_found)
{
    size_t i;

    /* every row of the table is named here: nothing extra, nothing less */
    ck_assert_uint_eq(NELTS(spec_algs), JOSE_ALG_COUNT - 1);
    for (i = 0; i < NELTS(spec_algs); i++) {
        const alg_row_t *r = &spec_algs[i];
        const jose_alg_info_t *a = jose_alg_lookup(r->name, strlen(r->name));

        ck_assert_msg(a != NULL, "%s not found", r->name);
        ck_assert_int_eq(a->id, r->id);
        ck_assert_str_eq(a->name, r->name);
        ck_assert_int_eq(a->use, r->use);
        ck_assert_int_eq(a->kty, r->kty);
        ck_assert_msg(a->sig_len == r->sig_len, "%s: sig_len %zu", r->name,
                      a->sig_len);
        ck_assert_ptr_eq(jose_alg_get(r->id), a);
        /* RFC 8725 / doc/attacks.md C4, C6: off unless named */
        ck_assert_int_eq(a->explicit_only,
                         r->id == JOSE_ALG_RSA1_5
                         || r->id == JOSE_ALG_PBES2_HS256_A128KW
                         || r->id == JOSE_ALG_PBES2_HS384_A192KW
                         || r->id == JOSE_ALG_PBES2_HS512_A256KW);
    }
}
END_TEST

START_TEST(alg_details)
{
    /* RFC 7518 3.2: HMAC keys at least the hash size */
    ck_assert_uint_eq(tu_alg("HS256")->key_len, 32);
    ck_assert_uint_eq(tu_alg("HS384")->key_len, 48);
    ck_assert_uint_eq(tu_alg("HS512")->key_len, 64);
    ck_assert_str_eq(tu_alg("HS256")->digest, "SHA256");
    ck_assert_str_eq(tu_alg("PS384")->digest, "SHA384");
    ck_assert_str_eq(tu_alg("ES512")->digest, "SHA512");
    ck_assert_str_eq(tu_alg("ES256K")->digest, "SHA256");
    /* RFC 7518 3.4: each ES alg has exactly one curve */
    ck_assert_int_eq(tu_alg("ES256")->curve_nid, NID_X9_62_prime256v1);
    ck_assert_int_eq(tu_alg("ES384")->curve_nid, NID_secp384r1);
    ck_assert_int_eq(tu_alg("ES512")->curve_nid, NID_secp521r1);
    ck_assert_int_eq(tu_alg("ES256K")->curve_nid, NID_secp256k1);
    /* AES key wrap: exact key sizes */
    ck_assert_uint_eq(tu_alg("A128KW")->key_len, 16);
    ck_assert_uint_eq(tu_alg("A192GCMKW")->key_len, 24);
    ck_assert_uint_eq(tu_alg("A256KW")->key_len, 32);
}
END_TEST

START_TEST(alg_lookalikes_not_found)
{
    static const char *const bad[] = {
        "none", "None", "NONE", "nOnE", "none ", "hs256", "Hs256", "HS256 ",
        " HS256", "HS256\n", "HS25", "HS2566", "HS", "", "RS", "rs256",
        "es256", "ES256k", "ES521", "ES224", "EDDSA", "eddsa", "Ed25519",
        "RSA-OAEP ", "rsa-oaep", "DIR", "Dir", "A128kw", "PS256K", "HS1",
        NULL
    };
    int i;

    for (i = 0; bad[i] != NULL; i++) {
        ck_assert_msg(jose_alg_lookup(bad[i], strlen(bad[i])) == NULL,
                      "\"%s\" was found", bad[i]);
    }
    /* the length is the length: no prefix, no NUL tricks */
    ck_assert_ptr_null(jose_alg_lookup("HS256", 4));
    ck_assert_ptr_null(jose_alg_lookup("HS256\0", 6));
    ck_assert_ptr_null(jose_alg_lookup("HS256", 0));
    ck_assert_ptr_nonnull(jose_alg_lookup("HS256XYZ", 5));
    ck_assert_int_eq(jose_alg_lookup("HS256XYZ", 5)->id, JOSE_ALG_HS256);
    ck_assert_int_eq(jose_alg_lookup("ES256K", 5)->id, JOSE_ALG_ES256);
}
END_TEST

START_TEST(alg_get_out_of_range)
{
    int i;

    ck_assert_ptr_null(jose_alg_get(JOSE_ALG_UNKNOWN));
    ck_assert_ptr_null(jose_alg_get(JOSE_ALG_COUNT));
    ck_assert_ptr_null(jose_alg_get((jose_alg_t)(JOSE_ALG_COUNT + 100)));
    ck_assert_ptr_null(jose_alg_get((jose_alg_t)-1));
    for (i = 1; i < JOSE_ALG_COUNT; i++) {
        const jose_alg_info_t *a = jose_alg_get((jose_alg_t)i);

        ck_assert_ptr_nonnull(a);
        ck_assert_int_eq(a->id, i);
        ck_assert_ptr_nonnull(a->name);
        ck_assert_ptr_eq(jose_alg_lookup(a->name, strlen(a->name)), a);
    }
    ck_assert_ptr_null(jose_enc_get(JOSE_ENC_UNKNOWN));
    ck_assert_ptr_null(jose_enc_get(JOSE_ENC_COUNT));
    ck_assert_ptr_null(jose_enc_get((jose_enc_t)-1));
}
END_TEST

START_TEST(enc_table)
{
    static const struct {
        const char *name;
        jose_enc_t id;
        size_t cek, iv, tag;
    } e[] = {
        /* RFC 7518 5.2.3-5.2.5 and 5.3 */
        { "A128CBC-HS256", JOSE_ENC_A128CBC_HS256, 32, 16, 16 },
        { "A192CBC-HS384", JOSE_ENC_A192CBC_HS384, 48, 16, 24 },
        { "A256CBC-HS512", JOSE_ENC_A256CBC_HS512, 64, 16, 32 },
        { "A128GCM", JOSE_ENC_A128GCM, 16, 12, 16 },
        { "A192GCM", JOSE_ENC_A192GCM, 24, 12, 16 },
        { "A256GCM", JOSE_ENC_A256GCM, 32, 12, 16 },
    };
    static const char *const bad[] = {
        "a128gcm", "A128GCM ", "A128CBC-HS256 ", "A128CBC", "A128CBC+HS256",
        "", "none", "A512GCM", NULL
    };
    size_t i;

    ck_assert_uint_eq(NELTS(e), JOSE_ENC_COUNT - 1);
    for (i = 0; i < NELTS(e); i++) {
        const jose_enc_info_t *x = jose_enc_lookup(e[i].name,
                                                   strlen(e[i].name));

        ck_assert_msg(x != NULL, "%s not found", e[i].name);
        ck_assert_int_eq(x->id, e[i].id);
        ck_assert_uint_eq(x->cek_len, e[i].cek);
        ck_assert_uint_eq(x->iv_len, e[i].iv);
        ck_assert_uint_eq(x->tag_len, e[i].tag);
        ck_assert_ptr_eq(jose_enc_get(e[i].id), x);
    }
    for (i = 0; bad[i] != NULL; i++) {
        ck_assert_msg(jose_enc_lookup(bad[i], strlen(bad[i])) == NULL,
                      "\"%s\" was found", bad[i]);
    }
}
END_TEST

#define B(a) JOSE_ALG_BIT(JOSE_ALG_##a)

/* alg= and enc= lists: exact names, no empty entry, the right use. */
START_TEST(alg_and_enc_lists)
{
    jose_alg_set_t a = 7;
    jose_enc_set_t e = 7;
    const char *bad = NULL;
    size_t n = 99;

    ck_assert_int_eq(jose_alg_set_parse(&a, "RS256,ES256", JOSE_USE_SIG,
                                        &bad, &n), 0);
    ck_assert(a == (JOSE_ALG_BIT(JOSE_ALG_RS256)
                    | JOSE_ALG_BIT(JOSE_ALG_ES256)));
    ck_assert_int_eq(jose_alg_set_parse(&a, "dir", JOSE_USE_ENC, NULL,
                                        NULL), 0);
    ck_assert(a == JOSE_ALG_BIT(JOSE_ALG_DIR));
    /* the offending entry is reported, the output left alone */
    ck_assert_int_eq(jose_alg_set_parse(&a, "RS256,rs384,ES256",
                                        JOSE_USE_SIG, &bad, &n), -1);
    ck_assert_int_eq(n, 5);
    ck_assert(strncmp(bad, "rs384", n) == 0);
    ck_assert(a == JOSE_ALG_BIT(JOSE_ALG_DIR));
    ck_assert_int_eq(jose_alg_set_parse(&a, "RS256,dir", JOSE_USE_SIG,
                                        &bad, &n), -1);
    ck_assert(strncmp(bad, "dir", n) == 0 && n == 3);
    ck_assert_int_eq(jose_alg_set_parse(&a, "none", JOSE_USE_SIG, &bad,
                                        &n), -1);
    ck_assert_int_eq(jose_alg_set_parse(&a, "", JOSE_USE_SIG, &bad, &n),
                     -1);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(jose_alg_set_parse(&a, "RS256,", JOSE_USE_SIG, &bad,
                                        &n), -1);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(jose_alg_set_parse(&a, ",RS256", JOSE_USE_SIG, &bad,
                                        &n), -1);
    ck_assert_int_eq(jose_alg_set_parse(&a, "RS256,,ES256", JOSE_USE_SIG,
                                        &bad, &n), -1);
    ck_assert_int_eq(jose_alg_set_parse(&a, NULL, JOSE_USE_SIG, &bad, &n),
                     -1);

    ck_assert_int_eq(jose_enc_set_parse(&e, "A256GCM,A128CBC-HS256", &bad,
                                        &n), 0);
    ck_assert(e == (JOSE_ENC_BIT(JOSE_ENC_A256GCM)
                    | JOSE_ENC_BIT(JOSE_ENC_A128CBC_HS256)));
    ck_assert_int_eq(jose_enc_set_parse(&e, "A256GCM,A256gcm", &bad, &n),
                     -1);
    ck_assert(strncmp(bad, "A256gcm", n) == 0 && n == 7);
    ck_assert_int_eq(jose_enc_set_parse(&e, "RSA-OAEP", &bad, &n), -1);
    ck_assert_int_eq(jose_enc_set_parse(&e, "", &bad, &n), -1);
    ck_assert(e == (JOSE_ENC_BIT(JOSE_ENC_A256GCM)
                    | JOSE_ENC_BIT(JOSE_ENC_A128CBC_HS256)));
}
END_TEST

START_TEST(algs_for_key)
{
    const jose_alg_set_t rsa_sig = B(RS256) | B(RS384) | B(RS512)
                                   | B(PS256) | B(PS384) | B(PS512);
    const jose_alg_set_t ecdh = B(ECDH_ES) | B(ECDH_ES_A128KW)
                                | B(ECDH_ES_A192KW) | B(ECDH_ES_A256KW);

    /* signatures: an RSA or EC key is never an HMAC secret (A2) and each
     * curve has exactly one ES alg */
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_RSA, 0, JOSE_USE_SIG),
                      rsa_sig);
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_EC, NID_X9_62_prime256v1,
                                        JOSE_USE_SIG), B(ES256));
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_EC, NID_secp384r1,
                                        JOSE_USE_SIG), B(ES384));
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_EC, NID_secp521r1,
                                        JOSE_USE_SIG), B(ES512));
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_EC, NID_secp256k1,
                                        JOSE_USE_SIG), B(ES256K));
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_EC, NID_secp224r1,
                                        JOSE_USE_SIG), 0);
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_OKP, NID_ED25519,
                                        JOSE_USE_SIG), B(EDDSA));
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_OKP, NID_ED448,
                                        JOSE_USE_SIG), B(EDDSA));
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_OKP, NID_X25519,
                                        JOSE_USE_SIG), 0);
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_OCT, 0, JOSE_USE_SIG),
                      B(HS256) | B(HS384) | B(HS512));
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_NONE, 0, JOSE_USE_SIG), 0);

    /* key management: RSA1_5 and PBES2 never by default (C4, C6) */
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_RSA, 0, JOSE_USE_ENC),
                      B(RSA_OAEP) | B(RSA_OAEP_256));
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_OCT, 0, JOSE_USE_ENC),
                      B(A128KW) | B(A192KW) | B(A256KW) | B(DIR)
                      | B(A128GCMKW) | B(A192GCMKW) | B(A256GCMKW));
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_EC, NID_X9_62_prime256v1,
                                        JOSE_USE_ENC), ecdh);
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_EC, NID_secp521r1,
                                        JOSE_USE_ENC), ecdh);
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_EC, NID_secp256k1,
                                        JOSE_USE_ENC), 0);
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_OKP, NID_X25519,
                                        JOSE_USE_ENC), ecdh);
    ck_assert_uint_eq(jose_algs_for_key(JOSE_KTY_OKP, NID_ED25519,
                                        JOSE_USE_ENC), 0);
}
END_TEST

/* ------------------------------------------------------------ statuses - */

START_TEST(status_table_complete)
{
    int i, j;

    for (i = 0; i < JWT_STATUS_COUNT; i++) {
        const jwt_status_info_t *s = jwt_status_info((jwt_status_t)i);
        size_t k;

        ck_assert_ptr_nonnull(s);
        ck_assert_msg(s->name != NULL && s->name[0] != '\0',
                      "status %d: no name", i);
        ck_assert_msg(s->description != NULL && s->description[0] != '\0',
                      "status %d (%s): no description", i, s->name);
        /* a stable short name: log field, metrics label, JWT_ERROR */
        for (k = 0; s->name[k] != '\0'; k++) {
            ck_assert_msg((s->name[k] >= 'a' && s->name[k] <= 'z')
                          || (s->name[k] >= '0' && s->name[k] <= '9')
                          || s->name[k] == '_',
                          "status %d: name \"%s\" is not [a-z0-9_]+", i,
                          s->name);
        }
        /* RFC 6750 3.1: one of the three codes, or none at all */
        if (s->error != NULL) {
            ck_assert_msg(strcmp(s->error, "invalid_request") == 0
                          || strcmp(s->error, "invalid_token") == 0
                          || strcmp(s->error, "insufficient_scope") == 0,
                          "status %s: error \"%s\"", s->name, s->error);
        }
        else {
            /* a 503 (keys or revocation store out of reach) is no answer
             * about the token, so it carries no code either */
            ck_assert_msg(i == JWT_OK || i == JWT_ERR_NO_TOKEN
                          || i == JWT_ERR_REVOCATION_UNAVAILABLE
                          || i == JWT_ERR_KEYS_UNAVAILABLE,
                          "status %s has no RFC 6750 error code", s->name);
        }
        if (i == JWT_OK) {
            continue;
        }
        /* 503 only when a provider or a store is out of reach */
        ck_assert_msg(s->http_status == 400 || s->http_status == 401
                      || s->http_status == 403
                      || ((i == JWT_ERR_REVOCATION_UNAVAILABLE
                           || i == JWT_ERR_KEYS_UNAVAILABLE)
                          && s->http_status == 503),
                      "status %s: HTTP %d", s->name, s->http_status);
        /* the error code and the HTTP status agree (RFC 6750 3.1) */
        if (s->error != NULL && strcmp(s->error, "invalid_request") == 0) {
            ck_assert_int_eq(s->http_status, 400);
        }
        if (s->error != NULL && strcmp(s->error, "invalid_token") == 0) {
            ck_assert_int_eq(s->http_status, 401);
        }
        if (s->error != NULL
            && strcmp(s->error, "insufficient_scope") == 0) {
            ck_assert_int_eq(s->http_status, 403);
        }
        for (j = 0; j < i; j++) {
            ck_assert_msg(strcmp(s->name,
                                 jwt_status_name((jwt_status_t)j)) != 0,
                          "statuses %d and %d share the name \"%s\"", j, i,
                          s->name);
        }
        ck_assert_str_eq(jwt_status_name((jwt_status_t)i), s->name);
        ck_assert_str_eq(jwt_status_description((jwt_status_t)i),
                         s->description);
    }
}
END_TEST

START_TEST(status_specific_rows)
{
    ck_assert_ptr_null(jwt_status_info(JWT_ERR_NO_TOKEN)->error);
    ck_assert_int_eq(jwt_status_info(JWT_ERR_NO_TOKEN)->http_status, 401);
    ck_assert_str_eq(jwt_status_info(JWT_ERR_MULTIPLE_TOKENS)->error,
                     "invalid_request");
    ck_assert_int_eq(jwt_status_info(JWT_ERR_BAD_REQUEST)->http_status,
                     400);
    ck_assert_str_eq(jwt_status_info(JWT_ERR_INSUFFICIENT_SCOPE)->error,
                     "insufficient_scope");
    ck_assert_int_eq(jwt_status_info(JWT_ERR_INSUFFICIENT_SCOPE)
                     ->http_status, 403);
    ck_assert_str_eq(jwt_status_info(JWT_ERR_EXPIRED)->error,
                     "invalid_token");
    ck_assert_str_eq(jwt_status_name(JWT_ERR_EXPIRED), "expired");
    /* keys the provider could not deliver: 503, no RFC 6750 error */
    ck_assert_int_eq(jwt_status_info(JWT_ERR_KEYS_UNAVAILABLE)->http_status,
                     503);
    ck_assert_ptr_null(jwt_status_info(JWT_ERR_KEYS_UNAVAILABLE)->error);
    /* internal failures are answered like a bad token, never a 500 */
    ck_assert_int_eq(jwt_status_info(JWT_ERR_INTERNAL)->http_status, 401);
    ck_assert_str_eq(jwt_status_name(JWT_ERR_REVOKED), "revoked");
    ck_assert_str_eq(jwt_status_description(JWT_ERR_REVOKED),
                     "token revoked");
    ck_assert_str_eq(jwt_status_info(JWT_ERR_REVOKED)->error,
                     "invalid_token");
    ck_assert_int_eq(jwt_status_info(JWT_ERR_REVOCATION_UNAVAILABLE)
                     ->http_status, 503);
}
END_TEST

START_TEST(status_out_of_range)
{
    const jwt_status_info_t *internal = jwt_status_info(JWT_ERR_INTERNAL);

    ck_assert_ptr_eq(jwt_status_info(JWT_STATUS_COUNT), internal);
    ck_assert_ptr_eq(jwt_status_info((jwt_status_t)(JWT_STATUS_COUNT + 7)),
                     internal);
    ck_assert_ptr_eq(jwt_status_info((jwt_status_t)-1), internal);
    ck_assert_ptr_eq(jwt_status_info((jwt_status_t)100000), internal);
}
END_TEST

/* ----------------------------------------------------------------- JSON - */

static jwt_status_t jobj(const char *text, size_t len, json_t **out)
{
    char *buf = malloc(len > 0 ? len : 1);
    jwt_status_t st;

    ck_assert_ptr_nonnull(buf);
    memcpy(buf, text, len);
    *out = NULL;
    st = jose_json_object(out, tu_pool, buf, len);
    free(buf);
    return st;
}

static jwt_status_t jobjs(const char *text)
{
    json_t *j;

    return jobj(text, strlen(text), &j);
}

START_TEST(json_object_accepted)
{
    static const char ok[] = "{\"a\":1,\"b\":{\"c\":[1,2,{\"d\":\"e\"}]}}";
    json_t *j;

    ck_assert_status(jobj(ok, strlen(ok), &j), JWT_OK);
    ck_assert_ptr_nonnull(j);
    ck_assert(json_is_object(j));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "a")), 1);
    ck_assert_status(jobjs("{}"), JWT_OK);
    /* the same member name in two different objects is no duplicate */
    ck_assert_status(jobjs("{\"a\":{\"x\":1},\"b\":{\"x\":1}}"), JWT_OK);
    /* whitespace inside is fine (RFC 7515 A.1 has CR LF in its header) */
    ck_assert_status(jobjs("{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}"),
                     JWT_OK);
    /* only LEN bytes are parsed */
    ck_assert_status(jobj("{\"a\":1}GARBAGE", 7, &j), JWT_OK);
}
END_TEST

START_TEST(json_duplicates_at_any_depth)
{
    static const char *const bad[] = {
        /* doc/attacks.md D2 */
        "{\"alg\":\"HS256\",\"alg\":\"none\"}",
        "{\"sub\":\"alice\",\"sub\":\"admin\"}",
        "{\"exp\":1,\"exp\":9999999999}",
        "{\"a\":{\"b\":1,\"b\":2}}",
        "{\"a\":[{\"b\":{\"c\":1,\"c\":1}}]}",
        "{\"a\":[1,2,[3,{\"x\":null,\"x\":null}]]}",
        "{\"a\":1,\"b\":2,\"a\":1}",
        "{\"\":1,\"\":2}",
        /* the same name spelled with an escape is the same name */
        "{\"alg\":1,\"\\u0061lg\":2}",
        NULL
    };
    int i;

    for (i = 0; bad[i] != NULL; i++) {
        ck_assert_msg(jobjs(bad[i]) == JWT_ERR_JSON, "accepted %s", bad[i]);
    }
}
END_TEST

START_TEST(json_non_objects)
{
    static const char *const bad[] = {
        /* doc/attacks.md D4, F5: header and payload must be objects */
        "[]", "[{\"a\":1}]", "\"x\"", "1", "1.5", "null", "true", "false",
        "", " ", "{", "}", "{\"a\"}", "{\"a\":}", "{a:1}", "{'a':1}",
        "{\"a\":1,}", "{\"a\":1}}", "{\"a\":1} x", "{\"a\":1}{}",
        "{\"a\":1}[]", "{\"a\":1}\"", "/*c*/{}", "{} //c", "{\"a\":NaN}",
        "{\"a\":Infinity}", "{\"a\":01}", "{\"a\":1e400}",
        "{\"a\":9223372036854775808}",
        NULL
    };
    int i;

    for (i = 0; bad[i] != NULL; i++) {
        ck_assert_msg(jobjs(bad[i]) == JWT_ERR_JSON, "accepted \"%s\"",
                      bad[i]);
    }
}
END_TEST

START_TEST(json_nul_and_bad_utf8)
{
    json_t *j;

    /* doc/attacks.md E3, E5: no NUL in strings, never JSON_ALLOW_NUL */
    ck_assert_status(jobjs("{\"iss\":\"https://idp\\u0000evil\"}"),
                     JWT_ERR_JSON);
    ck_assert_status(jobjs("{\"a\\u0000b\":1}"), JWT_ERR_JSON);
    ck_assert_status(jobj("{\"a\":\"x\0y\"}", 11, &j), JWT_ERR_JSON);
    ck_assert_status(jobj("{\"a\":1}\0", 8, &j), JWT_ERR_JSON);
    ck_assert_status(jobj("\0{\"a\":1}", 8, &j), JWT_ERR_JSON);
    ck_assert_status(jobjs("{\"a\":\"\xff\xfe\"}"), JWT_ERR_JSON);
    ck_assert_status(jobjs("{\"a\":\"\xc0\xaf\"}"), JWT_ERR_JSON);
    ck_assert_status(jobjs("{\"a\":\"\\ud800\"}"), JWT_ERR_JSON);
    ck_assert_status(jobjs("\xef\xbb\xbf{\"a\":1}"), JWT_ERR_JSON);
    ck_assert_status(jobjs("{\"a\":\"tab\there\"}"), JWT_ERR_JSON);
    /* valid UTF-8 is fine */
    ck_assert_status(jobjs("{\"a\":\"It\xe2\x80\x99s\"}"), JWT_OK);
}
END_TEST

START_TEST(json_deep_nesting)
{
    size_t depth = 3000, i, n = 0;
    char *buf = apr_palloc(tu_pool, depth * 2 + 16);
    json_t *j;

    buf[n++] = '{';
    memcpy(buf + n, "\"a\":", 4);
    n += 4;
    for (i = 0; i < depth; i++) {
        buf[n++] = '[';
    }
    for (i = 0; i < depth; i++) {
        buf[n++] = ']';
    }
    buf[n++] = '}';
    /* doc/attacks.md F5: refused (jansson's depth cap), never a crash */
    ck_assert_status(jobj(buf, n, &j), JWT_ERR_JSON);
}
END_TEST

START_TEST(json_helpers)
{
    static const char text[] = "{\"s\":\"abc\",\"n\":5,\"e\":\"\"}";
    json_t *j;
    const char *s;
    size_t n = 99;
    char *d;

    ck_assert_status(jobj(text, strlen(text), &j), JWT_OK);
    s = jose_json_str(j, "s", &n);
    ck_assert_str_eq(s, "abc");
    ck_assert_uint_eq(n, 3);
    ck_assert_ptr_null(jose_json_str(j, "n", &n));
    ck_assert_ptr_null(jose_json_str(j, "missing", &n));
    s = jose_json_str(j, "e", &n);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(n, 0);

    d = jose_json_dump(tu_pool, j, &n);
    ck_assert_str_eq(d, "{\"s\":\"abc\",\"n\":5,\"e\":\"\"}");
    ck_assert_uint_eq(n, strlen(d));

    ck_assert_int_eq(jose_ct_equal("abc", 3, "abc", 3), 1);
    ck_assert_int_eq(jose_ct_equal("abc", 3, "abd", 3), 0);
    ck_assert_int_eq(jose_ct_equal("abc", 3, "ab", 2), 0);
    ck_assert_int_eq(jose_ct_equal("ab", 2, "abc", 3), 0);
    ck_assert_int_eq(jose_ct_equal("a\0c", 3, "a\0d", 3), 0);
    ck_assert_int_eq(jose_ct_equal("", 0, "x", 1), 0);
}
END_TEST

/* ---- jose_json_flat: never more lenient than jansson, same value ---- */

/* jansson's reading of BUF, as jose_json_object did it before the fast
 * path (NULL when refused or not an object). */
static json_t *jansson_object(const char *buf, size_t len)
{
    json_error_t err;
    json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);

    if (j != NULL && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* jose_json_members on a copy of BUF: taken exactly when TAKEN (what
 * jose_json_flat did) and BUF has at most 16 members, and then the same
 * members in the same order, each name terminated, a string value as its
 * decoded text and nothing else, the strings of an array in order, the
 * kind of each value (an integer's too), whether it held an escape, and
 * the copy changed only within a value or where a name's closing quote
 * was. */
static void members_agree(const char *buf, size_t len, int taken)
{
    jose_member_t m[16];
    char copy[512];
    json_t *j = taken ? jansson_object(buf, len) : NULL;
    size_t n = 99, i;
    char may_change[512] = { 0 };
    int took;
    void *it;

    ck_assert_uint_le(len, sizeof(copy));
    if (len > 0) {
        memcpy(copy, buf, len);
    }
    took = jose_json_members(m, 16, &n, copy, len);
    if (!taken || json_object_size(j) > 16) {
        ck_assert_msg(!took, "members taken, jose_json_flat did not: %.*s",
                      (int)len, buf);
        ck_assert_uint_eq(n, 0);
        ck_assert(len == 0 || memcmp(copy, buf, len) == 0);
        json_decref(j);
        return;
    }
    ck_assert_msg(took, "members not taken: %.*s", (int)len, buf);
    ck_assert_uint_eq(n, json_object_size(j));
    for (i = 0, it = json_object_iter(j); i < n;
         i++, it = json_object_iter_next(j, it)) {
        json_t *v = json_object_iter_value(it);

        ck_assert_uint_eq(m[i].klen, json_object_iter_key_len(it));
        ck_assert(memcmp(m[i].key, json_object_iter_key(it), m[i].klen) == 0);
        ck_assert(m[i].key[m[i].klen] == '\0');
        may_change[m[i].key - copy + m[i].klen] = 1;
        if (json_is_string(v)) {
            ck_assert_ptr_nonnull(m[i].str);
            ck_assert_uint_eq(m[i].slen, json_string_length(v));
            ck_assert_str_eq(m[i].str, json_string_value(v));
            ck_assert_int_eq(m[i].kind, JOSE_MEMBER_STRING);
        }
        else {
            ck_assert_ptr_null(m[i].str);
        }
        /* the kind of every value, and an integer's value */
        ck_assert_int_eq(m[i].kind == JOSE_MEMBER_INT, json_is_integer(v));
        ck_assert_int_eq(m[i].kind == JOSE_MEMBER_TRUE, json_is_true(v));
        ck_assert_int_eq(m[i].kind == JOSE_MEMBER_FALSE, json_is_false(v));
        ck_assert_int_eq(m[i].kind == JOSE_MEMBER_NULL, json_is_null(v));
        ck_assert_int_eq(m[i].kind == JOSE_MEMBER_ARRAY, json_is_array(v));
        if (json_is_integer(v)) {
            ck_assert(m[i].i == json_integer_value(v));
        }
        if (json_is_array(v)) {
            size_t e, all = 1;

            ck_assert(m[i].i == (json_int_t)json_array_size(v));
            for (e = 0; e < json_array_size(v); e++) {
                all &= json_is_string(json_array_get(v, e)) ? 1 : 0;
            }
            ck_assert_int_eq(m[i].strings, (int)all);
            if (all) {
                /* the strings, decoded, in order */
                size_t pos = 0, slen;
                const char *str;

                for (e = 0; jose_member_array_next(&m[i], &pos, &str,
                                                   &slen); e++) {
                    json_t *el = json_array_get(v, e);

                    ck_assert_ptr_nonnull(el);
                    ck_assert_uint_eq(slen, json_string_length(el));
                    ck_assert_str_eq(str, json_string_value(el));
                }
                ck_assert_uint_eq(e, json_array_size(v));
            }
        }
        else {
            ck_assert(!m[i].strings);
        }
        /* RAW spans the value's text: the same bytes in BUF read alone
         * are the same value */
        {
            size_t off = (size_t)(m[i].raw - copy);
            json_t *alone;

            ck_assert(m[i].raw >= copy && off + m[i].rawlen <= len);
            alone = json_loadb(buf + off, m[i].rawlen, JSON_DECODE_ANY,
                               NULL);
            ck_assert_msg(alone != NULL && json_equal(alone, v),
                          "raw of member %zu of %.*s", i, (int)len, buf);
            json_decref(alone);
            /* ESCAPED: a backslash in the value's text */
            ck_assert_int_eq(m[i].escaped,
                             memchr(buf + off, '\\', m[i].rawlen) != NULL);
            memset(may_change + off, 1, m[i].rawlen);
        }
    }
    /* (one assertion: each one costs check a write) */
    for (i = 0; i < len && (may_change[i] || copy[i] == buf[i]); i++) {
    }
    ck_assert_msg(i == len, "byte %zu of %.*s changed", i, (int)len, buf);
    json_decref(j);
}

/* When the fast path takes BUF, jansson takes it too, as an equal value
 * with the members in the same order.  Returns 1 when it took it. */
static int flat_agrees(const char *buf, size_t len)
{
    json_t *f = NULL, *j;
    void *fi, *ji;
    int took = jose_json_flat(&f, buf, len);

    if (!took) {
        ck_assert_ptr_null(f);
        members_agree(buf, len, 0);
        return 0;
    }
    j = jansson_object(buf, len);
    ck_assert_msg(j != NULL, "fast path accepted what jansson refuses: "
                  "%.*s", (int)len, buf);
    ck_assert_msg(json_equal(f, j), "different values for %.*s", (int)len,
                  buf);
    for (fi = json_object_iter(f), ji = json_object_iter(j);
         fi != NULL && ji != NULL;
         fi = json_object_iter_next(f, fi), ji = json_object_iter_next(j, ji)) {
        ck_assert_str_eq(json_object_iter_key(fi), json_object_iter_key(ji));
    }
    ck_assert(fi == NULL && ji == NULL);
    json_decref(f);
    json_decref(j);
    members_agree(buf, len, 1);
    return 1;
}

static const char *const flat_inputs[] = {
    "{}",
    " \t\r\n{ } \n",
    "{\"alg\":\"HS256\",\"kid\":\"bench-hs256\",\"typ\":\"JWT\"}",
    "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}",
    "{\"sub\":\"bench-user\",\"iss\":\"https://issuer.bench.invalid\","
    "\"aud\":\"bench-api\",\"iat\":1765065600,\"exp\":1765152000,"
    "\"scope\":\"read write\",\"jti\":\"hs256-cold-000001\"}",
    "{\"aud\":[\"a\",\"b\"],\"roles\":[],\"n\":[1,true,false,null,\"x\"]}",
    "{\"\":0,\"a\":999999999999999999,\"b\":0}",
    "{\"t\":true,\"f\":false,\"z\":null}",
    "{ \"a\" : [ 1 , 2 ] , \"b\" : \"c\" }",
    /* UTF-8 as Node or Java write it: 2, 3 and 4 bytes, in a name too */
    "{\"name\":\"Jos\xc3\xa9\",\"\xe2\x82\xac\":[\"\xf0\x9f\x98\x80\"],"
    "\"x\":\"\xef\xbf\xbd\xf4\x8f\xbf\xbf\xc2\x80\"}",
    /* escapes in values, as PHP, Python and others write them */
    "{\"iss\":\"https:\\/\\/issuer.example\\/\",\"name\":\"Jos\\u00e9\","
    "\"q\":\"say \\\"hi\\\" \\\\ \\u0041\\u20AC\\ud83d\\ude00\\uDBFF\\uDFFF\","
    "\"roles\":[\"a\\/b\",\"\\\"\",\"\\u0022\\\\\",\"x\",\"\\ud800\\udc00\"],"
    "\"e\":\"\\u007e\\u0080\\u07ff\\u0800\\ufffd\\uffff\\ud7ff\\ue000\"}",
    "{\"a\":[\"\\/\"],\"b\":[\"\\\\\",\"\"],\"c\":\"\\\\\",\"d\":\"\\u0020\"}",
    /* more members than jose_json_members is given room for */
    "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,"
    "\"i\":9,\"j\":0,\"k\":1,\"l\":2,\"m\":3,\"n\":4,\"o\":5,\"p\":6,"
    "\"q\":\"r\"}",
    NULL
};

START_TEST(json_flat_taken)
{
    int i;

    /* the common shapes do take the fast path, and agree */
    for (i = 0; flat_inputs[i] != NULL; i++) {
        ck_assert_msg(flat_agrees(flat_inputs[i], strlen(flat_inputs[i])),
                      "not taken: %s", flat_inputs[i]);
    }
    /* a string takes exactly the printable ASCII bytes but '"' and '\\',
     * in a value and in a name */
    for (i = 0; i < 256; i++) {
        char v[] = "{\"a\":\"x?y\"}", n[] = "{\"x?y\":1}";
        int plain = i >= 0x20 && i <= 0x7e && i != '"' && i != '\\';

        v[7] = (char)i;
        n[3] = (char)i;
        ck_assert_msg(flat_agrees(v, sizeof(v) - 1) == plain, "byte %d", i);
        ck_assert_msg(flat_agrees(n, sizeof(n) - 1) == plain, "byte %d", i);
    }
}
END_TEST

/* jansson's answer for BUF: 1 when it takes it. */
static int jansson_takes(const char *buf, size_t len)
{
    json_t *j = jansson_object(buf, len);

    json_decref(j);
    return j != NULL;
}

/* UTF-8 in a string value and in a name: the fast path takes a sequence
 * exactly when jansson does (RFC 3629: every lead and continuation byte
 * of two-byte sequences, the edges of the three- and four-byte ones,
 * overlong forms, surrogates, beyond U+10FFFF, cut short). */
START_TEST(json_flat_utf8)
{
    static const unsigned char lead[] = {
        0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5,
        0xf8, 0xff
    };
    /* no 0x7f: jansson takes DEL, which the fast path leaves to it */
    static const unsigned char edge[] = {
        0x22, 0x41, 0x80, 0x81, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0,
        0xc2, 0xdf, 0xe0, 0xef, 0xf0, 0xf4, 0xf5, 0xff
    };
    static const unsigned char tail[] = {
        0x22, 0x41, 0x80, 0x8f, 0x90, 0xbf, 0xc0, 0xff
    };
    char v[16], n[16];
    size_t a, b, c, d, vl, nl;
    long taken = 0;
    int took;

    for (a = 0x80; a < 0x100; a++) {
        for (b = 0; b < 0x100; b++) {
            vl = (size_t)snprintf(v, sizeof(v), "{\"a\":\"%c%c\"}", (int)a,
                                  (int)b);
            if (b == 0) {
                continue;   /* snprintf stops at the NUL */
            }
            took = flat_agrees(v, vl);
            ck_assert_msg(took == jansson_takes(v, vl), "%02zx %02zx", a, b);
            taken += took;
        }
    }
    for (a = 0; a < sizeof(lead); a++) {
        for (b = 0; b < sizeof(edge); b++) {
            for (c = 0; c < sizeof(tail); c++) {
                for (d = 0; d < sizeof(tail); d++) {
                    vl = (size_t)snprintf(v, sizeof(v),
                                          "{\"a\":\"%c%c%c%c\"}", lead[a],
                                          edge[b], tail[c], tail[d]);
                    nl = (size_t)snprintf(n, sizeof(n),
                                          "{\"%c%c%c%c\":1}", lead[a],
                                          edge[b], tail[c], tail[d]);
                    took = flat_agrees(v, vl);
                    ck_assert_msg(took == jansson_takes(v, vl),
                                  "%02x %02x %02x %02x", lead[a], edge[b],
                                  tail[c], tail[d]);
                    ck_assert_msg(flat_agrees(n, nl)
                                  == jansson_takes(n, nl),
                                  "name %02x %02x %02x %02x", lead[a],
                                  edge[b], tail[c], tail[d]);
                    taken += took;
                }
            }
        }
    }
    /* all 1920 two-byte characters, and many longer ones */
    ck_assert_int_gt(taken, 1920);
}
END_TEST

/* Escapes (RFC 8259 section 7): in a value, the fast path takes exactly
 * those of printable characters, and reads them as jansson does; the
 * others (control characters, lone surrogates, anything cut short or
 * ill-formed) it leaves to jansson.  In a name, it takes none. */
START_TEST(json_flat_escapes)
{
    static const char *const tails[] = {
        "", "x", "\\u0041", "\\ud800", "\\udbff", "\\n", "\\u", "\\udc0",
        "\\", "\\ue000"
    };
    static const long edges[] = {
        0x7ff, 0x800, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000,
        0xfffd, 0xfffe, 0xffff
    };
    char v[64], a[64], n[64];
    size_t vl, al, nl, t, i;
    long cp, lo, taken = 0;
    int c, took, want;

    /* the code points below U+1000 and every seventh above, with the
     * edges of each UTF-8 length and of the surrogates, in both cases of
     * hex digits, alone and (every sixteenth) as an array's element */
    for (i = 0; i < 0x1000 + 0xf000 / 7 + sizeof(edges) / sizeof(*edges);
         i++) {
        cp = i < 0x1000 ? (long)i
             : i < 0x1000 + 0xf000 / 7 ? 0x1000 + 7 * (long)(i - 0x1000)
             : edges[i - 0x1000 - 0xf000 / 7];
        want = cp >= 0x20 && cp != 0x7f && (cp < 0xd800 || cp > 0xdfff);
        vl = (size_t)snprintf(v, sizeof(v), cp % 2 ? "{\"a\":\"\\u%04lx\"}"
                                                   : "{\"a\":\"\\u%04lX\"}",
                              cp);
        took = flat_agrees(v, vl);
        ck_assert_msg(took == (want && jansson_takes(v, vl)), "U+%04lX",
                      cp);
        if (i % 16 == 0 || i >= 0x1000 + 0xf000 / 7) {
            al = (size_t)snprintf(a, sizeof(a),
                                  "{\"a\":[\"x\",\"y\\u%04lxz\"]}", cp);
            ck_assert_msg(flat_agrees(a, al) == took, "array U+%04lX", cp);
        }
        taken += took;
    }
    ck_assert_int_gt(taken, 0x1000 - 0x21 + 0xf000 / 7 - 0x800 / 7);
    /* surrogate pairs of three high halves with the low halves at both
     * ends and every eleventh between; a high half followed by anything
     * else, or a low half alone */
    for (cp = 0xd800; cp <= 0xdbff; cp += 0x3ff / 2) {
        for (lo = 0xdc00; lo <= 0xdfff;
             lo += lo < 0xdc10 || lo >= 0xdff0 ? 1 : 11) {
            vl = (size_t)snprintf(v, sizeof(v),
                                  "{\"a\":\"\\u%04lx\\u%04lx\"}", cp, lo);
            ck_assert_msg(flat_agrees(v, vl), "%04lx %04lx", cp, lo);
        }
        for (t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
            vl = (size_t)snprintf(v, sizeof(v), "{\"a\":\"\\u%04lx%s\"}",
                                  cp, tails[t]);
            ck_assert_msg(!flat_agrees(v, vl), "%04lx%s", cp, tails[t]);
        }
    }
    for (t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
        vl = (size_t)snprintf(v, sizeof(v), "{\"a\":\"\\udc00%s\"}",
                              tails[t]);
        ck_assert_msg(!flat_agrees(v, vl), "dc00%s", tails[t]);
    }
    /* a backslash and every byte after it: only \" \\ \/ are taken in a
     * value, none in a name */
    for (c = 1; c < 256; c++) {
        want = c == '"' || c == '\\' || c == '/';
        vl = (size_t)snprintf(v, sizeof(v), "{\"a\":\"x\\%c\"}", c);
        nl = (size_t)snprintf(n, sizeof(n), "{\"x\\%c\":1}", c);
        ck_assert_msg(flat_agrees(v, vl) == want, "byte %d", c);
        ck_assert_msg(!flat_agrees(n, nl), "name, byte %d", c);
        ck_assert_msg(want || c == 'b' || c == 'f' || c == 'n' || c == 'r'
                      || c == 't' || !jansson_takes(v, vl), "byte %d", c);
    }
    /* cut short, or not hex */
    ck_assert(!flat_agrees("{\"a\":\"\\u004\"}", 13));
    ck_assert(!flat_agrees("{\"a\":\"\\u00g1\"}", 14));
    ck_assert(!flat_agrees("{\"a\":\"\\", 7));
    ck_assert(!flat_agrees("{\"a\":\"\\u0041", 12));
    ck_assert(!flat_agrees("{\"a\":\"\\ud800\\udc0\"}", 19));
}
END_TEST

START_TEST(json_flat_left_to_jansson)
{
    static const char *const other[] = {
        /* escapes, non-ASCII, reals, signs, long numbers, nesting */
        "{\"a\\n\":1}", "{\"a\\u0041\":1}", "{\"a\\/\":1}", "{\"a\":\"\xc3\"}",
        "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xc0\xaf\"}",
        "{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":\"\xe0\x80\xaf\"}",
        "{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":-1}", "{\"a\":-0}",
        "{\"a\":9223372036854775807}", "{\"a\":1234567890123456789}",
        "{\"a\":{}}", "{\"a\":[[]]}", "{\"a\":[{}]}",
        /* duplicates and every kind of syntax error */
        "{\"a\":1,\"a\":1}", "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\":}",
        "{\"a\":01}", "{\"a\":tru}", "{\"a\":truex}", "{\"a\":[1,]}",
        "{\"a\":[1 2]}", "{\"a\":1}x", "{\"a\":1}}", "[1]", "\"a\"", "",
        "{\"a\":\"\t\"}", "{\"a\":\"x", "{\"a\":1", "{\"a\":\"\x7f\"}",
        NULL
    };
    json_t *f;
    int i;

    for (i = 0; other[i] != NULL; i++) {
        ck_assert_msg(jose_json_flat(&f, other[i], strlen(other[i])) == 0,
                      "taken: %s", other[i]);
        ck_assert_ptr_null(f);
        members_agree(other[i], strlen(other[i]), 0);
    }
    /* an embedded NUL, within LEN */
    ck_assert_int_eq(jose_json_flat(&f, "{\"a\":\"x\0y\"}", 11), 0);
    ck_assert_int_eq(jose_json_flat(&f, "{\"a\":1}\0", 8), 0);
    /* only LEN bytes are read */
    ck_assert_int_eq(flat_agrees("{\"a\":1}GARBAGE", 7), 1);
    ck_assert_int_eq(jose_json_flat(&f, NULL, 0), 0);
}
END_TEST

/* Every single-byte change, deletion and truncation of the common shapes:
 * whatever the fast path takes, jansson takes as the same value. */
START_TEST(json_flat_mutations)
{
    static const char bytes[] = "\"\\,:{}[] 0159-.eEtfnulx\t\x00\x7f\x80\xff";
    char buf[512];
    long taken = 0, tried = 0;
    size_t len, pos, b;
    int i;

    for (i = 0; flat_inputs[i] != NULL; i++) {
        len = strlen(flat_inputs[i]);
        ck_assert_uint_lt(len, sizeof(buf));
        for (pos = 0; pos < len; pos++) {
            for (b = 0; b < sizeof(bytes) - 1; b++) {
                memcpy(buf, flat_inputs[i], len);
                buf[pos] = bytes[b];
                taken += flat_agrees(buf, len);
                tried++;
            }
            /* the byte deleted */
            memcpy(buf, flat_inputs[i], pos);
            memcpy(buf + pos, flat_inputs[i] + pos + 1, len - pos - 1);
            taken += flat_agrees(buf, len - 1);
            /* truncated here */
            taken += flat_agrees(flat_inputs[i], pos);
            tried += 2;
        }
    }
    /* the mutants exercised both outcomes */
    ck_assert_int_gt(taken, 0);
    ck_assert_int_lt(taken, tried);
}
END_TEST

static Suite *core_suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc;

    tc = tcase_create("base64url");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, b64_known_values);
    tcase_add_test(tc, b64_decode_reads_only_len);
    tcase_add_test(tc, b64_round_trip);
    tcase_add_test(tc, b64_padding_refused);
    tcase_add_test(tc, b64_standard_alphabet_refused);
    tcase_add_test(tc, b64_whitespace_refused);
    tcase_add_test(tc, b64_length_1_mod_4_refused);
    tcase_add_test(tc, b64_unused_bits_must_be_zero);
    tcase_add_test(tc, b64_every_char_class);
    tcase_add_test(tc, b64_large);
    suite_add_tcase(s, tc);

    tc = tcase_create("alg");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, alg_every_spec_alg_found);
    tcase_add_test(tc, alg_details);
    tcase_add_test(tc, alg_lookalikes_not_found);
    tcase_add_test(tc, alg_get_out_of_range);
    tcase_add_test(tc, enc_table);
    tcase_add_test(tc, alg_and_enc_lists);
    tcase_add_test(tc, algs_for_key);
    suite_add_tcase(s, tc);

    tc = tcase_create("status");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, status_table_complete);
    tcase_add_test(tc, status_specific_rows);
    tcase_add_test(tc, status_out_of_range);
    suite_add_tcase(s, tc);

    tc = tcase_create("json");
    tcase_add_checked_fixture(tc, tu_setup, tu_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, json_object_accepted);
    tcase_add_test(tc, json_duplicates_at_any_depth);
    tcase_add_test(tc, json_non_objects);
    tcase_add_test(tc, json_nul_and_bad_utf8);
    tcase_add_test(tc, json_deep_nesting);
    tcase_add_test(tc, json_helpers);
    tcase_add_test(tc, json_flat_taken);
    tcase_add_test(tc, json_flat_escapes);
    tcase_add_test(tc, json_flat_left_to_jansson);
    tcase_add_test(tc, json_flat_utf8);
    tcase_add_test(tc, json_flat_mutations);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tu_init();
    return tu_run(core_suite());
}
