/*
 * wrap.c - text output folded to a width: a line longer than the width
 * continues on indented lines, under the start of its last column (the text
 * after its last run of two or more spaces), so tables and "label:  value"
 * lines stay readable. Colour escapes take no width. A word longer than the
 * room left is not broken.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/report.h"

#define MAX_LINE (1u << 20) /* longer lines are passed through as they come */

struct wrap {
	FILE *out;
	unsigned width;
	char *line;
	size_t len, cap;
	bool failed;
};

static struct wrap *active;
static FILE *saved_stdout;

/* Visible column after each byte: col[i] is the width of line[0..i). */
static void columns(const char *s, size_t len, size_t *col)
{
	size_t c = 0;
	bool esc = false;

	for (size_t i = 0; i < len; i++) {
		col[i] = c;
		if (esc) {
			if ((s[i] >= '@' && s[i] <= '~') && s[i] != '[')
				esc = false;
		} else if (s[i] == '\033') {
			esc = true;
		} else if (((unsigned char)s[i] & 0xc0) != 0x80) {
			c++; /* UTF-8 continuation bytes take no column */
		}
	}
	col[len] = c;
}

static void put(struct wrap *w, const char *s, size_t n)
{
	if (n && fwrite(s, 1, n, w->out) != n)
		w->failed = true;
}

static void emit(struct wrap *w, const char *s, size_t len)
{
	size_t *col, indent = 0, lead = 0, start = 0;

	col = malloc((len + 1) * sizeof(*col));
	if (!col) {
		put(w, s, len);
		return;
	}
	columns(s, len, col);
	if (col[len] <= w->width) {
		put(w, s, len);
		free(col);
		return;
	}
	/* hanging indent: the start of the last column that begins within the width */
	while (lead < len && s[lead] == ' ')
		lead++;
	for (size_t i = lead; i + 1 < len && col[i] < w->width; i++)
		if (s[i] == ' ' && s[i + 1] == ' ') {
			size_t j = i;

			while (j < len && s[j] == ' ')
				j++;
			if (j < len && col[j] < w->width)
				indent = col[j];
			i = j - 1;
		}
	/* at least a quarter of the width stays for the continued text */
	if (indent == 0 || indent > w->width - w->width / 4)
		indent = col[lead] + 2 <= w->width / 2 ? col[lead] + 2 : w->width / 2;

	for (size_t room = w->width; start < len;) {
		size_t brk = SIZE_MAX, end;

		/* the rest fits */
		if (col[len] - col[start] <= room) {
			put(w, s + start, len - start);
			break;
		}
		/* the last space that keeps the piece within the room, else the first after it */
		for (size_t i = start + 1; i < len && col[i] - col[start] <= room; i++)
			if (s[i] == ' ')
				brk = i;
		if (brk == SIZE_MAX) {
			for (size_t i = start + 1; i < len; i++)
				if (s[i] == ' ') {
					brk = i;
					break;
				}
		}
		if (brk == SIZE_MAX) {
			put(w, s + start, len - start);
			break;
		}
		end = brk;
		while (end > start && s[end - 1] == ' ')
			end--;
		put(w, s + start, end - start);
		put(w, "\n", 1);
		for (size_t k = 0; k < indent; k++)
			put(w, " ", 1);
		start = brk;
		while (start < len && s[start] == ' ')
			start++;
		room = w->width - indent;
	}
	free(col);
}

static ssize_t wrap_write(void *cookie, const char *buf, size_t size)
{
	struct wrap *w = cookie;

	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n') {
			emit(w, w->line, w->len);
			put(w, "\n", 1);
			w->len = 0;
			continue;
		}
		if (w->len == w->cap) {
			size_t ncap = w->cap ? w->cap * 2 : 256;
			char *nl;

			if (ncap > MAX_LINE || !(nl = realloc(w->line, ncap))) {
				put(w, w->line, w->len);
				w->len = 0;
				put(w, buf + i, 1);
				continue;
			}
			w->line = nl;
			w->cap = ncap;
		}
		w->line[w->len++] = buf[i];
	}
	return w->failed ? -1 : (ssize_t)size;
}

static int wrap_close(void *cookie)
{
	struct wrap *w = cookie;

	emit(w, w->line, w->len);
	free(w->line);
	w->line = NULL;
	w->len = 0;
	return w->failed ? EOF : 0;
}

int hw_wrap_stdout(unsigned width)
{
	cookie_io_functions_t io = {.write = wrap_write, .close = wrap_close};
	struct wrap *w;
	FILE *f;

	if (active || width < 20)
		return -1;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -1;
	w->out = stdout;
	w->width = width;
	f = fopencookie(w, "w", io);
	if (!f) {
		free(w);
		return -1;
	}
	saved_stdout = stdout;
	stdout = f;
	active = w;
	return 0;
}

int hw_wrap_end(void)
{
	int rc;

	if (!active)
		return 0;
	rc = fclose(stdout);
	stdout = saved_stdout;
	free(active);
	active = NULL;
	return rc;
}
