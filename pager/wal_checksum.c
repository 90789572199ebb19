/*
 * wal_checksum.c - SQLite's WAL checksum, the running pair (s1, s2) over
 * 32-bit words taken two at a time:
 *
 *     s1 += a + s2;  s2 += b + s1;
 *
 * Each step is linear: (s1, s2) <- M (s1, s2) + (a, a + b) with
 * M = [[1, 1], [1, 2]], whose powers are Fibonacci numbers,
 * M^j = [[F(2j-1), F(2j)], [F(2j), F(2j+1)]]. Over a block of B pairs the
 * pair k (j = B-1-k steps before the end) adds F(2j+1) a + F(2j) b to s1
 * and F(2j+2) a + F(2j+1) b to s2 (all modulo 2^32), so a block is two
 * dot products with fixed coefficients, which vector multiplies compute
 * eight words at a time; the state crosses a block as M^B (s1, s2) plus
 * the block's sums. The scalar loop stays for short inputs, the tails and
 * CPUs without AVX2; the test compares both on every length.
 */
#include <stddef.h>
#include <stdint.h>

#include "pager.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

static uint32_t load_word(int big_endian, const uint8_t *p)
{
    return big_endian
               ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void wal_checksum_portable(int big_endian, const uint8_t *data, size_t n, const uint32_t in[2],
                           uint32_t out[2])
{
    uint32_t s1 = in[0], s2 = in[1];
    for (size_t i = 0; i + 8 <= n; i += 8) {
        s1 += load_word(big_endian, data + i) + s2;
        s2 += load_word(big_endian, data + i + 4) + s1;
    }
    out[0] = s1;
    out[1] = s2;
}

#ifdef HAVE_AVX2_PATH
/* Coefficients of pairs 0..63 of a 512-byte block, interleaved (a, b) as
 * the words lie in memory: for s1 F(2j+1), F(2j); for s2 F(2j+2), F(2j+1);
 * j = 63 - k. Generated from the Fibonacci numbers modulo 2^32. */
static const uint32_t ck_s1[128] = {
    0x9bcca01du, 0x13128aa8u, 0x88ba1575u, 0x8a587533u, 0xfe61a042u, 0x8bf6d4f1u, 0x726acb51u,
    0x198c09a0u, 0x58dec1b1u, 0xc0ad47efu, 0x983179c2u, 0x287bce2du, 0x6fb5ab95u, 0xb8c62298u,
    0xb6ef88fdu, 0x01d6999bu, 0xb518ef62u, 0x4cbdaa39u, 0x685b4529u, 0xe4626510u, 0x83f8e019u,
    0x606984f7u, 0x238f5b22u, 0x3cda29d5u, 0xe6b5314du, 0x5624f888u, 0x909038c5u, 0xc594bfc3u,
    0xcafb7902u, 0xfa9946c1u, 0xd0623241u, 0x2a371480u, 0xa62b1dc1u, 0x840bf6bfu, 0x221f2702u,
    0x61eccfbdu, 0xc0325745u, 0xa1ba7878u, 0x1e77decdu, 0x834299abu, 0x9b354522u, 0xe80d5489u,
    0xb327f099u, 0x34e563f0u, 0x7e428ca9u, 0xb6a2d747u, 0xc79fb562u, 0xef0321e5u, 0xd89c937du,
    0x16668e68u, 0xc2360515u, 0x54308953u, 0x6e057bc2u, 0xe62b0d91u, 0x87da6e31u, 0x5e509f60u,
    0x2989ced1u, 0x34c6d08fu, 0xf4c2fe42u, 0x4003d24du, 0xb4bf2bf5u, 0x8b44a658u, 0x297a859du,
    0x61ca20bbu, 0xc7b064e2u, 0x9a19bbd9u, 0x2d96a909u, 0x6c8312d0u, 0xc1139639u, 0xab6f7c97u,
    0x15a419a2u, 0x95cb62f5u, 0x7fd8b6adu, 0x15f2ac48u, 0x69e60a65u, 0xac0ca1e3u, 0xbdd96882u,
    0xee333961u, 0xcfa62f21u, 0x1e8d0a40u, 0xb11924e1u, 0x6d73e55fu, 0x43a53f82u, 0x29cea5ddu,
    0x19d699a5u, 0x0ff80c38u, 0x09de8d6du, 0x06197ecbu, 0x03c50ea2u, 0x02547029u, 0x01709e79u,
    0x00e3d1b0u, 0x008cccc9u, 0x005704e7u, 0x0035c7e2u, 0x00213d05u, 0x00148addu, 0x000cb228u,
    0x0007d8b5u, 0x0004d973u, 0x0002ff42u, 0x0001da31u, 0x00012511u, 0x0000b520u, 0x00006ff1u,
    0x0000452fu, 0x00002ac2u, 0x00001a6du, 0x00001055u, 0x00000a18u, 0x0000063du, 0x000003dbu,
    0x00000262u, 0x00000179u, 0x000000e9u, 0x00000090u, 0x00000059u, 0x00000037u, 0x00000022u,
    0x00000015u, 0x0000000du, 0x00000008u, 0x00000005u, 0x00000003u, 0x00000002u, 0x00000001u,
    0x00000001u, 0x00000000u,
};
static const uint32_t ck_s2[128] = {
    0xaedf2ac5u, 0x9bcca01du, 0x13128aa8u, 0x88ba1575u, 0x8a587533u, 0xfe61a042u, 0x8bf6d4f1u,
    0x726acb51u, 0x198c09a0u, 0x58dec1b1u, 0xc0ad47efu, 0x983179c2u, 0x287bce2du, 0x6fb5ab95u,
    0xb8c62298u, 0xb6ef88fdu, 0x01d6999bu, 0xb518ef62u, 0x4cbdaa39u, 0x685b4529u, 0xe4626510u,
    0x83f8e019u, 0x606984f7u, 0x238f5b22u, 0x3cda29d5u, 0xe6b5314du, 0x5624f888u, 0x909038c5u,
    0xc594bfc3u, 0xcafb7902u, 0xfa9946c1u, 0xd0623241u, 0x2a371480u, 0xa62b1dc1u, 0x840bf6bfu,
    0x221f2702u, 0x61eccfbdu, 0xc0325745u, 0xa1ba7878u, 0x1e77decdu, 0x834299abu, 0x9b354522u,
    0xe80d5489u, 0xb327f099u, 0x34e563f0u, 0x7e428ca9u, 0xb6a2d747u, 0xc79fb562u, 0xef0321e5u,
    0xd89c937du, 0x16668e68u, 0xc2360515u, 0x54308953u, 0x6e057bc2u, 0xe62b0d91u, 0x87da6e31u,
    0x5e509f60u, 0x2989ced1u, 0x34c6d08fu, 0xf4c2fe42u, 0x4003d24du, 0xb4bf2bf5u, 0x8b44a658u,
    0x297a859du, 0x61ca20bbu, 0xc7b064e2u, 0x9a19bbd9u, 0x2d96a909u, 0x6c8312d0u, 0xc1139639u,
    0xab6f7c97u, 0x15a419a2u, 0x95cb62f5u, 0x7fd8b6adu, 0x15f2ac48u, 0x69e60a65u, 0xac0ca1e3u,
    0xbdd96882u, 0xee333961u, 0xcfa62f21u, 0x1e8d0a40u, 0xb11924e1u, 0x6d73e55fu, 0x43a53f82u,
    0x29cea5ddu, 0x19d699a5u, 0x0ff80c38u, 0x09de8d6du, 0x06197ecbu, 0x03c50ea2u, 0x02547029u,
    0x01709e79u, 0x00e3d1b0u, 0x008cccc9u, 0x005704e7u, 0x0035c7e2u, 0x00213d05u, 0x00148addu,
    0x000cb228u, 0x0007d8b5u, 0x0004d973u, 0x0002ff42u, 0x0001da31u, 0x00012511u, 0x0000b520u,
    0x00006ff1u, 0x0000452fu, 0x00002ac2u, 0x00001a6du, 0x00001055u, 0x00000a18u, 0x0000063du,
    0x000003dbu, 0x00000262u, 0x00000179u, 0x000000e9u, 0x00000090u, 0x00000059u, 0x00000037u,
    0x00000022u, 0x00000015u, 0x0000000du, 0x00000008u, 0x00000005u, 0x00000003u, 0x00000002u,
    0x00000001u, 0x00000001u,
};
/* M^64: F(127), F(128), F(129) */
#define CK_F127 0x9bcca01du
#define CK_F128 0xaedf2ac5u
#define CK_F129 0x4aabcae2u

__attribute__((target("avx2"))) static void
checksum_avx2(int big_endian, const uint8_t *data, size_t n, const uint32_t in[2], uint32_t out[2])
{
    uint32_t s1 = in[0], s2 = in[1];
    const __m256i swap = _mm256_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 3,
                                          2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
    size_t i = 0;
    for (; i + 512 <= n; i += 512) {
        __m256i acc1 = _mm256_setzero_si256(), acc2 = _mm256_setzero_si256();
        for (int v = 0; v < 16; v++) {
            __m256i x = _mm256_loadu_si256((const __m256i *)(data + i + 32 * (size_t)v));
            if (big_endian) {
                x = _mm256_shuffle_epi8(x, swap);
            }
            acc1 = _mm256_add_epi32(
                acc1, _mm256_mullo_epi32(x, _mm256_loadu_si256((const __m256i *)(ck_s1 + 8 * v))));
            acc2 = _mm256_add_epi32(
                acc2, _mm256_mullo_epi32(x, _mm256_loadu_si256((const __m256i *)(ck_s2 + 8 * v))));
        }
        uint32_t l1[8], l2[8];
        _mm256_storeu_si256((__m256i *)l1, acc1);
        _mm256_storeu_si256((__m256i *)l2, acc2);
        uint32_t c1 = 0, c2 = 0;
        for (int k = 0; k < 8; k++) {
            c1 += l1[k];
            c2 += l2[k];
        }
        const uint32_t t1 = CK_F127 * s1 + CK_F128 * s2 + c1;
        const uint32_t t2 = CK_F128 * s1 + CK_F129 * s2 + c2;
        s1 = t1;
        s2 = t2;
    }
    const uint32_t mid[2] = {s1, s2};
    wal_checksum_portable(big_endian, data + i, n - i, mid, out);
}
#endif

void wal_checksum(int big_endian, const uint8_t *data, size_t n, const uint32_t in[2],
                  uint32_t out[2])
{
#ifdef HAVE_AVX2_PATH
    static int avx2 = -1; /* every thread computes the same answer; relaxed atomics */
    int have = __atomic_load_n(&avx2, __ATOMIC_RELAXED);
    if (have < 0) {
        __builtin_cpu_init();
        have = __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&avx2, have, __ATOMIC_RELAXED);
    }
    if (have && n >= 512) {
        checksum_avx2(big_endian, data, n, in, out);
        return;
    }
#endif
    wal_checksum_portable(big_endian, data, n, in, out);
}

void wal_frame_checksum(int big_endian, const uint8_t *frame_header, const uint8_t *body,
                        size_t page_size, const uint32_t in[2], uint32_t out[2])
{
    uint32_t mid[2];
    wal_checksum(big_endian, frame_header, 8, in, mid);
    wal_checksum(big_endian, body, page_size, mid, out);
}
