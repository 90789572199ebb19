/*
 * cmd_convert.c - 'sealdb rekey', 'sealdb encrypt' and 'sealdb decrypt':
 * a database rewritten under another key, cipher or layout, or moved into or
 * out of encryption.
 *
 * The library does the work and its guarantees hold: an output file appears
 * only complete, and in place the database opens afterwards under exactly
 * one of the old or the new key. The tool only gathers the keys (the old one
 * first, so that two passphrases piped on standard input come in that
 * order) and wipes them as soon as the call returns.
 */
#include <stdio.h>
#include <string.h>

#include "tool.h"

/* ---- rekey ----------------------------------------------------------------------------------- */

static const tool_help rekey_help = {
    .name = "rekey - change the key, cipher or layout of a database in place",
    .synopsis = "rekey DB [key options] [new key options]",
    .description = "Rewrites DB under a new key, cipher or layout, in any journal mode (a WAL\n"
                   "is checkpointed into the new file first). The new database is built beside\n"
                   "DB, synced and checked, then renamed over it: killed at any instant, DB\n"
                   "opens afterwards under exactly one of the old or the new key, with every\n"
                   "committed row. Other readers may go on meanwhile; writers wait, and if they\n"
                   "hold on for 5 s rekey gives up and changes nothing. Connections still open\n"
                   "on the old file get an error telling them to reopen.\n"
                   "\n"
                   "Without a new key source the old one is kept (to change only the cipher or\n"
                   "layout, or a passphrase's cost). --new-keyslots gives DB a new random data\n"
                   "key kept in key slots, with the new key source in slot 1; rekeying to a\n"
                   "plain key source removes the slot file.",
    .key_role = "The key that opens DB now (required).",
    .new_role = "What DB becomes: the new key source (a new passphrase is asked twice on\n"
                "    a terminal; piped, it is the line after the old one), --new-cipher,\n"
                "    --new-layout, --new-kdf-ops, --new-kdf-mem, --new-keyslots.",
    .examples = "sealdb rekey app.db --key-file old.key --new-key-file new.key\n"
                "sealdb rekey app.db --key-file app.key --new-cipher aes256gcm\n"
                "printf '%s\\n%s\\n' \"$OLD\" \"$NEW\" | sealdb rekey app.db --passphrase \\\n"
                "    --new-passphrase",
};

int cmd_rekey(int argc, char **argv)
{
    static const char *const args[] = {"DB", NULL};
    tool_key key = tool_key_set(""), newk = tool_key_set("new-");
    const tool_cmd cmd = {"rekey", &rekey_help, NULL, {&key, &newk}, args, 1, 0};
    const char *pos[argc + 1];
    int npos;
    int rc = tool_parse(&cmd, argc, argv, pos, &npos);
    if (rc == TOOL_PARSED && !tool_key_given(&newk)) {
        rc = tool_fail(cmd.name, TOOL_EXIT_USAGE,
                       "nothing to change: give a new key (--new-key-file, --new-hexkey, "
                       "--new-key-env, --new-passphrase or --new-passphrase-env), --new-cipher, "
                       "--new-layout or --new-keyslots");
    }
    if (rc == TOOL_PARSED && (rc = tool_key_read(cmd.name, &key, 1, pos[0], 0)) == 0 &&
        (rc = tool_key_read(cmd.name, &newk, 0, pos[0], 1)) == 0) {
        rc = TOOL_PARSED;
    }
    if (rc != TOOL_PARSED) {
        tool_keys_wipe(&key, &newk);
        return rc;
    }
    const sealdb_sqlite_config from = tool_key_config(&key, NULL);
    const sealdb_sqlite_config to = tool_key_config(&newk, &key);
    sealdb_error err;
    rc = sealdb_rekey(pos[0], &from, &to, &err);
    tool_keys_wipe(&key, &newk);
    if (rc != SEALDB_OK) {
        return tool_fail_lib(cmd.name, &err);
    }
    char done[600];
    snprintf(done, sizeof done, "rekeyed %s", pos[0]);
    tool_print_result(done, pos[0]);
    return TOOL_EXIT_OK;
}

/* ---- encrypt and decrypt ------------------------------------------------------------------------
 */

static const tool_help encrypt_help = {
    .name = "encrypt - turn a plain SQLite database into a sealed one",
    .synopsis = "encrypt DB [--out NEW] [key options]",
    .description = "Seals the plain SQLite database DB under the key given, keeping every\n"
                   "table, index, trigger, view, rowid, AUTOINCREMENT counter, the page size,\n"
                   "user_version, application_id and the journal mode. With --out the result\n"
                   "is the new file NEW (it must not exist) and DB is left as it is; without,\n"
                   "DB is replaced in place, crash-safely: killed at any instant it is either\n"
                   "the plain database or the sealed one. No half-written file is left behind.\n"
                   "\n"
                   "In place, the plain file is replaced, not overwritten: its old blocks may\n"
                   "stay readable on the disk until reused, and copies made before (backups)\n"
                   "stay plain.",
    .options = "--out NEW\n"
               "    write the sealed database to the new file NEW instead of replacing DB",
    .key_role = "The key the sealed database is to open with (required; a new passphrase is\n"
                "    asked twice on a terminal), and its --cipher, --layout, --kdf-ops,\n"
                "    --kdf-mem, --keyslots.",
    .examples = "sealdb encrypt app.db --key-file app.key\n"
                "sealdb encrypt export.db --out sealed.db --passphrase --cipher aes256gcm",
};

static const tool_help decrypt_help = {
    .name = "decrypt - turn a sealed database into a plain SQLite one, for export",
    .synopsis = "decrypt DB [--out NEW] [key options]",
    .description = "Writes the rows of the sealed database DB as a plain SQLite database that\n"
                   "any SQLite reads, keeping the schema, rowids, user_version and\n"
                   "application_id. With --out the result is the new file NEW (it must not\n"
                   "exist); without, DB is replaced in place, crash-safely. The result is not\n"
                   "encrypted: mind where it goes.",
    .options = "--out NEW\n"
               "    write the plain database to the new file NEW instead of replacing DB",
    .key_role = "The key that opens DB (required).",
    .examples = "sealdb decrypt app.db --out export.db --key-file app.key\n"
                "sqlite3 export.db .dump",
};

static int convert(int argc, char **argv, int encrypt)
{
    const char *out = NULL;
    const tool_opt opts[] = {{"--out", &out, NULL}, {NULL, NULL, NULL}};
    static const char *const args[] = {"DB", NULL};
    tool_key key = tool_key_set("");
    const tool_cmd cmd = {encrypt ? "encrypt" : "decrypt",
                          encrypt ? &encrypt_help : &decrypt_help,
                          opts,
                          {&key},
                          args,
                          1,
                          0};
    const char *pos[argc + 1];
    int npos;
    int rc = tool_parse(&cmd, argc, argv, pos, &npos);
    if (rc == TOOL_PARSED &&
        (rc = tool_key_read(cmd.name, &key, 1, out ? out : pos[0], encrypt)) == 0) {
        rc = TOOL_PARSED;
    }
    if (rc != TOOL_PARSED) {
        tool_keys_wipe(&key, NULL);
        return rc;
    }
    const sealdb_sqlite_config cfg = tool_key_config(&key, NULL);
    sealdb_error err;
    rc =
        encrypt ? sealdb_encrypt(pos[0], out, &cfg, &err) : sealdb_decrypt(pos[0], out, &cfg, &err);
    tool_keys_wipe(&key, NULL);
    if (rc != SEALDB_OK) {
        return tool_fail_lib(cmd.name, &err);
    }
    char done[1200];
    if (out) {
        snprintf(done, sizeof done, "%s %s into %s", encrypt ? "encrypted" : "decrypted", pos[0],
                 out);
    } else {
        snprintf(done, sizeof done, "%s %s in place", encrypt ? "encrypted" : "decrypted", pos[0]);
    }
    tool_print_result(done, out ? out : pos[0]);
    return TOOL_EXIT_OK;
}

int cmd_encrypt(int argc, char **argv)
{
    return convert(argc, argv, 1);
}

int cmd_decrypt(int argc, char **argv)
{
    return convert(argc, argv, 0);
}
