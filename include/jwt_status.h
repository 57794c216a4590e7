/* Licensed to the Apache Software Foundation (ASF) under one or more
 * contributor license agreements.  This file is part of mod_authn_jwt and is
 * licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwt_status.h: the one list of outcomes of token processing.
 *
 * Every rejection the module can give has exactly one value here and one row
 * in the table of jwt_status.c: a stable short name (log field, JWT_ERROR,
 * metrics label), a fixed error_description (never token content), the
 * RFC 6750 section 3.1 error code and the HTTP status.  A compile-time check
 * in jwt_status.c keeps the table and the enum the same length.
 */

#ifndef JWT_STATUS_H
#define JWT_STATUS_H

#if defined(__GNUC__)
#define JWT_WUR __attribute__((warn_unused_result))
#else
#define JWT_WUR
#endif

typedef enum {
    JWT_OK = 0,
    /* request level (RFC 6750 section 3.1) */
    JWT_ERR_NO_TOKEN,           /* no credential at all: 401, no error=  */
    JWT_ERR_MULTIPLE_TOKENS,    /* more than one credential: 400         */
    JWT_ERR_BAD_REQUEST,        /* Authorization header syntax: 400      */
    /* framing and encoding */
    JWT_ERR_TOO_LARGE,          /* longer than AuthJWTMaxTokenSize       */
    JWT_ERR_MALFORMED,          /* segment count, empty segment, chars   */
    JWT_ERR_BASE64,             /* non-canonical base64url               */
    JWT_ERR_JSON,               /* not a JSON object, duplicate members  */
    JWT_ERR_HEADER,             /* header member missing or wrong type   */
    JWT_ERR_CRIT,               /* crit names something not understood   */
    JWT_ERR_ALG,                /* alg none, unknown or not allowed      */
    /* keys and signatures */
    JWT_ERR_NO_KEY,             /* no configured key fits kid/alg/iss    */
    JWT_ERR_SIGNATURE,          /* a key fits, the signature is wrong    */
    /* JWE */
    JWT_ERR_ENCRYPTION_REQUIRED,/* a JWS where only JWE is accepted     */
    JWT_ERR_JWE_NOT_ACCEPTED,   /* a JWE and no decryption key           */
    JWT_ERR_DECRYPT,            /* any JWE decryption failure            */
    JWT_ERR_NESTED,             /* inner token missing or not a JWS      */
    /* claims */
    JWT_ERR_CLAIM_TYPE,         /* registered claim of the wrong type    */
    JWT_ERR_MISSING_CLAIM,      /* AuthJWTRequireClaim not satisfied     */
    JWT_ERR_EXPIRED,            /* now >= exp + leeway                   */
    JWT_ERR_NOT_YET_VALID,      /* now + leeway < nbf                    */
    JWT_ERR_ISSUED_IN_FUTURE,   /* now + leeway < iat                    */
    JWT_ERR_TTL,                /* lives longer than AuthJWTMaxTTL       */
    JWT_ERR_ISSUER,             /* iss not accepted                      */
    JWT_ERR_AUDIENCE,           /* aud does not name us                  */
    JWT_ERR_AUDIENCE_NOT_CONFIGURED, /* aud present, no AuthJWTAudience  */
    JWT_ERR_TYPE,               /* typ header not accepted               */
    JWT_ERR_USER_CLAIM,         /* user claim missing or not a string    */
    JWT_ERR_USER_MISMATCH,      /* Basic user name != user claim         */
    JWT_ERR_LOGIN_TOO_OLD,      /* refresh past AuthJWTRefreshMaxAge     */
    /* revocation (jwt-revoke, AuthJWTRevocationStore) */
    JWT_ERR_REVOKED,            /* revoked before its exp                */
    JWT_ERR_REVOCATION_UNAVAILABLE, /* store unreachable: 503            */
    /* authorization */
    JWT_ERR_INSUFFICIENT_SCOPE, /* 403 insufficient_scope                */
    /* the identity provider's failure, not the client's: 503 with
     * Retry-After (manual #idp) */
    JWT_ERR_KEYS_UNAVAILABLE,
    /* the module's own failure: answered like a bad token, never a 500 */
    JWT_ERR_INTERNAL,
    JWT_STATUS_COUNT
} jwt_status_t;

typedef struct {
    const char *name;        /* short stable name, e.g. "expired"        */
    const char *description; /* fixed error_description text             */
    const char *error;       /* RFC 6750 error code, NULL for none       */
    int http_status;         /* 400, 401, 403 or 503                     */
} jwt_status_info_t;

/* Never NULL: out-of-range values map to the JWT_ERR_INTERNAL row. */
const jwt_status_info_t *jwt_status_info(jwt_status_t st);

#define jwt_status_name(st)        (jwt_status_info(st)->name)
#define jwt_status_description(st) (jwt_status_info(st)->description)

#endif /* JWT_STATUS_H */
