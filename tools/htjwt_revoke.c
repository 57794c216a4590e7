/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * htjwt revoke: revoke a token at a running server, an RFC 7009 section
 * 2.1 request to a SetHandler jwt-revoke location:
 *
 *   POST URL  Content-Type: application/x-www-form-urlencoded
 *             token=TOKEN[&token_type_hint=HINT]
 *
 * The caller authenticates as the location wants: by default with the
 * token itself as its Bearer credential (a client revoking its own
 * token), or with another token (--auth-token) or a Basic login (--user).
 * No redirects are followed, so a credential never goes anywhere but URL.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_pools.h>
#include <apr_strings.h>
#include <curl/curl.h>

#include "htjwt.h"

#define MAX_ANSWER  (64 * 1024)

static const char revoke_help[] =
"usage: htjwt revoke [options] URL [TOKEN|-]\n"
"\n"
"Revoke TOKEN (read from standard input when '-' or absent) at the\n"
"server's SetHandler jwt-revoke location URL (RFC 7009).  By default the\n"
"token is also the request's credential (Authorization: Bearer TOKEN),\n"
"which lets a client revoke its own token.\n"
"  --auth-token T     authenticate with token T instead ('-': stdin)\n"
"  --user USER:PASS   authenticate with a Basic login instead\n"
"  --hint HINT        token_type_hint (access_token, refresh_token)\n"
"  --cacert FILE      trust anchors for an https:// URL\n"
"  --timeout SECONDS  whole request, default 10\n"
"The server answers 200 both when it revoked the token and when the\n"
"token was not valid there (RFC 7009 section 2.2).\n"
"Exit status: 0 answered 200, 1 refused (the OAuth error is printed),\n"
"2 usage error or no answer.\n";

typedef struct {
    char *buf;
    size_t len;
} answer_t;

static size_t on_body(char *data, size_t size, size_t n, void *baton)
{
    answer_t *a = baton;
    size_t add = size * n;

    if (a->len + add > MAX_ANSWER) {
        add = MAX_ANSWER - a->len;
    }
    memcpy(a->buf + a->len, data, add);
    a->len += add;
    return size * n;
}

int htjwt_cmd_revoke(apr_pool_t *p, int argc, const char *const *argv)
{
    const char *url = NULL, *token_src = NULL, *auth = NULL, *user = NULL;
    const char *hint = NULL, *cacert = NULL, *token, *cred;
    long timeout = 10, code = 0;
    struct curl_slist *hdrs = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    answer_t ans;
    CURL *c;
    CURLcode cc;
    char *esc, *body;
    size_t len;
    int i, rc;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--help") == 0) {
            fputs(revoke_help, stdout);
            return 0;
        }
        if (a[0] == '-' && a[1] == '-' && i + 1 >= argc) {
            fprintf(stderr, "%s: %s needs a value\n\n%s", htjwt_progname, a,
                    revoke_help);
            return HTJWT_EXIT_USAGE;
        }
        if (strcmp(a, "--auth-token") == 0) {
            auth = argv[++i];
        }
        else if (strcmp(a, "--user") == 0) {
            user = argv[++i];
        }
        else if (strcmp(a, "--hint") == 0) {
            hint = argv[++i];
        }
        else if (strcmp(a, "--cacert") == 0) {
            cacert = argv[++i];
        }
        else if (strcmp(a, "--timeout") == 0) {
            char *end;

            timeout = strtol(argv[++i], &end, 10);
            if (*end != '\0' || timeout < 1 || timeout > 3600) {
                fprintf(stderr, "%s: --timeout takes 1 to 3600 seconds\n",
                        htjwt_progname);
                return HTJWT_EXIT_USAGE;
            }
        }
        else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "%s: unknown option %s\n\n%s", htjwt_progname, a,
                    revoke_help);
            return HTJWT_EXIT_USAGE;
        }
        else if (url == NULL) {
            url = a;
        }
        else if (token_src == NULL) {
            token_src = a;
        }
        else {
            fputs(revoke_help, stderr);
            return HTJWT_EXIT_USAGE;
        }
    }
    if (url == NULL || (auth != NULL && user != NULL)) {
        fputs(revoke_help, stderr);
        return HTJWT_EXIT_USAGE;
    }
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        fprintf(stderr, "%s: URL must start with http:// or https://\n",
                htjwt_progname);
        return HTJWT_EXIT_USAGE;
    }
    if (user != NULL && strchr(user, ':') == NULL) {
        fprintf(stderr, "%s: --user takes USER:PASSWORD\n", htjwt_progname);
        return HTJWT_EXIT_USAGE;
    }
    if (token_src != NULL && strcmp(token_src, "-") == 0
        && auth != NULL && strcmp(auth, "-") == 0) {
        fprintf(stderr, "%s: only one of TOKEN and --auth-token can be "
                "read from standard input\n", htjwt_progname);
        return HTJWT_EXIT_USAGE;
    }
    token = htjwt_token_arg(p, token_src, &len);
    if (auth != NULL) {
        size_t alen;

        auth = htjwt_token_arg(p, auth, &alen);
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK
        || (c = curl_easy_init()) == NULL) {
        fprintf(stderr, "%s: cannot initialise libcurl\n", htjwt_progname);
        return HTJWT_EXIT_USAGE;
    }
    esc = curl_easy_escape(c, token, (int)len);
    body = apr_pstrcat(p, "token=", esc ? esc : "", NULL);
    curl_free(esc);
    if (hint != NULL) {
        esc = curl_easy_escape(c, hint, 0);
        body = apr_pstrcat(p, body, "&token_type_hint=", esc ? esc : "",
                           NULL);
        curl_free(esc);
    }
    if (user == NULL) {
        cred = apr_pstrcat(p, "Authorization: Bearer ",
                           auth != NULL ? auth : token, NULL);
        hdrs = curl_slist_append(hdrs, cred);
    }
    hdrs = curl_slist_append(hdrs, "Content-Type: "
                             "application/x-www-form-urlencoded");
    hdrs = curl_slist_append(hdrs, "Accept: application/json");
    ans.buf = apr_palloc(p, MAX_ANSWER + 1);
    ans.len = 0;

    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &ans);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "htjwt-revoke");
    if (user != NULL) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, user);
    }
    if (cacert != NULL) {
        curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
    }
    cc = curl_easy_perform(c);
    if (cc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    curl_global_cleanup();
    ans.buf[ans.len] = '\0';

    if (cc != CURLE_OK) {
        fprintf(stderr, "%s: no answer from %s: %s\n", htjwt_progname, url,
                errbuf[0] ? errbuf : curl_easy_strerror(cc));
        return HTJWT_EXIT_USAGE;
    }
    if (code == 200) {
        fprintf(stderr, "%s: the server answered 200: the token is revoked "
                "there, or was not valid there\n", htjwt_progname);
        return 0;
    }
    rc = HTJWT_EXIT_REJECTED;
    fprintf(stderr, "%s: the server answered %ld%s%s\n", htjwt_progname,
            code, ans.len ? ": " : "", ans.len ? ans.buf : "");
    return rc;
}
