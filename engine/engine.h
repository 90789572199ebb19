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

#include "keys.h"
#include "pager.h" /* wal_checksum: the WAL format is the pager's */
#include "sealdb.h"

/* Hands a credential (a copy) to the VFS for one open: returns its id for
 * the URI's keyref parameter. The VFS takes the entry out when it opens the
 * database; keyref_drop removes it if that never happened. new_keyslots: a
 * new database keeps its key in key slots. */
int keyref_add(const credential *c, int new_keyslots, char id[33]);

/* The credential a configuration names (exactly one key source). */
int cred_from_config(credential *c, const sealdb_sqlite_config *cfg, sealdb_error *err);
void keyref_drop(const char *id);

/* The last error the VFS recorded for the sealed database behind schema
 * `name` (or, with db NULL, the last one of this thread, which outlives a
 * failed open): its SEALDB_E* code with *msg set, or SEALDB_OK if none. */
int vfs_last_error(sqlite3 *db, const char *name, const char **msg);
void vfs_clear_last_error(void);

/* sqlite3_file_control op on a sealed main database: replace the database
 * file with tmp_path atomically (see main_swap in vfs.c). */
#define VFS_FCNTL_SWAP 0x5ea1db01
typedef struct vfs_swap_args {
    const char *tmp_path;
    int timeout_ms; /* how long to wait for readers */
    int wal;        /* the database is in WAL mode: no exclusive lock to wait for */
    char msg[256];  /* why it failed */
} vfs_swap_args;

/* sealdb_open with the pager's files reached through io (NULL: the
 * operating system's): the crash tests' fault layer. */
int native_open_io(const char *path, const sealdb_sqlite_config *keys, const sealdb_options *opt,
                   const pager_io *io, sealdb_db **out, sealdb_error *err);

/* Fault injection for the crash tests: when set, called at every step of a
 * conversion where a crash must leave the database intact. Production code
 * never sets it. */
extern void (*engine_fault_hook)(const char *point);
static inline void engine_fault(const char *point)
{
    if (engine_fault_hook) {
        engine_fault_hook(point);
    }
}

#endif /* SEALDB_ENGINE_H */
