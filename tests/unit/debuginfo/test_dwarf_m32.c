/* test_dwarf_m32.c - the layout and variable checks on -m32 programs (77 without multilib). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"

#include "helpers.h"

static char *tmp;

static void check_variant(const char *tag, const char *flags)
{
	struct hw_dwarf *dw = NULL;
	struct hw_error *err;
	char *exe = NULL, *facts = NULL;

	assert_true(asprintf(&exe, "%s/%s", tmp, tag) > 0);
	assert_true(asprintf(&facts, "%s/%s.facts", tmp, tag) > 0);
	if (!th_build_inputs(exe, facts, flags))
		fail_msg("cannot build test inputs with '%s' (see %s.log)", flags, exe);
	err = hw_dwarf_find(NULL, NULL, exe, &dw);
	if (err)
		fail_msg("%s: %s", exe, err->message);
	assert_true(th_check_facts(dw, facts) >= 80);
	hw_dwarf_close(dw);
	free(facts);
	free(exe);
}

static void test_m32_dwarf5(void **state)
{
	(void)state;
	check_variant("m32d5", "-m32 -gdwarf-5");
}

static void test_m32_dwarf4(void **state)
{
	(void)state;
	check_variant("m32d4", "-m32 -gdwarf-4 -O2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_m32_dwarf5),
	    cmocka_unit_test(test_m32_dwarf4),
	};
	char *probe = NULL, *facts = NULL;
	int rc;

	tmp = th_tmpdir();
	if (!tmp)
		return 1;
	if (asprintf(&probe, "%s/probe", tmp) < 0 || asprintf(&facts, "%s/probe.facts", tmp) < 0)
		return 1;
	if (!th_build_inputs(probe, facts, "-m32 -g")) {
		printf("# cannot build and run -m32 programs here; skipping\n");
		th_rmtree(tmp);
		free(tmp);
		free(probe);
		free(facts);
		return 77;
	}
	free(probe);
	free(facts);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	th_rmtree(tmp);
	free(tmp);
	return rc;
}
