/*
 * check.h - the tests' assertion macros and small helpers.
 *
 * A failed check prints file, line and the values involved, counts the
 * failure and lets the test go on, so one run shows every mismatch. A test
 * program ends with `return check_report();`, which exits non-zero after any
 * failure.
 */
#ifndef SEALDB_TEST_CHECK_H
#define SEALDB_TEST_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        check_count++;                                                                             \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#define CHECK_INT(actual, expected)                                                                \
    do {                                                                                           \
        const long long check_a_ = (long long)(actual), check_e_ = (long long)(expected);          \
        check_count++;                                                                             \
        if (check_a_ != check_e_) {                                                                \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (got %lld, expected %lld)\n", __FILE__, \
                    __LINE__, #actual, #expected, check_a_, check_e_);                             \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#define CHECK_STR(actual, expected)                                                                \
    do {                                                                                           \
        const char *check_a_ = (actual), *check_e_ = (expected);                                   \
        check_count++;                                                                             \
        if (!check_a_ || !check_e_ || strcmp(check_a_, check_e_) != 0) {                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n  got:      \"%s\"\n  expected: \"%s\"\n",   \
                    __FILE__, __LINE__, #actual, check_a_ ? check_a_ : "(null)",                   \
                    check_e_ ? check_e_ : "(null)");                                               \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

#define CHECK_MEM(actual, expected, len)                                                           \
    do {                                                                                           \
        check_count++;                                                                             \
        if (memcmp((actual), (expected), (len)) != 0) {                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%zu bytes differ)\n", __FILE__,        \
                    __LINE__, #actual, #expected, (size_t)(len));                                  \
            check_failures++;                                                                      \
        }                                                                                          \
    } while (0)

/* Context printed with the next failures (which vector, which back end). */
#define CHECK_CONTEXT(...)                                                                         \
    do {                                                                                           \
        if (check_failures) {                                                                      \
            fprintf(stderr, "  in: ");                                                             \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
        }                                                                                          \
    } while (0)

static inline int check_report(void)
{
    if (check_failures) {
        fprintf(stderr, "%d of %d checks failed\n", check_failures, check_count);
        return 1;
    }
    printf("%d checks passed\n", check_count);
    return 0;
}

static inline int check_all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= p[i];
    }
    return acc == 0;
}

/* A small, seeded, reproducible generator for test inputs (not for keys). */
typedef struct test_rng {
    uint64_t s;
} test_rng;

static inline uint64_t test_rng_next(test_rng *r)
{
    /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline void test_rng_fill(test_rng *r, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p[i] = (uint8_t)test_rng_next(r);
    }
}

static inline void *test_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    return p;
}

#endif /* SEALDB_TEST_CHECK_H */
