/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * jwk_file.c: jwk_load, the one key loader of the module and htjwt: a key
 * file named by a directive or a command line is read (size-capped, from a
 * regular file only) and recognised by its content: a JWK or JWK Set (RFC
 * 7517 4, 5), a PEM public key, certificate (only its subject public key)
 * or private key (RFC 7468), or, after "secret:", the bytes of an HMAC or
 * AES secret (RFC 7518 3.2, 4).
 *
 * A key file is never taken for a secret (doc/attacks.md A2: a public key must
 * never become an HMAC key), encrypted private keys are refused (httpd has
 * no terminal to ask for a passphrase), and remote sets are not fetched
 * here.  The file's bytes live in a scratch pool wiped and destroyed
 * before jwk_load returns.
 */

#include <limits.h>
#include <string.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "jose_util.h"
#include "jwk.h"
#include "jwk_int.h"

/* Key files are small; a cap keeps a mistaken path (a log, a disk image)
 * from being read whole. */
#define JWK_MAX_FILE      (1024 * 1024)

static int read_file(char **buf, size_t *len, apr_pool_t *p,
                     apr_pool_t *tmp, const char *path, const char **err)
{
    apr_finfo_t fi;
    apr_file_t *f;
    apr_size_t n = 0;
    apr_status_t rv;
    char ebuf[120];

    *buf = NULL;
    *len = 0;
    rv = apr_stat(&fi, path, APR_FINFO_TYPE | APR_FINFO_SIZE, tmp);
    if (rv != APR_SUCCESS) {
        return FAIL("Cannot read the key file %s (%s): check the path "
                    "and its permissions", path, apr_strerror(rv, ebuf,
                                                              sizeof(ebuf)));
    }
    if (fi.filetype != APR_REG) {
        return FAIL("The key source %s is not a regular file: name the key "
                    "file itself", path);
    }
    if (fi.size > JWK_MAX_FILE) {
        return FAIL("The key file %s is larger than %d bytes, which no key "
                    "file is: check the path", path, JWK_MAX_FILE);
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0, tmp);
    if (rv != APR_SUCCESS) {
        return FAIL("Cannot open the key file %s (%s): check its "
                    "permissions", path, apr_strerror(rv, ebuf,
                                                     sizeof(ebuf)));
    }
    /* one byte more than its size shows a file that grew meanwhile */
    *buf = apr_palloc(tmp, (apr_size_t)fi.size + 2);
    jose_wipe_on_cleanup(tmp, *buf, (apr_size_t)fi.size + 2);
    rv = apr_file_read_full(f, *buf, (apr_size_t)fi.size + 1, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return FAIL("Cannot read the key file %s (%s)", path,
                    apr_strerror(rv, ebuf, sizeof(ebuf)));
    }
    if (n > (apr_size_t)fi.size) {
        return FAIL("The key file %s changed while it was read: try again "
                    "once it is written", path);
    }
    (*buf)[n] = '\0';
    *len = n;
    return RC_OK;
}

static const char *skip_space(const char *s, const char *end)
{
    /* a UTF-8 byte order mark some editors write */
    if (end - s >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
        s += 3;
    }
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'
                       || *s == '\f' || *s == '\v')) {
        s++;
    }
    return s;
}

/* BUF[0..LEN) holds NEEDLE anywhere (binary-safe: no strstr, no memmem,
 * which C11 does not have). */
static int contains(const char *buf, size_t len, const char *needle)
{
    size_t n = strlen(needle), i;

    for (i = 0; n <= len && i <= len - n; i++) {
        if (buf[i] == needle[0] && memcmp(buf + i, needle, n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* BUF[0..LEN) is a DER key or certificate: a SubjectPublicKeyInfo, a
 * PKCS#8 or type-specific (PKCS#1, SEC 1) key of any type OpenSSL knows, or
 * an X.509 certificate.  Every such file is public or a key, never a
 * secret someone chose. */
static int is_der_key(const unsigned char *buf, size_t len)
{
    OSSL_DECODER_CTX *dctx;
    const unsigned char *d;
    EVP_PKEY *pkey = NULL;
    X509 *x509;
    size_t dlen;
    int found = 0;

    /* DER is a SEQUENCE; anything else is not worth a decoder */
    if (len < 2 || buf[0] != 0x30 || len > LONG_MAX) {
        return 0;
    }
    dctx = OSSL_DECODER_CTX_new_for_pkey(&pkey, "DER", NULL, NULL, 0, NULL,
                                         NULL);
    d = buf;
    dlen = len;
    if (dctx != NULL && OSSL_DECODER_from_data(dctx, &d, &dlen)
        && pkey != NULL) {
        found = 1;
    }
    EVP_PKEY_free(pkey);
    OSSL_DECODER_CTX_free(dctx);
    if (!found) {
        d = buf;
        x509 = d2i_X509(NULL, &d, (long)len);
        found = x509 != NULL;
        X509_free(x509);
    }
    ERR_clear_error();
    return found;
}

/* The base64 body of a PEM block without its armour ("MIIBIjANBg..."),
 * pasted alone: the text of the public key is as public as the key. */
static int is_base64_der_key(apr_pool_t *tmp, const char *buf, size_t len)
{
    unsigned char *bin;
    char *b64;
    size_t i, n = 0;
    int out, ok;

    if (len < 16) {
        return 0;
    }
    b64 = apr_palloc(tmp, len + 1);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];

        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            continue;
        }
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '+' || c == '/'
              || c == '=')) {
            return 0;
        }
        b64[n++] = (char)c;
    }
    if (n < 16 || n % 4 != 0 || n > INT_MAX) {
        return 0;
    }
    bin = apr_palloc(tmp, n / 4 * 3 + 1);
    jose_wipe_on_cleanup(tmp, bin, n / 4 * 3 + 1);
    jose_wipe_on_cleanup(tmp, b64, len + 1);
    out = EVP_DecodeBlock(bin, (const unsigned char *)b64, (int)n);
    if (out <= 0) {
        return 0;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes */
    while (n > 0 && b64[n - 1] == '=' && out > 0) {
        n--;
        out--;
    }
    ok = is_der_key(bin, (size_t)out);
    return ok;
}

/* What a file named as an HMAC secret holds instead, or NULL when it may
 * be a secret (doc/attacks.md A2: a public key, in any encoding, must never
 * become an HMAC key, since anyone holding it could then sign tokens).
 * RAWLEN is the file's length before the one trailing line end was
 * dropped: a DER file may end in a 0x0a byte of its own. */
static const char *secret_looks_like_key(apr_pool_t *tmp, const char *buf,
                                         size_t len, size_t rawlen)
{
    const char *s = skip_space(buf, buf + len);
    size_t n = (size_t)(buf + len - s);
    static const char *const prefixes[] = {
        "ssh-rsa ", "ssh-ed25519 ", "ssh-ed448 ", "ecdsa-sha2-", "sk-ssh-",
        "sk-ecdsa-", "ssh-dss "
    };
    json_error_t je;
    json_t *j;
    size_t i;

    /* anywhere, not only at the start: "openssl pkcs12" writes "Bag
     * Attributes" lines first, "openssl x509 -text" the decoded text */
    if (contains(buf, len, "-----BEGIN")) {
        return "a PEM block";
    }
    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        if (n >= strlen(prefixes[i])
            && memcmp(s, prefixes[i], strlen(prefixes[i])) == 0) {
            return "an OpenSSH public key";
        }
    }
    if (n > 0 && *s == '{') {
        j = json_loadb(s, n, 0, &je);
        if (j != NULL) {
            jwk_json_wipe(j);
            json_decref(j);
            return "JSON (a JWK?)";
        }
    }
    if (is_der_key((const unsigned char *)buf, len)
        || is_der_key((const unsigned char *)buf, rawlen)) {
        return "a DER key or certificate";
    }
    if (is_base64_der_key(tmp, buf, len)) {
        return "a base64 DER key or certificate";
    }
    return NULL;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;      /* never prompt: httpd has no terminal */
}

/* The first key or certificate of a PEM file (parameter blocks skipped). */
static int pem_pkey(EVP_PKEY **out, apr_pool_t *p, const char *buf,
                    size_t len, const char *path, const char **err)
{
    const char *end = buf + len, *s = buf, *block = NULL, *lend, *enc;
    char label[64];
    OSSL_DECODER_CTX *dctx = NULL;
    const unsigned char *dp;
    size_t dlen, llen = 0;
    X509 *x509 = NULL;
    BIO *bio = NULL;
    int rc = RC_FAIL;

    *out = NULL;
    for (;;) {
        s = strstr(s, "-----BEGIN ");
        if (s == NULL) {
            break;
        }
        lend = strstr(s + 11, "-----");
        if (lend == NULL || (size_t)(lend - (s + 11)) >= sizeof(label)) {
            break;
        }
        llen = (size_t)(lend - (s + 11));
        memcpy(label, s + 11, llen);
        label[llen] = '\0';
        /* openssl ecparam -genkey writes "EC PARAMETERS" first */
        if (llen < 10 || strcmp(label + llen - 10, "PARAMETERS") != 0) {
            block = s;
            break;
        }
        s = lend;
    }
    if (block == NULL) {
        return FAIL("%s has no PEM key or certificate block: convert it "
                    "to PEM (`openssl pkey -in FILE -out NEW.pem`)", path);
    }
    /* RFC 1421 4.6.1.1 headers mark a traditional encrypted key */
    enc = strstr(block, "Proc-Type: 4,ENCRYPTED");
    lend = strstr(block, "-----END");
    if (strcmp(label, "ENCRYPTED PRIVATE KEY") == 0
        || (enc != NULL && (lend == NULL || enc < lend))) {
        return FAIL("The private key in %s is encrypted with a passphrase, "
                    "which httpd cannot ask for: store it decrypted and "
                    "readable only by root (`openssl pkey -in FILE -out "
                    "NEW.pem`)", path);
    }
    if (strcmp(label, "OPENSSH PRIVATE KEY") == 0) {
        return FAIL("%s is an OpenSSH private key: convert it to PEM "
                    "(`ssh-keygen -p -m PEM -f COPY`, or make a new key with "
                    "`htjwt keygen`)", path);
    }
    bio = BIO_new_mem_buf(block, (int)(end - block));
    if (bio == NULL) {
        return FAIL("Out of memory reading %s", path);
    }
    if (strcmp(label, "CERTIFICATE") == 0
        || strcmp(label, "X509 CERTIFICATE") == 0
        || strcmp(label, "TRUSTED CERTIFICATE") == 0) {
        /* only the subject public key: the certificate's validity and
         * chain are not what this key is trusted for */
        x509 = label[0] == 'T'
               ? PEM_read_bio_X509_AUX(bio, NULL, no_passphrase, NULL)
               : PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
        *out = x509 != NULL ? X509_get_pubkey(x509) : NULL;
    }
    else if (strcmp(label, "PUBLIC KEY") == 0) {
        *out = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
    }
    else if (strcmp(label, "RSA PUBLIC KEY") == 0) {
        /* PKCS#1 RSAPublicKey (RFC 8017 A.1.1) */
        dp = (const unsigned char *)block;
        dlen = (size_t)(end - block);
        dctx = OSSL_DECODER_CTX_new_for_pkey(out, "PEM", NULL, "RSA",
                                             EVP_PKEY_PUBLIC_KEY, NULL,
                                             NULL);
        if (dctx == NULL || !OSSL_DECODER_from_data(dctx, &dp, &dlen)) {
            *out = NULL;
        }
    }
    else if (llen >= 11 && strcmp(label + llen - 11, "PRIVATE KEY") == 0) {
        *out = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    }
    else {
        rc = FAIL("%s starts with a PEM \"%s\" block, which is not a key or "
                  "certificate: use a PUBLIC KEY, PRIVATE KEY or "
                  "CERTIFICATE PEM file", path, jwk_shown(p, label));
        goto cleanup;
    }
    if (*out == NULL) {
        rc = FAIL("The PEM %s in %s could not be read (%s): check that the "
                  "file is complete and not damaged", jwk_shown(p, label),
                  path, jwk_ossl_why(p));
        goto cleanup;
    }
    rc = RC_OK;

cleanup:
    OSSL_DECODER_CTX_free(dctx);
    X509_free(x509);
    BIO_free(bio);
    ERR_clear_error();
    return rc;
}

/* The key(s) of a JWK or JWK Set document into ADD. */
static int load_json(apr_array_header_t *add, apr_pool_t *p,
                     apr_pool_t *tmp, const char *buf, size_t len,
                     const jwk_load_opts_t *o, const char *path,
                     const char **err)
{
    json_t *doc;
    jwk_t *k;
    int rc;

    if (jose_json_object(&doc, tmp, buf, len) != JWT_OK) {
        return FAIL("%s is not a valid JSON object (syntax error, a "
                    "duplicate member or a NUL in a string): check it with "
                    "`python3 -m json.tool FILE`", path);
    }
    if (json_object_get(doc, "keys") != NULL) {
        rc = jwk_parse_set(add, p, tmp, doc, o, path, err);
    }
    else {
        rc = jwk_parse_one(&k, p, tmp, doc, o, 0,
                           apr_pstrcat(p, "in ", path, NULL), path, err);
        if (rc == RC_OK) {
            APR_ARRAY_PUSH(add, jwk_t *) = k;
        }
    }
    /* the decoded values are wiped with TMP; jansson's copies now, before
     * TMP's cleanup frees the document */
    jwk_json_wipe(doc);
    return rc;
}

/* The key(s) of a file's content BUF into ADD: SECRET for "secret:", else
 * JSON or PEM as the content says. */
static int load_content(apr_array_header_t *add, apr_pool_t *p,
                        apr_pool_t *tmp, char *buf, size_t len, int secret,
                        const jwk_load_opts_t *o, const char *path,
                        const char **err)
{
    const char *s;
    EVP_PKEY *pkey;
    jwk_t *k;
    int rc;

    if (secret) {
        const char *what;
        size_t rawlen = len;

        /* exactly one line end, as `echo` or an editor leaves it */
        if (len >= 2 && buf[len - 2] == '\r' && buf[len - 1] == '\n') {
            len -= 2;
        }
        else if (len >= 1 && buf[len - 1] == '\n') {
            len -= 1;
        }
        what = secret_looks_like_key(tmp, buf, len, rawlen);
        if (what != NULL) {
            return FAIL("%s holds %s, not an HMAC secret: a key or "
                        "certificate is never used as a secret, since "
                        "whoever has its public half could sign tokens. "
                        "Drop the secret: prefix to load it as a "
                        "verification key (convert DER with `openssl pkey "
                        "-pubin -inform DER -in FILE -out NEW.pem`), or %s",
                        path, what, HINT_HMAC);
        }
        rc = jwk_from_secret(&k, p, (const unsigned char *)buf, len, o, path,
                             err);
    }
    else {
        s = skip_space(buf, buf + len);
        if (s < buf + len && *s == '{') {
            return load_json(add, p, tmp, s, (size_t)(buf + len - s), o,
                             path, err);
        }
        if (strstr(s, "-----BEGIN ") == NULL) {
            return FAIL("%s is neither a PEM file nor a JSON JWK/JWK Set%s: "
                        "convert it (`openssl pkey -inform DER -in FILE -out "
                        "NEW.pem`), or use secret:%s for an HMAC secret",
                        path, len == 0 ? " (it is empty)" : "", path);
        }
        if (pem_pkey(&pkey, p, s, (size_t)(buf + len - s), path, err)
            != RC_OK) {
            return RC_FAIL;
        }
        rc = jwk_from_pkey(&k, p, pkey, o, path, err);
    }
    if (rc != 0) {
        return RC_FAIL;
    }
    APR_ARRAY_PUSH(add, jwk_t *) = k;
    return RC_OK;
}

int jwk_load(jwk_set_t *set, apr_pool_t *p, const char *source,
             const jwk_load_opts_t *opts, const char **err)
{
    apr_array_header_t *add = apr_array_make(p, 1, sizeof(jwk_t *));
    const char *path;
    char *merged;
    apr_pool_t *tmp;
    const char *what;
    size_t len;
    char *buf;
    int rc, secret = 0;

    opts = jwk_opts_or_default(opts);
    /* every key gets an RFC 7638 thumbprint (SHA-256), every secret needs
     * HMAC: an OpenSSL without them is named here, not as a key that
     * "could not be exported" */
    if ((what = jose_crypto_missing()) != NULL) {
        return FAIL("OpenSSL cannot provide %s, which this module needs "
                    "for every key: check the providers that OPENSSL_CONF "
                    "activates (the default provider, or fips with base) "
                    "and `openssl list -digest-algorithms`", what);
    }
    if (source == NULL || source[0] == '\0') {
        return FAIL("No key source given: name a PEM, JWK or JWK Set file, "
                    "or secret:FILE");
    }
    if (strncmp(source, "https://", 8) == 0
        || strncmp(source, "http://", 7) == 0) {
        return FAIL("%s: remote key sets are not supported here; name a "
                    "local PEM, JWK or JWK Set file", source);
    }
    path = source;
    if (strncmp(source, "secret:", 7) == 0) {
        secret = 1;
        path = source + 7;
        if (path[0] == '\0') {
            return FAIL("secret: needs a file name (secret:/path/to/file): "
                        "%s", HINT_HMAC);
        }
    }
    if (opts->base_dir != NULL) {
        if (apr_filepath_merge(&merged, opts->base_dir, path, 0, p)
            != APR_SUCCESS) {
            return FAIL("Cannot resolve the key path %s under %s", path,
                        opts->base_dir);
        }
        path = merged;
    }
    tmp = jwk_scratch(p);
    if (tmp == NULL) {
        return FAIL("Out of memory loading %s", path);
    }
    rc = read_file(&buf, &len, p, tmp, path, err);
    if (rc == RC_OK) {
        rc = load_content(add, p, tmp, buf, len, secret, opts, path, err);
    }
    if (rc == RC_OK) {
        rc = jwk_set_commit(set, p, add, err);
    }
    apr_pool_destroy(tmp);
    return rc == RC_OK ? 0 : -1;
}
