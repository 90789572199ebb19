/*
 * pagesrc.c - the native pager as a B-tree page source; see pagesrc.h.
 */
#include "pagesrc.h"

#include <string.h>

static int src_get(void *ctx, uint32_t pgno, const uint8_t **data, void **ref)
{
    pager_source *x = ctx;
    pager_page *pg;
    const int rc = pager_get(x->snap, pgno, &pg, NULL);
    if (rc == SEALDB_OK) {
        *data = pager_page_data(pg);
        *ref = pg;
    }
    return rc;
}

static void src_put(void *ctx, void *ref)
{
    (void)ctx;
    pager_put(ref);
}

static int src_write(void *ctx, uint32_t pgno, uint8_t **data)
{
    return pager_write(((pager_source *)ctx)->batch, pgno, data, NULL);
}

static int src_allocate(void *ctx, uint32_t *pgno, uint8_t **data)
{
    pager_source *x = ctx;
    const int rc = pager_allocate(x->batch, pgno, data, NULL);
    x->pages.page_count = pager_snapshot_page_count(x->snap);
    return rc;
}

static int src_release(void *ctx, uint32_t pgno)
{
    return pager_free(((pager_source *)ctx)->batch, pgno, NULL);
}

void pager_source_init(pager_source *x, pager *p, pager_batch *b, pager_snapshot *s)
{
    memset(x, 0, sizeof *x);
    x->batch = b;
    x->snap = b ? pager_batch_snapshot(b) : s;
    x->pages = (btree_pages){.ctx = x,
                             .get = src_get,
                             .put = src_put,
                             .page_size = pager_page_size(p),
                             .usable = pager_usable_size(p),
                             .page_count = pager_snapshot_page_count(x->snap)};
    if (b) {
        x->pages.write = src_write;
        x->pages.allocate = src_allocate;
        x->pages.release = src_release;
    }
}
