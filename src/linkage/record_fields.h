/*
 * record_fields.h
 *		Parse the fields of a person record as institutions' extracts write
 *		them: birth dates and phone numbers.  Never raise: each parser says
 *		whether the text is empty, valid or not a value of its kind, so that
 *		link_batch can report a bad field and go on.  Pure C: no postgres.h.
 */
#ifndef HH_RECORD_FIELDS_H
#define HH_RECORD_FIELDS_H

#include <stddef.h>

typedef enum hh_field_status
{
	HH_FIELD_EMPTY = 0,			/* nothing but whitespace */
	HH_FIELD_OK,
	HH_FIELD_INVALID
} hh_field_status;

/* The earliest birth year accepted (older records are typing errors). */
#define HH_BIRTH_YEAR_MIN 1880

/*
 * A birth date: YYYYMMDD, or YYYY-M-D with '-', '/' or '.' (the same one
 * twice) and one- or two-digit month and day; fullwidth digits and
 * surrounding spaces allowed.  The date must exist and its year be at least
 * HH_BIRTH_YEAR_MIN (whether it is in the future is the caller's question).
 */
extern hh_field_status hh_parse_birth_date(const char *s, size_t len, int *year, int *month, int *day);

/* Longest phone number, in digits (E.164: 15). */
#define HH_PHONE_MAX 15

/*
 * A phone number's digits: fullwidth forms folded, spaces, brackets and
 * hyphens dropped, a leading +86 or 0086 removed; valid if 7 to
 * HH_PHONE_MAX digits remain.  out holds HH_PHONE_MAX + 1 bytes (NUL-ended).
 */
extern hh_field_status hh_phone_digits(const char *s, size_t len, char *out);

#endif
