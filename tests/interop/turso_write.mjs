#!/usr/bin/env node
// turso_write.mjs - step 1 of the interop test: real Turso Database writes an encrypted database
// per cipher (and two at other page sizes), turso-<cipher>[-ps<size>].db, for sealdb to read.
// Phase A (schema, rows, deletes that fill the freelist) is checkpointed into the .db file;
// phase B (three transactions: inserts, updates, deletes) stays only in the WAL, as Turso's JS
// close() does not checkpoint. The data has every storage class, integers beyond 2^53,
// multi-byte UTF-8, values larger than a page and index keys larger than an index cell. The rows
// as Turso reads them go to <db>.canon, the keys to OUTDIR/turso.list. Exits 1 if Turso
// misbehaves (integrity, freelist unused, phase B not only in the WAL).
// usage: INTEROP_NODE_DIR=<npm folder> node turso_write.mjs OUTDIR
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";
import { loadTurso, canonQuery, manifestLine, walFrames } from "./interop_common.mjs";

const CIPHERS = ["aes128gcm", "aes256gcm", "aegis256", "aegis256x2", "aegis256x4", "aegis128l",
  "aegis128x2", "aegis128x4"];
// every cipher at 4096-byte pages, and two other page sizes (interop_write.c pairs them with
// other ciphers)
const SPECS = [...CIPHERS.map((cipher) => ({ cipher, pageSize: 4096 })),
  { cipher: "aegis256", pageSize: 1024 }, { cipher: "aegis128x4", pageSize: 65536 }];
const KEY_BYTES = (cipher) => (/^(aes|aegis)128/.test(cipher) ? 16 : 32);
const SCHEMA = [
  "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, price REAL," +
    " data BLOB, note TEXT, misc)",
  "CREATE INDEX items_name_qty ON items(name, qty)",
  "CREATE INDEX items_price ON items(price)",
];
const QUERIES = [
  "SELECT id, name, qty, price, data, note, misc FROM items ORDER BY id",
  "SELECT name, qty, id FROM items ORDER BY name, qty, id",
  "SELECT price, id FROM items ORDER BY price, id",
  "PRAGMA freelist_count",
  "PRAGMA page_count",
];
const WORDS = ["amber", "birch", "cedar", "dune", "ember", "fjord", "ñandú", "日本語", "🦀", "Ωmega",
  "grüße", "ﬁn"];

function prng(seed) { // mulberry32: reproducible data for a given id and version
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const bytes = (r, n) => Buffer.from(Array.from({ length: n }, () => Math.floor(r() * 256)));
function words(r, n) {
  let s = "";
  while (Buffer.byteLength(s) < n) {
    s += WORDS[Math.floor(r() * WORDS.length)] + (r() < 0.1 ? "\n" : " ");
  }
  return s;
}

function row(id, version) {
  const r = prng(id * 1000003 + version * 7919);
  let name = `item-${String(id).padStart(5, "0")}-${WORDS[id % WORDS.length]}`;
  if (id % 50 === 0) name += words(r, 1500 + (id % 700)); // overflows the index cell
  if (version) name += `-v${version}`;
  let qty = BigInt(id * 11 - 700 + version);
  if (id === 7) qty = 9223372036854775807n;
  else if (id === 8) qty = -9223372036854775808n;
  else if (id % 9 === 0) qty = (id % 2 ? -1n : 1n) * ((1n << 62n) + BigInt(id)); // beyond 2^53
  if (id % 13 === 0) qty = null;
  let price = id * 0.37 + r();
  if (id % 10 === 0) price = id; // integral REAL
  else if (id % 45 === 0) price = 1e300;
  else if (id % 47 === 0) price = -2.5e-310; // subnormal
  if (id % 17 === 0) price = null;
  else if (version) price *= 2;
  let data = bytes(r, (id * 13) % 200);
  if (id % 20 === 0 || (version && id % 14 === 0)) data = bytes(r, 9000 + ((id * 37) % 8000));
  if (id >= 97 && id <= 99) data = bytes(r, 200000); // overflow chains, even at 64 KiB pages
  if (id % 30 === 0) data = Buffer.alloc(0);
  if (id % 23 === 0) data = null;
  let note = words(r, 5 + Math.floor(r() * 80));
  if (id % 25 === 0) note = words(r, 6000 + ((id * 53) % 14000)); // overflow chain
  if (id % 31 === 0) note = "";
  if (id % 19 === 0) note = null;
  const misc = [BigInt(Math.floor(r() * 2 ** 52)) * 2047n, -id / 7, WORDS[id % WORDS.length],
    bytes(r, 1 + (id % 40)), null, id + 0.5][id % 6]; // no affinity: every storage class
  return [id, name, qty, price, data, note, misc];
}

async function insertRows(db, ids, version) {
  const ins = db.prepare("INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?, ?, ?, ?)");
  await db.exec("BEGIN");
  for (const id of ids) await ins.run(...row(id, version));
  await db.exec("COMMIT");
}
const range = (a, b, step = 1) =>
  Array.from({ length: Math.floor((b - a) / step) + 1 }, (_, i) => a + i * step);
const one = async (db, sql) => Object.values((await db.prepare(sql).all())[0])[0];
const sha256 = (file) => crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex");

async function build(turso, outdir, { cipher, pageSize }) {
  const file = path.join(outdir, `turso-${cipher}${pageSize === 4096 ? "" : "-ps" + pageSize}.db`);
  for (const sfx of ["", "-wal", "-shm"]) fs.rmSync(file + sfx, { force: true });
  const hexkey = crypto.randomBytes(KEY_BYTES(cipher)).toString("hex");
  // The JS option lacks aegis256x4 and sets no page size (PRAGMA page_size after it aborts the
  // process): key those new files with PRAGMA page_size / cipher / hexkey before any write.
  const byPragma = cipher === "aegis256x4" || pageSize !== 4096;
  const db = await turso.connect(file, byPragma ? { experimental: ["encryption"] }
    : { experimental: ["encryption"], encryption: { cipher, hexkey } });
  if (byPragma) {
    await db.exec(`PRAGMA page_size = ${pageSize}`);
    await db.exec(`PRAGMA cipher = '${cipher}'`);
    await db.exec(`PRAGMA hexkey = '${hexkey}'`);
  }
  const problems = [];
  for (const s of SCHEMA) await db.exec(s);
  for (const a of [1, 81, 161]) await insertRows(db, range(a, a + 79), 0);
  await db.prepare("DELETE FROM items WHERE id % 6 = 0 OR id = 97").run();
  if (!((await one(db, "PRAGMA freelist_count")) > 0)) problems.push("phase A freed no page");
  await db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  const dbAfterA = sha256(file);

  await insertRows(db, range(241, 320), 0);
  await insertRows(db, range(7, 320, 7), 1);
  await db.prepare("DELETE FROM items WHERE (id % 5 = 0 AND id > 100) OR id = 98").run();

  let canon = "";
  for (const q of QUERIES) canon += await canonQuery(db, q);
  const integrity = await one(db, "PRAGMA integrity_check");
  if (integrity !== "ok") problems.push(`Turso's integrity_check: ${integrity}`);
  if (!((await one(db, "PRAGMA freelist_count")) > 0)) problems.push("the freelist is empty");
  db.close();

  const wal = walFrames(file);
  if (wal.pageSize !== pageSize) problems.push(`the WAL's pages are ${wal.pageSize} bytes`);
  if (wal.commits !== 3) problems.push(`the WAL holds ${wal.commits} commits, not phase B's 3`);
  if (sha256(file) !== dbAfterA) problems.push("phase B changed the .db file, not only the WAL");
  fs.writeFileSync(file + ".canon", canon);
  const ok = problems.length === 0;
  const lines = canon.split("\n").length - 1;
  console.log(`${ok ? "ok  " : "FAIL"} ${path.basename(file).padEnd(28)} wal ${wal.frames} ` +
    `frames, ${wal.commits} commits; ${lines} canonical lines; integrity_check: ${integrity}` +
    (ok ? "" : "; " + problems.join("; ")));
  return ok ? manifestLine({ layout: "turso", cipher, hexkey, db: file, canon: file + ".canon" })
    : null;
}

const outdir = process.argv[2];
if (!outdir) {
  console.error("usage: node turso_write.mjs OUTDIR");
  process.exit(2);
}
fs.mkdirSync(outdir, { recursive: true });
const turso = await loadTurso();
let manifest = "# layout cipher hexkey db canon (written by turso_write.mjs)\n", failed = 0;
for (const spec of SPECS) {
  const line = await build(turso, outdir, spec);
  if (line) manifest += line;
  else failed++;
}
fs.writeFileSync(path.join(outdir, "turso.list"), manifest);
process.exit(failed ? 1 : 0);
