/*
 * bench_native.c - the native engine (sealdb_open, sealdb_get, cursors,
 * sealdb_insert) against SQLite on the same file, in the same run:
 *
 *   lookup      point reads by random rowid on a warm cache: sealdb_get in
 *               one read transaction against a prepared
 *               `SELECT * FROM t WHERE rowid = ?` in one read transaction,
 *               every column read (target: native >= 3x SQLite)
 *   scan_rowid  range scans of `scan_rows` rows from a random rowid: a rowid
 *               cursor reading every column against
 *               `SELECT * FROM t WHERE rowid BETWEEN ? AND ?` (target >= 2x)
 *   scan_index  range scans through the index on a: an index cursor and the
 *               row of each entry against `SELECT * FROM t WHERE a BETWEEN
 *               ? AND ?` (target >= 2x)
 *   bulk        N rows inserted in one transaction into a fresh file with
 *               the same schema, at durability FULL: sealdb_insert against a
 *               prepared INSERT between BEGIN and COMMIT (target >= 1x)
 *
 * Engines: plain (native on a plain file against stock SQLite on the same
 * file) and sealed, aegis256 and aegis128l in the hardened layout (native
 * against SQLite through the sealdb VFS, sealdb_sqlite_open, on the same
 * sealed file). Schema for both: t(id INTEGER PRIMARY KEY, a INTEGER,
 * b TEXT, c REAL) with an index on a; rows of about 100 bytes; 4096-byte
 * pages; WAL; caches large enough for the whole file. The native handle
 * locks the file, so the two sides take turns: each opens, warms its cache
 * by reading every row and index entry, measures, and closes; the order
 * alternates run by run.
 *
 * Ops per second are medians over runs (min and max beside them; for scans
 * an op is a row); ratio_to_baseline is the median over runs of
 * native/SQLite in the same run (>1: native faster). Nothing here asserts a
 * time. The files live in a scratch directory removed at the end.
 *
 * Usage: bench_native [--quick] [--json] [--runs N] [--rows N]
 *                     [--only lookup|scan|bulk] [--dir DIR]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_native.h"
#include "bench_util.h"
#include "sealdb.h"

#define MAX_RUNS 50 /* at most BENCH_MAX_RUNS */
#define PAGE_SIZE 4096
#define CACHE_PAGES 32768 /* 128 MiB: the whole file of 100k rows many times over */

static const char *const bench_hex32 =
    "4213379901020304050607080910111213141516171819202122232425262728";
static const char *const bench_hex16 = "42133799010203040506070809101112";

typedef struct engine {
    const char *name;   /* "native-plain", "native-aegis256", ... */
    const char *cipher; /* NULL: plain */
    const char *base;   /* the baseline's name */
} engine;

static const engine engines[] = {
    {"native-plain", NULL, "sqlite-plain"},
    {"native-aegis256", "aegis256", "sqlite-vfs-aegis256"},
    {"native-aegis128l", "aegis128l", "sqlite-vfs-aegis128l"},
};
#define N_ENGINES 3

enum { W_LOOKUP, W_SCAN_ROWID, W_SCAN_INDEX, W_BULK, N_WORKLOADS };
static const char *const workload_names[N_WORKLOADS] = {"lookup", "scan_rowid", "scan_index",
                                                        "bulk"};
static const double targets[N_WORKLOADS] = {3.0, 2.0, 2.0, 1.0};

typedef struct result {
    double ops[MAX_RUNS], base[MAX_RUNS];
    int n;
    long count;      /* operations per run */
    uint64_t misses; /* native cache misses in the timed loops, all runs */
} result;

typedef struct options {
    int quick, json, runs;
    long rows, lookups, scans, scan_rows, bulk_rows;
    const char *only;
    char dir[440];
} options;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(uint64_t n)
{
    return bench_xorshift(&rng_state) % n;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_native: %s: %s\n", what, msg);
    exit(1);
}

/* ---- the rows ------------------------------------------------------------------------------ */

/* Row i (1-based): a a permutation of 1..rows (so that an index range is
 * scattered over the table), b 80 bytes of text, c a real. */
static int64_t row_a(long i, long rows)
{
    return (int64_t)((i * 7919) % rows) + 1;
}

static void row_b(long i, char *b)
{
    static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int k = 0; k < 80; k++) {
        b[k] = alpha[(i * 31 + k * 7) % 36];
    }
    b[80] = 0;
}

static const char schema[] = "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL)";
static const char schema_index[] = "CREATE INDEX t_a ON t(a)";

static sealdb_sqlite_config keys_of(const engine *e)
{
    sealdb_sqlite_config k;
    memset(&k, 0, sizeof k);
    k.cipher = e->cipher;
    k.hexkey = e->cipher && !strcmp(e->cipher, "aegis128l") ? bench_hex16 : bench_hex32;
    k.layout = SEALDB_LAYOUT_HARDENED;
    return k;
}

/* ---- SQLite's side -------------------------------------------------------------------------- */

static sqlite3 *sql_open(const engine *e, const char *path)
{
    sqlite3 *db = NULL;
    if (e->cipher) {
        sealdb_sqlite_config k = keys_of(e);
        sealdb_error err;
        if (sealdb_sqlite_open(path, &k, &db, &err) != SEALDB_OK) {
            die(path, err.message);
        }
    } else if (sqlite3_open(path, &db) != SQLITE_OK) {
        die(path, sqlite3_errmsg(db));
    }
    return db;
}

static void sql_exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        die(sql, msg ? msg : sqlite3_errmsg(db));
    }
    sqlite3_free(msg);
}

static sqlite3_stmt *sql_prepare(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        die(sql, sqlite3_errmsg(db));
    }
    return st;
}

/* Opens the file with SQLite and settings for both read and write runs. */
static sqlite3 *sql_open_tuned(const engine *e, const char *path, int sync_full)
{
    sqlite3 *db = sql_open(e, path);
    char sql[160];
    snprintf(sql, sizeof sql,
             "PRAGMA page_size=%d; PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; "
             "PRAGMA cache_size=-%d",
             PAGE_SIZE, sync_full ? "FULL" : "NORMAL", CACHE_PAGES * PAGE_SIZE / 1024);
    sql_exec(db, sql);
    return db;
}

static volatile uint64_t sink;

/* Reads every column of the current row of st. */
static uint64_t sql_touch(sqlite3_stmt *st)
{
    uint64_t acc = (uint64_t)sqlite3_column_int64(st, 0) + (uint64_t)sqlite3_column_int64(st, 1);
    const unsigned char *b = sqlite3_column_text(st, 2);
    acc += (uint64_t)sqlite3_column_bytes(st, 2) + (b ? b[0] : 0);
    acc += (uint64_t)sqlite3_column_double(st, 3);
    return acc;
}

/* Reads every row and index entry: the whole file in SQLite's cache. */
static void sql_warm(sqlite3 *db)
{
    sql_exec(db, "SELECT sum(length(b)) + sum(c) FROM t; "
                 "SELECT count(*) FROM t INDEXED BY t_a WHERE a > -1");
}

static void sql_insert_rows(sqlite3 *db, long from, long to, long rows)
{
    sqlite3_stmt *st = sql_prepare(db, "INSERT INTO t(id, a, b, c) VALUES(?, ?, ?, ?)");
    char b[81];
    for (long i = from; i <= to; i++) {
        row_b(i, b);
        sqlite3_bind_int64(st, 1, i);
        sqlite3_bind_int64(st, 2, row_a(i, rows));
        sqlite3_bind_text(st, 3, b, 80, SQLITE_STATIC);
        sqlite3_bind_double(st, 4, (double)i * 0.5);
        if (sqlite3_step(st) != SQLITE_DONE) {
            die("insert", sqlite3_errmsg(db));
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
}

static double sql_lookups(const engine *e, const char *path, const int64_t *ids, long n)
{
    sqlite3 *db = sql_open_tuned(e, path, 0);
    sql_warm(db);
    sqlite3_stmt *st = sql_prepare(db, "SELECT * FROM t WHERE rowid = ?");
    sql_exec(db, "BEGIN");
    uint64_t acc = 0;
    const double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, ids[i]);
        if (sqlite3_step(st) != SQLITE_ROW) {
            die("lookup", "no row");
        }
        acc += sql_touch(st);
        sqlite3_reset(st);
    }
    const double t = bench_now() - t0;
    sql_exec(db, "COMMIT");
    sink = acc;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return (double)n / t;
}

/* Range scans: rows per second. by_index: ranges of a through t_a. */
static double sql_scans(const engine *e, const char *path, const int64_t *from, long scans,
                        long len, int by_index)
{
    sqlite3 *db = sql_open_tuned(e, path, 0);
    sql_warm(db);
    sqlite3_stmt *st = sql_prepare(db, by_index ? "SELECT * FROM t WHERE a BETWEEN ? AND ?"
                                                : "SELECT * FROM t WHERE rowid BETWEEN ? AND ?");
    sql_exec(db, "BEGIN");
    uint64_t acc = 0;
    long rows = 0;
    const double t0 = bench_now();
    for (long i = 0; i < scans; i++) {
        sqlite3_bind_int64(st, 1, from[i]);
        sqlite3_bind_int64(st, 2, from[i] + len - 1);
        while (sqlite3_step(st) == SQLITE_ROW) {
            acc += sql_touch(st);
            rows++;
        }
        sqlite3_reset(st);
    }
    const double t = bench_now() - t0;
    sql_exec(db, "COMMIT");
    sink = acc;
    if (rows != scans * len) {
        die("scan", "a range did not have its rows");
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return (double)rows / t;
}

static double sql_bulk(const engine *e, const char *path, long rows)
{
    bench_remove_db(path);
    sqlite3 *db = sql_open_tuned(e, path, 1);
    sql_exec(db, schema);
    sql_exec(db, schema_index);
    const double t0 = bench_now();
    sql_exec(db, "BEGIN");
    sql_insert_rows(db, 1, rows, rows);
    sql_exec(db, "COMMIT");
    const double t = bench_now() - t0;
    sqlite3_close(db);
    bench_remove_db(path);
    return (double)rows / t;
}

/* ---- the native side ------------------------------------------------------------------------ */

static sealdb_db *native_open(const engine *e, const char *path, int create)
{
    sealdb_sqlite_config k = keys_of(e);
    sealdb_options opt;
    memset(&opt, 0, sizeof opt);
    opt.create = create;
    opt.page_size = PAGE_SIZE;
    opt.cache_pages = CACHE_PAGES;
    opt.sync = create ? SEALDB_SYNC_FULL : SEALDB_SYNC_NORMAL;
    sealdb_db *db = NULL;
    sealdb_error err;
    if (sealdb_open(path, e->cipher ? &k : NULL, &opt, &db, &err) != SEALDB_OK) {
        die(path, err.message);
    }
    return db;
}

static void native_close(sealdb_db *db)
{
    sealdb_error err;
    if (sealdb_close(db, &err) != SEALDB_OK) {
        die("close", err.message);
    }
}

static sealdb_table *native_table(sealdb_txn *t)
{
    sealdb_table *tbl = NULL;
    sealdb_error err;
    if (sealdb_table_find(t, "t", &tbl, &err) != SEALDB_OK) {
        die("table t", err.message);
    }
    return tbl;
}

static uint64_t native_touch(const sealdb_value *v)
{
    return (uint64_t)v[0].i + (uint64_t)v[1].i + v[2].n + (v[2].n ? v[2].p[0] : 0) +
           (uint64_t)v[3].r;
}

/* Reads every row and index entry: the whole file in the native cache. */
static void native_warm(sealdb_txn *t, sealdb_table *tbl)
{
    sealdb_error err;
    uint64_t acc = 0;
    for (int pass = 0; pass < 2; pass++) {
        sealdb_cursor *c = NULL;
        if (sealdb_cursor_open(t, tbl, pass ? "t_a" : NULL, &c, &err) != SEALDB_OK) {
            die("cursor", err.message);
        }
        for (sealdb_cursor_first(c, &err); !sealdb_cursor_eof(c); sealdb_cursor_next(c, &err)) {
            sealdb_value v[4];
            if (pass) {
                sealdb_cursor_key(c, v, 1, &err);
                acc += (uint64_t)v[0].i;
            } else {
                sealdb_cursor_row(c, v, 4, &err);
                acc += native_touch(v);
            }
        }
        sealdb_cursor_close(c);
    }
    sink = acc;
}

/* Cache misses of the last timed native loop (the warm-up must leave none). */
static uint64_t last_misses;

static double native_lookups(const engine *e, const char *path, const int64_t *ids, long n)
{
    sealdb_db *db = native_open(e, path, 0);
    sealdb_txn *t = NULL;
    sealdb_error err;
    if (sealdb_begin(db, SEALDB_TXN_READ, &t, &err) != SEALDB_OK) {
        die("begin", err.message);
    }
    sealdb_table *tbl = native_table(t);
    native_warm(t, tbl);
    sealdb_stats before, after;
    sealdb_get_stats(db, &before);
    uint64_t acc = 0;
    const double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        sealdb_value v[4];
        if (sealdb_get(t, tbl, ids[i], v, 4, &err) != SEALDB_OK) {
            die("sealdb_get", err.message);
        }
        acc += native_touch(v);
    }
    const double el = bench_now() - t0;
    sealdb_get_stats(db, &after);
    last_misses = after.cache_misses - before.cache_misses;
    sink = acc;
    sealdb_commit(t, NULL);
    native_close(db);
    return (double)n / el;
}

static double native_scans(const engine *e, const char *path, const int64_t *from, long scans,
                           long len, int by_index)
{
    sealdb_db *db = native_open(e, path, 0);
    sealdb_txn *t = NULL;
    sealdb_error err;
    if (sealdb_begin(db, SEALDB_TXN_READ, &t, &err) != SEALDB_OK) {
        die("begin", err.message);
    }
    sealdb_table *tbl = native_table(t);
    native_warm(t, tbl);
    sealdb_cursor *c = NULL;
    if (sealdb_cursor_open(t, tbl, by_index ? "t_a" : NULL, &c, &err) != SEALDB_OK) {
        die("cursor", err.message);
    }
    sealdb_stats before, after;
    sealdb_get_stats(db, &before);
    uint64_t acc = 0;
    long rows = 0;
    const double t0 = bench_now();
    for (long i = 0; i < scans; i++) {
        const sealdb_value key = {.type = SEALDB_INTEGER, .i = from[i]};
        sealdb_cursor_seek(c, &key, 1, SEALDB_SEEK_GE, &err);
        for (long k = 0; k < len && !sealdb_cursor_eof(c); k++) {
            sealdb_value v[4];
            if (sealdb_cursor_row(c, v, 4, &err) != SEALDB_OK) {
                die("sealdb_cursor_row", err.message);
            }
            acc += native_touch(v);
            rows++;
            sealdb_cursor_next(c, &err);
        }
    }
    const double el = bench_now() - t0;
    sealdb_get_stats(db, &after);
    last_misses = after.cache_misses - before.cache_misses;
    sink = acc;
    if (rows != scans * len) {
        die("scan", "a range did not have its rows");
    }
    sealdb_cursor_close(c);
    sealdb_commit(t, NULL);
    native_close(db);
    return (double)rows / el;
}

static double native_bulk(const engine *e, const char *path, long rows)
{
    bench_remove_db(path);
    sealdb_db *db = native_open(e, path, 1);
    sealdb_txn *t = NULL;
    sealdb_error err;
    if (sealdb_begin(db, SEALDB_TXN_WRITE, &t, &err) != SEALDB_OK ||
        sealdb_create(t, schema, &err) != SEALDB_OK ||
        sealdb_create(t, schema_index, &err) != SEALDB_OK || sealdb_commit(t, &err) != SEALDB_OK) {
        die("schema", err.message);
    }
    char b[81];
    const double t0 = bench_now();
    if (sealdb_begin(db, SEALDB_TXN_WRITE, &t, &err) != SEALDB_OK) {
        die("begin", err.message);
    }
    sealdb_table *tbl = native_table(t);
    for (long i = 1; i <= rows; i++) {
        row_b(i, b);
        const sealdb_value v[4] = {
            {.type = SEALDB_INTEGER, .i = i},
            {.type = SEALDB_INTEGER, .i = row_a(i, rows)},
            {.type = SEALDB_TEXT, .n = 80, .p = (const uint8_t *)b},
            {.type = SEALDB_REAL, .r = (double)i * 0.5},
        };
        if (sealdb_insert(t, tbl, v, 4, NULL, &err) != SEALDB_OK) {
            die("sealdb_insert", err.message);
        }
    }
    if (sealdb_commit(t, &err) != SEALDB_OK) {
        die("commit", err.message);
    }
    const double el = bench_now() - t0;
    native_close(db);
    bench_remove_db(path);
    return (double)rows / el;
}

/* ---- runs ------------------------------------------------------------------------------------ */

/* The file both sides read: written once by SQLite (the VFS for sealed). */
static void make_db(const engine *e, const char *path, long rows)
{
    bench_remove_db(path);
    sqlite3 *db = sql_open_tuned(e, path, 0);
    sql_exec(db, schema);
    sql_exec(db, schema_index);
    sql_exec(db, "BEGIN");
    sql_insert_rows(db, 1, rows, rows);
    sql_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)");
    sqlite3_close(db);
}

static void run_engine(const options *o, const engine *e, result r[N_WORKLOADS], int run)
{
    char path[600], bulk_path[600];
    snprintf(path, sizeof path, "%s/%s.db", o->dir, e->name);
    snprintf(bulk_path, sizeof bulk_path, "%s/%s-bulk.db", o->dir, e->name);
    const int native_first = run % 2 == 0;
    const int all = !o->only;
    if (all || !strcmp(o->only, "lookup")) {
        int64_t *ids = malloc(sizeof *ids * (size_t)o->lookups);
        for (long i = 0; i < o->lookups; i++) {
            ids[i] = (int64_t)rnd((uint64_t)o->rows) + 1;
        }
        if (native_first) {
            r[W_LOOKUP].ops[run] = native_lookups(e, path, ids, o->lookups);
            r[W_LOOKUP].misses += last_misses;
        }
        r[W_LOOKUP].base[run] = sql_lookups(e, path, ids, o->lookups);
        if (!native_first) {
            r[W_LOOKUP].ops[run] = native_lookups(e, path, ids, o->lookups);
            r[W_LOOKUP].misses += last_misses;
        }
        r[W_LOOKUP].count = o->lookups;
        free(ids);
    }
    if (all || !strcmp(o->only, "scan")) {
        int64_t *from = malloc(sizeof *from * (size_t)o->scans);
        for (long i = 0; i < o->scans; i++) {
            from[i] = (int64_t)rnd((uint64_t)(o->rows - o->scan_rows)) + 1;
        }
        for (int w = W_SCAN_ROWID; w <= W_SCAN_INDEX; w++) {
            const int by_index = w == W_SCAN_INDEX;
            if (native_first) {
                r[w].ops[run] = native_scans(e, path, from, o->scans, o->scan_rows, by_index);
                r[w].misses += last_misses;
            }
            r[w].base[run] = sql_scans(e, path, from, o->scans, o->scan_rows, by_index);
            if (!native_first) {
                r[w].ops[run] = native_scans(e, path, from, o->scans, o->scan_rows, by_index);
                r[w].misses += last_misses;
            }
            r[w].count = o->scans * o->scan_rows;
        }
        free(from);
    }
    if (all || !strcmp(o->only, "bulk")) {
        if (native_first) {
            r[W_BULK].ops[run] = native_bulk(e, bulk_path, o->bulk_rows);
        }
        r[W_BULK].base[run] = sql_bulk(e, bulk_path, o->bulk_rows);
        if (!native_first) {
            r[W_BULK].ops[run] = native_bulk(e, bulk_path, o->bulk_rows);
        }
        r[W_BULK].count = o->bulk_rows;
    }
    for (int w = 0; w < N_WORKLOADS; w++) {
        r[w].n = run + 1;
    }
}

static int wanted(const options *o, int w)
{
    if (!o->only) {
        return 1;
    }
    if (!strcmp(o->only, "lookup")) {
        return w == W_LOOKUP;
    }
    if (!strcmp(o->only, "scan")) {
        return w == W_SCAN_ROWID || w == W_SCAN_INDEX;
    }
    return w == W_BULK;
}

static void print_result(const options *o, const engine *e, int w, const result *r)
{
    double mn, mx, rmn, rmx, bmn, bmx;
    const double med = bench_median(r->ops, r->n, &mn, &mx);
    double ratio[MAX_RUNS];
    for (int i = 0; i < r->n; i++) {
        ratio[i] = r->ops[i] / r->base[i];
    }
    const double rmed = bench_median(ratio, r->n, &rmn, &rmx);
    const double bmed = bench_median(r->base, r->n, &bmn, &bmx);
    const int met = rmed >= targets[w];
    if (o->json) {
        printf("{\"suite\":\"native\",\"engine\":\"%s\",\"workload\":\"%s\",\"ops_per_s\":%.0f,"
               "\"runs\":%d,\"min\":%.0f,\"max\":%.0f,\"ratio_to_baseline\":%.4f,"
               "\"ratio_min\":%.4f,\"ratio_max\":%.4f,\"baseline\":\"%s\","
               "\"baseline_ops_per_s\":%.0f,\"baseline_min\":%.0f,\"baseline_max\":%.0f,"
               "\"ns_per_op\":%.1f,\"baseline_ns_per_op\":%.1f,\"ops_per_run\":%ld,"
               "\"rows\":%ld,\"page_size\":%d,\"layout\":\"%s\",\"target_ratio\":%.1f,"
               "\"target_met\":%s,\"native_cache_misses\":%llu}\n",
               e->name, workload_names[w], med, r->n, mn, mx, rmed, rmn, rmx, e->base, bmed, bmn,
               bmx, 1e9 / med, 1e9 / bmed, r->count, w == W_BULK ? o->bulk_rows : o->rows,
               PAGE_SIZE, e->cipher ? "hardened" : "plain", targets[w], met ? "true" : "false",
               (unsigned long long)r->misses);
    } else {
        printf("%-11s %-17s %11.0f ops/s (%8.1f ns)  %-21s %11.0f ops/s  ratio %6.3f "
               "(%.3f-%.3f)  target >= %.0fx: %s  misses %llu\n",
               workload_names[w], e->name, med, 1e9 / med, e->base, bmed, rmed, rmn, rmx,
               targets[w], met ? "met" : "not met", (unsigned long long)r->misses);
    }
}

static const char usage_text[] =
    "usage: %s [--quick] [--json] [--runs N] [--rows N] [--only lookup|scan|bulk] [--dir DIR]\n"
    "  The native engine against SQLite on the same file, plain and sealed\n"
    "  (aegis256, aegis128l; SQLite through the sealdb VFS): point lookups,\n"
    "  rowid and index range scans on a warm cache, and a bulk insert of N rows\n"
    "  in one transaction at durability FULL.\n"
    "  --quick     5,000 rows, 1 run (a smoke test, not for comparison)\n"
    "  --json      JSON lines (a settings line first) instead of a table\n"
    "  --runs N    runs, median reported (default 5)\n"
    "  --rows N    rows in the table and in the bulk insert (default 100000)\n"
    "  --only X    measure only lookups, scans or the bulk insert\n"
    "  --dir DIR   scratch directory (default $TMPDIR or /tmp)\n";

int bench_native_main(int argc, char **argv)
{
    options o;
    memset(&o, 0, sizeof o);
    const char *env = getenv("TMPDIR");
    char base[400];
    snprintf(base, sizeof base, "%s", env && *env ? env : "/tmp");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            o.quick = 1;
        } else if (!strcmp(argv[i], "--json")) {
            o.json = 1;
        } else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
            o.runs = atoi(argv[++i]);
            if (o.runs < 1 || o.runs > MAX_RUNS) {
                fprintf(stderr, "%s: --runs needs a number from 1 to %d\n", argv[0], MAX_RUNS);
                return 2;
            }
        } else if (!strcmp(argv[i], "--rows") && i + 1 < argc) {
            o.rows = atol(argv[++i]);
            if (o.rows < 1000 || o.rows > 100000000) {
                fprintf(stderr, "%s: --rows needs a number from 1000 to 100000000\n", argv[0]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            o.only = argv[++i];
            if (strcmp(o.only, "lookup") && strcmp(o.only, "scan") && strcmp(o.only, "bulk")) {
                fprintf(stderr, "%s: --only takes lookup, scan or bulk\n", argv[0]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
            snprintf(base, sizeof base, "%s", argv[++i]);
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf(usage_text, argv[0]);
            return 0;
        } else {
            fprintf(stderr, usage_text, argv[0]);
            return 2;
        }
    }
    if (!o.runs) {
        o.runs = o.quick ? 1 : 5;
    }
    if (!o.rows) {
        o.rows = o.quick ? 5000 : 100000;
    }
    o.bulk_rows = o.rows;
    o.lookups = o.quick ? 20000 : 500000;
    o.scan_rows = o.rows / 100 < 1000 ? o.rows / 100 : 1000;
    o.scans = (o.quick ? 20000 : 1000000) / o.scan_rows;
    snprintf(o.dir, sizeof o.dir, "%s/sealdb-bench-native-XXXXXX", base);
    if (!mkdtemp(o.dir)) {
        fprintf(stderr, "%s: cannot make a directory in %s: %s\n", argv[0], base, strerror(errno));
        return 1;
    }
    if (o.json) {
        printf("{\"suite\":\"native\",\"op\":\"settings\",\"program\":\"bench_native\","
               "\"quick\":%s,\"runs\":%d,\"rows\":%ld,\"row_bytes\":100,\"page_size\":%d,"
               "\"cache_pages\":%d,\"lookups\":%ld,\"scans\":%ld,\"scan_rows\":%ld,"
               "\"bulk_rows\":%ld,\"bulk_sync\":\"full\",\"journal_mode\":\"wal\","
               "\"layout\":\"hardened\",\"sqlite_version\":\"%s\",\"ratio\":\"median over runs "
               "of native/SQLite in the same run, same file\"}\n",
               o.quick ? "true" : "false", o.runs, o.rows, PAGE_SIZE, CACHE_PAGES, o.lookups,
               o.scans, o.scan_rows, o.bulk_rows, sqlite3_libversion());
    }
    static result r[N_ENGINES][N_WORKLOADS];
    for (int e = 0; e < N_ENGINES; e++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s.db", o.dir, engines[e].name);
        if (!o.only || strcmp(o.only, "bulk")) {
            make_db(&engines[e], path, o.rows);
        }
    }
    for (int run = 0; run < o.runs; run++) {
        for (int e = 0; e < N_ENGINES; e++) {
            run_engine(&o, &engines[e], r[e], run);
        }
        if (!o.json) {
            fprintf(stderr, "run %d of %d done\n", run + 1, o.runs);
        }
    }
    for (int w = 0; w < N_WORKLOADS; w++) {
        for (int e = 0; e < N_ENGINES && wanted(&o, w); e++) {
            print_result(&o, &engines[e], w, &r[e][w]);
        }
    }
    for (int e = 0; e < N_ENGINES; e++) {
        char path[600];
        snprintf(path, sizeof path, "%s/%s.db", o.dir, engines[e].name);
        bench_remove_db(path);
    }
    rmdir(o.dir);
    return 0;
}
