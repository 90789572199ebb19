/*
 * workloads.h - the workload benchmark ("bench/run --suite workloads"): one
 * schema, one data set and nine workloads, run on several engines that all
 * speak the sqlite3 C API, against a baseline engine measured in the same
 * process and run.
 *
 * The code uses the plain sqlite3 API only, so it is compiled twice: against
 * Debian's libsqlite3 with libsealdb (bench_workloads: plain SQLite and
 * sealdb) and against SQLCipher's header and library (bench_sqlcipher:
 * SQLCipher with and without a key). The two cannot share a process, since
 * both libraries export the sqlite3_* symbols.
 *
 * Workloads (output names; settings and method at the top of workloads.c):
 *   bulk, warm, cold, cold_os, scan_full, scan_range, write_normal,
 *   write_full, mix
 *
 * Options of a program built on wl_main (a value may not use '='):
 *   --quick          small data, one run, every engine (the CI smoke test)
 *   --json           JSON lines on stdout instead of a table
 *   --runs N         runs per engine and workload (default 5, --quick 1)
 *   --rows N         rows loaded by bulk (default 1000000, --quick 20000)
 *   --lookups N      point lookups per run of warm and cold (default 200000)
 *   --engines LIST   comma list of engine names ("sealdb-aegis256") or
 *                    name/layout ("sealdb-aegis256/turso"); the baseline
 *                    always runs
 *   --all            every engine the program knows
 *   --workloads LIST comma list of workload names (bulk always runs: it
 *                    makes the database the others use)
 *   --dir DIR        where the scratch databases go (default $TMPDIR or /tmp)
 *   --help           this text
 *
 * Output with --json: a settings object first, then one object per engine
 * and workload, in the order of wl_workload_names:
 *   {"suite":"workloads","harness":"c","engine":"sealdb-aegis128l",
 *    "layout":"hardened","workload":"cold","ops_per_s":151234,"runs":5,
 *    "min":140000,"max":160000,"ratio_to_baseline":0.951,"ratio_min":0.93,
 *    "ratio_max":0.97,"baseline":"sqlite-plain","peak_mem_kb":9876,
 *    "sqlite_heap_kb":2345,"file_bytes":117211136,"rows":1000000}
 * or, for a workload this machine cannot run (cold_os without a way to drop
 * the page cache), {"suite":"workloads",...,"workload":"cold_os",
 * "skipped":"<why>"}.
 *
 * Exit status: 0; 1 if a run fails (an engine cannot open, a query fails,
 * a check on the data fails); 2 for a bad command line.
 */
#ifndef SEALDB_BENCH_WORKLOADS_H
#define SEALDB_BENCH_WORKLOADS_H

#include <sqlite3.h>

/* One engine: how to open a database, and what it is. */
typedef struct wl_engine {
    const char *name;   /* "sqlite-plain", "sealdb-aegis256", "sqlcipher" */
    const char *layout; /* "hardened", "turso", or NULL when not sealdb */
    int encrypted;      /* 1: the file must not contain the rows' text */
    int baseline;       /* 1 for the engine every ratio is taken against */
    int in_default;     /* 1: measured by a full run without --engines/--all */
    /* Opens (creating if absent) the database at path with the engine's key
     * and key pragmas applied, before any other pragma; on failure prints
     * why to stderr and returns NULL. */
    sqlite3 *(*open)(const struct wl_engine *e, const char *path);
    const void *ctx; /* the engine's own data for open */
} wl_engine;

/* What a program adds to the shared driver. */
typedef struct wl_program {
    const char *name; /* program name for messages: "bench_workloads" */
    const wl_engine *engines;
    int n_engines;
    /* JSON members (",\"key\":value..." or "") added to the settings line,
     * e.g. library versions and engine-specific pragmas. */
    const char *settings_json;
    const char *settings_text; /* the same for the table header, one line */
} wl_program;

/* The workload names, in output order, and their count. */
extern const char *const wl_workload_names[];
#define WL_NUM_WORKLOADS 9

/* Runs the benchmark for a program: parses argv (options above), runs every
 * chosen engine and workload, prints the results. Returns the exit status. */
int wl_main(int argc, char **argv, const wl_program *prog);

/* Executes each ';'-separated statement of sql on db; on failure prints
 * "<what>: <SQLite's message>" to stderr and returns -1, else 0. */
int wl_exec(sqlite3 *db, const char *sql, const char *what);

/* The fixed benchmark key (scratch data only): n bytes into key, and its
 * lowercase hex into hex (2n + 1 bytes). */
void wl_bench_key(unsigned char *key, char *hex, int n);

#endif /* SEALDB_BENCH_WORKLOADS_H */
