/*
 * cmd_keygen.c - 'sealdb keygen': a fresh random key in a new key file.
 *
 * The key is written to a temporary file (mode 0600) beside the target,
 * synced, and linked to its name with link(2), which fails if the name
 * exists: the key file appears complete or not at all, and an existing key
 * is never overwritten.
 */
#define _GNU_SOURCE /* explicit_bzero */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

static const tool_help keygen_help = {
    .name = "keygen - write a fresh random key to a new key file",
    .synopsis = "keygen PATH [--bytes 16|32]",
    .description = "Writes a random key from the operating system's CSPRNG to PATH as hex\n"
                   "digits and a newline (64 digits for 32 bytes, 32 for 16), in a new file\n"
                   "with mode 0600 that only its owner can read. PATH must not exist: keygen\n"
                   "never overwrites a key. The file appears complete or not at all.\n"
                   "\n"
                   "Use it with --key-file. A 32-byte key suits every cipher but aes128gcm,\n"
                   "aegis128l, aegis128x2 and aegis128x4, which take 16 bytes.",
    .options = "--bytes 16|32\n"
               "    the key's length in bytes (default 32)",
    .examples = "sealdb keygen app.key\n"
                "sealdb sql app.db --key-file app.key 'CREATE TABLE t(x)'",
};

/* Writes the text to a new file at path, atomically and without replacing
 * anything. Returns an exit status. */
static int write_new_file(const char *cmd, const char *path, const char *text, size_t len)
{
    struct stat st;
    if (lstat(path, &st) == 0) {
        return tool_fail(cmd, TOOL_EXIT_FAILED,
                         "%s already exists; keygen never overwrites a key file: remove it or "
                         "choose another name",
                         path);
    }
    const size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp) {
        return tool_fail(cmd, TOOL_EXIT_FAILED, "out of memory");
    }
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp-XXXXXX", 12);
    const int fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
    if (fd < 0) {
        const int e = errno;
        free(tmp);
        return tool_fail(cmd, TOOL_EXIT_NOFILE, "cannot create %s: %s", path, strerror(e));
    }
    int status = TOOL_EXIT_OK;
    size_t done = 0;
    while (status == TOOL_EXIT_OK && done < len) {
        const ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            status = tool_fail(cmd, TOOL_EXIT_NOFILE, "cannot write %s: %s", path,
                               w < 0 ? strerror(errno) : "no space");
        }
        done += w > 0 ? (size_t)w : 0;
    }
    if (status == TOOL_EXIT_OK && (fchmod(fd, 0600) != 0 || fsync(fd) != 0)) {
        status = tool_fail(cmd, TOOL_EXIT_NOFILE, "cannot write %s: %s", path, strerror(errno));
    }
    close(fd);
    if (status == TOOL_EXIT_OK && link(tmp, path) != 0) {
        status = errno == EEXIST ? tool_fail(cmd, TOOL_EXIT_FAILED,
                                             "%s already exists; keygen never overwrites a key "
                                             "file: remove it or choose another name",
                                             path)
                                 : tool_fail(cmd, TOOL_EXIT_NOFILE, "cannot create %s: %s", path,
                                             strerror(errno));
    }
    unlink(tmp);
    if (status == TOOL_EXIT_OK) {
        /* the new name must survive a crash too */
        memcpy(tmp, path, n + 1);
        const int dfd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    free(tmp);
    return status;
}

/* A hex digit for n in 0..15, without a table lookup indexed by the secret. */
static char hex_digit(unsigned n)
{
    return (char)(n + '0' + (((9u - n) >> 8) & ('a' - '0' - 10)));
}

int cmd_keygen(int argc, char **argv)
{
    const char *bytes_text = NULL;
    const tool_opt opts[] = {{"--bytes", &bytes_text, NULL}, {NULL, NULL, NULL}};
    static const char *const args[] = {"PATH", NULL};
    const tool_cmd cmd = {"keygen", &keygen_help, opts, {NULL}, args, 1, 0};
    const char *pos[argc + 1];
    int npos;
    int rc = tool_parse(&cmd, argc, argv, pos, &npos);
    if (rc != TOOL_PARSED) {
        return rc;
    }
    size_t bytes = 32;
    if (bytes_text) {
        if (strcmp(bytes_text, "16") != 0 && strcmp(bytes_text, "32") != 0) {
            return tool_fail(cmd.name, TOOL_EXIT_USAGE, "--bytes: '%s' is not 16 or 32",
                             bytes_text);
        }
        bytes = (size_t)atoi(bytes_text);
    }
    char *key = tool_secret_alloc(32);
    char *hex = tool_secret_alloc(2 * 32 + 2);
    if (!key || !hex) {
        tool_secret_free(key, 32);
        tool_secret_free(hex, 2 * 32 + 2);
        return tool_fail(cmd.name, TOOL_EXIT_FAILED, "out of memory");
    }
    if (sealdb_random_bytes(key, bytes) != SEALDB_OK) {
        rc = tool_fail(cmd.name, TOOL_EXIT_FAILED,
                       "the operating system's random source cannot "
                       "be used");
    } else {
        for (size_t i = 0; i < bytes; i++) {
            hex[2 * i] = hex_digit((unsigned char)key[i] >> 4);
            hex[2 * i + 1] = hex_digit((unsigned char)key[i] & 15);
        }
        hex[2 * bytes] = '\n';
        rc = write_new_file(cmd.name, pos[0], hex, 2 * bytes + 1);
    }
    tool_secret_free(key, 32);
    tool_secret_free(hex, 2 * 32 + 2);
    if (rc == TOOL_EXIT_OK) {
        printf("wrote a new %zu-byte key to %s (mode 0600)\n", bytes, pos[0]);
    }
    return rc;
}
