/*
 * drug_code.h
 *		What the drug code type exports to the rest of src/rx/.
 */
#ifndef HH_DRUG_CODE_H
#define HH_DRUG_CODE_H

#include "rx/drug_code_parse.h"

/* The DETAIL of an error for a status (NULL for DC_OK). */
extern const char *dc_problem_text(dc_status st);

#endif
