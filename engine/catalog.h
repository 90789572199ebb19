/*
 * catalog.h - the schema of a database as the native engine sees it
 * (engine/catalog.c).
 *
 * A catalog is read from sqlite_schema (the table B-tree rooted at page 1)
 * through a btree_pages source and describes every table and index: columns,
 * affinities, defaults, NOT NULL, the INTEGER PRIMARY KEY, and each index's
 * columns, collations, directions and uniqueness. Schema SQL is parsed by
 * SQLite itself (an in-memory database replays the CREATE statements and is
 * asked through its PRAGMAs), so the catalog agrees with SQLite on every
 * detail of the grammar. It also says, per table and index, whether the
 * native engine may write it, and if not why.
 *
 * A catalog is immutable once loaded: a schema change loads a new one.
 */
#ifndef SEALDB_CATALOG_H
#define SEALDB_CATALOG_H

#include <stdint.h>

#include "btree.h"
#include "record.h"
#include "sealdb.h"

/* Column affinities, as SQLite derives them from the declared type. */
typedef enum catalog_affinity {
    AFF_BLOB = 0, /* none: values stored as given */
    AFF_TEXT = 1,
    AFF_NUMERIC = 2,
    AFF_INTEGER = 3,
    AFF_REAL = 4,
} catalog_affinity;

typedef struct catalog_column {
    char *name;
    uint8_t affinity;    /* catalog_affinity */
    uint8_t notnull;     /* NOT NULL */
    uint8_t hidden;      /* 0; a generated column: 2 VIRTUAL (not in the record), 3 STORED */
    uint8_t coll;        /* the column's collation (record_collation) */
    record_value dflt;   /* the default a missing column reads as (RECORD_NULL: none) */
    uint8_t dflt_is_set; /* dflt came from a DEFAULT clause */
} catalog_column;

typedef struct catalog_table catalog_table;

typedef struct catalog_index {
    char *name;
    uint32_t root;
    catalog_table *table;
    uint32_t ncol;          /* key columns, the rowid not counted */
    int32_t *cols;          /* table column of each key column; -2: an expression */
    uint8_t *coll;          /* ncol + 1 record_collation entries (the last, the rowid's: BINARY) */
    uint8_t *desc;          /* ncol + 1 entries, nonzero for DESC (the rowid's: 0) */
    uint8_t unique;         /* UNIQUE or PRIMARY KEY index */
    char origin;            /* 'c' CREATE INDEX, 'u' UNIQUE constraint, 'p' PRIMARY KEY */
    uint8_t partial;        /* has a WHERE clause */
    const char *unwritable; /* NULL, or why the native engine must not write it */
} catalog_index;

struct catalog_table {
    char *name;
    uint32_t root;
    uint32_t ncol;
    catalog_column *cols;
    int32_t ipk;           /* the INTEGER PRIMARY KEY column (rowid alias), or -1 */
    uint8_t without_rowid; /* the root is an index B-tree */
    uint8_t *col_flags;    /* per column: RECORD_REAL_AS_INT for REAL affinity (record_encode) */
    uint32_t nindex;
    catalog_index **indexes; /* every index on this table, in sqlite_schema order */
    const char *unwritable;  /* NULL, or why the native engine must not write it */
};

typedef struct catalog {
    uint32_t nentries;
    sealdb_schema_entry *entries; /* sqlite_schema rows, in order (strings owned) */
    int64_t *rowids;              /* each entry's rowid in sqlite_schema */
    uint32_t ntables;
    catalog_table *tables; /* every "table" entry, sqlite_schema (root 1) included */
    uint32_t nindexes;
    catalog_index *indexes; /* every "index" entry with a root page */
} catalog;

/* Reads sqlite_schema through src (page 1's B-tree) and builds the catalog.
 * SEALDB_OK; SEALDB_ECORRUPT (a malformed schema row or page, named in the
 * message); SEALDB_EFORMAT (schema SQL that SQLite refuses); SEALDB_ENOMEM;
 * or the error of src. An empty database (page count 0 or 1 with no rows)
 * gives a catalog holding only sqlite_schema. */
int catalog_load(catalog **out, btree_pages *src, sealdb_error *err);
void catalog_free(catalog *c);

/* Lookups by name, case-insensitive (ASCII), as SQL names are. NULL if none. */
catalog_table *catalog_table_find(const catalog *c, const char *name);
catalog_index *catalog_index_find(const catalog *c, const char *name);

/* ---- writing the schema (a write batch: src has write/allocate/release) ---- */

/* Runs one CREATE TABLE or CREATE INDEX statement against the database
 * whose current catalog is cur (page 1 must exist): checks it with SQLite
 * (collations must be ones the schema already names, or BINARY, NOCASE,
 * RTRIM), allocates root pages in SQLite's order,
 * appends the sqlite_schema rows SQLite would write (the statement's own
 * row, and one per automatic index of a UNIQUE or PRIMARY KEY constraint,
 * named as SQLite names them), bumps the schema cookie (page 1 offset 40)
 * and, on a database that had no schema, sets the schema format (offset 44,
 * 4) and text encoding (offset 56, 1 = UTF-8). A new index is filled from
 * the table's rows (SEALDB_ECONSTRAINT if it is UNIQUE and two rows have
 * equal keys without NULLs). *changed is 0 when IF NOT EXISTS found the
 * object present (nothing written). The caller loads a new catalog after.
 * SEALDB_EINVAL (not one such statement, or SQL SQLite refuses: its message
 * is in err), SEALDB_EUNSUPPORTED (anything else: views, triggers, virtual
 * tables, TEMP, CREATE TABLE ... AS SELECT; an index the engine cannot
 * compute over existing rows: partial, expression, unknown collation, on a
 * WITHOUT ROWID table or a table with generated columns), SEALDB_ECORRUPT,
 * and src's errors. The refusals (SEALDB_EINVAL, SEALDB_EUNSUPPORTED,
 * SEALDB_ECONSTRAINT: a new UNIQUE index's entries are collected and
 * checked first) come before anything is written; after any other error
 * pages may have been written and the caller rolls its write batch back. */
int catalog_create(const catalog *cur, btree_pages *src, const char *sql, int *changed,
                   sealdb_error *err);

/* Drops table `name` with its indexes, or index `name`: their pages are
 * freed, their sqlite_schema rows deleted (and a table's sqlite_sequence
 * row) and the schema cookie bumped. SEALDB_ENOTFOUND; SEALDB_EUNSUPPORTED
 * (sqlite_ internal tables, virtual tables, indexes of UNIQUE or PRIMARY
 * KEY constraints, tables that views or triggers name: a view "names" a
 * table when its SQL holds the name as an identifier): these refusals
 * come before anything is written. Other errors may come after a write
 * began and leave the batch for the caller to roll back. */
int catalog_drop_table(const catalog *cur, btree_pages *src, const char *name, sealdb_error *err);
int catalog_drop_index(const catalog *cur, btree_pages *src, const char *name, sealdb_error *err);

/* ---- affinity ---- */

/* Applies affinity aff to *v as SQLite's INSERT does. TEXT that is a
 * well-formed number (surrounding spaces allowed) becomes INTEGER or REAL
 * under NUMERIC, INTEGER and REAL affinity; a REAL with an exact integer
 * value in range becomes INTEGER under NUMERIC and INTEGER affinity; an
 * INTEGER becomes REAL under REAL affinity; under TEXT affinity numbers
 * become their text (integers in decimal, reals with 15 significant digits
 * as SQLite prints them), written into buf (at least CATALOG_NUMTEXT_MAX
 * bytes) that *v then points to. BLOB and NULL values are never changed. */
#define CATALOG_NUMTEXT_MAX 32
void catalog_apply_affinity(uint8_t aff, record_value *v, char *buf);

#endif /* SEALDB_CATALOG_H */
