/*
 * make_corpus.c - writes the seed inputs of the fuzz targets.
 *
 *     make_corpus DIR     fills DIR/open (fuzz_open), DIR/unseal (fuzz_unseal),
 *                         DIR/files (fuzz_files), DIR/btree (fuzz_btree) and
 *                         DIR/record (fuzz_record)
 *
 * Seeds are real sealed files under the targets' fixed key, so that mutated
 * inputs get past page 1 and the fuzzer reaches the code behind it:
 * - fuzz_open: a database with two tables, an index and an overflow row,
 *   for aegis128l (hardened and turso), aegis256 (hardened) and aes256gcm
 *   (turso), at page sizes 1024 and 4096; each as the database file alone,
 *   with a WAL of committed frames not yet checkpointed, and with a hot
 *   rollback journal (a transaction caught before its commit), under a few
 *   modes (writes after a checkpoint or appended to the WAL, journal-mode
 *   switch, truncating checkpoint, fix-WAL, whole pages, read-only).
 * - fuzz_unseal: pages 1 and 2 of those databases in the raw mode, pages and
 *   journal images sealed under the fixed salt, and seal-mode inputs.
 * - fuzz_record: pairs of records SQLite wrote (rows of a table of mixed
 *   values and entries of its index), read back with the B-tree cursor.
 * Nonces are random, so two runs write different bytes with the same
 * structure. Exits non-zero, naming what failed, on any error.
 */
#include <errno.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btree.h"
#include "crypto.h"
#include "fuzz_common.h"

static char open_dir[PATH_MAX - 64], unseal_dir[PATH_MAX - 64], files_dir[PATH_MAX - 64],
    btree_dir[PATH_MAX - 64], record_dir[PATH_MAX - 64], work_dir[PATH_MAX - 64];
static int seeds_written;

#define N_MODES(a) (sizeof(a) / sizeof((a)[0]))

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "make_corpus: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

/* The whole file at path into a malloc'd buffer (NULL, size 0 if absent). */
static uint8_t *slurp(const char *path, size_t *size)
{
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t cap = 0;
    for (;;) {
        if (*size == cap) {
            cap = cap ? 2 * cap : 65536;
            if (!(buf = realloc(buf, cap))) {
                die("out of memory", NULL);
            }
        }
        const size_t n = fread(buf + *size, 1, cap - *size, f);
        if (n == 0) {
            break;
        }
        *size += n;
    }
    fclose(f);
    return buf;
}

/* Writes one seed: the concatenation of up to three parts. */
static void write_seed(const char *dir, const char *name, const void *a, size_t an, const void *b,
                       size_t bn, const void *c, size_t cn)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (an && fwrite(a, 1, an, f) != an) || (bn && fwrite(b, 1, bn, f) != bn) ||
        (cn && fwrite(c, 1, cn, f) != cn) || fclose(f) != 0) {
        die("cannot write the seed", path);
    }
    seeds_written++;
}

/* ---- fuzz_open seeds ------------------------------------------------------------------------ */

typedef struct variant {
    const char *name;
    unsigned cipher_index; /* into fuzz_open_ciphers */
    sealdb_layout layout;
    int page_size;
} variant;

static const variant variants[] = {
    {"aegis128l-hardened-1024", 0, SEALDB_LAYOUT_HARDENED, 1024},
    {"aegis128l-hardened-4096", 1, SEALDB_LAYOUT_HARDENED, 4096},
    {"aegis128l-turso-1024", 0, SEALDB_LAYOUT_TURSO, 1024},
    {"aegis128l-turso-4096", 1, SEALDB_LAYOUT_TURSO, 4096},
    {"aegis256-hardened-1024", 2, SEALDB_LAYOUT_HARDENED, 1024},
    {"aes256gcm-turso-1024", 3, SEALDB_LAYOUT_TURSO, 1024},
};

static const char fill_sql[] =
    "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c BLOB);"
    "CREATE INDEX t_b ON t(b);"
    "CREATE TABLE kv(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40) "
    "INSERT INTO t(b, c) SELECT printf('row %d', i), zeroblob(i * 7) FROM n;"
    "INSERT INTO t(b, c) VALUES ('overflow', zeroblob(3000));"
    "INSERT INTO kv VALUES ('alpha', 1), ('beta', x'00ff'), ('gamma', 2.5);";

static void exec_or_die(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "make_corpus: %s\n  in: %s\n", msg ? msg : "?", sql);
        exit(1);
    }
}

static sqlite3 *open_or_die(const char *path, const variant *v)
{
    const fuzz_open_cipher *oc = &fuzz_open_ciphers[v->cipher_index];
    sealdb_sqlite_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.cipher = oc->cipher;
    cfg.key = fuzz_key;
    cfg.key_len = oc->key_len;
    cfg.layout = v->layout;
    sqlite3 *db = NULL;
    sealdb_error err;
    if (sealdb_sqlite_open(path, &cfg, &db, &err) != SEALDB_OK) {
        die("sealdb_sqlite_open failed", err.message);
    }
    return db;
}

static void remove_work_files(const char *db_path)
{
    const char *suffixes[] = {"", "-wal", "-journal", "-shm"};
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        snprintf(path, sizeof path, "%s%s", db_path, suffixes[i]);
        unlink(path);
    }
}

/* Writes the fuzz_open seeds for one pair of files under several modes. */
typedef struct open_mode {
    uint8_t mode, mode2;
} open_mode;

static void write_open_seeds(const variant *v, const char *kind, const uint8_t *db, size_t db_len,
                             const uint8_t *second, size_t second_len, const open_mode *modes,
                             size_t nmodes)
{
    const uint8_t layout = v->layout == SEALDB_LAYOUT_TURSO ? 2 : 1;
    for (size_t i = 0; i < nmodes; i++) {
        uint8_t prefix[FUZZ_OPEN_PREFIX];
        /* the default layout (0) for the first seed: it opens either layout */
        prefix[0] = (uint8_t)((i == 0 ? 0 : layout) | v->cipher_index << FUZZ_OPEN_CIPHER_SHIFT |
                              modes[i].mode);
        prefix[1] = modes[i].mode2;
        prefix[2] = (uint8_t)(db_len >> 16);
        prefix[3] = (uint8_t)(db_len >> 8);
        prefix[4] = (uint8_t)db_len;
        char name[128];
        snprintf(name, sizeof name, "%s-%s-%02x%02x", v->name, kind, prefix[0], prefix[1]);
        write_seed(open_dir, name, prefix, sizeof prefix, db, db_len, second, second_len);
    }
}

/* Pages 1 and 2 of a real database as raw-mode fuzz_unseal seeds. */
static void write_raw_seeds_from(const variant *v, const uint8_t *db, size_t db_len)
{
    const size_t ps = (size_t)v->page_size;
    if (db_len < 2 * ps) {
        die("database shorter than two pages", v->name);
    }
    for (uint32_t pgno = 1; pgno <= 2; pgno++) {
        uint8_t prefix[RAW_PREFIX] = {0};
        fuzz_put_be32(prefix + 1, pgno);
        char name[128];
        snprintf(name, sizeof name, "raw-%s-page%u", v->name, pgno);
        write_seed(unseal_dir, name, prefix, sizeof prefix, db, 100, db + (pgno - 1) * ps, ps);
    }
}

static void make_open_seeds(const variant *v)
{
    char db_path[PATH_MAX], second_path[PATH_MAX];
    snprintf(db_path, sizeof db_path, "%s/db", work_dir);
    remove_work_files(db_path);
    char sql[128];
    size_t db_len, second_len;
    uint8_t *db_bytes, *second;

    /* 1. the database file alone, journal_mode DELETE */
    sqlite3 *db = open_or_die(db_path, v);
    snprintf(sql, sizeof sql, "PRAGMA page_size = %d; PRAGMA journal_mode = DELETE;", v->page_size);
    exec_or_die(db, sql);
    exec_or_die(db, fill_sql);
    sqlite3_close(db);
    db_bytes = slurp(db_path, &db_len);
    const open_mode db_modes[] = {{0, 0},
                                  {0, FUZZ_OPEN2_ALIGN},
                                  {FUZZ_OPEN_WRITE, 0},
                                  {FUZZ_OPEN_WRITE, FUZZ_OPEN2_SWITCH | FUZZ_OPEN2_TRUNCATE},
                                  {FUZZ_OPEN_READONLY, 0}};
    write_open_seeds(v, "db", db_bytes, db_len, NULL, 0, db_modes, N_MODES(db_modes));
    write_raw_seeds_from(v, db_bytes, db_len);
    free(db_bytes);

    /* 2. a hot journal: a transaction caught before its commit. With
     * synchronous OFF the journal header is complete from the start. */
    db = open_or_die(db_path, v);
    exec_or_die(db, "PRAGMA synchronous = OFF; PRAGMA cache_size = 2; BEGIN;"
                    "UPDATE t SET b = b || ' changed', c = zeroblob(a * 11);"
                    "DELETE FROM kv WHERE k = 'beta';");
    snprintf(second_path, sizeof second_path, "%s-journal", db_path);
    db_bytes = slurp(db_path, &db_len);
    second = slurp(second_path, &second_len);
    if (!second) {
        die("no rollback journal to copy", v->name);
    }
    exec_or_die(db, "ROLLBACK");
    sqlite3_close(db);
    const open_mode journal_modes[] = {{FUZZ_OPEN_JOURNAL, 0},
                                       {FUZZ_OPEN_JOURNAL, FUZZ_OPEN2_ALIGN},
                                       {FUZZ_OPEN_JOURNAL | FUZZ_OPEN_WRITE, 0}};
    write_open_seeds(v, "journal", db_bytes, db_len, second, second_len, journal_modes,
                     N_MODES(journal_modes));
    free(db_bytes);
    free(second);

    /* 3. a WAL with committed frames, copied before any checkpoint */
    db = open_or_die(db_path, v);
    exec_or_die(db, "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;");
    exec_or_die(db, "INSERT INTO t(b, c) VALUES ('in the wal', zeroblob(100));"
                    "UPDATE t SET b = upper(b) WHERE a % 5 = 0;"
                    "INSERT INTO kv VALUES ('delta', 4);"
                    "CREATE TABLE w(x);"
                    "INSERT INTO w VALUES (1), (2), (zeroblob(1500));");
    snprintf(second_path, sizeof second_path, "%s-wal", db_path);
    db_bytes = slurp(db_path, &db_len);
    second = slurp(second_path, &second_len);
    if (!second || second_len <= 32) {
        die("no WAL frames to copy", v->name);
    }
    sqlite3_close(db);
    const open_mode wal_modes[] = {{0, 0},
                                   {0, FUZZ_OPEN2_ALIGN},
                                   {FUZZ_OPEN_FIXWAL, 0},
                                   {FUZZ_OPEN_WRITE, 0},
                                   {FUZZ_OPEN_WRITE, FUZZ_OPEN2_SWITCH},
                                   {FUZZ_OPEN_WRITE, FUZZ_OPEN2_APPEND},
                                   {FUZZ_OPEN_WRITE | FUZZ_OPEN_FIXWAL, FUZZ_OPEN2_TRUNCATE},
                                   {FUZZ_OPEN_READONLY, 0}};
    write_open_seeds(v, "wal", db_bytes, db_len, second, second_len, wal_modes, N_MODES(wal_modes));
    free(db_bytes);
    free(second);
    remove_work_files(db_path);
}

/* ---- fuzz_unseal seeds ------------------------------------------------------------------------
 */

/* SQLite's view of a page 1 for a page size and reserve, with some content. */
static void plain_page1(uint8_t *page, uint32_t page_size, uint32_t reserved)
{
    memset(page, 0, page_size);
    memcpy(page, "SQLite format 3", 16);
    page[16] = (uint8_t)(page_size >> 8);
    page[17] = (uint8_t)(page_size >> 16);
    page[18] = page[19] = 1;
    page[20] = (uint8_t)reserved;
    page[21] = 64;
    page[22] = page[23] = 32;
    page[31] = 1;   /* database size in pages */
    page[100] = 13; /* a leaf table b-tree page */
    page[105] = (uint8_t)((page_size - reserved) >> 8);
    page[106] = (uint8_t)(page_size - reserved);
}

static void make_unseal_seeds(void)
{
    const struct {
        sealdb_cipher_id cipher;
        sealdb_layout layout;
        uint32_t page_size;
    } cases[] = {
        {SEALDB_AEGIS128L, SEALDB_LAYOUT_HARDENED, 4096},
        {SEALDB_AEGIS128L, SEALDB_LAYOUT_TURSO, 512},
        {SEALDB_AEGIS256, SEALDB_LAYOUT_HARDENED, 1024},
        {SEALDB_AES128GCM, SEALDB_LAYOUT_TURSO, 1024},
        {SEALDB_AES256GCM, SEALDB_LAYOUT_HARDENED, 512},
        {SEALDB_AEGIS128X4, SEALDB_LAYOUT_TURSO, 2048},
        {SEALDB_AEGIS256X2, SEALDB_LAYOUT_HARDENED, 8192},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const uint32_t ps = cases[i].page_size;
        seal_ctx *c = NULL;
        sealdb_error err;
        if (seal_ctx_create_salted(&c, cases[i].cipher, cases[i].layout, fuzz_key,
                                   sealdb_cipher_key_bytes(cases[i].cipher), fuzz_salt,
                                   &err) != SEALDB_OK) {
            die("seal_ctx_create_salted failed", err.message);
        }
        uint8_t *plain = malloc(ps), *page1 = malloc(ps), *other = malloc(ps);
        if (!plain || !page1 || !other) {
            die("out of memory", NULL);
        }
        const uint32_t reserved = seal_ctx_reserved(c);
        plain_page1(plain, ps, reserved);
        if (seal_page(c, page1, plain, ps, 1) != SEALDB_OK) {
            die("seal_page failed", NULL);
        }
        const char *layout = sealdb_layout_name(cases[i].layout);
        const char *cipher = sealdb_cipher_name(cases[i].cipher);
        char name[128];
        uint8_t prefix[RAW_PREFIX] = {0};

        /* raw mode: page 1, page 2, the journal image of page 2 at 516 */
        fuzz_put_be32(prefix + 1, 1);
        snprintf(name, sizeof name, "raw-%s-%s-%u-page1", cipher, layout, ps);
        write_seed(unseal_dir, name, prefix, RAW_PREFIX, page1, 100, page1, ps);
        memset(plain, 0, ps);
        plain[0] = 13;
        memset(plain + 8, 0x5a, ps - reserved - 8);
        if (seal_page(c, other, plain, ps, 2) != SEALDB_OK) {
            die("seal_page failed", NULL);
        }
        fuzz_put_be32(prefix + 1, 2);
        snprintf(name, sizeof name, "raw-%s-%s-%u-page2", cipher, layout, ps);
        write_seed(unseal_dir, name, prefix, RAW_PREFIX, page1, 100, other, ps);
        if (seal_journal_page(c, other, plain, ps, 516, 2) != SEALDB_OK) {
            die("seal_journal_page failed", NULL);
        }
        fuzz_put_be64(prefix + 5, 516);
        snprintf(name, sizeof name, "raw-%s-%s-%u-journal516", cipher, layout, ps);
        write_seed(unseal_dir, name, prefix, RAW_PREFIX, page1, 100, other, ps);

        /* seal mode: page 1, page 7, a journal image; one with a flip */
        int log2 = 0;
        while ((512u << log2) < ps) {
            log2++;
        }
        const struct {
            uint8_t mode;
            uint32_t pgno;
            uint64_t offset;
            uint8_t nflips;
            const char *what;
        } seals[] = {{1, 1, 0, 0, "page1"},
                     {1, 7, 0, 0, "page7"},
                     {3, 2, 516, 0, "journal516"},
                     {1, 2, 0, 1, "page2-flip"}};
        for (size_t j = 0; j < sizeof seals / sizeof seals[0]; j++) {
            uint8_t head[16 + 1 + 3 + 32];
            size_t n = 0;
            head[n++] = seals[j].mode;
            head[n++] = (uint8_t)(cases[i].cipher - 1);
            head[n++] = cases[i].layout == SEALDB_LAYOUT_TURSO;
            head[n++] = (uint8_t)log2;
            fuzz_put_be32(head + n, seals[j].pgno);
            n += 4;
            fuzz_put_be64(head + n, seals[j].offset);
            n += 8;
            head[n++] = seals[j].nflips;
            if (seals[j].nflips) {
                head[n++] = 0x01; /* flip bit 7 of byte 0x123 */
                head[n++] = 0x23;
                head[n++] = 0x80;
            }
            memset(head + n, 0xa7, 32); /* the nonce */
            n += 32;
            snprintf(name, sizeof name, "seal-%s-%s-%u-%s", cipher, layout, ps, seals[j].what);
            write_seed(unseal_dir, name, head, n, plain, ps, NULL, 0);
        }
        free(plain);
        free(page1);
        free(other);
        seal_ctx_close(c);
    }
}

/* ---- fuzz_files seeds: a real backup and a real key-slot file ----------------------------- */

static void make_files_seeds(void)
{
    char hex[65], db[PATH_MAX], backup[PATH_MAX], slots[PATH_MAX];
    for (int i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", fuzz_key[i]);
    }
    snprintf(db, sizeof db, "%s/files.db", work_dir);
    snprintf(backup, sizeof backup, "%s/files.backup", work_dir);
    snprintf(slots, sizeof slots, "%s/files.db-keyslots", work_dir);
    sealdb_sqlite_config cfg = {.hexkey = hex, .keyslots = 1};
    sqlite3 *conn = NULL;
    sealdb_error err;
    if (sealdb_sqlite_open(db, &cfg, &conn, &err) != SEALDB_OK) {
        die("cannot create the key-slot seed database", err.message);
    }
    exec_or_die(conn, fill_sql);
    sqlite3_close(conn);
    sealdb_sqlite_config key = {.hexkey = hex};
    sealdb_sqlite_config extra = {.hexkey = hex};
    int number = 0;
    if (sealdb_keyslot_add(db, &key, &extra, "second", &number, &err) != SEALDB_OK ||
        sealdb_backup(db, &key, backup, NULL, 1, &err) != SEALDB_OK) {
        die("cannot make the files seeds", err.message);
    }
    static const uint8_t backup_mode = 0, slots_mode = 1, slots_add_mode = 3;
    size_t n = 0;
    uint8_t *bytes = slurp(backup, &n);
    write_seed(files_dir, "backup", &backup_mode, 1, bytes, n, NULL, 0);
    free(bytes);
    bytes = slurp(slots, &n);
    write_seed(files_dir, "keyslots", &slots_mode, 1, bytes, n, NULL, 0);
    write_seed(files_dir, "keyslots-add", &slots_add_mode, 1, bytes, n, NULL, 0);
    free(bytes);
    remove_work_files(db);
    unlink(slots);
    unlink(backup);
}

/* ---- fuzz_btree seeds: a plain database of 512-byte pages -------------------------------- */

static void make_btree_seeds(void)
{
    char db[PATH_MAX];
    snprintf(db, sizeof db, "%s/btree.db", work_dir);
    unlink(db);
    sqlite3 *conn = NULL;
    if (sqlite3_open(db, &conn) != SQLITE_OK) {
        die("cannot create the B-tree seed database", db);
    }
    exec_or_die(conn, "PRAGMA page_size=512; CREATE TABLE t(a INTEGER PRIMARY KEY, b);"
                      "CREATE INDEX i ON t(b);"
                      "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x<60) "
                      "INSERT INTO t SELECT x * 7 - 100, substr(hex(randomblob(400)), 1, x * 11) "
                      "FROM n; DELETE FROM t WHERE a % 3 = 0;");
    sqlite3_close(conn);
    size_t n = 0;
    uint8_t *bytes = slurp(db, &n);
    /* mode: bit 0 write, bits 1..3 root - 1, bit 4 write the index */
    static const struct {
        const char *name;
        uint8_t mode;
    } seeds[] = {
        {"schema", 0}, {"table", 2}, {"index", 4}, {"table-write", 3}, {"index-write", 5 | 16}};
    for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
        write_seed(btree_dir, seeds[i].name, &seeds[i].mode, 1, bytes, n, NULL, 0);
    }
    free(bytes);
    unlink(db);
}

/* ---- fuzz_record seeds: records SQLite wrote ------------------------------------------------- */

typedef struct file_pages {
    uint8_t *bytes;
    size_t len;
    uint32_t page_size;
} file_pages;

static int file_page_get(void *ctx, uint32_t pgno, const uint8_t **data, void **ref)
{
    file_pages *f = ctx;
    if (pgno == 0 || (size_t)pgno * f->page_size > f->len) {
        return SEALDB_EIO;
    }
    *data = f->bytes + (size_t)(pgno - 1) * f->page_size;
    *ref = NULL;
    return SEALDB_OK;
}

static void file_page_put(void *ctx, void *ref)
{
    (void)ctx;
    (void)ref;
}

/* Writes a fuzz_record seed per pair of consecutive entries of the tree at
 * root (the first `pairs` of them). */
static void write_record_seeds(file_pages *f, uint32_t root, int is_index, const char *kind,
                               uint8_t coll_seed, uint8_t desc_bits, int pairs)
{
    btree_pages src = {.ctx = f,
                       .get = file_page_get,
                       .put = file_page_put,
                       .page_size = f->page_size,
                       .usable = f->page_size - f->bytes[20],
                       .page_count = (uint32_t)(f->len / f->page_size)};
    btree_cursor c;
    int eof = 0, written = 0;
    uint8_t prev[4096];
    uint32_t prev_len = 0;
    if (btree_cursor_init(&c, &src, root, is_index) != SEALDB_OK ||
        btree_first(&c, &eof) != SEALDB_OK) {
        die("cannot read the record seed database", kind);
    }
    while (!eof && written < pairs) {
        const uint8_t *p;
        uint32_t len;
        if (btree_payload(&c, &p, &len) != SEALDB_OK || len > sizeof prev) {
            die("cannot read a record seed", kind);
        }
        if (prev_len) {
            const uint8_t prefix[4] = {coll_seed, desc_bits, (uint8_t)(prev_len >> 8),
                                       (uint8_t)prev_len};
            char name[64];
            snprintf(name, sizeof name, "%s-%02d", kind, written++);
            write_seed(record_dir, name, prefix, sizeof prefix, prev, prev_len, p, len);
        }
        memcpy(prev, p, len);
        prev_len = len;
        if (btree_next(&c, &eof) != SEALDB_OK) {
            die("cannot read the record seed database", kind);
        }
    }
    btree_cursor_close(&c);
}

static uint32_t root_page(sqlite3 *conn, const char *name)
{
    sqlite3_stmt *st = NULL;
    int root = 0;
    if (sqlite3_prepare_v2(conn, "SELECT rootpage FROM sqlite_schema WHERE name = ?", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW) {
            root = sqlite3_column_int(st, 0);
        }
    }
    sqlite3_finalize(st);
    if (root <= 0) {
        die("no root page for", name);
    }
    return (uint32_t)root;
}

static void make_record_seeds(void)
{
    char db[PATH_MAX];
    snprintf(db, sizeof db, "%s/record.db", work_dir);
    unlink(db);
    sqlite3 *conn = NULL;
    if (sqlite3_open(db, &conn) != SQLITE_OK) {
        die("cannot create the record seed database", db);
    }
    exec_or_die(conn,
                "PRAGMA page_size=4096; CREATE TABLE t(a, b, c REAL, d, e);"
                "CREATE INDEX i ON t(a COLLATE NOCASE DESC, b COLLATE RTRIM, d);"
                "INSERT INTO t VALUES (NULL, 0, 1.0, 'Abc', x''), (1, -1, 2.5, 'abc  ', x'00ff'),"
                "(127, 128, -0.0, '', zeroblob(3)), (-32769, 8388608, 140737488355328,"
                " 'a' || char(0) || 'b', 'ZZ'), (2147483648, 140737488355328, 1e300, 9.5, NULL),"
                "(9223372036854775807, -9223372036854775808, 123456789, 'caf' || char(233), 7),"
                "(4.0, 'NoCase', NULL, x'414243', -0.0), ('rtrim   ', 3.25, 17,"
                " printf('%.*c', 70, 'x'), 1e-300), (x'', '', 0, NULL, 'last');"
                "CREATE TABLE wide(c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14,"
                " c15, c16, c17, c18, c19, c20, c21, c22, c23, c24, c25, c26, c27, c28, c29, c30,"
                " c31, c32, c33, c34, c35, c36, c37, c38, c39);"
                "INSERT INTO wide(c0, c20, c33, c39) VALUES (1, 'twenty', 33.5, x'39'),"
                " (NULL, 2, 3, 4), ('x', NULL, NULL, 'y');");
    const uint32_t t_root = root_page(conn, "t"), i_root = root_page(conn, "i"),
                   w_root = root_page(conn, "wide");
    sqlite3_close(conn);
    file_pages f = {0};
    f.bytes = slurp(db, &f.len);
    if (!f.bytes || f.len < 512) {
        die("cannot read the record seed database", db);
    }
    f.page_size = (uint32_t)f.bytes[16] << 8 | f.bytes[17];
    /* collations: BINARY, NOCASE, RTRIM by field; DESC on field 0 for the index */
    write_record_seeds(&f, t_root, 0, "row", 0, 0, 8);
    write_record_seeds(&f, i_root, 1, "index", 0x09, 0x01, 8);
    write_record_seeds(&f, w_root, 0, "wide", 0, 0, 2);
    free(f.bytes);
    unlink(db);
}

static void make_dir(char *out, size_t cap, const char *base, const char *name)
{
    snprintf(out, cap, "%s/%s", base, name);
    if (mkdir(out, 0700) != 0 && errno != EEXIST) {
        die("cannot create the directory", out);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus DIR  (writes DIR/open, DIR/unseal, DIR/files, "
                        "DIR/btree and DIR/record)\n");
        return 2;
    }
    if (mkdir(argv[1], 0700) != 0 && errno != EEXIST) {
        die("cannot create the directory", argv[1]);
    }
    make_dir(open_dir, sizeof open_dir, argv[1], "open");
    make_dir(unseal_dir, sizeof unseal_dir, argv[1], "unseal");
    make_dir(files_dir, sizeof files_dir, argv[1], "files");
    make_dir(btree_dir, sizeof btree_dir, argv[1], "btree");
    make_dir(record_dir, sizeof record_dir, argv[1], "record");
    snprintf(work_dir, sizeof work_dir, "%s/work-XXXXXX", argv[1]);
    if (!mkdtemp(work_dir)) {
        die("cannot create a work directory", work_dir);
    }
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        make_open_seeds(&variants[i]);
    }
    make_unseal_seeds();
    make_files_seeds();
    make_btree_seeds();
    make_record_seeds();
    rmdir(work_dir);
    printf("make_corpus: %d seeds in %s/open, %s/unseal, %s/files, %s/btree and %s/record\n",
           seeds_written, argv[1], argv[1], argv[1], argv[1], argv[1]);
    return 0;
}
