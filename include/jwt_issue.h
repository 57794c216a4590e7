/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwt_issue.h: minting tokens (RFC 7519 section 4.1, RFC 8725 section 3,
 * RFC 9068 section 2.2), shared by the module's jwt-issuer handler and by
 * "htjwt sign".
 *
 * A token always carries iat and exp, and jti when one is given; the
 * signature comes from jws_sign with the key's own algorithm set, so
 * "none" can never be minted.  Encryption (nested JWE, cty "JWT") is
 * applied when an encryption key is given.  Scope narrowing follows
 * RFC 6749 section 3.3: granted = asked intersected with allowed, and
 * asking for anything not allowed is invalid_scope.
 */

#ifndef JWT_ISSUE_H
#define JWT_ISSUE_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "jose_alg.h"
#include "jwk.h"
#include "jwt_status.h"

typedef struct {
    const jwk_t *sign_key;             /* private key or secret          */
    const jose_alg_info_t *alg;        /* NULL: jwk_default_sign_alg     */
    const char *kid;                   /* NULL: key kid, else thumbprint */
    const char *typ;                   /* NULL: "JWT"                    */
    const jwk_t *encrypt_key;          /* NULL: signed only              */
    const jose_alg_info_t *enc_alg;    /* NULL: by key type              */
    const jose_enc_info_t *enc;        /* NULL: A256GCM                  */
    const char *iss, *sub, *jti;       /* NULL: omitted                  */
    apr_array_header_t *aud;           /* const char *; 1 -> string      */
    const char *scope;                 /* space-separated; NULL/"": none */
    int64_t lifetime;                  /* exp - iat, seconds (> 0)       */
    int64_t auth_time;                 /* the original login (OpenID
                                        * Connect Core 2); 0: no claim   */
    json_t *extra;                     /* more claims (object) or NULL;
                                        * registered names are not
                                        * overridden                     */
} jwt_issue_params_t;

/* Make the claims object and the compact token.  *CLAIMS (optional) gets
 * the payload, owned by P. */
jwt_status_t jwt_issue(char **token, json_t **claims, apr_pool_t *p,
                       const jwt_issue_params_t *ip, int64_t now) JWT_WUR;

/* The key-management algorithm used to encrypt to KEY when none is named:
 * RSA-OAEP-256 for RSA, ECDH-ES+A256KW for EC/OKP, A*KW by secret size. */
const jose_alg_info_t *jwt_issue_default_enc_alg(const jwk_t *key);

/* RFC 6749 3.3 narrowing.  ASKED NULL: everything allowed.  Returns
 * JWT_OK with *GRANTED the space-separated result (may be ""), or
 * JWT_ERR_INSUFFICIENT_SCOPE when ASKED names a scope not in ALLOWED (the
 * caller answers 400 invalid_scope). */
jwt_status_t jwt_scope_grant(const char **granted, apr_pool_t *p,
                             const char *asked,
                             const apr_array_header_t *allowed) JWT_WUR;

/* 1 when a claim NAME looks like it would carry a secret (password,
 * passwd, secret, pin, ssn, card, cvv, api_key, private_key, ...),
 * compared case-insensitively, ignoring '-' and '_'.  A configuration
 * error for the issuer. */
int jwt_claim_name_sensitive(const char *name);

#endif /* JWT_ISSUE_H */
