/*
 * test_nomem.c - the pager, the native engine and SQL through the sealdb
 * VFS when memory runs out: every allocation of a transaction, its commit
 * and the reads after it fails in turn.
 *
 * The test binary supplies malloc, calloc and realloc (over glibc's own),
 * which fail the n-th call after the test arms them. For n = 1, 2, ... one
 * round writes pages (new and old, in cache slots and on the heap), commits
 * and reads them back, until a round runs with no failure left to inject.
 * Every step either succeeds or fails with SEALDB_ENOMEM and a message; a
 * failed batch or commit leaves nothing of itself, a successful commit
 * leaves all of it, and the pager goes on: the next batch commits, every
 * page reads its expected version, and so does the file after reopening.
 *
 * The native engine the same way: exclusive and concurrent transactions
 * that insert, update and delete indexed rows, each allocation failing in
 * turn. A failed transaction leaves no row, no index entry; a committed
 * one all of them; the table and its index match a model after every
 * round, after reopening, and SQLite's integrity_check passes.
 *
 * And SQL on a sealed database through the sealdb VFS, with a page cache
 * small enough that statements read and unseal pages all the time: each
 * allocation of a transaction (SQLite's and the VFS's alike) failing in
 * turn gives SQLITE_NOMEM, and the transaction lands whole or not at all.
 *
 * Not under AddressSanitizer or ThreadSanitizer, whose allocators the
 * replacements would bypass (the test then reports itself skipped).
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "pager_util.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define NOMEM_SKIP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define NOMEM_SKIP 1
#endif
#endif

#ifndef NOMEM_SKIP

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

/* The replacements are exported (the build hides symbols by default), so
 * that SQLite's shared library allocates through them too. The call that
 * fails (0: none) and the calls counted since arming: */
static __thread long fail_at, calls;

static int fails_now(void)
{
    return fail_at && ++calls == fail_at;
}

__attribute__((visibility("default"))) void *malloc(size_t n)
{
    return fails_now() ? NULL : __libc_malloc(n);
}

__attribute__((visibility("default"))) void *calloc(size_t n, size_t size)
{
    return fails_now() ? NULL : __libc_calloc(n, size);
}

__attribute__((visibility("default"))) void *realloc(void *p, size_t n)
{
    return fails_now() ? NULL : __libc_realloc(p, n);
}

static void arm(long n)
{
    calls = 0;
    fail_at = n;
}

/* 1 if the armed failure happened */
static int disarm(void)
{
    const int hit = fail_at && calls >= fail_at;
    fail_at = 0;
    return hit;
}

static char dir[256];

/* The version each page must read: 0 for pages past the end. */
static uint32_t want[512];
static uint32_t npages; /* the database's pages, as committed */

/* 1 if a step succeeded; else it must say out of memory, with a message */
static int check_step(int rc, const sealdb_error *err, int *failed)
{
    if (rc == SEALDB_OK) {
        return 1;
    }
    CHECK_INT(rc, SEALDB_ENOMEM);
    CHECK(err->message[0] != 0);
    *failed = 1;
    return 0;
}

/* One round with the n-th allocation failing: a batch that rewrites
 * `rewrite` old pages and adds `add` new ones, its commit, and reads of
 * every page through a new snapshot. Returns 1 if the failure happened. */
static int round_with_failure(pager *p, long n, uint32_t version, uint32_t rewrite, uint32_t add)
{
    sealdb_error err = {0};
    int failed = 0;
    uint32_t written[512];
    uint32_t nw = 0;
    arm(n);
    pager_batch *b = NULL;
    if (check_step(pager_begin(p, &b, &err), &err, &failed)) {
        const uint32_t usable = pager_usable_size(p);
        for (uint32_t i = 0; i < rewrite && !failed; i++) {
            const uint32_t pg = 2 + (i * 7 + version) % (npages - 1);
            uint8_t *d;
            if (check_step(pager_write(b, pg, &d, &err), &err, &failed)) {
                pu_fill(d, usable, pg, version);
                written[nw++] = pg;
            }
        }
        for (uint32_t i = 0; i < add && !failed; i++) {
            uint32_t pg;
            uint8_t *d;
            if (check_step(pager_allocate(b, &pg, &d, &err), &err, &failed)) {
                CHECK(pg < sizeof want / sizeof want[0]);
                pu_fill(d, usable, pg, version);
                written[nw++] = pg;
            }
        }
        if (failed) {
            pager_rollback(b);
        } else if (check_step(pager_commit(b, &err), &err, &failed)) {
            for (uint32_t i = 0; i < nw; i++) {
                want[written[i]] = version;
                npages = written[i] > npages ? written[i] : npages;
            }
        }
    }
    /* reads, still armed: a failing get says so and changes nothing */
    pager_snapshot *s = NULL;
    if (check_step(pager_snapshot_begin(p, &s, &err), &err, &failed)) {
        CHECK_INT(pager_snapshot_page_count(s), npages);
        for (uint32_t pg = 2; pg <= npages; pg++) {
            pager_page *h;
            if (check_step(pager_get(s, pg, &h, &err), &err, &failed)) {
                CHECK_INT(pu_version(pager_page_data(h), pager_usable_size(p), pg), want[pg]);
                pager_put(h);
            }
        }
        pager_snapshot_end(s);
    }
    const int hit = disarm();
    /* a failure shows only when one was injected; an injected one may be
     * absorbed (a table that does not grow, a lookup that takes the slow
     * way), and then the reads above showed that nothing was lost */
    CHECK(!failed || hit);
    return hit;
}

/* Every page reads its expected version through a new snapshot. */
static void check_all(pager *p)
{
    pager_snapshot *s = NULL;
    CHECK_INT(pager_snapshot_begin(p, &s, NULL), SEALDB_OK);
    CHECK_INT(pager_snapshot_page_count(s), npages);
    for (uint32_t pg = 2; pg <= npages; pg++) {
        pager_page *h;
        CHECK_INT(pager_get(s, pg, &h, NULL), SEALDB_OK);
        CHECK_INT(pu_version(pager_page_data(h), pager_usable_size(p), pg), want[pg]);
        pager_put(h);
    }
    pager_snapshot_end(s);
}

/* cache_pages: 16 (a batch's pages on the heap) or 256 (in cache slots up
 * to a quarter of the cache, then on the heap) */
static void test_nomem(sealdb_cipher_id cipher, uint32_t cache_pages, uint32_t rewrite,
                       uint32_t add)
{
    char path[512];
    snprintf(path, sizeof path, "%s/nomem-%u-%u.db", dir, (unsigned)cipher, cache_pages);
    pu_remove_db(path);
    seal_ctx *ctx = pu_ctx(cipher, SEALDB_LAYOUT_HARDENED);
    pager_config cfg = {.seal = ctx, .create = 1, .cache_pages = cache_pages};
    pager *p = NULL;
    CHECK_INT(pager_open(&p, path, &cfg, NULL), SEALDB_OK);
    if (!p) {
        return;
    }
    memset(want, 0, sizeof want);
    npages = 1;
    /* a first commit without failures: 40 pages of version 1 */
    CHECK_INT(round_with_failure(p, 0, 1, 0, 40), 0);
    CHECK_INT(npages, 41);
    uint32_t version = 2;
    long n = 1;
    for (; n < 100000; n++, version++) {
        if (!round_with_failure(p, n, version, rewrite, add)) {
            break; /* no allocation left to fail */
        }
        /* and the pager goes on: a batch without failures commits */
        CHECK_INT(round_with_failure(p, 0, ++version, 3, 0), 0);
        if (npages + add + 1 >= sizeof want / sizeof want[0]) {
            add = 0;
        }
    }
    CHECK(n > 10); /* the rounds did allocate: the failures were real */
    check_all(p);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    cfg.create = 0;
    p = NULL;
    CHECK_INT(pager_open(&p, path, &cfg, NULL), SEALDB_OK);
    if (p) {
        check_all(p);
        CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    }
    printf("cipher %u, cache %u pages: %ld allocations failed in turn\n", (unsigned)cipher,
           cache_pages, n - 1);
    pu_remove_db(path);
    seal_ctx_close(ctx);
}

/* ---- the native engine ------------------------------------------------- */

/* SQLite's integrity_check of an open connection says ok. */
static void check_integrity(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
}

#define MODEL_ROWS 4096
static int64_t model_v[MODEL_ROWS]; /* row rowid's v; 0: no such row */
static int64_t model_max;           /* the largest rowid ever inserted */

/* The table t(id INTEGER PRIMARY KEY, v INTEGER, pad TEXT) and its index on
 * v hold exactly the model's rows. */
static void check_table(sealdb_db *db)
{
    sealdb_txn *t = NULL;
    sealdb_table *tbl = NULL;
    sealdb_error err;
    CHECK_INT(sealdb_begin(db, SEALDB_TXN_READ, &t, &err), SEALDB_OK);
    CHECK_INT(sealdb_table_find(t, "t", &tbl, &err), SEALDB_OK);
    long expect = 0;
    for (int64_t id = 1; id <= model_max; id++) {
        expect += model_v[id] != 0;
    }
    for (int by_index = 0; by_index < 2; by_index++) {
        sealdb_cursor *c = NULL;
        CHECK_INT(sealdb_cursor_open(t, tbl, by_index ? "t_v" : NULL, &c, &err), SEALDB_OK);
        long rows = 0;
        for (int rc = sealdb_cursor_first(c, &err); rc == SEALDB_OK && !sealdb_cursor_eof(c);
             rc = sealdb_cursor_next(c, &err)) {
            sealdb_value v[3];
            CHECK_INT(sealdb_cursor_row(c, v, 3, &err), SEALDB_OK);
            const int64_t id = v[0].i;
            CHECK(id >= 1 && id <= model_max);
            if (id >= 1 && id <= model_max) {
                CHECK_INT(v[1].i, model_v[id]);
            }
            CHECK_INT(v[2].n, 40);
            rows++;
        }
        CHECK_INT(rows, expect);
        sealdb_cursor_close(c);
    }
    sealdb_commit(t, NULL);
}

/* One transaction of kind: 8 inserts, 4 updates and 2 deletes, with the
 * n-th allocation from its beginning failing. Returns 1 if it did. */
static int engine_round(sealdb_db *db, int kind, long n, int64_t stamp)
{
    sealdb_error err = {0};
    int failed = 0;
    int64_t new_v[MODEL_ROWS];
    int64_t new_max = model_max;
    memcpy(new_v, model_v, sizeof new_v);
    char pad[40];
    memset(pad, 'a' + (int)(stamp % 26), sizeof pad);
    arm(n);
    sealdb_txn *t = NULL;
    sealdb_table *tbl = NULL;
    if (check_step(sealdb_begin(db, kind, &t, &err), &err, &failed) &&
        check_step(sealdb_table_find(t, "t", &tbl, &err), &err, &failed)) {
        for (int i = 0; i < 8 && !failed && new_max + 64 < MODEL_ROWS; i++) {
            const sealdb_value row[3] = {
                {.type = SEALDB_NULL},
                {.type = SEALDB_INTEGER, .i = stamp * 100 + i},
                {.type = SEALDB_TEXT, .n = sizeof pad, .p = (const uint8_t *)pad},
            };
            int64_t id = 0, top = new_max;
            while (top > 0 && !new_v[top]) {
                top--;
            }
            if (check_step(sealdb_insert(t, tbl, row, 3, &id, &err), &err, &failed)) {
                /* an exclusive transaction takes the largest rowid + 1, as
                 * SQLite does; concurrent ones take the table's counter,
                 * which rolled-back inserts may have moved on */
                if (kind == SEALDB_TXN_WRITE) {
                    CHECK_INT(id, top + 1);
                } else {
                    CHECK(id > top);
                }
                CHECK(id < MODEL_ROWS);
                if (id > 0 && id < MODEL_ROWS) {
                    new_max = id > new_max ? id : new_max;
                    new_v[id] = stamp * 100 + i;
                }
            }
        }
        for (int i = 0; i < 6 && !failed; i++) {
            const int64_t id = 1 + (stamp * 37 + i * 11) % new_max;
            if (!new_v[id]) {
                continue;
            }
            if (i < 4) {
                const sealdb_value row[3] = {
                    {.type = SEALDB_INTEGER, .i = id},
                    {.type = SEALDB_INTEGER, .i = stamp * 100 + 50 + i},
                    {.type = SEALDB_TEXT, .n = sizeof pad, .p = (const uint8_t *)pad},
                };
                if (check_step(sealdb_update(t, tbl, id, row, 3, &err), &err, &failed)) {
                    new_v[id] = stamp * 100 + 50 + i;
                }
            } else if (check_step(sealdb_delete(t, tbl, id, &err), &err, &failed)) {
                new_v[id] = 0;
            }
        }
        if (failed) {
            sealdb_rollback(t);
        } else if (check_step(sealdb_commit(t, &err), &err, &failed)) {
            memcpy(model_v, new_v, sizeof new_v);
            model_max = new_max;
        }
    }
    const int hit = disarm();
    CHECK(!failed || hit);
    return hit;
}

static void test_engine_nomem(int kind)
{
    char path[512];
    snprintf(path, sizeof path, "%s/engine-%d.db", dir, kind);
    pu_remove_db(path);
    sealdb_options opt = {.create = 1, .sync = SEALDB_SYNC_NORMAL, .cache_pages = 64};
    sealdb_db *db = NULL;
    sealdb_error err;
    CHECK_INT(sealdb_open(path, NULL, &opt, &db, &err), SEALDB_OK);
    if (!db) {
        return;
    }
    sealdb_txn *t = NULL;
    CHECK_INT(sealdb_begin(db, SEALDB_TXN_WRITE, &t, &err), SEALDB_OK);
    CHECK_INT(sealdb_create(t, "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER, pad TEXT)", &err),
              SEALDB_OK);
    CHECK_INT(sealdb_create(t, "CREATE INDEX t_v ON t(v)", &err), SEALDB_OK);
    CHECK_INT(sealdb_commit(t, &err), SEALDB_OK);
    memset(model_v, 0, sizeof model_v);
    model_max = 0;
    for (int64_t stamp = 1; stamp <= 40; stamp++) { /* rows over several pages first */
        CHECK_INT(engine_round(db, SEALDB_TXN_WRITE, 0, stamp), 0);
    }
    int64_t stamp = 41;
    long n = 1;
    for (; n < 100000; n++) {
        if (!engine_round(db, kind, n, stamp++)) {
            break;
        }
        check_table(db);
        CHECK_INT(engine_round(db, kind, 0, stamp++), 0);
    }
    CHECK(n > 10);
    check_table(db);
    CHECK_INT(sealdb_close(db, &err), SEALDB_OK);
    opt.create = 0;
    db = NULL;
    CHECK_INT(sealdb_open(path, NULL, &opt, &db, &err), SEALDB_OK);
    if (db) {
        check_table(db);
        CHECK_INT(sealdb_close(db, &err), SEALDB_OK);
    }
    sqlite3 *q = NULL;
    CHECK_INT(sqlite3_open_v2(path, &q, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    check_integrity(q);
    sqlite3_close(q);
    printf("engine, %s transactions: %ld allocations failed in turn\n",
           kind == SEALDB_TXN_WRITE ? "exclusive" : "concurrent", n - 1);
    pu_remove_db(path);
}

/* ---- SQL through the sealdb VFS ------------------------------------------ */

static int exec_sql(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* count(*) and sum(v) of t, read with nothing armed */
static void table_sums(sqlite3 *db, int64_t *count, int64_t *sum)
{
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_prepare_v2(db, "SELECT count(*), total(v) FROM t", -1, &st, NULL), SQLITE_OK);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    *count = sqlite3_column_int64(st, 0);
    *sum = (int64_t)sqlite3_column_double(st, 1);
    sqlite3_finalize(st);
}

/* A sealed database through the VFS, a page cache of 8 pages so that the
 * statements read and unseal pages all the time: a transaction that
 * updates, inserts and deletes indexed rows, with the n-th allocation from
 * its start failing (the VFS's and SQLite's own alike). It either commits
 * whole or leaves nothing: count and sum of the table are the ones before
 * or the ones after, never anything else; integrity_check says ok. */
static void test_sql_nomem(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/sql.db", dir);
    pu_remove_db(path);
    const sealdb_sqlite_config cfg = {
        .cipher = "aegis256",
        .hexkey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"};
    sqlite3 *db = NULL;
    sealdb_error err;
    CHECK_INT(sealdb_sqlite_open(path, &cfg, &db, &err), SEALDB_OK);
    if (!db) {
        return;
    }
    CHECK_INT(exec_sql(db, "PRAGMA journal_mode=WAL; PRAGMA cache_size=8;"
                           "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER, pad TEXT);"
                           "CREATE INDEX t_v ON t(v);"
                           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                           "WHERE i < 300) INSERT INTO t(v, pad) SELECT i, printf('%.200c', 'x') "
                           "FROM n;"),
              SQLITE_OK);
    int64_t count, sum;
    table_sums(db, &count, &sum);
    CHECK_INT(count, 300);
    CHECK_INT(sum, 45150);
    long n = 1, failures = 0, after_commit = 0;
    for (; n < 100000; n++) {
        /* the transaction's effect on count and sum: every 10th row's
         * v + 1, 3 rows of v = n added, the first row deleted */
        int64_t del_id = 0, del_v = 0, tenth = 0;
        sqlite3_stmt *st = NULL;
        CHECK_INT(sqlite3_prepare_v2(db, "SELECT id, v FROM t ORDER BY id LIMIT 1", -1, &st, NULL),
                  SQLITE_OK);
        CHECK_INT(sqlite3_step(st), SQLITE_ROW);
        del_id = sqlite3_column_int64(st, 0);
        del_v = sqlite3_column_int64(st, 1) + (del_id % 10 == 0); /* after the update */
        sqlite3_finalize(st);
        CHECK_INT(sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE id % 10 = 0", -1, &st, NULL),
                  SQLITE_OK);
        CHECK_INT(sqlite3_step(st), SQLITE_ROW);
        tenth = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        const int64_t want_count = count + 3 - 1;
        const int64_t want_sum = sum + tenth + 3 * n - del_v;
        char tx[400];
        snprintf(tx, sizeof tx,
                 "BEGIN; UPDATE t SET v = v + 1 WHERE id %% 10 = 0;"
                 "INSERT INTO t(v, pad) VALUES (%ld, printf('%%.300c', 'y')), (%ld, 'z'), (%ld, "
                 "printf('%%.900c', 'w'));"
                 "DELETE FROM t WHERE id = (SELECT min(id) FROM t); COMMIT;",
                 n, n, n);
        arm(n);
        const int rc = exec_sql(db, tx);
        const int hit = disarm();
        if (rc != SQLITE_OK) {
            CHECK(hit);
            CHECK(rc == SQLITE_NOMEM || rc == SQLITE_IOERR_NOMEM);
            failures++;
            exec_sql(db, "ROLLBACK");
        }
        int64_t c2, s2;
        table_sums(db, &c2, &s2);
        const int whole = c2 == want_count && s2 == want_sum;
        const int none = c2 == count && s2 == sum;
        CHECK(whole || none);
        CHECK(rc != SQLITE_OK || whole);
        after_commit += rc != SQLITE_OK && whole; /* SQLite may say so; none seen */
        count = c2;
        sum = s2;
        if (rc != SQLITE_OK || n % 16 == 0) {
            check_integrity(db);
        }
        if (!hit) {
            break;
        }
    }
    CHECK(failures > 10);
    check_integrity(db);
    CHECK_INT(sqlite3_close(db), SQLITE_OK);
    db = NULL;
    CHECK_INT(sealdb_sqlite_open(path, &cfg, &db, &err), SEALDB_OK);
    if (db) {
        int64_t c2, s2;
        table_sums(db, &c2, &s2);
        CHECK_INT(c2, count);
        CHECK_INT(s2, sum);
        check_integrity(db);
        sqlite3_close(db);
    }
    printf("SQL through the VFS: %ld allocations failed in turn (%ld failed statements, %ld of "
           "them after the commit had landed)\n",
           n - 1, failures, after_commit);
    pu_remove_db(path);
}

int main(void)
{
    if (crypto_init() != 0) {
        fprintf(stderr, "crypto_init failed\n");
        return 1;
    }
    pu_tempdir(dir, sizeof dir, "nomem");
    test_nomem(SEALDB_AEGIS128L, 16, 30, 2);
    test_nomem(SEALDB_AEGIS128L, 256, 90, 2);
    test_nomem(0, 16, 30, 2);
    test_engine_nomem(SEALDB_TXN_WRITE);
    test_engine_nomem(SEALDB_TXN_CONCURRENT);
    test_sql_nomem();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (!check_failures && system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return check_report();
}

#else

int main(void)
{
    printf("skipped: the test replaces malloc, which the sanitizer owns\n");
    return 0;
}

#endif
