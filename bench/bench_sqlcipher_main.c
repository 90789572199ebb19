/*
 * bench_sqlcipher_main.c - the workload benchmark on SQLCipher, compiled
 * against SQLCipher's own sqlite3.h and linked with libsqlcipher, never with
 * libsqlite3 or libsealdb (both libraries export the sqlite3_* symbols).
 * workloads.h describes the options and output.
 *
 * Engines: "sqlcipher-plain" (the baseline: the same library without a key,
 * so the ratio isolates the cost of encryption from the SQLite version) and
 * "sqlcipher". bench/run's report adds ratio_to_sqlite against plain SQLite
 * measured by bench_workloads in the same bench/run.
 *
 * Settings beyond the common ones: the key is raw, PRAGMA key = "x'<64 hex>'",
 * so no PBKDF2 runs (SQLCipher derives only its HMAC key, with 2 iterations,
 * at open, outside the timing). SQLCipher 3.x pages default to 1024 bytes;
 * PRAGMA cipher_page_size = 4096 (and page_size = 4096 as for every engine)
 * makes them 4096 like everyone else's. The cipher is the 3.x default,
 * AES-256-CBC with HMAC-SHA1 per page (48 reserved bytes per page).
 */
#include <stdio.h>
#include <string.h>

#include "workloads.h"

static sqlite3 *open_db(const wl_engine *e, const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: cannot open %s: %s\n", e->name, path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    if (e->encrypted) {
        unsigned char key[32];
        char hex[65], sql[160];
        wl_bench_key(key, hex, (int)sizeof key);
        snprintf(sql, sizeof sql, "PRAGMA key = \"x'%s'\"; PRAGMA cipher_page_size = 4096", hex);
        const int rc = wl_exec(db, sql, e->name);
        memset(sql, 0, sizeof sql);
        if (rc != 0) {
            sqlite3_close(db);
            return NULL;
        }
    }
    return db;
}

/* The text a pragma returns on a keyed in-memory database, or "unknown". */
static void pragma_text(const char *pragma, char *buf, size_t cap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    snprintf(buf, cap, "unknown");
    if (sqlite3_open(":memory:", &db) == SQLITE_OK &&
        sqlite3_exec(db, "PRAGMA key = 'k'", NULL, NULL, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, pragma, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
}

int main(int argc, char **argv)
{
    static const wl_engine engines[] = {
        {.name = "sqlcipher-plain", .baseline = 1, .open = open_db},
        {.name = "sqlcipher", .encrypted = 1, .in_default = 1, .open = open_db},
    };
    char version[64], cipher[64], json[768], text[512];
    pragma_text("PRAGMA cipher_version", version, sizeof version);
    pragma_text("PRAGMA cipher", cipher, sizeof cipher);
    snprintf(json, sizeof json,
             ",\"sqlcipher_version\":\"%s\",\"sqlcipher_cipher\":\"%s\",\"cipher_page_size\":4096,"
             "\"key\":\"raw key, PRAGMA key = \\\"x'<64 hex>'\\\" (no PBKDF2)\","
             "\"note\":\"SQLCipher 3.x defaults to 1024-byte pages; cipher_page_size and "
             "page_size set to 4096\"",
             version, cipher);
    snprintf(text, sizeof text,
             "SQLCipher %s (%s, HMAC-SHA1) | raw key, no KDF | cipher_page_size=4096 "
             "(3.x default 1024)",
             version, cipher);
    const wl_program prog = {.name = "bench_sqlcipher",
                             .engines = engines,
                             .n_engines = (int)(sizeof engines / sizeof engines[0]),
                             .settings_json = json,
                             .settings_text = text};
    return wl_main(argc, argv, &prog);
}
