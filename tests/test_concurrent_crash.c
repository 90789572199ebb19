/*
 * test_concurrent_crash.c - crashes during concurrent commits.
 *
 * Threads commit concurrent transactions (group commit, durability FULL,
 * frequent checkpoints) on a database whose files go through the fault
 * layer (tests/pager_faultio.h), which crashes at a seeded I/O call, with
 * or without a power cut. After recovery with the ordinary I/O layer:
 * - every commit that returned SEALDB_OK is there;
 * - no transaction is there in part: thread w's transaction k inserts rows
 *   w*100000 + 4k + j (j < 1 + k % 3) with v = k and sets w's ledger row
 *   to k, so the rows present must be exactly those of its transactions
 *   1..m, where m is its ledger (at least its acknowledged count, at most
 *   one more: the one in flight);
 * - the index on v lists exactly the table's rows, and SQLite's
 *   integrity_check says ok.
 * In about half the schedules one write or sync also fails once before
 * the crash (EIO, ENOSPC or a short write): the group it hits fails, each
 * of its transactions says SEALDB_EIO, and their threads try them once
 * more and go on; what the checks above ask stays the same.
 *
 * Usage: test_concurrent_crash [schedules [first-seed]]
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "engine.h"
#include "pager_faultio.h"
#include "sealdb.h"

#define THREADS 3
#define TXNS 12

static char path[256];

typedef struct worker {
    sealdb_db *db;
    faultio *fio;
    int id;
    int acked;   /* transactions whose commit returned SEALDB_OK */
    int last;    /* the last one attempted */
    int other;   /* an error other than the crash's */
    int retried; /* transactions tried again after the transient fault */
    char what[256];
} worker;

static void remove_files(void)
{
    char side[300];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
}

static int pad_of(int w, int k, int j, char *buf, size_t cap)
{
    return snprintf(buf, cap, "row %d/%d/%d of a transaction", w, k, j);
}

static int one_txn(worker *w, int k, sealdb_error *err)
{
    sealdb_txn *t = NULL;
    int rc = sealdb_begin(w->db, SEALDB_TXN_CONCURRENT, &t, err);
    sealdb_table *tbl = NULL;
    if (rc == SEALDB_OK) {
        rc = sealdb_table_find(t, "t", &tbl, err);
    }
    for (int j = 0; rc == SEALDB_OK && j < 1 + k % 3; j++) {
        char pad[64];
        const int n = pad_of(w->id, k, j, pad, sizeof pad);
        const sealdb_value row[3] = {
            {.type = SEALDB_INTEGER, .i = (int64_t)w->id * 100000 + 4 * k + j},
            {.type = SEALDB_INTEGER, .i = k},
            {.type = SEALDB_TEXT, .n = (uint32_t)n, .p = (const uint8_t *)pad}};
        rc = sealdb_insert(t, tbl, row, 3, NULL, err);
    }
    if (rc == SEALDB_OK) {
        const sealdb_value ledger[2] = {{.type = SEALDB_INTEGER, .i = w->id},
                                        {.type = SEALDB_INTEGER, .i = k}};
        rc = sealdb_update(t, tbl, w->id, ledger, 2, err);
    }
    if (rc != SEALDB_OK) {
        sealdb_rollback(t);
        return rc;
    }
    return sealdb_commit(t, err);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    sealdb_error err;
    for (int k = 1; k <= TXNS; k++) {
        w->last = k;
        int rc, tries = 0;
        for (;;) {
            while ((rc = one_txn(w, k, &err)) == SEALDB_ECONFLICT) {
            }
            if (rc == SEALDB_EIO && !faultio_crashed(w->fio) && faultio_failed(w->fio) > 0 &&
                tries++ == 0) {
                w->retried++; /* the transient fault failed its group: once more */
                continue;
            }
            break;
        }
        if (rc == SEALDB_EIO && !faultio_crashed(w->fio) && faultio_failed(w->fio) > 0 &&
            strstr(err.message, "an earlier sync of the WAL") != NULL) {
            return NULL; /* the fault failed a sync of the WAL: no commit until reopened */
        }
        if (rc == SEALDB_EIO && !faultio_crashed(w->fio)) {
            w->other = rc; /* an I/O error neither the crash nor the fault explains */
            snprintf(w->what, sizeof w->what, "transaction %d: %.200s", k, err.message);
            return NULL;
        }
        if (rc != SEALDB_OK) {
            if (rc != SEALDB_EIO) {
                w->other = rc;
                snprintf(w->what, sizeof w->what, "transaction %d: %.200s", k, err.message);
            }
            return NULL;
        }
        w->acked = k;
    }
    return NULL;
}

static int make_database(void)
{
    remove_files();
    sealdb_error err;
    sealdb_db *db = NULL;
    const sealdb_options opt = {.create = 1};
    int rc = sealdb_open(path, NULL, &opt, &db, &err);
    sealdb_txn *t = NULL;
    if (rc == SEALDB_OK) {
        rc = sealdb_begin(db, SEALDB_TXN_WRITE, &t, &err);
    }
    if (rc == SEALDB_OK) {
        rc = sealdb_create(t, "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER, pad TEXT)", &err);
    }
    if (rc == SEALDB_OK) {
        rc = sealdb_create(t, "CREATE INDEX tv ON t(v)", &err);
    }
    sealdb_table *tbl = NULL;
    if (rc == SEALDB_OK) {
        rc = sealdb_table_find(t, "t", &tbl, &err);
    }
    for (int w = 1; rc == SEALDB_OK && w <= THREADS; w++) {
        const sealdb_value ledger[2] = {{.type = SEALDB_INTEGER, .i = w},
                                        {.type = SEALDB_INTEGER, .i = 0}};
        rc = sealdb_insert(t, tbl, ledger, 2, NULL, &err);
    }
    if (rc == SEALDB_OK) {
        rc = sealdb_commit(t, &err);
    } else if (t) {
        sealdb_rollback(t);
    }
    if (db) {
        sealdb_close(db, NULL);
    }
    if (rc != SEALDB_OK) {
        fprintf(stderr, "making the database: %s\n", err.message);
    }
    return rc;
}

/* Checks the recovered database against the workers' acknowledgements. */
static void check_recovered(const worker *ws, uint64_t seed)
{
    sealdb_error err;
    sealdb_db *db = NULL;
    CHECK_INT(sealdb_open(path, NULL, NULL, &db, &err), SEALDB_OK);
    if (!db) {
        fprintf(stderr, "  seed %llu: reopen: %s\n", (unsigned long long)seed, err.message);
        return;
    }
    const int failures = check_failures;
    sealdb_txn *t = NULL;
    sealdb_table *tbl = NULL;
    CHECK_INT(sealdb_begin(db, SEALDB_TXN_READ, &t, &err), SEALDB_OK);
    CHECK_INT(sealdb_table_find(t, "t", &tbl, &err), SEALDB_OK);
    int64_t expect_rows = THREADS;
    for (int w = 1; w <= THREADS && tbl; w++) {
        const worker *wk = &ws[w - 1];
        sealdb_value v[3];
        CHECK_INT(sealdb_get(t, tbl, w, v, 2, &err), SEALDB_OK);
        const int m = (int)v[1].i;
        CHECK(m >= wk->acked && m <= wk->last);
        for (int k = 1; k <= TXNS; k++) {
            for (int j = 0; j < 1 + k % 3; j++) {
                const int64_t id = (int64_t)w * 100000 + 4 * k + j;
                const int rc = sealdb_get(t, tbl, id, v, 3, &err);
                CHECK_INT(rc, k <= m ? SEALDB_OK : SEALDB_ENOTFOUND);
                if (rc == SEALDB_OK) {
                    char pad[64];
                    const int n = pad_of(w, k, j, pad, sizeof pad);
                    CHECK_INT(v[1].i, k);
                    CHECK(v[2].type == SEALDB_TEXT && v[2].n == (uint32_t)n &&
                          memcmp(v[2].p, pad, (size_t)n) == 0);
                }
                expect_rows += k <= m;
            }
        }
    }
    /* nothing else in the table, and the index agrees */
    for (int ix = 0; ix < 2 && tbl; ix++) {
        sealdb_cursor *c = NULL;
        int64_t n = 0;
        CHECK_INT(sealdb_cursor_open(t, tbl, ix ? "tv" : NULL, &c, &err), SEALDB_OK);
        for (int rc = sealdb_cursor_first(c, &err); rc == SEALDB_OK && !sealdb_cursor_eof(c);
             rc = sealdb_cursor_next(c, &err)) {
            n++;
        }
        sealdb_cursor_close(c);
        CHECK_INT(n, expect_rows);
    }
    sealdb_rollback(t);
    CHECK_INT(sealdb_close(db, &err), SEALDB_OK);

    sqlite3 *s = NULL;
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_open_v2(path, &s, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    CHECK_INT(sqlite3_prepare_v2(s, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(s);
    if (check_failures > failures) {
        fprintf(stderr, "  in: seed %llu (acknowledged %d %d %d)\n", (unsigned long long)seed,
                ws[0].acked, ws[1].acked, ws[2].acked);
    }
}

static int transient_fired, transient_retries;

/* One schedule: crash at call crash_at (0: none) of the fault layer, and
 * (fault_at > 0) the fault_at-th write or sync after the open fails once
 * with fault_kind. Returns the calls made. */
static uint64_t schedule(uint64_t seed, uint64_t crash_at, int power, uint64_t fault_at,
                         int fault_kind)
{
    if (make_database() != SEALDB_OK) {
        CHECK(0);
        return 0;
    }
    faultio *fio = faultio_new(pager_io_default(), seed);
    if (crash_at) {
        faultio_crash_at(fio, crash_at, power);
    }
    const sealdb_options opt = {.sync = SEALDB_SYNC_FULL, .autocheckpoint = 16, .cache_pages = 64};
    sealdb_db *db = NULL;
    sealdb_error err;
    worker ws[THREADS];
    memset(ws, 0, sizeof ws);
    int rc = native_open_io(path, NULL, &opt, faultio_io(fio), &db, &err);
    if (rc == SEALDB_OK) {
        if (fault_at) {
            faultio_fail_nth(fio, FIO_WRITE | FIO_SYNC, fault_at, fault_kind);
        }
        pthread_t th[THREADS];
        for (int w = 0; w < THREADS; w++) {
            ws[w] = (worker){.db = db, .fio = fio, .id = w + 1};
            CHECK_INT(pthread_create(&th[w], NULL, worker_main, &ws[w]), 0);
        }
        for (int w = 0; w < THREADS; w++) {
            pthread_join(th[w], NULL);
            if (ws[w].other) {
                fprintf(stderr, "  seed %llu worker %d: %s\n", (unsigned long long)seed, w + 1,
                        ws[w].what);
            }
            CHECK_INT(ws[w].other, 0);
            transient_retries += ws[w].retried;
        }
        rc = sealdb_close(db, &err);
        /* close's checkpoint may meet the fault too, or a sync of the WAL
         * the fault failed earlier: it says so */
        CHECK(rc == SEALDB_OK || faultio_crashed(fio) || faultio_failed(fio) > 0);
        transient_fired += faultio_failed(fio) > 0;
    } else {
        CHECK(faultio_crashed(fio));
    }
    const uint64_t calls = faultio_calls(fio);
    CHECK_INT(faultio_restore(fio), 0);
    faultio_free(fio);
    check_recovered(ws, seed);
    return calls;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

int main(int argc, char **argv)
{
    const int n = argc > 1 ? atoi(argv[1]) : 150;
    const uint64_t first = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    snprintf(path, sizeof path, "/tmp/sealdb-concurrent-crash-%d.db", (int)getpid());
    /* a run without a crash: every commit acknowledged and present */
    const uint64_t total = schedule(first, 0, 0, 0, 0);
    CHECK(total > 0);
    int power_cuts = 0;
    for (int i = 0; i < n && total; i++) {
        uint64_t s = (first + (uint64_t)i) * 0x9e3779b97f4a7c15ull | 1;
        const uint64_t at = 1 + rnd(&s) % total;
        const int power = (int)(rnd(&s) % 2);
        power_cuts += power;
        static const int kinds[] = {FAULT_EIO, FAULT_ENOSPC, FAULT_SHORT};
        const uint64_t fault_at = rnd(&s) % 2 ? 1 + rnd(&s) % (total / 2 + 1) : 0;
        const int kind = kinds[rnd(&s) % 3];
        schedule(first + (uint64_t)i, at, power, fault_at, kind);
    }
    printf("%d crashes in concurrent commits (%d power cuts) over about %llu I/O calls each, "
           "%d after a transient fault (%d transactions tried again): every acknowledged "
           "commit recovered, no partial one\n",
           n, power_cuts, (unsigned long long)total, transient_fired, transient_retries);
    remove_files();
    return check_report();
}
