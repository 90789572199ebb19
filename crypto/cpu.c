/*
 * cpu.c - which AES instructions the running CPU and OS allow.
 *
 * An instruction set counts only if the CPU reports it and the OS saves the
 * register state it uses (XCR0), so a hypervisor that hides AVX state is
 * handled. Detection runs once; the result never changes afterwards.
 */
#include <pthread.h>

#include "crypto.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static unsigned long long read_xcr0(void)
{
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

static unsigned detect(void)
{
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) {
        return 0;
    }
    const int aes = (c >> 25) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!osxsave) {
        return 0;
    }
    const unsigned long long xcr0 = read_xcr0();
    const int ymm_state = (xcr0 & 0x6) == 0x6;
    const int zmm_state = (xcr0 & 0xe6) == 0xe6;
    unsigned features = 0;
    if (aes && avx && ymm_state) {
        features |= CPU_AESNI;
    }
    if (__get_cpuid_max(0, 0) < 7) {
        return features;
    }
    __cpuid_count(7, 0, a, b, c, d);
    const int avx2 = (b >> 5) & 1, avx512f = (b >> 16) & 1, avx512vl = (b >> 31) & 1;
    const int vaes = (c >> 9) & 1;
    if ((features & CPU_AESNI) && avx512f && avx512vl && zmm_state) {
        features |= CPU_AVX512VL;
    }
    if ((features & CPU_AESNI) && vaes && avx2) {
        features |= CPU_VAES256;
        if (avx512f && zmm_state) {
            features |= CPU_VAES512;
        }
    }
    return features;
}
#else
static unsigned detect(void)
{
    return 0;
}
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static unsigned detected;

static void run_detect(void)
{
    detected = detect();
}

unsigned cpu_features(void)
{
    pthread_once(&once, run_detect);
    return detected;
}
