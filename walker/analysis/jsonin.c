/* jsonin.c - a small, strict JSON reader for heapwalk's own saved output (see jsonin.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/error.h"
#include "heapwalk/jsonin.h"
#include "heapwalk/sbuf.h"

struct parser {
	const char *p, *end, *start;
	int depth;
	struct hw_error *err;
};

static void fail(struct parser *ps, const char *what)
{
	if (!ps->err)
		ps->err = hw_error_create(HW_ERR_BAD_DATA, "JSON: %s at byte %zu", what,
					  (size_t)(ps->p - ps->start));
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
	       (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static void free_node(struct hw_jnode *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		free_node(&n->kids[i]);
	free(n->kids);
	free(n->s);
	free(n->key);
}

void hw_jsonin_free(struct hw_jnode *n)
{
	if (!n)
		return;
	free_node(n);
	free(n);
}

static bool read_hex4(struct parser *ps, unsigned *ret)
{
	unsigned v = 0;

	if (ps->end - ps->p < 4)
		return false;
	for (int i = 0; i < 4; i++) {
		int h = hw_hexval(ps->p[i]);
		if (h < 0)
			return false;
		v = v * 16 + (unsigned)h;
	}
	ps->p += 4;
	*ret = v;
	return true;
}

static size_t put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string at ps->p (after the opening quote was checked). */
static char *parse_string(struct parser *ps, size_t *len_ret)
{
	const char *q = ps->p + 1;
	size_t cap, n = 0;
	char *out;

	/* Decoded text is never longer than the escaped text. */
	while (q < ps->end && *q != '"') {
		if (*q == '\\')
			q++;
		q++;
	}
	if (q >= ps->end) {
		fail(ps, "unterminated string");
		return NULL;
	}
	cap = (size_t)(q - ps->p) + 4;
	out = malloc(cap);
	if (!out) {
		ps->err = ps->err ? ps->err : hw_error_nomem();
		return NULL;
	}
	ps->p++;
	while (ps->p < ps->end && *ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p;
		if (c < 0x20) {
			fail(ps, "control character in string");
			free(out);
			return NULL;
		}
		if (c != '\\') {
			out[n++] = (char)c;
			ps->p++;
			continue;
		}
		ps->p++;
		if (ps->p >= ps->end)
			break;
		c = (unsigned char)*ps->p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			out[n++] = (char)c;
			break;
		case 'b':
			out[n++] = '\b';
			break;
		case 'f':
			out[n++] = '\f';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 'r':
			out[n++] = '\r';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case 'u': {
			unsigned cp, lo;
			if (!read_hex4(ps, &cp)) {
				fail(ps, "bad \\u escape");
				free(out);
				return NULL;
			}
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (ps->end - ps->p >= 6 && ps->p[0] == '\\' && ps->p[1] == 'u') {
					const char *save = ps->p;
					ps->p += 2;
					if (read_hex4(ps, &lo) && lo >= 0xdc00 && lo < 0xe000)
						cp =
						    0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					else {
						ps->p = save;
						cp = 0xfffd;
					}
				} else {
					cp = 0xfffd;
				}
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				cp = 0xfffd;
			}
			/* An escape is 6 bytes of input and at most 4 of output. */
			n += put_utf8(out + n, cp);
			break;
		}
		default:
			fail(ps, "bad escape in string");
			free(out);
			return NULL;
		}
	}
	if (ps->p >= ps->end) {
		fail(ps, "unterminated string");
		free(out);
		return NULL;
	}
	ps->p++;
	out[n] = '\0';
	*len_ret = n;
	return out;
}

static bool parse_value(struct parser *ps, struct hw_jnode *n);

static bool add_kid(struct parser *ps, struct hw_jnode *n, size_t *cap, struct hw_jnode **kid)
{
	if (n->nkids == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		struct hw_jnode *v = realloc(n->kids, nc * sizeof(*v));
		if (!v) {
			ps->err = ps->err ? ps->err : hw_error_nomem();
			return false;
		}
		n->kids = v;
		*cap = nc;
	}
	*kid = &n->kids[n->nkids++];
	memset(*kid, 0, sizeof(**kid));
	return true;
}

static bool parse_container(struct parser *ps, struct hw_jnode *n, bool object)
{
	size_t cap = 0;
	char close = object ? '}' : ']';

	if (++ps->depth > HW_JSONIN_MAX_DEPTH) {
		fail(ps, "nesting too deep");
		return false;
	}
	n->type = object ? HW_J_OBJECT : HW_J_ARRAY;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return true;
	}
	for (;;) {
		struct hw_jnode *kid;
		char *key = NULL;
		size_t klen;
		skip_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"') {
				fail(ps, "expected a member name");
				return false;
			}
			key = parse_string(ps, &klen);
			if (!key)
				return false;
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				fail(ps, "expected ':'");
				return false;
			}
			ps->p++;
		}
		if (!add_kid(ps, n, &cap, &kid)) {
			free(key);
			return false;
		}
		kid->key = key;
		if (!parse_value(ps, kid))
			return false;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			ps->depth--;
			return true;
		}
		fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
		return false;
	}
}

static bool parse_number(struct parser *ps, struct hw_jnode *n)
{
	const char *s = ps->p;
	bool is_int = true;
	char buf[64];
	size_t len;

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9') {
		fail(ps, "bad number");
		return false;
	}
	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
		ps->p++;
	if (ps->p < ps->end && *ps->p == '.') {
		is_int = false;
		ps->p++;
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		is_int = false;
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
			ps->p++;
	}
	len = (size_t)(ps->p - s);
	if (len >= sizeof(buf)) {
		fail(ps, "number too long");
		return false;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';
	n->type = HW_J_NUMBER;
	n->d = strtod(buf, NULL);
	if (is_int) {
		errno = 0;
		n->i = strtoll(buf, NULL, 10);
		n->is_int = errno == 0;
	}
	return true;
}

static bool literal(struct parser *ps, const char *word)
{
	size_t l = strlen(word);

	if ((size_t)(ps->end - ps->p) < l || memcmp(ps->p, word, l) != 0) {
		fail(ps, "unexpected character");
		return false;
	}
	ps->p += l;
	return true;
}

static bool parse_value(struct parser *ps, struct hw_jnode *n)
{
	skip_ws(ps);
	if (ps->p >= ps->end) {
		fail(ps, "unexpected end");
		return false;
	}
	switch (*ps->p) {
	case '{':
		return parse_container(ps, n, true);
	case '[':
		return parse_container(ps, n, false);
	case '"':
		n->type = HW_J_STRING;
		n->s = parse_string(ps, &n->len);
		return n->s != NULL;
	case 't':
		n->type = HW_J_BOOL;
		n->b = true;
		return literal(ps, "true");
	case 'f':
		n->type = HW_J_BOOL;
		return literal(ps, "false");
	case 'n':
		n->type = HW_J_NULL;
		return literal(ps, "null");
	default:
		return parse_number(ps, n);
	}
}

struct hw_error *hw_jsonin_parse(const char *text, size_t len, struct hw_jnode **ret)
{
	struct parser ps = {.p = text, .end = text + len, .start = text};
	struct hw_jnode *root;

	if (len > HW_JSONIN_MAX_BYTES)
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "JSON document of %zu bytes is too large", len);
	root = calloc(1, sizeof(*root));
	if (!root)
		return hw_error_nomem();
	if (parse_value(&ps, root)) {
		skip_ws(&ps);
		if (ps.p != ps.end)
			fail(&ps, "trailing data after the document");
	}
	if (ps.err) {
		hw_jsonin_free(root);
		return ps.err;
	}
	*ret = root;
	return NULL;
}

const struct hw_jnode *hw_jsonin_get(const struct hw_jnode *obj, const char *key)
{
	if (!obj || obj->type != HW_J_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->nkids; i++)
		if (obj->kids[i].key && !strcmp(obj->kids[i].key, key))
			return &obj->kids[i];
	return NULL;
}

int64_t hw_jsonin_get_int(const struct hw_jnode *obj, const char *key, int64_t dflt)
{
	const struct hw_jnode *n = hw_jsonin_get(obj, key);

	return n && n->type == HW_J_NUMBER && n->is_int ? n->i : dflt;
}

const char *hw_jsonin_get_str(const struct hw_jnode *obj, const char *key, const char *dflt)
{
	const struct hw_jnode *n = hw_jsonin_get(obj, key);

	return n && n->type == HW_J_STRING ? n->s : dflt;
}
