/*
 * bench_sql_main.c - the SQL benchmark as a program of its own.
 */
#include "bench_sql.h"

int main(int argc, char **argv)
{
    return bench_sql_main(argc, argv);
}
