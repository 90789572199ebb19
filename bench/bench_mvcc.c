/*
 * bench_mvcc.c - concurrent writers: the native engine's concurrent
 * transactions (SEALDB_TXN_CONCURRENT through sealdb_run, one sealdb_db
 * shared by every thread, group commit) against SQLite in WAL mode (one
 * connection per thread, BEGIN IMMEDIATE), in the same run:
 *
 *   disjoint  each transaction reads one row of the thread's own key range
 *             and writes it back with v = v + 1
 *   hot10     the same, but one transaction in ten picks its row from a
 *             hot set of HOT_ROWS rows that every thread shares
 *
 * each with 1, 2, 4 and 8 writer threads at durability FULL and NORMAL
 * (sealdb_options.sync; PRAGMA synchronous). A measurement runs the threads
 * for a fixed time and counts the commits that returned inside it, so a
 * thread still sleeping in SQLite's busy handler (or waiting for a group's
 * sync) when time is up adds nothing and takes no time.
 *
 * SQLite's side is a prepared BEGIN IMMEDIATE; SELECT v FROM t WHERE id=?;
 * UPDATE t SET v=? WHERE id=?; COMMIT with sqlite3_busy_timeout(5000): its
 * writers queue on the WAL write lock. The native side is sealdb_get and
 * sealdb_update of the same row (the whole row written back, as SQLite
 * rewrites its record) in a concurrent transaction that sealdb_run retries
 * on SEALDB_ECONFLICT.
 *
 * Engines: plain (the native engine on a plain file against stock SQLite
 * on a copy of it) and aegis256 in the hardened layout (native against
 * SQLite through the sealdb VFS, sealdb_sqlite_open, each on its own copy).
 * Both copies are made by SQLite with the same rows: t(id INTEGER PRIMARY
 * KEY, v INTEGER, pad TEXT), pad 100 characters, 4096-byte pages, WAL.
 * Each measurement opens its side, runs, and closes it (the close
 * checkpoints); the two sides of a measurement run back to back, in an
 * order that alternates run by run. Before each side opens, the scratch
 * file system is synced (syncfs, untimed), so that the write-back of what
 * the previous measurement wrote does not land in this one's fsyncs.
 *
 * Commits per second are medians over runs (min and max beside them);
 * ratio_to_baseline is the median over runs of native/SQLite in the same
 * run (>1: native faster). From sealdb_get_stats, summed over the runs: the
 * conflict rate conflicts / (commits + conflicts), the average group size
 * grouped / groups and WAL syncs per commit. Nothing here asserts a time.
 * The files live in a scratch directory removed at the end.
 *
 * With --turso SCRIPT (bench/node/bench_turso_mvcc.mjs, which bench/run
 * passes when Node.js and the Node peers are installed), each measurement
 * has a third side: Turso Database's concurrent transactions (BEGIN
 * CONCURRENT in its MVCC journal mode, a connection per worker thread in
 * one Node process, the same rows, transactions and durability) on a file
 * of its own, plain or aegis256 to match the engine. The three sides run
 * back to back in an order that rotates run by run, and each measurement
 * gets a second line with Turso as the baseline.
 *
 * Usage: bench_mvcc [--quick] [--json] [--runs N] [--rows N] [--seconds S]
 *                   [--engines plain,aegis256] [--turso SCRIPT] [--dir DIR]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_mvcc.h"
#include "bench_util.h"
#include "sealdb.h"

#define MAX_RUNS 50
#define MAX_THREADS 8
#define PAGE_SIZE 4096
#define PAD_BYTES 100
#define HOT_ROWS 8        /* the shared hot set: rows 1..HOT_ROWS */
#define HOT_ONE_IN 10     /* hot10: one transaction in ten goes to the hot set */
#define BUSY_TIMEOUT 5000 /* ms, SQLite's busy handler */

static const char *const bench_hex32 =
    "4213379901020304050607080910111213141516171819202122232425262728";

typedef struct engine {
    const char *name;   /* "mvcc-plain", "mvcc-aegis256" */
    const char *cipher; /* NULL: plain */
    const char *base;   /* the baseline's name */
    const char *turso;  /* the Turso side's name */
} engine;

static const engine engines[] = {
    {"mvcc-plain", NULL, "sqlite-wal-plain", "turso-concurrent-plain"},
    {"mvcc-aegis256", "aegis256", "sqlite-vfs-wal-aegis256", "turso-concurrent-aegis256"},
};
#define N_ENGINES 2

enum { W_DISJOINT, W_HOT10, N_WORKLOADS };
static const char *const workload_names[N_WORKLOADS] = {"disjoint", "hot10"};

enum { S_FULL, S_NORMAL, N_SYNCS };
static const char *const sync_names[N_SYNCS] = {"full", "normal"};
static const sealdb_sync sync_modes[N_SYNCS] = {SEALDB_SYNC_FULL, SEALDB_SYNC_NORMAL};
/* The targets: native/SQLite commits per second with TARGET_THREADS writers,
 * per durability; and the most conflicts per attempt on disjoint keys. */
static const double target_ratio[N_SYNCS] = {3.0, 1.5};
#define TARGET_THREADS 4
#define TARGET_CONFLICT_RATE 0.01

static const int thread_counts[] = {1, 2, 4, 8};
#define N_COUNTS 4

typedef struct result {
    double ops[MAX_RUNS], base[MAX_RUNS], turso[MAX_RUNS];
    int n;
    uint64_t turso_commits, turso_conflicts; /* Turso's side, summed over the runs */
    /* the native side, summed over the runs (sealdb_get_stats deltas) */
    uint64_t commits, conflicts, retries, groups, grouped, largest, wal_syncs;
    uint64_t gave_up, base_gave_up; /* transactions that ran out of attempts or busy time */
} result;

typedef struct options {
    int quick, json, runs;
    int use[N_ENGINES];
    int use_workload[N_WORKLOADS], use_sync[N_SYNCS], use_count[N_COUNTS];
    long rows;
    double seconds;
    char dir[440];
    const char *turso; /* the Node script of Turso's side, or NULL */
} options;

/* xorshift64: each thread has its own state. */
static uint64_t rnd(uint64_t *state, uint64_t n)
{
    return bench_xorshift(state) % n;
}

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "bench_mvcc: %s: %s\n", what, msg);
    exit(1);
}

static sealdb_sqlite_config keys_of(const engine *e)
{
    sealdb_sqlite_config k;
    memset(&k, 0, sizeof k);
    k.cipher = e->cipher;
    k.hexkey = bench_hex32;
    k.layout = SEALDB_LAYOUT_HARDENED;
    return k;
}

/* Flushes the file system that holds dir, so that a measurement does not
 * pay for the write-back of the one before it. */
static void settle(const char *dir)
{
    const int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || syncfs(fd) != 0) {
        die(dir, strerror(errno));
    }
    close(fd);
}

/* ---- one measurement: the threads and what they share ------------------------------------- */

typedef struct measure {
    int workload, threads;
    long rows;
    double seconds;
    pthread_barrier_t start; /* the threads begin together */
} measure;

typedef struct worker {
    measure *m;
    int id;
    uint64_t seed;
    sealdb_db *db; /* native side */
    sqlite3 *conn; /* SQLite side: this thread's connection and statements */
    sqlite3_stmt *begin, *select, *update, *commit;
    uint64_t in_window;  /* commits that returned before the thread's deadline */
    uint64_t all;        /* every commit, deadline or not */
    uint64_t gave_up;    /* out of attempts (native) or busy time (SQLite) */
    double began, ended; /* the thread's loop */
    char error[300];
} worker;

/* The row of the thread's next transaction: its own slice of rows
 * HOT_ROWS+1..rows, or for hot10 one time in HOT_ONE_IN a hot row. Both
 * sides seed thread i alike, so they draw the same rows in the same order. */
static int64_t pick_row(worker *w)
{
    const measure *m = w->m;
    if (m->workload == W_HOT10 && rnd(&w->seed, HOT_ONE_IN) == 0) {
        return 1 + (int64_t)rnd(&w->seed, HOT_ROWS);
    }
    const uint64_t span = (uint64_t)(m->rows - HOT_ROWS) / (uint64_t)m->threads;
    return HOT_ROWS + 1 + (int64_t)((uint64_t)w->id * span + rnd(&w->seed, span));
}

/* Runs body for the measurement's time; body returns 1 for a commit, 0 for a
 * transaction that gave up, -1 for an error (written to w->error). */
static void worker_loop(worker *w, int (*body)(worker *w, int64_t id))
{
    pthread_barrier_wait(&w->m->start);
    w->began = bench_now();
    const double deadline = w->began + w->m->seconds;
    for (;;) {
        const int got = body(w, pick_row(w));
        const double t = bench_now();
        if (got < 0) {
            break;
        }
        w->gave_up += got == 0;
        w->all += got == 1;
        w->in_window += got == 1 && t <= deadline;
        if (t > deadline) {
            w->ended = t;
            break;
        }
    }
}

/* Commits per second of the measurement: the commits inside the window over
 * its length. On a machine so slow that not one commit returned in time
 * (a --quick smoke test), every commit over the time the loops took. */
static double rate_of(const worker *ws, int n, double seconds)
{
    uint64_t in = 0, all = 0;
    double began = ws[0].began, ended = ws[0].ended;
    for (int i = 0; i < n; i++) {
        in += ws[i].in_window;
        all += ws[i].all;
        began = ws[i].began < began ? ws[i].began : began;
        ended = ws[i].ended > ended ? ws[i].ended : ended;
    }
    return in ? (double)in / seconds : (double)all / (ended - began);
}

static void run_threads(measure *m, worker *ws, void *(*fn)(void *))
{
    pthread_t th[MAX_THREADS];
    int rc = pthread_barrier_init(&m->start, NULL, (unsigned)m->threads);
    if (rc != 0) {
        die("pthread_barrier_init", strerror(rc));
    }
    for (int i = 0; i < m->threads; i++) {
        if ((rc = pthread_create(&th[i], NULL, fn, &ws[i])) != 0) {
            die("pthread_create", strerror(rc));
        }
    }
    for (int i = 0; i < m->threads; i++) {
        pthread_join(th[i], NULL);
    }
    pthread_barrier_destroy(&m->start);
    for (int i = 0; i < m->threads; i++) {
        if (ws[i].error[0]) {
            die("writer thread", ws[i].error);
        }
    }
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

/* Steps a statement that returns no row and resets it: SQLITE_DONE or the error. */
static int sql_step_done(sqlite3_stmt *st)
{
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc;
}

/* One transaction: 1 committed, 0 busy past the timeout, -1 an error. */
static int sql_bump(worker *w, int64_t id)
{
    int rc = sql_step_done(w->begin);
    if (rc == SQLITE_BUSY) {
        return 0;
    }
    if (rc == SQLITE_DONE) {
        sqlite3_bind_int64(w->select, 1, id);
        rc = sqlite3_step(w->select);
        const int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(w->select, 0) : 0;
        sqlite3_reset(w->select);
        if (rc == SQLITE_ROW) {
            sqlite3_bind_int64(w->update, 1, v + 1);
            sqlite3_bind_int64(w->update, 2, id);
            rc = sql_step_done(w->update);
        }
        if (rc == SQLITE_DONE && sqlite3_changes(w->conn) == 1) {
            rc = sql_step_done(w->commit);
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_NOTFOUND;
        }
    }
    if (rc == SQLITE_DONE) {
        return 1;
    }
    snprintf(w->error, sizeof w->error, "SQLite, row %lld: %s", (long long)id,
             sqlite3_errmsg(w->conn));
    if (!sqlite3_get_autocommit(w->conn)) {
        sqlite3_exec(w->conn, "ROLLBACK", NULL, NULL, NULL);
    }
    return -1;
}

static void *sql_worker(void *arg)
{
    worker_loop(arg, sql_bump);
    return NULL;
}

static double sql_measure(const engine *e, const char *path, measure *m, int sync, result *r)
{
    worker ws[MAX_THREADS];
    memset(ws, 0, sizeof ws);
    char pragmas[80];
    snprintf(pragmas, sizeof pragmas, "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s",
             sync == S_FULL ? "FULL" : "NORMAL");
    for (int i = 0; i < m->threads; i++) {
        worker *w = &ws[i];
        w->m = m;
        w->id = i;
        w->seed = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
        w->conn = sql_open(e, path);
        sql_exec(w->conn, pragmas);
        sqlite3_busy_timeout(w->conn, BUSY_TIMEOUT);
        w->begin = sql_prepare(w->conn, "BEGIN IMMEDIATE");
        w->select = sql_prepare(w->conn, "SELECT v FROM t WHERE id = ?");
        w->update = sql_prepare(w->conn, "UPDATE t SET v = ? WHERE id = ?");
        w->commit = sql_prepare(w->conn, "COMMIT");
    }
    run_threads(m, ws, sql_worker);
    for (int i = 0; i < m->threads; i++) {
        r->base_gave_up += ws[i].gave_up;
        sqlite3_finalize(ws[i].begin);
        sqlite3_finalize(ws[i].select);
        sqlite3_finalize(ws[i].update);
        sqlite3_finalize(ws[i].commit);
        sqlite3_close(ws[i].conn);
    }
    return rate_of(ws, m->threads, m->seconds);
}

/* ---- the native side ------------------------------------------------------------------------ */

typedef struct bump {
    int64_t id;
    sealdb_error err; /* what failed, when fn returns an error */
} bump;

/* sealdb_run's body: v = v + 1 on row b->id, the row written back whole. */
static int bump_row(sealdb_txn *t, void *arg)
{
    bump *b = arg;
    sealdb_table *tbl = NULL;
    sealdb_value v[3];
    char pad[PAD_BYTES];
    int rc = sealdb_table_find(t, "t", &tbl, &b->err);
    if (rc == SEALDB_OK) {
        rc = sealdb_get(t, tbl, b->id, v, 3, &b->err);
    }
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (v[1].type != SEALDB_INTEGER || v[2].type != SEALDB_TEXT || v[2].n != PAD_BYTES) {
        snprintf(b->err.message, sizeof b->err.message, "row %lld is not (v, 100-byte pad)",
                 (long long)b->id);
        return SEALDB_ECORRUPT;
    }
    memcpy(pad, v[2].p, PAD_BYTES); /* values die at the next call */
    const sealdb_value row[3] = {
        {.type = SEALDB_INTEGER, .i = b->id},
        {.type = SEALDB_INTEGER, .i = v[1].i + 1},
        {.type = SEALDB_TEXT, .n = PAD_BYTES, .p = (const uint8_t *)pad},
    };
    return sealdb_update(t, tbl, b->id, row, 3, &b->err);
}

/* One transaction: 1 committed, 0 out of attempts, -1 an error. */
static int native_bump(worker *w, int64_t id)
{
    bump b;
    memset(&b, 0, sizeof b);
    b.id = id;
    sealdb_error err;
    memset(&err, 0, sizeof err);
    const int rc = sealdb_run(w->db, SEALDB_TXN_CONCURRENT, 0, bump_row, &b, &err);
    if (rc == SEALDB_OK) {
        return 1;
    }
    if (rc == SEALDB_ECONFLICT) {
        return 0;
    }
    snprintf(w->error, sizeof w->error, "native, row %lld: %s", (long long)id,
             b.err.message[0] ? b.err.message : err.message);
    return -1;
}

static void *native_worker(void *arg)
{
    worker_loop(arg, native_bump);
    return NULL;
}

static double native_measure(const engine *e, const char *path, measure *m, int sync, result *r)
{
    sealdb_sqlite_config k = keys_of(e);
    sealdb_options opt;
    memset(&opt, 0, sizeof opt);
    opt.sync = sync_modes[sync];
    sealdb_db *db = NULL;
    sealdb_error err;
    if (sealdb_open(path, e->cipher ? &k : NULL, &opt, &db, &err) != SEALDB_OK) {
        die(path, err.message);
    }
    worker ws[MAX_THREADS];
    memset(ws, 0, sizeof ws);
    for (int i = 0; i < m->threads; i++) {
        ws[i].m = m;
        ws[i].id = i;
        ws[i].seed = 0x9e3779b97f4a7c15ull * (uint64_t)(i + 1);
        ws[i].db = db;
    }
    sealdb_stats before, after;
    sealdb_get_stats(db, &before);
    run_threads(m, ws, native_worker);
    sealdb_get_stats(db, &after);
    r->commits += after.txn_commits - before.txn_commits;
    r->conflicts += (after.conflicts_write - before.conflicts_write) +
                    (after.conflicts_read - before.conflicts_read) +
                    (after.conflicts_schema - before.conflicts_schema);
    r->retries += after.retries - before.retries;
    r->groups += after.groups - before.groups;
    r->grouped += after.grouped - before.grouped;
    r->wal_syncs += after.wal_syncs - before.wal_syncs;
    r->largest = after.largest_group > r->largest ? after.largest_group : r->largest;
    for (int i = 0; i < m->threads; i++) {
        r->gave_up += ws[i].gave_up;
    }
    if (sealdb_close(db, &err) != SEALDB_OK) {
        die("close", err.message);
    }
    return rate_of(ws, m->threads, m->seconds);
}

/* Turso's side: one invocation of the Node script, which makes its own
 * file (Turso's MVCC journal mode) and prints the commits and conflicts of
 * its worker threads. A failure of the peer (its message is on stderr)
 * turns Turso's side off for the rest of the program: its lines are left
 * out, the native and SQLite ones stand. Returns 0 then. */
static double turso_measure(options *o, const engine *e, const measure *m, int s, result *r)
{
    char cmd[1600];
    snprintf(cmd, sizeof cmd,
             "node '%s' --db '%s/turso.db' --threads %d --seconds %.3f --sync %s --workload %s "
             "--rows %ld --hot-rows %d --hot-share %.2f%s%s%s%s",
             o->turso, o->dir, m->threads, m->seconds, sync_names[s], workload_names[m->workload],
             m->rows, HOT_ROWS, 1.0 / HOT_ONE_IN, e->cipher ? " --cipher " : "",
             e->cipher ? e->cipher : "", e->cipher ? " --hexkey " : "",
             e->cipher ? bench_hex32 : "");
    FILE *f = popen(cmd, "r");
    char line[300] = "";
    const int got = f && fgets(line, sizeof line, f) != NULL;
    const int status = f ? pclose(f) : -1;
    unsigned long long commits = 0, conflicts = 0;
    double seconds = 0;
    if (!got || status != 0 ||
        sscanf(line, "{\"commits\":%llu,\"conflicts\":%llu,\"seconds\":%lf", &commits, &conflicts,
               &seconds) != 3 ||
        seconds <= 0) {
        fprintf(stderr,
                "bench_mvcc: Turso's side failed (%s, %s, %d threads): no Turso lines in "
                "this report\n",
                workload_names[m->workload], sync_names[s], m->threads);
        o->turso = NULL;
        return 0;
    }
    r->turso_commits += commits;
    r->turso_conflicts += conflicts;
    return (double)commits / seconds;
}

/* ---- runs ------------------------------------------------------------------------------------ */

static void row_pad(long i, char *pad)
{
    static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    for (int k = 0; k < PAD_BYTES; k++) {
        pad[k] = alpha[(i * 31 + k * 7) % 36];
    }
}

/* A file of `rows` rows made by SQLite (the VFS for sealed): v = 0. */
static void make_db(const engine *e, const char *path, long rows)
{
    bench_remove_db(path);
    sqlite3 *db = sql_open(e, path);
    char sql[120];
    snprintf(sql, sizeof sql, "PRAGMA page_size=%d; PRAGMA journal_mode=WAL", PAGE_SIZE);
    sql_exec(db, sql);
    sql_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER, pad TEXT)");
    sql_exec(db, "BEGIN");
    sqlite3_stmt *st = sql_prepare(db, "INSERT INTO t(id, v, pad) VALUES(?, 0, ?)");
    char pad[PAD_BYTES];
    for (long i = 1; i <= rows; i++) {
        row_pad(i, pad);
        sqlite3_bind_int64(st, 1, i);
        sqlite3_bind_text(st, 2, pad, PAD_BYTES, SQLITE_STATIC);
        if (sql_step_done(st) != SQLITE_DONE) {
            die("insert", sqlite3_errmsg(db));
        }
    }
    sqlite3_finalize(st);
    sql_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)");
    sqlite3_close(db);
}

static void path_of(const options *o, const char *name, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s.db", o->dir, name);
}

static double rate(uint64_t part, uint64_t commits)
{
    return commits + part ? (double)part / (double)(commits + part) : 0;
}

/* One line: the native side against one baseline (SQLite's, the targets'
 * baseline, or Turso's). */
static void print_line(const options *o, const engine *e, int w, int s, int threads,
                       const result *r, const char *base_name, const double *base,
                       double base_conflict_rate, int sqlite)
{
    double mn, mx, rmn, rmx, bmn, bmx;
    const double med = bench_median(r->ops, r->n, &mn, &mx);
    double ratio[MAX_RUNS];
    for (int i = 0; i < r->n; i++) {
        ratio[i] = base[i] > 0 ? r->ops[i] / base[i] : 0;
    }
    const double rmed = bench_median(ratio, r->n, &rmn, &rmx);
    const double bmed = bench_median(base, r->n, &bmn, &bmx);
    const double conflict_rate = rate(r->conflicts, r->commits);
    const double avg_group = r->groups ? (double)r->grouped / (double)r->groups : 0;
    const double syncs_per_commit = r->commits ? (double)r->wal_syncs / (double)r->commits : 0;
    const int has_ratio_target = sqlite && threads == TARGET_THREADS;
    const int has_conflict_target = sqlite && w == W_DISJOINT;
    char targets[200] = "";
    if (o->json) {
        int used = 0;
        if (has_ratio_target) {
            used = snprintf(targets, sizeof targets, ",\"target_ratio\":%.1f,\"target_met\":%s",
                            target_ratio[s], rmed >= target_ratio[s] ? "true" : "false");
        }
        if (has_conflict_target) {
            snprintf(targets + used, sizeof targets - (size_t)used,
                     ",\"target_conflict_rate\":%.2f,\"conflict_target_met\":%s",
                     TARGET_CONFLICT_RATE, conflict_rate < TARGET_CONFLICT_RATE ? "true" : "false");
        }
        printf("{\"suite\":\"mvcc\",\"engine\":\"%s\",\"workload\":\"%s\",\"sync\":\"%s\","
               "\"threads\":%d,\"ops_per_s\":%.0f,\"runs\":%d,\"min\":%.0f,\"max\":%.0f,"
               "\"ratio_to_baseline\":%.4f,\"ratio_min\":%.4f,\"ratio_max\":%.4f,"
               "\"baseline\":\"%s\",\"baseline_ops_per_s\":%.0f,\"baseline_min\":%.0f,"
               "\"baseline_max\":%.0f,\"txn_commits\":%llu,\"conflicts\":%llu,"
               "\"conflict_rate\":%.5f,\"retries\":%llu,\"gave_up\":%llu,"
               "\"baseline_gave_up\":%llu,\"groups\":%llu,\"grouped\":%llu,\"avg_group\":%.3f,"
               "\"largest_group\":%llu,\"wal_syncs\":%llu,\"wal_syncs_per_commit\":%.4f,"
               "\"baseline_conflict_rate\":%.5f,\"rows\":%ld,\"seconds\":%.3f,"
               "\"layout\":\"%s\"%s}\n",
               e->name, workload_names[w], sync_names[s], threads, med, r->n, mn, mx, rmed, rmn,
               rmx, base_name, bmed, bmn, bmx, (unsigned long long)r->commits,
               (unsigned long long)r->conflicts, conflict_rate, (unsigned long long)r->retries,
               (unsigned long long)r->gave_up, (unsigned long long)r->base_gave_up,
               (unsigned long long)r->groups, (unsigned long long)r->grouped, avg_group,
               (unsigned long long)r->largest, (unsigned long long)r->wal_syncs, syncs_per_commit,
               base_conflict_rate, o->rows, o->seconds, e->cipher ? "hardened" : "plain", targets);
    } else {
        if (has_ratio_target) {
            snprintf(targets, sizeof targets, "  target >= %.1fx: %s", target_ratio[s],
                     rmed >= target_ratio[s] ? "met" : "not met");
        }
        printf("%-8s %-6s %d thr  %-14s %9.0f/s  %-24s %9.0f/s  ratio %6.3f (%.3f-%.3f)  "
               "conflicts %.2f%%  group %.2f  syncs/commit %.3f%s\n",
               workload_names[w], sync_names[s], threads, e->name, med, base_name, bmed, rmed, rmn,
               rmx, conflict_rate * 100, avg_group, syncs_per_commit, targets);
    }
}

static void print_result(const options *o, const engine *e, int w, int s, int threads,
                         const result *r)
{
    print_line(o, e, w, s, threads, r, e->base, r->base, 0, 1);
    if (o->turso) {
        print_line(o, e, w, s, threads, r, e->turso, r->turso,
                   rate(r->turso_conflicts, r->turso_commits), 0);
    }
}

static const char usage_text[] =
    "usage: %s [--quick] [--json] [--runs N] [--rows N] [--seconds S]\n"
    "          [--engines plain,aegis256] [--workloads disjoint,hot10]\n"
    "          [--sync full,normal] [--threads 1,2,4,8] [--turso SCRIPT] [--dir DIR]\n"
    "  Commits per second of 1, 2, 4 and 8 writer threads: the native engine's\n"
    "  concurrent transactions (one shared handle, sealdb_run) against SQLite in\n"
    "  WAL mode (a connection per thread, BEGIN IMMEDIATE), each on its own copy\n"
    "  of the same rows; workloads disjoint and hot10, durability FULL and NORMAL.\n"
    "  --quick       2,000 rows, 0.05 s per measurement, 1 run (a smoke test)\n"
    "  --json        JSON lines (a settings line first) instead of a table\n"
    "  --runs N      runs, median reported (default 5)\n"
    "  --rows N      rows in the table (default 10000)\n"
    "  --seconds S   length of one measurement (default 1)\n"
    "  --engines L   plain and/or aegis256 (default both)\n"
    "  --workloads L disjoint and/or hot10 (default both)\n"
    "  --sync L      full and/or normal (default both)\n"
    "  --threads L   some of 1,2,4,8 writer threads (default all)\n"
    "  --turso S     also Turso's BEGIN CONCURRENT, through the Node script S\n"
    "                (bench/node/bench_turso_mvcc.mjs)\n"
    "  --dir DIR     scratch directory (default $TMPDIR or /tmp)\n";

/* Marks in use[] the names of the comma-separated list arg (each one of
 * names[0..n-1]); 0 with a message for a name not among them or an empty
 * list. */
static int parse_list(const char *prog, const char *opt, const char *arg, const char *const *names,
                      int n, int *use)
{
    char list[200];
    snprintf(list, sizeof list, "%s", arg);
    char *save = NULL;
    int any = 0;
    for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        int found = 0;
        for (int i = 0; i < n && !found; i++) {
            if (!strcmp(name, names[i])) {
                use[i] = found = any = 1;
            }
        }
        if (!found) {
            fprintf(stderr, "%s: %s does not take '%s'; it takes", prog, opt, name);
            for (int i = 0; i < n; i++) {
                fprintf(stderr, "%s %s", i ? "," : "", names[i]);
            }
            fprintf(stderr, "\n");
            return 0;
        }
    }
    if (!any) {
        fprintf(stderr, "%s: %s needs at least one name\n", prog, opt);
    }
    return any;
}

int bench_mvcc_main(int argc, char **argv)
{
    options o;
    memset(&o, 0, sizeof o);
    const char *env = getenv("TMPDIR");
    const char *engine_list = "plain,aegis256", *workload_list = "disjoint,hot10";
    const char *sync_list = "full,normal", *count_list = "1,2,4,8";
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
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            o.seconds = atof(argv[++i]);
            if (!(o.seconds >= 0.01 && o.seconds <= 60)) {
                fprintf(stderr, "%s: --seconds needs a number from 0.01 to 60\n", argv[0]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--turso") && i + 1 < argc) {
            o.turso = argv[++i];
        } else if (!strcmp(argv[i], "--engines") && i + 1 < argc) {
            engine_list = argv[++i];
        } else if (!strcmp(argv[i], "--workloads") && i + 1 < argc) {
            workload_list = argv[++i];
        } else if (!strcmp(argv[i], "--sync") && i + 1 < argc) {
            sync_list = argv[++i];
        } else if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            count_list = argv[++i];
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
    static const char *const engine_opts[N_ENGINES] = {"plain", "aegis256"};
    static const char *const count_opts[N_COUNTS] = {"1", "2", "4", "8"};
    if (!parse_list(argv[0], "--engines", engine_list, engine_opts, N_ENGINES, o.use) ||
        !parse_list(argv[0], "--workloads", workload_list, workload_names, N_WORKLOADS,
                    o.use_workload) ||
        !parse_list(argv[0], "--sync", sync_list, sync_names, N_SYNCS, o.use_sync) ||
        !parse_list(argv[0], "--threads", count_list, count_opts, N_COUNTS, o.use_count)) {
        return 2;
    }
    if (!o.runs) {
        o.runs = o.quick ? 1 : 5;
    }
    if (!o.rows) {
        o.rows = o.quick ? 2000 : 10000;
    }
    if (o.seconds == 0) {
        o.seconds = o.quick ? 0.05 : 1.0;
    }
    snprintf(o.dir, sizeof o.dir, "%s/sealdb-bench-mvcc-XXXXXX", base);
    if (!mkdtemp(o.dir)) {
        fprintf(stderr, "%s: cannot make a directory in %s: %s\n", argv[0], base, strerror(errno));
        return 1;
    }
    if (o.json) {
        char counts[40] = "";
        for (int c = 0, at = 0; c < N_COUNTS; c++) {
            if (o.use_count[c]) {
                at += snprintf(counts + at, sizeof counts - (size_t)at, "%s%d", at ? "," : "",
                               thread_counts[c]);
            }
        }
        printf("{\"suite\":\"mvcc\",\"op\":\"settings\",\"program\":\"bench_mvcc\","
               "\"quick\":%s,\"runs\":%d,\"rows\":%ld,\"pad_bytes\":%d,\"page_size\":%d,"
               "\"seconds\":%.3f,\"threads\":[%s],\"hot_rows\":%d,\"hot_share\":%.2f,"
               "\"journal_mode\":\"wal\",\"sqlite_txn\":\"BEGIN IMMEDIATE\","
               "\"busy_timeout_ms\":%d,\"native_txn\":\"SEALDB_TXN_CONCURRENT via sealdb_run\","
               "\"cpus\":%ld,\"sqlite_version\":\"%s\",\"turso_txn\":\"%s\","
               "\"ratio\":\"median over runs of native/baseline commits per second in the "
               "same run, each on its own copy\"}\n",
               o.quick ? "true" : "false", o.runs, o.rows, PAD_BYTES, PAGE_SIZE, o.seconds, counts,
               HOT_ROWS, 1.0 / HOT_ONE_IN, BUSY_TIMEOUT, sysconf(_SC_NPROCESSORS_ONLN),
               sqlite3_libversion(),
               o.turso ? "BEGIN CONCURRENT in journal_mode mvcc, a connection per worker "
                         "thread in one Node process, retried on conflict"
                       : "not measured");
    }
    static result r[N_ENGINES][N_WORKLOADS][N_SYNCS][N_COUNTS];
    for (int e = 0; e < N_ENGINES; e++) {
        char path[600];
        if (!o.use[e]) {
            continue;
        }
        path_of(&o, engines[e].name, path, sizeof path);
        make_db(&engines[e], path, o.rows);
        path_of(&o, engines[e].base, path, sizeof path);
        make_db(&engines[e], path, o.rows);
    }
    for (int run = 0; run < o.runs; run++) {
        for (int e = 0; e < N_ENGINES; e++) {
            char native_path[600], sql_path[600];
            if (!o.use[e]) {
                continue;
            }
            path_of(&o, engines[e].name, native_path, sizeof native_path);
            path_of(&o, engines[e].base, sql_path, sizeof sql_path);
            for (int w = 0; w < N_WORKLOADS; w++) {
                for (int s = 0; s < N_SYNCS; s++) {
                    for (int c = 0; c < N_COUNTS; c++) {
                        if (!o.use_workload[w] || !o.use_sync[s] || !o.use_count[c]) {
                            continue;
                        }
                        result *res = &r[e][w][s][c];
                        measure m = {.workload = w,
                                     .threads = thread_counts[c],
                                     .rows = o.rows,
                                     .seconds = o.seconds};
                        const int sides = o.turso ? 3 : 2; /* Turso's side can turn off */
                        for (int k = 0; k < sides; k++) {
                            /* the order of the sides rotates run by run */
                            const int side = (k + run) % sides;
                            settle(o.dir);
                            if (side == 0) {
                                res->ops[run] =
                                    native_measure(&engines[e], native_path, &m, s, res);
                            } else if (side == 1) {
                                res->base[run] = sql_measure(&engines[e], sql_path, &m, s, res);
                            } else {
                                res->turso[run] = turso_measure(&o, &engines[e], &m, s, res);
                            }
                        }
                        res->n = run + 1;
                    }
                }
            }
        }
        if (!o.json) {
            fprintf(stderr, "run %d of %d done\n", run + 1, o.runs);
        }
    }
    for (int e = 0; e < N_ENGINES; e++) {
        for (int w = 0; w < N_WORKLOADS && o.use[e]; w++) {
            for (int s = 0; s < N_SYNCS; s++) {
                for (int c = 0; c < N_COUNTS; c++) {
                    if (r[e][w][s][c].n == 0) {
                        continue; /* not measured (--workloads, --sync, --threads) */
                    }
                    print_result(&o, &engines[e], w, s, thread_counts[c], &r[e][w][s][c]);
                }
            }
        }
    }
    for (int e = 0; e < N_ENGINES; e++) {
        char path[600];
        path_of(&o, engines[e].name, path, sizeof path);
        bench_remove_db(path);
        path_of(&o, engines[e].base, path, sizeof path);
        bench_remove_db(path);
    }
    rmdir(o.dir);
    return 0;
}
