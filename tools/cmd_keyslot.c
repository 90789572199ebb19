/*
 * cmd_keyslot.c - 'sealdb keyslot list|add|remove': the key slots of a
 * database that keeps a random data key wrapped under several keys.
 *
 * Adding or removing a slot rewrites only DB-keyslots, atomically; no page
 * of the database changes.
 */
#include <stdio.h>
#include <string.h>

#include "tool.h"

static const tool_help keyslot_help = {
    .name = "keyslot - list, add or remove the key slots of a database",
    .synopsis = "keyslot list DB\n"
                "keyslot add DB [key options] [new key options] [--label TEXT]\n"
                "keyslot remove DB NUMBER [key options]",
    .description = "A database created with --keyslots (or rekeyed with --new-keyslots) is\n"
                   "sealed under a random data key, kept wrapped under each of its key\n"
                   "sources in the file DB-keyslots beside it. Any one of them opens the\n"
                   "database: a device key, a recovery key, an operator's passphrase. Adding\n"
                   "or removing a slot rewrites only DB-keyslots, atomically; no page of the\n"
                   "database changes. Without DB-keyslots the database cannot be opened:\n"
                   "back it up with the database.\n"
                   "\n"
                   "list      prints each slot's number, kind (key or passphrase) and label;\n"
                   "          it needs no key\n"
                   "add       wraps the data key under the new key options, in a new slot whose\n"
                   "          number it prints; the key options must open a slot\n"
                   "remove    removes slot NUMBER; the key options must open a slot (another\n"
                   "          one or this one). The last slot cannot be removed.",
    .options = "--label TEXT\n"
               "    add: a label for the new slot, at most 32 bytes",
    .key_role = "add, remove: a key that opens one of DB's slots (required).",
    .new_role = "add: the key source of the new slot (required; a new passphrase is asked\n"
                "    twice on a terminal; piped, it is the line after the first).",
    .examples = "sealdb sql app.db --key-file device.key --keyslots 'CREATE TABLE t(x)'\n"
                "sealdb keyslot add app.db --key-file device.key --new-passphrase \\\n"
                "    --label recovery\n"
                "sealdb keyslot list app.db\n"
                "sealdb keyslot remove app.db 1 --passphrase",
};

static int keyslot_list(int argc, char **argv)
{
    static const char *const args[] = {"DB", NULL};
    const tool_cmd cmd = {"keyslot list", &keyslot_help, NULL, {NULL}, args, 1, 0};
    const char *pos[argc + 1];
    int npos;
    int rc = tool_parse(&cmd, argc, argv, pos, &npos);
    if (rc != TOOL_PARSED) {
        return rc;
    }
    sealdb_keyslot slots[255];
    int n = 0;
    sealdb_error err;
    if (sealdb_keyslot_list(pos[0], slots, 255, &n, &err) != SEALDB_OK) {
        return tool_fail_lib(cmd.name, &err);
    }
    printf("slot  kind        label\n");
    for (int i = 0; i < n && i < 255; i++) {
        printf("%-5d %-11s %s\n", slots[i].number, slots[i].passphrase ? "passphrase" : "key",
               slots[i].label);
    }
    return TOOL_EXIT_OK;
}

static int keyslot_add(int argc, char **argv)
{
    const char *label = NULL;
    const tool_opt opts[] = {{"--label", &label, NULL}, {NULL, NULL, NULL}};
    static const char *const args[] = {"DB", NULL};
    tool_key key = tool_key_set(""), newk = tool_key_set("new-");
    const tool_cmd cmd = {"keyslot add", &keyslot_help, opts, {&key, &newk}, args, 1, 0};
    const char *pos[argc + 1];
    int npos;
    int rc = tool_parse(&cmd, argc, argv, pos, &npos);
    if (rc == TOOL_PARSED && (rc = tool_key_read(cmd.name, &key, 1, pos[0], 0)) == 0 &&
        (rc = tool_key_read(cmd.name, &newk, 1, pos[0], 1)) == 0) {
        rc = TOOL_PARSED;
    }
    if (rc != TOOL_PARSED) {
        tool_keys_wipe(&key, &newk);
        return rc;
    }
    const sealdb_sqlite_config auth = tool_key_config(&key, NULL);
    const sealdb_sqlite_config add = tool_key_config(&newk, NULL);
    int number = 0;
    sealdb_error err;
    rc = sealdb_keyslot_add(pos[0], &auth, &add, label, &number, &err);
    tool_keys_wipe(&key, &newk);
    if (rc != SEALDB_OK) {
        return tool_fail_lib(cmd.name, &err);
    }
    printf("added key slot %d to %s\n", number, pos[0]);
    return TOOL_EXIT_OK;
}

static int keyslot_remove(int argc, char **argv)
{
    static const char *const args[] = {"DB", "NUMBER", NULL};
    tool_key key = tool_key_set("");
    const tool_cmd cmd = {"keyslot remove", &keyslot_help, NULL, {&key}, args, 2, 0};
    const char *pos[argc + 1];
    int npos;
    uint32_t number = 0;
    int rc = tool_parse(&cmd, argc, argv, pos, &npos);
    if (rc == TOOL_PARSED &&
        (rc = tool_parse_uint(cmd.name, "NUMBER", pos[1], 1, 255, &number)) == 0 &&
        (rc = tool_key_read(cmd.name, &key, 1, pos[0], 0)) == 0) {
        rc = TOOL_PARSED;
    }
    if (rc != TOOL_PARSED) {
        tool_keys_wipe(&key, NULL);
        return rc;
    }
    const sealdb_sqlite_config auth = tool_key_config(&key, NULL);
    sealdb_error err;
    rc = sealdb_keyslot_remove(pos[0], &auth, (int)number, &err);
    tool_keys_wipe(&key, NULL);
    if (rc != SEALDB_OK) {
        return tool_fail_lib(cmd.name, &err);
    }
    printf("removed key slot %u from %s\n", number, pos[0]);
    return TOOL_EXIT_OK;
}

int cmd_keyslot(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } actions[] = {{"list", keyslot_list}, {"add", keyslot_add}, {"remove", keyslot_remove}};
    if (argc < 2) {
        return tool_fail("keyslot", TOOL_EXIT_USAGE,
                         "missing the action: list, add or remove; see 'sealdb keyslot --help'");
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        tool_help_print(&keyslot_help, stdout);
        return TOOL_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        if (strcmp(argv[1], actions[i].name) == 0) {
            return actions[i].run(argc - 1, argv + 1);
        }
    }
    return tool_fail("keyslot", TOOL_EXIT_USAGE,
                     "unknown action '%s'; expected list, add or remove", argv[1]);
}
