#!/usr/bin/env node
// bench_peers.mjs - the Node side of sealdb's workload benchmark (issue 5):
// the npm peers SQLite3 Multiple Ciphers (better-sqlite3-multiple-ciphers)
// and Turso Database (@tursodatabase/database), each against its own
// plaintext engine measured in the same invocation.
//
//   node bench_peers.mjs [--quick] [--runs N] [--rows N] [--engines a,b]
//                        [--workloads a,b] [--dir DIR] [--help]
//
// Output: JSON lines on stdout (a settings line, then one line per engine and
// workload); progress and diagnostics on stderr. See README.md for the method.
//
// Structure: the parent process only orchestrates. Every (round, engine,
// workload) runs in a fresh child process (child_process.fork of this file
// with --child), so the peak RSS of a line is that engine's alone and no
// engine inherits another's heap or page cache. A round builds a fresh
// database per engine (the bulk workload), runs the other workloads on it in
// a fixed order, then deletes it. Engine order rotates between rounds.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import crypto from "node:crypto";
import { fork, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";

const SELF = fileURLToPath(import.meta.url);
const HERE = path.dirname(SELF);
const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------
// Engines and workloads

// Turso 0.7.2's encrypted WAL is never reset after an automatic checkpoint
// (peer-baseline.md §5): every later commit backfills the whole WAL again.
const TURSO_WAL_CAVEAT =
  "Turso 0.7.2 with encryption never resets its WAL after auto-checkpoint (see peer-baseline.md §5), " +
  "so every commit past 1000 WAL frames re-backfills the whole WAL: a release bug, not the cost of the cipher; " +
  "use Turso's read workloads for cipher overhead";

const ENGINES = {
  "sqlite3mc-plain": { peer: "sqlite3mc", cipher: null, baseline: "sqlite3mc-plain" },
  "sqlite3mc-aegis": { peer: "sqlite3mc", cipher: "aegis", baseline: "sqlite3mc-plain" },
  "sqlite3mc-chacha20": { peer: "sqlite3mc", cipher: "chacha20", baseline: "sqlite3mc-plain" },
  "turso-plain": { peer: "turso", cipher: null, baseline: "turso-plain" },
  "turso-aegis256": { peer: "turso", cipher: "aegis256", baseline: "turso-plain" },
  "turso-aes256gcm": { peer: "turso", cipher: "aes256gcm", baseline: "turso-plain" },
};
const ENGINE_NAMES = Object.keys(ENGINES);

// Output order, and execution order for one engine and run (the load first,
// the full scan on the freshly loaded file, reads before writes); both the
// same as the C harness (bench/workloads.c).
const WORKLOADS = ["bulk", "warm", "cold", "cold_os", "scan_full", "scan_range", "write_normal", "write_full", "mix"];
const EXEC_ORDER = ["bulk", "scan_full", "warm", "cold", "cold_os", "scan_range", "mix", "write_normal", "write_full"];
const UNITS = {
  bulk: "rows/s", warm: "lookups/s", cold: "lookups/s", cold_os: "lookups/s",
  scan_full: "rows/s", scan_range: "rows/s", write_normal: "tx/s", write_full: "tx/s", mix: "ops/s",
};
const WRITERS = new Set(["bulk", "write_normal", "write_full", "mix"]);

const PAGE_SIZE = 4096;
const TX_ROWS = 10000;           // bulk: rows per transaction
const MIX_TX_OPS = 100;          // mix: operations per transaction
const MIX_UPDATE_PCT = 10;       // mix: share of updates
const CACHE_BIG_KIB = 262144;    // engine cache of bulk and warm (256 MiB > the 1M-row db)
const CACHE_SMALL_KIB = 2000;    // every other workload: SQLite's default, ~2 MB, ~500 pages
const BIG_CACHE_WORKLOADS = new Set(["bulk", "warm"]);
const RESIDENT_LIMIT = 0.10;     // cold_os: at most 10% of the files may stay in the OS cache
const B_LEN = 100;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
// Fixed 256-bit benchmark key (scratch data only), given raw: no KDF runs.
const KEY_HEX = crypto.createHash("sha256").update("sealdb benchmark key (scratch data only)").digest("hex");

// ---------------------------------------------------------------------------
// Deterministic data. Row id -> a (31-bit integer) and b (100 characters from
// a 64-symbol alphabet), both derived from the id alone, so any row, sum or
// range sum can be recomputed without storing the data set.

function mix32(x) { // a 32-bit integer hash (the "lowbias32" mixer)
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}
function genA(id) { return mix32(id ^ 0x5eed0001) & 0x7fffffff; }
const B_CODES = new Array(B_LEN);
function genB(id) {
  let s = mix32(id ^ 0xb0b0b0b0) | 0; // mulberry32 seeded from the id
  for (let i = 0; i < B_LEN;) {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    t = (t ^ (t >>> 14)) >>> 0;
    for (let k = 0; k < 5 && i < B_LEN; k++, i++) { B_CODES[i] = ALPHABET.charCodeAt(t & 63); t >>>= 6; }
  }
  return String.fromCharCode.apply(null, B_CODES);
}
function mulberry32(seed) {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}
function sumA(lo, hi) { let s = 0; for (let id = lo; id <= hi; id++) s += genA(id); return s; }
// Random ids for a workload: same sequence for every engine in a round.
function randomIds(n, rows, seed) {
  const r = mulberry32(seed), ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = 1 + (r() % rows);
  return ids;
}
function workloadSeed(round, workload) { return mix32((round + 1) * 1000003 + WORKLOADS.indexOf(workload) * 7919); }

// ---------------------------------------------------------------------------
// Command line

function usage() {
  return `usage: node bench_peers.mjs [options]
  --quick             small data (20000 rows), one run; the CI smoke test
  --runs N            runs (rounds) per engine and workload (default 5; --quick 1)
  --rows N            rows loaded by bulk (default 1000000; --quick 20000)
  --lookups N         point lookups per run of warm and cold (default 200000; --quick 5000)
  --cold-os-lookups N point lookups per run of cold_os (default 10000; --quick 500)
  --ranges N          range queries (1% of the keys each) per run of scan_range (default 20; --quick 5)
  --mix-ops N         operations per run of mix (default 200000; --quick 2000)
  --write-normal-tx N transactions per run of write_normal (default 20000; --quick 500)
  --write-full-tx N   transactions per run of write_full (default 2000; --quick 50)
  --write-cap-s S     wall-time cap in seconds of write_normal, write_full and mix (default 10; --quick 2)
  --engines a,b       engines (default all): ${ENGINE_NAMES.join(",")}
                      (each peer's plain engine always runs: it is the baseline)
  --workloads a,b     workloads (default all): ${WORKLOADS.join(",")}
                      (bulk always runs: it builds the database; it is reported only if chosen)
  --turso-api API     promise (default; the package's main API) or compat (its synchronous API)
  --dir DIR           scratch directory (default: a new temp dir under ${os.tmpdir()}, removed at the end)
  --child-timeout-s S kill a workload process after S seconds (default 1800)
  --json              accepted for symmetry with the C programs (output is always JSON lines)
  --help              this text
Output: JSON lines on stdout; progress on stderr. Exit status 0, 1 if any
engine or workload reported an error, 2 for a bad command line.`;
}

function parseArgs(argv) {
  const o = {
    quick: false, runs: null, rows: null, lookups: null, coldOsLookups: null, ranges: null, mixOps: null,
    writeNormalTx: null, writeFullTx: null, capS: null, engines: null, workloads: null, dir: null, tursoApi: "promise", childTimeoutS: 1800,
  };
  const num = (v, name, min = 1) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`${name} needs a number >= ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i], v = null;
    const eq = a.indexOf("=");
    if (a.startsWith("--") && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    const val = () => { if (v !== null) return v; if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    switch (a) {
      case "--quick": o.quick = true; break;
      case "--runs": o.runs = Math.floor(num(val(), a)); break;
      case "--rows": o.rows = Math.floor(num(val(), a, 200)); break;
      case "--lookups": o.lookups = Math.floor(num(val(), a)); break;
      case "--cold-os-lookups": o.coldOsLookups = Math.floor(num(val(), a)); break;
      case "--ranges": o.ranges = Math.floor(num(val(), a)); break;
      case "--mix-ops": o.mixOps = Math.floor(num(val(), a)); break;
      case "--write-normal-tx": o.writeNormalTx = Math.floor(num(val(), a)); break;
      case "--write-full-tx": o.writeFullTx = Math.floor(num(val(), a)); break;
      case "--write-cap-s": o.capS = num(val(), a, 0.1); break;
      case "--json": break;
      case "--child-timeout-s": o.childTimeoutS = num(val(), a, 1); break;
      case "--engines": o.engines = val().split(",").map((s) => s.trim()).filter(Boolean); break;
      case "--workloads": o.workloads = val().split(",").map((s) => s.trim()).filter(Boolean); break;
      case "--dir": o.dir = val(); break;
      case "--turso-api": o.tursoApi = val(); break;
      case "--help": case "-h": process.stdout.write(usage() + "\n"); process.exit(0); break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  const q = o.quick;
  o.runs ??= q ? 1 : 5;
  o.rows ??= q ? 20000 : 1000000;
  o.lookups ??= q ? 5000 : 200000;
  o.coldOsLookups ??= q ? 500 : 10000;
  o.ranges ??= q ? 5 : 20;
  o.mixOps ??= q ? 2000 : 200000;
  o.writeNormalTx ??= q ? 500 : 20000;
  o.writeFullTx ??= q ? 50 : 2000;
  o.capS ??= q ? 2 : 10;
  if (!["promise", "compat"].includes(o.tursoApi)) throw new Error("--turso-api must be promise or compat");
  for (const e of o.engines ?? []) if (!ENGINES[e]) throw new Error(`unknown engine ${e} (known: ${ENGINE_NAMES.join(",")})`);
  for (const w of o.workloads ?? []) if (!WORKLOADS.includes(w)) throw new Error(`unknown workload ${w} (known: ${WORKLOADS.join(",")})`);
  // Chosen engines plus each chosen peer's plaintext baseline, in table order.
  const chosen = new Set(o.engines ?? ENGINE_NAMES);
  for (const e of [...chosen]) chosen.add(ENGINES[e].baseline);
  o.engines = ENGINE_NAMES.filter((e) => chosen.has(e));
  const wl = new Set(o.workloads ?? WORKLOADS);
  o.reported = WORKLOADS.filter((w) => wl.has(w));
  o.executed = EXEC_ORDER.filter((w) => w === "bulk" || wl.has(w));
  return o;
}

// ---------------------------------------------------------------------------
// Engine adapters (used in child processes only). Each adapter exposes
// prepare(sql) -> statement with run/get (sync for better-sqlite3 and Turso's
// compat API, async for Turso's promise API; `isAsync` tells which), pragma
// helpers, and close().

async function openEngine(name, dbPath, tursoApi) {
  const e = ENGINES[name];
  if (e.peer === "sqlite3mc") {
    const Database = require("better-sqlite3-multiple-ciphers");
    const db = new Database(dbPath);
    const info = {};
    if (e.cipher) {
      // Cipher scheme first, then the key. 'raw:' + 64 hex digits bypasses
      // the KDF (Argon2id for aegis, PBKDF2 for chacha20): see
      // sqlite3mcExtractRawKey in the amalgamation.
      db.pragma(`cipher='${e.cipher}'`);
      db.pragma(`key='raw:${KEY_HEX}'`);
      info.cipher = db.pragma("cipher", { simple: true });
      if (e.cipher === "aegis") info.algorithm = db.pragma("algorithm", { simple: true });
    }
    db.pragma(`page_size=${PAGE_SIZE}`);
    return {
      isAsync: false, info,
      prepare(sql, raw = true) {
        const st = db.prepare(sql);
        if (raw && st.reader) st.raw(true);
        return st;
      },
      exec(sql) { db.exec(sql); },
      pragma(p) { return db.pragma(p, { simple: true }); },
      close() { db.close(); },
      versions() {
        const r = db.prepare("SELECT sqlite_version(), sqlite3mc_version()").raw(true).get();
        return { sqlite: r[0], sqlite3mc: r[1] };
      },
    };
  }
  // Turso
  const opts = e.cipher ? { experimental: ["encryption"], encryption: { cipher: e.cipher, hexkey: KEY_HEX } } : {};
  if (tursoApi === "compat") {
    const { Database } = await import("@tursodatabase/database/compat");
    const db = new Database(dbPath, opts);
    return {
      isAsync: false, info: e.cipher ? { cipher: db.prepare("PRAGMA cipher").pluck().get() } : {},
      prepare(sql, raw = true) { const st = db.prepare(sql); if (raw) st.raw(true); return st; },
      exec(sql) { db.exec(sql); },
      pragma(p) {
        const st = db.prepare(`PRAGMA ${p}`).raw(true);
        try { const r = st.get(); return r ? r[0] : undefined; } finally { st.close(); }
      },
      close() { db.close(); },
      versions() { return { sqlite: db.prepare("SELECT sqlite_version()").pluck().get() }; },
    };
  }
  const { connect } = await import("@tursodatabase/database");
  const db = await connect(dbPath, opts);
  const pragma = async (p) => {
    const st = db.prepare(`PRAGMA ${p}`).raw(true);
    try { const r = await st.get(); return r ? r[0] : undefined; } finally { st.close(); }
  };
  return {
    isAsync: true, info: e.cipher ? { cipher: await pragma("cipher") } : {},
    prepare(sql, raw = true) { const st = db.prepare(sql); if (raw) st.raw(true); return st; },
    async exec(sql) { await db.exec(sql); },
    pragma,
    async close() { await db.close(); },
    async versions() { return { sqlite: (await db.prepare("SELECT sqlite_version()").raw(true).get())[0] }; },
  };
}

// ---------------------------------------------------------------------------
// Child side: one workload on one engine.

const nowMs = () => performance.now();

function fileSizes(dbPath) {
  const sz = (p) => { try { return fs.statSync(p).size; } catch { return 0; } };
  return { db_bytes: sz(dbPath), wal_bytes: sz(dbPath + "-wal") };
}
function dbFiles(dbPath) { return [dbPath, dbPath + "-wal"].filter((p) => fs.existsSync(p)); }

// Read the files once so the OS page cache holds them (untimed).
function warmOsCache(dbPath) {
  const buf = Buffer.allocUnsafe(1 << 20);
  for (const p of dbFiles(dbPath)) {
    const fd = fs.openSync(p, "r");
    try { while (fs.readSync(fd, buf, 0, buf.length, null) > 0); } finally { fs.closeSync(fd); }
  }
}

// Drop the OS page cache of the database files. Node has no posix_fadvise;
// GNU dd's iflag=nocache with count=0 calls posix_fadvise(POSIX_FADV_DONTNEED)
// on the whole file. Falls back to /proc/sys/vm/drop_caches (system-wide;
// needs root). Returns { method, resident_bytes } or { skipped }.
function dropOsCache(dbPath) {
  const files = dbFiles(dbPath);
  for (const p of files) { const fd = fs.openSync(p, "r+"); try { fs.fsyncSync(fd); } finally { fs.closeSync(fd); } }
  const total = files.reduce((s, p) => s + fs.statSync(p).size, 0);
  // Bytes of the files in the OS cache (fincore from util-linux), or null.
  const resident = () => {
    const fc = spawnSync("fincore", ["--bytes", "--noheadings", "--output", "RES", ...files], { encoding: "utf8" });
    return fc.status === 0 ? fc.stdout.split(/\s+/).filter(Boolean).reduce((s, x) => s + Number(x), 0) : null;
  };
  const ok = (r) => r !== null && r <= RESIDENT_LIMIT * total;
  const tried = [];
  let res = null;
  const dd = files.map((p) => spawnSync("dd", ["iflag=nocache", "count=0", "status=none", "if=" + p], { encoding: "utf8" }));
  if (dd.every((r) => r.status === 0)) {
    res = resident();
    if (res === null) return { method: "posix_fadvise(DONTNEED) via `dd iflag=nocache count=0` after fsync (not verified: fincore missing)", resident_bytes: null };
    if (ok(res)) return { method: "posix_fadvise(DONTNEED) on the db and WAL via `dd iflag=nocache count=0`, after fsync", resident_bytes: res, file_bytes: total };
    tried.push(`dd iflag=nocache left ${res} of ${total} bytes cached`);
  } else {
    tried.push(`dd iflag=nocache failed (${(dd.find((r) => r.status !== 0).stderr || "").trim() || "not available"})`);
  }
  try {
    spawnSync("sync");
    fs.writeFileSync("/proc/sys/vm/drop_caches", "1\n");
    res = resident();
    if (res === null || ok(res)) return { method: "sync; echo 1 > /proc/sys/vm/drop_caches (system-wide)", resident_bytes: res, file_bytes: total };
    tried.push(`drop_caches left ${res} of ${total} bytes cached`);
  } catch (err) {
    tried.push(`/proc/sys/vm/drop_caches not writable (${err.code})`);
  }
  return { skipped: `cannot drop the files from the OS page cache: ${tried.join("; ")}` };
}

// Known plaintext: rows' b values must (plain) or must not (encrypted) appear
// in the db or WAL; the header must (not) be "SQLite format 3\0".
function checkEncryption(dbPath, encrypted, rows) {
  const probes = [1, Math.max(1, rows >> 1), rows].map((id) => Buffer.from(genB(id), "latin1"));
  let found = 0;
  // Streamed in 4 MiB chunks overlapping by B_LEN - 1 bytes, so the check
  // does not raise the process's peak RSS.
  const CH = 4 << 20, buf = Buffer.allocUnsafe(CH + B_LEN);
  for (const p of dbFiles(dbPath)) {
    const fd = fs.openSync(p, "r");
    const seen = new Set();
    try {
      let keep = 0, n;
      while ((n = fs.readSync(fd, buf, keep, CH, null)) > 0) {
        const view = buf.subarray(0, keep + n);
        probes.forEach((pr, i) => { if (view.includes(pr)) seen.add(i); });
        keep = Math.min(B_LEN - 1, view.length);
        view.copy(buf, 0, view.length - keep);
      }
    } finally { fs.closeSync(fd); }
    found += seen.size;
  }
  const head = Buffer.alloc(16);
  const fd = fs.openSync(dbPath, "r");
  try { fs.readSync(fd, head, 0, 16, 0); } finally { fs.closeSync(fd); }
  const sqliteHeader = head.toString("latin1") === "SQLite format 3\0";
  const headerText = JSON.stringify(head.subarray(0, 8).toString("latin1").replace(/[^\x20-\x7e]/g, "."));
  if (encrypted && (found > 0 || sqliteHeader))
    throw new Error(`encryption check failed: ${found} known row texts found in the files, header ${headerText}`);
  if (!encrypted && (found === 0 || !sqliteHeader))
    throw new Error(`plaintext sanity check failed: known row texts found ${found}, header ${headerText}`);
  return encrypted
    ? `encrypted: header ${headerText} is not 'SQLite format 3', 0 of ${probes.length} known row texts in db+WAL`
    : `plaintext: header 'SQLite format 3', known row texts present`;
}

function check(cond, msg) { if (!cond) throw new Error("correctness check failed: " + msg); }

async function runChild(spec) {
  const { engine, workload, dbPath, rows, tursoApi } = spec;
  const res = { engine, workload, round: spec.round, notes: [] };
  if (workload === "probe") {
    fs.rmSync(dbPath, { force: true });
    const A = await openEngine(engine, dbPath, tursoApi);
    res.versions = await A.versions();
    res.info = A.info;
    await A.close();
    for (const p of [dbPath, dbPath + "-wal", dbPath + "-shm"]) fs.rmSync(p, { force: true });
    return res;
  }
  if (workload === "cold_os") {
    const d = dropOsCache(dbPath);
    if (d.skipped) { res.skipped = d.skipped; return res; }
    res.cacheDrop = d;
  } else if (workload !== "bulk") {
    warmOsCache(dbPath);
  }
  const A = await openEngine(engine, dbPath, tursoApi);
  const aw = A.isAsync;
  const P = async (p) => A.pragma(p);
  // Settings, read back.
  await P("journal_mode=WAL");
  const sync = workload === "write_full" ? "FULL" : "NORMAL";
  await P(`synchronous=${sync}`);
  const cacheKiB = BIG_CACHE_WORKLOADS.has(workload) ? CACHE_BIG_KIB : CACHE_SMALL_KIB;
  await P(`cache_size=-${cacheKiB}`);
  const got = {
    page_size: Number(await P("page_size")), journal_mode: String(await P("journal_mode")).toLowerCase(),
    synchronous: Number(await P("synchronous")), cache_size: Number(await P("cache_size")),
  };
  check(got.page_size === PAGE_SIZE, `page_size reads back ${got.page_size}`);
  check(got.journal_mode === "wal", `journal_mode reads back ${got.journal_mode}`);
  check(got.synchronous === (sync === "FULL" ? 2 : 1), `synchronous reads back ${got.synchronous}`);
  check(got.cache_size === -cacheKiB, `cache_size reads back ${got.cache_size}`);
  res.settings = got;
  res.info = A.info;

  const beginSt = A.prepare("BEGIN", false), commitSt = A.prepare("COMMIT", false);
  let sumSt = null; // prepared on first use: bulk creates the table
  const fullSums = async () => {
    sumSt ??= A.prepare("SELECT count(*), sum(a), sum(length(b)) FROM t");
    const r = aw ? await sumSt.get() : sumSt.get();
    return r.map(Number);
  };
  // spec.updates: committed a=a+1 updates so far in this round's database.
  const expectSumA = spec.sumA0 + spec.updates;
  const checkTable = async (updatesAfter) => {
    const [n, sa, sb] = await fullSums();
    check(n === rows, `count(*) = ${n}, expected ${rows}`);
    check(sa === spec.sumA0 + updatesAfter, `sum(a) = ${sa}, expected ${spec.sumA0 + updatesAfter}`);
    check(sb === B_LEN * rows, `sum(length(b)) = ${sb}, expected ${B_LEN * rows}`);
  };
  // Verifies sampled lookup results: b exact, a within [genA, genA + updates].
  const checkSamples = (sid, sa, sb, cnt, maxUpd) => {
    for (let i = 0; i < cnt; i++) {
      const id = sid[i];
      check(sb[i] === genB(id), `row ${id}: b differs from the generated text`);
      const a = Number(sa[i]), a0 = genA(id);
      check(a >= a0 && a <= a0 + maxUpd, `row ${id}: a = ${a}, generated ${a0} (+ at most ${maxUpd} updates)`);
    }
  };
  const deadline = (t0) => t0 + spec.capS * 1000;
  let ops = 0, ms = 0;

  switch (workload) {
    case "bulk": {
      await A.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT)");
      const ins = A.prepare("INSERT INTO t(id, a, b) VALUES (?, ?, ?)", false);
      const as = new Array(TX_ROWS), bs = new Array(TX_ROWS);
      for (let lo = 1; lo <= rows; lo += TX_ROWS) {
        const hi = Math.min(rows, lo + TX_ROWS - 1), n = hi - lo + 1;
        for (let j = 0; j < n; j++) { as[j] = genA(lo + j); bs[j] = genB(lo + j); } // untimed
        const t0 = nowMs();
        if (aw) {
          await beginSt.run();
          for (let j = 0; j < n; j++) await ins.run(lo + j, as[j], bs[j]);
          await commitSt.run();
        } else {
          beginSt.run();
          for (let j = 0; j < n; j++) ins.run(lo + j, as[j], bs[j]);
          commitSt.run();
        }
        ms += nowMs() - t0;
      }
      ops = rows;
      Object.assign(res, fileSizes(dbPath));
      // Untimed from here: checkpoint, then correctness and encryption checks.
      const t1 = nowMs();
      await P("wal_checkpoint(TRUNCATE)");
      res.checkpoint_ms = Math.round(nowMs() - t1);
      await checkTable(0);
      const sel = A.prepare("SELECT a, b FROM t WHERE id = ?");
      for (const id of [1, 2, rows >> 1, rows - 1, rows]) {
        const r = aw ? await sel.get(id) : sel.get(id);
        check(r && Number(r[0]) === genA(id) && r[1] === genB(id), `row ${id} after bulk does not match the generated row`);
      }
      break;
    }
    case "warm": case "cold": case "cold_os": {
      const n = workload === "cold_os" ? spec.coldOsLookups : spec.lookups;
      const ids = randomIds(n, rows, workloadSeed(spec.round, workload));
      const sel = A.prepare("SELECT a, b FROM t WHERE id = ?");
      if (workload === "warm") { // fill the engine cache (256 MiB > db): untimed full scan
        const [cnt] = await fullSums();
        check(cnt === rows, `count(*) = ${cnt}`);
      }
      const ns = (n + 15) >> 4, sid = new Int32Array(ns), sa = new Array(ns), sb = new Array(ns);
      let bad = -1;
      const t0 = nowMs();
      if (aw) {
        for (let i = 0; i < n; i++) {
          const r = await sel.get(ids[i]);
          if (r === undefined || r[1].length !== B_LEN) { bad = ids[i]; break; }
          if ((i & 15) === 0) { sid[i >> 4] = ids[i]; sa[i >> 4] = r[0]; sb[i >> 4] = r[1]; }
        }
      } else {
        for (let i = 0; i < n; i++) {
          const r = sel.get(ids[i]);
          if (r === undefined || r[1].length !== B_LEN) { bad = ids[i]; break; }
          if ((i & 15) === 0) { sid[i >> 4] = ids[i]; sa[i >> 4] = r[0]; sb[i >> 4] = r[1]; }
        }
      }
      ms = nowMs() - t0;
      check(bad < 0, `lookup of id ${bad} returned no row or not a ${B_LEN}-byte b`);
      checkSamples(sid, sa, sb, ns, spec.updates);
      ops = n;
      if (workload === "cold_os") res.notes.push(`engine cache ${CACHE_SMALL_KIB} KiB; OS cache of the files dropped before each run: ${res.cacheDrop.method}`);
      break;
    }
    case "scan_full": {
      const st = A.prepare("SELECT sum(a), sum(length(b)) FROM t");
      const t0 = nowMs();
      const r = aw ? await st.get() : st.get();
      ms = nowMs() - t0;
      check(Number(r[0]) === expectSumA && Number(r[1]) === B_LEN * rows,
        `scan sums ${r[0]}, ${r[1]}; expected ${expectSumA}, ${B_LEN * rows}`);
      ops = rows;
      break;
    }
    case "scan_range": {
      const width = Math.max(1, Math.floor(rows / 100)), nq = spec.ranges;
      const r = mulberry32(workloadSeed(spec.round, workload));
      const los = [], exp = [];
      for (let q = 0; q < nq; q++) {
        const lo = 1 + (r() % (rows - width + 1));
        los.push(lo); exp.push(sumA(lo, lo + width - 1));
      }
      const st = A.prepare("SELECT count(*), sum(a), sum(length(b)) FROM t WHERE id BETWEEN ? AND ?");
      const out = new Array(nq);
      const t0 = nowMs();
      if (aw) for (let q = 0; q < nq; q++) out[q] = await st.get(los[q], los[q] + width - 1);
      else for (let q = 0; q < nq; q++) out[q] = st.get(los[q], los[q] + width - 1);
      ms = nowMs() - t0;
      for (let q = 0; q < nq; q++) {
        const [c, sa, sb] = out[q].map(Number);
        check(c === width && sb === B_LEN * width && sa >= exp[q] && sa <= exp[q] + spec.updates,
          `range [${los[q]}, ${los[q] + width - 1}]: count ${c}, sum(a) ${sa} (generated ${exp[q]}), sum(length(b)) ${sb}`);
      }
      ops = nq * width;
      res.notes.push(`${nq} queries per run, each over ${width} consecutive keys (1%); ops are rows`);
      break;
    }
    case "write_normal": case "write_full": {
      const n = workload === "write_full" ? spec.writeFullTx : spec.writeNormalTx;
      const ids = randomIds(n, rows, workloadSeed(spec.round, workload));
      const up = A.prepare("UPDATE t SET a = a + 1 WHERE id = ?", false);
      let done = 0, badChanges = 0;
      const t0 = nowMs(), stop = deadline(t0);
      if (aw) {
        for (; done < n; done++) {
          if ((done & 15) === 0 && nowMs() > stop) break;
          if ((await up.run(ids[done])).changes !== 1) badChanges++;
        }
      } else {
        for (; done < n; done++) {
          if ((done & 15) === 0 && nowMs() > stop) break;
          if (up.run(ids[done]).changes !== 1) badChanges++;
        }
      }
      ms = nowMs() - t0;
      check(badChanges === 0, `${badChanges} updates changed no row`);
      ops = done;
      res.updates = done;
      res.capped = done < n;
      Object.assign(res, fileSizes(dbPath));
      res.notes.push(`autocommit UPDATE t SET a=a+1 WHERE id=? at synchronous=${sync}` +
        (res.capped ? `; capped at ${spec.capS} s wall: ${done} of ${n} transactions done` : `; ${n} transactions`));
      break;
    }
    case "mix": {
      const n = spec.mixOps;
      const ids = randomIds(n, rows, workloadSeed(spec.round, workload));
      const kinds = new Uint8Array(n); // 1 = update
      { const r = mulberry32(workloadSeed(spec.round, workload) ^ 0x1234567); for (let i = 0; i < n; i++) kinds[i] = (r() % 100) < MIX_UPDATE_PCT ? 1 : 0; }
      const sel = A.prepare("SELECT a, b FROM t WHERE id = ?");
      const up = A.prepare("UPDATE t SET a = a + 1 WHERE id = ?", false);
      const ns = (n + 15) >> 4, sid = new Int32Array(ns), sa = new Array(ns), sb = new Array(ns);
      let done = 0, upd = 0, bad = -1;
      const t0 = nowMs(), stop = deadline(t0);
      if (aw) {
        while (done < n && bad < 0) {
          if (nowMs() > stop) break;
          const end = Math.min(n, done + MIX_TX_OPS);
          await beginSt.run();
          for (let i = done; i < end; i++) {
            if (kinds[i]) { if ((await up.run(ids[i])).changes !== 1) { bad = ids[i]; break; } upd++; }
            else {
              const r = await sel.get(ids[i]);
              if (r === undefined || r[1].length !== B_LEN) { bad = ids[i]; break; }
              if ((i & 15) === 0) { sid[i >> 4] = ids[i]; sa[i >> 4] = r[0]; sb[i >> 4] = r[1]; }
            }
          }
          await commitSt.run();
          done = end;
        }
      } else {
        while (done < n && bad < 0) {
          if (nowMs() > stop) break;
          const end = Math.min(n, done + MIX_TX_OPS);
          beginSt.run();
          for (let i = done; i < end; i++) {
            if (kinds[i]) { if (up.run(ids[i]).changes !== 1) { bad = ids[i]; break; } upd++; }
            else {
              const r = sel.get(ids[i]);
              if (r === undefined || r[1].length !== B_LEN) { bad = ids[i]; break; }
              if ((i & 15) === 0) { sid[i >> 4] = ids[i]; sa[i >> 4] = r[0]; sb[i >> 4] = r[1]; }
            }
          }
          commitSt.run();
          done = end;
        }
      }
      ms = nowMs() - t0;
      check(bad < 0, `mix: id ${bad} returned no row or changed no row`);
      // Samples taken from lookups in [0, done): sample slot k holds op 16k if it was a lookup.
      const m = (done + 15) >> 4, fid = [], fa = [], fb = [];
      for (let k = 0; k < m; k++) if (!kinds[k << 4]) { fid.push(sid[k]); fa.push(sa[k]); fb.push(sb[k]); }
      checkSamples(fid, fa, fb, fid.length, spec.updates + upd);
      ops = done;
      res.updates = upd;
      res.capped = done < n;
      Object.assign(res, fileSizes(dbPath));
      res.notes.push(`${MIX_UPDATE_PCT}% UPDATE t SET a=a+1 / ${100 - MIX_UPDATE_PCT}% SELECT by id, ${MIX_TX_OPS} ops per transaction` +
        (res.capped ? `; capped at ${spec.capS} s wall: ${done} of ${n} ops done` : ""));
      break;
    }
    default: throw new Error(`unknown workload ${workload}`);
  }
  if (res.db_bytes === undefined) Object.assign(res, fileSizes(dbPath));
  // Untimed: a write workload must leave the sums consistent; every workload
  // leaves an empty WAL so the next one starts from the same state.
  if (workload === "write_normal" || workload === "write_full" || workload === "mix") {
    await P("wal_checkpoint(TRUNCATE)");
    await checkTable(spec.updates + res.updates);
  }
  await P("wal_checkpoint(TRUNCATE)");
  await A.close();
  if (workload === "bulk") res.encryption_check = checkEncryption(dbPath, !!ENGINES[engine].cipher, rows);
  res.ops = ops;
  res.ms = ms;
  res.ops_per_s = ms > 0 ? ops / (ms / 1000) : null;
  return res;
}

// ---------------------------------------------------------------------------
// Parent side

function median(xs) {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  return n === 0 ? null : n % 2 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
const r3 = (x) => (x == null || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000);
const r0 = (x) => (x == null || !Number.isFinite(x) ? null : Math.round(x));
const log = (...a) => process.stderr.write(a.join(" ") + "\n");
const emit = (o) => process.stdout.write(JSON.stringify(o) + "\n");

function runInChild(spec, timeoutS) {
  return new Promise((resolve) => {
    const child = fork(SELF, ["--child"], { stdio: ["ignore", "inherit", "inherit", "ipc"], cwd: HERE });
    let result = null, settled = false;
    const finish = (r) => { if (!settled) { settled = true; clearTimeout(timer); resolve(r); } };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish({ error: `timed out after ${timeoutS} s` });
    }, timeoutS * 1000);
    child.on("message", (m) => { result = m; });
    child.on("error", (err) => finish({ error: `child process: ${err.message}` }));
    child.on("close", (code, sig) => {
      if (result) finish(result);
      else finish({ error: `child exited (${sig ?? code}) without a result` });
    });
    child.send(spec);
  });
}

function pkgVersion(name) {
  try { return JSON.parse(fs.readFileSync(path.join(HERE, "node_modules", name, "package.json"), "utf8")).version; }
  catch { return null; }
}

function cpuModel() {
  try { return os.cpus()[0]?.model ?? null; } catch { return null; }
}

const KEY_SETTINGS = {
  "sqlite3mc-plain": "no key: PRAGMA cipher/key not issued (plain SQLite file from the same library)",
  "sqlite3mc-aegis": "PRAGMA cipher='aegis'; PRAGMA key='raw:<64 hex>' (raw 256-bit key, Argon2id KDF bypassed)",
  "sqlite3mc-chacha20": "PRAGMA cipher='chacha20'; PRAGMA key='raw:<64 hex>' (raw 256-bit key, PBKDF2 KDF bypassed; ChaCha20-Poly1305, sqleet scheme)",
  "turso-plain": "connect(path, {}) : no encryption",
  "turso-aegis256": "connect(path, {experimental:['encryption'], encryption:{cipher:'aegis256', hexkey:<64 hex>}}) (raw key, no KDF)",
  "turso-aes256gcm": "connect(path, {experimental:['encryption'], encryption:{cipher:'aes256gcm', hexkey:<64 hex>}}) (raw key, no KDF)",
};

async function parentMain(o) {
  const tStart = Date.now();
  const ownDir = !o.dir;
  const dir = o.dir ? path.resolve(o.dir) : fs.mkdtempSync(path.join(os.tmpdir(), "sealdb-bench-node-"));
  fs.mkdirSync(dir, { recursive: true });
  let errors = 0;
  const cleanup = () => { if (ownDir) fs.rmSync(dir, { recursive: true, force: true }); };
  process.on("SIGINT", () => { cleanup(); process.exit(130); });
  process.on("SIGTERM", () => { cleanup(); process.exit(143); });

  // Probe each engine: loads the module, opens a database, reports versions.
  const probe = {}, broken = {};
  for (const e of o.engines) {
    const r = await runInChild({ engine: e, workload: "probe", dbPath: path.join(dir, `probe-${e}.db`), tursoApi: o.tursoApi, rows: 0 }, 120);
    if (r.error) broken[e] = `engine failed to load or open: ${r.error}`;
    else probe[e] = r;
  }
  const mcProbe = probe["sqlite3mc-aegis"] ?? probe["sqlite3mc-plain"] ?? probe["sqlite3mc-chacha20"];
  const tuProbe = probe["turso-plain"] ?? probe["turso-aegis256"] ?? probe["turso-aes256gcm"];
  const engSettings = {};
  for (const e of o.engines) {
    engSettings[e] = { baseline: ENGINES[e].baseline, key: KEY_SETTINGS[e] };
    if (probe[e]?.info && Object.keys(probe[e].info).length) engSettings[e].read_back = probe[e].info;
  }
  const sumA0 = sumA(1, o.rows);
  emit({
    suite: "node", op: "settings", harness: "node", program: "bench/node/bench_peers.mjs",
    node: process.version, platform: `${os.type()} ${os.release()} ${os.arch()}`, cpu: cpuModel(), cpus: os.cpus().length,
    versions: {
      "better-sqlite3-multiple-ciphers": pkgVersion("better-sqlite3-multiple-ciphers"),
      sqlite3mc: mcProbe?.versions?.sqlite3mc ?? null, sqlite3mc_sqlite_version: mcProbe?.versions?.sqlite ?? null,
      "@tursodatabase/database": pkgVersion("@tursodatabase/database"),
      "@tursodatabase/database-linux-x64-gnu": pkgVersion("@tursodatabase/database-linux-x64-gnu"),
      turso_sqlite_version: tuProbe?.versions?.sqlite ?? null,
    },
    quick: o.quick, runs: o.runs, rows: o.rows, page_size: PAGE_SIZE, journal_mode: "wal",
    synchronous: "normal (write_full: full)",
    cache_kb: { bulk: CACHE_BIG_KIB, warm: CACHE_BIG_KIB, other: CACHE_SMALL_KIB },
    bulk_tx_rows: TX_ROWS, lookups: o.lookups, cold_os_lookups: o.coldOsLookups, ranges: o.ranges,
    range_rows: Math.max(1, Math.floor(o.rows / 100)), write_normal_tx: o.writeNormalTx, write_full_tx: o.writeFullTx,
    write_cap_s: o.capS, mix_ops: o.mixOps, mix_tx_ops: MIX_TX_OPS, mix_updates: MIX_UPDATE_PCT / 100, text_bytes: B_LEN,
    mix_cap_s: o.capS,
    schema: "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT)",
    other_pragmas: "library defaults (wal_autocheckpoint 1000, mmap_size 0)",
    peak_mem: "peak RSS of the child process that ran the workload (process.resourceUsage().maxRSS, includes Node's own ~40-60 MB), max over runs",
    ratio: "median over runs of engine/baseline in the same run; the baseline is the peer's own plaintext engine",
    turso_api: o.tursoApi === "promise" ? "promise (await per statement; the package's main API)" : "compat (synchronous)",
    engines: o.engines, workloads: o.reported, engine_settings: engSettings, dir,
  });
  for (const [e, why] of Object.entries(broken)) { errors++; emit({ suite: "node", harness: "node", engine: e, error: why }); }

  // results[engine][workload] = { runs: [per-round result], error }
  const live = o.engines.filter((e) => !broken[e]);
  const results = {};
  for (const e of live) { results[e] = {}; for (const w of o.executed) results[e][w] = { runs: [], error: null, skipped: null }; }
  const dead = {}; // engine -> reason (bulk failed)
  for (let round = 0; round < o.runs; round++) {
    const order = live.map((_, i) => live[(i + round) % live.length]);
    for (const e of order) {
      if (dead[e]) continue;
      const dbPath = path.join(dir, `${e}-r${round}.db`);
      let updates = 0;
      for (const w of o.executed) {
        const R = results[e][w];
        if (R.error || R.skipped) continue;
        const t0 = Date.now();
        const r = await runInChild({
          engine: e, workload: w, round, dbPath, rows: o.rows, lookups: o.lookups, coldOsLookups: o.coldOsLookups,
          ranges: o.ranges, mixOps: o.mixOps, writeNormalTx: o.writeNormalTx, writeFullTx: o.writeFullTx, capS: o.capS, tursoApi: o.tursoApi, sumA0, updates,
        }, o.childTimeoutS);
        if (r.error) {
          R.error = r.error;
          log(`[round ${round + 1}/${o.runs}] ${e} ${w}: ERROR ${r.error}`);
          if (w === "bulk") { dead[e] = r.error; break; }
          // A failed write leaves the update count unknown: stop this round for the engine.
          if (WRITERS.has(w)) break;
          continue;
        }
        if (r.skipped) { R.skipped = r.skipped; log(`[round ${round + 1}/${o.runs}] ${e} ${w}: skipped (${r.skipped})`); continue; }
        updates += r.updates ?? 0;
        R.runs.push(r);
        log(`[round ${round + 1}/${o.runs}] ${e} ${w}: ${Math.round(r.ops_per_s)} ${UNITS[w]}` +
          `${r.capped ? " (capped)" : ""}, ${(r.ms / 1000).toFixed(2)} s timed, ${((Date.now() - t0) / 1000).toFixed(1)} s wall`);
      }
      for (const s of ["", "-wal", "-shm"]) fs.rmSync(dbPath + s, { force: true });
    }
  }

  // Report.
  for (const e of o.engines) {
    if (broken[e]) continue;
    const base = ENGINES[e].baseline;
    for (const w of o.reported) {
      const line = { suite: "node", harness: "node", engine: e, workload: w };
      const R = results[e][w];
      if (dead[e] && w !== "bulk") { errors++; emit({ ...line, error: `bulk load failed, nothing to measure: ${dead[e]}` }); continue; }
      if (R.error) { errors++; emit({ ...line, error: R.error }); continue; }
      if (R.skipped) { emit({ ...line, skipped: R.skipped }); continue; }
      if (R.runs.length === 0) { errors++; emit({ ...line, error: "no run completed" }); continue; }
      const rates = R.runs.map((r) => r.ops_per_s);
      const med = median(rates);
      const B = results[base]?.[w];
      let ratio = null, rmin = null, rmax = null;
      if (B && !B.error && B.runs.length) {
        // Per run: engine / baseline of the same run; reported: their median, min, max.
        const per = [];
        for (const r of R.runs) { const b = B.runs.find((x) => x.round === r.round); if (b) per.push(r.ops_per_s / b.ops_per_s); }
        if (per.length) { ratio = median(per); rmin = Math.min(...per); rmax = Math.max(...per); }
      }
      const last = R.runs[R.runs.length - 1];
      const notes = [...new Set(R.runs.flatMap((r) => r.notes))].filter((n) => !/capped/.test(n));
      const capped = R.runs.filter((r) => r.capped);
      if (capped.length) notes.push(`capped at ${o.capS} s wall in ${capped.length} of ${R.runs.length} runs (done: ${capped.map((r) => r.ops).join(", ")} ${w === "mix" ? "ops" : "tx"}); ops_per_s counts only what was done`);
      if (w === "bulk") {
        notes.push(`${TX_ROWS} rows per transaction, auto-checkpoints included; file_bytes before the untimed final wal_checkpoint(TRUNCATE) (${median(R.runs.map((r) => r.checkpoint_ms))} ms median)`);
        if (last.encryption_check) notes.push(last.encryption_check);
      }
      if (w === "warm") notes.push(`engine cache ${CACHE_BIG_KIB} KiB, filled by an untimed full scan`);
      if (w === "cold") notes.push(`engine cache ${CACHE_SMALL_KIB} KiB, OS cache warm (files read before each run)`);
      if (w === "cold_os") {
        const res = R.runs.map((r) => r.cacheDrop?.resident_bytes).filter((x) => x != null);
        if (res.length) notes.push(`at most ${Math.max(...res)} bytes of db+WAL still in the OS cache right after the drop (fincore)`);
      }
      if (ENGINES[e].peer === "turso" && ENGINES[e].cipher && WRITERS.has(w)) notes.push(TURSO_WAL_CAVEAT);
      if (e === base) notes.push("baseline");
      const maxBy = (k) => Math.max(...R.runs.map((r) => r[k] ?? 0));
      const fileRun = R.runs.reduce((m, r) => ((r.db_bytes + r.wal_bytes) > (m.db_bytes + m.wal_bytes) ? r : m), R.runs[0]);
      emit({
        ...line, ops_per_s: r0(med), unit: UNITS[w], runs: R.runs.length,
        min: r0(Math.min(...rates)), max: r0(Math.max(...rates)),
        ratio_to_baseline: r3(ratio), ratio_min: r3(rmin), ratio_max: r3(rmax), baseline: base,
        peak_mem_kb: maxBy("maxrss_kb"), file_bytes: fileRun.db_bytes + fileRun.wal_bytes,
        db_bytes: fileRun.db_bytes, wal_bytes: fileRun.wal_bytes, rows: o.rows,
        note: notes.join("; "),
      });
    }
  }
  log(`done in ${((Date.now() - tStart) / 1000).toFixed(0)} s`);
  cleanup();
  return errors ? 1 : 0;
}

// ---------------------------------------------------------------------------

if (process.argv.includes("--child")) {
  process.once("message", async (spec) => {
    let res;
    try {
      res = await runChild(spec);
    } catch (err) {
      res = { error: String(err?.message ?? err) };
    }
    res.maxrss_kb = process.resourceUsage().maxRSS;
    process.send(res, () => process.exit(0));
  });
} else {
  let o;
  try { o = parseArgs(process.argv.slice(2)); } catch (err) {
    process.stderr.write(`bench_peers: ${err.message}\n${usage()}\n`);
    process.exit(2);
  }
  parentMain(o).then((code) => { process.exitCode = code; }, (err) => {
    process.stderr.write(`bench_peers: ${err.stack ?? err}\n`);
    process.exitCode = 1;
  });
}
