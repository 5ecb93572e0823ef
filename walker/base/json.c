/* json.c - streaming JSON writer (see include/heapwalk/json.h). */
#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "heapwalk/json.h"

#define MAX_DEPTH ((int)(sizeof(((struct hw_json *)0)->first) / sizeof(bool)))

void hw_json_init(struct hw_json *js, FILE *out, bool pretty)
{
	memset(js, 0, sizeof(*js));
	js->out = out;
	js->pretty = pretty;
	js->first[0] = true;
}

static void indent(struct hw_json *js)
{
	if (!js->pretty)
		return;
	fputc('\n', js->out);
	for (int i = 0; i < js->depth; i++)
		fputs("  ", js->out);
}

/* Before any value or key: the comma and indentation its position needs. */
static void before_item(struct hw_json *js)
{
	if (!js->first[js->depth])
		fputc(',', js->out);
	js->first[js->depth] = false;
	if (js->depth > 0)
		indent(js);
}

/* Before a value: inside an object the key already placed it. */
static void before_value(struct hw_json *js)
{
	if (js->depth > 0 && js->in_obj[js->depth])
		return;
	before_item(js);
}

static void open_(struct hw_json *js, char c, bool obj)
{
	before_value(js);
	fputc(c, js->out);
	assert(js->depth + 1 < MAX_DEPTH);
	if (js->depth + 1 < MAX_DEPTH) {
		js->depth++;
		js->first[js->depth] = true;
		js->in_obj[js->depth] = obj;
	}
}

static void close_(struct hw_json *js, char c)
{
	bool empty = js->first[js->depth];

	if (js->depth > 0)
		js->depth--;
	if (!empty)
		indent(js);
	fputc(c, js->out);
}

void hw_json_begin_object(struct hw_json *js)
{
	open_(js, '{', true);
}

void hw_json_end_object(struct hw_json *js)
{
	close_(js, '}');
}

void hw_json_begin_array(struct hw_json *js)
{
	open_(js, '[', false);
}

void hw_json_end_array(struct hw_json *js)
{
	close_(js, ']');
}

/* Length of a valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		if ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

static void put_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', out);
	while (*s) {
		size_t n;
		switch (*s) {
		case '"':
			fputs("\\\"", out);
			s++;
			continue;
		case '\\':
			fputs("\\\\", out);
			s++;
			continue;
		case '\n':
			fputs("\\n", out);
			s++;
			continue;
		case '\t':
			fputs("\\t", out);
			s++;
			continue;
		case '\r':
			fputs("\\r", out);
			s++;
			continue;
		default:
			break;
		}
		if (*s < 0x20 || *s == 0x7f) {
			fprintf(out, "\\u%04x", *s);
			s++;
			continue;
		}
		n = utf8_len(s);
		if (n == 0) {
			fprintf(out, "\\u%04x", *s);
			s++;
			continue;
		}
		fwrite(s, 1, n, out);
		s += n;
	}
	fputc('"', out);
}

void hw_json_key(struct hw_json *js, const char *key)
{
	assert(js->depth > 0 && js->in_obj[js->depth]);
	before_item(js);
	put_string(js->out, key);
	fputs(js->pretty ? ": " : ":", js->out);
}

void hw_json_string(struct hw_json *js, const char *s)
{
	before_value(js);
	put_string(js->out, s ? s : "");
}

void hw_json_u64(struct hw_json *js, uint64_t v)
{
	before_value(js);
	fprintf(js->out, "%" PRIu64, v);
}

void hw_json_i64(struct hw_json *js, int64_t v)
{
	before_value(js);
	fprintf(js->out, "%" PRId64, v);
}

void hw_json_double(struct hw_json *js, double v)
{
	before_value(js);
	if (isfinite(v))
		fprintf(js->out, "%.6g", v);
	else
		fputs("null", js->out);
}

void hw_json_bool(struct hw_json *js, bool v)
{
	before_value(js);
	fputs(v ? "true" : "false", js->out);
}

void hw_json_null(struct hw_json *js)
{
	before_value(js);
	fputs("null", js->out);
}

void hw_json_hex(struct hw_json *js, uint64_t v)
{
	before_value(js);
	fprintf(js->out, "\"0x%" PRIx64 "\"", v);
}

void hw_json_finish(struct hw_json *js)
{
	fputc('\n', js->out);
	fflush(js->out);
}
