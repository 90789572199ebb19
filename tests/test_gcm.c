/*
 * test_gcm.c - AES-128-GCM and AES-256-GCM through the public cipher API:
 * the published GCM test cases and their derived negatives, and a
 * randomized cross-check of AES-256-GCM against libsodium's independent
 * implementation (when this CPU lets libsodium run it).
 *
 * Usage: test_gcm [RANDOM_CASES] [SEED]   (defaults 2000, 1)
 */
#include <sodium.h>

#include "check.h"
#include "crypto_backends.h"
#include "json.h"

static void check_vectors(void)
{
    json *doc = json_parse_file(SEALDB_TEST_VECTORS "/gcm-vectors.json");
    CHECK(doc != NULL);
    int valid_seen = 0, invalid_seen = 0;
    const json *lists[2] = {json_get(doc, "vectors"), json_get(doc, "negative")};
    for (size_t i = 0, l = 0; l < 2; i = 0, l++) {
        for (; lists[l] && i < lists[l]->count; i++) {
            const json *v = lists[l]->items[i];
            const sealdb_cipher_id id = test_cipher_of_algorithm(json_get_string(v, "algorithm"));
            CHECK(id == SEALDB_AES128GCM || id == SEALDB_AES256GCM);
            size_t kl, nl, al, cl, tl, ml = 0;
            uint8_t *key = json_hex(json_get_string(v, "key"), &kl);
            uint8_t *nonce = json_hex(json_get_string(v, "nonce"), &nl);
            uint8_t *ad = json_hex(json_get_string(v, "ad"), &al);
            uint8_t *ct = json_hex(json_get_string(v, "ct"), &cl);
            uint8_t *tag = json_hex(json_get_string(v, "tag128"), &tl);
            const char *msg_hex = json_get_string(v, "msg");
            uint8_t *msg = msg_hex ? json_hex(msg_hex, &ml) : NULL;
            const json *valid = json_get(v, "valid");
            const int before = check_failures;
            sealdb_cipher *c = NULL;
            CHECK_INT(sealdb_cipher_open(&c, id, SEALDB_BACKEND_AUTO, key, kl, NULL), SEALDB_OK);
            CHECK_INT(sealdb_cipher_backend(c), SEALDB_BACKEND_OPENSSL);
            uint8_t *buf = test_xmalloc(cl);
            uint8_t out_tag[16];
            if (valid && valid->boolean) {
                valid_seen++;
                CHECK_INT(sealdb_cipher_encrypt(c, buf, out_tag, msg, ml, ad, al, nonce),
                          SEALDB_OK);
                CHECK_MEM(buf, ct, cl);
                CHECK_MEM(out_tag, tag, 16);
                CHECK_INT(sealdb_cipher_decrypt(c, buf, ct, cl, tag, ad, al, nonce), SEALDB_OK);
                CHECK_MEM(buf, msg, ml);
                memcpy(buf, ct, cl); /* in place */
                CHECK_INT(sealdb_cipher_decrypt(c, buf, buf, cl, tag, ad, al, nonce), SEALDB_OK);
                CHECK_MEM(buf, msg, ml);
            } else {
                invalid_seen++;
                memset(buf, 0xaa, cl);
                CHECK_INT(sealdb_cipher_decrypt(c, buf, ct, cl, tag, ad, al, nonce), SEALDB_EAUTH);
                CHECK(check_all_zero(buf, cl));
            }
            if (check_failures != before) {
                CHECK_CONTEXT("%s", json_get_string(v, "name"));
            }
            sealdb_cipher_close(c);
            free(buf);
            free(key);
            free(nonce);
            free(ad);
            free(ct);
            free(tag);
            free(msg);
        }
    }
    CHECK_INT(valid_seen, 8);
    CHECK_INT(invalid_seen, 8);
    json_free(doc);
}

/* OpenSSL (through sealdb) and libsodium must agree on every output. */
static void cross_check_libsodium(int cases, test_rng *r)
{
    if (sodium_init() < 0 || !crypto_aead_aes256gcm_is_available()) {
        printf("libsodium AES-256-GCM not available on this CPU: cross-check skipped\n");
        return;
    }
    enum { MAX = 20000 };
    uint8_t *msg = test_xmalloc(MAX), *ad = test_xmalloc(512), *ct = test_xmalloc(MAX);
    uint8_t *back = test_xmalloc(MAX);
    for (int i = 0; i < cases; i++) {
        const int before = check_failures;
        uint8_t key[32], nonce[12], tag[16], stag[16];
        const size_t len = test_rng_next(r) % (i % 4 == 0 ? MAX : 600);
        const size_t ad_len = test_rng_next(r) % 512;
        test_rng_fill(r, key, sizeof key);
        test_rng_fill(r, nonce, sizeof nonce);
        test_rng_fill(r, msg, len);
        test_rng_fill(r, ad, ad_len);
        sealdb_cipher *c = NULL;
        CHECK_INT(sealdb_cipher_open(&c, SEALDB_AES256GCM, SEALDB_BACKEND_AUTO, key, 32, NULL),
                  SEALDB_OK);
        CHECK_INT(sealdb_cipher_encrypt(c, ct, tag, msg, len, ad, ad_len, nonce), SEALDB_OK);
        unsigned long long maclen = 0;
        crypto_aead_aes256gcm_encrypt_detached(back, stag, &maclen, msg, len, ad, ad_len, NULL,
                                               nonce, key);
        CHECK_INT(maclen, 16);
        CHECK_MEM(back, ct, len);
        CHECK_MEM(stag, tag, 16);
        CHECK_INT(crypto_aead_aes256gcm_decrypt_detached(back, NULL, ct, len, tag, ad, ad_len,
                                                         nonce, key),
                  0);
        CHECK_MEM(back, msg, len);
        sealdb_cipher_close(c);
        if (check_failures != before) {
            CHECK_CONTEXT("random case %d, len %zu, ad_len %zu", i, len, ad_len);
            break;
        }
    }
    free(msg);
    free(ad);
    free(ct);
    free(back);
}

int main(int argc, char **argv)
{
    const int cases = argc > 1 ? atoi(argv[1]) : 2000;
    test_rng r = {argc > 2 ? strtoull(argv[2], NULL, 0) : 1};
    check_vectors();
    cross_check_libsodium(cases, &r);
    return check_report();
}
