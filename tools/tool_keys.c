/*
 * tool_keys.c - the key options every subcommand shares, in three sets: the
 * plain one (--key-file ...) and the prefixed ones (--new-key-file ...,
 * --backup-key-file ...), and reading a passphrase.
 *
 * A passphrase is read from the terminal (/dev/tty) with echo off when
 * standard input is a terminal, and otherwise as one line of standard input,
 * so that scripts can pipe it. Standard input is read one byte at a time
 * with read(2): nothing of the passphrase stays in a stdio buffer, and what
 * follows the line (SQL for 'sealdb sql') is left for the command.
 *
 * The tool's own copies of secrets (the passphrase, a --hexkey copied out of
 * argv) are in locked buffers, wiped by tool_keys_wipe once the library,
 * which keeps its own locked copy, has taken them.
 */
#define _GNU_SOURCE /* explicit_bzero */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "tool.h"

#define PASS_BUF (TOOL_PASSPHRASE_MAX + 2)

tool_key tool_key_set(const char *prefix)
{
    tool_key k;
    memset(&k, 0, sizeof k);
    k.prefix = prefix;
    return k;
}

int tool_key_given(const tool_key *k)
{
    return k->sources || k->cipher || k->layout || k->kdf_ops || k->kdf_mem_kib || k->keyslots;
}

/* "new " for "new-": the set's name in messages. */
static const char *set_word(const tool_key *k)
{
    return strcmp(k->prefix, "new-") == 0      ? "new "
           : strcmp(k->prefix, "backup-") == 0 ? "backup "
                                               : "";
}

/* ---- options -----------------------------------------------------------------------------------
 */

static const struct {
    const char *name;
    int takes_value;
} key_options[] = {
    {"hexkey", 1}, {"key-file", 1}, {"key-env", 1}, {"passphrase", 0}, {"passphrase-env", 1},
    {"cipher", 1}, {"layout", 1},   {"kdf-ops", 1}, {"kdf-mem", 1},    {"keyslots", 0},
};

int tool_key_option_arity(const char *name)
{
    for (size_t i = 0; i < sizeof key_options / sizeof key_options[0]; i++) {
        if (strcmp(key_options[i].name, name) == 0) {
            return key_options[i].takes_value;
        }
    }
    return -1;
}

int tool_key_option(const char *cmd, tool_key *k, const char *opt, const char *name, char *value)
{
    if (strcmp(name, "hexkey") == 0) {
        tool_secret_free(k->hexkey, k->hexkey_size);
        k->hexkey_size = strlen(value) + 1;
        k->hexkey = tool_secret_alloc(k->hexkey_size);
        if (!k->hexkey) {
            return tool_fail(cmd, TOOL_EXIT_FAILED, "out of memory");
        }
        memcpy(k->hexkey, value, k->hexkey_size);
        explicit_bzero(value, k->hexkey_size - 1); /* no longer in /proc/PID/cmdline */
        k->sources++;
    } else if (strcmp(name, "key-file") == 0) {
        k->keyfile = value;
        k->sources++;
    } else if (strcmp(name, "key-env") == 0) {
        k->keyenv = value;
        k->sources++;
    } else if (strcmp(name, "passphrase") == 0) {
        k->passphrase_ask = 1;
        k->sources++;
    } else if (strcmp(name, "passphrase-env") == 0) {
        k->passphrase_env = value;
        k->sources++;
    } else if (strcmp(name, "cipher") == 0) {
        sealdb_cipher_id id;
        sealdb_error err;
        if (sealdb_cipher_lookup(value, &id, &err) != SEALDB_OK) {
            return tool_fail(cmd, TOOL_EXIT_USAGE, "%s: %s", opt, err.message);
        }
        k->cipher = value;
    } else if (strcmp(name, "layout") == 0) {
        if (strcasecmp(value, "hardened") == 0) {
            k->layout = SEALDB_LAYOUT_HARDENED;
        } else if (strcasecmp(value, "turso") == 0) {
            k->layout = SEALDB_LAYOUT_TURSO;
        } else {
            return tool_fail(cmd, TOOL_EXIT_USAGE,
                             "%s: unknown layout '%s'; expected hardened or turso", opt, value);
        }
    } else if (strcmp(name, "kdf-ops") == 0) {
        return tool_parse_uint(cmd, opt, value, 1, UINT32_MAX, &k->kdf_ops);
    } else if (strcmp(name, "kdf-mem") == 0) {
        return tool_parse_uint(cmd, opt, value, 1, UINT32_MAX, &k->kdf_mem_kib);
    } else if (strcmp(name, "keyslots") == 0) {
        k->keyslots = 1;
    }
    return TOOL_EXIT_OK;
}

/* ---- reading a passphrase ------------------------------------------------------------------- */

/* The signal that interrupted a prompt. A signal handler reaches only static
 * storage; the terminal's settings themselves stay in ask_terminal's frame. */
static volatile sig_atomic_t prompt_signal;

static void on_prompt_signal(int sig)
{
    prompt_signal = sig;
}

/* Reads one line from fd into buf (at most TOOL_PASSPHRASE_MAX bytes, NUL
 * added, the newline and a CR before it dropped). Returns 0, or: 1 end of
 * input before any byte, 2 too long, -1 a read error (errno). */
static int read_line(int fd, char *buf, size_t *len)
{
    size_t n = 0;
    int too_long = 0;
    for (;;) {
        char c;
        const ssize_t r = read(fd, &c, 1);
        if (r < 0) {
            if (errno == EINTR && !prompt_signal) {
                continue;
            }
            explicit_bzero(&c, 1);
            return -1;
        }
        if (r == 0) {
            if (n == 0 && !too_long) {
                return 1;
            }
            break;
        }
        if (c == '\n') {
            break;
        }
        if (n < TOOL_PASSPHRASE_MAX + 1) {
            buf[n++] = c;
        } else {
            too_long = 1;
        }
        explicit_bzero(&c, 1);
    }
    if (n > 0 && buf[n - 1] == '\r') {
        n--;
    }
    buf[n] = '\0';
    *len = n;
    return too_long || n > TOOL_PASSPHRASE_MAX ? 2 : 0;
}

/* Asks on the terminal with echo off. Returns as read_line; on a signal the
 * terminal is restored and the signal delivered again. */
static int ask_terminal(int tty, const char *prompt, char *buf, size_t *len)
{
    static const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
    struct sigaction old_actions[sizeof signals / sizeof signals[0]];
    struct sigaction act;
    memset(&act, 0, sizeof act);
    act.sa_handler = on_prompt_signal; /* no SA_RESTART: read returns EINTR */
    sigemptyset(&act.sa_mask);
    prompt_signal = 0;
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        sigaction(signals[i], &act, &old_actions[i]);
    }
    struct termios saved, quiet;
    const int have_termios = tcgetattr(tty, &saved) == 0;
    if (have_termios) {
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
        tcsetattr(tty, TCSAFLUSH, &quiet);
    }
    (void)!write(tty, prompt, strlen(prompt));
    const int rc = read_line(tty, buf, len);
    const int e = errno;
    if (have_termios) {
        tcsetattr(tty, TCSAFLUSH, &saved);
    }
    (void)!write(tty, "\n", 1);
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        sigaction(signals[i], &old_actions[i], NULL);
    }
    if (prompt_signal) {
        explicit_bzero(buf, PASS_BUF);
        raise(prompt_signal); /* returns if the signal stops us or is ignored */
        errno = EINTR;
        return -1;
    }
    errno = e;
    return rc;
}

static int line_error(const char *cmd, const tool_key *k, int rc, const char *where)
{
    if (rc == 1) {
        return tool_fail(cmd, TOOL_EXIT_USAGE,
                         "--%spassphrase: %s ended before a passphrase line; pipe one line "
                         "or use --%spassphrase-env",
                         k->prefix, where, k->prefix);
    }
    if (rc == 2) {
        return tool_fail(cmd, TOOL_EXIT_USAGE,
                         "--%spassphrase: the passphrase is longer than %d bytes", k->prefix,
                         TOOL_PASSPHRASE_MAX);
    }
    if (prompt_signal) {
        return tool_fail(cmd, TOOL_EXIT_FAILED, "interrupted");
    }
    return tool_fail(cmd, TOOL_EXIT_NOFILE, "cannot read the passphrase from %s: %s", where,
                     strerror(errno));
}

static int read_passphrase(const char *cmd, tool_key *k, const char *prompt, int confirm)
{
    size_t len = 0;
    if (!isatty(STDIN_FILENO)) {
        const int rc = read_line(STDIN_FILENO, k->passphrase, &len);
        return rc == 0 ? TOOL_EXIT_OK : line_error(cmd, k, rc, "standard input");
    }
    const int tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    if (tty < 0) {
        return tool_fail(cmd, TOOL_EXIT_FAILED,
                         "cannot open the terminal to ask for the passphrase: %s; pipe it on "
                         "standard input or use --%spassphrase-env",
                         strerror(errno), k->prefix);
    }
    int rc = ask_terminal(tty, prompt, k->passphrase, &len);
    int status = rc == 0 ? TOOL_EXIT_OK : line_error(cmd, k, rc, "the terminal");
    if (status == TOOL_EXIT_OK && confirm) {
        char *again = tool_secret_alloc(PASS_BUF);
        size_t len2 = 0;
        if (!again) {
            status = tool_fail(cmd, TOOL_EXIT_FAILED, "out of memory");
        } else if ((rc = ask_terminal(tty, "Repeat the new passphrase: ", again, &len2)) != 0) {
            status = line_error(cmd, k, rc, "the terminal");
        } else if (len2 != len || memcmp(again, k->passphrase, len) != 0) {
            status =
                tool_fail(cmd, TOOL_EXIT_USAGE, "the two passphrases differ; nothing was changed");
        }
        tool_secret_free(again, PASS_BUF);
    }
    close(tty);
    return status;
}

static int require_source(const char *cmd, const tool_key *k)
{
    return tool_fail(cmd, TOOL_EXIT_USAGE,
                     "no %skey given: use --%skey-file, --%shexkey, --%skey-env, --%spassphrase "
                     "or --%spassphrase-env",
                     set_word(k), k->prefix, k->prefix, k->prefix, k->prefix, k->prefix);
}

int tool_key_read(const char *cmd, tool_key *k, int required, const char *what, int confirm)
{
    if (required && !k->sources) {
        return require_source(cmd, k);
    }
    if (k->sources > 1) {
        return tool_fail(cmd, TOOL_EXIT_USAGE,
                         "give one %skey source (--%shexkey, --%skey-file, --%skey-env, "
                         "--%spassphrase or --%spassphrase-env); %d given",
                         set_word(k), k->prefix, k->prefix, k->prefix, k->prefix, k->prefix,
                         k->sources);
    }
    const int pass = k->passphrase_ask || k->passphrase_env;
    if (k->sources && !pass && (k->kdf_ops || k->kdf_mem_kib)) {
        return tool_fail(cmd, TOOL_EXIT_USAGE, "--%skdf-ops and --%skdf-mem apply to a passphrase",
                         k->prefix, k->prefix);
    }
    if (!pass || k->passphrase) {
        return TOOL_EXIT_OK;
    }
    k->passphrase = tool_secret_alloc(PASS_BUF);
    if (!k->passphrase) {
        return tool_fail(cmd, TOOL_EXIT_FAILED, "out of memory");
    }
    int status;
    if (k->passphrase_env) {
        const char *v = getenv(k->passphrase_env);
        if (!v) {
            status = tool_fail(cmd, TOOL_EXIT_USAGE,
                               "--%spassphrase-env: environment variable %s is not set", k->prefix,
                               k->passphrase_env);
        } else if (strlen(v) > TOOL_PASSPHRASE_MAX) {
            status = tool_fail(cmd, TOOL_EXIT_USAGE,
                               "--%spassphrase-env: the passphrase is longer than %d bytes",
                               k->prefix, TOOL_PASSPHRASE_MAX);
        } else {
            memcpy(k->passphrase, v, strlen(v) + 1);
            status = TOOL_EXIT_OK;
        }
    } else {
        char prompt[512];
        snprintf(prompt, sizeof prompt, "%s for %s: ", confirm ? "New passphrase" : "Passphrase",
                 what);
        status = read_passphrase(cmd, k, prompt, confirm);
    }
    if (status == TOOL_EXIT_OK && !k->passphrase[0]) {
        status = tool_fail(cmd, TOOL_EXIT_USAGE, "--%spassphrase%s: the passphrase is empty",
                           k->prefix, k->passphrase_env ? "-env" : "");
    }
    return status;
}

sealdb_sqlite_config tool_key_config(const tool_key *k, const tool_key *fallback)
{
    sealdb_sqlite_config c;
    memset(&c, 0, sizeof c);
    const tool_key *src = k->sources || !fallback ? k : fallback;
    c.hexkey = src->hexkey;
    c.keyfile = src->keyfile;
    c.keyenv = src->keyenv;
    c.passphrase = src->passphrase;
    c.cipher = k->cipher;
    c.layout = k->layout;
    c.kdf_ops = k->kdf_ops;
    c.kdf_mem_kib = k->kdf_mem_kib;
    c.keyslots = k->keyslots;
    return c;
}

static void key_wipe(tool_key *k)
{
    if (k) {
        tool_secret_free(k->hexkey, k->hexkey_size);
        tool_secret_free(k->passphrase, PASS_BUF);
        k->hexkey = NULL;
        k->passphrase = NULL;
    }
}

void tool_keys_wipe(tool_key *a, tool_key *b)
{
    key_wipe(a);
    key_wipe(b);
}
