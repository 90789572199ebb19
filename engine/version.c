/*
 * version.c - the library's version, as loaded at run time.
 */
#include "sealdb.h"

const char *sealdb_version(void)
{
    return SEALDB_VERSION_STRING;
}
