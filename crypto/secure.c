/*
 * secure.c - wiping, constant-time comparison, hex keys, locked memory.
 *
 * Everything here touches secrets, so nothing branches on or indexes memory
 * by secret bytes: hex digits are decoded with arithmetic masks, tags are
 * compared by accumulating differences. Only after a decode has failed does
 * the code look for the position of the first bad character, which reveals
 * where a malformed key is malformed and nothing about a valid one.
 */
#include <ctype.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "crypto.h"

void crypto_wipe(void *p, size_t n)
{
    if (n) {
        sodium_memzero(p, n);
    }
}

int crypto_ct_equal(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++) {
        d |= (uint8_t)(x[i] ^ y[i]);
    }
    /* 1 when d == 0, computed without a branch on d. */
    return (int)(1 & (((unsigned)d - 1) >> 8));
}

/* Value of a hex digit in the low 4 bits; bit 8 set when c is a hex digit. */
static unsigned hex_digit(unsigned char ch)
{
    const unsigned c = ch;
    const unsigned num = c ^ 48u;
    const unsigned num_ok = ((num - 10u) >> 8) & 0xffu;
    const unsigned alpha = (c & ~32u) - 55u;
    const unsigned alpha_ok = (((alpha - 10u) ^ (alpha - 16u)) >> 8) & 0xffu;
    const unsigned value = ((num_ok & num) | (alpha_ok & alpha)) & 0xfu;
    const unsigned ok = ((num_ok | alpha_ok) & 1u) << 8;
    return value | ok;
}

int crypto_hex_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *hex,
                      size_t *bad_pos)
{
    size_t start = 0, end = strlen(hex);
    while (start < end && isspace((unsigned char)hex[start])) {
        start++;
    }
    while (end > start && isspace((unsigned char)hex[end - 1])) {
        end--;
    }
    const size_t digits = end - start;
    unsigned all_ok = 1;
    for (size_t i = 0; i + 1 < digits; i += 2) {
        const unsigned hi = hex_digit((unsigned char)hex[start + i]);
        const unsigned lo = hex_digit((unsigned char)hex[start + i + 1]);
        all_ok &= (hi >> 8) & (lo >> 8);
        if (i / 2 < out_cap) {
            out[i / 2] = (uint8_t)(((hi & 0xfu) << 4) | (lo & 0xfu));
        }
    }
    if (digits & 1) {
        all_ok &= hex_digit((unsigned char)hex[end - 1]) >> 8;
    }
    *out_len = digits / 2;
    if (!all_ok) {
        for (size_t i = 0; i < digits; i++) {
            if (!(hex_digit((unsigned char)hex[start + i]) >> 8)) {
                *bad_pos = i;
                break;
            }
        }
        crypto_wipe(out, out_cap);
        return SEALDB_EHEX;
    }
    if (digits & 1) {
        *bad_pos = SIZE_MAX;
        crypto_wipe(out, out_cap);
        return SEALDB_EHEX;
    }
    return SEALDB_OK;
}

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_result;

static void run_init(void)
{
    init_result = sodium_init() < 0 ? -1 : 0;
}

int crypto_init(void)
{
    pthread_once(&init_once, run_init);
    return init_result;
}

void *crypto_secure_alloc(size_t n)
{
    if (crypto_init() != 0) {
        return NULL;
    }
    return sodium_malloc(n);
}

void crypto_secure_free(void *p)
{
    sodium_free(p); /* wipes before unmapping; NULL is a no-op */
}

int sealdb_random_bytes(void *buf, size_t len)
{
    if (!buf && len) {
        return SEALDB_EINVAL;
    }
    if (crypto_init() != 0) {
        return SEALDB_ECRYPTO;
    }
    if (len) { /* randombytes_buf's buffer is declared non-NULL */
        randombytes_buf(buf, len);
    }
    return SEALDB_OK;
}
