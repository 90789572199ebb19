/*
 * keys.h - where a database's key comes from: credentials and key slots.
 *
 * A credential is what the caller holds: key bytes (given raw, as hex, in a
 * key file or in an environment variable) or a passphrase. The master key
 * of a database (the key seal.c derives page keys from) follows from the
 * credential and page 1's header (docs/FORMAT.md section 3.5):
 *
 *   key kind 0 (raw)         the credential's key bytes;
 *   key kind 1 (passphrase)  Argon2id(passphrase, database salt) with the
 *                            cost recorded in header bytes 9 and 10;
 *   key kind 2 (key slots)   a random data key, stored wrapped under one or
 *                            more credentials in the file "<db>-keyslots"
 *                            (docs/KEYS.md, docs/FORMAT.md section 14).
 *
 * Secrets live in locked memory (crypto_secure_alloc) and are wiped when
 * freed; no function here logs or prints one.
 */
#ifndef SEALDB_KEYS_H
#define SEALDB_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "sealdb.h"

typedef enum cred_kind { CRED_NONE = 0, CRED_KEY = 1, CRED_PASSPHRASE = 2 } cred_kind;

#define CRED_MAX_PASSPHRASE 1024
#define KDF_DEFAULT_OPS 24      /* about 0.5 s at 64 MiB on the development machine */
#define KDF_DEFAULT_MEM_LOG2 16 /* 2^16 KiB = 64 MiB */
#define KEYSLOTS_SUFFIX "-keyslots"
#define KEYSLOTS_MAX 16
#define KEYSLOT_LABEL_BYTES 32

typedef struct credential {
    cred_kind kind;
    uint8_t *secret; /* locked memory: key bytes, or passphrase bytes */
    size_t len;
    uint8_t kdf_ops;      /* passphrases: Argon2id passes for new databases and slots */
    uint8_t kdf_mem_log2; /* passphrases: log2 of Argon2id memory in KiB */
} credential;

/* Each fills c (which must be zeroed or freed) or returns an error with a
 * message that never contains secret bytes. */
int cred_from_bytes(credential *c, const void *key, size_t len, sealdb_error *err);
int cred_from_hex(credential *c, const char *hex, sealdb_error *err);
/* A key file: 16 or 32 raw bytes, or 32 or 64 hex digits (surrounding white
 * space allowed). Refused unless a regular file readable by its owner only. */
int cred_from_keyfile(credential *c, const char *path, sealdb_error *err);
/* An environment variable holding the key as hex. */
int cred_from_env(credential *c, const char *name, sealdb_error *err);
int cred_from_passphrase(credential *c, const void *pass, size_t len, sealdb_error *err);
/* Sets the Argon2id cost used when this passphrase creates a database or a
 * slot: ops passes (1..255), mem_kib KiB (a power of two, 8 MiB .. 4 GiB);
 * 0 keeps the default. */
int cred_set_kdf(credential *c, uint32_t ops, uint32_t mem_kib, sealdb_error *err);
int cred_copy(credential *dst, const credential *src, sealdb_error *err);
void cred_free(credential *c);

/* Argon2id of a passphrase credential into out (out_len bytes). */
int cred_stretch(const credential *c, const uint8_t salt[16], uint8_t ops, uint8_t mem_log2,
                 uint8_t *out, size_t out_len, sealdb_error *err);

/* The master key of an existing database whose header says info, for the
 * database file at db_path (key kind 2 reads its key-slot file). key must
 * hold SEALDB_MAX_KEY_BYTES. SEALDB_EWRONGKEY when the credential is of the
 * wrong sort or opens no slot. */
int cred_master_key(const credential *c, const seal_file_info *info, const char *db_path,
                    uint8_t *key, size_t *key_len, sealdb_error *err);

/* A seal context for a new database sealed under credential c: raw keys
 * become the master key; passphrases are stretched with a fresh salt. */
int cred_new_database(const credential *c, sealdb_cipher_id cipher, sealdb_layout layout,
                      seal_ctx **out, sealdb_error *err);

/* The same for a new database whose data key lives in key slots: creates
 * the key-slot file at "<db_path>-keyslots" with a random data key wrapped
 * under c in slot 1 (hardened layout). */
int cred_new_slots_database(const credential *c, const char *db_path, sealdb_cipher_id cipher,
                            seal_ctx **out, sealdb_error *err);

/* The seal context of the existing sealed database at db_path whose first
 * 100 bytes are hdr, under credential c; *info receives the header.
 * SEALDB_ENOTSEALED for a plain SQLite file, SEALDB_EWRONGKEY, and the
 * errors of seal_header_read and cred_master_key. */
int cred_open_database(const credential *c, const char *db_path, const uint8_t *hdr, seal_ctx **out,
                       seal_file_info *info, sealdb_error *err);

/* ---- key slots ---------------------------------------------------------------------- */

typedef struct keyslot_info {
    uint8_t number;
    uint8_t kind; /* CRED_KEY or CRED_PASSPHRASE */
    uint8_t kdf_ops, kdf_mem_log2;
    char label[KEYSLOT_LABEL_BYTES + 1];
} keyslot_info;

/* Creates the key-slot file of a new database: a random data key for
 * `cipher`, wrapped under c in slot 1 labelled `label`; returns the data key
 * (locked memory, data_key_len bytes) and the salt the database must use. */
int keyslots_create(const char *db_path, const credential *c, const char *label,
                    sealdb_cipher_id cipher, const uint8_t salt[SEAL_SALT_BYTES], uint8_t *data_key,
                    sealdb_error *err);
/* Lists the slots; returns their count in *n. */
int keyslots_list(const char *db_path, const uint8_t salt[SEAL_SALT_BYTES], keyslot_info *slots,
                  int *n, sealdb_error *err);
/* Adds a slot for `add`, authorised by `auth` (any credential that opens a
 * slot); returns its number. Crash-safe: the file is replaced atomically. */
int keyslots_add(const char *db_path, const uint8_t salt[SEAL_SALT_BYTES], const credential *auth,
                 const credential *add, const char *label, int *number, sealdb_error *err);
/* Removes slot `number`, authorised by `auth`; the last slot cannot go. */
int keyslots_remove(const char *db_path, const uint8_t salt[SEAL_SALT_BYTES],
                    const credential *auth, int number, sealdb_error *err);

/* Writes `len` bytes to `path` through a temporary file in the same
 * directory, fsync, rename and directory fsync: afterwards `path` holds the
 * old content or the new, never a mix. mode is the new file's mode. */
int file_replace(const char *path, const void *data, size_t len, unsigned mode, sealdb_error *err);
/* fsync of the directory holding path. */
int dir_sync(const char *path);

#endif /* SEALDB_KEYS_H */
