/*
 * fuzz_btree.c - libFuzzer target for the B-tree cursors and writer
 * (engine/btree.c, engine/btree_write.c) over arbitrary page bytes.
 *
 * Input: [0] mode, then the database image: pages of 512 bytes (a partial
 * last page is dropped). Mode bit 0: also write (inserts and deletes in
 * the image); bits 1..3: the root page (1 + value).
 *
 * For every input: cursors walk the table and index trees rooted at the
 * chosen page forwards and backwards, fetch every payload and seek; with
 * the write bit, rows are inserted and deleted through the writer. Every
 * call must return SEALDB_OK or SEALDB_ECORRUPT (or SEALDB_EIO for a page
 * outside the image), never crash, and every walk must end within a bound
 * that a loop would exceed. Seeds (make_corpus, DIR/btree) are real
 * SQLite databases of 512-byte pages with a table, an index and overflow
 * rows.
 */
#include "btree.h"
#include "fuzz_common.h"

#define PAGE 512
#define MAX_PAGES 256

typedef struct image {
    btree_pages src;
    uint8_t *pages[MAX_PAGES * 2];
    uint32_t nfreed;
    uint32_t freed[MAX_PAGES * 2];
    int outstanding; /* gets not yet put */
} image;

static int im_get(void *ctx, uint32_t pgno, const uint8_t **data, void **ref)
{
    image *im = ctx;
    if (pgno == 0 || pgno > im->src.page_count) {
        return SEALDB_EIO;
    }
    *data = im->pages[pgno - 1];
    *ref = NULL;
    im->outstanding++;
    return SEALDB_OK;
}

static void im_put(void *ctx, void *ref)
{
    (void)ref;
    ((image *)ctx)->outstanding--;
}

static int im_write(void *ctx, uint32_t pgno, uint8_t **data)
{
    image *im = ctx;
    if (pgno == 0 || pgno > im->src.page_count) {
        return SEALDB_EIO;
    }
    *data = im->pages[pgno - 1];
    return SEALDB_OK;
}

static int im_allocate(void *ctx, uint32_t *pgno, uint8_t **data)
{
    image *im = ctx;
    if (im->src.page_count >= MAX_PAGES * 2) {
        return SEALDB_EIO; /* a full disk, as far as the tree can tell */
    }
    *pgno = ++im->src.page_count;
    *data = im->pages[*pgno - 1] = calloc(1, PAGE);
    return *data ? SEALDB_OK : SEALDB_ENOMEM;
}

static int im_release(void *ctx, uint32_t pgno)
{
    image *im = ctx;
    if (pgno < 2 || pgno > im->src.page_count || im->nfreed >= MAX_PAGES * 2) {
        return SEALDB_ECORRUPT;
    }
    im->freed[im->nfreed++] = pgno;
    return SEALDB_OK;
}

static int allowed(int rc)
{
    return rc == SEALDB_OK || rc == SEALDB_ECORRUPT || rc == SEALDB_EIO;
}

static int compare_bytes(void *ctx, const uint8_t *rec, uint32_t len, int *result)
{
    const uint8_t *key = ctx;
    const uint32_t klen = 6;
    const int r = memcmp(rec, key, len < klen ? len : klen);
    *result = r ? r : (len > klen) - (len < klen);
    return SEALDB_OK;
}

static int order_bytes(void *ctx, const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen,
                       int *result)
{
    (void)ctx;
    const int r = memcmp(a, b, alen < blen ? alen : blen);
    *result = r ? r : (alen > blen) - (alen < blen);
    return SEALDB_OK;
}

/* Walks the tree both ways; the number of steps is bounded by the number of
 * cells the pages could hold at most, visited at most once per path. */
static void walk(image *im, uint32_t root, int is_index)
{
    btree_cursor c;
    FUZZ_ASSERT(btree_cursor_init(&c, &im->src, root, is_index) == SEALDB_OK);
    const long bound = (long)MAX_PAGES * 2 * (PAGE / 4) * 4;
    int eof = 0;
    long steps = 0;
    int rc = btree_first(&c, &eof);
    while (rc == SEALDB_OK && !eof && steps++ < bound) {
        const uint8_t *p;
        uint32_t len;
        rc = btree_payload(&c, &p, &len);
        if (rc == SEALDB_OK && len > 0) {
            FUZZ_ASSERT(p[0] == p[0] && p[len - 1] == p[len - 1]); /* readable, all of it */
        }
        if (rc == SEALDB_OK) {
            rc = btree_next(&c, &eof);
        }
    }
    FUZZ_ASSERT(allowed(rc));
    rc = btree_last(&c, &eof);
    steps = 0;
    while (rc == SEALDB_OK && !eof && steps++ < bound) {
        rc = btree_prev(&c, &eof);
    }
    FUZZ_ASSERT(allowed(rc));
    int cmp = 0;
    static const uint8_t key[6] = {3, 0x0d, 0x01, 'a', 'b', 'c'};
    rc = is_index ? btree_seek_index(&c, compare_bytes, (void *)key, &cmp, &eof)
                  : btree_seek_rowid(&c, 7, &cmp, &eof);
    FUZZ_ASSERT(allowed(rc));
    btree_cursor_close(&c);
    FUZZ_ASSERT(im->outstanding == 0);
}

/* Rows read ahead (btree_ahead_*) on a read-only view of the image: found
 * four rows before they are read; every answer is allowed and the same as
 * a seek from the root; nothing stays pinned. */
static void read_ahead(image *im, uint32_t root)
{
    btree_pages ro = im->src;
    ro.write = NULL;
    ro.allocate = NULL;
    ro.release = NULL;
    btree_cursor scout, c, ref;
    FUZZ_ASSERT(btree_cursor_init(&scout, &ro, root, 0) == SEALDB_OK);
    FUZZ_ASSERT(btree_cursor_init(&c, &ro, root, 0) == SEALDB_OK);
    FUZZ_ASSERT(btree_cursor_init(&ref, &ro, root, 0) == SEALDB_OK);
    static const int64_t ids[] = {7, 1, 300, 2, 5, -1, 90, 3, 1000000, 4, 60, 8, 7, 2};
    const int n = (int)(sizeof ids / sizeof ids[0]);
    btree_ahead a[4];
    int found[4] = {0, 0, 0, 0};
    for (int k = 0; k < n + 4; k++) {
        if (k >= 4) {
            int cmp = 0, eof = 0, rcmp = 0, reof = 0;
            const int rc = found[k % 4] ? btree_ahead_seek(&c, &a[k % 4], &cmp, &eof)
                                        : btree_seek_rowid(&c, ids[k - 4], &cmp, &eof);
            const int rrc = btree_seek_rowid(&ref, ids[k - 4], &rcmp, &reof);
            FUZZ_ASSERT(allowed(rc) && rc == rrc);
            FUZZ_ASSERT(rc != SEALDB_OK || (cmp == rcmp && eof == reof &&
                                            (eof || btree_rowid(&c) == btree_rowid(&ref))));
            if (rc == SEALDB_OK && !eof && k % 2) {
                int e1 = 0, e2 = 0;
                const int s1 = btree_next(&c, &e1), s2 = btree_next(&ref, &e2);
                FUZZ_ASSERT(allowed(s1) && s1 == s2 && (s1 != SEALDB_OK || e1 == e2));
            }
        }
        if (k < n) {
            const int rc = btree_ahead_find(&scout, ids[k], &a[k % 4]);
            FUZZ_ASSERT(allowed(rc) || rc == SEALDB_EINVAL);
            found[k % 4] = rc == SEALDB_OK;
            FUZZ_ASSERT(found[k % 4] == (a[k % 4].pgno != 0));
        }
        if (k >= 2 && k - 2 < n && found[(k - 2) % 4]) {
            btree_ahead_prime(&scout, &a[(k - 2) % 4]);
        }
    }
    btree_cursor_close(&scout);
    btree_cursor_close(&c);
    btree_cursor_close(&ref);
    FUZZ_ASSERT(im->outstanding == 0);
}

static void write_some(image *im, uint32_t root, int is_index, const uint8_t *data, size_t size)
{
    btree_cursor c;
    btree_cursor_init(&c, &im->src, root, is_index);
    btree_cursor_set_order(&c, order_bytes, NULL);
    uint8_t rec[700];
    for (int i = 0; i < 12; i++) {
        const uint32_t len = 1 + (uint32_t)(i * 97 % 690);
        for (uint32_t k = 0; k < len; k++) {
            rec[k] = size ? data[(k + (size_t)i) % size] : (uint8_t)k;
        }
        int rc;
        if (is_index) {
            rc = btree_insert_entry(&c, compare_bytes, rec, rec, len);
        } else {
            rc = btree_insert_row(&c, (int64_t)i * 3 - 5, rec, len);
        }
        FUZZ_ASSERT(allowed(rc));
        int cmp = 0, eof = 0;
        rc = is_index ? btree_seek_index(&c, compare_bytes, rec, &cmp, &eof)
                      : btree_seek_rowid(&c, (int64_t)i, &cmp, &eof);
        FUZZ_ASSERT(allowed(rc));
        if (rc == SEALDB_OK && !eof && i % 3 == 0) {
            FUZZ_ASSERT(allowed(btree_delete(&c)));
        }
        btree_cursor_close(&c);
        FUZZ_ASSERT(im->outstanding == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 + PAGE) {
        return 0;
    }
    const uint8_t mode = data[0];
    image im;
    memset(&im, 0, sizeof im);
    uint32_t n = (uint32_t)((size - 1) / PAGE);
    n = n > MAX_PAGES ? MAX_PAGES : n;
    for (uint32_t i = 0; i < n; i++) {
        im.pages[i] = malloc(PAGE);
        memcpy(im.pages[i], data + 1 + (size_t)i * PAGE, PAGE);
    }
    im.src = (btree_pages){.ctx = &im,
                           .get = im_get,
                           .put = im_put,
                           .page_size = PAGE,
                           .usable = PAGE - (data[1 + 20] < 32 ? data[1 + 20] : 0),
                           .page_count = n,
                           .write = im_write,
                           .allocate = im_allocate,
                           .release = im_release};
    const uint32_t root = 1 + ((mode >> 1) & 7u) % n;
    walk(&im, root, 0);
    walk(&im, root, 1);
    read_ahead(&im, root);
    if (mode & 1) {
        write_some(&im, root, (mode >> 4) & 1, data + 1, size - 1);
        walk(&im, root, 0);
        walk(&im, root, 1);
    }
    for (uint32_t i = 0; i < im.src.page_count; i++) {
        free(im.pages[i]);
    }
    return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}
