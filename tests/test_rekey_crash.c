/*
 * test_rekey_crash.c - the in-place conversions (sealdb_rekey, and
 * sealdb_encrypt with no output file) are crash-safe: killed at any instant,
 * the database opens afterwards under exactly one of the old or the new key,
 * with every row committed before the conversion.
 *
 * The conversion runs in a child process, which is killed in two ways:
 * - fault injection, exhaustively: engine_fault_hook (engine/engine.h) ends
 *   the child with _exit(99) at its N-th fault point, for every N from 1 to
 *   the number of points a full run reaches (no atexit handlers, no buffered
 *   flushes: as if the process died there); N one past the end lets the run
 *   finish (exit 0);
 * - SIGKILL from the parent, after a seeded pseudo-random delay between 0
 *   and the time one conversion takes, on a database big enough for that to
 *   be 100-300 ms.
 * After every kill the parent checks what is on disk:
 * - exactly one key source opens it: the other gets SEALDB_EWRONGKEY (a
 *   plain database opens in plain SQLite while the new key gets
 *   SEALDB_ENOTSEALED; a sealed one makes plain SQLite say SQLITE_NOTADB);
 *   with fault injection, which one is known exactly: the old key before
 *   the rename that puts the new file in place, the new key from then on;
 * - the rows are exactly those committed before the conversion (the ones
 *   still in the WAL included), and PRAGMA integrity_check says "ok";
 * - it takes a write: a row inserted, committed and read back;
 * - a second conversion, run to the end on whatever the kill left behind
 *   (temporary files, a staged key-slot file), succeeds; the database then
 *   opens under the new key only, with the same rows plus the written one,
 *   and no temporary file is left.
 * The second conversion must be as crash-safe as the first: where the
 * first kill leaves a staged key-slot file in charge (key-slot scenarios,
 * killed from the rename of the new file on), and after every first kill
 * with the argument "twice", the second run is killed at each of its fault
 * points in turn too, with the same checks.
 *
 * Usage: test_rekey_crash [SIGKILL iterations per scenario (30)] [seed] [twice]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "engine.h"
#include "sealdb.h"

static char dir[256];
static int keep_dir; /* a check failed: keep the files for a look */

/* the old key and the new one */
#define KEY_A "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define KEY_B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

/* The files of a database: its own first, then a conversion's temporaries. */
static const char *const FILES[] = {"",
                                    "-wal",
                                    "-shm",
                                    "-journal",
                                    "-keyslots",
                                    "-keyslots-next",
                                    ".sealdb-tmp",
                                    ".sealdb-tmp-wal",
                                    ".sealdb-tmp-shm",
                                    ".sealdb-tmp-journal",
                                    ".sealdb-tmp-keyslots"};
#define NFILES (sizeof FILES / sizeof FILES[0])
#define FIRST_TMP 6 /* FILES[FIRST_TMP..] are temporary; -keyslots-next is staged */

static const char *path_of(const char *name)
{
    static char buf[4][512];
    static int at;
    at = (at + 1) % 4;
    snprintf(buf[at], sizeof buf[at], "%s/%s", dir, name);
    return buf[at];
}

static const char *file_of(const char *name, size_t i)
{
    static char buf[2][600];
    static int at;
    at = (at + 1) % 2;
    snprintf(buf[at], sizeof buf[at], "%s/%s%s", dir, name, FILES[i]);
    return buf[at];
}

static void remove_db(const char *name)
{
    for (size_t i = 0; i < NFILES; i++) {
        unlink(file_of(name, i));
    }
}

static int exists(const char *name, const char *suffix)
{
    char p[600];
    snprintf(p, sizeof p, "%s%s", path_of(name), suffix);
    return access(p, F_OK) == 0;
}

/* Copies one file; a missing source is no error (and copies nothing). */
static void copy_file(const char *from, const char *to)
{
    const int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        CHECK_INT(errno, ENOENT);
        return;
    }
    const int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CHECK(out >= 0);
    static char buf[1 << 20];
    ssize_t n;
    while (out >= 0 && (n = read(in, buf, sizeof buf)) > 0) {
        CHECK_INT(write(out, buf, (size_t)n), n);
    }
    close(in);
    if (out >= 0) {
        close(out);
    }
}

/* Every file of database `from` (temporaries included) as database `to`. */
static void copy_db(const char *from, const char *to)
{
    remove_db(to);
    for (size_t i = 0; i < NFILES; i++) {
        char src[600];
        snprintf(src, sizeof src, "%s", file_of(from, i));
        copy_file(src, file_of(to, i));
    }
}

static int exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    const int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "  sql error (%d) %s in: %.100s\n", rc, msg ? msg : "", sql);
    }
    sqlite3_free(msg);
    return rc;
}

static void query1(sqlite3 *db, const char *sql, char *out, size_t cap)
{
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(out, cap, "error: %s", sqlite3_errmsg(db));
        return;
    }
    const int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, cap, "%s", t ? (const char *)t : "NULL");
    } else if (rc != SQLITE_DONE) {
        snprintf(out, cap, "error %d: %s", rc, sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- the rows -------------------------------------------------------------------------------- */

/* Table t holds rows i = 1..n: id 3i, a i*i, b 'row %05d ' and the hex of
 * `blob` zero bytes (n < 100000). Table w takes the rows written after a
 * kill. The digest of t is then, exactly,
 *   n : 3n(n+1)/2 : n(n+1)(2n+1)/6 : n(10 + 2 blob) : b of row 1000. */
static const char *SCHEMA = "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT);"
                            "CREATE TABLE w(x TEXT)";
static const char *INDEX = "CREATE INDEX t_a ON t(a)";
static const char *DIGEST = "SELECT count(*) || ':' || sum(id) || ':' || sum(a) || ':' || "
                            "sum(length(b)) || ':' || (SELECT b FROM t WHERE id = 3000) FROM t";
static const char *WRITTEN = "SELECT ifnull(group_concat(x, ','), '') FROM w";
/* The digest for the small database of the fault-injection runs. */
#define SMALL_ROWS 3000
#define SMALL_BLOB 40
static const char *EXPECTED = "3000:13504500:9004500500:270000:row 01000 "
                              "00000000000000000000000000000000000000000000000000000000000000000000"
                              "000000000000";

static int fill(sqlite3 *db, int first, int last, int blob)
{
    char sql[300];
    snprintf(sql, sizeof sql,
             "WITH RECURSIVE n(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
             " INSERT INTO t SELECT i * 3, i * i, printf('row %%05d %%s', i, hex(zeroblob(%d)))"
             " FROM n",
             first, last, blob);
    return exec(db, sql);
}

static void expected_digest(int rows, int blob, char *out, size_t cap)
{
    const long long n = rows;
    const int at = snprintf(out, cap, "%lld:%lld:%lld:%lld:row 01000 ", n, 3 * n * (n + 1) / 2,
                            n * (n + 1) * (2 * n + 1) / 6, n * (10 + 2 * blob));
    for (int i = 0; i < 2 * blob && at + i + 1 < (int)cap; i++) {
        out[at + i] = '0';
        out[at + i + 1] = '\0';
    }
}

/* ---- scenarios ------------------------------------------------------------------------------- */

typedef struct scenario {
    const char *tag;              /* short name, also the file name */
    const char *what;             /* what the conversion does */
    const char *mode;             /* journal mode of the database */
    int wal_frames;               /* leave the last third of the rows in the WAL */
    int plain;                    /* a plain SQLite database, encrypted in place */
    sealdb_sqlite_config create;  /* how the database is made (sealed ones) */
    sealdb_sqlite_config from;    /* opens the database before the conversion */
    sealdb_sqlite_config to;      /* what the conversion makes of it */
    sealdb_sqlite_config to_open; /* opens the database after it */
} scenario;

static const scenario SCENARIOS[] = {
    {.tag = "a",
     .what = "rekey to a new key, same cipher (re-seal), journal_mode=delete",
     .mode = "delete",
     .create = {.hexkey = KEY_A},
     .from = {.hexkey = KEY_A},
     .to = {.hexkey = KEY_B},
     .to_open = {.hexkey = KEY_B}},
    {.tag = "b",
     .what = "rekey to a new key, same cipher (re-seal), WAL with frames not checkpointed",
     .mode = "wal",
     .wal_frames = 1,
     .create = {.hexkey = KEY_A},
     .from = {.hexkey = KEY_A},
     .to = {.hexkey = KEY_B},
     .to_open = {.hexkey = KEY_B}},
    {.tag = "c",
     .what = "rekey aegis256 -> aes256gcm (export), WAL with frames not checkpointed",
     .mode = "wal",
     .wal_frames = 1,
     .create = {.hexkey = KEY_A},
     .from = {.hexkey = KEY_A},
     .to = {.hexkey = KEY_B, .cipher = "aes256gcm"},
     .to_open = {.hexkey = KEY_B}},
    {.tag = "d",
     .what = "rekey from a key to key slots, journal_mode=delete",
     .mode = "delete",
     .create = {.hexkey = KEY_A},
     .from = {.hexkey = KEY_A},
     .to = {.hexkey = KEY_B, .keyslots = 1},
     .to_open = {.hexkey = KEY_B}},
    {.tag = "e",
     .what = "rekey from key slots to key slots with a new key (-keyslots-next staged), WAL "
             "with frames",
     .mode = "wal",
     .wal_frames = 1,
     .create = {.hexkey = KEY_A, .keyslots = 1},
     .from = {.hexkey = KEY_A},
     .to = {.hexkey = KEY_B, .keyslots = 1},
     .to_open = {.hexkey = KEY_B}},
    {.tag = "f",
     .what = "encrypt a plain database in place, journal_mode=delete",
     .mode = "delete",
     .plain = 1,
     .to = {.hexkey = KEY_B},
     .to_open = {.hexkey = KEY_B}},
    {.tag = "f-wal",
     .what = "encrypt a plain database in place, WAL with frames not checkpointed",
     .mode = "wal",
     .wal_frames = 1,
     .plain = 1,
     .to = {.hexkey = KEY_B},
     .to_open = {.hexkey = KEY_B}},
    {.tag = "g",
     .what = "rekey from a key to a passphrase (Argon2id 1 pass, 8 MiB), WAL",
     .mode = "wal",
     .create = {.hexkey = KEY_A},
     .from = {.hexkey = KEY_A},
     .to = {.passphrase = "rotate the key at any instant", .kdf_ops = 1, .kdf_mem_kib = 8192},
     .to_open = {.passphrase = "rotate the key at any instant"}},
};
#define NSCENARIOS (sizeof SCENARIOS / sizeof SCENARIOS[0])

static const scenario *scenario_of(const char *tag)
{
    for (size_t i = 0; i < NSCENARIOS; i++) {
        if (strcmp(SCENARIOS[i].tag, tag) == 0) {
            return &SCENARIOS[i];
        }
    }
    abort();
}

/* Makes database `name` for scenario s: `rows` rows, the last third of
 * them (and the index) only in the WAL when s->wal_frames. */
static void prepare(const scenario *s, const char *name, int rows, int blob)
{
    remove_db(name);
    sqlite3 *db = NULL;
    sealdb_error err;
    if (s->plain) {
        CHECK_INT(sqlite3_open(path_of(name), &db), SQLITE_OK);
    } else {
        CHECK_INT(sealdb_sqlite_open(path_of(name), &s->create, &db, &err), SEALDB_OK);
    }
    char sql[80];
    snprintf(sql, sizeof sql, "PRAGMA journal_mode = %s; PRAGMA wal_autocheckpoint = 0", s->mode);
    CHECK_INT(exec(db, sql), SQLITE_OK);
    CHECK_INT(exec(db, SCHEMA), SQLITE_OK);
    const int split = s->wal_frames ? rows * 2 / 3 : rows;
    CHECK_INT(fill(db, 1, split, blob), SQLITE_OK);
    if (s->wal_frames) {
        CHECK_INT(exec(db, "PRAGMA wal_checkpoint(TRUNCATE)"), SQLITE_OK);
        CHECK_INT(fill(db, split + 1, rows, blob), SQLITE_OK);
    }
    CHECK_INT(exec(db, INDEX), SQLITE_OK);
    if (s->wal_frames) {
        /* closing would checkpoint the frames into the database file */
        CHECK_INT(sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL), SQLITE_OK);
    }
    CHECK_INT(sqlite3_close(db), SQLITE_OK);
    sealdb_file_info info;
    CHECK_INT(sealdb_inspect(path_of(name), &info, &err), SEALDB_OK);
    CHECK_INT(info.sealed, !s->plain);
    CHECK_INT(info.journal_mode_wal, strcmp(s->mode, "wal") == 0);
    if (s->wal_frames) {
        /* a third of the rows is more than 20 frames */
        CHECK(info.wal_present);
        CHECK(info.wal_bytes >= 32 + 20 * (24 + 4096));
    } else {
        CHECK(!info.wal_present);
    }
}

/* The conversion of scenario s on database `name`, from the old key
 * (new_key 0) or from the new one (a second run after a kill that came too
 * late to stop the first). */
static int convert(const scenario *s, const char *name, int new_key, sealdb_error *err)
{
    if (s->plain && !new_key) {
        return sealdb_encrypt(path_of(name), NULL, &s->to, err);
    }
    return sealdb_rekey(path_of(name), new_key ? &s->to_open : &s->from, &s->to, err);
}

/* ---- what a kill left ------------------------------------------------------------------------ */

/* Opens `name` with the old (new_key 0) or the new key source of s,
 * read-write, never creating. Returns 1 with *db open; 0 when it is refused
 * as it must be when the other key is the database's (SEALDB_EWRONGKEY; for
 * a plain database SEALDB_ENOTSEALED, or SQLITE_NOTADB from plain SQLite);
 * -1 for any other failure, with the reason in msg. */
static int open_with(const scenario *s, const char *name, int new_key, sqlite3 **db, char *msg,
                     size_t cap)
{
    *db = NULL;
    msg[0] = '\0';
    if (s->plain && !new_key) {
        int rc = sqlite3_open_v2(path_of(name), db, SQLITE_OPEN_READWRITE, NULL);
        if (rc == SQLITE_OK) {
            rc = sqlite3_exec(*db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
        }
        if (rc == SQLITE_OK) {
            return 1;
        }
        snprintf(msg, cap, "plain SQLite: %s (%d)", sqlite3_errmsg(*db), rc);
        sqlite3_close(*db);
        *db = NULL;
        return rc == SQLITE_NOTADB ? 0 : -1;
    }
    sealdb_sqlite_config cfg = new_key ? s->to_open : s->from;
    cfg.flags = SQLITE_OPEN_READWRITE;
    sealdb_error err;
    const int rc = sealdb_sqlite_open(path_of(name), &cfg, db, &err);
    if (rc == SEALDB_OK) {
        return 1;
    }
    snprintf(msg, cap, "sealdb: %s (%d)", err.message, rc);
    return rc == SEALDB_EWRONGKEY || (s->plain && rc == SEALDB_ENOTSEALED) ? 0 : -1;
}

/* Checks database `name` of scenario s: exactly one key source opens it,
 * its rows digest to `expected` with w holding `written`, integrity_check
 * is ok; then, if `write` is not NULL, a row goes into w, commits and reads
 * back. Returns 1 when the old key opened it, 2 the new key, 0 neither or
 * both (a failure, reported). */
static int check_db(const scenario *s, const char *name, const char *expected, const char *written,
                    const char *write, const char *when)
{
    const int failures = check_failures;
    CHECK(exists(name, ""));
    char msg_old[400], msg_new[400];
    sqlite3 *db_old = NULL, *db_new = NULL;
    const int old_opens = open_with(s, name, 0, &db_old, msg_old, sizeof msg_old);
    sqlite3_close(db_old);
    const int new_opens = open_with(s, name, 1, &db_new, msg_new, sizeof msg_new);
    sqlite3_close(db_new);
    CHECK(old_opens >= 0);
    CHECK(new_opens >= 0);
    CHECK_INT(old_opens + new_opens, 1);
    int opener = 0;
    if (old_opens >= 0 && new_opens >= 0 && old_opens + new_opens == 1) {
        opener = old_opens ? 1 : 2;
        sqlite3 *db = NULL;
        char msg[400];
        CHECK_INT(open_with(s, name, opener == 2, &db, msg, sizeof msg), 1);
        char got[1000];
        query1(db, DIGEST, got, sizeof got);
        CHECK_STR(got, expected);
        query1(db, WRITTEN, got, sizeof got);
        CHECK_STR(got, written);
        query1(db, "PRAGMA integrity_check", got, sizeof got);
        CHECK_STR(got, "ok");
        if (write) {
            char sql[200], want[300];
            snprintf(sql, sizeof sql, "INSERT INTO w VALUES ('%s')", write);
            CHECK_INT(exec(db, sql), SQLITE_OK);
            CHECK(sqlite3_get_autocommit(db)); /* committed */
            query1(db, WRITTEN, got, sizeof got);
            snprintf(want, sizeof want, "%s%s%s", written, written[0] ? "," : "", write);
            CHECK_STR(got, want);
        }
        CHECK_INT(sqlite3_close(db), SQLITE_OK);
    }
    if (check_failures != failures) {
        fprintf(stderr, "  %s, scenario (%s) %s:\n    old key: %s\n    new key: %s\n", when, s->tag,
                s->what, old_opens == 1 ? "opens" : msg_old, new_opens == 1 ? "opens" : msg_new);
    }
    return opener;
}

/* After a kill that left `opener`'s key in charge: checks, writes a row,
 * runs the conversion again to the end from that key, and checks the
 * result: the new key only, the same rows plus the written one, no
 * temporary file left. Returns the opener. */
static int check_and_finish(const scenario *s, const char *name, const char *expected,
                            const char *when)
{
    const int failures = check_failures;
    const int opener = check_db(s, name, expected, "", "written after the kill", when);
    if (!opener) {
        return 0;
    }
    sealdb_error err;
    const int rc = convert(s, name, opener == 2, &err);
    if (rc != SEALDB_OK) {
        fprintf(stderr, "  the second conversion failed: %s\n", err.message);
    }
    CHECK_INT(rc, SEALDB_OK);
    CHECK_INT(check_db(s, name, expected, "written after the kill", NULL, when), 2);
    for (size_t i = FIRST_TMP - 1; i < NFILES; i++) {
        if (!exists(name, FILES[i])) {
            continue;
        }
        fprintf(stderr, "  %s%s is left after the second conversion\n", name, FILES[i]);
        CHECK(!exists(name, FILES[i]));
    }
    CHECK_INT(exists(name, "-keyslots"), s->to.keyslots);
    if (check_failures != failures) {
        fprintf(stderr, "  (%s, scenario (%s))\n", when, s->tag);
    }
    return opener;
}

/* ---- fault injection ------------------------------------------------------------------------- */

#define MAX_POINTS 1024

/* The fault points one run of a conversion reaches, in order. */
typedef struct run_points {
    const char *at[MAX_POINTS];
    int count;
    int first_new; /* the first point (1-based) at which the new file is in place */
} run_points;

static run_points *recording; /* the run being counted */
static int die_at;            /* in a child: the fault point (1-based) at which it dies */
static int seen;              /* in a child: fault points passed */

static void record_point(const char *point)
{
    if (recording->count < MAX_POINTS) {
        recording->at[recording->count] = point;
    }
    recording->count++;
}

static void die_at_point(const char *point)
{
    (void)point;
    if (++seen == die_at) {
        _exit(99);
    }
}

/* Runs the conversion of s on a copy of database `name`, in this process,
 * and records the fault points it reaches. */
static void count_points(const scenario *s, const char *name, int new_key, run_points *rp)
{
    copy_db(name, "count.db");
    memset(rp, 0, sizeof *rp);
    recording = rp;
    engine_fault_hook = record_point;
    sealdb_error err;
    const int rc = convert(s, "count.db", new_key, &err);
    engine_fault_hook = NULL;
    if (rc != SEALDB_OK) {
        fprintf(stderr, "  scenario (%s): %s\n", s->tag, err.message);
    }
    CHECK_INT(rc, SEALDB_OK);
    CHECK(rp->count > 0 && rp->count <= MAX_POINTS);
    /* an in-place encryption renames by itself; everything else through
     * the VFS's swap */
    const char *renamed = s->plain && !new_key ? "swapped" : "swap: renamed";
    for (int i = 0; i < rp->count && i < MAX_POINTS && !rp->first_new; i++) {
        rp->first_new = strcmp(rp->at[i], renamed) == 0 ? i + 1 : 0;
    }
    CHECK(rp->first_new > 1);
    remove_db("count.db");
}

/* Runs the conversion of s on `name` in a child, from the old key or (a
 * second run after a kill past the swap) the new one; fault_at > 0 kills it
 * at that fault point. Returns the child's pid. */
static pid_t spawn_conversion(const scenario *s, const char *name, int new_key, int fault_at)
{
    const pid_t pid = fork();
    if (pid == 0) {
        if (fault_at > 0) {
            seen = 0;
            die_at = fault_at;
            engine_fault_hook = die_at_point;
        }
        sealdb_error err;
        if (convert(s, name, new_key, &err) != SEALDB_OK) {
            fprintf(stderr, "  child: the conversion failed: %s\n", err.message);
            _exit(1);
        }
        _exit(0);
    }
    CHECK(pid > 0);
    return pid;
}

static int wait_exit_code(pid_t pid)
{
    int status = 0;
    CHECK_INT(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) {
        return 1000 + WTERMSIG(status);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Prints the fault points as "a, b x3, c". */
static void print_points(const run_points *rp)
{
    for (int i = 0; i < rp->count && i < MAX_POINTS;) {
        int run = 1;
        while (i + run < rp->count && i + run < MAX_POINTS &&
               strcmp(rp->at[i + run], rp->at[i]) == 0) {
            run++;
        }
        printf("%s%s", i ? ", " : "", rp->at[i]);
        if (run > 1) {
            printf(" x%d", run);
        }
        i += run;
    }
}

/* Keeps a copy of what a kill left when checks failed on it. */
static void keep_on_failure(int failures, const char *crashed, const char *tag, int n, int m)
{
    if (check_failures == failures) {
        return;
    }
    char kept[64];
    snprintf(kept, sizeof kept, "%s-failed-at-%d-%d.db", tag, n, m);
    copy_db(crashed, kept);
    fprintf(stderr, "  what the kill left is kept as %s\n", path_of(kept));
    keep_dir = 1;
}

/* Kills the conversion at fault point n; then, on what that left, kills
 * the second conversion (from whichever key opens it) at each of its fault
 * points in turn, and checks every time. Returns the runs made. */
static int kill_twice(const scenario *s, const char *prepared, const run_points *first, int n)
{
    copy_db(prepared, "twice.db");
    CHECK_INT(wait_exit_code(spawn_conversion(s, "twice.db", 0, n)), 99);
    char when[200];
    snprintf(when, sizeof when, "killed at fault point %d (%s), before the second run", n,
             first->at[n - 1]);
    copy_db("twice.db", "probe.db"); /* opening may change it: look at a copy */
    const int opener = check_db(s, "probe.db", EXPECTED, "", NULL, when);
    remove_db("probe.db");
    CHECK_INT(opener, n >= first->first_new ? 2 : 1);
    if (!opener) {
        return 0;
    }
    run_points second;
    count_points(s, "twice.db", opener == 2, &second);
    for (int m = 1; m <= second.count; m++) {
        copy_db("twice.db", "twice-run.db");
        CHECK_INT(wait_exit_code(spawn_conversion(s, "twice-run.db", opener == 2, m)), 99);
        snprintf(when, sizeof when,
                 "killed at fault point %d (%s), then at %d (%s) of the next run", n,
                 first->at[n - 1], m, second.at[m - 1]);
        copy_db("twice-run.db", "crashed.db");
        const int failures = check_failures;
        const int opener2 = check_and_finish(s, "twice-run.db", EXPECTED, when);
        CHECK_INT(opener2, opener == 2 || m >= second.first_new ? 2 : 1);
        keep_on_failure(failures, "crashed.db", s->tag, n, m);
    }
    remove_db("twice.db");
    remove_db("twice-run.db");
    remove_db("crashed.db");
    return second.count;
}

/* every_twice: also kill the second run at each of its points after every
 * first kill; otherwise only after the kills that leave a staged key-slot
 * file in charge (from the rename of the new file to the end). */
static void test_fault_points(const scenario *s, int every_twice)
{
    char prepared[64], name[64];
    snprintf(prepared, sizeof prepared, "%s.db", s->tag);
    snprintf(name, sizeof name, "%s-run.db", s->tag);
    prepare(s, prepared, SMALL_ROWS, SMALL_BLOB);
    char want[300];
    expected_digest(SMALL_ROWS, SMALL_BLOB, want, sizeof want);
    CHECK_STR(want, EXPECTED);
    /* on a copy: closing the last connection would checkpoint the WAL */
    copy_db(prepared, name);
    CHECK_INT(check_db(s, name, EXPECTED, "", NULL, "as prepared"), 1);

    run_points first;
    count_points(s, prepared, 0, &first);
    printf("(%s) %s: %d fault points: ", s->tag, s->what, first.count);
    print_points(&first);
    printf("\n");

    int old_key = 0, new_key = 0, tmp_left = 0, next_left = 0, last = 0;
    for (int n = 1; n <= first.count + 1; n++) {
        copy_db(prepared, name);
        const int code = wait_exit_code(spawn_conversion(s, name, 0, n));
        CHECK_INT(code, n <= first.count ? 99 : 0);
        char when[120];
        snprintf(when, sizeof when, "killed at fault point %d (%s)", n,
                 n <= first.count ? first.at[n - 1] : "none: the run finished");
        tmp_left += exists(name, ".sealdb-tmp");
        next_left += exists(name, "-keyslots-next");
        copy_db(name, "crashed.db");
        const int failures = check_failures;
        const int opener = check_and_finish(s, name, EXPECTED, when);
        CHECK_INT(opener, n >= first.first_new ? 2 : 1);
        if (n <= first.count) {
            old_key += opener == 1;
            new_key += opener == 2;
        } else {
            last = opener;
        }
        keep_on_failure(failures, "crashed.db", s->tag, n, 0);
    }
    printf("    killed at 1..%d: %d opened under the old key, %d under the new key (%d left "
           ".sealdb-tmp, %d left -keyslots-next); run to the end: %s\n",
           first.count, old_key, new_key, tmp_left, next_left,
           last == 2   ? "new key"
           : last == 1 ? "old key"
                       : "neither");
    int twice = 0, runs = 0;
    for (int n = 1; n <= first.count; n++) {
        if (every_twice || (s->to.keyslots && n >= first.first_new)) {
            runs += kill_twice(s, prepared, &first, n);
            twice++;
        }
    }
    if (twice) {
        printf("    killed twice: after %d first kills, the second run killed at each of its "
               "points: %d runs checked\n",
               twice, runs);
    }
    remove_db(name);
    remove_db("crashed.db");
    remove_db(prepared);
}

/* ---- SIGKILL from the parent ----------------------------------------------------------------- */

static void test_sigkill(const scenario *s, int rows, int blob, int iterations, test_rng *rng)
{
    char prepared[64], name[64];
    snprintf(prepared, sizeof prepared, "%s-big.db", s->tag);
    snprintf(name, sizeof name, "%s-big-run.db", s->tag);
    prepare(s, prepared, rows, blob);
    char expected[600];
    expected_digest(rows, blob, expected, sizeof expected);
    sealdb_file_info info;
    sealdb_error err;
    CHECK_INT(sealdb_inspect(path_of(prepared), &info, &err), SEALDB_OK);

    /* how long one conversion takes, fork to exit */
    copy_db(prepared, name);
    double t0 = now_ms();
    CHECK_INT(wait_exit_code(spawn_conversion(s, name, 0, 0)), 0);
    const double duration = now_ms() - t0;
    printf("(%s) SIGKILL, %s: %d rows, %.1f MB (+ %.1f MB WAL); one conversion takes %.0f ms\n",
           s->tag, s->what, rows, (double)info.file_bytes / 1e6, (double)info.wal_bytes / 1e6,
           duration);

    int old_key = 0, new_key = 0, finished = 0;
    for (int i = 0; i < iterations; i++) {
        copy_db(prepared, name);
        const long delay_us = (long)(test_rng_next(rng) % (uint64_t)(duration * 1000.0 + 1));
        const pid_t pid = spawn_conversion(s, name, 0, 0);
        struct timespec ts = {.tv_sec = delay_us / 1000000, .tv_nsec = delay_us % 1000000 * 1000};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
        kill(pid, SIGKILL);
        const int code = wait_exit_code(pid);
        CHECK(code == 1000 + SIGKILL || code == 0);
        char when[120];
        snprintf(when, sizeof when, "SIGKILL after %.1f ms (iteration %d)", delay_us / 1e3, i);
        const int opener = check_and_finish(s, name, expected, when);
        if (code == 0) {
            CHECK_INT(opener, 2);
            finished++;
        } else {
            old_key += opener == 1;
            new_key += opener == 2;
        }
    }
    printf("    %d kills: %d before the swap (old key opens), %d after it (new key opens); "
           "%d runs finished before the kill\n",
           iterations, old_key, new_key, finished);
    remove_db(name);
    remove_db(prepared);
}

int main(int argc, char **argv)
{
    const int iterations = argc > 1 ? atoi(argv[1]) : 30;
    const uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 20240917;
    const int every_twice = argc > 3 && strcmp(argv[3], "twice") == 0;
    snprintf(dir, sizeof dir, "/tmp/sealdb-test-crash-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* nothing buffered for a child to flush twice */
    sealdb_vfs_register(0);
    const double t0 = now_ms();
    for (size_t i = 0; i < NSCENARIOS; i++) {
        test_fault_points(&SCENARIOS[i], every_twice);
    }
    printf("fault injection: %.1f s\n", (now_ms() - t0) / 1e3);
    printf("SIGKILL: %d iterations per scenario, seed %llu (rerun: test_rekey_crash %d %llu)\n",
           iterations, (unsigned long long)seed, iterations, (unsigned long long)seed);
    test_rng rng = {seed};
    const double t1 = now_ms();
    test_sigkill(scenario_of("a"), 65000, 200, iterations, &rng);
    test_sigkill(scenario_of("c"), 25000, 100, iterations, &rng);
    printf("SIGKILL: %.1f s\n", (now_ms() - t1) / 1e3);
    if (keep_dir) {
        fprintf(stderr, "files kept in %s\n", dir);
    } else {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "could not remove %s\n", dir);
        }
    }
    return check_report();
}
