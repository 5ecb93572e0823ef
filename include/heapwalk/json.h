/*
 * json.h - a small streaming JSON writer.
 *
 * Writes compact-but-readable JSON to a FILE*. Strings are escaped per RFC
 * 8259; bytes that are not valid UTF-8 are written as \u00XX of the byte so
 * output is always valid JSON. The writer tracks nesting (up to 32 levels)
 * and commas; misuse (value without key inside an object) is a programming
 * error caught by assert in debug builds.
 */
#ifndef HEAPWALK_JSON_H
#define HEAPWALK_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct hw_json {
	FILE *out;
	int depth;
	bool first[32];	 /* no element written yet at this depth */
	bool in_obj[32]; /* object (true) or array (false) */
	bool pretty;
};

void hw_json_init(struct hw_json *js, FILE *out, bool pretty);
void hw_json_begin_object(struct hw_json *js);
void hw_json_end_object(struct hw_json *js);
void hw_json_begin_array(struct hw_json *js);
void hw_json_end_array(struct hw_json *js);
void hw_json_key(struct hw_json *js, const char *key); /* inside an object, before a value */
void hw_json_string(struct hw_json *js, const char *s);
void hw_json_u64(struct hw_json *js, uint64_t v);
void hw_json_i64(struct hw_json *js, int64_t v);
void hw_json_double(struct hw_json *js, double v);
void hw_json_bool(struct hw_json *js, bool v);
void hw_json_null(struct hw_json *js);
/* Address as a string "0x..." (JSON numbers lose precision above 2^53). */
void hw_json_hex(struct hw_json *js, uint64_t v);
/* Ends the document with a newline. */
void hw_json_finish(struct hw_json *js);

#endif
