/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwt.h: JSON Web Tokens (RFC 7519) on top of jws.h/jwe.h: the claim model
 * shared by the validator, the issuer and htjwt.
 *
 * Three steps, the clock passed in, never read:
 *   jwt_parse    - framing (3 segments JWS, 5 JWE), size limit first,
 *                  JWE decryption when keys are given, header and payload
 *                  JSON objects, registered claim TYPES (exp/nbf/iat
 *                  numbers, iss/sub/jti strings, aud string or array of
 *                  strings).  No signature, no time, no policy.
 *   jwt_verify   - key selection and signature (jws_verify).  No claims.
 *   jwt_validate - exp, nbf, iat against NOW with leeway, max TTL, iss, aud,
 *                  typ, required claims, user claim.  No signature.
 * jwt_check runs all three in that order.
 */

#ifndef JWT_H
#define JWT_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "jwk.h"
#include "jws.h"
#include "jwt_status.h"

/* Depth cap for dotted claim paths (SECURITY.md F5). */
#define JWT_MAX_CLAIM_DEPTH 16
/* NumericDate values beyond year 9999 are refused (overflow-safe maths). */
#define JWT_MAX_NUMERIC_DATE INT64_C(253402300799)

typedef struct {
    const jwk_set_t *verify_keys;   /* signature keys                       */
    const jwk_set_t *decrypt_keys;  /* NULL: every JWE refused              */
    int require_encryption;         /* only nested JWE accepted             */
    int allow_unsigned_jwe;         /* JWE whose payload is not a JWS; only
                                     * with dir/A*KW/A*GCMKW (C1)           */
    apr_array_header_t *issuers;    /* const char *; NULL/empty: any        */
    apr_array_header_t *audiences;  /* const char *; NULL/empty: unchecked  */
    apr_array_header_t *required;   /* claim names that must be present     */
    apr_array_header_t *types;      /* accepted typ; NULL/empty: any        */
    int64_t leeway;                 /* seconds                              */
    int64_t max_ttl;                /* seconds; 0: off                      */
    size_t max_size;                /* bytes; checked before any parsing    */
    const char *user_claim;         /* must be a non-empty string; NULL: no
                                     * check                                */
} jwt_rules_t;

typedef struct {
    jws_t *jws;                 /* the (inner) signed token             */
    json_t *header;             /* its protected header                 */
    json_t *claims;             /* payload object                       */
    int encrypted;              /* arrived as JWE                       */
    json_t *jwe_header;         /* outer header when encrypted          */
    const char *alg;            /* JWS alg                              */
    const char *kid;            /* JWS kid, NULL when absent            */
    const char *iss, *sub, *jti;/* NULL when absent                     */
    int64_t exp, nbf, iat;
    unsigned has_exp:1, has_nbf:1, has_iat:1;
    const jwk_t *key;           /* the key that verified (after verify) */
} jwt_t;

void jwt_rules_init(jwt_rules_t *rules);   /* the SPEC defaults */

jwt_status_t jwt_parse(jwt_t **out, apr_pool_t *p, const char *token,
                       size_t len, const jwt_rules_t *rules) JWT_WUR;
jwt_status_t jwt_verify(jwt_t *jwt, const jwt_rules_t *rules) JWT_WUR;
jwt_status_t jwt_validate(const jwt_t *jwt, const jwt_rules_t *rules,
                          int64_t now) JWT_WUR;

/* parse + verify + validate.  *OUT is set as soon as parsing succeeded, so
 * a caller can log jti/sub/kid of a rejected token. */
jwt_status_t jwt_check(jwt_t **out, apr_pool_t *p, const char *token,
                       size_t len, const jwt_rules_t *rules,
                       int64_t now) JWT_WUR;

/* ---- the claim model (validator, authorization, issuer) ---- */

/* A claim by dotted path ("realm_access.roles"); a top-level member whose
 * name contains a dot is found first.  NULL when absent or deeper than
 * JWT_MAX_CLAIM_DEPTH. */
json_t *jwt_claim_get(const json_t *claims, const char *path);

/* A claim value as text: a string as itself, an integer/real/boolean as its
 * JSON text, an array of strings joined by single spaces; NULL otherwise. */
const char *jwt_claim_text(apr_pool_t *p, const json_t *v);

/* Require jwt-claim semantics: a string equals VALUE, an array contains a
 * string equal to VALUE (or a number/boolean whose JSON text equals it), a
 * number or boolean's JSON text equals VALUE.  Exact bytes. */
int jwt_claim_matches(const json_t *v, const char *value);

/* The token's scopes from CLAIM (NULL: "scope", then "scp"): a
 * space-separated string or an array of strings.  Returns an array of
 * const char * (empty when none or ill-typed). */
apr_array_header_t *jwt_scopes(apr_pool_t *p, const json_t *claims,
                               const char *claim);

/* 1 when SCOPES holds every member of WANTED (exact, case-sensitive). */
int jwt_scopes_include(const apr_array_header_t *scopes,
                       const apr_array_header_t *wanted);

#endif /* JWT_H */
