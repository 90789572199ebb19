/*
 * bench_mvcc_main.c - the concurrent-writer benchmark as a program of its own.
 */
#include "bench_mvcc.h"

int main(int argc, char **argv)
{
    return bench_mvcc_main(argc, argv);
}
