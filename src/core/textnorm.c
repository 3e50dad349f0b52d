/*
 * textnorm.c
 *		Fold fullwidth identifier text to ASCII and trim whitespace.
 */
#include "core/textnorm.h"

/*
 * Decode one UTF-8 character at s (len bytes available).  Returns its length
 * in bytes and stores the code point.  Malformed input (RFC 3629: overlong
 * forms, surrogates, code points past U+10FFFF, bad continuation bytes,
 * truncation) decodes as one byte with code point 0xFFFD, so that it is
 * reported, never skipped and never folded: an overlong '1' is not a digit.
 */
size_t
hh_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80,
				hi = 0xBF;		/* allowed range of the second byte */
	size_t		n;
	uint32_t	v;

	if (c < 0x80)
	{
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
	{
		n = 2;
		v = c & 0x1F;
	}
	else if (c >= 0xE0 && c <= 0xEF)
	{
		n = 3;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;			/* no overlong forms */
		else if (c == 0xED)
			hi = 0x9F;			/* no surrogates */
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		n = 4;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;			/* no overlong forms */
		else if (c == 0xF4)
			hi = 0x8F;			/* nothing past U+10FFFF */
	}
	else
		n = 0;

	if (n == 0 || n > len || s[1] < lo || s[1] > hi)
	{
		*cp = 0xFFFD;
		return 1;
	}
	for (size_t i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
		{
			*cp = 0xFFFD;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3F);
	}
	*cp = v;
	return n;
}

static int
is_space(uint32_t cp)
{
	return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x3000 || cp == 0xA0;
}

size_t
hh_fold_ascii(const char *in, size_t inlen, char *out, size_t outcap,
			  int options, hh_fold_result *res)
{
	const unsigned char *s = (const unsigned char *) in;
	size_t		pos = 0;
	size_t		nout = 0;
	size_t		nchars = 0;
	size_t		pending_space_at = 0;	/* char position of a space run, 0 if
										 * none */

	res->status = HH_FOLD_OK;
	res->position = 0;
	res->codepoint = 0;

	while (pos < inlen)
	{
		uint32_t	cp;
		size_t		n;

		/* ASCII fast path: most identifiers are plain ASCII */
		if (s[pos] < 0x80)
		{
			cp = s[pos];
			n = 1;
		}
		else
			n = hh_utf8_decode(s + pos, inlen - pos, &cp);
		pos += n;

		if (is_space(cp))
		{
			/* leading whitespace is trimmed; inner runs are judged later */
			if (nchars > 0 && pending_space_at == 0)
				pending_space_at = nchars + 1;
			continue;
		}
		if (pending_space_at != 0)
		{
			if (!(options & HH_FOLD_DROP_INNER_SPACE) && res->status == HH_FOLD_OK)
			{
				res->status = HH_FOLD_INNER_SPACE;
				res->position = pending_space_at;
				res->codepoint = ' ';
			}
			pending_space_at = 0;
		}

		if (cp >= 0xFF01 && cp <= 0xFF5E)
			cp -= 0xFF01 - 0x21;	/* fullwidth form to ASCII */
		nchars++;
		if (cp >= 0x80 || cp < 0x20 || cp == 0x7F)
		{
			if (res->status == HH_FOLD_OK)
			{
				res->status = HH_FOLD_NOT_ASCII;
				res->position = nchars;
				res->codepoint = cp;
			}
			continue;
		}
		if ((options & HH_FOLD_UPPER) && cp >= 'a' && cp <= 'z')
			cp -= 'a' - 'A';
		if (nout < outcap)
			out[nout++] = (char) cp;
		else if (res->status == HH_FOLD_OK)
		{
			res->status = HH_FOLD_TOO_LONG;
			res->position = nchars;
		}
	}
	res->nchars = nchars;
	return nout;
}
