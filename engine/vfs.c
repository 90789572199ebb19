/*
 * vfs.c - the "sealdb" SQLite VFS: every byte SQLite writes is sealed.
 *
 * The VFS sits on top of the default VFS and classifies each file SQLite
 * opens:
 *
 *   main database   whole pages, sealed with the database's seal_ctx
 *                   (crypto/seal.c); page 1's header stays readable so
 *                   SQLite can read page size and reserve before any page.
 *   WAL             frame bodies are sealed page images. SQLite checksums
 *                   the frames it hands us over their plaintext; the file
 *                   must carry a chain over the sealed bytes (that is what
 *                   Turso Database writes and reads). So the VFS keeps two
 *                   chains: it writes the stored-bytes chain to disk and
 *                   shows SQLite its plaintext chain on the reads that
 *                   carry checksums (recovery, checksum rewrites).
 *   rollback        page images sealed in place (bound to their offset in
 *   journal         the journal); headers and page numbers as SQLite wrote.
 *   temporary       temp databases, sub-journals, sorter spills: block-
 *   files           sealed under a random in-memory key (vfs_temp.c).
 *   super-journal   file names only, passed through.
 *
 * Invariants:
 * - Plaintext never reaches the underlying file: a write the VFS cannot
 *   classify as a page image is refused, never passed through, on every
 *   file that can hold user data.
 * - A page or frame that fails authentication is an error (SQLITE_CORRUPT,
 *   or SQLITE_NOTADB for page 1), never data. The message, naming the page,
 *   goes to sqlite3_log and to PRAGMA sealdb_error.
 * - A database that cannot be opened (wrong key, wrong cipher, plain file,
 *   unknown format) is never written: every read and write of it fails.
 * - The io_methods are version 2: no xFetch, so SQLite cannot memory-map
 *   sealed bytes however PRAGMA mmap_size is set.
 * - A connection's main file, WAL and journal share one seal_ctx and are
 *   used by one thread at a time (SQLite serialises a connection's I/O).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "engine.h"
#include "keys.h"
#include "vfs_temp.h"

#define VFS_NAME "sealdb"
#define MAX_PAGE 65536
#define WAL_HEADER 32
#define FRAME_HEADER 24

enum file_kind { KIND_MAIN, KIND_WAL, KIND_JOURNAL, KIND_TEMP, KIND_PLAIN };

/* What the VFS knows about one WAL frame. */
typedef struct frame_info {
    uint32_t pgno;
    uint32_t pchk[2];   /* SQLite's chain (plaintext) after this frame */
    uint32_t dchk[2];   /* the stored chain after this frame */
    uint8_t pchk_known; /* 0 after a body rewrite until SQLite rewrites the header */
} frame_info;

typedef struct wal_state {
    uint8_t header[WAL_HEADER]; /* the header the map was built for */
    int have_header;
    frame_info *frames; /* frames[i - 1] describes frame i */
    uint32_t count;     /* frames 1..count are known and chained */
    uint32_t cap;
    uint32_t last_hdr_frame; /* the frame header SQLite wrote last (0: none) */
    uint8_t last_hdr[FRAME_HEADER];
    int hdr_pending;     /* last_hdr is not on disk yet: it goes with its body */
    uint32_t read_frame; /* the frame SQLite read whole just before (0: none) */
    /* The writer's cache, trusted only while the connection holds the WAL
     * write lock it held when the cache was filled (see wal_begin_write):
     * then no other connection can change the file, so the header, the
     * file size and the stored chain of the frame written last need no
     * system call. */
    int cache_ok;
    unsigned cache_epoch;  /* the owner's wal_epoch the cache belongs to */
    sqlite3_int64 size;    /* the file's size (-1: not known) */
    uint32_t tail_frame;   /* the frame written last (0: none) ... */
    uint32_t tail_dchk[2]; /* ... and its stored chain */
} wal_state;

typedef struct sfile sfile;

struct sfile {
    sqlite3_file base;
    int kind;
    sqlite3_file *under;
    sfile *owner;     /* WAL and journal: their main database file */
    uint8_t *scratch; /* MAX_PAGE + FRAME_HEADER bytes, allocated on first use */
    /* main database */
    const char *zname;
    sfile *next; /* registry of open main files */
    seal_ctx *seal;
    uint8_t ident[36]; /* on-disk bytes 0..15 and 72..91 the seal_ctx belongs to */
    int fresh;         /* seal_ctx made for a new database, header not yet written */
    credential cred;   /* what the caller gave: key bytes or a passphrase */
    uint8_t *master;   /* locked memory: the master key derived for master_for */
    size_t master_len;
    uint8_t master_for[32]; /* header bytes 0..15 and the salt the master key is for */
    int new_keyslots;       /* a new database keeps its key in key slots */
    sealdb_cipher_id cipher;
    int cipher_given;
    sealdb_layout layout;
    int journal_off; /* the connection set journal_mode=OFF */
    int open_flags;  /* the flags the file was opened with */
    int fatal;       /* SQLite error code every access returns (0: none) */
    int code;        /* the SEALDB_E* code of the last error */
    char error[256]; /* the last error, for PRAGMA sealdb_error */
    /* WAL */
    wal_state *wal;
    sfile *wal_file;    /* main: its open WAL */
    unsigned wal_epoch; /* main: changes whenever the WAL write lock or a file lock does */
    /* temporary files */
    temp_file *temp;
};

typedef struct vfs_global {
    sqlite3_vfs *under;
    sqlite3_mutex *mutex;
    sfile *mains;
} vfs_global;

static vfs_global global;

void (*engine_fault_hook)(const char *point);

/* The last error of this thread, kept after the file it concerns is gone
 * (a failed open closes the file before the caller can ask). */
static _Thread_local struct {
    int code;
    char msg[256];
} last_failure;
static sqlite3_vfs seal_vfs;
static const sqlite3_io_methods io_methods;

static sfile *sealed_file(sqlite3 *db, const char *name);
static int keyref_take(const char *id, credential *c, int *new_keyslots);

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static int is_page_size(sqlite3_int64 n)
{
    return n >= 512 && n <= MAX_PAGE && (n & (n - 1)) == 0;
}

/* Records an error for PRAGMA sealdb_error and the SQLite log; returns rc. */
static int fail(sfile *main, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(sfile *main, int rc, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const int code = rc == SQLITE_CORRUPT  ? SEALDB_ECORRUPT
                     : rc == SQLITE_NOTADB ? SEALDB_EFORMAT
                                           : SEALDB_EINVAL;
    if (main) {
        memcpy(main->error, msg, sizeof msg);
        main->code = code;
    }
    memcpy(last_failure.msg, msg, sizeof msg);
    last_failure.code = code;
    sqlite3_log(rc, "sealdb: %s", msg);
    return rc;
}

static uint8_t *scratch_of(sfile *f)
{
    if (!f->scratch) {
        f->scratch = sqlite3_malloc(MAX_PAGE + FRAME_HEADER);
    }
    return f->scratch;
}

/* ---- main database: keys and headers --------------------------------------------- */

/* The on-disk identity of a sealed header: bytes 0..15 and 72..91. */
static void header_ident(const uint8_t *hdr, uint8_t *ident)
{
    memcpy(ident, hdr, 16);
    memcpy(ident + 16, hdr + 72, 20);
}

/* (Re)builds the seal context from an on-disk header. */
static int main_load_header(sfile *f, const uint8_t *hdr)
{
    seal_file_info info;
    sealdb_error err;
    if (seal_header_read(hdr, &info, &err) != SEALDB_OK) {
        return fail(f, SQLITE_NOTADB, "%s", err.message);
    }
    if (!info.sealed) {
        fail(f, SQLITE_NOTADB,
             "the file is a plain SQLite database, not a sealed one; encrypt it first "
             "(sealdb encrypt) or open it without the sealdb VFS");
        f->code = last_failure.code = SEALDB_ENOTSEALED;
        return SQLITE_NOTADB;
    }
    if (f->cipher_given && info.cipher != f->cipher) {
        fail(f, SQLITE_NOTADB, "the database is sealed with %s, not %s",
             sealdb_cipher_name(info.cipher), sealdb_cipher_name(f->cipher));
        f->code = last_failure.code = SEALDB_EMISMATCH;
        return SQLITE_NOTADB;
    }
    uint8_t master_for[32];
    memcpy(master_for, hdr, 16);
    memcpy(master_for + 16, hdr + 72, 16);
    if (!f->master || f->master_len == 0 || memcmp(master_for, f->master_for, 32) != 0) {
        if (!f->master && !(f->master = crypto_secure_alloc(SEALDB_MAX_KEY_BYTES))) {
            return fail(f, SQLITE_NOMEM, "no locked memory for the key");
        }
        f->master_len = 0;
        const int krc = cred_master_key(&f->cred, &info, f->zname, f->master, &f->master_len, &err);
        if (krc != SEALDB_OK) {
            f->master_len = 0;
            fail(f, krc == SEALDB_ENOMEM ? SQLITE_NOMEM : SQLITE_NOTADB, "%s", err.message);
            f->code = last_failure.code = krc;
            return krc == SEALDB_ENOMEM ? SQLITE_NOMEM : SQLITE_NOTADB;
        }
        memcpy(f->master_for, master_for, 32);
    }
    seal_ctx *ctx = NULL;
    const int rc = seal_ctx_open(&ctx, &info, f->master, f->master_len, &err);
    if (rc == SEALDB_EWRONGKEY) {
        f->master_len = 0;
        fail(f, SQLITE_NOTADB, "%s",
             f->cred.kind == CRED_PASSPHRASE ? "wrong passphrase for this database"
                                             : "wrong key for this database");
        f->code = last_failure.code = SEALDB_EWRONGKEY;
        return SQLITE_NOTADB;
    }
    if (rc != SEALDB_OK) {
        return fail(f, rc == SEALDB_ENOMEM ? SQLITE_NOMEM : SQLITE_NOTADB, "%s", err.message);
    }
    seal_ctx_close(f->seal);
    f->seal = ctx;
    f->fresh = 0;
    header_ident(hdr, f->ident);
    return SQLITE_OK;
}

/* Makes sure the seal context matches the header now on disk (another
 * connection may have created the database since this one opened it). */
static int main_check_header(sfile *f, const uint8_t *hdr)
{
    uint8_t ident[36];
    header_ident(hdr, ident);
    if (f->seal && !f->fresh && memcmp(ident, f->ident, sizeof ident) == 0) {
        return SQLITE_OK;
    }
    return main_load_header(f, hdr);
}

static int under_size(sfile *f, sqlite3_int64 *size)
{
    return f->under->pMethods->xFileSize(f->under, size);
}

/* Reads one page-sized image; SQLITE_IOERR_SHORT_READ (zero-filled) only
 * for an image wholly past the end of the file, SQLITE_CORRUPT for a torn
 * one. */
static int read_image(sfile *f, sfile *main, void *buf, int amt, sqlite3_int64 off,
                      const char *what, uint32_t which)
{
    int rc = f->under->pMethods->xRead(f->under, buf, amt, off);
    if (rc == SQLITE_IOERR_SHORT_READ) {
        sqlite3_int64 size = 0;
        if (under_size(f, &size) == SQLITE_OK && size <= off) {
            return SQLITE_IOERR_SHORT_READ;
        }
        memset(buf, 0, (size_t)amt);
        return fail(main, SQLITE_CORRUPT, "%s %u is truncated", what, which);
    }
    return rc;
}

static int report_unseal(sfile *main, int rc, uint32_t pgno, const char *where)
{
    if (rc == SEALDB_OK) {
        return SQLITE_OK;
    }
    if (pgno == 1 && seal_ctx_layout(main->seal) == SEALDB_LAYOUT_TURSO) {
        fail(main, SQLITE_NOTADB,
             "page 1%s failed authentication: wrong key, or the page is damaged (the turso "
             "layout cannot tell these apart)",
             where);
        main->code = last_failure.code = SEALDB_EWRONGKEY;
        return SQLITE_NOTADB;
    }
    return fail(main, SQLITE_CORRUPT,
                "page %u%s failed authentication: the file is damaged or was tampered with", pgno,
                where);
}

/* A new database's first transaction may spill pages to the file before it
 * writes page 1; they were sealed with this connection's fresh context. But
 * if another connection has written a header since, that one rules. */
static int main_fresh_check(sfile *f)
{
    uint8_t hdr[100];
    const int rc = f->under->pMethods->xRead(f->under, hdr, sizeof hdr, 0);
    if (rc == SQLITE_IOERR_SHORT_READ) {
        return SQLITE_OK;
    }
    if (rc != SQLITE_OK) {
        return rc;
    }
    static const uint8_t zero[100];
    return memcmp(hdr, zero, sizeof hdr) == 0 ? SQLITE_OK : main_check_header(f, hdr);
}

/* ---- main database I/O -------------------------------------------------------------- */

static int main_read(sfile *f, void *buf, int amt, sqlite3_int64 off)
{
    if (f->fatal) {
        return f->fatal;
    }
    if (is_page_size(amt) && off % amt == 0) {
        const uint32_t pgno = (uint32_t)(off / amt) + 1;
        int rc = read_image(f, f, buf, amt, off, "page", pgno);
        if (rc != SQLITE_OK) {
            return rc;
        }
        if (pgno == 1 && (rc = main_check_header(f, buf)) != SQLITE_OK) {
            memset(buf, 0, (size_t)amt);
            return rc;
        }
        if (pgno > 1 && f->fresh && (rc = main_fresh_check(f)) != SQLITE_OK) {
            memset(buf, 0, (size_t)amt);
            return rc;
        }
        if (!f->seal) {
            memset(buf, 0, (size_t)amt);
            return fail(f, SQLITE_CORRUPT, "page %u read without a key", pgno);
        }
        return report_unseal(f, unseal_page(f->seal, buf, (uint32_t)amt, pgno), pgno, "");
    }
    if (off >= 0 && off + amt <= 100) {
        /* the header, read before any page (page size, reserve, change counter) */
        uint8_t hdr[100];
        int rc = f->under->pMethods->xRead(f->under, hdr, 100, 0);
        if (rc == SQLITE_IOERR_SHORT_READ) {
            sqlite3_int64 size = 0;
            if (under_size(f, &size) == SQLITE_OK && size == 0) {
                memset(buf, 0, (size_t)amt); /* a new, empty database */
                return SQLITE_IOERR_SHORT_READ;
            }
            return fail(f, SQLITE_NOTADB, "the file is shorter than a database header");
        }
        if (rc != SQLITE_OK) {
            return rc;
        }
        if ((rc = main_check_header(f, hdr)) != SQLITE_OK) {
            return rc;
        }
        memcpy(hdr, "SQLite format 3", 16);
        memset(hdr + 72, 0, 20);
        memcpy(buf, hdr + off, (size_t)amt);
        return SQLITE_OK;
    }
    return fail(f, SQLITE_IOERR_READ, "unexpected read of %d bytes at offset %lld", amt,
                (long long)off);
}

/* Checks SQLite's view of page 1 before it is sealed: the page must have
 * room for the seal. */
static int check_page1(sfile *main, const uint8_t *page, int amt)
{
    const uint32_t reserved = seal_ctx_reserved(main->seal);
    const uint32_t page_size =
        page[16] == 0 && page[17] == 1 ? 65536u : (uint32_t)page[16] << 8 | page[17];
    if (page_size != (uint32_t)amt) {
        return fail(main, SQLITE_IOERR_WRITE,
                    "page 1 gives a page size of %u but is written as %d bytes: a sealed "
                    "database cannot change its page size in place; set PRAGMA page_size, then "
                    "VACUUM INTO a new sealed database",
                    page_size, amt);
    }
    if (page[20] != reserved) {
        return fail(main, SQLITE_IOERR_WRITE,
                    "the database reserves %u bytes per page; %s needs %u. Create sealed "
                    "databases with sealdb_sqlite_open() or after loading the extension, or run "
                    "SELECT sealdb_reserve('schema') before the first write to an attached one",
                    page[20], sealdb_cipher_name(seal_ctx_cipher(main->seal)), reserved);
    }
    return SQLITE_OK;
}

static int main_write(sfile *f, const void *buf, int amt, sqlite3_int64 off)
{
    if (f->fatal) {
        return f->fatal;
    }
    if (!is_page_size(amt) || off % amt != 0) {
        return fail(f, SQLITE_IOERR_WRITE,
                    "refused a write of %d bytes at offset %lld: not a "
                    "whole page",
                    amt, (long long)off);
    }
    if (!f->seal) {
        return fail(f, SQLITE_IOERR_WRITE, "no key to seal the page with");
    }
    const uint32_t pgno = (uint32_t)(off / amt) + 1;
    uint8_t *out = scratch_of(f);
    if (!out) {
        return SQLITE_IOERR_NOMEM;
    }
    if (pgno == 1) {
        const int rc = check_page1(f, buf, amt);
        if (rc != SQLITE_OK) {
            return rc;
        }
    }
    if (seal_page(f->seal, out, buf, (uint32_t)amt, pgno) != SEALDB_OK) {
        return fail(f, SQLITE_IOERR_WRITE, "sealing page %u failed", pgno);
    }
    const int rc = f->under->pMethods->xWrite(f->under, out, amt, off);
    if (rc == SQLITE_OK && pgno == 1 && f->fresh) {
        header_ident(out, f->ident);
        f->fresh = 0;
    }
    return rc;
}

/* Opens a page-1 image from the WAL. If its header is not the one the
 * connection's context belongs to (the database was recreated by another
 * connection), a context for the new header is tried, and kept only if the
 * image authenticates under it: an unauthenticated frame must not switch
 * the connection to another database's salt or cipher. Returns a SEALDB
 * code (errors already recorded for SQLITE_NOTADB cases). */
static int unseal_frame_page1(sfile *main, uint8_t *img, uint32_t page_size)
{
    uint8_t ident[36];
    header_ident(img, ident);
    if (main->seal && !main->fresh && memcmp(ident, main->ident, sizeof ident) == 0) {
        return unseal_page(main->seal, img, page_size, 1);
    }
    seal_ctx *old = main->seal;
    uint8_t old_ident[36];
    memcpy(old_ident, main->ident, sizeof old_ident);
    const int old_fresh = main->fresh;
    main->seal = NULL;
    int rc = main_load_header(main, img) == SQLITE_OK ? SEALDB_OK : SEALDB_ECORRUPT;
    if (rc == SEALDB_OK) {
        rc = unseal_page(main->seal, img, page_size, 1);
    }
    if (rc == SEALDB_OK) {
        seal_ctx_close(old);
        return SEALDB_OK;
    }
    seal_ctx_close(main->seal);
    main->seal = old;
    memcpy(main->ident, old_ident, sizeof old_ident);
    main->fresh = old_fresh;
    crypto_wipe(img, page_size);
    return SEALDB_ECORRUPT;
}

/* ---- WAL --------------------------------------------------------------------------------- */

static uint32_t wal_page_size(const wal_state *w)
{
    return get_be32(w->header + 8);
}

static int wal_big_endian(const wal_state *w)
{
    return w->header[3] & 1;
}

static int wal_frame_of(const wal_state *w, sqlite3_int64 off, uint32_t *frame, uint32_t *pos)
{
    const uint32_t size = wal_page_size(w) + FRAME_HEADER;
    if (!w->have_header || off < WAL_HEADER || !is_page_size(wal_page_size(w))) {
        return 0;
    }
    *frame = (uint32_t)((off - WAL_HEADER) / size) + 1;
    *pos = (uint32_t)((off - WAL_HEADER) % size);
    return 1;
}

static sqlite3_int64 wal_frame_offset(const wal_state *w, uint32_t frame)
{
    return WAL_HEADER + (sqlite3_int64)(frame - 1) * (wal_page_size(w) + FRAME_HEADER);
}

/* Re-reads the WAL header from disk; forgets the map if it changed. */
static int wal_sync_header(sfile *f)
{
    wal_state *w = f->wal;
    uint8_t hdr[WAL_HEADER];
    const int rc = f->under->pMethods->xRead(f->under, hdr, WAL_HEADER, 0);
    if (rc != SQLITE_OK) {
        return rc;
    }
    if (!w->have_header || memcmp(hdr, w->header, WAL_HEADER) != 0) {
        memcpy(w->header, hdr, WAL_HEADER);
        w->have_header = 1;
        w->count = 0;
    }
    return SQLITE_OK;
}

static int wal_reserve(wal_state *w, uint32_t frame)
{
    if (frame <= w->cap) {
        return SQLITE_OK;
    }
    uint32_t cap = w->cap ? w->cap : 64;
    while (cap < frame) {
        cap = cap > UINT32_MAX / 2 ? frame : cap * 2;
    }
    frame_info *fr = sqlite3_realloc64(w->frames, (sqlite3_uint64)cap * sizeof *fr);
    if (!fr) {
        return SQLITE_IOERR_NOMEM;
    }
    w->frames = fr;
    w->cap = cap;
    return SQLITE_OK;
}

/* Both chains' values before `frame`: from the WAL header for frame 1. */
static void wal_prev(const wal_state *w, uint32_t frame, uint32_t pchk[2], uint32_t dchk[2])
{
    if (frame == 1) {
        pchk[0] = dchk[0] = get_be32(w->header + 24);
        pchk[1] = dchk[1] = get_be32(w->header + 28);
    } else {
        memcpy(pchk, w->frames[frame - 2].pchk, 8);
        memcpy(dchk, w->frames[frame - 2].dchk, 8);
    }
}

/* Reads frame `frame` (header + sealed body) into buf and, if its stored
 * chain continues the known prefix, opens the body in place and records the
 * frame. Returns SQLITE_OK with *valid = 0 at the end of the valid chain. */
static int wal_scan_frame(sfile *f, uint32_t frame, uint8_t *buf, int *valid)
{
    wal_state *w = f->wal;
    const uint32_t ps = wal_page_size(w);
    *valid = 0;
    int rc = f->under->pMethods->xRead(f->under, buf, (int)(ps + FRAME_HEADER),
                                       wal_frame_offset(w, frame));
    if (rc == SQLITE_IOERR_SHORT_READ) {
        return SQLITE_OK;
    }
    if (rc != SQLITE_OK) {
        return rc;
    }
    uint32_t pchk[2], dchk[2], stored[2];
    wal_prev(w, frame, pchk, dchk);
    wal_frame_checksum(wal_big_endian(w), buf, buf + FRAME_HEADER, ps, dchk, stored);
    if (memcmp(buf + 8, w->header + 16, 8) != 0 || get_be32(buf + 16) != stored[0] ||
        get_be32(buf + 20) != stored[1] || get_be32(buf) == 0) {
        return SQLITE_OK; /* torn, stale or foreign: the end of the log */
    }
    const uint32_t pgno = get_be32(buf);
    rc = pgno == 1 ? unseal_frame_page1(f->owner, buf + FRAME_HEADER, ps)
                   : unseal_page(f->owner->seal, buf + FRAME_HEADER, ps, pgno);
    if (rc != SEALDB_OK) {
        char where[48];
        snprintf(where, sizeof where, " in WAL frame %u", frame);
        return report_unseal(f->owner, rc, pgno, where);
    }
    if ((rc = wal_reserve(w, frame)) != SQLITE_OK) {
        return rc;
    }
    frame_info *fi = &w->frames[frame - 1];
    fi->pgno = pgno;
    memcpy(fi->dchk, stored, 8);
    wal_frame_checksum(wal_big_endian(w), buf, buf + FRAME_HEADER, ps, pchk, fi->pchk);
    fi->pchk_known = 1;
    w->count = frame;
    *valid = 1;
    return SQLITE_OK;
}

/* Makes frames 1..frame known, reading from disk; *valid = 0 if the valid
 * chain ends before `frame`. */
static int wal_scan_to(sfile *f, uint32_t frame, int *valid)
{
    wal_state *w = f->wal;
    *valid = 1;
    /* A frame whose plaintext chain is unknown must be recomputed. */
    while (w->count > 0 && !w->frames[w->count - 1].pchk_known) {
        w->count--;
    }
    uint8_t *buf = scratch_of(f);
    if (!buf) {
        return SQLITE_IOERR_NOMEM;
    }
    while (w->count < frame) {
        const int rc = wal_scan_frame(f, w->count + 1, buf, valid);
        if (rc != SQLITE_OK || !*valid) {
            return rc;
        }
    }
    return SQLITE_OK;
}

/* A whole frame, as SQLite's recovery reads it: the body opened, the header
 * carrying SQLite's own (plaintext) chain. Frames past the valid stored
 * chain come back with their salts inverted, so SQLite stops there. */
static int wal_read_frame(sfile *f, uint8_t *buf, uint32_t frame)
{
    wal_state *w = f->wal;
    int valid = 0;
    int rc = SQLITE_OK;
    if (w->count >= frame) {
        w->count = frame - 1; /* re-read it: the file may have changed */
    }
    if (frame > 1) {
        rc = wal_scan_to(f, frame - 1, &valid);
        if (rc != SQLITE_OK) {
            return rc;
        }
    }
    if (frame == 1 || valid) {
        rc = wal_scan_frame(f, frame, buf, &valid);
        if (rc != SQLITE_OK) {
            return rc;
        }
    }
    if (!valid) {
        rc = f->under->pMethods->xRead(f->under, buf, (int)(wal_page_size(w) + FRAME_HEADER),
                                       wal_frame_offset(w, frame));
        for (int i = 8; i < 16; i++) {
            buf[i] = (uint8_t)~w->header[i + 8];
        }
        return rc;
    }
    put_be32(buf + 16, w->frames[frame - 1].pchk[0]);
    put_be32(buf + 20, w->frames[frame - 1].pchk[1]);
    return SQLITE_OK;
}

/* A frame body, as SQLite reads a page from the WAL. */
static int wal_read_body(sfile *f, uint8_t *buf, int amt, sqlite3_int64 off)
{
    const uint32_t frame = (uint32_t)((off - WAL_HEADER) / (amt + FRAME_HEADER)) + 1;
    uint8_t *img = scratch_of(f);
    if (!img) {
        return SQLITE_IOERR_NOMEM;
    }
    int rc =
        read_image(f, f->owner, img, amt + FRAME_HEADER, off - FRAME_HEADER, "WAL frame", frame);
    if (rc != SQLITE_OK) {
        return rc == SQLITE_IOERR_SHORT_READ ? fail(f->owner, SQLITE_CORRUPT,
                                                    "WAL frame %u is "
                                                    "missing",
                                                    frame)
                                             : rc;
    }
    const uint32_t pgno = get_be32(img);
    rc = pgno == 1 ? unseal_frame_page1(f->owner, img + FRAME_HEADER, (uint32_t)amt)
                   : unseal_page(f->owner->seal, img + FRAME_HEADER, (uint32_t)amt, pgno);
    if (rc != SEALDB_OK) {
        char where[48];
        snprintf(where, sizeof where, " in WAL frame %u", frame);
        return report_unseal(f->owner, rc, pgno, where);
    }
    memcpy(buf, img + FRAME_HEADER, (size_t)amt); /* the scratch is wiped on close */
    return SQLITE_OK;
}

static int wal_flush_header(sfile *f);

static int wal_read(sfile *f, void *buf, int amt, sqlite3_int64 off)
{
    wal_state *w = f->wal;
    if (f->owner->fatal) {
        return f->owner->fatal;
    }
    w->read_frame = 0;
    const int frc = wal_flush_header(f);
    if (frc != SQLITE_OK) {
        return frc;
    }
    if (off == 24 && amt == 8) {
        /* the header's own checksum, where both chains start */
        return f->under->pMethods->xRead(f->under, buf, amt, off);
    }
    if (off == 0 && amt == WAL_HEADER) {
        const int rc = f->under->pMethods->xRead(f->under, buf, amt, off);
        if (rc == SQLITE_OK && (!w->have_header || memcmp(buf, w->header, WAL_HEADER) != 0)) {
            memcpy(w->header, buf, WAL_HEADER);
            w->have_header = 1;
            w->count = 0;
        }
        return rc;
    }
    if (is_page_size(amt) && off >= WAL_HEADER + FRAME_HEADER &&
        (off - WAL_HEADER - FRAME_HEADER) % (amt + FRAME_HEADER) == 0) {
        /* a page read: the hot path needs neither the header nor the map */
        return wal_read_body(f, buf, amt, off);
    }
    uint32_t frame, pos;
    int rc = wal_sync_header(f);
    if (rc != SQLITE_OK) {
        return rc == SQLITE_IOERR_SHORT_READ ? fail(f->owner, SQLITE_CORRUPT,
                                                    "WAL header "
                                                    "missing")
                                             : rc;
    }
    if (!wal_frame_of(w, off, &frame, &pos)) {
        return fail(f->owner, SQLITE_IOERR_READ, "unexpected WAL read at offset %lld",
                    (long long)off);
    }
    const uint32_t ps = wal_page_size(w);
    if (pos == 0 && (uint32_t)amt == ps + FRAME_HEADER) {
        rc = wal_read_frame(f, buf, frame);
        w->read_frame = rc == SQLITE_OK ? frame : 0;
        return rc;
    }
    if (pos == 16 && amt == 8) {
        int valid = 0;
        rc = wal_scan_to(f, frame, &valid);
        if (rc != SQLITE_OK) {
            return rc;
        }
        if (!valid) {
            return fail(f->owner, SQLITE_CORRUPT, "WAL frame %u is not part of the log", frame);
        }
        put_be32(buf, w->frames[frame - 1].pchk[0]);
        put_be32((uint8_t *)buf + 4, w->frames[frame - 1].pchk[1]);
        return SQLITE_OK;
    }
    return fail(f->owner, SQLITE_IOERR_READ, "unexpected WAL read of %d bytes at offset %lld", amt,
                (long long)off);
}

static int wal_cache_valid(const sfile *f)
{
    return f->wal->cache_ok && f->wal->cache_epoch == f->owner->wal_epoch;
}

/* Makes the header and the file size known before a frame write: from the
 * cache while the connection still holds the write lock it held when the
 * cache was filled (SQLite writes frames only under that lock, and so does
 * every other connection), else from the file. One read and one stat per
 * write transaction instead of several per frame. */
static int wal_begin_write(sfile *f)
{
    wal_state *w = f->wal;
    if (wal_cache_valid(f) && w->have_header) {
        return SQLITE_OK;
    }
    w->cache_ok = 0;
    const int rc = wal_sync_header(f);
    if (rc == SQLITE_OK) {
        w->size = -1; /* unknown until needed */
        w->cache_ok = 1;
        w->cache_epoch = f->owner->wal_epoch;
        w->tail_frame = 0;
    }
    return rc;
}

/* Writes frame `frame`: header `hdr` (SQLite's, with its plaintext chain)
 * and the sealed body in img + FRAME_HEADER, chaining the stored checksum
 * from the frame before as it is on disk. */
static int wal_put_frame(sfile *f, uint32_t frame, const uint8_t *hdr, uint8_t *img, int write_body)
{
    wal_state *w = f->wal;
    const uint32_t ps = wal_page_size(w);
    uint32_t prev[2];
    if (frame == 1) {
        prev[0] = get_be32(w->header + 24);
        prev[1] = get_be32(w->header + 28);
    } else if (wal_cache_valid(f) && w->tail_frame == frame - 1) {
        memcpy(prev, w->tail_dchk, sizeof prev);
    } else {
        uint8_t c[8];
        const int rc =
            f->under->pMethods->xRead(f->under, c, 8, wal_frame_offset(w, frame - 1) + 16);
        if (rc != SQLITE_OK) {
            return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_IOERR_WRITE : rc;
        }
        prev[0] = get_be32(c);
        prev[1] = get_be32(c + 4);
    }
    memcpy(img, hdr, 16);
    uint32_t stored[2];
    wal_frame_checksum(wal_big_endian(w), img, img + FRAME_HEADER, ps, prev, stored);
    put_be32(img + 16, stored[0]);
    put_be32(img + 20, stored[1]);
    int rc = wal_reserve(w, frame);
    if (rc != SQLITE_OK) {
        return rc;
    }
    const int amt = write_body ? (int)(ps + FRAME_HEADER) : FRAME_HEADER;
    rc = f->under->pMethods->xWrite(f->under, img, amt, wal_frame_offset(w, frame));
    if (rc != SQLITE_OK) {
        w->cache_ok = 0;
        return rc;
    }
    if (wal_cache_valid(f)) {
        w->tail_frame = frame;
        memcpy(w->tail_dchk, stored, sizeof stored);
        if (w->size >= 0 && wal_frame_offset(w, frame) + amt > w->size) {
            w->size = wal_frame_offset(w, frame) + amt;
        }
    }
    /* The map keeps a prefix whose stored chain is known. */
    if (w->count >= frame - 1) {
        frame_info *fi = &w->frames[frame - 1];
        fi->pgno = get_be32(hdr);
        memcpy(fi->dchk, stored, 8);
        fi->pchk[0] = get_be32(hdr + 16);
        fi->pchk[1] = get_be32(hdr + 20);
        fi->pchk_known = 1;
        w->count = frame;
    } else if (w->count >= frame) {
        w->count = frame - 1;
    }
    return SQLITE_OK;
}

/* Writes a frame header SQLite wrote alone and whose body did not follow:
 * chained over the frame's stored body; dropped if the frame has no body on
 * disk (nothing can read a frame without one). Called before any other
 * access to the WAL and when the connection lets go of the write lock, so
 * the file is as SQLite wrote it whenever anyone else can look. */
static int wal_flush_header(sfile *f)
{
    wal_state *w = f->wal;
    if (!w || !w->hdr_pending) {
        return SQLITE_OK;
    }
    w->hdr_pending = 0;
    const uint32_t frame = w->last_hdr_frame;
    int rc = wal_begin_write(f);
    if (rc != SQLITE_OK) {
        return rc;
    }
    const uint32_t ps = wal_page_size(w);
    if (w->size < 0 && (rc = under_size(f, &w->size)) != SQLITE_OK) {
        w->cache_ok = 0;
        return rc;
    }
    if (!is_page_size(ps) || wal_frame_offset(w, frame) + FRAME_HEADER + ps > w->size) {
        return SQLITE_OK;
    }
    uint8_t *img = scratch_of(f);
    if (!img) {
        return SQLITE_IOERR_NOMEM;
    }
    rc = f->under->pMethods->xRead(f->under, img + FRAME_HEADER, (int)ps,
                                   wal_frame_offset(w, frame) + FRAME_HEADER);
    return rc != SQLITE_OK ? rc : wal_put_frame(f, frame, w->last_hdr, img, 0);
}

static int wal_write(sfile *f, const void *buf, int amt, sqlite3_int64 off)
{
    wal_state *w = f->wal;
    sfile *main = f->owner;
    if (main->fatal) {
        return main->fatal;
    }
    if (off == 0 && amt == WAL_HEADER) {
        w->read_frame = 0;
        int rc = wal_flush_header(f);
        if (rc == SQLITE_OK) {
            rc = f->under->pMethods->xWrite(f->under, buf, amt, off);
        }
        if (rc == SQLITE_OK) {
            memcpy(w->header, buf, WAL_HEADER);
            w->have_header = 1;
            w->count = 0;
            w->last_hdr_frame = 0;
            w->tail_frame = 0;
            if (w->size >= 0 && w->size < WAL_HEADER) {
                w->size = WAL_HEADER;
            }
        } else {
            w->cache_ok = 0;
        }
        return rc;
    }
    uint32_t frame, pos;
    int rc = wal_begin_write(f);
    if (rc != SQLITE_OK || !wal_frame_of(w, off, &frame, &pos)) {
        return rc != SQLITE_OK ? rc : fail(main, SQLITE_IOERR_WRITE, "WAL write before its header");
    }
    const uint32_t ps = wal_page_size(w);
    uint8_t *img = scratch_of(f);
    if (!img) {
        return SQLITE_IOERR_NOMEM;
    }
    const uint32_t read_frame = w->read_frame;
    w->read_frame = 0;
    if (pos == 0 && amt == FRAME_HEADER) {
        if ((rc = wal_flush_header(f)) != SQLITE_OK) {
            return rc;
        }
        memcpy(w->last_hdr, buf, FRAME_HEADER);
        w->last_hdr_frame = frame;
        w->hdr_pending = 1;
        /* SQLite rewrites a header alone (to re-chain checksums) right after
         * reading that frame whole; any other header starts a frame whose
         * body comes next, and goes to disk with it. */
        return read_frame == frame ? wal_flush_header(f) : SQLITE_OK;
    }
    if (pos == FRAME_HEADER && (uint32_t)amt == ps) {
        uint8_t hdr[FRAME_HEADER];
        if (w->hdr_pending && w->last_hdr_frame != frame &&
            (rc = wal_flush_header(f)) != SQLITE_OK) {
            return rc;
        }
        w->hdr_pending = 0;
        if (w->last_hdr_frame == frame) {
            memcpy(hdr, w->last_hdr, FRAME_HEADER);
        } else {
            /* SQLite rewrote a body inside its transaction; it rewrites the
             * headers (and chain) before the commit */
            rc = f->under->pMethods->xRead(f->under, hdr, FRAME_HEADER, wal_frame_offset(w, frame));
            if (rc != SQLITE_OK) {
                w->cache_ok = 0;
                return rc == SQLITE_IOERR_SHORT_READ ? SQLITE_IOERR_WRITE : rc;
            }
        }
        const uint32_t pgno = get_be32(hdr);
        if (pgno == 1 && (rc = check_page1(main, buf, amt)) != SQLITE_OK) {
            return rc;
        }
        if (seal_page(main->seal, img + FRAME_HEADER, buf, ps, pgno) != SEALDB_OK) {
            return fail(main, SQLITE_IOERR_WRITE, "sealing page %u for the WAL failed", pgno);
        }
        rc = wal_put_frame(f, frame, hdr, img, 1);
        if (rc == SQLITE_OK && w->last_hdr_frame != frame && w->count >= frame) {
            w->frames[frame - 1].pchk_known = 0;
        }
        return rc;
    }
    return fail(main, SQLITE_IOERR_WRITE, "refused a WAL write of %d bytes at offset %lld", amt,
                (long long)off);
}

/* ---- rollback journal --------------------------------------------------------------------- */

/* Page images in a journal are page-sized and sit 4 bytes past a record
 * start, so at offsets = 4 (mod 8); headers and page numbers never do. */
static int journal_is_image(int amt, sqlite3_int64 off)
{
    return is_page_size(amt) && off % 8 == 4;
}

/* The page number SQLite stores in the 4 bytes before a journal image. */
static int journal_pgno(sfile *f, sqlite3_int64 off, uint32_t *pgno)
{
    uint8_t b[4];
    const int rc = f->under->pMethods->xRead(f->under, b, 4, off - 4);
    *pgno = get_be32(b);
    return rc;
}

static int journal_read(sfile *f, void *buf, int amt, sqlite3_int64 off)
{
    sfile *main = f->owner;
    if (main->fatal) {
        return main->fatal;
    }
    int rc = f->under->pMethods->xRead(f->under, buf, amt, off);
    if (rc != SQLITE_OK || !journal_is_image(amt, off)) {
        return rc;
    }
    uint32_t pgno;
    if ((rc = journal_pgno(f, off, &pgno)) != SQLITE_OK) {
        return rc;
    }
    if (unseal_journal_page(main->seal, buf, (uint32_t)amt, (uint64_t)off, pgno) != SEALDB_OK) {
        return fail(main, SQLITE_CORRUPT,
                    "a page image in the rollback journal (offset %lld) failed authentication",
                    (long long)off);
    }
    return SQLITE_OK;
}

static int journal_write(sfile *f, const void *buf, int amt, sqlite3_int64 off)
{
    sfile *main = f->owner;
    if (main->fatal) {
        return main->fatal;
    }
    if (!journal_is_image(amt, off)) {
        return f->under->pMethods->xWrite(f->under, buf, amt, off);
    }
    const uint32_t reserved = seal_ctx_reserved(main->seal);
    const uint8_t *p = buf;
    for (uint32_t i = (uint32_t)amt - reserved; i < (uint32_t)amt; i++) {
        if (p[i]) {
            /* not a page image (whose reserved tail is always zero) */
            return fail(main, SQLITE_IOERR_WRITE,
                        "refused a %d-byte journal write at offset %lld that is not a page image",
                        amt, (long long)off);
        }
    }
    uint8_t *out = scratch_of(f);
    if (!out) {
        return SQLITE_IOERR_NOMEM;
    }
    uint32_t pgno;
    int rc = journal_pgno(f, off, &pgno);
    if (rc != SQLITE_OK) {
        return rc == SQLITE_IOERR_SHORT_READ ? fail(main, SQLITE_IOERR_WRITE,
                                                    "a journal page "
                                                    "image without its page number")
                                             : rc;
    }
    if (seal_journal_page(main->seal, out, buf, (uint32_t)amt, (uint64_t)off, pgno) != SEALDB_OK) {
        return fail(main, SQLITE_IOERR_WRITE, "sealing a journal page failed");
    }
    return f->under->pMethods->xWrite(f->under, out, amt, off);
}

/* ---- io methods ------------------------------------------------------------------------- */

static int x_close(sqlite3_file *file)
{
    sfile *f = (sfile *)file;
    if (f->kind == KIND_MAIN) {
        sqlite3_mutex_enter(global.mutex);
        for (sfile **p = &global.mains; *p; p = &(*p)->next) {
            if (*p == f) {
                *p = f->next;
                break;
            }
        }
        sqlite3_mutex_leave(global.mutex);
        seal_ctx_close(f->seal);
        cred_free(&f->cred);
        crypto_secure_free(f->master);
    }
    int flush_rc = SQLITE_OK;
    if (f->wal) {
        flush_rc = wal_flush_header(f);
        if (f->owner && f->owner->wal_file == f) {
            f->owner->wal_file = NULL;
        }
        sqlite3_free(f->wal->frames);
        sqlite3_free(f->wal);
    }
    temp_file_close(f->temp);
    if (f->scratch) {
        crypto_wipe(f->scratch, MAX_PAGE + FRAME_HEADER);
        sqlite3_free(f->scratch);
    }
    const int rc = f->under->pMethods ? f->under->pMethods->xClose(f->under) : SQLITE_OK;
    f->base.pMethods = NULL;
    return rc != SQLITE_OK ? rc : flush_rc;
}

static int x_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
    sfile *f = (sfile *)file;
    switch (f->kind) {
    case KIND_MAIN: return main_read(f, buf, amt, off);
    case KIND_WAL: return wal_read(f, buf, amt, off);
    case KIND_JOURNAL: return journal_read(f, buf, amt, off);
    case KIND_TEMP: return temp_file_read(f->temp, buf, amt, off);
    default: return f->under->pMethods->xRead(f->under, buf, amt, off);
    }
}

static int x_write(sqlite3_file *file, const void *buf, int amt, sqlite3_int64 off)
{
    sfile *f = (sfile *)file;
    switch (f->kind) {
    case KIND_MAIN: return main_write(f, buf, amt, off);
    case KIND_WAL: return wal_write(f, buf, amt, off);
    case KIND_JOURNAL: return journal_write(f, buf, amt, off);
    case KIND_TEMP: return temp_file_write(f->temp, buf, amt, off);
    default: return f->under->pMethods->xWrite(f->under, buf, amt, off);
    }
}

static int x_truncate(sqlite3_file *file, sqlite3_int64 size)
{
    sfile *f = (sfile *)file;
    if (f->kind == KIND_TEMP) {
        return temp_file_truncate(f->temp, size);
    }
    if (f->kind == KIND_WAL) {
        const int rc = wal_flush_header(f);
        if (rc != SQLITE_OK) {
            return rc;
        }
        f->wal->count = 0;
        f->wal->last_hdr_frame = 0;
        f->wal->read_frame = 0;
        f->wal->cache_ok = 0;
        if (size < WAL_HEADER) {
            f->wal->have_header = 0;
        }
    }
    return f->under->pMethods->xTruncate(f->under, size);
}

static int x_sync(sqlite3_file *file, int flags)
{
    sfile *f = (sfile *)file;
    const int rc = wal_flush_header(f);
    if (rc != SQLITE_OK) {
        return rc;
    }
    return f->under->pMethods->xSync(f->under, flags);
}

static int x_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
    sfile *f = (sfile *)file;
    if (f->kind == KIND_TEMP) {
        return temp_file_size(f->temp, size);
    }
    const int rc = wal_flush_header(f);
    if (rc != SQLITE_OK) {
        return rc;
    }
    return f->under->pMethods->xFileSize(f->under, size);
}

/* A connection whose database file was replaced (by a rekey, encrypt in
 * place or restore) since it opened it must not write: its writes would go
 * to the old, unlinked file and be lost. Checked when a write begins. */
static int main_check_unmoved(sfile *f)
{
    int moved = 0;
    if (f->under->pMethods->xFileControl(f->under, SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK &&
        moved) {
        return fail(f, SQLITE_READONLY_DBMOVED,
                    "the database file was replaced (rekeyed, encrypted or restored) after this "
                    "connection opened it; close the connection and open the database again");
    }
    return SQLITE_OK;
}

static int x_lock(sqlite3_file *file, int level)
{
    sfile *f = (sfile *)file;
    f->wal_epoch++; /* with locking_mode=EXCLUSIVE there is no WAL write lock */
    if (f->kind == KIND_MAIN && level >= SQLITE_LOCK_RESERVED) {
        const int rc = main_check_unmoved(f);
        if (rc != SQLITE_OK) {
            return rc;
        }
    }
    return f->under->pMethods->xLock(f->under, level);
}

static int x_unlock(sqlite3_file *file, int level)
{
    sfile *f = (sfile *)file;
    if (f->kind == KIND_MAIN && f->wal_file) {
        const int rc = wal_flush_header(f->wal_file);
        if (rc != SQLITE_OK) {
            return rc;
        }
    }
    f->wal_epoch++;
    return f->under->pMethods->xUnlock(f->under, level);
}

static int x_check_reserved_lock(sqlite3_file *file, int *out)
{
    sfile *f = (sfile *)file;
    return f->under->pMethods->xCheckReservedLock(f->under, out);
}

/* ---- maintenance pragmas ------------------------------------------------------------------ */

/* A configuration naming this connection's credential. *scratch holds a
 * NUL-terminated copy of a passphrase (locked memory; free it after). */
static int config_of_cred(const credential *c, sealdb_sqlite_config *cfg, char **scratch)
{
    memset(cfg, 0, sizeof *cfg);
    *scratch = NULL;
    if (c->kind == CRED_KEY) {
        cfg->key = c->secret;
        cfg->key_len = c->len;
        return SEALDB_OK;
    }
    if (!(*scratch = crypto_secure_alloc(c->len + 1))) {
        return SEALDB_ENOMEM;
    }
    memcpy(*scratch, c->secret, c->len);
    (*scratch)[c->len] = '\0';
    cfg->passphrase = *scratch;
    cfg->kdf_ops = c->kdf_ops;
    cfg->kdf_mem_kib = 1u << c->kdf_mem_log2;
    return SEALDB_OK;
}

/* "hexkey:<hex>", "keyfile:<path>", "keyenv:<name>" or "passphrase:<text>",
 * optionally followed by ",keyslots". */
static int spec_config(char *spec, sealdb_sqlite_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    char *comma = strrchr(spec, ',');
    if (comma && strcmp(comma, ",keyslots") == 0) {
        *comma = '\0';
        cfg->keyslots = 1;
    }
    static const char *const kinds[] = {"hexkey:", "keyfile:", "keyenv:", "passphrase:"};
    for (int i = 0; i < 4; i++) {
        const size_t n = strlen(kinds[i]);
        if (strncmp(spec, kinds[i], n) == 0) {
            const char *v = spec + n;
            switch (i) {
            case 0: cfg->hexkey = v; break;
            case 1: cfg->keyfile = v; break;
            case 2: cfg->keyenv = v; break;
            default: cfg->passphrase = v; break;
            }
            return SEALDB_OK;
        }
    }
    return SEALDB_EINVAL;
}

static void collect_problem(void *arg, const char *problem)
{
    char **out = arg;
    *out = sqlite3_mprintf("%z%s%s", *out, *out ? "\n" : "", problem);
}

/* After this connection rekeyed its own database (rollback journal modes):
 * reopen the file now under its name, with the new key. The pages SQLite
 * caches are still right: a re-seal keeps every plain page as it was. */
static int main_follow_rekey(sfile *f, credential *fresh)
{
    sqlite3_file *u = f->under;
    u->pMethods->xClose(u);
    u->pMethods = NULL;
    int out = 0;
    int rc = global.under->xOpen(global.under, f->zname, u, f->open_flags, &out);
    if (rc != SQLITE_OK) {
        u->pMethods = NULL;
        cred_free(fresh);
        f->fatal = fail(f, SQLITE_IOERR, "the database was rekeyed but cannot be reopened");
        return rc;
    }
    cred_free(&f->cred);
    f->cred = *fresh;
    memset(fresh, 0, sizeof *fresh);
    f->master_len = 0;
    uint8_t hdr[100];
    rc = u->pMethods->xRead(u, hdr, sizeof hdr, 0);
    if (rc == SQLITE_OK) {
        rc = main_load_header(f, hdr);
    }
    if (rc != SQLITE_OK) {
        f->fatal = rc;
    }
    return rc;
}

/* PRAGMA sealdb_verify, sealdb_backup = 'path', sealdb_rekey = 'spec',
 * sealdb_keyslots: the maintenance calls of the C API on this database,
 * under the key the connection was opened with. */
static int main_maintenance(sfile *f, const char *name, char *value, char **result)
{
    sealdb_sqlite_config cfg;
    char *scratch = NULL;
    if (config_of_cred(&f->cred, &cfg, &scratch) != SEALDB_OK) {
        return SQLITE_NOMEM;
    }
    sealdb_error err = {0, ""};
    int rc = SEALDB_OK;
    if (sqlite3_stricmp(name, "sealdb_verify") == 0) {
        char *problems = NULL;
        sealdb_verify_report rep;
        rc = sealdb_verify(f->zname, &cfg, collect_problem, &problems, &rep, &err);
        if (rc == SEALDB_OK || rc == SEALDB_ECORRUPT) {
            *result = rc == SEALDB_OK ? sqlite3_mprintf("ok: %u pages and %u WAL frames "
                                                        "authenticate",
                                                        rep.pages, rep.wal_frames)
                                      : sqlite3_mprintf("%s\n%s", problems, err.message);
            rc = SEALDB_OK;
        }
        sqlite3_free(problems);
    } else if (sqlite3_stricmp(name, "sealdb_backup") == 0) {
        rc = value ? sealdb_backup(f->zname, &cfg, value, NULL, 0, &err)
                   : error_set(&err, SEALDB_EINVAL,
                               "give the backup's file: PRAGMA "
                               "sealdb_backup = 'path'");
        *result = rc == SEALDB_OK ? sqlite3_mprintf("ok") : NULL;
    } else if (sqlite3_stricmp(name, "sealdb_keyslots") == 0) {
        sealdb_keyslot slots[16];
        int n = 0;
        rc = sealdb_keyslot_list(f->zname, slots, 16, &n, &err);
        for (int i = 0; rc == SEALDB_OK && i < n; i++) {
            *result = sqlite3_mprintf("%z%s%d %s %s", *result, i ? "\n" : "", slots[i].number,
                                      slots[i].passphrase ? "passphrase" : "key", slots[i].label);
        }
    } else {
        sealdb_sqlite_config to;
        credential fresh = {0};
        if (!value || spec_config(value, &to) != SEALDB_OK) {
            rc = error_set(&err, SEALDB_EINVAL,
                           "PRAGMA sealdb_rekey takes 'hexkey:<hex>', 'keyfile:<path>', "
                           "'keyenv:<name>' or 'passphrase:<text>' (and ',keyslots')");
        } else if ((rc = cred_from_config(&fresh, &to, &err)) == SEALDB_OK) {
            rc = sealdb_rekey(f->zname, &cfg, &to, &err);
        }
        uint8_t hdr[20] = {0};
        const int wal =
            f->under->pMethods->xRead(f->under, hdr, sizeof hdr, 0) == SQLITE_OK && hdr[18] == 2;
        if (rc == SEALDB_OK && !wal) {
            rc = main_follow_rekey(f, &fresh) == SQLITE_OK
                     ? SEALDB_OK
                     : error_set(&err, SEALDB_EIO, "rekeyed, but the file cannot be reopened");
            *result = sqlite3_mprintf("ok");
        } else if (rc == SEALDB_OK) {
            *result = sqlite3_mprintf("ok: rekeyed; in WAL mode this connection must now be "
                                      "closed and the database opened with the new key");
        }
        cred_free(&fresh);
    }
    crypto_secure_free(scratch);
    if (rc != SEALDB_OK) {
        sqlite3_free(*result);
        *result = sqlite3_mprintf("sealdb: %s", err.message);
        return SQLITE_ERROR;
    }
    return *result ? SQLITE_OK : SQLITE_NOMEM;
}

/* PRAGMA sealdb_error: the last error of this database; PRAGMA sealdb_info:
 * cipher and layout; the maintenance pragmas above. Other pragmas go on to
 * SQLite. */
static int main_pragma(sfile *f, char **args)
{
    const char *name = args[1];
    if (sqlite3_stricmp(name, "sealdb_verify") == 0 ||
        sqlite3_stricmp(name, "sealdb_backup") == 0 || sqlite3_stricmp(name, "sealdb_rekey") == 0 ||
        sqlite3_stricmp(name, "sealdb_keyslots") == 0) {
        char *result = NULL;
        const int rc = main_maintenance(f, name, args[2], &result);
        args[0] = result;
        return rc;
    }
    if (sqlite3_stricmp(name, "journal_mode") == 0 && args[2]) {
        f->journal_off = sqlite3_stricmp(args[2], "off") == 0;
        return SQLITE_NOTFOUND;
    }
    if (sqlite3_stricmp(name, "page_size") == 0 && args[2] && f->journal_off) {
        /* In place, SQLite changes a page size by writing new-size pages in
         * old-size pieces, which cannot be sealed: the VFS refuses page 1
         * when it comes. With a journal the change rolls back; without one
         * the pieces written before would be left behind, so refuse now. */
        sqlite3_int64 size = 0;
        uint8_t hdr[18];
        if (under_size(f, &size) == SQLITE_OK && size > 0 &&
            f->under->pMethods->xRead(f->under, hdr, sizeof hdr, 0) == SQLITE_OK) {
            const long want = atol(args[2]);
            const long have = hdr[16] == 0 && hdr[17] == 1 ? 65536 : (long)hdr[16] << 8 | hdr[17];
            if (want != have && is_page_size(want)) {
                args[0] = sqlite3_mprintf(
                    "sealdb: the page size of an existing sealed database (%ld) cannot be changed "
                    "in place, and with journal_mode=OFF a failed attempt would damage it; use "
                    "VACUUM INTO a new sealed database with another journal mode",
                    have);
                return SQLITE_ERROR;
            }
        }
        return SQLITE_NOTFOUND;
    }
    if (sqlite3_stricmp(name, "sealdb_error") == 0) {
        args[0] = sqlite3_mprintf("%s", f->error[0] ? f->error : "ok");
        return SQLITE_OK;
    }
    if (sqlite3_stricmp(name, "sealdb_info") == 0) {
        if (!f->seal) {
            args[0] = sqlite3_mprintf("%s", f->error[0] ? f->error : "not open");
        } else {
            args[0] = sqlite3_mprintf(
                "cipher=%s layout=%s reserved=%u", sealdb_cipher_name(seal_ctx_cipher(f->seal)),
                sealdb_layout_name(seal_ctx_layout(f->seal)), seal_ctx_reserved(f->seal));
        }
        return SQLITE_OK;
    }
    return SQLITE_NOTFOUND;
}

/* Puts the file at args->tmp_path in place of this database: waits for an
 * exclusive lock (readers finish), renames, syncs the directory, then marks
 * the old file so that connections still holding it fail loudly. */
static int main_swap(sfile *f, vfs_swap_args *args)
{
    int rc = SQLITE_OK;
    /* In WAL mode every connection holds a shared lock on the database file
     * while it is open, so no exclusive lock can be had; readers there read
     * the same content from the old file, and the caller's commit after the
     * swap makes their next transaction fail (see admin.c). */
    for (int waited = 0; !args->wal; waited++) {
        rc = f->under->pMethods->xLock(f->under, SQLITE_LOCK_EXCLUSIVE);
        if (rc != SQLITE_BUSY || waited >= args->timeout_ms) {
            break;
        }
        sqlite3_sleep(1);
    }
    if (rc != SQLITE_OK) {
        snprintf(args->msg, sizeof args->msg,
                 "other connections kept reading the database for %d ms; retry when they are "
                 "idle",
                 args->timeout_ms);
        return rc;
    }
    engine_fault("swap: locked");
    if (rename(args->tmp_path, f->zname) != 0) {
        snprintf(args->msg, sizeof args->msg, "cannot rename the new file into place: %s",
                 strerror(errno));
        return SQLITE_IOERR;
    }
    engine_fault("swap: renamed");
    if (dir_sync(f->zname) != 0) {
        snprintf(args->msg, sizeof args->msg, "cannot sync the database's directory: %s",
                 strerror(errno));
        return SQLITE_IOERR_FSYNC;
    }
    engine_fault("swap: directory synced");
    static const uint8_t replaced[16] = SEAL_REPLACED_MAGIC;
    f->under->pMethods->xWrite(f->under, replaced, sizeof replaced, 0);
    f->fatal = SQLITE_READONLY_DBMOVED;
    return SQLITE_OK;
}

static int x_file_control(sqlite3_file *file, int op, void *arg)
{
    sfile *f = (sfile *)file;
    if (op == VFS_FCNTL_SWAP && f->kind == KIND_MAIN) {
        return main_swap(f, arg);
    }
    if (op == SQLITE_FCNTL_PRAGMA && f->kind == KIND_MAIN) {
        const int rc = main_pragma(f, arg);
        if (rc != SQLITE_NOTFOUND) {
            return rc;
        }
    }
    if (op == SQLITE_FCNTL_VFSNAME) {
        const int rc = f->under->pMethods->xFileControl(f->under, op, arg);
        char **name = arg;
        *name = sqlite3_mprintf("%s/%z", VFS_NAME, rc == SQLITE_OK ? *name : NULL);
        return SQLITE_OK;
    }
    return f->under->pMethods->xFileControl(f->under, op, arg);
}

static int x_sector_size(sqlite3_file *file)
{
    sfile *f = (sfile *)file;
    return f->under->pMethods->xSectorSize(f->under);
}

static int x_device_characteristics(sqlite3_file *file)
{
    sfile *f = (sfile *)file;
    return f->under->pMethods->xDeviceCharacteristics(f->under);
}

static int x_shm_map(sqlite3_file *file, int region, int size, int extend, void volatile **out)
{
    sfile *f = (sfile *)file;
    return f->under->pMethods->xShmMap(f->under, region, size, extend, out);
}

static int x_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
    sfile *f = (sfile *)file;
    /* offset 0 is the WAL write lock, 1 the checkpoint lock */
    if (f->kind == KIND_MAIN && offset <= 1 &&
        (flags & (SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE)) ==
            (SQLITE_SHM_LOCK | SQLITE_SHM_EXCLUSIVE)) {
        const int rc = main_check_unmoved(f);
        if (rc != SQLITE_OK) {
            return rc;
        }
    }
    if (f->kind == KIND_MAIN && offset == 0) {
        if ((flags & SQLITE_SHM_UNLOCK) && f->wal_file) {
            const int rc = wal_flush_header(f->wal_file);
            if (rc != SQLITE_OK) {
                return rc;
            }
        }
        f->wal_epoch++; /* the WAL write lock changes hands: writers' caches expire */
    }
    return f->under->pMethods->xShmLock(f->under, offset, n, flags);
}

static void x_shm_barrier(sqlite3_file *file)
{
    sfile *f = (sfile *)file;
    f->under->pMethods->xShmBarrier(f->under);
}

static int x_shm_unmap(sqlite3_file *file, int delete_flag)
{
    sfile *f = (sfile *)file;
    return f->under->pMethods->xShmUnmap(f->under, delete_flag);
}

/* Version 2: shared memory for WAL, but no xFetch, so no memory-mapped I/O. */
static const sqlite3_io_methods io_methods = {
    2,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved_lock,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    NULL,
    NULL,
};

/* ---- keys handed over in memory (sealdb_sqlite_open) ------------------------------------ */

/* sealdb_sqlite_open gives the VFS its key through this registry, named in
 * the URI by a random id (keyref=), so that the key itself never passes
 * through SQLite's heap as URI text. xOpen takes the entry out. */
typedef struct keyref_entry {
    char id[33];
    credential cred;
    int new_keyslots;
    struct keyref_entry *next;
} keyref_entry;

static keyref_entry *keyrefs;

int keyref_add(const credential *c, int new_keyslots, char id[33])
{
    uint8_t raw[16];
    keyref_entry *e = sqlite3_malloc(sizeof *e);
    if (!e) {
        return SEALDB_ENOMEM;
    }
    memset(e, 0, sizeof *e);
    if (cred_copy(&e->cred, c, NULL) != SEALDB_OK) {
        sqlite3_free(e);
        return SEALDB_ENOMEM;
    }
    e->new_keyslots = new_keyslots;
    sealdb_random_bytes(raw, sizeof raw);
    for (int i = 0; i < 16; i++) {
        snprintf(e->id + 2 * i, 3, "%02x", raw[i]);
    }
    memcpy(id, e->id, 33);
    sqlite3_mutex_enter(global.mutex);
    e->next = keyrefs;
    keyrefs = e;
    sqlite3_mutex_leave(global.mutex);
    return SEALDB_OK;
}

/* Removes the entry and moves its credential into *c: SEALDB_OK, or
 * SEALDB_EINVAL if there is no such entry. */
static int keyref_take(const char *id, credential *c, int *new_keyslots)
{
    int rc = SEALDB_EINVAL;
    sqlite3_mutex_enter(global.mutex);
    for (keyref_entry **p = &keyrefs; *p; p = &(*p)->next) {
        if (strcmp((*p)->id, id) == 0) {
            keyref_entry *e = *p;
            *p = e->next;
            *c = e->cred;
            *new_keyslots = e->new_keyslots;
            sqlite3_free(e);
            rc = SEALDB_OK;
            break;
        }
    }
    sqlite3_mutex_leave(global.mutex);
    return rc;
}

void keyref_drop(const char *id)
{
    credential c;
    int slots;
    if (keyref_take(id, &c, &slots) == SEALDB_OK) {
        cred_free(&c);
    }
}

/* The last error of the sealed database behind schema `name` of db, or,
 * when db is NULL, the last error this thread met. */
int vfs_last_error(sqlite3 *db, const char *name, const char **msg)
{
    if (!db) {
        *msg = last_failure.msg;
        return last_failure.code;
    }
    sfile *f = sealed_file(db, name);
    if (!f || !f->error[0]) {
        return SEALDB_OK;
    }
    *msg = f->error;
    return f->code ? f->code : SEALDB_EINVAL;
}

void vfs_clear_last_error(void)
{
    last_failure.code = 0;
    last_failure.msg[0] = '\0';
}

/* ---- opening ------------------------------------------------------------------------------ */

/* URI parameters of sealdb. */
static const char *const sealdb_params[] = {"cipher",  "layout",  "key",    "keyref",
                                            "hexkey",  "keyfile", "keyenv", "passphrase",
                                            "kdf_ops", "kdf_mem"};

/* URI parameters SQLite itself understands, passed through. */
static const char *const sqlite_params[] = {"vfs",    "mode",      "cache", "psow",
                                            "nolock", "immutable", "modeof"};

/* Reads and checks the sealdb URI parameters of a main database. */
static int main_parse_params(sfile *f, const char *zname)
{
    for (int i = 0;; i++) {
        const char *k = sqlite3_uri_key(zname, i);
        if (!k) {
            break;
        }
        int known = 0;
        for (size_t j = 0; !known && j < sizeof sealdb_params / sizeof sealdb_params[0]; j++) {
            known = !strcmp(k, sealdb_params[j]);
        }
        for (size_t j = 0; !known && j < sizeof sqlite_params / sizeof sqlite_params[0]; j++) {
            known = !strcmp(k, sqlite_params[j]);
        }
        if (!known) {
            return fail(f, SQLITE_CANTOPEN,
                        "unknown URI parameter '%s'; sealdb takes cipher, layout, one key source "
                        "(hexkey, keyfile, keyenv, passphrase), kdf_ops, kdf_mem (and SQLite's "
                        "own: vfs, mode, cache, psow, nolock, immutable, modeof)",
                        k);
        }
    }
    sealdb_error err;
    const char *cipher = sqlite3_uri_parameter(zname, "cipher");
    if (cipher) {
        if (sealdb_cipher_lookup(cipher, &f->cipher, &err) != SEALDB_OK) {
            return fail(f, SQLITE_CANTOPEN, "%s", err.message);
        }
        f->cipher_given = 1;
    } else {
        f->cipher = SEALDB_AEGIS256;
    }
    const char *layout = sqlite3_uri_parameter(zname, "layout");
    f->layout = SEALDB_LAYOUT_DEFAULT;
    if (layout) {
        if (!strcasecmp(layout, "hardened")) {
            f->layout = SEALDB_LAYOUT_HARDENED;
        } else if (!strcasecmp(layout, "turso")) {
            f->layout = SEALDB_LAYOUT_TURSO;
        } else {
            return fail(f, SQLITE_CANTOPEN, "unknown layout '%.40s'; expected hardened or turso",
                        layout);
        }
    }
    if (sqlite3_uri_parameter(zname, "key")) {
        return fail(f, SQLITE_CANTOPEN,
                    "sealdb does not take key=; give the key as hexkey=, keyfile= or keyenv=, or "
                    "a passphrase as passphrase=");
    }
    static const char *const sources[] = {"keyref", "hexkey", "keyfile", "keyenv", "passphrase"};
    int given = -1;
    for (int j = 0; j < 5; j++) {
        if (sqlite3_uri_parameter(zname, sources[j])) {
            if (given >= 0) {
                return fail(f, SQLITE_CANTOPEN, "give one key source, not both %s and %s",
                            sources[given], sources[j]);
            }
            given = j;
        }
    }
    if (given < 0) {
        return fail(f, SQLITE_CANTOPEN,
                    "no key: the sealdb VFS opens only sealed databases; add hexkey=<hex>, "
                    "keyfile=<path>, keyenv=<variable> or passphrase=<text> to the URI");
    }
    const char *value = sqlite3_uri_parameter(zname, sources[given]);
    int rc = SEALDB_OK;
    switch (given) {
    case 0:
        if (keyref_take(value, &f->cred, &f->new_keyslots) != SEALDB_OK) {
            return fail(f, SQLITE_CANTOPEN, "keyref does not name a key of this process");
        }
        break;
    case 1: rc = cred_from_hex(&f->cred, value, &err); break;
    case 2: rc = cred_from_keyfile(&f->cred, value, &err); break;
    case 3: rc = cred_from_env(&f->cred, value, &err); break;
    default: rc = cred_from_passphrase(&f->cred, value, strlen(value), &err); break;
    }
    if (rc != SEALDB_OK) {
        f->code = rc;
        return fail(f, rc == SEALDB_ENOMEM ? SQLITE_NOMEM : SQLITE_CANTOPEN, "%s", err.message);
    }
    const char *ops = sqlite3_uri_parameter(zname, "kdf_ops");
    const char *mem = sqlite3_uri_parameter(zname, "kdf_mem");
    if ((ops || mem) && f->cred.kind != CRED_PASSPHRASE) {
        return fail(f, SQLITE_CANTOPEN, "kdf_ops and kdf_mem apply to passphrases only");
    }
    if ((ops || mem) &&
        cred_set_kdf(&f->cred, ops ? (uint32_t)strtoul(ops, NULL, 10) : 0,
                     mem ? (uint32_t)strtoul(mem, NULL, 10) : 0, &err) != SEALDB_OK) {
        return fail(f, SQLITE_CANTOPEN, "%s", err.message);
    }
    if (f->cred.kind == CRED_KEY) {
        if (f->cipher_given && f->cred.len != sealdb_cipher_key_bytes(f->cipher)) {
            return fail(f, SQLITE_CANTOPEN,
                        "the key has %zu bytes (%zu hex digits); %s expects %zu", f->cred.len,
                        2 * f->cred.len, sealdb_cipher_name(f->cipher),
                        sealdb_cipher_key_bytes(f->cipher));
        }
        if (!f->cipher_given && f->cred.len == 16) {
            f->cipher = SEALDB_AEGIS128L; /* the default cipher for a 128-bit key */
        }
    }
    return SQLITE_OK;
}

/* The seal context of a new, empty database file. */
static int main_create(sfile *f)
{
    sealdb_error err;
    int rc;
    if (f->new_keyslots && f->layout == SEALDB_LAYOUT_TURSO) {
        return fail(f, SQLITE_CANTOPEN, "key slots need the hardened layout");
    }
    if (f->new_keyslots) {
        rc = cred_new_slots_database(&f->cred, f->zname, f->cipher, &f->seal, &err);
    } else {
        rc = cred_new_database(&f->cred, f->cipher, f->layout, &f->seal, &err);
    }
    if (rc != SEALDB_OK) {
        f->code = rc;
        return fail(f, rc == SEALDB_ENOMEM ? SQLITE_NOMEM : SQLITE_CANTOPEN, "%s", err.message);
    }
    f->fresh = 1;
    return SQLITE_OK;
}

static int main_open(sfile *f, const char *zname)
{
    f->zname = zname;
    int rc = main_parse_params(f, zname);
    if (rc != SQLITE_OK) {
        return rc;
    }
    sqlite3_int64 size = 0;
    if ((rc = under_size(f, &size)) != SQLITE_OK) {
        return rc;
    }
    if (size == 0) {
        if ((rc = main_create(f)) != SQLITE_OK) {
            return rc;
        }
    } else {
        uint8_t hdr[100];
        rc = f->under->pMethods->xRead(f->under, hdr, sizeof hdr, 0);
        if (rc == SQLITE_IOERR_SHORT_READ) {
            f->fatal = fail(f, SQLITE_NOTADB, "the file is shorter than a database header");
        } else if (rc != SQLITE_OK) {
            return rc;
        } else if ((rc = main_load_header(f, hdr)) != SQLITE_OK) {
            f->fatal = rc; /* every later access fails; the file is never written */
        }
        if (!f->fatal && f->layout != SEALDB_LAYOUT_DEFAULT &&
            f->layout != seal_ctx_layout(f->seal)) {
            f->fatal =
                fail(f, SQLITE_NOTADB, "the database uses the %s layout, not %s",
                     sealdb_layout_name(seal_ctx_layout(f->seal)), sealdb_layout_name(f->layout));
        }
    }
    sqlite3_mutex_enter(global.mutex);
    f->next = global.mains;
    global.mains = f;
    sqlite3_mutex_leave(global.mutex);
    return SQLITE_OK;
}

/* The main database file a WAL or journal belongs to. */
static sfile *find_owner(const char *zname)
{
    const char *db = sqlite3_filename_database(zname);
    sfile *found = NULL;
    sqlite3_mutex_enter(global.mutex);
    for (sfile *m = global.mains; m && !found; m = m->next) {
        if (m->zname == db) {
            found = m;
        }
    }
    sqlite3_mutex_leave(global.mutex);
    return found;
}

static int x_open(sqlite3_vfs *vfs, sqlite3_filename zname, sqlite3_file *file, int flags,
                  int *out_flags)
{
    (void)vfs;
    sfile *f = (sfile *)file;
    memset(f, 0, sizeof *f);
    f->under = (sqlite3_file *)((char *)f + ((sizeof(sfile) + 7) & ~(size_t)7));
    int rc = global.under->xOpen(global.under, zname, f->under, flags, out_flags);
    if (rc != SQLITE_OK) {
        f->under->pMethods = NULL;
        return rc;
    }
    if (flags & SQLITE_OPEN_MAIN_DB) {
        f->kind = KIND_MAIN;
        f->open_flags = flags;
        rc = main_open(f, zname);
    } else if (flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL)) {
        f->kind = flags & SQLITE_OPEN_WAL ? KIND_WAL : KIND_JOURNAL;
        f->owner = find_owner(zname);
        if (!f->owner || !f->owner->seal) {
            rc = fail(f->owner, SQLITE_CANTOPEN, "a WAL or journal without its sealed database");
        } else if (f->kind == KIND_WAL) {
            f->wal = sqlite3_malloc(sizeof *f->wal);
            rc = f->wal ? SQLITE_OK : SQLITE_NOMEM;
            if (f->wal) {
                memset(f->wal, 0, sizeof *f->wal);
                f->owner->wal_file = f;
            }
        }
    } else if (flags & (SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TEMP_JOURNAL | SQLITE_OPEN_SUBJOURNAL |
                        SQLITE_OPEN_TRANSIENT_DB)) {
        f->kind = KIND_TEMP;
        rc = temp_file_open(&f->temp, f->under);
    } else {
        f->kind = KIND_PLAIN; /* the super-journal: file names only */
    }
    f->base.pMethods = &io_methods;
    if (rc != SQLITE_OK) {
        x_close(file);
        f->base.pMethods = NULL;
    }
    return rc;
}

/* ---- the VFS object: everything but xOpen goes to the default VFS ------------------- */

static int x_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return global.under->xDelete(global.under, name, sync_dir);
}

static int x_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return global.under->xAccess(global.under, name, flags, out);
}

static int x_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return global.under->xFullPathname(global.under, name, n, out);
}

static void *x_dl_open(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return global.under->xDlOpen(global.under, name);
}

static void x_dl_error(sqlite3_vfs *vfs, int n, char *msg)
{
    (void)vfs;
    global.under->xDlError(global.under, n, msg);
}

static void (*x_dl_sym(sqlite3_vfs *vfs, void *handle, const char *sym))(void)
{
    (void)vfs;
    return global.under->xDlSym(global.under, handle, sym);
}

static void x_dl_close(sqlite3_vfs *vfs, void *handle)
{
    (void)vfs;
    global.under->xDlClose(global.under, handle);
}

static int x_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return global.under->xRandomness(global.under, n, out);
}

static int x_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return global.under->xSleep(global.under, us);
}

static int x_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return global.under->xCurrentTime(global.under, out);
}

static int x_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return global.under->xGetLastError ? global.under->xGetLastError(global.under, n, out) : 0;
}

static int x_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return global.under->xCurrentTimeInt64(global.under, out);
}

/* ---- new databases get their reserve, and attached ones can ask for it -------------- */

/* The sealdb main file behind schema `name` of db, or NULL. */
static sfile *sealed_file(sqlite3 *db, const char *name)
{
    sqlite3_file *file = NULL;
    if (sqlite3_file_control(db, name, SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file ||
        file->pMethods != &io_methods) {
        return NULL;
    }
    sfile *f = (sfile *)file;
    return f->kind == KIND_MAIN ? f : NULL;
}

/* Asks SQLite to leave room for the seal in every page of a new database. */
static int reserve_for(sqlite3 *db, const char *schema)
{
    sfile *f = sealed_file(db, schema);
    if (!f || !f->seal) {
        return SQLITE_NOTFOUND;
    }
    int reserve = (int)seal_ctx_reserved(f->seal);
    return sqlite3_file_control(db, schema, SQLITE_FCNTL_RESERVE_BYTES, &reserve);
}

static void sql_reserve(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *schema = argc > 0 ? (const char *)sqlite3_value_text(argv[0]) : "main";
    const int rc = reserve_for(sqlite3_context_db_handle(ctx), schema ? schema : "main");
    if (rc == SQLITE_NOTFOUND) {
        sqlite3_result_error(ctx, "sealdb_reserve: that schema is not a sealed database", -1);
        return;
    }
    sqlite3_result_int(ctx, rc == SQLITE_OK);
}

static int auto_extension(sqlite3 *db, char **err, const void *api)
{
    (void)err;
    (void)api;
    reserve_for(db, "main");
    sqlite3_create_function(db, "sealdb_reserve", 1, SQLITE_UTF8 | SQLITE_DIRECTONLY, NULL,
                            sql_reserve, NULL, NULL);
    return SQLITE_OK;
}

/* ---- registration --------------------------------------------------------------------- */

int sealdb_vfs_register(int make_default)
{
    if (crypto_init() != 0 || sqlite3_initialize() != SQLITE_OK) {
        return SEALDB_ECRYPTO;
    }
    sqlite3_mutex *m = sqlite3_mutex_alloc(SQLITE_MUTEX_STATIC_VFS1);
    sqlite3_mutex_enter(m);
    int rc = SQLITE_OK;
    if (!global.under) {
        sqlite3_vfs *under = sqlite3_vfs_find(NULL);
        if (!under || !(global.mutex = sqlite3_mutex_alloc(SQLITE_MUTEX_FAST))) {
            sqlite3_mutex_leave(m);
            return SEALDB_ENOMEM;
        }
        global.under = under;
        seal_vfs = (sqlite3_vfs){
            .iVersion = 2,
            .szOsFile = (int)((sizeof(sfile) + 7) & ~(size_t)7) + under->szOsFile,
            .mxPathname = under->mxPathname,
            .zName = VFS_NAME,
            .xOpen = x_open,
            .xDelete = x_delete,
            .xAccess = x_access,
            .xFullPathname = x_full_pathname,
            .xDlOpen = x_dl_open,
            .xDlError = x_dl_error,
            .xDlSym = x_dl_sym,
            .xDlClose = x_dl_close,
            .xRandomness = x_randomness,
            .xSleep = x_sleep,
            .xCurrentTime = x_current_time,
            .xGetLastError = x_get_last_error,
            .xCurrentTimeInt64 = x_current_time_int64,
        };
        rc = sqlite3_vfs_register(&seal_vfs, make_default);
        if (rc == SQLITE_OK) {
            rc = sqlite3_auto_extension((void (*)(void))auto_extension);
        }
    } else if (make_default) {
        rc = sqlite3_vfs_register(&seal_vfs, 1);
    }
    sqlite3_mutex_leave(m);
    return rc == SQLITE_OK ? SEALDB_OK : SEALDB_ENOMEM;
}

/* The loadable-extension entry point, found by SQLite from the file name
 * libsealdb.so. The extension stays loaded after the connection that loaded
 * it closes, so the VFS outlives it. */
int sqlite3_sealdb_init(sqlite3 *db, char **err, const void *api)
{
    (void)api;
    if (sealdb_vfs_register(0) != SEALDB_OK) {
        if (err) {
            *err = sqlite3_mprintf("sealdb: could not register the VFS");
        }
        return SQLITE_ERROR;
    }
    /* the connection that loads us was opened before the auto-extension */
    auto_extension(db, NULL, NULL);
    return SQLITE_OK_LOAD_PERMANENTLY;
}
