/*
 * prescription_codec.h
 *		The content of an electronic prescription (docs/prescriptions.md):
 *		the header of the national circulation record (hosp_rxno,
 *		rx_type_code, prsc_time, valid_days, repeats, online or in person,
 *		first visit or follow-up), its diagnoses and 1 to 5 drug lines.
 *
 *		rx_check applies the structural rules (every part well formed, the
 *		quantity of each line consistent with dose x frequency x days);
 *		rules that need data (days-supply limits, controlled classes, what
 *		may be prescribed online) are policy rows, checked in SQL.
 *
 *		rx_encode / rx_decode: the compact binary form stored on disk,
 *		canonical (equal contents, equal bytes).  rx_format_json: the JSON
 *		text form with the national field names.  Pure C: no postgres.h.
 */
#ifndef HH_PRESCRIPTION_CODEC_H
#define HH_PRESCRIPTION_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rx/drug_code_parse.h"

#define RX_MAX_LINES		5		/* 《处方管理办法》: at most 5 drugs */
#define RX_MAX_DIAGNOSES	10
#define RX_RXNO_MAX			40
#define RX_UNIT_MAX			20		/* bytes of UTF-8 */
#define RX_DIAG_MAX			12		/* E11.900x002 */
#define RX_AMOUNT_MAX		INT64_C(1000000000)	/* 1,000,000 units, in thousandths */
#define RX_DAYS_MAX			366
#define RX_DETAIL_MAX		256
#define RX_BINARY_VERSION	1

typedef enum rx_kind
{
	RX_ORDINARY = 1,			/* rx_type_code "1" 普通 */
	RX_EMERGENCY = 2,			/* "2" 急诊 */
	RX_CHRONIC = 3,				/* "3" 慢病 */
	RX_LONG_TERM = 4			/* "4" 长期处方 (long_rx_flag "1") */
} rx_kind;

/* Administration frequencies: used_frqu_codg. */
typedef struct rx_frequency
{
	const char *code;			/* as written, lower case */
	int			per;			/* administrations ... */
	int			days;			/* ... per this many days; 0: not fixed */
} rx_frequency;

extern const rx_frequency rx_frequencies[];
extern const int rx_frequency_count;
/* index of "st": one administration, once */
#define RX_FREQ_ONCE_NAME "st"

typedef struct rx_line
{
	dc_value	drug;			/* med_list_codg */
	int64_t		dose;			/* sin_doscnt, thousandths */
	uint8_t		unit_len;
	char		unit[RX_UNIT_MAX];	/* sin_dosunt */
	uint8_t		frequency;		/* used_frqu_codg: index into rx_frequencies */
	uint16_t	days;			/* medc_days */
	int64_t		total;			/* drug_totlnt, thousandths of the dose unit */
	bool		hospital_approved;	/* hosp_appr_flag */
	uint8_t		diagnosis_len;	/* dise_codg, optional: one of the diagnoses */
	char		diagnosis[RX_DIAG_MAX];
} rx_line;

typedef struct rx_value
{
	uint8_t		rxno_len;
	char		rxno[RX_RXNO_MAX];	/* hosp_rxno */
	uint8_t		init_rxno_len;
	char		init_rxno[RX_RXNO_MAX];	/* init_rxno: the original of a renewal */
	uint8_t		kind;			/* rx_kind */
	bool		online;			/* biz_type_code "02" (internet) */
	bool		first_visit;	/* fstdiag_flag */
	int64_t		issued_at;		/* prsc_time, seconds since 1970 UTC */
	uint16_t	valid_days;
	uint16_t	dispenses;		/* max_rept_cnt: 1 without repeats */
	uint16_t	interval_days;	/* min_inrv_days: 0 without repeats */
	uint8_t		n_diagnoses;
	uint8_t		diagnosis_len[RX_MAX_DIAGNOSES];
	char		diagnoses[RX_MAX_DIAGNOSES][RX_DIAG_MAX];
	uint8_t		n_lines;
	rx_line		lines[RX_MAX_LINES];
} rx_value;

/*
 * Check the structural rules; on failure write a sentence to detail (which
 * field of which line, and why) and return false.
 */
extern bool rx_check(const rx_value *v, char detail[RX_DETAIL_MAX]);

/* The binary form: at most RX_BINARY_MAX bytes. */
#define RX_BINARY_MAX	(16 + 2 * (1 + RX_RXNO_MAX) + RX_MAX_DIAGNOSES * (1 + RX_DIAG_MAX) + \
						 RX_MAX_LINES * (DC_PACKED + 8 + 2 + 1 + 1 + 8 + 2 + RX_UNIT_MAX + RX_DIAG_MAX))
extern size_t rx_encode(const rx_value *v, uint8_t *out);
/* false if the bytes are not an encoding (it does not apply rx_check) */
extern bool rx_decode(const uint8_t *in, size_t len, rx_value *v);

/* The JSON text, NUL-terminated, into out (at least RX_JSON_MAX + 1 bytes). */
#define RX_JSON_MAX		4096
extern size_t rx_format_json(const rx_value *v, char *out);

/* Parts shared with the JSON reader. */
extern bool rx_rxno_ok(const char *s, size_t len);
extern bool rx_unit_ok(const char *s, size_t len);
extern bool rx_icd10_ok(const char *s, size_t len);
extern int	rx_frequency_by_code(const char *s, size_t len);
/* "YYYY-MM-DD HH:MM:SS" in Beijing time (UTC+8) */
extern bool rx_parse_time(const char *s, size_t len, int64_t *out);
extern void rx_format_time(int64_t t, char out[20]);
/* a decimal with at most 3 decimals, > 0 and <= RX_AMOUNT_MAX thousandths */
extern bool rx_parse_amount(const char *s, size_t len, int64_t *out);
extern size_t rx_format_amount(int64_t v, char *out);
/* the least total of a line (thousandths), or -1 when its frequency is not fixed */
extern int64_t rx_line_needed(const rx_line *l);

#endif
