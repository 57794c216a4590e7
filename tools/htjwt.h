/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * htjwt.h: what the htjwt command files share (tools/htjwt.c is the
 * program and its key and token commands; tools/htjwt_revoke.c talks to a
 * running server).
 */

#ifndef HTJWT_H
#define HTJWT_H

#include <stddef.h>
#include <apr_pools.h>

#define HTJWT_EXIT_REJECTED 1
#define HTJWT_EXIT_USAGE    2

extern const char *const htjwt_progname;

/* ARG as a token, or standard input for NULL or "-"; surrounding white
 * space dropped; copied into P. */
const char *htjwt_token_arg(apr_pool_t *p, const char *arg, size_t *len);

/* htjwt revoke (tools/htjwt_revoke.c). */
int htjwt_cmd_revoke(apr_pool_t *p, int argc, const char *const *argv);

#endif /* HTJWT_H */
