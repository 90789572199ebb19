/*
 * pager_faultio.c - the tests' fault-injecting pager_io (pager_faultio.h).
 *
 * Each file path has a model: the bytes as of its last sync ("durable")
 * and the writes and truncations issued since ("pending"), in order. A
 * sync folds the pending operations into the durable image. Reads go to
 * the real file, which holds everything issued, like the OS page cache.
 * A sync that fails loses the pending operations: they stay readable but
 * never become durable (as a kernel may mark pages it could not write
 * clean, so that no later sync writes them).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pager_faultio.h"

typedef struct pending_op {
    uint64_t off;  /* write offset, or truncation size */
    uint8_t *data; /* NULL: a truncation */
    size_t len;
} pending_op;

typedef struct file_model {
    char *path;
    uint8_t *durable;
    size_t dlen;
    pending_op *ops;
    size_t nops, cap;
} file_model;

struct faultio {
    pager_io io;
    const pager_io *under;
    pthread_mutex_t mu;
    uint64_t rng;
    uint64_t calls;
    unsigned fail_ops;
    uint64_t fail_n; /* 0: none */
    int fail_kind;
    uint64_t failed; /* one-shot faults that fired */
    uint64_t crash_n;
    int power_loss;
    int crashed;
    file_model *models;
    size_t nmodels;
};

typedef struct ffile {
    pager_file base;
    pager_file *under;
    faultio *fio;
    size_t model; /* index in fio->models */
} ffile;

static uint64_t next_rand(faultio *f)
{
    uint64_t z = (f->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        abort();
    }
    return q;
}

static void apply_write(uint8_t **img, size_t *len, uint64_t off, const uint8_t *data, size_t n)
{
    if (off + n > *len) {
        *img = xrealloc(*img, (size_t)(off + n));
        memset(*img + *len, 0, (size_t)(off + n - *len));
        *len = (size_t)(off + n);
    }
    memcpy(*img + off, data, n);
}

static void apply_truncate(uint8_t **img, size_t *len, uint64_t size)
{
    if (size < *len) {
        *len = (size_t)size;
    } else if (size > *len) {
        *img = xrealloc(*img, (size_t)size);
        memset(*img + *len, 0, (size_t)(size - *len));
        *len = (size_t)size;
    }
}

static void model_fold(file_model *m)
{
    for (size_t i = 0; i < m->nops; i++) {
        pending_op *op = &m->ops[i];
        if (op->data) {
            apply_write(&m->durable, &m->dlen, op->off, op->data, op->len);
            free(op->data);
        } else {
            apply_truncate(&m->durable, &m->dlen, op->off);
        }
    }
    m->nops = 0;
}

static void model_drop(file_model *m)
{
    for (size_t i = 0; i < m->nops; i++) {
        free(m->ops[i].data);
    }
    m->nops = 0;
}

static void model_push(file_model *m, uint64_t off, const void *data, size_t len)
{
    if (m->nops == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 16;
        m->ops = xrealloc(m->ops, sizeof *m->ops * m->cap);
    }
    pending_op *op = &m->ops[m->nops++];
    op->off = off;
    op->len = len;
    op->data = NULL;
    if (data) {
        op->data = xrealloc(NULL, len);
        memcpy(op->data, data, len);
    }
}

/* The model of path, made from the file's current bytes when new. */
static size_t model_of(faultio *f, const char *path, pager_file *uf)
{
    for (size_t i = 0; i < f->nmodels; i++) {
        if (strcmp(f->models[i].path, path) == 0) {
            return i;
        }
    }
    f->models = xrealloc(f->models, sizeof *f->models * (f->nmodels + 1));
    file_model *m = &f->models[f->nmodels];
    memset(m, 0, sizeof *m);
    m->path = strdup(path);
    uint64_t size = 0;
    if (uf && uf->io->size(uf, &size) == SEALDB_OK && size > 0) {
        m->durable = xrealloc(NULL, (size_t)size);
        m->dlen = (size_t)size;
        uf->io->read(uf, m->durable, (size_t)size, 0);
    }
    return f->nmodels++;
}

/* Counts a call; says whether it crashes (1) or fails (2). */
static int step(faultio *f, unsigned op)
{
    if (f->crashed) {
        return 1;
    }
    f->calls++;
    if (f->crash_n && f->calls == f->crash_n) {
        f->crashed = 1;
        return 1;
    }
    if (f->fail_n && (f->fail_ops & op)) {
        if (--f->fail_n == 0) {
            f->failed++;
            return 2;
        }
    }
    return 0;
}

static int fail_code(int kind)
{
    pager_io_set_errno(kind == FAULT_EIO ? EIO : ENOSPC);
    return SEALDB_EIO;
}

static int f_open(const pager_io *io, const char *path, pager_file_kind kind, int create,
                  pager_file **out)
{
    faultio *f = io->ctx;
    *out = NULL;
    pthread_mutex_lock(&f->mu);
    const int s = step(f, FIO_OPEN);
    pthread_mutex_unlock(&f->mu);
    if (s) {
        return fail_code(FAULT_EIO);
    }
    pager_file *uf = NULL;
    const int rc = f->under->open(f->under, path, kind, create, &uf);
    if (rc != SEALDB_OK) {
        return rc;
    }
    ffile *ff = calloc(1, sizeof *ff);
    if (!ff) {
        uf->io->close(uf);
        return SEALDB_ENOMEM;
    }
    ff->base.io = io;
    ff->under = uf;
    ff->fio = f;
    pthread_mutex_lock(&f->mu);
    ff->model = model_of(f, path, uf);
    pthread_mutex_unlock(&f->mu);
    *out = &ff->base;
    return SEALDB_OK;
}

static int f_exists(const pager_io *io, const char *path, int *out)
{
    faultio *f = io->ctx;
    pthread_mutex_lock(&f->mu);
    const int s = step(f, FIO_OTHER);
    pthread_mutex_unlock(&f->mu);
    if (s) {
        return fail_code(FAULT_EIO);
    }
    return f->under->exists(f->under, path, out);
}

static int f_remove(const pager_io *io, const char *path)
{
    faultio *f = io->ctx;
    pthread_mutex_lock(&f->mu);
    const int s = step(f, FIO_OTHER);
    if (!s) {
        for (size_t i = 0; i < f->nmodels; i++) {
            if (strcmp(f->models[i].path, path) == 0) {
                /* a removal is modelled as a truncation to nothing */
                model_push(&f->models[i], 0, NULL, 0);
            }
        }
    }
    pthread_mutex_unlock(&f->mu);
    if (s) {
        return fail_code(FAULT_EIO);
    }
    return f->under->remove(f->under, path);
}

static int f_read(pager_file *pf, void *buf, size_t n, uint64_t off)
{
    ffile *ff = (ffile *)pf;
    faultio *f = ff->fio;
    pthread_mutex_lock(&f->mu);
    const int s = step(f, FIO_READ);
    const int kind = f->fail_kind;
    pthread_mutex_unlock(&f->mu);
    if (s) {
        memset(buf, 0, n);
        return fail_code(s == 1 ? FAULT_EIO : kind);
    }
    return ff->under->io->read(ff->under, buf, n, off);
}

static int f_write(pager_file *pf, const void *buf, size_t n, uint64_t off)
{
    ffile *ff = (ffile *)pf;
    faultio *f = ff->fio;
    pthread_mutex_lock(&f->mu);
    const int s = step(f, FIO_WRITE);
    const int kind = f->fail_kind;
    file_model *m = &f->models[ff->model];
    size_t keep = n;
    if (s == 1) {
        /* the process dies in the middle of this write: it counts as issued */
        if (f->calls == f->crash_n) {
            model_push(m, off, buf, n);
        }
        pthread_mutex_unlock(&f->mu);
        return fail_code(FAULT_EIO);
    }
    if (s == 2) {
        keep = kind == FAULT_SHORT ? n / 2 : 0;
    }
    if (keep) {
        model_push(m, off, buf, keep);
    }
    pthread_mutex_unlock(&f->mu);
    int rc = keep ? ff->under->io->write(ff->under, buf, keep, off) : SEALDB_OK;
    if (rc != SEALDB_OK) {
        return rc;
    }
    return s == 2 ? fail_code(kind) : SEALDB_OK;
}

static int f_sync(pager_file *pf, int full)
{
    (void)full;
    ffile *ff = (ffile *)pf;
    faultio *f = ff->fio;
    pthread_mutex_lock(&f->mu);
    const int s = step(f, FIO_SYNC);
    const int kind = f->fail_kind;
    if (!s) {
        model_fold(&f->models[ff->model]);
    } else if (s != 1) {
        model_drop(&f->models[ff->model]); /* a fault, not the crash */
    }
    pthread_mutex_unlock(&f->mu);
    return s ? fail_code(s == 1 ? FAULT_EIO : kind) : SEALDB_OK;
}

static int f_truncate(pager_file *pf, uint64_t size)
{
    ffile *ff = (ffile *)pf;
    faultio *f = ff->fio;
    pthread_mutex_lock(&f->mu);
    const int s = step(f, FIO_TRUNCATE);
    const int kind = f->fail_kind;
    if (!s) {
        model_push(&f->models[ff->model], size, NULL, 0);
    }
    pthread_mutex_unlock(&f->mu);
    if (s) {
        return fail_code(s == 1 ? FAULT_EIO : kind);
    }
    return ff->under->io->truncate(ff->under, size);
}

static int f_size(pager_file *pf, uint64_t *size)
{
    ffile *ff = (ffile *)pf;
    faultio *f = ff->fio;
    pthread_mutex_lock(&f->mu);
    const int s = step(f, FIO_SIZE);
    const int kind = f->fail_kind;
    pthread_mutex_unlock(&f->mu);
    if (s) {
        *size = 0;
        return fail_code(s == 1 ? FAULT_EIO : kind);
    }
    return ff->under->io->size(ff->under, size);
}

static int f_lock(pager_file *pf, int level)
{
    ffile *ff = (ffile *)pf;
    faultio *f = ff->fio;
    pthread_mutex_lock(&f->mu);
    const int s = step(f, FIO_LOCK);
    pthread_mutex_unlock(&f->mu);
    return s ? fail_code(FAULT_EIO) : ff->under->io->lock(ff->under, level);
}

static int f_unlock(pager_file *pf, int level)
{
    ffile *ff = (ffile *)pf;
    faultio *f = ff->fio;
    pthread_mutex_lock(&f->mu);
    const int s = step(f, FIO_LOCK);
    pthread_mutex_unlock(&f->mu);
    /* the lock goes in any case: a dead process holds none */
    const int rc = ff->under->io->unlock(ff->under, level);
    return s ? fail_code(FAULT_EIO) : rc;
}

static void f_close(pager_file *pf)
{
    if (!pf) {
        return;
    }
    ffile *ff = (ffile *)pf;
    ff->under->io->close(ff->under);
    free(ff);
}

faultio *faultio_new(const pager_io *under, uint64_t seed)
{
    faultio *f = calloc(1, sizeof *f);
    if (!f) {
        abort();
    }
    f->under = under;
    f->rng = seed;
    pthread_mutex_init(&f->mu, NULL);
    f->io = (pager_io){.ctx = f,
                       .open = f_open,
                       .exists = f_exists,
                       .remove = f_remove,
                       .read = f_read,
                       .write = f_write,
                       .sync = f_sync,
                       .truncate = f_truncate,
                       .size = f_size,
                       .lock = f_lock,
                       .unlock = f_unlock,
                       .close = f_close};
    return f;
}

void faultio_free(faultio *f)
{
    if (!f) {
        return;
    }
    for (size_t i = 0; i < f->nmodels; i++) {
        file_model *m = &f->models[i];
        for (size_t k = 0; k < m->nops; k++) {
            free(m->ops[k].data);
        }
        free(m->ops);
        free(m->durable);
        free(m->path);
    }
    free(f->models);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

const pager_io *faultio_io(faultio *f)
{
    return &f->io;
}

uint64_t faultio_failed(faultio *f)
{
    pthread_mutex_lock(&f->mu);
    const uint64_t n = f->failed;
    pthread_mutex_unlock(&f->mu);
    return n;
}

void faultio_fail_nth(faultio *f, unsigned ops, uint64_t n, int kind)
{
    pthread_mutex_lock(&f->mu);
    f->fail_ops = ops;
    f->fail_n = n;
    f->fail_kind = kind;
    pthread_mutex_unlock(&f->mu);
}

void faultio_crash_at(faultio *f, uint64_t n, int power_loss)
{
    pthread_mutex_lock(&f->mu);
    f->crash_n = n;
    f->power_loss = power_loss;
    pthread_mutex_unlock(&f->mu);
}

uint64_t faultio_calls(const faultio *f)
{
    return f->calls;
}

int faultio_crashed(const faultio *f)
{
    return f->crashed;
}

uint64_t faultio_unsynced(const faultio *f)
{
    uint64_t n = 0;
    for (size_t i = 0; i < f->nmodels; i++) {
        for (size_t k = 0; k < f->models[i].nops; k++) {
            n += f->models[i].ops[k].data ? f->models[i].ops[k].len : 0;
        }
    }
    return n;
}

/* The file as a power cut leaves it. */
static void cut(faultio *f, file_model *m, uint8_t **img, size_t *len)
{
    *len = m->dlen;
    *img = xrealloc(NULL, m->dlen);
    if (m->dlen) {
        memcpy(*img, m->durable, m->dlen);
    }
    for (size_t i = 0; i < m->nops; i++) {
        const pending_op *op = &m->ops[i];
        const unsigned r = (unsigned)(next_rand(f) % 4);
        if (!op->data) {
            if (r < 2) {
                apply_truncate(img, len, op->off);
            }
            continue;
        }
        if (r < 2) {
            apply_write(img, len, op->off, op->data, op->len);
        } else if (r == 3) {
            /* torn: some 512-byte pieces arrive, others do not */
            for (size_t at = 0; at < op->len; at += 512) {
                const size_t n = op->len - at < 512 ? op->len - at : 512;
                if (next_rand(f) & 1) {
                    apply_write(img, len, op->off + at, op->data + at, n);
                }
            }
        }
    }
}

int faultio_restore(faultio *f)
{
    if (!f->crashed || !f->power_loss) {
        return 0; /* a killed process: the files hold everything issued */
    }
    int status = 0;
    for (size_t i = 0; i < f->nmodels; i++) {
        file_model *m = &f->models[i];
        uint8_t *img;
        size_t len;
        cut(f, m, &img, &len);
        pager_file *uf = NULL;
        if (f->under->open(f->under, m->path, PAGER_FILE_DB, 1, &uf) != SEALDB_OK ||
            uf->io->truncate(uf, 0) != SEALDB_OK ||
            (len && uf->io->write(uf, img, len, 0) != SEALDB_OK)) {
            status = -1;
        }
        if (uf) {
            uf->io->close(uf);
        }
        free(img);
    }
    return status;
}
