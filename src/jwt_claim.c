/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwt_claim.c: the claim model shared by the validator, authorization
 * (Require jwt-claim, jwt-scope, the jwt_claim() ap_expr function), the
 * environment and the issuer: a claim by dotted path, a claim as text, the
 * matching of Require jwt-claim, and scopes (RFC 6749 section 3.3: a
 * space-separated "scope" string, or an array such as "scp").  Values are
 * compared as exact bytes; paths are walked iteratively with a depth cap
 * (doc/attacks.md F5).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_strings.h>
#include "jwt.h"

json_t *jwt_claim_get(const json_t *claims, const char *path)
{
    const json_t *cur = claims;
    json_t *v;
    int depth;

    if (!json_is_object(claims) || path == NULL || *path == '\0') {
        return NULL;
    }
    /* A member named "a.b" wins over the path a -> b. */
    v = json_object_get(claims, path);
    if (v != NULL) {
        return v;
    }
    /* Iterative and bounded: never recursion on attacker depth (F5). */
    for (depth = 1; depth <= JWT_MAX_CLAIM_DEPTH; depth++) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);

        if (n == 0 || !json_is_object(cur)) {
            return NULL;
        }
        v = json_object_getn(cur, path, n);
        if (v == NULL || dot == NULL) {
            return v;
        }
        cur = v;
        path = dot + 1;
    }
    return NULL;
}

jwt_ref_t jwt_token_claim(const jwt_t *jwt, const char *path)
{
    jwt_ref_t v = { NULL, NULL };
    size_t i, n;

    if (jwt == NULL || path == NULL || *path == '\0') {
        return v;
    }
    if (!jwt->flat) {
        v.json = jwt_claim_get(jwt->claims, path);
        return v;
    }
    /* no objects, so no path: only the member named PATH */
    n = strlen(path);
    for (i = 0; i < jwt->nmembers; i++) {
        if (jwt->members[i].klen == n
            && memcmp(jwt->members[i].key, path, n) == 0) {
            v.flat = &jwt->members[i];
            break;
        }
    }
    return v;
}

const char *jwt_ref_string(jwt_ref_t v, size_t *len)
{
    if (v.flat != NULL) {
        if (v.flat->kind != JOSE_MEMBER_STRING) {
            return NULL;
        }
        if (len != NULL) {
            *len = v.flat->slen;
        }
        return v.flat->str;
    }
    if (!json_is_string(v.json)) {
        return NULL;
    }
    if (len != NULL) {
        *len = json_string_length(v.json);
    }
    return json_string_value(v.json);
}

int jwt_ref_present(jwt_ref_t v)
{
    if (v.flat != NULL) {
        return v.flat->kind != JOSE_MEMBER_NULL;
    }
    return v.json != NULL && !json_is_null(v.json);
}

int jwt_ref_array_next(jwt_ref_t v, size_t *pos, const char **s,
                       size_t *len)
{
    if (v.flat != NULL) {
        return jose_member_array_next(v.flat, pos, s, len);
    }
    *s = NULL;
    *len = 0;
    if (!json_is_array(v.json) || *pos >= json_array_size(v.json)) {
        return 0;
    }
    {
        const json_t *e = json_array_get(v.json, (*pos)++);

        if (json_is_string(e)) {
            *s = json_string_value(e);
            *len = json_string_length(e);
        }
    }
    return 1;
}

/* 1 when V is an array. */
static int ref_is_array(jwt_ref_t v)
{
    return v.flat != NULL ? v.flat->kind == JOSE_MEMBER_ARRAY
                          : json_is_array(v.json);
}

const char *jwt_ref_array_text(apr_pool_t *p, jwt_ref_t v)
{
    size_t pos = 0, len, total = 1, i = 0;
    const char *s;
    char *res, *w;

    if (!ref_is_array(v)) {
        return NULL;
    }
    while (jwt_ref_array_next(v, &pos, &s, &len)) {
        if (s == NULL) {
            return NULL;
        }
        total += len + 1;
    }
    w = res = apr_palloc(p, total);
    pos = 0;
    while (jwt_ref_array_next(v, &pos, &s, &len)) {
        if (i++ > 0) {
            *w++ = ' ';
        }
        memcpy(w, s, len);
        w += len;
    }
    *w = '\0';
    return res;
}

int jwt_claims_next(const jwt_t *jwt, jwt_claim_iter_t *it,
                    const char **key, jwt_ref_t *v)
{
    v->json = NULL;
    v->flat = NULL;
    if (jwt->flat) {
        if (it->next >= jwt->nmembers) {
            return 0;
        }
        /* jose_json_members terminated each name */
        *key = jwt->members[it->next].key;
        v->flat = &jwt->members[it->next++];
        return 1;
    }
    it->json_iter = it->started
                    ? json_object_iter_next(jwt->claims, it->json_iter)
                    : json_object_iter(jwt->claims);
    it->started = 1;
    if (it->json_iter == NULL) {
        return 0;
    }
    *key = json_object_iter_key(it->json_iter);
    v->json = json_object_iter_value(it->json_iter);
    return 1;
}

/* The JSON text of a number or boolean, in BUF (integers, booleans) or in
 * *HEAP (reals, as jansson prints them; the caller frees). */
static const char *scalar_text(const json_t *v, char *buf, size_t buflen,
                               char **heap)
{
    *heap = NULL;
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        snprintf(buf, buflen, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return buf;
    case JSON_REAL:
        *heap = json_dumps(v, JSON_ENCODE_ANY);
        return *heap;
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    default:
        return NULL;
    }
}

const char *jwt_claim_text(apr_pool_t *p, const json_t *v)
{
    char buf[32], *heap, *res;
    const char *t;

    if (v == NULL) {
        return NULL;
    }
    if (json_is_string(v)) {
        return apr_pstrmemdup(p, json_string_value(v), json_string_length(v));
    }
    if (json_is_array(v)) {
        jwt_ref_t r = { v, NULL };

        return jwt_ref_array_text(p, r);
    }
    t = scalar_text(v, buf, sizeof(buf), &heap);
    res = t ? apr_pstrdup(p, t) : NULL;
    free(heap);
    return res;
}

static int scalar_matches(const json_t *v, const char *value, size_t vlen)
{
    char buf[32], *heap;
    const char *t;
    int eq;

    if (json_is_string(v)) {
        return json_string_length(v) == vlen
               && memcmp(json_string_value(v), value, vlen) == 0;
    }
    t = scalar_text(v, buf, sizeof(buf), &heap);
    eq = t != NULL && strlen(t) == vlen && memcmp(t, value, vlen) == 0;
    free(heap);
    return eq;
}

int jwt_claim_matches(const json_t *v, const char *value)
{
    size_t i, vlen;

    if (v == NULL || value == NULL) {
        return 0;
    }
    vlen = strlen(value);
    if (json_is_array(v)) {
        /* Members only, one level: nested arrays and objects never match. */
        for (i = 0; i < json_array_size(v); i++) {
            if (scalar_matches(json_array_get(v, i), value, vlen)) {
                return 1;
            }
        }
        return 0;
    }
    return scalar_matches(v, value, vlen);
}

apr_array_header_t *jwt_scope_split(apr_pool_t *p, const char *s)
{
    apr_array_header_t *out = apr_array_make(p, 8, sizeof(const char *));

    /* RFC 6749 section 3.3: scope-tokens delimited by %x20; only the space
     * separates, so "a\tadmin" is one scope, which the callers that check
     * the scope-token grammar refuse. */
    while (s != NULL && *s != '\0') {
        size_t n;

        while (*s == ' ') {
            s++;
        }
        n = strcspn(s, " ");
        if (n > 0) {
            APR_ARRAY_PUSH(out, const char *) = apr_pstrmemdup(p, s, n);
        }
        s += n;
    }
    return out;
}

int jwt_is_scope_token(const char *s)
{
    if (s == NULL || *s == '\0') {
        return 0;
    }
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        /* NQCHAR = %x21 / %x23-5B / %x5D-7E: this also keeps a scope
         * free of the quotes and backslashes of a challenge parameter */
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
            return 0;
        }
    }
    return 1;
}

/* Without AuthJWTScopeClaim, the scopes come from "scope", else from
 * "scp" (the claims of those names, absent ones empty). */
static jwt_ref_t default_scope(jwt_ref_t scope, jwt_ref_t scp)
{
    return scope.json != NULL || scope.flat != NULL ? scope : scp;
}

/* The claim the scopes come from (see jwt_scopes). */
static jwt_ref_t scope_claim(const json_t *claims, const char *claim)
{
    jwt_ref_t scope = { NULL, NULL }, scp = { NULL, NULL };

    if (claim != NULL) {
        scope.json = jwt_claim_get(claims, claim);
        return scope;
    }
    scope.json = jwt_claim_get(claims, "scope");
    scp.json = jwt_claim_get(claims, "scp");
    return default_scope(scope, scp);
}

/* The same for a parsed token, whose scope and scp jwt_parse found. */
static jwt_ref_t token_scope(const jwt_t *jwt, const char *claim)
{
    if (claim != NULL) {
        return jwt_token_claim(jwt, claim);
    }
    return default_scope(jwt->scope, jwt->scp);
}

/* The scopes of the claim V (see jwt_scopes). */
static apr_array_header_t *scopes_of(apr_pool_t *p, jwt_ref_t ref)
{
    const char *s = jwt_ref_string(ref, NULL);
    apr_array_header_t *out;
    size_t pos = 0, len;

    /* Token strings hold no NUL (JSON parsed without JSON_ALLOW_NUL), so
     * the C string is the whole value. */
    if (s != NULL) {
        return jwt_scope_split(p, s);
    }
    out = apr_array_make(p, 8, sizeof(const char *));
    while (jwt_ref_array_next(ref, &pos, &s, &len)) {
        /* A scope-token is never empty (RFC 6749 section 3.3): "" in an
         * array grants nothing and matches nothing. */
        if (s != NULL && len > 0) {
            APR_ARRAY_PUSH(out, const char *) = apr_pstrmemdup(p, s, len);
        }
    }
    return out;
}

apr_array_header_t *jwt_scopes(apr_pool_t *p, const json_t *claims,
                               const char *claim)
{
    return scopes_of(p, scope_claim(claims, claim));
}

int jwt_scopes_include(const apr_array_header_t *scopes,
                       const apr_array_header_t *wanted)
{
    int i, j;

    if (wanted == NULL || wanted->nelts <= 0) {
        return 1;
    }
    if (scopes == NULL) {
        return 0;
    }
    for (i = 0; i < wanted->nelts; i++) {
        const char *w = APR_ARRAY_IDX(wanted, i, const char *);
        int found = 0;

        if (w == NULL) {
            continue;
        }
        for (j = 0; j < scopes->nelts && !found; j++) {
            const char *s = APR_ARRAY_IDX(scopes, j, const char *);

            found = s != NULL && strcmp(s, w) == 0;
        }
        if (!found) {
            return 0;
        }
    }
    return 1;
}

/* W (N bytes) is one of the space-delimited scopes of S. */
static int scope_in_string(const char *s, const char *w, size_t n)
{
    while (*s != '\0') {
        size_t m;

        while (*s == ' ') {
            s++;
        }
        m = strcspn(s, " ");
        if (m == n && m > 0 && memcmp(s, w, n) == 0) {
            return 1;
        }
        s += m;
    }
    return 0;
}

/* W (N bytes) is a member of the scope array V (non-empty strings). */
static int scope_in_array(jwt_ref_t v, const char *w, size_t n)
{
    size_t pos = 0, len;
    const char *s;

    while (jwt_ref_array_next(v, &pos, &s, &len)) {
        if (s != NULL && len == n && n > 0 && memcmp(s, w, n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Whether the scopes of the claim V include every member of WANTED (an
 * empty WANTED asks nothing). */
static int have_scopes_of(jwt_ref_t ref, const apr_array_header_t *wanted)
{
    const char *s = jwt_ref_string(ref, NULL);
    int array = ref_is_array(ref);
    int i;

    if (wanted == NULL) {
        return 1;
    }
    for (i = 0; i < wanted->nelts; i++) {
        const char *w = APR_ARRAY_IDX(wanted, i, const char *);
        size_t n;
        int found;

        if (w == NULL) {
            continue;
        }
        /* an array member's bytes stop at its first NUL, as its copy
         * in jwt_scopes does; a wanted scope with a space matches no
         * scope of a string, and nothing matches "" */
        n = strlen(w);
        if (s != NULL) {
            found = strchr(w, ' ') == NULL && scope_in_string(s, w, n);
        }
        else if (array) {
            found = scope_in_array(ref, w, n);
        }
        else {
            found = 0;
        }
        if (!found) {
            return 0;
        }
    }
    return 1;
}

int jwt_claims_have_scopes(const json_t *claims, const char *claim,
                           const apr_array_header_t *wanted)
{
    return have_scopes_of(scope_claim(claims, claim), wanted);
}

int jwt_token_has_scopes(const jwt_t *jwt, const char *claim,
                         const apr_array_header_t *wanted)
{
    return have_scopes_of(token_scope(jwt, claim), wanted);
}

/* One list for AuthJWTRequireClaim and htjwt verify --require.  exp is
 * required unless the administrator says "none", alone: "valid if present"
 * let tokens live forever (doc/attacks.md E1), and a list such as "sub" must
 * not drop exp by the way. */
int jwt_required_add(apr_array_header_t **list, apr_pool_t *p,
                     const char *name, const char **err)
{
    int i;

    *err = NULL;
    if (name == NULL || *name == '\0') {
        *err = "an empty claim name is not allowed";
        return -1;
    }
    if (strcmp(name, JWT_REQUIRE_NONE) == 0) {
        if (*list != NULL) {
            *err = "'none' waives exp and stands alone: write either 'none' "
                   "or the claims to require (exp is always among them)";
            return -1;
        }
        *list = apr_array_make(p, 1, sizeof(const char *));
        return 0;
    }
    if (*list != NULL && (*list)->nelts == 0) {
        *err = "'none' waives exp and stands alone: write either 'none' "
               "or the claims to require (exp is always among them)";
        return -1;
    }
    if (*list == NULL) {
        *list = apr_array_make(p, 2, sizeof(const char *));
        APR_ARRAY_PUSH(*list, const char *) = "exp";
    }
    for (i = 0; i < (*list)->nelts; i++) {
        if (strcmp(APR_ARRAY_IDX(*list, i, const char *), name) == 0) {
            return 0;
        }
    }
    APR_ARRAY_PUSH(*list, const char *) = apr_pstrdup(p, name);
    return 0;
}

/* The text of the scopes of the claim V (see jwt_scope_text). */
static const char *scope_text_of(apr_pool_t *p, jwt_ref_t v)
{
    apr_array_header_t *scopes;
    const char *s;
    size_t len;

    /* a string already in the joined form (no leading, trailing or
     * doubled space) is its own answer: no split, no join, no copy */
    s = jwt_ref_string(v, &len);
    if (s != NULL) {
        if (len > 0 && s[0] != ' ' && s[len - 1] != ' '
            && strstr(s, "  ") == NULL) {
            return s;
        }
    }
    scopes = scopes_of(p, v);
    return scopes->nelts > 0 ? apr_array_pstrcat(p, scopes, ' ') : NULL;
}

const char *jwt_scope_text(apr_pool_t *p, const json_t *claims,
                           const char *claim)
{
    return scope_text_of(p, scope_claim(claims, claim));
}

const char *jwt_token_scope_text(apr_pool_t *p, const jwt_t *jwt,
                                 const char *claim)
{
    return scope_text_of(p, token_scope(jwt, claim));
}
