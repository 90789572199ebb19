/*
 * aegis_aesni.c - the six AEGIS variants on x86 AES-NI.
 *
 * One AESRound is one AESENC instruction. A D-lane block is D 128-bit
 * registers; without VAES an instruction cannot touch more than one lane, so
 * the X variants issue D times as many AESENCs per update as the base
 * variants do per lane. This file is compiled with AES-NI and AVX enabled and
 * its functions are reached only through aegis_impl_get(), after cpu_features()
 * has seen both.
 *
 * The same source is compiled a second time with AVX-512VL enabled
 * (aegis_aesni_avx512.c, AESNI_AVX512 defined): the compiler then merges the
 * keystream's AND and XORs into three-input VPTERNLOG instructions and can
 * use 32 vector registers, which makes AEGIS-128L about 15% faster at 4 KiB.
 */
#include <immintrin.h>
#include <string.h>

#include "crypto.h"

#if !defined(__AES__) || !defined(__AVX__)
#error "aegis_aesni.c must be compiled with -maes -mavx"
#endif
#if defined(AESNI_AVX512) && !defined(__AVX512VL__)
#error "aegis_aesni_avx512.c must be compiled with -mavx512f -mavx512vl"
#endif
#ifdef AESNI_AVX512
#define AESNI_BACKEND_FN aegis_aesni512_impl
#else
#define AESNI_BACKEND_FN aegis_aesni_impl
#endif

#define AEGIS_INLINE inline __attribute__((always_inline))

#define AESNI_DEFINE_OPS(D)                                                                        \
    typedef struct {                                                                               \
        __m128i v[D];                                                                              \
    } aesni_blk_##D;                                                                               \
    static AEGIS_INLINE aesni_blk_##D aesni_load_##D(const uint8_t *p)                             \
    {                                                                                              \
        aesni_blk_##D r;                                                                           \
        for (int i = 0; i < D; i++) {                                                              \
            r.v[i] = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));                 \
        }                                                                                          \
        return r;                                                                                  \
    }                                                                                              \
    static AEGIS_INLINE void aesni_store_##D(uint8_t *p, aesni_blk_##D x)                          \
    {                                                                                              \
        for (int i = 0; i < D; i++) {                                                              \
            _mm_storeu_si128((__m128i *)(void *)(p + 16 * i), x.v[i]);                             \
        }                                                                                          \
    }                                                                                              \
    static AEGIS_INLINE aesni_blk_##D aesni_load_bcast_##D(const uint8_t *p)                       \
    {                                                                                              \
        aesni_blk_##D r;                                                                           \
        const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);                       \
        for (int i = 0; i < D; i++) {                                                              \
            r.v[i] = x;                                                                            \
        }                                                                                          \
        return r;                                                                                  \
    }                                                                                              \
    static AEGIS_INLINE aesni_blk_##D aesni_xor_##D(aesni_blk_##D a, aesni_blk_##D b)              \
    {                                                                                              \
        for (int i = 0; i < D; i++) {                                                              \
            a.v[i] = _mm_xor_si128(a.v[i], b.v[i]);                                                \
        }                                                                                          \
        return a;                                                                                  \
    }                                                                                              \
    static AEGIS_INLINE aesni_blk_##D aesni_and_##D(aesni_blk_##D a, aesni_blk_##D b)              \
    {                                                                                              \
        for (int i = 0; i < D; i++) {                                                              \
            a.v[i] = _mm_and_si128(a.v[i], b.v[i]);                                                \
        }                                                                                          \
        return a;                                                                                  \
    }                                                                                              \
    static AEGIS_INLINE void aesni_aes_rounds_##D(aesni_blk_##D *out, const aesni_blk_##D *in,     \
                                                  const aesni_blk_##D *rk, int n)                  \
    {                                                                                              \
        for (int j = 0; j < n; j++) {                                                              \
            for (int i = 0; i < D; i++) {                                                          \
                out[j].v[i] = _mm_aesenc_si128(in[j].v[i], rk[j].v[i]);                            \
            }                                                                                      \
        }                                                                                          \
    }

AESNI_DEFINE_OPS(1)
AESNI_DEFINE_OPS(2)
AESNI_DEFINE_OPS(4)

#define AEGIS_OPS aesni

#define AEGIS_D 1
#define AEGIS_256 0
#define AEGIS_NAME aegis128l_aesni
#include "aegis_impl.h"
#define AEGIS_256 1
#define AEGIS_NAME aegis256_aesni
#include "aegis_impl.h"
#undef AEGIS_D

#define AEGIS_D 2
#define AEGIS_256 0
#define AEGIS_NAME aegis128x2_aesni
#include "aegis_impl.h"
#define AEGIS_256 1
#define AEGIS_NAME aegis256x2_aesni
#include "aegis_impl.h"
#undef AEGIS_D

#define AEGIS_D 4
#define AEGIS_256 0
#define AEGIS_NAME aegis128x4_aesni
#include "aegis_impl.h"
#define AEGIS_256 1
#define AEGIS_NAME aegis256x4_aesni
#include "aegis_impl.h"
#undef AEGIS_D

#define IMPL(name)                                                                                 \
    {                                                                                              \
        SEALDB_BACKEND_AESNI, name##_encrypt, name##_decrypt                                       \
    }

static const aegis_impl aesni_table[SEALDB_CIPHER_MAX + 1] = {
    [SEALDB_AEGIS128L] = IMPL(aegis128l_aesni),   [SEALDB_AEGIS128X2] = IMPL(aegis128x2_aesni),
    [SEALDB_AEGIS128X4] = IMPL(aegis128x4_aesni), [SEALDB_AEGIS256] = IMPL(aegis256_aesni),
    [SEALDB_AEGIS256X2] = IMPL(aegis256x2_aesni), [SEALDB_AEGIS256X4] = IMPL(aegis256x4_aesni),
};

const aegis_impl *AESNI_BACKEND_FN(sealdb_cipher_id id)
{
    if ((int)id < SEALDB_CIPHER_MIN || (int)id > SEALDB_CIPHER_MAX || !aesni_table[id].encrypt) {
        return NULL;
    }
    return &aesni_table[id];
}
