/*
 * cmd_sql.c - 'sealdb sql': SQL on a sealed database, one statement per
 * argument or read from standard input (a small shell on a terminal).
 *
 * Rows are printed like the sqlite3 shell's list mode: columns separated by
 * '|', NULL as nothing, one row per line. Statements run one at a time in
 * SQLite's autocommit mode unless the SQL itself opens a transaction.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

static const tool_help sql_help = {
    .name = "sql - run SQL on a sealed database",
    .synopsis = "sql DB [key options] [STATEMENT...]",
    .description = "Opens DB (a new sealed database is created if it does not exist) and runs\n"
                   "each STATEMENT argument in turn; an argument may hold several statements\n"
                   "separated by ';'. Rows are printed as in the sqlite3 shell's list mode:\n"
                   "columns separated by '|', NULL printed as nothing.\n"
                   "\n"
                   "Without statements, SQL is read from standard input. On a terminal it is\n"
                   "a small shell: the prompt is 'sealdb> ', lines are gathered until they\n"
                   "end a complete statement, errors are shown and the session goes on, and\n"
                   ".quit or end of input (Ctrl-D) leaves. Otherwise (a file or a pipe) the\n"
                   "first error stops the run. With --passphrase and piped input, the first\n"
                   "line is the passphrase and the rest is SQL.\n"
                   "\n"
                   "An error prints SQLite's message, and for a page that fails to\n"
                   "authenticate the VFS's reason:\n"
                   "    sealdb sql: database disk image is malformed (sealdb: page 4 failed\n"
                   "    authentication: the file is damaged or was tampered with)",
    .options = "--\n"
               "    what follows is a statement even if it starts with '-'",
    .key_role = "The key that opens DB, or that a new DB is created under (a new passphrase\n"
                "    is asked twice on a terminal). --cipher, --layout, --kdf-ops, --kdf-mem\n"
                "    and --keyslots apply when DB is created.",
    .exit_status = "0   every statement ran\n"
                   "1   an SQL error (the message says which)\n"
                   "2   bad usage, or a key that cannot be used\n"
                   "3   wrong key or passphrase\n"
                   "4   DB cannot be opened, or is not a sealed database",
    .examples = "sealdb sql app.db --key-file app.key 'CREATE TABLE t(a, b)' \\\n"
                "    \"INSERT INTO t VALUES (1, 'one')\"\n"
                "sealdb sql app.db --key-file app.key 'SELECT * FROM t'\n"
                "sqlite3 plain.db .dump | sealdb sql copy.db --key-file app.key\n"
                "sealdb sql app.db --passphrase",
};

/* SQLite's message for the last error on db, with the VFS's reason when a
 * sealed page or file was refused. */
static void print_sql_error(sqlite3 *db)
{
    const int code = sqlite3_errcode(db) & 0xff;
    char detail[300] = "";
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB || code == SQLITE_IOERR ||
        code == SQLITE_CANTOPEN) {
        char *msg = sqlite3_mprintf("%s", sqlite3_errmsg(db)); /* the pragma resets it */
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, "PRAGMA sealdb_error", -1, &st, NULL) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW) {
            const char *t = (const char *)sqlite3_column_text(st, 0);
            if (t && strcmp(t, "ok") != 0) {
                snprintf(detail, sizeof detail, " (sealdb: %s)", t);
            }
        }
        sqlite3_finalize(st);
        tool_fail("sql", TOOL_EXIT_FAILED, "%s%s", msg ? msg : "out of memory", detail);
        sqlite3_free(msg);
        return;
    }
    tool_fail("sql", TOOL_EXIT_FAILED, "%s", sqlite3_errmsg(db));
}

static void print_row(sqlite3_stmt *st)
{
    const int n = sqlite3_column_count(st);
    for (int i = 0; i < n; i++) {
        if (i) {
            fputc('|', stdout);
        }
        const unsigned char *t = sqlite3_column_text(st, i);
        if (t) {
            fwrite(t, 1, (size_t)sqlite3_column_bytes(st, i), stdout);
        }
    }
    fputc('\n', stdout);
}

/* Runs every statement in sql. Returns 0, or 1 after printing the error. */
static int run_sql(sqlite3 *db, const char *sql)
{
    const char *tail = sql;
    while (tail && *tail) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, tail, -1, &st, &tail) != SQLITE_OK) {
            print_sql_error(db);
            return 1;
        }
        if (!st) {
            break; /* only whitespace or comments were left */
        }
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            print_row(st);
        }
        if (rc != SQLITE_DONE) {
            print_sql_error(db);
            sqlite3_finalize(st);
            return 1;
        }
        sqlite3_finalize(st);
    }
    return 0;
}

static int blank(const char *s)
{
    for (; *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
            return 0;
        }
    }
    return 1;
}

/* Reads SQL from standard input; on a terminal, as a shell. */
static int run_stdin(sqlite3 *db)
{
    const int shell = isatty(STDIN_FILENO);
    char *line = NULL, *buf = NULL;
    size_t line_cap = 0, len = 0;
    int errors = 0, quit = 0;
    for (;;) {
        if (shell) {
            fputs(len ? "   ...> " : "sealdb> ", stdout);
            fflush(stdout);
        }
        const ssize_t n = getline(&line, &line_cap, stdin);
        if (n < 0) {
            break;
        }
        if (shell && len == 0 &&
            (strncmp(line, ".quit", 5) == 0 || strncmp(line, ".exit", 5) == 0)) {
            quit = 1;
            break;
        }
        char *grown = realloc(buf, len + (size_t)n + 1);
        if (!grown) {
            errors = tool_fail("sql", TOOL_EXIT_FAILED, "out of memory");
            break;
        }
        buf = grown;
        memcpy(buf + len, line, (size_t)n + 1);
        len += (size_t)n;
        if (!sqlite3_complete(buf)) {
            continue;
        }
        if (run_sql(db, buf) != 0) {
            errors++;
            if (!shell) {
                break;
            }
        }
        fflush(stdout);
        len = 0;
    }
    if (shell && !quit) {
        fputc('\n', stdout); /* after the prompt that met the end of input */
    }
    /* the end of the input may leave a statement without its ';' */
    if (len && (!errors || shell) && !blank(buf) && run_sql(db, buf) != 0) {
        errors++;
    }
    free(line);
    free(buf);
    return errors ? TOOL_EXIT_FAILED : TOOL_EXIT_OK;
}

int cmd_sql(int argc, char **argv)
{
    static const char *const args[] = {"DB", NULL};
    tool_key key = tool_key_set("");
    const tool_cmd cmd = {"sql", &sql_help, NULL, {&key}, args, 1, 1};
    const char *pos[argc + 1];
    int npos;
    int rc = tool_parse(&cmd, argc, argv, pos, &npos);
    const int is_new = rc == TOOL_PARSED && access(pos[0], F_OK) != 0;
    if (rc == TOOL_PARSED && (rc = tool_key_read(cmd.name, &key, 1, pos[0], is_new)) == 0) {
        rc = TOOL_PARSED;
    }
    if (rc != TOOL_PARSED) {
        tool_keys_wipe(&key, NULL);
        return rc;
    }
    const sealdb_sqlite_config cfg = tool_key_config(&key, NULL);
    sqlite3 *db = NULL;
    sealdb_error err;
    rc = sealdb_sqlite_open(pos[0], &cfg, &db, &err);
    tool_keys_wipe(&key, NULL);
    if (rc != SEALDB_OK) {
        return tool_fail_lib(cmd.name, &err);
    }
    rc = TOOL_EXIT_OK;
    if (npos > 1) {
        for (int i = 1; i < npos && rc == TOOL_EXIT_OK; i++) {
            rc = run_sql(db, pos[i]) ? TOOL_EXIT_FAILED : TOOL_EXIT_OK;
        }
    } else {
        rc = run_stdin(db);
    }
    if (sqlite3_close(db) != SQLITE_OK) {
        sqlite3_close_v2(db);
    }
    return rc;
}
