/*
 * crypto.h - the contract of crypto/, the layer that keeps secrets.
 *
 * Other folders include only this header (and the public sealdb.h). It
 * offers the cipher table, the AEGIS back ends for tests and benchmarks, CPU
 * feature detection, constant-time helpers and locked memory for keys.
 *
 * Invariants:
 * - Key bytes live only in memory from crypto_secure_alloc (locked, guarded,
 *   wiped on free) or in OpenSSL's cipher contexts (cleansed when freed).
 * - Nothing in this folder prints or logs key material or plaintext.
 * - The AEGIS dispatch table is chosen once per process (the only global
 *   mutable state of the library) and is read-only afterwards.
 */
#ifndef SEALDB_CRYPTO_H
#define SEALDB_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "sealdb.h"

/* ---- cipher descriptions ------------------------------------------------ */

typedef struct cipher_desc {
    sealdb_cipher_id id;
    const char *name; /* canonical name, "aegis128l" */
    uint8_t key_bytes;
    uint8_t nonce_bytes;
    uint8_t is_aegis;
} cipher_desc;

/* The description of a cipher id, or NULL if the id is unknown. */
const cipher_desc *cipher_desc_of(sealdb_cipher_id id);

/* ---- AEGIS back ends ---------------------------------------------------- */

/* One AEGIS variant on one back end. Both functions accept in-place
 * operation (output == input) and tag lengths 16 and 32. decrypt returns 0,
 * or -1 after wiping the output when the tag does not verify. Lengths are
 * not checked here; callers enforce the 2^61-1 byte limit. */
typedef struct aegis_impl {
    sealdb_backend backend;
    void (*encrypt)(uint8_t *c, uint8_t *tag, size_t tag_len, const uint8_t *m, size_t msg_len,
                    const uint8_t *ad, size_t ad_len, const uint8_t *nonce, const uint8_t *key);
    int (*decrypt)(uint8_t *m, const uint8_t *c, size_t msg_len, const uint8_t *tag, size_t tag_len,
                   const uint8_t *ad, size_t ad_len, const uint8_t *nonce, const uint8_t *key);
} aegis_impl;

/* The implementation of an AEGIS cipher on a back end, or NULL when the
 * cipher is not AEGIS or the back end cannot run on this CPU or build.
 * SEALDB_BACKEND_AUTO gives the fastest available one, honouring the
 * SEALDB_AEGIS_BACKEND=portable environment override. */
const aegis_impl *aegis_impl_get(sealdb_cipher_id id, sealdb_backend backend);

/* Per back end tables, indexed by cipher id; entries for non-AEGIS ids are
 * NULL. The hardware tables must only be used after the CPU check. */
const aegis_impl *aegis_soft_impl(sealdb_cipher_id id);
const aegis_impl *aegis_aesni_impl(sealdb_cipher_id id);
const aegis_impl *aegis_aesni512_impl(sealdb_cipher_id id); /* same, built for AVX-512VL */
const aegis_impl *aegis_vaes_impl(sealdb_cipher_id id);     /* X2/X4 on 256-bit VAES */
const aegis_impl *aegis_vaes512_impl(sealdb_cipher_id id);  /* X4 on 512-bit VAES */

/* ---- CPU features -------------------------------------------------------- */

#define CPU_AESNI 1u    /* AES-NI and AVX usable (OS saves the YMM state) */
#define CPU_VAES256 2u  /* VAES with AVX2 on 256-bit registers */
#define CPU_VAES512 4u  /* VAES with AVX-512F on 512-bit registers */
#define CPU_AVX512VL 8u /* AES-NI with AVX-512F and AVX-512VL (EVEX on 128-bit registers) */

/* Bit set of CPU_* features of the running CPU, detected once. */
unsigned cpu_features(void);

/* ---- sealed pages (seal.c; docs/FORMAT.md) ----------------------------- */

#define SEAL_SALT_BYTES 16
#define SEAL_CHECK_BYTES 4

/* Header byte 8 of the hardened layout: where the page key comes from. */
enum {
    SEAL_KEY_RAW = 0,        /* the caller's key */
    SEAL_KEY_PASSPHRASE = 1, /* Argon2id(passphrase, salt); bytes 9, 10 its cost */
    SEAL_KEY_SLOTS = 2,      /* a random data key, wrapped in the key-slot file */
};
/* Bytes 0..15 written over the old file when a database is replaced under
 * open connections (rekey, encrypt in place, restore): they then fail with
 * a message instead of reading or writing a file no longer in use. */
#define SEAL_REPLACED_MAGIC "sealdb replaced"
#define SEAL_KDF_MEM_LOG2_MIN 13 /* Argon2id memory: 2^13 KiB = 8 MiB ... */
#define SEAL_KDF_MEM_LOG2_MAX 22 /* ... up to 2^22 KiB = 4 GiB */

/* What the first 100 bytes of a database file say, read without a key. */
typedef struct seal_file_info {
    int sealed;                      /* 1: sealdb or Turso magic; 0: plain SQLite */
    sealdb_layout layout;            /* sealed files: hardened or turso */
    sealdb_cipher_id cipher;         /* sealed files */
    uint32_t page_size;              /* bytes 16..17 */
    uint32_t reserved;               /* byte 20 */
    uint8_t salt[SEAL_SALT_BYTES];   /* hardened */
    uint8_t check[SEAL_CHECK_BYTES]; /* hardened: key check */
    uint8_t key_kind;                /* hardened: SEAL_KEY_* (byte 8) */
    uint8_t kdf_ops;                 /* passphrase: Argon2id passes (byte 9) */
    uint8_t kdf_mem_log2;            /* passphrase: log2 of its memory in KiB (byte 10) */
} seal_file_info;

/* Reserved bytes per page a cipher needs: nonce + tag. 0 for unknown ids. */
uint32_t seal_reserved_bytes(sealdb_cipher_id cipher);

/* Parses a header. SEALDB_OK for a plain SQLite header (info->sealed = 0)
 * and for a sealed one sealdb can open; SEALDB_EFORMAT with a message for
 * anything else (unknown magic or version, unknown cipher, reserved bytes
 * that do not match the cipher, usable size below 480, Turso MVCC mode). */
int seal_header_read(const uint8_t *hdr, seal_file_info *info, sealdb_error *err);

/* The keys and state that seal one database's pages. One thread at a time. */
typedef struct seal_ctx seal_ctx;

/* For a new database: a fresh random salt (hardened). SEALDB_LAYOUT_DEFAULT
 * means hardened. Errors: SEALDB_ECIPHER, SEALDB_EKEYLEN, SEALDB_ENOMEM. */
int seal_ctx_create(seal_ctx **out, sealdb_cipher_id cipher, sealdb_layout layout,
                    const uint8_t *key, size_t key_len, sealdb_error *err);

/* Like seal_ctx_create with a given salt (tests, rekeying). */
int seal_ctx_create_salted(seal_ctx **out, sealdb_cipher_id cipher, sealdb_layout layout,
                           const uint8_t *key, size_t key_len, const uint8_t *salt,
                           sealdb_error *err);

/* For an existing database described by info. Hardened files check the key
 * against the header's key check: SEALDB_EWRONGKEY if it differs. */
int seal_ctx_open(seal_ctx **out, const seal_file_info *info, const uint8_t *key, size_t key_len,
                  sealdb_error *err);

void seal_ctx_close(seal_ctx *c);

/* Records in header bytes 8..10 where the key came from (hardened layout;
 * the turso layout takes only SEAL_KEY_RAW). Set before page 1 is sealed. */
int seal_ctx_set_key_kind(seal_ctx *c, uint8_t kind, uint8_t kdf_ops, uint8_t kdf_mem_log2);
uint8_t seal_ctx_key_kind(const seal_ctx *c);
void seal_ctx_salt(const seal_ctx *c, uint8_t salt[SEAL_SALT_BYTES]);
sealdb_cipher_id seal_ctx_cipher(const seal_ctx *c);
sealdb_layout seal_ctx_layout(const seal_ctx *c);
uint32_t seal_ctx_reserved(const seal_ctx *c);

/* Seals a database page (or WAL frame image) from SQLite's view in `in` to
 * its on-disk image in `out` (out may equal in), with a fresh nonce. */
int seal_page(seal_ctx *c, uint8_t *out, const uint8_t *in, uint32_t page_size, uint32_t pgno);

/* seal_page with a given nonce: known-answer tests and the worked example
 * of docs/FORMAT.md only; real writes always take a fresh random nonce. */
int seal_page_nonce(seal_ctx *c, uint8_t *out, const uint8_t *in, uint32_t page_size, uint32_t pgno,
                    const uint8_t *nonce);

/* Opens an on-disk page image in place into SQLite's view. SEALDB_ECORRUPT
 * (page wiped) if it fails authentication or, for page 1, carries another
 * database's magic. */
int unseal_page(seal_ctx *c, uint8_t *page, uint32_t page_size, uint32_t pgno);

/* The same for page images in a rollback journal, bound to their offset in
 * the journal and to the page number SQLite records before each image. */
int seal_journal_page(seal_ctx *c, uint8_t *out, const uint8_t *in, uint32_t page_size,
                      uint64_t offset, uint32_t pgno);
int unseal_journal_page(seal_ctx *c, uint8_t *page, uint32_t page_size, uint64_t offset,
                        uint32_t pgno);

/* HKDF-SHA256 (RFC 5869) into out. Returns 0, or -1 if the library fails. */
int crypto_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *key, size_t key_len,
                       const uint8_t *salt, size_t salt_len, const uint8_t *info, size_t info_len);

/* ---- errors -------------------------------------------------------------- */

/* Fills err (if not NULL) with code and a printf-style message; returns code.
 * Callers must never pass key material as an argument. */
int error_set(sealdb_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- constant-time helpers and secure memory ---------------------------- */

/* Wipes n bytes in a way the compiler cannot remove. */
void crypto_wipe(void *p, size_t n);

/* 1 if the n bytes at a and b are equal, else 0; time depends on n only. */
int crypto_ct_equal(const void *a, const void *b, size_t n);

/* Decodes hex text (surrounding whitespace ignored) into out, in time that
 * depends only on the text's length. Returns SEALDB_OK and the byte count in
 * *out_len, or SEALDB_EHEX with *bad_pos = index (in the trimmed text) of the
 * first non-hex character, or the digit count when it is odd (*bad_pos =
 * SIZE_MAX then). out must hold out_cap bytes; longer keys report their
 * decoded length in *out_len without writing past out_cap. */
int crypto_hex_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *hex,
                      size_t *bad_pos);

/* Locked, guarded memory for keys; NULL when it cannot be had. Freed memory
 * is wiped first. */
void *crypto_secure_alloc(size_t n);
void crypto_secure_free(void *p);

/* Makes sure the crypto libraries are initialised (idempotent, thread-safe).
 * Returns 0, or -1 if the OS random source is unusable. */
int crypto_init(void);

#endif /* SEALDB_CRYPTO_H */
