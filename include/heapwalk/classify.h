/*
 * classify.h - what fragments hold: recognising common Kamailio payloads
 * from their first bytes (SIP messages by a start line anywhere in those
 * bytes, e.g. after an htable cell's fields, SIP URIs, str
 * structs pointing into the same heap, structures of heap pointers, zeroed
 * memory, printable text, other binary data), counted per allocation site.
 *
 * Reads at most HW_CLASSIFY_BYTES of each fragment's payload; memory is
 * proportional to the number of distinct sites. Heuristics: a class says
 * what the bytes look like, not what the program meant.
 */
#ifndef HEAPWALK_CLASSIFY_H
#define HEAPWALK_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

struct hw_error;
struct hw_frag;
struct hw_mem;
struct hw_target;

#define HW_CLASSIFY_BYTES 512
/* SIP start-line labels kept per site ("INVITE", "200"); the rest are counted as other */
#define HW_CLASSIFY_LABELS 6

enum hw_content {
	HW_CONTENT_SIP_MSG,   /* a SIP request or response: its start line, at any offset */
	HW_CONTENT_SIP_URI,   /* "sip:", "sips:" or "tel:" text */
	HW_CONTENT_STR,	      /* a str {char *s; int len} pointing at text in the same heap */
	HW_CONTENT_HEAP_PTRS, /* mostly words pointing into the same heap */
	HW_CONTENT_ZERO,      /* all zero */
	HW_CONTENT_TEXT,      /* printable text */
	HW_CONTENT_BINARY,    /* anything else */
	HW_CONTENT_COUNT
};

/* "SIP message", "SIP URI", ... and the JSON keys "sip_message", "sip_uri", ... */
const char *hw_content_name(enum hw_content c);
const char *hw_content_key(enum hw_content c);

/*
 * Classify @n bytes at @p (the start of a payload, word size @word);
 * pointers count as into the heap when in [@heap_lo, @heap_hi), and a str
 * is followed through @mem (may be NULL: no str is recognised). A SIP
 * start line counts anywhere in the bytes when whole: a request line
 * ("INVITE sip:... SIP/2.0") or a status line ("SIP/2.0 200 OK"), at the
 * start or after a byte that is neither printable nor a blank, ended by CR
 * or LF. Its method (A-Z, 3 to 15 letters) or status code goes to @label
 * (cap bytes, may be NULL).
 */
enum hw_content hw_classify_bytes(const uint8_t *p, size_t n, uint32_t word, uint64_t heap_lo,
				  uint64_t heap_hi, const struct hw_mem *mem, char *label,
				  size_t cap);

struct hw_content_counts {
	uint64_t total;
	uint64_t count[HW_CONTENT_COUNT];
	uint64_t bytes[HW_CONTENT_COUNT];
	struct {
		char label[16];
		uint64_t n;
	} sip[HW_CLASSIFY_LABELS];
	uint64_t sip_other;
};

struct hw_classify;

struct hw_error *hw_classify_create(struct hw_classify **ret);
void hw_classify_destroy(struct hw_classify *cl);
/* The heap the fragments belong to (for str and pointer recognition); default: none. */
void hw_classify_set_heap(struct hw_classify *cl, uint64_t lo, uint64_t hi);
/* Classify @f's payload and count it under its site (file, func, line). Only nomem fails. */
struct hw_error *hw_classify_add(struct hw_classify *cl, const struct hw_target *t,
				 const struct hw_frag *f);
/* The counts of a site, NULL if none of its fragments was added. */
const struct hw_content_counts *hw_classify_site(const struct hw_classify *cl, uint64_t file,
						 uint64_t func, uint64_t line);
/* All fragments added. */
const struct hw_content_counts *hw_classify_total(const struct hw_classify *cl);
/* The class holding most fragments. */
enum hw_content hw_classify_main(const struct hw_content_counts *c);
/* "SIP message 80% (INVITE 12, 200 3), text 20%": classes by share, at most 3. */
void hw_classify_describe(const struct hw_content_counts *c, char *buf, size_t cap);

#endif
