/*
 * test_native.c - the native engine (include/sealdb.h, "The native engine")
 * checked against SQLite itself.
 *
 * Differential runs. Each seed creates a database natively (plain, or
 * sealed under aegis128l, aegis256 or aes256gcm; page sizes 512 to 65536)
 * and a plain SQLite reference database with the same CREATE statements:
 * 1-3 tables with every affinity, an INTEGER PRIMARY KEY or not, NOT NULL,
 * DEFAULTs, UNIQUE and PRIMARY KEY constraints, and indexes (UNIQUE,
 * multi-column, DESC, COLLATE NOCASE/RTRIM). Seeded random transactions then
 * apply the same operations to both: inserts (automatic rowid, INTEGER
 * PRIMARY KEY given, numeric-looking text, values of every type from empty
 * to several pages), updates, deletes, point reads, seeks on rowid and index
 * cursors (GE/GT/LE/LT/EQ, then next/prev, sometimes with a write of the
 * transaction's own between two steps), CREATE INDEX on filled tables, DROP
 * INDEX/TABLE, commits and rollbacks, close and reopen. Every result and
 * error code must be the one SQLite gives (SQLITE_CONSTRAINT <->
 * SEALDB_ECONSTRAINT, SQLITE_MISMATCH <-> SEALDB_EINVAL, no row or no change
 * <-> SEALDB_ENOTFOUND), and a refused statement leaves the transaction
 * going, unchanged, as in SQLite. Where a seek lands is computed with SQLite:
 * key values compare with index entries as SQL's `column < ?` does (the
 * column's affinity applied to the key, the index's collation and
 * direction). After every commit or rollback the schema, every table and
 * every index, walked with native cursors, must equal the reference
 * (sqlite_schema rows; SELECT ... ORDER BY in the index's order, rowid
 * last); a read transaction begun before a writer must see the same digest
 * after the writer ended. At the end of a seed the natively written file is
 * opened with SQLite (sealed ones through sealdb_sqlite_open): PRAGMA
 * integrity_check must be "ok" and schema and rows must equal the
 * reference.
 *
 * Also: native reads (and writes) of databases SQLite wrote (page sizes 512
 * to 65536, auto-vacuum off, full and incremental, overflow chains, a large
 * freelist, a WAL SQLite never checkpointed); rows older than columns added
 * by ALTER TABLE; tables the engine must refuse to write; exact error codes;
 * snapshot isolation of read transactions.
 *
 * The first failure of a run is reported with its seed, step and operation
 * and ends that run (the others go on). SEALDB_TEST_SEED=N runs seed N of the
 * differential runs alone; SEALDB_TEST_TRACE=1 prints every operation.
 *
 * Arguments: [seeds [steps]] (default 300 and 120; the slow label runs
 * 3,000 of 400).
 */
#define _GNU_SOURCE
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sealdb.h"

static char dir[256];
static int trace;

/* ---- the seed's context and failure reports ---------------------------------------------- */

#define MAXCOL 12
#define MAXIDX 12
#define MAXTAB 4

typedef struct iinfo {
    char name[64];
    int ncol;
    int cols[MAXCOL]; /* table column, -1 for the rowid (INTEGER PRIMARY KEY) */
    int desc[MAXCOL];
    char coll[MAXCOL][8];
    int unique;
    char origin; /* 'c', 'u', 'p' */
} iinfo;

typedef struct tinfo {
    char name[32];
    int ncol;
    int ipk; /* the INTEGER PRIMARY KEY column, or -1 */
    char cols[MAXCOL][16];
    char dflt[MAXCOL][48]; /* the DEFAULT expression's text, "NULL" if none */
    int nidx;
    iinfo idx[MAXIDX];
} tinfo;

typedef struct ctx {
    const char *what; /* which run: "seed", "sqlite-written", ... */
    uint64_t seed;
    int step;
    test_rng rng;
    uint32_t page_size;
    sealdb_db *db;
    sealdb_txn *txn; /* the write transaction in progress, or NULL */
    sqlite3 *ref;    /* the reference database */
    char path[512], refpath[512];
    int sealed;
    char hexkey[80];
    const char *cipher;
    sealdb_sqlite_config keys;
    sealdb_options opt;
    int failed; /* the first failure ends the run */
    char op[1024];
    int ntab;
    tinfo tab[MAXTAB];
    int next_name;
} ctx;

/* Reports a failure with the run, step and operation, and stops the run. */
static void fail(ctx *c, const char *fmt, ...)
{
    check_count++;
    check_failures++;
    if (c->failed++) {
        return;
    }
    fprintf(stderr, "FAIL %s %llu (page size %u, %s%s) step %d: %s\n  ", c->what,
            (unsigned long long)c->seed, c->page_size, c->sealed ? "sealed " : "plain",
            c->sealed ? c->cipher : "", c->step, c->op);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
}

#define EXPECT(c, cond, ...)                                                                       \
    do {                                                                                           \
        if (cond) {                                                                                \
            check_count++;                                                                         \
        } else {                                                                                   \
            fail((c), __VA_ARGS__);                                                                \
        }                                                                                          \
    } while (0)

#define EXPECT_RC(c, got, want, err)                                                               \
    do {                                                                                           \
        const int got_ = (got), want_ = (want);                                                    \
        EXPECT(c, got_ == want_, "%s:%d: %s gave %d (%s), expected %d (%s)", __FILE__, __LINE__,   \
               #got, got_, got_ ? (err)->message : "ok", want_, sealdb_strerror(want_));           \
    } while (0)

static uint32_t rnd(ctx *c, uint32_t n)
{
    return n ? (uint32_t)(test_rng_next(&c->rng) % n) : 0;
}

static int chance(ctx *c, int percent)
{
    return (int)rnd(c, 100) < percent;
}

/* ---- values ---------------------------------------------------------------------------------- */

/* A value the test owns (TEXT and BLOB bytes malloc'ed). */
typedef struct tval {
    uint8_t type;
    int64_t i;
    double r;
    uint32_t n;
    uint8_t *p;
} tval;

static void tval_free(tval *v)
{
    free(v->p);
    memset(v, 0, sizeof *v);
}

static void tval_bytes(tval *v, uint8_t type, const void *p, uint32_t n)
{
    memset(v, 0, sizeof *v);
    v->type = type;
    v->n = n;
    v->p = test_xmalloc(n + 1);
    if (n) {
        memcpy(v->p, p, n);
    }
    v->p[n] = 0;
}

static void tval_copy(tval *dst, const tval *src)
{
    if (src->type == SEALDB_TEXT || src->type == SEALDB_BLOB) {
        tval_bytes(dst, src->type, src->p, src->n);
    } else {
        *dst = *src;
        dst->p = NULL;
    }
}

static void tval_from_col(tval *v, sqlite3_stmt *st, int i)
{
    memset(v, 0, sizeof *v);
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        v->type = SEALDB_INTEGER;
        v->i = sqlite3_column_int64(st, i);
        break;
    case SQLITE_FLOAT:
        v->type = SEALDB_REAL;
        v->r = sqlite3_column_double(st, i);
        break;
    case SQLITE_TEXT: {
        const void *p = sqlite3_column_text(st, i);
        tval_bytes(v, SEALDB_TEXT, p, (uint32_t)sqlite3_column_bytes(st, i));
        break;
    }
    case SQLITE_BLOB: {
        const void *p = sqlite3_column_blob(st, i);
        tval_bytes(v, SEALDB_BLOB, p, (uint32_t)sqlite3_column_bytes(st, i));
        break;
    }
    default: v->type = SEALDB_NULL;
    }
}

static sealdb_value to_native(const tval *v)
{
    sealdb_value s;
    memset(&s, 0, sizeof s);
    s.type = v->type;
    if (v->type == SEALDB_INTEGER) {
        s.i = v->i;
    } else if (v->type == SEALDB_REAL) {
        s.r = v->r;
    } else if (v->type == SEALDB_TEXT || v->type == SEALDB_BLOB) {
        s.n = v->n;
        s.p = v->p;
    }
    return s;
}

static void bind_tval(sqlite3_stmt *st, int i, const tval *v)
{
    switch (v->type) {
    case SEALDB_INTEGER: sqlite3_bind_int64(st, i, v->i); break;
    case SEALDB_REAL: sqlite3_bind_double(st, i, v->r); break;
    case SEALDB_TEXT:
        sqlite3_bind_text(st, i, (const char *)v->p, (int)v->n, SQLITE_TRANSIENT);
        break;
    case SEALDB_BLOB: sqlite3_bind_blob(st, i, v->p, (int)v->n, SQLITE_TRANSIENT); break;
    default: sqlite3_bind_null(st, i);
    }
}

/* Exact equality: type, and value bit for bit (REAL included). */
static int native_eq(const sealdb_value *a, const tval *b)
{
    if (a->type != b->type) {
        return 0;
    }
    switch (a->type) {
    case SEALDB_NULL: return 1;
    case SEALDB_INTEGER: return a->i == b->i;
    case SEALDB_REAL: return memcmp(&a->r, &b->r, sizeof(double)) == 0;
    default: return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
    }
}

static const char *fmt_val(char *buf, size_t cap, uint8_t type, int64_t i, double r,
                           const uint8_t *p, uint32_t n)
{
    switch (type) {
    case SEALDB_NULL: snprintf(buf, cap, "NULL"); break;
    case SEALDB_INTEGER: snprintf(buf, cap, "%lld", (long long)i); break;
    case SEALDB_REAL: snprintf(buf, cap, "%.17g (real)", r); break;
    case SEALDB_TEXT:
        snprintf(buf, cap, "'%.*s'%s (text %u)", n > 40 ? 40 : (int)n, (const char *)p,
                 n > 40 ? "..." : "", n);
        break;
    case SEALDB_BLOB: {
        int k = snprintf(buf, cap, "x'");
        for (uint32_t j = 0; j < n && j < 16 && (size_t)k + 4 < cap; j++) {
            k += snprintf(buf + k, cap - (size_t)k, "%02x", p[j]);
        }
        snprintf(buf + k, cap - (size_t)k, "'%s (blob %u)", n > 16 ? "..." : "", n);
        break;
    }
    default: snprintf(buf, cap, "(type %u)", type);
    }
    return buf;
}

static const char *fmt_native(char *buf, size_t cap, const sealdb_value *v)
{
    return fmt_val(buf, cap, v->type, v->type == SEALDB_INTEGER ? v->i : 0,
                   v->type == SEALDB_REAL ? v->r : 0, v->type >= SEALDB_TEXT ? v->p : NULL,
                   v->type >= SEALDB_TEXT ? v->n : 0);
}

static const char *fmt_tval(char *buf, size_t cap, const tval *v)
{
    return fmt_val(buf, cap, v->type, v->i, v->r, v->p, v->n);
}

/* Compares a native value with a reference column; reports a mismatch. */
static void expect_col(ctx *c, const sealdb_value *got, sqlite3_stmt *st, int col, const char *what,
                       int64_t rowid, int k)
{
    tval want;
    tval_from_col(&want, st, col);
    if (!native_eq(got, &want)) {
        char g[160], w[160];
        fail(c, "%s, rowid %lld, column %d: got %s, expected %s", what, (long long)rowid, k,
             fmt_native(g, sizeof g, got), fmt_tval(w, sizeof w, &want));
    } else {
        check_count++;
    }
    tval_free(&want);
}

/* ---- random values ----------------------------------------------------------------------------
 */

static const char *const numeric_texts[] = {"12",
                                            " 12 ",
                                            "-7",
                                            "3.5",
                                            "1e3",
                                            "0x10",
                                            "12abc",
                                            "9223372036854775807",
                                            "9223372036854775808",
                                            "-0",
                                            "1.0",
                                            "0.1",
                                            "",
                                            " ",
                                            "+5",
                                            "1e400",
                                            "007"};
static const char *const short_alpha = "aAbB z";

static void gen_text(ctx *c, tval *v)
{
    char buf[64];
    const uint32_t kind = rnd(c, 10);
    if (kind < 3) { /* short strings where NOCASE and RTRIM matter */
        const uint32_t n = rnd(c, 5);
        for (uint32_t i = 0; i < n; i++) {
            buf[i] = short_alpha[rnd(c, 6)];
        }
        tval_bytes(v, SEALDB_TEXT, buf, n);
    } else if (kind < 6) {
        const char *s = numeric_texts[rnd(c, sizeof numeric_texts / sizeof *numeric_texts)];
        tval_bytes(v, SEALDB_TEXT, s, (uint32_t)strlen(s));
    } else if (kind < 8) {
        const char *u[] = {"grüße", "✓ ok", "Zebra", "apple", "Apple ", "naïve", "x"};
        const char *s = u[rnd(c, 7)];
        tval_bytes(v, SEALDB_TEXT, s, (uint32_t)strlen(s));
    } else { /* long: up to three pages, overflow chains */
        const uint32_t n = chance(c, 70) ? rnd(c, 300) : rnd(c, c->page_size * 3 + 1);
        uint8_t *p = test_xmalloc(n + 1);
        for (uint32_t i = 0; i < n; i++) {
            p[i] = (uint8_t)(97u + (i * 7u + (uint32_t)c->step) % 26u);
        }
        tval_bytes(v, SEALDB_TEXT, p, n);
        free(p);
    }
}

static void gen_value(ctx *c, tval *v)
{
    memset(v, 0, sizeof *v);
    const uint32_t k = rnd(c, 100);
    if (k < 12) {
        v->type = SEALDB_NULL;
    } else if (k < 40) {
        v->type = SEALDB_INTEGER;
        const uint32_t s = rnd(c, 10);
        if (s < 6) {
            v->i = (int64_t)rnd(c, 25) - 5;
        } else if (s < 8) {
            v->i = (int64_t)(test_rng_next(&c->rng) >> rnd(c, 63)) * (chance(c, 50) ? -1 : 1);
        } else {
            const int64_t edge[] = {INT64_MIN,
                                    INT64_MAX,
                                    (int64_t)1 << 53,
                                    -((int64_t)1 << 53) - 1,
                                    127,
                                    128,
                                    32767,
                                    32768,
                                    8388608,
                                    2147483648LL,
                                    0};
            v->i = edge[rnd(c, 11)];
        }
    } else if (k < 55) {
        v->type = SEALDB_REAL;
        const double reals[] = {1.5,
                                3.0,
                                -2.0,
                                0.0,
                                -0.0,
                                1e300,
                                -1e-300,
                                0.1,
                                9.2233720368547758e18,
                                -9.2233720368547758e18,
                                2.5,
                                1e15,
                                123456.75};
        v->r = chance(c, 70) ? reals[rnd(c, 13)] : ((double)rnd(c, 2000000) - 1e6) / 64.0;
    } else if (k < 85) {
        gen_text(c, v);
    } else {
        const uint32_t n = chance(c, 70) ? rnd(c, 20) : rnd(c, c->page_size * 3 + 1);
        uint8_t *p = test_xmalloc(n + 1);
        test_rng_fill(&c->rng, p, n);
        if (n && chance(c, 30)) {
            memset(p, 'a', n); /* blobs that equal text bytes */
        }
        tval_bytes(v, SEALDB_BLOB, p, n);
        free(p);
    }
}

/* A value for an INTEGER PRIMARY KEY column: NULL (automatic), dense or
 * sparse integers, text and reals that convert, and ones that do not. */
static void gen_ipk(ctx *c, tval *v)
{
    memset(v, 0, sizeof *v);
    const uint32_t k = rnd(c, 100);
    if (k < 35) {
        v->type = SEALDB_NULL;
    } else if (k < 70) {
        v->type = SEALDB_INTEGER;
        v->i = (int64_t)rnd(c, 300) + 1;
    } else if (k < 85) {
        v->type = SEALDB_INTEGER;
        v->i = (int64_t)(test_rng_next(&c->rng) >> 24) - ((int64_t)1 << 39);
    } else if (k < 90) {
        char buf[32];
        snprintf(buf, sizeof buf, chance(c, 50) ? "%u" : " %u ", rnd(c, 300));
        tval_bytes(v, SEALDB_TEXT, buf, (uint32_t)strlen(buf));
    } else if (k < 95) {
        v->type = SEALDB_REAL;
        v->r = chance(c, 50) ? (double)rnd(c, 300) : 2.5;
    } else { /* values that are no integer */
        const uint32_t w = rnd(c, 3);
        if (w == 0) {
            tval_bytes(v, SEALDB_TEXT, "abc", 3);
        } else if (w == 1) {
            tval_bytes(v, SEALDB_BLOB, "\x01", 1);
        } else {
            v->type = SEALDB_REAL;
            v->r = 1e300;
        }
    }
}

/* ---- the reference database ------------------------------------------------------------------ */

static int ref_exec(ctx *c, const char *sql)
{
    char *msg = NULL;
    const int rc = sqlite3_exec(c->ref, sql, NULL, NULL, &msg);
    sqlite3_free(msg);
    return rc;
}

static sqlite3_stmt *ref_prepare(ctx *c, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(c->ref, sql, -1, &st, NULL) != SQLITE_OK) {
        fail(c, "reference cannot prepare %s: %s", sql, sqlite3_errmsg(c->ref));
        return NULL;
    }
    return st;
}

/* The native code SQLite's result stands for. */
static int code_of_sqlite(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW: return SEALDB_OK;
    case SQLITE_CONSTRAINT: return SEALDB_ECONSTRAINT;
    case SQLITE_MISMATCH: return SEALDB_EINVAL;
    default: return -1000 - rc;
    }
}

/* Loads the model (tables, columns, defaults, indexes) from the reference. */
static void load_model(ctx *c)
{
    c->ntab = 0;
    sqlite3_stmt *st = ref_prepare(c, "SELECT name FROM sqlite_schema WHERE type='table' AND "
                                      "name NOT LIKE 'sqlite_%' ORDER BY rowid");
    while (st && sqlite3_step(st) == SQLITE_ROW && c->ntab < MAXTAB) {
        tinfo *t = &c->tab[c->ntab++];
        memset(t, 0, sizeof *t);
        snprintf(t->name, sizeof t->name, "%s", sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    for (int ti = 0; ti < c->ntab; ti++) {
        tinfo *t = &c->tab[ti];
        char sql[256];
        t->ipk = -1;
        snprintf(sql, sizeof sql, "PRAGMA table_info(\"%s\")", t->name);
        st = ref_prepare(c, sql);
        int npk = 0, pkcol = -1;
        while (st && sqlite3_step(st) == SQLITE_ROW && t->ncol < MAXCOL) {
            const int k = t->ncol++;
            snprintf(t->cols[k], sizeof t->cols[k], "%s", sqlite3_column_text(st, 1));
            const unsigned char *d = sqlite3_column_text(st, 4);
            snprintf(t->dflt[k], sizeof t->dflt[k], "%s", d ? (const char *)d : "NULL");
            if (sqlite3_column_int(st, 5)) {
                npk++;
                if (!strcasecmp((const char *)sqlite3_column_text(st, 2), "INTEGER")) {
                    pkcol = k;
                }
            }
        }
        sqlite3_finalize(st);
        snprintf(sql, sizeof sql, "PRAGMA index_list(\"%s\")", t->name);
        st = ref_prepare(c, sql);
        while (st && sqlite3_step(st) == SQLITE_ROW && t->nidx < MAXIDX) {
            iinfo *x = &t->idx[t->nidx++];
            memset(x, 0, sizeof *x);
            snprintf(x->name, sizeof x->name, "%s", sqlite3_column_text(st, 1));
            x->unique = sqlite3_column_int(st, 2);
            x->origin = (char)sqlite3_column_text(st, 3)[0];
        }
        sqlite3_finalize(st);
        /* an INTEGER PRIMARY KEY has no index of its own */
        int pk_index = 0;
        for (int i = 0; i < t->nidx; i++) {
            pk_index |= t->idx[i].origin == 'p';
        }
        if (npk == 1 && pkcol >= 0 && !pk_index) {
            t->ipk = pkcol;
        }
        for (int i = 0; i < t->nidx; i++) {
            iinfo *x = &t->idx[i];
            snprintf(sql, sizeof sql, "PRAGMA index_xinfo(\"%s\")", x->name);
            st = ref_prepare(c, sql);
            while (st && sqlite3_step(st) == SQLITE_ROW) {
                if (!sqlite3_column_int(st, 5) || x->ncol == MAXCOL) {
                    continue; /* the rowid at the end */
                }
                const int k = x->ncol++;
                x->cols[k] = sqlite3_column_int(st, 1);
                x->desc[k] = sqlite3_column_int(st, 3);
                snprintf(x->coll[k], sizeof x->coll[k], "%s", sqlite3_column_text(st, 4));
            }
            sqlite3_finalize(st);
        }
    }
}

static const char *col_name(const tinfo *t, int col)
{
    return col < 0 ? "rowid" : t->cols[col];
}

/* "ORDER BY" of an index: its columns with collations and directions, then
 * the rowid. */
static void index_order_sql(const tinfo *t, const iinfo *x, char *out, size_t cap)
{
    size_t k = 0;
    k += (size_t)snprintf(out + k, cap - k, "SELECT ");
    for (int i = 0; i < x->ncol; i++) {
        k += (size_t)snprintf(out + k, cap - k, "%s, ", col_name(t, x->cols[i]));
    }
    k += (size_t)snprintf(out + k, cap - k, "rowid FROM \"%s\" ORDER BY ", t->name);
    for (int i = 0; i < x->ncol; i++) {
        k += (size_t)snprintf(out + k, cap - k, "%s COLLATE %s %s, ", col_name(t, x->cols[i]),
                              x->coll[i], x->desc[i] ? "DESC" : "ASC");
    }
    snprintf(out + k, cap - k, "rowid");
}

/* ---- an ordered list of index entries (or rowids), from the reference ----------------------- */

typedef struct entry {
    tval key[MAXCOL];
    int64_t rowid;
} entry;

typedef struct elist {
    int n, cap, ncol;
    entry *e;
} elist;

static void elist_free(elist *l)
{
    for (int i = 0; i < l->n; i++) {
        for (int k = 0; k < l->ncol; k++) {
            tval_free(&l->e[i].key[k]);
        }
    }
    free(l->e);
    memset(l, 0, sizeof *l);
}

/* Every entry of index x (NULL: the table's rowids) in its order. */
static void elist_load(ctx *c, const tinfo *t, const iinfo *x, elist *l)
{
    memset(l, 0, sizeof *l);
    char sql[2048];
    if (x) {
        index_order_sql(t, x, sql, sizeof sql);
        l->ncol = x->ncol;
    } else {
        snprintf(sql, sizeof sql, "SELECT rowid FROM \"%s\" ORDER BY rowid", t->name);
    }
    sqlite3_stmt *st = ref_prepare(c, sql);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        if (l->n == l->cap) {
            l->cap = l->cap ? 2 * l->cap : 64;
            l->e = realloc(l->e, sizeof(entry) * (size_t)l->cap);
        }
        entry *e = &l->e[l->n++];
        for (int k = 0; k < l->ncol; k++) {
            tval_from_col(&e->key[k], st, k);
        }
        e->rowid = sqlite3_column_int64(st, l->ncol);
    }
    sqlite3_finalize(st);
}

/* SQLite's comparison of key column k of entry e (the row at e->rowid) with
 * a seek key value, as SQL's `column < ?` compares them: the column's
 * affinity applied to the key, the index column's collation. */
static int ref_compare(ctx *c, const tinfo *T, const iinfo *x, int k, const entry *e,
                       const tval *key)
{
    const tval *a = &e->key[k];
    if (a->type == SEALDB_NULL || key->type == SEALDB_NULL) {
        return (a->type != SEALDB_NULL) - (key->type != SEALDB_NULL);
    }
    char sql[400];
    const char *col = col_name(T, x->cols[k]);
    snprintf(sql, sizeof sql,
             "SELECT (%s > ?2 COLLATE %s) - (%s < ?2 COLLATE %s) FROM \"%s\" WHERE rowid = ?1", col,
             x->coll[k], col, x->coll[k], T->name);
    sqlite3_stmt *st = ref_prepare(c, sql);
    if (!st) {
        return 0;
    }
    sqlite3_bind_int64(st, 1, e->rowid);
    bind_tval(st, 2, key);
    int r = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        r = sqlite3_column_int(st, 0);
    } else {
        fail(c, "the reference has no row %lld for index entry comparison", (long long)e->rowid);
    }
    sqlite3_finalize(st);
    return r;
}

/* Two stored index values under a collation, as the index orders them (no
 * affinity: bound parameters compared in SQL). */
static int raw_compare(ctx *c, const tval *a, const tval *b, const char *coll)
{
    if (a->type == SEALDB_NULL || b->type == SEALDB_NULL) {
        return (a->type != SEALDB_NULL) - (b->type != SEALDB_NULL);
    }
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT (?1 > ?2 COLLATE %s) - (?1 < ?2 COLLATE %s)", coll, coll);
    sqlite3_stmt *st = ref_prepare(c, sql);
    int r = 0;
    if (st) {
        bind_tval(st, 1, a);
        bind_tval(st, 2, b);
        if (sqlite3_step(st) == SQLITE_ROW) {
            r = sqlite3_column_int(st, 0);
        }
        sqlite3_finalize(st);
    }
    return r;
}

/* Two entries of index x (NULL: rowids) in its order, the rowid last. */
static int entries_compare(ctx *c, const iinfo *x, const entry *a, const entry *b)
{
    for (int k = 0; x && k < x->ncol; k++) {
        int r = raw_compare(c, &a->key[k], &b->key[k], x->coll[k]);
        if (x->desc[k]) {
            r = -r;
        }
        if (r) {
            return r;
        }
    }
    return (a->rowid > b->rowid) - (a->rowid < b->rowid);
}

/* Where next (fwd) or prev lands from entry `was` that may have gone: the
 * first entry after it, or the last before it; -1 for end of file. */
static int model_move_from(ctx *c, const iinfo *x, const elist *l, const entry *was, int fwd)
{
    if (fwd) {
        for (int i = 0; i < l->n; i++) {
            if (entries_compare(c, x, &l->e[i], was) > 0) {
                return i;
            }
        }
        return -1;
    }
    for (int i = l->n - 1; i >= 0; i--) {
        if (entries_compare(c, x, &l->e[i], was) < 0) {
            return i;
        }
    }
    return -1;
}

/* Entry e's first n columns against key[0..n) in index order. */
static int entry_compare(ctx *c, const tinfo *T, const iinfo *x, const entry *e, const tval *key,
                         int n)
{
    if (!x) {
        return (e->rowid > key[0].i) - (e->rowid < key[0].i);
    }
    for (int k = 0; k < n; k++) {
        int r = ref_compare(c, T, x, k, e, &key[k]);
        if (x->desc[k]) {
            r = -r;
        }
        if (r) {
            return r;
        }
    }
    return 0;
}

/* Where a seek lands in l: an entry index, or -1 for end of file. */
static int model_seek(ctx *c, const tinfo *T, const iinfo *x, const elist *l, const tval *key,
                      int n, int op)
{
    int lo = 0, hi = l->n; /* first entry >= key */
    while (lo < hi) {
        const int mid = (lo + hi) / 2;
        if (entry_compare(c, T, x, &l->e[mid], key, n) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    const int ge = lo;
    lo = ge, hi = l->n; /* first entry > key */
    while (lo < hi) {
        const int mid = (lo + hi) / 2;
        if (entry_compare(c, T, x, &l->e[mid], key, n) <= 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    const int gt = lo;
    switch (op) {
    case SEALDB_SEEK_GE: return ge < l->n ? ge : -1;
    case SEALDB_SEEK_GT: return gt < l->n ? gt : -1;
    case SEALDB_SEEK_LE: return gt - 1;
    case SEALDB_SEEK_LT: return ge - 1;
    default: return ge < gt ? ge : -1;
    }
}

/* ---- native helpers -------------------------------------------------------------------------- */

static sealdb_table *find_table(ctx *c, sealdb_txn *t, const tinfo *ti)
{
    sealdb_table *tbl = NULL;
    sealdb_error err;
    const int rc = sealdb_table_find(t, ti->name, &tbl, &err);
    EXPECT(c, rc == SEALDB_OK && tbl, "sealdb_table_find(%s) gave %d: %s", ti->name, rc,
           rc ? err.message : "");
    return rc == SEALDB_OK ? tbl : NULL;
}

static const char *const seek_names[] = {"GE", "GT", "LE", "LT", "EQ"};

/* Checks the cursor's position against entry pos of l (-1: end of file). */
static void expect_position(ctx *c, sealdb_cursor *cur, const iinfo *x, const elist *l, int pos,
                            const char *what)
{
    const int eof = sealdb_cursor_eof(cur);
    if (pos < 0 || pos >= l->n) {
        EXPECT(c, eof, "%s: expected end of file, cursor at rowid %lld", what,
               eof ? 0LL : (long long)sealdb_cursor_rowid(cur));
        return;
    }
    const entry *e = &l->e[pos];
    if (eof) {
        fail(c, "%s: cursor at end of file, expected rowid %lld (entry %d of %d)", what,
             (long long)e->rowid, pos, l->n);
        return;
    }
    const int64_t rowid = sealdb_cursor_rowid(cur);
    EXPECT(c, rowid == e->rowid, "%s: cursor at rowid %lld, expected %lld (entry %d of %d)", what,
           (long long)rowid, (long long)e->rowid, pos, l->n);
    if (x && rowid == e->rowid) {
        sealdb_value key[MAXCOL];
        sealdb_error err;
        const int rc = sealdb_cursor_key(cur, key, (uint32_t)x->ncol, &err);
        EXPECT_RC(c, rc, SEALDB_OK, &err);
        for (int k = 0; rc == SEALDB_OK && k < x->ncol && !c->failed; k++) {
            if (!native_eq(&key[k], &e->key[k])) {
                char g[160], w[160];
                fail(c, "%s: index %s key column %d at rowid %lld: got %s, expected %s", what,
                     x->name, k, (long long)rowid, fmt_native(g, sizeof g, &key[k]),
                     fmt_tval(w, sizeof w, &e->key[k]));
            }
        }
    }
}

/* The row at the cursor (or row rowid) against the reference's. */
static void expect_row(ctx *c, sealdb_txn *t, sealdb_table *tbl, sealdb_cursor *cur,
                       const tinfo *ti, int64_t rowid, uint32_t n, const char *what)
{
    sealdb_value v[MAXCOL];
    sealdb_error err;
    const int rc = cur ? sealdb_cursor_row(cur, v, n, &err) : sealdb_get(t, tbl, rowid, v, n, &err);
    char sql[1024];
    size_t k = (size_t)snprintf(sql, sizeof sql, "SELECT ");
    for (int i = 0; i < ti->ncol; i++) {
        k += (size_t)snprintf(sql + k, sizeof sql - k, "%s%s", i ? ", " : "", ti->cols[i]);
    }
    snprintf(sql + k, sizeof sql - k, " FROM \"%s\" WHERE rowid = ?", ti->name);
    sqlite3_stmt *st = ref_prepare(c, sql);
    if (!st) {
        return;
    }
    sqlite3_bind_int64(st, 1, rowid);
    const int src = sqlite3_step(st);
    if (src != SQLITE_ROW) {
        EXPECT_RC(c, rc, SEALDB_ENOTFOUND, &err);
    } else {
        EXPECT_RC(c, rc, SEALDB_OK, &err);
        if (rc == SEALDB_OK) {
            /* the reference's values before the next native call */
            for (uint32_t i = 0; i < n && !c->failed; i++) {
                expect_col(c, &v[i], st, (int)i, what, rowid, (int)i);
            }
        }
    }
    sqlite3_finalize(st);
}

/* Walks every table and index with native cursors against the reference. */
static void compare_all(ctx *c, sealdb_txn *t, const char *when)
{
    char what[200];
    for (int ti = 0; ti < c->ntab && !c->failed; ti++) {
        const tinfo *T = &c->tab[ti];
        sealdb_table *tbl = find_table(c, t, T);
        if (!tbl) {
            return;
        }
        EXPECT(c, sealdb_table_columns(tbl) == (uint32_t)T->ncol, "%s: %s has %u columns, not %d",
               when, T->name, sealdb_table_columns(tbl), T->ncol);
        EXPECT(c, sealdb_table_rowid_column(tbl) == T->ipk, "%s: %s rowid column %d, not %d", when,
               T->name, sealdb_table_rowid_column(tbl), T->ipk);
        for (int k = 0; k < T->ncol && k < (int)sealdb_table_columns(tbl); k++) {
            const char *nm = sealdb_table_column_name(tbl, (uint32_t)k);
            EXPECT(c, nm && !strcmp(nm, T->cols[k]), "%s: %s column %d named %s, not %s", when,
                   T->name, k, nm ? nm : "(null)", T->cols[k]);
        }
        /* rows, forwards, every column */
        char sql[1024];
        size_t k = (size_t)snprintf(sql, sizeof sql, "SELECT rowid");
        for (int i = 0; i < T->ncol; i++) {
            k += (size_t)snprintf(sql + k, sizeof sql - k, ", %s", T->cols[i]);
        }
        snprintf(sql + k, sizeof sql - k, " FROM \"%s\" ORDER BY rowid", T->name);
        sqlite3_stmt *st = ref_prepare(c, sql);
        sealdb_cursor *cur = NULL;
        sealdb_error err;
        int rc = sealdb_cursor_open(t, tbl, NULL, &cur, &err);
        EXPECT_RC(c, rc, SEALDB_OK, &err);
        if (rc != SEALDB_OK || !st) {
            sqlite3_finalize(st);
            return;
        }
        EXPECT(c, sealdb_cursor_eof(cur), "%s: a new cursor is not at end of file", when);
        rc = sealdb_cursor_first(cur, &err);
        EXPECT_RC(c, rc, SEALDB_OK, &err);
        int nrows = 0;
        while (!c->failed && sqlite3_step(st) == SQLITE_ROW) {
            const int64_t rowid = sqlite3_column_int64(st, 0);
            snprintf(what, sizeof what, "%s: %s row %d", when, T->name, nrows);
            if (sealdb_cursor_eof(cur)) {
                fail(c, "%s: cursor at end of file, expected rowid %lld", what, (long long)rowid);
                break;
            }
            EXPECT(c, sealdb_cursor_rowid(cur) == rowid, "%s: rowid %lld, expected %lld", what,
                   (long long)sealdb_cursor_rowid(cur), (long long)rowid);
            sealdb_value v[MAXCOL];
            rc = sealdb_cursor_row(cur, v, (uint32_t)T->ncol, &err);
            EXPECT_RC(c, rc, SEALDB_OK, &err);
            for (int i = 0; rc == SEALDB_OK && i < T->ncol && !c->failed; i++) {
                expect_col(c, &v[i], st, i + 1, what, rowid, i);
            }
            rc = sealdb_cursor_next(cur, &err);
            EXPECT_RC(c, rc, SEALDB_OK, &err);
            nrows++;
        }
        if (!c->failed) {
            EXPECT(c, sealdb_cursor_eof(cur), "%s: %s has more rows than the reference's %d", when,
                   T->name, nrows);
        }
        sqlite3_finalize(st);
        /* rowids, backwards */
        elist l;
        elist_load(c, T, NULL, &l);
        rc = sealdb_cursor_last(cur, &err);
        EXPECT_RC(c, rc, SEALDB_OK, &err);
        for (int i = l.n - 1; i >= -1 && !c->failed; i--) {
            snprintf(what, sizeof what, "%s: %s backwards", when, T->name);
            expect_position(c, cur, NULL, &l, i, what);
            if (i >= 0) {
                sealdb_cursor_prev(cur, &err);
            }
        }
        elist_free(&l);
        sealdb_cursor_close(cur);
        /* every index, forwards (keys and rowids), and backwards */
        for (int xi = 0; xi < T->nidx && !c->failed; xi++) {
            const iinfo *x = &T->idx[xi];
            rc = sealdb_cursor_open(t, tbl, x->name, &cur, &err);
            snprintf(what, sizeof what, "%s: index %s", when, x->name);
            EXPECT_RC(c, rc, SEALDB_OK, &err);
            if (rc != SEALDB_OK) {
                return;
            }
            elist_load(c, T, x, &l);
            sealdb_cursor_first(cur, &err);
            for (int i = 0; i <= l.n && !c->failed; i++) {
                expect_position(c, cur, x, &l, i, what);
                if (i < l.n) {
                    sealdb_cursor_next(cur, &err);
                }
            }
            sealdb_cursor_last(cur, &err);
            for (int i = l.n - 1; i >= -1 && !c->failed; i--) {
                expect_position(c, cur, x, &l, i, what);
                if (i >= 0) {
                    sealdb_cursor_prev(cur, &err);
                }
            }
            elist_free(&l);
            sealdb_cursor_close(cur);
        }
    }
}

/* The schema the native transaction sees against the reference's. */
static void compare_schema(ctx *c, sealdb_txn *t)
{
    const sealdb_schema_entry *e = NULL;
    uint32_t n = 0;
    sealdb_error err;
    const int rc = sealdb_schema(t, &e, &n, &err);
    EXPECT_RC(c, rc, SEALDB_OK, &err);
    if (rc != SEALDB_OK) {
        return;
    }
    sqlite3_stmt *st = ref_prepare(c, "SELECT type, name, tbl_name, sql FROM sqlite_schema");
    uint32_t i = 0;
    while (st && !c->failed && sqlite3_step(st) == SQLITE_ROW) {
        if (i >= n) {
            fail(c, "schema: %u native entries, the reference has more (%s)", n,
                 sqlite3_column_text(st, 1));
            break;
        }
        const char *want[4];
        for (int k = 0; k < 4; k++) {
            want[k] = (const char *)sqlite3_column_text(st, k);
        }
        const char *got[4] = {e[i].type, e[i].name, e[i].tbl_name, e[i].sql};
        for (int k = 0; k < 4; k++) {
            const int same =
                (!want[k] && !got[k]) || (want[k] && got[k] && !strcmp(want[k], got[k]));
            EXPECT(c, same, "schema entry %u field %d: got %s, expected %s", i, k,
                   got[k] ? got[k] : "NULL", want[k] ? want[k] : "NULL");
        }
        i++;
    }
    if (!c->failed) {
        EXPECT(c, i == n, "schema: %u native entries, reference %u", n, i);
    }
    sqlite3_finalize(st);
}

/* ---- operations --------------------------------------------------------------------------------
 */

static void describe_values(char *out, size_t cap, const tval *v, int n)
{
    size_t k = strlen(out);
    for (int i = 0; i < n && k + 8 < cap; i++) {
        char b[120];
        k +=
            (size_t)snprintf(out + k, cap - k, "%s%s", i ? ", " : "", fmt_tval(b, sizeof b, &v[i]));
    }
    if (k + 2 < cap) {
        snprintf(out + k, cap - k, ")");
    }
}

static void gen_row(ctx *c, const tinfo *T, tval *v, int n)
{
    for (int i = 0; i < n; i++) {
        if (i == T->ipk) {
            gen_ipk(c, &v[i]);
        } else {
            gen_value(c, &v[i]);
        }
    }
}

static int64_t pick_rowid(ctx *c, const tinfo *T)
{
    char sql[256];
    if (chance(c, 15)) {
        return (int64_t)rnd(c, 400) - 20;
    }
    snprintf(sql, sizeof sql,
             "SELECT rowid FROM \"%s\" ORDER BY rowid LIMIT 1 OFFSET ?1 %% "
             "max(1, (SELECT count(*) FROM \"%s\"))",
             T->name, T->name);
    sqlite3_stmt *st = ref_prepare(c, sql);
    int64_t r = 1;
    if (st) {
        sqlite3_bind_int(st, 1, (int)rnd(c, 100000));
        if (sqlite3_step(st) == SQLITE_ROW) {
            r = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
    }
    return r;
}

static void trace_op(ctx *c)
{
    if (trace) {
        fprintf(stderr, "  [%llu:%d] %s\n", (unsigned long long)c->seed, c->step, c->op);
    }
}

static void op_insert(ctx *c, sealdb_txn *t, const tinfo *T)
{
    sealdb_table *tbl = find_table(c, t, T);
    if (!tbl) {
        return;
    }
    const int n = chance(c, 65) ? T->ncol : (int)rnd(c, (uint32_t)T->ncol + 1);
    tval v[MAXCOL];
    gen_row(c, T, v, n);
    snprintf(c->op, sizeof c->op, "insert into %s %d columns (", T->name, n);
    describe_values(c->op, sizeof c->op, v, n);
    trace_op(c);
    sealdb_value nv[MAXCOL];
    for (int i = 0; i < n; i++) {
        nv[i] = to_native(&v[i]);
    }
    int64_t rowid = -999;
    sealdb_error err;
    const int rc = sealdb_insert(t, tbl, nv, (uint32_t)n, &rowid, &err);
    char sql[1024];
    if (n == 0) {
        snprintf(sql, sizeof sql, "INSERT INTO \"%s\" DEFAULT VALUES", T->name);
    } else {
        size_t k = (size_t)snprintf(sql, sizeof sql, "INSERT INTO \"%s\"(", T->name);
        for (int i = 0; i < n; i++) {
            k += (size_t)snprintf(sql + k, sizeof sql - k, "%s%s", i ? ", " : "", T->cols[i]);
        }
        k += (size_t)snprintf(sql + k, sizeof sql - k, ") VALUES(");
        for (int i = 0; i < n; i++) {
            k += (size_t)snprintf(sql + k, sizeof sql - k, "%s?", i ? ", " : "");
        }
        snprintf(sql + k, sizeof sql - k, ")");
    }
    sqlite3_stmt *st = ref_prepare(c, sql);
    if (st) {
        for (int i = 0; i < n; i++) {
            bind_tval(st, i + 1, &v[i]);
        }
        const int want = code_of_sqlite(sqlite3_step(st));
        EXPECT(c, want >= 0, "the reference failed: %s", sqlite3_errmsg(c->ref));
        EXPECT_RC(c, rc, want, &err);
        if (rc == SEALDB_OK && want == SEALDB_OK) {
            EXPECT(c, rowid == sqlite3_last_insert_rowid(c->ref),
                   "insert gave rowid %lld, SQLite %lld", (long long)rowid,
                   (long long)sqlite3_last_insert_rowid(c->ref));
        }
        if (rc != SEALDB_OK) {
            EXPECT(c, err.code == rc, "err.code %d for a call that returned %d", err.code, rc);
        }
        sqlite3_finalize(st);
    }
    for (int i = 0; i < n; i++) {
        tval_free(&v[i]);
    }
}

static void op_update(ctx *c, sealdb_txn *t, const tinfo *T)
{
    sealdb_table *tbl = find_table(c, t, T);
    if (!tbl) {
        return;
    }
    const int64_t rowid = pick_rowid(c, T);
    const int least = T->ipk + 1; /* the INTEGER PRIMARY KEY is always given */
    int n = chance(c, 65) ? T->ncol : least + (int)rnd(c, (uint32_t)(T->ncol - least + 1));
    tval v[MAXCOL];
    gen_row(c, T, v, n);
    if (T->ipk >= 0 && chance(c, 60)) { /* most updates keep the row where it is */
        tval_free(&v[T->ipk]);
        v[T->ipk].type = SEALDB_INTEGER;
        v[T->ipk].i = rowid;
    }
    snprintf(c->op, sizeof c->op, "update %s rowid %lld, %d columns (", T->name, (long long)rowid,
             n);
    describe_values(c->op, sizeof c->op, v, n);
    trace_op(c);
    sealdb_value nv[MAXCOL];
    for (int i = 0; i < n; i++) {
        nv[i] = to_native(&v[i]);
    }
    sealdb_error err;
    const int rc = sealdb_update(t, tbl, rowid, nv, (uint32_t)n, &err);
    char sql[2048];
    size_t k = (size_t)snprintf(sql, sizeof sql, "UPDATE \"%s\" SET ", T->name);
    for (int i = 0; i < T->ncol; i++) {
        if (i < n) {
            k += (size_t)snprintf(sql + k, sizeof sql - k, "%s%s = ?%d", i ? ", " : "", T->cols[i],
                                  i + 1);
        } else {
            k += (size_t)snprintf(sql + k, sizeof sql - k, "%s%s = %s", i ? ", " : "", T->cols[i],
                                  T->dflt[i]);
        }
    }
    snprintf(sql + k, sizeof sql - k, " WHERE rowid = ?%d", MAXCOL + 1);
    sqlite3_stmt *st = ref_prepare(c, sql);
    if (st) {
        for (int i = 0; i < n; i++) {
            bind_tval(st, i + 1, &v[i]);
        }
        sqlite3_bind_int64(st, MAXCOL + 1, rowid);
        int want = code_of_sqlite(sqlite3_step(st));
        if (want == SEALDB_OK && sqlite3_changes(c->ref) == 0) {
            want = SEALDB_ENOTFOUND;
        }
        EXPECT(c, want != -1000 - SQLITE_ERROR, "the reference failed: %s", sqlite3_errmsg(c->ref));
        EXPECT_RC(c, rc, want, &err);
        sqlite3_finalize(st);
    }
    for (int i = 0; i < n; i++) {
        tval_free(&v[i]);
    }
}

static void op_delete_rowid(ctx *c, sealdb_txn *t, const tinfo *T, int64_t rowid);

static void op_delete(ctx *c, sealdb_txn *t, const tinfo *T)
{
    op_delete_rowid(c, t, T, pick_rowid(c, T));
}

static void op_delete_rowid(ctx *c, sealdb_txn *t, const tinfo *T, int64_t rowid)
{
    sealdb_table *tbl = find_table(c, t, T);
    if (!tbl) {
        return;
    }
    snprintf(c->op, sizeof c->op, "delete from %s rowid %lld", T->name, (long long)rowid);
    trace_op(c);
    sealdb_error err;
    const int rc = sealdb_delete(t, tbl, rowid, &err);
    char sql[256];
    snprintf(sql, sizeof sql, "DELETE FROM \"%s\" WHERE rowid = ?", T->name);
    sqlite3_stmt *st = ref_prepare(c, sql);
    if (st) {
        sqlite3_bind_int64(st, 1, rowid);
        int want = code_of_sqlite(sqlite3_step(st));
        if (want == SEALDB_OK && sqlite3_changes(c->ref) == 0) {
            want = SEALDB_ENOTFOUND;
        }
        EXPECT_RC(c, rc, want, &err);
        sqlite3_finalize(st);
    }
}

static void op_get(ctx *c, sealdb_txn *t, const tinfo *T)
{
    sealdb_table *tbl = find_table(c, t, T);
    if (!tbl) {
        return;
    }
    const int64_t rowid = pick_rowid(c, T);
    const uint32_t n = 1 + rnd(c, (uint32_t)T->ncol);
    snprintf(c->op, sizeof c->op, "get %s rowid %lld, %u columns", T->name, (long long)rowid, n);
    trace_op(c);
    expect_row(c, t, tbl, NULL, T, rowid, n, "get");
}

/* A seek on the rowid cursor or an index cursor, then k steps. */
/* A seek on the rowid cursor or an index cursor, then k steps; in a write
 * transaction (writable) sometimes a write between two steps, after which
 * the cursor must move on from where it was. */
static void op_range(ctx *c, sealdb_txn *t, const tinfo *T, int use_index, int writable)
{
    sealdb_table *tbl = find_table(c, t, T);
    if (!tbl) {
        return;
    }
    const iinfo *x = use_index && T->nidx ? &T->idx[rnd(c, (uint32_t)T->nidx)] : NULL;
    elist l;
    elist_load(c, T, x, &l);
    tval key[MAXCOL];
    int n = 1;
    memset(key, 0, sizeof key);
    if (!x) {
        key[0].type = SEALDB_INTEGER;
        key[0].i = l.n && chance(c, 70) ? l.e[rnd(c, (uint32_t)l.n)].rowid + (int)rnd(c, 3) - 1
                                        : (int64_t)rnd(c, 500) - 50;
        if (chance(c, 3)) {
            key[0].i = chance(c, 50) ? INT64_MIN : INT64_MAX;
        }
    } else {
        n = 1 + (int)rnd(c, (uint32_t)x->ncol);
        const entry *from = l.n && chance(c, 70) ? &l.e[rnd(c, (uint32_t)l.n)] : NULL;
        for (int k = 0; k < n; k++) {
            if (from && chance(c, 85)) {
                tval_copy(&key[k], &from->key[k]);
                if (key[k].type == SEALDB_TEXT && key[k].n && chance(c, 30)) {
                    key[k].p[0] ^= 0x20; /* another case, for NOCASE */
                }
            } else {
                gen_value(c, &key[k]);
            }
        }
    }
    const int op = (int)rnd(c, 5);
    const int steps = (int)rnd(c, 12);
    const int natural = chance(c, 70);
    snprintf(c->op, sizeof c->op, "seek %s on %s %s (", seek_names[op], T->name,
             x ? x->name : "rowids");
    describe_values(c->op, sizeof c->op, key, n);
    {
        size_t k = strlen(c->op);
        snprintf(c->op + k, sizeof c->op - k, ", %d steps%s", steps, natural ? "" : " mixed");
    }
    trace_op(c);
    sealdb_cursor *cur = NULL;
    sealdb_error err;
    int rc = sealdb_cursor_open(t, tbl, x ? x->name : NULL, &cur, &err);
    EXPECT_RC(c, rc, SEALDB_OK, &err);
    if (rc == SEALDB_OK) {
        sealdb_value nk[MAXCOL];
        for (int k = 0; k < n; k++) {
            nk[k] = to_native(&key[k]);
        }
        rc = sealdb_cursor_seek(cur, nk, (uint32_t)n, op, &err);
        EXPECT_RC(c, rc, SEALDB_OK, &err);
        int pos = model_seek(c, T, x, &l, key, n, op);
        expect_position(c, cur, x, &l, pos, "after the seek");
        char seek_op[sizeof c->op];
        snprintf(seek_op, sizeof seek_op, "%s", c->op);
        for (int s = 0; s < steps && pos >= 0 && pos < l.n && !c->failed; s++) {
            const int fwd =
                natural ? (op != SEALDB_SEEK_LE && op != SEALDB_SEEK_LT) : chance(c, 50);
            int wrote = 0;
            if (writable && chance(c, 12)) {
                /* a write of the transaction's own between two steps */
                entry was = l.e[pos];
                for (int k = 0; k < l.ncol; k++) {
                    tval_copy(&was.key[k], &l.e[pos].key[k]);
                }
                const uint32_t w = rnd(c, 4);
                if (w == 0) {
                    op_delete_rowid(c, t, T, was.rowid);
                } else if (w == 1) {
                    op_insert(c, t, T);
                } else if (w == 2) {
                    op_update(c, t, T);
                } else {
                    op_delete(c, t, T);
                }
                char wop[sizeof c->op];
                snprintf(wop, sizeof wop, "%s", c->op);
                const int cut = snprintf(c->op, sizeof c->op, "%.500s; before step %d: %.500s",
                                         seek_op, s + 1, wop);
                (void)cut; /* a long description is cut short */
                elist_free(&l);
                elist_load(c, T, x, &l);
                pos = model_move_from(c, x, &l, &was, fwd);
                for (int k = 0; k < l.ncol; k++) {
                    tval_free(&was.key[k]);
                }
                wrote = 1;
            }
            rc = fwd ? sealdb_cursor_next(cur, &err) : sealdb_cursor_prev(cur, &err);
            EXPECT_RC(c, rc, SEALDB_OK, &err);
            if (!wrote) {
                pos += fwd ? 1 : -1;
            }
            char what[96];
            snprintf(what, sizeof what, "after step %d (%s%s)", s + 1, fwd ? "next" : "prev",
                     wrote ? ", after a write" : "");
            expect_position(c, cur, x, &l, pos, what);
            if (pos >= 0 && pos < l.n && chance(c, 20) && !c->failed) {
                expect_row(c, t, tbl, cur, T, l.e[pos].rowid, (uint32_t)T->ncol, "cursor row");
            }
        }
        sealdb_cursor_close(cur);
    }
    for (int k = 0; k < n; k++) {
        tval_free(&key[k]);
    }
    elist_free(&l);
}

/* The native call of a schema statement and the reference's, same result. */
static void schema_both(ctx *c, sealdb_txn *t, const char *sql, int native_rc)
{
    (void)t;
    char *msg = NULL;
    const int src = sqlite3_exec(c->ref, sql, NULL, NULL, &msg);
    EXPECT(c, (src & 0xff) == SQLITE_OK || (src & 0xff) == SQLITE_CONSTRAINT,
           "the reference refused %s: %s", sql, msg ? msg : "");
    sqlite3_free(msg);
    const int want = code_of_sqlite(src);
    EXPECT(c, native_rc == want, "%s: native %d, expected %d (%s)", sql, native_rc, want,
           sealdb_strerror(want));
}

static void gen_index_sql(ctx *c, const tinfo *T, char *sql, size_t cap)
{
    static const char *const colls[] = {"", "", " COLLATE NOCASE", " COLLATE RTRIM",
                                        " COLLATE BINARY"};
    static const char *const dirs[] = {"", "", " DESC", " ASC", " DESC"};
    const int unique = chance(c, 30);
    size_t k =
        (size_t)snprintf(sql, cap, "CREATE %sINDEX %s%s_i%d ON %s(", unique ? "UNIQUE " : "",
                         chance(c, 20) ? "IF NOT EXISTS " : "", T->name, c->next_name++, T->name);
    const int ncol = 1 + (int)rnd(c, T->ncol < 3 ? (uint32_t)T->ncol : 3);
    int used[MAXCOL] = {0};
    for (int i = 0; i < ncol; i++) {
        int col = (int)rnd(c, (uint32_t)T->ncol);
        while (used[col]) {
            col = (col + 1) % T->ncol;
        }
        used[col] = 1;
        k += (size_t)snprintf(sql + k, cap - k, "%s%s%s%s", i ? ", " : "", T->cols[col],
                              colls[rnd(c, 5)], dirs[rnd(c, 5)]);
    }
    snprintf(sql + k, cap - k, ")");
}

static void op_create_index(ctx *c, sealdb_txn *t, const tinfo *T)
{
    char sql[512];
    gen_index_sql(c, T, sql, sizeof sql);
    snprintf(c->op, sizeof c->op, "%s", sql);
    trace_op(c);
    sealdb_error err;
    const int rc = sealdb_create(t, sql, &err);
    schema_both(c, t, sql, rc);
    load_model(c);
    if (rc == SEALDB_ECONSTRAINT && !c->failed) {
        /* as after SQLite's failed statement, the transaction goes on unchanged */
        compare_all(c, t, "after the refused CREATE UNIQUE INDEX");
    }
}

static void op_drop_index(ctx *c, sealdb_txn *t, const tinfo *T)
{
    if (!T->nidx) {
        return;
    }
    const iinfo *x = &T->idx[rnd(c, (uint32_t)T->nidx)];
    snprintf(c->op, sizeof c->op, "drop index %s (origin %c)", x->name, x->origin);
    trace_op(c);
    sealdb_error err;
    const int rc = sealdb_drop_index(t, x->name, &err);
    if (x->origin != 'c') {
        EXPECT_RC(c, rc, SEALDB_EUNSUPPORTED, &err);
        return;
    }
    EXPECT_RC(c, rc, SEALDB_OK, &err);
    char sql[128];
    snprintf(sql, sizeof sql, "DROP INDEX \"%s\"", x->name);
    EXPECT(c, ref_exec(c, sql) == SQLITE_OK, "the reference refused %s", sql);
    load_model(c);
}

/* A random CREATE TABLE: every affinity, an INTEGER PRIMARY KEY or not,
 * NOT NULL, DEFAULTs, column collations, UNIQUE and PRIMARY KEY constraints. */
static void gen_table_sql(ctx *c, const char *name, char *sql, size_t cap)
{
    /* the last four are SQLite's quirks: INTEGER, NUMERIC, TEXT, INTEGER affinity */
    static const char *const types[] = {
        "INTEGER", "TEXT",         "REAL",    "NUMERIC", "BLOB",   "",     "VARCHAR(10)",   "INT",
        "DOUBLE",  "DECIMAL(5,2)", "BOOLEAN", "CHARINT", "STRING", "CLOB", "FLOATING POINT"};
    static const char *const dflts[] = {"0",    "7",       "-3", "'dflt'", "'12'",   "2.5",
                                        "NULL", "X'00FF'", "''", "1e3",    "'  4 '", "-0.5"};
    const int ncol = 1 + (int)rnd(c, 7);
    const int ipk = chance(c, 60) ? (int)rnd(c, (uint32_t)ncol) : -1;
    int composite_pk = ipk < 0 && chance(c, 15);
    size_t k = (size_t)snprintf(sql, cap, "CREATE TABLE %s%s(",
                                chance(c, 10) ? "IF NOT EXISTS " : "", name);
    for (int i = 0; i < ncol; i++) {
        k += (size_t)snprintf(sql + k, cap - k, "%sc%d", i ? ", " : "", i);
        if (i == ipk) {
            k += (size_t)snprintf(sql + k, cap - k, " INTEGER PRIMARY KEY");
            continue;
        }
        const char *ty = types[rnd(c, sizeof types / sizeof *types)];
        if (*ty) {
            k += (size_t)snprintf(sql + k, cap - k, " %s", ty);
        }
        if (chance(c, 20)) {
            k += (size_t)snprintf(sql + k, cap - k, " NOT NULL");
        }
        if (chance(c, 35)) {
            k += (size_t)snprintf(sql + k, cap - k, " DEFAULT %s",
                                  dflts[rnd(c, sizeof dflts / sizeof *dflts)]);
        }
        if (chance(c, 12)) {
            k += (size_t)snprintf(sql + k, cap - k, " COLLATE %s",
                                  chance(c, 50) ? "NOCASE" : "RTRIM");
        }
        if (chance(c, 8)) {
            k += (size_t)snprintf(sql + k, cap - k, " UNIQUE");
        }
    }
    if (composite_pk && ncol >= 2) {
        k += (size_t)snprintf(sql + k, cap - k, ", PRIMARY KEY(c%d, c0)", ncol - 1);
    } else if (chance(c, 10) && ncol >= 2) {
        k += (size_t)snprintf(sql + k, cap - k, ", UNIQUE(c0, c1)");
    }
    snprintf(sql + k, cap - k, ")");
}

static void op_create_table(ctx *c, sealdb_txn *t)
{
    if (c->ntab >= MAXTAB - 1) {
        return;
    }
    char name[32], sql[1024];
    snprintf(name, sizeof name, "t%d", c->next_name++);
    gen_table_sql(c, name, sql, sizeof sql);
    snprintf(c->op, sizeof c->op, "%s", sql);
    trace_op(c);
    sealdb_error err;
    const int rc = sealdb_create(t, sql, &err);
    EXPECT_RC(c, rc, SEALDB_OK, &err);
    EXPECT(c, ref_exec(c, sql) == SQLITE_OK, "the reference refused %s", sql);
    load_model(c);
}

static void op_drop_table(ctx *c, sealdb_txn *t, const tinfo *T)
{
    snprintf(c->op, sizeof c->op, "drop table %s", T->name);
    trace_op(c);
    sealdb_error err;
    const int rc = sealdb_drop_table(t, T->name, &err);
    EXPECT_RC(c, rc, SEALDB_OK, &err);
    char sql[128];
    snprintf(sql, sizeof sql, "DROP TABLE \"%s\"", T->name);
    EXPECT(c, ref_exec(c, sql) == SQLITE_OK, "the reference refused %s", sql);
    load_model(c);
}

/* Writes in a read transaction: refused, nothing changes. */
static void op_write_in_read(ctx *c, sealdb_txn *r, const tinfo *T)
{
    sealdb_table *tbl = find_table(c, r, T);
    if (!tbl) {
        return;
    }
    snprintf(c->op, sizeof c->op, "writes in a read transaction on %s", T->name);
    trace_op(c);
    sealdb_value v = {.type = SEALDB_NULL};
    sealdb_error err;
    int64_t rowid;
    EXPECT_RC(c, sealdb_insert(r, tbl, &v, 1, &rowid, &err), SEALDB_EREADONLY, &err);
    EXPECT_RC(c, sealdb_update(r, tbl, 1, &v, 1, &err), SEALDB_EREADONLY, &err);
    EXPECT_RC(c, sealdb_delete(r, tbl, 1, &err), SEALDB_EREADONLY, &err);
    EXPECT_RC(c, sealdb_create(r, "CREATE TABLE never_made(a)", &err), SEALDB_EREADONLY, &err);
    EXPECT_RC(c, sealdb_drop_table(r, T->name, &err), SEALDB_EREADONLY, &err);
}

/* ---- a seed -------------------------------------------------------------------------------------
 */

static const char *const seed_ciphers[] = {"aegis128l", "aegis256", "aes256gcm"};
static const char *const hex32 = "8899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677";
static const char *const hex16 = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

static void remove_db(const char *path)
{
    char p[600];
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
}

static int native_open(ctx *c, int create)
{
    sealdb_error err;
    sealdb_options opt = c->opt;
    opt.create = create;
    const int rc = sealdb_open(c->path, c->sealed ? &c->keys : NULL, &opt, &c->db, &err);
    EXPECT(c, rc == SEALDB_OK, "sealdb_open(%s) gave %d: %s", c->path, rc, rc ? err.message : "");
    return rc;
}

static void native_close(ctx *c)
{
    sealdb_error err;
    const int rc = sealdb_close(c->db, &err);
    EXPECT_RC(c, rc, SEALDB_OK, &err);
    c->db = NULL;
}

static void setup_keys(ctx *c, int sealed, int which)
{
    c->sealed = sealed;
    memset(&c->keys, 0, sizeof c->keys);
    if (!sealed) {
        c->cipher = "";
        return;
    }
    c->cipher = seed_ciphers[which % 3];
    if (c->page_size == 512 && !strcmp(c->cipher, "aegis256")) {
        c->page_size = 1024; /* 512 - 48 bytes reserved is below SQLite's 480 */
    }
    snprintf(c->hexkey, sizeof c->hexkey, "%s", strcmp(c->cipher, "aegis128l") ? hex32 : hex16);
    c->keys.cipher = c->cipher;
    c->keys.hexkey = c->hexkey;
}

/* One read transaction: reads against the reference, and refused writes. */
static void read_txn(ctx *c)
{
    sealdb_txn *r = NULL;
    sealdb_error err;
    int rc = sealdb_begin(c->db, SEALDB_TXN_READ, &r, &err);
    EXPECT_RC(c, rc, SEALDB_OK, &err);
    if (rc != SEALDB_OK) {
        return;
    }
    const int ops = 1 + (int)rnd(c, 8);
    for (int i = 0; i < ops && c->ntab && !c->failed; i++) {
        const tinfo *T = &c->tab[rnd(c, (uint32_t)c->ntab)];
        const uint32_t k = rnd(c, 10);
        if (k < 4) {
            op_get(c, r, T);
        } else if (k < 9) {
            op_range(c, r, T, k >= 6, 0);
        } else {
            op_write_in_read(c, r, T);
        }
    }
    rc = sealdb_commit(r, &err);
    EXPECT_RC(c, rc, SEALDB_OK, &err);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * 0x100000001b3ull;
    }
    return h;
}

/* A digest of everything transaction t sees: the schema, every table's
 * rows and every index's order, walked natively. */
static uint64_t native_digest(ctx *c, sealdb_txn *t)
{
    uint64_t h = 0xcbf29ce484222325ull;
    const sealdb_schema_entry *e = NULL;
    uint32_t n = 0;
    sealdb_error err;
    EXPECT_RC(c, sealdb_schema(t, &e, &n, &err), SEALDB_OK, &err);
    for (uint32_t i = 0; i < n && !c->failed; i++) {
        h = fnv(h, e[i].name, strlen(e[i].name));
        h = fnv(h, e[i].sql ? e[i].sql : "", e[i].sql ? strlen(e[i].sql) : 0);
        if (!e[i].rootpage || !strncmp(e[i].name, "sqlite_schema", 13)) {
            continue;
        }
        const int is_index = !strcmp(e[i].type, "index");
        sealdb_table *tbl = NULL;
        sealdb_cursor *cur = NULL;
        if (sealdb_table_find(t, e[i].tbl_name, &tbl, &err) != SEALDB_OK ||
            sealdb_cursor_open(t, tbl, is_index ? e[i].name : NULL, &cur, &err) != SEALDB_OK) {
            fail(c, "digest: cannot walk %s: %s", e[i].name, err.message);
            break;
        }
        const uint32_t ncol = sealdb_table_columns(tbl);
        for (sealdb_cursor_first(cur, &err); !sealdb_cursor_eof(cur) && !c->failed;
             sealdb_cursor_next(cur, &err)) {
            const int64_t rowid = sealdb_cursor_rowid(cur);
            h = fnv(h, &rowid, sizeof rowid);
            sealdb_value v[MAXCOL];
            if (is_index || ncol > MAXCOL) {
                continue;
            }
            EXPECT_RC(c, sealdb_cursor_row(cur, v, ncol, &err), SEALDB_OK, &err);
            for (uint32_t k = 0; k < ncol; k++) {
                h = fnv(h, &v[k].type, 1);
                if (v[k].type == SEALDB_INTEGER) {
                    h = fnv(h, &v[k].i, 8);
                } else if (v[k].type == SEALDB_REAL) {
                    h = fnv(h, &v[k].r, 8);
                } else if (v[k].type >= SEALDB_TEXT) {
                    h = fnv(h, v[k].p, v[k].n);
                }
            }
        }
        sealdb_cursor_close(cur);
    }
    return h;
}

/* Everything after a commit or rollback: schema, tables and indexes. */
static void check_committed(ctx *c, const char *when)
{
    sealdb_txn *r = NULL;
    sealdb_error err;
    snprintf(c->op, sizeof c->op, "full comparison %s", when);
    int rc = sealdb_begin(c->db, SEALDB_TXN_READ, &r, &err);
    EXPECT_RC(c, rc, SEALDB_OK, &err);
    if (rc != SEALDB_OK) {
        return;
    }
    compare_schema(c, r);
    compare_all(c, r, when);
    sealdb_rollback(r);
}

/* The natively written file, opened by SQLite: integrity and contents. */
static void check_with_sqlite(ctx *c)
{
    snprintf(c->op, sizeof c->op, "SQLite opens the natively written file");
    sqlite3 *db = NULL;
    int rc;
    if (c->sealed) {
        sealdb_error err;
        sealdb_sqlite_config cfg = {.hexkey = c->hexkey};
        rc = sealdb_sqlite_open(c->path, &cfg, &db, &err);
        EXPECT(c, rc == SEALDB_OK, "sealdb_sqlite_open gave %d: %s", rc, rc ? err.message : "");
    } else {
        rc = sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READWRITE, NULL);
        EXPECT(c, rc == SQLITE_OK, "sqlite3_open_v2 gave %d", rc);
    }
    if (rc != SQLITE_OK) {
        sqlite3_close(db);
        return;
    }
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL);
    char result[2048] = "";
    size_t k = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW && k + 2 < sizeof result) {
        k += (size_t)snprintf(result + k, sizeof result - k, "%s%s", k ? "; " : "",
                              sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    EXPECT(c, !strcmp(result, "ok"), "integrity_check: %s", result);
    /* schema and every table's rows, in rowid order */
    const char *schema = "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name";
    char sql[1024];
    for (int ti = -1; ti < c->ntab && !c->failed; ti++) {
        if (ti < 0) {
            snprintf(sql, sizeof sql, "%s", schema);
        } else {
            snprintf(sql, sizeof sql, "SELECT rowid, * FROM \"%s\" ORDER BY rowid",
                     c->tab[ti].name);
        }
        sqlite3_stmt *a = NULL, *b = ref_prepare(c, sql);
        sqlite3_prepare_v2(db, sql, -1, &a, NULL);
        EXPECT(c, a != NULL, "SQLite cannot prepare %s on the native file: %s", sql,
               sqlite3_errmsg(db));
        int row = 0;
        while (a && b && !c->failed) {
            const int ra = sqlite3_step(a), rb = sqlite3_step(b);
            EXPECT(c, ra == rb, "%s: row %d: native file %d, reference %d", sql, row, ra, rb);
            if (ra != SQLITE_ROW || rb != SQLITE_ROW) {
                break;
            }
            for (int i = 0; i < sqlite3_column_count(b) && !c->failed; i++) {
                tval x, y;
                tval_from_col(&x, a, i);
                tval_from_col(&y, b, i);
                sealdb_value xv = to_native(&x);
                if (!native_eq(&xv, &y)) {
                    char g[160], w[160];
                    fail(c, "%s: row %d column %d: native file %s, reference %s", sql, row, i,
                         fmt_tval(g, sizeof g, &x), fmt_tval(w, sizeof w, &y));
                } else {
                    check_count++;
                }
                tval_free(&x);
                tval_free(&y);
            }
            row++;
        }
        sqlite3_finalize(a);
        sqlite3_finalize(b);
    }
    sqlite3_close(db);
}

static void open_reference(ctx *c)
{
    remove_db(c->refpath);
    if (sqlite3_open(c->refpath, &c->ref) != SQLITE_OK) {
        fail(c, "cannot open the reference %s", c->refpath);
        return;
    }
    ref_exec(c, "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF");
}

static void close_reference(ctx *c)
{
    if (sqlite3_close(c->ref) != SQLITE_OK) {
        fail(c, "the reference does not close: %s", sqlite3_errmsg(c->ref));
    }
    c->ref = NULL;
}

static void run_seed(uint64_t seed, int steps)
{
    ctx *c = calloc(1, sizeof *c);
    c->what = "seed";
    c->seed = seed;
    c->rng.s = seed * 0x9e3779b97f4a7c15ull + 17;
    static const uint32_t sizes[] = {512, 1024, 2048, 4096, 8192, 16384, 32768, 65536};
    c->page_size = sizes[seed % 8];
    setup_keys(c, (seed / 8 + seed) % 2 == 1, (int)(seed / 2));
    snprintf(c->path, sizeof c->path, "%s/n-%llu.db", dir, (unsigned long long)seed);
    snprintf(c->refpath, sizeof c->refpath, "%s/r-%llu.db", dir, (unsigned long long)seed);
    remove_db(c->path);
    c->opt.page_size = c->page_size;
    c->opt.sync = seed % 7 == 0 ? SEALDB_SYNC_FULL : SEALDB_SYNC_OFF;
    c->opt.cache_pages = seed % 3 == 0 ? 16 : 0;
    c->opt.autocheckpoint = seed % 5 == 0 ? 8 : 0;
    open_reference(c);
    if (c->failed || native_open(c, 1) != SEALDB_OK) {
        goto done;
    }
    /* the schema: 1-3 tables with indexes, in one transaction */
    sealdb_txn *t = NULL;
    sealdb_error err;
    int rc = sealdb_begin(c->db, SEALDB_TXN_WRITE, &t, &err);
    EXPECT_RC(c, rc, SEALDB_OK, &err);
    if (rc != SEALDB_OK) {
        goto done;
    }
    ref_exec(c, "BEGIN");
    const int ntab = 1 + (int)rnd(c, 3);
    for (int i = 0; i < ntab && !c->failed; i++) {
        op_create_table(c, t);
        const int nidx = (int)rnd(c, 4);
        for (int j = 0; j < nidx && !c->failed && c->ntab; j++) {
            op_create_index(c, t, &c->tab[c->ntab - 1]);
        }
    }
    rc = sealdb_commit(t, &err);
    EXPECT_RC(c, rc, SEALDB_OK, &err);
    ref_exec(c, "COMMIT");
    check_committed(c, "after the schema");
    for (c->step = 0; c->step < steps && !c->failed;) {
        if (chance(c, 12)) {
            read_txn(c);
            c->step++;
            continue;
        }
        if (chance(c, 2)) { /* close and reopen: the WAL is checkpointed and recovered */
            snprintf(c->op, sizeof c->op, "close and reopen");
            trace_op(c);
            native_close(c);
            if (native_open(c, 0) != SEALDB_OK) {
                break;
            }
            check_committed(c, "after reopening");
            continue;
        }
        /* sometimes a reader whose snapshot must not change under the writer */
        sealdb_txn *snap = NULL;
        uint64_t digest = 0;
        if (chance(c, 15)) {
            snprintf(c->op, sizeof c->op, "a reader begins before the writer");
            rc = sealdb_begin(c->db, SEALDB_TXN_READ, &snap, &err);
            EXPECT_RC(c, rc, SEALDB_OK, &err);
            digest = rc == SEALDB_OK ? native_digest(c, snap) : 0;
        }
        rc = sealdb_begin(c->db, SEALDB_TXN_WRITE, &t, &err);
        EXPECT_RC(c, rc, SEALDB_OK, &err);
        if (rc != SEALDB_OK) {
            break;
        }
        ref_exec(c, "BEGIN");
        const int ops = 1 + (int)rnd(c, chance(c, 20) ? 60 : 15);
        for (int i = 0; i < ops && c->step < steps && !c->failed; i++, c->step++) {
            if (!c->ntab) {
                op_create_table(c, t);
                continue;
            }
            const tinfo *T = &c->tab[rnd(c, (uint32_t)c->ntab)];
            const uint32_t k = rnd(c, 1000);
            if (k < 380) {
                op_insert(c, t, T);
            } else if (k < 540) {
                op_update(c, t, T);
            } else if (k < 660) {
                op_delete(c, t, T);
            } else if (k < 780) {
                op_get(c, t, T);
            } else if (k < 860) {
                op_range(c, t, T, 0, 1);
            } else if (k < 940) {
                op_range(c, t, T, 1, 1);
            } else if (k < 960) {
                snprintf(c->op, sizeof c->op, "full comparison inside a write transaction");
                compare_all(c, t, "inside the transaction");
            } else if (k < 975) {
                op_create_index(c, t, T);
            } else if (k < 987) {
                op_drop_index(c, t, T);
            } else if (k < 993) {
                op_create_table(c, t);
            } else {
                op_drop_table(c, t, T);
            }
        }
        if (c->failed) {
            sealdb_rollback(t);
            if (snap) {
                sealdb_rollback(snap);
            }
            break;
        }
        if (chance(c, 78)) {
            snprintf(c->op, sizeof c->op, "commit");
            trace_op(c);
            rc = sealdb_commit(t, &err);
            EXPECT_RC(c, rc, SEALDB_OK, &err);
            EXPECT(c, ref_exec(c, "COMMIT") == SQLITE_OK, "the reference cannot commit");
            check_committed(c, "after a commit");
        } else {
            snprintf(c->op, sizeof c->op, "rollback");
            trace_op(c);
            sealdb_rollback(t);
            EXPECT(c, ref_exec(c, "ROLLBACK") == SQLITE_OK, "the reference cannot roll back");
            load_model(c);
            check_committed(c, "after a rollback");
        }
        if (snap) {
            snprintf(c->op, sizeof c->op,
                     "the reader that began before the writer, after it ended");
            EXPECT(c, native_digest(c, snap) == digest,
                   "a read transaction's snapshot changed when a writer committed");
            EXPECT_RC(c, sealdb_commit(snap, &err), SEALDB_OK, &err);
        }
    }
    if (c->db) {
        snprintf(c->op, sizeof c->op, "close");
        native_close(c);
    }
    if (!c->failed) {
        check_with_sqlite(c);
    }
done:
    if (c->db) {
        sealdb_close(c->db, NULL);
    }
    close_reference(c);
    if (!c->failed) {
        remove_db(c->path);
        remove_db(c->refpath);
    }
    free(c);
}

/* ---- databases SQLite wrote ------------------------------------------------------------------ */

/* Fills a database through SQL: three tables with indexes of every kind,
 * overflow rows, and (auto_vacuum NONE or INCREMENTAL) a large freelist. */
static int fill_with_sql(sqlite3 *db, uint32_t page_size, int autovacuum, uint64_t seed)
{
    char sql[256];
    snprintf(sql, sizeof sql, "PRAGMA page_size=%u; PRAGMA auto_vacuum=%d", page_size, autovacuum);
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    rc |= sqlite3_exec(
        db,
        "CREATE TABLE a(id INTEGER PRIMARY KEY, n INTEGER, r REAL, s TEXT COLLATE NOCASE, b BLOB,"
        " u TEXT UNIQUE, d NUMERIC DEFAULT 5);"
        "CREATE INDEX a_s ON a(s DESC, n);"
        "CREATE INDEX a_rb ON a(r, b COLLATE RTRIM DESC);"
        "CREATE TABLE b(x, y TEXT NOT NULL DEFAULT 'why', z, PRIMARY KEY(y, x));"
        "CREATE INDEX b_z ON b(z COLLATE RTRIM);"
        "CREATE TABLE c(k INTEGER PRIMARY KEY, big BLOB, t TEXT);"
        "CREATE UNIQUE INDEX c_t ON c(t COLLATE NOCASE);",
        NULL, NULL, NULL);
    sqlite3_stmt *ia = NULL, *ib = NULL, *ic = NULL;
    sqlite3_prepare_v2(db, "INSERT INTO a(n, r, s, b, u) VALUES(?, ?, ?, ?, ?)", -1, &ia, NULL);
    sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO b(x, y, z) VALUES(?, ?, ?)", -1, &ib, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO c(big, t) VALUES(?, ?)", -1, &ic, NULL);
    if (rc != SQLITE_OK || !ia || !ib || !ic) {
        sqlite3_finalize(ia);
        sqlite3_finalize(ib);
        sqlite3_finalize(ic);
        return 1;
    }
    test_rng rng = {seed};
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    uint8_t *big = test_xmalloc(page_size * 4);
    for (int i = 0; i < 600; i++) {
        const uint64_t x = test_rng_next(&rng);
        char s[64];
        snprintf(s, sizeof s, "%s%d%s", x % 3 ? "Name" : "name", (int)(x % 97), x % 5 ? "" : "  ");
        sqlite3_bind_int64(ia, 1, (int64_t)(x >> 3) % 1000 - 500);
        if (x % 7) {
            sqlite3_bind_double(ia, 2, (double)(x % 1000) / 8);
        } else {
            sqlite3_bind_null(ia, 2);
        }
        sqlite3_bind_text(ia, 3, s, -1, SQLITE_TRANSIENT);
        const int blen = (int)(x % 11 == 0 ? x % (page_size * 3) : x % 40);
        test_rng_fill(&rng, big, (size_t)blen);
        sqlite3_bind_blob(ia, 4, big, blen, SQLITE_TRANSIENT);
        snprintf(s, sizeof s, "u%d", i);
        sqlite3_bind_text(ia, 5, s, -1, SQLITE_TRANSIENT);
        rc |= sqlite3_step(ia) != SQLITE_DONE;
        sqlite3_reset(ia);
        sqlite3_bind_int64(ib, 1, (int64_t)(x % 50));
        snprintf(s, sizeof s, "%c%c", 'a' + (int)(x % 5), 'A' + (int)(x / 5 % 5));
        sqlite3_bind_text(ib, 2, s, -1, SQLITE_TRANSIENT);
        if (x % 4) {
            sqlite3_bind_text(ib, 3, x % 8 ? "zz " : "zz", -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_int(ib, 3, (int)(x % 9));
        }
        rc |= sqlite3_step(ib) != SQLITE_DONE;
        sqlite3_reset(ib);
        if (i % 3 == 0) {
            const int n = (int)(x % (page_size * 4));
            memset(big, (int)(x & 0xff), (size_t)n);
            sqlite3_bind_blob(ic, 1, big, n, SQLITE_TRANSIENT);
            snprintf(s, sizeof s, "T%d", i);
            sqlite3_bind_text(ic, 2, s, -1, SQLITE_TRANSIENT);
            rc |= sqlite3_step(ic) != SQLITE_DONE;
            sqlite3_reset(ic);
        }
    }
    free(big);
    sqlite3_finalize(ia);
    sqlite3_finalize(ib);
    sqlite3_finalize(ic);
    /* deletes that leave free pages (a large freelist unless auto_vacuum is FULL) */
    rc |= sqlite3_exec(db, "DELETE FROM a WHERE id % 3 = 0; DELETE FROM c WHERE k % 2 = 0; COMMIT",
                       NULL, NULL, NULL);
    return rc != SQLITE_OK;
}

static void run_sqlite_written(int index)
{
    static const uint32_t sizes[] = {512, 1024, 2048, 4096, 8192, 16384, 32768, 65536};
    ctx *c = calloc(1, sizeof *c);
    c->what = "sqlite-written";
    c->seed = (uint64_t)index;
    c->rng.s = (uint64_t)index + 991;
    c->page_size = sizes[index % 8];
    const int autovacuum = index % 3; /* NONE, FULL, INCREMENTAL */
    setup_keys(c, index % 2 == 1, index / 2);
    snprintf(c->path, sizeof c->path, "%s/s-%d.db", dir, index);
    snprintf(c->refpath, sizeof c->refpath, "%s/sr-%d.db", dir, index);
    remove_db(c->path);
    c->opt.sync = SEALDB_SYNC_OFF;
    snprintf(c->op, sizeof c->op, "SQLite writes the database (auto_vacuum %d)", autovacuum);
    /* the database under test, and a plain reference with the same rows */
    sqlite3 *db = NULL;
    if (c->sealed) {
        sealdb_error err;
        sealdb_sqlite_config cfg = {.cipher = c->cipher, .hexkey = c->hexkey};
        EXPECT(c, sealdb_sqlite_open(c->path, &cfg, &db, &err) == SEALDB_OK, "cannot create %s",
               c->path);
    } else {
        EXPECT(c, sqlite3_open(c->path, &db) == SQLITE_OK, "cannot create %s", c->path);
    }
    EXPECT(c, db && fill_with_sql(db, c->page_size, autovacuum, (uint64_t)index) == 0,
           "filling %s failed: %s", c->path, db ? sqlite3_errmsg(db) : "");
    sqlite3_close(db);
    open_reference(c);
    EXPECT(c, c->ref && fill_with_sql(c->ref, c->page_size, autovacuum, (uint64_t)index) == 0,
           "filling the reference failed");
    if (index % 4 == 3) {
        /* a WAL that SQLite never checkpointed: a child process writes in WAL
         * mode and exits without closing; the native open must recover it */
        static const char *const more = "INSERT INTO a(n, s, u) VALUES(1, 'from the wal', 'w1');"
                                        "DELETE FROM b WHERE x % 5 = 0;"
                                        "UPDATE c SET t = t || 'w' WHERE k % 3 = 1;"
                                        "INSERT INTO c(big, t) VALUES(zeroblob(9000), 'wal big');";
        const pid_t pid = fork();
        if (pid == 0) {
            sqlite3 *w = NULL;
            if (c->sealed) {
                sealdb_sqlite_config cfg = {.hexkey = c->hexkey};
                if (sealdb_sqlite_open(c->path, &cfg, &w, NULL) != SEALDB_OK) {
                    _exit(2);
                }
            } else if (sqlite3_open(c->path, &w) != SQLITE_OK) {
                _exit(2);
            }
            if (sqlite3_exec(w, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0", NULL, NULL,
                             NULL) != SQLITE_OK ||
                sqlite3_exec(w, more, NULL, NULL, NULL) != SQLITE_OK) {
                _exit(3);
            }
            _exit(0);
        }
        int status = -1;
        waitpid(pid, &status, 0);
        EXPECT(c, WIFEXITED(status) && WEXITSTATUS(status) == 0, "the WAL writer exited with %d",
               status);
        char wal[600];
        snprintf(wal, sizeof wal, "%s-wal", c->path);
        struct stat sb;
        EXPECT(c, stat(wal, &sb) == 0 && sb.st_size > 0, "no WAL left behind");
        EXPECT(c, ref_exec(c, more) == SQLITE_OK, "the reference refused the WAL writes");
        snprintf(c->op, sizeof c->op, "SQLite writes the database (auto_vacuum %d), WAL left",
                 autovacuum);
    }
    load_model(c);
    if (c->failed || native_open(c, 0) != SEALDB_OK) {
        goto done;
    }
    check_committed(c, "reading SQLite's file");
    /* many random seeks on every index */
    sealdb_txn *t = NULL;
    sealdb_error err;
    sealdb_begin(c->db, SEALDB_TXN_READ, &t, &err);
    for (c->step = 0; c->step < 60 && !c->failed; c->step++) {
        const tinfo *T = &c->tab[rnd(c, (uint32_t)c->ntab)];
        if (chance(c, 30)) {
            op_get(c, t, T);
        } else {
            op_range(c, t, T, chance(c, 70), 0);
        }
    }
    sealdb_rollback(t);
    /* writes: refused where the pager cannot allocate (auto-vacuum) */
    int rc = sealdb_begin(c->db, SEALDB_TXN_WRITE, &t, &err);
    EXPECT_RC(c, rc, SEALDB_OK, &err);
    if (rc != SEALDB_OK) {
        goto done;
    }
    if (autovacuum) {
        snprintf(c->op, sizeof c->op, "insert of a 3-page row into an auto-vacuum database");
        sealdb_table *tbl = find_table(c, t, &c->tab[2]);
        uint8_t *big = calloc(1, c->page_size * 3);
        sealdb_value v[2] = {{.type = SEALDB_NULL},
                             {.type = SEALDB_BLOB, .n = c->page_size * 3, .p = big}};
        rc = tbl ? sealdb_insert(t, tbl, v, 2, NULL, &err) : SEALDB_OK;
        if (rc == SEALDB_OK) {
            rc = sealdb_commit(t, &err);
        } else {
            sealdb_rollback(t);
        }
        free(big);
        EXPECT(c, rc == SEALDB_EFORMAT || rc == SEALDB_EUNSUPPORTED,
               "writing an auto-vacuum database gave %d (%s), expected SEALDB_EFORMAT or "
               "SEALDB_EUNSUPPORTED",
               rc, rc ? err.message : "ok");
        check_committed(c, "after the refused write");
    } else {
        /* native writes reuse SQLite's freelist; the reference does the same */
        ref_exec(c, "BEGIN");
        for (c->step = 100; c->step < 200 && !c->failed; c->step++) {
            const tinfo *T = &c->tab[rnd(c, (uint32_t)c->ntab)];
            const uint32_t k = rnd(c, 10);
            if (k < 5) {
                op_insert(c, t, T);
            } else if (k < 7) {
                op_update(c, t, T);
            } else {
                op_delete(c, t, T);
            }
        }
        snprintf(c->op, sizeof c->op, "commit");
        rc = sealdb_commit(t, &err);
        EXPECT_RC(c, rc, SEALDB_OK, &err);
        ref_exec(c, "COMMIT");
        check_committed(c, "after native writes to SQLite's file");
    }
    native_close(c);
    if (!c->failed) {
        check_with_sqlite(c);
    }
done:
    if (c->db) {
        sealdb_close(c->db, NULL);
    }
    close_reference(c);
    if (!c->failed) {
        remove_db(c->path);
        remove_db(c->refpath);
    }
    free(c);
}

/* ---- columns added by ALTER TABLE after rows were written ------------------------------------ */

static void test_added_columns(int sealed)
{
    ctx *c = calloc(1, sizeof *c);
    c->what = "added-columns";
    c->seed = (uint64_t)sealed;
    c->rng.s = 4242 + (uint64_t)sealed;
    c->page_size = 1024;
    setup_keys(c, sealed, 2);
    snprintf(c->path, sizeof c->path, "%s/added-%d.db", dir, sealed);
    snprintf(c->refpath, sizeof c->refpath, "%s/added-ref-%d.db", dir, sealed);
    remove_db(c->path);
    c->opt.sync = SEALDB_SYNC_OFF;
    static const char *const script = "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT);"
                                      "CREATE INDEX t_a ON t(a);"
                                      "INSERT INTO t(a) VALUES('one'), ('two'), (NULL), ('four');"
                                      "ALTER TABLE t ADD COLUMN b INTEGER DEFAULT '12';"
                                      "ALTER TABLE t ADD COLUMN c REAL DEFAULT 3;"
                                      "ALTER TABLE t ADD COLUMN d TEXT DEFAULT 5;"
                                      "ALTER TABLE t ADD COLUMN e DEFAULT X'00ff';"
                                      "ALTER TABLE t ADD COLUMN f NUMERIC DEFAULT -2.0;"
                                      "ALTER TABLE t ADD COLUMN g;"
                                      "ALTER TABLE t ADD COLUMN h TEXT NOT NULL DEFAULT 'nn';"
                                      "CREATE INDEX t_bcd ON t(b, c DESC, d);"
                                      "CREATE INDEX t_fh ON t(f, h COLLATE NOCASE);"
                                      "INSERT INTO t(a, b) VALUES('five', 55);";
    snprintf(c->op, sizeof c->op, "SQLite adds columns to a table with rows");
    sqlite3 *db = NULL;
    if (sealed) {
        sealdb_sqlite_config cfg = {.cipher = c->cipher, .hexkey = c->hexkey};
        EXPECT(c, sealdb_sqlite_open(c->path, &cfg, &db, NULL) == SEALDB_OK, "cannot create");
    } else {
        EXPECT(c, sqlite3_open(c->path, &db) == SQLITE_OK, "cannot create");
    }
    EXPECT(c, db && sqlite3_exec(db, script, NULL, NULL, NULL) == SQLITE_OK, "script: %s",
           db ? sqlite3_errmsg(db) : "");
    sqlite3_close(db);
    open_reference(c);
    EXPECT(c, ref_exec(c, script) == SQLITE_OK, "the reference refused the script");
    load_model(c);
    if (c->failed || native_open(c, 0) != SEALDB_OK) {
        goto done;
    }
    check_committed(c, "reading rows older than their columns");
    sealdb_txn *t = NULL;
    sealdb_error err;
    EXPECT_RC(c, sealdb_begin(c->db, SEALDB_TXN_WRITE, &t, &err), SEALDB_OK, &err);
    ref_exec(c, "BEGIN");
    for (c->step = 0; c->step < 40 && !c->failed; c->step++) {
        const uint32_t k = rnd(c, 4);
        if (k == 0) {
            op_insert(c, t, &c->tab[0]);
        } else if (k == 1) {
            op_update(c, t, &c->tab[0]);
        } else if (k == 2) {
            op_get(c, t, &c->tab[0]);
        } else {
            op_range(c, t, &c->tab[0], 1, 1);
        }
    }
    snprintf(c->op, sizeof c->op, "commit");
    EXPECT_RC(c, sealdb_commit(t, &err), SEALDB_OK, &err);
    ref_exec(c, "COMMIT");
    check_committed(c, "after writes to rows older than their columns");
    native_close(c);
    if (!c->failed) {
        check_with_sqlite(c);
    }
done:
    if (c->db) {
        sealdb_close(c->db, NULL);
    }
    close_reference(c);
    if (!c->failed) {
        remove_db(c->path);
        remove_db(c->refpath);
    }
    free(c);
}

/* ---- seeks at the edges of exact integer/real comparison ------------------------------------- */

/* Index seeks with keys SQLite compares exactly against stored reals
 * (integers beyond 2^53, INT64_MAX, their text): where each lands must be
 * where SQL's `column op ?` puts it, on columns of every numeric affinity. */
static void test_seek_edges(void)
{
    ctx *c = calloc(1, sizeof *c);
    c->what = "seek-edges";
    c->rng.s = 77;
    c->page_size = 4096;
    setup_keys(c, 0, 0);
    snprintf(c->path, sizeof c->path, "%s/edges.db", dir);
    snprintf(c->refpath, sizeof c->refpath, "%s/edges-ref.db", dir);
    remove_db(c->path);
    c->opt.sync = SEALDB_SYNC_OFF;
    static const char *const script =
        "CREATE TABLE t(r REAL, n NUMERIC, i INTEGER, b);"
        "CREATE INDEX t_r ON t(r); CREATE INDEX t_n ON t(n); CREATE INDEX t_i ON t(i);"
        "CREATE INDEX t_b ON t(b DESC);";
    static const char *const rows =
        "INSERT INTO t VALUES(9223372036854775808.0, 9223372036854775808.0, "
        "9223372036854775807, 9223372036854775808.0);"
        "INSERT INTO t VALUES(9007199254740992.0, 9007199254740993, 9007199254740993, "
        "9007199254740992.0);"
        "INSERT INTO t VALUES(-9223372036854775808.0, -9223372036854775808, "
        "-9223372036854775808, -9223372036854775808);"
        "INSERT INTO t VALUES(1.0, 1, 1, 1);"
        "INSERT INTO t VALUES(-9007199254740994.0, -9007199254740993, -9007199254740993, "
        "-9007199254740993);";
    open_reference(c);
    EXPECT(c, ref_exec(c, script) == SQLITE_OK && ref_exec(c, rows) == SQLITE_OK,
           "the reference refused the script");
    if (c->failed || native_open(c, 1) != SEALDB_OK) {
        goto done;
    }
    sealdb_txn *t = NULL;
    sealdb_error err;
    sealdb_begin(c->db, SEALDB_TXN_WRITE, &t, &err);
    EXPECT_RC(c, sealdb_create(t, "CREATE TABLE t(r REAL, n NUMERIC, i INTEGER, b)", &err),
              SEALDB_OK, &err);
    const char *idx[] = {"CREATE INDEX t_r ON t(r)", "CREATE INDEX t_n ON t(n)",
                         "CREATE INDEX t_i ON t(i)", "CREATE INDEX t_b ON t(b DESC)"};
    for (int i = 0; i < 4; i++) {
        EXPECT_RC(c, sealdb_create(t, idx[i], &err), SEALDB_OK, &err);
    }
    load_model(c);
    /* the same literals, inserted natively */
    const double R63 = 9223372036854775808.0;
    const sealdb_value v[5][4] = {
        {{.type = SEALDB_REAL, .r = R63},
         {.type = SEALDB_REAL, .r = R63},
         {.type = SEALDB_INTEGER, .i = INT64_MAX},
         {.type = SEALDB_REAL, .r = R63}},
        {{.type = SEALDB_REAL, .r = 9007199254740992.0},
         {.type = SEALDB_INTEGER, .i = 9007199254740993},
         {.type = SEALDB_INTEGER, .i = 9007199254740993},
         {.type = SEALDB_REAL, .r = 9007199254740992.0}},
        {{.type = SEALDB_REAL, .r = -R63},
         {.type = SEALDB_INTEGER, .i = INT64_MIN},
         {.type = SEALDB_INTEGER, .i = INT64_MIN},
         {.type = SEALDB_INTEGER, .i = INT64_MIN}},
        {{.type = SEALDB_REAL, .r = 1.0},
         {.type = SEALDB_INTEGER, .i = 1},
         {.type = SEALDB_INTEGER, .i = 1},
         {.type = SEALDB_INTEGER, .i = 1}},
        {{.type = SEALDB_REAL, .r = -9007199254740994.0},
         {.type = SEALDB_INTEGER, .i = -9007199254740993},
         {.type = SEALDB_INTEGER, .i = -9007199254740993},
         {.type = SEALDB_INTEGER, .i = -9007199254740993}},
    };
    sealdb_table *tbl = find_table(c, t, &c->tab[0]);
    for (int i = 0; i < 5 && tbl; i++) {
        EXPECT_RC(c, sealdb_insert(t, tbl, v[i], 4, NULL, &err), SEALDB_OK, &err);
    }
    EXPECT_RC(c, sealdb_commit(t, &err), SEALDB_OK, &err);
    check_committed(c, "the edge rows");
    /* every key against every index with every seek */
    tval keys[9];
    memset(keys, 0, sizeof keys);
    const int64_t ints[] = {INT64_MAX, INT64_MAX - 1, 9007199254740993, -9007199254740993, 1};
    for (int i = 0; i < 5; i++) {
        keys[i].type = SEALDB_INTEGER;
        keys[i].i = ints[i];
    }
    tval_bytes(&keys[5], SEALDB_TEXT, "9223372036854775807", 19);
    tval_bytes(&keys[6], SEALDB_TEXT, "9007199254740993", 16);
    keys[7].type = SEALDB_REAL;
    keys[7].r = R63;
    keys[8].type = SEALDB_REAL;
    keys[8].r = 9007199254740992.0;
    sealdb_begin(c->db, SEALDB_TXN_READ, &t, &err);
    tbl = find_table(c, t, &c->tab[0]);
    const tinfo *T = &c->tab[0];
    for (int xi = 0; xi < T->nidx && tbl && !c->failed; xi++) {
        const iinfo *x = &T->idx[xi];
        elist l;
        elist_load(c, T, x, &l);
        for (int k = 0; k < 9 && !c->failed; k++) {
            for (int op = 0; op < 5 && !c->failed; op++) {
                char kb[120];
                snprintf(c->op, sizeof c->op, "seek %s on %s (%s)", seek_names[op], x->name,
                         fmt_tval(kb, sizeof kb, &keys[k]));
                sealdb_cursor *cur = NULL;
                if (sealdb_cursor_open(t, tbl, x->name, &cur, &err) != SEALDB_OK) {
                    fail(c, "cursor: %s", err.message);
                    break;
                }
                const sealdb_value nk = to_native(&keys[k]);
                EXPECT_RC(c, sealdb_cursor_seek(cur, &nk, 1, op, &err), SEALDB_OK, &err);
                expect_position(c, cur, x, &l, model_seek(c, T, x, &l, &keys[k], 1, op),
                                "after the seek");
                sealdb_cursor_close(cur);
            }
        }
        elist_free(&l);
    }
    sealdb_rollback(t);
    for (int k = 0; k < 9; k++) {
        tval_free(&keys[k]);
    }
    native_close(c);
done:
    if (c->db) {
        sealdb_close(c->db, NULL);
    }
    close_reference(c);
    if (!c->failed) {
        remove_db(c->path);
        remove_db(c->refpath);
    }
    free(c);
}

/* ---- index scans that read rows ahead ---------------------------------------------------------
 */

#define AHEAD_N 3000

/* Row r of the scan-ahead table: a = (r * 7919) % AHEAD_N (every value
 * once, so index order is scattered over the table), b a text whose length
 * varies, every 20th too long for a 1024-byte page. */
static int64_t ahead_a(int64_t r)
{
    return (r * 7919) % AHEAD_N;
}

static uint32_t ahead_b(int64_t r, char *out)
{
    const uint32_t len = r % 20 == 0 ? 1500 : 10 + (uint32_t)(r % 50);
    for (uint32_t k = 0; k < len; k++) {
        out[k] = (char)('a' + (r * 31 + k) % 26);
    }
    return len;
}

/* The row the cursor's entry names, read and checked against the model. */
static long ahead_reads; /* sealdb_cursor_row calls of test_scan_ahead's read transaction */

static void ahead_expect(ctx *c, sealdb_cursor *cur, int64_t a_value, const int64_t *row_of_a)
{
    ahead_reads++;
    sealdb_value v[3];
    sealdb_error err;
    const int rc = sealdb_cursor_row(cur, v, 3, &err);
    EXPECT_RC(c, rc, SEALDB_OK, &err);
    if (rc != SEALDB_OK) {
        return;
    }
    char want[1600];
    const int64_t r = row_of_a[a_value];
    const uint32_t len = ahead_b(r, want);
    EXPECT(c,
           v[0].type == SEALDB_INTEGER && v[0].i == r && v[1].type == SEALDB_INTEGER &&
               v[1].i == a_value && v[2].type == SEALDB_TEXT && v[2].n == len &&
               memcmp(v[2].p, want, len) == 0,
           "the row of a = %lld is not row %lld", (long long)a_value, (long long)r);
}

/* Index cursors read the rows of the entries ahead (engine/native.c,
 * ahead_take): every row read must be the entry's, in whole scans forward
 * and back and in short runs from seeks that step both ways and skip rows,
 * over index leaves and rows with overflow pages; in a concurrent
 * transaction, and in a write transaction that updates rows as it goes
 * (each read shows its own change); with a 16-page cache nothing is read
 * ahead and the answers are the same. */
static void test_scan_ahead(int sealed, uint32_t cache_pages)
{
    ctx *c = calloc(1, sizeof *c);
    c->what = "scan-ahead";
    c->rng.s = 4242 + sealed;
    c->page_size = 1024;
    setup_keys(c, sealed, 1);
    snprintf(c->path, sizeof c->path, "%s/ahead-%d-%u.db", dir, sealed, cache_pages);
    remove_db(c->path);
    c->opt.sync = SEALDB_SYNC_OFF;
    c->opt.page_size = c->page_size;
    c->opt.cache_pages = cache_pages;
    int64_t *row_of_a = calloc(AHEAD_N, sizeof *row_of_a);
    if (native_open(c, 1) != SEALDB_OK) {
        goto done;
    }
    sealdb_txn *t = NULL;
    sealdb_error err;
    EXPECT_RC(c, sealdb_begin(c->db, SEALDB_TXN_WRITE, &t, &err), SEALDB_OK, &err);
    EXPECT_RC(c,
              sealdb_create(t, "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT)", &err),
              SEALDB_OK, &err);
    EXPECT_RC(c, sealdb_create(t, "CREATE INDEX t_a ON t(a)", &err), SEALDB_OK, &err);
    sealdb_table *tbl = NULL;
    EXPECT_RC(c, sealdb_table_find(t, "t", &tbl, &err), SEALDB_OK, &err);
    char b[1600];
    for (int64_t r = 1; r <= AHEAD_N && tbl && !c->failed; r++) {
        const sealdb_value v[3] = {
            {.type = SEALDB_INTEGER, .i = r},
            {.type = SEALDB_INTEGER, .i = ahead_a(r)},
            {.type = SEALDB_TEXT, .p = (const uint8_t *)b, .n = ahead_b(r, b)}};
        row_of_a[ahead_a(r)] = r;
        EXPECT_RC(c, sealdb_insert(t, tbl, v, 3, NULL, &err), SEALDB_OK, &err);
    }
    EXPECT_RC(c, sealdb_commit(t, &err), SEALDB_OK, &err);
    sealdb_stats before, during, after;
    sealdb_get_stats(c->db, &before);
    ahead_reads = 0;
    if (c->failed || sealdb_begin(c->db, SEALDB_TXN_READ, &t, &err) != SEALDB_OK) {
        goto close;
    }
    sealdb_cursor *cur = NULL;
    EXPECT_RC(c, sealdb_table_find(t, "t", &tbl, &err), SEALDB_OK, &err);
    EXPECT_RC(c, sealdb_cursor_open(t, tbl, "t_a", &cur, &err), SEALDB_OK, &err);
    if (c->failed) {
        sealdb_rollback(t);
        goto close;
    }
    /* whole scans: every row, in index order */
    int64_t a = 0;
    snprintf(c->op, sizeof c->op, "scan forward");
    for (sealdb_cursor_first(cur, &err); !sealdb_cursor_eof(cur) && !c->failed;
         sealdb_cursor_next(cur, &err), a++) {
        ahead_expect(c, cur, a, row_of_a);
    }
    EXPECT(c, a == AHEAD_N, "the forward scan read %lld rows", (long long)a);
    snprintf(c->op, sizeof c->op, "scan back");
    a = AHEAD_N - 1;
    for (sealdb_cursor_last(cur, &err); !sealdb_cursor_eof(cur) && !c->failed;
         sealdb_cursor_prev(cur, &err), a--) {
        ahead_expect(c, cur, a, row_of_a);
    }
    EXPECT(c, a == -1, "the backward scan stopped at %lld", (long long)a);
    /* runs from seeks: steps both ways, some rows skipped */
    for (int run = 0; run < 300 && !c->failed; run++) {
        a = (int64_t)rnd(c, AHEAD_N);
        const sealdb_value key = {.type = SEALDB_INTEGER, .i = a};
        snprintf(c->op, sizeof c->op, "run %d from a = %lld", run, (long long)a);
        EXPECT_RC(c, sealdb_cursor_seek(cur, &key, 1, SEALDB_SEEK_GE, &err), SEALDB_OK, &err);
        const int steps = 1 + (int)rnd(c, 60);
        for (int s = 0; s < steps && !sealdb_cursor_eof(cur) && !c->failed; s++) {
            if (chance(c, 60)) {
                ahead_expect(c, cur, a, row_of_a);
            }
            const int back = chance(c, 10);
            EXPECT_RC(c, back ? sealdb_cursor_prev(cur, &err) : sealdb_cursor_next(cur, &err),
                      SEALDB_OK, &err);
            a += back ? -1 : 1;
            EXPECT(c, sealdb_cursor_eof(cur) == (a < 0 || a >= AHEAD_N),
                   "the cursor is%s at the end at a = %lld", sealdb_cursor_eof(cur) ? "" : " not",
                   (long long)a);
        }
    }
    sealdb_get_stats(c->db, &during);
    sealdb_cursor_close(cur);
    sealdb_rollback(t);
    /* rows read count when their transaction ends, every one */
    sealdb_get_stats(c->db, &after);
    EXPECT(c, during.rows_read == before.rows_read, "rows_read moved during the transaction");
    EXPECT(c, after.rows_read - before.rows_read == (uint64_t)ahead_reads,
           "rows_read counted %llu rows of %ld read",
           (unsigned long long)(after.rows_read - before.rows_read), ahead_reads);
    /* transactions that may write: a concurrent one reads every row; a
     * write transaction updates every 97th row just before reading it
     * (each write makes the cursors let go of their pages, rows found ahead
     * with them) and must read its own change */
    for (int kind = 0; kind < 2 && !c->failed; kind++) {
        sealdb_txn *w = NULL;
        EXPECT_RC(c, sealdb_begin(c->db, kind ? SEALDB_TXN_WRITE : SEALDB_TXN_CONCURRENT, &w, &err),
                  SEALDB_OK, &err);
        if (c->failed) {
            break;
        }
        sealdb_table *wt = NULL;
        sealdb_cursor *wc = NULL;
        EXPECT_RC(c, sealdb_table_find(w, "t", &wt, &err), SEALDB_OK, &err);
        EXPECT_RC(c, sealdb_cursor_open(w, wt, "t_a", &wc, &err), SEALDB_OK, &err);
        snprintf(c->op, sizeof c->op, "scan in a %s transaction", kind ? "write" : "concurrent");
        a = 0;
        for (sealdb_cursor_first(wc, &err); wc && !sealdb_cursor_eof(wc) && !c->failed;
             sealdb_cursor_next(wc, &err), a++) {
            const int64_t r = row_of_a[a];
            if (!kind || a % 97 != 0) {
                ahead_expect(c, wc, a, row_of_a);
                continue;
            }
            char nb[32];
            const int nl = snprintf(nb, sizeof nb, "updated %lld", (long long)r);
            const sealdb_value nv[3] = {
                {.type = SEALDB_INTEGER, .i = r},
                {.type = SEALDB_INTEGER, .i = a},
                {.type = SEALDB_TEXT, .p = (const uint8_t *)nb, .n = (uint32_t)nl}};
            EXPECT_RC(c, sealdb_update(w, wt, r, nv, 3, &err), SEALDB_OK, &err);
            sealdb_value v[3];
            EXPECT_RC(c, sealdb_cursor_row(wc, v, 3, &err), SEALDB_OK, &err);
            EXPECT(c,
                   v[0].i == r && v[2].type == SEALDB_TEXT && v[2].n == (uint32_t)nl &&
                       memcmp(v[2].p, nb, (size_t)nl) == 0,
                   "row %lld does not show the transaction's own update", (long long)r);
        }
        EXPECT(c, a == AHEAD_N, "the scan read %lld rows", (long long)a);
        sealdb_cursor_close(wc);
        sealdb_rollback(w);
    }
close:
    native_close(c);
done:
    if (!c->failed) {
        remove_db(c->path);
    }
    free(row_of_a);
    free(c);
}

/* ---- a row read, changed and written back ----------------------------------------------------
 *
 * The values sealdb_get and sealdb_cursor_row give point into the pages and
 * buffers the transaction's reads hold; a write lets those go before it
 * encodes the row. Passing them straight back (a read-modify-write) once
 * encoded freed memory: a text too long for one page came from a freed
 * buffer. The engine now copies such values before the write. */
static void test_read_modify_write(void)
{
    ctx *c = calloc(1, sizeof *c);
    c->what = "read-modify-write";
    c->page_size = 4096;
    setup_keys(c, 1, 1);
    snprintf(c->path, sizeof c->path, "%s/rmw.db", dir);
    remove_db(c->path);
    c->opt.sync = SEALDB_SYNC_OFF;
    c->opt.page_size = c->page_size;
    enum { BIG = 20000 };
    char *big = malloc(BIG);
    for (int k = 0; k < BIG; k++) {
        big[k] = (char)('a' + k % 23);
    }
    if (!big || native_open(c, 1) != SEALDB_OK) {
        free(big);
        free(c);
        return;
    }
    sealdb_txn *t = NULL;
    sealdb_table *tbl = NULL;
    sealdb_error err;
    EXPECT_RC(c, sealdb_begin(c->db, SEALDB_TXN_WRITE, &t, &err), SEALDB_OK, &err);
    EXPECT_RC(c,
              sealdb_create(t, "CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, b TEXT)", &err),
              SEALDB_OK, &err);
    EXPECT_RC(c, sealdb_table_find(t, "t", &tbl, &err), SEALDB_OK, &err);
    const sealdb_value row[3] = {{.type = SEALDB_INTEGER, .i = 1},
                                 {.type = SEALDB_INTEGER, .i = 1},
                                 {.type = SEALDB_TEXT, .p = (const uint8_t *)big, .n = BIG}};
    EXPECT_RC(c, sealdb_insert(t, tbl, row, 3, NULL, &err), SEALDB_OK, &err);
    EXPECT_RC(c, sealdb_commit(t, &err), SEALDB_OK, &err);
    for (int kind = 0; kind < 2 && !c->failed; kind++) {
        EXPECT_RC(c, sealdb_begin(c->db, kind ? SEALDB_TXN_CONCURRENT : SEALDB_TXN_WRITE, &t, &err),
                  SEALDB_OK, &err);
        EXPECT_RC(c, sealdb_table_find(t, "t", &tbl, &err), SEALDB_OK, &err);
        sealdb_value v[3];
        EXPECT_RC(c, sealdb_get(t, tbl, 1, v, 3, &err), SEALDB_OK, &err);
        v[1].i += 1;
        EXPECT_RC(c, sealdb_update(t, tbl, 1, v, 3, &err), SEALDB_OK, &err);
        EXPECT_RC(c, sealdb_commit(t, &err), SEALDB_OK, &err);
        EXPECT_RC(c, sealdb_begin(c->db, SEALDB_TXN_READ, &t, &err), SEALDB_OK, &err);
        EXPECT_RC(c, sealdb_table_find(t, "t", &tbl, &err), SEALDB_OK, &err);
        EXPECT_RC(c, sealdb_get(t, tbl, 1, v, 3, &err), SEALDB_OK, &err);
        EXPECT(c,
               v[1].type == SEALDB_INTEGER && v[1].i == 2 + kind && v[2].type == SEALDB_TEXT &&
                   v[2].n == BIG && memcmp(v[2].p, big, BIG) == 0,
               "row 1 after read-modify-write %d: n %lld, text of %u bytes", kind,
               (long long)v[1].i, v[2].n);
        sealdb_rollback(t);
    }
    native_close(c);
    if (!c->failed) {
        remove_db(c->path);
    }
    free(big);
    free(c);
}

/* ---- tables the engine reads but must not write ---------------------------------------------- */

static void test_unwritable(void)
{
    ctx *c = calloc(1, sizeof *c);
    c->what = "unwritable";
    c->page_size = 4096;
    setup_keys(c, 0, 0);
    snprintf(c->path, sizeof c->path, "%s/unwritable.db", dir);
    snprintf(c->refpath, sizeof c->refpath, "%s/unwritable-ref.db", dir);
    remove_db(c->path);
    static const char *const schema =
        "CREATE TABLE w(a PRIMARY KEY, b) WITHOUT ROWID;"
        "CREATE TABLE s(a INTEGER, b TEXT) STRICT;"
        "CREATE TABLE k(a INTEGER CHECK (a > 0), b);"
        "CREATE TABLE ai(id INTEGER PRIMARY KEY AUTOINCREMENT, b);"
        "CREATE TABLE g(a, b AS (a * 2));"
        "CREATE TABLE p(a, b); CREATE INDEX p_part ON p(a) WHERE b > 0;"
        "CREATE TABLE e(a, b); CREATE INDEX e_expr ON e(a + b);"
        "CREATE TABLE tr(a, b); CREATE TABLE log(x);"
        "CREATE TRIGGER tr_ins AFTER INSERT ON tr BEGIN INSERT INTO log VALUES(new.a); END;"
        "CREATE TABLE ok(a, b); CREATE TABLE uq(a UNIQUE);"
        "INSERT INTO w VALUES(1, 'x'); INSERT INTO s VALUES(1, 'y'); INSERT INTO k VALUES(2, 3);"
        "INSERT INTO ai(b) VALUES('z'); INSERT INTO g(a) VALUES(21); INSERT INTO p VALUES(1, 1);"
        "INSERT INTO e VALUES(1, 2); INSERT INTO tr VALUES(5, 6);";
    sqlite3 *db = NULL;
    sqlite3_open(c->path, &db);
    EXPECT(c, sqlite3_exec(db, schema, NULL, NULL, NULL) == SQLITE_OK, "schema: %s",
           sqlite3_errmsg(db));
    sqlite3_close(db);
    if (native_open(c, 0) != SEALDB_OK) {
        free(c);
        return;
    }
    sealdb_txn *t = NULL;
    sealdb_error err;
    sealdb_begin(c->db, SEALDB_TXN_WRITE, &t, &err);
    const char *names[] = {"s", "k", "ai", "g", "p", "e", "tr"};
    for (int i = 0; i < 7; i++) {
        snprintf(c->op, sizeof c->op, "insert into %s (not writable natively)", names[i]);
        sealdb_table *tbl = NULL;
        EXPECT_RC(c, sealdb_table_find(t, names[i], &tbl, &err), SEALDB_OK, &err);
        if (!tbl) {
            continue;
        }
        sealdb_value v[2] = {{.type = SEALDB_INTEGER, .i = 7}, {.type = SEALDB_INTEGER, .i = 8}};
        const uint32_t n = !strcmp(names[i], "g") || !strcmp(names[i], "ai") ? 1 : 2;
        sealdb_value *vv = !strcmp(names[i], "ai") ? v + 1 : v;
        if (!strcmp(names[i], "ai")) {
            v[1].type = SEALDB_NULL;
        }
        EXPECT_RC(c, sealdb_insert(t, tbl, vv, n, NULL, &err), SEALDB_EUNSUPPORTED, &err);
        EXPECT(c, strlen(err.message) > 0, "EUNSUPPORTED without a reason");
        EXPECT_RC(c, sealdb_delete(t, tbl, 1, &err), SEALDB_EUNSUPPORTED, &err);
        /* readable: the row SQLite wrote */
        sealdb_value row[2];
        EXPECT_RC(c, sealdb_get(t, tbl, 1, row, 1, &err), SEALDB_OK, &err);
    }
    /* the WITHOUT ROWID table: found, not writable */
    sealdb_table *w = NULL;
    snprintf(c->op, sizeof c->op, "insert into the WITHOUT ROWID table");
    EXPECT_RC(c, sealdb_table_find(t, "w", &w, &err), SEALDB_OK, &err);
    if (w) {
        sealdb_value v[2] = {{.type = SEALDB_INTEGER, .i = 2}, {.type = SEALDB_INTEGER, .i = 3}};
        EXPECT_RC(c, sealdb_insert(t, w, v, 2, NULL, &err), SEALDB_EUNSUPPORTED, &err);
    }
    /* the plain table beside them stays writable */
    sealdb_table *ok = NULL;
    snprintf(c->op, sizeof c->op, "insert into a plain table beside them");
    EXPECT_RC(c, sealdb_table_find(t, "OK", &ok, &err), SEALDB_OK, &err);
    if (ok) {
        sealdb_value v[2] = {{.type = SEALDB_INTEGER, .i = 1}, {.type = SEALDB_NULL}};
        int64_t rowid = 0;
        EXPECT_RC(c, sealdb_insert(t, ok, v, 2, &rowid, &err), SEALDB_OK, &err);
        EXPECT(c, rowid == 1, "rowid %lld", (long long)rowid);
    }
    /* schema statements that are refused */
    snprintf(c->op, sizeof c->op, "sealdb_create of views, triggers, bad SQL");
    EXPECT_RC(c, sealdb_create(t, "CREATE VIEW v AS SELECT * FROM ok", &err), SEALDB_EUNSUPPORTED,
              &err);
    EXPECT_RC(c, sealdb_create(t, "CREATE TRIGGER t2 AFTER DELETE ON ok BEGIN SELECT 1; END", &err),
              SEALDB_EUNSUPPORTED, &err);
    EXPECT_RC(c, sealdb_create(t, "CREATE VIRTUAL TABLE vt USING fts5(x)", &err),
              SEALDB_EUNSUPPORTED, &err);
    EXPECT_RC(c, sealdb_create(t, "CREATE TABLE ok(a)", &err), SEALDB_EINVAL, &err);
    EXPECT_RC(c, sealdb_create(t, "CREATE TABLE IF NOT EXISTS ok(a)", &err), SEALDB_OK, &err);
    EXPECT_RC(c, sealdb_create(t, "CREATE TABLE bad(", &err), SEALDB_EINVAL, &err);
    EXPECT_RC(c, sealdb_create(t, "SELECT 1", &err), SEALDB_EINVAL, &err);
    EXPECT_RC(c, sealdb_create(t, "CREATE INDEX nope ON missing(a)", &err), SEALDB_EINVAL, &err);
    EXPECT_RC(c, sealdb_drop_table(t, "missing", &err), SEALDB_ENOTFOUND, &err);
    EXPECT_RC(c, sealdb_drop_index(t, "missing", &err), SEALDB_ENOTFOUND, &err);
    EXPECT_RC(c, sealdb_drop_table(t, "sqlite_schema", &err), SEALDB_EUNSUPPORTED, &err);
    EXPECT_RC(c, sealdb_drop_index(t, "sqlite_autoindex_uq_1", &err), SEALDB_EUNSUPPORTED, &err);
    EXPECT_RC(c, sealdb_drop_table(t, "tr", &err), SEALDB_EUNSUPPORTED, &err);
    EXPECT_RC(c, sealdb_commit(t, &err), SEALDB_OK, &err);
    /* a UNIQUE index over duplicates: refused, and (as after SQLite's failed
     * statement) the transaction goes on without it */
    snprintf(c->op, sizeof c->op,
             "CREATE UNIQUE INDEX over duplicates, then more in the same "
             "transaction");
    sealdb_begin(c->db, SEALDB_TXN_WRITE, &t, &err);
    ok = NULL;
    EXPECT_RC(c, sealdb_table_find(t, "ok", &ok, &err), SEALDB_OK, &err);
    sealdb_value dup[2] = {{.type = SEALDB_INTEGER, .i = 1}, {.type = SEALDB_NULL}};
    if (ok) {
        EXPECT_RC(c, sealdb_insert(t, ok, dup, 2, NULL, &err), SEALDB_OK, &err);
    }
    EXPECT_RC(c, sealdb_create(t, "CREATE UNIQUE INDEX ok_a ON ok(a)", &err), SEALDB_ECONSTRAINT,
              &err);
    EXPECT_RC(c, sealdb_create(t, "CREATE UNIQUE INDEX ok_b ON ok(b)", &err), SEALDB_OK, &err);
    EXPECT_RC(c, sealdb_commit(t, &err), SEALDB_OK, &err);
    native_close(c);
    /* SQLite sees the two rows and the index, integrity ok */
    sqlite3_open(c->path, &db);
    char out[256] = "";
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(
        db,
        "SELECT (SELECT group_concat(quote(a) || ':' || quote(b)) FROM ok) || ' ' || "
        "(SELECT count(*) FROM sqlite_schema WHERE name IN ('ok_a', 'ok_b')) || ' ' "
        "|| (SELECT * FROM pragma_integrity_check)",
        -1, &st, NULL);
    if (st && sqlite3_step(st) == SQLITE_ROW) {
        snprintf(out, sizeof out, "%s", sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    snprintf(c->op, sizeof c->op, "SQLite reads the result");
    EXPECT(c, !strcmp(out, "1:NULL,1:NULL 1 ok"), "got '%s'", out);
    if (!c->failed) {
        remove_db(c->path);
    }
    free(c);
}

/* ---- error codes
 * ---------------------------------------------------------------------------------- */

static void test_errors(void)
{
    ctx *c = calloc(1, sizeof *c);
    c->what = "errors";
    c->page_size = 4096;
    setup_keys(c, 1, 1); /* aegis256 */
    snprintf(c->path, sizeof c->path, "%s/errors.db", dir);
    remove_db(c->path);
    sealdb_error err;
    sealdb_db *db = NULL;
    char missing[600];
    snprintf(missing, sizeof missing, "%s/missing.db", dir);
    snprintf(c->op, sizeof c->op, "open a missing file without create");
    EXPECT_RC(c, sealdb_open(missing, NULL, NULL, &db, &err), SEALDB_ENOTFOUND, &err);
    EXPECT(c, db == NULL, "handle set on failure");
    sealdb_options no_create = {.create = 0};
    EXPECT_RC(c, sealdb_open(missing, &c->keys, &no_create, &db, &err), SEALDB_ENOTFOUND, &err);
    EXPECT(c, access(missing, F_OK) != 0, "a failed open made the file");
    snprintf(c->op, sizeof c->op, "NULL arguments");
    EXPECT_RC(c, sealdb_open(NULL, NULL, NULL, &db, &err), SEALDB_EINVAL, &err);
    /* a sealed database */
    if (native_open(c, 1) != SEALDB_OK) {
        free(c);
        return;
    }
    sealdb_txn *t = NULL;
    sealdb_begin(c->db, SEALDB_TXN_WRITE, &t, &err);
    EXPECT_RC(
        c, sealdb_create(t, "CREATE TABLE t(id INTEGER PRIMARY KEY, a NOT NULL, b UNIQUE)", &err),
        SEALDB_OK, &err);
    sealdb_table *tbl = NULL;
    snprintf(c->op, sizeof c->op, "unknown table and index");
    EXPECT_RC(c, sealdb_table_find(t, "nope", &tbl, &err), SEALDB_ENOTFOUND, &err);
    EXPECT_RC(c, sealdb_table_find(t, "T", &tbl, &err), SEALDB_OK, &err);
    sealdb_cursor *cur = NULL;
    EXPECT_RC(c, sealdb_cursor_open(t, tbl, "nope", &cur, &err), SEALDB_ENOTFOUND, &err);
    sealdb_value v[4] = {{.type = SEALDB_NULL},
                         {.type = SEALDB_INTEGER, .i = 1},
                         {.type = SEALDB_INTEGER, .i = 2},
                         {.type = SEALDB_INTEGER, .i = 3}};
    snprintf(c->op, sizeof c->op, "n larger than the column count");
    EXPECT_RC(c, sealdb_insert(t, tbl, v, 4, NULL, &err), SEALDB_EINVAL, &err);
    int64_t rowid = 0;
    EXPECT_RC(c, sealdb_insert(t, tbl, v, 3, &rowid, &err), SEALDB_OK, &err);
    EXPECT(c, rowid == 1, "rowid %lld", (long long)rowid);
    EXPECT_RC(c, sealdb_update(t, tbl, 1, v, 4, &err), SEALDB_EINVAL, &err);
    sealdb_value row[4];
    EXPECT_RC(c, sealdb_get(t, tbl, 1, row, 4, &err), SEALDB_EINVAL, &err);
    snprintf(c->op, sizeof c->op, "constraints");
    EXPECT_RC(c, sealdb_insert(t, tbl, v, 1, NULL, &err), SEALDB_ECONSTRAINT, &err); /* a NULL */
    v[0] = (sealdb_value){.type = SEALDB_INTEGER, .i = 1};
    EXPECT_RC(c, sealdb_insert(t, tbl, v, 3, NULL, &err), SEALDB_ECONSTRAINT, &err); /* rowid */
    v[0] = (sealdb_value){.type = SEALDB_INTEGER, .i = 5};
    EXPECT_RC(c, sealdb_insert(t, tbl, v, 3, NULL, &err), SEALDB_ECONSTRAINT, &err); /* b */
    v[0] = (sealdb_value){.type = SEALDB_TEXT, .n = 3, .p = (const uint8_t *)"abc"};
    EXPECT_RC(c, sealdb_insert(t, tbl, v, 3, NULL, &err), SEALDB_EINVAL, &err); /* not an integer */
    snprintf(c->op, sizeof c->op, "missing rows");
    EXPECT_RC(c, sealdb_get(t, tbl, 99, row, 1, &err), SEALDB_ENOTFOUND, &err);
    EXPECT_RC(c, sealdb_delete(t, tbl, 99, &err), SEALDB_ENOTFOUND, &err);
    v[0] = (sealdb_value){.type = SEALDB_INTEGER, .i = 99};
    EXPECT_RC(c, sealdb_update(t, tbl, 99, v, 3, &err), SEALDB_ENOTFOUND, &err);
    snprintf(c->op, sizeof c->op, "update without the INTEGER PRIMARY KEY, or with it NULL");
    EXPECT_RC(c, sealdb_create(t, "CREATE TABLE u(a, id INTEGER PRIMARY KEY)", &err), SEALDB_OK,
              &err);
    sealdb_table *u = NULL;
    EXPECT_RC(c, sealdb_table_find(t, "u", &u, &err), SEALDB_OK, &err);
    sealdb_value uv[2] = {{.type = SEALDB_TEXT, .n = 1, .p = (const uint8_t *)"x"},
                          {.type = SEALDB_INTEGER, .i = 42}};
    EXPECT_RC(c, sealdb_insert(t, u, uv, 2, NULL, &err), SEALDB_OK, &err);
    uv[0].p = (const uint8_t *)"y";
    EXPECT_RC(c, sealdb_update(t, u, 42, uv, 1, &err), SEALDB_OK, &err); /* keeps rowid 42 */
    sealdb_value got[2] = {{0}};
    EXPECT_RC(c, sealdb_get(t, u, 42, got, 2, &err), SEALDB_OK, &err);
    EXPECT(c,
           got[0].type == SEALDB_TEXT && got[0].n == 1 && got[0].p[0] == 'y' &&
               got[1].type == SEALDB_INTEGER && got[1].i == 42,
           "row 42 after an update without its INTEGER PRIMARY KEY");
    uv[1].type = SEALDB_NULL;
    EXPECT_RC(c, sealdb_update(t, u, 42, uv, 2, &err), SEALDB_EINVAL, &err);
    EXPECT_RC(c, sealdb_get(t, u, 42, got, 2, &err), SEALDB_OK, &err); /* the refusal left it */
    EXPECT_RC(c, sealdb_table_find(t, "t", &tbl, &err), SEALDB_OK, &err);
    EXPECT_RC(c, sealdb_commit(t, &err), SEALDB_OK, &err);
    snprintf(c->op, sizeof c->op, "statistics");
    sealdb_stats stats;
    memset(&stats, 0xff, sizeof stats);
    sealdb_get_stats(c->db, &stats);
    EXPECT(c, stats.commits >= 1 && stats.commits < 100, "commits %llu",
           (unsigned long long)stats.commits);
    EXPECT(c, stats.rows_written >= 1 && stats.rows_written < 100, "rows_written %llu",
           (unsigned long long)stats.rows_written);
    EXPECT(c, stats.pages_sealed >= 1, "pages_sealed %llu on a sealed database",
           (unsigned long long)stats.pages_sealed);
    snprintf(c->op, sizeof c->op, "seeks with too many key values; another table's index");
    sealdb_begin(c->db, SEALDB_TXN_WRITE, &t, &err);
    tbl = NULL;
    EXPECT_RC(c, sealdb_table_find(t, "t", &tbl, &err), SEALDB_OK, &err);
    EXPECT_RC(c, sealdb_create(t, "CREATE TABLE \"my t\"(\"a b\" TEXT, c)", &err), SEALDB_OK, &err);
    EXPECT_RC(c, sealdb_create(t, "CREATE INDEX my_i ON \"my t\"(\"a b\")", &err), SEALDB_OK, &err);
    EXPECT_RC(c, sealdb_table_find(t, "t", &tbl, &err), SEALDB_OK, &err); /* after the change */
    sealdb_table *mine = NULL;
    EXPECT_RC(c, sealdb_table_find(t, "MY T", &mine, &err), SEALDB_OK, &err);
    if (mine) {
        const char *nm = sealdb_table_column_name(mine, 0);
        EXPECT(c, nm && !strcmp(nm, "a b"), "column name %s", nm ? nm : "(null)");
    }
    cur = NULL;
    EXPECT_RC(c, sealdb_cursor_open(t, tbl, "my_i", &cur, &err), SEALDB_ENOTFOUND, &err);
    if (mine && sealdb_cursor_open(t, mine, "MY_I", &cur, &err) == SEALDB_OK) {
        sealdb_value k2[2] = {{.type = SEALDB_NULL}, {.type = SEALDB_NULL}};
        EXPECT_RC(c, sealdb_cursor_seek(cur, k2, 2, SEALDB_SEEK_GE, &err), SEALDB_EINVAL, &err);
        EXPECT_RC(c, sealdb_cursor_seek(cur, k2, 0, SEALDB_SEEK_GE, &err), SEALDB_EINVAL, &err);
        sealdb_cursor_close(cur);
    } else {
        fail(c, "no cursor on index my_i of \"my t\"");
    }
    /* the largest rowid taken: SQLite then picks an unused one at random */
    snprintf(c->op, sizeof c->op, "an automatic rowid after INT64_MAX");
    sealdb_value big[3] = {{.type = SEALDB_INTEGER, .i = INT64_MAX},
                           {.type = SEALDB_INTEGER, .i = 7},
                           {.type = SEALDB_INTEGER, .i = 8}};
    EXPECT_RC(c, sealdb_insert(t, tbl, big, 3, &rowid, &err), SEALDB_OK, &err);
    EXPECT(c, rowid == INT64_MAX, "rowid %lld", (long long)rowid);
    big[0].type = SEALDB_NULL;
    big[2].i = 9;
    rowid = 0;
    EXPECT_RC(c, sealdb_insert(t, tbl, big, 3, &rowid, &err), SEALDB_OK, &err);
    EXPECT(c, rowid != INT64_MAX && rowid != 1 && rowid > 0, "automatic rowid %lld",
           (long long)rowid);
    EXPECT_RC(c, sealdb_get(t, tbl, rowid, row, 3, &err), SEALDB_OK, &err);
    sealdb_rollback(t);
    snprintf(c->op, sizeof c->op, "close with a transaction open");
    sealdb_begin(c->db, SEALDB_TXN_READ, &t, &err);
    EXPECT_RC(c, sealdb_close(c->db, &err), SEALDB_EBUSY, &err);
    snprintf(c->op, sizeof c->op, "schema changes in a read transaction");
    EXPECT_RC(c, sealdb_create(t, "CREATE TABLE z(a)", &err), SEALDB_EREADONLY, &err);
    EXPECT_RC(c, sealdb_drop_table(t, "u", &err), SEALDB_EREADONLY, &err);
    EXPECT_RC(c, sealdb_drop_index(t, "my_i", &err), SEALDB_EREADONLY, &err);
    sealdb_rollback(t);
    snprintf(c->op, sizeof c->op, "a second native handle");
    EXPECT_RC(c, sealdb_open(c->path, &c->keys, NULL, &db, &err), SEALDB_EBUSY, &err);
    snprintf(c->op, sizeof c->op, "SQLite while the native handle holds the file");
    sqlite3 *sdb = NULL;
    const int src =
        sealdb_sqlite_open(c->path, &(sealdb_sqlite_config){.hexkey = c->hexkey}, &sdb, &err);
    int sql_rc = SQLITE_OK;
    if (src == SEALDB_OK) {
        sql_rc = sqlite3_exec(sdb, "SELECT count(*) FROM t", NULL, NULL, NULL);
    }
    EXPECT(c, (src != SEALDB_OK && src != SEALDB_EWRONGKEY) || sql_rc == SQLITE_BUSY,
           "SQLite read a natively open database (open %d, query %d)", src, sql_rc);
    sqlite3_close(sdb);
    native_close(c);
    snprintf(c->op, sizeof c->op, "wrong key, no key, wrong cipher");
    char wrong_hex[80];
    snprintf(wrong_hex, sizeof wrong_hex, "%s", hex32);
    wrong_hex[0] = wrong_hex[0] == 'f' ? 'e' : 'f';
    sealdb_sqlite_config wrong = {.hexkey = wrong_hex};
    EXPECT_RC(c, sealdb_open(c->path, &wrong, NULL, &db, &err), SEALDB_EWRONGKEY, &err);
    EXPECT_RC(c, sealdb_open(c->path, NULL, NULL, &db, &err), SEALDB_EFORMAT, &err);
    sealdb_sqlite_config other = {.cipher = "aes256gcm", .hexkey = hex32};
    EXPECT_RC(c, sealdb_open(c->path, &other, NULL, &db, &err), SEALDB_EMISMATCH, &err);
    /* a plain file opened with keys */
    char plain[600];
    snprintf(plain, sizeof plain, "%s/plain.db", dir);
    remove_db(plain);
    sqlite3_open(plain, &sdb);
    sqlite3_exec(sdb, "CREATE TABLE x(a); INSERT INTO x VALUES(1)", NULL, NULL, NULL);
    snprintf(c->op, sizeof c->op, "a plain file with keys; SQLite holding it");
    EXPECT_RC(c, sealdb_open(plain, &c->keys, NULL, &db, &err), SEALDB_ENOTSEALED, &err);
    /* SQLite holds the plain file in WAL mode: busy */
    sqlite3_exec(sdb, "PRAGMA journal_mode=WAL; SELECT count(*) FROM x", NULL, NULL, NULL);
    EXPECT_RC(c, sealdb_open(plain, NULL, NULL, &db, &err), SEALDB_EBUSY, &err);
    sqlite3_close(sdb);
    EXPECT_RC(c, sealdb_open(plain, NULL, NULL, &db, &err), SEALDB_OK, &err);
    if (db) {
        sealdb_close(db, NULL);
    }
    /* a file that is not a database */
    char junk[600];
    snprintf(junk, sizeof junk, "%s/junk.db", dir);
    FILE *f = fopen(junk, "wb");
    for (int i = 0; i < 4096; i++) {
        fputc(i * 7 & 0xff, f);
    }
    fclose(f);
    snprintf(c->op, sizeof c->op, "a file that is not a database");
    EXPECT_RC(c, sealdb_open(junk, NULL, NULL, &db, &err), SEALDB_EFORMAT, &err);
    /* the sealed database reopens and holds its row */
    if (native_open(c, 0) == SEALDB_OK) {
        sealdb_begin(c->db, SEALDB_TXN_READ, &t, &err);
        EXPECT_RC(c, sealdb_table_find(t, "t", &tbl, &err), SEALDB_OK, &err);
        EXPECT_RC(c, sealdb_get(t, tbl, 1, row, 3, &err), SEALDB_OK, &err);
        snprintf(c->op, sizeof c->op, "the sealed database reopened");
        EXPECT(c, row[0].type == SEALDB_INTEGER && row[0].i == 1 && row[1].i == 1 && row[2].i == 2,
               "row 1 reads %lld, %lld, %lld", (long long)row[0].i, (long long)row[1].i,
               (long long)row[2].i);
        sealdb_commit(t, &err);
        native_close(c);
    }
    remove_db(c->path);
    remove_db(plain);
    unlink(junk);
    free(c);
}

/* ---- snapshot isolation
 * --------------------------------------------------------------------------- */

static void test_snapshots(void)
{
    ctx *c = calloc(1, sizeof *c);
    c->what = "snapshots";
    c->page_size = 4096;
    setup_keys(c, 1, 0);
    snprintf(c->path, sizeof c->path, "%s/snap.db", dir);
    remove_db(c->path);
    if (native_open(c, 1) != SEALDB_OK) {
        free(c);
        return;
    }
    sealdb_error err;
    sealdb_txn *w = NULL, *r = NULL, *r2 = NULL;
    sealdb_table *tw = NULL, *tr = NULL;
    snprintf(c->op, sizeof c->op, "setup");
    sealdb_begin(c->db, SEALDB_TXN_WRITE, &w, &err);
    EXPECT_RC(c, sealdb_create(w, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)", &err),
              SEALDB_OK, &err);
    EXPECT_RC(c, sealdb_create(w, "CREATE INDEX t_v ON t(v)", &err), SEALDB_OK, &err);
    sealdb_table_find(w, "t", &tw, &err);
    for (int i = 1; i <= 200; i++) {
        char s[32];
        snprintf(s, sizeof s, "old-%03d", i);
        sealdb_value v[2] = {{.type = SEALDB_INTEGER, .i = i},
                             {.type = SEALDB_TEXT, .n = (uint32_t)strlen(s), .p = (uint8_t *)s}};
        EXPECT_RC(c, sealdb_insert(w, tw, v, 2, NULL, &err), SEALDB_OK, &err);
    }
    EXPECT_RC(c, sealdb_commit(w, &err), SEALDB_OK, &err);
    /* r begins, then a writer changes everything and commits */
    EXPECT_RC(c, sealdb_begin(c->db, SEALDB_TXN_READ, &r, &err), SEALDB_OK, &err);
    sealdb_table_find(r, "t", &tr, &err);
    sealdb_value row[2];
    EXPECT_RC(c, sealdb_get(r, tr, 5, row, 2, &err), SEALDB_OK, &err); /* r's snapshot in use */
    sealdb_begin(c->db, SEALDB_TXN_WRITE, &w, &err);
    sealdb_table_find(w, "t", &tw, &err);
    snprintf(c->op, sizeof c->op, "a writer commits under a reader");
    for (int i = 1; i <= 200; i++) {
        if (i % 2) {
            EXPECT_RC(c, sealdb_delete(w, tw, i, &err), SEALDB_OK, &err);
        } else {
            sealdb_value v[2] = {{.type = SEALDB_INTEGER, .i = i},
                                 {.type = SEALDB_TEXT, .n = 3, .p = (const uint8_t *)"new"}};
            EXPECT_RC(c, sealdb_update(w, tw, i, v, 2, &err), SEALDB_OK, &err);
        }
    }
    sealdb_value nv[2] = {{.type = SEALDB_NULL},
                          {.type = SEALDB_TEXT, .n = 1, .p = (const uint8_t *)"z"}};
    int64_t nr = 0;
    EXPECT_RC(c, sealdb_insert(w, tw, nv, 2, &nr, &err), SEALDB_OK, &err);
    EXPECT(c, nr == 201, "new rowid %lld", (long long)nr);
    /* the reader does not see the uncommitted writes, nor the committed ones */
    EXPECT_RC(c, sealdb_get(r, tr, 201, row, 2, &err), SEALDB_ENOTFOUND, &err);
    EXPECT_RC(c, sealdb_commit(w, &err), SEALDB_OK, &err);
    snprintf(c->op, sizeof c->op, "the reader's snapshot after the commit");
    for (int i = 1; i <= 201; i++) {
        const int rc = sealdb_get(r, tr, i, row, 2, &err);
        if (i == 201) {
            EXPECT_RC(c, rc, SEALDB_ENOTFOUND, &err);
            continue;
        }
        char s[32];
        snprintf(s, sizeof s, "old-%03d", i);
        EXPECT(c,
               rc == SEALDB_OK && row[1].type == SEALDB_TEXT && row[1].n == 7 &&
                   !memcmp(row[1].p, s, 7),
               "row %d: rc %d", i, rc);
    }
    sealdb_cursor *cur = NULL;
    EXPECT_RC(c, sealdb_cursor_open(r, tr, "t_v", &cur, &err), SEALDB_OK, &err);
    int n = 0;
    for (sealdb_cursor_first(cur, &err); cur && !sealdb_cursor_eof(cur);
         sealdb_cursor_next(cur, &err)) {
        n++;
        EXPECT(c, sealdb_cursor_rowid(cur) == n, "index entry %d at rowid %lld", n,
               (long long)sealdb_cursor_rowid(cur));
    }
    EXPECT(c, n == 200, "the reader's index has %d entries", n);
    sealdb_cursor_close(cur);
    /* a new reader sees the commit */
    EXPECT_RC(c, sealdb_begin(c->db, SEALDB_TXN_READ, &r2, &err), SEALDB_OK, &err);
    sealdb_table *t2 = NULL;
    sealdb_table_find(r2, "t", &t2, &err);
    EXPECT_RC(c, sealdb_get(r2, t2, 1, row, 2, &err), SEALDB_ENOTFOUND, &err);
    EXPECT_RC(c, sealdb_get(r2, t2, 2, row, 2, &err), SEALDB_OK, &err);
    EXPECT(c, row[1].type == SEALDB_TEXT && row[1].n == 3 && !memcmp(row[1].p, "new", 3), "row 2");
    EXPECT_RC(c, sealdb_get(r2, t2, 201, row, 2, &err), SEALDB_OK, &err);
    sealdb_commit(r2, &err);
    sealdb_commit(r, &err);
    /* a rolled-back writer leaves nothing */
    sealdb_begin(c->db, SEALDB_TXN_WRITE, &w, &err);
    sealdb_table_find(w, "t", &tw, &err);
    EXPECT_RC(c, sealdb_delete(w, tw, 2, &err), SEALDB_OK, &err);
    EXPECT_RC(c, sealdb_get(w, tw, 2, row, 2, &err), SEALDB_ENOTFOUND, &err); /* own change */
    sealdb_rollback(w);
    sealdb_begin(c->db, SEALDB_TXN_READ, &r, &err);
    sealdb_table_find(r, "t", &tr, &err);
    snprintf(c->op, sizeof c->op, "after a rollback");
    EXPECT_RC(c, sealdb_get(r, tr, 2, row, 2, &err), SEALDB_OK, &err);
    sealdb_commit(r, &err);
    native_close(c);
    remove_db(c->path);
    free(c);
}

int main(int argc, char **argv)
{
    const int seeds = argc > 1 ? atoi(argv[1]) : 300;
    const int steps = argc > 2 ? atoi(argv[2]) : 120;
    trace = getenv("SEALDB_TEST_TRACE") != NULL;
    const char *only = getenv("SEALDB_TEST_SEED"); /* run one seed of the differential runs */
    snprintf(dir, sizeof dir, "/tmp/sealdb-test-native-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    if (!only) {
        test_errors();
        test_snapshots();
        test_unwritable();
        test_added_columns(0);
        test_added_columns(1);
        test_seek_edges();
        test_scan_ahead(0, 0);
        test_scan_ahead(1, 0);
        test_scan_ahead(1, 16);
        test_read_modify_write();
        for (int i = 0; i < 24; i++) {
            run_sqlite_written(i);
        }
    }
    for (int sd = 0; sd < seeds; sd++) {
        if (only && (uint64_t)sd + 1 != strtoull(only, NULL, 10)) {
            continue;
        }
        run_seed((uint64_t)sd + 1, steps);
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (!check_failures && system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    if (check_failures) {
        fprintf(stderr, "files of failed runs kept in %s\n", dir);
    }
    return check_report();
}
