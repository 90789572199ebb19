/*
 * pager_faultio.h - a pager_io for tests: wraps another one (normally
 * pager_io_default()) and can fail or tear any call and simulate a crash.
 *
 * It counts every call (open, exists, remove, read, write, sync, truncate,
 * size, lock, unlock; not close) from 1. Faults:
 * - faultio_fail_at(N, kind): call N fails once: EIO; ENOSPC; or SHORT (a
 *   write stores its first half, then fails with ENOSPC). A failed sync
 *   leaves the writes before it unsynced.
 * - faultio_crash_at(N, power_loss): call N never returns normally: the
 *   process "dies" there (a write in progress counts as issued), and every
 *   later call fails with EIO. With power_loss, faultio_restore() then
 *   rewrites the files as a power cut would leave them: what was synced,
 *   plus each write issued since the file's last sync either kept, dropped
 *   or torn (a random subset of its 512-byte sectors), each truncation kept
 *   or dropped, chosen by the seed. Without power_loss, everything issued
 *   stays (a killed process).
 * Syncs are modelled, not passed on: the files' real durability does not
 * matter to a test, and thousands of fsyncs would only make it slow.
 */
#ifndef SEALDB_TEST_PAGER_FAULTIO_H
#define SEALDB_TEST_PAGER_FAULTIO_H

#include <stdint.h>

#include "pager.h"

typedef struct faultio faultio;

enum { FAULT_EIO = 1, FAULT_ENOSPC = 2, FAULT_SHORT = 3 };

/* Which calls a fault may be limited to (faultio_fail_nth). */
enum {
    FIO_OPEN = 1,
    FIO_READ = 2,
    FIO_WRITE = 4,
    FIO_SYNC = 8,
    FIO_TRUNCATE = 16,
    FIO_SIZE = 32,
    FIO_LOCK = 64,
    FIO_OTHER = 128,
    FIO_ANY = 255
};

faultio *faultio_new(const pager_io *under, uint64_t seed);
void faultio_free(faultio *f); /* every file opened through it must be closed */
const pager_io *faultio_io(faultio *f);

/* Call number n (counted from now on, over the calls in ops) fails once. */
void faultio_fail_nth(faultio *f, unsigned ops, uint64_t n, int kind);
/* How many of those one-shot faults have fired. */
uint64_t faultio_failed(faultio *f);
/* Call number n (of all calls, counted since faultio_new) crashes. */
void faultio_crash_at(faultio *f, uint64_t n, int power_loss);
uint64_t faultio_calls(const faultio *f);
int faultio_crashed(const faultio *f);
/* After a crash, with every file closed: writes the files as the crash
 * left them. Returns 0, or -1 if a file could not be rewritten. */
int faultio_restore(faultio *f);
/* Writes since the last sync, in bytes, over all files (a check that a
 * durability mode syncs when it says so). */
uint64_t faultio_unsynced(const faultio *f);

#endif
