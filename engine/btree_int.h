/*
 * btree_int.h - byte helpers shared by the B-tree reader (btree.c) and
 * writer (btree_write.c). Not part of engine/'s contract.
 */
#ifndef SEALDB_BTREE_INT_H
#define SEALDB_BTREE_INT_H

#include <stdint.h>

#include "record.h" /* varint_get, varint_put */

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
