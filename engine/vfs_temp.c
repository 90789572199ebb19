/*
 * vfs_temp.c - SQLite's temporary files, sealed in fixed-size blocks.
 *
 * The logical (plaintext) file is cut into blocks of TEMP_BLOCK bytes. Block
 * i is stored in `under` at offset i * TEMP_PHYS_BLOCK:
 *
 *   offset  size  content
 *        0  4096  the block's plaintext, encrypted with AEGIS-128L
 *     4096    16  the tag
 *
 * The key is 16 random bytes drawn when the file is opened; it lives only in
 * the cipher object's locked memory and dies with the temp_file. The nonce
 * (16 bytes) is an 8-byte random prefix drawn at open followed by a 64-bit
 * counter, little-endian, advanced on every seal. The associated data is the
 * block index, 8 bytes little-endian, so a block cannot be moved.
 *
 * Nothing about a block is trusted from `under`: the file is never reopened,
 * so `seq[i]` remembers in memory the counter of block i's latest seal (0:
 * never sealed, the block is a hole and reads as zeros without touching
 * `under`). Opening a block with the nonce rebuilt from seq[i] rejects a
 * changed block, a block copied from another index and an older version of
 * the same block alike; the nonce need not be stored, so it is not. The cost
 * is 8 bytes of memory per 4 KiB block.
 *
 * One block is held in plain in `plain` (the cached block): a partial write
 * patches it there and marks it dirty, and it is sealed only when another
 * block needs the buffer. SQLite's journals append records of a page plus a
 * few bytes, so a block is then sealed once instead of once per record
 * piece. Whole-block writes are sealed straight from the caller's buffer and
 * whole-block reads are opened straight into it. A partial read caches the
 * block unless the cache is dirty; then it opens the block in place in
 * `sealed`, so a read never has to write.
 *
 * Invariants:
 * - size <= TEMP_MAX_SIZE, so every physical offset fits a sqlite3_int64.
 * - Bytes at logical positions >= size are zero in every sealed block and in
 *   the cached block: writes stay below the new size, and a truncation in
 *   the middle of a block zeroes the rest of it. Growing the file therefore
 *   never shows old bytes.
 * - seq[i] == 0 for every block i at or past the end (truncation clears
 *   them), and the cached block, if any, lies below the end or is being
 *   written.
 * - dirty implies cached != NO_BLOCK; the cached block is authoritative over
 *   whatever `under` holds for it.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "crypto.h"
#include "sealdb.h"
#include "vfs_temp.h"

#define TEMP_CIPHER SEALDB_AEGIS128L
#define TEMP_KEY_BYTES 16
#define TEMP_NONCE_BYTES 16
#define TEMP_PREFIX_BYTES 8
#define TEMP_MAX_BLOCKS (INT64_MAX / TEMP_PHYS_BLOCK)
#define TEMP_MAX_SIZE (TEMP_MAX_BLOCKS * TEMP_BLOCK)
#define NO_BLOCK (-1)

_Static_assert(TEMP_PHYS_BLOCK == TEMP_BLOCK + SEALDB_TAG_BYTES, "a physical block is data + tag");
_Static_assert(TEMP_PREFIX_BYTES + 8 == TEMP_NONCE_BYTES, "nonce is prefix + 64-bit counter");

struct temp_file {
    sqlite3_file *under;   /* the real file; owned by the caller */
    sealdb_cipher *cipher; /* AEGIS-128L with this file's key */
    sqlite3_int64 size;    /* logical size in bytes */
    uint64_t *seq;         /* seq[i]: counter of block i's latest seal, 0 if none */
    size_t nseq;           /* entries in seq; blocks past them have never been sealed */
    uint64_t counter;      /* the last counter used in a nonce */
    sqlite3_int64 cached;  /* the block held in `plain`, or NO_BLOCK */
    int dirty;             /* `plain` differs from the block's latest seal */
    uint8_t prefix[TEMP_PREFIX_BYTES];
    uint8_t plain[TEMP_BLOCK];       /* the cached block's plaintext */
    uint8_t sealed[TEMP_PHYS_BLOCK]; /* one physical block on its way to or from `under` */
};

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* The counter of block b's latest seal, 0 if it has never been sealed. */
static uint64_t seq_of(const temp_file *f, sqlite3_int64 b)
{
    return (uint64_t)b < f->nseq ? f->seq[b] : 0;
}

/* Makes seq long enough to record block b. */
static int reserve(temp_file *f, sqlite3_int64 b)
{
    assert(b >= 0 && b < TEMP_MAX_BLOCKS);
    if ((uint64_t)b < f->nseq) {
        return SQLITE_OK;
    }
    uint64_t n = f->nseq ? f->nseq : 16;
    while (n <= (uint64_t)b) {
        n *= 2;
    }
    if (n > SIZE_MAX / sizeof *f->seq) {
        return SQLITE_NOMEM;
    }
    uint64_t *seq = sqlite3_realloc64(f->seq, n * sizeof *seq);
    if (!seq) {
        return SQLITE_NOMEM;
    }
    memset(seq + f->nseq, 0, ((size_t)n - f->nseq) * sizeof *seq);
    f->seq = seq;
    f->nseq = (size_t)n;
    return SQLITE_OK;
}

/* The nonce and associated data of block b sealed with counter seq. */
static void block_nonce_ad(const temp_file *f, sqlite3_int64 b, uint64_t seq,
                           uint8_t nonce[TEMP_NONCE_BYTES], uint8_t ad[8])
{
    memcpy(nonce, f->prefix, TEMP_PREFIX_BYTES);
    put_le64(nonce + TEMP_PREFIX_BYTES, seq);
    put_le64(ad, (uint64_t)b);
}

/* Seals TEMP_BLOCK bytes of plaintext as block b of `under`, under a fresh nonce. */
static int seal_block(temp_file *f, sqlite3_int64 b, const uint8_t *plain)
{
    uint8_t nonce[TEMP_NONCE_BYTES], ad[8];
    int rc = reserve(f, b);
    if (rc != SQLITE_OK) {
        return rc;
    }
    assert(f->counter < UINT64_MAX);
    const uint64_t seq = ++f->counter; /* advanced even if this seal fails: never reused */
    block_nonce_ad(f, b, seq, nonce, ad);
    if (sealdb_cipher_encrypt(f->cipher, f->sealed, f->sealed + TEMP_BLOCK, plain, TEMP_BLOCK, ad,
                              sizeof ad, nonce) != SEALDB_OK) {
        return SQLITE_IOERR_WRITE;
    }
    rc = f->under->pMethods->xWrite(f->under, f->sealed, TEMP_PHYS_BLOCK, b * TEMP_PHYS_BLOCK);
    if (rc != SQLITE_OK) {
        return rc; /* the old seal may be half overwritten: it then fails to open, as it should */
    }
    f->seq[b] = seq;
    return SQLITE_OK;
}

/* Reads and opens sealed block b into `plain` (TEMP_BLOCK bytes, which may be f->sealed itself).
 * On failure `plain` is zeros. */
static int open_block(temp_file *f, sqlite3_int64 b, uint8_t *plain)
{
    uint8_t nonce[TEMP_NONCE_BYTES], ad[8];
    const uint64_t seq = seq_of(f, b);
    assert(seq != 0);
    int rc = f->under->pMethods->xRead(f->under, f->sealed, TEMP_PHYS_BLOCK, b * TEMP_PHYS_BLOCK);
    if (rc != SQLITE_OK) {
        memset(plain, 0, TEMP_BLOCK);
        /* A block that was sealed cannot be short: someone cut the file. */
        return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_IOERR_READ : rc;
    }
    block_nonce_ad(f, b, seq, nonce, ad);
    if (sealdb_cipher_decrypt(f->cipher, plain, f->sealed, TEMP_BLOCK, f->sealed + TEMP_BLOCK, ad,
                              sizeof ad, nonce) != SEALDB_OK) {
        return SQLITE_IOERR_READ; /* decrypt has wiped `plain` */
    }
    return SQLITE_OK;
}

/* Forgets the cached block, changes and all. */
static void drop_cache(temp_file *f)
{
    f->cached = NO_BLOCK;
    f->dirty = 0;
}

/* Seals the cached block if it changed since its latest seal. */
static int flush(temp_file *f)
{
    if (!f->dirty) {
        return SQLITE_OK;
    }
    assert(f->cached != NO_BLOCK);
    const int rc = seal_block(f, f->cached, f->plain);
    if (rc == SQLITE_OK) {
        f->dirty = 0;
    }
    return rc;
}

/* Makes `plain` hold block b, sealing the block it held if that one is dirty. */
static int cache_block(temp_file *f, sqlite3_int64 b)
{
    if (f->cached == b) {
        return SQLITE_OK;
    }
    int rc = flush(f);
    if (rc != SQLITE_OK) {
        return rc;
    }
    f->cached = NO_BLOCK;
    if (seq_of(f, b)) {
        rc = open_block(f, b, f->plain);
        if (rc != SQLITE_OK) {
            return rc;
        }
    } else {
        memset(f->plain, 0, TEMP_BLOCK);
    }
    f->cached = b;
    return SQLITE_OK;
}

int temp_file_open(temp_file **out, sqlite3_file *under)
{
    uint8_t key[TEMP_KEY_BYTES];
    *out = NULL;
    assert(sealdb_cipher_key_bytes(TEMP_CIPHER) == TEMP_KEY_BYTES);
    assert(sealdb_cipher_nonce_bytes(TEMP_CIPHER) == TEMP_NONCE_BYTES);
    temp_file *f = sqlite3_malloc64(sizeof *f);
    if (!f) {
        return SQLITE_NOMEM;
    }
    memset(f, 0, sizeof *f);
    f->under = under;
    f->cached = NO_BLOCK;
    int rc = SQLITE_IOERR;
    if (sealdb_random_bytes(key, sizeof key) == SEALDB_OK &&
        sealdb_random_bytes(f->prefix, sizeof f->prefix) == SEALDB_OK) {
        const int crc =
            sealdb_cipher_open(&f->cipher, TEMP_CIPHER, SEALDB_BACKEND_AUTO, key, sizeof key, NULL);
        rc = crc == SEALDB_OK ? SQLITE_OK : crc == SEALDB_ENOMEM ? SQLITE_NOMEM : SQLITE_IOERR;
    }
    crypto_wipe(key, sizeof key);
    if (rc != SQLITE_OK) {
        sqlite3_free(f);
        return rc;
    }
    *out = f;
    return SQLITE_OK;
}

int temp_file_read(temp_file *f, void *buf, int amt, sqlite3_int64 off)
{
    uint8_t *out = buf;
    if (amt < 0 || off < 0) {
        return SQLITE_IOERR_READ;
    }
    const sqlite3_int64 avail = off < f->size ? (f->size - off < amt ? f->size - off : amt) : 0;
    int rc = SQLITE_OK;
    for (sqlite3_int64 done = 0; done < avail && rc == SQLITE_OK;) {
        const sqlite3_int64 b = (off + done) / TEMP_BLOCK;
        const int lo = (int)((off + done) % TEMP_BLOCK);
        const int n = (int)(avail - done < TEMP_BLOCK - lo ? avail - done : TEMP_BLOCK - lo);
        if (b == f->cached) {
            memcpy(out + done, f->plain + lo, (size_t)n);
        } else if (!seq_of(f, b)) {
            memset(out + done, 0, (size_t)n);
        } else if (n == TEMP_BLOCK) {
            rc = open_block(f, b, out + done);
        } else if (!f->dirty) {
            rc = cache_block(f, b);
            if (rc == SQLITE_OK) {
                memcpy(out + done, f->plain + lo, (size_t)n);
            }
        } else {
            rc = open_block(f, b, f->sealed);
            if (rc == SQLITE_OK) {
                memcpy(out + done, f->sealed + lo, (size_t)n);
            }
        }
        done += n;
    }
    if (rc != SQLITE_OK) {
        memset(buf, 0, (size_t)amt);
        return rc;
    }
    if (avail < amt) {
        memset(out + avail, 0, (size_t)(amt - avail));
        return SQLITE_IOERR_SHORT_READ;
    }
    return SQLITE_OK;
}

int temp_file_write(temp_file *f, const void *buf, int amt, sqlite3_int64 off)
{
    const uint8_t *in = buf;
    if (amt < 0 || off < 0) {
        return SQLITE_IOERR_WRITE;
    }
    if (off > TEMP_MAX_SIZE - amt) {
        return SQLITE_FULL;
    }
    for (int done = 0; done < amt;) {
        const sqlite3_int64 b = (off + done) / TEMP_BLOCK;
        const int lo = (int)((off + done) % TEMP_BLOCK);
        const int n = amt - done < TEMP_BLOCK - lo ? amt - done : TEMP_BLOCK - lo;
        int rc;
        if (n == TEMP_BLOCK) {
            if (b == f->cached) {
                drop_cache(f); /* wholly replaced */
            }
            rc = seal_block(f, b, in + done);
        } else {
            rc = cache_block(f, b);
            if (rc == SQLITE_OK) {
                memcpy(f->plain + lo, in + done, (size_t)n);
                f->dirty = 1;
            }
        }
        if (rc != SQLITE_OK) {
            return rc;
        }
        done += n;
        if (off + done > f->size) {
            f->size = off + done;
        }
    }
    return SQLITE_OK;
}

int temp_file_truncate(temp_file *f, sqlite3_int64 size)
{
    if (size < 0) {
        return SQLITE_IOERR_TRUNCATE;
    }
    if (size > TEMP_MAX_SIZE) {
        return SQLITE_FULL;
    }
    if (size >= f->size) {
        f->size = size; /* the bytes past the old end are already zeros, or holes */
        return SQLITE_OK;
    }
    const sqlite3_int64 nblocks = (size + TEMP_BLOCK - 1) / TEMP_BLOCK;
    const int tail = (int)(size % TEMP_BLOCK);
    if (f->cached >= nblocks) {
        drop_cache(f);
    }
    if (tail && (f->cached == nblocks - 1 || seq_of(f, nblocks - 1))) {
        const int rc = cache_block(f, nblocks - 1);
        if (rc != SQLITE_OK) {
            return rc;
        }
        memset(f->plain + tail, 0, (size_t)(TEMP_BLOCK - tail));
        f->dirty = 1;
    }
    if ((uint64_t)nblocks < f->nseq) {
        memset(f->seq + nblocks, 0, (f->nseq - (size_t)nblocks) * sizeof *f->seq);
    }
    f->size = size;
    return f->under->pMethods->xTruncate(f->under, nblocks * TEMP_PHYS_BLOCK);
}

int temp_file_size(temp_file *f, sqlite3_int64 *size)
{
    *size = f->size;
    return SQLITE_OK;
}

void temp_file_close(temp_file *f)
{
    if (!f) {
        return;
    }
    sealdb_cipher_close(f->cipher);
    sqlite3_free(f->seq);
    crypto_wipe(f, sizeof *f); /* the cached plaintext, and `sealed` after in-place opens */
    sqlite3_free(f);
}
