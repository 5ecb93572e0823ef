/* classify.c - recognising what fragments hold, counted per allocation site. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/classify.h"
#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/target.h"

static const char *const names[HW_CONTENT_COUNT] = {
    "SIP message", "SIP URI", "str to heap text", "heap pointers", "zeroed", "text", "binary",
};
static const char *const keys[HW_CONTENT_COUNT] = {
    "sip_message", "sip_uri", "str", "heap_pointers", "zero", "text", "binary",
};

const char *hw_content_name(enum hw_content c)
{
	return c < HW_CONTENT_COUNT ? names[c] : "?";
}

const char *hw_content_key(enum hw_content c)
{
	return c < HW_CONTENT_COUNT ? keys[c] : "?";
}

static bool printable(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\r' || c == '\n';
}

static uint64_t le_word(const uint8_t *p, uint32_t w)
{
	uint64_t v = 0;

	for (uint32_t i = w; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

static bool starts(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && !memcmp(p, s, k);
}

static bool uri_scheme(const uint8_t *p, size_t n)
{
	return starts(p, n, "sip:") || starts(p, n, "sips:") || starts(p, n, "tel:");
}

/* May a start line begin at @at? Not after text or blanks on the same line. */
static bool line_break_before(const uint8_t *p, size_t at)
{
	return at == 0 || (p[at - 1] != '\t' && (p[at - 1] < 0x20 || p[at - 1] > 0x7e));
}

static bool line_end(const uint8_t *p, size_t n, size_t at)
{
	return at < n && (p[at] == '\r' || p[at] == '\n');
}

/*
 * "SIP/2.0 200 reason" at @j, up to a line end inside the bytes; the code into
 * @label. When the reason phrase runs into a byte that ends no line, no
 * "SIP/2.0" before that byte starts a line either: the search goes on at
 * @next.
 */
static bool sip_status_line(const uint8_t *p, size_t n, size_t j, char *label, size_t cap,
			    size_t *next)
{
	size_t i;

	if (n - j < 13 || p[j + 7] != ' ' || p[j + 8] < '1' || p[j + 8] > '6' || p[j + 9] < '0' ||
	    p[j + 9] > '9' || p[j + 10] < '0' || p[j + 10] > '9' || p[j + 11] != ' ' ||
	    !line_break_before(p, j))
		return false;
	/* the reason phrase: printable or UTF-8 bytes, then CR or LF */
	for (i = j + 12; i < n && (printable(p[i]) || p[i] >= 0x80) && p[i] != '\r' && p[i] != '\n';
	     i++)
		;
	if (!line_end(p, n, i)) {
		*next = i;
		return false;
	}
	if (label && cap > 3)
		snprintf(label, cap, "%c%c%c", p[j + 8], p[j + 9], p[j + 10]);
	return true;
}

#define METHOD_MAX 15 /* the longest method name taken (label space: 16 bytes) */

/*
 * "METHOD sip:uri SIP/2.0" with its CR or LF, the version at @j; the method
 * into @label. The URI is scanned back to the space before it: it holds no
 * space, so the scans of two candidates never overlap (the bytes around each
 * "SIP/2.0" stop them) and all candidates of a buffer cost linear time.
 */
static bool sip_request_line(const uint8_t *p, size_t n, size_t j, char *label, size_t cap)
{
	size_t u, m;

	if (j < 2 || p[j - 1] != ' ' || !line_end(p, n, j + 7))
		return false;
	for (u = j - 1; u > 0 && p[u - 1] > 0x20 && p[u - 1] < 0x7f; u--)
		;
	/* the Request-URI is [u, j - 1), preceded by one space and the method */
	if (u == j - 1 || u < 2 || p[u - 1] != ' ' ||
	    !(uri_scheme(p + u, j - 1 - u) || p[u] == '<'))
		return false;
	for (m = u - 1; m > 0 && u - 1 - m <= METHOD_MAX && p[m - 1] >= 'A' && p[m - 1] <= 'Z'; m--)
		;
	if (u - 1 - m < 3 || u - 1 - m > METHOD_MAX || !line_break_before(p, m))
		return false;
	if (label && cap) {
		size_t k = u - 1 - m < cap - 1 ? u - 1 - m : cap - 1;
		memcpy(label, p + m, k);
		label[k] = '\0';
	}
	return true;
}

/*
 * A SIP start line anywhere in the bytes: a request ("INVITE sip:... SIP/2.0")
 * or a status line ("SIP/2.0 200 OK"), ended by CR or LF. Kamailio keeps
 * messages inside structures too (an htable cell holds its value after the
 * cell and the name), so the whole buffer is searched, once, for "SIP/2.0".
 */
static bool sip_start_line(const uint8_t *p, size_t n, char *label, size_t cap)
{
	size_t j = 0, next;

	while (j + 7 <= n) {
		/* memchr on the slash: rare in binary data and in most text */
		const uint8_t *q = memchr(p + j + 3, '/', n - j - 3);
		if (!q || (size_t)(q - p) + 4 > n)
			return false;
		j = (size_t)(q - p) - 3;
		next = j + 1;
		if (!memcmp(p + j, "SIP/2.0", 7) && (sip_status_line(p, n, j, label, cap, &next) ||
						     sip_request_line(p, n, j, label, cap)))
			return true;
		j = next;
	}
	return false;
}

enum hw_content hw_classify_bytes(const uint8_t *p, size_t n, uint32_t word, uint64_t heap_lo,
				  uint64_t heap_hi, const struct hw_mem *mem, char *label,
				  size_t cap)
{
	size_t i, nul, words = 0, ptrs = 0;

	if (label && cap)
		label[0] = '\0';
	for (i = 0; i < n && !p[i]; i++)
		;
	if (i == n)
		return HW_CONTENT_ZERO;
	if (sip_start_line(p, n, label, cap))
		return HW_CONTENT_SIP_MSG;
	if (uri_scheme(p, n) || (n > 1 && p[0] == '<' && uri_scheme(p + 1, n - 1)))
		return HW_CONTENT_SIP_URI;
	if ((word == 4 || word == 8) && n >= (size_t)word + 4 && heap_hi > heap_lo) {
		uint64_t s = le_word(p, word);
		uint32_t len = (uint32_t)le_word(p + word, 4);
		if (s >= heap_lo && s < heap_hi && len > 0 && len <= 65536 && mem) {
			uint8_t b[8];
			size_t k = len < sizeof(b) ? len : sizeof(b);
			const uint8_t *q = hw_mem_peek(mem, s, k);
			bool ok = q != NULL;
			for (size_t j = 0; ok && j < k; j++)
				ok = printable(q[j]);
			if (ok)
				return HW_CONTENT_STR;
		}
		for (i = 0; i + word <= n && i < 64; i += word) {
			uint64_t v = le_word(p + i, word);
			words++;
			if (v >= heap_lo && v < heap_hi)
				ptrs++;
		}
		if (words >= 2 && 2 * ptrs >= words)
			return HW_CONTENT_HEAP_PTRS;
	}
	for (nul = 0; nul < n && p[nul]; nul++)
		;
	if (nul >= 4) {
		for (i = 0; i < nul && printable(p[i]); i++)
			;
		if (i == nul)
			return HW_CONTENT_TEXT;
	}
	return HW_CONTENT_BINARY;
}

/* ---- per site ---- */

struct slot {
	uint64_t file, func, line;
	bool used;
	struct hw_content_counts c;
};

struct hw_classify {
	struct slot *slots;
	size_t cap, n;
	uint64_t lo, hi;
	struct hw_content_counts total;
};

struct hw_error *hw_classify_create(struct hw_classify **ret)
{
	struct hw_classify *cl = calloc(1, sizeof(*cl));

	if (!cl)
		return hw_error_nomem();
	*ret = cl;
	return NULL;
}

void hw_classify_destroy(struct hw_classify *cl)
{
	if (!cl)
		return;
	free(cl->slots);
	free(cl);
}

void hw_classify_set_heap(struct hw_classify *cl, uint64_t lo, uint64_t hi)
{
	cl->lo = lo;
	cl->hi = hi;
}

static size_t hash3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^
		     (b + 0x632be59bd9b4e019ull) * 0xc2b2ae3d27d4eb4full ^
		     c * 0x165667b19e3779f9ull;

	return (size_t)(h ^ (h >> 29));
}

static struct slot *find(const struct hw_classify *cl, uint64_t file, uint64_t func, uint64_t line)
{
	if (!cl->cap)
		return NULL;
	for (size_t i = hash3(file, func, line) & (cl->cap - 1), k = 0; k < cl->cap;
	     i = (i + 1) & (cl->cap - 1), k++) {
		struct slot *s = &cl->slots[i];
		if (!s->used)
			return NULL;
		if (s->file == file && s->func == func && s->line == line)
			return s;
	}
	return NULL;
}

static bool grow(struct hw_classify *cl)
{
	size_t cap = cl->cap ? cl->cap * 2 : 64;
	struct slot *ns = calloc(cap, sizeof(*ns));

	if (!ns)
		return false;
	for (size_t i = 0; i < cl->cap; i++) {
		struct slot *s = &cl->slots[i];
		size_t j;
		if (!s->used)
			continue;
		for (j = hash3(s->file, s->func, s->line) & (cap - 1); ns[j].used;
		     j = (j + 1) & (cap - 1))
			;
		ns[j] = *s;
	}
	free(cl->slots);
	cl->slots = ns;
	cl->cap = cap;
	return true;
}

static void count(struct hw_content_counts *c, enum hw_content k, uint64_t size, const char *label)
{
	c->total++;
	c->count[k]++;
	c->bytes[k] += size;
	if (k != HW_CONTENT_SIP_MSG)
		return;
	for (int i = 0; i < HW_CLASSIFY_LABELS; i++) {
		if (c->sip[i].n && !strcmp(c->sip[i].label, label)) {
			c->sip[i].n++;
			return;
		}
		if (!c->sip[i].n) {
			snprintf(c->sip[i].label, sizeof(c->sip[i].label), "%s", label);
			c->sip[i].n = 1;
			return;
		}
	}
	c->sip_other++;
}

struct hw_error *hw_classify_add(struct hw_classify *cl, const struct hw_target *t,
				 const struct hw_frag *f)
{
	uint8_t buf[HW_CLASSIFY_BYTES];
	size_t n = f->size < sizeof(buf) ? (size_t)f->size : sizeof(buf);
	const uint8_t *p = hw_mem_peek(t->mem, f->user, n);
	char label[16];
	enum hw_content k;
	struct slot *s;

	if (!p) {
		struct hw_error *err = hw_mem_read(t->mem, buf, f->user, n);
		if (err) {
			/* unreadable content is not a class: the fragment is not counted */
			hw_error_destroy(err);
			return NULL;
		}
		p = buf;
	}
	k = hw_classify_bytes(p, n, t->word_size, cl->lo, cl->hi, t->mem, label, sizeof(label));
	count(&cl->total, k, f->size, label);
	s = find(cl, f->file, f->func, f->line);
	if (!s) {
		size_t i;
		if ((cl->n + 1) * 4 > cl->cap * 3 && !grow(cl))
			return hw_error_nomem();
		for (i = hash3(f->file, f->func, f->line) & (cl->cap - 1); cl->slots[i].used;
		     i = (i + 1) & (cl->cap - 1))
			;
		s = &cl->slots[i];
		s->used = true;
		s->file = f->file;
		s->func = f->func;
		s->line = f->line;
		cl->n++;
	}
	count(&s->c, k, f->size, label);
	return NULL;
}

const struct hw_content_counts *hw_classify_site(const struct hw_classify *cl, uint64_t file,
						 uint64_t func, uint64_t line)
{
	const struct slot *s = find(cl, file, func, line);

	return s ? &s->c : NULL;
}

const struct hw_content_counts *hw_classify_total(const struct hw_classify *cl)
{
	return &cl->total;
}

enum hw_content hw_classify_main(const struct hw_content_counts *c)
{
	enum hw_content best = HW_CONTENT_BINARY;

	for (int k = 0; k < HW_CONTENT_COUNT; k++)
		if (c->count[k] > c->count[best])
			best = (enum hw_content)k;
	return best;
}

void hw_classify_describe(const struct hw_content_counts *c, char *buf, size_t cap)
{
	bool done[HW_CONTENT_COUNT] = {false};
	size_t off = 0;

	if (!cap)
		return;
	buf[0] = '\0';
	if (!c || !c->total) {
		snprintf(buf, cap, "-");
		return;
	}
	for (int shown = 0; shown < 3; shown++) {
		int best = -1;
		int w;
		for (int k = 0; k < HW_CONTENT_COUNT; k++)
			if (!done[k] && c->count[k] && (best < 0 || c->count[k] > c->count[best]))
				best = k;
		if (best < 0)
			break;
		done[best] = true;
		w = snprintf(buf + off, cap - off, "%s%s %.0f%%", shown ? ", " : "", names[best],
			     100.0 * (double)c->count[best] / (double)c->total);
		if (w < 0 || (size_t)w >= cap - off)
			return;
		off += (size_t)w;
		if (best == HW_CONTENT_SIP_MSG) {
			for (int i = 0; i < HW_CLASSIFY_LABELS && c->sip[i].n; i++) {
				w = snprintf(buf + off, cap - off, "%s%s %llu", i ? ", " : " (",
					     c->sip[i].label, (unsigned long long)c->sip[i].n);
				if (w < 0 || (size_t)w >= cap - off)
					return;
				off += (size_t)w;
			}
			if (c->sip_other) {
				w = snprintf(buf + off, cap - off, ", other %llu",
					     (unsigned long long)c->sip_other);
				if (w < 0 || (size_t)w >= cap - off)
					return;
				off += (size_t)w;
			}
			w = snprintf(buf + off, cap - off, ")");
			if (w < 0 || (size_t)w >= cap - off)
				return;
			off += (size_t)w;
		}
	}
}
