/*
 * pager_util.h - what the pager's tests share: keys, page patterns that say
 * which page and which version they are, and a temporary directory.
 */
#ifndef SEALDB_TEST_PAGER_UTIL_H
#define SEALDB_TEST_PAGER_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "pager.h"

static const uint8_t pu_key[32] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
                                   0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
                                   0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
static const uint8_t pu_salt[SEAL_SALT_BYTES] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                                 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

/* A context for the test key and salt; cipher 0: NULL (a plain database). */
static inline seal_ctx *pu_ctx(sealdb_cipher_id cipher, sealdb_layout layout)
{
    if (!cipher) {
        return NULL;
    }
    seal_ctx *c = NULL;
    const size_t klen = sealdb_cipher_key_bytes(cipher);
    if (seal_ctx_create_salted(&c, cipher, layout, pu_key, klen, pu_salt, NULL) != SEALDB_OK) {
        fprintf(stderr, "cannot make a seal context for cipher %d\n", (int)cipher);
        abort();
    }
    return c;
}

static inline uint32_t pu_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void pu_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint8_t pu_byte(uint32_t pgno, uint32_t version, uint32_t i)
{
    uint32_t h = pgno * 0x9e3779b1u ^ version * 0x85ebca6bu ^ i * 0xc2b2ae35u;
    h ^= h >> 15;
    h *= 0x2c1b3c6du;
    h ^= h >> 12;
    return (uint8_t)h;
}

/* Fills a page (not page 1) so that it says its number and version. */
static inline void pu_fill(uint8_t *d, uint32_t usable, uint32_t pgno, uint32_t version)
{
    pu_put32(d, pgno);
    pu_put32(d + 4, version);
    for (uint32_t i = 8; i < usable; i++) {
        d[i] = pu_byte(pgno, version, i);
    }
}

/* The version a page filled by pu_fill carries; 0 if the page is not one of
 * them (wrong number, or any byte off). */
static inline uint32_t pu_version(const uint8_t *d, uint32_t usable, uint32_t pgno)
{
    if (pu_get32(d) != pgno) {
        return 0;
    }
    const uint32_t v = pu_get32(d + 4);
    for (uint32_t i = 8; i < usable; i++) {
        if (d[i] != pu_byte(pgno, v, i)) {
            return 0;
        }
    }
    return v;
}

/* A fresh temporary directory for one test program; files under it. */
static inline void pu_tempdir(char *dir, size_t cap, const char *name)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, cap, "%s/sealdb-%s-XXXXXX", base && *base ? base : "/tmp", name);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        abort();
    }
}

static inline void pu_remove_db(const char *path)
{
    char p[600];
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", path, suffix[i]);
        unlink(p);
    }
}

#endif
