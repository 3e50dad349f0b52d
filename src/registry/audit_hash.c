/* audit_hash.c: in progress (0.2) */
#include "postgres.h"
