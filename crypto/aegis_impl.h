/*
 * aegis_impl.h - the AEGIS family written once, instantiated per back end.
 *
 * A back end file (aegis_aesni.c, aegis_vaes.c, aegis_soft.c) defines a block
 * type and a handful of operations, then includes this file once per variant.
 * The body below is the CFRG AEGIS specification (draft-irtf-cfrg-aegis-aead)
 * for every variant at once: AEGIS-128L/AEGIS-256 are the D = 1 case of
 * AEGIS-128X<D>/AEGIS-256X<D>, whose state is D independent lanes.
 *
 * Before including, define:
 *   AEGIS_NAME    prefix of the two generated functions (NAME_encrypt, NAME_decrypt)
 *   AEGIS_256     1 for the AEGIS-256 family, 0 for the AEGIS-128 family
 *   AEGIS_D       lanes: 1, 2 or 4
 *   AEGIS_OPS     prefix of the back end's block type and operations for D lanes,
 *                 named OPS_blk_D, OPS_load_D, ... (D the value of AEGIS_D):
 *     blk              a value holding one 16-byte block per lane (16 * D bytes)
 *     load(p)          16*D bytes at p, lane i from bytes [16i, 16i+16)
 *     store(p, x)      the inverse of load
 *     load_bcast(p)    the 16 bytes at p in every lane
 *     xor(a, b), and(a, b)
 *     aes_rounds(out, in, rk, n)
 *                      out[j] = AESRound(in[j], rk[j]) lane-wise for j < n; out may be rk
 *   AEGIS_INLINE  the back end's forced-inline function qualifier
 * The file undefines AEGIS_NAME and AEGIS_256 at its end so that it can be
 * included again for the next variant.
 *
 * Invariants kept here:
 * - The state is always updated with plaintext, never ciphertext; a trailing
 *   partial plaintext block is zero-padded before it is absorbed (on
 *   decryption the keystream bytes past the end must not enter the state).
 * - Decryption releases no plaintext unless the tag verifies: on failure the
 *   whole output is wiped. The tag comparison is constant time.
 * - The state and the padded tail buffers are wiped before returning.
 */

#define AEGIS_CAT2(a, b) a##_##b
#define AEGIS_CAT(a, b) AEGIS_CAT2(a, b)
#define AEGIS_FN(name) AEGIS_CAT(AEGIS_NAME, name)
#define AEGIS_OP(name) AEGIS_CAT(AEGIS_OPS, AEGIS_CAT(name, AEGIS_D))
#define blk AEGIS_OP(blk)
#define blk_load AEGIS_OP(load)
#define blk_store AEGIS_OP(store)
#define blk_load_bcast AEGIS_OP(load_bcast)
#define blk_xor AEGIS_OP(xor)
#define blk_and AEGIS_OP(and)
#define blk_aes_rounds AEGIS_OP(aes_rounds)

#if AEGIS_256
#define AEGIS_NB 6                /* state blocks per lane */
#define AEGIS_RATE (16 * AEGIS_D) /* bytes absorbed per update */
#define AEGIS_INIT_ROUNDS 4       /* times 4 updates = 16 */
#define AEGIS_P0 6                /* slot of the pending words of block 0 */
#define AEGIS_SLOTS 7             /* blocks, then pending words */
#else
#define AEGIS_NB 8
#define AEGIS_RATE (32 * AEGIS_D)
#define AEGIS_P0 8
#define AEGIS_P4 9
#define AEGIS_SLOTS 10
#endif
#define AEGIS_LANES_BYTES (16 * AEGIS_D)

/* One state update: S'[i] = AESRound(S[i-1], S[i]), with the message words
 * XORed into the round keys of blocks 0 (and 4 in the 128 family).
 *
 * Since AddRoundKey comes last, AESRound(x, S ^ M) = AESRound(x, S) ^ M: the
 * message can be XORed in after the round. We go one step further and keep
 * blocks 0 and 4 "raw", with the message words still owed to them
 * accumulated in pending blocks P0 (P4): true S0 = raw S0 ^ P0. Then
 *   raw S0' = AESRound(S7, raw S0)        P0' = P0 ^ M0
 *   S1'     = AESRound(raw S0 ^ P0, S1)
 * so the XOR leaves the chain S0 -> S0' (one AES latency per update instead
 * of AES + XOR) and only sits on the hops 0 -> 1 and 4 -> 5. The keystream
 * never reads blocks 0 or 4; finalize() settles the debt before the tag. */
static AEGIS_INLINE void AEGIS_FN(update)(blk *s, blk m0, blk m1)
{
    blk t[AEGIS_NB];
    t[0] = s[AEGIS_NB - 1];
    t[1] = blk_xor(s[0], s[AEGIS_P0]);
    for (int i = 2; i < AEGIS_NB; i++) {
        t[i] = s[i - 1];
    }
#if !AEGIS_256
    t[5] = blk_xor(s[4], s[AEGIS_P4]);
#endif
    blk_aes_rounds(s, t, s, AEGIS_NB);
    s[AEGIS_P0] = blk_xor(s[AEGIS_P0], m0);
#if AEGIS_256
    (void)m1;
#else
    s[AEGIS_P4] = blk_xor(s[AEGIS_P4], m1);
#endif
}

/* Pays the pending message words into blocks 0 (and 4). */
static AEGIS_INLINE void AEGIS_FN(settle)(blk *s)
{
    s[0] = blk_xor(s[0], s[AEGIS_P0]);
    s[AEGIS_P0] = blk_xor(s[AEGIS_P0], s[AEGIS_P0]);
#if !AEGIS_256
    s[4] = blk_xor(s[4], s[AEGIS_P4]);
    s[AEGIS_P4] = blk_xor(s[AEGIS_P4], s[AEGIS_P4]);
#endif
}

static AEGIS_INLINE void AEGIS_FN(init)(blk *s, const uint8_t *key, const uint8_t *nonce)
{
    static const uint8_t c0b[16] = {0x00, 0x01, 0x01, 0x02, 0x03, 0x05, 0x08, 0x0d,
                                    0x15, 0x22, 0x37, 0x59, 0x90, 0xe9, 0x79, 0x62};
    static const uint8_t c1b[16] = {0xdb, 0x3d, 0x18, 0x55, 0x6d, 0xc2, 0x2f, 0xf1,
                                    0x20, 0x11, 0x31, 0x42, 0x73, 0xb5, 0x28, 0xdd};
    const blk c0 = blk_load_bcast(c0b);
    const blk c1 = blk_load_bcast(c1b);
#if AEGIS_D > 1
    /* Lane separation: lane i's context block is i || D-1 || 0^112. */
    uint8_t ctxb[AEGIS_LANES_BYTES] = {0};
    for (int i = 0; i < AEGIS_D; i++) {
        ctxb[16 * i] = (uint8_t)i;
        ctxb[16 * i + 1] = (uint8_t)(AEGIS_D - 1);
    }
    const blk ctx = blk_load(ctxb);
#endif
#if AEGIS_256
    const blk k0 = blk_load_bcast(key), k1 = blk_load_bcast(key + 16);
    const blk n0 = blk_load_bcast(nonce), n1 = blk_load_bcast(nonce + 16);
    const blk k0n0 = blk_xor(k0, n0), k1n1 = blk_xor(k1, n1);
    s[0] = k0n0;
    s[1] = k1n1;
    s[2] = c1;
    s[3] = c0;
    s[4] = blk_xor(k0, c0);
    s[5] = blk_xor(k1, c1);
    s[AEGIS_P0] = blk_xor(c0, c0);
    const blk msgs[4] = {k0, k1, k0n0, k1n1};
    for (int r = 0; r < 4 * AEGIS_INIT_ROUNDS; r++) {
#if AEGIS_D > 1
        s[3] = blk_xor(s[3], ctx);
        s[5] = blk_xor(s[5], ctx);
#endif
        AEGIS_FN(update)(s, msgs[r & 3], msgs[r & 3]);
    }
#else
    const blk k = blk_load_bcast(key), n = blk_load_bcast(nonce);
    const blk kn = blk_xor(k, n);
    s[0] = kn;
    s[1] = c1;
    s[2] = c0;
    s[3] = c1;
    s[4] = kn;
    s[5] = blk_xor(k, c0);
    s[6] = blk_xor(k, c1);
    s[7] = blk_xor(k, c0);
    s[AEGIS_P0] = s[AEGIS_P4] = blk_xor(c0, c0);
    for (int r = 0; r < 10; r++) {
#if AEGIS_D > 1
        s[3] = blk_xor(s[3], ctx);
        s[7] = blk_xor(s[7], ctx);
#endif
        AEGIS_FN(update)(s, n, k);
    }
#endif
}

/* Absorbs one full rate block of associated data. */
static AEGIS_INLINE void AEGIS_FN(absorb)(blk *s, const uint8_t *src)
{
#if AEGIS_256
    const blk m = blk_load(src);
    AEGIS_FN(update)(s, m, m);
#else
    AEGIS_FN(update)(s, blk_load(src), blk_load(src + AEGIS_LANES_BYTES));
#endif
}

/* Encrypts one full rate block (dst may equal src). */
static AEGIS_INLINE void AEGIS_FN(enc)(blk *s, uint8_t *dst, const uint8_t *src)
{
#if AEGIS_256
    const blk z = blk_xor(blk_xor(s[1], s[4]), blk_xor(s[5], blk_and(s[2], s[3])));
    const blk m = blk_load(src);
    blk_store(dst, blk_xor(m, z));
    AEGIS_FN(update)(s, m, m);
#else
    const blk z0 = blk_xor(blk_xor(s[1], s[6]), blk_and(s[2], s[3]));
    const blk z1 = blk_xor(blk_xor(s[2], s[5]), blk_and(s[6], s[7]));
    const blk m0 = blk_load(src), m1 = blk_load(src + AEGIS_LANES_BYTES);
    blk_store(dst, blk_xor(m0, z0));
    blk_store(dst + AEGIS_LANES_BYTES, blk_xor(m1, z1));
    AEGIS_FN(update)(s, m0, m1);
#endif
}

/* Decrypts one full rate block (dst may equal src). */
static AEGIS_INLINE void AEGIS_FN(dec)(blk *s, uint8_t *dst, const uint8_t *src)
{
#if AEGIS_256
    const blk z = blk_xor(blk_xor(s[1], s[4]), blk_xor(s[5], blk_and(s[2], s[3])));
    const blk m = blk_xor(blk_load(src), z);
    blk_store(dst, m);
    AEGIS_FN(update)(s, m, m);
#else
    const blk z0 = blk_xor(blk_xor(s[1], s[6]), blk_and(s[2], s[3]));
    const blk z1 = blk_xor(blk_xor(s[2], s[5]), blk_and(s[6], s[7]));
    const blk m0 = blk_xor(blk_load(src), z0);
    const blk m1 = blk_xor(blk_load(src + AEGIS_LANES_BYTES), z1);
    blk_store(dst, m0);
    blk_store(dst + AEGIS_LANES_BYTES, m1);
    AEGIS_FN(update)(s, m0, m1);
#endif
}

/* XORs the keystream of the current state into one rate block, without
 * updating the state (used for a trailing partial block on decryption). */
static AEGIS_INLINE void AEGIS_FN(keystream_xor)(blk *s, uint8_t *buf)
{
#if AEGIS_256
    const blk z = blk_xor(blk_xor(s[1], s[4]), blk_xor(s[5], blk_and(s[2], s[3])));
    blk_store(buf, blk_xor(blk_load(buf), z));
#else
    const blk z0 = blk_xor(blk_xor(s[1], s[6]), blk_and(s[2], s[3]));
    const blk z1 = blk_xor(blk_xor(s[2], s[5]), blk_and(s[6], s[7]));
    blk_store(buf, blk_xor(blk_load(buf), z0));
    blk_store(buf + AEGIS_LANES_BYTES, blk_xor(blk_load(buf + AEGIS_LANES_BYTES), z1));
#endif
}

/* Finalizes and writes the tag (16 or 32 bytes) to tag. */
static AEGIS_INLINE void AEGIS_FN(finalize)(blk *s, uint8_t *tag, size_t tag_len, uint64_t ad_len,
                                            uint64_t msg_len)
{
    uint8_t lens[16];
    const uint64_t ad_bits = ad_len << 3, msg_bits = msg_len << 3;
    for (int i = 0; i < 8; i++) {
        lens[i] = (uint8_t)(ad_bits >> (8 * i));
        lens[8 + i] = (uint8_t)(msg_bits >> (8 * i));
    }
#if AEGIS_256
    const blk t = blk_xor(s[3], blk_load_bcast(lens));
#else
    const blk t = blk_xor(s[2], blk_load_bcast(lens));
#endif
    for (int i = 0; i < 7; i++) {
        AEGIS_FN(update)(s, t, t);
    }
    AEGIS_FN(settle)(s);
    uint8_t lanes[2][AEGIS_LANES_BYTES];
#if AEGIS_256
    if (tag_len == 16) {
        blk_store(lanes[0],
                  blk_xor(blk_xor(blk_xor(s[0], s[1]), blk_xor(s[2], s[3])), blk_xor(s[4], s[5])));
    } else {
        blk_store(lanes[0], blk_xor(blk_xor(s[0], s[1]), s[2]));
        blk_store(lanes[1], blk_xor(blk_xor(s[3], s[4]), s[5]));
    }
#else
    if (tag_len == 16) {
        blk_store(lanes[0], blk_xor(blk_xor(blk_xor(s[0], s[1]), blk_xor(s[2], s[3])),
                                    blk_xor(blk_xor(s[4], s[5]), s[6])));
    } else {
        blk_store(lanes[0], blk_xor(blk_xor(s[0], s[1]), blk_xor(s[2], s[3])));
        blk_store(lanes[1], blk_xor(blk_xor(s[4], s[5]), blk_xor(s[6], s[7])));
    }
#endif
    /* The tag is the XOR of the lanes' tags. */
    for (size_t half = 0; half < tag_len / 16; half++) {
        for (int b = 0; b < 16; b++) {
            uint8_t x = 0;
            for (int lane = 0; lane < AEGIS_D; lane++) {
                x ^= lanes[half][16 * lane + b];
            }
            tag[16 * half + b] = x;
        }
    }
    crypto_wipe(lanes, sizeof lanes);
}

static void AEGIS_FN(absorb_ad)(blk *s, const uint8_t *ad, size_t ad_len)
{
    size_t i = 0;
    for (; i + AEGIS_RATE <= ad_len; i += AEGIS_RATE) {
        AEGIS_FN(absorb)(s, ad + i);
    }
    if (i < ad_len) {
        uint8_t pad[AEGIS_RATE];
        memset(pad, 0, sizeof pad);
        memcpy(pad, ad + i, ad_len - i);
        AEGIS_FN(absorb)(s, pad);
    }
}

/* Encrypts msg_len bytes of m into c (c may equal m) and writes the tag. */
static void AEGIS_FN(encrypt)(uint8_t *c, uint8_t *tag, size_t tag_len, const uint8_t *m,
                              size_t msg_len, const uint8_t *ad, size_t ad_len,
                              const uint8_t *nonce, const uint8_t *key)
{
    blk s[AEGIS_SLOTS];
    AEGIS_FN(init)(s, key, nonce);
    AEGIS_FN(absorb_ad)(s, ad, ad_len);
    size_t i = 0;
    for (; i + 2 * AEGIS_RATE <= msg_len; i += 2 * AEGIS_RATE) {
        AEGIS_FN(enc)(s, c + i, m + i);
        AEGIS_FN(enc)(s, c + i + AEGIS_RATE, m + i + AEGIS_RATE);
    }
    for (; i + AEGIS_RATE <= msg_len; i += AEGIS_RATE) {
        AEGIS_FN(enc)(s, c + i, m + i);
    }
    if (i < msg_len) {
        uint8_t pad[AEGIS_RATE];
        memset(pad, 0, sizeof pad);
        memcpy(pad, m + i, msg_len - i);
        /* Encrypting the zero-padded block absorbs exactly the padded plaintext. */
        AEGIS_FN(enc)(s, pad, pad);
        memcpy(c + i, pad, msg_len - i);
        crypto_wipe(pad, sizeof pad);
    }
    AEGIS_FN(finalize)(s, tag, tag_len, ad_len, msg_len);
    crypto_wipe(s, sizeof s);
}

/* Verifies the tag and decrypts msg_len bytes of c into m (m may equal c).
 * Returns 0, or -1 with m wiped when the tag does not verify. */
static int AEGIS_FN(decrypt)(uint8_t *m, const uint8_t *c, size_t msg_len, const uint8_t *tag,
                             size_t tag_len, const uint8_t *ad, size_t ad_len, const uint8_t *nonce,
                             const uint8_t *key)
{
    blk s[AEGIS_SLOTS];
    AEGIS_FN(init)(s, key, nonce);
    AEGIS_FN(absorb_ad)(s, ad, ad_len);
    size_t i = 0;
    for (; i + 2 * AEGIS_RATE <= msg_len; i += 2 * AEGIS_RATE) {
        AEGIS_FN(dec)(s, m + i, c + i);
        AEGIS_FN(dec)(s, m + i + AEGIS_RATE, c + i + AEGIS_RATE);
    }
    for (; i + AEGIS_RATE <= msg_len; i += AEGIS_RATE) {
        AEGIS_FN(dec)(s, m + i, c + i);
    }
    if (i < msg_len) {
        const size_t len = msg_len - i;
        uint8_t pad[AEGIS_RATE];
        memset(pad, 0, sizeof pad);
        memcpy(pad, c + i, len);
        /* Keystream for the whole block, then keep only len bytes of
         * plaintext and absorb it zero-padded. */
        AEGIS_FN(keystream_xor)(s, pad);
        memset(pad + len, 0, AEGIS_RATE - len);
        memcpy(m + i, pad, len);
        AEGIS_FN(absorb)(s, pad);
        crypto_wipe(pad, sizeof pad);
    }
    uint8_t computed[32];
    AEGIS_FN(finalize)(s, computed, tag_len, ad_len, msg_len);
    crypto_wipe(s, sizeof s);
    const int ok = crypto_ct_equal(computed, tag, tag_len);
    crypto_wipe(computed, sizeof computed);
    if (!ok) {
        crypto_wipe(m, msg_len);
        return -1;
    }
    return 0;
}

#undef AEGIS_NB
#undef AEGIS_P0
#undef AEGIS_P4
#undef AEGIS_SLOTS
#undef AEGIS_RATE
#undef AEGIS_INIT_ROUNDS
#undef AEGIS_LANES_BYTES
#undef AEGIS_FN
#undef AEGIS_OP
#undef AEGIS_CAT
#undef AEGIS_CAT2
#undef blk
#undef blk_load
#undef blk_store
#undef blk_load_bcast
#undef blk_xor
#undef blk_and
#undef blk_aes_rounds
#undef AEGIS_NAME
#undef AEGIS_256
