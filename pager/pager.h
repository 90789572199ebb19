/*
 * pager.h - the contract of pager/, the layer that says where the data lives.
 *
 * The native pager keeps a SQLite-format database (plain, or sealed page by
 * page: docs/FORMAT.md) and its WAL: file locks, a page cache of plaintext
 * pages, the WAL and its in-memory index, snapshots for many readers,
 * atomic write batches, checkpoints, recovery and page allocation. The
 * engine stands on it; nothing here knows what a page means beyond page 1's
 * header and the freelist. docs/PAGER.md explains the design.
 *
 * Threads: a pager is shared by many threads. A snapshot, a page handle and
 * a write batch belong to one thread at a time. Every function returns
 * SEALDB_OK or a SEALDB_E* code, with a message in *err when err is not NULL.
 */
#ifndef SEALDB_PAGER_H
#define SEALDB_PAGER_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "sealdb.h"

/* ---- the I/O layer (io.c) --------------------------------------------------
 * Every byte the pager reads or writes, and every lock it takes, goes through
 * a pager_io, so that tests can replace it to inject faults. The default one
 * wraps SQLite's default VFS, whose locks exclude SQLite connections in this
 * process and in others. Methods return SEALDB_OK, SEALDB_EIO (with the
 * calling thread's pager_io_errno() set to the errno when known, ENOSPC for a
 * full disk), SEALDB_EBUSY (lock), or SEALDB_ENOMEM. */

typedef enum pager_file_kind {
    PAGER_FILE_DB = 1,      /* the database */
    PAGER_FILE_WAL = 2,     /* its write-ahead log */
    PAGER_FILE_JOURNAL = 3, /* a rollback journal, only ever read */
} pager_file_kind;

/* Lock levels: SQLite's, on the database file. */
enum {
    PAGER_LOCK_NONE = 0,
    PAGER_LOCK_SHARED = 1,
    PAGER_LOCK_RESERVED = 2,
    PAGER_LOCK_EXCLUSIVE = 4
};

typedef struct pager_io pager_io;
typedef struct pager_file {
    const pager_io *io; /* the layer that opened it */
} pager_file;

/* The errno of the calling thread's last failed I/O call (0: not known). It
 * is kept per thread, like errno, because threads share a file: a reader's
 * failing read and a committer's failing write on the same WAL each report
 * their own cause. Implementations of pager_io set it on every failure. */
int pager_io_errno(void);
void pager_io_set_errno(int e);

struct pager_io {
    void *ctx; /* the implementation's own state */
    /* Opens path; create: make it if missing. SEALDB_EIO with
     * pager_io_errno() ENOENT when it is missing and create is 0. */
    int (*open)(const pager_io *io, const char *path, pager_file_kind kind, int create,
                pager_file **out);
    int (*exists)(const pager_io *io, const char *path, int *out); /* and is not empty */
    int (*remove)(const pager_io *io, const char *path); /* a missing file is not an error */
    /* Reads n bytes at off; bytes past the end of the file read as zeros. */
    int (*read)(pager_file *f, void *buf, size_t n, uint64_t off);
    int (*write)(pager_file *f, const void *buf, size_t n, uint64_t off);
    int (*sync)(pager_file *f, int full); /* full: metadata too; else data only */
    int (*truncate)(pager_file *f, uint64_t size);
    int (*size)(pager_file *f, uint64_t *size);
    int (*lock)(pager_file *f, int level);   /* SEALDB_EBUSY if another holds it */
    int (*unlock)(pager_file *f, int level); /* down to level */
    void (*close)(pager_file *f);
};

/* SQLite's default VFS (the unix VFS): process-wide, never freed. */
const pager_io *pager_io_default(void);

/* ---- opening ---------------------------------------------------------------- */

typedef struct pager pager;
typedef struct pager_snapshot pager_snapshot;
typedef struct pager_page pager_page;
typedef struct pager_batch pager_batch;

typedef enum pager_durability {
    PAGER_SYNC_FULL = 0,   /* sync the WAL at every commit: a commit that returned is durable */
    PAGER_SYNC_NORMAL = 1, /* sync the WAL at checkpoints only: a power cut may lose the last
                              commits, never atomicity */
    PAGER_SYNC_OFF = 2,    /* never sync: safe against a crash of the process only */
} pager_durability;

typedef struct pager_config {
    const pager_io *io; /* NULL: pager_io_default() */
    /* The database's keys (not owned; must outlive the pager), or NULL for a
     * plain SQLite file. It must belong to the file's header (cipher, layout,
     * salt): else SEALDB_EMISMATCH. */
    seal_ctx *seal;
    int create;           /* make the database (page 1) if the file is missing or empty */
    uint32_t page_size;   /* a new database's page size (0: 4096); else 0 or the file's */
    uint32_t cache_pages; /* page cache budget in pages ... */
    uint64_t cache_bytes; /* ... or in bytes (0 and 0: 2000 pages); at least 16 pages */
    pager_durability durability;
    int32_t autocheckpoint;  /* passive checkpoint after a commit once the WAL holds this many
                                frames not yet copied (0: 1000; negative: never) */
    int caller_checkpoints;  /* pager_commit leaves that checkpoint to the caller, who runs
                                pager_autocheckpoint when no commit waits on it */
    int32_t busy_timeout_ms; /* checkpoints FULL and up wait this long for the writer and for
                                readers of older snapshots (0: 5000; negative: no wait) */
    int keep_wal;            /* close: leave the WAL as it is (no checkpoint) */
    int secure_delete;       /* freed pages are overwritten with zeros */
} pager_config;

/* Opens (or with cfg->create makes) the database at path and recovers its
 * WAL. Takes SQLite's SHARED then EXCLUSIVE lock on the file for the pager's
 * whole life: SQLite connections get SQLITE_BUSY until pager_close, and the
 * open fails with SEALDB_EBUSY while any SQLite connection holds a lock (in
 * WAL mode SQLite holds SHARED as long as it is open). Errors: SEALDB_EBUSY,
 * SEALDB_EIO, SEALDB_EFORMAT (not a database; a hot rollback journal),
 * SEALDB_ENOTSEALED / SEALDB_EMISMATCH (keys that do not fit the file),
 * SEALDB_ECORRUPT (a committed WAL frame or page 1 fails authentication:
 * the message names frame and page), SEALDB_ENOMEM, SEALDB_EINVAL. */
int pager_open(pager **out, const char *path, const pager_config *cfg, sealdb_error *err);
/* Checkpoints (TRUNCATE) and removes the WAL unless keep_wal, unlocks,
 * wipes the cache and frees the pager, even when that checkpoint fails (the
 * WAL then stays and the error is returned). Every snapshot and batch must
 * have ended. */
int pager_close(pager *p, sealdb_error *err);

uint32_t pager_page_size(const pager *p);
uint32_t pager_usable_size(const pager *p); /* page size minus the reserved bytes */

/* ---- snapshots ----------------------------------------------------------------
 * A snapshot is the state of the last commit published when it began; it
 * sees exactly that for its whole life, whatever commits and checkpoints
 * follow. */

int pager_snapshot_begin(pager *p, pager_snapshot **out, sealdb_error *err);
void pager_snapshot_end(pager_snapshot *s); /* every page put back; not a batch's */
uint32_t pager_snapshot_page_count(const pager_snapshot *s);
uint32_t pager_snapshot_frame(const pager_snapshot *s); /* its last WAL frame (0: none) */

/* Lends page pgno (1..page count) as the snapshot sees it: plaintext, page
 * size bytes, read-only, valid until pager_put. A cache hit takes no system
 * call and no crypto. SEALDB_ECORRUPT if the page fails authentication or
 * lies beyond the page count; SEALDB_EIO; SEALDB_ENOMEM when every cache
 * page is lent out. */
int pager_get(pager_snapshot *s, uint32_t pgno, pager_page **pg, sealdb_error *err);
const uint8_t *pager_page_data(const pager_page *pg);
void pager_put(pager_page *pg);

/* ---- write batches ----------------------------------------------------------------
 * One batch at a time per pager (pager_begin waits for the one before). A
 * batch reads through its own snapshot, which sees the batch's changes. */

int pager_begin(pager *p, pager_batch **out, sealdb_error *err);
pager_snapshot *pager_batch_snapshot(pager_batch *b);
/* Makes pgno part of the batch and returns its image to change in place,
 * valid until commit or rollback. Pages lent earlier show the old image. */
int pager_write(pager_batch *b, uint32_t pgno, uint8_t **data, sealdb_error *err);
/* A page off the freelist or past the end (zeroed, part of the batch). */
int pager_allocate(pager_batch *b, uint32_t *pgno, uint8_t **data, sealdb_error *err);
/* Puts pgno on the freelist (SQLite's trunk and leaf pages). */
int pager_free(pager_batch *b, uint32_t pgno, sealdb_error *err);
/* Sets the page count; pages past it leave the batch. The caller makes sure
 * nothing (no B-tree, no freelist entry) refers to them. These three return
 * SEALDB_EFORMAT for an auto-vacuum database (pointer maps are not kept) and
 * SEALDB_ECORRUPT for a freelist that points outside the database. */
int pager_truncate(pager_batch *b, uint32_t page_count, sealdb_error *err);
/* Appends the batch to the WAL as frames (its last one the commit frame),
 * syncs as the durability mode says and publishes it to later snapshots.
 * Page 1, when in the batch, gets the page count, the change counter and
 * version-valid-for number one higher, and WAL mode in bytes 18 and 19; it
 * is added to the first commit to a database in rollback mode (as SQLite's
 * PRAGMA journal_mode=WAL would write it). Ends the batch whether or not
 * it succeeds; after an error nothing of it is visible, and it may or may
 * not be in the WAL after a crash (as with any I/O error in SQLite). */
int pager_commit(pager_batch *b, sealdb_error *err);
void pager_rollback(pager_batch *b);

/* ---- checkpoints ---------------------------------------------------------------- */

typedef enum pager_checkpoint_mode {
    PAGER_CHECKPOINT_PASSIVE = 0,  /* copy what no snapshot still needs; never wait */
    PAGER_CHECKPOINT_FULL = 1,     /* wait for the writer and older snapshots, copy all */
    PAGER_CHECKPOINT_RESTART = 2,  /* FULL, then start the WAL over */
    PAGER_CHECKPOINT_TRUNCATE = 3, /* RESTART, then truncate the WAL to zero bytes */
} pager_checkpoint_mode;

/* Copies WAL frames into the database file as far as no live snapshot needs
 * the pages they replace. *log_frames and *backfilled (may be NULL): frames
 * in the WAL and how many of them are in the database after it. SEALDB_EBUSY
 * when a FULL or stronger mode could not get everything within the busy
 * timeout (it copied what it could). */
int pager_checkpoint(pager *p, pager_checkpoint_mode mode, uint32_t *log_frames,
                     uint32_t *backfilled, sealdb_error *err);
/* The automatic checkpoint: a passive one when the WAL holds autocheckpoint
 * frames not yet copied and no checkpoint is running (else nothing); a
 * restart that waits at most 5 ms for older snapshots once the WAL holds
 * twice that many frames (less often after tries that failed). A failure
 * leaves everything as it was; the next call tries again. */
void pager_autocheckpoint(pager *p);

/* ---- statistics ------------------------------------------------------------------ */

typedef struct pager_stats {
    uint64_t cache_hits, cache_misses, evictions;
    uint64_t pages_sealed, pages_unsealed;
    uint64_t commits, frames_written;
    uint64_t wal_syncs, db_syncs; /* fsyncs of each file */
    uint64_t checkpoints, pages_backfilled, wal_restarts;
    uint64_t tables_reclaimed;           /* snapshot tables whose pins a miss took back */
    uint32_t wal_frames;                 /* committed frames in the WAL now */
    uint32_t wal_backfilled;             /* of which already in the database file */
    uint32_t cache_used, cache_capacity; /* pages */
    uint32_t page_count;                 /* of the last commit */
} pager_stats;

void pager_stats_get(pager *p, pager_stats *out);

/* 1 once a sync of the WAL failed: from then on commits and checkpoints
 * return SEALDB_EIO until the database is closed and opened again. */
int pager_wal_failed(pager *p);

/* ---- the WAL checksum (wal_checksum.c) --------------------------------------------- */

/* SQLite's WAL checksum over n bytes (n a multiple of 8), continuing from
 * in[2] into out[2]; big_endian selects the word order (WAL magic bit 0). */
void wal_checksum(int big_endian, const uint8_t *data, size_t n, const uint32_t in[2],
                  uint32_t out[2]);
/* The same, one pair of words at a time (the reference the fast path is
 * tested against). */
void wal_checksum_portable(int big_endian, const uint8_t *data, size_t n, const uint32_t in[2],
                           uint32_t out[2]);
/* The chain over one WAL frame, continuing from in[2] into out[2]: the
 * frame header's first 8 bytes (page number, commit size), then the body's
 * page_size bytes. The pager's WAL and the VFS's both use it. */
void wal_frame_checksum(int big_endian, const uint8_t *frame_header, const uint8_t *body,
                        size_t page_size, const uint32_t in[2], uint32_t out[2]);

#endif /* SEALDB_PAGER_H */
