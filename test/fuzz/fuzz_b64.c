/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * fuzz_b64.c: strict base64url (RFC 7515 section 2 and appendix C, RFC 4648
 * section 5) as a round trip and against a plain reference of the rules
 * (doc/attacks.md F1: one byte string, one accepted encoding).
 *
 * For any input X: decode(encode(X)) == X, and the encoding has the length
 * RFC 7515 appendix C gives and only alphabet characters.  For any input S
 * read as text: decode accepts S exactly when the reference says S is
 * canonical (alphabet only, length not 1 mod 4, zero unused bits), the
 * decoded length is JOSE_B64URL_DECODED_LEN, the output is NUL-terminated,
 * and encode(decode(S)) == S.
 */

#include <string.h>
#include "jose_b64.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fz_init(0);
    return 0;
}

static int alphabet(unsigned char c, unsigned *v)
{
    if (c >= 'A' && c <= 'Z') {
        *v = (unsigned)(c - 'A');
    }
    else if (c >= 'a' && c <= 'z') {
        *v = (unsigned)(c - 'a') + 26;
    }
    else if (c >= '0' && c <= '9') {
        *v = (unsigned)(c - '0') + 52;
    }
    else if (c == '-') {
        *v = 62;
    }
    else if (c == '_') {
        *v = 63;
    }
    else {
        return 0;
    }
    return 1;
}

/* The rules, written plainly: is S[0..N) the one encoding of something? */
static int canonical(const unsigned char *s, size_t n)
{
    unsigned v = 0;
    size_t i;

    if (n % 4 == 1) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (!alphabet(s[i], &v)) {
            return 0;
        }
    }
    /* the last character's unused low bits: 4 when n % 4 == 2, 2 when 3 */
    if (n % 4 == 2) {
        return (v & 0x0f) == 0;
    }
    if (n % 4 == 3) {
        return (v & 0x03) == 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p = fz_pool();
    unsigned char *out;
    size_t outlen, i;
    char *enc, *s;
    jwt_status_t st;
    unsigned v;

    /* decode(encode(X)) == X */
    enc = jose_b64url_encode(p, data, size);
    FZ_ASSERT(enc != NULL);
    FZ_ASSERT(strlen(enc) == (size * 4 + 2) / 3);
    for (i = 0; enc[i] != '\0'; i++) {
        FZ_ASSERT(alphabet((unsigned char)enc[i], &v));
    }
    FZ_ASSERT(canonical((const unsigned char *)enc, strlen(enc)));
    st = jose_b64url_decode(&out, &outlen, p, enc, strlen(enc));
    FZ_ASSERT(st == JWT_OK && outlen == size && out[outlen] == '\0');
    FZ_ASSERT(size == 0 || memcmp(out, data, size) == 0);

    /* S as text, from an exact-length buffer (no NUL after it) */
    s = fz_exact_copy(data, size);
    st = jose_b64url_decode(&out, &outlen, p, s, size);
    fz_check_status(st);
    FZ_ASSERT(st == JWT_OK || st == JWT_ERR_BASE64);
    if ((st == JWT_OK) != canonical(data, size)) {
        fz_fail("jose_b64url_decode %s a %scanonical encoding",
                st == JWT_OK ? "accepted" : "refused",
                st == JWT_OK ? "non-" : "");
    }
    if (st == JWT_OK) {
        FZ_ASSERT(outlen == JOSE_B64URL_DECODED_LEN(size));
        FZ_ASSERT(out != NULL && out[outlen] == '\0');
        enc = jose_b64url_encode(p, out, outlen);
        FZ_ASSERT(enc != NULL && strlen(enc) == size);
        FZ_ASSERT(size == 0 || memcmp(enc, s, size) == 0);
    }
    else {
        FZ_ASSERT(out == NULL && outlen == 0);
    }
    free(s);
    fz_input_done();
    return 0;
}
