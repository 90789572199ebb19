/*
 * bench_util.h - what the benchmark programs share: a monotonic clock, the
 * median of runs, removing a database and its side files, and a PRNG.
 * Header-only (static functions); each program keeps its own error path.
 */
#ifndef SEALDB_BENCH_UTIL_H
#define SEALDB_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The most runs a median is taken over. */
#define BENCH_MAX_RUNS 64

/* Seconds on the monotonic clock. */
static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int bench_compare_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of v[0..n) (1 <= n <= BENCH_MAX_RUNS), with its extremes. */
static inline double bench_median(const double *v, int n, double *min, double *max)
{
    double sorted[BENCH_MAX_RUNS];
    memcpy(sorted, v, sizeof(double) * (size_t)n);
    qsort(sorted, (size_t)n, sizeof(double), bench_compare_double);
    *min = sorted[0];
    *max = sorted[n - 1];
    return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/* Removes a database file and its -wal, -shm and -journal files. */
static inline void bench_remove_db(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[4096];
    for (int i = 0; i < 4; i++) {
        if (snprintf(p, sizeof p, "%s%s", path, suffix[i]) < (int)sizeof p) {
            unlink(p);
        }
    }
}

/* xorshift64 over *state (never 0). */
static inline uint64_t bench_xorshift(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

#endif /* SEALDB_BENCH_UTIL_H */
