#!/bin/sh
# test_extension.sh - libsealdb.so as a loadable SQLite extension.
#
#   test_extension.sh BUILD_DIR shell    the sqlite3 shell (Debian package sqlite3)
#   test_extension.sh BUILD_DIR python   Python's sqlite3 module (test_extension.py)
#
# shell: one session loads BUILD_DIR/libsealdb, then .open closes the
# connection that loaded it and opens a sealed database by URI, so the VFS
# must outlive that connection. The session creates a table, inserts and
# reads back; a second session reopens the file and must read exactly the
# same rows. The file must not hold the rows' text. A wrong key must give
# "file is not a database", a URI without a key and one with a misspelled
# parameter (chiper=) must not open, each with the VFS's own message in
# SQLite's log (.log stderr), and none of them may change the file. Without
# .load the URI must name an unknown VFS.
#
# python: runs test_extension.py with the first of /usr/bin/python3 and
# python3 whose sqlite3 module can load extensions, and says which one; if
# none can, it exits 77 (skipped) with a message, never passing silently.
#
# Exit status: 0 all checks passed, 1 a check failed, 2 bad usage, 77 the
# tool needed is missing (skipped).
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 BUILD_DIR shell|python" >&2
    exit 2
fi
build=$1
mode=$2
lib=$build/libsealdb
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -e "$lib.so" ]; then
    echo "FAIL: $lib.so does not exist: build the library first" >&2
    exit 1
fi

# ---- python -------------------------------------------------------------------------------

if [ "$mode" = python ]; then
    can_load='import sqlite3, sys
sys.exit(not hasattr(sqlite3.Connection, "enable_load_extension"))'
    for py in /usr/bin/python3 python3; do
        path=$(command -v "$py" 2>/dev/null) || continue
        if "$path" -c "$can_load" 2>/dev/null; then
            echo "using $path ($("$path" -c 'import sqlite3, sys
print("Python", sys.version.split()[0] + ", SQLite", sqlite3.sqlite_version)'))"
            exec "$path" "$here/test_extension.py" "$lib"
        fi
        echo "not using $path: its sqlite3 module cannot load extensions"
    done
    echo "SKIP: no python3 here can load SQLite extensions; install the Debian package python3"
    exit 77
fi
if [ "$mode" != shell ]; then
    echo "usage: $0 BUILD_DIR shell|python" >&2
    exit 2
fi

# ---- the sqlite3 shell --------------------------------------------------------------------

if ! command -v sqlite3 >/dev/null 2>&1; then
    echo "SKIP: no sqlite3 shell; install the Debian package sqlite3"
    exit 77
fi
echo "using $(command -v sqlite3) (SQLite $(sqlite3 -version | cut -d' ' -f1))"

dir=$(mktemp -d "${TMPDIR:-/tmp}/sealdb-ext-XXXXXX")
trap 'rm -rf "$dir"' EXIT
failures=0
checks=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# check_eq WHAT GOT EXPECTED
check_eq() {
    checks=$((checks + 1))
    if [ "$2" != "$3" ]; then
        fail "$1"
        printf '  got:\n%s\n  expected:\n%s\n' "$2" "$3" >&2
    fi
}

# check_has WHAT TEXT NEEDLE: TEXT contains NEEDLE
check_has() {
    checks=$((checks + 1))
    case $2 in
    *"$3"*) ;;
    *)
        fail "$1"
        printf '  got:\n%s\n  expected it to contain:\n%s\n' "$2" "$3" >&2
        ;;
    esac
}

# session SQL...: runs one shell session that logs to stderr and loads the
# extension; its standard output goes to $dir/out, its errors to $dir/err.
session() {
    {
        echo ".log stderr"
        echo ".load $lib"
        printf '%s\n' "$@"
    } | sqlite3 -batch >"$dir/out" 2>"$dir/err"
}

key64=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
key32=000102030405060708090a0b0c0d0e0f
rows='1|alpha|00FF
2|PLAINTEXT-MARKER-shell|
3|bêta ✓|7F3A'

# test_database NAME URI_PARAMS WRONG_KEY_PARAMS SEALDB_INFO WRONG_KEY_MESSAGE
# (the hardened layout tells a wrong key at open, the turso layout when page
# 1 fails authentication)
test_database() {
    name=$1
    uri="file:$dir/$name?vfs=sealdb&$2"

    # create, write and read in the session that loaded the extension
    session ".open $uri" \
        "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT NOT NULL, c BLOB);" \
        "INSERT INTO t VALUES (1, 'alpha', x'00ff'), (2, 'PLAINTEXT-MARKER-shell', NULL);" \
        "INSERT INTO t VALUES (3, 'bêta ✓', x'7f3a');" \
        "SELECT a, b, hex(c) FROM t ORDER BY a;" \
        "PRAGMA sealdb_info;"
    check_eq "$name: rows written in the first session" "$(cat "$dir/out")" "$rows
$4"
    check_eq "$name: no errors in the first session" "$(cat "$dir/err")" ""

    # reopen in a second session
    session ".open $uri" "SELECT a, b, hex(c) FROM t ORDER BY a;" "PRAGMA integrity_check;" \
        "PRAGMA sealdb_info;"
    check_eq "$name: rows read in a second session" "$(cat "$dir/out")" "$rows
ok
$4"
    check_eq "$name: no errors in the second session" "$(cat "$dir/err")" ""

    checks=$((checks + 1))
    if grep -a -q -e PLAINTEXT-MARKER -e alpha -e 'CREATE TABLE' "$dir/$name"; then
        fail "$name: the database file holds plaintext"
    fi
    sum=$(cksum <"$dir/$name")

    session ".open file:$dir/$name?vfs=sealdb&$3" "SELECT count(*) FROM t;"
    check_has "$name: wrong key" "$(cat "$dir/err")" "file is not a database"
    check_has "$name: wrong key, the VFS's message" "$(cat "$dir/err")" "(26) sealdb: $5"

    session ".open file:$dir/$name?vfs=sealdb" "SELECT count(*) FROM t;"
    check_has "$name: no key" "$(cat "$dir/err")" \
        "unable to open database \"file:$dir/$name?vfs=sealdb\": unable to open database file"
    check_has "$name: no key, the VFS's message" "$(cat "$dir/err")" \
        "(14) sealdb: no key: the sealdb VFS opens only sealed databases; add hexkey=<hex>"

    session ".open $uri&chiper=aegis256" "SELECT count(*) FROM t;"
    check_has "$name: misspelled parameter" "$(cat "$dir/err")" \
        "unable to open database \"$uri&chiper=aegis256\": unable to open database file"
    check_has "$name: misspelled parameter, the VFS's message" "$(cat "$dir/err")" \
        "(14) sealdb: unknown URI parameter 'chiper'"

    check_eq "$name: the refused opens left the file as it was" "$(cksum <"$dir/$name")" "$sum"
    session ".open $uri" "SELECT a, b, hex(c) FROM t ORDER BY a;"
    check_eq "$name: rows read after the refused opens" "$(cat "$dir/out")" "$rows"
}

test_database default.db "hexkey=$key64" "hexkey=ff${key64#00}" \
    "cipher=aegis256 layout=hardened reserved=48" "wrong key for this database"
test_database turso.db "hexkey=$key32&cipher=aes128gcm&layout=turso" \
    "hexkey=ff${key32#00}&cipher=aes128gcm" "cipher=aes128gcm layout=turso reserved=28" \
    "page 1 failed authentication: wrong key, or the page is damaged"

# without the extension there is no such VFS
printf '%s\n' ".open file:$dir/default.db?vfs=sealdb&hexkey=$key64" "SELECT 1;" |
    sqlite3 -batch >"$dir/out" 2>"$dir/err"
check_has "no .load: the VFS is unknown" "$(cat "$dir/err")" "no such vfs: sealdb"

if [ "$failures" -ne 0 ]; then
    echo "$failures of $checks checks failed" >&2
    exit 1
fi
echo "$checks checks passed"
