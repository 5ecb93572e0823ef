/*
 * sbuf.h - growable string buffer, string sanitising, and numbers as people
 * type them.
 *
 * A struct hw_sbuf is embedded (init/deinit). Appends that fail for lack of
 * memory set ->oom and become no-ops, so formatting code can append freely
 * and check once at the end with hw_sbuf_error().
 */
#ifndef HEAPWALK_SBUF_H
#define HEAPWALK_SBUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct hw_error;

struct hw_sbuf {
	char *buf; /* always NUL-terminated once anything was appended; may be NULL when empty */
	size_t len;
	size_t cap;
	bool oom;
};

void hw_sbuf_init(struct hw_sbuf *sb);
void hw_sbuf_deinit(struct hw_sbuf *sb);
void hw_sbuf_reset(struct hw_sbuf *sb); /* len = 0, keeps capacity */
void hw_sbuf_append(struct hw_sbuf *sb, const char *s, size_t len);
void hw_sbuf_puts(struct hw_sbuf *sb, const char *s);
void hw_sbuf_putc(struct hw_sbuf *sb, char c);
void hw_sbuf_printf(struct hw_sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The formatted text in *ret (caller frees), or a nomem error (*ret untouched). */
struct hw_error *hw_vformat(char **ret, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* "" when empty; valid until the next append. */
const char *hw_sbuf_str(const struct hw_sbuf *sb);
/* NULL, or a nomem error if any append failed. */
struct hw_error *hw_sbuf_error(const struct hw_sbuf *sb);
/* Hand over the buffer (caller frees); the sbuf is left empty. NULL on oom. */
char *hw_sbuf_steal(struct hw_sbuf *sb);

/*
 * Sanitise bytes read from a target into a printable string: printable
 * ASCII (0x20..0x7e) is kept, '\\' becomes "\\\\", every other byte becomes
 * "\\xNN". Output is NUL-terminated and truncated to fit @cap (cap >= 1);
 * input stops at the first NUL or after @len bytes. Returns the output length.
 */
size_t hw_sanitise(char *out, size_t cap, const char *in, size_t len);

/*
 * A byte count for people, in binary units with one decimal: "512 B",
 * "1.5 KiB", "16.0 MiB", ... up to PiB. Writes at most @cap bytes to @buf
 * and returns @buf.
 */
char *hw_human_size(char *buf, size_t cap, uint64_t v);
/* The same for a change: "+1.5 KiB", "-12 B", "0 B". */
char *hw_human_delta(char *buf, size_t cap, int64_t v);

/* parse.c: a whole decimal number (or 0x hex), nothing else; no sign. */
bool hw_parse_u64(const char *s, uint64_t *ret);
/* A byte count with an optional K, M, G or T suffix (powers of 1024). */
bool hw_parse_size(const char *s, uint64_t *ret);
/* An address: hex, 0x optional. */
bool hw_parse_addr(const char *s, uint64_t *ret);
/* Seconds: a positive number up to 1e7; *end gets what follows it. */
bool hw_parse_seconds(const char *s, double *ret, char **end);

/* A hash of the NUL-terminated @s for hash tables (FNV-1a, 64 bits). */
uint64_t hw_str_hash(const char *s);

/*
 * The last pid of a /proc status NSpid: line, @p just after "NSpid:": the
 * pid in the process's own namespace when it lives in another one than
 * /proc's (a container), else 0. At most 32 levels, as the kernel nests them.
 */
int hw_parse_nspid(const char *p);
/* The value of hex digit @c, -1 if it is none. */
int hw_hexval(char c);

#endif
