/*
 * cipher.c - the public cipher API: names, sizes, keys, seal and open.
 *
 * A sealdb_cipher binds one cipher, one back end and one key. AEGIS keys sit
 * in locked memory and feed only the per-message initialisation (AEGIS has
 * no key schedule). AES-GCM keys are expanded once into two OpenSSL contexts
 * (one encrypting, one decrypting), and each message only sets its nonce, so
 * no page pays for a key schedule. Those contexts are why an object serves
 * one thread at a time.
 *
 * Invariants: a failed decryption leaves no plaintext in the output; the key
 * is wiped when the object is closed; error messages name lengths and
 * positions, never key bytes.
 */
#include <ctype.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"

static const cipher_desc descs[SEALDB_CIPHER_MAX + 1] = {
    [SEALDB_AES128GCM] = {SEALDB_AES128GCM, "aes128gcm", 16, 12, 0},
    [SEALDB_AES256GCM] = {SEALDB_AES256GCM, "aes256gcm", 32, 12, 0},
    [SEALDB_AEGIS256] = {SEALDB_AEGIS256, "aegis256", 32, 32, 1},
    [SEALDB_AEGIS256X2] = {SEALDB_AEGIS256X2, "aegis256x2", 32, 32, 1},
    [SEALDB_AEGIS256X4] = {SEALDB_AEGIS256X4, "aegis256x4", 32, 32, 1},
    [SEALDB_AEGIS128L] = {SEALDB_AEGIS128L, "aegis128l", 16, 16, 1},
    [SEALDB_AEGIS128X2] = {SEALDB_AEGIS128X2, "aegis128x2", 16, 16, 1},
    [SEALDB_AEGIS128X4] = {SEALDB_AEGIS128X4, "aegis128x4", 16, 16, 1},
};

/* Names in the order error messages list them. */
static const sealdb_cipher_id name_order[] = {
    SEALDB_AEGIS128L,  SEALDB_AEGIS128X2, SEALDB_AEGIS128X4, SEALDB_AEGIS256,
    SEALDB_AEGIS256X2, SEALDB_AEGIS256X4, SEALDB_AES128GCM,  SEALDB_AES256GCM,
};

#define AEGIS_MAX_BYTES ((UINT64_C(1) << 61) - 1)
#define GCM_MAX_MSG_BYTES ((UINT64_C(1) << 36) - 32)
#define GCM_CHUNK (1 << 30)

struct sealdb_cipher {
    const cipher_desc *desc;
    sealdb_backend backend;
    const aegis_impl *aegis; /* AEGIS ciphers only */
    uint8_t *key;            /* AEGIS: key_bytes of locked memory */
    EVP_CIPHER_CTX *enc;     /* AES-GCM only: key expanded once */
    EVP_CIPHER_CTX *dec;
};

int error_set(sealdb_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *sealdb_strerror(int code)
{
    switch (code) {
    case SEALDB_OK: return "ok";
    case SEALDB_EINVAL: return "invalid argument";
    case SEALDB_ENOMEM: return "out of memory";
    case SEALDB_ECIPHER: return "unknown cipher";
    case SEALDB_EKEYLEN: return "key has the wrong length for the cipher";
    case SEALDB_EHEX: return "key is not valid hexadecimal";
    case SEALDB_EAUTH: return "authentication failed: wrong key or tampered data";
    case SEALDB_EBACKEND: return "cipher back end not available on this machine";
    case SEALDB_ETOOBIG: return "input too long for the cipher";
    case SEALDB_ECRYPTO: return "crypto library failure";
    case SEALDB_EWRONGKEY: return "wrong key for this database";
    case SEALDB_ECORRUPT: return "page failed authentication: damaged or tampered";
    case SEALDB_ENOTSEALED: return "not a sealed database (a plain SQLite file)";
    case SEALDB_EFORMAT: return "not a database sealdb can open";
    case SEALDB_EMISMATCH: return "cipher differs from the database's cipher";
    case SEALDB_EKEYSLOTS: return "key-slot file missing, damaged or full";
    case SEALDB_EIO: return "input/output error";
    case SEALDB_EBUSY: return "database in use";
    case SEALDB_EKEYFILE: return "key file or key variable unusable";
    case SEALDB_ECONFLICT: return "conflict with a concurrent transaction";
    case SEALDB_ECONSTRAINT: return "constraint failed";
    case SEALDB_ENOTFOUND: return "not found";
    case SEALDB_EUNSUPPORTED: return "not supported by the native engine";
    case SEALDB_EREADONLY: return "write in a read-only transaction";
    default: return "unknown error";
    }
}

const cipher_desc *cipher_desc_of(sealdb_cipher_id id)
{
    if ((int)id < SEALDB_CIPHER_MIN || (int)id > SEALDB_CIPHER_MAX) {
        return NULL;
    }
    return &descs[id];
}

const char *sealdb_cipher_name(sealdb_cipher_id id)
{
    const cipher_desc *d = cipher_desc_of(id);
    return d ? d->name : NULL;
}

size_t sealdb_cipher_key_bytes(sealdb_cipher_id id)
{
    const cipher_desc *d = cipher_desc_of(id);
    return d ? d->key_bytes : 0;
}

size_t sealdb_cipher_nonce_bytes(sealdb_cipher_id id)
{
    const cipher_desc *d = cipher_desc_of(id);
    return d ? d->nonce_bytes : 0;
}

size_t sealdb_cipher_tag_bytes(sealdb_cipher_id id)
{
    return cipher_desc_of(id) ? SEALDB_TAG_BYTES : 0;
}

/* Writes up to cap-1 printable characters of s (quoted in messages). */
static void printable_copy(char *dst, size_t cap, const char *s)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++) {
        dst[n++] = isprint((unsigned char)*s) ? *s : '?';
    }
    dst[n] = '\0';
}

int sealdb_cipher_lookup(const char *name, sealdb_cipher_id *id, sealdb_error *err)
{
    if (!name || !id) {
        return error_set(err, SEALDB_EINVAL, "cipher name and id must not be NULL");
    }
    /* Canonical form: lower case, separators dropped, whitespace trimmed. */
    char canon[24];
    size_t n = 0, len = strlen(name);
    const char *p = name, *end = name + len;
    while (p < end && isspace((unsigned char)*p)) {
        p++;
    }
    while (end > p && isspace((unsigned char)end[-1])) {
        end--;
    }
    int too_long = 0;
    for (; p < end; p++) {
        if (*p == '-' || *p == '_') {
            continue;
        }
        if (n + 1 >= sizeof canon) {
            too_long = 1;
            break;
        }
        canon[n++] = (char)tolower((unsigned char)*p);
    }
    canon[n] = '\0';
    for (int i = SEALDB_CIPHER_MIN; !too_long && n && i <= SEALDB_CIPHER_MAX; i++) {
        if (strcmp(canon, descs[i].name) == 0) {
            *id = (sealdb_cipher_id)i;
            return SEALDB_OK;
        }
    }
    char shown[48];
    printable_copy(shown, sizeof shown, name);
    char list[160] = "";
    for (size_t i = 0; i < sizeof name_order / sizeof name_order[0]; i++) {
        strcat(list, i ? ", " : "");
        strcat(list, descs[name_order[i]].name);
    }
    return error_set(err, SEALDB_ECIPHER, "unknown cipher '%s'; expected one of %s", shown, list);
}

const char *sealdb_backend_name(sealdb_backend backend)
{
    switch (backend) {
    case SEALDB_BACKEND_AUTO: return "auto";
    case SEALDB_BACKEND_PORTABLE: return "portable";
    case SEALDB_BACKEND_AESNI: return "aesni";
    case SEALDB_BACKEND_VAES: return "vaes";
    case SEALDB_BACKEND_OPENSSL: return "openssl";
    default: return NULL;
    }
}

/* ---- AEGIS dispatch ------------------------------------------------------ */

/* The fastest implementation of a cipher on a given hardware back end. */
static const aegis_impl *hardware_impl(sealdb_cipher_id id, sealdb_backend backend)
{
    const unsigned f = cpu_features();
    if (backend == SEALDB_BACKEND_VAES) {
        if ((f & CPU_VAES512) && aegis_vaes512_impl(id)) {
            return aegis_vaes512_impl(id);
        }
        return (f & CPU_VAES256) ? aegis_vaes_impl(id) : NULL;
    }
    if (backend == SEALDB_BACKEND_AESNI) {
        if (f & CPU_AVX512VL) {
            return aegis_aesni512_impl(id);
        }
        return (f & CPU_AESNI) ? aegis_aesni_impl(id) : NULL;
    }
    return NULL;
}

static pthread_once_t auto_once = PTHREAD_ONCE_INIT;
static const aegis_impl *auto_table[SEALDB_CIPHER_MAX + 1];

/* Picks, once, the implementation AUTO stands for. The order of preference
 * comes from bench/ measurements: VAES for the X variants (one instruction
 * per two or four lanes), then AES-NI, then portable C. */
static void choose_auto(void)
{
    const char *force = getenv("SEALDB_AEGIS_BACKEND");
    const int portable = force && strcmp(force, "portable") == 0;
    for (int i = SEALDB_CIPHER_MIN; i <= SEALDB_CIPHER_MAX; i++) {
        const sealdb_cipher_id id = (sealdb_cipher_id)i;
        if (!descs[i].is_aegis) {
            continue;
        }
        const aegis_impl *impl = NULL;
        if (!portable) {
            impl = hardware_impl(id, SEALDB_BACKEND_VAES);
            if (!impl) {
                impl = hardware_impl(id, SEALDB_BACKEND_AESNI);
            }
        }
        auto_table[i] = impl ? impl : aegis_soft_impl(id);
    }
}

const aegis_impl *aegis_impl_get(sealdb_cipher_id id, sealdb_backend backend)
{
    const cipher_desc *d = cipher_desc_of(id);
    if (!d || !d->is_aegis) {
        return NULL;
    }
    switch (backend) {
    case SEALDB_BACKEND_AUTO: pthread_once(&auto_once, choose_auto); return auto_table[id];
    case SEALDB_BACKEND_PORTABLE: return aegis_soft_impl(id);
    case SEALDB_BACKEND_AESNI:
    case SEALDB_BACKEND_VAES: return hardware_impl(id, backend);
    default: return NULL;
    }
}

int sealdb_backend_available(sealdb_cipher_id id, sealdb_backend backend)
{
    const cipher_desc *d = cipher_desc_of(id);
    if (!d) {
        return 0;
    }
    if (!d->is_aegis) {
        return backend == SEALDB_BACKEND_AUTO || backend == SEALDB_BACKEND_OPENSSL;
    }
    return aegis_impl_get(id, backend) != NULL;
}

/* ---- objects --------------------------------------------------------------- */

static EVP_CIPHER_CTX *gcm_context(sealdb_cipher_id id, const uint8_t *key, int encrypt)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    const EVP_CIPHER *type = id == SEALDB_AES128GCM ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
    if (ctx && EVP_CipherInit_ex(ctx, type, NULL, key, NULL, encrypt) == 1) {
        return ctx;
    }
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
}

int sealdb_cipher_open(sealdb_cipher **out, sealdb_cipher_id id, sealdb_backend backend,
                       const void *key, size_t key_len, sealdb_error *err)
{
    if (!out) {
        return error_set(err, SEALDB_EINVAL, "output pointer must not be NULL");
    }
    *out = NULL;
    const cipher_desc *d = cipher_desc_of(id);
    if (!d) {
        return error_set(err, SEALDB_ECIPHER, "unknown cipher id %d; expected 1 to 8", (int)id);
    }
    if (!key) {
        return error_set(err, SEALDB_EINVAL, "key must not be NULL");
    }
    if (key_len != d->key_bytes) {
        return error_set(err, SEALDB_EKEYLEN, "key is %zu bytes; %s expects %u bytes", key_len,
                         d->name, (unsigned)d->key_bytes);
    }
    if (crypto_init() != 0) {
        return error_set(err, SEALDB_ECRYPTO, "the OS random source cannot be used");
    }
    const aegis_impl *impl = NULL;
    if (d->is_aegis) {
        impl = aegis_impl_get(id, backend);
        if (!impl) {
            const char *bn = sealdb_backend_name(backend);
            return error_set(err, SEALDB_EBACKEND,
                             "back end '%s' cannot run %s on this machine; use auto", bn ? bn : "?",
                             d->name);
        }
    } else if (backend != SEALDB_BACKEND_AUTO && backend != SEALDB_BACKEND_OPENSSL) {
        const char *bn = sealdb_backend_name(backend);
        return error_set(err, SEALDB_EBACKEND, "back end '%s' cannot run %s; use auto or openssl",
                         bn ? bn : "?", d->name);
    }
    sealdb_cipher *c = calloc(1, sizeof *c);
    if (!c) {
        return error_set(err, SEALDB_ENOMEM, "out of memory for the cipher object");
    }
    c->desc = d;
    if (impl) {
        c->aegis = impl;
        c->backend = impl->backend;
        c->key = crypto_secure_alloc(d->key_bytes);
        if (!c->key) {
            free(c);
            return error_set(err, SEALDB_ENOMEM, "no locked memory for the key");
        }
        memcpy(c->key, key, d->key_bytes);
        *out = c;
        return SEALDB_OK;
    }
    c->backend = SEALDB_BACKEND_OPENSSL;
    c->enc = gcm_context(id, key, 1);
    c->dec = gcm_context(id, key, 0);
    if (!c->enc || !c->dec) {
        sealdb_cipher_close(c);
        return error_set(err, SEALDB_ECRYPTO, "OpenSSL could not set up %s", d->name);
    }
    *out = c;
    return SEALDB_OK;
}

int sealdb_cipher_open_hex(sealdb_cipher **out, sealdb_cipher_id id, sealdb_backend backend,
                           const char *hex, sealdb_error *err)
{
    if (!out) {
        return error_set(err, SEALDB_EINVAL, "output pointer must not be NULL");
    }
    *out = NULL;
    const cipher_desc *d = cipher_desc_of(id);
    if (!d) {
        return error_set(err, SEALDB_ECIPHER, "unknown cipher id %d; expected 1 to 8", (int)id);
    }
    if (!hex) {
        return error_set(err, SEALDB_EINVAL, "hex key must not be NULL");
    }
    uint8_t *key = crypto_secure_alloc(SEALDB_MAX_KEY_BYTES);
    if (!key) {
        return error_set(err, SEALDB_ENOMEM, "no locked memory for the key");
    }
    size_t len = 0, bad = 0;
    int rc = crypto_hex_decode(key, SEALDB_MAX_KEY_BYTES, &len, hex, &bad);
    if (rc == SEALDB_EHEX && bad == SIZE_MAX) {
        rc = error_set(err, rc, "hex key has an odd number of digits (%zu); %s expects %u",
                       2 * len + 1, d->name, 2u * d->key_bytes);
    } else if (rc == SEALDB_EHEX) {
        rc = error_set(err, rc,
                       "hex key has a character that is not a hex digit at position %zu "
                       "(expected 0-9, a-f or A-F)",
                       bad);
    } else if (len != d->key_bytes) {
        rc = error_set(err, SEALDB_EKEYLEN, "hex key has %zu digits; %s expects %u (%u bytes)",
                       2 * len, d->name, 2u * d->key_bytes, (unsigned)d->key_bytes);
    } else {
        rc = sealdb_cipher_open(out, id, backend, key, len, err);
    }
    crypto_secure_free(key);
    return rc;
}

void sealdb_cipher_close(sealdb_cipher *c)
{
    if (!c) {
        return;
    }
    crypto_secure_free(c->key);
    EVP_CIPHER_CTX_free(c->enc); /* OpenSSL cleanses the expanded key */
    EVP_CIPHER_CTX_free(c->dec);
    crypto_wipe(c, sizeof *c);
    free(c);
}

sealdb_cipher_id sealdb_cipher_id_of(const sealdb_cipher *c)
{
    return c->desc->id;
}

sealdb_backend sealdb_cipher_backend(const sealdb_cipher *c)
{
    return c->backend;
}

/* ---- sealing ---------------------------------------------------------------- */

/* Feeds len bytes through an OpenSSL context in int-sized pieces. */
static int gcm_update(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, size_t len)
{
    while (len) {
        const int piece = len > GCM_CHUNK ? GCM_CHUNK : (int)len;
        int outl = 0;
        if (EVP_CipherUpdate(ctx, out, &outl, in, piece) != 1) {
            return -1;
        }
        if (out) {
            out += piece;
        }
        in += piece;
        len -= (size_t)piece;
    }
    return 0;
}

static int check_lengths(const sealdb_cipher *c, size_t len, size_t ad_len)
{
    const uint64_t max_msg = c->aegis ? AEGIS_MAX_BYTES : GCM_MAX_MSG_BYTES;
    if ((uint64_t)len > max_msg || (uint64_t)ad_len > AEGIS_MAX_BYTES) {
        return SEALDB_ETOOBIG;
    }
    return SEALDB_OK;
}

int sealdb_cipher_encrypt(sealdb_cipher *c, void *out, uint8_t *tag, const void *in, size_t len,
                          const void *ad, size_t ad_len, const uint8_t *nonce)
{
    if (!c || !tag || !nonce || (len && (!in || !out)) || (ad_len && !ad)) {
        return SEALDB_EINVAL;
    }
    if (check_lengths(c, len, ad_len) != SEALDB_OK) {
        return SEALDB_ETOOBIG;
    }
    if (c->aegis) {
        c->aegis->encrypt(out, tag, SEALDB_TAG_BYTES, in, len, ad, ad_len, nonce, c->key);
        return SEALDB_OK;
    }
    EVP_CIPHER_CTX *ctx = c->enc;
    uint8_t fin[16]; /* GCM's final step produces no bytes */
    int outl = 0;
    if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, 1) != 1 ||
        gcm_update(ctx, NULL, ad, ad_len) != 0 || gcm_update(ctx, out, in, len) != 0 ||
        EVP_CipherFinal_ex(ctx, fin, &outl) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, SEALDB_TAG_BYTES, tag) != 1) {
        crypto_wipe(out, len);
        return SEALDB_ECRYPTO;
    }
    return SEALDB_OK;
}

int sealdb_cipher_decrypt(sealdb_cipher *c, void *out, const void *in, size_t len,
                          const uint8_t *tag, const void *ad, size_t ad_len, const uint8_t *nonce)
{
    if (!c || !tag || !nonce || (len && (!in || !out)) || (ad_len && !ad)) {
        return SEALDB_EINVAL;
    }
    if (check_lengths(c, len, ad_len) != SEALDB_OK) {
        return SEALDB_ETOOBIG;
    }
    if (c->aegis) {
        return c->aegis->decrypt(out, in, len, tag, SEALDB_TAG_BYTES, ad, ad_len, nonce, c->key)
                   ? SEALDB_EAUTH
                   : SEALDB_OK;
    }
    EVP_CIPHER_CTX *ctx = c->dec;
    uint8_t fin[16];
    int outl = 0;
    uint8_t tag_copy[SEALDB_TAG_BYTES];
    memcpy(tag_copy, tag, sizeof tag_copy);
    if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, 0) != 1 ||
        gcm_update(ctx, NULL, ad, ad_len) != 0 || gcm_update(ctx, out, in, len) != 0 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, SEALDB_TAG_BYTES, tag_copy) != 1) {
        crypto_wipe(out, len);
        return SEALDB_ECRYPTO;
    }
    if (EVP_CipherFinal_ex(ctx, fin, &outl) != 1) {
        crypto_wipe(out, len);
        return SEALDB_EAUTH;
    }
    return SEALDB_OK;
}
