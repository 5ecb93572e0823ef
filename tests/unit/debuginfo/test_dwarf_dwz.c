/* test_dwarf_dwz.c - debug files whose DWARF dwz moved partly into a supplementary file. */
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

#define ALT_NAME "/usr/lib/debug/.dwz/test.debug"

static char *tmp;

/* Build the inputs as <tmp>/@name with @flags. */
static int build(const char *name, const char *flags)
{
	return th_sh("cd '%s' && %s -gdwarf-5 %s -I'%s' -o %s '%s'/cu_decl.c '%s'/cu_main.c "
		     "'%s'/cu_def.c && ./%s >%s.facts",
		     tmp, HW_TEST_CC, flags, HW_TEST_INPUTS, name, HW_TEST_INPUTS, HW_TEST_INPUTS,
		     HW_TEST_INPUTS, name, name);
}

static int group_setup(void **state)
{
	tmp = th_tmpdir();
	if (!tmp)
		return -1;
	*state = tmp; /* th_group_teardown removes it */
	/*
	 * a, b: share test.debug, linked by the absolute name ALT_NAME;
	 * c, d: share common.debug, linked by a relative name;
	 * e, f: share other.debug, of another build.
	 */
	if (build("a", "-O0") || build("b", "-O2") || build("c", "-O0") || build("d", "-O1") ||
	    build("e", "-O0 -DEXTRA") || build("f", "-O2 -DEXTRA"))
		return -1;
	if (th_sh("cd '%s' && dwz -m test.debug -M " ALT_NAME " a b && "
		  "dwz -m common.debug c d && dwz -m other.debug e f",
		  tmp))
		return -1;
	/* The test needs DWARF that really refers into the dwz files. */
	if (th_sh("cd '%s' && readelf -wi a | grep -q '<alt 0x' && "
		  "readelf -wi c | grep -q '<alt 0x'",
		  tmp))
		return -1;
	return 0;
}

static struct hw_dwarf *open_debug(const char *sysroot, const char *file)
{
	struct hw_dwarf *dw = NULL;
	struct hw_error *err = hw_dwarf_find(NULL, sysroot, file, &dw);

	if (err)
		fail_msg("hw_dwarf_find %s: %s", file, err->message);
	return dw;
}

/* A sysroot with the file <tmp>/@file at @dest (or none if @file is NULL). */
static char *sysroot_with(const char *tag, const char *file, const char *dest)
{
	char *sr = th_path("%s/sr-%s", tmp, tag);

	assert_int_equal(th_sh("mkdir -p '%s'", sr), 0);
	if (file)
		assert_int_equal(th_sh("d='%s%s' && mkdir -p \"${d%%/*}\" && cp '%s/%s' \"$d\"", sr,
				       dest, tmp, file),
				 0);
	return sr;
}

static void check_all(struct hw_dwarf *dw, const char *prog)
{
	char *facts = th_path("%s/%s.facts", tmp, prog);

	assert_true(th_check_facts(dw, facts) >= 80);
	free(facts);
}

static void test_absolute_link_in_sysroot(void **state)
{
	char *sr = sysroot_with("abs", "test.debug", ALT_NAME);
	char *a = th_path("%s/a", tmp), *b = th_path("%s/b", tmp);
	struct hw_dwarf *dw;

	(void)state;
	dw = open_debug(sr, a);
	check_all(dw, "a");
	hw_dwarf_close(dw);
	dw = open_debug(sr, b);
	check_all(dw, "b");
	hw_dwarf_close(dw);
	free(a);
	free(b);
	free(sr);
}

static void test_relative_link(void **state)
{
	char *c = th_path("%s/c", tmp);
	struct hw_dwarf *dw;

	(void)state;
	dw = open_debug(NULL, c);
	check_all(dw, "c");
	hw_dwarf_close(dw);
	free(c);
}

static void test_build_id_fallback(void **state)
{
	struct hw_elf *elf = NULL;
	const uint8_t *id;
	size_t len = 0, i;
	char hex[129], *dest, *sr, *multi = th_path("%s/test.debug", tmp),
				   *a = th_path("%s/a", tmp);
	struct hw_dwarf *dw;

	(void)state;
	assert_null(hw_elf_open(multi, &elf));
	id = hw_elf_build_id(elf, &len);
	assert_non_null(id);
	assert_true(len >= 2 && len <= 64);
	for (i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", id[i]);
	hw_elf_close(elf);
	dest = th_path("/usr/lib/debug/.build-id/%.2s/%s.debug", hex, hex + 2);
	sr = sysroot_with("bid", "test.debug", dest);
	dw = open_debug(sr, a);
	check_all(dw, "a");
	hw_dwarf_close(dw);
	free(dest);
	free(sr);
	free(a);
	free(multi);
}

/* Without its dwz file, a debug file opens but questions about shared types fail, saying why. */
static void expect_alt_problem(const char *sr, const char *needle)
{
	char *a = th_path("%s/a", tmp);
	struct hw_dwarf *dw = open_debug(sr, a);
	struct hw_error *err;
	uint64_t v = 99;

	err = hw_dwarf_struct(dw, "qm_frag", &v, NULL, 0);
	assert_non_null(err);
	assert_true(err->code == HW_ERR_DWARF || err->code == HW_ERR_NO_DEBUGINFO);
	if (!strstr(err->message, "dwz file " ALT_NAME " not found (tried: ") ||
	    !strstr(err->message, needle))
		fail_msg("unexpected message: %s", err->message);
	hw_error_destroy(err);
	err = hw_dwarf_variable(dw, "_pkg_root", &v);
	assert_non_null(err);
	hw_error_destroy(err);
	assert_int_equal(v, 99);
	hw_dwarf_close(dw);
	free(a);
}

static void test_missing_alt(void **state)
{
	char *sr = sysroot_with("none", NULL, NULL);
	char *needle = th_path("%s" ALT_NAME " [not found]", sr);

	(void)state;
	expect_alt_problem(sr, needle);
	free(needle);
	free(sr);
}

static void test_alt_of_another_build(void **state)
{
	char *sr = sysroot_with("other", "other.debug", ALT_NAME);
	char *needle = th_path("%s" ALT_NAME " [build-id mismatch]", sr);

	(void)state;
	expect_alt_problem(sr, needle);
	free(needle);
	free(sr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_absolute_link_in_sysroot), cmocka_unit_test(test_relative_link),
	    cmocka_unit_test(test_build_id_fallback),	     cmocka_unit_test(test_missing_alt),
	    cmocka_unit_test(test_alt_of_another_build),
	};

	if (th_sh("dwz --version >/dev/null 2>&1") != 0) {
		printf("# dwz is not installed; skipping\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, th_group_teardown);
}
