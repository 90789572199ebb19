/*
 * interop.h - what the interop programs share: the canonical text of query
 * results, the manifest that lists the databases of a run, and a count of
 * the frames in a WAL file.
 *
 * Canonical text (the same form the Node scripts write and read): for each
 * query a line "@ <sql>", then one line per result row with every value
 * encoded by its storage class and the values joined by ',':
 *   NULL 'n', INTEGER 'i' + decimal, REAL 'r' + the 16 hex digits of the
 *   IEEE-754 bits (big-endian), TEXT 't' + hex of the UTF-8 bytes,
 *   BLOB 'b' + hex.
 * Two engines agree on a database exactly when their texts are equal.
 *
 * Manifest: one database a line, "layout cipher hexkey db canon", with the
 * file names relative to the manifest's folder. Lines starting with '#' are
 * comments.
 */
#ifndef SEALDB_INTEROP_H
#define SEALDB_INTEROP_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>

/* CHECK_INT of check.h (include it first), printing the context (printf
 * arguments) only when this very check fails. */
#define INTEROP_CHECK_INT(actual, expected, ...)                                                   \
    do {                                                                                           \
        const int interop_before_ = check_failures;                                                \
        CHECK_INT(actual, expected);                                                               \
        if (check_failures > interop_before_) {                                                    \
            fprintf(stderr, "  in: ");                                                             \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* A growable byte string, always NUL-terminated. Zero-initialise. */
typedef struct interop_text {
    char *data;
    size_t len;
    size_t cap;
} interop_text;

void interop_text_add(interop_text *t, const void *p, size_t n);
void interop_text_free(interop_text *t);

/* Appends "@ sql\n" and the canonical rows of the query's result to out.
 * Returns SQLITE_OK, or the SQLite error (its message is on stderr). */
int interop_canon_query(sqlite3 *db, const char *sql, interop_text *out);

/* Runs every query ("@ " line) of an expected canonical text, in order, and
 * appends their canonical results to out. Returns SQLITE_OK or an error. */
int interop_canon_replay(sqlite3 *db, const char *expected, interop_text *out);

/* Compares canonical texts. Equal: returns 1. Otherwise prints, under
 * label, the first differing line of both (shortened) and the query it
 * belongs to, and returns 0. */
int interop_canon_equal(const char *label, const char *got, const char *want);

/* The whole file as a NUL-terminated string (NULL and a message on error). */
char *interop_read_file(const char *path, size_t *len);

/* Writes len bytes to path; 0 on success, -1 with a message on error. */
int interop_write_file(const char *path, const void *p, size_t len);

/* One line of a manifest. */
typedef struct interop_entry {
    char layout[16];
    char cipher[16];
    char hexkey[80];
    char db[4096]; /* full paths: the manifest's folder joined to the names */
    char canon[4096];
} interop_entry;

/* Reads the next entry. Returns 1, 0 at the end, -1 for a malformed line. */
int interop_manifest_next(FILE *f, const char *dir, interop_entry *e);

/* Frames in a WAL file: counted from the header on while each frame header
 * carries the WAL's salts (the way SQLite and Turso find the valid end,
 * checksums aside). A missing or empty file has none. */
typedef struct interop_wal {
    long long size; /* file size in bytes, -1 if there is no file */
    long frames;    /* frames with the header's salts */
    long commits;   /* of those, frames that end a transaction */
    unsigned page_size;
} interop_wal;

/* Fills w for the WAL of database db_path (db_path + "-wal"); 0, or -1 if
 * the file exists but cannot be read. */
int interop_wal_count(const char *db_path, interop_wal *w);

#endif /* SEALDB_INTEROP_H */
