/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jose_b64.h: strict base64url (RFC 7515 section 2 and appendix C).
 *
 * One alphabet ([A-Za-z0-9_-]), no padding, no whitespace, a length that is
 * not 1 modulo 4 and zero unused trailing bits, all or nothing: every byte
 * string has exactly one accepted encoding (doc/attacks.md F1).
 */

#ifndef JOSE_B64_H
#define JOSE_B64_H

#include <stddef.h>
#include <apr_pools.h>
#include "jwt_status.h"

/* Decode IN[0..INLEN) into a new buffer from P (NUL-terminated for
 * convenience, the NUL not counted in *OUTLEN).  An empty input gives an
 * empty buffer.  Returns JWT_OK or JWT_ERR_BASE64. */
jwt_status_t jose_b64url_decode(unsigned char **out, size_t *outlen,
                                apr_pool_t *p, const char *in,
                                size_t inlen) JWT_WUR;

/* Encode without padding; the result is NUL-terminated. */
char *jose_b64url_encode(apr_pool_t *p, const unsigned char *in,
                         size_t inlen);

/* The exact decoded length for an accepted encoded length. */
#define JOSE_B64URL_DECODED_LEN(n) \
    (((n) / 4) * 3 + (((n) % 4) ? ((n) % 4) - 1 : 0))

#endif /* JOSE_B64_H */
