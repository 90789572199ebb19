/*
 * bench_ciphers.h - the cipher throughput benchmark, `sealdb bench ciphers`.
 *
 * It times sealing (sealdb_cipher_encrypt) and unsealing
 * (sealdb_cipher_decrypt) of whole pages for every cipher on every back end
 * this machine can run, next to two baselines measured in the same run:
 * memcpy of the page (cipher "memcpy", back end "libc", op "copy") and
 * AES-GCM through raw OpenSSL EVP calls ("openssl-aes128gcm",
 * "openssl-aes256gcm", back end "openssl"). The baselines are always
 * measured, whatever --cipher and --backend select.
 *
 * Options (a value may also be given as --opt=VALUE):
 *   --cipher NAME     cipher to measure; repeatable or a comma list; names as
 *                     sealdb_cipher_lookup accepts them (default: all eight)
 *   --backend NAME    portable|aesni|vaes|openssl|auto; repeatable or a comma
 *                     list (default: every back end that can run each cipher).
 *                     auto measures only what AUTO picks, reported under its
 *                     real back end name
 *   --page-size N     page size in bytes, 1..67108864; repeatable or a comma
 *                     list (default: 4096, 8192, 16384, 65536)
 *   --ad N            bytes of associated data per page, 0..67108864 (default 0)
 *   --runs N          timed runs per measurement, 1..1000 (default 7)
 *   --quick           3 runs of ~20 ms instead of 7 of ~100 ms (--runs wins)
 *   --json            one JSON object per line on stdout, nothing else
 *   --help            this text, on stdout
 *
 * Output. Table mode prints a header line (sealdb version, CPU model,
 * settings), then one table per page size: cipher, backend, seal GB/s,
 * unseal GB/s, ns/page seal, and "x vs openssl-gcm" (seal/unseal speed over
 * openssl-aes128gcm for the AEGIS-128 family and aes128gcm, over
 * openssl-aes256gcm for the AEGIS-256 family and aes256gcm). JSON mode
 * prints a settings object first, then one object per measurement:
 *   {"suite":"ciphers","cipher":"aegis128l","backend":"aesni","page_size":4096,
 *    "op":"seal","gbps":8.123,"ns_per_page":504.2,"runs":7,"min":7.9,"max":8.3}
 * gbps is the median run in 1e9 page bytes per second (associated data not
 * counted), ns_per_page follows from it, min and max are the GB/s of the
 * slowest and fastest run.
 *
 * Exit status: 0 on success, 1 if a cipher fails (an unseal that does not
 * return SEALDB_OK, an open that fails), 2 for a bad command line.
 */
#ifndef SEALDB_BENCH_CIPHERS_H
#define SEALDB_BENCH_CIPHERS_H

/* Runs the benchmark. argv[0] is the subcommand's name ("ciphers") or the
 * program's; options start at argv[1]. Returns the exit status above. */
int bench_ciphers_main(int argc, char **argv);

#endif /* SEALDB_BENCH_CIPHERS_H */
