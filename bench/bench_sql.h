/*
 * bench_sql.h - SQL throughput of sealed databases against plain SQLite,
 * `sealdb bench sql` (see bench_sql.c for workloads, settings and output).
 */
#ifndef SEALDB_BENCH_SQL_H
#define SEALDB_BENCH_SQL_H

/* Runs the benchmark; argv[0] is the suite name. Returns 0, 1 on a failed
 * run, 2 for a bad command line. */
int bench_sql_main(int argc, char **argv);

#endif
