/*
 * btree.c - reading SQLite-format B-trees: cursors, seeks, overflow chains.
 *
 * The format (docs/FORMAT.md leaves it to SQLite's file-format document,
 * which this follows): a B-tree page starts with a header (8 bytes on a
 * leaf, 12 on an interior page; at offset 100 on page 1), then an array of
 * 2-byte cell offsets in key order, then free space, then the cells.
 *
 *   type 13  table leaf       varint payload size, varint rowid, payload
 *   type  5  table interior   4-byte left child, varint rowid (the largest
 *                             rowid in that child)
 *   type 10  index leaf       varint payload size, payload
 *   type  2  index interior   4-byte left child, varint payload size, payload
 *
 * A payload larger than a page allows keeps its first bytes in the cell and
 * the rest in a chain of overflow pages (4-byte next page, then data);
 * btree_local_size says how much stays. Table interior cells carry no
 * payload, so a table's rows are all in its leaves; index interior cells
 * are entries themselves, ordered between their left child and the next.
 *
 * Invariants:
 * - Every offset, length and page number read from a page is checked
 *   against the page, the usable size and the page count before use; the
 *   depth is bounded, so a cycle of child pointers ends as corruption.
 * - A positioned cursor holds (pins) the page of every level down to its
 *   entry, and nothing else; moving releases what it leaves. On a
 *   read-only source a seek keeps the levels it passes through again.
 */
#include "btree.h"
#include "btree_int.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int corrupt(btree_cursor *c, uint32_t pgno, const char *what)
{
    snprintf(c->msg, sizeof c->msg, "B-tree page %u: %s", pgno, what);
    return SEALDB_ECORRUPT;
}

uint32_t btree_local_size(uint32_t usable, int leaf_table, uint32_t payload)
{
    const uint32_t max_local = leaf_table ? usable - 35 : (usable - 12) * 64 / 255 - 23;
    if (payload <= max_local) {
        return payload;
    }
    const uint32_t min_local = (usable - 12) * 32 / 255 - 23;
    const uint32_t k = min_local + (payload - min_local) % (usable - 4);
    return k <= max_local ? k : min_local;
}

static void release_from(btree_cursor *c, int level)
{
    for (int i = c->depth - 1; i >= level; i--) {
        if (c->lvl[i].ref || c->lvl[i].data) {
            c->src->put(c->src->ctx, c->lvl[i].ref);
        }
        c->lvl[i].data = NULL;
        c->lvl[i].ref = NULL;
    }
    if (c->depth > level) {
        c->depth = level;
    }
}

static int level_open(btree_cursor *c, int level, uint32_t pgno, const uint8_t *data, void *ref);

/* The bytes of a page's cell content area (from its header; 0 if the
 * header says none, or nonsense). */
static inline uint32_t cell_area(const uint8_t *data, uint32_t hdr, uint32_t usable)
{
    const uint32_t at = bt_get16(data + hdr + 5), start = at ? at : 65536;
    return start < usable ? usable - start : 0;
}

static int push_page_at(btree_cursor *c, int level, uint32_t pgno, uint32_t hint, uint32_t cell);

/* Loads page pgno as level `level` (the levels below it released). A page
 * the level already holds is kept when the source is read-only: its image
 * cannot change while it is pinned, and its header was checked when it was
 * loaded. A writable source may hand out a new image of a page written
 * since, so there every level is fetched afresh. */
static int push_page(btree_cursor *c, int level, uint32_t pgno)
{
    return push_page_at(c, level, pgno, 0, 0);
}

/* push_page, asking for lines of the page as its header is read, where a
 * seek expects what it wants next: the line at byte hint (the cell offset)
 * and those around byte cell (the cell); 0: none. */
static int push_page_at(btree_cursor *c, int level, uint32_t pgno, uint32_t hint, uint32_t cell)
{
    if (level == 0) {
        c->partial = 0; /* a descent from the root: the cursor is whole again */
    }
    if (level < c->depth && c->lvl[level].pgno == pgno && c->lvl[level].data && !c->src->write) {
        release_from(c, level + 1);
        c->lvl[level].idx = 0;
        return SEALDB_OK;
    }
    release_from(c, level);
    if (level >= BTREE_MAX_DEPTH) {
        return corrupt(c, pgno, "the tree is deeper than 20 levels (a cycle of child pages?)");
    }
    if (pgno == 0 || pgno > c->src->page_count) {
        snprintf(c->msg, sizeof c->msg, "B-tree page %u is outside the database (%u pages)", pgno,
                 c->src->page_count);
        return SEALDB_ECORRUPT;
    }
    const uint8_t *data = NULL;
    void *ref = NULL;
    int rc = c->src->get(c->src->ctx, pgno, &data, &ref);
    if (rc != SEALDB_OK) {
        snprintf(c->msg, sizeof c->msg, "B-tree page %u could not be read", pgno);
        return rc;
    }
    if (hint && hint < c->src->usable) {
        __builtin_prefetch(data + hint);
    }
    if (cell && c->leaf_cells) {
        /* the cell may lie a little either side of the guess */
        const uint32_t from = cell > 32 ? cell - 32 : 0;
        const uint32_t span = c->leaf_area / c->leaf_cells;
        const uint32_t to = cell + span + 16 < c->src->usable ? cell + span + 16 : c->src->usable;
        for (uint32_t at = from & ~63u; at < to && at < from + 256; at += 64) {
            __builtin_prefetch(data + at);
        }
    }
    return level_open(c, level, pgno, data, ref);
}

/* Makes the page (pinned by ref) level `level`, the top one, and checks its
 * header. */
static int level_open(btree_cursor *c, int level, uint32_t pgno, const uint8_t *data, void *ref)
{
    btree_level *l = &c->lvl[level];
    l->pgno = pgno;
    l->data = data;
    l->ref = ref;
    l->idx = 0;
    c->depth = level + 1;
    const uint32_t hdr = pgno == 1 ? 100 : 0;
    const uint32_t usable = c->src->usable;
    const uint8_t type = data[hdr];
    const int want_index = c->is_index;
    if (want_index ? type != BTREE_LEAF_INDEX && type != BTREE_INTERIOR_INDEX
                   : type != BTREE_LEAF_TABLE && type != BTREE_INTERIOR_TABLE) {
        char what[80];
        snprintf(what, sizeof what, "page type %u where %s B-tree page belongs", type,
                 want_index ? "an index" : "a table");
        return corrupt(c, pgno, what);
    }
    const uint32_t hsize = bt_is_leaf(type) ? 8 : 12;
    const uint32_t ncell = bt_get16(data + hdr + 3);
    if (hdr + hsize + 2 * ncell > usable) {
        return corrupt(c, pgno, "the cell count does not fit the page");
    }
    if (!bt_is_leaf(type) && ncell == 0 && bt_get32(data + hdr + 8) == 0) {
        return corrupt(c, pgno, "an interior page without children");
    }
    l->hdr = hdr;
    l->ncell = ncell;
    l->type = type;
    const uint32_t area = cell_area(data, hdr, usable);
    l->span = ncell ? area / ncell : 0;
    if (type == BTREE_LEAF_TABLE && ncell && area) {
        c->leaf_area = area;
        c->leaf_cells = ncell;
    }
    return SEALDB_OK;
}

/* Offset of cell i on the level's page, checked to leave room for a cell. */
static int cell_offset(btree_cursor *c, const btree_level *l, uint32_t i, uint32_t *off)
{
    const uint32_t hsize = bt_is_leaf(l->type) ? 8 : 12;
    const uint32_t o = bt_get16(l->data + l->hdr + hsize + 2 * i);
    if (o < l->hdr + hsize + 2 * l->ncell || o + 4 > c->src->usable) {
        char what[64];
        snprintf(what, sizeof what, "cell %u lies outside the cell content area", i);
        return corrupt(c, l->pgno, what);
    }
    *off = o;
    return SEALDB_OK;
}

/* The child page of cell i on an interior level (i == ncell: right-most). */
static int child_of(btree_cursor *c, const btree_level *l, uint32_t i, uint32_t *child)
{
    uint32_t off = l->hdr + 8;
    if (i < l->ncell) {
        int rc = cell_offset(c, l, i, &off);
        if (rc != SEALDB_OK) {
            return rc;
        }
    }
    *child = bt_get32(l->data + off);
    if (*child == 0 || *child > c->src->page_count) {
        char what[80];
        snprintf(what, sizeof what, "child pointer %u of cell %u is outside the database", *child,
                 i);
        return corrupt(c, l->pgno, what);
    }
    return SEALDB_OK;
}

/* The rowid key of cell i of a table interior level. */
static int interior_rowid(btree_cursor *c, const btree_level *l, uint32_t i, int64_t *key)
{
    uint32_t off;
    int rc = cell_offset(c, l, i, &off);
    if (rc != SEALDB_OK) {
        return rc;
    }
    uint64_t v;
    if (!varint_get_fast(l->data + off + 4, l->data + c->src->usable, &v)) {
        return corrupt(c, l->pgno, "a rowid runs past the page end");
    }
    *key = (int64_t)v;
    return SEALDB_OK;
}

/* The rowid of cell i of a table leaf level, for a search; the entry the
 * search ends at is parsed (and checked) whole by parse_entry. */
static int leaf_cell_rowid(btree_cursor *c, const btree_level *l, uint32_t i, int64_t *rowid)
{
    uint32_t off;
    int rc = cell_offset(c, l, i, &off);
    if (rc != SEALDB_OK) {
        return rc;
    }
    const uint8_t *p = l->data + off, *end = l->data + c->src->usable;
    /* the cell's next lines, as many as the page's cells take on average:
     * the row's payload, if this is the cell sought; their loads then
     * overlap this one */
    const uint32_t last = off + (l->span < 256 ? l->span : 256);
    for (uint32_t at = (off & ~63u) + 64; at < last && at < c->src->usable; at += 64) {
        __builtin_prefetch(l->data + at);
    }
    uint64_t v;
    const int n = varint_get_fast(p, end, &v);
    if (!n || !varint_get_fast(p + n, end, &v)) {
        return corrupt(c, l->pgno, "a rowid runs past the page end");
    }
    *rowid = (int64_t)v;
    return SEALDB_OK;
}

/* Parses the entry at cell i of level l: rowid (table leaves) and payload
 * location. Fills the cursor's current-entry fields. */
static int parse_entry(btree_cursor *c, const btree_level *l, uint32_t i)
{
    uint32_t off;
    int rc = cell_offset(c, l, i, &off);
    if (rc != SEALDB_OK) {
        return rc;
    }
    const uint32_t usable = c->src->usable;
    const uint8_t *p = l->data + off, *end = l->data + usable;
    if (l->type == BTREE_INTERIOR_INDEX) {
        p += 4;
    }
    uint64_t payload;
    int n = varint_get_fast(p, end, &payload);
    if (!n || payload > 0x7fffffff) {
        return corrupt(c, l->pgno, "a payload size is malformed");
    }
    p += n;
    c->rowid = 0;
    if (l->type == BTREE_LEAF_TABLE) {
        uint64_t rowid;
        if (!(n = varint_get_fast(p, end, &rowid))) {
            return corrupt(c, l->pgno, "a rowid runs past the page end");
        }
        c->rowid = (int64_t)rowid;
        p += n;
    }
    const uint32_t local = btree_local_size(usable, l->type == BTREE_LEAF_TABLE, (uint32_t)payload);
    const uint32_t need = local + (local < payload ? 4 : 0);
    if ((uint32_t)(end - p) < need) {
        char what[64];
        snprintf(what, sizeof what, "cell %u runs past the page end", i);
        return corrupt(c, l->pgno, what);
    }
    c->payload_len = (uint32_t)payload;
    c->local = p;
    c->local_len = local;
    c->overflow = local < payload ? bt_get32(p + local) : 0;
    return SEALDB_OK;
}

/* Sets the entry fields from the top level, where the cursor stands. */
static int load_entry(btree_cursor *c)
{
    const btree_level *l = &c->lvl[c->depth - 1];
    return parse_entry(c, l, l->idx);
}

/* From level `level` (just pushed), down the left-most (or right-most)
 * edge to a leaf; stops at the first entry (last entry). Empty leaves are
 * skipped by the caller. */
static int descend(btree_cursor *c, int right)
{
    for (;;) {
        btree_level *l = &c->lvl[c->depth - 1];
        if (bt_is_leaf(l->type)) {
            l->idx = right ? (l->ncell ? l->ncell - 1 : 0) : 0;
            return SEALDB_OK;
        }
        l->idx = right ? l->ncell : 0;
        uint32_t child;
        int rc = child_of(c, l, l->idx, &child);
        if (rc == SEALDB_OK) {
            rc = push_page(c, c->depth, child);
        }
        if (rc != SEALDB_OK) {
            return rc;
        }
    }
}

int btree_cursor_init(btree_cursor *c, btree_pages *src, uint32_t root, int is_index)
{
    if (!c || !src || !src->get || !src->put || src->page_size < 512 || src->page_size > 65536 ||
        src->usable < 480 || src->usable > src->page_size) {
        return SEALDB_EINVAL;
    }
    /* every field but the levels, which are read only below depth */
    memset(c, 0, offsetof(btree_cursor, lvl));
    memset((char *)c + offsetof(btree_cursor, rowid), 0, sizeof *c - offsetof(btree_cursor, rowid));
    c->src = src;
    c->root = root;
    c->is_index = is_index;
    return SEALDB_OK;
}

void btree_cursor_set_order(btree_cursor *c, btree_record_fn cmp, void *ctx)
{
    c->record_cmp = cmp;
    c->record_ctx = ctx;
}

void btree_cursor_close(btree_cursor *c)
{
    if (!c || !c->src) {
        return;
    }
    release_from(c, 0);
    if (c->buf) {
        /* payloads are plaintext user data */
        memset(c->buf, 0, c->buf_cap);
        free(c->buf);
    }
    c->buf = NULL;
    c->buf_cap = 0;
}

/* Settles after a move: on an empty leaf (only a root may be one, but be
 * tolerant) keep moving in the same direction. */
static int settle(btree_cursor *c, int forward, int *eof);

static int edge(btree_cursor *c, int right, int *eof)
{
    *eof = 0;
    int rc = push_page(c, 0, c->root);
    if (rc == SEALDB_OK) {
        rc = descend(c, right);
    }
    if (rc != SEALDB_OK) {
        release_from(c, 0);
        return rc;
    }
    return settle(c, !right, eof);
}

int btree_first(btree_cursor *c, int *eof)
{
    return edge(c, 0, eof);
}

int btree_last(btree_cursor *c, int *eof)
{
    return edge(c, 1, eof);
}

/* Moves up from a finished leaf (or child) to the next entry or child in
 * direction forward; 1 in *done if the cursor ran off the tree. */
static int climb(btree_cursor *c, int forward, int *done)
{
    *done = 0;
    for (;;) {
        release_from(c, c->depth - 1);
        if (c->depth == 0) {
            *done = 1;
            return SEALDB_OK;
        }
        btree_level *l = &c->lvl[c->depth - 1];
        /* l is interior; l->idx is the child just finished */
        if (forward) {
            if (l->idx < l->ncell) {
                if (c->is_index) {
                    return SEALDB_OK; /* the separator entry itself is next */
                }
                l->idx++;
                uint32_t child;
                int rc = child_of(c, l, l->idx, &child);
                if (rc == SEALDB_OK) {
                    rc = push_page(c, c->depth, child);
                }
                return rc != SEALDB_OK ? rc : descend(c, 0);
            }
        } else if (l->idx > 0) {
            l->idx--;
            if (c->is_index) {
                return SEALDB_OK; /* the separator before the finished child */
            }
            uint32_t child;
            int rc = child_of(c, l, l->idx, &child);
            if (rc == SEALDB_OK) {
                rc = push_page(c, c->depth, child);
            }
            return rc != SEALDB_OK ? rc : descend(c, 1);
        }
    }
}

static int settle(btree_cursor *c, int forward, int *eof)
{
    for (;;) {
        if (c->depth == 0) {
            *eof = 1;
            return SEALDB_OK;
        }
        btree_level *l = &c->lvl[c->depth - 1];
        if (!bt_is_leaf(l->type) || l->ncell > 0) {
            *eof = 0;
            const int rc = load_entry(c);
            if (rc != SEALDB_OK) {
                release_from(c, 0);
            }
            return rc;
        }
        int done;
        int rc = climb(c, forward, &done);
        if (rc != SEALDB_OK) {
            release_from(c, 0);
            return rc;
        }
    }
}

int btree_cursor_whole(btree_cursor *c)
{
    if (!c->partial) {
        return SEALDB_OK;
    }
    int cmp = 0, eof = 0;
    const int rc = bt_seek_rowid(c, c->rowid, &cmp, &eof, 0);
    if (rc == SEALDB_OK && (eof || cmp != 0)) {
        release_from(c, 0);
        return corrupt(c, c->root, "the entry the cursor was placed at is no longer in the tree");
    }
    return rc;
}

int btree_next(btree_cursor *c, int *eof)
{
    if (c->depth == 0) {
        *eof = 1;
        return SEALDB_OK;
    }
    int rc = btree_cursor_whole(c);
    if (rc != SEALDB_OK) {
        return rc;
    }
    btree_level *l = &c->lvl[c->depth - 1];
    if (!bt_is_leaf(l->type)) {
        /* at an index separator: the next entries are in the child after it */
        l->idx++;
        uint32_t child;
        rc = child_of(c, l, l->idx, &child);
        if (rc == SEALDB_OK) {
            rc = push_page(c, c->depth, child);
        }
        if (rc == SEALDB_OK) {
            rc = descend(c, 0);
        }
    } else if (l->idx + 1 < l->ncell) {
        l->idx++;
    } else {
        int done;
        rc = climb(c, 1, &done);
    }
    if (rc != SEALDB_OK) {
        release_from(c, 0);
        return rc;
    }
    return settle(c, 1, eof);
}

int btree_prev(btree_cursor *c, int *eof)
{
    if (c->depth == 0) {
        *eof = 1;
        return SEALDB_OK;
    }
    int rc = btree_cursor_whole(c);
    if (rc != SEALDB_OK) {
        return rc;
    }
    btree_level *l = &c->lvl[c->depth - 1];
    if (!bt_is_leaf(l->type)) {
        /* at an index separator: the previous entries are in its left child */
        uint32_t child;
        rc = child_of(c, l, l->idx, &child);
        if (rc == SEALDB_OK) {
            rc = push_page(c, c->depth, child);
        }
        if (rc == SEALDB_OK) {
            rc = descend(c, 1);
        }
    } else if (l->idx > 0 && l->ncell > 0) {
        l->idx--;
    } else {
        int done;
        rc = climb(c, 0, &done);
    }
    if (rc != SEALDB_OK) {
        release_from(c, 0);
        return rc;
    }
    return settle(c, 0, eof);
}

/* The rowid key of cell i of a table level, interior or leaf. */
static int cell_rowid(btree_cursor *c, const btree_level *l, uint32_t i, int64_t *key)
{
    return l->type == BTREE_LEAF_TABLE ? leaf_cell_rowid(c, l, i, key)
                                       : interior_rowid(c, l, i, key);
}

/* What a search knows of the keys below a level: the parent's keys on both
 * sides of the child taken (rowids in it are > lb and <= ub). */
typedef struct rowid_bounds {
    int64_t lb, ub;
    int have_lb, have_ub;
} rowid_bounds;

/* Where the cell offset of rowid lies on a leaf (header at hdr) whose keys
 * run densely between the bounds, or 0 when they do not say or it falls
 * outside the usable bytes. */
static inline uint32_t dense_offset(const rowid_bounds *b, int64_t rowid, uint32_t hdr,
                                    uint32_t usable)
{
    if (!b->have_lb || !b->have_ub || b->lb >= rowid || rowid > b->ub) {
        return 0;
    }
    const uint64_t at = hdr + 8 + 2 * ((uint64_t)rowid - (uint64_t)b->lb - 1);
    return at < usable ? (uint32_t)at : 0;
}

/* The cell of rowid on a level of ncell cells whose keys run from first to
 * last (first < rowid <= last), were the keys evenly spread. */
static inline uint32_t rowid_guess(int64_t rowid, int64_t first, int64_t last, uint32_t ncell)
{
    const double f =
        (double)((uint64_t)rowid - (uint64_t)first) / (double)((uint64_t)last - (uint64_t)first);
    return (uint32_t)(f * (double)(ncell - 1));
}

/* Keys a search read, for its caller to reuse (up to 8). */
typedef struct probes {
    uint32_t idx[8];
    int64_t key[8];
    int n;
} probes;

static inline int probe(btree_cursor *c, const btree_level *l, probes *seen, uint32_t i,
                        int64_t *key)
{
    const int rc = cell_rowid(c, l, i, key);
    if (rc == SEALDB_OK && seen && seen->n < 8) {
        seen->idx[seen->n] = i;
        seen->key[seen->n++] = *key;
    }
    return rc;
}

/* Key i of an interior level: from the search's probes when it read it. */
static int interior_key(btree_cursor *c, const btree_level *l, const probes *seen, uint32_t i,
                        int64_t *key)
{
    for (int k = 0; k < seen->n; k++) {
        if (seen->idx[k] == i) {
            *key = seen->key[k];
            return SEALDB_OK;
        }
    }
    return interior_rowid(c, l, i, key);
}

/* The first cell of a table level whose rowid key is >= rowid (ncell: none;
 * on an interior page, the right-most child). Rowids are often dense, so
 * the first probe is guessed from the keys' range, then checked against
 * its neighbour, in place of up to log2(ncell) dependent reads, each a
 * likely cache miss. The range comes from the parent's keys when both are
 * known (no read at all), else from the first and last cells (two reads
 * the CPU overlaps). When the guess is off, a binary search finishes in
 * the range left; the keys decide, so a wrong guess only costs reads. The
 * keys it reads go to *seen, when given. */
static int rowid_search(btree_cursor *c, const btree_level *l, int64_t rowid, const rowid_bounds *b,
                        uint32_t *pos, probes *seen)
{
    uint32_t lo = 0, hi = l->ncell;
    int64_t key = 0;
    int rc;
    if (hi >= 8) {
        int64_t first = 0, last = 0;
        if (b->have_lb && b->have_ub && b->lb < rowid && rowid <= b->ub) {
            first = b->lb;
            last = b->ub;
        } else {
            if ((rc = probe(c, l, seen, 0, &first)) != SEALDB_OK ||
                (rc = probe(c, l, seen, hi - 1, &last)) != SEALDB_OK) {
                return rc;
            }
            if (rowid <= first || rowid > last) {
                *pos = rowid <= first ? 0 : hi;
                return SEALDB_OK;
            }
            /* first < rowid <= last: the answer is in [1, ncell - 1] */
            lo = 1;
            hi = l->ncell - 1;
        }
        uint32_t g = rowid_guess(rowid, first, last, l->ncell);
        g = g < lo ? lo : g >= hi ? hi - 1 : g;
        if (lo < hi) {
            if ((rc = probe(c, l, seen, g, &key)) != SEALDB_OK) {
                return rc;
            }
            if (key < rowid) {
                lo = g + 1; /* then, often, the next cell is the answer */
                if (lo < hi) {
                    if ((rc = probe(c, l, seen, lo, &key)) != SEALDB_OK) {
                        return rc;
                    }
                    hi = key >= rowid ? lo : hi;
                    lo += key >= rowid ? 0 : 1;
                }
            } else if (key == rowid && l->type == BTREE_LEAF_TABLE) {
                *pos = g; /* a leaf's rowids are unique */
                return SEALDB_OK;
            } else {
                hi = g; /* then, often, the cell before is below rowid */
                if (lo < hi) {
                    if ((rc = probe(c, l, seen, g - 1, &key)) != SEALDB_OK) {
                        return rc;
                    }
                    lo = key < rowid ? g : lo;
                    hi = key < rowid ? g : g - 1;
                }
            }
        }
    }
    while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2;
        if ((rc = probe(c, l, seen, mid, &key)) != SEALDB_OK) {
            return rc;
        }
        if (key < rowid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *pos = lo;
    return SEALDB_OK;
}

int btree_seek_rowid(btree_cursor *c, int64_t rowid, int *cmp, int *eof)
{
    return bt_seek_rowid(c, rowid, cmp, eof, 0);
}

static int interior_step(btree_cursor *c, btree_level *l, int64_t rowid, rowid_bounds *b,
                         uint32_t *child);
static int leaf_seek(btree_cursor *c, int64_t rowid, const rowid_bounds *b, int *cmp, int *eof,
                     int stay);

int bt_seek_rowid(btree_cursor *c, int64_t rowid, int *cmp, int *eof, int stay)
{
    *eof = 0;
    *cmp = 0;
    if (c->is_index) {
        return SEALDB_EINVAL;
    }
    c->partial = 0;
    int rc = push_page(c, 0, c->root);
    rowid_bounds b = {0, 0, 0, 0};
    while (rc == SEALDB_OK) {
        btree_level *l = &c->lvl[c->depth - 1];
        if (bt_is_leaf(l->type)) {
            break;
        }
        uint32_t child;
        if ((rc = interior_step(c, l, rowid, &b, &child)) == SEALDB_OK) {
            /* the line of the child's cell offset, were its keys dense, and
             * of the cell itself, were the cells as large as the last
             * leaf's and laid from the page's end in key order, as a page
             * balanced or filled by appends has them */
            const uint32_t usable = c->src->usable;
            const uint32_t off = dense_offset(&b, rowid, 0, usable);
            const uint64_t down = off && c->leaf_cells
                                      ? ((uint64_t)(off - 8) / 2 + 1) * c->leaf_area / c->leaf_cells
                                      : 0;
            const uint32_t cell = down && down < usable ? usable - (uint32_t)down : 0;
            rc = push_page_at(c, c->depth, child, off, cell);
        }
    }
    if (rc != SEALDB_OK) {
        release_from(c, 0);
        return rc;
    }
    return leaf_seek(c, rowid, &b, cmp, eof, stay);
}

/* On an interior level of a table tree: the child where rowid belongs, and
 * the bounds its keys lie within (the keys on either side of it). */
static int interior_step(btree_cursor *c, btree_level *l, int64_t rowid, rowid_bounds *b,
                         uint32_t *child)
{
    /* the first cell whose key (largest rowid of its child) >= rowid */
    uint32_t lo = 0;
    probes seen = {.n = 0};
    int rc = rowid_search(c, l, rowid, b, &lo, &seen);
    if (rc != SEALDB_OK) {
        return rc;
    }
    /* bounds from the levels above stay where this level has none */
    if (lo > 0 && (rc = interior_key(c, l, &seen, lo - 1, &b->lb)) == SEALDB_OK) {
        b->have_lb = 1;
    }
    if (rc == SEALDB_OK && lo < l->ncell &&
        (rc = interior_key(c, l, &seen, lo, &b->ub)) == SEALDB_OK) {
        b->have_ub = 1;
    }
    l->idx = lo;
    return rc == SEALDB_OK ? child_of(c, l, lo, child) : rc;
}

/* The rest of bt_seek_rowid, from the leaf on the cursor's top level. */
static int leaf_seek(btree_cursor *c, int64_t rowid, const rowid_bounds *b, int *cmp, int *eof,
                     int stay)
{
    btree_level *l = &c->lvl[c->depth - 1];
    uint32_t lo = 0;
    int rc = rowid_search(c, l, rowid, b, &lo, NULL);
    if (rc != SEALDB_OK) {
        release_from(c, 0);
        return rc;
    }
    if (lo < l->ncell) {
        l->idx = lo;
        rc = load_entry(c);
        *cmp = c->rowid == rowid ? 0 : 1;
        return rc;
    }
    if (stay) {
        /* for an insert: the rowid belongs at the end of this leaf (its
         * parent's divider bounds it), not in the next one */
        l->idx = l->ncell ? l->ncell - 1 : 0;
        *cmp = l->ncell ? -1 : 1;
        return l->ncell ? load_entry(c) : SEALDB_OK;
    }
    /* every entry here is smaller: the answer is the next entry, if any */
    if (l->ncell == 0) {
        rc = settle(c, 1, eof);
        if (rc == SEALDB_OK && !*eof) {
            *cmp = c->rowid == rowid ? 0 : c->rowid > rowid ? 1 : -1;
        }
        return rc;
    }
    l->idx = l->ncell - 1;
    rc = btree_next(c, eof);
    if (rc == SEALDB_OK && *eof) {
        /* nothing after: stand at the last entry */
        rc = btree_last(c, eof);
        *cmp = -1;
        return rc;
    }
    *cmp = rc == SEALDB_OK ? (c->rowid == rowid ? 0 : 1) : 0;
    return rc;
}

/* ---- reading rows ahead ---------------------------------------------------------- */

int btree_ahead_find(btree_cursor *s, int64_t rowid, btree_ahead *a)
{
    memset(a, 0, sizeof *a);
    if (s->is_index || s->height < 0) {
        return SEALDB_EINVAL;
    }
    int rc;
    if (s->height == 0) {
        /* the first time, a whole seek: how many levels lead to a leaf (all
         * leaves are as deep; after a write the caller makes a new scout) */
        int cmp, eof;
        if ((rc = bt_seek_rowid(s, rowid, &cmp, &eof, 0)) != SEALDB_OK) {
            return rc;
        }
        s->height = s->depth > 1 ? s->depth : -1;
        if (s->height < 0) {
            release_from(s, 0);
            return SEALDB_EINVAL;
        }
    }
    s->partial = 0;
    rowid_bounds b = {0, 0, 0, 0};
    rc = push_page(s, 0, s->root);
    for (int level = 0; rc == SEALDB_OK; level++) {
        btree_level *l = &s->lvl[level];
        uint32_t child;
        if (bt_is_leaf(l->type)) {
            rc = SEALDB_EINVAL; /* not the shape it had: leave it to a seek */
            break;
        }
        if ((rc = interior_step(s, l, rowid, &b, &child)) != SEALDB_OK) {
            break;
        }
        if (level + 2 < s->height) {
            rc = push_page(s, level + 1, child);
            continue;
        }
        /* the leaf: pinned, its header line asked for, not read */
        release_from(s, level + 1);
        if ((rc = s->src->get(s->src->ctx, child, &a->data, &a->ref)) != SEALDB_OK) {
            memset(a, 0, sizeof *a);
            break;
        }
        a->rowid = rowid;
        a->pgno = child;
        a->lb = b.lb, a->ub = b.ub;
        a->have_lb = b.have_lb, a->have_ub = b.have_ub;
        const uint32_t hdr = child == 1 ? 100 : 0;
        __builtin_prefetch(a->data + hdr);
        /* and the line of its cell offset, were the keys dense */
        const uint32_t at = dense_offset(&b, rowid, hdr, s->src->usable);
        if (at) {
            __builtin_prefetch(a->data + at);
        }
        return SEALDB_OK;
    }
    release_from(s, 0);
    s->msg[0] = 0;
    return rc;
}

void btree_ahead_prime(const btree_cursor *s, btree_ahead *a)
{
    if (!a->pgno || a->primed) {
        return;
    }
    a->primed = 1;
    /* the first cell rowid_search reads, when it guesses from the bounds */
    const uint8_t *d = a->data;
    const uint32_t hdr = a->pgno == 1 ? 100 : 0, usable = s->src->usable;
    if (d[hdr] != BTREE_LEAF_TABLE || !a->have_lb || !a->have_ub || a->lb >= a->rowid ||
        a->rowid > a->ub) {
        return;
    }
    const uint32_t ncell = bt_get16(d + hdr + 3);
    if (ncell < 8 || hdr + 8 + 2 * ncell > usable) {
        return;
    }
    uint32_t g = rowid_guess(a->rowid, a->lb, a->ub, ncell);
    g = g >= ncell ? ncell - 1 : g;
    const uint32_t o = bt_get16(d + hdr + 8 + 2 * g);
    /* the cell and the lines its row likely spans: the page's cells are
     * (usable - start of the cell area) / ncell bytes on average */
    const uint32_t area = cell_area(d, hdr, usable), size = area ? area / ncell : 64;
    const uint32_t end = o + (size < 256 ? size : 256);
    for (uint32_t at = o & ~63u; at < end && at < usable; at += 64) {
        __builtin_prefetch(d + (at < o ? o : at));
    }
}

int btree_ahead_seek(btree_cursor *c, btree_ahead *a, int *cmp, int *eof)
{
    const int64_t rowid = a->rowid;
    const rowid_bounds b = {a->lb, a->ub, a->have_lb, a->have_ub};
    const uint32_t pgno = a->pgno;
    const uint8_t *data = a->data;
    void *ref = a->ref;
    memset(a, 0, sizeof *a);
    *cmp = 0;
    *eof = 0;
    release_from(c, 0);
    if (!pgno) {
        return bt_seek_rowid(c, rowid, cmp, eof, 0);
    }
    int rc = level_open(c, 0, pgno, data, ref);
    btree_level *l = &c->lvl[0];
    if (rc == SEALDB_OK && l->type == BTREE_LEAF_TABLE) {
        uint32_t lo = 0;
        rc = rowid_search(c, l, rowid, &b, &lo, NULL);
        if (rc == SEALDB_OK && lo < l->ncell) {
            l->idx = lo;
            if ((rc = load_entry(c)) == SEALDB_OK && c->rowid == rowid) {
                c->partial = 1;
                return SEALDB_OK;
            }
        }
    }
    /* not in that leaf, or not a leaf: a seek from the root says what is
     * there (and reports a damaged page as it always does) */
    release_from(c, 0);
    c->msg[0] = 0;
    return bt_seek_rowid(c, rowid, cmp, eof, 0);
}

void btree_ahead_drop(btree_pages *src, btree_ahead *a)
{
    if (a->ref || a->data) {
        src->put(src->ctx, a->ref);
    }
    memset(a, 0, sizeof *a);
}

int btree_peek(btree_cursor *c, uint32_t k, const uint8_t **data, uint32_t *len)
{
    if (c->depth == 0) {
        return SEALDB_ENOTFOUND;
    }
    const btree_level *l = &c->lvl[c->depth - 1];
    if (!bt_is_leaf(l->type) || k >= l->ncell || l->idx >= l->ncell - k) {
        return SEALDB_ENOTFOUND;
    }
    /* checked as cell_offset and parse_entry do, without their message: the
     * cursor reports a damaged cell when it gets there */
    const uint32_t usable = c->src->usable, i = l->idx + k;
    const uint32_t o = bt_get16(l->data + l->hdr + 8 + 2 * i);
    if (o < l->hdr + 8 + 2 * l->ncell || o + 4 > usable) {
        return SEALDB_ECORRUPT;
    }
    const uint8_t *p = l->data + o, *end = l->data + usable;
    uint64_t payload, rowid;
    int n = varint_get_fast(p, end, &payload);
    if (!n || payload > 0x7fffffff) {
        return SEALDB_ECORRUPT;
    }
    p += n;
    const int table = l->type == BTREE_LEAF_TABLE;
    if (table && !(n = varint_get_fast(p, end, &rowid))) {
        return SEALDB_ECORRUPT;
    }
    p += table ? n : 0;
    if (btree_local_size(usable, table, (uint32_t)payload) < payload) {
        return SEALDB_EINVAL;
    }
    if ((uint64_t)(end - p) < payload) {
        return SEALDB_ECORRUPT;
    }
    *data = p;
    *len = (uint32_t)payload;
    return SEALDB_OK;
}

/* Compares the entry at cell i of level l with the caller's key. */
static int compare_cell(btree_cursor *c, const btree_level *l, uint32_t i, btree_compare_fn compare,
                        void *ctx, int *result)
{
    /* the common cell: a record shorter than 128 bytes that stays whole on
     * the page */
    const uint32_t hsize = bt_is_leaf(l->type) ? 8 : 12, skip = bt_is_leaf(l->type) ? 0 : 4;
    const uint32_t o = bt_get16(l->data + l->hdr + hsize + 2 * i);
    if (o >= l->hdr + hsize + 2 * l->ncell && o + skip + 1 < c->src->usable) {
        const uint8_t *p = l->data + o + skip;
        const uint32_t max_local = (c->src->usable - 12) * 64 / 255 - 23;
        if (p[0] < 0x80 && p[0] <= max_local && o + skip + 1 + p[0] <= c->src->usable) {
            const int rc = compare(ctx, p + 1, p[0], result);
            if (rc == SEALDB_ECORRUPT) {
                char what[64];
                snprintf(what, sizeof what, "the record in cell %u is malformed", i);
                corrupt(c, l->pgno, what);
            }
            return rc;
        }
    }
    int rc = parse_entry(c, l, i);
    const uint8_t *rec = NULL;
    uint32_t len = 0;
    if (rc == SEALDB_OK) {
        rc = btree_payload(c, &rec, &len);
    }
    if (rc == SEALDB_OK) {
        rc = compare(ctx, rec, len, result);
        if (rc == SEALDB_ECORRUPT) {
            char what[64];
            snprintf(what, sizeof what, "the record in cell %u is malformed", i);
            corrupt(c, l->pgno, what);
        }
    }
    return rc;
}

int btree_seek_index(btree_cursor *c, btree_compare_fn compare, void *ctx, int *cmp, int *eof)
{
    *eof = 0;
    *cmp = 0;
    if (!c->is_index) {
        return SEALDB_EINVAL;
    }
    int rc = push_page(c, 0, c->root);
    while (rc == SEALDB_OK) {
        btree_level *l = &c->lvl[c->depth - 1];
        /* the first cell whose entry >= key */
        uint32_t lo = 0, hi = l->ncell;
        int found = 0;
        while (lo < hi && rc == SEALDB_OK) {
            const uint32_t mid = lo + (hi - lo) / 2;
            int r = 0;
            rc = compare_cell(c, l, mid, compare, ctx, &r);
            if (r == 0) {
                lo = mid;
                found = 1;
                break;
            }
            if (r < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if (rc != SEALDB_OK) {
            break;
        }
        l->idx = lo;
        if (found) {
            rc = load_entry(c);
            return rc;
        }
        if (bt_is_leaf(l->type)) {
            if (lo < l->ncell) {
                *cmp = 1;
                return load_entry(c);
            }
            if (l->ncell == 0) {
                rc = settle(c, 1, eof);
                *cmp = 1;
                if (rc == SEALDB_OK && *eof) {
                    rc = btree_last(c, eof);
                    *cmp = -1;
                }
                return rc;
            }
            /* every entry here sorts before the key; the entry after the
             * leaf (a separator above, if any) sorts after it */
            l->idx = l->ncell - 1;
            int done = 0;
            rc = climb(c, 1, &done);
            if (rc == SEALDB_OK && done) {
                rc = btree_last(c, eof);
                *cmp = -1;
                return rc;
            }
            if (rc == SEALDB_OK) {
                rc = settle(c, 1, eof);
                *cmp = 1;
            }
            if (rc != SEALDB_OK) {
                release_from(c, 0);
            }
            return rc;
        }
        uint32_t child;
        rc = child_of(c, l, lo, &child);
        if (rc == SEALDB_OK) {
            rc = push_page(c, c->depth, child);
        }
    }
    release_from(c, 0);
    return rc;
}

int64_t btree_rowid(const btree_cursor *c)
{
    return c->rowid;
}

int btree_payload(btree_cursor *c, const uint8_t **data, uint32_t *len)
{
    if (c->depth == 0) {
        return SEALDB_EINVAL;
    }
    *len = c->payload_len;
    if (c->local_len == c->payload_len) {
        *data = c->local;
        return SEALDB_OK;
    }
    /* a damaged size must not make a buffer of up to 2 GiB: the chain has
     * at most one page of each the database has (page 1 is never one) */
    const uint64_t room =
        (uint64_t)c->local_len +
        (uint64_t)(c->src->page_count ? c->src->page_count - 1 : 0) * (c->src->usable - 4);
    if (c->payload_len > room) {
        char what[120];
        snprintf(what, sizeof what,
                 "a payload of %u bytes is longer than the database's %u pages could hold",
                 c->payload_len, c->src->page_count);
        return corrupt(c, c->lvl[c->depth - 1].pgno, what);
    }
    if (c->buf_cap < c->payload_len) {
        uint8_t *b = malloc(c->payload_len);
        if (!b) {
            return SEALDB_ENOMEM;
        }
        if (c->buf) {
            memset(c->buf, 0, c->buf_cap);
            free(c->buf);
        }
        c->buf = b;
        c->buf_cap = c->payload_len;
    }
    memcpy(c->buf, c->local, c->local_len);
    const uint32_t per_page = c->src->usable - 4;
    uint32_t have = c->local_len, pgno = c->overflow;
    const uint32_t owner = c->lvl[c->depth - 1].pgno;
    /* the chain is exactly as long as the payload needs: no cycle survives */
    while (have < c->payload_len) {
        if (pgno < 2 || pgno > c->src->page_count) {
            char what[96];
            snprintf(what, sizeof what, "an overflow chain points to page %u, outside the database",
                     pgno);
            return corrupt(c, owner, what);
        }
        const uint8_t *page = NULL;
        void *ref = NULL;
        int rc = c->src->get(c->src->ctx, pgno, &page, &ref);
        if (rc != SEALDB_OK) {
            snprintf(c->msg, sizeof c->msg, "overflow page %u could not be read", pgno);
            return rc;
        }
        const uint32_t n = c->payload_len - have < per_page ? c->payload_len - have : per_page;
        memcpy(c->buf + have, page + 4, n);
        have += n;
        pgno = bt_get32(page);
        c->src->put(c->src->ctx, ref);
    }
    *data = c->buf;
    return SEALDB_OK;
}
