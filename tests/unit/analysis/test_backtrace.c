/* test_backtrace.c - which frames are the allocator, the key frame, and summary --by stack rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/alloc.h"
#include "heapwalk/backtrace.h"
#include "heapwalk/error.h"
#include "heapwalk/sites.h"

static void test_wrappers(void **state)
{
	static const char *const wrappers[] = {
	    "qm_malloc",   "qm_shm_malloc", "qm_free",	     "fm_realloc",	"tlsf_malloc",
	    "_shm_resize", "shm_str_dup",   "pkg_str_dup",   "ser_malloc",	"ser_realloc",
	    "sr_free",	   "backtrace",	    "qm_split_frag", "fm_shm_mallocxz",
	};
	static const char *const callers[] = {
	    "build_cell",  "ht_cell_new", "new_ucontact", "ser_init",
	    "sr_init_foo", "main",	  "malloc_info",  "",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(wrappers) / sizeof(wrappers[0]); i++)
		assert_true(hw_bt_is_wrapper(wrappers[i]));
	for (size_t i = 0; i < sizeof(callers) / sizeof(callers[0]); i++)
		assert_false(hw_bt_is_wrapper(callers[i]));
	assert_false(hw_bt_is_wrapper(NULL));
}

static void test_key_frame(void **state)
{
	struct hw_bt_frame a = {.addr = 1, .symbol = "qm_malloc", .wrapper = true};
	struct hw_bt_frame b = {.addr = 2, .symbol = "shm_str_dup", .wrapper = true};
	struct hw_bt_frame c = {.addr = 3, .symbol = "ul_insert", .wrapper = false};
	struct hw_bt_frame d = {.addr = 4}; /* unsymbolised: not a wrapper */
	const struct hw_bt_frame *s1[] = {&a, &b, &c, &d}, *s2[] = {&a, &b}, *s3[] = {&a, &d, &c};
	char buf[128];

	(void)state;
	assert_int_equal(hw_bt_key_frame(s1, 4), 2);
	assert_int_equal(hw_bt_key_frame(s2, 2), 1); /* all wrappers: the last */
	assert_int_equal(hw_bt_key_frame(s3, 3), 1);
	assert_int_equal(hw_bt_key_frame(s1, 0), 0);
	c.offset = 0x1f;
	c.object = "usrloc.so";
	hw_bt_frame_text(&c, buf, sizeof(buf));
	assert_string_equal(buf, "ul_insert+0x1f (usrloc.so)");
	hw_bt_frame_text(&d, buf, sizeof(buf));
	assert_string_equal(buf, "0x4 (not mapped)");
	d.object = "libc.so.6";
	hw_bt_frame_text(&d, buf, sizeof(buf));
	assert_string_equal(buf, "0x4 (libc.so.6)");
}

static void test_stack_groups(void **state)
{
	struct hw_bt_frame w = {
	    .addr = 0x10, .symbol = "qm_malloc", .object = "k", .wrapper = true};
	struct hw_bt_frame x = {.addr = 0x20, .symbol = "f", .object = "k", .offset = 2};
	struct hw_bt_frame y = {.addr = 0x30, .symbol = "g", .object = "m.so", .offset = 4};
	const struct hw_bt_frame *sx[] = {&w, &x}, *sy[] = {&w, &y};
	struct hw_frag f1 = {.size = 16, .file = 1, .line = 10},
		       f2 = {.size = 32, .file = 1, .line = 11};
	struct hw_stack_groups *g = NULL;
	struct hw_group *rows = NULL;
	uint64_t count = 0, bytes = 0;
	size_t n = 0;

	(void)state;
	assert_null(hw_stack_groups_create(&g));
	for (int i = 0; i < 1000; i++) { /* enough to grow the table */
		assert_null(hw_stack_groups_add(g, &f1, sx, 2));
		assert_null(hw_stack_groups_add(g, &f2, i % 2 ? sx : sy, 2));
		assert_null(hw_stack_groups_add(g, &f1, NULL, 0));
	}
	assert_null(hw_stack_groups_rows(g, &rows, &n));
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		count += rows[i].count;
		bytes += rows[i].bytes;
		if (!strcmp(rows[i].key, "f+0x2 (k)")) {
			assert_int_equal(rows[i].count, 1500);
			assert_int_equal(rows[i].nsites, 2); /* lines 10 and 11 */
		} else if (!strcmp(rows[i].key, "g+0x4 (m.so)")) {
			assert_int_equal(rows[i].count, 500);
			assert_int_equal(rows[i].bytes, 500 * 32);
		} else {
			assert_string_equal(rows[i].key, "(no stored stack)");
			assert_int_equal(rows[i].count, 1000);
		}
	}
	assert_int_equal(count, 3000);
	assert_int_equal(bytes, 1000 * 16 + 1000 * 32 + 1000 * 16);
	free(rows);
	hw_stack_groups_destroy(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wrappers),
	    cmocka_unit_test(test_key_frame),
	    cmocka_unit_test(test_stack_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
