/*
 * native.c - the native C API (include/sealdb.h, "The native engine"):
 * databases opened on sealdb's own pager, transactions, rows by rowid with
 * index maintenance and constraints, and cursors, over the B-tree and the
 * catalog. docs/NATIVE.md explains the design.
 *
 * A read transaction is a pager snapshot; a write transaction is the
 * pager's one write batch and changes B-tree pages in place as it goes
 * (its reads go through the batch's snapshot, so it sees its own changes).
 * Every check a change needs (NOT NULL, UNIQUE, a taken rowid) runs before
 * the first page is touched, so a refused change leaves nothing behind; an
 * I/O or corruption error in the middle of one poisons the transaction,
 * which can then only roll back.
 *
 * Catalogs are shared: the database keeps the one of the last schema cookie
 * it saw, and a transaction whose snapshot has that cookie takes a
 * reference instead of reading sqlite_schema again.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btree.h"
#include "catalog.h"
#include "crypto.h"
#include "engine.h"
#include "keys.h"
#include "mvcc.h"
#include "overlay.h"
#include "pager.h"
#include "pagesrc.h"
#include "record.h"

/* The most columns an index the engine writes may have (and indexes a table). */
#define NATIVE_MAX_KEY 64

/* The transaction that applies a group of concurrent commits. */
#define NATIVE_TXN_GROUP 99

/* Keys of the transaction manager (engine/mvcc.h): rows are keys of their
 * table's space (its root page), UNIQUE values keys of their index's; the
 * schema is space 0, and an empty key in a table's space stands for "the
 * table", which an exclusive transaction claims and concurrent writers of
 * the table guard. */
static const uint8_t SCHEMA_KEY[] = {'s'};
static const uint8_t TABLE_KEY[] = {MVCC_SPACE_KEY_BYTE}; /* the whole table (mvcc.h) */

_Static_assert(sizeof(sealdb_value) == sizeof(record_value), "value layouts differ");
_Static_assert(offsetof(sealdb_value, n) == offsetof(record_value, n), "value layouts differ");
_Static_assert(offsetof(sealdb_value, i) == offsetof(record_value, i), "value layouts differ");

/* A catalog shared by the transactions whose snapshots have its cookie. */
typedef struct catref {
    catalog *cat;
    uint32_t cookie;
    int refs; /* under the database's mutex */
} catref;

/* Rows an index cursor reads ahead: enough that a row's leaf has come from
 * memory by the time the row is read, few enough to pin (docs/NATIVE.md). */
#define AHEAD_ROWS 8

struct sealdb_db {
    pager *pg;
    seal_ctx *seal;
    mvcc_db *mv;        /* orders writers: exclusive and concurrent */
    sealdb_txn *group;  /* applies concurrent commits (one group at a time) */
    pthread_mutex_t mu; /* cat, ntxn */
    catref *cat;        /* the latest catalog loaded, or NULL */
    int ntxn;           /* transactions open */
    uint64_t rows_read, rows_written;
    uint32_t ahead_rows; /* rows an index cursor reads ahead (a share of the cache) */
};

struct sealdb_txn {
    sealdb_db *db;
    int kind;
    pager_snapshot *snap; /* read and concurrent transactions */
    pager_batch *batch;   /* write transactions and groups */
    pager_source ps;      /* the batch's or the snapshot's pages */
    btree_pages *src;     /* the pages cursors read: &ps.pages, or ov_src */
    mvcc_txn *mt;         /* write and concurrent transactions */
    overlay *ov;          /* concurrent: private changes over snap */
    btree_pages ov_src;   /* concurrent: the overlay's pages */
    uint32_t marked_root; /* the table whose key was last claimed or guarded */
    int applied;          /* write: the commit hook committed the batch */
    int serializable;     /* concurrent: reads are noted for validation */
    sealdb_error cerr;    /* why the commit hook failed */
    catref *cat;          /* the catalog the transaction reads */
    catref **old;         /* catalogs replaced by its schema changes (handles may point there) */
    int nold;
    int failed; /* a change failed half-way: only rollback is left */
    int schema_changed;
    sealdb_cursor *cursors;
    uint64_t rows_read; /* added to the handle's count when the transaction ends: readers in
                           several threads do not share a counter's cache line per row */
    btree_cursor get;   /* the cursor of sealdb_get */
    int get_open;
    uint8_t *buf; /* records being built */
    uint32_t cap;
    uint8_t *obuf; /* the stored record of a row being replaced or deleted */
    uint32_t ocap;
    record_value *vals; /* a row being built or read */
    uint32_t nvals;
    uint8_t *scratch; /* a change's index entry offsets and number texts */
    uint32_t scratch_cap;
    /* a row's values copied before a write lets go of the pages and buffers
     * reads hold (the caller's values may point there: hold_values) */
    uint8_t *held;
    size_t held_cap;
    sealdb_value *held_vals;
    uint32_t held_n;
};

struct sealdb_cursor {
    sealdb_txn *t;
    catalog_table *tb;
    catalog_index *ix; /* NULL: the table's rowid order */
    btree_cursor bc;
    int at;    /* at an entry (bc positioned, or saved) */
    int saved; /* the transaction wrote: bc was released, the position is in rowid/key */
    int64_t rowid;
    uint8_t *key; /* saved index entry */
    uint32_t key_len, key_cap;
    record_value *fields; /* decoded key fields (ncol + 1) */
    record_key order;     /* the index's whole-entry order */
    btree_cursor aux;     /* index cursors: the table, for sealdb_cursor_row */
    int aux_open;
    /* index cursors: the rows of the next entries on the cursor's leaf,
     * their table leaves found ahead (btree_ahead) by the scout; ring
     * entries hold the index cell they came from (ahead_at) */
    btree_cursor scout;
    int scout_open;
    btree_ahead ahead[AHEAD_ROWS];
    uint32_t ahead_at[AHEAD_ROWS];
    uint32_t ahead_head, ahead_count;
    uint32_t ahead_leaf, ahead_next; /* the index leaf, and its next cell to look at */
    /* serializable transactions: the rowids this table cursor covered since
     * it last jumped (lo..hi; open: unbounded), or for an index cursor
     * whether its whole table was noted as read */
    int ext_live, ext_lo_open, ext_hi_open, noted_all;
    int64_t ext_lo, ext_hi;
    sealdb_cursor *next, *prev;
};

/* ---- small helpers ------------------------------------------------------------ */

static catalog_table *TB(sealdb_table *h)
{
    return (catalog_table *)(void *)h;
}

static int bt_error(sealdb_error *err, int rc, const btree_cursor *c, const char *what)
{
    if (c && c->msg[0]) {
        return error_set(err, rc, "%s: %s", what, c->msg);
    }
    return error_set(err, rc, "%s: %s", what, sealdb_strerror(rc));
}

static int grow(void **p, uint32_t *cap, uint64_t need, size_t elem)
{
    if (need <= *cap) {
        return SEALDB_OK;
    }
    if (need > UINT32_MAX / 2) {
        return SEALDB_ETOOBIG;
    }
    uint32_t n = *cap ? *cap : 64;
    while (n < need) {
        n *= 2;
    }
    /* not realloc: these buffers hold rows and keys in the clear, and the
     * old block is wiped before it goes back */
    void *q = malloc((size_t)n * elem);
    if (!q) {
        return SEALDB_ENOMEM;
    }
    if (*p) {
        memcpy(q, *p, (size_t)*cap * elem);
        crypto_wipe(*p, (size_t)*cap * elem);
        free(*p);
    }
    *p = q;
    *cap = n;
    return SEALDB_OK;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- the page source --------------------------------------------------------- */

static pager_snapshot *txn_snapshot(sealdb_txn *t)
{
    return t->batch ? pager_batch_snapshot(t->batch) : t->snap;
}

/* The transaction's pages: its batch, or its snapshot. */
static void src_init(sealdb_txn *t)
{
    pager_source_init(&t->ps, t->db->pg, t->batch, t->snap);
    t->src = &t->ps.pages;
}

/* ---- opening and closing ---------------------------------------------------- */

static int group_apply(void *ctx, mvcc_txn *const *txns, int n, uint64_t first_seq);
static void txn_buffers_free(sealdb_txn *t);

/* The seal context for the database at path under keys (NULL: plain). */
static int open_keys(const char *path, const sealdb_sqlite_config *keys, int create, int *created,
                     seal_ctx **seal, sealdb_error *err)
{
    *seal = NULL;
    *created = 0;
    struct stat st;
    int exists = stat(path, &st) == 0;
    if (!exists && errno != ENOENT) {
        return error_set(err, SEALDB_EIO, "cannot stat %s: %s", path, strerror(errno));
    }
    if (!exists && !create) {
        return error_set(err, SEALDB_ENOTFOUND, "%s does not exist", path);
    }
    uint8_t hdr[100];
    const int fresh = !exists || st.st_size == 0;
    if (!fresh) {
        FILE *f = fopen(path, "rb");
        const int ok = f && fread(hdr, 1, sizeof hdr, f) == sizeof hdr;
        if (f) {
            fclose(f);
        }
        if (!ok) {
            return error_set(err, f ? SEALDB_EFORMAT : SEALDB_EIO,
                             f ? "%s is shorter than a database header" : "cannot read %s", path);
        }
    }
    if (!keys) {
        if (fresh) {
            return SEALDB_OK;
        }
        seal_file_info info;
        int rc = seal_header_read(hdr, &info, err);
        if (rc == SEALDB_OK && info.sealed) {
            rc = error_set(err, SEALDB_EFORMAT, "%s is a sealed database: open it with its key",
                           path);
        }
        return rc;
    }
    credential cred;
    int rc = cred_from_config(&cred, keys, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    sealdb_cipher_id cipher = 0;
    if (keys->cipher) {
        rc = sealdb_cipher_lookup(keys->cipher, &cipher, err);
    }
    if (rc == SEALDB_OK && keys->layout != SEALDB_LAYOUT_DEFAULT &&
        !sealdb_layout_name(keys->layout)) {
        rc = error_set(err, SEALDB_EINVAL, "unknown layout %d", (int)keys->layout);
    }
    if (rc == SEALDB_OK && !fresh) {
        seal_file_info info;
        rc = cred_open_database(&cred, path, hdr, seal, &info, err);
        if (rc == SEALDB_OK && cipher && cipher != info.cipher) {
            rc = error_set(err, SEALDB_EMISMATCH, "%s is sealed with %s, not %s", path,
                           sealdb_cipher_name(info.cipher), sealdb_cipher_name(cipher));
        } else if (rc == SEALDB_OK && keys->layout != SEALDB_LAYOUT_DEFAULT &&
                   keys->layout != info.layout) {
            rc = error_set(err, SEALDB_EMISMATCH, "%s uses the %s layout, not %s", path,
                           sealdb_layout_name(info.layout), sealdb_layout_name(keys->layout));
        }
    } else if (rc == SEALDB_OK) {
        if (!cipher) {
            cipher = cred.kind == CRED_KEY && cred.len == 16 ? SEALDB_AEGIS128L : SEALDB_AEGIS256;
        }
        if (keys->keyslots && keys->layout == SEALDB_LAYOUT_TURSO) {
            rc = error_set(err, SEALDB_EINVAL, "key slots need the hardened layout");
        } else if (keys->keyslots) {
            rc = cred_new_slots_database(&cred, path, cipher, seal, err);
            *created = rc == SEALDB_OK;
        } else {
            rc = cred_new_database(&cred, cipher, keys->layout, seal, err);
        }
    }
    cred_free(&cred);
    if (rc != SEALDB_OK && *seal) {
        seal_ctx_close(*seal);
        *seal = NULL;
    }
    return rc;
}

int sealdb_open(const char *path, const sealdb_sqlite_config *keys, const sealdb_options *opt,
                sealdb_db **out, sealdb_error *err)
{
    return native_open_io(path, keys, opt, NULL, out, err);
}

int native_open_io(const char *path, const sealdb_sqlite_config *keys, const sealdb_options *opt,
                   const pager_io *io, sealdb_db **out, sealdb_error *err)
{
    if (!out) {
        return error_set(err, SEALDB_EINVAL, "out must not be NULL");
    }
    *out = NULL;
    if (!path) {
        return error_set(err, SEALDB_EINVAL, "path must not be NULL");
    }
    const sealdb_options none = {0};
    if (!opt) {
        opt = &none;
    }
    if (opt->sync < SEALDB_SYNC_FULL || opt->sync > SEALDB_SYNC_OFF) {
        return error_set(err, SEALDB_EINVAL, "unknown sync mode %d", (int)opt->sync);
    }
    sealdb_db *db = calloc(1, sizeof *db);
    if (!db) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    int slots_made = 0;
    int rc = open_keys(path, keys, opt->create, &slots_made, &db->seal, err);
    if (rc == SEALDB_OK) {
        const pager_config cfg = {.io = io,
                                  .seal = db->seal,
                                  .create = opt->create,
                                  .page_size = opt->page_size,
                                  .cache_pages = opt->cache_pages,
                                  .durability = (pager_durability)opt->sync,
                                  .autocheckpoint = opt->autocheckpoint,
                                  .caller_checkpoints = 1,
                                  .busy_timeout_ms = opt->busy_timeout_ms};
        rc = pager_open(&db->pg, path, &cfg, err);
    }
    if (rc == SEALDB_OK) {
        /* each row read ahead pins a page: at most 1/64 of the cache */
        pager_stats ps;
        pager_stats_get(db->pg, &ps);
        db->ahead_rows = ps.cache_capacity / 64 < AHEAD_ROWS ? ps.cache_capacity / 64 : AHEAD_ROWS;
    }
    if (rc != SEALDB_OK) {
        if (slots_made) {
            /* the key slots of a database that was never made */
            char slots[4096];
            if (snprintf(slots, sizeof slots, "%s%s", path, KEYSLOTS_SUFFIX) < (int)sizeof slots) {
                unlink(slots);
            }
        }
        seal_ctx_close(db->seal);
        free(db);
        return rc;
    }
    /* at FULL every group syncs: its committers sleep, and the leader's
     * thread goes back to work as soon as its own group has landed */
    const mvcc_hooks hooks = {
        .ctx = db, .apply_group = group_apply, .short_groups = opt->sync != SEALDB_SYNC_FULL};
    db->group = calloc(1, sizeof *db->group);
    if (!db->group || (rc = mvcc_open(&db->mv, &hooks)) != SEALDB_OK) {
        free(db->group);
        pager_close(db->pg, NULL);
        seal_ctx_close(db->seal);
        free(db);
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    db->group->db = db;
    db->group->kind = NATIVE_TXN_GROUP;
    pthread_mutex_init(&db->mu, NULL);
    *out = db;
    return SEALDB_OK;
}

static void catref_release(sealdb_db *db, catref *r)
{
    if (!r) {
        return;
    }
    pthread_mutex_lock(&db->mu);
    const int last = --r->refs == 0;
    pthread_mutex_unlock(&db->mu);
    if (last) {
        catalog_free(r->cat);
        free(r);
    }
}

int sealdb_close(sealdb_db *db, sealdb_error *err)
{
    if (!db) {
        return SEALDB_OK;
    }
    pthread_mutex_lock(&db->mu);
    const int live = db->ntxn;
    pthread_mutex_unlock(&db->mu);
    if (live > 0) {
        return error_set(err, SEALDB_EBUSY, "%d transaction(s) still open", live);
    }
    const int rc = pager_close(db->pg, err);
    mvcc_close(db->mv);
    txn_buffers_free(db->group);
    free(db->group);
    catref_release(db, db->cat);
    seal_ctx_close(db->seal);
    pthread_mutex_destroy(&db->mu);
    free(db);
    return rc;
}

void sealdb_get_stats(sealdb_db *db, sealdb_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!db) {
        return;
    }
    pager_stats ps;
    pager_stats_get(db->pg, &ps);
    out->cache_hits = ps.cache_hits;
    out->cache_misses = ps.cache_misses;
    out->pages_sealed = ps.pages_sealed;
    out->pages_unsealed = ps.pages_unsealed;
    out->commits = ps.commits;
    out->frames_written = ps.frames_written;
    out->wal_syncs = ps.wal_syncs;
    out->checkpoints = ps.checkpoints;
    out->wal_restarts = ps.wal_restarts;
    out->wal_frames = ps.wal_frames;
    out->rows_read = __atomic_load_n(&db->rows_read, __ATOMIC_RELAXED);
    out->rows_written = __atomic_load_n(&db->rows_written, __ATOMIC_RELAXED);
    mvcc_stats ms;
    mvcc_get_stats(db->mv, &ms);
    out->txn_commits = ms.commits;
    out->conflicts_write = ms.conflicts_write;
    out->conflicts_read = ms.conflicts_read;
    out->conflicts_schema = ms.conflicts_guard;
    out->retries = ms.retries;
    out->groups = ms.groups;
    out->grouped = ms.grouped;
    out->largest_group = ms.largest_group;
    out->gathers = ms.gathers;
}

/* ---- transactions ------------------------------------------------------------ */

/* The schema cookie of the transaction's snapshot. */
static int read_cookie(sealdb_txn *t, uint32_t *cookie, sealdb_error *err)
{
    pager_page *pg;
    const int rc = pager_get(txn_snapshot(t), 1, &pg, err);
    if (rc == SEALDB_OK) {
        *cookie = be32(pager_page_data(pg) + 40);
        pager_put(pg);
    }
    return rc;
}

/* Loads the catalog of the transaction's snapshot into a new reference. */
static int load_catalog(sealdb_txn *t, uint32_t cookie, catref **out, sealdb_error *err)
{
    catref *r = calloc(1, sizeof *r);
    if (!r) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    const int rc = catalog_load(&r->cat, t->src, err);
    if (rc != SEALDB_OK) {
        free(r);
        return rc;
    }
    r->cookie = cookie;
    r->refs = 1;
    *out = r;
    return SEALDB_OK;
}

/* Gives the transaction the catalog of its snapshot, shared when it can be. */
static int attach_catalog(sealdb_txn *t, sealdb_error *err)
{
    sealdb_db *db = t->db;
    uint32_t cookie = 0;
    int rc = read_cookie(t, &cookie, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    pthread_mutex_lock(&db->mu);
    if (db->cat && db->cat->cookie == cookie) {
        db->cat->refs++;
        t->cat = db->cat;
    }
    pthread_mutex_unlock(&db->mu);
    if (t->cat) {
        return SEALDB_OK;
    }
    if ((rc = load_catalog(t, cookie, &t->cat, err)) != SEALDB_OK) {
        return rc;
    }
    pthread_mutex_lock(&db->mu);
    catref *old = db->cat;
    db->cat = t->cat;
    t->cat->refs++;
    pthread_mutex_unlock(&db->mu);
    catref_release(db, old);
    return SEALDB_OK;
}

/* The pages of a beginning transaction: a snapshot, the write batch, or a
 * private overlay over a snapshot. */
static int txn_pages(sealdb_txn *t, int serializable, sealdb_error *err)
{
    sealdb_db *db = t->db;
    if (t->kind == SEALDB_TXN_READ) {
        int rc = pager_snapshot_begin(db->pg, &t->snap, err);
        if (rc == SEALDB_OK) {
            src_init(t);
        }
        return rc;
    }
    /* writers enter the manager first: an exclusive one waits there for
     * the group in flight, so the batch below is free */
    int rc = mvcc_begin(db->mv, t->kind == SEALDB_TXN_WRITE ? MVCC_EXCLUSIVE : MVCC_CONCURRENT,
                        serializable, &t->mt);
    if (rc != SEALDB_OK) {
        return error_set(err, rc, "out of memory");
    }
    mvcc_set_user(t->mt, t);
    if (t->kind == SEALDB_TXN_WRITE) {
        rc = pager_begin(db->pg, &t->batch, err);
        if (rc == SEALDB_OK) {
            src_init(t);
        }
        return rc;
    }
    if ((rc = pager_snapshot_begin(db->pg, &t->snap, err)) != SEALDB_OK) {
        return rc;
    }
    src_init(t);
    if ((rc = overlay_open(&t->ov, &t->ps.pages, &t->ov_src)) == SEALDB_OK) {
        t->src = &t->ov_src;
        /* its changes are planned on this schema */
        rc = mvcc_guard(t->mt, 0, SCHEMA_KEY, sizeof SCHEMA_KEY);
    }
    return rc == SEALDB_OK ? rc : error_set(err, rc, "out of memory");
}

/* Ends whatever the transaction holds: overlay, snapshot, batch, manager. */
static void txn_end(sealdb_txn *t)
{
    overlay_free(t->ov);
    t->ov = NULL;
    if (t->batch) {
        pager_rollback(t->batch);
        t->batch = NULL;
    }
    if (t->snap) {
        pager_snapshot_end(t->snap);
        t->snap = NULL;
    }
    if (t->mt) {
        mvcc_rollback(t->mt);
        t->mt = NULL;
    }
}

int sealdb_begin(sealdb_db *db, int kind, sealdb_txn **out, sealdb_error *err)
{
    if (!out) {
        return error_set(err, SEALDB_EINVAL, "out must not be NULL");
    }
    *out = NULL;
    const int serializable = (kind & SEALDB_TXN_SERIALIZABLE) != 0;
    const int base = kind & ~SEALDB_TXN_SERIALIZABLE;
    if (!db ||
        (base != SEALDB_TXN_READ && base != SEALDB_TXN_WRITE && base != SEALDB_TXN_CONCURRENT) ||
        (serializable && base != SEALDB_TXN_CONCURRENT)) {
        return error_set(err, SEALDB_EINVAL,
                         db ? "unknown transaction kind %d (SEALDB_TXN_SERIALIZABLE goes with "
                              "SEALDB_TXN_CONCURRENT only)"
                            : "db is NULL",
                         kind);
    }
    sealdb_txn *t = calloc(1, sizeof *t);
    if (!t) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    t->db = db;
    t->kind = base;
    t->serializable = serializable;
    int rc = txn_pages(t, serializable, err);
    if (rc == SEALDB_OK) {
        rc = attach_catalog(t, err);
    }
    if (rc != SEALDB_OK) {
        txn_end(t);
        free(t);
        return rc;
    }
    pthread_mutex_lock(&db->mu);
    db->ntxn++;
    pthread_mutex_unlock(&db->mu);
    *out = t;
    return SEALDB_OK;
}

static void ahead_drop(sealdb_cursor *c)
{
    for (; c->ahead_count; c->ahead_count--) {
        btree_ahead_drop(c->t->src, &c->ahead[c->ahead_head]);
        c->ahead_head = (c->ahead_head + 1) % AHEAD_ROWS;
    }
    c->ahead_head = 0;
    c->ahead_leaf = 0;
}

static void cursor_release(sealdb_cursor *c)
{
    ahead_drop(c);
    if (c->scout_open) {
        btree_cursor_close(&c->scout);
        c->scout_open = 0;
    }
    btree_cursor_close(&c->bc);
    if (c->aux_open) {
        btree_cursor_close(&c->aux);
        c->aux_open = 0;
    }
}

static int ext_flush(sealdb_cursor *c);

static void cursor_free(sealdb_cursor *c)
{
    if (ext_flush(c) != SEALDB_OK) {
        c->t->failed = SEALDB_ENOMEM; /* a read it cannot validate: it must not commit */
    }
    cursor_release(c);
    if (c->key) {
        crypto_wipe(c->key, c->key_cap); /* a saved index entry, in the clear */
    }
    free(c->key);
    free(c->fields);
    free(c);
}

/* Closes the transaction's cursors: every page they hold goes back. */
static void txn_drop_pages(sealdb_txn *t)
{
    while (t->cursors) {
        sealdb_cursor *c = t->cursors;
        t->cursors = c->next;
        cursor_free(c);
    }
    if (t->get_open) {
        btree_cursor_close(&t->get);
        t->get_open = 0;
    }
}

/* Frees the buffers rows were built in. */
static void txn_buffers_free(sealdb_txn *t)
{
    /* rows in the clear: wiped before the memory goes back */
    if (t->buf) {
        crypto_wipe(t->buf, t->cap);
    }
    if (t->obuf) {
        crypto_wipe(t->obuf, t->ocap);
    }
    if (t->scratch) {
        crypto_wipe(t->scratch, t->scratch_cap);
    }
    if (t->held) {
        crypto_wipe(t->held, t->held_cap);
    }
    free(t->held);
    free(t->held_vals);
    t->held = NULL;
    t->held_vals = NULL;
    t->held_cap = t->held_n = 0;
    free(t->buf);
    free(t->obuf);
    free(t->vals);
    free(t->scratch);
    t->scratch = NULL;
    t->scratch_cap = 0;
    t->buf = t->obuf = NULL;
    t->vals = NULL;
    t->cap = t->ocap = t->nvals = 0;
}

/* Frees what is left once the snapshot or batch has ended. */
static void txn_free(sealdb_txn *t)
{
    sealdb_db *db = t->db;
    catref_release(db, t->cat);
    for (int i = 0; i < t->nold; i++) {
        catref_release(db, t->old[i]);
    }
    free(t->old);
    txn_buffers_free(t);
    if (t->rows_read) {
        __atomic_fetch_add(&db->rows_read, t->rows_read, __ATOMIC_RELAXED);
    }
    pthread_mutex_lock(&db->mu);
    db->ntxn--;
    pthread_mutex_unlock(&db->mu);
    free(t);
}

/* Later transactions start from the catalog a committed schema change made. */
static void publish_catalog(sealdb_txn *t)
{
    sealdb_db *db = t->db;
    pthread_mutex_lock(&db->mu);
    catref *old = db->cat;
    db->cat = t->cat;
    t->cat->refs++;
    pthread_mutex_unlock(&db->mu);
    catref_release(db, old);
}

/* The error of a commit the manager refused or storage failed. */
static int commit_error(sealdb_txn *t, int rc, sealdb_error *err)
{
    if (rc == SEALDB_ECONFLICT) {
        return error_set(err, rc,
                         "a concurrent transaction committed a change to what this one wrote or "
                         "depended on: run it again");
    }
    if (t->cerr.code == rc && t->cerr.message[0]) {
        return error_set(err, rc, "%s", t->cerr.message);
    }
    return error_set(err, rc, "the commit failed: %s", sealdb_strerror(rc));
}

int sealdb_commit(sealdb_txn *t, sealdb_error *err)
{
    if (!t) {
        return error_set(err, SEALDB_EINVAL, "t is NULL");
    }
    txn_drop_pages(t);
    int rc = t->failed;
    if (t->kind == SEALDB_TXN_READ || rc) {
        txn_end(t);
        txn_free(t);
        if (rc) {
            error_set(err, rc, "the transaction failed earlier (%s) and was rolled back",
                      sealdb_strerror(rc));
        }
        return rc;
    }
    if (t->kind == SEALDB_TXN_CONCURRENT) {
        /* the changes are in the manager's buffers now: the private pages
         * and the snapshot can go before the wait for the group */
        overlay_free(t->ov);
        t->ov = NULL;
        pager_snapshot_end(t->snap);
        t->snap = NULL;
    }
    rc = mvcc_commit(t->mt);
    t->mt = NULL;
    if (t->kind == SEALDB_TXN_WRITE && !t->applied) {
        /* nothing was changed (the manager had no key to commit) */
        pager_rollback(t->batch);
        t->batch = NULL;
    } else if (t->kind == SEALDB_TXN_WRITE) {
        t->batch = NULL; /* the hook committed it */
    }
    if (rc != SEALDB_OK) {
        commit_error(t, rc, err);
    } else if (t->schema_changed) {
        publish_catalog(t);
    }
    if (rc == SEALDB_OK) {
        /* a checkpoint the commit made due runs here, after the group has
         * landed: other commits go on beside it */
        pager_autocheckpoint(t->db->pg);
    }
    txn_free(t);
    return rc;
}

void sealdb_rollback(sealdb_txn *t)
{
    if (!t) {
        return;
    }
    txn_drop_pages(t);
    txn_end(t);
    txn_free(t);
}

int sealdb_run(sealdb_db *db, int kind, int max_attempts, int (*fn)(sealdb_txn *t, void *arg),
               void *arg, sealdb_error *err)
{
    if (!db || !fn || max_attempts < 0) {
        return error_set(err, SEALDB_EINVAL, "db and fn must not be NULL, max_attempts >= 0");
    }
    uint64_t seed = 0;
    int rc = SEALDB_ECONFLICT;
    const int attempts = max_attempts ? max_attempts : 100;
    for (int attempt = 0; attempt < attempts; attempt++) {
        if (attempt > 0) {
            /* the pauses are spread at random (seeded at the first retry:
             * most runs never need it) */
            if (attempt == 1 && sealdb_random_bytes(&seed, sizeof seed) != SEALDB_OK) {
                seed = (uint64_t)(uintptr_t)&seed;
            }
            mvcc_count_retry(db->mv);
            mvcc_backoff(&seed, attempt);
        }
        sealdb_txn *t;
        if ((rc = sealdb_begin(db, kind, &t, err)) != SEALDB_OK) {
            return rc;
        }
        rc = fn(t, arg);
        if (rc != SEALDB_OK) {
            sealdb_rollback(t);
            if (rc != SEALDB_ECONFLICT) {
                if (err && err->code != rc) {
                    error_set(err, rc, "the transaction's function returned %s",
                              sealdb_strerror(rc));
                }
                return rc;
            }
            continue;
        }
        rc = sealdb_commit(t, err);
        if (rc != SEALDB_ECONFLICT) {
            return rc;
        }
    }
    return rc;
}

/* ---- the schema -------------------------------------------------------------- */

int sealdb_schema(sealdb_txn *t, const sealdb_schema_entry **entries, uint32_t *n,
                  sealdb_error *err)
{
    if (!t || !entries || !n) {
        return error_set(err, SEALDB_EINVAL, "t, entries and n must not be NULL");
    }
    *entries = t->cat->cat->entries;
    *n = t->cat->cat->nentries;
    return SEALDB_OK;
}

int sealdb_table_find(sealdb_txn *t, const char *name, sealdb_table **out, sealdb_error *err)
{
    if (!out) {
        return error_set(err, SEALDB_EINVAL, "out must not be NULL");
    }
    *out = NULL;
    if (!t || !name) {
        return error_set(err, SEALDB_EINVAL, "t and name must not be NULL");
    }
    catalog_table *tb = catalog_table_find(t->cat->cat, name);
    if (!tb) {
        return error_set(err, SEALDB_ENOTFOUND, "no such table: %s", name);
    }
    *out = (sealdb_table *)(void *)tb;
    return SEALDB_OK;
}

uint32_t sealdb_table_columns(const sealdb_table *tbl)
{
    return tbl ? ((const catalog_table *)(const void *)tbl)->ncol : 0;
}

const char *sealdb_table_column_name(const sealdb_table *tbl, uint32_t i)
{
    const catalog_table *tb = (const catalog_table *)(const void *)tbl;
    return tb && i < tb->ncol ? tb->cols[i].name : NULL;
}

int sealdb_table_rowid_column(const sealdb_table *tbl)
{
    return tbl ? ((const catalog_table *)(const void *)tbl)->ipk : -1;
}

/* The table a handle names, if it belongs to the transaction's catalog. */
static int table_of(sealdb_txn *t, sealdb_table *h, catalog_table **out, sealdb_error *err)
{
    if (!t || !h) {
        return error_set(err, SEALDB_EINVAL, "t and tbl must not be NULL");
    }
    const catalog *cat = t->cat->cat;
    catalog_table *tb = TB(h);
    if (tb < cat->tables || tb >= cat->tables + cat->ntables) {
        return error_set(err, SEALDB_EINVAL,
                         "the table handle is from before a schema change: find the table again");
    }
    *out = tb;
    return SEALDB_OK;
}

/* Before the transaction changes a page: every cursor lets go of its pages
 * (keeping its position as a key) and the write is allowed at all. */
static int will_write(sealdb_txn *t, sealdb_error *err);

/* Schema changes need the exclusive writer. */
static int will_change_schema(sealdb_txn *t, sealdb_error *err)
{
    if (t->kind == SEALDB_TXN_CONCURRENT) {
        return error_set(err, SEALDB_EUNSUPPORTED,
                         "schema changes need a SEALDB_TXN_WRITE transaction");
    }
    return will_write(t, err);
}

static int schema_change(sealdb_txn *t, int rc, int changed, sealdb_error *err)
{
    if (rc == SEALDB_OK && changed) {
        /* concurrent transactions that began before it must not commit */
        rc = mvcc_claim(t->mt, 0, SCHEMA_KEY, sizeof SCHEMA_KEY);
        if (rc != SEALDB_OK) {
            t->failed = rc;
            return error_set(err, rc, "out of memory");
        }
    }
    if (rc != SEALDB_OK) {
        /* refusals come before the first write; anything else may leave
         * the batch half-changed */
        if (rc != SEALDB_EINVAL && rc != SEALDB_EUNSUPPORTED && rc != SEALDB_ENOTFOUND &&
            rc != SEALDB_ECONSTRAINT) {
            t->failed = rc;
        }
        return rc;
    }
    if (!changed) {
        return SEALDB_OK;
    }
    uint32_t cookie = 0;
    catref *r = NULL;
    catref **old = realloc(t->old, (size_t)(t->nold + 1) * sizeof *old);
    if (!old) {
        t->failed = SEALDB_ENOMEM;
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    t->old = old;
    if ((rc = read_cookie(t, &cookie, err)) == SEALDB_OK) {
        rc = load_catalog(t, cookie, &r, err);
    }
    if (rc != SEALDB_OK) {
        t->failed = rc;
        return rc;
    }
    t->old[t->nold++] = t->cat;
    t->cat = r;
    t->schema_changed = 1;
    /* cursors refer to the old catalog's trees */
    for (sealdb_cursor *c = t->cursors; c; c = c->next) {
        cursor_release(c);
        c->at = 0;
        c->saved = 0;
        c->tb = NULL;
    }
    return SEALDB_OK;
}

int sealdb_create(sealdb_txn *t, const char *sql, sealdb_error *err)
{
    if (!t || !sql) {
        return error_set(err, SEALDB_EINVAL, "t and sql must not be NULL");
    }
    int rc = will_change_schema(t, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    int changed = 0;
    rc = catalog_create(t->cat->cat, t->src, sql, &changed, err);
    return schema_change(t, rc, changed, err);
}

int sealdb_drop_table(sealdb_txn *t, const char *name, sealdb_error *err)
{
    if (!t || !name) {
        return error_set(err, SEALDB_EINVAL, "t and name must not be NULL");
    }
    int rc = will_change_schema(t, err);
    if (rc == SEALDB_OK) {
        rc = schema_change(t, catalog_drop_table(t->cat->cat, t->src, name, err), 1, err);
    }
    return rc;
}

int sealdb_drop_index(sealdb_txn *t, const char *name, sealdb_error *err)
{
    if (!t || !name) {
        return error_set(err, SEALDB_EINVAL, "t and name must not be NULL");
    }
    int rc = will_change_schema(t, err);
    if (rc == SEALDB_OK) {
        rc = schema_change(t, catalog_drop_index(t->cat->cat, t->src, name, err), 1, err);
    }
    return rc;
}

/* ---- reading rows -------------------------------------------------------------- */

static int need_vals(sealdb_txn *t, uint32_t n, sealdb_error *err)
{
    if (grow((void **)&t->vals, &t->nvals, n ? n : 1, sizeof *t->vals) != SEALDB_OK) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    return SEALDB_OK;
}

/* Columns 0..n-1 of a table row as the API gives them: the rowid for the
 * INTEGER PRIMARY KEY, defaults for columns the record lacks, REAL for
 * integers stored in REAL columns. */
static int row_values(const catalog_table *tb, int64_t rowid, const uint8_t *rec, uint32_t len,
                      sealdb_value *cols, uint32_t n, sealdb_error *err)
{
    uint32_t have = 0;
    const int rc = record_decode(rec, len, (record_value *)(void *)cols, n, &have);
    if (rc != SEALDB_OK) {
        return error_set(err, rc, "table %s: the record of row %lld is malformed", tb->name,
                         (long long)rowid);
    }
    for (uint32_t i = 0; i < n; i++) {
        const catalog_column *col = &tb->cols[i];
        sealdb_value *v = &cols[i];
        if ((int32_t)i == tb->ipk) {
            v->type = SEALDB_INTEGER;
            v->i = rowid;
        } else if (i >= have) {
            memcpy(v, &col->dflt, sizeof *v);
        }
        if (col->affinity == AFF_REAL && v->type == SEALDB_INTEGER) {
            v->r = (double)v->i;
            v->type = SEALDB_REAL;
        }
    }
    return SEALDB_OK;
}

int sealdb_get(sealdb_txn *t, sealdb_table *tbl, int64_t rowid, sealdb_value *cols, uint32_t n,
               sealdb_error *err)
{
    catalog_table *tb = NULL;
    int rc = table_of(t, tbl, &tb, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (n > tb->ncol || (n && !cols)) {
        return error_set(err, SEALDB_EINVAL, "table %s has %u columns; %u asked for", tb->name,
                         tb->ncol, n);
    }
    if (tb->without_rowid) {
        return error_set(err, SEALDB_EUNSUPPORTED, "%s is a WITHOUT ROWID table: it has no rowids",
                         tb->name);
    }
    if (t->failed) {
        return error_set(err, t->failed, "the transaction failed earlier: roll it back");
    }
    if (t->serializable) {
        uint8_t key[8];
        mvcc_rowid_key(rowid, key);
        if ((rc = mvcc_note_read(t->mt, tb->root, key, sizeof key)) != SEALDB_OK) {
            t->failed = rc;
            return error_set(err, rc, "out of memory");
        }
    }
    btree_cursor *c = &t->get;
    if (!t->get_open || c->root != tb->root) {
        if (t->get_open) {
            btree_cursor_close(c);
        }
        btree_cursor_init(c, t->src, tb->root, 0);
        t->get_open = 1;
    }
    int cmp = 0, eof = 0;
    rc = btree_seek_rowid(c, rowid, &cmp, &eof);
    if (rc != SEALDB_OK) {
        return bt_error(err, rc, c, tb->name);
    }
    if (eof || cmp != 0) {
        return error_set(err, SEALDB_ENOTFOUND, "%s has no row %lld", tb->name, (long long)rowid);
    }
    const uint8_t *rec;
    uint32_t len;
    if ((rc = btree_payload(c, &rec, &len)) != SEALDB_OK) {
        return bt_error(err, rc, c, tb->name);
    }
    t->rows_read++;
    return row_values(tb, rowid, rec, len, cols, n, err);
}

/* ---- cursors: saving and restoring positions ------------------------------------- */

static void cursor_link(sealdb_txn *t, sealdb_cursor *c)
{
    c->next = t->cursors;
    if (t->cursors) {
        t->cursors->prev = c;
    }
    t->cursors = c;
}

static void cursor_unlink(sealdb_cursor *c)
{
    if (c->prev) {
        c->prev->next = c->next;
    } else {
        c->t->cursors = c->next;
    }
    if (c->next) {
        c->next->prev = c->prev;
    }
}

/* The rowid of the index entry rec (its last field). */
static int entry_rowid(const catalog_index *ix, const uint8_t *rec, uint32_t len, int64_t *rowid)
{
    record_reader r;
    record_value v;
    int rc = record_reader_init(&r, rec, len);
    if (rc == SEALDB_OK) {
        rc = record_column(&r, ix->ncol, &v);
    }
    if (rc == SEALDB_OK && v.type != RECORD_INTEGER) {
        rc = SEALDB_ECORRUPT;
    }
    if (rc == SEALDB_OK) {
        *rowid = v.i;
    }
    return rc;
}

/* Keeps the cursor's position as a key and releases its pages. */
static int cursor_save(sealdb_cursor *c, sealdb_error *err)
{
    if (c->at && !c->saved && c->ix) {
        const uint8_t *rec;
        uint32_t len;
        int rc = btree_payload(&c->bc, &rec, &len);
        if (rc == SEALDB_OK && grow((void **)&c->key, &c->key_cap, len, 1) != SEALDB_OK) {
            rc = SEALDB_ENOMEM;
        }
        if (rc != SEALDB_OK) {
            return bt_error(err, rc, &c->bc, c->ix->name);
        }
        memcpy(c->key, rec, len);
        c->key_len = len;
    } else if (c->at && !c->saved) {
        c->rowid = btree_rowid(&c->bc);
    }
    cursor_release(c);
    c->saved = c->at;
    return SEALDB_OK;
}

static int will_write(sealdb_txn *t, sealdb_error *err)
{
    if (t->kind == SEALDB_TXN_READ) {
        return error_set(err, SEALDB_EREADONLY, "a read transaction cannot write");
    }
    if (t->failed) {
        return error_set(err, t->failed, "the transaction failed earlier: roll it back");
    }
    if (t->get_open) {
        btree_cursor_close(&t->get);
        t->get_open = 0;
    }
    for (sealdb_cursor *c = t->cursors; c; c = c->next) {
        int rc = cursor_save(c, err);
        if (rc != SEALDB_OK) {
            return rc;
        }
    }
    return SEALDB_OK;
}

static void cursor_order(sealdb_cursor *c, const record_value *fields, uint32_t n, int rc)
{
    const catalog_index *ix = c->ix;
    c->order = (record_key){
        .fields = fields, .n_fields = n, .coll = ix->coll, .desc = ix->desc, .default_rc = rc};
}

/* Starts the cursor over at the root of its tree, holding no page. */
static void cursor_reset(sealdb_cursor *c)
{
    cursor_release(c);
    btree_cursor_init(&c->bc, c->t->src, c->ix ? c->ix->root : c->tb->root, c->ix != NULL);
    if (c->ix) {
        btree_cursor_set_order(&c->bc, record_key_order, &c->order);
    }
    c->saved = 0;
}

/* Seeks a saved cursor back to its entry: *cmp as btree_seek_rowid (0: the
 * entry is there; >0: at the entry after it; <0: at the last entry, all
 * before it; *eof: the tree is empty). */
static int cursor_restore(sealdb_cursor *c, int *cmp, int *eof, sealdb_error *err)
{
    cursor_reset(c);
    int rc;
    if (!c->ix) {
        rc = btree_seek_rowid(&c->bc, c->rowid, cmp, eof);
    } else {
        uint32_t have = 0;
        rc = record_decode(c->key, c->key_len, c->fields, c->ix->ncol + 1, &have);
        if (rc == SEALDB_OK) {
            record_key k;
            cursor_order(c, c->fields, c->ix->ncol + 1, 0);
            k = c->order;
            btree_cursor_set_order(&c->bc, record_key_order, &c->order);
            rc = btree_seek_index(&c->bc, record_key_compare, &k, cmp, eof);
        }
    }
    if (rc != SEALDB_OK) {
        c->at = 0;
        return bt_error(err, rc, &c->bc, c->ix ? c->ix->name : c->tb->name);
    }
    if (*eof) {
        c->at = 0;
    }
    return SEALDB_OK;
}

static int cursor_check(sealdb_cursor *c, sealdb_error *err)
{
    if (!c) {
        return error_set(err, SEALDB_EINVAL, "cursor is NULL");
    }
    if (!c->tb) {
        return error_set(err, SEALDB_EINVAL,
                         "the transaction changed the schema: open the cursor again");
    }
    if (c->t->failed) {
        return error_set(err, c->t->failed, "the transaction failed earlier: roll it back");
    }
    return SEALDB_OK;
}

/* ---- cursors ---------------------------------------------------------------- */

int sealdb_cursor_open(sealdb_txn *t, sealdb_table *tbl, const char *index, sealdb_cursor **out,
                       sealdb_error *err)
{
    if (!out) {
        return error_set(err, SEALDB_EINVAL, "out must not be NULL");
    }
    *out = NULL;
    catalog_table *tb = NULL;
    int rc = table_of(t, tbl, &tb, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    catalog_index *ix = NULL;
    if (index) {
        ix = catalog_index_find(t->cat->cat, index);
        if (!ix || ix->table != tb) {
            return error_set(err, SEALDB_ENOTFOUND, "%s has no index %s", tb->name, index);
        }
    } else if (tb->without_rowid) {
        return error_set(err, SEALDB_EUNSUPPORTED,
                         "%s is a WITHOUT ROWID table: open a cursor on its primary key index",
                         tb->name);
    }
    sealdb_cursor *c = calloc(1, sizeof *c);
    if (!c || (ix && !(c->fields = calloc(ix->ncol + 1, sizeof *c->fields)))) {
        free(c);
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    c->t = t;
    c->tb = tb;
    c->ix = ix;
    if (ix) {
        cursor_order(c, NULL, ix->ncol + 1, 0);
    }
    cursor_reset(c);
    cursor_link(t, c);
    *out = c;
    return SEALDB_OK;
}

void sealdb_cursor_close(sealdb_cursor *c)
{
    if (!c) {
        return;
    }
    cursor_unlink(c);
    cursor_free(c);
}

static int moved(sealdb_cursor *c, int rc, int eof, sealdb_error *err)
{
    if (rc != SEALDB_OK) {
        c->at = 0;
        return bt_error(err, rc, &c->bc, c->ix ? c->ix->name : c->tb->name);
    }
    c->at = !eof;
    /* the table cursor (index cursors) stays open: the next row's seek
     * keeps the root and interior pages it shares with this row's */
    return SEALDB_OK;
}

/* ---- serializable reads ------------------------------------------------------------ */

/* Notes the cursor's extent as a range read. */
static int ext_flush(sealdb_cursor *c)
{
    if (!c->ext_live) {
        return SEALDB_OK;
    }
    c->ext_live = 0;
    uint8_t lo[8], hi[8];
    mvcc_rowid_key(c->ext_lo, lo);
    mvcc_rowid_key(c->ext_hi, hi);
    return mvcc_note_range(c->t->mt, c->tb->root, c->ext_lo_open ? NULL : lo, 8,
                           c->ext_hi_open ? NULL : hi, 8);
}

enum { MOVE_FIRST, MOVE_LAST, MOVE_NEXT, MOVE_PREV, MOVE_UP, MOVE_DOWN };

/* Records what a move of the cursor read, in a serializable transaction:
 * from where it was (or from the key it sought, MOVE_UP for GE, GT and EQ,
 * MOVE_DOWN for LE and LT, or from an end) to where it is now, or to the
 * end it ran off. */
static int track(sealdb_cursor *c, int how, int64_t key, sealdb_error *err)
{
    sealdb_txn *t = c->t;
    if (!t->serializable) {
        return SEALDB_OK;
    }
    int rc = SEALDB_OK;
    if (c->ix) {
        /* index order is not rowid order: the whole table counts as read */
        if (!c->noted_all &&
            (rc = mvcc_note_range(t->mt, c->tb->root, NULL, 0, NULL, 0)) == SEALDB_OK) {
            c->noted_all = 1;
        }
    } else {
        const int at = c->at;
        const int64_t here = at ? btree_rowid(&c->bc) : 0;
        int lo_open = 0, hi_open = 0;
        int64_t lo = here, hi = here;
        switch (how) {
        case MOVE_FIRST: lo_open = 1, hi_open = !at; break;
        case MOVE_LAST: hi_open = 1, lo_open = !at; break;
        case MOVE_NEXT: hi_open = !at, lo = at ? here : c->ext_lo; break;
        case MOVE_PREV: lo_open = !at, hi = at ? here : c->ext_hi; break;
        case MOVE_UP: lo = key, hi_open = !at; break;
        case MOVE_DOWN: hi = key, lo_open = !at; break;
        }
        const int fresh = how != MOVE_NEXT && how != MOVE_PREV;
        if (!fresh && !c->ext_live) {
            /* a step from end of file: it read from that end */
            lo_open |= how == MOVE_PREV, hi_open |= how == MOVE_NEXT;
            lo_open |= how == MOVE_NEXT && !at, hi_open |= how == MOVE_PREV && !at;
        }
        if (fresh || !c->ext_live) {
            rc = ext_flush(c);
            c->ext_live = 1;
            c->ext_lo_open = lo_open, c->ext_hi_open = hi_open;
            c->ext_lo = lo, c->ext_hi = hi;
        } else {
            if (lo_open || (!c->ext_lo_open && lo < c->ext_lo)) {
                c->ext_lo_open = lo_open, c->ext_lo = lo;
            }
            if (hi_open || (!c->ext_hi_open && hi > c->ext_hi)) {
                c->ext_hi_open = hi_open, c->ext_hi = hi;
            }
        }
    }
    if (rc != SEALDB_OK) {
        t->failed = rc;
        return error_set(err, rc, "out of memory");
    }
    return SEALDB_OK;
}

static int cursor_end(sealdb_cursor *c, int last, sealdb_error *err)
{
    int rc = cursor_check(c, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (c->saved) {
        cursor_reset(c);
    }
    int eof = 0;
    rc = last ? btree_last(&c->bc, &eof) : btree_first(&c->bc, &eof);
    rc = moved(c, rc, eof, err);
    return rc == SEALDB_OK ? track(c, last ? MOVE_LAST : MOVE_FIRST, 0, err) : rc;
}

int sealdb_cursor_first(sealdb_cursor *c, sealdb_error *err)
{
    return cursor_end(c, 0, err);
}

int sealdb_cursor_last(sealdb_cursor *c, sealdb_error *err)
{
    return cursor_end(c, 1, err);
}

static int cursor_step(sealdb_cursor *c, int back, sealdb_error *err)
{
    int rc = cursor_check(c, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (!c->at) {
        return SEALDB_OK; /* at end of file it stays there */
    }
    int eof = 0;
    if (c->saved) {
        int cmp = 0;
        if ((rc = cursor_restore(c, &cmp, &eof, err)) != SEALDB_OK) {
            return rc;
        }
        if (eof) {
            return moved(c, SEALDB_OK, 1, err);
        }
        /* >0: already at the entry after the deleted one; <0: at the last
         * entry, which is before it */
        if (back ? cmp < 0 : cmp > 0) {
            return moved(c, SEALDB_OK, 0, err);
        }
        if (!back && cmp < 0) {
            btree_cursor_close(&c->bc);
            return moved(c, SEALDB_OK, 1, err);
        }
    }
    rc = back ? btree_prev(&c->bc, &eof) : btree_next(&c->bc, &eof);
    return moved(c, rc, eof, err);
}

static int cursor_move(sealdb_cursor *c, int back, sealdb_error *err)
{
    const int rc = cursor_step(c, back, err);
    return rc == SEALDB_OK ? track(c, back ? MOVE_PREV : MOVE_NEXT, 0, err) : rc;
}

int sealdb_cursor_next(sealdb_cursor *c, sealdb_error *err)
{
    return cursor_move(c, 0, err);
}

int sealdb_cursor_prev(sealdb_cursor *c, sealdb_error *err)
{
    return cursor_move(c, 1, err);
}

/* Gives a seek key the affinity a WHERE comparison gives a constant against
 * the column behind index field i: NUMERIC for numeric columns (REAL ones
 * included: an integer key stays an integer and compares exactly), TEXT for
 * TEXT columns, none otherwise. */
static void key_affinity(const catalog_table *tb, const catalog_index *ix, uint32_t i,
                         record_value *v, char *buf)
{
    const int32_t col = ix->cols[i];
    if (col < 0 || (uint32_t)col >= tb->ncol) {
        return;
    }
    const uint8_t aff = tb->cols[col].affinity;
    if (aff == AFF_TEXT) {
        catalog_apply_affinity(AFF_TEXT, v, buf);
    } else if (aff != AFF_BLOB) {
        catalog_apply_affinity(AFF_NUMERIC, v, buf);
    }
}

int sealdb_cursor_seek(sealdb_cursor *c, const sealdb_value *key, uint32_t n, int op,
                       sealdb_error *err)
{
    int rc = cursor_check(c, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (op < SEALDB_SEEK_GE || op > SEALDB_SEEK_EQ || !key || n == 0 ||
        n > (c->ix ? c->ix->ncol : 1)) {
        return error_set(err, SEALDB_EINVAL, "bad seek: op %d with %u key values", op, n);
    }
    if (c->saved || c->aux_open) {
        cursor_reset(c);
    }
    int cmp = 0, eof = 0;
    int64_t sought = 0;
    if (!c->ix) {
        record_value v = *(const record_value *)(const void *)key;
        if (v.type == RECORD_REAL && v.r >= -9.2e18 && v.r <= 9.2e18 &&
            v.r == (double)(int64_t)v.r) {
            v.type = RECORD_INTEGER;
            v.i = (int64_t)v.r;
        }
        if (v.type != RECORD_INTEGER) {
            return error_set(err, SEALDB_EINVAL, "a rowid seek takes an INTEGER key");
        }
        sought = v.i;
        rc = btree_seek_rowid(&c->bc, v.i, &cmp, &eof);
        if (rc == SEALDB_OK && !eof) {
            switch (op) {
            case SEALDB_SEEK_GE: eof = cmp < 0; break;
            case SEALDB_SEEK_EQ: eof = cmp != 0; break;
            case SEALDB_SEEK_GT:
                if (cmp == 0) {
                    rc = btree_next(&c->bc, &eof);
                } else {
                    eof = cmp < 0;
                }
                break;
            case SEALDB_SEEK_LE:
                if (cmp > 0) {
                    rc = btree_prev(&c->bc, &eof);
                }
                break;
            case SEALDB_SEEK_LT:
                if (cmp >= 0) {
                    rc = btree_prev(&c->bc, &eof);
                }
                break;
            }
        }
    } else {
        /* prefix keys: +1 puts the key before its equals (GE, LT, EQ), -1
         * after them (GT, LE) */
        const int after = op == SEALDB_SEEK_GT || op == SEALDB_SEEK_LE;
        record_value k[NATIVE_MAX_KEY];
        char bufs[NATIVE_MAX_KEY][CATALOG_NUMTEXT_MAX];
        if (n > NATIVE_MAX_KEY) {
            return error_set(err, SEALDB_EINVAL, "seek keys have at most %d values",
                             NATIVE_MAX_KEY);
        }
        memcpy(k, key, n * sizeof *k);
        for (uint32_t i = 0; i < n; i++) {
            key_affinity(c->tb, c->ix, i, &k[i], bufs[i]);
        }
        record_key rk = {.fields = k,
                         .n_fields = n,
                         .coll = c->ix->coll,
                         .desc = c->ix->desc,
                         .default_rc = after ? -1 : 1};
        rc = btree_seek_index(&c->bc, record_key_compare, &rk, &cmp, &eof);
        if (rc == SEALDB_OK && !eof) {
            if (op == SEALDB_SEEK_LE || op == SEALDB_SEEK_LT) {
                if (cmp > 0) {
                    rc = btree_prev(&c->bc, &eof);
                }
            } else {
                eof = cmp < 0;
            }
        }
        if (rc == SEALDB_OK && !eof && op == SEALDB_SEEK_EQ) {
            const uint8_t *rec;
            uint32_t len;
            int res = 0;
            rc = btree_payload(&c->bc, &rec, &len);
            if (rc == SEALDB_OK) {
                rc = record_compare(rec, len, k, n, c->ix->coll, c->ix->desc, 0, &res);
            }
            eof = res != 0;
        }
    }
    if (rc == SEALDB_OK && eof) {
        btree_cursor_close(&c->bc);
    }
    rc = moved(c, rc, eof, err);
    const int down = op == SEALDB_SEEK_LE || op == SEALDB_SEEK_LT;
    return rc == SEALDB_OK ? track(c, down ? MOVE_DOWN : MOVE_UP, sought, err) : rc;
}

int sealdb_cursor_eof(const sealdb_cursor *c)
{
    return !c || !c->at;
}

/* Makes sure the cursor is on its entry (restoring a saved position):
 * SEALDB_ENOTFOUND if the entry was deleted since. */
static int cursor_here(sealdb_cursor *c, sealdb_error *err)
{
    int rc = cursor_check(c, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (!c->at) {
        return error_set(err, SEALDB_EINVAL, "the cursor is at end of file");
    }
    if (c->saved) {
        int cmp = 0, eof = 0;
        if ((rc = cursor_restore(c, &cmp, &eof, err)) != SEALDB_OK) {
            return rc;
        }
        if (eof || cmp != 0) {
            /* keep the position for next and prev */
            if (!eof) {
                cursor_release(c);
                c->saved = 1;
                c->at = 1;
            }
            return error_set(err, SEALDB_ENOTFOUND, "the entry the cursor was at was deleted");
        }
    }
    return SEALDB_OK;
}

int64_t sealdb_cursor_rowid(const sealdb_cursor *c)
{
    if (!c || !c->at) {
        return 0;
    }
    int64_t rowid = 0;
    if (c->saved) {
        /* the position kept across the transaction's writes: the entry may
         * have been deleted since, its rowid is still the one it had */
        if (!c->ix) {
            return c->rowid;
        }
        return entry_rowid(c->ix, c->key, c->key_len, &rowid) == SEALDB_OK ? rowid : 0;
    }
    if (!c->ix) {
        return btree_rowid(&c->bc);
    }
    const uint8_t *rec;
    uint32_t len;
    sealdb_cursor *m = (sealdb_cursor *)c;
    if (btree_payload(&m->bc, &rec, &len) != SEALDB_OK || entry_rowid(c->ix, rec, len, &rowid)) {
        return 0;
    }
    return rowid;
}

/* Index cursors, before the row of the entry the cursor is at (rowid) is
 * read: 1 and the row's table leaf in *found when it was found ahead; and
 * the rows of the next entries on the cursor's leaf are sought ahead, so
 * that their leaves are on their way while this row is read. In any kind
 * of transaction: before its first write changes a page, every cursor lets
 * go of its pages, rows found ahead with them (will_write). Anything
 * unexpected (the cursor moved back or jumped, an entry ahead that does
 * not parse, a tree too shallow to gain) only means reading rows the usual
 * way; the cursor reports damage when it gets there. */
static int ahead_take(sealdb_cursor *c, int64_t rowid, btree_ahead *found)
{
    btree_pages *src = c->t->src;
    const uint32_t most = c->t->db->ahead_rows;
    if (c->bc.depth == 0 || most == 0) {
        return 0;
    }
    const btree_level *l = &c->bc.lvl[c->bc.depth - 1];
    const uint32_t i = l->idx;
    if (c->ahead_leaf != l->pgno) {
        ahead_drop(c);
        c->ahead_leaf = l->pgno;
        c->ahead_next = i + 1;
    }
    /* entries the cursor passed without reading their rows */
    while (c->ahead_count && c->ahead_at[c->ahead_head] < i) {
        btree_ahead_drop(src, &c->ahead[c->ahead_head]);
        c->ahead_head = (c->ahead_head + 1) % AHEAD_ROWS;
        c->ahead_count--;
    }
    if ((c->ahead_count && c->ahead_at[c->ahead_head] > i + 1) ||
        (!c->ahead_count && c->ahead_next != i + 1 && c->ahead_next != i)) {
        ahead_drop(c); /* it moved back, or past what was sought */
        c->ahead_leaf = l->pgno;
        c->ahead_next = i + 1;
    }
    int have = 0;
    if (c->ahead_count && c->ahead_at[c->ahead_head] == i) {
        btree_ahead *a = &c->ahead[c->ahead_head];
        if (a->rowid == rowid) {
            *found = *a;
            memset(a, 0, sizeof *a);
            have = 1;
        } else {
            btree_ahead_drop(src, a);
        }
        c->ahead_head = (c->ahead_head + 1) % AHEAD_ROWS;
        c->ahead_count--;
    }
    if (c->ahead_next <= i) {
        c->ahead_next = i + 1;
    }
    if (!c->scout_open) {
        btree_cursor_init(&c->scout, src, c->tb->root, 0);
        c->scout_open = 1;
    }
    while (c->ahead_count < most) {
        const uint8_t *rec;
        uint32_t len;
        int64_t next;
        const uint32_t slot = (c->ahead_head + c->ahead_count) % AHEAD_ROWS;
        if (btree_peek(&c->bc, c->ahead_next - i, &rec, &len) != SEALDB_OK ||
            entry_rowid(c->ix, rec, len, &next) != SEALDB_OK ||
            btree_ahead_find(&c->scout, next, &c->ahead[slot]) != SEALDB_OK) {
            break;
        }
        c->ahead_at[slot] = c->ahead_next++;
        c->ahead_count++;
        /* the entry found half a ring ago: its header line is in by now */
        if (c->ahead_count > most / 2) {
            btree_ahead_prime(&c->scout, &c->ahead[(slot + AHEAD_ROWS - most / 2) % AHEAD_ROWS]);
        }
    }
    return have;
}

int sealdb_cursor_row(sealdb_cursor *c, sealdb_value *cols, uint32_t n, sealdb_error *err)
{
    int rc = cursor_here(c, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    const catalog_table *tb = c->tb;
    if (n > tb->ncol || (n && !cols)) {
        return error_set(err, SEALDB_EINVAL, "table %s has %u columns; %u asked for", tb->name,
                         tb->ncol, n);
    }
    const uint8_t *rec;
    uint32_t len;
    if ((rc = btree_payload(&c->bc, &rec, &len)) != SEALDB_OK) {
        return bt_error(err, rc, &c->bc, c->ix ? c->ix->name : tb->name);
    }
    int64_t rowid;
    if (!c->ix) {
        rowid = btree_rowid(&c->bc);
    } else {
        if (entry_rowid(c->ix, rec, len, &rowid) != SEALDB_OK) {
            return error_set(err, SEALDB_ECORRUPT, "index %s: an entry without a rowid",
                             c->ix->name);
        }
        if (!c->aux_open) {
            btree_cursor_init(&c->aux, c->t->src, tb->root, 0);
            c->aux_open = 1;
        }
        btree_ahead found;
        const int have = ahead_take(c, rowid, &found);
        int cmp = 0, eof = 0;
        rc = have ? btree_ahead_seek(&c->aux, &found, &cmp, &eof)
                  : btree_seek_rowid(&c->aux, rowid, &cmp, &eof);
        if (rc != SEALDB_OK) {
            return bt_error(err, rc, &c->aux, tb->name);
        }
        if (eof || cmp != 0) {
            return error_set(err, SEALDB_ECORRUPT, "index %s names row %lld, which %s lacks",
                             c->ix->name, (long long)rowid, tb->name);
        }
        if ((rc = btree_payload(&c->aux, &rec, &len)) != SEALDB_OK) {
            return bt_error(err, rc, &c->aux, tb->name);
        }
    }
    c->t->rows_read++;
    return row_values(tb, rowid, rec, len, cols, n, err);
}

int sealdb_cursor_key(sealdb_cursor *c, sealdb_value *key, uint32_t n, sealdb_error *err)
{
    int rc = cursor_here(c, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (!c->ix) {
        return error_set(err, SEALDB_EINVAL, "a rowid cursor has no key columns");
    }
    if (n > c->ix->ncol || (n && !key)) {
        return error_set(err, SEALDB_EINVAL, "index %s has %u columns; %u asked for", c->ix->name,
                         c->ix->ncol, n);
    }
    const uint8_t *rec;
    uint32_t len, have = 0;
    if ((rc = btree_payload(&c->bc, &rec, &len)) != SEALDB_OK) {
        return bt_error(err, rc, &c->bc, c->ix->name);
    }
    if ((rc = record_decode(rec, len, (record_value *)(void *)key, n, &have)) != SEALDB_OK ||
        have < n) {
        return error_set(err, SEALDB_ECORRUPT, "index %s: a malformed entry", c->ix->name);
    }
    for (uint32_t i = 0; i < n; i++) {
        const int32_t col = c->ix->cols[i];
        if (col >= 0 && c->tb->cols[col].affinity == AFF_REAL && key[i].type == SEALDB_INTEGER) {
            key[i].r = (double)key[i].i;
            key[i].type = SEALDB_REAL;
        }
    }
    return SEALDB_OK;
}

/* ---- writing rows -------------------------------------------------------------- */

/* A row being written: its values (affinity applied, the INTEGER PRIMARY
 * KEY as NULL), its rowid, and its table record and index entries, all in
 * the transaction's buffer. */
typedef struct row_image {
    int64_t rowid;
    uint32_t rec_off, rec_len;
    uint32_t *ent_off, *ent_len; /* per index */
} row_image;

static const char *col_name(const catalog_table *tb, int32_t col)
{
    return col >= 0 && (uint32_t)col < tb->ncol ? tb->cols[col].name : "rowid";
}

/* Values of a new row image: cols[0..n) then defaults, affinity applied. */
static int row_prepare(const catalog_table *tb, const sealdb_value *cols, uint32_t n,
                       record_value *vals, char (*bufs)[CATALOG_NUMTEXT_MAX], sealdb_error *err)
{
    if (n > tb->ncol || (n && !cols)) {
        return error_set(err, SEALDB_EINVAL, "table %s has %u columns; %u given", tb->name,
                         tb->ncol, n);
    }
    for (uint32_t i = 0; i < tb->ncol; i++) {
        if (i < n) {
            memcpy(&vals[i], &cols[i], sizeof vals[i]);
            if (vals[i].type > RECORD_BLOB ||
                ((vals[i].type == RECORD_TEXT || vals[i].type == RECORD_BLOB) && vals[i].n &&
                 !vals[i].p)) {
                return error_set(err, SEALDB_EINVAL, "column %s: a bad value (type %u)",
                                 tb->cols[i].name, vals[i].type);
            }
        } else {
            vals[i] = tb->cols[i].dflt;
        }
        catalog_apply_affinity(tb->cols[i].affinity, &vals[i], bufs[i]);
    }
    return SEALDB_OK;
}

/* The rowid a new row gets: the INTEGER PRIMARY KEY value, or one more
 * than the largest (a random free one after INT64_MAX, as SQLite does). */
static int row_rowid(sealdb_txn *t, const catalog_table *tb, record_value *vals, int64_t *rowid,
                     int *given, sealdb_error *err)
{
    *given = 0;
    if (tb->ipk >= 0 && vals[tb->ipk].type != RECORD_NULL) {
        if (vals[tb->ipk].type != RECORD_INTEGER) {
            return error_set(err, SEALDB_EINVAL, "datatype mismatch: %s.%s takes integers",
                             tb->name, tb->cols[tb->ipk].name);
        }
        *rowid = vals[tb->ipk].i;
        *given = 1;
        return SEALDB_OK;
    }
    btree_cursor c;
    btree_cursor_init(&c, t->src, tb->root, 0);
    int eof = 0;
    int rc = btree_last(&c, &eof);
    int64_t last = eof ? 0 : btree_rowid(&c);
    if (rc == SEALDB_OK && t->kind == SEALDB_TXN_CONCURRENT && last < INT64_MAX) {
        /* concurrent inserters draw from the table's counter, so that they
         * do not all pick the same next rowid */
        const int64_t id = mvcc_next_rowid(t->db->mv, tb->root, last);
        last = id ? id - 1 : INT64_MAX;
    }
    if (rc == SEALDB_OK && last == INT64_MAX) {
        for (int tries = 0; tries < 100 && rc == SEALDB_OK; tries++) {
            uint64_t r = 0;
            if (sealdb_random_bytes(&r, sizeof r) != SEALDB_OK) {
                rc = error_set(err, SEALDB_ECRYPTO, "no random rowid: the random source failed");
                break;
            }
            const int64_t probe = (int64_t)(r >> 1);
            int cmp = 0;
            rc = btree_seek_rowid(&c, probe ? probe : 1, &cmp, &eof);
            if (rc == SEALDB_OK && cmp != 0) {
                last = (probe ? probe : 1) - 1;
                break;
            }
        }
        if (rc == SEALDB_OK && last == INT64_MAX) {
            rc = error_set(err, SEALDB_ECONSTRAINT, "%s: no free rowid found", tb->name);
        }
    }
    if (rc != SEALDB_OK && rc != SEALDB_ECONSTRAINT && rc != SEALDB_ECRYPTO) {
        bt_error(err, rc, &c, tb->name);
    }
    btree_cursor_close(&c);
    *rowid = rc == SEALDB_OK ? last + 1 : 0;
    return rc;
}

/* The index entry of a row: key columns then the rowid, into key[] and
 * flags[] (ix->ncol + 1 each). */
static void entry_fields(const catalog_table *tb, const catalog_index *ix, const record_value *vals,
                         int64_t rowid, record_value *key, uint8_t *flags)
{
    for (uint32_t k = 0; k < ix->ncol; k++) {
        const int32_t col = ix->cols[k];
        key[k] = col == tb->ipk ? (record_value){.type = RECORD_INTEGER, .i = rowid} : vals[col];
        flags[k] = tb->col_flags[col];
    }
    key[ix->ncol] = (record_value){.type = RECORD_INTEGER, .i = rowid};
    flags[ix->ncol] = 0;
}

/* Appends the table record and every index entry of a row image to the
 * transaction's buffer from offset img->rec_off; returns the end in *end.
 * vals[ipk] must be NULL (the rowid stands for it). */
static int row_encode(sealdb_txn *t, const catalog_table *tb, const record_value *vals,
                      row_image *img, uint32_t *end, sealdb_error *err)
{
    record_value key[NATIVE_MAX_KEY + 1];
    uint8_t flags[NATIVE_MAX_KEY + 1];
    uint32_t size = 0;
    int rc = record_size(vals, tb->ncol, tb->col_flags, &size);
    uint64_t total = size;
    for (uint32_t x = 0; rc == SEALDB_OK && x < tb->nindex; x++) {
        const catalog_index *ix = tb->indexes[x];
        entry_fields(tb, ix, vals, img->rowid, key, flags);
        rc = record_size(key, ix->ncol + 1, flags, &img->ent_len[x]);
        total += img->ent_len[x];
    }
    if (rc != SEALDB_OK) {
        return error_set(err, rc, "table %s: the row cannot be encoded (%s)", tb->name,
                         sealdb_strerror(rc));
    }
    uint64_t off = img->rec_off;
    if (off + total > UINT32_MAX / 2 ||
        grow((void **)&t->buf, &t->cap, off + total, 1) != SEALDB_OK) {
        return error_set(err, SEALDB_ENOMEM, "out of memory for a row of %llu bytes",
                         (unsigned long long)total);
    }
    uint32_t w = 0;
    record_encode(vals, tb->ncol, tb->col_flags, t->buf + off, size, &w);
    img->rec_len = w;
    off += w;
    for (uint32_t x = 0; x < tb->nindex; x++) {
        const catalog_index *ix = tb->indexes[x];
        entry_fields(tb, ix, vals, img->rowid, key, flags);
        record_encode(key, ix->ncol + 1, flags, t->buf + off, img->ent_len[x], &w);
        img->ent_off[x] = (uint32_t)off;
        off += w;
    }
    *end = (uint32_t)off;
    return SEALDB_OK;
}

/* Whether the table may be written natively. */
static int check_writable(sealdb_txn *t, const catalog_table *tb, sealdb_error *err)
{
    if (tb->unwritable) {
        return error_set(err, SEALDB_EUNSUPPORTED, "%s cannot be written natively: %s", tb->name,
                         tb->unwritable);
    }
    if (tb->nindex > NATIVE_MAX_KEY) {
        return error_set(err, SEALDB_EUNSUPPORTED, "%s has more than %d indexes", tb->name,
                         NATIVE_MAX_KEY);
    }
    for (uint32_t x = 0; x < tb->nindex; x++) {
        if (tb->indexes[x]->ncol > NATIVE_MAX_KEY) {
            return error_set(err, SEALDB_EUNSUPPORTED, "index %s has more than %d columns",
                             tb->indexes[x]->name, NATIVE_MAX_KEY);
        }
        if (tb->indexes[x]->unwritable) {
            return error_set(err, SEALDB_EUNSUPPORTED,
                             "%s cannot be written natively: index %s: %s", tb->name,
                             tb->indexes[x]->name, tb->indexes[x]->unwritable);
        }
    }
    return will_write(t, err);
}

/* A check that failed read a row: a serializable transaction notes it, so
 * that a concurrent change of that row refuses its commit (the failure was
 * what it saw; a row deleted meanwhile would have let the statement pass).
 * The ECONSTRAINT of the failed check stays the result; memory short for
 * the note fails the transaction. */
static int constraint_seen(sealdb_txn *t, const catalog_table *tb, int64_t rowid, int rc)
{
    if (t->serializable) {
        uint8_t key[8];
        mvcc_rowid_key(rowid, key);
        if (mvcc_note_read(t->mt, tb->root, key, sizeof key) != SEALDB_OK) {
            t->failed = SEALDB_ENOMEM;
        }
    }
    return rc;
}

/* NOT NULL, and UNIQUE for a row at rowid against every entry but those
 * of row self (when has_self: the row being replaced). */
static int check_constraints(sealdb_txn *t, const catalog_table *tb, const record_value *vals,
                             int64_t rowid, int has_self, int64_t self, sealdb_error *err)
{
    for (uint32_t i = 0; i < tb->ncol; i++) {
        if (tb->cols[i].notnull && (int32_t)i != tb->ipk && vals[i].type == RECORD_NULL) {
            return error_set(err, SEALDB_ECONSTRAINT, "NOT NULL constraint failed: %s.%s", tb->name,
                             tb->cols[i].name);
        }
    }
    for (uint32_t x = 0; x < tb->nindex; x++) {
        const catalog_index *ix = tb->indexes[x];
        if (!ix->unique) {
            continue;
        }
        record_value key[NATIVE_MAX_KEY + 1];
        uint8_t flags[NATIVE_MAX_KEY + 1];
        int has_null = 0;
        entry_fields(tb, ix, vals, rowid, key, flags);
        for (uint32_t k = 0; k < ix->ncol; k++) {
            has_null |= key[k].type == RECORD_NULL;
        }
        if (has_null) {
            continue; /* NULLs are distinct */
        }
        record_key rk = {.fields = key,
                         .n_fields = ix->ncol,
                         .coll = ix->coll,
                         .desc = ix->desc,
                         .default_rc = 1};
        btree_cursor c;
        btree_cursor_init(&c, t->src, ix->root, 1);
        int cmp = 0, eof = 0, rc = btree_seek_index(&c, record_key_compare, &rk, &cmp, &eof);
        int conflict = 0;
        int64_t other = 0;
        while (rc == SEALDB_OK && !eof && cmp > 0) {
            const uint8_t *rec;
            uint32_t len;
            int res = 0;
            if ((rc = btree_payload(&c, &rec, &len)) != SEALDB_OK ||
                (rc = record_compare(rec, len, key, ix->ncol, ix->coll, ix->desc, 0, &res)) !=
                    SEALDB_OK ||
                res != 0) {
                break;
            }
            if ((rc = entry_rowid(ix, rec, len, &other)) != SEALDB_OK) {
                break;
            }
            if (!has_self || other != self) {
                conflict = 1;
                break;
            }
            rc = btree_next(&c, &eof);
        }
        if (rc != SEALDB_OK) {
            bt_error(err, rc, &c, ix->name);
            btree_cursor_close(&c);
            return rc;
        }
        btree_cursor_close(&c);
        if (conflict) {
            char cols[SEALDB_ERRMSG_MAX] = "";
            size_t used = 0;
            for (uint32_t k = 0; k < ix->ncol && used < sizeof cols; k++) {
                const int w = snprintf(cols + used, sizeof cols - used, "%s%s.%s", k ? ", " : "",
                                       tb->name, col_name(tb, ix->cols[k]));
                used += w > 0 ? (size_t)w : 0;
            }
            return constraint_seen(
                t, tb, other,
                error_set(err, SEALDB_ECONSTRAINT, "UNIQUE constraint failed: %s", cols));
        }
    }
    return SEALDB_OK;
}

/* Whether rowid is taken in the table. */
static int rowid_taken(sealdb_txn *t, const catalog_table *tb, int64_t rowid, int *taken,
                       sealdb_error *err)
{
    btree_cursor c;
    btree_cursor_init(&c, t->src, tb->root, 0);
    int cmp = 0, eof = 0;
    const int rc = btree_seek_rowid(&c, rowid, &cmp, &eof);
    *taken = rc == SEALDB_OK && !eof && cmp == 0;
    if (rc != SEALDB_OK) {
        bt_error(err, rc, &c, tb->name);
    }
    btree_cursor_close(&c);
    return rc;
}

/* Applies one change to the trees; a failure here leaves them half-changed.
 * A new row whose rowid is not known to be free (fresh) goes into the table
 * first, with one seek that also checks the rowid: if a row is there,
 * SEALDB_ECONSTRAINT and nothing is written. */
static int apply(sealdb_txn *t, const catalog_table *tb, const row_image *old, const row_image *img,
                 int fresh, sealdb_error *err)
{
    int rc = SEALDB_OK;
    btree_cursor c;
    if (!old && img && fresh) {
        int exists = 0;
        btree_cursor_init(&c, t->src, tb->root, 0);
        rc = btree_insert_new_row(&c, img->rowid, t->buf + img->rec_off, img->rec_len, &exists);
        if (rc != SEALDB_OK) {
            bt_error(err, rc, &c, tb->name);
        }
        btree_cursor_close(&c);
        if (rc == SEALDB_OK && exists) {
            return constraint_seen(t, tb, img->rowid,
                                   error_set(err, SEALDB_ECONSTRAINT,
                                             "UNIQUE constraint failed: %s.%s", tb->name,
                                             tb->ipk >= 0 ? tb->cols[tb->ipk].name : "rowid"));
        }
        if (rc != SEALDB_OK) {
            return rc;
        }
    }
    for (uint32_t x = 0; x < tb->nindex && rc == SEALDB_OK; x++) {
        const catalog_index *ix = tb->indexes[x];
        const uint8_t *oe = old ? t->buf + old->ent_off[x] : NULL;
        const uint8_t *ne = img ? t->buf + img->ent_off[x] : NULL;
        if (old && img && old->ent_len[x] == img->ent_len[x] &&
            memcmp(oe, ne, old->ent_len[x]) == 0) {
            continue; /* the entry stays as it is */
        }
        record_value fields[NATIVE_MAX_KEY + 1];
        uint32_t have = 0;
        record_key order = {
            .fields = fields, .n_fields = ix->ncol + 1, .coll = ix->coll, .desc = ix->desc};
        btree_cursor_init(&c, t->src, ix->root, 1);
        btree_cursor_set_order(&c, record_key_order, &order);
        if (old) {
            int cmp = 0, eof = 0;
            rc = record_decode(oe, old->ent_len[x], fields, ix->ncol + 1, &have);
            if (rc == SEALDB_OK) {
                rc = btree_seek_index(&c, record_key_compare, &order, &cmp, &eof);
            }
            if (rc == SEALDB_OK && (eof || cmp != 0)) {
                rc = error_set(err, SEALDB_ECORRUPT, "index %s lacks the entry of row %lld",
                               ix->name, (long long)old->rowid);
                btree_cursor_close(&c);
                break;
            }
            if (rc == SEALDB_OK) {
                rc = btree_delete(&c);
            }
        }
        if (rc == SEALDB_OK && img) {
            rc = record_decode(ne, img->ent_len[x], fields, ix->ncol + 1, &have);
            if (rc == SEALDB_OK) {
                rc = btree_insert_entry(&c, record_key_compare, &order, ne, img->ent_len[x]);
            }
        }
        if (rc != SEALDB_OK) {
            bt_error(err, rc, &c, ix->name);
        }
        btree_cursor_close(&c);
    }
    if (rc != SEALDB_OK) {
        return rc;
    }
    btree_cursor_init(&c, t->src, tb->root, 0);
    if (old && (!img || img->rowid != old->rowid)) {
        int cmp = 0, eof = 0;
        rc = btree_seek_rowid(&c, old->rowid, &cmp, &eof);
        if (rc == SEALDB_OK && (eof || cmp != 0)) {
            rc = error_set(err, SEALDB_ECORRUPT, "%s lost row %lld", tb->name,
                           (long long)old->rowid);
        } else if (rc == SEALDB_OK) {
            rc = btree_delete(&c);
        }
    }
    if (rc == SEALDB_OK && img && !(!old && fresh)) {
        rc = btree_insert_row(&c, img->rowid, t->buf + img->rec_off, img->rec_len);
    }
    if (rc != SEALDB_OK && rc != SEALDB_ECORRUPT) {
        bt_error(err, rc, &c, tb->name);
    } else if (rc == SEALDB_ECORRUPT && c.msg[0]) {
        bt_error(err, rc, &c, tb->name);
    }
    btree_cursor_close(&c);
    return rc;
}

/* The stored image of row rowid: its record copied to t->obuf, decoded
 * into vals (which point into that copy), and its index entries encoded at
 * the start of the buffer; *end is where they end. */
static int old_image(sealdb_txn *t, const catalog_table *tb, int64_t rowid, record_value *vals,
                     row_image *img, uint32_t *end, sealdb_error *err)
{
    btree_cursor c;
    btree_cursor_init(&c, t->src, tb->root, 0);
    int cmp = 0, eof = 0;
    int rc = btree_seek_rowid(&c, rowid, &cmp, &eof);
    const uint8_t *rec = NULL;
    uint32_t len = 0;
    if (rc == SEALDB_OK && (eof || cmp != 0)) {
        btree_cursor_close(&c);
        return error_set(err, SEALDB_ENOTFOUND, "%s has no row %lld", tb->name, (long long)rowid);
    }
    if (rc == SEALDB_OK) {
        rc = btree_payload(&c, &rec, &len);
    }
    if (rc != SEALDB_OK) {
        bt_error(err, rc, &c, tb->name);
        btree_cursor_close(&c);
        return rc;
    }
    if (grow((void **)&t->obuf, &t->ocap, len, 1) != SEALDB_OK) {
        btree_cursor_close(&c);
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    memcpy(t->obuf, rec, len);
    btree_cursor_close(&c);
    uint32_t have = 0;
    if ((rc = record_decode(t->obuf, len, vals, tb->ncol, &have)) != SEALDB_OK) {
        return error_set(err, rc, "table %s: the record of row %lld is malformed", tb->name,
                         (long long)rowid);
    }
    for (uint32_t i = have; i < tb->ncol; i++) {
        vals[i] = tb->cols[i].dflt; /* as the row reads: indexes hold the default */
    }
    img->rowid = rowid;
    img->rec_off = 0;
    return row_encode(t, tb, vals, img, end, err);
}

/* ---- changes for the transaction manager ------------------------------------------- */

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (56 - 8 * i));
    }
}

/* The bytes that stand for a UNIQUE value of index ix: equal exactly when
 * the index calls the values equal (numbers by value, 1 = 1.0; text
 * through the column's collation). 0 in *len when a column is NULL (NULLs
 * are distinct: nothing to claim). Appended to t->buf from off. */
static int unique_key(sealdb_txn *t, const catalog_table *tb, const catalog_index *ix,
                      const record_value *vals, int64_t rowid, uint32_t off, uint32_t *len)
{
    uint64_t need = 0;
    for (uint32_t k = 0; k < ix->ncol; k++) {
        const int32_t col = ix->cols[k];
        const record_value *v = col == tb->ipk ? NULL : &vals[col];
        if (v && v->type == RECORD_NULL) {
            *len = 0;
            return SEALDB_OK;
        }
        need += 1 + 9 + (v && (v->type == RECORD_TEXT || v->type == RECORD_BLOB) ? v->n : 0);
    }
    if (off + need > UINT32_MAX / 2 ||
        grow((void **)&t->buf, &t->cap, off + need, 1) != SEALDB_OK) {
        return SEALDB_ENOMEM;
    }
    uint8_t *p = t->buf + off;
    for (uint32_t k = 0; k < ix->ncol; k++) {
        const int32_t col = ix->cols[k];
        record_value v =
            col == tb->ipk ? (record_value){.type = RECORD_INTEGER, .i = rowid} : vals[col];
        if (v.type == RECORD_REAL && v.r >= -9223372036854775808.0 && v.r < 9223372036854775808.0 &&
            v.r == (double)(int64_t)v.r) {
            v = (record_value){.type = RECORD_INTEGER, .i = (int64_t)v.r};
        }
        *p++ = v.type;
        if (v.type == RECORD_INTEGER) {
            put_be64(p, (uint64_t)v.i);
            p += 8;
        } else if (v.type == RECORD_REAL) {
            uint64_t bits;
            memcpy(&bits, &v.r, sizeof bits);
            put_be64(p, bits);
            p += 8;
        } else {
            uint32_t n = v.n;
            const uint8_t coll = ix->coll[k];
            if (v.type == RECORD_TEXT && coll == RECORD_RTRIM) {
                while (n && v.p[n - 1] == ' ') {
                    n--;
                }
            }
            put_be64(p, n);
            p += 8;
            for (uint32_t i = 0; i < n; i++) {
                const uint8_t b = v.p[i];
                p[i] = v.type == RECORD_TEXT && coll == RECORD_NOCASE && b >= 'A' && b <= 'Z'
                           ? (uint8_t)(b + 32)
                           : b;
            }
            p += n;
        }
    }
    *len = (uint32_t)(p - (t->buf + off));
    return SEALDB_OK;
}

/* Tells the manager what a change wrote. An exclusive transaction claims
 * the table as a whole (concurrent writers of it that began before its
 * commit will conflict); a concurrent one puts the row's new record (or
 * its deletion) under its rowid, claims the UNIQUE values of the new row,
 * and guards the table against exclusive writers. vals: the new row's
 * values, img->rec_off..: its record in t->buf. */
static int note_change(sealdb_txn *t, const catalog_table *tb, const row_image *old,
                       const row_image *img, const record_value *vals, uint32_t end,
                       sealdb_error *err)
{
    int rc = SEALDB_OK;
    if (t->marked_root != tb->root) {
        rc = t->kind == SEALDB_TXN_WRITE ? mvcc_claim(t->mt, tb->root, TABLE_KEY, sizeof TABLE_KEY)
                                         : mvcc_guard(t->mt, tb->root, TABLE_KEY, sizeof TABLE_KEY);
        t->marked_root = rc == SEALDB_OK ? tb->root : 0;
    }
    if (t->kind == SEALDB_TXN_WRITE || rc != SEALDB_OK) {
        return rc == SEALDB_OK ? rc : error_set(err, rc, "out of memory");
    }
    uint8_t key[8];
    if (old && (!img || img->rowid != old->rowid)) {
        mvcc_rowid_key(old->rowid, key);
        rc = mvcc_put(t->mt, tb->root, key, sizeof key, NULL, 0);
    }
    if (rc == SEALDB_OK && img) {
        mvcc_rowid_key(img->rowid, key);
        rc = mvcc_put(t->mt, tb->root, key, sizeof key, t->buf + img->rec_off, img->rec_len);
    }
    for (uint32_t x = 0; rc == SEALDB_OK && img && x < tb->nindex; x++) {
        const catalog_index *ix = tb->indexes[x];
        uint32_t len = 0;
        if (ix->unique && (rc = unique_key(t, tb, ix, vals, img->rowid, end, &len)) == SEALDB_OK &&
            len) {
            rc = mvcc_claim(t->mt, ix->root, t->buf + end, len);
        }
    }
    return rc == SEALDB_OK ? rc : error_set(err, rc, "out of memory");
}

/* The scratch of one change: 4 * (nx + 1) offsets (old and new index
 * entries: offset and length each), then nc number texts for affinity. */
static int change_scratch(sealdb_txn *t, uint32_t nx, uint32_t nc, uint32_t **offs,
                          char (**bufs)[CATALOG_NUMTEXT_MAX], sealdb_error *err)
{
    const uint64_t off_bytes = 4 * ((uint64_t)nx + 1) * sizeof(uint32_t);
    if (grow((void **)&t->scratch, &t->scratch_cap,
             off_bytes + (uint64_t)nc * CATALOG_NUMTEXT_MAX + 1, 1) != SEALDB_OK) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    *offs = (uint32_t *)(void *)t->scratch;
    if (bufs) {
        *bufs = (char(*)[CATALOG_NUMTEXT_MAX])(void *)(t->scratch + off_bytes);
    }
    return SEALDB_OK;
}

/* Inserts a row, or with has_old replaces row old_rowid, with cols[0..n). */
/* Values a caller read (sealdb_get, sealdb_cursor_row) point into pages
 * and buffers the transaction's reads hold, which the write about to be
 * made lets go of first (will_write): a read-modify-write of a row passes
 * them back. So while reads hold anything, a row's text and blob values
 * are copied (into memory wiped when replaced or freed) and *cols points
 * at the copies. */
static int hold_values(sealdb_txn *t, const sealdb_value **cols, uint32_t n, sealdb_error *err)
{
    const sealdb_value *v = *cols;
    if (!v || n == 0 || (!t->get_open && !t->cursors)) {
        return SEALDB_OK;
    }
    size_t bytes = 0;
    for (uint32_t i = 0; i < n; i++) {
        if ((v[i].type == SEALDB_TEXT || v[i].type == SEALDB_BLOB) && v[i].p) {
            bytes += v[i].n;
        }
    }
    if (bytes == 0) {
        return SEALDB_OK;
    }
    if (bytes > t->held_cap) {
        uint8_t *b = malloc(bytes);
        if (!b) {
            return error_set(err, SEALDB_ENOMEM, "out of memory");
        }
        if (t->held) {
            crypto_wipe(t->held, t->held_cap);
        }
        free(t->held);
        t->held = b;
        t->held_cap = bytes;
    }
    if (n > t->held_n) {
        sealdb_value *a = realloc(t->held_vals, n * sizeof *a);
        if (!a) {
            return error_set(err, SEALDB_ENOMEM, "out of memory");
        }
        t->held_vals = a;
        t->held_n = n;
    }
    size_t at = 0;
    for (uint32_t i = 0; i < n; i++) {
        t->held_vals[i] = v[i];
        if ((v[i].type == SEALDB_TEXT || v[i].type == SEALDB_BLOB) && v[i].p) {
            memcpy(t->held + at, v[i].p, v[i].n);
            t->held_vals[i].p = t->held + at;
            at += v[i].n;
        }
    }
    *cols = t->held_vals;
    return SEALDB_OK;
}

static int write_row(sealdb_txn *t, sealdb_table *tbl, int has_old, int64_t old_rowid,
                     const sealdb_value *cols, uint32_t n, int64_t *rowid_out, sealdb_error *err)
{
    catalog_table *tb = NULL;
    int rc = table_of(t, tbl, &tb, err);
    if (rc == SEALDB_OK && n <= tb->ncol) {
        rc = hold_values(t, &cols, n, err);
    }
    if (rc == SEALDB_OK) {
        rc = check_writable(t, tb, err);
    }
    if (rc == SEALDB_OK) {
        rc = need_vals(t, 2 * tb->ncol, err);
    }
    if (rc != SEALDB_OK) {
        return rc;
    }
    const uint32_t nc = tb->ncol, nx = tb->nindex;
    char(*bufs)[CATALOG_NUMTEXT_MAX] = NULL;
    uint32_t *offs = NULL;
    if ((rc = change_scratch(t, nx, nc, &offs, &bufs, err)) != SEALDB_OK) {
        return rc;
    }
    record_value *vals = t->vals, *ovals = t->vals + nc;
    row_image old = {.ent_off = offs, .ent_len = offs + nx};
    row_image img = {.ent_off = offs + 2 * nx, .ent_len = offs + 3 * nx};
    uint32_t end = 0;
    if (has_old) {
        rc = old_image(t, tb, old_rowid, ovals, &old, &end, err);
    }
    if (rc == SEALDB_OK) {
        rc = row_prepare(tb, cols, n, vals, bufs, err);
    }
    if (rc == SEALDB_OK && has_old && tb->ipk >= 0 && (uint32_t)tb->ipk >= n) {
        /* the INTEGER PRIMARY KEY not given: the row keeps its rowid */
        vals[tb->ipk] = (record_value){.type = RECORD_INTEGER, .i = old_rowid};
    }
    int64_t rowid = old_rowid;
    int given = 0;
    if (rc == SEALDB_OK && has_old && tb->ipk >= 0 && vals[tb->ipk].type == RECORD_NULL) {
        rc = error_set(err, SEALDB_EINVAL, "datatype mismatch: %s.%s cannot be NULL", tb->name,
                       tb->cols[tb->ipk].name);
    } else if (rc == SEALDB_OK && (!has_old || tb->ipk >= 0)) {
        rc = row_rowid(t, tb, vals, &rowid, &given, err);
    }
    if (rc == SEALDB_OK && tb->ipk >= 0) {
        vals[tb->ipk] = (record_value){.type = RECORD_NULL};
    }
    /* a new row's rowid is checked as it goes into the table (apply) */
    if (rc == SEALDB_OK && given && has_old && rowid != old_rowid) {
        int taken = 0;
        rc = rowid_taken(t, tb, rowid, &taken, err);
        if (rc == SEALDB_OK && taken) {
            rc = constraint_seen(t, tb, rowid,
                                 error_set(err, SEALDB_ECONSTRAINT,
                                           "UNIQUE constraint failed: %s.%s", tb->name,
                                           tb->ipk >= 0 ? tb->cols[tb->ipk].name : "rowid"));
        }
    }
    if (rc == SEALDB_OK) {
        rc = check_constraints(t, tb, vals, rowid, has_old, old_rowid, err);
    }
    if (rc == SEALDB_OK) {
        img.rowid = rowid;
        img.rec_off = end;
        rc = row_encode(t, tb, vals, &img, &end, err);
    }
    if (rc == SEALDB_OK) {
        rc = apply(t, tb, has_old ? &old : NULL, &img, given, err);
        if (rc == SEALDB_OK) {
            rc = note_change(t, tb, has_old ? &old : NULL, &img, vals, end, err);
        }
        if (rc != SEALDB_OK && rc != SEALDB_ECONSTRAINT) {
            t->failed = rc;
        } else if (rc == SEALDB_OK) {
            __atomic_fetch_add(&t->db->rows_written, 1, __ATOMIC_RELAXED);
            if (rowid_out) {
                *rowid_out = rowid;
            }
        }
    }
    return rc;
}

int sealdb_insert(sealdb_txn *t, sealdb_table *tbl, const sealdb_value *cols, uint32_t n,
                  int64_t *rowid, sealdb_error *err)
{
    return write_row(t, tbl, 0, 0, cols, n, rowid, err);
}

int sealdb_update(sealdb_txn *t, sealdb_table *tbl, int64_t rowid, const sealdb_value *cols,
                  uint32_t n, sealdb_error *err)
{
    return write_row(t, tbl, 1, rowid, cols, n, NULL, err);
}

int sealdb_delete(sealdb_txn *t, sealdb_table *tbl, int64_t rowid, sealdb_error *err)
{
    catalog_table *tb = NULL;
    int rc = table_of(t, tbl, &tb, err);
    if (rc == SEALDB_OK) {
        rc = check_writable(t, tb, err);
    }
    if (rc == SEALDB_OK) {
        rc = need_vals(t, tb->ncol, err);
    }
    if (rc != SEALDB_OK) {
        return rc;
    }
    uint32_t *offs = NULL;
    if ((rc = change_scratch(t, tb->nindex, 0, &offs, NULL, err)) != SEALDB_OK) {
        return rc;
    }
    row_image old = {.ent_off = offs, .ent_len = offs + tb->nindex};
    uint32_t end = 0;
    rc = old_image(t, tb, rowid, t->vals, &old, &end, err);
    if (rc == SEALDB_OK) {
        rc = apply(t, tb, &old, NULL, 0, err);
        if (rc == SEALDB_OK) {
            rc = note_change(t, tb, &old, NULL, NULL, end, err);
        }
        if (rc != SEALDB_OK) {
            t->failed = rc;
        } else {
            __atomic_fetch_add(&t->db->rows_written, 1, __ATOMIC_RELAXED);
        }
    }
    return rc;
}

/* ---- group commit ------------------------------------------------------------------ */

static int64_t key_rowid(const uint8_t *k)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++) {
        u = u << 8 | k[i];
    }
    return (int64_t)(u ^ 0x8000000000000000ull);
}

/* Applies one buffered row change of a concurrent transaction to the latest
 * state in the group's batch: the row's old image (if it is there) goes,
 * the new one comes, with every index entry, after NOT NULL and UNIQUE are
 * checked against that state. */
static int replay(sealdb_txn *g, const mvcc_write *w, sealdb_error *err)
{
    const catalog *cat = g->cat->cat;
    catalog_table *tb = NULL;
    for (uint32_t i = 0; i < cat->ntables && !tb; i++) {
        if (cat->tables[i].root == w->space && !cat->tables[i].without_rowid) {
            tb = &cat->tables[i];
        }
    }
    if (!tb || w->key_len != 8) {
        /* the schema guard keeps the schema a transaction wrote under */
        return error_set(err, SEALDB_ECORRUPT, "no table has root page %u", w->space);
    }
    int rc = need_vals(g, 2 * tb->ncol, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    const uint32_t nx = tb->nindex;
    uint32_t *offs = NULL;
    if ((rc = change_scratch(g, nx, 0, &offs, NULL, err)) != SEALDB_OK) {
        return rc;
    }
    const int64_t rowid = key_rowid(w->key);
    record_value *vals = g->vals, *ovals = g->vals + tb->ncol;
    row_image old = {.ent_off = offs, .ent_len = offs + nx};
    row_image img = {.ent_off = offs + 2 * nx, .ent_len = offs + 3 * nx};
    uint32_t end = 0;
    rc = old_image(g, tb, rowid, ovals, &old, &end, err);
    const int has_old = rc == SEALDB_OK;
    if (rc == SEALDB_ENOTFOUND) {
        rc = SEALDB_OK;
    }
    if (rc == SEALDB_OK && w->value) {
        uint32_t have = 0;
        rc = record_decode(w->value, w->value_len, vals, tb->ncol, &have);
        for (uint32_t i = have; rc == SEALDB_OK && i < tb->ncol; i++) {
            vals[i] = tb->cols[i].dflt;
        }
        if (rc != SEALDB_OK) {
            rc = error_set(err, rc, "%s: a buffered row is malformed", tb->name);
        }
        if (rc == SEALDB_OK) {
            rc = check_constraints(g, tb, vals, rowid, has_old, rowid, err);
        }
        if (rc == SEALDB_OK) {
            img.rowid = rowid;
            img.rec_off = end;
            rc = row_encode(g, tb, vals, &img, &end, err);
        }
    }
    if (rc == SEALDB_OK && (has_old || w->value)) {
        rc = apply(g, tb, has_old ? &old : NULL, w->value ? &img : NULL, 0, err);
        if (rc == SEALDB_OK) {
            __atomic_fetch_add(&g->db->rows_written, 1, __ATOMIC_RELAXED);
        }
    }
    return rc;
}

/* The manager's storage hook: applies a group of accepted transactions in
 * order, then commits them as one batch (one WAL append, one sync). An
 * exclusive transaction is always alone in its group and has written its
 * pages already: its batch is committed as it is. */
static int group_apply(void *ctx, mvcc_txn *const *txns, int n, uint64_t first_seq)
{
    (void)first_seq;
    sealdb_db *db = ctx;
    sealdb_txn *first = mvcc_user(txns[0]);
    if (first->kind == SEALDB_TXN_WRITE) {
        if (n != 1) {
            /* the manager lets nothing commit beside an exclusive writer; the
             * batch stays for sealdb_commit to roll back */
            return error_set(&first->cerr, SEALDB_EINVAL, "an exclusive commit in a group");
        }
        first->applied = 1;
        return pager_commit(first->batch, &first->cerr);
    }
    sealdb_txn *g = db->group;
    sealdb_error err = {0};
    g->failed = 0;
    int rc = pager_begin(db->pg, &g->batch, &err);
    if (rc == SEALDB_OK) {
        src_init(g);
        rc = attach_catalog(g, &err);
    }
    for (int i = 0; i < n && rc == SEALDB_OK; i++) {
        const mvcc_write *w;
        const size_t nw = mvcc_writes(txns[i], &w);
        for (size_t k = 0; k < nw && rc == SEALDB_OK; k++) {
            rc = replay(g, &w[k], &err);
        }
    }
    if (g->batch) {
        if (rc == SEALDB_OK) {
            rc = pager_commit(g->batch, &err);
        } else {
            pager_rollback(g->batch);
        }
        g->batch = NULL;
    }
    catref_release(db, g->cat);
    g->cat = NULL;
    if (rc != SEALDB_OK) {
        for (int i = 0; i < n; i++) {
            sealdb_txn *t = mvcc_user(txns[i]);
            error_set(&t->cerr, rc, "the group commit failed: %s", err.message);
        }
    }
    /* the rows of the group were in the clear in these buffers */
    if (g->buf) {
        crypto_wipe(g->buf, g->cap);
    }
    if (g->obuf) {
        crypto_wipe(g->obuf, g->ocap);
    }
    return rc;
}
