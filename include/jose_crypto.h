/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jose_crypto.h: the JWE primitives over OpenSSL 3 EVP (RFC 7518 sections
 * 4.2-4.8 and 5.2-5.3, RFC 8037 section 3.2), used by jwe.c and tested on
 * their own against the Wycheproof primitive vectors.
 *
 * Each function checks every length it is given before any EVP call, frees
 * every OpenSSL object it creates on every path and wipes its intermediate
 * secrets.  Output buffers come first; their required size is stated for
 * each function.  Failures are JWT_ERR_DECRYPT (bad input, failed
 * authentication) or JWT_ERR_INTERNAL (OpenSSL could not run); no function
 * says more than that about why.
 */

#ifndef JOSE_CRYPTO_H
#define JOSE_CRYPTO_H

#include <stddef.h>
#include <apr_pools.h>
#include <jansson.h>
#include <openssl/evp.h>
#include "jose_alg.h"
#include "jwt_status.h"

#define JOSE_MAX_CEK_LEN    64  /* A256CBC-HS512: MAC key || ENC key     */
#define JOSE_MAX_KEK_LEN    32  /* A256KW                                */
#define JOSE_KW_OVERHEAD    8   /* RFC 3394 integrity block              */
#define JOSE_GCM_IV_LEN     12  /* RFC 7518 5.3: 96 bits, nothing else   */
#define JOSE_GCM_TAG_LEN    16  /* RFC 7518 5.3: 128 bits, nothing else  */
#define JOSE_CBC_IV_LEN     16
#define JOSE_MAX_ECDH_Z_LEN 66  /* P-521 field size                      */

/* ---- AES Key Wrap (RFC 3394, default IV; RFC 7518 4.4) ----
 * KEK is 16, 24 or 32 bytes.  Wrap: IN is a multiple of 8 and at least 16
 * bytes, OUT holds INLEN + 8.  Unwrap: IN is a multiple of 8 and at least
 * 24 bytes, OUT holds INLEN - 8; JWT_ERR_DECRYPT when the integrity check
 * fails (OUT is then wiped). */
jwt_status_t jose_aes_kw_wrap(unsigned char *out, size_t *outlen,
                              const unsigned char *kek, size_t keklen,
                              const unsigned char *in,
                              size_t inlen) JWT_WUR;
jwt_status_t jose_aes_kw_unwrap(unsigned char *out, size_t *outlen,
                                const unsigned char *kek, size_t keklen,
                                const unsigned char *in,
                                size_t inlen) JWT_WUR;

/* ---- AES-GCM (RFC 7518 5.3 and 4.7) ----
 * KEY is 16, 24 or 32 bytes, IV exactly 12, TAG exactly 16 (doc/attacks.md C8:
 * OpenSSL would accept a shorter tag prefix).  OUT holds INLEN bytes; on a
 * failed decryption it is wiped. */
jwt_status_t jose_aes_gcm_encrypt(unsigned char *out, unsigned char *tag,
                                  const unsigned char *key, size_t keylen,
                                  const unsigned char *iv, size_t ivlen,
                                  const unsigned char *aad, size_t aadlen,
                                  const unsigned char *in,
                                  size_t inlen) JWT_WUR;
jwt_status_t jose_aes_gcm_decrypt(unsigned char *out,
                                  const unsigned char *key, size_t keylen,
                                  const unsigned char *iv, size_t ivlen,
                                  const unsigned char *aad, size_t aadlen,
                                  const unsigned char *in, size_t inlen,
                                  const unsigned char *tag,
                                  size_t taglen) JWT_WUR;

/* ---- AES_CBC_HMAC_SHA2 (RFC 7518 5.2) ----
 * KEY = MAC_KEY || ENC_KEY of exactly enc->cek_len bytes, IV exactly 16,
 * TAG exactly enc->tag_len (the first half of the HMAC).  Decryption checks
 * the full tag over AAD || IV || C || AL (AL computed in uint64_t) with
 * CRYPTO_memcmp BEFORE any CBC decryption (C9).  Encrypt: OUT holds
 * INLEN + 16, TAG holds enc->tag_len.  Decrypt: OUT holds INLEN bytes. */
jwt_status_t jose_aes_cbc_hmac_encrypt(unsigned char *out, size_t *outlen,
                                       unsigned char *tag,
                                       const jose_enc_info_t *enc,
                                       const unsigned char *key,
                                       size_t keylen,
                                       const unsigned char *iv, size_t ivlen,
                                       const unsigned char *aad,
                                       size_t aadlen,
                                       const unsigned char *in,
                                       size_t inlen) JWT_WUR;
jwt_status_t jose_aes_cbc_hmac_decrypt(unsigned char *out, size_t *outlen,
                                       const jose_enc_info_t *enc,
                                       const unsigned char *key,
                                       size_t keylen,
                                       const unsigned char *iv, size_t ivlen,
                                       const unsigned char *aad,
                                       size_t aadlen,
                                       const unsigned char *in, size_t inlen,
                                       const unsigned char *tag,
                                       size_t taglen) JWT_WUR;

/* ---- content encryption by enc (one of the two above) ----
 * Encrypt: OUT holds INLEN + 16, TAG holds enc->tag_len.  Decrypt: OUT
 * holds INLEN bytes (at least 1). */
jwt_status_t jose_content_encrypt(unsigned char *out, size_t *outlen,
                                  unsigned char *tag,
                                  const jose_enc_info_t *enc,
                                  const unsigned char *cek, size_t ceklen,
                                  const unsigned char *iv, size_t ivlen,
                                  const unsigned char *aad, size_t aadlen,
                                  const unsigned char *in,
                                  size_t inlen) JWT_WUR;
jwt_status_t jose_content_decrypt(unsigned char *out, size_t *outlen,
                                  const jose_enc_info_t *enc,
                                  const unsigned char *cek, size_t ceklen,
                                  const unsigned char *iv, size_t ivlen,
                                  const unsigned char *aad, size_t aadlen,
                                  const unsigned char *in, size_t inlen,
                                  const unsigned char *tag,
                                  size_t taglen) JWT_WUR;

/* ---- RSA key encryption (RFC 7518 4.2, 4.3) ----
 * ALG is RSA1_5 (PKCS#1 v1.5), RSA-OAEP (SHA-1, MGF1-SHA-1) or RSA-OAEP-256
 * (SHA-256, MGF1-SHA-256), never chosen by anything but ALG (C5).  *OUT is
 * allocated from P with EVP_PKEY_get_size(PKEY) bytes; the decryption
 * buffer is wiped when P is cleared.  Decryption errors are returned as
 * they are: the JWE layer hides them behind a random CEK (C4). */
jwt_status_t jose_rsa_encrypt(unsigned char **out, size_t *outlen,
                              apr_pool_t *p, EVP_PKEY *pkey,
                              const jose_alg_info_t *alg,
                              const unsigned char *in, size_t inlen) JWT_WUR;
jwt_status_t jose_rsa_decrypt(unsigned char **out, size_t *outlen,
                              apr_pool_t *p, EVP_PKEY *pkey,
                              const jose_alg_info_t *alg,
                              const unsigned char *in, size_t inlen) JWT_WUR;

/* RSAES-PKCS1-v1_5 decryption of a key of exactly KEYLEN bytes without a
 * padding oracle (doc/attacks.md C4; OpenSSL 3.0 has no implicit rejection):
 * raw RSA, then the encoding 00 02 PS 00 K with |K| = KEYLEN checked in
 * time independent of its content.  KEY receives K when the encoding is
 * well formed and RND (KEYLEN random bytes drawn by the caller before the
 * call) otherwise, selected in constant time.  Returns JWT_OK in both
 * cases: the caller learns nothing, the tag check fails later.
 * JWT_ERR_DECRYPT only for what is public: no RSA key, IN not of the
 * modulus length, KEYLEN over k - 11. */
jwt_status_t jose_rsa1_5_unwrap(unsigned char *key, size_t keylen,
                                const unsigned char *rnd, apr_pool_t *p,
                                EVP_PKEY *pkey, const unsigned char *in,
                                size_t inlen) JWT_WUR;

/* ---- ECDH-ES (RFC 7518 4.6, RFC 8037 3.2) ----
 * Curves by NID: NID_X9_62_prime256v1, NID_secp384r1, NID_secp521r1,
 * NID_X25519, NID_X448.  The JWK "crv" name, NULL for any other NID. */
const char *jose_curve_jwk_name(int curve_nid);

/* The peer public key of an epk (or any public JWK) for exactly the curve
 * CURVE_NID (the recipient's): kty and crv must match it, x (and y for EC)
 * exactly the field length, the EC point rebuilt with EVP_PKEY_fromdata on
 * that group and checked with EVP_PKEY_public_check (C3).  The caller
 * frees *OUT.  P holds the decoded coordinates. */
jwt_status_t jose_epk_import(EVP_PKEY **out, apr_pool_t *p,
                             const json_t *jwk, int curve_nid) JWT_WUR;

/* The public JWK {"kty","crv","x"[,"y"]} of PKEY (new reference). */
json_t *jose_epk_export(apr_pool_t *p, EVP_PKEY *pkey, int curve_nid);

/* A fresh key pair on CURVE_NID; the caller frees *OUT. */
jwt_status_t jose_ecdh_keygen(EVP_PKEY **out, int curve_nid) JWT_WUR;

/* Z = ECDH(PRIV, PEER).  Z holds JOSE_MAX_ECDH_Z_LEN bytes.  For X25519
 * and X448 an all-zero Z (a low-order peer point) is refused. */
jwt_status_t jose_ecdh_derive(unsigned char *z, size_t *zlen,
                              EVP_PKEY *priv, EVP_PKEY *peer) JWT_WUR;

/* The Concat KDF of NIST SP 800-56A with SHA-256 as profiled by RFC 7518
 * 4.6.2: OtherInfo = len||ALGID, len||APU, len||APV, keydatalen in bits
 * (32-bit big-endian), empty SuppPrivInfo.  OUTLEN is at most 64. */
jwt_status_t jose_concat_kdf(unsigned char *out, size_t outlen,
                             const unsigned char *z, size_t zlen,
                             const char *algid,
                             const unsigned char *apu, size_t apulen,
                             const unsigned char *apv,
                             size_t apvlen) JWT_WUR;

/* ---- PBES2 (RFC 7518 4.8) ----
 * PBKDF2 with HMAC-DIGEST ("SHA256", "SHA384", "SHA512").  The iteration
 * cap is the caller's policy (jwe.c: [1000, max_p2c], checked first). */
jwt_status_t jose_pbkdf2(unsigned char *out, size_t outlen,
                         const char *digest,
                         const unsigned char *pwd, size_t pwdlen,
                         const unsigned char *salt, size_t saltlen,
                         unsigned long iter) JWT_WUR;

#endif /* JOSE_CRYPTO_H */
