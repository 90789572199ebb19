"""test_extension.py - libsealdb as an extension of Python's sqlite3 module.

Usage: python3 test_extension.py BUILD_DIR/libsealdb (test_extension.sh
picks a Python whose sqlite3 module can load extensions and runs this).

A connection to an in-memory database loads the extension and is closed;
the "sealdb" VFS must outlive it. sqlite3.connect(uri, uri=True) then
creates a sealed database, writes rows of every storage class and reads
them back exactly; a second connection reopens the file and must read the
same rows. The file must not hold the rows' text or blobs. A wrong key must
fail with "file is not a database"; a URI without a key and one with a
misspelled parameter (chiper=) must not open; none of them may change the
file.

Exit status 0 when every check passes, 1 otherwise.
"""

import hashlib
import os
import sqlite3
import sys
import tempfile

KEY64 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
KEY32 = "000102030405060708090a0b0c0d0e0f"
TEXT_MARKER = "PLAINTEXT-MARKER-python"
BLOB_MARKER = b"\xb1\x0bBLOB-MARKER-py\x9e"
ROWS = [
    (1, "alpha", b"\x00\xff", 1.5),
    (2, TEXT_MARKER, None, -2.25),
    (3, "b\u00eata \u2713", BLOB_MARKER, 0.0),
    (4, "", b"", None),
]

checks = 0
failures = 0


def check(what, got, expected):
    global checks, failures
    checks += 1
    if got != expected:
        failures += 1
        print(f"FAIL: {what}\n  got:      {got!r}\n  expected: {expected!r}", file=sys.stderr)


def open_error(uri):
    """The error a connection to uri meets on its first query, or None."""
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            conn.execute("SELECT count(*) FROM t").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as e:
        return f"{type(e).__name__}: {e}"
    return None


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_database(path, params, wrong_key_params, info):
    uri = f"file:{path}?vfs=sealdb&{params}"

    conn = sqlite3.connect(uri, uri=True)
    conn.execute("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT NOT NULL, c BLOB, d REAL)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", ROWS)
    conn.commit()
    check(f"{path}: rows read back", conn.execute("SELECT * FROM t ORDER BY a").fetchall(), ROWS)
    check(f"{path}: sealdb_info", conn.execute("PRAGMA sealdb_info").fetchall(), [(info,)])
    conn.close()

    conn = sqlite3.connect(uri, uri=True)
    check(f"{path}: rows after reopening", conn.execute("SELECT * FROM t ORDER BY a").fetchall(),
          ROWS)
    check(f"{path}: integrity", conn.execute("PRAGMA integrity_check").fetchall(), [("ok",)])
    conn.close()

    with open(path, "rb") as f:
        raw = f.read()
    for marker in (TEXT_MARKER.encode(), BLOB_MARKER, b"alpha", b"CREATE TABLE"):
        check(f"{path}: {marker!r} in the file", marker in raw, False)

    before = digest(path)
    check(f"{path}: wrong key", open_error(f"file:{path}?vfs=sealdb&{wrong_key_params}"),
          "DatabaseError: file is not a database")
    check(f"{path}: no key", open_error(f"file:{path}?vfs=sealdb"),
          "OperationalError: unable to open database file")
    check(f"{path}: misspelled parameter", open_error(f"{uri}&chiper=aegis256"),
          "OperationalError: unable to open database file")
    check(f"{path}: the refused opens left the file as it was", digest(path), before)

    conn = sqlite3.connect(uri, uri=True)
    check(f"{path}: rows after the refused opens",
          conn.execute("SELECT * FROM t ORDER BY a").fetchall(), ROWS)
    conn.close()


def main():
    if len(sys.argv) != 2:
        print("usage: test_extension.py BUILD_DIR/libsealdb", file=sys.stderr)
        return 2
    lib = sys.argv[1]

    with tempfile.TemporaryDirectory(prefix="sealdb-ext-") as d:
        check("no VFS before loading", open_error(f"file:{d}/x.db?vfs=sealdb&hexkey={KEY64}"),
              "OperationalError: no such vfs: sealdb")

        loader = sqlite3.connect(":memory:")
        loader.enable_load_extension(True)
        loader.load_extension(lib)
        loader.close()  # the VFS must outlive the connection that loaded it

        test_database(os.path.join(d, "default.db"), f"hexkey={KEY64}",
                      f"hexkey=ff{KEY64[2:]}", "cipher=aegis256 layout=hardened reserved=48")
        test_database(os.path.join(d, "turso.db"), f"hexkey={KEY32}&cipher=aes128gcm&layout=turso",
                      f"hexkey=ff{KEY32[2:]}&cipher=aes128gcm",
                      "cipher=aes128gcm layout=turso reserved=28")

    if failures:
        print(f"{failures} of {checks} checks failed", file=sys.stderr)
        return 1
    print(f"{checks} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
