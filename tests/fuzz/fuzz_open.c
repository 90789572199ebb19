/*
 * fuzz_open.c - libFuzzer target for the "sealdb" VFS (engine/vfs.c) on
 * files an attacker wrote: a database file and its WAL or rollback journal.
 *
 * Each input (layout in fuzz_common.h) becomes a database file and, when the
 * rest of the input is not empty, a WAL or a hot rollback journal beside it,
 * in a private directory made once per process. The target opens the
 * database with sealdb_sqlite_open under the fixed key, with the cipher and
 * layout the mode byte names, reads everything it can (the schema, PRAGMA
 * integrity_check, every ordinary table row by row, column by column), can
 * write, and closes, which checkpoints a WAL. The writes go through the
 * VFS's harder paths: a checkpoint first (the next transaction restarts the
 * WAL over old frames) unless FUZZ_OPEN2_APPEND says to append after the
 * frames on disk, a cache small enough to spill mid-transaction (in WAL
 * mode SQLite then rewrites frames it wrote and reads back the checksums of
 * earlier frames), optionally a switch of journal mode and a truncating
 * checkpoint. Any SQLite or sealdb error is fine; a crash, a leak, undefined
 * behaviour or a failed close is a finding. All files are removed after
 * each input.
 *
 * Random mutations of sealed bytes almost never authenticate, so what the
 * fuzzer mostly explores is the structure around them: truncated, extended,
 * reordered and spliced pages and frames (under turso, pages other than 1
 * are not bound to their number and open anywhere), WAL and frame headers,
 * journal headers and records. With FUZZ_OPEN_FIXWAL the target rewrites
 * the WAL header checksum and every frame's salts and stored-bytes checksum
 * chain before writing the WAL, so that frames with mutated page numbers or
 * commit sizes still reach the VFS's frame reading and chain translation.
 *
 * Seed inputs that open (make_corpus writes them) are what let mutations go
 * deep; without them nearly every input fails on page 1. With the
 * environment variable SEALDB_FUZZ_VERBOSE set, the target prints what each
 * input did (the open's error, the integrity check, rows per table) and
 * SQLite's log, which carries the VFS's messages: it shows whether a seed
 * opens as meant, and where a write failed.
 */
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "fuzz_common.h"

#define MAX_TABLES 16
#define MAX_ROWS 1000
#define MAX_VM_STEPS 20000000 /* a safety net against a statement that never ends */

static char dir_path[PATH_MAX - 32];
static int verbose;
static char db_path[PATH_MAX], wal_path[PATH_MAX], journal_path[PATH_MAX], shm_path[PATH_MAX];

static void remove_files(void)
{
    unlink(db_path);
    unlink(wal_path);
    unlink(journal_path);
    unlink(shm_path);
}

static void remove_dir(void)
{
    remove_files();
    rmdir(dir_path);
}

/* SQLite's log, which carries the VFS's messages too (verbose mode). */
static void log_message(void *arg, int code, const char *msg)
{
    (void)arg;
    fprintf(stderr, "  log %d: %s\n", code, msg);
}

/* A private directory on tmpfs when there is one: every input writes files. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *base = getenv("TMPDIR");
    if (!base || !*base) {
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    }
    snprintf(dir_path, sizeof dir_path, "%s/sealdb-fuzz-XXXXXX", base);
    if (!mkdtemp(dir_path)) {
        perror("fuzz_open: mkdtemp");
        abort();
    }
    snprintf(db_path, sizeof db_path, "%s/db", dir_path);
    snprintf(wal_path, sizeof wal_path, "%s/db-wal", dir_path);
    snprintf(journal_path, sizeof journal_path, "%s/db-journal", dir_path);
    snprintf(shm_path, sizeof shm_path, "%s/db-shm", dir_path);
    atexit(remove_dir);
    verbose = getenv("SEALDB_FUZZ_VERBOSE") != NULL;
    if (verbose) {
        sqlite3_config(SQLITE_CONFIG_LOG, log_message, NULL);
    }
    if (sealdb_vfs_register(0) != SEALDB_OK) {
        abort();
    }
    return 0;
}

static void write_file(const char *path, const uint8_t *data, size_t n)
{
    const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FUZZ_ASSERT(fd >= 0);
    while (n > 0) {
        const ssize_t w = write(fd, data, n);
        FUZZ_ASSERT(w > 0);
        data += w;
        n -= (size_t)w;
    }
    FUZZ_ASSERT(close(fd) == 0);
}

/* Rewrites the WAL header checksum, and the salts and stored-bytes checksum
 * chain of every whole frame, as a writer holding the key would have. */
static void fix_wal(uint8_t *w, size_t n)
{
    if (n < 32) {
        return;
    }
    const uint32_t ps = fuzz_be32(w + 8);
    if (ps < 512 || ps > 65536 || (ps & (ps - 1)) != 0) {
        return;
    }
    const int big_endian = w[3] & 1;
    const uint32_t zero[2] = {0, 0};
    uint32_t chk[2], mid[2];
    wal_checksum(big_endian, w, 24, zero, chk);
    fuzz_put_be32(w + 24, chk[0]);
    fuzz_put_be32(w + 28, chk[1]);
    for (size_t off = 32; n - off >= 24 + (size_t)ps; off += 24 + (size_t)ps) {
        uint8_t *frame = w + off;
        memcpy(frame + 8, w + 16, 8);
        wal_checksum(big_endian, frame, 8, chk, mid);
        wal_checksum(big_endian, frame + 24, ps, mid, chk);
        fuzz_put_be32(frame + 16, chk[0]);
        fuzz_put_be32(frame + 20, chk[1]);
    }
}

static int progress_limit(void *arg)
{
    int *steps = arg;
    return ++*steps > MAX_VM_STEPS / 1000;
}

/* Steps a statement to its end (or MAX_ROWS rows), reading every column. */
static void drain(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        FUZZ_ASSERT(st == NULL);
        if (verbose) {
            fprintf(stderr, "  %s: %s\n", sql, sqlite3_errmsg(db));
        }
        return;
    }
    int row = 0, rc = SQLITE_ROW;
    for (; row < MAX_ROWS && (rc = sqlite3_step(st)) == SQLITE_ROW; row++) {
        const int n = sqlite3_column_count(st);
        for (int i = 0; i < n; i++) {
            const unsigned char *text = sqlite3_column_text(st, i);
            const int len = sqlite3_column_bytes(st, i);
            FUZZ_ASSERT(len >= 0 && (text != NULL || len == 0));
            if (verbose && row == 0 && i == 0) {
                fprintf(stderr, "  %s: %.60s\n", sql, text ? (const char *)text : "NULL");
            }
        }
    }
    if (verbose) {
        fprintf(stderr, "  %s: %d rows, %s\n", sql, row,
                rc == SQLITE_DONE || rc == SQLITE_ROW ? "ok" : sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
}

/* The ordinary tables of the schema (virtual tables would run modules
 * outside sealdb), read row by row. */
static void read_tables(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    char *names[MAX_TABLES];
    int count = 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT name FROM sqlite_schema WHERE type = 'table' AND "
                           "sql NOT LIKE 'create virtual%'",
                           -1, &st, NULL) != SQLITE_OK) {
        return;
    }
    while (count < MAX_TABLES && sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *name = sqlite3_column_text(st, 0);
        if (name && (names[count] = sqlite3_mprintf("SELECT * FROM \"%w\"", name)) != NULL) {
            count++;
        }
    }
    sqlite3_finalize(st);
    for (int i = 0; i < count; i++) {
        drain(db, names[i]);
        sqlite3_free(names[i]);
    }
}

/* A transaction that dirties more pages than the cache holds, twice over. */
static const char write_sql[] =
    "BEGIN;"
    "CREATE TABLE IF NOT EXISTS fuzz_w(a INTEGER PRIMARY KEY, b);"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 24) "
    "INSERT INTO fuzz_w(b) SELECT zeroblob(600 + i) FROM n;"
    "UPDATE fuzz_w SET b = printf('%.*c', 500, 'x') WHERE a % 3 = 0;"
    "UPDATE fuzz_w SET b = zeroblob(700) WHERE a % 3 = 0;"
    "DELETE FROM fuzz_w WHERE a % 2 = 0;"
    "COMMIT;";

/* Runs a statement, rolling back a transaction it leaves open. */
static void write_sql_step(sqlite3 *db, const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        if (verbose) {
            fprintf(stderr, "  %.40s: %s\n", sql, sqlite3_errmsg(db));
        }
        if (!sqlite3_get_autocommit(db)) {
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        }
    }
}

static void run_writes(sqlite3 *db, uint8_t mode2)
{
    sqlite3_exec(db, "PRAGMA cache_size = 10; PRAGMA cache_spill = 2", NULL, NULL, NULL);
    if (!(mode2 & FUZZ_OPEN2_APPEND)) {
        drain(db, "PRAGMA wal_checkpoint(PASSIVE)");
    }
    write_sql_step(db, write_sql);
    write_sql_step(db, "INSERT INTO fuzz_w(b) VALUES (42)");
    if (mode2 & FUZZ_OPEN2_SWITCH) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW) {
            const unsigned char *jm = sqlite3_column_text(st, 0);
            const int wal = jm && strcmp((const char *)jm, "wal") == 0;
            sqlite3_finalize(st);
            st = NULL;
            drain(db, wal ? "PRAGMA journal_mode = DELETE" : "PRAGMA journal_mode = WAL");
            write_sql_step(db, write_sql);
        }
        sqlite3_finalize(st);
    }
    if (mode2 & FUZZ_OPEN2_TRUNCATE) {
        drain(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    }
    drain(db, "SELECT * FROM fuzz_w");
}

/* The length of the longest prefix of whole pages (a database, page size
 * from its header) or whole frames (a WAL, page size from its header). */
static size_t whole_units(const uint8_t *p, size_t n, int wal)
{
    if (n < (wal ? 32u : 100u)) {
        return n;
    }
    uint32_t ps = wal ? fuzz_be32(p + 8) : (uint32_t)p[16] << 8 | (uint32_t)p[17] << 16;
    if (ps < 512 || ps > 65536 || (ps & (ps - 1)) != 0) {
        return n;
    }
    return wal ? 32 + (n - 32) / (ps + 24) * (ps + 24) : n / ps * ps;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < FUZZ_OPEN_PREFIX) {
        return 0;
    }
    const uint8_t mode = data[0], mode2 = data[1];
    size_t db_len = (size_t)data[2] << 16 | (size_t)data[3] << 8 | data[4];
    const uint8_t *db_bytes = data + FUZZ_OPEN_PREFIX;
    const size_t rest = size - FUZZ_OPEN_PREFIX;
    if (db_len > rest) {
        db_len = rest;
    }
    const uint8_t *second = db_bytes + db_len;
    size_t second_len = rest - db_len;
    if (mode2 & FUZZ_OPEN2_ALIGN) {
        db_len = whole_units(db_bytes, db_len, 0);
        if (!(mode & FUZZ_OPEN_JOURNAL)) {
            second_len = whole_units(second, second_len, 1);
        }
    }

    remove_files();
    write_file(db_path, db_bytes, db_len);
    if (second_len > 0 && (mode & FUZZ_OPEN_JOURNAL)) {
        write_file(journal_path, second, second_len);
    } else if (second_len > 0 && (mode & FUZZ_OPEN_FIXWAL)) {
        uint8_t *wal = malloc(second_len);
        FUZZ_ASSERT(wal != NULL);
        memcpy(wal, second, second_len);
        fix_wal(wal, second_len);
        write_file(wal_path, wal, second_len);
        free(wal);
    } else if (second_len > 0) {
        write_file(wal_path, second, second_len);
    }

    const fuzz_open_cipher *oc =
        &fuzz_open_ciphers[(mode & FUZZ_OPEN_CIPHER_MASK) >> FUZZ_OPEN_CIPHER_SHIFT];
    const unsigned layout = mode & FUZZ_OPEN_LAYOUT_MASK;
    sealdb_sqlite_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.cipher = oc->cipher;
    cfg.key = fuzz_key;
    cfg.key_len = oc->key_len;
    cfg.layout = layout == 1   ? SEALDB_LAYOUT_HARDENED
                 : layout == 2 ? SEALDB_LAYOUT_TURSO
                               : SEALDB_LAYOUT_DEFAULT;
    cfg.flags = mode & FUZZ_OPEN_READONLY ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;

    sqlite3 *db = NULL;
    sealdb_error err;
    memset(&err, 0xa5, sizeof err);
    const int rc = sealdb_sqlite_open(db_path, &cfg, &db, &err);
    if (verbose) {
        fprintf(stderr, "mode %02x %02x, database %zu bytes, %s %zu bytes: %s\n", mode, mode2,
                db_len, mode & FUZZ_OPEN_JOURNAL ? "journal" : "WAL", second_len,
                rc == SEALDB_OK ? "opened" : err.message);
    }
    if (rc != SEALDB_OK) {
        FUZZ_ASSERT(db == NULL);
        FUZZ_ASSERT(err.code == rc);
        FUZZ_ASSERT(memchr(err.message, '\0', sizeof err.message) != NULL);
        remove_files();
        return 0;
    }
    int steps = 0;
    sqlite3_progress_handler(db, 1000, progress_limit, &steps);
    sqlite3_exec(db, "PRAGMA synchronous = OFF; PRAGMA trusted_schema = OFF", NULL, NULL, NULL);
    drain(db, "PRAGMA sealdb_info");
    drain(db, "SELECT count(*) FROM sqlite_schema");
    drain(db, "PRAGMA integrity_check(20)");
    read_tables(db);
    char *vfs_name = NULL;
    if (sqlite3_file_control(db, "main", SQLITE_FCNTL_VFSNAME, &vfs_name) == SQLITE_OK) {
        FUZZ_ASSERT(vfs_name != NULL && strncmp(vfs_name, "sealdb/", 7) == 0);
    }
    sqlite3_free(vfs_name);
    if ((mode & FUZZ_OPEN_WRITE) && !(mode & FUZZ_OPEN_READONLY)) {
        run_writes(db, mode2);
    }
    drain(db, "PRAGMA sealdb_error");
    FUZZ_ASSERT(sqlite3_close(db) == SQLITE_OK);
    remove_files();
    return 0;
}
