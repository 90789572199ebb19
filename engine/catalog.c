/*
 * catalog.c - the schema of a database: read from sqlite_schema, described
 * by SQLite itself, and changed (CREATE TABLE, CREATE INDEX, DROP) natively.
 *
 * Loading walks sqlite_schema (the table B-tree at page 1) and checks every
 * row strictly: five columns, type one of table/index/view/trigger, names
 * as TEXT without NUL bytes, rootpage an INTEGER within the file, sql TEXT
 * (NULL only for automatic indexes). The schema SQL is then replayed into
 * a private in-memory SQLite database, the replica: tables in schema order,
 * then indexes, then views and triggers (whose errors are ignored: they
 * only matter for the names they take). The replica is asked through its
 * PRAGMAs, so every detail of the grammar (affinities, defaults, automatic
 * index names, collations) is SQLite's own. Internal sqlite_* tables can
 * not be created by SQL; they are replayed under an alias to learn their
 * columns. Collations SQLite does not know are given a stand-in, so a
 * schema using one still loads; the tables and indexes using them are then
 * unwritable.
 *
 * Creating replays the current catalog into a replica, runs the statement
 * there (which gives SQLite's errors and the exact rows SQLite would store,
 * automatic indexes included) and copies those rows into the database with
 * new root pages. Nothing here keeps state between calls; a catalog is
 * immutable once loaded.
 *
 * Invariants:
 * - Every pointer in a catalog points into memory the catalog owns:
 *   catalog_free releases it all, and every error path frees what it took.
 * - The unwritable reasons are static strings, or point into the owning
 *   object's name allocation (room is reserved after the name's NUL).
 * - On an error after a write began, the caller rolls its batch back.
 */
#define _GNU_SOURCE /* qsort_r */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btree_int.h"
#include "catalog.h"
#include "crypto.h" /* error_set */

/* Bytes reserved after a name for an unwritable reason that names something. */
#define REASON_ROOM 64

/* The SQL SQLite uses for sqlite_schema itself. */
static const char schema_sql[] =
    "CREATE TABLE sqlite_schema(type text,name text,tbl_name text,rootpage int,sql text)";

/* ---- small helpers ----------------------------------------------------------------------------
 */

static int ascii_lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

static int name_eq(const char *a, const char *b)
{
    while (*a && ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b)) {
        a++, b++;
    }
    return ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b);
}

static int name_eqn(const char *a, size_t n, const char *b)
{
    for (size_t i = 0; i < n; i++) {
        if (!b[i] || ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i])) {
            return 0;
        }
    }
    return b[n] == 0;
}

static int is_internal(const char *name)
{
    for (int i = 0; i < 7; i++) {
        if (ascii_lower((unsigned char)name[i]) != "sqlite_"[i]) {
            return 0;
        }
    }
    return 1;
}

/* A copy of s (n bytes) with REASON_ROOM bytes to spare after its NUL. */
static char *name_dup(const char *s, size_t n)
{
    char *p = malloc(n + 1 + REASON_ROOM);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
        p[n + 1] = 0;
    }
    return p;
}

static char *str_dup(const char *s)
{
    return s ? name_dup(s, strlen(s)) : NULL;
}

static uint8_t collation_of(const char *name, int *known)
{
    *known = 1;
    if (!name || name_eq(name, "BINARY")) {
        return RECORD_BINARY;
    }
    if (name_eq(name, "NOCASE")) {
        return RECORD_NOCASE;
    }
    if (name_eq(name, "RTRIM")) {
        return RECORD_RTRIM;
    }
    *known = 0;
    return RECORD_BINARY;
}

/* The reason "collation X", kept in the spare room after owner's name. */
static const char *collation_reason(char *owner_name, const char *coll)
{
    char *room = owner_name + strlen(owner_name) + 1;
    snprintf(room, REASON_ROOM, "collation %.40s", coll);
    return room;
}

/* ---- a tokenizer, enough to find keywords outside literals ------------------------------------
 */

enum { TK_END, TK_ID, TK_QID, TK_STR, TK_NUM, TK_PUNCT };

typedef struct token {
    int kind;
    const char *z; /* TK_QID: the text inside the quotes */
    size_t n;
} token;

/* The next token of the SQL at *p (comments and spaces skipped). */
static token next_token(const char **p)
{
    const char *s = *p;
    token t = {TK_END, s, 0};
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' || *s == '\v') {
            s++;
        }
        if (s[0] == '-' && s[1] == '-') {
            while (*s && *s != '\n') {
                s++;
            }
        } else if (s[0] == '/' && s[1] == '*') {
            s += 2;
            while (*s && !(s[0] == '*' && s[1] == '/')) {
                s++;
            }
            s += *s ? 2 : 0;
        } else {
            break;
        }
    }
    t.z = s;
    if (!*s) {
        *p = s;
        return t;
    }
    const char c = *s;
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
        const char close = c == '[' ? ']' : c;
        const char *q = s + 1;
        for (;;) {
            if (!*q) {
                break;
            }
            if (*q == close) {
                if (close != ']' && q[1] == close) {
                    q += 2;
                    continue;
                }
                break;
            }
            q++;
        }
        t.kind = c == '\'' ? TK_STR : TK_QID;
        t.z = s + 1;
        t.n = (size_t)(q - s - 1);
        *p = *q ? q + 1 : q;
        return t;
    }
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || (unsigned char)c >= 0x80) {
        const char *q = s;
        while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') ||
               *q == '_' || *q == '$' || (unsigned char)*q >= 0x80) {
            q++;
        }
        t.kind = TK_ID;
        t.n = (size_t)(q - s);
        *p = q;
        return t;
    }
    if ((c >= '0' && c <= '9') || (c == '.' && s[1] >= '0' && s[1] <= '9')) {
        const char *q = s;
        while ((*q >= '0' && *q <= '9') || *q == '.' || (*q >= 'a' && *q <= 'z') ||
               (*q >= 'A' && *q <= 'Z') || *q == '_') {
            q++;
        }
        t.kind = TK_NUM;
        t.n = (size_t)(q - s);
        *p = q;
        return t;
    }
    t.kind = TK_PUNCT;
    t.n = 1;
    *p = s + 1;
    return t;
}

static int tok_is(const token *t, const char *kw)
{
    return t->kind == TK_ID && name_eqn(t->z, t->n, kw);
}

/* Whether the SQL holds the keyword kw outside literals and quoted names. */
static int sql_has_keyword(const char *sql, const char *kw)
{
    for (const char *p = sql;;) {
        token t = next_token(&p);
        if (t.kind == TK_END) {
            return 0;
        }
        if (tok_is(&t, kw)) {
            return 1;
        }
    }
}

/* Whether the SQL names `name` (as a bare or quoted identifier). */
static int sql_names(const char *sql, const char *name)
{
    for (const char *p = sql;;) {
        token t = next_token(&p);
        if (t.kind == TK_END) {
            return 0;
        }
        if ((t.kind == TK_ID || t.kind == TK_QID) && name_eqn(t.z, t.n, name)) {
            return 1;
        }
    }
}

/* Whether an expression may give a different value each time: a function
 * call or one of the CURRENT_* keywords. */
static int expr_is_volatile(const char *expr)
{
    const char *p = expr;
    token prev = {TK_END, NULL, 0};
    for (;;) {
        token t = next_token(&p);
        if (t.kind == TK_END) {
            return 0;
        }
        if (tok_is(&t, "CURRENT_TIME") || tok_is(&t, "CURRENT_DATE") ||
            tok_is(&t, "CURRENT_TIMESTAMP")) {
            return 1;
        }
        if (t.kind == TK_PUNCT && t.z[0] == '(' && prev.kind == TK_ID) {
            return 1;
        }
        prev = t;
    }
}

/* ---- affinity ------------------------------------------------------------------------------- */

/* SQLite's sqlite3AffinityType: the affinity of a declared type. */
static uint8_t affinity_of(const char *type)
{
    if (!type || !*type) {
        return AFF_BLOB;
    }
    uint32_t h = 0;
    uint8_t aff = AFF_NUMERIC;
    for (const char *z = type; *z; z++) {
        h = (h << 8) + (uint32_t)ascii_lower((unsigned char)*z);
        if (h == (('c' << 24) + ('h' << 16) + ('a' << 8) + 'r') ||
            h == (('c' << 24) + ('l' << 16) + ('o' << 8) + 'b') ||
            h == (('t' << 24) + ('e' << 16) + ('x' << 8) + 't')) {
            aff = AFF_TEXT;
        } else if (h == (('b' << 24) + ('l' << 16) + ('o' << 8) + 'b') &&
                   (aff == AFF_NUMERIC || aff == AFF_REAL)) {
            aff = AFF_BLOB;
        } else if ((h == (('r' << 24) + ('e' << 16) + ('a' << 8) + 'l') ||
                    h == (('f' << 24) + ('l' << 16) + ('o' << 8) + 'a') ||
                    h == (('d' << 24) + ('o' << 16) + ('u' << 8) + 'b')) &&
                   aff == AFF_NUMERIC) {
            aff = AFF_REAL;
        } else if ((h & 0x00ffffff) == (('i' << 16) + ('n' << 8) + 't')) {
            return AFF_INTEGER;
        }
    }
    return aff;
}

static int is_space(uint8_t ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v' || ch == '\f' || ch == '\r';
}

/* Parses text as SQLite's sqlite3AtoF accepts a whole string: spaces, sign,
 * digits, fraction, exponent, spaces. 0: not a number; 1: an integer (in
 * *i if it fits int64, else *fits = 0); 2: a real (in *r). */
static int parse_number(const uint8_t *z, uint32_t n, int64_t *i, int *fits, double *r)
{
    uint32_t a = 0, b = n;
    while (a < b && is_space(z[a])) {
        a++;
    }
    while (b > a && is_space(z[b - 1])) {
        b--;
    }
    uint32_t k = a;
    int neg = 0, digits = 0, real = 0;
    if (k < b && (z[k] == '+' || z[k] == '-')) {
        neg = z[k] == '-';
        k++;
    }
    const uint32_t first_digit = k;
    while (k < b && z[k] >= '0' && z[k] <= '9') {
        k++, digits++;
    }
    const uint32_t int_end = k;
    if (k < b && z[k] == '.') {
        real = 1;
        k++;
        while (k < b && z[k] >= '0' && z[k] <= '9') {
            k++, digits++;
        }
    }
    if (digits == 0) {
        return 0;
    }
    if (k < b && (z[k] == 'e' || z[k] == 'E')) {
        real = 1;
        k++;
        if (k < b && (z[k] == '+' || z[k] == '-')) {
            k++;
        }
        int exp_digits = 0;
        while (k < b && z[k] >= '0' && z[k] <= '9') {
            k++, exp_digits++;
        }
        if (!exp_digits) {
            return 0;
        }
    }
    if (k != b) {
        return 0;
    }
    char tmp[400];
    if (b - a >= sizeof tmp) {
        /* a very long number: strtod needs it whole */
        char *big = malloc(b - a + 1);
        if (!big) {
            *r = 0;
        } else {
            memcpy(big, z + a, b - a);
            big[b - a] = 0;
            *r = strtod(big, NULL);
            free(big);
        }
    } else {
        memcpy(tmp, z + a, b - a);
        tmp[b - a] = 0;
        *r = strtod(tmp, NULL);
    }
    if (real) {
        return 2;
    }
    /* exact integer, as sqlite3Atoi64 */
    uint64_t u = 0;
    *fits = 1;
    for (uint32_t d = first_digit; d < int_end; d++) {
        const uint32_t v = (uint32_t)(z[d] - '0');
        if (u > (UINT64_MAX - v) / 10) {
            *fits = 0;
            break;
        }
        u = u * 10 + v;
    }
    if (*fits && (neg ? u > (uint64_t)INT64_MAX + 1 : u > (uint64_t)INT64_MAX)) {
        *fits = 0;
    }
    if (*fits) {
        *i = neg ? (int64_t)(0 - u) : (int64_t)u;
    }
    return 1;
}

/* sqlite3VdbeIntegerAffinity: a REAL with an exact integer value in range
 * becomes INTEGER. */
static void real_to_int(record_value *v)
{
    const double r = v->r;
    if (r > -9223372036854775808.0 && r < 9223372036854775808.0) {
        const int64_t ix = (int64_t)r;
        if ((double)ix == r && ix > INT64_MIN && ix < INT64_MAX) {
            v->type = RECORD_INTEGER;
            v->i = ix;
        }
    }
}

void catalog_apply_affinity(uint8_t aff, record_value *v, char *buf)
{
    if (v->type == RECORD_NULL || v->type == RECORD_BLOB || aff == AFF_BLOB) {
        return;
    }
    if (aff == AFF_TEXT) {
        if (v->type == RECORD_INTEGER) {
            snprintf(buf, CATALOG_NUMTEXT_MAX, "%lld", (long long)v->i);
        } else if (v->type == RECORD_REAL) {
            if (isnan(v->r)) {
                v->type = RECORD_NULL;
                return;
            }
            sqlite3_snprintf(CATALOG_NUMTEXT_MAX, buf, "%!.15g", v->r);
        } else {
            return;
        }
        v->type = RECORD_TEXT;
        v->n = (uint32_t)strlen(buf);
        v->p = (const uint8_t *)buf;
        return;
    }
    /* NUMERIC, INTEGER, REAL */
    if (v->type == RECORD_TEXT) {
        int64_t i = 0;
        int fits = 0;
        double r = 0;
        const int kind = parse_number(v->p, v->n, &i, &fits, &r);
        if (kind == 0) {
            return;
        }
        if (kind == 1 && fits) {
            v->type = RECORD_INTEGER;
            v->i = i;
        } else {
            v->type = RECORD_REAL;
            v->r = r;
            real_to_int(v);
        }
    } else if (v->type == RECORD_REAL) {
        if (isnan(v->r)) {
            v->type = RECORD_NULL;
            return;
        }
        real_to_int(v);
    }
    if (aff == AFF_REAL && v->type == RECORD_INTEGER) {
        v->type = RECORD_REAL;
        v->r = (double)v->i;
    }
}

/* ---- the replica: the schema replayed into an in-memory SQLite ----------------------------------
 */

static int coll_binary(void *ctx, int an, const void *a, int bn, const void *b)
{
    (void)ctx;
    const int n = an < bn ? an : bn;
    const int c = n ? memcmp(a, b, (size_t)n) : 0;
    return c ? c : an - bn;
}

/* A collation the schema names but SQLite does not know: a stand-in lets
 * the schema load (what uses it is unwritable natively). */
static void coll_needed(void *ctx, sqlite3 *db, int enc, const char *name)
{
    (void)ctx;
    (void)enc;
    sqlite3_create_collation(db, name, SQLITE_UTF8, NULL, coll_binary);
}

/* Runs one statement of sql (nothing but spaces, comments and semicolons
 * may follow it). SQLITE_OK, or SQLite's code (message in db). */
static int replica_exec(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, &tail);
    if (rc != SQLITE_OK) {
        return rc;
    }
    for (const char *p = tail;;) {
        token t = next_token(&p);
        if (t.kind == TK_END) {
            break;
        }
        if (!(t.kind == TK_PUNCT && t.z[0] == ';')) {
            sqlite3_finalize(st);
            return SQLITE_MISUSE;
        }
    }
    if (!st) {
        return SQLITE_MISUSE;
    }
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* The replica's name of an internal table i (entry index, or -1 for
 * sqlite_schema). */
static void alias_name(char *buf, size_t cap, int64_t i)
{
    snprintf(buf, cap, "sealdb_internal_%lld", (long long)(i + 1));
}

/* Creates internal table sql under an alias: the name token is replaced. */
static int replica_alias(sqlite3 *db, const char *sql, int64_t i)
{
    const char *p = sql;
    token t1 = next_token(&p), t2 = next_token(&p), t3 = next_token(&p);
    if (!tok_is(&t1, "CREATE") || !tok_is(&t2, "TABLE") || t3.kind == TK_END) {
        return SQLITE_ERROR;
    }
    char alias[48];
    alias_name(alias, sizeof alias, i);
    char *q = sqlite3_mprintf("CREATE TABLE \"%w\" %s", alias, p);
    if (!q) {
        return SQLITE_NOMEM;
    }
    const int rc = replica_exec(db, q);
    sqlite3_free(q);
    return rc;
}

/* Opens a replica of the schema entries e[0..n). */
static int replica_open(const sealdb_schema_entry *e, uint32_t n, sqlite3 **out, sealdb_error *err)
{
    sqlite3 *db = NULL;
    *out = NULL;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        sqlite3_close(db);
        return error_set(err, SEALDB_ENOMEM, "could not open an in-memory SQLite database");
    }
    sqlite3_collation_needed(db, NULL, coll_needed);
    int rc = replica_alias(db, schema_sql, -1);
    /* pass 0: tables; 1: indexes; 2: views and triggers (errors ignored) */
    for (int pass = 0; pass < 3 && rc == SQLITE_OK; pass++) {
        for (uint32_t i = 0; i < n && rc == SQLITE_OK; i++) {
            const int table = !strcmp(e[i].type, "table"), index = !strcmp(e[i].type, "index");
            if (!e[i].sql || (pass == 0 && !table) || (pass == 1 && !index) ||
                (pass == 2 && (table || index))) {
                continue;
            }
            if (table && e[i].rootpage == 0) {
                continue; /* a virtual table: its module is not here */
            }
            if (table && is_internal(e[i].name)) {
                rc = replica_alias(db, e[i].sql, i);
                if (rc == SQLITE_OK && name_eq(e[i].name, "sqlite_sequence") &&
                    sqlite3_table_column_metadata(db, "main", "sqlite_sequence", "name", NULL, NULL,
                                                  NULL, NULL, NULL) != SQLITE_OK) {
                    /* the real one too, so a new AUTOINCREMENT table does not add it again */
                    rc = sqlite3_exec(db,
                                      "CREATE TABLE sealdb_autoinc(x INTEGER PRIMARY KEY "
                                      "AUTOINCREMENT); DROP TABLE sealdb_autoinc;",
                                      NULL, NULL, NULL);
                }
            } else {
                rc = replica_exec(db, e[i].sql);
            }
            if (pass == 2) {
                rc = SQLITE_OK;
            } else if (rc != SQLITE_OK) {
                error_set(err, rc == SQLITE_NOMEM ? SEALDB_ENOMEM : SEALDB_EFORMAT,
                          "schema entry %s \"%.60s\": SQLite refuses its SQL: %.100s", e[i].type,
                          e[i].name, sqlite3_errmsg(db));
                sqlite3_close(db);
                return rc == SQLITE_NOMEM ? SEALDB_ENOMEM : SEALDB_EFORMAT;
            }
        }
    }
    if (rc != SQLITE_OK) {
        error_set(err, SEALDB_EFORMAT, "could not describe sqlite_schema: %s", sqlite3_errmsg(db));
        sqlite3_close(db);
        return SEALDB_EFORMAT;
    }
    *out = db;
    return SEALDB_OK;
}

static int replica_error(sqlite3 *db, sealdb_error *err, const char *what)
{
    const int code = sqlite3_errcode(db) == SQLITE_NOMEM ? SEALDB_ENOMEM : SEALDB_EFORMAT;
    return error_set(err, code, "%s: %s", what, sqlite3_errmsg(db));
}

/* Prepares a query on the replica, binding text parameters a and b. */
static sqlite3_stmt *replica_query(sqlite3 *db, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        return NULL;
    }
    if ((a && sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC) != SQLITE_OK) ||
        (b && sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC) != SQLITE_OK)) {
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

/* ---- describing tables and indexes
 * --------------------------------------------------------------- */

/* Evaluates a DEFAULT expression into col->dflt (owned copy), with the
 * column's affinity applied. */
static int eval_default(sqlite3 *db, const char *expr, catalog_column *col, sealdb_error *err)
{
    char *q = sqlite3_mprintf("SELECT %s", expr);
    sqlite3_stmt *st = NULL;
    if (!q) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    const int prc = sqlite3_prepare_v2(db, q, -1, &st, NULL);
    sqlite3_free(q);
    if (prc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return replica_error(db, err, "a DEFAULT value could not be evaluated");
    }
    record_value v = {.type = RECORD_NULL};
    char buf[CATALOG_NUMTEXT_MAX];
    switch (sqlite3_column_type(st, 0)) {
    case SQLITE_INTEGER:
        v.type = RECORD_INTEGER;
        v.i = sqlite3_column_int64(st, 0);
        break;
    case SQLITE_FLOAT:
        v.type = RECORD_REAL;
        v.r = sqlite3_column_double(st, 0);
        break;
    case SQLITE_TEXT:
        v.type = RECORD_TEXT;
        v.p = sqlite3_column_text(st, 0);
        v.n = (uint32_t)sqlite3_column_bytes(st, 0);
        break;
    case SQLITE_BLOB:
        v.type = RECORD_BLOB;
        v.p = sqlite3_column_blob(st, 0);
        v.n = (uint32_t)sqlite3_column_bytes(st, 0);
        break;
    default: break;
    }
    catalog_apply_affinity(col->affinity, &v, buf);
    if ((v.type == RECORD_TEXT || v.type == RECORD_BLOB) && v.n > 0) {
        uint8_t *copy = malloc(v.n);
        if (!copy) {
            sqlite3_finalize(st);
            return error_set(err, SEALDB_ENOMEM, "out of memory");
        }
        memcpy(copy, v.p, v.n);
        v.p = copy;
    } else if (v.type == RECORD_TEXT || v.type == RECORD_BLOB) {
        v.p = NULL;
    }
    sqlite3_finalize(st);
    col->dflt = v;
    return SEALDB_OK;
}

/* Fills the columns of t (its name in the replica: rname) and its flags. */
static int describe_table(sqlite3 *db, const char *rname, const char *sql, catalog_table *t,
                          sealdb_error *err)
{
    sqlite3_stmt *st = replica_query(
        db, "SELECT wr, strict FROM pragma_table_list(?1) WHERE schema = 'main'", rname, NULL);
    if (!st) {
        return replica_error(db, err, "PRAGMA table_list");
    }
    int strict = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        t->without_rowid = (uint8_t)sqlite3_column_int(st, 0);
        strict = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);

    st = replica_query(db,
                       "SELECT count(*) FROM pragma_table_xinfo(?1) UNION ALL "
                       "SELECT count(*) FROM pragma_table_xinfo(?1) WHERE pk > 0",
                       rname, NULL);
    if (!st) {
        return replica_error(db, err, "PRAGMA table_xinfo");
    }
    uint32_t ncol = 0, npk = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        ncol = (uint32_t)sqlite3_column_int(st, 0);
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        npk = (uint32_t)sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    t->cols = calloc(ncol ? ncol : 1, sizeof *t->cols);
    t->col_flags = calloc(ncol ? ncol : 1, 1);
    if (!t->cols || !t->col_flags) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    st = replica_query(db,
                       "SELECT name, type, \"notnull\", dflt_value, pk, hidden "
                       "FROM pragma_table_xinfo(?1) ORDER BY cid",
                       rname, NULL);
    if (!st) {
        return replica_error(db, err, "PRAGMA table_xinfo");
    }
    const char *why = NULL;
    int generated = 0, autoinc = 0, rc = SEALDB_OK;
    t->ipk = -1;
    while (rc == SEALDB_OK && t->ncol < ncol && sqlite3_step(st) == SQLITE_ROW) {
        catalog_column *col = &t->cols[t->ncol];
        const char *cname = (const char *)sqlite3_column_text(st, 0);
        const char *ctype = (const char *)sqlite3_column_text(st, 1);
        const char *dflt = (const char *)sqlite3_column_text(st, 3);
        if (!(col->name = str_dup(cname ? cname : ""))) {
            rc = error_set(err, SEALDB_ENOMEM, "out of memory");
            break;
        }
        t->ncol++;
        col->affinity = affinity_of(ctype);
        col->notnull = (uint8_t)sqlite3_column_int(st, 2);
        const int hidden = sqlite3_column_int(st, 5);
        col->hidden = (uint8_t)(hidden == 2 || hidden == 3 ? hidden : hidden != 0);
        generated |= col->hidden != 0;
        t->col_flags[t->ncol - 1] = col->affinity == AFF_REAL ? RECORD_REAL_AS_INT : 0;
        if (npk == 1 && sqlite3_column_int(st, 4) == 1 && ctype && name_eq(ctype, "INTEGER") &&
            !t->without_rowid) {
            t->ipk = (int32_t)(t->ncol - 1);
        }
        const char *coll = NULL;
        int pk = 0, ai = 0;
        if (sqlite3_table_column_metadata(db, "main", rname, cname, NULL, &coll, NULL, &pk, &ai) ==
            SQLITE_OK) {
            int known;
            col->coll = collation_of(coll, &known);
            if (!known && !why) {
                why = collation_reason(t->name, coll);
            }
            autoinc |= ai;
        }
        if (dflt) {
            col->dflt_is_set = 1;
            if (expr_is_volatile(dflt)) {
                why = why ? why : "non-constant DEFAULT";
            } else {
                rc = eval_default(db, dflt, col, err);
            }
        }
    }
    sqlite3_finalize(st);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (t->ncol != ncol) {
        return replica_error(db, err, "PRAGMA table_xinfo");
    }
    /* the first reason that applies */
    if (t->without_rowid) {
        t->unwritable = "WITHOUT ROWID table";
    } else if (strict) {
        t->unwritable = "STRICT table";
    } else if (generated) {
        t->unwritable = "generated columns";
    } else if (sql && sql_has_keyword(sql, "CHECK")) {
        t->unwritable = "CHECK constraint";
    } else if (autoinc) {
        t->unwritable = "AUTOINCREMENT";
    } else {
        t->unwritable = why;
    }
    return SEALDB_OK;
}

/* Fills index x (its table's name in the replica: rname). */
static int describe_index(sqlite3 *db, const char *rname, catalog_index *x, sealdb_error *err)
{
    sqlite3_stmt *st = replica_query(
        db, "SELECT \"unique\", origin, partial FROM pragma_index_list(?1) WHERE name = ?2", rname,
        x->name);
    if (!st) {
        return replica_error(db, err, "PRAGMA index_list");
    }
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return error_set(err, SEALDB_EFORMAT, "index %s is not an index of table %s", x->name,
                         x->table->name);
    }
    x->unique = (uint8_t)sqlite3_column_int(st, 0);
    const char *origin = (const char *)sqlite3_column_text(st, 1);
    x->origin = origin && origin[0] == 'p' ? 'p' : origin && origin[0] == 'u' ? 'u' : 'c';
    x->partial = (uint8_t)sqlite3_column_int(st, 2);
    sqlite3_finalize(st);

    st = replica_query(db, "SELECT count(*) FROM pragma_index_xinfo(?1) WHERE key", x->name, NULL);
    if (!st || sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return replica_error(db, err, "PRAGMA index_xinfo");
    }
    const uint32_t ncol = (uint32_t)sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    x->cols = calloc(ncol + 1, sizeof *x->cols);
    x->coll = calloc(ncol + 1, 1);
    x->desc = calloc(ncol + 1, 1);
    if (!x->cols || !x->coll || !x->desc) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    st = replica_query(db,
                       "SELECT cid, \"desc\", coll FROM pragma_index_xinfo(?1) WHERE key "
                       "ORDER BY seqno",
                       x->name, NULL);
    if (!st) {
        return replica_error(db, err, "PRAGMA index_xinfo");
    }
    const char *why = NULL;
    while (x->ncol < ncol && sqlite3_step(st) == SQLITE_ROW) {
        const int cid = sqlite3_column_int(st, 0);
        x->cols[x->ncol] = cid;
        x->desc[x->ncol] = (uint8_t)sqlite3_column_int(st, 1);
        int known;
        const char *coll = (const char *)sqlite3_column_text(st, 2);
        x->coll[x->ncol] = collation_of(coll, &known);
        if (cid == -2) {
            why = why ? why : "expression index";
        } else if (cid < 0 || (uint32_t)cid >= x->table->ncol) {
            sqlite3_finalize(st);
            return error_set(err, SEALDB_EFORMAT, "index %s: column %d out of range", x->name, cid);
        } else if (x->table->cols[cid].hidden) {
            why = why ? why : "generated columns";
        }
        if (!known && !why) {
            why = collation_reason(x->name, coll);
        }
        x->ncol++;
    }
    sqlite3_finalize(st);
    if (x->ncol != ncol) {
        return replica_error(db, err, "PRAGMA index_xinfo");
    }
    if (x->partial) {
        x->unwritable = "partial index";
    } else if (why) {
        x->unwritable = why;
    } else if (x->table->without_rowid) {
        x->unwritable = "WITHOUT ROWID table";
    }
    return SEALDB_OK;
}

/* ---- loading -----------------------------------------------------------------------------------
 */

void catalog_free(catalog *c)
{
    if (!c) {
        return;
    }
    for (uint32_t i = 0; i < c->nentries; i++) {
        free((char *)c->entries[i].type);
        free((char *)c->entries[i].name);
        free((char *)c->entries[i].tbl_name);
        free((char *)c->entries[i].sql);
    }
    free(c->entries);
    free(c->rowids);
    for (uint32_t i = 0; i < c->ntables; i++) {
        catalog_table *t = &c->tables[i];
        for (uint32_t k = 0; t->cols && k < t->ncol; k++) {
            free(t->cols[k].name);
            if (t->cols[k].dflt.type == RECORD_TEXT || t->cols[k].dflt.type == RECORD_BLOB) {
                free((void *)t->cols[k].dflt.p);
            }
        }
        free(t->cols);
        free(t->col_flags);
        free(t->indexes);
        free(t->name);
    }
    free(c->tables);
    for (uint32_t i = 0; i < c->nindexes; i++) {
        free(c->indexes[i].name);
        free(c->indexes[i].cols);
        free(c->indexes[i].coll);
        free(c->indexes[i].desc);
    }
    free(c->indexes);
    free(c);
}

static const char *const entry_types[] = {"table", "index", "view", "trigger"};

/* Checks and copies one sqlite_schema row into c->entries[c->nentries]. */
static int load_entry(catalog *c, btree_pages *src, int64_t rowid, const uint8_t *rec, uint32_t len,
                      sealdb_error *err)
{
    record_value v[5];
    uint32_t have = 0;
    if (record_decode(rec, len, v, 5, &have) != SEALDB_OK) {
        return error_set(err, SEALDB_ECORRUPT, "sqlite_schema row %lld: malformed record",
                         (long long)rowid);
    }
    if (have < 5) {
        return error_set(err, SEALDB_ECORRUPT,
                         "sqlite_schema row %lld: %u columns where 5 are expected",
                         (long long)rowid, have);
    }
    static const char *const col_names[] = {"type", "name", "tbl_name", "rootpage", "sql"};
    for (int k = 0; k < 5; k++) {
        const int want_text = k != 3;
        if (k == 4 && v[k].type == RECORD_NULL) {
            continue;
        }
        if (want_text ? v[k].type != RECORD_TEXT : v[k].type != RECORD_INTEGER) {
            return error_set(err, SEALDB_ECORRUPT, "sqlite_schema row %lld: %s is not %s",
                             (long long)rowid, col_names[k], want_text ? "TEXT" : "an INTEGER");
        }
        if (want_text && (v[k].n == 0 ? k < 3 : memchr(v[k].p, 0, v[k].n) != NULL)) {
            return error_set(err, SEALDB_ECORRUPT, "sqlite_schema row %lld: %s is %s",
                             (long long)rowid, col_names[k],
                             v[k].n == 0 ? "empty" : "text with a NUL byte");
        }
    }
    int type = -1;
    for (int k = 0; k < 4; k++) {
        if (name_eqn((const char *)v[0].p, v[0].n, entry_types[k]) &&
            !memcmp(v[0].p, entry_types[k], v[0].n)) {
            type = k;
        }
    }
    if (type < 0) {
        return error_set(err, SEALDB_ECORRUPT, "sqlite_schema row %lld: unknown type \"%.*s\"",
                         (long long)rowid, (int)(v[0].n > 20 ? 20 : v[0].n), v[0].p);
    }
    if (v[3].i < 0 || v[3].i > (int64_t)src->page_count || (type < 2 && v[3].i == 1) ||
        (type >= 2 && v[3].i != 0)) {
        return error_set(err, SEALDB_ECORRUPT, "sqlite_schema row %lld: rootpage %lld is invalid",
                         (long long)rowid, (long long)v[3].i);
    }
    if (v[4].type == RECORD_NULL && type != 1) {
        return error_set(err, SEALDB_ECORRUPT, "sqlite_schema row %lld: a %s without SQL",
                         (long long)rowid, entry_types[type]);
    }
    sealdb_schema_entry *e = &c->entries[c->nentries];
    char *name = name_dup((const char *)v[1].p, v[1].n);
    char *tbl = name_dup((const char *)v[2].p, v[2].n);
    char *sql = v[4].type == RECORD_TEXT ? name_dup((const char *)v[4].p, v[4].n) : NULL;
    char *ty = str_dup(entry_types[type]);
    if (!name || !tbl || !ty || (v[4].type == RECORD_TEXT && !sql)) {
        free(name), free(tbl), free(sql), free(ty);
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    *e = (sealdb_schema_entry){ty, name, tbl, (uint32_t)v[3].i, sql};
    c->rowids[c->nentries++] = rowid;
    return SEALDB_OK;
}

/* Reads every row of sqlite_schema into c->entries. */
static int load_entries(catalog *c, btree_pages *src, sealdb_error *err)
{
    if (src->page_count == 0) {
        return SEALDB_OK;
    }
    btree_cursor cur;
    int rc = btree_cursor_init(&cur, src, 1, 0), eof = 0;
    uint32_t cap = 0;
    if (rc == SEALDB_OK) {
        rc = btree_first(&cur, &eof);
    }
    while (rc == SEALDB_OK && !eof) {
        if (c->nentries == cap) {
            cap = cap ? cap * 2 : 16;
            sealdb_schema_entry *e = realloc(c->entries, cap * sizeof *e);
            if (e) {
                c->entries = e;
            }
            int64_t *r = realloc(c->rowids, cap * sizeof *r);
            if (r) {
                c->rowids = r;
            }
            if (!e || !r) {
                btree_cursor_close(&cur);
                return error_set(err, SEALDB_ENOMEM, "out of memory");
            }
        }
        const uint8_t *data;
        uint32_t len;
        if ((rc = btree_payload(&cur, &data, &len)) != SEALDB_OK) {
            break;
        }
        if ((rc = load_entry(c, src, btree_rowid(&cur), data, len, err)) != SEALDB_OK) {
            btree_cursor_close(&cur);
            return rc;
        }
        rc = btree_next(&cur, &eof);
    }
    if (rc != SEALDB_OK) {
        error_set(err, rc, "reading sqlite_schema: %s", cur.msg[0] ? cur.msg : sealdb_strerror(rc));
    }
    btree_cursor_close(&cur);
    return rc;
}

/* A trigger on table tname or naming it in its body, or a view naming it:
 * its kind ("trigger", "view") and name in *which; NULL if none. */
static const char *table_dependant(const catalog *c, const char *tname, const char **which)
{
    for (uint32_t i = 0; i < c->nentries; i++) {
        const sealdb_schema_entry *e = &c->entries[i];
        if (!strcmp(e->type, "trigger") &&
            (name_eq(e->tbl_name, tname) || (e->sql && sql_names(e->sql, tname)))) {
            *which = e->name;
            return "trigger";
        }
    }
    for (uint32_t i = 0; i < c->nentries; i++) {
        const sealdb_schema_entry *e = &c->entries[i];
        if (!strcmp(e->type, "view") && e->sql && sql_names(e->sql, tname)) {
            *which = e->name;
            return "view";
        }
    }
    return NULL;
}

/* Describes every table and index; entry_of[t]: table t's entry index + 1
 * (0: sqlite_schema itself). */
static int describe_all(catalog *c, sqlite3 *db, const uint32_t *entry_of, sealdb_error *err)
{
    char alias[48];
    int rc = SEALDB_OK;
    /* tables: sqlite_schema, then every "table" entry */
    for (uint32_t ti = 0; ti < c->ntables && rc == SEALDB_OK; ti++) {
        catalog_table *t = &c->tables[ti];
        const int64_t ei = entry_of[ti];
        const sealdb_schema_entry *e = ei ? &c->entries[ei - 1] : NULL;
        if (e && e->rootpage == 0) {
            t->ipk = -1;
            t->unwritable = "virtual table";
            continue;
        }
        const char *rname = t->name;
        if (!e || is_internal(e->name)) {
            alias_name(alias, sizeof alias, ei - 1);
            rname = alias;
        }
        rc = describe_table(db, rname, e ? e->sql : schema_sql, t, err);
        if (rc == SEALDB_OK && (!e || is_internal(e->name))) {
            t->unwritable = "internal table";
        }
    }
    /* indexes, each with its table */
    for (uint32_t xi = 0; xi < c->nindexes && rc == SEALDB_OK; xi++) {
        catalog_index *x = &c->indexes[xi];
        if (!x->table || !x->table->cols || x->table->root == 0) {
            return error_set(err, SEALDB_ECORRUPT, "index %s: its table is missing", x->name);
        }
        rc = describe_index(db, x->table->name, x, err);
        if (rc == SEALDB_OK && x->origin == 'p' && x->table->ipk >= 0) {
            x->table->ipk = -1; /* INTEGER PRIMARY KEY DESC: not a rowid alias */
        }
    }
    /* reasons that come from elsewhere */
    for (uint32_t ti = 0; ti < c->ntables && rc == SEALDB_OK; ti++) {
        catalog_table *t = &c->tables[ti];
        for (uint32_t i = 0; i < c->nentries && !t->unwritable; i++) {
            if (!strcmp(c->entries[i].type, "trigger") &&
                name_eq(c->entries[i].tbl_name, t->name)) {
                t->unwritable = "table has triggers";
            }
        }
        for (uint32_t k = 0; k < t->nindex && !t->unwritable; k++) {
            t->unwritable = t->indexes[k]->unwritable;
        }
    }
    for (uint32_t xi = 0; xi < c->nindexes && rc == SEALDB_OK; xi++) {
        catalog_index *x = &c->indexes[xi];
        if (!x->unwritable) {
            x->unwritable = x->table->unwritable;
        }
    }
    return rc;
}

int catalog_load(catalog **out, btree_pages *src, sealdb_error *err)
{
    if (!out || !src) {
        return error_set(err, SEALDB_EINVAL, "catalog_load: NULL argument");
    }
    *out = NULL;
    catalog *c = calloc(1, sizeof *c);
    if (!c) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    int rc = load_entries(c, src, err);
    if (rc != SEALDB_OK) {
        catalog_free(c);
        return rc;
    }
    /* count, then allocate once: tables and indexes point at each other */
    uint32_t nt = 1, nx = 0;
    for (uint32_t i = 0; i < c->nentries; i++) {
        nt += !strcmp(c->entries[i].type, "table");
        nx += !strcmp(c->entries[i].type, "index") && c->entries[i].rootpage > 0;
    }
    c->tables = calloc(nt, sizeof *c->tables);
    c->indexes = calloc(nx ? nx : 1, sizeof *c->indexes);
    uint32_t *entry_of = calloc(nt, sizeof *entry_of);
    if (!c->tables || !c->indexes || !entry_of) {
        free(entry_of);
        catalog_free(c);
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    c->ntables = 1;
    c->tables[0].name = str_dup("sqlite_schema");
    c->tables[0].root = 1;
    rc = c->tables[0].name ? SEALDB_OK : SEALDB_ENOMEM;
    for (uint32_t i = 0; i < c->nentries && rc == SEALDB_OK; i++) {
        const sealdb_schema_entry *e = &c->entries[i];
        if (!strcmp(e->type, "table")) {
            if (catalog_table_find(c, e->name)) {
                rc = error_set(err, SEALDB_ECORRUPT, "sqlite_schema row %lld: table %s twice",
                               (long long)c->rowids[i], e->name);
                break;
            }
            catalog_table *t = &c->tables[c->ntables++];
            t->name = str_dup(e->name);
            t->root = e->rootpage;
            entry_of[c->ntables - 1] = i + 1;
            rc = t->name ? SEALDB_OK : SEALDB_ENOMEM;
        }
    }
    for (uint32_t i = 0; i < c->nentries && rc == SEALDB_OK; i++) {
        const sealdb_schema_entry *e = &c->entries[i];
        if (strcmp(e->type, "index") || e->rootpage == 0) {
            continue;
        }
        catalog_index *x = &c->indexes[c->nindexes++];
        x->name = str_dup(e->name);
        x->root = e->rootpage;
        x->table = catalog_table_find(c, e->tbl_name);
        if (!x->name) {
            rc = SEALDB_ENOMEM;
        } else if (!x->table || x->table->root == 1) {
            rc = error_set(err, SEALDB_ECORRUPT, "sqlite_schema row %lld: index %s of no table",
                           (long long)c->rowids[i], e->name);
        } else {
            x->table->nindex++;
        }
    }
    for (uint32_t ti = 0; ti < c->ntables && rc == SEALDB_OK; ti++) {
        catalog_table *t = &c->tables[ti];
        t->indexes = calloc(t->nindex ? t->nindex : 1, sizeof *t->indexes);
        rc = t->indexes ? SEALDB_OK : SEALDB_ENOMEM;
        t->nindex = 0;
    }
    for (uint32_t xi = 0; xi < c->nindexes && rc == SEALDB_OK; xi++) {
        catalog_table *t = c->indexes[xi].table;
        t->indexes[t->nindex++] = &c->indexes[xi];
    }
    if (rc == SEALDB_ENOMEM) {
        error_set(err, rc, "out of memory");
    }
    sqlite3 *db = NULL;
    if (rc == SEALDB_OK) {
        rc = replica_open(c->entries, c->nentries, &db, err);
    }
    if (rc == SEALDB_OK) {
        rc = describe_all(c, db, entry_of, err);
    }
    sqlite3_close(db);
    free(entry_of);
    if (rc != SEALDB_OK) {
        catalog_free(c);
        return rc;
    }
    *out = c;
    return SEALDB_OK;
}

catalog_table *catalog_table_find(const catalog *c, const char *name)
{
    for (uint32_t i = 0; c && name && i < c->ntables; i++) {
        if (name_eq(c->tables[i].name, name) ||
            (c->tables[i].root == 1 && name_eq(name, "sqlite_master"))) {
            return &c->tables[i];
        }
    }
    return NULL;
}

catalog_index *catalog_index_find(const catalog *c, const char *name)
{
    for (uint32_t i = 0; c && name && i < c->nindexes; i++) {
        if (name_eq(c->indexes[i].name, name)) {
            return &c->indexes[i];
        }
    }
    return NULL;
}

/* ---- writing the schema ------------------------------------------------------------------------
 */

/* Bumps the schema cookie; a database without a schema gets its format and encoding. */
static int bump_cookie(btree_pages *src)
{
    uint8_t *p1;
    const int rc = src->write(src->ctx, 1, &p1);
    if (rc != SEALDB_OK) {
        return rc;
    }
    bt_put32(p1 + 40, bt_get32(p1 + 40) + 1);
    if (bt_get32(p1 + 44) == 0) {
        bt_put32(p1 + 44, 4);
    }
    if (bt_get32(p1 + 56) == 0) {
        bt_put32(p1 + 56, 1);
    }
    return SEALDB_OK;
}

static int cursor_error(btree_cursor *c, int rc, sealdb_error *err, const char *what)
{
    return error_set(err, rc, "%s: %s", what, c->msg[0] ? c->msg : sealdb_strerror(rc));
}

/* Writes one sqlite_schema row: at *rowid, or (*rowid 0) after the last
 * row, its rowid then in *rowid. type NULL: SQLite's placeholder row of
 * five NULLs, which CREATE TABLE writes first and replaces at its end. */
static int schema_put(btree_pages *src, int64_t *rowid, const char *type, const char *name,
                      const char *tbl, uint32_t root, const char *sql, sealdb_error *err)
{
    record_value v[5] = {{.type = RECORD_NULL}};
    if (type) {
        const char *text[5] = {type, name, tbl, NULL, sql};
        for (int k = 0; k < 5; k++) {
            if (text[k]) {
                v[k] = (record_value){.type = RECORD_TEXT,
                                      .n = (uint32_t)strlen(text[k]),
                                      .p = (const uint8_t *)text[k]};
            }
        }
        v[3] = (record_value){.type = RECORD_INTEGER, .i = root};
    }
    uint32_t size = 0, written = 0;
    int rc = record_size(v, 5, NULL, &size);
    if (rc != SEALDB_OK) {
        return error_set(err, rc, "schema row too large");
    }
    uint8_t *rec = malloc(size);
    if (!rec) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    record_encode(v, 5, NULL, rec, size, &written);
    btree_cursor cur;
    int eof = 0;
    rc = btree_cursor_init(&cur, src, 1, 0);
    if (rc == SEALDB_OK && *rowid == 0 && (rc = btree_last(&cur, &eof)) == SEALDB_OK) {
        *rowid = eof ? 1 : btree_rowid(&cur) + 1;
    }
    if (rc == SEALDB_OK) {
        rc = btree_insert_row(&cur, *rowid, rec, written);
    }
    if (rc != SEALDB_OK) {
        cursor_error(&cur, rc, err, "writing sqlite_schema");
    }
    btree_cursor_close(&cur);
    free(rec);
    return rc;
}

typedef struct entry_buf {
    uint8_t *rec;
    uint32_t len;
} entry_buf;

/* The index records of every row of table t for index x, into *out. */
static int index_collect(btree_pages *src, const catalog_table *t, const catalog_index *x,
                         entry_buf **out, uint32_t *n, sealdb_error *err)
{
    record_value *row = malloc(sizeof *row * (t->ncol + 1));
    record_value *key = malloc(sizeof *key * (x->ncol + 1));
    uint8_t *kflags = calloc(x->ncol + 1, 1);
    char(*bufs)[CATALOG_NUMTEXT_MAX] = malloc(CATALOG_NUMTEXT_MAX * (x->ncol + 1));
    entry_buf *list = NULL;
    uint32_t cap = 0, cnt = 0;
    btree_cursor cur;
    int rc = btree_cursor_init(&cur, src, t->root, 0), eof = 0;
    if (!row || !key || !kflags || !bufs) {
        rc = error_set(err, SEALDB_ENOMEM, "out of memory");
    } else if (rc == SEALDB_OK && (rc = btree_first(&cur, &eof)) != SEALDB_OK) {
        cursor_error(&cur, rc, err, "reading the table");
    }
    for (uint32_t k = 0; rc == SEALDB_OK && k < x->ncol; k++) {
        if (x->cols[k] < 0) {
            /* an expression: only an empty table gets here (catalog_create checks) */
            if (!eof) {
                rc = error_set(err, SEALDB_EUNSUPPORTED, "expression index over rows");
            }
            break;
        }
        kflags[k] = t->col_flags[x->cols[k]];
    }
    while (rc == SEALDB_OK && !eof) {
        const uint8_t *data;
        uint32_t len, have;
        if ((rc = btree_payload(&cur, &data, &len)) != SEALDB_OK) {
            cursor_error(&cur, rc, err, "reading the table");
            break;
        }
        if (record_decode(data, len, row, t->ncol, &have) != SEALDB_OK) {
            rc = error_set(err, SEALDB_ECORRUPT, "table %s row %lld: malformed record", t->name,
                           (long long)btree_rowid(&cur));
            break;
        }
        for (uint32_t k = have; k < t->ncol; k++) {
            row[k] = t->cols[k].dflt; /* a column added after the row was written */
        }
        if (t->ipk >= 0) {
            row[t->ipk] = (record_value){.type = RECORD_INTEGER, .i = btree_rowid(&cur)};
        }
        for (uint32_t k = 0; k < x->ncol; k++) {
            key[k] = row[x->cols[k]];
            if (t->cols[x->cols[k]].affinity == AFF_REAL) {
                catalog_apply_affinity(AFF_REAL, &key[k], bufs[k]);
            }
        }
        key[x->ncol] = (record_value){.type = RECORD_INTEGER, .i = btree_rowid(&cur)};
        uint32_t size = 0;
        if ((rc = record_size(key, x->ncol + 1, kflags, &size)) != SEALDB_OK) {
            error_set(err, rc, "index entry too large");
            break;
        }
        if (cnt == cap) {
            cap = cap ? cap * 2 : 64;
            entry_buf *l = realloc(list, cap * sizeof *l);
            if (!l) {
                rc = error_set(err, SEALDB_ENOMEM, "out of memory");
                break;
            }
            list = l;
        }
        if (!(list[cnt].rec = malloc(size))) {
            rc = error_set(err, SEALDB_ENOMEM, "out of memory");
            break;
        }
        record_encode(key, x->ncol + 1, kflags, list[cnt].rec, size, &list[cnt].len);
        cnt++;
        if ((rc = btree_next(&cur, &eof)) != SEALDB_OK) {
            cursor_error(&cur, rc, err, "reading the table");
        }
    }
    btree_cursor_close(&cur);
    free(row), free(key), free(kflags), free(bufs);
    if (rc != SEALDB_OK) {
        for (uint32_t i = 0; i < cnt; i++) {
            free(list[i].rec);
        }
        free(list);
        return rc;
    }
    *out = list;
    *n = cnt;
    return SEALDB_OK;
}

/* The order index entries are checked for duplicates in: the key
 * columns only (the rowid left out). */
typedef struct dup_order {
    const catalog_index *x;
    int corrupt;
} dup_order;

static int dup_compare(const void *a, const void *b, void *ctx)
{
    dup_order *o = ctx;
    const entry_buf *ea = a, *eb = b;
    int res = 0;
    if (record_compare_records(ea->rec, ea->len, eb->rec, eb->len, o->x->ncol, o->x->coll,
                               o->x->desc, &res) != SEALDB_OK) {
        o->corrupt = 1;
    }
    return res;
}

/* A UNIQUE index over these entries: SEALDB_ECONSTRAINT if two of them
 * have equal keys without NULLs. Checked before anything is written. */
static int index_unique_check(const catalog_table *t, const catalog_index *x, entry_buf *list,
                              uint32_t n, sealdb_error *err)
{
    dup_order o = {x, 0};
    qsort_r(list, n, sizeof *list, dup_compare, &o);
    record_value *key = malloc(sizeof *key * (x->ncol + 1));
    if (!key) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    int rc =
        o.corrupt ? error_set(err, SEALDB_ECORRUPT, "a malformed row in %s", t->name) : SEALDB_OK;
    for (uint32_t i = 1; i < n && rc == SEALDB_OK; i++) {
        uint32_t have = 0;
        int nulls = 0;
        record_decode(list[i].rec, list[i].len, key, x->ncol + 1, &have);
        for (uint32_t k = 0; k < x->ncol; k++) {
            nulls |= key[k].type == RECORD_NULL;
        }
        if (nulls || dup_compare(&list[i - 1], &list[i], &o) != 0) {
            continue;
        }
        char msg[200];
        size_t off = 0;
        for (uint32_t k = 0; k < x->ncol && off < sizeof msg; k++) {
            off += (size_t)snprintf(msg + off, sizeof msg - off, "%s%s.%s", k ? ", " : "", t->name,
                                    t->cols[x->cols[k]].name);
        }
        rc = error_set(err, SEALDB_ECONSTRAINT, "UNIQUE constraint failed: %s", msg);
    }
    free(key);
    return rc;
}

static void entries_free(entry_buf *list, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        free(list[i].rec);
    }
    free(list);
}

/* Fills the new index x (root `root`) with the entries of its table's rows. */
static int index_fill(btree_pages *src, const catalog_index *x, uint32_t root,
                      const entry_buf *list, uint32_t n, sealdb_error *err)
{
    record_value *key = malloc(sizeof *key * (x->ncol + 1));
    record_key full = {key, x->ncol + 1, x->coll, x->desc, 0};
    btree_cursor cur;
    int rc = btree_cursor_init(&cur, src, root, 1);
    btree_cursor_set_order(&cur, record_key_order, &full);
    if (!key) {
        rc = error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < n && rc == SEALDB_OK; i++) {
        uint32_t have;
        record_decode(list[i].rec, list[i].len, key, x->ncol + 1, &have);
        if ((rc = btree_insert_entry(&cur, record_key_compare, &full, list[i].rec, list[i].len)) !=
            SEALDB_OK) {
            cursor_error(&cur, rc, err, "building the index");
        }
    }
    btree_cursor_close(&cur);
    free(key);
    return rc;
}

/* What a statement is, from its first tokens. */
enum { STMT_OTHER, STMT_TABLE, STMT_INDEX, STMT_UNSUPPORTED };

static int classify(const char *sql, const char **what)
{
    const char *p = sql;
    token t = next_token(&p);
    if (!tok_is(&t, "CREATE")) {
        return STMT_OTHER;
    }
    t = next_token(&p);
    if (tok_is(&t, "TEMP") || tok_is(&t, "TEMPORARY")) {
        *what = "TEMP objects";
        return STMT_UNSUPPORTED;
    }
    if (tok_is(&t, "UNIQUE")) {
        t = next_token(&p);
    }
    if (tok_is(&t, "INDEX")) {
        return STMT_INDEX;
    }
    if (tok_is(&t, "VIEW") || tok_is(&t, "TRIGGER") || tok_is(&t, "VIRTUAL")) {
        *what = tok_is(&t, "VIEW")      ? "views"
                : tok_is(&t, "TRIGGER") ? "triggers"
                                        : "virtual tables";
        return STMT_UNSUPPORTED;
    }
    if (!tok_is(&t, "TABLE")) {
        return STMT_OTHER;
    }
    /* CREATE TABLE [IF NOT EXISTS] name [. name] ( ... or AS SELECT */
    t = next_token(&p);
    if (tok_is(&t, "IF")) {
        next_token(&p), next_token(&p);
        t = next_token(&p);
    }
    t = next_token(&p);
    if (t.kind == TK_PUNCT && t.z[0] == '.') {
        next_token(&p);
        t = next_token(&p);
    }
    if (tok_is(&t, "AS")) {
        *what = "tables AS SELECT";
        return STMT_UNSUPPORTED;
    }
    return STMT_TABLE;
}

typedef struct new_row {
    char *type, *name, *tbl, *sql;
    int index_tree; /* an index B-tree (an index, or a WITHOUT ROWID table) */
} new_row;

static void new_rows_free(new_row *r, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        free(r[i].type), free(r[i].name), free(r[i].tbl), free(r[i].sql);
    }
    free(r);
}

/* Whether table t holds any row. */
static int table_has_rows(btree_pages *src, const catalog_table *t, int *has, sealdb_error *err)
{
    btree_cursor cur;
    int eof = 1;
    int rc = btree_cursor_init(&cur, src, t->root, t->without_rowid);
    if (rc == SEALDB_OK && (rc = btree_first(&cur, &eof)) != SEALDB_OK) {
        cursor_error(&cur, rc, err, "reading the table");
    }
    btree_cursor_close(&cur);
    *has = !eof;
    return rc;
}

/* Runs the statement on the replica and collects the rows it added. */
static int replica_create(sqlite3 *db, const char *sql, new_row **rows, uint32_t *nrows,
                          sealdb_error *err)
{
    sqlite3_stmt *st = NULL;
    int64_t before = 0;
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(rowid), 0) FROM sqlite_schema", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return replica_error(db, err, "reading the schema");
    }
    before = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    const char *tail = NULL;
    st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, &tail) != SQLITE_OK) {
        return error_set(err, SEALDB_EINVAL, "%s", sqlite3_errmsg(db));
    }
    for (const char *p = tail;;) {
        token t = next_token(&p);
        if (t.kind == TK_END) {
            break;
        }
        if (!st || !(t.kind == TK_PUNCT && t.z[0] == ';')) {
            sqlite3_finalize(st);
            return error_set(err, SEALDB_EINVAL, "one statement is expected, not more");
        }
    }
    if (!st) {
        return error_set(err, SEALDB_EINVAL, "no statement");
    }
    const int src_rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (src_rc != SQLITE_DONE) {
        return error_set(err, SEALDB_EINVAL, "%s", sqlite3_errmsg(db));
    }
    st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM temp.sqlite_schema", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return replica_error(db, err, "reading the schema");
    }
    const int temp = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (temp) {
        return error_set(err, SEALDB_EUNSUPPORTED,
                         "the native engine does not create TEMP objects");
    }
    st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT s.type, s.name, s.tbl_name, s.sql, "
                           "coalesce((SELECT wr FROM pragma_table_list(s.name) "
                           "WHERE schema = 'main'), 0) "
                           "FROM sqlite_schema s WHERE s.rowid > ?1 ORDER BY s.rowid",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, before) != SQLITE_OK) {
        sqlite3_finalize(st);
        return replica_error(db, err, "reading the schema");
    }
    new_row *r = NULL;
    uint32_t n = 0;
    int rc = SEALDB_OK, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        new_row *g = realloc(r, (n + 1) * sizeof *r);
        if (!g) {
            rc = SEALDB_ENOMEM;
            break;
        }
        r = g;
        new_row *e = &r[n++];
        e->type = str_dup((const char *)sqlite3_column_text(st, 0));
        e->name = str_dup((const char *)sqlite3_column_text(st, 1));
        e->tbl = str_dup((const char *)sqlite3_column_text(st, 2));
        e->sql = str_dup((const char *)sqlite3_column_text(st, 3));
        e->index_tree = e->type && (!strcmp(e->type, "index") || sqlite3_column_int(st, 4));
        if (!e->type || !e->name || !e->tbl ||
            (!e->sql && sqlite3_column_type(st, 3) != SQLITE_NULL)) {
            rc = SEALDB_ENOMEM;
            break;
        }
    }
    sqlite3_finalize(st);
    if (rc == SEALDB_OK && step != SQLITE_DONE) {
        rc = replica_error(db, err, "reading the schema");
    } else if (rc == SEALDB_ENOMEM) {
        error_set(err, rc, "out of memory");
    }
    if (rc != SEALDB_OK) {
        new_rows_free(r, n);
        return rc;
    }
    *rows = r;
    *nrows = n;
    return SEALDB_OK;
}

int catalog_create(const catalog *cur, btree_pages *src, const char *sql, int *changed,
                   sealdb_error *err)
{
    if (!cur || !src || !sql || !changed || !src->write || !src->allocate) {
        return error_set(err, SEALDB_EINVAL, "catalog_create: NULL argument or read-only source");
    }
    *changed = 0;
    if (src->page_count < 1) {
        return error_set(err, SEALDB_EINVAL, "catalog_create: the database has no page 1");
    }
    const char *what = NULL;
    const int kind = classify(sql, &what);
    if (kind == STMT_UNSUPPORTED) {
        return error_set(err, SEALDB_EUNSUPPORTED, "the native engine does not create %s", what);
    }
    sqlite3 *db = NULL;
    int rc = replica_open(cur->entries, cur->nentries, &db, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (kind == STMT_OTHER) {
        /* SQLite's message for SQL it refuses; else ours */
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
            rc = error_set(err, SEALDB_EINVAL, "%s", sqlite3_errmsg(db));
        } else {
            rc = error_set(err, SEALDB_EINVAL, "not a CREATE TABLE or CREATE INDEX statement");
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        return rc;
    }
    new_row *rows = NULL;
    uint32_t n = 0;
    /* the schema's collations are known now; a new statement may not invent one */
    sqlite3_collation_needed(db, NULL, NULL);
    rc = replica_create(db, sql, &rows, &n, err);
    catalog_index nx = {0};
    const catalog_table *t = NULL;
    int has_rows = 0;
    if (rc == SEALDB_OK && n > 0 && kind == STMT_INDEX) {
        /* describe the new index from the replica, for filling it */
        t = catalog_table_find(cur, rows[0].tbl);
        if (n != 1 || strcmp(rows[0].type, "index") || !t || !t->cols) {
            rc = error_set(err, SEALDB_ECORRUPT, "CREATE INDEX: unexpected schema rows");
        } else {
            nx.name = rows[0].name;
            nx.table = (catalog_table *)t;
            rc = describe_index(db, t->name, &nx, err);
            nx.name = NULL;
        }
        /* rows are read by column number: generated columns would shift them */
        const char *why = t->without_rowid ? "WITHOUT ROWID table" : nx.unwritable;
        for (uint32_t k = 0; k < t->ncol && !why; k++) {
            why = t->cols[k].hidden ? "generated columns" : NULL;
        }
        if (rc == SEALDB_OK && (rc = table_has_rows(src, t, &has_rows, err)) == SEALDB_OK &&
            has_rows && why) {
            rc =
                error_set(err, SEALDB_EUNSUPPORTED,
                          "the native engine cannot build this index over existing rows (%s)", why);
        }
    }
    sqlite3_close(db);
    /* a new index's entries, collected (and for UNIQUE checked) before
     * anything is written, so a refusal leaves the database as it was */
    entry_buf *entries = NULL;
    uint32_t nentries = 0;
    if (rc == SEALDB_OK && n > 0 && kind == STMT_INDEX && has_rows) {
        rc = index_collect(src, t, &nx, &entries, &nentries, err);
        if (rc == SEALDB_OK && nx.unique) {
            rc = index_unique_check(t, &nx, entries, nentries, err);
        }
    }
    /* In SQLite's order, so pages are numbered as SQLite numbers them: a
     * table's root and a placeholder row, the root and row of each of its
     * automatic indexes, then the table's row in full (and the same again
     * for sqlite_sequence, which a first AUTOINCREMENT table brings). */
    uint32_t index_root = 0, table_root = 0;
    int64_t table_rowid = 0;
    const new_row *table = NULL;
    for (uint32_t i = 0; i <= n && rc == SEALDB_OK; i++) {
        const int is_table = i < n && !strcmp(rows[i].type, "table");
        if (table && (i == n || is_table)) {
            rc = schema_put(src, &table_rowid, table->type, table->name, table->tbl, table_root,
                            table->sql, err);
            table = NULL;
        }
        if (i == n || rc != SEALDB_OK) {
            break;
        }
        uint32_t root = 0;
        if ((rc = btree_create(src, rows[i].index_tree, &root)) != SEALDB_OK) {
            error_set(err, rc, "could not allocate a root page");
            break;
        }
        int64_t rowid = 0;
        if (is_table) {
            table = &rows[i];
            table_root = root;
            rc = schema_put(src, &rowid, NULL, NULL, NULL, 0, NULL, err);
            table_rowid = rowid;
        } else {
            index_root = root;
            rc = schema_put(src, &rowid, rows[i].type, rows[i].name, rows[i].tbl, root, rows[i].sql,
                            err);
        }
    }
    if (rc == SEALDB_OK && n > 0 && kind == STMT_INDEX && has_rows) {
        rc = index_fill(src, &nx, index_root, entries, nentries, err);
    }
    entries_free(entries, nentries);
    if (rc == SEALDB_OK && n > 0 && (rc = bump_cookie(src)) != SEALDB_OK) {
        error_set(err, rc, "could not write page 1");
    }
    if (rc == SEALDB_OK) {
        *changed = n > 0;
    }
    free(nx.cols), free(nx.coll), free(nx.desc);
    new_rows_free(rows, n);
    return rc;
}

/* Deletes the sqlite_schema row at rowid. */
static int schema_delete(btree_pages *src, int64_t rowid, sealdb_error *err)
{
    btree_cursor cur;
    int cmp = 0, eof = 0;
    int rc = btree_cursor_init(&cur, src, 1, 0);
    if (rc == SEALDB_OK && (rc = btree_seek_rowid(&cur, rowid, &cmp, &eof)) == SEALDB_OK) {
        if (eof || cmp != 0) {
            btree_cursor_close(&cur);
            return error_set(err, SEALDB_ECORRUPT, "sqlite_schema row %lld is missing",
                             (long long)rowid);
        }
        rc = btree_delete(&cur);
    }
    if (rc != SEALDB_OK) {
        cursor_error(&cur, rc, err, "writing sqlite_schema");
    }
    btree_cursor_close(&cur);
    return rc;
}

/* Deletes the rows of internal table `table` whose column col is the
 * text `name` exactly, as DROP does with DELETE ... WHERE col = 'name'
 * (sqlite_sequence's row of a table, sqlite_stat1/4's rows of a table or
 * index). A database without that table has nothing to delete. */
static int internal_forget(const catalog *c, btree_pages *src, const char *table, uint32_t col,
                           const char *name, sealdb_error *err)
{
    const catalog_table *t = catalog_table_find(c, table);
    if (!t || t->root < 2 || col >= t->ncol) {
        return SEALDB_OK;
    }
    const size_t nlen = strlen(name);
    btree_cursor cur;
    int rc = btree_cursor_init(&cur, src, t->root, 0), eof = 0, cmp = 0;
    int64_t from = INT64_MIN; /* rows before it are checked */
    while (rc == SEALDB_OK) {
        if ((rc = btree_seek_rowid(&cur, from, &cmp, &eof)) != SEALDB_OK || eof) {
            break;
        }
        if (cmp < 0 && ((rc = btree_next(&cur, &eof)) != SEALDB_OK || eof)) {
            break;
        }
        int found = 0;
        while (rc == SEALDB_OK && !eof && !found) {
            const uint8_t *data;
            uint32_t len, have;
            record_value v[2];
            if ((rc = btree_payload(&cur, &data, &len)) != SEALDB_OK) {
                break;
            }
            found = record_decode(data, len, v, col + 1, &have) == SEALDB_OK &&
                    v[col].type == RECORD_TEXT && v[col].n == nlen &&
                    (nlen == 0 || !memcmp(v[col].p, name, nlen));
            if (found) {
                from = btree_rowid(&cur);
                rc = btree_delete(&cur);
            } else {
                rc = btree_next(&cur, &eof);
            }
        }
        if (!found) {
            break;
        }
    }
    if (rc != SEALDB_OK) {
        error_set(err, rc, "writing %s: %s", table, cur.msg[0] ? cur.msg : sealdb_strerror(rc));
    }
    btree_cursor_close(&cur);
    return rc;
}

/* The rows of sqlite_stat1 and sqlite_stat4 about a table (col 0) or index (col 1). */
static int stats_forget(const catalog *c, btree_pages *src, uint32_t col, const char *name,
                        sealdb_error *err)
{
    int rc = internal_forget(c, src, "sqlite_stat1", col, name, err);
    return rc == SEALDB_OK ? internal_forget(c, src, "sqlite_stat4", col, name, err) : rc;
}

int catalog_drop_table(const catalog *cur, btree_pages *src, const char *name, sealdb_error *err)
{
    if (!cur || !src || !name || !src->write || !src->release) {
        return error_set(err, SEALDB_EINVAL,
                         "catalog_drop_table: NULL argument or read-only source");
    }
    const catalog_table *t = catalog_table_find(cur, name);
    if (!t) {
        return error_set(err, SEALDB_ENOTFOUND, "no such table: %s", name);
    }
    if (t->root == 1 || is_internal(t->name)) {
        return error_set(err, SEALDB_EUNSUPPORTED, "table %s may not be dropped", t->name);
    }
    if (t->root == 0) {
        return error_set(err, SEALDB_EUNSUPPORTED,
                         "the native engine does not drop virtual tables: drop %s with SQLite",
                         t->name);
    }
    const char *which = NULL, *kind = table_dependant(cur, t->name, &which);
    if (kind) {
        return error_set(err, SEALDB_EUNSUPPORTED,
                         "%s %s names table %s: drop it first (with SQLite)", kind, which, t->name);
    }
    int rc = SEALDB_OK;
    for (uint32_t i = 0; i < cur->nentries && rc == SEALDB_OK; i++) {
        const sealdb_schema_entry *e = &cur->entries[i];
        if (!name_eq(e->tbl_name, t->name) || e->rootpage < 2) {
            continue;
        }
        const int is_index = !strcmp(e->type, "index") || t->without_rowid;
        if ((rc = btree_clear(src, e->rootpage, is_index, 1)) != SEALDB_OK) {
            error_set(err, rc, "could not free the pages of %s", e->name);
        }
    }
    for (uint32_t i = 0; i < cur->nentries && rc == SEALDB_OK; i++) {
        if (name_eq(cur->entries[i].tbl_name, t->name)) {
            rc = schema_delete(src, cur->rowids[i], err);
        }
    }
    if (rc == SEALDB_OK) {
        rc = internal_forget(cur, src, "sqlite_sequence", 0, t->name, err);
    }
    if (rc == SEALDB_OK) {
        rc = stats_forget(cur, src, 0, t->name, err);
    }
    if (rc == SEALDB_OK && (rc = bump_cookie(src)) != SEALDB_OK) {
        error_set(err, rc, "could not write page 1");
    }
    return rc;
}

int catalog_drop_index(const catalog *cur, btree_pages *src, const char *name, sealdb_error *err)
{
    if (!cur || !src || !name || !src->write || !src->release) {
        return error_set(err, SEALDB_EINVAL,
                         "catalog_drop_index: NULL argument or read-only source");
    }
    const catalog_index *x = catalog_index_find(cur, name);
    if (!x) {
        return error_set(err, SEALDB_ENOTFOUND, "no such index: %s", name);
    }
    if (x->origin != 'c') {
        return error_set(
            err, SEALDB_EUNSUPPORTED,
            "index associated with UNIQUE or PRIMARY KEY constraint cannot be dropped");
    }
    int rc = btree_clear(src, x->root, 1, 1);
    if (rc != SEALDB_OK) {
        return error_set(err, rc, "could not free the pages of %s", x->name);
    }
    for (uint32_t i = 0; i < cur->nentries && rc == SEALDB_OK; i++) {
        if (!strcmp(cur->entries[i].type, "index") && name_eq(cur->entries[i].name, x->name)) {
            rc = schema_delete(src, cur->rowids[i], err);
        }
    }
    if (rc == SEALDB_OK) {
        rc = stats_forget(cur, src, 1, x->name, err);
    }
    if (rc == SEALDB_OK && (rc = bump_cookie(src)) != SEALDB_OK) {
        error_set(err, rc, "could not write page 1");
    }
    return rc;
}
