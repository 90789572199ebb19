/*
 * pager_int.h - what pager.c, cache.c and wal.c share inside pager/. Other
 * folders include only pager.h.
 *
 * Locks, nested only in this order (the cache's evictor, holding cache.mu,
 * only try-locks stripes):
 *
 *   ckpt_mu     one checkpoint at a time; a commit that wants to start the
 *               WAL over only try-locks it
 *   wal_rw      read: a WAL frame is being read from the file; write: the
 *               WAL starts over or is truncated (frames get new meanings)
 *   stripe.mu   the page versions and cached data of one stripe of pages
 *   cache.mu    the slot pool (free slots, slot owners, the CLOCK hand,
 *               limbo)
 *   pager.mu    the published state, the snapshot list, the writer flag;
 *               an eviction reading other snapshots' hazards takes it
 *               inside cache.mu
 *   unseal_mu   AES-GCM only: one unseal at a time (held alone)
 *
 * The writer flag (pager.writer) is a lock too, held across a whole batch
 * or checkpoint; it is waited for on pager.cond without other locks held.
 * A snapshot's table of pinned pages takes no lock: its owner and a miss
 * taking its pins back (under pager.mu, with no stripe or pool mutex held)
 * meet through two atomic words (below). A first read through the hint
 * takes no lock either: it meets evictions in the slot's lend word and in
 * its snapshot's hazard handles (below).
 */
#ifndef SEALDB_PAGER_INT_H
#define SEALDB_PAGER_INT_H

#include <pthread.h>

#include "pager.h"

#define WAL_HEADER_BYTES 32
#define FRAME_HEADER_BYTES 24
#define WAL_MAGIC 0x377f0682u /* | 1: checksums over big-endian words */
#define WAL_VERSION 3007000u
#define PAGER_STRIPES 64 /* a power of two */
#define PAGER_MIN_CACHE 16
#define PENDING_BYTE 0x40000000u /* SQLite's lock byte: its page is never used */
#define TAG_DIRTY UINT64_MAX

static inline uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A version tag: the WAL generation (it changes whenever the WAL starts
 * over) and the frame, so that tags only grow. 0 is the database file. */
static inline uint64_t version_tag(uint32_t gen, uint32_t frame)
{
    return (uint64_t)gen << 32 | frame;
}

/* One version of one page: a WAL frame, the database file's copy, or a
 * page of a write batch. */
struct pager_page {
    pager_page *older; /* next older WAL version of the same page */
    uint64_t tag;      /* version_tag, 0 for the database file, TAG_DIRTY in a batch */
    uint32_t pgno;
    int32_t slot;   /* cache slot holding the plaintext, -1: none */
    uint8_t *data;  /* the plaintext (slot memory or a batch buffer); NULL: not cached */
    uint64_t *lent; /* the slot's lend word (NULL: not cached), see slot_meta */
    int loading;    /* readers reading it in (stripe locked): the node must stay */
};

/* Everything known of one page number: the WAL index and the cache in one. */
typedef struct page_rec {
    struct page_rec *next; /* hash chain */
    uint32_t pgno;
    pager_page *frames; /* WAL versions of the current generation, newest first */
    pager_page *db;     /* the database file's version (NULL: not made yet) */
} page_rec;

typedef struct stripe {
    _Alignas(64) pthread_mutex_t mu;
    page_rec **buckets;
    uint32_t mask; /* buckets - 1 */
    uint32_t count;
    uint64_t hits, misses, unsealed;
    /* nodes kept for reuse: a miss that evicts a page and reads another
     * would otherwise free and allocate two nodes each time */
    page_rec *spare_recs;
    pager_page *spare_pages;
    uint32_t nspare_recs, nspare_pages;
} stripe;

/* What a reader needs of one slot, in one cache line. The lend word holds
 * the times the slot is lent out (low 32 bits) and the slot's generation
 * (high 32 bits), which moves whenever the slot stops holding its version
 * (eviction, or the version freed). Eviction moves it only from a count of
 * 0, with one compare-and-swap, and a lock-free reader lends only with a
 * compare-and-swap that expects the generation it found in the hint: so a
 * lend and an eviction can never both succeed. (A reader that shows the
 * slot without a lend, through a hazard handle, meets eviction in limbo.)
 * `face` is what callers of the lending way hold for a cached page: its data
 * never changes (the slot's memory); its pgno and tag are the version's
 * while the generation lasts (written at attach, under the stripe's mutex,
 * release), and its lent points at lw. */
typedef struct slot_meta {
    pager_page face;
    uint64_t lw;
} __attribute__((aligned(64))) slot_meta;

#define LEND_ONE 1ull
#define LEND_GEN (1ull << 32)
static inline uint32_t lend_count(uint64_t w)
{
    return (uint32_t)w;
}

typedef struct page_cache {
    uint32_t page_size;
    uint32_t nslots;
    uint8_t *arena; /* nslots pages, private anonymous memory, not in core dumps */
    size_t arena_bytes;
    pager_page **owner; /* per slot: the version it holds (NULL: free or being filled) */
    slot_meta *meta;    /* per slot: lend word and the face callers hold */
    /* The hint: per pgno (direct-mapped, pgno & hmask), the slot holding the
     * page's newest version and the slot's generation then, as
     * generation << 32 | (slot + 1); 0: none. Written under the page's
     * stripe mutex, read without any lock (cache_hint_get). */
    uint64_t *hint;
    uint32_t hmask;
    uint8_t *ref; /* per slot: CLOCK reference bit (atomic) */
    uint32_t *free_slots;
    uint32_t nfree;
    /* Evicted slots a reader may still show through a hazard handle
     * (pager.c): they are free once a check finds no hazard on them. */
    uint32_t *limbo;
    uint32_t nlimbo;
    uint8_t *limbo_mark; /* per slot: LIMBO_OUT, LIMBO_IN, LIMBO_SHOWN (pool mutex) */
    uint32_t fresh;      /* slots from here on were never used */
    uint32_t hand;
    uint32_t used;
    uint64_t evictions;
    pthread_mutex_t mu;
    stripe stripes[PAGER_STRIPES];
} page_cache;

/* ---- cache.c ---- */
int cache_init(page_cache *c, uint32_t page_size, uint32_t nslots);
void cache_destroy(page_cache *c);
static inline stripe *cache_stripe(page_cache *c, uint32_t pgno)
{
    return &c->stripes[pgno & (PAGER_STRIPES - 1)];
}
/* The hit path's lookups, inline (stripe locked). */
static inline uint32_t cache_bucket_of(const stripe *s, uint32_t pgno)
{
    return (pgno / PAGER_STRIPES) & s->mask;
}
static inline page_rec *cache_rec(const stripe *s, uint32_t pgno)
{
    for (page_rec *r = s->buckets[cache_bucket_of(s, pgno)]; r; r = r->next) {
        if (r->pgno == pgno) {
            return r;
        }
    }
    return NULL;
}
/* The version a snapshot with this tag sees: the newest WAL version not
 * above it, else the database file's (NULL: none made yet). */
static inline pager_page *cache_resolve(const page_rec *r, uint64_t tag)
{
    for (pager_page *v = r->frames; v; v = v->older) {
        if (v->tag <= tag) {
            return v;
        }
    }
    return r->db;
}
int cache_rec_add(stripe *s, page_rec *spare, page_rec **out, uint32_t pgno); /* locked */
/* The same for a page known to have no record (no second lookup). */
int cache_rec_new(stripe *s, page_rec *spare, page_rec **out, uint32_t pgno); /* locked */
pager_page *cache_page_new(stripe *s, uint32_t pgno); /* locked; zeroed, no slot */
enum { LIMBO_OUT = 0, LIMBO_IN = 1, LIMBO_SHOWN = 2 };
/* Called by cache_slot_alloc (pool locked) after it evicted slots to limbo:
 * calls cache_hazard for every hazard a reader may hold. */
typedef void (*cache_hazards_fn)(void *arg, page_cache *c);
int32_t cache_slot_alloc(page_cache *c, cache_hazards_fn hazards, void *arg); /* -1: all pinned */
void cache_hazard(page_cache *c, uint64_t hazard); /* pool locked; a hint value */
void cache_hazard_all(page_cache *c);              /* pool locked: every slot in limbo shown */
void cache_slot_free(page_cache *c, int32_t slot);
void cache_attach(page_cache *c, pager_page *v, int32_t slot); /* stripe locked */
void cache_detach(page_cache *c, pager_page *v);               /* stripe locked */
void cache_version_free(page_cache *c, pager_page *v);         /* stripe locked */
void cache_prune(page_cache *c, uint32_t pgno, uint64_t keep); /* takes the stripe */
void cache_restart(page_cache *c);                             /* takes every stripe */
static inline uint8_t *cache_slot_data(page_cache *c, int32_t slot)
{
    return c->arena + (size_t)slot * c->page_size;
}
/* A hit sets the slot's CLOCK bit (a store only when it was clear, so that
 * hits on a hot slot do not keep writing its line). */
static inline void cache_touch(page_cache *c, int32_t slot)
{
    uint8_t *ref = &c->ref[slot];
    if (!__atomic_load_n(ref, __ATOMIC_RELAXED)) {
        __atomic_store_n(ref, 1, __ATOMIC_RELAXED);
    }
}
/* Lends a cached version (stripe locked: its generation cannot move) and
 * returns the face callers hold; pager_put gives it back. */
static inline pager_page *cache_lend(page_cache *c, pager_page *v)
{
    __atomic_fetch_add(v->lent, LEND_ONE, __ATOMIC_RELAXED);
    return &c->meta[v->slot].face;
}
/* After a locked lookup found cached version v of record r: a later reader
 * may find it without the lock, if it is the page's newest (stripe locked). */
static inline void cache_hint_set(page_cache *c, const page_rec *r, const pager_page *v)
{
    if (v == (r->frames ? r->frames : r->db)) {
        const uint64_t gen = __atomic_load_n(v->lent, __ATOMIC_RELAXED) >> 32;
        __atomic_store_n(&c->hint[v->pgno & c->hmask], gen << 32 | (uint32_t)(v->slot + 1),
                         __ATOMIC_RELEASE);
    }
}
/* A commit made a newer version of pgno (stripe locked, before it is
 * published): no reader may find the older one through the hint. */
static inline void cache_hint_clear(page_cache *c, uint32_t pgno)
{
    __atomic_store_n(&c->hint[pgno & c->hmask], 0, __ATOMIC_RELEASE);
}
/* The lock-free hit: the newest version of pgno, if it is cached, visible
 * at tag (no version above it) and lent here; NULL: take the stripe's way. */
static inline pager_page *cache_hint_get(page_cache *c, uint32_t pgno, uint64_t tag)
{
    const uint64_t h = __atomic_load_n(&c->hint[pgno & c->hmask], __ATOMIC_ACQUIRE);
    if (!h) {
        return NULL;
    }
    slot_meta *m = &c->meta[(uint32_t)h - 1];
    if (__atomic_load_n(&m->face.pgno, __ATOMIC_ACQUIRE) != pgno ||
        __atomic_load_n(&m->face.tag, __ATOMIC_ACQUIRE) > tag) {
        return NULL; /* another page's slot now, or a version too new for tag */
    }
    uint64_t w = __atomic_load_n(&m->lw, __ATOMIC_RELAXED);
    while (w >> 32 == h >> 32) {
        if (__atomic_compare_exchange_n(&m->lw, &w, w + LEND_ONE, 1, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
            return &m->face;
        }
    }
    return NULL; /* evicted or freed since the hint was written */
}

/* ---- wal.c ---- */
typedef struct wal_frame_info {
    uint32_t pgno;
    uint32_t commit; /* page count after the commit this frame ends; 0: not a commit frame */
} wal_frame_info;

typedef struct wal {
    pager_file *file;
    uint32_t page_size;
    int big_endian; /* checksum word order of hdr */
    uint8_t hdr[WAL_HEADER_BYTES];
    int hdr_valid;          /* hdr holds a header (from the file or made) */
    int hdr_on_disk;        /* hdr is the file's header: frames may be appended after mx */
    uint32_t chk[2];        /* the checksum chain after the last committed frame */
    wal_frame_info *frames; /* frames[i - 1] describes frame i */
    uint32_t cap;
    uint8_t *buf; /* the writer's frame buffer */
    size_t buf_cap;
} wal;

/* ---- a snapshot's own table of pinned pages (pager.c) ----
 * A snapshot's view never changes, so the version it resolved a page to once
 * is the one it resolves it to for ever. Its table keeps those versions,
 * each lent once on the table's behalf, and a hit there takes no lock and no
 * atomic read-modify-write: the page cannot go, since it is lent, and cannot
 * be the wrong version, since only this snapshot's resolutions are in it.
 * What it hands out are handles of its own (pager_page.slot == PAGE_HANDLE).
 *
 * The pins must not starve the cache: when a miss finds every slot lent out,
 * it takes back the tables' pins (fast_reclaim). A table is only ever read
 * or changed by its snapshot's thread between fast_enter and fast_leave
 * (st == FAST_IN); the reclaimer asks (revoke = FAST_ASKED), waits for a
 * barrier on every thread of the process (membarrier, or a fence the reader
 * pays itself where there is none), and takes a table only if its owner is
 * out and the reclaimer wins the race to set FAST_TAKING. Handles lent out at
 * that moment keep their pages: the reclaimer turns the table's lend into
 * theirs, and the owner, seeing FAST_TAKEN, empties the table.
 */
#define PAGE_HANDLE (-2)            /* pager_page.slot of a snapshot's handle */
#define FAST_HANDLES 32             /* handles out at once per snapshot; more take the slow path */
#define FAST_OWN UINT32_MAX         /* fast_handle.ent: the handle holds lends of its own */
enum { FAST_OUT = 0, FAST_IN = 1 }; /* fast_table.st */
enum { FAST_KEEP = 0, FAST_ASKED = 1, FAST_TAKING = 2, FAST_TAKEN = 3 }; /* .revoke */

/* 16 bytes: a hit reads one cache line of the table */
typedef struct fast_entry {
    uint32_t pgno; /* 0: empty */
    uint8_t *data; /* the version's plaintext (stable: the version is lent) */
} fast_entry;

typedef struct fast_handle {
    pager_page pg; /* what callers hold: pg.slot == PAGE_HANDLE, pg.data, pg.pgno */
    pager_snapshot *snap;
    pager_page *v; /* the version shown, when FAST_OWN */
    uint32_t ent;  /* its table entry, or FAST_OWN */
    uint32_t uses; /* times lent out and not put back (1 on an entry) */
    uint32_t next_free;
} fast_handle;

typedef struct fast_table {
    int st;        /* FAST_OUT / FAST_IN (atomic; the owner writes) */
    int revoke;    /* FAST_KEEP ... FAST_TAKEN (atomic) */
    uint32_t pins; /* entries, published for the reclaimer (atomic; the owner writes) */
    int asked;     /* the reclaimer's mark (pager.mu) */
    uint64_t hits; /* hits here (atomic; the owner writes) */
    fast_entry *ent;
    pager_page **ver;        /* per entry: the version, lent once for the table */
    uint32_t mask, n, limit; /* slots - 1, entries, most entries allowed */
    uint32_t nout;           /* handles on entries lent out (entries stay put) */
    uint32_t nown;           /* handles with lends of their own lent out */
    uint32_t free_head;      /* 1 + index of a free handle, 0: none */
    fast_handle h[FAST_HANDLES];
} fast_table;

/* ---- a snapshot's hazard handles (pager.c) ----
 * A snapshot's first read of a page's newest cached version lends nothing:
 * its handle publishes the slot as a hazard (a plain store), checks that the
 * slot's generation did not move, and is put back with one more store. An
 * eviction moves the generation first and frees the slot only after a check
 * that no handle shows it: the two sides of a Dekker pair, made safe by a
 * barrier on every thread (membarrier) that the evicting side pays once per
 * batch of evictions, and only when another snapshot may hold hazards.
 */
#define PAGE_HINT (-3) /* pager_page.slot of a snapshot's hazard handle */
#define HINT_HANDLES 8

typedef struct hint_handle {
    pager_page pg; /* what callers hold: pg.slot == PAGE_HINT, pg.data, pg.pgno */
    pager_snapshot *snap;
    uint64_t hazard; /* the hint value (generation << 32 | slot + 1) shown, 0: none (atomic) */
    uint32_t uses;   /* times lent out and not put back */
} hint_handle;

/* ---- the pager (pager.c) ---- */
struct pager_snapshot {
    pager *p;
    pager_snapshot *prev, *next; /* the live list */
    uint32_t gen, frame, page_count;
    uint64_t tag;       /* version_tag(gen, frame) */
    pager_batch *batch; /* the batch it belongs to, or NULL */
    int fast_ok;        /* may keep a table (not a batch's; the tables' budget not 0) */
    uint32_t slow_gets; /* reads through the page table before it had a table */
    uint64_t hint_hits; /* hits through the page table's hint (atomic; the owner writes) */
    fast_table *ft;     /* made once it read FAST_AFTER pages */
    int hint_user;      /* counted in pager.hint_snaps: may hold hazards */
    int hint_never;     /* a batch's: reads the lending way (it copies and puts back at once) */
    uint32_t hint_free; /* bit i: hint handle i is free */
    hint_handle hh[HINT_HANDLES];
};

struct pager {
    const pager_io *io;
    seal_ctx *seal;
    char *path, *wal_path;
    pager_file *db;
    wal w;
    uint32_t page_size, usable;
    pager_durability durability;
    int32_t autocheckpoint, busy_timeout_ms;
    int keep_wal, secure_delete;
    int caller_checkpoints; /* pager_commit leaves the automatic checkpoint to the caller */
    int wal_header;         /* page 1 says WAL mode (bytes 18, 19 = 2); writer's */
    page_cache cache;
    pthread_mutex_t ckpt_mu;
    /* the automatic checkpoint's tries at starting the WAL over (ckpt_mu):
     * how many failed in a row, and the generation and frame of the last */
    uint32_t restart_fails, restart_gen, restart_frame;
    pthread_rwlock_t wal_rw;
    /* One sync of the WAL at a time; after one failed (wal_failed, for
     * good: the kernel may have dropped what it could not write and would
     * not say so again) no commit is written and no sync succeeds. */
    pthread_mutex_t sync_mu;
    int wal_failed;
    pthread_mutex_t unseal_mu; /* AES-GCM contexts are not reentrant: one unseal at a time */
    int unseal_serial;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    /* published state (mu) */
    uint32_t gen;        /* WAL generation */
    uint32_t mx_frame;   /* last committed frame */
    uint32_t backfilled; /* frames 1..backfilled are in the database file */
    uint32_t page_count; /* after the last commit */
    pager_snapshot *snaps;
    int writer;           /* a batch or a checkpoint holds the write lock */
    int fast_fence;       /* no membarrier: readers of snapshot tables fence themselves */
    uint32_t fast_budget; /* pins all snapshot tables together may hold (atomic, written
                             under mu): halved at each reclaim, doubled back after calm */
    uint32_t fast_budget_max, fast_calm; /* (mu) */
    uint32_t fast_pins;                  /* pins they hold (atomic) */
    int fast_hold;       /* misses short of slots: tables take no new pins (atomic) */
    uint32_t hint_snaps; /* live snapshots that may hold hazard handles (atomic) */
    /* counters (atomic, relaxed) */
    uint64_t n_fast_hits; /* lock-free hits (tables and hints) of ended snapshots */
    uint64_t n_reclaimed; /* snapshot tables taken back */
    uint64_t n_sealed, n_unsealed, n_commits, n_frames, n_wal_syncs, n_db_syncs, n_checkpoints,
        n_backfilled, n_restarts;
};

static inline void stat_add(uint64_t *counter, uint64_t n)
{
    __atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

/* I/O failures as messages: "writing WAL frames 3..9: No space left on device". */
int pager_io_error(sealdb_error *err, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int wal_open(pager *p, sealdb_error *err);
void wal_close(pager *p);
int wal_recover(pager *p, sealdb_error *err);
int wal_reserve(wal *w, uint32_t frames);
int wal_read_body(pager *p, uint32_t frame, uint8_t *buf);
void wal_new_header(pager *p); /* the next generation's header, in memory */
/* Writes the frames; chain: the checksum chain after them, which becomes
 * w.chk only once the commit stands (a failed sync leaves w.chk as it was) */
int wal_append(pager *p, pager_page **pages, uint32_t n, uint32_t page_count, uint32_t first,
               uint32_t chain[2], sealdb_error *err);
int wal_sync(pager *p, sealdb_error *err);
/* The error of any write to a WAL whose sync once failed (wal_failed). */
int wal_failed_error(pager *p, sealdb_error *err);
/* After a failed sync, the pager closing (no snapshot, no writer): cuts the
 * WAL after the last commit that stands, reads the committed log back,
 * checks it against its checksum chain (a kernel may have lost what it
 * could not write and serve older bytes), writes it again whole and syncs
 * it; only then is wal_failed cleared. */
int wal_repair(pager *p, sealdb_error *err);
int wal_backfill(pager *p, uint32_t gen, uint32_t from, uint32_t limit, uint32_t page_count,
                 int all, sealdb_error *err);
int wal_truncate(pager *p, sealdb_error *err);
/* Syncs the WAL file after wal_truncate emptied it (not at durability OFF;
 * counted with the WAL syncs). */
int wal_sync_empty(pager *p, sealdb_error *err);

/* Opens a stored page image in place (nothing for a plain database). */
int pager_unseal(pager *p, uint8_t *page, uint32_t pgno);

#endif /* SEALDB_PAGER_INT_H */
