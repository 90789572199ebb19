/*
 * cmd_backup.c - 'sealdb backup', 'sealdb backup-verify' and 'sealdb
 * restore': sealed, compressed snapshots of a database and their way back.
 *
 * A backup is sealed under a key of its own (the --backup-* options) or, by
 * default, under the database's key source. It holds pages, not the
 * database's key, so restore seals the new database under whatever key it is
 * given. The library writes every output under a temporary name and checks
 * every chunk of a backup before restore writes anything.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tool.h"

/* ---- backup ---------------------------------------------------------------------------------- */

static const tool_help backup_help = {
    .name = "backup - write a sealed, compressed snapshot of a database",
    .synopsis = "backup DB OUT [key options] [backup key options] [--level N]",
    .description = "Writes a consistent snapshot of DB to OUT, a new file: the pages\n"
                   "compressed with zstd and sealed chunk by chunk with AEGIS-256, with a\n"
                   "sealed manifest and a trailer, so that a truncated, reordered or altered\n"
                   "backup is refused by backup-verify and restore. Other connections may go\n"
                   "on writing to DB meanwhile. OUT appears only when complete.\n"
                   "\n"
                   "The backup is sealed under the backup key options, or without them under\n"
                   "DB's own key source. It holds the pages, not DB's key: 'sealdb restore'\n"
                   "seals the restored database under the key it is given.",
    .options = "--level N\n"
               "    zstd compression level, 1 (fast) to 19 (small); default 3",
    .key_role = "The key that opens DB (required).",
    .backup_role = "The key the backup is sealed under (default: the key options of DB). A\n"
                   "    new passphrase is asked twice on a terminal; piped, it is the line after\n"
                   "    DB's.",
    .examples = "sealdb backup app.db app.bak --key-file app.key\n"
                "sealdb backup app.db /mnt/offsite/app.bak --key-file app.key \\\n"
                "    --backup-key-file offsite.key --level 19",
};

int cmd_backup(int argc, char **argv)
{
    const char *level_text = NULL;
    const tool_opt opts[] = {{"--level", &level_text, NULL}, {NULL, NULL, NULL}};
    static const char *const args[] = {"DB", "OUT", NULL};
    tool_key key = tool_key_set(""), bk = tool_key_set("backup-");
    const tool_cmd cmd = {"backup", &backup_help, opts, {&key, &bk}, args, 2, 0};
    const char *pos[argc + 1];
    int npos;
    uint32_t level = 0;
    int rc = tool_parse(&cmd, argc, argv, pos, &npos);
    if (rc == TOOL_PARSED && level_text) {
        rc = tool_parse_uint(cmd.name, "--level", level_text, 1, 19, &level);
        rc = rc == TOOL_EXIT_OK ? TOOL_PARSED : rc;
    }
    if (rc == TOOL_PARSED && (rc = tool_key_read(cmd.name, &key, 1, pos[0], 0)) == 0 &&
        (rc = tool_key_read(cmd.name, &bk, 0, pos[1], 1)) == 0) {
        rc = TOOL_PARSED;
    }
    if (rc != TOOL_PARSED) {
        tool_keys_wipe(&key, &bk);
        return rc;
    }
    const sealdb_sqlite_config cfg = tool_key_config(&key, NULL);
    const sealdb_sqlite_config bcfg = tool_key_config(&bk, &key);
    sealdb_error err;
    rc = sealdb_backup(pos[0], &cfg, pos[1], tool_key_given(&bk) ? &bcfg : NULL, (int)level, &err);
    tool_keys_wipe(&key, &bk);
    if (rc != SEALDB_OK) {
        return tool_fail_lib(cmd.name, &err);
    }
    struct stat st;
    if (stat(pos[1], &st) == 0) {
        printf("backed up %s to %s (%lld bytes)\n", pos[0], pos[1], (long long)st.st_size);
    } else {
        printf("backed up %s to %s\n", pos[0], pos[1]);
    }
    return TOOL_EXIT_OK;
}

/* ---- backup-verify -----------------------------------------------------------------------------
 */

static const tool_help backup_verify_help = {
    .name = "backup-verify - check that every chunk of a backup authenticates",
    .synopsis = "backup-verify BACKUP [backup key options | key options]",
    .description = "Authenticates the header, every chunk, the manifest and the trailer of\n"
                   "BACKUP under its key, without writing anything, and prints what the\n"
                   "backup holds: the database's page size, pages, cipher and layout, the\n"
                   "number of chunks, the size and when the snapshot was taken. A truncated,\n"
                   "reordered or altered backup is refused.",
    .key_role = "The backup's key, if it was made without backup key options (the key of\n"
                "    the database it was taken from).",
    .backup_role = "The backup's key, if it was made with backup key options. Give one set,\n"
                   "    not both.",
    .exit_status = "0   every chunk authenticates\n"
                   "1   the backup is damaged, truncated or tampered with, or not a backup\n"
                   "2   bad usage, or a key that cannot be used\n"
                   "3   wrong key or passphrase\n"
                   "4   BACKUP cannot be read",
    .examples = "sealdb backup-verify app.bak --key-file app.key\n"
                "sealdb backup-verify /mnt/offsite/app.bak --backup-key-file offsite.key",
};

/* Reads the backup's key: the --backup-* set if it names a source, else the
 * plain one (a backup made without backup key options). plain_too: the plain
 * set may name a source beside the --backup-* one (restore: OUT's key).
 * Returns an exit status; *chosen is the set read. */
static int read_backup_key(const char *cmd, tool_key *plain, tool_key *bk, const char *path,
                           int plain_too, tool_key **chosen)
{
    *chosen = bk->sources ? bk : plain;
    if (!plain->sources && !bk->sources) {
        return tool_fail(cmd, TOOL_EXIT_USAGE,
                         "no key given for the backup: use --backup-key-file, --backup-hexkey, "
                         "--backup-key-env, --backup-passphrase or --backup-passphrase-env, or "
                         "the key options if it was made without them");
    }
    if (plain->sources && bk->sources && !plain_too) {
        return tool_fail(cmd, TOOL_EXIT_USAGE,
                         "give the backup's key once: as --backup-* options or as key options");
    }
    char what[600];
    snprintf(what, sizeof what, "the backup %s", path);
    return tool_key_read(cmd, *chosen, 1, what, 0);
}

int cmd_backup_verify(int argc, char **argv)
{
    static const char *const args[] = {"BACKUP", NULL};
    tool_key key = tool_key_set(""), bk = tool_key_set("backup-");
    const tool_cmd cmd = {"backup-verify", &backup_verify_help, NULL, {&key, &bk}, args, 1, 0};
    const char *pos[argc + 1];
    int npos;
    tool_key *chosen = &bk;
    int rc = tool_parse(&cmd, argc, argv, pos, &npos);
    if (rc == TOOL_PARSED && (rc = read_backup_key(cmd.name, &key, &bk, pos[0], 0, &chosen)) == 0) {
        rc = TOOL_PARSED;
    }
    if (rc != TOOL_PARSED) {
        tool_keys_wipe(&key, &bk);
        return rc;
    }
    const sealdb_sqlite_config cfg = tool_key_config(chosen, NULL);
    sealdb_backup_info info;
    sealdb_error err;
    rc = sealdb_backup_verify(pos[0], &cfg, &info, &err);
    tool_keys_wipe(&key, &bk);
    if (rc != SEALDB_OK) {
        return tool_fail_lib(cmd.name, &err);
    }
    char when[64] = "unknown";
    const time_t t = (time_t)info.created;
    struct tm tm;
    if (gmtime_r(&t, &tm)) {
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    }
    printf("%-16s%s\n", "backup:", pos[0]);
    printf("%-16s%s\n", "taken:", when);
    printf("%-16s%s\n", "cipher:", info.cipher ? sealdb_cipher_name(info.cipher) : "none (plain)");
    if (info.cipher) {
        printf("%-16s%s\n", "layout:", sealdb_layout_name(info.layout));
    }
    printf("%-16s%u bytes\n", "page size:", info.page_size);
    printf("%-16s%u\n", "pages:", info.pages);
    printf("%-16s%u\n", "chunks:", info.chunks);
    printf("%-16s%llu bytes\n", "size:", (unsigned long long)info.bytes);
    printf("ok: %u chunk%s authenticate%s\n", info.chunks, info.chunks == 1 ? "" : "s",
           info.chunks == 1 ? "s" : "");
    return TOOL_EXIT_OK;
}

/* ---- restore
 * ------------------------------------------------------------------------------------- */

static const tool_help restore_help = {
    .name = "restore - restore a backup into a new sealed database",
    .synopsis = "restore BACKUP OUT [backup key options] [key options]",
    .description = "Authenticates every chunk of BACKUP, then writes the database it holds to\n"
                   "OUT, a new file, sealed under the key options (by default under the\n"
                   "backup's key source, with the original cipher and layout). Nothing is\n"
                   "written before the whole backup has been checked, and OUT appears under\n"
                   "its name only when complete and synced: a truncated or tampered backup\n"
                   "leaves no file behind. A cipher with another nonce size than the\n"
                   "original's is refused: restore, then rekey.",
    .key_role = "The key OUT is sealed under (a new passphrase is asked twice on a\n"
                "    terminal), and its --cipher, --layout, --kdf-ops, --kdf-mem,\n"
                "    --keyslots. Without backup key options, these are also the backup's\n"
                "    key (a backup made without backup key options).",
    .backup_role = "The backup's key, if it was made with backup key options. Piped\n"
                   "    passphrases: the backup's first, then OUT's.",
    .exit_status = "0   restored\n"
                   "1   the backup is damaged, truncated or tampered with, or not a backup\n"
                   "2   bad usage (OUT exists, ...), or a key that cannot be used\n"
                   "3   wrong key or passphrase for the backup\n"
                   "4   BACKUP cannot be read or OUT cannot be written",
    .examples = "sealdb restore app.bak restored.db --key-file app.key\n"
                "sealdb restore /mnt/offsite/app.bak app.db --backup-key-file offsite.key \\\n"
                "    --key-file app.key",
};

int cmd_restore(int argc, char **argv)
{
    static const char *const args[] = {"BACKUP", "OUT", NULL};
    tool_key key = tool_key_set(""), bk = tool_key_set("backup-");
    const tool_cmd cmd = {"restore", &restore_help, NULL, {&key, &bk}, args, 2, 0};
    const char *pos[argc + 1];
    int npos;
    int rc = tool_parse(&cmd, argc, argv, pos, &npos);
    /* With backup key options, the key options are OUT's own: a new key,
     * read after the backup's. Without, they are the backup's key and OUT's. */
    tool_key *backup = &bk;
    if (rc == TOOL_PARSED && (rc = read_backup_key(cmd.name, &key, &bk, pos[0], 1, &backup)) == 0 &&
        (rc = backup == &bk ? tool_key_read(cmd.name, &key, 0, pos[1], 1) : 0) == 0) {
        rc = TOOL_PARSED;
    }
    if (rc != TOOL_PARSED) {
        tool_keys_wipe(&key, &bk);
        return rc;
    }
    const sealdb_sqlite_config bcfg = tool_key_config(backup, NULL);
    const sealdb_sqlite_config to = tool_key_config(&key, backup);
    /* OUT under the backup's key source and the original cipher and layout
     * (NULL), unless the key options say otherwise */
    const int own_key =
        backup == &bk ? tool_key_given(&key)
                      : key.cipher || key.layout || key.kdf_ops || key.kdf_mem_kib || key.keyslots;
    sealdb_error err;
    rc = sealdb_restore(pos[0], &bcfg, pos[1], own_key ? &to : NULL, &err);
    tool_keys_wipe(&key, &bk);
    if (rc != SEALDB_OK) {
        return tool_fail_lib(cmd.name, &err);
    }
    char done[1200];
    snprintf(done, sizeof done, "restored %s to %s", pos[0], pos[1]);
    tool_print_result(done, pos[1]);
    return TOOL_EXIT_OK;
}
