/*
 * fuzz_files.c - libFuzzer target for the files beside a database that
 * sealdb parses: backups (engine/backup.c) and key-slot files
 * (engine/keys.c).
 *
 * Input: a mode byte, then the file's bytes.
 *   mode bit 0 clear  the bytes are a backup: sealdb_backup_verify and
 *                     sealdb_restore read it under the fixed key. A restore
 *                     that succeeds must yield a database that opens.
 *   mode bit 0 set    the bytes are the key-slot file of a database made
 *                     once per process with key slots under the fixed key:
 *                     the target opens the database, lists the slots, and
 *                     (bit 1) adds a slot.
 * Errors are expected; a crash, a leak, undefined behaviour, or a success
 * that leaves something unusable are findings. Passphrase slots and
 * passphrase backups are refused for a key before any Argon2id runs, so no
 * input can make the target spend seconds in a key derivation.
 */
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"

static char dir[PATH_MAX - 64];
static char db_path[PATH_MAX], slots_path[PATH_MAX], backup_path[PATH_MAX], out_path[PATH_MAX],
    out_slots[PATH_MAX];
static char hexkey[65];

static void write_file(const char *path, const uint8_t *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    FUZZ_ASSERT(f != NULL);
    FUZZ_ASSERT(n == 0 || fwrite(data, 1, n, f) == n);
    FUZZ_ASSERT(fclose(f) == 0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(dir, sizeof dir, "/tmp/sealdb-fuzz-files-XXXXXX");
    FUZZ_ASSERT(mkdtemp(dir) != NULL);
    snprintf(db_path, sizeof db_path, "%s/db", dir);
    snprintf(slots_path, sizeof slots_path, "%s/db-keyslots", dir);
    snprintf(backup_path, sizeof backup_path, "%s/backup", dir);
    snprintf(out_path, sizeof out_path, "%s/out", dir);
    snprintf(out_slots, sizeof out_slots, "%s/out-keyslots", dir);
    for (int i = 0; i < 32; i++) {
        snprintf(hexkey + 2 * i, 3, "%02x", fuzz_key[i]);
    }
    /* the database whose key-slot file the inputs replace */
    sealdb_sqlite_config cfg = {.hexkey = hexkey, .keyslots = 1};
    sqlite3 *db = NULL;
    sealdb_error err;
    FUZZ_ASSERT(sealdb_sqlite_open(db_path, &cfg, &db, &err) == SEALDB_OK);
    FUZZ_ASSERT(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES (1)", NULL, NULL, NULL) ==
                SQLITE_OK);
    sqlite3_close(db);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    const uint8_t mode = data[0];
    sealdb_sqlite_config key = {.hexkey = hexkey};
    sealdb_error err;
    if (!(mode & 1)) {
        write_file(backup_path, data + 1, size - 1);
        sealdb_backup_info info;
        sealdb_backup_verify(backup_path, &key, &info, &err);
        unlink(out_path);
        if (sealdb_restore(backup_path, &key, out_path, NULL, &err) == SEALDB_OK) {
            sqlite3 *db = NULL;
            FUZZ_ASSERT(sealdb_sqlite_open(out_path, &key, &db, &err) == SEALDB_OK);
            sqlite3_close(db);
        }
        unlink(out_path);
        unlink(out_slots);
        unlink(backup_path);
        return 0;
    }
    write_file(slots_path, data + 1, size - 1);
    sqlite3 *db = NULL;
    if (sealdb_sqlite_open(db_path, &key, &db, &err) == SEALDB_OK) {
        sqlite3_exec(db, "SELECT count(*) FROM t", NULL, NULL, NULL);
        sqlite3_close(db);
    }
    sealdb_keyslot slots[16];
    int n = 0;
    if (sealdb_keyslot_list(db_path, slots, 16, &n, &err) == SEALDB_OK) {
        FUZZ_ASSERT(n >= 1 && n <= 16);
    }
    if (mode & 2) {
        sealdb_sqlite_config other = {.hexkey = hexkey};
        int number = 0;
        sealdb_keyslot_add(db_path, &key, &other, "fuzz", &number, &err);
    }
    return 0;
}
