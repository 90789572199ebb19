/*
 * aes_soft.c - portable, constant-time AES encryption round (AESENC), four blocks at a time.
 *
 * Method: four 16-byte blocks (64 bytes) are loaded as eight little-endian 64-bit words, ShiftRows
 * is applied on those words with masks (it commutes with SubBytes), and an 8x8 bit transpose
 * (three SWAPMOVE stages) turns them into eight bit planes: plane p holds bit p of all 64 bytes.
 * The S-box is the Boyar-Peralta 128-gate circuit (34 AND, 94 XOR/XNOR) evaluated on the planes,
 * MixColumns is done on the planes too (row rotations are byte rotations inside 32-bit lanes,
 * xtime is a renaming of planes plus three XORs), and the same transpose, which is its own
 * inverse, turns the planes back into bytes before the round-key XOR.
 *
 * Invariants: no table lookup, branch or memory address depends on block or key data (the only
 * branches are on the public nblocks). Exactly 16 * nblocks bytes are read from `in` and from
 * `rk` and written to `out`; a final group of fewer than four blocks is zero padded in registers.
 * Every input word of a group is read before any output word of that group is written, and each
 * round-key word is read just before the output word at the same offset is written, which makes
 * out == in and out == rk safe. Results do not depend on the host's byte order.
 */
#include "aes_soft.h"

/* Plane layout after transpose(): byte n (0..63) of the four-block group sits at bit 8 * c + r,
 * where r = n / 8 is the 64-bit word it was loaded into and c = n % 8 its byte in that word.
 * Within a block the 4 * col + row byte order makes c = 4 * (col % 2) + row, so the four rows of
 * a column are the four bytes of a 32-bit lane of each plane. */

#define LANE_LO24 UINT64_C(0x00ffffff00ffffff)
#define LANE_HI8 UINT64_C(0xff000000ff000000)
#define LANE_LO16 UINT64_C(0x0000ffff0000ffff)
#define LANE_HI16 UINT64_C(0xffff0000ffff0000)

static inline uint64_t load64_le(const uint8_t *p)
{
    return (uint64_t)p[0] | ((uint64_t)p[1] << 8) | ((uint64_t)p[2] << 16) |
           ((uint64_t)p[3] << 24) | ((uint64_t)p[4] << 32) | ((uint64_t)p[5] << 40) |
           ((uint64_t)p[6] << 48) | ((uint64_t)p[7] << 56);
}

static inline void store64_le(uint8_t *p, uint64_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
    p[4] = (uint8_t)(v >> 32);
    p[5] = (uint8_t)(v >> 40);
    p[6] = (uint8_t)(v >> 48);
    p[7] = (uint8_t)(v >> 56);
}

/* ShiftRows on one block held as lo = columns 0,1 and hi = columns 2,3 (column c of a word in
 * its 32-bit lane, row r in byte r of the lane): new column c, row r = old column c + r. */
static inline void shift_rows(uint64_t *lo, uint64_t *hi)
{
    const uint64_t m0 = UINT64_C(0x000000ff000000ff);
    const uint64_t m1 = UINT64_C(0x0000ff000000ff00);
    const uint64_t m2 = UINT64_C(0x00ff000000ff0000);
    const uint64_t m3 = UINT64_C(0xff000000ff000000);
    uint64_t a = *lo, b = *hi;
    uint64_t c12 = (a >> 32) | (b << 32); /* columns 1, 2 */
    uint64_t c30 = (b >> 32) | (a << 32); /* columns 3, 0 */

    *lo = (a & m0) | (c12 & m1) | (b & m2) | (c30 & m3);
    *hi = (b & m0) | (c30 & m1) | (a & m2) | (c12 & m3);
}

/* Swaps the bits of *a selected by (mask << n) with the bits of *b selected by mask. */
static inline void swapmove(uint64_t *a, uint64_t *b, uint64_t mask, unsigned n)
{
    uint64_t t = ((*a >> n) ^ *b) & mask;

    *b ^= t;
    *a ^= t << n;
}

/* Transposes, independently for each byte position c, the 8x8 bit matrix (word r, bit p):
 * afterwards bit p of byte c of word r is the former bit r of byte c of word p. The three stages
 * swap disjoint index bits and each is an involution, so the whole is its own inverse. */
static void transpose(uint64_t w[8])
{
    const uint64_t m1 = UINT64_C(0x5555555555555555);
    const uint64_t m2 = UINT64_C(0x3333333333333333);
    const uint64_t m4 = UINT64_C(0x0f0f0f0f0f0f0f0f);

    swapmove(&w[0], &w[1], m1, 1);
    swapmove(&w[2], &w[3], m1, 1);
    swapmove(&w[4], &w[5], m1, 1);
    swapmove(&w[6], &w[7], m1, 1);
    swapmove(&w[0], &w[2], m2, 2);
    swapmove(&w[1], &w[3], m2, 2);
    swapmove(&w[4], &w[6], m2, 2);
    swapmove(&w[5], &w[7], m2, 2);
    swapmove(&w[0], &w[4], m4, 4);
    swapmove(&w[1], &w[5], m4, 4);
    swapmove(&w[2], &w[6], m4, 4);
    swapmove(&w[3], &w[7], m4, 4);
}

/* The AES S-box on bit planes q[0] (least significant bit) .. q[7] (most significant bit).
 * Circuit of J. Boyar and R. Peralta, "A depth-16 circuit for the AES S-box" (IACR ePrint
 * 2011/332; SEC 2012): a linear top layer (27 XOR), a nonlinear middle layer (inversion in
 * GF(2^8) through GF(2^4); 34 AND, 29 XOR), a linear bottom layer (34 XOR/XNOR, the XNORs
 * supplying the affine constant 0x63). u0 and the output written to q[7] are the most
 * significant bits. The self-test checks all 256 inputs. */
static void sub_bytes(uint64_t q[8])
{
    uint64_t u0 = q[7], u1 = q[6], u2 = q[5], u3 = q[4];
    uint64_t u4 = q[3], u5 = q[2], u6 = q[1], u7 = q[0];

    /* Top linear layer. */
    uint64_t t1 = u0 ^ u3;
    uint64_t t2 = u0 ^ u5;
    uint64_t t3 = u0 ^ u6;
    uint64_t t4 = u3 ^ u5;
    uint64_t t5 = u4 ^ u6;
    uint64_t t6 = t1 ^ t5;
    uint64_t t7 = u1 ^ u2;
    uint64_t t8 = u7 ^ t6;
    uint64_t t9 = u7 ^ t7;
    uint64_t t10 = t6 ^ t7;
    uint64_t t11 = u1 ^ u5;
    uint64_t t12 = u2 ^ u5;
    uint64_t t13 = t3 ^ t4;
    uint64_t t14 = t6 ^ t11;
    uint64_t t15 = t5 ^ t11;
    uint64_t t16 = t5 ^ t12;
    uint64_t t17 = t9 ^ t16;
    uint64_t t18 = u3 ^ u7;
    uint64_t t19 = t7 ^ t18;
    uint64_t t20 = t1 ^ t19;
    uint64_t t21 = u6 ^ u7;
    uint64_t t22 = t7 ^ t21;
    uint64_t t23 = t2 ^ t22;
    uint64_t t24 = t2 ^ t10;
    uint64_t t25 = t20 ^ t17;
    uint64_t t26 = t3 ^ t16;
    uint64_t t27 = t1 ^ t12;

    /* Nonlinear middle layer. */
    uint64_t m1 = t13 & t6;
    uint64_t m2 = t23 & t8;
    uint64_t m3 = t14 ^ m1;
    uint64_t m4 = t19 & u7;
    uint64_t m5 = m4 ^ m1;
    uint64_t m6 = t3 & t16;
    uint64_t m7 = t22 & t9;
    uint64_t m8 = t26 ^ m6;
    uint64_t m9 = t20 & t17;
    uint64_t m10 = m9 ^ m6;
    uint64_t m11 = t1 & t15;
    uint64_t m12 = t4 & t27;
    uint64_t m13 = m12 ^ m11;
    uint64_t m14 = t2 & t10;
    uint64_t m15 = m14 ^ m11;
    uint64_t m16 = m3 ^ m2;
    uint64_t m17 = m5 ^ t24;
    uint64_t m18 = m8 ^ m7;
    uint64_t m19 = m10 ^ m15;
    uint64_t m20 = m16 ^ m13;
    uint64_t m21 = m17 ^ m15;
    uint64_t m22 = m18 ^ m13;
    uint64_t m23 = m19 ^ t25;
    uint64_t m24 = m22 ^ m23;
    uint64_t m25 = m22 & m20;
    uint64_t m26 = m21 ^ m25;
    uint64_t m27 = m20 ^ m21;
    uint64_t m28 = m23 ^ m25;
    uint64_t m29 = m28 & m27;
    uint64_t m30 = m26 & m24;
    uint64_t m31 = m20 & m23;
    uint64_t m32 = m27 & m31;
    uint64_t m33 = m27 ^ m25;
    uint64_t m34 = m21 & m22;
    uint64_t m35 = m24 & m34;
    uint64_t m36 = m24 ^ m25;
    uint64_t m37 = m21 ^ m29;
    uint64_t m38 = m32 ^ m33;
    uint64_t m39 = m23 ^ m30;
    uint64_t m40 = m35 ^ m36;
    uint64_t m41 = m38 ^ m40;
    uint64_t m42 = m37 ^ m39;
    uint64_t m43 = m37 ^ m38;
    uint64_t m44 = m39 ^ m40;
    uint64_t m45 = m42 ^ m41;
    uint64_t m46 = m44 & t6;
    uint64_t m47 = m40 & t8;
    uint64_t m48 = m39 & u7;
    uint64_t m49 = m43 & t16;
    uint64_t m50 = m38 & t9;
    uint64_t m51 = m37 & t17;
    uint64_t m52 = m42 & t15;
    uint64_t m53 = m45 & t27;
    uint64_t m54 = m41 & t10;
    uint64_t m55 = m44 & t13;
    uint64_t m56 = m40 & t23;
    uint64_t m57 = m39 & t19;
    uint64_t m58 = m43 & t3;
    uint64_t m59 = m38 & t22;
    uint64_t m60 = m37 & t20;
    uint64_t m61 = m42 & t1;
    uint64_t m62 = m45 & t4;
    uint64_t m63 = m41 & t2;

    /* Bottom linear layer (the affine constant 0x63 is folded in as XNORs). */
    uint64_t l0 = m61 ^ m62;
    uint64_t l1 = m50 ^ m56;
    uint64_t l2 = m46 ^ m48;
    uint64_t l3 = m47 ^ m55;
    uint64_t l4 = m54 ^ m58;
    uint64_t l5 = m49 ^ m61;
    uint64_t l6 = m62 ^ l5;
    uint64_t l7 = m46 ^ l3;
    uint64_t l8 = m51 ^ m59;
    uint64_t l9 = m52 ^ m53;
    uint64_t l10 = m53 ^ l4;
    uint64_t l11 = m60 ^ l2;
    uint64_t l12 = m48 ^ m51;
    uint64_t l13 = m50 ^ l0;
    uint64_t l14 = m52 ^ m61;
    uint64_t l15 = m55 ^ l1;
    uint64_t l16 = m56 ^ l0;
    uint64_t l17 = m57 ^ l1;
    uint64_t l18 = m58 ^ l8;
    uint64_t l19 = m63 ^ l4;
    uint64_t l20 = l0 ^ l1;
    uint64_t l21 = l1 ^ l7;
    uint64_t l22 = l3 ^ l12;
    uint64_t l23 = l18 ^ l2;
    uint64_t l24 = l15 ^ l9;
    uint64_t l25 = l6 ^ l10;
    uint64_t l26 = l7 ^ l9;
    uint64_t l27 = l8 ^ l10;
    uint64_t l28 = l11 ^ l14;
    uint64_t l29 = l11 ^ l17;

    q[7] = l6 ^ l24;
    q[6] = ~(l16 ^ l26);
    q[5] = ~(l19 ^ l28);
    q[4] = l6 ^ l21;
    q[3] = l20 ^ l22;
    q[2] = l25 ^ l29;
    q[1] = ~(l13 ^ l27);
    q[0] = ~(l6 ^ l23);
}

/* Rotations of the four bytes of each 32-bit lane: byte i of the result is byte i + 1 (rot8) or
 * i + 2 (rot16) of x, indices modulo 4, i.e. row i receives row i + 1 or i + 2 of its column. */
static inline uint64_t rot8(uint64_t x)
{
    return ((x >> 8) & LANE_LO24) | ((x << 24) & LANE_HI8);
}

static inline uint64_t rot16(uint64_t x)
{
    return ((x >> 16) & LANE_LO16) | ((x << 16) & LANE_HI16);
}

/* MixColumns on bit planes. Per byte: b_i = 2 (a_i ^ a_{i+1}) ^ a_{i+1} ^ a_{i+2} ^ a_{i+3},
 * computed as xtime(t) ^ r ^ rot16(t) with r = rot8(a) and t = a ^ r. */
static void mix_columns(uint64_t q[8])
{
    uint64_t r0 = rot8(q[0]), r1 = rot8(q[1]), r2 = rot8(q[2]), r3 = rot8(q[3]);
    uint64_t r4 = rot8(q[4]), r5 = rot8(q[5]), r6 = rot8(q[6]), r7 = rot8(q[7]);
    uint64_t t0 = q[0] ^ r0, t1 = q[1] ^ r1, t2 = q[2] ^ r2, t3 = q[3] ^ r3;
    uint64_t t4 = q[4] ^ r4, t5 = q[5] ^ r5, t6 = q[6] ^ r6, t7 = q[7] ^ r7;

    /* xtime(t): plane p takes plane p - 1; the carried-out bit 7 folds back in as 0x1b. */
    q[0] = t7 ^ r0 ^ rot16(t0);
    q[1] = t0 ^ t7 ^ r1 ^ rot16(t1);
    q[2] = t1 ^ r2 ^ rot16(t2);
    q[3] = t2 ^ t7 ^ r3 ^ rot16(t3);
    q[4] = t3 ^ t7 ^ r4 ^ rot16(t4);
    q[5] = t4 ^ r5 ^ rot16(t5);
    q[6] = t5 ^ r6 ^ rot16(t6);
    q[7] = t6 ^ r7 ^ rot16(t7);
}

/* SubBytes, ShiftRows and MixColumns on four blocks held as eight little-endian words
 * (block k in w[2k], w[2k+1]); the result is left in the same form. */
static void round4(uint64_t w[8])
{
    shift_rows(&w[0], &w[1]);
    shift_rows(&w[2], &w[3]);
    shift_rows(&w[4], &w[5]);
    shift_rows(&w[6], &w[7]);
    transpose(w);
    sub_bytes(w);
    mix_columns(w);
    transpose(w);
}

void aes_soft_round_n(uint8_t *out, const uint8_t *in, const uint8_t *rk, size_t nblocks)
{
    uint64_t w[8];

    for (; nblocks >= 4; nblocks -= 4) {
        for (int j = 0; j < 8; j++) {
            w[j] = load64_le(in + 8 * j);
        }
        round4(w);
        for (int j = 0; j < 8; j++) {
            store64_le(out + 8 * j, w[j] ^ load64_le(rk + 8 * j));
        }
        out += 64;
        in += 64;
        rk += 64;
    }
    if (nblocks > 0) {
        size_t nwords = 2 * nblocks;

        for (size_t j = 0; j < 8; j++) {
            w[j] = j < nwords ? load64_le(in + 8 * j) : 0;
        }
        round4(w);
        for (size_t j = 0; j < nwords; j++) {
            store64_le(out + 8 * j, w[j] ^ load64_le(rk + 8 * j));
        }
    }
}
