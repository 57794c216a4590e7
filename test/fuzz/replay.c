/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * replay.c: a plain main() for a fuzz target, without libFuzzer, so that
 * `make check` runs every seed and every past reproducer under ASan, UBSan
 * and LSan on each build (doc/attacks.md F6).
 *
 *   replay_TARGET [FILE|DIR]...
 *
 * Each FILE, and each regular file of each DIR (in name order, not
 * recursive), is read into a buffer of exactly its size and passed to
 * LLVMFuzzerTestOneInput.  Without arguments the directory is $FUZZ_CORPUS,
 * else the one compiled in (FUZZ_CORPUS: test/fuzz/corpus/TARGET of the
 * source tree).  A target that finds a bug aborts; finding no input at all
 * is a failure too, so that a lost corpus does not pass as a clean run.
 * With FUZZ_VERBOSE set in the environment each file is named on stderr
 * before it runs.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_file_info.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "fuzz_common.h"

#ifndef FUZZ_CORPUS
#define FUZZ_CORPUS "."
#endif

static long inputs;
static int verbose;     /* FUZZ_VERBOSE set: name each input first */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* PATH's bytes in a malloc'ed buffer of exactly their length. */
static char *read_file(apr_pool_t *p, const char *path, apr_size_t *len)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t n;
    char *buf;

    if (apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                      APR_FPROT_OS_DEFAULT, p) != APR_SUCCESS
        || apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
        return NULL;
    }
    n = (apr_size_t)fi.size;
    /* exactly N bytes: ASan reports a read past the input's end */
    buf = malloc(n > 0 ? n : 1);
    if (buf != NULL && n > 0
        && apr_file_read_full(f, buf, n, &n) != APR_SUCCESS) {
        free(buf);
        buf = NULL;
    }
    apr_file_close(f);
    *len = n;
    return buf;
}

static int run_file(apr_pool_t *p, const char *path)
{
    apr_pool_t *sub;
    apr_size_t n = 0;
    char *buf;

    /* the driver's own allocations are gone before the input runs, so
     * that the target sees the same pools as under libFuzzer */
    if (apr_pool_create(&sub, p) != APR_SUCCESS) {
        return -1;
    }
    buf = read_file(sub, path, &n);
    apr_pool_destroy(sub);
    if (buf == NULL) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    if (verbose) {
        fprintf(stderr, "replay: %s\n", path);
    }
    (void)LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
    free(buf);
    inputs++;
    return 0;
}

static int run_dir(apr_pool_t *p, const char *dir)
{
    apr_array_header_t *names = apr_array_make(p, 64, sizeof(char *));
    apr_dir_t *d;
    apr_finfo_t fi;
    int i, rc = 0;

    if (apr_dir_open(&d, dir, p) != APR_SUCCESS) {
        fprintf(stderr, "replay: cannot open the directory %s\n", dir);
        return -1;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME | APR_FINFO_TYPE, d)
           == APR_SUCCESS) {
        if (fi.filetype == APR_REG && fi.name[0] != '.') {
            APR_ARRAY_PUSH(names, char *) = apr_pstrdup(p, fi.name);
        }
    }
    apr_dir_close(d);
    qsort(names->elts, (size_t)names->nelts, sizeof(char *), by_name);
    for (i = 0; i < names->nelts; i++) {
        APR_ARRAY_IDX(names, i, char *) =
            apr_pstrcat(p, dir, "/", APR_ARRAY_IDX(names, i, char *), NULL);
    }
    for (i = 0; i < names->nelts && rc == 0; i++) {
        rc = run_file(p, APR_ARRAY_IDX(names, i, char *));
    }
    return rc;
}

int main(int argc, char **argv)
{
    const char *env = getenv("FUZZ_CORPUS");
    const char *dflt = env != NULL && *env != '\0' ? env : FUZZ_CORPUS;
    const char *const *args = (const char *const *)argv + 1;
    int nargs = argc - 1, i, rc = 0;
    apr_pool_t *p;
    apr_finfo_t fi;

    verbose = getenv("FUZZ_VERBOSE") != NULL;
    (void)LLVMFuzzerInitialize(&argc, &argv);
    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return 1;
    }
    if (nargs <= 0) {
        args = &dflt;
        nargs = 1;
    }
    for (i = 0; i < nargs && rc == 0; i++) {
        if (apr_stat(&fi, args[i], APR_FINFO_TYPE, p) != APR_SUCCESS) {
            fprintf(stderr, "replay: %s does not exist\n", args[i]);
            rc = -1;
        }
        else if (fi.filetype == APR_DIR) {
            rc = run_dir(p, args[i]);
        }
        else {
            rc = run_file(p, args[i]);
        }
    }
    apr_pool_destroy(p);
    if (rc != 0) {
        return 1;
    }
    if (inputs == 0) {
        fprintf(stderr, "replay: no input found in %s\n", args[0]);
        return 1;
    }
    printf("%s: %ld inputs replayed without a finding\n", argv[0], inputs);
    return 0;
}
