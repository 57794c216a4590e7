/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jws.h: compact JWS (RFC 7515 section 7.1) parsing, signature verification
 * and signing, over the one algorithm table and the typed keys of jwk.h.
 *
 * jws_parse checks structure only: three non-empty-header segments, strict
 * base64url, the header a JSON object without duplicate members, header
 * member types, crit, b64 and zip.  It does NOT check the signature and does
 * NOT look at the payload beyond decoding it.
 *
 * jws_verify selects candidate keys from the configured set only (kid is an
 * opaque lookup key; jku, x5u, jwk, x5c are never used), narrows them by the
 * algorithms each key allows and by issuer, tries at most
 * JWS_MAX_VERIFY_KEYS of them, and verifies over the received
 * header.payload bytes.  It does NOT check claims or time.
 */

#ifndef JWS_H
#define JWS_H

#include <apr_pools.h>
#include <jansson.h>
#include "jose_alg.h"
#include "jwk.h"
#include "jwt_status.h"

/* Longest kid accepted in a header (doc/attacks.md A5). */
#define JWS_MAX_KID_LEN 256

typedef struct {
    const char *signing_input;  /* header.payload as received (not copied) */
    size_t signing_input_len;
    const char *alg_name;       /* as in the header; this and the strings
                                 * below live in the parse pool           */
    const jose_alg_info_t *alg; /* a JWS algorithm row, never NULL on OK   */
    const char *kid;            /* NULL when absent                        */
    const char *typ;            /* NULL when absent                        */
    const char *cty;            /* NULL when absent                        */
    unsigned char *payload;     /* decoded, NUL-terminated                 */
    size_t payload_len;
    unsigned char *sig;         /* decoded                                 */
    size_t sig_len;
} jws_t;

/* Count the '.' separators of TOKEN without allocating (doc/attacks.md F3). */
int jose_count_dots(const char *token, size_t len);

/* 1 when TOKEN has exactly two dots, with *D1 and *D2 (either may be NULL)
 * pointing at them; 0 otherwise.  Cheaper than counting every dot. */
int jose_two_dots(const char *token, size_t len, const char **d1,
                  const char **d2);

/* Checks, in this order (the first failure is returned):
 *   not exactly two dots, or an empty header segment   JWT_ERR_MALFORMED
 *   header not strict base64url                        JWT_ERR_BASE64
 *   header not one JSON object, duplicate members      JWT_ERR_JSON
 *   alg missing, not a string, unknown, "none" in any
 *   case, or a JWE (key management) algorithm          JWT_ERR_ALG
 *   crit present (no extension is implemented; also a
 *   malformed crit), b64 present (RFC 7797)            JWT_ERR_CRIT
 *   zip or enc present                                 JWT_ERR_HEADER
 *   kid, typ or cty not a string, kid longer than
 *   JWS_MAX_KID_LEN                                    JWT_ERR_HEADER
 *   payload not strict base64url                       JWT_ERR_BASE64
 *   empty signature segment                            JWT_ERR_SIGNATURE
 *   signature not strict base64url                     JWT_ERR_BASE64
 * An empty payload segment is accepted here (jwt_parse refuses it).
 * jku, x5u, jwk, x5c and x5t are ignored.  signing_input points into TOKEN,
 * which must outlive the result. */
jwt_status_t jws_parse(jws_t **out, apr_pool_t *p, const char *token,
                       size_t len) JWT_WUR;

/* The most keys one token is checked against (README "Security notes": no
 * request costs more than two public-key signature checks, whatever the
 * number of keys).  One rule for every key type: an HMAC is cheap, but
 * the bound is the same. */
#define JWS_MAX_VERIFY_KEYS 2

/* The keys jws_verify tries, in order, into OUT (room for
 * JWS_MAX_VERIFY_KEYS); returns how many (0 when none fits).  A key fits
 * when it has use sig, allows jws->alg and is of the algorithm's key type
 * (and EC curve; EdDSA: Ed25519/Ed448), when its kid equals the token's kid
 * exactly if both have one, and when its iss (if any) equals ISS exactly.
 * A token with a kid gets the key with that kid first, then keys without a
 * kid; a token without a kid gets the fitting keys in set order.  The list
 * stops at JWS_MAX_VERIFY_KEYS: with more keys that could verify the same
 * tokens, only kids tell them apart. */
int jws_select_keys(const jwk_t **out, const jws_t *jws,
                    const jwk_set_t *keys, const char *iss);

/* For start-up warnings: an algorithm for which SET holds more than
 * JWS_MAX_VERIFY_KEYS keys without a kid (and with the same iss=, or none),
 * so that a token without a kid signed by one of the later keys is
 * refused; NULL when there is none. */
const jose_alg_info_t *jws_crowded_alg(const jwk_set_t *keys);

/* ISS is the token's iss claim (NULL when absent): keys loaded with iss=
 * only verify tokens of that issuer.  On success *USED is the key.  The
 * keys of jws_select_keys are tried in its order; the first that verifies
 * wins.  No key fits: JWT_ERR_NO_KEY; keys fit but none verifies (or the
 * signing key lies past JWS_MAX_VERIFY_KEYS): JWT_ERR_SIGNATURE. */
jwt_status_t jws_verify(const jwk_t **used, const jws_t *jws,
                        const jwk_set_t *keys, const char *iss) JWT_WUR;

/* The signature primitive for one key and one algorithm: exact signature
 * length first, constant-time compare for HMAC, raw R||S for ECDSA, PSS
 * with salt = digest length.  JWT_OK or JWT_ERR_SIGNATURE (or JWT_ERR_ALG
 * when the key may not use ALG). */
jwt_status_t jose_sig_verify(const jwk_t *key, const jose_alg_info_t *alg,
                             const unsigned char *in, size_t inlen,
                             const unsigned char *sig, size_t siglen) JWT_WUR;

/* The signature of IN with KEY (raw R||S for ECDSA).  JWT_ERR_ALG when the
 * key may not use ALG, JWT_ERR_NO_KEY for an asymmetric key without its
 * private half, JWT_ERR_INTERNAL when OpenSSL fails (logged through
 * jose_log, without key material). */
jwt_status_t jose_sig_sign(unsigned char **sig, size_t *siglen,
                           apr_pool_t *p, const jwk_t *key,
                           const jose_alg_info_t *alg,
                           const unsigned char *in, size_t inlen) JWT_WUR;

/* Sign PAYLOAD into a compact JWS.  The protected header is
 * {"alg":..,"kid":..} followed by the members of EXTRA (may be NULL, e.g.
 * {"typ":"JWT"}); kid is KID, else the key's kid, else its thumbprint.
 * "alg" and "kid" members of EXTRA are ignored.  Errors as jose_sig_sign. */
jwt_status_t jws_sign(char **out, apr_pool_t *p, const jwk_t *key,
                      const jose_alg_info_t *alg, const char *kid,
                      json_t *extra, const unsigned char *payload,
                      size_t len) JWT_WUR;

#endif /* JWS_H */
