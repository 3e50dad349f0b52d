/*
 * code_keys.h
 *		Keys of health codes on the PostgreSQL side (keys_sql.c).
 */
#ifndef HH_CODE_KEYS_H
#define HH_CODE_KEYS_H

#include <openssl/types.h>

/* EdDSA, ES256, PS256 or SM2: the algorithm a key signs with; NULL if none */
extern const char *hh_key_alg_name(EVP_PKEY *key);

#endif							/* HH_CODE_KEYS_H */
