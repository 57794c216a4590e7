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
 * strings (printable ASCII or well-formed UTF-8), small non-negative
 * integers, true, false, null, or arrays of those.  jansson reads every
 * byte through a callback, checks UTF-8 on each, and allocates each key
 * twice; this reader scans that shape directly and builds the same json_t
 * with jansson's own constructors.  It only ever ACCEPTS a strict subset
 * of what json_loadb(JSON_REJECT_DUPLICATES) accepts, giving the same
 * value with the members in the same order; everything else (a control
 * character or ill-formed UTF-8 in a string, an escape in a name or one
 * that stands for a control character, a real, a negative or long
 * number, a nested object, a duplicate member, any syntax error) is
 * handed back undecided, and jansson then accepts or refuses it as it
 * always did.  check_core tests that agreement on chosen and on mutated
 * inputs.
 *
 * Escapes in values are taken: issuers that write "https:\/\/..." (PHP's
 * json_encode) or "Jos\u00e9" (Python's json.dumps) are common, and
 * sending their whole claims set to jansson cost twice the rest of the
 * check.  Only those that decode to printable characters are, so a value
 * read here still holds no control character (mod_authn_jwt.c counts on
 * that for the JWT_* variables); names stay plain, so duplicates are
 * still found by comparing bytes.
 *
 * jose_json_members reads the same shape without building anything: a
 * JWS header is only ever asked for four string members, and building
 * its json_t (eleven allocations, freed again with the request) cost
 * more than the rest of reading it.  The module's request path reads
 * claims of that shape the same way (jwt.h, claims_flat).
 */

#include <stdint.h>
#include <stdlib.h>
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

/* 1 for the bytes a plain string may hold: printable ASCII (0x20-0x7e)
 * other than '"' and '\\'. */
static const unsigned char plain_byte[256] = {
    ['\x20'] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1,
    ['\''] = 1, ['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1,
    ['-'] = 1, ['.'] = 1, ['/'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1,
    ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,
    ['9'] = 1, [':'] = 1, [';'] = 1, ['<'] = 1, ['='] = 1, ['>'] = 1,
    ['?'] = 1, ['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1,
    ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1,
    ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['['] = 1, [']'] = 1,
    ['^'] = 1, ['_'] = 1, ['`'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,
    ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
    ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
    ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['{'] = 1,
    ['|'] = 1, ['}'] = 1, ['~'] = 1
};

/* The length of the UTF-8 sequence of two to four bytes at C (RFC 3629
 * section 3: no overlong form, no surrogate, nothing above U+10FFFF, as
 * jansson checks them), 0 when there is none before END. */
static size_t utf8_sequence(const unsigned char *c, const unsigned char *end)
{
    uint32_t v;
    size_t len, i;

    if (c[0] >= 0xc2 && c[0] <= 0xdf) {
        len = 2;
        v = c[0] & 0x1f;
    }
    else if (c[0] >= 0xe0 && c[0] <= 0xef) {
        len = 3;
        v = c[0] & 0x0f;
    }
    else if (c[0] >= 0xf0 && c[0] <= 0xf4) {
        len = 4;
        v = c[0] & 0x07;
    }
    else {
        return 0;
    }
    if ((size_t)(end - c) < len) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((c[i] & 0xc0) != 0x80) {
            return 0;
        }
        v = (v << 6) | (c[i] & 0x3f);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000)
        || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        return 0;
    }
    return len;
}

/* The value of the four hex digits at C, or -1. */
static long hex4(const unsigned char *c)
{
    long v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        unsigned char h = c[i];

        v <<= 4;
        if (h >= '0' && h <= '9') {
            v |= h - '0';
        }
        else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f') {
            v |= (h | 0x20) - 'a' + 10;
        }
        else {
            return -1;
        }
    }
    return v;
}

/* The length of the escape at C (a backslash) that this reader takes,
 * 0 for any other (RFC 8259 section 7): \" \\ \/ (2 bytes), \u and four
 * hex digits for a printable character of the basic plane (6), or a
 * surrogate pair of two of those (12).  The rest go to jansson: \b \f \n
 * \r \t and \u0000-\u001f and \u007f stand for control characters, which
 * a value read here never holds; a lone surrogate jansson refuses. */
static size_t escape_len(const unsigned char *c, const unsigned char *end)
{
    long v, w;

    if (end - c < 2) {
        return 0;
    }
    if (c[1] == '"' || c[1] == '\\' || c[1] == '/') {
        return 2;
    }
    if (c[1] != 'u' || end - c < 6 || (v = hex4(c + 2)) < 0x20
        || v == 0x7f || (v >= 0xdc00 && v <= 0xdfff)) {
        return 0;
    }
    if (v < 0xd800 || v > 0xdbff) {
        return 6;
    }
    if (end - c < 12 || c[6] != '\\' || c[7] != 'u'
        || (w = hex4(c + 8)) < 0xdc00 || w > 0xdfff) {
        return 0;
    }
    return 12;
}

/* The N bytes at SRC, a string escape_len and utf8_sequence took, with
 * each escape replaced by its UTF-8 at DST; returns the new length.  DST
 * may be SRC: an escape is never shorter than what it stands for. */
static size_t unescape(char *dst, const char *src, size_t n)
{
    const unsigned char *c = (const unsigned char *)src, *end = c + n;
    unsigned char *w = (unsigned char *)dst;
    unsigned long v;

    while (c < end) {
        if (*c != '\\') {
            *w++ = *c++;
            continue;
        }
        if (c[1] != 'u') {
            *w++ = c[1];
            c += 2;
            continue;
        }
        v = (unsigned long)hex4(c + 2);
        c += 6;
        if (v >= 0xd800 && v <= 0xdbff) {
            v = 0x10000 + ((v - 0xd800) << 10)
                + ((unsigned long)hex4(c + 2) - 0xdc00);
            c += 6;
        }
        if (v < 0x80) {
            *w++ = (unsigned char)v;
        }
        else if (v < 0x800) {
            *w++ = (unsigned char)(0xc0 | (v >> 6));
            *w++ = (unsigned char)(0x80 | (v & 0x3f));
        }
        else if (v < 0x10000) {
            *w++ = (unsigned char)(0xe0 | (v >> 12));
            *w++ = (unsigned char)(0x80 | ((v >> 6) & 0x3f));
            *w++ = (unsigned char)(0x80 | (v & 0x3f));
        }
        else {
            *w++ = (unsigned char)(0xf0 | (v >> 18));
            *w++ = (unsigned char)(0x80 | ((v >> 12) & 0x3f));
            *w++ = (unsigned char)(0x80 | ((v >> 6) & 0x3f));
            *w++ = (unsigned char)(0x80 | (v & 0x3f));
        }
    }
    return (size_t)(w - (unsigned char *)dst);
}

/* A string of printable ASCII other than '"' and '\\', and of well-formed
 * UTF-8 beyond ASCII: no control character, no NUL.  With ESC, also the
 * escapes escape_len takes, and *ESC set when there was one (*S, *N are
 * then the text still to decode); without, no escape (a name). */
static int plain_string(cursor_t *k, const char **s, size_t *n, int *esc)
{
    const unsigned char *start, *c, *end = k->end;
    size_t u;

    if (!next_is(k, '"')) {
        return 0;
    }
    start = c = k->c;
    for (;;) {
        while (c < end && plain_byte[*c]) {
            c++;
        }
        /* the closing quote, nearly always; beyond ASCII or an escape,
         * rarely */
        if (c >= end) {
            break;
        }
        if (*c >= 0x80) {
            if ((u = utf8_sequence(c, end)) == 0) {
                break;
            }
        }
        else if (*c != '\\' || esc == NULL
                 || (u = escape_len(c, end)) == 0) {
            break;
        }
        else {
            *esc = 1;
        }
        c += u;
    }
    /* stopped at the closing quote, or at a byte it does not take */
    if (c >= end || *c != '"') {
        return 0;
    }
    *s = (const char *)start;
    *n = (size_t)(c - start);
    k->c = c + 1;
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

/* One scalar as scan_scalar reads it. */
typedef enum {
    FLAT_STRING = 1, FLAT_INT, FLAT_TRUE, FLAT_FALSE, FLAT_NULL
} flat_kind_t;

typedef struct {
    flat_kind_t kind;
    const char *s;      /* FLAT_STRING: the bytes between the quotes */
    size_t n;
    int esc;            /* FLAT_STRING: S holds an escape (in an array:
                         * an element does) */
    json_int_t i;       /* FLAT_INT */
} flat_scalar_t;

/* A plain string, a non-negative integer without leading zeros or
 * fraction or exponent, true, false or null: 1 and *V; 0 otherwise. */
static int scan_scalar(cursor_t *k, flat_scalar_t *v)
{
    skip_ws(k);
    v->esc = 0;
    if (k->c >= k->end) {
        return 0;
    }
    if (*k->c == '"') {
        v->kind = FLAT_STRING;
        return plain_string(k, &v->s, &v->n, &v->esc);
    }
    if (*k->c >= '0' && *k->c <= '9') {
        json_int_t i = 0;
        int digits = 0;

        if (*k->c == '0' && k->c + 1 < k->end && k->c[1] >= '0'
            && k->c[1] <= '9') {
            return 0;
        }
        while (k->c < k->end && *k->c >= '0' && *k->c <= '9') {
            if (++digits > FLAT_MAX_DIGITS) {
                return 0;
            }
            i = i * 10 + (*k->c - '0');
            k->c++;
        }
        /* a real (or garbage after the digits): not this reader's */
        if (k->c < k->end && (*k->c == '.' || *k->c == 'e' || *k->c == 'E')) {
            return 0;
        }
        v->kind = FLAT_INT;
        v->i = i;
        return 1;
    }
    if (literal(k, "true")) {
        v->kind = FLAT_TRUE;
        return 1;
    }
    if (literal(k, "false")) {
        v->kind = FLAT_FALSE;
        return 1;
    }
    if (literal(k, "null")) {
        v->kind = FLAT_NULL;
        return 1;
    }
    return 0;
}

static json_t *make_scalar(const flat_scalar_t *v)
{
    switch (v->kind) {
    case FLAT_STRING:
        if (v->esc) {
            char *d = malloc(v->n > 0 ? v->n : 1);
            json_t *j = NULL;

            if (d != NULL) {
                j = json_stringn_nocheck(d, unescape(d, v->s, v->n));
                free(d);
            }
            return j;
        }
        return json_stringn_nocheck(v->s, v->n);
    case FLAT_INT:
        return json_integer(v->i);
    case FLAT_TRUE:
        return json_true();
    case FLAT_FALSE:
        return json_false();
    case FLAT_NULL:
        return json_null();
    }
    return NULL;
}

/* A member value, a scalar or an array of scalars, read and checked.  1
 * and, for a scalar, *V; *IS_ARRAY says which it was, and for an array
 * *V is FLAT_STRING when every element is a string (or there is none),
 * with V->i the number of elements.  With ARR given, an array is also
 * built there (the caller releases *ARR, success or not).  0 for
 * anything else. */
static int scan_value(cursor_t *k, flat_scalar_t *v, int *is_array,
                      json_t **arr)
{
    flat_scalar_t e;

    *is_array = next_is(k, '[');
    if (!*is_array) {
        return scan_scalar(k, v);
    }
    v->kind = FLAT_STRING;
    v->esc = 0;
    v->i = 0;
    if (arr != NULL && (*arr = json_array()) == NULL) {
        return 0;
    }
    if (next_is(k, ']')) {
        return 1;
    }
    do {
        if (!scan_scalar(k, &e)) {
            return 0;
        }
        if (e.kind != FLAT_STRING) {
            v->kind = FLAT_NULL;
        }
        v->esc |= e.esc;
        v->i++;
        if (arr != NULL && json_array_append_new(*arr, make_scalar(&e))
                           != 0) {
            return 0;
        }
    } while (next_is(k, ','));
    return next_is(k, ']');
}

/* Called for each member of a flat object with the cursor on its value;
 * reads the value.  0 stops the walk as undecided. */
typedef int (*flat_member_fn)(void *ctx, cursor_t *k, const char *key,
                              size_t klen);

/* One object of members and nothing after it but whitespace: 1 when FN
 * took every member, 0 otherwise. */
static int flat_object(const void *buf, size_t len, flat_member_fn fn,
                       void *ctx)
{
    cursor_t k;
    const char *key;
    size_t klen;

    if (buf == NULL) {
        return 0;
    }
    k.c = buf;
    k.end = k.c + len;
    if (!next_is(&k, '{')) {
        return 0;
    }
    if (!next_is(&k, '}')) {
        do {
            if (!plain_string(&k, &key, &klen, NULL) || !next_is(&k, ':')
                || !fn(ctx, &k, key, klen)) {
                return 0;
            }
        } while (next_is(&k, ','));
        if (!next_is(&k, '}')) {
            return 0;
        }
    }
    skip_ws(&k);
    return k.c == k.end;
}

typedef struct {
    json_t *obj;
    size_t members;
} build_t;

static int build_member(void *ctx, cursor_t *k, const char *key, size_t klen)
{
    build_t *b = ctx;
    flat_scalar_t v;
    json_t *val = NULL;
    int is_array;

    if (!scan_value(k, &v, &is_array, &val)) {
        json_decref(val);
        return 0;
    }
    if (!is_array) {
        val = make_scalar(&v);
    }
    if (val == NULL || json_object_setn_new_nocheck(b->obj, key, klen, val)
                       != 0) {
        return 0;
    }
    b->members++;
    return 1;
}

int jose_json_flat(json_t **out, const void *buf, size_t len)
{
    build_t b;

    *out = NULL;
    b.obj = json_object();
    b.members = 0;
    if (b.obj == NULL) {
        return 0;
    }
    /* A duplicate replaced its first value, so the object has fewer
     * members than were read: that one is jansson's to refuse.  (Counting
     * costs nothing; a lookup before each insert cost a thousand
     * instructions per token.) */
    if (!flat_object(buf, len, build_member, &b)
        || json_object_size(b.obj) != b.members) {
        json_decref(b.obj);
        return 0;
    }
    *out = b.obj;
    return 1;
}

typedef struct {
    jose_member_t *m;
    size_t max, n;
} members_t;

/* jose_member_kind_t of each flat_kind_t */
static const jose_member_kind_t member_kind[] = {
    [FLAT_STRING] = JOSE_MEMBER_STRING, [FLAT_INT] = JOSE_MEMBER_INT,
    [FLAT_TRUE] = JOSE_MEMBER_TRUE, [FLAT_FALSE] = JOSE_MEMBER_FALSE,
    [FLAT_NULL] = JOSE_MEMBER_NULL
};

static int list_member(void *ctx, cursor_t *k, const char *key, size_t klen)
{
    members_t *ms = ctx;
    jose_member_t *m;
    flat_scalar_t v;
    const unsigned char *raw;
    int is_array;
    size_t i;

    skip_ws(k);
    raw = k->c;
    if (ms->n == ms->max || !scan_value(k, &v, &is_array, NULL)) {
        return 0;
    }
    /* a duplicate is jansson's to refuse; most names of a claims set are
     * three bytes long, so the first byte is compared before the call (a
     * name of no bytes is followed by its closing quote) */
    for (i = 0; i < ms->n; i++) {
        if (ms->m[i].klen == klen && ms->m[i].key[0] == key[0]
            && memcmp(ms->m[i].key, key, klen) == 0) {
            return 0;
        }
    }
    m = &ms->m[ms->n++];
    m->key = key;
    m->klen = klen;
    m->str = !is_array && v.kind == FLAT_STRING ? v.s : NULL;
    m->slen = m->str != NULL ? v.n : 0;
    m->i = is_array || v.kind == FLAT_INT ? v.i : 0;
    m->kind = is_array ? JOSE_MEMBER_ARRAY : member_kind[v.kind];
    m->strings = is_array && v.kind == FLAT_STRING;
    m->escaped = v.esc;
    m->raw = (const char *)raw;
    m->rawlen = (size_t)(k->c - raw);
    return 1;
}

/* The strings of the array of strings at S (LEN bytes of JSON text that
 * scan_value took) decoded in place, each followed by NULs up to where
 * its closing quote was: between two strings there is then no quote but
 * the next one's opening quote (jose_member_array_next). */
static void terminate_array(char *s, size_t len, int escaped)
{
    char *end = s + len, *c;
    size_t n, d;

    for (; s < end; s++) {
        if (*s != '"') {
            continue;
        }
        /* a string: to its closing quote, stepping over escapes */
        for (c = ++s; *c != '"'; c += *c == '\\' ? 2 : 1) {
        }
        n = (size_t)(c - s);
        d = escaped ? unescape(s, s, n) : n;
        memset(s + d, 0, n - d + 1);
        s = c;
    }
}

int jose_json_members(jose_member_t *m, size_t max, size_t *n, char *buf,
                      size_t len)
{
    members_t ms;
    size_t i;

    *n = 0;
    ms.m = m;
    ms.max = max;
    ms.n = 0;
    if (!flat_object(buf, len, list_member, &ms)) {
        return 0;
    }
    /* each name and each string ends at its closing quote, which becomes
     * its NUL (a plain string holds no NUL of its own, nor does a decoded
     * one: escape_len takes no \u0000); a string with escapes is decoded
     * first, in place */
    for (i = 0; i < ms.n; i++) {
        char *key = buf + (m[i].key - buf);

        key[m[i].klen] = '\0';
        if (m[i].str != NULL) {
            char *str = buf + (m[i].str - buf);

            if (m[i].escaped) {
                m[i].slen = unescape(str, str, m[i].slen);
            }
            str[m[i].slen] = '\0';
        }
        else if (m[i].kind == JOSE_MEMBER_ARRAY && m[i].strings) {
            terminate_array(buf + (m[i].raw - buf), m[i].rawlen,
                            m[i].escaped);
        }
    }
    *n = ms.n;
    return 1;
}

int jose_member_array_next(const jose_member_t *m, size_t *pos,
                           const char **s, size_t *len)
{
    const char *c, *end;

    *s = NULL;
    *len = 0;
    if (m->kind != JOSE_MEMBER_ARRAY || !m->strings || *pos >= m->rawlen) {
        return 0;
    }
    end = m->raw + m->rawlen;
    c = memchr(m->raw + *pos, '"', (size_t)(end - (m->raw + *pos)));
    if (c == NULL) {
        *pos = m->rawlen;
        return 0;
    }
    *s = c + 1;
    *len = strlen(*s);
    *pos = (size_t)(*s + *len + 1 - m->raw);
    return 1;
}
