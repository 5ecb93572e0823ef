/*
 * jsonin.h - a small JSON reader for heapwalk's own output (saved
 * `--format json` summaries read back by diff).
 *
 * Parses the whole text into a tree (RFC 8259; depth at most
 * HW_JSONIN_MAX_DEPTH, input at most HW_JSONIN_MAX_BYTES). The input is
 * untrusted: every malformed document is an error, never a crash. Strings
 * are decoded (\uXXXX to UTF-8; a lone surrogate becomes U+FFFD) and kept
 * raw: sanitise before printing. Numbers keep their text and, when they are
 * integers, their value.
 */
#ifndef HEAPWALK_JSONIN_H
#define HEAPWALK_JSONIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;

#define HW_JSONIN_MAX_DEPTH 64
#define HW_JSONIN_MAX_BYTES (256u << 20)

enum hw_jtype { HW_J_NULL, HW_J_BOOL, HW_J_NUMBER, HW_J_STRING, HW_J_ARRAY, HW_J_OBJECT };

struct hw_jnode {
	enum hw_jtype type;
	bool b;
	bool is_int; /* a number without fraction or exponent that fits int64 */
	int64_t i;
	double d;
	char *s; /* string value (NUL-terminated; may contain NULs from \u0000: see len) */
	size_t len;
	char *key; /* member name inside an object, else NULL */
	struct hw_jnode *kids;
	size_t nkids;
};

/* Parse @text (@len bytes). The caller frees *ret with hw_jsonin_free. */
struct hw_error *hw_jsonin_parse(const char *text, size_t len, struct hw_jnode **ret);
void hw_jsonin_free(struct hw_jnode *n);

/* Member @key of an object, or NULL. */
const struct hw_jnode *hw_jsonin_get(const struct hw_jnode *obj, const char *key);
/* Typed reads of a member with a default when absent or of another type. */
int64_t hw_jsonin_get_int(const struct hw_jnode *obj, const char *key, int64_t dflt);
const char *hw_jsonin_get_str(const struct hw_jnode *obj, const char *key, const char *dflt);

#endif
