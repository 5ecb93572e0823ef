/* test_base.c - error objects, string buffers, sanitising, JSON, findings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/array.h"
#include "heapwalk/check.h"
#include "heapwalk/exit.h"
#include "heapwalk/error.h"
#include "heapwalk/json.h"
#include "heapwalk/sbuf.h"

static void test_error_context(void **state)
{
	struct hw_error *err;

	(void)state;
	err = hw_error_fault(0x7f00, "cannot read %d bytes at 0x%x", 8, 0x7f00);
	err = hw_error_context(err, "reading '%s'", "qm_block");
	assert_int_equal(err->code, HW_ERR_FAULT);
	assert_int_equal(err->addr, 0x7f00);
	assert_string_equal(err->message, "reading 'qm_block': cannot read 8 bytes at 0x7f00");
	hw_error_destroy(err);
	err = hw_error_os(2, "cannot open %s", "/nonexistent");
	assert_string_equal(err->message, "cannot open /nonexistent: No such file or directory");
	hw_error_destroy(err);
	assert_null(hw_error_context(NULL, "x"));
	hw_error_destroy(NULL);
	hw_error_destroy(hw_error_nomem());
}

static void test_sanitise(void **state)
{
	char out[32];

	(void)state;
	assert_int_equal(hw_sanitise(out, sizeof(out), "core: core/mem.c", 100), 16);
	assert_string_equal(out, "core: core/mem.c");
	hw_sanitise(out, sizeof(out), "a\x1b[31mb\\c\xff", 100);
	assert_string_equal(out, "a\\x1b[31mb\\\\c\\xff");
	/* truncation never splits an escape and always terminates */
	hw_sanitise(out, 6, "ab\x01\x02", 100);
	assert_string_equal(out, "ab");
	hw_sanitise(out, sizeof(out), "abcdef", 3);
	assert_string_equal(out, "abc");
	assert_int_equal(hw_sanitise(out, 1, "abc", 3), 0);
	assert_string_equal(out, "");
}

static void test_sbuf(void **state)
{
	struct hw_sbuf sb;
	char *s;

	(void)state;
	hw_sbuf_init(&sb);
	assert_string_equal(hw_sbuf_str(&sb), "");
	for (int i = 0; i < 1000; i++)
		hw_sbuf_printf(&sb, "%d,", i);
	assert_null(hw_sbuf_error(&sb));
	assert_int_equal(strncmp(hw_sbuf_str(&sb), "0,1,2,", 6), 0);
	assert_int_equal(sb.len, strlen(sb.buf));
	s = hw_sbuf_steal(&sb);
	assert_non_null(s);
	assert_null(sb.buf);
	free(s);
	hw_sbuf_deinit(&sb);
}

static void test_json(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct hw_json js;

	(void)state;
	hw_json_init(&js, f, false);
	hw_json_begin_object(&js);
	hw_json_key(&js, "a");
	hw_json_u64(&js, 1);
	hw_json_key(&js, "s");
	hw_json_string(&js, "q\"\\\n\x01\xff\xc3\xa9");
	hw_json_key(&js, "arr");
	hw_json_begin_array(&js);
	hw_json_hex(&js, 0x7f00);
	hw_json_bool(&js, true);
	hw_json_null(&js);
	hw_json_begin_object(&js);
	hw_json_end_object(&js);
	hw_json_end_array(&js);
	hw_json_end_object(&js);
	hw_json_finish(&js);
	fclose(f);
	assert_string_equal(buf, "{\"a\":1,\"s\":\"q\\\"\\\\\\n\\u0001\\u00ff\xc3\xa9\",\"arr\":["
				 "\"0x7f00\",true,null,{}]}\n");
	free(buf);
}

static void test_check(void **state)
{
	struct hw_check ck;

	(void)state;
	hw_check_init(&ck, 2);
	hw_check_add(&ck, HW_SEV_ERROR, 0x10, 3, "bad %s", "thing");
	hw_check_add(&ck, HW_SEV_WARNING, 0x20, HW_NO_INDEX, "odd");
	hw_check_add(&ck, HW_SEV_ERROR, 0x30, 4, "dropped");
	assert_int_equal(ck.n, 2);
	assert_int_equal(ck.total, 3);
	assert_int_equal(ck.errors, 2);
	assert_int_equal(ck.warnings, 1);
	assert_string_equal(ck.items[0].message, "bad thing");
	assert_int_equal(ck.items[0].index, 3);
	hw_check_deinit(&ck);
}

static void test_parse(void **state)
{
	uint64_t v = 7;
	double d = 0;
	char *end;

	(void)state;
	assert_true(hw_parse_u64("42", &v) && v == 42);
	assert_true(hw_parse_u64("0x10", &v) && v == 16);
	assert_false(hw_parse_u64("-1", &v));
	assert_false(hw_parse_u64("12k", &v));
	assert_false(hw_parse_u64("", &v));
	assert_false(hw_parse_u64("99999999999999999999", &v));
	assert_true(hw_parse_size("64K", &v) && v == 65536);
	assert_true(hw_parse_size("3G", &v) && v == 3ull << 30);
	assert_true(hw_parse_size("512", &v) && v == 512);
	assert_false(hw_parse_size("1KB", &v));
	assert_false(hw_parse_size("+1", &v));
	assert_false(hw_parse_size("16777216T", &v)); /* 2^64 bytes */
	assert_true(hw_parse_seconds("1.5x3", &d, &end) && d == 1.5 && !strcmp(end, "x3"));
	assert_false(hw_parse_seconds("0", &d, &end));
	assert_false(hw_parse_seconds("2e7", &d, &end));
	assert_false(hw_parse_seconds("s", &d, &end));
	assert_true(hw_parse_addr("7f00dead", &v) && v == 0x7f00dead);
	assert_true(hw_parse_addr("0x10", &v) && v == 16);
	assert_false(hw_parse_addr("0xg", &v));
	assert_false(hw_parse_addr("-1", &v));
}

static void test_grow(void **state)
{
	int *v = NULL;
	size_t cap = 0;

	(void)state;
	assert_true(hw_grow(&v, &cap, 1, sizeof(*v), 4));
	assert_int_equal(cap, 4);
	v[3] = 7;
	assert_true(hw_grow(&v, &cap, 4, sizeof(*v), 4)); /* already room */
	assert_int_equal(cap, 4);
	assert_true(hw_grow(&v, &cap, 9, sizeof(*v), 4));
	assert_int_equal(cap, 16);
	assert_int_equal(v[3], 7);
	/* a size that would overflow leaves the array as it was */
	assert_false(hw_grow(&v, &cap, SIZE_MAX / 2, sizeof(*v), 4));
	assert_false(hw_grow(&v, &cap, SIZE_MAX, 1, 4));
	assert_int_equal(cap, 16);
	assert_int_equal(v[3], 7);
	free(v);
}

/* The most urgent code wins, in either order: usage, could not walk, damage, leak, exhausted,
 * fragmentation, ok. */
static void test_exit_worse(void **state)
{
	static const int order[] = {HW_EXIT_USAGE, HW_EXIT_FATAL,     HW_EXIT_FINDINGS,
				    HW_EXIT_LEAK,  HW_EXIT_EXHAUSTED, HW_EXIT_FRAGMENTED,
				    HW_EXIT_OK};
	size_t n = sizeof(order) / sizeof(order[0]);

	(void)state;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int want = order[i < j ? i : j];
			assert_int_equal(hw_exit_worse(order[i], order[j]), want);
		}
}

/* The namespace pid of an NSpid: line, and hex digits. */
static void test_nspid_hex(void **state)
{
	(void)state;
	assert_int_equal(hw_parse_nspid("\t4242\t1\n"), 1);
	assert_int_equal(hw_parse_nspid(" 4242 17 3"), 3);	/* nested: the innermost */
	assert_int_equal(hw_parse_nspid("\t4242\n"), 0);	/* no namespace of its own */
	assert_int_equal(hw_parse_nspid("\t4242\t-1\n"), 0);	/* nonsense */
	assert_int_equal(hw_parse_nspid("\t99999999999 1"), 0); /* beyond an int */
	assert_int_equal(hw_parse_nspid(""), 0);
	assert_int_equal(hw_hexval('0'), 0);
	assert_int_equal(hw_hexval('f'), 15);
	assert_int_equal(hw_hexval('A'), 10);
	assert_int_equal(hw_hexval('g'), -1);
	assert_int_equal(hw_hexval('\0'), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_context), cmocka_unit_test(test_sanitise),
	    cmocka_unit_test(test_sbuf),	  cmocka_unit_test(test_json),
	    cmocka_unit_test(test_check),	  cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_grow),	  cmocka_unit_test(test_exit_worse),
	    cmocka_unit_test(test_nspid_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
