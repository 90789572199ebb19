/*
 * aegis_vaes512.c - AEGIS-128X4 and AEGIS-256X4 on VAES with AVX-512.
 *
 * All four lanes of an X4 state block sit in one 512-bit register, so one
 * VAESENC advances them together and the whole state fits in registers.
 * Compiled with VAES and AVX-512F enabled; reached only after cpu_features()
 * reports CPU_VAES512.
 */
#include <immintrin.h>
#include <string.h>

#include "crypto.h"

#if !defined(__VAES__) || !defined(__AVX512F__)
#error "aegis_vaes512.c must be compiled with -mvaes -mavx512f"
#endif

#define AEGIS_INLINE inline __attribute__((always_inline))

typedef __m512i zmm_blk_4;

static AEGIS_INLINE zmm_blk_4 zmm_load_4(const uint8_t *p)
{
    return _mm512_loadu_si512((const void *)p);
}

static AEGIS_INLINE void zmm_store_4(uint8_t *p, zmm_blk_4 x)
{
    _mm512_storeu_si512((void *)p, x);
}

static AEGIS_INLINE zmm_blk_4 zmm_load_bcast_4(const uint8_t *p)
{
    return _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(const void *)p));
}

static AEGIS_INLINE zmm_blk_4 zmm_xor_4(zmm_blk_4 a, zmm_blk_4 b)
{
    return _mm512_xor_si512(a, b);
}

static AEGIS_INLINE zmm_blk_4 zmm_and_4(zmm_blk_4 a, zmm_blk_4 b)
{
    return _mm512_and_si512(a, b);
}

static AEGIS_INLINE void zmm_aes_rounds_4(zmm_blk_4 *out, const zmm_blk_4 *in, const zmm_blk_4 *rk,
                                          int n)
{
    for (int j = 0; j < n; j++) {
        out[j] = _mm512_aesenc_epi128(in[j], rk[j]);
    }
}

#define AEGIS_OPS zmm
#define AEGIS_D 4
#define AEGIS_256 0
#define AEGIS_NAME aegis128x4_zmm
#include "aegis_impl.h"
#define AEGIS_256 1
#define AEGIS_NAME aegis256x4_zmm
#include "aegis_impl.h"
#undef AEGIS_D

#define IMPL(name)                                                                                 \
    {                                                                                              \
        SEALDB_BACKEND_VAES, name##_encrypt, name##_decrypt                                        \
    }

static const aegis_impl zmm_table[SEALDB_CIPHER_MAX + 1] = {
    [SEALDB_AEGIS128X4] = IMPL(aegis128x4_zmm),
    [SEALDB_AEGIS256X4] = IMPL(aegis256x4_zmm),
};

const aegis_impl *aegis_vaes512_impl(sealdb_cipher_id id)
{
    if ((int)id < SEALDB_CIPHER_MIN || (int)id > SEALDB_CIPHER_MAX || !zmm_table[id].encrypt) {
        return NULL;
    }
    return &zmm_table[id];
}
