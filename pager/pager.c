/*
 * pager.c - the native pager: opening and locking, snapshots, page reads
 * through the cache, write batches, commits, checkpoints and the freelist.
 *
 * State: the published state under pager.mu is (generation, last committed
 * frame, frames already in the database file, page count). A snapshot
 * copies it when it begins and reads every page as version_tag(generation,
 * frame) says: the newest WAL version not above it, else the database
 * file's copy (cache.c). The WAL file and its index are wal.c's.
 *
 * Invariants:
 * - The database file is locked EXCLUSIVE (SQLite's protocol) from open to
 *   close: no SQLite connection reads or writes it meanwhile.
 * - One write batch (or FULL-and-stronger checkpoint) at a time holds the
 *   writer flag. A batch's pages are private copies until its commit has
 *   been written (and synced, per durability); only then do new versions
 *   enter the page table and the published frame move, so a snapshot sees
 *   a commit entirely or not at all.
 * - A checkpoint copies a page's frame into the database file only when
 *   every live snapshot resolves that page to this frame or a newer one
 *   (frames up to the oldest live snapshot), so no snapshot ever reads a
 *   database page that changed under it.
 * - The log starts over (a new generation) only when every frame is in the
 *   database file, which implies every live snapshot is at the last frame:
 *   their view is then exactly the database file, which is where they read
 *   from afterwards. In-flight reads of old frames finish first (wal_rw).
 * - Page 1, whenever it is written, carries the page count, the change
 *   counter (and version-valid-for) one higher, the library version and
 *   WAL mode (bytes 18, 19); every change of the page count or the
 *   freelist, and the first commit to a file in rollback mode, writes it.
 */
#include <assert.h>
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pager_int.h"

#define DEFAULT_PAGE_SIZE 4096
#define DEFAULT_CACHE_PAGES 2000
#define DEFAULT_AUTOCHECKPOINT 1000
#define DEFAULT_BUSY_MS 5000
#define FAST_AFTER 64 /* a snapshot makes its table after this many reads without one */
#define FAST_FIRST_SLOTS 64
#define FAST_RECLAIM_TRIES 1000 /* rounds of taking tables back before a miss gives up */
#define FAST_CALM 64 /* snapshots begun without a reclaim before the tables' budget grows */

struct pager_batch {
    pager *p;
    pager_snapshot snap;
    pager_page **tab; /* dirty pages, open addressing on pgno */
    uint32_t cap, count;
    uint32_t page_count; /* the batch's page count */
    uint32_t slots;      /* dirty pages held in cache slots */
};

/* A dirty page is written in a cache slot of its own where the budget
 * allows (else in a buffer of the heap): the commit then makes that slot
 * the new version's instead of copying the page into another, and a bulk
 * load touches no fresh heap memory per page. A batch holds at most a
 * quarter of the cache's slots, and none in a cache of fewer than 256
 * pages, so that readers, whose lent pages a cache must hold, keep the
 * rest. */
#define BATCH_SLOTS_MIN_CACHE 256
#define BATCH_SLOTS_SHARE 4

/* ---- messages ------------------------------------------------------------------- */

static const char *errno_text(int e)
{
    switch (e) {
    case ENOSPC: return "no space left on the device";
    case EIO: return "input/output error";
    case ENOENT: return "no such file";
    case EACCES:
    case EPERM: return "permission denied";
    case EROFS: return "read-only file system";
    case EDQUOT: return "disk quota exceeded";
    case ENOMEM: return "out of memory";
    default: return NULL;
    }
}

int pager_io_error(sealdb_error *err, int rc, const char *fmt, ...)
{
    char what[SEALDB_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (rc == SEALDB_ENOMEM) {
        return error_set(err, rc, "%s: out of memory", what);
    }
    if (rc == SEALDB_EBUSY) {
        return error_set(err, rc, "%s: the file is locked by another connection", what);
    }
    const int e = pager_io_errno();
    const char *text = errno_text(e);
    if (text) {
        return error_set(err, rc, "%s: %s", what, text);
    }
    return error_set(err, rc, "%s: I/O error (errno %d)", what, e);
}

static char *concat(const char *a, const char *b)
{
    const size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 1);
    if (s) {
        memcpy(s, a, la);
        memcpy(s + la, b, lb + 1);
    }
    return s;
}

/* ---- unsealing --------------------------------------------------------------------- */

int pager_unseal(pager *p, uint8_t *page, uint32_t pgno)
{
    if (!p->seal) {
        return SEALDB_OK;
    }
    if (p->unseal_serial) {
        pthread_mutex_lock(&p->unseal_mu);
    }
    const int rc = unseal_page(p->seal, page, p->page_size, pgno);
    if (p->unseal_serial) {
        pthread_mutex_unlock(&p->unseal_mu);
    }
    return rc;
}

static int unseal_error(pager *p, sealdb_error *err, uint32_t pgno, uint32_t frame)
{
    if (frame) {
        return error_set(err, SEALDB_ECORRUPT,
                         "page %u in WAL frame %u of %s failed authentication: the WAL is "
                         "damaged or was tampered with",
                         pgno, frame, p->wal_path);
    }
    return error_set(err, SEALDB_ECORRUPT,
                     "page %u of %s failed authentication: the file is damaged or was "
                     "tampered with",
                     pgno, p->path);
}

/* ---- creating a database ------------------------------------------------------------- */

/* Page 1 of an empty database in WAL mode: SQLite's header and an empty
 * table leaf (the schema table), exactly what SQLite accepts as a new file. */
static void empty_page1(uint8_t *pg, uint32_t page_size, uint32_t reserved)
{
    memset(pg, 0, page_size);
    memcpy(pg, "SQLite format 3", 16);
    pg[16] = page_size == 65536 ? 0 : (uint8_t)(page_size >> 8);
    pg[17] = page_size == 65536 ? 1 : (uint8_t)page_size;
    pg[18] = pg[19] = 2; /* WAL */
    pg[20] = (uint8_t)reserved;
    pg[21] = 64;
    pg[22] = 32;
    pg[23] = 32;
    put_be32(pg + 24, 1); /* change counter */
    put_be32(pg + 28, 1); /* page count */
    put_be32(pg + 44, 4); /* schema format */
    put_be32(pg + 56, 1); /* UTF-8 */
    put_be32(pg + 92, 1); /* version-valid-for = change counter */
    put_be32(pg + 96, SQLITE_VERSION_NUMBER);
    const uint32_t usable = page_size - reserved;
    pg[100] = 0x0d; /* table leaf, no cells */
    pg[105] = (uint8_t)(usable >> 8 & 0xff);
    pg[106] = (uint8_t)(usable & 0xff); /* 65536 is stored as 0 */
}

static int create_db(pager *p, sealdb_error *err)
{
    const uint32_t reserved = p->seal ? seal_ctx_reserved(p->seal) : 0;
    uint8_t *pg = malloc(p->page_size);
    if (!pg) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    empty_page1(pg, p->page_size, reserved);
    int rc = SEALDB_OK;
    if (p->seal && seal_page(p->seal, pg, pg, p->page_size, 1) != SEALDB_OK) {
        rc = error_set(err, SEALDB_ECRYPTO, "sealing page 1 failed");
    }
    if (rc == SEALDB_OK && (rc = p->db->io->write(p->db, pg, p->page_size, 0)) != SEALDB_OK) {
        rc = pager_io_error(err, rc, "writing page 1 of %s", p->path);
    }
    if (rc == SEALDB_OK && p->durability != PAGER_SYNC_OFF) {
        if ((rc = p->db->io->sync(p->db, 1)) != SEALDB_OK) {
            rc = pager_io_error(err, rc, "syncing %s", p->path);
        } else {
            stat_add(&p->n_db_syncs, 1);
        }
    }
    if (rc == SEALDB_OK && p->seal) {
        stat_add(&p->n_sealed, 1);
    }
    free(pg);
    p->page_count = 1;
    return rc;
}

/* ---- opening ------------------------------------------------------------------------- */

static int valid_page_size(uint32_t n)
{
    return n >= 512 && n <= 65536 && (n & (n - 1)) == 0;
}

/* A rollback journal SQLite left behind must be rolled back by SQLite. */
static int check_hot_journal(pager *p, sealdb_error *err)
{
    char *jpath = concat(p->path, "-journal");
    if (!jpath) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    int exists = 0, rc = p->io->exists(p->io, jpath, &exists);
    pager_file *j = NULL;
    if (rc == SEALDB_OK && exists && p->io->open(p->io, jpath, PAGER_FILE_JOURNAL, 0, &j) == 0) {
        static const uint8_t magic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};
        uint8_t head[8] = {0};
        uint64_t size = 0;
        if (j->io->size(j, &size) == SEALDB_OK && size >= 8 &&
            j->io->read(j, head, 8, 0) == SEALDB_OK && memcmp(head, magic, 8) == 0) {
            rc = error_set(err, SEALDB_EFORMAT,
                           "%s has a rollback journal from an interrupted SQLite transaction; "
                           "open the database once through SQLite to roll it back",
                           p->path);
        }
        j->io->close(j);
    }
    free(jpath);
    return rc;
}

/* Reads and checks the header of an existing database file. */
static int read_header(pager *p, const pager_config *cfg, sealdb_error *err)
{
    uint8_t hdr[100];
    int rc = p->db->io->read(p->db, hdr, sizeof hdr, 0);
    if (rc != SEALDB_OK) {
        return pager_io_error(err, rc, "reading the header of %s", p->path);
    }
    seal_file_info info;
    if ((rc = seal_header_read(hdr, &info, err)) != SEALDB_OK) {
        return rc;
    }
    if (info.sealed && !p->seal) {
        return error_set(err, SEALDB_EMISMATCH, "%s is sealed (%s): it needs its key", p->path,
                         sealdb_cipher_name(info.cipher));
    }
    if (!info.sealed && p->seal) {
        return error_set(err, SEALDB_ENOTSEALED, "%s is a plain SQLite database, not a sealed one",
                         p->path);
    }
    if (info.sealed) {
        uint8_t salt[SEAL_SALT_BYTES];
        seal_ctx_salt(p->seal, salt);
        if (info.cipher != seal_ctx_cipher(p->seal) || info.layout != seal_ctx_layout(p->seal) ||
            (info.layout == SEALDB_LAYOUT_HARDENED && memcmp(salt, info.salt, sizeof salt) != 0)) {
            return error_set(err, SEALDB_EMISMATCH,
                             "the keys given belong to another database than %s (cipher, layout "
                             "or salt differ)",
                             p->path);
        }
    }
    if (!valid_page_size(info.page_size)) {
        return error_set(err, SEALDB_EFORMAT, "bad page size %u in the header of %s",
                         info.page_size, p->path);
    }
    if (cfg->page_size && cfg->page_size != info.page_size) {
        return error_set(err, SEALDB_EINVAL, "%s has %u-byte pages, not %u", p->path,
                         info.page_size, cfg->page_size);
    }
    if (hdr[18] > 2 || hdr[19] > 2) {
        return error_set(err, SEALDB_EFORMAT,
                         "%s has file format versions %u/%u; only 1 and 2 are known", p->path,
                         hdr[18], hdr[19]);
    }
    p->page_size = info.page_size;
    p->usable = info.page_size - hdr[20];
    if (p->usable < 480) {
        return error_set(err, SEALDB_EFORMAT, "usable page size %u of %s is below 480", p->usable,
                         p->path);
    }
    uint64_t size = 0;
    if ((rc = p->db->io->size(p->db, &size)) != SEALDB_OK) {
        return pager_io_error(err, rc, "reading the size of %s", p->path);
    }
    const uint32_t in_header = get_be32(hdr + 28);
    p->page_count = in_header && memcmp(hdr + 24, hdr + 92, 4) == 0
                        ? in_header
                        : (uint32_t)(size / info.page_size);
    return SEALDB_OK;
}

static void pager_free_all(pager *p)
{
    wal_close(p);
    if (p->db) {
        p->db->io->unlock(p->db, PAGER_LOCK_NONE);
        p->db->io->close(p->db);
    }
    if (p->cache.owner || p->cache.arena) {
        cache_destroy(&p->cache);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->ckpt_mu);
    pthread_mutex_destroy(&p->sync_mu);
    pthread_mutex_destroy(&p->unseal_mu);
    pthread_rwlock_destroy(&p->wal_rw);
    free(p->path);
    free(p->wal_path);
    free(p);
}

static int check_page1(pager *p, sealdb_error *err)
{
    pager_snapshot *s = NULL;
    pager_page *pg = NULL;
    int rc = pager_snapshot_begin(p, &s, err);
    if (rc == SEALDB_OK) {
        rc = pager_get(s, 1, &pg, err);
        if (rc == SEALDB_ECORRUPT && p->seal && seal_ctx_layout(p->seal) == SEALDB_LAYOUT_TURSO) {
            rc = error_set(err, SEALDB_EWRONGKEY,
                           "page 1 of %s failed authentication: wrong key, or the page is "
                           "damaged (the turso layout cannot tell these apart)",
                           p->path);
        }
        if (rc == SEALDB_OK) {
            const uint8_t *d = pager_page_data(pg);
            const uint32_t ps = d[16] == 0 && d[17] == 1 ? 65536u : (uint32_t)d[16] << 8 | d[17];
            p->wal_header = d[18] == 2 && d[19] == 2;
            if (memcmp(d, "SQLite format 3", 16) != 0 || ps != p->page_size ||
                p->page_size - d[20] != p->usable) {
                rc = error_set(err, SEALDB_ECORRUPT,
                               "page 1 of %s does not match the database header (page size or "
                               "reserved bytes changed)",
                               p->path);
            }
            pager_put(pg);
        }
        pager_snapshot_end(s);
    }
    return rc;
}

int pager_open(pager **out, const char *path, const pager_config *cfg, sealdb_error *err)
{
    if (!out) {
        return error_set(err, SEALDB_EINVAL, "out must not be NULL");
    }
    *out = NULL;
    static const pager_config defaults = {0};
    if (!cfg) {
        cfg = &defaults;
    }
    if (!path) {
        return error_set(err, SEALDB_EINVAL, "path must not be NULL");
    }
    if (cfg->page_size && !valid_page_size(cfg->page_size)) {
        return error_set(err, SEALDB_EINVAL,
                         "page size %u: it must be a power of two from 512 to 65536",
                         cfg->page_size);
    }
    if (cfg->durability > PAGER_SYNC_OFF) {
        return error_set(err, SEALDB_EINVAL, "unknown durability mode %d", (int)cfg->durability);
    }
    pager *p = calloc(1, sizeof *p);
    if (!p) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    p->io = cfg->io ? cfg->io : pager_io_default();
    p->seal = cfg->seal;
    p->durability = cfg->durability;
    p->autocheckpoint = cfg->autocheckpoint == 0 ? DEFAULT_AUTOCHECKPOINT : cfg->autocheckpoint;
    p->caller_checkpoints = cfg->caller_checkpoints;
    p->busy_timeout_ms = cfg->busy_timeout_ms == 0 ? DEFAULT_BUSY_MS : cfg->busy_timeout_ms;
    p->keep_wal = cfg->keep_wal;
    p->secure_delete = cfg->secure_delete;
    p->gen = 1;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&p->ckpt_mu, NULL);
    pthread_mutex_init(&p->sync_mu, NULL);
    pthread_mutex_init(&p->unseal_mu, NULL);
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&p->wal_rw, &ra);
    pthread_rwlockattr_destroy(&ra);
    if (p->seal) {
        const sealdb_cipher_id c = seal_ctx_cipher(p->seal);
        p->unseal_serial = c == SEALDB_AES128GCM || c == SEALDB_AES256GCM;
    }
    /* snapshot tables: the reclaimer's barrier on every thread, so that
     * their readers need none (registering twice is harmless) */
    p->fast_fence = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) != 0;
    p->path = strdup(path);
    p->wal_path = concat(path, "-wal");
    if (!p->path || !p->wal_path) {
        pager_free_all(p);
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    int rc = p->io->open(p->io, path, PAGER_FILE_DB, cfg->create, &p->db);
    if (rc != SEALDB_OK) {
        rc = pager_io_error(err, rc, "cannot open %s", path);
        pager_free_all(p);
        return rc;
    }
    /* SQLite's way to the exclusive lock: SHARED, RESERVED, EXCLUSIVE. */
    rc = p->db->io->lock(p->db, PAGER_LOCK_SHARED);
    if (rc == SEALDB_OK) {
        rc = p->db->io->lock(p->db, PAGER_LOCK_RESERVED);
    }
    if (rc == SEALDB_OK) {
        rc = p->db->io->lock(p->db, PAGER_LOCK_EXCLUSIVE);
    }
    if (rc != SEALDB_OK) {
        if (rc == SEALDB_EBUSY) {
            error_set(err, rc,
                      "%s is in use by another connection (SQLite holds a lock on it); close it "
                      "first",
                      path);
        } else {
            pager_io_error(err, rc, "locking %s", path);
        }
        pager_free_all(p);
        return rc;
    }
    uint64_t size = 0;
    if ((rc = check_hot_journal(p, err)) != SEALDB_OK ||
        (rc = p->db->io->size(p->db, &size)) != SEALDB_OK) {
        if (rc == SEALDB_EIO) {
            pager_io_error(err, rc, "reading the size of %s", path);
        }
        pager_free_all(p);
        return rc;
    }
    const int creating = size == 0;
    if (creating && !cfg->create) {
        pager_free_all(p);
        return error_set(err, SEALDB_EFORMAT, "%s is empty: not a database", path);
    }
    if (creating) {
        p->page_size = cfg->page_size ? cfg->page_size : DEFAULT_PAGE_SIZE;
        const uint32_t reserved = p->seal ? seal_ctx_reserved(p->seal) : 0;
        p->usable = p->page_size - reserved;
        if (p->page_size <= reserved || p->usable < 480) {
            const uint32_t ps = p->page_size;
            pager_free_all(p);
            return error_set(err, SEALDB_EINVAL,
                             "usable page size %u is below SQLite's minimum of 480 (%u-byte "
                             "pages with %u reserved bytes)",
                             ps > reserved ? ps - reserved : 0, ps, reserved);
        }
    } else if ((rc = read_header(p, cfg, err)) != SEALDB_OK) {
        pager_free_all(p);
        return rc;
    }
    uint64_t budget = cfg->cache_pages;
    if (!budget && cfg->cache_bytes) {
        budget = cfg->cache_bytes / p->page_size;
    }
    if (!budget) {
        budget = DEFAULT_CACHE_PAGES;
    }
    if (budget < PAGER_MIN_CACHE) {
        budget = PAGER_MIN_CACHE;
    }
    if (budget > UINT32_MAX / 2) {
        budget = UINT32_MAX / 2;
    }
    if (cache_init(&p->cache, p->page_size, (uint32_t)budget) != SEALDB_OK) {
        pager_free_all(p);
        return error_set(err, SEALDB_ENOMEM, "no memory for a cache of %llu pages",
                         (unsigned long long)budget);
    }
    /* snapshot tables never pin the last slots: misses find room without
     * taking their pins back, but for lent pages */
    p->fast_budget_max = p->cache.nslots - PAGER_MIN_CACHE - p->cache.nslots / 64;
    p->fast_budget = p->fast_budget_max;
    /* A WAL beside an empty file belongs to no database (SQLite deletes it).
     * It is emptied, durably, before page 1 is written: once page 1 is on
     * disk the file is a database, and an old WAL that outlived a power cut
     * would be taken for its log. */
    if ((rc = wal_open(p, err)) != SEALDB_OK ||
        (creating && (rc = wal_truncate(p, err)) != SEALDB_OK) ||
        (creating && (rc = wal_sync_empty(p, err)) != SEALDB_OK) ||
        (creating && (rc = create_db(p, err)) != SEALDB_OK)) {
        pager_free_all(p);
        return rc;
    }
    if ((rc = wal_recover(p, err)) != SEALDB_OK || (rc = check_page1(p, err)) != SEALDB_OK) {
        pager_free_all(p);
        return rc;
    }
    *out = p;
    return SEALDB_OK;
}

int pager_close(pager *p, sealdb_error *err)
{
    if (!p) {
        return SEALDB_OK;
    }
    assert(!p->snaps && !p->writer);
    int rc = SEALDB_OK;
    /* after a failed sync: the log written again and synced, or left as
     * it is (for the next open to recover what the disk holds) */
    if (pager_wal_failed(p) && (rc = wal_repair(p, err)) != SEALDB_OK) {
        pager_free_all(p);
        return rc;
    }
    if (!p->keep_wal) {
        rc = pager_checkpoint(p, PAGER_CHECKPOINT_TRUNCATE, NULL, NULL, err);
        if (rc == SEALDB_OK) {
            /* the log is empty and in the file: like SQLite, leave no WAL */
            wal_close(p);
            p->io->remove(p->io, p->wal_path);
        } else if (pager_wal_failed(p)) {
            /* the checkpoint's own sync of the WAL failed (before it wrote
             * to the database file): the log as it stands, written again
             * and synced, as above; the close reports the first error */
            sealdb_error again;
            wal_repair(p, &again);
        }
    }
    pager_free_all(p);
    return rc;
}

uint32_t pager_page_size(const pager *p)
{
    return p->page_size;
}

uint32_t pager_usable_size(const pager *p)
{
    return p->usable;
}

/* ---- snapshots ------------------------------------------------------------------------ */

/* Registers s at the last published commit (p->mu held). */
static void snapshot_link(pager *p, pager_snapshot *s)
{
    s->p = p;
    s->gen = p->gen;
    s->frame = p->mx_frame;
    s->page_count = p->page_count;
    s->tag = version_tag(s->gen, s->frame);
    s->prev = NULL;
    s->next = p->snaps;
    if (p->snaps) {
        p->snaps->prev = s;
    }
    p->snaps = s;
}

static void snapshot_unlink(pager *p, pager_snapshot *s)
{
    assert(!s->hint_user || s->hint_free == (1u << HINT_HANDLES) - 1); /* every handle put back */
    if (s->hint_user) {
        /* release: an evictor that reads the lower count sees this
         * snapshot's reads of slots done */
        __atomic_fetch_sub(&p->hint_snaps, 1, __ATOMIC_RELEASE);
    }
    if (s->prev) {
        s->prev->next = s->next;
    } else {
        p->snaps = s->next;
    }
    if (s->next) {
        s->next->prev = s->prev;
    }
    pthread_cond_broadcast(&p->cond);
}

int pager_snapshot_begin(pager *p, pager_snapshot **out, sealdb_error *err)
{
    pager_snapshot *s = calloc(1, sizeof *s);
    *out = s;
    if (!s) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    pthread_mutex_lock(&p->mu);
    if (p->fast_budget < p->fast_budget_max && ++p->fast_calm >= FAST_CALM) {
        /* no reclaim for a while: the tables get room back */
        const uint32_t more = p->fast_budget * 2 + 1;
        __atomic_store_n(&p->fast_budget, more < p->fast_budget_max ? more : p->fast_budget_max,
                         __ATOMIC_RELAXED);
        p->fast_calm = 0;
    }
    s->fast_ok = p->fast_budget > 0; /* a table with no pins to keep would only cost */
    snapshot_link(p, s);
    pthread_mutex_unlock(&p->mu);
    return SEALDB_OK;
}

static void fast_unpin(pager *p, fast_table *t);
static void fast_free(fast_table *t);

void pager_snapshot_end(pager_snapshot *s)
{
    if (!s) {
        return;
    }
    pager *p = s->p;
    pthread_mutex_lock(&p->mu);
    stat_add(&p->n_fast_hits, s->hint_hits);
    if (s->ft) {
        /* the table's pins go while the snapshot still holds back
         * checkpoints: once unlinked, the versions it pinned may be freed.
         * No reclaimer is in a round (it holds pager.mu for the round). */
        stat_add(&p->n_fast_hits, __atomic_load_n(&s->ft->hits, __ATOMIC_RELAXED));
        fast_unpin(p, s->ft);
    }
    snapshot_unlink(p, s);
    pthread_mutex_unlock(&p->mu);
    fast_free(s->ft);
    free(s);
}

uint32_t pager_snapshot_page_count(const pager_snapshot *s)
{
    return s->batch ? s->batch->page_count : s->page_count;
}

uint32_t pager_snapshot_frame(const pager_snapshot *s)
{
    return s->frame;
}

/* ---- the snapshot's table of pinned pages (pager_int.h) ---------------------------------- */

static inline uint32_t fast_hash(uint32_t pgno)
{
    return pgno * 0x9e3779b1u;
}

/* A table the reclaimer took: its pins are gone, but for the handles lent
 * out, which now hold lends of their own. Owner only, inside the table. */
static void fast_reset(fast_table *t)
{
    for (uint32_t i = 0; i < FAST_HANDLES; i++) {
        fast_handle *h = &t->h[i];
        if (h->uses && h->ent != FAST_OWN) {
            h->v = t->ver[h->ent];
            h->ent = FAST_OWN;
            t->nown++;
        }
    }
    memset(t->ent, 0, sizeof *t->ent * (t->mask + 1));
    t->n = 0;
    t->nout = 0;
    t->limit /= 2; /* pinning cost a reclaim: pin less */
    __atomic_store_n(&t->pins, 0, __ATOMIC_RELAXED);
}

/* Enters the table (owner only): until fast_leave no reclaimer reads or
 * changes it. */
static inline void fast_enter(const pager *p, fast_table *t)
{
    __atomic_store_n(&t->st, FAST_IN, __ATOMIC_RELAXED);
    if (p->fast_fence) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    } else {
        /* the reclaimer's membarrier orders the store before the load */
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
    }
    int r = __atomic_load_n(&t->revoke, __ATOMIC_ACQUIRE);
    if (__builtin_expect(r == FAST_KEEP, 1)) {
        return;
    }
    while (r != FAST_TAKEN) {
        if (r == FAST_KEEP) {
            return; /* the reclaimer let it be */
        }
        if (r == FAST_ASKED) {
            if (__atomic_compare_exchange_n(&t->revoke, &r, FAST_KEEP, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE)) {
                return; /* asked while in it: the table stays */
            }
            continue;
        }
        sched_yield(); /* FAST_TAKING: the reclaimer is releasing the pins (bounded work) */
        r = __atomic_load_n(&t->revoke, __ATOMIC_ACQUIRE);
    }
    fast_reset(t);
    __atomic_store_n(&t->revoke, FAST_KEEP, __ATOMIC_RELEASE);
}

static inline void fast_leave(fast_table *t)
{
    __atomic_store_n(&t->st, FAST_OUT, __ATOMIC_RELEASE);
}

/* The entry of pgno, or -1. */
static inline int64_t fast_find(const fast_table *t, uint32_t pgno)
{
    for (uint32_t i = fast_hash(pgno) & t->mask;; i = (i + 1) & t->mask) {
        const uint32_t k = t->ent[i].pgno;
        if (k == pgno) {
            return i;
        }
        if (k == 0) {
            return -1;
        }
    }
}

/* A free handle showing data (inside the table), or NULL when all are out. */
static inline fast_handle *fast_handle_take(fast_table *t, uint32_t pgno, uint8_t *data,
                                            uint32_t ent)
{
    if (!t->free_head) {
        return NULL;
    }
    fast_handle *h = &t->h[t->free_head - 1];
    t->free_head = h->next_free;
    h->ent = ent;
    h->uses = 1;
    h->pg.data = data;
    h->pg.pgno = pgno;
    return h;
}

static fast_table *fast_new(pager_snapshot *s)
{
    fast_table *t = calloc(1, sizeof *t);
    fast_entry *ent = calloc(FAST_FIRST_SLOTS, sizeof *ent);
    pager_page **ver = calloc(FAST_FIRST_SLOTS, sizeof *ver);
    if (!t || !ent || !ver) {
        free(t);
        free(ent);
        free(ver);
        return NULL;
    }
    t->ent = ent;
    t->ver = ver;
    t->mask = FAST_FIRST_SLOTS - 1;
    t->limit = s->p->cache.nslots;
    for (uint32_t i = 0; i < FAST_HANDLES; i++) {
        t->h[i].snap = s;
        t->h[i].pg.slot = PAGE_HANDLE;
        t->h[i].next_free = i + 2 <= FAST_HANDLES ? i + 2 : 0;
    }
    t->free_head = 1;
    return t;
}

/* Doubles the table (inside it, no handle on an entry out: entries move). */
static int fast_grow(fast_table *t)
{
    const uint32_t n = (t->mask + 1) * 2;
    fast_entry *ent = calloc(n, sizeof *ent);
    pager_page **ver = calloc(n, sizeof *ver);
    if (!ent || !ver) {
        free(ent);
        free(ver);
        return 0;
    }
    for (uint32_t i = 0; i <= t->mask; i++) {
        if (t->ent[i].pgno) {
            uint32_t k = fast_hash(t->ent[i].pgno) & (n - 1);
            while (ent[k].pgno) {
                k = (k + 1) & (n - 1);
            }
            ent[k] = t->ent[i];
            ver[k] = t->ver[i];
        }
    }
    free(t->ent);
    free(t->ver);
    t->ent = ent;
    t->ver = ver;
    t->mask = n - 1;
    return 1;
}

/* One more pin for a table, within the pager's budget for all of them, so
 * that tables never crowd out the slots misses need. */
static int fast_pin(pager *p)
{
    if (__atomic_load_n(&p->fast_hold, __ATOMIC_RELAXED)) {
        return 0; /* a miss is short of slots */
    }
    if (__atomic_add_fetch(&p->fast_pins, 1, __ATOMIC_RELAXED) <=
        __atomic_load_n(&p->fast_budget, __ATOMIC_RELAXED)) {
        return 1;
    }
    __atomic_fetch_sub(&p->fast_pins, 1, __ATOMIC_RELAXED);
    return 0;
}

/* After the page table lent version *pg to snapshot s: the table keeps that
 * lend when there is room, and *pg becomes one of its handles. A page lent
 * to the snapshot already, through a handle with lends of its own, comes
 * back as that same handle. */
static void fast_keep(pager_snapshot *s, pager_page **pg)
{
    pager *p = s->p;
    fast_table *t = s->ft;
    if (!t) {
        if (!(t = fast_new(s))) {
            return;
        }
        __atomic_store_n(&s->ft, t, __ATOMIC_RELEASE); /* for reclaimers */
    }
    pager_page *v = *pg;
    fast_enter(p, t);
    for (uint32_t i = 0; i < FAST_HANDLES && t->nown; i++) {
        fast_handle *h = &t->h[i];
        if (h->uses && h->ent == FAST_OWN && h->v == v) {
            h->uses++; /* with this lend */
            *pg = &h->pg;
            fast_leave(t);
            return;
        }
    }
    fast_handle *h = NULL;
    if (t->free_head && t->n < t->limit && fast_find(t, v->pgno) < 0 &&
        (2 * (t->n + 1) <= t->mask + 1 || (t->nout == 0 && fast_grow(t))) && fast_pin(p)) {
        uint32_t i = fast_hash(v->pgno) & t->mask;
        while (t->ent[i].pgno) {
            i = (i + 1) & t->mask;
        }
        t->ent[i].pgno = v->pgno;
        t->ent[i].data = v->data;
        t->ver[i] = v;
        t->n++;
        __atomic_store_n(&t->pins, t->n, __ATOMIC_RELAXED);
        h = fast_handle_take(t, v->pgno, v->data, i);
        t->nout++;
    } else if ((h = fast_handle_take(t, v->pgno, v->data, FAST_OWN))) {
        h->v = v; /* keeps the page table's lend */
        t->nown++;
    }
    if (h) {
        *pg = &h->pg;
    }
    fast_leave(t);
}

static void fast_put(fast_handle *h)
{
    pager_snapshot *s = h->snap;
    fast_table *t = s->ft;
    fast_enter(s->p, t);
    const int on_entry = h->ent != FAST_OWN;
    if (!on_entry) {
        __atomic_fetch_sub(h->v->lent, LEND_ONE, __ATOMIC_RELEASE);
    }
    if (--h->uses == 0) {
        h->next_free = t->free_head;
        t->free_head = (uint32_t)(h - t->h) + 1;
        t->nown -= !on_entry;
    }
    t->nout -= on_entry;
    fast_leave(t);
}

/* The snapshot ends (every handle put back; pager.mu held, still linked):
 * its table's pins go, unless a reclaimer took them already. */
static void fast_unpin(pager *p, fast_table *t)
{
    if (__atomic_load_n(&t->revoke, __ATOMIC_ACQUIRE) == FAST_TAKEN) {
        return;
    }
    assert(__atomic_load_n(&t->revoke, __ATOMIC_RELAXED) == FAST_KEEP);
    for (uint32_t i = 0; i <= t->mask; i++) {
        if (t->ent[i].pgno) {
            __atomic_fetch_sub(t->ver[i]->lent, LEND_ONE, __ATOMIC_RELEASE);
        }
    }
    __atomic_fetch_sub(&p->fast_pins, t->n, __ATOMIC_RELAXED);
}

static void fast_free(fast_table *t)
{
    if (t) {
        free(t->ent);
        free(t->ver);
        free(t);
    }
}

/* Releases a table's pins (the reclaimer, having won FAST_TAKING): each
 * handle lent out on an entry keeps its page with lends of its own, the
 * first of them the table's. The owner waits for FAST_TAKEN meanwhile, so
 * the table is the reclaimer's to read and mark. */
static void fast_take(pager *p, fast_table *t)
{
    const uint32_t n = t->n;
    for (uint32_t i = 0; i < FAST_HANDLES; i++) {
        const fast_handle *h = &t->h[i];
        if (!h->uses || h->ent == FAST_OWN) {
            continue;
        }
        fast_entry *e = &t->ent[h->ent];
        const uint32_t more = e->pgno ? h->uses - 1 : h->uses;
        e->pgno = 0; /* its lend is this handle's now */
        if (more) {
            __atomic_fetch_add(t->ver[h->ent]->lent, more * LEND_ONE, __ATOMIC_RELAXED);
        }
    }
    for (uint32_t i = 0; i <= t->mask; i++) {
        if (t->ent[i].pgno) {
            __atomic_fetch_sub(t->ver[i]->lent, LEND_ONE, __ATOMIC_RELEASE);
        }
    }
    __atomic_fetch_sub(&p->fast_pins, n, __ATOMIC_RELAXED);
}

/* The evicting side of the handshakes with lock-free readers (snapshot
 * tables, hazard handles): after it, every reader's earlier stores are
 * visible here, or the reader sees what this thread stored before. Readers
 * fence only when the process-wide barrier is unavailable (fast_fence); a
 * barrier that fails (it should not, once registered) returns 0, and the
 * caller then frees nothing a reader may hold. */
static int barrier_all(pager *p)
{
    if (p->fast_fence) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        return 1;
    }
    return syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
}

/* Takes back the pins of every snapshot table whose owner is out of it.
 * 1: some were released, or some are left (their owners were in their
 * tables, and leave them soon): worth another try. */
static int fast_reclaim(pager *p)
{
    int asked = 0, worth = 0;
    pthread_mutex_lock(&p->mu);
    for (pager_snapshot *s = p->snaps; s; s = s->next) {
        fast_table *t = __atomic_load_n(&s->ft, __ATOMIC_ACQUIRE);
        int keep = FAST_KEEP;
        if (!t) {
            continue;
        }
        t->asked = __atomic_load_n(&t->pins, __ATOMIC_RELAXED) != 0 &&
                   __atomic_compare_exchange_n(&t->revoke, &keep, FAST_ASKED, 0, __ATOMIC_SEQ_CST,
                                               __ATOMIC_RELAXED);
        asked |= t->asked;
    }
    /* without the barrier an owner may be in its table unseen: none is taken */
    const int fenced = asked && barrier_all(p);
    for (pager_snapshot *s = p->snaps; s && asked; s = s->next) {
        fast_table *t = __atomic_load_n(&s->ft, __ATOMIC_ACQUIRE);
        if (!t || !t->asked) {
            continue;
        }
        int r = FAST_ASKED;
        if (fenced && __atomic_load_n(&t->st, __ATOMIC_ACQUIRE) == FAST_OUT &&
            __atomic_compare_exchange_n(&t->revoke, &r, FAST_TAKING, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            fast_take(p, t);
            stat_add(&p->n_reclaimed, 1);
            __atomic_store_n(&t->revoke, FAST_TAKEN, __ATOMIC_RELEASE);
        } else {
            r = FAST_ASKED;
            __atomic_compare_exchange_n(&t->revoke, &r, FAST_KEEP, 0, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED);
        }
        worth = 1;
    }
    if (asked) {
        /* the cache is short: tables get half the room they had, so that
         * they do not keep taking slots back from misses */
        __atomic_store_n(&p->fast_budget, p->fast_budget / 2, __ATOMIC_RELAXED);
        p->fast_calm = 0;
    }
    pthread_mutex_unlock(&p->mu);
    /* pins left are of tables whose owners were in them: another round */
    return worth || __atomic_load_n(&p->fast_pins, __ATOMIC_RELAXED) != 0;
}

/* ---- hazard handles: a snapshot's first reads without a lend (pager_int.h) -------------- */

/* The snapshot may hold hazards from now on: evictions check its handles.
 * The count moves with a read-modify-write and a fence, once per snapshot:
 * an evictor that read the count without this snapshot in it moved its
 * slots' generations before, and this snapshot's checks see them. */
static void hint_register(pager_snapshot *s)
{
    for (uint32_t i = 0; i < HINT_HANDLES; i++) {
        s->hh[i].snap = s;
        s->hh[i].pg.slot = PAGE_HINT;
    }
    s->hint_free = (1u << HINT_HANDLES) - 1;
    s->hint_user = 1;
    __atomic_fetch_add(&s->p->hint_snaps, 1, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* A hit through the hint, counted by the snapshot: a shared counter would
 * cost the read-modify-write these hits avoid. */
static inline void hint_hit(pager_snapshot *s)
{
    __atomic_store_n(&s->hint_hits, s->hint_hits + 1, __ATOMIC_RELAXED);
}

/* The page's newest version through the hint, if the snapshot sees it,
 * shown through a hazard handle; NULL: take the lending way, which may
 * find the page through the hint too when *lend says so. */
static pager_page *hint_take(pager_snapshot *s, uint32_t pgno, int *lend)
{
    pager *p = s->p;
    page_cache *c = &p->cache;
    *lend = 0;
    const uint64_t h = __atomic_load_n(&c->hint[pgno & c->hmask], __ATOMIC_ACQUIRE);
    if (!h) {
        return NULL;
    }
    slot_meta *m = &c->meta[(uint32_t)h - 1];
    if (__atomic_load_n(&m->face.pgno, __ATOMIC_ACQUIRE) != pgno ||
        __atomic_load_n(&m->face.tag, __ATOMIC_ACQUIRE) > s->tag) {
        return NULL; /* another page's slot now, or a version too new for s */
    }
    *lend = 1;
    if (!s->hint_user) {
        hint_register(s);
    }
    /* a page the snapshot shows already comes back as the same handle */
    for (uint32_t out = ~s->hint_free & ((1u << HINT_HANDLES) - 1); out; out &= out - 1) {
        hint_handle *hh = &s->hh[__builtin_ctz(out)];
        if (__atomic_load_n(&hh->hazard, __ATOMIC_RELAXED) == h) {
            hh->uses++;
            hint_hit(s);
            return &hh->pg;
        }
    }
    if (!s->hint_free) {
        return NULL; /* every handle out */
    }
    const uint32_t i = (uint32_t)__builtin_ctz(s->hint_free);
    hint_handle *hh = &s->hh[i];
    /* Dekker with eviction (cache_slot_alloc): publish the hazard, then
     * check the generation; the evictor moves the generation, then (after a
     * barrier on every thread) reads the hazards. Release: an evictor that
     * reads any later value of this word sees the reads of earlier ones. */
    __atomic_store_n(&hh->hazard, h, __ATOMIC_RELEASE);
    if (p->fast_fence) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    } else {
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
    }
    const uint64_t w = __atomic_load_n(&m->lw, __ATOMIC_RELAXED);
    if (w >> 32 != h >> 32 || lend_count(w)) {
        /* evicted meanwhile; or lent out already, maybe to this snapshot,
         * which then gets the same handle back the lending way */
        __atomic_store_n(&hh->hazard, 0, __ATOMIC_RELEASE);
        return NULL;
    }
    s->hint_free &= ~(1u << i);
    hh->uses = 1;
    /* from the hint, not the meta line: the caller's next step then waits
     * for no load of that line, only for the checks above (predicted) */
    hh->pg.data = cache_slot_data(c, (int32_t)((uint32_t)h - 1));
    hh->pg.pgno = pgno;
    cache_touch(c, (int32_t)((uint32_t)h - 1));
    hint_hit(s);
    return &hh->pg;
}

static void hint_put(hint_handle *hh)
{
    pager_snapshot *s = hh->snap;
    if (--hh->uses == 0) {
        __atomic_store_n(&hh->hazard, 0, __ATOMIC_RELEASE); /* the caller's reads are done */
        s->hint_free |= 1u << (uint32_t)(hh - s->hh);
    }
}

static void snapshot_hazards(const pager_snapshot *s, page_cache *c)
{
    for (uint32_t i = 0; i < HINT_HANDLES; i++) {
        cache_hazard(c, __atomic_load_n(&s->hh[i].hazard, __ATOMIC_ACQUIRE));
    }
}

/* cache_slot_alloc's check of the hazards (pool locked, the evicted slots'
 * generations moved): every hazard a reader may hold on them. Free when no
 * snapshot may hold any, or only the caller's own (whose stores this thread
 * sees); otherwise a barrier on every thread first, so that a reader either
 * published its hazard where this reads it or sees the new generation. */
typedef struct hazard_ctx {
    pager *p;
    const pager_snapshot *mine; /* the caller's snapshot */
} hazard_ctx;

static void hint_hazards(void *arg, page_cache *c)
{
    const hazard_ctx *x = arg;
    pager *p = x->p;
    /* sequentially consistent, as the evictions' compare-and-swaps before
     * it: a snapshot not counted yet counts itself later, fences, and then
     * sees the new generations (hint_register) */
    const uint32_t users = __atomic_load_n(&p->hint_snaps, __ATOMIC_SEQ_CST);
    if (users == 0) {
        return;
    }
    if (users == 1 && x->mine->hint_user) {
        snapshot_hazards(x->mine, c);
        return;
    }
    pthread_mutex_lock(&p->mu);
    if (!barrier_all(p)) {
        /* a reader's hazard may not be visible yet: every slot stays */
        cache_hazard_all(c);
    } else {
        for (const pager_snapshot *s = p->snaps; s; s = s->next) {
            snapshot_hazards(s, c); /* a snapshot never registered has none */
        }
    }
    pthread_mutex_unlock(&p->mu);
}

/* ---- reading pages ---------------------------------------------------------------------- */

static pager_page *batch_find(const pager_batch *b, uint32_t pgno);

static int beyond(pager *p, sealdb_error *err, uint32_t pgno, uint32_t count)
{
    return error_set(err, SEALDB_ECORRUPT,
                     "page %u of %s is beyond the end of the database (%u pages)", pgno, p->path,
                     count);
}

/* Reads version v of pgno (frame 0: the database file; the caller counted
 * itself in v->loading) into a slot, opens it, puts it in the cache and
 * lends it. Releases wal_rw after the read when the caller holds it. */
static int fill(pager_snapshot *s, stripe *st, page_rec *r, pager_page *v, uint32_t pgno,
                uint32_t frame, int rw, pager_page **pg, sealdb_error *err)
{
    pager *p = s->p;
    page_cache *c = &p->cache;
    hazard_ctx hz = {p, s};
    int32_t slot = cache_slot_alloc(c, hint_hazards, &hz);
    if (slot < 0) {
        /* no table takes a new pin until this miss has its slot */
        __atomic_fetch_add(&p->fast_hold, 1, __ATOMIC_SEQ_CST);
        for (int i = 0; slot < 0 && i < FAST_RECLAIM_TRIES; i++) {
            /* once more after a round that found nothing: another miss's
             * round may just have freed slots */
            const int more = fast_reclaim(p);
            slot = cache_slot_alloc(c, hint_hazards, &hz);
            if (!more) {
                break;
            }
            if (slot < 0) {
                sched_yield();
            }
        }
        __atomic_fetch_sub(&p->fast_hold, 1, __ATOMIC_RELAXED);
    }
    uint8_t *buf = slot >= 0 ? cache_slot_data(c, slot) : NULL;
    int rc;
    if (slot < 0) {
        rc = error_set(err, SEALDB_ENOMEM,
                       "the page cache is full: all %u pages are lent out; put pages back or "
                       "give the pager a larger cache",
                       c->nslots);
    } else if (frame) {
        rc = wal_read_body(p, frame, buf);
        if (rc != SEALDB_OK) {
            rc = pager_io_error(err, rc, "reading WAL frame %u of %s", frame, p->wal_path);
        }
    } else {
        rc = p->db->io->read(p->db, buf, p->page_size, (uint64_t)(pgno - 1) * p->page_size);
        if (rc != SEALDB_OK) {
            rc = pager_io_error(err, rc, "reading page %u of %s", pgno, p->path);
        }
    }
    if (rw) {
        pthread_rwlock_unlock(&p->wal_rw);
    }
    if (rc == SEALDB_OK && pager_unseal(p, buf, pgno) != SEALDB_OK) {
        rc = unseal_error(p, err, pgno, frame);
    }
    pthread_mutex_lock(&st->mu);
    v->loading--;
    if (rc != SEALDB_OK) {
        if (slot >= 0) {
            crypto_wipe(buf, p->page_size);
            cache_slot_free(c, slot);
        }
        pthread_mutex_unlock(&st->mu);
        return rc;
    }
    st->unsealed += p->seal != NULL;
    if (v->data) { /* another thread read it meanwhile */
        cache_slot_free(c, slot);
    } else {
        cache_attach(c, v, slot);
    }
    /* r is still v's record: a record with a version being read in stays */
    cache_hint_set(c, r, v);
    *pg = cache_lend(c, v);
    pthread_mutex_unlock(&st->mu);
    return SEALDB_OK;
}

/* The version s sees of a page with no record or no version yet: the
 * database file's (stripe locked). NULL when memory is short. */
static pager_page *db_version(stripe *st, page_rec **r, uint32_t pgno)
{
    if (!*r && cache_rec_new(st, NULL, r, pgno) != SEALDB_OK) {
        return NULL;
    }
    pager_page *v = cache_page_new(st, pgno);
    if (v) {
        (*r)->db = v;
    }
    return v;
}

/* The miss path for a WAL frame: held across the read, wal_rw keeps the
 * log from starting over under it (after which the frame would be another
 * page's). The version is resolved again under it. */
static int load_frame(pager *p, pager_snapshot *s, uint32_t pgno, pager_page **pg,
                      sealdb_error *err)
{
    stripe *st = cache_stripe(&p->cache, pgno);
    pthread_rwlock_rdlock(&p->wal_rw);
    pthread_mutex_lock(&st->mu);
    page_rec *r = cache_rec(st, pgno);
    pager_page *v = r ? cache_resolve(r, s->tag) : NULL;
    if (!v && !(v = db_version(st, &r, pgno))) {
        pthread_mutex_unlock(&st->mu);
        pthread_rwlock_unlock(&p->wal_rw);
        return error_set(err, SEALDB_ENOMEM, "out of memory for the page table");
    }
    if (v->data) {
        cache_hint_set(&p->cache, r, v);
        *pg = cache_lend(&p->cache, v);
        pthread_mutex_unlock(&st->mu);
        pthread_rwlock_unlock(&p->wal_rw);
        return SEALDB_OK;
    }
    v->loading++;
    const uint32_t frame = (uint32_t)v->tag; /* 0 once the log started over */
    pthread_mutex_unlock(&st->mu);
    return fill(s, st, r, v, pgno, frame, 1, pg, err);
}

static int cache_get(pager_snapshot *s, uint32_t pgno, int hinted, pager_page **pg,
                     sealdb_error *err);

int pager_get(pager_snapshot *s, uint32_t pgno, pager_page **pg, sealdb_error *err)
{
    pager *p = s->p;
    *pg = NULL;
    if (s->batch) {
        pager_page *d = batch_find(s->batch, pgno);
        if (d) {
            *pg = d;
            return SEALDB_OK;
        }
        if (pgno > s->batch->page_count) {
            return beyond(p, err, pgno, s->batch->page_count);
        }
    }
    if (pgno == 0 || pgno > s->page_count) {
        return beyond(p, err, pgno, s->page_count);
    }
    fast_table *t = s->ft;
    if (t) {
        fast_enter(p, t);
        const int64_t i = fast_find(t, pgno);
        fast_handle *h = i >= 0 ? fast_handle_take(t, pgno, t->ent[i].data, (uint32_t)i) : NULL;
        if (h) {
            t->nout++;
            __atomic_store_n(&t->hits, t->hits + 1, __ATOMIC_RELAXED);
            fast_leave(t);
            *pg = &h->pg;
            return SEALDB_OK;
        }
        fast_leave(t);
    }
    /* a table pays off for snapshots that read on: a short one never
     * makes it */
    const int count = !t && s->fast_ok && !s->batch;
    const int keep = s->fast_ok && !s->batch && (t || s->slow_gets >= FAST_AFTER);
    int hinted = 1;
    if (!keep && !s->hint_never) { /* what a table keeps must be lent; the rest need not be */
        pager_page *h = hint_take(s, pgno, &hinted);
        if (h) {
            s->slow_gets += count;
            *pg = h;
            return SEALDB_OK;
        }
    }
    const int rc = cache_get(s, pgno, hinted, pg, err);
    if (rc == SEALDB_OK) {
        s->slow_gets += count;
        if (keep) {
            fast_keep(s, pg);
        }
    }
    return rc;
}

/* The page table's way: pager_get without the snapshot's table. */
static int cache_get(pager_snapshot *s, uint32_t pgno, int hinted, pager_page **pg,
                     sealdb_error *err)
{
    pager *p = s->p;
    page_cache *c = &p->cache;
    pager_page *f = hinted ? cache_hint_get(c, pgno, s->tag) : NULL;
    if (f) {
        cache_touch(c, f->slot);
        hint_hit(s);
        *pg = f;
        return SEALDB_OK;
    }
    stripe *st = cache_stripe(c, pgno);
    pthread_mutex_lock(&st->mu);
    page_rec *r = cache_rec(st, pgno);
    pager_page *v = r ? cache_resolve(r, s->tag) : NULL;
    if (v && v->data) {
        cache_hint_set(c, r, v);
        *pg = cache_lend(c, v);
        cache_touch(c, v->slot);
        st->hits++;
        pthread_mutex_unlock(&st->mu);
        return SEALDB_OK;
    }
    st->misses++;
    if (v && v->tag != 0) {
        pthread_mutex_unlock(&st->mu);
        return load_frame(p, s, pgno, pg, err);
    }
    /* The database file's copy: the file never changes under a snapshot
     * that reads a page from it, so no lock is held across the read. */
    if (!v && !(v = db_version(st, &r, pgno))) {
        pthread_mutex_unlock(&st->mu);
        return error_set(err, SEALDB_ENOMEM, "out of memory for the page table");
    }
    v->loading++;
    pthread_mutex_unlock(&st->mu);
    return fill(s, st, r, v, pgno, 0, 0, pg, err);
}

const uint8_t *pager_page_data(const pager_page *pg)
{
    return pg->data;
}

void pager_put(pager_page *pg)
{
    if (pg && pg->slot == PAGE_HINT) {
        hint_put((hint_handle *)(void *)pg);
    } else if (pg && pg->slot == PAGE_HANDLE) {
        fast_put((fast_handle *)(void *)pg);
    } else if (pg && pg->lent) { /* a batch's own pages are not counted */
        __atomic_fetch_sub(pg->lent, LEND_ONE, __ATOMIC_RELEASE);
    }
}

/* ---- write batches --------------------------------------------------------------------- */

static pager_page *batch_find(const pager_batch *b, uint32_t pgno)
{
    if (!b->count) {
        return NULL;
    }
    for (uint32_t i = (pgno * 0x9e3779b1u) & (b->cap - 1);; i = (i + 1) & (b->cap - 1)) {
        pager_page *v = b->tab[i];
        if (!v || v->pgno == pgno) {
            return v;
        }
    }
}

static void tab_put(pager_page **tab, uint32_t cap, pager_page *v)
{
    uint32_t i = (v->pgno * 0x9e3779b1u) & (cap - 1);
    while (tab[i]) {
        i = (i + 1) & (cap - 1);
    }
    tab[i] = v;
}

static void dirty_free(pager *p, pager_page *v)
{
    if (v->data) {
        crypto_wipe(v->data, p->page_size);
    }
    if (v->slot >= 0) {
        cache_slot_free(&p->cache, v->slot);
    } else {
        free(v->data);
    }
    free(v);
}

/* A new page of the batch holding a copy of src, or zeros (src NULL). */
static int batch_add(pager_batch *b, uint32_t pgno, const uint8_t *src, pager_page **out,
                     sealdb_error *err)
{
    pager *p = b->p;
    if (2 * (b->count + 1) > b->cap) {
        const uint32_t cap = b->cap ? b->cap * 2 : 64;
        pager_page **tab = calloc(cap, sizeof *tab);
        if (!tab) {
            return error_set(err, SEALDB_ENOMEM, "out of memory for the write batch");
        }
        for (uint32_t i = 0; i < b->cap; i++) {
            if (b->tab[i]) {
                tab_put(tab, cap, b->tab[i]);
            }
        }
        free(b->tab);
        b->tab = tab;
        b->cap = cap;
    }
    pager_page *v = calloc(1, sizeof *v);
    if (!v) {
        return error_set(err, SEALDB_ENOMEM, "out of memory for the write batch");
    }
    int32_t slot = -1;
    if (p->cache.nslots >= BATCH_SLOTS_MIN_CACHE &&
        b->slots < p->cache.nslots / BATCH_SLOTS_SHARE) {
        hazard_ctx hz = {p, &b->snap};
        slot = cache_slot_alloc(&p->cache, hint_hazards, &hz);
    }
    uint8_t *data = slot >= 0 ? cache_slot_data(&p->cache, slot) : malloc(p->page_size);
    if (!data) {
        free(v);
        return error_set(err, SEALDB_ENOMEM, "out of memory for the write batch");
    }
    b->slots += slot >= 0;
    if (src) {
        memcpy(data, src, p->page_size);
    } else {
        memset(data, 0, p->page_size);
    }
    v->pgno = pgno;
    v->tag = TAG_DIRTY;
    v->slot = slot;
    v->data = data;
    tab_put(b->tab, b->cap, v);
    b->count++;
    *out = v;
    return SEALDB_OK;
}

int pager_begin(pager *p, pager_batch **out, sealdb_error *err)
{
    pager_batch *b = calloc(1, sizeof *b);
    *out = b;
    if (!b) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    b->p = p;
    pthread_mutex_lock(&p->mu);
    while (p->writer) {
        pthread_cond_wait(&p->cond, &p->mu);
    }
    p->writer = 1;
    snapshot_link(p, &b->snap);
    b->snap.batch = b;
    /* a writer would count itself among the hazards' holders and make
     * other threads' evictions pay for it, for no gain */
    b->snap.hint_never = 1;
    b->page_count = b->snap.page_count;
    pthread_mutex_unlock(&p->mu);
    return SEALDB_OK;
}

pager_snapshot *pager_batch_snapshot(pager_batch *b)
{
    return &b->snap;
}

static int pending_page(const pager *p, uint32_t pgno)
{
    return pgno == PENDING_BYTE / p->page_size + 1;
}

int pager_write(pager_batch *b, uint32_t pgno, uint8_t **data, sealdb_error *err)
{
    pager *p = b->p;
    *data = NULL;
    pager_page *v = batch_find(b, pgno);
    if (v) {
        *data = v->data;
        return SEALDB_OK;
    }
    if (pgno == 0 || pgno > b->page_count) {
        return beyond(p, err, pgno, b->page_count);
    }
    if (pending_page(p, pgno)) {
        return error_set(err, SEALDB_EINVAL, "page %u holds SQLite's lock byte and is never used",
                         pgno);
    }
    pager_page *cur = NULL;
    int rc = SEALDB_OK;
    if (pgno <= b->snap.page_count) {
        b->snap.batch = NULL; /* read the committed version */
        rc = pager_get(&b->snap, pgno, &cur, err);
        b->snap.batch = b;
        if (rc != SEALDB_OK) {
            return rc;
        }
    }
    rc = batch_add(b, pgno, cur ? cur->data : NULL, &v, err);
    pager_put(cur);
    if (rc == SEALDB_OK) {
        *data = v->data;
    }
    return rc;
}

/* A page of the batch with every byte zero, without reading it. */
static int write_zeroed(pager_batch *b, uint32_t pgno, uint8_t **data, sealdb_error *err)
{
    pager_page *v = batch_find(b, pgno);
    if (!v) {
        const int rc = batch_add(b, pgno, NULL, &v, err);
        if (rc != SEALDB_OK) {
            return rc;
        }
    } else {
        memset(v->data, 0, b->p->page_size);
    }
    *data = v->data;
    return SEALDB_OK;
}

static int writable_header(pager_batch *b, uint8_t **p1, sealdb_error *err)
{
    int rc = pager_write(b, 1, p1, err);
    if (rc == SEALDB_OK && get_be32(*p1 + 52) != 0) {
        rc = error_set(err, SEALDB_EFORMAT,
                       "%s is an auto-vacuum database: the native pager does not allocate or "
                       "free its pages yet (pointer maps)",
                       b->p->path);
    }
    return rc;
}

int pager_allocate(pager_batch *b, uint32_t *pgno, uint8_t **data, sealdb_error *err)
{
    pager *p = b->p;
    *pgno = 0;
    *data = NULL;
    uint8_t *p1;
    int rc = writable_header(b, &p1, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    uint32_t nfree = get_be32(p1 + 36);
    const uint32_t trunk = get_be32(p1 + 32);
    if (nfree > 0 && trunk != 0) {
        if (trunk > b->page_count) {
            return error_set(err, SEALDB_ECORRUPT,
                             "the freelist of %s starts at page %u, beyond the end (%u pages)",
                             p->path, trunk, b->page_count);
        }
        uint8_t *t;
        if ((rc = pager_write(b, trunk, &t, err)) != SEALDB_OK) {
            return rc;
        }
        const uint32_t leaves = get_be32(t + 4);
        uint32_t got;
        if (leaves > p->usable / 4 - 2) {
            return error_set(err, SEALDB_ECORRUPT,
                             "freelist trunk page %u of %s lists %u leaves; at most %u fit", trunk,
                             p->path, leaves, p->usable / 4 - 2);
        }
        if (leaves > 0) {
            got = get_be32(t + 8 + 4 * (leaves - 1));
            if (got < 2 || got > b->page_count || got == trunk) {
                return error_set(err, SEALDB_ECORRUPT,
                                 "freelist trunk page %u of %s lists page %u, not a page of the "
                                 "database",
                                 trunk, p->path, got);
            }
            put_be32(t + 4, leaves - 1);
            put_be32(t + 8 + 4 * (leaves - 1), 0);
        } else {
            got = trunk; /* an empty trunk is handed out itself */
            put_be32(p1 + 32, get_be32(t));
        }
        put_be32(p1 + 36, nfree - 1);
        *pgno = got;
        return write_zeroed(b, got, data, err);
    }
    if (nfree != 0 || trunk != 0) {
        return error_set(err, SEALDB_ECORRUPT,
                         "the freelist of %s is inconsistent: %u pages but first trunk %u", p->path,
                         nfree, trunk);
    }
    uint32_t next = b->page_count + 1;
    if (pending_page(p, next)) {
        next++; /* left out of the file, as SQLite does */
    }
    if (next < b->page_count || next > 0x7fffffffu) {
        return error_set(err, SEALDB_EINVAL, "%s cannot grow beyond %u pages", p->path,
                         b->page_count);
    }
    b->page_count = next;
    *pgno = next;
    return write_zeroed(b, next, data, err);
}

int pager_free(pager_batch *b, uint32_t pgno, sealdb_error *err)
{
    pager *p = b->p;
    if (pgno < 2 || pgno > b->page_count || pending_page(p, pgno)) {
        return error_set(err, SEALDB_EINVAL, "page %u of %s cannot be freed (%u pages)", pgno,
                         p->path, b->page_count);
    }
    uint8_t *p1;
    int rc = writable_header(b, &p1, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    const uint32_t nfree = get_be32(p1 + 36), trunk = get_be32(p1 + 32);
    uint8_t *t = NULL;
    if (trunk != 0) {
        if (trunk > b->page_count) {
            return error_set(err, SEALDB_ECORRUPT,
                             "the freelist of %s starts at page %u, beyond the end (%u pages)",
                             p->path, trunk, b->page_count);
        }
        if ((rc = pager_write(b, trunk, &t, err)) != SEALDB_OK) {
            return rc;
        }
        const uint32_t leaves = get_be32(t + 4);
        /* SQLite fills trunks only to usable/4 - 8 (older versions misread fuller ones) */
        if (leaves < p->usable / 4 - 8) {
            put_be32(t + 8 + 4 * leaves, pgno);
            put_be32(t + 4, leaves + 1);
            put_be32(p1 + 36, nfree + 1);
            pager_page *v = batch_find(b, pgno);
            if (v || p->secure_delete) {
                uint8_t *d;
                return write_zeroed(b, pgno, &d, err); /* no old bytes in the new frame */
            }
            return SEALDB_OK;
        }
    }
    uint8_t *d;
    if ((rc = write_zeroed(b, pgno, &d, err)) != SEALDB_OK) {
        return rc;
    }
    put_be32(d, trunk); /* the freed page becomes the first trunk */
    put_be32(p1 + 32, pgno);
    put_be32(p1 + 36, nfree + 1);
    return SEALDB_OK;
}

int pager_truncate(pager_batch *b, uint32_t page_count, sealdb_error *err)
{
    pager *p = b->p;
    if (page_count < 1 || page_count > b->page_count) {
        return error_set(err, SEALDB_EINVAL, "cannot truncate %s from %u to %u pages", p->path,
                         b->page_count, page_count);
    }
    uint8_t *p1;
    int rc = writable_header(b, &p1, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    for (uint32_t i = 0; i < b->cap; i++) {
        pager_page *v = b->tab[i];
        if (v && v->pgno > page_count) {
            b->slots -= v->slot >= 0;
            dirty_free(p, v);
            b->tab[i] = NULL;
            b->count--;
        }
    }
    /* rehash what is left (open addressing has no holes) */
    pager_page **old = b->tab;
    pager_page **tab = calloc(b->cap, sizeof *tab);
    if (!tab) {
        return error_set(err, SEALDB_ENOMEM, "out of memory for the write batch");
    }
    for (uint32_t i = 0; i < b->cap; i++) {
        if (old[i]) {
            tab_put(tab, b->cap, old[i]);
        }
    }
    free(old);
    b->tab = tab;
    b->page_count = page_count;
    return SEALDB_OK;
}

static void batch_end(pager_batch *b)
{
    pager *p = b->p;
    for (uint32_t i = 0; i < b->cap; i++) {
        if (b->tab[i]) {
            dirty_free(p, b->tab[i]);
        }
    }
    free(b->tab);
    pthread_mutex_lock(&p->mu);
    stat_add(&p->n_fast_hits, b->snap.hint_hits);
    snapshot_unlink(p, &b->snap);
    p->writer = 0;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->mu);
    free(b);
}

void pager_rollback(pager_batch *b)
{
    if (b) {
        batch_end(b);
    }
}

static int by_pgno(const void *a, const void *b)
{
    const pager_page *x = *(pager_page *const *)a, *y = *(pager_page *const *)b;
    return x->pgno < y->pgno ? -1 : x->pgno > y->pgno;
}

static int checkpoint_locked(pager *p, pager_checkpoint_mode mode, int32_t wait_ms,
                             uint32_t *log_frames, uint32_t *backfilled, sealdb_error *err);
static int autocheckpoint_wanted(const pager *p);
static uint32_t oldest_frame(const pager *p);

/* The log starts over: every frame is in the database file, so every live
 * snapshot sees exactly the file. Caller holds the writer flag and ckpt_mu. */
static void restart_log(pager *p)
{
    pthread_rwlock_wrlock(&p->wal_rw);
    cache_restart(&p->cache);
    pthread_mutex_lock(&p->mu);
    p->gen++;
    p->mx_frame = 0;
    p->backfilled = 0;
    pthread_mutex_unlock(&p->mu);
    wal_new_header(p);
    pthread_rwlock_unlock(&p->wal_rw);
    stat_add(&p->n_restarts, 1);
}

int pager_commit(pager_batch *b, sealdb_error *err)
{
    pager *p = b->p;
    int rc = SEALDB_OK, ckpt = 0;
    if (__atomic_load_n(&p->wal_failed, __ATOMIC_ACQUIRE) && b->count > 0) {
        batch_end(b);
        return wal_failed_error(p, err);
    }
    /* Page 1 goes with a change of the page count, and with the first
     * commit to a database whose header says rollback mode: the header then
     * says WAL mode (as PRAGMA journal_mode=WAL makes it), and its change
     * counter moves, so that a SQLite connection that kept pages cached in
     * rollback mode (it holds no lock between transactions) drops them. */
    if ((b->page_count != b->snap.page_count || (!p->wal_header && b->count > 0)) &&
        !batch_find(b, 1)) {
        uint8_t *p1;
        if ((rc = pager_write(b, 1, &p1, err)) != SEALDB_OK) {
            batch_end(b);
            return rc;
        }
    }
    const uint32_t n = b->count;
    if (n == 0) {
        batch_end(b);
        return SEALDB_OK;
    }
    pager_page *one = batch_find(b, 1);
    if (one) {
        uint8_t *h = one->data;
        const uint32_t counter = get_be32(h + 24) + 1;
        h[18] = h[19] = 2;
        put_be32(h + 24, counter);
        put_be32(h + 28, b->page_count);
        put_be32(h + 92, counter);
        put_be32(h + 96, SQLITE_VERSION_NUMBER);
    }
    /* Everything the publication needs is allocated before the first write:
     * once the commit is in the WAL it must become visible. */
    pager_page **pages = calloc(n, sizeof *pages);
    pager_page **nodes = calloc(n, sizeof *nodes);
    page_rec **spares = calloc(n, sizeof *spares);
    int ok = pages && nodes && spares;
    for (uint32_t i = 0; ok && i < n; i++) {
        nodes[i] = calloc(1, sizeof **nodes);
        spares[i] = malloc(sizeof **spares);
        ok = nodes[i] && spares[i];
    }
    if (!ok) {
        rc = error_set(err, SEALDB_ENOMEM, "out of memory for the commit");
        goto done;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < b->cap; i++) {
        if (b->tab[i]) {
            pages[k++] = b->tab[i];
        }
    }
    qsort(pages, n, sizeof *pages, by_pgno);
    pthread_mutex_lock(&p->mu);
    const int want_restart = p->mx_frame > 0 && p->backfilled == p->mx_frame;
    rc = wal_reserve(&p->w, p->mx_frame + n);
    pthread_mutex_unlock(&p->mu);
    if (rc != SEALDB_OK) {
        rc = error_set(err, SEALDB_ENOMEM, "out of memory for the WAL index");
        goto done;
    }
    if (want_restart && pthread_mutex_trylock(&p->ckpt_mu) == 0) {
        restart_log(p);
        pthread_mutex_unlock(&p->ckpt_mu);
    } else if (!p->w.hdr_on_disk && p->mx_frame == 0) {
        wal_new_header(p);
    }
    const uint32_t first = p->mx_frame + 1; /* only the writer moves it */
    uint32_t chain[2];
    rc = wal_append(p, pages, n, b->page_count, first, chain, err);
    if (rc == SEALDB_OK && p->durability == PAGER_SYNC_FULL) {
        rc = wal_sync(p, err);
    }
    if (rc != SEALDB_OK) {
        /* the frames may be in the file, unpublished: the next commit
         * writes over them, its checksums chained from the last commit */
        goto done;
    }
    p->w.chk[0] = chain[0];
    p->w.chk[1] = chain[1];
    /* Publish: the new versions enter the page table (above every live
     * snapshot's tag, so invisible to them), then the frame moves. */
    const uint32_t gen = p->gen;
    page_cache *c = &p->cache;
    for (uint32_t i = 0; i < n; i++) {
        const uint32_t pgno = pages[i]->pgno;
        stripe *st = cache_stripe(c, pgno);
        pthread_mutex_lock(&st->mu);
        page_rec *r = NULL;
        cache_rec_add(st, spares[i], &r, pgno); /* cannot fail with a spare */
        if (r == spares[i]) {
            spares[i] = NULL;
        }
        pager_page *v = nodes[i];
        nodes[i] = NULL;
        v->pgno = pgno;
        v->tag = version_tag(gen, first + i);
        v->slot = -1;
        v->older = r->frames;
        r->frames = v;
        /* the dirty page's own slot becomes the version's; a page in a
         * heap buffer is copied into a free slot if there is one */
        int32_t slot = pages[i]->slot;
        if (slot >= 0) {
            pages[i]->slot = -1;
            pages[i]->data = NULL;
        } else {
            hazard_ctx hz = {p, &b->snap};
            slot = cache_slot_alloc(c, hint_hazards, &hz);
            if (slot >= 0) {
                memcpy(cache_slot_data(c, slot), pages[i]->data, p->page_size);
            }
        }
        if (slot >= 0) {
            cache_attach(c, v, slot);
            cache_hint_set(c, r, v);
        } else {
            cache_hint_clear(c, pgno);
        }
        pthread_mutex_unlock(&st->mu);
    }
    pthread_mutex_lock(&p->mu);
    p->mx_frame = first + n - 1;
    p->page_count = b->page_count;
    p->wal_header |= one != NULL;
    ckpt = autocheckpoint_wanted(p);
    pthread_mutex_unlock(&p->mu);
    stat_add(&p->n_commits, 1);
done:
    for (uint32_t i = 0; i < n && nodes && spares; i++) {
        free(nodes[i]);
        free(spares[i]);
    }
    free(pages);
    free(nodes);
    free(spares);
    batch_end(b);
    if (rc == SEALDB_OK && ckpt && !p->caller_checkpoints) {
        pager_autocheckpoint(p);
    }
    return rc;
}

/* The automatic checkpoint's two jobs (p->mu held): copying frames once
 * autocheckpoint of them wait, and starting the WAL over once it holds
 * twice that many. */
static int autocheckpoint_wanted(const pager *p)
{
    const uint32_t ac = p->autocheckpoint > 0 ? (uint32_t)p->autocheckpoint : 0;
    return ac && (p->mx_frame - p->backfilled >= ac || p->mx_frame >= 2 * ac);
}

/* The WAL starts over (its frames are written again from the top) only at
 * a moment when every frame is copied and every snapshot sees the last
 * commit. With one writer that moment follows each checkpoint. With
 * concurrent writers it may never come by itself: their transactions'
 * snapshots overlap the commits, so the checkpoint always stops a group
 * or two short, and the WAL grew without end, every frame appended to the
 * file, which makes each sync also commit the file system's journal for
 * the new size. So once the WAL holds twice autocheckpoint frames, the
 * checkpoint first copies what it can beside the commits (up to two
 * passive rounds), then takes the writer's turn (commits wait), waits up
 * to AUTO_RESTART_WAIT_MS for the older snapshots to end (transactions
 * finishing their work; a committing transaction has already let go of
 * its snapshot), copies the rest and starts the WAL over. When a snapshot
 * outlives the wait (a long reader), the tries after it do not wait (they
 * succeed when no older snapshot is left at that moment) until the WAL has
 * grown by autocheckpoint frames times 2, 4, 8, then 16, so that a long
 * reader costs commits one such wait per round. */
#define AUTO_RESTART_WAIT_MS 5

void pager_autocheckpoint(pager *p)
{
    pthread_mutex_lock(&p->mu);
    const uint32_t ac = p->autocheckpoint > 0 ? (uint32_t)p->autocheckpoint : 0;
    const uint32_t mx = p->mx_frame, gen = p->gen;
    const int wanted = autocheckpoint_wanted(p);
    pthread_mutex_unlock(&p->mu);
    if (!wanted || pthread_mutex_trylock(&p->ckpt_mu) != 0) {
        return; /* nothing due, or a checkpoint is running already */
    }
    /* with the WAL at twice its size: a try at starting it over, which
     * waits for older snapshots unless the last tries failed and the WAL
     * has not grown enough since; a try that would not wait is made only
     * when no older snapshot is left (else it could only fail) */
    const uint32_t shift = p->restart_fails < 4 ? p->restart_fails : 4;
    const int patient =
        p->restart_fails == 0 || p->restart_gen != gen || mx - p->restart_frame >= ac << shift;
    int restart = mx >= 2 * ac;
    if (restart && !patient) {
        pthread_mutex_lock(&p->mu);
        restart = oldest_frame(p) >= p->mx_frame;
        pthread_mutex_unlock(&p->mu);
    }
    /* a failure leaves the commit as it is, and the next commit tries again */
    if (restart) {
        /* the bulk of the copying first, beside the commits: the restart
         * holds them up only for what they added meanwhile */
        for (int pass = 0; pass < 2; pass++) {
            pthread_mutex_lock(&p->mu);
            const uint32_t left = p->mx_frame - p->backfilled, from = p->backfilled;
            pthread_mutex_unlock(&p->mu);
            uint32_t copied_to = from;
            if (left <= ac / 8 ||
                checkpoint_locked(p, PAGER_CHECKPOINT_PASSIVE, 0, NULL, &copied_to, NULL) !=
                    SEALDB_OK ||
                copied_to == from) {
                break; /* little left, a failure, or an old snapshot stops the copying */
            }
        }
        const int rc = checkpoint_locked(p, PAGER_CHECKPOINT_RESTART,
                                         patient ? AUTO_RESTART_WAIT_MS : 0, NULL, NULL, NULL);
        if (rc == SEALDB_EBUSY && patient) {
            p->restart_fails++;
            p->restart_gen = gen;
            p->restart_frame = mx;
        } else if (rc == SEALDB_OK) {
            p->restart_fails = 0;
        }
    } else if (mx - p->backfilled >= ac) {
        checkpoint_locked(p, PAGER_CHECKPOINT_PASSIVE, 0, NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&p->ckpt_mu);
}

/* ---- checkpoints -------------------------------------------------------------------------- */

/* The last frame every live snapshot sees (p->mu held). A snapshot of an
 * older generation sees none of this one's frames. */
static uint32_t oldest_frame(const pager *p)
{
    uint32_t limit = p->mx_frame;
    for (const pager_snapshot *s = p->snaps; s; s = s->next) {
        const uint32_t f = s->gen == p->gen ? s->frame : 0;
        if (f < limit) {
            limit = f;
        }
    }
    return limit;
}

static void deadline_after(struct timespec *ts, int32_t ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    if (ms < 0) {
        ms = 0;
    }
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Copies what no snapshot still needs; ckpt_mu held. */
static int backfill(pager *p, sealdb_error *err)
{
    pthread_mutex_lock(&p->mu);
    const uint32_t gen = p->gen, mx = p->mx_frame, from = p->backfilled;
    const uint32_t limit = oldest_frame(p);
    const uint32_t count = limit ? p->w.frames[limit - 1].commit : 0;
    pthread_mutex_unlock(&p->mu);
    if (limit <= from) {
        return SEALDB_OK;
    }
    const int rc = wal_backfill(p, gen, from, limit, count, limit == mx, err);
    if (rc == SEALDB_OK) {
        pthread_mutex_lock(&p->mu);
        p->backfilled = limit;
        pthread_mutex_unlock(&p->mu);
    }
    return rc;
}

/* A checkpoint; ckpt_mu held. FULL and up wait at most wait_ms for the
 * writer and for older snapshots. */
static int checkpoint_locked(pager *p, pager_checkpoint_mode mode, int32_t wait_ms,
                             uint32_t *log_frames, uint32_t *backfilled, sealdb_error *err)
{
    int have_writer = 0, busy = 0, rc = SEALDB_OK;
    if (mode >= PAGER_CHECKPOINT_FULL) {
        struct timespec until;
        deadline_after(&until, wait_ms);
        pthread_mutex_lock(&p->mu);
        while (p->writer && !busy) {
            busy = pthread_cond_timedwait(&p->cond, &p->mu, &until) == ETIMEDOUT;
        }
        if (!p->writer) {
            busy = 0;
            p->writer = have_writer = 1;
            /* every snapshot at the last commit: then everything can be copied */
            while (oldest_frame(p) < p->mx_frame && !busy) {
                busy = pthread_cond_timedwait(&p->cond, &p->mu, &until) == ETIMEDOUT;
            }
            busy = oldest_frame(p) < p->mx_frame;
        }
        pthread_mutex_unlock(&p->mu);
    }
    rc = backfill(p, err);
    if (rc == SEALDB_OK && have_writer && mode >= PAGER_CHECKPOINT_RESTART) {
        pthread_mutex_lock(&p->mu);
        const int all = p->backfilled == p->mx_frame;
        const int restart = all && p->mx_frame > 0;
        pthread_mutex_unlock(&p->mu);
        if (restart) {
            restart_log(p);
        }
        if (all && mode == PAGER_CHECKPOINT_TRUNCATE) {
            pthread_rwlock_wrlock(&p->wal_rw);
            rc = wal_truncate(p, err);
            pthread_rwlock_unlock(&p->wal_rw);
        }
    }
    pthread_mutex_lock(&p->mu);
    if (have_writer) {
        p->writer = 0;
        pthread_cond_broadcast(&p->cond);
    }
    if (log_frames) {
        *log_frames = p->mx_frame;
    }
    if (backfilled) {
        *backfilled = p->backfilled;
    }
    pthread_mutex_unlock(&p->mu);
    stat_add(&p->n_checkpoints, 1);
    if (rc == SEALDB_OK && busy) {
        rc = error_set(err, SEALDB_EBUSY,
                       "checkpoint of %s incomplete: a writer or readers of older snapshots "
                       "did not finish within %d ms",
                       p->path, wait_ms);
    }
    return rc;
}

int pager_checkpoint(pager *p, pager_checkpoint_mode mode, uint32_t *log_frames,
                     uint32_t *backfilled, sealdb_error *err)
{
    if (mode > PAGER_CHECKPOINT_TRUNCATE) {
        return error_set(err, SEALDB_EINVAL, "unknown checkpoint mode %d", (int)mode);
    }
    pthread_mutex_lock(&p->ckpt_mu);
    const int rc = checkpoint_locked(p, mode, p->busy_timeout_ms, log_frames, backfilled, err);
    pthread_mutex_unlock(&p->ckpt_mu);
    return rc;
}

/* ---- statistics ----------------------------------------------------------------------------- */

int pager_wal_failed(pager *p)
{
    return __atomic_load_n(&p->wal_failed, __ATOMIC_ACQUIRE);
}

void pager_stats_get(pager *p, pager_stats *out)
{
    memset(out, 0, sizeof *out);
    page_cache *c = &p->cache;
    for (int i = 0; i < PAGER_STRIPES; i++) {
        pthread_mutex_lock(&c->stripes[i].mu);
        out->cache_hits += c->stripes[i].hits;
        out->cache_misses += c->stripes[i].misses;
        out->pages_unsealed += c->stripes[i].unsealed;
        pthread_mutex_unlock(&c->stripes[i].mu);
    }
    pthread_mutex_lock(&c->mu);
    out->evictions = c->evictions;
    out->cache_used = c->used;
    out->cache_capacity = c->nslots;
    pthread_mutex_unlock(&c->mu);
    out->pages_sealed = __atomic_load_n(&p->n_sealed, __ATOMIC_RELAXED);
    out->pages_unsealed += __atomic_load_n(&p->n_unsealed, __ATOMIC_RELAXED);
    out->commits = __atomic_load_n(&p->n_commits, __ATOMIC_RELAXED);
    out->frames_written = __atomic_load_n(&p->n_frames, __ATOMIC_RELAXED);
    out->wal_syncs = __atomic_load_n(&p->n_wal_syncs, __ATOMIC_RELAXED);
    out->db_syncs = __atomic_load_n(&p->n_db_syncs, __ATOMIC_RELAXED);
    out->checkpoints = __atomic_load_n(&p->n_checkpoints, __ATOMIC_RELAXED);
    out->pages_backfilled = __atomic_load_n(&p->n_backfilled, __ATOMIC_RELAXED);
    out->wal_restarts = __atomic_load_n(&p->n_restarts, __ATOMIC_RELAXED);
    out->tables_reclaimed = __atomic_load_n(&p->n_reclaimed, __ATOMIC_RELAXED);
    pthread_mutex_lock(&p->mu);
    out->cache_hits += __atomic_load_n(&p->n_fast_hits, __ATOMIC_RELAXED);
    for (const pager_snapshot *s = p->snaps; s; s = s->next) {
        out->cache_hits += __atomic_load_n(&s->hint_hits, __ATOMIC_RELAXED);
        const fast_table *t = __atomic_load_n(&s->ft, __ATOMIC_ACQUIRE);
        if (t) {
            out->cache_hits += __atomic_load_n(&t->hits, __ATOMIC_RELAXED);
        }
    }
    out->wal_frames = p->mx_frame;
    out->wal_backfilled = p->backfilled;
    out->page_count = p->page_count;
    pthread_mutex_unlock(&p->mu);
}
