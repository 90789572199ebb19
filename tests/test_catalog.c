/*
 * test_catalog.c - the schema catalog (engine/catalog.c) checked against
 * SQLite itself.
 *
 * - Loading: databases written by SQLite (tables of every affinity, defaults,
 *   INTEGER PRIMARY KEY forms, WITHOUT ROWID, STRICT, generated columns,
 *   CHECK, AUTOINCREMENT, triggers, views, partial, expression and
 *   custom-collation indexes) are read through a page source over the file
 *   and every column, index and unwritable reason is compared with the
 *   exact expected value; damaged schema rows are refused.
 * - Creating and dropping: statements run natively into an in-memory page
 *   image, which is saved as a file: SQLite must find it intact, its
 *   sqlite_schema rows byte-identical to those SQLite writes for the same
 *   statements, an index built natively over existing rows identical entry
 *   by entry to SQLite's, and pages of dropped objects on the freelist.
 * - Affinity: hundreds of values inserted by SQLite into columns of each
 *   affinity must read back as catalog_apply_affinity says.
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btree.h"
#include "catalog.h"
#include "check.h"
#include "page_store.h"

static char dir[256];

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- a database image in memory as a page store -----------------------------------------------
 */

/* A new database as SQLite makes it before its first table: page 1 only,
 * schema format and encoding still 0 (catalog_create sets them). */
static void store_init(store *s, uint32_t page_size)
{
    store_setup(s, page_size);
    uint32_t one;
    uint8_t *p1;
    st_allocate(s, &one, &p1);
    memcpy(p1, "SQLite format 3", 16);
    p1[16] = (uint8_t)(page_size >> 8);
    p1[17] = (uint8_t)page_size;
    p1[18] = p1[19] = 1;
    p1[21] = 64;
    p1[22] = p1[23] = 32;
    put32(p1 + 48, 0);
    put32(p1 + 96, 3040001);
    p1[100] = BTREE_LEAF_TABLE;
    p1[105] = (uint8_t)(page_size >> 8);
    p1[106] = (uint8_t)page_size;
}

/* Loads a database file without free pages. */
static void store_load(store *s, const char *path)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    uint8_t hdr[100];
    CHECK(fread(hdr, 1, 100, f) == 100);
    const uint32_t page_size = (uint32_t)hdr[16] << 8 | hdr[17];
    CHECK_INT(get32(hdr + 36), 0); /* no freelist */
    store_setup(s, page_size);
    s->src.usable = page_size - hdr[20];
    fseek(f, 0, SEEK_END);
    const uint32_t n = (uint32_t)(ftell(f) / page_size);
    fseek(f, 0, SEEK_SET);
    for (uint32_t i = 0; i < n; i++) {
        st_grow(s);
        s->pages[i] = test_xmalloc(page_size);
        CHECK(fread(s->pages[i], 1, page_size, f) == page_size);
        s->src.page_count++;
    }
    fclose(f);
}

/* ---- SQLite helpers ---------------------------------------------------------------------------
 */

static void exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sql error %s in %s\n", err, sql);
        sqlite3_free(err);
        CHECK(0);
    }
}

static void path_of(char *out, size_t cap, const char *name)
{
    if (snprintf(out, cap, "%s/%s", dir, name) >= (int)cap) {
        fprintf(stderr, "path too long: %s/%s\n", dir, name);
        abort();
    }
}

static int coll_rev(void *ctx, int an, const void *a, int bn, const void *b)
{
    (void)ctx;
    const int n = an < bn ? an : bn;
    const int c = memcmp(b, a, (size_t)n);
    return c ? c : bn - an;
}

static sqlite3 *open_path(const char *path)
{
    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_create_collation(db, "rev", SQLITE_UTF8, NULL, coll_rev);
    return db;
}

/* One text answer of SQLite (the first column of the first row), in buf. */
static const char *query1(sqlite3 *db, const char *sql, char *buf, size_t cap)
{
    sqlite3_stmt *st = NULL;
    snprintf(buf, cap, "(none)");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(buf, cap, "(error: %s)", sqlite3_errmsg(db));
        return buf;
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(buf, cap, "%s", t ? (const char *)t : "NULL");
    }
    sqlite3_finalize(st);
    return buf;
}

static sqlite3 *open_new(const char *name)
{
    char path[300];
    path_of(path, sizeof path, name);
    unlink(path);
    return open_path(path);
}

static void check_integrity(const char *path)
{
    sqlite3 *db = open_path(path);
    char buf[512];
    CHECK_STR(query1(db, "PRAGMA integrity_check", buf, sizeof buf), "ok");
    sqlite3_close(db);
}

/* The payloads of a B-tree in order, concatenated with their lengths. */
typedef struct blob {
    uint8_t *p;
    size_t n, cap;
    uint32_t count;
} blob;

static void blob_add(blob *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void tree_dump(btree_pages *src, uint32_t root, int is_index, blob *out)
{
    btree_cursor c;
    int eof = 0;
    CHECK_INT(btree_cursor_init(&c, src, root, is_index), SEALDB_OK);
    CHECK_INT(btree_first(&c, &eof), SEALDB_OK);
    while (!eof) {
        const uint8_t *d;
        uint32_t len;
        CHECK_INT(btree_payload(&c, &d, &len), SEALDB_OK);
        if (!is_index) {
            const int64_t rowid = btree_rowid(&c);
            blob_add(out, &rowid, sizeof rowid);
        }
        blob_add(out, &len, sizeof len);
        blob_add(out, d, len);
        out->count++;
        CHECK_INT(btree_next(&c, &eof), SEALDB_OK);
    }
    btree_cursor_close(&c);
}

/* A file's B-tree dump (opened as a store). */
static void file_tree_dump(const char *path, const char *name, int is_index, blob *out)
{
    sqlite3 *db = open_path(path);
    char sql[200], buf[64];
    snprintf(sql, sizeof sql, "SELECT rootpage FROM sqlite_schema WHERE name = '%s'", name);
    const uint32_t root = name[0] ? (uint32_t)atoi(query1(db, sql, buf, sizeof buf)) : 1;
    sqlite3_close(db);
    store s;
    store_load(&s, path);
    CHECK(root > 0);
    tree_dump(&s.src, root, is_index, out);
    store_free(&s);
}

static catalog *load(store *s)
{
    catalog *c = NULL;
    sealdb_error err = {0};
    const int rc = catalog_load(&c, &s->src, &err);
    if (rc != SEALDB_OK) {
        fprintf(stderr, "catalog_load: %d %s\n", rc, err.message);
    }
    CHECK_INT(rc, SEALDB_OK);
    return c;
}

/* ---- loading ----------------------------------------------------------------------------------
 */

static void check_table(const catalog_table *t, uint32_t ncol, int32_t ipk, const char *why)
{
    CHECK(t != NULL);
    if (!t) {
        return;
    }
    CHECK_INT(t->ncol, ncol);
    CHECK_INT(t->ipk, ipk);
    if (why) {
        CHECK_STR(t->unwritable, why);
    } else if (t->unwritable) {
        fprintf(stderr, "table %s: unexpected unwritable \"%s\"\n", t->name, t->unwritable);
        CHECK(0);
    }
}

static void test_load(void)
{
    sqlite3 *db = open_new("load.db");
    exec(db, "CREATE TABLE t1(a INTEGER PRIMARY KEY, b TEXT NOT NULL DEFAULT 'x', "
             "c REAL DEFAULT (1+2), d VARCHAR(10) COLLATE NOCASE UNIQUE, e BLOB, f, "
             "g NUMERIC DEFAULT -5, h DOUBLE PRECISION, k CHARINT DEFAULT '12', "
             "l TEXT DEFAULT 7.5, m FLOATBLOB DEFAULT x'00ff', n DEFAULT NULL);"
             "CREATE INDEX t1_bc ON t1(b DESC, c COLLATE RTRIM);"
             "CREATE TABLE t2(a INTEGER PRIMARY KEY DESC, b);"
             "CREATE TABLE t3(x integer, y, PRIMARY KEY(x));"
             "CREATE TABLE t4(a INT PRIMARY KEY, b);"
             "CREATE TABLE w(x PRIMARY KEY, y) WITHOUT ROWID;"
             "CREATE INDEX w_y ON w(y);"
             "CREATE TABLE s(x INT) STRICT;"
             "CREATE TABLE g(a, b AS (a * 2), c AS (a + 1) STORED);"
             "INSERT INTO g(a) VALUES (1);"
             "CREATE TABLE ck(a CHECK (a > 0));"
             "CREATE TABLE \"ckstr\"(a DEFAULT 'CHECK', \"check\" /* CHECK */);"
             "CREATE TABLE au(id INTEGER PRIMARY KEY AUTOINCREMENT, v);"
             "INSERT INTO au(v) VALUES (1);"
             "CREATE TABLE tr(a);"
             "CREATE TRIGGER tr_ai AFTER INSERT ON tr BEGIN SELECT 1; END;"
             "CREATE TABLE tb(a);"
             "CREATE TRIGGER tr_body AFTER DELETE ON t2 BEGIN DELETE FROM tb; END;"
             "CREATE TABLE vb(a);"
             "CREATE VIEW v1 AS SELECT a FROM vb;"
             "CREATE TABLE ct(a DEFAULT CURRENT_TIMESTAMP);"
             "CREATE TABLE px(a, b);"
             "CREATE INDEX px_p ON px(a) WHERE b > 0;"
             "CREATE TABLE ex(a, b);"
             "CREATE INDEX ex_e ON ex(a, a + b);"
             "CREATE TABLE cl(a, b);"
             "CREATE INDEX cl_i ON cl(a COLLATE rev);"
             "CREATE TABLE cc(a COLLATE rev);"
             "CREATE TABLE pk2(a, b, c, PRIMARY KEY(b, a), UNIQUE(c));"
             "INSERT INTO t1(b, d) VALUES ('p', 'q'), ('r', 's');"
             "INSERT INTO w VALUES (1, 2), (3, 4);"
             "ANALYZE;");
    sqlite3_close(db);
    char path[300];
    path_of(path, sizeof path, "load.db");
    store s;
    store_load(&s, path);
    catalog *c = load(&s);
    if (!c) {
        store_free(&s);
        return;
    }

    /* the entries, exactly as SQLite lists them */
    db = open_path(path);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT type, name, tbl_name, rootpage, sql, rowid FROM sqlite_schema",
                       -1, &st, NULL);
    uint32_t i = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        CHECK(i < c->nentries);
        if (i >= c->nentries) {
            break;
        }
        const sealdb_schema_entry *e = &c->entries[i];
        CHECK_STR(e->type, (const char *)sqlite3_column_text(st, 0));
        CHECK_STR(e->name, (const char *)sqlite3_column_text(st, 1));
        CHECK_STR(e->tbl_name, (const char *)sqlite3_column_text(st, 2));
        CHECK_INT(e->rootpage, sqlite3_column_int(st, 3));
        if (sqlite3_column_type(st, 4) == SQLITE_NULL) {
            CHECK(e->sql == NULL);
        } else {
            CHECK_STR(e->sql, (const char *)sqlite3_column_text(st, 4));
        }
        CHECK_INT(c->rowids[i], sqlite3_column_int64(st, 5));
        i++;
    }
    sqlite3_finalize(st);
    CHECK_INT(i, c->nentries);
    CHECK_INT(c->ntables, 1 + atoi(query1(db,
                                          "SELECT count(*) FROM sqlite_schema WHERE type = "
                                          "'table'",
                                          (char[32]){0}, 32)));
    CHECK_INT(c->nindexes, atoi(query1(db,
                                       "SELECT count(*) FROM sqlite_schema WHERE type = "
                                       "'index'",
                                       (char[32]){0}, 32)));
    sqlite3_close(db);

    /* sqlite_schema itself */
    const catalog_table *sm = catalog_table_find(c, "SQLITE_MASTER");
    CHECK(sm == &c->tables[0]);
    check_table(sm, 5, -1, "internal table");
    CHECK_INT(sm->root, 1);
    CHECK_STR(sm->cols[3].name, "rootpage");
    CHECK_INT(sm->cols[3].affinity, AFF_INTEGER);
    CHECK_INT(sm->cols[4].affinity, AFF_TEXT);

    /* t1: every affinity, defaults, the INTEGER PRIMARY KEY, two indexes */
    const catalog_table *t1 = catalog_table_find(c, "T1");
    check_table(t1, 12, 0, NULL);
    static const uint8_t aff[12] = {AFF_INTEGER, AFF_TEXT, AFF_REAL,    AFF_TEXT,
                                    AFF_BLOB,    AFF_BLOB, AFF_NUMERIC, AFF_REAL,
                                    AFF_INTEGER, AFF_TEXT, AFF_BLOB,    AFF_BLOB};
    static const char *const names[12] = {"a", "b", "c", "d", "e", "f",
                                          "g", "h", "k", "l", "m", "n"};
    for (uint32_t k = 0; t1 && k < 12; k++) {
        CHECK_STR(t1->cols[k].name, names[k]);
        CHECK_INT(t1->cols[k].affinity, aff[k]);
        CHECK_INT(t1->col_flags[k], aff[k] == AFF_REAL ? RECORD_REAL_AS_INT : 0);
        CHECK_INT(t1->cols[k].notnull, k == 1);
        CHECK_INT(t1->cols[k].hidden, 0);
        CHECK_INT(t1->cols[k].coll, k == 3 ? RECORD_NOCASE : RECORD_BINARY);
        CHECK_INT(t1->cols[k].dflt_is_set, k == 1 || k == 2 || k >= 6 ? (k == 7 ? 0 : 1) : 0);
    }
    if (t1) {
        CHECK_INT(t1->cols[1].dflt.type, RECORD_TEXT);
        CHECK(t1->cols[1].dflt.n == 1 && t1->cols[1].dflt.p[0] == 'x');
        CHECK_INT(t1->cols[2].dflt.type, RECORD_REAL);
        CHECK(t1->cols[2].dflt.r == 3.0);
        CHECK_INT(t1->cols[6].dflt.type, RECORD_INTEGER);
        CHECK_INT(t1->cols[6].dflt.i, -5);
        CHECK_INT(t1->cols[7].dflt.type, RECORD_NULL);
        CHECK_INT(t1->cols[8].dflt.type, RECORD_INTEGER); /* '12' under INTEGER affinity */
        CHECK_INT(t1->cols[8].dflt.i, 12);
        CHECK_INT(t1->cols[9].dflt.type, RECORD_TEXT); /* 7.5 under TEXT affinity */
        CHECK(t1->cols[9].dflt.n == 3 && !memcmp(t1->cols[9].dflt.p, "7.5", 3));
        CHECK_INT(t1->cols[10].dflt.type, RECORD_BLOB);
        CHECK(t1->cols[10].dflt.n == 2 && t1->cols[10].dflt.p[1] == 0xff);
        CHECK_INT(t1->cols[11].dflt.type, RECORD_NULL);
        CHECK_INT(t1->nindex, 2);
        CHECK_INT(t1->without_rowid, 0);
    }
    const catalog_index *au1 = catalog_index_find(c, "sqlite_autoindex_t1_1");
    CHECK(au1 && t1 && t1->nindex == 2 && t1->indexes[0] == au1);
    if (au1) {
        CHECK(au1->table == t1);
        CHECK_INT(au1->ncol, 1);
        CHECK_INT(au1->cols[0], 3);
        CHECK_INT(au1->coll[0], RECORD_NOCASE);
        CHECK_INT(au1->coll[1], RECORD_BINARY);
        CHECK_INT(au1->desc[0], 0);
        CHECK_INT(au1->unique, 1);
        CHECK_INT(au1->origin, 'u');
        CHECK_INT(au1->partial, 0);
        CHECK(au1->unwritable == NULL);
    }
    const catalog_index *bc = catalog_index_find(c, "T1_BC");
    CHECK(bc && t1 && t1->nindex == 2 && t1->indexes[1] == bc);
    if (bc) {
        CHECK_INT(bc->ncol, 2);
        CHECK_INT(bc->cols[0], 1);
        CHECK_INT(bc->cols[1], 2);
        CHECK_INT(bc->desc[0], 1);
        CHECK_INT(bc->desc[1], 0);
        CHECK_INT(bc->desc[2], 0);
        CHECK_INT(bc->coll[0], RECORD_BINARY);
        CHECK_INT(bc->coll[1], RECORD_RTRIM);
        CHECK_INT(bc->unique, 0);
        CHECK_INT(bc->origin, 'c');
        CHECK(bc->unwritable == NULL);
    }

    /* INTEGER PRIMARY KEY forms */
    const catalog_table *t2 = catalog_table_find(c, "t2");
    check_table(t2, 2, -1, "table has triggers");
    const catalog_index *t2p = catalog_index_find(c, "sqlite_autoindex_t2_1");
    CHECK(t2p && t2p->origin == 'p' && t2p->unique == 1 && t2p->desc[0] == 1);
    check_table(catalog_table_find(c, "t3"), 2, 0, NULL);
    check_table(catalog_table_find(c, "t4"), 2, -1, NULL);
    CHECK(catalog_index_find(c, "sqlite_autoindex_t4_1") != NULL);
    const catalog_table *pk2 = catalog_table_find(c, "pk2");
    check_table(pk2, 3, -1, NULL);
    const catalog_index *pk2p = catalog_index_find(c, "sqlite_autoindex_pk2_1");
    CHECK(pk2p && pk2p->ncol == 2 && pk2p->cols[0] == 1 && pk2p->cols[1] == 0 &&
          pk2p->origin == 'p');
    const catalog_index *pk2u = catalog_index_find(c, "sqlite_autoindex_pk2_2");
    CHECK(pk2u && pk2u->ncol == 1 && pk2u->cols[0] == 2 && pk2u->origin == 'u');

    /* what the native engine must not write, and why */
    const catalog_table *w = catalog_table_find(c, "w");
    check_table(w, 2, -1, "WITHOUT ROWID table");
    CHECK(w && w->without_rowid == 1 && w->nindex == 1);
    const catalog_index *wy = catalog_index_find(c, "w_y");
    CHECK(wy && wy->unwritable && !strcmp(wy->unwritable, "WITHOUT ROWID table"));
    check_table(catalog_table_find(c, "s"), 1, -1, "STRICT table");
    const catalog_table *g = catalog_table_find(c, "g");
    check_table(g, 3, -1, "generated columns");
    CHECK(g && g->cols[0].hidden == 0 && g->cols[1].hidden == 2 && g->cols[2].hidden == 3);
    check_table(catalog_table_find(c, "ck"), 1, -1, "CHECK constraint");
    check_table(catalog_table_find(c, "ckstr"), 2, -1, NULL);
    check_table(catalog_table_find(c, "au"), 2, 0, "AUTOINCREMENT");
    const catalog_table *seq = catalog_table_find(c, "sqlite_sequence");
    check_table(seq, 2, -1, "internal table");
    CHECK(seq && !strcmp(seq->cols[0].name, "name") && !strcmp(seq->cols[1].name, "seq"));
    check_table(catalog_table_find(c, "tr"), 1, -1, "table has triggers");
    check_table(catalog_table_find(c, "vb"), 1, -1, NULL);
    check_table(catalog_table_find(c, "ct"), 1, -1, "non-constant DEFAULT");
    check_table(catalog_table_find(c, "px"), 2, -1, "partial index");
    const catalog_index *pxp = catalog_index_find(c, "px_p");
    CHECK(pxp && pxp->partial == 1 && pxp->unwritable && !strcmp(pxp->unwritable, "partial index"));
    check_table(catalog_table_find(c, "ex"), 2, -1, "expression index");
    const catalog_index *exe = catalog_index_find(c, "ex_e");
    CHECK(exe && exe->ncol == 2 && exe->cols[0] == 0 && exe->cols[1] == -2);
    check_table(catalog_table_find(c, "cl"), 2, -1, "collation rev");
    const catalog_index *cli = catalog_index_find(c, "cl_i");
    CHECK(cli && cli->unwritable && !strcmp(cli->unwritable, "collation rev"));
    check_table(catalog_table_find(c, "cc"), 1, -1, "collation rev");
    CHECK(catalog_table_find(c, "v1") == NULL);
    CHECK(catalog_table_find(c, "nosuch") == NULL);
    CHECK(catalog_index_find(c, "nosuch") == NULL);

    char buf[200];
    /* indexes the native engine cannot build over these rows */
    sealdb_error err = {0};
    int changed = -1;
    CHECK_INT(catalog_create(c, &s.src, "CREATE INDEX gi ON g(a)", &changed, &err),
              SEALDB_EUNSUPPORTED);
    CHECK_STR(err.message,
              "the native engine cannot build this index over existing rows (generated columns)");
    CHECK_INT(changed, 0);

    /* drops refused on this schema */
    CHECK_INT(catalog_drop_table(c, &s.src, "vb", &err), SEALDB_EUNSUPPORTED);
    CHECK_STR(err.message, "view v1 names table vb: drop it first (with SQLite)");
    CHECK_INT(catalog_drop_table(c, &s.src, "tr", &err), SEALDB_EUNSUPPORTED);
    CHECK_STR(err.message, "trigger tr_ai names table tr: drop it first (with SQLite)");
    CHECK_INT(catalog_drop_table(c, &s.src, "tb", &err), SEALDB_EUNSUPPORTED);
    CHECK_STR(err.message, "trigger tr_body names table tb: drop it first (with SQLite)");
    check_table(catalog_table_find(c, "tb"), 1, -1, NULL);
    CHECK_INT(catalog_drop_table(c, &s.src, "sqlite_sequence", &err), SEALDB_EUNSUPPORTED);
    CHECK_STR(err.message, "table sqlite_sequence may not be dropped");
    CHECK_INT(catalog_drop_table(c, &s.src, "sqlite_master", &err), SEALDB_EUNSUPPORTED);
    CHECK_INT(catalog_drop_index(c, &s.src, "sqlite_autoindex_t1_1", &err), SEALDB_EUNSUPPORTED);
    CHECK_STR(err.message,
              "index associated with UNIQUE or PRIMARY KEY constraint cannot be dropped");
    CHECK_INT(catalog_drop_table(c, &s.src, "nosuch", &err), SEALDB_ENOTFOUND);
    CHECK_STR(err.message, "no such table: nosuch");
    CHECK_INT(catalog_drop_index(c, &s.src, "nosuch", &err), SEALDB_ENOTFOUND);
    CHECK_STR(err.message, "no such index: nosuch");

    /* drops that work: AUTOINCREMENT (its sqlite_sequence row goes too) and WITHOUT ROWID */
    const uint32_t before = s.src.page_count;
    CHECK_INT(catalog_drop_table(c, &s.src, "au", &err), SEALDB_OK);
    CHECK_INT(catalog_drop_table(c, &s.src, "W", &err), SEALDB_OK);
    CHECK_INT(catalog_drop_index(c, &s.src, "t1_bc", &err), SEALDB_OK);
    db = open_path(path);
    CHECK_STR(query1(db,
                     "SELECT group_concat(x, ' ') FROM (SELECT tbl || '.' || "
                     "coalesce(idx, '-') AS x FROM sqlite_stat1 ORDER BY 1)",
                     buf, sizeof buf),
              "au.- g.- t1.sqlite_autoindex_t1_1 t1.t1_bc w.w w.w_y");
    sqlite3_close(db);
    CHECK_INT(s.nfreed, 4);
    CHECK_INT(s.src.page_count, before);
    catalog_free(c);
    char saved[300];
    path_of(saved, sizeof saved, "load_dropped.db");
    store_save(&s, saved, get32(s.pages[0] + 24) + 1);
    check_integrity(saved);
    db = open_path(saved);
    CHECK_STR(query1(db, "PRAGMA freelist_count", buf, sizeof buf), "4");
    CHECK_STR(query1(db, "SELECT count(*) FROM sqlite_sequence", buf, sizeof buf), "0");
    /* the statistics of what was dropped went too, the others stayed */
    CHECK_STR(query1(db,
                     "SELECT group_concat(x, ' ') FROM (SELECT tbl || '.' || "
                     "coalesce(idx, '-') AS x FROM sqlite_stat1 ORDER BY 1)",
                     buf, sizeof buf),
              "g.- t1.sqlite_autoindex_t1_1");
    CHECK_STR(query1(db,
                     "SELECT count(*) FROM sqlite_schema WHERE name IN ('au', 'w', 'w_y', 't1_bc')",
                     buf, sizeof buf),
              "0");
    exec(db, "CREATE TABLE au(x); INSERT INTO au VALUES (1)"); /* SQLite agrees it is gone */
    sqlite3_close(db);
    check_integrity(saved);
    store_free(&s);
}

/* A schema row written by hand into a fresh image. */
static int load_bad_row(const record_value *v, uint32_t n, const char *expect_msg)
{
    store s;
    store_init(&s, 4096);
    uint8_t rec[512];
    uint32_t len = 0;
    CHECK_INT(record_encode(v, n, NULL, rec, sizeof rec, &len), SEALDB_OK);
    btree_cursor c;
    btree_cursor_init(&c, &s.src, 1, 0);
    CHECK_INT(btree_insert_row(&c, 1, rec, len), SEALDB_OK);
    btree_cursor_close(&c);
    uint32_t root;
    btree_create(&s.src, 0, &root); /* page 2 exists */
    catalog *cat = (catalog *)1;
    sealdb_error err = {0};
    const int rc = catalog_load(&cat, &s.src, &err);
    if (rc == SEALDB_OK) {
        catalog_free(cat);
    } else {
        CHECK(cat == NULL);
    }
    if (expect_msg) {
        CHECK_STR(err.message, expect_msg);
    }
    store_free(&s);
    return rc;
}

#define TXT(s)                                                                                     \
    {                                                                                              \
        .type = RECORD_TEXT, .n = sizeof(s) - 1, .p = (const uint8_t *)(s)                         \
    }
#define INT(v)                                                                                     \
    {                                                                                              \
        .type = RECORD_INTEGER, .i = (v)                                                           \
    }

static void test_load_bad(void)
{
    /* empty databases */
    store s;
    store_setup(&s, 4096);
    catalog *c = load(&s);
    CHECK(c && c->ntables == 1 && c->nentries == 0 && c->nindexes == 0);
    catalog_free(c);
    store_init(&s, 4096);
    c = load(&s);
    CHECK(c && c->ntables == 1 && c->nentries == 0 && c->tables[0].ncol == 5);
    catalog_free(c);
    store_free(&s);

    const record_value good[5] = {TXT("table"), TXT("x"), TXT("x"), INT(2),
                                  TXT("CREATE TABLE x(a)")};
    CHECK_INT(load_bad_row(good, 5, NULL), SEALDB_OK);
    record_value v[5];
    memcpy(v, good, sizeof v);
    v[0] = (record_value)TXT("tabel");
    CHECK_INT(load_bad_row(v, 5, "sqlite_schema row 1: unknown type \"tabel\""), SEALDB_ECORRUPT);
    memcpy(v, good, sizeof v);
    v[3] = (record_value)TXT("2");
    CHECK_INT(load_bad_row(v, 5, "sqlite_schema row 1: rootpage is not an INTEGER"),
              SEALDB_ECORRUPT);
    memcpy(v, good, sizeof v);
    v[3] = (record_value)INT(99);
    CHECK_INT(load_bad_row(v, 5, "sqlite_schema row 1: rootpage 99 is invalid"), SEALDB_ECORRUPT);
    memcpy(v, good, sizeof v);
    v[1] = (record_value)INT(7);
    CHECK_INT(load_bad_row(v, 5, "sqlite_schema row 1: name is not TEXT"), SEALDB_ECORRUPT);
    memcpy(v, good, sizeof v);
    v[1] = (record_value){.type = RECORD_TEXT, .n = 3, .p = (const uint8_t *)"x\0y"};
    CHECK_INT(load_bad_row(v, 5, "sqlite_schema row 1: name is text with a NUL byte"),
              SEALDB_ECORRUPT);
    memcpy(v, good, sizeof v);
    v[4] = (record_value){.type = RECORD_NULL};
    CHECK_INT(load_bad_row(v, 5, "sqlite_schema row 1: a table without SQL"), SEALDB_ECORRUPT);
    CHECK_INT(load_bad_row(good, 4, "sqlite_schema row 1: 4 columns where 5 are expected"),
              SEALDB_ECORRUPT);
    memcpy(v, good, sizeof v);
    v[4] = (record_value)TXT("CREATE TABLE x(");
    CHECK_INT(
        load_bad_row(v, 5, "schema entry table \"x\": SQLite refuses its SQL: incomplete input"),
        SEALDB_EFORMAT);
    memcpy(v, good, sizeof v);
    v[4] = (record_value)TXT("CREATE TABLE x(a); CREATE TABLE y(b)");
    CHECK_INT(load_bad_row(v, 5, NULL), SEALDB_EFORMAT);
    memcpy(v, good, sizeof v);
    v[0] = (record_value)TXT("index");
    v[4] = (record_value){.type = RECORD_NULL};
    CHECK_INT(load_bad_row(v, 5, "sqlite_schema row 1: index x of no table"), SEALDB_ECORRUPT);

    /* a damaged page 1 */
    store_init(&s, 4096);
    s.pages[0][100] = 7;
    sealdb_error err = {0};
    c = (catalog *)1;
    CHECK_INT(catalog_load(&c, &s.src, &err), SEALDB_ECORRUPT);
    CHECK(c == NULL && strstr(err.message, "reading sqlite_schema: B-tree page 1") != NULL);
    store_free(&s);
    CHECK_INT(catalog_load(NULL, &s.src, &err), SEALDB_EINVAL);
}

/* ---- creating and dropping ---------------------------------------------------------------------
 */

static const char *const create_sql[] = {
    "CREATE TABLE IF NOT EXISTS  t1 (a INTEGER PRIMARY KEY, b TEXT UNIQUE, c)",
    "create table t2(a,b, primary key(a,b), unique(b)) ;   ",
    "CREATE TABLE \"t 3\"(x REAL DEFAULT 1.5) -- a comment",
    "CREATE UNIQUE INDEX IF NOT EXISTS i1 ON t1(c)",
    "CREATE INDEX main.i2 ON t2(b DESC, a COLLATE NOCASE);",
    "CREATE TABLE au(id INTEGER PRIMARY KEY AUTOINCREMENT, v)",
    "CREATE TABLE w(k PRIMARY KEY, v) WITHOUT ROWID",
    "CREATE TABLE big(a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s, t, u, v, w, x, y, "
    "z, "
    "aa UNIQUE, bb UNIQUE, cc UNIQUE, dd UNIQUE, ee UNIQUE, ff UNIQUE, gg UNIQUE, hh UNIQUE, "
    "ii UNIQUE, jj UNIQUE, kk UNIQUE, ll UNIQUE, mm UNIQUE, nn UNIQUE, oo UNIQUE, pp UNIQUE, "
    "qq UNIQUE, rr UNIQUE, ss UNIQUE, tt UNIQUE, uu UNIQUE, vv UNIQUE, ww UNIQUE, xx UNIQUE, "
    "a_long_column_name_to_make_the_sql_text_spill_onto_an_overflow_page_of_the_schema DEFAULT "
    "'padding padding padding padding padding padding padding padding padding padding padding "
    "padding padding padding padding padding padding padding padding padding padding padding "
    "padding padding padding padding padding padding padding padding padding padding padding "
    "padding padding padding padding padding padding padding padding padding padding padding "
    "padding padding padding padding padding padding padding padding padding padding padding "
    "padding padding padding padding padding padding padding padding padding padding padding "
    "padding padding padding padding padding padding padding padding padding padding padding "
    "padding padding padding padding padding padding padding padding padding padding padding')",
};
#define NCREATE (sizeof create_sql / sizeof create_sql[0])

static int create(store *s, const char *sql, sealdb_error *err)
{
    catalog *c = load(s);
    int changed = -1;
    const int rc = catalog_create(c, &s->src, sql, &changed, err);
    if (rc == SEALDB_OK) {
        CHECK_INT(changed, 1);
    } else {
        CHECK_INT(changed, 0);
    }
    catalog_free(c);
    return rc;
}

/* Runs create_sql natively into a new image of page_size and in SQLite
 * into `name`_ref.db; saves the image as `name`.db (its path in path) and
 * checks that SQLite finds it intact and that both sqlite_schema trees hold
 * the same rows byte for byte, root pages included. */
static void create_all(store *s, uint32_t page_size, const char *name, char *path, size_t cap)
{
    char file[64], refpath[300];
    store_init(s, page_size);
    snprintf(file, sizeof file, "%s_ref.db", name);
    sqlite3 *ref = open_new(file);
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA page_size = %u", page_size);
    exec(ref, pragma);
    sealdb_error err = {0};
    for (size_t i = 0; i < NCREATE; i++) {
        const int rc = create(s, create_sql[i], &err);
        if (rc != SEALDB_OK) {
            fprintf(stderr, "%s: %s\n", create_sql[i], err.message);
        }
        CHECK_INT(rc, SEALDB_OK);
        exec(ref, create_sql[i]);
    }
    CHECK_INT(get32(s->pages[0] + 40), NCREATE);
    CHECK_INT(get32(s->pages[0] + 44), 4);
    CHECK_INT(get32(s->pages[0] + 56), 1);
    sqlite3_close(ref);
    snprintf(file, sizeof file, "%s.db", name);
    path_of(path, cap, file);
    snprintf(file, sizeof file, "%s_ref.db", name);
    path_of(refpath, sizeof refpath, file);
    store_save(s, path, get32(s->pages[0] + 24) + 1);
    check_integrity(path);
    blob a = {0}, b = {0};
    file_tree_dump(path, "", 0, &a);
    file_tree_dump(refpath, "", 0, &b);
    CHECK_INT(a.count, 36);
    CHECK_INT(a.count, b.count);
    CHECK(a.n == b.n && !memcmp(a.p, b.p, a.n));
    CHECK_CONTEXT("page size %u", page_size);
    free(a.p), free(b.p);
}

static void test_create(void)
{
    store s;
    char path[300], buf[1200];
    sealdb_error err = {0};
    create_all(&s, 4096, "create", path, sizeof path);
    sqlite3 *db = open_path(path);
    CHECK_STR(query1(db, "PRAGMA schema_version", buf, sizeof buf), "8");
    /* SQLite writes into what was made natively */
    exec(db, "INSERT INTO t1(b, c) VALUES ('x', 1), ('y', 2); INSERT INTO t2 VALUES (1, 2);"
             "INSERT INTO \"t 3\" DEFAULT VALUES; INSERT INTO au(v) VALUES (9);"
             "INSERT INTO w VALUES (1, 2)");
    CHECK_STR(query1(db, "SELECT x FROM \"t 3\"", buf, sizeof buf), "1.5");
    CHECK_STR(query1(db, "SELECT seq FROM sqlite_sequence WHERE name = 'au'", buf, sizeof buf),
              "1");
    sqlite3_close(db);
    check_integrity(path);

    /* IF NOT EXISTS on an existing object: nothing written */
    store_free(&s);
    store_load(&s, path);
    const uint32_t pages = s.src.page_count;
    catalog *c = load(&s);
    int changed = -1;
    CHECK_INT(catalog_create(c, &s.src, "CREATE TABLE IF NOT EXISTS t1(z)", &changed, &err),
              SEALDB_OK);
    CHECK_INT(changed, 0);
    CHECK_INT(catalog_create(c, &s.src, "create index if not exists I1 on t2(a)", &changed, &err),
              SEALDB_OK);
    CHECK_INT(changed, 0);
    CHECK_INT(s.src.page_count, pages);
    CHECK_INT(get32(s.pages[0] + 40), NCREATE);

    /* refusals, with SQLite's messages */
    struct {
        const char *sql;
        int rc;
        const char *msg;
    } bad[] = {
        {"CREATE TABLE t1(z)", SEALDB_EINVAL, "table t1 already exists"},
        {"CREATE TABLE T1(z)", SEALDB_EINVAL, "table T1 already exists"},
        {"CREATE INDEX i1 ON t2(a)", SEALDB_EINVAL, "index i1 already exists"},
        {"CREATE TABLE x(", SEALDB_EINVAL, "incomplete input"},
        {"CREATE TABLE x(a) garbage", SEALDB_EINVAL, "unknown table option: garbage"},
        {"CREATE INDEX j ON nosuch(a)", SEALDB_EINVAL, "no such table: main.nosuch"},
        {"CREATE INDEX j ON t1(nosuch)", SEALDB_EINVAL, "no such column: nosuch"},
        {"CREATE INDEX j ON sqlite_schema(name)", SEALDB_EINVAL,
         "table sqlite_master may not be indexed"},
        {"CREATE TABLE sqlite_x(a)", SEALDB_EINVAL,
         "object name reserved for internal use: sqlite_x"},
        {"SELECT 1", SEALDB_EINVAL, "not a CREATE TABLE or CREATE INDEX statement"},
        {"DROP TABLE t1", SEALDB_EINVAL, "not a CREATE TABLE or CREATE INDEX statement"},
        {"", SEALDB_EINVAL, "not a CREATE TABLE or CREATE INDEX statement"},
        {"CREATE TABLE a(x); CREATE TABLE b(y)", SEALDB_EINVAL,
         "one statement is expected, not more"},
        {"CREATE VIEW v AS SELECT 1", SEALDB_EUNSUPPORTED,
         "the native engine does not create views"},
        {"CREATE TRIGGER tg AFTER INSERT ON t1 BEGIN SELECT 1; END", SEALDB_EUNSUPPORTED,
         "the native engine does not create triggers"},
        {"CREATE VIRTUAL TABLE f USING fts5(a)", SEALDB_EUNSUPPORTED,
         "the native engine does not create virtual tables"},
        {"CREATE TEMP TABLE x(a)", SEALDB_EUNSUPPORTED,
         "the native engine does not create TEMP objects"},
        {"CREATE TABLE temp.x(a)", SEALDB_EUNSUPPORTED,
         "the native engine does not create TEMP objects"},
        {"CREATE TABLE c AS SELECT 1 AS a", SEALDB_EUNSUPPORTED,
         "the native engine does not create tables AS SELECT"},
        {"CREATE TABLE q(a COLLATE nosuch)", SEALDB_EINVAL, "no such collation sequence: nosuch"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        changed = -1;
        memset(&err, 0, sizeof err);
        CHECK_INT(catalog_create(c, &s.src, bad[i].sql, &changed, &err), bad[i].rc);
        CHECK_INT(err.code, bad[i].rc);
        CHECK_STR(err.message, bad[i].msg);
        CHECK_INT(changed, 0);
        CHECK_CONTEXT("statement %s", bad[i].sql);
    }
    CHECK_INT(s.src.page_count, pages);
    CHECK_INT(get32(s.pages[0] + 40), NCREATE);
    /* SQLite gives the same messages */
    db = open_path(path);
    for (size_t i = 0; i < 9; i++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, bad[i].sql, -1, &st, NULL) == SQLITE_OK) {
            sqlite3_step(st);
        }
        CHECK_STR(sqlite3_errmsg(db), bad[i].msg);
        sqlite3_finalize(st);
    }
    sqlite3_close(db);

    /* a failing source: the error comes back, nothing leaks */
    s.fail_allocs = 2;
    CHECK_INT(catalog_create(c, &s.src, "CREATE TABLE f(a UNIQUE)", &changed, &err), SEALDB_EIO);
    CHECK_INT(changed, 0);
    s.fail_allocs = 0;
    catalog_free(c);
    store_free(&s);

    /* drops: pages to the freelist, SQLite agrees */
    store_load(&s, path);
    c = load(&s);
    s.fail_release = 1;
    CHECK_INT(catalog_drop_index(c, &s.src, "I2", &err), SEALDB_EIO);
    CHECK_STR(err.message, "could not free the pages of i2");
    CHECK_INT(catalog_drop_table(c, &s.src, "t1", &err), SEALDB_EIO);
    CHECK_STR(err.message, "could not free the pages of t1");
    s.fail_release = 0;
    CHECK_INT(catalog_drop_index(c, &s.src, "I2", &err), SEALDB_OK);
    catalog_free(c);
    c = load(&s);
    CHECK(catalog_index_find(c, "i2") == NULL);
    CHECK_INT(catalog_drop_table(c, &s.src, "t1", &err), SEALDB_OK); /* with 2 indexes */
    CHECK_INT(catalog_drop_table(c, &s.src, "au", &err), SEALDB_OK);
    catalog_free(c);
    CHECK_INT(s.nfreed, 5);
    CHECK_INT(get32(s.pages[0] + 40), NCREATE + 3);
    store_save(&s, path, get32(s.pages[0] + 24) + 1);
    check_integrity(path);
    db = open_path(path);
    CHECK_STR(query1(db, "PRAGMA freelist_count", buf, sizeof buf), "5");
    CHECK_STR(query1(db, "SELECT group_concat(name, ',') FROM sqlite_schema", buf, sizeof buf),
              "t2,sqlite_autoindex_t2_1,sqlite_autoindex_t2_2,t 3,sqlite_sequence,w,big,"
              "sqlite_autoindex_big_1,sqlite_autoindex_big_2,sqlite_autoindex_big_3,"
              "sqlite_autoindex_big_4,sqlite_autoindex_big_5,sqlite_autoindex_big_6,"
              "sqlite_autoindex_big_7,sqlite_autoindex_big_8,sqlite_autoindex_big_9,"
              "sqlite_autoindex_big_10,sqlite_autoindex_big_11,sqlite_autoindex_big_12,"
              "sqlite_autoindex_big_13,sqlite_autoindex_big_14,sqlite_autoindex_big_15,"
              "sqlite_autoindex_big_16,sqlite_autoindex_big_17,sqlite_autoindex_big_18,"
              "sqlite_autoindex_big_19,sqlite_autoindex_big_20,sqlite_autoindex_big_21,"
              "sqlite_autoindex_big_22,sqlite_autoindex_big_23,sqlite_autoindex_big_24");
    CHECK_STR(query1(db, "SELECT count(*) FROM sqlite_sequence", buf, sizeof buf), "0");
    sqlite3_close(db);

    /* a new table takes freed pages */
    CHECK_INT(create(&s, "CREATE TABLE again(a UNIQUE, b)", &err), SEALDB_OK);
    CHECK_INT(s.nfreed, 3);
    store_save(&s, path, get32(s.pages[0] + 24) + 1);
    check_integrity(path);
    db = open_path(path);
    CHECK_STR(query1(db, "PRAGMA freelist_count", buf, sizeof buf), "3");
    exec(db, "INSERT INTO again VALUES (1, 2)");
    sqlite3_close(db);
    check_integrity(path);
    store_free(&s);
}

/* With 1024-byte pages sqlite_schema spans several pages. */
static void test_create_small_pages(void)
{
    store s;
    char path[300];
    create_all(&s, 1024, "small", path, sizeof path);
    store_free(&s);
}

/* ---- an index built over existing rows --------------------------------------------------------
 */

static void random_value(sqlite3_stmt *st, int col, test_rng *r)
{
    static const char *const texts[] = {"a", "A", "b ", "b", "B  ", "", "abc", "ABC", "zz", "Zz"};
    char buf[3000];
    switch (test_rng_next(r) % 8) {
    case 0: sqlite3_bind_null(st, col); break;
    case 1: sqlite3_bind_int64(st, col, (int64_t)(test_rng_next(r) % 100) - 50); break;
    case 2: sqlite3_bind_int64(st, col, (int64_t)test_rng_next(r)); break;
    case 3: sqlite3_bind_double(st, col, (double)(int64_t)(test_rng_next(r) % 200) / 4); break;
    case 4: sqlite3_bind_text(st, col, texts[test_rng_next(r) % 10], -1, SQLITE_TRANSIENT); break;
    case 5: {
        const size_t n = 1 + test_rng_next(r) % 2500; /* spills to overflow pages */
        for (size_t i = 0; i < n; i++) {
            buf[i] = (char)('a' + test_rng_next(r) % 3);
        }
        sqlite3_bind_text(st, col, buf, (int)n, SQLITE_TRANSIENT);
        break;
    }
    case 6: {
        uint8_t bl[8];
        test_rng_fill(r, bl, sizeof bl);
        sqlite3_bind_blob(st, col, bl, (int)(1 + test_rng_next(r) % 8), SQLITE_TRANSIENT);
        break;
    }
    default: sqlite3_bind_text(st, col, "12", -1, SQLITE_STATIC); break;
    }
}

static void test_index_build(void)
{
    static const char *const idx_sql[] = {
        "CREATE INDEX pi ON p(d, c DESC, e)",
        "CREATE INDEX pj ON p(b COLLATE RTRIM, a)",
        "CREATE INDEX pk ON p(c)",
        "CREATE UNIQUE INDEX pu ON p(a, d)",
        "CREATE UNIQUE INDEX pn ON p(u)",
    };
    const size_t nidx = sizeof idx_sql / sizeof idx_sql[0];
    sqlite3 *db = open_new("build.db");
    exec(db, "CREATE TABLE p(a INTEGER PRIMARY KEY, b TEXT, c REAL, d COLLATE NOCASE, u INT);"
             "BEGIN");
    test_rng r = {42};
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO p(b, c, d, u) VALUES (?, ?, ?, ?)", -1, &st, NULL);
    for (int i = 0; i < 3000; i++) {
        if (i == 2000) {
            sqlite3_finalize(st);
            exec(db, "ALTER TABLE p ADD COLUMN e DEFAULT 7");
            sqlite3_prepare_v2(db, "INSERT INTO p(b, c, d, u, e) VALUES (?, ?, ?, ?, ?)", -1, &st,
                               NULL);
        }
        for (int k = 1; k <= (i >= 2000 ? 5 : 4); k++) {
            if (k == 4) {
                if (i % 3) {
                    sqlite3_bind_null(st, 4); /* NULLs never clash */
                } else {
                    sqlite3_bind_int(st, 4, i);
                }
            } else {
                random_value(st, k, &r);
            }
        }
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    exec(db, "COMMIT");
    sqlite3_close(db);

    char path[300], refpath[300];
    path_of(path, sizeof path, "build.db");
    path_of(refpath, sizeof refpath, "build_ref.db");
    store s;
    store_load(&s, path);
    /* SQLite builds the same indexes in a copy */
    db = open_path(path);
    char *q = sqlite3_mprintf("VACUUM INTO '%q'", refpath);
    unlink(refpath);
    exec(db, q);
    sqlite3_free(q);
    sqlite3_close(db);
    db = open_path(refpath);
    for (size_t i = 0; i < nidx; i++) {
        exec(db, idx_sql[i]);
    }
    sqlite3_close(db);

    sealdb_error err = {0};
    for (size_t i = 0; i < nidx; i++) {
        const int rc = create(&s, idx_sql[i], &err);
        if (rc != SEALDB_OK) {
            fprintf(stderr, "%s: %s\n", idx_sql[i], err.message);
        }
        CHECK_INT(rc, SEALDB_OK);
    }
    store_save(&s, path, get32(s.pages[0] + 24) + 1);
    check_integrity(path);
    static const char *const names[] = {"pi", "pj", "pk", "pu", "pn"};
    for (size_t i = 0; i < nidx; i++) {
        blob a = {0}, b = {0};
        file_tree_dump(path, names[i], 1, &a);
        file_tree_dump(refpath, names[i], 1, &b);
        CHECK_INT(a.count, 3000);
        CHECK_INT(a.count, b.count);
        CHECK(a.n == b.n && !memcmp(a.p, b.p, a.n));
        CHECK_CONTEXT("index %s", names[i]);
        free(a.p), free(b.p);
    }

    /* UNIQUE over duplicates: refused, as SQLite refuses it */
    catalog *c = load(&s);
    const uint32_t pages = s.src.page_count, nfreed = s.nfreed;
    int changed = -1;
    CHECK_INT(catalog_create(c, &s.src, "CREATE UNIQUE INDEX bad ON p(d, c)", &changed, &err),
              SEALDB_ECONSTRAINT);
    CHECK_STR(err.message, "UNIQUE constraint failed: p.d, p.c");
    CHECK_INT(changed, 0);
    db = open_path(refpath);
    CHECK_INT(sqlite3_exec(db, "CREATE UNIQUE INDEX bad ON p(d, c)", NULL, NULL, NULL),
              SQLITE_CONSTRAINT);
    CHECK_STR(sqlite3_errmsg(db), "UNIQUE constraint failed: p.d, p.c");
    sqlite3_close(db);
    /* an expression index cannot be built over rows */
    CHECK_INT(catalog_create(c, &s.src, "CREATE INDEX ex ON p(a + 1)", &changed, &err),
              SEALDB_EUNSUPPORTED);
    CHECK_STR(err.message,
              "the native engine cannot build this index over existing rows (expression index)");
    CHECK_INT(catalog_create(c, &s.src, "CREATE INDEX pp ON p(a) WHERE a > 0", &changed, &err),
              SEALDB_EUNSUPPORTED);
    (void)pages;
    (void)nfreed;
    catalog_free(c);
    store_free(&s);

    /* a partial index on an empty table is fine */
    store_init(&s, 1024);
    CHECK_INT(create(&s, "CREATE TABLE e(a, b)", &err), SEALDB_OK);
    CHECK_INT(create(&s, "CREATE INDEX ep ON e(a) WHERE b > 0", &err), SEALDB_OK);
    CHECK_INT(create(&s, "CREATE INDEX ee ON e(a + b)", &err), SEALDB_OK);
    CHECK_INT(create(&s, "CREATE TABLE wr(k PRIMARY KEY, v) WITHOUT ROWID", &err), SEALDB_OK);
    CHECK_INT(create(&s, "CREATE INDEX wrv ON wr(v)", &err), SEALDB_OK);
    store_save(&s, path, get32(s.pages[0] + 24) + 1);
    check_integrity(path);
    store_free(&s);
}

/* ---- affinity -----------------------------------------------------------------------------------
 */

typedef struct input {
    int type; /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT */
    int64_t i;
    double r;
    char t[64];
} input;

static int check_affinity_one(sqlite3_stmt *ins, sqlite3_stmt *sel, const input *in)
{
    static const uint8_t affs[5] = {AFF_TEXT, AFF_NUMERIC, AFF_INTEGER, AFF_REAL, AFF_BLOB};
    int bad = 0;
    for (int k = 1; k <= 5; k++) {
        if (in->type == SQLITE_INTEGER) {
            sqlite3_bind_int64(ins, k, in->i);
        } else if (in->type == SQLITE_FLOAT) {
            sqlite3_bind_double(ins, k, in->r);
        } else {
            sqlite3_bind_text(ins, k, in->t, -1, SQLITE_STATIC);
        }
    }
    sqlite3_step(ins);
    sqlite3_reset(ins);
    CHECK_INT(sqlite3_step(sel), SQLITE_ROW);
    for (int k = 0; k < 5; k++) {
        record_value v = {.type = RECORD_NULL};
        if (in->type == SQLITE_INTEGER) {
            v.type = RECORD_INTEGER;
            v.i = in->i;
        } else if (in->type == SQLITE_FLOAT) {
            v.type = RECORD_REAL;
            v.r = in->r;
        } else {
            v.type = RECORD_TEXT;
            v.p = (const uint8_t *)in->t;
            v.n = (uint32_t)strlen(in->t);
        }
        char buf[CATALOG_NUMTEXT_MAX];
        catalog_apply_affinity(affs[k], &v, buf);
        const int t = sqlite3_column_type(sel, k);
        int ok = 0;
        if (t == SQLITE_INTEGER) {
            ok = v.type == RECORD_INTEGER && v.i == sqlite3_column_int64(sel, k);
        } else if (t == SQLITE_FLOAT) {
            const double d = sqlite3_column_double(sel, k);
            ok = v.type == RECORD_REAL && memcmp(&v.r, &d, sizeof d) == 0;
        } else if (t == SQLITE_TEXT) {
            const int n = sqlite3_column_bytes(sel, k);
            ok = v.type == RECORD_TEXT && v.n == (uint32_t)n &&
                 !memcmp(v.p, sqlite3_column_text(sel, k), (size_t)n);
        }
        CHECK(ok);
        if (!ok) {
            fprintf(stderr, "  affinity %d of input type %d \"%s\" %lld %.17g: SQLite says %s\n",
                    affs[k], in->type, in->t, (long long)in->i, in->r,
                    (const char *)sqlite3_column_text(sel, k));
            bad++;
        }
    }
    sqlite3_reset(sel);
    return bad;
}

static void test_affinity(void)
{
    sqlite3 *db = NULL;
    sqlite3_open(":memory:", &db);
    exec(db, "CREATE TABLE aff(t TEXT, n NUMERIC, i INTEGER, r REAL, b BLOB)");
    sqlite3_stmt *ins, *sel;
    sqlite3_prepare_v2(db, "INSERT INTO aff VALUES (?, ?, ?, ?, ?)", -1, &ins, NULL);
    sqlite3_prepare_v2(db, "SELECT t, n, i, r, b FROM aff WHERE rowid = last_insert_rowid()", -1,
                       &sel, NULL);
    static const char *const texts[] = {
        " 12 ",
        "1e3",
        "1.0",
        "9223372036854775808",
        "9223372036854775807",
        "-9223372036854775808",
        "-9223372036854775809",
        "-0",
        "0x10",
        "",
        "abc",
        "1.5",
        " +3.25e-2 ",
        ".5",
        "5.",
        "1e",
        "e5",
        "1e999",
        "-1e999",
        "12abc",
        "\t7\n",
        "1 2",
        "00012",
        "1.0e0",
        "123456789012345678901234567890",
        "0.1",
        "3.0000000000000004",
        "1e-400",
        "4.9e-324",
        "+",
        "-",
        ".",
        "1e+",
        "1e-5",
        "-.5e2",
        "--1",
        "+-1",
        " ",
        "1.",
        "0",
        "-0.0",
        "1E3",
        "2.5E+10",
        "9007199254740993",
        "18446744073709551616",
        "1e15",
        "1e16",
        "1.7976931348623157e308",
        "inf",
        "nan",
        "Infinity",
        "1_000",
        "١",
        "0.",
        "12 ",
        " -7",
        "3.14159265358979323846",
        "100000000000000000000",
        "1e19",
        "-9223372036854775807",
        "99999999999999999999e-1",
        "\v5\f",
    };
    int bad = 0;
    input in;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        memset(&in, 0, sizeof in);
        in.type = SQLITE_TEXT;
        snprintf(in.t, sizeof in.t, "%s", texts[i]);
        bad += check_affinity_one(ins, sel, &in);
    }
    static const int64_t ints[] = {0,
                                   1,
                                   -1,
                                   INT64_MAX,
                                   INT64_MIN,
                                   9007199254740993LL,
                                   140737488355328LL,
                                   -140737488355329LL,
                                   255,
                                   1000000};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        memset(&in, 0, sizeof in);
        in.type = SQLITE_INTEGER;
        in.i = ints[i];
        bad += check_affinity_one(ins, sel, &in);
    }
    static const double reals[] = {1.5,
                                   2.0,
                                   1e20,
                                   -0.0,
                                   0.1,
                                   1e15,
                                   1e16,
                                   123456789012345.6,
                                   9.2233720368547758e18,
                                   -9.2233720368547758e18,
                                   9.223372036854775e18,
                                   1e-300,
                                   1.0 / 3,
                                   -2.5,
                                   4503599627370497.0,
                                   1e300,
                                   0.0};
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        memset(&in, 0, sizeof in);
        in.type = SQLITE_FLOAT;
        in.r = reals[i];
        bad += check_affinity_one(ins, sel, &in);
    }
    memset(&in, 0, sizeof in);
    in.type = SQLITE_FLOAT;
    in.r = INFINITY;
    bad += check_affinity_one(ins, sel, &in);
    in.r = -INFINITY;
    bad += check_affinity_one(ins, sel, &in);
    /* random numbers, as values and as text in several spellings */
    test_rng r = {7};
    for (int i = 0; i < 300; i++) {
        memset(&in, 0, sizeof in);
        const uint64_t x = test_rng_next(&r);
        double d;
        const int64_t iv = (int64_t)x >> (x % 60);
        switch (i % 6) {
        case 0:
            in.type = SQLITE_INTEGER;
            in.i = iv;
            break;
        case 1:
            in.type = SQLITE_FLOAT;
            memcpy(&d, &x, sizeof d);
            in.r = isnan(d) ? 1.25 : d;
            break;
        case 2:
            in.type = SQLITE_FLOAT;
            in.r = (double)iv / (double)(1 + x % 1000);
            break;
        case 3:
            in.type = SQLITE_TEXT;
            snprintf(in.t, sizeof in.t, "%lld", (long long)iv);
            break;
        case 4:
            in.type = SQLITE_TEXT;
            snprintf(in.t, sizeof in.t, " %.15g", (double)iv / (double)(1 + x % 1000));
            break;
        default:
            in.type = SQLITE_TEXT;
            snprintf(in.t, sizeof in.t, "%.17g ", (double)iv / 64.0);
            break;
        }
        bad += check_affinity_one(ins, sel, &in);
    }
    CHECK_INT(bad, 0);

    /* NULL and BLOB never change */
    for (uint8_t aff = AFF_BLOB; aff <= AFF_REAL; aff++) {
        record_value v = {.type = RECORD_BLOB, .n = 2, .p = (const uint8_t *)"12"};
        char buf[CATALOG_NUMTEXT_MAX];
        catalog_apply_affinity(aff, &v, buf);
        CHECK(v.type == RECORD_BLOB && v.n == 2);
        v = (record_value){.type = RECORD_NULL};
        catalog_apply_affinity(aff, &v, buf);
        CHECK_INT(v.type, RECORD_NULL);
    }
    sqlite3_finalize(ins);
    sqlite3_finalize(sel);
    sqlite3_close(db);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/sealdb_test_catalog_XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_affinity();
    test_load();
    test_load_bad();
    test_create();
    test_create_small_pages();
    test_index_build();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return check_report();
}
