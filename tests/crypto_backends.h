/*
 * crypto_backends.h - every AEGIS implementation this machine can run, for
 * tests that must cover each back end (not just the one AUTO picks).
 */
#ifndef SEALDB_TEST_CRYPTO_BACKENDS_H
#define SEALDB_TEST_CRYPTO_BACKENDS_H

#include "crypto.h"

typedef struct test_impl {
    const char *name;
    const aegis_impl *impl;
} test_impl;

/* Fills out (capacity 5) with the implementations of an AEGIS cipher:
 * portable always, then AES-NI, AES-NI built for AVX-512VL, 256-bit VAES and
 * 512-bit VAES when the CPU
 * has them. Returns the count. */
static inline int test_aegis_impls(sealdb_cipher_id id, test_impl *out)
{
    int n = 0;
    const unsigned f = cpu_features();
    out[n++] = (test_impl){"portable", aegis_soft_impl(id)};
    if ((f & CPU_AESNI) && aegis_aesni_impl(id)) {
        out[n++] = (test_impl){"aesni", aegis_aesni_impl(id)};
    }
    if ((f & CPU_AVX512VL) && aegis_aesni512_impl(id)) {
        out[n++] = (test_impl){"aesni-avx512", aegis_aesni512_impl(id)};
    }
    if ((f & CPU_VAES256) && aegis_vaes_impl(id)) {
        out[n++] = (test_impl){"vaes256", aegis_vaes_impl(id)};
    }
    if ((f & CPU_VAES512) && aegis_vaes512_impl(id)) {
        out[n++] = (test_impl){"vaes512", aegis_vaes512_impl(id)};
    }
    return n;
}

/* Maps the vector files' algorithm names to cipher ids; 0 if unknown. */
static inline sealdb_cipher_id test_cipher_of_algorithm(const char *alg)
{
    static const struct {
        const char *alg;
        sealdb_cipher_id id;
    } map[] = {
        {"AEGIS-128L", SEALDB_AEGIS128L},   {"AEGIS-128X2", SEALDB_AEGIS128X2},
        {"AEGIS-128X4", SEALDB_AEGIS128X4}, {"AEGIS-256", SEALDB_AEGIS256},
        {"AEGIS-256X2", SEALDB_AEGIS256X2}, {"AEGIS-256X4", SEALDB_AEGIS256X4},
        {"AES-128-GCM", SEALDB_AES128GCM},  {"AES-256-GCM", SEALDB_AES256GCM},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(alg, map[i].alg) == 0) {
            return map[i].id;
        }
    }
    return (sealdb_cipher_id)0;
}

#endif
