/*
 * page_store.h - a database image in memory as a B-tree page source, for
 * the tests of the B-tree and the catalog: pages are heap blocks, freed
 * pages go on a list that allocations reuse, and the image can be saved
 * as a database file (with SQLite's freelist) for SQLite to check.
 *
 * It counts gets and puts (they must balance), reads of pages on the free
 * list (there must be none), and can be told to fail allocations or
 * releases.
 */
#ifndef SEALDB_TEST_PAGE_STORE_H
#define SEALDB_TEST_PAGE_STORE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree.h"
#include "check.h"

typedef struct store {
    btree_pages src;
    uint8_t **pages;
    uint32_t cap;
    uint32_t *freed;
    uint32_t nfreed;
    int gets, puts;
    int bad_reads;    /* reads of pages on the free list */
    int fail_allocs;  /* > 0: that many allocations succeed, then they fail */
    int fail_release; /* releases fail */
} store;

static inline uint32_t store_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void store_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int st_get(void *ctx, uint32_t pgno, const uint8_t **data, void **ref)
{
    store *s = ctx;
    if (pgno == 0 || pgno > s->src.page_count) {
        return SEALDB_EIO;
    }
    for (uint32_t i = 0; i < s->nfreed; i++) {
        s->bad_reads += s->freed[i] == pgno;
    }
    *data = s->pages[pgno - 1];
    *ref = NULL;
    s->gets++;
    return SEALDB_OK;
}

static void st_put(void *ctx, void *ref)
{
    (void)ref;
    ((store *)ctx)->puts++;
}

static int st_write(void *ctx, uint32_t pgno, uint8_t **data)
{
    store *s = ctx;
    if (pgno == 0 || pgno > s->src.page_count) {
        return SEALDB_EIO;
    }
    *data = s->pages[pgno - 1];
    return SEALDB_OK;
}

/* Room for one more page. */
static void st_grow(store *s)
{
    if (s->src.page_count == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->pages = realloc(s->pages, sizeof(uint8_t *) * s->cap);
        s->freed = realloc(s->freed, sizeof(uint32_t) * s->cap);
        if (!s->pages || !s->freed) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
}

static int st_allocate(void *ctx, uint32_t *pgno, uint8_t **data)
{
    store *s = ctx;
    if (s->fail_allocs > 0 && --s->fail_allocs == 0) {
        return SEALDB_EIO;
    }
    if (s->nfreed > 0) {
        *pgno = s->freed[--s->nfreed];
    } else {
        st_grow(s);
        s->pages[s->src.page_count] = malloc(s->src.page_size);
        if (!s->pages[s->src.page_count]) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
        *pgno = ++s->src.page_count;
    }
    *data = s->pages[*pgno - 1];
    memset(*data, 0, s->src.page_size);
    return SEALDB_OK;
}

static int st_release(void *ctx, uint32_t pgno)
{
    store *s = ctx;
    if (s->fail_release) {
        return SEALDB_EIO;
    }
    CHECK(pgno >= 2 && pgno <= s->src.page_count);
    for (uint32_t i = 0; i < s->nfreed; i++) {
        if (s->freed[i] == pgno) {
            CHECK(0); /* released twice */
            return SEALDB_ECORRUPT;
        }
    }
    s->freed[s->nfreed++] = pgno;
    return SEALDB_OK;
}

/* An empty store (no pages) of page_size-byte pages, all usable. */
static void store_setup(store *s, uint32_t page_size)
{
    memset(s, 0, sizeof *s);
    s->src = (btree_pages){.ctx = s,
                           .get = st_get,
                           .put = st_put,
                           .page_size = page_size,
                           .usable = page_size,
                           .write = st_write,
                           .allocate = st_allocate,
                           .release = st_release};
}

static void store_free(store *s)
{
    for (uint32_t i = 0; i < s->src.page_count; i++) {
        free(s->pages[i]);
    }
    free(s->pages);
    free(s->freed);
}

/* Writes the image as a database file: the header's change counter set to
 * counter, its page count, and the freelist (trunk pages listing the other
 * free pages). */
static void store_save(store *s, const char *path, uint32_t counter)
{
    uint8_t *p1 = s->pages[0];
    store_put32(p1 + 24, counter);
    store_put32(p1 + 92, counter);
    store_put32(p1 + 28, s->src.page_count);
    store_put32(p1 + 32, s->nfreed ? s->freed[0] : 0);
    store_put32(p1 + 36, s->nfreed);
    const uint32_t per = s->src.usable / 4 - 2;
    uint8_t **image = calloc(s->src.page_count, sizeof(uint8_t *));
    uint8_t *trunks = calloc((size_t)(s->nfreed / (per + 1) + 1), s->src.page_size);
    uint32_t t = 0;
    for (uint32_t i = 0; i < s->nfreed; t++) {
        uint8_t *trunk = trunks + (size_t)t * s->src.page_size;
        const uint32_t leaves = s->nfreed - i - 1 < per ? s->nfreed - i - 1 : per;
        image[s->freed[i] - 1] = trunk;
        store_put32(trunk, i + 1 + leaves < s->nfreed ? s->freed[i + 1 + leaves] : 0);
        store_put32(trunk + 4, leaves);
        for (uint32_t k = 0; k < leaves; k++) {
            store_put32(trunk + 8 + 4 * k, s->freed[i + 1 + k]);
        }
        i += 1 + leaves;
    }
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    for (uint32_t i = 0; f && i < s->src.page_count; i++) {
        CHECK(fwrite(image[i] ? image[i] : s->pages[i], 1, s->src.page_size, f) ==
              s->src.page_size);
    }
    if (f) {
        fclose(f);
    }
    free(image);
    free(trunks);
}

#endif /* SEALDB_TEST_PAGE_STORE_H */
