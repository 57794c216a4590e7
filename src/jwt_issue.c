/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwt_issue.c: building the claims of an issued token and signing (and
 * optionally encrypting) it.  RFC 7519 section 4.1 for the registered
 * claims, RFC 8725 section 3.11 for explicit typing, RFC 6749 section 3.3
 * for scope narrowing.
 */

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>

#include "jose_util.h"
#include "jwe.h"
#include "jws.h"
#include "jwt.h"
#include "jwt_issue.h"

/* Registered names the caller's extra claims may not replace: they are
 * what a verifier decides on. */
static const char *const registered[] = {
    "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", NULL
};

static int is_registered(const char *name)
{
    int i;

    for (i = 0; registered[i] != NULL; i++) {
        if (strcmp(name, registered[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Set a string claim when VALUE is given: 0, or -1 when VALUE is not
 * UTF-8 (jansson refuses it). */
static int set_str(json_t *claims, const char *name, const char *value)
{
    if (value == NULL) {
        return 0;
    }
    return json_object_set_new(claims, name, json_string(value)) != 0
           ? -1 : 0;
}

const jose_alg_info_t *jwt_issue_default_enc_alg(const jwk_t *key)
{
    jose_alg_t a;

    switch (key->kty) {
    case JOSE_KTY_RSA:
        a = JOSE_ALG_RSA_OAEP_256;
        break;
    case JOSE_KTY_EC:
    case JOSE_KTY_OKP:
        a = JOSE_ALG_ECDH_ES_A256KW;
        break;
    default:
        a = key->secret_len == 16 ? JOSE_ALG_A128KW
            : key->secret_len == 24 ? JOSE_ALG_A192KW : JOSE_ALG_A256KW;
        break;
    }
    return jose_alg_get(a);
}

jwt_status_t jwt_issue(char **token, json_t **claims_out, apr_pool_t *p,
                       const jwt_issue_params_t *ip, int64_t now)
{
    const jose_alg_info_t *alg = ip->alg;
    json_t *claims, *hdr;
    const char *key;
    json_t *value;
    char *payload, *jws;
    size_t plen;
    jwt_status_t st;

    /* compared without computing now + lifetime, which could overflow */
    if (ip->sign_key == NULL || ip->lifetime <= 0 || now < 0
        || now > JWT_MAX_NUMERIC_DATE
        || ip->lifetime > JWT_MAX_NUMERIC_DATE - now) {
        return JWT_ERR_INTERNAL;
    }
    if (alg == NULL) {
        alg = jose_alg_get(jwk_default_sign_alg(ip->sign_key));
    }
    if (alg == NULL || !JOSE_ALG_IN(ip->sign_key->algs, alg->id)) {
        return JWT_ERR_ALG;
    }

    claims = jose_json_pool_own(p, json_object());
    if (claims == NULL) {
        return JWT_ERR_INTERNAL;
    }
    /* json_string() refuses invalid UTF-8: a claim that cannot be made is
     * an error, never a claim that silently disappears */
    if (set_str(claims, "iss", ip->iss) || set_str(claims, "sub", ip->sub)) {
        return JWT_ERR_CLAIM_TYPE;
    }
    if (ip->aud != NULL && ip->aud->nelts == 1) {
        if (set_str(claims, "aud", APR_ARRAY_IDX(ip->aud, 0, const char *))) {
            return JWT_ERR_CLAIM_TYPE;
        }
    }
    else if (ip->aud != NULL && ip->aud->nelts > 1) {
        json_t *a = json_array();
        int i;

        if (json_object_set_new(claims, "aud", a) != 0) {
            return JWT_ERR_INTERNAL;
        }
        for (i = 0; i < ip->aud->nelts; i++) {
            if (json_array_append_new(a, json_string(APR_ARRAY_IDX(
                    ip->aud, i, const char *))) != 0) {
                return JWT_ERR_CLAIM_TYPE;
            }
        }
    }
    if (json_object_set_new(claims, "iat", json_integer(now)) != 0
        || json_object_set_new(claims, "exp",
                               json_integer(now + ip->lifetime)) != 0) {
        return JWT_ERR_INTERNAL;
    }
    if (set_str(claims, "jti", ip->jti)
        || set_str(claims, "scope",
                   ip->scope != NULL && ip->scope[0] != '\0'
                   ? ip->scope : NULL)) {
        return JWT_ERR_CLAIM_TYPE;
    }
    if (ip->extra != NULL) {
        json_object_foreach(ip->extra, key, value) {
            if (!is_registered(key)
                && json_object_set(claims, key, value) != 0) {
                return JWT_ERR_INTERNAL;
            }
        }
    }

    /* after the extra claims: the login time is the caller's word */
    if (ip->auth_time > 0
        && json_object_set_new(claims, "auth_time",
                               json_integer(ip->auth_time)) != 0) {
        return JWT_ERR_INTERNAL;
    }

    payload = jose_json_dump(p, claims, &plen);
    hdr = jose_json_pool_own(p, json_pack("{s:s}", "typ",
                                          ip->typ ? ip->typ : "JWT"));
    if (payload == NULL || hdr == NULL) {
        return JWT_ERR_INTERNAL;
    }
    st = jws_sign(&jws, p, ip->sign_key, alg, ip->kid, hdr,
                  (const unsigned char *)payload, plen);
    if (st != JWT_OK) {
        return st;
    }
    if (ip->encrypt_key != NULL) {
        const jose_alg_info_t *ea = ip->enc_alg
            ? ip->enc_alg : jwt_issue_default_enc_alg(ip->encrypt_key);
        const jose_enc_info_t *enc = ip->enc
            ? ip->enc : jose_enc_get(JOSE_ENC_A256GCM);
        char *jwe;

        if (ea == NULL || !JOSE_ALG_IN(ip->encrypt_key->algs, ea->id)) {
            return JWT_ERR_ALG;
        }
        st = jwe_encrypt(&jwe, p, ip->encrypt_key, ea, enc,
                         ip->encrypt_key->kid, "JWT",
                         (const unsigned char *)jws, strlen(jws));
        if (st != JWT_OK) {
            return st;
        }
        jws = jwe;
    }
    *token = jws;
    if (claims_out != NULL) {
        *claims_out = claims;
    }
    return JWT_OK;
}

static int in_list(const apr_array_header_t *list, const char *s)
{
    int i;

    for (i = 0; list != NULL && i < list->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(list, i, const char *), s) == 0) {
            return 1;
        }
    }
    return 0;
}

jwt_status_t jwt_scope_grant(const char **granted, apr_pool_t *p,
                             const char *asked,
                             const apr_array_header_t *allowed)
{
    apr_array_header_t *out = apr_array_make(p, 4, sizeof(const char *));
    apr_array_header_t *words;
    int i;

    if (asked == NULL) {
        *granted = allowed ? apr_array_pstrcat(p, allowed, ' ') : "";
        return JWT_OK;
    }
    /* RFC 6749 3.3: each scope-token asked for is compared exactly */
    words = jwt_scope_split(p, asked);
    for (i = 0; i < words->nelts; i++) {
        const char *w = APR_ARRAY_IDX(words, i, const char *);

        if (!in_list(allowed, w)) {
            return JWT_ERR_INSUFFICIENT_SCOPE;
        }
        if (!in_list(out, w)) {
            APR_ARRAY_PUSH(out, const char *) = w;
        }
    }
    *granted = apr_array_pstrcat(p, out, ' ');
    return JWT_OK;
}

int jwt_claim_name_sensitive(const char *name)
{
    /* Whole-name matches for short words that would be noisy as
     * substrings; substring matches for the unambiguous ones. */
    static const char *const exact[] = {
        "pin", "ssn", "cvv", "cvc", "cvv2", "pwd", "pan", "card", "iban",
        NULL
    };
    static const char *const within[] = {
        "password", "passwd", "passphrase", "secret", "apikey",
        "privatekey", "cardnumber", "creditcard", "credential",
        "socialsecurity", "clientsecret", NULL
    };
    char *norm = malloc(strlen(name) + 1);
    size_t n = 0;
    int i, hit = 0;

    /* the whole name, however long: a prefix of padding must not hide
     * "password" at its end */
    if (norm == NULL) {
        return 1;
    }
    for (; *name != '\0'; name++) {
        if (*name == '-' || *name == '_' || *name == '.') {
            continue;
        }
        norm[n++] = (char)tolower((unsigned char)*name);
    }
    norm[n] = '\0';
    for (i = 0; !hit && exact[i] != NULL; i++) {
        hit = strcmp(norm, exact[i]) == 0;
    }
    for (i = 0; !hit && within[i] != NULL; i++) {
        hit = strstr(norm, within[i]) != NULL;
    }
    free(norm);
    return hit;
}
