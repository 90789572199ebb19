/*
 * fuzz_common.h - what the fuzz targets and the seed generator agree on.
 *
 * The fixed key and salt every target and seed uses, the byte layout of the
 * targets' inputs (so make_corpus writes inputs the targets read the way it
 * meant), a reader that hands out input bytes and zeros once they run out,
 * and FUZZ_ASSERT, which aborts so libFuzzer records the input as a crash.
 *
 * Inputs of fuzz_open:
 *
 *     [0]        mode: FUZZ_OPEN_* bits and fields below
 *     [1]        more mode bits: FUZZ_OPEN2_*
 *     [2, 5)     length L of the database file, big-endian (clamped)
 *     [5, 5+L)   the database file
 *     [5+L, end) the WAL, or the rollback journal with FUZZ_OPEN_JOURNAL
 *
 * Inputs of fuzz_unseal start with a mode byte whose bit 0 picks the raw
 * mode (header and image from the input) or the seal mode (a plaintext the
 * target seals itself, then damages); fuzz_unseal.c describes both.
 */
#ifndef SEALDB_FUZZ_COMMON_H
#define SEALDB_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sealdb.h"

/* libFuzzer's entry points; declared here for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborts (a crash libFuzzer saves with its input) when cond is false. */
#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The one key of every fuzz input: 32 bytes; 16-byte ciphers take the first
 * 16. Seeds sealed under it are what makes mutated inputs open at all. */
static const uint8_t fuzz_key[32] = {
    0x5e, 0xa1, 0xdb, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
    0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f};

/* The salt of the contexts the targets build with seal_ctx_create_salted. */
static const uint8_t fuzz_salt[16] = {0x73, 0x61, 0x6c, 0x74, 0x20, 0x6f, 0x66, 0x20,
                                      0x74, 0x68, 0x65, 0x20, 0x66, 0x75, 0x7a, 0x7a};

/* ---- fuzz_open's mode byte ---------------------------------------------------------- */

#define FUZZ_OPEN_LAYOUT_MASK 0x03u /* cfg.layout: 0 default, 1 hardened, 2 turso, 3 default */
#define FUZZ_OPEN_CIPHER_SHIFT 2    /* bits 2..3: index into fuzz_open_ciphers */
#define FUZZ_OPEN_CIPHER_MASK 0x0cu
#define FUZZ_OPEN_JOURNAL 0x10u  /* the second file is a rollback journal, not a WAL */
#define FUZZ_OPEN_FIXWAL 0x20u   /* recompute the WAL's checksums over the stored bytes */
#define FUZZ_OPEN_WRITE 0x40u    /* also run a write transaction */
#define FUZZ_OPEN_READONLY 0x80u /* open with SQLITE_OPEN_READONLY */

#define FUZZ_OPEN2_ALIGN 0x01u    /* cut the files to whole pages and whole WAL frames */
#define FUZZ_OPEN2_SWITCH 0x02u   /* with FUZZ_OPEN_WRITE: switch the journal mode, write again */
#define FUZZ_OPEN2_TRUNCATE 0x04u /* with FUZZ_OPEN_WRITE: end with wal_checkpoint(TRUNCATE) */
#define FUZZ_OPEN2_APPEND 0x08u   /* with FUZZ_OPEN_WRITE: no checkpoint first, append to the WAL */

/* The cipher the caller names (NULL: none, the file's own) and the key
 * length it passes, for each value of mode bits 2..3. */
typedef struct fuzz_open_cipher {
    const char *cipher;
    size_t key_len;
} fuzz_open_cipher;

static const fuzz_open_cipher fuzz_open_ciphers[4] = {
    {NULL, 16},        /* aegis128l: the default for a 16-byte key */
    {"aegis128l", 16}, /* the same, named */
    {NULL, 32},        /* aegis256: the default for a 32-byte key */
    {"aes256gcm", 32},
};

#define FUZZ_OPEN_PREFIX 5 /* mode bytes and the database length */

/* fuzz_unseal's raw mode: mode byte, page number, journal offset. */
#define RAW_PREFIX 13

/* ---- reading input bytes ------------------------------------------------------------ */

typedef struct fuzz_reader {
    const uint8_t *p;
    size_t n;
} fuzz_reader;

/* Copies n bytes into out; zeros for the part past the end of the input. */
static inline void fuzz_take(fuzz_reader *r, void *out, size_t n)
{
    const size_t have = n < r->n ? n : r->n;
    if (have) {
        memcpy(out, r->p, have);
    }
    memset((uint8_t *)out + have, 0, n - have);
    r->p += have;
    r->n -= have;
}

static inline uint8_t fuzz_u8(fuzz_reader *r)
{
    uint8_t b;
    fuzz_take(r, &b, 1);
    return b;
}

static inline uint32_t fuzz_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void fuzz_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t fuzz_u32(fuzz_reader *r)
{
    uint8_t b[4];
    fuzz_take(r, b, 4);
    return fuzz_be32(b);
}

static inline uint64_t fuzz_u64(fuzz_reader *r)
{
    const uint64_t hi = fuzz_u32(r);
    return hi << 32 | fuzz_u32(r);
}

static inline void fuzz_put_be64(uint8_t *p, uint64_t v)
{
    fuzz_put_be32(p, (uint32_t)(v >> 32));
    fuzz_put_be32(p + 4, (uint32_t)v);
}

static inline int fuzz_all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i]) {
            return 0;
        }
    }
    return 1;
}

#endif /* SEALDB_FUZZ_COMMON_H */
