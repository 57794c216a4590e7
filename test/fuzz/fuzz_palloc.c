/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License.  You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
 * WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 */

/*
 * fuzz_palloc.c: in the fuzz programs only, every apr_palloc() is a malloc()
 * of its own, freed by a cleanup of its pool (doc/attacks.md F6).
 *
 * APR carves pool allocations out of large blocks (mapped with mmap by
 * Debian's libapr), where AddressSanitizer sees neither the end of one
 * allocation nor the reuse of a cleared block: a decoded segment written
 * or read a few bytes too far would go unnoticed, and so would a pointer
 * into one input's pool used during the next.  Defined here, apr_palloc
 * takes precedence over libapr's for the whole program (APR's own calls,
 * apr_pstrdup, apr_pstrcat, apr_array_push, go through the PLT as well), so
 * each allocation gets ASan's redzones and is freed when its pool is
 * cleared or destroyed.  The cleanup record itself comes from the real
 * apr_palloc.  The fuzz programs are single-threaded.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* RTLD_NEXT */
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <apr_pools.h>
#include "fuzz_common.h"

typedef void *palloc_fn(apr_pool_t *p, apr_size_t size);

static palloc_fn *real_palloc;
static int inside;
static size_t live;

size_t fz_palloc_live(void)
{
    return live;
}

static apr_status_t free_block(void *block)
{
    free(block);
    live--;
    return APR_SUCCESS;
}

static palloc_fn *find_real(void)
{
    void *sym;

    if (real_palloc == NULL) {
        sym = dlsym(RTLD_NEXT, "apr_palloc");
        if (sym == NULL) {
            fputs("fuzz: libapr's apr_palloc not found\n", stderr);
            abort();
        }
        /* POSIX: a function pointer may be stored in a void * */
        *(void **)&real_palloc = sym;
    }
    return real_palloc;
}

void *apr_palloc(apr_pool_t *p, apr_size_t size)
{
    void *block;

    if (inside) {
        return find_real()(p, size);
    }
    block = malloc(size);
    if (block == NULL) {
        return find_real()(p, size);
    }
    /* LIFO: cleanups registered later (jose_wipe_on_cleanup on this block)
     * run before this one frees it.  The block is only stored, never read
     * (gcc cannot know: the parameter is a const void *). */
    live++;
    inside = 1;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
    apr_pool_cleanup_register(p, block, free_block, apr_pool_cleanup_null);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
    inside = 0;
    return block;
}
