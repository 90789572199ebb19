/*
 * test_btree.c - B-tree cursors (engine/btree.c) on databases SQLite wrote.
 *
 * SQLite builds plain databases of every page size, with and without
 * autovacuum, holding rows from empty to several pages long (overflow
 * chains), sparse rowids, two indexes and a freelist; the cursors read them
 * page by page from the file and must see exactly what SQLite's own queries
 * return: the same rowids in the same order both ways, the same payload
 * bytes, the same index order, and seeks that land where SQLite's ordering
 * says. Then damaged pages: every flipped byte gives SEALDB_OK or
 * SEALDB_ECORRUPT, never a crash (run under the sanitizers in CI).
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btree.h"
#include "check.h"

static char dir[256];

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* ---- a page source over a file image in memory ---------------------------------------------- */

typedef struct image {
    uint8_t *bytes;
    size_t len;
    uint32_t page_size;
    int gets, puts; /* every get is matched by a put */
} image;

static int image_get(void *ctx, uint32_t pgno, const uint8_t **data, void **ref)
{
    image *im = ctx;
    if ((size_t)pgno * im->page_size > im->len) {
        return SEALDB_EIO;
    }
    *data = im->bytes + (size_t)(pgno - 1) * im->page_size;
    *ref = NULL;
    im->gets++;
    return SEALDB_OK;
}

static void image_put(void *ctx, void *ref)
{
    (void)ref;
    ((image *)ctx)->puts++;
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
    im->bytes = malloc(im->len);
    const size_t got = fread(im->bytes, 1, im->len, f);
    fclose(f);
    im->page_size = (uint32_t)im->bytes[16] << 8 | im->bytes[17];
    if (im->page_size == 1) {
        im->page_size = 65536;
    }
    im->gets = im->puts = 0;
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

/* ---- SQLite helpers ---------------------------------------------------------------------------
 */

static void exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "sql error %s in %s\n", err, sql);
        sqlite3_free(err);
        CHECK(0);
    }
}

static int root_of(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "SELECT rootpage FROM sqlite_schema WHERE name = ?", -1, &st, NULL);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    const int root = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return root;
}

/* Rows as SQLite returns them. */
typedef struct row {
    int64_t id;
    int64_t n;
    char *s;
    int len;
} row;

static row *rows_of(sqlite3 *db, const char *sql, int *count)
{
    sqlite3_stmt *st;
    CHECK_INT(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    int cap = 64, n = 0;
    row *r = malloc(sizeof *r * (size_t)cap);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            cap *= 2;
            r = realloc(r, sizeof *r * (size_t)cap);
        }
        r[n].id = sqlite3_column_int64(st, 0);
        r[n].n = sqlite3_column_int64(st, 1);
        r[n].len = sqlite3_column_bytes(st, 2);
        r[n].s = malloc((size_t)r[n].len + 1);
        memcpy(r[n].s, sqlite3_column_text(st, 2), (size_t)r[n].len + 1);
        n++;
    }
    sqlite3_finalize(st);
    *count = n;
    return r;
}

static void rows_free(row *r, int n)
{
    for (int i = 0; i < n; i++) {
        free(r[i].s);
    }
    free(r);
}

/* ---- a minimal record reader for the test's own shapes -------------------------------------- */

static int varint(const uint8_t *p, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < 8; i++) {
        x = x << 7 | (p[i] & 0x7f);
        if (!(p[i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    *v = x << 8 | p[8];
    return 9;
}

/* Column k of a record whose columns are integers, NULL or text: type and
 * value (integer) or pointer and length (text). */
static int column(const uint8_t *rec, uint32_t len, int k, int64_t *ival, const uint8_t **text,
                  int *tlen)
{
    uint64_t hlen, type;
    uint32_t h = (uint32_t)varint(rec, &hlen), body = (uint32_t)hlen;
    for (int i = 0; h < hlen; i++) {
        h += (uint32_t)varint(rec + h, &type);
        uint32_t size = type >= 12  ? (uint32_t)(type - 12) / 2
                        : type <= 4 ? (uint32_t)type
                        : type == 5 ? 6
                        : type <= 7 ? 8
                                    : 0;
        if (i == k) {
            if (body + size > len) {
                return -1;
            }
            if (type >= 13) {
                *text = rec + body;
                *tlen = (int)size;
                return 3;
            }
            int64_t v = 0;
            if (type == 8 || type == 9) {
                v = (int64_t)type - 8;
            } else if (type >= 1 && type <= 6) {
                v = (int8_t)rec[body];
                for (uint32_t b = 1; b < size; b++) {
                    v = (int64_t)((uint64_t)v << 8 | rec[body + b]);
                }
            }
            *ival = v;
            return type == 0 ? 0 : 1;
        }
        body += size;
    }
    return -1;
}

/* ---- the checks ---------------------------------------------------------------------------------
 */

/* A full scan of the table both ways and a seek to every rowid, to the gaps
 * and past both ends. */
static void check_table(image *im, uint32_t root, const row *want, int n)
{
    btree_pages src = source_of(im);
    btree_cursor c;
    CHECK_INT(btree_cursor_init(&c, &src, root, 0), SEALDB_OK);
    int eof = 0, i = 0, bad = 0;
    int rc = btree_first(&c, &eof);
    for (; rc == SEALDB_OK && !eof; rc = btree_next(&c, &eof), i++) {
        const uint8_t *p;
        uint32_t len;
        if (i >= n || btree_rowid(&c) != want[i].id || btree_payload(&c, &p, &len) != SEALDB_OK) {
            bad++;
            continue;
        }
        int64_t v = -1;
        const uint8_t *t = NULL;
        int tl = -1;
        if (column(p, len, 1, &v, &t, &tl) != 1 || v != want[i].n ||
            column(p, len, 2, &v, &t, &tl) != 3 || tl != want[i].len ||
            memcmp(t, want[i].s, (size_t)tl) != 0) {
            bad++;
        }
    }
    CHECK_INT(rc, SEALDB_OK);
    CHECK_INT(i, n);
    CHECK_INT(bad, 0);
    i = n - 1;
    bad = 0;
    for (rc = btree_last(&c, &eof); rc == SEALDB_OK && !eof; rc = btree_prev(&c, &eof), i--) {
        bad += i < 0 || btree_rowid(&c) != want[i].id;
    }
    CHECK_INT(rc, SEALDB_OK);
    CHECK_INT(i, -1);
    CHECK_INT(bad, 0);
    /* seeks */
    bad = 0;
    for (int k = 0; k < n; k++) {
        int cmp = 9;
        rc = btree_seek_rowid(&c, want[k].id, &cmp, &eof);
        bad += rc != SEALDB_OK || eof || cmp != 0 || btree_rowid(&c) != want[k].id;
        if (k + 1 < n && want[k + 1].id > want[k].id + 1) {
            rc = btree_seek_rowid(&c, want[k].id + 1, &cmp, &eof);
            bad += rc != SEALDB_OK || eof || cmp <= 0 || btree_rowid(&c) != want[k + 1].id;
            /* and the cursor goes on from there */
            rc = btree_prev(&c, &eof);
            bad += rc != SEALDB_OK || eof || btree_rowid(&c) != want[k].id;
        }
    }
    CHECK_INT(bad, 0);
    int cmp = 9;
    if (n > 0) {
        CHECK_INT(btree_seek_rowid(&c, want[n - 1].id + 1000, &cmp, &eof), SEALDB_OK);
        CHECK(!eof && cmp < 0 && btree_rowid(&c) == want[n - 1].id);
        CHECK_INT(btree_seek_rowid(&c, want[0].id - 1, &cmp, &eof), SEALDB_OK);
        CHECK(!eof && cmp > 0 && btree_rowid(&c) == want[0].id);
    } else {
        CHECK_INT(btree_seek_rowid(&c, 5, &cmp, &eof), SEALDB_OK);
        CHECK_INT(eof, 1);
    }
    btree_cursor_close(&c);
    CHECK_INT(im->gets, im->puts);
}

/* The same cursor state after a seek: rc, cmp, eof, and the entry's rowid
 * and payload bytes (or the same error reading them: on a damaged page). */
static int same_seek(btree_cursor *a, int rca, int cmpa, int eofa, btree_cursor *b, int rcb,
                     int cmpb, int eofb)
{
    if (rca != rcb || (rca == SEALDB_OK && (cmpa != cmpb || eofa != eofb))) {
        return 0;
    }
    if (rca != SEALDB_OK || eofa) {
        return 1;
    }
    const uint8_t *pa, *pb;
    uint32_t la, lb;
    if (btree_rowid(a) != btree_rowid(b)) {
        return 0;
    }
    const int ra = btree_payload(a, &pa, &la), rb = btree_payload(b, &pb, &lb);
    return ra == rb && (ra != SEALDB_OK || (la == lb && memcmp(pa, pb, la) == 0));
}

#define RING 8

/* Rows read ahead (btree_ahead_*), as an index scan reads them: in a
 * random order, each found RING rows before it is read and primed half way,
 * some of them absent; every answer must be btree_seek_rowid's, and so
 * must a step from there. */
static void check_ahead(image *im, uint32_t root, const row *want, int n)
{
    btree_pages src = source_of(im);
    btree_cursor scout, c, ref;
    CHECK_INT(btree_cursor_init(&scout, &src, root, 0), SEALDB_OK);
    CHECK_INT(btree_cursor_init(&c, &src, root, 0), SEALDB_OK);
    CHECK_INT(btree_cursor_init(&ref, &src, root, 0), SEALDB_OK);
    const int m = n + n / 4 + 2;
    int64_t *ids = malloc(sizeof *ids * (size_t)m);
    for (int k = 0; k < m; k++) {
        /* present rows, rows in gaps, and ends */
        ids[k] = k < n ? want[k].id
                 : n   ? want[rnd() % (uint64_t)n].id + (int64_t)(rnd() % 3) - 1
                       : (int64_t)k;
    }
    ids[m - 1] = n ? want[n - 1].id + 5 : 1;
    ids[m - 2] = n ? want[0].id - 5 : 2;
    for (int k = m - 1; k > 0; k--) {
        const int j = (int)(rnd() % (uint64_t)(k + 1));
        const int64_t t = ids[k];
        ids[k] = ids[j];
        ids[j] = t;
    }
    btree_ahead ring[RING];
    int found[RING];
    memset(ring, 0, sizeof ring);
    int bad = 0, hits = 0, einval = 0;
    for (int k = 0; k < m + RING; k++) {
        const int at = k - RING; /* read now: found RING rows ago, in the slot k takes next */
        if (at >= 0) {
            int cmp = 9, eof = 9, rcmp = 9, reof = 9, rc;
            if (found[at % RING]) {
                rc = btree_ahead_seek(&c, &ring[at % RING], &cmp, &eof);
                hits++;
                bad += ring[at % RING].pgno != 0; /* taken */
            } else {
                rc = btree_seek_rowid(&c, ids[at], &cmp, &eof);
            }
            const int rrc = btree_seek_rowid(&ref, ids[at], &rcmp, &reof);
            bad += !same_seek(&c, rc, cmp, eof, &ref, rrc, rcmp, reof);
            if (rc == SEALDB_OK && !eof && at % 3 != 2) {
                /* a cursor placed ahead steps like one that sought */
                rc = at % 3 ? btree_prev(&c, &eof) : btree_next(&c, &eof);
                const int r2 = at % 3 ? btree_prev(&ref, &reof) : btree_next(&ref, &reof);
                bad += !same_seek(&c, rc, 0, eof, &ref, r2, 0, reof);
            }
        }
        if (k < m) {
            const int rc = btree_ahead_find(&scout, ids[k], &ring[k % RING]);
            found[k % RING] = rc == SEALDB_OK;
            einval += rc == SEALDB_EINVAL;
            bad += rc != SEALDB_OK && rc != SEALDB_EINVAL;
            bad += rc == SEALDB_OK && (ring[k % RING].rowid != ids[k] || !ring[k % RING].pgno);
        }
        if (k >= RING / 2 && k - RING / 2 < m) {
            btree_ahead_prime(&scout, &ring[(k - RING / 2) % RING]);
        }
    }
    CHECK_INT(bad, 0);
    if (n > 200) {
        CHECK(hits > m / 2); /* a tree of several levels: rows were found ahead */
    } else if (n == 0) {
        CHECK_INT(hits, 0); /* a lone leaf: nothing to gain */
        CHECK_INT(einval, m);
    }
    /* found, then given back unread */
    if (n > 200) {
        CHECK_INT(btree_ahead_find(&scout, want[n / 2].id, &ring[0]), SEALDB_OK);
        btree_ahead_drop(&src, &ring[0]);
        CHECK_INT((int)ring[0].pgno, 0);
    }
    btree_cursor_close(&scout);
    btree_cursor_close(&c);
    btree_cursor_close(&ref);
    CHECK_INT(im->gets, im->puts);
    free(ids);
}

/* An index on (s): the key is (s, rowid); compared BINARY. */
typedef struct skey {
    const char *s;
    int len;
    int64_t id;
    int prefix; /* compare s only; equal s sorts the entry after the key */
} skey;

static int compare_skey(void *ctx, const uint8_t *rec, uint32_t len, int *result)
{
    const skey *k = ctx;
    int64_t id = 0, dummy;
    const uint8_t *t = NULL;
    int tl = 0;
    if (column(rec, len, 0, &dummy, &t, &tl) != 3 || column(rec, len, 1, &id, &t, &tl) != 1) {
        /* re-read s after the rowid call clobbered nothing but be exact */
        return SEALDB_ECORRUPT;
    }
    column(rec, len, 0, &dummy, &t, &tl);
    const int m = tl < k->len ? tl : k->len;
    int r = memcmp(t, k->s, (size_t)m);
    if (r == 0) {
        r = tl - k->len;
    }
    if (r == 0) {
        r = k->prefix ? 1 : (id < k->id ? -1 : id > k->id);
    }
    *result = r;
    return SEALDB_OK;
}

static void check_index(image *im, uint32_t root, const row *want, int n)
{
    btree_pages src = source_of(im);
    btree_cursor c;
    CHECK_INT(btree_cursor_init(&c, &src, root, 1), SEALDB_OK);
    int eof = 0, i = 0, bad = 0;
    int rc = btree_first(&c, &eof);
    for (; rc == SEALDB_OK && !eof; rc = btree_next(&c, &eof), i++) {
        const uint8_t *p, *t = NULL;
        uint32_t len;
        int64_t id = -1, dummy;
        int tl = -1;
        if (i >= n || btree_payload(&c, &p, &len) != SEALDB_OK ||
            column(p, len, 1, &id, &t, &tl) != 1 || id != want[i].id ||
            column(p, len, 0, &dummy, &t, &tl) != 3 || tl != want[i].len ||
            memcmp(t, want[i].s, (size_t)tl) != 0) {
            bad++;
        }
    }
    CHECK_INT(rc, SEALDB_OK);
    CHECK_INT(i, n);
    CHECK_INT(bad, 0);
    i = n - 1;
    bad = 0;
    for (rc = btree_last(&c, &eof); rc == SEALDB_OK && !eof; rc = btree_prev(&c, &eof), i--) {
        const uint8_t *p, *t;
        uint32_t len;
        int64_t id = -1;
        int tl;
        bad += i < 0 || btree_payload(&c, &p, &len) != SEALDB_OK ||
               column(p, len, 1, &id, &t, &tl) != 1 || id != want[i].id;
    }
    CHECK_INT(rc, SEALDB_OK);
    CHECK_INT(i, -1);
    CHECK_INT(bad, 0);
    /* exact seeks to every entry, prefix seeks to the first of each s */
    bad = 0;
    for (int k = 0; k < n; k++) {
        skey key = {want[k].s, want[k].len, want[k].id, 0};
        int cmp = 9;
        const uint8_t *p, *t;
        uint32_t len;
        int64_t id = -1;
        int tl;
        rc = btree_seek_index(&c, compare_skey, &key, &cmp, &eof);
        bad += rc != SEALDB_OK || eof || cmp != 0 || btree_payload(&c, &p, &len) != SEALDB_OK ||
               column(p, len, 1, &id, &t, &tl) != 1 || id != want[k].id;
        if (k == 0 || strcmp(want[k - 1].s, want[k].s) != 0) {
            key.prefix = 1;
            rc = btree_seek_index(&c, compare_skey, &key, &cmp, &eof);
            if (rc == SEALDB_OK && !eof && cmp < 0) {
                rc = btree_next(&c, &eof);
            }
            bad += rc != SEALDB_OK || eof || btree_payload(&c, &p, &len) != SEALDB_OK ||
                   column(p, len, 1, &id, &t, &tl) != 1 || id != want[k].id;
        }
    }
    CHECK_INT(bad, 0);
    /* past the end: a key after every entry */
    skey last = {"\xff\xff\xff", 3, 0, 0};
    int cmp = 9;
    CHECK_INT(btree_seek_index(&c, compare_skey, &last, &cmp, &eof), SEALDB_OK);
    CHECK(n == 0 ? eof == 1 : (!eof && cmp < 0));
    btree_cursor_close(&c);
    CHECK_INT(im->gets, im->puts);
}

/* Builds a database with SQLite and checks the cursors against it. */
static void check_database(uint32_t page_size, int autovacuum, int rows, int seed)
{
    char path[512], sql[256];
    snprintf(path, sizeof path, "%s/b-%u-%d.db", dir, page_size, autovacuum);
    unlink(path);
    sqlite3 *db;
    CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
    snprintf(sql, sizeof sql, "PRAGMA page_size=%u; PRAGMA auto_vacuum=%d;", page_size, autovacuum);
    exec(db, sql);
    exec(db, "CREATE TABLE t(id INTEGER PRIMARY KEY, n INT, s TEXT);"
             "CREATE INDEX t_s ON t(s); CREATE TABLE e(x); BEGIN");
    rng_state = 0x9e3779b97f4a7c15ull ^ (uint64_t)seed;
    sqlite3_stmt *ins;
    sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO t VALUES(?, ?, ?)", -1, &ins, NULL);
    char *text = malloc(4 * 65536 + 1);
    int64_t id = 0;
    for (int r = 0; r < rows; r++) {
        id += 1 + (int64_t)(rnd() % (r % 7 == 0 ? 100000 : 3));
        if (r % 97 == 0) {
            id += (int64_t)1 << (20 + rnd() % 40); /* some huge rowids */
        }
        const uint64_t shape = rnd() % 100;
        const int len = shape < 70   ? (int)(rnd() % 40)
                        : shape < 95 ? (int)(rnd() % (page_size + 100))
                                     : (int)(rnd() % (3 * page_size + 1));
        for (int k = 0; k < len; k++) {
            text[k] = (char)('a' + rnd() % (shape < 30 ? 3 : 26)); /* short texts repeat */
        }
        text[len] = 0;
        sqlite3_bind_int64(ins, 1, id);
        sqlite3_bind_int64(ins, 2, (int64_t)(rnd() % 2 ? rnd() : rnd() % 300) - 150);
        sqlite3_bind_text(ins, 3, text, len, SQLITE_TRANSIENT);
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    free(text);
    exec(db, "COMMIT; DELETE FROM t WHERE n % 5 = 0");
    uint32_t t_root = (uint32_t)root_of(db, "t"), i_root = (uint32_t)root_of(db, "t_s"),
             e_root = (uint32_t)root_of(db, "e");
    int n_table = 0, n_index = 0;
    row *table = rows_of(db, "SELECT id, n, s FROM t ORDER BY id", &n_table);
    row *index = rows_of(db, "SELECT id, n, s FROM t ORDER BY s, id", &n_index);
    sqlite3_close(db);

    image im;
    CHECK_INT(image_load(&im, path), 0);
    CHECK_INT((int)im.page_size, (int)page_size);
    check_table(&im, t_root, table, n_table);
    check_index(&im, i_root, index, n_index);
    check_table(&im, e_root, NULL, 0);
    check_ahead(&im, t_root, table, n_table);
    check_ahead(&im, e_root, NULL, 0);
    /* sqlite_schema on page 1 (its B-tree header at offset 100): three rows */
    btree_pages src = source_of(&im);
    btree_cursor c;
    btree_cursor_init(&c, &src, 1, 0);
    int eof = 0, count = 0;
    for (int rc = btree_first(&c, &eof); rc == SEALDB_OK && !eof; rc = btree_next(&c, &eof)) {
        const uint8_t *p, *t = NULL;
        uint32_t len;
        int64_t v = 0;
        int tl = 0;
        count++;
        CHECK_INT((int)btree_rowid(&c), count);
        CHECK_INT(btree_payload(&c, &p, &len), SEALDB_OK);
        CHECK_INT(column(p, len, 1, &v, &t, &tl), 3);
        const char *name = count == 1 ? "t" : count == 2 ? "t_s" : "e";
        CHECK(tl == (int)strlen(name) && memcmp(t, name, (size_t)tl) == 0);
        CHECK_INT(column(p, len, 3, &v, &t, &tl), 1);
        CHECK_INT((int)v, (int)(count == 1 ? t_root : count == 2 ? i_root : e_root));
    }
    CHECK_INT(count, 3);
    btree_cursor_close(&c);
    free(im.bytes);
    rows_free(table, n_table);
    rows_free(index, n_index);
}

/* ---- damaged pages ------------------------------------------------------------------------------
 */

static int walk(image *im, uint32_t root, int is_index, int *entries)
{
    btree_pages src = source_of(im);
    btree_cursor c;
    btree_cursor_init(&c, &src, root, is_index);
    int eof = 0;
    *entries = 0;
    int rc = btree_first(&c, &eof);
    while (rc == SEALDB_OK && !eof) {
        const uint8_t *p;
        uint32_t len;
        rc = btree_payload(&c, &p, &len);
        if (rc == SEALDB_OK) {
            (*entries)++;
            rc = btree_next(&c, &eof);
        }
    }
    if (rc == SEALDB_OK) {
        int cmp;
        rc = is_index ? SEALDB_OK : btree_seek_rowid(&c, 12345, &cmp, &eof);
    }
    btree_cursor_close(&c);
    CHECK_INT(im->gets, im->puts);
    return rc;
}

/* Rows of a (maybe damaged) table read ahead: each answer OK or CORRUPT
 * and equal to a seek from the root; 1 if any answer was CORRUPT. */
static int ahead_walk(image *im, uint32_t root, const int64_t *ids, int n)
{
    btree_pages src = source_of(im);
    btree_cursor scout, c, ref;
    btree_cursor_init(&scout, &src, root, 0);
    btree_cursor_init(&c, &src, root, 0);
    btree_cursor_init(&ref, &src, root, 0);
    btree_ahead a[4];
    int found[4], corrupt_seen = 0;
    for (int k = 0; k < n + 4; k++) {
        if (k >= 4) {
            int cmp = 0, eof = 0, rcmp = 0, reof = 0;
            const int rc = found[k % 4] ? btree_ahead_seek(&c, &a[k % 4], &cmp, &eof)
                                        : btree_seek_rowid(&c, ids[k - 4], &cmp, &eof);
            const int rrc = btree_seek_rowid(&ref, ids[k - 4], &rcmp, &reof);
            CHECK(rc == SEALDB_OK || rc == SEALDB_ECORRUPT);
            CHECK(same_seek(&c, rc, cmp, eof, &ref, rrc, rcmp, reof));
            corrupt_seen |= rc == SEALDB_ECORRUPT;
        }
        if (k < n) {
            const int rc = btree_ahead_find(&scout, ids[k], &a[k % 4]);
            CHECK(rc == SEALDB_OK || rc == SEALDB_ECORRUPT || rc == SEALDB_EINVAL);
            found[k % 4] = rc == SEALDB_OK;
        }
        if (k >= 2 && k - 2 < n && found[(k - 2) % 4]) {
            btree_ahead_prime(&scout, &a[(k - 2) % 4]);
        }
    }
    btree_cursor_close(&scout);
    btree_cursor_close(&c);
    btree_cursor_close(&ref);
    CHECK_INT(im->gets, im->puts);
    return corrupt_seen;
}

/* A leaf cell whose payload size says 2 GiB with a database of three
 * pages: SEALDB_ECORRUPT before any buffer of that size is made (the
 * size once went to malloc as it was, 1.9 GB in the fuzz target). */
static void check_huge_payload(void)
{
    enum { PS = 4096 };
    image im = {.bytes = calloc(3, PS), .len = 3 * PS, .page_size = PS};
    uint8_t *p2 = im.bytes + PS, *p3 = im.bytes + 2 * PS;
    memcpy(im.bytes, "SQLite format 3", 16);
    im.bytes[16] = PS >> 8;
    im.bytes[100] = BTREE_LEAF_TABLE; /* page 1: an empty table leaf */
    im.bytes[105] = PS >> 8;
    /* page 2: one cell at 100: payload 0x7ffffff0 (5-byte varint), rowid 1 */
    const uint32_t payload = 0x7ffffff0u, local = btree_local_size(PS, 1, payload);
    p2[0] = BTREE_LEAF_TABLE;
    p2[4] = 1; /* one cell */
    p2[5] = 0, p2[6] = 100;
    p2[8] = 0, p2[9] = 100;
    uint8_t *cell = p2 + 100;
    cell[0] = 0x87, cell[1] = 0xff, cell[2] = 0xff, cell[3] = 0xff, cell[4] = 0x70;
    cell[5] = 1;
    CHECK(100 + 6 + local + 4 <= PS);
    cell[6 + local + 3] = 3; /* the overflow chain: page 3, then nothing */
    memset(p3, 0, PS);
    btree_pages src = source_of(&im);
    btree_cursor c;
    btree_cursor_init(&c, &src, 2, 0);
    int eof = 0;
    CHECK_INT(btree_first(&c, &eof), SEALDB_OK);
    CHECK_INT((int)c.payload_len, (int)payload);
    const uint8_t *data;
    uint32_t len;
    CHECK_INT(btree_payload(&c, &data, &len), SEALDB_ECORRUPT);
    CHECK(strstr(c.msg, "B-tree page 2: a payload of 2147483632 bytes is longer than") == c.msg);
    CHECK(c.buf == NULL);
    btree_cursor_close(&c);
    CHECK_INT(im.gets, im.puts);
    free(im.bytes);
}

static void check_damage(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/b-1024-0.db", dir);
    image im;
    CHECK_INT(image_load(&im, path), 0);
    uint8_t *orig = malloc(im.len);
    memcpy(orig, im.bytes, im.len);
    sqlite3 *db;
    sqlite3_open(path, &db);
    const uint32_t t_root = (uint32_t)root_of(db, "t"), i_root = (uint32_t)root_of(db, "t_s");
    sqlite3_close(db);
    int entries = 0;
    CHECK_INT(walk(&im, t_root, 0, &entries), SEALDB_OK);
    const int full = entries;
    CHECK(full > 100);

    /* targeted damage, each with the page named in the message */
    btree_pages src = source_of(&im);
    btree_cursor c;
    int eof;
    uint8_t *root = im.bytes + (size_t)(t_root - 1) * im.page_size;
    /* 1. a cell pointer past the usable area */
    const uint32_t hsize = root[0] == BTREE_LEAF_TABLE ? 8 : 12;
    root[hsize] = 0xff;
    root[hsize + 1] = 0xf0;
    btree_cursor_init(&c, &src, t_root, 0);
    CHECK_INT(btree_first(&c, &eof), SEALDB_ECORRUPT);
    char want[64];
    snprintf(want, sizeof want, "B-tree page %u: cell 0 lies outside", t_root);
    CHECK(strncmp(c.msg, want, strlen(want)) == 0);
    btree_cursor_close(&c);
    memcpy(im.bytes, orig, im.len);
    /* 2. a child pointing back at the root: a cycle */
    CHECK_INT(root[0], BTREE_INTERIOR_TABLE);
    root[8] = (uint8_t)(t_root >> 24);
    root[9] = (uint8_t)(t_root >> 16);
    root[10] = (uint8_t)(t_root >> 8);
    root[11] = (uint8_t)t_root;
    btree_cursor_init(&c, &src, t_root, 0);
    CHECK_INT(btree_last(&c, &eof), SEALDB_ECORRUPT);
    CHECK(strstr(c.msg, "deeper than 20 levels") != NULL);
    btree_cursor_close(&c);
    memcpy(im.bytes, orig, im.len);
    /* 3. a table root read as an index, and a page number past the end */
    btree_cursor_init(&c, &src, t_root, 1);
    CHECK_INT(btree_first(&c, &eof), SEALDB_ECORRUPT);
    snprintf(want, sizeof want, "B-tree page %u: page type %u where an index", t_root,
             BTREE_INTERIOR_TABLE);
    CHECK(strncmp(c.msg, want, strlen(want)) == 0);
    btree_cursor_close(&c);
    btree_cursor_init(&c, &src, src.page_count + 1, 0);
    CHECK_INT(btree_first(&c, &eof), SEALDB_ECORRUPT);
    CHECK(strstr(c.msg, "outside the database") != NULL);
    btree_cursor_close(&c);
    CHECK_INT(im.gets, im.puts);
    /* 4. a leaf found ahead, then damaged before its row is read: reported
     * as a seek from the root reports it; an interior page damaged before
     * a find: no leaf found, nothing left pinned */
    btree_cursor scout;
    btree_ahead a;
    int cmp = 0;
    btree_cursor_init(&c, &src, t_root, 0);
    CHECK_INT(btree_last(&c, &eof), SEALDB_OK);
    const int64_t last = btree_rowid(&c);
    btree_cursor_init(&scout, &src, t_root, 0);
    CHECK_INT(btree_ahead_find(&scout, last, &a), SEALDB_OK);
    const uint32_t leaf = a.pgno;
    CHECK(leaf != t_root && leaf != 0);
    im.bytes[(size_t)(leaf - 1) * im.page_size] = 7;
    btree_ahead_prime(&scout, &a);
    CHECK_INT(btree_ahead_seek(&c, &a, &cmp, &eof), SEALDB_ECORRUPT);
    snprintf(want, sizeof want, "B-tree page %u: page type 7 where a table", leaf);
    CHECK(strncmp(c.msg, want, strlen(want)) == 0);
    memcpy(im.bytes, orig, im.len);
    root[0] = 7;
    btree_cursor_close(&scout);
    btree_cursor_init(&scout, &src, t_root, 0);
    CHECK(btree_ahead_find(&scout, last, &a) != SEALDB_OK);
    CHECK_INT((int)a.pgno, 0);
    btree_cursor_close(&scout);
    btree_cursor_close(&c);
    memcpy(im.bytes, orig, im.len);
    CHECK_INT(im.gets, im.puts);

    /* random damage: every walk ends with OK or CORRUPT; never a crash; rows
     * read ahead answer as seeks from the root do */
    int ok = 0, corrupt_seen = 0, other = 0, ahead_corrupt = 0;
    int64_t ids[64];
    const int n_ids = 64;
    {
        btree_cursor_init(&c, &src, t_root, 0);
        int k = 0;
        for (int rc = btree_first(&c, &eof); rc == SEALDB_OK && !eof && k < n_ids;
             rc = btree_next(&c, &eof)) {
            if (rnd() % 4 == 0) {
                ids[k++] = btree_rowid(&c) + (int64_t)(rnd() % 3) - 1;
            }
        }
        btree_cursor_close(&c);
        CHECK_INT(k, n_ids);
    }
    for (int trial = 0; trial < 4000; trial++) {
        memcpy(im.bytes, orig, im.len);
        const int flips = 1 + (int)(rnd() % 4);
        for (int f = 0; f < flips; f++) {
            /* B-tree pages only (page 1's first 100 bytes are the file header);
             * half the time in a page's header and cell pointers */
            const size_t page = 1 + rnd() % (im.len / im.page_size - 1);
            const size_t off =
                rnd() % 2 ? page * im.page_size + rnd() % 48 : 100 + rnd() % (im.len - 100);
            im.bytes[off] ^= (uint8_t)(1 + rnd() % 255);
        }
        const int rc1 = walk(&im, t_root, 0, &entries);
        const int rc2 = walk(&im, i_root, 1, &entries);
        ahead_corrupt += ahead_walk(&im, t_root, ids, n_ids);
        ok += rc1 == SEALDB_OK;
        corrupt_seen += (rc1 == SEALDB_ECORRUPT) + (rc2 == SEALDB_ECORRUPT);
        other += (rc1 != SEALDB_OK && rc1 != SEALDB_ECORRUPT) +
                 (rc2 != SEALDB_OK && rc2 != SEALDB_ECORRUPT);
    }
    CHECK_INT(other, 0);
    CHECK(ok > 0 && corrupt_seen > 0 && ahead_corrupt > 0);
    printf("damage: %d of 4000 table walks ended ok, %d walks reported corruption, %d runs of "
           "rows read ahead met it\n",
           ok, corrupt_seen, ahead_corrupt);
    free(orig);
    free(im.bytes);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/sealdb-test-btree-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    CHECK_INT((int)btree_local_size(4096 - 0, 1, 4061), 4061);
    CHECK_INT((int)btree_local_size(4096 - 0, 1, 4062), 489);  /* M + (P-M) % (U-4) */
    CHECK_INT((int)btree_local_size(4096 - 0, 0, 1002), 1002); /* index X = 1002 */
    CHECK_INT((int)btree_local_size(4096 - 0, 0, 1003), 489);
    CHECK_INT((int)btree_local_size(4096 - 0, 1, 5000), 908); /* 489 + 4511 % 4092 = 908 */
    CHECK_INT((int)btree_local_size(1024 - 32, 1, 2000), 99); /* 99 + 1901 % 988 > 957 */
    const uint32_t sizes[] = {512, 1024, 4096, 65536};
    for (int i = 0; i < 4; i++) {
        for (int av = 0; av <= 1; av++) {
            check_database(sizes[i], av, sizes[i] == 65536 ? 1500 : 3000, (int)sizes[i] + av);
        }
    }
    check_damage();
    check_huge_payload();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return check_report();
}
