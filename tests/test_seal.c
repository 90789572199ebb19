/*
 * test_seal.c - the sealed-page format.
 *
 * Turso known answers: pages 1 and 2 of a database made by Turso Database
 * for every cipher open to exactly Turso's plaintext, and pages sealed here
 * have Turso's structure. Hardened layout: a page moved to another position
 * or copied from another database fails, a wrong key is reported as a wrong
 * key, and SQLite's view of page 1 never shows the magic, salt or key check.
 * Header parsing refuses every file the format cannot serve, with a message.
 */
#include "check.h"
#include "crypto.h"
#include "json.h"

static const char sqlite_magic[16] = "SQLite format 3";

/* Builds the on-disk page image of a known-answer entry. */
static uint8_t *kat_page(const json *v, uint32_t *page_size, uint32_t *pgno, uint8_t **plain,
                         size_t *plain_off, size_t *plain_len)
{
    *page_size = (uint32_t)json_get(v, "page_size")->number;
    *pgno = (uint32_t)json_get(v, "pgno")->number;
    uint8_t *page = calloc(1, *page_size);
    size_t n;
    uint8_t *ad = json_hex(json_get_string(v, "ad"), &n);
    memcpy(page, ad, n);
    free(ad);
    const struct {
        const char *field, *offset;
    } parts[] = {
        {"ciphertext", "ciphertext_offset"}, {"tag", "tag_offset"}, {"nonce", "nonce_offset"}};
    for (size_t i = 0; i < 3; i++) {
        uint8_t *b = json_hex(json_get_string(v, parts[i].field), &n);
        memcpy(page + (size_t)json_get(v, parts[i].offset)->number, b, n);
        free(b);
    }
    *plain = json_hex(json_get_string(v, "plaintext"), plain_len);
    *plain_off = (size_t)json_get(v, "ciphertext_offset")->number;
    return page;
}

static void test_turso_kat(void)
{
    json *doc = json_parse_file(SEALDB_TEST_VECTORS "/turso-page-kat.json");
    CHECK(doc != NULL);
    const json *pages = json_get(doc, "pages");
    int seen = 0;
    for (size_t i = 0; pages && i < pages->count; i++) {
        const json *v = pages->items[i];
        sealdb_cipher_id id = 0;
        CHECK_INT(sealdb_cipher_lookup(json_get_string(v, "cipher"), &id, NULL), SEALDB_OK);
        size_t key_len, plain_off, plain_len;
        uint8_t *key = json_hex(json_get_string(v, "key"), &key_len);
        uint32_t page_size, pgno;
        uint8_t *plain;
        uint8_t *page = kat_page(v, &page_size, &pgno, &plain, &plain_off, &plain_len);
        const int before = check_failures;
        seal_ctx *c = NULL;
        if (pgno == 1) {
            seal_file_info info;
            CHECK_INT(seal_header_read(page, &info, NULL), SEALDB_OK);
            CHECK_INT(info.sealed, 1);
            CHECK_INT(info.layout, SEALDB_LAYOUT_TURSO);
            CHECK_INT(info.cipher, id);
            CHECK_INT(info.page_size, page_size);
            CHECK_INT(seal_ctx_open(&c, &info, key, key_len, NULL), SEALDB_OK);
        } else {
            CHECK_INT(seal_ctx_create(&c, id, SEALDB_LAYOUT_TURSO, key, key_len, NULL), SEALDB_OK);
        }
        uint8_t *disk = malloc(page_size), *resealed = malloc(page_size);
        memcpy(disk, page, page_size);
        CHECK_INT(unseal_page(c, page, page_size, pgno), SEALDB_OK);
        CHECK_MEM(page + plain_off, plain, plain_len);
        const uint32_t usable = page_size - seal_reserved_bytes(id);
        CHECK(check_all_zero(page + usable, page_size - usable));
        if (pgno == 1) {
            CHECK_MEM(page, sqlite_magic, 16);
            CHECK_MEM(page + 16, disk + 16, 84); /* header bytes 16..99 in the clear */
        }
        /* sealing SQLite's view again gives Turso's structure, another nonce */
        CHECK_INT(seal_page(c, resealed, page, page_size, pgno), SEALDB_OK);
        CHECK_MEM(resealed, disk, pgno == 1 ? 100 : 0);
        CHECK(memcmp(resealed + usable + 16, disk + usable + 16, page_size - usable - 16) != 0);
        /* the same nonce gives Turso's exact bytes */
        CHECK_INT(seal_page_nonce(c, resealed, page, page_size, pgno, disk + usable + 16),
                  SEALDB_OK);
        CHECK_MEM(resealed, disk, page_size);
        /* any flipped bit in the image is refused and wiped */
        for (uint32_t bit = 0; bit < 8 * page_size; bit += 8 * page_size / 97 + 1) {
            memcpy(resealed, disk, page_size);
            resealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            CHECK_INT(unseal_page(c, resealed, page_size, pgno), SEALDB_ECORRUPT);
            CHECK(check_all_zero(resealed, page_size));
        }
        if (check_failures != before) {
            CHECK_CONTEXT("%s page %u", json_get_string(v, "cipher"), pgno);
        }
        seal_ctx_close(c);
        free(disk);
        free(resealed);
        free(page);
        free(plain);
        free(key);
        seen++;
    }
    CHECK_INT(seen, 16);
    json_free(doc);
}

/* A plausible SQLite page 1 of the given size and reserve, then a pattern. */
static void make_page(uint8_t *page, uint32_t page_size, uint32_t reserved, uint32_t pgno)
{
    for (uint32_t i = 0; i < page_size - reserved; i++) {
        page[i] = (uint8_t)(i * 7 + pgno);
    }
    memset(page + page_size - reserved, 0, reserved);
    if (pgno == 1) {
        memcpy(page, sqlite_magic, 16);
        page[16] = (uint8_t)(page_size >> 8);
        page[17] = (uint8_t)(page_size >> 16);
        page[18] = page[19] = 2;
        page[20] = (uint8_t)reserved;
        page[21] = 64;
        page[22] = page[23] = 32;
        memset(page + 72, 0, 20);
    }
}

static void test_hardened(void)
{
    const sealdb_cipher_id ids[] = {SEALDB_AEGIS128L, SEALDB_AEGIS256, SEALDB_AES256GCM,
                                    SEALDB_AEGIS128X4};
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        const sealdb_cipher_id id = ids[k];
        const uint32_t ps = 4096, r = seal_reserved_bytes(id);
        uint8_t key[32], other_key[32];
        for (int i = 0; i < 32; i++) {
            key[i] = (uint8_t)i;
            other_key[i] = (uint8_t)(i + 1);
        }
        const size_t kl = sealdb_cipher_key_bytes(id);
        seal_ctx *a = NULL, *b = NULL;
        CHECK_INT(seal_ctx_create(&a, id, SEALDB_LAYOUT_DEFAULT, key, kl, NULL), SEALDB_OK);
        CHECK_INT(seal_ctx_layout(a), SEALDB_LAYOUT_HARDENED);
        CHECK_INT(seal_ctx_reserved(a), r);
        CHECK_INT(seal_ctx_create(&b, id, SEALDB_LAYOUT_HARDENED, key, kl, NULL), SEALDB_OK);
        uint8_t p1[4096], p2[4096], s1[4096], s2[4096], t[4096];
        make_page(p1, ps, r, 1);
        make_page(p2, ps, r, 2);
        CHECK_INT(seal_page(a, s1, p1, ps, 1), SEALDB_OK);
        CHECK_INT(seal_page(a, s2, p2, ps, 2), SEALDB_OK);
        CHECK_MEM(s1, "sealdb\x01", 7);
        CHECK_INT(s1[7], id);
        CHECK(memcmp(s2, p2, 64) != 0);
        /* the header reads back without a key, and the key opens it */
        seal_file_info info;
        CHECK_INT(seal_header_read(s1, &info, NULL), SEALDB_OK);
        CHECK_INT(info.layout, SEALDB_LAYOUT_HARDENED);
        CHECK_INT(info.cipher, id);
        CHECK_INT(info.reserved, r);
        seal_ctx *re = NULL;
        CHECK_INT(seal_ctx_open(&re, &info, key, kl, NULL), SEALDB_OK);
        memcpy(t, s1, ps);
        CHECK_INT(unseal_page(re, t, ps, 1), SEALDB_OK);
        CHECK_MEM(t, p1, ps); /* SQLite's view: magic restored, 72..91 zero */
        memcpy(t, s2, ps);
        CHECK_INT(unseal_page(re, t, ps, 2), SEALDB_OK);
        CHECK_MEM(t, p2, ps);
        /* a page moved to another position fails */
        memcpy(t, s2, ps);
        CHECK_INT(unseal_page(re, t, ps, 3), SEALDB_ECORRUPT);
        CHECK(check_all_zero(t, ps));
        /* a page of another database (same key, other salt) fails */
        memcpy(t, s2, ps);
        CHECK_INT(unseal_page(b, t, ps, 2), SEALDB_ECORRUPT);
        /* a wrong key is a wrong key, before any page is read */
        seal_ctx *wrong = (seal_ctx *)1;
        sealdb_error err;
        CHECK_INT(seal_ctx_open(&wrong, &info, other_key, kl, &err), SEALDB_EWRONGKEY);
        CHECK(wrong == NULL);
        CHECK_STR(err.message, "wrong key for this database");
        /* header tampering (authenticated) fails */
        memcpy(t, s1, ps);
        t[60] ^= 1; /* user_version */
        CHECK_INT(unseal_page(re, t, ps, 1), SEALDB_ECORRUPT);
        memcpy(t, s1, ps);
        t[80] ^= 1; /* salt */
        CHECK_INT(unseal_page(re, t, ps, 1), SEALDB_ECORRUPT);
        /* journal images are bound to their offset */
        CHECK_INT(seal_journal_page(re, t, p2, ps, 4100, 2), SEALDB_OK);
        memcpy(s2, t, ps);
        CHECK_INT(unseal_journal_page(re, t, ps, 4100, 2), SEALDB_OK);
        CHECK_MEM(t, p2, ps);
        memcpy(t, s2, ps);
        CHECK_INT(unseal_journal_page(re, t, ps, 4100 + 4104, 2), SEALDB_ECORRUPT);
        memcpy(t, s2, ps);
        CHECK_INT(unseal_journal_page(re, t, ps, 4100, 3), SEALDB_ECORRUPT); /* relabelled */
        /* a journal image is not a database page */
        memcpy(t, s2, ps);
        CHECK_INT(unseal_page(re, t, ps, 2), SEALDB_ECORRUPT);
        seal_ctx_close(a);
        seal_ctx_close(b);
        seal_ctx_close(re);
    }
    /* the turso layout cannot see a move: the weakness hardened fixes */
    uint8_t key[16] = {1}, p2[1024], s2[1024];
    seal_ctx *t = NULL;
    CHECK_INT(seal_ctx_create(&t, SEALDB_AEGIS128L, SEALDB_LAYOUT_TURSO, key, 16, NULL), SEALDB_OK);
    make_page(p2, 1024, 32, 2);
    CHECK_INT(seal_page(t, s2, p2, 1024, 2), SEALDB_OK);
    CHECK_INT(unseal_page(t, s2, 1024, 7), SEALDB_OK);
    CHECK_MEM(s2, p2, 1024);
    seal_ctx_close(t);
}

static void test_header_refusals(void)
{
    uint8_t h[4096];
    seal_file_info info;
    sealdb_error err;
    make_page(h, 4096, 0, 1);
    h[16] = 0x10;
    h[17] = 0;
    CHECK_INT(seal_header_read(h, &info, &err), SEALDB_OK);
    CHECK_INT(info.sealed, 0);
    seal_ctx *c = (seal_ctx *)1;
    uint8_t key[32] = {0};
    CHECK_INT(seal_ctx_open(&c, &info, key, 32, &err), SEALDB_ENOTSEALED);
    CHECK(c == NULL);
    CHECK_STR(err.message, "the file is a plain SQLite database");

    static const uint8_t turso_aegis256[16] = {'T', 'u', 'r', 's', 'o', 0, 3};
    memcpy(h, turso_aegis256, 16);
    h[20] = 48;
    CHECK_INT(seal_header_read(h, &info, &err), SEALDB_OK);
    CHECK_INT(info.cipher, SEALDB_AEGIS256);
    h[18] = h[19] = 255;
    CHECK_INT(seal_header_read(h, &info, &err), SEALDB_EFORMAT);
    CHECK_STR(err.message, "the database is in Turso's MVCC mode (header bytes 18/19 = 255); "
                           "switch it back with PRAGMA journal_mode='wal' in Turso first");
    h[18] = h[19] = 2;
    h[20] = 28;
    CHECK_INT(seal_header_read(h, &info, &err), SEALDB_EFORMAT);
    CHECK_STR(err.message, "header reserves 28 bytes per page; aegis256 needs 48");
    h[20] = 48;
    h[16] = 2; /* 512-byte pages: usable 464 */
    h[17] = 0;
    CHECK_INT(seal_header_read(h, &info, &err), SEALDB_EFORMAT);
    CHECK_STR(err.message, "usable page size 464 is below SQLite's minimum of 480 (512-byte "
                           "pages with aegis256); SQLite cannot open this file");
    h[16] = 0x10;
    h[6] = 9;
    CHECK_INT(seal_header_read(h, &info, &err), SEALDB_EFORMAT);
    CHECK_STR(err.message, "unknown cipher id 9 in the header");
    h[6] = 3;
    h[5] = 1;
    CHECK_INT(seal_header_read(h, &info, &err), SEALDB_EFORMAT);
    CHECK_STR(err.message, "Turso format version 1 is not supported (expected 0)");
    h[5] = 0;
    h[12] = 1;
    CHECK_INT(seal_header_read(h, &info, &err), SEALDB_EFORMAT);
    memcpy(h, "sealdb\x02\x06", 8);
    memset(h + 8, 0, 8);
    CHECK_INT(seal_header_read(h, &info, &err), SEALDB_EFORMAT);
    CHECK_STR(err.message, "sealdb format version 2 is not supported (expected 1)");
    memcpy(h, "NotADatabase!!!!", 16);
    CHECK_INT(seal_header_read(h, &info, &err), SEALDB_EFORMAT);
    CHECK_STR(err.message, "not a SQLite, sealdb or Turso database (unknown header magic)");
    /* 65536 is stored as 1 */
    memcpy(h, "sealdb\x01\x06", 8);
    memset(h + 8, 0, 8);
    h[16] = 0;
    h[17] = 1;
    h[20] = 32;
    CHECK_INT(seal_header_read(h, &info, &err), SEALDB_OK);
    CHECK_INT(info.page_size, 65536);
    CHECK_STR(sealdb_layout_name(SEALDB_LAYOUT_TURSO), "turso");
    CHECK(sealdb_layout_name((sealdb_layout)7) == NULL);
}

int main(void)
{
    test_turso_kat();
    test_hardened();
    test_header_refusals();
    return check_report();
}
