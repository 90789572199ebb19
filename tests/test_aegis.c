/*
 * test_aegis.c - every AEGIS variant on every back end against the
 * specification's test vectors (both tag lengths, must-fail cases) and the
 * supplementary Wycheproof-style vectors for AEGIS-128L and AEGIS-256.
 *
 * Each valid vector is checked four ways per back end: encrypt into a
 * separate buffer, encrypt in place, decrypt into a separate buffer, decrypt
 * in place. Each invalid one must be refused with the output wiped.
 */
#include "aes_soft.h"
#include "check.h"
#include "crypto_backends.h"
#include "json.h"

#ifndef SEALDB_TEST_VECTORS
#error "SEALDB_TEST_VECTORS must name the test vector folder"
#endif

static int vectors_run;

/* Checks one vector with one tag length on one implementation. */
static void check_vector(const test_impl *t, const char *label, const json *v, size_t tag_len,
                         const char *tag_hex)
{
    size_t key_len, nonce_len, ad_len, ct_len, tag_len_read, msg_len = 0;
    uint8_t *key = json_hex(json_get_string(v, "key"), &key_len);
    uint8_t *nonce = json_hex(json_get_string(v, "nonce"), &nonce_len);
    uint8_t *ad = json_hex(json_get_string(v, "ad"), &ad_len);
    uint8_t *ct = json_hex(json_get_string(v, "ct"), &ct_len);
    uint8_t *tag = json_hex(tag_hex, &tag_len_read);
    const char *msg_hex = json_get_string(v, "msg");
    uint8_t *msg = msg_hex ? json_hex(msg_hex, &msg_len) : NULL;
    const json *valid = json_get(v, "valid");
    const int is_valid = valid && valid->type == JSON_BOOL && valid->boolean;
    const int before = check_failures;

    CHECK_INT(tag_len_read, tag_len);
    uint8_t *buf = test_xmalloc(ct_len);
    uint8_t out_tag[32];
    if (is_valid) {
        CHECK_INT(msg_len, ct_len);
        /* encrypt, separate buffers and in place */
        t->impl->encrypt(buf, out_tag, tag_len, msg, msg_len, ad, ad_len, nonce, key);
        CHECK_MEM(buf, ct, ct_len);
        CHECK_MEM(out_tag, tag, tag_len);
        memcpy(buf, msg, msg_len);
        memset(out_tag, 0, sizeof out_tag);
        t->impl->encrypt(buf, out_tag, tag_len, buf, msg_len, ad, ad_len, nonce, key);
        CHECK_MEM(buf, ct, ct_len);
        CHECK_MEM(out_tag, tag, tag_len);
        /* decrypt, separate buffers and in place */
        memset(buf, 0xaa, ct_len);
        CHECK_INT(t->impl->decrypt(buf, ct, ct_len, tag, tag_len, ad, ad_len, nonce, key), 0);
        CHECK_MEM(buf, msg, msg_len);
        memcpy(buf, ct, ct_len);
        CHECK_INT(t->impl->decrypt(buf, buf, ct_len, tag, tag_len, ad, ad_len, nonce, key), 0);
        CHECK_MEM(buf, msg, msg_len);
    } else {
        memset(buf, 0xaa, ct_len);
        CHECK_INT(t->impl->decrypt(buf, ct, ct_len, tag, tag_len, ad, ad_len, nonce, key), -1);
        CHECK(check_all_zero(buf, ct_len));
        memcpy(buf, ct, ct_len);
        CHECK_INT(t->impl->decrypt(buf, buf, ct_len, tag, tag_len, ad, ad_len, nonce, key), -1);
        CHECK(check_all_zero(buf, ct_len));
    }
    if (check_failures != before) {
        CHECK_CONTEXT("%s, back end %s, %zu-byte tag", label, t->name, tag_len);
    }
    vectors_run++;
    free(buf);
    free(key);
    free(nonce);
    free(ad);
    free(ct);
    free(tag);
    free(msg);
}

static void run_file(const char *file, int *per_cipher)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", SEALDB_TEST_VECTORS, file);
    json *doc = json_parse_file(path);
    CHECK(doc != NULL);
    if (!doc) {
        return;
    }
    const json *vectors = json_get(doc, "vectors");
    CHECK(vectors && vectors->type == JSON_ARRAY && vectors->count > 0);
    for (size_t i = 0; vectors && i < vectors->count; i++) {
        const json *v = vectors->items[i];
        const char *alg = json_get_string(v, "algorithm");
        const sealdb_cipher_id id = test_cipher_of_algorithm(alg ? alg : "");
        CHECK(id != 0);
        char label[160];
        const json *tc = json_get(v, "tcId");
        const char *name = json_get_string(v, "name");
        snprintf(label, sizeof label, "%s %s %s #%d", file, alg ? alg : "?", name ? name : "",
                 tc && tc->type == JSON_NUMBER ? (int)tc->number : (int)i);
        test_impl impls[5];
        const int n = test_aegis_impls(id, impls);
        for (int k = 0; k < n; k++) {
            const char *t128 = json_get_string(v, "tag128");
            const char *t256 = json_get_string(v, "tag256");
            CHECK(t128 || t256);
            if (t128) {
                check_vector(&impls[k], label, v, 16, t128);
            }
            if (t256) {
                check_vector(&impls[k], label, v, 32, t256);
            }
        }
        per_cipher[id]++;
    }
    json_free(doc);
}

/* The specification's AESRound check value through the portable round:
 * AEGIS is built on it, so a broken round fails here with a clear message
 * before any vector does. (The hardware round is one instruction.) */
static void check_aes_round_vectors(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/aegis-vectors.json", SEALDB_TEST_VECTORS);
    json *doc = json_parse_file(path);
    CHECK(doc != NULL);
    const json *inter = json_get(doc, "intermediate");
    int seen = 0;
    for (size_t i = 0; inter && i < inter->count; i++) {
        const json *v = inter->items[i];
        const char *section = json_get_string(v, "section");
        if (!section || strcmp(section, "AESRound Test Vector") != 0) {
            continue;
        }
        size_t a, b, c;
        uint8_t *in = json_hex(json_get_string(v, "in"), &a);
        uint8_t *rk = json_hex(json_get_string(v, "rk"), &b);
        uint8_t *out = json_hex(json_get_string(v, "out"), &c);
        CHECK(a == 16 && b == 16 && c == 16);
        uint8_t got[16];
        aes_soft_round_n(got, in, rk, 1);
        CHECK_MEM(got, out, 16);
        seen++;
        free(in);
        free(rk);
        free(out);
    }
    CHECK_INT(seen, 1);
    json_free(doc);
}

int main(void)
{
    int spec[SEALDB_CIPHER_MAX + 1] = {0}, extra[SEALDB_CIPHER_MAX + 1] = {0};
    check_aes_round_vectors();
    run_file("aegis-vectors.json", spec);
    run_file("aegis-extra-vectors.json", extra);
    /* The files hold what they claim: 26 spec vectors: nine each for 128L and 256, two per X
     * variant, 1,435 supplementary ones for 128L and 256. */
    CHECK_INT(spec[SEALDB_AEGIS128L], 9);
    CHECK_INT(spec[SEALDB_AEGIS256], 9);
    CHECK_INT(spec[SEALDB_AEGIS128X2] + spec[SEALDB_AEGIS128X4] + spec[SEALDB_AEGIS256X2] +
                  spec[SEALDB_AEGIS256X4],
              8);
    CHECK_INT(extra[SEALDB_AEGIS128L] + extra[SEALDB_AEGIS256], 1435);
    printf("%d vector checks (all back ends)\n", vectors_run);
    return check_report();
}
