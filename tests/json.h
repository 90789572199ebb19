/*
 * json.h - a small JSON reader for the tests' vector files.
 *
 * Parses a whole document into a tree. Strings are decoded (escapes,
 * \u sequences to UTF-8). Numbers are doubles. Enough for test data, not a
 * general-purpose parser: no streaming, documents up to a few megabytes.
 */
#ifndef SEALDB_TEST_JSON_H
#define SEALDB_TEST_JSON_H

#include <stddef.h>
#include <stdint.h>

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json {
    json_type type;
    int boolean;
    double number;
    char *string;        /* JSON_STRING: NUL-terminated */
    size_t count;        /* JSON_ARRAY / JSON_OBJECT: number of items */
    struct json **items; /* the items */
    char **keys;         /* JSON_OBJECT: the keys, parallel to items */
} json;

/* Parses the file at path; NULL (with a message on stderr) on error. */
json *json_parse_file(const char *path);

/* The value under key in an object, or NULL if absent or not an object. */
const json *json_get(const json *obj, const char *key);

/* The string under key, or NULL if absent, null or not a string. */
const char *json_get_string(const json *obj, const char *key);

/* Decodes a hex string into a fresh buffer (never NULL, even for ""); sets
 * *len. Aborts on malformed hex: vector files are trusted test input. */
uint8_t *json_hex(const char *hex, size_t *len);

void json_free(json *j);

#endif /* SEALDB_TEST_JSON_H */
