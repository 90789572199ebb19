/*
 * io.c - the pager's default I/O layer: SQLite's default VFS underneath.
 *
 * Why SQLite's VFS and not file descriptors of our own: POSIX record locks
 * belong to the process, and closing any descriptor of a file drops all of
 * the process's locks on it. SQLite's unix VFS keeps one record per inode
 * for all its handles, counts the locks of every connection in the process
 * and defers closing descriptors that would drop a lock. Going through it,
 * the pager's locks exclude SQLite connections in this process as well as
 * in others, and nothing the pager opens or closes disturbs theirs.
 *
 * Invariants:
 * - Reads and writes go to the handle SQLite's VFS opened. Several threads
 *   may read at once when the VFS uses pread/pwrite (it says so through its
 *   system-call table); otherwise each file serialises its I/O.
 * - A read past the end of the file gives zeros and SEALDB_OK, as SQLite's
 *   SQLITE_IOERR_SHORT_READ promises.
 * - Reads of a file the unix VFS opened go straight to its descriptor with
 *   pread, once the descriptor is proven to be that file (see direct_fd);
 *   everything else (writes, syncs, locks, closing) goes through the VFS.
 * - The full path name given to the VFS lives as long as the handle (the
 *   unix VFS keeps the pointer), with the extra NULs SQLite's file names
 *   carry.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pager.h"

typedef struct vfs_file {
    pager_file base;
    sqlite3_vfs *vfs;
    char *name;         /* the full path name, owned */
    int serial;         /* the VFS does not use pread: one I/O at a time */
    int fd;             /* the unix VFS's descriptor for reads, or -1 */
    pthread_mutex_t mu; /* for serial */
    sqlite3_file *f;    /* vfs->szOsFile bytes, allocated with the struct */
} vfs_file;

static sqlite3_vfs *vfs_of(const pager_io *io)
{
    return io->ctx ? (sqlite3_vfs *)io->ctx : sqlite3_vfs_find(NULL);
}

static int errno_of(int rc, int saved)
{
    switch (rc & 0xff) {
    case SQLITE_FULL: return ENOSPC;
    case SQLITE_CANTOPEN: return saved ? saved : ENOENT;
    case SQLITE_NOMEM: return ENOMEM;
    default: return saved ? saved : EIO;
    }
}

static _Thread_local int io_errno;

int pager_io_errno(void)
{
    return io_errno;
}

void pager_io_set_errno(int e)
{
    io_errno = e;
}

/* SEALDB code of a SQLite result; records the errno on failure. */
static int code_of(int rc)
{
    const int saved = errno;
    if (rc == SQLITE_OK) {
        return SEALDB_OK;
    }
    if ((rc & 0xff) == SQLITE_BUSY) {
        return SEALDB_EBUSY;
    }
    if ((rc & 0xff) == SQLITE_NOMEM) {
        return SEALDB_ENOMEM;
    }
    io_errno = errno_of(rc, saved);
    return SEALDB_EIO;
}

static int vfs_uses_pread(sqlite3_vfs *vfs)
{
    if (vfs->iVersion < 3 || !vfs->xGetSystemCall) {
        return 0;
    }
    return vfs->xGetSystemCall(vfs, "pread") != NULL || vfs->xGetSystemCall(vfs, "pread64") != NULL;
}

/* The descriptor the unix VFS opened for f, or -1. A read through the VFS
 * costs three calls and their checks on top of the pread; a miss in the
 * page cache is mostly that pread, so the pager reads the descriptor
 * itself. SQLite has no call that gives it: the unix VFS's file starts with
 * its methods, its VFS and its inode record, then the descriptor, a layout
 * SQLite has kept for many releases. The value is used only when it is an
 * open descriptor of the very file at the path (same device and inode, a
 * regular file) that allows reading; otherwise reads stay with the VFS. The
 * descriptor is never closed here: the VFS owns it and its POSIX locks. */
static int direct_fd(sqlite3_vfs *vfs, sqlite3_file *f, const char *name)
{
    const char *vn = vfs->zName ? vfs->zName : "";
    if (strncmp(vn, "unix", 4) != 0 || (vn[4] != 0 && vn[4] != '-') ||
        vfs->szOsFile < (int)(3 * sizeof(void *) + sizeof(int))) {
        return -1;
    }
    int fd;
    memcpy(&fd, (const uint8_t *)f + 3 * sizeof(void *), sizeof fd);
    struct stat a, b;
    if (fd < 0 || fstat(fd, &a) != 0 || stat(name, &b) != 0 || a.st_dev != b.st_dev ||
        a.st_ino != b.st_ino || !S_ISREG(a.st_mode)) {
        return -1;
    }
    const int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (fl & O_ACCMODE) == O_WRONLY) {
        return -1;
    }
    return fd;
}

/* A full path name with SQLite's trailing NULs (no URI parameters). */
static char *full_name(sqlite3_vfs *vfs, const char *path)
{
    char *full = calloc(1, (size_t)vfs->mxPathname + 4);
    if (full && vfs->xFullPathname(vfs, path, vfs->mxPathname + 1, full) != SQLITE_OK) {
        free(full);
        return NULL;
    }
    return full;
}

static int io_open(const pager_io *io, const char *path, pager_file_kind kind, int create,
                   pager_file **out)
{
    *out = NULL;
    sqlite3_vfs *vfs = vfs_of(io);
    if (!vfs) {
        return SEALDB_EIO;
    }
    vfs_file *vf = calloc(1, sizeof *vf + (size_t)vfs->szOsFile + 16);
    if (!vf) {
        return SEALDB_ENOMEM;
    }
    vf->base.io = io;
    vf->vfs = vfs;
    vf->f = (sqlite3_file *)(void *)((uint8_t *)vf + ((sizeof *vf + 15) & ~(size_t)15));
    vf->name = full_name(vfs, path);
    if (!vf->name) {
        free(vf);
        return SEALDB_ENOMEM;
    }
    int flags = kind == PAGER_FILE_DB    ? SQLITE_OPEN_MAIN_DB
                : kind == PAGER_FILE_WAL ? SQLITE_OPEN_WAL
                                         : SQLITE_OPEN_MAIN_JOURNAL;
    flags |= kind == PAGER_FILE_JOURNAL ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (create && kind != PAGER_FILE_JOURNAL) {
        flags |= SQLITE_OPEN_CREATE;
    }
    int out_flags = 0;
    errno = 0;
    const int rc = vfs->xOpen(vfs, vf->name, vf->f, flags, &out_flags);
    if (rc != SQLITE_OK) {
        const int e = errno_of(rc, errno);
        if (vf->f->pMethods) {
            vf->f->pMethods->xClose(vf->f);
        }
        free(vf->name);
        free(vf);
        io_errno = e;
        return (rc & 0xff) == SQLITE_NOMEM ? SEALDB_ENOMEM : SEALDB_EIO;
    }
    vf->serial = !vfs_uses_pread(vfs);
    vf->fd = vf->serial ? -1 : direct_fd(vfs, vf->f, vf->name);
    pthread_mutex_init(&vf->mu, NULL);
    *out = &vf->base;
    return SEALDB_OK;
}

static int io_exists(const pager_io *io, const char *path, int *out)
{
    sqlite3_vfs *vfs = vfs_of(io);
    char *full = full_name(vfs, path);
    if (!full) {
        return SEALDB_ENOMEM;
    }
    int res = 0;
    const int rc = vfs->xAccess(vfs, full, SQLITE_ACCESS_EXISTS, &res);
    free(full);
    *out = res != 0;
    return rc == SQLITE_OK ? SEALDB_OK : SEALDB_EIO;
}

static int io_remove(const pager_io *io, const char *path)
{
    sqlite3_vfs *vfs = vfs_of(io);
    char *full = full_name(vfs, path);
    if (!full) {
        return SEALDB_ENOMEM;
    }
    const int rc = vfs->xDelete(vfs, full, 0);
    free(full);
    return rc == SQLITE_OK || rc == SQLITE_IOERR_DELETE_NOENT ? SEALDB_OK : SEALDB_EIO;
}

static void serial_lock(vfs_file *vf)
{
    if (vf->serial) {
        pthread_mutex_lock(&vf->mu);
    }
}

static void serial_unlock(vfs_file *vf)
{
    if (vf->serial) {
        pthread_mutex_unlock(&vf->mu);
    }
}

/* The unix VFS moves at most 128 KiB per call (it masks the length with
 * 0x1ffff: SQLite's pages are never larger), so transfers go in pieces. */
#define IO_CHUNK 65536u

/* io_read on the VFS's descriptor: what its xRead gives (zeros past the
 * end of the file, EINTR retried). */
static int fd_read(vfs_file *vf, uint8_t *buf, size_t n, uint64_t off)
{
    size_t done = 0;
    while (done < n) {
        const ssize_t got = pread(vf->fd, buf + done, n - done, (off_t)(off + done));
        if (got > 0) {
            done += (size_t)got;
        } else if (got == 0) {
            memset(buf + done, 0, n - done);
            break;
        } else if (errno != EINTR) {
            io_errno = errno;
            return SEALDB_EIO;
        }
    }
    return SEALDB_OK;
}

static int io_read(pager_file *f, void *buf, size_t n, uint64_t off)
{
    vfs_file *vf = (vfs_file *)f;
    if (vf->fd >= 0) {
        return fd_read(vf, buf, n, off);
    }
    int rc = SQLITE_OK;
    serial_lock(vf);
    for (size_t done = 0; done < n && rc == SQLITE_OK;) {
        const size_t piece = n - done < IO_CHUNK ? n - done : IO_CHUNK;
        errno = 0;
        rc = vf->f->pMethods->xRead(vf->f, (uint8_t *)buf + done, (int)piece,
                                    (sqlite3_int64)(off + done));
        if (rc == SQLITE_IOERR_SHORT_READ) {
            rc = SQLITE_OK; /* the rest is zeros, and so is every later piece */
            memset((uint8_t *)buf + done + piece, 0, n - done - piece);
            break;
        }
        done += piece;
    }
    serial_unlock(vf);
    return code_of(rc);
}

static int io_write(pager_file *f, const void *buf, size_t n, uint64_t off)
{
    vfs_file *vf = (vfs_file *)f;
    int rc = SQLITE_OK;
    serial_lock(vf);
    for (size_t done = 0; done < n && rc == SQLITE_OK;) {
        const size_t piece = n - done < IO_CHUNK ? n - done : IO_CHUNK;
        errno = 0;
        rc = vf->f->pMethods->xWrite(vf->f, (const uint8_t *)buf + done, (int)piece,
                                     (sqlite3_int64)(off + done));
        done += piece;
    }
    serial_unlock(vf);
    return code_of(rc);
}

static int io_sync(pager_file *f, int full)
{
    vfs_file *vf = (vfs_file *)f;
    errno = 0;
    const int rc = vf->f->pMethods->xSync(vf->f, full ? SQLITE_SYNC_FULL
                                                      : SQLITE_SYNC_NORMAL | SQLITE_SYNC_DATAONLY);
    return code_of(rc);
}

static int io_truncate(pager_file *f, uint64_t size)
{
    vfs_file *vf = (vfs_file *)f;
    serial_lock(vf);
    errno = 0;
    const int rc = vf->f->pMethods->xTruncate(vf->f, (sqlite3_int64)size);
    serial_unlock(vf);
    return code_of(rc);
}

static int io_size(pager_file *f, uint64_t *size)
{
    vfs_file *vf = (vfs_file *)f;
    sqlite3_int64 s = 0;
    errno = 0;
    const int rc = vf->f->pMethods->xFileSize(vf->f, &s);
    *size = rc == SQLITE_OK && s > 0 ? (uint64_t)s : 0;
    return code_of(rc);
}

static int io_lock(pager_file *f, int level)
{
    vfs_file *vf = (vfs_file *)f;
    errno = 0;
    return code_of(vf->f->pMethods->xLock(vf->f, level));
}

static int io_unlock(pager_file *f, int level)
{
    vfs_file *vf = (vfs_file *)f;
    errno = 0;
    return code_of(vf->f->pMethods->xUnlock(vf->f, level));
}

static void io_close(pager_file *f)
{
    if (!f) {
        return;
    }
    vfs_file *vf = (vfs_file *)f;
    vf->f->pMethods->xClose(vf->f);
    pthread_mutex_destroy(&vf->mu);
    free(vf->name);
    free(vf);
}

static const pager_io default_io = {
    .ctx = NULL,
    .open = io_open,
    .exists = io_exists,
    .remove = io_remove,
    .read = io_read,
    .write = io_write,
    .sync = io_sync,
    .truncate = io_truncate,
    .size = io_size,
    .lock = io_lock,
    .unlock = io_unlock,
    .close = io_close,
};

const pager_io *pager_io_default(void)
{
    return &default_io;
}
