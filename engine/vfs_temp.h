/*
 * vfs_temp.h - the sealed block layer under SQLite's temporary files.
 *
 * SQLite's temporary files (temp databases, temp journals, statement
 * sub-journals, sorter spills, transient databases) are read and written at
 * any offset and length, rewritten and truncated, and never outlive the
 * process. A temp_file gives SQLite such a file while `under` (the real file)
 * only ever holds sealed blocks: logical block i (TEMP_BLOCK bytes) is stored
 * at offset i * TEMP_PHYS_BLOCK of `under` as ciphertext followed by its tag,
 * under a random key that exists only in this process's memory.
 *
 * Invariants:
 * - No plaintext byte is ever written to `under`.
 * - A nonce is never used twice under a file's key, and a block is opened
 *   only with the nonce of its latest seal, so a block that was changed,
 *   moved, replayed from an older version or cut short reads as
 *   SQLITE_IOERR_READ, never as data.
 * - Bytes at or past the logical size read as zeros, whatever was there
 *   before a truncation.
 * One thread at a time per temp_file (SQLite serialises calls on a file).
 */
#ifndef SEALDB_VFS_TEMP_H
#define SEALDB_VFS_TEMP_H

#include <sqlite3.h>

#define TEMP_BLOCK 4096                   /* logical block: plaintext bytes */
#define TEMP_PHYS_BLOCK (TEMP_BLOCK + 16) /* physical block: ciphertext, then the 16-byte tag */

typedef struct temp_file temp_file;

/* Wraps `under`, an already opened sqlite3_file of the underlying VFS (empty, temporary), in a
 * sealed block layer with a fresh random key. `under` stays owned by the caller (it must outlive
 * the temp_file and is closed by the caller after temp_file_close). Returns SQLITE_OK or
 * SQLITE_NOMEM / SQLITE_IOERR; *out is NULL on failure. */
int temp_file_open(temp_file **out, sqlite3_file *under);

/* Same semantics as sqlite3_io_methods xRead/xWrite/xTruncate/xFileSize on the LOGICAL
 * (plaintext) file: a read past the logical end returns SQLITE_IOERR_SHORT_READ with the missing
 * bytes zero-filled; writes past the end extend the file (any gap reads as zeros); truncate
 * shrinks or (like ftruncate) extends with zeros. A block that fails authentication makes the read
 * return SQLITE_IOERR_READ with `buf` zero-filled; errors of `under` are passed up; a write or
 * truncate beyond the largest size the layout can address returns SQLITE_FULL. */
int temp_file_read(temp_file *f, void *buf, int amt, sqlite3_int64 off);
int temp_file_write(temp_file *f, const void *buf, int amt, sqlite3_int64 off);
int temp_file_truncate(temp_file *f, sqlite3_int64 size);
int temp_file_size(temp_file *f, sqlite3_int64 *size);

/* Wipes the key and the buffered plaintext and frees f (does not close `under`). NULL is a
 * no-op. */
void temp_file_close(temp_file *f);

#endif /* SEALDB_VFS_TEMP_H */
