/*
 * resident_id_parse.h
 *		GB 11643 resident identity numbers: parse, validate, print.
 *
 * A number is held as its 17-digit body (address, birth date, sequence); the
 * check character is a function of the body and is recomputed when printed.
 * Pure C: no postgres.h.
 */
#ifndef HH_RESIDENT_ID_PARSE_H
#define HH_RESIDENT_ID_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RID_BODY_MIN	INT64_C(10000000000000000)	/* 10^16 */
#define RID_BODY_MAX	INT64_C(99999999999999999)	/* 10^17 - 1 */
#define RID_MIN_YEAR	1800

typedef enum rid_status
{
	RID_OK = 0,
	RID_EMPTY,
	RID_NOT_ASCII,				/* a character with no ASCII form */
	RID_INNER_SPACE,
	RID_BAD_LENGTH,
	RID_BAD_CHAR,				/* not a digit (or X in last place) */
	RID_BAD_ADDRESS,			/* address code is not under a province code */
	RID_BAD_DATE,				/* not a calendar date */
	RID_YEAR_TOO_EARLY,
	RID_BAD_CHECK,
	RID_OUT_OF_RANGE			/* a body outside 17 digits (binary/bigint) */
} rid_status;

typedef enum rid_issuer
{
	RID_CITIZEN = 0,
	RID_HONG_KONG,
	RID_MACAU,
	RID_TAIWAN,
	RID_FOREIGN_PERMANENT
} rid_issuer;

typedef struct rid_error
{
	size_t		position;		/* 1-based character position, if any */
	uint32_t	codepoint;		/* offending character, if any */
	size_t		length;			/* characters seen */
	int			year;			/* birth date parts, for date errors */
	int			month;
	int			day;
	char		address[7];		/* address code, for address errors */
	char		found;			/* check character given */
	char		expected;		/* check character computed */
} rid_error;

/* Parse text (18 or legacy 15 characters); on success *body is set. */
extern rid_status rid_parse(const char *in, size_t len, int64_t *body, rid_error *err);

/* Validate a body that did not come from text (binary input, casts). */
extern rid_status rid_check_body(int64_t body, rid_error *err);

/* Print the canonical 18 characters plus NUL. */
extern void rid_format(int64_t body, char out[19]);

extern char rid_check_char(int64_t body);
extern rid_issuer rid_issuer_of(int64_t body);
extern void rid_birth_date(int64_t body, int *year, int *month, int *day);

/* 1 male, 2 female: the parity of the sequence code (GB/T 2261.1 codes). */
extern int	rid_sex(int64_t body);

/* The 6-digit address code; for foreign permanent residents the issuing
 * province (digits 2-3) followed by 0000. */
extern int32_t rid_region(int64_t body);

extern bool hh_is_calendar_date(int year, int month, int day);
extern bool hh_is_province_code(int code);

#endif
