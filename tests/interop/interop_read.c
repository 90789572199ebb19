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
 *   now holds pages sealdb wrote; the driver then has Turso read it again.
 * Exits 0 when every check passed, 1 otherwise.
 */
#include <libgen.h>
#include <sealdb.h>
#include <sqlite3.h>

#include "check.h"
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
