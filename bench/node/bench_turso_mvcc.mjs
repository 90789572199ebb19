#!/usr/bin/env node
// bench_turso_mvcc.mjs - Turso Database's concurrent writers for the mvcc
// suite: one measurement per invocation, run by bench_mvcc (--turso) beside
// its native and SQLite sides so that the three are measured in the same run.
//
//   node bench_turso_mvcc.mjs --db PATH --threads N --seconds S
//        --sync full|normal --workload disjoint|hot10 --rows N
//        [--hot-rows N] [--hot-share F] [--cipher aegis256 --hexkey HEX]
//
// It makes PATH in Turso's MVCC journal mode (the same table and rows as
// bench_mvcc: t(id INTEGER PRIMARY KEY, v INTEGER, pad TEXT), a 100-char
// pad), checkpoints it, then starts N worker threads, each with its own
// connection: Turso's Node package runs statements on the thread that made
// the connection, so parallel writers need a thread each. Each worker runs,
// for S seconds, transactions of BEGIN CONCURRENT; SELECT v; UPDATE v + 1;
// COMMIT on a row of its own slice of the table (disjoint) or, one time in
// ten, of a hot set shared by every worker (hot10), and retries a
// transaction refused for a conflict or while the database is busy (Turso
// checkpoints its MVCC log under a lock). The clock starts when every worker
// is connected and ready. Output: one JSON line on stdout,
// {"commits":C,"conflicts":K,"seconds":T,"busy":B}; errors on stderr, exit 1.

import fs from "node:fs";
import { Worker, isMainThread, workerData, parentPort } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import { connect } from "@tursodatabase/database";

function options(argv) {
  const o = { threads: 1, seconds: 1, sync: "full", workload: "disjoint", rows: 10000,
              hotRows: 8, hotShare: 0.1, cipher: null, hexkey: null, db: null };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i], v = argv[i + 1];
    const need = () => { if (v === undefined) throw new Error(`${a} needs a value`); i++; return v; };
    if (a === "--db") o.db = need();
    else if (a === "--threads") o.threads = +need();
    else if (a === "--seconds") o.seconds = +need();
    else if (a === "--sync") o.sync = need();
    else if (a === "--workload") o.workload = need();
    else if (a === "--rows") o.rows = +need();
    else if (a === "--hot-rows") o.hotRows = +need();
    else if (a === "--hot-share") o.hotShare = +need();
    else if (a === "--cipher") o.cipher = need();
    else if (a === "--hexkey") o.hexkey = need();
    else throw new Error(`unknown argument ${a}`);
  }
  if (!o.db) throw new Error("--db is required");
  if (!(o.threads >= 1 && o.threads <= 64)) throw new Error("--threads takes 1 to 64");
  if (!(o.seconds > 0 && o.seconds <= 60)) throw new Error("--seconds takes 0 to 60");
  if (!["full", "normal"].includes(o.sync)) throw new Error("--sync takes full or normal");
  if (!["disjoint", "hot10"].includes(o.workload)) throw new Error("--workload takes disjoint or hot10");
  if (!(o.rows >= o.threads * 2 + o.hotRows)) throw new Error("--rows is too small");
  if (!!o.cipher !== !!o.hexkey) throw new Error("--cipher and --hexkey go together");
  return o;
}

function connectOptions(o) {
  return o.cipher ? { experimental: ["encryption"], encryption: { cipher: o.cipher, hexkey: o.hexkey } } : {};
}

// A conflict (a write-write conflict, or "Commit dependency aborted": the
// commit of a transaction this one read from failed), or the database busy
// (a checkpoint of the MVCC log holds it): the transaction's retry answers
// them; anything else is an error.
function isConflict(e) {
  return /conflict|snapshot|abort/i.test(String(e && e.message));
}
function isBusy(e) {
  return /busy|locked/i.test(String(e && e.message));
}

async function make(o) {
  for (const s of ["", "-wal", "-log", "-shm"]) fs.rmSync(o.db + s, { force: true });
  const db = await connect(o.db, connectOptions(o));
  await db.exec("PRAGMA journal_mode = 'mvcc'");
  await db.exec("CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER, pad TEXT)");
  const pad = "x".repeat(100);
  await db.exec("BEGIN");
  const ins = db.prepare("INSERT INTO t VALUES (?, 0, ?)");
  for (let id = 1; id <= o.rows; id++) await ins.run(id, pad);
  await db.exec("COMMIT");
  await db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return db;
}

async function worker() {
  const { o, index, gate } = workerData;
  const flag = new Int32Array(gate);
  const db = await connect(o.db, connectOptions(o));
  await db.exec(`PRAGMA synchronous = ${o.sync.toUpperCase()}`);
  const sel = db.prepare("SELECT v FROM t WHERE id = ?");
  const upd = db.prepare("UPDATE t SET v = ? WHERE id = ?");
  // the same key choice as bench_mvcc: a slice per thread after the hot rows
  const slice = Math.floor((o.rows - o.hotRows) / o.threads);
  let seed = BigInt(index) * 0x9e3779b97f4a7c15n + 1n;
  const mask = (1n << 64n) - 1n;
  const next = () => {
    seed ^= (seed << 13n) & mask;
    seed ^= seed >> 7n;
    seed ^= (seed << 17n) & mask;
    return Number(seed % 1000000007n);
  };
  Atomics.add(flag, 1, 1);
  Atomics.notify(flag, 1);
  Atomics.wait(flag, 0, 0); // until the parent starts the clock
  let commits = 0, conflicts = 0, busy = 0;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const end = performance.now() + o.seconds * 1000;
  while (performance.now() < end) {
    const hot = o.workload === "hot10" && next() % 1000 < o.hotShare * 1000;
    const id = hot ? 1 + (next() % o.hotRows) : 1 + o.hotRows + index * slice + (next() % slice);
    for (;;) {
      try {
        await db.exec("BEGIN CONCURRENT");
        const row = await sel.get(id);
        await upd.run(row.v + 1, id);
        await db.exec("COMMIT");
        commits++;
        break;
      } catch (e) {
        try { await db.exec("ROLLBACK"); } catch { /* already rolled back */ }
        if (isConflict(e)) {
          conflicts++;
        } else if (isBusy(e)) {
          busy++;
          Atomics.wait(pause, 0, 0, 0.1); // a tenth of a millisecond before the retry
        } else {
          throw e;
        }
        if (performance.now() >= end) break;
      }
    }
  }
  await db.close();
  parentPort.postMessage({ commits, conflicts, busy });
}

async function main() {
  const o = options(process.argv);
  const db = await make(o);
  const gate = new SharedArrayBuffer(8);
  const flag = new Int32Array(gate);
  const done = [];
  for (let index = 0; index < o.threads; index++) {
    const w = new Worker(new URL(import.meta.url), { workerData: { o, index, gate } });
    done.push(new Promise((resolve, reject) => {
      w.on("message", resolve);
      w.on("error", reject);
      w.on("exit", (code) => code && reject(new Error(`worker ${index} exited with ${code}`)));
    }));
  }
  while (Atomics.load(flag, 1) < o.threads) {
    await new Promise((r) => setTimeout(r, 1));
  }
  const t0 = performance.now();
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  const results = await Promise.all(done);
  const seconds = (performance.now() - t0) / 1000;
  const commits = results.reduce((a, r) => a + r.commits, 0);
  const conflicts = results.reduce((a, r) => a + r.conflicts, 0);
  const busy = results.reduce((a, r) => a + r.busy, 0);
  // every commit is in the table: v sums to the commits made
  const sum = (await db.prepare("SELECT sum(v) AS s FROM t").get()).s;
  await db.close();
  for (const s of ["", "-wal", "-log", "-shm"]) fs.rmSync(o.db + s, { force: true });
  if (Number(sum) !== commits) throw new Error(`the table holds ${sum} increments, ${commits} commits returned`);
  process.stdout.write(JSON.stringify({ commits, conflicts, seconds, busy }) + "\n");
}

if (isMainThread) {
  main().catch((e) => { process.stderr.write(`bench_turso_mvcc: ${e.stack || e}\n`); process.exit(1); });
} else {
  worker().catch((e) => { throw e; });
}
