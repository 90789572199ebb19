/*
 * test_cipher_api.c - the public cipher API: names and aliases, sizes, key
 * parsing, exact error codes and messages, back-end selection, round trips
 * and tampering.
 *
 * Tampering: for every cipher on every back end, flipping any single bit of
 * the ciphertext, the tag, the nonce or the associated data makes opening
 * fail with SEALDB_EAUTH and leaves no plaintext in the output.
 *
 * Run with SEALDB_AEGIS_BACKEND=portable, it also checks that AUTO then
 * picks the portable back end for every AEGIS cipher.
 */
#include "check.h"
#include "crypto_backends.h"

static const sealdb_cipher_id all_ids[] = {
    SEALDB_AES128GCM,  SEALDB_AES256GCM, SEALDB_AEGIS256,   SEALDB_AEGIS256X2,
    SEALDB_AEGIS256X4, SEALDB_AEGIS128L, SEALDB_AEGIS128X2, SEALDB_AEGIS128X4,
};
#define N_IDS (sizeof all_ids / sizeof all_ids[0])

static void test_names(void)
{
    static const struct {
        const char *name;
        sealdb_cipher_id id;
    } ok[] = {
        {"aegis128l", SEALDB_AEGIS128L},     {"AEGIS-128L", SEALDB_AEGIS128L},
        {"aegis_128l", SEALDB_AEGIS128L},    {"aegis128x2", SEALDB_AEGIS128X2},
        {"Aegis-128X4", SEALDB_AEGIS128X4},  {"aegis256", SEALDB_AEGIS256},
        {"aegis-256", SEALDB_AEGIS256},      {"AEGIS_256X2", SEALDB_AEGIS256X2},
        {"aegis-256-x4", SEALDB_AEGIS256X4}, {"aes128gcm", SEALDB_AES128GCM},
        {"aes-128-gcm", SEALDB_AES128GCM},   {"aes_256_gcm", SEALDB_AES256GCM},
        {"  AES256GCM\n", SEALDB_AES256GCM},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        sealdb_cipher_id id = 0;
        CHECK_INT(sealdb_cipher_lookup(ok[i].name, &id, NULL), SEALDB_OK);
        CHECK_INT(id, ok[i].id);
    }
    sealdb_error err;
    sealdb_cipher_id id = 0;
    const char *expected_list = "aegis128l, aegis128x2, aegis128x4, aegis256, aegis256x2, "
                                "aegis256x4, aes128gcm, aes256gcm";
    char expected[300];
    snprintf(expected, sizeof expected, "unknown cipher 'chacha20'; expected one of %s",
             expected_list);
    CHECK_INT(sealdb_cipher_lookup("chacha20", &id, &err), SEALDB_ECIPHER);
    CHECK_INT(err.code, SEALDB_ECIPHER);
    CHECK_STR(err.message, expected);
    snprintf(expected, sizeof expected, "unknown cipher ''; expected one of %s", expected_list);
    CHECK_INT(sealdb_cipher_lookup("", &id, &err), SEALDB_ECIPHER);
    CHECK_STR(err.message, expected);
    CHECK_INT(sealdb_cipher_lookup("---", &id, NULL), SEALDB_ECIPHER);
    CHECK_INT(sealdb_cipher_lookup("aegis128l2", &id, NULL), SEALDB_ECIPHER);
    CHECK_INT(sealdb_cipher_lookup("aegis128laegis128laegis128laegis128l", &id, NULL),
              SEALDB_ECIPHER);
    CHECK_INT(sealdb_cipher_lookup(NULL, &id, &err), SEALDB_EINVAL);
    CHECK_STR(err.message, "cipher name and id must not be NULL");

    /* canonical names and sizes, by id */
    static const struct {
        sealdb_cipher_id id;
        const char *name;
        size_t key, nonce;
    } sizes[] = {
        {SEALDB_AES128GCM, "aes128gcm", 16, 12},   {SEALDB_AES256GCM, "aes256gcm", 32, 12},
        {SEALDB_AEGIS256, "aegis256", 32, 32},     {SEALDB_AEGIS256X2, "aegis256x2", 32, 32},
        {SEALDB_AEGIS256X4, "aegis256x4", 32, 32}, {SEALDB_AEGIS128L, "aegis128l", 16, 16},
        {SEALDB_AEGIS128X2, "aegis128x2", 16, 16}, {SEALDB_AEGIS128X4, "aegis128x4", 16, 16},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        CHECK_STR(sealdb_cipher_name(sizes[i].id), sizes[i].name);
        CHECK_INT(sealdb_cipher_key_bytes(sizes[i].id), sizes[i].key);
        CHECK_INT(sealdb_cipher_nonce_bytes(sizes[i].id), sizes[i].nonce);
        CHECK_INT(sealdb_cipher_tag_bytes(sizes[i].id), 16);
    }
    CHECK(sealdb_cipher_name((sealdb_cipher_id)0) == NULL);
    CHECK(sealdb_cipher_name((sealdb_cipher_id)9) == NULL);
    CHECK_INT(sealdb_cipher_key_bytes((sealdb_cipher_id)9), 0);
    CHECK_INT(sealdb_cipher_nonce_bytes((sealdb_cipher_id)-1), 0);
    CHECK_INT(sealdb_cipher_tag_bytes((sealdb_cipher_id)0), 0);
    CHECK_STR(sealdb_strerror(SEALDB_EAUTH), "authentication failed: wrong key or tampered data");
    CHECK_STR(sealdb_strerror(12345), "unknown error");
    CHECK_STR(sealdb_backend_name(SEALDB_BACKEND_PORTABLE), "portable");
    CHECK(sealdb_backend_name((sealdb_backend)99) == NULL);
    CHECK_STR(sealdb_version(), SEALDB_VERSION_STRING);
}

static void test_keys(void)
{
    sealdb_error err;
    sealdb_cipher *c = (sealdb_cipher *)&err; /* must be reset to NULL on failure */
    uint8_t key[40] = {0};

    CHECK_INT(sealdb_cipher_open(&c, SEALDB_AES256GCM, SEALDB_BACKEND_AUTO, key, 31, &err),
              SEALDB_EKEYLEN);
    CHECK(c == NULL);
    CHECK_STR(err.message, "key is 31 bytes; aes256gcm expects 32 bytes");
    CHECK_INT(sealdb_cipher_open(&c, SEALDB_AEGIS128L, SEALDB_BACKEND_AUTO, key, 32, &err),
              SEALDB_EKEYLEN);
    CHECK_STR(err.message, "key is 32 bytes; aegis128l expects 16 bytes");
    CHECK_INT(sealdb_cipher_open(&c, (sealdb_cipher_id)42, SEALDB_BACKEND_AUTO, key, 16, &err),
              SEALDB_ECIPHER);
    CHECK_STR(err.message, "unknown cipher id 42; expected 1 to 8");
    CHECK_INT(sealdb_cipher_open(&c, SEALDB_AEGIS128L, SEALDB_BACKEND_AUTO, NULL, 16, &err),
              SEALDB_EINVAL);
    CHECK_INT(sealdb_cipher_open(NULL, SEALDB_AEGIS128L, SEALDB_BACKEND_AUTO, key, 16, &err),
              SEALDB_EINVAL);

    /* hex: trimmed, either case */
    const char *hex = "  000102030405060708090A0B0C0D0E0f\t\n";
    CHECK_INT(sealdb_cipher_open_hex(&c, SEALDB_AEGIS128L, SEALDB_BACKEND_AUTO, hex, &err),
              SEALDB_OK);
    CHECK(c != NULL);
    /* the key really is 00 01 .. 0f: compare with a cipher opened from bytes */
    uint8_t raw[16], nonce[16] = {9}, m[40] = "the same key seals the same way", c1[40], c2[40],
                     t1[16], t2[16];
    for (int i = 0; i < 16; i++) {
        raw[i] = (uint8_t)i;
    }
    sealdb_cipher *c_raw = NULL;
    CHECK_INT(sealdb_cipher_open(&c_raw, SEALDB_AEGIS128L, SEALDB_BACKEND_AUTO, raw, 16, NULL),
              SEALDB_OK);
    CHECK_INT(sealdb_cipher_encrypt(c, c1, t1, m, sizeof m, NULL, 0, nonce), SEALDB_OK);
    CHECK_INT(sealdb_cipher_encrypt(c_raw, c2, t2, m, sizeof m, NULL, 0, nonce), SEALDB_OK);
    CHECK_MEM(c1, c2, sizeof m);
    CHECK_MEM(t1, t2, 16);
    sealdb_cipher_close(c);
    sealdb_cipher_close(c_raw);

    CHECK_INT(sealdb_cipher_open_hex(&c, SEALDB_AES256GCM, SEALDB_BACKEND_AUTO,
                                     "00112233445566778899aabbccddeeff", &err),
              SEALDB_EKEYLEN);
    CHECK(c == NULL);
    CHECK_STR(err.message, "hex key has 32 digits; aes256gcm expects 64 (32 bytes)");
    CHECK_INT(sealdb_cipher_open_hex(&c, SEALDB_AEGIS128L, SEALDB_BACKEND_AUTO,
                                     "00112233445566778899aabbccddeeff0", &err),
              SEALDB_EHEX);
    CHECK_STR(err.message, "hex key has an odd number of digits (33); aegis128l expects 32");
    CHECK_INT(sealdb_cipher_open_hex(&c, SEALDB_AEGIS128L, SEALDB_BACKEND_AUTO,
                                     " 00112233445566778899aabbccddeegf", &err),
              SEALDB_EHEX);
    CHECK_INT(err.code, SEALDB_EHEX);
    CHECK_STR(err.message, "hex key has a character that is not a hex digit at position 30 "
                           "(expected 0-9, a-f or A-F)");
    CHECK_INT(sealdb_cipher_open_hex(&c, SEALDB_AEGIS128L, SEALDB_BACKEND_AUTO,
                                     "0011 2233445566778899aabbccddeeff", &err),
              SEALDB_EHEX);
    CHECK_STR(err.message, "hex key has a character that is not a hex digit at position 4 "
                           "(expected 0-9, a-f or A-F)");
    CHECK_INT(sealdb_cipher_open_hex(&c, SEALDB_AEGIS128L, SEALDB_BACKEND_AUTO, "", &err),
              SEALDB_EKEYLEN);
    CHECK_STR(err.message, "hex key has 0 digits; aegis128l expects 32 (16 bytes)");
    /* a key far too long is measured, not written past the buffer */
    char longhex[201];
    memset(longhex, 'a', 200);
    longhex[200] = '\0';
    CHECK_INT(sealdb_cipher_open_hex(&c, SEALDB_AES256GCM, SEALDB_BACKEND_AUTO, longhex, &err),
              SEALDB_EKEYLEN);
    CHECK_STR(err.message, "hex key has 200 digits; aes256gcm expects 64 (32 bytes)");
    CHECK_INT(sealdb_cipher_open_hex(&c, SEALDB_AES256GCM, SEALDB_BACKEND_AUTO, NULL, &err),
              SEALDB_EINVAL);

    /* crypto_hex_decode directly: every byte value, both cases */
    char all[513];
    uint8_t out[256];
    for (int i = 0; i < 256; i++) {
        snprintf(all + 2 * i, 3, i % 2 ? "%02X" : "%02x", i);
    }
    size_t len = 0, bad = 0;
    CHECK_INT(crypto_hex_decode(out, sizeof out, &len, all, &bad), SEALDB_OK);
    CHECK_INT(len, 256);
    for (int i = 0; i < 256; i++) {
        CHECK_INT(out[i], i);
    }
    /* every non-hex byte value is refused at its position */
    for (int ch = 1; ch < 256; ch++) {
        const int is_hex =
            (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
        char s[5] = {'a', 'b', (char)ch, 'd', 0};
        if (is_hex || ch == ' ' || (ch >= '\t' && ch <= '\r')) {
            continue;
        }
        CHECK_INT(crypto_hex_decode(out, sizeof out, &len, s, &bad), SEALDB_EHEX);
        CHECK_INT(bad, 2);
    }
}

static void test_backends(void)
{
    uint8_t key[32] = {1};
    sealdb_cipher *c = NULL;
    sealdb_error err;
    const char *forced = getenv("SEALDB_AEGIS_BACKEND");
    const int portable_forced = forced && strcmp(forced, "portable") == 0;
    for (size_t i = 0; i < N_IDS; i++) {
        const sealdb_cipher_id id = all_ids[i];
        const cipher_desc *d = cipher_desc_of(id);
        CHECK_INT(sealdb_cipher_open(&c, id, SEALDB_BACKEND_AUTO, key, d->key_bytes, NULL),
                  SEALDB_OK);
        CHECK_INT(sealdb_cipher_id_of(c), id);
        const sealdb_backend b = sealdb_cipher_backend(c);
        if (!d->is_aegis) {
            CHECK_INT(b, SEALDB_BACKEND_OPENSSL);
        } else if (portable_forced) {
            CHECK_INT(b, SEALDB_BACKEND_PORTABLE);
        } else if (cpu_features() & CPU_AESNI) {
            CHECK(b == SEALDB_BACKEND_AESNI || b == SEALDB_BACKEND_VAES);
        }
        sealdb_cipher_close(c);
        CHECK_INT(sealdb_backend_available(id, SEALDB_BACKEND_AUTO), 1);
        CHECK_INT(sealdb_backend_available(id, SEALDB_BACKEND_PORTABLE), d->is_aegis);
        CHECK_INT(sealdb_backend_available(id, SEALDB_BACKEND_OPENSSL), !d->is_aegis);
    }
    CHECK_INT(sealdb_cipher_open(&c, SEALDB_AES128GCM, SEALDB_BACKEND_PORTABLE, key, 16, &err),
              SEALDB_EBACKEND);
    CHECK_STR(err.message, "back end 'portable' cannot run aes128gcm; use auto or openssl");
    CHECK_INT(sealdb_cipher_open(&c, SEALDB_AEGIS128L, SEALDB_BACKEND_OPENSSL, key, 16, &err),
              SEALDB_EBACKEND);
    CHECK_STR(err.message, "back end 'openssl' cannot run aegis128l on this machine; use auto");
    /* VAES never serves the one-lane variants */
    CHECK_INT(sealdb_cipher_open(&c, SEALDB_AEGIS256, SEALDB_BACKEND_VAES, key, 32, &err),
              SEALDB_EBACKEND);
    CHECK(c == NULL);
    CHECK_INT(sealdb_backend_available((sealdb_cipher_id)0, SEALDB_BACKEND_AUTO), 0);
}

/* Every back end a cipher can run on, as public back-end values. */
static int public_backends(sealdb_cipher_id id, sealdb_backend *out)
{
    static const sealdb_backend all[] = {SEALDB_BACKEND_PORTABLE, SEALDB_BACKEND_AESNI,
                                         SEALDB_BACKEND_VAES, SEALDB_BACKEND_OPENSSL};
    int n = 0;
    for (size_t i = 0; i < 4; i++) {
        if (sealdb_backend_available(id, all[i])) {
            out[n++] = all[i];
        }
    }
    return n;
}

static void flip(uint8_t *p, size_t bit)
{
    p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

static void test_roundtrip_and_tamper(void)
{
    test_rng r = {42};
    for (size_t i = 0; i < N_IDS; i++) {
        const sealdb_cipher_id id = all_ids[i];
        sealdb_backend backends[4];
        const int nb = public_backends(id, backends);
        CHECK(nb >= 1);
        for (int b = 0; b < nb; b++) {
            const size_t kl = sealdb_cipher_key_bytes(id), nl = sealdb_cipher_nonce_bytes(id);
            uint8_t key[32], nonce[32], tag[16], ad[37], msg[301], ct[301], out[301];
            test_rng_fill(&r, key, sizeof key);
            test_rng_fill(&r, nonce, sizeof nonce);
            test_rng_fill(&r, ad, sizeof ad);
            test_rng_fill(&r, msg, sizeof msg);
            sealdb_cipher *c = NULL;
            CHECK_INT(sealdb_cipher_open(&c, id, backends[b], key, kl, NULL), SEALDB_OK);
            CHECK_INT(sealdb_cipher_backend(c), backends[b]);
            const int before = check_failures;
            CHECK_INT(sealdb_cipher_encrypt(c, ct, tag, msg, sizeof msg, ad, sizeof ad, nonce),
                      SEALDB_OK);
            CHECK(memcmp(ct, msg, sizeof msg) != 0);
            CHECK_INT(sealdb_cipher_decrypt(c, out, ct, sizeof ct, tag, ad, sizeof ad, nonce),
                      SEALDB_OK);
            CHECK_MEM(out, msg, sizeof msg);
            /* in place both ways */
            memcpy(out, msg, sizeof msg);
            uint8_t tag2[16];
            CHECK_INT(sealdb_cipher_encrypt(c, out, tag2, out, sizeof out, ad, sizeof ad, nonce),
                      SEALDB_OK);
            CHECK_MEM(out, ct, sizeof ct);
            CHECK_MEM(tag2, tag, 16);
            CHECK_INT(sealdb_cipher_decrypt(c, out, out, sizeof out, tag, ad, sizeof ad, nonce),
                      SEALDB_OK);
            CHECK_MEM(out, msg, sizeof msg);
            /* empty message, empty AD, NULL pointers allowed with zero lengths */
            CHECK_INT(sealdb_cipher_encrypt(c, NULL, tag2, NULL, 0, NULL, 0, nonce), SEALDB_OK);
            CHECK_INT(sealdb_cipher_decrypt(c, NULL, NULL, 0, tag2, NULL, 0, nonce), SEALDB_OK);
            tag2[0] ^= 1;
            CHECK_INT(sealdb_cipher_decrypt(c, NULL, NULL, 0, tag2, NULL, 0, nonce), SEALDB_EAUTH);

            /* single-bit flips anywhere: ciphertext, tag, nonce, AD */
            int refused = 0, wiped = 0, total = 0;
            uint8_t *targets[4] = {ct, tag, nonce, ad};
            const size_t sizes[4] = {sizeof ct, 16, nl, sizeof ad};
            for (int t = 0; t < 4; t++) {
                for (size_t bit = 0; bit < 8 * sizes[t]; bit++) {
                    flip(targets[t], bit);
                    memset(out, 0x5a, sizeof out);
                    refused += sealdb_cipher_decrypt(c, out, ct, sizeof ct, tag, ad, sizeof ad,
                                                     nonce) == SEALDB_EAUTH;
                    wiped += check_all_zero(out, sizeof out);
                    flip(targets[t], bit);
                    total++;
                }
            }
            CHECK_INT(total, 8 * (301 + 16 + (int)nl + 37));
            CHECK_INT(refused, total);
            CHECK_INT(wiped, total);
            /* wrong key */
            key[0] ^= 0x80;
            sealdb_cipher *wrong = NULL;
            CHECK_INT(sealdb_cipher_open(&wrong, id, backends[b], key, kl, NULL), SEALDB_OK);
            CHECK_INT(sealdb_cipher_decrypt(wrong, out, ct, sizeof ct, tag, ad, sizeof ad, nonce),
                      SEALDB_EAUTH);
            sealdb_cipher_close(wrong);
            /* limits and bad arguments, checked before any memory is touched */
            uint8_t one = 0;
            const size_t huge = (size_t)1 << 62;
            CHECK_INT(sealdb_cipher_encrypt(c, &one, tag, &one, huge, NULL, 0, nonce),
                      SEALDB_ETOOBIG);
            CHECK_INT(sealdb_cipher_decrypt(c, &one, &one, 1, tag, &one, huge, nonce),
                      SEALDB_ETOOBIG);
            CHECK_INT(sealdb_cipher_encrypt(c, out, tag, NULL, 5, NULL, 0, nonce), SEALDB_EINVAL);
            CHECK_INT(sealdb_cipher_encrypt(c, out, NULL, msg, 5, NULL, 0, nonce), SEALDB_EINVAL);
            CHECK_INT(sealdb_cipher_decrypt(c, out, ct, 5, tag, NULL, 3, nonce), SEALDB_EINVAL);
            CHECK_INT(sealdb_cipher_decrypt(c, out, ct, 5, tag, ad, 3, NULL), SEALDB_EINVAL);
            if (check_failures != before) {
                CHECK_CONTEXT("%s on %s", sealdb_cipher_name(id), sealdb_backend_name(backends[b]));
            }
            sealdb_cipher_close(c);
        }
    }
    sealdb_cipher_close(NULL);
}

static void test_random(void)
{
    uint8_t a[64] = {0}, b[64] = {0};
    CHECK_INT(sealdb_random_bytes(a, sizeof a), SEALDB_OK);
    CHECK_INT(sealdb_random_bytes(b, sizeof b), SEALDB_OK);
    CHECK(memcmp(a, b, sizeof a) != 0);
    CHECK(!check_all_zero(a, sizeof a));
    CHECK_INT(sealdb_random_bytes(NULL, 0), SEALDB_OK);
    CHECK_INT(sealdb_random_bytes(NULL, 1), SEALDB_EINVAL);
}

int main(void)
{
    test_names();
    test_keys();
    test_backends();
    test_roundtrip_and_tamper();
    test_random();
    return check_report();
}
