/*
 * sqlite_open.c - sealdb_sqlite_open: a sealed sqlite3 connection in one
 * call.
 *
 * It checks the caller's cipher and key with exact messages, hands the key
 * to the VFS through an in-memory reference (so the key is never URI text in
 * SQLite's heap), opens the file through the "sealdb" VFS and reads page 1,
 * so that a wrong key or a foreign file fails here and not at the first
 * query.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "engine.h"

/* "file:" + path with the URI's special characters escaped. */
static char *path_uri(const char *path)
{
    const size_t n = strlen(path);
    char *uri = malloc(5 + 3 * n + 1);
    if (!uri) {
        return NULL;
    }
    char *o = uri;
    memcpy(o, "file:", 5);
    o += 5;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (*p == '?' || *p == '#' || *p == '%' || *p < 0x20 || *p >= 0x7f) {
            o += sprintf(o, "%%%02X", *p);
        } else {
            *o++ = (char)*p;
        }
    }
    *o = '\0';
    return uri;
}

static int sealed_error_code(int rc)
{
    switch (rc) {
    case SQLITE_NOMEM: return SEALDB_ENOMEM;
    case SQLITE_CORRUPT: return SEALDB_ECORRUPT;
    default: return SEALDB_EFORMAT;
    }
}

int sealdb_sqlite_open(const char *path, const sealdb_sqlite_config *cfg, struct sqlite3 **db,
                       sealdb_error *err)
{
    if (!db) {
        return error_set(err, SEALDB_EINVAL, "db must not be NULL");
    }
    *db = NULL;
    if (!path || !cfg) {
        return error_set(err, SEALDB_EINVAL, "path and cfg must not be NULL");
    }
    if (!cfg->key == !cfg->hexkey) {
        return error_set(err, SEALDB_EINVAL, "give exactly one of key and hexkey");
    }
    sealdb_cipher_id cipher = 0;
    int rc;
    if (cfg->cipher && (rc = sealdb_cipher_lookup(cfg->cipher, &cipher, err)) != SEALDB_OK) {
        return rc;
    }
    if (cfg->layout != SEALDB_LAYOUT_DEFAULT && !sealdb_layout_name(cfg->layout)) {
        return error_set(err, SEALDB_EINVAL, "unknown layout %d", (int)cfg->layout);
    }
    uint8_t *key = crypto_secure_alloc(SEALDB_MAX_KEY_BYTES);
    if (!key) {
        return error_set(err, SEALDB_ENOMEM, "no locked memory for the key");
    }
    size_t key_len = 0, bad = 0;
    if (cfg->hexkey) {
        if (crypto_hex_decode(key, SEALDB_MAX_KEY_BYTES, &key_len, cfg->hexkey, &bad) !=
            SEALDB_OK) {
            crypto_secure_free(key);
            return bad == SIZE_MAX
                       ? error_set(err, SEALDB_EHEX, "hex key has an odd number of digits")
                       : error_set(err, SEALDB_EHEX,
                                   "hex key has a character that is not a hex digit "
                                   "at position %zu (expected 0-9, a-f or A-F)",
                                   bad);
        }
    } else if (cfg->key_len <= SEALDB_MAX_KEY_BYTES) {
        memcpy(key, cfg->key, cfg->key_len);
        key_len = cfg->key_len;
    } else {
        key_len = cfg->key_len;
    }
    const size_t want = cipher ? sealdb_cipher_key_bytes(cipher) : 0;
    if ((want && key_len != want) || (!want && key_len != 16 && key_len != 32)) {
        crypto_secure_free(key);
        if (want) {
            return error_set(err, SEALDB_EKEYLEN, "key is %zu bytes; %s expects %zu bytes", key_len,
                             sealdb_cipher_name(cipher), want);
        }
        return error_set(err, SEALDB_EKEYLEN, "key is %zu bytes; expected 16 or 32", key_len);
    }
    if (sealdb_vfs_register(0) != SEALDB_OK) {
        crypto_secure_free(key);
        return error_set(err, SEALDB_ENOMEM, "could not register the sealdb VFS");
    }
    char id[33];
    rc = keyref_add(key, key_len, id);
    crypto_secure_free(key);
    if (rc != SEALDB_OK) {
        return error_set(err, rc, "no memory to hand over the key");
    }
    char *base = path_uri(path);
    char *uri = base ? sqlite3_mprintf(
                           "%s?vfs=sealdb&keyref=%s%s%s%s%s", base, id, cipher ? "&cipher=" : "",
                           cipher ? sealdb_cipher_name(cipher) : "", cfg->layout ? "&layout=" : "",
                           cfg->layout ? sealdb_layout_name(cfg->layout) : "")
                     : NULL;
    free(base);
    if (!uri) {
        keyref_drop(id);
        return error_set(err, SEALDB_ENOMEM, "out of memory");
    }
    sqlite3 *conn = NULL;
    vfs_clear_last_error();
    const int flags =
        (cfg->flags ? cfg->flags : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_URI;
    rc = sqlite3_open_v2(uri, &conn, flags, "sealdb");
    sqlite3_free(uri);
    keyref_drop(id); /* normally already taken by the VFS */
    const char *msg = NULL;
    if (rc == SQLITE_OK) {
        /* read page 1 now: a wrong key or foreign file fails here */
        rc = sqlite3_exec(conn, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        int code = conn ? vfs_last_error(conn, "main", &msg) : SEALDB_OK;
        if (code == SEALDB_OK) {
            code = vfs_last_error(NULL, NULL, &msg);
        }
        if (code == SEALDB_OK) {
            code = sealed_error_code(rc);
            msg = conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc);
        }
        error_set(err, code, "cannot open %s: %s", path, msg);
        sqlite3_close(conn);
        return code;
    }
    *db = conn;
    return SEALDB_OK;
}
