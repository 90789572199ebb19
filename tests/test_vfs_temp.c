/*
 * test_vfs_temp.c - the sealed block layer under SQLite's temporary files.
 *
 * Each test wraps a real temporary file of SQLite's default VFS:
 * - a seeded random run of writes, reads and truncations at any offset and
 *   length (crossing blocks) must match an in-memory model byte for byte,
 *   including short reads (SQLITE_IOERR_SHORT_READ, zero-filled) and sizes;
 * - truncation zeroes what it cuts, even when the file grows again;
 * - a marker written many times, by every write path, never shows in the
 *   underlying file's raw bytes;
 * - a changed byte (ciphertext or tag), a block copied over another, an older
 *   version of a block put back and a cut file all make the read fail with
 *   SQLITE_IOERR_READ and a zero-filled buffer.
 * The layer keeps one block in plain in memory and trusts it over the file,
 * so the tamper tests only touch blocks that were written whole and are read
 * whole (neither caches them).
 */
#include <sqlite3.h>

#include "check.h"
#include "vfs_temp.h"

#define RANDOM_SEED 0x5ea1db7e3b1dull
#define RANDOM_OPS 20000
#define MAX_LEN 20000
#define MAX_OFFSET 120000

/* ---- the underlying file ------------------------------------------------- */

static sqlite3_file *under_open(void)
{
    sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);
    sqlite3_file *under = test_xmalloc((size_t)vfs->szOsFile);
    memset(under, 0, (size_t)vfs->szOsFile);
    int out_flags = 0;
    const int rc = vfs->xOpen(vfs, NULL, under,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                  SQLITE_OPEN_DELETEONCLOSE | SQLITE_OPEN_TEMP_JOURNAL,
                              &out_flags);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "cannot open a temporary file: %d\n", rc);
        abort();
    }
    return under;
}

static void under_close(sqlite3_file *under)
{
    if (under->pMethods) {
        under->pMethods->xClose(under);
    }
    free(under);
}

static sqlite3_int64 raw_size(sqlite3_file *under)
{
    sqlite3_int64 size = -1;
    CHECK_INT(under->pMethods->xFileSize(under, &size), SQLITE_OK);
    return size;
}

static void raw_read(sqlite3_file *under, void *buf, int amt, sqlite3_int64 off)
{
    CHECK_INT(under->pMethods->xRead(under, buf, amt, off), SQLITE_OK);
}

static void raw_write(sqlite3_file *under, const void *buf, int amt, sqlite3_int64 off)
{
    CHECK_INT(under->pMethods->xWrite(under, buf, amt, off), SQLITE_OK);
}

/* The whole underlying file, raw; *len receives its size. */
static uint8_t *raw_all(sqlite3_file *under, size_t *len)
{
    const sqlite3_int64 size = raw_size(under);
    uint8_t *p = test_xmalloc((size_t)size);
    if (size > 0) {
        raw_read(under, p, (int)size, 0);
    }
    *len = (size_t)size;
    return p;
}

static int contains(const uint8_t *hay, size_t n, const char *needle)
{
    const size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++) {
        if (memcmp(hay + i, needle, m) == 0) {
            return 1;
        }
    }
    return 0;
}

static sqlite3_int64 logical_size(temp_file *f)
{
    sqlite3_int64 size = -1;
    CHECK_INT(temp_file_size(f, &size), SQLITE_OK);
    return size;
}

/* ---- random operations against a model ----------------------------------- */

typedef struct model {
    uint8_t *b;
    size_t size, cap;
} model;

/* Sets the model's size, zero-filling any growth (what ftruncate and gap writes do). */
static void model_resize(model *m, size_t size)
{
    if (size > m->cap) {
        size_t cap = m->cap ? m->cap : 4096;
        while (cap < size) {
            cap *= 2;
        }
        uint8_t *b = test_xmalloc(cap);
        if (m->size) {
            memcpy(b, m->b, m->size);
        }
        free(m->b);
        m->b = b;
        m->cap = cap;
    }
    if (size > m->size) {
        memset(m->b + m->size, 0, size - m->size);
    }
    m->size = size;
}

/* An offset that favours block boundaries and their neighbours. */
static sqlite3_int64 pick_offset(test_rng *r)
{
    const sqlite3_int64 block = (sqlite3_int64)(test_rng_next(r) % 30) * TEMP_BLOCK;
    switch (test_rng_next(r) % 4) {
    case 0: return block;
    case 1: {
        const sqlite3_int64 off = block + (sqlite3_int64)(test_rng_next(r) % 9) - 4;
        return off < 0 ? 0 : off;
    }
    default: return (sqlite3_int64)(test_rng_next(r) % MAX_OFFSET);
    }
}

static int pick_len(test_rng *r)
{
    switch (test_rng_next(r) % 4) {
    case 0: return (int)(test_rng_next(r) % 5) * TEMP_BLOCK;
    case 1: return (int)(test_rng_next(r) % 16);
    default: return (int)(test_rng_next(r) % (MAX_LEN + 1));
    }
}

/* Reads [off, off + len) and compares it with the model; 1 if it matched. */
static int check_read(temp_file *f, const model *m, uint8_t *buf, int len, sqlite3_int64 off)
{
    const int failures = check_failures;
    memset(buf, 0xa5, (size_t)len);
    const int rc = temp_file_read(f, buf, len, off);
    const sqlite3_int64 end = off + len;
    CHECK_INT(rc, len == 0 || end <= (sqlite3_int64)m->size ? SQLITE_OK : SQLITE_IOERR_SHORT_READ);
    const sqlite3_int64 have = off >= (sqlite3_int64)m->size   ? 0
                               : end <= (sqlite3_int64)m->size ? len
                                                               : (sqlite3_int64)m->size - off;
    if (have > 0) {
        CHECK_MEM(buf, m->b + off, (size_t)have);
    }
    CHECK(check_all_zero(buf + have, (size_t)(len - have)));
    return check_failures == failures;
}

static void test_random(uint64_t seed)
{
    test_rng r = {seed};
    model m = {NULL, 0, 0};
    uint8_t *src = test_xmalloc(MAX_LEN);
    uint8_t *buf = test_xmalloc(MAX_OFFSET + 5 * MAX_LEN);
    sqlite3_file *under = under_open();
    temp_file *f = NULL;
    CHECK_INT(temp_file_open(&f, under), SQLITE_OK);
    if (!f) {
        return;
    }
    int counts[4] = {0, 0, 0, 0};
    for (int op = 0; op < RANDOM_OPS; op++) {
        const int failures = check_failures;
        const unsigned kind = (unsigned)(test_rng_next(&r) % 100);
        sqlite3_int64 off = 0;
        int len = 0;
        if (kind < 45) { /* write */
            off = pick_offset(&r);
            len = pick_len(&r);
            test_rng_fill(&r, src, (size_t)len);
            CHECK_INT(temp_file_write(f, src, len, off), SQLITE_OK);
            if (len && (size_t)(off + len) > m.size) {
                model_resize(&m, (size_t)(off + len));
            }
            if (len) {
                memcpy(m.b + off, src, (size_t)len);
            }
            counts[0]++;
        } else if (kind < 85) { /* read, often past the end */
            off = pick_offset(&r);
            len = pick_len(&r);
            check_read(f, &m, buf, len, off);
            counts[1]++;
        } else if (kind < 97) { /* truncate: shrink, grow or keep */
            off = test_rng_next(&r) % 3 == 0
                      ? (sqlite3_int64)(test_rng_next(&r) % 30) * TEMP_BLOCK
                      : (sqlite3_int64)(test_rng_next(&r) % (m.size + 10000));
            CHECK_INT(temp_file_truncate(f, off), SQLITE_OK);
            model_resize(&m, (size_t)off);
            counts[2]++;
        } else { /* the whole file at once */
            len = (int)m.size + (int)(test_rng_next(&r) % 3);
            check_read(f, &m, buf, len, 0);
            counts[3]++;
        }
        CHECK_INT(logical_size(f), m.size);
        /* Only whole sealed blocks reach the file, and none past the logical end. */
        const sqlite3_int64 raw = raw_size(under);
        CHECK_INT(raw % TEMP_PHYS_BLOCK, 0);
        CHECK(raw <= ((sqlite3_int64)m.size + TEMP_BLOCK - 1) / TEMP_BLOCK * TEMP_PHYS_BLOCK);
        if (check_failures != failures) {
            CHECK_CONTEXT("seed %llu, op %d (kind %u, off %lld, len %d, size %zu)",
                          (unsigned long long)seed, op, kind, (long long)off, len, m.size);
            break;
        }
    }
    /* Every kind of operation ran a fair number of times. */
    CHECK(counts[0] > RANDOM_OPS / 3 && counts[1] > RANDOM_OPS / 3);
    CHECK(counts[2] > RANDOM_OPS / 20 && counts[3] > RANDOM_OPS / 100);
    check_read(f, &m, buf, (int)m.size, 0);
    temp_file_close(f);
    under_close(under);
    free(m.b);
    free(buf);
    free(src);
}

/* ---- truncation ------------------------------------------------------------ */

static void test_truncate(void)
{
    static uint8_t buf[3 * TEMP_BLOCK + 100];
    uint8_t ones[10000];
    memset(ones, 0xff, sizeof ones);
    sqlite3_file *under = under_open();
    temp_file *f = NULL;
    CHECK_INT(temp_file_open(&f, under), SQLITE_OK);
    if (!f) {
        return;
    }
    /* Blocks 0 and 1 sealed whole, block 2 held in memory. */
    CHECK_INT(temp_file_write(f, ones, sizeof ones, 0), SQLITE_OK);
    CHECK_INT(logical_size(f), 10000);
    CHECK_INT(raw_size(under), 2 * TEMP_PHYS_BLOCK);

    /* Cut in the middle of block 1, then grow by truncate: the cut bytes read as zeros. */
    CHECK_INT(temp_file_truncate(f, 5000), SQLITE_OK);
    CHECK_INT(logical_size(f), 5000);
    CHECK_INT(raw_size(under), 2 * TEMP_PHYS_BLOCK);
    CHECK_INT(temp_file_truncate(f, 12000), SQLITE_OK);
    CHECK_INT(logical_size(f), 12000);
    memset(buf, 0xa5, sizeof buf);
    CHECK_INT(temp_file_read(f, buf, 12000, 0), SQLITE_OK);
    CHECK_MEM(buf, ones, 5000);
    CHECK(check_all_zero(buf + 5000, 7000));

    /* A write far past the end: the gap reads as zeros. Writing block 4 partially seals the
     * re-zeroed block 1, which is then opened from the file. */
    CHECK_INT(temp_file_write(f, "x", 1, 4 * TEMP_BLOCK + 7), SQLITE_OK);
    CHECK_INT(logical_size(f), 4 * TEMP_BLOCK + 8);
    CHECK_INT(raw_size(under), 2 * TEMP_PHYS_BLOCK);
    memset(buf, 0xa5, sizeof buf);
    CHECK_INT(temp_file_read(f, buf, TEMP_BLOCK, TEMP_BLOCK), SQLITE_OK);
    CHECK_MEM(buf, ones, 5000 - TEMP_BLOCK);
    CHECK(check_all_zero(buf + 5000 - TEMP_BLOCK, 2 * TEMP_BLOCK - 5000));
    memset(buf, 0xa5, sizeof buf);
    CHECK_INT(temp_file_read(f, buf, 3 * TEMP_BLOCK + 100, 2 * TEMP_BLOCK),
              SQLITE_IOERR_SHORT_READ);
    CHECK(check_all_zero(buf, 2 * TEMP_BLOCK + 7));
    CHECK_INT(buf[2 * TEMP_BLOCK + 7], 'x');
    CHECK(check_all_zero(buf + 2 * TEMP_BLOCK + 8, TEMP_BLOCK + 100 - 8));

    /* Block 4 is dirty in memory; a partial read of sealed block 0 must not disturb it. */
    memset(buf, 0xa5, sizeof buf);
    CHECK_INT(temp_file_read(f, buf, 10, 100), SQLITE_OK);
    CHECK_MEM(buf, ones, 10);
    CHECK_INT(temp_file_read(f, buf, 1, 4 * TEMP_BLOCK + 7), SQLITE_OK);
    CHECK_INT(buf[0], 'x');

    /* Cut inside a block that is only in memory, then grow it back. */
    CHECK_INT(temp_file_truncate(f, 4 * TEMP_BLOCK + 7), SQLITE_OK);
    CHECK_INT(raw_size(under), 5 * TEMP_PHYS_BLOCK); /* block 4 was never sealed: a hole */
    CHECK_INT(temp_file_truncate(f, 4 * TEMP_BLOCK + 8), SQLITE_OK);
    CHECK_INT(temp_file_read(f, buf, 1, 4 * TEMP_BLOCK + 7), SQLITE_OK);
    CHECK_INT(buf[0], 0);

    /* To nothing: the file is empty, a read is short and zero-filled. */
    CHECK_INT(temp_file_truncate(f, 0), SQLITE_OK);
    CHECK_INT(logical_size(f), 0);
    CHECK_INT(raw_size(under), 0);
    memset(buf, 0xa5, 10);
    CHECK_INT(temp_file_read(f, buf, 10, 0), SQLITE_IOERR_SHORT_READ);
    CHECK(check_all_zero(buf, 10));
    CHECK_INT(temp_file_read(f, buf, 0, 0), SQLITE_OK);
    CHECK_INT(temp_file_write(f, ones, 0, 50000), SQLITE_OK); /* writes nothing, grows nothing */
    CHECK_INT(logical_size(f), 0);

    /* Arguments no caller should pass, and sizes the layout cannot address. */
    CHECK_INT(temp_file_read(f, buf, -1, 0), SQLITE_IOERR_READ);
    CHECK_INT(temp_file_read(f, buf, 1, -1), SQLITE_IOERR_READ);
    CHECK_INT(temp_file_write(f, buf, 1, -1), SQLITE_IOERR_WRITE);
    CHECK_INT(temp_file_truncate(f, -1), SQLITE_IOERR_TRUNCATE);
    CHECK_INT(temp_file_write(f, buf, 100, INT64_MAX - 10), SQLITE_FULL);
    CHECK_INT(temp_file_truncate(f, INT64_MAX), SQLITE_FULL);
    CHECK_INT(temp_file_read(f, buf, 10, INT64_MAX - 5), SQLITE_IOERR_SHORT_READ);
    CHECK_INT(logical_size(f), 0);

    temp_file_close(f);
    temp_file_close(NULL);
    under_close(under);
}

/* ---- no plaintext in the file ------------------------------------------- */

static void test_no_plaintext(void)
{
    static const char marker[] = "SEALDB-TEMP-MARKER-7f3a9c";
    const int mlen = (int)sizeof marker - 1;
    static uint8_t big[4 * TEMP_BLOCK];
    for (size_t i = 0; i < sizeof big; i++) {
        big[i] = (uint8_t)marker[i % (size_t)mlen];
    }
    sqlite3_file *under = under_open();
    temp_file *f = NULL;
    CHECK_INT(temp_file_open(&f, under), SQLITE_OK);
    if (!f) {
        return;
    }
    /* Small unaligned writes (patched in memory, sealed on eviction), whole blocks (sealed
     * directly), rewrites, and a truncation in the middle of a block (re-sealed). */
    for (int i = 0; i < 3000; i++) {
        CHECK_INT(temp_file_write(f, marker, mlen, (sqlite3_int64)i * 41), SQLITE_OK);
    }
    for (int i = 0; i < 3000; i++) {
        CHECK_INT(temp_file_write(f, marker, mlen, (sqlite3_int64)((i * 7919) % 200000)),
                  SQLITE_OK);
    }
    CHECK_INT(temp_file_write(f, big, sizeof big, 40 * TEMP_BLOCK), SQLITE_OK);
    CHECK_INT(temp_file_write(f, big, sizeof big - 100, 50 * TEMP_BLOCK + 77), SQLITE_OK);
    CHECK_INT(temp_file_truncate(f, 50 * TEMP_BLOCK + 3000), SQLITE_OK);
    CHECK_INT(temp_file_write(f, marker, mlen, 10), SQLITE_OK); /* evicts the cut block */

    /* The markers are there to read... */
    uint8_t got[sizeof marker];
    CHECK_INT(temp_file_read(f, got, mlen, 10), SQLITE_OK);
    CHECK_MEM(got, marker, (size_t)mlen);
    CHECK_INT(temp_file_read(f, got, mlen, 40 * TEMP_BLOCK + mlen), SQLITE_OK);
    CHECK_MEM(got, marker, (size_t)mlen);

    /* ...but not in the file, not even a piece of one. */
    size_t n = 0;
    uint8_t *raw = raw_all(under, &n);
    CHECK(n >= 50 * TEMP_PHYS_BLOCK);
    CHECK(!contains(raw, n, marker));
    CHECK(!contains(raw, n, "SEALDB"));
    CHECK(!contains(raw, n, "MARKER"));
    free(raw);
    temp_file_close(f);
    under_close(under);
}

/* ---- tampering ------------------------------------------------------------ */

/* Reads block b whole: it opens from the file, never from the block kept in memory. */
static int read_block(temp_file *f, uint8_t *buf, sqlite3_int64 b)
{
    memset(buf, 0xa5, TEMP_BLOCK);
    return temp_file_read(f, buf, TEMP_BLOCK, b * TEMP_BLOCK);
}

static void flip_byte(sqlite3_file *under, sqlite3_int64 off)
{
    uint8_t c;
    raw_read(under, &c, 1, off);
    c ^= 0x01;
    raw_write(under, &c, 1, off);
}

static void test_tamper(void)
{
    static uint8_t data[5][TEMP_BLOCK], buf[4 * TEMP_BLOCK], saved[TEMP_PHYS_BLOCK],
        saved1[TEMP_PHYS_BLOCK];
    test_rng r = {42};
    for (int b = 0; b < 5; b++) {
        test_rng_fill(&r, data[b], TEMP_BLOCK);
    }
    sqlite3_file *under = under_open();
    temp_file *f = NULL;
    CHECK_INT(temp_file_open(&f, under), SQLITE_OK);
    if (!f) {
        return;
    }
    for (int b = 0; b < 4; b++) {
        CHECK_INT(temp_file_write(f, data[b], TEMP_BLOCK, b * TEMP_BLOCK), SQLITE_OK);
    }
    for (int b = 0; b < 4; b++) {
        CHECK_INT(read_block(f, buf, b), SQLITE_OK);
        CHECK_MEM(buf, data[b], TEMP_BLOCK);
    }

    /* One ciphertext byte of block 1: whole, partial and spanning reads all fail, zero-filled,
     * and the neighbours still read. */
    flip_byte(under, TEMP_PHYS_BLOCK + 100);
    CHECK_INT(read_block(f, buf, 1), SQLITE_IOERR_READ);
    CHECK(check_all_zero(buf, TEMP_BLOCK));
    CHECK_INT(read_block(f, buf, 2), SQLITE_OK);
    CHECK_MEM(buf, data[2], TEMP_BLOCK);
    memset(buf, 0xa5, 50);
    CHECK_INT(temp_file_read(f, buf, 50, TEMP_BLOCK + 10), SQLITE_IOERR_READ);
    CHECK(check_all_zero(buf, 50));
    memset(buf, 0xa5, sizeof buf);
    CHECK_INT(temp_file_read(f, buf, sizeof buf, 0), SQLITE_IOERR_READ);
    CHECK(check_all_zero(buf, sizeof buf));
    flip_byte(under, TEMP_PHYS_BLOCK + 100);
    CHECK_INT(read_block(f, buf, 1), SQLITE_OK);
    CHECK_MEM(buf, data[1], TEMP_BLOCK);

    /* One tag byte. */
    flip_byte(under, TEMP_PHYS_BLOCK + TEMP_BLOCK + 15);
    CHECK_INT(read_block(f, buf, 1), SQLITE_IOERR_READ);
    CHECK(check_all_zero(buf, TEMP_BLOCK));
    flip_byte(under, TEMP_PHYS_BLOCK + TEMP_BLOCK + 15);
    CHECK_INT(read_block(f, buf, 1), SQLITE_OK);

    /* Block 2 copied over block 1: block 1 fails, block 2 still reads. */
    raw_read(under, saved1, TEMP_PHYS_BLOCK, TEMP_PHYS_BLOCK);
    raw_read(under, saved, TEMP_PHYS_BLOCK, 2 * TEMP_PHYS_BLOCK);
    raw_write(under, saved, TEMP_PHYS_BLOCK, TEMP_PHYS_BLOCK);
    CHECK_INT(read_block(f, buf, 1), SQLITE_IOERR_READ);
    CHECK(check_all_zero(buf, TEMP_BLOCK));
    CHECK_INT(read_block(f, buf, 2), SQLITE_OK);
    CHECK_MEM(buf, data[2], TEMP_BLOCK);
    raw_write(under, saved1, TEMP_PHYS_BLOCK, TEMP_PHYS_BLOCK);
    CHECK_INT(read_block(f, buf, 1), SQLITE_OK);
    CHECK_MEM(buf, data[1], TEMP_BLOCK);

    /* An older version of block 3 put back after a rewrite. */
    raw_read(under, saved, TEMP_PHYS_BLOCK, 3 * TEMP_PHYS_BLOCK);
    CHECK_INT(temp_file_write(f, data[4], TEMP_BLOCK, 3 * TEMP_BLOCK), SQLITE_OK);
    CHECK_INT(read_block(f, buf, 3), SQLITE_OK);
    CHECK_MEM(buf, data[4], TEMP_BLOCK);
    raw_write(under, saved, TEMP_PHYS_BLOCK, 3 * TEMP_PHYS_BLOCK);
    CHECK_INT(read_block(f, buf, 3), SQLITE_IOERR_READ);
    CHECK(check_all_zero(buf, TEMP_BLOCK));

    /* Truncating inside a changed block fails: its head cannot be kept. */
    flip_byte(under, 2 * TEMP_PHYS_BLOCK + 7);
    CHECK_INT(temp_file_truncate(f, 2 * TEMP_BLOCK + 10), SQLITE_IOERR_READ);
    CHECK_INT(logical_size(f), 4 * TEMP_BLOCK);
    flip_byte(under, 2 * TEMP_PHYS_BLOCK + 7);

    /* The file cut inside block 3. */
    CHECK_INT(under->pMethods->xTruncate(under, 3 * TEMP_PHYS_BLOCK + 100), SQLITE_OK);
    CHECK_INT(read_block(f, buf, 3), SQLITE_IOERR_READ);
    CHECK(check_all_zero(buf, TEMP_BLOCK));
    CHECK_INT(read_block(f, buf, 2), SQLITE_OK);
    CHECK_MEM(buf, data[2], TEMP_BLOCK);
    CHECK_INT(logical_size(f), 4 * TEMP_BLOCK);

    temp_file_close(f);
    under_close(under);
}

/* ---- errors of the underlying file --------------------------------------- */

/* An underlying file that fails on demand, otherwise passing calls to a real one. */
typedef struct faulty_file {
    sqlite3_file base;
    sqlite3_file *real;
    int read_rc, write_rc, truncate_rc; /* returned instead of calling `real`, unless SQLITE_OK */
} faulty_file;

static int faulty_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
    faulty_file *ff = (faulty_file *)file;
    return ff->read_rc ? ff->read_rc : ff->real->pMethods->xRead(ff->real, buf, amt, off);
}

static int faulty_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
    faulty_file *ff = (faulty_file *)file;
    return ff->write_rc ? ff->write_rc : ff->real->pMethods->xWrite(ff->real, buf, amt, off);
}

static int faulty_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    faulty_file *ff = (faulty_file *)file;
    return ff->truncate_rc ? ff->truncate_rc : ff->real->pMethods->xTruncate(ff->real, size);
}

static const sqlite3_io_methods faulty_methods = {
    .iVersion = 1, .xRead = faulty_read, .xWrite = faulty_write, .xTruncate = faulty_truncate};

static void test_under_errors(void)
{
    static uint8_t data[2 * TEMP_BLOCK], buf[2 * TEMP_BLOCK];
    test_rng r = {7};
    test_rng_fill(&r, data, sizeof data);
    faulty_file ff = {{&faulty_methods}, under_open(), 0, 0, 0};
    temp_file *f = NULL;
    CHECK_INT(temp_file_open(&f, &ff.base), SQLITE_OK);
    if (!f) {
        return;
    }
    /* A failed seal is reported; the block stays unwritten. */
    ff.write_rc = SQLITE_IOERR_WRITE;
    CHECK_INT(temp_file_write(f, data, TEMP_BLOCK, 0), SQLITE_IOERR_WRITE);
    CHECK_INT(logical_size(f), 0);
    /* A partial write only patches memory; evicting it fails and keeps it for later. */
    CHECK_INT(temp_file_write(f, data, 100, 0), SQLITE_OK);
    CHECK_INT(temp_file_write(f, data + TEMP_BLOCK + 1, 100, TEMP_BLOCK + 1), SQLITE_IOERR_WRITE);
    CHECK_INT(logical_size(f), 100);
    ff.write_rc = SQLITE_OK;
    CHECK_INT(temp_file_write(f, data + 100, TEMP_BLOCK - 100, 100), SQLITE_OK);
    CHECK_INT(temp_file_write(f, data + TEMP_BLOCK + 1, 100, TEMP_BLOCK + 1), SQLITE_OK);
    CHECK_INT(temp_file_write(f, data + TEMP_BLOCK, 1, TEMP_BLOCK), SQLITE_OK);
    CHECK_INT(temp_file_write(f, data + TEMP_BLOCK + 101, TEMP_BLOCK - 101, TEMP_BLOCK + 101),
              SQLITE_OK);
    CHECK_INT(logical_size(f), 2 * TEMP_BLOCK);
    CHECK_INT(temp_file_read(f, buf, sizeof buf, 0), SQLITE_OK);
    CHECK_MEM(buf, data, sizeof buf);

    /* Read errors pass up as they are, with the buffer zero-filled. */
    ff.read_rc = SQLITE_IOERR_FSTAT;
    memset(buf, 0xa5, sizeof buf);
    CHECK_INT(temp_file_read(f, buf, sizeof buf, 0), SQLITE_IOERR_FSTAT);
    CHECK(check_all_zero(buf, sizeof buf));
    ff.read_rc = SQLITE_OK;

    /* So do truncate errors; the logical size has changed all the same. */
    ff.truncate_rc = SQLITE_IOERR_TRUNCATE;
    CHECK_INT(temp_file_truncate(f, 10), SQLITE_IOERR_TRUNCATE);
    CHECK_INT(logical_size(f), 10);
    ff.truncate_rc = SQLITE_OK;
    CHECK_INT(temp_file_read(f, buf, 20, 0), SQLITE_IOERR_SHORT_READ);
    CHECK_MEM(buf, data, 10);
    CHECK(check_all_zero(buf + 10, 10));

    /* A read never writes: with block 0 changed in memory, a partial read of sealed block 1
     * opens it without sealing block 0 first. */
    CHECK_INT(temp_file_write(f, data + TEMP_BLOCK, TEMP_BLOCK, TEMP_BLOCK), SQLITE_OK);
    CHECK_INT(temp_file_write(f, data + 10, 50, 10), SQLITE_OK);
    ff.write_rc = SQLITE_IOERR_WRITE;
    CHECK_INT(temp_file_read(f, buf, 100, TEMP_BLOCK + 5), SQLITE_OK);
    CHECK_MEM(buf, data + TEMP_BLOCK + 5, 100);
    CHECK_INT(temp_file_read(f, buf, 60, 0), SQLITE_OK);
    CHECK_MEM(buf, data, 60);
    ff.write_rc = SQLITE_OK;

    temp_file_close(f);
    under_close(ff.real);
}

/* ---- keys ------------------------------------------------------------------ */

/* Two files sealing the same data produce different bytes: each has its own key. */
static void test_fresh_keys(void)
{
    static uint8_t data[TEMP_BLOCK], raw_a[TEMP_PHYS_BLOCK], raw_b[TEMP_PHYS_BLOCK];
    sqlite3_file *ua = under_open(), *ub = under_open();
    temp_file *fa = NULL, *fb = NULL;
    CHECK_INT(temp_file_open(&fa, ua), SQLITE_OK);
    CHECK_INT(temp_file_open(&fb, ub), SQLITE_OK);
    if (fa && fb) {
        CHECK_INT(temp_file_write(fa, data, TEMP_BLOCK, 0), SQLITE_OK);
        CHECK_INT(temp_file_write(fb, data, TEMP_BLOCK, 0), SQLITE_OK);
        raw_read(ua, raw_a, TEMP_PHYS_BLOCK, 0);
        raw_read(ub, raw_b, TEMP_PHYS_BLOCK, 0);
        CHECK(memcmp(raw_a, raw_b, TEMP_PHYS_BLOCK) != 0);
        CHECK(!check_all_zero(raw_a, TEMP_BLOCK));
    }
    temp_file_close(fa);
    temp_file_close(fb);
    under_close(ua);
    under_close(ub);
}

int main(void)
{
    test_truncate();
    test_no_plaintext();
    test_tamper();
    test_under_errors();
    test_fresh_keys();
    test_random(RANDOM_SEED);
    return check_report();
}
