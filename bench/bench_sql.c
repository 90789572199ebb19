/*
 * bench_sql.c - SQL throughput on sealed databases against plain SQLite,
 * `sealdb bench sql`.
 *
 * The same SQLite library runs the same workload on a plain database (the
 * baseline) and on sealed ones through the sealdb VFS, in one process, with
 * the engines interleaved run by run so that machine noise hits all alike:
 *
 *   bulk    insert N rows (integer key, integer, 100-byte text) in
 *           transactions of 10,000 into an empty database
 *   lookup  random point lookups by primary key with SQLite's page cache
 *           limited to about 2 MB, so that most lookups read (and unseal)
 *           a page from the OS cache
 *
 * Settings for all engines: 4096-byte pages, WAL, synchronous=NORMAL.
 * Reported per engine and workload: operations per second (median, min and
 * max of the runs) and the ratio to plain SQLite's median in the same run.
 * With --json, one object per line:
 *   {"suite":"sql","engine":"sealdb-aegis128l","workload":"lookup",
 *    "ops_per_s":...,"runs":5,"min":...,"max":...,"ratio_to_baseline":0.93}
 */
#include "bench_sql.h"
#include "bench_util.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sealdb.h"

#define MAX_RUNS 50
#define MAX_ENGINES 12

typedef struct engine {
    const char *name;   /* "plain" or "sealdb-<cipher>" */
    const char *cipher; /* NULL for plain */
    double ops[2][MAX_RUNS];
} engine;

typedef struct settings {
    int rows;
    int lookups;
    int runs;
    int json;
    char dir[256];
} settings;

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int check(sqlite3 *db, int rc, const char *what)
{
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "bench sql: %s failed: %s\n", what, sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

static sqlite3 *open_engine(const engine *e, const char *path)
{
    sqlite3 *db = NULL;
    if (!e->cipher) {
        if (sqlite3_open(path, &db) != SQLITE_OK) {
            fprintf(stderr, "bench sql: cannot open %s\n", path);
            sqlite3_close(db);
            return NULL;
        }
        return db;
    }
    /* a fixed benchmark key: these files are scratch data */
    sealdb_cipher_id id;
    if (sealdb_cipher_lookup(e->cipher, &id, NULL) != SEALDB_OK) {
        return NULL;
    }
    uint8_t key[32];
    for (int i = 0; i < 32; i++) {
        key[i] = (uint8_t)(i * 13 + 7);
    }
    sealdb_sqlite_config cfg = {
        .cipher = e->cipher, .key = key, .key_len = sealdb_cipher_key_bytes(id)};
    sealdb_error err;
    if (sealdb_sqlite_open(path, &cfg, &db, &err) != SEALDB_OK) {
        fprintf(stderr, "bench sql: %s\n", err.message);
        return NULL;
    }
    return db;
}

static void remove_db(const char *path)
{
    char p[600];
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
}

/* Loads the table; returns rows per second, or -1. */
static double run_bulk(const engine *e, const settings *s, const char *path)
{
    remove_db(path);
    sqlite3 *db = open_engine(e, path);
    if (!db) {
        return -1;
    }
    sqlite3_stmt *ins = NULL;
    char text[101];
    memset(text, 'x', 100);
    text[100] = '\0';
    if (check(db,
              sqlite3_exec(db,
                           "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                           "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER, s TEXT)",
                           NULL, NULL, NULL),
              "setup") ||
        check(db, sqlite3_prepare_v2(db, "INSERT INTO t VALUES(?, ?, ?)", -1, &ins, NULL),
              "prepare")) {
        sqlite3_close(db);
        return -1;
    }
    uint64_t r = 42;
    const double t0 = bench_now();
    int rc = SQLITE_OK;
    for (int i = 1; i <= s->rows && rc == SQLITE_OK; i++) {
        if (i % 10000 == 1) {
            rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
        }
        const uint64_t x = rng_next(&r);
        for (int k = 0; k < 8; k++) {
            text[k] = (char)('a' + (x >> (5 * k)) % 26); /* rows differ */
        }
        sqlite3_bind_int(ins, 1, i);
        sqlite3_bind_int64(ins, 2, (sqlite3_int64)(x >> 1));
        sqlite3_bind_text(ins, 3, text, 100, SQLITE_STATIC);
        rc = sqlite3_step(ins) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(ins);
        if (rc == SQLITE_OK && (i % 10000 == 0 || i == s->rows)) {
            rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        }
    }
    const double t = bench_now() - t0;
    check(db, rc, "insert");
    sqlite3_finalize(ins);
    sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(db);
    return rc == SQLITE_OK ? s->rows / t : -1;
}

/* Random point lookups with a 2 MB page cache; lookups per second, or -1. */
static double run_lookup(const engine *e, const settings *s, const char *path, int run)
{
    sqlite3 *db = open_engine(e, path);
    if (!db) {
        return -1;
    }
    sqlite3_stmt *q = NULL;
    if (check(db, sqlite3_exec(db, "PRAGMA cache_size=-2000", NULL, NULL, NULL), "cache") ||
        check(db, sqlite3_prepare_v2(db, "SELECT v, s FROM t WHERE id = ?", -1, &q, NULL),
              "prepare")) {
        sqlite3_close(db);
        return -1;
    }
    uint64_t r = 1000 + (uint64_t)run; /* same keys for every engine in a run */
    volatile int64_t sink = 0;
    int found = 0;
    const double t0 = bench_now();
    for (int i = 0; i < s->lookups; i++) {
        sqlite3_bind_int(q, 1, (int)(rng_next(&r) % (uint64_t)s->rows) + 1);
        if (sqlite3_step(q) == SQLITE_ROW) {
            sink += sqlite3_column_int64(q, 0) + sqlite3_column_bytes(q, 1);
            found++;
        }
        sqlite3_reset(q);
    }
    const double t = bench_now() - t0;
    (void)sink;
    sqlite3_finalize(q);
    sqlite3_close(db);
    if (found != s->lookups) {
        fprintf(stderr, "bench sql: %s found %d of %d rows\n", e->name, found, s->lookups);
        return -1;
    }
    return s->lookups / t;
}

static int compare_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(const double *v, int n, double *min, double *max)
{
    double sorted[MAX_RUNS];
    memcpy(sorted, v, sizeof(double) * (size_t)n);
    qsort(sorted, (size_t)n, sizeof(double), compare_double);
    *min = sorted[0];
    *max = sorted[n - 1];
    return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

static const char usage_text[] =
    "usage: sealdb bench sql [--quick] [--json] [--rows N] [--lookups N] [--runs N]\n"
    "  Plain SQLite against sealed databases (aegis128l, aegis256, aes256gcm, aes128gcm)\n"
    "  through the sealdb VFS, same SQLite, same process, engines interleaved.\n"
    "  --rows N     rows in the table (default 1000000; --quick 200000)\n"
    "  --lookups N  point lookups per run (default 200000; --quick 50000)\n"
    "  --runs N     runs per engine and workload, median reported (default 5; --quick 3)\n"
    "  --json       JSON lines instead of a table\n";

int bench_sql_main(int argc, char **argv)
{
    settings s = {.rows = 1000000, .lookups = 200000, .runs = 5};
    int quick = 0, rows = 0, lookups = 0, runs = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int *target = !strcmp(a, "--rows")      ? &rows
                      : !strcmp(a, "--lookups") ? &lookups
                      : !strcmp(a, "--runs")    ? &runs
                                                : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            return 0;
        } else if (!strcmp(a, "--quick")) {
            quick = 1;
        } else if (!strcmp(a, "--json")) {
            s.json = 1;
        } else if (target && i + 1 < argc && atoi(argv[i + 1]) > 0) {
            *target = atoi(argv[++i]);
        } else {
            fprintf(stderr, "bench sql: bad argument '%s'\n%s", a, usage_text);
            return 2;
        }
    }
    if (quick) {
        s.rows = 200000;
        s.lookups = 50000;
        s.runs = 3;
    }
    s.rows = rows ? rows : s.rows;
    s.lookups = lookups ? lookups : s.lookups;
    s.runs = runs ? (runs > MAX_RUNS ? MAX_RUNS : runs) : s.runs;
    const char *tmp = getenv("TMPDIR");
    snprintf(s.dir, sizeof s.dir, "%s/sealdb-bench-sql-XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(s.dir)) {
        perror("bench sql: mkdtemp");
        return 1;
    }
    engine engines[] = {{"plain", NULL, {{0}}},
                        {"sealdb-aegis128l", "aegis128l", {{0}}},
                        {"sealdb-aegis256", "aegis256", {{0}}},
                        {"sealdb-aes128gcm", "aes128gcm", {{0}}},
                        {"sealdb-aes256gcm", "aes256gcm", {{0}}}};
    const int n = (int)(sizeof engines / sizeof engines[0]);
    if (!s.json) {
        printf("sealdb %s SQL benchmark | SQLite %s | %d rows, %d lookups, %d runs (median) | "
               "4096-byte pages, WAL, synchronous=NORMAL, lookup cache 2 MB\n",
               sealdb_version(), sqlite3_libversion(), s.rows, s.lookups, s.runs);
    }
    int failed = 0;
    for (int run = 0; run < s.runs && !failed; run++) {
        for (int e = 0; e < n && !failed; e++) {
            char path[400];
            snprintf(path, sizeof path, "%s/%s.db", s.dir, engines[e].name);
            engines[e].ops[0][run] = run_bulk(&engines[e], &s, path);
            engines[e].ops[1][run] = run_lookup(&engines[e], &s, path, run);
            failed = engines[e].ops[0][run] < 0 || engines[e].ops[1][run] < 0;
        }
    }
    for (int e = 0; e < n; e++) {
        char path[400];
        snprintf(path, sizeof path, "%s/%s.db", s.dir, engines[e].name);
        remove_db(path);
    }
    rmdir(s.dir);
    if (failed) {
        return 1;
    }
    const char *workloads[] = {"bulk", "lookup"};
    if (!s.json) {
        printf("%-18s %-8s %14s %14s %14s %10s\n", "engine", "workload", "ops/s median", "min",
               "max", "x plain");
    }
    for (int w = 0; w < 2; w++) {
        double bmin, bmax;
        const double base = median_of(engines[0].ops[w], s.runs, &bmin, &bmax);
        for (int e = 0; e < n; e++) {
            double mn, mx;
            const double med = median_of(engines[e].ops[w], s.runs, &mn, &mx);
            if (s.json) {
                printf("{\"suite\":\"sql\",\"engine\":\"%s\",\"workload\":\"%s\","
                       "\"ops_per_s\":%.0f,\"runs\":%d,\"min\":%.0f,\"max\":%.0f,"
                       "\"ratio_to_baseline\":%.3f,\"rows\":%d}\n",
                       engines[e].name, workloads[w], med, s.runs, mn, mx, med / base, s.rows);
            } else {
                printf("%-18s %-8s %14.0f %14.0f %14.0f %10.3f\n", engines[e].name, workloads[w],
                       med, mn, mx, med / base);
            }
        }
    }
    return 0;
}
