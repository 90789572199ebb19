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

int cred_from_config(credential *c, const sealdb_sqlite_config *cfg, sealdb_error *err)
{
    memset(c, 0, sizeof *c);
    const int sources =
        !!cfg->key + !!cfg->hexkey + !!cfg->keyfile + !!cfg->keyenv + !!cfg->passphrase;
    if (sources != 1) {
        return error_set(err, SEALDB_EINVAL,
                         "give exactly one key source (key, hexkey, keyfile, keyenv or "
                         "passphrase); %d given",
                         sources);
    }
    int rc;
    if (cfg->key) {
        rc = cred_from_bytes(c, cfg->key, cfg->key_len, err);
    } else if (cfg->hexkey) {
        rc = cred_from_hex(c, cfg->hexkey, err);
    } else if (cfg->keyfile) {
        rc = cred_from_keyfile(c, cfg->keyfile, err);
    } else if (cfg->keyenv) {
        rc = cred_from_env(c, cfg->keyenv, err);
    } else {
        rc = cred_from_passphrase(c, cfg->passphrase, strlen(cfg->passphrase), err);
    }
    if (rc == SEALDB_OK && (cfg->kdf_ops || cfg->kdf_mem_kib)) {
        rc = c->kind == CRED_PASSPHRASE
                 ? cred_set_kdf(c, cfg->kdf_ops, cfg->kdf_mem_kib, err)
                 : error_set(err, SEALDB_EINVAL, "kdf_ops and kdf_mem_kib apply to passphrases");
        if (rc != SEALDB_OK) {
            cred_free(c);
        }
    }
    return rc;
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
    credential cred;
    int rc = cred_from_config(&cred, cfg, err);
    if (rc != SEALDB_OK) {
        return rc;
    }
    sealdb_cipher_id cipher = 0;
    if (cfg->cipher && (rc = sealdb_cipher_lookup(cfg->cipher, &cipher, err)) != SEALDB_OK) {
        cred_free(&cred);
        return rc;
    }
    if (cfg->layout != SEALDB_LAYOUT_DEFAULT && !sealdb_layout_name(cfg->layout)) {
        cred_free(&cred);
        return error_set(err, SEALDB_EINVAL, "unknown layout %d", (int)cfg->layout);
    }
    const size_t want = cipher ? sealdb_cipher_key_bytes(cipher) : 0;
    if (cred.kind == CRED_KEY && want && cred.len != want) {
        const size_t have = cred.len;
        cred_free(&cred);
        return error_set(err, SEALDB_EKEYLEN, "key is %zu bytes; %s expects %zu bytes", have,
                         sealdb_cipher_name(cipher), want);
    }
    if (sealdb_vfs_register(0) != SEALDB_OK) {
        cred_free(&cred);
        return error_set(err, SEALDB_ENOMEM, "could not register the sealdb VFS");
    }
    char id[33];
    rc = keyref_add(&cred, cfg->keyslots, id);
    cred_free(&cred);
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
