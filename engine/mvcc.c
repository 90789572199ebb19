/*
 * mvcc.c - concurrent writers: snapshots, first-committer-wins validation,
 * group commit.
 *
 * Sequence numbers order commits. A transaction reads the snapshot of the
 * last published sequence number and buffers its writes. At commit, under
 * the manager's lock, it is checked against the commit log: every
 * transaction that got a sequence number after its snapshot left there the
 * keys it wrote or claimed. One of them among this transaction's writes or
 * claims is a write conflict; among its reads or read ranges (serializable
 * only) a read conflict. Either way it is refused with SEALDB_ECONFLICT and
 * leaves nothing. Otherwise it takes the next sequence number, its keys go
 * into the log at once (so a later committer in the same group conflicts
 * with it, as first-committer-wins requires), and it joins the queue.
 *
 * Group commit: the first committer that finds no group in flight takes the
 * whole queue, lets go of the lock and hands the group to storage
 * (apply_group: apply in sequence order, one sync); the others wait. When
 * the group lands, its last sequence number is published and everyone in it
 * returns; if storage refused it, its keys leave the log and each of its
 * transactions returns storage's error. Groups land in sequence order
 * because only one is in flight at a time. Where a group costs a sync, its
 * leader first waits a little for the transactions about to queue
 * (gather), so that the sync serves them too.
 *
 * The log keeps a commit only while some active transaction's snapshot is
 * older than it; nothing older can conflict with anyone.
 *
 * Invariants: every field of mvcc_db is written under db->mu, and read
 * under it except flushing and expected, which waiting threads poll; a
 * transaction's own buffers are touched only by its thread until it joins
 * the queue, then only by the group's committer.
 */
#include "mvcc.h"

#include "crypto.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct key {
    uint32_t space;
    uint32_t len;
    uint64_t hash;
    uint8_t *bytes;
} key;

/* A set of keys with a hash index (open addressing over indexes + 1). */
typedef struct keyset {
    key *keys;
    size_t n, cap;
    uint32_t *slots;
    size_t nslots;
} keyset;

typedef struct range {
    uint32_t space;
    uint8_t *lo, *hi; /* NULL: unbounded */
    uint32_t lo_len, hi_len;
} range;

/* One committed transaction's keys, kept while someone may conflict with it. */
typedef struct log_entry {
    uint64_t seq;
    keyset keys;
} log_entry;

struct mvcc_txn {
    mvcc_db *db;
    int kind;
    int serializable;
    uint64_t snapshot;
    uint64_t seq;
    /* writes in order; written keys indexed for mvcc_own */
    mvcc_write *writes;
    size_t nw, capw;
    keyset written; /* written[i] belongs to writes[i] */
    keyset claims;
    keyset guards;
    keyset reads;
    range *ranges;
    size_t nranges, capranges;
    void *user;
    /* group commit: its thread sleeps on cv until its group has landed,
     * or until it heads the queue and may lead the next group */
    pthread_cond_t cv;
    int done, result; /* done: written under mu (atomic: a waiter polls it unlocked) */
    int sleeping;     /* in pthread_cond_wait on cv (mu) */
    int wakers;       /* leaders about to signal cv (counted up under mu, down unlocked) */
    int expected;     /* counted in db->expected */
    mvcc_txn *next_queued;
    /* the list of active transactions */
    mvcc_txn *prev_active, *next_active;
};

struct mvcc_db {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* exclusive transactions and commits waiting for one */
    int cv_waiters;
    int spinners, max_spinners; /* committers polling now; the most that may (cores - 1) */
    /* Concurrent transactions likely to queue soon: begun and not queued
     * yet, or landed and not yet returned to their threads (which often
     * commit again). Written under mu; read unlocked by a gathering leader. */
    int expected;
    double apply_us;  /* moving average of a group's time in apply_group */
    int idle_gathers; /* gathers in a row that gained no transaction */
    int skip_gathers; /* groups left to lead without gathering */
    mvcc_hooks hooks;
    uint64_t assigned;  /* last sequence number handed out */
    uint64_t published; /* last sequence number durable and visible */
    /* the commit log in sequence order: log[log_first .. log_n) */
    log_entry **log;
    size_t log_first, log_n, log_cap;
    mvcc_txn *active;
    mvcc_txn *queue_head, *queue_tail;
    int flushing; /* a group is being applied (written under mu, atomic: polled unlocked) */
    mvcc_txn *exclusive;
    /* rowid counters */
    struct counter {
        uint32_t space;
        int64_t last;
    } * counters;
    size_t ncounters;
    mvcc_stats stats;
};

/* ---- key sets ---------------------------------------------------------------------------------
 */

static uint64_t key_hash(uint32_t space, const uint8_t *b, uint32_t len)
{
    uint64_t h = 1469598103934665603ull ^ space;
    for (uint32_t i = 0; i < len; i++) {
        h = (h ^ b[i]) * 1099511628211ull;
    }
    return h ^ (h >> 29);
}

static int key_equal(const key *k, uint32_t space, const uint8_t *b, uint32_t len)
{
    return k->space == space && k->len == len && memcmp(k->bytes, b, len) == 0;
}

/* Index of the key in the set, or -1. */
static long set_find(const keyset *s, uint32_t space, const uint8_t *b, uint32_t len, uint64_t h)
{
    if (!s->nslots) {
        return -1;
    }
    for (size_t i = h & (s->nslots - 1);; i = (i + 1) & (s->nslots - 1)) {
        const uint32_t slot = s->slots[i];
        if (!slot) {
            return -1;
        }
        if (s->keys[slot - 1].hash == h && key_equal(&s->keys[slot - 1], space, b, len)) {
            return (long)slot - 1;
        }
    }
}

static int set_rehash(keyset *s, size_t nslots)
{
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (!slots) {
        return SEALDB_ENOMEM;
    }
    for (size_t k = 0; k < s->n; k++) {
        size_t i = s->keys[k].hash & (nslots - 1);
        while (slots[i]) {
            i = (i + 1) & (nslots - 1);
        }
        slots[i] = (uint32_t)k + 1;
    }
    free(s->slots);
    s->slots = slots;
    s->nslots = nslots;
    return SEALDB_OK;
}

/* Adds the key if absent; *index is its place either way. */
static int set_add(keyset *s, uint32_t space, const uint8_t *b, uint32_t len, size_t *index)
{
    const uint64_t h = key_hash(space, b, len);
    const long found = set_find(s, space, b, len, h);
    if (found >= 0) {
        *index = (size_t)found;
        return SEALDB_OK;
    }
    if (s->n == s->cap) {
        const size_t cap = s->cap ? s->cap * 2 : 8;
        key *keys = realloc(s->keys, cap * sizeof *keys);
        if (!keys) {
            return SEALDB_ENOMEM;
        }
        s->keys = keys;
        s->cap = cap;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        return SEALDB_ENOMEM;
    }
    memcpy(copy, b, len);
    s->keys[s->n] = (key){space, len, h, copy};
    s->n++;
    if (s->n * 2 > s->nslots) {
        if (set_rehash(s, s->nslots ? s->nslots * 2 : 16) != SEALDB_OK) {
            free(copy);
            s->n--;
            return SEALDB_ENOMEM;
        }
    } else {
        size_t i = h & (s->nslots - 1);
        while (s->slots[i]) {
            i = (i + 1) & (s->nslots - 1);
        }
        s->slots[i] = (uint32_t)s->n;
    }
    *index = s->n - 1;
    return SEALDB_OK;
}

/* Keys can hold user data (a UNIQUE value): wiped before they go back. */
static void set_free(keyset *s)
{
    for (size_t i = 0; i < s->n; i++) {
        crypto_wipe(s->keys[i].bytes, s->keys[i].len);
        free(s->keys[i].bytes);
    }
    free(s->keys);
    free(s->slots);
    memset(s, 0, sizeof *s);
}

/* ---- the manager --------------------------------------------------------------------------- */

int mvcc_open(mvcc_db **out, const mvcc_hooks *hooks)
{
    if (!out || !hooks || !hooks->apply_group) {
        return SEALDB_EINVAL;
    }
    mvcc_db *db = calloc(1, sizeof *db);
    if (!db) {
        return SEALDB_ENOMEM;
    }
    pthread_mutex_init(&db->mu, NULL);
    pthread_cond_init(&db->cv, NULL);
    db->hooks = *hooks;
    /* polling waiters must leave a core to the leader and to the threads
     * still working on their transactions */
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    db->max_spinners = cpus > 2 ? (int)cpus - 1 : 1;
    *out = db;
    return SEALDB_OK;
}

void mvcc_close(mvcc_db *db)
{
    if (!db) {
        return;
    }
    for (size_t i = db->log_first; i < db->log_n; i++) {
        set_free(&db->log[i]->keys);
        free(db->log[i]);
    }
    free(db->log);
    free(db->counters);
    pthread_cond_destroy(&db->cv);
    pthread_mutex_destroy(&db->mu);
    free(db);
}

static void txn_free(mvcc_txn *t)
{
    pthread_cond_destroy(&t->cv);
    for (size_t i = 0; i < t->nw; i++) {
        /* row records in the clear */
        crypto_wipe((void *)t->writes[i].value, t->writes[i].value_len);
        free((void *)t->writes[i].value);
    }
    free(t->writes);
    set_free(&t->written);
    set_free(&t->claims);
    set_free(&t->guards);
    set_free(&t->reads);
    for (size_t i = 0; i < t->nranges; i++) {
        free(t->ranges[i].lo);
        free(t->ranges[i].hi);
    }
    free(t->ranges);
    free(t);
}

/* Drops log entries no active transaction can conflict with. Under mu. */
static void prune_log(mvcc_db *db)
{
    uint64_t oldest = db->published;
    for (mvcc_txn *t = db->active; t; t = t->next_active) {
        oldest = t->snapshot < oldest ? t->snapshot : oldest;
    }
    while (db->log_first < db->log_n && db->log[db->log_first]->seq <= oldest) {
        log_entry *e = db->log[db->log_first++];
        set_free(&e->keys);
        free(e);
    }
    if (db->log_first == db->log_n) {
        db->log_first = db->log_n = 0;
    }
}

static void expect(mvcc_db *db, mvcc_txn *t, int on)
{
    if (t->expected != on) {
        t->expected = on;
        __atomic_store_n(&db->expected, db->expected + (on ? 1 : -1), __ATOMIC_RELAXED);
    }
}

static void unlink_active(mvcc_db *db, mvcc_txn *t)
{
    expect(db, t, 0);
    if (t->prev_active) {
        t->prev_active->next_active = t->next_active;
    } else if (db->active == t) {
        db->active = t->next_active;
    }
    if (t->next_active) {
        t->next_active->prev_active = t->prev_active;
    }
    t->prev_active = t->next_active = NULL;
    if (db->hooks.unpin) {
        db->hooks.unpin(db->hooks.ctx, t);
    }
    if (db->exclusive == t) {
        db->exclusive = NULL;
        pthread_cond_broadcast(&db->cv);
    }
    prune_log(db);
}

int mvcc_begin(mvcc_db *db, int kind, int serializable, mvcc_txn **out)
{
    if (!db || !out || kind < MVCC_READ || kind > MVCC_EXCLUSIVE) {
        return SEALDB_EINVAL;
    }
    mvcc_txn *t = calloc(1, sizeof *t);
    if (!t) {
        return SEALDB_ENOMEM;
    }
    pthread_cond_init(&t->cv, NULL);
    t->db = db;
    t->kind = kind;
    t->serializable = serializable && kind == MVCC_CONCURRENT;
    pthread_mutex_lock(&db->mu);
    if (kind == MVCC_EXCLUSIVE) {
        /* alone among writers: no other exclusive, nothing queued or landing */
        while (db->exclusive || db->flushing || db->queue_head || db->assigned != db->published) {
            db->cv_waiters++;
            pthread_cond_wait(&db->cv, &db->mu);
            db->cv_waiters--;
        }
        db->exclusive = t;
    }
    t->snapshot = db->published;
    if (kind == MVCC_CONCURRENT) {
        expect(db, t, 1);
    }
    t->next_active = db->active;
    if (db->active) {
        db->active->prev_active = t;
    }
    db->active = t;
    if (db->hooks.pin) {
        db->hooks.pin(db->hooks.ctx, t);
    }
    pthread_mutex_unlock(&db->mu);
    *out = t;
    return SEALDB_OK;
}

uint64_t mvcc_snapshot(const mvcc_txn *t)
{
    return t->snapshot;
}

void mvcc_set_user(mvcc_txn *t, void *user)
{
    t->user = user;
}

void *mvcc_user(const mvcc_txn *t)
{
    return t->user;
}

int mvcc_put(mvcc_txn *t, uint32_t space, const uint8_t *k, uint32_t key_len, const uint8_t *value,
             uint32_t value_len)
{
    if (!t || t->kind == MVCC_READ || (!k && key_len) || (!value && value_len)) {
        return SEALDB_EINVAL;
    }
    uint8_t *copy = NULL;
    if (value) {
        copy = malloc(value_len ? value_len : 1);
        if (!copy) {
            return SEALDB_ENOMEM;
        }
        memcpy(copy, value, value_len);
    }
    if (t->nw == t->capw) {
        const size_t cap = t->capw ? t->capw * 2 : 8;
        mvcc_write *w = realloc(t->writes, cap * sizeof *w);
        if (!w) {
            free(copy);
            return SEALDB_ENOMEM;
        }
        t->writes = w;
        t->capw = cap;
    }
    const size_t before = t->written.n;
    size_t index;
    if (set_add(&t->written, space, k, key_len, &index) != SEALDB_OK) {
        free(copy);
        return SEALDB_ENOMEM;
    }
    if (index < before) {
        /* a key written before: its value is replaced where it stands */
        crypto_wipe((void *)t->writes[index].value, t->writes[index].value_len);
        free((void *)t->writes[index].value);
        t->writes[index].value = copy;
        t->writes[index].value_len = value ? value_len : 0;
        return SEALDB_OK;
    }
    const key *kk = &t->written.keys[index];
    t->writes[t->nw++] = (mvcc_write){space, kk->bytes, kk->len, copy, value ? value_len : 0};
    return SEALDB_OK;
}

int mvcc_claim(mvcc_txn *t, uint32_t space, const uint8_t *k, uint32_t key_len)
{
    if (!t || t->kind == MVCC_READ || (!k && key_len)) {
        return SEALDB_EINVAL;
    }
    size_t index;
    return set_add(&t->claims, space, k, key_len, &index);
}

int mvcc_own(const mvcc_txn *t, uint32_t space, const uint8_t *k, uint32_t key_len,
             const uint8_t **value, uint32_t *value_len)
{
    const long i = set_find(&t->written, space, k, key_len, key_hash(space, k, key_len));
    if (i < 0 || (size_t)i >= t->nw) {
        return 0;
    }
    *value = t->writes[i].value;
    *value_len = t->writes[i].value_len;
    return 1;
}

int mvcc_guard(mvcc_txn *t, uint32_t space, const uint8_t *k, uint32_t key_len)
{
    if (!t || (!k && key_len)) {
        return SEALDB_EINVAL;
    }
    size_t index;
    return set_add(&t->guards, space, k, key_len, &index);
}

int mvcc_note_read(mvcc_txn *t, uint32_t space, const uint8_t *k, uint32_t key_len)
{
    if (!t || (!k && key_len)) {
        return SEALDB_EINVAL;
    }
    if (!t->serializable) {
        return SEALDB_OK;
    }
    size_t index;
    return set_add(&t->reads, space, k, key_len, &index);
}

static uint8_t *dup_bytes(const uint8_t *b, uint32_t len)
{
    uint8_t *c = malloc(len ? len : 1);
    if (c) {
        memcpy(c, b, len);
    }
    return c;
}

int mvcc_note_range(mvcc_txn *t, uint32_t space, const uint8_t *lo, uint32_t lo_len,
                    const uint8_t *hi, uint32_t hi_len)
{
    if (!t) {
        return SEALDB_EINVAL;
    }
    if (!t->serializable) {
        return SEALDB_OK;
    }
    if (t->nranges == t->capranges) {
        const size_t cap = t->capranges ? t->capranges * 2 : 4;
        range *r = realloc(t->ranges, cap * sizeof *r);
        if (!r) {
            return SEALDB_ENOMEM;
        }
        t->ranges = r;
        t->capranges = cap;
    }
    range r = {space, lo ? dup_bytes(lo, lo_len) : NULL, hi ? dup_bytes(hi, hi_len) : NULL, lo_len,
               hi_len};
    if ((lo && !r.lo) || (hi && !r.hi)) {
        free(r.lo);
        free(r.hi);
        return SEALDB_ENOMEM;
    }
    t->ranges[t->nranges++] = r;
    return SEALDB_OK;
}

size_t mvcc_writes(const mvcc_txn *t, const mvcc_write **writes)
{
    *writes = t->writes;
    return t->nw;
}

static int bytes_cmp(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen)
{
    const int r = memcmp(a, b, alen < blen ? alen : blen);
    return r ? r : (alen > blen) - (alen < blen);
}

static int in_range(const range *r, const key *k)
{
    return k->space == r->space && (!r->lo || bytes_cmp(k->bytes, k->len, r->lo, r->lo_len) >= 0) &&
           (!r->hi || bytes_cmp(k->bytes, k->len, r->hi, r->hi_len) <= 0);
}

/* The most groups one committer leads in a row. */
#define MVCC_COMBINE 4
/* Rounds of polling (a few microseconds each) before a waiting committer sleeps. */
#define MVCC_SPINS 32
/* The longest a leader waits for transactions about to queue, in
 * microseconds, and as a share of a group's average apply time. */
#define MVCC_GATHER_MAX_US 100.0
#define MVCC_GATHER_SHARE 0.25
/* Gathers in a row that gain nothing before gathering pauses, and for how
 * many groups (a transaction that stays open long counts as expected). */
#define MVCC_GATHER_IDLE 2
#define MVCC_GATHER_PAUSE 16

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Where a group costs a sync (not short_groups), the leader waits, with
 * the lock released, until the transactions expected to queue have queued
 * or a quarter of a group's average apply time (at most 100 us) has passed:
 * with several writers the group in flight has just returned its members
 * to their threads, and their next commits would otherwise wait for a
 * whole sync behind a group of one. The waiting thread yields its core:
 * those threads, and the kernel's sync, need it. Under mu. */
static void gather(mvcc_db *db)
{
    if (db->hooks.short_groups || db->expected == 0 || db->apply_us <= 0) {
        return;
    }
    if (db->skip_gathers > 0) {
        db->skip_gathers--;
        return;
    }
    const uint64_t queued = db->stats.queued;
    const double cap = db->apply_us * MVCC_GATHER_SHARE;
    const double until = now_us() + (cap < MVCC_GATHER_MAX_US ? cap : MVCC_GATHER_MAX_US);
    db->stats.gathers++;
    pthread_mutex_unlock(&db->mu);
    while (__atomic_load_n(&db->expected, __ATOMIC_RELAXED) > 0 && now_us() < until) {
        sched_yield();
    }
    pthread_mutex_lock(&db->mu);
    if (db->stats.queued > queued) {
        db->idle_gathers = 0;
    } else if (++db->idle_gathers >= MVCC_GATHER_IDLE) {
        db->idle_gathers = 0;
        db->skip_gathers = MVCC_GATHER_PAUSE;
    }
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* Whether a serializable transaction read any key or range of space. */
static int read_in_space(const mvcc_txn *t, uint32_t space)
{
    for (size_t i = 0; i < t->reads.n; i++) {
        if (t->reads.keys[i].space == space) {
            return 1;
        }
    }
    for (size_t r = 0; r < t->nranges; r++) {
        if (t->ranges[r].space == space) {
            return 1;
        }
    }
    return 0;
}

/* 0, or SEALDB_ECONFLICT with the stats counted. Under mu. */
static int validate(mvcc_db *db, const mvcc_txn *t)
{
    /* the first commit after the snapshot: a long-lived transaction keeps
     * many older ones in the log, which a binary search skips */
    size_t lo = db->log_first, hi = db->log_n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (db->log[mid]->seq <= t->snapshot) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (size_t at = lo; at < db->log_n; at++) {
        const log_entry *e = db->log[at];
        for (size_t i = 0; i < e->keys.n; i++) {
            const key *k = &e->keys.keys[i];
            if (set_find(&t->written, k->space, k->bytes, k->len, k->hash) >= 0 ||
                set_find(&t->claims, k->space, k->bytes, k->len, k->hash) >= 0) {
                db->stats.conflicts_write++;
                return SEALDB_ECONFLICT;
            }
            if (set_find(&t->guards, k->space, k->bytes, k->len, k->hash) >= 0) {
                db->stats.conflicts_guard++;
                return SEALDB_ECONFLICT;
            }
            if (!t->serializable) {
                continue;
            }
            int hit = set_find(&t->reads, k->space, k->bytes, k->len, k->hash) >= 0;
            for (size_t r = 0; !hit && r < t->nranges; r++) {
                hit = in_range(&t->ranges[r], k);
            }
            if (!hit && k->len == 1 && k->bytes[0] == MVCC_SPACE_KEY_BYTE) {
                hit = read_in_space(t, k->space); /* the whole space was written */
            }
            if (hit) {
                db->stats.conflicts_read++;
                return SEALDB_ECONFLICT;
            }
        }
    }
    return SEALDB_OK;
}

/* The transaction's keys as a log entry. */
static int log_append(mvcc_db *db, const mvcc_txn *t)
{
    log_entry *e = calloc(1, sizeof *e);
    if (!e) {
        return SEALDB_ENOMEM;
    }
    e->seq = t->seq;
    size_t index;
    for (size_t i = 0; i < t->written.n; i++) {
        const key *k = &t->written.keys[i];
        if (set_add(&e->keys, k->space, k->bytes, k->len, &index) != SEALDB_OK) {
            set_free(&e->keys);
            free(e);
            return SEALDB_ENOMEM;
        }
    }
    for (size_t i = 0; i < t->claims.n; i++) {
        const key *k = &t->claims.keys[i];
        if (set_add(&e->keys, k->space, k->bytes, k->len, &index) != SEALDB_OK) {
            set_free(&e->keys);
            free(e);
            return SEALDB_ENOMEM;
        }
    }
    if (db->log_n == db->log_cap) {
        if (db->log_first > 0) {
            /* slide the live entries to the front */
            memmove(db->log, db->log + db->log_first,
                    (db->log_n - db->log_first) * sizeof *db->log);
            db->log_n -= db->log_first;
            db->log_first = 0;
        }
        if (db->log_n == db->log_cap) {
            const size_t cap = db->log_cap ? db->log_cap * 2 : 64;
            log_entry **l = realloc(db->log, cap * sizeof *l);
            if (!l) {
                set_free(&e->keys);
                free(e);
                return SEALDB_ENOMEM;
            }
            db->log = l;
            db->log_cap = cap;
        }
    }
    db->log[db->log_n++] = e;
    return SEALDB_OK;
}

/* Removes the log entries of sequence numbers first..last (a refused group). */
static void log_remove(mvcc_db *db, uint64_t first, uint64_t last)
{
    size_t w = db->log_first;
    for (size_t i = db->log_first; i < db->log_n; i++) {
        log_entry *e = db->log[i];
        if (e->seq >= first && e->seq <= last) {
            set_free(&e->keys);
            free(e);
        } else {
            db->log[w++] = e;
        }
    }
    db->log_n = w;
}

/* Signals the transactions a leader chose to wake (marked wakers under mu)
 * and, with broadcast, those waiting on db->cv; mu not held. A woken
 * transaction's thread frees it only once wakers is clear. */
static void wake_flush(mvcc_db *db, mvcc_txn **wake, int *nwake, int *broadcast)
{
    for (int i = 0; i < *nwake; i++) {
        pthread_cond_signal(&wake[i]->cv);
        if (db->hooks.signalled) {
            db->hooks.signalled(db->hooks.ctx);
        }
        __atomic_sub_fetch(&wake[i]->wakers, 1, __ATOMIC_RELEASE);
    }
    *nwake = 0;
    if (*broadcast) {
        pthread_cond_broadcast(&db->cv);
        *broadcast = 0;
    }
}

int mvcc_commit(mvcc_txn *t)
{
    if (!t) {
        return SEALDB_EINVAL;
    }
    mvcc_db *db = t->db;
    pthread_mutex_lock(&db->mu);
    if (t->kind == MVCC_READ || (t->nw == 0 && t->claims.n == 0)) {
        unlink_active(db, t);
        pthread_mutex_unlock(&db->mu);
        txn_free(t);
        return SEALDB_OK;
    }
    /* an exclusive transaction owns the commit path while it lives */
    while (db->exclusive && db->exclusive != t) {
        db->cv_waiters++;
        pthread_cond_wait(&db->cv, &db->mu);
        db->cv_waiters--;
    }
    int rc = validate(db, t);
    if (rc == SEALDB_OK) {
        t->seq = db->assigned + 1;
        rc = log_append(db, t);
    }
    if (rc != SEALDB_OK) {
        unlink_active(db, t);
        pthread_mutex_unlock(&db->mu);
        txn_free(t);
        return rc;
    }
    db->assigned = t->seq;
    if (db->queue_tail) {
        db->queue_tail->next_queued = t;
    } else {
        db->queue_head = t;
    }
    db->queue_tail = t;
    db->stats.queued++;
    expect(db, t, 0);
    /* With short groups (mvcc_hooks), a leader that finds more transactions
     * queued when its group has landed leads theirs too (up to MVCC_COMBINE
     * groups): it is running, where waking a sleeping one to lead costs a
     * thread switch on the commit path. */
    int led = 0, spins = 0, nwake = 0, broadcast = 0;
    mvcc_txn *wake[257];
    for (;;) {
        if (nwake || broadcast) {
            /* the last group's wake-ups, before this thread leads or waits again */
            pthread_mutex_unlock(&db->mu);
            wake_flush(db, wake, &nwake, &broadcast);
            pthread_mutex_lock(&db->mu);
        }
        if (t->done) {
            if (!led || led >= MVCC_COMBINE || !db->hooks.short_groups || !db->queue_head ||
                db->flushing) {
                break;
            }
        } else if (db->flushing || db->queue_head != t) {
            /* a short group in flight often lands sooner than a sleep and
             * a wake-up take: poll a while before sleeping, as long as a
             * core is left for the others. Not while a group syncs: the
             * sync needs the cores too (the kernel's journal and the
             * device's completions), and polling threads made it slower. */
            if (db->hooks.short_groups && spins < MVCC_SPINS && db->spinners < db->max_spinners) {
                spins++;
                db->spinners++;
                pthread_mutex_unlock(&db->mu);
                for (int i = 0; i < 200 && !__atomic_load_n(&t->done, __ATOMIC_ACQUIRE) &&
                                __atomic_load_n(&db->flushing, __ATOMIC_ACQUIRE);
                     i++) {
                    cpu_relax();
                }
                if (spins % 8 == 0) {
                    sched_yield(); /* let the leader run where cores are few */
                }
                pthread_mutex_lock(&db->mu);
                db->spinners--;
                continue;
            }
            t->sleeping = 1;
            pthread_cond_wait(&t->cv, &db->mu);
            t->sleeping = 0;
            continue;
        }
        led++;
        /* lead a group: everything queued so far */
        __atomic_store_n(&db->flushing, 1, __ATOMIC_RELEASE);
        gather(db);
        mvcc_txn *batch[256];
        int n = 0;
        while (db->queue_head && n < 256) {
            batch[n++] = db->queue_head;
            db->queue_head = db->queue_head->next_queued;
        }
        db->stats.queued -= (uint64_t)n;
        if (!db->queue_head) {
            db->queue_tail = NULL;
        }
        const uint64_t first = batch[0]->seq, last = batch[n - 1]->seq;
        pthread_mutex_unlock(&db->mu);
        const double started = db->hooks.short_groups ? 0 : now_us();
        const int arc = db->hooks.apply_group(db->hooks.ctx, batch, n, first);
        const double took = db->hooks.short_groups ? 0 : now_us() - started;
        pthread_mutex_lock(&db->mu);
        if (!db->hooks.short_groups) {
            db->apply_us = db->apply_us > 0 ? db->apply_us * 0.875 + took * 0.125 : took;
        }
        db->stats.groups++;
        db->stats.grouped += (uint64_t)n;
        db->stats.largest_group =
            (uint64_t)n > db->stats.largest_group ? (uint64_t)n : db->stats.largest_group;
        /* a refused group's numbers stay unused: the state they publish is
         * the one before it (an exclusive transaction waits for published
         * to catch up with assigned) */
        db->published = last;
        if (arc == SEALDB_OK) {
            if (db->hooks.publish) {
                db->hooks.publish(db->hooks.ctx, last);
            }
            db->stats.commits += (uint64_t)n;
        } else {
            db->stats.failed_groups++;
            log_remove(db, first, last);
        }
        /* wake exactly who has something to do: the group's members, the
         * head of the queue (it leads next), and those waiting for the
         * commit path to be free; once the lock is let go (wake_flush),
         * or each would wake only to wait for it */
        for (int i = 0; i < n; i++) {
            batch[i]->result = arc;
            __atomic_store_n(&batch[i]->done, 1, __ATOMIC_RELEASE);
            if (batch[i]->kind == MVCC_CONCURRENT) {
                expect(db, batch[i], 1); /* until its thread has returned */
            }
            if (batch[i] != t && batch[i]->sleeping) {
                __atomic_add_fetch(&batch[i]->wakers, 1, __ATOMIC_RELAXED);
                wake[nwake++] = batch[i];
            }
        }
        __atomic_store_n(&db->flushing, 0, __ATOMIC_RELEASE);
        mvcc_txn *next = db->queue_head;
        if (next && (led >= MVCC_COMBINE || !db->hooks.short_groups) && next->sleeping) {
            __atomic_add_fetch(&next->wakers, 1, __ATOMIC_RELAXED);
            wake[nwake++] = next; /* it leads next */
        }
        broadcast |= db->cv_waiters > 0;
    }
    rc = t->result;
    unlink_active(db, t);
    pthread_mutex_unlock(&db->mu);
    wake_flush(db, wake, &nwake, &broadcast);
    /* a leader signalling this transaction's cv is done with it first */
    while (__atomic_load_n(&t->wakers, __ATOMIC_ACQUIRE)) {
        sched_yield();
    }
    txn_free(t);
    return rc;
}

void mvcc_rollback(mvcc_txn *t)
{
    if (!t) {
        return;
    }
    mvcc_db *db = t->db;
    pthread_mutex_lock(&db->mu);
    unlink_active(db, t);
    pthread_mutex_unlock(&db->mu);
    txn_free(t);
}

void mvcc_count_retry(mvcc_db *db)
{
    pthread_mutex_lock(&db->mu);
    db->stats.retries++;
    pthread_mutex_unlock(&db->mu);
}

void mvcc_backoff(uint64_t *seed, int attempt)
{
    uint64_t s = *seed ? *seed : 0x9e3779b97f4a7c15ull;
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    *seed = s;
    const int shift = attempt < 11 ? attempt : 11;
    const long ns = (long)(s % ((uint64_t)20000 << shift));
    const struct timespec pause = {ns / 1000000000L, ns % 1000000000L};
    nanosleep(&pause, NULL);
}

int mvcc_run(mvcc_db *db, int kind, int serializable, int max_attempts,
             int (*fn)(mvcc_txn *t, void *arg), void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)&seed ^ (uint64_t)time(NULL);
    int rc = SEALDB_ECONFLICT;
    for (int attempt = 0; attempt < max_attempts; attempt++) {
        if (attempt > 0) {
            mvcc_count_retry(db);
            mvcc_backoff(&seed, attempt);
        }
        mvcc_txn *t;
        if ((rc = mvcc_begin(db, kind, serializable, &t)) != SEALDB_OK) {
            return rc;
        }
        rc = fn(t, arg);
        if (rc != SEALDB_OK) {
            mvcc_rollback(t);
            if (rc != SEALDB_ECONFLICT) {
                return rc;
            }
            continue;
        }
        rc = mvcc_commit(t);
        if (rc != SEALDB_ECONFLICT) {
            return rc;
        }
    }
    return rc;
}

int64_t mvcc_next_rowid(mvcc_db *db, uint32_t space, int64_t floor)
{
    pthread_mutex_lock(&db->mu);
    size_t i = 0;
    while (i < db->ncounters && db->counters[i].space != space) {
        i++;
    }
    if (i == db->ncounters) {
        struct counter *c = realloc(db->counters, (db->ncounters + 1) * sizeof *c);
        if (!c) {
            pthread_mutex_unlock(&db->mu);
            return 0; /* 0 is never handed out: the caller reports no memory */
        }
        db->counters = c;
        db->counters[db->ncounters++] = (struct counter){space, floor};
    }
    struct counter *c = &db->counters[i];
    const int64_t top = c->last > floor ? c->last : floor;
    const int64_t id = top < INT64_MAX ? top + 1 : 0;
    if (id) {
        c->last = id;
    }
    pthread_mutex_unlock(&db->mu);
    return id;
}

void mvcc_rowid_key(int64_t rowid, uint8_t k[8])
{
    const uint64_t u = (uint64_t)rowid ^ 0x8000000000000000ull;
    for (int i = 0; i < 8; i++) {
        k[i] = (uint8_t)(u >> (56 - 8 * i));
    }
}

void mvcc_get_stats(mvcc_db *db, mvcc_stats *out)
{
    pthread_mutex_lock(&db->mu);
    *out = db->stats;
    pthread_mutex_unlock(&db->mu);
}
