/*
 * test_aegis_cross.c - the hardware back ends agree with the portable one.
 *
 * For every AEGIS variant, random messages and associated data of random
 * lengths (0..70000 bytes, weighted towards the short lengths where partial
 * blocks and lane boundaries live), at unaligned addresses, sealed in place
 * and not: every back end must produce the portable back end's exact
 * ciphertext and tag, and open what the portable one sealed.
 *
 * Usage: test_aegis_cross [CASES_PER_VARIANT] [SEED]   (defaults 150, 1)
 */
#include "check.h"
#include "crypto_backends.h"

#define MAX_LEN 70000

static size_t random_length(test_rng *r)
{
    switch (test_rng_next(r) % 4) {
    case 0: return test_rng_next(r) % 300;  /* partial blocks, lanes */
    case 1: return test_rng_next(r) % 4200; /* around a page */
    default: return test_rng_next(r) % (MAX_LEN + 1);
    }
}

static void cross_check(sealdb_cipher_id id, int cases, test_rng *r)
{
    test_impl impls[5];
    const int n = test_aegis_impls(id, impls);
    const aegis_impl *ref = impls[0].impl; /* portable */
    /* +16 so inputs and outputs can start at any offset mod 16 */
    uint8_t *msg = test_xmalloc(MAX_LEN + 16), *ad = test_xmalloc(MAX_LEN + 16);
    uint8_t *ref_ct = test_xmalloc(MAX_LEN + 16), *out = test_xmalloc(MAX_LEN + 16);
    uint8_t *back = test_xmalloc(MAX_LEN + 16);
    for (int c = 0; c < cases; c++) {
        const size_t len = random_length(r), ad_len = random_length(r) % 2000;
        const size_t mo = test_rng_next(r) % 16, ao = test_rng_next(r) % 16;
        const size_t oo = test_rng_next(r) % 16;
        uint8_t key[32], nonce[32], ref_tag[16], tag[16];
        test_rng_fill(r, key, sizeof key);
        test_rng_fill(r, nonce, sizeof nonce);
        test_rng_fill(r, msg + mo, len);
        test_rng_fill(r, ad + ao, ad_len);
        ref->encrypt(ref_ct + oo, ref_tag, 16, msg + mo, len, ad + ao, ad_len, nonce, key);
        for (int k = 0; k < n; k++) {
            const aegis_impl *im = impls[k].impl;
            const int before = check_failures;
            /* separate buffers */
            im->encrypt(out + oo, tag, 16, msg + mo, len, ad + ao, ad_len, nonce, key);
            CHECK_MEM(out + oo, ref_ct + oo, len);
            CHECK_MEM(tag, ref_tag, 16);
            CHECK_INT(
                im->decrypt(back + mo, ref_ct + oo, len, ref_tag, 16, ad + ao, ad_len, nonce, key),
                0);
            CHECK_MEM(back + mo, msg + mo, len);
            /* in place */
            memcpy(out + mo, msg + mo, len);
            im->encrypt(out + mo, tag, 16, out + mo, len, ad + ao, ad_len, nonce, key);
            CHECK_MEM(out + mo, ref_ct + oo, len);
            CHECK_MEM(tag, ref_tag, 16);
            CHECK_INT(im->decrypt(out + mo, out + mo, len, tag, 16, ad + ao, ad_len, nonce, key),
                      0);
            CHECK_MEM(out + mo, msg + mo, len);
            if (check_failures != before) {
                CHECK_CONTEXT("%s on %s: case %d, len %zu, ad_len %zu, offsets %zu/%zu/%zu",
                              sealdb_cipher_name(id), impls[k].name, c, len, ad_len, mo, ao, oo);
                break;
            }
        }
    }
    free(msg);
    free(ad);
    free(ref_ct);
    free(out);
    free(back);
}

int main(int argc, char **argv)
{
    const int cases = argc > 1 ? atoi(argv[1]) : 150;
    test_rng r = {argc > 2 ? strtoull(argv[2], NULL, 0) : 1};
    const sealdb_cipher_id ids[] = {SEALDB_AEGIS128L, SEALDB_AEGIS128X2, SEALDB_AEGIS128X4,
                                    SEALDB_AEGIS256,  SEALDB_AEGIS256X2, SEALDB_AEGIS256X4};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        test_impl impls[5];
        printf("%s: %d back ends, %d cases\n", sealdb_cipher_name(ids[i]),
               test_aegis_impls(ids[i], impls), cases);
        cross_check(ids[i], cases, &r);
    }
    return check_report();
}
