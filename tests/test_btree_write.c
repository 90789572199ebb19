/*
 * test_btree_write.c - B-tree inserts, replacements and deletes
 * (engine/btree_write.c) checked by SQLite itself.
 *
 * A table t(a INTEGER PRIMARY KEY, b) and an index i on t(b) are written
 * natively, page by page, into an in-memory database image: seeded random
 * sequences of inserts (dense and sparse rowids), updates and deletes,
 * values from empty to several pages long. Every few hundred operations
 * the image is saved as a file with its freelist and opened with SQLite:
 * PRAGMA integrity_check must say ok (which also checks that the index
 * holds exactly the table's rows), and the rows must equal a model kept
 * beside. Arguments: [seeds [operations]] (the slow label runs more).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btree.h"
#include "btree_int.h"
#include "check.h"
#include "page_store.h"

static char dir[256];
static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---- an in-memory database image as a page store ------------------------------------------- */

static void store_init(store *s, uint32_t page_size)
{
    store_setup(s, page_size);
    uint32_t one;
    uint8_t *p1;
    st_allocate(s, &one, &p1);
    memcpy(p1, "SQLite format 3", 16);
    p1[16] = (uint8_t)(page_size >> 8);
    p1[17] = (uint8_t)(page_size >> 16 ? 1 : page_size & 0xff);
    if (page_size == 65536) {
        p1[16] = 0;
        p1[17] = 1;
    }
    p1[18] = p1[19] = 1;
    p1[21] = 64;
    p1[22] = p1[23] = 32;
    put32(p1 + 40, 1);       /* schema cookie */
    put32(p1 + 44, 4);       /* schema format */
    put32(p1 + 56, 1);       /* UTF-8 */
    put32(p1 + 96, 3040001); /* the library version that wrote it */
    p1[100] = BTREE_LEAF_TABLE;
    p1[105] = (uint8_t)(page_size >> 8);
    p1[106] = (uint8_t)page_size;
}

/* ---- records ----------------------------------------------------------------------------------
 */

static int put_varint(uint8_t *p, uint64_t v)
{
    uint8_t tmp[10];
    int n = 0;
    do {
        tmp[n++] = (uint8_t)((v & 0x7f) | 0x80);
        v >>= 7;
    } while (v);
    tmp[0] &= 0x7f;
    for (int i = 0; i < n; i++) {
        p[i] = tmp[n - 1 - i];
    }
    return n;
}

/* A record of columns: NULL (len -1 with text NULL), text, or an integer
 * (text NULL, value in ival). Returns its length. */
typedef struct col {
    const char *text;
    int len;
    int64_t ival;
    int is_null;
} col;

static uint32_t encode(uint8_t *out, const col *cols, int n)
{
    uint8_t hdr[64];
    int h = 0;
    for (int i = 0; i < n; i++) {
        if (cols[i].is_null) {
            hdr[h++] = 0;
        } else if (cols[i].text) {
            h += put_varint(hdr + h, 13 + 2 * (uint64_t)cols[i].len);
        } else {
            hdr[h++] = 6; /* 8-byte integer */
        }
    }
    uint32_t o = (uint32_t)put_varint(out, (uint64_t)h + 1);
    memcpy(out + o, hdr, (size_t)h);
    o += (uint32_t)h;
    for (int i = 0; i < n; i++) {
        if (cols[i].is_null) {
            continue;
        }
        if (cols[i].text) {
            memcpy(out + o, cols[i].text, (size_t)cols[i].len);
            o += (uint32_t)cols[i].len;
        } else {
            for (int b = 7; b >= 0; b--) {
                out[o++] = (uint8_t)((uint64_t)cols[i].ival >> (8 * b));
            }
        }
    }
    return o;
}

/* The index record (b, rowid): text, then an 8-byte integer. */
static void decode_index(const uint8_t *rec, uint32_t len, const uint8_t **t, uint32_t *tl,
                         int64_t *rowid)
{
    uint64_t hl = 0, ty = 0;
    int o = 0;
    int n = 0;
    (void)len;
    uint64_t x = 0;
    /* header length and the text's serial type are short varints here */
    do {
        x = x << 7 | (rec[o] & 0x7f);
    } while (rec[o++] & 0x80);
    hl = x;
    x = 0;
    do {
        x = x << 7 | (rec[o] & 0x7f);
    } while (rec[o++] & 0x80);
    ty = x;
    n = (int)hl;
    *t = rec + n;
    *tl = (uint32_t)(ty - 13) / 2;
    int64_t v = 0;
    for (int b = 0; b < 8; b++) {
        v = (int64_t)((uint64_t)v << 8 | rec[n + (int)*tl + b]);
    }
    *rowid = v;
}

static int cmp_records(void *ctx, const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen,
                       int *result)
{
    (void)ctx;
    const uint8_t *ta, *tb;
    uint32_t la, lb;
    int64_t ra, rb;
    decode_index(a, alen, &ta, &la, &ra);
    decode_index(b, blen, &tb, &lb, &rb);
    int r = memcmp(ta, tb, la < lb ? la : lb);
    if (r == 0) {
        r = la < lb ? -1 : la > lb;
    }
    if (r == 0) {
        r = ra < rb ? -1 : ra > rb;
    }
    *result = r;
    return SEALDB_OK;
}

typedef struct keyref {
    const uint8_t *rec;
    uint32_t len;
} keyref;

static int cmp_key(void *ctx, const uint8_t *rec, uint32_t len, int *result)
{
    const keyref *k = ctx;
    return cmp_records(NULL, rec, len, k->rec, k->len, result);
}

/* ---- the model ---------------------------------------------------------------------------------
 */

typedef struct mrow {
    int64_t id;
    char *b;
    int len;
    int live;
} mrow;

static int by_id(const void *x, const void *y)
{
    const mrow *a = x, *b = y;
    return a->id < b->id ? -1 : a->id > b->id;
}

static void make_text(char *t, int len, int alphabet)
{
    for (int i = 0; i < len; i++) {
        t[i] = (char)('a' + rnd() % (uint64_t)alphabet);
    }
}

static int index_put(store *s, uint32_t root, const char *b, int len, int64_t id, int delete)
{
    static uint8_t rec[4 * 65536 + 64];
    col cols[2] = {{b, len, 0, 0}, {NULL, 0, id, 0}};
    const uint32_t rl = encode(rec, cols, 2);
    keyref k = {rec, rl};
    btree_cursor c;
    btree_cursor_init(&c, &s->src, root, 1);
    btree_cursor_set_order(&c, cmp_records, NULL);
    int rc;
    if (delete) {
        int cmp = 0, eof = 0;
        rc = btree_seek_index(&c, cmp_key, &k, &cmp, &eof);
        if (rc == SEALDB_OK && (eof || cmp != 0)) {
            rc = -1; /* the entry must be there */
        }
        if (rc == SEALDB_OK) {
            rc = btree_delete(&c);
        }
    } else {
        rc = btree_insert_entry(&c, cmp_key, &k, rec, rl);
    }
    btree_cursor_close(&c);
    return rc;
}

static int table_put(store *s, uint32_t root, int64_t id, const char *b, int len, int delete)
{
    static uint8_t rec[4 * 65536 + 64];
    btree_cursor c;
    btree_cursor_init(&c, &s->src, root, 0);
    int rc;
    if (delete) {
        int cmp = 0, eof = 0;
        rc = btree_seek_rowid(&c, id, &cmp, &eof);
        if (rc == SEALDB_OK && (eof || cmp != 0)) {
            rc = -1;
        }
        if (rc == SEALDB_OK) {
            rc = btree_delete(&c);
        }
    } else {
        col cols[2] = {{NULL, 0, 0, 1}, {b, len, 0, 0}};
        const uint32_t rl = encode(rec, cols, 2);
        rc = btree_insert_row(&c, id, rec, rl);
    }
    btree_cursor_close(&c);
    return rc;
}

/* Opens the saved file with SQLite: integrity and contents. */
static int check_with_sqlite(const char *path, mrow *rows, int n)
{
    sqlite3 *db;
    int failures = 0;
    CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    CHECK_INT(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    int step, said = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *msg = (const char *)sqlite3_column_text(st, 0);
        said++;
        if (strcmp(msg, "ok") != 0) {
            if (failures++ < 5) {
                fprintf(stderr, "integrity_check: %s\n", msg);
            }
        }
    }
    if (step != SQLITE_DONE || said == 0) {
        fprintf(stderr, "integrity_check stopped: %s\n", sqlite3_errmsg(db));
        failures++;
    }
    sqlite3_finalize(st);
    CHECK_INT(failures, 0);
    qsort(rows, (size_t)n, sizeof *rows, by_id);
    CHECK_INT(sqlite3_prepare_v2(db, "SELECT a, b FROM t ORDER BY a", -1, &st, NULL), SQLITE_OK);
    int i = 0, bad = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        while (i < n && !rows[i].live) {
            i++;
        }
        if (i >= n || sqlite3_column_int64(st, 0) != rows[i].id ||
            sqlite3_column_bytes(st, 1) != rows[i].len ||
            memcmp(sqlite3_column_text(st, 1), rows[i].b, (size_t)rows[i].len) != 0) {
            bad++;
        }
        i++;
    }
    while (i < n && !rows[i].live) {
        i++;
    }
    if (step != SQLITE_DONE) {
        fprintf(stderr, "reading the rows stopped: %s\n", sqlite3_errmsg(db));
        bad++;
    }
    sqlite3_finalize(st);
    CHECK_INT(bad, 0);
    CHECK_INT(i, n);
    /* the index answers a lookup through itself */
    CHECK_INT(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM t INDEXED BY i WHERE b >= ''", -1, &st, NULL),
        SQLITE_OK);
    int live = 0;
    for (int k = 0; k < n; k++) {
        live += rows[k].live;
    }
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_INT(sqlite3_column_int(st, 0), live);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return failures + bad;
}

/* Page 1 names t (a table rooted at *t_root) and i (an index on t(b) at
 * *i_root), both made empty. */
static void make_schema(store *s, uint32_t *t_root, uint32_t *i_root)
{
    CHECK_INT(btree_create(&s->src, 0, t_root), SEALDB_OK);
    CHECK_INT(btree_create(&s->src, 1, i_root), SEALDB_OK);
    char sql[160];
    uint8_t rec[512];
    snprintf(sql, sizeof sql, "CREATE TABLE t(a INTEGER PRIMARY KEY, b)");
    col schema[5] = {{"table", 5, 0, 0},
                     {"t", 1, 0, 0},
                     {"t", 1, 0, 0},
                     {NULL, 0, *t_root, 0},
                     {sql, (int)strlen(sql), 0, 0}};
    btree_cursor c;
    btree_cursor_init(&c, &s->src, 1, 0);
    CHECK_INT(btree_insert_row(&c, 1, rec, encode(rec, schema, 5)), SEALDB_OK);
    char sql2[] = "CREATE INDEX i ON t(b)";
    col schema2[5] = {{"index", 5, 0, 0},
                      {"i", 1, 0, 0},
                      {"t", 1, 0, 0},
                      {NULL, 0, *i_root, 0},
                      {sql2, (int)strlen(sql2), 0, 0}};
    CHECK_INT(btree_insert_row(&c, 2, rec, encode(rec, schema2, 5)), SEALDB_OK);
    btree_cursor_close(&c);
}

static void run_seed(uint32_t page_size, uint64_t seed, int ops)
{
    rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
    store s;
    store_init(&s, page_size);
    uint32_t t_root, i_root;
    make_schema(&s, &t_root, &i_root);

    const int cap = ops + 16;
    mrow *rows = calloc((size_t)cap, sizeof *rows);
    int n = 0, failures = 0;
    char *text = malloc(4 * (size_t)page_size + 1);
    int64_t next_id = 1;
    const int sparse = (int)(seed % 3); /* 0 dense, 1 sparse, 2 mixed */
    char path[512];
    snprintf(path, sizeof path, "%s/w-%u-%llu.db", dir, page_size, (unsigned long long)seed);
    for (int op = 0; op < ops && failures == 0; op++) {
        const uint64_t r = rnd() % 100;
        const uint64_t shape = rnd() % 100;
        const int len = shape < 60   ? (int)(rnd() % 30)
                        : shape < 90 ? (int)(rnd() % (page_size / 2))
                                     : (int)(rnd() % (3 * page_size));
        make_text(text, len, shape < 40 ? 2 : 26);
        if (r < 60 || n == 0) {
            int64_t id = sparse == 0 || (sparse == 2 && r < 30)
                             ? next_id++
                             : (int64_t)(rnd() % 1000000000000ull) - 500000000000ll;
            int dup = 0;
            for (int k = 0; k < n && !dup; k++) {
                dup = rows[k].live && rows[k].id == id;
            }
            if (dup) {
                continue;
            }
            rows[n] = (mrow){id, malloc((size_t)len + 1), len, 1};
            memcpy(rows[n].b, text, (size_t)len);
            n++;
            failures += table_put(&s, t_root, id, text, len, 0) != SEALDB_OK;
            failures += index_put(&s, i_root, text, len, id, 0) != SEALDB_OK;
        } else {
            int k = (int)(rnd() % (uint64_t)n);
            for (int tries = 0; tries < n && !rows[k].live; tries++) {
                k = (k + 1) % n;
            }
            if (!rows[k].live) {
                continue;
            }
            failures += index_put(&s, i_root, rows[k].b, rows[k].len, rows[k].id, 1) != SEALDB_OK;
            if (r < 80) { /* update */
                failures += table_put(&s, t_root, rows[k].id, text, len, 0) != SEALDB_OK;
                failures += index_put(&s, i_root, text, len, rows[k].id, 0) != SEALDB_OK;
                free(rows[k].b);
                rows[k].b = malloc((size_t)len + 1);
                memcpy(rows[k].b, text, (size_t)len);
                rows[k].len = len;
            } else { /* delete */
                failures += table_put(&s, t_root, rows[k].id, NULL, 0, 1) != SEALDB_OK;
                rows[k].live = 0;
            }
        }
        if (failures) {
            fprintf(stderr, "page size %u seed %llu: operation %d failed\n", page_size,
                    (unsigned long long)seed, op);
        }
        if ((op + 1) % 250 == 0 || op + 1 == ops) {
            store_save(&s, path, (uint32_t)op + 1);
            const int bad = check_with_sqlite(path, rows, n);
            if (bad) {
                fprintf(stderr, "page size %u seed %llu: wrong after operation %d\n", page_size,
                        (unsigned long long)seed, op);
                failures++;
            }
        }
    }
    CHECK_INT(failures, 0);
    CHECK_INT(s.gets, s.puts);
    CHECK_INT(s.bad_reads, 0);
    /* empty it again: every page back on the free list but the roots */
    for (int k = 0; k < n && failures == 0; k++) {
        if (rows[k].live) {
            failures += index_put(&s, i_root, rows[k].b, rows[k].len, rows[k].id, 1) != SEALDB_OK;
            failures += table_put(&s, t_root, rows[k].id, NULL, 0, 1) != SEALDB_OK;
            rows[k].live = 0;
        }
    }
    CHECK_INT(failures, 0);
    CHECK_INT((int)(s.src.page_count - s.nfreed), 3); /* page 1 and the two roots */
    store_save(&s, path, (uint32_t)ops + 1);
    CHECK_INT(check_with_sqlite(path, rows, n), 0);
    unlink(path);
    for (int k = 0; k < n; k++) {
        free(rows[k].b);
    }
    free(rows);
    free(text);
    store_free(&s);
}

/* ---- in place, then balanced ------------------------------------------------------------------
 *
 * Rows go into the table's root leaf out of key order. While they fit, each
 * insert must write its cell at the top of the gap and shift the pointers,
 * nothing else: the k-th cell inserted lies at usable minus the sizes of the
 * first k cells, the header counts the cells and points at the last one,
 * and no free block or fragment appears (SQLite's integrity_check adds up
 * exactly this). A same-size replacement overwrites its cell where it is.
 * Then the leaf must split, and the tree stays whole through more inserts. */
static void check_in_place(uint32_t page_size)
{
    store s;
    store_init(&s, page_size);
    uint32_t t_root, i_root;
    make_schema(&s, &t_root, &i_root);
    char path[512];
    snprintf(path, sizeof path, "%s/in-place-%u.db", dir, page_size);
    enum { N = 200 };
    mrow rows[N];
    char text[21];
    uint32_t top = page_size; /* where the next in-place cell must start */
    int n = 0, in_place = 0, split_at = -1;
    for (int k = 0; k < N; k++) {
        const int64_t id = (int64_t)((k * 37) % N) + 1; /* a permutation of 1..N */
        snprintf(text, sizeof text, "row %05lld ---------", (long long)id);
        rows[n] = (mrow){id, malloc(20), 20, 1};
        memcpy(rows[n].b, text, 20);
        n++;
        CHECK_INT(table_put(&s, t_root, id, text, 20, 0), SEALDB_OK);
        CHECK_INT(index_put(&s, i_root, text, 20, id, 0), SEALDB_OK);
        const uint8_t *d = s.pages[t_root - 1];
        if (d[0] != BTREE_LEAF_TABLE) {
            if (split_at < 0) {
                split_at = k;
            }
            continue;
        }
        /* the cell: payload size, rowid, a 2-column record of NULL and 20 bytes of text */
        const uint32_t size = 1 + (id < 128 ? 1 : 2) + 3 + 20;
        top -= size;
        in_place++;
        CHECK_INT(bt_get16(d + 3), k + 1); /* cells */
        CHECK_INT(bt_get16(d + 5), top);   /* the cell content area starts at the new cell */
        CHECK_INT(bt_get16(d + 1), 0);     /* no free block */
        CHECK_INT(d[7], 0);                /* no fragmented bytes */
        uint32_t at = 0;                   /* the new cell's pointer, in rowid order */
        for (uint32_t i = 0; i <= (uint32_t)k; i++) {
            at += bt_get16(d + 8 + 2 * i) == top;
        }
        CHECK_INT(at, 1);
        CHECK_INT(d[top + 1] & 0x80 ? (d[top + 1] & 0x7f) << 7 | d[top + 2] : d[top + 1], id);
        if (k % 8 == 7) {
            store_save(&s, path, (uint32_t)k + 1);
            CHECK_INT(check_with_sqlite(path, rows, n), 0);
        }
    }
    CHECK(in_place > 10);
    CHECK(split_at > 0); /* the leaf filled, then had to split */
    /* a same-size replacement stays where its cell was */
    store_save(&s, path, 1000);
    CHECK_INT(check_with_sqlite(path, rows, n), 0);
    mrow *r = &rows[5];
    btree_cursor c;
    int cmp = 0, eof = 0;
    btree_cursor_init(&c, &s.src, t_root, 0);
    CHECK_INT(btree_seek_rowid(&c, r->id, &cmp, &eof), SEALDB_OK);
    const uint8_t *was = c.local;
    btree_cursor_close(&c);
    CHECK_INT(index_put(&s, i_root, r->b, r->len, r->id, 1), SEALDB_OK);
    memcpy(r->b, "replaced in place!!!", 20);
    CHECK_INT(table_put(&s, t_root, r->id, r->b, 20, 0), SEALDB_OK);
    CHECK_INT(index_put(&s, i_root, r->b, 20, r->id, 0), SEALDB_OK);
    btree_cursor_init(&c, &s.src, t_root, 0);
    CHECK_INT(btree_seek_rowid(&c, r->id, &cmp, &eof), SEALDB_OK);
    CHECK(c.local == was && cmp == 0 && memcmp(was + 3, r->b, 20) == 0);
    btree_cursor_close(&c);
    store_save(&s, path, 1001);
    CHECK_INT(check_with_sqlite(path, rows, n), 0);
    /* a walk meets every row once, in order */
    btree_cursor_init(&c, &s.src, t_root, 0);
    int seen = 0;
    int64_t last = 0;
    for (int rc = btree_first(&c, &eof); rc == SEALDB_OK && !eof; rc = btree_next(&c, &eof)) {
        CHECK(btree_rowid(&c) == last + 1);
        last = btree_rowid(&c);
        seen++;
    }
    btree_cursor_close(&c);
    CHECK_INT(seen, N);
    CHECK_INT(s.gets, s.puts);
    unlink(path);
    for (int k = 0; k < n; k++) {
        free(rows[k].b);
    }
    store_free(&s);
}

/* A damaged tree whose child pointer names page 1 (whose B-tree header sits
 * at offset 100): rows go there until it must be balanced with its
 * siblings, which must refuse it as corruption. Balancing once packed page
 * 1 as if its header were at 0, and the cells overran the page (a heap
 * overflow the fuzz target found). */
static void check_child_page1(uint32_t page_size)
{
    store s;
    store_init(&s, page_size);
    uint32_t t_root, i_root;
    make_schema(&s, &t_root, &i_root);
    char text[40];
    int64_t id = 1;
    for (; id <= 300; id++) {
        snprintf(text, sizeof text, "row %05lld ---------------", (long long)id);
        CHECK_INT(table_put(&s, t_root, id, text, 30, 0), SEALDB_OK);
    }
    uint8_t *root = s.pages[t_root - 1];
    CHECK_INT(root[0], BTREE_INTERIOR_TABLE);
    put32(root + 8, 1); /* the right-most child: page 1 */
    int ok = 0, corrupt = 0, other = 0;
    for (; id <= 600; id++) {
        snprintf(text, sizeof text, "row %05lld ---------------", (long long)id);
        const int rc = table_put(&s, t_root, id, text, 30, 0);
        ok += rc == SEALDB_OK;
        corrupt += rc == SEALDB_ECORRUPT;
        other += rc != SEALDB_OK && rc != SEALDB_ECORRUPT;
    }
    CHECK_INT(other, 0);
    CHECK(corrupt > 0);
    CHECK_INT(s.gets, s.puts);
    store_free(&s);
    (void)ok;
}

/* ---- deleting through a cursor placed ahead ----------------------------------------------------
 *
 * btree_ahead_seek places a cursor holding only its row's leaf. Deleting
 * through it once took the leaf for the root: a leaf emptied by the deletes
 * stayed in the tree, and SQLite called the file malformed. The delete must
 * find the levels above first, as a step does. */
static void check_delete_ahead(uint32_t page_size)
{
    rng_state = 7;
    store s;
    store_init(&s, page_size);
    uint32_t t_root, i_root;
    make_schema(&s, &t_root, &i_root);
    enum { N = 3000 };
    mrow *rows = calloc(N, sizeof *rows);
    char text[64];
    int failures = 0, placed = 0;
    for (int k = 0; k < N; k++) {
        const int len = 20 + (int)(rnd() % 40);
        make_text(text, len, 26);
        rows[k] = (mrow){k + 1, malloc((size_t)len + 1), len, 1};
        memcpy(rows[k].b, text, (size_t)len);
        failures += table_put(&s, t_root, k + 1, text, len, 0) != SEALDB_OK;
        failures += index_put(&s, i_root, text, len, k + 1, 0) != SEALDB_OK;
    }
    for (int k = 499; k < 1500; k++) {
        btree_cursor scout, c;
        btree_cursor_init(&scout, &s.src, t_root, 0);
        btree_cursor_init(&c, &s.src, t_root, 0);
        btree_ahead a;
        int cmp = 1, eof = 1;
        int rc = btree_ahead_find(&scout, rows[k].id, &a);
        if (rc == SEALDB_OK) {
            rc = btree_ahead_seek(&c, &a, &cmp, &eof);
            placed += c.partial;
        }
        btree_cursor_close(&scout);
        failures += rc != SEALDB_OK || cmp != 0 || eof;
        failures += btree_delete(&c) != SEALDB_OK;
        btree_cursor_close(&c);
        failures += index_put(&s, i_root, rows[k].b, rows[k].len, rows[k].id, 1) != SEALDB_OK;
        rows[k].live = 0;
    }
    CHECK_INT(failures, 0);
    CHECK_INT(placed, 1001); /* every delete went through a cursor holding only its leaf */
    CHECK_INT(s.gets, s.puts);
    char path[512];
    snprintf(path, sizeof path, "%s/delete-ahead-%u.db", dir, page_size);
    store_save(&s, path, 1);
    CHECK_INT(check_with_sqlite(path, rows, N), 0);
    unlink(path);
    for (int k = 0; k < N; k++) {
        free(rows[k].b);
    }
    free(rows);
    store_free(&s);
}

int main(int argc, char **argv)
{
    const int seeds = argc > 1 ? atoi(argv[1]) : 12;
    const int ops = argc > 2 ? atoi(argv[2]) : 1000;
    snprintf(dir, sizeof dir, "/tmp/sealdb-test-btree-write-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    check_in_place(1024);
    check_in_place(4096);
    check_child_page1(1024);
    check_delete_ahead(1024);
    const uint32_t sizes[] = {512, 1024, 4096};
    for (int sd = 0; sd < seeds; sd++) {
        run_seed(sizes[sd % 3], (uint64_t)sd + 1, ops);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return check_report();
}
