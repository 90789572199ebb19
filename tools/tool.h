/*
 * tool.h - what the subcommands of the sealdb tool share: the argument
 * parser, the key options, the man-style help printer and the mapping from
 * library errors to exit codes.
 *
 * Every subcommand is a function `int cmd_NAME(int argc, char **argv)` with
 * argv[0] the subcommand's name; it returns the process's exit status. On bad
 * input it prints exactly one line, "sealdb NAME: reason", on stderr.
 *
 * Secrets the tool holds itself (a passphrase it read, a --hexkey copied out
 * of argv) live in locked buffers from tool_secret_alloc and are wiped with
 * tool_keys_wipe as soon as the library call that needs them has returned.
 */
#ifndef SEALDB_TOOL_H
#define SEALDB_TOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sealdb.h"

/* Exit statuses shared by every subcommand (verify gives 1 its own meaning:
 * damage found). */
#define TOOL_EXIT_OK 0
#define TOOL_EXIT_FAILED 1   /* the operation failed; the message says why */
#define TOOL_EXIT_USAGE 2    /* bad usage or an invalid value, key file or key */
#define TOOL_EXIT_WRONGKEY 3 /* wrong key or passphrase */
#define TOOL_EXIT_NOFILE 4   /* a file cannot be read or written, or is not the kind expected */

/* The longest passphrase the library takes (engine/keys.h: CRED_MAX_PASSPHRASE). */
#define TOOL_PASSPHRASE_MAX 1024

/* ---- key options ------------------------------------------------------------------------ */

/* One set of key options: the plain set (--key-file ...), or one of the
 * prefixed sets (--new-key-file ..., --backup-key-file ...). */
typedef struct tool_key {
    const char *prefix;         /* "", "new-" or "backup-" */
    char *hexkey;               /* --hexkey: a locked copy; argv's copy is wiped */
    size_t hexkey_size;         /* its buffer's size */
    const char *keyfile;        /* --key-file */
    const char *keyenv;         /* --key-env */
    int passphrase_ask;         /* --passphrase: terminal, or one line of stdin */
    const char *passphrase_env; /* --passphrase-env */
    char *passphrase;           /* the passphrase read (locked) */
    int sources;                /* key sources given */
    const char *cipher;         /* --cipher, checked */
    sealdb_layout layout;       /* --layout */
    uint32_t kdf_ops;           /* --kdf-ops */
    uint32_t kdf_mem_kib;       /* --kdf-mem */
    int keyslots;               /* --keyslots */
} tool_key;

/* A zero-initialised set with the given prefix. */
tool_key tool_key_set(const char *prefix);

/* Whether any option of the set was given (a key source or a setting). */
int tool_key_given(const tool_key *k);

/* Makes a set ready for use: checks that it names at most one key source
 * (and one if required), then reads its passphrase if it has --passphrase
 * or --passphrase-env. what: what the key opens, for the prompt ("app.db").
 * confirm: a new passphrase, asked twice on a terminal. Returns an exit
 * status (0: ready; otherwise the one-line message was printed). */
int tool_key_read(const char *cmd, tool_key *k, int required, const char *what, int confirm);

/* The library configuration of a set (pointing into it: valid until the
 * set is wiped). A set without a key source borrows `fallback`'s source
 * (NULL: none). */
sealdb_sqlite_config tool_key_config(const tool_key *k, const tool_key *fallback);

/* Wipes and frees the secrets of the sets (NULL entries allowed). */
void tool_keys_wipe(tool_key *a, tool_key *b);

/* For tool_parse: whether the key option `name` (without "--" and the
 * set's prefix) takes a value (1), takes none (0), or is no key option (-1). */
int tool_key_option_arity(const char *name);

/* Stores key option `name` of set k with its value (NULL for a flag); opt
 * is the option as given, for messages. A --hexkey value is copied and the
 * argument wiped. Returns an exit status. */
int tool_key_option(const char *cmd, tool_key *k, const char *opt, const char *name, char *value);

/* ---- arguments ------------------------------------------------------------------------------ */

/* A command-specific option. Exactly one of value (an option with an
 * argument) or flag (an option without) is set. */
typedef struct tool_opt {
    const char *name; /* "--out" */
    const char **value;
    int *flag;
} tool_opt;

/* The man page of a subcommand. Each text is printed indented; the key
 * option sets named in `keys` are described after `options`. */
typedef struct tool_help {
    const char *name;        /* "verify - check that every page and WAL frame authenticates" */
    const char *synopsis;    /* one line per form, without the leading "sealdb " */
    const char *description; /* paragraphs */
    const char *options;     /* the command's own options, or NULL */
    const char *key_role;    /* what the plain key options are for, or NULL: none */
    const char *new_role;    /* the --new-* set, or NULL */
    const char *backup_role; /* the --backup-* set, or NULL */
    const char *exit_status; /* NULL: the table shared by every command */
    const char *examples;
} tool_help;

void tool_help_print(const tool_help *h, FILE *out);

/* What tool_parse needs to know about a command. */
typedef struct tool_cmd {
    const char *name; /* "verify", or "keyslot add" */
    const tool_help *help;
    const tool_opt *opts;    /* terminated by a {NULL} entry; may be NULL */
    tool_key *keys[3];       /* the key option sets it takes (NULL entries end) */
    const char *const *args; /* names of the positional arguments, NULL-terminated */
    int min_args;            /* required positional arguments */
    int more_args;           /* 1: any number of arguments after args (sql statements) */
} tool_cmd;

#define TOOL_PARSED (-1) /* tool_parse: arguments stored, go on */

/* Parses argv[1..argc-1]: --help (prints the help: returns 0), options
 * ("--opt VALUE" or "--opt=VALUE"), key options, "--" and positional
 * arguments (stored in pos, which holds at least argc entries; *npos their
 * number). Returns TOOL_PARSED, 0 after --help, or TOOL_EXIT_USAGE after a
 * one-line message. */
int tool_parse(const tool_cmd *cmd, int argc, char **argv, const char **pos, int *npos);

/* Parses an unsigned number for an option; prints the message and returns
 * TOOL_EXIT_USAGE when it is not one in [min, max]. */
int tool_parse_uint(const char *cmd, const char *opt, const char *text, uint32_t min, uint32_t max,
                    uint32_t *out);

/* ---- messages and exit codes ---------------------------------------------------------------- */

/* Prints "sealdb CMD: message" as one line on stderr; returns status. */
int tool_fail(const char *cmd, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prints a library error (err->message) as one line; returns the exit status
 * for err->code (tool_exit_code). */
int tool_fail_lib(const char *cmd, const sealdb_error *err);

/* The exit status for a SEALDB_E* code. */
int tool_exit_code(int code);

/* Prints what was done and what the database at path now is, as one line:
 * "DONE: sealed with aegis256, hardened layout, under a key". */
void tool_print_result(const char *done, const char *path);

/* ---- secrets --------------------------------------------------------------------------------- */

/* A buffer of n bytes, zeroed, locked in memory where the system allows. */
char *tool_secret_alloc(size_t n);
/* Wipes and frees a buffer from tool_secret_alloc (n: its size). NULL is a no-op. */
void tool_secret_free(char *p, size_t n);

/* ---- subcommands ---------------------------------------------------------------------------- */

int cmd_keygen(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_rekey(int argc, char **argv);
int cmd_encrypt(int argc, char **argv);
int cmd_decrypt(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_backup_verify(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_keyslot(int argc, char **argv);

#endif /* SEALDB_TOOL_H */
