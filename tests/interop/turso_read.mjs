#!/usr/bin/env node
// turso_read.mjs - Turso Database reads the databases of a manifest and must return exactly the
// expected canonical rows (step 2 of the interop test: files sealdb wrote; also used on step 1's
// files after sealdb checkpointed them). Layout "turso": every query of the .canon file must give
// the same text, and PRAGMA integrity_check must say ok. Layout "hardened": Turso must refuse the
// file with an error and return no row. Prints one line per database; exits 1 on any failure.
// usage: INTEROP_NODE_DIR=<npm folder> node turso_read.mjs MANIFEST
import fs from "node:fs";
import path from "node:path";
import { loadTurso, openTurso, canonQuery, canonSections, canonDiff, readManifest, walFrames }
  from "./interop_common.mjs";

// Turso 0.7 answers these for main even when asked about an attached schema ("PRAGMA
// x.freelist_count" gives main's 0), so they cannot be compared for aegis256x4 (ATTACH only).
const ATTACH_BROKEN = ["PRAGMA freelist_count"];

const turso = await loadTurso();
let failures = 0;
const report = (ok, e, msg) => {
  if (!ok) failures++;
  console.log(`${ok ? "ok  " : "FAIL"} ${path.basename(e.db).padEnd(28)} ${msg}`);
};

async function readTurso(e) {
  const want = fs.readFileSync(e.canon, "utf8");
  const wal = walFrames(e.db);
  const { db, attached } = await openTurso(turso, e.db, e.cipher, e.hexkey);
  try {
    let got = "";
    const skipped = [];
    for (const { sql, text } of canonSections(want)) {
      if (attached && ATTACH_BROKEN.includes(sql)) {
        skipped.push(sql);
        got += text;
        continue;
      }
      // an attached database's PRAGMAs need its schema name; the label stays the file's query
      const run = attached ? sql.replace(/^PRAGMA (\w+)$/, "PRAGMA x.$1") : sql;
      got += (await canonQuery(db, run)).replace(/^@ .*\n/, `@ ${sql}\n`);
    }
    const diff = canonDiff(got, want);
    // Turso 0.7 checks main, not x, for "PRAGMA x.integrity_check", so no check through ATTACH
    const integrity = attached ? "not available through ATTACH"
      : (await db.prepare("PRAGMA integrity_check").all()).map((r) => Object.values(r)[0])
        .join("; ");
    const ok = !diff && (attached || integrity === "ok");
    const lines = got.split("\n").length - 1;
    report(ok, e, diff ? `rows differ at ${diff}`
      : `${lines} canonical lines equal (wal ${wal.frames} frames, ${wal.commits} commits), ` +
        `integrity_check: ${integrity}` +
        (skipped.length ? `; not comparable through ATTACH: ${skipped.join(", ")}` : ""));
  } finally {
    db.close();
  }
}

// A hardened file must fail to open or fail its first read; a row coming back is garbage.
async function expectRefusal(e) {
  let db, rows;
  try {
    ({ db } = await openTurso(turso, e.db, e.cipher, e.hexkey));
    rows = await db.prepare("SELECT name FROM sqlite_schema").all();
  } catch (err) {
    report(true, e, `refused by Turso as expected: ${err.message}`);
    return;
  } finally {
    if (db) db.close();
  }
  report(false, e, `Turso read a hardened database: ${JSON.stringify(rows).slice(0, 200)}`);
}

const manifest = process.argv[2];
if (!manifest) {
  console.error("usage: node turso_read.mjs MANIFEST");
  process.exit(2);
}
for (const e of readManifest(manifest)) {
  try {
    if (e.layout === "turso") await readTurso(e);
    else if (e.layout === "hardened") await expectRefusal(e);
    else report(false, e, `unknown layout ${e.layout}`);
  } catch (err) {
    report(false, e, `Turso failed: ${err.message}`);
  }
}
process.exit(failures ? 1 : 0);
