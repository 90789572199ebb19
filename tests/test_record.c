/*
 * test_record.c - the record layer (engine/record.c): varints, serial
 * types, decoding, encoding and the order of values and records.
 *
 * - Varints at every length boundary and serial types of every kind, with
 *   their exact byte images; every malformed shape the reader must refuse.
 * - SQLite as the oracle: it writes thousands of rows of random values
 *   (integers of every size, doubles from -0.0 to infinities, texts with
 *   NUL bytes and UTF-8, blobs, NULLs; a table of REAL columns; a table of
 *   120 columns; two indexes with NOCASE, RTRIM and DESC columns) into a
 *   plain database. The B-tree reader hands back each payload; it must be
 *   byte for byte what record_encode makes of the same values, and decode
 *   to them. Each index must be in strictly increasing record_compare
 *   order, and prefix matches must count what SQLite's WHERE counts.
 * - Thousands of pairs of values, many of them near each other (an integer
 *   and the double next to it, -0.0 and 0, case and trailing-space
 *   variants), compared by record_compare_values and by SQLite's ORDER BY,
 *   < and = under BINARY, NOCASE and RTRIM.
 *
 * `test_record bench` prints the time of a decode and a comparison.
 */
#include <float.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "btree.h"
#include "check.h"
#include "record.h"

/* Says which case the failures since `before` came from. */
#define CONTEXT_IF_FAILED(before, ...)                                                             \
    do {                                                                                           \
        if (check_failures != (before)) {                                                          \
            fprintf(stderr, "  in: ");                                                             \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
        }                                                                                          \
    } while (0)

static char dir[256];
static test_rng rng = {0x7265636f7264ull};

static uint64_t rnd(void)
{
    return test_rng_next(&rng);
}

/* ---- values and byte images ----------------------------------------------------------------- */

static record_value v_null(void)
{
    return (record_value){.type = RECORD_NULL};
}

static record_value v_int(int64_t i)
{
    return (record_value){.type = RECORD_INTEGER, .i = i};
}

static record_value v_real(double r)
{
    return (record_value){.type = RECORD_REAL, .r = r};
}

static record_value v_text(const void *p, uint32_t n)
{
    return (record_value){.type = RECORD_TEXT, .n = n, .p = p};
}

static record_value v_blob(const void *p, uint32_t n)
{
    return (record_value){.type = RECORD_BLOB, .n = n, .p = p};
}

/* Same type and value; doubles bit for bit (-0.0 is not 0.0). */
static int same_value(const record_value *a, const record_value *b)
{
    if (a->type != b->type) {
        return 0;
    }
    switch (a->type) {
    case RECORD_NULL: return 1;
    case RECORD_INTEGER: return a->i == b->i;
    case RECORD_REAL: return memcmp(&a->r, &b->r, sizeof a->r) == 0;
    default: return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
    }
}

/* "02 01 ff" -> bytes; returns the count. */
static uint32_t unhex(const char *s, uint8_t *out)
{
    uint32_t n = 0;
    while (*s) {
        if (*s == ' ') {
            s++;
            continue;
        }
        unsigned b;
        if (sscanf(s, "%2x", &b) != 1) {
            break;
        }
        out[n++] = (uint8_t)b;
        s += 2;
    }
    return n;
}

/* ---- varints ------------------------------------------------------------------------------- */

static void test_varints(void)
{
    static const struct {
        uint64_t v;
        const char *bytes;
    } cases[] = {
        {0, "00"},
        {1, "01"},
        {0x7f, "7f"},
        {0x80, "81 00"},
        {240, "81 70"},
        {2287, "91 6f"},
        {0x3fff, "ff 7f"},
        {0x4000, "81 80 00"},
        {(1ull << 21) - 1, "ff ff 7f"},
        {1ull << 21, "81 80 80 00"},
        {(1ull << 28) - 1, "ff ff ff 7f"},
        {1ull << 28, "81 80 80 80 00"},
        {(1ull << 35) - 1, "ff ff ff ff 7f"},
        {1ull << 35, "81 80 80 80 80 00"},
        {(1ull << 42) - 1, "ff ff ff ff ff 7f"},
        {1ull << 42, "81 80 80 80 80 80 00"},
        {(1ull << 49) - 1, "ff ff ff ff ff ff 7f"},
        {1ull << 49, "81 80 80 80 80 80 80 00"},
        {(1ull << 56) - 1, "ff ff ff ff ff ff ff 7f"},
        {1ull << 56, "80 c0 80 80 80 80 80 80 00"},
        {(1ull << 56) + 0xab, "80 c0 80 80 80 80 80 80 ab"},
        {1ull << 63, "c0 80 80 80 80 80 80 80 00"},
        {UINT64_MAX, "ff ff ff ff ff ff ff ff ff"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const int before = check_failures;
        uint8_t want[16], buf[16];
        const uint32_t n = unhex(cases[c].bytes, want);
        memset(buf, 0xee, sizeof buf);
        CHECK_INT(varint_put(buf, cases[c].v), n);
        CHECK_MEM(buf, want, n);
        CHECK_INT(buf[n], 0xee); /* nothing written past it */
        CHECK_INT(varint_len(cases[c].v), n);
        uint64_t v = 0;
        CHECK_INT(varint_get(want, want + n, &v), n);
        CHECK(v == cases[c].v);
        want[n] = 0x81; /* more bytes after it change nothing */
        CHECK_INT(varint_get(want, want + n + 1, &v), n);
        CHECK(v == cases[c].v);
        for (uint32_t cut = 0; cut < n; cut++) {
            CHECK_INT(varint_get(want, want + cut, &v), 0);
        }
        CONTEXT_IF_FAILED(before, "varint %llu", (unsigned long long)cases[c].v);
    }
    /* longer forms than needed read as SQLite reads them */
    uint8_t b[16];
    uint64_t v = 99;
    uint32_t n = unhex("80 00", b);
    CHECK_INT(varint_get(b, b + n, &v), 2);
    CHECK(v == 0);
    n = unhex("80 80 80 80 80 80 80 80 01", b);
    CHECK_INT(varint_get(b, b + n, &v), 9);
    CHECK(v == 1);
    n = unhex("ff ff ff ff ff ff ff ff", b); /* 8 bytes, all continuing: needs a 9th */
    CHECK_INT(varint_get(b, b + n, &v), 0);

    /* random values of every width round trip in their shortest form */
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        const uint64_t x = rnd() >> (rnd() % 64);
        uint8_t buf[VARINT_MAX];
        const int len = varint_put(buf, x);
        uint64_t y = 0;
        const int shortest = len == 1 || (len == 9 ? x >> 56 != 0 : x >> (7 * (len - 1)) != 0);
        bad += len != varint_len(x) || varint_get(buf, buf + len, &y) != len || y != x ||
               !shortest || (len < 9 && x >> (7 * len) != 0);
    }
    CHECK_INT(bad, 0);
}

/* ---- serial types and byte images ------------------------------------------------------------ */

/* Encodes vals (flags per column or NULL), checks the bytes and size, and
 * decodes them back. */
static void check_image(const record_value *vals, uint32_t n, const uint8_t *flags, const char *hex,
                        const record_value *decoded)
{
    const int before = check_failures;
    uint8_t want[1024], got[1024];
    const uint32_t want_len = unhex(hex, want);
    uint32_t size = 0, written = 0;
    CHECK_INT(record_size(vals, n, flags, &size), SEALDB_OK);
    CHECK_INT(size, want_len);
    CHECK_INT(record_encode(vals, n, flags, got, sizeof got, &written), SEALDB_OK);
    CHECK_INT(written, want_len);
    CHECK_MEM(got, want, want_len);
    record_reader r;
    CHECK_INT(record_reader_init(&r, want, want_len), SEALDB_OK);
    uint32_t ncol = 0;
    CHECK_INT(record_reader_count(&r, &ncol), SEALDB_OK);
    CHECK_INT(ncol, n);
    for (uint32_t i = 0; i <= n; i++) {
        record_value v;
        CHECK_INT(record_column(&r, i, &v), SEALDB_OK);
        const record_value want_v = i == n ? v_null() : decoded ? decoded[i] : vals[i];
        CHECK(same_value(&v, &want_v));
    }
    CONTEXT_IF_FAILED(before, "record %s", hex);
}

static void check_one(record_value v, const char *hex)
{
    check_image(&v, 1, NULL, hex, NULL);
}

static void test_serial_types(void)
{
    check_one(v_null(), "02 00");
    check_one(v_int(0), "02 08");
    check_one(v_int(1), "02 09");
    check_one(v_int(2), "02 01 02");
    check_one(v_int(-1), "02 01 ff");
    check_one(v_int(127), "02 01 7f");
    check_one(v_int(-128), "02 01 80");
    check_one(v_int(128), "02 02 00 80");
    check_one(v_int(-129), "02 02 ff 7f");
    check_one(v_int(32767), "02 02 7f ff");
    check_one(v_int(-32768), "02 02 80 00");
    check_one(v_int(32768), "02 03 00 80 00");
    check_one(v_int(8388607), "02 03 7f ff ff");
    check_one(v_int(-8388608), "02 03 80 00 00");
    check_one(v_int(-8388609), "02 04 ff 7f ff ff");
    check_one(v_int(8388608), "02 04 00 80 00 00");
    check_one(v_int(2147483647), "02 04 7f ff ff ff");
    check_one(v_int(-2147483647 - 1), "02 04 80 00 00 00");
    check_one(v_int(2147483648), "02 05 00 00 80 00 00 00");
    check_one(v_int(140737488355327), "02 05 7f ff ff ff ff ff");
    check_one(v_int(-140737488355328), "02 05 80 00 00 00 00 00");
    check_one(v_int(140737488355328), "02 06 00 00 80 00 00 00 00 00");
    check_one(v_int(-140737488355329), "02 06 ff ff 7f ff ff ff ff ff");
    check_one(v_int(INT64_MAX), "02 06 7f ff ff ff ff ff ff ff");
    check_one(v_int(INT64_MIN), "02 06 80 00 00 00 00 00 00 00");
    check_one(v_int(0x0102030405060708), "02 06 01 02 03 04 05 06 07 08");
    check_one(v_real(1.5), "02 07 3f f8 00 00 00 00 00 00");
    check_one(v_real(1.0), "02 07 3f f0 00 00 00 00 00 00");
    check_one(v_real(-0.0), "02 07 80 00 00 00 00 00 00 00");
    check_one(v_real(0.0), "02 07 00 00 00 00 00 00 00 00");
    check_one(v_real(INFINITY), "02 07 7f f0 00 00 00 00 00 00");
    check_one(v_real(-INFINITY), "02 07 ff f0 00 00 00 00 00 00");
    check_one(v_real(5e-324), "02 07 00 00 00 00 00 00 00 01");
    check_one(v_text("", 0), "02 0d");
    check_one(v_text("abc", 3), "02 13 61 62 63");
    check_one(v_text("a\0b", 3), "02 13 61 00 62");
    check_one(v_text("\xc3\xa9", 2), "02 11 c3 a9");
    check_one(v_blob("", 0), "02 0c");
    check_one(v_blob("\x00\xff", 2), "02 10 00 ff");

    /* a NaN is stored as NULL, as SQLite binds it */
    const record_value nan_v = v_real(NAN), null_v = v_null();
    check_image(&nan_v, 1, NULL, "02 00", &null_v);

    /* several columns, header first */
    const record_value row[] = {v_null(),
                                v_int(1),
                                v_int(0),
                                v_int(-1),
                                v_real(1.5),
                                v_text("abc", 3),
                                v_blob("\x00\xff", 2)};
    check_image(row, 7, NULL, "08 00 09 08 01 07 13 10 ff 3f f8 00 00 00 00 00 00 61 62 63 00 ff",
                NULL);
    check_image(row, 0, NULL, "01", NULL);

    /* text lengths where the serial type needs a second byte */
    char x58[59], hex[400];
    memset(x58, 'x', sizeof x58);
    const record_value t57 = v_text(x58, 57), t58 = v_text(x58, 58);
    int at = snprintf(hex, sizeof hex, "02 7f");
    for (int i = 0; i < 57; i++) {
        at += snprintf(hex + at, sizeof hex - (size_t)at, " 78");
    }
    check_image(&t57, 1, NULL, hex, NULL);
    at = snprintf(hex, sizeof hex, "03 81 01");
    for (int i = 0; i < 58; i++) {
        at += snprintf(hex + at, sizeof hex - (size_t)at, " 78");
    }
    check_image(&t58, 1, NULL, hex, NULL);

    /* headers of 127 and 129 bytes: the header size's own varint grows */
    record_value nulls[127];
    for (int i = 0; i < 127; i++) {
        nulls[i] = v_null();
    }
    char h126[400], h127[400];
    at = snprintf(h126, sizeof h126, "7f");
    for (int i = 0; i < 126; i++) {
        at += snprintf(h126 + at, sizeof h126 - (size_t)at, "00");
    }
    check_image(nulls, 126, NULL, h126, NULL);
    at = snprintf(h127, sizeof h127, "81 01");
    for (int i = 0; i < 127; i++) {
        at += snprintf(h127 + at, sizeof h127 - (size_t)at, "00");
    }
    check_image(nulls, 127, NULL, h127, NULL);

    /* RECORD_REAL_AS_INT: SQLite's storage in a REAL column (bytes taken
     * from SQLite 3.40's files); the reader gives integers back */
    const uint8_t f = RECORD_REAL_AS_INT;
    const struct {
        record_value v;
        const char *hex;
        record_value back;
    } real_cases[] = {
        {v_real(0.0), "02 08", v_int(0)},
        {v_real(-0.0), "02 08", v_int(0)},
        {v_real(1.0), "02 09", v_int(1)},
        {v_real(-3.0), "02 01 fd", v_int(-3)},
        {v_real(123456789.0), "02 04 07 5b cd 15", v_int(123456789)},
        {v_real(140737488355327.0), "02 05 7f ff ff ff ff ff", v_int(140737488355327)},
        {v_real(-140737488355328.0), "02 05 80 00 00 00 00 00", v_int(-140737488355328)},
        {v_real(140737488355328.0), "02 07 42 e0 00 00 00 00 00 00", v_real(140737488355328.0)},
        {v_real(-140737488355329.0), "02 07 c2 e0 00 00 00 00 00 20", v_real(-140737488355329.0)},
        {v_real(1.5), "02 07 3f f8 00 00 00 00 00 00", v_real(1.5)},
        {v_real(1e300), "02 07 7e 37 e4 3c 88 00 75 9c", v_real(1e300)},
        {v_real(INFINITY), "02 07 7f f0 00 00 00 00 00 00", v_real(INFINITY)},
        {v_int(7), "02 01 07", v_int(7)},
        {v_int(140737488355327), "02 05 7f ff ff ff ff ff", v_int(140737488355327)},
        {v_int(140737488355328), "02 07 42 e0 00 00 00 00 00 00", v_real(140737488355328.0)},
        {v_int(-140737488355329), "02 07 c2 e0 00 00 00 00 00 20", v_real(-140737488355329.0)},
        {v_int(INT64_MAX), "02 07 43 e0 00 00 00 00 00 00", v_real(9223372036854775808.0)},
        {v_int(INT64_MIN), "02 07 c3 e0 00 00 00 00 00 00", v_real(-9223372036854775808.0)},
        {v_text("1", 1), "02 0f 31", v_text("1", 1)},
    };
    for (size_t i = 0; i < sizeof real_cases / sizeof real_cases[0]; i++) {
        check_image(&real_cases[i].v, 1, &f, real_cases[i].hex, &real_cases[i].back);
    }
    /* flags are per column */
    const record_value two[] = {v_real(2.0), v_real(2.0)};
    const uint8_t flags2[] = {0, RECORD_REAL_AS_INT};
    const record_value two_back[] = {v_real(2.0), v_int(2)};
    check_image(two, 2, flags2, "03 07 01 40 00 00 00 00 00 00 00 02", two_back);
}

/* ---- malformed records ----------------------------------------------------------------------- */

static void test_malformed(void)
{
    enum { OK = SEALDB_OK, BAD = SEALDB_ECORRUPT, NONE = -1 };
    /* col0, col1: record_column 0 then 1 (NONE: not asked); count: the
     * count from that reader and from a fresh one; cmp: record_compare
     * with the key (5, 5), which checks only the fields it reads (not the
     * record's exact end). A column is checked with every serial type
     * before it; once a read reaches the end of the header the bodies
     * must end at the record's end, so a short header fails there. */
    static const struct {
        const char *hex;
        int init, col0, col1, count, cmp;
    } cases[] = {
        {"", BAD, NONE, NONE, NONE, BAD},                              /* empty */
        {"00", BAD, NONE, NONE, NONE, BAD},                            /* header < its own varint */
        {"81 00", BAD, NONE, NONE, NONE, BAD},                         /* idem, two bytes */
        {"05 00", BAD, NONE, NONE, NONE, BAD},                         /* header past the record */
        {"81", BAD, NONE, NONE, NONE, BAD},                            /* header size varint cut */
        {"ff ff ff ff ff ff ff ff ff 00", BAD, NONE, NONE, NONE, BAD}, /* huge header size */
        {"82 00 00", BAD, NONE, NONE, NONE, BAD},    /* header of 256 in 3 bytes */
        {"01 00", BAD, NONE, NONE, NONE, OK},        /* no columns, a byte after */
        {"01", OK, OK, OK, OK, OK},                  /* no columns */
        {"02 81 01", OK, BAD, NONE, BAD, BAD},       /* type varint past the header */
        {"02 0a", OK, BAD, NONE, BAD, BAD},          /* reserved */
        {"02 0b", OK, BAD, NONE, BAD, BAD},          /* reserved */
        {"02 01", OK, BAD, NONE, BAD, BAD},          /* body past the end */
        {"02 13 61 62", OK, BAD, NONE, BAD, BAD},    /* text past the end */
        {"02 01 05 ff", OK, BAD, BAD, BAD, OK},      /* a byte after the bodies */
        {"03 01 0a 05", OK, OK, BAD, BAD, BAD},      /* column 1 reserved */
        {"03 01 06 05 00", OK, OK, BAD, BAD, BAD},   /* column 1's body cut */
        {"03 01 01 05 06 ff", OK, OK, BAD, BAD, OK}, /* a byte after, found at 1 */
        {"02 ff ff ff ff ff ff ff ff ff", OK, BAD, NONE, BAD, BAD}, /* type varint cut */
        {"0a ff ff ff ff ff ff ff ff ff", OK, BAD, NONE, BAD, BAD}, /* text of 2^63 bytes */
        {"0a ff ff ff ff ff ff ff ff fe", OK, BAD, NONE, BAD, BAD}, /* blob of 2^63 - 7 */
        {"02 01 05", OK, OK, OK, OK, OK},                           /* column 1 missing: NULL */
        {"03 01 01 05 05", OK, OK, OK, OK, OK},                     /* both fields equal */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const int before = check_failures;
        uint8_t buf[64];
        const uint32_t n = unhex(cases[c].hex, buf);
        record_reader r;
        CHECK_INT(record_reader_init(&r, n ? buf : NULL, n), cases[c].init);
        if (cases[c].init == OK) {
            record_value v;
            CHECK_INT(record_column(&r, 0, &v), cases[c].col0);
            if (cases[c].col1 != NONE) {
                CHECK_INT(record_column(&r, 1, &v), cases[c].col1);
            }
            uint32_t ncol;
            CHECK_INT(record_reader_count(&r, &ncol), cases[c].count);
            record_reader r2;
            record_reader_init(&r2, buf, n);
            CHECK_INT(record_reader_count(&r2, &ncol), cases[c].count);
        }
        /* record_decode of one and two columns sees what the reader sees */
        record_value out[2];
        uint32_t have = 0;
        const int want1 = cases[c].init == BAD ? BAD : cases[c].col0;
        const int want2 = want1 == BAD ? BAD : cases[c].col1;
        CHECK_INT(record_decode(n ? buf : NULL, n, out, 1, &have), want1);
        CHECK_INT(record_decode(n ? buf : NULL, n, out, 2, &have), want2);
        const record_value key[2] = {v_int(5), v_int(5)};
        int res = 7;
        CHECK_INT(record_compare(n ? buf : NULL, n, key, 2, NULL, NULL, 0, &res), cases[c].cmp);
        CHECK_INT(record_compare_records(n ? buf : NULL, n, n ? buf : NULL, n, 2, NULL, NULL, &res),
                  cases[c].cmp);
        CONTEXT_IF_FAILED(before, "malformed record %s", cases[c].hex);
    }
    /* past the cache: reading the last column checks the record's end too
     * (the fill of the cache always did; the walk past it did not) */
    for (uint32_t cols = RECORD_CACHE_COLS - 1; cols <= RECORD_CACHE_COLS + 3; cols++) {
        uint8_t rec[128];
        rec[0] = (uint8_t)(cols + 1);
        memset(rec + 1, 1, cols); /* one-byte integers */
        memset(rec + 1 + cols, 7, cols);
        rec[1 + 2 * cols] = 0xee; /* one byte too many */
        record_reader r;
        record_value v;
        CHECK_INT(record_reader_init(&r, rec, 2 + 2 * cols), SEALDB_OK);
        CHECK_INT(record_column(&r, cols - 1, &v), SEALDB_ECORRUPT);
        CHECK_INT(record_reader_init(&r, rec, 2 + 2 * cols), SEALDB_OK);
        CHECK_INT(record_column(&r, cols - 2, &v), SEALDB_OK);
        CHECK_INT(v.i, 7);
        CHECK_INT(record_column(&r, cols - 1, &v), SEALDB_ECORRUPT);
        CHECK_INT(record_reader_init(&r, rec, 1 + 2 * cols), SEALDB_OK); /* without it */
        CHECK_INT(record_column(&r, cols - 1, &v), SEALDB_OK);
        CHECK_INT(v.i, 7);
        CHECK_INT(record_column(&r, cols, &v), SEALDB_OK);
        CHECK_INT(v.type, RECORD_NULL);
    }

    uint8_t b[16];
    uint32_t n = unhex("02 01 05", b);
    record_reader r;
    record_value v;
    CHECK_INT(record_reader_init(&r, b, n), SEALDB_OK);
    CHECK_INT(record_column(&r, 7, &v), SEALDB_OK);
    CHECK_INT(v.type, RECORD_NULL);
    CHECK_INT(record_column(&r, 0, &v), SEALDB_OK);
    CHECK_INT(v.type, RECORD_INTEGER);
    CHECK_INT(v.i, 5);
    /* a NaN read from a file is NULL, as in SQLite */
    n = unhex("02 07 7f f8 00 00 00 00 00 01", b);
    CHECK_INT(record_reader_init(&r, b, n), SEALDB_OK);
    CHECK_INT(record_column(&r, 0, &v), SEALDB_OK);
    CHECK_INT(v.type, RECORD_NULL);

    /* encoder errors */
    uint8_t out[64];
    uint32_t size = 0;
    const record_value bad_text = {.type = RECORD_TEXT, .n = 3, .p = NULL};
    const record_value bad_type = {.type = 9};
    CHECK_INT(record_size(&bad_text, 1, NULL, &size), SEALDB_EINVAL);
    CHECK_INT(record_size(&bad_type, 1, NULL, &size), SEALDB_EINVAL);
    const record_value abc = v_text("abc", 3);
    CHECK_INT(record_encode(&abc, 1, NULL, out, 4, &size), SEALDB_EINVAL); /* needs 5 */
    CHECK_INT(record_encode(&abc, 1, NULL, out, 5, &size), SEALDB_OK);
    CHECK_INT(size, 5);
    const record_value huge[2] = {v_blob(out, 0x80000000u), v_blob(out, 0x80000000u)};
    CHECK_INT(record_size(huge, 2, NULL, &size), SEALDB_ETOOBIG);
    CHECK_INT(record_size(huge, 1, NULL, &size), SEALDB_OK);
    CHECK_INT(size, 0x80000000u + 6);
}

/* ---- random records: round trips, truncations, wide headers -------------------------------- */

static const char *const text_tokens[] = {"a",
                                          "A",
                                          "b",
                                          "B",
                                          "z",
                                          "Z",
                                          " ",
                                          "  ",
                                          "_",
                                          "[",
                                          "`",
                                          "{",
                                          "0",
                                          "~",
                                          "\x7f",
                                          "\xc3\xa9" /* é */,
                                          "\xc3\x89" /* É */,
                                          "\xc3\x9f" /* ß */,
                                          "\xe2\x82\xac" /* € */,
                                          "\xf0\x9f\x98\x80",
                                          "ab",
                                          "Ab"};
#define N_TOKENS (sizeof text_tokens / sizeof text_tokens[0])

static const int64_t int_edges[] = {0,
                                    1,
                                    -1,
                                    2,
                                    127,
                                    128,
                                    -128,
                                    -129,
                                    255,
                                    256,
                                    32767,
                                    32768,
                                    -32768,
                                    -32769,
                                    8388607,
                                    8388608,
                                    -8388608,
                                    -8388609,
                                    2147483647,
                                    2147483648,
                                    -2147483647 - 1,
                                    -2147483649,
                                    140737488355327,
                                    140737488355328,
                                    -140737488355328,
                                    -140737488355329,
                                    9007199254740992,
                                    9007199254740993,
                                    -9007199254740993,
                                    9223372036854774784,
                                    9223372036854775806,
                                    INT64_MAX,
                                    INT64_MIN,
                                    INT64_MIN + 1,
                                    4611686018427387904};
#define N_INT_EDGES (sizeof int_edges / sizeof int_edges[0])

static const double real_edges[] = {0.0,
                                    -0.0,
                                    1.0,
                                    -1.0,
                                    0.5,
                                    1.5,
                                    -1.5,
                                    INFINITY,
                                    -INFINITY,
                                    DBL_MAX,
                                    -DBL_MAX,
                                    DBL_MIN,
                                    5e-324,
                                    1e300,
                                    -1e300,
                                    9007199254740992.0,
                                    9007199254740994.0,
                                    9223372036854775808.0,
                                    -9223372036854775808.0,
                                    9223372036854774784.0,
                                    18446744073709551616.0,
                                    140737488355327.0,
                                    140737488355328.0,
                                    -140737488355328.0,
                                    -140737488355329.0,
                                    0.1,
                                    2147483648.5};
#define N_REAL_EDGES (sizeof real_edges / sizeof real_edges[0])

static int64_t gen_int(void)
{
    switch (rnd() % 4) {
    case 0: return int_edges[rnd() % N_INT_EDGES];
    case 1: return (int64_t)(rnd() % 600) - 300;
    default: {
        const uint64_t x = rnd() >> (rnd() % 64);
        return rnd() & 1 ? (int64_t)x : (int64_t)~x;
    }
    }
}

static double gen_real(void)
{
    double r;
    switch (rnd() % 6) {
    case 0: return real_edges[rnd() % N_REAL_EDGES];
    case 1: return (double)gen_int(); /* whole numbers, some beyond 2^53 */
    case 2: return (double)((int64_t)(rnd() % 2000001) - 1000000) / 8.0;
    case 3: return ldexp((double)(rnd() >> 11), (int)(rnd() % 160) - 100) * (rnd() & 1 ? 1 : -1);
    case 4: {
        const double base = real_edges[rnd() % N_REAL_EDGES];
        return isinf(base) ? base : nextafter(base, rnd() & 1 ? INFINITY : -INFINITY);
    }
    default: {
        uint64_t bits = rnd();
        memcpy(&r, &bits, sizeof r);
        return isnan(r) ? 2.5 : r;
    }
    }
}

/* Bytes for a TEXT or BLOB (malloc'd; the caller frees v->p). */
static record_value gen_bytes(int text, uint32_t max_tokens)
{
    uint32_t cap = 64, n = 0;
    uint8_t *p = test_xmalloc(cap);
    if (rnd() % 60 == 0) { /* long: several pages, overflow chains */
        const uint32_t len = 1000 + (uint32_t)(rnd() % 9000);
        p = realloc(p, len);
        for (uint32_t i = 0; i < len; i++) {
            p[i] = text ? (uint8_t)('a' + rnd() % 26) : (uint8_t)rnd();
        }
        n = len;
    } else if (text) {
        const uint32_t tokens = (uint32_t)(rnd() % (max_tokens + 1));
        for (uint32_t t = 0; t < tokens; t++) {
            const char *tok = rnd() % 12 == 0 ? "\0" : text_tokens[rnd() % N_TOKENS];
            const uint32_t tl = *tok ? (uint32_t)strlen(tok) : 1;
            if (n + tl > cap) {
                cap = 2 * (n + tl);
                p = realloc(p, cap);
            }
            memcpy(p + n, tok, tl);
            n += tl;
        }
    } else {
        static const uint8_t alphabet[] = {0x00, 0x01, 0x41, 0x61, 0x7f, 0x80, 0xff};
        n = (uint32_t)(rnd() % 25);
        const int small = rnd() & 1;
        for (uint32_t i = 0; i < n; i++) {
            p[i] = small ? alphabet[rnd() % sizeof alphabet] : (uint8_t)rnd();
        }
    }
    return text ? v_text(p, n) : v_blob(p, n);
}

static record_value gen_value(void)
{
    const unsigned k = (unsigned)(rnd() % 20);
    if (k < 2) {
        return v_null();
    }
    if (k < 8) {
        return v_int(gen_int());
    }
    if (k < 13) {
        return v_real(gen_real());
    }
    if (k < 17) {
        return gen_bytes(1, 10);
    }
    return gen_bytes(0, 0);
}

static record_value copy_value(const record_value *v)
{
    record_value c = *v;
    if (v->type == RECORD_TEXT || v->type == RECORD_BLOB) {
        uint8_t *p = test_xmalloc(v->n);
        if (v->n) {
            memcpy(p, v->p, v->n);
        }
        c.p = p;
    }
    return c;
}

static void free_value(record_value *v)
{
    if (v->type == RECORD_TEXT || v->type == RECORD_BLOB) {
        free((void *)v->p);
    }
    *v = v_null();
}

/* A value near v: the same number as the other numeric type or a step
 * away, a case or trailing-space variant, a prefix or extension. */
static record_value gen_near(const record_value *v)
{
    switch (v->type) {
    case RECORD_INTEGER:
        switch (rnd() % 4) {
        case 0: return v_real((double)v->i);
        case 1: return v_real(nextafter((double)v->i, rnd() & 1 ? INFINITY : -INFINITY));
        case 2: return v_int(v->i + (v->i < INT64_MAX ? 1 : -1));
        default: return v_int(v->i);
        }
    case RECORD_REAL:
        switch (rnd() % 4) {
        case 0:
            if (v->r >= -9223372036854775808.0 && v->r < 9223372036854775808.0) {
                return v_int((int64_t)v->r);
            }
            return v_int(v->r > 0 ? INT64_MAX : INT64_MIN);
        case 1: return v_real(-v->r);
        case 2: return v_real(nextafter(v->r, rnd() & 1 ? INFINITY : -INFINITY));
        default: return v_real(v->r == 0 ? -v->r : v->r);
        }
    case RECORD_TEXT:
    case RECORD_BLOB: {
        record_value c = copy_value(v);
        uint8_t *p = realloc((void *)c.p, c.n + 4);
        c.p = p;
        const unsigned how = (unsigned)(rnd() % 5);
        if (how == 0 && c.n) { /* flip the case of one byte */
            const uint32_t at = (uint32_t)(rnd() % c.n);
            p[at] = (uint8_t)(p[at] ^ ((p[at] | 0x20) >= 'a' && (p[at] | 0x20) <= 'z' ? 0x20 : 0));
        } else if (how == 1) { /* trailing spaces */
            const uint32_t k = 1 + (uint32_t)(rnd() % 3);
            memset(p + c.n, ' ', k);
            c.n += k;
        } else if (how == 2 && c.n) {
            c.n -= 1 + (uint32_t)(rnd() % c.n);
        } else if (how == 3) {
            p[c.n++] = rnd() & 1 ? 0 : (uint8_t)rnd();
        }
        return c;
    }
    default: return v_null();
    }
}

/* Encode, decode every column (in a random order, twice), compare. */
static void test_round_trips(void)
{
    int bad = 0, bad_trunc = 0;
    uint8_t *buf = test_xmalloc(1 << 20);
    record_value vals[100];
    for (int iter = 0; iter < 3000; iter++) {
        const uint32_t n = iter % 10 == 0 ? 33 + (uint32_t)(rnd() % 67) : (uint32_t)(rnd() % 12);
        for (uint32_t i = 0; i < n; i++) {
            vals[i] = gen_value();
            if (vals[i].type == RECORD_REAL && isnan(vals[i].r)) {
                vals[i] = v_real(0.25);
            }
        }
        uint32_t size = 0, written = 0;
        bad += record_size(vals, n, NULL, &size) != SEALDB_OK;
        bad += record_encode(vals, n, NULL, buf, 1 << 20, &written) != SEALDB_OK;
        bad += size != written;
        record_reader r;
        bad += record_reader_init(&r, buf, written) != SEALDB_OK;
        for (int pass = 0; pass < 2 * (int)n + 2; pass++) {
            const uint32_t i = (uint32_t)(rnd() % (n + 2));
            record_value v;
            bad += record_column(&r, i, &v) != SEALDB_OK;
            const record_value want = i < n ? vals[i] : v_null();
            bad += !same_value(&v, &want);
        }
        uint32_t ncol = 0;
        bad += record_reader_count(&r, &ncol) != SEALDB_OK || ncol != n;
        /* in one pass: all columns and two past the end, then a prefix */
        record_value all[102];
        uint32_t have = 99;
        bad += record_decode(buf, written, all, n + 2, &have) != SEALDB_OK || have != n;
        for (uint32_t i = 0; i < n + 2; i++) {
            const record_value want = i < n ? vals[i] : v_null();
            bad += !same_value(&all[i], &want);
        }
        const uint32_t half = n / 2;
        bad += record_decode(buf, written, all, half, &have) != SEALDB_OK || have != half;
        for (uint32_t i = 0; i < half; i++) {
            bad += !same_value(&all[i], &vals[i]);
        }
        /* sequential reads after the count */
        for (uint32_t i = 0; i < n; i++) {
            record_value v;
            bad += record_column(&r, i, &v) != SEALDB_OK || !same_value(&v, &vals[i]);
        }
        /* compared with itself: equal; with the values: equal */
        int res = 9;
        bad += record_compare(buf, written, vals, n, NULL, NULL, 0, &res) != SEALDB_OK || res != 0;
        bad +=
            record_compare_records(buf, written, buf, written, n, NULL, NULL, &res) != SEALDB_OK ||
            res != 0;
        /* every shorter prefix is corrupt once read through */
        if (written < 400) {
            for (uint32_t cut = 0; cut < written; cut++) {
                record_reader t;
                int rc = record_reader_init(&t, cut ? buf : NULL, cut);
                if (rc == SEALDB_OK) {
                    rc = record_reader_count(&t, &ncol);
                }
                bad_trunc += rc != SEALDB_ECORRUPT;
            }
        }
        for (uint32_t i = 0; i < n; i++) {
            free_value(&vals[i]);
        }
    }
    CHECK_INT(bad, 0);
    CHECK_INT(bad_trunc, 0);
    free(buf);
}

/* ---- the order: fixed cases ------------------------------------------------------------------ */

static void test_order_fixed(void)
{
    const record_value null = v_null();
    const struct {
        record_value a, b;
        int coll, want;
    } cases[] = {
        {v_null(), v_null(), RECORD_BINARY, 0},
        {v_null(), v_int(INT64_MIN), RECORD_BINARY, -1},
        {v_null(), v_real(-INFINITY), RECORD_BINARY, -1},
        {v_int(INT64_MAX), v_text("", 0), RECORD_BINARY, -1},
        {v_real(INFINITY), v_text("", 0), RECORD_BINARY, -1},
        {v_text("\xff", 1), v_blob("", 0), RECORD_BINARY, -1},
        {v_int(9007199254740993), v_real(9007199254740992.0), RECORD_BINARY, 1},
        {v_int(9007199254740992), v_real(9007199254740992.0), RECORD_BINARY, 0},
        {v_int(9007199254740991), v_real(9007199254740992.0), RECORD_BINARY, -1},
        {v_real(-0.0), v_int(0), RECORD_BINARY, 0},
        {v_real(-0.0), v_real(0.0), RECORD_BINARY, 0},
        {v_int(INT64_MAX), v_real(9223372036854775808.0), RECORD_BINARY, -1},
        {v_int(INT64_MAX), v_real(9223372036854774784.0), RECORD_BINARY, 1},
        {v_int(INT64_MIN), v_real(-9223372036854775808.0), RECORD_BINARY, 0},
        {v_int(INT64_MIN), v_real(nextafter(-9223372036854775808.0, 0)), RECORD_BINARY, -1},
        {v_int(INT64_MIN), v_real(-INFINITY), RECORD_BINARY, 1},
        {v_int(-1), v_real(-0.5), RECORD_BINARY, -1},
        {v_int(-1), v_real(-1.5), RECORD_BINARY, 1},
        {v_int(2), v_real(1.5), RECORD_BINARY, 1},
        {v_real(NAN), v_null(), RECORD_BINARY, 0},
        {v_text("abc", 3), v_text("ABC", 3), RECORD_BINARY, 1},
        {v_text("abc", 3), v_text("ABC", 3), RECORD_NOCASE, 0},
        {v_text("Z", 1), v_text("_", 1), RECORD_BINARY, -1},
        {v_text("Z", 1), v_text("_", 1), RECORD_NOCASE, 1},               /* folds to lower case */
        {v_text("\xc3\xa9", 2), v_text("\xc3\x89", 2), RECORD_NOCASE, 1}, /* ASCII only */
        {v_text("a\0x", 3), v_text("a\0y", 3), RECORD_NOCASE, 0},         /* stops at a NUL */
        {v_text("a\0x", 3), v_text("a\0y", 3), RECORD_BINARY, -1},
        {v_text("a\0x", 3), v_text("a\0yy", 4), RECORD_NOCASE, -1},
        {v_text("a\0", 2), v_text("ab", 2), RECORD_NOCASE, -1},
        {v_text("ab", 2), v_text("a\0", 2), RECORD_NOCASE, 1},
        {v_text("ab  ", 4), v_text("ab", 2), RECORD_RTRIM, 0},
        {v_text("ab  ", 4), v_text("ab", 2), RECORD_BINARY, 1},
        {v_text("ab \t", 4), v_text("ab", 2), RECORD_RTRIM, 1},
        {v_text("ab", 2), v_text("abc", 3), RECORD_BINARY, -1},
        {v_blob("ab", 2), v_blob("abc", 3), RECORD_NOCASE, -1},
        {v_blob("b", 1), v_blob("abc", 3), RECORD_BINARY, 1},
        {v_blob("A", 1), v_blob("a", 1), RECORD_NOCASE, -1}, /* collations are for TEXT */
        {v_blob("a ", 2), v_blob("a", 1), RECORD_RTRIM, 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const int before = check_failures;
        CHECK_INT(record_compare_values(&cases[c].a, &cases[c].b, cases[c].coll), cases[c].want);
        CHECK_INT(record_compare_values(&cases[c].b, &cases[c].a, cases[c].coll), -cases[c].want);
        CONTEXT_IF_FAILED(before, "order case %zu", c);
    }
    (void)null;

    /* record_compare: DESC, prefixes and default_rc */
    uint8_t rec[64];
    uint32_t len = 0;
    const record_value row[] = {v_text("Abc", 3), v_int(5), v_real(2.5)};
    CHECK_INT(record_encode(row, 3, NULL, rec, sizeof rec, &len), SEALDB_OK);
    const uint8_t nocase[] = {RECORD_NOCASE, RECORD_BINARY, RECORD_BINARY};
    const uint8_t desc[] = {0, 1, 0};
    record_value key[4] = {v_text("abc", 3), v_int(6), v_int(2), v_int(1)};
    int res = 9;
    CHECK_INT(record_compare(rec, len, key, 1, NULL, NULL, 0, &res), SEALDB_OK);
    CHECK_INT(res, -1); /* "Abc" < "abc" in BINARY */
    CHECK_INT(record_compare(rec, len, key, 1, nocase, NULL, 0, &res), SEALDB_OK);
    CHECK_INT(res, 0);
    CHECK_INT(record_compare(rec, len, key, 1, nocase, NULL, 1, &res), SEALDB_OK);
    CHECK_INT(res, 1); /* prefix key, seek to the first entry >= key */
    CHECK_INT(record_compare(rec, len, key, 1, nocase, NULL, -1, &res), SEALDB_OK);
    CHECK_INT(res, -1);
    CHECK_INT(record_compare(rec, len, key, 2, nocase, NULL, 1, &res), SEALDB_OK);
    CHECK_INT(res, -1); /* 5 < 6 */
    CHECK_INT(record_compare(rec, len, key, 2, nocase, desc, 1, &res), SEALDB_OK);
    CHECK_INT(res, 1); /* DESC */
    key[1] = v_int(5);
    CHECK_INT(record_compare(rec, len, key, 3, nocase, desc, 0, &res), SEALDB_OK);
    CHECK_INT(res, 1); /* 2.5 > 2 */
    /* a key with more fields than the record: default_rc */
    key[2] = v_real(2.5);
    CHECK_INT(record_compare(rec, len, key, 4, nocase, desc, -1, &res), SEALDB_OK);
    CHECK_INT(res, -1);
    CHECK_INT(record_compare(rec, len, key, 0, NULL, NULL, 1, &res), SEALDB_OK);
    CHECK_INT(res, 1);
    /* the btree callbacks */
    record_key k = {.fields = key, .n_fields = 3, .coll = nocase, .desc = desc, .default_rc = 0};
    CHECK_INT(record_key_compare(&k, rec, len, &res), SEALDB_OK);
    CHECK_INT(res, 0);
    uint8_t rec2[64];
    uint32_t len2 = 0;
    const record_value row2[] = {v_text("ABC", 3), v_int(4), v_null()};
    CHECK_INT(record_encode(row2, 3, NULL, rec2, sizeof rec2, &len2), SEALDB_OK);
    CHECK_INT(record_key_order(&k, rec, len, rec2, len2, &res), SEALDB_OK);
    CHECK_INT(res, -1); /* equal under NOCASE, then 5 before 4 descending */
    CHECK_INT(record_key_order(&k, rec2, len2, rec, len, &res), SEALDB_OK);
    CHECK_INT(res, 1);
    k.desc = NULL;
    CHECK_INT(record_key_order(&k, rec, len, rec2, len2, &res), SEALDB_OK);
    CHECK_INT(res, 1);
    /* records of different lengths: the shorter runs out, equal */
    CHECK_INT(record_compare_records(rec, len, rec2, len2, 0, NULL, NULL, &res), SEALDB_OK);
    CHECK_INT(res, 0);
    uint8_t one[16];
    uint32_t one_len = 0;
    CHECK_INT(record_encode(row, 1, NULL, one, sizeof one, &one_len), SEALDB_OK);
    CHECK_INT(record_compare_records(one, one_len, rec, len, 3, NULL, NULL, &res), SEALDB_OK);
    CHECK_INT(res, 0);
}

/* ---- SQLite as the oracle ------------------------------------------------------------------- */

typedef struct image {
    uint8_t *bytes;
    size_t len;
    uint32_t page_size;
} image;

static int image_get(void *ctx, uint32_t pgno, const uint8_t **data, void **ref)
{
    image *im = ctx;
    if (pgno == 0 || (size_t)pgno * im->page_size > im->len) {
        return SEALDB_EIO;
    }
    *data = im->bytes + (size_t)(pgno - 1) * im->page_size;
    *ref = NULL;
    return SEALDB_OK;
}

static void image_put(void *ctx, void *ref)
{
    (void)ctx;
    (void)ref;
}

static int image_load(image *im, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return -1;
    }
    fseek(f, 0, SEEK_END);
    im->len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    im->bytes = test_xmalloc(im->len);
    const size_t got = fread(im->bytes, 1, im->len, f);
    fclose(f);
    im->page_size = (uint32_t)im->bytes[16] << 8 | im->bytes[17];
    if (im->page_size == 1) {
        im->page_size = 65536;
    }
    return got == im->len ? 0 : -1;
}

static btree_pages source_of(image *im)
{
    return (btree_pages){.ctx = im,
                         .get = image_get,
                         .put = image_put,
                         .page_size = im->page_size,
                         .usable = im->page_size - im->bytes[20],
                         .page_count = (uint32_t)(im->len / im->page_size)};
}

static void exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sql error %s in %s\n", err, sql);
        sqlite3_free(err);
        CHECK(0);
    }
}

static uint32_t root_of(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT rootpage FROM sqlite_schema WHERE name = ?", -1, &st, NULL);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    const int root = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return (uint32_t)root;
}

static void bind_value(sqlite3_stmt *st, int i, const record_value *v)
{
    switch (v->type) {
    case RECORD_NULL: sqlite3_bind_null(st, i); break;
    case RECORD_INTEGER: sqlite3_bind_int64(st, i, v->i); break;
    case RECORD_REAL: sqlite3_bind_double(st, i, v->r); break;
    case RECORD_TEXT:
        sqlite3_bind_text(st, i, v->n ? (const char *)v->p : "", (int)v->n, SQLITE_STATIC);
        break;
    default:
        if (v->n) {
            sqlite3_bind_blob(st, i, v->p, (int)v->n, SQLITE_STATIC);
        } else {
            sqlite3_bind_zeroblob(st, i, 0);
        }
        break;
    }
}

#define T_ROWS 3000
#define T_COLS 5
#define R_ROWS 3000
#define W_ROWS 200
#define W_COLS 120

typedef struct dataset {
    record_value t[T_ROWS][T_COLS];
    record_value r[R_ROWS][2];
    record_value w[W_ROWS][W_COLS];
} dataset;

/* One payload from a table walk: the rowid and a copy of the bytes. */
typedef struct entry {
    int64_t rowid;
    uint8_t *p;
    uint32_t len;
} entry;

/* Every entry of the tree at root, in order (*n of them; malloc'd). */
static entry *walk_tree(image *im, uint32_t root, int is_index, int *n)
{
    btree_pages src = source_of(im);
    btree_cursor c;
    int cap = 1024, eof = 0;
    entry *e = test_xmalloc(sizeof *e * (size_t)cap);
    *n = 0;
    CHECK_INT(btree_cursor_init(&c, &src, root, is_index), SEALDB_OK);
    int rc = btree_first(&c, &eof);
    while (rc == SEALDB_OK && !eof) {
        const uint8_t *p;
        uint32_t len;
        CHECK_INT(btree_payload(&c, &p, &len), SEALDB_OK);
        if (*n == cap) {
            cap *= 2;
            e = realloc(e, sizeof *e * (size_t)cap);
        }
        e[*n].rowid = is_index ? 0 : btree_rowid(&c);
        e[*n].p = test_xmalloc(len);
        memcpy(e[*n].p, p, len);
        e[*n].len = len;
        (*n)++;
        rc = btree_next(&c, &eof);
    }
    CHECK_INT(rc, SEALDB_OK);
    btree_cursor_close(&c);
    return e;
}

static void free_entries(entry *e, int n)
{
    for (int i = 0; i < n; i++) {
        free(e[i].p);
    }
    free(e);
}

/* The payloads of a table must be record_encode's bytes for the values
 * inserted as rowid 1..rows, and decode to them (by the column's rule). */
static void check_table(image *im, uint32_t root, const record_value *vals, int rows, int cols,
                        const uint8_t *flags, const char *name)
{
    const int before = check_failures;
    int n = 0, bad_bytes = 0, bad_decode = 0;
    entry *e = walk_tree(im, root, 0, &n);
    CHECK_INT(n, rows);
    uint8_t *buf = test_xmalloc(1 << 20);
    for (int k = 0; k < n && k < rows; k++) {
        const record_value *row = vals + (size_t)k * (size_t)cols;
        uint32_t len = 0;
        CHECK_INT(e[k].rowid, k + 1);
        CHECK_INT(record_encode(row, (uint32_t)cols, flags, buf, 1 << 20, &len), SEALDB_OK);
        if (len != e[k].len || memcmp(buf, e[k].p, len) != 0) {
            if (bad_bytes++ < 3) {
                fprintf(stderr, "%s row %d: record differs from SQLite's (%u vs %u bytes)\n", name,
                        k + 1, len, e[k].len);
            }
        }
        record_reader r;
        uint32_t ncol = 0;
        if (record_reader_init(&r, e[k].p, e[k].len) != SEALDB_OK ||
            record_reader_count(&r, &ncol) != SEALDB_OK || ncol != (uint32_t)cols) {
            bad_decode++;
            continue;
        }
        record_value one_pass[W_COLS];
        uint32_t have = 0;
        bad_decode +=
            record_decode(e[k].p, e[k].len, one_pass, (uint32_t)cols, &have) != SEALDB_OK ||
            have != (uint32_t)cols;
        for (int i = cols - 1; i >= 0; i--) { /* backwards: the cache fills in one go */
            record_value v;
            if (record_column(&r, (uint32_t)i, &v) != SEALDB_OK) {
                bad_decode++;
                continue;
            }
            bad_decode += !same_value(&v, &one_pass[i]);
            const record_value *want = &row[i];
            if (flags && flags[i] && want->type != RECORD_NULL) {
                /* a REAL column: the same number, as an INTEGER or a REAL */
                const double got = v.type == RECORD_INTEGER ? (double)v.i : v.r;
                const double exp = want->type == RECORD_INTEGER ? (double)want->i : want->r;
                bad_decode += (v.type != RECORD_INTEGER && v.type != RECORD_REAL) || got != exp;
            } else {
                bad_decode += !same_value(&v, want);
            }
        }
    }
    CHECK_INT(bad_bytes, 0);
    CHECK_INT(bad_decode, 0);
    CONTEXT_IF_FAILED(before, "table %s", name);
    free(buf);
    free_entries(e, n);
}

/* An index in SQLite's order must be strictly increasing under
 * record_compare_records; each entry is record_encode of its values. */
static void check_index(image *im, uint32_t root, const dataset *d, const int *cols, int ncols,
                        const uint8_t *coll, const uint8_t *desc, const char *name)
{
    const int before = check_failures;
    int n = 0, bad_order = 0, bad_bytes = 0, bad_self = 0;
    entry *e = walk_tree(im, root, 1, &n);
    CHECK_INT(n, T_ROWS);
    uint8_t buf[65536];
    for (int k = 0; k < n; k++) {
        int res = 9;
        if (k > 0 && (record_compare_records(e[k - 1].p, e[k - 1].len, e[k].p, e[k].len,
                                             (uint32_t)ncols + 1, coll, desc, &res) != SEALDB_OK ||
                      res != -1)) {
            if (bad_order++ < 3) {
                fprintf(stderr, "%s: entries %d and %d out of order (%d)\n", name, k - 1, k, res);
            }
        }
        /* the values: the record's own fields, the rowid last */
        record_reader r;
        record_value key[8];
        CHECK_INT(record_reader_init(&r, e[k].p, e[k].len), SEALDB_OK);
        for (int i = 0; i <= ncols; i++) {
            CHECK_INT(record_column(&r, (uint32_t)i, &key[i]), SEALDB_OK);
        }
        const int64_t rowid = key[ncols].i;
        if (key[ncols].type != RECORD_INTEGER || rowid < 1 || rowid > T_ROWS) {
            bad_bytes++;
            continue;
        }
        record_value want[8];
        for (int i = 0; i < ncols; i++) {
            want[i] = d->t[rowid - 1][cols[i]];
        }
        want[ncols] = v_int(rowid);
        uint32_t len = 0;
        if (record_encode(want, (uint32_t)ncols + 1, NULL, buf, sizeof buf, &len) != SEALDB_OK ||
            len != e[k].len || memcmp(buf, e[k].p, len) != 0) {
            bad_bytes++;
        }
        /* against itself as an unpacked key: equal, and default_rc for a prefix */
        bad_self += record_compare(e[k].p, e[k].len, key, (uint32_t)ncols + 1, coll, desc, 0,
                                   &res) != SEALDB_OK ||
                    res != 0;
        bad_self +=
            record_compare(e[k].p, e[k].len, key, 1, coll, desc, 1, &res) != SEALDB_OK || res != 1;
        bad_self += record_compare(e[k].p, e[k].len, key, 2, coll, desc, -1, &res) != SEALDB_OK ||
                    res != -1;
        if (k > 0) {
            /* the previous entry sorts before this key, the next after */
            bad_self += record_compare(e[k - 1].p, e[k - 1].len, key, (uint32_t)ncols + 1, coll,
                                       desc, 0, &res) != SEALDB_OK ||
                        res != -1;
        }
        if (k + 1 < n) {
            bad_self += record_compare(e[k + 1].p, e[k + 1].len, key, (uint32_t)ncols + 1, coll,
                                       desc, 0, &res) != SEALDB_OK ||
                        res != 1;
        }
    }
    CHECK_INT(bad_order, 0);
    CHECK_INT(bad_bytes, 0);
    CHECK_INT(bad_self, 0);
    CONTEXT_IF_FAILED(before, "index %s", name);
    free_entries(e, n);
}

/* Prefix matches: entries of index ti equal to (a, b) on two fields, as
 * record_compare counts them, against SQLite's count of rows with
 * a IS x COLLATE NOCASE AND b IS y COLLATE RTRIM. */
static void check_prefix_counts(sqlite3 *db, image *im, uint32_t root, const dataset *d)
{
    int n = 0, bad = 0;
    entry *e = walk_tree(im, root, 1, &n);
    sqlite3_stmt *st;
    CHECK_INT(sqlite3_prepare_v2(db,
                                 "SELECT count(*) FROM t WHERE a IS ?1 COLLATE NOCASE "
                                 "AND b IS ?2 COLLATE RTRIM",
                                 -1, &st, NULL),
              SQLITE_OK);
    const uint8_t coll[] = {RECORD_NOCASE, RECORD_RTRIM};
    const uint8_t desc[] = {1, 0};
    int nonzero = 0;
    for (int probe = 0; probe < 300; probe++) {
        const record_value *row = d->t[rnd() % T_ROWS];
        record_value key[2] = {gen_near(&row[0]), gen_near(&row[1])};
        if (probe % 3 == 0) { /* exactly a row's values */
            free_value(&key[0]);
            free_value(&key[1]);
            key[0] = copy_value(&row[0]);
            key[1] = copy_value(&row[1]);
        }
        bind_value(st, 1, &key[0]);
        bind_value(st, 2, &key[1]);
        const int want = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
        sqlite3_reset(st);
        int got = 0, res = 0;
        for (int k = 0; k < n; k++) {
            if (record_compare(e[k].p, e[k].len, key, 2, coll, desc, 0, &res) != SEALDB_OK) {
                got = -2;
                break;
            }
            got += res == 0;
        }
        nonzero += want > 0;
        if (got != want && bad++ < 3) {
            fprintf(stderr, "prefix probe %d: %d entries match, SQLite counts %d\n", probe, got,
                    want);
        }
        free_value(&key[0]);
        free_value(&key[1]);
    }
    sqlite3_finalize(st);
    CHECK_INT(bad, 0);
    CHECK(nonzero >= 100); /* the probes do hit rows */
    free_entries(e, n);
}

static void test_against_sqlite(void)
{
    static dataset d;
    char path[300];
    snprintf(path, sizeof path, "%s/records.db", dir);
    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    exec(db, "PRAGMA page_size = 4096; PRAGMA journal_mode = DELETE;"
             "CREATE TABLE t(a, b, c, d, e);"
             "CREATE INDEX ti ON t(a COLLATE NOCASE DESC, b COLLATE RTRIM, c);"
             "CREATE INDEX tj ON t(d, e DESC);"
             "CREATE TABLE r(x REAL, y REAL);");
    char sql[4096];
    int at = snprintf(sql, sizeof sql, "CREATE TABLE w(c0");
    for (int i = 1; i < W_COLS; i++) {
        at += snprintf(sql + at, sizeof sql - (size_t)at, ", c%d", i);
    }
    snprintf(sql + at, sizeof sql - (size_t)at, ")");
    exec(db, sql);
    exec(db, "BEGIN");

    sqlite3_stmt *st;
    CHECK_INT(sqlite3_prepare_v2(db,
                                 "INSERT INTO t(rowid, a, b, c, d, e) VALUES (?, ?, ?, ?, ?, ?)",
                                 -1, &st, NULL),
              SQLITE_OK);
    for (int k = 0; k < T_ROWS; k++) {
        /* ties in the indexed columns: reuse a near value of an earlier row */
        for (int i = 0; i < T_COLS; i++) {
            d.t[k][i] =
                k > 10 && rnd() % 3 == 0 ? gen_near(&d.t[rnd() % (uint64_t)k][i]) : gen_value();
        }
        sqlite3_bind_int64(st, 1, k + 1);
        for (int i = 0; i < T_COLS; i++) {
            bind_value(st, i + 2, &d.t[k][i]);
        }
        CHECK_INT(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);

    CHECK_INT(sqlite3_prepare_v2(db, "INSERT INTO r(rowid, x, y) VALUES (?, ?, ?)", -1, &st, NULL),
              SQLITE_OK);
    for (int k = 0; k < R_ROWS; k++) {
        for (int i = 0; i < 2; i++) {
            const unsigned kind = (unsigned)(rnd() % 8);
            d.r[k][i] = kind == 0 ? v_null() : kind < 3 ? v_int(gen_int()) : v_real(gen_real());
        }
        sqlite3_bind_int64(st, 1, k + 1);
        bind_value(st, 2, &d.r[k][0]);
        bind_value(st, 3, &d.r[k][1]);
        CHECK_INT(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);

    at = snprintf(sql, sizeof sql, "INSERT INTO w VALUES (?");
    for (int i = 1; i < W_COLS; i++) {
        at += snprintf(sql + at, sizeof sql - (size_t)at, ", ?");
    }
    snprintf(sql + at, sizeof sql - (size_t)at, ")");
    CHECK_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    for (int k = 0; k < W_ROWS; k++) {
        /* up to k/4 texts long enough for a two-byte serial type: header
         * sizes on both sides of 127 */
        for (int i = 0; i < W_COLS; i++) {
            if (i < (k % 24) && rnd() % 2) {
                static const char long_text[] = "0123456789012345678901234567890123456789"
                                                "0123456789012345678901234567890123456789";
                d.w[k][i] = copy_value(&(record_value){.type = RECORD_TEXT,
                                                       .n = 57 + (uint32_t)(rnd() % 4),
                                                       .p = (const uint8_t *)long_text});
            } else {
                d.w[k][i] = rnd() % 3 ? v_null() : gen_value();
            }
            bind_value(st, i + 1, &d.w[k][i]);
        }
        CHECK_INT(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    exec(db, "COMMIT");

    image im;
    CHECK_INT(image_load(&im, path), 0);
    const uint8_t real_flags[2] = {RECORD_REAL_AS_INT, RECORD_REAL_AS_INT};
    check_table(&im, root_of(db, "t"), &d.t[0][0], T_ROWS, T_COLS, NULL, "t");
    check_table(&im, root_of(db, "r"), &d.r[0][0], R_ROWS, 2, real_flags, "r");
    check_table(&im, root_of(db, "w"), &d.w[0][0], W_ROWS, W_COLS, NULL, "w");
    const int ti_cols[] = {0, 1, 2}, tj_cols[] = {3, 4};
    const uint8_t ti_coll[] = {RECORD_NOCASE, RECORD_RTRIM, RECORD_BINARY, RECORD_BINARY};
    const uint8_t ti_desc[] = {1, 0, 0, 0}, tj_desc[] = {0, 1, 0};
    check_index(&im, root_of(db, "ti"), &d, ti_cols, 3, ti_coll, ti_desc, "ti");
    check_index(&im, root_of(db, "tj"), &d, tj_cols, 2, NULL, tj_desc, "tj");
    check_prefix_counts(db, &im, root_of(db, "ti"), &d);
    sqlite3_close(db);
    free(im.bytes);
    unlink(path);
    for (int k = 0; k < T_ROWS; k++) {
        for (int i = 0; i < T_COLS; i++) {
            free_value(&d.t[k][i]);
        }
    }
    for (int k = 0; k < W_ROWS; k++) {
        for (int i = 0; i < W_COLS; i++) {
            free_value(&d.w[k][i]);
        }
    }
}

/* Pairs of values in SQLite's order: ORDER BY (ties told apart by a second
 * key both ways), < and =, under each collation. */
static void test_order_against_sqlite(void)
{
    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open(":memory:", &db), SQLITE_OK);
    static const char *const names[] = {"BINARY", "NOCASE", "RTRIM"};
    sqlite3_stmt *st[3];
    for (int c = 0; c < 3; c++) {
        char sql[600];
        snprintf(sql, sizeof sql,
                 "SELECT (SELECT k FROM (SELECT ?1 AS v, 1 AS k UNION ALL SELECT ?2, 2) "
                 "ORDER BY v COLLATE %s, k LIMIT 1), "
                 "(SELECT k FROM (SELECT ?1 AS v, 1 AS k UNION ALL SELECT ?2, 2) "
                 "ORDER BY v COLLATE %s, k DESC LIMIT 1), "
                 "?1 < ?2 COLLATE %s, ?1 = ?2 COLLATE %s",
                 names[c], names[c], names[c], names[c]);
        CHECK_INT(sqlite3_prepare_v2(db, sql, -1, &st[c], NULL), SQLITE_OK);
    }
    int bad = 0, bad_ops = 0, bad_rec = 0, counts[3] = {0, 0, 0};
    uint8_t ra[65536];
    for (int pair = 0; pair < 4000; pair++) {
        record_value a = gen_value();
        record_value b = rnd() % 3 ? gen_near(&a) : gen_value();
        if (rnd() & 1) {
            const record_value t = a;
            a = b;
            b = t;
        }
        uint32_t alen = 0;
        CHECK_INT(record_encode(&a, 1, NULL, ra, sizeof ra, &alen), SEALDB_OK);
        for (int c = 0; c < 3; c++) {
            bind_value(st[c], 1, &a);
            bind_value(st[c], 2, &b);
            int want = 99, lt = -1, eq = -1;
            if (sqlite3_step(st[c]) == SQLITE_ROW) {
                const int first = sqlite3_column_int(st[c], 0),
                          second = sqlite3_column_int(st[c], 1);
                want = first == 1 && second == 1   ? -1
                       : first == 1 && second == 2 ? 0
                       : first == 2 && second == 2 ? 1
                                                   : 99;
                if (sqlite3_column_type(st[c], 2) != SQLITE_NULL) {
                    lt = sqlite3_column_int(st[c], 2);
                    eq = sqlite3_column_int(st[c], 3);
                }
            }
            sqlite3_reset(st[c]);
            const int got = record_compare_values(&a, &b, (record_collation)c);
            if (got != want && bad++ < 5) {
                fprintf(stderr, "pair %d under %s: got %d, SQLite's ORDER BY says %d\n", pair,
                        names[c], got, want);
            }
            if (want >= -1 && want <= 1) {
                counts[want + 1]++;
            }
            /* < and = (NULL when either side is NULL) */
            if (a.type != RECORD_NULL && b.type != RECORD_NULL) {
                bad_ops += lt != (got < 0) || eq != (got == 0);
            } else {
                bad_ops += lt != -1;
            }
            /* the same through an encoded record, ascending and descending */
            const uint8_t coll = (uint8_t)c, desc = 1;
            int res = 9;
            bad_rec +=
                record_compare(ra, alen, &b, 1, &coll, NULL, 0, &res) != SEALDB_OK || res != want;
            bad_rec +=
                record_compare(ra, alen, &b, 1, &coll, &desc, 0, &res) != SEALDB_OK || res != -want;
        }
        free_value(&a);
        free_value(&b);
    }
    for (int c = 0; c < 3; c++) {
        sqlite3_finalize(st[c]);
    }
    sqlite3_close(db);
    CHECK_INT(bad, 0);
    CHECK_INT(bad_ops, 0);
    CHECK_INT(bad_rec, 0);
    /* the pairs cover all three answers, equal ones included */
    CHECK(counts[0] > 1000 && counts[1] > 1000 && counts[2] > 1000);
}

/* ---- timing (test_record bench) ----------------------------------------------------------- */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void bench(void)
{
    const record_value row[] = {v_int(123456), v_text("alice@example.com", 17), v_real(3.25),
                                v_int(1), v_blob("\x01\x02\x03\x04\x05\x06\x07\x08", 8)};
    uint8_t rec[128];
    uint32_t len = 0;
    record_encode(row, 5, NULL, rec, sizeof rec, &len);
    const long iters = 20000000;
    volatile uint64_t sink = 0;
    double t0 = now_ns();
    for (long k = 0; k < iters; k++) {
        record_reader r;
        uint64_t acc = 0;
        record_reader_init(&r, rec, len);
        for (uint32_t i = 0; i < 5; i++) {
            record_value v;
            record_column(&r, i, &v);
            acc += v.type + v.n;
        }
        sink += acc;
    }
    const double decode_ns = (now_ns() - t0) / (double)iters;
    t0 = now_ns();
    for (long k = 0; k < iters; k++) {
        record_reader r;
        record_value v;
        record_reader_init(&r, rec, len);
        record_column(&r, 3, &v);
        sink += (uint64_t)v.i;
    }
    const double one_ns = (now_ns() - t0) / (double)iters;
    t0 = now_ns();
    for (long k = 0; k < iters; k++) {
        record_value v[5];
        uint32_t have;
        record_decode(rec, len, v, 5, &have);
        sink += v[0].type + v[1].n + v[2].type + v[3].type + v[4].n;
    }
    const double bulk_ns = (now_ns() - t0) / (double)iters;
    const record_value key[] = {v_int(123456), v_text("alice@example.com", 17), v_real(3.5)};
    t0 = now_ns();
    for (long k = 0; k < iters; k++) {
        int res;
        record_compare(rec, len, key, 3, NULL, NULL, 0, &res);
        sink += (uint64_t)res;
    }
    const double cmp_ns = (now_ns() - t0) / (double)iters;
    uint8_t out[128];
    t0 = now_ns();
    for (long k = 0; k < iters; k++) {
        uint32_t w;
        record_encode(row, 5, NULL, out, sizeof out, &w);
        sink += out[w - 1];
    }
    const double enc_ns = (now_ns() - t0) / (double)iters;
    printf("record of 5 columns (%u bytes), ns per call over %ld runs:\n"
           "  reader, all 5 columns    %.1f\n"
           "  reader, column 3 alone   %.1f\n"
           "  record_decode, 5 columns %.1f\n"
           "  record_compare, 3 fields %.1f\n"
           "  record_encode, 5 columns %.1f\n",
           len, iters, decode_ns, one_ns, bulk_ns, cmp_ns, enc_ns);
    (void)sink;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "bench") == 0) {
        bench();
        return 0;
    }
    snprintf(dir, sizeof dir, "/tmp/sealdb-test-record-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_varints();
    test_serial_types();
    test_malformed();
    test_round_trips();
    test_order_fixed();
    test_against_sqlite();
    test_order_against_sqlite();
    rmdir(dir);
    return check_report();
}
