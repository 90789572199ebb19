/*
 * overlay.c - a private, writable view over a read-only page source; see
 * overlay.h. Private pages live in an open-addressing table keyed by page
 * number; a lookup that misses goes to the base.
 */
#include "overlay.h"

#include <stdlib.h>
#include <string.h>

#include "crypto.h"

typedef struct slot {
    uint32_t pgno; /* 0: empty */
    uint8_t *data;
} slot;

struct overlay {
    btree_pages base;
    btree_pages *src; /* the caller's writable source (page_count kept current) */
    slot *slots;
    uint32_t nslots, n;
    uint32_t next_new; /* the next page number past the snapshot */
};

static uint32_t hash_pgno(uint32_t pgno)
{
    return pgno * 2654435761u;
}

static slot *find(const overlay *o, uint32_t pgno)
{
    if (!o->nslots) {
        return NULL;
    }
    for (uint32_t i = hash_pgno(pgno) & (o->nslots - 1);; i = (i + 1) & (o->nslots - 1)) {
        if (o->slots[i].pgno == pgno) {
            return &o->slots[i];
        }
        if (!o->slots[i].pgno) {
            return NULL;
        }
    }
}

static int grow_table(overlay *o)
{
    const uint32_t nslots = o->nslots ? o->nslots * 2 : 64;
    slot *s = calloc(nslots, sizeof *s);
    if (!s) {
        return SEALDB_ENOMEM;
    }
    for (uint32_t k = 0; k < o->nslots; k++) {
        if (o->slots[k].pgno) {
            uint32_t i = hash_pgno(o->slots[k].pgno) & (nslots - 1);
            while (s[i].pgno) {
                i = (i + 1) & (nslots - 1);
            }
            s[i] = o->slots[k];
        }
    }
    free(o->slots);
    o->slots = s;
    o->nslots = nslots;
    return SEALDB_OK;
}

/* A new private page pgno (zeroed, or a copy of from); *data its image. */
static int add(overlay *o, uint32_t pgno, const uint8_t *from, uint8_t **data)
{
    if ((o->n + 1) * 4 > o->nslots * 3 && grow_table(o) != SEALDB_OK) {
        return SEALDB_ENOMEM;
    }
    uint8_t *d = malloc(o->base.page_size);
    if (!d) {
        return SEALDB_ENOMEM;
    }
    if (from) {
        memcpy(d, from, o->base.page_size);
    } else {
        memset(d, 0, o->base.page_size);
    }
    uint32_t i = hash_pgno(pgno) & (o->nslots - 1);
    while (o->slots[i].pgno) {
        i = (i + 1) & (o->nslots - 1);
    }
    o->slots[i] = (slot){pgno, d};
    o->n++;
    *data = d;
    return SEALDB_OK;
}

/* Private pages carry no reference; base pages carry the base's, tagged in
 * the low bit so that put can tell them apart (refs are aligned pointers). */
static int ov_get(void *ctx, uint32_t pgno, const uint8_t **data, void **ref)
{
    overlay *o = ctx;
    const slot *s = find(o, pgno);
    if (s) {
        *data = s->data;
        *ref = NULL;
        return SEALDB_OK;
    }
    void *r = NULL;
    const int rc = o->base.get(o->base.ctx, pgno, data, &r);
    if (rc == SEALDB_OK) {
        *ref = (void *)((uintptr_t)r | 1);
    }
    return rc;
}

static void ov_put(void *ctx, void *ref)
{
    overlay *o = ctx;
    if (ref) {
        o->base.put(o->base.ctx, (void *)((uintptr_t)ref & ~(uintptr_t)1));
    }
}

static int ov_write(void *ctx, uint32_t pgno, uint8_t **data)
{
    overlay *o = ctx;
    slot *s = find(o, pgno);
    if (s) {
        *data = s->data;
        return SEALDB_OK;
    }
    const uint8_t *img = NULL;
    void *r = NULL;
    int rc = o->base.get(o->base.ctx, pgno, &img, &r);
    if (rc != SEALDB_OK) {
        return rc;
    }
    rc = add(o, pgno, img, data);
    o->base.put(o->base.ctx, r);
    return rc;
}

static int ov_allocate(void *ctx, uint32_t *pgno, uint8_t **data)
{
    overlay *o = ctx;
    if (o->next_new == UINT32_MAX) {
        return SEALDB_ETOOBIG;
    }
    const int rc = add(o, o->next_new, NULL, data);
    if (rc == SEALDB_OK) {
        *pgno = o->next_new++;
        o->src->page_count = o->next_new - 1;
    }
    return rc;
}

static int ov_release(void *ctx, uint32_t pgno)
{
    (void)ctx;
    (void)pgno; /* a freed page is just no longer referred to: the view is thrown away */
    return SEALDB_OK;
}

int overlay_open(overlay **out, const btree_pages *base, btree_pages *src)
{
    overlay *o = calloc(1, sizeof *o);
    if (!o) {
        return SEALDB_ENOMEM;
    }
    o->base = *base;
    o->src = src;
    o->next_new = base->page_count + 1;
    *src = (btree_pages){.ctx = o,
                         .get = ov_get,
                         .put = ov_put,
                         .page_size = base->page_size,
                         .usable = base->usable,
                         .page_count = base->page_count,
                         .write = ov_write,
                         .allocate = ov_allocate,
                         .release = ov_release};
    *out = o;
    return SEALDB_OK;
}

void overlay_reset(overlay *o)
{
    for (uint32_t i = 0; i < o->nslots; i++) {
        if (o->slots[i].pgno) {
            crypto_wipe(o->slots[i].data, o->base.page_size);
            free(o->slots[i].data);
            o->slots[i] = (slot){0};
        }
    }
    o->n = 0;
    o->next_new = o->base.page_count + 1;
    o->src->page_count = o->base.page_count;
}

void overlay_free(overlay *o)
{
    if (!o) {
        return;
    }
    overlay_reset(o);
    free(o->slots);
    free(o);
}

uint32_t overlay_pages(const overlay *o)
{
    return o->n;
}
