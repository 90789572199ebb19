/*
 * aes_soft.h - portable, constant-time AES encryption round, batched over many blocks.
 *
 * This is the AES primitive of the portable (no AES instructions) back end of the AEGIS
 * ciphers. It computes exactly what x86 AESENC computes, with no lookup table indexed by data,
 * no branch and no memory address that depends on the data or the round keys: the S-box is a
 * bitsliced Boolean circuit evaluated on four blocks at a time. Blocks are plain 16-byte
 * arrays (byte 0 of a block is byte 0 of the AES state, i.e. row 0 of column 0), so the result
 * does not depend on the host's byte order. The function reads exactly 16 * nblocks bytes from
 * `in` and from `rk` and writes exactly 16 * nblocks bytes to `out`.
 */
#ifndef SEALDB_AES_SOFT_H
#define SEALDB_AES_SOFT_H

#include <stddef.h>
#include <stdint.h>

/* out[i] = AESRound(in[i], rk[i]) for i in [0, nblocks), each a 16-byte block laid out
 * contiguously (block i at byte offset 16*i). AESRound = SubBytes, ShiftRows, MixColumns,
 * then XOR with the round key: exactly what x86 AESENC computes with byte 0 of the block in the
 * least significant byte of the register. `out` may alias `in` or `rk` (fully, same pointer). */
void aes_soft_round_n(uint8_t *out, const uint8_t *in, const uint8_t *rk, size_t nblocks);

#endif /* SEALDB_AES_SOFT_H */
