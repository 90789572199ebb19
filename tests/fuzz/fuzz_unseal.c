/*
 * fuzz_unseal.c - libFuzzer target for header parsing and page opening
 * (crypto/seal.c): seal_header_read, seal_ctx_open, unseal_page and
 * unseal_journal_page on bytes an attacker controls.
 *
 * Raw mode (mode bit 0 clear): the input is a header and a page image.
 *
 *     [0]          mode; bit 1: open the image with page size 512 << bits 2..4
 *                  instead of the header's (a WAL may say another size)
 *     [1, 5)       S: a page number, big-endian
 *     [5, 13)      J: a journal offset, big-endian
 *     [13, 113)    the 100-byte database header
 *     [113, end)   the page image, zero-padded or cut to the page size
 *
 * The header is parsed; if it is sealed, the image is opened as pages 1, 2,
 * S and S + 1 and as the journal image of page S at offset J and of page 2
 * at offset 516, under three contexts for the fixed key: the one
 * seal_ctx_open builds from the header (if the key check lets it), and
 * hardened and turso ones made with seal_ctx_create_salted and the fixed
 * salt.
 *
 * Seal mode (mode bit 0 set): the target seals a plaintext of the input's
 * choosing itself, then flips bits the input chooses, so the success path is
 * reached as often as the failure path.
 *
 *     [0]          mode; bit 1: a journal image instead of a database page
 *     [1]          cipher id 1 + b % 8
 *     [2]          layout: bit 0 clear hardened, set turso
 *     [3]          page size 512 << (b % 8)
 *     [4, 8)       page number, big-endian
 *     [8, 16)      journal offset, big-endian
 *     [16]         F, the number of flips, then F flips of 3 bytes each: a
 *                  big-endian position (mod the page size) and an XOR mask
 *     next 32      the nonce
 *     rest         the plaintext, zero-padded or cut to the page size
 *
 * Invariants checked (FUZZ_ASSERT aborts, so libFuzzer keeps the input):
 * - seal_header_read accepts only what the format allows and says why not;
 * - a page that does not open is wiped and reported as SEALDB_ECORRUPT;
 * - a page that opens shows SQLite's view: zero reserved tail, SQLite's magic
 *   and (hardened) zeros at bytes 72..91 of page 1, the rest of the header as
 *   on disk; sealing that view again with the page's nonce gives back the
 *   image byte for byte;
 * - every byte of a sealed image is authenticated: the image opens if and
 *   only if the flips cancel out, and then to the exact plaintext;
 * - an image opens in one place only: under hardened at one page number or
 *   journal place (offset and page number); under turso at any page number
 *   but 1 (pages there carry no associated data), or as page 1, or at one
 *   journal place.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "fuzz_common.h"

#define MAX_PAGE 65536

static const uint8_t sqlite_magic[16] = "SQLite format 3";

/* Page buffers of exactly the page size of the input at hand, allocated per
 * input so that ASan sees any access past a page's end. */
static uint8_t *image_buf, *work_buf, *reseal_buf, *expect_buf;

static void pages_alloc(uint32_t page_size)
{
    image_buf = malloc(page_size);
    work_buf = malloc(page_size);
    reseal_buf = malloc(page_size);
    expect_buf = malloc(page_size);
    if (!image_buf || !work_buf || !reseal_buf || !expect_buf) {
        abort();
    }
}

static void pages_free(void)
{
    free(image_buf);
    free(work_buf);
    free(reseal_buf);
    free(expect_buf);
    image_buf = work_buf = reseal_buf = expect_buf = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (crypto_init() != 0) {
        abort();
    }
    return 0;
}

static uint32_t nonce_bytes_of(const seal_ctx *c)
{
    return seal_ctx_reserved(c) - SEALDB_TAG_BYTES;
}

/* ---- header parsing -------------------------------------------------------------------- */

/* Parses hdr and checks that what it accepts is what the format allows. */
static int check_header(const uint8_t *hdr, seal_file_info *info)
{
    sealdb_error err;
    memset(&err, 0xa5, sizeof err);
    const int rc = seal_header_read(hdr, info, &err);
    if (rc != SEALDB_OK) {
        FUZZ_ASSERT(rc == SEALDB_EFORMAT);
        FUZZ_ASSERT(err.code == SEALDB_EFORMAT);
        FUZZ_ASSERT(memchr(err.message, '\0', sizeof err.message) != NULL);
        FUZZ_ASSERT(err.message[0] != '\0');
        return rc;
    }
    if (!info->sealed) {
        FUZZ_ASSERT(memcmp(hdr, sqlite_magic, 16) == 0);
        return rc;
    }
    const uint32_t ps = info->page_size;
    FUZZ_ASSERT(ps >= 512 && ps <= MAX_PAGE && (ps & (ps - 1)) == 0);
    FUZZ_ASSERT(cipher_desc_of(info->cipher) != NULL);
    FUZZ_ASSERT(info->reserved == seal_reserved_bytes(info->cipher));
    FUZZ_ASSERT(ps - info->reserved >= 480);
    FUZZ_ASSERT(hdr[18] != 255 && hdr[19] != 255);
    if (info->layout == SEALDB_LAYOUT_HARDENED) {
        FUZZ_ASSERT(memcmp(hdr, "sealdb\x01", 7) == 0 && hdr[7] == info->cipher);
        FUZZ_ASSERT(memcmp(info->salt, hdr + 72, SEAL_SALT_BYTES) == 0);
        FUZZ_ASSERT(memcmp(info->check, hdr + 88, SEAL_CHECK_BYTES) == 0);
    } else {
        FUZZ_ASSERT(info->layout == SEALDB_LAYOUT_TURSO);
        FUZZ_ASSERT(memcmp(hdr, "Turso\0", 6) == 0 && hdr[6] == info->cipher);
    }
    return rc;
}

/* ---- opening one image ------------------------------------------------------------------ */

/* Checks SQLite's view of a page that opened from `image`. */
static void check_plain_view(const seal_ctx *c, const uint8_t *view, const uint8_t *image,
                             uint32_t page_size, uint32_t pgno)
{
    const uint32_t reserved = seal_ctx_reserved(c);
    FUZZ_ASSERT(fuzz_all_zero(view + page_size - reserved, reserved));
    if (pgno != 1) {
        return;
    }
    FUZZ_ASSERT(memcmp(view, sqlite_magic, 16) == 0);
    if (seal_ctx_layout(c) == SEALDB_LAYOUT_HARDENED) {
        FUZZ_ASSERT(memcmp(view + 16, image + 16, 72 - 16) == 0);
        FUZZ_ASSERT(fuzz_all_zero(view + 72, 20));
        FUZZ_ASSERT(memcmp(view + 92, image + 92, 100 - 92) == 0);
    } else {
        FUZZ_ASSERT(memcmp(view + 16, image + 16, 100 - 16) == 0);
    }
}

/* Opens a copy of image as database page pgno; 1 if it opened. */
static int try_page(seal_ctx *c, const uint8_t *image, uint32_t page_size, uint32_t pgno)
{
    memcpy(work_buf, image, page_size);
    const int rc = unseal_page(c, work_buf, page_size, pgno);
    if (rc != SEALDB_OK) {
        FUZZ_ASSERT(rc == SEALDB_ECORRUPT);
        FUZZ_ASSERT(fuzz_all_zero(work_buf, page_size));
        return 0;
    }
    check_plain_view(c, work_buf, image, page_size, pgno);
    /* Sealing the view again with the image's own nonce is deterministic. */
    const uint8_t *nonce = image + page_size - seal_ctx_reserved(c) + SEALDB_TAG_BYTES;
    FUZZ_ASSERT(seal_page_nonce(c, reseal_buf, work_buf, page_size, pgno, nonce) == SEALDB_OK);
    FUZZ_ASSERT(memcmp(reseal_buf, image, page_size) == 0);
    return 1;
}

/* Opens a copy of image as the journal image of page pgno at offset; 1 if
 * it opened. */
static int try_journal(seal_ctx *c, const uint8_t *image, uint32_t page_size, uint64_t offset,
                       uint32_t pgno)
{
    memcpy(work_buf, image, page_size);
    const int rc = unseal_journal_page(c, work_buf, page_size, offset, pgno);
    if (rc != SEALDB_OK) {
        FUZZ_ASSERT(rc == SEALDB_ECORRUPT);
        FUZZ_ASSERT(fuzz_all_zero(work_buf, page_size));
        return 0;
    }
    const uint32_t reserved = seal_ctx_reserved(c);
    FUZZ_ASSERT(fuzz_all_zero(work_buf + page_size - reserved, reserved));
    /* Journal images take a fresh nonce: seal again and open again. */
    FUZZ_ASSERT(seal_journal_page(c, reseal_buf, work_buf, page_size, offset, pgno) == SEALDB_OK);
    FUZZ_ASSERT(unseal_journal_page(c, reseal_buf, page_size, offset, pgno) == SEALDB_OK);
    FUZZ_ASSERT(memcmp(reseal_buf, work_buf, page_size) == 0);
    return 1;
}

/* Opens image everywhere the raw mode tries; checks it opens in one place
 * only (turso pages other than 1 excepted). */
static void probe_image(seal_ctx *c, const uint8_t *image, uint32_t page_size, uint32_t s,
                        uint64_t j)
{
    const uint32_t pgnos[4] = {1, 2, s, s + 1};
    int opened_1 = 0, opened_other = 0, opened_journal = 0;
    uint32_t other = 0;
    for (int i = 0; i < 4; i++) {
        if (pgnos[i] == 0) {
            memcpy(work_buf, image, page_size);
            FUZZ_ASSERT(unseal_page(c, work_buf, page_size, 0) == SEALDB_EINVAL);
            continue;
        }
        if (!try_page(c, image, page_size, pgnos[i])) {
            continue;
        }
        if (pgnos[i] == 1) {
            opened_1 = 1;
        } else if (seal_ctx_layout(c) == SEALDB_LAYOUT_HARDENED) {
            FUZZ_ASSERT(!opened_other || other == pgnos[i]);
            opened_other = 1;
            other = pgnos[i];
        } else {
            opened_other = 1;
        }
    }
    const uint64_t offsets[2] = {j, 516};
    const uint32_t journal_pgnos[2] = {s, 2};
    for (int i = 0; i < 2; i++) {
        if (try_journal(c, image, page_size, offsets[i], journal_pgnos[i])) {
            FUZZ_ASSERT(opened_journal == 0 ||
                        (offsets[1] == offsets[0] && journal_pgnos[1] == journal_pgnos[0]));
            opened_journal++;
        }
    }
    FUZZ_ASSERT(opened_1 + opened_other + (opened_journal > 0) <= 1);
}

/* ---- raw mode: header and image from the input ------------------------------------------ */

static void run_raw(const uint8_t *data, size_t size)
{
    fuzz_reader r = {data, size};
    const uint8_t mode = fuzz_u8(&r);
    const uint32_t s = fuzz_u32(&r);
    const uint64_t j = fuzz_u64(&r);
    uint8_t hdr[100];
    fuzz_take(&r, hdr, sizeof hdr);
    seal_file_info info;
    if (check_header(hdr, &info) != SEALDB_OK) {
        return;
    }
    seal_ctx *c = NULL;
    if (!info.sealed) {
        FUZZ_ASSERT(seal_ctx_open(&c, &info, fuzz_key, 16, NULL) == SEALDB_ENOTSEALED);
        FUZZ_ASSERT(c == NULL);
        return;
    }
    const uint32_t page_size = mode & 2 ? 512u << ((mode >> 2) & 7) : info.page_size;
    pages_alloc(page_size);
    fuzz_take(&r, image_buf, page_size);

    const uint8_t *key = fuzz_key;
    const size_t key_len = sealdb_cipher_key_bytes(info.cipher);
    sealdb_error err;
    int rc = seal_ctx_open(&c, &info, key, key_len, &err);
    if (rc == SEALDB_OK) {
        FUZZ_ASSERT(seal_ctx_cipher(c) == info.cipher && seal_ctx_layout(c) == info.layout);
        FUZZ_ASSERT(seal_ctx_reserved(c) == info.reserved);
        probe_image(c, image_buf, page_size, s, j);
        seal_ctx_close(c);
    } else {
        /* only the key check can refuse a header seal_header_read accepted */
        FUZZ_ASSERT(rc == SEALDB_EWRONGKEY && info.layout == SEALDB_LAYOUT_HARDENED);
        FUZZ_ASSERT(c == NULL);
    }
    const sealdb_layout layouts[2] = {SEALDB_LAYOUT_HARDENED, SEALDB_LAYOUT_TURSO};
    for (int i = 0; i < 2; i++) {
        rc = seal_ctx_create_salted(&c, info.cipher, layouts[i], key, key_len, fuzz_salt, NULL);
        FUZZ_ASSERT(rc == SEALDB_OK);
        probe_image(c, image_buf, page_size, s, j);
        seal_ctx_close(c);
    }
    pages_free();
}

/* ---- seal mode: seal, damage, open -------------------------------------------------------- */

/* Makes plain SQLite's view of a page the format can seal: page 1 gets
 * SQLite's magic, a header that describes the page, and (hardened) zeros
 * where salt and key check go. */
static void make_plain_view(const seal_ctx *c, uint8_t *plain, uint32_t page_size, uint32_t pgno)
{
    const uint32_t reserved = seal_ctx_reserved(c);
    memset(plain + page_size - reserved, 0, reserved);
    if (pgno != 1) {
        return;
    }
    memcpy(plain, sqlite_magic, 16);
    plain[16] = (uint8_t)(page_size >> 8);
    plain[17] = (uint8_t)(page_size >> 16 | (page_size & 0xff));
    if (plain[18] == 255) {
        plain[18] = 1;
    }
    if (plain[19] == 255) {
        plain[19] = 1;
    }
    plain[20] = (uint8_t)reserved;
    if (seal_ctx_layout(c) == SEALDB_LAYOUT_HARDENED) {
        memset(plain + 72, 0, 20);
    }
}

/* Page 1 as sealed: its header parses to what the context says, and the
 * context seal_ctx_open builds from it opens the page. */
static void check_sealed_header(const seal_ctx *c, const uint8_t *disk, uint32_t page_size)
{
    seal_file_info info;
    const int rc = check_header(disk, &info);
    if (page_size - seal_ctx_reserved(c) < 480) {
        FUZZ_ASSERT(rc == SEALDB_EFORMAT); /* SQLite could not open it either */
        return;
    }
    FUZZ_ASSERT(rc == SEALDB_OK && info.sealed);
    FUZZ_ASSERT(info.layout == seal_ctx_layout(c) && info.cipher == seal_ctx_cipher(c));
    FUZZ_ASSERT(info.page_size == page_size && info.reserved == seal_ctx_reserved(c));
    seal_ctx *opened = NULL;
    FUZZ_ASSERT(seal_ctx_open(&opened, &info, fuzz_key, sealdb_cipher_key_bytes(info.cipher),
                              NULL) == SEALDB_OK);
    FUZZ_ASSERT(try_page(opened, disk, page_size, 1));
    seal_ctx_close(opened);
}

static void run_seal(const uint8_t *data, size_t size)
{
    fuzz_reader r = {data, size};
    const int journal = fuzz_u8(&r) & 2;
    const sealdb_cipher_id cipher = (sealdb_cipher_id)(1 + fuzz_u8(&r) % 8);
    const sealdb_layout layout = fuzz_u8(&r) & 1 ? SEALDB_LAYOUT_TURSO : SEALDB_LAYOUT_HARDENED;
    const uint32_t page_size = 512u << (fuzz_u8(&r) % 8);
    const uint32_t pgno = fuzz_u32(&r);
    const uint64_t offset = fuzz_u64(&r); /* journal images */
    const uint8_t nflips = fuzz_u8(&r);
    uint8_t flips[255 * 3];
    fuzz_take(&r, flips, 3u * nflips);
    uint8_t nonce[SEALDB_MAX_NONCE_BYTES];
    fuzz_take(&r, nonce, sizeof nonce);
    pages_alloc(page_size);
    fuzz_take(&r, expect_buf, page_size);

    seal_ctx *c = NULL;
    const size_t key_len = sealdb_cipher_key_bytes(cipher);
    FUZZ_ASSERT(seal_ctx_create_salted(&c, cipher, layout, fuzz_key, key_len, fuzz_salt, NULL) ==
                SEALDB_OK);
    const uint32_t reserved = seal_ctx_reserved(c);
    if (!journal && pgno == 0) {
        FUZZ_ASSERT(seal_page_nonce(c, image_buf, expect_buf, page_size, 0, nonce) ==
                    SEALDB_EINVAL);
        seal_ctx_close(c);
        pages_free();
        return;
    }
    make_plain_view(c, expect_buf, page_size, journal ? 0 : pgno);
    if (journal) {
        FUZZ_ASSERT(seal_journal_page(c, image_buf, expect_buf, page_size, offset, pgno) ==
                    SEALDB_OK);
    } else {
        FUZZ_ASSERT(seal_page_nonce(c, image_buf, expect_buf, page_size, pgno, nonce) == SEALDB_OK);
        FUZZ_ASSERT(memcmp(image_buf + page_size - reserved + SEALDB_TAG_BYTES, nonce,
                           nonce_bytes_of(c)) == 0);
        if (pgno == 1) {
            FUZZ_ASSERT(memcmp(image_buf + 16, expect_buf + 16, 72 - 16) == 0);
            check_sealed_header(c, image_buf, page_size);
        }
    }

    /* Damage a copy; it must open exactly when the damage cancelled out. */
    uint8_t *damaged = reseal_buf; /* free until try_* runs */
    memcpy(damaged, image_buf, page_size);
    for (unsigned i = 0; i < nflips; i++) {
        const uint32_t pos = ((uint32_t)flips[3 * i] << 8 | flips[3 * i + 1]) % page_size;
        damaged[pos] ^= flips[3 * i + 2];
    }
    const int intact = memcmp(damaged, image_buf, page_size) == 0;
    memcpy(work_buf, damaged, page_size);
    const int rc = journal ? unseal_journal_page(c, work_buf, page_size, offset, pgno)
                           : unseal_page(c, work_buf, page_size, pgno);
    if (intact) {
        FUZZ_ASSERT(rc == SEALDB_OK);
        check_plain_view(c, work_buf, image_buf, page_size, journal ? 0 : pgno);
        FUZZ_ASSERT(memcmp(work_buf, expect_buf, page_size - reserved) == 0);
    } else {
        FUZZ_ASSERT(rc == SEALDB_ECORRUPT);
        FUZZ_ASSERT(fuzz_all_zero(work_buf, page_size));
    }

    /* The intact image opens in its own place only. */
    const uint32_t next_pgno = pgno == UINT32_MAX ? 2 : pgno + 1;
    if (journal) {
        FUZZ_ASSERT(!try_journal(c, image_buf, page_size, offset + 1, pgno));
        FUZZ_ASSERT(!try_journal(c, image_buf, page_size, offset ^ (uint64_t)1 << 40, pgno));
        FUZZ_ASSERT(!try_journal(c, image_buf, page_size, offset, next_pgno));
        FUZZ_ASSERT(!try_page(c, image_buf, page_size, pgno ? pgno : 1));
    } else {
        const int opens = try_page(c, image_buf, page_size, next_pgno);
        FUZZ_ASSERT(opens == (layout == SEALDB_LAYOUT_TURSO && pgno != 1));
        if (pgno != 1) {
            FUZZ_ASSERT(!try_page(c, image_buf, page_size, 1));
        }
        FUZZ_ASSERT(!try_journal(c, image_buf, page_size, offset, pgno));
    }

    /* Another salt (hardened) or the other layout is another key. */
    uint8_t salt[SEAL_SALT_BYTES];
    memcpy(salt, fuzz_salt, sizeof salt);
    salt[0] ^= 1;
    const sealdb_layout other_layout =
        layout == SEALDB_LAYOUT_TURSO ? SEALDB_LAYOUT_HARDENED : SEALDB_LAYOUT_TURSO;
    for (int i = 0; i < 2; i++) {
        seal_ctx *other = NULL;
        FUZZ_ASSERT(seal_ctx_create_salted(&other, cipher,
                                           i ? other_layout : SEALDB_LAYOUT_HARDENED, fuzz_key,
                                           key_len, i ? fuzz_salt : salt, NULL) == SEALDB_OK);
        FUZZ_ASSERT(journal ? !try_journal(other, image_buf, page_size, offset, pgno)
                            : !try_page(other, image_buf, page_size, pgno));
        seal_ctx_close(other);
    }
    seal_ctx_close(c);
    pages_free();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    if (data[0] & 1) {
        run_seal(data, size);
    } else {
        run_raw(data, size);
    }
    return 0;
}
