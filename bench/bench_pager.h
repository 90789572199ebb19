/*
 * bench_pager.h - the native pager's benchmark (bench/bench_pager.c), the
 * `pager` suite of bench/run.
 */
#ifndef SEALDB_BENCH_PAGER_H
#define SEALDB_BENCH_PAGER_H

/* Runs the benchmark; argv[0] is the program name. Returns 0, 1 on a
 * failed run, 2 for a bad command line. */
int bench_pager_main(int argc, char **argv);

#endif
