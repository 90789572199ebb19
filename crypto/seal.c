/*
 * seal.c - the sealed-page format: how a SQLite page becomes bytes on disk.
 *
 * A sealed file is a SQLite 3 database whose pages end in `reserved` bytes
 * (header offset 20) holding each page's tag and nonce:
 *
 *     [0, U)         ciphertext of the page's first U bytes (page 1: from 100)
 *     [U, U + 16)    tag
 *     [U + 16, P)    nonce, fresh from the OS CSPRNG for every write
 *
 * with P the page size and U = P - reserved. Page 1 keeps its 100-byte
 * header readable, except that bytes 0..15 carry the sealdb or Turso magic
 * instead of "SQLite format 3", and authenticates the header as associated
 * data. Two layouts (docs/FORMAT.md is the byte-level reference):
 *
 *   turso     Turso Database's format: the user key is the AEAD key; pages
 *             other than 1 have empty associated data.
 *   hardened  the key is HKDF(user key, salt) for a random per-database salt
 *             kept in the header (bytes 72..87, with a 4-byte key check at
 *             88..91); every page authenticates salt || page number, so a
 *             page moved within the file or copied from another database
 *             fails to open, and a wrong key is told apart from damage.
 *
 * Invariants: the caller (SQLite) only ever sees the plain view of a page:
 * "SQLite format 3\0" in bytes 0..15 of page 1, zeros in header bytes 72..91
 * and in the reserved tail. A page that fails authentication is wiped, never
 * returned. A seal_ctx is used by one thread at a time (its cipher objects
 * and nonce pool are not shared).
 */
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "crypto.h"

#define TURSO_MAGIC "Turso"
#define SEALDB_MAGIC "sealdb"
#define SEALDB_FORMAT_VERSION 1
#define SQLITE_MAGIC "SQLite format 3"
#define SALT_OFFSET 72
#define CHECK_OFFSET 88
#define NONCE_POOL_BYTES 4096

/* Random bytes fetched from the OS in one call and handed out as nonces. The
 * pool page is wiped in a forked child (MADV_WIPEONFORK), so parent and
 * child can never hand out the same nonce; where the kernel lacks that, the
 * pool stays empty and every nonce is a direct call. */
typedef struct nonce_pool {
    uint32_t avail; /* unused bytes at the end of bytes[] */
    uint8_t bytes[NONCE_POOL_BYTES - sizeof(uint32_t)];
} nonce_pool;

struct seal_ctx {
    sealdb_layout layout;
    sealdb_cipher_id cipher;
    uint32_t nonce_bytes;
    uint32_t reserved;
    uint8_t magic[16];               /* bytes 0..15 of page 1 on disk */
    uint8_t salt[SEAL_SALT_BYTES];   /* hardened only */
    uint8_t check[SEAL_CHECK_BYTES]; /* hardened only */
    sealdb_cipher *aead;
    nonce_pool *pool; /* NULL: no pool, draw every nonce directly */
};

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

const char *sealdb_layout_name(sealdb_layout layout)
{
    switch (layout) {
    case SEALDB_LAYOUT_DEFAULT: return "default";
    case SEALDB_LAYOUT_HARDENED: return "hardened";
    case SEALDB_LAYOUT_TURSO: return "turso";
    default: return NULL;
    }
}

uint32_t seal_reserved_bytes(sealdb_cipher_id cipher)
{
    const cipher_desc *d = cipher_desc_of(cipher);
    return d ? (uint32_t)d->nonce_bytes + SEALDB_TAG_BYTES : 0;
}

/* ---- header inspection ------------------------------------------------------ */

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= p[i];
    }
    return acc == 0;
}

int seal_header_read(const uint8_t *hdr, seal_file_info *info, sealdb_error *err)
{
    memset(info, 0, sizeof *info);
    const uint32_t page_size =
        hdr[16] == 0 && hdr[17] == 1 ? 65536u : (uint32_t)hdr[16] << 8 | hdr[17];
    info->page_size = page_size;
    info->reserved = hdr[20];
    if (memcmp(hdr, SQLITE_MAGIC, 16) == 0) {
        info->sealed = 0;
        return SEALDB_OK;
    }
    if (memcmp(hdr, SEAL_REPLACED_MAGIC, 16) == 0) {
        return error_set(err, SEALDB_EFORMAT,
                         "the database file was replaced (rekeyed, encrypted or restored) after "
                         "this connection opened it; close the connection and open the database "
                         "again");
    }
    if (memcmp(hdr, TURSO_MAGIC, 5) == 0) {
        info->layout = SEALDB_LAYOUT_TURSO;
        if (hdr[5] != 0) {
            return error_set(err, SEALDB_EFORMAT,
                             "Turso format version %u is not supported (expected 0)", hdr[5]);
        }
        if (!all_zero(hdr + 7, 9)) {
            return error_set(err, SEALDB_EFORMAT, "damaged Turso header: bytes 7..15 not zero");
        }
    } else if (memcmp(hdr, SEALDB_MAGIC, 6) == 0) {
        info->layout = SEALDB_LAYOUT_HARDENED;
        if (hdr[6] != SEALDB_FORMAT_VERSION) {
            return error_set(err, SEALDB_EFORMAT,
                             "sealdb format version %u is not supported (expected %u)", hdr[6],
                             SEALDB_FORMAT_VERSION);
        }
        info->key_kind = hdr[8];
        info->kdf_ops = hdr[9];
        info->kdf_mem_log2 = hdr[10];
        if (!all_zero(hdr + 11, 5)) {
            return error_set(err, SEALDB_EFORMAT, "damaged sealdb header: bytes 11..15 not zero");
        }
        if (info->key_kind > SEAL_KEY_SLOTS) {
            return error_set(err, SEALDB_EFORMAT, "unknown key kind %u in header byte 8",
                             info->key_kind);
        }
        if (info->key_kind == SEAL_KEY_PASSPHRASE
                ? (info->kdf_ops < 1 || info->kdf_mem_log2 < SEAL_KDF_MEM_LOG2_MIN ||
                   info->kdf_mem_log2 > SEAL_KDF_MEM_LOG2_MAX)
                : (info->kdf_ops != 0 || info->kdf_mem_log2 != 0)) {
            return error_set(err, SEALDB_EFORMAT,
                             "damaged sealdb header: key derivation parameters %u/%u do not fit "
                             "key kind %u",
                             info->kdf_ops, info->kdf_mem_log2, info->key_kind);
        }
        memcpy(info->salt, hdr + SALT_OFFSET, SEAL_SALT_BYTES);
        memcpy(info->check, hdr + CHECK_OFFSET, SEAL_CHECK_BYTES);
    } else {
        return error_set(err, SEALDB_EFORMAT,
                         "not a SQLite, sealdb or Turso database (unknown header magic)");
    }
    info->sealed = 1;
    const uint8_t id = hdr[info->layout == SEALDB_LAYOUT_TURSO ? 6 : 7];
    if (!cipher_desc_of((sealdb_cipher_id)id)) {
        return error_set(err, SEALDB_EFORMAT, "unknown cipher id %u in the header", id);
    }
    info->cipher = (sealdb_cipher_id)id;
    if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1))) {
        return error_set(err, SEALDB_EFORMAT, "bad page size %u in the header", page_size);
    }
    if (hdr[18] == 255 || hdr[19] == 255) {
        return error_set(err, SEALDB_EFORMAT,
                         "the database is in Turso's MVCC mode (header bytes 18/19 = 255); "
                         "switch it back with PRAGMA journal_mode='wal' in Turso first");
    }
    if (info->reserved != seal_reserved_bytes(info->cipher)) {
        return error_set(err, SEALDB_EFORMAT, "header reserves %u bytes per page; %s needs %u",
                         info->reserved, sealdb_cipher_name(info->cipher),
                         seal_reserved_bytes(info->cipher));
    }
    if (page_size - info->reserved < 480) {
        return error_set(err, SEALDB_EFORMAT,
                         "usable page size %u is below SQLite's minimum of 480 (%u-byte pages "
                         "with %s); SQLite cannot open this file",
                         page_size - info->reserved, page_size, sealdb_cipher_name(info->cipher));
    }
    return SEALDB_OK;
}

/* ---- contexts ------------------------------------------------------------------ */

int crypto_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *key, size_t key_len,
                       const uint8_t *salt, size_t salt_len, const uint8_t *info, size_t info_len)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);
    if (!kctx) {
        return -1;
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len),
        OSSL_PARAM_construct_end(),
    };
    const int rc = EVP_KDF_derive(kctx, out, out_len, params) == 1 ? 0 : -1;
    EVP_KDF_CTX_free(kctx);
    return rc;
}

/* HKDF-SHA256(key, salt, label || cipher id) into out. */
static int hkdf(uint8_t *out, size_t out_len, const uint8_t *key, size_t key_len,
                const uint8_t *salt, const char *label, uint8_t cipher_id)
{
    uint8_t info[48];
    const size_t label_len = strlen(label);
    memcpy(info, label, label_len);
    info[label_len] = cipher_id;
    return crypto_hkdf_sha256(out, out_len, key, key_len, salt, SEAL_SALT_BYTES, info,
                              label_len + 1);
}

static nonce_pool *pool_new(void)
{
    void *p =
        mmap(NULL, sizeof(nonce_pool), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }
#ifdef MADV_WIPEONFORK
    if (madvise(p, sizeof(nonce_pool), MADV_WIPEONFORK) == 0) {
        return p;
    }
#endif
    munmap(p, sizeof(nonce_pool));
    return NULL;
}

static void pool_free(nonce_pool *pool)
{
    if (pool) {
        crypto_wipe(pool, sizeof *pool);
        munmap(pool, sizeof *pool);
    }
}

static void draw_nonce(seal_ctx *c, uint8_t *nonce)
{
    nonce_pool *pool = c->pool;
    if (!pool) {
        sealdb_random_bytes(nonce, c->nonce_bytes);
        return;
    }
    if (pool->avail < c->nonce_bytes) {
        sealdb_random_bytes(pool->bytes, sizeof pool->bytes);
        pool->avail = sizeof pool->bytes;
    }
    uint8_t *src = pool->bytes + sizeof pool->bytes - pool->avail;
    memcpy(nonce, src, c->nonce_bytes);
    crypto_wipe(src, c->nonce_bytes); /* a nonce is handed out once */
    pool->avail -= c->nonce_bytes;
}

/* Builds a context for a layout and cipher; salt is used by hardened only. */
static int ctx_build(seal_ctx **out, sealdb_cipher_id cipher, sealdb_layout layout,
                     const uint8_t *key, size_t key_len, const uint8_t *salt,
                     const uint8_t *expected_check, sealdb_error *err)
{
    *out = NULL;
    const cipher_desc *d = cipher_desc_of(cipher);
    if (!d) {
        return error_set(err, SEALDB_ECIPHER, "unknown cipher id %d", (int)cipher);
    }
    if (layout == SEALDB_LAYOUT_DEFAULT) {
        layout = SEALDB_LAYOUT_HARDENED;
    }
    if (layout != SEALDB_LAYOUT_HARDENED && layout != SEALDB_LAYOUT_TURSO) {
        return error_set(err, SEALDB_EINVAL, "unknown layout %d", (int)layout);
    }
    if (key_len != d->key_bytes) {
        return error_set(err, SEALDB_EKEYLEN, "key is %zu bytes; %s expects %u bytes", key_len,
                         d->name, (unsigned)d->key_bytes);
    }
    seal_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        return error_set(err, SEALDB_ENOMEM, "out of memory for the seal context");
    }
    c->layout = layout;
    c->cipher = cipher;
    c->nonce_bytes = d->nonce_bytes;
    c->reserved = seal_reserved_bytes(cipher);
    c->pool = pool_new();
    int rc;
    if (layout == SEALDB_LAYOUT_TURSO) {
        memcpy(c->magic, TURSO_MAGIC, 5);
        c->magic[6] = (uint8_t)cipher;
        rc = sealdb_cipher_open(&c->aead, cipher, SEALDB_BACKEND_AUTO, key, key_len, err);
    } else {
        memcpy(c->magic, SEALDB_MAGIC, 6);
        c->magic[6] = SEALDB_FORMAT_VERSION;
        c->magic[7] = (uint8_t)cipher;
        memcpy(c->salt, salt, SEAL_SALT_BYTES);
        uint8_t *subkey = crypto_secure_alloc(SEALDB_MAX_KEY_BYTES);
        if (!subkey) {
            seal_ctx_close(c);
            return error_set(err, SEALDB_ENOMEM, "no locked memory for the page key");
        }
        if (hkdf(c->check, SEAL_CHECK_BYTES, key, key_len, salt, "sealdb v1 key check",
                 (uint8_t)cipher) != 0 ||
            hkdf(subkey, d->key_bytes, key, key_len, salt, "sealdb v1 page key", (uint8_t)cipher) !=
                0) {
            rc = error_set(err, SEALDB_ECRYPTO, "key derivation (HKDF-SHA256) failed");
        } else if (expected_check && !crypto_ct_equal(c->check, expected_check, SEAL_CHECK_BYTES)) {
            rc = error_set(err, SEALDB_EWRONGKEY, "wrong key for this database");
        } else {
            rc = sealdb_cipher_open(&c->aead, cipher, SEALDB_BACKEND_AUTO, subkey, d->key_bytes,
                                    err);
        }
        crypto_secure_free(subkey);
    }
    if (rc != SEALDB_OK) {
        seal_ctx_close(c);
        return rc;
    }
    *out = c;
    return SEALDB_OK;
}

int seal_ctx_create(seal_ctx **out, sealdb_cipher_id cipher, sealdb_layout layout,
                    const uint8_t *key, size_t key_len, sealdb_error *err)
{
    uint8_t salt[SEAL_SALT_BYTES];
    if (sealdb_random_bytes(salt, sizeof salt) != SEALDB_OK) {
        *out = NULL;
        return error_set(err, SEALDB_ECRYPTO, "the OS random source cannot be used");
    }
    return ctx_build(out, cipher, layout, key, key_len, salt, NULL, err);
}

int seal_ctx_create_salted(seal_ctx **out, sealdb_cipher_id cipher, sealdb_layout layout,
                           const uint8_t *key, size_t key_len, const uint8_t *salt,
                           sealdb_error *err)
{
    return ctx_build(out, cipher, layout, key, key_len, salt, NULL, err);
}

int seal_ctx_open(seal_ctx **out, const seal_file_info *info, const uint8_t *key, size_t key_len,
                  sealdb_error *err)
{
    if (!info->sealed) {
        *out = NULL;
        return error_set(err, SEALDB_ENOTSEALED, "the file is a plain SQLite database");
    }
    const int rc =
        ctx_build(out, info->cipher, info->layout, key, key_len, info->salt, info->check, err);
    if (rc == SEALDB_OK) {
        seal_ctx_set_key_kind(*out, info->key_kind, info->kdf_ops, info->kdf_mem_log2);
    }
    return rc;
}

void seal_ctx_close(seal_ctx *c)
{
    if (!c) {
        return;
    }
    sealdb_cipher_close(c->aead);
    pool_free(c->pool);
    crypto_wipe(c, sizeof *c);
    free(c);
}

sealdb_cipher_id seal_ctx_cipher(const seal_ctx *c)
{
    return c->cipher;
}

int seal_ctx_set_key_kind(seal_ctx *c, uint8_t kind, uint8_t kdf_ops, uint8_t kdf_mem_log2)
{
    if (c->layout != SEALDB_LAYOUT_HARDENED) {
        return kind == SEAL_KEY_RAW ? SEALDB_OK : SEALDB_EINVAL;
    }
    c->magic[8] = kind;
    c->magic[9] = kdf_ops;
    c->magic[10] = kdf_mem_log2;
    return SEALDB_OK;
}

uint8_t seal_ctx_key_kind(const seal_ctx *c)
{
    return c->layout == SEALDB_LAYOUT_HARDENED ? c->magic[8] : SEAL_KEY_RAW;
}

void seal_ctx_salt(const seal_ctx *c, uint8_t salt[SEAL_SALT_BYTES])
{
    memcpy(salt, c->salt, SEAL_SALT_BYTES);
}

sealdb_layout seal_ctx_layout(const seal_ctx *c)
{
    return c->layout;
}

uint32_t seal_ctx_reserved(const seal_ctx *c)
{
    return c->reserved;
}

/* ---- pages ---------------------------------------------------------------------- */

/* Associated data of a database page (or WAL frame image) other than page 1. */
static size_t page_ad(const seal_ctx *c, uint8_t *ad, uint32_t pgno)
{
    if (c->layout == SEALDB_LAYOUT_TURSO) {
        return 0;
    }
    memcpy(ad, c->salt, SEAL_SALT_BYTES);
    put_be32(ad + SEAL_SALT_BYTES, pgno);
    return SEAL_SALT_BYTES + 4;
}

int seal_page(seal_ctx *c, uint8_t *out, const uint8_t *in, uint32_t page_size, uint32_t pgno)
{
    uint8_t nonce[SEALDB_MAX_NONCE_BYTES];
    draw_nonce(c, nonce);
    return seal_page_nonce(c, out, in, page_size, pgno, nonce);
}

int seal_page_nonce(seal_ctx *c, uint8_t *out, const uint8_t *in, uint32_t page_size, uint32_t pgno,
                    const uint8_t *nonce_in)
{
    if (page_size < 512 || page_size <= c->reserved + 100 || pgno == 0) {
        return SEALDB_EINVAL;
    }
    const uint32_t usable = page_size - c->reserved;
    uint8_t *tag = out + usable, *nonce = out + usable + SEALDB_TAG_BYTES;
    uint8_t ad[SEAL_SALT_BYTES + 104];
    size_t ad_len, start;
    if (pgno == 1) {
        /* The header travels in the clear with our magic and, for hardened,
         * the salt and key check; all of it is authenticated. */
        if (out != in) {
            memcpy(out + 16, in + 16, 84);
        }
        memcpy(out, c->magic, 16);
        if (c->layout == SEALDB_LAYOUT_HARDENED) {
            memcpy(out + SALT_OFFSET, c->salt, SEAL_SALT_BYTES);
            memcpy(out + CHECK_OFFSET, c->check, SEAL_CHECK_BYTES);
            memcpy(ad, out, 100);
            put_be32(ad + 100, 1);
            ad_len = 104;
        } else {
            memcpy(ad, out, 100);
            ad_len = 100;
        }
        start = 100;
    } else {
        ad_len = page_ad(c, ad, pgno);
        start = 0;
    }
    memcpy(nonce, nonce_in, c->nonce_bytes);
    const int rc = sealdb_cipher_encrypt(c->aead, out + start, tag, in + start, usable - start, ad,
                                         ad_len, nonce);
    crypto_wipe(ad, sizeof ad);
    return rc;
}

int unseal_page(seal_ctx *c, uint8_t *page, uint32_t page_size, uint32_t pgno)
{
    if (page_size < 512 || page_size <= c->reserved + 100 || pgno == 0) {
        return SEALDB_EINVAL;
    }
    const uint32_t usable = page_size - c->reserved;
    uint8_t tag[SEALDB_TAG_BYTES], nonce[SEALDB_MAX_NONCE_BYTES];
    memcpy(tag, page + usable, SEALDB_TAG_BYTES);
    memcpy(nonce, page + usable + SEALDB_TAG_BYTES, c->nonce_bytes);
    uint8_t ad[SEAL_SALT_BYTES + 104];
    size_t ad_len, start;
    if (pgno == 1) {
        if (memcmp(page, c->magic, 16) != 0) {
            crypto_wipe(page, page_size);
            return SEALDB_ECORRUPT;
        }
        memcpy(ad, page, 100);
        ad_len = 100;
        if (c->layout == SEALDB_LAYOUT_HARDENED) {
            put_be32(ad + 100, 1);
            ad_len = 104;
        }
        start = 100;
    } else {
        ad_len = page_ad(c, ad, pgno);
        start = 0;
    }
    int rc = sealdb_cipher_decrypt(c->aead, page + start, page + start, usable - start, tag, ad,
                                   ad_len, nonce);
    if (rc != SEALDB_OK) {
        crypto_wipe(page, page_size);
        return rc == SEALDB_EAUTH ? SEALDB_ECORRUPT : rc;
    }
    memset(page + usable, 0, c->reserved);
    if (pgno == 1) {
        memcpy(page, SQLITE_MAGIC, 16); /* includes the terminating NUL */
        if (c->layout == SEALDB_LAYOUT_HARDENED) {
            memset(page + SALT_OFFSET, 0, SEAL_SALT_BYTES + SEAL_CHECK_BYTES);
        }
    }
    return SEALDB_OK;
}

/* Associated data of a rollback-journal page image: 'J', its offset in the
 * journal, the page number SQLite recorded for it, and the salt (hardened),
 * so an image cannot be moved within the journal or played back onto
 * another page. */
static size_t journal_ad(const seal_ctx *c, uint8_t *ad, uint64_t offset, uint32_t pgno)
{
    ad[0] = 'J';
    put_be64(ad + 1, offset);
    put_be32(ad + 9, pgno);
    if (c->layout == SEALDB_LAYOUT_TURSO) {
        return 13;
    }
    memcpy(ad + 13, c->salt, SEAL_SALT_BYTES);
    return 13 + SEAL_SALT_BYTES;
}

int seal_journal_page(seal_ctx *c, uint8_t *out, const uint8_t *in, uint32_t page_size,
                      uint64_t offset, uint32_t pgno)
{
    if (page_size <= c->reserved) {
        return SEALDB_EINVAL;
    }
    const uint32_t usable = page_size - c->reserved;
    uint8_t ad[13 + SEAL_SALT_BYTES];
    const size_t ad_len = journal_ad(c, ad, offset, pgno);
    draw_nonce(c, out + usable + SEALDB_TAG_BYTES);
    return sealdb_cipher_encrypt(c->aead, out, out + usable, in, usable, ad, ad_len,
                                 out + usable + SEALDB_TAG_BYTES);
}

int unseal_journal_page(seal_ctx *c, uint8_t *page, uint32_t page_size, uint64_t offset,
                        uint32_t pgno)
{
    if (page_size <= c->reserved) {
        return SEALDB_EINVAL;
    }
    const uint32_t usable = page_size - c->reserved;
    uint8_t tag[SEALDB_TAG_BYTES], nonce[SEALDB_MAX_NONCE_BYTES];
    memcpy(tag, page + usable, SEALDB_TAG_BYTES);
    memcpy(nonce, page + usable + SEALDB_TAG_BYTES, c->nonce_bytes);
    uint8_t ad[13 + SEAL_SALT_BYTES];
    const size_t ad_len = journal_ad(c, ad, offset, pgno);
    const int rc = sealdb_cipher_decrypt(c->aead, page, page, usable, tag, ad, ad_len, nonce);
    if (rc != SEALDB_OK) {
        crypto_wipe(page, page_size);
        return rc == SEALDB_EAUTH ? SEALDB_ECORRUPT : rc;
    }
    memset(page + usable, 0, c->reserved);
    return SEALDB_OK;
}
