/*
 * json.c - the tests' JSON reader (see json.h).
 */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    const char *p, *end;
    int failed;
} parser;

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) {
        fprintf(stderr, "json: out of memory\n");
        abort();
    }
    return p;
}

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t')) {
        ps->p++;
    }
}

static json *parse_value(parser *ps);

static void put_utf8(char *out, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xc0 | (cp >> 6));
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        out[(*n)++] = (char)(0xe0 | (cp >> 12));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[(*n)++] = (char)(0x80 | (cp & 0x3f));
    }
}

static char *parse_string(parser *ps)
{
    if (ps->p >= ps->end || *ps->p != '"') {
        ps->failed = 1;
        return NULL;
    }
    ps->p++;
    const char *start = ps->p;
    while (ps->p < ps->end && *ps->p != '"') {
        ps->p += (*ps->p == '\\') ? 2 : 1;
    }
    if (ps->p >= ps->end) {
        ps->failed = 1;
        return NULL;
    }
    char *out = xcalloc((size_t)(ps->p - start) + 1, 1);
    size_t n = 0;
    for (const char *s = start; s < ps->p; s++) {
        if (*s != '\\') {
            out[n++] = *s;
            continue;
        }
        s++;
        switch (*s) {
        case 'n': out[n++] = '\n'; break;
        case 't': out[n++] = '\t'; break;
        case 'r': out[n++] = '\r'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'u': {
            unsigned cp = 0;
            if (ps->p - s < 5 || sscanf(s + 1, "%4x", &cp) != 1) {
                ps->failed = 1;
                free(out);
                return NULL;
            }
            put_utf8(out, &n, cp);
            s += 4;
            break;
        }
        default: out[n++] = *s; break;
        }
    }
    out[n] = '\0';
    ps->p++;
    return out;
}

static json *parse_container(parser *ps, int object)
{
    json *j = xcalloc(1, sizeof *j);
    j->type = object ? JSON_OBJECT : JSON_ARRAY;
    size_t cap = 0;
    ps->p++;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
        ps->p++;
        return j;
    }
    for (;;) {
        char *key = NULL;
        skip_ws(ps);
        if (object) {
            key = parse_string(ps);
            skip_ws(ps);
            if (ps->failed || ps->p >= ps->end || *ps->p != ':') {
                ps->failed = 1;
                free(key);
                return j;
            }
            ps->p++;
        }
        json *v = parse_value(ps);
        if (j->count == cap) {
            cap = cap ? 2 * cap : 8;
            j->items = realloc(j->items, cap * sizeof *j->items);
            j->keys = object ? realloc(j->keys, cap * sizeof *j->keys) : NULL;
            if (!j->items || (object && !j->keys)) {
                abort();
            }
        }
        j->items[j->count] = v;
        if (object) {
            j->keys[j->count] = key;
        }
        j->count++;
        if (ps->failed) {
            return j;
        }
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ',') {
            ps->p++;
            continue;
        }
        if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
            ps->p++;
            return j;
        }
        ps->failed = 1;
        return j;
    }
}

static json *parse_value(parser *ps)
{
    skip_ws(ps);
    if (ps->p >= ps->end) {
        ps->failed = 1;
        return xcalloc(1, sizeof(json));
    }
    const char c = *ps->p;
    if (c == '{' || c == '[') {
        return parse_container(ps, c == '{');
    }
    json *j = xcalloc(1, sizeof *j);
    if (c == '"') {
        j->type = JSON_STRING;
        j->string = parse_string(ps);
    } else if (strncmp(ps->p, "true", 4) == 0 || strncmp(ps->p, "false", 5) == 0) {
        j->type = JSON_BOOL;
        j->boolean = c == 't';
        ps->p += j->boolean ? 4 : 5;
    } else if (strncmp(ps->p, "null", 4) == 0) {
        j->type = JSON_NULL;
        ps->p += 4;
    } else {
        char *endp = NULL;
        j->type = JSON_NUMBER;
        j->number = strtod(ps->p, &endp);
        if (endp == ps->p) {
            ps->failed = 1;
        }
        ps->p = endp;
    }
    return j;
}

json *json_parse_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "json: cannot open %s\n", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = xcalloc((size_t)size + 1, 1);
    const size_t got = fread(buf, 1, (size_t)size, f);
    fclose(f);
    parser ps = {buf, buf + got, 0};
    json *j = parse_value(&ps);
    free(buf);
    if (ps.failed) {
        fprintf(stderr, "json: %s is not valid JSON\n", path);
        json_free(j);
        return NULL;
    }
    return j;
}

const json *json_get(const json *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT) {
        return NULL;
    }
    for (size_t i = 0; i < obj->count; i++) {
        if (obj->keys[i] && strcmp(obj->keys[i], key) == 0) {
            return obj->items[i];
        }
    }
    return NULL;
}

const char *json_get_string(const json *obj, const char *key)
{
    const json *v = json_get(obj, key);
    return v && v->type == JSON_STRING ? v->string : NULL;
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

uint8_t *json_hex(const char *hex, size_t *len)
{
    const size_t n = strlen(hex);
    if (n % 2) {
        fprintf(stderr, "json: odd-length hex string\n");
        abort();
    }
    uint8_t *out = xcalloc(n / 2 + 1, 1);
    for (size_t i = 0; i < n / 2; i++) {
        const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            fprintf(stderr, "json: bad hex digit\n");
            abort();
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return out;
}

void json_free(json *j)
{
    if (!j) {
        return;
    }
    for (size_t i = 0; i < j->count; i++) {
        json_free(j->items[i]);
        if (j->keys) {
            free(j->keys[i]);
        }
    }
    free(j->items);
    free(j->keys);
    free(j->string);
    free(j);
}
