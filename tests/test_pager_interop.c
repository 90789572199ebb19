/*
 * test_pager_interop.c - the native pager and SQLite (through the sealdb
 * VFS) read each other's files, WAL included, and never write at once.
 *
 * - Native to SQLite: a database the pager creates, and tables and rows the
 *   native B-tree writes through the pager's batches (left in the WAL, not
 *   checkpointed, with a stale wal-index beside it), open in SQLite: it
 *   recovers the WAL, PRAGMA integrity_check says ok and the rows are
 *   there; after SQLite checkpoints, every page of the file, unsealed, is
 *   byte for byte what the pager served.
 * - SQLite to native: a WAL SQLite leaves (no checkpoint on close) is
 *   recovered by the pager; every page it serves equals, byte for byte, the
 *   page SQLite later checkpoints into the file; the native B-tree finds
 *   SQLite's rows; a row the pager then commits (left in its WAL) is seen
 *   by SQLite, whose integrity check still says ok.
 * - Locks: while SQLite holds a database, in this process or another, the
 *   pager's open says SEALDB_EBUSY; while the pager holds it, SQLite gets
 *   SQLITE_BUSY; after either lets go, the other gets in. A SQLite
 *   connection left idle in rollback mode (no lock, pages cached) sees the
 *   pager's commit afterwards, not its cache.
 * All of it for sealed databases (both layouts, several ciphers) and plain.
 */
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include "btree.h"
#include "check.h"
#include "pager_util.h"
#include "pagesrc.h"
#include "record.h"

static char dir[256];
static const char *hex32 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

typedef struct variant {
    sealdb_cipher_id cipher;
    sealdb_layout layout;
    uint32_t page_size;
} variant;

/* ---- SQLite side ---------------------------------------------------------------------------- */

/* Opens path in SQLite: through the sealdb VFS with the test key, or plain. */
static int sql_open_rc(const variant *v, const char *path, sqlite3 **db, sealdb_error *err)
{
    *db = NULL;
    if (!v->cipher) {
        return sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ==
                       SQLITE_OK
                   ? SEALDB_OK
                   : SEALDB_EIO;
    }
    char hex[65];
    snprintf(hex, sizeof hex, "%.*s", (int)(2 * sealdb_cipher_key_bytes(v->cipher)), hex32);
    sealdb_sqlite_config cfg = {
        .cipher = sealdb_cipher_name(v->cipher), .hexkey = hex, .layout = v->layout};
    return sealdb_sqlite_open(path, &cfg, db, err);
}

static sqlite3 *sql_open(const variant *v, const char *path)
{
    sqlite3 *db = NULL;
    sealdb_error err = {0};
    const int rc = sql_open_rc(v, path, &db, &err);
    if (rc != SEALDB_OK) {
        fprintf(stderr, "  sealdb_sqlite_open: %s\n", err.message);
    }
    CHECK_INT(rc, SEALDB_OK);
    return db;
}

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    const int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        fprintf(stderr, "  sql error %d (%s) in %.60s\n", rc, msg ? msg : "", sql);
    }
    sqlite3_free(msg);
    return rc;
}

static void query1(sqlite3 *db, const char *sql, char *out, size_t cap)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, cap, "%s", t ? (const char *)t : "NULL");
    } else {
        snprintf(out, cap, "error %d: %s", rc, sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
}

/* The pages of the database file, unsealed, as SQLite checkpointed them. */
static uint8_t *file_pages(const variant *v, seal_ctx *ctx, const char *path, uint32_t *count)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        *count = 0;
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)size + 1);
    CHECK(fread(buf, 1, (size_t)size, f) == (size_t)size);
    fclose(f);
    *count = (uint32_t)(size / v->page_size);
    for (uint32_t pg = 1; ctx && pg <= *count; pg++) {
        CHECK_INT(unseal_page(ctx, buf + (size_t)(pg - 1) * v->page_size, v->page_size, pg),
                  SEALDB_OK);
    }
    return buf;
}

/* Every page of snapshot s, in one buffer; *count pages. */
static uint8_t *pager_pages(pager_snapshot *s, uint32_t page_size, uint32_t *count)
{
    *count = pager_snapshot_page_count(s);
    uint8_t *all = malloc((size_t)*count * page_size);
    for (uint32_t pg = 1; pg <= *count; pg++) {
        pager_page *h;
        CHECK_INT(pager_get(s, pg, &h, NULL), SEALDB_OK);
        if (h) {
            memcpy(all + (size_t)(pg - 1) * page_size, pager_page_data(h), page_size);
            pager_put(h);
        }
    }
    return all;
}

/* SQLite copies the WAL into the file; then every page of the file,
 * unsealed, must be the page the pager served (native, count pages). */
static void same_after_checkpoint(const variant *v, seal_ctx *ctx, const char *path,
                                  const uint8_t *native, uint32_t count)
{
    char out[256];
    sqlite3 *db = sql_open(v, path);
    query1(db, "PRAGMA wal_checkpoint(TRUNCATE)", out, sizeof out);
    CHECK_STR(out, "0");
    sqlite3_close(db);
    uint32_t fcount = 0;
    uint8_t *disk = file_pages(v, ctx, path, &fcount);
    CHECK_INT(fcount, count);
    for (uint32_t pg = 1; pg <= count && pg <= fcount; pg++) {
        CHECK_MEM(disk + (size_t)(pg - 1) * v->page_size, native + (size_t)(pg - 1) * v->page_size,
                  v->page_size);
    }
    free(disk);
}

/* ---- records and the native B-tree over the pager ------------------------------------------ */

/* A record of up to 8 columns: NULL (text NULL, is_int 0), text, or an
 * 8-byte integer. */
typedef struct col {
    const char *text;
    int64_t ival;
    int is_int;
} col;

static uint32_t encode(uint8_t *out, const col *cols, int n)
{
    uint8_t hdr[80];
    int h = 0;
    for (int i = 0; i < n; i++) {
        if (cols[i].text) {
            h += varint_put(hdr + h, 13 + 2 * (uint64_t)strlen(cols[i].text));
        } else {
            hdr[h++] = cols[i].is_int ? 6 : 0;
        }
    }
    uint32_t o = (uint32_t)varint_put(out, (uint64_t)h + 1);
    memcpy(out + o, hdr, (size_t)h);
    o += (uint32_t)h;
    for (int i = 0; i < n; i++) {
        if (cols[i].text) {
            memcpy(out + o, cols[i].text, strlen(cols[i].text));
            o += (uint32_t)strlen(cols[i].text);
        } else if (cols[i].is_int) {
            for (int b = 7; b >= 0; b--) {
                out[o++] = (uint8_t)((uint64_t)cols[i].ival >> (8 * b));
            }
        }
    }
    return o;
}

/* Row i of the native table: (i, 'row i ...' of a length that varies up to
 * more than a page, so that some rows overflow). */
static void row_text(char *t, size_t cap, int i, uint32_t page_size)
{
    const size_t len = (size_t)(i * 37) % (page_size + page_size / 2) + 8;
    const int n = snprintf(t, cap, "row %d ", i);
    for (size_t k = (size_t)n; k < len && k + 1 < cap; k++) {
        t[k] = (char)('a' + (i + (int)k) % 26);
    }
    t[len < cap ? len : cap - 1] = '\0';
}

/* Sets the schema cookie (header offset 40) in the batch's page 1. */
static void bump_schema_cookie(pager_batch *b)
{
    uint8_t *p1;
    CHECK_INT(pager_write(b, 1, &p1, NULL), SEALDB_OK);
    pu_put32(p1 + 40, pu_get32(p1 + 40) + 1);
}

/* ---- native to SQLite
 * ----------------------------------------------------------------------------- */

static void native_to_sqlite(const variant *v)
{
    char path[512];
    snprintf(path, sizeof path, "%s/n2s.db", dir);
    pu_remove_db(path);
    seal_ctx *ctx = pu_ctx(v->cipher, v->layout);
    pager_config cfg = {.seal = ctx, .create = 1, .page_size = v->page_size};
    pager *p = NULL;
    CHECK_INT(pager_open(&p, path, &cfg, NULL), SEALDB_OK);
    /* an empty database, closed (checkpointed): SQLite calls it ok */
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    sqlite3 *db = sql_open(v, path);
    char out[256];
    query1(db, "PRAGMA integrity_check", out, sizeof out);
    CHECK_STR(out, "ok");
    query1(db, "PRAGMA journal_mode", out, sizeof out);
    CHECK_STR(out, "wal");
    query1(db, "SELECT count(*) FROM sqlite_schema", out, sizeof out);
    CHECK_STR(out, "0");
    sqlite3_close(db);

    /* a table written natively, in three batches, left in the WAL */
    cfg.create = 0;
    cfg.keep_wal = 1;
    cfg.autocheckpoint = -1;
    CHECK_INT(pager_open(&p, path, &cfg, NULL), SEALDB_OK);
    uint8_t *rec = malloc(4 * 65536);
    char *text = malloc(2 * 65536);
    uint32_t root = 0;
    const int rows = 300;
    for (int part = 0; part < 3; part++) {
        pager_batch *b;
        CHECK_INT(pager_begin(p, &b, NULL), SEALDB_OK);
        pager_source x;
        pager_source_init(&x, p, b, NULL);
        btree_cursor c;
        if (part == 0) {
            CHECK_INT(btree_create(&x.pages, 0, &root), SEALDB_OK);
            const char *sql = "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)";
            col schema[5] = {
                {"table", 0, 0}, {"t", 0, 0}, {"t", 0, 0}, {NULL, root, 1}, {sql, 0, 0}};
            btree_cursor_init(&c, &x.pages, 1, 0);
            CHECK_INT(btree_insert_row(&c, 1, rec, encode(rec, schema, 5)), SEALDB_OK);
            btree_cursor_close(&c);
            bump_schema_cookie(b);
        }
        btree_cursor_init(&c, &x.pages, root, 0);
        for (int i = part * rows / 3 + 1; i <= (part + 1) * rows / 3; i++) {
            row_text(text, 2 * 65536, i, v->page_size);
            col row[2] = {{NULL, 0, 0}, {text, 0, 0}};
            CHECK_INT(btree_insert_row(&c, i, rec, encode(rec, row, 2)), SEALDB_OK);
        }
        btree_cursor_close(&c);
        if (part == 2) {
            /* and delete a few, freeing pages */
            for (int i = 100; i < 160; i++) {
                btree_cursor_init(&c, &x.pages, root, 0);
                int cmp, eof;
                CHECK_INT(btree_seek_rowid(&c, i, &cmp, &eof), SEALDB_OK);
                CHECK_INT(cmp, 0);
                CHECK_INT(btree_delete(&c), SEALDB_OK);
                btree_cursor_close(&c);
            }
        }
        CHECK_INT(pager_commit(b, NULL), SEALDB_OK);
    }
    /* what the pager serves, page by page */
    pager_snapshot *s;
    pager_snapshot_begin(p, &s, NULL);
    uint32_t count = 0;
    uint8_t *native = pager_pages(s, v->page_size, &count);
    pager_snapshot_end(s);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    /* a wal-index left by a SQLite that crashed: SQLite must rebuild it
     * from the WAL (nobody holds its dead-man lock), not trust it */
    char shm[600], wal[600];
    snprintf(shm, sizeof shm, "%s-shm", path);
    snprintf(wal, sizeof wal, "%s-wal", path);
    FILE *f = fopen(shm, "wb");
    for (int i = 0; i < 32768; i++) {
        fputc(0x5a, f);
    }
    fclose(f);
    FILE *w = fopen(wal, "rb");
    CHECK(w != NULL);
    if (w) {
        fclose(w);
    }
    db = sql_open(v, path);
    query1(db, "PRAGMA integrity_check", out, sizeof out);
    CHECK_STR(out, "ok");
    query1(db,
           "SELECT count(*) || ':' || sum(length(v)) || ':' || min(id) || ':' || max(id) FROM t",
           out, sizeof out);
    long total = 0;
    for (int i = 1; i <= rows; i++) {
        if (i < 100 || i >= 160) {
            row_text(text, 2 * 65536, i, v->page_size);
            total += (long)strlen(text);
        }
    }
    char want[128];
    snprintf(want, sizeof want, "%d:%ld:1:%d", rows - 60, total, rows);
    CHECK_STR(out, want);
    row_text(text, 2 * 65536, 250, v->page_size);
    query1(db, "SELECT v FROM t WHERE id = 250", out, sizeof out);
    CHECK(strncmp(out, text, strlen(out)) == 0);
    query1(db, "PRAGMA page_count", out, sizeof out);
    snprintf(want, sizeof want, "%u", count);
    CHECK_STR(out, want);
    sqlite3_close(db);
    /* SQLite copies the WAL into the file: the pages are the pager's */
    same_after_checkpoint(v, ctx, path, native, count);
    free(native);
    free(rec);
    free(text);
    seal_ctx_close(ctx);
    CHECK_CONTEXT("native to SQLite: cipher %d layout %d page size %u", (int)v->cipher,
                  (int)v->layout, v->page_size);
}

/* ---- SQLite to native
 * ----------------------------------------------------------------------------- */

/* The keys of an existing file, from its header (no lock is held on it). */
static seal_ctx *ctx_of_file(const variant *v, const char *path)
{
    if (!v->cipher) {
        return NULL;
    }
    uint8_t hdr[100];
    FILE *f = fopen(path, "rb");
    CHECK(f && fread(hdr, 1, 100, f) == 100);
    if (f) {
        fclose(f);
    }
    seal_file_info info;
    seal_ctx *ctx = NULL;
    CHECK_INT(seal_header_read(hdr, &info, NULL), SEALDB_OK);
    CHECK_INT(seal_ctx_open(&ctx, &info, pu_key, sealdb_cipher_key_bytes(v->cipher), NULL),
              SEALDB_OK);
    return ctx;
}

static void sqlite_to_native(const variant *v)
{
    char path[512];
    snprintf(path, sizeof path, "%s/s2n.db", dir);
    pu_remove_db(path);
    sqlite3 *db = sql_open(v, path);
    char sql[512], out[256];
    snprintf(sql, sizeof sql, "PRAGMA page_size=%u; PRAGMA auto_vacuum=NONE", v->page_size);
    CHECK_INT(exec(db, sql), SQLITE_OK);
    CHECK_INT(exec(db, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
                       "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
                       "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x<400) "
                       "INSERT INTO t SELECT x, printf('%.*c', x * 13 % 3000 + 1, 'q') FROM n;"
                       "UPDATE t SET v = v || 'z' WHERE id % 7 = 0;"
                       "DELETE FROM t WHERE id % 11 = 0;"),
              SQLITE_OK);
    int off = 0;
    CHECK_INT(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, &off), SQLITE_OK);
    sqlite3_close(db);
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", path);
    FILE *w = fopen(wal, "rb");
    CHECK(w != NULL); /* the WAL stayed */
    if (w) {
        fclose(w);
    }
    /* the pager recovers SQLite's WAL */
    seal_ctx *ctx = ctx_of_file(v, path);
    pager_config cfg = {.seal = ctx, .keep_wal = 1, .autocheckpoint = -1};
    pager *p = NULL;
    sealdb_error err;
    CHECK_INT(pager_open(&p, path, &cfg, &err), SEALDB_OK);
    if (!p) {
        fprintf(stderr, "  %s\n", err.message);
        seal_ctx_close(ctx);
        return;
    }
    pager_stats st;
    pager_stats_get(p, &st);
    CHECK(st.wal_frames > 0);
    pager_snapshot *s;
    pager_snapshot_begin(p, &s, NULL);
    uint32_t count = 0;
    uint8_t *native = pager_pages(s, v->page_size, &count);
    /* the native B-tree finds SQLite's rows (table t's root is page 2) */
    pager_source x;
    pager_source_init(&x, p, NULL, s);
    btree_cursor c;
    btree_cursor_init(&c, &x.pages, 2, 0);
    int eof = 0, n = 0;
    int64_t last = 0;
    for (int rc = btree_first(&c, &eof); rc == SEALDB_OK && !eof; rc = btree_next(&c, &eof)) {
        last = btree_rowid(&c);
        n++;
    }
    btree_cursor_close(&c);
    CHECK_INT(n, 400 - 400 / 11);
    CHECK_INT(last, 400);
    pager_snapshot_end(s);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK); /* keep_wal: the files as they were */
    /* SQLite copies its own WAL into the file: the pager served exactly those pages */
    same_after_checkpoint(v, ctx, path, native, count);
    free(native);
    /* a row written natively into SQLite's table: SQLite sees it, sound */
    CHECK_INT(pager_open(&p, path, &cfg, NULL), SEALDB_OK);
    pager_batch *b;
    CHECK_INT(pager_begin(p, &b, NULL), SEALDB_OK);
    pager_source_init(&x, p, b, NULL);
    uint8_t rec[256];
    col row[2] = {{NULL, 0, 0}, {"native row", 0, 0}};
    btree_cursor_init(&c, &x.pages, 2, 0);
    CHECK_INT(btree_insert_row(&c, 1000, rec, encode(rec, row, 2)), SEALDB_OK);
    btree_cursor_close(&c);
    CHECK_INT(pager_commit(b, NULL), SEALDB_OK);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    db = sql_open(v, path);
    query1(db, "PRAGMA integrity_check", out, sizeof out);
    CHECK_STR(out, "ok");
    query1(db, "SELECT v || ':' || (SELECT count(*) FROM t) FROM t WHERE id = 1000", out,
           sizeof out);
    char want[64];
    snprintf(want, sizeof want, "native row:%d", 400 - 400 / 11 + 1);
    CHECK_STR(out, want);
    sqlite3_close(db);
    seal_ctx_close(ctx);
    CHECK_CONTEXT("SQLite to native: cipher %d layout %d page size %u", (int)v->cipher,
                  (int)v->layout, v->page_size);
}

/* ---- a SQLite connection left idle in rollback mode ------------------------------------------ */

/* In rollback mode SQLite holds no lock between transactions but keeps its
 * cached pages, trusting them while the header's change counter stays the
 * same. The pager can open such a file; after it, that connection must see
 * the native commit, not its cache. */
static void idle_rollback_reader(const variant *v)
{
    char path[512], out[256];
    snprintf(path, sizeof path, "%s/idle.db", dir);
    pu_remove_db(path);
    sqlite3 *db = sql_open(v, path);
    char sql[160];
    snprintf(sql, sizeof sql, "PRAGMA page_size=%u; PRAGMA auto_vacuum=NONE", v->page_size);
    CHECK_INT(exec(db, sql), SQLITE_OK);
    CHECK_INT(exec(db, "PRAGMA journal_mode=DELETE;"
                       "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);"
                       "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x<20) "
                       "INSERT INTO t SELECT x, 'old ' || x FROM n;"),
              SQLITE_OK);
    query1(db, "SELECT v FROM t WHERE id = 7", out, sizeof out);
    CHECK_STR(out, "old 7");
    /* db stays open, idle, its pages cached */
    seal_ctx *ctx = ctx_of_file(v, path);
    pager_config cfg = {.seal = ctx};
    pager *p = NULL;
    CHECK_INT(pager_open(&p, path, &cfg, NULL), SEALDB_OK);
    if (p) {
        pager_batch *b;
        CHECK_INT(pager_begin(p, &b, NULL), SEALDB_OK);
        pager_source x;
        pager_source_init(&x, p, b, NULL);
        uint8_t rec[64];
        col row[2] = {{NULL, 0, 0}, {"new 7", 0, 0}};
        btree_cursor c;
        btree_cursor_init(&c, &x.pages, 2, 0);
        CHECK_INT(btree_insert_row(&c, 7, rec, encode(rec, row, 2)), SEALDB_OK);
        btree_cursor_close(&c);
        CHECK_INT(pager_commit(b, NULL), SEALDB_OK);
        CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    }
    query1(db, "SELECT v FROM t WHERE id = 7", out, sizeof out);
    CHECK_STR(out, "new 7");
    query1(db, "PRAGMA integrity_check", out, sizeof out);
    CHECK_STR(out, "ok");
    query1(db, "PRAGMA journal_mode", out, sizeof out);
    CHECK_STR(out, "wal");
    sqlite3_close(db);
    seal_ctx_close(ctx);
    CHECK_CONTEXT("idle rollback reader: cipher %d", (int)v->cipher);
}

/* ---- locks --------------------------------------------------------------------------------------
 */

/* SQLite's answer to a read while someone else may hold the database. */
static int sql_try(const variant *v, const char *path)
{
    sqlite3 *db = NULL;
    sealdb_error err = {0};
    if (sql_open_rc(v, path, &db, &err) != SEALDB_OK) {
        sqlite3_close(db);
        return strstr(err.message, "locked") ? SQLITE_BUSY : SQLITE_ERROR;
    }
    const int rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    sqlite3_close(db);
    return rc;
}

static void test_locks(const variant *v)
{
    char path[512];
    snprintf(path, sizeof path, "%s/locks.db", dir);
    pu_remove_db(path);
    seal_ctx *ctx = pu_ctx(v->cipher, v->layout);
    pager_config cfg = {.seal = ctx, .create = 1, .page_size = v->page_size};
    pager *p = NULL;
    /* the pager holds it: SQLite, in this process, is told busy */
    CHECK_INT(pager_open(&p, path, &cfg, NULL), SEALDB_OK);
    CHECK_INT(sql_try(v, path), SQLITE_BUSY);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    CHECK_INT(sql_try(v, path), SQLITE_OK);
    /* SQLite holds it (WAL mode keeps SHARED while open): the pager is busy */
    cfg.create = 0;
    sqlite3 *db = sql_open(v, path);
    CHECK_INT(exec(db, "SELECT count(*) FROM sqlite_schema"), SQLITE_OK);
    sealdb_error err;
    CHECK_INT(pager_open(&p, path, &cfg, &err), SEALDB_EBUSY);
    sqlite3_close(db);
    CHECK_INT(pager_open(&p, path, &cfg, NULL), SEALDB_OK);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    /* the same across processes, both ways */
    for (int child_holds_pager = 0; child_holds_pager < 2; child_holds_pager++) {
        int up[2], down[2];
        CHECK(pipe(up) == 0 && pipe(down) == 0);
        const pid_t pid = fork();
        if (pid == 0) {
            char c = 'x';
            pager *cp = NULL;
            sqlite3 *cdb = NULL;
            if (child_holds_pager) {
                if (pager_open(&cp, path, &cfg, NULL) != SEALDB_OK) {
                    _exit(2);
                }
            } else {
                cdb = sql_open(v, path);
                if (exec(cdb, "SELECT count(*) FROM sqlite_schema") != SQLITE_OK) {
                    _exit(3);
                }
            }
            if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1) {
                _exit(4);
            }
            if (cp) {
                pager_close(cp, NULL);
            }
            sqlite3_close(cdb);
            _exit(0);
        }
        char c;
        CHECK(read(up[0], &c, 1) == 1);
        if (child_holds_pager) {
            CHECK_INT(sql_try(v, path), SQLITE_BUSY);
        } else {
            CHECK_INT(pager_open(&p, path, &cfg, &err), SEALDB_EBUSY);
        }
        CHECK(write(down[1], &c, 1) == 1);
        int status = -1;
        waitpid(pid, &status, 0);
        CHECK_INT(status, 0);
        close(up[0]);
        close(up[1]);
        close(down[0]);
        close(down[1]);
        if (child_holds_pager) {
            CHECK_INT(sql_try(v, path), SQLITE_OK);
        } else {
            CHECK_INT(pager_open(&p, path, &cfg, NULL), SEALDB_OK);
            CHECK_INT(pager_close(p, NULL), SEALDB_OK);
        }
    }
    seal_ctx_close(ctx);
    CHECK_CONTEXT("locks: cipher %d", (int)v->cipher);
}

int main(void)
{
    if (crypto_init() != 0 || sealdb_vfs_register(0) != SEALDB_OK) {
        return 1;
    }
    pu_tempdir(dir, sizeof dir, "pager-interop");
    static const variant variants[] = {
        {0, SEALDB_LAYOUT_DEFAULT, 4096},
        {SEALDB_AEGIS128L, SEALDB_LAYOUT_HARDENED, 4096},
        {SEALDB_AEGIS256, SEALDB_LAYOUT_TURSO, 1024},
        {SEALDB_AES256GCM, SEALDB_LAYOUT_HARDENED, 65536},
        {SEALDB_AES128GCM, SEALDB_LAYOUT_TURSO, 512},
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        native_to_sqlite(&variants[i]);
        sqlite_to_native(&variants[i]);
    }
    test_locks(&variants[0]);
    test_locks(&variants[1]);
    idle_rollback_reader(&variants[0]);
    idle_rollback_reader(&variants[2]);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (!check_failures && system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return check_report();
}
