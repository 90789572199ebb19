/*
 * test_pager.c - the native pager (pager/): creation, the cache, snapshots,
 * commits, the freelist, every checkpoint mode, recovery, corruption
 * reports and I/O errors.
 *
 * - A new database's page 1 is SQLite's empty database in WAL mode, sealed
 *   (both layouts, several ciphers and page sizes) or plain.
 * - Snapshots see exactly the commit they began at, across later commits,
 *   checkpoints and restarts of the WAL; a batch sees its own writes.
 * - Cache hits cost no unseal; a small cache evicts and still serves every
 *   page right; when every slot is lent out, a get fails cleanly.
 * - The freelist is SQLite's (trunks and leaves), walked and checked after
 *   every change; pages are reused before the file grows; truncation.
 * - Checkpoints: PASSIVE stops at the oldest snapshot; FULL waits (and says
 *   busy after its timeout); RESTART starts the log over under a live
 *   snapshot; TRUNCATE leaves an empty WAL file.
 * - Recovery: committed frames come back; a torn tail, an uncommitted
 *   transaction and frames after a broken chain do not; a committed frame
 *   whose seal fails is corruption naming the frame and the page.
 * - I/O errors (EIO, ENOSPC, short writes, failed syncs, failed reads)
 *   reach the caller with a message; nothing committed is lost.
 * - Durability modes sync exactly when they say.
 * - Reads of a file the unix VFS opened go to its descriptor; a file that
 *   only looks like the unix VFS's is read through its VFS; a failing read
 *   of the descriptor is an error naming the page and the errno.
 * - Two threads whose reads fail at the same time each get their own cause
 *   in their message.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "pager_faultio.h"
#include "pager_util.h"

static char dir[256];

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
    pu_remove_db(out);
}

static pager *open_cfg(const char *path, const pager_config *cfg, int *rc_out, sealdb_error *err)
{
    pager *p = NULL;
    sealdb_error local;
    const int rc = pager_open(&p, path, cfg, err ? err : &local);
    if (rc_out) {
        *rc_out = rc;
    } else if (rc != SEALDB_OK) {
        fprintf(stderr, "  pager_open %s: %s\n", path, (err ? err : &local)->message);
    }
    return p;
}

static pager *open_new(const char *path, seal_ctx *ctx, uint32_t page_size)
{
    pager_config cfg = {.seal = ctx, .create = 1, .page_size = page_size};
    return open_cfg(path, &cfg, NULL, NULL);
}

/* One batch writing version `version` into each page (allocating up to the
 * highest one first). */
static int commit_versions(pager *p, const uint32_t *pgnos, int n, uint32_t version)
{
    pager_batch *b;
    sealdb_error err;
    int rc = pager_begin(p, &b, &err);
    const uint32_t usable = pager_usable_size(p);
    for (int i = 0; i < n && rc == SEALDB_OK; i++) {
        uint8_t *d;
        while (rc == SEALDB_OK && pgnos[i] > pager_snapshot_page_count(pager_batch_snapshot(b))) {
            uint32_t got;
            rc = pager_allocate(b, &got, &d, &err);
        }
        if (rc == SEALDB_OK) {
            rc = pager_write(b, pgnos[i], &d, &err);
        }
        if (rc == SEALDB_OK) {
            pu_fill(d, usable, pgnos[i], version);
        }
    }
    if (rc != SEALDB_OK) {
        fprintf(stderr, "  batch: %s\n", err.message);
        pager_rollback(b);
        return rc;
    }
    rc = pager_commit(b, &err);
    if (rc != SEALDB_OK) {
        fprintf(stderr, "  commit: %s\n", err.message);
    }
    return rc;
}

static int commit_range(pager *p, uint32_t from, uint32_t to, uint32_t version)
{
    uint32_t pg[4096];
    int n = 0;
    for (uint32_t i = from; i <= to; i++) {
        pg[n++] = i;
    }
    return commit_versions(p, pg, n, version);
}

/* The version of pgno in snapshot s (0: not a pattern page; -1: error). */
static long read_version(pager *p, pager_snapshot *s, uint32_t pgno, int *rc_out, sealdb_error *err)
{
    pager_page *pg;
    sealdb_error local;
    const int rc = pager_get(s, pgno, &pg, err ? err : &local);
    if (rc_out) {
        *rc_out = rc;
    }
    if (rc != SEALDB_OK) {
        return -1;
    }
    const long v = pu_version(pager_page_data(pg), pager_usable_size(p), pgno);
    pager_put(pg);
    return v;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void flip_byte(const char *path, uint64_t off)
{
    const int fd = open(path, O_RDWR);
    uint8_t c = 0;
    CHECK(fd >= 0 && pread(fd, &c, 1, (off_t)off) == 1);
    c ^= 0x40;
    CHECK(pwrite(fd, &c, 1, (off_t)off) == 1);
    close(fd);
}

/* ---- creation ---------------------------------------------------------------------------- */

static void test_create(sealdb_cipher_id cipher, sealdb_layout layout, uint32_t page_size)
{
    char path[512];
    path_of(path, sizeof path, "create.db");
    seal_ctx *ctx = pu_ctx(cipher, layout);
    pager *p = open_new(path, ctx, page_size);
    CHECK(p != NULL);
    if (!p) {
        seal_ctx_close(ctx);
        return;
    }
    const uint32_t reserved = ctx ? seal_ctx_reserved(ctx) : 0;
    CHECK_INT(pager_page_size(p), page_size);
    CHECK_INT(pager_usable_size(p), page_size - reserved);
    pager_snapshot *s;
    CHECK_INT(pager_snapshot_begin(p, &s, NULL), SEALDB_OK);
    CHECK_INT(pager_snapshot_page_count(s), 1);
    pager_page *pg;
    CHECK_INT(pager_get(s, 1, &pg, NULL), SEALDB_OK);
    const uint8_t *d = pager_page_data(pg);
    CHECK_MEM(d, "SQLite format 3", 16);
    CHECK_INT(d[16] << 8 | d[17], page_size == 65536 ? 1 : page_size);
    CHECK_INT(d[18], 2);
    CHECK_INT(d[19], 2);
    CHECK_INT(d[20], reserved);
    CHECK_INT(d[21], 64);
    CHECK_INT(pu_get32(d + 24), 1);
    CHECK_INT(pu_get32(d + 28), 1);
    CHECK_INT(pu_get32(d + 32), 0);
    CHECK_INT(pu_get32(d + 36), 0);
    CHECK_INT(pu_get32(d + 44), 4);
    CHECK_INT(pu_get32(d + 56), 1);
    CHECK_INT(pu_get32(d + 92), 1);
    CHECK(check_all_zero(d + 72, 20));
    CHECK_INT(d[100], 0x0d);
    CHECK_INT((d[105] << 8 | d[106]), (page_size - reserved) & 0xffff);
    pager_put(pg);
    CHECK(pager_get(s, 2, &pg, NULL) == SEALDB_ECORRUPT); /* beyond the end */
    pager_snapshot_end(s);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    CHECK_INT(file_size(path), page_size);
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", path);
    CHECK(!file_exists(wal));
    /* on disk: the magic of the layout */
    uint8_t hdr[16];
    FILE *f = fopen(path, "rb");
    CHECK(f && fread(hdr, 1, 16, f) == 16);
    if (f) {
        fclose(f);
    }
    const char *magic = !ctx                            ? "SQLite format 3"
                        : layout == SEALDB_LAYOUT_TURSO ? "Turso"
                                                        : "sealdb";
    CHECK_MEM(hdr, magic, strlen(magic));
    /* it opens again without create */
    pager_config cfg = {.seal = ctx};
    p = open_cfg(path, &cfg, NULL, NULL);
    CHECK(p != NULL);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    seal_ctx_close(ctx);
    CHECK_CONTEXT("create: cipher %d layout %d page size %u", (int)cipher, (int)layout, page_size);
}

static void test_open_errors(void)
{
    char path[512], other[512];
    path_of(path, sizeof path, "errors.db");
    path_of(other, sizeof other, "plain.db");
    seal_ctx *ctx = pu_ctx(SEALDB_AEGIS256, SEALDB_LAYOUT_HARDENED);
    pager *p = open_new(path, ctx, 4096);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    int rc;
    sealdb_error err;
    /* missing file without create */
    pager_config cfg = {.seal = ctx};
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.db", dir);
    CHECK(open_cfg(missing, &cfg, &rc, &err) == NULL);
    CHECK_INT(rc, SEALDB_EIO);
    /* keys of another database (another salt) */
    uint8_t salt2[SEAL_SALT_BYTES] = {9};
    seal_ctx *other_salt = NULL;
    seal_ctx_create_salted(&other_salt, SEALDB_AEGIS256, SEALDB_LAYOUT_HARDENED, pu_key, 32, salt2,
                           NULL);
    cfg.seal = other_salt;
    CHECK(open_cfg(path, &cfg, &rc, &err) == NULL);
    CHECK_INT(rc, SEALDB_EMISMATCH);
    seal_ctx_close(other_salt);
    /* another cipher */
    seal_ctx *gcm = pu_ctx(SEALDB_AES256GCM, SEALDB_LAYOUT_HARDENED);
    cfg.seal = gcm;
    CHECK(open_cfg(path, &cfg, &rc, &err) == NULL);
    CHECK_INT(rc, SEALDB_EMISMATCH);
    /* no key for a sealed file */
    cfg.seal = NULL;
    CHECK(open_cfg(path, &cfg, &rc, &err) == NULL);
    CHECK_INT(rc, SEALDB_EMISMATCH);
    /* a key for a plain file */
    p = open_new(other, NULL, 4096);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    cfg.seal = gcm;
    CHECK(open_cfg(other, &cfg, &rc, &err) == NULL);
    CHECK_INT(rc, SEALDB_ENOTSEALED);
    /* the right salt but a wrong key: page 1 does not open */
    uint8_t key2[32] = {1};
    seal_ctx *wrong = NULL;
    seal_ctx_create_salted(&wrong, SEALDB_AEGIS256, SEALDB_LAYOUT_HARDENED, key2, 32, pu_salt,
                           NULL);
    cfg.seal = wrong;
    CHECK(open_cfg(path, &cfg, &rc, &err) == NULL);
    CHECK_INT(rc, SEALDB_ECORRUPT);
    CHECK(strstr(err.message, "page 1 ") != NULL);
    seal_ctx_close(wrong);
    /* a page size that is not the file's */
    cfg.seal = ctx;
    cfg.page_size = 1024;
    CHECK(open_cfg(path, &cfg, &rc, &err) == NULL);
    CHECK_INT(rc, SEALDB_EINVAL);
    cfg.page_size = 0;
    /* the same file twice: the second open is refused, not corrupting */
    pager *p1 = open_cfg(path, &cfg, NULL, NULL);
    CHECK(p1 != NULL);
    CHECK(open_cfg(path, &cfg, &rc, &err) == NULL);
    CHECK_INT(rc, SEALDB_EBUSY);
    CHECK(strstr(err.message, "in use") != NULL);
    CHECK_INT(pager_close(p1, NULL), SEALDB_OK);
    /* a hot rollback journal left by SQLite */
    char journal[600];
    snprintf(journal, sizeof journal, "%s-journal", path);
    FILE *j = fopen(journal, "wb");
    static const uint8_t jmagic[8] = {0xd9, 0xd5, 0x05, 0xf9, 0x20, 0xa1, 0x63, 0xd7};
    fwrite(jmagic, 1, 8, j);
    fwrite(salt2, 1, 16, j);
    fclose(j);
    CHECK(open_cfg(path, &cfg, &rc, &err) == NULL);
    CHECK_INT(rc, SEALDB_EFORMAT);
    CHECK(strstr(err.message, "rollback journal") != NULL);
    unlink(journal);
    /* an empty file without create */
    FILE *e = fopen(other, "wb");
    fclose(e);
    cfg.seal = NULL;
    CHECK(open_cfg(other, &cfg, &rc, &err) == NULL);
    CHECK_INT(rc, SEALDB_EFORMAT);
    CHECK_CONTEXT("empty file: %s", err.message);
    /* a page size too small for the cipher */
    pager_config small = {
        .seal = pu_ctx(SEALDB_AEGIS256, SEALDB_LAYOUT_HARDENED), .create = 1, .page_size = 512};
    CHECK(open_cfg(other, &small, &rc, &err) == NULL);
    CHECK_INT(rc, SEALDB_EINVAL);
    seal_ctx_close(small.seal);
    seal_ctx_close(gcm);
    seal_ctx_close(ctx);
}

/* ---- commits and snapshots ---------------------------------------------------------------- */

static void test_snapshots(sealdb_cipher_id cipher)
{
    char path[512];
    path_of(path, sizeof path, "snap.db");
    seal_ctx *ctx = pu_ctx(cipher, SEALDB_LAYOUT_HARDENED);
    pager_config cfg = {.seal = ctx, .create = 1, .autocheckpoint = -1};
    pager *p = open_cfg(path, &cfg, NULL, NULL);
    CHECK_INT(commit_range(p, 2, 11, 1), SEALDB_OK);
    pager_stats st;
    pager_stats_get(p, &st);
    CHECK_INT(st.commits, 1);
    CHECK_INT(st.frames_written, 11); /* ten pages and page 1 */
    CHECK_INT(st.page_count, 11);
    pager_snapshot *s1, *s2, *s3;
    CHECK_INT(pager_snapshot_begin(p, &s1, NULL), SEALDB_OK);
    CHECK_INT(commit_range(p, 2, 6, 2), SEALDB_OK);
    CHECK_INT(pager_snapshot_begin(p, &s2, NULL), SEALDB_OK);
    CHECK_INT(pager_snapshot_frame(s1), 11);
    CHECK_INT(pager_snapshot_frame(s2), 16);
    for (uint32_t pg = 2; pg <= 11; pg++) {
        CHECK_INT(read_version(p, s1, pg, NULL, NULL), 1);
        CHECK_INT(read_version(p, s2, pg, NULL, NULL), pg <= 6 ? 2 : 1);
    }
    /* a batch sees its own writes; a rollback leaves nothing */
    pager_batch *b;
    uint8_t *d;
    CHECK_INT(pager_begin(p, &b, NULL), SEALDB_OK);
    CHECK_INT(pager_write(b, 7, &d, NULL), SEALDB_OK);
    pu_fill(d, pager_usable_size(p), 7, 99);
    CHECK_INT(read_version(p, pager_batch_snapshot(b), 7, NULL, NULL), 99);
    CHECK_INT(read_version(p, pager_batch_snapshot(b), 8, NULL, NULL), 1);
    sealdb_error err;
    CHECK_INT(pager_write(b, 12, &d, &err), SEALDB_ECORRUPT); /* beyond the end */
    pager_rollback(b);
    CHECK_INT(read_version(p, s2, 7, NULL, NULL), 1);
    /* an empty batch commits nothing */
    CHECK_INT(pager_begin(p, &b, NULL), SEALDB_OK);
    CHECK_INT(pager_commit(b, NULL), SEALDB_OK);
    pager_stats_get(p, &st);
    CHECK_INT(st.commits, 2);
    /* fifty commits later, and checkpoints, s1 and s2 see what they saw */
    for (uint32_t v = 3; v < 53; v++) {
        const uint32_t pg[] = {3, 9};
        CHECK_INT(commit_versions(p, pg, 2, v), SEALDB_OK);
        if (v % 10 == 0) {
            uint32_t log, done;
            CHECK_INT(pager_checkpoint(p, PAGER_CHECKPOINT_PASSIVE, &log, &done, NULL), SEALDB_OK);
            CHECK_INT(log, 16 + 2 * (v - 2));
            CHECK_INT(done, 11); /* s1 holds everything after frame 11 */
        }
    }
    for (uint32_t pg = 2; pg <= 11; pg++) {
        CHECK_INT(read_version(p, s1, pg, NULL, NULL), 1);
        CHECK_INT(read_version(p, s2, pg, NULL, NULL), pg <= 6 ? 2 : 1);
    }
    pager_snapshot_end(s1);
    uint32_t log, done;
    CHECK_INT(pager_checkpoint(p, PAGER_CHECKPOINT_PASSIVE, &log, &done, NULL), SEALDB_OK);
    CHECK_INT(done, 16); /* now s2 is the oldest */
    pager_snapshot_end(s2);
    CHECK_INT(pager_checkpoint(p, PAGER_CHECKPOINT_PASSIVE, &log, &done, NULL), SEALDB_OK);
    CHECK_INT(done, log);
    CHECK_INT(pager_snapshot_begin(p, &s3, NULL), SEALDB_OK);
    for (uint32_t pg = 2; pg <= 11; pg++) {
        const long want = pg == 3 || pg == 9 ? 52 : pg <= 6 ? 2 : 1;
        CHECK_INT(read_version(p, s3, pg, NULL, NULL), want);
    }
    pager_snapshot_end(s3);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    /* after the close's checkpoint, the file alone holds it all */
    cfg.create = 0;
    p = open_cfg(path, &cfg, NULL, NULL);
    CHECK_INT(pager_snapshot_begin(p, &s3, NULL), SEALDB_OK);
    CHECK_INT(pager_snapshot_frame(s3), 0);
    for (uint32_t pg = 2; pg <= 11; pg++) {
        const long want = pg == 3 || pg == 9 ? 52 : pg <= 6 ? 2 : 1;
        CHECK_INT(read_version(p, s3, pg, NULL, NULL), want);
    }
    pager_snapshot_end(s3);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    seal_ctx_close(ctx);
    CHECK_CONTEXT("snapshots, cipher %d", (int)cipher);
}

/* ---- the cache ----------------------------------------------------------------------------------
 */

/* A new database of pages 2..last at version 1 written through a cache of
 * cfg->cache_pages, reopened with nothing cached (cfg->create is left 0). */
static pager *open_filled(const char *path, pager_config *cfg, uint32_t last)
{
    cfg->create = 1;
    pager *p = open_cfg(path, cfg, NULL, NULL);
    CHECK_INT(commit_range(p, 2, last, 1), SEALDB_OK);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    cfg->create = 0;
    return open_cfg(path, cfg, NULL, NULL);
}

static void test_cache(void)
{
    char path[512];
    path_of(path, sizeof path, "cache.db");
    seal_ctx *ctx = pu_ctx(SEALDB_AEGIS128L, SEALDB_LAYOUT_HARDENED);
    pager_config cfg = {.seal = ctx, .cache_pages = 16};
    pager *p = open_filled(path, &cfg, 100);
    pager_stats a, b;
    pager_stats_get(p, &a);
    CHECK_INT(a.cache_capacity, 16);
    pager_snapshot *s;
    pager_snapshot_begin(p, &s, NULL);
    /* a miss, then a hit that unseals nothing */
    CHECK_INT(read_version(p, s, 50, NULL, NULL), 1);
    pager_stats_get(p, &b);
    CHECK_INT(b.cache_misses - a.cache_misses, 1);
    CHECK_INT(b.pages_unsealed - a.pages_unsealed, 1);
    CHECK_INT(read_version(p, s, 50, NULL, NULL), 1);
    pager_stats_get(p, &a);
    CHECK_INT(a.cache_hits - b.cache_hits, 1);
    CHECK_INT(a.pages_unsealed, b.pages_unsealed);
    /* twice round 99 pages through 16 slots: evictions, every page right */
    for (int round = 0; round < 2; round++) {
        for (uint32_t pg = 2; pg <= 100; pg++) {
            CHECK_INT(read_version(p, s, pg, NULL, NULL), 1);
        }
    }
    pager_stats_get(p, &b);
    CHECK(b.evictions >= 150);
    CHECK(b.cache_used <= 16);
    /* every slot lent out: the next page cannot come in */
    pager_page *held[16];
    for (uint32_t i = 0; i < 16; i++) {
        CHECK_INT(pager_get(s, 2 + i, &held[i], NULL), SEALDB_OK);
    }
    pager_page *pg;
    sealdb_error err;
    CHECK_INT(pager_get(s, 40, &pg, &err), SEALDB_ENOMEM);
    CHECK(strstr(err.message, "lent out") != NULL);
    CHECK_INT(pager_get(s, 5, &pg, NULL), SEALDB_OK); /* a lent page can be lent again */
    CHECK(pg == held[3]);
    pager_put(pg);
    pager_put(held[0]);
    CHECK_INT(pager_get(s, 40, &pg, NULL), SEALDB_OK);
    CHECK_INT(pu_version(pager_page_data(pg), pager_usable_size(p), 40), 1);
    pager_put(pg);
    for (uint32_t i = 1; i < 16; i++) {
        CHECK_INT(pu_version(pager_page_data(held[i]), pager_usable_size(p), 2 + i), 1);
        pager_put(held[i]);
    }
    pager_snapshot_end(s);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    seal_ctx_close(ctx);
}

/* A batch writes its pages in cache slots (up to a quarter of a cache of
 * 256 pages or more): a rollback gives them back, a commit makes them the
 * new versions' without a copy, so the new versions are hits. Past the
 * budget, pages go to the heap and are copied in at commit. */
static void test_batch_slots(void)
{
    char path[512];
    path_of(path, sizeof path, "slots.db");
    seal_ctx *ctx = pu_ctx(SEALDB_AEGIS256, SEALDB_LAYOUT_HARDENED);
    pager_config cfg = {.seal = ctx, .cache_pages = 256};
    pager *p = open_filled(path, &cfg, 120);
    pager_snapshot *s;
    pager_snapshot_begin(p, &s, NULL);
    for (uint32_t pg = 2; pg <= 120; pg++) {
        CHECK_INT(read_version(p, s, pg, NULL, NULL), 1);
    }
    pager_snapshot_end(s);
    pager_stats a, b;
    pager_stats_get(p, &a);
    /* 60 pages in slots of their own, given back by a rollback */
    pager_batch *bt;
    CHECK_INT(pager_begin(p, &bt, NULL), SEALDB_OK);
    for (uint32_t pg = 2; pg <= 61; pg++) {
        uint8_t *d;
        CHECK_INT(pager_write(bt, pg, &d, NULL), SEALDB_OK);
        pu_fill(d, pager_usable_size(p), pg, 2);
    }
    pager_stats_get(p, &b);
    CHECK_INT(b.cache_used, a.cache_used + 60);
    pager_rollback(bt);
    pager_stats_get(p, &b);
    CHECK_INT(b.cache_used, a.cache_used);
    /* committed: version 2 is in those slots, read without a miss; 100
     * pages are past the budget of 64: 36 are copied in */
    CHECK_INT(commit_range(p, 2, 101, 2), SEALDB_OK);
    pager_stats_get(p, &a);
    CHECK_INT(a.cache_used, b.cache_used + 100);
    pager_snapshot_begin(p, &s, NULL);
    for (uint32_t pg = 2; pg <= 120; pg++) {
        CHECK_INT(read_version(p, s, pg, NULL, NULL), pg <= 101 ? 2 : 1);
    }
    pager_snapshot_end(s);
    pager_stats_get(p, &b);
    CHECK_INT(b.cache_misses, a.cache_misses);
    CHECK_INT(b.pages_unsealed, a.pages_unsealed);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    /* reopened: version 2 from the file */
    p = open_cfg(path, &cfg, NULL, NULL);
    pager_snapshot_begin(p, &s, NULL);
    for (uint32_t pg = 1; pg <= 120; pg++) {
        CHECK_INT(read_version(p, s, pg, NULL, NULL), pg == 1 ? 0 : pg <= 101 ? 2 : 1);
    }
    pager_snapshot_end(s);
    /* pages a truncation drops give their slots back to the batch's budget:
     * 60 dropped, then 59 more all in slots (with page 1, 60 of 64) */
    pager_stats_get(p, &a);
    CHECK_INT(pager_begin(p, &bt, NULL), SEALDB_OK);
    for (uint32_t pg = 61; pg <= 120; pg++) {
        uint8_t *d;
        CHECK_INT(pager_write(bt, pg, &d, NULL), SEALDB_OK);
    }
    CHECK_INT(pager_truncate(bt, 60, NULL), SEALDB_OK);
    for (uint32_t pg = 2; pg <= 60; pg++) {
        uint8_t *d;
        CHECK_INT(pager_write(bt, pg, &d, NULL), SEALDB_OK);
    }
    pager_stats_get(p, &b);
    CHECK_INT(b.cache_used, a.cache_used + 60);
    pager_rollback(bt);
    pager_stats_get(p, &b);
    CHECK_INT(b.cache_used, a.cache_used);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    seal_ctx_close(ctx);
}

/* ---- snapshot tables ----------------------------------------------------------------------
 */

/* A snapshot keeps the versions it read lent to a table of its own and
 * serves them again from there. It must never serve a newer version than
 * its own, a later snapshot must see the new one, and when the cache runs
 * short the tables' pins are taken back without disturbing pages lent out. */
static void test_snapshot_tables(void)
{
    char path[512];
    path_of(path, sizeof path, "tables.db");
    seal_ctx *ctx = pu_ctx(SEALDB_AEGIS128L, SEALDB_LAYOUT_HARDENED);
    pager_config cfg = {.seal = ctx, .create = 1, .cache_pages = 64};
    pager *p = open_cfg(path, &cfg, NULL, NULL);
    CHECK_INT(commit_range(p, 2, 40, 1), SEALDB_OK);
    pager_snapshot *old, *next, *fresh;
    pager_stats a, b;
    pager_snapshot_begin(p, &old, NULL);
    /* a snapshot makes its table after 64 reads */
    for (int i = 0; i < 70; i++) {
        CHECK_INT(read_version(p, old, 40, NULL, NULL), 1);
    }
    for (uint32_t pg = 2; pg <= 40; pg++) {
        CHECK_INT(read_version(p, old, pg, NULL, NULL), 1);
    }
    /* again: all from the table, no miss, nothing unsealed */
    pager_stats_get(p, &a);
    for (uint32_t pg = 2; pg <= 40; pg++) {
        CHECK_INT(read_version(p, old, pg, NULL, NULL), 1);
    }
    pager_stats_get(p, &b);
    CHECK_INT(b.cache_misses, a.cache_misses);
    CHECK_INT(b.pages_unsealed, a.pages_unsealed);
    CHECK_INT(b.cache_hits - a.cache_hits, 39);
    /* a later commit rewrites every page: the old snapshot still sees
     * version 1 (from its table), a new one version 2, twice */
    CHECK_INT(commit_range(p, 2, 40, 2), SEALDB_OK);
    pager_snapshot_begin(p, &next, NULL);
    for (int i = 0; i < 70; i++) {
        CHECK_INT(read_version(p, next, 40, NULL, NULL), 2);
    }
    for (int round = 0; round < 2; round++) {
        for (uint32_t pg = 2; pg <= 40; pg++) {
            CHECK_INT(read_version(p, old, pg, NULL, NULL), 1);
            CHECK_INT(read_version(p, next, pg, NULL, NULL), 2);
        }
    }
    pager_snapshot_end(next);
    /* the old snapshot holds page 2 from its table while another snapshot
     * holds all 39 pages at once: 39 + 39 pins do not fit in 64 slots, so
     * the old table's pins are taken back, but for the page it holds */
    pager_page *mine, *held[39];
    CHECK_INT(pager_get(old, 2, &mine, NULL), SEALDB_OK);
    pager_snapshot_begin(p, &fresh, NULL);
    for (uint32_t pg = 2; pg <= 40; pg++) {
        CHECK_INT(pager_get(fresh, pg, &held[pg - 2], NULL), SEALDB_OK);
    }
    for (uint32_t pg = 2; pg <= 40; pg++) {
        CHECK_INT(pu_version(pager_page_data(held[pg - 2]), pager_usable_size(p), pg), 2);
    }
    CHECK_INT(pu_version(pager_page_data(mine), pager_usable_size(p), 2), 1);
    /* the old snapshot reads on through the page table: version 1 still */
    for (uint32_t pg = 2; pg <= 40; pg++) {
        CHECK_INT(read_version(p, old, pg, NULL, NULL), 1);
    }
    CHECK_INT(pu_version(pager_page_data(mine), pager_usable_size(p), 2), 1);
    pager_put(mine);
    for (uint32_t pg = 2; pg <= 40; pg++) {
        pager_put(held[pg - 2]);
    }
    pager_stats_get(p, &a);
    CHECK(a.cache_used <= 64);
    CHECK(a.tables_reclaimed >= 1);
    pager_snapshot_end(fresh);
    for (uint32_t pg = 2; pg <= 40; pg++) {
        CHECK_INT(read_version(p, old, pg, NULL, NULL), 1);
    }
    pager_snapshot_end(old);
    /* with no other snapshot left, one can hold 39 pages at once again */
    pager_snapshot_begin(p, &fresh, NULL);
    for (uint32_t pg = 2; pg <= 40; pg++) {
        CHECK_INT(pager_get(fresh, pg, &held[pg - 2], NULL), SEALDB_OK);
        CHECK_INT(pu_version(pager_page_data(held[pg - 2]), pager_usable_size(p), pg), 2);
    }
    for (uint32_t pg = 2; pg <= 40; pg++) {
        pager_put(held[pg - 2]);
    }
    pager_snapshot_end(fresh);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    seal_ctx_close(ctx);
}

/* ---- the freelist
 * --------------------------------------------------------------------------------- */

/* Walks the freelist of snapshot s: checks its shape and returns the free
 * pages in *pages (caller frees), their count in *n. */
static int walk_freelist(pager_snapshot *s, uint32_t **pages, uint32_t *n)
{
    pager_page *pg;
    *pages = NULL;
    *n = 0;
    if (pager_get(s, 1, &pg, NULL) != SEALDB_OK) {
        return -1;
    }
    const uint32_t count = pager_snapshot_page_count(s);
    uint32_t trunk = pu_get32(pager_page_data(pg) + 32);
    const uint32_t total = pu_get32(pager_page_data(pg) + 36);
    CHECK_INT(pu_get32(pager_page_data(pg) + 28), count);
    pager_put(pg);
    uint32_t *out = malloc(sizeof *out * (total + 1));
    uint8_t *seen = calloc(count + 1, 1);
    int bad = 0;
    while (trunk && !bad) {
        if (trunk > count || seen[trunk] || *n >= total) {
            bad = 1;
            break;
        }
        seen[trunk] = 1;
        out[(*n)++] = trunk;
        if (pager_get(s, trunk, &pg, NULL) != SEALDB_OK) {
            bad = 1;
            break;
        }
        const uint8_t *d = pager_page_data(pg);
        const uint32_t leaves = pu_get32(d + 4);
        for (uint32_t i = 0; i < leaves && !bad; i++) {
            const uint32_t leaf = pu_get32(d + 8 + 4 * i);
            if (leaf < 2 || leaf > count || seen[leaf] || *n >= total) {
                bad = 1;
                break;
            }
            seen[leaf] = 1;
            out[(*n)++] = leaf;
        }
        trunk = pu_get32(d);
        pager_put(pg);
    }
    free(seen);
    if (bad || *n != total) {
        free(out);
        *pages = NULL;
        return -1;
    }
    *pages = out;
    return 0;
}

/* A snapshot's first reads of cached pages go through the page table's
 * lock-free hint: a page held that way keeps its bytes while other
 * snapshots evict every slot around it, and a snapshot older than a commit
 * is never served the newer version the hint points at. */
static void test_hint(void)
{
    char path[512];
    path_of(path, sizeof path, "hint.db");
    seal_ctx *ctx = pu_ctx(SEALDB_AEGIS256, SEALDB_LAYOUT_HARDENED);
    pager_config cfg = {.seal = ctx, .create = 1, .cache_pages = 16};
    pager *p = open_cfg(path, &cfg, NULL, NULL);
    CHECK_INT(commit_range(p, 2, 100, 1), SEALDB_OK);
    const uint32_t usable = pager_usable_size(p), size = pager_page_size(p);
    /* page 5 cached and hinted by a first reader */
    pager_snapshot *a, *b, *c;
    pager_snapshot_begin(p, &a, NULL);
    CHECK_INT(read_version(p, a, 5, NULL, NULL), 1);
    pager_snapshot_end(a);
    /* held by a new snapshot, while another reads 99 pages through 16 slots */
    pager_snapshot_begin(p, &a, NULL);
    pager_page *held;
    CHECK_INT(pager_get(a, 5, &held, NULL), SEALDB_OK);
    uint8_t *copy = test_xmalloc(size);
    memcpy(copy, pager_page_data(held), size);
    CHECK_INT(pu_version(copy, usable, 5), 1);
    pager_snapshot_begin(p, &b, NULL);
    for (int round = 0; round < 3; round++) {
        for (uint32_t pg = 2; pg <= 100; pg++) {
            CHECK_INT(read_version(p, b, pg, NULL, NULL), 1);
        }
    }
    CHECK_MEM(pager_page_data(held), copy, size);
    pager_put(held);
    pager_snapshot_end(b);
    pager_snapshot_end(a);
    /* a commit after a snapshot began: the hint comes to point at version
     * 2, and the older snapshot still reads version 1 */
    pager_snapshot_begin(p, &a, NULL);
    CHECK_INT(commit_range(p, 2, 10, 2), SEALDB_OK);
    pager_snapshot_begin(p, &b, NULL);
    for (uint32_t pg = 2; pg <= 10; pg++) {
        CHECK_INT(read_version(p, b, pg, NULL, NULL), 2);
    }
    pager_snapshot_begin(p, &c, NULL);
    for (uint32_t pg = 2; pg <= 10; pg++) {
        CHECK_INT(read_version(p, a, pg, NULL, NULL), 1);
        CHECK_INT(read_version(p, c, pg, NULL, NULL), 2);
        CHECK_INT(read_version(p, b, pg, NULL, NULL), 2);
    }
    pager_snapshot_end(c);
    pager_snapshot_end(b);
    pager_snapshot_end(a);
    free(copy);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    seal_ctx_close(ctx);
}

static void test_freelist(uint32_t page_size)
{
    char path[512];
    path_of(path, sizeof path, "free.db");
    seal_ctx *ctx = pu_ctx(SEALDB_AEGIS128L, SEALDB_LAYOUT_HARDENED);
    pager_config cfg = {.seal = ctx, .create = 1, .page_size = page_size, .autocheckpoint = 50};
    pager *p = open_cfg(path, &cfg, NULL, NULL);
    const uint32_t N = 400;
    CHECK_INT(commit_range(p, 2, N + 1, 1), SEALDB_OK);
    /* free them in three batches, in a scrambled order */
    uint32_t order[400];
    for (uint32_t i = 0; i < N; i++) {
        order[i] = 2 + (i * 7919u) % N;
    }
    for (int part = 0; part < 3; part++) {
        pager_batch *b;
        pager_begin(p, &b, NULL);
        for (uint32_t i = part * N / 3; i < (part + 1) * N / 3; i++) {
            CHECK_INT(pager_free(b, order[i], NULL), SEALDB_OK);
        }
        CHECK_INT(pager_commit(b, NULL), SEALDB_OK);
        pager_snapshot *s;
        pager_snapshot_begin(p, &s, NULL);
        uint32_t *fr, n;
        CHECK_INT(walk_freelist(s, &fr, &n), 0);
        CHECK_INT(n, (part + 1) * N / 3);
        CHECK_INT(pager_snapshot_page_count(s), N + 1);
        free(fr);
        pager_snapshot_end(s);
    }
    /* allocation takes free pages, not new ones; they come zeroed */
    pager_batch *b;
    pager_begin(p, &b, NULL);
    uint8_t seen[402] = {0};
    for (uint32_t i = 0; i < 100; i++) {
        uint32_t got;
        uint8_t *d;
        CHECK_INT(pager_allocate(b, &got, &d, NULL), SEALDB_OK);
        CHECK(got >= 2 && got <= N + 1 && !seen[got]);
        seen[got < 402 ? got : 0] = 1;
        CHECK(check_all_zero(d, page_size));
        pu_fill(d, pager_usable_size(p), got, 7);
    }
    CHECK_INT(pager_snapshot_page_count(pager_batch_snapshot(b)), N + 1);
    CHECK_INT(pager_commit(b, NULL), SEALDB_OK);
    pager_snapshot *s;
    pager_snapshot_begin(p, &s, NULL);
    uint32_t *fr, n;
    CHECK_INT(walk_freelist(s, &fr, &n), 0);
    const uint32_t expect_free = N - 100;
    CHECK_INT(n, expect_free);
    for (uint32_t i = 0; i < n; i++) {
        CHECK(!seen[fr[i]]);
    }
    free(fr);
    for (uint32_t pg = 2; pg <= N + 1; pg++) {
        if (seen[pg]) {
            CHECK_INT(read_version(p, s, pg, NULL, NULL), 7);
        }
    }
    pager_snapshot_end(s);
    /* drain the freelist, free the top pages again in one batch, then
     * truncate the file below them */
    pager_begin(p, &b, NULL);
    for (uint32_t i = 0; i < expect_free; i++) {
        uint32_t got;
        uint8_t *d;
        CHECK_INT(pager_allocate(b, &got, &d, NULL), SEALDB_OK);
        CHECK(got <= N + 1);
        pu_fill(d, pager_usable_size(p), got, 8);
    }
    uint32_t got;
    uint8_t *d;
    CHECK_INT(pager_allocate(b, &got, &d, NULL), SEALDB_OK);
    CHECK_INT(got, N + 2); /* the freelist is empty: the file grows */
    pu_fill(d, pager_usable_size(p), got, 8);
    CHECK_INT(pager_truncate(b, 201, NULL), SEALDB_OK);
    CHECK_INT(pager_commit(b, NULL), SEALDB_OK);
    pager_snapshot_begin(p, &s, NULL);
    CHECK_INT(pager_snapshot_page_count(s), 201);
    CHECK_INT(walk_freelist(s, &fr, &n), 0);
    CHECK_INT(n, 0);
    free(fr);
    pager_page *pg;
    CHECK_INT(pager_get(s, 202, &pg, NULL), SEALDB_ECORRUPT);
    pager_snapshot_end(s);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    CHECK_INT(file_size(path), 201ull * page_size);
    /* and after reopening */
    cfg.create = 0;
    p = open_cfg(path, &cfg, NULL, NULL);
    pager_snapshot_begin(p, &s, NULL);
    CHECK_INT(pager_snapshot_page_count(s), 201);
    for (uint32_t pg2 = 2; pg2 <= 201; pg2++) {
        const long v = read_version(p, s, pg2, NULL, NULL);
        CHECK(v == 7 || v == 8);
    }
    pager_snapshot_end(s);
    /* errors: freeing page 1 or a page beyond the end */
    pager_begin(p, &b, NULL);
    sealdb_error err;
    CHECK_INT(pager_free(b, 1, &err), SEALDB_EINVAL);
    CHECK_INT(pager_free(b, 500, &err), SEALDB_EINVAL);
    CHECK_INT(pager_truncate(b, 300, &err), SEALDB_EINVAL);
    pager_rollback(b);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    seal_ctx_close(ctx);
    CHECK_CONTEXT("freelist, page size %u", page_size);
}

/* ---- checkpoints --------------------------------------------------------------------------------
 */

static void test_checkpoints(void)
{
    char path[512], wal[600];
    path_of(path, sizeof path, "ckpt.db");
    snprintf(wal, sizeof wal, "%s-wal", path);
    seal_ctx *ctx = pu_ctx(SEALDB_AES256GCM, SEALDB_LAYOUT_HARDENED);
    pager_config cfg = {.seal = ctx, .create = 1, .autocheckpoint = -1, .busy_timeout_ms = 50};
    pager *p = open_cfg(path, &cfg, NULL, NULL);
    CHECK_INT(commit_range(p, 2, 21, 1), SEALDB_OK); /* frames 1..21 */
    pager_snapshot *old;
    pager_snapshot_begin(p, &old, NULL);
    CHECK_INT(commit_range(p, 2, 11, 2), SEALDB_OK); /* frames 22..31 */
    /* FULL cannot finish while `old` lives: busy after the timeout */
    uint32_t log = 0, done = 0;
    sealdb_error err;
    CHECK_INT(pager_checkpoint(p, PAGER_CHECKPOINT_FULL, &log, &done, &err), SEALDB_EBUSY);
    CHECK(strstr(err.message, "incomplete") != NULL);
    CHECK_INT(log, 31);
    CHECK_INT(done, 21);
    /* RESTART cannot start over either; the old snapshot still reads right */
    CHECK_INT(pager_checkpoint(p, PAGER_CHECKPOINT_RESTART, &log, &done, NULL), SEALDB_EBUSY);
    CHECK_INT(read_version(p, old, 2, NULL, NULL), 1);
    pager_snapshot_end(old);
    CHECK_INT(pager_checkpoint(p, PAGER_CHECKPOINT_FULL, &log, &done, NULL), SEALDB_OK);
    CHECK_INT(done, 31);
    pager_stats st;
    pager_stats_get(p, &st);
    CHECK_INT(st.wal_restarts, 0);
    /* RESTART with a live snapshot at the last commit: it moves to the
     * database file and keeps reading the same pages while new commits
     * write over the old frames */
    pager_snapshot *cur;
    pager_snapshot_begin(p, &cur, NULL);
    CHECK_INT(pager_checkpoint(p, PAGER_CHECKPOINT_RESTART, &log, &done, NULL), SEALDB_OK);
    CHECK_INT(log, 0);
    pager_stats_get(p, &st);
    CHECK_INT(st.wal_restarts, 1);
    for (uint32_t v = 3; v < 10; v++) {
        CHECK_INT(commit_range(p, 2, 21, v), SEALDB_OK);
    }
    for (uint32_t pg = 2; pg <= 21; pg++) {
        CHECK_INT(read_version(p, cur, pg, NULL, NULL), pg <= 11 ? 2 : 1);
    }
    /* a PASSIVE checkpoint meanwhile copies nothing (cur sees none of the
     * new generation's frames) */
    CHECK_INT(pager_checkpoint(p, PAGER_CHECKPOINT_PASSIVE, &log, &done, NULL), SEALDB_OK);
    CHECK_INT(log, 7 * 20);
    CHECK_INT(done, 0);
    pager_snapshot_end(cur);
    /* the next commit after a complete checkpoint starts the log over itself */
    CHECK_INT(pager_checkpoint(p, PAGER_CHECKPOINT_PASSIVE, &log, &done, NULL), SEALDB_OK);
    CHECK_INT(done, log);
    const uint64_t wal_before = file_size(wal);
    CHECK_INT(commit_range(p, 5, 5, 10), SEALDB_OK);
    pager_snapshot_begin(p, &cur, NULL);
    CHECK_INT(pager_snapshot_frame(cur), 1);
    CHECK_INT(read_version(p, cur, 5, NULL, NULL), 10);
    CHECK_INT(read_version(p, cur, 6, NULL, NULL), 9);
    pager_snapshot_end(cur);
    CHECK_INT(file_size(wal), wal_before);
    /* TRUNCATE: an empty WAL file */
    CHECK_INT(pager_checkpoint(p, PAGER_CHECKPOINT_TRUNCATE, &log, &done, NULL), SEALDB_OK);
    CHECK_INT(file_size(wal), 0);
    CHECK_INT(log, 0);
    CHECK_INT(commit_range(p, 6, 6, 11), SEALDB_OK);
    CHECK_INT(file_size(wal), 32 + 24 + 4096);
    pager_snapshot_begin(p, &cur, NULL);
    CHECK_INT(read_version(p, cur, 5, NULL, NULL), 10);
    CHECK_INT(read_version(p, cur, 6, NULL, NULL), 11);
    pager_snapshot_end(cur);
    pager_stats_get(p, &st);
    CHECK_INT(st.wal_restarts, 3);
    /* automatic checkpoints after a configured WAL size */
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    cfg.create = 0;
    cfg.autocheckpoint = 25;
    p = open_cfg(path, &cfg, NULL, NULL);
    for (uint32_t v = 20; v < 30; v++) {
        CHECK_INT(commit_range(p, 2, 11, v), SEALDB_OK);
    }
    pager_stats_get(p, &st);
    CHECK(st.checkpoints >= 3);
    CHECK(st.wal_frames - st.wal_backfilled < 25);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    seal_ctx_close(ctx);
}

/* ---- recovery
 * ------------------------------------------------------------------------------------- */

/* Rewrites the checksum chain of the WAL at path over its stored bytes. */
static void rechain_wal(const char *path, uint32_t page_size)
{
    FILE *f = fopen(path, "r+b");
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    uint8_t *w = malloc((size_t)size);
    fseek(f, 0, SEEK_SET);
    CHECK(fread(w, 1, (size_t)size, f) == (size_t)size);
    const int be = w[3] & 1;
    uint32_t c[2] = {0, 0};
    wal_checksum(be, w, 24, c, c);
    for (long off = 32; off + 24 + (long)page_size <= size; off += 24 + page_size) {
        wal_checksum(be, w + off, 8, c, c);
        wal_checksum(be, w + off + 24, page_size, c, c);
        pu_put32(w + off + 16, c[0]);
        pu_put32(w + off + 20, c[1]);
    }
    fseek(f, 0, SEEK_SET);
    fwrite(w, 1, (size_t)size, f);
    fclose(f);
    free(w);
}

static void test_recovery(void)
{
    char path[512], wal[600];
    path_of(path, sizeof path, "recover.db");
    snprintf(wal, sizeof wal, "%s-wal", path);
    seal_ctx *ctx = pu_ctx(SEALDB_AEGIS256, SEALDB_LAYOUT_HARDENED);
    pager_config cfg = {.seal = ctx, .create = 1, .keep_wal = 1, .autocheckpoint = -1};
    pager *p = open_cfg(path, &cfg, NULL, NULL);
    CHECK_INT(commit_range(p, 2, 9, 1), SEALDB_OK);  /* frames 1..9 */
    CHECK_INT(commit_range(p, 2, 5, 2), SEALDB_OK);  /* 10..13 */
    CHECK_INT(commit_range(p, 6, 12, 3), SEALDB_OK); /* 14..21 (page 1 too) */
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    const uint64_t fsz = 24 + 4096;
    CHECK_INT(file_size(wal), 32 + 21 * fsz);
    CHECK_INT(file_size(path), 4096);
    cfg.create = 0;
    /* everything comes back from the WAL */
    p = open_cfg(path, &cfg, NULL, NULL);
    pager_snapshot *s;
    pager_snapshot_begin(p, &s, NULL);
    CHECK_INT(pager_snapshot_frame(s), 21);
    CHECK_INT(pager_snapshot_page_count(s), 12);
    for (uint32_t pg = 2; pg <= 12; pg++) {
        CHECK_INT(read_version(p, s, pg, NULL, NULL), pg >= 6 ? 3 : 2);
    }
    pager_snapshot_end(s);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    /* a torn last frame: the last commit is gone, the others stay */
    truncate(wal, (off_t)(32 + 20 * fsz + 100));
    p = open_cfg(path, &cfg, NULL, NULL);
    pager_snapshot_begin(p, &s, NULL);
    CHECK_INT(pager_snapshot_frame(s), 13);
    CHECK_INT(pager_snapshot_page_count(s), 9);
    for (uint32_t pg = 2; pg <= 9; pg++) {
        CHECK_INT(read_version(p, s, pg, NULL, NULL), pg <= 5 ? 2 : 1);
    }
    pager_snapshot_end(s);
    /* the next commit writes over the torn tail */
    CHECK_INT(commit_range(p, 7, 7, 4), SEALDB_OK);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    CHECK_INT(file_size(wal), 32 + 20 * fsz + 100);
    p = open_cfg(path, &cfg, NULL, NULL);
    pager_snapshot_begin(p, &s, NULL);
    CHECK_INT(pager_snapshot_frame(s), 14);
    CHECK_INT(read_version(p, s, 7, NULL, NULL), 4);
    CHECK_INT(read_version(p, s, 8, NULL, NULL), 1);
    pager_snapshot_end(s);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    /* a flipped bit in frame 12 breaks the chain there: the log ends at
     * frame 9, the last commit before it */
    flip_byte(wal, 32 + 11 * fsz + 24 + 50);
    p = open_cfg(path, &cfg, NULL, NULL);
    pager_snapshot_begin(p, &s, NULL);
    CHECK_INT(pager_snapshot_frame(s), 9);
    CHECK_INT(read_version(p, s, 2, NULL, NULL), 1);
    pager_snapshot_end(s);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    /* the same flip with the chain recomputed (tampering): the seal of
     * frame 12 fails inside the log, which is corruption, named */
    rechain_wal(wal, 4096);
    int rc;
    sealdb_error err;
    CHECK(open_cfg(path, &cfg, &rc, &err) == NULL);
    CHECK_INT(rc, SEALDB_ECORRUPT);
    CHECK(strstr(err.message, "page 4 in WAL frame 12") != NULL);
    /* a tampered frame past the last commit is never applied nor an error */
    flip_byte(wal, 32 + 11 * fsz + 24 + 50); /* undo */
    rechain_wal(wal, 4096);
    p = open_cfg(path, &cfg, NULL, NULL);
    CHECK(p != NULL);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    truncate(wal, (off_t)(32 + 14 * fsz));
    /* frame 14 is the commit frame of the last transaction; drop its commit
     * mark: an uncommitted transaction, which recovery must not apply */
    uint8_t zero4[4] = {0};
    int fd = open(wal, O_RDWR);
    CHECK(pwrite(fd, zero4, 4, (off_t)(32 + 13 * fsz + 4)) == 4);
    close(fd);
    rechain_wal(wal, 4096);
    p = open_cfg(path, &cfg, NULL, NULL);
    pager_snapshot_begin(p, &s, NULL);
    CHECK_INT(pager_snapshot_frame(s), 13);
    CHECK_INT(read_version(p, s, 7, NULL, NULL), 1);
    pager_snapshot_end(s);
    /* corruption in the database file is named when the page is read */
    cfg.keep_wal = 0;
    CHECK_INT(pager_checkpoint(p, PAGER_CHECKPOINT_TRUNCATE, NULL, NULL, NULL), SEALDB_OK);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    flip_byte(path, 4 * 4096 + 77); /* page 5 */
    p = open_cfg(path, &cfg, NULL, NULL);
    pager_snapshot_begin(p, &s, NULL);
    CHECK_INT(read_version(p, s, 4, NULL, NULL), 2);
    CHECK_INT(read_version(p, s, 5, &rc, &err), -1);
    CHECK_INT(rc, SEALDB_ECORRUPT);
    CHECK(strstr(err.message, "page 5 of") != NULL);
    CHECK(strstr(err.message, "failed authentication") != NULL);
    CHECK_INT(read_version(p, s, 5, &rc, &err), -1); /* still, never served */
    pager_snapshot_end(s);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    seal_ctx_close(ctx);
}

/* ---- I/O errors
 * ------------------------------------------------------------------------------------ */

static void test_io_errors(void)
{
    char path[512];
    path_of(path, sizeof path, "ioerr.db");
    seal_ctx *ctx = pu_ctx(SEALDB_AEGIS128L, SEALDB_LAYOUT_HARDENED);
    faultio *fio = faultio_new(pager_io_default(), 1);
    pager_config cfg = {.io = faultio_io(fio), .seal = ctx, .create = 1, .autocheckpoint = -1};
    pager *p = open_cfg(path, &cfg, NULL, NULL);
    CHECK_INT(commit_range(p, 2, 20, 1), SEALDB_OK);
    sealdb_error err;
    pager_batch *b;
    uint8_t *d;
    static const struct {
        unsigned ops;
        int kind;
        const char *text;
    } faults[] = {
        {FIO_WRITE, FAULT_EIO, "writing WAL frames"},
        {FIO_WRITE, FAULT_ENOSPC, "no space left"},
        {FIO_WRITE, FAULT_SHORT, "no space left"},
        {FIO_SYNC, FAULT_EIO, "syncing the WAL"},
    };
    uint32_t version = 2;
    long expect3 = 1; /* page 3's committed version (a failed sync may have kept one) */
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        pager_begin(p, &b, NULL);
        pager_write(b, 3, &d, NULL);
        pu_fill(d, pager_usable_size(p), 3, 100 + (uint32_t)i);
        faultio_fail_nth(fio, faults[i].ops, 1, faults[i].kind);
        CHECK_INT(pager_commit(b, &err), SEALDB_EIO);
        CHECK(strstr(err.message, faults[i].text) != NULL);
        CHECK_CONTEXT("fault %zu: %s", i, err.message);
        /* nothing of it is visible */
        pager_snapshot *s;
        pager_snapshot_begin(p, &s, NULL);
        CHECK_INT(read_version(p, s, 3, NULL, NULL), expect3);
        pager_snapshot_end(s);
        if (faults[i].ops == FIO_SYNC) {
            /* a failed sync of the WAL stays failed (the kernel may have
             * dropped what it could not write): commits and checkpoints
             * refuse until the database is opened again */
            CHECK_INT(commit_range(p, 4, 4, version), SEALDB_EIO);
            CHECK_INT(pager_checkpoint(p, PAGER_CHECKPOINT_PASSIVE, NULL, NULL, &err), SEALDB_EIO);
            CHECK(strstr(err.message, "an earlier sync of the WAL") != NULL);
            /* the close cuts the failed commit off, writes the log again
             * and syncs it */
            CHECK_INT(pager_close(p, NULL), SEALDB_OK);
            cfg.create = 0;
            p = open_cfg(path, &cfg, NULL, NULL);
            pager_snapshot_begin(p, &s, NULL);
            CHECK_INT(read_version(p, s, 3, NULL, NULL), expect3);
            CHECK_INT(read_version(p, s, 4, NULL, NULL), version - 1);
            pager_snapshot_end(s);
        }
        /* the next commit works */
        CHECK_INT(commit_range(p, 4, 4, version), SEALDB_OK);
        version++;
    }
    /* a failed read on a miss is an error, and the next try works */
    CHECK_INT(pager_checkpoint(p, PAGER_CHECKPOINT_TRUNCATE, NULL, NULL, NULL), SEALDB_OK);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    cfg.create = 0;
    p = open_cfg(path, &cfg, NULL, NULL);
    pager_snapshot *s;
    pager_snapshot_begin(p, &s, NULL);
    faultio_fail_nth(fio, FIO_READ, 1, FAULT_EIO);
    int rc;
    CHECK_INT(read_version(p, s, 10, &rc, &err), -1);
    CHECK_INT(rc, SEALDB_EIO);
    CHECK(strstr(err.message, "reading page 10") != NULL);
    CHECK_INT(read_version(p, s, 10, NULL, NULL), 1);
    pager_snapshot_end(s);
    /* a checkpoint that cannot write the database file: an error, and the
     * WAL keeps everything */
    CHECK_INT(commit_range(p, 2, 20, 50), SEALDB_OK);
    faultio_fail_nth(fio, FIO_WRITE, 3, FAULT_EIO);
    CHECK_INT(pager_checkpoint(p, PAGER_CHECKPOINT_FULL, NULL, NULL, &err), SEALDB_EIO);
    CHECK(strstr(err.message, "writing page") != NULL);
    faultio_fail_nth(fio, FIO_SYNC, 2, FAULT_EIO); /* the database's sync */
    CHECK_INT(pager_checkpoint(p, PAGER_CHECKPOINT_FULL, NULL, NULL, &err), SEALDB_EIO);
    CHECK(strstr(err.message, "syncing") != NULL);
    /* a close whose checkpoint fails reports it and keeps the WAL */
    faultio_fail_nth(fio, FIO_WRITE, 1, FAULT_ENOSPC);
    CHECK_INT(pager_close(p, &err), SEALDB_EIO);
    /* a failing lock at open: an error, and nothing held afterwards */
    faultio_fail_nth(fio, FIO_LOCK, 2, FAULT_EIO);
    CHECK(open_cfg(path, &cfg, &rc, &err) == NULL);
    CHECK_INT(rc, SEALDB_EIO);
    /* all committed data is there */
    p = open_cfg(path, &cfg, NULL, NULL);
    pager_snapshot_begin(p, &s, NULL);
    for (uint32_t pg = 2; pg <= 20; pg++) {
        CHECK_INT(read_version(p, s, pg, NULL, NULL), 50);
    }
    pager_snapshot_end(s);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    faultio_free(fio);
    seal_ctx_close(ctx);
}

/* A commit interrupted between its chunks of frames leaves frames without a
 * commit mark in the WAL: they must never be applied. */
static void test_uncommitted_chunks(void)
{
    char path[512];
    path_of(path, sizeof path, "chunks.db");
    seal_ctx *ctx = pu_ctx(SEALDB_AEGIS128L, SEALDB_LAYOUT_TURSO);
    pager_config cfg = {.seal = ctx, .create = 1, .keep_wal = 1, .autocheckpoint = -1};
    pager *p = open_cfg(path, &cfg, NULL, NULL);
    CHECK_INT(commit_range(p, 2, 300, 1), SEALDB_OK);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    faultio *fio = faultio_new(pager_io_default(), 2);
    cfg.io = faultio_io(fio);
    cfg.create = 0;
    p = open_cfg(path, &cfg, NULL, NULL);
    /* the second write of the commit (frames 129..256 of it) crashes: the
     * first 128 frames are on disk, chained, without a commit frame */
    pager_batch *b;
    pager_begin(p, &b, NULL);
    for (uint32_t pg = 2; pg <= 300; pg++) {
        uint8_t *d;
        pager_write(b, pg, &d, NULL);
        pu_fill(d, pager_usable_size(p), pg, 2);
    }
    faultio_crash_at(fio, faultio_calls(fio) + 2, 0);
    CHECK_INT(pager_commit(b, NULL), SEALDB_EIO);
    CHECK(faultio_crashed(fio));
    pager_close(p, NULL);
    faultio_free(fio);
    cfg.io = NULL;
    p = open_cfg(path, &cfg, NULL, NULL);
    pager_snapshot *s;
    pager_snapshot_begin(p, &s, NULL);
    CHECK_INT(pager_snapshot_frame(s), 300);
    for (uint32_t pg = 2; pg <= 300; pg++) {
        CHECK_INT(read_version(p, s, pg, NULL, NULL), 1);
    }
    pager_snapshot_end(s);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    seal_ctx_close(ctx);
}

/* A commit whose WAL sync fails leaves its frames in the file. The pager
 * then refuses every commit (the sync's failure stays: the kernel may have
 * dropped the frames it could not write, and would not say so to the next
 * sync). Opened again, it recovers the log as the disk holds it, the
 * failed commit or not, and the next commit's checksums chain from what
 * was recovered, or recovery would stop before that commit and lose it. */
static void test_failed_sync_chain(void)
{
    char path[512];
    path_of(path, sizeof path, "syncchain.db");
    seal_ctx *ctx = pu_ctx(SEALDB_AEGIS256, SEALDB_LAYOUT_HARDENED);
    faultio *fio = faultio_new(pager_io_default(), 3);
    pager_config cfg = {
        .io = faultio_io(fio), .seal = ctx, .create = 1, .keep_wal = 1, .autocheckpoint = -1};
    pager *p = open_cfg(path, &cfg, NULL, NULL);
    CHECK_INT(commit_range(p, 2, 6, 1), SEALDB_OK);
    faultio_fail_nth(fio, FIO_SYNC, 1, FAULT_EIO);
    CHECK_INT(commit_range(p, 3, 3, 2), SEALDB_EIO);
    CHECK_INT(commit_range(p, 4, 4, 3), SEALDB_EIO); /* refused: nothing written */
    faultio_crash_at(fio, faultio_calls(fio) + 1, 1);
    pager_close(p, NULL);
    CHECK(faultio_crashed(fio));
    CHECK_INT(faultio_restore(fio), 0);
    faultio_free(fio);
    cfg.io = NULL;
    cfg.create = 0;
    long v3 = 0;
    for (int round = 0; round < 2; round++) {
        p = open_cfg(path, &cfg, NULL, NULL);
        pager_snapshot *s;
        pager_snapshot_begin(p, &s, NULL);
        /* the failed commit's frames: on the disk or not, but the same after
         * the next commit */
        const long v = read_version(p, s, 3, NULL, NULL);
        CHECK(v == 1 || v == 2);
        CHECK(round == 0 || v == v3);
        v3 = v;
        CHECK_INT(read_version(p, s, 4, NULL, NULL), round ? 4 : 1);
        CHECK_INT(read_version(p, s, 6, NULL, NULL), 1);
        pager_snapshot_end(s);
        if (round == 0) {
            CHECK_INT(commit_range(p, 4, 4, 4), SEALDB_OK); /* chained from what was recovered */
        }
        CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    }
    seal_ctx_close(ctx);
}

/* After a failed sync the kernel may keep serving frames it never wrote
 * (the test layer loses them from the disk but reads them back, as a page
 * cache whose pages were marked clean). Opened again in the same boot, a
 * pager would recover such a failed commit and chain the next commits to
 * frames the disk lacks: after a power cut recovery stops at them, and an
 * acknowledged commit is lost. The close after a failed sync therefore
 * cuts the failed commit off and writes the committed log again, synced. */
static void test_failed_sync_repair(void)
{
    char path[512];
    path_of(path, sizeof path, "syncrepair.db");
    seal_ctx *ctx = pu_ctx(SEALDB_AEGIS128L, SEALDB_LAYOUT_HARDENED);
    faultio *fio = faultio_new(pager_io_default(), 5);
    pager_config cfg = {.io = faultio_io(fio),
                        .seal = ctx,
                        .create = 1,
                        .keep_wal = 1,
                        .autocheckpoint = -1,
                        .durability = PAGER_SYNC_FULL};
    pager *p = open_cfg(path, &cfg, NULL, NULL);
    CHECK_INT(commit_range(p, 2, 6, 1), SEALDB_OK); /* A: synced */
    faultio_fail_nth(fio, FIO_SYNC, 1, FAULT_EIO);
    CHECK_INT(commit_range(p, 3, 3, 2), SEALDB_EIO); /* B: its sync fails */
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    cfg.create = 0;
    p = open_cfg(path, &cfg, NULL, NULL);
    pager_snapshot *s;
    pager_snapshot_begin(p, &s, NULL);
    CHECK_INT(read_version(p, s, 3, NULL, NULL), 1); /* B is gone */
    pager_snapshot_end(s);
    CHECK_INT(commit_range(p, 4, 4, 3), SEALDB_OK); /* C: acknowledged at FULL */
    faultio_crash_at(fio, faultio_calls(fio) + 1, 1);
    pager_close(p, NULL);
    CHECK(faultio_crashed(fio));
    CHECK_INT(faultio_restore(fio), 0);
    faultio_free(fio);
    cfg.io = NULL;
    p = open_cfg(path, &cfg, NULL, NULL);
    pager_snapshot_begin(p, &s, NULL);
    CHECK_INT(read_version(p, s, 4, NULL, NULL), 3); /* C survives the power cut */
    CHECK_INT(read_version(p, s, 3, NULL, NULL), 1);
    CHECK_INT(read_version(p, s, 6, NULL, NULL), 1);
    pager_snapshot_end(s);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    seal_ctx_close(ctx);
}

/* ---- durability modes
 * ---------------------------------------------------------------------------- */

static void test_durability(void)
{
    static const pager_durability modes[] = {PAGER_SYNC_FULL, PAGER_SYNC_NORMAL, PAGER_SYNC_OFF};
    for (int m = 0; m < 3; m++) {
        char path[512];
        path_of(path, sizeof path, "sync.db");
        faultio *fio = faultio_new(pager_io_default(), 3);
        seal_ctx *ctx = pu_ctx(SEALDB_AEGIS128L, SEALDB_LAYOUT_HARDENED);
        pager_config cfg = {.io = faultio_io(fio),
                            .seal = ctx,
                            .create = 1,
                            .durability = modes[m],
                            .autocheckpoint = -1};
        pager *p = open_cfg(path, &cfg, NULL, NULL);
        pager_stats st;
        pager_stats_get(p, &st);
        CHECK_INT(st.db_syncs, modes[m] == PAGER_SYNC_OFF ? 0 : 1); /* the new page 1 */
        CHECK_INT(commit_range(p, 2, 5, 1), SEALDB_OK);
        if (modes[m] == PAGER_SYNC_FULL) {
            CHECK_INT(faultio_unsynced(fio), 0);
        } else {
            CHECK(faultio_unsynced(fio) > 0);
        }
        CHECK_INT(pager_checkpoint(p, PAGER_CHECKPOINT_PASSIVE, NULL, NULL, NULL), SEALDB_OK);
        if (modes[m] != PAGER_SYNC_OFF) {
            CHECK_INT(faultio_unsynced(fio), 0);
        } else {
            CHECK(faultio_unsynced(fio) > 0);
        }
        pager_stats_get(p, &st);
        /* full: the emptied log at creation, the new log's header, the
         * commit, the checkpoint; normal: all but the commit; off: none */
        CHECK_INT(st.wal_syncs, modes[m] == PAGER_SYNC_FULL     ? 4
                                : modes[m] == PAGER_SYNC_NORMAL ? 3
                                                                : 0);
        CHECK_INT(pager_close(p, NULL), SEALDB_OK);
        faultio_free(fio);
        seal_ctx_close(ctx);
        CHECK_CONTEXT("durability mode %d", (int)modes[m]);
    }
}

/* ---- reads on the unix VFS's descriptor ---------------------------------- */

/* Reads the unix VFS makes itself, counted through its system-call table. */
static long vfs_preads;
static sqlite3_syscall_ptr real_pread, real_pread64;

static ssize_t counting_pread(int fd, void *buf, size_t n, off_t off)
{
    vfs_preads++;
    return ((ssize_t(*)(int, void *, size_t, off_t))real_pread)(fd, buf, n, off);
}

static ssize_t counting_pread64(int fd, void *buf, size_t n, off_t off)
{
    vfs_preads++;
    return ((ssize_t(*)(int, void *, size_t, off_t))real_pread64)(fd, buf, n, off);
}

/* A VFS over the unix VFS whose files put a decoy where the unix VFS keeps
 * its descriptor: a descriptor of another file. */
typedef struct shim_file {
    const sqlite3_io_methods *methods;
    void *unused[2];
    int decoy;
    sqlite3_file *real; /* follows the struct */
} shim_file;

static sqlite3_vfs *unix_vfs;
static int shim_decoy = -1;

#define SHIM_REAL(f) (((shim_file *)(void *)(f))->real)
static int shim_close(sqlite3_file *f)
{
    return SHIM_REAL(f)->pMethods->xClose(SHIM_REAL(f));
}
static int shim_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{
    return SHIM_REAL(f)->pMethods->xRead(SHIM_REAL(f), b, n, o);
}
static int shim_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{
    return SHIM_REAL(f)->pMethods->xWrite(SHIM_REAL(f), b, n, o);
}
static int shim_truncate(sqlite3_file *f, sqlite3_int64 n)
{
    return SHIM_REAL(f)->pMethods->xTruncate(SHIM_REAL(f), n);
}
static int shim_sync(sqlite3_file *f, int flags)
{
    return SHIM_REAL(f)->pMethods->xSync(SHIM_REAL(f), flags);
}
static int shim_size(sqlite3_file *f, sqlite3_int64 *n)
{
    return SHIM_REAL(f)->pMethods->xFileSize(SHIM_REAL(f), n);
}
static int shim_lock(sqlite3_file *f, int l)
{
    return SHIM_REAL(f)->pMethods->xLock(SHIM_REAL(f), l);
}
static int shim_unlock(sqlite3_file *f, int l)
{
    return SHIM_REAL(f)->pMethods->xUnlock(SHIM_REAL(f), l);
}
static int shim_reserved(sqlite3_file *f, int *out)
{
    return SHIM_REAL(f)->pMethods->xCheckReservedLock(SHIM_REAL(f), out);
}
static int shim_fcntl(sqlite3_file *f, int op, void *arg)
{
    return SHIM_REAL(f)->pMethods->xFileControl(SHIM_REAL(f), op, arg);
}
static int shim_sector(sqlite3_file *f)
{
    return SHIM_REAL(f)->pMethods->xSectorSize(SHIM_REAL(f));
}
static int shim_device(sqlite3_file *f)
{
    return SHIM_REAL(f)->pMethods->xDeviceCharacteristics(SHIM_REAL(f));
}
static const sqlite3_io_methods shim_methods = {
    .iVersion = 1,
    .xClose = shim_close,
    .xRead = shim_read,
    .xWrite = shim_write,
    .xTruncate = shim_truncate,
    .xSync = shim_sync,
    .xFileSize = shim_size,
    .xLock = shim_lock,
    .xUnlock = shim_unlock,
    .xCheckReservedLock = shim_reserved,
    .xFileControl = shim_fcntl,
    .xSectorSize = shim_sector,
    .xDeviceCharacteristics = shim_device,
};

static int shim_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
                     int *out_flags)
{
    (void)vfs;
    shim_file *sf = (shim_file *)(void *)f;
    memset(sf, 0, sizeof *sf);
    sf->real = (sqlite3_file *)(void *)(sf + 1);
    sf->decoy = shim_decoy;
    const int rc = unix_vfs->xOpen(unix_vfs, name, sf->real, flags, out_flags);
    if (sf->real->pMethods) {
        sf->methods = &shim_methods;
    }
    return rc;
}

/* The descriptor this process has open on path (the newest), or -1. */
static int fd_of_path(const char *path)
{
    char want[PATH_MAX], link[64], got[PATH_MAX];
    if (!realpath(path, want)) {
        return -1;
    }
    int found = -1;
    for (int fd = 3; fd < 1024; fd++) {
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        const ssize_t n = readlink(link, got, sizeof got - 1);
        if (n > 0) {
            got[n] = 0;
            found = strcmp(got, want) == 0 ? fd : found;
        }
    }
    return found;
}

/* Count the pager's reads that reach the unix VFS's pread: none with the
 * unix VFS itself (the pager reads its descriptor), all of them with a VFS
 * whose file only looks like the unix VFS's and whose descriptor is refused
 * (another file's, a write-only one, a VFS not named unix or unix-...); the
 * pages read right every way. */
static void test_direct_reads(void)
{
    unix_vfs = sqlite3_vfs_find("unix");
    CHECK(unix_vfs != NULL);
    if (!unix_vfs) {
        return;
    }
    real_pread = unix_vfs->xGetSystemCall(unix_vfs, "pread");
    real_pread64 = unix_vfs->xGetSystemCall(unix_vfs, "pread64");
    CHECK(real_pread != NULL || real_pread64 != NULL);
    if (real_pread) {
        unix_vfs->xSetSystemCall(unix_vfs, "pread", (sqlite3_syscall_ptr)counting_pread);
    }
    if (real_pread64) {
        unix_vfs->xSetSystemCall(unix_vfs, "pread64", (sqlite3_syscall_ptr)counting_pread64);
    }
    char path[512], other[512];
    path_of(path, sizeof path, "direct.db");
    path_of(other, sizeof other, "decoy.db");
    seal_ctx *ctx = pu_ctx(SEALDB_AEGIS128L, SEALDB_LAYOUT_HARDENED);
    pager_config cfg = {.seal = ctx, .cache_pages = 16};
    pager *p = open_filled(path, &cfg, 60);
    pager_snapshot *s;
    pager_snapshot_begin(p, &s, NULL);
    vfs_preads = 0;
    for (uint32_t pg = 2; pg <= 60; pg++) {
        CHECK_INT(read_version(p, s, pg, NULL, NULL), 1);
    }
    CHECK_INT(vfs_preads, 0);
    pager_snapshot_end(s);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);

    /* a failing read of the descriptor is an error with its errno: the
     * pager's descriptor is made a write-only one, then given back */
    p = open_cfg(path, &cfg, NULL, NULL);
    const int fd = fd_of_path(path);
    CHECK(fd >= 0);
    if (p && fd >= 0) {
        const int wo = open("/dev/null", O_WRONLY);
        CHECK_INT(dup2(wo, fd), fd);
        pager_snapshot_begin(p, &s, NULL);
        sealdb_error err;
        pager_page *pg;
        CHECK_INT(pager_get(s, 30, &pg, &err), SEALDB_EIO);
        CHECK(strstr(err.message, "reading page 30") != NULL);
        CHECK(strstr(err.message, "(errno 9)") != NULL); /* EBADF */
        const int rw = open(path, O_RDWR);
        CHECK_INT(dup2(rw, fd), fd);
        CHECK_INT(read_version(p, s, 30, NULL, NULL), 1); /* and it reads again */
        pager_snapshot_end(s);
        close(wo);
        close(rw);
    }
    if (p) {
        pager_close(p, NULL);
    }

    /* files that only look like the unix VFS's: the decoy is another file's
     * descriptor, a write-only one of this very file, or a readable one of
     * it under a VFS whose name is not the unix VFS's (all refused), or a
     * readable one of it under a "unix-" name (taken) */
    const int other_fd = open(other, O_RDWR | O_CREAT, 0600);
    CHECK(other_fd >= 0);
    CHECK_INT((int)write(other_fd, "decoy", 5), 5);
    const int wo_fd = open(path, O_WRONLY), ro_fd = open(path, O_RDONLY);
    CHECK(wo_fd >= 0 && ro_fd >= 0);
    const struct {
        const char *vfs;
        int decoy;
        long preads;
    } shims[] = {
        {"unix-shim", other_fd, 59}, {"unix-shim", wo_fd, 59}, {"shim-unix", ro_fd, 59},
        {"unixshim", ro_fd, 59},     {"unix-shim", ro_fd, 0},
    };
    for (size_t k = 0; k < sizeof shims / sizeof shims[0]; k++) {
        shim_decoy = shims[k].decoy;
        sqlite3_vfs shim = *unix_vfs;
        shim.zName = shims[k].vfs;
        shim.szOsFile = (int)sizeof(shim_file) + unix_vfs->szOsFile;
        shim.xOpen = shim_open;
        shim.pNext = NULL;
        pager_io io = *pager_io_default();
        io.ctx = &shim;
        cfg.io = &io;
        p = open_cfg(path, &cfg, NULL, NULL);
        CHECK(p != NULL);
        if (p) {
            pager_snapshot_begin(p, &s, NULL);
            vfs_preads = 0;
            for (uint32_t pg = 2; pg <= 60; pg++) {
                CHECK_INT(read_version(p, s, pg, NULL, NULL), 1);
            }
            CHECK_INT(vfs_preads, shims[k].preads);
            pager_snapshot_end(s);
            CHECK_INT(pager_close(p, NULL), SEALDB_OK);
        }
        CHECK_CONTEXT("VFS %s, decoy %d", shims[k].vfs, (int)k);
    }
    close(wo_fd);
    close(ro_fd);
    close(other_fd);
    unix_vfs->xSetSystemCall(unix_vfs, "pread", NULL);
    unix_vfs->xSetSystemCall(unix_vfs, "pread64", NULL);
    seal_ctx_close(ctx);
}

/* ---- each thread's own errno ------------------------------------------------------------------
 * Thread A's read of the database fails with EIO and, before it returns,
 * waits until thread B's read (which starts only then) has failed with
 * ENOSPC. A shared errno slot would give A's message B's cause. */

static pager_io twin_io;
static const pager_io *twin_under;
static pthread_mutex_t twin_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t twin_cv = PTHREAD_COND_INITIALIZER;
static int twin_a_in, twin_b_failed;
static _Thread_local int twin_role; /* 0: reads pass; 1: A; 2: B */

static int twin_open(const pager_io *io, const char *path, pager_file_kind kind, int create,
                     pager_file **out)
{
    (void)io;
    const int rc = twin_under->open(twin_under, path, kind, create, out);
    if (rc == SEALDB_OK) {
        (*out)->io = &twin_io; /* its other methods stay the default layer's */
    }
    return rc;
}

/* Waits (twin_mu held) until *flag is set, for at most ten seconds. */
static void twin_wait(const int *flag)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    while (!*flag && pthread_cond_timedwait(&twin_cv, &twin_mu, &until) == 0) {
    }
}

static int twin_read(pager_file *f, void *buf, size_t n, uint64_t off)
{
    if (twin_role == 0) {
        return twin_under->read(f, buf, n, off);
    }
    pthread_mutex_lock(&twin_mu);
    if (twin_role == 2) {
        pager_io_set_errno(ENOSPC);
        twin_b_failed = 1;
        pthread_cond_broadcast(&twin_cv);
    } else {
        pager_io_set_errno(EIO);
        twin_a_in = 1;
        pthread_cond_broadcast(&twin_cv);
        twin_wait(&twin_b_failed);
    }
    pthread_mutex_unlock(&twin_mu);
    return SEALDB_EIO;
}

typedef struct twin_arg {
    pager *p;
    int role;
    uint32_t pgno;
    int rc;
    sealdb_error err;
} twin_arg;

static void *twin_main(void *arg)
{
    twin_arg *a = arg;
    twin_role = a->role;
    if (a->role == 2) {
        pthread_mutex_lock(&twin_mu);
        twin_wait(&twin_a_in);
        pthread_mutex_unlock(&twin_mu);
    }
    pager_snapshot *s;
    a->rc = pager_snapshot_begin(a->p, &s, &a->err);
    if (a->rc == SEALDB_OK) {
        pager_page *pg;
        a->rc = pager_get(s, a->pgno, &pg, &a->err);
        if (a->rc == SEALDB_OK) {
            pager_put(pg);
        }
        pager_snapshot_end(s);
    }
    return NULL;
}

static void test_errno_per_thread(void)
{
    char path[512];
    path_of(path, sizeof path, "twin.db");
    seal_ctx *ctx = pu_ctx(SEALDB_AEGIS256, SEALDB_LAYOUT_HARDENED);
    pager_config cfg = {.seal = ctx, .cache_pages = 16};
    pager *p = open_filled(path, &cfg, 40);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    twin_under = pager_io_default();
    twin_io = *twin_under;
    twin_io.open = twin_open;
    twin_io.read = twin_read;
    cfg.io = &twin_io;
    p = open_cfg(path, &cfg, NULL, NULL);
    CHECK(p != NULL);
    if (!p) {
        seal_ctx_close(ctx);
        return;
    }
    twin_arg a = {.p = p, .role = 1, .pgno = 10}, b = {.p = p, .role = 2, .pgno = 20};
    pthread_t ta, tb;
    CHECK_INT(pthread_create(&ta, NULL, twin_main, &a), 0);
    CHECK_INT(pthread_create(&tb, NULL, twin_main, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK_INT(twin_a_in, 1);
    CHECK_INT(twin_b_failed, 1);
    CHECK_INT(a.rc, SEALDB_EIO);
    CHECK_INT(b.rc, SEALDB_EIO);
    CHECK(strstr(a.err.message, "reading page 10 of ") != NULL);
    CHECK(strstr(a.err.message, ": input/output error") != NULL);
    CHECK(strstr(b.err.message, "reading page 20 of ") != NULL);
    CHECK(strstr(b.err.message, ": no space left on the device") != NULL);
    /* and the pages read once the reads pass again */
    pager_snapshot *s;
    CHECK_INT(pager_snapshot_begin(p, &s, NULL), SEALDB_OK);
    CHECK_INT(read_version(p, s, 10, NULL, NULL), 1);
    CHECK_INT(read_version(p, s, 20, NULL, NULL), 1);
    pager_snapshot_end(s);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    seal_ctx_close(ctx);
}

/* ---- a WAL left beside a database created anew ---------------------------------------------
 *
 * A database is created at a path whose file is empty while an old WAL lies
 * beside it. Creating it once wrote and synced page 1 first and truncated
 * the WAL after, unsynced: a power cut before the first commit kept the old
 * WAL, which the next open took for the new database's (its pages came
 * back, or the open failed on seals of another key). Now the WAL is emptied
 * and synced before page 1 is written. Each seed cuts the power at the
 * first I/O call after the open; the reopened database must be the new,
 * empty one. */
static void copy_file(const char *from, const char *to)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    CHECK(system(cmd) == 0);
}

static void test_stale_wal_at_create(sealdb_cipher_id cipher)
{
    char path[512], wal[600], saved[600];
    snprintf(path, sizeof path, "%s/stale.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(saved, sizeof saved, "%s/saved-wal", dir);
    pu_remove_db(path);
    seal_ctx *ctx = pu_ctx(cipher, SEALDB_LAYOUT_HARDENED);
    pager_config cfg = {.seal = ctx, .create = 1, .keep_wal = 1, .autocheckpoint = -1};
    pager *p = NULL;
    CHECK_INT(pager_open(&p, path, &cfg, NULL), SEALDB_OK);
    CHECK_INT(commit_range(p, 2, 5, 7), SEALDB_OK);
    CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    copy_file(wal, saved); /* the old database's WAL: pages 1-5 */
    int wrong = 0;
    for (uint64_t seed = 1; seed <= 16; seed++) {
        pu_remove_db(path);
        copy_file(saved, wal);
        const int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644); /* an empty file */
        CHECK(fd >= 0);
        close(fd);
        faultio *fio = faultio_new(pager_io_default(), seed);
        pager_config c2 = {.io = faultio_io(fio),
                           .seal = ctx,
                           .create = 1,
                           .keep_wal = 1,
                           .autocheckpoint = -1,
                           .durability = PAGER_SYNC_FULL};
        CHECK_INT(pager_open(&p, path, &c2, NULL), SEALDB_OK);
        faultio_crash_at(fio, faultio_calls(fio) + 1, 1); /* the power goes */
        pager_close(p, NULL);
        CHECK(faultio_crashed(fio));
        CHECK_INT(faultio_restore(fio), 0);
        faultio_free(fio);
        pager_config c3 = {.seal = ctx, .keep_wal = 1, .autocheckpoint = -1};
        sealdb_error err;
        if (pager_open(&p, path, &c3, &err) != SEALDB_OK) {
            if (wrong++ == 0) {
                fprintf(stderr, "stale WAL, seed %llu: the new database does not open: %s\n",
                        (unsigned long long)seed, err.message);
            }
            continue;
        }
        pager_snapshot *s = NULL;
        CHECK_INT(pager_snapshot_begin(p, &s, NULL), SEALDB_OK);
        const uint32_t n = s ? pager_snapshot_page_count(s) : 0;
        if (n != 1 && wrong++ == 0) {
            fprintf(stderr, "stale WAL, seed %llu: the new database has %u pages\n",
                    (unsigned long long)seed, n);
        }
        pager_snapshot_end(s);
        CHECK_INT(pager_close(p, NULL), SEALDB_OK);
    }
    CHECK_INT(wrong, 0);
    pu_remove_db(path);
    unlink(saved);
    seal_ctx_close(ctx);
}

int main(void)
{
    if (crypto_init() != 0) {
        fprintf(stderr, "crypto_init failed\n");
        return 1;
    }
    pu_tempdir(dir, sizeof dir, "pager");
    test_create(0, SEALDB_LAYOUT_DEFAULT, 4096);
    test_create(0, SEALDB_LAYOUT_DEFAULT, 65536);
    test_create(SEALDB_AEGIS128L, SEALDB_LAYOUT_HARDENED, 512);
    test_create(SEALDB_AEGIS256, SEALDB_LAYOUT_TURSO, 1024);
    test_create(SEALDB_AES256GCM, SEALDB_LAYOUT_HARDENED, 4096);
    test_create(SEALDB_AEGIS128X2, SEALDB_LAYOUT_HARDENED, 65536);
    test_open_errors();
    test_snapshots(0);
    test_snapshots(SEALDB_AEGIS128L);
    test_snapshots(SEALDB_AES128GCM);
    test_cache();
    test_batch_slots();
    test_snapshot_tables();
    test_hint();
    test_freelist(512);
    test_freelist(4096);
    test_checkpoints();
    test_recovery();
    test_io_errors();
    test_uncommitted_chunks();
    test_failed_sync_chain();
    test_failed_sync_repair();
    test_durability();
    test_direct_reads();
    test_errno_per_thread();
    test_stale_wal_at_create(0);
    test_stale_wal_at_create(SEALDB_AEGIS256);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (!check_failures && system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return check_report();
}
