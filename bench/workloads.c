/*
 * workloads.c - the workload benchmark's driver and its nine workloads,
 * written against the plain sqlite3 API (options and output: workloads.h).
 *
 * Schema and data, the same for every engine: CREATE TABLE t(id INTEGER
 * PRIMARY KEY, a INTEGER, b TEXT). Row i (1..rows) is a pure function of i
 * and a fixed seed: a is a 31-bit random integer, b 100 random characters
 * from a 64-symbol alphabet (100 bytes). Every connection sets, after the
 * engine's key pragmas: page_size=4096, journal_mode=WAL,
 * synchronous=NORMAL (FULL for write_full) and a cache size; everything else
 * stays at the library's default (wal_autocheckpoint=1000, mmap_size=0).
 *
 *   bulk          rows INSERTs in transactions of 10,000 into a new file,
 *                 cache 256 MiB; auto-checkpoints count, the final
 *                 wal_checkpoint(TRUNCATE) does not; the rows of a
 *                 transaction are generated before its clock starts
 *   scan_full     SELECT sum(a), sum(length(b)), count(*) FROM t on a fresh
 *                 connection (cache 2 MB): every page is read and unsealed
 *                 once; rows per second
 *   warm          lookups SELECT a, b FROM t WHERE id=? with random ids, after
 *                 an untimed full scan has put the whole table in a 256 MiB
 *                 cache: no page is read or unsealed while timed
 *   cold          the same lookups on a fresh connection with cache_size
 *                 -2000 (about 2 MB, 500 pages of a ~28,000-page table): most
 *                 lookups read and unseal a leaf page from the OS cache
 *   cold_os       as cold, fewer lookups, after the file was dropped from the
 *                 OS page cache (fdatasync + posix_fadvise DONTNEED, else
 *                 /proc/sys/vm/drop_caches as root), checked with mincore;
 *                 skipped, with the reason, when the cache cannot be dropped
 *   scan_range    range sums over 1% of the keys (id BETWEEN x AND x+n-1) at
 *                 random starts, cache 2 MB; rows per second
 *   mix           90% lookups, 10% UPDATE t SET a=a+1 WHERE id=?, in
 *                 transactions of 100, cache 2 MB; operations per second
 *   write_normal  one UPDATE per transaction, synchronous=NORMAL (in WAL mode
 *                 no fsync per commit, only at checkpoints), capped in time
 *   write_full    the same at synchronous=FULL (an fsync of the WAL per
 *                 commit), capped in time
 *
 * Before every workload but bulk and cold_os the whole file is read once so
 * the OS cache is warm whatever ran before. Lookup and update ids come from
 * a seed that depends on the run only, so every engine in a run sees the
 * same ids in the same order.
 *
 * Method. Runs interleave the engines: in run r each workload runs on every
 * engine back to back, in an order rotated by r, each engine on its own file
 * that its bulk load made fresh at the start of the run. The runs of one
 * workload on all engines are thus seconds apart, and drift of a noisy
 * machine hits them alike. Each workload of each engine and run executes in
 * a child process (fork), which gives a per-engine peak memory: the child's
 * peak resident set (wait4 ru_maxrss, which includes the ~2-5 MB of the
 * program itself) and SQLite's own heap high-water mark
 * (sqlite3_memory_highwater, which misses memory allocated outside SQLite's
 * allocator). Reported per engine and workload: the median, min and max over
 * runs of operations per second, and the median (min, max) over runs of the
 * ratio to the baseline engine measured in the same run.
 *
 * Checks (a failure stops the benchmark with exit status 1): every lookup
 * finds its row and a 100-byte b; scans return the expected sums and counts;
 * each UPDATE changes one row; the file of an encrypted engine does not
 * contain row 1's text after the load, and a plain engine's does; the
 * database really uses 4096-byte pages and WAL.
 */
#define _GNU_SOURCE

#include "workloads.h"
#include "bench_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 50
#define MAX_ENGINES 64
#define PAGE_SIZE 4096
#define BIG_CACHE_KB 262144L /* 256 MiB: holds the whole 1M-row table */
#define SMALL_CACHE_KB 2000L /* SQLite's default, about 500 pages */
#define BULK_TX_ROWS 10000
#define MIX_TX_OPS 100
#define TEXT_BYTES 100
#define DATA_SEED 0x5ea1db0000000042ull
#define RUN_SEED 1000u
#define RESIDENT_LIMIT 0.10 /* cold_os needs at most 10% of the file cached */

enum {
    W_BULK,
    W_WARM,
    W_COLD,
    W_COLD_OS,
    W_SCAN_FULL,
    W_SCAN_RANGE,
    W_WRITE_NORMAL,
    W_WRITE_FULL,
    W_MIX
};

const char *const wl_workload_names[WL_NUM_WORKLOADS] = {"bulk",         "warm",       "cold",
                                                         "cold_os",      "scan_full",  "scan_range",
                                                         "write_normal", "write_full", "mix"};

/* The order workloads execute in for one engine and run: the load first,
 * the scan on the freshly loaded file, reads before writes. */
static const int exec_order[WL_NUM_WORKLOADS] = {W_BULK, W_SCAN_FULL,    W_WARM,
                                                 W_COLD, W_COLD_OS,      W_SCAN_RANGE,
                                                 W_MIX,  W_WRITE_NORMAL, W_WRITE_FULL};

typedef struct settings {
    long rows;
    long lookups;
    long cold_os_lookups;
    long ranges;
    long range_rows;
    long write_normal_tx;
    long write_full_tx;
    long mix_ops;
    double write_cap_s;
    int runs;
    int json;
    int quick;
    int all;
    const char *engines_arg;
    const char *workloads_arg;
    int want[WL_NUM_WORKLOADS];
    char dir[512];
} settings;

/* What a child reports back through its pipe. */
enum { OUT_OK, OUT_FAILED, OUT_SKIPPED };
typedef struct outcome {
    int status;
    double ops_per_s;
    long long sqlite_heap;
    long long file_bytes;
    char note[200];
} outcome;

/* One engine and workload over all runs. */
typedef struct cell {
    double ops[MAX_RUNS];
    long peak_kb;
    long long heap;
    long long file_bytes;
    int skipped;
    char note[200];
} cell;

/* ---- small helpers ------------------------------------------------------ */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Row id's a and b (b: TEXT_BYTES characters, not terminated). */
static sqlite3_int64 make_row(long id, char *b)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint64_t s = DATA_SEED ^ ((uint64_t)id * 0xd1b54a32d192ed03ull);
    const sqlite3_int64 a = (sqlite3_int64)(rng_next(&s) >> 33);
    for (int i = 0; i < TEXT_BYTES; i += 10) {
        uint64_t x = rng_next(&s);
        for (int k = 0; k < 10; k++, x >>= 6) {
            b[i + k] = alphabet[x & 63];
        }
    }
    return a;
}

int wl_exec(sqlite3 *db, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", what, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

void wl_bench_key(unsigned char *key, char *hex, int n)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < n; i++) {
        key[i] = (unsigned char)(i * 13 + 7);
        hex[2 * i] = digits[key[i] >> 4];
        hex[2 * i + 1] = digits[key[i] & 15];
    }
    hex[2 * n] = '\0';
}

static void remove_db(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[720];
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
}

/* Size of the database file plus its WAL, if any. */
static long long db_file_bytes(const char *path)
{
    char p[720];
    struct stat st;
    long long n = stat(path, &st) == 0 ? (long long)st.st_size : 0;
    snprintf(p, sizeof p, "%s-wal", path);
    if (stat(p, &st) == 0) {
        n += (long long)st.st_size;
    }
    return n;
}

/* Reads the whole file so that it sits in the OS page cache. */
static void warm_os_cache(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        return;
    }
    static char buf[1 << 20];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    close(fd);
}

/* Fraction of the file's pages in the OS page cache, or -1. */
static double resident_fraction(const char *path)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    const size_t len = (size_t)st.st_size;
    void *map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        return -1;
    }
    const size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    const size_t n = (len + pg - 1) / pg;
    unsigned char *vec = malloc(n);
    double frac = -1;
    if (vec && mincore(map, len, vec) == 0) {
        size_t in = 0;
        for (size_t i = 0; i < n; i++) {
            in += vec[i] & 1;
        }
        frac = (double)in / (double)n;
    }
    free(vec);
    munmap(map, len);
    return frac;
}

/* Drops the file from the OS page cache. Returns 0 and names the method in
 * `how`, or -1 with the reason in `why`. */
static int drop_os_cache(const char *path, char *how, size_t how_cap, char *why, size_t why_cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(why, why_cap, "cannot open the database file: %s", strerror(errno));
        return -1;
    }
    fdatasync(fd);
    const int adv = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
    double frac = resident_fraction(path);
    if (adv == 0 && frac >= 0 && frac <= RESIDENT_LIMIT) {
        snprintf(how, how_cap, "posix_fadvise DONTNEED");
        return 0;
    }
    if (geteuid() == 0) {
        sync();
        FILE *f = fopen("/proc/sys/vm/drop_caches", "w");
        if (f) {
            fputs("1\n", f);
            fclose(f);
            frac = resident_fraction(path);
            if (frac >= 0 && frac <= RESIDENT_LIMIT) {
                snprintf(how, how_cap, "/proc/sys/vm/drop_caches");
                return 0;
            }
        }
    }
    if (frac < 0) {
        snprintf(why, why_cap, "cannot tell whether the file left the OS cache (mincore failed)");
    } else {
        snprintf(why, why_cap,
                 "the OS kept %.0f%% of the file cached after posix_fadvise DONTNEED%s "
                 "(a memory file system, or not allowed here)",
                 frac * 100, geteuid() == 0 ? " and drop_caches" : "; drop_caches needs root");
    }
    return -1;
}

/* Does the file contain needle? -1 if it cannot be read. */
static int file_contains(const char *path, const char *needle, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return -1;
    }
    static char buf[(1 << 20) + 256];
    size_t keep = 0, got;
    int found = 0;
    while (!found && (got = fread(buf + keep, 1, sizeof buf - 256 - keep, f)) > 0) {
        const size_t len = keep + got;
        found = memmem(buf, len, needle, n) != NULL;
        keep = len < n - 1 ? len : n - 1;
        memmove(buf, buf + len - keep, keep);
    }
    fclose(f);
    return found;
}

/* Opens a connection of engine e with the benchmark's pragmas. */
static sqlite3 *open_db(const wl_engine *e, const char *path, long cache_kb, const char *sync)
{
    sqlite3 *db = e->open(e, path);
    if (!db) {
        return NULL;
    }
    char sql[256];
    snprintf(sql, sizeof sql,
             "PRAGMA page_size=%d; PRAGMA journal_mode=WAL; PRAGMA synchronous=%s;"
             "PRAGMA cache_size=-%ld",
             PAGE_SIZE, sync, cache_kb);
    if (wl_exec(db, sql, e->name) != 0) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, const wl_engine *e)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: cannot prepare %s: %s\n", e->name, sql, sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

/* The first column of the first row sql returns, as an integer, or -1. */
static long long pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

/* Is the connection's journal mode WAL? */
static int is_wal(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int wal = 0;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *mode = sqlite3_column_text(st, 0);
        wal = mode && !strcmp((const char *)mode, "wal");
    }
    sqlite3_finalize(st);
    return wal;
}

/* ---- the workloads ------------------------------------------------------ */

/* Each returns OUT_OK with o->ops_per_s set, OUT_SKIPPED with o->note set,
 * or OUT_FAILED after printing why. Connections are closed on every path. */

static int fail(sqlite3 *db, sqlite3_stmt *a, sqlite3_stmt *b)
{
    sqlite3_finalize(a);
    sqlite3_finalize(b);
    sqlite3_close(db);
    return OUT_FAILED;
}

static int wl_bulk(const wl_engine *e, const settings *s, const char *path, outcome *o)
{
    remove_db(path);
    sqlite3 *db = open_db(e, path, BIG_CACHE_KB, "NORMAL");
    sqlite3_stmt *ins = NULL;
    if (!db || wl_exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT)", e->name) ||
        prepare(db, "INSERT INTO t(id, a, b) VALUES(?1, ?2, ?3)", &ins, e)) {
        return fail(db, ins, NULL);
    }
    char *text = malloc((size_t)BULK_TX_ROWS * TEXT_BYTES);
    sqlite3_int64 *a = malloc(sizeof(sqlite3_int64) * BULK_TX_ROWS);
    double timed = 0;
    int ok = text && a;
    for (long first = 1; ok && first <= s->rows; first += BULK_TX_ROWS) {
        const long n = s->rows - first + 1 < BULK_TX_ROWS ? s->rows - first + 1 : BULK_TX_ROWS;
        for (long i = 0; i < n; i++) {
            a[i] = make_row(first + i, text + i * TEXT_BYTES);
        }
        const double t0 = bench_now();
        ok = wl_exec(db, "BEGIN", e->name) == 0;
        for (long i = 0; ok && i < n; i++) {
            sqlite3_bind_int64(ins, 1, first + i);
            sqlite3_bind_int64(ins, 2, a[i]);
            sqlite3_bind_text(ins, 3, text + i * TEXT_BYTES, TEXT_BYTES, SQLITE_STATIC);
            ok = sqlite3_step(ins) == SQLITE_DONE;
            sqlite3_reset(ins);
        }
        ok = ok && wl_exec(db, "COMMIT", e->name) == 0;
        timed += bench_now() - t0;
    }
    free(a);
    if (!ok) {
        fprintf(stderr, "%s: bulk load failed: %s\n", e->name, sqlite3_errmsg(db));
        free(text);
        return fail(db, ins, NULL);
    }
    const long long page_size = pragma_int(db, "PRAGMA page_size");
    const int wal = is_wal(db);
    sqlite3_finalize(ins);
    ok = wl_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", e->name) == 0;
    sqlite3_close(db);
    if (!ok || page_size != PAGE_SIZE || !wal) {
        fprintf(stderr, "%s: the database uses %lld-byte pages and %s, not %d and WAL\n", e->name,
                page_size, wal ? "WAL" : "another journal mode", PAGE_SIZE);
        free(text);
        return OUT_FAILED;
    }
    make_row(1, text);
    const int found = file_contains(path, text, TEXT_BYTES);
    free(text);
    if (found < 0 || found == e->encrypted) {
        fprintf(stderr, "%s: row 1's text %s the file %s\n", e->name,
                found < 0 ? "cannot be searched for in"
                : found   ? "is in plain sight in"
                          : "is not in",
                path);
        return OUT_FAILED;
    }
    o->ops_per_s = (double)s->rows / timed;
    return OUT_OK;
}

static int wl_scan_full(const wl_engine *e, const settings *s, const char *path, outcome *o)
{
    sqlite3_int64 want_a = 0;
    char text[TEXT_BYTES];
    for (long i = 1; i <= s->rows; i++) {
        want_a += make_row(i, text);
    }
    sqlite3 *db = open_db(e, path, SMALL_CACHE_KB, "NORMAL");
    sqlite3_stmt *q = NULL;
    if (!db || prepare(db, "SELECT sum(a), sum(length(b)), count(*) FROM t", &q, e)) {
        return fail(db, q, NULL);
    }
    const double t0 = bench_now();
    const int rc = sqlite3_step(q);
    const double t = bench_now() - t0;
    if (rc != SQLITE_ROW || sqlite3_column_int64(q, 0) != want_a ||
        sqlite3_column_int64(q, 1) != (sqlite3_int64)s->rows * TEXT_BYTES ||
        sqlite3_column_int64(q, 2) != s->rows) {
        fprintf(stderr, "%s: full scan returned wrong sums (%s)\n", e->name, sqlite3_errmsg(db));
        return fail(db, q, NULL);
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    o->ops_per_s = (double)s->rows / t;
    return OUT_OK;
}

/* n random point lookups with q; returns lookups per second, or -1. */
static double lookups(const wl_engine *e, sqlite3 *db, sqlite3_stmt *q, const settings *s, long n,
                      int run)
{
    uint64_t r = RUN_SEED + (uint64_t)run;
    volatile sqlite3_int64 sink = 0;
    long bad = 0;
    const double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        sqlite3_bind_int64(q, 1, (sqlite3_int64)(rng_next(&r) % (uint64_t)s->rows) + 1);
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 1) == TEXT_BYTES) {
            sink += sqlite3_column_int64(q, 0);
        } else {
            bad++;
        }
        sqlite3_reset(q);
    }
    const double t = bench_now() - t0;
    (void)sink;
    if (bad) {
        fprintf(stderr, "%s: %ld of %ld lookups did not find their row (%s)\n", e->name, bad, n,
                sqlite3_errmsg(db));
        return -1;
    }
    return (double)n / t;
}

static int wl_lookup(const wl_engine *e, const settings *s, const char *path, int w, int run,
                     outcome *o)
{
    sqlite3 *db = open_db(e, path, w == W_WARM ? BIG_CACHE_KB : SMALL_CACHE_KB, "NORMAL");
    sqlite3_stmt *q = NULL;
    if (!db || prepare(db, "SELECT a, b FROM t WHERE id = ?1", &q, e)) {
        return fail(db, q, NULL);
    }
    if (w == W_WARM && wl_exec(db, "SELECT sum(length(b)) FROM t", e->name)) {
        return fail(db, q, NULL);
    }
    long n = s->lookups;
    if (w == W_COLD_OS) {
        char how[64];
        if (drop_os_cache(path, how, sizeof how, o->note, sizeof o->note) != 0) {
            sqlite3_finalize(q);
            sqlite3_close(db);
            return OUT_SKIPPED;
        }
        n = s->cold_os_lookups;
    }
    o->ops_per_s = lookups(e, db, q, s, n, run);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return o->ops_per_s > 0 ? OUT_OK : OUT_FAILED;
}

static int wl_scan_range(const wl_engine *e, const settings *s, const char *path, int run,
                         outcome *o)
{
    sqlite3 *db = open_db(e, path, SMALL_CACHE_KB, "NORMAL");
    sqlite3_stmt *q = NULL;
    if (!db ||
        prepare(db, "SELECT sum(a), sum(length(b)), count(*) FROM t WHERE id BETWEEN ?1 AND ?2", &q,
                e)) {
        return fail(db, q, NULL);
    }
    uint64_t r = RUN_SEED * 2 + (uint64_t)run;
    volatile sqlite3_int64 sink = 0;
    int ok = 1;
    const double t0 = bench_now();
    for (long i = 0; ok && i < s->ranges; i++) {
        const sqlite3_int64 lo =
            (sqlite3_int64)(rng_next(&r) % (uint64_t)(s->rows - s->range_rows + 1)) + 1;
        sqlite3_bind_int64(q, 1, lo);
        sqlite3_bind_int64(q, 2, lo + s->range_rows - 1);
        ok = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int64(q, 2) == s->range_rows &&
             sqlite3_column_int64(q, 1) == (sqlite3_int64)s->range_rows * TEXT_BYTES;
        sink += sqlite3_column_int64(q, 0);
        sqlite3_reset(q);
    }
    const double t = bench_now() - t0;
    (void)sink;
    if (!ok) {
        fprintf(stderr, "%s: range scan returned wrong sums (%s)\n", e->name, sqlite3_errmsg(db));
        return fail(db, q, NULL);
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    o->ops_per_s = (double)(s->ranges * s->range_rows) / t;
    return OUT_OK;
}

/* One UPDATE per transaction, n of them or until the time cap. */
static int wl_write(const wl_engine *e, const settings *s, const char *path, int w, int run,
                    outcome *o)
{
    const int full = w == W_WRITE_FULL;
    sqlite3 *db = open_db(e, path, SMALL_CACHE_KB, full ? "FULL" : "NORMAL");
    sqlite3_stmt *u = NULL;
    if (!db || prepare(db, "UPDATE t SET a = a + 1 WHERE id = ?1", &u, e)) {
        return fail(db, u, NULL);
    }
    const long n = full ? s->write_full_tx : s->write_normal_tx;
    uint64_t r = RUN_SEED * 3 + (uint64_t)run * 2 + (uint64_t)full;
    int ok = 1;
    long done = 0;
    const double t0 = bench_now();
    double t = 0;
    while (ok && done < n && t < s->write_cap_s) {
        sqlite3_bind_int64(u, 1, (sqlite3_int64)(rng_next(&r) % (uint64_t)s->rows) + 1);
        ok = sqlite3_step(u) == SQLITE_DONE && sqlite3_changes(db) == 1;
        sqlite3_reset(u);
        done++;
        t = bench_now() - t0;
    }
    if (!ok) {
        fprintf(stderr, "%s: update failed: %s\n", e->name, sqlite3_errmsg(db));
        return fail(db, u, NULL);
    }
    sqlite3_finalize(u);
    sqlite3_close(db);
    o->ops_per_s = (double)done / t;
    return OUT_OK;
}

static int wl_mix(const wl_engine *e, const settings *s, const char *path, int run, outcome *o)
{
    sqlite3 *db = open_db(e, path, SMALL_CACHE_KB, "NORMAL");
    sqlite3_stmt *q = NULL, *u = NULL;
    if (!db || prepare(db, "SELECT a, b FROM t WHERE id = ?1", &q, e) ||
        prepare(db, "UPDATE t SET a = a + 1 WHERE id = ?1", &u, e)) {
        return fail(db, q, u);
    }
    uint64_t r = RUN_SEED * 4 + (uint64_t)run;
    volatile sqlite3_int64 sink = 0;
    int ok = 1;
    const double t0 = bench_now();
    for (long i = 0; ok && i < s->mix_ops; i++) {
        if (i % MIX_TX_OPS == 0) {
            ok = wl_exec(db, "BEGIN", e->name) == 0;
        }
        const uint64_t x = rng_next(&r);
        const sqlite3_int64 id = (sqlite3_int64)((x / 10) % (uint64_t)s->rows) + 1;
        sqlite3_stmt *st = x % 10 == 0 ? u : q;
        sqlite3_bind_int64(st, 1, id);
        if (st == u) {
            ok = ok && sqlite3_step(u) == SQLITE_DONE && sqlite3_changes(db) == 1;
        } else {
            ok = ok && sqlite3_step(q) == SQLITE_ROW && sqlite3_column_bytes(q, 1) == TEXT_BYTES;
            sink += sqlite3_column_int64(q, 0);
        }
        sqlite3_reset(st);
        if (ok && (i % MIX_TX_OPS == MIX_TX_OPS - 1 || i == s->mix_ops - 1)) {
            ok = wl_exec(db, "COMMIT", e->name) == 0;
        }
    }
    const double t = bench_now() - t0;
    (void)sink;
    if (!ok) {
        fprintf(stderr, "%s: mixed workload failed: %s\n", e->name, sqlite3_errmsg(db));
        return fail(db, q, u);
    }
    sqlite3_finalize(q);
    sqlite3_finalize(u);
    sqlite3_close(db);
    o->ops_per_s = (double)s->mix_ops / t;
    return OUT_OK;
}

static int run_workload(const wl_engine *e, const settings *s, const char *path, int w, int run,
                        outcome *o)
{
    if (w != W_BULK && w != W_COLD_OS) {
        warm_os_cache(path);
    }
    switch (w) {
    case W_BULK: return wl_bulk(e, s, path, o);
    case W_SCAN_FULL: return wl_scan_full(e, s, path, o);
    case W_WARM:
    case W_COLD:
    case W_COLD_OS: return wl_lookup(e, s, path, w, run, o);
    case W_SCAN_RANGE: return wl_scan_range(e, s, path, run, o);
    case W_WRITE_NORMAL:
    case W_WRITE_FULL: return wl_write(e, s, path, w, run, o);
    default: return wl_mix(e, s, path, run, o);
    }
}

/* ---- the driver --------------------------------------------------------- */

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        const ssize_t k = write(fd, c, n);
        if (k <= 0) {
            return -1;
        }
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Runs one workload in a child process; fills o and the child's peak RSS. */
static void run_in_child(const wl_engine *e, const settings *s, const char *path, int w, int run,
                         outcome *o, long *peak_kb)
{
    memset(o, 0, sizeof *o);
    o->status = OUT_FAILED;
    *peak_kb = 0;
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        return;
    }
    fflush(stdout);
    fflush(stderr);
    const pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        close(fds[0]);
        close(fds[1]);
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        outcome res;
        memset(&res, 0, sizeof res);
        res.status = run_workload(e, s, path, w, run, &res);
        res.sqlite_heap = sqlite3_memory_highwater(0);
        res.file_bytes = db_file_bytes(path);
        fflush(stderr);
        _exit(write_all(fds[1], &res, sizeof res) == 0 ? 0 : 1);
    }
    close(fds[1]);
    size_t got = 0;
    outcome res;
    while (got < sizeof res) {
        const ssize_t k = read(fds[0], (char *)&res + got, sizeof res - got);
        if (k <= 0 && !(k < 0 && errno == EINTR)) {
            break;
        }
        got += k > 0 ? (size_t)k : 0;
    }
    close(fds[0]);
    struct rusage ru;
    int status = 0;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {
    }
    if (got == sizeof res && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        *o = res;
        *peak_kb = ru.ru_maxrss;
    } else {
        fprintf(stderr, "%s: the %s run ended abnormally (status %d)\n", e->name,
                wl_workload_names[w], status);
    }
}

/* The database file of engine e in the scratch directory. */
static void engine_path(const char *dir, const wl_engine *e, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s%s%s.db", dir, e->name, e->layout ? "-" : "",
             e->layout ? e->layout : "");
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

static void print_json_string(const char *str)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        if (*p == '"' || *p == '\\') {
            printf("\\%c", *p);
        } else if (*p < 0x20) {
            printf("\\u%04x", *p);
        } else {
            putchar(*p);
        }
    }
    putchar('"');
}

static void cpu_model(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!strncmp(line, "model name", 10) && colon) {
            colon += 1 + (colon[1] == ' ');
            colon[strcspn(colon, "\n")] = '\0';
            snprintf(buf, cap, "%s", colon);
            break;
        }
    }
    if (f) {
        fclose(f);
    }
}

static const char usage_text[] =
    "usage: %s [--quick] [--json] [--runs N] [--rows N] [--lookups N]\n"
    "          [--engines LIST | --all] [--workloads LIST] [--dir DIR]\n"
    "  Workloads (bulk, warm, cold, cold_os, scan_full, scan_range, write_normal,\n"
    "  write_full, mix) on every chosen engine against the baseline engine in the\n"
    "  same run; each workload of each engine and run in a child process.\n"
    "  --quick          20000 rows, 1 run, every engine unless --engines (smoke test)\n"
    "  --json           JSON lines (a settings line first) instead of a table\n"
    "  --runs N         runs per engine and workload, median reported (default 5)\n"
    "  --rows N         rows loaded by bulk (default 1000000)\n"
    "  --lookups N      lookups per run of warm and cold (default 200000)\n"
    "  --engines LIST   comma list: name (all layouts) or name/layout\n"
    "  --all            every engine below\n"
    "  --workloads LIST comma list of workload names (bulk always runs)\n"
    "  --dir DIR        scratch directory (default $TMPDIR or /tmp)\n"
    "engines (* = measured by default):\n";

static void usage(FILE *out, const wl_program *p)
{
    fprintf(out, usage_text, p->name);
    for (int i = 0; i < p->n_engines; i++) {
        const wl_engine *e = &p->engines[i];
        fprintf(out, "  %c %s%s%s%s\n", e->in_default || e->baseline ? '*' : ' ', e->name,
                e->layout ? "/" : "", e->layout ? e->layout : "", e->baseline ? " (baseline)" : "");
    }
}

static int parse_count(const char *v, long *out)
{
    char *end;
    errno = 0;
    const long n = v ? strtol(v, &end, 10) : 0;
    if (!v || errno || *end || n <= 0) {
        return -1;
    }
    *out = n;
    return 0;
}

/* Is item (name or name/layout) in the comma list? */
static int list_has(const char *list, const wl_engine *e)
{
    char full[160];
    snprintf(full, sizeof full, "%s%s%s", e->name, e->layout ? "/" : "",
             e->layout ? e->layout : "");
    for (const char *p = list; *p;) {
        const size_t n = strcspn(p, ",");
        if ((n == strlen(e->name) && !strncmp(p, e->name, n)) ||
            (n == strlen(full) && !strncmp(p, full, n))) {
            return 1;
        }
        p += n + (p[n] == ',');
    }
    return 0;
}

/* Does every item of the list name an engine (or a workload)? */
static const char *unknown_item(const char *list, const wl_program *p, int workloads)
{
    static char item[160];
    for (const char *c = list; *c;) {
        const size_t n = strcspn(c, ",");
        snprintf(item, sizeof item, "%.*s", (int)n, c);
        int known = 0;
        for (int i = 0; !known && i < (workloads ? WL_NUM_WORKLOADS : p->n_engines); i++) {
            if (workloads) {
                known = !strcmp(item, wl_workload_names[i]);
            } else {
                known = list_has(item, &p->engines[i]);
            }
        }
        if (!known) {
            return item;
        }
        c += n + (c[n] == ',');
    }
    return NULL;
}

static int parse_args(int argc, char **argv, const wl_program *p, settings *s)
{
    long runs = 0, rows = 0, n_lookups = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long *count = !strcmp(a, "--runs")      ? &runs
                      : !strcmp(a, "--rows")    ? &rows
                      : !strcmp(a, "--lookups") ? &n_lookups
                                                : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout, p);
            return 0;
        } else if (!strcmp(a, "--quick")) {
            s->quick = 1;
        } else if (!strcmp(a, "--json")) {
            s->json = 1;
        } else if (!strcmp(a, "--all")) {
            s->all = 1;
        } else if (count) {
            if (parse_count(v, count) != 0) {
                fprintf(stderr, "%s: %s needs a positive number\n", p->name, a);
                return 2;
            }
            i++;
        } else if ((!strcmp(a, "--engines") || !strcmp(a, "--workloads") || !strcmp(a, "--dir")) &&
                   v) {
            const char *bad = NULL;
            if (!strcmp(a, "--dir")) {
                snprintf(s->dir, sizeof s->dir, "%s", v);
            } else if ((bad = unknown_item(v, p, a[2] == 'w')) != NULL) {
                fprintf(stderr, "%s: unknown %s '%s' (see --help)\n", p->name,
                        a[2] == 'w' ? "workload" : "engine", bad);
                return 2;
            } else if (a[2] == 'w') {
                s->workloads_arg = v;
            } else {
                s->engines_arg = v;
            }
            i++;
        } else {
            fprintf(stderr, "%s: bad argument '%s'; run with --help for the options\n", p->name, a);
            return 2;
        }
    }
    s->runs = s->quick ? 1 : 5;
    s->rows = s->quick ? 20000 : 1000000;
    s->lookups = s->quick ? 5000 : 200000;
    s->cold_os_lookups = s->quick ? 500 : 10000;
    s->ranges = s->quick ? 5 : 20;
    s->write_normal_tx = s->quick ? 500 : 20000;
    s->write_full_tx = s->quick ? 50 : 2000;
    s->mix_ops = s->quick ? 2000 : 200000;
    s->write_cap_s = s->quick ? 2 : 10;
    s->runs = runs ? (runs > MAX_RUNS ? MAX_RUNS : (int)runs) : s->runs;
    s->rows = rows ? (rows < 200 ? 200 : rows) : s->rows;
    s->lookups = n_lookups ? n_lookups : s->lookups;
    s->range_rows = s->rows / 100;
    for (int w = 0; w < WL_NUM_WORKLOADS; w++) {
        char one[2][32];
        snprintf(one[0], sizeof one[0], "%s", wl_workload_names[w]);
        s->want[w] = 1;
        if (s->workloads_arg) {
            s->want[w] = 0;
            for (const char *c = s->workloads_arg; *c;) {
                const size_t n = strcspn(c, ",");
                snprintf(one[1], sizeof one[1], "%.*s", (int)n, c);
                s->want[w] |= !strcmp(one[0], one[1]);
                c += n + (c[n] == ',');
            }
        }
    }
    if (!s->dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(s->dir, sizeof s->dir, "%s", tmp && *tmp ? tmp : "/tmp");
    }
    return -1; /* go on */
}

static void print_settings(const wl_program *p, const settings *s, const wl_engine **sel, int n)
{
    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    if (!s->json) {
        printf("%s | SQLite %s | %s | cpu: %s\n", p->name, sqlite3_libversion(), p->settings_text,
               cpu);
        printf("%ld rows, %d run%s (median), %ld lookups (cold_os %ld), %ld ranges of %ld rows, "
               "%ld/%ld write tx (cap %.0f s), %ld mix ops | 4096-byte pages, WAL, "
               "synchronous=NORMAL, cache 256 MiB (bulk, warm) or 2 MB\n",
               s->rows, s->runs, s->runs == 1 ? "" : "s", s->lookups, s->cold_os_lookups, s->ranges,
               s->range_rows, s->write_normal_tx, s->write_full_tx, s->write_cap_s, s->mix_ops);
        return;
    }
    printf("{\"suite\":\"workloads\",\"op\":\"settings\",\"harness\":\"c\",\"program\":");
    print_json_string(p->name);
    printf(",\"sqlite_version\":\"%s\",\"cpu\":", sqlite3_libversion());
    print_json_string(cpu);
    printf(",\"quick\":%s,\"runs\":%d,\"rows\":%ld,\"page_size\":%d,\"journal_mode\":\"wal\","
           "\"synchronous\":\"normal\",\"cache_kb\":{\"bulk\":%ld,\"warm\":%ld,\"other\":%ld},"
           "\"bulk_tx_rows\":%d,\"lookups\":%ld,\"cold_os_lookups\":%ld,\"ranges\":%ld,"
           "\"range_rows\":%ld,\"write_normal_tx\":%ld,\"write_full_tx\":%ld,\"write_cap_s\":%.0f,"
           "\"mix_ops\":%ld,\"mix_tx_ops\":%d,\"mix_updates\":0.1,\"text_bytes\":%d,"
           "\"peak_mem\":\"peak RSS of the child process that ran the workload (wait4 "
           "ru_maxrss), max over runs\",\"ratio\":\"median over runs of engine/baseline in the "
           "same run\",\"engines\":[",
           s->quick ? "true" : "false", s->runs, s->rows, PAGE_SIZE, BIG_CACHE_KB, BIG_CACHE_KB,
           SMALL_CACHE_KB, BULK_TX_ROWS, s->lookups, s->cold_os_lookups, s->ranges, s->range_rows,
           s->write_normal_tx, s->write_full_tx, s->write_cap_s, s->mix_ops, MIX_TX_OPS,
           TEXT_BYTES);
    for (int i = 0; i < n; i++) {
        printf("%s\"%s%s%s\"", i ? "," : "", sel[i]->name, sel[i]->layout ? "/" : "",
               sel[i]->layout ? sel[i]->layout : "");
    }
    printf("],\"workloads\":[");
    for (int w = 0, first = 1; w < WL_NUM_WORKLOADS; w++) {
        if (s->want[w]) {
            printf("%s\"%s\"", first ? "" : ",", wl_workload_names[w]);
            first = 0;
        }
    }
    printf("]%s}\n", p->settings_json);
}

static void print_results(const settings *s, const wl_engine **sel, int n, const cell *cells,
                          int base)
{
    if (!s->json) {
        printf("%-20s %-9s %-12s %12s %12s %12s %8s %8s %9s\n", "engine", "layout", "workload",
               "ops/s", "min", "max", "x base", "peak MB", "file MB");
    }
    for (int w = 0; w < WL_NUM_WORKLOADS; w++) {
        if (!s->want[w]) {
            continue;
        }
        const cell *b = &cells[base * WL_NUM_WORKLOADS + w];
        for (int i = 0; i < n; i++) {
            const cell *c = &cells[i * WL_NUM_WORKLOADS + w];
            const wl_engine *e = sel[i];
            if (c->skipped || b->skipped) {
                if (s->json) {
                    printf("{\"suite\":\"workloads\",\"harness\":\"c\",\"engine\":\"%s\",",
                           e->name);
                    if (e->layout) {
                        printf("\"layout\":\"%s\",", e->layout);
                    }
                    printf("\"workload\":\"%s\",\"skipped\":", wl_workload_names[w]);
                    print_json_string(c->skipped ? c->note : b->note);
                    printf("}\n");
                } else {
                    printf("%-20s %-9s %-12s skipped: %s\n", e->name, e->layout ? e->layout : "-",
                           wl_workload_names[w], c->skipped ? c->note : b->note);
                }
                continue;
            }
            double mn, mx, rmn, rmx, ratio[MAX_RUNS];
            const double med = median_of(c->ops, s->runs, &mn, &mx);
            for (int r = 0; r < s->runs; r++) {
                ratio[r] = c->ops[r] / b->ops[r];
            }
            const double rmed = median_of(ratio, s->runs, &rmn, &rmx);
            if (s->json) {
                printf("{\"suite\":\"workloads\",\"harness\":\"c\",\"engine\":\"%s\",", e->name);
                if (e->layout) {
                    printf("\"layout\":\"%s\",", e->layout);
                }
                printf("\"workload\":\"%s\",\"ops_per_s\":%.0f,\"runs\":%d,\"min\":%.0f,"
                       "\"max\":%.0f,\"ratio_to_baseline\":%.3f,\"ratio_min\":%.3f,"
                       "\"ratio_max\":%.3f,\"baseline\":\"%s\",\"peak_mem_kb\":%ld,"
                       "\"sqlite_heap_kb\":%lld,\"file_bytes\":%lld,\"rows\":%ld}\n",
                       wl_workload_names[w], med, s->runs, mn, mx, rmed, rmn, rmx, sel[base]->name,
                       c->peak_kb, c->heap / 1024, c->file_bytes, s->rows);
            } else {
                printf("%-20s %-9s %-12s %12.0f %12.0f %12.0f %8.3f %8.1f %9.1f\n", e->name,
                       e->layout ? e->layout : "-", wl_workload_names[w], med, mn, mx, rmed,
                       (double)c->peak_kb / 1024, (double)c->file_bytes / 1048576.0);
            }
        }
    }
}

int wl_main(int argc, char **argv, const wl_program *p)
{
    settings s;
    memset(&s, 0, sizeof s);
    const int rc = parse_args(argc, argv, p, &s);
    if (rc >= 0) {
        return rc;
    }
    const wl_engine *sel[MAX_ENGINES];
    int n = 0, base = -1;
    for (int i = 0; i < p->n_engines && n < MAX_ENGINES; i++) {
        const wl_engine *e = &p->engines[i];
        /* --engines wins over --quick's every engine */
        const int chosen = e->baseline || s.all ? 1
                           : s.engines_arg      ? list_has(s.engines_arg, e)
                           : s.quick            ? 1
                                                : e->in_default;
        if (chosen) {
            base = e->baseline ? n : base;
            sel[n++] = e;
        }
    }
    if (base < 0) {
        fprintf(stderr, "%s: no baseline engine\n", p->name);
        return 1;
    }
    char dir[600];
    snprintf(dir, sizeof dir, "%s/sealdb-bench-workloads-XXXXXX", s.dir);
    cell *cells = calloc((size_t)n * WL_NUM_WORKLOADS, sizeof(cell));
    if (!cells || !mkdtemp(dir)) {
        fprintf(stderr, "%s: cannot make a scratch directory under %s: %s\n", p->name, s.dir,
                strerror(errno));
        free(cells);
        return 1;
    }
    print_settings(p, &s, sel, n);
    int failed = 0;
    const double t_start = bench_now();
    for (int run = 0; run < s.runs && !failed; run++) {
        for (int j = 0; j < WL_NUM_WORKLOADS && !failed; j++) {
            const int w = exec_order[j];
            if (w != W_BULK && !s.want[w]) {
                continue;
            }
            fprintf(stderr, "%s: run %d/%d, %s (%.0f s so far)\n", p->name, run + 1, s.runs,
                    wl_workload_names[w], bench_now() - t_start);
            for (int k = 0; k < n && !failed; k++) {
                const int i = (k + run) % n; /* rotate the order run by run */
                const wl_engine *e = sel[i];
                cell *c = &cells[i * WL_NUM_WORKLOADS + w];
                char path[700];
                engine_path(dir, e, path, sizeof path);
                outcome o;
                long peak_kb;
                run_in_child(e, &s, path, w, run, &o, &peak_kb);
                if (o.status == OUT_FAILED) {
                    fprintf(stderr, "%s: %s failed on %s%s%s in run %d\n", p->name,
                            wl_workload_names[w], e->name, e->layout ? "/" : "",
                            e->layout ? e->layout : "", run + 1);
                    failed = 1;
                } else if (o.status == OUT_SKIPPED) {
                    c->skipped = 1;
                    snprintf(c->note, sizeof c->note, "%s", o.note);
                } else {
                    c->ops[run] = o.ops_per_s;
                    c->peak_kb = peak_kb > c->peak_kb ? peak_kb : c->peak_kb;
                    c->heap = o.sqlite_heap > c->heap ? o.sqlite_heap : c->heap;
                    c->file_bytes = o.file_bytes;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            char path[700];
            engine_path(dir, sel[i], path, sizeof path);
            remove_db(path);
        }
    }
    rmdir(dir);
    if (!failed) {
        print_results(&s, sel, n, cells, base);
    }
    free(cells);
    return failed;
}
