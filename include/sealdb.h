/*
 * sealdb.h - the public interface of sealdb, an encrypted, SQLite-compatible
 * storage engine library.
 *
 * This header is the manual. Every function says what it does, what each
 * argument means and which error codes it returns.
 *
 * Conventions
 * - Functions return an int: SEALDB_OK (0) on success, or one of the
 *   SEALDB_E* codes below. Results come back through out-parameters.
 * - Functions that validate user input (names, keys) take an optional
 *   `sealdb_error *err`. When it is not NULL and the call fails, err->code is
 *   the returned code and err->message says what failed and what is expected,
 *   e.g. "key is 31 bytes; aes256gcm expects 32". Messages never contain key
 *   material. Pass NULL when the code alone is enough.
 * - Secrets (keys) are copied into locked memory owned by the library and
 *   wiped when the owning object is closed. The caller may wipe its own copy
 *   as soon as the call that took it returns.
 */
#ifndef SEALDB_H
#define SEALDB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define SEALDB_API __attribute__((visibility("default")))
#else
#define SEALDB_API
#endif

/* ------------------------------------------------------------------------- */
/* Version                                                                   */
/* ------------------------------------------------------------------------- */

#define SEALDB_VERSION_MAJOR 0
#define SEALDB_VERSION_MINOR 1
#define SEALDB_VERSION_PATCH 0
#define SEALDB_VERSION_STRING "0.1.0"

/* Returns the library's version string, "MAJOR.MINOR.PATCH". It is the
 * version of the library actually loaded, which may differ from the
 * SEALDB_VERSION_STRING a program was compiled against. */
SEALDB_API const char *sealdb_version(void);

/* ------------------------------------------------------------------------- */
/* Errors                                                                    */
/* ------------------------------------------------------------------------- */

#define SEALDB_OK 0         /* success */
#define SEALDB_EINVAL 1     /* a bad argument: NULL where an object is required, ... */
#define SEALDB_ENOMEM 2     /* out of memory, or locked memory could not be had */
#define SEALDB_ECIPHER 3    /* unknown cipher name or id */
#define SEALDB_EKEYLEN 4    /* key of the wrong length for the cipher */
#define SEALDB_EHEX 5       /* key text is not valid hexadecimal */
#define SEALDB_EAUTH 6      /* authentication failed: wrong key, or data tampered */
#define SEALDB_EBACKEND 7   /* the requested cipher back end is not available here */
#define SEALDB_ETOOBIG 8    /* input longer than the cipher allows */
#define SEALDB_ECRYPTO 9    /* the underlying crypto library failed unexpectedly */
#define SEALDB_EWRONGKEY 10 /* the key does not open this database */
#define SEALDB_ECORRUPT 11  /* a page or frame failed authentication: damaged or tampered */
#define SEALDB_ENOTSEALED                                                                          \
    12                      /* a plain, unencrypted SQLite file where a sealed one was expected    \
                             */
#define SEALDB_EFORMAT 13   /* not a database sealdb can serve (unknown or unsupported format) */
#define SEALDB_EMISMATCH 14 /* the cipher named by the caller differs from the file's cipher */
#define SEALDB_EKEYSLOTS 15 /* the database's key-slot file is missing, damaged or full */
#define SEALDB_EIO 16       /* a file could not be read, written or synced (errno in the message) */
#define SEALDB_EBUSY 17     /* the database is in use and the operation needs it to itself */
#define SEALDB_EKEYFILE 18  /* a key file or key variable is missing, unsafe or malformed */
#define SEALDB_ECONFLICT 19 /* a concurrent transaction changed the same data first: retry */
#define SEALDB_ECONSTRAINT 20  /* NOT NULL, UNIQUE or PRIMARY KEY would be violated */
#define SEALDB_ENOTFOUND 21    /* no such row, table or index */
#define SEALDB_EUNSUPPORTED 22 /* the native engine cannot do this to this object (see message) */
#define SEALDB_EREADONLY 23    /* a write in a read transaction */

/* Size of sealdb_error.message, terminating NUL included. */
#define SEALDB_ERRMSG_MAX 256

/* Details of a failed call. */
typedef struct sealdb_error {
    int code;                        /* the SEALDB_E* code the call returned */
    char message[SEALDB_ERRMSG_MAX]; /* what failed and what is expected */
} sealdb_error;

/* Returns a short, static description of an error code ("authentication
 * failed: wrong key or tampered data"). Unknown codes give "unknown error".
 * Never NULL. */
SEALDB_API const char *sealdb_strerror(int code);

/* ------------------------------------------------------------------------- */
/* Ciphers                                                                   */
/*                                                                           */
/* Eight AEAD ciphers seal database pages. Their ids are the ones stored in  */
/* the header of Turso Database's encrypted files, so they never change.     */
/* Every cipher here uses a 16-byte tag.                                     */
/*                                                                           */
/*   cipher      id  key  nonce  notes                                       */
/*   aes128gcm    1   16   12    AES-128-GCM (OpenSSL)                       */
/*   aes256gcm    2   32   12    AES-256-GCM (OpenSSL)                       */
/*   aegis256     3   32   32    AEGIS-256                                   */
/*   aegis256x2   4   32   32    AEGIS-256X2 (two parallel lanes)            */
/*   aegis256x4   5   32   32    AEGIS-256X4 (four parallel lanes)           */
/*   aegis128l    6   16   16    AEGIS-128L                                  */
/*   aegis128x2   7   16   16    AEGIS-128X2                                 */
/*   aegis128x4   8   16   16    AEGIS-128X4                                 */
/*                                                                           */
/* The AEGIS ciphers follow the CFRG AEGIS specification with 128-bit tags.  */
/* ------------------------------------------------------------------------- */

typedef enum sealdb_cipher_id {
    SEALDB_AES128GCM = 1,
    SEALDB_AES256GCM = 2,
    SEALDB_AEGIS256 = 3,
    SEALDB_AEGIS256X2 = 4,
    SEALDB_AEGIS256X4 = 5,
    SEALDB_AEGIS128L = 6,
    SEALDB_AEGIS128X2 = 7,
    SEALDB_AEGIS128X4 = 8
} sealdb_cipher_id;

#define SEALDB_CIPHER_MIN 1
#define SEALDB_CIPHER_MAX 8

#define SEALDB_TAG_BYTES 16       /* tag size of every cipher */
#define SEALDB_MAX_KEY_BYTES 32   /* largest key of any cipher */
#define SEALDB_MAX_NONCE_BYTES 32 /* largest nonce of any cipher */

/* Finds a cipher by name. Names are case-insensitive, and '-' or '_' may
 * separate their parts: "aegis256", "AEGIS-256", "aes_256_gcm" and
 * "aes-256-gcm" are all accepted. Leading and trailing whitespace is ignored.
 *
 * name  the cipher's name, NUL-terminated
 * id    receives the cipher's id on success
 * err   optional details on failure
 *
 * Returns SEALDB_OK; SEALDB_ECIPHER if no cipher has that name (the message
 * lists the valid names); SEALDB_EINVAL if name or id is NULL. */
SEALDB_API int sealdb_cipher_lookup(const char *name, sealdb_cipher_id *id, sealdb_error *err);

/* The canonical name of a cipher ("aegis128l"), or NULL for an unknown id. */
SEALDB_API const char *sealdb_cipher_name(sealdb_cipher_id id);

/* Key, nonce and tag sizes in bytes of a cipher; 0 for an unknown id. */
SEALDB_API size_t sealdb_cipher_key_bytes(sealdb_cipher_id id);
SEALDB_API size_t sealdb_cipher_nonce_bytes(sealdb_cipher_id id);
SEALDB_API size_t sealdb_cipher_tag_bytes(sealdb_cipher_id id);

/* Implementations of a cipher. AUTO picks the fastest one this CPU runs,
 * once per process; the environment variable SEALDB_AEGIS_BACKEND=portable
 * makes AUTO pick the portable one for every AEGIS cipher (used by tests). */
typedef enum sealdb_backend {
    SEALDB_BACKEND_AUTO = 0,
    SEALDB_BACKEND_PORTABLE = 1, /* AEGIS in plain C, constant time, no table lookups */
    SEALDB_BACKEND_AESNI = 2,    /* AEGIS on x86 AES-NI instructions */
    SEALDB_BACKEND_VAES = 3,     /* AEGIS X2/X4 on x86 VAES with 256/512-bit registers */
    SEALDB_BACKEND_OPENSSL = 4   /* AES-GCM through OpenSSL (the only GCM back end) */
} sealdb_backend;

/* The name of a back end ("portable", "aesni", "vaes", "openssl", "auto"),
 * or NULL for an unknown value. */
SEALDB_API const char *sealdb_backend_name(sealdb_backend backend);

/* Whether this CPU and build can run a back end for a cipher: 1 or 0. */
SEALDB_API int sealdb_backend_available(sealdb_cipher_id id, sealdb_backend backend);

/* A cipher with its key, ready to seal and open messages. Opaque. */
typedef struct sealdb_cipher sealdb_cipher;

/* Creates a cipher object holding a copy of the key in locked memory.
 *
 * out      receives the new object; set to NULL on failure
 * id       which cipher
 * backend  SEALDB_BACKEND_AUTO, or a specific back end to force one
 * key      the raw key bytes
 * key_len  must equal sealdb_cipher_key_bytes(id)
 * err      optional details on failure
 *
 * Returns SEALDB_OK; SEALDB_ECIPHER for an unknown id; SEALDB_EKEYLEN if
 * key_len is wrong (the message gives both lengths); SEALDB_EBACKEND if the
 * forced back end cannot run this cipher here; SEALDB_ENOMEM; SEALDB_ECRYPTO
 * if OpenSSL refuses the key; SEALDB_EINVAL for NULL out or key. */
SEALDB_API int sealdb_cipher_open(sealdb_cipher **out, sealdb_cipher_id id, sealdb_backend backend,
                                  const void *key, size_t key_len, sealdb_error *err);

/* Like sealdb_cipher_open, with the key given as hexadecimal text: two
 * digits per byte, upper or lower case, surrounding whitespace ignored. The
 * text is decoded in constant time.
 *
 * Returns SEALDB_EHEX if a character is not a hex digit or the number of
 * digits is odd (the message gives the position, never the character), and
 * SEALDB_EKEYLEN if the decoded key has the wrong length (the message gives
 * the number of hex digits found and expected); otherwise as
 * sealdb_cipher_open. */
SEALDB_API int sealdb_cipher_open_hex(sealdb_cipher **out, sealdb_cipher_id id,
                                      sealdb_backend backend, const char *hex, sealdb_error *err);

/* Wipes the key and frees the object. NULL is a no-op. */
SEALDB_API void sealdb_cipher_close(sealdb_cipher *c);

/* The cipher and back end an object uses. */
SEALDB_API sealdb_cipher_id sealdb_cipher_id_of(const sealdb_cipher *c);
SEALDB_API sealdb_backend sealdb_cipher_backend(const sealdb_cipher *c);

/* Encrypts and authenticates `len` bytes with associated data (detached tag).
 *
 * c       the cipher object; one thread at a time per object (AES-GCM keeps
 *         per-object OpenSSL state); open one object per thread for more
 * out     receives `len` bytes of ciphertext; may be exactly `in` (in place)
 *         but must not otherwise overlap it
 * tag     receives SEALDB_TAG_BYTES bytes
 * in      the plaintext (may be NULL when len is 0)
 * ad      associated data, authenticated but not encrypted (NULL if ad_len 0)
 * nonce   sealdb_cipher_nonce_bytes() bytes; NEVER reuse a nonce under one
 *         key: take it from sealdb_random_bytes()
 *
 * Returns SEALDB_OK; SEALDB_ETOOBIG if len or ad_len exceeds the cipher's
 * limit (2^61-1 bytes for AEGIS, 2^36-32 for GCM, INT_MAX per call through
 * OpenSSL); SEALDB_EINVAL for a NULL pointer; SEALDB_ECRYPTO if OpenSSL fails. */
SEALDB_API int sealdb_cipher_encrypt(sealdb_cipher *c, void *out, uint8_t *tag, const void *in,
                                     size_t len, const void *ad, size_t ad_len,
                                     const uint8_t *nonce);

/* Verifies and decrypts `len` bytes sealed by sealdb_cipher_encrypt. The tag
 * is checked in constant time. On failure no plaintext is released: `out` is
 * wiped to zeros.
 *
 * Arguments as for encryption, with `in` the ciphertext, `tag` the received
 * tag and `out` receiving the plaintext (in place allowed).
 *
 * Returns SEALDB_OK; SEALDB_EAUTH if the tag does not verify (wrong key,
 * wrong nonce, changed ciphertext or associated data); otherwise as
 * sealdb_cipher_encrypt. */
SEALDB_API int sealdb_cipher_decrypt(sealdb_cipher *c, void *out, const void *in, size_t len,
                                     const uint8_t *tag, const void *ad, size_t ad_len,
                                     const uint8_t *nonce);

/* ------------------------------------------------------------------------- */
/* Sealed-page layouts (docs/FORMAT.md describes every byte)                 */
/* ------------------------------------------------------------------------- */

typedef enum sealdb_layout {
    SEALDB_LAYOUT_DEFAULT = 0,  /* hardened for new databases; the file's own for old ones */
    SEALDB_LAYOUT_HARDENED = 1, /* pages bound to their number and to the database */
    SEALDB_LAYOUT_TURSO = 2     /* byte-compatible with Turso Database's encrypted files */
} sealdb_layout;

/* The name of a layout ("hardened", "turso", "default"), or NULL. */
SEALDB_API const char *sealdb_layout_name(sealdb_layout layout);

/* ------------------------------------------------------------------------- */
/* SQL on sealed databases: the "sealdb" SQLite VFS                          */
/*                                                                           */
/* Any SQLite connection opens a sealed database through the VFS named       */
/* "sealdb" with a URI:                                                      */
/*   file:app.db?vfs=sealdb&hexkey=<hex>[&cipher=aegis256][&layout=turso]    */
/* cipher names the cipher for a new database (default aegis256, or          */
/* aegis128l for a 16-byte key); for an existing one it is optional and must */
/* match the file. layout chooses hardened (default) or turso for a new      */
/* database. Unknown parameters and bad values are errors; without a key the */
/* VFS refuses to open anything. From the sqlite3 shell or any program that  */
/* loads extensions: .load libsealdb, then .open the URI.                    */
/*                                                                           */
/* Every file SQLite writes for the database is sealed: main file, WAL,      */
/* rollback journal, and temporary files (under a random in-memory key).     */
/* PRAGMA sealdb_error returns the last error the VFS saw on a database      */
/* (naming the page that failed); PRAGMA sealdb_info its cipher and layout.  */
/* ------------------------------------------------------------------------- */

struct sqlite3;

/* Registers the "sealdb" VFS with the SQLite library this process uses
 * (idempotent, thread-safe), and an automatic extension that gives every new
 * sealed database the reserved bytes its cipher needs and defines the SQL
 * function sealdb_reserve(schema) for databases created through ATTACH.
 * make_default: also make sealdb the default VFS.
 * Returns SEALDB_OK, or SEALDB_ENOMEM. */
SEALDB_API int sealdb_vfs_register(int make_default);

/* The loadable-extension entry point SQLite finds from the file name
 * libsealdb.so (".load libsealdb"): registers the VFS as
 * sealdb_vfs_register(0) does, sets up the connection that loads it, and
 * returns SQLITE_OK_LOAD_PERMANENTLY so the VFS stays registered after that
 * connection closes. The host must use the same shared libsqlite3 as the
 * library (Debian's sqlite3 shell and python3 do). api is unused. */
SEALDB_API int sqlite3_sealdb_init(struct sqlite3 *db, char **err, const void *api);

/* How sealdb_sqlite_open opens a database. Zero-initialise, then set.
 *
 * Give exactly one key source: key/key_len, hexkey, keyfile, keyenv or
 * passphrase. A key file holds 16 or 32 raw bytes or 32 or 64 hex digits
 * and must not be readable by group or others; keyenv names an environment
 * variable holding the key as hex. A passphrase is stretched with Argon2id:
 * a new database records the cost (kdf_ops passes over kdf_mem_kib KiB;
 * 0 means the defaults, 24 passes over 64 MiB, about 0.5 s) and its salt in
 * its header, so opening needs the passphrase only. */
typedef struct sealdb_sqlite_config {
    const char *cipher; /* new databases: the cipher (NULL: aegis256, or aegis128l
                           for a 16-byte key); existing ones: NULL or the file's */
    const void *key;    /* the raw key ... */
    size_t key_len;
    const char *hexkey;     /* ... or the key as hex text ... */
    sealdb_layout layout;   /* new databases: hardened (default) or turso */
    int flags;              /* sqlite3_open_v2 flags; 0 means READWRITE | CREATE */
    const char *keyfile;    /* ... or the path of a key file ... */
    const char *keyenv;     /* ... or the name of an environment variable ... */
    const char *passphrase; /* ... or a passphrase (NUL-terminated) */
    uint32_t kdf_ops;       /* passphrase, new database: Argon2id passes (0: default) */
    uint32_t kdf_mem_kib;   /* passphrase, new database: Argon2id memory (0: default) */
    int keyslots;           /* new database: keep a random data key wrapped under the
                               key source in key slots ("<path>-keyslots"; hardened) */
} sealdb_sqlite_config;

/* Opens a sealed database as a sqlite3 connection, without building a URI:
 * registers the VFS, hands it the key in memory (the key never appears in
 * SQLite's URI text), opens `path`, and reads page 1 so that a wrong key or
 * a file that is not a sealed database is reported here.
 *
 * path  the database file (a plain path, not a URI)
 * cfg   cipher, key and options
 * db    receives the connection; NULL on failure (nothing is left open)
 * err   optional details on failure
 *
 * Returns SEALDB_OK; SEALDB_EINVAL (NULL arguments, both or neither key);
 * SEALDB_ECIPHER, SEALDB_EHEX, SEALDB_EKEYLEN (bad cipher or key);
 * SEALDB_EWRONGKEY (the key does not open the database); SEALDB_EMISMATCH
 * (cfg->cipher differs from the file's); SEALDB_ENOTSEALED (a plain SQLite
 * file); SEALDB_EFORMAT (not a database sealdb can open); SEALDB_ECORRUPT
 * (page 1 damaged); SEALDB_ENOMEM. */
SEALDB_API int sealdb_sqlite_open(const char *path, const sealdb_sqlite_config *cfg,
                                  struct sqlite3 **db, sealdb_error *err);

/* ------------------------------------------------------------------------- */
/* Key management and maintenance (docs/KEYS.md)                            */
/*                                                                           */
/* Each takes the database path and sealdb_sqlite_config values for its      */
/* keys: `from` opens the database as it is, `to` says what it becomes (its  */
/* cipher NULL and layout DEFAULT keep the current ones). None of them       */
/* leaves a half-written output behind, and those that work in place are     */
/* crash-safe: killed at any instant, the database opens afterwards under    */
/* exactly one of the old or the new key, with every committed row.          */
/* ------------------------------------------------------------------------- */

/* What a database file says about itself without a key. */
typedef struct sealdb_file_info {
    int sealed;              /* 1: sealdb or turso layout; 0: plain SQLite */
    sealdb_layout layout;    /* sealed files */
    sealdb_cipher_id cipher; /* sealed files */
    int key_kind;            /* hardened: 0 key, 1 passphrase, 2 key slots */
    uint32_t kdf_ops;        /* passphrase: Argon2id passes */
    uint32_t kdf_mem_kib;    /* passphrase: Argon2id memory */
    uint32_t page_size;      /* bytes */
    uint32_t reserved;       /* bytes per page for nonce and tag */
    uint32_t header_pages;   /* page count the header records */
    uint64_t file_bytes;     /* size of the database file */
    int wal_present;         /* a non-empty "<path>-wal" exists */
    uint64_t wal_bytes;      /* its size */
    int journal_present;     /* a "<path>-journal" exists (a hot journal if non-empty) */
    int keyslots_present;    /* "<path>-keyslots" exists */
    int journal_mode_wal;    /* header bytes 18/19 say WAL */
} sealdb_file_info;

/* Reads what needs no key: layout, cipher, page size and count, key kind,
 * WAL and journal presence. Returns SEALDB_OK (also for plain SQLite
 * files: info->sealed = 0), SEALDB_EIO, or SEALDB_EFORMAT. */
SEALDB_API int sealdb_inspect(const char *path, sealdb_file_info *info, sealdb_error *err);

/* Changes the key, cipher or layout of a sealed database in place, in any
 * journal mode (a WAL is checkpointed into the new file first). The
 * database is rewritten into a new file beside it, which is synced and
 * renamed over the old one. Readers may go on during the rewrite; writers
 * wait (SQLite's busy handling) or get SQLITE_BUSY; connections still open
 * on the old file afterwards get an error telling them to reopen, never a
 * lost write. to->keyslots gives the database a new random data key in key
 * slots, with the `to` key source in slot 1.
 * Returns SEALDB_OK; SEALDB_EWRONGKEY; SEALDB_EBUSY (writers would not let
 * go within 5 s); SEALDB_EIO; the errors of sealdb_sqlite_open. */
SEALDB_API int sealdb_rekey(const char *path, const sealdb_sqlite_config *from,
                            const sealdb_sqlite_config *to, sealdb_error *err);

/* Turns a plain SQLite database into a sealed one, keeping every table,
 * index, trigger, view, rowid, AUTOINCREMENT counter, the page size,
 * user_version, application_id and journal mode. out: a new file (it must
 * not exist), or NULL to replace `path` in place crash-safely. */
SEALDB_API int sealdb_encrypt(const char *path, const char *out, const sealdb_sqlite_config *to,
                              sealdb_error *err);

/* The reverse, for export: a plain SQLite database from a sealed one.
 * out: a new file, or NULL to replace `path` in place. */
SEALDB_API int sealdb_decrypt(const char *path, const char *out, const sealdb_sqlite_config *from,
                              sealdb_error *err);

/* What sealdb_verify found. */
typedef struct sealdb_verify_report {
    uint32_t pages;       /* database pages checked */
    uint32_t bad_pages;   /* pages that failed (bad tag, moved, truncated, zero) */
    uint32_t wal_frames;  /* WAL frames in the valid log */
    uint32_t wal_commits; /* commit frames among them */
    uint32_t bad_frames;  /* frames whose checksum chains but whose seal fails */
    uint32_t wal_ignored; /* frames after the end of the valid log (not committed data) */
} sealdb_verify_report;

/* Receives one line per problem: "page 7: bad tag (damaged or tampered)". */
typedef void (*sealdb_problem_fn)(void *arg, const char *problem);

/* Checks every page of a sealed database and every frame of its WAL under
 * the key in cfg, without SQLite: each page must authenticate as itself
 * (a page copied from elsewhere in the file is reported as moved, with the
 * page it came from). Reports each problem to fn (may be NULL).
 * Returns SEALDB_OK when everything authenticates; SEALDB_ECORRUPT when
 * something does not (the report says what); SEALDB_EWRONGKEY when the key
 * is wrong (told apart from damage by the hardened layout's key check; in
 * the turso layout a page 1 that fails is "wrong key or damaged");
 * SEALDB_ENOTSEALED, SEALDB_EFORMAT, SEALDB_EIO. */
SEALDB_API int sealdb_verify(const char *path, const sealdb_sqlite_config *cfg,
                             sealdb_problem_fn fn, void *arg, sealdb_verify_report *report,
                             sealdb_error *err);

/* What a backup's header and manifest say (sealdb_backup_verify). */
typedef struct sealdb_backup_info {
    uint32_t page_size;      /* of the database backed up */
    uint32_t pages;          /* pages in the snapshot */
    uint32_t chunks;         /* sealed chunks */
    sealdb_cipher_id cipher; /* the database's cipher (0: it was plain) */
    sealdb_layout layout;    /* the database's layout */
    uint64_t created;        /* seconds since 1970 when the snapshot was taken */
    uint64_t bytes;          /* size of the backup file */
} sealdb_backup_info;

/* Writes a consistent snapshot of the database at `path` (opened with cfg;
 * other connections may go on writing) to `out`, a new file: the pages
 * compressed with zstd (level 1..19, 0 for the default 3) and sealed in
 * chunks with AEGIS-256 under a key derived from `bkey` (NULL: the same key
 * source as cfg), with a sealed manifest and a trailer, so that a truncated,
 * reordered or altered backup is refused. The backup holds the pages, not
 * the database's key: restore seals them under a key it is given. Returns
 * SEALDB_OK, SEALDB_EIO, or the errors of sealdb_sqlite_open. */
SEALDB_API int sealdb_backup(const char *path, const sealdb_sqlite_config *cfg, const char *out,
                             const sealdb_sqlite_config *bkey, int level, sealdb_error *err);

/* Authenticates every chunk of a backup under bkey without writing
 * anything. Returns SEALDB_OK with info filled, SEALDB_EWRONGKEY,
 * SEALDB_ECORRUPT (truncated, tampered, or not a backup), SEALDB_EIO. */
SEALDB_API int sealdb_backup_verify(const char *backup, const sealdb_sqlite_config *bkey,
                                    sealdb_backup_info *info, sealdb_error *err);

/* Restores a backup into `out`, a new file, sealed under `to` (NULL: under
 * bkey's key source; cipher NULL keeps the original cipher; a cipher with
 * another nonce size is refused: restore, then rekey). Every chunk is
 * authenticated before the first byte of `out` is written; the database
 * appears under its name only when complete and synced. */
SEALDB_API int sealdb_restore(const char *backup, const sealdb_sqlite_config *bkey, const char *out,
                              const sealdb_sqlite_config *to, sealdb_error *err);

/* Key slots of a database created with keyslots = 1 (or rekeyed to them).
 * Adding or removing a slot rewrites only "<path>-keyslots" (atomically); no
 * page changes. `auth` is any key source that opens a slot. */
typedef struct sealdb_keyslot {
    int number;     /* 1..255 */
    int passphrase; /* 1: a passphrase slot, 0: a key slot */
    char label[33]; /* the label given when it was added */
} sealdb_keyslot;

SEALDB_API int sealdb_keyslot_list(const char *path, sealdb_keyslot *slots, int cap, int *count,
                                   sealdb_error *err);
SEALDB_API int sealdb_keyslot_add(const char *path, const sealdb_sqlite_config *auth,
                                  const sealdb_sqlite_config *add, const char *label, int *number,
                                  sealdb_error *err);
SEALDB_API int sealdb_keyslot_remove(const char *path, const sealdb_sqlite_config *auth, int number,
                                     sealdb_error *err);

/* ------------------------------------------------------------------------- */
/* The native engine (docs/NATIVE.md)                                        */
/*                                                                           */
/* Reads and writes rows of a SQLite-format database (sealed, or plain)      */
/* without SQL: sealdb's own pager and B-tree, the same file format, so the  */
/* files stay SQLite databases that the VFS path (and SQLite itself, for     */
/* plain ones) opens. While a database is open natively it is locked         */
/* against every SQLite connection (they get SQLITE_BUSY).                   */
/*                                                                           */
/* Values are typed as in SQLite. Writes apply each column's affinity as    */
/* SQLite's INSERT does (a TEXT '12' in an INTEGER column is stored as 12),  */
/* keep every index of the table up to date and enforce NOT NULL, UNIQUE and */
/* PRIMARY KEY. Tables the engine cannot write faithfully (WITHOUT ROWID,    */
/* generated or CHECK columns, triggers, partial or expression indexes,      */
/* STRICT, AUTOINCREMENT, collations other than BINARY, NOCASE and RTRIM)    */
/* are readable; writing them gives SEALDB_EUNSUPPORTED naming the reason.  */
/* ------------------------------------------------------------------------- */

typedef struct sealdb_db sealdb_db;
typedef struct sealdb_txn sealdb_txn;
typedef struct sealdb_table sealdb_table;
typedef struct sealdb_cursor sealdb_cursor;

/* Value types; the order is SQLite's sort order of the classes. */
typedef enum sealdb_type {
    SEALDB_NULL = 0,
    SEALDB_INTEGER = 1,
    SEALDB_REAL = 2,
    SEALDB_TEXT = 3, /* UTF-8, n bytes, not NUL-terminated */
    SEALDB_BLOB = 4,
} sealdb_type;

/* One column value. TEXT and BLOB: n bytes at p. Values the library returns
 * point into its own memory and stay valid until the next call on the same
 * transaction or cursor; that next call may be the write they are given to
 * (sealdb_insert, sealdb_update: a row read, changed and written back). */
typedef struct sealdb_value {
    uint8_t type; /* sealdb_type */
    uint32_t n;   /* TEXT, BLOB: length in bytes */
    union {
        int64_t i;        /* INTEGER */
        double r;         /* REAL */
        const uint8_t *p; /* TEXT, BLOB */
    };
} sealdb_value;

/* Durability of a commit. */
typedef enum sealdb_sync {
    SEALDB_SYNC_FULL = 0,   /* a commit that returned survives a power cut */
    SEALDB_SYNC_NORMAL = 1, /* a power cut may lose the last commits, never half of one */
    SEALDB_SYNC_OFF = 2,    /* safe against a crash of the process only */
} sealdb_sync;

/* How sealdb_open opens a database. Zero-initialise, then set. */
typedef struct sealdb_options {
    int create;              /* make the database if the file is missing or empty */
    uint32_t page_size;      /* a new database's page size (0: 4096) */
    uint32_t cache_pages;    /* page cache budget in pages (0: 2000; at least 16) */
    sealdb_sync sync;        /* durability of commits */
    int32_t autocheckpoint;  /* copy the WAL into the database after this many frames
                                (0: 1000; negative: only at close); the WAL starts over
                                once it holds about twice that many, unless a reader
                                keeps an old snapshot all along */
    int32_t busy_timeout_ms; /* how long checkpoints wait for readers (0: 5000) */
} sealdb_options;

/* Opens the database at path natively and recovers its WAL.
 *
 * keys  the key options of sealdb_sqlite_open (one key source; cipher,
 *       layout, passphrase cost and key slots for a new database), or NULL
 *       for a plain SQLite database
 * opt   NULL for the defaults (open an existing database, sync FULL)
 *
 * Returns SEALDB_OK; SEALDB_EINVAL; SEALDB_EBUSY (a SQLite connection or
 * another native handle has the database open); SEALDB_ENOTFOUND (no such
 * file and opt->create is 0); the key errors of sealdb_sqlite_open
 * (SEALDB_EWRONGKEY, SEALDB_EMISMATCH, SEALDB_ENOTSEALED, ...);
 * SEALDB_EFORMAT (not a database; a sealed file opened without keys);
 * SEALDB_ECORRUPT; SEALDB_EIO; SEALDB_ENOMEM. */
SEALDB_API int sealdb_open(const char *path, const sealdb_sqlite_config *keys,
                           const sealdb_options *opt, sealdb_db **out, sealdb_error *err);

/* Checkpoints the WAL into the database, removes it and closes. Every
 * transaction must have ended (else SEALDB_EBUSY and nothing is closed).
 * The handle is freed even when the final checkpoint fails (the WAL is then
 * kept and recovered at the next open) and that error is returned. */
SEALDB_API int sealdb_close(sealdb_db *db, sealdb_error *err);

/* Transaction kinds (docs/MVCC.md). */
enum {
    /* a snapshot: sees the last commit before it began, for its life */
    SEALDB_TXN_READ = 0,
    /* exclusive: one at a time (a second waits), and concurrent commits wait
     * while it lives; sees its own changes and never conflicts. The only
     * kind that may change the schema. */
    SEALDB_TXN_WRITE = 1,
    /* optimistic: reads its snapshot over its own changes, which it keeps
     * private until commit; any number run at once. Commit validates
     * first-committer-wins on the rows it wrote and the UNIQUE keys it
     * took, then applies its changes to the latest state (indexes kept,
     * constraints checked again) together with the other commits of the
     * moment: one WAL append, one sync. A loser gets SEALDB_ECONFLICT and
     * keeps nothing; run it again (sealdb_run does). */
    SEALDB_TXN_CONCURRENT = 2,
};
/* Or-ed into SEALDB_TXN_CONCURRENT: commit also validates what the
 * transaction read (rows by rowid, rowid ranges its table cursors covered,
 * whole tables its index cursors read), so its outcome is as if it ran
 * alone at its commit: write skew is refused. */
#define SEALDB_TXN_SERIALIZABLE 0x100

/* Begins a transaction of kind (above). Any number of read and concurrent
 * transactions run alongside each other and alongside the exclusive
 * writer, each at its own snapshot. A transaction belongs to one thread at
 * a time; a thread holding a SEALDB_TXN_WRITE transaction must not commit
 * a concurrent one (it would wait for itself). Returns SEALDB_OK,
 * SEALDB_EINVAL, SEALDB_ENOMEM, SEALDB_EIO, SEALDB_ECORRUPT (the schema
 * cannot be read). */
SEALDB_API int sealdb_begin(sealdb_db *db, int kind, sealdb_txn **out, sealdb_error *err);

/* Commits and frees the transaction (a read transaction just ends). Its
 * cursors are closed. It returns once the commit is durable as the sync
 * mode promises. After an error nothing of it is visible and the database
 * holds exactly what it held before it. Returns SEALDB_OK, SEALDB_ECONFLICT
 * (concurrent transactions: another one committed a change to a row this
 * one wrote, a UNIQUE value it took, a table it wrote that an exclusive
 * transaction changed, or the schema, after this one began; serializable
 * ones also when something they read changed), SEALDB_ECONSTRAINT (a
 * concurrent change that the latest state refuses), SEALDB_EIO,
 * SEALDB_ENOMEM. After a sync of the WAL failed (SEALDB_EIO saying so),
 * every later commit returns SEALDB_EIO until the database is closed and
 * opened again: the disk may not hold what the sync was given, and the open
 * recovers what it does hold (docs/PAGER.md). */
SEALDB_API int sealdb_commit(sealdb_txn *t, sealdb_error *err);

/* Runs fn(t, arg) in a new transaction of kind and commits it, again after
 * every SEALDB_ECONFLICT (from fn or the commit) with growing, randomised
 * pauses, at most max_attempts times (0: 100). fn returns SEALDB_OK to
 * commit, or an error to roll back: that error is returned. fn must not
 * commit or roll back t. Returns what the last attempt gave. */
SEALDB_API int sealdb_run(sealdb_db *db, int kind, int max_attempts,
                          int (*fn)(sealdb_txn *t, void *arg), void *arg, sealdb_error *err);

/* Drops the transaction, its changes and its cursors. */
SEALDB_API void sealdb_rollback(sealdb_txn *t);

/* ---- the schema ---- */

/* One row of sqlite_schema. */
typedef struct sealdb_schema_entry {
    const char *type; /* "table", "index", "view" or "trigger" */
    const char *name;
    const char *tbl_name;
    uint32_t rootpage; /* 0 for views and triggers */
    const char *sql;   /* NULL for automatic indexes */
} sealdb_schema_entry;

/* The schema as the transaction sees it: *entries[0..*n), in sqlite_schema
 * order, valid until the transaction ends. */
SEALDB_API int sealdb_schema(sealdb_txn *t, const sealdb_schema_entry **entries, uint32_t *n,
                             sealdb_error *err);

/* Finds the table `name` (case-insensitive, as SQL names are). The handle
 * is valid until the transaction ends or changes the schema. Returns
 * SEALDB_OK or SEALDB_ENOTFOUND. */
SEALDB_API int sealdb_table_find(sealdb_txn *t, const char *name, sealdb_table **out,
                                 sealdb_error *err);

/* The table's columns in declaration order (hidden columns included). */
SEALDB_API uint32_t sealdb_table_columns(const sealdb_table *tbl);
SEALDB_API const char *sealdb_table_column_name(const sealdb_table *tbl, uint32_t i);
/* The INTEGER PRIMARY KEY column (an alias of the rowid), or -1. */
SEALDB_API int sealdb_table_rowid_column(const sealdb_table *tbl);

/* Runs one CREATE TABLE or CREATE INDEX statement (IF NOT EXISTS, UNIQUE and
 * DESC columns and COLLATE included), writing the schema entry SQLite would
 * write and filling a new index from the table's rows. Needs a write
 * transaction. SEALDB_EINVAL (not such a statement, or SQL SQLite refuses:
 * the message says why), SEALDB_ECONSTRAINT (a UNIQUE index over duplicate
 * values), SEALDB_EUNSUPPORTED (views, triggers, virtual tables). */
SEALDB_API int sealdb_create(sealdb_txn *t, const char *sql, sealdb_error *err);

/* Drops a table (with its indexes) or an index, freeing their pages.
 * Needs a write transaction (these and sealdb_create give SEALDB_EREADONLY
 * in a read one).
 * SEALDB_ENOTFOUND; SEALDB_EUNSUPPORTED for the schema's own tables, for an
 * index made by a UNIQUE or PRIMARY KEY constraint, and for a table that
 * views or triggers name. */
SEALDB_API int sealdb_drop_table(sealdb_txn *t, const char *name, sealdb_error *err);
SEALDB_API int sealdb_drop_index(sealdb_txn *t, const char *name, sealdb_error *err);

/* ---- rows ---- */

/* Reads row rowid into cols[0..n) (n at most the table's column count): the
 * INTEGER PRIMARY KEY column reads as the rowid, columns added after the
 * row was written read as their default. Returns SEALDB_OK,
 * SEALDB_ENOTFOUND (no such row), SEALDB_ECORRUPT (naming the page). */
SEALDB_API int sealdb_get(sealdb_txn *t, sealdb_table *tbl, int64_t rowid, sealdb_value *cols,
                          uint32_t n, sealdb_error *err);

/* Inserts a row of cols[0..n) (the remaining columns take their defaults).
 * Its rowid is the INTEGER PRIMARY KEY column's value when that is given,
 * else one more than the largest rowid in the table (as SQLite picks it);
 * *rowid (may be NULL) receives it. SEALDB_ECONSTRAINT when the rowid is
 * taken or a NOT NULL or UNIQUE constraint fails (nothing is written);
 * SEALDB_EREADONLY; SEALDB_EUNSUPPORTED; SEALDB_EINVAL (n too large, an
 * INTEGER PRIMARY KEY value that is not an integer). A refused change
 * leaves the transaction as it was. An error while pages are being changed
 * (SEALDB_EIO, SEALDB_ENOMEM, SEALDB_ECORRUPT) fails the transaction: every
 * later call returns that error and sealdb_commit rolls it back. */
SEALDB_API int sealdb_insert(sealdb_txn *t, sealdb_table *tbl, const sealdb_value *cols, uint32_t n,
                             int64_t *rowid, sealdb_error *err);

/* Replaces row rowid with cols[0..n) (the remaining columns take their
 * defaults, except the INTEGER PRIMARY KEY: not given, the row keeps its
 * rowid). Changing the INTEGER PRIMARY KEY value moves the row to that
 * rowid; NULL there is a datatype mismatch (SEALDB_EINVAL).
 * SEALDB_ENOTFOUND, and the errors of sealdb_insert. */
SEALDB_API int sealdb_update(sealdb_txn *t, sealdb_table *tbl, int64_t rowid,
                             const sealdb_value *cols, uint32_t n, sealdb_error *err);

/* Deletes row rowid and its index entries. SEALDB_ENOTFOUND, SEALDB_EREADONLY. */
SEALDB_API int sealdb_delete(sealdb_txn *t, sealdb_table *tbl, int64_t rowid, sealdb_error *err);

/* ---- cursors ---- */

/* Seek operations. */
enum {
    SEALDB_SEEK_GE = 0, /* the first entry >= the key */
    SEALDB_SEEK_GT = 1, /* the first entry > the key */
    SEALDB_SEEK_LE = 2, /* the last entry <= the key */
    SEALDB_SEEK_LT = 3, /* the last entry < the key */
    SEALDB_SEEK_EQ = 4, /* the first entry equal to the key, else end of file */
};

/* Opens a cursor over the table's rows in rowid order (index NULL) or in
 * the order of its index `index` (case-insensitive name). The cursor starts
 * unpositioned (end of file); it stays usable across the transaction's own
 * writes (it moves on from where it was). Closed at the latest when the
 * transaction ends. SEALDB_ENOTFOUND when the index is not the table's. */
SEALDB_API int sealdb_cursor_open(sealdb_txn *t, sealdb_table *tbl, const char *index,
                                  sealdb_cursor **out, sealdb_error *err);
SEALDB_API void sealdb_cursor_close(sealdb_cursor *c);

/* Moves to the first or last entry, or one step. Past either end, or on an
 * empty table, the cursor is at end of file (sealdb_cursor_eof). */
SEALDB_API int sealdb_cursor_first(sealdb_cursor *c, sealdb_error *err);
SEALDB_API int sealdb_cursor_last(sealdb_cursor *c, sealdb_error *err);
SEALDB_API int sealdb_cursor_next(sealdb_cursor *c, sealdb_error *err);
SEALDB_API int sealdb_cursor_prev(sealdb_cursor *c, sealdb_error *err);

/* Seeks by key (op: SEALDB_SEEK_*): a rowid cursor takes one INTEGER value
 * (or a REAL with an integer value); an index cursor takes 1..(its columns)
 * values compared with the index's collations and directions as a prefix
 * (GE finds the first entry whose first n columns are >= the key in index
 * order). Each key value first gets the affinity a WHERE clause gives a
 * constant compared with that column: NUMERIC for INTEGER, REAL and NUMERIC
 * columns (text '12' seeks 12), TEXT for TEXT columns. No entry: end of
 * file. SEALDB_EINVAL for a bad op or key count. */
SEALDB_API int sealdb_cursor_seek(sealdb_cursor *c, const sealdb_value *key, uint32_t n, int op,
                                  sealdb_error *err);

/* 1 when the cursor is at no entry. */
SEALDB_API int sealdb_cursor_eof(const sealdb_cursor *c);
/* The rowid of the row the cursor is at: after the transaction deleted
 * that row, the rowid it had (sealdb_cursor_row then gives
 * SEALDB_ENOTFOUND, and next and prev move on from there); 0 at end of
 * file or if an index entry is damaged. 0 is also a valid rowid: check
 * sealdb_cursor_eof. */
SEALDB_API int64_t sealdb_cursor_rowid(const sealdb_cursor *c);
/* The row the cursor is at, as sealdb_get gives it (an index cursor reads
 * the table row: one more lookup). */
SEALDB_API int sealdb_cursor_row(sealdb_cursor *c, sealdb_value *cols, uint32_t n,
                                 sealdb_error *err);
/* Index cursors: the entry's key columns into key[0..n) (n at most the
 * index's columns), without reading the table. */
SEALDB_API int sealdb_cursor_key(sealdb_cursor *c, sealdb_value *key, uint32_t n,
                                 sealdb_error *err);

/* ---- statistics ---- */

typedef struct sealdb_stats {
    uint64_t cache_hits, cache_misses;
    uint64_t pages_sealed, pages_unsealed;
    uint64_t commits, frames_written, wal_syncs, checkpoints; /* commits: to the WAL */
    /* rows read (sealdb_get, sealdb_cursor_row), counted when their
     * transaction ends; rows written (inserted, updated, deleted) */
    uint64_t rows_read, rows_written;
    /* transactions that changed something and committed (exclusive or concurrent) */
    uint64_t txn_commits;
    /* concurrent transactions refused: a row or UNIQUE value they wrote was
     * written first; something a serializable one read was written; a table
     * or the schema their changes stood on was changed by an exclusive one */
    uint64_t conflicts_write, conflicts_read, conflicts_schema;
    uint64_t retries;       /* attempts sealdb_run repeated after a conflict */
    uint64_t groups;        /* WAL appends that committed transactions together */
    uint64_t grouped;       /* transactions in those groups */
    uint64_t largest_group; /* the most in one */
    /* groups whose leader first waited a little for transactions about to
     * commit, so that one sync served them too (SEALDB_SYNC_FULL only) */
    uint64_t gathers;
    /* times the WAL started over from its first frame, and the frames it
     * holds now: it starts over only when no snapshot needs its frames, so
     * a reader that keeps an old snapshot makes it grow while it lives */
    uint64_t wal_restarts, wal_frames;
} sealdb_stats;

SEALDB_API void sealdb_get_stats(sealdb_db *db, sealdb_stats *out);

/* Fills buf with len bytes from the operating system's CSPRNG. Returns
 * SEALDB_OK, or SEALDB_ECRYPTO if the random source cannot be opened. */
SEALDB_API int sealdb_random_bytes(void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* SEALDB_H */
