/* sbuf.c - growable strings and sanitising (see include/heapwalk/sbuf.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/error.h"
#include "heapwalk/sbuf.h"

void hw_sbuf_init(struct hw_sbuf *sb)
{
	memset(sb, 0, sizeof(*sb));
}

void hw_sbuf_deinit(struct hw_sbuf *sb)
{
	free(sb->buf);
	memset(sb, 0, sizeof(*sb));
}

void hw_sbuf_reset(struct hw_sbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

static int reserve(struct hw_sbuf *sb, size_t more)
{
	size_t need, cap;
	char *nb;

	if (sb->oom)
		return -1;
	if (more > SIZE_MAX - sb->len - 1) {
		sb->oom = true;
		return -1;
	}
	need = sb->len + more + 1;
	if (need <= sb->cap)
		return 0;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	nb = realloc(sb->buf, cap);
	if (!nb) {
		sb->oom = true;
		return -1;
	}
	sb->buf = nb;
	sb->cap = cap;
	return 0;
}

void hw_sbuf_append(struct hw_sbuf *sb, const char *s, size_t len)
{
	if (reserve(sb, len))
		return;
	memcpy(sb->buf + sb->len, s, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void hw_sbuf_puts(struct hw_sbuf *sb, const char *s)
{
	hw_sbuf_append(sb, s, strlen(s));
}

void hw_sbuf_putc(struct hw_sbuf *sb, char c)
{
	hw_sbuf_append(sb, &c, 1);
}

void hw_sbuf_printf(struct hw_sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

struct hw_error *hw_vformat(char **ret, const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return hw_error_nomem();
	*ret = s;
	return NULL;
}

const char *hw_sbuf_str(const struct hw_sbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

struct hw_error *hw_sbuf_error(const struct hw_sbuf *sb)
{
	return sb->oom ? hw_error_nomem() : NULL;
}

char *hw_sbuf_steal(struct hw_sbuf *sb)
{
	char *s;

	if (sb->oom) {
		hw_sbuf_deinit(sb);
		return NULL;
	}
	s = sb->buf ? sb->buf : strdup("");
	memset(sb, 0, sizeof(*sb));
	return s;
}

uint64_t hw_str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ull;
	}
	return h;
}

size_t hw_sanitise(char *out, size_t cap, const char *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (cap == 0)
		return 0;
	for (size_t i = 0; i < len && in[i] != '\0'; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= cap)
				break;
			out[o++] = (char)c;
		} else if (c == '\\') {
			if (o + 2 >= cap)
				break;
			out[o++] = '\\';
			out[o++] = '\\';
		} else {
			if (o + 4 >= cap)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return o;
}

char *hw_human_size(char *buf, size_t cap, uint64_t v)
{
	static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
	double d = (double)v;
	int u = -1;

	if (v < 1024) {
		snprintf(buf, cap, "%" PRIu64 " B", v);
		return buf;
	}
	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	snprintf(buf, cap, "%.1f %s", d, unit[u]);
	return buf;
}

char *hw_human_delta(char *buf, size_t cap, int64_t v)
{
	char b[32];

	hw_human_size(b, sizeof(b), v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v);
	snprintf(buf, cap, "%s%s", v < 0 ? "-" : v > 0 ? "+" : "", b);
	return buf;
}
