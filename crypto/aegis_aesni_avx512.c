/*
 * aegis_aesni_avx512.c - the AES-NI back end built for CPUs with AVX-512VL.
 *
 * Identical source to aegis_aesni.c (included below); only the compiler
 * flags differ, so the two can never disagree on the algorithm. Reached only
 * after cpu_features() reports CPU_AVX512VL.
 */
#define AESNI_AVX512 1
#include "aegis_aesni.c"
