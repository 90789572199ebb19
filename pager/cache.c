/*
 * cache.c - the page table: the WAL index and the page cache in one.
 *
 * Every page number the pager knows of has a record (page_rec) in one of
 * PAGER_STRIPES stripes (pgno modulo the stripe count), each with its own
 * mutex and hash table. A record lists the page's versions: its WAL frames
 * of the current generation, newest first, and the database file's copy. A
 * snapshot resolves a page to the newest version whose tag is not above its
 * own (cache_resolve), so one hash lookup answers both "which version" and
 * "is it cached".
 *
 * Plaintext lives in a fixed pool of slots, page-sized pieces of one private
 * anonymous mapping that is kept out of core dumps and wiped when the pager
 * closes. A version holds at most one slot. When no slot is free, a CLOCK
 * hand sweeps the pool for a version that is not lent out and was not used
 * since the hand last passed; versions of a write batch never hold slots.
 *
 * Invariants:
 * - A version's data and slot change only under its stripe's mutex, and only
 *   while it is not lent out (its slot's lend count is 0); a lent page's
 *   bytes never change. The counts live per slot, in the slot's lend word
 *   with its generation (pager_int.h, slot_meta), not in the versions. A
 *   version being read in (loading > 0) stays allocated.
 * - A slot's generation moves whenever it stops holding its version; the
 *   hint (read without locks) names a slot and a generation, so a stale hint
 *   is seen as one. An evicted slot waits in limbo until a check finds no
 *   reader's hazard on it (pager.c): a reader may show a slot's bytes
 *   without lending it, and they must not change under it.
 * - owner[slot] is cleared only under the pool mutex and set (atomically)
 *   while the version's stripe is locked; a version is freed only after its
 *   slot was given back under the pool mutex, so the evictor, holding that
 *   mutex, may follow owner[] safely. It only try-locks stripes, so the
 *   order stripe -> pool never deadlocks.
 * - A snapshot's table of pinned pages (pager.c) holds one lend per page
 *   like any reader, so nothing here needs to know about it.
 * - A version is freed only when no snapshot can resolve to it: frames
 *   older than one every live snapshot sees (cache_prune), the file's copy
 *   once a newer frame is in the file, the whole WAL's history when it
 *   starts over (cache_restart). Such versions are never lent out.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pager_int.h"

int cache_init(page_cache *c, uint32_t page_size, uint32_t nslots)
{
    memset(c, 0, sizeof *c);
    c->page_size = page_size;
    c->nslots = nslots;
    c->arena_bytes = (size_t)nslots * page_size;
    void *arena =
        mmap(NULL, c->arena_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (arena == MAP_FAILED) {
        return SEALDB_ENOMEM;
    }
#ifdef MADV_DONTDUMP
    madvise(arena, c->arena_bytes, MADV_DONTDUMP);
#endif
    c->arena = arena;
    c->owner = calloc(nslots, sizeof *c->owner);
    c->meta = aligned_alloc(sizeof *c->meta, sizeof *c->meta * nslots);
    uint32_t hint_n = 1024;
    while (hint_n < 2 * nslots) {
        hint_n <<= 1;
    }
    c->hint = calloc(hint_n, sizeof *c->hint);
    c->hmask = hint_n - 1;
    c->ref = calloc(nslots, 1);
    c->free_slots = malloc(sizeof *c->free_slots * nslots);
    c->limbo = malloc(sizeof *c->limbo * nslots);
    c->limbo_mark = calloc(nslots, 1);
    uint32_t per = 16;
    while (per < nslots / PAGER_STRIPES) {
        per <<= 1;
    }
    int ok = c->owner && c->meta && c->hint && c->ref && c->free_slots && c->limbo && c->limbo_mark;
    for (uint32_t i = 0; i < nslots && ok; i++) {
        slot_meta *m = &c->meta[i];
        memset(m, 0, sizeof *m);
        m->face.slot = (int32_t)i;
        m->face.data = cache_slot_data(c, (int32_t)i);
        m->face.lent = &m->lw;
    }
    for (int i = 0; i < PAGER_STRIPES && ok; i++) {
        stripe *s = &c->stripes[i];
        pthread_mutex_init(&s->mu, NULL);
        s->buckets = calloc(per, sizeof *s->buckets);
        s->mask = per - 1;
        ok = s->buckets != NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    if (!ok) {
        cache_destroy(c);
        return SEALDB_ENOMEM;
    }
    return SEALDB_OK;
}

void cache_destroy(page_cache *c)
{
    for (int i = 0; i < PAGER_STRIPES; i++) {
        stripe *s = &c->stripes[i];
        if (!s->buckets) {
            continue;
        }
        for (uint32_t b = 0; b <= s->mask; b++) {
            for (page_rec *r = s->buckets[b], *next; r; r = next) {
                next = r->next;
                for (pager_page *v = r->frames, *older; v; v = older) {
                    older = v->older;
                    free(v);
                }
                free(r->db);
                free(r);
            }
        }
        free(s->buckets);
        s->buckets = NULL;
        for (page_rec *r = s->spare_recs, *next; r; r = next) {
            next = r->next;
            free(r);
        }
        for (pager_page *v = s->spare_pages, *older; v; v = older) {
            older = v->older;
            free(v);
        }
        s->spare_recs = NULL;
        s->spare_pages = NULL;
        pthread_mutex_destroy(&s->mu);
    }
    if (c->arena) {
        /* only the slots ever used were touched */
        crypto_wipe(c->arena, (size_t)c->fresh * c->page_size);
        munmap(c->arena, c->arena_bytes);
        c->arena = NULL;
    }
    free(c->owner);
    free(c->meta);
    free(c->hint);
    free(c->ref);
    free(c->free_slots);
    free(c->limbo);
    free(c->limbo_mark);
    c->limbo = NULL;
    c->limbo_mark = NULL;
    c->owner = NULL;
    c->meta = NULL;
    c->hint = NULL;
    c->ref = NULL;
    c->free_slots = NULL;
    pthread_mutex_destroy(&c->mu);
}

#define MAX_SPARES 64

static void rec_release(stripe *s, page_rec *r)
{
    if (s->nspare_recs < MAX_SPARES) {
        r->next = s->spare_recs;
        s->spare_recs = r;
        s->nspare_recs++;
    } else {
        free(r);
    }
}

static void page_release(stripe *s, pager_page *v)
{
    if (s->nspare_pages < MAX_SPARES) {
        v->older = s->spare_pages;
        s->spare_pages = v;
        s->nspare_pages++;
    } else {
        free(v);
    }
}

pager_page *cache_page_new(stripe *s, uint32_t pgno)
{
    pager_page *v = s->spare_pages;
    if (v) {
        s->spare_pages = v->older;
        s->nspare_pages--;
    } else if (!(v = malloc(sizeof *v))) {
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->pgno = pgno;
    v->slot = -1;
    return v;
}

/* Doubles the hash table; when memory is short the chains just grow. */
static void stripe_grow(stripe *s)
{
    const uint32_t n = (s->mask + 1) * 2;
    page_rec **b = calloc(n, sizeof *b);
    if (!b) {
        return;
    }
    const uint32_t old = s->mask + 1;
    s->mask = n - 1;
    for (uint32_t i = 0; i < old; i++) {
        for (page_rec *r = s->buckets[i], *next; r; r = next) {
            next = r->next;
            const uint32_t k = cache_bucket_of(s, r->pgno);
            r->next = b[k];
            b[k] = r;
        }
    }
    free(s->buckets);
    s->buckets = b;
}

int cache_rec_add(stripe *s, page_rec *spare, page_rec **out, uint32_t pgno)
{
    page_rec *r = cache_rec(s, pgno);
    if (r) {
        *out = r;
        return SEALDB_OK;
    }
    return cache_rec_new(s, spare, out, pgno);
}

int cache_rec_new(stripe *s, page_rec *spare, page_rec **out, uint32_t pgno)
{
    assert(!cache_rec(s, pgno));
    if (!spare && s->spare_recs) {
        spare = s->spare_recs;
        s->spare_recs = spare->next;
        s->nspare_recs--;
    }
    page_rec *r = spare ? spare : malloc(sizeof *r);
    *out = r;
    if (!r) {
        return SEALDB_ENOMEM;
    }
    memset(r, 0, sizeof *r);
    r->pgno = pgno;
    if (++s->count > 2 * (s->mask + 1)) {
        stripe_grow(s);
    }
    const uint32_t k = cache_bucket_of(s, pgno);
    r->next = s->buckets[k];
    s->buckets[k] = r;
    return SEALDB_OK;
}

/* Unlinks and frees a record with no versions left. */
static void rec_drop_if_empty(stripe *s, page_rec *r)
{
    if (r->frames || r->db) {
        return;
    }
    for (page_rec **pp = &s->buckets[cache_bucket_of(s, r->pgno)]; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            s->count--;
            rec_release(s, r);
            return;
        }
    }
}

/* Evicts the version in slot i if it is neither lent out nor used since the
 * hand last passed (pool locked): 1 when the slot is free of it. */
static int evict(page_cache *c, uint32_t i)
{
    pager_page *v = __atomic_load_n(&c->owner[i], __ATOMIC_ACQUIRE);
    if (!v) {
        return 0; /* being filled, or waiting in limbo */
    }
    if (__atomic_load_n(&c->ref[i], __ATOMIC_RELAXED)) {
        __atomic_store_n(&c->ref[i], 0, __ATOMIC_RELAXED);
        return 0;
    }
    uint64_t *lw = &c->meta[i].lw;
    uint64_t w = __atomic_load_n(lw, __ATOMIC_RELAXED);
    if (lend_count(w)) {
        return 0; /* lent out (checked again below) */
    }
    stripe *s = cache_stripe(c, v->pgno);
    if (pthread_mutex_trylock(&s->mu) != 0) {
        return 0;
    }
    /* from a count of 0 only: a lock-free reader's lend and this eviction
     * cannot both succeed (slot_meta); sequentially consistent, for the
     * hazards' check (cache_slot_alloc) */
    const int won =
        __atomic_compare_exchange_n(lw, &w, w + LEND_GEN, 0, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
    if (won) {
        __atomic_store_n(&c->owner[i], NULL, __ATOMIC_RELAXED);
        v->slot = -1;
        v->data = NULL;
        v->lent = NULL;
        c->evictions++;
        c->used--;
        if (v->tag == 0) {
            /* the file's copy costs memory only while cached */
            page_rec *r = cache_rec(s, v->pgno);
            if (r && r->db == v && v->loading == 0) {
                r->db = NULL;
                page_release(s, v);
                rec_drop_if_empty(s, r);
            }
        }
    }
    pthread_mutex_unlock(&s->mu);
    return won;
}

int32_t cache_slot_alloc(page_cache *c, cache_hazards_fn hazards, void *arg)
{
    pthread_mutex_lock(&c->mu);
    int32_t slot = -1;
    if (c->nfree) {
        slot = (int32_t)c->free_slots[--c->nfree];
    } else if (c->fresh < c->nslots) {
        slot = (int32_t)c->fresh++;
    } else {
        /* A batch of victims goes to limbo; a slot leaves it only once no
         * reader shows it through a hazard handle (pager.c), which the
         * check costs per batch, not per slot. */
        const uint32_t batch = 1 + (c->nslots / 256 < 15 ? c->nslots / 256 : 15);
        for (uint32_t n = 0; n < 2 * c->nslots && !c->nfree;) {
            uint32_t got = 0;
            for (; n < 2 * c->nslots && got < batch; n++) {
                const uint32_t i = c->hand;
                c->hand = i + 1 == c->nslots ? 0 : i + 1;
                if (evict(c, i)) {
                    c->limbo[c->nlimbo++] = i;
                    c->limbo_mark[i] = LIMBO_IN;
                    got++;
                }
            }
            if (!c->nlimbo) {
                break;
            }
            if (hazards) {
                hazards(arg, c); /* marks what a reader still shows: LIMBO_SHOWN */
            }
            uint32_t keep = 0;
            for (uint32_t k = 0; k < c->nlimbo; k++) {
                const uint32_t i = c->limbo[k];
                if (c->limbo_mark[i] == LIMBO_SHOWN) {
                    c->limbo_mark[i] = LIMBO_IN;
                    c->limbo[keep++] = i;
                } else {
                    c->limbo_mark[i] = LIMBO_OUT;
                    c->free_slots[c->nfree++] = i;
                }
            }
            c->nlimbo = keep;
        }
        if (c->nfree) {
            slot = (int32_t)c->free_slots[--c->nfree];
        }
    }
    if (slot >= 0) {
        c->used++;
        __atomic_store_n(&c->ref[slot], 0, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&c->mu);
    return slot;
}

void cache_hazard(page_cache *c, uint64_t hazard)
{
    const uint32_t i = (uint32_t)hazard - 1;
    if (hazard && c->limbo_mark[i] == LIMBO_IN) {
        c->limbo_mark[i] = LIMBO_SHOWN;
    }
}

void cache_hazard_all(page_cache *c)
{
    for (uint32_t k = 0; k < c->nlimbo; k++) {
        c->limbo_mark[c->limbo[k]] = LIMBO_SHOWN;
    }
}

void cache_slot_free(page_cache *c, int32_t slot)
{
    pthread_mutex_lock(&c->mu);
    __atomic_store_n(&c->owner[slot], NULL, __ATOMIC_RELAXED);
    c->free_slots[c->nfree++] = (uint32_t)slot;
    c->used--;
    pthread_mutex_unlock(&c->mu);
}

void cache_attach(page_cache *c, pager_page *v, int32_t slot)
{
    slot_meta *m = &c->meta[slot];
    v->slot = slot;
    v->data = m->face.data;
    v->lent = &m->lw;
    /* for lock-free readers of this generation (cache_hint_get) */
    __atomic_store_n(&m->face.pgno, v->pgno, __ATOMIC_RELEASE);
    __atomic_store_n(&m->face.tag, v->tag, __ATOMIC_RELEASE);
    /* without the pool's mutex: an evictor that sees v here try-locks v's
     * stripe, which the caller holds, and finds v lent, or (a commit's new
     * version, attached unlent) whole */
    __atomic_store_n(&c->owner[slot], v, __ATOMIC_RELEASE);
    __atomic_store_n(&c->ref[slot], 1, __ATOMIC_RELAXED);
}

void cache_detach(page_cache *c, pager_page *v)
{
    if (v->slot >= 0) {
        /* the slot's generation moves: hints to it are stale from here. No
         * hazard shows it: a hazard is taken only on a version some live
         * snapshot sees, and such versions are never freed */
        const uint64_t w = __atomic_fetch_add(v->lent, LEND_GEN, __ATOMIC_ACQ_REL);
        assert(lend_count(w) == 0);
        (void)w;
        cache_slot_free(c, v->slot);
        v->slot = -1;
        v->data = NULL;
        v->lent = NULL;
    }
}

void cache_version_free(page_cache *c, pager_page *v)
{
    assert(v->loading == 0 &&
           (!v->lent || lend_count(__atomic_load_n(v->lent, __ATOMIC_ACQUIRE)) == 0));
    cache_detach(c, v);
    page_release(cache_stripe(c, v->pgno), v);
}

void cache_prune(page_cache *c, uint32_t pgno, uint64_t keep)
{
    stripe *s = cache_stripe(c, pgno);
    pthread_mutex_lock(&s->mu);
    page_rec *r = cache_rec(s, pgno);
    pager_page *k = r ? r->frames : NULL;
    while (k && k->tag > keep) {
        k = k->older;
    }
    if (k) {
        for (pager_page *v = k->older, *older; v; v = older) {
            older = v->older;
            cache_version_free(c, v);
        }
        k->older = NULL;
        if (r->db) {
            cache_version_free(c, r->db);
            r->db = NULL;
        }
    }
    pthread_mutex_unlock(&s->mu);
}

void cache_restart(page_cache *c)
{
    for (int i = 0; i < PAGER_STRIPES; i++) {
        stripe *s = &c->stripes[i];
        pthread_mutex_lock(&s->mu);
        for (uint32_t b = 0; b <= s->mask; b++) {
            for (page_rec *r = s->buckets[b]; r; r = r->next) {
                pager_page *newest = r->frames;
                if (!newest) {
                    continue;
                }
                for (pager_page *v = newest->older, *older; v; v = older) {
                    older = v->older;
                    cache_version_free(c, v);
                }
                if (r->db) {
                    cache_version_free(c, r->db);
                }
                /* the file now holds exactly this version */
                newest->older = NULL;
                newest->tag = 0;
                if (newest->slot >= 0) {
                    __atomic_store_n(&c->meta[newest->slot].face.tag, 0, __ATOMIC_RELEASE);
                }
                r->db = newest;
                r->frames = NULL;
            }
        }
        pthread_mutex_unlock(&s->mu);
    }
}
