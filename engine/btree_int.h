/*
 * btree_int.h - byte helpers shared by the B-tree reader (btree.c) and
 * writer (btree_write.c). Not part of engine/'s contract.
 */
#ifndef SEALDB_BTREE_INT_H
#define SEALDB_BTREE_INT_H

#include <stdint.h>

static inline uint32_t bt_get16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t bt_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void bt_put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void bt_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* SQLite's varint from p; its length, or 0 if it would run past end. */
static inline int bt_get_varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < 9; i++) {
        if (p + i >= end) {
            return 0;
        }
        if (i == 8) {
            *v = x << 8 | p[i];
            return 9;
        }
        x = x << 7 | (p[i] & 0x7f);
        if (!(p[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

/* Writes v as a varint at p; returns its length (1..9). */
static inline int bt_put_varint(uint8_t *p, uint64_t v)
{
    if (v >> 56) {
        p[8] = (uint8_t)v;
        v >>= 8;
        for (int i = 7; i >= 0; i--) {
            p[i] = (uint8_t)((v & 0x7f) | 0x80);
            v >>= 7;
        }
        return 9;
    }
    uint8_t tmp[9];
    int n = 0;
    do {
        tmp[n++] = (uint8_t)((v & 0x7f) | 0x80);
        v >>= 7;
    } while (v);
    tmp[0] &= 0x7f;
    for (int i = 0; i < n; i++) {
        p[i] = tmp[n - 1 - i];
    }
    return n;
}

static inline int bt_is_leaf(uint8_t type)
{
    return type == 10 || type == 13;
}

struct btree_cursor;
/* btree_seek_rowid; with stay set, a rowid larger than every entry of the
 * leaf it leads to stays there (*cmp < 0 at its last entry, or *cmp > 0 at
 * index 0 of an empty leaf) instead of moving on: where an insert goes. */
int bt_seek_rowid(struct btree_cursor *c, int64_t rowid, int *cmp, int *eof, int stay);

#endif /* SEALDB_BTREE_INT_H */
