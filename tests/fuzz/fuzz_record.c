/*
 * fuzz_record.c - libFuzzer target for the record layer (engine/record.c):
 * the reader, the comparisons and the encoder over arbitrary bytes.
 *
 * Input:
 *
 *     [0]        collation seed: field i uses collation (seed >> (i % 4)) % 3
 *     [1]        DESC bits: field i is descending if bit (i % 8) is set
 *     [2, 4)     length L of record A, big-endian (clamped to what is left)
 *     [4, 4+L)   record A
 *     [4+L, end) record B
 *
 * Every call must return SEALDB_OK or SEALDB_ECORRUPT and never read
 * outside its record (AddressSanitizer sees each record in a buffer of its
 * own size). Invariants checked:
 * - a decoded TEXT or BLOB lies inside its record; a REAL is never NaN; a
 *   column past the count is NULL;
 * - once record_reader_count accepts a record, every column reads, in any
 *   order and from a fresh reader, as the same value; record_decode of a
 *   prefix gives the reader's verdict and values for the same columns;
 * - a record that counts re-encodes into one that decodes to the same
 *   values and encodes again to the same bytes; it compares equal to its
 *   own values and to its re-encoding;
 * - record_compare agrees with record_compare_values field by field, and
 *   record_compare_records is antisymmetric.
 * Seeds (make_corpus, DIR/record): records SQLite wrote, rows and index
 * entries of a table of mixed values, in pairs.
 */
#include <math.h>

#include "fuzz_common.h"
#include "record.h"

static int allowed(int rc)
{
    return rc == SEALDB_OK || rc == SEALDB_ECORRUPT;
}

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

static void check_value(const record_value *v, const uint8_t *rec, uint32_t len)
{
    FUZZ_ASSERT(v->type <= RECORD_BLOB);
    if (v->type == RECORD_REAL) {
        FUZZ_ASSERT(!isnan(v->r));
    }
    if (v->type == RECORD_TEXT || v->type == RECORD_BLOB) {
        FUZZ_ASSERT(v->p >= rec && v->n <= len && v->p + v->n <= rec + len);
    }
}

/* Reads a record every way; returns its values (malloc'd, *ncol of them)
 * if record_reader_count accepts it, else NULL. order: bytes choosing
 * which columns to read first. */
static record_value *read_record(const uint8_t *rec, uint32_t len, const uint8_t *order,
                                 size_t norder, uint32_t *ncol)
{
    record_reader r;
    int rc = record_reader_init(&r, rec, len);
    FUZZ_ASSERT(allowed(rc));
    if (rc != SEALDB_OK) {
        return NULL;
    }
    for (size_t k = 0; k < norder && k < 16; k++) {
        record_value v;
        rc = record_column(&r, order[k], &v);
        FUZZ_ASSERT(allowed(rc));
        if (rc == SEALDB_OK) {
            check_value(&v, rec, len);
        }
    }
    /* one pass over a prefix: the reader's verdict on the same columns */
    const uint32_t nd = norder ? order[0] % 40 : 3;
    record_value *d = malloc(sizeof *d * (nd + 1));
    FUZZ_ASSERT(d);
    uint32_t have = 0;
    const int drc = record_decode(rec, len, d, nd, &have);
    FUZZ_ASSERT(allowed(drc));
    record_reader r3;
    FUZZ_ASSERT(record_reader_init(&r3, rec, len) == SEALDB_OK);
    int rrc = SEALDB_OK;
    for (uint32_t i = 0; i < nd && rrc == SEALDB_OK; i++) {
        record_value v;
        rrc = record_column(&r3, i, &v);
        if (rrc == SEALDB_OK && drc == SEALDB_OK) {
            FUZZ_ASSERT(same_value(&v, &d[i]));
            FUZZ_ASSERT(i < have || v.type == RECORD_NULL);
        }
    }
    FUZZ_ASSERT(rrc == drc);
    free(d);

    rc = record_reader_count(&r, ncol);
    FUZZ_ASSERT(allowed(rc));
    if (rc != SEALDB_OK) {
        return NULL;
    }
    FUZZ_ASSERT(*ncol <= len);
    record_value *vals = malloc(sizeof *vals * (*ncol + 1));
    FUZZ_ASSERT(vals);
    for (uint32_t i = 0; i < *ncol; i++) {
        FUZZ_ASSERT(record_column(&r, i, &vals[i]) == SEALDB_OK);
        check_value(&vals[i], rec, len);
    }
    record_value past;
    FUZZ_ASSERT(record_column(&r, *ncol, &past) == SEALDB_OK && past.type == RECORD_NULL);
    /* a fresh reader, backwards, then in the input's order */
    record_reader r2;
    FUZZ_ASSERT(record_reader_init(&r2, rec, len) == SEALDB_OK);
    for (uint32_t i = *ncol; i-- > 0;) {
        record_value v;
        FUZZ_ASSERT(record_column(&r2, i, &v) == SEALDB_OK && same_value(&v, &vals[i]));
    }
    for (size_t k = 0; k < norder && k < 16; k++) {
        record_value v;
        FUZZ_ASSERT(record_column(&r2, order[k], &v) == SEALDB_OK);
        FUZZ_ASSERT(order[k] < *ncol ? same_value(&v, &vals[order[k]]) : v.type == RECORD_NULL);
    }
    return vals;
}

/* Re-encodes a valid record's values: decodes to the same values, encodes
 * again to the same bytes, compares equal to the original. */
static void reencode(const uint8_t *rec, uint32_t len, const record_value *vals, uint32_t n,
                     const uint8_t *coll, const uint8_t *desc)
{
    uint32_t size = 0, written = 0;
    FUZZ_ASSERT(record_size(vals, n, NULL, &size) == SEALDB_OK);
    FUZZ_ASSERT(size <= len); /* shortest varints and integer types: never longer */
    uint8_t *e = malloc(size ? size : 1), *e2 = malloc(size ? size : 1);
    FUZZ_ASSERT(e && e2);
    FUZZ_ASSERT(record_encode(vals, n, NULL, e, size, &written) == SEALDB_OK && written == size);
    record_reader r;
    uint32_t ncol = 0;
    FUZZ_ASSERT(record_reader_init(&r, e, size) == SEALDB_OK);
    FUZZ_ASSERT(record_reader_count(&r, &ncol) == SEALDB_OK && ncol == n);
    record_value *back = malloc(sizeof *back * (n + 1));
    FUZZ_ASSERT(back);
    for (uint32_t i = 0; i < n; i++) {
        FUZZ_ASSERT(record_column(&r, i, &back[i]) == SEALDB_OK && same_value(&back[i], &vals[i]));
    }
    FUZZ_ASSERT(record_encode(back, n, NULL, e2, size, &written) == SEALDB_OK && written == size);
    FUZZ_ASSERT(memcmp(e, e2, size) == 0);
    int res = 9;
    FUZZ_ASSERT(record_compare(rec, len, vals, n, coll, desc, 0, &res) == SEALDB_OK && res == 0);
    FUZZ_ASSERT(record_compare(rec, len, vals, n, coll, desc, 1, &res) == SEALDB_OK && res == 1);
    FUZZ_ASSERT(record_compare(e, size, vals, n, coll, desc, 0, &res) == SEALDB_OK && res == 0);
    FUZZ_ASSERT(record_compare_records(rec, len, e, size, n, coll, desc, &res) == SEALDB_OK &&
                res == 0);
    free(back);
    free(e);
    free(e2);
}

/* record_compare of rec against key agrees with record_compare_values. */
static void compare_with(const uint8_t *rec, uint32_t len, const record_value *vals, uint32_t n,
                         const record_value *key, uint32_t nkey, const uint8_t *coll,
                         const uint8_t *desc)
{
    const uint32_t nf = nkey;
    int res = 9;
    const int rc = record_compare(rec, len, key, nf, coll, desc, -1, &res);
    FUZZ_ASSERT(allowed(rc));
    if (!vals) {
        return;
    }
    FUZZ_ASSERT(rc == SEALDB_OK);
    int want = -1;
    for (uint32_t i = 0; i < nf && i < n; i++) {
        const int c = record_compare_values(&vals[i], &key[i], (record_collation)coll[i]);
        FUZZ_ASSERT(c >= -1 && c <= 1);
        FUZZ_ASSERT(record_compare_values(&key[i], &vals[i], (record_collation)coll[i]) == -c);
        if (c) {
            want = desc[i] ? -c : c;
            break;
        }
    }
    FUZZ_ASSERT(res == want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4 || size > 1 << 20) {
        return 0;
    }
    /* a record has at most one field per byte */
    uint8_t *coll = malloc(size), *desc = malloc(size);
    FUZZ_ASSERT(coll && desc);
    for (size_t i = 0; i < size; i++) {
        coll[i] = (uint8_t)((data[0] >> (i % 4)) % 3);
        desc[i] = (uint8_t)((data[1] >> (i % 8)) & 1);
    }
    size_t la = (size_t)data[2] << 8 | data[3];
    if (la > size - 4) {
        la = size - 4;
    }
    const size_t lb = size - 4 - la;
    /* each record in a buffer of its own size, so any overread is caught */
    uint8_t *a = malloc(la ? la : 1), *b = malloc(lb ? lb : 1);
    FUZZ_ASSERT(a && b);
    memcpy(a, data + 4, la);
    memcpy(b, data + 4 + la, lb);

    uint32_t na = 0, nb = 0;
    record_value *va = read_record(la ? a : NULL, (uint32_t)la, b, lb, &na);
    record_value *vb = read_record(lb ? b : NULL, (uint32_t)lb, a, la, &nb);
    if (va) {
        reencode(a, (uint32_t)la, va, na, coll, desc);
    }
    if (vb) {
        reencode(b, (uint32_t)lb, vb, nb, coll, desc);
        compare_with(la ? a : NULL, (uint32_t)la, va, na, vb, nb, coll, desc);
    }
    if (va) {
        compare_with(lb ? b : NULL, (uint32_t)lb, vb, nb, va, na, coll, desc);
    }
    int ab = 9, ba = 9;
    const uint32_t nf = 1 + (data[0] & 15);
    const int rab = record_compare_records(la ? a : NULL, (uint32_t)la, lb ? b : NULL, (uint32_t)lb,
                                           nf, coll, desc, &ab);
    const int rba = record_compare_records(lb ? b : NULL, (uint32_t)lb, la ? a : NULL, (uint32_t)la,
                                           nf, coll, desc, &ba);
    FUZZ_ASSERT(allowed(rab) && rab == rba);
    if (rab == SEALDB_OK) {
        FUZZ_ASSERT(ab == -ba && ab >= -1 && ab <= 1);
    }

    /* varints at every offset: in bounds, and the value round-trips */
    for (size_t off = 0; off < size && off < 64; off++) {
        uint64_t v;
        const int n = varint_get(data + off, data + size, &v);
        FUZZ_ASSERT(n >= 0 && n <= VARINT_MAX && (size_t)n <= size - off);
        if (n) {
            uint8_t buf[VARINT_MAX];
            uint64_t w;
            const int m = varint_put(buf, v);
            FUZZ_ASSERT(m == varint_len(v) && m <= n);
            FUZZ_ASSERT(varint_get(buf, buf + m, &w) == m && w == v);
        }
    }
    free(va);
    free(vb);
    free(a);
    free(b);
    free(coll);
    free(desc);
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}
