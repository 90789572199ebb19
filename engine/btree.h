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
typedef struct btree_pages {
    void *ctx;
    int (*get)(void *ctx, uint32_t pgno, const uint8_t **data, void **ref);
    void (*put)(void *ctx, void *ref);
    uint32_t page_size;  /* 512..65536 */
    uint32_t usable;     /* page_size minus the reserved bytes per page */
    uint32_t page_count; /* pages in the database: child and overflow pointers beyond are corrupt */
} btree_pages;

typedef struct btree_level {
    uint32_t pgno;
    const uint8_t *data; /* the page image */
    void *ref;
    uint32_t hdr;   /* offset of the B-tree page header: 100 on page 1, else 0 */
    uint32_t ncell; /* cells on the page */
    uint32_t idx;   /* cell the cursor is at; on an interior page, the child it went into
                       (ncell: the right-most child) */
    uint8_t type;
} btree_level;

typedef struct btree_cursor {
    const btree_pages *src;
    uint32_t root;
    int is_index;
    int depth; /* levels in use; 0: not positioned (before the first or after the last) */
    btree_level lvl[BTREE_MAX_DEPTH];
    /* the entry the cursor is at (valid when depth > 0) */
    int64_t rowid;        /* table B-trees */
    uint32_t payload_len; /* whole payload */
    const uint8_t *local; /* its part on the page */
    uint32_t local_len;   /* bytes of it on the page */
    uint32_t overflow;    /* first overflow page (0: none) */
    uint8_t *buf;         /* payload assembled from overflow pages */
    uint32_t buf_cap;
    char msg[160]; /* what the last error was about */
} btree_cursor;

/* Compares the record `rec` (len bytes, a whole index payload) with the
 * caller's key: <0 if the record sorts before the key, 0 equal, >0 after.
 * Returns SEALDB_OK, or an error (SEALDB_ECORRUPT for a malformed record). */
typedef int (*btree_compare_fn)(void *ctx, const uint8_t *rec, uint32_t len, int *result);

/* Prepares cursor c on the tree rooted at root (is_index: an index B-tree). */
int btree_cursor_init(btree_cursor *c, const btree_pages *src, uint32_t root, int is_index);
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

/* Bytes of a payload of `payload` bytes kept on a page of this tree kind
 * (the rest goes to overflow pages), per the file format. */
uint32_t btree_local_size(uint32_t usable, int leaf_table, uint32_t payload);

#endif /* SEALDB_BTREE_H */
