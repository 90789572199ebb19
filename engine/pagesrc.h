/*
 * pagesrc.h - the native pager as a B-tree page source (engine/pagesrc.c):
 * a snapshot read-only, or a write batch read through its own snapshot
 * and written in place. Used by the native engine and by the tests that
 * put the B-tree over the pager.
 */
#ifndef SEALDB_PAGESRC_H
#define SEALDB_PAGESRC_H

#include "btree.h"
#include "pager.h"

typedef struct pager_source {
    btree_pages pages;  /* hand &pages to cursors; page_count follows allocations */
    pager_batch *batch; /* NULL: read only */
    pager_snapshot *snap;
} pager_source;

/* Pages of the batch b (writable), or else of the snapshot s. */
void pager_source_init(pager_source *x, pager *p, pager_batch *b, pager_snapshot *s);

#endif /* SEALDB_PAGESRC_H */
