/*
 * test_vfs_noplain.c - no plaintext on disk, whatever file SQLite writes.
 *
 * A recording VFS of the test's own becomes the default VFS first; the
 * "sealdb" VFS is registered after it, so it layers over the recorder and
 * every byte it hands down, to any file, passes through the recorder's
 * xWrite. That includes SQLite's temporary files (temp database, statement
 * sub-journal, sorter spills, transient indexes), which the unix VFS unlinks
 * as soon as it opens them, so the recorder is the only place to look. The
 * recorder appends every write to an in-memory log (a marker split across
 * two writes still shows there), notes each write whose own buffer holds a
 * marker with its file kind, open flags, size and offset, and counts writes
 * by the file kind of their open flags.
 *
 * For every journal mode and three ciphers in both layouts, one workload
 * writes rows holding a text marker and a blob marker with temp_store=FILE
 * and 10-page caches, so that SQLite spills to temporary files: a big ORDER
 * BY on unindexed text, a temp table, a transient index, a transaction that
 * starts on an empty WAL and rewrites frames it spilled, statements that
 * fail at their last row inside a transaction (statement journal), a
 * rolled-back savepoint, CREATE INDEX, a rolled-back transaction, a commit
 * over two attached databases (super-journal), VACUUM, VACUUM to a new page
 * size, and VACUUM INTO a new database in one transaction larger than its
 * cache. Neither marker may appear in the log or in any file left in the
 * database's directory; every kind of file that holds data in that journal
 * mode must have been written; the database must read back whole. The
 * control runs the same workload through the recorder alone and must find
 * both markers in writes to exactly those kinds of file and in the files
 * left behind, so every scan can fail.
 *
 * Journal mode OFF leaves ROLLBACK undefined: there the workload skips the
 * steps that roll back.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <sqlite3.h>
#include <unistd.h>

#include "check.h"
#include "sealdb.h"

#define ROWS 1500
#define PAD_LEN 150
#define TEXT_MARKER "PLAINTEXT-MARKER-7f3a"
#define BLOB_MARKER_LEN 16
#define MAX_LEAKS 8
#define TRANSIENT_KEYS 12000

/* 16 bytes, no terminating NUL */
static const uint8_t blob_marker[BLOB_MARKER_LEN] = "\xb1\x0b"
                                                    "BLOB-MARKER"
                                                    "\x9e\x5a\xc3";

/* ---- the recorder ---------------------------------------------------------------------- */

enum rec_kind {
    REC_MAIN_DB,
    REC_MAIN_JOURNAL,
    REC_WAL,
    REC_TEMP_DB,
    REC_TEMP_JOURNAL, /* sorter spills, temp databases' journals */
    REC_SUBJOURNAL,
    REC_TRANSIENT_DB,
    REC_SUPER_JOURNAL,
    REC_OTHER,
    REC_KINDS
};

static const char *const rec_kind_names[REC_KINDS] = {"main-db",      "main-journal",  "wal",
                                                      "temp-db",      "temp-journal",  "subjournal",
                                                      "transient-db", "super-journal", "other"};

typedef struct rec_leak {
    int kind;
    int flags;
    int amt;
    sqlite3_int64 off;
    const char *marker;
} rec_leak;

typedef struct rec_file {
    sqlite3_file base;
    sqlite3_file *real;
    int kind;
    int flags;
} rec_file;

/* What one run wrote. The test is single-threaded (PRAGMA threads stays 0),
 * so the recorder needs no lock. */
static struct {
    sqlite3_vfs *real;
    uint8_t *log;
    size_t log_len, log_cap;
    long writes[REC_KINDS];
    long leaking_writes[REC_KINDS];
    rec_leak leaks[MAX_LEAKS];
    int nleaks;
} rec;

static int rec_kind_of(int flags)
{
    static const struct {
        int flag, kind;
    } map[] = {{SQLITE_OPEN_MAIN_DB, REC_MAIN_DB},
               {SQLITE_OPEN_MAIN_JOURNAL, REC_MAIN_JOURNAL},
               {SQLITE_OPEN_WAL, REC_WAL},
               {SQLITE_OPEN_TEMP_DB, REC_TEMP_DB},
               {SQLITE_OPEN_TEMP_JOURNAL, REC_TEMP_JOURNAL},
               {SQLITE_OPEN_SUBJOURNAL, REC_SUBJOURNAL},
               {SQLITE_OPEN_TRANSIENT_DB, REC_TRANSIENT_DB},
               {SQLITE_OPEN_SUPER_JOURNAL, REC_SUPER_JOURNAL}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (flags & map[i].flag) {
            return map[i].kind;
        }
    }
    return REC_OTHER;
}

static void rec_reset(void)
{
    rec.log_len = 0;
    memset(rec.writes, 0, sizeof rec.writes);
    memset(rec.leaking_writes, 0, sizeof rec.leaking_writes);
    rec.nleaks = 0;
}

static const char *find_marker(const uint8_t *p, size_t n)
{
    if (memmem(p, n, TEXT_MARKER, strlen(TEXT_MARKER))) {
        return "text";
    }
    if (memmem(p, n, blob_marker, BLOB_MARKER_LEN)) {
        return "blob";
    }
    return NULL;
}

static void rec_note(const rec_file *f, const void *buf, int amt, sqlite3_int64 off)
{
    rec.writes[f->kind]++;
    if (rec.log_len + (size_t)amt > rec.log_cap) {
        size_t cap = rec.log_cap ? rec.log_cap : (size_t)1 << 24;
        while (cap < rec.log_len + (size_t)amt) {
            cap *= 2;
        }
        uint8_t *log = realloc(rec.log, cap);
        if (!log) {
            fprintf(stderr, "out of memory\n");
            abort();
        }
        rec.log = log;
        rec.log_cap = cap;
    }
    memcpy(rec.log + rec.log_len, buf, (size_t)amt);
    rec.log_len += (size_t)amt;
    const char *marker = find_marker(buf, (size_t)amt);
    if (marker) {
        rec.leaking_writes[f->kind]++;
        if (rec.nleaks < MAX_LEAKS) {
            rec.leaks[rec.nleaks++] = (rec_leak){f->kind, f->flags, amt, off, marker};
        }
    }
}

static int rec_close(sqlite3_file *file)
{
    rec_file *f = (rec_file *)file;
    return f->real->pMethods->xClose(f->real);
}

static int rec_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
    rec_file *f = (rec_file *)file;
    return f->real->pMethods->xRead(f->real, buf, amt, off);
}

static int rec_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
    rec_file *f = (rec_file *)file;
    rec_note(f, buf, amt, off);
    return f->real->pMethods->xWrite(f->real, buf, amt, off);
}

static int rec_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    rec_file *f = (rec_file *)file;
    return f->real->pMethods->xTruncate(f->real, size);
}

static int rec_sync(sqlite3_file *file, int flags)
{
    rec_file *f = (rec_file *)file;
    return f->real->pMethods->xSync(f->real, flags);
}

static int rec_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    rec_file *f = (rec_file *)file;
    return f->real->pMethods->xFileSize(f->real, size);
}

static int rec_lock(sqlite3_file *file, int level)
{
    rec_file *f = (rec_file *)file;
    return f->real->pMethods->xLock(f->real, level);
}

static int rec_unlock(sqlite3_file *file, int level)
{
    rec_file *f = (rec_file *)file;
    return f->real->pMethods->xUnlock(f->real, level);
}

static int rec_check_reserved_lock(sqlite3_file *file, int *out)
{
    rec_file *f = (rec_file *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int rec_file_control(sqlite3_file *file, int op, void *arg)
{
    rec_file *f = (rec_file *)file;
    return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int rec_sector_size(sqlite3_file *file)
{
    rec_file *f = (rec_file *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int rec_device_characteristics(sqlite3_file *file)
{
    rec_file *f = (rec_file *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int rec_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **out)
{
    rec_file *f = (rec_file *)file;
    return f->real->pMethods->xShmMap(f->real, region, size, extend, out);
}

static int rec_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    rec_file *f = (rec_file *)file;
    return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void rec_shm_barrier(sqlite3_file *file)
{
    rec_file *f = (rec_file *)file;
    f->real->pMethods->xShmBarrier(f->real);
}

static int rec_shm_unmap(sqlite3_file *file, int delete_flag)
{
    rec_file *f = (rec_file *)file;
    return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

/* Version 2, no xFetch: the control's SQLite cannot write through a memory
 * map behind the recorder's back. */
static const sqlite3_io_methods rec_io_methods = {
    2,
    rec_close,
    rec_read,
    rec_write,
    rec_truncate,
    rec_sync,
    rec_file_size,
    rec_lock,
    rec_unlock,
    rec_check_reserved_lock,
    rec_file_control,
    rec_sector_size,
    rec_device_characteristics,
    rec_shm_map,
    rec_shm_lock,
    rec_shm_barrier,
    rec_shm_unmap,
    NULL,
    NULL,
};

#define REC_HEAD ((sizeof(rec_file) + 7) & ~(size_t)7)

static int rec_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags,
                    int *out_flags)
{
    (void)vfs;
    rec_file *f = (rec_file *)file;
    memset(f, 0, sizeof *f);
    f->real = (sqlite3_file *)((char *)f + REC_HEAD);
    f->flags = flags;
    f->kind = rec_kind_of(flags);
    const int rc = rec.real->xOpen(rec.real, name, f->real, flags, out_flags);
    f->base.pMethods = rc == SQLITE_OK && f->real->pMethods ? &rec_io_methods : NULL;
    return rc;
}

static int rec_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return rec.real->xDelete(rec.real, name, sync_dir);
}

static int rec_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return rec.real->xAccess(rec.real, name, flags, out);
}

static int rec_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return rec.real->xFullPathname(rec.real, name, n, out);
}

static void *rec_dl_open(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return rec.real->xDlOpen(rec.real, name);
}

static void rec_dl_error(sqlite3_vfs *vfs, int n, char *msg)
{
    (void)vfs;
    rec.real->xDlError(rec.real, n, msg);
}

static void (*rec_dl_sym(sqlite3_vfs *vfs, void *handle, const char *sym))(void)
{
    (void)vfs;
    return rec.real->xDlSym(rec.real, handle, sym);
}

static void rec_dl_close(sqlite3_vfs *vfs, void *handle)
{
    (void)vfs;
    rec.real->xDlClose(rec.real, handle);
}

static int rec_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return rec.real->xRandomness(rec.real, n, out);
}

static int rec_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return rec.real->xSleep(rec.real, us);
}

static int rec_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return rec.real->xCurrentTime(rec.real, out);
}

static int rec_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return rec.real->xGetLastError ? rec.real->xGetLastError(rec.real, n, out) : 0;
}

static int rec_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return rec.real->xCurrentTimeInt64(rec.real, out);
}

static sqlite3_vfs rec_vfs;

/* Makes the recorder the default VFS, over the default VFS of the moment. */
static void rec_register(void)
{
    rec.real = sqlite3_vfs_find(NULL);
    if (!rec.real) {
        fprintf(stderr, "no default VFS\n");
        abort();
    }
    rec_vfs = (sqlite3_vfs){
        .iVersion = 2,
        .szOsFile = (int)REC_HEAD + rec.real->szOsFile,
        .mxPathname = rec.real->mxPathname,
        .zName = "noplain-recorder",
        .xOpen = rec_open,
        .xDelete = rec_delete,
        .xAccess = rec_access,
        .xFullPathname = rec_full_pathname,
        .xDlOpen = rec_dl_open,
        .xDlError = rec_dl_error,
        .xDlSym = rec_dl_sym,
        .xDlClose = rec_dl_close,
        .xRandomness = rec_randomness,
        .xSleep = rec_sleep,
        .xCurrentTime = rec_current_time,
        .xGetLastError = rec_get_last_error,
        .xCurrentTimeInt64 = rec_current_time_int64,
    };
    CHECK_INT(sqlite3_vfs_register(&rec_vfs, 1), SQLITE_OK);
}

/* ---- the workload --------------------------------------------------------------------- */

static void row_body(int i, char *out, size_t cap)
{
    snprintf(out, cap, "%s-%06d-%.*s", TEXT_MARKER, i, PAD_LEN,
             "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz"
             "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
}

static void row_blob(int i, uint8_t *out, size_t len)
{
    memcpy(out, blob_marker, BLOB_MARKER_LEN);
    for (size_t j = BLOB_MARKER_LEN; j < len; j++) {
        out[j] = (uint8_t)(i * 31 + (int)j);
    }
}

#define BLOB_LEN 64

/* Runs sql, which must end with `expected`; prints SQLite's message if not. */
#define EXEC(db, sql, expected) exec_line((db), (sql), (expected), __LINE__)

static void exec_line(sqlite3 *db, const char *sql, int expected, int line)
{
    char *msg = NULL;
    const int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    check_count++;
    if (rc != expected) {
        fprintf(stderr, "%s:%d: %s\n  ended with %d (%s), expected %d\n", __FILE__, line, sql, rc,
                msg ? msg : sqlite3_errstr(rc), expected);
        check_failures++;
    }
    sqlite3_free(msg);
}

/* The first column of the first row as text, or "error N: message". */
static void query1(sqlite3 *db, const char *sql, char *out, size_t cap)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, cap, "%s", t ? (const char *)t : "NULL");
    } else {
        snprintf(out, cap, "error %d: %s", rc, sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
}

#define CHECK_QUERY(db, sql, expected)                                                             \
    do {                                                                                           \
        char got_[256];                                                                            \
        query1((db), (sql), got_, sizeof got_);                                                    \
        CHECK_STR(got_, (expected));                                                               \
    } while (0)

/* Rows first..last; n is the row's id up to ROWS, 0 past it. */
static void insert_rows(sqlite3 *db, int first, int last)
{
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_prepare_v2(db, "INSERT INTO t(id, n, body, data) VALUES (?1, ?2, ?3, ?4)", -1,
                                 &st, NULL),
              SQLITE_OK);
    for (int i = first; i <= last; i++) {
        char body[256];
        uint8_t blob[BLOB_LEN];
        row_body(i, body, sizeof body);
        row_blob(i, blob, sizeof blob);
        sqlite3_bind_int(st, 1, i);
        sqlite3_bind_int(st, 2, i <= ROWS ? i : 0);
        sqlite3_bind_text(st, 3, body, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 4, blob, sizeof blob, SQLITE_TRANSIENT);
        CHECK_INT(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
}

/* ORDER BY on unindexed text: far more than the sorter's 10-page budget,
 * so it spills sorted runs to temporary files. */
static void sort_rows(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    CHECK_INT(
        sqlite3_prepare_v2(db, "SELECT id, body, data FROM t ORDER BY body DESC", -1, &st, NULL),
        SQLITE_OK);
    int count = 0, in_order = 1;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char body[256];
        uint8_t blob[BLOB_LEN];
        const int id = sqlite3_column_int(st, 0);
        row_body(id, body, sizeof body);
        row_blob(id, blob, sizeof blob);
        in_order &= id == ROWS - count && !strcmp((const char *)sqlite3_column_text(st, 1), body) &&
                    sqlite3_column_bytes(st, 2) == BLOB_LEN &&
                    !memcmp(sqlite3_column_blob(st, 2), blob, BLOB_LEN);
        count++;
    }
    CHECK_INT(sqlite3_finalize(st), SQLITE_OK);
    CHECK_INT(count, ROWS);
    CHECK(in_order);
}

/* Where a run's database files live and how SQL names them: the file NAME
 * of the run's directory is prefix NAME params. */
typedef struct run_files {
    char prefix[64];  /* "file:<dir>/" */
    char params[160]; /* "?vfs=sealdb&hexkey=...&cipher=...&layout=..." or "" */
    int sealed;
} run_files;

static const char *const journal_modes[] = {"delete", "truncate", "persist",
                                            "memory", "wal",      "off"};

/* The workload through db, whose main file is the run's "db". */
static void workload(sqlite3 *db, const char *journal_mode, const run_files *rf)
{
    const int rollback = strcmp(journal_mode, "off") != 0;
    const int wal = !strcmp(journal_mode, "wal");
    char sql[512], expect[64];

    EXEC(db, "PRAGMA temp_store=FILE; PRAGMA cache_size=10", SQLITE_OK);
    snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s", journal_mode);
    CHECK_QUERY(db, sql, journal_mode);
    snprintf(sql, sizeof sql,
             "CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER NOT NULL CHECK (n <= %d), "
             "body TEXT NOT NULL, data BLOB NOT NULL)",
             ROWS);
    EXEC(db, sql, SQLITE_OK);
    EXEC(db, "CREATE TABLE u(body TEXT UNIQUE ON CONFLICT ABORT)", SQLITE_OK);
    EXEC(db, "BEGIN", SQLITE_OK);
    insert_rows(db, 1, ROWS);
    EXEC(db, "COMMIT", SQLITE_OK);

    sort_rows(db);

    /* a temp table larger than its 10-page cache: the temp database spills */
    EXEC(db, "CREATE TEMP TABLE tt AS SELECT * FROM t", SQLITE_OK);
    EXEC(db, "PRAGMA temp.cache_size=10", SQLITE_OK);
    EXEC(db, "INSERT INTO tt SELECT id + 100000, n, body || '+', data FROM t", SQLITE_OK);
    snprintf(expect, sizeof expect, "%d", 2 * ROWS);
    CHECK_QUERY(db, "SELECT count(*) FROM tt", expect);
    EXEC(db, "DROP TABLE tt", SQLITE_OK);

    /* count(DISTINCT) keeps its keys in a transient index; past its
     * 2000 KiB cache it spills to a transient database file */
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %d) "
             "SELECT count(DISTINCT '%s' || printf('%%08d', i / 2) || hex(zeroblob(80))) FROM c",
             2 * TRANSIENT_KEYS, TEXT_MARKER);
    snprintf(expect, sizeof expect, "%d", TRANSIENT_KEYS + 1);
    CHECK_QUERY(db, sql, expect);

    /* the next transaction starts on an empty WAL and spills frames that it
     * then rewrites, so SQLite recomputes the checksums from frame 1 */
    CHECK_QUERY(db, "PRAGMA wal_checkpoint(TRUNCATE)", "0");
    EXEC(db,
         "BEGIN; UPDATE t SET body = body || '.'; "
         "UPDATE t SET body = substr(body, 1, length(body) - 1)",
         SQLITE_OK);
    insert_rows(db, ROWS + 1, ROWS + 1);
    if (rollback) {
        /* every row but the last is rewritten before the CHECK fails on row
         * ROWS: the statement journal holds the whole table */
        EXEC(db, "UPDATE t SET n = n + 1, body = body || '!'", SQLITE_CONSTRAINT);
        /* the 101st row repeats the 1st: UNIQUE ... ON CONFLICT ABORT */
        EXEC(db,
             "INSERT INTO u SELECT body FROM t WHERE id <= 100 "
             "UNION ALL SELECT body FROM t WHERE id = 1",
             SQLITE_CONSTRAINT);
        EXEC(db,
             "SAVEPOINT sp; UPDATE t SET body = body || '?', data = data || x'00'; "
             "ROLLBACK TO sp; RELEASE sp",
             SQLITE_OK);
    }
    EXEC(db, "COMMIT", SQLITE_OK);
    snprintf(expect, sizeof expect, "%d|%lld|0|0", ROWS + 1, (long long)ROWS * (ROWS + 1) / 2);
    CHECK_QUERY(db,
                "SELECT count(*) || '|' || sum(n) || '|' || sum(substr(body, -1) IN ('!', '?')) "
                "|| '|' || (SELECT count(*) FROM u) FROM t",
                expect);

    EXEC(db, "CREATE UNIQUE INDEX t_body ON t(body)", SQLITE_OK);

    if (rollback) {
        EXEC(db, "BEGIN", SQLITE_OK);
        EXEC(db, "DELETE FROM t WHERE id % 3 = 0", SQLITE_OK);
        insert_rows(db, ROWS + 2, ROWS + 300);
        EXEC(db, "ROLLBACK", SQLITE_OK);
    }

    /* one transaction over two database files: with rollback journals the
     * commit goes through a super-journal */
    snprintf(sql, sizeof sql, "ATTACH '%saux%s' AS aux", rf->prefix, rf->params);
    EXEC(db, sql, SQLITE_OK);
    if (rf->sealed) {
        CHECK_QUERY(db, "SELECT sealdb_reserve('aux')", "1");
    }
    snprintf(sql, sizeof sql, "PRAGMA aux.journal_mode=%s", journal_mode);
    CHECK_QUERY(db, sql, journal_mode);
    EXEC(db, "CREATE TABLE aux.a(body TEXT, data BLOB)", SQLITE_OK);
    EXEC(db,
         "BEGIN; INSERT INTO aux.a SELECT body, data FROM t WHERE id <= 200; "
         "UPDATE t SET n = -n WHERE id <= 200; UPDATE t SET n = -n WHERE id <= 200; COMMIT",
         SQLITE_OK);
    CHECK_QUERY(db, "SELECT count(*) FROM aux.a WHERE body IN (SELECT body FROM t)", "200");
    EXEC(db, "DETACH aux", SQLITE_OK);

    EXEC(db, "VACUUM", SQLITE_OK);
    /* a new page size: in place only on plain databases (SQLite keeps a WAL
     * database's page size; a sealed one refuses, rolled back, or at the
     * pragma with journal_mode=OFF), and in a copy made in one transaction
     * larger than its cache */
    const int off = strcmp(journal_mode, "off") == 0;
    EXEC(db, "PRAGMA page_size=8192", rf->sealed && off ? SQLITE_ERROR : SQLITE_OK);
    if (!wal && !(rf->sealed && off)) {
        EXEC(db, "VACUUM", rf->sealed ? SQLITE_IOERR : SQLITE_OK);
    }
    CHECK_QUERY(db, "PRAGMA page_size", wal || rf->sealed ? "4096" : "8192");
    if (rf->sealed && off) {
        EXEC(db, "PRAGMA journal_mode=delete; PRAGMA page_size=8192", SQLITE_OK);
        EXEC(db, "PRAGMA journal_mode=off", SQLITE_OK);
    }
    snprintf(sql, sizeof sql, "VACUUM INTO '%scopy%s'", rf->prefix, rf->params);
    EXEC(db, sql, SQLITE_OK);
    snprintf(sql, sizeof sql, "ATTACH '%scopy%s' AS copy", rf->prefix, rf->params);
    EXEC(db, sql, SQLITE_OK);
    snprintf(expect, sizeof expect, "%d|%lld", ROWS + 1, (long long)ROWS * (ROWS + 1) / 2);
    CHECK_QUERY(db, "SELECT count(*) || '|' || sum(n) FROM copy.t", expect);
    CHECK_QUERY(db, "PRAGMA copy.page_size", "8192");
    CHECK_QUERY(db, "PRAGMA copy.integrity_check", "ok");
    EXEC(db, "DETACH copy", SQLITE_OK);

    snprintf(expect, sizeof expect, "%d", ROWS + 1);
    CHECK_QUERY(db, "SELECT count(*) FROM t INDEXED BY t_body WHERE body > ''", expect);
    CHECK_QUERY(db, "PRAGMA integrity_check", "ok");
}

/* ---- the checks ---------------------------------------------------------------------- */

static void print_leaks(void)
{
    for (int i = 0; i < rec.nleaks; i++) {
        const rec_leak *l = &rec.leaks[i];
        fprintf(stderr, "  %s marker in a write to a %s file (open flags 0x%x): %d bytes at %lld\n",
                l->marker, rec_kind_names[l->kind], (unsigned)l->flags, l->amt, (long long)l->off);
    }
}

static void print_counts(const char *what)
{
    printf("%-30s writes:", what);
    for (int k = 0; k < REC_KINDS; k++) {
        if (rec.writes[k]) {
            printf(" %s=%ld", rec_kind_names[k], rec.writes[k]);
        }
    }
    printf("\n");
}

/* Which markers the regular files of dir hold: bit 0 text, bit 1 blob. */
static int scan_dir(const char *dir, int report)
{
    int found = 0;
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    for (struct dirent *e; d && (e = readdir(d));) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *fp = e->d_name[0] == '.' ? NULL : fopen(path, "rb");
        if (!fp) {
            continue;
        }
        fseek(fp, 0, SEEK_END);
        const long n = ftell(fp);
        fseek(fp, 0, SEEK_SET);
        uint8_t *buf = test_xmalloc((size_t)n);
        const size_t got = fread(buf, 1, (size_t)n, fp);
        fclose(fp);
        CHECK_INT(got, n);
        const uint8_t *t = memmem(buf, got, TEXT_MARKER, strlen(TEXT_MARKER));
        const uint8_t *b = memmem(buf, got, blob_marker, BLOB_MARKER_LEN);
        found |= (t ? 1 : 0) | (b ? 2 : 0);
        if (report && (t || b)) {
            fprintf(stderr, "  %s marker in %s at offset %ld (file of %ld bytes)\n",
                    t ? "text" : "blob", e->d_name, (long)((t ? t : b) - buf), n);
        }
        free(buf);
    }
    if (d) {
        closedir(d);
    }
    return found;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] != '.') {
            char path[512];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    if (d) {
        closedir(d);
    }
    rmdir(dir);
}

static int log_has(const void *marker, size_t len)
{
    return memmem(rec.log, rec.log_len, marker, len) != NULL;
}

/* Whether the workload in journal mode `mode` puts user data into files of
 * kind `kind`. MEMORY keeps the rollback and statement journals in memory;
 * OFF has neither (and runs no statement that rolls back). */
static int holds_data(const char *mode, int kind)
{
    const int rollback_file =
        !strcmp(mode, "delete") || !strcmp(mode, "truncate") || !strcmp(mode, "persist");
    switch (kind) {
    case REC_MAIN_DB:
    case REC_TEMP_DB:
    case REC_TEMP_JOURNAL:
    case REC_TRANSIENT_DB: return 1;
    case REC_MAIN_JOURNAL: return rollback_file;
    case REC_WAL: return !strcmp(mode, "wal");
    case REC_SUBJOURNAL: return strcmp(mode, "memory") != 0 && strcmp(mode, "off") != 0;
    default: return 0;
    }
}

static void test_sealed(const char *mode, const char *cipher, sealdb_layout layout)
{
    static const char hex64[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    const int before = check_failures;
    char dir[] = "/tmp/sealdb-noplain-XXXXXX", path[64], what[96], hex[65];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/db", dir);
    snprintf(what, sizeof what, "%s %s %s", mode, cipher, sealdb_layout_name(layout));
    sealdb_cipher_id id = 0;
    CHECK_INT(sealdb_cipher_lookup(cipher, &id, NULL), SEALDB_OK);
    snprintf(hex, sizeof hex, "%.*s", (int)(2 * sealdb_cipher_key_bytes(id)), hex64);
    run_files rf = {.sealed = 1};
    snprintf(rf.prefix, sizeof rf.prefix, "file:%s/", dir);
    snprintf(rf.params, sizeof rf.params, "?vfs=sealdb&hexkey=%s&cipher=%s&layout=%s", hex, cipher,
             sealdb_layout_name(layout));

    rec_reset();
    sealdb_sqlite_config cfg = {.cipher = cipher, .hexkey = hex, .layout = layout};
    sealdb_error err = {0};
    sqlite3 *db = NULL;
    CHECK_INT(sealdb_sqlite_open(path, &cfg, &db, &err), SEALDB_OK);
    if (db) {
        workload(db, mode, &rf);
        CHECK_INT(sqlite3_close(db), SQLITE_OK);
    } else {
        fprintf(stderr, "  %s\n", err.message);
    }
    /* read back through a new connection: what is on disk is whole */
    cfg.layout = SEALDB_LAYOUT_DEFAULT;
    db = NULL;
    CHECK_INT(sealdb_sqlite_open(path, &cfg, &db, &err), SEALDB_OK);
    char expect[64];
    snprintf(expect, sizeof expect, "%d|%lld", ROWS + 1, (long long)ROWS * (ROWS + 1) / 2);
    if (db) {
        CHECK_QUERY(db, "SELECT count(*) || '|' || sum(n) FROM t", expect);
        CHECK_QUERY(db, "PRAGMA page_size", "4096"); /* sealed: never changed in place */
        CHECK_INT(sqlite3_close(db), SQLITE_OK);
    }
    print_counts(what);

    /* no marker in any write, nor across two, nor in any file left */
    CHECK_INT(rec.nleaks, 0);
    print_leaks();
    CHECK(!log_has(TEXT_MARKER, strlen(TEXT_MARKER)));
    CHECK(!log_has(blob_marker, BLOB_MARKER_LEN));
    CHECK_INT(scan_dir(dir, 1), 0);

    /* the workload wrote every kind of file that holds data in this mode;
     * a rollback journal without page images is written in every mode (to
     * switch a new database to WAL, or for VACUUM INTO's new file) */
    for (int k = 0; k < REC_KINDS; k++) {
        const int kind_before = check_failures;
        if (holds_data(mode, k)) {
            CHECK(rec.writes[k] > 0);
        } else if (k == REC_SUPER_JOURNAL) {
            CHECK_INT(rec.writes[k] > 0, holds_data(mode, REC_MAIN_JOURNAL));
        } else if (k != REC_MAIN_JOURNAL) {
            CHECK_INT(rec.writes[k], 0);
        }
        if (check_failures != kind_before) {
            CHECK_CONTEXT("writes to %s files", rec_kind_names[k]);
        }
    }
    if (check_failures != before) {
        CHECK_CONTEXT("journal mode %s, %s, %s layout", mode, cipher, sealdb_layout_name(layout));
    }
    remove_dir(dir);
}

/* The same workload without sealdb: both markers reach every kind of file
 * that holds data, and the files left behind, so the checks above can
 * fail. */
static void test_control(const char *mode)
{
    const int before = check_failures;
    char dir[] = "/tmp/sealdb-noplain-XXXXXX", path[64], what[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/db", dir);
    snprintf(what, sizeof what, "%s plain (control)", mode);
    run_files rf = {.sealed = 0};
    snprintf(rf.prefix, sizeof rf.prefix, "file:%s/", dir);
    rec_reset();
    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open_v2(path, &db,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL),
              SQLITE_OK);
    sqlite3_file *file = NULL;
    CHECK_INT(sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file), SQLITE_OK);
    CHECK(file && file->pMethods == &rec_io_methods);
    workload(db, mode, &rf);
    CHECK_INT(sqlite3_close(db), SQLITE_OK);
    print_counts(what);

    CHECK(log_has(TEXT_MARKER, strlen(TEXT_MARKER)));
    CHECK(log_has(blob_marker, BLOB_MARKER_LEN));
    for (int k = 0; k < REC_KINDS; k++) {
        const int kind_before = check_failures;
        CHECK_INT(rec.leaking_writes[k] > 0, holds_data(mode, k));
        if (check_failures != kind_before) {
            CHECK_CONTEXT("writes to %s files", rec_kind_names[k]);
        }
    }
    CHECK_INT(scan_dir(dir, 0), 3);
    if (check_failures != before) {
        CHECK_CONTEXT("journal mode %s, plain SQLite", mode);
    }
    remove_dir(dir);
}

int main(void)
{
    static const char *const ciphers[] = {"aegis256", "aes128gcm", "aegis128l"};
    static const sealdb_layout layouts[] = {SEALDB_LAYOUT_HARDENED, SEALDB_LAYOUT_TURSO};

    rec_register(); /* first: sealdb layers over the recorder */
    CHECK_INT(sealdb_vfs_register(0), SEALDB_OK);
    CHECK(sqlite3_vfs_find(NULL) == &rec_vfs);

    for (size_t m = 0; m < sizeof journal_modes / sizeof journal_modes[0]; m++) {
        test_control(journal_modes[m]);
        for (size_t c = 0; c < sizeof ciphers / sizeof ciphers[0]; c++) {
            for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++) {
                test_sealed(journal_modes[m], ciphers[c], layouts[l]);
            }
        }
    }
    free(rec.log);
    return check_report();
}
