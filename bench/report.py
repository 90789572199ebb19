#!/usr/bin/python3
"""Checks, merges and reports the JSON lines of sealdb's benchmark suites.

Used by bench/run; standard library only. Subcommands:

  check FILE [--require-suite NAME]...
      Exits 1 (naming each problem) unless every line of FILE is a JSON
      object with a "suite"; every workloads measurement has its fields
      (engine, workload among the nine names, ops_per_s > 0, runs >= 1,
      min <= ops_per_s <= max, ratio_to_baseline > 0) or a "skipped" reason;
      every engine of a program has a line for every workload its settings
      line chose; every pager-suite measurement has its fields (workload
      among the pager's, ops_per_s > 0, runs >= 1, min <= ops_per_s <= max,
      ratio_to_baseline > 0); every native-suite measurement likewise (workload
      among the native benchmark's); every mvcc-suite measurement likewise
      (workload disjoint or hot10, sync full or normal, threads >= 1,
      conflict_rate between 0 and 1); and each required suite has at least
      one line.

  merge OUT FILE...
      Concatenates the suites' JSON lines into OUT and adds to every
      SQLCipher line "sqlite_ops_per_s" and "ratio_to_sqlite": plain SQLite's
      median from the C workloads suite of the same bench/run (a different
      process and SQLite version: a context figure, not the encryption cost).

  markdown FILE TITLE
      Prints the Markdown report of a merged file: settings, overhead per
      engine and workload, throughput, memory and file size, the project's
      targets with the measured figures, the cipher suite's throughput, the
      native pager's costs against their baselines, the native engine
      against SQLite on the same file, and concurrent writers against SQLite
      in WAL mode.

  plotdata FILE DIR
      Writes the data files bench/plot.gp draws (overhead.dat, ciphers.dat)
      and prints the gnuplot variables that go with them.
"""

import json
import os
import sys

WORKLOADS = ["bulk", "warm", "cold", "cold_os", "scan_full", "scan_range",
             "write_normal", "write_full", "mix"]
BASELINES = {"sqlite-plain", "sqlcipher-plain", "sqlite3mc-plain", "turso-plain"}
# bench_pager (suite "pager"): cache hits, misses, commits of K pages per mode
PAGER_WORKLOADS = ["hit", "miss"] + ["commit_%d_%s" % (k, m) for k in (1, 10, 100)
                                     for m in ("off", "normal", "full")]
# the pager's targets: the least ratio to the baseline that meets each
PAGER_TARGETS = {"hit": (0.5, "within 2x of a hash-table lookup"),
                 "miss": (1 / 1.1, "at most pread + unseal + 10%")}
# bench_native (suite "native"): the native engine against SQLite, same file
NATIVE_WORKLOADS = ["lookup", "scan_rowid", "scan_index", "bulk"]
# the least native/SQLite ratio that meets each target
NATIVE_TARGETS = {"lookup": 3.0, "scan_rowid": 2.0, "scan_index": 2.0, "bulk": 1.0}
# bench_mvcc (suite "mvcc"): concurrent writers against SQLite in WAL mode
MVCC_WORKLOADS = ["disjoint", "hot10"]
MVCC_SYNCS = ["full", "normal"]
# the least native/SQLite ratio with MVCC_TARGET_THREADS writers, per sync;
# and the most conflicts per attempt on disjoint keys
MVCC_TARGETS = {"full": 3.0, "normal": 1.5}
MVCC_TARGET_THREADS = 4
MVCC_TARGET_CONFLICT_RATE = 0.01
# suites whose lines are measured against a baseline of their own (not workloads)
OWN_SUITES = ("pager", "native", "mvcc")


def load(path):
    """Returns [(line number, object or None, text)] for the file's lines."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, text in enumerate(f, 1):
            text = text.strip()
            if not text:
                continue
            try:
                obj = json.loads(text)
            except ValueError:
                obj = None
            out.append((n, obj, text))
    return out


def key(d):
    """Engine key: name, plus layout when there is one."""
    return d["engine"] + ("/" + d["layout"] if d.get("layout") else "")


def harness(d):
    return d.get("harness", "c")


def is_measurement(d):
    """A workload measurement, from any harness (the Node one uses suite "node")."""
    return ("workload" in d and "engine" in d and d.get("op") != "settings"
            and d.get("suite") not in OWN_SUITES)


def is_pager(d):
    """A measurement of the native pager's benchmark."""
    return d.get("suite") == "pager" and d.get("op") != "settings"


def is_native(d):
    """A measurement of the native engine's benchmark."""
    return d.get("suite") == "native" and d.get("op") != "settings"


def is_mvcc(d):
    """A measurement of the concurrent-writer benchmark."""
    return d.get("suite") == "mvcc" and d.get("op") != "settings"


def is_workload_settings(d):
    return d.get("op") == "settings" and d.get("suite") not in ("ciphers",) + OWN_SUITES


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# ---- check -----------------------------------------------------------------

def throughput_problems(d, problems):
    """Adds the problems of a line's throughput fields to problems."""
    for field in ("ops_per_s", "min", "max", "ratio_to_baseline"):
        if not is_number(d.get(field)) or d[field] <= 0:
            problems.append("%s missing or not positive" % field)
    if not isinstance(d.get("runs"), int) or d["runs"] < 1:
        problems.append("runs missing or < 1")
    if not problems and not d["min"] <= d["ops_per_s"] <= d["max"]:
        problems.append("ops_per_s outside [min, max]")
    return problems


def check_measurement(d):
    """Problems with one workloads measurement, as a list of strings."""
    problems = []
    for field in ("engine", "workload"):
        if not isinstance(d.get(field), str) or not d.get(field):
            problems.append("no %s" % field)
    if d.get("workload") not in WORKLOADS:
        problems.append("unknown workload %r" % d.get("workload"))
    if "skipped" in d:
        if not isinstance(d["skipped"], str) or not d["skipped"]:
            problems.append("skipped without a reason")
        return problems
    throughput_problems(d, problems)
    for field in ("peak_mem_kb", "file_bytes"):
        if field in d and (not is_number(d[field]) or d[field] < 0):
            problems.append("%s not a number" % field)
    return problems


def check_pager(d):
    """Problems with one pager measurement, as a list of strings."""
    problems = []
    if not isinstance(d.get("engine"), str) or not d.get("engine"):
        problems.append("no engine")
    if d.get("workload") not in PAGER_WORKLOADS:
        problems.append("unknown pager workload %r" % d.get("workload"))
    return throughput_problems(d, problems)


def check_native(d):
    """Problems with one native-engine measurement, as a list of strings."""
    problems = []
    if not isinstance(d.get("engine"), str) or not d.get("engine"):
        problems.append("no engine")
    if d.get("workload") not in NATIVE_WORKLOADS:
        problems.append("unknown native workload %r" % d.get("workload"))
    return throughput_problems(d, problems)


def check_mvcc(d):
    """Problems with one concurrent-writer measurement, as a list of strings."""
    problems = []
    if not isinstance(d.get("engine"), str) or not d.get("engine"):
        problems.append("no engine")
    if d.get("workload") not in MVCC_WORKLOADS:
        problems.append("unknown mvcc workload %r" % d.get("workload"))
    if d.get("sync") not in MVCC_SYNCS:
        problems.append("unknown sync %r" % d.get("sync"))
    if not isinstance(d.get("threads"), int) or d["threads"] < 1:
        problems.append("threads missing or < 1")
    if not is_number(d.get("conflict_rate")) or not 0 <= d["conflict_rate"] <= 1:
        problems.append("conflict_rate missing or outside [0, 1]")
    return throughput_problems(d, problems)


OWN_CHECKS = {"pager": check_pager, "native": check_native, "mvcc": check_mvcc}


def cmd_check(args):
    if not args:
        sys.exit("usage: report.py check FILE [--require-suite NAME]...")
    path, required, required_h = args[0], [], []
    rest = args[1:]
    while rest:
        if rest[0] not in ("--require-suite", "--require-harness") or len(rest) < 2:
            sys.exit("report.py check: bad argument %r" % rest[0])
        (required if rest[0] == "--require-suite" else required_h).append(rest[1])
        rest = rest[2:]
    errors = []
    suites, harnesses = set(), set()
    # per (harness, program): the workloads chosen and the engines seen
    chosen, seen, listed = {}, {}, {}
    program = {}
    lines = load(path)
    for n, d, text in lines:
        where = "%s:%d" % (path, n)
        if not isinstance(d, dict) or not isinstance(d.get("suite"), str):
            errors.append("%s: not a JSON object with a suite: %.80s" % (where, text))
            continue
        suites.add(d["suite"])
        if d["suite"] in OWN_SUITES:
            check = OWN_CHECKS[d["suite"]]
            problems = [] if d.get("op") == "settings" else check(d)
            if problems:
                errors.append("%s: %s" % (where, "; ".join(problems)))
            continue
        if is_workload_settings(d):
            program[harness(d)] = d.get("program", harness(d))
            chosen[program[harness(d)]] = d.get("workloads", WORKLOADS)
            listed[program[harness(d)]] = d.get("engines", [])
            continue
        if not is_measurement(d):
            if d["suite"] != "ciphers":
                errors.append("%s: neither settings nor a measurement: %.80s" % (where, text))
            continue
        problems = check_measurement(d)
        if problems:
            errors.append("%s: %s" % (where, "; ".join(problems)))
            continue
        harnesses.add(harness(d))
        prog = program.get(harness(d), harness(d))
        seen.setdefault(prog, {}).setdefault(key(d), set()).add(d["workload"])
    for prog, engines in seen.items():
        want = set(chosen.get(prog, WORKLOADS))
        for engine, got in sorted(engines.items()):
            missing = sorted(want - got, key=WORKLOADS.index)
            if missing:
                errors.append("%s: %s has no line for %s" % (prog, engine, ", ".join(missing)))
    for prog in chosen:
        if prog not in seen:
            errors.append("%s: a settings line but no measurement" % prog)
            continue
        for engine in listed.get(prog, []):
            if engine not in seen[prog]:
                errors.append("%s: engine %s is in the settings but has no line" % (prog, engine))
    for s in required:
        if s not in suites:
            errors.append("no line of suite %r" % s)
    for h in required_h:
        if h not in harnesses:
            errors.append("no measurement from the %r harness" % h)
    if not lines:
        errors.append("%s is empty" % path)
    for e in errors:
        print("report.py check: " + e, file=sys.stderr)
    if errors:
        sys.exit(1)
    count = sum(1 for _, d, _ in lines if isinstance(d, dict) and is_measurement(d))
    pcount = sum(1 for _, d, _ in lines if isinstance(d, dict) and is_pager(d))
    ncount = sum(1 for _, d, _ in lines if isinstance(d, dict) and is_native(d))
    mcount = sum(1 for _, d, _ in lines if isinstance(d, dict) and is_mvcc(d))
    print("report.py check: %s: %d lines well formed (%d workload measurements, %d pager "
          "measurements, %d native measurements, %d mvcc measurements; suites: %s)"
          % (path, len(lines), count, pcount, ncount, mcount, ", ".join(sorted(suites))))


# ---- merge -----------------------------------------------------------------

def cmd_merge(args):
    if len(args) < 2:
        sys.exit("usage: report.py merge OUT FILE...")
    out, inputs = args[0], args[1:]
    rows = []
    for p in inputs:
        if os.path.exists(p):
            rows += [d for _, d, _ in load(p) if isinstance(d, dict)]
    sqlite = {d["workload"]: d["ops_per_s"] for d in rows
              if is_measurement(d) and d.get("engine") == "sqlite-plain"
              and harness(d) == "c" and is_number(d.get("ops_per_s"))}
    with open(out, "w", encoding="utf-8") as f:
        for d in rows:
            if (is_measurement(d) and str(d.get("engine", "")).startswith("sqlcipher")
                    and is_number(d.get("ops_per_s")) and d.get("workload") in sqlite):
                d["sqlite_ops_per_s"] = sqlite[d["workload"]]
                d["ratio_to_sqlite"] = round(d["ops_per_s"] / sqlite[d["workload"]], 3)
            f.write(json.dumps(d, separators=(",", ":")) + "\n")


# ---- markdown --------------------------------------------------------------

def fmt_ops(v):
    if not is_number(v):
        return "-"
    if v >= 1e6:
        return "%.2fM" % (v / 1e6)
    if v >= 1e4:
        return "%.0fk" % (v / 1e3)
    if v >= 1e3:
        return "%.1fk" % (v / 1e3)
    return "%.0f" % v


def measurements(rows):
    return [d for d in rows if is_measurement(d)]


def engine_order(ms):
    """Engines in a stable order: C harness first, baselines first in each."""
    seen = []
    for d in ms:
        k = (harness(d), key(d))
        if k not in seen:
            seen.append(k)
    return seen


def label(h, k):
    return k + (" (node)" if h == "node" else "")


def table_by_workload(ms, cell, note_skips=True):
    lines = ["| engine | " + " | ".join(WORKLOADS) + " |",
             "|---|" + "---:|" * len(WORKLOADS)]
    by = {(harness(d), key(d), d["workload"]): d for d in ms}
    for h, k in engine_order(ms):
        cells = []
        for w in WORKLOADS:
            d = by.get((h, k, w))
            if d is None:
                cells.append("")
            elif "skipped" in d:
                cells.append("skipped" if note_skips else "")
            else:
                cells.append(cell(d))
        lines.append("| %s | %s |" % (label(h, k), " | ".join(cells)))
    return lines


def find(ms, engine, workload, layout=None, h="c"):
    for d in ms:
        if (d.get("engine") == engine and d.get("workload") == workload and harness(d) == h
                and (layout is None or d.get("layout") == layout) and "skipped" not in d):
            return d
    return None


def targets(ms):
    """The project's targets, with what was measured."""
    out = ["| target | measured | met |", "|---|---|---|"]

    def overhead(d):
        return 1 - d["ratio_to_baseline"]

    def row(text, d, limit):
        if d is None:
            out.append("| %s | not measured | - |" % text)
            return
        o = overhead(d)
        out.append("| %s | %+.1f%% (ratio %.3f, runs %.3f-%.3f) | %s |"
                   % (text, o * 100, d["ratio_to_baseline"], d.get("ratio_min", 0),
                      d.get("ratio_max", 0), "yes" if o <= limit else "no, by %.1f points"
                      % ((o - limit) * 100)))

    for cipher, cold in (("aegis128l", 0.08), ("aegis256", 0.12), ("aes256gcm", 0.20)):
        row("sealdb-%s hardened, cold overhead <= %d%%" % (cipher, cold * 100),
            find(ms, "sealdb-" + cipher, "cold", "hardened"), cold)
    for cipher in ("aegis128l", "aegis256"):
        for w, limit in (("warm", 0.03), ("bulk", 0.05), ("scan_full", 0.08)):
            row("sealdb-%s hardened, %s overhead <= %d%%" % (cipher, w, limit * 100),
                find(ms, "sealdb-" + cipher, w, "hardened"), limit)
    # peers: sealdb's overhead must be lower than each peer's, per workload
    peers = [(p, h) for p, h in (("sqlite3mc-aegis", "node"), ("turso-aegis256", "node"),
                                 ("sqlcipher", "c")) if find(ms, p, "cold", h=h)]
    mine = ["aegis128l", "aegis256"]
    if peers:
        out += ["", "Overhead against each engine's own plaintext baseline (lower is better); "
                "sealdb in the hardened layout:", "",
                "| workload | " + " | ".join("sealdb-" + c for c in mine) + " | "
                + " | ".join(p for p, _ in peers) + " | sealdb-aegis256 lowest? |",
                "|---|" + "---:|" * (len(mine) + len(peers)) + "---|"]
        for w in WORKLOADS:
            ours = [find(ms, "sealdb-" + c, w, "hardened") for c in mine]
            theirs = [find(ms, p, w, h=h) for p, h in peers]
            cells = ["%+.1f%%" % (overhead(d) * 100) if d else "-" for d in ours + theirs]
            verdict = "-"
            if ours[1] and any(theirs):
                worse = [p for (p, _), d in zip(peers, theirs)
                         if d and overhead(d) <= overhead(ours[1])]
                verdict = "yes" if not worse else "no: " + ", ".join(worse)
            out.append("| %s | %s | %s |" % (w, " | ".join(cells), verdict))
        out.append("")
    out += ["| sealdb throughput over SQLCipher's | measured | met |", "|---|---|---|"]
    for w, factor in (("cold", 3.0), ("scan_full", 1.7)):
        p = find(ms, "sqlcipher", w)
        for c in mine:
            s = find(ms, "sealdb-" + c, w, "hardened")
            if s is None or p is None:
                out.append("| sealdb-%s >= %.1fx on %s | not measured | - |" % (c, factor, w))
                continue
            x = s["ops_per_s"] / p["ops_per_s"]
            out.append("| sealdb-%s >= %.1fx on %s | %.2fx | %s |"
                       % (c, factor, w, x, "yes" if x >= factor else "no"))
    return out


def ciphers_table(rows):
    cs = [d for d in rows if d.get("suite") == "ciphers" and d.get("op") in ("seal", "unseal")]
    if not cs:
        return []
    sizes = sorted({d["page_size"] for d in cs})
    by = {(d["cipher"], d["backend"], d["page_size"], d["op"]): d for d in cs}
    pairs = []
    for d in cs:
        if (d["cipher"], d["backend"]) not in pairs:
            pairs.append((d["cipher"], d["backend"]))
    out = ["| cipher | back end | " + " | ".join("%d B seal / unseal GB/s" % s for s in sizes)
           + " |", "|---|---|" + "---:|" * len(sizes)]
    for c, b in pairs:
        cells = []
        for s in sizes:
            se, un = by.get((c, b, s, "seal")), by.get((c, b, s, "unseal"))
            cells.append("%s / %s" % ("%.2f" % se["gbps"] if se else "-",
                                      "%.2f" % un["gbps"] if un else "-"))
        out.append("| %s | %s | %s |" % (c, b, " | ".join(cells)))
    return out


def pager_table(rows):
    """The native pager's costs against their baselines (suite pager)."""
    ps = [d for d in rows if is_pager(d)]
    if not ps:
        return []
    out = ["| workload | engine | ops/s: median (min-max) | ns/op | baseline | baseline "
           "ops/s | ratio (min-max) | target |",
           "|---|---|---:|---:|---|---:|---:|---|"]
    order = {w: i for i, w in enumerate(PAGER_WORKLOADS)}
    for d in sorted(ps, key=lambda d: (order.get(d["workload"], 99), d["engine"])):
        target = "-"
        if d["workload"] in PAGER_TARGETS:
            least, text = PAGER_TARGETS[d["workload"]]
            target = "%s: %s" % (text, "met" if d["ratio_to_baseline"] >= least else "not met")
        base = d.get("baseline_ops_per_s")
        out.append("| %s | %s | %s (%s-%s) | %.0f | %s | %s | %.3f (%.3f-%.3f) | %s |"
                   % (d["workload"], d["engine"], fmt_ops(d["ops_per_s"]), fmt_ops(d["min"]),
                      fmt_ops(d["max"]), 1e9 / d["ops_per_s"], d.get("baseline", "-"),
                      fmt_ops(base) if is_number(base) else "-", d["ratio_to_baseline"],
                      d.get("ratio_min", 0), d.get("ratio_max", 0), target))
    return out


def native_table(rows):
    """The native engine against SQLite on the same file (suite native)."""
    ns = [d for d in rows if is_native(d)]
    if not ns:
        return []
    out = ["| workload | engine | ops/s: median (min-max) | ns/op | baseline | baseline "
           "ops/s | ratio native/SQLite (min-max) | target |",
           "|---|---|---:|---:|---|---:|---:|---|"]
    order = {w: i for i, w in enumerate(NATIVE_WORKLOADS)}
    for d in sorted(ns, key=lambda d: (order.get(d["workload"], 99), d["engine"])):
        target = "-"
        if d["workload"] in NATIVE_TARGETS:
            least = NATIVE_TARGETS[d["workload"]]
            target = ">= %gx: %s" % (least, "met" if d["ratio_to_baseline"] >= least
                                     else "not met")
        base = d.get("baseline_ops_per_s")
        out.append("| %s | %s | %s (%s-%s) | %.0f | %s | %s | %.3f (%.3f-%.3f) | %s |"
                   % (d["workload"], d["engine"], fmt_ops(d["ops_per_s"]), fmt_ops(d["min"]),
                      fmt_ops(d["max"]), 1e9 / d["ops_per_s"], d.get("baseline", "-"),
                      fmt_ops(base) if is_number(base) else "-", d["ratio_to_baseline"],
                      d.get("ratio_min", 0), d.get("ratio_max", 0), target))
    return out


def mvcc_table(rows):
    """Concurrent writers against SQLite in WAL mode (suite mvcc)."""
    ms = [d for d in rows if is_mvcc(d)]
    if not ms:
        return []
    out = ["| workload | sync | threads | engine | commits/s: median (min-max) | baseline "
           "| baseline commits/s | ratio native/baseline (min-max) | conflict rate "
           "| baseline conflict rate | avg group | WAL syncs/commit | target |",
           "|---|---|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    engines = []
    for d in ms:
        if d["engine"] not in engines:
            engines.append(d["engine"])

    def order(d):
        # SQLite's line (the targets' baseline) before Turso's
        return (engines.index(d["engine"]), MVCC_WORKLOADS.index(d["workload"]),
                MVCC_SYNCS.index(d["sync"]), d["threads"],
                not d.get("baseline", "").startswith("sqlite"))
    for d in sorted(ms, key=order):
        targets = []
        sqlite = d.get("baseline", "sqlite").startswith("sqlite")
        if sqlite and d["threads"] == MVCC_TARGET_THREADS:
            least = MVCC_TARGETS[d["sync"]]
            targets.append(">= %gx: %s" % (least, "met" if d["ratio_to_baseline"] >= least
                                           else "not met"))
        if sqlite and d["workload"] == "disjoint":
            targets.append("conflicts < %g%%: %s"
                           % (MVCC_TARGET_CONFLICT_RATE * 100,
                              "met" if d["conflict_rate"] < MVCC_TARGET_CONFLICT_RATE
                              else "not met"))
        base = d.get("baseline_ops_per_s")
        group = d.get("avg_group")
        syncs = d.get("wal_syncs_per_commit")
        bconf = d.get("baseline_conflict_rate")
        out.append("| %s | %s | %d | %s | %s (%s-%s) | %s | %s | %.3f (%.3f-%.3f) | %.2f%% | %s "
                   "| %s | %s | %s |"
                   % (d["workload"], d["sync"], d["threads"], d["engine"],
                      fmt_ops(d["ops_per_s"]), fmt_ops(d["min"]), fmt_ops(d["max"]),
                      d.get("baseline", "-"), fmt_ops(base) if is_number(base) else "-",
                      d["ratio_to_baseline"], d.get("ratio_min", 0), d.get("ratio_max", 0),
                      d["conflict_rate"] * 100,
                      "%.2f%%" % (bconf * 100) if is_number(bconf) and not sqlite else "-",
                      "%.2f" % group if is_number(group) else "-",
                      "%.3f" % syncs if is_number(syncs) else "-",
                      "; ".join(targets) or "-"))
    return out


def cmd_markdown(args):
    if len(args) != 2:
        sys.exit("usage: report.py markdown FILE TITLE")
    rows = [d for _, d, _ in load(args[0]) if isinstance(d, dict)]
    ms = measurements(rows)
    out = ["# %s" % args[1], ""]
    settings = [d for d in rows if d.get("op") == "settings"]
    if settings:
        out += ["## Settings", ""]
        for d in settings:
            out.append("- `%s`: " % d.get("program", d.get("suite"))
                       + ", ".join("%s=%s" % (k, json.dumps(v)) for k, v in d.items()
                                   if k not in ("suite", "op", "program")))
        out.append("")
    if ms:
        out += ["## Ratio to the baseline in the same run (median over runs; >1 is faster)",
                "",
                "Baselines: C engines against sqlite-plain (SQLCipher against sqlcipher-plain), "
                "Node engines against their harness's plaintext engine.", ""]
        out += table_by_workload(ms, lambda d: "%.3f" % d["ratio_to_baseline"])
        out += ["", "## Throughput, operations per second: median (min-max)", ""]
        out += table_by_workload(ms, lambda d: "%s (%s-%s)" % (fmt_ops(d["ops_per_s"]),
                                                                 fmt_ops(d["min"]),
                                                                 fmt_ops(d["max"])))
        base = {(harness(d), d["engine"], d["workload"]): d["ops_per_s"] for d in ms
                if "skipped" not in d}

        def extra_us(d):
            b = base.get((harness(d), d.get("baseline"), d["workload"]))
            return "%+.2f" % ((1 / d["ops_per_s"] - 1 / b) * 1e6) if b else "-"
        out += ["", "## Extra time per operation against the baseline, microseconds "
                "(1/ops - 1/baseline ops, medians; per row for bulk and scans)", ""]
        out += table_by_workload(ms, extra_us)
        out += ["", "## Peak memory of the process that ran the workload, MiB", ""]
        out += table_by_workload(ms, lambda d: "%.1f" % (d["peak_mem_kb"] / 1024)
                                 if is_number(d.get("peak_mem_kb")) else "-", False)
        sizes = {}
        for d in ms:
            if d.get("workload") == "bulk" and is_number(d.get("file_bytes")):
                sizes[label(harness(d), key(d))] = d["file_bytes"]
        if sizes:
            out += ["", "## Database file after the bulk load", "",
                    "| engine | bytes | MiB |", "|---|---:|---:|"]
            out += ["| %s | %d | %.1f |" % (k, v, v / 1048576) for k, v in sizes.items()]
        sc = [d for d in ms if "ratio_to_sqlite" in d]
        if sc:
            out += ["", "## SQLCipher against plain SQLite of the same bench/run (context only: "
                    "SQLite 3.15.2 against the distribution's, separate processes)", ""]
            out += table_by_workload(sc, lambda d: "%.3f" % d["ratio_to_sqlite"])
        skips = {(d["workload"], d["skipped"]) for d in ms if "skipped" in d}
        if skips:
            out += ["", "Skipped: " + "; ".join("%s: %s" % s for s in sorted(skips))]
        out += ["", "## Targets", ""] + targets(ms)
    ct = ciphers_table(rows)
    if ct:
        out += ["", "## Cipher throughput (sealdb bench ciphers), GB/s, median", ""] + ct
    pt = pager_table(rows)
    if pt:
        out += ["", "## Native pager (bench_pager): costs against their parts, same run", "",
                "hit: pager_get + pager_put of a cached page against a hash-table lookup; "
                "miss: a 16-page cache over a larger file against pread + unseal_page; "
                "commit_K_MODE: commits of K pages at each durability mode, sealed against "
                "the plain pager. Ratio: engine/baseline ops (>1 faster).", ""] + pt
    nt = native_table(rows)
    if nt:
        out += ["", "## Native engine (bench_native) against SQLite on the same file, same run",
                "",
                "lookup: sealdb_get by random rowid against a prepared SELECT by rowid; "
                "scan_rowid and scan_index: rows per second of range scans through a rowid "
                "cursor or the index on a, every column read, against SELECT ... BETWEEN; "
                "bulk: rows per second of one transaction of inserts into a fresh file at "
                "durability FULL. Warm caches; plain files against stock SQLite, sealed ones "
                "against SQLite through the sealdb VFS. Ratio: native/SQLite ops (>1 faster).",
                ""] + nt
    mt = mvcc_table(rows)
    if mt:
        out += ["", "## Concurrent writers (bench_mvcc) against SQLite in WAL mode (and Turso's "
                "BEGIN CONCURRENT where measured), same run",
                "",
                "Commits per second of N threads each committing one-row read-modify-write "
                "transactions for a fixed time: the native engine's concurrent transactions "
                "(sealdb_run, one shared handle, group commit) against SQLite with a "
                "connection per thread and BEGIN IMMEDIATE, each on its own copy of the same "
                "rows. Where measured, a second line per configuration has Turso Database's "
                "BEGIN CONCURRENT (MVCC journal mode, a connection per worker thread in one "
                "Node process) as the baseline, on a file of its own. disjoint: every thread "
                "its own key range; hot10: one transaction in ten on a shared hot set. Ratio: "
                "native/baseline commits (>1 faster); conflict rate: conflicts / (commits + "
                "conflicts), the native side's and Turso's; avg group: transactions per WAL "
                "append; WAL syncs per native commit. The targets are against SQLite.",
                ""] + mt
    print("\n".join(out))


# ---- plot data -------------------------------------------------------------

def cmd_plotdata(args):
    if len(args) != 2:
        sys.exit("usage: report.py plotdata FILE DIR")
    rows = [d for _, d, _ in load(args[0]) if isinstance(d, dict)]
    ms = [d for d in measurements(rows) if "skipped" not in d]
    engines = [(h, k) for h, k in engine_order(ms)
               if k.split("/")[0] not in BASELINES]
    by = {(harness(d), key(d), d["workload"]): d["ratio_to_baseline"] for d in ms}
    workloads = [w for w in WORKLOADS if any(d["workload"] == w for d in ms)]
    with open(os.path.join(args[1], "overhead.dat"), "w", encoding="utf-8") as f:
        f.write("workload " + " ".join('"%s"' % label(h, k) for h, k in engines) + "\n")
        for w in workloads:
            f.write(w + " " + " ".join("%.4f" % by[(h, k, w)] if (h, k, w) in by else "NaN"
                                       for h, k in engines) + "\n")
    # cipher throughput: unseal GB/s per page size, the back end AUTO picks
    # (from the workloads settings line) or else the fastest
    auto = {}
    for d in rows:
        if d.get("op") == "settings" and isinstance(d.get("backends"), dict):
            auto = d["backends"]
    cs = [d for d in rows if d.get("suite") == "ciphers" and d.get("op") == "unseal"]
    best = {}
    for d in cs:
        name = d["cipher"]
        if name in auto and d["backend"] != auto[name]:
            continue
        k = (name, d["page_size"])
        if k not in best or d["gbps"] > best[k]:
            best[k] = d["gbps"]
    ciphers = []
    for name, _ in best:
        if name not in ciphers:
            ciphers.append(name)
    sizes = sorted({s for _, s in best})
    with open(os.path.join(args[1], "ciphers.dat"), "w", encoding="utf-8") as f:
        f.write("page_size " + " ".join('"%s"' % c for c in ciphers) + "\n")
        for s in sizes:
            f.write("%d " % s + " ".join("%.3f" % best[(c, s)] if (c, s) in best else "NaN"
                                         for c in ciphers) + "\n")
    print("n_engines=%d; n_workloads=%d; n_ciphers=%d"
          % (len(engines), len(workloads), len(ciphers)))


def main():
    cmds = {"check": cmd_check, "merge": cmd_merge, "markdown": cmd_markdown,
            "plotdata": cmd_plotdata}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
