/*
 * bench_ciphers.c - times page sealing and unsealing for every cipher and
 * back end, next to memcpy and raw OpenSSL AES-GCM (options and output are
 * described in bench_ciphers.h).
 *
 * Method. Each figure is one (cipher, back end, page size, op). A warm-up
 * runs the op in doubling batches until one batch takes a quarter of the run
 * length; its rate fixes, once, the iteration count of a run (~100 ms, or
 * ~20 ms with --quick). Then `runs` runs of exactly that count are timed
 * with CLOCK_MONOTONIC, and the median, slowest and fastest runs are kept.
 * Calibrating by time keeps slow back ends (portable C, ~0.1 GB/s) inside
 * the same budget as fast ones.
 *
 * What is timed is the cipher alone:
 * - Seal bumps the first 8 bytes of a nonce buffer (a counter) per page
 *   instead of drawing a fresh random nonce, so no call to the OS random
 *   source is measured. Nonces still never repeat within a key.
 * - Unseal opens one sealed page (fixed nonce and tag) over and over, and
 *   every call must return SEALDB_OK; any other result stops the benchmark
 *   with an error, and before timing the opened page is compared with the
 *   original.
 * - Buffers are distinct (never in place), 64-byte aligned and filled with
 *   random bytes from sealdb_random_bytes.
 * A volatile sink takes a byte of each run's output, and memcpy is called
 * through a volatile function pointer, so the compiler cannot drop the work.
 *
 * Invariants: keys are random, live on the stack only until the cipher (or
 * OpenSSL context) holding its own copy is made, are wiped then and are
 * never printed; every cipher object and OpenSSL context is freed on every
 * path.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sealdb.h>

#include "bench_ciphers.h"

#define PREFIX "bench ciphers"
#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define MAX_PAGE_BYTES (64ull << 20)
#define MAX_AD_BYTES (64ull << 20)
#define MAX_PAGE_SIZES 32
#define MAX_RUNS 1000
#define DEFAULT_RUNS 7
#define QUICK_RUNS 3
#define RUN_NS (100ull * 1000000)
#define QUICK_RUN_NS (20ull * 1000000)
#define BUF_ALIGN 64
#define NUM_BACKENDS 5 /* SEALDB_BACKEND_AUTO .. SEALDB_BACKEND_OPENSSL */
/* Per page size: each cipher on at most four back ends, plus three baselines. */
#define MAX_ROWS (SEALDB_CIPHER_MAX * 4 + 3)

static const size_t default_page_sizes[] = {4096, 8192, 16384, 65536};

/* Ciphers in the order they are measured and listed when none is chosen. */
static const sealdb_cipher_id default_ciphers[] = {
    SEALDB_AEGIS128L,  SEALDB_AEGIS128X2, SEALDB_AEGIS128X4, SEALDB_AEGIS256,
    SEALDB_AEGIS256X2, SEALDB_AEGIS256X4, SEALDB_AES128GCM,  SEALDB_AES256GCM,
};

/* Concrete back ends in the order their rows appear. AUTO is handled apart. */
static const sealdb_backend concrete_backends[] = {
    SEALDB_BACKEND_PORTABLE,
    SEALDB_BACKEND_AESNI,
    SEALDB_BACKEND_VAES,
    SEALDB_BACKEND_OPENSSL,
};

typedef struct settings {
    sealdb_cipher_id ciphers[SEALDB_CIPHER_MAX];
    size_t n_ciphers;
    unsigned backends; /* bit (1u << backend) per chosen back end; 0 = all */
    size_t page_sizes[MAX_PAGE_SIZES];
    size_t n_page_sizes;
    size_t ad_len;
    int runs; /* 0 until set by --runs */
    int quick;
    int json;
    int help;
    uint64_t run_ns;
} settings;

typedef enum bench_op { OP_SEAL = 0, OP_UNSEAL = 1, OP_COPY = 2, NUM_OPS = 3 } bench_op;

static const char *const op_names[NUM_OPS] = {"seal", "unseal", "copy"};

typedef enum engine { ENGINE_SEALDB, ENGINE_EVP, ENGINE_MEMCPY } engine;

/* One op being timed on one page size. */
typedef struct job {
    engine engine;
    bench_op op;
    sealdb_cipher *cipher; /* ENGINE_SEALDB */
    EVP_CIPHER_CTX *evp;   /* ENGINE_EVP: keyed for the direction of op */
    size_t page_size;
    const uint8_t *in; /* plaintext (seal, copy) or sealed page (unseal) */
    uint8_t *out;
    const uint8_t *ad;
    size_t ad_len;
    uint64_t counter; /* seal: copied into the first 8 nonce bytes per page */
    uint8_t nonce[SEALDB_MAX_NONCE_BYTES];
    uint8_t tag[SEALDB_TAG_BYTES]; /* seal: the latest tag; unseal: the sealed page's tag */
} job;

/* The figures of one measurement, in GB/s (1e9 bytes per second). */
typedef struct result {
    double median;
    double min; /* slowest run */
    double max; /* fastest run */
    double ns_per_page;
    int runs;
} result;

/* One line of a table: a cipher (or baseline) on one back end. */
typedef struct row {
    const char *cipher;  /* static name */
    const char *backend; /* static name */
    int key_bits;        /* 128 or 256: which openssl baseline it is compared with */
    int has[NUM_OPS];
    result res[NUM_OPS];
} row;

typedef struct buffers {
    uint8_t *plain;  /* random page contents */
    uint8_t *sealed; /* a sealed page, for unseal */
    uint8_t *out;    /* what each op writes */
    uint8_t *ad;     /* random associated data, NULL when ad_len is 0 */
} buffers;

/* ---- small helpers ---------------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Wipes n bytes through a volatile pointer, so the stores are kept. */
static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--) {
        *v++ = 0;
    }
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "bench ciphers: <message>" and a hint on stderr; returns EXIT_USAGE. */
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", PREFIX);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n%s: run with --help for the options\n", PREFIX);
    va_end(ap);
    return EXIT_USAGE;
}

/* Parses a plain decimal number in [lo, hi] (no sign, no spaces). */
static int parse_number(const char *text, unsigned long long lo, unsigned long long hi,
                        unsigned long long *out)
{
    if (!*text) {
        return -1;
    }
    for (const char *p = text; *p; p++) {
        if (!isdigit((unsigned char)*p)) {
            return -1;
        }
    }
    errno = 0;
    char *end = NULL;
    const unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}

/* The sealdb cipher's key size in bits as the baseline sees it: 128 or 256. */
static int key_bits_of(sealdb_cipher_id id)
{
    return sealdb_cipher_key_bytes(id) == 16 ? 128 : 256;
}

/* ---- command line ------------------------------------------------------------- */

static const char usage_text[] =
    "usage: bench ciphers [options]\n"
    "Times page seal/unseal for each cipher and back end, with memcpy and raw\n"
    "OpenSSL AES-GCM as baselines.\n"
    "\n"
    "  --cipher NAME    cipher to measure, repeatable or comma list (default: all):\n"
    "                   aegis128l, aegis128x2, aegis128x4, aegis256, aegis256x2,\n"
    "                   aegis256x4, aes128gcm, aes256gcm\n"
    "  --backend NAME   portable|aesni|vaes|openssl|auto, repeatable or comma list\n"
    "                   (default: every back end that can run each cipher here;\n"
    "                   auto: only what AUTO picks, shown under its real name)\n"
    "  --page-size N    page size in bytes, 1..67108864, repeatable or comma list\n"
    "                   (default: 4096,8192,16384,65536)\n"
    "  --ad N           bytes of associated data per page, 0..67108864 (default 0)\n"
    "  --runs N         timed runs per figure, 1..1000 (default 7)\n"
    "  --quick          3 runs of ~20 ms instead of 7 of ~100 ms (--runs wins)\n"
    "  --json           one JSON object per line, nothing else\n"
    "  --help           this text\n"
    "\n"
    "GB/s is 1e9 page bytes per second (median run); JSON min/max are the\n"
    "slowest and fastest runs. Exit status: 0 ok, 1 a cipher failed, 2 bad usage.\n";

typedef int (*item_fn)(settings *s, const char *option, const char *item);

static int add_cipher(settings *s, const char *option, const char *item)
{
    sealdb_cipher_id id;
    sealdb_error err;
    if (sealdb_cipher_lookup(item, &id, &err) != SEALDB_OK) {
        return usage_error("bad %s '%s': %s", option, item, err.message);
    }
    for (size_t i = 0; i < s->n_ciphers; i++) {
        if (s->ciphers[i] == id) {
            return 0;
        }
    }
    s->ciphers[s->n_ciphers++] = id; /* at most 8 distinct ids */
    return 0;
}

static int add_backend(settings *s, const char *option, const char *item)
{
    for (int b = 0; b < NUM_BACKENDS; b++) {
        const char *name = sealdb_backend_name((sealdb_backend)b);
        if (name && strcmp(item, name) == 0) {
            s->backends |= 1u << b;
            return 0;
        }
    }
    return usage_error("bad %s '%s': expected portable, aesni, vaes, openssl or auto", option,
                       item);
}

static int add_page_size(settings *s, const char *option, const char *item)
{
    unsigned long long v;
    if (parse_number(item, 1, MAX_PAGE_BYTES, &v) != 0) {
        return usage_error("bad %s '%s': expected a whole number of bytes from 1 to %llu", option,
                           item, MAX_PAGE_BYTES);
    }
    for (size_t i = 0; i < s->n_page_sizes; i++) {
        if (s->page_sizes[i] == (size_t)v) {
            return 0;
        }
    }
    if (s->n_page_sizes == MAX_PAGE_SIZES) {
        return usage_error("too many page sizes at %s '%s': at most %d", option, item,
                           MAX_PAGE_SIZES);
    }
    s->page_sizes[s->n_page_sizes++] = (size_t)v;
    return 0;
}

/* Calls fn on each item of a comma-separated list; empty items are errors. */
static int for_each_item(settings *s, const char *option, const char *list, item_fn fn)
{
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        const size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[64];
        if (len == 0) {
            return usage_error("bad %s '%s': empty item in the list", option, list);
        }
        if (len >= sizeof item) {
            return usage_error("bad %s '%.*s': too long", option, (int)len, p);
        }
        memcpy(item, p, len);
        item[len] = '\0';
        const int rc = fn(s, option, item);
        if (rc != 0 || !comma) {
            return rc;
        }
        p = comma + 1;
    }
}

/* Parses argv[1..] into s; returns 0 or EXIT_USAGE after printing why. */
static int parse_args(int argc, char **argv, settings *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) {
            return usage_error("unexpected argument '%s': options start with --", arg);
        }
        const char *eq = strchr(arg, '=');
        const size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        char name[32];
        if (name_len >= sizeof name) {
            return usage_error("unknown option '%s'", arg);
        }
        memcpy(name, arg, name_len);
        name[name_len] = '\0';

        int *flag = strcmp(name, "--json") == 0    ? &s->json
                    : strcmp(name, "--quick") == 0 ? &s->quick
                    : strcmp(name, "--help") == 0  ? &s->help
                                                   : NULL;
        if (flag) {
            if (eq) {
                return usage_error("option %s takes no value, got '%s'", name, arg);
            }
            *flag = 1;
            continue;
        }

        const char *form = strcmp(name, "--cipher") == 0      ? "--cipher NAME"
                           : strcmp(name, "--backend") == 0   ? "--backend NAME"
                           : strcmp(name, "--page-size") == 0 ? "--page-size N"
                           : strcmp(name, "--ad") == 0        ? "--ad N"
                           : strcmp(name, "--runs") == 0      ? "--runs N"
                                                              : NULL;
        if (!form) {
            return usage_error("unknown option '%s'", arg);
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc) {
                return usage_error("option %s needs a value: %s", name, form);
            }
            value = argv[++i];
        }

        int rc = 0;
        unsigned long long v = 0;
        if (strcmp(name, "--cipher") == 0) {
            rc = for_each_item(s, name, value, add_cipher);
        } else if (strcmp(name, "--backend") == 0) {
            rc = for_each_item(s, name, value, add_backend);
        } else if (strcmp(name, "--page-size") == 0) {
            rc = for_each_item(s, name, value, add_page_size);
        } else if (strcmp(name, "--ad") == 0) {
            if (parse_number(value, 0, MAX_AD_BYTES, &v) != 0) {
                rc = usage_error("bad --ad '%s': expected a whole number of bytes from 0 to %llu",
                                 value, MAX_AD_BYTES);
            }
            s->ad_len = (size_t)v;
        } else {
            if (parse_number(value, 1, MAX_RUNS, &v) != 0) {
                rc = usage_error("bad --runs '%s': expected a whole number from 1 to %d", value,
                                 MAX_RUNS);
            }
            s->runs = (int)v;
        }
        if (rc != 0) {
            return rc;
        }
    }

    if (s->n_ciphers == 0) {
        memcpy(s->ciphers, default_ciphers, sizeof default_ciphers);
        s->n_ciphers = sizeof default_ciphers / sizeof default_ciphers[0];
    }
    if (s->n_page_sizes == 0) {
        for (size_t i = 0; i < sizeof default_page_sizes / sizeof default_page_sizes[0]; i++) {
            s->page_sizes[s->n_page_sizes++] = default_page_sizes[i];
        }
    }
    if (s->runs == 0) {
        s->runs = s->quick ? QUICK_RUNS : DEFAULT_RUNS;
    }
    s->run_ns = s->quick ? QUICK_RUN_NS : RUN_NS;
    return 0;
}

/* ---- the timed work ------------------------------------------------------------ */

/* Next seal nonce: a counter in the first 8 bytes, the rest stays random. */
static void bump_nonce(job *j)
{
    j->counter++;
    memcpy(j->nonce, &j->counter, sizeof j->counter);
}

/* One page through raw OpenSSL, as a caller holding an expanded key would do
 * it: set the IV, feed the data, finish, get or set the tag. */
static int evp_page(job *j, int enc)
{
    uint8_t fin[16]; /* GCM's final step writes nothing */
    int outl = 0;
    if (EVP_CipherInit_ex(j->evp, NULL, NULL, NULL, j->nonce, enc) != 1 ||
        (j->ad_len && EVP_CipherUpdate(j->evp, NULL, &outl, j->ad, (int)j->ad_len) != 1) ||
        EVP_CipherUpdate(j->evp, j->out, &outl, j->in, (int)j->page_size) != 1) {
        return SEALDB_ECRYPTO;
    }
    if (enc) {
        if (EVP_CipherFinal_ex(j->evp, fin, &outl) != 1 ||
            EVP_CIPHER_CTX_ctrl(j->evp, EVP_CTRL_AEAD_GET_TAG, SEALDB_TAG_BYTES, j->tag) != 1) {
            return SEALDB_ECRYPTO;
        }
        return SEALDB_OK;
    }
    if (EVP_CIPHER_CTX_ctrl(j->evp, EVP_CTRL_AEAD_SET_TAG, SEALDB_TAG_BYTES, j->tag) != 1) {
        return SEALDB_ECRYPTO;
    }
    return EVP_CipherFinal_ex(j->evp, fin, &outl) == 1 ? SEALDB_OK : SEALDB_EAUTH;
}

/* Runs the job's op `iters` times. Returns SEALDB_OK or the first failure. */
static int job_run(job *j, uint64_t iters)
{
    int rc = SEALDB_OK;
    if (j->engine == ENGINE_MEMCPY) {
        /* Read through a volatile pointer: the compiler cannot see it is
         * memcpy, so it can neither drop nor shorten the copies. */
        void *(*volatile copy_v)(void *, const void *, size_t) = memcpy;
        void *(*copy)(void *, const void *, size_t) = copy_v;
        for (uint64_t i = 0; i < iters; i++) {
            copy(j->out, j->in, j->page_size);
        }
    } else if (j->engine == ENGINE_SEALDB && j->op == OP_SEAL) {
        for (uint64_t i = 0; i < iters && rc == SEALDB_OK; i++) {
            bump_nonce(j);
            rc = sealdb_cipher_encrypt(j->cipher, j->out, j->tag, j->in, j->page_size, j->ad,
                                       j->ad_len, j->nonce);
        }
    } else if (j->engine == ENGINE_SEALDB) {
        for (uint64_t i = 0; i < iters && rc == SEALDB_OK; i++) {
            rc = sealdb_cipher_decrypt(j->cipher, j->out, j->in, j->page_size, j->tag, j->ad,
                                       j->ad_len, j->nonce);
        }
    } else if (j->op == OP_SEAL) {
        for (uint64_t i = 0; i < iters && rc == SEALDB_OK; i++) {
            bump_nonce(j);
            rc = evp_page(j, 1);
        }
    } else {
        for (uint64_t i = 0; i < iters && rc == SEALDB_OK; i++) {
            rc = evp_page(j, 0);
        }
    }
    return rc;
}

/* Warms up and picks the iteration count of one run of run_ns. */
static int calibrate(job *j, uint64_t run_ns, uint64_t *iters)
{
    for (uint64_t n = 1;; n *= 2) {
        const uint64_t t0 = now_ns();
        const int rc = job_run(j, n);
        const uint64_t dt = now_ns() - t0;
        if (rc != SEALDB_OK) {
            return rc;
        }
        if (dt >= run_ns / 4 || n >= (UINT64_C(1) << 40)) {
            const double per_iter = dt ? (double)dt / (double)n : 1.0;
            const double count = (double)run_ns / per_iter + 0.5;
            *iters = count < 1.0 ? 1 : (uint64_t)count;
            return SEALDB_OK;
        }
    }
}

static int compare_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Warms up, then times s->runs runs of the job. */
static int measure(job *j, const settings *s, result *r)
{
    uint64_t iters = 0;
    int rc = calibrate(j, s->run_ns, &iters);
    if (rc != SEALDB_OK) {
        return rc;
    }
    double gbps[MAX_RUNS];
    volatile uint8_t sink = 0;
    for (int run = 0; run < s->runs; run++) {
        const uint64_t t0 = now_ns();
        rc = job_run(j, iters);
        const uint64_t t1 = now_ns();
        if (rc != SEALDB_OK) {
            return rc;
        }
        sink = (uint8_t)(sink ^ j->out[(size_t)run % j->page_size] ^ j->tag[0]);
        const uint64_t dt = t1 > t0 ? t1 - t0 : 1;
        gbps[run] = (double)iters * (double)j->page_size / (double)dt; /* bytes/ns = GB/s */
    }
    (void)sink;
    qsort(gbps, (size_t)s->runs, sizeof gbps[0], compare_double);
    const int n = s->runs;
    r->runs = n;
    r->min = gbps[0];
    r->max = gbps[n - 1];
    r->median = n % 2 ? gbps[n / 2] : (gbps[n / 2 - 1] + gbps[n / 2]) / 2;
    r->ns_per_page = (double)j->page_size / r->median;
    return SEALDB_OK;
}

/* Reports a failed op on stderr; returns EXIT_FAIL. */
static int op_failed(const row *rw, const char *what, size_t page_size, int rc)
{
    fprintf(stderr, "%s: %s on %s failed to %s a %zu-byte page: %s (code %d)\n", PREFIX, rw->cipher,
            rw->backend, what, page_size, sealdb_strerror(rc), rc);
    return EXIT_FAIL;
}

/* Measures seal and unseal of an AEAD job (sealdb or raw OpenSSL). The
 * unseal figure opens one page sealed here, checked once against the
 * original before timing. evp_dec is the decrypting context for ENGINE_EVP. */
static int bench_aead(job *j, EVP_CIPHER_CTX *evp_dec, const settings *s, const buffers *b, row *rw)
{
    if (sealdb_random_bytes(j->nonce, sizeof j->nonce) != SEALDB_OK) {
        fprintf(stderr, "%s: the OS random source failed\n", PREFIX);
        return EXIT_FAIL;
    }
    memcpy(&j->counter, j->nonce, sizeof j->counter);

    j->op = OP_SEAL;
    j->in = b->plain;
    j->out = b->out;
    int rc = measure(j, s, &rw->res[OP_SEAL]);
    if (rc != SEALDB_OK) {
        return op_failed(rw, "seal", j->page_size, rc);
    }
    rw->has[OP_SEAL] = 1;

    /* Seal one page; its nonce and tag stay in the job for unsealing. */
    j->out = b->sealed;
    rc = job_run(j, 1);
    if (rc != SEALDB_OK) {
        return op_failed(rw, "seal", j->page_size, rc);
    }
    j->op = OP_UNSEAL;
    j->in = b->sealed;
    j->out = b->out;
    if (evp_dec) {
        j->evp = evp_dec;
    }
    rc = job_run(j, 1);
    if (rc != SEALDB_OK) {
        return op_failed(rw, "unseal", j->page_size, rc);
    }
    if (memcmp(b->out, b->plain, j->page_size) != 0) {
        fprintf(stderr, "%s: %s on %s: an unsealed %zu-byte page differs from the original\n",
                PREFIX, rw->cipher, rw->backend, j->page_size);
        return EXIT_FAIL;
    }
    rc = measure(j, s, &rw->res[OP_UNSEAL]);
    if (rc != SEALDB_OK) {
        return op_failed(rw, "unseal", j->page_size, rc);
    }
    rw->has[OP_UNSEAL] = 1;
    return 0;
}

/* Opens a sealdb cipher with a fresh random key. Returns 0, or EXIT_FAIL
 * after saying why. */
static int open_cipher(sealdb_cipher **c, sealdb_cipher_id id, sealdb_backend backend)
{
    uint8_t key[SEALDB_MAX_KEY_BYTES];
    const size_t key_len = sealdb_cipher_key_bytes(id);
    sealdb_error err;
    int rc = sealdb_random_bytes(key, key_len);
    if (rc == SEALDB_OK) {
        rc = sealdb_cipher_open(c, id, backend, key, key_len, &err);
        if (rc != SEALDB_OK) {
            fprintf(stderr, "%s: cannot open %s on %s: %s\n", PREFIX, sealdb_cipher_name(id),
                    sealdb_backend_name(backend), err.message);
        }
    } else {
        fprintf(stderr, "%s: the OS random source failed\n", PREFIX);
    }
    wipe(key, sizeof key);
    return rc == SEALDB_OK ? 0 : EXIT_FAIL;
}

/* Measures one open sealdb cipher into a new row, then closes it. */
static int bench_sealdb(sealdb_cipher *c, const settings *s, const buffers *b, size_t page_size,
                        row *rw)
{
    const sealdb_cipher_id id = sealdb_cipher_id_of(c);
    memset(rw, 0, sizeof *rw);
    rw->cipher = sealdb_cipher_name(id);
    rw->backend = sealdb_backend_name(sealdb_cipher_backend(c));
    rw->key_bits = key_bits_of(id);
    job j = {.engine = ENGINE_SEALDB,
             .cipher = c,
             .page_size = page_size,
             .ad = b->ad,
             .ad_len = s->ad_len};
    const int rc = bench_aead(&j, NULL, s, b, rw);
    sealdb_cipher_close(c);
    return rc;
}

/* Measures AES-GCM through raw EVP calls: the key schedule runs once per
 * context here, and each page only sets its IV. */
static int bench_evp(int key_bits, const settings *s, const buffers *b, size_t page_size, row *rw)
{
    memset(rw, 0, sizeof *rw);
    rw->cipher = key_bits == 128 ? "openssl-aes128gcm" : "openssl-aes256gcm";
    rw->backend = "openssl";
    rw->key_bits = key_bits;
    const EVP_CIPHER *type = key_bits == 128 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
    uint8_t key[32];
    int rc = EXIT_FAIL;
    EVP_CIPHER_CTX *enc = EVP_CIPHER_CTX_new();
    EVP_CIPHER_CTX *dec = EVP_CIPHER_CTX_new();
    if (sealdb_random_bytes(key, sizeof key) != SEALDB_OK) {
        fprintf(stderr, "%s: the OS random source failed\n", PREFIX);
    } else if (!enc || !dec || EVP_CipherInit_ex(enc, type, NULL, key, NULL, 1) != 1 ||
               EVP_CipherInit_ex(dec, type, NULL, key, NULL, 0) != 1) {
        fprintf(stderr, "%s: OpenSSL could not set up %s\n", PREFIX, rw->cipher);
    } else {
        rc = 0;
    }
    wipe(key, sizeof key);
    if (rc == 0) {
        job j = {.engine = ENGINE_EVP,
                 .evp = enc,
                 .page_size = page_size,
                 .ad = b->ad,
                 .ad_len = s->ad_len};
        rc = bench_aead(&j, dec, s, b, rw);
    }
    EVP_CIPHER_CTX_free(enc); /* cleanses the expanded keys */
    EVP_CIPHER_CTX_free(dec);
    return rc;
}

static int bench_memcpy(const settings *s, const buffers *b, size_t page_size, row *rw)
{
    memset(rw, 0, sizeof *rw);
    rw->cipher = "memcpy";
    rw->backend = "libc";
    job j = {.engine = ENGINE_MEMCPY,
             .op = OP_COPY,
             .page_size = page_size,
             .in = b->plain,
             .out = b->out};
    const int rc = measure(&j, s, &rw->res[OP_COPY]);
    if (rc != SEALDB_OK) {
        return op_failed(rw, "copy", page_size, rc);
    }
    rw->has[OP_COPY] = 1;
    return 0;
}

/* ---- output -------------------------------------------------------------------- */

/* The CPU model from /proc/cpuinfo, or "unknown". */
static void cpu_model(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) {
        return;
    }
    char line[256];
    while (fgets(line, sizeof line, f)) {
        const char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || !colon) {
            continue;
        }
        const char *p = colon + 1;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        size_t len = strlen(p);
        while (len && isspace((unsigned char)p[len - 1])) {
            len--;
        }
        if (len) {
            snprintf(buf, cap, "%.*s", (int)len, p);
        }
        break;
    }
    fclose(f);
}

static void print_json_string(const char *str)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        if (*p == '"' || *p == '\\') {
            printf("\\%c", *p);
        } else if (*p < 0x20) {
            printf("\\u%04x", *p);
        } else {
            putchar(*p);
        }
    }
    putchar('"');
}

static void print_header(const settings *s)
{
    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    const unsigned run_ms = (unsigned)(s->run_ns / 1000000);
    if (s->json) {
        printf("{\"suite\":\"ciphers\",\"op\":\"settings\",\"version\":\"%s\",\"cpu\":",
               sealdb_version());
        print_json_string(cpu);
        printf(",\"runs\":%d,\"run_ms\":%u,\"ad\":%zu,\"page_sizes\":[", s->runs, run_ms,
               s->ad_len);
        for (size_t i = 0; i < s->n_page_sizes; i++) {
            printf("%s%zu", i ? "," : "", s->page_sizes[i]);
        }
        printf("]}\n");
        fflush(stdout);
        return;
    }
    printf("sealdb %s cipher benchmark | cpu: %s | %d run%s of ~%u ms per figure, median "
           "shown | ad %zu bytes\n",
           sealdb_version(), cpu, s->runs, s->runs == 1 ? "" : "s", run_ms, s->ad_len);
    printf("GB/s = 1e9 page bytes per second; x vs openssl-gcm = seal/unseal speed over raw "
           "OpenSSL AES-GCM of the same key size\n");
    fflush(stdout);
}

static void print_json_row(const row *rw, size_t page_size)
{
    for (int op = 0; op < NUM_OPS; op++) {
        if (!rw->has[op]) {
            continue;
        }
        const result *r = &rw->res[op];
        printf("{\"suite\":\"ciphers\",\"cipher\":\"%s\",\"backend\":\"%s\",\"page_size\":%zu,"
               "\"op\":\"%s\",\"gbps\":%.3f,\"ns_per_page\":%.1f,\"runs\":%d,\"min\":%.3f,"
               "\"max\":%.3f}\n",
               rw->cipher, rw->backend, page_size, op_names[op], r->median, r->ns_per_page, r->runs,
               r->min, r->max);
    }
    fflush(stdout);
}

/* Writes "seal/unseal" speed ratios of rw over the openssl baseline row. */
static void format_ratio(char *buf, size_t cap, const row *rw, const row *base)
{
    if (!base || !rw->has[OP_SEAL] || !rw->has[OP_UNSEAL]) {
        snprintf(buf, cap, "-");
        return;
    }
    snprintf(buf, cap, "%.2f/%.2f", rw->res[OP_SEAL].median / base->res[OP_SEAL].median,
             rw->res[OP_UNSEAL].median / base->res[OP_UNSEAL].median);
}

static void print_table(const row *rows, size_t n, size_t page_size)
{
    printf("\npage size %zu bytes\n", page_size);
    printf("%-18s %-9s %9s %12s %13s %17s\n", "cipher", "backend", "seal GB/s", "unseal GB/s",
           "ns/page seal", "x vs openssl-gcm");
    for (size_t i = 0; i < n; i++) {
        const row *rw = &rows[i];
        char ratio[32];
        const row *base = NULL;
        const char *base_name = rw->key_bits == 128 ? "openssl-aes128gcm" : "openssl-aes256gcm";
        for (size_t k = 0; rw->key_bits && k < n; k++) {
            if (strcmp(rows[k].cipher, base_name) == 0) {
                base = &rows[k];
            }
        }
        format_ratio(ratio, sizeof ratio, rw, base);
        if (rw->has[OP_COPY]) { /* memcpy: the copy figure sits in the seal columns */
            printf("%-18s %-9s %9.3f %12s %13.1f %17s\n", rw->cipher, rw->backend,
                   rw->res[OP_COPY].median, "-", rw->res[OP_COPY].ns_per_page, ratio);
            continue;
        }
        printf("%-18s %-9s %9.3f %12.3f %13.1f %17s\n", rw->cipher, rw->backend,
               rw->res[OP_SEAL].median, rw->res[OP_UNSEAL].median, rw->res[OP_SEAL].ns_per_page,
               ratio);
    }
    fflush(stdout);
}

/* ---- driver -------------------------------------------------------------------- */

/* Measures every chosen cipher on its back ends, then the baselines, at one
 * page size, and prints the figures. `first` says to report ciphers that no
 * chosen back end can run (once, not per page size). */
static int bench_page_size(const settings *s, const buffers *b, size_t page_size, int first)
{
    row rows[MAX_ROWS];
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < s->n_ciphers && rc == 0; i++) {
        const sealdb_cipher_id id = s->ciphers[i];
        unsigned measured = 0;
        for (size_t k = 0; k < sizeof concrete_backends / sizeof concrete_backends[0]; k++) {
            const sealdb_backend be = concrete_backends[k];
            if ((s->backends && !(s->backends & (1u << be))) || !sealdb_backend_available(id, be)) {
                continue;
            }
            sealdb_cipher *c = NULL;
            rc = open_cipher(&c, id, be);
            if (rc == 0) {
                rc = bench_sealdb(c, s, b, page_size, &rows[n]);
            }
            if (rc != 0) {
                break;
            }
            measured |= 1u << be;
            if (s->json) {
                print_json_row(&rows[n], page_size);
            }
            n++;
        }
        if (rc == 0 && (s->backends & (1u << SEALDB_BACKEND_AUTO))) {
            /* AUTO adds a row only when it picks a back end not measured above. */
            sealdb_cipher *c = NULL;
            rc = open_cipher(&c, id, SEALDB_BACKEND_AUTO);
            if (rc == 0 && (measured & (1u << sealdb_cipher_backend(c)))) {
                sealdb_cipher_close(c);
            } else if (rc == 0) {
                rc = bench_sealdb(c, s, b, page_size, &rows[n]);
                if (rc == 0 && s->json) {
                    print_json_row(&rows[n], page_size);
                }
                n += rc == 0;
                measured |= 1u; /* anything: the cipher has a row */
            }
        }
        if (rc == 0 && !measured && first) {
            fprintf(stderr, "%s: note: no chosen back end can run %s here; skipped\n", PREFIX,
                    sealdb_cipher_name(id));
        }
    }
    if (rc == 0) {
        rc = bench_evp(128, s, b, page_size, &rows[n]);
    }
    if (rc == 0) {
        n++;
        rc = bench_evp(256, s, b, page_size, &rows[n]);
    }
    if (rc == 0) {
        n++;
        rc = bench_memcpy(s, b, page_size, &rows[n]);
    }
    if (rc == 0) {
        n++;
        if (s->json) {
            for (size_t i = n - 3; i < n; i++) {
                print_json_row(&rows[i], page_size);
            }
        } else {
            print_table(rows, n, page_size);
        }
    }
    return rc;
}

static uint8_t *alloc_page(size_t n)
{
    const size_t rounded = (n + BUF_ALIGN - 1) / BUF_ALIGN * BUF_ALIGN;
    return aligned_alloc(BUF_ALIGN, rounded);
}

int bench_ciphers_main(int argc, char **argv)
{
    settings s;
    int rc = parse_args(argc, argv, &s);
    if (rc != 0) {
        return rc;
    }
    if (s.help) {
        fputs(usage_text, stdout);
        return 0;
    }

    size_t max_page = 0;
    for (size_t i = 0; i < s.n_page_sizes; i++) {
        max_page = s.page_sizes[i] > max_page ? s.page_sizes[i] : max_page;
    }
    buffers b = {alloc_page(max_page), alloc_page(max_page), alloc_page(max_page),
                 s.ad_len ? alloc_page(s.ad_len) : NULL};
    if (!b.plain || !b.sealed || !b.out || (s.ad_len && !b.ad)) {
        fprintf(stderr, "%s: out of memory for %zu-byte pages\n", PREFIX, max_page);
        rc = EXIT_FAIL;
    } else if (sealdb_random_bytes(b.plain, max_page) != SEALDB_OK ||
               (s.ad_len && sealdb_random_bytes(b.ad, s.ad_len) != SEALDB_OK)) {
        fprintf(stderr, "%s: the OS random source failed\n", PREFIX);
        rc = EXIT_FAIL;
    } else {
        memset(b.sealed, 0, max_page);
        memset(b.out, 0, max_page);
        print_header(&s);
        for (size_t i = 0; i < s.n_page_sizes && rc == 0; i++) {
            rc = bench_page_size(&s, &b, s.page_sizes[i], i == 0);
        }
    }
    free(b.plain);
    free(b.sealed);
    free(b.out);
    free(b.ad);
    return rc;
}
