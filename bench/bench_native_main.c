/*
 * bench_native_main.c - the native engine benchmark as a program of its own.
 */
#include "bench_native.h"

int main(int argc, char **argv)
{
    return bench_native_main(argc, argv);
}
