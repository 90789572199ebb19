/*
 * bench_mvcc.h - concurrent writers of the native engine against SQLite in
 * WAL mode (bench/bench_mvcc.c), the `mvcc` suite of bench/run.
 */
#ifndef SEALDB_BENCH_MVCC_H
#define SEALDB_BENCH_MVCC_H

/* Runs the benchmark; argv[0] is the program name. Returns 0, 1 on a
 * failed run, 2 for a bad command line. */
int bench_mvcc_main(int argc, char **argv);

#endif
