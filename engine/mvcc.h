/*
 * mvcc.h - the transaction manager for concurrent writers (engine/mvcc.c).
 *
 * Transactions read a snapshot (the commit sequence number published when
 * they began) and buffer their writes privately as keys in spaces (a table's
 * rowids, a unique index's keys). Commit validates first-committer-wins on
 * those keys against every transaction that committed after the snapshot
 * (and, for serializable transactions, on what they read), then joins a
 * group: one committer applies the whole group to storage and makes it
 * durable with one sync, and everyone in it returns together. Storage is
 * reached through mvcc_hooks only, so the same manager drives the native
 * B-tree over the pager and the tests' model store.
 */
#ifndef SEALDB_MVCC_H
#define SEALDB_MVCC_H

#include <stddef.h>
#include <stdint.h>

#include "sealdb.h"

typedef struct mvcc_db mvcc_db;
typedef struct mvcc_txn mvcc_txn;

enum mvcc_kind {
    MVCC_READ = 0,       /* a snapshot; writes refused */
    MVCC_CONCURRENT = 1, /* optimistic: may get SEALDB_ECONFLICT at commit */
    MVCC_EXCLUSIVE = 2,  /* one at a time, other commits wait for it: never conflicts */
};

/* One buffered write, as the storage hook sees it. */
typedef struct mvcc_write {
    uint32_t space;
    const uint8_t *key;
    uint32_t key_len;
    const uint8_t *value; /* NULL: delete */
    uint32_t value_len;
} mvcc_write;

typedef struct mvcc_hooks {
    void *ctx;
    /* Applies the writes of txns[0..n) (in this order, each in its write
     * order) to storage and makes them durable as one batch under sequence
     * numbers first_seq..first_seq+n-1; SEALDB_OK, or an error after which
     * none of them is visible or durable. Called by one thread at a time. */
    int (*apply_group)(void *ctx, mvcc_txn *const *txns, int n, uint64_t first_seq);
    /* Optional, called under the manager's lock: pin makes a beginning
     * transaction read the state of sequence number mvcc_snapshot(t);
     * publish makes the state up to seq the one new transactions read;
     * unpin lets storage forget a finished transaction's state. */
    void (*pin)(void *ctx, mvcc_txn *t);
    void (*unpin)(void *ctx, mvcc_txn *t);
    void (*publish)(void *ctx, uint64_t seq);
    /* Groups land in microseconds (no sync per group): a leader then leads
     * the groups queued behind its own, and waiting committers poll before
     * they sleep. With a sync per group (0) that would only delay the
     * leader's thread and keep the next group small; instead waiting
     * committers sleep at once and a leader first waits a little for the
     * transactions about to queue. */
    int short_groups;
    /* Optional, for tests: called by a leader, without the lock, each time
     * it has signalled a transaction it woke, before it lets go of it. */
    void (*signalled)(void *ctx);
} mvcc_hooks;

typedef struct mvcc_stats {
    uint64_t commits;         /* transactions with writes that committed */
    uint64_t conflicts_write; /* refused: a key they wrote was written after their snapshot */
    uint64_t conflicts_read;  /* refused (serializable): a key or range they read was written */
    uint64_t conflicts_guard; /* refused: a key they guarded (mvcc_guard) was written */
    uint64_t retries;         /* attempts mvcc_run repeated after a conflict */
    uint64_t groups;          /* apply_group calls (one sync each) */
    uint64_t grouped;         /* transactions in those groups */
    uint64_t largest_group;   /* the most transactions in one group */
    uint64_t failed_groups;   /* groups storage refused */
    uint64_t gathers;         /* groups whose leader waited for transactions about to queue */
    uint64_t queued;          /* now: transactions waiting for the next group */
} mvcc_stats;

/* A database's manager; hooks are copied. Errors: SEALDB_EINVAL, SEALDB_ENOMEM. */
int mvcc_open(mvcc_db **out, const mvcc_hooks *hooks);
/* Frees the manager; no transaction may be open. */
void mvcc_close(mvcc_db *db);

/* Begins a transaction of kind (enum mvcc_kind); serializable validates
 * reads too (concurrent transactions only). An exclusive transaction waits
 * until no other is active and the group in flight has landed. */
int mvcc_begin(mvcc_db *db, int kind, int serializable, mvcc_txn **out);
/* The sequence number of the snapshot a transaction reads. */
uint64_t mvcc_snapshot(const mvcc_txn *t);

/* Buffers a write of value (NULL: a delete) under key in space; a later
 * write of the same key replaces it. Errors: SEALDB_EINVAL (read-only
 * transaction, bad arguments), SEALDB_ENOMEM. */
int mvcc_put(mvcc_txn *t, uint32_t space, const uint8_t *key, uint32_t key_len,
             const uint8_t *value, uint32_t value_len);
/* Claims key in space for this transaction without a value to store (a
 * unique-index key the row write implies): it conflicts like a write. The
 * key of one zero byte (MVCC_SPACE_KEY) stands for the whole space (a table
 * an exclusive transaction writes): it also meets every key and range a
 * serializable transaction read in that space. */
int mvcc_claim(mvcc_txn *t, uint32_t space, const uint8_t *key, uint32_t key_len);
#define MVCC_SPACE_KEY_BYTE 0

/* The transaction's own write of key: 1 with *value (NULL for a delete),
 * or 0 when it has not written it. */
int mvcc_own(const mvcc_txn *t, uint32_t space, const uint8_t *key, uint32_t key_len,
             const uint8_t **value, uint32_t *value_len);

/* Records a key whose change after the snapshot must refuse this
 * transaction in every mode (what its writes were planned on: the schema,
 * a table an exclusive transaction rewrites). */
int mvcc_guard(mvcc_txn *t, uint32_t space, const uint8_t *key, uint32_t key_len);

/* Serializable transactions: records a key read (present or not), or every
 * key of space from lo to hi inclusive (NULL: unbounded), compared as bytes. */
int mvcc_note_read(mvcc_txn *t, uint32_t space, const uint8_t *key, uint32_t key_len);
int mvcc_note_range(mvcc_txn *t, uint32_t space, const uint8_t *lo, uint32_t lo_len,
                    const uint8_t *hi, uint32_t hi_len);

/* The writes, in order, for the storage hook. */
size_t mvcc_writes(const mvcc_txn *t, const mvcc_write **writes);
/* The caller's pointer carried by a transaction (storage may keep its
 * per-transaction state there). */
void mvcc_set_user(mvcc_txn *t, void *user);
void *mvcc_user(const mvcc_txn *t);

/* Commits and frees the transaction. SEALDB_OK once durable;
 * SEALDB_ECONFLICT if another transaction won a key first (nothing of this
 * one is kept); or storage's error. */
int mvcc_commit(mvcc_txn *t);
/* Drops the transaction and its writes. */
void mvcc_rollback(mvcc_txn *t);

/* Runs fn in a transaction of kind until it commits, retrying after a
 * conflict (with growing, randomised pauses) up to max_attempts times. fn
 * returns SEALDB_OK to commit or an error to roll back and return it. */
int mvcc_run(mvcc_db *db, int kind, int serializable, int max_attempts,
             int (*fn)(mvcc_txn *t, void *arg), void *arg);

/* Counts one retry of a transaction after a conflict (mvcc_run does). */
void mvcc_count_retry(mvcc_db *db);
/* Sleeps before retry attempt (1, 2, ...): a randomised pause of up to
 * 2^attempt * 20 us (at most ~40 ms); *seed is the caller's PRNG state. */
void mvcc_backoff(uint64_t *seed, int attempt);

/* The next automatic rowid of a table (space): one more than both the
 * largest handed out and floor (the largest rowid stored). Never the same
 * twice, across concurrent transactions; 0 when none is left below
 * INT64_MAX + 1 or memory is short. */
int64_t mvcc_next_rowid(mvcc_db *db, uint32_t space, int64_t floor);

/* Rowids as keys: 8 bytes whose byte order is the numeric order. */
void mvcc_rowid_key(int64_t rowid, uint8_t key[8]);

void mvcc_get_stats(mvcc_db *db, mvcc_stats *out);

#endif /* SEALDB_MVCC_H */
