/*
 * sealdb.c - the sealdb command-line tool.
 *
 * Subcommands are dispatched from one table; each one answers --help. The
 * tool uses only the public header (and the benchmark entry points in bench/).
 */
#include <stdio.h>
#include <string.h>

#include "../bench/bench_ciphers.h"
#include "../bench/bench_sql.h"
#include "sealdb.h"

static int cmd_version(int argc, char **argv);
static int cmd_bench(int argc, char **argv);

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"version", cmd_version, "print the library version"},
    {"bench", cmd_bench, "run a benchmark suite: sealdb bench ciphers|sql [--json] [--quick] ..."},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: sealdb [--version] <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(out, "\nRun 'sealdb <command> --help' for a command's options.\n");
}

static int cmd_version(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--help") == 0) {
        printf("usage: sealdb version\nPrints the version of the sealdb library in use.\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "sealdb version: unexpected argument '%s'\n", argv[1]);
        return 2;
    }
    printf("sealdb %s\n", sealdb_version());
    return 0;
}

static int cmd_bench(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *out = argc < 2 ? stderr : stdout;
        fprintf(out, "usage: sealdb bench <suite> [options]\n\nsuites:\n"
                     "  ciphers    seal/unseal throughput of every cipher and back end\n"
                     "  sql        SQL on sealed databases against plain SQLite\n\n"
                     "Run 'sealdb bench <suite> --help' for a suite's options.\n");
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "ciphers") == 0) {
        return bench_ciphers_main(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "sql") == 0) {
        return bench_sql_main(argc - 1, argv + 1);
    }
    fprintf(stderr, "sealdb bench: unknown suite '%s'; expected: ciphers, sql\n", argv[1]);
    return 2;
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
    fprintf(stderr, "sealdb: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
