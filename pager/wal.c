/*
 * wal.c - the WAL file: its header and frames, recovery, and the copying
 * half of checkpoints.
 *
 * The file is SQLite's WAL, byte for byte what the sealdb VFS writes
 * (docs/FORMAT.md section 7), so either side recovers the other's log:
 *
 *   header (32 bytes)   magic 0x377f0682, version 3007000, page size,
 *                       checkpoint sequence, salt-1, salt-2, and the
 *                       checksum of bytes 0..23
 *   frame (24 + P)      page number, page count after the commit (commit
 *                       frames only, else 0), the header's salts, the
 *                       cumulative checksum; then the sealed page image
 *
 * The checksum chain runs over frame header bytes 0..7 and the body *as
 * stored* (sealed), from the header's checksum on.
 *
 * Invariants:
 * - The log is the longest run of frames from the start whose salts match
 *   the header and whose chain holds, up to its last commit frame. Frames
 *   past it are never applied, and the next commit writes over them.
 * - A frame inside the log whose seal fails is corruption (the chain is no
 *   cryptographic proof, so a valid chain around a bad seal is damage or
 *   tampering): recovery fails and names frame and page; it never ends
 *   the log there and never serves the frame.
 * - A new header (a new generation of the log) gets salt-1 one higher and
 *   a fresh random salt-2, so frames of an older generation that remain in
 *   the file can never join the new chain; it is written and synced before
 *   any frame after it (else a torn write could leave the old header with
 *   a prefix of the old log, to be replayed over a newer database file).
 * - Frames reach the database file only after the WAL is synced (unless
 *   durability is off), and the database is synced before the log starts
 *   over.
 */
#include <stdlib.h>
#include <string.h>

#include "pager_int.h"

static uint64_t frame_offset(const wal *w, uint32_t frame)
{
    return WAL_HEADER_BYTES + (uint64_t)(frame - 1) * (FRAME_HEADER_BYTES + w->page_size);
}

int wal_open(pager *p, sealdb_error *err)
{
    wal *w = &p->w;
    w->page_size = p->page_size;
    const int rc = p->io->open(p->io, p->wal_path, PAGER_FILE_WAL, 1, &w->file);
    if (rc != SEALDB_OK) {
        return pager_io_error(err, rc, "cannot open the WAL %s", p->wal_path);
    }
    return SEALDB_OK;
}

void wal_close(pager *p)
{
    wal *w = &p->w;
    if (w->file) {
        w->file->io->close(w->file);
        w->file = NULL;
    }
    free(w->frames);
    w->frames = NULL;
    w->cap = 0;
    if (w->buf) {
        crypto_wipe(w->buf, w->buf_cap);
        free(w->buf);
        w->buf = NULL;
    }
}

int wal_reserve(wal *w, uint32_t frames)
{
    if (frames <= w->cap) {
        return SEALDB_OK;
    }
    uint32_t cap = w->cap ? w->cap : 1024;
    while (cap < frames) {
        cap *= 2;
    }
    wal_frame_info *f = realloc(w->frames, sizeof *f * cap);
    if (!f) {
        return SEALDB_ENOMEM;
    }
    w->frames = f;
    w->cap = cap;
    return SEALDB_OK;
}

/* A new header in memory: the next generation of the one before, or a
 * first one. It reaches the file with the first frames after it. */
static void new_header(wal *w)
{
    uint32_t seq = 0, salt1;
    if (w->hdr_valid) {
        seq = get_be32(w->hdr + 12) + 1;
        salt1 = get_be32(w->hdr + 16) + 1;
    } else {
        sealdb_random_bytes(&salt1, sizeof salt1);
    }
    uint8_t salt2[4];
    sealdb_random_bytes(salt2, sizeof salt2);
    put_be32(w->hdr, WAL_MAGIC);
    put_be32(w->hdr + 4, WAL_VERSION);
    put_be32(w->hdr + 8, w->page_size);
    put_be32(w->hdr + 12, seq);
    put_be32(w->hdr + 16, salt1);
    memcpy(w->hdr + 20, salt2, 4);
    w->big_endian = 0;
    const uint32_t zero[2] = {0, 0};
    wal_checksum(0, w->hdr, 24, zero, w->chk);
    put_be32(w->hdr + 24, w->chk[0]);
    put_be32(w->hdr + 28, w->chk[1]);
    w->hdr_valid = 1;
    w->hdr_on_disk = 0;
}

void wal_new_header(pager *p)
{
    new_header(&p->w);
}

/* Checks a header read from the file; sets the chain's start. */
static int header_ok(wal *w, const uint8_t *hdr)
{
    const uint32_t magic = get_be32(hdr);
    if ((magic & ~1u) != WAL_MAGIC || get_be32(hdr + 4) != WAL_VERSION) {
        return 0;
    }
    const uint32_t zero[2] = {0, 0};
    uint32_t chk[2];
    wal_checksum((int)(magic & 1), hdr, 24, zero, chk);
    if (chk[0] != get_be32(hdr + 24) || chk[1] != get_be32(hdr + 28)) {
        return 0;
    }
    memcpy(w->hdr, hdr, WAL_HEADER_BYTES);
    w->big_endian = (int)(magic & 1);
    w->chk[0] = chk[0];
    w->chk[1] = chk[1];
    w->hdr_valid = 1;
    return 1;
}

#define SCAN_FRAMES 64

int wal_recover(pager *p, sealdb_error *err)
{
    wal *w = &p->w;
    uint64_t size = 0;
    int rc = w->file->io->size(w->file, &size);
    if (rc != SEALDB_OK) {
        return pager_io_error(err, rc, "reading the size of the WAL %s", p->wal_path);
    }
    uint8_t hdr[WAL_HEADER_BYTES];
    if (size < WAL_HEADER_BYTES) {
        return SEALDB_OK; /* no log: the next commit writes a header */
    }
    if ((rc = w->file->io->read(w->file, hdr, sizeof hdr, 0)) != SEALDB_OK) {
        return pager_io_error(err, rc, "reading the WAL header of %s", p->wal_path);
    }
    if (!header_ok(w, hdr)) {
        return SEALDB_OK; /* not a header SQLite would accept either: no log */
    }
    if (get_be32(hdr + 8) != p->page_size) {
        return error_set(err, SEALDB_ECORRUPT,
                         "the WAL %s has %u-byte pages but the database %u-byte pages: it does "
                         "not belong to this database",
                         p->wal_path, get_be32(hdr + 8), p->page_size);
    }
    const size_t fsize = FRAME_HEADER_BYTES + (size_t)p->page_size;
    const uint64_t nframes = (size - WAL_HEADER_BYTES) / fsize;
    if (nframes > UINT32_MAX - 1) {
        return error_set(err, SEALDB_ECORRUPT, "the WAL %s is too large", p->wal_path);
    }
    uint8_t *buf = malloc(fsize * SCAN_FRAMES);
    if (!buf || wal_reserve(w, (uint32_t)nframes) != SEALDB_OK) {
        free(buf);
        return error_set(err, SEALDB_ENOMEM, "out of memory reading the WAL %s", p->wal_path);
    }
    uint32_t chk[2] = {w->chk[0], w->chk[1]};
    uint32_t mx = 0, bad = 0, bad_pgno = 0;
    int stop = 0;
    for (uint64_t i0 = 1; i0 <= nframes && !stop; i0 += SCAN_FRAMES) {
        const uint64_t n = nframes - i0 + 1 < SCAN_FRAMES ? nframes - i0 + 1 : SCAN_FRAMES;
        rc = w->file->io->read(w->file, buf, fsize * n, frame_offset(w, (uint32_t)i0));
        if (rc != SEALDB_OK) {
            free(buf);
            return pager_io_error(err, rc, "reading WAL frames of %s", p->wal_path);
        }
        for (uint64_t k = 0; k < n && !stop; k++) {
            uint8_t *fh = buf + k * fsize, *body = fh + FRAME_HEADER_BYTES;
            const uint32_t frame = (uint32_t)(i0 + k), pgno = get_be32(fh);
            uint32_t next[2];
            if (memcmp(fh + 8, w->hdr + 16, 8) != 0 || pgno == 0) {
                stop = 1;
                break;
            }
            wal_frame_checksum(w->big_endian, fh, body, w->page_size, chk, next);
            if (next[0] != get_be32(fh + 16) || next[1] != get_be32(fh + 20)) {
                stop = 1;
                break;
            }
            chk[0] = next[0];
            chk[1] = next[1];
            w->frames[frame - 1].pgno = pgno;
            w->frames[frame - 1].commit = get_be32(fh + 4);
            if (w->frames[frame - 1].commit) {
                mx = frame;
                w->chk[0] = chk[0];
                w->chk[1] = chk[1];
            }
            if (p->seal && !bad) {
                if (pager_unseal(p, body, pgno) != SEALDB_OK) {
                    bad = frame;
                    bad_pgno = pgno;
                } else {
                    stat_add(&p->n_unsealed, 1);
                }
            }
        }
    }
    crypto_wipe(buf, fsize * SCAN_FRAMES);
    free(buf);
    if (bad && bad <= mx) {
        return error_set(err, SEALDB_ECORRUPT,
                         "page %u in WAL frame %u of %s failed authentication, inside the "
                         "committed log: the WAL is damaged or was tampered with",
                         bad_pgno, bad, p->wal_path);
    }
    if (mx == 0) {
        return SEALDB_OK; /* a header without a commit: start over */
    }
    /* The index: every frame of the log becomes a version of its page. */
    const uint32_t gen = p->gen;
    for (uint32_t f = 1; f <= mx; f++) {
        const uint32_t pgno = w->frames[f - 1].pgno;
        stripe *s = cache_stripe(&p->cache, pgno);
        pager_page *v = calloc(1, sizeof *v);
        page_rec *r = NULL;
        if (!v || cache_rec_add(s, NULL, &r, pgno) != SEALDB_OK) {
            free(v);
            return error_set(err, SEALDB_ENOMEM, "out of memory for the WAL index");
        }
        v->tag = version_tag(gen, f);
        v->pgno = pgno;
        v->slot = -1;
        v->older = r->frames;
        r->frames = v;
    }
    w->hdr_on_disk = 1;
    p->mx_frame = mx;
    p->page_count = w->frames[mx - 1].commit;
    return SEALDB_OK;
}

int wal_read_body(pager *p, uint32_t frame, uint8_t *buf)
{
    wal *w = &p->w;
    return w->file->io->read(w->file, buf, w->page_size,
                             frame_offset(w, frame) + FRAME_HEADER_BYTES);
}

#define APPEND_FRAMES 128

int wal_append(pager *p, pager_page **pages, uint32_t n, uint32_t page_count, uint32_t first,
               uint32_t chain[2], sealdb_error *err)
{
    wal *w = &p->w;
    const size_t fsize = FRAME_HEADER_BYTES + (size_t)w->page_size;
    const uint32_t per = n < APPEND_FRAMES ? n : APPEND_FRAMES;
    const size_t need = fsize * per;
    if (w->buf_cap < need) {
        if (w->buf) {
            crypto_wipe(w->buf, w->buf_cap);
        }
        free(w->buf);
        w->buf = malloc(need);
        w->buf_cap = w->buf ? need : 0;
        if (!w->buf) {
            return error_set(err, SEALDB_ENOMEM, "out of memory for WAL frames");
        }
    }
    if (!w->hdr_on_disk) {
        /* A new generation's header goes first, synced: were it written
         * with the frames and torn, the old header could survive with a
         * prefix of the old log, which recovery would then replay over a
         * newer database file (SQLite syncs it for the same reason). */
        int rc = w->file->io->write(w->file, w->hdr, WAL_HEADER_BYTES, 0);
        if (rc != SEALDB_OK) {
            return pager_io_error(err, rc, "writing the WAL header of %s", p->wal_path);
        }
        if (p->durability != PAGER_SYNC_OFF && (rc = wal_sync(p, err)) != SEALDB_OK) {
            return rc;
        }
        w->hdr_on_disk = 1;
    }
    uint32_t chk[2] = {w->chk[0], w->chk[1]};
    for (uint32_t i0 = 0; i0 < n; i0 += per) {
        const uint32_t m = n - i0 < per ? n - i0 : per;
        uint8_t *out = w->buf;
        const uint64_t off = frame_offset(w, first + i0);
        for (uint32_t k = 0; k < m; k++) {
            const pager_page *pg = pages[i0 + k];
            uint8_t *fh = out + k * fsize, *body = fh + FRAME_HEADER_BYTES;
            put_be32(fh, pg->pgno);
            put_be32(fh + 4, i0 + k + 1 == n ? page_count : 0);
            memcpy(fh + 8, w->hdr + 16, 8);
            if (p->seal) {
                if (seal_page(p->seal, body, pg->data, w->page_size, pg->pgno) != SEALDB_OK) {
                    crypto_wipe(w->buf, w->buf_cap);
                    return error_set(err, SEALDB_ECRYPTO, "sealing page %u failed", pg->pgno);
                }
            } else {
                memcpy(body, pg->data, w->page_size);
            }
            wal_frame_checksum(w->big_endian, fh, body, w->page_size, chk, chk);
            put_be32(fh + 16, chk[0]);
            put_be32(fh + 20, chk[1]);
        }
        if (p->seal) {
            stat_add(&p->n_sealed, m);
        }
        const int rc = w->file->io->write(w->file, w->buf, fsize * m, off);
        if (rc != SEALDB_OK) {
            return pager_io_error(err, rc, "writing WAL frames %u..%u of %s", first, first + n - 1,
                                  p->wal_path);
        }
    }
    for (uint32_t k = 0; k < n; k++) {
        w->frames[first + k - 1].pgno = pages[k]->pgno;
        w->frames[first + k - 1].commit = k + 1 == n ? page_count : 0;
    }
    chain[0] = chk[0];
    chain[1] = chk[1];
    stat_add(&p->n_frames, n);
    return SEALDB_OK;
}

int wal_failed_error(pager *p, sealdb_error *err)
{
    return error_set(err, SEALDB_EIO,
                     "an earlier sync of the WAL %s failed, so what it held may not be on disk: "
                     "close the database and open it again (recovery keeps what is)",
                     p->wal_path);
}

/* A failed sync stays failed: on Linux a failed fsync may leave the pages
 * it could not write marked clean, and reports the error once, to one
 * caller. A commit whose frames were written before a checkpoint's sync
 * failed would then sync "successfully" without them. Syncs are taken one
 * at a time, so every sync after a failure, and every commit, sees it. */
int wal_sync(pager *p, sealdb_error *err)
{
    wal *w = &p->w;
    pthread_mutex_lock(&p->sync_mu);
    const int failed = p->wal_failed;
    const int rc = failed ? SEALDB_EIO : w->file->io->sync(w->file, 0);
    if (rc != SEALDB_OK) {
        __atomic_store_n(&p->wal_failed, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&p->sync_mu);
    if (failed) {
        return wal_failed_error(p, err);
    }
    if (rc != SEALDB_OK) {
        return pager_io_error(err, rc, "syncing the WAL %s", p->wal_path);
    }
    stat_add(&p->n_wal_syncs, 1);
    return SEALDB_OK;
}

typedef struct copy_item {
    uint32_t pgno, frame;
} copy_item;

static int by_page_then_newest(const void *a, const void *b)
{
    const copy_item *x = a, *y = b;
    if (x->pgno != y->pgno) {
        return x->pgno < y->pgno ? -1 : 1;
    }
    return x->frame > y->frame ? -1 : x->frame < y->frame;
}

int wal_backfill(pager *p, uint32_t gen, uint32_t from, uint32_t limit, uint32_t page_count,
                 int all, sealdb_error *err)
{
    wal *w = &p->w;
    const uint32_t n = limit - from;
    copy_item *items = malloc(sizeof *items * n);
    uint8_t *buf = malloc(w->page_size);
    if (!items || !buf) {
        free(items);
        free(buf);
        return error_set(err, SEALDB_ENOMEM, "out of memory for a checkpoint");
    }
    /* frames[] entries up to the published last frame are stable; a writer
     * appends only after it, and reallocates under the pager's mutex. */
    pthread_mutex_lock(&p->mu);
    for (uint32_t i = 0; i < n; i++) {
        items[i].frame = from + 1 + i;
        items[i].pgno = w->frames[from + i].pgno;
    }
    pthread_mutex_unlock(&p->mu);
    qsort(items, n, sizeof *items, by_page_then_newest);
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0 && items[i].pgno == items[i - 1].pgno) {
            continue; /* an older frame of the same page */
        }
        items[m++] = items[i];
    }
    int rc = SEALDB_OK;
    if (p->durability != PAGER_SYNC_OFF) {
        rc = wal_sync(p, err);
    }
    uint32_t copied = 0;
    for (uint32_t i = 0; i < m && rc == SEALDB_OK; i++) {
        const uint32_t pgno = items[i].pgno;
        if (pgno > page_count) {
            continue; /* the database shrank since */
        }
        /* the sealed image is a valid database page as it is (FORMAT.md 7) */
        if ((rc = wal_read_body(p, items[i].frame, buf)) != SEALDB_OK) {
            rc = pager_io_error(err, rc, "reading WAL frame %u of %s", items[i].frame, p->wal_path);
            break;
        }
        rc = p->db->io->write(p->db, buf, w->page_size, (uint64_t)(pgno - 1) * w->page_size);
        if (rc != SEALDB_OK) {
            rc = pager_io_error(err, rc, "writing page %u to %s", pgno, p->path);
            break;
        }
        copied++;
    }
    if (rc == SEALDB_OK && all) {
        uint64_t size = 0;
        const uint64_t want = (uint64_t)page_count * w->page_size;
        rc = p->db->io->size(p->db, &size);
        if (rc == SEALDB_OK && size > want) {
            rc = p->db->io->truncate(p->db, want);
        }
        if (rc != SEALDB_OK) {
            rc = pager_io_error(err, rc, "truncating %s to %u pages", p->path, page_count);
        }
    }
    if (rc == SEALDB_OK && p->durability != PAGER_SYNC_OFF) {
        rc = p->db->io->sync(p->db, 0);
        if (rc != SEALDB_OK) {
            rc = pager_io_error(err, rc, "syncing %s", p->path);
        } else {
            stat_add(&p->n_db_syncs, 1);
        }
    }
    if (rc == SEALDB_OK) {
        /* versions older than what the file now holds are out of every view */
        for (uint32_t i = 0; i < m; i++) {
            cache_prune(&p->cache, items[i].pgno, version_tag(gen, items[i].frame));
        }
        stat_add(&p->n_backfilled, copied);
    }
    crypto_wipe(buf, w->page_size);
    free(buf);
    free(items);
    return rc;
}

int wal_repair(pager *p, sealdb_error *err)
{
    wal *w = &p->w;
    const uint32_t mx = p->mx_frame;
    const size_t fsize = FRAME_HEADER_BYTES + (size_t)w->page_size;
    /* the frames of commits that failed go first: nothing of them may stay */
    int rc = w->file->io->truncate(w->file, mx ? frame_offset(w, mx + 1) : 0);
    if (rc != SEALDB_OK) {
        return pager_io_error(err, rc, "cutting the WAL %s after its last commit", p->wal_path);
    }
    if (mx == 0) {
        w->hdr_on_disk = 0;
    } else {
        uint8_t *buf = malloc(fsize * SCAN_FRAMES);
        uint8_t hdr[WAL_HEADER_BYTES];
        if (!buf) {
            return error_set(err, SEALDB_ENOMEM, "out of memory for the WAL");
        }
        rc = w->file->io->read(w->file, hdr, sizeof hdr, 0);
        int same = rc == SEALDB_OK && memcmp(hdr, w->hdr, WAL_HEADER_BYTES) == 0;
        if (same) {
            rc = w->file->io->write(w->file, hdr, sizeof hdr, 0);
        }
        uint32_t chk[2] = {get_be32(w->hdr + 24), get_be32(w->hdr + 28)};
        for (uint32_t i0 = 1; i0 <= mx && same && rc == SEALDB_OK; i0 += SCAN_FRAMES) {
            const uint32_t n = mx - i0 + 1 < SCAN_FRAMES ? mx - i0 + 1 : SCAN_FRAMES;
            const uint64_t off = frame_offset(w, i0);
            if ((rc = w->file->io->read(w->file, buf, fsize * n, off)) != SEALDB_OK) {
                break;
            }
            for (uint32_t k = 0; k < n && same; k++) {
                const uint8_t *fh = buf + k * fsize;
                wal_frame_checksum(w->big_endian, fh, fh + FRAME_HEADER_BYTES, w->page_size, chk,
                                   chk);
                same = memcmp(fh + 8, w->hdr + 16, 8) == 0 && chk[0] == get_be32(fh + 16) &&
                       chk[1] == get_be32(fh + 20) && get_be32(fh) == w->frames[i0 + k - 1].pgno;
            }
            if (same) {
                rc = w->file->io->write(w->file, buf, fsize * n, off);
            }
        }
        crypto_wipe(buf, fsize * SCAN_FRAMES);
        free(buf);
        if (rc != SEALDB_OK) {
            return pager_io_error(err, rc, "writing the WAL %s again", p->wal_path);
        }
        if (!same || chk[0] != w->chk[0] || chk[1] != w->chk[1]) {
            return error_set(err, SEALDB_EIO,
                             "the WAL %s, read back after a failed sync, is not what was written: "
                             "it is left as it is",
                             p->wal_path);
        }
    }
    if ((rc = w->file->io->sync(w->file, 0)) != SEALDB_OK) {
        return pager_io_error(err, rc, "syncing the WAL %s again", p->wal_path);
    }
    stat_add(&p->n_wal_syncs, 1);
    pthread_mutex_lock(&p->sync_mu);
    __atomic_store_n(&p->wal_failed, 0, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&p->sync_mu);
    return SEALDB_OK;
}

int wal_sync_empty(pager *p, sealdb_error *err)
{
    return p->durability == PAGER_SYNC_OFF ? SEALDB_OK : wal_sync(p, err);
}

int wal_truncate(pager *p, sealdb_error *err)
{
    wal *w = &p->w;
    const int rc = w->file->io->truncate(w->file, 0);
    if (rc != SEALDB_OK) {
        return pager_io_error(err, rc, "truncating the WAL %s", p->wal_path);
    }
    w->hdr_on_disk = 0;
    return SEALDB_OK;
}
