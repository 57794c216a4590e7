/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jose_json.c: the common shape of a JOSE header or a claims set read
 * without jansson's lexer (see jose_json_flat in jose_util.h).
 *
 * A token's JSON is nearly always one object whose members are plain
 * ASCII strings, small non-negative integers, true, false, null, or
 * arrays of those.  jansson reads every byte through a callback, checks
 * UTF-8 on each, and allocates each key twice; this reader scans that
 * shape directly and builds the same json_t with jansson's own
 * constructors.  It only ever ACCEPTS a strict subset of what
 * json_loadb(JSON_REJECT_DUPLICATES) accepts, giving the same value with
 * the members in the same order; everything else (an escape, a byte
 * outside printable ASCII in a string, a real, a negative or long number,
 * a nested object, a duplicate member, any syntax error) is handed back
 * undecided, and jansson then accepts or refuses it as it always did.
 * check_core tests that agreement on chosen and on mutated inputs.
 */

#include <string.h>
#include "jose_util.h"

/* Integers of at most this many digits fit in json_int_t (64 bits). */
#define FLAT_MAX_DIGITS 18

typedef struct {
    const unsigned char *c;
    const unsigned char *end;
} cursor_t;

/* RFC 8259 section 2: insignificant whitespace. */
static void skip_ws(cursor_t *k)
{
    while (k->c < k->end && (*k->c == ' ' || *k->c == '\t' || *k->c == '\n'
                             || *k->c == '\r')) {
        k->c++;
    }
}

static int next_is(cursor_t *k, unsigned char ch)
{
    skip_ws(k);
    if (k->c < k->end && *k->c == ch) {
        k->c++;
        return 1;
    }
    return 0;
}

/* A string of printable ASCII without '"' or '\\' (so without escapes
 * and without anything UTF-8 or NUL could be about). */
static int plain_string(cursor_t *k, const char **s, size_t *n)
{
    const unsigned char *start;

    if (!next_is(k, '"')) {
        return 0;
    }
    start = k->c;
    while (k->c < k->end && *k->c != '"') {
        if (*k->c < 0x20 || *k->c > 0x7e || *k->c == '\\') {
            return 0;
        }
        k->c++;
    }
    if (k->c >= k->end) {
        return 0;
    }
    *s = (const char *)start;
    *n = (size_t)(k->c - start);
    k->c++;
    return 1;
}

static int literal(cursor_t *k, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(k->end - k->c) < n || memcmp(k->c, word, n) != 0) {
        return 0;
    }
    k->c += n;
    return 1;
}

/* A plain string, a non-negative integer without leading zeros or
 * fraction or exponent, true, false or null; NULL otherwise. */
static json_t *scalar(cursor_t *k)
{
    const char *s;
    size_t n;

    skip_ws(k);
    if (k->c >= k->end) {
        return NULL;
    }
    if (*k->c == '"') {
        return plain_string(k, &s, &n) ? json_stringn_nocheck(s, n) : NULL;
    }
    if (*k->c >= '0' && *k->c <= '9') {
        json_int_t v = 0;
        int digits = 0;

        if (*k->c == '0' && k->c + 1 < k->end && k->c[1] >= '0'
            && k->c[1] <= '9') {
            return NULL;
        }
        while (k->c < k->end && *k->c >= '0' && *k->c <= '9') {
            if (++digits > FLAT_MAX_DIGITS) {
                return NULL;
            }
            v = v * 10 + (*k->c - '0');
            k->c++;
        }
        /* a real (or garbage after the digits): not this reader's */
        if (k->c < k->end && (*k->c == '.' || *k->c == 'e' || *k->c == 'E')) {
            return NULL;
        }
        return json_integer(v);
    }
    if (literal(k, "true")) {
        return json_true();
    }
    if (literal(k, "false")) {
        return json_false();
    }
    if (literal(k, "null")) {
        return json_null();
    }
    return NULL;
}

/* A member value: a scalar or an array of scalars. */
static json_t *value(cursor_t *k)
{
    json_t *arr, *v;

    if (!next_is(k, '[')) {
        return scalar(k);
    }
    arr = json_array();
    if (arr == NULL) {
        return NULL;
    }
    if (next_is(k, ']')) {
        return arr;
    }
    do {
        v = scalar(k);
        if (v == NULL || json_array_append_new(arr, v) != 0) {
            json_decref(arr);
            return NULL;
        }
    } while (next_is(k, ','));
    if (!next_is(k, ']')) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

int jose_json_flat(json_t **out, const void *buf, size_t len)
{
    cursor_t k;
    json_t *obj, *v;
    const char *key;
    size_t klen, members = 0;

    *out = NULL;
    if (buf == NULL) {
        return 0;
    }
    k.c = buf;
    k.end = k.c + len;
    if (!next_is(&k, '{')) {
        return 0;
    }
    obj = json_object();
    if (obj == NULL) {
        return 0;
    }
    if (!next_is(&k, '}')) {
        do {
            if (!plain_string(&k, &key, &klen) || !next_is(&k, ':')) {
                goto undecided;
            }
            v = value(&k);
            if (v == NULL
                || json_object_setn_new_nocheck(obj, key, klen, v) != 0) {
                goto undecided;
            }
            members++;
        } while (next_is(&k, ','));
        if (!next_is(&k, '}')) {
            goto undecided;
        }
    }
    /* A duplicate replaced its first value, so the object has fewer
     * members than were read: that one is jansson's to refuse.  (Counting
     * costs nothing; a lookup before each insert cost a thousand
     * instructions per token.) */
    if (json_object_size(obj) != members) {
        goto undecided;
    }
    /* one value and nothing after it but whitespace */
    skip_ws(&k);
    if (k.c != k.end) {
        goto undecided;
    }
    *out = obj;
    return 1;
undecided:
    json_decref(obj);
    return 0;
}
