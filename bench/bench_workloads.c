/*
 * bench_workloads.c - the workload benchmark on plain SQLite (the
 * baseline) and on sealdb through its SQLite VFS, every cipher in both
 * layouts, all in one process on the distribution's libsqlite3
 * (workloads.h describes the options and output). Runs as the program
 * bench/bench_workloads and as `sealdb bench workloads`.
 *
 * Engines: "sqlite-plain" and "sealdb-<cipher>" with layout "hardened" or
 * "turso". A full run measures aegis128l, aegis256 and aes256gcm in both
 * layouts unless --engines or --all says otherwise; --quick measures all.
 * sealdb opens with sealdb_sqlite_open and a raw key, so no key derivation
 * runs; each engine's key is the fixed benchmark key cut to its length.
 */
#include <stdio.h>
#include <string.h>

#include <sealdb.h>

#include "bench_workloads.h"
#include "workloads.h"

/* One sealdb engine's cipher and layout. */
typedef struct sealdb_engine {
    const char *cipher;
    sealdb_layout layout;
} sealdb_engine;

/* Ciphers in the order they are listed; the first three in a full run. */
static const char *const cipher_names[SEALDB_CIPHER_MAX] = {
    "aegis128l",  "aegis256",   "aes256gcm",  "aegis128x2",
    "aegis128x4", "aegis256x2", "aegis256x4", "aes128gcm"};
#define DEFAULT_CIPHERS 3

static sqlite3 *open_plain(const wl_engine *e, const char *path)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: cannot open %s: %s\n", e->name, path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static sqlite3 *open_sealdb(const wl_engine *e, const char *path)
{
    const sealdb_engine *se = e->ctx;
    sealdb_cipher_id id;
    sealdb_error err;
    if (sealdb_cipher_lookup(se->cipher, &id, &err) != SEALDB_OK) {
        fprintf(stderr, "%s: %s\n", e->name, err.message);
        return NULL;
    }
    unsigned char key[32];
    char hex[65];
    wl_bench_key(key, hex, (int)sizeof key);
    sealdb_sqlite_config cfg = {.cipher = se->cipher,
                                .key = key,
                                .key_len = sealdb_cipher_key_bytes(id),
                                .layout = se->layout};
    sqlite3 *db = NULL;
    if (sealdb_sqlite_open(path, &cfg, &db, &err) != SEALDB_OK) {
        fprintf(stderr, "%s: %s\n", e->name, err.message);
        return NULL;
    }
    return db;
}

/* The back end AUTO picks for each cipher, as JSON members and as text. */
static void describe_backends(char *json, size_t json_cap, char *text, size_t text_cap)
{
    size_t j = 0, t = 0;
    j += (size_t)snprintf(json + j, json_cap - j, ",\"backends\":{");
    for (int i = 0; i < SEALDB_CIPHER_MAX; i++) {
        sealdb_cipher_id id;
        sealdb_cipher *c = NULL;
        unsigned char key[32];
        char hex[65];
        wl_bench_key(key, hex, (int)sizeof key);
        const char *backend = "unavailable";
        if (sealdb_cipher_lookup(cipher_names[i], &id, NULL) == SEALDB_OK &&
            sealdb_cipher_open(&c, id, SEALDB_BACKEND_AUTO, key, sealdb_cipher_key_bytes(id),
                               NULL) == SEALDB_OK) {
            backend = sealdb_backend_name(sealdb_cipher_backend(c));
            sealdb_cipher_close(c);
        }
        if (j < json_cap) {
            j += (size_t)snprintf(json + j, json_cap - j, "%s\"%s\":\"%s\"", i ? "," : "",
                                  cipher_names[i], backend);
        }
        if (t < text_cap) {
            t += (size_t)snprintf(text + t, text_cap - t, "%s%s=%s", i ? " " : "", cipher_names[i],
                                  backend);
        }
    }
    if (j < json_cap) {
        snprintf(json + j, json_cap - j, "}");
    }
}

int bench_workloads_main(int argc, char **argv)
{
    /* in the tool argv[0] is the suite name */
    const char *name = argc > 0 && strcmp(argv[0], "workloads") == 0 ? "sealdb bench workloads"
                                                                     : "bench_workloads";
    if (sealdb_vfs_register(0) != SEALDB_OK) {
        fprintf(stderr, "%s: cannot register the sealdb VFS\n", name);
        return 1;
    }
    static sealdb_engine se[SEALDB_CIPHER_MAX * 2];
    static char names[SEALDB_CIPHER_MAX][32];
    wl_engine engines[1 + SEALDB_CIPHER_MAX * 2];
    int n = 0;
    engines[n++] = (wl_engine){.name = "sqlite-plain", .baseline = 1, .open = open_plain};
    for (int i = 0; i < SEALDB_CIPHER_MAX; i++) {
        snprintf(names[i], sizeof names[i], "sealdb-%s", cipher_names[i]);
        for (int l = 0; l < 2; l++) {
            sealdb_engine *x = &se[2 * i + l];
            x->cipher = cipher_names[i];
            x->layout = l ? SEALDB_LAYOUT_TURSO : SEALDB_LAYOUT_HARDENED;
            engines[n++] = (wl_engine){.name = names[i],
                                       .layout = sealdb_layout_name(x->layout),
                                       .encrypted = 1,
                                       .in_default = i < DEFAULT_CIPHERS,
                                       .open = open_sealdb,
                                       .ctx = x};
        }
    }
    char backends_json[512], backends_text[512], json[1024], text[1024];
    describe_backends(backends_json, sizeof backends_json, backends_text, sizeof backends_text);
    snprintf(json, sizeof json,
             ",\"sealdb_version\":\"%s\",\"key\":\"raw key through sealdb_sqlite_open (no "
             "KDF)\"%s",
             sealdb_version(), backends_json);
    snprintf(text, sizeof text, "sealdb %s | back ends: %s", sealdb_version(), backends_text);
    const wl_program prog = {.name = name,
                             .engines = engines,
                             .n_engines = n,
                             .settings_json = json,
                             .settings_text = text};
    return wl_main(argc, argv, &prog);
}
