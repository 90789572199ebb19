/*
 * admin.c - maintenance of sealed databases: inspect, verify, rekey,
 * encrypt, decrypt, and the key-slot calls of the public API.
 *
 * Conversions (rekey, encrypt, decrypt) never change a database in place
 * page by page. They build the complete new database in a file beside the
 * target ("<target>.sealdb-tmp"), sync it, check it opens under the new
 * key, and only then put it in place with one rename (in place: through the
 * VFS, under an exclusive lock, see main_swap in vfs.c). Killed at any
 * instant, the target is either the old database or the new one. A key-slot
 * file that goes with the new database is staged as "<path>-keyslots-next"
 * before the rename and renamed after it; keys.c reads "-next" when the
 * database's salt says it is the one.
 *
 * Two ways to build the new file:
 * - re-seal: when source and target are sealed with the same number of
 *   reserved bytes per page (any key, layout, or a cipher of the same nonce
 *   size), every page is opened with the old key and sealed with the new
 *   one: byte for byte the same database, at cipher speed.
 * - export: otherwise (plain <-> sealed, or a cipher with another nonce
 *   size, which changes the usable page size) the schema and rows are
 *   copied through SQLite into a new database: tables with their rowids,
 *   then indexes, AUTOINCREMENT counters, statistics, triggers, views and
 *   virtual tables, then user_version and application_id.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "engine.h"
#include "keys.h"

#define SWAP_TIMEOUT_MS 5000
#define WAL_HEADER 32
#define FRAME_HEADER 24

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

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int full_pread(int fd, void *buf, size_t n, off_t off)
{
    uint8_t *p = buf;
    size_t done = 0;
    while (done < n) {
        const ssize_t r = pread(fd, p + done, n - done, off + (off_t)done);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return r < 0 ? -1 : (int)done;
        }
        done += (size_t)r;
    }
    return (int)done;
}

static int full_pwrite(int fd, const void *buf, size_t n, off_t off)
{
    const uint8_t *p = buf;
    size_t done = 0;
    while (done < n) {
        const ssize_t w = pwrite(fd, p + done, n - done, off + (off_t)done);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            if (w == 0) {
                errno = ENOSPC;
            }
            return -1;
        }
        done += (size_t)w;
    }
    return 0;
}

static int read_header(const char *path, uint8_t hdr[100], sealdb_error *err)
{
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return error_set(err, SEALDB_EIO, "cannot open %s: %s", path, strerror(errno));
    }
    const int n = full_pread(fd, hdr, 100, 0);
    const int e = errno;
    close(fd);
    if (n < 0) {
        return error_set(err, SEALDB_EIO, "cannot read %s: %s", path, strerror(e));
    }
    if (n < 100) {
        return error_set(err, SEALDB_EFORMAT, "%s is shorter than a database header", path);
    }
    return SEALDB_OK;
}

static int file_size_of(const char *path, uint64_t *size)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return 0;
}

/* ---- inspect ------------------------------------------------------------------------------ */

int sealdb_inspect(const char *path, sealdb_file_info *info, sealdb_error *err)
{
    if (!path || !info) {
        return error_set(err, SEALDB_EINVAL, "path and info must not be NULL");
    }
    memset(info, 0, sizeof *info);
    uint8_t hdr[100];
    int rc = read_header(path, hdr, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    seal_file_info si;
    if ((rc = seal_header_read(hdr, &si, err)) != SEALDB_OK) {
        return rc;
    }
    info->sealed = si.sealed;
    info->layout = si.layout;
    info->cipher = si.cipher;
    info->key_kind = si.sealed && si.layout == SEALDB_LAYOUT_HARDENED ? si.key_kind : 0;
    if (info->key_kind == SEAL_KEY_PASSPHRASE) {
        info->kdf_ops = si.kdf_ops;
        info->kdf_mem_kib = 1u << si.kdf_mem_log2;
    }
    info->page_size = si.page_size;
    info->reserved = si.reserved;
    info->header_pages = be32(hdr + 28);
    info->journal_mode_wal = hdr[18] == 2;
    file_size_of(path, &info->file_bytes);
    char *wal = str_cat(path, "-wal"), *journal = str_cat(path, "-journal"),
         *slots = str_cat(path, KEYSLOTS_SUFFIX);
    if (!wal || !journal || !slots) {
        free(wal);
        free(journal);
        free(slots);
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    info->wal_present = file_size_of(wal, &info->wal_bytes) == 0 && info->wal_bytes > 0;
    info->journal_present = access(journal, F_OK) == 0;
    info->keyslots_present = access(slots, F_OK) == 0;
    free(wal);
    free(journal);
    free(slots);
    return SEALDB_OK;
}

/* ---- keys of an existing database ---------------------------------------------------------- */

/* ---- verify ------------------------------------------------------------------------------ */

typedef struct verifier {
    sealdb_problem_fn fn;
    void *arg;
    sealdb_verify_report *rep;
    int problems;
} verifier;

static void problem(verifier *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(verifier *v, const char *fmt, ...)
{
    v->problems++;
    if (!v->fn) {
        return;
    }
    char line[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    v->fn(v->arg, line);
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= p[i];
    }
    return acc == 0;
}

/* For a page that fails as itself: the page whose sealed image it is, or 0. */
static uint32_t find_origin(seal_ctx *ctx, const uint8_t *img, uint8_t *tmp, uint32_t page_size,
                            uint32_t pgno, uint32_t pages)
{
    for (uint32_t q = 2; q <= pages; q++) {
        if (q == pgno) {
            continue;
        }
        memcpy(tmp, img, page_size);
        if (unseal_page(ctx, tmp, page_size, q) == SEALDB_OK) {
            return q;
        }
    }
    return 0;
}

static void verify_wal(verifier *v, const char *path, int fd, seal_ctx *ctx, uint32_t page_size,
                       uint8_t *buf)
{
    uint8_t h[WAL_HEADER];
    const int n = full_pread(fd, h, WAL_HEADER, 0);
    if (n == 0) {
        return;
    }
    if (n < WAL_HEADER) {
        problem(v, "WAL: %s is shorter than a WAL header (%d bytes): no frame in it is used", path,
                n);
        return;
    }
    const uint32_t magic = be32(h);
    if (magic != 0x377f0682 && magic != 0x377f0683) {
        problem(v, "WAL: bad magic number: the WAL is not used");
        return;
    }
    const int big = magic & 1;
    uint32_t chk[2] = {0, 0};
    wal_checksum(big, h, 24, chk, chk);
    if (chk[0] != be32(h + 24) || chk[1] != be32(h + 28)) {
        problem(v, "WAL: header checksum mismatch: no frame in it is used");
        return;
    }
    const uint32_t wal_page = be32(h + 8) == 1 ? 65536 : be32(h + 8);
    if (wal_page != page_size) {
        problem(v, "WAL: page size %u differs from the database's %u: the WAL is not used",
                wal_page, page_size);
        return;
    }
    uint64_t size = 0;
    struct stat st;
    if (fstat(fd, &st) == 0) {
        size = (uint64_t)st.st_size;
    }
    const uint64_t frame_bytes = FRAME_HEADER + (uint64_t)page_size;
    const uint64_t frames = size > WAL_HEADER ? (size - WAL_HEADER) / frame_bytes : 0;
    uint32_t last_commit = 0, chained = 0, bad = 0;
    uint8_t fh[FRAME_HEADER];
    for (uint64_t i = 1; i <= frames; i++) {
        const off_t off = (off_t)(WAL_HEADER + (i - 1) * frame_bytes);
        if (full_pread(fd, fh, FRAME_HEADER, off) != FRAME_HEADER ||
            full_pread(fd, buf, page_size, off + FRAME_HEADER) != (int)page_size) {
            break;
        }
        if (memcmp(fh + 8, h + 16, 8) != 0) {
            break; /* salts of an older log generation: the log ends here */
        }
        uint32_t mid[2];
        wal_checksum(big, fh, 8, chk, mid);
        wal_checksum(big, buf, page_size, mid, mid);
        if (mid[0] != be32(fh + 16) || mid[1] != be32(fh + 20)) {
            break;
        }
        chk[0] = mid[0];
        chk[1] = mid[1];
        chained = (uint32_t)i;
        const uint32_t pgno = be32(fh);
        if (pgno == 0 || unseal_page(ctx, buf, page_size, pgno) != SEALDB_OK) {
            problem(v, "WAL frame %u (page %u): bad tag (damaged or tampered)", (uint32_t)i, pgno);
            bad++;
        }
        if (be32(fh + 4) != 0) {
            last_commit = (uint32_t)i;
            v->rep->wal_commits++;
        }
    }
    v->rep->wal_frames = last_commit;
    v->rep->bad_frames = bad;
    v->rep->wal_ignored = (uint32_t)(frames - last_commit);
    if (frames > chained) {
        /* SQLite stops at the first frame whose checksum does not chain: a
         * torn last write after a crash, or damage that hides every commit
         * after it. Reported, and counted as a problem. */
        problem(v,
                "WAL: the log ends at frame %u of %llu (checksum or salt mismatch at frame %u); "
                "the %llu frames after it are ignored",
                chained, (unsigned long long)frames, chained + 1,
                (unsigned long long)(frames - chained));
    } else if (chained > last_commit) {
        problem(v,
                "WAL: frames %u..%u belong to a transaction that never committed; they are "
                "ignored",
                last_commit + 1, chained);
    }
}

int sealdb_verify(const char *path, const sealdb_sqlite_config *cfg, sealdb_problem_fn fn,
                  void *arg, sealdb_verify_report *report, sealdb_error *err)
{
    sealdb_verify_report local;
    sealdb_verify_report *rep = report ? report : &local;
    memset(rep, 0, sizeof *rep);
    if (!path || !cfg) {
        return error_set(err, SEALDB_EINVAL, "path and cfg must not be NULL");
    }
    credential cred;
    int rc = cred_from_config(&cred, cfg, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    uint8_t hdr[100];
    seal_ctx *ctx = NULL;
    seal_file_info info;
    rc = read_header(path, hdr, err);
    if (rc == SEALDB_OK) {
        rc = cred_open_database(&cred, path, hdr, &ctx, &info, err);
    }
    cred_free(&cred);
    if (rc != SEALDB_OK) {
        return rc;
    }
    const uint32_t P = info.page_size;
    uint8_t *buf = malloc(2 * (size_t)P);
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (!buf || fd < 0) {
        const int e = errno;
        free(buf);
        if (fd >= 0) {
            close(fd);
        }
        seal_ctx_close(ctx);
        return buf ? error_set(err, SEALDB_EIO, "cannot open %s: %s", path, strerror(e))
                   : error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    verifier v = {fn, arg, rep, 0};
    struct stat st;
    fstat(fd, &st);
    const uint64_t size = (uint64_t)st.st_size;
    const uint32_t pages = (uint32_t)(size / P);
    rc = SEALDB_OK;
    if (full_pread(fd, buf, P, 0) != (int)P) {
        problem(&v, "page 1: truncated (the file has %llu bytes)", (unsigned long long)size);
    } else if (unseal_page(ctx, buf, P, 1) != SEALDB_OK) {
        if (info.layout == SEALDB_LAYOUT_TURSO) {
            rc = error_set(err, SEALDB_EWRONGKEY,
                           "page 1 fails authentication: wrong key, or page 1 is damaged (the "
                           "turso layout cannot tell these apart)");
        } else {
            problem(&v, "page 1: bad tag (damaged or tampered; the key is right: its check "
                        "matches)");
            rep->bad_pages++;
        }
    }
    rep->pages = pages;
    for (uint32_t pgno = 2; rc == SEALDB_OK && pgno <= pages; pgno++) {
        if (full_pread(fd, buf, P, (off_t)(pgno - 1) * P) != (int)P) {
            problem(&v, "page %u: cannot be read: %s", pgno, strerror(errno));
            rep->bad_pages++;
            continue;
        }
        if (all_zero(buf, P)) {
            problem(&v, "page %u: all zeros (never written, or wiped)", pgno);
            rep->bad_pages++;
            continue;
        }
        memcpy(buf + P, buf, P);
        if (unseal_page(ctx, buf, P, pgno) == SEALDB_OK) {
            continue;
        }
        rep->bad_pages++;
        const uint32_t from =
            info.layout == SEALDB_LAYOUT_HARDENED && rep->bad_pages <= 16 && pages <= 65536
                ? find_origin(ctx, buf + P, buf, P, pgno, pages)
                : 0;
        if (from) {
            problem(&v, "page %u: holds the sealed image of page %u (page moved or copied)", pgno,
                    from);
        } else {
            problem(&v, "page %u: bad tag (damaged or tampered)", pgno);
        }
    }
    if (rc == SEALDB_OK && size % P) {
        problem(&v, "page %u: truncated (the file ends %llu bytes into it)", pages + 1,
                (unsigned long long)(size % P));
        rep->bad_pages++;
    }
    const uint32_t header_pages = be32(hdr + 28);
    char *walp = str_cat(path, "-wal");
    int wfd = walp ? open(walp, O_RDONLY | O_CLOEXEC) : -1;
    if (rc == SEALDB_OK && wfd < 0 && header_pages > pages && be32(hdr + 24) == be32(hdr + 92)) {
        problem(&v, "database: truncated: the header records %u pages, the file holds %u",
                header_pages, pages);
    }
    if (rc == SEALDB_OK && wfd >= 0) {
        verify_wal(&v, walp, wfd, ctx, P, buf);
    }
    if (wfd >= 0) {
        close(wfd);
    }
    free(walp);
    close(fd);
    crypto_wipe(buf, 2 * (size_t)P);
    free(buf);
    seal_ctx_close(ctx);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (v.problems) {
        return error_set(err, SEALDB_ECORRUPT, "%d problem%s found", v.problems,
                         v.problems == 1 ? "" : "s");
    }
    return SEALDB_OK;
}

/* ---- conversions --------------------------------------------------------------------------- */

typedef struct conversion {
    const char *path;   /* the database */
    const char *target; /* where the result goes (path when in place) */
    int in_place;
    const sealdb_sqlite_config *from; /* NULL: path is plain */
    const sealdb_sqlite_config *to;   /* NULL: the result is plain */
    char *tmp;                        /* target + ".sealdb-tmp" */
    char *tmp_slots;                  /* tmp + "-keyslots" */
    char *next_slots;                 /* target + "-keyslots-next" */
    char *final_slots;                /* target + "-keyslots" */
    sqlite3 *src;
    credential from_cred;
    uint8_t hdr[100];
    seal_file_info info; /* of the source */
    sealdb_cipher_id to_cipher;
    sealdb_layout to_layout;
    char journal_mode[16];
} conversion;

static void remove_tmp_files(const char *tmp)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal", KEYSLOTS_SUFFIX};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char *p = str_cat(tmp, suffixes[i]);
        if (p) {
            unlink(p);
            free(p);
        }
    }
}

static int sql_error(sqlite3 *db, sealdb_error *err, const char *what)
{
    const char *msg = NULL;
    int code = db ? vfs_last_error(db, "main", &msg) : SEALDB_OK;
    if (code == SEALDB_OK) {
        code = sqlite3_errcode(db) == SQLITE_BUSY ? SEALDB_EBUSY : SEALDB_EIO;
        msg = sqlite3_errmsg(db);
    }
    return error_set(err, code, "%s: %s", what, msg);
}

static int exec_sql(sqlite3 *db, const char *sql, sealdb_error *err)
{
    const int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? SEALDB_OK : sql_error(db, err, "SQL failed");
}

/* The text of the first column of the first row of sql, into out. */
static int query_text(sqlite3 *db, const char *sql, char *out, size_t cap, sealdb_error *err)
{
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, cap, "%s", t ? (const char *)t : "");
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    const int r = rc == SQLITE_OK ? SEALDB_OK : sql_error(db, err, "query failed");
    sqlite3_finalize(st);
    return r;
}

static int open_source(conversion *c, sealdb_error *err)
{
    int rc = read_header(c->path, c->hdr, err);
    if (rc != SEALDB_OK || (rc = seal_header_read(c->hdr, &c->info, err)) != SEALDB_OK) {
        return rc;
    }
    if (c->from && !c->info.sealed) {
        return error_set(err, SEALDB_ENOTSEALED,
                         "%s is a plain SQLite database; use encrypt to seal it", c->path);
    }
    if (!c->from && c->info.sealed) {
        return error_set(
            err, SEALDB_EINVAL, "%s is already sealed (%s, %s layout); use rekey to change its key",
            c->path, sealdb_cipher_name(c->info.cipher), sealdb_layout_name(c->info.layout));
    }
    if (c->from) {
        if ((rc = cred_from_config(&c->from_cred, c->from, err)) != SEALDB_OK) {
            return rc;
        }
        rc = sealdb_sqlite_open(c->path, c->from, &c->src, err);
    } else {
        const int flags = (c->in_place ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY);
        if (sqlite3_open_v2(c->path, &c->src, flags, NULL) != SQLITE_OK) {
            rc = sql_error(c->src, err, "cannot open the database");
        } else {
            rc = exec_sql(c->src, "SELECT count(*) FROM sqlite_schema", err);
        }
    }
    if (rc != SEALDB_OK) {
        return rc;
    }
    sqlite3_busy_timeout(c->src, SWAP_TIMEOUT_MS);
    return query_text(c->src, "PRAGMA journal_mode", c->journal_mode, sizeof c->journal_mode, err);
}

/* Holds the database still: no writer can commit until the end, and (in
 * place) the WAL is empty, so the database file alone is the database. */
static int hold_source(conversion *c, sealdb_error *err)
{
    const int wal = strcmp(c->journal_mode, "wal") == 0;
    char *walp = str_cat(c->path, "-wal");
    if (!walp) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    int rc = SEALDB_OK;
    for (int attempt = 0;; attempt++) {
        char busy[32];
        if (wal && c->in_place &&
            (rc = query_text(c->src, "PRAGMA wal_checkpoint(TRUNCATE)", busy, sizeof busy, err)) !=
                SEALDB_OK) {
            break;
        }
        rc = exec_sql(c->src, c->in_place ? "BEGIN IMMEDIATE" : "BEGIN", err);
        if (rc == SEALDB_OK) {
            rc = exec_sql(c->src, "SELECT count(*) FROM sqlite_schema", err);
        }
        if (rc != SEALDB_OK) {
            break;
        }
        uint64_t size = 0;
        if (!wal || !c->in_place || file_size_of(walp, &size) != 0 || size == 0) {
            break;
        }
        exec_sql(c->src, "ROLLBACK", NULL); /* a writer committed in between: again */
        if (attempt == 20) {
            rc = error_set(err, SEALDB_EBUSY,
                           "writers kept committing to the WAL; retry when the database is "
                           "quieter");
            break;
        }
        sqlite3_sleep(10);
    }
    free(walp);
    return rc;
}

/* The seal context of the new database, and its key-slot file if wanted. */
static int target_ctx(conversion *c, const credential *to_cred, seal_ctx **out, sealdb_error *err)
{
    if (!c->to->keyslots) {
        return cred_new_database(to_cred, c->to_cipher, c->to_layout, out, err);
    }
    if (c->to_layout == SEALDB_LAYOUT_TURSO) {
        return error_set(err, SEALDB_EINVAL, "key slots need the hardened layout");
    }
    uint8_t salt[SEAL_SALT_BYTES];
    uint8_t *key = crypto_secure_alloc(SEALDB_MAX_KEY_BYTES);
    if (!key) {
        return error_set(err, SEALDB_ENOMEM, "no locked memory for the key");
    }
    int rc = sealdb_random_bytes(salt, sizeof salt);
    if (rc == SEALDB_OK) {
        rc = keyslots_create(c->tmp, to_cred, "initial", c->to_cipher, salt, key, err);
    }
    if (rc == SEALDB_OK) {
        rc = seal_ctx_create_salted(out, c->to_cipher, SEALDB_LAYOUT_HARDENED, key,
                                    sealdb_cipher_key_bytes(c->to_cipher), salt, err);
    }
    if (rc == SEALDB_OK) {
        seal_ctx_set_key_kind(*out, SEAL_KEY_SLOTS, 0, 0);
    }
    crypto_secure_free(key);
    return rc;
}

/* Re-seal: every page opened with the old key and sealed with the new. */
static int build_resealed(conversion *c, sealdb_error *err)
{
    credential to_cred;
    int rc = cred_from_config(&to_cred, c->to, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    seal_ctx *old_ctx = NULL, *new_ctx = NULL;
    seal_file_info info;
    rc = cred_open_database(&c->from_cred, c->path, c->hdr, &old_ctx, &info, err);
    if (rc == SEALDB_OK) {
        rc = target_ctx(c, &to_cred, &new_ctx, err);
    }
    cred_free(&to_cred);
    const uint32_t P = info.page_size;
    uint8_t *page = rc == SEALDB_OK ? malloc(P) : NULL;
    const int in = rc == SEALDB_OK ? open(c->path, O_RDONLY | O_CLOEXEC) : -1;
    const int out =
        rc == SEALDB_OK ? open(c->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
    if (rc == SEALDB_OK && (!page || in < 0 || out < 0)) {
        rc = error_set(err, page ? SEALDB_EIO : SEALDB_ENOMEM, "cannot open %s: %s",
                       in < 0 ? c->path : c->tmp, strerror(errno));
    }
    engine_fault("reseal: started");
    struct stat st;
    if (rc == SEALDB_OK && fstat(in, &st) != 0) {
        rc = error_set(err, SEALDB_EIO, "cannot stat %s: %s", c->path, strerror(errno));
    }
    if (rc == SEALDB_OK && (uint64_t)st.st_size % P) {
        rc = error_set(err, SEALDB_ECORRUPT,
                       "%s is not a whole number of %u-byte pages; run verify", c->path, P);
    }
    const uint32_t pages = rc == SEALDB_OK ? (uint32_t)((uint64_t)st.st_size / P) : 0;
    for (uint32_t pgno = 1; rc == SEALDB_OK && pgno <= pages; pgno++) {
        const off_t off = (off_t)(pgno - 1) * P;
        if (full_pread(in, page, P, off) != (int)P) {
            rc = error_set(err, SEALDB_EIO, "cannot read page %u of %s", pgno, c->path);
        } else if (unseal_page(old_ctx, page, P, pgno) != SEALDB_OK) {
            rc = error_set(err, SEALDB_ECORRUPT,
                           "page %u fails authentication; nothing was changed (run verify)", pgno);
        } else if (seal_page(new_ctx, page, page, P, pgno) != SEALDB_OK ||
                   full_pwrite(out, page, P, off) != 0) {
            rc = error_set(err, SEALDB_EIO, "cannot write page %u of %s: %s", pgno, c->tmp,
                           strerror(errno));
        }
        if ((pgno & 63) == 0) {
            engine_fault("reseal: pages written");
        }
    }
    if (rc == SEALDB_OK && fsync(out) != 0) {
        rc = error_set(err, SEALDB_EIO, "cannot sync %s: %s", c->tmp, strerror(errno));
    }
    if (page) {
        crypto_wipe(page, P);
        free(page);
    }
    if (in >= 0) {
        close(in);
    }
    if (out >= 0 && close(out) != 0 && rc == SEALDB_OK) {
        rc = error_set(err, SEALDB_EIO, "cannot write %s: %s", c->tmp, strerror(errno));
    }
    seal_ctx_close(old_ctx);
    seal_ctx_close(new_ctx);
    return rc;
}

/* A URI for ATTACHing the source to the export connection. */
static char *source_uri(conversion *c, char keyref[33], sealdb_error *err)
{
    char *uri;
    if (c->from) {
        if (keyref_add(&c->from_cred, 0, keyref) != SEALDB_OK) {
            error_set(err, SEALDB_ENOMEM, "out of memory");
            return NULL;
        }
        uri = sqlite3_mprintf("file:%s?vfs=sealdb&keyref=%s&mode=ro", c->path, keyref);
    } else {
        sqlite3_vfs *def = sqlite3_vfs_find(NULL);
        if (def && strcmp(def->zName, "sealdb") == 0) {
            def = sqlite3_vfs_find("unix");
        }
        uri = sqlite3_mprintf("file:%s?vfs=%s&mode=ro", c->path, def ? def->zName : "unix");
    }
    if (!uri) {
        error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    return uri;
}

/* Runs every statement that `list_sql` returns as its first column. */
static int exec_each(sqlite3 *db, const char *list_sql, sealdb_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, list_sql, -1, &st, NULL) != SQLITE_OK) {
        return sql_error(db, err, "reading the schema failed");
    }
    int rc = SEALDB_OK, step;
    while (rc == SEALDB_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *sql = (const char *)sqlite3_column_text(st, 0);
        if (sql) {
            rc = exec_sql(db, sql, err);
        }
    }
    if (rc == SEALDB_OK && step != SQLITE_DONE) {
        rc = sql_error(db, err, "reading the schema failed");
    }
    sqlite3_finalize(st);
    return rc;
}

/* Copies one table's rows, with their rowids for rowid tables. */
static int copy_table(sqlite3 *db, const char *name, sealdb_error *err)
{
    char *cols = sqlite3_mprintf("%s", "");
    sqlite3_stmt *st = NULL;
    char *q = sqlite3_mprintf("SELECT name, hidden FROM pragma_table_xinfo(%Q, 'src')", name);
    int rc = q && cols && sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK
                 ? SEALDB_OK
                 : sql_error(db, err, "reading a table's columns failed");
    sqlite3_free(q);
    int ncols = 0;
    const char *rowid = NULL;
    static const char *const aliases[] = {"rowid", "_rowid_", "oid"};
    int taken[3] = {0, 0, 0};
    while (rc == SEALDB_OK && sqlite3_step(st) == SQLITE_ROW) {
        const char *col = (const char *)sqlite3_column_text(st, 0);
        for (int i = 0; i < 3; i++) {
            taken[i] |= sqlite3_stricmp(col, aliases[i]) == 0;
        }
        if (sqlite3_column_int(st, 1) != 0) {
            continue; /* generated (2, 3) or hidden columns are not inserted */
        }
        char *next = sqlite3_mprintf("%z%s\"%w\"", cols, ncols ? ", " : "", col);
        cols = next;
        ncols++;
        if (!cols) {
            rc = error_set(err, SEALDB_ENOMEM, "out of memory");
        }
    }
    sqlite3_finalize(st);
    for (int i = 0; rc == SEALDB_OK && i < 3 && !rowid; i++) {
        if (taken[i]) {
            continue;
        }
        char *probe = sqlite3_mprintf("SELECT %s FROM src.\"%w\" LIMIT 0", aliases[i], name);
        sqlite3_stmt *p = NULL;
        if (probe && sqlite3_prepare_v2(db, probe, -1, &p, NULL) == SQLITE_OK) {
            rowid = aliases[i];
        }
        sqlite3_finalize(p);
        sqlite3_free(probe);
        if (!rowid) {
            break; /* WITHOUT ROWID */
        }
    }
    if (rc == SEALDB_OK) {
        char *ins = rowid ? sqlite3_mprintf("INSERT INTO main.\"%w\"(%s, %s) SELECT %s, %s FROM "
                                            "src.\"%w\"",
                                            name, rowid, cols, rowid, cols, name)
                          : sqlite3_mprintf("INSERT INTO main.\"%w\"(%s) SELECT %s FROM src.\"%w\"",
                                            name, cols, cols, name);
        rc = ins ? exec_sql(db, ins, err) : error_set(err, SEALDB_ENOMEM, "out of memory");
        sqlite3_free(ins);
    }
    sqlite3_free(cols);
    return rc;
}

static int copy_tables(sqlite3 *db, sealdb_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT name FROM src.sqlite_schema WHERE type = 'table' AND "
                           "rootpage > 0 AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY "
                           "rowid",
                           -1, &st, NULL) != SQLITE_OK) {
        return sql_error(db, err, "reading the schema failed");
    }
    int rc = SEALDB_OK;
    while (rc == SEALDB_OK && sqlite3_step(st) == SQLITE_ROW) {
        rc = copy_table(db, (const char *)sqlite3_column_text(st, 0), err);
    }
    sqlite3_finalize(st);
    return rc;
}

static int table_exists(sqlite3 *db, const char *schema, const char *name)
{
    char *q = sqlite3_mprintf("SELECT 1 FROM \"%w\".sqlite_schema WHERE type='table' AND name=%Q",
                              schema, name);
    sqlite3_stmt *st = NULL;
    int found = q && sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK &&
                sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    sqlite3_free(q);
    return found;
}

/* Export: the schema and rows through SQLite into a new database. */
static int build_exported(conversion *c, sealdb_error *err)
{
    sqlite3 *db = NULL;
    int rc;
    if (c->to) {
        sealdb_sqlite_config to = *c->to;
        to.cipher = sealdb_cipher_name(c->to_cipher);
        to.layout = c->to_layout;
        to.flags = 0;
        rc = sealdb_sqlite_open(c->tmp, &to, &db, err);
    } else {
        rc = sqlite3_open_v2(c->tmp, &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
                             NULL) == SQLITE_OK
                 ? SEALDB_OK
                 : sql_error(db, err, "cannot create the new database");
    }
    engine_fault("export: started");
    static const char *const encodings[] = {"UTF-8", "UTF-8", "UTF-16le", "UTF-16be"};
    const uint32_t enc = be32(c->hdr + 56);
    char sql[160];
    if (rc == SEALDB_OK) {
        snprintf(sql, sizeof sql, "PRAGMA page_size = %u; PRAGMA encoding = '%s'",
                 c->info.page_size, encodings[enc <= 3 ? enc : 1]);
        rc = exec_sql(db, sql, err);
    }
    char value[64];
    if (rc == SEALDB_OK &&
        (rc = query_text(c->src, "PRAGMA auto_vacuum", value, sizeof value, err)) == SEALDB_OK) {
        snprintf(sql, sizeof sql, "PRAGMA auto_vacuum = %d", atoi(value));
        rc = exec_sql(db, sql, err);
    }
    char keyref[33] = "";
    char *uri = rc == SEALDB_OK ? source_uri(c, keyref, err) : NULL;
    if (rc == SEALDB_OK && !uri) {
        rc = SEALDB_ENOMEM;
    }
    if (rc == SEALDB_OK) {
        char *attach = sqlite3_mprintf("ATTACH %Q AS src", uri);
        rc = attach ? exec_sql(db, attach, err) : error_set(err, SEALDB_ENOMEM, "out of memory");
        sqlite3_free(attach);
    }
    sqlite3_free(uri);
    if (keyref[0]) {
        keyref_drop(keyref);
    }
    if (rc == SEALDB_OK && strcmp(c->journal_mode, "wal") == 0) {
        rc = exec_sql(db, "PRAGMA main.journal_mode = WAL", err);
    }
    if (rc == SEALDB_OK) {
        rc = exec_sql(db, "BEGIN", err);
    }
    if (rc == SEALDB_OK) {
        rc = exec_each(db,
                       "SELECT sql FROM src.sqlite_schema WHERE type = 'table' AND rootpage > 0 "
                       "AND sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY "
                       "rowid",
                       err);
    }
    if (rc == SEALDB_OK) {
        rc = copy_tables(db, err);
    }
    engine_fault("export: rows copied");
    if (rc == SEALDB_OK) {
        rc = exec_each(db,
                       "SELECT sql FROM src.sqlite_schema WHERE type = 'index' AND sql IS NOT "
                       "NULL ORDER BY rowid",
                       err);
    }
    if (rc == SEALDB_OK && table_exists(db, "src", "sqlite_sequence")) {
        rc = exec_sql(db,
                      "DELETE FROM main.sqlite_sequence; INSERT INTO main.sqlite_sequence "
                      "SELECT * FROM src.sqlite_sequence",
                      err);
    }
    if (rc == SEALDB_OK && table_exists(db, "src", "sqlite_stat1")) {
        rc = exec_sql(db,
                      "ANALYZE main.sqlite_schema; DELETE FROM main.sqlite_stat1; INSERT INTO "
                      "main.sqlite_stat1 SELECT * FROM src.sqlite_stat1",
                      err);
        if (rc == SEALDB_OK && table_exists(db, "src", "sqlite_stat4") &&
            table_exists(db, "main", "sqlite_stat4")) {
            rc = exec_sql(db,
                          "DELETE FROM main.sqlite_stat4; INSERT INTO main.sqlite_stat4 SELECT * "
                          "FROM src.sqlite_stat4",
                          err);
        }
    }
    if (rc == SEALDB_OK) {
        /* virtual tables: their rows live in the shadow tables copied above */
        rc = exec_sql(db,
                      "PRAGMA main.writable_schema = ON; INSERT INTO main.sqlite_schema(type, "
                      "name, tbl_name, rootpage, sql) SELECT type, name, tbl_name, rootpage, sql "
                      "FROM src.sqlite_schema WHERE type = 'table' AND rootpage = 0 AND sql LIKE "
                      "'CREATE VIRTUAL TABLE%' ORDER BY rowid; PRAGMA main.writable_schema = OFF",
                      err);
    }
    if (rc == SEALDB_OK) {
        rc = exec_each(db,
                       "SELECT sql FROM src.sqlite_schema WHERE type IN ('view', 'trigger') AND "
                       "sql IS NOT NULL ORDER BY rowid",
                       err);
    }
    static const char *const meta[] = {"user_version", "application_id"};
    for (int i = 0; rc == SEALDB_OK && i < 2; i++) {
        char q[64];
        snprintf(q, sizeof q, "PRAGMA src.%s", meta[i]);
        if ((rc = query_text(db, q, value, sizeof value, err)) == SEALDB_OK) {
            snprintf(sql, sizeof sql, "PRAGMA main.%s = %lld", meta[i], atoll(value));
            rc = exec_sql(db, sql, err);
        }
    }
    if (rc == SEALDB_OK) {
        rc = exec_sql(db, "COMMIT", err);
    }
    if (db && sqlite3_get_autocommit(db) == 0) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    if (db) {
        sqlite3_exec(db, "DETACH src", NULL, NULL, NULL);
    }
    if (sqlite3_close(db) != SQLITE_OK && rc == SEALDB_OK) {
        rc = error_set(err, SEALDB_EIO, "closing the new database failed");
    }
    if (rc == SEALDB_OK) {
        const int fd = open(c->tmp, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0) {
            rc = error_set(err, SEALDB_EIO, "cannot sync %s: %s", c->tmp, strerror(errno));
        }
        if (fd >= 0) {
            close(fd);
        }
    }
    return rc;
}

/* Opens the new file as the result will be opened, and compares it with the
 * source: same tables, same row counts, and SQLite's quick check. */
static int check_result(conversion *c, sealdb_error *err)
{
    sqlite3 *db = NULL;
    int rc;
    if (c->to) {
        sealdb_sqlite_config to = *c->to;
        to.cipher = NULL;
        to.layout = SEALDB_LAYOUT_DEFAULT;
        to.keyslots = 0;
        to.flags = SQLITE_OPEN_READONLY;
        rc = sealdb_sqlite_open(c->tmp, &to, &db, err);
    } else {
        rc = sqlite3_open_v2(c->tmp, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
                 ? SEALDB_OK
                 : sql_error(db, err, "cannot open the new database");
    }
    char ok[64];
    if (rc == SEALDB_OK &&
        (rc = query_text(db, "PRAGMA quick_check", ok, sizeof ok, err)) == SEALDB_OK &&
        strcmp(ok, "ok") != 0) {
        rc = error_set(err, SEALDB_ECORRUPT, "the new database fails its check: %s", ok);
    }
    sqlite3_stmt *st = NULL;
    if (rc == SEALDB_OK &&
        sqlite3_prepare_v2(c->src,
                           "SELECT name FROM sqlite_schema WHERE type = 'table' AND rootpage > 0",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = sql_error(c->src, err, "reading the schema failed");
    }
    while (rc == SEALDB_OK && st && sqlite3_step(st) == SQLITE_ROW) {
        char *q = sqlite3_mprintf("SELECT count(*) FROM \"%w\"",
                                  (const char *)sqlite3_column_text(st, 0));
        char a[32], b[32];
        if (!q) {
            rc = error_set(err, SEALDB_ENOMEM, "out of memory");
        } else if ((rc = query_text(c->src, q, a, sizeof a, err)) == SEALDB_OK &&
                   (rc = query_text(db, q, b, sizeof b, err)) == SEALDB_OK && strcmp(a, b) != 0) {
            rc = error_set(err, SEALDB_ECORRUPT,
                           "table %s has %s rows in the new database, %s in the old",
                           (const char *)sqlite3_column_text(st, 0), b, a);
        }
        sqlite3_free(q);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}

static int rename_synced(const char *from, const char *to, sealdb_error *err)
{
    if (rename(from, to) != 0) {
        return error_set(err, SEALDB_EIO, "cannot rename %s to %s: %s", from, to, strerror(errno));
    }
    if (dir_sync(to) != 0) {
        return error_set(err, SEALDB_EIO, "cannot sync the directory of %s: %s", to,
                         strerror(errno));
    }
    return SEALDB_OK;
}

/* After a swap in WAL mode: connections still open on the old file share
 * the wal-index with the new one. One commit to the new database (its
 * user_version rewritten unchanged) changes the wal-index header, so their
 * next transaction reads the new frames, which their old key cannot open:
 * they fail with an error instead of reading the old file on and on. */
static int wal_bump(conversion *c, sealdb_error *err)
{
    sqlite3_exec(c->src, "ROLLBACK", NULL, NULL, NULL);
    sqlite3 *db = NULL;
    int rc;
    if (c->to) {
        sealdb_sqlite_config to = *c->to;
        to.cipher = NULL;
        to.layout = SEALDB_LAYOUT_DEFAULT;
        to.keyslots = 0;
        to.flags = 0;
        rc = sealdb_sqlite_open(c->target, &to, &db, err);
    } else {
        rc = sqlite3_open_v2(c->target, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK
                 ? SEALDB_OK
                 : sql_error(db, err, "cannot open the new database");
    }
    char uv[32];
    if (rc == SEALDB_OK) {
        sqlite3_busy_timeout(db, SWAP_TIMEOUT_MS);
        rc = query_text(db, "PRAGMA user_version", uv, sizeof uv, err);
    }
    if (rc == SEALDB_OK) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %lld", atoll(uv));
        rc = exec_sql(db, sql, err);
    }
    sqlite3_close(db);
    return rc;
}

/* The salt a key-slot file belongs to (bytes 20..35); 0 if unreadable. */
static int slots_salt(const char *path, uint8_t salt[SEAL_SALT_BYTES])
{
    uint8_t head[36];
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    const int ok = full_pread(fd, head, sizeof head, 0) == (int)sizeof head &&
                   memcmp(head, "sealdb keyslots", 16) == 0;
    close(fd);
    if (ok) {
        memcpy(salt, head + 20, SEAL_SALT_BYTES);
    }
    return ok;
}

/* A conversion killed between renaming the new database into place and
 * renaming its slot file leaves that slot file as "-keyslots-next" (which
 * opening falls back to). Before anything else, finish that step when the
 * database's salt says "-next" is its slot file and "-keyslots" is not;
 * otherwise "-next" is a leftover of a conversion that never got to its
 * swap, and goes. */
static int settle_slots(conversion *c, sealdb_error *err)
{
    char *next = str_cat(c->path, KEYSLOTS_SUFFIX "-next");
    char *final = str_cat(c->path, KEYSLOTS_SUFFIX);
    if (!next || !final) {
        free(next);
        free(final);
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    uint8_t salt[SEAL_SALT_BYTES];
    const int slotted = c->info.sealed && c->info.layout == SEALDB_LAYOUT_HARDENED &&
                        c->info.key_kind == SEAL_KEY_SLOTS;
    int rc = SEALDB_OK;
    if (slotted && slots_salt(next, salt) && memcmp(salt, c->info.salt, sizeof salt) == 0 &&
        !(slots_salt(final, salt) && memcmp(salt, c->info.salt, sizeof salt) == 0)) {
        rc = rename_synced(next, final, err);
    } else {
        unlink(next);
    }
    if (strcmp(c->next_slots, next) != 0) {
        unlink(c->next_slots); /* the target's, when it is another file */
    }
    free(next);
    free(final);
    return rc;
}

static int convert(conversion *c, sealdb_error *err)
{
    c->tmp = str_cat(c->target, ".sealdb-tmp");
    c->tmp_slots = c->tmp ? str_cat(c->tmp, KEYSLOTS_SUFFIX) : NULL;
    c->next_slots = str_cat(c->target, KEYSLOTS_SUFFIX "-next");
    c->final_slots = str_cat(c->target, KEYSLOTS_SUFFIX);
    if (!c->tmp || !c->tmp_slots || !c->next_slots || !c->final_slots) {
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    if (!c->in_place && access(c->target, F_OK) == 0) {
        return error_set(err, SEALDB_EINVAL, "%s exists; choose a new file for the output",
                         c->target);
    }
    int rc = open_source(c, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    if (c->to) {
        sealdb_cipher_id cipher = c->info.sealed ? c->info.cipher : 0;
        if (c->to->cipher &&
            (rc = sealdb_cipher_lookup(c->to->cipher, &cipher, err)) != SEALDB_OK) {
            return rc;
        }
        if (!cipher) {
            credential probe;
            if ((rc = cred_from_config(&probe, c->to, err)) != SEALDB_OK) {
                return rc;
            }
            cipher = probe.kind == CRED_KEY && probe.len == 16 ? SEALDB_AEGIS128L : SEALDB_AEGIS256;
            cred_free(&probe);
        }
        c->to_cipher = cipher;
        c->to_layout = c->to->layout != SEALDB_LAYOUT_DEFAULT ? c->to->layout
                       : c->info.sealed                       ? c->info.layout
                                                              : SEALDB_LAYOUT_HARDENED;
        if (c->info.page_size - seal_reserved_bytes(cipher) < 480) {
            return error_set(err, SEALDB_EINVAL,
                             "%s needs pages of at least 1024 bytes; the database has %u-byte "
                             "pages",
                             sealdb_cipher_name(cipher), c->info.page_size);
        }
    }
    if ((rc = hold_source(c, err)) != SEALDB_OK) {
        return rc;
    }
    remove_tmp_files(c->tmp);
    if ((rc = settle_slots(c, err)) != SEALDB_OK) {
        return rc;
    }
    const int reseal =
        c->from && c->to && c->info.reserved == seal_reserved_bytes(c->to_cipher) && c->in_place;
    rc = reseal ? build_resealed(c, err) : build_exported(c, err);
    engine_fault("built");
    if (rc == SEALDB_OK) {
        rc = check_result(c, err);
        /* the check's read-only open of a WAL-mode file leaves an empty
         * WAL and a wal-index named after the temporary file */
        char *w = str_cat(c->tmp, "-wal"), *m = str_cat(c->tmp, "-shm");
        if (w && m) {
            unlink(w);
            unlink(m);
        }
        free(w);
        free(m);
    }
    if (rc == SEALDB_OK && c->to && c->to->keyslots) {
        rc = rename_synced(c->tmp_slots, c->next_slots, err);
    }
    engine_fault("slots staged");
    if (rc == SEALDB_OK && c->in_place) {
        vfs_swap_args args = {.tmp_path = c->tmp,
                              .timeout_ms = SWAP_TIMEOUT_MS,
                              .wal = strcmp(c->journal_mode, "wal") == 0};
        int src = SQLITE_OK;
        if (c->from) {
            src = sqlite3_file_control(c->src, "main", VFS_FCNTL_SWAP, &args);
        } else {
            /* A plain source is not under the sealdb VFS, and neither are
             * the other connections to it: nothing would stop them writing
             * to the old file after the swap. So the swap waits for an
             * exclusive lock, which in WAL mode means no other connection
             * at all, and then marks the old file (magic and change
             * counter) so that a connection that was idle fails its next
             * transaction with "file is not a database". */
            sqlite3_file *file = NULL;
            src = sqlite3_file_control(c->src, "main", SQLITE_FCNTL_FILE_POINTER, &file);
            for (int waited = 0; src == SQLITE_OK; waited++) {
                src = file->pMethods->xLock(file, SQLITE_LOCK_EXCLUSIVE);
                if (src != SQLITE_BUSY || waited >= SWAP_TIMEOUT_MS) {
                    break;
                }
                sqlite3_sleep(1);
            }
            engine_fault("swap: locked");
            if (src == SQLITE_OK) {
                rc = rename_synced(c->tmp, c->path, err);
            } else {
                snprintf(args.msg, sizeof args.msg,
                         "other connections have the database open%s; close them first",
                         args.wal ? " (WAL mode)" : " and kept reading it");
            }
            if (src == SQLITE_OK && rc == SEALDB_OK) {
                static const uint8_t replaced[16] = SEAL_REPLACED_MAGIC;
                uint8_t counter[4];
                file->pMethods->xWrite(file, replaced, sizeof replaced, 0);
                if (file->pMethods->xRead(file, counter, 4, 24) == SQLITE_OK) {
                    counter[3] ^= 0xa5; /* any other value invalidates their caches */
                    file->pMethods->xWrite(file, counter, 4, 24);
                }
            }
        }
        if (src != SQLITE_OK && rc == SEALDB_OK) {
            rc = error_set(err, src == SQLITE_BUSY ? SEALDB_EBUSY : SEALDB_EIO,
                           "cannot put the new database in place: %s", args.msg);
        }
    } else if (rc == SEALDB_OK) {
        if (link(c->tmp, c->target) != 0) {
            rc = error_set(err, SEALDB_EIO, "cannot create %s: %s", c->target, strerror(errno));
        } else {
            unlink(c->tmp);
            if (dir_sync(c->target) != 0) {
                rc = error_set(err, SEALDB_EIO, "cannot sync the directory of %s: %s", c->target,
                               strerror(errno));
            }
        }
    }
    engine_fault("swapped");
    if (rc == SEALDB_OK && c->in_place && strcmp(c->journal_mode, "wal") == 0) {
        rc = wal_bump(c, err);
    }
    if (rc == SEALDB_OK && c->to && c->to->keyslots) {
        rc = rename_synced(c->next_slots, c->final_slots, err);
    } else if (rc == SEALDB_OK && c->in_place) {
        unlink(c->final_slots); /* the old data key's slots: no longer of any use */
    }
    engine_fault("done");
    return rc;
}

static void conversion_end(conversion *c, int rc)
{
    if (c->src) {
        sqlite3_exec(c->src, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close(c->src);
    }
    if (c->tmp && rc != SEALDB_OK) {
        remove_tmp_files(c->tmp);
        if (c->next_slots) {
            unlink(c->next_slots);
        }
    }
    cred_free(&c->from_cred);
    free(c->tmp);
    free(c->tmp_slots);
    free(c->next_slots);
    free(c->final_slots);
}

static int run_conversion(conversion *c, sealdb_error *err)
{
    sealdb_vfs_register(0);
    const int rc = convert(c, err);
    conversion_end(c, rc);
    return rc;
}

int sealdb_rekey(const char *path, const sealdb_sqlite_config *from, const sealdb_sqlite_config *to,
                 sealdb_error *err)
{
    if (!path || !from || !to) {
        return error_set(err, SEALDB_EINVAL, "path, from and to must not be NULL");
    }
    conversion c = {.path = path, .target = path, .in_place = 1, .from = from, .to = to};
    return run_conversion(&c, err);
}

int sealdb_encrypt(const char *path, const char *out, const sealdb_sqlite_config *to,
                   sealdb_error *err)
{
    if (!path || !to) {
        return error_set(err, SEALDB_EINVAL, "path and to must not be NULL");
    }
    conversion c = {.path = path, .target = out ? out : path, .in_place = !out, .to = to};
    return run_conversion(&c, err);
}

int sealdb_decrypt(const char *path, const char *out, const sealdb_sqlite_config *from,
                   sealdb_error *err)
{
    if (!path || !from) {
        return error_set(err, SEALDB_EINVAL, "path and from must not be NULL");
    }
    conversion c = {.path = path, .target = out ? out : path, .in_place = !out, .from = from};
    return run_conversion(&c, err);
}

/* ---- key slots ------------------------------------------------------------------------------ */

static int slotted_salt(const char *path, uint8_t salt[SEAL_SALT_BYTES], sealdb_error *err)
{
    uint8_t hdr[100];
    seal_file_info info;
    int rc = read_header(path, hdr, err);
    if (rc == SEALDB_OK && (rc = seal_header_read(hdr, &info, err)) == SEALDB_OK) {
        if (!info.sealed || info.layout != SEALDB_LAYOUT_HARDENED ||
            info.key_kind != SEAL_KEY_SLOTS) {
            return error_set(err, SEALDB_EINVAL,
                             "%s does not keep its key in key slots; rekey it with key slots "
                             "first",
                             path);
        }
        memcpy(salt, info.salt, SEAL_SALT_BYTES);
    }
    return rc;
}

int sealdb_keyslot_list(const char *path, sealdb_keyslot *slots, int cap, int *count,
                        sealdb_error *err)
{
    if (!path || !count || (cap > 0 && !slots)) {
        return error_set(err, SEALDB_EINVAL, "path, slots and count must not be NULL");
    }
    *count = 0;
    uint8_t salt[SEAL_SALT_BYTES];
    keyslot_info info[KEYSLOTS_MAX];
    int n = 0;
    int rc = slotted_salt(path, salt, err);
    if (rc == SEALDB_OK) {
        rc = keyslots_list(path, salt, info, &n, err);
    }
    for (int i = 0; rc == SEALDB_OK && i < n && i < cap; i++) {
        slots[i].number = info[i].number;
        slots[i].passphrase = info[i].kind == CRED_PASSPHRASE;
        snprintf(slots[i].label, sizeof slots[i].label, "%s", info[i].label);
    }
    *count = n;
    return rc;
}

int sealdb_keyslot_add(const char *path, const sealdb_sqlite_config *auth,
                       const sealdb_sqlite_config *add, const char *label, int *number,
                       sealdb_error *err)
{
    if (!path || !auth || !add) {
        return error_set(err, SEALDB_EINVAL, "path, auth and add must not be NULL");
    }
    uint8_t salt[SEAL_SALT_BYTES];
    int rc = slotted_salt(path, salt, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    credential a, b;
    if ((rc = cred_from_config(&a, auth, err)) != SEALDB_OK) {
        return rc;
    }
    if ((rc = cred_from_config(&b, add, err)) == SEALDB_OK) {
        rc = keyslots_add(path, salt, &a, &b, label, number, err);
        cred_free(&b);
    }
    cred_free(&a);
    return rc;
}

int sealdb_keyslot_remove(const char *path, const sealdb_sqlite_config *auth, int number,
                          sealdb_error *err)
{
    if (!path || !auth) {
        return error_set(err, SEALDB_EINVAL, "path and auth must not be NULL");
    }
    uint8_t salt[SEAL_SALT_BYTES];
    int rc = slotted_salt(path, salt, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    credential a;
    if ((rc = cred_from_config(&a, auth, err)) == SEALDB_OK) {
        rc = keyslots_remove(path, salt, &a, number, err);
        cred_free(&a);
    }
    return rc;
}
