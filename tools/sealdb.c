/*
 * sealdb.c - the sealdb command-line tool: the table of subcommands, and
 * the version and bench subcommands.
 *
 * Subcommands are dispatched from one table; each one answers --help with a
 * man page and reports bad input as one line on stderr (tool.h). The tool
 * uses only the public header (and the benchmark entry points in bench/).
 */
#include <stdio.h>
#include <string.h>

#include "../bench/bench_ciphers.h"
#include "../bench/bench_sql.h"
#include "../bench/bench_workloads.h"
#include "tool.h"

static int cmd_version(int argc, char **argv);
static int cmd_bench(int argc, char **argv);

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"keygen", cmd_keygen, "write a fresh random key to a new key file"},
    {"info", cmd_info, "show what a database file is, and with its key what it holds"},
    {"verify", cmd_verify, "check that every page and WAL frame authenticates"},
    {"sql", cmd_sql, "run SQL on a sealed database (statements or a shell)"},
    {"rekey", cmd_rekey, "change the key, cipher or layout of a sealed database"},
    {"encrypt", cmd_encrypt, "turn a plain SQLite database into a sealed one"},
    {"decrypt", cmd_decrypt, "turn a sealed database into a plain SQLite one"},
    {"backup", cmd_backup, "write a sealed, compressed snapshot of a database"},
    {"backup-verify", cmd_backup_verify, "check that every chunk of a backup authenticates"},
    {"restore", cmd_restore, "restore a backup into a new sealed database"},
    {"keyslot", cmd_keyslot, "list, add or remove key slots"},
    {"version", cmd_version, "print the library version"},
    {"bench", cmd_bench, "run a benchmark suite (sealdb bench --help lists them)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: sealdb [--version] <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(out, "\nRun 'sealdb <command> --help' for a command's manual.\n");
}

/* ---- version --------------------------------------------------------------------------------- */

static const tool_help version_help = {
    .name = "version - print the version of the sealdb library in use",
    .synopsis = "version\n--version",
    .description = "Prints \"sealdb MAJOR.MINOR.PATCH\": the version of the library actually\n"
                   "loaded, which may differ from the one the tool was built against.",
    .exit_status = "0   success\n"
                   "2   bad usage (an unexpected argument)",
    .examples = "sealdb version",
};

static int cmd_version(int argc, char **argv)
{
    const tool_cmd cmd = {"version", &version_help, NULL, {NULL}, NULL, 0, 0};
    const char *pos[argc + 1];
    int npos;
    const int rc = tool_parse(&cmd, argc, argv, pos, &npos);
    if (rc != TOOL_PARSED) {
        return rc;
    }
    printf("sealdb %s\n", sealdb_version());
    return 0;
}

/* ---- bench ------------------------------------------------------------------------------------
 */

/* The benchmark suites; a new suite is one more line. */
static const command bench_suites[] = {
    {"ciphers", bench_ciphers_main, "seal/unseal throughput of every cipher and back end"},
    {"sql", bench_sql_main, "SQL on sealed databases against plain SQLite"},
    {"workloads", bench_workloads_main,
     "the workload suite: bulk load, lookups, scans and writes against plain SQLite"},
};

static int cmd_bench(int argc, char **argv)
{
    const size_t nsuites = sizeof bench_suites / sizeof bench_suites[0];
    char names[256] = "", suites[1024] = "";
    for (size_t i = 0; i < nsuites; i++) {
        size_t n = strlen(names);
        snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "", bench_suites[i].name);
        n = strlen(suites);
        snprintf(suites + n, sizeof suites - n, "    %-10s %s\n", bench_suites[i].name,
                 bench_suites[i].summary);
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        char description[1400];
        snprintf(description, sizeof description,
                 "Runs one benchmark suite and prints its results. The suites:\n%s"
                 "Each suite has its own options: 'sealdb bench SUITE --help'.",
                 suites);
        const tool_help help = {
            .name = "bench - run a benchmark suite",
            .synopsis = "bench SUITE [suite options]",
            .description = description,
            .exit_status = "0   success\n"
                           "1   the benchmark failed\n"
                           "2   bad usage (an unknown suite or option)",
            .examples = "sealdb bench ciphers --quick\n"
                        "sealdb bench sql --json",
        };
        tool_help_print(&help, stdout);
        return 0;
    }
    for (size_t i = 0; argc >= 2 && i < nsuites; i++) {
        if (strcmp(argv[1], bench_suites[i].name) == 0) {
            return bench_suites[i].run(argc - 1, argv + 1);
        }
    }
    if (argc < 2) {
        return tool_fail("bench", 2, "missing the suite: %s; see 'sealdb bench --help'", names);
    }
    return tool_fail("bench", 2, "unknown suite '%s'; expected: %s", argv[1], names);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        return cmd_version(1, argv + 1);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "sealdb: unknown command '%s'; run 'sealdb --help' for the list\n", argv[1]);
    return 2;
}
