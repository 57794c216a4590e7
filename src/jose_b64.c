/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jose_b64.c: strict base64url without padding (RFC 7515 section 2 and
 * appendix C, RFC 4648 section 5).
 *
 * The decoder accepts exactly one encoding per byte string (doc/attacks.md
 * F1): only [A-Za-z0-9_-], no '=', no whitespace, a length that is not 1
 * modulo 4, and zero unused bits in the last character.  A signature or MAC is
 * never re-encoded for comparison, so a second accepted spelling of the same
 * bytes would let one signed token exist under many strings (cache keys,
 * revocation lists, replay checks).  The decoder is table driven and does
 * not branch per character: invalid characters are collected in one flag
 * and checked once at the end, which also keeps key material decoded by
 * jwk.c from leaking through timing.
 */

#include <string.h>
#include <openssl/crypto.h>
#include "jose_b64.h"

#define XX 0xff

/* RFC 4648 table 2 (URL and filename safe alphabet); XX: not in it. */
static const unsigned char b64url_dec[256] = {
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, 62, XX, XX,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, XX, XX, XX, XX, XX, XX,
    XX,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, XX, XX, XX, XX, 63,
    XX, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
};

static const char b64url_enc[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

jwt_status_t jose_b64url_decode(unsigned char **out, size_t *outlen,
                                apr_pool_t *p, const char *in, size_t inlen)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t full = inlen / 4, rem = inlen % 4, n, i;
    unsigned char *buf, *o;
    unsigned int bad = 0, unused = 0;

    *out = NULL;
    *outlen = 0;
    /* RFC 4648 section 4: one leftover character carries only 6 bits and
     * cannot encode a byte */
    if (rem == 1 || (in == NULL && inlen != 0)) {
        return JWT_ERR_BASE64;
    }
    n = full * 3 + (rem ? rem - 1 : 0);
    buf = apr_palloc(p, n + 1);
    o = buf;
    for (i = 0; i < full; i++, s += 4, o += 3) {
        unsigned int a = b64url_dec[s[0]], b = b64url_dec[s[1]];
        unsigned int c = b64url_dec[s[2]], d = b64url_dec[s[3]];
        unsigned long v = ((unsigned long)a << 18) | (b << 12) | (c << 6) | d;

        bad |= a | b | c | d;
        o[0] = (unsigned char)(v >> 16);
        o[1] = (unsigned char)(v >> 8);
        o[2] = (unsigned char)v;
    }
    if (rem == 2) {
        unsigned int a = b64url_dec[s[0]], b = b64url_dec[s[1]];

        bad |= a | b;
        /* RFC 4648 section 3.5: 4 unused bits, they must be zero */
        unused = b & 0x0f;
        o[0] = (unsigned char)((a << 2) | (b >> 4));
    }
    else if (rem == 3) {
        unsigned int a = b64url_dec[s[0]], b = b64url_dec[s[1]];
        unsigned int c = b64url_dec[s[2]];

        bad |= a | b | c;
        unused = c & 0x03;
        o[0] = (unsigned char)((a << 2) | (b >> 4));
        o[1] = (unsigned char)((b << 4) | (c >> 2));
    }
    /* every valid value is below 64; XX sets the two high bits */
    if ((bad & 0xc0) != 0 || unused != 0) {
        /* jwk.c decodes private key members with this: leave nothing */
        OPENSSL_cleanse(buf, n);
        return JWT_ERR_BASE64;
    }
    buf[n] = '\0';
    *out = buf;
    *outlen = n;
    return JWT_OK;
}

char *jose_b64url_encode(apr_pool_t *p, const unsigned char *in,
                         size_t inlen)
{
    size_t full = inlen / 3, rem = inlen % 3, i;
    char *buf, *o;

    if (inlen > (((size_t)-1) / 4 - 1) * 3) {
        return NULL;
    }
    buf = apr_palloc(p, full * 4 + (rem ? rem + 1 : 0) + 1);
    o = buf;
    for (i = 0; i < full; i++, in += 3, o += 4) {
        unsigned long v = ((unsigned long)in[0] << 16)
                          | ((unsigned long)in[1] << 8) | in[2];

        o[0] = b64url_enc[(v >> 18) & 0x3f];
        o[1] = b64url_enc[(v >> 12) & 0x3f];
        o[2] = b64url_enc[(v >> 6) & 0x3f];
        o[3] = b64url_enc[v & 0x3f];
    }
    if (rem == 1) {
        o[0] = b64url_enc[in[0] >> 2];
        o[1] = b64url_enc[(in[0] & 0x03) << 4];
        o += 2;
    }
    else if (rem == 2) {
        o[0] = b64url_enc[in[0] >> 2];
        o[1] = b64url_enc[((in[0] & 0x03) << 4) | (in[1] >> 4)];
        o[2] = b64url_enc[(in[1] & 0x0f) << 2];
        o += 3;
    }
    *o = '\0';
    return buf;
}
