/*
 * keys.c - credentials (key bytes, key files, key variables, passphrases)
 * and the key-slot file. See keys.h for the model and docs/KEYS.md for the
 * user's view; docs/FORMAT.md section 14 for the key-slot file's bytes.
 */
#define _GNU_SOURCE /* mkostemp */
#include "keys.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SLOTS_MAGIC "sealdb keyslots" /* 15 characters and a NUL: 16 bytes */
#define SLOTS_VERSION 1
#define SLOTS_HEADER 64
#define SLOT_BYTES 132
#define SLOT_AD_BYTES 52 /* slot bytes covered as associated data: number .. salt */
#define SLOT_LABEL 4
#define SLOT_SALT 36
#define SLOT_NONCE 52
#define SLOT_WRAPPED 84
#define SLOT_TAG 116
#define SLOTS_FILE_MAX (SLOTS_HEADER + KEYSLOTS_MAX * SLOT_BYTES)
#define WRAP_CIPHER SEALDB_AEGIS256

/* ---- credentials ------------------------------------------------------------------------ */

static int cred_alloc(credential *c, cred_kind kind, size_t cap, sealdb_error *err)
{
    memset(c, 0, sizeof *c);
    c->secret = crypto_secure_alloc(cap);
    if (!c->secret) {
        return error_set(err, SEALDB_ENOMEM, "no locked memory for the key");
    }
    c->kind = kind;
    c->kdf_ops = KDF_DEFAULT_OPS;
    c->kdf_mem_log2 = KDF_DEFAULT_MEM_LOG2;
    return SEALDB_OK;
}

void cred_free(credential *c)
{
    if (c) {
        crypto_secure_free(c->secret);
        memset(c, 0, sizeof *c);
    }
}

int cred_from_bytes(credential *c, const void *key, size_t len, sealdb_error *err)
{
    if (len != 16 && len != 32) {
        memset(c, 0, sizeof *c);
        return error_set(err, SEALDB_EKEYLEN, "key is %zu bytes; expected 16 or 32", len);
    }
    const int rc = cred_alloc(c, CRED_KEY, SEALDB_MAX_KEY_BYTES, err);
    if (rc == SEALDB_OK) {
        memcpy(c->secret, key, len);
        c->len = len;
    }
    return rc;
}

static int hex_into(credential *c, const char *hex, const char *what, int code, sealdb_error *err)
{
    int rc = cred_alloc(c, CRED_KEY, SEALDB_MAX_KEY_BYTES, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    size_t bad = 0;
    if (crypto_hex_decode(c->secret, SEALDB_MAX_KEY_BYTES, &c->len, hex, &bad) != SEALDB_OK) {
        cred_free(c);
        return bad == SIZE_MAX ? error_set(err, code, "%s has an odd number of hex digits", what)
                               : error_set(err, code,
                                           "%s has a character that is not a hex digit at "
                                           "position %zu",
                                           what, bad);
    }
    if (c->len != 16 && c->len != 32) {
        const size_t n = c->len;
        cred_free(c);
        return error_set(err, code == SEALDB_EHEX ? SEALDB_EKEYLEN : code,
                         "%s has %zu hex digits; expected 32 or 64", what, 2 * n);
    }
    return SEALDB_OK;
}

int cred_from_hex(credential *c, const char *hex, sealdb_error *err)
{
    return hex_into(c, hex, "the hex key", SEALDB_EHEX, err);
}

static int is_hex_text(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const int ch = p[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') ||
              ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')) {
            return 0;
        }
    }
    return 1;
}

int cred_from_keyfile(credential *c, const char *path, sealdb_error *err)
{
    memset(c, 0, sizeof *c);
    const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        return error_set(err, SEALDB_EKEYFILE, "cannot open key file %s: %s", path,
                         strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return error_set(err, SEALDB_EKEYFILE, "key file %s is not a regular file", path);
    }
    if (st.st_mode & 077) {
        close(fd);
        return error_set(err, SEALDB_EKEYFILE,
                         "key file %s is readable or writable by group or others (mode %04o); "
                         "run chmod 600 on it",
                         path, (unsigned)(st.st_mode & 07777));
    }
    if (st.st_size > 256) {
        close(fd);
        return error_set(err, SEALDB_EKEYFILE,
                         "key file %s has %lld bytes; expected 16 or 32 raw bytes or 32 or 64 "
                         "hex digits",
                         path, (long long)st.st_size);
    }
    uint8_t *buf = crypto_secure_alloc(257);
    if (!buf) {
        close(fd);
        return error_set(err, SEALDB_ENOMEM, "no locked memory for the key");
    }
    size_t n = 0;
    for (;;) {
        const ssize_t r = read(fd, buf + n, 257 - n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            const int e = errno;
            close(fd);
            crypto_secure_free(buf);
            return error_set(err, SEALDB_EKEYFILE, "cannot read key file %s: %s", path,
                             strerror(e));
        }
        if (r == 0 || n + (size_t)r >= 257) {
            n += (size_t)r;
            break;
        }
        n += (size_t)r;
    }
    close(fd);
    int rc;
    if ((n == 16 || n == 32) && !is_hex_text(buf, n)) {
        rc = cred_from_bytes(c, buf, n, err);
    } else if (n <= 256) {
        buf[n] = '\0';
        char what[300];
        snprintf(what, sizeof what, "key file %s", path);
        rc = hex_into(c, (const char *)buf, what, SEALDB_EKEYFILE, err);
    } else {
        rc = error_set(err, SEALDB_EKEYFILE, "key file %s is too long", path);
    }
    crypto_secure_free(buf);
    return rc;
}

int cred_from_env(credential *c, const char *name, sealdb_error *err)
{
    memset(c, 0, sizeof *c);
    const char *value = getenv(name);
    if (!value || !*value) {
        return error_set(err, SEALDB_EKEYFILE, "environment variable %s is not set", name);
    }
    char what[120];
    snprintf(what, sizeof what, "environment variable %.80s", name);
    return hex_into(c, value, what, SEALDB_EKEYFILE, err);
}

int cred_from_passphrase(credential *c, const void *pass, size_t len, sealdb_error *err)
{
    memset(c, 0, sizeof *c);
    if (len == 0) {
        return error_set(err, SEALDB_EINVAL, "the passphrase is empty");
    }
    if (len > CRED_MAX_PASSPHRASE) {
        return error_set(err, SEALDB_EINVAL, "the passphrase is longer than %d bytes",
                         CRED_MAX_PASSPHRASE);
    }
    const int rc = cred_alloc(c, CRED_PASSPHRASE, len, err);
    if (rc == SEALDB_OK) {
        memcpy(c->secret, pass, len);
        c->len = len;
    }
    return rc;
}

int cred_set_kdf(credential *c, uint32_t ops, uint32_t mem_kib, sealdb_error *err)
{
    if (ops > 255) {
        return error_set(err, SEALDB_EINVAL, "Argon2id passes must be 1..255, not %u", ops);
    }
    int log2 = 0;
    if (mem_kib) {
        while (log2 < 32 && (1u << log2) < mem_kib) {
            log2++;
        }
        if ((1u << log2) != mem_kib || log2 < SEAL_KDF_MEM_LOG2_MIN ||
            log2 > SEAL_KDF_MEM_LOG2_MAX) {
            return error_set(err, SEALDB_EINVAL,
                             "Argon2id memory must be a power of two from %u to %u KiB, not %u",
                             1u << SEAL_KDF_MEM_LOG2_MIN, 1u << SEAL_KDF_MEM_LOG2_MAX, mem_kib);
        }
    }
    if (ops) {
        c->kdf_ops = (uint8_t)ops;
    }
    if (mem_kib) {
        c->kdf_mem_log2 = (uint8_t)log2;
    }
    return SEALDB_OK;
}

int cred_copy(credential *dst, const credential *src, sealdb_error *err)
{
    const int rc = cred_alloc(dst, src->kind, src->len ? src->len : 1, err);
    if (rc == SEALDB_OK) {
        memcpy(dst->secret, src->secret, src->len);
        dst->len = src->len;
        dst->kdf_ops = src->kdf_ops;
        dst->kdf_mem_log2 = src->kdf_mem_log2;
    }
    return rc;
}

int cred_stretch(const credential *c, const uint8_t salt[16], uint8_t ops, uint8_t mem_log2,
                 uint8_t *out, size_t out_len, sealdb_error *err)
{
    if (crypto_init() != 0) {
        return error_set(err, SEALDB_ECRYPTO, "the crypto library cannot start");
    }
    const size_t mem = (size_t)1024 << mem_log2;
    if (crypto_pwhash(out, out_len, (const char *)c->secret, c->len, salt, ops, mem,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return error_set(err, SEALDB_ENOMEM,
                         "Argon2id could not get %zu MiB of memory for the passphrase", mem >> 20);
    }
    return SEALDB_OK;
}

/* ---- files ------------------------------------------------------------------------------- */

int dir_sync(const char *path)
{
    char *copy = strdup(path);
    if (!copy) {
        return -1;
    }
    const int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0) {
        return -1;
    }
    const int rc = fsync(fd);
    close(fd);
    return rc;
}

int file_replace(const char *path, const void *data, size_t len, unsigned mode, sealdb_error *err)
{
    const size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp-XXXXXX", 12);
    const int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        const int e = errno;
        free(tmp);
        return error_set(err, SEALDB_EIO, "cannot create a file beside %s: %s", path, strerror(e));
    }
    const uint8_t *p = data;
    size_t done = 0;
    int e = 0;
    while (done < len) {
        const ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            e = w < 0 ? errno : ENOSPC;
            break;
        }
        done += (size_t)w;
    }
    if (!e && fchmod(fd, mode) != 0) {
        e = errno;
    }
    if (!e && fsync(fd) != 0) {
        e = errno;
    }
    if (close(fd) != 0 && !e) {
        e = errno;
    }
    if (!e && rename(tmp, path) != 0) {
        e = errno;
    }
    if (e) {
        unlink(tmp);
        free(tmp);
        return error_set(err, SEALDB_EIO, "cannot write %s: %s", path, strerror(e));
    }
    free(tmp);
    if (dir_sync(path) != 0) {
        return error_set(err, SEALDB_EIO, "cannot sync the directory of %s: %s", path,
                         strerror(errno));
    }
    return SEALDB_OK;
}

/* ---- key slots --------------------------------------------------------------------------- */

typedef struct slots_file {
    uint8_t bytes[SLOTS_FILE_MAX];
    size_t len;
    int count;
    uint8_t cipher;
    uint8_t key_len;
} slots_file;

static char *slots_path(const char *db_path)
{
    const size_t n = strlen(db_path);
    char *p = malloc(n + sizeof KEYSLOTS_SUFFIX);
    if (p) {
        memcpy(p, db_path, n);
        memcpy(p + n, KEYSLOTS_SUFFIX, sizeof KEYSLOTS_SUFFIX);
    }
    return p;
}

static uint8_t *slot_at(slots_file *f, int i)
{
    return f->bytes + SLOTS_HEADER + (size_t)i * SLOT_BYTES;
}

static int slots_read_one(const char *path, const uint8_t salt[SEAL_SALT_BYTES], slots_file *f,
                          sealdb_error *err)
{
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int e = errno;
        int rc = e == ENOENT ? error_set(err, SEALDB_EKEYSLOTS,
                                         "the database keeps its key in key slots, but %s is "
                                         "missing; restore it from a backup of the database",
                                         path)
                             : error_set(err, SEALDB_EIO, "cannot open %s: %s", path, strerror(e));
        return rc;
    }
    ssize_t n;
    do {
        n = read(fd, f->bytes, sizeof f->bytes);
    } while (n < 0 && errno == EINTR);
    uint8_t extra;
    const ssize_t more = n >= 0 ? read(fd, &extra, 1) : 0;
    close(fd);
    int rc = SEALDB_OK;
    if (n < SLOTS_HEADER || more != 0 || memcmp(f->bytes, SLOTS_MAGIC, 16) != 0) {
        rc = error_set(err, SEALDB_EKEYSLOTS, "%s is not a sealdb key-slot file", path);
    } else if (f->bytes[16] != SLOTS_VERSION) {
        rc = error_set(err, SEALDB_EKEYSLOTS, "%s has key-slot format version %u; expected %u",
                       path, f->bytes[16], SLOTS_VERSION);
    } else if (!crypto_ct_equal(f->bytes + 20, salt, SEAL_SALT_BYTES)) {
        rc = error_set(err, SEALDB_EKEYSLOTS,
                       "%s belongs to another database (its salt differs from the header's)", path);
    } else {
        f->cipher = f->bytes[17];
        f->key_len = f->bytes[18];
        f->count = f->bytes[19];
        f->len = (size_t)n;
        if (f->count < 1 || f->count > KEYSLOTS_MAX ||
            f->len != SLOTS_HEADER + (size_t)f->count * SLOT_BYTES ||
            sealdb_cipher_key_bytes((sealdb_cipher_id)f->cipher) != f->key_len) {
            rc = error_set(err, SEALDB_EKEYSLOTS, "%s is damaged (size or slot count)", path);
        }
    }
    return rc;
}

/* Reads "<db>-keyslots", or "<db>-keyslots-next" when a conversion was
 * interrupted after it put the database in place but before it renamed the
 * new slot file (the database's salt tells which one belongs to it). */
static int slots_read(const char *db_path, const uint8_t salt[SEAL_SALT_BYTES], slots_file *f,
                      sealdb_error *err)
{
    char *path = slots_path(db_path);
    if (!path) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    int rc = slots_read_one(path, salt, f, err);
    if (rc == SEALDB_EKEYSLOTS) {
        const size_t n = strlen(path);
        char *next = malloc(n + 6);
        if (next) {
            memcpy(next, path, n);
            memcpy(next + n, "-next", 6);
            sealdb_error e2;
            if (access(next, F_OK) == 0 && slots_read_one(next, salt, f, &e2) == SEALDB_OK) {
                rc = SEALDB_OK;
            }
            free(next);
        }
    }
    free(path);
    return rc;
}

static int slots_write(const char *db_path, slots_file *f, sealdb_error *err)
{
    char *path = slots_path(db_path);
    if (!path) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    f->bytes[19] = (uint8_t)f->count;
    f->len = SLOTS_HEADER + (size_t)f->count * SLOT_BYTES;
    const int rc = file_replace(path, f->bytes, f->len, 0600, err);
    free(path);
    return rc;
}

/* The AEGIS-256 key that wraps the data key in a slot, from the credential. */
static int slot_wrap_cipher(const credential *c, const uint8_t *slot, sealdb_cipher **out,
                            sealdb_error *err)
{
    uint8_t *kek = crypto_secure_alloc(64);
    if (!kek) {
        return error_set(err, SEALDB_ENOMEM, "no locked memory for the key");
    }
    int rc = SEALDB_OK;
    const uint8_t *material = c->secret;
    size_t material_len = c->len;
    if (c->kind == CRED_PASSPHRASE) {
        rc = cred_stretch(c, slot + SLOT_SALT, slot[2], slot[3], kek + 32, 32, err);
        material = kek + 32;
        material_len = 32;
    }
    static const char label[] = "sealdb v1 slot key";
    if (rc == SEALDB_OK &&
        crypto_hkdf_sha256(kek, 32, material, material_len, slot + SLOT_SALT, SEAL_SALT_BYTES,
                           (const uint8_t *)label, sizeof label - 1) != 0) {
        rc = error_set(err, SEALDB_ECRYPTO, "key derivation (HKDF-SHA256) failed");
    }
    if (rc == SEALDB_OK) {
        rc = sealdb_cipher_open(out, WRAP_CIPHER, SEALDB_BACKEND_AUTO, kek, 32, err);
    }
    crypto_secure_free(kek);
    return rc;
}

/* Associated data of a slot: the file header but its slot count (bytes
 * 0..18 and the salt, 20..35), then the slot's own bytes 0..51. */
static void slot_ad(const slots_file *f, const uint8_t *slot, uint8_t *ad)
{
    memcpy(ad, f->bytes, 19);
    memcpy(ad + 19, f->bytes + 20, 16);
    memcpy(ad + 35, slot, SLOT_AD_BYTES);
}

/* Opens the data key with credential c: the first slot of c's kind that
 * authenticates. */
static int slots_unwrap(const slots_file *f, const credential *c, uint8_t *data_key,
                        sealdb_error *err)
{
    const uint8_t want = c->kind == CRED_PASSPHRASE ? CRED_PASSPHRASE : CRED_KEY;
    int tried = 0;
    for (int i = 0; i < f->count; i++) {
        const uint8_t *slot = f->bytes + SLOTS_HEADER + (size_t)i * SLOT_BYTES;
        if (slot[1] != want) {
            continue;
        }
        tried++;
        sealdb_cipher *w = NULL;
        int rc = slot_wrap_cipher(c, slot, &w, err);
        if (rc != SEALDB_OK) {
            return rc;
        }
        uint8_t ad[35 + SLOT_AD_BYTES];
        slot_ad(f, slot, ad);
        rc = sealdb_cipher_decrypt(w, data_key, slot + SLOT_WRAPPED, f->key_len, slot + SLOT_TAG,
                                   ad, sizeof ad, slot + SLOT_NONCE);
        sealdb_cipher_close(w);
        if (rc == SEALDB_OK) {
            return SEALDB_OK;
        }
    }
    return error_set(err, SEALDB_EWRONGKEY,
                     tried ? "wrong key: no key slot of this database opens with the %s given"
                           : "wrong key: this database has no key slot for a %s",
                     c->kind == CRED_PASSPHRASE ? "passphrase" : "key");
}

static int slot_fill(slots_file *f, uint8_t *slot, int number, const credential *c,
                     const char *label, const uint8_t *data_key, sealdb_error *err)
{
    memset(slot, 0, SLOT_BYTES);
    slot[0] = (uint8_t)number;
    slot[1] = c->kind == CRED_PASSPHRASE ? CRED_PASSPHRASE : CRED_KEY;
    if (c->kind == CRED_PASSPHRASE) {
        slot[2] = c->kdf_ops;
        slot[3] = c->kdf_mem_log2;
    }
    if (label) {
        const size_t n = strlen(label);
        if (n > KEYSLOT_LABEL_BYTES) {
            return error_set(err, SEALDB_EINVAL, "a slot label has at most %d bytes",
                             KEYSLOT_LABEL_BYTES);
        }
        memcpy(slot + SLOT_LABEL, label, n);
    }
    if (sealdb_random_bytes(slot + SLOT_SALT, SEAL_SALT_BYTES) != SEALDB_OK ||
        sealdb_random_bytes(slot + SLOT_NONCE, 32) != SEALDB_OK) {
        return error_set(err, SEALDB_ECRYPTO, "the OS random source cannot be used");
    }
    sealdb_cipher *w = NULL;
    int rc = slot_wrap_cipher(c, slot, &w, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    uint8_t ad[35 + SLOT_AD_BYTES];
    slot_ad(f, slot, ad);
    rc = sealdb_cipher_encrypt(w, slot + SLOT_WRAPPED, slot + SLOT_TAG, data_key, f->key_len, ad,
                               sizeof ad, slot + SLOT_NONCE);
    sealdb_cipher_close(w);
    return rc == SEALDB_OK ? SEALDB_OK : error_set(err, rc, "wrapping the data key failed");
}

int keyslots_create(const char *db_path, const credential *c, const char *label,
                    sealdb_cipher_id cipher, const uint8_t salt[SEAL_SALT_BYTES], uint8_t *data_key,
                    sealdb_error *err)
{
    slots_file *f = calloc(1, sizeof *f);
    if (!f) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    memcpy(f->bytes, SLOTS_MAGIC, 16);
    f->bytes[16] = SLOTS_VERSION;
    f->bytes[17] = (uint8_t)cipher;
    f->key_len = (uint8_t)sealdb_cipher_key_bytes(cipher);
    f->bytes[18] = f->key_len;
    memcpy(f->bytes + 20, salt, SEAL_SALT_BYTES);
    f->count = 1;
    f->bytes[19] = 1;
    int rc = sealdb_random_bytes(data_key, f->key_len) == SEALDB_OK
                 ? SEALDB_OK
                 : error_set(err, SEALDB_ECRYPTO, "the OS random source cannot be used");
    if (rc == SEALDB_OK) {
        rc = slot_fill(f, slot_at(f, 0), 1, c, label, data_key, err);
    }
    if (rc == SEALDB_OK) {
        rc = slots_write(db_path, f, err);
    }
    crypto_wipe(f, sizeof *f);
    free(f);
    return rc;
}

int keyslots_list(const char *db_path, const uint8_t salt[SEAL_SALT_BYTES], keyslot_info *slots,
                  int *n, sealdb_error *err)
{
    slots_file *f = calloc(1, sizeof *f);
    if (!f) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    const int rc = slots_read(db_path, salt, f, err);
    *n = 0;
    for (int i = 0; rc == SEALDB_OK && i < f->count; i++) {
        const uint8_t *s = slot_at(f, i);
        keyslot_info *o = &slots[i];
        o->number = s[0];
        o->kind = s[1];
        o->kdf_ops = s[2];
        o->kdf_mem_log2 = s[3];
        memcpy(o->label, s + SLOT_LABEL, KEYSLOT_LABEL_BYTES);
        o->label[KEYSLOT_LABEL_BYTES] = '\0';
        *n = i + 1;
    }
    free(f);
    return rc;
}

/* Reads the slot file and opens its data key with `auth`. */
static int slots_open(const char *db_path, const uint8_t salt[SEAL_SALT_BYTES],
                      const credential *auth, slots_file *f, uint8_t *data_key, sealdb_error *err)
{
    const int rc = slots_read(db_path, salt, f, err);
    return rc == SEALDB_OK ? slots_unwrap(f, auth, data_key, err) : rc;
}

int keyslots_add(const char *db_path, const uint8_t salt[SEAL_SALT_BYTES], const credential *auth,
                 const credential *add, const char *label, int *number, sealdb_error *err)
{
    slots_file *f = calloc(1, sizeof *f);
    uint8_t *data_key = crypto_secure_alloc(SEALDB_MAX_KEY_BYTES);
    if (!f || !data_key) {
        free(f);
        crypto_secure_free(data_key);
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    int rc = slots_open(db_path, salt, auth, f, data_key, err);
    if (rc == SEALDB_OK && f->count >= KEYSLOTS_MAX) {
        rc = error_set(err, SEALDB_EKEYSLOTS, "all %d key slots are in use; remove one first",
                       KEYSLOTS_MAX);
    }
    int num = 1;
    for (int i = 0; rc == SEALDB_OK && i < f->count; i++) {
        if (slot_at(f, i)[0] >= num) {
            num = slot_at(f, i)[0] + 1;
        }
    }
    if (rc == SEALDB_OK && num > 255) {
        rc = error_set(err, SEALDB_EKEYSLOTS, "slot numbers are exhausted");
    }
    if (rc == SEALDB_OK &&
        (rc = slot_fill(f, slot_at(f, f->count), num, add, label, data_key, err)) == SEALDB_OK) {
        f->count++;
        rc = slots_write(db_path, f, err);
    }
    if (rc == SEALDB_OK && number) {
        *number = num;
    }
    crypto_secure_free(data_key);
    crypto_wipe(f, sizeof *f);
    free(f);
    return rc;
}

int keyslots_remove(const char *db_path, const uint8_t salt[SEAL_SALT_BYTES],
                    const credential *auth, int number, sealdb_error *err)
{
    slots_file *f = calloc(1, sizeof *f);
    uint8_t *data_key = crypto_secure_alloc(SEALDB_MAX_KEY_BYTES);
    if (!f || !data_key) {
        free(f);
        crypto_secure_free(data_key);
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    int rc = slots_open(db_path, salt, auth, f, data_key, err);
    int at = -1;
    for (int i = 0; rc == SEALDB_OK && i < f->count; i++) {
        if (slot_at(f, i)[0] == number) {
            at = i;
        }
    }
    if (rc == SEALDB_OK && at < 0) {
        rc = error_set(err, SEALDB_EINVAL, "the database has no key slot %d", number);
    } else if (rc == SEALDB_OK && f->count == 1) {
        rc = error_set(err, SEALDB_EKEYSLOTS,
                       "slot %d is the last key slot; add another before removing it", number);
    }
    if (rc == SEALDB_OK) {
        memmove(slot_at(f, at), slot_at(f, at + 1), (size_t)(f->count - at - 1) * SLOT_BYTES);
        f->count--;
        rc = slots_write(db_path, f, err);
    }
    crypto_secure_free(data_key);
    crypto_wipe(f, sizeof *f);
    free(f);
    return rc;
}

/* ---- master keys ------------------------------------------------------------------------- */

int cred_master_key(const credential *c, const seal_file_info *info, const char *db_path,
                    uint8_t *key, size_t *key_len, sealdb_error *err)
{
    const size_t want = sealdb_cipher_key_bytes(info->cipher);
    const uint8_t kind = info->layout == SEALDB_LAYOUT_HARDENED ? info->key_kind : SEAL_KEY_RAW;
    *key_len = want;
    if (kind == SEAL_KEY_SLOTS) {
        slots_file *f = calloc(1, sizeof *f);
        if (!f) {
            return error_set(err, SEALDB_ENOMEM, "out of memory");
        }
        int rc = slots_read(db_path, info->salt, f, err);
        if (rc == SEALDB_OK && (f->cipher != info->cipher || f->key_len != want)) {
            rc = error_set(err, SEALDB_EKEYSLOTS,
                           "the key-slot file names another cipher than the database");
        }
        if (rc == SEALDB_OK) {
            rc = slots_unwrap(f, c, key, err);
        }
        crypto_wipe(f, sizeof *f);
        free(f);
        return rc;
    }
    if (kind == SEAL_KEY_PASSPHRASE) {
        if (c->kind != CRED_PASSPHRASE) {
            return error_set(err, SEALDB_EWRONGKEY,
                             "wrong key: this database is sealed under a passphrase; give the "
                             "passphrase, not a key");
        }
        return cred_stretch(c, info->salt, info->kdf_ops, info->kdf_mem_log2, key, want, err);
    }
    if (c->kind != CRED_KEY) {
        return error_set(err, SEALDB_EWRONGKEY,
                         "wrong key: this database is sealed under a key, not a passphrase");
    }
    if (c->len != want) {
        return error_set(err, SEALDB_EKEYLEN,
                         "the database is sealed with %s, which needs a %zu-byte key (%zu hex "
                         "digits); the key given has %zu bytes",
                         sealdb_cipher_name(info->cipher), want, 2 * want, c->len);
    }
    memcpy(key, c->secret, want);
    return SEALDB_OK;
}

int cred_new_database(const credential *c, sealdb_cipher_id cipher, sealdb_layout layout,
                      seal_ctx **out, sealdb_error *err)
{
    *out = NULL;
    if (c->kind == CRED_KEY) {
        return seal_ctx_create(out, cipher, layout, c->secret, c->len, err);
    }
    if (layout == SEALDB_LAYOUT_TURSO) {
        return error_set(err, SEALDB_EINVAL,
                         "the turso layout takes a key, not a passphrase (its header has no room "
                         "for a salt)");
    }
    uint8_t salt[SEAL_SALT_BYTES];
    if (sealdb_random_bytes(salt, sizeof salt) != SEALDB_OK) {
        return error_set(err, SEALDB_ECRYPTO, "the OS random source cannot be used");
    }
    const size_t want = sealdb_cipher_key_bytes(cipher);
    uint8_t *key = crypto_secure_alloc(SEALDB_MAX_KEY_BYTES);
    if (!key) {
        return error_set(err, SEALDB_ENOMEM, "no locked memory for the key");
    }
    int rc = cred_stretch(c, salt, c->kdf_ops, c->kdf_mem_log2, key, want, err);
    if (rc == SEALDB_OK) {
        rc = seal_ctx_create_salted(out, cipher, layout, key, want, salt, err);
    }
    if (rc == SEALDB_OK) {
        seal_ctx_set_key_kind(*out, SEAL_KEY_PASSPHRASE, c->kdf_ops, c->kdf_mem_log2);
    }
    crypto_secure_free(key);
    return rc;
}

int cred_new_slots_database(const credential *c, const char *db_path, sealdb_cipher_id cipher,
                            seal_ctx **out, sealdb_error *err)
{
    *out = NULL;
    uint8_t salt[SEAL_SALT_BYTES];
    if (sealdb_random_bytes(salt, sizeof salt) != SEALDB_OK) {
        return error_set(err, SEALDB_ECRYPTO, "the OS random source cannot be used");
    }
    uint8_t *key = crypto_secure_alloc(SEALDB_MAX_KEY_BYTES);
    if (!key) {
        return error_set(err, SEALDB_ENOMEM, "no locked memory for the key");
    }
    int rc = keyslots_create(db_path, c, "initial", cipher, salt, key, err);
    if (rc == SEALDB_OK) {
        rc = seal_ctx_create_salted(out, cipher, SEALDB_LAYOUT_HARDENED, key,
                                    sealdb_cipher_key_bytes(cipher), salt, err);
    }
    if (rc == SEALDB_OK) {
        seal_ctx_set_key_kind(*out, SEAL_KEY_SLOTS, 0, 0);
    }
    crypto_secure_free(key);
    return rc;
}

int cred_open_database(const credential *c, const char *db_path, const uint8_t *hdr, seal_ctx **out,
                       seal_file_info *info, sealdb_error *err)
{
    *out = NULL;
    int rc = seal_header_read(hdr, info, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (!info->sealed) {
        return error_set(err, SEALDB_ENOTSEALED, "%s is a plain SQLite database, not a sealed one",
                         db_path);
    }
    uint8_t *key = crypto_secure_alloc(SEALDB_MAX_KEY_BYTES);
    if (!key) {
        return error_set(err, SEALDB_ENOMEM, "no locked memory for the key");
    }
    size_t key_len = 0;
    rc = cred_master_key(c, info, db_path, key, &key_len, err);
    if (rc == SEALDB_OK) {
        rc = seal_ctx_open(out, info, key, key_len, err);
        if (rc == SEALDB_EWRONGKEY) {
            error_set(err, rc, "%s",
                      c->kind == CRED_PASSPHRASE ? "wrong passphrase for this database"
                                                 : "wrong key for this database");
        }
    }
    crypto_secure_free(key);
    return rc;
}
