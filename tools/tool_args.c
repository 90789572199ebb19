/*
 * tool_args.c - the argument parser, the man-style help printer, the one-line
 * error messages and exit codes, and locked buffers for secrets: what every
 * subcommand of the sealdb tool uses the same way.
 *
 * Bad usage always ends in exactly one line on stderr, "sealdb CMD: reason",
 * so that scripts can show it as it is.
 */
#define _GNU_SOURCE /* explicit_bzero */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tool.h"

/* ---- messages and exit codes ---------------------------------------------------------------- */

static void print_one_line(FILE *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        fputc(*p == '\n' || *p == '\r' ? ' ' : *p, out);
    }
}

int tool_fail(const char *cmd, int status, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "sealdb %s: ", cmd);
    print_one_line(stderr, msg);
    fputc('\n', stderr);
    return status;
}

int tool_exit_code(int code)
{
    switch (code) {
    case SEALDB_OK: return TOOL_EXIT_OK;
    case SEALDB_EWRONGKEY:
    case SEALDB_EAUTH: return TOOL_EXIT_WRONGKEY;
    case SEALDB_EIO:
    case SEALDB_ENOTSEALED:
    case SEALDB_EFORMAT: return TOOL_EXIT_NOFILE;
    case SEALDB_EINVAL:
    case SEALDB_ECIPHER:
    case SEALDB_EKEYLEN:
    case SEALDB_EHEX:
    case SEALDB_EKEYFILE:
    case SEALDB_EMISMATCH: return TOOL_EXIT_USAGE;
    default: return TOOL_EXIT_FAILED;
    }
}

int tool_fail_lib(const char *cmd, const sealdb_error *err)
{
    return tool_fail(cmd, tool_exit_code(err->code), "%s",
                     err->message[0] ? err->message : sealdb_strerror(err->code));
}

void tool_print_result(const char *done, const char *path)
{
    static const char *const kinds[] = {"a key", "a passphrase", "key slots"};
    sealdb_file_info fi;
    if (sealdb_inspect(path, &fi, NULL) != SEALDB_OK) {
        printf("%s\n", done);
    } else if (!fi.sealed) {
        printf("%s: plain SQLite\n", done);
    } else {
        printf("%s: sealed with %s, %s layout, under %s\n", done, sealdb_cipher_name(fi.cipher),
               sealdb_layout_name(fi.layout),
               kinds[fi.key_kind >= 0 && fi.key_kind <= 2 ? fi.key_kind : 0]);
    }
}

/* ---- secrets --------------------------------------------------------------------------------- */

char *tool_secret_alloc(size_t n)
{
    char *p = calloc(1, n);
    if (p) {
        (void)mlock(p, n); /* best effort: without it the buffer may reach swap */
    }
    return p;
}

void tool_secret_free(char *p, size_t n)
{
    if (p) {
        explicit_bzero(p, n);
        (void)munlock(p, n);
        free(p);
    }
}

/* ---- help ---------------------------------------------------------------------------------- */

/* Prints each line of text after indent (empty lines stay empty). */
static void print_indented(FILE *out, const char *text, const char *indent)
{
    while (*text) {
        const char *nl = strchr(text, '\n');
        const size_t n = nl ? (size_t)(nl - text) : strlen(text);
        if (n) {
            fprintf(out, "%s%.*s\n", indent, (int)n, text);
        } else {
            fputc('\n', out);
        }
        text += n + (nl ? 1 : 0);
    }
}

static void section(FILE *out, const char *title, const char *body)
{
    if (body) {
        fprintf(out, "\n%s\n", title);
        print_indented(out, body, "    ");
    }
}

/* The key options, written once; %s is the set's prefix. */
static const struct {
    const char *option; /* after "--" and the prefix */
    const char *arg;
    const char *text;
} key_docs[] = {
    {"hexkey", " HEX",
     "the key as 32 or 64 hex digits (16 or 32 bytes). Warning: command lines\n"
     "are visible to other users of the machine (ps, /proc); prefer --key-file\n"
     "or --key-env."},
    {"key-file", " PATH",
     "a file holding the key: 32 or 64 hex digits, or 16 or 32 raw bytes. It\n"
     "must not be readable or writable by group or others (chmod 600 PATH);\n"
     "'sealdb keygen PATH' makes one."},
    {"key-env", " VAR", "the environment variable VAR holds the key as hex digits."},
    {"passphrase", "",
     "a passphrase, stretched with Argon2id. It is asked on the terminal\n"
     "without echo (a new one twice); when standard input is not a terminal,\n"
     "one line is read from it instead (an old passphrase before a new one)."},
    {"passphrase-env", " VAR", "the environment variable VAR holds the passphrase."},
    {"cipher", " NAME",
     "a new database's cipher: aegis256 (the default; aegis128l for a 16-byte\n"
     "key), aegis256x2, aegis256x4, aegis128l, aegis128x2, aegis128x4,\n"
     "aes128gcm or aes256gcm. For an existing database it may be given and\n"
     "must then match the file's."},
    {"layout", " hardened|turso",
     "a new database's page layout: hardened (the default: pages bound to\n"
     "their number and to the database) or turso (readable by Turso Database)."},
    {"kdf-ops", " N", "a new passphrase's Argon2id cost: N passes (1..255; default 24)."},
    {"kdf-mem", " KIB",
     "a new passphrase's Argon2id memory in KiB: a power of two from 8192 to\n"
     "4194304 (default 65536)."},
    {"keyslots", "",
     "a new database keeps a random data key wrapped under the key source in\n"
     "key slots, in the file DB-keyslots beside it (see 'sealdb keyslot')."},
};

static void key_section(FILE *out, const char *title, const char *prefix, const char *role)
{
    if (!role) {
        return;
    }
    fprintf(out, "\n%s\n", title);
    fprintf(out, "    %s\n", role);
    if (prefix[0]) {
        fprintf(out, "    They are the key options, each prefixed with --%s:\n", prefix);
        for (size_t i = 0; i < sizeof key_docs / sizeof key_docs[0]; i++) {
            fprintf(out, "    --%s%s%s\n", prefix, key_docs[i].option, key_docs[i].arg);
        }
        return;
    }
    fprintf(out, "    Give one key source: --hexkey, --key-file, --key-env, --passphrase or\n"
                 "    --passphrase-env.\n");
    for (size_t i = 0; i < sizeof key_docs / sizeof key_docs[0]; i++) {
        fprintf(out, "    --%s%s\n", key_docs[i].option, key_docs[i].arg);
        print_indented(out, key_docs[i].text, "        ");
    }
}

static const char *const standard_exit_status =
    "0   success\n"
    "1   the operation failed (the message says why)\n"
    "2   bad usage: an unknown option, a missing or extra argument, an invalid\n"
    "    value, or a key that cannot be used (malformed, wrong length, a key\n"
    "    file others can read)\n"
    "3   wrong key or passphrase\n"
    "4   a file cannot be read or written, or is not what was expected (a\n"
    "    plain SQLite file where a sealed one is needed, not a database)";

void tool_help_print(const tool_help *h, FILE *out)
{
    fprintf(out, "NAME\n    sealdb %s\n", h->name);
    fprintf(out, "\nSYNOPSIS\n");
    print_indented(out, h->synopsis, "    sealdb ");
    section(out, "DESCRIPTION", h->description);
    fprintf(out, "\nOPTIONS\n");
    if (h->options) {
        print_indented(out, h->options, "    ");
    }
    fprintf(out, "    --help\n        show this help and exit\n");
    key_section(out, "KEY OPTIONS", "", h->key_role);
    key_section(out, "NEW KEY OPTIONS", "new-", h->new_role);
    key_section(out, "BACKUP KEY OPTIONS", "backup-", h->backup_role);
    section(out, "EXIT STATUS", h->exit_status ? h->exit_status : standard_exit_status);
    section(out, "EXAMPLES", h->examples);
}

/* ---- parsing --------------------------------------------------------------------------------- */

int tool_parse_uint(const char *cmd, const char *opt, const char *text, uint32_t min, uint32_t max,
                    uint32_t *out)
{
    char *end = NULL;
    errno = 0;
    const unsigned long long v = strtoull(text, &end, 10);
    if (!text[0] || text[0] == '-' || text[0] == '+' || *end || errno || v < min || v > max) {
        return tool_fail(cmd, TOOL_EXIT_USAGE, "%s: '%s' is not a number from %u to %u", opt, text,
                         min, max);
    }
    *out = (uint32_t)v;
    return TOOL_EXIT_OK;
}

/* The key set whose option `arg` ("--new-key-file") is, with *name set to the
 * option's name without "--" and the prefix; NULL if none. */
static tool_key *key_set_of(const tool_cmd *cmd, const char *arg, const char **name)
{
    for (int i = 0; i < 3 && cmd->keys[i]; i++) {
        const size_t n = strlen(cmd->keys[i]->prefix);
        if (strncmp(arg + 2, cmd->keys[i]->prefix, n) == 0 &&
            tool_key_option_arity(arg + 2 + n) >= 0) {
            *name = arg + 2 + n;
            return cmd->keys[i];
        }
    }
    return NULL;
}

static int usage_fail(const tool_cmd *cmd, const char *fmt, const char *what)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, what);
    return tool_fail(cmd->name, TOOL_EXIT_USAGE, "%s; see 'sealdb %s --help'", msg, cmd->name);
}

int tool_parse(const tool_cmd *cmd, int argc, char **argv, const char **pos, int *npos)
{
    *npos = 0;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            tool_help_print(cmd->help, stdout);
            return TOOL_EXIT_OK;
        }
    }
    int only_args = 0;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (only_args || arg[0] != '-' || strcmp(arg, "-") == 0) {
            pos[(*npos)++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_args = 1;
            continue;
        }
        if (arg[1] != '-') {
            return usage_fail(cmd, "unknown option '%s'", arg);
        }
        /* "--opt=value" or "--opt value" */
        char name_buf[64];
        char *eq = strchr(arg, '=');
        char *value = eq ? eq + 1 : NULL;
        const size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        if (len >= sizeof name_buf) {
            return usage_fail(cmd, "unknown option '%s'", arg);
        }
        memcpy(name_buf, arg, len);
        name_buf[len] = '\0';
        const char *kname = NULL;
        tool_key *k = key_set_of(cmd, name_buf, &kname);
        const tool_opt *o = NULL;
        for (const tool_opt *p = cmd->opts; !k && p && p->name; p++) {
            if (strcmp(p->name, name_buf) == 0) {
                o = p;
            }
        }
        if (!k && !o) {
            return usage_fail(cmd, "unknown option '%s'", name_buf);
        }
        const int takes_value = k ? tool_key_option_arity(kname) : o->value != NULL;
        if (takes_value && !value) {
            if (i + 1 >= argc) {
                return usage_fail(cmd, "option %s needs a value", name_buf);
            }
            value = argv[++i];
        } else if (!takes_value && value) {
            return usage_fail(cmd, "option %s takes no value", name_buf);
        }
        if (k) {
            const int rc = tool_key_option(cmd->name, k, name_buf, kname, value);
            if (rc != TOOL_EXIT_OK) {
                return rc;
            }
        } else if (o->value) {
            *o->value = value;
        } else {
            *o->flag = 1;
        }
    }
    int named = 0;
    while (cmd->args && cmd->args[named]) {
        named++;
    }
    if (*npos < cmd->min_args) {
        return usage_fail(cmd, "missing argument %s", cmd->args[*npos]);
    }
    if (*npos > named && !cmd->more_args) {
        return usage_fail(cmd, "unexpected argument '%s'", pos[named]);
    }
    return TOOL_PARSED;
}
