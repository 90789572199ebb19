/*
 * test_vfs.c - SQL on sealed databases through the "sealdb" VFS.
 *
 * - The same deterministic workload (inserts of every type and of values
 *   larger than a page, an index, updates, deletes, a rolled-back
 *   transaction) gives the same answer on a sealed database as on a plain
 *   one, for every cipher, both layouts and every journal mode, before and
 *   after reopening, with integrity_check ok.
 * - A WAL left behind by a connection that never checkpointed is recovered
 *   by a new connection; in the turso layout the WAL's checksum chain on
 *   disk covers the sealed bytes.
 * - Wrong key, wrong cipher, plain file, truncated file, a flipped bit in a
 *   page, a page moved (hardened): clear errors, never wrong rows, and the
 *   file is not modified by the failed open.
 * - SQLite features that bypass or rewrite pages: mmap_size, VACUUM, VACUUM
 *   INTO, the backup API, ATTACH of another sealed file with its own key,
 *   page size set on an empty database, incremental vacuum.
 * - Several threads and a second process on one WAL database.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "crypto.h"
#include "engine.h"

static char dir[256];
static const char *hex32 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char *hex16 = "000102030405060708090a0b0c0d0e0f";

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void remove_db(const char *name)
{
    char p[512];
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/%s%s", dir, name, suffix[i]);
        unlink(p);
    }
}

static sqlite3 *open_sealed(const char *name, const char *cipher, const char *hex,
                            sealdb_layout layout, int *rc_out, sealdb_error *err)
{
    char p[512];
    path_of(p, sizeof p, name);
    sealdb_sqlite_config cfg = {.cipher = cipher, .hexkey = hex, .layout = layout};
    sqlite3 *db = NULL;
    sealdb_error local;
    const int rc = sealdb_sqlite_open(p, &cfg, &db, err ? err : &local);
    if (rc_out) {
        *rc_out = rc;
    }
    return db;
}

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    const int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK && msg) {
        fprintf(stderr, "  sql error (%d) %s in: %.80s\n", rc, msg, sql);
    }
    sqlite3_free(msg);
    return rc;
}

/* The text of the first column of the first row, or the error message. */
static void query1(sqlite3 *db, const char *sql, char *out, size_t cap)
{
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, cap, "%s", t ? (const char *)t : "NULL");
    } else {
        snprintf(out, cap, "error %d: %s", rc, sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
}

/* A deterministic workload; returns a digest of the final contents. */
static void workload(sqlite3 *db, const char *journal_mode, char *digest, size_t cap)
{
    char sql[256];
    snprintf(sql, sizeof sql, "PRAGMA journal_mode=%s", journal_mode);
    CHECK_INT(exec(db, sql), SQLITE_OK);
    CHECK_INT(exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB);"
                       "CREATE INDEX t_s ON t(s);"
                       "BEGIN;"
                       "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x<600) "
                       "INSERT INTO t SELECT x, x*9007199254740993 % 1000000007, x/7.0, "
                       "'row-' || x || ' ' || printf('%.*c', x % 50, 'z'), "
                       "CASE WHEN x % 97 = 0 THEN zeroblob(9000) ELSE randomblob(0) END FROM n;"
                       "INSERT INTO t VALUES(1000, 9223372036854775807, -1e308, 'grüße ✓', "
                       "x'00ff00ff');"
                       "INSERT INTO t VALUES(1001, NULL, NULL, NULL, NULL);"
                       "COMMIT;"
                       "UPDATE t SET s = s || '-updated' WHERE id % 11 = 0;"
                       "DELETE FROM t WHERE id % 13 = 0;"
                       "BEGIN; DELETE FROM t; INSERT INTO t(id) VALUES(5000); ROLLBACK;"),
              SQLITE_OK);
    query1(db,
           "SELECT count(*) || ':' || total(i) || ':' || total(r) || ':' || "
           "total(length(s)) || ':' || total(length(b)) || ':' || "
           "(SELECT group_concat(id) FROM (SELECT id FROM t ORDER BY s DESC LIMIT 20)) FROM t",
           digest, cap);
}

static const sealdb_cipher_id all_ids[] = {SEALDB_AES128GCM,  SEALDB_AES256GCM,  SEALDB_AEGIS256,
                                           SEALDB_AEGIS256X2, SEALDB_AEGIS256X4, SEALDB_AEGIS128L,
                                           SEALDB_AEGIS128X2, SEALDB_AEGIS128X4};

static void test_same_answers(void)
{
    const char *modes[] = {"DELETE", "TRUNCATE", "PERSIST", "MEMORY", "WAL", "OFF"};
    char expected[512], got[512], p[512];
    /* the plain reference */
    remove_db("plain.db");
    path_of(p, sizeof p, "plain.db");
    sqlite3 *plain = NULL;
    CHECK_INT(sqlite3_open(p, &plain), SQLITE_OK);
    workload(plain, "DELETE", expected, sizeof expected);
    sqlite3_close(plain);
    CHECK(strncmp(expected, "error", 5) != 0);

    for (size_t c = 0; c < sizeof all_ids / sizeof all_ids[0]; c++) {
        for (int layout = SEALDB_LAYOUT_HARDENED; layout <= SEALDB_LAYOUT_TURSO; layout++) {
            for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
                /* every mode for two ciphers, the first mode for the rest */
                if (m > 0 && all_ids[c] != SEALDB_AEGIS256 && all_ids[c] != SEALDB_AES128GCM) {
                    continue;
                }
                const sealdb_cipher_id id = all_ids[c];
                const char *hex = sealdb_cipher_key_bytes(id) == 16 ? hex16 : hex32;
                const int before = check_failures;
                remove_db("s.db");
                sqlite3 *db = open_sealed("s.db", sealdb_cipher_name(id), hex,
                                          (sealdb_layout)layout, NULL, NULL);
                CHECK(db != NULL);
                if (!db) {
                    continue;
                }
                workload(db, modes[m], got, sizeof got);
                CHECK_STR(got, expected);
                query1(db, "PRAGMA integrity_check", got, sizeof got);
                CHECK_STR(got, "ok");
                char info[128];
                snprintf(info, sizeof info, "cipher=%s layout=%s reserved=%u",
                         sealdb_cipher_name(id), sealdb_layout_name((sealdb_layout)layout),
                         seal_reserved_bytes(id));
                query1(db, "PRAGMA sealdb_info", got, sizeof got);
                CHECK_STR(got, info);
                sqlite3_close(db);
                /* reopen with only the key: the header says cipher and layout */
                db = open_sealed("s.db", NULL, hex, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
                CHECK(db != NULL);
                query1(db,
                       "SELECT count(*) || ':' || total(i) || ':' || total(r) || ':' || "
                       "total(length(s)) || ':' || total(length(b)) || ':' || "
                       "(SELECT group_concat(id) FROM (SELECT id FROM t ORDER BY s DESC LIMIT "
                       "20)) FROM t",
                       got, sizeof got);
                CHECK_STR(got, expected);
                query1(db, "PRAGMA integrity_check", got, sizeof got);
                CHECK_STR(got, "ok");
                sqlite3_close(db);
                if (check_failures != before) {
                    CHECK_CONTEXT("%s, %s layout, journal_mode %s", sealdb_cipher_name(id),
                                  sealdb_layout_name((sealdb_layout)layout), modes[m]);
                }
            }
        }
    }
}

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (!in) {
        return -1;
    }
    FILE *out = fopen(to, "wb");
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        fwrite(buf, 1, n, out);
    }
    fclose(in);
    fclose(out);
    return 0;
}

static long file_size(const char *name)
{
    char p[512];
    struct stat st;
    path_of(p, sizeof p, name);
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static uint8_t *read_all(const char *name, long *len)
{
    char p[512];
    path_of(p, sizeof p, name);
    *len = file_size(name);
    FILE *f = fopen(p, "rb");
    if (!f || *len < 0) {
        if (f) {
            fclose(f);
        }
        return NULL;
    }
    uint8_t *b = test_xmalloc((size_t)*len);
    *len = (long)fread(b, 1, (size_t)*len, f);
    fclose(f);
    return b;
}

static void write_all(const char *name, const uint8_t *b, long len)
{
    char p[512];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "wb");
    fwrite(b, 1, (size_t)len, f);
    fclose(f);
}

/* The stored chain of a WAL checks out over the bytes as stored. */
static int wal_chain_frames(const uint8_t *w, long len)
{
    if (len < 32) {
        return -1;
    }
    const int be = w[3] & 1;
    const uint32_t ps = (uint32_t)w[8] << 24 | (uint32_t)w[9] << 16 | (uint32_t)w[10] << 8 | w[11];
    uint32_t c[2] = {0, 0}, out[2];
    wal_checksum(be, w, 24, c, out);
    uint32_t hc0 = (uint32_t)w[24] << 24 | (uint32_t)w[25] << 16 | (uint32_t)w[26] << 8 | w[27];
    if (out[0] != hc0) {
        return -1;
    }
    c[0] = out[0];
    c[1] = out[1];
    int frames = 0;
    for (long off = 32; off + 24 + (long)ps <= len; off += 24 + ps) {
        const uint8_t *f = w + off;
        uint32_t mid[2];
        wal_checksum(be, f, 8, c, mid);
        wal_checksum(be, f + 24, ps, mid, out);
        const uint32_t s0 =
            (uint32_t)f[16] << 24 | (uint32_t)f[17] << 16 | (uint32_t)f[18] << 8 | f[19];
        const uint32_t s1 =
            (uint32_t)f[20] << 24 | (uint32_t)f[21] << 16 | (uint32_t)f[22] << 8 | f[23];
        if (s0 != out[0] || s1 != out[1] || memcmp(f + 8, w + 16, 8) != 0) {
            break;
        }
        c[0] = out[0];
        c[1] = out[1];
        frames++;
    }
    return frames;
}

static void test_wal_left_behind(void)
{
    for (int layout = SEALDB_LAYOUT_HARDENED; layout <= SEALDB_LAYOUT_TURSO; layout++) {
        remove_db("w.db");
        remove_db("w2.db");
        sqlite3 *db = open_sealed("w.db", "aegis128l", hex16, (sealdb_layout)layout, NULL, NULL);
        CHECK(db != NULL);
        CHECK_INT(exec(db, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
                           "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);"
                           "WITH RECURSIVE g(value) AS (SELECT 1 UNION ALL SELECT value+1 FROM g "
                           "WHERE value<300) "
                           "INSERT INTO t SELECT value, 'v' || value FROM g;"
                           "PRAGMA wal_checkpoint(TRUNCATE);"
                           "WITH RECURSIVE g(value) AS (SELECT 301 UNION ALL SELECT value+1 FROM g "
                           "WHERE value<700) INSERT INTO t SELECT value, 'w' || value FROM g;"
                           "UPDATE t SET b = b || '!' WHERE a % 5 = 0;"
                           "DELETE FROM t WHERE a % 7 = 0;"),
                  SQLITE_OK);
        /* a copy taken while the connection is open: as after a crash */
        char from[512], to[512];
        path_of(from, sizeof from, "w.db");
        path_of(to, sizeof to, "w2.db");
        copy_file(from, to);
        strcat(from, "-wal");
        strcat(to, "-wal");
        copy_file(from, to);
        long wal_len = 0;
        uint8_t *wal = read_all("w2.db-wal", &wal_len);
        CHECK(wal != NULL && wal_len > 4096);
        const int frames = wal ? wal_chain_frames(wal, wal_len) : -1;
        CHECK(frames > 10);
        CHECK_INT((long)frames * (24 + 4096) + 32, wal_len); /* every frame chains */
        free(wal);
        char got[256];
        sqlite3 *db2 = open_sealed("w2.db", NULL, hex16, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
        CHECK(db2 != NULL);
        query1(db2, "SELECT count(*) || ':' || sum(a) || ':' || sum(b LIKE '%!') FROM t", got,
               sizeof got);
        CHECK_STR(got, "600:210000:120");
        query1(db2, "PRAGMA integrity_check", got, sizeof got);
        CHECK_STR(got, "ok");
        /* the recovered database goes on: write, checkpoint, reread */
        CHECK_INT(exec(db2, "INSERT INTO t VALUES(10000, 'after');"
                            "PRAGMA wal_checkpoint(TRUNCATE);"),
                  SQLITE_OK);
        query1(db2, "SELECT count(*) FROM t", got, sizeof got);
        CHECK_STR(got, "601");
        sqlite3_close(db2);
        sqlite3_close(db);
    }
}

/* Regression: a WAL transaction that spills frames right after the WAL
 * restarted and changes frame 1 again before its commit makes SQLite re-chain
 * the checksums from the WAL header's own (an 8-byte read at offset 24),
 * which the VFS once refused, failing the commit with SQLITE_IOERR_READ. */
static void test_wal_frame1_rewrite(void)
{
    remove_db("r.db");
    sqlite3 *db = open_sealed("r.db", "aegis128l", hex16, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
    CHECK(db != NULL);
    CHECK_INT(exec(db, "PRAGMA page_size=1024; PRAGMA journal_mode=WAL; CREATE TABLE t(x);"
                       "PRAGMA wal_checkpoint(PASSIVE); PRAGMA cache_size=10; "
                       "PRAGMA cache_spill=2;"),
              SQLITE_OK);
    CHECK_INT(exec(db, "BEGIN;"
                       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<24) "
                       "INSERT INTO t SELECT zeroblob(600) FROM n;"
                       "DELETE FROM t; INSERT INTO t VALUES(7); COMMIT;"),
              SQLITE_OK);
    sqlite3_close(db);
    char got[64];
    db = open_sealed("r.db", NULL, hex16, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
    query1(db, "SELECT group_concat(x) FROM t", got, sizeof got);
    CHECK_STR(got, "7");
    /* The same in the middle of the WAL, and the file copied before the
     * connection closes (as after a crash): the re-chained headers are on
     * disk when the commit returns, at synchronous=NORMAL too. */
    CHECK_INT(exec(db, "PRAGMA cache_size=10; PRAGMA cache_spill=2; PRAGMA synchronous=NORMAL;"
                       "PRAGMA wal_autocheckpoint=0; INSERT INTO t VALUES(8); INSERT INTO t "
                       "VALUES(9); BEGIN;"
                       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i<24) "
                       "INSERT INTO t SELECT zeroblob(600) FROM n;"
                       "DELETE FROM t WHERE x IS NOT 8; INSERT INTO t VALUES(10); COMMIT;"),
              SQLITE_OK);
    char from[512], to[512];
    remove_db("r2.db");
    path_of(from, sizeof from, "r.db");
    path_of(to, sizeof to, "r2.db");
    copy_file(from, to);
    strcat(from, "-wal");
    strcat(to, "-wal");
    copy_file(from, to);
    sqlite3 *copy = open_sealed("r2.db", NULL, hex16, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
    query1(copy, "SELECT group_concat(x) FROM t", got, sizeof got);
    CHECK_STR(got, "8,10");
    sqlite3_close(copy);
    sqlite3_close(db);
}

/* The vectorised WAL checksum against the word-pair loop SQLite runs, on
 * every length up to a 64 KiB frame and some past it, both word orders,
 * random data and starting values. */
static void test_wal_checksum(void)
{
    static uint8_t data[65536 + 1024];
    uint64_t x = 0x243f6a8885a308d3ull;
    for (size_t i = 0; i < sizeof data; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data[i] = (uint8_t)x;
    }
    int bad = 0, runs = 0;
    for (size_t n = 0; n <= sizeof data; n += n < 4200 ? 8 : 4096 - 8) {
        for (int be = 0; be <= 1; be++) {
            for (size_t off = 0; off <= 8; off += 8) {
                if (off + n > sizeof data) {
                    continue;
                }
                const uint32_t in[2] = {(uint32_t)(x >> 7) + (uint32_t)n, (uint32_t)(x >> 33)};
                uint32_t a[2], b[2];
                wal_checksum(be, data + off, n, in, a);
                wal_checksum_portable(be, data + off, n, in, b);
                bad += a[0] != b[0] || a[1] != b[1];
                runs++;
            }
        }
    }
    CHECK_INT(bad, 0);
    CHECK(runs > 1000);
    /* a fixed answer: 4096 bytes of 0x01 from (0, 0), little-endian words */
    memset(data, 1, 4096);
    uint32_t z[2] = {0, 0}, out[2];
    wal_checksum(0, data, 4096, z, out);
    CHECK(out[0] == 0xa4d8dd1cu && out[1] == 0xf3fcf257u);
}

/* Two connections take turns writing one WAL, and the other one restarts
 * it in between: a writer's cached header, size and chain must not outlive
 * its hold of the WAL write lock. Each step is checked on a copy of the
 * files (as after a crash), which recovers only frames whose stored chain
 * is intact. Regression: the writer once reused the chain of the frame it
 * wrote last after another connection had restarted the WAL and written
 * that many frames again. */
static void test_wal_writers_alternate(void)
{
    remove_db("alt.db");
    sqlite3 *a = open_sealed("alt.db", "aegis128l", hex16, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
    CHECK(a != NULL);
    CHECK_INT(exec(a, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
                      "CREATE TABLE t(a INTEGER PRIMARY KEY, who TEXT)"),
              SQLITE_OK);
    sqlite3 *b = open_sealed("alt.db", NULL, hex16, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
    CHECK(b != NULL);
    CHECK_INT(exec(b, "PRAGMA wal_autocheckpoint=0"), SQLITE_OK);
    int rows = 0;
    char sql[128], got[64], want[64], from[512], to[512];
    for (int round = 0; round < 12; round++) {
        sqlite3 *first = round % 2 ? b : a, *second = round % 2 ? a : b;
        /* first writes frame 1 of an emptied WAL, second restarts it and
         * writes its own frame 1 over it, first appends frame 2 */
        CHECK_INT(exec(first, "PRAGMA wal_checkpoint(TRUNCATE)"), SQLITE_OK);
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES(%d, 'first')", ++rows);
        CHECK_INT(exec(first, sql), SQLITE_OK);
        if (round % 3 == 0) {
            CHECK_INT(exec(first, "BEGIN; INSERT INTO t VALUES(-1, 'rolled back'); ROLLBACK"),
                      SQLITE_OK);
        }
        CHECK_INT(exec(second, "PRAGMA wal_checkpoint(RESTART)"), SQLITE_OK);
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES(%d, 'second')", ++rows);
        CHECK_INT(exec(second, sql), SQLITE_OK);
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES(%d, 'first again')", ++rows);
        CHECK_INT(exec(first, sql), SQLITE_OK);
        remove_db("alt2.db");
        path_of(from, sizeof from, "alt.db");
        path_of(to, sizeof to, "alt2.db");
        copy_file(from, to);
        strcat(from, "-wal");
        strcat(to, "-wal");
        copy_file(from, to);
        sqlite3 *c = open_sealed("alt2.db", NULL, hex16, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
        CHECK(c != NULL);
        query1(c, "SELECT count(*) || ':' || sum(a) || ':' || min(a) FROM t", got, sizeof got);
        snprintf(want, sizeof want, "%d:%d:1", rows, rows * (rows + 1) / 2);
        CHECK_STR(got, want);
        sqlite3_close(c);
    }
    sqlite3_close(b);
    /* locking_mode=EXCLUSIVE: no WAL write lock changes hands, the file lock does */
    CHECK_INT(exec(a, "PRAGMA locking_mode=EXCLUSIVE"), SQLITE_OK);
    for (int i = 0; i < 5; i++) {
        snprintf(sql, sizeof sql, "INSERT INTO t VALUES(%d, 'exclusive')", ++rows);
        CHECK_INT(exec(a, sql), SQLITE_OK);
        CHECK_INT(exec(a, "BEGIN; INSERT INTO t VALUES(-1, 'rolled back'); ROLLBACK;"
                          "PRAGMA wal_checkpoint(RESTART)"),
                  SQLITE_OK);
    }
    sqlite3_close(a);
    a = open_sealed("alt.db", NULL, hex16, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
    query1(a, "SELECT count(*) || ':' || sum(a) || ':' || min(a) FROM t", got, sizeof got);
    snprintf(want, sizeof want, "%d:%d:1", rows, rows * (rows + 1) / 2);
    CHECK_STR(got, want);
    query1(a, "PRAGMA integrity_check", got, sizeof got);
    CHECK_STR(got, "ok");
    sqlite3_close(a);
}

/* A transaction cut off after its pages reached the database file: the copy
 * has a hot journal, and opening it rolls the pages back from the sealed
 * journal images. */
static void test_hot_journal(void)
{
    remove_db("j.db");
    remove_db("j2.db");
    sqlite3 *db = open_sealed("j.db", "aes256gcm", hex32, SEALDB_LAYOUT_HARDENED, NULL, NULL);
    CHECK(db != NULL);
    CHECK_INT(exec(db, "PRAGMA journal_mode=DELETE; PRAGMA cache_size=5;"
                       "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);"
                       "WITH RECURSIVE g(v) AS (SELECT 1 UNION ALL SELECT v+1 FROM g WHERE v<2000) "
                       "INSERT INTO t SELECT v, printf('%0200d', v) FROM g;"
                       "BEGIN; UPDATE t SET b = 'changed';"),
              SQLITE_OK);
    char from[512], to[512], got[128];
    path_of(from, sizeof from, "j.db");
    path_of(to, sizeof to, "j2.db");
    CHECK(file_size("j.db-journal") > 4096); /* the cache spilled: the journal is hot */
    copy_file(from, to);
    strcat(from, "-journal");
    strcat(to, "-journal");
    copy_file(from, to);
    sqlite3 *db2 = open_sealed("j2.db", NULL, hex32, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
    CHECK(db2 != NULL);
    query1(db2, "SELECT count(*) || ':' || sum(b = 'changed') FROM t", got, sizeof got);
    CHECK_STR(got, "2000:0");
    query1(db2, "PRAGMA integrity_check", got, sizeof got);
    CHECK_STR(got, "ok");
    sqlite3_close(db2);
    CHECK_INT(file_size("j2.db-journal"), -1); /* rolled back and deleted */
    /* a journal record relabelled to another page is refused, not played back */
    remove_db("j2.db");
    path_of(from, sizeof from, "j.db");
    path_of(to, sizeof to, "j2.db");
    copy_file(from, to);
    long jl = 0;
    uint8_t *j = read_all("j.db-journal", &jl);
    CHECK(j != NULL && jl > 4096 + 512);
    if (j) {
        j[512 + 3] ^= 1; /* page number of the first record */
        write_all("j2.db-journal", j, jl);
        free(j);
    }
    db2 = open_sealed("j2.db", NULL, hex32, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
    CHECK(db2 == NULL);
    sqlite3_close(db2);
    exec(db, "ROLLBACK");
    sqlite3_close(db);
}

static void test_errors(void)
{
    sealdb_error err;
    int rc;
    char got[256];
    remove_db("e.db");
    sqlite3 *db = open_sealed("e.db", "aegis256", hex32, SEALDB_LAYOUT_HARDENED, &rc, &err);
    CHECK(db != NULL);
    CHECK_INT(exec(db,
                   "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);"
                   "WITH RECURSIVE g(value) AS (SELECT 1 UNION ALL SELECT value+1 FROM g "
                   "WHERE value<200) INSERT INTO t SELECT value, printf('%0500d', value) FROM g;"),
              SQLITE_OK);
    sqlite3_close(db);
    long len = 0;
    uint8_t *orig = read_all("e.db", &len);
    CHECK(orig != NULL && len > 4096 * 20);
    if (!orig || len <= 4096 * 20) {
        free(orig);
        return;
    }

    /* wrong key: reported as such, file untouched */
    const char *wrong = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    db = open_sealed("e.db", NULL, wrong, SEALDB_LAYOUT_DEFAULT, &rc, &err);
    CHECK(db == NULL);
    CHECK_INT(rc, SEALDB_EWRONGKEY);
    char p[512];
    path_of(p, sizeof p, "e.db");
    char expected[700];
    snprintf(expected, sizeof expected, "cannot open %s: wrong key for this database", p);
    CHECK_STR(err.message, expected);
    /* wrong cipher */
    db = open_sealed("e.db", "aes256gcm", hex32, SEALDB_LAYOUT_DEFAULT, &rc, &err);
    CHECK(db == NULL);
    CHECK_INT(rc, SEALDB_EMISMATCH);
    snprintf(expected, sizeof expected,
             "cannot open %s: the database is sealed with aegis256, not aes256gcm", p);
    CHECK_STR(err.message, expected);
    /* wrong layout asked for */
    db = open_sealed("e.db", NULL, hex32, SEALDB_LAYOUT_TURSO, &rc, &err);
    CHECK(db == NULL);
    /* through plain SQLite with a URI and a wrong key: NOTADB, no rows */
    char uri[700];
    snprintf(uri, sizeof uri, "file:%s?vfs=sealdb&hexkey=%s", p, wrong);
    CHECK_INT(sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL),
              SQLITE_NOTADB);
    CHECK_STR(sqlite3_errmsg(db), "file is not a database");
    sqlite3_close(db);
    /* no key, unknown parameter, bad values: refused at open */
    const char *bad_uris[] = {"file:%s?vfs=sealdb", "file:%s?vfs=sealdb&hexkey=00&chiper=x",
                              "file:%s?vfs=sealdb&hexkey=zz",
                              "file:%s?vfs=sealdb&hexkey=00&layout=x",
                              "file:%s?vfs=sealdb&hexkey=0011&cipher=rot13"};
    for (size_t i = 0; i < sizeof bad_uris / sizeof bad_uris[0]; i++) {
        snprintf(uri, sizeof uri, bad_uris[i], p);
        db = NULL;
        CHECK_INT(sqlite3_open_v2(uri, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL),
                  SQLITE_CANTOPEN);
        sqlite3_close(db);
    }
    long len_after = 0;
    uint8_t *after = read_all("e.db", &len_after);
    CHECK_INT(len_after, len);
    CHECK(after && memcmp(after, orig, (size_t)len) == 0);
    free(after);

    /* a plain SQLite file */
    remove_db("plain2.db");
    path_of(p, sizeof p, "plain2.db");
    sqlite3 *plain = NULL;
    sqlite3_open(p, &plain);
    exec(plain, "CREATE TABLE t(a)");
    sqlite3_close(plain);
    db = open_sealed("plain2.db", NULL, hex32, SEALDB_LAYOUT_DEFAULT, &rc, &err);
    CHECK(db == NULL);
    CHECK_INT(rc, SEALDB_ENOTSEALED);

    /* a flipped bit in page 5: that page fails, by number, never as data */
    uint8_t *bad = test_xmalloc((size_t)len);
    memcpy(bad, orig, (size_t)len);
    bad[4 * 4096 + 1234] ^= 0x10;
    write_all("e.db", bad, len);
    db = open_sealed("e.db", NULL, hex32, SEALDB_LAYOUT_DEFAULT, &rc, &err);
    CHECK(db != NULL);
    CHECK_INT(exec(db, "SELECT sum(length(b)) FROM t"), SQLITE_CORRUPT);
    query1(db, "PRAGMA sealdb_error", got, sizeof got);
    CHECK_STR(got, "page 5 failed authentication: the file is damaged or was tampered with");
    query1(db, "SELECT count(*) FROM t WHERE a < 3", got, sizeof got);
    CHECK_STR(got, "2"); /* pages that are intact still read */
    sqlite3_close(db);
    /* a flipped bit in the authenticated header of page 1 */
    memcpy(bad, orig, (size_t)len);
    bad[60] ^= 1;
    write_all("e.db", bad, len);
    db = open_sealed("e.db", NULL, hex32, SEALDB_LAYOUT_DEFAULT, &rc, &err);
    CHECK(db == NULL);
    CHECK_INT(rc, SEALDB_ECORRUPT);
    /* pages 3 and 4 swapped: hardened binds pages to their number */
    memcpy(bad, orig, (size_t)len);
    memcpy(bad + 2 * 4096, orig + 3 * 4096, 4096);
    memcpy(bad + 3 * 4096, orig + 2 * 4096, 4096);
    write_all("e.db", bad, len);
    db = open_sealed("e.db", NULL, hex32, SEALDB_LAYOUT_DEFAULT, &rc, &err);
    CHECK(db != NULL);
    CHECK_INT(exec(db, "SELECT sum(length(b)) FROM t"), SQLITE_CORRUPT);
    query1(db, "PRAGMA sealdb_error", got, sizeof got);
    CHECK_STR(got, "page 3 failed authentication: the file is damaged or was tampered with");
    sqlite3_close(db);
    /* truncated in the middle of a page */
    write_all("e.db", orig, len - 1000);
    db = open_sealed("e.db", NULL, hex32, SEALDB_LAYOUT_DEFAULT, &rc, &err);
    CHECK(db != NULL);
    CHECK(exec(db, "SELECT sum(length(b)) FROM t") != SQLITE_OK);
    query1(db, "PRAGMA sealdb_error", got, sizeof got);
    snprintf(expected, sizeof expected, "page %ld is truncated", len / 4096);
    CHECK_STR(got, expected);
    sqlite3_close(db);
    /* shorter than a header */
    write_all("e.db", orig, 50);
    db = open_sealed("e.db", NULL, hex32, SEALDB_LAYOUT_DEFAULT, &rc, &err);
    CHECK(db == NULL);
    CHECK_INT(rc, SEALDB_EFORMAT);
    free(bad);
    free(orig);
}

static void test_features(void)
{
    char got[256];
    remove_db("f.db");
    remove_db("f-into.db");
    remove_db("f-backup.db");
    remove_db("f-att.db");
    remove_db("f-att2.db");
    /* page size chosen on an empty database */
    sqlite3 *db = open_sealed("f.db", "aegis128l", hex16, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
    CHECK(db != NULL);
    CHECK_INT(exec(db, "PRAGMA page_size=8192; PRAGMA auto_vacuum=INCREMENTAL;"
                       "CREATE TABLE t(a INTEGER PRIMARY KEY, b BLOB);"
                       "WITH RECURSIVE g(value) AS (SELECT 1 UNION ALL SELECT value+1 FROM g "
                       "WHERE value<300) INSERT INTO t SELECT value, randomblob(3000) FROM g;"),
              SQLITE_OK);
    query1(db, "PRAGMA page_size", got, sizeof got);
    CHECK_STR(got, "8192");
    CHECK_INT(file_size("f.db") % 8192, 0);
    /* memory-mapped I/O asked for: results stay right (no sealed bytes leak to SQLite) */
    CHECK_INT(exec(db, "PRAGMA mmap_size=268435456"), SQLITE_OK);
    query1(db, "SELECT count(*) || ':' || sum(length(b)) FROM t", got, sizeof got);
    CHECK_STR(got, "300:900000");
    /* incremental vacuum gives pages back */
    CHECK_INT(exec(db, "DELETE FROM t WHERE a > 100"), SQLITE_OK);
    const long before = file_size("f.db");
    CHECK_INT(exec(db, "PRAGMA incremental_vacuum"), SQLITE_OK);
    CHECK(file_size("f.db") < before);
    query1(db, "PRAGMA integrity_check", got, sizeof got);
    CHECK_STR(got, "ok");
    /* VACUUM and VACUUM INTO a sealed file (same cipher) */
    CHECK_INT(exec(db, "VACUUM"), SQLITE_OK);
    char p[512], sql[1024];
    path_of(p, sizeof p, "f-into.db");
    snprintf(sql, sizeof sql, "VACUUM INTO 'file:%s?vfs=sealdb&cipher=aegis128l&hexkey=%s'", p,
             hex16);
    CHECK_INT(exec(db, sql), SQLITE_OK);
    sqlite3 *into = open_sealed("f-into.db", NULL, hex16, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
    CHECK(into != NULL);
    query1(into, "SELECT count(*) || ':' || sum(length(b)) FROM t", got, sizeof got);
    CHECK_STR(got, "100:300000");
    sqlite3_close(into);
    /* the backup API into a new sealed database */
    sqlite3 *dst =
        open_sealed("f-backup.db", "aegis128l", hex16, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
    CHECK(dst != NULL);
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", db, "main");
    CHECK(b != NULL);
    CHECK_INT(sqlite3_backup_step(b, -1), SQLITE_DONE);
    CHECK_INT(sqlite3_backup_finish(b), SQLITE_OK);
    query1(dst, "SELECT count(*) || ':' || sum(length(b)) FROM t", got, sizeof got);
    CHECK_STR(got, "100:300000");
    query1(dst, "PRAGMA integrity_check", got, sizeof got);
    CHECK_STR(got, "ok");
    sqlite3_close(dst);
    /* ATTACH an existing sealed file with its own key and cipher */
    sqlite3 *other = open_sealed("f-att.db", "aes256gcm",
                                 "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100",
                                 SEALDB_LAYOUT_TURSO, NULL, NULL);
    CHECK_INT(exec(other, "CREATE TABLE u(x); INSERT INTO u VALUES(42);"), SQLITE_OK);
    sqlite3_close(other);
    path_of(p, sizeof p, "f-att.db");
    snprintf(sql, sizeof sql,
             "ATTACH 'file:%s?vfs=sealdb&hexkey=ffeeddccbbaa99887766554433221100ffeeddccbbaa9988"
             "7766554433221100' AS o",
             p);
    CHECK_INT(exec(db, sql), SQLITE_OK);
    query1(db, "SELECT x FROM o.u", got, sizeof got);
    CHECK_STR(got, "42");
    /* ATTACH a new sealed database: sealdb_reserve() before its first write */
    path_of(p, sizeof p, "f-att2.db");
    snprintf(sql, sizeof sql, "ATTACH 'file:%s?vfs=sealdb&cipher=aegis256&hexkey=%s' AS n", p,
             hex32);
    CHECK_INT(exec(db, sql), SQLITE_OK);
    query1(db, "SELECT sealdb_reserve('n')", got, sizeof got);
    CHECK_STR(got, "1");
    CHECK_INT(exec(db, "CREATE TABLE n.v(y); INSERT INTO n.v SELECT a FROM t;"), SQLITE_OK);
    query1(db, "SELECT count(*) FROM n.v", got, sizeof got);
    CHECK_STR(got, "100");
    sqlite3_close(db);
    sqlite3 *n = open_sealed("f-att2.db", NULL, hex32, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
    CHECK(n != NULL);
    query1(n, "SELECT count(*) FROM v", got, sizeof got);
    CHECK_STR(got, "100");
    sqlite3_close(n);
}

typedef struct worker {
    int id;
    int failures;
} worker;

static void *thread_main(void *arg)
{
    worker *w = arg;
    sqlite3 *db = open_sealed("mt.db", NULL, hex32, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
    if (!db) {
        w->failures++;
        return NULL;
    }
    sqlite3_busy_timeout(db, 10000);
    char sql[256];
    for (int i = 0; i < 50; i++) {
        snprintf(sql, sizeof sql, "INSERT INTO t(w, i, pad) VALUES(%d, %d, randomblob(700))", w->id,
                 i);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
            w->failures++;
        }
        if (sqlite3_exec(db, "SELECT count(*), sum(length(pad)) FROM t", NULL, NULL, NULL) !=
            SQLITE_OK) {
            w->failures++;
        }
    }
    sqlite3_close(db);
    return NULL;
}

static void test_concurrency(void)
{
    remove_db("mt.db");
    sqlite3 *db = open_sealed("mt.db", "aegis256", hex32, SEALDB_LAYOUT_DEFAULT, NULL, NULL);
    CHECK_INT(exec(db, "PRAGMA journal_mode=WAL;"
                       "CREATE TABLE t(id INTEGER PRIMARY KEY, w INT, i INT, pad BLOB)"),
              SQLITE_OK);
    /* a second process writes while this one's threads do */
    fflush(NULL);
    const pid_t child = fork();
    if (child == 0) {
        worker w = {99, 0};
        thread_main(&w);
        _exit(w.failures == 0 ? 0 : 1);
    }
    pthread_t th[4];
    worker ws[4];
    for (int i = 0; i < 4; i++) {
        ws[i] = (worker){i, 0};
        pthread_create(&th[i], NULL, thread_main, &ws[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(ws[i].failures, 0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char got[128];
    query1(db, "SELECT count(*) || ':' || count(DISTINCT w) || ':' || sum(length(pad)) FROM t", got,
           sizeof got);
    CHECK_STR(got, "250:5:175000");
    query1(db, "PRAGMA integrity_check", got, sizeof got);
    CHECK_STR(got, "ok");
    sqlite3_close(db);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/sealdb-test-vfs-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    CHECK_INT(sealdb_vfs_register(0), SEALDB_OK);
    test_same_answers();
    test_wal_left_behind();
    test_hot_journal();
    test_wal_frame1_rewrite();
    test_wal_writers_alternate();
    test_wal_checksum();
    test_errors();
    test_features();
    test_concurrency();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return check_report();
}
