/*
 * audit_sealer.h
 *		Starting the audit sealer background worker (audit_sealer.c).
 */
#ifndef HH_AUDIT_SEALER_H
#define HH_AUDIT_SEALER_H

#include "postgres.h"

extern bool start_audit_sealer(Oid trail_owner);

#endif
