/*
 * bench_workloads.h - the workload benchmark (plain SQLite against sealdb
 * through its VFS), `sealdb bench workloads` and bench/bench_workloads;
 * workloads.h describes the workloads, options and output.
 */
#ifndef SEALDB_BENCH_WORKLOADS_MAIN_H
#define SEALDB_BENCH_WORKLOADS_MAIN_H

/* Runs the benchmark; argv[0] is the program or suite name. Returns 0, 1 on
 * a failed run, 2 for a bad command line. */
int bench_workloads_main(int argc, char **argv);

#endif
