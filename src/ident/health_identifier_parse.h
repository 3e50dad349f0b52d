/*
 * health_identifier_parse.h
 *		Issuer-scoped identifiers: (kind, issuer, value), as FHIR's
 *		Identifier.system + value.
 *
 * Each kind fixes what its issuer must be (a region, an institution, a
 * country, or nobody) and how its value is normalised and validated.  The
 * text form is kind:issuer:value.  Pure C: no postgres.h.
 */
#ifndef HH_HEALTH_IDENTIFIER_PARSE_H
#define HH_HEALTH_IDENTIFIER_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HI_ISSUER_MAX	19		/* a USCC and its unchecked mark */
#define HI_VALUE_MAX	64
#define HI_TEXT_MAX		(32 + 1 + HI_ISSUER_MAX + 1 + HI_VALUE_MAX)

typedef enum hi_kind
{
	HI_MEDICAL_INSURANCE = 1,
	HI_SOCIAL_SECURITY_CARD,
	HI_HEALTH_CARD,
	HI_VISIT_CARD,
	HI_PASSPORT,
	HI_HK_MACAU_PERMIT,
	HI_TAIWAN_PERMIT,
	HI_FOREIGN_PERMANENT_LEGACY,
	HI_NEWBORN,
	HI_KIND_COUNT = HI_NEWBORN
} hi_kind;

typedef enum hi_issuer_rule
{
	HI_ISSUER_REGION,			/* a GB/T 2260 region code */
	HI_ISSUER_INSTITUTION,		/* an institution's USCC */
	HI_ISSUER_COUNTRY,			/* an ISO 3166-1 alpha-3 code */
	HI_ISSUER_CHINA,			/* always CHN (empty input allowed) */
	HI_ISSUER_NONE				/* must be empty */
} hi_issuer_rule;

typedef struct hi_kind_def
{
	const char *name;
	hi_issuer_rule issuer;
	const char *value_rule;		/* human description of the value rule */
} hi_kind_def;

typedef enum hi_status
{
	HI_OK = 0,
	HI_EMPTY,
	HI_BAD_FORMAT,				/* not kind:issuer:value */
	HI_BAD_KIND,
	HI_BAD_ISSUER,
	HI_BAD_VALUE,
	HI_BAD_BINARY
} hi_status;

typedef struct hi_value
{
	uint8_t		kind;
	uint8_t		issuer_len;
	uint8_t		value_len;
	char		issuer[HI_ISSUER_MAX];
	char		value[HI_VALUE_MAX];
} hi_value;

typedef struct hi_error
{
	hi_kind		kind;			/* 0 when the kind is unknown */
	size_t		position;		/* 1-based position in the part at fault */
	uint32_t	codepoint;
} hi_error;

extern const hi_kind_def *hi_kind_info(int kind);
extern int	hi_kind_by_name(const char *name, size_t len);

/* Parse kind:issuer:value text. */
extern hi_status hi_parse_text(const char *in, size_t len, hi_value *out, hi_error *err);

/* Build from separate parts (the constructor function). */
extern hi_status hi_parse_parts(const char *kind, size_t kind_len,
								const char *issuer, size_t issuer_len,
								const char *value, size_t value_len,
								hi_value *out, hi_error *err);

/* Validate parts received in binary: must already be normalised. */
extern hi_status hi_check_normalised(const hi_value *v, hi_error *err);

/* Print kind:issuer:value plus NUL; returns the length. */
extern size_t hi_format(const hi_value *v, char out[HI_TEXT_MAX + 1]);

extern int	hi_compare(const hi_value *a, const hi_value *b);

#endif
