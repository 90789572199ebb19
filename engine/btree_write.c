/*
 * btree_write.c - changing SQLite-format B-trees: insert, replace, delete,
 * and the balancing that keeps every page within the format's rules.
 *
 * Two changes are made in place: an insert into a leaf whose gap (between
 * the cell pointers and the cells) has room writes the cell at the top of
 * the gap and shifts the pointers, and a replacement by a cell of the same
 * size overwrites the old one. Everything else goes through one routine:
 * balance_page(path, L, cells) makes the page at level L of a cursor's
 * path hold the given cells. If they fit (and the page is not left nearly
 * empty) the page is rewritten, defragmented. Otherwise the page and up to
 * two siblings under the same parent are pooled with the parent's dividers
 * between them and repacked into as few pages as they need, spread evenly
 * (or, for an append at the tree's right edge, filled greedily so the left
 * pages stay full), splitting or merging; the parent gets the new
 * dividers, and the parent is balanced the same way, up to the root. A
 * root that overflows moves its content to a new child first (the tree
 * grows by one level); an interior root left without cells takes its only
 * child's content when it fits (the tree shrinks).
 *
 * Dividers: in a table tree a parent cell is (left child, largest rowid in
 * it) and carries no data, so leaf dividers are recomputed; in an index
 * tree every parent cell is an entry, so repacking takes one pooled cell
 * out between two pages and hands it up, and a divider coming down is
 * pooled as a cell of its own. Interior pages do the same with their
 * right-most child pointers.
 *
 * Invariants:
 * - Pages balance_page writes are rewritten whole (no free blocks, no
 *   fragments), the gap between cell pointers and cell content zeroed, so
 *   no bytes of a deleted row stay in a page. The in-place changes keep
 *   that: an insert deletes nothing and uses only the gap (free blocks and
 *   the fragment count of a page SQLite wrote stay as they are), and a
 *   same-size replacement covers every byte of the old cell.
 * - A cell's size is computed from its own header (at least 4 bytes, as
 *   the format requires), never carried over from another cell kind.
 * - Every page written is obtained through src->write or src->allocate;
 *   every page left unused goes back through src->release, overflow
 *   pages of deleted or replaced payloads included.
 */
#include <stdlib.h>
#include <string.h>

#include "btree.h"
#include "btree_int.h"

typedef struct cellref {
    const uint8_t *p;
    uint32_t size;
} cellref;

/* The path from the root to the page being changed. */
typedef struct wpath {
    int depth;
    uint32_t pgno[BTREE_MAX_DEPTH];
    uint32_t idx[BTREE_MAX_DEPTH]; /* interior: the child slot taken */
    /* the change appends at the tree's right edge (a new last cell on a
     * right-most page): a split then leaves the left pages full, as
     * SQLite's balance_quick does, instead of spreading the cells */
    int append;
} wpath;

static uint32_t hdr_of(uint32_t pgno)
{
    return pgno == 1 ? 100 : 0;
}

static uint32_t hsize_of(uint8_t type)
{
    return bt_is_leaf(type) ? 8 : 12;
}

static uint8_t interior_of(uint8_t leaf_type)
{
    return leaf_type == BTREE_LEAF_TABLE ? BTREE_INTERIOR_TABLE : BTREE_INTERIOR_INDEX;
}

/* All bytes of the cell at p on a page of this type (at least 4). */
static int cell_size(const btree_pages *src, uint8_t type, const uint8_t *p, const uint8_t *end,
                     uint32_t *size)
{
    const uint8_t *q = p;
    uint64_t v, payload;
    int n;
    if (type == BTREE_INTERIOR_TABLE) {
        if (end - p < 5 || !(n = varint_get(p + 4, end, &v))) {
            return SEALDB_ECORRUPT;
        }
        *size = 4 + (uint32_t)n;
        return SEALDB_OK;
    }
    if (type == BTREE_INTERIOR_INDEX) {
        q += 4;
    }
    if (q >= end || !(n = varint_get(q, end, &payload)) || payload > 0x7fffffff) {
        return SEALDB_ECORRUPT;
    }
    q += n;
    if (type == BTREE_LEAF_TABLE) {
        if (!(n = varint_get(q, end, &v))) {
            return SEALDB_ECORRUPT;
        }
        q += n;
    }
    const uint32_t local =
        btree_local_size(src->usable, type == BTREE_LEAF_TABLE, (uint32_t)payload);
    uint32_t sz = (uint32_t)(q - p) + local + (local < payload ? 4 : 0);
    sz = sz < 4 ? 4 : sz;
    if (sz > (uint32_t)(end - p)) {
        return SEALDB_ECORRUPT;
    }
    *size = sz;
    return SEALDB_OK;
}

/* The most cells a page holds: each takes at least 4 bytes and a 2-byte
 * pointer (SQLite's MX_CELL bound); read_cells rejects more. */
static uint32_t max_cells(const btree_pages *src)
{
    return (src->usable - 8) / 6 + 1;
}

/* Copies the cells of a page into arena (advancing *used, which stays within
 * arena_cap: a damaged page's cells may overlap); appends at most
 * max_cells to cells[]. */
static int read_cells(const btree_pages *src, const uint8_t *data, uint32_t pgno, cellref *cells,
                      uint32_t *n, uint8_t *arena, uint32_t *used, uint32_t arena_cap,
                      uint8_t *type, uint32_t *right)
{
    const uint32_t hdr = hdr_of(pgno);
    *type = data[hdr];
    if (*type != BTREE_LEAF_TABLE && *type != BTREE_LEAF_INDEX && *type != BTREE_INTERIOR_TABLE &&
        *type != BTREE_INTERIOR_INDEX) {
        return SEALDB_ECORRUPT;
    }
    const uint32_t hs = hsize_of(*type), ncell = bt_get16(data + hdr + 3);
    if (hdr + hs + 6 * ncell > src->usable) {
        return SEALDB_ECORRUPT;
    }
    *right = bt_is_leaf(*type) ? 0 : bt_get32(data + hdr + 8);
    for (uint32_t i = 0; i < ncell; i++) {
        const uint32_t off = bt_get16(data + hdr + hs + 2 * i);
        uint32_t size;
        if (off < hdr + hs + 2 * ncell || off >= src->usable ||
            cell_size(src, *type, data + off, data + src->usable, &size) != SEALDB_OK ||
            size > arena_cap - *used) {
            return SEALDB_ECORRUPT;
        }
        memcpy(arena + *used, data + off, size);
        cells[*n].p = arena + *used;
        cells[*n].size = size;
        *used += size;
        (*n)++;
    }
    return SEALDB_OK;
}

static uint32_t cells_bytes(const cellref *cells, uint32_t n)
{
    uint32_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        total += cells[i].size + 2;
    }
    return total;
}

/* Rewrites a page image to hold exactly cells[] (not pointing into data). */
static void page_fill(uint8_t *data, uint32_t pgno, uint8_t type, const cellref *cells, uint32_t n,
                      uint32_t right, uint32_t usable)
{
    const uint32_t hdr = hdr_of(pgno), hs = hsize_of(type);
    uint32_t content = usable;
    data[hdr] = type;
    bt_put16(data + hdr + 1, 0);
    bt_put16(data + hdr + 3, n);
    data[hdr + 7] = 0;
    if (!bt_is_leaf(type)) {
        bt_put32(data + hdr + 8, right);
    }
    for (uint32_t i = 0; i < n; i++) {
        content -= cells[i].size;
        memcpy(data + content, cells[i].p, cells[i].size);
        bt_put16(data + hdr + hs + 2 * i, content);
    }
    bt_put16(data + hdr + 5, content == 65536 ? 0 : content);
    const uint32_t end = hdr + hs + 2 * n;
    memset(data + end, 0, content - end);
}

static int fits(uint32_t pgno, uint8_t type, const cellref *cells, uint32_t n, uint32_t usable)
{
    return hdr_of(pgno) + hsize_of(type) + cells_bytes(cells, n) <= usable;
}

/* The rowid of a table leaf cell. */
static int64_t leaf_rowid(const uint8_t *p)
{
    uint64_t payload = 0, rowid = 0;
    const int n = varint_get(p, p + 9, &payload);
    varint_get(p + n, p + n + 9, &rowid);
    return (int64_t)rowid;
}

/* Frees the overflow chain of a cell, if it has one. */
static int free_overflow(btree_pages *src, uint8_t type, const uint8_t *cell, uint32_t size)
{
    const uint8_t *q = cell + (type == BTREE_INTERIOR_INDEX ? 4 : 0);
    uint64_t payload = 0, v = 0;
    if (type == BTREE_INTERIOR_TABLE) {
        return SEALDB_OK;
    }
    q += varint_get(q, cell + size, &payload);
    if (type == BTREE_LEAF_TABLE) {
        q += varint_get(q, cell + size, &v);
    }
    const uint32_t local =
        btree_local_size(src->usable, type == BTREE_LEAF_TABLE, (uint32_t)payload);
    if (local >= payload) {
        return SEALDB_OK;
    }
    uint32_t pgno = bt_get32(q + local);
    uint32_t pages = (uint32_t)((payload - local + src->usable - 5) / (src->usable - 4));
    while (pages-- > 0) {
        if (pgno < 2 || pgno > src->page_count) {
            return SEALDB_ECORRUPT;
        }
        const uint8_t *data;
        void *ref;
        int rc = src->get(src->ctx, pgno, &data, &ref);
        if (rc != SEALDB_OK) {
            return rc;
        }
        const uint32_t next = bt_get32(data);
        src->put(src->ctx, ref);
        if ((rc = src->release(src->ctx, pgno)) != SEALDB_OK) {
            return rc;
        }
        pgno = next;
    }
    return SEALDB_OK;
}

/* Builds a leaf cell (table: with rowid) for payload, writing the part
 * beyond the local size to new overflow pages. out has room for a page. */
static int build_cell(btree_pages *src, uint8_t type, int64_t rowid, const uint8_t *payload,
                      uint32_t len, uint8_t *out, uint32_t *size)
{
    uint8_t *q = out;
    q += varint_put(q, len);
    if (type == BTREE_LEAF_TABLE) {
        q += varint_put(q, (uint64_t)rowid);
    }
    const uint32_t local = btree_local_size(src->usable, type == BTREE_LEAF_TABLE, len);
    memcpy(q, payload, local);
    q += local;
    if (local < len) {
        uint8_t *link = q; /* where the next page number goes */
        q += 4;
        const uint32_t per = src->usable - 4;
        for (uint32_t done = local; done < len; done += per) {
            uint32_t pgno;
            uint8_t *data;
            int rc = src->allocate(src->ctx, &pgno, &data);
            if (rc != SEALDB_OK) {
                return rc; /* pages already taken are the caller's batch to roll back */
            }
            bt_put32(link, pgno);
            const uint32_t n = len - done < per ? len - done : per;
            bt_put32(data, 0);
            memcpy(data + 4, payload + done, n);
            memset(data + 4 + n, 0, src->page_size - 4 - n);
            link = data;
        }
    }
    uint32_t sz = (uint32_t)(q - out);
    if (sz < 4) {
        memset(q, 0, 4 - sz);
        sz = 4;
    }
    *size = sz;
    return SEALDB_OK;
}

static int balance_page(btree_pages *src, wpath *path, int level, cellref *cells, uint32_t n,
                        uint32_t right, uint8_t type);

/* Packs pool[0..npool) into pages in order, each taking cells while its
 * bytes stay within limit (at least one cell, within cap); with take, the
 * cell after each page but the last is taken out as the divider (the
 * last pooled cell is never one: its page gives up a cell instead). Page j
 * holds count[j] cells from start[j]; *k is the number of pages. */
static int pack_pages(const cellref *pool, uint32_t npool, int take, uint32_t limit, uint32_t cap,
                      uint32_t start[64], uint32_t count[64], uint32_t divider[64], uint32_t *k)
{
    *k = 0;
    for (uint32_t i = 0; i < npool;) {
        if (*k == 64) {
            return SEALDB_ECORRUPT;
        }
        uint32_t bytes = 0, c = 0;
        start[*k] = i;
        while (i < npool &&
               (bytes + pool[i].size + 2 <= limit || (c == 0 && pool[i].size + 2 <= cap))) {
            bytes += pool[i].size + 2;
            i++;
            c++;
        }
        if (c == 0) {
            return SEALDB_ECORRUPT; /* a cell larger than a page */
        }
        count[*k] = c;
        if (take && i < npool) {
            if (i + 1 == npool) {
                /* the last cell would be a divider with nothing after it:
                 * the page gives up its last cell instead */
                if (c < 2) {
                    return SEALDB_ECORRUPT;
                }
                count[*k]--;
                i--;
            }
            divider[*k] = i++;
        }
        (*k)++;
    }
    return SEALDB_OK;
}

/* The root overflows: its content moves to a new child, which is then
 * balanced as the root's only child. */
static int balance_deeper(btree_pages *src, wpath *path, cellref *cells, uint32_t n, uint32_t right,
                          uint8_t type)
{
    if (path->depth >= BTREE_MAX_DEPTH) {
        return SEALDB_ECORRUPT;
    }
    uint32_t child;
    uint8_t *cdata, *rdata;
    int rc = src->allocate(src->ctx, &child, &cdata);
    if (rc == SEALDB_OK) {
        rc = src->write(src->ctx, path->pgno[0], &rdata);
    }
    if (rc != SEALDB_OK) {
        return rc;
    }
    const uint8_t itype = bt_is_leaf(type) ? interior_of(type) : type;
    /* the child starts as an empty page of the root's kind; balancing fills it */
    page_fill(cdata, child, type, NULL, 0, right, src->usable);
    page_fill(rdata, path->pgno[0], itype, NULL, 0, child, src->usable);
    memmove(path->pgno + 2, path->pgno + 1, sizeof path->pgno[0] * (size_t)(path->depth - 1));
    memmove(path->idx + 2, path->idx + 1, sizeof path->idx[0] * (size_t)(path->depth - 1));
    path->pgno[1] = child;
    path->idx[0] = 0;
    path->depth++;
    return balance_page(src, path, 1, cells, n, right, type);
}

/* The page at path level `level` (not the root) and its siblings, repacked. */
static int balance_siblings(btree_pages *src, wpath *path, int level, cellref *cells, uint32_t n,
                            uint32_t right, uint8_t type)
{
    const uint32_t usable = src->usable, ppgno = path->pgno[level - 1];
    const uint32_t pidx = path->idx[level - 1];
    int rc;
    /* one allocation: the pool (two siblings' cells, the page's, the
     * dividers), the parent's cells and its new list, then the bytes of
     * the parent's and two siblings' cells and of rebuilt dividers */
    const uint32_t mc = max_cells(src), arena_cap = usable * 3;
    const size_t npool_cap = (size_t)mc * 2 + n + 8, npc_cap = (size_t)mc + 8;
    cellref *pool =
        malloc(sizeof(cellref) * (npool_cap + npc_cap * 2 + 64) + arena_cap + (size_t)usable * 4);
    if (!pool) {
        return SEALDB_ENOMEM;
    }
    cellref *pcells = pool + npool_cap;
    cellref *np_cells = pcells + npc_cap;
    uint8_t *arena = (uint8_t *)(np_cells + npc_cap + 64);
    uint8_t *dividers = arena + arena_cap;
    uint32_t used = 0, np = 0, pright = 0, npool = 0;
    uint8_t ptype;
    {
        const uint8_t *pdata;
        void *ref;
        if ((rc = src->get(src->ctx, ppgno, &pdata, &ref)) != SEALDB_OK) {
            goto out;
        }
        rc = read_cells(src, pdata, ppgno, pcells, &np, arena, &used, arena_cap, &ptype, &pright);
        src->put(src->ctx, ref);
        if (rc != SEALDB_OK || bt_is_leaf(ptype) || pidx > np) {
            rc = SEALDB_ECORRUPT;
            goto out;
        }
    }
    /* an append stays one only on the parent's right-most child */
    path->append = path->append && pidx == np;
    const uint32_t first = pidx > 0 ? pidx - 1 : 0;
    const uint32_t last = first + 2 <= np ? first + 2 : np;
    uint32_t sib[3], nsib = 0;
    uint32_t merged_right = 0;
    uint8_t *dv = dividers; /* dividers rebuilt for the pool */
    for (uint32_t j = first; j <= last; j++) {
        sib[nsib++] = j < np ? bt_get32(pcells[j].p) : pright;
        /* a child is never page 1 (its header sits at offset 100: the cells
         * packed below assume 0), its parent, or another sibling */
        int seen = sib[nsib - 1] < 2 || sib[nsib - 1] == ppgno;
        for (uint32_t i = 0; i + 1 < nsib; i++) {
            seen |= sib[i] == sib[nsib - 1];
        }
        if (seen) {
            rc = SEALDB_ECORRUPT;
            goto out;
        }
        uint32_t sright = 0;
        if (j == pidx) {
            for (uint32_t i = 0; i < n; i++) {
                pool[npool++] = cells[i];
            }
            sright = right;
        } else {
            const uint8_t *sdata;
            void *ref;
            uint8_t stype;
            if ((rc = src->get(src->ctx, sib[nsib - 1], &sdata, &ref)) != SEALDB_OK) {
                goto out;
            }
            rc = read_cells(src, sdata, sib[nsib - 1], pool, &npool, arena, &used, arena_cap,
                            &stype, &sright);
            src->put(src->ctx, ref);
            if (rc != SEALDB_OK || stype != type) {
                rc = SEALDB_ECORRUPT;
                goto out;
            }
        }
        merged_right = sright;
        if (j < last) {
            /* the divider between sibling j and j+1, pooled */
            const cellref d = pcells[j];
            if (type == BTREE_LEAF_TABLE) {
                continue;
            }
            if (type == BTREE_LEAF_INDEX) {
                uint32_t size;
                if ((rc = cell_size(src, BTREE_LEAF_INDEX, d.p + 4, d.p + d.size, &size)) !=
                    SEALDB_OK) {
                    goto out;
                }
                pool[npool++] = (cellref){d.p + 4, size};
            } else {
                memcpy(dv, d.p, d.size);
                bt_put32(dv, sright);
                pool[npool++] = (cellref){dv, d.size};
                dv += d.size;
            }
        }
    }
    /* repack: one pooled cell taken out between pages unless table leaves */
    const int take = type != BTREE_LEAF_TABLE;
    const uint32_t cap = usable - hsize_of(type);
    uint32_t start[64], count[64], divider[64], k = 0;
    if ((rc = pack_pages(pool, npool, take, cap, cap, start, count, divider, &k)) != SEALDB_OK) {
        goto out;
    }
    if (k >= 1 && !path->append && npool > 1) {
        /* spread the cells evenly over the same number of pages, so that
         * the next inserts among them find room; each page but the last
         * stops within one cell above the average, so k pages still do.
         * When they would be more than nine tenths full on average,
         * growing pages get one more page beside them: else the next few
         * inserts among them balance again (random inserts into an index
         * balanced ten times as often; the price is indexes some 10%
         * larger). Merges after deletes keep the fewest pages. */
        uint32_t total = 0, largest = 0;
        for (uint32_t i = 0; i < npool; i++) {
            total += pool[i].size + 2;
            largest = pool[i].size + 2 > largest ? pool[i].size + 2 : largest;
        }
        const int growing = k >= nsib; /* not a merge after deletes */
        const uint32_t want =
            growing && (uint64_t)total * 10 > (uint64_t)k * cap * 9 && k < 63 ? k + 1 : k;
        const uint32_t limit = (total + want - 1) / want + largest;
        uint32_t s2[64], c2[64], d2[64], k2 = 0;
        if (want > 1 && limit < cap &&
            pack_pages(pool, npool, take, limit, cap, s2, c2, d2, &k2) == SEALDB_OK && k2 >= k &&
            k2 <= want) {
            k = k2;
            memcpy(start, s2, sizeof start[0] * k);
            memcpy(count, c2, sizeof count[0] * k);
            memcpy(divider, d2, sizeof divider[0] * k);
        }
    }
    if (k == 0) {
        /* nothing left: one empty page (only a root may stay empty; the
         * parent loses this child below) */
        start[0] = count[0] = 0;
        k = 1;
    }
    /* page numbers: the siblings' first, then new ones; extras released */
    uint32_t pg[64];
    for (uint32_t j = 0; j < k; j++) {
        if (j < nsib) {
            pg[j] = sib[j];
        } else {
            uint8_t *d;
            if ((rc = src->allocate(src->ctx, &pg[j], &d)) != SEALDB_OK) {
                goto out;
            }
        }
    }
    for (uint32_t j = k; j < nsib; j++) {
        if ((rc = src->release(src->ctx, sib[j])) != SEALDB_OK) {
            goto out;
        }
    }
    const int empty = npool == 0;
    /* write the pages and collect the new dividers for the parent */
    cellref newdiv[64];
    uint8_t *nd = dv;
    for (uint32_t j = 0; j < k; j++) {
        uint32_t pr = 0;
        if (!bt_is_leaf(type)) {
            pr = j + 1 < k ? bt_get32(pool[divider[j]].p) : merged_right;
        }
        uint8_t *d;
        if ((rc = src->write(src->ctx, pg[j], &d)) != SEALDB_OK) {
            goto out;
        }
        page_fill(d, pg[j], type, pool + start[j], count[j], pr, usable);
        if (j + 1 == k) {
            break;
        }
        if (type == BTREE_LEAF_TABLE) {
            const cellref lastc = pool[start[j] + count[j] - 1];
            bt_put32(nd, pg[j]);
            const uint32_t sz = 4 + (uint32_t)varint_put(nd + 4, (uint64_t)leaf_rowid(lastc.p));
            newdiv[j] = (cellref){nd, sz};
            nd += sz;
        } else if (type == BTREE_LEAF_INDEX) {
            const cellref c = pool[divider[j]];
            bt_put32(nd, pg[j]);
            memcpy(nd + 4, c.p, c.size);
            uint32_t sz;
            if ((rc = cell_size(src, BTREE_INTERIOR_INDEX, nd, nd + 4 + c.size, &sz)) !=
                SEALDB_OK) {
                goto out;
            }
            newdiv[j] = (cellref){nd, sz};
            nd += sz;
        } else {
            const cellref c = pool[divider[j]];
            memcpy(nd, c.p, c.size);
            bt_put32(nd, pg[j]);
            newdiv[j] = (cellref){nd, c.size};
            nd += c.size;
        }
    }
    /* the parent: dividers first..last-1 replaced by the new ones; the slot
     * after them points to the last new page */
    uint32_t nn = 0;
    for (uint32_t i = 0; i < first; i++) {
        np_cells[nn++] = pcells[i];
    }
    uint32_t newright = pright;
    if (empty) {
        /* the only child left is empty: drop it from the parent */
        if (last < np) {
            /* keep the cells after; the slot's child becomes nothing: remove
             * the cell whose left child it was and let its own child stand */
            for (uint32_t i = last + 1; i < np; i++) {
                np_cells[nn++] = pcells[i];
            }
            rc = src->release(src->ctx, pg[0]);
            (void)0;
        } else if (first > 0) {
            /* the right-most child goes: the last remaining divider's child
             * becomes the right-most */
            newright = bt_get32(np_cells[nn - 1].p);
            nn--;
            rc = src->release(src->ctx, pg[0]);
        } else {
            /* the parent's only child: an empty child of an interior page
             * (only the root can get here); keep it as the right-most */
            newright = pg[0];
        }
        if (rc != SEALDB_OK) {
            goto out;
        }
    } else {
        for (uint32_t j = 0; j + 1 < k; j++) {
            np_cells[nn++] = newdiv[j];
        }
        if (last < np) {
            /* the cell that had sibling `last` as its left child */
            memcpy(nd, pcells[last].p, pcells[last].size);
            bt_put32(nd, pg[k - 1]);
            np_cells[nn++] = (cellref){nd, pcells[last].size};
            nd += pcells[last].size;
            for (uint32_t i = last + 1; i < np; i++) {
                np_cells[nn++] = pcells[i];
            }
        } else {
            newright = pg[k - 1];
        }
    }
    path->depth = level; /* the parent is now the deepest page on the path */
    path->idx[level - 1] = first;
    rc = balance_page(src, path, level - 1, np_cells, nn, newright, ptype);
out:
    free(pool);
    return rc;
}

/* Makes the page at path level `level` hold cells[0..n) (and right, for an
 * interior page), splitting, merging or changing the tree's height as
 * needed. cells[] must not point into any page of the tree. */
static int balance_page(btree_pages *src, wpath *path, int level, cellref *cells, uint32_t n,
                        uint32_t right, uint8_t type)
{
    const uint32_t pgno = path->pgno[level], usable = src->usable;
    const int ok_size = fits(pgno, type, cells, n, usable);
    const uint32_t bytes = hdr_of(pgno) + hsize_of(type) + cells_bytes(cells, n);
    if (level == 0) {
        if (ok_size && (bt_is_leaf(type) || n > 0)) {
            uint8_t *d;
            int rc = src->write(src->ctx, pgno, &d);
            if (rc == SEALDB_OK) {
                page_fill(d, pgno, type, cells, n, right, usable);
            }
            return rc;
        }
        if (!ok_size) {
            return balance_deeper(src, path, cells, n, right, type);
        }
        /* an interior root without cells: take the only child's content if
         * it fits, else keep the root pointing at it */
        const uint8_t *cd;
        void *ref;
        int rc = src->get(src->ctx, right, &cd, &ref);
        if (rc != SEALDB_OK) {
            return rc;
        }
        uint8_t *arena = malloc(usable);
        cellref *cc = malloc(sizeof(cellref) * max_cells(src));
        uint32_t cn = 0, used = 0, cright = 0;
        uint8_t ctype;
        if (!arena || !cc) {
            rc = SEALDB_ENOMEM;
        } else {
            rc = read_cells(src, cd, right, cc, &cn, arena, &used, usable, &ctype, &cright);
        }
        src->put(src->ctx, ref);
        uint8_t *d;
        if (rc == SEALDB_OK) {
            rc = src->write(src->ctx, pgno, &d);
        }
        if (rc == SEALDB_OK) {
            if (fits(pgno, ctype, cc, cn, usable)) {
                page_fill(d, pgno, ctype, cc, cn, cright, usable);
                rc = src->release(src->ctx, right);
            } else {
                page_fill(d, pgno, type, NULL, 0, right, usable);
            }
        }
        free(arena);
        free(cc);
        return rc;
    }
    /* a page below the root: rewritten alone if it fits and is at least a
     * third full, else balanced with its siblings */
    if (ok_size && n > 0 && bytes >= usable / 3) {
        uint8_t *d;
        int rc = src->write(src->ctx, pgno, &d);
        if (rc == SEALDB_OK) {
            page_fill(d, pgno, type, cells, n, right, usable);
        }
        return rc;
    }
    return balance_siblings(src, path, level, cells, n, right, type);
}

/* ---- the operations ------------------------------------------------------------------------- */

int btree_create(btree_pages *src, int is_index, uint32_t *root)
{
    if (!src || !src->allocate || !root) {
        return SEALDB_EINVAL;
    }
    uint8_t *d;
    int rc = src->allocate(src->ctx, root, &d);
    if (rc == SEALDB_OK) {
        page_fill(d, *root, is_index ? BTREE_LEAF_INDEX : BTREE_LEAF_TABLE, NULL, 0, 0,
                  src->usable);
    }
    return rc;
}

/* The cursor's path, then the cursor unpositioned (it pins no page). */
static void take_path(btree_cursor *c, wpath *path)
{
    path->depth = c->depth;
    path->append = 0;
    for (int i = 0; i < c->depth; i++) {
        path->pgno[i] = c->lvl[i].pgno;
        path->idx[i] = c->lvl[i].idx;
    }
    btree_cursor_close(c); /* also drops its payload buffer */
}

/* Puts cell (size bytes) at position idx of the leaf at the path's end,
 * replacing the cell there when replace is set, or with cell NULL removes
 * the cell at idx; free_old: the old cell's overflow pages are freed. */
static int leaf_change(btree_pages *src, wpath *path, uint32_t idx, const uint8_t *cell,
                       uint32_t size, int replace, int free_old)
{
    const int level = path->depth - 1;
    const uint32_t pgno = path->pgno[level];
    if (cell && !replace) {
        /* the common case: the page has room between its cell pointers and
         * its cells; nothing else moves */
        uint8_t *d;
        int rc = src->write(src->ctx, pgno, &d);
        if (rc != SEALDB_OK) {
            return rc;
        }
        const uint32_t hdr = hdr_of(pgno), ncell = bt_get16(d + hdr + 3);
        uint32_t content = bt_get16(d + hdr + 5);
        content = content == 0 ? 65536 : content;
        const uint32_t ptrs = hdr + 8 + 2 * ncell;
        if (bt_is_leaf(d[hdr]) && idx <= ncell && content <= src->usable && content >= ptrs &&
            content - ptrs >= size + 2) {
            content -= size;
            memcpy(d + content, cell, size);
            memmove(d + hdr + 8 + 2 * (idx + 1), d + hdr + 8 + 2 * idx, 2 * (ncell - idx));
            bt_put16(d + hdr + 8 + 2 * idx, content);
            bt_put16(d + hdr + 3, ncell + 1);
            bt_put16(d + hdr + 5, content == 65536 ? 0 : content);
            return SEALDB_OK;
        }
    }
    if (cell && replace) {
        /* a replacement of the same size is written over the old cell,
         * every byte of which it covers */
        uint8_t *d;
        int rc = src->write(src->ctx, pgno, &d);
        if (rc != SEALDB_OK) {
            return rc;
        }
        const uint32_t hdr = hdr_of(pgno), ncell = bt_get16(d + hdr + 3);
        const uint32_t ptrs = hdr + 8 + 2 * ncell;
        const uint32_t off =
            idx < ncell && ptrs <= src->usable ? bt_get16(d + hdr + 8 + 2 * idx) : 0;
        uint32_t old = 0;
        if (bt_is_leaf(d[hdr]) && off >= ptrs && off < src->usable &&
            cell_size(src, d[hdr], d + off, d + src->usable, &old) == SEALDB_OK && old == size) {
            if (free_old && (rc = free_overflow(src, d[hdr], d + off, old)) != SEALDB_OK) {
                return rc;
            }
            /* freeing overflow pages may have touched the batch: ask again */
            if ((rc = src->write(src->ctx, pgno, &d)) == SEALDB_OK) {
                memcpy(d + off, cell, size);
            }
            return rc;
        }
    }
    /* one allocation: the page's cells (and one more), then their bytes */
    const uint32_t mc = max_cells(src) + 1;
    cellref *cells = malloc(sizeof(cellref) * mc + src->usable);
    uint8_t *arena = (uint8_t *)(cells + mc);
    int rc = cells ? SEALDB_OK : SEALDB_ENOMEM;
    uint32_t n = 0, used = 0, right = 0;
    uint8_t type = 0;
    if (rc == SEALDB_OK) {
        const uint8_t *d;
        void *ref;
        rc = src->get(src->ctx, pgno, &d, &ref);
        if (rc == SEALDB_OK) {
            rc = read_cells(src, d, pgno, cells, &n, arena, &used, src->usable, &type, &right);
            src->put(src->ctx, ref);
        }
    }
    if (rc == SEALDB_OK && (!bt_is_leaf(type) || idx > n || (replace && idx >= n))) {
        rc = SEALDB_ECORRUPT;
    }
    if (rc == SEALDB_OK && replace && free_old) {
        rc = free_overflow(src, type, cells[idx].p, cells[idx].size);
    }
    if (rc == SEALDB_OK) {
        path->append = cell && !replace && idx == n;
        if (cell) {
            if (!replace) {
                memmove(cells + idx + 1, cells + idx, sizeof(cellref) * (n - idx));
                n++;
            }
            cells[idx] = (cellref){cell, size};
        } else {
            memmove(cells + idx, cells + idx + 1, sizeof(cellref) * (n - idx - 1));
            n--;
        }
        rc = balance_page(src, path, level, cells, n, right, type);
    }
    free(cells);
    return rc;
}

/* leaf_change with the old cell's overflow freed (cell NULL: delete). */
static int leaf_put(btree_pages *src, wpath *path, uint32_t idx, const uint8_t *cell, uint32_t size,
                    int replace)
{
    return leaf_change(src, path, idx, cell, size, replace || !cell, replace);
}

/* An empty tree: the path is its root, a leaf. */
static void root_path(btree_cursor *c, wpath *path)
{
    btree_cursor_close(c);
    path->depth = 1;
    path->append = 0;
    path->pgno[0] = c->root;
    path->idx[0] = 0;
}

/* Builds the leaf cell for payload and puts it at idx of the path's leaf. */
static int insert_cell(btree_pages *src, wpath *path, uint32_t idx, uint8_t type, int64_t rowid,
                       const uint8_t *payload, uint32_t len, int replace)
{
    /* the common small cell is built on the stack */
    uint8_t small[512];
    const uint32_t local = btree_local_size(src->usable, type == BTREE_LEAF_TABLE, len);
    uint8_t *cell = 2 * VARINT_MAX + local + 4 <= sizeof small ? small : malloc(src->page_size);
    if (!cell) {
        return SEALDB_ENOMEM;
    }
    uint32_t size;
    int rc = build_cell(src, type, rowid, payload, len, cell, &size);
    if (rc == SEALDB_OK) {
        rc = leaf_put(src, path, idx, cell, size, replace);
    }
    if (cell != small) {
        free(cell);
    }
    return rc;
}

/* btree_insert_row; with only_new, a row already at rowid is left alone
 * and *exists set. */
static int insert_row(btree_cursor *c, int64_t rowid, const uint8_t *payload, uint32_t len,
                      int only_new, int *exists)
{
    if (!c || c->is_index || !c->src->write || (len && !payload) || len > 0x7fffff00) {
        return SEALDB_EINVAL;
    }
    btree_pages *src = c->src;
    int cmp = 0, eof = 0;
    int rc = bt_seek_rowid(c, rowid, &cmp, &eof, 1);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (only_new) {
        *exists = !eof && cmp == 0;
        if (*exists) {
            btree_cursor_close(c);
            return SEALDB_OK;
        }
    }
    wpath path;
    uint32_t idx = 0;
    if (eof) {
        root_path(c, &path);
    } else {
        idx = c->lvl[c->depth - 1].idx + (cmp < 0 ? 1 : 0);
        take_path(c, &path);
    }
    return insert_cell(src, &path, idx, BTREE_LEAF_TABLE, rowid, payload, len, !eof && cmp == 0);
}

int btree_insert_row(btree_cursor *c, int64_t rowid, const uint8_t *payload, uint32_t len)
{
    return insert_row(c, rowid, payload, len, 0, NULL);
}

int btree_insert_new_row(btree_cursor *c, int64_t rowid, const uint8_t *payload, uint32_t len,
                         int *exists)
{
    if (!exists) {
        return SEALDB_EINVAL;
    }
    *exists = 0;
    return insert_row(c, rowid, payload, len, 1, exists);
}

int btree_insert_entry(btree_cursor *c, btree_compare_fn compare, void *ctx, const uint8_t *rec,
                       uint32_t len)
{
    if (!c || !c->is_index || !c->src->write || !rec || len == 0 || len > 0x7fffff00) {
        return SEALDB_EINVAL;
    }
    btree_pages *src = c->src;
    int cmp = 0, eof = 0;
    int rc = btree_seek_index(c, compare, ctx, &cmp, &eof);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (!eof && cmp == 0) {
        /* an equal entry: delete it, then insert afresh */
        if ((rc = btree_delete(c)) != SEALDB_OK ||
            (rc = btree_seek_index(c, compare, ctx, &cmp, &eof)) != SEALDB_OK) {
            return rc;
        }
    }
    wpath path;
    uint32_t idx = 0;
    if (eof) {
        root_path(c, &path);
    } else {
        btree_level *l = &c->lvl[c->depth - 1];
        if (!bt_is_leaf(l->type)) {
            /* the cursor is at a separator that sorts after the new entry:
             * the entry goes at the end of the leaf before that separator */
            int e2 = 0;
            if ((rc = btree_prev(c, &e2)) != SEALDB_OK) {
                return rc;
            }
            if (e2) {
                return SEALDB_ECORRUPT;
            }
            l = &c->lvl[c->depth - 1];
            idx = l->idx + 1;
        } else {
            idx = l->idx + (cmp < 0 ? 1 : 0);
        }
        take_path(c, &path);
    }
    return insert_cell(src, &path, idx, BTREE_LEAF_INDEX, 0, rec, len, 0);
}

/* Compares a record with a given one through the cursor's record order. */
typedef struct same_record {
    btree_record_fn cmp;
    void *ctx;
    const uint8_t *rec;
    uint32_t len;
} same_record;

static int compare_with(void *ctx, const uint8_t *rec, uint32_t len, int *result)
{
    const same_record *s = ctx;
    return s->cmp(s->ctx, rec, len, s->rec, s->len, result);
}

int btree_delete(btree_cursor *c)
{
    if (!c || c->depth == 0 || !c->src->write) {
        return SEALDB_EINVAL;
    }
    /* the path from the root: a leaf alone would pass for the root */
    const int whole = btree_cursor_whole(c);
    if (whole != SEALDB_OK) {
        return whole;
    }
    btree_pages *src = c->src;
    btree_level *l = &c->lvl[c->depth - 1];
    if (bt_is_leaf(l->type)) {
        wpath path;
        const uint32_t idx = l->idx;
        take_path(c, &path);
        return leaf_put(src, &path, idx, NULL, 0, 1);
    }
    /* An index entry on an interior page: the entry just before it, the
     * last of its left subtree (on a leaf), takes its place; then that
     * entry's copy leaves the leaf. */
    if (!c->record_cmp) {
        return SEALDB_EINVAL;
    }
    const int ilevel = c->depth - 1;
    const uint32_t ipgno = l->pgno, iidx = l->idx;
    int eof = 0;
    int rc = btree_prev(c, &eof);
    if (rc != SEALDB_OK || eof || !bt_is_leaf(c->lvl[c->depth - 1].type)) {
        return rc != SEALDB_OK ? rc : SEALDB_ECORRUPT;
    }
    uint8_t *pred = malloc((size_t)src->page_size + 8);
    uint8_t *arena = malloc((size_t)src->page_size * 2);
    cellref *cells = malloc(sizeof(cellref) * (src->usable / 2 + 4));
    uint8_t *key = NULL;
    uint32_t psize = 0, klen = 0;
    if (!pred || !arena || !cells) {
        rc = SEALDB_ENOMEM;
    } else {
        const btree_level *leaf = &c->lvl[c->depth - 1];
        const uint32_t off = bt_get16(leaf->data + leaf->hdr + 8 + 2 * leaf->idx);
        rc = cell_size(src, BTREE_LEAF_INDEX, leaf->data + off, leaf->data + src->usable, &psize);
        if (rc == SEALDB_OK) {
            memcpy(pred + 4, leaf->data + off, psize);
            const uint8_t *p;
            rc = btree_payload(c, &p, &klen);
            if (rc == SEALDB_OK && !(key = malloc(klen ? klen : 1))) {
                rc = SEALDB_ENOMEM;
            }
            if (rc == SEALDB_OK) {
                memcpy(key, p, klen);
            }
        }
    }
    wpath path;
    take_path(c, &path);
    /* the interior page with its entry replaced (it may have to balance) */
    uint32_t n = 0, used = 0, right = 0;
    uint8_t type = 0;
    if (rc == SEALDB_OK) {
        const uint8_t *d;
        void *ref;
        rc = src->get(src->ctx, ipgno, &d, &ref);
        if (rc == SEALDB_OK) {
            rc = read_cells(src, d, ipgno, cells, &n, arena, &used, (uint32_t)src->page_size * 2,
                            &type, &right);
            src->put(src->ctx, ref);
        }
    }
    if (rc == SEALDB_OK && (type != BTREE_INTERIOR_INDEX || iidx >= n)) {
        rc = SEALDB_ECORRUPT;
    }
    if (rc == SEALDB_OK) {
        rc = free_overflow(src, type, cells[iidx].p, cells[iidx].size);
    }
    uint32_t isize = 0;
    if (rc == SEALDB_OK) {
        memcpy(pred, cells[iidx].p, 4); /* keeps the left child */
        rc = cell_size(src, BTREE_INTERIOR_INDEX, pred, pred + 4 + psize, &isize);
    }
    if (rc == SEALDB_OK) {
        cells[iidx] = (cellref){pred, isize};
        path.depth = ilevel + 1;
        path.idx[ilevel] = iidx;
        rc = balance_page(src, &path, ilevel, cells, n, right, type);
    }
    /* the copy on the leaf: the tree's search for it stops at the interior
     * entry (an ancestor of the leaf), whose predecessor it is */
    if (rc == SEALDB_OK) {
        same_record same = {c->record_cmp, c->record_ctx, key, klen};
        int cmp = 0;
        rc = btree_seek_index(c, compare_with, &same, &cmp, &eof);
        if (rc == SEALDB_OK && (eof || cmp != 0)) {
            rc = SEALDB_ECORRUPT;
        }
        if (rc == SEALDB_OK) {
            rc = btree_prev(c, &eof);
        }
        if (rc == SEALDB_OK && (eof || !bt_is_leaf(c->lvl[c->depth - 1].type))) {
            rc = SEALDB_ECORRUPT;
        }
        if (rc == SEALDB_OK) {
            const uint32_t idx = c->lvl[c->depth - 1].idx;
            take_path(c, &path);
            rc = leaf_put(src, &path, idx, NULL, 0,
                          0); /* its overflow now belongs to the entry above */
        }
    }
    btree_cursor_close(c);
    free(key);
    free(pred);
    free(arena);
    free(cells);
    return rc;
}

/* Frees the pages of a subtree (overflow pages included). */
static int clear_page(btree_pages *src, uint32_t pgno, int is_index, int depth, int keep,
                      uint8_t leaf_type)
{
    if (depth >= BTREE_MAX_DEPTH || pgno < 1 || pgno > src->page_count) {
        return SEALDB_ECORRUPT;
    }
    uint8_t *arena = malloc(src->page_size);
    cellref *cells = malloc(sizeof(cellref) * (src->usable / 2 + 2));
    uint32_t n = 0, used = 0, right = 0;
    uint8_t type = 0;
    int rc = arena && cells ? SEALDB_OK : SEALDB_ENOMEM;
    if (rc == SEALDB_OK) {
        const uint8_t *d;
        void *ref;
        rc = src->get(src->ctx, pgno, &d, &ref);
        if (rc == SEALDB_OK) {
            rc = read_cells(src, d, pgno, cells, &n, arena, &used, src->page_size, &type, &right);
            src->put(src->ctx, ref);
        }
    }
    if (rc == SEALDB_OK && (is_index ? type != BTREE_LEAF_INDEX && type != BTREE_INTERIOR_INDEX
                                     : type != BTREE_LEAF_TABLE && type != BTREE_INTERIOR_TABLE)) {
        rc = SEALDB_ECORRUPT;
    }
    for (uint32_t i = 0; rc == SEALDB_OK && i < n; i++) {
        rc = free_overflow(src, type, cells[i].p, cells[i].size);
        if (rc == SEALDB_OK && !bt_is_leaf(type)) {
            rc = clear_page(src, bt_get32(cells[i].p), is_index, depth + 1, 0, leaf_type);
        }
    }
    if (rc == SEALDB_OK && !bt_is_leaf(type)) {
        rc = clear_page(src, right, is_index, depth + 1, 0, leaf_type);
    }
    if (rc == SEALDB_OK) {
        if (keep) {
            uint8_t *d;
            rc = src->write(src->ctx, pgno, &d);
            if (rc == SEALDB_OK) {
                page_fill(d, pgno, leaf_type, NULL, 0, 0, src->usable);
            }
        } else {
            rc = src->release(src->ctx, pgno);
        }
    }
    free(arena);
    free(cells);
    return rc;
}

int btree_clear(btree_pages *src, uint32_t root, int is_index, int free_root)
{
    if (!src || !src->write || !src->release) {
        return SEALDB_EINVAL;
    }
    return clear_page(src, root, is_index, 0, !free_root,
                      is_index ? BTREE_LEAF_INDEX : BTREE_LEAF_TABLE);
}
