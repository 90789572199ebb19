/*
 * bench_native.h - the native engine's benchmark (bench/bench_native.c),
 * the `native` suite of bench/run.
 */
#ifndef SEALDB_BENCH_NATIVE_H
#define SEALDB_BENCH_NATIVE_H

/* Runs the benchmark; argv[0] is the program name. Returns 0, 1 on a
 * failed run, 2 for a bad command line. */
int bench_native_main(int argc, char **argv);

#endif
