/*
 * record.c - SQLite's record format: varints, decoding, encoding and the
 * order of values and records, with no allocation anywhere.
 *
 * A record (the payload of a table row, or an index entry whole):
 *
 *   varint H          header size in bytes, this varint included
 *   varint T[0..n)    one serial type per column, filling the header exactly
 *   body[0..n)        the columns' bodies, back to back, filling the record
 *
 *   serial type  body bytes  value
 *   0            0           NULL
 *   1..4         1..4        big-endian two's-complement integer
 *   5            6           idem
 *   6            8           idem
 *   7            8           big-endian IEEE-754 double (a NaN reads as NULL)
 *   8, 9         0           the integers 0 and 1 (schema format 4)
 *   10, 11       -           reserved: corrupt in a file
 *   N >= 12 even (N-12)/2    BLOB
 *   N >= 13 odd  (N-13)/2    TEXT
 *
 * A varint is 1..9 bytes, big-endian, 7 bits a byte with the high bit set
 * on every byte but the last; a 9th byte gives all 8 bits. Readers take
 * any form (SQLite does), writers the shortest.
 *
 * Invariants:
 * - Every byte read is inside [rec, rec + len): a serial type's varint must
 *   end within the header, a body within the record; sizes are summed in
 *   64 bits so no serial type can wrap an offset. Each header step
 *   advances at least one byte, so every walk ends.
 * - A reader caches kind[i] and off[i], off[i + 1] only for columns it has
 *   checked; off[] never decreases and off[ncached] <= len.
 * - When a walk reaches the end of the header the record is complete:
 *   its bodies must end exactly at len (as SQLite's column reader demands).
 * - Encoding and sizing choose serial types through one function
 *   (serial_of), so record_size always equals what record_encode writes.
 */
#include "record.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* ---- varints ------------------------------------------------------------------------------- */

int varint_get(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    if (p >= end) {
        return 0;
    }
    if (p[0] < 0x80) {
        *v = p[0];
        return 1;
    }
    const size_t avail = (size_t)(end - p);
    const size_t stop = avail < 8 ? avail : 8;
    uint64_t x = p[0] & 0x7f;
    for (size_t i = 1; i < stop; i++) {
        x = x << 7 | (p[i] & 0x7f);
        if (p[i] < 0x80) {
            *v = x;
            return (int)i + 1;
        }
    }
    if (avail < 9) {
        return 0;
    }
    *v = x << 8 | p[8];
    return 9;
}

int varint_len(uint64_t v)
{
    if (v <= 0x7f) {
        return 1;
    }
    const int bits = 64 - __builtin_clzll(v);
    return bits > 56 ? 9 : (bits + 6) / 7;
}

int varint_put(uint8_t *p, uint64_t v)
{
    if (v <= 0x7f) {
        p[0] = (uint8_t)v;
        return 1;
    }
    const int n = varint_len(v);
    int i = n - 1;
    if (n == 9) {
        p[8] = (uint8_t)v;
        v >>= 8;
        i = 7;
    } else {
        p[i--] = (uint8_t)(v & 0x7f);
        v >>= 7;
    }
    for (; i >= 0; i--) {
        p[i] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    return n;
}

/* ---- serial types ------------------------------------------------------------------------- */

/* Body sizes of serial types 0..11 (10 and 11 are rejected before use). */
static const uint8_t fixed_size[12] = {0, 1, 2, 3, 4, 6, 8, 8, 0, 0, 0, 0};

/* Reads the header size: *hdr_len, and *hp = the offset of the first serial
 * type. The header must hold its own varint and fit in the record. */
static int header_of(const uint8_t *rec, uint32_t len, uint32_t *hdr_len, uint32_t *hp)
{
    if (len == 0) {
        return SEALDB_ECORRUPT;
    }
    uint64_t h;
    int n = 1;
    if (rec[0] < 0x80) {
        h = rec[0];
    } else if (!(n = varint_get(rec, rec + len, &h))) {
        return SEALDB_ECORRUPT;
    }
    if (h < (uint64_t)n || h > len) {
        return SEALDB_ECORRUPT;
    }
    *hdr_len = (uint32_t)h;
    *hp = (uint32_t)n;
    return SEALDB_OK;
}

/* One header step: the serial type at *hp (< hdr_len), whose body starts at
 * *bp. Advances *hp past the type and *bp past the body; *kind is the
 * serial type, or 12 / 13 for any BLOB / TEXT. */
static inline int step(const uint8_t *rec, uint32_t len, uint32_t hdr_len, uint32_t *hp,
                       uint32_t *bp, uint8_t *kind)
{
    assert(*hp < hdr_len && hdr_len <= len);
    uint64_t t = rec[*hp], size;
    if (t < 0x80) {
        *hp += 1;
    } else {
        const int n = varint_get(rec + *hp, rec + hdr_len, &t);
        if (!n) {
            return SEALDB_ECORRUPT; /* the varint runs past the header */
        }
        *hp += (uint32_t)n;
    }
    if (t >= 12) {
        size = (t - 12) >> 1;
        *kind = (uint8_t)(12 + (t & 1));
    } else if (t == 10 || t == 11) {
        return SEALDB_ECORRUPT;
    } else {
        size = fixed_size[t];
        *kind = (uint8_t)t;
    }
    if (size > (uint64_t)(len - *bp)) {
        return SEALDB_ECORRUPT; /* the body runs past the record */
    }
    *bp += (uint32_t)size;
    return SEALDB_OK;
}

static inline uint32_t be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The value of a body of the given kind and size. Integers are sign-extended
 * by multiplying the signed top byte (no shift of a negative value). */
static inline void value_of(uint8_t kind, const uint8_t *b, uint32_t size, record_value *out)
{
    out->type = RECORD_INTEGER;
    switch (kind) {
    case 0: out->type = RECORD_NULL; break;
    case 1: out->i = (int8_t)b[0]; break;
    case 2: out->i = (int64_t)(int8_t)b[0] * 256 + b[1]; break;
    case 3: out->i = (int64_t)(int8_t)b[0] * 65536 + be16(b + 1); break;
    case 4: out->i = (int64_t)(int8_t)b[0] * 16777216 + (be32(b) & 0xffffff); break;
    case 5: out->i = ((int64_t)(int8_t)b[0] * 256 + b[1]) * 4294967296 + be32(b + 2); break;
    case 6: out->i = (int64_t)((uint64_t)be32(b) << 32 | be32(b + 4)); break;
    case 7: {
        const uint64_t bits = (uint64_t)be32(b) << 32 | be32(b + 4);
        memcpy(&out->r, &bits, sizeof bits);
        out->type = isnan(out->r) ? RECORD_NULL : RECORD_REAL; /* NaN: as SQLite reads it */
        break;
    }
    case 8:
    case 9: out->i = kind - 8; break;
    default:
        assert(kind == 12 || kind == 13);
        out->type = kind == 12 ? RECORD_BLOB : RECORD_TEXT;
        out->p = b;
        out->n = size;
        break;
    }
}

/* ---- the reader ----------------------------------------------------------------------------- */

/* The header ended at column ncol with the bodies ending at bp. */
static int complete(record_reader *r, uint32_t ncol, uint32_t bp)
{
    if (bp != r->len) {
        return SEALDB_ECORRUPT; /* bytes after the last body */
    }
    r->ncol = ncol;
    r->complete = 1;
    return SEALDB_OK;
}

int record_reader_init(record_reader *r, const uint8_t *rec, uint32_t len)
{
    r->rec = rec;
    r->len = len;
    r->ncached = 0;
    r->far_col = 0;
    r->ncol = 0;
    r->complete = 0;
    int rc = header_of(rec, len, &r->hdr_len, &r->hp);
    if (rc != SEALDB_OK) {
        return rc;
    }
    r->off[0] = r->hdr_len;
    return r->hp == r->hdr_len ? complete(r, 0, r->hdr_len) : SEALDB_OK;
}

/* Parses serial types into the cache through column want, or to the end of
 * the header or of the cache, whichever comes first. */
static int fill(record_reader *r, uint32_t want)
{
    const uint32_t stop = want < RECORD_CACHE_COLS ? want + 1 : RECORD_CACHE_COLS;
    uint32_t i = r->ncached, hp = r->hp, bp = r->off[i];
    while (i < stop && hp < r->hdr_len) {
        uint8_t kind;
        if (step(r->rec, r->len, r->hdr_len, &hp, &bp, &kind) != SEALDB_OK) {
            return SEALDB_ECORRUPT;
        }
        r->kind[i] = kind;
        r->off[++i] = bp;
    }
    r->ncached = i;
    r->hp = hp;
    return hp == r->hdr_len ? complete(r, i, bp) : SEALDB_OK;
}

/* Walks past the full cache to column want (UINT32_MAX: to the end of the
 * header), from the last position reached or else from the cache's end.
 * *found: column want exists, *kind, *bp and *size describe it. */
static int walk(record_reader *r, uint32_t want, int *found, uint8_t *kind, uint32_t *bp,
                uint32_t *size)
{
    assert(r->ncached == RECORD_CACHE_COLS);
    uint32_t col = RECORD_CACHE_COLS, hp = r->hp, at = r->off[RECORD_CACHE_COLS];
    if (r->far_col > col && r->far_col <= want) {
        col = r->far_col;
        hp = r->far_hp;
        at = r->far_bp;
    }
    *found = 0;
    for (;; col++) {
        if (hp == r->hdr_len) {
            return complete(r, col, at);
        }
        const uint32_t col_hp = hp, col_bp = at;
        if (step(r->rec, r->len, r->hdr_len, &hp, &at, kind) != SEALDB_OK) {
            return SEALDB_ECORRUPT;
        }
        if (col == want) {
            if (hp == r->hdr_len && complete(r, col + 1, at) != SEALDB_OK) {
                return SEALDB_ECORRUPT; /* the last column: the record must end with it */
            }
            r->far_col = col;
            r->far_hp = col_hp;
            r->far_bp = col_bp;
            *found = 1;
            *bp = col_bp;
            *size = at - col_bp;
            return SEALDB_OK;
        }
    }
}

int record_column(record_reader *r, uint32_t i, record_value *out)
{
    if (i >= r->ncached && !r->complete && r->ncached < RECORD_CACHE_COLS) {
        const int rc = fill(r, i);
        if (rc != SEALDB_OK) {
            return rc;
        }
    }
    if (i < r->ncached) {
        value_of(r->kind[i], r->rec + r->off[i], r->off[i + 1] - r->off[i], out);
        return SEALDB_OK;
    }
    if (r->complete && i >= r->ncol) {
        out->type = RECORD_NULL; /* past the last column */
        return SEALDB_OK;
    }
    /* past the cache, which is full */
    int found;
    uint8_t kind;
    uint32_t bp, size;
    const int rc = walk(r, i, &found, &kind, &bp, &size);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (found) {
        value_of(kind, r->rec + bp, size, out);
    } else {
        out->type = RECORD_NULL;
    }
    return SEALDB_OK;
}

int record_reader_count(record_reader *r, uint32_t *ncol)
{
    if (!r->complete) {
        int rc = fill(r, RECORD_CACHE_COLS);
        if (rc == SEALDB_OK && !r->complete) {
            int found;
            uint8_t kind;
            uint32_t bp, size;
            rc = walk(r, UINT32_MAX, &found, &kind, &bp, &size);
        }
        if (rc != SEALDB_OK) {
            return rc;
        }
    }
    *ncol = r->ncol;
    return SEALDB_OK;
}

int record_decode(const uint8_t *rec, uint32_t len, record_value *out, uint32_t n, uint32_t *have)
{
    uint32_t hdr_len, hp, bp, i = 0;
    if (header_of(rec, len, &hdr_len, &hp) != SEALDB_OK) {
        return SEALDB_ECORRUPT;
    }
    bp = hdr_len;
    for (; i < n && hp < hdr_len; i++) {
        const uint32_t at = bp;
        uint8_t kind;
        if (step(rec, len, hdr_len, &hp, &bp, &kind) != SEALDB_OK) {
            return SEALDB_ECORRUPT;
        }
        value_of(kind, rec + at, bp - at, &out[i]);
    }
    if (hp == hdr_len && bp != len) {
        return SEALDB_ECORRUPT; /* bytes after the last body */
    }
    *have = i;
    for (; i < n; i++) {
        out[i].type = RECORD_NULL; /* past the last column */
    }
    return SEALDB_OK;
}

/* ---- encoding ------------------------------------------------------------------------------ */

/* The smallest integer serial type for i (0 and 1: types 8 and 9). */
static inline unsigned int_type(int64_t i)
{
    const uint64_t u = i < 0 ? ~(uint64_t)i : (uint64_t)i;
    if (u <= 127) {
        return (i == 0 || i == 1) ? 8 + (unsigned)i : 1;
    }
    if (u <= 32767) {
        return 2;
    }
    if (u <= 8388607) {
        return 3;
    }
    if (u <= 2147483647) {
        return 4;
    }
    if (u <= 140737488355327) {
        return 5;
    }
    return 6;
}

/* The serial type v is written with (UINT64_MAX: v is invalid), and the
 * integer or double its body holds. RECORD_REAL_AS_INT is SQLite's storage
 * in a REAL-affinity column: a number that is a whole value in
 * [-2^47, 2^47) is kept as an integer (it takes at most 6 bytes that way),
 * any other number as a double; the reader gives it back as an INTEGER and
 * the caller converts it to REAL by the column's affinity. */
static inline uint64_t serial_of(const record_value *v, uint8_t flags, int64_t *iv, double *rv)
{
    switch (v->type) {
    case RECORD_NULL: return 0;
    case RECORD_INTEGER: {
        const unsigned t = int_type(v->i);
        if (t == 6 && (flags & RECORD_REAL_AS_INT)) {
            *rv = (double)v->i;
            return 7;
        }
        *iv = v->i;
        return t;
    }
    case RECORD_REAL:
        if (isnan(v->r)) {
            return 0; /* SQLite stores a NaN as NULL */
        }
        if ((flags & RECORD_REAL_AS_INT) && v->r >= -140737488355328.0 &&
            v->r <= 140737488355327.0) {
            const int64_t i = (int64_t)v->r;
            if ((double)i == v->r) {
                *iv = i;
                return int_type(i);
            }
        }
        *rv = v->r;
        return 7;
    case RECORD_TEXT:
    case RECORD_BLOB:
        if (!v->p && v->n) {
            return UINT64_MAX;
        }
        return 12 + (v->type == RECORD_TEXT) + 2 * (uint64_t)v->n;
    default: return UINT64_MAX;
    }
}

static inline uint64_t body_size(uint64_t t)
{
    return t >= 12 ? (t - 12) >> 1 : fixed_size[t];
}

/* Sizes the record: *hdr_len (its header) and *total. */
static int size_of(const record_value *v, uint32_t n, const uint8_t *col_flags, uint32_t *hdr_len,
                   uint32_t *total)
{
    uint64_t types = 0, body = 0;
    for (uint32_t i = 0; i < n; i++) {
        int64_t iv;
        double rv;
        const uint64_t t = serial_of(&v[i], col_flags ? col_flags[i] : 0, &iv, &rv);
        if (t == UINT64_MAX) {
            return SEALDB_EINVAL;
        }
        types += (uint64_t)varint_len(t);
        body += body_size(t);
        if (types + body > UINT32_MAX) {
            return SEALDB_ETOOBIG;
        }
    }
    /* the header size counts its own varint, which may grow by a byte */
    uint64_t h = types + (uint64_t)varint_len(types);
    if (varint_len(h) > varint_len(types)) {
        h++;
    }
    if (h + body > UINT32_MAX) {
        return SEALDB_ETOOBIG;
    }
    *hdr_len = (uint32_t)h;
    *total = (uint32_t)(h + body);
    return SEALDB_OK;
}

int record_size(const record_value *v, uint32_t n, const uint8_t *col_flags, uint32_t *size)
{
    uint32_t hdr_len;
    return size_of(v, n, col_flags, &hdr_len, size);
}

static inline void put_be(uint8_t *p, uint64_t x, unsigned n)
{
    for (unsigned k = n; k-- > 0;) {
        p[k] = (uint8_t)x;
        x >>= 8;
    }
}

int record_encode(const record_value *v, uint32_t n, const uint8_t *col_flags, uint8_t *out,
                  uint32_t cap, uint32_t *written)
{
    uint32_t hdr_len, total;
    const int rc = size_of(v, n, col_flags, &hdr_len, &total);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (total > cap) {
        return SEALDB_EINVAL;
    }
    uint32_t hp = (uint32_t)varint_put(out, hdr_len), bp = hdr_len;
    for (uint32_t i = 0; i < n; i++) {
        int64_t iv = 0;
        double rv = 0;
        const uint64_t t = serial_of(&v[i], col_flags ? col_flags[i] : 0, &iv, &rv);
        hp += (uint32_t)varint_put(out + hp, t);
        const uint32_t size = (uint32_t)body_size(t);
        if (t >= 12) {
            if (size) {
                memcpy(out + bp, v[i].p, size);
            }
        } else if (t == 7) {
            uint64_t bits;
            memcpy(&bits, &rv, sizeof bits);
            put_be(out + bp, bits, 8);
        } else {
            put_be(out + bp, (uint64_t)iv, size);
        }
        bp += size;
    }
    assert(hp == hdr_len && bp == total);
    *written = total;
    return SEALDB_OK;
}

/* ---- order ------------------------------------------------------------------------------- */

/* Comparison class: NULL 0, number 1, TEXT 2, BLOB 3. A NaN is NULL. */
static inline int class_of(const record_value *v)
{
    static const uint8_t cls[] = {0, 1, 1, 2, 3};
    assert(v->type <= RECORD_BLOB);
    return v->type == RECORD_REAL && isnan(v->r) ? 0 : cls[v->type];
}

/* An integer against a double (not NaN), exactly: no rounding of either. */
static inline int int_real(int64_t i, double r)
{
    if (r < -9223372036854775808.0) {
        return 1;
    }
    if (r >= 9223372036854775808.0) {
        return -1;
    }
    /* r is inside int64's range: y is r without its fraction. If i differs
     * from y it is on the same side of r; if equal, r and i share the
     * integer part and (double)i is exact whenever r can have a fraction. */
    const int64_t y = (int64_t)r;
    if (i != y) {
        return i < y ? -1 : 1;
    }
    const double s = (double)i;
    return (s > r) - (s < r);
}

static inline int bytes_cmp(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn)
{
    const uint32_t n = an < bn ? an : bn;
    const int c = n ? memcmp(a, b, n) : 0;
    if (c) {
        return c < 0 ? -1 : 1;
    }
    return (an > bn) - (an < bn);
}

static inline uint8_t fold(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* SQLite's NOCASE, byte for byte: ASCII letters folded to lower case; the
 * scan also stops at a NUL byte in a, where a NUL in b compares equal and
 * the lengths decide. */
static int nocase_cmp(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn)
{
    const uint32_t n = an < bn ? an : bn;
    for (uint32_t k = 0; k < n; k++) {
        const uint8_t x = fold(a[k]), y = fold(b[k]);
        if (x == 0) {
            if (y != 0) {
                return -1;
            }
            break;
        }
        if (x != y) {
            return x < y ? -1 : 1;
        }
    }
    return (an > bn) - (an < bn);
}

static inline int text_cmp(const record_value *a, const record_value *b, record_collation coll)
{
    uint32_t an = a->n, bn = b->n;
    switch (coll) {
    case RECORD_NOCASE: return nocase_cmp(a->p, an, b->p, bn);
    case RECORD_RTRIM:
        while (an && a->p[an - 1] == ' ') {
            an--;
        }
        while (bn && b->p[bn - 1] == ' ') {
            bn--;
        }
        return bytes_cmp(a->p, an, b->p, bn);
    default: return bytes_cmp(a->p, an, b->p, bn);
    }
}

static inline int compare_values(const record_value *a, const record_value *b,
                                 record_collation coll)
{
    const int ca = class_of(a), cb = class_of(b);
    if (ca != cb) {
        return ca < cb ? -1 : 1;
    }
    switch (ca) {
    case 0: return 0;
    case 1:
        if (a->type == RECORD_INTEGER) {
            return b->type == RECORD_INTEGER ? (a->i > b->i) - (a->i < b->i) : int_real(a->i, b->r);
        }
        if (b->type == RECORD_INTEGER) {
            return -int_real(b->i, a->r);
        }
        return (a->r > b->r) - (a->r < b->r);
    case 2: return text_cmp(a, b, coll);
    default: return bytes_cmp(a->p, a->n, b->p, b->n);
    }
}

int record_compare_values(const record_value *a, const record_value *b, record_collation coll)
{
    return compare_values(a, b, coll);
}

/* A forward walk over a record's fields, for the comparisons. */
typedef struct fields {
    const uint8_t *rec;
    uint32_t len, hdr_len, hp, bp;
} fields;

static inline int fields_init(fields *f, const uint8_t *rec, uint32_t len)
{
    f->rec = rec;
    f->len = len;
    if (header_of(rec, len, &f->hdr_len, &f->hp) != SEALDB_OK) {
        return SEALDB_ECORRUPT;
    }
    f->bp = f->hdr_len;
    return SEALDB_OK;
}

/* The next field into *v: 1, 0 past the last one, -1 for a malformed record. */
static inline int fields_next(fields *f, record_value *v)
{
    if (f->hp >= f->hdr_len) {
        return 0;
    }
    const uint32_t at = f->bp;
    uint8_t kind;
    if (step(f->rec, f->len, f->hdr_len, &f->hp, &f->bp, &kind) != SEALDB_OK) {
        return -1;
    }
    value_of(kind, f->rec + at, f->bp - at, v);
    return 1;
}

/* The integer in a record's first field when the header is one byte and
 * the field an integer (serial types 1-6, 8, 9) within len: 1, else 0. */
static inline int first_int(const uint8_t *rec, uint32_t len, int64_t *v)
{
    static const uint8_t width[10] = {0, 1, 2, 3, 4, 6, 8, 0, 0, 0};
    if (len < 2 || rec[0] < 2 || rec[0] >= 0x80) {
        return 0;
    }
    const uint8_t t = rec[1];
    if (t == 8 || t == 9) {
        *v = t - 8;
        return 1;
    }
    if (t < 1 || t > 6 || (uint32_t)rec[0] + width[t] > len) {
        return 0;
    }
    const uint8_t *p = rec + rec[0];
    uint64_t u = p[0] & 0x80 ? ~(uint64_t)0 : 0; /* sign-extended */
    for (uint32_t k = 0; k < width[t]; k++) {
        u = u << 8 | p[k];
    }
    *v = (int64_t)u;
    return 1;
}

int record_compare(const uint8_t *rec, uint32_t len, const record_value *key, uint32_t n_fields,
                   const uint8_t *coll, const uint8_t *desc, int default_rc, int *result)
{
    int64_t first;
    if (n_fields && key[0].type == RECORD_INTEGER && first_int(rec, len, &first) &&
        first != key[0].i) {
        /* an integer first field that decides: no header walk */
        const int c = first < key[0].i ? -1 : 1;
        *result = desc && desc[0] ? -c : c;
        return SEALDB_OK;
    }
    fields f;
    if (fields_init(&f, rec, len) != SEALDB_OK) {
        return SEALDB_ECORRUPT;
    }
    for (uint32_t i = 0; i < n_fields; i++) {
        record_value v = {0}; /* set by fields_next; zeroed for the compiler's flow analysis */
        const int got = fields_next(&f, &v);
        if (got < 0) {
            return SEALDB_ECORRUPT;
        }
        if (got == 0) {
            break;
        }
        const int c = compare_values(&v, &key[i], coll ? (record_collation)coll[i] : RECORD_BINARY);
        if (c) {
            *result = desc && desc[i] ? -c : c;
            return SEALDB_OK;
        }
    }
    *result = default_rc;
    return SEALDB_OK;
}

int record_compare_records(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen,
                           uint32_t n_fields, const uint8_t *coll, const uint8_t *desc, int *result)
{
    fields fa, fb;
    if (fields_init(&fa, a, alen) != SEALDB_OK || fields_init(&fb, b, blen) != SEALDB_OK) {
        return SEALDB_ECORRUPT;
    }
    for (uint32_t i = 0; i < n_fields; i++) {
        record_value va = {0}, vb = {0};
        const int ga = fields_next(&fa, &va), gb = fields_next(&fb, &vb);
        if (ga < 0 || gb < 0) {
            return SEALDB_ECORRUPT;
        }
        if (ga == 0 || gb == 0) {
            break;
        }
        const int c = compare_values(&va, &vb, coll ? (record_collation)coll[i] : RECORD_BINARY);
        if (c) {
            *result = desc && desc[i] ? -c : c;
            return SEALDB_OK;
        }
    }
    *result = 0;
    return SEALDB_OK;
}

int record_key_compare(void *key, const uint8_t *rec, uint32_t len, int *result)
{
    const record_key *k = key;
    return record_compare(rec, len, k->fields, k->n_fields, k->coll, k->desc, k->default_rc,
                          result);
}

int record_key_order(void *key, const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen,
                     int *result)
{
    const record_key *k = key;
    return record_compare_records(a, alen, b, blen, k->n_fields, k->coll, k->desc, result);
}
