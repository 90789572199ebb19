// interop_common.mjs - what the interop Node scripts share: loading Turso Database from the
// build-local npm folder ($INTEROP_NODE_DIR), opening encrypted databases (aegis256x4, which the
// JS `encryption` option lacks, through ATTACH with a URI), the canonical text of query results
// and the manifest format. The canonical encoding must stay byte-identical to add_value() in
// interop.c: per value n | i<decimal> | r<16 hex digits of the IEEE-754 bits, big-endian> |
// t<hex of UTF-8> | b<hex>, joined by ',', a line per row, after a line "@ <sql>" per query.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

const NOT_IN_JS_OPTION = "aegis256x4";

export async function loadTurso() {
  const dir = process.env.INTEROP_NODE_DIR;
  if (!dir) throw new Error("INTEROP_NODE_DIR is not set (the folder npm installed Turso into)");
  const require = createRequire(path.join(path.resolve(dir), "package.json"));
  return import(pathToFileURL(require.resolve("@tursodatabase/database")).href);
}

// Opens an encrypted database; `attached` tells whether it is schema x of an in-memory main.
export async function openTurso(turso, file, cipher, hexkey) {
  if (cipher !== NOT_IN_JS_OPTION) {
    const db = await turso.connect(file,
      { experimental: ["encryption"], encryption: { cipher, hexkey } });
    return { db, attached: false };
  }
  if (!/^[\w./-]+$/.test(file)) throw new Error(`path needs URI escaping: ${file}`);
  const db = await turso.connect(":memory:", { experimental: ["encryption", "attach"] });
  try {
    // Turso attaches only databases of main's page size; the header's bytes 16-17 are clear text
    const size = fs.readFileSync(file).readUInt16BE(16);
    await db.exec(`PRAGMA page_size = ${size === 1 ? 65536 : size}`);
    await db.exec(`ATTACH 'file:${file}?cipher=${cipher}&hexkey=${hexkey}' AS x`);
  } catch (e) {
    db.close();
    throw e;
  }
  return { db, attached: true };
}

export function canonValue(v) {
  if (v === null) return "n";
  if (typeof v === "bigint") return "i" + v.toString(10);
  if (typeof v === "number") {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return "r" + b.toString("hex");
  }
  if (typeof v === "string") return "t" + Buffer.from(v, "utf8").toString("hex");
  if (v instanceof Uint8Array) return "b" + Buffer.from(v).toString("hex");
  throw new Error(`no canonical form for ${typeof v}`);
}

// "@ sql" and the canonical rows. Integers come as BigInt (safeIntegers), so a REAL never
// passes for an INTEGER or the other way round.
export async function canonQuery(db, sql) {
  const st = db.prepare(sql);
  st.safeIntegers(true);
  st.raw(true);
  const rows = await st.all();
  return `@ ${sql}\n` + rows.map((r) => r.map(canonValue).join(",") + "\n").join("");
}

// The sections of a canonical text, in order: { sql, text } with text = "@ sql\n" + its rows.
export const canonSections = (text) =>
  text.split(/^(?=@ )/m).filter((s) => s.startsWith("@ "))
    .map((s) => ({ sql: s.slice(2, s.indexOf("\n")), text: s }));

// null when equal, else a description of the first differing line.
export function canonDiff(got, want) {
  const g = got.split("\n"), w = want.split("\n");
  let query = "";
  for (let i = 0; i < Math.max(g.length, w.length); i++) {
    if (g[i] !== w[i]) {
      const cut = (s) =>
        s === undefined ? "(end of result)" : s.length > 160 ? s.slice(0, 160) + "..." : s;
      return `line ${i + 1}${query ? ` (in ${query})` : ""}\n` +
        `  got:      ${cut(g[i])}\n  expected: ${cut(w[i])}`;
    }
    if (w[i].startsWith("@ ")) query = w[i].slice(2);
  }
  return null;
}

// Manifest lines: "layout cipher hexkey db canon", names relative to the manifest's folder.
export function readManifest(file) {
  const dir = path.dirname(path.resolve(file));
  return fs.readFileSync(file, "utf8").split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => {
      const [layout, cipher, hexkey, db, canon] = l.trim().split(/\s+/);
      return { layout, cipher, hexkey, db: path.join(dir, db), canon: path.join(dir, canon) };
    });
}

export const manifestLine = (e) =>
  `${e.layout} ${e.cipher} ${e.hexkey} ${path.basename(e.db)} ${path.basename(e.canon)}\n`;

// Frames of a WAL that carry the header's salts, and how many of them end a transaction.
export function walFrames(dbFile) {
  const p = dbFile + "-wal";
  if (!fs.existsSync(p) || fs.statSync(p).size < 32) return { frames: 0, commits: 0, pageSize: 0 };
  const w = fs.readFileSync(p);
  const pageSize = w.readUInt32BE(8), frame = 24 + pageSize;
  let frames = 0, commits = 0;
  // a frame counts while its header carries the WAL header's salts (bytes 8..15 vs 16..23)
  for (let off = 32; off + frame <= w.length; off += frame) {
    if (w.compare(w, 16, 24, off + 8, off + 16) !== 0) break;
    frames++;
    if (w.readUInt32BE(off + 4) !== 0) commits++;
  }
  return { frames, commits, pageSize };
}
