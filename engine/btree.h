/*
 * btree.h - cursors over SQLite-format B-trees (engine/btree.c).
 *
 * A cursor walks one table B-tree (integer keys, rows in the leaves) or one
 * index B-tree (records as keys, in every page) of a database whose pages
 * come from a btree_pages source: the native pager's snapshot, or any
 * function that returns page images. Pages are only read here; every byte
 * taken from a page is bounds-checked, so a damaged page gives
 * SEALDB_ECORRUPT with a message naming it, never a crash or a loop.
 */
#ifndef SEALDB_BTREE_H
#define SEALDB_BTREE_H

#include <stdint.h>

#include "sealdb.h"

/* The deepest tree a cursor follows; SQLite's own limit. Deeper is corrupt. */
#define BTREE_MAX_DEPTH 20

/* Page types (byte 0 of the B-tree page header). */
enum {
    BTREE_INTERIOR_INDEX = 2,
    BTREE_INTERIOR_TABLE = 5,
    BTREE_LEAF_INDEX = 10,
    BTREE_LEAF_TABLE = 13,
};

/* Where a cursor gets its pages. get returns a read-only image of page pgno
 * (page_size bytes, plaintext) that stays valid until put(ref); it returns
 * SEALDB_OK or an error code of its own (which the cursor passes on). */
typedef struct btree_pages btree_pages;
struct btree_pages {
    void *ctx;
    int (*get)(void *ctx, uint32_t pgno, const uint8_t **data, void **ref);
    void (*put)(void *ctx, void *ref);
    uint32_t page_size;  /* 512..65536 */
    uint32_t usable;     /* page_size minus the reserved bytes per page */
    uint32_t page_count; /* pages in the database: child and overflow pointers beyond are corrupt */
    /* Writing (NULL for a read-only source). write makes page pgno part of
     * the caller's write batch and returns its image to modify in place;
     * allocate hands out a new page (zeroed, in the batch, counted in
     * page_count); release gives a page back to the free list. A pointer
     * from get may be stale after a write of the same page: cursors are
     * unpositioned by every change. */
    int (*write)(void *ctx, uint32_t pgno, uint8_t **data);
    int (*allocate)(void *ctx, uint32_t *pgno, uint8_t **data);
    int (*release)(void *ctx, uint32_t pgno);
};

/* Compares two whole index records in the tree's order: *result <0, 0, >0.
 * Returns SEALDB_OK, or SEALDB_ECORRUPT for a malformed record. */
typedef int (*btree_record_fn)(void *ctx, const uint8_t *a, uint32_t alen, const uint8_t *b,
                               uint32_t blen, int *result);

typedef struct btree_level {
    uint32_t pgno;
    const uint8_t *data; /* the page image */
    void *ref;
    uint32_t hdr;   /* offset of the B-tree page header: 100 on page 1, else 0 */
    uint32_t ncell; /* cells on the page */
    uint32_t idx;   /* cell the cursor is at; on an interior page, the child it went into
                       (ncell: the right-most child) */
    uint32_t span;  /* the page's cells' average size in bytes (from its header) */
    uint8_t type;
} btree_level;

typedef struct btree_cursor {
    btree_pages *src;
    uint32_t root;
    int is_index;
    int depth;   /* levels in use; 0: not positioned (before the first or after the last) */
    int partial; /* positioned by btree_ahead_seek: only the leaf is held */
    /* the last leaf's cell area in bytes and its cells (seeks guess from
     * them where a leaf's cells lie) */
    uint32_t leaf_area, leaf_cells;
    int height; /* btree_ahead_find: levels from the root to a leaf (0: not known yet) */
    btree_level lvl[BTREE_MAX_DEPTH];
    /* the entry the cursor is at (valid when depth > 0) */
    int64_t rowid;        /* table B-trees */
    uint32_t payload_len; /* whole payload */
    const uint8_t *local; /* its part on the page */
    uint32_t local_len;   /* bytes of it on the page */
    uint32_t overflow;    /* first overflow page (0: none) */
    uint8_t *buf;         /* payload assembled from overflow pages */
    uint32_t buf_cap;
    btree_record_fn record_cmp; /* index trees: the order of records (for deletes) */
    void *record_ctx;
    char msg[160]; /* what the last error was about */
} btree_cursor;

/* Compares the record `rec` (len bytes, a whole index payload) with the
 * caller's key: <0 if the record sorts before the key, 0 equal, >0 after.
 * Returns SEALDB_OK, or an error (SEALDB_ECORRUPT for a malformed record). */
typedef int (*btree_compare_fn)(void *ctx, const uint8_t *rec, uint32_t len, int *result);

/* Prepares cursor c on the tree rooted at root (is_index: an index B-tree). */
int btree_cursor_init(btree_cursor *c, btree_pages *src, uint32_t root, int is_index);
/* Index trees: the order of whole records, which deleting an entry from an
 * interior page needs (to find the entry that takes its place). */
void btree_cursor_set_order(btree_cursor *c, btree_record_fn cmp, void *ctx);

/* Releases every page the cursor holds and its payload buffer. */
void btree_cursor_close(btree_cursor *c);

/* Positions at the first / last entry; *eof = 1 if the tree is empty. */
int btree_first(btree_cursor *c, int *eof);
int btree_last(btree_cursor *c, int *eof);
/* Moves to the next / previous entry; *eof = 1 (cursor unpositioned) past the end. */
int btree_next(btree_cursor *c, int *eof);
int btree_prev(btree_cursor *c, int *eof);

/* Table B-trees: positions at rowid or next to where it would be. *cmp = 0
 * at rowid; <0 at an entry before it (none after it exists); >0 at the
 * first entry after it; *eof = 1 if the tree is empty. */
int btree_seek_rowid(btree_cursor *c, int64_t rowid, int *cmp, int *eof);

/* Index B-trees: positions at an entry equal to the key by compare, or else
 * at the first entry after it (*cmp > 0) or, if none is, at the last entry
 * (*cmp < 0); *eof = 1 if the tree is empty. With a comparison that never
 * returns 0 for the key (a prefix key sorting before its equals) this finds
 * the first entry >= the key: call btree_next when *cmp < 0. */
int btree_seek_index(btree_cursor *c, btree_compare_fn compare, void *ctx, int *cmp, int *eof);

/* The entry's rowid (table B-trees). */
int64_t btree_rowid(const btree_cursor *c);

/* The entry's whole payload: a pointer into the page when it is all there,
 * else assembled from its overflow pages into the cursor's buffer. Valid
 * until the cursor moves. */
int btree_payload(btree_cursor *c, const uint8_t **data, uint32_t *len);

/* ---- reading rows ahead ---- */

/* A table leaf found for a rowid before the row is read. A scan through an
 * index reads rows in an order unrelated to where they lie, and each row's
 * leaf is a load from memory after a load after a load (the page header,
 * its cell offset, the cell). Found a few rows ahead, the leaf's lines are
 * asked for while earlier rows are read, and btree_ahead_seek then reads
 * the row with no descent. The page stays pinned from btree_ahead_find to
 * btree_ahead_seek or btree_ahead_drop, and nothing may be written to the
 * source in between (a write may hand out a new image of the page); after
 * a write, close the scout (it remembers the tree's height). */
typedef struct btree_ahead {
    int64_t rowid;
    uint32_t pgno; /* 0: empty */
    const uint8_t *data;
    void *ref;
    int64_t lb, ub; /* the keys around the leaf in its parent */
    int have_lb, have_ub;
    int primed; /* the sought cell's lines were asked for too */
} btree_ahead;

/* Descends scout (a table cursor) to the leaf where rowid belongs, asks
 * for its header line, and gives the leaf's page to *a without reading it.
 * The scout keeps the levels above (on a read-only source). SEALDB_EINVAL
 * when the tree has no level above its leaves, or no longer the height it
 * had: read the row the usual way. */
int btree_ahead_find(btree_cursor *scout, int64_t rowid, btree_ahead *a);

/* Asks for the lines of the cell where a's rowid should be, from the leaf's
 * header (whose line btree_ahead_find asked for): call it a while after
 * btree_ahead_find and a while before btree_ahead_seek. Only reads; a page
 * that is not what it should be is left to btree_ahead_seek to report. */
void btree_ahead_prime(const btree_cursor *scout, btree_ahead *a);

/* btree_seek_rowid for a's rowid, starting at the leaf in a (which it takes:
 * a is empty after). The cursor holds only the leaf; btree_next and
 * btree_prev seek from the root first. A rowid the leaf lacks (or a page
 * that is not a table leaf) is sought again from the root, so the answer is
 * always btree_seek_rowid's. */
int btree_ahead_seek(btree_cursor *c, btree_ahead *a, int *cmp, int *eof);

/* Gives a's page back (a is empty after). */
void btree_ahead_drop(btree_pages *src, btree_ahead *a);

/* A cursor btree_ahead_seek placed holds only its leaf: this finds the
 * levels above again (a no-op on any other cursor). btree_next, btree_prev
 * and btree_delete call it first. SEALDB_ECORRUPT when the entry is no
 * longer in the tree. */
int btree_cursor_whole(btree_cursor *c);

/* The payload of the entry k entries after the cursor's on the same leaf,
 * when all of it is on the page: SEALDB_ENOTFOUND past the leaf's last
 * entry or when the cursor is not on a leaf, SEALDB_EINVAL for a payload
 * with overflow pages, SEALDB_ECORRUPT for a cell that does not fit. */
int btree_peek(btree_cursor *c, uint32_t k, const uint8_t **data, uint32_t *len);

/* ---- writing (engine/btree_write.c) ---- */

/* Makes an empty tree on a new page: *root is its page number. */
int btree_create(btree_pages *src, int is_index, uint32_t *root);

/* Table B-trees: stores payload under rowid, replacing the row if there is
 * one (its overflow pages are freed). The cursor is left unpositioned. */
int btree_insert_row(btree_cursor *c, int64_t rowid, const uint8_t *payload, uint32_t len);

/* Table B-trees: btree_insert_row for a new row, with one seek: when a row
 * is at rowid already, nothing is written and *exists is set to 1. */
int btree_insert_new_row(btree_cursor *c, int64_t rowid, const uint8_t *payload, uint32_t len,
                         int *exists);

/* Index B-trees: stores the record rec (len bytes) where compare (the
 * record's own key: 0 for an equal entry) places it, replacing an equal
 * entry. The cursor is left unpositioned. */
int btree_insert_entry(btree_cursor *c, btree_compare_fn compare, void *ctx, const uint8_t *rec,
                       uint32_t len);

/* Deletes the entry the cursor is at (after a seek or a move) and frees its
 * overflow pages; pages that become too empty are merged with or refilled
 * from their siblings. An index entry on an interior page needs the
 * cursor's record order (btree_cursor_set_order). The cursor is left
 * unpositioned. */
int btree_delete(btree_cursor *c);

/* Frees every page of the tree rooted at root, the root included when
 * free_root (else the root is left an empty leaf). */
int btree_clear(btree_pages *src, uint32_t root, int is_index, int free_root);

/* Bytes of a payload of `payload` bytes kept on a page of this tree kind
 * (the rest goes to overflow pages), per the file format. */
uint32_t btree_local_size(uint32_t usable, int leaf_table, uint32_t payload);

#endif /* SEALDB_BTREE_H */
