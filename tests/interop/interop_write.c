/*
 * interop_write.c - step 2 of the Turso interop test: sealdb writes
 * databases for Turso Database to read.
 *
 * usage: interop_write OUTDIR
 *
 * For every cipher it writes, through SQLite and the sealdb VFS:
 *   sealdb-<cipher>.db (+ -wal)    layout turso, for Turso to read
 *   hardened-<cipher>.db (+ -wal)  layout hardened (the default), which
 *                                  Turso must refuse
 * and two more in the turso layout at 1024- and 65536-byte pages
 * (sealdb-<cipher>-ps<size>.db), each with its expected canonical rows
 * (<db>.canon, as SQLite reads them on the writing connection) and a line
 * in OUTDIR/sealdb.list.
 *
 * The data has every storage class: integers up to the 64-bit limits,
 * integral and extreme reals, multi-byte UTF-8, empty and NULL values, blobs
 * and texts larger than a page (overflow chains), index keys larger than an
 * index cell, a column without affinity that holds all five classes. Phase
 * A commits and deletes rows (so the freelist is used) and is checkpointed
 * into the .db file; phase B commits three more transactions (inserts,
 * updates, deletes) that stay only in the WAL: autocheckpoint is off and the
 * connection closes with SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, so SQLite leaves
 * the WAL in place. The program checks that the WAL has exactly those three
 * commits before it exits.
 */
#include <sealdb.h>
#include <sqlite3.h>

#include "check.h"
#include "interop.h"

#define PHASE_A_ROWS 240
#define PHASE_B_ROWS 80

/* Every cipher at 4096-byte pages in both layouts, and two other page sizes (turso layout;
 * turso_write.mjs pairs them with other ciphers). */
typedef struct spec {
    const char *cipher;
    int page_size;
    int hardened_too;
} spec;

static const spec SPECS[] = {
    {"aes128gcm", 4096, 1},   {"aes256gcm", 4096, 1},  {"aegis256", 4096, 1},
    {"aegis256x2", 4096, 1},  {"aegis256x4", 4096, 1}, {"aegis128l", 4096, 1},
    {"aegis128x2", 4096, 1},  {"aegis128x4", 4096, 1}, {"aes128gcm", 1024, 0},
    {"aegis256x4", 65536, 0},
};

static const char *const SCHEMA =
    "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, price REAL,"
    " data BLOB, note TEXT, misc);"
    "CREATE INDEX items_name_qty ON items(name, qty);"
    "CREATE INDEX items_price ON items(price);";

/* The queries whose canonical results Turso must reproduce. */
static const char *const QUERIES[] = {
    "SELECT id, name, qty, price, data, note, misc FROM items ORDER BY id",
    "SELECT name, qty, id FROM items ORDER BY name, qty, id",
    "SELECT price, id FROM items ORDER BY price, id",
    "PRAGMA freelist_count",
    "PRAGMA page_count",
};

#define NWORDS 12
static const char *const WORDS[NWORDS] = {"amber", "birch",  "cedar", "dune",  "ember", "fjord",
                                          "ñandú", "日本語", "🦀",  "Ωmega", "grüße", "ﬁn"};

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    const int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    INTEROP_CHECK_INT(rc, SQLITE_OK, "%.80s: %s", sql, msg ? msg : "");
    sqlite3_free(msg);
}

static long long query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    } else {
        fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return v;
}

/* Words separated by spaces (and now and then a newline), n bytes or a few more. */
static void words(test_rng *r, interop_text *t, size_t n)
{
    while (t->len < n) {
        const char *w = WORDS[test_rng_next(r) % NWORDS];
        interop_text_add(t, w, strlen(w));
        interop_text_add(t, test_rng_next(r) % 10 ? " " : "\n", 1);
    }
}

static void bind_blob(sqlite3_stmt *st, int col, test_rng *r, size_t n)
{
    uint8_t *b = test_xmalloc(n);
    test_rng_fill(r, b, n);
    sqlite3_bind_blob(st, col, b, (int)n, free);
}

static void bind_text(sqlite3_stmt *st, int col, test_rng *r, size_t n)
{
    interop_text t = {0};
    interop_text_add(&t, "", 0);
    words(r, &t, n);
    sqlite3_bind_text(st, col, t.data, (int)t.len, free);
}

/* Binds row `id` in `version` to INSERT OR REPLACE ... VALUES (?1 .. ?7). */
static void bind_row(sqlite3_stmt *st, int id, int version)
{
    test_rng r = {(uint64_t)id * 1000003u + (uint64_t)version * 7919u};
    interop_text name = {0};
    char head[64];
    snprintf(head, sizeof head, "item-%05d-%s", id, WORDS[id % NWORDS]);
    interop_text_add(&name, head, strlen(head));
    if (id % 50 == 0) {
        words(&r, &name, name.len + 1500 + (size_t)id % 700); /* overflows the index cell */
    }
    if (version) {
        snprintf(head, sizeof head, "-v%d", version);
        interop_text_add(&name, head, strlen(head));
    }
    sqlite3_bind_int(st, 1, id);
    sqlite3_bind_text(st, 2, name.data, (int)name.len, free);

    if (id % 13 == 0) {
        sqlite3_bind_null(st, 3);
    } else if (id == 7) {
        sqlite3_bind_int64(st, 3, INT64_MAX);
    } else if (id == 8) {
        sqlite3_bind_int64(st, 3, INT64_MIN);
    } else if (id % 9 == 0) {
        const sqlite3_int64 big = ((sqlite3_int64)1 << 62) + id; /* beyond 2^53 */
        sqlite3_bind_int64(st, 3, id % 2 ? -big : big);
    } else {
        sqlite3_bind_int64(st, 3, (sqlite3_int64)id * 11 - 700 + version);
    }

    double price = id * 0.37 + (double)(test_rng_next(&r) % 1000000) / 1e6;
    if (id % 10 == 0) {
        price = id; /* integral: SQLite stores it as an integer in the REAL column */
    } else if (id % 45 == 0) {
        price = 1e300;
    } else if (id % 47 == 0) {
        price = -2.5e-310; /* subnormal */
    } else if (id == 11) {
        price = -0.0;
    }
    if (id % 17 == 0) {
        sqlite3_bind_null(st, 4);
    } else {
        sqlite3_bind_double(st, 4, version ? price * 2 : price);
    }

    if (id % 23 == 0) {
        sqlite3_bind_null(st, 5);
    } else if (id % 30 == 0) {
        sqlite3_bind_zeroblob(st, 5, 0);
    } else if (id % 20 == 0 || (version && id % 14 == 0)) {
        bind_blob(st, 5, &r, 9000 + (size_t)id * 37 % 8000); /* overflow pages */
    } else if (id >= 97 && id <= 99) {
        bind_blob(st, 5, &r, 200000); /* long overflow chains, even at 64 KiB pages */
    } else {
        bind_blob(st, 5, &r, (size_t)id * 13 % 200);
    }

    if (id % 19 == 0) {
        sqlite3_bind_null(st, 6);
    } else if (id % 25 == 0) {
        bind_text(st, 6, &r, 6000 + (size_t)id * 53 % 14000); /* overflow chain */
    } else if (id % 31 == 0) {
        sqlite3_bind_text(st, 6, "", 0, SQLITE_STATIC);
    } else {
        bind_text(st, 6, &r, 5 + test_rng_next(&r) % 80);
    }

    switch (id % 6) { /* no affinity: every storage class as it was bound */
    case 0: sqlite3_bind_int64(st, 7, (sqlite3_int64)(test_rng_next(&r) >> 1)); break;
    case 1: sqlite3_bind_double(st, 7, (double)id); break; /* integral, stays REAL */
    case 2: sqlite3_bind_double(st, 7, -id / 7.0); break;
    case 3: sqlite3_bind_text(st, 7, WORDS[id % NWORDS], -1, SQLITE_STATIC); break;
    case 4: bind_blob(st, 7, &r, 1 + (size_t)id % 40); break;
    default: sqlite3_bind_null(st, 7); break;
    }
}

static void insert_rows(sqlite3 *db, int first, int last, int step, int version)
{
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?, ?, ?, ?)",
                                 -1, &st, NULL),
              SQLITE_OK);
    exec(db, "BEGIN");
    for (int id = first; id <= last; id += step) {
        bind_row(st, id, version);
        CHECK_INT(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    exec(db, "COMMIT");
    sqlite3_finalize(st);
}

/* Writes one database and its canonical rows; appends its manifest line. */
static void make_database(const char *dir, const spec *sp, sealdb_layout layout, FILE *list)
{
    const char *cipher = sp->cipher;
    const int before = check_failures;
    sealdb_cipher_id id = 0;
    CHECK_INT(sealdb_cipher_lookup(cipher, &id, NULL), SEALDB_OK);
    uint8_t key[SEALDB_MAX_KEY_BYTES];
    const size_t key_len = sealdb_cipher_key_bytes(id);
    CHECK_INT(sealdb_random_bytes(key, key_len), SEALDB_OK);
    char hexkey[2 * SEALDB_MAX_KEY_BYTES + 1];
    for (size_t i = 0; i < key_len; i++) {
        snprintf(hexkey + 2 * i, 3, "%02x", key[i]);
    }
    const char *layout_name = layout == SEALDB_LAYOUT_TURSO ? "turso" : "hardened";
    char name[64], path[4200], canon_path[4300];
    char size[16] = "";
    if (sp->page_size != 4096) {
        snprintf(size, sizeof size, "-ps%d", sp->page_size);
    }
    snprintf(name, sizeof name, "%s-%s%s.db", layout == SEALDB_LAYOUT_TURSO ? "sealdb" : "hardened",
             cipher, size);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(canon_path, sizeof canon_path, "%s.canon", path);
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[4300];
        snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
        remove(p);
    }

    sealdb_sqlite_config cfg = {.cipher = cipher, .hexkey = hexkey, .layout = layout};
    sqlite3 *db = NULL;
    sealdb_error err = {0};
    INTEROP_CHECK_INT(sealdb_sqlite_open(path, &cfg, &db, &err), SEALDB_OK, "%s: %s", path,
                      err.message);
    if (!db) {
        return;
    }
    int off = 0;
    CHECK_INT(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, &off), SQLITE_OK);
    CHECK_INT(off, 1);
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA page_size=%d", sp->page_size);
    exec(db, pragma);
    sqlite3_stmt *st = NULL;
    CHECK_INT(sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL), SQLITE_OK);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_STR((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    exec(db, "PRAGMA wal_autocheckpoint=0");

    /* phase A: checkpointed into the .db file */
    exec(db, SCHEMA);
    for (int a = 1; a <= PHASE_A_ROWS; a += PHASE_A_ROWS / 3) {
        insert_rows(db, a, a + PHASE_A_ROWS / 3 - 1, 1, 0);
    }
    exec(db, "DELETE FROM items WHERE id % 6 = 0 OR id = 97");
    CHECK(query_int(db, "PRAGMA freelist_count") > 0);
    CHECK_INT(query_int(db, "PRAGMA wal_checkpoint(TRUNCATE)"), 0);

    /* phase B: three transactions left in the WAL */
    insert_rows(db, PHASE_A_ROWS + 1, PHASE_A_ROWS + PHASE_B_ROWS, 1, 0);
    insert_rows(db, 7, PHASE_A_ROWS + PHASE_B_ROWS, 7, 1);
    exec(db, "DELETE FROM items WHERE (id % 5 = 0 AND id > 100) OR id = 98");

    CHECK(query_int(db, "PRAGMA freelist_count") > 0);
    CHECK_INT(query_int(db, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = "
                            "'ok'"),
              1);
    interop_text canon = {0};
    for (size_t q = 0; q < sizeof QUERIES / sizeof *QUERIES; q++) {
        CHECK_INT(interop_canon_query(db, QUERIES[q], &canon), SQLITE_OK);
    }
    CHECK_INT(interop_write_file(canon_path, canon.data, canon.len), 0);
    CHECK_INT(sqlite3_close(db), SQLITE_OK);

    interop_wal wal;
    CHECK_INT(interop_wal_count(path, &wal), 0);
    INTEROP_CHECK_INT(wal.commits, 3, "%s: WAL of %lld bytes", path, wal.size);
    INTEROP_CHECK_INT(wal.page_size, sp->page_size, "%s: WAL of %lld bytes", path, wal.size);
    fprintf(list, "%s %s %s %s %s.canon\n", layout_name, cipher, hexkey, name, name);
    printf("%-4s %-28s wal %4ld frames, %ld commits; %zu bytes of canonical rows\n",
           check_failures == before ? "ok" : "FAIL", name, wal.frames, wal.commits, canon.len);
    interop_text_free(&canon);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    char list_path[4200];
    snprintf(list_path, sizeof list_path, "%s/sealdb.list", argv[1]);
    FILE *list = fopen(list_path, "w");
    if (!list) {
        perror(list_path);
        return 1;
    }
    fprintf(list, "# layout cipher hexkey db canon (written by interop_write)\n");
    for (size_t i = 0; i < sizeof SPECS / sizeof *SPECS; i++) {
        make_database(argv[1], &SPECS[i], SEALDB_LAYOUT_TURSO, list);
        if (SPECS[i].hardened_too) {
            make_database(argv[1], &SPECS[i], SEALDB_LAYOUT_DEFAULT, list);
        }
    }
    CHECK_INT(fclose(list), 0);
    return check_report();
}
