/*
 * test_keys.c - key sources, key slots, rekey, encrypt, decrypt, verify and
 * inspect, through the public API, with exact expected values.
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "sealdb.h"

static char dir[256];

static const char *HEX_A = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
static const char *HEX_B = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
static const char *HEX_16 = "0123456789abcdef0123456789abcdef";

static const char *path_of(const char *name)
{
    static char buf[4][512];
    static int at;
    at = (at + 1) % 4;
    snprintf(buf[at], sizeof buf[at], "%s/%s", dir, name);
    return buf[at];
}

static void remove_db(const char *name)
{
    static const char *const suffixes[] = {"",         "-wal",      "-shm",
                                           "-journal", "-keyslots", "-keyslots-next"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char p[600];
        snprintf(p, sizeof p, "%s%s", path_of(name), suffixes[i]);
        unlink(p);
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

static sealdb_sqlite_config hexcfg(const char *hex)
{
    sealdb_sqlite_config c = {.hexkey = hex};
    return c;
}

static sealdb_sqlite_config passcfg(const char *pass)
{
    sealdb_sqlite_config c = {.passphrase = pass, .kdf_ops = 1, .kdf_mem_kib = 8192};
    return c;
}

/* The rows every test database holds, and a digest of them as SQL sees them. */
static const char *FILL =
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT);"
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)"
    " INSERT INTO t SELECT i * 3, i * i, printf('row %05d %s', i, hex(zeroblob(40))) FROM n;"
    "CREATE INDEX t_a ON t(a);";
static const char *DIGEST = "SELECT count(*) || ':' || sum(id) || ':' || sum(a) || ':' || "
                            "sum(length(b)) || ':' || (SELECT b FROM t WHERE id = 3000) FROM t";
static const char *EXPECTED = "3000:13504500:9004500500:270000:row 01000 "
                              "00000000000000000000000000000000000000000000000000000000000000000000"
                              "000000000000";

static int make_db(const char *name, const sealdb_sqlite_config *cfg, const char *mode)
{
    remove_db(name);
    sqlite3 *db = NULL;
    sealdb_error err;
    const int rc = sealdb_sqlite_open(path_of(name), cfg, &db, &err);
    if (rc != SEALDB_OK) {
        fprintf(stderr, "  create %s: %s\n", name, err.message);
        return rc;
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA journal_mode = %s", mode);
    exec(db, sql);
    const int r = exec(db, FILL);
    sqlite3_close(db);
    return r;
}

/* The digest of the database under cfg, or the error message. */
static void digest(const char *name, const sealdb_sqlite_config *cfg, char *out, size_t cap,
                   int *code)
{
    sqlite3 *db = NULL;
    sealdb_error err;
    const int rc = sealdb_sqlite_open(path_of(name), cfg, &db, &err);
    if (code) {
        *code = rc;
    }
    if (rc != SEALDB_OK) {
        snprintf(out, cap, "%s", err.message);
        return;
    }
    query1(db, DIGEST, out, cap);
    char ok[64];
    query1(db, "PRAGMA integrity_check", ok, sizeof ok);
    if (strcmp(ok, "ok") != 0) {
        snprintf(out, cap, "integrity: %s", ok);
    }
    sqlite3_close(db);
}

static void write_file(const char *name, const void *data, size_t len, mode_t mode)
{
    unlink(path_of(name));
    const int fd = open(path_of(name), O_WRONLY | O_CREAT | O_TRUNC, mode);
    CHECK(fd >= 0);
    CHECK_INT(write(fd, data, len), (long long)len);
    fchmod(fd, mode);
    close(fd);
}

/* ---- key sources --------------------------------------------------------------------------- */

static void test_key_sources(void)
{
    char got[256];
    int code;
    /* key file with hex text and a newline */
    char text[80];
    snprintf(text, sizeof text, "%s\n", HEX_A);
    write_file("k.hex", text, strlen(text), 0600);
    char khex[600], kraw[600], kbadp[600], kmissp[600];
    snprintf(khex, sizeof khex, "%s", path_of("k.hex"));
    snprintf(kraw, sizeof kraw, "%s", path_of("k.raw"));
    snprintf(kbadp, sizeof kbadp, "%s", path_of("k.bad"));
    snprintf(kmissp, sizeof kmissp, "%s", path_of("nope"));
    sealdb_sqlite_config kf = {.keyfile = khex};
    CHECK_INT(make_db("ks.db", &kf, "delete"), SQLITE_OK);
    sealdb_sqlite_config hx = hexcfg(HEX_A);
    digest("ks.db", &hx, got, sizeof got, &code);
    CHECK_STR(got, EXPECTED);
    /* the same key as 32 raw bytes */
    uint8_t raw[32];
    for (int i = 0; i < 32; i++) {
        raw[i] = (uint8_t)(i % 16 * 0x11);
    }
    write_file("k.raw", raw, 32, 0600);
    sealdb_sqlite_config kr = {.keyfile = kraw};
    digest("ks.db", &kr, got, sizeof got, &code);
    CHECK_STR(got, EXPECTED);
    /* the raw key through the C API */
    sealdb_sqlite_config kb = {.key = raw, .key_len = 32};
    digest("ks.db", &kb, got, sizeof got, &code);
    CHECK_STR(got, EXPECTED);
    /* a key file readable by others is refused, naming the mode */
    chmod(path_of("k.hex"), 0644);
    digest("ks.db", &kf, got, sizeof got, &code);
    CHECK_INT(code, SEALDB_EKEYFILE);
    char want[700];
    snprintf(want, sizeof want,
             "key file %s is readable or writable by group or others (mode 0644); run chmod 600 "
             "on it",
             path_of("k.hex"));
    CHECK_STR(got, want);
    /* a key file with a bad digit */
    write_file("k.bad", "0011zz", 6, 0600);
    sealdb_sqlite_config kbad = {.keyfile = kbadp};
    digest("ks.db", &kbad, got, sizeof got, &code);
    CHECK_INT(code, SEALDB_EKEYFILE);
    snprintf(want, sizeof want, "key file %s has a character that is not a hex digit at position 4",
             path_of("k.bad"));
    CHECK_STR(got, want);
    /* a missing key file */
    sealdb_sqlite_config kmiss = {.keyfile = kmissp};
    digest("ks.db", &kmiss, got, sizeof got, &code);
    CHECK_INT(code, SEALDB_EKEYFILE);
    /* environment variable */
    setenv("SEALDB_TEST_KEY", HEX_A, 1);
    sealdb_sqlite_config ke = {.keyenv = "SEALDB_TEST_KEY"};
    digest("ks.db", &ke, got, sizeof got, &code);
    CHECK_STR(got, EXPECTED);
    setenv("SEALDB_TEST_KEY", HEX_B, 1);
    digest("ks.db", &ke, got, sizeof got, &code);
    CHECK_INT(code, SEALDB_EWRONGKEY);
    char wrong[700];
    snprintf(wrong, sizeof wrong, "cannot open %s: wrong key for this database", path_of("ks.db"));
    CHECK_STR(got, wrong);
    sealdb_sqlite_config kunset = {.keyenv = "SEALDB_TEST_UNSET_VARIABLE"};
    digest("ks.db", &kunset, got, sizeof got, &code);
    CHECK_INT(code, SEALDB_EKEYFILE);
    CHECK_STR(got, "environment variable SEALDB_TEST_UNSET_VARIABLE is not set");
    /* two sources at once */
    sealdb_sqlite_config two = {.hexkey = HEX_A, .keyenv = "SEALDB_TEST_KEY"};
    digest("ks.db", &two, got, sizeof got, &code);
    CHECK_INT(code, SEALDB_EINVAL);
    CHECK_STR(got, "give exactly one key source (key, hexkey, keyfile, keyenv or passphrase); 2 "
                   "given");
}

static void test_passphrase(void)
{
    char got[256];
    int code;
    sealdb_sqlite_config pc = passcfg("correct horse battery staple");
    CHECK_INT(make_db("pp.db", &pc, "wal"), SQLITE_OK);
    sealdb_file_info info;
    sealdb_error err;
    CHECK_INT(sealdb_inspect(path_of("pp.db"), &info, &err), SEALDB_OK);
    CHECK_INT(info.key_kind, 1);
    CHECK_INT(info.kdf_ops, 1);
    CHECK_INT(info.kdf_mem_kib, 8192);
    CHECK_INT(info.cipher, SEALDB_AEGIS256);
    /* opening needs only the passphrase: the cost comes from the header */
    sealdb_sqlite_config open_only = {.passphrase = "correct horse battery staple"};
    digest("pp.db", &open_only, got, sizeof got, &code);
    CHECK_STR(got, EXPECTED);
    sealdb_sqlite_config wrong = {.passphrase = "correct horse battery stapler"};
    digest("pp.db", &wrong, got, sizeof got, &code);
    CHECK_INT(code, SEALDB_EWRONGKEY);
    char want[700];
    snprintf(want, sizeof want, "cannot open %s: wrong passphrase for this database",
             path_of("pp.db"));
    CHECK_STR(got, want);
    /* a key where a passphrase is needed, and the reverse */
    sealdb_sqlite_config hx = hexcfg(HEX_A);
    digest("pp.db", &hx, got, sizeof got, &code);
    CHECK_INT(code, SEALDB_EWRONGKEY);
    snprintf(want, sizeof want,
             "cannot open %s: wrong key: this database is sealed under a passphrase; give the "
             "passphrase, not a key",
             path_of("pp.db"));
    CHECK_STR(got, want);
    CHECK_INT(make_db("kk.db", &hx, "delete"), SQLITE_OK);
    digest("kk.db", &open_only, got, sizeof got, &code);
    CHECK_INT(code, SEALDB_EWRONGKEY);
    /* the header carries the cost: a tampered cost is refused as a wrong key or
     * damage, never accepted */
    const int fd = open(path_of("pp.db"), O_RDWR);
    uint8_t ops = 2;
    CHECK_INT(pwrite(fd, &ops, 1, 9), 1);
    close(fd);
    digest("pp.db", &open_only, got, sizeof got, &code);
    CHECK_INT(code, SEALDB_EWRONGKEY);
    /* bad costs are refused before anything is written */
    sealdb_sqlite_config badmem = {.passphrase = "x", .kdf_mem_kib = 1000};
    remove_db("bad.db");
    digest("bad.db", &badmem, got, sizeof got, &code);
    CHECK_INT(code, SEALDB_EINVAL);
    CHECK_STR(got, "Argon2id memory must be a power of two from 8192 to 4194304 KiB, not 1000");
    CHECK(access(path_of("bad.db"), F_OK) != 0);
    /* the URI form */
    sqlite3 *db = NULL;
    char uri[700];
    snprintf(uri, sizeof uri,
             "file:%s?vfs=sealdb&passphrase=correct%%20horse&kdf_ops=1&kdf_mem=8192",
             path_of("uri.db"));
    remove_db("uri.db");
    CHECK_INT(sqlite3_open_v2(uri, &db,
                              SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI, NULL),
              SQLITE_OK);
    CHECK_INT(exec(db, FILL), SQLITE_OK);
    sqlite3_close(db);
    sealdb_sqlite_config sp = {.passphrase = "correct horse"};
    digest("uri.db", &sp, got, sizeof got, &code);
    CHECK_STR(got, EXPECTED);
}

/* ---- key slots ---------------------------------------------------------------------------- */

static void test_keyslots(void)
{
    char got[256];
    int code;
    sealdb_sqlite_config dev = {.hexkey = HEX_A, .keyslots = 1};
    CHECK_INT(make_db("slots.db", &dev, "wal"), SQLITE_OK);
    sealdb_file_info info;
    sealdb_error err;
    CHECK_INT(sealdb_inspect(path_of("slots.db"), &info, &err), SEALDB_OK);
    CHECK_INT(info.key_kind, 2);
    CHECK_INT(info.keyslots_present, 1);
    sealdb_sqlite_config a = hexcfg(HEX_A), b = hexcfg(HEX_B), p = passcfg("recovery words");
    digest("slots.db", &a, got, sizeof got, &code);
    CHECK_STR(got, EXPECTED);
    digest("slots.db", &b, got, sizeof got, &code);
    CHECK_INT(code, SEALDB_EWRONGKEY);
    int num = 0;
    CHECK_INT(sealdb_keyslot_add(path_of("slots.db"), &a, &b, "recovery key", &num, &err),
              SEALDB_OK);
    CHECK_INT(num, 2);
    CHECK_INT(sealdb_keyslot_add(path_of("slots.db"), &b, &p, "operator", &num, &err), SEALDB_OK);
    CHECK_INT(num, 3);
    /* adding needs a credential that opens a slot */
    sealdb_sqlite_config c16 = hexcfg(HEX_16);
    CHECK_INT(sealdb_keyslot_add(path_of("slots.db"), &c16, &b, "x", &num, &err), SEALDB_EWRONGKEY);
    CHECK_STR(err.message, "wrong key: no key slot of this database opens with the key given");
    sealdb_keyslot slots[8];
    int n = 0;
    CHECK_INT(sealdb_keyslot_list(path_of("slots.db"), slots, 8, &n, &err), SEALDB_OK);
    CHECK_INT(n, 3);
    CHECK_STR(slots[0].label, "initial");
    CHECK_STR(slots[1].label, "recovery key");
    CHECK_STR(slots[2].label, "operator");
    CHECK_INT(slots[2].passphrase, 1);
    digest("slots.db", &b, got, sizeof got, &code);
    CHECK_STR(got, EXPECTED);
    sealdb_sqlite_config popen = {.passphrase = "recovery words"};
    digest("slots.db", &popen, got, sizeof got, &code);
    CHECK_STR(got, EXPECTED);
    /* remove the first slot: its key no longer opens the database, the others do */
    CHECK_INT(sealdb_keyslot_remove(path_of("slots.db"), &b, 1, &err), SEALDB_OK);
    digest("slots.db", &a, got, sizeof got, &code);
    CHECK_INT(code, SEALDB_EWRONGKEY);
    digest("slots.db", &b, got, sizeof got, &code);
    CHECK_STR(got, EXPECTED);
    CHECK_INT(sealdb_keyslot_remove(path_of("slots.db"), &b, 2, &err), SEALDB_OK);
    CHECK_INT(sealdb_keyslot_remove(path_of("slots.db"), &popen, 3, &err), SEALDB_EKEYSLOTS);
    CHECK_STR(err.message, "slot 3 is the last key slot; add another before removing it");
    /* a lost slot file: a clear message, never a wrong-key guess */
    char sp[600], moved[700];
    snprintf(sp, sizeof sp, "%s-keyslots", path_of("slots.db"));
    snprintf(moved, sizeof moved, "%s.saved", sp);
    CHECK_INT(rename(sp, moved), 0);
    digest("slots.db", &popen, got, sizeof got, &code);
    CHECK_INT(code, SEALDB_EKEYSLOTS);
    char want[900];
    snprintf(want, sizeof want,
             "cannot open %s: the database keeps its key in key slots, but %s is missing; "
             "restore it from a backup of the database",
             path_of("slots.db"), sp);
    CHECK_STR(got, want);
    CHECK_INT(rename(moved, sp), 0);
    digest("slots.db", &popen, got, sizeof got, &code);
    CHECK_STR(got, EXPECTED);
    /* another database's slot file is refused */
    CHECK_INT(make_db("slots2.db", &dev, "delete"), SQLITE_OK);
    char sp2[600];
    snprintf(sp2, sizeof sp2, "%s-keyslots", path_of("slots2.db"));
    CHECK_INT(rename(sp2, moved), 0);
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", sp, sp2);
    CHECK_INT(system(cmd), 0);
    digest("slots2.db", &a, got, sizeof got, &code);
    CHECK_INT(code, SEALDB_EKEYSLOTS);
}

/* ---- rekey ----------------------------------------------------------------------------------- */

static void check_opens_only(const char *name, const sealdb_sqlite_config *good,
                             const sealdb_sqlite_config *bad, const char *what)
{
    char got[256];
    int code;
    digest(name, good, got, sizeof got, &code);
    if (strcmp(got, EXPECTED) != 0) {
        fprintf(stderr, "  after %s\n", what);
    }
    CHECK_STR(got, EXPECTED);
    if (bad) {
        digest(name, bad, got, sizeof got, &code);
        CHECK(code == SEALDB_EWRONGKEY || code == SEALDB_EMISMATCH || code == SEALDB_EKEYLEN);
    }
}

static void test_rekey(void)
{
    sealdb_error err;
    sealdb_sqlite_config a = hexcfg(HEX_A), b = hexcfg(HEX_B);
    static const char *const modes[] = {"delete", "truncate", "persist", "wal", "off"};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        CHECK_INT(make_db("rk.db", &a, modes[m]), SQLITE_OK);
        /* same cipher, new key: pages re-sealed */
        CHECK_INT(sealdb_rekey(path_of("rk.db"), &a, &b, &err), SEALDB_OK);
        check_opens_only("rk.db", &b, &a, modes[m]);
        /* another cipher family: exported */
        sealdb_sqlite_config gcm = {.hexkey = HEX_A, .cipher = "aes256gcm"};
        CHECK_INT(sealdb_rekey(path_of("rk.db"), &b, &gcm, &err), SEALDB_OK);
        check_opens_only("rk.db", &a, &b, modes[m]);
        sealdb_file_info info;
        sealdb_inspect(path_of("rk.db"), &info, &err);
        CHECK_INT(info.cipher, SEALDB_AES256GCM);
        CHECK_INT(info.journal_mode_wal, strcmp(modes[m], "wal") == 0);
        /* the turso layout and back */
        sealdb_sqlite_config turso = {.hexkey = HEX_B, .layout = SEALDB_LAYOUT_TURSO};
        CHECK_INT(sealdb_rekey(path_of("rk.db"), &a, &turso, &err), SEALDB_OK);
        sealdb_inspect(path_of("rk.db"), &info, &err);
        CHECK_INT(info.layout, SEALDB_LAYOUT_TURSO);
        check_opens_only("rk.db", &b, &a, modes[m]);
        /* a passphrase, then key slots */
        sealdb_sqlite_config p = passcfg("rotate me");
        p.layout = SEALDB_LAYOUT_HARDENED;
        CHECK_INT(sealdb_rekey(path_of("rk.db"), &b, &p, &err), SEALDB_OK);
        sealdb_sqlite_config popen = {.passphrase = "rotate me"};
        check_opens_only("rk.db", &popen, &b, modes[m]);
        sealdb_sqlite_config slots = {.hexkey = HEX_A, .keyslots = 1};
        CHECK_INT(sealdb_rekey(path_of("rk.db"), &popen, &slots, &err), SEALDB_OK);
        check_opens_only("rk.db", &a, &popen, modes[m]);
        /* slots to slots: a new data key, a new slot file */
        sealdb_sqlite_config slots_b = {.hexkey = HEX_B, .keyslots = 1};
        CHECK_INT(sealdb_rekey(path_of("rk.db"), &a, &slots_b, &err), SEALDB_OK);
        check_opens_only("rk.db", &b, &a, modes[m]);
        /* and back to a plain key: the slot file goes */
        CHECK_INT(sealdb_rekey(path_of("rk.db"), &b, &a, &err), SEALDB_OK);
        check_opens_only("rk.db", &a, &b, modes[m]);
        char sp[600];
        snprintf(sp, sizeof sp, "%s-keyslots", path_of("rk.db"));
        CHECK(access(sp, F_OK) != 0);
        /* the wrong old key changes nothing */
        CHECK_INT(sealdb_rekey(path_of("rk.db"), &b, &a, &err), SEALDB_EWRONGKEY);
        check_opens_only("rk.db", &a, &b, modes[m]);
        char tmp[600];
        snprintf(tmp, sizeof tmp, "%s.sealdb-tmp", path_of("rk.db"));
        CHECK(access(tmp, F_OK) != 0);
    }
}

/* A WAL still holding frames, another connection open: the rekey takes the
 * frames along; the other connection cannot write into the old file after. */
static void test_rekey_wal_frames(void)
{
    sealdb_error err;
    sealdb_sqlite_config a = hexcfg(HEX_A), b = hexcfg(HEX_B);
    remove_db("wf.db");
    sqlite3 *db = NULL;
    CHECK_INT(sealdb_sqlite_open(path_of("wf.db"), &a, &db, &err), SEALDB_OK);
    exec(db, "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0");
    exec(db, FILL);
    sealdb_file_info info;
    sealdb_inspect(path_of("wf.db"), &info, &err);
    CHECK(info.wal_present);
    CHECK(info.wal_bytes > 100000);
    CHECK_INT(sealdb_rekey(path_of("wf.db"), &a, &b, &err), SEALDB_OK);
    /* the old connection: its writes are refused with a message */
    CHECK(exec(db, "INSERT INTO t VALUES (1, 1, 'lost?')") != SQLITE_OK);
    char got[300];
    query1(db, "PRAGMA sealdb_error", got, sizeof got);
    CHECK_STR(got, "the database file was replaced (rekeyed, encrypted or restored) after this "
                   "connection opened it; close the connection and open the database again");
    sqlite3_close(db);
    check_opens_only("wf.db", &b, &a, "wal with frames");
    /* rollback mode: an old connection also cannot write */
    CHECK_INT(make_db("rj.db", &a, "delete"), SQLITE_OK);
    CHECK_INT(sealdb_sqlite_open(path_of("rj.db"), &a, &db, &err), SEALDB_OK);
    CHECK_INT(sealdb_rekey(path_of("rj.db"), &a, &b, &err), SEALDB_OK);
    CHECK(exec(db, "INSERT INTO t VALUES (1, 1, 'lost?')") != SQLITE_OK);
    query1(db, "SELECT count(*) FROM t", got, sizeof got);
    CHECK(strncmp(got, "error", 5) == 0);
    sqlite3_close(db);
    check_opens_only("rj.db", &b, &a, "rollback with an old connection");
    /* a writer holding its transaction open: rekey gives up with EBUSY */
    CHECK_INT(sealdb_sqlite_open(path_of("rj.db"), &b, &db, &err), SEALDB_OK);
    exec(db, "BEGIN IMMEDIATE; INSERT INTO t VALUES (1, 1, 'x')");
    CHECK_INT(sealdb_rekey(path_of("rj.db"), &b, &a, &err), SEALDB_EBUSY);
    exec(db, "ROLLBACK");
    sqlite3_close(db);
    check_opens_only("rj.db", &b, &a, "busy rekey");
}

/* ---- encrypt and decrypt ------------------------------------------------------------------- */

static const char *RICH =
    "PRAGMA user_version = 42; PRAGMA application_id = 1936024676;"
    "CREATE TABLE gaps(a, b);"
    "INSERT INTO gaps(rowid, a, b) VALUES (5, 'five', x'05'), (17, 'seventeen', 1.5),"
    " (1000, NULL, 'x');"
    "CREATE TABLE auto(id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);"
    "INSERT INTO auto(v) VALUES ('a'), ('b'), ('c'); DELETE FROM auto WHERE id = 3;"
    "CREATE TABLE wr(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
    "INSERT INTO wr VALUES ('b', 2), ('a', 1);"
    "CREATE TABLE gen(x INTEGER, y INTEGER GENERATED ALWAYS AS (x * 2) STORED);"
    "INSERT INTO gen(x) VALUES (21);"
    "CREATE UNIQUE INDEX gaps_a ON gaps(a);"
    "CREATE VIEW v AS SELECT a FROM gaps WHERE a IS NOT NULL;"
    "CREATE TABLE log(msg);"
    "CREATE TRIGGER tr AFTER INSERT ON auto BEGIN INSERT INTO log VALUES (new.v); END;"
    "CREATE VIRTUAL TABLE docs USING fts5(body);"
    "INSERT INTO docs VALUES ('sealed pages'), ('plain text');"
    "CREATE TABLE big(id INTEGER PRIMARY KEY, blob);"
    "INSERT INTO big VALUES (1, randomblob(100000));";

static const char *RICH_DIGEST =
    "SELECT (SELECT group_concat(rowid || '=' || quote(a) || '/' || quote(b), ';') FROM gaps)"
    " || '|' || (SELECT group_concat(id || v) FROM auto)"
    " || '|' || (SELECT seq FROM sqlite_sequence WHERE name = 'auto')"
    " || '|' || (SELECT group_concat(k || v) FROM wr)"
    " || '|' || (SELECT x || ',' || y FROM gen)"
    " || '|' || (SELECT group_concat(a) FROM v)"
    " || '|' || (SELECT group_concat(body) FROM docs WHERE docs MATCH 'sealed')"
    " || '|' || (SELECT length(blob) FROM big)"
    " || '|' || (SELECT count(*) FROM sqlite_schema)"
    " || '|' || (SELECT group_concat(type || ':' || name, ',') FROM (SELECT type, name FROM "
    "sqlite_schema ORDER BY name))";

static void rich_digest(sqlite3 *db, char *out, size_t cap)
{
    char a[1200], b[32], c[32];
    query1(db, RICH_DIGEST, a, sizeof a);
    query1(db, "PRAGMA user_version", b, sizeof b);
    query1(db, "PRAGMA application_id", c, sizeof c);
    snprintf(out, cap, "%s|uv=%s|app=%s", a, b, c);
}

static void test_encrypt_decrypt(void)
{
    sealdb_error err;
    remove_db("plain.db");
    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open(path_of("plain.db"), &db), SQLITE_OK);
    CHECK_INT(exec(db, RICH), SQLITE_OK);
    char before[1400];
    rich_digest(db, before, sizeof before);
    sqlite3_close(db);
    CHECK(strstr(before, "5='five'/X'05';17='seventeen'/1.5;1000=NULL/'x'|1a,2b|3|a1,b2|21,42|"
                         "five,seventeen|sealed pages|100000|") != NULL);
    CHECK(strstr(before, "|uv=42|app=1936024676") != NULL);
    /* to a new file */
    sealdb_sqlite_config a = hexcfg(HEX_A);
    remove_db("enc.db");
    CHECK_INT(sealdb_encrypt(path_of("plain.db"), path_of("enc.db"), &a, &err), SEALDB_OK);
    CHECK_INT(sealdb_sqlite_open(path_of("enc.db"), &a, &db, &err), SEALDB_OK);
    char after[1400];
    rich_digest(db, after, sizeof after);
    CHECK_STR(after, before);
    /* the trigger came along and works */
    exec(db, "INSERT INTO auto(v) VALUES ('d')");
    char got[64];
    query1(db, "SELECT (SELECT group_concat(msg) FROM log) || ':' || (SELECT max(id) FROM auto)",
           got, sizeof got);
    CHECK_STR(got, "d:4");
    sqlite3_close(db);
    /* the output must not exist */
    CHECK_INT(sealdb_encrypt(path_of("plain.db"), path_of("enc.db"), &a, &err), SEALDB_EINVAL);
    /* sealed again is refused */
    CHECK_INT(sealdb_encrypt(path_of("enc.db"), NULL, &a, &err), SEALDB_EINVAL);
    /* decrypt to a new plain file: plain SQLite reads it */
    remove_db("dec.db");
    CHECK_INT(sealdb_decrypt(path_of("enc.db"), path_of("dec.db"), &a, &err), SEALDB_OK);
    CHECK_INT(sqlite3_open(path_of("dec.db"), &db), SQLITE_OK);
    rich_digest(db, after, sizeof after);
    CHECK(strstr(after, "1a,2b,4d|4|") != NULL);
    query1(db, "PRAGMA integrity_check", got, sizeof got);
    CHECK_STR(got, "ok");
    sqlite3_close(db);
    uint8_t hdr[16];
    FILE *f = fopen(path_of("dec.db"), "rb");
    CHECK(f && fread(hdr, 1, 16, f) == 16);
    if (f) {
        fclose(f);
    }
    CHECK_MEM(hdr, "SQLite format 3", 16);
    /* in place, with a passphrase, in WAL mode */
    CHECK_INT(sqlite3_open(path_of("plain.db"), &db), SQLITE_OK);
    exec(db, "PRAGMA journal_mode = WAL");
    sqlite3_close(db);
    sealdb_sqlite_config p = passcfg("in place");
    CHECK_INT(sealdb_encrypt(path_of("plain.db"), NULL, &p, &err), SEALDB_OK);
    sealdb_file_info info;
    CHECK_INT(sealdb_inspect(path_of("plain.db"), &info, &err), SEALDB_OK);
    CHECK_INT(info.sealed, 1);
    CHECK_INT(info.journal_mode_wal, 1);
    CHECK_INT(sealdb_sqlite_open(path_of("plain.db"), &p, &db, &err), SEALDB_OK);
    rich_digest(db, after, sizeof after);
    CHECK_STR(after, before);
    sqlite3_close(db);
    /* no plaintext on disk */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "grep -c seventeen '%s' > /dev/null", path_of("plain.db"));
    CHECK(system(cmd) != 0);
    /* in place back to plain */
    CHECK_INT(sealdb_decrypt(path_of("plain.db"), NULL, &p, &err), SEALDB_OK);
    CHECK_INT(sqlite3_open(path_of("plain.db"), &db), SQLITE_OK);
    rich_digest(db, after, sizeof after);
    CHECK_STR(after, before);
    sqlite3_close(db);
}

/* Encrypt in place under other plain SQLite connections: the VFS cannot
 * guard them, so an idle one must fail its next transaction (not write to
 * the replaced file), and in WAL mode the encryption waits for them to
 * close and gives up with EBUSY. */
static void test_encrypt_under_plain_connections(void)
{
    sealdb_error err;
    sealdb_sqlite_config a = hexcfg(HEX_A);
    remove_db("pc.db");
    sqlite3 *db = NULL;
    CHECK_INT(sqlite3_open(path_of("pc.db"), &db), SQLITE_OK);
    CHECK_INT(exec(db, FILL), SQLITE_OK);
    char got[256];
    query1(db, "SELECT count(*) FROM t", got, sizeof got);
    CHECK_STR(got, "3000");
    CHECK_INT(sealdb_encrypt(path_of("pc.db"), NULL, &a, &err), SEALDB_OK);
    CHECK(sqlite3_exec(db, "INSERT INTO t VALUES (1, 1, 'lost?')", NULL, NULL, NULL) != SQLITE_OK);
    CHECK_STR(sqlite3_errmsg(db), "file is not a database");
    sqlite3_close(db);
    check_opens_only("pc.db", &a, NULL, "encrypt under an idle plain connection");
    /* WAL mode: refused while another connection is open; nothing changes */
    remove_db("pw.db");
    CHECK_INT(sqlite3_open(path_of("pw.db"), &db), SQLITE_OK);
    CHECK_INT(exec(db, "PRAGMA journal_mode = WAL"), SQLITE_OK);
    CHECK_INT(exec(db, FILL), SQLITE_OK);
    CHECK_INT(sealdb_encrypt(path_of("pw.db"), NULL, &a, &err), SEALDB_EBUSY);
    CHECK_STR(err.message, "cannot put the new database in place: other connections have the "
                           "database open (WAL mode); close them first");
    query1(db, DIGEST, got, sizeof got);
    CHECK_STR(got, EXPECTED);
    sqlite3_close(db);
    sealdb_file_info info;
    CHECK_INT(sealdb_inspect(path_of("pw.db"), &info, &err), SEALDB_OK);
    CHECK_INT(info.sealed, 0);
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.sealdb-tmp", path_of("pw.db"));
    CHECK(access(tmp, F_OK) != 0);
}

/* ---- verify --------------------------------------------------------------------------------- */

typedef struct lines {
    char text[2048];
} lines;

static void collect(void *arg, const char *problem)
{
    lines *l = arg;
    const size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof l->text - n, "%s\n", problem);
}

static void patch(const char *name, long off, const void *data, size_t len)
{
    const int fd = open(path_of(name), O_RDWR);
    CHECK_INT(pwrite(fd, data, len, off), (long long)len);
    close(fd);
}

/* Flips bits of one byte, so that the byte surely changes (writing a fixed
 * value would leave it as it was when the sealed byte already held that
 * value, one time in 256). */
static void flip(const char *path, long off)
{
    const int fd = open(path, O_RDWR);
    uint8_t c = 0;
    CHECK_INT(pread(fd, &c, 1, off), 1);
    c ^= 0x5a;
    CHECK_INT(pwrite(fd, &c, 1, off), 1);
    close(fd);
}

static void test_verify(void)
{
    sealdb_error err;
    sealdb_verify_report rep;
    lines l = {{0}};
    sealdb_sqlite_config a = hexcfg(HEX_A), b = hexcfg(HEX_B);
    CHECK_INT(make_db("v.db", &a, "delete"), SQLITE_OK);
    CHECK_INT(sealdb_verify(path_of("v.db"), &a, collect, &l, &rep, &err), SEALDB_OK);
    CHECK_STR(l.text, "");
    sealdb_file_info info;
    sealdb_inspect(path_of("v.db"), &info, &err);
    CHECK_INT(rep.pages, info.file_bytes / 4096);
    CHECK_INT(rep.bad_pages, 0);
    /* wrong key is a wrong key */
    CHECK_INT(sealdb_verify(path_of("v.db"), &b, collect, &l, &rep, &err), SEALDB_EWRONGKEY);
    CHECK_STR(err.message, "wrong key for this database");
    /* a flipped byte in page 3 */
    uint8_t page[4096];
    FILE *f = fopen(path_of("v.db"), "rb");
    fseek(f, 4096, SEEK_SET);
    CHECK(fread(page, 1, 4096, f) == 4096);
    fclose(f);
    flip(path_of("v.db"), 2 * 4096 + 100);
    CHECK_INT(sealdb_verify(path_of("v.db"), &a, collect, &l, &rep, &err), SEALDB_ECORRUPT);
    CHECK_STR(l.text, "page 3: bad tag (damaged or tampered)\n");
    CHECK_INT(rep.bad_pages, 1);
    CHECK_STR(err.message, "1 problem found");
    /* page 2's sealed image copied over page 5 */
    l.text[0] = '\0';
    patch("v.db", 4 * 4096, page, 4096);
    CHECK_INT(sealdb_verify(path_of("v.db"), &a, collect, &l, &rep, &err), SEALDB_ECORRUPT);
    CHECK_STR(l.text, "page 3: bad tag (damaged or tampered)\n"
                      "page 5: holds the sealed image of page 2 (page moved or copied)\n");
    /* a truncated file */
    l.text[0] = '\0';
    CHECK_INT(make_db("v.db", &a, "delete"), SQLITE_OK);
    sealdb_inspect(path_of("v.db"), &info, &err);
    CHECK_INT(truncate(path_of("v.db"), (off_t)info.file_bytes - 4096 - 100), 0);
    CHECK_INT(sealdb_verify(path_of("v.db"), &a, collect, &l, &rep, &err), SEALDB_ECORRUPT);
    char want[300];
    const unsigned pages = (unsigned)(info.file_bytes / 4096);
    snprintf(want, sizeof want,
             "page %u: truncated (the file ends 3996 bytes into it)\n"
             "database: truncated: the header records %u pages, the file holds %u\n",
             pages - 1, pages, pages - 2);
    CHECK_STR(l.text, want);
    /* a WAL frame with a bad seal but a chaining checksum cannot be made
     * without the key's help; a flipped byte breaks the chain and ends the
     * log, which verify reports */
    l.text[0] = '\0';
    remove_db("w.db");
    sqlite3 *db = NULL;
    CHECK_INT(sealdb_sqlite_open(path_of("w.db"), &a, &db, &err), SEALDB_OK);
    exec(db, "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;"
             "CREATE TABLE t(x); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);"
             "INSERT INTO t VALUES (3)");
    CHECK_INT(sealdb_verify(path_of("w.db"), &a, collect, &l, &rep, &err), SEALDB_OK);
    CHECK_INT(rep.wal_commits, 4);
    CHECK_INT(rep.wal_frames, rep.wal_commits + 1); /* the CREATE wrote pages 1 and 2 */
    char walp[600];
    snprintf(walp, sizeof walp, "%s-wal", path_of("w.db"));
    flip(walp, 32 + 24 + 4096 + 24 + 500);
    CHECK_INT(sealdb_verify(path_of("w.db"), &a, collect, &l, &rep, &err), SEALDB_ECORRUPT);
    CHECK_STR(l.text, "WAL: the log ends at frame 1 of 5 (checksum or salt mismatch at frame 2); "
                      "the 4 frames after it are ignored\n");
    sqlite3_close(db);
}

/* ---- backup and restore ------------------------------------------------------------------- */

static long file_size(const char *name)
{
    struct stat st;
    return stat(path_of(name), &st) == 0 ? (long)st.st_size : -1;
}

static void test_backup(void)
{
    char got[256];
    int code;
    sealdb_error err;
    sealdb_sqlite_config a = hexcfg(HEX_A), b = hexcfg(HEX_B);
    /* a WAL database with frames not yet checkpointed, and an open writer */
    remove_db("bk.db");
    sqlite3 *db = NULL;
    CHECK_INT(sealdb_sqlite_open(path_of("bk.db"), &a, &db, &err), SEALDB_OK);
    exec(db, "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0");
    exec(db, FILL);
    remove_db("bk.backup");
    /* under the database's key source */
    CHECK_INT(sealdb_backup(path_of("bk.db"), &a, path_of("bk.backup"), NULL, 0, &err), SEALDB_OK);
    /* the live database goes on; the backup is the snapshot */
    exec(db, "DELETE FROM t WHERE id > 3");
    sqlite3_close(db);
    sealdb_backup_info info;
    CHECK_INT(sealdb_backup_verify(path_of("bk.backup"), &a, &info, &err), SEALDB_OK);
    CHECK_INT(info.page_size, 4096);
    CHECK_INT(info.cipher, SEALDB_AEGIS256);
    CHECK_INT(info.chunks, 1);
    CHECK_INT(info.pages, 89);
    CHECK_INT(info.bytes, file_size("bk.backup"));
    /* compressed: the 90-byte texts of zeros compress well */
    CHECK(file_size("bk.backup") < (long)info.pages * 4096 / 2);
    /* restore under another key, then open and compare */
    remove_db("rs.db");
    CHECK_INT(sealdb_restore(path_of("bk.backup"), &a, path_of("rs.db"), &b, &err), SEALDB_OK);
    digest("rs.db", &b, got, sizeof got, &code);
    CHECK_STR(got, EXPECTED);
    digest("rs.db", &a, got, sizeof got, &code);
    CHECK_INT(code, SEALDB_EWRONGKEY);
    /* the output must be new */
    CHECK_INT(sealdb_restore(path_of("bk.backup"), &a, path_of("rs.db"), &b, &err), SEALDB_EINVAL);
    /* the wrong backup key */
    remove_db("rs2.db");
    CHECK_INT(sealdb_restore(path_of("bk.backup"), &b, path_of("rs2.db"), NULL, &err),
              SEALDB_EWRONGKEY);
    CHECK_STR(err.message, "wrong key for this backup (or its header is damaged)");
    CHECK(access(path_of("rs2.db"), F_OK) != 0);
    /* under a passphrase of its own, restored into key slots */
    sealdb_sqlite_config bp = passcfg("offsite");
    remove_db("bk2.backup");
    CHECK_INT(sealdb_backup(path_of("rs.db"), &b, path_of("bk2.backup"), &bp, 19, &err), SEALDB_OK);
    sealdb_sqlite_config bpo = {.passphrase = "offsite"};
    sealdb_sqlite_config slots = {.hexkey = HEX_A, .keyslots = 1};
    remove_db("rs3.db");
    CHECK_INT(sealdb_restore(path_of("bk2.backup"), &bpo, path_of("rs3.db"), &slots, &err),
              SEALDB_OK);
    digest("rs3.db", &a, got, sizeof got, &code);
    CHECK_STR(got, EXPECTED);
    /* truncated: refused, nothing written */
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s' && truncate -s -100 '%s'", path_of("bk.backup"),
             path_of("cut.backup"), path_of("cut.backup"));
    CHECK_INT(system(cmd), 0);
    remove_db("rs4.db");
    CHECK_INT(sealdb_restore(path_of("cut.backup"), &a, path_of("rs4.db"), NULL, &err),
              SEALDB_ECORRUPT);
    char want[700];
    snprintf(want, sizeof want, "%s is truncated or damaged: its trailer is missing (%ld bytes)",
             path_of("cut.backup"), file_size("cut.backup"));
    CHECK_STR(err.message, want);
    CHECK(access(path_of("rs4.db"), F_OK) != 0);
    /* one flipped byte in a chunk: refused before anything is written */
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path_of("bk.backup"), path_of("flip.backup"));
    CHECK_INT(system(cmd), 0);
    const int fd = open(path_of("flip.backup"), O_RDWR);
    uint8_t byte;
    CHECK_INT(pread(fd, &byte, 1, 96 + 52 + 60), 1);
    byte ^= 1;
    CHECK_INT(pwrite(fd, &byte, 1, 96 + 52 + 60), 1);
    close(fd);
    CHECK_INT(sealdb_restore(path_of("flip.backup"), &a, path_of("rs4.db"), NULL, &err),
              SEALDB_ECORRUPT);
    snprintf(want, sizeof want,
             "chunk 1 (pages 1..%u) fails authentication: the backup is damaged or was "
             "tampered with",
             info.pages);
    CHECK_STR(err.message, want);
    CHECK(access(path_of("rs4.db"), F_OK) != 0);
    /* several chunks: 2400 rows of 1000 random bytes, row for row equal after restore */
    remove_db("big.db");
    CHECK_INT(sealdb_sqlite_open(path_of("big.db"), &a, &db, &err), SEALDB_OK);
    exec(db, "CREATE TABLE r(id INTEGER PRIMARY KEY, x BLOB);"
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2400)"
             " INSERT INTO r SELECT i, randomblob(1000) FROM n");
    remove_db("big.backup");
    CHECK_INT(sealdb_backup(path_of("big.db"), &a, path_of("big.backup"), NULL, 1, &err),
              SEALDB_OK);
    CHECK_INT(sealdb_backup_verify(path_of("big.backup"), &a, &info, &err), SEALDB_OK);
    CHECK(info.pages > 512);
    CHECK_INT(info.chunks, (info.pages + 255) / 256);
    remove_db("big2.db");
    CHECK_INT(sealdb_restore(path_of("big.backup"), &a, path_of("big2.db"), NULL, &err), SEALDB_OK);
    sqlite3 *copy = NULL;
    CHECK_INT(sealdb_sqlite_open(path_of("big2.db"), &a, &copy, &err), SEALDB_OK);
    sqlite3_stmt *s1 = NULL, *s2 = NULL;
    sqlite3_prepare_v2(db, "SELECT id, x FROM r ORDER BY id", -1, &s1, NULL);
    sqlite3_prepare_v2(copy, "SELECT id, x FROM r ORDER BY id", -1, &s2, NULL);
    int rows = 0, same = 0;
    while (sqlite3_step(s1) == SQLITE_ROW && sqlite3_step(s2) == SQLITE_ROW) {
        rows++;
        same += sqlite3_column_int(s1, 0) == sqlite3_column_int(s2, 0) &&
                sqlite3_column_bytes(s1, 1) == 1000 && sqlite3_column_bytes(s2, 1) == 1000 &&
                memcmp(sqlite3_column_blob(s1, 1), sqlite3_column_blob(s2, 1), 1000) == 0;
    }
    CHECK_INT(rows, 2400);
    CHECK_INT(same, 2400);
    sqlite3_finalize(s1);
    sqlite3_finalize(s2);
    sqlite3_close(copy);
    sqlite3_close(db);
    /* not a backup */
    CHECK_INT(sealdb_backup_verify(path_of("rs.db"), &a, &info, &err), SEALDB_ECORRUPT);
    snprintf(want, sizeof want, "%s is not a sealdb backup", path_of("rs.db"));
    CHECK_STR(err.message, want);
}

/* ---- the maintenance pragmas --------------------------------------------------------------- */

static void test_pragmas(void)
{
    char got[512], want[700];
    int code;
    sealdb_error err;
    sealdb_sqlite_config a = hexcfg(HEX_A), b = hexcfg(HEX_B);
    CHECK_INT(make_db("pr.db", &a, "delete"), SQLITE_OK);
    sqlite3 *db = NULL;
    CHECK_INT(sealdb_sqlite_open(path_of("pr.db"), &a, &db, &err), SEALDB_OK);
    query1(db, "PRAGMA sealdb_verify", got, sizeof got);
    sealdb_file_info info;
    sealdb_inspect(path_of("pr.db"), &info, &err);
    snprintf(want, sizeof want, "ok: %u pages and 0 WAL frames authenticate",
             (unsigned)(info.file_bytes / 4096));
    CHECK_STR(got, want);
    /* rekey from SQL: the connection goes on under the new key */
    char sql[200];
    snprintf(sql, sizeof sql, "PRAGMA sealdb_rekey = 'hexkey:%s'", HEX_B);
    query1(db, sql, got, sizeof got);
    CHECK_STR(got, "ok");
    query1(db, DIGEST, got, sizeof got);
    CHECK_STR(got, EXPECTED);
    CHECK_INT(exec(db, "INSERT INTO t VALUES (1, 1, 'after')"), SQLITE_OK);
    query1(db, "SELECT b FROM t WHERE id = 1", got, sizeof got);
    CHECK_STR(got, "after");
    CHECK_INT(exec(db, "DELETE FROM t WHERE id = 1"), SQLITE_OK);
    sqlite3_close(db);
    check_opens_only("pr.db", &b, &a, "PRAGMA sealdb_rekey");
    /* a bad spec */
    CHECK_INT(sealdb_sqlite_open(path_of("pr.db"), &b, &db, &err), SEALDB_OK);
    query1(db, "PRAGMA sealdb_rekey = 'nonsense'", got, sizeof got);
    CHECK_STR(got, "error: sealdb: PRAGMA sealdb_rekey takes 'hexkey:<hex>', 'keyfile:<path>', "
                   "'keyenv:<name>' or 'passphrase:<text>' (and ',keyslots')");
    /* backup from SQL */
    remove_db("pr.backup");
    snprintf(sql, sizeof sql, "PRAGMA sealdb_backup = '%s'", path_of("pr.backup"));
    query1(db, sql, got, sizeof got);
    CHECK_STR(got, "ok");
    sqlite3_close(db);
    remove_db("pr2.db");
    CHECK_INT(sealdb_restore(path_of("pr.backup"), &b, path_of("pr2.db"), NULL, &err), SEALDB_OK);
    digest("pr2.db", &b, got, sizeof got, &code);
    CHECK_STR(got, EXPECTED);
    /* WAL mode: rekeyed, and this connection must reopen */
    CHECK_INT(make_db("prw.db", &a, "wal"), SQLITE_OK);
    CHECK_INT(sealdb_sqlite_open(path_of("prw.db"), &a, &db, &err), SEALDB_OK);
    snprintf(sql, sizeof sql, "PRAGMA sealdb_rekey = 'hexkey:%s,keyslots'", HEX_B);
    query1(db, sql, got, sizeof got);
    CHECK_STR(got, "ok: rekeyed; in WAL mode this connection must now be closed and the database "
                   "opened with the new key");
    query1(db, "SELECT count(*) FROM t", got, sizeof got);
    CHECK(strncmp(got, "error", 5) == 0);
    sqlite3_close(db);
    check_opens_only("prw.db", &b, &a, "PRAGMA sealdb_rekey in WAL mode");
    CHECK_INT(sealdb_sqlite_open(path_of("prw.db"), &b, &db, &err), SEALDB_OK);
    query1(db, "PRAGMA sealdb_keyslots", got, sizeof got);
    CHECK_STR(got, "1 key initial");
    sqlite3_close(db);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/sealdb-test-keys-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_key_sources();
    test_passphrase();
    test_keyslots();
    test_rekey();
    test_rekey_wal_frames();
    test_encrypt_decrypt();
    test_encrypt_under_plain_connections();
    test_verify();
    test_backup();
    test_pragmas();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
    return check_report();
}
