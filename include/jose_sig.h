/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jose_sig.h: verification state prepared once per key, and the ECDSA
 * signature DER written without BIGNUMs; used by jws.c's primitives.
 *
 * When a signature key is loaded, jose_sig_prepare computes the two keyed
 * digest states of HMAC (RFC 2104: the hash after K ^ ipad and after
 * K ^ opad, digest fetched once) or initialises one verify context
 * (EVP_MD_CTX after EVP_DigestVerifyInit, RSA padding set) for each JWS
 * algorithm the key may use.  Those are never used directly: every
 * verification works on its own copy (EVP_MD_CTX_copy_ex), so the
 * prepared state is read-only once the key is loaded and any number of
 * threads may verify with it at once.  No
 * algorithm is fetched and no key is exported to a provider per request.
 *
 * Preparation is an optimisation only: a key without it (a failed
 * preparation, a key built by hand) verifies through the unprepared path
 * with exactly the same checks.  It does NOT decide anything: key and
 * algorithm fit, signature lengths and the comparison stay in jws.c.
 */

#ifndef JOSE_SIG_H
#define JOSE_SIG_H

#include <stddef.h>
#include <apr_pools.h>
#include <openssl/evp.h>
#include "jose_alg.h"
#include "jwk.h"
#include "jwt_status.h"

/* Largest DER ECDSA-Sig-Value (P-521): SEQUENCE (3 bytes of header) of two
 * INTEGERs of at most 2 + 67 bytes. */
#define JOSE_ECDSA_DER_MAX 160

/* Prepare KEY's verification state for every JWS algorithm it may use;
 * freed with P (the key's pool).  Keys not meant for signatures are left
 * alone.  Never fails: an algorithm that cannot be prepared keeps the
 * unprepared path (and the OpenSSL error queue is cleared). */
void jose_sig_prepare(jwk_t *key, apr_pool_t *p);

/* HMAC of IN with KEY's prepared keyed states for ALG (RFC 2104), into
 * MAC (EVP_MAX_MD_SIZE bytes) and *MACLEN.  1 on success, 0 when OpenSSL
 * fails, -1 when nothing was prepared for ALG (use EVP_MAC then). */
int jose_sig_hmac(unsigned char *mac, size_t *maclen, const jwk_t *key,
                  const jose_alg_info_t *alg, const unsigned char *in,
                  size_t inlen) JWT_WUR;

/* A fresh copy of KEY's verify context for ALG (ready for
 * EVP_DigestVerify), or NULL when none was prepared.  The caller frees it
 * (EVP_MD_CTX_free). */
EVP_MD_CTX *jose_sig_md_copy(const jwk_t *key, const jose_alg_info_t *alg);

/* The DER ECDSA-Sig-Value (RFC 3279 section 2.2.3) of the raw R || S of
 * RFC 7518 section 3.4: RS is RSLEN bytes, R and S each half of it.  Each
 * INTEGER is minimal (leading zero bytes dropped, one 0x00 added when the
 * high bit is set, zero as the single byte 0x00), as i2d_ECDSA_SIG writes
 * it.  0 and *DERLEN on success; -1 when RSLEN is 0, odd, or the result
 * would not fit in MAX bytes. */
int jose_ecdsa_der(unsigned char *der, size_t *derlen, size_t max,
                   const unsigned char *rs, size_t rslen);

/* Initialise CTX for signing (SIGN != 0) or verifying with KEY and ALG:
 * the prefetched digest (none for EdDSA), the RSA padding fixed by the
 * algorithm.  1 on success (jws.c). */
int jose_sig_digest_init(EVP_MD_CTX *ctx, const jwk_t *key,
                         const jose_alg_info_t *alg, int sign);

#endif /* JOSE_SIG_H */
