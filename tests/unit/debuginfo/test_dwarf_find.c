/* test_dwarf_find.c - finding the debug file: the exe, the build-id tree, .gnu_debuglink, sysroots.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/debuginfo.h"
#include "heapwalk/elfsym.h"
#include "heapwalk/error.h"

#include "helpers.h"

#define ID_A "0a5c5353aabbccddeeff00112233445566778899"
#define ID_B "0a5c5353000000000000000000000000deadbeef"
#define ID_A_PATH "/usr/lib/debug/.build-id/0a/5c5353aabbccddeeff00112233445566778899.debug"

static char *tmp;
static unsigned sysroot_no;

static int group_setup(void **state)
{
	tmp = th_tmpdir();
	if (!tmp)
		return -1;
	*state = tmp; /* th_group_teardown removes it */
	/* full: with DWARF, build-id A; other: same program, build-id B; noid: no build-id. */
	if (th_sh("cd '%s' && %s -gdwarf-5 -Wl,--build-id=0x%s -I'%s' -o full '%s'/cu_decl.c "
		  "'%s'/cu_main.c '%s'/cu_def.c && ./full >full.facts",
		  tmp, HW_TEST_CC, ID_A, HW_TEST_INPUTS, HW_TEST_INPUTS, HW_TEST_INPUTS,
		  HW_TEST_INPUTS) ||
	    th_sh("cd '%s' && %s -gdwarf-5 -Wl,--build-id=0x%s -I'%s' -o other '%s'/cu_decl.c "
		  "'%s'/cu_main.c '%s'/cu_def.c",
		  tmp, HW_TEST_CC, ID_B, HW_TEST_INPUTS, HW_TEST_INPUTS, HW_TEST_INPUTS,
		  HW_TEST_INPUTS) ||
	    th_sh("cd '%s' && %s -gdwarf-4 -Wl,--build-id=none -I'%s' -o noid '%s'/cu_decl.c "
		  "'%s'/cu_main.c '%s'/cu_def.c",
		  tmp, HW_TEST_CC, HW_TEST_INPUTS, HW_TEST_INPUTS, HW_TEST_INPUTS, HW_TEST_INPUTS))
		return -1;
	/* Debug files and stripped executables pointing at them through .gnu_debuglink. */
	if (th_sh("cd '%s' && O=%s && $O --only-keep-debug full prog.debug && "
		  "$O --only-keep-debug other other.debug && "
		  "$O --strip-debug --add-gnu-debuglink=prog.debug full stripped && "
		  "$O --only-keep-debug noid noid.debug && "
		  "$O --strip-debug --add-gnu-debuglink=noid.debug noid noid.stripped",
		  tmp, HW_TEST_OBJCOPY))
		return -1;
	return 0;
}

/* A new sysroot holding @exe_file at /usr/sbin/prog; returns its path (caller frees). */
static char *new_sysroot(const char *exe_file)
{
	char *sr = NULL;

	assert_true(asprintf(&sr, "%s/sysroot%u", tmp, ++sysroot_no) > 0);
	assert_int_equal(
	    th_sh("mkdir -p '%s/usr/sbin' && cp '%s/%s' '%s/usr/sbin/prog'", sr, tmp, exe_file, sr),
	    0);
	return sr;
}

/* Debug info is found at <sr>@where for the stripped program in @sr (freed here). */
static void found_in(char *sr, const char *where);

/* Copy <tmp>/@file to <sr>/@dest (directories created). */
static void place(const char *sr, const char *file, const char *dest)
{
	assert_int_equal(
	    th_sh("d='%s%s' && mkdir -p \"${d%%/*}\" && cp '%s/%s' \"$d\"", sr, dest, tmp, file),
	    0);
}

static struct hw_elf *open_exe(const char *sr)
{
	struct hw_elf *elf = NULL;
	struct hw_error *err;
	char *p = NULL;

	assert_true(asprintf(&p, "%s/usr/sbin/prog", sr) > 0);
	err = hw_elf_open(p, &elf);
	if (err)
		fail_msg("hw_elf_open %s: %s", p, err->message);
	free(p);
	return elf;
}

/* Find with sysroot @sr and expect the debug file at <sr>@where (or @where itself if @sr is NULL).
 */
static void expect_found(struct hw_elf *exe, const char *sr, const char *where)
{
	struct hw_dwarf *dw = NULL;
	struct hw_error *err;
	char *want = NULL, *facts = NULL;

	err = hw_dwarf_find(exe, sr, NULL, &dw);
	if (err)
		fail_msg("hw_dwarf_find: %s", err->message);
	assert_true(asprintf(&want, "%s%s", sr ? sr : "", where) > 0);
	assert_string_equal(hw_dwarf_path(dw), want);
	/* And what it found answers correctly. */
	assert_true(asprintf(&facts, "%s/full.facts", tmp) > 0);
	assert_true(th_check_facts(dw, facts) >= 80);
	hw_dwarf_close(dw);
	free(facts);
	free(want);
}

static struct hw_error *find_fails(struct hw_elf *exe, const char *sr)
{
	struct hw_dwarf *dw = NULL;
	struct hw_error *err = hw_dwarf_find(exe, sr, NULL, &dw);

	assert_non_null(err);
	assert_null(dw);
	if (err->code != HW_ERR_NO_DEBUGINFO)
		fail_msg("want HW_ERR_NO_DEBUGINFO, got %d: %s", err->code, err->message);
	return err;
}

static void assert_contains(const char *hay, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void assert_contains(const char *hay, const char *fmt, ...)
{
	char *needle;
	va_list ap;

	va_start(ap, fmt);
	needle = th_vpath(fmt, ap);
	va_end(ap);
	if (!strstr(hay, needle))
		fail_msg("'%s' does not mention '%s'", hay, needle);
	free(needle);
}

static void test_exe_itself(void **state)
{
	struct hw_elf *exe = NULL;
	char *sr;

	(void)state;
	sr = new_sysroot("full");
	exe = open_exe(sr);
	expect_found(exe, sr, "/usr/sbin/prog");
	/* The exe's own DWARF wins over a build-id file. */
	place(sr, "prog.debug", ID_A_PATH);
	expect_found(exe, sr, "/usr/sbin/prog");
	hw_elf_close(exe);
	free(sr);
}

static void test_nothing_found(void **state)
{
	struct hw_error *err;
	struct hw_elf *exe;
	char *sr;

	(void)state;
	sr = new_sysroot("stripped");
	exe = open_exe(sr);
	err = find_fails(exe, sr);
	assert_contains(err->message, "no debug info for %s/usr/sbin/prog (tried: ", sr);
	assert_contains(err->message, "%s/usr/sbin/prog [no .debug_info]", sr);
	assert_contains(err->message, "%s%s [not found]", sr, ID_A_PATH);
	assert_contains(err->message, "%s/usr/sbin/prog.debug [not found]", sr);
	assert_contains(err->message, "%s/usr/sbin/.debug/prog.debug [not found]", sr);
	assert_contains(err->message, "%s/usr/lib/debug/usr/sbin/prog.debug [not found]", sr);
	hw_error_destroy(err);
	hw_elf_close(exe);
	free(sr);
}

static void found_in(char *sr, const char *where)
{
	struct hw_elf *exe = open_exe(sr);

	expect_found(exe, sr, where);
	hw_elf_close(exe);
	free(sr);
}

static void test_build_id_dir(void **state)
{
	char *sr;

	(void)state;
	sr = new_sysroot("stripped");
	place(sr, "prog.debug", ID_A_PATH);
	/* A debuglink candidate exists too; the build-id file comes first. */
	place(sr, "prog.debug", "/usr/sbin/prog.debug");
	found_in(sr, ID_A_PATH);
}

static void test_debuglink_places(void **state)
{
	static const char *const where[] = {
	    "/usr/sbin/prog.debug",
	    "/usr/sbin/.debug/prog.debug",
	    "/usr/lib/debug/usr/sbin/prog.debug",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		char *sr = new_sysroot("stripped");

		place(sr, "prog.debug", where[i]);
		found_in(sr, where[i]);
	}
}

static void test_build_id_mismatch(void **state)
{
	struct hw_error *err;
	struct hw_elf *exe;
	char *sr;

	(void)state;
	sr = new_sysroot("stripped");
	/* Another build's debug info under our build-id and our debuglink name. */
	place(sr, "other.debug", ID_A_PATH);
	place(sr, "other.debug", "/usr/sbin/prog.debug");
	exe = open_exe(sr);
	err = find_fails(exe, sr);
	assert_contains(err->message, "%s%s [build-id mismatch]", sr, ID_A_PATH);
	assert_contains(err->message, "%s/usr/sbin/prog.debug [build-id mismatch]", sr);
	hw_error_destroy(err);
	/* The right one further down the list is found. */
	place(sr, "prog.debug", "/usr/lib/debug/usr/sbin/prog.debug");
	expect_found(exe, sr, "/usr/lib/debug/usr/sbin/prog.debug");
	hw_elf_close(exe);
	free(sr);
}

static void test_explicit_file(void **state)
{
	struct hw_dwarf *dw = NULL;
	struct hw_error *err;
	struct hw_elf *exe;
	char *sr, *good = NULL, *bad = NULL;

	(void)state;
	sr = new_sysroot("stripped");
	exe = open_exe(sr);
	assert_true(asprintf(&good, "%s/prog.debug", tmp) > 0);
	assert_true(asprintf(&bad, "%s/other.debug", tmp) > 0);
	assert_null(hw_dwarf_find(exe, sr, good, &dw));
	assert_string_equal(hw_dwarf_path(dw), good);
	hw_dwarf_close(dw);
	dw = NULL;
	/* An explicit file of another build is refused, not skipped. */
	err = hw_dwarf_find(exe, sr, bad, &dw);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_NO_DEBUGINFO);
	assert_contains(err->message, "%s", bad);
	assert_contains(err->message, "%s", ID_A);
	assert_contains(err->message, "%s", ID_B);
	hw_error_destroy(err);
	/* An explicit file without DWARF is an error. */
	err = hw_dwarf_find(exe, sr, hw_elf_path(exe), &dw);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_NO_DEBUGINFO);
	hw_error_destroy(err);
	assert_null(dw);
	hw_elf_close(exe);
	free(good);
	free(bad);
	free(sr);
}

/* No sysroot, no build-id: only the debuglink next to the executable. */
static void test_no_sysroot_no_build_id(void **state)
{
	struct hw_elf *exe = NULL;
	struct hw_error *err;
	char *dir = NULL, *p = NULL;

	(void)state;
	assert_true(asprintf(&dir, "%s/plain", tmp) > 0);
	assert_int_equal(th_sh("mkdir -p '%s' && cp '%s/noid.stripped' '%s/prog'", dir, tmp, dir),
			 0);
	assert_true(asprintf(&p, "%s/prog", dir) > 0);
	assert_null(hw_elf_open(p, &exe));
	err = find_fails(exe, NULL);
	assert_null(strstr(err->message, ".build-id"));
	assert_contains(err->message, "%s/noid.debug [not found]", dir);
	assert_contains(err->message, "/usr/lib/debug%s/noid.debug [not found]", dir);
	hw_error_destroy(err);
	assert_int_equal(
	    th_sh("mkdir -p '%s/.debug' && cp '%s/noid.debug' '%s/.debug/'", dir, tmp, dir), 0);
	{
		struct hw_dwarf *dw = NULL;
		char *want = NULL;

		assert_null(hw_dwarf_find(exe, NULL, NULL, &dw));
		assert_true(asprintf(&want, "%s/.debug/noid.debug", dir) > 0);
		assert_string_equal(hw_dwarf_path(dw), want);
		hw_dwarf_close(dw);
		free(want);
	}
	hw_elf_close(exe);
	free(p);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exe_itself),
	    cmocka_unit_test(test_nothing_found),
	    cmocka_unit_test(test_build_id_dir),
	    cmocka_unit_test(test_debuglink_places),
	    cmocka_unit_test(test_build_id_mismatch),
	    cmocka_unit_test(test_explicit_file),
	    cmocka_unit_test(test_no_sysroot_no_build_id),
	};

	return cmocka_run_group_tests(tests, group_setup, th_group_teardown);
}
