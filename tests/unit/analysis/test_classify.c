/* test_classify.c - SIP start lines found anywhere in a fragment's bytes, and what must not count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/classify.h"

/* Classify @n bytes copied to a buffer of exactly that size (a read past it is caught). */
static enum hw_content cls_n(const void *bytes, size_t n, char *label, size_t cap)
{
	uint8_t *p = malloc(n ? n : 1);
	enum hw_content k;

	assert_non_null(p);
	memcpy(p, bytes, n);
	k = hw_classify_bytes(p, n, 8, 0, 0, NULL, label, cap);
	free(p);
	return k;
}

/* @head bytes of binary fields (ints, a pointer, padding), then @text. */
static enum hw_content after_fields(size_t head, const char *text, char *label)
{
	uint8_t buf[HW_CLASSIFY_BYTES];
	size_t n = strlen(text);

	assert_true(head + n <= sizeof(buf));
	for (size_t i = 0; i < head; i++)
		buf[i] = (uint8_t)(i % 8 == 7 ? 0 : 0x91 + 13 * i);
	memcpy(buf + head, text, n);
	return cls_n(buf, head + n, label, 16);
}

static void test_at_start(void **state)
{
	char label[16];
	(void)state;

	assert_int_equal(cls_n("INVITE sip:bob@example.com SIP/2.0\r\nVia: x\r\n", 45, label, 16),
			 HW_CONTENT_SIP_MSG);
	assert_string_equal(label, "INVITE");
	assert_int_equal(cls_n("SIP/2.0 180 Ringing\r\n", 21, label, 16), HW_CONTENT_SIP_MSG);
	assert_string_equal(label, "180");
}

static void test_after_fields(void **state)
{
	char label[16];
	/* as an htable cell: hash, sizes, flags, name and value pointers, the name, NUL, value */
	static const uint8_t cell[] = {
	    0xe6, 0x14, 0x9e, 0x3d, 0xef, 0x05, 0,   0,	  2,	0,   0,	  0,   0,   0,	 0,    0,
	    0x70, 0x60, 0x05, 0x8f, 0x65, 0x7f, 0,   0,	  0x2e, 0,   0,	  0,   0,   0,	 0,    0,
	    'c',  'a',	'l',  'l',  '-',  '1',	0,   'M', 'E',	'S', 'S', 'A', 'G', 'E', ' ',  's',
	    'i',  'p',	':',  'u',  '@',  'h',	' ', 'S', 'I',	'P', '/', '2', '.', '0', '\r', '\n',
	    'V',  'i',	'a',  ':',  ' ',  'S',	'I', 'P', '/',	'2', '.', '0', '/', 'U', 'D',  'P'};
	(void)state;

	assert_int_equal(
	    after_fields(40, "INVITE sip:bob@example.com SIP/2.0\r\nCSeq: 1 INVITE\r\n", label),
	    HW_CONTENT_SIP_MSG);
	assert_string_equal(label, "INVITE");
	assert_int_equal(cls_n(cell, sizeof(cell), label, 16), HW_CONTENT_SIP_MSG);
	assert_string_equal(label, "MESSAGE");
	/* after a line break of a text buffer */
	assert_int_equal(cls_n("x\r\nBYE sips:a@b;lr SIP/2.0\r\n", 28, label, 16),
			 HW_CONTENT_SIP_MSG);
	assert_string_equal(label, "BYE");
}

static void test_status_line(void **state)
{
	char label[16];
	(void)state;

	assert_int_equal(after_fields(40, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h\r\n", label),
			 HW_CONTENT_SIP_MSG);
	assert_string_equal(label, "200");
	/* an empty reason phrase, a UTF-8 one */
	assert_int_equal(after_fields(9, "SIP/2.0 486 \r\n", label), HW_CONTENT_SIP_MSG);
	assert_string_equal(label, "486");
	assert_int_equal(after_fields(9, "SIP/2.0 603 D\xc3\xa9\x63lin\xc3\xa9\r\n", label),
			 HW_CONTENT_SIP_MSG);
	assert_string_equal(label, "603");
}

static void test_fakes_do_not_count(void **state)
{
	char label[16];
	static const char *const fakes[] = {
	    "SIP/2.0\x01\x02\xff",			  /* the version alone */
	    "SIP/2.0 200\x01",				  /* no reason, no line end */
	    "SIP/2.0 999 Nine\r\n",			  /* not a status code */
	    "SIP/2.0 2x0 OK\r\n",			  /* not digits */
	    "ab SIP/2.0 200 OK\r\n",			  /* text before it on the line */
	    " SIP/2.0\r\n",				  /* no method, no URI */
	    "INVITE  SIP/2.0\r\n",			  /* no URI */
	    "\x03INVITE http://a SIP/2.0\r\n",		  /* not a SIP URI */
	    "\x03xINVITE sip:a@b SIP/2.0\r\n",		  /* text glued to the method */
	    "\x03Invite sip:a@b SIP/2.0\r\n",		  /* a method in lower case */
	    "\x03IN sip:a@b SIP/2.0\r\n",		  /* too short */
	    "\x03INVITEINVITEINVITE sip:a@b SIP/2.0\r\n", /* too long */
	    "\x03INVITE sip:a@b SIP/2.0x\r\n",		  /* more after the version */
	    "\x03INVITE sip:a@b  SIP/2.0\r\n",		  /* two spaces */
	    "\x03INVITE\tsip:a@b SIP/2.0\r\n",		  /* a tab for the space */
	    "\x03INVITE sip:a@b HTTP/1.1\r\n",		  /* another protocol */
	};
	(void)state;

	for (size_t i = 0; i < sizeof(fakes) / sizeof(fakes[0]); i++) {
		enum hw_content k = after_fields(24, fakes[i], label);
		if (k == HW_CONTENT_SIP_MSG)
			fail_msg("fake %zu counted as SIP %s", i, label);
		assert_string_equal(label, "");
	}
}

/* A start line the fragment (or the bytes read) cuts before its line end, after binary fields. */
static void test_cut_at_end(void **state)
{
	static const char *const lines[] = {"INVITE sip:bob@example.com SIP/2.0\r\n",
					    "SIP/2.0 200 OK\r\n"};
	char label[16], cut[64];
	(void)state;

	for (size_t l = 0; l < 2; l++) {
		size_t whole = strlen(lines[l]) - 1; /* up to the CR */
		for (size_t n = 0; n <= whole; n++) {
			memcpy(cut, lines[l], n);
			cut[n] = '\0';
			if (n < whole)
				assert_int_not_equal(after_fields(16, cut, label),
						     HW_CONTENT_SIP_MSG);
			else
				assert_int_equal(after_fields(16, cut, label), HW_CONTENT_SIP_MSG);
		}
	}
}

static void test_label_bounded(void **state)
{
	char label[16], small[4];
	(void)state;

	assert_int_equal(cls_n("\x01PUBLISHPUBLISHX sip:a SIP/2.0\r\n", 32, label, 16),
			 HW_CONTENT_SIP_MSG);
	assert_string_equal(label, "PUBLISHPUBLISHX");
	assert_int_equal(cls_n("\x01SUBSCRIBE sip:a SIP/2.0\r\n", 26, small, sizeof(small)),
			 HW_CONTENT_SIP_MSG);
	assert_string_equal(small, "SUB");
	assert_int_equal(cls_n("SIP/2.0 404 x\r\n", 15, small, sizeof(small)), HW_CONTENT_SIP_MSG);
	assert_string_equal(small, "404");
}

/* Many candidates in one buffer: each rejected, the last real one found. */
static void test_many_candidates(void **state)
{
	uint8_t buf[HW_CLASSIFY_BYTES];
	static const char tail[] = "\x01"
				   "ACK sip:a SIP/2.0\r\n";
	static const char *const units[] = {"SIP/2.0 200 \x80", " SIP/2.0\r", "SIP/2.0"};
	char label[16];
	(void)state;

	for (size_t u = 0; u < 3; u++) {
		size_t k = strlen(units[u]), n = 0;
		while (n + k + sizeof(tail) <= sizeof(buf)) {
			memcpy(buf + n, units[u], k);
			n += k;
		}
		assert_int_equal(cls_n(buf, n, label, 16), u ? HW_CONTENT_TEXT : HW_CONTENT_BINARY);
		memcpy(buf + n, tail, sizeof(tail) - 1);
		assert_int_equal(cls_n(buf, n + sizeof(tail) - 1, label, 16), HW_CONTENT_SIP_MSG);
		assert_string_equal(label, "ACK");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_at_start),	    cmocka_unit_test(test_after_fields),
	    cmocka_unit_test(test_status_line),	    cmocka_unit_test(test_fakes_do_not_count),
	    cmocka_unit_test(test_cut_at_end),	    cmocka_unit_test(test_label_bounded),
	    cmocka_unit_test(test_many_candidates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
