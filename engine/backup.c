/*
 * backup.c - sealed, compressed backups and their restore.
 *
 * A backup is one file (docs/FORMAT.md section 15):
 *
 *   header     96 bytes in the clear, authenticated by everything after it
 *   chunks     runs of up to 256 pages, zstd-compressed, sealed with
 *              AEGIS-256; each bound to its index and page range
 *   manifest   the chunk table (offset and length of each), sealed
 *   trailer    manifest offset, file length, magic: a truncated file is
 *              recognised before anything is decrypted
 *
 * The pages are the database's plain view (what SQLite sees), taken as one
 * consistent snapshot with SQLite's online backup into a scratch file sealed
 * under a random key, then read back page by page. The backup key is derived
 * from the caller's key source and a random salt (HKDF-SHA256, after
 * Argon2id for a passphrase), never from the database's own key, so a
 * backup can be handed to someone who must not read the live database.
 *
 * Restore authenticates the header's key check, the manifest and every
 * chunk before it creates the output, then writes the output beside its
 * final name, syncs it, checks it opens, and links it into place.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "crypto.h"
#include "engine.h"
#include "keys.h"

#define BK_MAGIC "sealdb backup\0\0" /* 13 characters and 3 NULs */
#define BK_TRAILER_MAGIC "sealdbbk"
#define BK_VERSION 1
#define BK_HEADER 96
#define BK_CHECK_OFFSET 64
#define BK_CHUNK_HEAD (4 + 32 + 16) /* length, nonce, tag */
#define BK_TRAILER 24
#define BK_PAGES_PER_CHUNK 256
#define BK_CIPHER SEALDB_AEGIS256

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static char *str_cat(const char *a, const char *b)
{
    const size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 1);
    if (s) {
        memcpy(s, a, na);
        memcpy(s + na, b, nb + 1);
    }
    return s;
}

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
    uint8_t *p = buf;
    size_t done = 0;
    while (done < n) {
        const ssize_t r = pread(fd, p + done, n - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        done += (size_t)r;
    }
    return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        const ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            if (w == 0) {
                errno = ENOSPC;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* The backup's AEAD and its key check, from a credential and the header. */
static int backup_cipher(const credential *c, const uint8_t *hdr, sealdb_cipher **out,
                         uint8_t check[16], sealdb_error *err)
{
    uint8_t *k = crypto_secure_alloc(64);
    if (!k) {
        return error_set(err, SEALDB_ENOMEM, "no locked memory for the key");
    }
    int rc = SEALDB_OK;
    const uint8_t *material = c->secret;
    size_t len = c->len;
    if (c->kind == CRED_PASSPHRASE) {
        rc = cred_stretch(c, hdr + 20, hdr[18], hdr[19], k + 32, 32, err);
        material = k + 32;
        len = 32;
    }
    static const char key_label[] = "sealdb v1 backup key";
    static const char check_label[] = "sealdb v1 backup check";
    if (rc == SEALDB_OK &&
        (crypto_hkdf_sha256(k, 32, material, len, hdr + 20, 16, (const uint8_t *)key_label,
                            sizeof key_label - 1) != 0 ||
         crypto_hkdf_sha256(check, 16, material, len, hdr + 20, 16, (const uint8_t *)check_label,
                            sizeof check_label - 1) != 0)) {
        rc = error_set(err, SEALDB_ECRYPTO, "key derivation (HKDF-SHA256) failed");
    }
    if (rc == SEALDB_OK) {
        rc = sealdb_cipher_open(out, BK_CIPHER, SEALDB_BACKEND_AUTO, k, 32, err);
    }
    crypto_secure_free(k);
    return rc;
}

/* Associated data of a chunk (index, first page, page count) or, with
 * what == NULL, of the manifest. */
static size_t chunk_ad(uint8_t *ad, const uint8_t *hdr, const char *what, uint64_t index,
                       uint32_t first, uint32_t count)
{
    memcpy(ad, hdr, BK_HEADER);
    if (!what) {
        memcpy(ad + BK_HEADER, "manifest", 8);
        return BK_HEADER + 8;
    }
    memcpy(ad + BK_HEADER, "chunk\0\0\0", 8);
    put64(ad + BK_HEADER + 8, index);
    put32(ad + BK_HEADER + 16, first);
    put32(ad + BK_HEADER + 20, count);
    return BK_HEADER + 24;
}

/* ---- writing ------------------------------------------------------------------------------ */

typedef struct writer {
    int fd;
    uint64_t offset;
    sealdb_cipher *aead;
    uint8_t hdr[BK_HEADER];
    uint8_t *table; /* manifest: per chunk 8-byte offset, 4-byte length */
    uint32_t chunks;
} writer;

static int write_sealed(writer *w, const uint8_t *plain, size_t len, const uint8_t *ad,
                        size_t ad_len, sealdb_error *err)
{
    uint8_t head[BK_CHUNK_HEAD];
    uint8_t *ct = malloc(len ? len : 1);
    if (!ct) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    put32(head, (uint32_t)len);
    int rc = sealdb_random_bytes(head + 4, 32);
    if (rc == SEALDB_OK) {
        rc = sealdb_cipher_encrypt(w->aead, ct, head + 36, plain, len, ad, ad_len, head + 4);
    }
    if (rc != SEALDB_OK) {
        free(ct);
        return error_set(err, rc, "sealing a backup chunk failed");
    }
    if (write_all(w->fd, head, sizeof head) != 0 || write_all(w->fd, ct, len) != 0) {
        free(ct);
        return error_set(err, SEALDB_EIO, "cannot write the backup: %s", strerror(errno));
    }
    free(ct);
    w->offset += sizeof head + len;
    return SEALDB_OK;
}

/* Opens a scratch copy of the database's pages: a consistent snapshot
 * through SQLite's online backup, sealed under a random key. */
static int take_snapshot(sqlite3 *src, const char *snap, sealdb_cipher_id cipher, seal_ctx **ctx,
                         uint32_t *pages, uint32_t *page_size, sealdb_error *err)
{
    uint8_t key[32];
    const size_t key_len = sealdb_cipher_key_bytes(cipher);
    if (sealdb_random_bytes(key, key_len) != SEALDB_OK) {
        return error_set(err, SEALDB_ECRYPTO, "the OS random source cannot be used");
    }
    sealdb_sqlite_config sc = {
        .key = key, .key_len = key_len, .cipher = sealdb_cipher_name(cipher)};
    sqlite3 *dst = NULL;
    int rc = sealdb_sqlite_open(snap, &sc, &dst, err);
    if (rc == SEALDB_OK) {
        sqlite3_exec(dst, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", NULL, NULL, NULL);
        sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
        int step = b ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
        const int fin = sqlite3_backup_finish(b);
        if (step != SQLITE_DONE || fin != SQLITE_OK) {
            rc = error_set(err,
                           step == SQLITE_BUSY || step == SQLITE_LOCKED ? SEALDB_EBUSY : SEALDB_EIO,
                           "taking the snapshot failed: %s", sqlite3_errmsg(dst));
        }
    }
    sqlite3_close(dst);
    uint8_t hdr[100];
    const int fd = rc == SEALDB_OK ? open(snap, O_RDONLY | O_CLOEXEC) : -1;
    if (rc == SEALDB_OK && (fd < 0 || read_at(fd, hdr, 100, 0) != 0)) {
        rc = error_set(err, SEALDB_EIO, "cannot read the snapshot: %s", strerror(errno));
    }
    struct stat st;
    if (fd >= 0) {
        fstat(fd, &st);
        close(fd);
    }
    seal_file_info info;
    if (rc == SEALDB_OK && (rc = seal_header_read(hdr, &info, err)) == SEALDB_OK &&
        (rc = seal_ctx_open(ctx, &info, key, key_len, err)) == SEALDB_OK) {
        *page_size = info.page_size;
        *pages = (uint32_t)((uint64_t)st.st_size / info.page_size);
    }
    crypto_wipe(key, sizeof key);
    return rc;
}

static int fill_header(uint8_t *hdr, const credential *bc, const seal_file_info *db,
                       uint32_t page_size, uint32_t pages, int level, sealdb_error *err)
{
    memset(hdr, 0, BK_HEADER);
    memcpy(hdr, BK_MAGIC, 16);
    hdr[16] = BK_VERSION;
    hdr[17] = bc->kind == CRED_PASSPHRASE ? 2 : 1;
    if (bc->kind == CRED_PASSPHRASE) {
        hdr[18] = bc->kdf_ops;
        hdr[19] = bc->kdf_mem_log2;
    }
    if (sealdb_random_bytes(hdr + 20, 16) != SEALDB_OK) {
        return error_set(err, SEALDB_ECRYPTO, "the OS random source cannot be used");
    }
    hdr[36] = db->sealed ? (uint8_t)db->cipher : 0;
    hdr[37] = db->sealed ? (uint8_t)db->layout : 0;
    put32(hdr + 40, page_size);
    put32(hdr + 44, pages);
    put64(hdr + 48, (uint64_t)time(NULL));
    put32(hdr + 56, BK_PAGES_PER_CHUNK);
    put32(hdr + 60, (uint32_t)level);
    return SEALDB_OK;
}

static int write_backup(writer *w, seal_ctx *snap_ctx, int snap_fd, uint32_t page_size,
                        uint32_t pages, int level, sealdb_error *err)
{
    const size_t raw_cap = (size_t)BK_PAGES_PER_CHUNK * page_size;
    uint8_t *raw = malloc(raw_cap);
    const size_t zcap = ZSTD_compressBound(raw_cap);
    uint8_t *z = malloc(zcap);
    const uint32_t nchunks = (pages + BK_PAGES_PER_CHUNK - 1) / BK_PAGES_PER_CHUNK;
    w->table = malloc((size_t)nchunks * 12 + 4);
    int rc = raw && z && w->table ? SEALDB_OK : error_set(err, SEALDB_ENOMEM, "out of memory");
    uint8_t ad[BK_HEADER + 24];
    for (uint32_t i = 0; rc == SEALDB_OK && i < nchunks; i++) {
        const uint32_t first = i * BK_PAGES_PER_CHUNK + 1;
        const uint32_t count =
            pages - first + 1 < BK_PAGES_PER_CHUNK ? pages - first + 1 : BK_PAGES_PER_CHUNK;
        for (uint32_t k = 0; rc == SEALDB_OK && k < count; k++) {
            uint8_t *page = raw + (size_t)k * page_size;
            const uint32_t pgno = first + k;
            if (read_at(snap_fd, page, page_size, (uint64_t)(pgno - 1) * page_size) != 0) {
                rc = error_set(err, SEALDB_EIO, "cannot read the snapshot");
            } else if (unseal_page(snap_ctx, page, page_size, pgno) != SEALDB_OK) {
                rc = error_set(err, SEALDB_ECORRUPT, "the snapshot's page %u does not open", pgno);
            }
        }
        if (rc != SEALDB_OK) {
            break;
        }
        const size_t zn = ZSTD_compress(z, zcap, raw, (size_t)count * page_size, level);
        if (ZSTD_isError(zn)) {
            rc = error_set(err, SEALDB_EIO, "compression failed: %s", ZSTD_getErrorName(zn));
            break;
        }
        put64(w->table + 4 + (size_t)i * 12, w->offset);
        put32(w->table + 4 + (size_t)i * 12 + 8, (uint32_t)zn);
        const size_t ad_len = chunk_ad(ad, w->hdr, "chunk", i, first, count);
        rc = write_sealed(w, z, zn, ad, ad_len, err);
        w->chunks = i + 1;
    }
    if (rc == SEALDB_OK) {
        put32(w->table, nchunks);
        const uint64_t manifest_at = w->offset;
        const size_t ad_len = chunk_ad(ad, w->hdr, NULL, 0, 0, 0);
        rc = write_sealed(w, w->table, (size_t)nchunks * 12 + 4, ad, ad_len, err);
        if (rc == SEALDB_OK) {
            uint8_t trailer[BK_TRAILER];
            put64(trailer, manifest_at);
            put64(trailer + 8, w->offset + BK_TRAILER);
            memcpy(trailer + 16, BK_TRAILER_MAGIC, 8);
            if (write_all(w->fd, trailer, sizeof trailer) != 0 || fsync(w->fd) != 0) {
                rc = error_set(err, SEALDB_EIO, "cannot write the backup: %s", strerror(errno));
            }
        }
    }
    if (raw) {
        crypto_wipe(raw, raw_cap);
    }
    free(raw);
    free(z);
    free(w->table);
    w->table = NULL;
    return rc;
}

static int link_into_place(const char *tmp, const char *out, sealdb_error *err)
{
    if (link(tmp, out) != 0) {
        return error_set(err, SEALDB_EIO, "cannot create %s: %s", out, strerror(errno));
    }
    unlink(tmp);
    if (dir_sync(out) != 0) {
        return error_set(err, SEALDB_EIO, "cannot sync the directory of %s: %s", out,
                         strerror(errno));
    }
    return SEALDB_OK;
}

static void remove_scratch(const char *base)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal", KEYSLOTS_SUFFIX};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char *p = str_cat(base, suffixes[i]);
        if (p) {
            unlink(p);
            free(p);
        }
    }
}

int sealdb_backup(const char *path, const sealdb_sqlite_config *cfg, const char *out,
                  const sealdb_sqlite_config *bkey, int level, sealdb_error *err)
{
    if (!path || !cfg || !out) {
        return error_set(err, SEALDB_EINVAL, "path, cfg and out must not be NULL");
    }
    if (level < 0 || level > 19) {
        return error_set(err, SEALDB_EINVAL, "compression level must be 1..19 (0: default)");
    }
    if (access(out, F_OK) == 0) {
        return error_set(err, SEALDB_EINVAL, "%s exists; choose a new file for the backup", out);
    }
    credential bc;
    int rc = cred_from_config(&bc, bkey ? bkey : cfg, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    sqlite3 *src = NULL;
    if ((rc = sealdb_sqlite_open(path, cfg, &src, err)) != SEALDB_OK) {
        cred_free(&bc);
        return rc;
    }
    sqlite3_busy_timeout(src, 5000);
    sealdb_file_info fi;
    rc = sealdb_inspect(path, &fi, err);
    seal_file_info db = {.sealed = fi.sealed, .layout = fi.layout, .cipher = fi.cipher};
    char *snap = str_cat(out, ".sealdb-snap");
    char *tmp = str_cat(out, ".sealdb-tmp");
    if (rc == SEALDB_OK && (!snap || !tmp)) {
        rc = error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    seal_ctx *snap_ctx = NULL;
    uint32_t pages = 0, page_size = 0;
    if (rc == SEALDB_OK) {
        remove_scratch(snap);
        unlink(tmp);
        rc = take_snapshot(src, snap, fi.cipher, &snap_ctx, &pages, &page_size, err);
    }
    sqlite3_close(src);
    writer w = {.fd = -1};
    if (rc == SEALDB_OK) {
        rc = fill_header(w.hdr, &bc, &db, page_size, pages, level ? level : 3, err);
    }
    uint8_t check[16];
    if (rc == SEALDB_OK && (rc = backup_cipher(&bc, w.hdr, &w.aead, check, err)) == SEALDB_OK) {
        memcpy(w.hdr + BK_CHECK_OFFSET, check, 16);
        w.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (w.fd < 0 || write_all(w.fd, w.hdr, BK_HEADER) != 0) {
            rc = error_set(err, SEALDB_EIO, "cannot write %s: %s", tmp, strerror(errno));
        }
        w.offset = BK_HEADER;
    }
    const int snap_fd = rc == SEALDB_OK ? open(snap, O_RDONLY | O_CLOEXEC) : -1;
    if (rc == SEALDB_OK && snap_fd < 0) {
        rc = error_set(err, SEALDB_EIO, "cannot read the snapshot: %s", strerror(errno));
    }
    if (rc == SEALDB_OK) {
        rc = write_backup(&w, snap_ctx, snap_fd, page_size, pages, level ? level : 3, err);
    }
    if (snap_fd >= 0) {
        close(snap_fd);
    }
    if (w.fd >= 0 && close(w.fd) != 0 && rc == SEALDB_OK) {
        rc = error_set(err, SEALDB_EIO, "cannot write %s: %s", tmp, strerror(errno));
    }
    if (rc == SEALDB_OK) {
        rc = link_into_place(tmp, out, err);
    }
    if (tmp) {
        unlink(tmp);
    }
    if (snap) {
        remove_scratch(snap);
    }
    free(snap);
    free(tmp);
    seal_ctx_close(snap_ctx);
    sealdb_cipher_close(w.aead);
    cred_free(&bc);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------------ */

typedef struct reader {
    int fd;
    uint64_t size;
    uint8_t hdr[BK_HEADER];
    sealdb_cipher *aead;
    uint32_t page_size, pages, chunks, per_chunk;
    uint8_t *table; /* decrypted manifest */
} reader;

static void reader_close(reader *r)
{
    if (r->fd >= 0) {
        close(r->fd);
    }
    sealdb_cipher_close(r->aead);
    free(r->table);
    memset(r, 0, sizeof *r);
    r->fd = -1;
}

/* Reads and authenticates a sealed block at off: its plaintext in *out
 * (malloc'd), its length in *len. */
static int read_sealed(reader *r, uint64_t off, uint64_t limit, const uint8_t *ad, size_t ad_len,
                       uint8_t **out, size_t *len, const char *what, sealdb_error *err)
{
    uint8_t head[BK_CHUNK_HEAD];
    if (off + BK_CHUNK_HEAD > limit || read_at(r->fd, head, sizeof head, off) != 0) {
        return error_set(err, SEALDB_ECORRUPT, "the backup is truncated or damaged at %s", what);
    }
    const uint32_t n = get32(head);
    if (off + BK_CHUNK_HEAD + n > limit) {
        return error_set(err, SEALDB_ECORRUPT, "the backup is damaged: %s runs past its end", what);
    }
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    if (read_at(r->fd, buf, n, off + BK_CHUNK_HEAD) != 0) {
        free(buf);
        return error_set(err, SEALDB_ECORRUPT, "the backup is truncated at %s", what);
    }
    if (sealdb_cipher_decrypt(r->aead, buf, buf, n, head + 36, ad, ad_len, head + 4) != SEALDB_OK) {
        free(buf);
        return error_set(err, SEALDB_ECORRUPT,
                         "%s fails authentication: the backup is damaged or was tampered with",
                         what);
    }
    *out = buf;
    *len = n;
    return SEALDB_OK;
}

static int reader_open(reader *r, const char *path, const sealdb_sqlite_config *bkey,
                       sealdb_error *err)
{
    memset(r, 0, sizeof *r);
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        return error_set(err, SEALDB_EIO, "cannot open %s: %s", path, strerror(errno));
    }
    struct stat st;
    fstat(r->fd, &st);
    r->size = (uint64_t)st.st_size;
    if (r->size < BK_HEADER || read_at(r->fd, r->hdr, BK_HEADER, 0) != 0 ||
        memcmp(r->hdr, BK_MAGIC, 16) != 0) {
        return error_set(err, SEALDB_ECORRUPT, "%s is not a sealdb backup", path);
    }
    if (r->hdr[16] != BK_VERSION) {
        return error_set(err, SEALDB_ECORRUPT, "backup format version %u is not supported",
                         r->hdr[16]);
    }
    uint8_t trailer[BK_TRAILER];
    if (r->size < BK_HEADER + BK_TRAILER ||
        read_at(r->fd, trailer, BK_TRAILER, r->size - BK_TRAILER) != 0 ||
        memcmp(trailer + 16, BK_TRAILER_MAGIC, 8) != 0 || get64(trailer + 8) != r->size) {
        return error_set(err, SEALDB_ECORRUPT,
                         "%s is truncated or damaged: its trailer is missing (%llu bytes)", path,
                         (unsigned long long)r->size);
    }
    credential c;
    int rc = cred_from_config(&c, bkey, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if ((r->hdr[17] == 2) != (c.kind == CRED_PASSPHRASE)) {
        cred_free(&c);
        return error_set(err, SEALDB_EWRONGKEY, "wrong key: the backup is sealed under a %s",
                         r->hdr[17] == 2 ? "passphrase" : "key");
    }
    if (c.kind == CRED_PASSPHRASE && (r->hdr[18] < 1 || r->hdr[19] < SEAL_KDF_MEM_LOG2_MIN ||
                                      r->hdr[19] > SEAL_KDF_MEM_LOG2_MAX)) {
        cred_free(&c);
        return error_set(err, SEALDB_ECORRUPT, "the backup header is damaged (Argon2id cost)");
    }
    uint8_t check[16];
    rc = backup_cipher(&c, r->hdr, &r->aead, check, err);
    cred_free(&c);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (!crypto_ct_equal(check, r->hdr + BK_CHECK_OFFSET, 16)) {
        return error_set(err, SEALDB_EWRONGKEY,
                         "wrong key for this backup (or its header is "
                         "damaged)");
    }
    r->page_size = get32(r->hdr + 40);
    r->pages = get32(r->hdr + 44);
    r->per_chunk = get32(r->hdr + 56);
    if (r->page_size < 512 || r->page_size > 65536 || (r->page_size & (r->page_size - 1)) ||
        r->per_chunk == 0 || r->per_chunk > 65536 || r->pages == 0) {
        return error_set(err, SEALDB_ECORRUPT, "the backup header is damaged");
    }
    uint8_t ad[BK_HEADER + 24];
    const size_t ad_len = chunk_ad(ad, r->hdr, NULL, 0, 0, 0);
    const uint64_t manifest_at = get64(trailer);
    size_t len = 0;
    rc = read_sealed(r, manifest_at, r->size - BK_TRAILER, ad, ad_len, &r->table, &len,
                     "the manifest", err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    r->chunks = len >= 4 ? get32(r->table) : 0;
    if (len != 4 + (size_t)r->chunks * 12 ||
        r->chunks != (r->pages + r->per_chunk - 1) / r->per_chunk) {
        return error_set(err, SEALDB_ECORRUPT, "the backup's manifest does not match its header");
    }
    /* chunks follow one another from the header to the manifest */
    uint64_t at = BK_HEADER;
    for (uint32_t i = 0; i < r->chunks; i++) {
        const uint64_t off = get64(r->table + 4 + (size_t)i * 12);
        const uint32_t n = get32(r->table + 4 + (size_t)i * 12 + 8);
        if (off != at) {
            return error_set(err, SEALDB_ECORRUPT, "the backup's chunk %u is out of place", i);
        }
        at = off + BK_CHUNK_HEAD + n;
    }
    if (at != manifest_at) {
        return error_set(err, SEALDB_ECORRUPT,
                         "the backup has bytes between its chunks and its "
                         "manifest");
    }
    return SEALDB_OK;
}

/* Chunk i, authenticated and decompressed into pages (count * page_size). */
static int read_chunk(reader *r, uint32_t i, uint8_t *pages, uint32_t *count, sealdb_error *err)
{
    const uint32_t first = i * r->per_chunk + 1;
    const uint32_t n = r->pages - first + 1 < r->per_chunk ? r->pages - first + 1 : r->per_chunk;
    uint8_t ad[BK_HEADER + 24];
    const size_t ad_len = chunk_ad(ad, r->hdr, "chunk", i, first, n);
    char what[48];
    snprintf(what, sizeof what, "chunk %u (pages %u..%u)", i + 1, first, first + n - 1);
    uint8_t *z = NULL;
    size_t zlen = 0;
    int rc = read_sealed(r, get64(r->table + 4 + (size_t)i * 12), r->size - BK_TRAILER, ad, ad_len,
                         &z, &zlen, what, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    const size_t want = (size_t)n * r->page_size;
    const size_t got = ZSTD_decompress(pages, want, z, zlen);
    free(z);
    if (ZSTD_isError(got) || got != want) {
        return error_set(err, SEALDB_ECORRUPT, "%s does not decompress to its pages", what);
    }
    *count = n;
    return SEALDB_OK;
}

int sealdb_backup_verify(const char *backup, const sealdb_sqlite_config *bkey,
                         sealdb_backup_info *info, sealdb_error *err)
{
    if (!backup || !bkey) {
        return error_set(err, SEALDB_EINVAL, "backup and bkey must not be NULL");
    }
    reader r;
    int rc = reader_open(&r, backup, bkey, err);
    uint8_t *pages = rc == SEALDB_OK ? malloc((size_t)r.per_chunk * r.page_size) : NULL;
    if (rc == SEALDB_OK && !pages) {
        rc = error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; rc == SEALDB_OK && i < r.chunks; i++) {
        uint32_t n;
        rc = read_chunk(&r, i, pages, &n, err);
    }
    if (rc == SEALDB_OK && info) {
        info->page_size = r.page_size;
        info->pages = r.pages;
        info->chunks = r.chunks;
        info->cipher = (sealdb_cipher_id)r.hdr[36];
        info->layout = (sealdb_layout)r.hdr[37];
        info->created = get64(r.hdr + 48);
        info->bytes = r.size;
    }
    if (pages) {
        crypto_wipe(pages, (size_t)r.per_chunk * r.page_size);
        free(pages);
    }
    reader_close(&r);
    return rc;
}

int sealdb_restore(const char *backup, const sealdb_sqlite_config *bkey, const char *out,
                   const sealdb_sqlite_config *to, sealdb_error *err)
{
    if (!backup || !bkey || !out) {
        return error_set(err, SEALDB_EINVAL, "backup, bkey and out must not be NULL");
    }
    if (access(out, F_OK) == 0) {
        return error_set(err, SEALDB_EINVAL, "%s exists; restore into a new file", out);
    }
    const sealdb_sqlite_config *dst = to ? to : bkey;
    /* every chunk is authenticated before anything is written */
    int rc = sealdb_backup_verify(backup, bkey, NULL, err);
    reader r = {.fd = -1};
    if (rc == SEALDB_OK) {
        rc = reader_open(&r, backup, bkey, err);
    }
    sealdb_cipher_id cipher = rc == SEALDB_OK ? (sealdb_cipher_id)r.hdr[36] : 0;
    if (rc == SEALDB_OK && cipher == 0) {
        rc = error_set(err, SEALDB_EINVAL, "the backup is of a plain database; not supported");
    }
    if (rc == SEALDB_OK && dst->cipher) {
        sealdb_cipher_id want;
        if ((rc = sealdb_cipher_lookup(dst->cipher, &want, err)) == SEALDB_OK &&
            seal_reserved_bytes(want) != seal_reserved_bytes(cipher)) {
            rc = error_set(err, SEALDB_EINVAL,
                           "the backup's pages are laid out for %s; restore with it (or one of "
                           "the same nonce size), then rekey to %s",
                           sealdb_cipher_name(cipher), dst->cipher);
        }
        cipher = want;
    }
    const sealdb_layout layout = rc != SEALDB_OK ? SEALDB_LAYOUT_DEFAULT
                                 : dst->layout   ? dst->layout
                                 : r.hdr[37]     ? (sealdb_layout)r.hdr[37]
                                                 : SEALDB_LAYOUT_HARDENED;
    credential c = {0};
    seal_ctx *ctx = NULL;
    char *tmp = str_cat(out, ".sealdb-tmp");
    if (rc == SEALDB_OK && !tmp) {
        rc = error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    if (rc == SEALDB_OK) {
        remove_scratch(tmp);
        rc = cred_from_config(&c, dst, err);
    }
    if (rc == SEALDB_OK && dst->keyslots) {
        uint8_t salt[SEAL_SALT_BYTES];
        uint8_t *key = crypto_secure_alloc(SEALDB_MAX_KEY_BYTES);
        rc = key ? sealdb_random_bytes(salt, sizeof salt)
                 : error_set(err, SEALDB_ENOMEM, "no locked memory");
        if (rc == SEALDB_OK) {
            rc = keyslots_create(tmp, &c, "initial", cipher, salt, key, err);
        }
        if (rc == SEALDB_OK) {
            rc = seal_ctx_create_salted(&ctx, cipher, SEALDB_LAYOUT_HARDENED, key,
                                        sealdb_cipher_key_bytes(cipher), salt, err);
        }
        if (rc == SEALDB_OK) {
            seal_ctx_set_key_kind(ctx, SEAL_KEY_SLOTS, 0, 0);
        }
        crypto_secure_free(key);
    } else if (rc == SEALDB_OK) {
        rc = cred_new_database(&c, cipher, layout, &ctx, err);
    }
    cred_free(&c);
    const int fd = rc == SEALDB_OK ? open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
    if (rc == SEALDB_OK && fd < 0) {
        rc = error_set(err, SEALDB_EIO, "cannot create %s: %s", tmp, strerror(errno));
    }
    uint8_t *pages = rc == SEALDB_OK ? malloc((size_t)r.per_chunk * r.page_size) : NULL;
    if (rc == SEALDB_OK && !pages) {
        rc = error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; rc == SEALDB_OK && i < r.chunks; i++) {
        uint32_t n = 0;
        rc = read_chunk(&r, i, pages, &n, err);
        for (uint32_t k = 0; rc == SEALDB_OK && k < n; k++) {
            const uint32_t pgno = i * r.per_chunk + k + 1;
            uint8_t *page = pages + (size_t)k * r.page_size;
            if (seal_page(ctx, page, page, r.page_size, pgno) != SEALDB_OK) {
                rc = error_set(err, SEALDB_ECORRUPT,
                               "page %u of the backup cannot be sealed for %s (its reserved "
                               "bytes do not fit)",
                               pgno, sealdb_cipher_name(cipher));
            } else if (write_all(fd, page, r.page_size) != 0) {
                rc = error_set(err, SEALDB_EIO, "cannot write %s: %s", tmp, strerror(errno));
            }
        }
    }
    if (fd >= 0 && rc == SEALDB_OK && fsync(fd) != 0) {
        rc = error_set(err, SEALDB_EIO, "cannot sync %s: %s", tmp, strerror(errno));
    }
    if (fd >= 0 && close(fd) != 0 && rc == SEALDB_OK) {
        rc = error_set(err, SEALDB_EIO, "cannot write %s: %s", tmp, strerror(errno));
    }
    if (pages) {
        crypto_wipe(pages, (size_t)r.per_chunk * r.page_size);
        free(pages);
    }
    seal_ctx_close(ctx);
    reader_close(&r);
    if (rc == SEALDB_OK) {
        /* it opens and SQLite finds it sound before it gets its name */
        sealdb_sqlite_config check = *dst;
        check.cipher = NULL;
        check.layout = SEALDB_LAYOUT_DEFAULT;
        check.keyslots = 0;
        check.flags = SQLITE_OPEN_READONLY;
        sqlite3 *db = NULL;
        rc = sealdb_sqlite_open(tmp, &check, &db, err);
        sqlite3_stmt *st = NULL;
        if (rc == SEALDB_OK &&
            (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK ||
             sqlite3_step(st) != SQLITE_ROW ||
             strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)) {
            rc = error_set(err, SEALDB_ECORRUPT, "the restored database fails its check: %s",
                           st ? (const char *)sqlite3_column_text(st, 0) : sqlite3_errmsg(db));
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    if (rc == SEALDB_OK && dst->keyslots) {
        char *from = str_cat(tmp, KEYSLOTS_SUFFIX), *into = str_cat(out, KEYSLOTS_SUFFIX);
        if (!from || !into || rename(from, into) != 0) {
            rc = error_set(err, SEALDB_EIO, "cannot put the key-slot file in place");
        }
        free(from);
        free(into);
    }
    if (rc == SEALDB_OK) {
        rc = link_into_place(tmp, out, err);
    }
    if (tmp) {
        remove_scratch(tmp);
    }
    free(tmp);
    return rc;
}
