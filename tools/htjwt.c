/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * htjwt: the command-line companion of mod_authn_jwt, in the spirit of
 * htpasswd.  It shares the module's core (src/): the same key loader, the
 * same algorithm table, the same verifier and the same rejection reasons,
 * so "htjwt verify" answers exactly what the module would.
 *
 *   htjwt keygen TYPE        make a key (PEM or JWK)
 *   htjwt sign               make a signed (optionally encrypted) token
 *   htjwt verify             check a token like the module does
 *   htjwt decode             show a token WITHOUT checking it
 *   htjwt thumbprint KEY     RFC 7638 thumbprint of a key
 *   htjwt apikey             make an API key ID.SECRET and its htpasswd line
 *   htjwt revoke URL         revoke a token at a running server
 *                            (tools/htjwt_revoke.c)
 *
 * Exit status: 0 success, 1 token rejected, 2 usage or key error.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>

#include <apr_general.h>
#include <apr_getopt.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <apr_md5.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/err.h>

#include "authn_jwt_version.h"
#include "jose_alg.h"
#include "jose_b64.h"
#include "jose_util.h"
#include "jwk.h"
#include "jws.h"
#include "jwe.h"
#include "jwt.h"
#include "jwt_issue.h"
#include "htjwt.h"
#include "jwks_remote.h"

#define EXIT_REJECTED 1
#define EXIT_USAGE    2

#define MAX_TOKEN_INPUT (1024 * 1024)

static const char *progname = "htjwt";
const char *const htjwt_progname = "htjwt";

static void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(EXIT_USAGE);
}

static void core_log(int level, const char *msg, void *baton)
{
    (void)baton;
    if (level <= 4) {
        fprintf(stderr, "%s: %s\n", progname, msg);
    }
}

/* ------------------------------------------------------------------ */
/* shared option handling                                              */

typedef struct {
    const char *key;            /* --key                               */
    const char *alg;            /* --alg                               */
    const char *kid;            /* --kid                               */
} key_opts_t;

static jose_alg_set_t parse_algs(const char *list, jose_use_t use)
{
    jose_alg_set_t set = 0;
    const char *bad = "";
    size_t n = 0;

    if (list == NULL) {
        return 0;
    }
    if (jose_alg_set_parse(&set, list, use, &bad, &n) != 0) {
        die("unknown %s algorithm '%.*s'",
            use == JOSE_USE_SIG ? "signature" : "key management", (int)n,
            bad);
    }
    return set;
}

static jose_enc_set_t parse_encs(const char *list)
{
    jose_enc_set_t set = 0;
    const char *bad = "";
    size_t n = 0;

    if (list == NULL) {
        return 0;
    }
    if (jose_enc_set_parse(&set, list, &bad, &n) != 0) {
        die("unknown content encryption '%.*s'", (int)n, bad);
    }
    return set;
}

static const jwk_t *load_one_key(apr_pool_t *p, const char *source,
                                 jose_use_t use, int want_private,
                                 const char *algs, const char *kid)
{
    jwk_set_t *set = jwk_set_make(p);
    jwk_load_opts_t o;
    const char *err = NULL;

    memset(&o, 0, sizeof(o));
    o.use = use;
    o.want_private = want_private;
    o.algs = parse_algs(algs, use);
    o.kid = kid;
    if (jwk_load(set, p, source, &o, &err) != 0) {
        die("%s", err ? err : "cannot load key");
    }
    if (set->keys->nelts != 1) {
        die("%s holds %d keys; name a file with exactly one key",
            source, set->keys->nelts);
    }
    return APR_ARRAY_IDX(set->keys, 0, const jwk_t *);
}

static char *read_stream(apr_pool_t *p, FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    char *out;

    if (buf == NULL) {
        die("out of memory");
    }
    for (;;) {
        size_t got;

        if (n == cap) {
            if (cap >= MAX_TOKEN_INPUT) {
                free(buf);
                die("input longer than %d bytes", MAX_TOKEN_INPUT);
            }
            cap *= 2;
            buf = realloc(buf, cap);
            if (buf == NULL) {
                die("out of memory");
            }
        }
        got = fread(buf + n, 1, cap - n, f);
        if (got == 0) {
            break;
        }
        n += got;
    }
    out = apr_pstrmemdup(p, buf, n);
    free(buf);
    *len = n;
    return out;
}

/* A token from the argument, or "-"/nothing for standard input; one line
 * of surrounding whitespace is dropped (shell pipes add a newline). */
static const char *token_arg(apr_pool_t *p, const char *arg, size_t *len)
{
    const char *t;
    size_t n;

    if (arg == NULL || strcmp(arg, "-") == 0) {
        t = read_stream(p, stdin, &n);
    }
    else {
        t = arg;
        n = strlen(arg);
    }
    while (n > 0 && (t[n - 1] == '\n' || t[n - 1] == '\r'
                     || t[n - 1] == ' ' || t[n - 1] == '\t')) {
        n--;
    }
    while (n > 0 && (*t == ' ' || *t == '\t' || *t == '\n')) {
        t++;
        n--;
    }
    *len = n;
    return apr_pstrmemdup(p, t, n);
}

const char *htjwt_token_arg(apr_pool_t *p, const char *arg, size_t *len)
{
    return token_arg(p, arg, len);
}

static void print_json(FILE *f, const json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER
                            | JSON_ENCODE_ANY);

    if (s != NULL) {
        fprintf(f, "%s\n", s);
        free(s);
    }
}

static int64_t parse_number(const char *what, const char *s)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0
        || v > INT64_C(315360000000)) {
        die("%s must be a whole number, got '%s'", what, s);
    }
    return (int64_t)v;
}

/* Options may come before or after the operands (interleave), as the
 * man page shows them; a lone "-" (standard input) is an operand that
 * apr_getopt would take for a bad option, so it is set aside first and
 * reported through *DASH. */
static apr_getopt_t *opts_start(apr_pool_t *p, int argc,
                                const char *const *argv, int *dash)
{
    const char **copy = apr_palloc(p, sizeof(char *) * (size_t)(argc + 1));
    apr_getopt_t *os;
    int i, n = 0;

    if (dash != NULL) {
        *dash = 0;
    }
    for (i = 0; i < argc; i++) {
        if (i > 0 && dash != NULL && strcmp(argv[i], "-") == 0) {
            *dash = 1;
            continue;
        }
        copy[n++] = argv[i];
    }
    copy[n] = NULL;
    apr_getopt_init(&os, p, n, copy);
    os->interleave = 1;
    return os;
}

/* ------------------------------------------------------------------ */
/* keygen                                                              */

static const char keygen_help[] =
"usage: htjwt keygen TYPE [--jwk] [--public] [--kid KID] [--out FILE]\n"
"\n"
"Make a new key and write it as PEM (default) or as a JWK.\n"
"TYPE: rsa[:BITS] (default 3072), ec:P-256 | ec:P-384 | ec:P-521 |\n"
"      ec:secp256k1, ed25519, ed448, x25519, x448, oct[:BYTES] (HMAC or\n"
"      AES secret, default 64 bytes).\n"
"An oct key is written as base64url text (usable as secret:FILE, whose\n"
"bytes are the text) unless --jwk is given.\n"
"  --jwk         write a JWK instead of PEM\n"
"  --public      write only the public half (PEM SPKI or public JWK)\n"
"  --kid KID     kid of the JWK (asymmetric keys default to their RFC\n"
"                7638 thumbprint; an oct JWK has none unless given)\n"
"  --out FILE    write there (mode 0600) instead of standard output\n";

static EVP_PKEY *generate(const char *type)
{
    EVP_PKEY *pk = NULL;

    if (strncmp(type, "rsa", 3) == 0
        && (type[3] == '\0' || type[3] == ':')) {
        long bits = 3072;

        if (type[3] == ':') {
            bits = strtol(type + 4, NULL, 10);
        }
        if (bits < 2048 || bits > 16384) {
            die("RSA keys are 2048 to 16384 bits");
        }
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
    }
    else if (strncmp(type, "ec:", 3) == 0) {
        const char *crv = type + 3;

        if (strcmp(crv, "P-256") == 0) {
            crv = "P-256";
        }
        else if (strcmp(crv, "P-384") == 0) {
            crv = "P-384";
        }
        else if (strcmp(crv, "P-521") == 0) {
            crv = "P-521";
        }
        else if (strcmp(crv, "secp256k1") == 0) {
            crv = "secp256k1";
        }
        else {
            die("unknown curve '%s' (P-256, P-384, P-521, secp256k1)", crv);
        }
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", crv);
    }
    else if (strcmp(type, "ed25519") == 0) {
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    }
    else if (strcmp(type, "ed448") == 0) {
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED448");
    }
    else if (strcmp(type, "x25519") == 0) {
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    }
    else if (strcmp(type, "x448") == 0) {
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "X448");
    }
    else {
        die("unknown key type '%s'; see 'htjwt keygen --help'", type);
    }
    if (pk == NULL) {
        die("key generation failed");
    }
    return pk;
}

static FILE *open_out(const char *path)
{
    FILE *f;
    int fd;

    if (path == NULL) {
        return stdout;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
        die("cannot write %s: %s", path, strerror(errno));
    }
    return f;
}

static void close_out(FILE *f, const char *path)
{
    if (f != stdout && fclose(f) != 0) {
        die("cannot write %s: %s", path, strerror(errno));
    }
}

static int cmd_keygen(apr_pool_t *p, int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        { "jwk", 'j', 0, "" }, { "public", 'P', 0, "" },
        { "kid", 'k', 1, "" }, { "out", 'o', 1, "" },
        { "help", 'h', 0, "" }, { NULL, 0, 0, NULL }
    };
    apr_getopt_t *os;
    int ch, as_jwk = 0, public_only = 0;
    const char *arg, *kid = NULL, *out = NULL, *type;
    apr_status_t rv;
    FILE *f;

    os = opts_start(p, argc, argv, NULL);
    while ((rv = apr_getopt_long(os, opts, &ch, &arg)) == APR_SUCCESS) {
        switch (ch) {
        case 'j': as_jwk = 1; break;
        case 'P': public_only = 1; break;
        case 'k': kid = arg; break;
        case 'o': out = arg; break;
        case 'h': fputs(keygen_help, stdout); return 0;
        }
    }
    if (rv != APR_EOF || os->ind != os->argc - 1) {
        fputs(keygen_help, stderr);
        return EXIT_USAGE;
    }
    type = os->argv[os->ind];

    if (strncmp(type, "oct", 3) == 0 || strncmp(type, "hmac", 4) == 0) {
        const char *colon = strchr(type, ':');
        long bytes = colon ? strtol(colon + 1, NULL, 10) : 64;
        unsigned char *secret;
        const char *text;

        if (bytes < 16 || bytes > 1024) {
            die("oct keys are 16 to 1024 bytes");
        }
        secret = apr_palloc(p, (apr_size_t)bytes);
        jose_wipe_on_cleanup(p, secret, (size_t)bytes);
        if (RAND_bytes(secret, (int)bytes) != 1) {
            die("no randomness available");
        }
        text = jose_b64url_encode(p, secret, (size_t)bytes);
        f = open_out(out);
        if (as_jwk) {
            json_t *j = json_pack("{s:s,s:s}", "kty", "oct", "k", text);

            if (j == NULL) {
                die("out of memory");
            }
            if (kid != NULL) {
                json_object_set_new(j, "kid", json_string(kid));
            }
            print_json(f, j);
            json_decref(j);
        }
        else {
            fprintf(f, "%s\n", text);
        }
        close_out(f, out);
        return 0;
    }
    else {
        EVP_PKEY *pk = generate(type);
        jwk_load_opts_t o;
        jwk_t *key;
        const char *err = NULL;
        int ok;

        f = open_out(out);
        if (!as_jwk) {
            ok = public_only ? PEM_write_PUBKEY(f, pk)
                             : PEM_write_PrivateKey(f, pk, NULL, NULL, 0,
                                                    NULL, NULL);
            EVP_PKEY_free(pk);
            if (!ok) {
                die("cannot write the key");
            }
            close_out(f, out);
            return 0;
        }
        memset(&o, 0, sizeof(o));
        o.use = (strcmp(type, "x25519") == 0 || strcmp(type, "x448") == 0)
                ? JOSE_USE_ENC : JOSE_USE_SIG;
        o.kid = kid;
        if (jwk_from_pkey(&key, p, pk, &o, "generated key", &err) != 0) {
            die("%s", err ? err : "cannot type the generated key");
        }
        if (key->kid == NULL) {
            key->kid = key->thumbprint;
        }
        {
            json_t *j = public_only ? jwk_public_json(key)
                                    : jwk_private_json(key);

            if (j == NULL) {
                die("cannot export the key as JWK");
            }
            print_json(f, j);
            json_decref(j);
        }
        close_out(f, out);
        return 0;
    }
}

/* ------------------------------------------------------------------ */
/* sign                                                                */

static const char sign_help[] =
"usage: htjwt sign --key KEY [options]\n"
"\n"
"Make a signed JWT with the module's own issuer code and print it.\n"
"  --key KEY          private key: PEM, JWK, or secret:FILE (required)\n"
"  --alg ALG          signature algorithm (default: from the key)\n"
"  --kid KID          kid header (default: the key's kid or thumbprint)\n"
"  --iss ISS          issuer claim\n"
"  --sub SUB          subject claim\n"
"  --aud AUD          audience claim (repeat for an array)\n"
"  --scope 'S ..'     scope claim\n"
"  --lifetime SECS    exp - iat (default 900)\n"
"  --now SECS         issue as of this UNIX time (default: now)\n"
"  --claim NAME=VALUE extra string claim (repeatable); NAME:=JSON for\n"
"                     a JSON value, e.g. --claim 'admin:=true'\n"
"  --claims JSON|@FILE  a JSON object of extra claims\n"
"  --typ TYP          typ header (default JWT)\n"
"  --no-jti           do not add a random jti\n"
"  --encrypt-to KEY   wrap the token in a JWE to this public key/secret\n"
"  --enc-alg ALG      JWE key management alg (default by key type)\n"
"  --enc ENC          JWE content encryption (default A256GCM)\n"
"Registered claims (iss sub aud iat exp jti scope) given by --claim or\n"
"--claims are used as their options would be (exp sets the lifetime from\n"
"iat); where the option is given too, the option wins and stderr says so.\n"
"nbf is refused.\n";

static json_t *parse_json_arg(const char *arg)
{
    json_error_t e;
    json_t *j;

    if (arg[0] == '@') {
        j = json_load_file(arg + 1, JSON_REJECT_DUPLICATES, &e);
    }
    else {
        j = json_loads(arg, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    }
    if (j == NULL) {
        die("invalid JSON in '%s': %s", arg, e.text);
    }
    return j;
}

/* What the options of htjwt sign gave, to tell them from --claim(s). */
typedef struct {
    unsigned iss:1, sub:1, aud:1, scope:1, lifetime:1, now:1;
} sign_given_t;

/* The string claim NAME of EXTRA into *OUT, unless OPTION gave it (the
 * option wins, and says so); removed from EXTRA either way. */
static void take_string(json_t *extra, const char *name, const char **out,
                        int given, apr_pool_t *p)
{
    json_t *v = json_object_get(extra, name);

    if (v == NULL) {
        return;
    }
    if (!json_is_string(v)) {
        die("--claim(s): \"%s\" must be a string", name);
    }
    if (given) {
        fprintf(stderr, "%s: --%s given: the \"%s\" of --claim(s) is not "
                "used\n", progname, name, name);
    }
    else {
        *out = apr_pstrdup(p, json_string_value(v));
    }
    json_object_del(extra, name);
}

/* A NumericDate claim NAME of EXTRA: -1 when absent. */
static int64_t take_date(json_t *extra, const char *name)
{
    json_t *v = json_object_get(extra, name);
    int64_t t;

    if (v == NULL) {
        return -1;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0
        || json_integer_value(v) > JWT_MAX_NUMERIC_DATE) {
        die("--claim(s): \"%s\" must be a whole number of seconds since "
            "the epoch (use %s:=N)", name, name);
    }
    t = (int64_t)json_integer_value(v);
    json_object_del(extra, name);
    return t;
}

/* Registered claims given by --claim or --claims are honoured like their
 * options (the core's issuer never lets extra claims replace them, so
 * here they would be dropped): an option given as well wins, and stderr
 * says so.  exp sets the lifetime from iat; nbf is refused, as the issuer
 * makes tokens valid from iat. */
static void take_registered(jwt_issue_params_t *ip, int64_t *now,
                            const sign_given_t *g, apr_pool_t *p)
{
    json_t *aud = json_object_get(ip->extra, "aud");
    int64_t iat, exp;
    size_t i;

    take_string(ip->extra, "iss", &ip->iss, g->iss, p);
    take_string(ip->extra, "sub", &ip->sub, g->sub, p);
    take_string(ip->extra, "scope", &ip->scope, g->scope, p);
    take_string(ip->extra, "jti", &ip->jti, 0, p);
    if (aud != NULL) {
        if (!json_is_string(aud) && !(json_is_array(aud)
                                      && json_array_size(aud) > 0)) {
            die("--claim(s): \"aud\" must be a string or a non-empty "
                "array of strings");
        }
        for (i = 0; json_is_array(aud) && i < json_array_size(aud); i++) {
            if (!json_is_string(json_array_get(aud, i))) {
                die("--claim(s): \"aud\" must be a string or a non-empty "
                    "array of strings");
            }
        }
        if (g->aud) {
            fprintf(stderr, "%s: --aud given: the \"aud\" of --claim(s) "
                    "is not used\n", progname);
        }
        else if (json_is_string(aud)) {
            APR_ARRAY_PUSH(ip->aud, const char *) =
                apr_pstrdup(p, json_string_value(aud));
        }
        else {
            for (i = 0; i < json_array_size(aud); i++) {
                APR_ARRAY_PUSH(ip->aud, const char *) = apr_pstrdup(p,
                    json_string_value(json_array_get(aud, i)));
            }
        }
        json_object_del(ip->extra, "aud");
    }
    if (json_object_get(ip->extra, "nbf") != NULL) {
        die("--claim(s): \"nbf\" is not supported: issued tokens are valid "
            "from their iat (--now)");
    }
    iat = take_date(ip->extra, "iat");
    exp = take_date(ip->extra, "exp");
    if (iat >= 0 && g->now) {
        fprintf(stderr, "%s: --now given: the \"iat\" of --claim(s) is not "
                "used\n", progname);
    }
    else if (iat >= 0) {
        *now = iat;
    }
    if (exp >= 0 && g->lifetime) {
        fprintf(stderr, "%s: --lifetime given: the \"exp\" of --claim(s) "
                "is not used\n", progname);
    }
    else if (exp >= 0) {
        if (exp <= *now) {
            die("--claim(s): \"exp\" must come after iat (%" APR_INT64_T_FMT
                ")", (apr_int64_t)*now);
        }
        ip->lifetime = exp - *now;
    }
}

static int cmd_sign(apr_pool_t *p, int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        { "key", 'k', 1, "" }, { "alg", 'a', 1, "" }, { "kid", 'K', 1, "" },
        { "iss", 'i', 1, "" }, { "sub", 's', 1, "" }, { "aud", 'A', 1, "" },
        { "scope", 'S', 1, "" }, { "lifetime", 'l', 1, "" },
        { "now", 'N', 1, "" }, { "claim", 'c', 1, "" },
        { "claims", 'C', 1, "" }, { "typ", 't', 1, "" },
        { "no-jti", 'n', 0, "" }, { "encrypt-to", 'e', 1, "" },
        { "enc-alg", 'E', 1, "" }, { "enc", 'x', 1, "" },
        { "help", 'h', 0, "" }, { NULL, 0, 0, NULL }
    };
    apr_getopt_t *os;
    int ch, no_jti = 0;
    const char *arg, *keyfile = NULL, *alg = NULL, *encrypt_to = NULL;
    const char *enc_alg = NULL, *enc = NULL;
    int64_t now = apr_time_sec(apr_time_now());
    sign_given_t given;
    jwt_issue_params_t ip;
    apr_status_t rv;
    jwt_status_t st;
    char *token;

    memset(&ip, 0, sizeof(ip));
    memset(&given, 0, sizeof(given));
    ip.lifetime = 900;
    ip.aud = apr_array_make(p, 1, sizeof(const char *));
    ip.extra = jose_json_pool_own(p, json_object());
    if (ip.extra == NULL) {
        die("out of memory");
    }
    os = opts_start(p, argc, argv, NULL);
    while ((rv = apr_getopt_long(os, opts, &ch, &arg)) == APR_SUCCESS) {
        switch (ch) {
        case 'k': keyfile = arg; break;
        case 'a': alg = arg; break;
        case 'K': ip.kid = arg; break;
        case 'i': ip.iss = arg; given.iss = 1; break;
        case 's': ip.sub = arg; given.sub = 1; break;
        case 'A': APR_ARRAY_PUSH(ip.aud, const char *) = arg;
                  given.aud = 1; break;
        case 'S': ip.scope = arg; given.scope = 1; break;
        case 'l': ip.lifetime = parse_number("--lifetime", arg);
                  given.lifetime = 1; break;
        case 'N': now = parse_number("--now", arg); given.now = 1;
                  break;
        case 'c': {
            const char *eq = strchr(arg, '=');
            char *name;

            if (eq == NULL || eq == arg) {
                die("--claim wants NAME=VALUE or NAME:=JSON, got '%s'", arg);
            }
            if (eq[-1] == ':' && eq - 1 > arg) {
                name = apr_pstrmemdup(p, arg, (apr_size_t)(eq - 1 - arg));
                if (json_object_set_new(ip.extra, name,
                                        parse_json_arg(eq + 1)) != 0) {
                    die("--claim %s: the name is not UTF-8", name);
                }
            }
            else {
                name = apr_pstrmemdup(p, arg, (apr_size_t)(eq - arg));
                if (json_object_set_new(ip.extra, name,
                                        json_string(eq + 1)) != 0) {
                    die("--claim %s: the value is not UTF-8", name);
                }
            }
            break;
        }
        case 'C': {
            json_t *more = parse_json_arg(arg);

            if (!json_is_object(more)) {
                die("--claims wants a JSON object");
            }
            json_object_update(ip.extra, more);
            json_decref(more);
            break;
        }
        case 't': ip.typ = arg; break;
        case 'n': no_jti = 1; break;
        case 'e': encrypt_to = arg; break;
        case 'E': enc_alg = arg; break;
        case 'x': enc = arg; break;
        case 'h': fputs(sign_help, stdout); return 0;
        }
    }
    if (rv != APR_EOF || os->ind != os->argc || keyfile == NULL) {
        fputs(sign_help, stderr);
        return EXIT_USAGE;
    }
    take_registered(&ip, &now, &given, p);
    if (ip.lifetime <= 0) {
        die("--lifetime must be at least 1 second: tokens always expire");
    }
    ip.sign_key = load_one_key(p, keyfile, JOSE_USE_SIG, 1, alg, NULL);
    if (alg != NULL) {
        ip.alg = jose_alg_lookup(alg, strlen(alg));
    }
    if (!no_jti && ip.jti == NULL) {
        unsigned char rnd[16];

        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            die("no randomness available");
        }
        ip.jti = jose_b64url_encode(p, rnd, sizeof(rnd));
    }
    if (encrypt_to != NULL) {
        ip.encrypt_key = load_one_key(p, encrypt_to, JOSE_USE_ENC, 0,
                                      enc_alg, NULL);
        if (enc_alg != NULL) {
            ip.enc_alg = jose_alg_lookup(enc_alg, strlen(enc_alg));
        }
        if (enc != NULL
            && (ip.enc = jose_enc_lookup(enc, strlen(enc))) == NULL) {
            die("unknown content encryption '%s'", enc);
        }
    }
    st = jwt_issue(&token, NULL, p, &ip, now);
    if (st != JWT_OK) {
        die("cannot make the token: %s", jwt_status_description(st));
    }
    printf("%s\n", token);
    return 0;
}

/* ------------------------------------------------------------------ */
/* verify                                                              */

static const char verify_help[] =
"usage: htjwt verify --key KEY [options] [TOKEN|-]\n"
"       htjwt verify --decrypt-key KEY --allow-unsigned-jwe [options]\n"
"                    [TOKEN|-]\n"
"\n"
"Check a token with the module's rules; print its claims, or the reason\n"
"it is rejected.  Exit status 0 accepted, 1 rejected, 2 usage error.\n"
"  --key KEY          verification key: PEM, JWK, JWKS, secret:FILE, or\n"
"                     an https:// JWKS URI or discovery document URL\n"
"                     (repeatable, like AuthJWTVerifyKey)\n"
"  --ca-file FILE     trust anchors for https:// keys (AuthJWTKeysCAFile;\n"
"                     default: the system store)\n"
"  --timeout SECS     whole fetch of an https:// key (default 5)\n"
"  --alg ALG[,ALG]    allowed algorithms for the keys (alg=)\n"
"  --decrypt-key KEY  decryption key for JWE (repeatable, like\n"
"                     AuthJWTDecryptKey)\n"
"  --decrypt-alg ALG[,ALG]  key management for the decryption keys\n"
"                     (alg=; RSA1_5 and PBES2-* only when named)\n"
"  --enc ENC[,ENC]    content encryption for the decryption keys (enc=)\n"
"  --max-pbes2-count N  highest PBES2 p2c (AuthJWTMaxPBES2Count, 10000)\n"
"  --allow-unsigned-jwe  also accept a JWE holding the claims, with\n"
"                     dir/A*KW/A*GCMKW (AuthJWTAllowUnsignedJWE On)\n"
"  --iss ISS          accepted issuer (repeatable, AuthJWTIssuer)\n"
"  --aud AUD          accepted audience (repeatable, AuthJWTAudience);\n"
"                     without it a token that carries aud is rejected,\n"
"                     --aud '*' accepts any audience\n"
"  --typ TYP          accepted typ (repeatable, AuthJWTType)\n"
"  --require NAME     required claim, in addition to exp (repeatable);\n"
"                     --require none alone: not even exp\n"
"  --leeway SECS      clock skew (default 30)\n"
"  --max-ttl SECS     AuthJWTMaxTTL\n"
"  --max-size BYTES   AuthJWTMaxTokenSize (default 8192)\n"
"  --now SECS         check as of this UNIX time\n";

static int cmd_verify(apr_pool_t *p, int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        { "key", 'k', 1, "" }, { "alg", 'a', 1, "" },
        { "decrypt-key", 'd', 1, "" }, { "iss", 'i', 1, "" },
        { "aud", 'A', 1, "" }, { "typ", 't', 1, "" },
        { "require", 'r', 1, "" }, { "leeway", 'l', 1, "" },
        { "max-ttl", 'm', 1, "" }, { "max-size", 'M', 1, "" },
        { "now", 'N', 1, "" }, { "decrypt-alg", 'D', 1, "" },
        { "enc", 'e', 1, "" }, { "max-pbes2-count", 'P', 1, "" },
        { "allow-unsigned-jwe", 'U', 0, "" },
        { "ca-file", 'C', 1, "" }, { "timeout", 'T', 1, "" },
        { "help", 'h', 0, "" }, { NULL, 0, 0, NULL }
    };
    apr_getopt_t *os;
    int ch, i, dash;
    long timeout = 5;
    const char *arg, *algs = NULL, *dalgs = NULL, *encs = NULL, *token;
    const char *ca_file = NULL;
    apr_array_header_t *keyfiles = apr_array_make(p, 2, sizeof(char *));
    apr_array_header_t *decfiles = apr_array_make(p, 1, sizeof(char *));
    jwt_rules_t rules;
    jwk_set_t *keys = jwk_set_make(p), *dkeys = NULL;
    int64_t now = apr_time_sec(apr_time_now());
    apr_status_t rv;
    jwt_status_t st;
    jwt_t *jwt = NULL;
    size_t len;

    jwt_rules_init(&rules);
    os = opts_start(p, argc, argv, &dash);
    while ((rv = apr_getopt_long(os, opts, &ch, &arg)) == APR_SUCCESS) {
        apr_array_header_t **list = NULL;

        switch (ch) {
        case 'k': APR_ARRAY_PUSH(keyfiles, const char *) = arg; break;
        case 'a': algs = arg; break;
        case 'd': APR_ARRAY_PUSH(decfiles, const char *) = arg; break;
        case 'i': list = &rules.issuers; break;
        case 'A': list = &rules.audiences; break;
        case 't': list = &rules.types; break;
        case 'r': {
            const char *err = NULL;

            /* as AuthJWTRequireClaim: names add to exp, none waives it */
            if (jwt_required_add(&rules.required, p, arg, &err) != 0) {
                die("--require %s: %s", arg, err);
            }
            break;
        }
        case 'l': rules.leeway = parse_number("--leeway", arg); break;
        case 'm': rules.max_ttl = parse_number("--max-ttl", arg); break;
        case 'M': rules.max_size = (size_t)parse_number("--max-size", arg);
                  break;
        case 'N': now = parse_number("--now", arg); break;
        case 'D': dalgs = arg; break;
        case 'e': encs = arg; break;
        case 'P':
            rules.max_p2c = (unsigned long)parse_number("--max-pbes2-count",
                                                         arg);
            if (rules.max_p2c < JWE_MIN_P2C
                || rules.max_p2c > JWE_MAX_P2C_LIMIT) {
                die("--max-pbes2-count must be between %d and %d",
                    JWE_MIN_P2C, JWE_MAX_P2C_LIMIT);
            }
            break;
        case 'U': rules.allow_unsigned_jwe = 1; break;
        case 'C': ca_file = arg; break;
        case 'T':
            timeout = (long)parse_number("--timeout", arg);
            if (timeout < 1 || timeout > 300) {
                die("--timeout must be between 1 and 300 seconds");
            }
            break;
        case 'h': fputs(verify_help, stdout); return 0;
        }
        if (list != NULL) {
            if (*list == NULL) {
                *list = apr_array_make(p, 2, sizeof(const char *));
            }
            APR_ARRAY_PUSH(*list, const char *) = arg;
        }
    }
    if (rules.audiences != NULL && rules.audiences->nelts > 1) {
        for (i = 0; i < rules.audiences->nelts; i++) {
            if (strcmp(APR_ARRAY_IDX(rules.audiences, i, const char *),
                       JWT_AUDIENCE_ANY) == 0) {
                die("--aud '*' accepts any audience and stands alone");
            }
        }
    }
    /* without a verification key only an unsigned JWE could pass */
    if (rv != APR_EOF || os->ind < os->argc - (dash ? 0 : 1)
        || (keyfiles->nelts == 0
            && !(rules.allow_unsigned_jwe && decfiles->nelts > 0))) {
        fputs(verify_help, stderr);
        return EXIT_USAGE;
    }
    for (i = 0; i < keyfiles->nelts; i++) {
        jwk_load_opts_t o;
        const char *err = NULL;

        const char *src = APR_ARRAY_IDX(keyfiles, i, const char *);

        memset(&o, 0, sizeof(o));
        o.use = JOSE_USE_SIG;
        o.algs = parse_algs(algs, JOSE_USE_SIG);
        /* the module's fetch code: HTTPS only, verified, no redirects */
        if (strncasecmp(src, "https://", 8) == 0
            || strncasecmp(src, "http://", 7) == 0) {
            if (jwks_fetch_global_init() != 0) {
                die("libcurl could not be initialised");
            }
            if (jwks_load_remote(keys, p, src, &o, ca_file, timeout, &err)
                != 0) {
                die("%s", err ? err : "cannot load key");
            }
            continue;
        }
        if (jwk_load(keys, p, src, &o, &err) != 0) {
            die("%s", err ? err : "cannot load key");
        }
    }
    for (i = 0; i < decfiles->nelts; i++) {
        jwk_load_opts_t o;
        const char *err = NULL;

        if (dkeys == NULL) {
            dkeys = jwk_set_make(p);
        }
        memset(&o, 0, sizeof(o));
        o.use = JOSE_USE_ENC;
        o.want_private = 1;
        o.algs = parse_algs(dalgs, JOSE_USE_ENC);
        o.encs = parse_encs(encs);
        if (jwk_load(dkeys, p, APR_ARRAY_IDX(decfiles, i, const char *), &o,
                     &err) != 0) {
            die("%s", err ? err : "cannot load key");
        }
    }
    rules.verify_keys = keys;
    rules.decrypt_keys = dkeys;

    token = token_arg(p, os->ind < os->argc ? os->argv[os->ind] : NULL,
                      &len);
    st = jwt_check(&jwt, p, token, len, &rules, now);
    if (st != JWT_OK) {
        printf("rejected: %s: %s\n", jwt_status_name(st),
               jwt_status_description(st));
        return EXIT_REJECTED;
    }
    print_json(stdout, jwt->claims);
    fprintf(stderr, "%s: accepted (alg %s, kid %s)\n", progname,
            jwt->alg ? jwt->alg : "-",
            jwt->kid ? jwt->kid
            : jwt->key && jwt->key->kid ? jwt->key->kid : "-");
    return 0;
}

/* ------------------------------------------------------------------ */
/* decode                                                              */

static const char decode_help[] =
"usage: htjwt decode [TOKEN|-]\n"
"\n"
"Print the header and claims of a JWS WITHOUT checking anything: no\n"
"signature, no expiry, no issuer.  For looking, never for deciding.\n";

static int cmd_decode(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *token, *dot1, *dot2;
    unsigned char *buf;
    size_t len, blen;
    json_error_t e;
    json_t *j;
    int seg;

    if (argc > 2 || (argc == 2 && strcmp(argv[1], "--help") == 0)) {
        fputs(decode_help, argc == 2 ? stdout : stderr);
        return argc == 2 ? 0 : EXIT_USAGE;
    }
    token = token_arg(p, argc == 2 ? argv[1] : NULL, &len);
    fprintf(stderr, "*** NOT VERIFIED: htjwt decode checks nothing. "
                    "Use 'htjwt verify' to check a token. ***\n");
    if (jose_count_dots(token, len) == 4) {
        dot1 = memchr(token, '.', len);
        if (jose_b64url_decode(&buf, &blen, p, token,
                               (size_t)(dot1 - token)) != JWT_OK) {
            die("the JWE header is not base64url");
        }
        j = json_loadb((char *)buf, blen, 0, &e);
        printf("JWE header (the content is encrypted):\n");
        if (j != NULL) {
            print_json(stdout, j);
            json_decref(j);
        }
        return 0;
    }
    if (jose_count_dots(token, len) != 2) {
        die("not a compact JWS: it has %d dots, a JWS has 2",
            jose_count_dots(token, len));
    }
    dot1 = memchr(token, '.', len);
    dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token));
    for (seg = 0; seg < 2; seg++) {
        const char *s = seg == 0 ? token : dot1 + 1;
        const char *end = seg == 0 ? dot1 : dot2;

        if (jose_b64url_decode(&buf, &blen, p, s, (size_t)(end - s))
            != JWT_OK) {
            die("the %s is not strict base64url",
                seg == 0 ? "header" : "payload");
        }
        printf("%s:\n", seg == 0 ? "header" : "claims");
        j = json_loadb((char *)buf, blen, 0, &e);
        if (j == NULL) {
            printf("(not JSON: %s)\n", e.text);
        }
        else {
            print_json(stdout, j);
            json_decref(j);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* thumbprint                                                          */

static int cmd_thumbprint(apr_pool_t *p, int argc, const char *const *argv)
{
    jwk_set_t *set = jwk_set_make(p);
    jwk_load_opts_t o;
    const char *err = NULL;
    int i;

    if (argc != 2 || strcmp(argv[1], "--help") == 0) {
        fputs("usage: htjwt thumbprint KEY\n\nPrint the RFC 7638 SHA-256 "
              "thumbprint (base64url) of each key in KEY,\nthe default "
              "kid of keys the module signs with.\n",
              argc == 2 ? stdout : stderr);
        return argc == 2 ? 0 : EXIT_USAGE;
    }
    memset(&o, 0, sizeof(o));
    o.use = JOSE_USE_SIG;
    if (jwk_load(set, p, argv[1], &o, &err) != 0) {
        /* an encryption-only key (X25519, ...) */
        o.use = JOSE_USE_ENC;
        if (jwk_load(set, p, argv[1], &o, &err) != 0) {
            die("%s", err ? err : "cannot load key");
        }
    }
    for (i = 0; i < set->keys->nelts; i++) {
        const jwk_t *k = APR_ARRAY_IDX(set->keys, i, const jwk_t *);

        printf("%s\n", k->thumbprint);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* apikey                                                              */

static const char apikey_help[] =
"usage: htjwt apikey [--id ID] [--bytes N] [--cost C]\n"
"\n"
"Make an API key ID.SECRET for AuthType ApiKey and print it, then the\n"
"line for an htpasswd file (bcrypt, like htpasswd -B) that checks it.\n"
"Give the key to the client; put only the htpasswd line on the server.\n"
"  --id ID      the key id (the user the key authenticates; default\n"
"               random)\n"
"  --bytes N    secret length in random bytes (default 32)\n"
"  --cost C     bcrypt cost 4..17 (default 10)\n";

static int cmd_apikey(apr_pool_t *p, int argc, const char *const *argv)
{
    static const apr_getopt_option_t opts[] = {
        { "id", 'i', 1, "" }, { "bytes", 'b', 1, "" }, { "cost", 'c', 1, "" },
        { "help", 'h', 0, "" }, { NULL, 0, 0, NULL }
    };
    apr_getopt_t *os;
    int ch;
    const char *arg, *id = NULL, *secret;
    long bytes = 32, cost = 10;
    unsigned char rnd[256], salt[16];
    char hash[128];
    apr_status_t rv;
    size_t k;

    os = opts_start(p, argc, argv, NULL);
    while ((rv = apr_getopt_long(os, opts, &ch, &arg)) == APR_SUCCESS) {
        switch (ch) {
        case 'i': id = arg; break;
        case 'b': bytes = strtol(arg, NULL, 10); break;
        case 'c': cost = strtol(arg, NULL, 10); break;
        case 'h': fputs(apikey_help, stdout); return 0;
        }
    }
    if (rv != APR_EOF || os->ind != os->argc || bytes < 16
        || bytes > (long)sizeof(rnd) || cost < 4 || cost > 17) {
        fputs(apikey_help, stderr);
        return EXIT_USAGE;
    }
    if (id == NULL) {
        if (RAND_bytes(rnd, 9) != 1) {
            die("no randomness available");
        }
        id = jose_b64url_encode(p, rnd, 9);
    }
    /* The id is the user name of an htpasswd line and the part before the
     * first dot of the key: it cannot hold ':' or '.'. */
    for (k = 0; id[k] != '\0'; k++) {
        if (id[k] == ':' || id[k] == '.' || (unsigned char)id[k] <= ' ') {
            die("an API key id cannot contain ':', '.', spaces or control "
                "characters");
        }
    }
    if (k == 0) {
        die("an API key id cannot be empty");
    }
    if (RAND_bytes(rnd, (int)bytes) != 1 || RAND_bytes(salt, 16) != 1) {
        die("no randomness available");
    }
    secret = jose_b64url_encode(p, rnd, (size_t)bytes);
    OPENSSL_cleanse(rnd, sizeof(rnd));
    if (apr_bcrypt_encode(secret, (unsigned int)cost, salt, sizeof(salt),
                          hash, sizeof(hash)) != APR_SUCCESS) {
        die("bcrypt failed");
    }
    printf("%s.%s\n%s:%s\n", id, secret, id, hash);
    return 0;
}

/* ------------------------------------------------------------------ */

static const char main_help[] =
"usage: htjwt COMMAND [options]\n"
"\n"
"Companion of mod_authn_jwt; it uses the module's own JOSE core.\n"
"  keygen TYPE   make a key (rsa, ec:P-256, ed25519, oct, ...)\n"
"  sign          make a signed (optionally encrypted) token\n"
"  verify        check a token exactly as the module would\n"
"  decode        show a token's header and claims WITHOUT checking them\n"
"  thumbprint    RFC 7638 thumbprint of a key (the default kid)\n"
"  apikey        make an API key ID.SECRET and its htpasswd -B line\n"
"  revoke URL    revoke a token at a running server (RFC 7009)\n"
"'htjwt COMMAND --help' describes each; 'htjwt --version' the version.\n"
"Exit status: 0 success, 1 token rejected (verify), 2 usage or key\n"
"error.\n";

int main(int argc, const char *const *argv)
{
    apr_pool_t *p;
    const char *cmd;
    int rc;

    if (apr_app_initialize(&argc, &argv, NULL) != APR_SUCCESS
        || apr_pool_create(&p, NULL) != APR_SUCCESS) {
        fprintf(stderr, "%s: cannot initialise APR\n", progname);
        return EXIT_USAGE;
    }
    atexit(apr_terminate);
    jose_log_set(core_log, NULL);

    if (argc < 2) {
        fputs(main_help, stderr);
        return EXIT_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0
        || strcmp(cmd, "help") == 0) {
        fputs(main_help, stdout);
        return 0;
    }
    /* The same string the module logs at start-up (AJ00200). */
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("htjwt (%s)\n", AUTHN_JWT_VERSION_STRING);
        return 0;
    }
    argc--;
    argv++;
    if (strcmp(cmd, "keygen") == 0) {
        rc = cmd_keygen(p, argc, argv);
    }
    else if (strcmp(cmd, "sign") == 0) {
        rc = cmd_sign(p, argc, argv);
    }
    else if (strcmp(cmd, "verify") == 0) {
        rc = cmd_verify(p, argc, argv);
    }
    else if (strcmp(cmd, "decode") == 0) {
        rc = cmd_decode(p, argc, argv);
    }
    else if (strcmp(cmd, "thumbprint") == 0) {
        rc = cmd_thumbprint(p, argc, argv);
    }
    else if (strcmp(cmd, "apikey") == 0) {
        rc = cmd_apikey(p, argc, argv);
    }
    else if (strcmp(cmd, "revoke") == 0) {
        rc = htjwt_cmd_revoke(p, argc, argv);
    }
    else {
        fprintf(stderr, "%s: unknown command '%s'\n\n%s", progname, cmd,
                main_help);
        rc = EXIT_USAGE;
    }
    apr_pool_destroy(p);
    return rc;
}
