/*
 * uscc_parse.c
 *		GB 32100-2015 unified social credit codes.
 */
#include "ident/uscc_parse.h"

#include <string.h>

#include "core/checkdigit.h"
#include "core/textnorm.h"

/*
 * Registration authorities: 1-9 and the letters of the GB 32100 code table
 * and its amendments (A military reform office, G public security, J housing,
 * N agriculture, Q overseas Chinese federation, Y other).
 */
bool
uscc_is_authority(char c)
{
	return (c >= '1' && c <= '9') || c == 'A' || c == 'G' || c == 'J' ||
		c == 'N' || c == 'Q' || c == 'Y';
}

static void
pack(const uint8_t v[18], uscc_value *out)
{
	out->hi = 0;
	out->lo = 0;
	for (int i = 0; i < 9; i++)
		out->hi = (out->hi << 5) | v[i];
	for (int i = 9; i < 18; i++)
		out->lo = (out->lo << 5) | v[i];
}

static void
unpack(uscc_value in, uint8_t v[18])
{
	for (int i = 8; i >= 0; i--)
	{
		v[i] = (uint8_t) (in.hi & 31);
		in.hi >>= 5;
	}
	for (int i = 17; i >= 9; i--)
	{
		v[i] = (uint8_t) (in.lo & 31);
		in.lo >>= 5;
	}
}

/* Structure of 18 ASCII characters already known to be in the alphabet. */
static uscc_status
check_structure(const char c[18], const uint8_t v[18], bool *unchecked, uscc_error *err)
{
	char		org_check;
	char		check;

	if (!uscc_is_authority(c[0]))
	{
		err->position = 1;
		err->codepoint = (unsigned char) c[0];
		return USCC_BAD_AUTHORITY;
	}
	if (c[1] < '1' || c[1] > '9')
	{
		err->position = 2;
		err->codepoint = (unsigned char) c[1];
		return USCC_BAD_CATEGORY;
	}
	for (int i = 2; i < 8; i++)
	{
		if (c[i] < '0' || c[i] > '9')
		{
			err->position = i + 1;
			err->codepoint = (unsigned char) c[i];
			return USCC_BAD_REGION;
		}
	}

	*unchecked = false;
	org_check = hh_orgcode_check_char(c + 8);
	if (c[16] != org_check)
	{
		err->position = 17;
		err->found = c[16];
		err->expected = org_check;
		*unchecked = true;
		return USCC_BAD_ORG_CHECK;
	}
	check = HH_USCC_ALPHABET[hh_uscc_check_value(v)];
	if (c[17] != check)
	{
		err->position = 18;
		err->found = c[17];
		err->expected = check;
		*unchecked = true;
		return USCC_BAD_CHECK;
	}
	return USCC_OK;
}

uscc_status
uscc_parse(const char *in, size_t len, bool accept_unchecked,
		   uscc_value *out, bool *unchecked, uscc_error *err)
{
	char		buf[19];
	uint8_t		v[18];
	hh_fold_result fold;
	size_t		n;
	uscc_status st;

	memset(err, 0, sizeof(*err));
	*unchecked = false;
	n = hh_fold_ascii(in, len, buf, sizeof(buf), HH_FOLD_UPPER, &fold);
	if (fold.status == HH_FOLD_NOT_ASCII || fold.status == HH_FOLD_INNER_SPACE)
	{
		err->position = fold.position;
		err->codepoint = fold.codepoint;
		err->length = fold.nchars;
		return fold.status == HH_FOLD_NOT_ASCII ? USCC_NOT_ASCII : USCC_INNER_SPACE;
	}
	if (n == 19 && fold.nchars == 19 && buf[18] == USCC_UNCHECKED_MARK)
	{
		accept_unchecked = true;
		n = 18;
	}
	err->length = (n == 18) ? 18 : fold.nchars;
	if (fold.nchars == 0)
		return USCC_EMPTY;
	if (n != 18 || fold.status == HH_FOLD_TOO_LONG)
		return USCC_BAD_LENGTH;

	for (int i = 0; i < 18; i++)
	{
		int			cv = hh_uscc_char_value((unsigned char) buf[i]);

		if (cv < 0)
		{
			err->position = i + 1;
			err->codepoint = (unsigned char) buf[i];
			return USCC_BAD_CHAR;
		}
		v[i] = (uint8_t) cv;
	}

	st = check_structure(buf, v, unchecked, err);
	if (st == USCC_BAD_ORG_CHECK || st == USCC_BAD_CHECK)
	{
		if (!accept_unchecked)
			return st;
	}
	else if (st != USCC_OK)
		return st;

	pack(v, out);
	return USCC_OK;
}

uscc_status
uscc_check_value(uscc_value in, bool *unchecked, uscc_error *err)
{
	uint8_t		v[18];
	char		c[18];
	uscc_status st;

	memset(err, 0, sizeof(*err));
	*unchecked = false;
	if ((in.hi >> 45) != 0 || (in.lo >> 45) != 0)
		return USCC_BAD_BINARY;
	unpack(in, v);
	for (int i = 0; i < 18; i++)
	{
		if (v[i] > 30)
			return USCC_BAD_BINARY;
		c[i] = HH_USCC_ALPHABET[v[i]];
	}
	st = check_structure(c, v, unchecked, err);
	if (st == USCC_BAD_ORG_CHECK || st == USCC_BAD_CHECK)
		return USCC_OK;			/* a flagged code is a legal value */
	return st;
}

void
uscc_chars(uscc_value in, char out[19])
{
	uint8_t		v[18];

	unpack(in, v);
	for (int i = 0; i < 18; i++)
		out[i] = HH_USCC_ALPHABET[v[i]];
	out[18] = '\0';
}

bool
uscc_passes_checks(uscc_value in)
{
	uint8_t		v[18];
	char		c[18];

	unpack(in, v);
	for (int i = 0; i < 18; i++)
		c[i] = HH_USCC_ALPHABET[v[i]];
	return c[16] == hh_orgcode_check_char(c + 8) &&
		c[17] == HH_USCC_ALPHABET[hh_uscc_check_value(v)];
}

void
uscc_format(uscc_value in, char out[20])
{
	uscc_chars(in, out);
	if (!uscc_passes_checks(in))
	{
		out[18] = USCC_UNCHECKED_MARK;
		out[19] = '\0';
	}
}

int
uscc_compare(uscc_value a, uscc_value b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}
