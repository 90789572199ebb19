"""test_python.py - the sealdb Python module (python/sealdb) on sealed databases.

Usage: /usr/bin/python3 test_python.py (ctest sets SEALDB_EXTENSION to the
built libsealdb.so and PYTHONPATH to python/).

Checks the module's DB-API surface (apilevel, threadsafety, paramstyle, the
exceptions, which are sqlite3's), version() against include/sealdb.h, the
URI it builds (every value percent-escaped, exactly one key source) and its
argument errors; then, on a sealed database created through
sealdb.connect(hexkey=...): cursors, execute with ? parameters, executemany,
fetchone/fetchmany/fetchall, description, commit and rollback (rolled back
rows are gone after reopening), the connection as a context manager,
IntegrityError on a UNIQUE violation, a reopen reading every row exactly, a
wrong key failing with sqlite3.DatabaseError naming the wrong key (both
layouts) and leaving the file as it was, and a file that holds none of the
rows' text and does not start with "SQLite format 3". Last, a Python whose
sqlite3 module cannot load extensions must get sealdb.ExtensionError saying
so: simulated under this Python, and for real under the first other python3
on PATH that lacks extension loading, if there is one.

Exit status: 0 every check passed, 1 a check failed, 77 (skipped) only when
/usr/bin/python3 does not exist.
"""

import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse

SYSTEM_PYTHON = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
KEY64 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
KEY32 = "000102030405060708090a0b0c0d0e0f"
MARKER = "PLAINTEXT-MARKER-python-module"
ROWS = [
    (1, "alpha", b"\x00\xff", 1.5),
    (2, MARKER, None, -2.25),
    (3, "b\u00eata \u2713", b"\xb1\x0bBLOB", 0.0),
    (4, "delta", b"", None),
    (5, "epsilon", b"e", 5e300),
]
NO_LOAD_MESSAGE = "this Python's sqlite3 module cannot load extensions"

checks = 0
failures = 0


def check(what, got, expected):
    global checks, failures
    checks += 1
    if got != expected:
        failures += 1
        print(f"FAIL: {what}\n  got:      {got!r}\n  expected: {expected!r}", file=sys.stderr)


def check_true(what, cond, detail=""):
    global checks, failures
    checks += 1
    if not cond:
        failures += 1
        print(f"FAIL: {what}" + (f"\n  {detail}" if detail else ""), file=sys.stderr)


def raises(fn, *args, **kwargs):
    """The exception fn(*args, **kwargs) raises, or None."""
    try:
        fn(*args, **kwargs)
    except Exception as e:  # noqa: BLE001 - the caller checks the type
        return e
    return None


def check_raises(what, exc_type, fn, *args, must_contain=(), **kwargs):
    e = raises(fn, *args, **kwargs)
    check_true(f"{what}: raises {exc_type.__name__}", isinstance(e, exc_type),
               f"got {type(e).__name__}: {e}")
    for text in must_contain:
        check_true(f"{what}: message mentions {text!r}", text in str(e), f"message: {e}")
    return e


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_module(sealdb):
    check("apilevel", sealdb.apilevel, sqlite3.apilevel)
    check("threadsafety", sealdb.threadsafety, sqlite3.threadsafety)
    check("paramstyle", sealdb.paramstyle, "qmark")
    for name in ("Warning", "Error", "InterfaceError", "DatabaseError", "DataError",
                 "OperationalError", "IntegrityError", "InternalError", "ProgrammingError",
                 "NotSupportedError"):
        check(f"sealdb.{name} is sqlite3.{name}", getattr(sealdb, name), getattr(sqlite3, name))
    check_true("ExtensionError is a sealdb.Error", issubclass(sealdb.ExtensionError, sealdb.Error))
    check_true("ConfigError is a sealdb.Error", issubclass(sealdb.ConfigError, sealdb.Error))

    loaded = sealdb.load()
    env = os.environ.get("SEALDB_EXTENSION")
    if env:
        check("the extension loaded is $SEALDB_EXTENSION", os.path.realpath(loaded),
              os.path.realpath(env))
    check("load() again returns the same", sealdb.load(), loaded)
    with open(os.path.join(HERE, "..", "include", "sealdb.h")) as f:
        want = re.search(r'#define SEALDB_VERSION_STRING "([^"]+)"', f.read()).group(1)
    check("version()", sealdb.version(), want)

    check_raises("a missing extension=", sealdb.ExtensionError, sealdb.find_extension,
                 "/nonexistent/libsealdb.so", must_contain=("/nonexistent/libsealdb.so",))
    saved = os.environ.get("SEALDB_EXTENSION")
    os.environ["SEALDB_EXTENSION"] = "/nonexistent/env/libsealdb.so"
    try:
        check_raises("a missing $SEALDB_EXTENSION", sealdb.ExtensionError, sealdb.find_extension,
                     must_contain=("SEALDB_EXTENSION", "/nonexistent/env/libsealdb.so"))
    finally:
        if saved is None:
            del os.environ["SEALDB_EXTENSION"]
        else:
            os.environ["SEALDB_EXTENSION"] = saved
    with tempfile.TemporaryDirectory(prefix="sealdb-py-") as d:
        other = os.path.join(d, "libsealdb.so")
        shutil.copyfile(loaded, other)
        check_raises("loading a second copy", sealdb.ExtensionError, sealdb.load, other,
                     must_contain=("already loaded",))


def test_uri(sealdb):
    path = "/tmp/dir with space/a%b#c?d&e=f\u00fc.db"
    values = {"passphrase": "p&q=r%s #?+\u00e9/x", "keyfile": "/k dir/key&1.hex",
              "keyenv": "SEALDB_KEY", "hexkey": KEY64}
    for name, value in values.items():
        uri = sealdb._uri(path, sealdb._params("aes-256-gcm", *(
            value if n == name else None for n in ("hexkey", "keyfile", "keyenv", "passphrase")),
            "turso"))
        base, query = uri.split("?", 1)
        check_true(f"URI ({name}): base escapes ?, #, %, space",
                   not any(c in base[len("file:"):] for c in "?# ") and "%25" in base, uri)
        check(f"URI ({name}): path", urllib.parse.unquote(base[len("file://"):]), path)
        pairs = [p.split("=", 1) for p in query.split("&")]
        check(f"URI ({name}): parameters",
              [(k, urllib.parse.unquote(v)) for k, v in pairs],
              [("vfs", "sealdb"), ("cipher", "aes-256-gcm"), ("layout", "turso"), (name, value)])
    check("URI of a relative path", sealdb._uri("rel dir/x.db", [("hexkey", KEY32)]),
          f"file:rel%20dir/x.db?vfs=sealdb&hexkey={KEY32}")
    check("URI of a path starting with //", sealdb._uri("//x/y.db", [("hexkey", KEY32)]),
          f"file:////x/y.db?vfs=sealdb&hexkey={KEY32}")

    bad = [
        ("no key source", {}, "exactly one key source"),
        ("two key sources", {"hexkey": KEY64, "passphrase": "x"}, "hexkey, passphrase"),
        ("an empty passphrase", {"passphrase": ""}, "passphrase is empty"),
        ("a NUL in a value", {"passphrase": "a\0b"}, "NUL"),
        ("a non-hex hexkey", {"hexkey": KEY64[:-1] + "g"}, "position 63"),
        ("a short hexkey", {"hexkey": KEY64[:-2]}, "62 digits"),
        ("an unknown layout", {"hexkey": KEY64, "layout": "plain"}, "hardened or turso"),
        ("uri= given", {"hexkey": KEY64, "uri": True}, "uri="),
    ]
    for what, kwargs, text in bad:
        e = check_raises(what, sealdb.ConfigError, sealdb.connect, "/nonexistent/x.db",
                         must_contain=(text,), **kwargs)
        check_true(f"{what}: the message holds no key", KEY64[:-2] not in str(e), str(e))


def test_dbapi(sealdb, d):
    path = os.path.join(d, "db dir #1", "app?&=.db")
    os.mkdir(os.path.dirname(path))

    con = sealdb.connect(path, hexkey=KEY64)
    check_true("connect returns a sqlite3.Connection", isinstance(con, sqlite3.Connection))
    cur = con.cursor()
    cur.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, data BLOB,"
                " score REAL)")
    cur.execute("INSERT INTO t VALUES (?, ?, ?, ?)", ROWS[0])
    check("execute: rowcount", cur.rowcount, 1)
    check("execute: lastrowid", cur.lastrowid, 1)
    cur.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", ROWS[1:])
    check("executemany: rowcount", cur.rowcount, len(ROWS) - 1)
    con.commit()

    cur.execute("SELECT id, name, data, score FROM t WHERE id >= ? ORDER BY id", (1,))
    check("description", cur.description,
          tuple((n, None, None, None, None, None, None) for n in ("id", "name", "data", "score")))
    check("fetchone", cur.fetchone(), ROWS[0])
    check("fetchmany(2)", cur.fetchmany(2), ROWS[1:3])
    check("fetchall", cur.fetchall(), ROWS[3:])
    check("fetchone after the end", cur.fetchone(), None)
    check("a ? parameter", con.execute("SELECT data FROM t WHERE name = ?", (MARKER,)).fetchall(),
          [(None,)])
    check("sealdb_info", con.execute("PRAGMA sealdb_info").fetchall(),
          [("cipher=aegis256 layout=hardened reserved=48",)])

    # rollback
    con.execute("INSERT INTO t VALUES (100, 'rolled back', NULL, NULL)")
    check("in_transaction after an insert", con.in_transaction, True)
    con.rollback()
    check("a rolled back row is gone", con.execute("SELECT count(*) FROM t WHERE id = 100")
          .fetchone(), (0,))

    # the connection as a context manager: commits, or rolls back on an exception
    with con:
        con.execute("INSERT INTO t VALUES (?, ?, ?, ?)", (6, "committed by with", b"w", 6.0))
    check("with: committed", con.in_transaction, False)

    class Boom(Exception):
        pass

    check_raises("with: an exception passes through", Boom, _with_raising, con, Boom)

    # IntegrityError on a UNIQUE violation
    e = check_raises("UNIQUE violation", sealdb.IntegrityError, con.execute,
                     "INSERT INTO t(name) VALUES (?)", ("alpha",), must_contain=("UNIQUE",))
    check_true("UNIQUE violation: a sqlite3.IntegrityError", isinstance(e, sqlite3.IntegrityError))
    con.rollback()
    con.execute("INSERT INTO t VALUES (101, 'never committed', NULL, NULL)")
    con.close()  # without commit: discarded

    expected = ROWS + [(6, "committed by with", b"w", 6.0)]
    con = sealdb.connect(path, hexkey=KEY64, timeout=2.5, isolation_level=None)
    check("sqlite3 arguments pass through", con.isolation_level, None)
    check("reopened: every row, exactly",
          con.execute("SELECT * FROM t ORDER BY id").fetchall(), expected)
    check("reopened: rolled back and uncommitted rows are gone",
          con.execute("SELECT count(*) FROM t WHERE id IN (7, 100, 101)").fetchone(), (0,))
    check("reopened: integrity", con.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
    con.close()

    with open(path, "rb") as f:
        raw = f.read()
    check_true("the file does not hold the marker", MARKER.encode() not in raw)
    check_true("the file does not hold 'committed by with'", b"committed by with" not in raw)
    check_true("the file does not start with 'SQLite format 3'",
               not raw.startswith(b"SQLite format 3"), repr(raw[:16]))

    before = digest(path)
    e = check_raises("wrong key", sqlite3.DatabaseError, sealdb.connect, path,
                     hexkey="ff" + KEY64[2:], must_contain=("wrong key", path))
    check_true("wrong key: the message holds no key", KEY64[2:] not in str(e), str(e))
    check_raises("wrong cipher", sqlite3.DatabaseError, sealdb.connect, path, hexkey=KEY64,
                 cipher="aes256gcm", must_contain=("cipher",))
    check("the refused opens left the file as it was", digest(path), before)
    con = sealdb.connect(path, hexkey=KEY64)
    check("rows after the refused opens", con.execute("SELECT * FROM t ORDER BY id").fetchall(),
          expected)
    con.close()


def _with_raising(con, exc):
    with con:
        con.execute("INSERT INTO t VALUES (7, 'undone by with', NULL, NULL)")
        raise exc("boom")


def test_turso(sealdb, d):
    path = os.path.join(d, "turso.db")
    con = sealdb.connect(path, hexkey=KEY32, cipher="aes128gcm", layout="turso")
    con.execute("CREATE TABLE t(x)")
    con.executemany("INSERT INTO t VALUES (?)", [(MARKER,), ("two",)])
    con.commit()
    check("turso: sealdb_info", con.execute("PRAGMA sealdb_info").fetchall(),
          [("cipher=aes128gcm layout=turso reserved=28",)])
    con.close()
    con = sealdb.connect(path, hexkey=KEY32, cipher="aes128gcm")
    check("turso: reopened", con.execute("SELECT x FROM t ORDER BY rowid").fetchall(),
          [(MARKER,), ("two",)])
    con.close()
    with open(path, "rb") as f:
        check_true("turso: the file does not hold the marker", MARKER.encode() not in f.read())
    # the turso layout tells a wrong key when page 1 fails: connect reads it
    check_raises("turso: wrong key", sqlite3.DatabaseError, sealdb.connect, path,
                 hexkey="ff" + KEY32[2:], cipher="aes128gcm", must_contain=("wrong key",))


NO_LOAD_SIMULATED = r"""
import sqlite3, sys
class Connection:  # a sqlite3 module built without extension loading
    pass
sqlite3.Connection = Connection
import sealdb
try:
    sealdb.connect(sys.argv[1], hexkey=sys.argv[2])
except sealdb.ExtensionError as e:
    print(f"{type(e).__name__}: {e}")
    sys.exit(0)
print("connect did not raise ExtensionError")
sys.exit(1)
"""


def run_no_load(python, args, what):
    proc = subprocess.run([python, "-c", NO_LOAD_SIMULATED] + args, capture_output=True,
                          text=True, timeout=120)
    check(f"{what}: exit status (stderr: {proc.stderr.strip()[-500:]})", proc.returncode, 0)
    for text in (NO_LOAD_MESSAGE, "python3"):
        check_true(f"{what}: message mentions {text!r}", text in proc.stdout, proc.stdout)
    return proc.stdout.strip()


def test_no_extension_loading(d):
    args = [os.path.join(d, "never.db"), KEY64]
    out = run_no_load(sys.executable, args, "simulated Python without extension loading")
    print(f"simulated: {out}")
    check_true("the refused connect created no file", not os.path.exists(args[0]))

    real = None
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidate = os.path.join(directory or ".", "python3")
        if not os.access(candidate, os.X_OK) or os.path.realpath(candidate) == \
                os.path.realpath(sys.executable):
            continue
        probe = subprocess.run([candidate, "-c", "import sqlite3, sys; sys.exit("
                                "hasattr(sqlite3.Connection, 'enable_load_extension'))"],
                               capture_output=True, timeout=60)
        if probe.returncode == 0:
            real = candidate
            break
    if real is None:
        print("no other python3 on PATH lacks extension loading; checked the simulation only")
        return
    proc = subprocess.run([real, "-c", "import sealdb, sys; sealdb.connect(sys.argv[1], "
                           "hexkey=sys.argv[2])"] + args, capture_output=True, text=True,
                          timeout=120)
    print(f"{real} (no extension loading): {proc.stderr.strip().splitlines()[-1:]}")
    check_true(f"{real}: connect fails", proc.returncode != 0)
    for text in ("sealdb.ExtensionError", NO_LOAD_MESSAGE, "python3"):
        check_true(f"{real}: message mentions {text!r}", text in proc.stderr, proc.stderr)


def test_key_sources(sealdb, d):
    """Key file, key variable and passphrase open what they created."""
    keyfile = os.path.join(d, "device.key")
    fd = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, (KEY64 + "\n").encode())
    os.close(fd)
    path = os.path.join(d, "sources.db")
    with sealdb.connect(path, keyfile=keyfile) as con:
        con.execute("CREATE TABLE t(x)")
        con.execute("INSERT INTO t VALUES (?)", (MARKER,))
    con.close()
    os.environ["SEALDB_PY_TEST_KEY"] = KEY64
    con = sealdb.connect(path, keyenv="SEALDB_PY_TEST_KEY")
    check("keyfile, then keyenv: the row", con.execute("SELECT x FROM t").fetchall(), [(MARKER,)])
    con.close()
    con = sealdb.connect(path, hexkey=KEY64)
    check("keyfile, then hexkey: the row", con.execute("SELECT x FROM t").fetchall(), [(MARKER,)])
    con.close()
    os.chmod(keyfile, 0o644)
    e = raises(sealdb.connect, path, keyfile=keyfile)
    check_true("a key file readable by others is refused", isinstance(e, sqlite3.Error), repr(e))
    os.chmod(keyfile, 0o600)
    ppath = os.path.join(d, "pass.db")
    with sealdb.connect(ppath, passphrase="open s\u00e9same & more", kdf_ops=1, kdf_mem=8192) as con:
        con.execute("CREATE TABLE t(x)")
        con.execute("INSERT INTO t VALUES (42)")
    con.close()
    con = sealdb.connect(ppath, passphrase="open s\u00e9same & more")
    check("passphrase: the row", con.execute("SELECT x FROM t").fetchall(), [(42,)])
    con.close()
    e = raises(sealdb.connect, ppath, passphrase="open sesame & more")
    check_true("a wrong passphrase raises sqlite3.DatabaseError",
               isinstance(e, sqlite3.DatabaseError), repr(e))
    check_raises("kdf_ops without a passphrase", sealdb.ConfigError, sealdb.connect, ppath,
                 hexkey=KEY64, kdf_ops=1, must_contain=("passphrase only",))


def main():
    if not os.path.exists(SYSTEM_PYTHON):
        print(f"SKIP: {SYSTEM_PYTHON} does not exist; install the Debian package python3")
        return 77
    print(f"using {sys.executable} (Python {sys.version.split()[0]}, SQLite "
          f"{sqlite3.sqlite_version})")
    if not hasattr(sqlite3.Connection, "enable_load_extension"):
        print(f"FAIL: the sqlite3 module of {sys.executable} cannot load extensions; "
              f"run this test with {SYSTEM_PYTHON}", file=sys.stderr)
        return 1
    import sealdb

    test_module(sealdb)
    test_uri(sealdb)
    with tempfile.TemporaryDirectory(prefix="sealdb-py-") as d:
        test_dbapi(sealdb, d)
        test_turso(sealdb, d)
        test_key_sources(sealdb, d)
        test_no_extension_loading(d)

    if failures:
        print(f"{failures} of {checks} checks failed", file=sys.stderr)
        return 1
    print(f"{checks} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
