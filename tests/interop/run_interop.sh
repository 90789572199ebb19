#!/usr/bin/env bash
# run_interop.sh - the interop test against Turso Database 0.7 (ctest label interop).
#
# usage: run_interop.sh INTEROP_READ INTEROP_WRITE NODE_DIR
#
# Installs @tursodatabase/database@0.7 into NODE_DIR once (reused when present), then in a
# temporary folder runs
#   step 1  Turso -> sealdb: turso_write.mjs (Turso writes a database per cipher, part of the
#           data only in the WAL), interop_read (sealdb must read exactly Turso's rows, then
#           checkpoints), turso_read.mjs (Turso reads the pages sealdb checkpointed);
#   step 2  sealdb -> Turso: interop_write (sealdb writes turso-layout and hardened databases,
#           part of the data only in the WAL), turso_read.mjs (Turso must read exactly sealdb's
#           rows and refuse every hardened file).
# Exits 0 when all passed, 1 on any mismatch (the folder is kept for a look), and 77 (ctest:
# skipped) with the reason when node or npm is missing or Turso cannot be installed or loaded.
set -u

if [ $# -ne 3 ]; then
    echo "usage: $0 INTEROP_READ INTEROP_WRITE NODE_DIR" >&2
    exit 2
fi
read_prog=$1
write_prog=$2
node_dir=$3
here=$(cd "${0%/*}" && pwd)
package=@tursodatabase/database@0.7

skip() {
    echo "SKIPPED: $*"
    exit 77
}

command -v node >/dev/null 2>&1 || skip "node is not installed (Turso Database runs in Node.js)"
if [ ! -f "$node_dir/node_modules/@tursodatabase/database/package.json" ]; then
    command -v npm >/dev/null 2>&1 || skip "npm is not installed, so $package cannot be installed"
    echo "installing $package into $node_dir"
    # install beside the folder, then move it in: a failed install never looks complete
    rm -rf "$node_dir.partial"
    mkdir -p "$node_dir.partial"
    if ! npm install --prefix "$node_dir.partial" --no-audit --no-fund --loglevel=error \
        --fetch-retries=1 --fetch-timeout=60000 "$package" >"$node_dir.partial.log" 2>&1; then
        tail -n 20 "$node_dir.partial.log"
        rm -rf "$node_dir.partial" "$node_dir.partial.log"
        skip "npm install $package failed (no network or no registry access?)"
    fi
    rm -rf "$node_dir" && mv "$node_dir.partial" "$node_dir" && rm -f "$node_dir.partial.log"
fi
export INTEROP_NODE_DIR=$node_dir
version=$(node -p "require('$node_dir/node_modules/@tursodatabase/database/package.json').version")
case $version in
0.7.*) ;;
*)
    echo "FAIL: $node_dir holds @tursodatabase/database $version, not 0.7.x; delete the folder"
    exit 1
    ;;
esac
load="await (await import('$here/interop_common.mjs')).loadTurso()"
if ! node --input-type=module -e "$load"; then
    skip "Turso Database $version is installed but its native module does not load here"
fi
echo "Turso Database $version (npm), node $(node --version)"

timeout=""
command -v timeout >/dev/null 2>&1 && timeout="timeout 600"
work=$(mktemp -d "${TMPDIR:-/tmp}/sealdb-interop.XXXXXX")
mkdir -p "$work/turso" "$work/sealdb"
failed=0

# run TITLE COMMAND...: runs one part, prints its time, remembers a failure
run() {
    local title=$1
    shift
    echo "--- $title"
    local start
    start=$(date +%s%N)
    $timeout "$@"
    local rc=$?
    local ms=$((($(date +%s%N) - start) / 1000000))
    if [ $rc -ne 0 ]; then
        echo "--- FAILED (exit $rc, ${ms} ms): $title"
        failed=1
    else
        echo "--- passed (${ms} ms)"
    fi
}

echo "=== step 1: Turso writes, sealdb reads"
run "Turso writes encrypted databases" node "$here/turso_write.mjs" "$work/turso"
run "sealdb reads them (and checkpoints)" "$read_prog" "$work/turso/turso.list"
run "Turso reads them after sealdb's checkpoint" node "$here/turso_read.mjs" \
    "$work/turso/turso.list"
echo "=== step 2: sealdb writes, Turso reads"
run "sealdb writes turso-layout and hardened databases" "$write_prog" "$work/sealdb"
run "Turso reads the turso layout and refuses the hardened one" node "$here/turso_read.mjs" \
    "$work/sealdb/sealdb.list"

if [ $failed -ne 0 ]; then
    echo "interop test FAILED; the databases, keys (*.list) and expected rows are in $work"
    exit 1
fi
rm -rf "$work"
echo "interop test passed"
