/*
 * record.h - SQLite's record format and key order (engine/record.c).
 *
 * A record is the payload of a table row or an index entry: a header (its
 * own size as a varint, then one serial type per column) followed by the
 * column bodies in the same order. docs/RECORDS.md describes the format as
 * sealdb reads it, the serial types, the strictness rules and the order.
 *
 * Nothing here allocates. Decoded TEXT and BLOB values point into the
 * record, so they live as long as its bytes do. Every function that reads a
 * record checks each byte it takes against the record's length and returns
 * SEALDB_ECORRUPT for a malformed one; none reads out of bounds or loops
 * longer than the record is long.
 */
#ifndef SEALDB_RECORD_H
#define SEALDB_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "sealdb.h"

/* ---- varints: 1..9 bytes, big-endian, 7 bits a byte, the 9th byte all 8 bits ---- */

#define VARINT_MAX 9 /* the longest varint, in bytes */

/* Reads the varint at p into *v; its length, or 0 if it would read at or past end. */
int varint_get(const uint8_t *p, const uint8_t *end, uint64_t *v);
/* varint_get, inline for the 1- and 2-byte forms (cell sizes, small rowids)
 * that hot loops meet most; longer ones go to varint_get. */
static inline int varint_get_fast(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
    if (end - p >= 2) {
        if (p[0] < 0x80) {
            *v = p[0];
            return 1;
        }
        if (p[1] < 0x80) {
            *v = (uint64_t)(p[0] & 0x7f) << 7 | p[1];
            return 2;
        }
    }
    return varint_get(p, end, v);
}
/* Writes v at p in the shortest form (p has room for VARINT_MAX bytes); its length. */
int varint_put(uint8_t *p, uint64_t v);
/* The length of v's shortest form, 1..9. */
int varint_len(uint64_t v);

/* ---- values ---- */

/* A value's type, in the order of the comparison classes (NULL < numbers <
 * TEXT < BLOB; INTEGER and REAL compare as numbers). */
typedef enum record_type {
    RECORD_NULL = 0,
    RECORD_INTEGER = 1,
    RECORD_REAL = 2,
    RECORD_TEXT = 3, /* UTF-8, not NUL-terminated, may contain NUL bytes */
    RECORD_BLOB = 4,
} record_type;

/* One column's value (16 bytes). TEXT and BLOB: n bytes at p (p may be
 * NULL when n is 0); a decoded one points into the record. */
typedef struct record_value {
    uint8_t type; /* record_type */
    uint32_t n;   /* TEXT, BLOB: length in bytes */
    union {
        int64_t i;        /* INTEGER */
        double r;         /* REAL; a NaN is treated as NULL (SQLite stores none) */
        const uint8_t *p; /* TEXT, BLOB */
    };
} record_value;

/* Collating sequences for TEXT (other types ignore them). */
typedef enum record_collation {
    RECORD_BINARY = 0, /* memcmp, then the shorter first */
    RECORD_NOCASE = 1, /* as BINARY with ASCII A-Z folded to a-z (SQLite's exact rule) */
    RECORD_RTRIM = 2,  /* as BINARY with trailing spaces (0x20) ignored */
} record_collation;

/* ---- decoding ---- */

/* Columns whose serial type and offsets a reader keeps; a column further on
 * is found by walking the header on from the last one reached. It sets the
 * layout of record_reader: define it for the whole build or not at all. */
#ifndef RECORD_CACHE_COLS
#define RECORD_CACHE_COLS 32
#endif

/* A reader over one record: parses the header lazily, as far as the columns
 * asked for, and caches what it parsed. Fields are private to record.c. */
typedef struct record_reader {
    const uint8_t *rec;
    uint32_t len;
    uint32_t hdr_len;                    /* header size = offset of column 0's body */
    uint32_t ncached;                    /* columns in kind[] and off[] */
    uint32_t hp;                         /* header offset of column ncached's serial type */
    uint32_t far_col;                    /* past the cache: last column reached (0: none) */
    uint32_t far_hp;                     /*   its serial type's header offset */
    uint32_t far_bp;                     /*   its body's offset */
    uint32_t ncol;                       /* columns in the record, once complete */
    int complete;                        /* the whole header is parsed and checked */
    uint8_t kind[RECORD_CACHE_COLS];     /* serial type; 12 any BLOB, 13 any TEXT */
    uint32_t off[RECORD_CACHE_COLS + 1]; /* column i's body is off[i]..off[i + 1] */
} record_reader;

/* Starts reading the record rec (len bytes): checks the header size.
 * SEALDB_OK, or SEALDB_ECORRUPT (empty record, header size past the record
 * or shorter than its own varint, a record without columns but with bytes). */
int record_reader_init(record_reader *r, const uint8_t *rec, uint32_t len);

/* Column i into *out: SQLite's value for its serial type; NULL for a column
 * past the record's last (a column added later: the caller applies its
 * default). SEALDB_OK, or SEALDB_ECORRUPT if the header up to column i or
 * column i's body is malformed, or if the header ends there and bytes
 * follow the last body. Nothing further on is checked. */
int record_column(record_reader *r, uint32_t i, record_value *out);

/* The number of columns into *ncol, after checking the whole record: every
 * serial type within the header, none reserved, and the bodies filling the
 * record exactly. SEALDB_OK or SEALDB_ECORRUPT. */
int record_reader_count(record_reader *r, uint32_t *ncol);

/* Decodes columns 0..n-1 of the record rec (len bytes) into out[0..n) in
 * one pass, as record_column would; columns past the record's last read
 * NULL and *have is the number of the n the record holds (when *have < n
 * the whole record was read and checked). SEALDB_OK or SEALDB_ECORRUPT. */
int record_decode(const uint8_t *rec, uint32_t len, record_value *out, uint32_t n, uint32_t *have);

/* ---- encoding ---- */

/* Per-column encoding flags. */
#define RECORD_REAL_AS_INT 0x01 /* a REAL-affinity column: numbers stored as SQLite does there */

/* The size in bytes of the record of values v[0..n) into *size. col_flags:
 * RECORD_* flags per column, or NULL for none. SEALDB_OK; SEALDB_EINVAL for
 * an unknown type or a TEXT/BLOB with n > 0 and p NULL; SEALDB_ETOOBIG if
 * the record would exceed UINT32_MAX bytes. */
int record_size(const record_value *v, uint32_t n, const uint8_t *col_flags, uint32_t *size);

/* Writes the record of v[0..n) into out (cap bytes) and its size into
 * *written: integers in the smallest serial type (0 and 1 as types 8 and 9),
 * REAL as type 7 (whole values too), NaN as NULL. With RECORD_REAL_AS_INT a
 * number (INTEGER or REAL) that is a whole value in [-2^47, 2^47) is stored
 * as an integer and any other number as type 7. Errors as record_size, and
 * SEALDB_EINVAL if cap is too small. */
int record_encode(const record_value *v, uint32_t n, const uint8_t *col_flags, uint8_t *out,
                  uint32_t cap, uint32_t *written);

/* ---- order ---- */

/* SQLite's order of two values: -1 if a sorts first, 0 equal, +1 after.
 * NULL < INTEGER, REAL (by exact numeric value) < TEXT (by the collation) <
 * BLOB (memcmp, then shorter first). */
int record_compare_values(const record_value *a, const record_value *b, record_collation coll);

/* Compares the record rec (len bytes, e.g. an index entry) with the
 * unpacked key[0..n_fields) field by field; field i uses coll[i] (NULL: all
 * BINARY) and is reversed where desc[i] is nonzero (NULL: all ascending).
 * *result -1 if the record sorts before the key, +1 after; when every field
 * compared is equal and either side ran out of fields (a prefix key, or a
 * record with fewer fields), *result = default_rc: 0 for "equal", +1 to
 * place the key before every record it prefixes (seek to the first entry
 * >= key), -1 after them (the last entry <= key). SEALDB_OK, or
 * SEALDB_ECORRUPT for a record malformed in the fields compared. */
int record_compare(const uint8_t *rec, uint32_t len, const record_value *key, uint32_t n_fields,
                   const uint8_t *coll, const uint8_t *desc, int default_rc, int *result);

/* Compares two records over their first n_fields fields as record_compare
 * does with default_rc 0: *result -1 if a sorts before b, 0, +1.
 * SEALDB_OK, or SEALDB_ECORRUPT if either is malformed in those fields. */
int record_compare_records(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen,
                           uint32_t n_fields, const uint8_t *coll, const uint8_t *desc,
                           int *result);

/* An index key and its order, for the B-tree's comparison callbacks
 * (btree_compare_fn and btree_record_fn in engine/btree.h). */
typedef struct record_key {
    const record_value *fields; /* the key (record_key_order ignores it) */
    uint32_t n_fields;          /* fields compared */
    const uint8_t *coll;        /* record_collation per field, or NULL */
    const uint8_t *desc;        /* nonzero per DESC field, or NULL */
    int default_rc;             /* as in record_compare */
} record_key;

/* record_compare against the record_key at key: a btree_compare_fn. */
int record_key_compare(void *key, const uint8_t *rec, uint32_t len, int *result);
/* record_compare_records in the order of the record_key at key: a btree_record_fn. */
int record_key_order(void *key, const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen,
                     int *result);

#endif /* SEALDB_RECORD_H */
