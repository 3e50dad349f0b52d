/*
 * practice_rights.h
 *		The probe of healthhub.practice_rights that may_practise() and the
 *		commit-time check of practice claims share.
 */
#ifndef HH_PRACTICE_RIGHTS_H
#define HH_PRACTICE_RIGHTS_H

#include "fmgr.h"
#include "utils/snapshot.h"

extern bool hh_rights_allow(Oid relid, Oid indexid, FmgrInfo *contains, Snapshot snapshot,
							Datum practitioner, Datum institution, text *act,
							text *privilege, Datum at);
extern void hh_check_act(text *act, text *privilege);
extern void hh_rights_relation(Oid *relid, Oid *indexid);

#endif
