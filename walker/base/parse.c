/* parse.c - numbers as people type them on a command line: counts, sizes, seconds. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/sbuf.h"

/* A byte count with an optional K, M, G or T suffix (powers of 1024). */
bool hw_parse_size(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	if (*end) {
		const char *units = "KMGT", *u = strchr(units, *end);

		if (!u || end[1] != '\0')
			return false;
		shift = 10 * (unsigned)(u - units + 1);
	}
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*ret = (uint64_t)v << shift;
	return true;
}

/* A whole decimal number (or 0x hex), nothing else. */
bool hw_parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*ret = v;
	return true;
}

/* Seconds: a positive number up to 1e7; *end gets what follows it. */
bool hw_parse_seconds(const char *s, double *ret, char **end)
{
	double v;

	errno = 0;
	v = strtod(s, end);
	if (errno || *end == s || !(v > 0) || v > 1e7)
		return false;
	*ret = v;
	return true;
}

bool hw_parse_addr(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 16);
	if (errno || *end || end == s)
		return false;
	*ret = v;
	return true;
}

int hw_parse_nspid(const char *p)
{
	long last = 0;
	int n = 0;

	while (n < 33) {
		char *end;
		long v;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p < '0' || *p > '9')
			break;
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno || v <= 0 || v > INT_MAX)
			return 0;
		last = v;
		n++;
		p = end;
	}
	return n >= 2 ? (int)last : 0;
}

int hw_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
