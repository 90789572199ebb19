/*
 * aegis_vaes.c - AEGIS-128X2/X4 and AEGIS-256X2/X4 on x86 VAES with AVX2.
 *
 * VAES applies an AES round to every 128-bit lane of a 256-bit register, so
 * one instruction advances both lanes of an X2 state block; an X4 block is
 * two such registers. Compiled with VAES and AVX2 enabled; reached only after
 * cpu_features() reports CPU_VAES256.
 */
#include <immintrin.h>
#include <string.h>

#include "crypto.h"

#if !defined(__VAES__) || !defined(__AVX2__)
#error "aegis_vaes.c must be compiled with -mvaes -mavx2"
#endif

#define AEGIS_INLINE inline __attribute__((always_inline))

/* D lanes in D/2 ymm registers. */
#define VAES_DEFINE_OPS(D)                                                                         \
    typedef struct {                                                                               \
        __m256i v[D / 2];                                                                          \
    } vaes_blk_##D;                                                                                \
    static AEGIS_INLINE vaes_blk_##D vaes_load_##D(const uint8_t *p)                               \
    {                                                                                              \
        vaes_blk_##D r;                                                                            \
        for (int i = 0; i < D / 2; i++) {                                                          \
            r.v[i] = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32 * i));              \
        }                                                                                          \
        return r;                                                                                  \
    }                                                                                              \
    static AEGIS_INLINE void vaes_store_##D(uint8_t *p, vaes_blk_##D x)                            \
    {                                                                                              \
        for (int i = 0; i < D / 2; i++) {                                                          \
            _mm256_storeu_si256((__m256i *)(void *)(p + 32 * i), x.v[i]);                          \
        }                                                                                          \
    }                                                                                              \
    static AEGIS_INLINE vaes_blk_##D vaes_load_bcast_##D(const uint8_t *p)                         \
    {                                                                                              \
        vaes_blk_##D r;                                                                            \
        const __m256i x =                                                                          \
            _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)p));        \
        for (int i = 0; i < D / 2; i++) {                                                          \
            r.v[i] = x;                                                                            \
        }                                                                                          \
        return r;                                                                                  \
    }                                                                                              \
    static AEGIS_INLINE vaes_blk_##D vaes_xor_##D(vaes_blk_##D a, vaes_blk_##D b)                  \
    {                                                                                              \
        for (int i = 0; i < D / 2; i++) {                                                          \
            a.v[i] = _mm256_xor_si256(a.v[i], b.v[i]);                                             \
        }                                                                                          \
        return a;                                                                                  \
    }                                                                                              \
    static AEGIS_INLINE vaes_blk_##D vaes_and_##D(vaes_blk_##D a, vaes_blk_##D b)                  \
    {                                                                                              \
        for (int i = 0; i < D / 2; i++) {                                                          \
            a.v[i] = _mm256_and_si256(a.v[i], b.v[i]);                                             \
        }                                                                                          \
        return a;                                                                                  \
    }                                                                                              \
    static AEGIS_INLINE void vaes_aes_rounds_##D(vaes_blk_##D *out, const vaes_blk_##D *in,        \
                                                 const vaes_blk_##D *rk, int n)                    \
    {                                                                                              \
        for (int j = 0; j < n; j++) {                                                              \
            for (int i = 0; i < D / 2; i++) {                                                      \
                out[j].v[i] = _mm256_aesenc_epi128(in[j].v[i], rk[j].v[i]);                        \
            }                                                                                      \
        }                                                                                          \
    }

VAES_DEFINE_OPS(2)
VAES_DEFINE_OPS(4)

#define AEGIS_OPS vaes

#define AEGIS_D 2
#define AEGIS_256 0
#define AEGIS_NAME aegis128x2_vaes
#include "aegis_impl.h"
#define AEGIS_256 1
#define AEGIS_NAME aegis256x2_vaes
#include "aegis_impl.h"
#undef AEGIS_D

#define AEGIS_D 4
#define AEGIS_256 0
#define AEGIS_NAME aegis128x4_vaes
#include "aegis_impl.h"
#define AEGIS_256 1
#define AEGIS_NAME aegis256x4_vaes
#include "aegis_impl.h"
#undef AEGIS_D

#define IMPL(name)                                                                                 \
    {                                                                                              \
        SEALDB_BACKEND_VAES, name##_encrypt, name##_decrypt                                        \
    }

static const aegis_impl vaes_table[SEALDB_CIPHER_MAX + 1] = {
    [SEALDB_AEGIS128X2] = IMPL(aegis128x2_vaes),
    [SEALDB_AEGIS128X4] = IMPL(aegis128x4_vaes),
    [SEALDB_AEGIS256X2] = IMPL(aegis256x2_vaes),
    [SEALDB_AEGIS256X4] = IMPL(aegis256x4_vaes),
};

const aegis_impl *aegis_vaes_impl(sealdb_cipher_id id)
{
    if ((int)id < SEALDB_CIPHER_MIN || (int)id > SEALDB_CIPHER_MAX || !vaes_table[id].encrypt) {
        return NULL;
    }
    return &vaes_table[id];
}
