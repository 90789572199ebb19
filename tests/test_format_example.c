/*
 * test_format_example.c - the worked example of docs/FORMAT.md, computed.
 *
 * Every hex value the example shows is written here once, exactly as the
 * document prints it (label and all), and checked three ways: the sealing
 * code must produce it (seal_ctx_create_salted, seal_page_nonce), the
 * document must contain it verbatim, and the document's description must
 * explain it: the page key and key check are derived here with OpenSSL's
 * HKDF from the documented inputs alone, and the sealed pages are opened and
 * re-sealed with that key and the documented associated data through the
 * plain cipher API (portable AEGIS back end), never the sealing code. So
 * neither the code nor the document can change the format without this test
 * failing. The same independent derivation is checked for every cipher, and
 * the documented associated data of rollback-journal images for both
 * layouts.
 */
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "check.h"
#include "crypto.h"

#define FORMAT_MD SEALDB_TEST_VECTORS "/../../docs/FORMAT.md"
#define PS 1024u /* page size P of the example */
#define RES 32u  /* reserved bytes R of aegis128l */
#define USABLE (PS - RES)

/* ---- the example's values, as docs/FORMAT.md prints them ---------------------------------- */

#define USER_KEY "user key:    00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f"
#define SALT "salt:        10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f"
#define NONCE "nonce:       a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad ae af"
#define INFO_PAGE_KEY "info:        73 65 61 6c 64 62 20 76 31 20 70 61 67 65 20 6b 65 79 06"
#define PAGE_KEY "page key:    77 1d 30 78 e8 d4 5d ee 78 f7 14 89 ac 3f 8d b5"
#define INFO_CHECK "info:        73 65 61 6c 64 62 20 76 31 20 6b 65 79 20 63 68 65 63 6b 06"
#define KEY_CHECK "key check:   e1 c5 af 63"

#define P2_AD "AD:          10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f 00 00 00 02"
#define P2_CT_FIRST "[0, 16):      58 6d 51 16 b6 df dd 46 52 26 3f 6b f7 44 51 39"
#define P2_CT_LAST "[976, 992):   32 c1 39 52 9f e1 3a 0c ff b7 e1 98 44 e7 fd 2e"
#define P2_TAG "[992, 1008):  d4 fe a5 b0 f4 3e 5a 51 5e a7 31 e3 03 e9 21 b7"
#define NONCE_AT "[1008, 1024): a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab ac ad ae af"

/* Page 1 as SQLite sees it: its header (then the pattern from byte 100). */
static const char *const plain_header[] = {
    "  0: 53 51 4c 69 74 65 20 66 6f 72 6d 61 74 20 33 00",
    " 16: 04 00 02 02 20 40 20 20 00 00 00 01 00 00 00 02",
    " 32: 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 04",
    " 48: 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 00",
    " 64: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
    " 80: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01",
    " 96: 00 2e 63 01",
};

/* Page 1 as stored (hardened): magic, header in the clear, salt, key check. */
static const char *const stored_header[] = {
    "  0: 73 65 61 6c 64 62 01 06 00 00 00 00 00 00 00 00",
    " 16: 04 00 02 02 20 40 20 20 00 00 00 01 00 00 00 02",
    " 32: 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 04",
    " 48: 00 00 00 00 00 00 00 00 00 00 00 01 00 00 00 00",
    " 64: 00 00 00 00 00 00 00 00 10 11 12 13 14 15 16 17",
    " 80: 18 19 1a 1b 1c 1d 1e 1f e1 c5 af 63 00 00 00 01",
    " 96: 00 2e 63 01",
};

#define P1_AD_TAIL "100: 00 00 00 01"
#define P1_CT_FIRST "[100, 116):   59 bb 4b 03 ef 03 42 5d f9 07 54 c5 0f e5 90 bf"
#define P1_CT_LAST "[976, 992):   61 05 bc 1d 32 bd 73 88 34 e4 2e 01 d3 63 5d 47"
#define P1_TAG "[992, 1008):  08 7f 39 35 14 c3 7f d1 1e 40 db 66 7e 70 ee 68"

#define T2_CT_FIRST "[0, 16):      1f c6 83 ef 10 25 a8 06 f0 1d 67 33 32 d7 bf 71"
#define T2_CT_LAST "[976, 992):   cc e2 50 c9 0e 59 32 48 c2 cf bb 5c 6f a9 14 f3"
#define T2_TAG "[992, 1008):  5e 98 eb 7a 0b 9a 0a a4 10 92 4e d2 82 ca 6a 35"

#define J_AD_HARDENED                                                                              \
    "AD:          4a 00 00 00 00 00 00 02 04 00 00 00 02 10 11 12 13 14 15 16 17 18 19 1a 1b 1c "  \
    "1d 1e 1f"
#define J_AD_TURSO "AD:          4a 00 00 00 00 00 00 02 04 00 00 00 02"
#define J_OFFSET 516u /* first image of a journal with 512-byte sectors */

/* ---- helpers ---------------------------------------------------------------------------- */

/* Decodes the hex after the first ':' of a documented line ("label: 0a 1b"). */
static size_t doc_hex(const char *line, uint8_t *out, size_t cap)
{
    const char *p = strchr(line, ':');
    size_t n = 0;
    for (p = p ? p + 1 : line; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        unsigned v;
        if (n == cap || sscanf(p, "%2x", &v) != 1) {
            fprintf(stderr, "bad documented hex: %s\n", line);
            abort();
        }
        out[n++] = (uint8_t)v;
        p += 2;
    }
    return n;
}

/* Checks that `actual` holds exactly the bytes of a documented line. */
#define CHECK_DOC(actual, line)                                                                    \
    do {                                                                                           \
        uint8_t doc_b_[64];                                                                        \
        const size_t doc_n_ = doc_hex((line), doc_b_, sizeof doc_b_);                              \
        const int doc_before_ = check_failures;                                                    \
        CHECK_MEM((actual), doc_b_, doc_n_);                                                       \
        if (check_failures > doc_before_) {                                                        \
            fprintf(stderr, "  documented as \"%s\"\n", (line));                                   \
        }                                                                                          \
    } while (0)

/* Concatenates the bytes of documented lines. */
static size_t doc_lines_hex(const char *const *lines, size_t n, uint8_t *out, size_t cap)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        len += doc_hex(lines[i], out + len, cap - len);
    }
    return len;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* HKDF-SHA256 (RFC 5869) through OpenSSL, from the inputs FORMAT.md names. */
static void hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *ikm, size_t ikm_len,
                        const uint8_t *salt, size_t salt_len, const uint8_t *info, size_t info_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len),
        OSSL_PARAM_construct_end(),
    };
    CHECK(kctx != NULL && EVP_KDF_derive(kctx, out, out_len, params) == 1);
    EVP_KDF_CTX_free(kctx);
}

/* info = label bytes, then the cipher id byte (FORMAT.md, key derivation). */
static void derive(uint8_t *out, size_t out_len, const uint8_t *user_key, size_t key_len,
                   const uint8_t *salt, const char *label, sealdb_cipher_id id)
{
    uint8_t info[32];
    const size_t n = strlen(label);
    memcpy(info, label, n);
    info[n] = (uint8_t)id;
    hkdf_sha256(out, out_len, user_key, key_len, salt, SEAL_SALT_BYTES, info, n + 1);
}

/* Seals in[start, usable) with the plain cipher API and checks it against a
 * stored page image, then opens the stored image the same way. */
static void check_against_cipher(sealdb_cipher_id id, const uint8_t *key, size_t key_len,
                                 const uint8_t *stored, const uint8_t *plain, uint32_t page_size,
                                 uint32_t start, const uint8_t *ad, size_t ad_len)
{
    const uint32_t usable = page_size - seal_reserved_bytes(id);
    const uint8_t *tag = stored + usable, *nonce = stored + usable + SEALDB_TAG_BYTES;
    const sealdb_backend backend =
        cipher_desc_of(id)->is_aegis ? SEALDB_BACKEND_PORTABLE : SEALDB_BACKEND_OPENSSL;
    const int before = check_failures;
    sealdb_cipher *c = NULL;
    CHECK_INT(sealdb_cipher_open(&c, id, backend, key, key_len, NULL), SEALDB_OK);
    if (!c) {
        return;
    }
    uint8_t buf[PS], t[SEALDB_TAG_BYTES];
    CHECK_INT(sealdb_cipher_encrypt(c, buf, t, plain + start, usable - start, ad, ad_len, nonce),
              SEALDB_OK);
    CHECK_MEM(buf, stored + start, usable - start);
    CHECK_MEM(t, tag, SEALDB_TAG_BYTES);
    CHECK_INT(sealdb_cipher_decrypt(c, buf, stored + start, usable - start, tag, ad, ad_len, nonce),
              SEALDB_OK);
    CHECK_MEM(buf, plain + start, usable - start);
    if (check_failures > before) {
        fprintf(stderr, "  in: %s, %u-byte page, ciphertext from %u\n", sealdb_cipher_name(id),
                page_size, start);
    }
    sealdb_cipher_close(c);
}

/* The example's plaintext: byte i is i mod 251 up to the usable size, then
 * zeros in the reserved tail; page 1 starts with the documented header. */
static void make_plain(uint8_t *page, uint32_t page_size, uint32_t usable, int pgno)
{
    for (uint32_t i = 0; i < page_size; i++) {
        page[i] = i < usable ? (uint8_t)(i % 251) : 0;
    }
    if (pgno == 1) {
        doc_lines_hex(plain_header, 7, page, 100);
    }
}

/* ---- the worked example ------------------------------------------------------------------- */

static uint8_t user_key[16], salt[16], nonce[16], page_key[16], key_check[4];
static uint8_t plain1[PS], plain2[PS];

static void test_inputs(void)
{
    CHECK_INT(doc_hex(USER_KEY, user_key, sizeof user_key), 16);
    CHECK_INT(doc_hex(SALT, salt, sizeof salt), 16);
    CHECK_INT(doc_hex(NONCE, nonce, sizeof nonce), 16);
    make_plain(plain1, PS, USABLE, 1);
    make_plain(plain2, PS, USABLE, 2);
    CHECK_MEM(plain1, "SQLite format 3", 16);
    CHECK_INT(seal_reserved_bytes(SEALDB_AEGIS128L), RES);
}

/* The page key and key check, from the documented HKDF inputs only. */
static void test_derivation(void)
{
    uint8_t info[32];
    const size_t n = doc_hex(INFO_PAGE_KEY, info, sizeof info);
    CHECK_INT(n, 19);
    CHECK_MEM(info, "sealdb v1 page key\x06", n);
    hkdf_sha256(page_key, sizeof page_key, user_key, 16, salt, 16, info, n);
    CHECK_DOC(page_key, PAGE_KEY);
    const size_t m = doc_hex(INFO_CHECK, info, sizeof info);
    CHECK_INT(m, 20);
    CHECK_MEM(info, "sealdb v1 key check\x06", m);
    hkdf_sha256(key_check, sizeof key_check, user_key, 16, salt, 16, info, m);
    CHECK_DOC(key_check, KEY_CHECK);
}

static void test_hardened_page2(seal_ctx *c)
{
    uint8_t s[PS], t[PS], ad[20];
    CHECK_INT(seal_page_nonce(c, s, plain2, PS, 2, nonce), SEALDB_OK);
    CHECK_DOC(s, P2_CT_FIRST);
    CHECK_DOC(s + 976, P2_CT_LAST);
    CHECK_DOC(s + USABLE, P2_TAG);
    CHECK_DOC(s + USABLE + 16, NONCE_AT);
    CHECK_MEM(s + USABLE + 16, nonce, 16);
    /* AD = salt || page number (4 bytes, big-endian) */
    memcpy(ad, salt, 16);
    put_be32(ad + 16, 2);
    CHECK_INT(doc_hex(P2_AD, t, sizeof t), 20);
    CHECK_MEM(t, ad, 20);
    check_against_cipher(SEALDB_AEGIS128L, page_key, 16, s, plain2, PS, 0, ad, 20);
    /* the code opens it into SQLite's view, and only as page 2 */
    memcpy(t, s, PS);
    CHECK_INT(unseal_page(c, t, PS, 2), SEALDB_OK);
    CHECK_MEM(t, plain2, PS);
    memcpy(t, s, PS);
    CHECK_INT(unseal_page(c, t, PS, 3), SEALDB_ECORRUPT);
    CHECK(check_all_zero(t, PS));
}

static void test_hardened_page1(seal_ctx *c)
{
    uint8_t s[PS], t[PS], hdr[100], ad[104];
    CHECK_INT(seal_page_nonce(c, s, plain1, PS, 1, nonce), SEALDB_OK);
    CHECK_INT(doc_lines_hex(stored_header, 7, hdr, sizeof hdr), 100);
    CHECK_MEM(s, hdr, 100);
    /* what the header table of FORMAT.md says about those bytes */
    CHECK_MEM(s, "sealdb\x01\x06\0\0\0\0\0\0\0\0", 16);
    CHECK_MEM(s + 16, plain1 + 16, 72 - 16);
    CHECK_MEM(s + 72, salt, 16);
    CHECK_MEM(s + 88, key_check, 4);
    CHECK_MEM(s + 92, plain1 + 92, 8);
    CHECK_DOC(s + 100, P1_CT_FIRST);
    CHECK_DOC(s + 976, P1_CT_LAST);
    CHECK_DOC(s + USABLE, P1_TAG);
    CHECK_DOC(s + USABLE + 16, NONCE_AT);
    /* AD = the 100 stored header bytes || page number 1 (4 bytes, big-endian) */
    memcpy(ad, hdr, 100);
    CHECK_INT(doc_hex(P1_AD_TAIL, ad + 100, 4), 4);
    CHECK_MEM(ad + 100, "\0\0\0\1", 4);
    check_against_cipher(SEALDB_AEGIS128L, page_key, 16, s, plain1, PS, 100, ad, 104);
    /* read without a key, the header names everything needed to open it */
    seal_file_info info;
    CHECK_INT(seal_header_read(s, &info, NULL), SEALDB_OK);
    CHECK_INT(info.sealed, 1);
    CHECK_INT(info.layout, SEALDB_LAYOUT_HARDENED);
    CHECK_INT(info.cipher, SEALDB_AEGIS128L);
    CHECK_INT(info.page_size, PS);
    CHECK_INT(info.reserved, RES);
    CHECK_MEM(info.salt, salt, 16);
    CHECK_MEM(info.check, key_check, 4);
    seal_ctx *o = NULL;
    CHECK_INT(seal_ctx_open(&o, &info, user_key, 16, NULL), SEALDB_OK);
    uint8_t wrong[16];
    memcpy(wrong, user_key, 16);
    wrong[15] ^= 1;
    seal_ctx *w = NULL;
    CHECK_INT(seal_ctx_open(&w, &info, wrong, 16, NULL), SEALDB_EWRONGKEY);
    /* SQLite's view: its magic, zeros at 72..91 and in the reserved tail */
    if (o) {
        memcpy(t, s, PS);
        CHECK_INT(unseal_page(o, t, PS, 1), SEALDB_OK);
        CHECK_MEM(t, plain1, PS);
        seal_ctx_close(o);
    }
}

/* The turso layout: the user key is the AEAD key, pages 2.. have empty AD. */
static void test_turso_page2(void)
{
    seal_ctx *c = NULL;
    CHECK_INT(
        seal_ctx_create_salted(&c, SEALDB_AEGIS128L, SEALDB_LAYOUT_TURSO, user_key, 16, salt, NULL),
        SEALDB_OK);
    if (!c) {
        return;
    }
    uint8_t s[PS], t[PS];
    CHECK_INT(seal_page_nonce(c, s, plain2, PS, 2, nonce), SEALDB_OK);
    CHECK_DOC(s, T2_CT_FIRST);
    CHECK_DOC(s + 976, T2_CT_LAST);
    CHECK_DOC(s + USABLE, T2_TAG);
    CHECK_DOC(s + USABLE + 16, NONCE_AT);
    check_against_cipher(SEALDB_AEGIS128L, user_key, 16, s, plain2, PS, 0, NULL, 0);
    memcpy(t, s, PS);
    CHECK_INT(unseal_page(c, t, PS, 2), SEALDB_OK);
    CHECK_MEM(t, plain2, PS);
    /* page 1: Turso's magic, AD = the 100 stored header bytes, no salt */
    CHECK_INT(seal_page_nonce(c, s, plain1, PS, 1, nonce), SEALDB_OK);
    CHECK_MEM(s, "Turso\0\x06\0\0\0\0\0\0\0\0\0", 16);
    CHECK_MEM(s + 16, plain1 + 16, 84);
    check_against_cipher(SEALDB_AEGIS128L, user_key, 16, s, plain1, PS, 100, s, 100);
    seal_ctx_close(c);
}

/* Rollback-journal images: AD = 'J' || offset (8 bytes BE) || page number
 * (4 bytes BE) || salt (hardened). */
static void test_journal(seal_ctx *hardened)
{
    seal_ctx *turso = NULL;
    CHECK_INT(seal_ctx_create_salted(&turso, SEALDB_AEGIS128L, SEALDB_LAYOUT_TURSO, user_key, 16,
                                     salt, NULL),
              SEALDB_OK);
    const struct {
        seal_ctx *c;
        const char *ad_line;
        const uint8_t *key;
    } cases[] = {{hardened, J_AD_HARDENED, page_key}, {turso, J_AD_TURSO, user_key}};
    for (size_t k = 0; k < 2 && turso; k++) {
        uint8_t ad[40], expect[40], s[PS], t[PS];
        const size_t ad_len = doc_hex(cases[k].ad_line, ad, sizeof ad);
        expect[0] = 'J';
        memset(expect + 1, 0, 4);
        put_be32(expect + 5, J_OFFSET);
        put_be32(expect + 9, 2);
        memcpy(expect + 13, salt, 16);
        CHECK_INT(ad_len, k == 0 ? 29 : 13);
        CHECK_MEM(ad, expect, ad_len);
        /* the whole image is sealed, page 1 included: the journal holds SQLite's view */
        const uint8_t *pages[] = {plain1, plain2};
        for (uint32_t p = 0; p < 2; p++) {
            CHECK_INT(seal_journal_page(cases[k].c, s, pages[p], PS, J_OFFSET, p + 1), SEALDB_OK);
            if (p == 1) { /* the documented AD is page 2's */
                check_against_cipher(SEALDB_AEGIS128L, cases[k].key, 16, s, pages[p], PS, 0, ad,
                                     ad_len);
            }
            memcpy(t, s, PS);
            CHECK_INT(unseal_journal_page(cases[k].c, t, PS, J_OFFSET, p + 1), SEALDB_OK);
            CHECK_MEM(t, pages[p], PS);
            memcpy(t, s, PS);
            CHECK_INT(unseal_journal_page(cases[k].c, t, PS, J_OFFSET + PS + 8, p + 1),
                      SEALDB_ECORRUPT);
            memcpy(t, s, PS);
            CHECK_INT(unseal_journal_page(cases[k].c, t, PS, J_OFFSET, p + 2), SEALDB_ECORRUPT);
        }
    }
    seal_ctx_close(turso);
}

/* Every cipher: reserved bytes, and the documented derivation (output length
 * = the cipher's key size, cipher id in info) and AD open its pages. */
static void test_all_ciphers(void)
{
    static const struct {
        sealdb_cipher_id id;
        uint32_t key, nonce, reserved, usable4096;
    } table[] = {
        {SEALDB_AES128GCM, 16, 12, 28, 4068},  {SEALDB_AES256GCM, 32, 12, 28, 4068},
        {SEALDB_AEGIS256, 32, 32, 48, 4048},   {SEALDB_AEGIS256X2, 32, 32, 48, 4048},
        {SEALDB_AEGIS256X4, 32, 32, 48, 4048}, {SEALDB_AEGIS128L, 16, 16, 32, 4064},
        {SEALDB_AEGIS128X2, 16, 16, 32, 4064}, {SEALDB_AEGIS128X4, 16, 16, 32, 4064},
    };
    for (size_t k = 0; k < sizeof table / sizeof table[0]; k++) {
        const sealdb_cipher_id id = table[k].id;
        CHECK_INT(sealdb_cipher_key_bytes(id), table[k].key);
        CHECK_INT(sealdb_cipher_nonce_bytes(id), table[k].nonce);
        CHECK_INT(seal_reserved_bytes(id), table[k].reserved);
        CHECK_INT(4096 - seal_reserved_bytes(id), table[k].usable4096);
        uint8_t key[32], n[32], pk[32], check[4], p1[PS], p2[PS], s1[PS], s2[PS], ad[20];
        for (int i = 0; i < 32; i++) {
            key[i] = (uint8_t)i;
            n[i] = (uint8_t)(0xa0 + i);
        }
        const uint32_t usable = PS - table[k].reserved;
        make_plain(p1, PS, usable, 1);
        make_plain(p2, PS, usable, 2);
        p1[20] = (uint8_t)table[k].reserved;
        seal_ctx *c = NULL;
        CHECK_INT(
            seal_ctx_create_salted(&c, id, SEALDB_LAYOUT_HARDENED, key, table[k].key, salt, NULL),
            SEALDB_OK);
        if (!c) {
            continue;
        }
        CHECK_INT(seal_page_nonce(c, s1, p1, PS, 1, n), SEALDB_OK);
        CHECK_INT(seal_page_nonce(c, s2, p2, PS, 2, n), SEALDB_OK);
        CHECK_INT(s1[7], id);
        derive(pk, table[k].key, key, table[k].key, salt, "sealdb v1 page key", id);
        derive(check, 4, key, table[k].key, salt, "sealdb v1 key check", id);
        CHECK_MEM(s1 + 88, check, 4);
        memcpy(ad, salt, 16);
        put_be32(ad + 16, 2);
        check_against_cipher(id, pk, table[k].key, s2, p2, PS, 0, ad, 20);
        uint8_t ad1[104];
        memcpy(ad1, s1, 100);
        put_be32(ad1 + 100, 1);
        check_against_cipher(id, pk, table[k].key, s1, p1, PS, 100, ad1, 104);
        seal_ctx_close(c);
    }
}

/* Every value above appears in docs/FORMAT.md exactly as written here. */
static void test_document(void)
{
    FILE *f = fopen(FORMAT_MD, "rb");
    CHECK(f != NULL);
    if (!f) {
        return;
    }
    static char doc[256 * 1024];
    const size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    const char *const lines[] = {
        USER_KEY,   SALT,          NONCE,           INFO_PAGE_KEY, PAGE_KEY,    INFO_CHECK,
        KEY_CHECK,  P2_AD,         P2_CT_FIRST,     P2_CT_LAST,    P2_TAG,      NONCE_AT,
        P1_AD_TAIL, P1_CT_FIRST,   P1_CT_LAST,      P1_TAG,        T2_CT_FIRST, T2_CT_LAST,
        T2_TAG,     J_AD_HARDENED, J_AD_TURSO "\n",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        CHECK(strstr(doc, lines[i]) != NULL);
        if (!strstr(doc, lines[i])) {
            fprintf(stderr, "  not in %s: \"%s\"\n", FORMAT_MD, lines[i]);
        }
    }
    for (size_t i = 0; i < 7; i++) {
        CHECK(strstr(doc, plain_header[i]) != NULL);
        CHECK(strstr(doc, stored_header[i]) != NULL);
    }
}

int main(void)
{
    test_inputs();
    test_derivation();
    seal_ctx *c = NULL;
    CHECK_INT(seal_ctx_create_salted(&c, SEALDB_AEGIS128L, SEALDB_LAYOUT_HARDENED, user_key, 16,
                                     salt, NULL),
              SEALDB_OK);
    if (c) {
        test_hardened_page2(c);
        test_hardened_page1(c);
        test_journal(c);
        seal_ctx_close(c);
    }
    test_turso_page2();
    test_all_ciphers();
    test_document();
    return check_report();
}
