/*
 * interop.c - canonical query text, manifests and WAL frame counts for the
 * interop programs (interop.h describes the forms).
 *
 * The canonical encoding must stay byte-identical to canonValue() in
 * interop_common.mjs: the C programs and the Node scripts compare each
 * other's files with a plain string comparison.
 */
#include "interop.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DIFF_SHOWN 160 /* characters of a differing line that are printed */

void interop_text_add(interop_text *t, const void *p, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 4096;
        while (cap < t->len + n + 1) {
            cap *= 2;
        }
        char *d = realloc(t->data, cap);
        if (!d) {
            fprintf(stderr, "out of memory\n");
            abort();
        }
        t->data = d;
        t->cap = cap;
    }
    memcpy(t->data + t->len, p, n);
    t->len += n;
    t->data[t->len] = '\0';
}

void interop_text_free(interop_text *t)
{
    free(t->data);
    *t = (interop_text){0};
}

static void add_str(interop_text *t, const char *s)
{
    interop_text_add(t, s, strlen(s));
}

static void add_hex(interop_text *t, const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char buf[256];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        buf[k++] = digits[p[i] >> 4];
        buf[k++] = digits[p[i] & 15];
        if (k == sizeof buf) {
            interop_text_add(t, buf, k);
            k = 0;
        }
    }
    interop_text_add(t, buf, k);
}

/* One value in canonical form, by its storage class. */
static void add_value(interop_text *t, sqlite3_stmt *st, int col)
{
    char buf[32];
    switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL: add_str(t, "n"); break;
    case SQLITE_INTEGER:
        snprintf(buf, sizeof buf, "i%lld", (long long)sqlite3_column_int64(st, col));
        add_str(t, buf);
        break;
    case SQLITE_FLOAT: {
        const double d = sqlite3_column_double(st, col);
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        snprintf(buf, sizeof buf, "r%016llx", (unsigned long long)bits);
        add_str(t, buf);
        break;
    }
    case SQLITE_TEXT: {
        const unsigned char *s = sqlite3_column_text(st, col);
        add_str(t, "t");
        add_hex(t, s, (size_t)sqlite3_column_bytes(st, col));
        break;
    }
    default: {
        const unsigned char *b = sqlite3_column_blob(st, col);
        add_str(t, "b");
        add_hex(t, b, (size_t)sqlite3_column_bytes(st, col));
        break;
    }
    }
}

int interop_canon_query(sqlite3 *db, const char *sql, interop_text *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "prepare failed (%s): %s\n", sql, sqlite3_errmsg(db));
        return rc;
    }
    add_str(out, "@ ");
    add_str(out, sql);
    add_str(out, "\n");
    const int ncol = sqlite3_column_count(st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int c = 0; c < ncol; c++) {
            if (c) {
                add_str(out, ",");
            }
            add_value(out, st, c);
        }
        add_str(out, "\n");
    }
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "query failed (%s): %s\n", sql, sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return rc;
    }
    return sqlite3_finalize(st);
}

int interop_canon_replay(sqlite3 *db, const char *expected, interop_text *out)
{
    for (const char *line = expected; *line;) {
        const char *end = strchr(line, '\n');
        const size_t n = end ? (size_t)(end - line) : strlen(line);
        if (n > 2 && line[0] == '@' && line[1] == ' ') {
            char *sql = sqlite3_mprintf("%.*s", (int)(n - 2), line + 2);
            if (!sql) {
                return SQLITE_NOMEM;
            }
            const int rc = interop_canon_query(db, sql, out);
            sqlite3_free(sql);
            if (rc != SQLITE_OK) {
                return rc;
            }
        }
        line += n + (end != NULL);
    }
    return SQLITE_OK;
}

static void print_line(const char *what, const char *line)
{
    const size_t n = strcspn(line, "\n");
    fprintf(stderr, "  %s (%zu chars): %.*s%s\n", what, n, (int)(n < DIFF_SHOWN ? n : DIFF_SHOWN),
            line, n > DIFF_SHOWN ? "..." : "");
}

int interop_canon_equal(const char *label, const char *got, const char *want)
{
    const char *g = got, *w = want, *query = NULL;
    long lineno = 1;
    while (*g || *w) {
        const size_t gn = strcspn(g, "\n"), wn = strcspn(w, "\n");
        if (gn != wn || memcmp(g, w, gn) != 0 || (g[gn] == '\0') != (w[wn] == '\0')) {
            fprintf(stderr, "%s: canonical rows differ at line %ld%s%.*s\n", label, lineno,
                    query ? ", in the result of " : "", query ? (int)strcspn(query, "\n") : 0,
                    query ? query : "");
            print_line("got     ", *g ? g : "(end of result)");
            print_line("expected", *w ? w : "(end of result)");
            return 0;
        }
        if (w[0] == '@') {
            query = w + 2;
        }
        g += gn + (g[gn] != '\0');
        w += wn + (w[wn] != '\0');
        lineno++;
    }
    return 1;
}

char *interop_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    interop_text t = {0};
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        interop_text_add(&t, buf, n);
    }
    const int bad = ferror(f);
    fclose(f);
    if (bad) {
        perror(path);
        interop_text_free(&t);
        return NULL;
    }
    interop_text_add(&t, "", 0);
    if (len) {
        *len = t.len;
    }
    return t.data;
}

int interop_write_file(const char *path, const void *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

int interop_manifest_next(FILE *f, const char *dir, interop_entry *e)
{
    char line[8192], db[2048], canon[2048];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0') {
            continue;
        }
        if (sscanf(line, "%15s %15s %79s %2047s %2047s", e->layout, e->cipher, e->hexkey, db,
                   canon) != 5) {
            fprintf(stderr, "malformed manifest line: %s", line);
            return -1;
        }
        snprintf(e->db, sizeof e->db, "%s/%s", dir, db);
        snprintf(e->canon, sizeof e->canon, "%s/%s", dir, canon);
        return 1;
    }
    return 0;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int interop_wal_count(const char *db_path, interop_wal *w)
{
    *w = (interop_wal){.size = -1};
    char path[4200];
    snprintf(path, sizeof path, "%s-wal", db_path);
    struct stat sb;
    if (stat(path, &sb) != 0) {
        return 0;
    }
    w->size = (long long)sb.st_size;
    if (sb.st_size < 32) {
        return 0;
    }
    size_t len = 0;
    unsigned char *wal = (unsigned char *)interop_read_file(path, &len);
    if (!wal) {
        return -1;
    }
    w->page_size = be32(wal + 8);
    const size_t frame = 24 + (size_t)w->page_size;
    for (size_t off = 32; w->page_size >= 512 && off + frame <= len; off += frame) {
        if (memcmp(wal + off + 8, wal + 16, 8) != 0) {
            break; /* salts differ: a leftover from an earlier WAL generation */
        }
        w->frames++;
        w->commits += be32(wal + off + 4) != 0;
    }
    free(wal);
    return 0;
}
