/*
 * bench_ciphers_main.c - the standalone program build/bench/bench_ciphers.
 *
 * It takes the same options as `sealdb bench ciphers` (see bench_ciphers.h)
 * and only hands them over.
 */
#include "bench_ciphers.h"

int main(int argc, char **argv)
{
    return bench_ciphers_main(argc, argv);
}
