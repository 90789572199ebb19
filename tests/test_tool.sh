#!/bin/bash
# test_tool.sh - the sealdb command-line tool, end to end.
#
#   test_tool.sh TOOL     TOOL: the sealdb binary (build/sealdb)
#
# Every subcommand: --help is a man page (exit 0, SYNOPSIS), bad usage exits
# 2 with exactly one line on stderr. Then each operation with exact expected
# output: keygen's file and its refusal to overwrite; a database made and
# read with a key file; a key file others can read; wrong keys and
# passphrases (exit 3); a passphrase piped on stdin; info without a key;
# verify on an intact file and on one with a flipped byte in page 2; rekey;
# encrypt and decrypt of an sqlite3-made database compared by .dump; the
# key-slot flow; backup, backup-verify and restore, and a truncated and a
# tampered backup refused without leaving an output file.
#
# Exit status: 0 all checks passed, 1 a check failed, 2 bad usage, 77 the
# sqlite3 shell is missing (skipped).
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 TOOL" >&2
    exit 2
fi
case $1 in
/*) tool=$1 ;;
*) tool=$(pwd)/$1 ;;
esac
if [ ! -x "$tool" ]; then
    echo "FAIL: $tool is not an executable: build the tool first" >&2
    exit 1
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
    echo "SKIP: no sqlite3 shell; install the Debian package sqlite3"
    exit 77
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/sealdb-tool-XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
umask 077
failures=0
checks=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run ARGS...: runs the tool with stdin from /dev/null; stdout in $out,
# stderr in $err, exit status in $rc.
run() {
    set +e
    "$tool" "$@" </dev/null >out.txt 2>err.txt
    rc=$?
    set -e
    out=$(cat out.txt)
    err=$(cat err.txt)
}

# run_in INPUT ARGS...: the same with INPUT on stdin.
run_in() {
    input=$1
    shift
    set +e
    printf '%s' "$input" | "$tool" "$@" >out.txt 2>err.txt
    rc=$?
    set -e
    out=$(cat out.txt)
    err=$(cat err.txt)
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

# check_ok WHAT: the last run exited 0 with nothing on stderr
check_ok() {
    check_eq "$1: exit status (stderr: $err)" "$rc" 0
    check_eq "$1: stderr" "$err" ""
}

# check_fails WHAT STATUS MESSAGE: the last run exited STATUS with exactly the
# one line MESSAGE on stderr
check_fails() {
    check_eq "$1: exit status" "$rc" "$2"
    check_eq "$1: message" "$err" "$3"
}

# check_one_line WHAT: stderr holds exactly one line
check_one_line() {
    checks=$((checks + 1))
    if [ "$(wc -l <err.txt)" -ne 1 ]; then
        fail "$1: stderr should be one line"
        printf '  got:\n%s\n' "$err" >&2
    fi
}

# flip FILE OFFSET: inverts the byte at OFFSET in FILE (printf + dd)
flip() {
    local byte
    byte=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    # shellcheck disable=SC2059
    printf "\\$(printf '%03o' $((byte ^ 255)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# ---- --help and bad usage, for every subcommand ------------------------------------------

commands="keygen info verify sql rekey encrypt decrypt backup backup-verify restore keyslot
version bench"
for c in $commands "keyslot list" "keyslot add" "keyslot remove"; do
    # shellcheck disable=SC2086
    run $c --help
    check_eq "$c --help: exit status" "$rc" 0
    check_has "$c --help: a man page" "$out" "SYNOPSIS"
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" EXAMPLES; do
        checks=$((checks + 1))
        grep -qx "$section" out.txt || fail "$c --help: no $section section"
    done
    # shellcheck disable=SC2086
    run $c --no-such-option
    check_eq "$c --no-such-option: exit status" "$rc" 2
    check_one_line "$c --no-such-option"
    check_has "$c --no-such-option: names the command" "$err" "sealdb $c: "
done
# missing arguments
for c in keygen info verify sql rekey encrypt decrypt backup backup-verify restore keyslot \
    "keyslot list" "keyslot add" "keyslot remove" bench; do
    # shellcheck disable=SC2086
    run $c
    check_eq "$c without arguments: exit status" "$rc" 2
    check_one_line "$c without arguments"
done
run verify
check_fails "verify without DB" 2 "sealdb verify: missing argument DB; see 'sealdb verify --help'"
run backup a.db
check_fails "backup without OUT" 2 "sealdb backup: missing argument OUT; see 'sealdb backup --help'"
run info a.db b.db
check_fails "info with two files" 2 "sealdb info: unexpected argument 'b.db'; see 'sealdb info --help'"
run verify a.db --key-file
check_fails "an option without its value" 2 \
    "sealdb verify: option --key-file needs a value; see 'sealdb verify --help'"
run verify a.db --hexkey 00 --key-file k
check_fails "two key sources" 2 \
    "sealdb verify: give one key source (--hexkey, --key-file, --key-env, --passphrase or --passphrase-env); 2 given"
run verify a.db
check_fails "no key" 2 \
    "sealdb verify: no key given: use --key-file, --hexkey, --key-env, --passphrase or --passphrase-env"
run sql a.db --key-file k --cipher nosuch
check_eq "an unknown cipher: exit status" "$rc" 2
check_one_line "an unknown cipher"
check_has "an unknown cipher: message" "$err" "sealdb sql: --cipher: "
run sql a.db --key-file k --layout flat
check_fails "an unknown layout" 2 \
    "sealdb sql: --layout: unknown layout 'flat'; expected hardened or turso"
run sql a.db --key-file k --kdf-ops 2
check_fails "a KDF cost for a key" 2 "sealdb sql: --kdf-ops and --kdf-mem apply to a passphrase"
run rekey a.db --key-file k
check_eq "rekey with nothing to change: exit status" "$rc" 2
check_one_line "rekey with nothing to change"
run backup a.db a.bak --key-file k --level 20
check_fails "a bad compression level" 2 "sealdb backup: --level: '20' is not a number from 1 to 19"
run keygen k.new --bytes 24
check_fails "keygen --bytes 24" 2 "sealdb keygen: --bytes: '24' is not 16 or 32"
run keyslot frob a.db
check_fails "an unknown keyslot action" 2 \
    "sealdb keyslot: unknown action 'frob'; expected list, add or remove"
run frobnicate
check_fails "an unknown command" 2 "sealdb: unknown command 'frobnicate'; run 'sealdb --help' for the list"
check_eq "bad usage created no file" "$(ls)" "err.txt
out.txt"

# ---- keygen ------------------------------------------------------------------------------

run keygen k
check_ok "keygen"
check_eq "keygen: output" "$out" "wrote a new 32-byte key to k (mode 0600)"
check_eq "keygen: mode and size" "$(stat -c '%a %s' k)" "600 65"
checks=$((checks + 1))
grep -Eqx '[0-9a-f]{64}' k || fail "keygen: k is not 64 hex digits and a newline"
cp k k.before
run keygen k
check_fails "keygen over an existing file" 1 \
    "sealdb keygen: k already exists; keygen never overwrites a key file: remove it or choose another name"
check_eq "keygen left the existing key alone" "$(cat k)" "$(cat k.before)"
run keygen k16 --bytes 16
check_ok "keygen --bytes 16"
check_eq "keygen --bytes 16: mode and size" "$(stat -c '%a %s' k16)" "600 33"
run keygen k2
run keygen k3
run keygen kb
check_eq "keygen left no temporary file" "$(find . -name '*.tmp-*')" ""

# ---- a database made and read with a key file ------------------------------------------

rows='1|alpha|
2|bêta ✓|2.5
3||x'
run sql new.db --key-file k 'CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b)' \
    "INSERT INTO t VALUES (1, 'alpha', NULL), (2, 'bêta ✓', 2.5); INSERT INTO t VALUES (3, NULL, 'x')"
check_ok "sql: create"
check_eq "sql: create prints nothing" "$out" ""
run sql new.db --key-file k 'SELECT * FROM t ORDER BY id'
check_ok "sql: query"
check_eq "sql: rows" "$out" "$rows"
run sql new.db --key-file k 'SELECT count(*) FROM t' 'SELECT a FROM t WHERE id = 1'
check_eq "sql: two statements" "$out" "3
alpha"
run_in "SELECT id FROM t
WHERE id > 1;
SELECT 'done';
" sql new.db --key-file k
check_ok "sql: statements on stdin"
check_eq "sql: statements on stdin, output" "$out" "2
3
done"
run sql new.db --key-file k 'SELECT * FROM nosuch'
check_fails "sql: an SQL error" 1 "sealdb sql: no such table: nosuch"
checks=$((checks + 1))
if grep -a -q alpha new.db; then
    fail "new.db holds plaintext"
fi

# a key file others can read
cp k k644
chmod 644 k644
run sql new.db --key-file k644 'SELECT count(*) FROM t'
check_eq "a key file with mode 0644: exit status" "$rc" 2
check_one_line "a key file with mode 0644"
check_has "a key file with mode 0644: message" "$err" "chmod 600"

# wrong keys
run verify new.db --key-file k2
check_fails "verify with the wrong key" 3 "sealdb verify: wrong key for this database"
run sql new.db --key-file k2 'SELECT count(*) FROM t'
check_fails "sql with the wrong key" 3 "sealdb sql: cannot open new.db: wrong key for this database"
run sql new.db --hexkey "$(cat k)" 'SELECT count(*) FROM t'
check_eq "sql with the key as --hexkey" "$out" 3
export SEALDB_TEST_TOOL_KEY
SEALDB_TEST_TOOL_KEY=$(cat k)
run sql new.db --key-env SEALDB_TEST_TOOL_KEY 'SELECT count(*) FROM t'
check_eq "sql with the key in --key-env" "$out" 3

# ---- info ------------------------------------------------------------------------------

run info new.db
check_ok "info without a key"
check_eq "info without a key: output" "$out" "file:           new.db
format:         sealed
layout:         hardened
cipher:         aegis256
page size:      4096 bytes (48 reserved for nonce and tag)
pages:          2
file size:      8192 bytes
key:            key
WAL:            absent
journal:        absent
journal mode:   rollback"
run info new.db --key-file k
check_ok "info with the key"
check_has "info with the key: what SQLite sees" "$out" "tables:         1
indexes:        0
views:          0
triggers:       0
page_count:     2
freelist_count: 0
quick_check:    ok"
run info new.db --json
check_has "info --json" "$out" '"cipher": "aegis256"'
run info new.db --key-file k2
check_fails "info with the wrong key" 3 "sealdb info: cannot open new.db: wrong key for this database"
run info nosuch.db
check_eq "info on a missing file: exit status" "$rc" 4
check_one_line "info on a missing file"

# ---- verify ----------------------------------------------------------------------------

run verify new.db --key-file k
check_ok "verify an intact file"
check_eq "verify an intact file: output" "$out" "ok: 2 pages and 0 WAL frames authenticate"
cp new.db damaged.db
flip damaged.db $((4096 + 100))
run verify damaged.db --key-file k
check_eq "verify a flipped byte in page 2: exit status" "$rc" 1
check_eq "verify a flipped byte in page 2: output" "$out" "page 2: bad tag (damaged or tampered)
damaged: 1 problem"
run verify damaged.db --key-file k --quiet
check_eq "verify --quiet: exit status" "$rc" 1
check_eq "verify --quiet: output" "$out" ""
sqlite3 plain.db "CREATE TABLE p(x); INSERT INTO p VALUES (1)"
run verify plain.db --key-file k
check_fails "verify a plain database" 4 "sealdb verify: plain.db is a plain SQLite database, not a sealed one"

# ---- passphrases --------------------------------------------------------------------------

run_in "correct horse
" sql p.db --passphrase --kdf-ops 1 --kdf-mem 8192 'CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b)' \
    "INSERT INTO t VALUES (1, 'alpha', NULL), (2, 'bêta ✓', 2.5), (3, NULL, 'x')"
check_ok "a passphrase piped on stdin: create"
run_in "correct horse
" sql p.db --passphrase 'SELECT * FROM t ORDER BY id'
check_ok "a passphrase piped on stdin: query"
check_eq "a passphrase piped on stdin: rows" "$out" "$rows"
run_in "correct horse
SELECT count(*) FROM t;
" sql p.db --passphrase
check_eq "a passphrase and then SQL on stdin" "$out" 3
run_in "correct horse battery
" sql p.db --passphrase 'SELECT count(*) FROM t'
check_fails "a wrong passphrase" 3 "sealdb sql: cannot open p.db: wrong passphrase for this database"
run_in "" sql p.db --passphrase 'SELECT count(*) FROM t'
check_eq "no passphrase on stdin: exit status" "$rc" 2
check_one_line "no passphrase on stdin"
export SEALDB_TEST_TOOL_PASS="correct horse"
run verify p.db --passphrase-env SEALDB_TEST_TOOL_PASS
check_ok "--passphrase-env"
run info p.db
check_has "info: a passphrase and its cost" "$out" "key:            passphrase (Argon2id, 1 pass over 8192 KiB)"

# ---- rekey ----------------------------------------------------------------------------------

run rekey new.db --key-file k --new-key-file k2
check_ok "rekey to a new key file"
check_eq "rekey: output" "$out" "rekeyed new.db: sealed with aegis256, hardened layout, under a key"
run sql new.db --key-file k 'SELECT count(*) FROM t'
check_fails "rekey: the old key no longer opens" 3 \
    "sealdb sql: cannot open new.db: wrong key for this database"
run sql new.db --key-file k2 'SELECT * FROM t ORDER BY id'
check_eq "rekey: the new key opens the same rows" "$out" "$rows"
run sql new.db --hexkey="$(cat k2)" 'SELECT count(*) FROM t'
check_eq "the new key as --hexkey=HEX" "$out" 3
run rekey new.db --key-file k2 --new-cipher aes256gcm --new-layout turso
check_ok "rekey to another cipher and layout, the same key"
check_eq "rekey to another cipher and layout: output" "$out" \
    "rekeyed new.db: sealed with aes256gcm, turso layout, under a key"
run sql new.db --key-file k2 'SELECT * FROM t ORDER BY id'
check_eq "rekey to another cipher and layout: rows" "$out" "$rows"
run_in "correct horse
new words
" rekey p.db --passphrase --new-passphrase --new-kdf-ops 1 --new-kdf-mem 8192
check_ok "rekey from a passphrase to another, both piped"
run_in "new words
" sql p.db --passphrase 'SELECT * FROM t ORDER BY id'
check_eq "rekey: the new passphrase opens the same rows" "$out" "$rows"
export SEALDB_TEST_TOOL_PASS2="third words"
run_in "new words
" rekey p.db --passphrase --new-passphrase-env SEALDB_TEST_TOOL_PASS2 --new-kdf-ops 1 \
    --new-kdf-mem 8192
check_ok "rekey to a passphrase from --new-passphrase-env"
run verify p.db --passphrase-env SEALDB_TEST_TOOL_PASS2
check_ok "verify under the passphrase from the environment"
run rekey p.db --key-file k --new-key-file k3
check_fails "rekey with the wrong old key" 3 \
    "sealdb rekey: cannot open p.db: wrong key: this database is sealed under a passphrase; give the passphrase, not a key"

# ---- encrypt and decrypt ------------------------------------------------------------------

sqlite3 rich.db "PRAGMA user_version = 42; PRAGMA application_id = 1936024676;
CREATE TABLE a(id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT, w BLOB);
INSERT INTO a(v, w) VALUES ('one', x'00ff'), ('two', NULL), ('three', 3.5);
DELETE FROM a WHERE id = 2;
CREATE TABLE log(msg);
CREATE TABLE wr(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO wr VALUES ('b', 2), ('a', 1);
CREATE INDEX a_v ON a(v);
CREATE TRIGGER tr AFTER INSERT ON a BEGIN INSERT INTO log VALUES (new.v); END;
CREATE VIEW big AS SELECT v FROM a WHERE id > 1;"
sqlite3 rich.db .dump >rich.sql
cp rich.db inplace.db
run encrypt rich.db --out enc.db --key-file k
check_ok "encrypt to --out"
check_eq "encrypt to --out: output" "$out" \
    "encrypted rich.db into enc.db: sealed with aegis256, hardened layout, under a key"
run sql enc.db --key-file k 'SELECT v FROM big' 'PRAGMA user_version' 'PRAGMA application_id'
check_eq "encrypt: the sealed copy reads" "$out" "three
42
1936024676"
checks=$((checks + 1))
if sqlite3 enc.db 'SELECT count(*) FROM sqlite_schema' >/dev/null 2>&1; then
    fail "sqlite3 without the extension reads enc.db"
fi
run decrypt enc.db --out dec.db --key-file k
check_ok "decrypt to --out"
check_eq "decrypt to --out: .dump as the original's" "$(sqlite3 dec.db .dump)" "$(cat rich.sql)"
run encrypt inplace.db --key-file k
check_ok "encrypt in place"
run info inplace.db
check_has "encrypt in place: sealed" "$out" "format:         sealed"
run decrypt inplace.db --key-file k
check_ok "decrypt in place"
check_eq "decrypt in place: .dump as the original's" "$(sqlite3 inplace.db .dump)" "$(cat rich.sql)"
run encrypt rich.db --out enc.db --key-file k
check_fails "encrypt to an existing file" 2 \
    "sealdb encrypt: enc.db exists; choose a new file for the output"

# ---- key slots ------------------------------------------------------------------------------

run sql slots.db --key-file k --keyslots 'CREATE TABLE t(x)' 'INSERT INTO t VALUES (7)'
check_ok "a database with key slots"
run keyslot list slots.db
check_ok "keyslot list"
check_eq "keyslot list: one slot" "$out" "slot  kind        label
1     key         initial"
run keyslot add slots.db --key-file k --new-key-file k2 --label recovery
check_ok "keyslot add a key"
check_eq "keyslot add a key: output" "$out" "added key slot 2 to slots.db"
run_in "operator words
" keyslot add slots.db --key-file k2 --new-passphrase --new-kdf-ops 1 --new-kdf-mem 8192 \
    --label operator
check_ok "keyslot add a piped passphrase"
check_eq "keyslot add a piped passphrase: output" "$out" "added key slot 3 to slots.db"
run keyslot list slots.db
check_eq "keyslot list: three slots" "$out" "slot  kind        label
1     key         initial
2     key         recovery
3     passphrase  operator"
run info slots.db
check_has "info: key slots" "$out" "key:            key slots (3)
slot 1:         key \"initial\"
slot 2:         key \"recovery\"
slot 3:         passphrase \"operator\""
run keyslot add slots.db --key-file k3 --new-key-file k3
check_fails "keyslot add with a key that opens no slot" 3 \
    "sealdb keyslot add: wrong key: no key slot of this database opens with the key given"
run keyslot remove slots.db 1 --key-file k2
check_ok "keyslot remove"
check_eq "keyslot remove: output" "$out" "removed key slot 1 from slots.db"
run sql slots.db --key-file k 'SELECT x FROM t'
check_eq "keyslot remove: the removed key no longer opens: exit status" "$rc" 3
run sql slots.db --key-file k2 'SELECT x FROM t'
check_eq "keyslot remove: another slot's key opens" "$out" 7
run_in "operator words
" sql slots.db --passphrase 'SELECT x FROM t'
check_eq "keyslot: the passphrase slot opens" "$out" 7
run keyslot remove slots.db 3 --key-file k2
run keyslot remove slots.db 2 --key-file k2
check_fails "keyslot remove the last slot" 1 \
    "sealdb keyslot remove: slot 2 is the last key slot; add another before removing it"
run keyslot remove slots.db x --key-file k2
check_fails "keyslot remove a bad number" 2 \
    "sealdb keyslot remove: NUMBER: 'x' is not a number from 1 to 255"
run keyslot list new.db
check_eq "keyslot list without slots: exit status" "$rc" 2
check_one_line "keyslot list without slots"

# ---- backup, backup-verify, restore ----------------------------------------------------------

run sql live.db --key-file k 'CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b)' \
    "INSERT INTO t VALUES (1, 'alpha', NULL), (2, 'bêta ✓', 2.5), (3, NULL, 'x')" \
    "INSERT INTO t SELECT id + 3, printf('row %d', id), randomblob(100) FROM t"
run sql live.db --key-file k 'SELECT id, a, hex(b) FROM t ORDER BY id' 'PRAGMA integrity_check'
live_rows=$out
run backup live.db live.bak --key-file k
check_ok "backup"
check_has "backup: output" "$out" "backed up live.db to live.bak ("
run backup-verify live.bak --key-file k
check_ok "backup-verify"
check_has "backup-verify: output" "$out" "ok: "
check_has "backup-verify: cipher" "$out" "cipher:         aegis256"
run backup-verify live.bak --key-file k2
check_eq "backup-verify with the wrong key: exit status" "$rc" 3
check_one_line "backup-verify with the wrong key"
run restore live.bak restored.db --key-file k
check_ok "restore"
check_eq "restore: output" "$out" \
    "restored live.bak to restored.db: sealed with aegis256, hardened layout, under a key"
run sql restored.db --key-file k 'SELECT id, a, hex(b) FROM t ORDER BY id' 'PRAGMA integrity_check'
check_eq "restore: the same rows" "$out" "$live_rows"
# a backup key of its own, restored under a third key
run backup live.db own.bak --key-file k --backup-key-file kb --level 19
check_ok "backup with a backup key"
run backup-verify own.bak --key-file k
check_eq "backup-verify of a backup key's backup with the database key: exit status" "$rc" 3
run backup-verify own.bak --backup-key-file kb
check_ok "backup-verify with --backup-key-file"
run restore own.bak own.db --backup-key-file kb --key-file k3
check_ok "restore under another key"
run sql own.db --key-file k3 'SELECT id, a, hex(b) FROM t ORDER BY id' 'PRAGMA integrity_check'
check_eq "restore under another key: the same rows" "$out" "$live_rows"
# passphrases for the database and for the backup, both piped, in that order
run_in "third words
backup words
" backup p.db pp.bak --passphrase --backup-passphrase --backup-kdf-ops 1 --backup-kdf-mem 8192
check_ok "backup under a piped backup passphrase"
run_in "backup words
" restore pp.bak pp.db --backup-passphrase --key-file k
check_ok "restore from a piped backup passphrase"
run sql pp.db --key-file k 'SELECT * FROM t ORDER BY id'
check_eq "restore from a piped backup passphrase: the same rows" "$out" "$rows"
run restore live.bak restored.db --key-file k
check_eq "restore onto an existing file: exit status" "$rc" 2
check_one_line "restore onto an existing file"
# truncated
cp live.bak cut.bak
truncate -s -100 cut.bak
files_before=$(ls)
run restore cut.bak cut.db --key-file k
check_eq "restore a truncated backup: exit status" "$rc" 1
check_one_line "restore a truncated backup"
check_has "restore a truncated backup: message" "$err" "sealdb restore: "
check_eq "restore a truncated backup: no output file" "$(ls)" "$files_before"
run backup-verify cut.bak --key-file k
check_eq "backup-verify a truncated backup: exit status" "$rc" 1
# tampered
cp live.bak flipped.bak
flip flipped.bak 200
files_before=$(ls)
run backup-verify flipped.bak --key-file k
check_eq "backup-verify a tampered backup: exit status" "$rc" 1
check_one_line "backup-verify a tampered backup"
run restore flipped.bak flipped.db --key-file k
check_eq "restore a tampered backup: exit status" "$rc" 1
check_one_line "restore a tampered backup"
check_eq "restore a tampered backup: no output file" "$(ls)" "$files_before"

# ---- version and bench ------------------------------------------------------------------------

run version
check_ok "version"
check_has "version: output" "$out" "sealdb "
run bench nosuch
check_fails "bench: an unknown suite" 2 \
    "sealdb bench: unknown suite 'nosuch'; expected: ciphers, sql, workloads"
run bench workloads --quick --json --engines sealdb-aegis256/hardened --workloads warm --dir "$PWD"
check_eq "bench workloads: exit status" "$rc" 0
check_eq "bench workloads: one line per engine and the settings" \
    "$(printf '%s\n' "$out" | grep -c '"suite":"workloads"')" 3
check_has "bench workloads: the baseline" "$out" \
    '"engine":"sqlite-plain","workload":"warm"'
check_has "bench workloads: sealdb against it" "$out" \
    '"engine":"sealdb-aegis256","layout":"hardened","workload":"warm"'
check_has "bench workloads: the baseline's ratio" "$out" '"ratio_to_baseline":1.000'
check_eq "bench workloads: no scratch files left" "$(ls -d sealdb-bench-workloads-* 2>/dev/null)" ""
run bench workloads --runs 0
check_eq "bench workloads: a bad --runs: exit status" "$rc" 2

if [ "$failures" -ne 0 ]; then
    echo "$failures of $checks checks failed" >&2
    exit 1
fi
echo "$checks checks passed"
