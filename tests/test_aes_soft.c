/*
 * aes_soft_selftest.c - standalone self-test of aes_soft_round_n (crypto/aes_soft.c).
 *
 * Checks: the FIPS-197 S-box table of this test against GF(2^8) inversion plus the affine map;
 * all 256 S-box values through aes_soft_round_n (a block of 16 equal bytes x with a zero round
 * key gives 16 bytes S(x), since MixColumns maps a constant column to itself); the AEGIS
 * AESRound check value; and random blocks for nblocks 1..40 against a table-based reference
 * round written here, with out separate, out == in, out == rk and out == in == rk. Buffers are
 * heap allocated to their exact size so that AddressSanitizer catches any access beyond them.
 * Prints nothing and returns 0 on success; prints a message and returns 1 on the first failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../crypto/aes_soft.h"

static const uint8_t fips_sbox[256] = {
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
    0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
    0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
    0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
    0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
    0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
    0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
    0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
    0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
    0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
    0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
    0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
    0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
    0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
    0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
};

static int failures;

static void fail(const char *what, size_t n, size_t i)
{
    fprintf(stderr, "aes_soft_selftest: FAIL: %s (nblocks %zu, index %zu)\n", what, n, i);
    failures++;
}

static uint8_t xtime(uint8_t x)
{
    return (uint8_t)((x << 1) ^ ((x >> 7) * 0x1b));
}

static uint8_t gf_mul(uint8_t a, uint8_t b)
{
    uint8_t r = 0;

    for (int i = 0; i < 8; i++) {
        if (b & 1) {
            r ^= a;
        }
        a = xtime(a);
        b >>= 1;
    }
    return r;
}

/* S(x) = affine(x^254), computed from the definition in FIPS-197 section 5.1.1. */
static uint8_t sbox_by_definition(uint8_t x)
{
    uint8_t inv = 1;

    for (int i = 0; i < 254; i++) {
        inv = gf_mul(inv, x);
    }
    uint8_t s = 0x63;
    for (int i = 0; i < 8; i++) {
        unsigned bit = ((inv >> i) ^ (inv >> ((i + 4) % 8)) ^ (inv >> ((i + 5) % 8)) ^
                        (inv >> ((i + 6) % 8)) ^ (inv >> ((i + 7) % 8))) &
                       1u;
        s ^= (uint8_t)(bit << i);
    }
    return s;
}

/* Table-based reference: SubBytes, ShiftRows, MixColumns, AddRoundKey on one block. */
static void ref_round(uint8_t out[16], const uint8_t in[16], const uint8_t rk[16])
{
    uint8_t s[16];

    for (int c = 0; c < 4; c++) {
        for (int r = 0; r < 4; r++) {
            s[4 * c + r] = fips_sbox[in[4 * ((c + r) % 4) + r]];
        }
    }
    for (int c = 0; c < 4; c++) {
        const uint8_t *a = &s[4 * c];
        for (int r = 0; r < 4; r++) {
            uint8_t a0 = a[r], a1 = a[(r + 1) % 4], a2 = a[(r + 2) % 4], a3 = a[(r + 3) % 4];
            out[4 * c + r] = (uint8_t)(xtime(a0) ^ xtime(a1) ^ a1 ^ a2 ^ a3 ^ rk[4 * c + r]);
        }
    }
}

static uint64_t rng_state = UINT64_C(0x9e3779b97f4a7c15);

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void fill_random(uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        p[i] = (uint8_t)(rng_next() >> 56);
    }
}

static void *xmalloc(size_t len)
{
    void *p = malloc(len);

    if (p == NULL) {
        fprintf(stderr, "aes_soft_selftest: out of memory\n");
        exit(1);
    }
    return p;
}

static void test_sbox(void)
{
    enum { N = 256 };
    uint8_t *in = xmalloc(16 * N), *rk = xmalloc(16 * N), *out = xmalloc(16 * N);

    for (size_t x = 0; x < N; x++) {
        if (fips_sbox[x] != sbox_by_definition((uint8_t)x)) {
            fail("S-box table of the test disagrees with FIPS-197 definition", 0, x);
        }
    }
    for (size_t x = 0; x < N; x++) {
        memset(in + 16 * x, (int)x, 16);
    }
    memset(rk, 0, 16 * N);
    aes_soft_round_n(out, in, rk, N);
    for (size_t x = 0; x < N; x++) {
        for (size_t i = 0; i < 16; i++) {
            if (out[16 * x + i] != fips_sbox[x]) {
                fail("S-box value", N, x);
                break;
            }
        }
    }
    free(in);
    free(rk);
    free(out);
}

static void test_known_answer(void)
{
    static const uint8_t expected[16] = {0x7a, 0x7b, 0x4e, 0x56, 0x38, 0x78, 0x25, 0x46,
                                         0xa8, 0xc0, 0x47, 0x7a, 0x3b, 0x81, 0x3f, 0x43};
    uint8_t *in = xmalloc(16), *rk = xmalloc(16), *out = xmalloc(16);
    uint8_t ref[16];

    for (int i = 0; i < 16; i++) {
        in[i] = (uint8_t)i;
        rk[i] = (uint8_t)(0x10 + i);
    }
    ref_round(ref, in, rk);
    if (memcmp(ref, expected, 16) != 0) {
        fail("reference round of the test disagrees with the AESRound check value", 1, 0);
    }
    aes_soft_round_n(out, in, rk, 1);
    if (memcmp(out, expected, 16) != 0) {
        fail("AESRound check value", 1, 0);
    }
    free(in);
    free(rk);
    free(out);
}

/* mode 0: separate buffers; 1: out == in; 2: out == rk; 3: out == in == rk. */
static void test_random(size_t n, int mode)
{
    size_t len = 16 * n;
    uint8_t *in = xmalloc(len), *rk = xmalloc(len), *out = xmalloc(len), *expected = xmalloc(len);

    fill_random(in, len);
    fill_random(rk, len);
    if (mode == 3) {
        memcpy(rk, in, len);
    }
    for (size_t i = 0; i < n; i++) {
        ref_round(expected + 16 * i, in + 16 * i, rk + 16 * i);
    }
    switch (mode) {
    case 0:
        fill_random(out, len);
        aes_soft_round_n(out, in, rk, n);
        break;
    case 1:
        aes_soft_round_n(in, in, rk, n);
        memcpy(out, in, len);
        break;
    case 2:
        aes_soft_round_n(rk, in, rk, n);
        memcpy(out, rk, len);
        break;
    default:
        aes_soft_round_n(in, in, in, n);
        memcpy(out, in, len);
        break;
    }
    for (size_t i = 0; i < n; i++) {
        if (memcmp(out + 16 * i, expected + 16 * i, 16) != 0) {
            static const char *what[] = {"random blocks", "random blocks, out == in",
                                         "random blocks, out == rk",
                                         "random blocks, out == in == rk"};
            fail(what[mode], n, i);
            break;
        }
    }
    free(in);
    free(rk);
    free(out);
    free(expected);
}

int main(void)
{
    test_sbox();
    test_known_answer();
    for (int iter = 0; iter < 100 && failures == 0; iter++) {
        for (size_t n = 1; n <= 40; n++) {
            for (int mode = 0; mode < 4; mode++) {
                test_random(n, mode);
            }
        }
    }
    return failures == 0 ? 0 : 1;
}
