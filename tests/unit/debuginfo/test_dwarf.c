/* test_dwarf.c - struct layouts and variable addresses read back from test programs' DWARF. */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"

#include "helpers.h"
#include "testutil.h"

static char *tmp;

static int group_setup(void **state)
{
	(void)state;
	tmp = th_tmpdir();
	return tmp ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	th_rmtree(tmp);
	free(tmp);
	return 0;
}

/* Build the inputs with @flags as <tmp>/<tag>; returns the path (caller frees). */
static char *build(const char *tag, const char *flags)
{
	char *exe = NULL, *facts = NULL;

	assert_true(asprintf(&exe, "%s/%s", tmp, tag) > 0);
	assert_true(asprintf(&facts, "%s/%s.facts", tmp, tag) > 0);
	if (!th_build_inputs(exe, facts, flags))
		fail_msg("cannot build test inputs with '%s' (see %s.log)", flags, exe);
	free(facts);
	return exe;
}

static struct hw_dwarf *open_file(const char *path)
{
	struct hw_dwarf *dw = NULL;
	struct hw_error *err = hw_dwarf_find(NULL, NULL, path, &dw);

	if (err)
		fail_msg("hw_dwarf_find %s: %s", path, err->message);
	assert_non_null(dw);
	assert_string_equal(hw_dwarf_path(dw), path);
	return dw;
}

static void check_variant(const char *tag, const char *flags)
{
	char *exe = build(tag, flags), *facts = NULL;
	struct hw_dwarf *dw = open_file(exe);

	assert_true(asprintf(&facts, "%s.facts", exe) > 0);
	/* Every struct, member and variable line the program printed. */
	assert_true(th_check_facts(dw, facts) >= 80);
	/* Answers come from the index: asking twice gives the same. */
	assert_true(th_check_facts(dw, facts) >= 80);
	hw_dwarf_close(dw);
	free(facts);
	free(exe);
}

static void test_dwarf5(void **state)
{
	(void)state;
	check_variant("d5", "-gdwarf-5");
}

static void test_dwarf4(void **state)
{
	(void)state;
	check_variant("d4", "-gdwarf-4");
}

/* DWARF 2 gives member offsets as DW_OP_plus_uconst expressions. */
static void test_dwarf2(void **state)
{
	(void)state;
	check_variant("d2", "-gdwarf-2 -gstrict-dwarf");
}

static void test_dwarf5_optimised(void **state)
{
	(void)state;
	check_variant("d5o2", "-gdwarf-5 -O2");
}

static void test_dwarf4_no_pie(void **state)
{
	(void)state;
	check_variant("d4nopie", "-gdwarf-4 -no-pie -fno-pie");
}

static struct hw_dwarf *dw5;
static char *exe5;

static int setup_d5(void **state)
{
	(void)state;
	exe5 = build("q5", "-gdwarf-5");
	dw5 = open_file(exe5);
	return 0;
}

static int teardown_d5(void **state)
{
	(void)state;
	hw_dwarf_close(dw5);
	free(exe5);
	dw5 = NULL;
	exe5 = NULL;
	return 0;
}

static void assert_error(struct hw_error *err, enum hw_error_code code, const char *needle)
{
	assert_non_null(err);
	if (err->code != code)
		fail_msg("error code %d, want %d: %s", err->code, code, err->message);
	if (needle && !strstr(err->message, needle))
		fail_msg("message '%s' lacks '%s'", err->message, needle);
	hw_error_destroy(err);
}

/* Several members in one call; absent ones are found=false, not an error. */
static void test_member_batch(void **state)
{
	struct hw_dwarf_member m[] = {
	    {.name = "u.is_free"},
	    {.name = "nonexistent"},
	    {.name = "u.nope"},
	    {.name = "size.x"}, /* descends into a non-struct */
	    {.name = "u."},	/* empty component */
	    {.name = ""},
	    {.name = ".size"},
	    {.name = "check"},
	    {.name = "u.nxt_free.size"}, /* through a pointer: not followed */
	};
	struct hw_dwarf_member one = {.name = "check"};
	uint64_t size = 0, size1 = 0;
	size_t i;

	(void)state;
	assert_null(hw_dwarf_struct(dw5, "qm_frag", &size, m, sizeof(m) / sizeof(m[0])));
	assert_null(hw_dwarf_struct(dw5, "qm_frag", &size1, &one, 1));
	assert_int_equal(size, size1);
	assert_true(m[0].found);
	assert_int_equal(m[0].size, sizeof(long));
	assert_true(m[7].found);
	assert_int_equal(m[7].offset, one.offset);
	assert_int_equal(m[7].size, one.size);
	for (i = 1; i < 7; i++) {
		if (m[i].found)
			fail_msg("member '%s' should not be found", m[i].name);
	}
	assert_false(m[8].found);

	/* An array of structs is not descended into. */
	struct hw_dwarf_member h = {.name = "free_hash.head"};
	assert_null(hw_dwarf_struct(dw5, "qm_block", NULL, &h, 1));
	assert_false(h.found);

	/* Too many path components. */
	struct hw_dwarf_member deep = {.name = "a.b.c.d.e.f.g.h.i.j"};
	assert_null(hw_dwarf_struct(dw5, "qm_frag", NULL, &deep, 1));
	assert_false(deep.found);
}

static void test_lookup_errors(void **state)
{
	uint64_t v = 1234;

	(void)state;
	assert_error(hw_dwarf_struct(dw5, "no_such_struct", &v, NULL, 0), HW_ERR_LOOKUP,
		     "'no_such_struct'");
	assert_error(hw_dwarf_struct(dw5, "no_such_struct", &v, NULL, 0), HW_ERR_LOOKUP, exe5);
	assert_int_equal(v, 1234);
	assert_error(hw_dwarf_struct(dw5, "not_a_struct_t", &v, NULL, 0), HW_ERR_LOOKUP,
		     "not a struct");
	/* Variables and types live in different namespaces. */
	assert_error(hw_dwarf_struct(dw5, "_pkg_root", &v, NULL, 0), HW_ERR_LOOKUP, NULL);
	assert_error(hw_dwarf_variable(dw5, "qm_frag", &v), HW_ERR_LOOKUP, NULL);
	assert_error(hw_dwarf_variable(dw5, "no_such_var", &v), HW_ERR_LOOKUP, "'no_such_var'");
	assert_int_equal(v, 1234);
	/* Parameters and functions are not variables. */
	assert_error(hw_dwarf_variable(dw5, "info", &v), HW_ERR_LOOKUP, NULL);
	assert_error(hw_dwarf_variable(dw5, "first_object", &v), HW_ERR_LOOKUP, NULL);
	assert_error(hw_dwarf_struct(dw5, "", &v, NULL, 0), HW_ERR_LOOKUP, NULL);
	assert_error(hw_dwarf_struct(dw5, NULL, &v, NULL, 0), HW_ERR_INVALID_ARG, NULL);
	assert_error(hw_dwarf_struct(dw5, "qm_frag", &v, NULL, 1), HW_ERR_INVALID_ARG, NULL);
	/* The declaration-only unit's pointer variable resolves. */
	assert_null(hw_dwarf_variable(dw5, "fm_decl_ptr", &v));
	assert_true(v != 0);
}

static void test_open_errors(void **state)
{
	struct hw_dwarf *dw = NULL;
	char *stripped = NULL, *facts = NULL;

	(void)state;
	assert_error(hw_dwarf_find(NULL, NULL, "/nonexistent/file", &dw), HW_ERR_OS,
		     "/nonexistent/file");
	assert_true(asprintf(&facts, "%s.facts", exe5) > 0);
	assert_error(hw_dwarf_find(NULL, NULL, facts, &dw), HW_ERR_BAD_DATA, "not an ELF");
	assert_true(asprintf(&stripped, "%s.stripped", exe5) > 0);
	assert_int_equal(th_sh("%s --strip-debug '%s' '%s'", HW_TEST_OBJCOPY, exe5, stripped), 0);
	assert_error(hw_dwarf_find(NULL, NULL, stripped, &dw), HW_ERR_NO_DEBUGINFO, stripped);
	assert_error(hw_dwarf_find(NULL, NULL, NULL, &dw), HW_ERR_INVALID_ARG, NULL);
	assert_null(dw);
	free(stripped);
	free(facts);
}

/* ---- corrupted DWARF ---- */

struct blob {
	unsigned char *p;
	size_t len;
};

static struct blob slurp(const char *path)
{
	struct blob b = {0};

	b.p = tu_slurp(path, &b.len);
	return b;
}

/* File range of section @name of the ELF64 image @b (test inputs are trusted). */
static void section(const struct blob *b, const char *name, size_t *off, size_t *len)
{
	const Elf64_Ehdr *eh = (const void *)b->p;
	const Elf64_Shdr *sh, *strs;
	unsigned i;

	assert_true(b->len >= sizeof(*eh) && eh->e_ident[EI_CLASS] == ELFCLASS64);
	assert_true(eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) <= b->len);
	sh = (const void *)(b->p + eh->e_shoff);
	strs = &sh[eh->e_shstrndx];
	for (i = 0; i < eh->e_shnum; i++) {
		if (!strcmp((const char *)b->p + strs->sh_offset + sh[i].sh_name, name)) {
			assert_true(sh[i].sh_offset + sh[i].sh_size <= b->len);
			*off = sh[i].sh_offset;
			*len = sh[i].sh_size;
			return;
		}
	}
	fail_msg("no section %s", name);
}

static const char *const types[] = {
    "qm_frag",	     "qm_frag_end", "qm_frag_lnk",  "qm_block",		  "fm_frag",
    "fm_block",	     "fm_block_t",  "sr_pkg_api_t", "sr_pkg_api_const_t", "sr_shm_api_t",
    "process_table", "anon_holder", "with_flex",    "not_a_struct_t",
};
static const char *const vars[] = {
    "_pkg_root",      "_shm_root",	     "pt",	    "process_no", "fm_main",
    "def_static_lnk", "decl_static_counter", "fm_decl_ptr",
};

/* Open @path and ask everything; returns how many questions failed (errors must be well-formed). */
static unsigned ask_everything(const char *path, bool *opened)
{
	struct hw_dwarf_member m[] = {
	    {.name = "size"},	   {.name = "u.nxt_free"}, {.name = "free_hash"},
	    {.name = "head.size"}, {.name = "pair.b"},	   {.name = "xstatus"},
	};
	struct hw_dwarf *dw = NULL;
	struct hw_error *err;
	unsigned failed = 0;
	uint64_t v;
	size_t i;

	err = hw_dwarf_find(NULL, NULL, path, &dw);
	*opened = !err;
	if (err) {
		assert_true(err->message && *err->message);
		hw_error_destroy(err);
		return 1;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		err = hw_dwarf_struct(dw, types[i], &v, m, sizeof(m) / sizeof(m[0]));
		if (err) {
			assert_true(err->message && *err->message);
			failed++;
		}
		hw_error_destroy(err);
	}
	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		err = hw_dwarf_variable(dw, vars[i], &v);
		if (err) {
			assert_true(err->message && *err->message);
			failed++;
		}
		hw_error_destroy(err);
	}
	hw_dwarf_close(dw);
	return failed;
}

/* A broken first unit header: every question fails, with an error. */
static void test_corrupt_unit_header(void **state)
{
	struct blob b = slurp(exe5);
	size_t off = 0, len = 0;
	char *path = NULL;
	bool opened;
	unsigned failed;

	(void)state;
	assert_true(asprintf(&path, "%s.badhdr", exe5) > 0);
	section(&b, ".debug_info", &off, &len);
	assert_true(len > 16);
	memcpy(b.p + off, "\xf0\xff\xff\xff", 4); /* unit length far beyond the section */
	tu_spit(path, b.p, b.len);
	failed = ask_everything(path, &opened);
	if (opened)
		assert_int_equal(failed,
				 sizeof(types) / sizeof(types[0]) + sizeof(vars) / sizeof(vars[0]));

	/* The same, the other way: the version field of the first unit. */
	free(b.p);
	b = slurp(exe5);
	memcpy(b.p + off + 4, "\x63\x00", 2);
	tu_spit(path, b.p, b.len);
	failed = ask_everything(path, &opened);
	if (opened)
		assert_true(failed > 0);

	/* A section header pointing past the end of the file. */
	free(b.p);
	b = slurp(exe5);
	{
		Elf64_Ehdr *eh = (void *)b.p;
		Elf64_Shdr *sh = (void *)(b.p + eh->e_shoff);
		unsigned i;

		for (i = 0; i < eh->e_shnum; i++) {
			if (sh[i].sh_offset == off)
				sh[i].sh_size = (uint64_t)b.len * 4;
		}
	}
	tu_spit(path, b.p, b.len);
	failed = ask_everything(path, &opened);
	assert_true(!opened || failed > 0);

	/* Truncated in the middle of the DWARF. */
	free(b.p);
	b = slurp(exe5);
	tu_spit(path, b.p, off + len / 2);
	ask_everything(path, &opened);

	free(b.p);
	free(path);
}

/* Random byte flips in the DWARF sections: errors or answers, never a crash or a leak. */
static void test_corrupt_random(void **state)
{
	static const char *const sects[] = {".debug_info", ".debug_abbrev", ".debug_str",
					    ".debug_info", ".debug_info"};
	struct blob pristine = slurp(exe5);
	unsigned char *work = malloc(pristine.len);
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	unsigned iter, opened_count = 0, failures = 0;
	char *path = NULL;

	(void)state;
	assert_non_null(work);
	assert_true(asprintf(&path, "%s.fuzz", exe5) > 0);
	for (iter = 0; iter < 300; iter++) {
		size_t off = 0, len = 0, k, nflip;
		bool opened;

		memcpy(work, pristine.p, pristine.len);
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		section(&pristine, sects[rng % 5], &off, &len);
		nflip = 1 + (rng >> 8) % 8;
		for (k = 0; k < nflip; k++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			work[off + (rng >> 16) % len] ^= (unsigned char)(1u << (rng % 8));
		}
		tu_spit(path, work, pristine.len);
		failures += ask_everything(path, &opened);
		opened_count += opened;
	}
	/* The flips did reach the readers: some questions failed, most files still opened. */
	assert_true(failures > 0);
	assert_true(opened_count > 0);
	free(path);
	free(work);
	free(pristine.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dwarf5),
	    cmocka_unit_test(test_dwarf4),
	    cmocka_unit_test(test_dwarf2),
	    cmocka_unit_test(test_dwarf5_optimised),
	    cmocka_unit_test(test_dwarf4_no_pie),
	    cmocka_unit_test_setup_teardown(test_member_batch, setup_d5, teardown_d5),
	    cmocka_unit_test_setup_teardown(test_lookup_errors, setup_d5, teardown_d5),
	    cmocka_unit_test_setup_teardown(test_open_errors, setup_d5, teardown_d5),
	    cmocka_unit_test_setup_teardown(test_corrupt_unit_header, setup_d5, teardown_d5),
	    cmocka_unit_test_setup_teardown(test_corrupt_random, setup_d5, teardown_d5),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
