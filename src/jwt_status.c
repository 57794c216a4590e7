/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwt_status.c: the table behind jwt_status_t.  Descriptions are fixed text
 * (RFC 6750 section 3: error_description is for developers, and must not
 * carry token content).  Several framing failures share one description on
 * purpose: the log has the precise short name, the client gets no oracle.
 */

#include <stddef.h>
#include "jwt_status.h"

static const jwt_status_info_t status_table[] = {
    /* JWT_OK */
    { "ok", "token accepted", NULL, 200 },
    /* JWT_ERR_NO_TOKEN: RFC 6750 section 3.1, no error code */
    { "no_token", "no token", NULL, 401 },
    { "multiple_tokens", "more than one token in the request",
      "invalid_request", 400 },
    { "bad_request", "malformed Authorization header",
      "invalid_request", 400 },
    { "too_large", "token too large", "invalid_token", 401 },
    { "malformed", "malformed token", "invalid_token", 401 },
    { "base64", "malformed token", "invalid_token", 401 },
    { "json", "malformed token", "invalid_token", 401 },
    { "header", "invalid token header", "invalid_token", 401 },
    { "crit", "unsupported critical header", "invalid_token", 401 },
    { "alg", "algorithm not allowed", "invalid_token", 401 },
    { "no_key", "no key for this token", "invalid_token", 401 },
    { "signature", "invalid signature", "invalid_token", 401 },
    { "encryption_required", "token must be encrypted",
      "invalid_token", 401 },
    { "jwe_not_accepted", "encrypted tokens not accepted",
      "invalid_token", 401 },
    { "decrypt", "token decryption failed", "invalid_token", 401 },
    { "nested", "encrypted token does not hold a signed token",
      "invalid_token", 401 },
    { "claim_type", "invalid claim", "invalid_token", 401 },
    { "missing_claim", "required claim missing", "invalid_token", 401 },
    { "expired", "token expired", "invalid_token", 401 },
    { "not_yet_valid", "token not yet valid", "invalid_token", 401 },
    { "issued_in_future", "token issued in the future",
      "invalid_token", 401 },
    { "ttl", "token lifetime too long", "invalid_token", 401 },
    { "issuer", "issuer not accepted", "invalid_token", 401 },
    { "audience", "audience not accepted", "invalid_token", 401 },
    /* RFC 7519 section 4.1.3: an aud that does not name us is refused,
     * and with no audience configured nothing names us */
    { "audience_not_configured", "audience not configured",
      "invalid_token", 401 },
    { "type", "token type not accepted", "invalid_token", 401 },
    { "user_claim", "user claim missing", "invalid_token", 401 },
    { "user_mismatch", "user name does not match the token",
      "invalid_token", 401 },
    { "login_too_old", "login too old", "invalid_token", 401 },
    { "revoked", "token revoked", "invalid_token", 401 },
    /* RFC 6750 has no code for it: the token may be good, the server
     * cannot tell now (no challenge is sent with the 503) */
    { "revocation_unavailable", "token status unavailable", NULL, 503 },
    { "insufficient_scope", "insufficient scope",
      "insufficient_scope", 403 },
    /* no error= code: RFC 6750 has none for a server-side failure */
    { "keys_unavailable", "verification keys unavailable", NULL, 503 },
    { "internal", "token could not be checked", "invalid_token", 401 },
};

_Static_assert(sizeof(status_table) / sizeof(status_table[0])
               == JWT_STATUS_COUNT,
               "jwt_status.c: one table row per jwt_status_t value");

const jwt_status_info_t *jwt_status_info(jwt_status_t st)
{
    if ((unsigned)st >= (unsigned)JWT_STATUS_COUNT) {
        st = JWT_ERR_INTERNAL;
    }
    return &status_table[st];
}
