/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwe.h: compact JWE (RFC 7516 section 7.1) decryption and encryption with
 * the key-management and content algorithms of RFC 7518 sections 4 and 5.
 *
 * jwe_decrypt parses the five segments, selects the decryption key from the
 * configured set only (kid is a lookup key), checks every length before any
 * EVP call (IV, tag, CEK against enc), unwraps the CEK with a uniform failure
 * (a random CEK of the right length on any unwrap error, doc/attacks.md
 * C4/C5), checks the ECDH-ES epk on the recipient's curve, refuses zip and
 * crit, and only then decrypts and authenticates.  Every failure is
 * JWT_ERR_DECRYPT.  It does NOT verify an inner JWS or look at claims, and
 * it does not decide whether a JWE without an inner JWS is acceptable
 * (doc/attacks.md C1: that is jwt.c's policy).
 *
 * Key selection: keys with use JOSE_USE_ENC whose algs hold the header's
 * alg (RSA1_5 and PBES2-* only when named in alg=, explicit_only) and whose
 * encs (enc=, when set) hold the header's enc, of the
 * type the alg needs, with the private half; a token with a kid is
 * decrypted only by the key with exactly that kid or by keys without one,
 * a token without a kid by any of them (the rule of jws_verify).
 * Candidates are tried in configuration order, but for RSA, ECDH-ES and
 * PBES2 only the first: a hostile token costs at most one expensive
 * operation, so several such keys need kids to be told apart.
 */

#ifndef JWE_H
#define JWE_H

#include <apr_pools.h>
#include <jansson.h>
#include "jose_alg.h"
#include "jwk.h"
#include "jwt_status.h"

/* PBES2 p2c (doc/attacks.md C6): RFC 7518 4.8.1.2 asks for at least 1000,
 * and the count is the attacker's to choose, so [JWE_MIN_P2C, max_p2c] is
 * checked before PBKDF2.  max_p2c is the caller's ceiling (0 means
 * JWE_DEFAULT_MAX_P2C); callers keep it within [JWE_MIN_P2C,
 * JWE_MAX_P2C_LIMIT], and jwe_decrypt clamps it there too. */
#define JWE_DEFAULT_MAX_P2C 10000
#define JWE_MIN_P2C 1000
#define JWE_MAX_P2C_LIMIT 1000000
/* p2c that jwe_encrypt writes (the RFC 7520 5.3 example's count). */
#define JWE_ENCRYPT_P2C 8192
/* Shortest p2s (RFC 7518 4.8.1.1: at least 8 octets); jwe_encrypt uses 16. */
#define JWE_MIN_P2S_LEN 8
/* Longest kid accepted in a header (doc/attacks.md A5), as JWS_MAX_KID_LEN. */
#define JWE_MAX_KID_LEN 256

typedef struct {
    json_t *header;                 /* protected header (owned by P)      */
    const jose_alg_info_t *alg;
    const jose_enc_info_t *enc;
    const char *kid;
    const char *cty;
    unsigned char *plaintext;       /* NUL-terminated (not counted);
                                     * wiped when the pool is cleared     */
    size_t plaintext_len;
    const jwk_t *key;               /* the key that decrypted             */
} jwe_t;

jwt_status_t jwe_decrypt(jwe_t **out, apr_pool_t *p, const char *token,
                         size_t len, const jwk_set_t *keys,
                         unsigned long max_p2c) JWT_WUR;

/* Encrypt PLAINTEXT to KEY (public key or secret) with ALG/ENC; CTY may be
 * NULL ("JWT" for nested tokens), KID NULL means the key's kid (none when
 * the key has none).  Fresh random CEK and IV each call, a fresh epk on the
 * recipient's curve for ECDH-ES*, a random 16-byte p2s and p2c
 * JWE_ENCRYPT_P2C for PBES2-*; never zip.  JWT_ERR_ALG when KEY may not be
 * used with ALG/ENC (use, algs, encs, type, dir key length) and always for
 * RSA1_5 (doc/attacks.md H); JWT_ERR_HEADER for a kid over JWE_MAX_KID_LEN;
 * JWT_ERR_INTERNAL when OpenSSL fails. */
jwt_status_t jwe_encrypt(char **out, apr_pool_t *p, const jwk_t *key,
                         const jose_alg_info_t *alg,
                         const jose_enc_info_t *enc, const char *kid,
                         const char *cty, const unsigned char *plaintext,
                         size_t len) JWT_WUR;

#endif /* JWE_H */
