/*
 * test_mvcc.c - the transaction manager (engine/mvcc.c): isolation rules,
 * conflicts, group commit, and a bank-transfer invariant under threads.
 *
 * Storage here is a model: a versioned map from (space, key) to values,
 * each version tagged with the sequence number of the commit that wrote it;
 * a transaction reads the newest version at or below its snapshot, over its
 * own writes. apply_group appends a group's versions (optionally refusing
 * it, or holding it until the test lets it go). The manager does not know
 * the difference; the native engine's storage hook replaces the model.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "mvcc.h"

/* ---- the model store ------------------------------------------------------------------------ */

typedef struct version {
    uint64_t seq;
    int64_t value;
    int deleted;
} version;

typedef struct cell {
    uint32_t space;
    uint8_t key[8];
    version *v;
    size_t n, cap;
} cell;

typedef struct model {
    pthread_rwlock_t lock;
    cell *cells;
    size_t n, cap;
    int refuse_next; /* apply_group refuses the next group */
    int hold;        /* apply_group waits until held_queued transactions are queued */
    uint64_t hold_for;
    int apply_us; /* apply_group takes this long (yielding the core) */
    mvcc_db *db;
    long groups_seen;
} model;

static cell *model_cell(model *m, uint32_t space, const uint8_t key[8], int create)
{
    for (size_t i = 0; i < m->n; i++) {
        if (m->cells[i].space == space && memcmp(m->cells[i].key, key, 8) == 0) {
            return &m->cells[i];
        }
    }
    if (!create) {
        return NULL;
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->cells = realloc(m->cells, m->cap * sizeof *m->cells);
    }
    cell *c = &m->cells[m->n++];
    memset(c, 0, sizeof *c);
    c->space = space;
    memcpy(c->key, key, 8);
    return c;
}

static int model_apply(void *ctx, mvcc_txn *const *txns, int n, uint64_t first_seq)
{
    model *m = ctx;
    if (__atomic_exchange_n(&m->hold, 0, __ATOMIC_SEQ_CST)) {
        for (;;) {
            mvcc_stats st;
            mvcc_get_stats(m->db, &st);
            if (st.queued >= m->hold_for) {
                break;
            }
            usleep(200);
        }
    }
    if (m->refuse_next) {
        m->refuse_next = 0;
        return SEALDB_EIO;
    }
    if (m->apply_us) {
        usleep((useconds_t)m->apply_us);
    }
    pthread_rwlock_wrlock(&m->lock);
    m->groups_seen++;
    for (int i = 0; i < n; i++) {
        const mvcc_write *w;
        const size_t nw = mvcc_writes(txns[i], &w);
        for (size_t k = 0; k < nw; k++) {
            cell *c = model_cell(m, w[k].space, w[k].key, 1);
            if (c->n == c->cap) {
                c->cap = c->cap ? c->cap * 2 : 4;
                c->v = realloc(c->v, c->cap * sizeof *c->v);
            }
            int64_t value = 0;
            if (w[k].value) {
                memcpy(&value, w[k].value, sizeof value);
            }
            c->v[c->n++] = (version){first_seq + (uint64_t)i, value, w[k].value == NULL};
        }
    }
    pthread_rwlock_unlock(&m->lock);
    return SEALDB_OK;
}

static model store;

static void model_reset(void)
{
    for (size_t i = 0; i < store.n; i++) {
        free(store.cells[i].v);
    }
    free(store.cells);
    pthread_rwlock_destroy(&store.lock);
    memset(&store, 0, sizeof store);
    pthread_rwlock_init(&store.lock, NULL);
}

static mvcc_db *open_db(void)
{
    model_reset();
    mvcc_hooks hooks = {.ctx = &store, .apply_group = model_apply};
    mvcc_db *db = NULL;
    CHECK_INT(mvcc_open(&db, &hooks), SEALDB_OK);
    store.db = db;
    return db;
}

/* The value of row id in space for t (its own write, else its snapshot);
 * 0 with *found = 0 if there is none. Notes the read for serializable ones. */
static int64_t get(mvcc_txn *t, uint32_t space, int64_t id, int *found)
{
    uint8_t key[8];
    mvcc_rowid_key(id, key);
    mvcc_note_read(t, space, key, 8);
    const uint8_t *v;
    uint32_t len;
    int64_t value = 0;
    if (mvcc_own(t, space, key, 8, &v, &len)) {
        *found = v != NULL;
        if (v) {
            memcpy(&value, v, sizeof value);
        }
        return value;
    }
    *found = 0;
    pthread_rwlock_rdlock(&store.lock);
    const cell *c = model_cell(&store, space, key, 0);
    for (size_t i = c ? c->n : 0; i > 0; i--) {
        if (c->v[i - 1].seq <= mvcc_snapshot(t)) {
            *found = !c->v[i - 1].deleted;
            value = c->v[i - 1].value;
            break;
        }
    }
    pthread_rwlock_unlock(&store.lock);
    return *found ? value : 0;
}

static int set(mvcc_txn *t, uint32_t space, int64_t id, int64_t value)
{
    uint8_t key[8];
    mvcc_rowid_key(id, key);
    return mvcc_put(t, space, key, 8, (const uint8_t *)&value, sizeof value);
}

static int del(mvcc_txn *t, uint32_t space, int64_t id)
{
    uint8_t key[8];
    mvcc_rowid_key(id, key);
    return mvcc_put(t, space, key, 8, NULL, 0);
}

/* ---- the rules, one transaction pair at a time ----------------------------------------------- */

static void test_rules(void)
{
    mvcc_db *db = open_db();
    mvcc_txn *a, *b, *c;
    int found;
    /* setup: rows 1..4 = 10 */
    CHECK_INT(mvcc_begin(db, MVCC_CONCURRENT, 0, &a), SEALDB_OK);
    for (int i = 1; i <= 4; i++) {
        CHECK_INT(set(a, 1, i, 10), SEALDB_OK);
    }
    CHECK_INT(mvcc_commit(a), SEALDB_OK);

    /* the same row: the first to commit wins, the other gets a conflict */
    mvcc_begin(db, MVCC_CONCURRENT, 0, &a);
    mvcc_begin(db, MVCC_CONCURRENT, 0, &b);
    set(a, 1, 1, 11);
    set(b, 1, 1, 12);
    CHECK_INT(mvcc_commit(b), SEALDB_OK);
    CHECK_INT(mvcc_commit(a), SEALDB_ECONFLICT);
    mvcc_begin(db, MVCC_READ, 0, &c);
    CHECK_INT((int)get(c, 1, 1, &found), 12);
    mvcc_commit(c);

    /* disjoint rows: both commit */
    mvcc_begin(db, MVCC_CONCURRENT, 0, &a);
    mvcc_begin(db, MVCC_CONCURRENT, 0, &b);
    set(a, 1, 2, 21);
    set(b, 1, 3, 31);
    CHECK_INT(mvcc_commit(a), SEALDB_OK);
    CHECK_INT(mvcc_commit(b), SEALDB_OK);

    /* no dirty read, no non-repeatable read; own writes visible */
    mvcc_begin(db, MVCC_CONCURRENT, 0, &a);
    mvcc_begin(db, MVCC_READ, 0, &b);
    set(a, 1, 4, 44);
    CHECK_INT((int)get(a, 1, 4, &found), 44);
    CHECK_INT((int)get(b, 1, 4, &found), 10); /* a's write is not committed */
    CHECK_INT(mvcc_commit(a), SEALDB_OK);
    CHECK_INT((int)get(b, 1, 4, &found), 10); /* still b's snapshot */
    mvcc_commit(b);
    mvcc_begin(db, MVCC_READ, 0, &b);
    CHECK_INT((int)get(b, 1, 4, &found), 44);
    CHECK_INT(set(b, 1, 4, 1), SEALDB_EINVAL); /* read-only */
    mvcc_commit(b);

    /* a delete, and a write of the deleted row by an older snapshot conflicts */
    mvcc_begin(db, MVCC_CONCURRENT, 0, &a);
    mvcc_begin(db, MVCC_CONCURRENT, 0, &b);
    del(a, 1, 3);
    get(a, 1, 3, &found);
    CHECK_INT(found, 0);
    CHECK_INT(mvcc_commit(a), SEALDB_OK);
    set(b, 1, 3, 99);
    CHECK_INT(mvcc_commit(b), SEALDB_ECONFLICT);

    /* lost update: both add 1 to the same counter; the loser retries */
    mvcc_begin(db, MVCC_CONCURRENT, 0, &a);
    mvcc_begin(db, MVCC_CONCURRENT, 0, &b);
    set(a, 2, 1, get(a, 2, 1, &found) + 1);
    set(b, 2, 1, get(b, 2, 1, &found) + 1);
    CHECK_INT(mvcc_commit(a), SEALDB_OK);
    CHECK_INT(mvcc_commit(b), SEALDB_ECONFLICT);
    mvcc_begin(db, MVCC_CONCURRENT, 0, &b);
    set(b, 2, 1, get(b, 2, 1, &found) + 1);
    CHECK_INT(mvcc_commit(b), SEALDB_OK);
    mvcc_begin(db, MVCC_READ, 0, &c);
    CHECK_INT((int)get(c, 2, 1, &found), 2);
    mvcc_commit(c);

    /* write skew: allowed under snapshot isolation, refused under serializable */
    for (int serializable = 0; serializable <= 1; serializable++) {
        mvcc_begin(db, MVCC_CONCURRENT, 0, &a);
        set(a, 3, 1, 50);
        set(a, 3, 2, 50);
        mvcc_commit(a);
        mvcc_begin(db, MVCC_CONCURRENT, serializable, &a);
        mvcc_begin(db, MVCC_CONCURRENT, serializable, &b);
        /* each checks that the two together keep 100 - 100 >= 0, then takes 100 from one */
        const int64_t sa = get(a, 3, 1, &found) + get(a, 3, 2, &found);
        const int64_t sb = get(b, 3, 1, &found) + get(b, 3, 2, &found);
        CHECK(sa >= 100 && sb >= 100);
        set(a, 3, 1, get(a, 3, 1, &found) - 100);
        set(b, 3, 2, get(b, 3, 2, &found) - 100);
        CHECK_INT(mvcc_commit(a), SEALDB_OK);
        CHECK_INT(mvcc_commit(b), serializable ? SEALDB_ECONFLICT : SEALDB_OK);
        mvcc_begin(db, MVCC_READ, 0, &c);
        CHECK_INT((int)(get(c, 3, 1, &found) + get(c, 3, 2, &found)), serializable ? 0 : -100);
        mvcc_commit(c);
    }

    /* serializable range: a row inserted into a range read by another */
    mvcc_begin(db, MVCC_CONCURRENT, 1, &a);
    mvcc_begin(db, MVCC_CONCURRENT, 0, &b);
    uint8_t lo[8], hi[8];
    mvcc_rowid_key(100, lo);
    mvcc_rowid_key(200, hi);
    CHECK_INT(mvcc_note_range(a, 4, lo, 8, hi, 8), SEALDB_OK);
    set(a, 4, 1, 1); /* a writes elsewhere, based on the range being empty */
    set(b, 4, 150, 7);
    CHECK_INT(mvcc_commit(b), SEALDB_OK);
    CHECK_INT(mvcc_commit(a), SEALDB_ECONFLICT);
    /* ... while a row outside the range does not conflict */
    mvcc_begin(db, MVCC_CONCURRENT, 1, &a);
    mvcc_begin(db, MVCC_CONCURRENT, 0, &b);
    mvcc_note_range(a, 4, lo, 8, hi, 8);
    set(a, 4, 2, 1);
    set(b, 4, 201, 7);
    CHECK_INT(mvcc_commit(b), SEALDB_OK);
    CHECK_INT(mvcc_commit(a), SEALDB_OK);

    /* a unique key claimed by two inserters of different rows: one wins */
    mvcc_begin(db, MVCC_CONCURRENT, 0, &a);
    mvcc_begin(db, MVCC_CONCURRENT, 0, &b);
    set(a, 5, 1, 1);
    set(b, 5, 2, 1);
    CHECK_INT(mvcc_claim(a, 6, (const uint8_t *)"alice", 5), SEALDB_OK);
    CHECK_INT(mvcc_claim(b, 6, (const uint8_t *)"alice", 5), SEALDB_OK);
    CHECK_INT(mvcc_commit(a), SEALDB_OK);
    CHECK_INT(mvcc_commit(b), SEALDB_ECONFLICT);

    /* a group storage refuses: its transactions fail and leave no keys */
    mvcc_begin(db, MVCC_CONCURRENT, 0, &b); /* an older snapshot */
    mvcc_begin(db, MVCC_CONCURRENT, 0, &a);
    set(a, 7, 1, 1);
    store.refuse_next = 1;
    CHECK_INT(mvcc_commit(a), SEALDB_EIO);
    set(b, 7, 1, 2);
    CHECK_INT(mvcc_commit(b), SEALDB_OK); /* the refused write was never committed */
    mvcc_begin(db, MVCC_READ, 0, &c);
    CHECK_INT((int)get(c, 7, 1, &found), 2);
    mvcc_commit(c);

    /* rollback leaves nothing */
    mvcc_begin(db, MVCC_CONCURRENT, 0, &a);
    set(a, 8, 1, 1);
    mvcc_rollback(a);
    mvcc_begin(db, MVCC_READ, 0, &c);
    get(c, 8, 1, &found);
    CHECK_INT(found, 0);
    mvcc_commit(c);

    mvcc_stats st;
    mvcc_get_stats(db, &st);
    CHECK_INT((int)st.conflicts_write, 4);
    CHECK_INT((int)st.conflicts_read, 2);
    CHECK_INT((int)st.failed_groups, 1);
    mvcc_close(db);
}

/* ---- an exclusive transaction never conflicts; others wait for it ------------------------- */

typedef struct waiter {
    mvcc_db *db;
    int rc;
    volatile int started;
} waiter;

static void *commit_row1(void *arg)
{
    waiter *w = arg;
    mvcc_txn *t;
    mvcc_begin(w->db, MVCC_CONCURRENT, 0, &t);
    set(t, 1, 1, 500);
    __atomic_store_n(&w->started, 1, __ATOMIC_SEQ_CST);
    w->rc = mvcc_commit(t);
    return NULL;
}

static void test_exclusive(void)
{
    mvcc_db *db = open_db();
    mvcc_txn *x, *c;
    int found;
    CHECK_INT(mvcc_begin(db, MVCC_EXCLUSIVE, 0, &x), SEALDB_OK);
    waiter w = {db, -1, 0};
    pthread_t th;
    pthread_create(&th, NULL, commit_row1, &w);
    while (!__atomic_load_n(&w.started, __ATOMIC_SEQ_CST)) {
        usleep(100);
    }
    usleep(20000); /* the concurrent commit is now waiting for x (or about to) */
    set(x, 1, 1, 100);
    CHECK_INT(mvcc_commit(x), SEALDB_OK); /* never a conflict */
    pthread_join(th, NULL);
    /* the concurrent one began before x committed: its write of row 1 conflicts */
    CHECK_INT(w.rc, SEALDB_ECONFLICT);
    mvcc_begin(db, MVCC_READ, 0, &c);
    CHECK_INT((int)get(c, 1, 1, &found), 100);
    mvcc_commit(c);
    mvcc_close(db);
}

/* ---- group commit: three committers behind a group in flight land together ------------------- */

static void *commit_one(void *arg)
{
    waiter *w = arg;
    mvcc_txn *t;
    mvcc_begin(w->db, MVCC_CONCURRENT, 0, &t);
    set(t, 9, (int64_t)(uintptr_t)&w->rc, 1); /* a row of its own */
    w->rc = mvcc_commit(t);
    return NULL;
}

static void test_group_commit(void)
{
    mvcc_db *db = open_db();
    store.hold = 1;
    store.hold_for = 3; /* the first group waits until three more are queued */
    waiter w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (waiter){db, -1, 0};
        pthread_create(&th[i], NULL, commit_one, &w[i]);
        if (i == 0) {
            /* the first leads a group of one, held in apply_group */
            for (;;) {
                mvcc_stats st;
                mvcc_get_stats(db, &st);
                if (st.queued == 0 && __atomic_load_n(&store.hold, __ATOMIC_SEQ_CST) == 0) {
                    break;
                }
                usleep(100);
            }
        }
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(w[i].rc, SEALDB_OK);
    }
    mvcc_stats st;
    mvcc_get_stats(db, &st);
    CHECK_INT((int)st.commits, 4);
    CHECK_INT((int)st.groups, 2);
    CHECK_INT((int)st.largest_group, 3);
    mvcc_close(db);
}

/* A transaction left open counts as about to commit: the leaders of the
 * second and third groups wait for it in vain, which pauses waiting for
 * the next 16 groups; the first group has no apply time to measure yet. */
static void test_gather(void)
{
    mvcc_db *db = open_db();
    mvcc_txn *idle = NULL;
    CHECK_INT(mvcc_begin(db, MVCC_CONCURRENT, 0, &idle), SEALDB_OK);
    for (int i = 0; i < 20; i++) {
        mvcc_txn *t = NULL;
        CHECK_INT(mvcc_begin(db, MVCC_CONCURRENT, 0, &t), SEALDB_OK);
        CHECK_INT(set(t, 1, i, i), SEALDB_OK);
        CHECK_INT(mvcc_commit(t), SEALDB_OK);
    }
    mvcc_stats st;
    mvcc_get_stats(db, &st);
    CHECK_INT((int)st.groups, 20);
    CHECK_INT((int)st.gathers, 3); /* groups 2, 3 and 20 */
    /* alone, a committer never waits */
    mvcc_rollback(idle);
    for (int i = 0; i < 20; i++) {
        mvcc_txn *t = NULL;
        CHECK_INT(mvcc_begin(db, MVCC_CONCURRENT, 0, &t), SEALDB_OK);
        CHECK_INT(set(t, 1, i, -i), SEALDB_OK);
        CHECK_INT(mvcc_commit(t), SEALDB_OK);
    }
    mvcc_get_stats(db, &st);
    CHECK_INT((int)st.groups, 40);
    CHECK_INT((int)st.gathers, 3);
    mvcc_close(db);
}

/* Short groups (no sync per group: leaders lead the groups queued behind
 * theirs, committers poll before they sleep), on one core, with each leader
 * slowed between signalling a transaction it woke and letting go of it. A
 * leader once skipped a sleeping member that an earlier leader was still
 * letting go of, though that earlier signal had already been spent: the
 * member slept on with its group landed. Every commit must return. */
#define WAKE_THREADS 8
#define WAKE_COMMITS 1500

static int wake_finished;

static int signals_seen;
static void slow_signal(void *ctx)
{
    (void)ctx;
    __atomic_add_fetch(&signals_seen, 1, __ATOMIC_RELAXED);
    sched_yield();
    usleep(200);
}

static void *wake_worker(void *arg)
{
    waiter *w = arg;
    w->rc = SEALDB_OK;
    for (int i = 0; i < WAKE_COMMITS && w->rc == SEALDB_OK; i++) {
        mvcc_txn *t = NULL;
        w->rc = mvcc_begin(w->db, MVCC_CONCURRENT, 0, &t);
        if (w->rc == SEALDB_OK) {
            set(t, 11, (int64_t)(uintptr_t)w * 4096 + i, i); /* rows of its own */
            w->rc = mvcc_commit(t);
        }
    }
    __atomic_add_fetch(&wake_finished, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void test_short_group_wakes(void)
{
    model_reset();
    mvcc_hooks hooks = {
        .ctx = &store, .apply_group = model_apply, .short_groups = 1, .signalled = slow_signal};
    mvcc_db *db = NULL;
    CHECK_INT(mvcc_open(&db, &hooks), SEALDB_OK);
    store.db = db;
    store.apply_us = 30; /* committers queue behind the group in flight */
    cpu_set_t all, one;
    CHECK_INT(sched_getaffinity(0, sizeof all, &all), 0);
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; c++) {
        if (CPU_ISSET(c, &all)) {
            CPU_SET(c, &one);
            break;
        }
    }
    CHECK_INT(sched_setaffinity(0, sizeof one, &one), 0); /* inherited by the workers */
    waiter w[WAKE_THREADS];
    pthread_t th[WAKE_THREADS];
    wake_finished = signals_seen = 0;
    for (int i = 0; i < WAKE_THREADS; i++) {
        w[i] = (waiter){db, -1, 0};
        pthread_create(&th[i], NULL, wake_worker, &w[i]);
    }
    /* a thread asleep for good never returns: give them a minute */
    for (int waited = 0; __atomic_load_n(&wake_finished, __ATOMIC_SEQ_CST) < WAKE_THREADS;
         waited++) {
        if (waited == 60000) {
            fprintf(stderr, "test_short_group_wakes: %d of %d committers never returned\n",
                    WAKE_THREADS - __atomic_load_n(&wake_finished, __ATOMIC_SEQ_CST), WAKE_THREADS);
            CHECK(0);
            check_report();
            exit(1);
        }
        usleep(1000);
    }
    CHECK_INT(sched_setaffinity(0, sizeof all, &all), 0);
    for (int i = 0; i < WAKE_THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(w[i].rc, SEALDB_OK);
    }
    mvcc_stats st;
    mvcc_get_stats(db, &st);
    CHECK_INT((int)st.commits, WAKE_THREADS * WAKE_COMMITS);
    CHECK(signals_seen > 100); /* the slowed path was taken */
    mvcc_close(db);
}

/* ---- rowids from many threads never repeat -----------------------------------------------------
 */

#define ROWID_THREADS 4
#define ROWIDS_EACH 5000
static int64_t handed[ROWID_THREADS][ROWIDS_EACH];

typedef struct rowid_arg {
    mvcc_db *db;
    int index;
} rowid_arg;

static void *take_rowids(void *arg)
{
    rowid_arg *a = arg;
    for (int i = 0; i < ROWIDS_EACH; i++) {
        handed[a->index][i] = mvcc_next_rowid(a->db, 1, 1000);
    }
    return NULL;
}

static int cmp_i64(const void *x, const void *y)
{
    const int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return a < b ? -1 : a > b;
}

static void test_rowids(void)
{
    mvcc_db *db = open_db();
    pthread_t th[ROWID_THREADS];
    rowid_arg args[ROWID_THREADS];
    for (int i = 0; i < ROWID_THREADS; i++) {
        args[i] = (rowid_arg){db, i};
        pthread_create(&th[i], NULL, take_rowids, &args[i]);
    }
    for (int i = 0; i < ROWID_THREADS; i++) {
        pthread_join(th[i], NULL);
    }
    qsort(handed, ROWID_THREADS * ROWIDS_EACH, sizeof(int64_t), cmp_i64);
    int bad = 0;
    for (int i = 0; i < ROWID_THREADS * ROWIDS_EACH; i++) {
        bad += handed[i / ROWIDS_EACH][i % ROWIDS_EACH] != 1001 + i;
    }
    CHECK_INT(bad, 0);
    CHECK_INT((int)mvcc_next_rowid(db, 2, 41), 42);
    CHECK_INT((int)mvcc_next_rowid(db, 2, 100), 101); /* the stored maximum moved on */
    mvcc_close(db);
}

/* ---- the bank: transfers between random accounts, the total never changes ------------------ */

#define ACCOUNTS 16
#define START 1000

typedef struct transfer {
    int from, to;
    int64_t amount;
} transfer;

typedef struct teller {
    mvcc_db *db;
    int id, transfers, serializable;
    uint64_t seed;
    transfer *done; /* the committed ones */
    int ndone;
    transfer current;
    int failures;
} teller;

static int do_transfer(mvcc_txn *t, void *arg)
{
    teller *tl = arg;
    int found;
    const transfer *x = &tl->current;
    const int64_t a = get(t, 1, x->from, &found);
    const int64_t b = get(t, 1, x->to, &found);
    int rc = set(t, 1, x->from, a - x->amount);
    if (rc == SEALDB_OK) {
        rc = set(t, 1, x->to, b + x->amount);
    }
    return rc;
}

static void *teller_main(void *arg)
{
    teller *tl = arg;
    for (int i = 0; i < tl->transfers; i++) {
        tl->seed ^= tl->seed << 13;
        tl->seed ^= tl->seed >> 7;
        tl->seed ^= tl->seed << 17;
        const int from = (int)(tl->seed % ACCOUNTS), to = (int)((tl->seed >> 8) % ACCOUNTS);
        if (from == to) {
            continue;
        }
        tl->current = (transfer){from, to, (int64_t)((tl->seed >> 16) % 50) + 1};
        const int rc = mvcc_run(tl->db, MVCC_CONCURRENT, tl->serializable, 1000, do_transfer, tl);
        if (rc == SEALDB_OK) {
            tl->done[tl->ndone++] = tl->current;
        } else {
            tl->failures++;
        }
    }
    return NULL;
}

typedef struct auditor {
    mvcc_db *db;
    volatile int stop;
    long audits, wrong;
} auditor;

static void *auditor_main(void *arg)
{
    auditor *au = arg;
    while (!__atomic_load_n(&au->stop, __ATOMIC_SEQ_CST)) {
        mvcc_txn *t;
        mvcc_begin(au->db, MVCC_READ, 0, &t);
        int64_t total = 0;
        int found;
        for (int i = 0; i < ACCOUNTS; i++) {
            total += get(t, 1, i, &found);
        }
        mvcc_commit(t);
        au->audits++;
        au->wrong += total != (int64_t)ACCOUNTS * START;
    }
    return NULL;
}

static void test_bank(int threads, int transfers, int serializable)
{
    mvcc_db *db = open_db();
    mvcc_txn *t;
    mvcc_begin(db, MVCC_EXCLUSIVE, 0, &t);
    for (int i = 0; i < ACCOUNTS; i++) {
        set(t, 1, i, START);
    }
    CHECK_INT(mvcc_commit(t), SEALDB_OK);
    teller tl[8];
    pthread_t th[8], ath;
    auditor au = {db, 0, 0, 0};
    pthread_create(&ath, NULL, auditor_main, &au);
    for (int i = 0; i < threads; i++) {
        tl[i] = (teller){db,
                         i,
                         transfers,
                         serializable,
                         0x9e3779b97f4a7c15ull * (uint64_t)(i + 1),
                         calloc((size_t)transfers, sizeof(transfer)),
                         0,
                         {0, 0, 0},
                         0};
        pthread_create(&th[i], NULL, teller_main, &tl[i]);
    }
    int64_t expect[ACCOUNTS];
    for (int i = 0; i < ACCOUNTS; i++) {
        expect[i] = START;
    }
    int committed = 0, failures = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        for (int k = 0; k < tl[i].ndone; k++) {
            expect[tl[i].done[k].from] -= tl[i].done[k].amount;
            expect[tl[i].done[k].to] += tl[i].done[k].amount;
        }
        committed += tl[i].ndone;
        failures += tl[i].failures;
        free(tl[i].done);
    }
    __atomic_store_n(&au.stop, 1, __ATOMIC_SEQ_CST);
    pthread_join(ath, NULL);
    CHECK_INT(failures, 0);
    CHECK(committed > transfers * threads / 2);
    CHECK(au.audits > 0);
    CHECK_INT((int)au.wrong, 0);
    mvcc_begin(db, MVCC_READ, 0, &t);
    int bad = 0, found;
    for (int i = 0; i < ACCOUNTS; i++) {
        bad += get(t, 1, i, &found) != expect[i];
    }
    mvcc_commit(t);
    CHECK_INT(bad, 0);
    mvcc_stats st;
    mvcc_get_stats(db, &st);
    CHECK_INT((int)st.commits, committed + 1);
    printf("bank (%d threads%s): %d transfers, %llu conflicts, %llu retries, %llu groups for %llu "
           "commits, %ld audits\n",
           threads, serializable ? ", serializable" : "", committed,
           (unsigned long long)(st.conflicts_write + st.conflicts_read),
           (unsigned long long)st.retries, (unsigned long long)st.groups,
           (unsigned long long)st.commits, au.audits);
    mvcc_close(db);
}

int main(int argc, char **argv)
{
    const int transfers = argc > 1 ? atoi(argv[1]) : 2000;
    test_rules();
    test_exclusive();
    test_group_commit();
    test_gather();
    test_short_group_wakes();
    test_rowids();
    test_bank(4, transfers, 0);
    test_bank(8, transfers / 2, 1);
    model_reset();
    return check_report();
}
