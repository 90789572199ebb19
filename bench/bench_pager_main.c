/*
 * bench_pager_main.c - the pager benchmark as a program of its own.
 */
#include "bench_pager.h"

int main(int argc, char **argv)
{
    return bench_pager_main(argc, argv);
}
