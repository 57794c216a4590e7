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
 *
 * Nesting (doc/attacks.md C1, C2): exactly one level, a JWS inside a JWE.  The
 * claims come only from the inner JWS payload, never from the outer JWE
 * header.  A JWE whose plaintext is not a JWS is refused (JWT_ERR_NESTED)
 * unless allow_unsigned_jwe is set AND its key management is a shared
 * secret (dir, A*KW, A*GCMKW); then the plaintext is the claims object, the
 * decrypting key stands in for the signature and jwt_verify checks nothing.
 *
 * Thread-safety: rules and key sets are read-only and shared between
 * threads; nothing here takes or drops a reference on a json_t that
 * outlives the request (jansson reference counts are not atomic).  Every
 * per-token object comes from the pool passed in.
 */

#ifndef JWT_H
#define JWT_H

#include <stdint.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <jansson.h>
#include "jwk.h"
#include "jws.h"
#include "jose_util.h"
#include "jwt_status.h"

/* Depth cap for dotted claim paths (doc/attacks.md F5). */
#define JWT_MAX_CLAIM_DEPTH 16
/* NumericDate values beyond year 9999 are refused (overflow-safe maths). */
#define JWT_MAX_NUMERIC_DATE INT64_C(253402300799)
/* AuthJWTAudience *: any audience, said explicitly. */
#define JWT_AUDIENCE_ANY "*"
/* The documented defaults (manual "Validating tokens"). */
#define JWT_DEFAULT_LEEWAY   30
#define JWT_DEFAULT_MAX_SIZE 8192

/*
 * What a token must satisfy.  jwt_rules_init sets:
 *   verify_keys, decrypt_keys   NULL (no key: every token fails jwt_verify,
 *                               every JWE fails jwt_parse)
 *   require_encryption,
 *   allow_unsigned_jwe          0
 *   max_p2c                     0: JWE_DEFAULT_MAX_P2C (10000)
 *   issuers, types              NULL: not checked (an empty array is the
 *                               same)
 *   audiences                   NULL (or empty): a token that carries aud
 *                               is refused, JWT_ERR_AUDIENCE_NOT_CONFIGURED
 *                               (RFC 7519 section 4.1.3: nothing names
 *                               us); the one entry JWT_AUDIENCE_ANY accepts
 *                               any aud, or none
 *   required                    NULL: the default list {"exp"}; an
 *                               allocated EMPTY array requires nothing
 *                               (jwt_required_add builds either).
 *                               A name may be a dotted path; a member whose
 *                               value is JSON null counts as absent.
 *   leeway                      JWT_DEFAULT_LEEWAY (30 s); clamped to
 *                               [0, JWT_MAX_NUMERIC_DATE]
 *   max_ttl                     0: off (negative is off too)
 *   max_size                    JWT_DEFAULT_MAX_SIZE; 0 also means 8192
 *   user_claim                  NULL: not checked.  When set, the claim
 *                               (dotted path allowed) must be a non-empty
 *                               string without control characters (it
 *                               becomes REMOTE_USER and lands in logs).
 * A NULL RULES pointer given to any function below means these defaults.
 */
typedef struct {
    const jwk_set_t *verify_keys;   /* signature keys                       */
    const jwk_set_t *decrypt_keys;  /* NULL: every JWE refused              */
    int require_encryption;         /* only nested JWE accepted             */
    int allow_unsigned_jwe;         /* JWE whose payload is not a JWS; only
                                     * with dir/A*KW/A*GCMKW (C1)           */
    unsigned long max_p2c;          /* PBES2 p2c ceiling (C6); 0: the
                                     * default, see jwe.h                   */
    apr_array_header_t *issuers;    /* const char *; NULL/empty: any        */
    apr_array_header_t *audiences;  /* const char *; NULL/empty: tokens
                                     * with aud refused; {"*"}: any      */
    apr_array_header_t *required;   /* claim names that must be present     */
    apr_array_header_t *types;      /* accepted typ; NULL/empty: any        */
    int64_t leeway;                 /* seconds                              */
    int64_t max_ttl;                /* seconds; 0: off                      */
    size_t max_size;                /* bytes; checked before any parsing    */
    const char *user_claim;         /* must be a non-empty string; NULL: no
                                     * check                                */
    int claims_flat;                /* the claims may be read without a
                                     * json_t (see jwt_t); 0: always one */
} jwt_rules_t;

/* Claims of up to this many members may be read flat. */
#define JWT_FLAT_CLAIMS 32

/* A claim of a parsed token: jansson's value, or the member read flat;
 * both NULL when absent. */
typedef struct {
    const json_t *json;
    const jose_member_t *flat;
} jwt_ref_t;

typedef struct {
    jws_t *jws;                 /* the (inner) signed token             */
    const char *typ;            /* its protected header's typ, NULL when
                                 * absent or not a string               */
    json_t *claims;             /* payload object; NULL when read flat  */
    /* With rules->claims_flat, claims that are one flat object (strings
     * without control characters, decoded from escapes that stand for
     * printable ones, small non-negative integers, true, false, null,
     * arrays of such strings; at most JWT_FLAT_CLAIMS members;
     * jose_json_members) are read without building a json_t: FLAT is set,
     * MEMBERS (each name and string decoded and terminated) point into a
     * copy of the claims' text in the pool, and jwt_claims_object builds
     * the object when one is needed. */
    unsigned flat:1;
    const jose_member_t *members;
    size_t nmembers;
    const char *claims_text;    /* the claims as received (JSON) */
    size_t claims_len;
    int encrypted;              /* arrived as JWE                       */
    json_t *jwe_header;         /* outer header when encrypted          */
    const char *alg;            /* JWS alg                              */
    const char *kid;            /* JWS kid, NULL when absent            */
    const char *iss, *sub, *jti;/* NULL when absent                     */
    jwt_ref_t scope, scp;       /* the claims of those names: the
                                 * default scope claim is scope, else
                                 * scp (jwt_token_scope_text)           */
    jwt_ref_t aud;              /* the aud claim (a string or an array
                                 * of strings)                          */
    int64_t exp, nbf, iat;
    unsigned has_exp:1, has_nbf:1, has_iat:1;
    const jwk_t *key;           /* the key that verified (after verify) */
    unsigned unsigned_jwe:1;    /* JWE without inner JWS, accepted only by
                                 * allow_unsigned_jwe: KEY is the key that
                                 * decrypted, JWS is NULL, ALG/KID/TYP are
                                 * the JWE header's                        */
} jwt_t;

void jwt_rules_init(jwt_rules_t *rules);   /* the documented defaults */

/* Framing and types only.  Order: length > max_size gives JWT_ERR_TOO_LARGE
 * before anything is read; 2 dots is a JWS (JWT_ERR_ENCRYPTION_REQUIRED
 * when require_encryption), 4 dots a JWE (JWT_ERR_JWE_NOT_ACCEPTED without
 * decrypt_keys), any other count JWT_ERR_MALFORMED.  A JWS carrying
 * cty "JWT" (a token inside a token beyond one level) is JWT_ERR_NESTED.
 * A JWE's own failures are jwe_decrypt's; an inner JWS fails with
 * jws_parse's status (e.g. JWT_ERR_ALG for an inner alg "none"); a JWE or
 * a non-JWS inside is JWT_ERR_NESTED (see Nesting above).
 * The payload must be one JSON object (JWT_ERR_JSON).  exp/nbf/iat must be
 * numbers in [0, JWT_MAX_NUMERIC_DATE] (reals are floored), iss/sub/jti
 * strings, aud a string or a non-empty array of strings; anything else is
 * JWT_ERR_CLAIM_TYPE.  *OUT is set only on JWT_OK.  Does NOT check the
 * signature, the time or any policy. */
jwt_status_t jwt_parse(jwt_t **out, apr_pool_t *p, const char *token,
                       size_t len, const jwt_rules_t *rules) JWT_WUR;

/* jws_verify against rules->verify_keys (JWT_ERR_NO_KEY when there are
 * none), with the token's iss for keys bound to an issuer; sets jwt->key.
 * Nothing is checked for an accepted unsigned JWE.  Does NOT look at claims
 * or time. */
jwt_status_t jwt_verify(jwt_t *jwt, const jwt_rules_t *rules) JWT_WUR;

/* Policy against NOW (seconds since the epoch), in this order: required
 * claims (JWT_ERR_MISSING_CLAIM), typ (JWT_ERR_TYPE; compared without case
 * after dropping an "application/" prefix, RFC 7515 section 4.1.9; a missing
 * typ fails when types are configured; for a nested token the inner JWS
 * header's typ), exp (now >= exp + leeway:
 * JWT_ERR_EXPIRED), nbf (now + leeway < nbf: JWT_ERR_NOT_YET_VALID), iat
 * (iat > now + leeway: JWT_ERR_ISSUED_IN_FUTURE), max_ttl (no exp, or
 * exp - now > max_ttl + leeway, or exp - iat > max_ttl: JWT_ERR_TTL), iss
 * (exact bytes: JWT_ERR_ISSUER), aud (a string equal to one, or an array
 * holding one: JWT_ERR_AUDIENCE; any aud when audiences is {"*"}; no
 * audiences and an aud: JWT_ERR_AUDIENCE_NOT_CONFIGURED), user claim
 * (JWT_ERR_USER_CLAIM).  No
 * arithmetic can overflow.  Does NOT check the signature. */
jwt_status_t jwt_validate(const jwt_t *jwt, const jwt_rules_t *rules,
                          int64_t now) JWT_WUR;

/* parse + verify + validate.  *OUT is set as soon as parsing succeeded, so
 * a caller can log jti/sub/kid of a rejected token.  A JWS whose candidate
 * keys are bound to no issuer (no iss=) has its signature checked before
 * its claims are parsed (doc/attacks.md L): a token that fails the signature
 * then carries its header fields (alg, kid) and no claims, and a token
 * with a bad signature and bad claims is refused for the signature. */
jwt_status_t jwt_check(jwt_t **out, apr_pool_t *p, const char *token,
                       size_t len, const jwt_rules_t *rules,
                       int64_t now) JWT_WUR;

/* The claims of JWT as one object, a new reference (the caller
 * releases it): JWT->claims, or for claims read flat a new object parsed
 * from their text.  NULL when JWT has no claims (or out of memory). */
json_t *jwt_claims_object(const jwt_t *jwt);

/* JWT made to read its claims from CLAIMS, an object equal to them (the
 * one jwt_claims_object gave; JWT takes over the reference): the
 * registered claims and the members found again in it, FLAT cleared.  A
 * copy of a parsed token that must outlive the request's pool (the token
 * cache) keeps nothing in that pool this way.  JWT_OK, or CLAIMS' status
 * from jwt_parse's type checks. */
jwt_status_t jwt_use_claims(jwt_t *jwt, json_t *claims) JWT_WUR;

/* The top-level claims of JWT in order, for either reading: start with
 * *IT zeroed; 1 and *KEY (a C string), *V for each member, then 0. */
typedef struct {
    void *json_iter;
    size_t next;
    int started;
} jwt_claim_iter_t;
int jwt_claims_next(const jwt_t *jwt, jwt_claim_iter_t *it,
                    const char **key, jwt_ref_t *v);

/* A claim of a parsed token by dotted path, as jwt_claim_get finds it
 * (claims read flat have no objects: only a member of that exact name). */
jwt_ref_t jwt_token_claim(const jwt_t *jwt, const char *path);

/* The string value of V (*LEN its bytes when LEN is given), NULL when V
 * is absent or not a string. */
const char *jwt_ref_string(jwt_ref_t v, size_t *len);

/* 1 when V is present and not JSON null. */
int jwt_ref_present(jwt_ref_t v);

/* The elements of the array V in order: start with *POS at 0; 1 and *S
 * (a C string of *LEN bytes, or NULL for an element that is not a
 * string) for each, then 0.  0 at once when V is not an array. */
int jwt_ref_array_next(jwt_ref_t v, size_t *pos, const char **s,
                       size_t *len);

/* The array V of strings as its elements joined by single spaces ("" for
 * an empty array), in P; NULL when V is not an array or holds anything
 * but strings (jwt_claim_text's rule for arrays). */
const char *jwt_ref_array_text(apr_pool_t *p, jwt_ref_t v);

/* ---- the claim model (validator, authorization, issuer) ---- */

/* A claim by dotted path ("realm_access.roles"); a top-level member whose
 * name contains a dot is found first.  NULL when absent or deeper than
 * JWT_MAX_CLAIM_DEPTH. */
json_t *jwt_claim_get(const json_t *claims, const char *path);

/* A claim value as text: a string as itself, an integer/real/boolean as its
 * JSON text (a real as jansson prints it, e.g. "1.5"), an array of strings
 * joined by single spaces ("" for an empty array); NULL otherwise (null,
 * objects, arrays holding anything but strings). */
const char *jwt_claim_text(apr_pool_t *p, const json_t *v);

/* Require jwt-claim semantics: a string equals VALUE, an array contains a
 * string equal to VALUE (or a number/boolean whose JSON text equals it), a
 * number or boolean's JSON text equals VALUE.  Exact bytes. */
int jwt_claim_matches(const json_t *v, const char *value);

/* S (may be NULL) split into scopes as RFC 6749 section 3.3 delimits
 * them: only %x20 separates, runs of spaces give no empty scopes, a tab is
 * part of a scope.  The tokens are not checked against the scope-token
 * grammar (jwt_is_scope_token) nor made unique.  Returns an array of
 * const char * copied into P, never NULL. */
apr_array_header_t *jwt_scope_split(apr_pool_t *p, const char *s);

/* AuthJWTRequireClaim none: the one way to accept tokens without exp. */
#define JWT_REQUIRE_NONE "none"

/* Add NAME to the required claims *LIST (created in P on the first call):
 * the list always starts with "exp", so names add to exp; JWT_REQUIRE_NONE
 * as the only name gives an empty list, which requires nothing.  "none"
 * with any other name (before or after it), or an empty NAME, is -1 with a
 * fixed message in *ERR; else 0.  A name already listed is not added
 * twice. */
int jwt_required_add(apr_array_header_t **list, apr_pool_t *p,
                     const char *name, const char **err) JWT_WUR;

/* 1 when AUDIENCES is the explicit wildcard: the one entry
 * JWT_AUDIENCE_ANY. */
int jwt_audience_any(const apr_array_header_t *audiences);

/* 1 when S is an RFC 6749 section 3.3 scope-token: one or more NQCHAR
 * (%x21 / %x23-5B / %x5D-7E), so no space, quote or backslash. */
int jwt_is_scope_token(const char *s);

/* The token's scopes from CLAIM (NULL: "scope", or "scp" when "scope" is
 * absent): a string split by jwt_scope_split, or the non-empty string
 * members of an array.  Returns an array of const char * (empty when none
 * or ill-typed), never NULL. */
apr_array_header_t *jwt_scopes(apr_pool_t *p, const json_t *claims,
                               const char *claim);

/* The scopes of jwt_scopes joined by single spaces, NULL when there are
 * none.  May point into CLAIMS (a string claim already in that form), so
 * it lives as long as the claims do. */
const char *jwt_scope_text(apr_pool_t *p, const json_t *claims,
                           const char *claim);

/* 1 when SCOPES holds every member of WANTED (exact, case-sensitive). */
int jwt_scopes_include(const apr_array_header_t *scopes,
                       const apr_array_header_t *wanted);

/* jwt_scopes_include(jwt_scopes(p, CLAIMS, CLAIM), WANTED), without
 * making the array: what Require jwt-scope asks on every request. */
int jwt_claims_have_scopes(const json_t *claims, const char *claim,
                           const apr_array_header_t *wanted);

/* jwt_scope_text and jwt_claims_have_scopes for a parsed token: the same
 * answers, from the claims jwt_parse already found (JWT->scope, ->scp)
 * when CLAIM is NULL, without looking them up again. */
const char *jwt_token_scope_text(apr_pool_t *p, const jwt_t *jwt,
                                 const char *claim);
int jwt_token_has_scopes(const jwt_t *jwt, const char *claim,
                         const apr_array_header_t *wanted);

#endif /* JWT_H */
