/*
 * cmd_info.c - 'sealdb info' (what a database file says about itself, and
 * with the key what SQLite sees in it) and 'sealdb verify' (every page and
 * WAL frame authenticated, with an exit status for scripts).
 *
 * info only reads a database; it opens one with SQLite as any reader does
 * (a hot journal is rolled back, a WAL checkpointed when the connection
 * closes) and never creates one. With --json it prints one JSON object whose
 * names are stable.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* ---- info ------------------------------------------------------------------------------------ */

static const tool_help info_help = {
    .name = "info - show what a database file is, and with its key what it holds",
    .synopsis = "info DB [key options] [--json]",
    .description = "Without a key, prints what the file says about itself: plain SQLite or\n"
                   "sealed, the layout, cipher, page size, page count and file size, how its key\n"
                   "is given (a key; a passphrase and its Argon2id cost; key slots, listed),\n"
                   "whether a WAL (and its size) or a rollback journal is present, and the\n"
                   "journal mode.\n"
                   "\n"
                   "With a key it also opens the database read-only and prints user_version,\n"
                   "application_id, the numbers of tables, indexes, views and triggers,\n"
                   "page_count, freelist_count and the result of PRAGMA quick_check. A wrong\n"
                   "key prints nothing but the error. info never changes the file.",
    .options = "--json\n"
               "    print one JSON object instead of lines (names: file, sealed, layout,\n"
               "    cipher, page_size, reserved, pages, file_bytes, key, kdf_ops,\n"
               "    kdf_mem_kib, keyslots, wal, wal_bytes, journal, journal_mode and, with\n"
               "    a key, user_version, application_id, tables, indexes, views, triggers,\n"
               "    page_count, freelist_count, quick_check)",
    .key_role = "Optional: the key that opens DB, to show what it holds.",
    .examples = "sealdb info app.db\n"
                "sealdb info app.db --key-file app.key\n"
                "sealdb info app.db --passphrase --json",
};

/* What SQLite says about an opened database. */
typedef struct db_stats {
    long long user_version, application_id, page_count, freelist_count;
    long long tables, indexes, views, triggers;
    char quick_check[1024];
} db_stats;

static long long query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

static long long count_schema(sqlite3 *db, const char *type)
{
    char sql[160];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM sqlite_schema WHERE type = '%s' AND name NOT LIKE 'sqlite\\_%%' "
             "ESCAPE '\\'",
             type);
    return query_int(db, sql);
}

/* Returns SQLITE_OK or the error of the first query that failed. */
static int read_stats(sqlite3 *db, db_stats *s)
{
    s->user_version = query_int(db, "PRAGMA user_version");
    s->application_id = query_int(db, "PRAGMA application_id");
    s->page_count = query_int(db, "PRAGMA page_count");
    s->freelist_count = query_int(db, "PRAGMA freelist_count");
    s->tables = count_schema(db, "table");
    s->indexes = count_schema(db, "index");
    s->views = count_schema(db, "view");
    s->triggers = count_schema(db, "trigger");
    s->quick_check[0] = '\0';
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const size_t n = strlen(s->quick_check);
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(s->quick_check + n, sizeof s->quick_check - n, "%s%s", n ? "; " : "",
                 t ? (const char *)t : "");
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            fprintf(out, "\\%c", *p);
        } else if (*p < 0x20) {
            fprintf(out, "\\u%04x", *p);
        } else {
            fputc(*p, out);
        }
    }
    fputc('"', out);
}

static const char *key_kind_name(int kind)
{
    return kind == 1 ? "passphrase" : kind == 2 ? "keyslots" : "key";
}

static void print_info_json(const char *path, const sealdb_file_info *fi,
                            const sealdb_keyslot *slots, int nslots, const char *slots_error,
                            const db_stats *s)
{
    printf("{\n  \"file\": ");
    json_string(stdout, path);
    printf(",\n  \"sealed\": %s", fi->sealed ? "true" : "false");
    if (fi->sealed) {
        printf(",\n  \"layout\": \"%s\",\n  \"cipher\": \"%s\"", sealdb_layout_name(fi->layout),
               sealdb_cipher_name(fi->cipher));
    }
    printf(",\n  \"page_size\": %u,\n  \"reserved\": %u,\n  \"pages\": %u,\n  \"file_bytes\": %llu",
           fi->page_size, fi->reserved, fi->header_pages, (unsigned long long)fi->file_bytes);
    if (fi->sealed) {
        printf(",\n  \"key\": \"%s\"", key_kind_name(fi->key_kind));
    }
    if (fi->key_kind == 1) {
        printf(",\n  \"kdf_ops\": %u,\n  \"kdf_mem_kib\": %u", fi->kdf_ops, fi->kdf_mem_kib);
    }
    if (fi->key_kind == 2 && slots_error) {
        printf(",\n  \"keyslots_error\": ");
        json_string(stdout, slots_error);
    } else if (fi->key_kind == 2) {
        printf(",\n  \"keyslots\": [");
        for (int i = 0; i < nslots; i++) {
            printf("%s\n    {\"number\": %d, \"kind\": \"%s\", \"label\": ", i ? "," : "",
                   slots[i].number, slots[i].passphrase ? "passphrase" : "key");
            json_string(stdout, slots[i].label);
            printf("}");
        }
        printf("\n  ]");
    }
    printf(",\n  \"wal\": %s,\n  \"wal_bytes\": %llu,\n  \"journal\": %s,\n  \"journal_mode\": "
           "\"%s\"",
           fi->wal_present ? "true" : "false", (unsigned long long)fi->wal_bytes,
           fi->journal_present ? "true" : "false", fi->journal_mode_wal ? "wal" : "rollback");
    if (s) {
        printf(",\n  \"user_version\": %lld,\n  \"application_id\": %lld,\n  \"tables\": %lld,\n"
               "  \"indexes\": %lld,\n  \"views\": %lld,\n  \"triggers\": %lld,\n"
               "  \"page_count\": %lld,\n  \"freelist_count\": %lld,\n  \"quick_check\": ",
               s->user_version, s->application_id, s->tables, s->indexes, s->views, s->triggers,
               s->page_count, s->freelist_count);
        json_string(stdout, s->quick_check);
    }
    printf("\n}\n");
}

#define LINE "%-16s"

static void print_info_text(const char *path, const sealdb_file_info *fi,
                            const sealdb_keyslot *slots, int nslots, const char *slots_error,
                            const db_stats *s)
{
    printf(LINE "%s\n", "file:", path);
    printf(LINE "%s\n", "format:", fi->sealed ? "sealed" : "plain SQLite (not sealed)");
    if (fi->sealed) {
        printf(LINE "%s\n", "layout:", sealdb_layout_name(fi->layout));
        printf(LINE "%s\n", "cipher:", sealdb_cipher_name(fi->cipher));
        printf(LINE "%u bytes (%u reserved for nonce and tag)\n", "page size:", fi->page_size,
               fi->reserved);
    } else {
        printf(LINE "%u bytes\n", "page size:", fi->page_size);
    }
    printf(LINE "%u\n", "pages:", fi->header_pages);
    printf(LINE "%llu bytes\n", "file size:", (unsigned long long)fi->file_bytes);
    if (fi->sealed && fi->key_kind == 1) {
        printf(LINE "passphrase (Argon2id, %u pass%s over %u KiB)\n", "key:", fi->kdf_ops,
               fi->kdf_ops == 1 ? "" : "es", fi->kdf_mem_kib);
    } else if (fi->sealed && fi->key_kind == 2) {
        if (slots_error) {
            printf(LINE "key slots (cannot list them: %s)\n", "key:", slots_error);
        } else {
            printf(LINE "key slots (%d)\n", "key:", nslots);
        }
        for (int i = 0; i < nslots; i++) {
            char name[32];
            snprintf(name, sizeof name, "slot %d:", slots[i].number);
            printf(LINE "%s \"%s\"\n", name, slots[i].passphrase ? "passphrase" : "key",
                   slots[i].label);
        }
    } else if (fi->sealed) {
        printf(LINE "key\n", "key:");
    }
    if (fi->wal_present) {
        printf(LINE "present, %llu bytes\n", "WAL:", (unsigned long long)fi->wal_bytes);
    } else {
        printf(LINE "absent\n", "WAL:");
    }
    printf(LINE "%s\n", "journal:", fi->journal_present ? "present" : "absent");
    printf(LINE "%s\n", "journal mode:", fi->journal_mode_wal ? "wal" : "rollback");
    if (s) {
        printf(LINE "%lld\n", "user_version:", s->user_version);
        printf(LINE "%lld\n", "application_id:", s->application_id);
        printf(LINE "%lld\n", "tables:", s->tables);
        printf(LINE "%lld\n", "indexes:", s->indexes);
        printf(LINE "%lld\n", "views:", s->views);
        printf(LINE "%lld\n", "triggers:", s->triggers);
        printf(LINE "%lld\n", "page_count:", s->page_count);
        printf(LINE "%lld\n", "freelist_count:", s->freelist_count);
        printf(LINE "%s\n", "quick_check:", s->quick_check);
    }
}

int cmd_info(int argc, char **argv)
{
    int json = 0;
    const tool_opt opts[] = {{"--json", NULL, &json}, {NULL, NULL, NULL}};
    static const char *const args[] = {"DB", NULL};
    tool_key key = tool_key_set("");
    const tool_cmd cmd = {"info", &info_help, opts, {&key}, args, 1, 0};
    const char *pos[argc + 1];
    int npos;
    int rc = tool_parse(&cmd, argc, argv, pos, &npos);
    if (rc != TOOL_PARSED) {
        tool_keys_wipe(&key, NULL);
        return rc;
    }
    const char *path = pos[0];
    sealdb_error err;
    sealdb_file_info fi;
    if (sealdb_inspect(path, &fi, &err) != SEALDB_OK) {
        tool_keys_wipe(&key, NULL);
        return tool_fail_lib(cmd.name, &err);
    }
    sealdb_keyslot slots[255];
    int nslots = 0;
    char slots_error[SEALDB_ERRMSG_MAX] = "";
    if (fi.sealed && fi.key_kind == 2 &&
        sealdb_keyslot_list(path, slots, 255, &nslots, &err) != SEALDB_OK) {
        snprintf(slots_error, sizeof slots_error, "%s", err.message);
        nslots = 0;
    }
    db_stats stats;
    int have_stats = 0;
    if (tool_key_given(&key)) {
        if ((rc = tool_key_read(cmd.name, &key, 1, path, 0)) != TOOL_EXIT_OK) {
            tool_keys_wipe(&key, NULL);
            return rc;
        }
        sealdb_sqlite_config cfg = tool_key_config(&key, NULL);
        /* read-write (never create): a read-only connection to a WAL database
         * would leave its -wal and -shm files behind */
        cfg.flags = SQLITE_OPEN_READWRITE;
        sqlite3 *db = NULL;
        rc = sealdb_sqlite_open(path, &cfg, &db, &err);
        tool_keys_wipe(&key, NULL);
        if (rc != SEALDB_OK) {
            return tool_fail_lib(cmd.name, &err);
        }
        if (read_stats(db, &stats) != SQLITE_OK) {
            rc = tool_fail(cmd.name, TOOL_EXIT_FAILED, "cannot read %s: %s", path,
                           sqlite3_errmsg(db));
            sqlite3_close(db);
            return rc;
        }
        sqlite3_close(db);
        have_stats = 1;
    }
    const char *serr = slots_error[0] ? slots_error : NULL;
    if (json) {
        print_info_json(path, &fi, slots, nslots, serr, have_stats ? &stats : NULL);
    } else {
        print_info_text(path, &fi, slots, nslots, serr, have_stats ? &stats : NULL);
    }
    return TOOL_EXIT_OK;
}

/* ---- verify ---------------------------------------------------------------------------------- */

static const tool_help verify_help = {
    .name = "verify - check that every page and WAL frame authenticates",
    .synopsis = "verify DB [key options] [--quiet]",
    .description = "Reads every page of DB and every frame of its WAL and checks each one's\n"
                   "seal under the key, without SQLite. Each problem is printed on its own\n"
                   "line, naming the page and why it fails:\n"
                   "    page 7: bad tag (damaged or tampered)\n"
                   "    page 9: holds the sealed image of page 4 (page moved or copied)\n"
                   "    page 12: truncated (the file ends 100 bytes into it)\n"
                   "followed by a summary, \"ok: 123 pages and 45 WAL frames authenticate\" or\n"
                   "\"damaged: 2 problems\". A wrong key is reported as a wrong key, not as\n"
                   "damage (in the turso layout a page 1 that fails cannot be told apart and\n"
                   "is reported as a wrong key). verify never changes the file.",
    .options = "--quiet\n"
               "    print nothing on standard output; the exit status tells the result",
    .key_role = "The key that opens DB (required).",
    .exit_status = "0   every page and WAL frame authenticates\n"
                   "1   damage found (the problems are printed)\n"
                   "2   bad usage: an unknown option, a missing argument, or a key that\n"
                   "    cannot be used (malformed, a key file others can read)\n"
                   "3   wrong key or passphrase\n"
                   "4   DB cannot be read, or is not a sealed database",
    .examples = "sealdb verify app.db --key-file app.key\n"
                "sealdb verify app.db --key-env APP_KEY --quiet || echo \"status $?\"",
};

typedef struct problems {
    int count;
    int quiet;
} problems;

static void print_problem(void *arg, const char *problem)
{
    problems *p = arg;
    p->count++;
    if (!p->quiet) {
        printf("%s\n", problem);
    }
}

int cmd_verify(int argc, char **argv)
{
    int quiet = 0;
    const tool_opt opts[] = {{"--quiet", NULL, &quiet}, {NULL, NULL, NULL}};
    static const char *const args[] = {"DB", NULL};
    tool_key key = tool_key_set("");
    const tool_cmd cmd = {"verify", &verify_help, opts, {&key}, args, 1, 0};
    const char *pos[argc + 1];
    int npos;
    int rc = tool_parse(&cmd, argc, argv, pos, &npos);
    if (rc == TOOL_PARSED && (rc = tool_key_read(cmd.name, &key, 1, pos[0], 0)) == TOOL_EXIT_OK) {
        rc = TOOL_PARSED;
    }
    if (rc != TOOL_PARSED) {
        tool_keys_wipe(&key, NULL);
        return rc;
    }
    const sealdb_sqlite_config cfg = tool_key_config(&key, NULL);
    problems found = {0, quiet};
    sealdb_verify_report rep;
    sealdb_error err;
    const int vrc = sealdb_verify(pos[0], &cfg, print_problem, &found, &rep, &err);
    tool_keys_wipe(&key, NULL);
    if (vrc == SEALDB_OK) {
        if (!quiet) {
            printf("ok: %u page%s and %u WAL frame%s authenticate\n", rep.pages,
                   rep.pages == 1 ? "" : "s", rep.wal_frames, rep.wal_frames == 1 ? "" : "s");
        }
        return TOOL_EXIT_OK;
    }
    if (vrc == SEALDB_ECORRUPT) {
        if (!quiet) {
            printf("damaged: %d problem%s\n", found.count, found.count == 1 ? "" : "s");
        }
        return TOOL_EXIT_FAILED;
    }
    return tool_fail_lib(cmd.name, &err);
}
