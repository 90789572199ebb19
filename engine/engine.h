/*
 * engine.h - the contract of engine/, the layer that gives the data meaning.
 *
 * Today it holds the SQLite front end: the "sealdb" VFS that seals every
 * page SQLite writes and opens every page it reads. The public entry points
 * (sealdb_vfs_register, sealdb_sqlite_open, the loadable-extension init)
 * are declared in include/sealdb.h; this header carries what tests need to
 * look inside.
 */
#ifndef SEALDB_ENGINE_H
#define SEALDB_ENGINE_H

#include <sqlite3.h>

#include "sealdb.h"

/* SQLite's WAL checksum over n bytes (n a multiple of 8), continuing from
 * in[2] into out[2]; big_endian selects the word order (WAL magic bit 0). */
void wal_checksum(int big_endian, const uint8_t *data, size_t n, const uint32_t in[2],
                  uint32_t out[2]);

/* Hands a key to the VFS for one open: returns its id for the URI's keyref
 * parameter. The VFS takes the entry out when it opens the database;
 * keyref_drop removes it if that never happened. */
int keyref_add(const uint8_t *key, size_t len, char id[33]);
void keyref_drop(const char *id);

/* The last error the VFS recorded for the sealed database behind schema
 * `name` (or, with db NULL, the last one of this thread, which outlives a
 * failed open): its SEALDB_E* code with *msg set, or SEALDB_OK if none. */
int vfs_last_error(sqlite3 *db, const char *name, const char **msg);
void vfs_clear_last_error(void);

#endif /* SEALDB_ENGINE_H */
