/*
 * emr_ref_parse.h
 *		References to EMR documents held at institutions (IHE XDS document
 *		entries, reduced to what names one document): the document kind,
 *		the producing institution (its USCC), its local document id, the
 *		service time (UTC, whole seconds) and the content digest (SHA-256,
 *		or SM3 where national cryptography is required).
 *
 * Text form, every part fixed so that the text is canonical:
 *   kind:institution:local_id:YYYYMMDDTHHMMSSZ:algorithm:hex
 *   discharge_summary:121200004013590816:ZY-2026-000123:20261201T083000Z:sha256:9f86...
 * Pure C: no postgres.h.
 */
#ifndef HH_EMR_REF_PARSE_H
#define HH_EMR_REF_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ident/uscc_parse.h"

#define ER_KIND_MAX		40
#define ER_LOCAL_ID_MAX	64
#define ER_DIGEST_LEN	32		/* SHA-256 and SM3 alike */
/* kind, USCC, local id, time (16), algorithm (6), hex (64), five colons */
#define ER_TEXT_MAX		(ER_KIND_MAX + 18 + ER_LOCAL_ID_MAX + 16 + 6 + 2 * ER_DIGEST_LEN + 5)

/* Seconds since 1970-01-01 00:00:00 UTC of 0001-01-01 and 9999-12-31 23:59:59. */
#define ER_TIME_MIN		INT64_C(-62135596800)
#define ER_TIME_MAX		INT64_C(253402300799)

typedef enum er_digest_alg
{
	ER_SHA256 = 1,
	ER_SM3 = 2
} er_digest_alg;

typedef enum er_status
{
	ER_OK = 0,
	ER_EMPTY,
	ER_BAD_FORMAT,				/* not six colon-separated parts */
	ER_BAD_KIND,
	ER_BAD_INSTITUTION,
	ER_BAD_LOCAL_ID,
	ER_BAD_TIME,
	ER_BAD_ALGORITHM,
	ER_BAD_DIGEST
} er_status;

typedef struct er_value
{
	uint8_t		kind_len;
	uint8_t		local_id_len;
	uint8_t		digest_alg;		/* er_digest_alg */
	char		kind[ER_KIND_MAX];
	uscc_value	institution;
	char		local_id[ER_LOCAL_ID_MAX];
	int64_t		service_time;	/* seconds since 1970-01-01 UTC */
	uint8_t		digest[ER_DIGEST_LEN];
} er_value;

/* Parse the text form (surrounding ASCII whitespace ignored). */
extern er_status er_parse(const char *in, size_t len, er_value *out);

/* Check parts that did not come from er_parse (binary input, constructor). */
extern er_status er_check(const er_value *v);

/* Print the text form plus NUL; returns its length. */
extern size_t er_format(const er_value *v, char out[ER_TEXT_MAX + 1]);

/* Order: kind, institution, local id, service time, algorithm, digest. */
extern int	er_compare(const er_value *a, const er_value *b);

/* The parts of a kind and a local id, as er_check accepts them. */
extern bool er_kind_ok(const char *s, size_t len);
extern bool er_local_id_ok(const char *s, size_t len);

/* "sha256" / "sm3", and back (0 when unknown). */
extern const char *er_alg_name(int alg);
extern int	er_alg_by_name(const char *s, size_t len);

/* Civil time (UTC) and seconds since 1970; er_civil_to_time refuses
 * anything but a real date and time of years 1..9999. */
extern bool er_civil_to_time(int year, int month, int day, int hour, int minute, int second, int64_t *out);
extern void er_time_to_civil(int64_t t, int *year, int *month, int *day, int *hour, int *minute, int *second);

#endif
