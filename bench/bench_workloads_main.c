/*
 * bench_workloads_main.c - the workload benchmark as a program of its own.
 */
#include "bench_workloads.h"

int main(int argc, char **argv)
{
    return bench_workloads_main(argc, argv);
}
