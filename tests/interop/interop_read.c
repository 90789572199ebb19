/*
 * interop_read.c - step 1 of the Turso interop test: sealdb reads databases
 * that Turso Database wrote.
 *
 * usage: interop_read MANIFEST
 *
 * The manifest (written by turso_write.mjs) lists Turso-encrypted databases,
 * one per cipher, each with committed transactions that live only in its
 * WAL, and the canonical rows Turso read from it. For each database this
 * program checks, through SQLite and the sealdb VFS (layout turso):
 * - a wrong key is refused with SEALDB_EWRONGKEY and a wrong cipher with
 *   SEALDB_EMISMATCH, and neither touches the WAL;
 * - the right key opens it, PRAGMA sealdb_info names the cipher and the
 *   turso layout, every query of the expected file returns exactly Turso's
 *   rows (so the WAL-only transactions were read), and integrity_check is ok;
 * - a TRUNCATE checkpoint succeeds and empties the WAL, so the .db file
 *   now holds pages sealdb wrote; the driver then has Turso read it again;
 * - the native B-tree cursors, reading that file page by page, find the
 *   rows and index entries SQLite finds, in the same orders.
 * Exits 0 when every check passed, 1 otherwise.
 */
#include <libgen.h>
#include <sealdb.h>
#include <sqlite3.h>

#include "btree.h"
#include "check.h"
#include "crypto.h"
#include "interop.h"

/* The single text value a statement returns, or NULL (free with sqlite3_free). */
static char *query_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    char *out = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_text(st, 0)) {
        out = sqlite3_mprintf("%s", (const char *)sqlite3_column_text(st, 0));
    } else {
        fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return out;
}

/* Another cipher with the same key length, to provoke a cipher mismatch. */
static const char *other_cipher(const char *cipher)
{
    sealdb_cipher_id id = 0;
    if (sealdb_cipher_lookup(cipher, &id, NULL) != SEALDB_OK) {
        return "aegis256";
    }
    for (int o = SEALDB_CIPHER_MIN; o <= SEALDB_CIPHER_MAX; o++) {
        if (o != (int)id && sealdb_cipher_key_bytes(o) == sealdb_cipher_key_bytes(id)) {
            return sealdb_cipher_name(o);
        }
    }
    return "aegis256";
}

/* Opening with a wrong key or cipher must fail with `expected` and leave no
 * connection behind. */
static void check_refused(const interop_entry *e, const char *cipher, const char *hexkey,
                          int expected)
{
    sealdb_sqlite_config cfg = {.cipher = cipher, .hexkey = hexkey, .layout = SEALDB_LAYOUT_TURSO};
    sqlite3 *db = NULL;
    sealdb_error err = {0};
    INTEROP_CHECK_INT(sealdb_sqlite_open(e->db, &cfg, &db, &err), expected,
                      "%s opened with cipher %s and a %s key: %s", e->db, cipher,
                      strcmp(hexkey, e->hexkey) ? "wrong" : "right", err.message);
    CHECK(db == NULL);
    sqlite3_close(db);
}

/* ---- the native B-tree on the same file ----------------------------------------------------
 *
 * After the checkpoint the database file holds every row. The native
 * cursors read it page by page (each page unsealed under the key) and must
 * find exactly the rowids SQLite finds, in the table's order and in each
 * index's order (an index record ends with its row's rowid). */

typedef struct sealed_file {
    FILE *f;
    seal_ctx *seal;
    uint32_t page_size;
    int failed_unseals;
} sealed_file;

static int sealed_get(void *ctx, uint32_t pgno, const uint8_t **data, void **ref)
{
    sealed_file *sf = ctx;
    uint8_t *page = malloc(sf->page_size);
    if (!page || fseek(sf->f, (long)(pgno - 1) * (long)sf->page_size, SEEK_SET) != 0 ||
        fread(page, 1, sf->page_size, sf->f) != sf->page_size) {
        free(page);
        return SEALDB_EIO;
    }
    if (unseal_page(sf->seal, page, sf->page_size, pgno) != SEALDB_OK) {
        sf->failed_unseals++;
        free(page);
        return SEALDB_ECORRUPT;
    }
    *data = page;
    *ref = page;
    return SEALDB_OK;
}

static void sealed_put(void *ctx, void *ref)
{
    (void)ctx;
    free(ref);
}

/* Column k of a record: its serial type and where its bytes are. */
static int record_column(const uint8_t *rec, uint32_t len, int k, uint64_t *type,
                         const uint8_t **body)
{
    uint64_t hlen = 0;
    const uint8_t *end = rec + len;
    uint32_t h = 0, off;
    uint64_t x = 0;
    do {
        if (rec + h >= end) {
            return -1;
        }
        x = x << 7 | (rec[h] & 0x7f);
    } while (rec[h++] & 0x80);
    hlen = x;
    off = (uint32_t)hlen;
    for (int i = 0; h < hlen; i++) {
        x = 0;
        do {
            if (rec + h >= end) {
                return -1;
            }
            x = x << 7 | (rec[h] & 0x7f);
        } while (rec[h++] & 0x80);
        static const uint8_t sizes[12] = {0, 1, 2, 3, 4, 6, 8, 8, 0, 0, 0, 0};
        const uint64_t size = x >= 12 ? (x - 12) / 2 : sizes[x];
        if (i == k) {
            *type = x;
            *body = rec + off;
            return off + size <= len ? 0 : -1;
        }
        off += (uint32_t)size;
    }
    return -1;
}

static int64_t record_int(uint64_t type, const uint8_t *p)
{
    if (type == 8 || type == 9) {
        return (int64_t)type - 8;
    }
    static const uint8_t sizes[7] = {0, 1, 2, 3, 4, 6, 8};
    int64_t v = (int8_t)p[0];
    for (int b = 1; b < sizes[type]; b++) {
        v = (int64_t)((uint64_t)v << 8 | p[b]);
    }
    return v;
}

/* Rowids of a native walk of the tree at root: the table's own, or the last
 * column of each index record. */
static int64_t *native_rowids(btree_pages *src, uint32_t root, int is_index, size_t *n)
{
    btree_cursor c;
    btree_cursor_init(&c, src, root, is_index);
    size_t cap = 256;
    int64_t *ids = malloc(cap * sizeof *ids);
    *n = 0;
    int eof = 0;
    int rc = btree_first(&c, &eof);
    while (rc == SEALDB_OK && !eof) {
        int64_t id = btree_rowid(&c);
        if (is_index) {
            const uint8_t *p, *body;
            uint32_t len;
            uint64_t type = 0;
            int cols = 0;
            rc = btree_payload(&c, &p, &len);
            while (rc == SEALDB_OK && record_column(p, len, cols, &type, &body) == 0) {
                cols++;
            }
            CHECK(cols >= 2 && record_column(p, len, cols - 1, &type, &body) == 0 && type >= 1 &&
                  type <= 9 && type != 7);
            id = record_int(type, body);
        }
        if (*n == cap) {
            ids = realloc(ids, (cap *= 2) * sizeof *ids);
        }
        ids[(*n)++] = id;
        if (rc == SEALDB_OK) {
            rc = btree_next(&c, &eof);
        }
    }
    CHECK_INT(rc, SEALDB_OK);
    btree_cursor_close(&c);
    return ids;
}

static int64_t *sql_rowids(sqlite3 *db, const char *sql, size_t *n)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 256;
    int64_t *ids = malloc(cap * sizeof *ids);
    *n = 0;
    CHECK_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            ids = realloc(ids, (cap *= 2) * sizeof *ids);
        }
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return ids;
}

static void check_native(const interop_entry *e)
{
    sealed_file sf = {0};
    sf.f = fopen(e->db, "rb");
    uint8_t hdr[100];
    seal_file_info info;
    sealdb_error err = {0};
    uint8_t key[32];
    size_t key_len = 0;
    if (!sf.f || fread(hdr, 1, 100, sf.f) != 100 || seal_header_read(hdr, &info, &err) != 0 ||
        crypto_hex_decode(key, sizeof key, &key_len, e->hexkey, NULL) != 0 ||
        seal_ctx_open(&sf.seal, &info, key, key_len, &err) != SEALDB_OK) {
        CHECK(0 && "native open of the Turso file");
        if (sf.f) {
            fclose(sf.f);
        }
        return;
    }
    crypto_wipe(key, sizeof key);
    sf.page_size = info.page_size;
    fseek(sf.f, 0, SEEK_END);
    btree_pages src = {.ctx = &sf,
                       .get = sealed_get,
                       .put = sealed_put,
                       .page_size = info.page_size,
                       .usable = info.page_size - info.reserved,
                       .page_count = (uint32_t)(ftell(sf.f) / (long)info.page_size)};
    /* the schema: names to root pages */
    uint32_t root_items = 0, root_name_qty = 0, root_price = 0;
    btree_cursor c;
    btree_cursor_init(&c, &src, 1, 0);
    int eof = 0;
    for (int rc = btree_first(&c, &eof); rc == SEALDB_OK && !eof; rc = btree_next(&c, &eof)) {
        const uint8_t *p, *name, *root;
        uint32_t len;
        uint64_t tn = 0, tr = 0;
        if (btree_payload(&c, &p, &len) != SEALDB_OK || record_column(p, len, 1, &tn, &name) ||
            record_column(p, len, 3, &tr, &root) || tn < 13 || tr < 1 || tr > 6) {
            CHECK(0 && "a schema row");
            continue;
        }
        const size_t nl = (size_t)(tn - 13) / 2;
        const uint32_t r = (uint32_t)record_int(tr, root);
        if (nl == 5 && memcmp(name, "items", 5) == 0) {
            root_items = r;
        } else if (nl == 14 && memcmp(name, "items_name_qty", 14) == 0) {
            root_name_qty = r;
        } else if (nl == 11 && memcmp(name, "items_price", 11) == 0) {
            root_price = r;
        }
    }
    btree_cursor_close(&c);
    CHECK(root_items > 1 && root_name_qty > 1 && root_price > 1);

    sealdb_sqlite_config cfg = {
        .cipher = e->cipher, .hexkey = e->hexkey, .layout = SEALDB_LAYOUT_TURSO};
    sqlite3 *db = NULL;
    CHECK_INT(sealdb_sqlite_open(e->db, &cfg, &db, &err), SEALDB_OK);
    static const char *const orders[3] = {"SELECT id FROM items ORDER BY id",
                                          "SELECT id FROM items ORDER BY name, qty, id",
                                          "SELECT id FROM items ORDER BY price, id"};
    const uint32_t roots[3] = {root_items, root_name_qty, root_price};
    for (int t = 0; t < 3 && db; t++) {
        size_t nn = 0, ns = 0;
        int64_t *native = native_rowids(&src, roots[t], t > 0, &nn);
        int64_t *sql = sql_rowids(db, orders[t], &ns);
        CHECK(ns > 100);
        CHECK_INT((long)nn, (long)ns);
        CHECK(nn == ns && memcmp(native, sql, nn * sizeof *sql) == 0);
        if (t == 0) {
            /* and a seek to every row */
            btree_cursor_init(&c, &src, root_items, 0);
            int bad = 0, cmp = 0;
            for (size_t i = 0; i < ns; i++) {
                bad += btree_seek_rowid(&c, sql[i], &cmp, &eof) != SEALDB_OK || eof || cmp != 0 ||
                       btree_rowid(&c) != sql[i];
            }
            btree_cursor_close(&c);
            CHECK_INT(bad, 0);
        }
        printf("     native %-14s %zu entries in SQLite's order\n",
               t == 0   ? "items"
               : t == 1 ? "items_name_qty"
                        : "items_price",
               nn);
        free(native);
        free(sql);
    }
    sqlite3_close(db);
    CHECK_INT(sf.failed_unseals, 0);
    seal_ctx_close(sf.seal);
    fclose(sf.f);
}

static void check_database(const interop_entry *e)
{
    const int before = check_failures;
    CHECK_STR(e->layout, "turso");
    interop_wal wal;
    CHECK_INT(interop_wal_count(e->db, &wal), 0);
    CHECK(wal.frames > 0 && wal.commits > 0); /* the test is about data in the WAL */

    /* refusals first, while the WAL still holds Turso's frames */
    char wrong[sizeof e->hexkey];
    snprintf(wrong, sizeof wrong, "%s", e->hexkey);
    wrong[0] = wrong[0] == '0' ? '1' : '0';
    check_refused(e, e->cipher, wrong, SEALDB_EWRONGKEY);
    check_refused(e, other_cipher(e->cipher), e->hexkey, SEALDB_EMISMATCH);
    interop_wal again;
    CHECK_INT(interop_wal_count(e->db, &again), 0);
    CHECK_INT(again.size, wal.size);

    sealdb_sqlite_config cfg = {
        .cipher = e->cipher, .hexkey = e->hexkey, .layout = SEALDB_LAYOUT_TURSO};
    sqlite3 *db = NULL;
    sealdb_error err = {0};
    INTEROP_CHECK_INT(sealdb_sqlite_open(e->db, &cfg, &db, &err), SEALDB_OK, "%s: %s", e->db,
                      err.message);
    if (!db) {
        return;
    }
    sealdb_cipher_id id = 0;
    CHECK_INT(sealdb_cipher_lookup(e->cipher, &id, NULL), SEALDB_OK);
    char info[128];
    snprintf(info, sizeof info, "cipher=%s layout=turso reserved=%zu", e->cipher,
             sealdb_cipher_nonce_bytes(id) + SEALDB_TAG_BYTES);
    char *got_info = query_text(db, "PRAGMA sealdb_info");
    CHECK_STR(got_info, info);
    sqlite3_free(got_info);

    char *want = interop_read_file(e->canon, NULL);
    CHECK(want != NULL);
    interop_text got = {0};
    if (want) {
        CHECK_INT(interop_canon_replay(db, want, &got), SQLITE_OK);
        CHECK(interop_canon_equal(e->db, got.data ? got.data : "", want));
    }
    char *integrity = query_text(db, "PRAGMA integrity_check");
    CHECK_STR(integrity, "ok");
    sqlite3_free(integrity);
    char *ckpt = query_text(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    CHECK_STR(ckpt, "0"); /* busy = 0 */
    sqlite3_free(ckpt);
    CHECK_INT(sqlite3_close(db), SQLITE_OK);
    interop_wal after;
    CHECK_INT(interop_wal_count(e->db, &after), 0);
    CHECK(after.size <= 0); /* checkpointed: nothing left in a WAL */
    check_native(e);

    size_t rows = 0;
    for (const char *p = got.data ? got.data : ""; *p; p++) {
        rows += *p == '\n';
    }
    const char *name = strrchr(e->db, '/');
    printf("%-4s %-28s wal %4ld frames, %ld commits; %zu canonical lines\n",
           check_failures == before ? "ok" : "FAIL", name ? name + 1 : e->db, wal.frames,
           wal.commits, rows);
    interop_text_free(&got);
    free(want);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s MANIFEST\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    char dirbuf[4096];
    snprintf(dirbuf, sizeof dirbuf, "%s", argv[1]);
    const char *dir = dirname(dirbuf);
    interop_entry e;
    int n = 0, rc;
    while ((rc = interop_manifest_next(f, dir, &e)) == 1) {
        check_database(&e);
        n++;
    }
    fclose(f);
    CHECK_INT(rc, 0);
    CHECK(n > 0);
    printf("interop_read: %d Turso databases\n", n);
    return check_report();
}
