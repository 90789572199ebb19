/*
 * aegis_nohw.c - the hardware back-end tables on CPUs without x86 AES
 * instructions: all empty, so dispatch falls back to the portable back end.
 */
#include "crypto.h"

const aegis_impl *aegis_aesni_impl(sealdb_cipher_id id)
{
    (void)id;
    return NULL;
}

const aegis_impl *aegis_aesni512_impl(sealdb_cipher_id id)
{
    (void)id;
    return NULL;
}

const aegis_impl *aegis_vaes_impl(sealdb_cipher_id id)
{
    (void)id;
    return NULL;
}

const aegis_impl *aegis_vaes512_impl(sealdb_cipher_id id)
{
    (void)id;
    return NULL;
}
