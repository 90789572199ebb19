/*
 * aegis_soft.c - the six AEGIS variants in portable, constant-time C.
 *
 * A D-lane block is 16*D bytes. The AES rounds of one state update are
 * independent, so they are handed to aes_soft_round_n() together, which
 * computes them bitsliced: no table lookup or branch depends on secret data.
 * This back end runs everywhere and is the reference the hardware back ends
 * are cross-checked against.
 */
#include <string.h>

#include "aes_soft.h"
#include "crypto.h"

#define AEGIS_INLINE inline __attribute__((always_inline))

#define SOFT_DEFINE_OPS(D)                                                                         \
    typedef struct {                                                                               \
        uint64_t w[2 * D];                                                                         \
    } soft_blk_##D;                                                                                \
    static AEGIS_INLINE soft_blk_##D soft_load_##D(const uint8_t *p)                               \
    {                                                                                              \
        soft_blk_##D r;                                                                            \
        memcpy(r.w, p, sizeof r.w);                                                                \
        return r;                                                                                  \
    }                                                                                              \
    static AEGIS_INLINE void soft_store_##D(uint8_t *p, soft_blk_##D x)                            \
    {                                                                                              \
        memcpy(p, x.w, sizeof x.w);                                                                \
    }                                                                                              \
    static AEGIS_INLINE soft_blk_##D soft_load_bcast_##D(const uint8_t *p)                         \
    {                                                                                              \
        soft_blk_##D r;                                                                            \
        for (int i = 0; i < D; i++) {                                                              \
            memcpy(&r.w[2 * i], p, 16);                                                            \
        }                                                                                          \
        return r;                                                                                  \
    }                                                                                              \
    static AEGIS_INLINE soft_blk_##D soft_xor_##D(soft_blk_##D a, soft_blk_##D b)                  \
    {                                                                                              \
        for (int i = 0; i < 2 * D; i++) {                                                          \
            a.w[i] ^= b.w[i];                                                                      \
        }                                                                                          \
        return a;                                                                                  \
    }                                                                                              \
    static AEGIS_INLINE soft_blk_##D soft_and_##D(soft_blk_##D a, soft_blk_##D b)                  \
    {                                                                                              \
        for (int i = 0; i < 2 * D; i++) {                                                          \
            a.w[i] &= b.w[i];                                                                      \
        }                                                                                          \
        return a;                                                                                  \
    }                                                                                              \
    static AEGIS_INLINE void soft_aes_rounds_##D(soft_blk_##D *out, const soft_blk_##D *in,        \
                                                 const soft_blk_##D *rk, int n)                    \
    {                                                                                              \
        aes_soft_round_n((uint8_t *)out, (const uint8_t *)in, (const uint8_t *)rk, (size_t)n *D);  \
    }

SOFT_DEFINE_OPS(1)
SOFT_DEFINE_OPS(2)
SOFT_DEFINE_OPS(4)

#define AEGIS_OPS soft

#define AEGIS_D 1
#define AEGIS_256 0
#define AEGIS_NAME aegis128l_soft
#include "aegis_impl.h"
#define AEGIS_256 1
#define AEGIS_NAME aegis256_soft
#include "aegis_impl.h"
#undef AEGIS_D

#define AEGIS_D 2
#define AEGIS_256 0
#define AEGIS_NAME aegis128x2_soft
#include "aegis_impl.h"
#define AEGIS_256 1
#define AEGIS_NAME aegis256x2_soft
#include "aegis_impl.h"
#undef AEGIS_D

#define AEGIS_D 4
#define AEGIS_256 0
#define AEGIS_NAME aegis128x4_soft
#include "aegis_impl.h"
#define AEGIS_256 1
#define AEGIS_NAME aegis256x4_soft
#include "aegis_impl.h"
#undef AEGIS_D

#define IMPL(name)                                                                                 \
    {                                                                                              \
        SEALDB_BACKEND_PORTABLE, name##_encrypt, name##_decrypt                                    \
    }

static const aegis_impl soft_table[SEALDB_CIPHER_MAX + 1] = {
    [SEALDB_AEGIS128L] = IMPL(aegis128l_soft),   [SEALDB_AEGIS128X2] = IMPL(aegis128x2_soft),
    [SEALDB_AEGIS128X4] = IMPL(aegis128x4_soft), [SEALDB_AEGIS256] = IMPL(aegis256_soft),
    [SEALDB_AEGIS256X2] = IMPL(aegis256x2_soft), [SEALDB_AEGIS256X4] = IMPL(aegis256x4_soft),
};

const aegis_impl *aegis_soft_impl(sealdb_cipher_id id)
{
    if ((int)id < SEALDB_CIPHER_MIN || (int)id > SEALDB_CIPHER_MAX || !soft_table[id].encrypt) {
        return NULL;
    }
    return &soft_table[id];
}
