/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * mod_authn_jwt_cache.c: the verified-token cache (AuthJWTCache,
 * AuthJWTCacheSize, AuthJWTCacheMaxAge).
 *
 * A token accepted once is remembered, parsed, so that the next request
 * carrying it costs a lookup: no base64, no JSON, no signature.  The cache
 * is per child process and per virtual host, in the child's own memory:
 * a hit hands the request pointers into the entry (its claims stay one
 * jansson object, shared read-only; jansson >= 2.12 counts references
 * atomically and dumps without marking objects), never a copy or a parse.
 * A cache in shared memory would have to serialise the claims and parse
 * them again on every hit, behind a cross-process lock: the design notes
 * of the README give the measurements.
 *
 * An entry belongs to the rules that accepted it.  Its key is the token's
 * bytes (compared in full; the hash only picks the bucket) AND a keyed
 * SipHash of every validation rule of the location: the keys (RFC 7638
 * thumbprints, kids, issuers, algorithms), the decryption keys, issuers,
 * audiences, types, required claims, leeway, max TTL, max size, the user
 * claim, the JWE options.  A location whose rules differ in any way finds
 * nothing and checks the token in full.  On every hit exp and nbf are
 * checked against the request time, the verifying key must still be in
 * the location's current key set (a key removed drops what it verified),
 * and the caller checks revocation; Require runs as for any request.
 * Only accepted tokens are inserted.  Memory is bounded: at most
 * AuthJWTCacheSize entries per virtual host and child, least recently
 * used out first, each at most AuthJWTCacheMaxAge seconds old.
 *
 * Thread safety (event, worker MPMs): 16 stripes, each with its own mutex,
 * buckets and LRU list; an entry is reference counted (atomics), so a
 * request keeps its entry alive until its pool is cleared even when
 * another thread evicts it meanwhile.  Entries are immutable once
 * inserted, except for the revocation lookup state (one atomic word).
 */

#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_request.h"

#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "apr_random.h"
#include "apr_general.h"

#include "mod_authn_jwt.h"

APLOG_USE_MODULE(authn_jwt);

#define STRIPES         16
#define STRIPE_MASK     (STRIPES - 1)
/* Bytes of the token's end that pick the bucket: the signature (or the JWE
 * tag), the part that differs between any two tokens. */
#define HASH_TAIL       64
/* Entry blocks are kept for reuse in power-of-two classes from 1 KiB to
 * 64 KiB, a few per class and stripe: a miss then costs no malloc of a
 * large chunk (which makes glibc consolidate its fast bins, measured at
 * several microseconds under load). */
#define BLOCK_MIN       1024
#define BLOCK_CLASSES   7
#define BLOCK_KEEP      8
#define BLOCK_MALLOC    0xff
/* A full stripe admits a new token at its second sighting among the last
 * SEEN_WINDOW x its capacity new tokens, with SEEN_BITS bits of filter
 * per token of that window. */
#define SEEN_WINDOW     2
#define SEEN_BITS       16

/* jansson before 2.12 marked objects while dumping them: not shareable
 * between threads, so the cache stays off there. */
#if JANSSON_VERSION_HEX >= 0x020c00 && defined(JSON_HAVE_ATOMIC_BUILTINS) \
    && JSON_HAVE_ATOMIC_BUILTINS && APR_HAS_THREADS
#define CACHE_POSSIBLE 1
#else
#define CACHE_POSSIBLE 0
#endif

typedef struct cache_entry cache_entry_t;

struct cache_entry {
    cache_entry_t *next;            /* bucket chain                      */
    cache_entry_t *older, *newer;   /* the stripe's LRU list             */
    uint64_t hash;                  /* of the token                      */
    uint64_t rules;                 /* fingerprint of the rules          */
    uint32_t refs;                  /* the table's + each request's      */
    uint32_t linked;                /* in the table (stripe lock)        */
    unsigned char block;            /* size class, or BLOCK_MALLOC       */
    struct stripe *home;            /* whose free blocks it returns to   */
    apr_int64_t inserted;           /* seconds                           */
    size_t len;
    const char *token;              /* LEN bytes, in this block          */
    const char *thumbprint;         /* of the key that verified          */
    const char *user;               /* in the claims (user_claim is one
                                     * of the rules)                     */
    int key_in_decrypt_set;         /* unsigned JWE: the decrypting key  */
    jwt_t jwt;                      /* jws points at JWS below           */
    jws_t jws;                      /* header fields and signing input   */
    authn_jwt_env_t *env;           /* JWT_* variables, in this block    */
    int nenv;
    authn_jwt_rev_state_t rev;      /* revocation lookup state           */
};

typedef struct block {
    struct block *next;
} block_t;

typedef struct stripe {
    apr_thread_mutex_t *lock;
    block_t *free_blocks[BLOCK_CLASSES];
    unsigned nfree[BLOCK_CLASSES];
    cache_entry_t **buckets;        /* NULL until the first insert       */
    unsigned nbuckets;              /* power of two                      */
    unsigned count, cap;
    cache_entry_t lru;              /* sentinel: lru.newer is the oldest */
    /* The admission filter of a full stripe: the tokens seen once
     * lately, two bits each, forgotten all at once every SEEN_WINDOW
     * cache sizes of new tokens. */
    uint64_t *seen;                 /* NULL until the stripe is full     */
    unsigned seen_mask;             /* bits - 1, bits a power of two     */
    unsigned seen_count, seen_limit;
} stripe_t;

struct authn_jwt_cache {
    stripe_t stripe[STRIPES];
};

/* Per child: the SipHash key, drawn in child_init, read-only after. */
static uint64_t sip_k0, sip_k1;

/* ---- SipHash-1-3 (Aumasson and Bernstein), streaming ---- */

typedef struct {
    uint64_t v0, v1, v2, v3;
    uint64_t tail;
    unsigned ntail;
    uint64_t total;
} sip_t;

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

/* A round is a dozen instructions: a call for each would cost a third
 * more on every lookup. */
#if defined(__GNUC__)
#define SIP_INLINE static inline __attribute__((always_inline))
#else
#define SIP_INLINE static APR_INLINE
#endif

SIP_INLINE void sip_round(sip_t *s)
{
    s->v0 += s->v1; s->v1 = ROTL(s->v1, 13); s->v1 ^= s->v0;
    s->v0 = ROTL(s->v0, 32);
    s->v2 += s->v3; s->v3 = ROTL(s->v3, 16); s->v3 ^= s->v2;
    s->v0 += s->v3; s->v3 = ROTL(s->v3, 21); s->v3 ^= s->v0;
    s->v2 += s->v1; s->v1 = ROTL(s->v1, 17); s->v1 ^= s->v2;
    s->v2 = ROTL(s->v2, 32);
}

static void sip_init_key(sip_t *s, uint64_t k0, uint64_t k1)
{
    s->v0 = k0 ^ UINT64_C(0x736f6d6570736575);
    s->v1 = k1 ^ UINT64_C(0x646f72616e646f6d);
    s->v2 = k0 ^ UINT64_C(0x6c7967656e657261);
    s->v3 = k1 ^ UINT64_C(0x7465646279746573);
    s->tail = 0;
    s->ntail = 0;
    s->total = 0;
}

/* The token hash: this child's random key. */
static void sip_init(sip_t *s)
{
    sip_init_key(s, sip_k0, sip_k1);
}

/* Rule fingerprints: a fixed key, so that a fingerprint computed in the
 * parent (at start-up) and one computed in a child agree.  Rules are the
 * administrator's, not an attacker's: the key only has to spread. */
#define RULES_K0 UINT64_C(0x6d6f645f61757468)
#define RULES_K1 UINT64_C(0x6e5f6a7774727573)

SIP_INLINE void sip_word(sip_t *s, uint64_t m)
{
    s->v3 ^= m;
    sip_round(s);
    s->v0 ^= m;
}

static void sip_bytes(sip_t *s, const void *data, size_t n)
{
    const unsigned char *p = data;

    s->total += n;
    while (n > 0 && s->ntail != 0) {
        s->tail |= (uint64_t)*p++ << (8 * s->ntail);
        n--;
        if (++s->ntail == 8) {
            sip_word(s, s->tail);
            s->tail = 0;
            s->ntail = 0;
        }
    }
    while (n >= 8) {
        uint64_t m = (uint64_t)p[0] | (uint64_t)p[1] << 8
                     | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24
                     | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40
                     | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;

        sip_word(s, m);
        p += 8;
        n -= 8;
    }
    while (n > 0) {
        s->tail |= (uint64_t)*p++ << (8 * s->ntail);
        s->ntail++;
        n--;
    }
}

static uint64_t sip_final(sip_t *s)
{
    sip_word(s, s->tail | (s->total << 56));
    s->v2 ^= 0xff;
    sip_round(s);
    sip_round(s);
    sip_round(s);
    return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* Length-prefixed, so that ("ab","c") and ("a","bc") differ, and NULL
 * differs from ""; the last word is zero-padded (the length says where
 * the string ended), so the state stays word-aligned and no byte is
 * handled on its own. */
static void sip_str(sip_t *s, const char *str)
{
    size_t n, i;
    uint64_t m;

    if (str == NULL) {
        sip_word(s, UINT64_MAX);
        s->total += 8;
        return;
    }
    n = strlen(str);
    sip_word(s, (uint64_t)n);
    for (i = 0; i + 8 <= n; i += 8) {
        memcpy(&m, str + i, 8);
        sip_word(s, m);
    }
    if (i < n) {
        m = 0;
        memcpy(&m, str + i, n - i);
        sip_word(s, m);
    }
    s->total += 8 + ((n + 7) & ~(size_t)7);
}

/* Only while the state is word-aligned (after sip_init, sip_str,
 * sip_u64). */
SIP_INLINE void sip_u64(sip_t *s, uint64_t v)
{
    sip_word(s, v);
    s->total += 8;
}

static void sip_strings(sip_t *s, const apr_array_header_t *a)
{
    int i;

    if (a == NULL) {
        sip_u64(s, UINT64_MAX);
        return;
    }
    sip_u64(s, (uint64_t)a->nelts);
    for (i = 0; i < a->nelts; i++) {
        sip_str(s, APR_ARRAY_IDX(a, i, const char *));
    }
}

static void sip_keys(sip_t *s, const jwk_set_t *set)
{
    int i, n = jwk_set_size(set);

    sip_u64(s, (uint64_t)n);
    for (i = 0; i < n; i++) {
        const jwk_t *k = APR_ARRAY_IDX(set->keys, i, const jwk_t *);

        sip_str(s, k->thumbprint);
        sip_str(s, k->kid);
        sip_str(s, k->iss);
        sip_u64(s, (uint64_t)k->algs);
        sip_u64(s, (uint64_t)k->encs);
        sip_u64(s, (uint64_t)k->use);
    }
}

/* A new member of jwt_rules_t must be added to rules_fingerprint: this
 * stops the build until it is. */
_Static_assert(sizeof(jwt_rules_t) == 13 * 8,
               "jwt_rules_t changed: update rules_fingerprint()");

/* The fingerprint of one list or key set of CONF, computed once per
 * configuration record and kept in it (records are never changed once
 * the configuration is read; a record of .htaccess lives one request). */
uint64_t authn_jwt_rules_part(authn_jwt_dir_conf_t *conf, int part)
{
    uint64_t fp = __atomic_load_n(&conf->rules_fp[part], __ATOMIC_RELAXED);
    sip_t s;

    if (fp != 0) {
        return fp;
    }
    sip_init_key(&s, RULES_K0, RULES_K1);
    sip_u64(&s, (uint64_t)part);
    switch (part) {
    case AUTHN_JWT_FP_VERIFY_KEYS:
        sip_keys(&s, conf->verify_keys);
        break;
    case AUTHN_JWT_FP_DECRYPT_KEYS:
        sip_keys(&s, conf->decrypt_keys);
        break;
    case AUTHN_JWT_FP_ISSUERS:
        sip_strings(&s, conf->rules.issuers);
        break;
    case AUTHN_JWT_FP_AUDIENCES:
        sip_strings(&s, conf->rules.audiences);
        break;
    case AUTHN_JWT_FP_REQUIRED:
        sip_strings(&s, conf->rules.required);
        break;
    default:
        sip_strings(&s, conf->rules.types);
        break;
    }
    fp = sip_final(&s) | 1;     /* never 0: 0 means "not computed" */
    __atomic_store_n(&conf->rules_fp[part], fp, __ATOMIC_RELAXED);
    return fp;
}

/* Every rule of the location that decides whether a token is accepted:
 * the parts kept in the record, and the scalars. */
static uint64_t rules_fingerprint(const authn_jwt_dir_conf_t *conf,
                                  const jwk_set_t *verify_keys)
{
    authn_jwt_dir_conf_t *c = (authn_jwt_dir_conf_t *)conf;
    const jwt_rules_t *ru = &conf->rules;
    int own_keys = verify_keys == conf->verify_keys;
    uint64_t fp;
    int i;
    sip_t s;

    /* Kept in the record for its own keys (a record is never changed once
     * read, and the merge shares a record when one side sets nothing);
     * any thread computes the same value. */
    if (own_keys) {
        fp = __atomic_load_n(&c->rules_fp_all, __ATOMIC_RELAXED);
        if (fp != 0) {
            return fp;
        }
    }
    sip_init_key(&s, RULES_K0, RULES_K1);
    if (verify_keys != conf->verify_keys) {
        /* a key set that changes at run time: hashed as it is now */
        sip_keys(&s, verify_keys);
    }
    for (i = 0; i < AUTHN_JWT_FP_COUNT; i++) {
        sip_u64(&s, authn_jwt_rules_part(c, i));
    }
    sip_u64(&s, (uint64_t)ru->require_encryption);
    sip_u64(&s, (uint64_t)ru->allow_unsigned_jwe);
    sip_u64(&s, (uint64_t)ru->max_p2c);
    sip_u64(&s, (uint64_t)ru->leeway);
    sip_u64(&s, (uint64_t)ru->max_ttl);
    sip_u64(&s, (uint64_t)ru->max_size);
    sip_str(&s, ru->user_claim);
    /* claims_flat is left out: it says how the claims are read, never
     * which tokens pass (check_jwt flat_agrees) */
    /* not a rule, but the cached JWT_SCOPE depends on it */
    sip_str(&s, conf->scope_claim);
    fp = sip_final(&s) | 1;     /* never 0: 0 means "not computed" */
    if (own_keys) {
        __atomic_store_n(&c->rules_fp_all, fp, __ATOMIC_RELAXED);
    }
    return fp;
}

/* The bucket hash: the token's length and its last bytes.  Only accepted
 * tokens get in, and the whole token is compared, so the hash needs no
 * more than spread. */
static uint64_t token_hash(const char *token, size_t len)
{
    size_t n = len < HASH_TAIL ? len : HASH_TAIL;
    sip_t s;

    sip_init(&s);
    sip_u64(&s, (uint64_t)len);
    sip_bytes(&s, token + len - n, n);
    return sip_final(&s);
}

/* ---- entries ---- */

/* A zeroed block of at least SIZE bytes for an entry of stripe ST. */
static cache_entry_t *entry_alloc(stripe_t *st, size_t size)
{
    unsigned cls = 0;
    cache_entry_t *e = NULL;

    while (cls < BLOCK_CLASSES && ((size_t)BLOCK_MIN << cls) < size) {
        cls++;
    }
    if (cls < BLOCK_CLASSES) {
        apr_thread_mutex_lock(st->lock);
        if (st->free_blocks[cls] != NULL) {
            e = (cache_entry_t *)st->free_blocks[cls];
            st->free_blocks[cls] = st->free_blocks[cls]->next;
            st->nfree[cls]--;
        }
        apr_thread_mutex_unlock(st->lock);
        if (e == NULL) {
            e = malloc((size_t)BLOCK_MIN << cls);
        }
    }
    else {
        e = malloc(size);
    }
    if (e != NULL) {
        memset(e, 0, size);
        e->block = cls < BLOCK_CLASSES ? (unsigned char)cls : BLOCK_MALLOC;
        e->home = st;
    }
    return e;
}

/* Never called with a stripe lock held. */
static void entry_free(cache_entry_t *e)
{
    stripe_t *st = e->home;
    unsigned cls = e->block;

    json_decref(e->jwt.claims);
    json_decref(e->jwt.jwe_header);
    if (cls < BLOCK_CLASSES) {
        apr_thread_mutex_lock(st->lock);
        if (st->nfree[cls] < BLOCK_KEEP) {
            block_t *b = (block_t *)e;

            b->next = st->free_blocks[cls];
            st->free_blocks[cls] = b;
            st->nfree[cls]++;
            e = NULL;
        }
        apr_thread_mutex_unlock(st->lock);
    }
    free(e);
}

static void entry_release(cache_entry_t *e)
{
    if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        entry_free(e);
    }
}

static apr_status_t entry_release_cleanup(void *data)
{
    entry_release(data);
    return APR_SUCCESS;
}

/* Stripe lock held. */
static void lru_unlink(cache_entry_t *e)
{
    e->older->newer = e->newer;
    e->newer->older = e->older;
}

static void lru_push_newest(stripe_t *st, cache_entry_t *e)
{
    e->newer = &st->lru;
    e->older = st->lru.older;
    st->lru.older->newer = e;
    st->lru.older = e;
}

/* Stripe lock held; the table's reference goes to the caller. */
static void table_unlink(stripe_t *st, cache_entry_t *e)
{
    cache_entry_t **pp = &st->buckets[(e->hash >> 4) & (st->nbuckets - 1)];

    while (*pp != NULL && *pp != e) {
        pp = &(*pp)->next;
    }
    if (*pp == e) {
        *pp = e->next;
    }
    lru_unlink(e);
    e->linked = 0;
    st->count--;
}

static stripe_t *stripe_of(struct authn_jwt_cache *c, uint64_t hash)
{
    return &c->stripe[hash & STRIPE_MASK];
}

static struct authn_jwt_cache *cache_for(const request_rec *r,
                                         const authn_jwt_dir_conf_t *conf)
{
    const authn_jwt_srv_conf_t *sc;

    if (!CACHE_POSSIBLE || !conf->cache) {
        return NULL;
    }
    sc = ap_get_module_config(r->server->module_config, &authn_jwt_module);
    return sc != NULL ? sc->cache : NULL;
}

/* The key that verified E, if the location's current set still has it. */
static const jwk_t *current_key(const cache_entry_t *e,
                                const authn_jwt_dir_conf_t *conf,
                                const jwk_set_t *verify_keys)
{
    const jwk_set_t *set = e->key_in_decrypt_set ? conf->rules.decrypt_keys
                                                 : verify_keys;
    int i, n = jwk_set_size(set);

    for (i = 0; i < n; i++) {
        const jwk_t *k = APR_ARRAY_IDX(set->keys, i, const jwk_t *);

        if (k->thumbprint != NULL && strcmp(k->thumbprint, e->thumbprint) == 0
            && (e->jws.alg == NULL || JOSE_ALG_IN(k->algs, e->jws.alg->id))
            && (k->iss == NULL
                || (e->jwt.iss != NULL && strcmp(k->iss, e->jwt.iss) == 0))) {
            return k;
        }
    }
    return NULL;
}

/*
 * Stripe lock held; HASH missed.  Whether the token may be inserted once
 * it is accepted.  Until the stripe is full, always: a token seen again
 * costs a lookup.  A full stripe would have to push out an entry for it,
 * so it takes only a token seen before among the recent new ones: a
 * stream of tokens used once each (short-lived tokens, each client its
 * own) then costs what the check costs without a cache, instead of an
 * insert and an eviction per request, and does not push out the tokens
 * in use.  A token in use is taken at its second request.  The filter is
 * two bits per token in a bitmap, cleared every SEEN_WINDOW capacities of
 * new tokens; a false positive only admits a token.
 */
static int admit(stripe_t *st, uint64_t hash)
{
    unsigned b1, b2;
    int seen;

    if (st->count < st->cap) {
        return 1;
    }
    if (st->seen == NULL) {
        unsigned bits = 512;

        while (bits < st->cap * SEEN_WINDOW * SEEN_BITS && bits < (1u << 30)) {
            bits <<= 1;
        }
        st->seen = calloc(bits / 64, sizeof(uint64_t));
        if (st->seen == NULL) {
            return 1;
        }
        st->seen_mask = bits - 1;
        st->seen_limit = st->cap * SEEN_WINDOW;
    }
    /* bits 0-3 pick the stripe and the next ones the bucket: the filter
     * takes the high half */
    b1 = (unsigned)(hash >> 32) & st->seen_mask;
    b2 = (unsigned)(hash >> 48 | hash << 16) & st->seen_mask;
    seen = (st->seen[b1 / 64] >> (b1 % 64) & 1)
           && (st->seen[b2 / 64] >> (b2 % 64) & 1);
    if (!seen) {
        if (++st->seen_count > st->seen_limit) {
            memset(st->seen, 0, (st->seen_mask + 1) / 8);
            st->seen_count = 1;
        }
        st->seen[b1 / 64] |= (uint64_t)1 << (b1 % 64);
        st->seen[b2 / 64] |= (uint64_t)1 << (b2 % 64);
    }
    return seen;
}

int authn_jwt_cache_lookup(authn_jwt_cache_ctx_t *cc, request_rec *r,
                           const authn_jwt_dir_conf_t *conf,
                           const char *token, size_t len, jwt_t **out)
{
    struct authn_jwt_cache *c = cache_for(r, conf);
    const jwk_set_t *keys;
    apr_int64_t now = apr_time_sec(r->request_time);
    cache_entry_t *e, *drop = NULL;
    const jwk_t *key;
    stripe_t *st;
    jwt_t *jwt;

    memset(cc, 0, sizeof(*cc));
    if (c == NULL || len == 0
        || len > (conf->rules.max_size ? conf->rules.max_size
                                       : JWT_DEFAULT_MAX_SIZE)) {
        return 0;
    }
    keys = authn_jwt_verify_keys(r, conf);
    cc->cache = c;
    cc->hash = token_hash(token, len);
    cc->rules = rules_fingerprint(conf, keys);
    st = stripe_of(c, cc->hash);

    apr_thread_mutex_lock(st->lock);
    e = st->buckets ? st->buckets[(cc->hash >> 4) & (st->nbuckets - 1)]
                    : NULL;
    for (; e != NULL; e = e->next) {
        if (e->hash == cc->hash && e->rules == cc->rules && e->len == len
            && memcmp(e->token, token, len) == 0) {
            break;
        }
    }
    if (e != NULL) {
        int fresh = now - e->inserted < conf->cache_max_age
                    && now >= e->inserted;
        /* What only time changes: exp and nbf, as jwt_validate has them
         * (max TTL and iat only get better with time). */
        if (e->jwt.has_exp && now >= e->jwt.exp + conf->rules.leeway) {
            fresh = 0;
        }
        if (e->jwt.has_nbf && now + conf->rules.leeway < e->jwt.nbf) {
            fresh = 0;
        }
        key = fresh ? current_key(e, conf, keys) : NULL;
        if (key == NULL) {
            /* Checked in full below, and inserted again if it passes. */
            table_unlink(st, e);
            drop = e;
            e = NULL;
            cc->admit = 1;
        }
        else {
            lru_unlink(e);
            lru_push_newest(st, e);
            __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
        }
    }
    else {
        cc->admit = admit(st, cc->hash);
    }
    apr_thread_mutex_unlock(st->lock);
    if (drop != NULL) {
        entry_release(drop);
    }
    if (e == NULL) {
        authn_jwt_metric_inc(AUTHN_JWT_M_CACHE_MISS);
        return 0;
    }
    apr_pool_cleanup_register(r->pool, e, entry_release_cleanup,
                              apr_pool_cleanup_null);
    jwt = apr_pmemdup(r->pool, &e->jwt, sizeof(*jwt));
    jwt->key = key;
    cc->rev = &e->rev;
    cc->env = e->env;
    cc->nenv = e->nenv;
    cc->user = e->user;
    cc->hit = 1;
    *out = jwt;
    authn_jwt_metric_inc(AUTHN_JWT_M_CACHE_HIT);
    return 1;
}

/* The entry's own copy of S (NULL stays NULL); *P advances. */
static const char *put_str(char **p, const char *s)
{
    size_t n;
    char *d;

    if (s == NULL) {
        return NULL;
    }
    n = strlen(s) + 1;
    d = *p;
    memcpy(d, s, n);
    *p += n;
    return d;
}

/* What put_str takes for S. */
static size_t str_size(const char *s)
{
    return s != NULL ? strlen(s) + 1 : 0;
}

void authn_jwt_cache_insert(authn_jwt_cache_ctx_t *cc, request_rec *r,
                            const authn_jwt_dir_conf_t *conf,
                            const char *token, size_t len, const jwt_t *jwt,
                            const char *user,
                            const authn_jwt_env_t *env, int nenv)
{
    struct authn_jwt_cache *c = cc->cache;
    const jws_t *jws = jwt->jws;
    cache_entry_t *e, *old = NULL, *x, **bucket;
    size_t si_len = 0, size, env_size = 0;
    int si_inside = 0, i;
    stripe_t *st;
    char *p;

    (void)conf;
    if (c == NULL || cc->hit || !cc->admit || jwt->key == NULL
        || jwt->key->thumbprint == NULL || user == NULL) {
        return;
    }
    if (jws != NULL && jws->signing_input != NULL) {
        si_len = jws->signing_input_len;
        si_inside = jws->signing_input >= token
                    && jws->signing_input + si_len <= token + len;
    }
    for (i = 0; i < nenv; i++) {
        env_size += strlen(env[i].name) + strlen(env[i].value) + 2;
    }
    /* the header's strings live in the request's pool (they may point
     * into the decoded header itself): the entry keeps copies */
    env_size += str_size(jwt->alg) + str_size(jwt->kid) + str_size(jwt->typ)
                + str_size(user);
    if (jws != NULL) {
        env_size += str_size(jws->alg_name) + str_size(jws->kid)
                    + str_size(jws->typ) + str_size(jws->cty);
    }
    size = sizeof(*e) + (size_t)nenv * sizeof(authn_jwt_env_t) + env_size
           + len + 1 + strlen(jwt->key->thumbprint) + 1
           + (si_inside ? 0 : si_len + 1);
    st = stripe_of(c, cc->hash);
    e = entry_alloc(st, size);
    if (e == NULL) {
        return;
    }
    e->env = (authn_jwt_env_t *)(e + 1);
    e->nenv = nenv;
    p = (char *)(e->env + nenv);
    for (i = 0; i < nenv; i++) {
        e->env[i].name = put_str(&p, env[i].name);
        e->env[i].value = put_str(&p, env[i].value);
    }
    memcpy(p, token, len);
    p[len] = '\0';
    e->token = p;
    e->len = len;
    p += len + 1;
    e->thumbprint = put_str(&p, jwt->key->thumbprint);
    e->user = put_str(&p, user);
    e->key_in_decrypt_set = jwt->unsigned_jwe;
    e->hash = cc->hash;
    e->rules = cc->rules;
    e->inserted = apr_time_sec(r->request_time);
    e->refs = 1;

    /* The parsed token, with claims of its own: the request's object when
     * there is one (never changed after parsing; the entry takes a
     * reference), else one made from the claims read flat, which point
     * into the request's pool.  Its iss, sub, jti, scope and aud are found
     * again in that object. */
    e->jwt = *jwt;
    e->jwt.claims = NULL;
    e->jwt.jwe_header = json_incref(jwt->jwe_header);
    if (jwt_use_claims(&e->jwt, jwt_claims_object(jwt)) != JWT_OK) {
        entry_free(e);
        return;
    }
    e->jwt.key = NULL;
    e->jwt.jws = &e->jws;
    e->jwt.alg = put_str(&p, jwt->alg);
    e->jwt.kid = put_str(&p, jwt->kid);
    e->jwt.typ = put_str(&p, jwt->typ);
    if (jws != NULL) {
        e->jws = *jws;
        e->jws.alg_name = put_str(&p, jws->alg_name);
        e->jws.kid = put_str(&p, jws->kid);
        e->jws.typ = put_str(&p, jws->typ);
        e->jws.cty = put_str(&p, jws->cty);
        e->jws.payload = NULL;
        e->jws.payload_len = 0;
        e->jws.sig = NULL;
        e->jws.sig_len = 0;
        if (si_inside) {
            e->jws.signing_input = e->token + (jws->signing_input - token);
        }
        else if (jws->signing_input != NULL) {
            memcpy(p, jws->signing_input, si_len);
            p[si_len] = '\0';
            e->jws.signing_input = p;
        }
    }
    else {
        /* unsigned JWE: no inner JWS; the header is the JWE header */
        memset(&e->jws, 0, sizeof(e->jws));
        e->jwt.jws = NULL;
    }

    apr_thread_mutex_lock(st->lock);
    if (st->buckets == NULL) {
        st->buckets = calloc(st->nbuckets, sizeof(*st->buckets));
    }
    if (st->buckets == NULL) {
        apr_thread_mutex_unlock(st->lock);
        entry_free(e);
        return;
    }
    bucket = &st->buckets[(e->hash >> 4) & (st->nbuckets - 1)];
    for (x = *bucket; x != NULL; x = x->next) {
        if (x->hash == e->hash && x->rules == e->rules && x->len == len
            && memcmp(x->token, token, len) == 0) {
            break;
        }
    }
    if (x != NULL) {
        /* another thread was first */
        apr_thread_mutex_unlock(st->lock);
        entry_free(e);
        return;
    }
    if (st->count >= st->cap) {
        old = st->lru.newer;
        table_unlink(st, old);
        authn_jwt_metric_inc(AUTHN_JWT_M_CACHE_EVICT);
    }
    e->next = *bucket;
    *bucket = e;
    lru_push_newest(st, e);
    e->linked = 1;
    st->count++;
    apr_thread_mutex_unlock(st->lock);
    if (old != NULL) {
        entry_release(old);
    }
    /* A lookup made by this request before the insert is the entry's
     * first one. */
    if (cc->rev_checked != 0) {
        __atomic_store_n(&e->rev.word, cc->rev_checked, __ATOMIC_RELEASE);
    }
}

/* ---- child start ---- */

/* There is no cleanup that frees the cache: it lives as long as the child,
 * whose memory goes with it.  A cleanup would run when the child pool is
 * destroyed, and prefork destroys it inside its SIGTERM handler: there,
 * free() would wait forever for the allocator lock of the malloc() the
 * signal interrupted (the parent's SIGKILL ends it three seconds later),
 * or corrupt the heap of a child with one thread. */

static struct authn_jwt_cache *cache_make(apr_pool_t *p, server_rec *s,
                                          unsigned size)
{
    struct authn_jwt_cache *c = apr_pcalloc(p, sizeof(*c));
    unsigned i, cap = (size + STRIPES - 1) / STRIPES;
    apr_status_t rv;

    if (cap == 0) {
        cap = 1;
    }
    for (i = 0; i < STRIPES; i++) {
        stripe_t *st = &c->stripe[i];

        rv = apr_thread_mutex_create(&st->lock, APR_THREAD_MUTEX_DEFAULT, p);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, AJLOGNO(00321)
                         "cannot create the token cache's locks: the "
                         "cache is off in this process");
            return NULL;
        }
        st->cap = cap;
        st->nbuckets = 1;
        while (st->nbuckets < cap) {
            st->nbuckets <<= 1;
        }
        st->lru.newer = st->lru.older = &st->lru;
    }
    return c;
}

static void cache_child_init(apr_pool_t *p, server_rec *s)
{
    unsigned char seed[16];
    server_rec *v;

    if (!CACHE_POSSIBLE) {
        return;
    }
    if (apr_generate_random_bytes(seed, sizeof(seed)) != APR_SUCCESS) {
        /* Only the spread of the buckets depends on it. */
        memset(seed, 0x5a, sizeof(seed));
        seed[0] ^= (unsigned char)getpid();
    }
    memcpy(&sip_k0, seed, 8);
    memcpy(&sip_k1, seed + 8, 8);
    for (v = s; v != NULL; v = v->next) {
        authn_jwt_srv_conf_t *sc =
            ap_get_module_config(v->module_config, &authn_jwt_module);

        if (sc != NULL && sc->cache_size > 0) {
            sc->cache = cache_make(p, v, (unsigned)sc->cache_size);
        }
    }
}

/* ---- directives ---- */

const char *authn_jwt_set_cache(cmd_parms *cmd, void *dconf, int on)
{
    authn_jwt_dir_conf_t *conf = dconf;

    (void)cmd;
    conf->cache = on ? 1 : 0;
    conf->cache_set = 1;
    return NULL;
}

const char *authn_jwt_set_cache_max_age(cmd_parms *cmd, void *dconf,
                                        const char *arg)
{
    authn_jwt_dir_conf_t *conf = dconf;
    apr_int64_t v;
    const char *err = authn_jwt_parse_seconds(cmd, arg, 1,
                                              AUTHN_JWT_CACHE_MAX_AGE_MAX,
                                              &v);

    if (err != NULL) {
        return err;
    }
    conf->cache_max_age = v;
    conf->cache_max_age_set = 1;
    return NULL;
}

const char *authn_jwt_set_cache_size(cmd_parms *cmd, void *dummy,
                                     const char *arg)
{
    authn_jwt_srv_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &authn_jwt_module);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_LOC_FILE);
    apr_int64_t v;
    char *end;

    (void)dummy;
    if (err != NULL) {
        return err;
    }
    v = apr_strtoi64(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || v < 0
        || v > AUTHN_JWT_CACHE_SIZE_MAX) {
        return apr_psprintf(cmd->pool, "%s: \"%s\" is not a number of "
                            "entries from 0 (no cache) to %d",
                            cmd->cmd->name, arg, AUTHN_JWT_CACHE_SIZE_MAX);
    }
    sc->cache_size = (int)v;
    sc->cache_size_set = 1;
    return NULL;
}

void authn_jwt_register_cache(apr_pool_t *p)
{
    (void)p;
    ap_hook_child_init(cache_child_init, NULL, NULL, APR_HOOK_MIDDLE);
}
