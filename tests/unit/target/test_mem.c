/* test_mem.c - unit tests of the segment map (walker/target/mem.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "heapwalk/error.h"
#include "heapwalk/mem.h"

/*
 * The standard map:
 *   CORE  [0x1000,0x2000) A   [0x2000,0x3000) B (adjacent)   [0x8000,0x9000) C
 *   FILE  [0x1800,0x4000) F   [0x9000,0xa000) G (adjacent to C, other layer)
 *   missing [0x4000,0x5000) "memory not saved in core file"
 *           [0x6000,0x7000) "core file truncated"
 */
static uint8_t A[0x1000], B[0x1000], C[0x1000], F[0x2800], G[0x1000];

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 13 + seed);
}

static struct hw_mem *std_mem(void)
{
	struct hw_mem *mem;

	fill(A, sizeof(A), 1);
	fill(B, sizeof(B), 2);
	fill(C, sizeof(C), 3);
	fill(F, sizeof(F), 4);
	fill(G, sizeof(G), 5);
	assert_null(hw_mem_create(&mem));
	/* Deliberately out of order. */
	assert_null(hw_mem_add_direct(mem, HW_MEM_LAYER_FILE, 0x1800, sizeof(F), F));
	assert_null(hw_mem_add_direct(mem, HW_MEM_LAYER_CORE, 0x8000, sizeof(C), C));
	assert_null(hw_mem_add_direct(mem, HW_MEM_LAYER_CORE, 0x2000, sizeof(B), B));
	assert_null(hw_mem_add_direct(mem, HW_MEM_LAYER_CORE, 0x1000, sizeof(A), A));
	assert_null(hw_mem_add_direct(mem, HW_MEM_LAYER_FILE, 0x9000, sizeof(G), G));
	assert_null(hw_mem_add_missing(mem, 0x6000, 0x1000, "core file truncated"));
	assert_null(hw_mem_add_missing(mem, 0x4000, 0x1000, "memory not saved in core file"));
	return mem;
}

static void expect_fault(struct hw_mem *mem, uint64_t addr, size_t len, uint64_t at,
			 const char *msg)
{
	uint8_t buf[64];
	struct hw_error *err = hw_mem_read(mem, buf, addr, len);

	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_FAULT);
	assert_int_equal(err->addr, at);
	if (msg)
		assert_string_equal(err->message, msg);
	hw_error_destroy(err);
}

static void test_read_one_segment(void **state)
{
	struct hw_mem *mem = std_mem();
	uint8_t buf[32];

	(void)state;
	assert_null(hw_mem_read(mem, buf, 0x1010, 32));
	assert_memory_equal(buf, A + 0x10, 32);
	assert_null(hw_mem_read(mem, buf, 0x8ff0, 16));
	assert_memory_equal(buf, C + 0xff0, 16);
	/* A zero-length read anywhere succeeds. */
	assert_null(hw_mem_read(mem, buf, 0xdead0000, 0));
	hw_mem_destroy(mem);
}

static void test_read_spans_same_layer(void **state)
{
	struct hw_mem *mem = std_mem();
	uint8_t buf[32];

	(void)state;
	assert_null(hw_mem_read(mem, buf, 0x1ff0, 32));
	assert_memory_equal(buf, A + 0xff0, 16);
	assert_memory_equal(buf + 16, B, 16);
	/* Not a single segment: no pointer, but hw_mem_read works. */
	assert_null(hw_mem_peek(mem, 0x1ff0, 32));
	hw_mem_destroy(mem);
}

static void test_layers(void **state)
{
	struct hw_mem *mem = std_mem();
	uint8_t buf[32];

	(void)state;
	/* Covered by CORE and FILE: CORE wins. */
	assert_ptr_equal(hw_mem_peek(mem, 0x1800, 16), A + 0x800);
	assert_null(hw_mem_read(mem, buf, 0x1800, 16));
	assert_memory_equal(buf, A + 0x800, 16);
	/* Only FILE. */
	assert_ptr_equal(hw_mem_peek(mem, 0x3000, 16), F + 0x1800);
	/* CORE stops at 0x3000; FILE covers the whole read, so FILE serves it all. */
	assert_null(hw_mem_read(mem, buf, 0x2ff0, 32));
	assert_memory_equal(buf, F + 0x17f0, 32);
	/* After a FILE hit, a CORE-covered address still comes from CORE (cache). */
	assert_ptr_equal(hw_mem_peek(mem, 0x3100, 8), F + 0x1900);
	assert_ptr_equal(hw_mem_peek(mem, 0x2100, 8), B + 0x100);
	assert_ptr_equal(hw_mem_peek(mem, 0x1900, 8), A + 0x900);
	hw_mem_destroy(mem);
}

static void test_faults(void **state)
{
	struct hw_mem *mem = std_mem();

	(void)state;
	expect_fault(mem, 0xff0, 32, 0xff0, "cannot read 32 bytes at 0xff0: address not mapped");
	expect_fault(mem, 0x3ff0, 32, 0x4000,
		     "cannot read 32 bytes at 0x3ff0 (first unreadable byte 0x4000): "
		     "memory not saved in core file");
	expect_fault(mem, 0x6000, 16, 0x6000,
		     "cannot read 16 bytes at 0x6000: core file truncated");
	expect_fault(mem, 0x6ff8, 16, 0x6ff8,
		     "cannot read 16 bytes at 0x6ff8: core file truncated");
	expect_fault(mem, 0x5000, 8, 0x5000, "cannot read 8 bytes at 0x5000: address not mapped");
	expect_fault(mem, 0xa000, 8, 0xa000, "cannot read 8 bytes at 0xa000: address not mapped");
	/* Adjacent, but different layers: reads never mix sources. */
	expect_fault(mem, 0x8ff8, 16, 0x9000,
		     "cannot read 16 bytes at 0x8ff8 (first unreadable byte 0x9000): "
		     "range spans core and file data");
	/* A read that would wrap around the address space. */
	expect_fault(mem, UINT64_MAX - 3, 8, UINT64_MAX - 3,
		     "cannot read 8 bytes at 0xfffffffffffffffc: range wraps around the "
		     "address space");
	assert_null(hw_mem_peek(mem, 0x4000, 1));
	assert_null(hw_mem_peek(mem, UINT64_MAX - 3, 8));
	hw_mem_destroy(mem);
}

static void test_peek_sequential(void **state)
{
	struct hw_mem *mem = std_mem();

	(void)state;
	/* Walk every 16-byte header of A and B, and of the FILE-only part of F. */
	for (uint64_t a = 0x1000; a < 0x3000; a += 16) {
		const uint8_t *p = hw_mem_peek(mem, a, 16);
		assert_non_null(p);
		assert_ptr_equal(p, a < 0x2000 ? A + (a - 0x1000) : B + (a - 0x2000));
	}
	for (uint64_t a = 0x3000; a < 0x4000; a += 16)
		assert_ptr_equal(hw_mem_peek(mem, a, 16), F + (a - 0x1800));
	/* The last bytes of a segment, and one past. */
	assert_ptr_equal(hw_mem_peek(mem, 0x2ff0, 16), B + 0xff0);
	assert_ptr_equal(hw_mem_peek(mem, 0x8fff, 1), C + 0xfff);
	assert_null(hw_mem_peek(mem, 0x8fff, 2));
	hw_mem_destroy(mem);
}

static void test_add_errors(void **state)
{
	struct hw_mem *mem = std_mem();
	struct hw_error *err;
	static uint8_t X[0x100];

	(void)state;
	err = hw_mem_add_direct(mem, HW_MEM_LAYER_CORE, 0x1f00, sizeof(X), X);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_BAD_DATA);
	hw_error_destroy(err);
	err = hw_mem_add_direct(mem, HW_MEM_LAYER_CORE, 0xfff, 2, X);
	assert_non_null(err);
	hw_error_destroy(err);
	err = hw_mem_add_missing(mem, 0x4fff, 2, "x");
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_BAD_DATA);
	hw_error_destroy(err);
	err = hw_mem_add_direct(mem, HW_MEM_LAYER_CORE, UINT64_MAX - 0x10, 0x20, X);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_INVALID_ARG);
	hw_error_destroy(err);
	err = hw_mem_add_direct(mem, HW_MEM_LAYER_COUNT, 0x100000, 0x10, X);
	assert_non_null(err);
	hw_error_destroy(err);
	/* Zero length: nothing added. */
	assert_null(hw_mem_add_direct(mem, HW_MEM_LAYER_CORE, 0x1f00, 0, X));
	assert_int_equal(hw_mem_segment_count(mem), 7);
	/* Overlap with another layer is fine, and the new lower layer wins. */
	assert_null(hw_mem_add_direct(mem, HW_MEM_LAYER_CORE, 0x3800, 0x100, X));
	assert_ptr_equal(hw_mem_peek(mem, 0x3800, 16), X);
	assert_ptr_equal(hw_mem_peek(mem, 0x3900, 16), F + 0x2100);
	hw_mem_destroy(mem);
}

static void test_cache_invalidated_by_add(void **state)
{
	struct hw_mem *mem;
	static uint8_t lo[0x100], hi[0x100];

	(void)state;
	fill(lo, sizeof(lo), 7);
	fill(hi, sizeof(hi), 8);
	assert_null(hw_mem_create(&mem));
	assert_null(hw_mem_add_direct(mem, HW_MEM_LAYER_FILE, 0x100, 0x100, hi));
	assert_ptr_equal(hw_mem_peek(mem, 0x180, 8), hi + 0x80); /* now cached */
	assert_null(hw_mem_add_direct(mem, HW_MEM_LAYER_CORE, 0x180, 0x10, lo));
	assert_ptr_equal(hw_mem_peek(mem, 0x180, 8), lo);
	assert_ptr_equal(hw_mem_peek(mem, 0x100, 8), hi);
	assert_ptr_equal(hw_mem_peek(mem, 0x180, 8), lo);
	hw_mem_destroy(mem);
}

/* A segment taken back (shared memory read in place, released) faults from then on. */
static void test_withdraw(void **state)
{
	struct hw_mem *mem = std_mem();
	static uint8_t X[0x1000];
	uint8_t buf[8];

	(void)state;
	fill(X, sizeof(X), 9);
	/* over a range the core did not save, as a live mapping read in place is */
	assert_null(hw_mem_add_direct(mem, HW_MEM_LAYER_CORE, 0x4000, sizeof(X), X));
	assert_ptr_equal(hw_mem_peek(mem, 0x4010, 8), X + 0x10); /* now cached */
	assert_null(hw_mem_read(mem, buf, 0x4ff8, 8));
	assert_memory_equal(buf, X + 0xff8, 8);
	/* only a whole segment of the core layer */
	assert_false(hw_mem_withdraw(mem, 0x4000, 0x800, "released"));
	assert_false(hw_mem_withdraw(mem, 0x9000, 0x1000, "released"));
	assert_true(hw_mem_withdraw(mem, 0x4000, 0x1000, "released"));
	assert_null(hw_mem_peek(mem, 0x4010, 8));
	expect_fault(mem, 0x4010, 8, 0x4010, "cannot read 8 bytes at 0x4010: released");
	assert_false(hw_mem_withdraw(mem, 0x4000, 0x1000, "released"));
	/* where nothing was missing before, the range is missing now, with the reason */
	assert_true(hw_mem_withdraw(mem, 0x8000, 0x1000, "released"));
	expect_fault(mem, 0x8000, 8, 0x8000, "cannot read 8 bytes at 0x8000: released");
	/* the rest reads as before */
	assert_null(hw_mem_read(mem, buf, 0x2000, 8));
	assert_memory_equal(buf, B, 8);
	assert_null(hw_mem_read(mem, buf, 0x9000, 8));
	assert_memory_equal(buf, G, 8);
	hw_mem_destroy(mem);
}

static void test_segment_list(void **state)
{
	struct hw_mem *mem = std_mem();
	struct hw_mem_segment_info si;
	static const struct {
		uint64_t start;
		int layer;
		bool missing;
	} want[] = {
	    {0x1000, HW_MEM_LAYER_CORE, false},
	    {0x1800, HW_MEM_LAYER_FILE, false},
	    {0x2000, HW_MEM_LAYER_CORE, false},
	    {0x4000, 0, true},
	    {0x6000, 0, true},
	    {0x8000, HW_MEM_LAYER_CORE, false},
	    {0x9000, HW_MEM_LAYER_FILE, false},
	};

	(void)state;
	assert_int_equal(hw_mem_segment_count(mem), 7);
	for (size_t i = 0; i < 7; i++) {
		hw_mem_segment_get(mem, i, &si);
		assert_int_equal(si.start, want[i].start);
		assert_int_equal(si.missing, want[i].missing);
		if (!si.missing)
			assert_int_equal(si.layer, want[i].layer);
	}
	hw_mem_segment_get(mem, 3, &si);
	assert_string_equal(si.why, "memory not saved in core file");
	assert_int_equal(si.len, 0x1000);
	hw_mem_segment_get(mem, 1, &si);
	assert_int_equal(si.len, sizeof(F));
	hw_mem_destroy(mem);
}

static void test_cstr(void **state)
{
	struct hw_mem *mem = std_mem();
	char buf[64];
	size_t len;
	bool trunc;
	struct hw_error *err;

	(void)state;
	memcpy(A + 0x100, "hello", 6);
	assert_null(hw_mem_read_cstr(mem, 0x1100, buf, sizeof(buf), &len, &trunc));
	assert_string_equal(buf, "hello");
	assert_int_equal(len, 5);
	assert_false(trunc);

	/* Spanning two adjacent segments. */
	memcpy(A + 0xffd, "abc", 3);
	memcpy(B, "def", 4);
	assert_null(hw_mem_read_cstr(mem, 0x1ffd, buf, sizeof(buf), &len, &trunc));
	assert_string_equal(buf, "abcdef");
	assert_false(trunc);

	/* Cut by the cap. */
	assert_null(hw_mem_read_cstr(mem, 0x1ffd, buf, 4, &len, &trunc));
	assert_string_equal(buf, "abc");
	assert_int_equal(len, 3);
	assert_true(trunc);

	/* Read byte by byte, so a string may continue in another layer. */
	memset(C + 0xff0, 'x', 16);
	memcpy(G, "zz", 3);
	assert_null(hw_mem_read_cstr(mem, 0x8ff0, buf, sizeof(buf), &len, &trunc));
	assert_int_equal(len, 18);
	assert_false(trunc);

	/* Running into unreadable memory after some bytes: no error, truncated. */
	memset(F + 0x27f8, 'y', 8);
	assert_null(hw_mem_read_cstr(mem, 0x3ff8, buf, sizeof(buf), &len, &trunc));
	assert_string_equal(buf, "yyyyyyyy");
	assert_true(trunc);

	/* A fault at the address itself is an error with the reason. */
	err = hw_mem_read_cstr(mem, 0x4000, buf, sizeof(buf), &len, &trunc);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_FAULT);
	assert_int_equal(err->addr, 0x4000);
	assert_string_equal(err->message,
			    "cannot read string at 0x4000: memory not saved in core file");
	hw_error_destroy(err);

	/* Overlapping layers: the string comes from CORE. */
	memcpy(A + 0x900, "core", 5);
	memcpy(F + 0x100, "file", 5);
	assert_null(hw_mem_read_cstr(mem, 0x1900, buf, sizeof(buf), &len, &trunc));
	assert_string_equal(buf, "core");
	hw_mem_destroy(mem);
}

static void test_many_segments(void **state)
{
	struct hw_mem *mem;
	enum { N = 5000 };
	static uint64_t data[N];

	(void)state;
	assert_null(hw_mem_create(&mem));
	/* Descending order, with gaps, then look every one up. */
	for (size_t i = N; i-- > 0;) {
		data[i] = 0x1000000000ull + i;
		assert_null(
		    hw_mem_add_direct(mem, HW_MEM_LAYER_CORE, 0x10000 + i * 16, 8, &data[i]));
	}
	for (size_t i = 0; i < N; i++) {
		uint64_t v = 0;
		assert_null(hw_mem_read(mem, &v, 0x10000 + i * 16, 8));
		assert_int_equal(v, 0x1000000000ull + i);
		expect_fault(mem, 0x10000 + i * 16 + 4, 8, 0x10000 + i * 16 + 8, NULL);
	}
	hw_mem_destroy(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_one_segment),
	    cmocka_unit_test(test_read_spans_same_layer),
	    cmocka_unit_test(test_layers),
	    cmocka_unit_test(test_faults),
	    cmocka_unit_test(test_peek_sequential),
	    cmocka_unit_test(test_add_errors),
	    cmocka_unit_test(test_cache_invalidated_by_add),
	    cmocka_unit_test(test_withdraw),
	    cmocka_unit_test(test_segment_list),
	    cmocka_unit_test(test_cstr),
	    cmocka_unit_test(test_many_segments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
