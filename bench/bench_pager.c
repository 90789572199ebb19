/*
 * bench_pager.c - the native pager's costs against what they are made of,
 * each measured in the same process and run:
 *
 *   hit      pager_get + pager_put of a cached page, random pages of a
 *            snapshot, against a lookup in a plain hash table of the same
 *            pages (open addressing, page number -> pointer): the target is
 *            a hit within 2x of that lookup (ratio >= 0.5). In both loops a
 *            lookup's page number depends on the previous result, as in a
 *            B-tree descent, so both measure a lookup's latency. Measured
 *            twice: all lookups in one snapshot (engine pager-aegis128l), and
 *            a new snapshot every 64 lookups (pager-aegis128l-64-per-snapshot,
 *            short transactions: most lookups are the snapshot's first of
 *            their page, served by the shared page table; beginning and
 *            ending the snapshots is counted).
 *   miss     the same with a 16-page cache over a larger file (each get
 *            reads and opens a page), against pread + unseal_page of the
 *            same pages on a descriptor of our own, the two loops taking
 *            turns in blocks of 2,000 pages: the target is at most pread +
 *            unseal + 10% (ratio >= 0.91)
 *   commit_K_MODE
 *            commits of K random pages (1, 10, 100) at durability off,
 *            normal and full, sealed against the plain pager: the ratio is
 *            what sealing costs a commit
 *
 * Ops per second are the median over runs (min and max beside them);
 * ratio_to_baseline is the median over runs of engine/baseline in the same
 * run (>1: faster). Nothing here asserts a time. The files live in a
 * scratch directory that is removed at the end.
 *
 * Usage: bench_pager [--quick] [--json] [--runs N] [--only hit|miss|commit] [--dir DIR]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_pager.h"
#include "bench_util.h"
#include "crypto.h"
#include "pager.h"

#define MAX_RUNS 50 /* at most BENCH_MAX_RUNS */
#define PAGE_SIZE 4096

static const uint8_t bench_key[32] = {0x42, 0x13, 0x37, 0x99, 1,  2,  3,  4,  5,  6,  7,
                                      8,    9,    10,   11,   12, 13, 14, 15, 16, 17, 18,
                                      19,   20,   21,   22,   23, 24, 25, 26, 27};

typedef struct options {
    int quick, json, runs;
    const char *only; /* "hit", "miss" or "commit": that part alone */
    char dir[440];    /* the scratch directory made for this run */
    uint32_t hit_pages, miss_pages, commit_pages;
    long hit_lookups, miss_lookups;
    long commits[3][3]; /* [k index][durability] */
} options;

typedef struct result {
    const char *workload;
    char engine[40];
    char baseline[40];
    double ops[MAX_RUNS], base[MAX_RUNS];
    int n;
    long count; /* operations per run */
    uint32_t pages_per_op;
} result;

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint32_t rnd(uint32_t n)
{
    return (uint32_t)(bench_xorshift(&rng_state) % n);
}

static seal_ctx *make_ctx(sealdb_cipher_id cipher)
{
    if (!cipher) {
        return NULL;
    }
    static const uint8_t salt[SEAL_SALT_BYTES] = {7, 7, 7, 7, 1, 2, 3, 4};
    seal_ctx *c = NULL;
    sealdb_error err;
    if (seal_ctx_create_salted(&c, cipher, SEALDB_LAYOUT_HARDENED, bench_key,
                               sealdb_cipher_key_bytes(cipher), salt, &err) != SEALDB_OK) {
        fprintf(stderr, "bench_pager: %s\n", err.message);
        exit(1);
    }
    return c;
}

static void die(const char *what, const sealdb_error *err)
{
    fprintf(stderr, "bench_pager: %s: %s\n", what, err ? err->message : "failed");
    exit(1);
}

static pager *open_db(const char *path, seal_ctx *ctx, uint32_t cache, pager_durability d,
                      int create)
{
    pager_config cfg = {.seal = ctx,
                        .create = create,
                        .page_size = PAGE_SIZE,
                        .cache_pages = cache,
                        .durability = d};
    pager *p = NULL;
    sealdb_error err;
    if (pager_open(&p, path, &cfg, &err) != SEALDB_OK) {
        die(path, &err);
    }
    return p;
}

/* A database of `pages` pages of varied bytes, checkpointed into the file. */
static void make_db(const char *path, seal_ctx *ctx, uint32_t pages)
{
    bench_remove_db(path);
    pager *p = open_db(path, ctx, 256, PAGER_SYNC_OFF, 1);
    sealdb_error err;
    for (uint32_t done = 1; done < pages;) {
        pager_batch *b;
        pager_begin(p, &b, NULL);
        for (uint32_t i = 0; i < 1000 && done < pages; i++, done++) {
            uint32_t pg;
            uint8_t *d;
            if (pager_allocate(b, &pg, &d, &err) != SEALDB_OK) {
                die("allocate", &err);
            }
            for (uint32_t k = 0; k < pager_usable_size(p); k += 8) {
                memcpy(d + k, &k, 4);
                memcpy(d + k + 4, &pg, 4);
            }
        }
        if (pager_commit(b, &err) != SEALDB_OK) {
            die("commit", &err);
        }
    }
    if (pager_close(p, &err) != SEALDB_OK) {
        die("close", &err);
    }
}

static uint32_t *random_pages(uint32_t pages, long n)
{
    uint32_t *seq = malloc(sizeof *seq * (size_t)n);
    for (long i = 0; i < n; i++) {
        seq[i] = 2 + rnd(pages - 1);
    }
    return seq;
}

/* ---- hits ------------------------------------------------------------------------------ */

static volatile uintptr_t sink;
/* Zero, read at run time: each lookup's page number depends on the result
 * of the one before (as in a B-tree descent), so lookups measure their
 * latency, not how many independent ones a CPU overlaps. */
static volatile uintptr_t zero_mask;

/* per: lookups per snapshot (0: one snapshot for all, begun and ended
 * outside the timing); with per, beginning and ending the snapshots is
 * counted (a timer read per snapshot would cost more than that here) */
static double pager_gets_per(pager *p, const uint32_t *seq, long n, long per)
{
    sealdb_error err;
    uintptr_t acc = 0, dep = 0;
    const uintptr_t mask = zero_mask;
    pager_snapshot *s = NULL;
    if (!per) {
        pager_snapshot_begin(p, &s, NULL);
    }
    const double t0 = bench_now();
    for (long at = 0; at < n;) {
        const long end = per && at + per < n ? at + per : n;
        if (per) {
            pager_snapshot_begin(p, &s, NULL);
        }
        for (long i = at; i < end; i++) {
            pager_page *pg;
            if (pager_get(s, seq[i] ^ (uint32_t)dep, &pg, &err) != SEALDB_OK) {
                die("get", &err);
            }
            const uintptr_t d = (uintptr_t)pager_page_data(pg);
            dep = d & mask;
            acc += d;
            pager_put(pg);
        }
        if (per) {
            pager_snapshot_end(s);
        }
        at = end;
    }
    const double t = bench_now() - t0;
    if (!per) {
        pager_snapshot_end(s);
    }
    sink = acc;
    return (double)n / t;
}

static double pager_gets(pager *p, const uint32_t *seq, long n)
{
    return pager_gets_per(p, seq, n, 0);
}

/* The baseline: open addressing, linear probing, load factor 1/2. */
typedef struct table {
    uint32_t *keys;
    const void **vals;
    uint32_t mask;
} table;

static inline uint32_t table_slot(const table *t, uint32_t key)
{
    return (key * 0x9e3779b1u) & t->mask;
}

static const void *table_find(const table *t, uint32_t key)
{
    for (uint32_t i = table_slot(t, key);; i = (i + 1) & t->mask) {
        if (t->keys[i] == key) {
            return t->vals[i];
        }
        if (t->keys[i] == 0) {
            return NULL;
        }
    }
}

static double table_lookups(uint32_t pages, const uint32_t *seq, long n, const uint8_t *arena)
{
    table t;
    uint32_t cap = 16;
    while (cap < 2 * pages) {
        cap *= 2;
    }
    t.mask = cap - 1;
    t.keys = calloc(cap, sizeof *t.keys);
    t.vals = calloc(cap, sizeof *t.vals);
    for (uint32_t pg = 1; pg <= pages; pg++) {
        uint32_t i = table_slot(&t, pg);
        while (t.keys[i]) {
            i = (i + 1) & t.mask;
        }
        t.keys[i] = pg;
        t.vals[i] = arena + (size_t)(pg - 1) * PAGE_SIZE;
    }
    uintptr_t acc = 0, dep = 0;
    const uintptr_t mask = zero_mask;
    const double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        const uintptr_t d = (uintptr_t)table_find(&t, seq[i] ^ (uint32_t)dep);
        dep = d & mask;
        acc += d;
    }
    const double el = bench_now() - t0;
    sink = acc;
    free(t.keys);
    free(t.vals);
    return (double)n / el;
}

/* r[0]: one snapshot for all lookups; r[1]: a new snapshot every
 * HIT_SHORT lookups (short transactions: most lookups are a snapshot's
 * first of their page) */
#define HIT_SHORT 64

static void bench_hits(const options *o, result *r, int run)
{
    char path[600];
    snprintf(path, sizeof path, "%s/hit.db", o->dir);
    seal_ctx *ctx = make_ctx(SEALDB_AEGIS128L);
    if (run == 0) {
        make_db(path, ctx, o->hit_pages);
    }
    uint32_t *seq = random_pages(o->hit_pages, o->hit_lookups);
    pager *p = open_db(path, ctx, o->hit_pages + 64, PAGER_SYNC_OFF, 0);
    uint32_t *all = malloc(sizeof *all * o->hit_pages);
    for (uint32_t i = 0; i < o->hit_pages; i++) {
        all[i] = i + 1;
    }
    pager_gets(p, all, o->hit_pages); /* every page in the cache */
    pager_stats a, b;
    pager_stats_get(p, &a);
    r[0].ops[run] = pager_gets(p, seq, o->hit_lookups);
    r[1].ops[run] = pager_gets_per(p, seq, o->hit_lookups, HIT_SHORT);
    pager_stats_get(p, &b);
    if (b.cache_misses != a.cache_misses || b.pages_unsealed != a.pages_unsealed) {
        fprintf(stderr, "bench_pager: hits were not all hits\n");
        exit(1);
    }
    pager_close(p, NULL);
    uint8_t *arena = malloc((size_t)o->hit_pages * PAGE_SIZE); /* never touched */
    r[0].base[run] = r[1].base[run] = table_lookups(o->hit_pages, seq, o->hit_lookups, arena);
    free(arena);
    free(all);
    free(seq);
    seal_ctx_close(ctx);
    r[0].count = r[1].count = o->hit_lookups;
}

/* ---- misses ---------------------------------------------------------------------------------- */

/* Seconds for pread + unseal_page of n pages of seq on fd, into buf. */
static double pread_unseal_fd(int fd, uint8_t *buf, seal_ctx *ctx, const uint32_t *seq, long n)
{
    const double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        if (pread(fd, buf, PAGE_SIZE, (off_t)(seq[i] - 1) * PAGE_SIZE) != PAGE_SIZE ||
            (ctx && unseal_page(ctx, buf, PAGE_SIZE, seq[i]) != SEALDB_OK)) {
            fprintf(stderr, "bench_pager: page %u does not read\n", seq[i]);
            exit(1);
        }
    }
    return bench_now() - t0;
}

static int open_or_die(const char *path)
{
    const int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        exit(1);
    }
    return fd;
}

/* Seconds for pager_get + pager_put of n pages of seq in one snapshot
 * (begun and ended outside the timing). */
static double pager_gets_time(pager *p, const uint32_t *seq, long n)
{
    return (double)n / pager_gets(p, seq, n);
}

static const sealdb_cipher_id miss_ciphers[] = {SEALDB_AEGIS128L, SEALDB_AEGIS256, SEALDB_AES256GCM,
                                                0};
#define N_MISS 4

/* Lookups per block: the two loops take turns block by block, so that a
 * change of the machine's speed during a run (this VM's pread moves by 2x
 * over minutes) falls on both alike. */
#define MISS_BLOCK 2000

static void bench_misses(const options *o, result *r, int run)
{
    for (int c = 0; c < N_MISS; c++) {
        char path[600];
        snprintf(path, sizeof path, "%s/miss-%d.db", o->dir, c);
        seal_ctx *ctx = make_ctx(miss_ciphers[c]);
        make_db(path, ctx, o->miss_pages);
        /* two sequences of the same kind, so that neither loop finds the
         * pages the other just read in the CPU's caches; the whole file in
         * the OS cache first, read three times so that every page is on
         * the OS cache's active list before either loop starts */
        uint32_t *seq_p = random_pages(o->miss_pages, o->miss_lookups);
        uint32_t *seq_b = random_pages(o->miss_pages, o->miss_lookups);
        uint32_t *all = malloc(sizeof *all * o->miss_pages);
        uint8_t *buf = malloc(PAGE_SIZE);
        for (uint32_t i = 0; i < o->miss_pages; i++) {
            all[i] = i + 1;
        }
        /* our descriptor is opened before the pager and closed after it:
         * closing a descriptor of the file drops the pager's locks (POSIX
         * record locks) */
        const int fd = open_or_die(path);
        for (int pass = 0; pass < 3; pass++) {
            pread_unseal_fd(fd, buf, ctx, all + 1, o->miss_pages - 1);
        }
        pager *p = open_db(path, ctx, 16, PAGER_SYNC_OFF, 0);
        pager_stats a, b;
        pager_stats_get(p, &a);
        double t_pager = 0, t_base = 0;
        for (long at = 0, k = 0; at < o->miss_lookups; at += MISS_BLOCK, k++) {
            const long n = o->miss_lookups - at < MISS_BLOCK ? o->miss_lookups - at : MISS_BLOCK;
            if ((k + run) % 2) {
                t_base += pread_unseal_fd(fd, buf, ctx, seq_b + at, n);
                t_pager += pager_gets_time(p, seq_p + at, n);
            } else {
                t_pager += pager_gets_time(p, seq_p + at, n);
                t_base += pread_unseal_fd(fd, buf, ctx, seq_b + at, n);
            }
        }
        pager_stats_get(p, &b);
        if (b.cache_misses - a.cache_misses < (uint64_t)o->miss_lookups * 9 / 10) {
            fprintf(stderr, "bench_pager: misses were mostly hits\n");
            exit(1);
        }
        pager_close(p, NULL);
        close(fd);
        r[c].ops[run] = (double)o->miss_lookups / t_pager;
        r[c].base[run] = (double)o->miss_lookups / t_base;
        r[c].count = o->miss_lookups;
        free(buf);
        free(all);
        free(seq_p);
        free(seq_b);
        seal_ctx_close(ctx);
        bench_remove_db(path);
    }
}

/* ---- commits ----------------------------------------------------------------------------------
 */

static const uint32_t commit_sizes[3] = {1, 10, 100};
static const pager_durability modes[3] = {PAGER_SYNC_OFF, PAGER_SYNC_NORMAL, PAGER_SYNC_FULL};
static const char *const mode_names[3] = {"off", "normal", "full"};
static const sealdb_cipher_id commit_ciphers[] = {SEALDB_AEGIS128L, SEALDB_AES256GCM, 0};
#define N_COMMIT 3

static double commits(const char *path, seal_ctx *ctx, uint32_t pages, pager_durability d,
                      uint32_t k, long n)
{
    pager *p = open_db(path, ctx, pages + 64, d, 0);
    sealdb_error err;
    const uint32_t usable = pager_usable_size(p);
    const double t0 = bench_now();
    for (long i = 0; i < n; i++) {
        pager_batch *b;
        pager_begin(p, &b, NULL);
        for (uint32_t j = 0; j < k; j++) {
            uint8_t *data;
            if (pager_write(b, 2 + rnd(pages - 1), &data, &err) != SEALDB_OK) {
                die("write", &err);
            }
            memset(data + 16, (int)(i + j), usable - 16);
        }
        if (pager_commit(b, &err) != SEALDB_OK) {
            die("commit", &err);
        }
    }
    const double t = bench_now() - t0;
    pager_close(p, NULL);
    return (double)n / t;
}

static void bench_commits(const options *o, result r[N_COMMIT][3][3], int run)
{
    char path[N_COMMIT][600];
    seal_ctx *ctx[N_COMMIT];
    for (int c = 0; c < N_COMMIT; c++) {
        snprintf(path[c], sizeof path[c], "%s/commit-%d.db", o->dir, c);
        ctx[c] = make_ctx(commit_ciphers[c]);
        make_db(path[c], ctx[c], o->commit_pages);
    }
    for (int ki = 0; ki < 3; ki++) {
        for (int m = 0; m < 3; m++) {
            const long n = o->commits[ki][m];
            /* the plain pager is last in commit_ciphers: measure it first */
            const double plain =
                commits(path[N_COMMIT - 1], NULL, o->commit_pages, modes[m], commit_sizes[ki], n);
            for (int c = 0; c < N_COMMIT; c++) {
                result *x = &r[c][ki][m];
                x->ops[run] = c == N_COMMIT - 1 ? plain
                                                : commits(path[c], ctx[c], o->commit_pages,
                                                          modes[m], commit_sizes[ki], n);
                x->base[run] = plain;
                x->count = n;
                x->pages_per_op = commit_sizes[ki];
            }
        }
    }
    for (int c = 0; c < N_COMMIT; c++) {
        seal_ctx_close(ctx[c]);
        bench_remove_db(path[c]);
    }
}

/* ---- output -------------------------------------------------------------------------------------
 */

static void print_result(const options *o, const result *r, const char *target)
{
    double mn, mx, rmn, rmx;
    const double med = bench_median(r->ops, r->n, &mn, &mx);
    double ratio[MAX_RUNS];
    for (int i = 0; i < r->n; i++) {
        ratio[i] = r->ops[i] / r->base[i];
    }
    const double rmed = bench_median(ratio, r->n, &rmn, &rmx);
    double bmn, bmx;
    const double bmed = bench_median(r->base, r->n, &bmn, &bmx);
    if (o->json) {
        printf("{\"suite\":\"pager\",\"engine\":\"%s\",\"workload\":\"%s\",\"ops_per_s\":%.0f,"
               "\"runs\":%d,\"min\":%.0f,\"max\":%.0f,\"ratio_to_baseline\":%.4f,"
               "\"ratio_min\":%.4f,\"ratio_max\":%.4f,\"baseline\":\"%s\","
               "\"baseline_ops_per_s\":%.0f,\"ns_per_op\":%.1f,\"baseline_ns_per_op\":%.1f,"
               "\"ops_per_run\":%ld,\"page_size\":%d",
               r->engine, r->workload, med, r->n, mn, mx, rmed, rmn, rmx, r->baseline, bmed,
               1e9 / med, 1e9 / bmed, r->count, PAGE_SIZE);
        if (r->pages_per_op) {
            printf(",\"pages_per_commit\":%u,\"pages_per_s\":%.0f", r->pages_per_op,
                   med * r->pages_per_op);
        }
        if (target) {
            printf(",\"target\":\"%s\"", target);
        }
        printf("}\n");
    } else {
        printf(
            "%-14s %-18s %12.0f ops/s (%9.1f ns)  %-20s %12.0f ops/s  ratio %.3f (%.3f-%.3f)%s%s\n",
            r->workload, r->engine, med, 1e9 / med, r->baseline, bmed, rmed, rmn, rmx,
            target ? "  target " : "", target ? target : "");
    }
}

static const char usage_text[] =
    "usage: %s [--quick] [--json] [--runs N] [--only hit|miss|commit] [--dir DIR]\n"
    "  Cache hits against a hash-table lookup, cache misses against pread +\n"
    "  unseal, and commits of 1, 10 and 100 pages at durability off, normal and\n"
    "  full, sealed against plain; each in the same run as its baseline.\n"
    "  --quick     small files, 1 run (a smoke test, not for comparison)\n"
    "  --json      JSON lines (a settings line first) instead of a table\n"
    "  --runs N    runs, median reported (default 5)\n"
    "  --only X    measure only hits, misses or commits\n"
    "  --dir DIR   scratch directory (default $TMPDIR or /tmp)\n";

int bench_pager_main(int argc, char **argv)
{
    options o = {.runs = 0};
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
        } else if (!strcmp(argv[i], "--only") && i + 1 < argc) {
            o.only = argv[++i];
            if (strcmp(o.only, "hit") && strcmp(o.only, "miss") && strcmp(o.only, "commit")) {
                fprintf(stderr, "%s: --only takes hit, miss or commit\n", argv[0]);
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
    const int q = o.quick;
    o.hit_pages = q ? 1024 : 8192;
    o.hit_lookups = q ? 200000 : 4000000;
    o.miss_pages = q ? 1024 : 16384;
    o.miss_lookups = q ? 5000 : 100000;
    o.commit_pages = q ? 512 : 4096;
    static const long full_counts[3][3] = {{4000, 4000, 300}, {2000, 2000, 300}, {300, 300, 100}};
    for (int k = 0; k < 3; k++) {
        for (int m = 0; m < 3; m++) {
            o.commits[k][m] = q ? full_counts[k][m] / 20 + 5 : full_counts[k][m];
        }
    }
    snprintf(o.dir, sizeof o.dir, "%s/sealdb-bench-pager-XXXXXX", base);
    if (!mkdtemp(o.dir)) {
        fprintf(stderr, "%s: cannot make a directory in %s: %s\n", argv[0], base, strerror(errno));
        return 1;
    }
    if (crypto_init() != 0) {
        return 1;
    }
    if (o.json) {
        printf("{\"suite\":\"pager\",\"op\":\"settings\",\"program\":\"bench_pager\","
               "\"quick\":%s,\"runs\":%d,\"page_size\":%d,\"hit_pages\":%u,\"hit_lookups\":%ld,"
               "\"miss_pages\":%u,\"miss_cache_pages\":16,\"miss_lookups\":%ld,"
               "\"commit_db_pages\":%u,\"layout\":\"hardened\",\"ratio\":\"median over runs of "
               "engine/baseline in the same run\"}\n",
               q ? "true" : "false", o.runs, PAGE_SIZE, o.hit_pages, o.hit_lookups, o.miss_pages,
               o.miss_lookups, o.commit_pages);
    }
    static result hit[2], miss[N_MISS], commit[N_COMMIT][3][3];
    for (int i = 0; i < 2; i++) {
        hit[i].workload = "hit";
        snprintf(hit[i].baseline, sizeof hit[i].baseline, "hash-table");
    }
    snprintf(hit[0].engine, sizeof hit[0].engine, "pager-aegis128l");
    snprintf(hit[1].engine, sizeof hit[1].engine, "pager-aegis128l-%d-per-snapshot", HIT_SHORT);
    for (int c = 0; c < N_MISS; c++) {
        const char *name = miss_ciphers[c] ? sealdb_cipher_name(miss_ciphers[c]) : "plain";
        miss[c].workload = "miss";
        snprintf(miss[c].engine, sizeof miss[c].engine, "pager-%s", name);
        snprintf(miss[c].baseline, sizeof miss[c].baseline,
                 miss_ciphers[c] ? "pread+unseal-%s" : "pread", name);
    }
    static char commit_names[3][3][24];
    for (int c = 0; c < N_COMMIT; c++) {
        const char *name = commit_ciphers[c] ? sealdb_cipher_name(commit_ciphers[c]) : "plain";
        for (int k = 0; k < 3; k++) {
            for (int m = 0; m < 3; m++) {
                snprintf(commit_names[k][m], sizeof commit_names[k][m], "commit_%u_%s",
                         commit_sizes[k], mode_names[m]);
                commit[c][k][m].workload = commit_names[k][m];
                snprintf(commit[c][k][m].engine, sizeof commit[c][k][m].engine, "pager-%s", name);
                snprintf(commit[c][k][m].baseline, sizeof commit[c][k][m].baseline, "pager-plain");
            }
        }
    }
    for (int run = 0; run < o.runs; run++) {
        if (!o.only || !strcmp(o.only, "hit")) {
            bench_hits(&o, hit, run);
        }
        if (!o.only || !strcmp(o.only, "miss")) {
            bench_misses(&o, miss, run);
        }
        if (!o.only || !strcmp(o.only, "commit")) {
            bench_commits(&o, commit, run);
        }
        hit[0].n = hit[1].n = run + 1;
        for (int c = 0; c < N_MISS; c++) {
            miss[c].n = run + 1;
        }
        for (int c = 0; c < N_COMMIT; c++) {
            for (int k = 0; k < 3; k++) {
                for (int m = 0; m < 3; m++) {
                    commit[c][k][m].n = run + 1;
                }
            }
        }
        if (!o.json) {
            fprintf(stderr, "run %d of %d done\n", run + 1, o.runs);
        }
    }
    if (!o.only || !strcmp(o.only, "hit")) {
        for (int i = 0; i < 2; i++) {
            print_result(&o, &hit[i], "ratio >= 0.5 (a hit within 2x of a hash-table lookup)");
        }
    }
    for (int c = 0; c < N_MISS && (!o.only || !strcmp(o.only, "miss")); c++) {
        print_result(&o, &miss[c], "ratio >= 0.909 (at most pread + unseal + 10%)");
    }
    for (int c = 0; c < N_COMMIT && (!o.only || !strcmp(o.only, "commit")); c++) {
        for (int k = 0; k < 3; k++) {
            for (int m = 0; m < 3; m++) {
                print_result(&o, &commit[c][k][m], NULL);
            }
        }
    }
    char hitpath[600];
    snprintf(hitpath, sizeof hitpath, "%s/hit.db", o.dir);
    bench_remove_db(hitpath);
    rmdir(o.dir);
    return 0;
}
