/*
 * test_native_threads.c - the native API under threads: one writer commits
 * while readers in other threads check, each in its own snapshot, that what
 * they see is exactly one committed state (clean under ThreadSanitizer).
 *
 * Table t(id INTEGER PRIMARY KEY, v INTEGER, pad TEXT) with an index on v.
 * Commit k (1..N) inserts row k with v = k and rewrites row 0, the ledger:
 * v = k (rows committed) and pad = a text of k's digits. A reader's snapshot
 * must hold rows 1..v of the ledger and no more, each with v = its rowid,
 * and the index must list exactly those values in order; a reader that
 * finds anything else saw a torn or foreign state.
 *
 * Usage: test_native_threads [commits]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "sealdb.h"

#define READERS 3

static char path[256];
static int commits = 300;
static sealdb_db *db;
static int done; /* the writer finished (atomic) */

typedef struct reader {
    pthread_t th;
    int snapshots; /* snapshots checked */
    int bad;       /* states that were not a committed one */
    char what[256];
} reader;

static int64_t pad_of(int64_t k, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%lld-", (long long)k);
    while ((size_t)n + 8 < cap && n < 40) {
        n += snprintf(buf + n, cap - (size_t)n, "%lld", (long long)k);
    }
    return n;
}

static int write_one(int64_t k, sealdb_error *err)
{
    sealdb_txn *t = NULL;
    int rc = sealdb_begin(db, SEALDB_TXN_WRITE, &t, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    sealdb_table *tbl = NULL;
    char pad[64];
    const int64_t n = pad_of(k, pad, sizeof pad);
    sealdb_value row[3] = {{.type = SEALDB_INTEGER, .i = k},
                           {.type = SEALDB_INTEGER, .i = k},
                           {.type = SEALDB_TEXT, .n = (uint32_t)n, .p = (const uint8_t *)pad}};
    sealdb_value ledger[3] = {{.type = SEALDB_INTEGER, .i = 0},
                              {.type = SEALDB_INTEGER, .i = k},
                              {.type = SEALDB_TEXT, .n = (uint32_t)n, .p = (const uint8_t *)pad}};
    if ((rc = sealdb_table_find(t, "t", &tbl, err)) == SEALDB_OK &&
        (rc = sealdb_insert(t, tbl, row, 3, NULL, err)) == SEALDB_OK) {
        rc = sealdb_update(t, tbl, 0, ledger, 3, err);
    }
    if (rc != SEALDB_OK) {
        sealdb_rollback(t);
        return rc;
    }
    return sealdb_commit(t, err);
}

/* Checks one snapshot; returns 0 if it is a committed state. */
static int check_snapshot(reader *r)
{
    sealdb_error err;
    sealdb_txn *t = NULL;
    if (sealdb_begin(db, SEALDB_TXN_READ, &t, &err) != SEALDB_OK) {
        snprintf(r->what, sizeof r->what, "begin: %.200s", err.message);
        return -1;
    }
    int bad = 0;
    sealdb_table *tbl = NULL;
    sealdb_value v[3];
    sealdb_cursor *c = NULL;
    if (sealdb_table_find(t, "t", &tbl, &err) != SEALDB_OK ||
        sealdb_get(t, tbl, 0, v, 3, &err) != SEALDB_OK) {
        snprintf(r->what, sizeof r->what, "ledger: %.200s", err.message);
        sealdb_rollback(t);
        return -1;
    }
    const int64_t k = v[1].i;
    char pad[64];
    const int64_t n = pad_of(k, pad, sizeof pad);
    if (v[2].type != SEALDB_TEXT || v[2].n != n || memcmp(v[2].p, pad, (size_t)n) != 0) {
        snprintf(r->what, sizeof r->what, "ledger %lld has a pad of another commit", (long long)k);
        bad = 1;
    }
    /* rows 1..k in rowid order, each v = rowid */
    int64_t seen = 0;
    if (!bad && sealdb_cursor_open(t, tbl, NULL, &c, &err) == SEALDB_OK) {
        sealdb_value one = {.type = SEALDB_INTEGER, .i = 1};
        int rc = sealdb_cursor_seek(c, &one, 1, SEALDB_SEEK_GE, &err);
        while (rc == SEALDB_OK && !sealdb_cursor_eof(c)) {
            seen++;
            if (sealdb_cursor_rowid(c) != seen || sealdb_cursor_row(c, v, 2, &err) != SEALDB_OK ||
                v[1].i != seen) {
                snprintf(r->what, sizeof r->what, "row %lld of a snapshot at %lld", (long long)seen,
                         (long long)k);
                bad = 1;
                break;
            }
            rc = sealdb_cursor_next(c, &err);
        }
        sealdb_cursor_close(c);
        if (!bad && seen != k) {
            snprintf(r->what, sizeof r->what, "%lld rows in a snapshot at %lld", (long long)seen,
                     (long long)k);
            bad = 1;
        }
    }
    /* the index on v, backwards: k, k-1, ..., 0 (the ledger's v is k too) */
    if (!bad && sealdb_cursor_open(t, tbl, "t_v", &c, &err) == SEALDB_OK) {
        int rc = sealdb_cursor_last(c, &err);
        int64_t want = k, entries = 0;
        while (rc == SEALDB_OK && !sealdb_cursor_eof(c)) {
            sealdb_value key;
            if (sealdb_cursor_key(c, &key, 1, &err) != SEALDB_OK || key.i != want) {
                snprintf(r->what, sizeof r->what, "index entry %lld of a snapshot at %lld",
                         (long long)entries, (long long)k);
                bad = 1;
                break;
            }
            /* the ledger's entry and row k's entry both hold k */
            if (!(entries == 0 && k > 0)) {
                want--;
            }
            entries++;
            rc = sealdb_cursor_prev(c, &err);
        }
        sealdb_cursor_close(c);
        if (!bad && entries != k + 1) {
            snprintf(r->what, sizeof r->what, "%lld index entries in a snapshot at %lld",
                     (long long)entries, (long long)k);
            bad = 1;
        }
    }
    sealdb_commit(t, &err);
    return bad;
}

static void *reader_main(void *arg)
{
    reader *r = arg;
    for (;;) {
        const int finished = __atomic_load_n(&done, __ATOMIC_ACQUIRE);
        const int rc = check_snapshot(r);
        r->snapshots++;
        if (rc != 0) {
            r->bad++;
            break;
        }
        if (finished) {
            break;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        commits = atoi(argv[1]);
    }
    snprintf(path, sizeof path, "/tmp/sealdb-native-threads-%d.db", (int)getpid());
    unlink(path);
    sealdb_error err;
    const sealdb_sqlite_config keys = {
        .hexkey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"};
    const sealdb_options opt = {
        .create = 1, .sync = SEALDB_SYNC_NORMAL, .cache_pages = 64, .autocheckpoint = 50};
    CHECK_INT(sealdb_open(path, &keys, &opt, &db, &err), SEALDB_OK);
    sealdb_txn *t = NULL;
    CHECK_INT(sealdb_begin(db, SEALDB_TXN_WRITE, &t, &err), SEALDB_OK);
    CHECK_INT(sealdb_create(t, "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER, pad TEXT)", &err),
              SEALDB_OK);
    CHECK_INT(sealdb_create(t, "CREATE INDEX t_v ON t(v)", &err), SEALDB_OK);
    sealdb_table *tbl = NULL;
    CHECK_INT(sealdb_table_find(t, "t", &tbl, &err), SEALDB_OK);
    char pad0[64];
    const int64_t n0 = pad_of(0, pad0, sizeof pad0);
    const sealdb_value ledger[3] = {
        {.type = SEALDB_INTEGER, .i = 0},
        {.type = SEALDB_INTEGER, .i = 0},
        {.type = SEALDB_TEXT, .n = (uint32_t)n0, .p = (const uint8_t *)pad0}};
    CHECK_INT(sealdb_insert(t, tbl, ledger, 3, NULL, &err), SEALDB_OK);
    CHECK_INT(sealdb_commit(t, &err), SEALDB_OK);

    reader readers[READERS];
    memset(readers, 0, sizeof readers);
    for (int i = 0; i < READERS; i++) {
        CHECK_INT(pthread_create(&readers[i].th, NULL, reader_main, &readers[i]), 0);
    }
    int failed_commits = 0;
    for (int64_t k = 1; k <= commits; k++) {
        if (write_one(k, &err) != SEALDB_OK) {
            failed_commits++;
            fprintf(stderr, "commit %lld: %s\n", (long long)k, err.message);
            break;
        }
    }
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    int snapshots = 0;
    for (int i = 0; i < READERS; i++) {
        pthread_join(readers[i].th, NULL);
        CHECK_CONTEXT("reader %d: %s", i, readers[i].what);
        CHECK_INT(readers[i].bad, 0);
        snapshots += readers[i].snapshots;
    }
    CHECK_INT(failed_commits, 0);
    CHECK(snapshots >= READERS);

    /* the last state, after close and reopen */
    CHECK_INT(sealdb_close(db, &err), SEALDB_OK);
    CHECK_INT(sealdb_open(path, &keys, NULL, &db, &err), SEALDB_OK);
    reader last = {0};
    CHECK_INT(check_snapshot(&last), 0);
    CHECK_INT(sealdb_begin(db, SEALDB_TXN_READ, &t, &err), SEALDB_OK);
    CHECK_INT(sealdb_table_find(t, "t", &tbl, &err), SEALDB_OK);
    sealdb_value v[2];
    CHECK_INT(sealdb_get(t, tbl, 0, v, 2, &err), SEALDB_OK);
    CHECK(v[1].type == SEALDB_INTEGER && v[1].i == commits);
    sealdb_rollback(t);
    CHECK_INT(sealdb_close(db, &err), SEALDB_OK);
    printf("%d commits, %d snapshots checked by %d readers\n", commits, snapshots, READERS);
    char side[300];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    return check_report();
}
