/*
 * test_pager_threads.c - snapshots under threads.
 *
 * One writer commits batches (page 2 says which commit it is; a random
 * subset of the other pages gets that commit's version), a checkpointer
 * runs every checkpoint mode in a loop, and several readers each take a
 * snapshot, learn from page 2 which commit it shows, check every page
 * against that commit, hold the snapshot while more commits, checkpoints
 * and restarts of the WAL go by, and check every page again. The cache is
 * small so that pages are evicted and read back (from the WAL or the file)
 * while all this happens. A hog holds half the cache at once in its own
 * snapshots, so that misses find every slot lent and take the readers'
 * snapshot tables back while the readers are in and out of them (their
 * second pass reads from their tables). Run under ThreadSanitizer by the
 * TSan build.
 *
 * Usage: test_pager_threads [commits (300)]
 */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "check.h"
#include "pager_util.h"

#define PAGES 64 /* pages 2..PAGES+1 */
#define READERS 4
#define HOG_PAGES 16 /* with the tables' budget (8), the whole cache */

typedef struct shared {
    pager *p;
    uint32_t usable;
    uint32_t commits;
    uint32_t (*state)[PAGES + 2]; /* state[k][pg]: version of pg after commit k */
    int done;                     /* atomic */
    long verified[READERS];
    long checkpoints, busy, hogged;
    int errors; /* atomic */
} shared;

static void error_once(shared *sh, const char *what, long a, long b)
{
    if (__atomic_fetch_add(&sh->errors, 1, __ATOMIC_RELAXED) < 10) {
        fprintf(stderr, "%s (%ld, %ld)\n", what, a, b);
    }
}

/* Checks every page of s against commit k; returns 0 or -1. */
static int check_all(shared *sh, pager_snapshot *s, uint32_t k)
{
    for (uint32_t pg = 2; pg <= PAGES + 1; pg++) {
        pager_page *h;
        sealdb_error err;
        if (pager_get(s, pg, &h, &err) != SEALDB_OK) {
            error_once(sh, err.message, pg, k);
            return -1;
        }
        const uint32_t v = pu_version(pager_page_data(h), sh->usable, pg);
        pager_put(h);
        if (v != sh->state[k][pg]) {
            error_once(sh, "a snapshot sees a wrong version (page, commit)", pg, k);
            return -1;
        }
    }
    return 0;
}

static void *writer(void *arg)
{
    shared *sh = arg;
    test_rng rng = {77};
    for (uint32_t k = 1; k <= sh->commits; k++) {
        pager_batch *b;
        sealdb_error err;
        pager_begin(sh->p, &b, NULL);
        memcpy(sh->state[k], sh->state[k - 1], sizeof sh->state[k]);
        const uint32_t n = 1 + (uint32_t)(test_rng_next(&rng) % 12);
        for (uint32_t i = 0; i <= n; i++) {
            const uint32_t pg = i == 0 ? 2 : 3 + (uint32_t)(test_rng_next(&rng) % (PAGES - 1));
            uint8_t *d;
            if (pager_write(b, pg, &d, &err) != SEALDB_OK) {
                error_once(sh, err.message, pg, k);
                break;
            }
            pu_fill(d, sh->usable, pg, k + 1);
            sh->state[k][pg] = k + 1;
        }
        if (pager_commit(b, &err) != SEALDB_OK) {
            error_once(sh, err.message, k, 0);
        }
        if (k % 8 == 0) {
            sched_yield();
        }
    }
    __atomic_store_n(&sh->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

typedef struct reader_arg {
    shared *sh;
    int id;
} reader_arg;

static void *reader(void *arg)
{
    reader_arg *ra = arg;
    shared *sh = ra->sh;
    while (!__atomic_load_n(&sh->done, __ATOMIC_ACQUIRE)) {
        pager_snapshot *s;
        pager_snapshot_begin(sh->p, &s, NULL);
        pager_page *h;
        if (pager_get(s, 2, &h, NULL) != SEALDB_OK) {
            error_once(sh, "page 2 unreadable", ra->id, 0);
            pager_snapshot_end(s);
            break;
        }
        const uint32_t v = pu_version(pager_page_data(h), sh->usable, 2);
        pager_put(h);
        const uint32_t k = v - 1; /* commit k writes version k + 1 */
        if (v == 0 || k > sh->commits) {
            error_once(sh, "page 2 carries no commit number", ra->id, v);
            pager_snapshot_end(s);
            break;
        }
        if (check_all(sh, s, k) != 0) {
            pager_snapshot_end(s);
            break;
        }
        /* hold it while the others go on */
        for (int i = 0; i < 3 + ra->id; i++) {
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
        }
        if (check_all(sh, s, k) != 0) {
            pager_snapshot_end(s);
            break;
        }
        pager_snapshot_end(s);
        sh->verified[ra->id]++;
    }
    return NULL;
}

/* Holds HOG_PAGES pages of one snapshot at once, checks them after the
 * others had a turn, lets go. */
static void *hog(void *arg)
{
    shared *sh = arg;
    test_rng rng = {99};
    while (!__atomic_load_n(&sh->done, __ATOMIC_ACQUIRE)) {
        pager_snapshot *s;
        pager_snapshot_begin(sh->p, &s, NULL);
        pager_page *h[HOG_PAGES];
        uint32_t pgs[HOG_PAGES];
        sealdb_error err;
        int n = 0, bad = 0;
        if (pager_get(s, 2, &h[0], &err) != SEALDB_OK) {
            error_once(sh, err.message, 2, -1);
            pager_snapshot_end(s);
            break;
        }
        pgs[n++] = 2;
        const uint32_t k = pu_version(pager_page_data(h[0]), sh->usable, 2) - 1;
        while (n < HOG_PAGES && !bad) {
            pgs[n] = 3 + (uint32_t)(test_rng_next(&rng) % (PAGES - 1));
            if (pager_get(s, pgs[n], &h[n], &err) != SEALDB_OK) {
                error_once(sh, err.message, pgs[n], k);
                bad = 1;
            } else {
                n++;
            }
        }
        sched_yield();
        for (int i = 0; i < n; i++) {
            if (k > sh->commits ||
                pu_version(pager_page_data(h[i]), sh->usable, pgs[i]) != sh->state[k][pgs[i]]) {
                error_once(sh, "a page held by the hog is not its commit's (page, commit)", pgs[i],
                           k);
            }
            pager_put(h[i]);
        }
        pager_snapshot_end(s);
        sh->hogged++;
        if (bad) {
            break;
        }
    }
    return NULL;
}

static void *checkpointer(void *arg)
{
    shared *sh = arg;
    int mode = 0;
    while (!__atomic_load_n(&sh->done, __ATOMIC_ACQUIRE)) {
        sealdb_error err;
        const int rc =
            pager_checkpoint(sh->p, (pager_checkpoint_mode)(mode++ % 4), NULL, NULL, &err);
        if (rc == SEALDB_EBUSY) {
            sh->busy++;
        } else if (rc != SEALDB_OK) {
            error_once(sh, err.message, rc, 0);
        }
        sh->checkpoints++;
        struct timespec ts = {0, 300000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void run(sealdb_cipher_id cipher, uint32_t commits, const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/threads.db", dir);
    pu_remove_db(path);
    seal_ctx *ctx = pu_ctx(cipher, SEALDB_LAYOUT_HARDENED);
    pager_config cfg = {.seal = ctx,
                        .create = 1,
                        .cache_pages = 24,
                        .durability = PAGER_SYNC_NORMAL,
                        .autocheckpoint = 40,
                        .busy_timeout_ms = 20};
    shared sh = {0};
    sealdb_error err;
    if (pager_open(&sh.p, path, &cfg, &err) != SEALDB_OK) {
        fprintf(stderr, "%s\n", err.message);
        CHECK(0);
        return;
    }
    sh.usable = pager_usable_size(sh.p);
    sh.commits = commits;
    sh.state = calloc(commits + 1, sizeof *sh.state);
    /* commit 0: every page at version 1 (commit k writes version k + 1) */
    pager_batch *b;
    pager_begin(sh.p, &b, NULL);
    for (uint32_t pg = 2; pg <= PAGES + 1; pg++) {
        uint32_t got;
        uint8_t *d;
        CHECK_INT(pager_allocate(b, &got, &d, NULL), SEALDB_OK);
        CHECK_INT(got, pg);
        pu_fill(d, sh.usable, pg, 1);
        sh.state[0][pg] = 1;
    }
    CHECK_INT(pager_commit(b, NULL), SEALDB_OK);
    pthread_t w, c, g, r[READERS];
    reader_arg ra[READERS];
    pthread_create(&w, NULL, writer, &sh);
    pthread_create(&c, NULL, checkpointer, &sh);
    pthread_create(&g, NULL, hog, &sh);
    for (int i = 0; i < READERS; i++) {
        ra[i] = (reader_arg){&sh, i};
        pthread_create(&r[i], NULL, reader, &ra[i]);
    }
    pthread_join(w, NULL);
    pthread_join(c, NULL);
    pthread_join(g, NULL);
    long verified = 0;
    for (int i = 0; i < READERS; i++) {
        pthread_join(r[i], NULL);
        verified += sh.verified[i];
    }
    CHECK_INT(sh.errors, 0);
    CHECK(verified > 0);
    pager_stats st;
    pager_stats_get(sh.p, &st);
    printf("cipher %d: %u commits, %ld snapshots checked twice, %ld held by the hog, %ld "
           "checkpoints (%ld busy), %llu restarts, %llu evictions, %llu tables taken back\n",
           (int)cipher, commits, verified, sh.hogged, sh.checkpoints, sh.busy,
           (unsigned long long)st.wal_restarts, (unsigned long long)st.evictions,
           (unsigned long long)st.tables_reclaimed);
    CHECK_INT(pager_close(sh.p, NULL), SEALDB_OK);
    /* and the file holds the last commit */
    cfg.create = 0;
    CHECK_INT(pager_open(&sh.p, path, &cfg, NULL), SEALDB_OK);
    pager_snapshot *s;
    pager_snapshot_begin(sh.p, &s, NULL);
    CHECK_INT(check_all(&sh, s, commits), 0);
    pager_snapshot_end(s);
    CHECK_INT(pager_close(sh.p, NULL), SEALDB_OK);
    free(sh.state);
    seal_ctx_close(ctx);
    CHECK_CONTEXT("threads, cipher %d", (int)cipher);
}

int main(int argc, char **argv)
{
    const uint32_t commits = argc > 1 ? (uint32_t)atol(argv[1]) : 300;
    if (crypto_init() != 0) {
        return 1;
    }
    char dir[256];
    pu_tempdir(dir, sizeof dir, "pager-threads");
    run(SEALDB_AEGIS128L, commits, dir);
    run(SEALDB_AES256GCM, commits, dir); /* serialised unsealing */
    run(0, commits, dir);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (!check_failures && system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return check_report();
}
