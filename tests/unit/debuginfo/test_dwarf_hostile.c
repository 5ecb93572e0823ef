/* test_dwarf_hostile.c - the DWARF reader on crafted and damaged debug files: no crash, no hang. */
#include <elf.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <dwarf.h>
#include <gelf.h>
#include <libelf.h>

#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"

#include "helpers.h"

static char *tmp;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *tmp_path(const char *name)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/%s", tmp, name) > 0);
	return p;
}

/* ---- a growable byte buffer (little-endian) ---- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put_le(struct buf *b, uint64_t v, unsigned n)
{
	uint8_t x[8];
	unsigned i;

	assert_true(n <= sizeof(x));
	for (i = 0; i < n; i++, v >>= 8)
		x[i] = (uint8_t)v;
	put(b, x, n);
}

static void u8(struct buf *b, unsigned v)
{
	put_le(b, v, 1);
}

static void u32(struct buf *b, uint64_t v)
{
	put_le(b, v, 4);
}

static void uleb(struct buf *b, uint64_t v)
{
	do {
		uint8_t c = v & 0x7f;

		v >>= 7;
		u8(b, c | (v ? 0x80 : 0));
	} while (v);
}

static void cstr(struct buf *b, const char *s)
{
	put(b, s, strlen(s) + 1);
}

static void patch32(struct buf *b, size_t at, uint64_t v)
{
	unsigned i;

	for (i = 0; i < 4; i++, v >>= 8)
		b->p[at + i] = (uint8_t)v;
}

/* ---- a minimal ELF64 little-endian file: the given sections and .shstrtab ---- */

struct sec {
	const char *name;
	const struct buf *data;
	uint32_t type; /* 0: SHT_PROGBITS */
	uint64_t flags;
	uint64_t size; /* 0: data->len; else claimed in the header regardless of the data */
};

static void write_elf(const char *path, const struct sec *secs, unsigned n)
{
	struct buf f = {0}, shstr = {0};
	size_t name_off[16], data_off[16], shoff;
	unsigned i;
	FILE *out;

	assert_true(n < 15);
	u8(&shstr, 0);
	for (i = 0; i < n; i++) {
		name_off[i] = shstr.len;
		cstr(&shstr, secs[i].name);
	}
	name_off[n] = shstr.len;
	cstr(&shstr, ".shstrtab");

	/* ELF header; e_shoff patched below */
	put(&f, ELFMAG, SELFMAG);
	u8(&f, ELFCLASS64);
	u8(&f, ELFDATA2LSB);
	u8(&f, EV_CURRENT);
	while (f.len < EI_NIDENT)
		u8(&f, 0);
	put_le(&f, ET_EXEC, 2);
	put_le(&f, EM_X86_64, 2);
	u32(&f, EV_CURRENT);
	put_le(&f, 0, 8);  /* e_entry */
	put_le(&f, 0, 8);  /* e_phoff */
	put_le(&f, 0, 8);  /* e_shoff */
	u32(&f, 0);	   /* e_flags */
	put_le(&f, 64, 2); /* e_ehsize */
	put_le(&f, 0, 2);
	put_le(&f, 0, 2);
	put_le(&f, 64, 2);    /* e_shentsize */
	put_le(&f, n + 2, 2); /* e_shnum */
	put_le(&f, n + 1, 2); /* e_shstrndx */
	for (i = 0; i < n; i++) {
		data_off[i] = f.len;
		put(&f, secs[i].data->p, secs[i].data->len);
	}
	data_off[n] = f.len;
	put(&f, shstr.p, shstr.len);
	while (f.len % 8)
		u8(&f, 0);
	shoff = f.len;
	for (i = 0; i < 8; i++)
		f.p[0x28 + i] = (uint8_t)(shoff >> (8 * i));
	for (i = 0; i < 8; i++)
		put_le(&f, 0, 8); /* the null section's header */
	for (i = 0; i <= n; i++) {
		bool last = i == n;

		u32(&f, name_off[i]);
		u32(&f, last ? SHT_STRTAB : secs[i].type ? secs[i].type : SHT_PROGBITS);
		put_le(&f, last ? 0 : secs[i].flags, 8);
		put_le(&f, 0, 8); /* sh_addr */
		put_le(&f, data_off[i], 8);
		put_le(&f, last ? shstr.len : secs[i].size ? secs[i].size : secs[i].data->len, 8);
		u32(&f, 0);
		u32(&f, 0);
		put_le(&f, 1, 8);
		put_le(&f, !last && secs[i].type == SHT_GROUP ? 4 : 0, 8); /* sh_entsize */
	}
	out = fopen(path, "wb");
	assert_non_null(out);
	assert_int_equal(fwrite(f.p, 1, f.len, out), f.len);
	assert_int_equal(fclose(out), 0);
	free(f.p);
	free(shstr.p);
}

/* ---- DWARF 4 built by hand ---- */

/* Abbreviation codes (their DIEs: abbrev_table). */
enum {
	AB_CU = 1,
	AB_STRUCT,
	AB_STRUCT_STRP,
	AB_MEMBER,
	AB_ANON_MEMBER,
	AB_BASE,
	AB_VAR,
	AB_STRUCT_NOSIB,
	AB_MEMBER_ADDR,
};

/* clang-format off */
static const struct {
	unsigned code, tag;
	bool children;
	unsigned attr[4][2]; /* (DW_AT_*, DW_FORM_*), up to the first zero */
} abbrev_table[] = {
	{AB_CU, DW_TAG_compile_unit, true, {{DW_AT_name, DW_FORM_string}}},
	{AB_STRUCT, DW_TAG_structure_type, true, {{DW_AT_name, DW_FORM_string},
		{DW_AT_byte_size, DW_FORM_data1}, {DW_AT_sibling, DW_FORM_ref4}}},
	{AB_STRUCT_STRP, DW_TAG_structure_type, false, {{DW_AT_name, DW_FORM_strp},
		{DW_AT_byte_size, DW_FORM_data1}}},
	{AB_MEMBER, DW_TAG_member, false, {{DW_AT_name, DW_FORM_string}, {DW_AT_type, DW_FORM_ref4},
		{DW_AT_data_member_location, DW_FORM_data1}, {DW_AT_sibling, DW_FORM_ref4}}},
	{AB_ANON_MEMBER, DW_TAG_member, false, {{DW_AT_type, DW_FORM_ref4},
		{DW_AT_data_member_location, DW_FORM_data1}}},
	{AB_BASE, DW_TAG_base_type, false, {{DW_AT_name, DW_FORM_string},
		{DW_AT_byte_size, DW_FORM_data1}, {DW_AT_encoding, DW_FORM_data1}}},
	{AB_VAR, DW_TAG_variable, false, {{DW_AT_name, DW_FORM_string}, {DW_AT_type, DW_FORM_ref4},
		{DW_AT_location, DW_FORM_exprloc}}},
	{AB_STRUCT_NOSIB, DW_TAG_structure_type, true, {{DW_AT_name, DW_FORM_string},
		{DW_AT_byte_size, DW_FORM_data1}}},
	{AB_MEMBER_ADDR, DW_TAG_member, false, {{DW_AT_name, DW_FORM_string},
		{DW_AT_type, DW_FORM_ref_addr}, {DW_AT_data_member_location, DW_FORM_data1}}},
};
/* clang-format on */

static void abbrevs(struct buf *a)
{
	for (size_t i = 0; i < sizeof(abbrev_table) / sizeof(abbrev_table[0]); i++) {
		uleb(a, abbrev_table[i].code), uleb(a, abbrev_table[i].tag);
		u8(a, abbrev_table[i].children);
		for (size_t k = 0; k < 4 && abbrev_table[i].attr[k][0]; k++)
			uleb(a, abbrev_table[i].attr[k][0]), uleb(a, abbrev_table[i].attr[k][1]);
		u8(a, 0), u8(a, 0);
	}
	u8(a, 0);
}

/* A unit being written into .debug_info: offsets in DIEs are relative to its start. */
struct unit {
	struct buf *info;
	size_t start;
};

static struct unit unit_begin(struct buf *info)
{
	struct unit u = {.info = info, .start = info->len};

	u32(info, 0); /* unit_length, patched by unit_end */
	put_le(info, 4, 2);
	u32(info, 0); /* abbrev offset */
	u8(info, 8);
	uleb(info, AB_CU);
	cstr(info, "hostile.c");
	return u;
}

static void unit_end(struct unit *u)
{
	u8(u->info, 0); /* end of the unit DIE's children */
	patch32(u->info, u->start, u->info->len - u->start - 4);
}

/* The unit-relative offset of the next DIE. */
static size_t here(const struct unit *u)
{
	return u->info->len - u->start;
}

static size_t base_type(struct unit *u, const char *name, unsigned size)
{
	size_t off = here(u);

	uleb(u->info, AB_BASE);
	cstr(u->info, name);
	u8(u->info, size);
	u8(u->info, DW_ATE_signed);
	return off;
}

/* Opens a struct DIE; its sibling field is at *sib_at (patch it, or leave it for sib_next). */
static size_t struct_begin(struct unit *u, const char *name, unsigned size, size_t *sib_at)
{
	size_t off = here(u);

	uleb(u->info, AB_STRUCT);
	cstr(u->info, name);
	u8(u->info, size);
	*sib_at = u->info->len;
	u32(u->info, 0);
	return off;
}

/* Ends a struct opened with struct_begin: its sibling is whatever comes next. */
static void struct_end(struct unit *u, size_t sib_at)
{
	u8(u->info, 0);
	patch32(u->info, sib_at, here(u));
}

static size_t member(struct unit *u, const char *name, size_t type, unsigned off, size_t *sib_at)
{
	size_t at = here(u);

	uleb(u->info, AB_MEMBER);
	cstr(u->info, name);
	u32(u->info, type);
	u8(u->info, off);
	*sib_at = u->info->len;
	u32(u->info, here(u) + 4); /* the next DIE */
	return at;
}

static void variable(struct unit *u, const char *name, size_t type, uint64_t addr)
{
	uleb(u->info, AB_VAR);
	cstr(u->info, name);
	u32(u->info, type);
	uleb(u->info, 9);
	u8(u->info, DW_OP_addr);
	put_le(u->info, addr, 8);
}

/* struct <name> { int a; int b; } (8 bytes), complete. */
static void good_struct(struct unit *u, const char *name, size_t int_type)
{
	size_t sib, msib;

	struct_begin(u, name, 8, &sib);
	member(u, "a", int_type, 0, &msib);
	member(u, "b", int_type, 4, &msib);
	struct_end(u, sib);
}

/* Write .debug_abbrev/.debug_info/.debug_str into an ELF file @name under tmp; returns its path. */
static char *write_dwarf(const char *name, const struct buf *info, const struct buf *str)
{
	struct buf ab = {0};
	struct sec secs[3];
	char *path = tmp_path(name);
	unsigned n = 0;

	abbrevs(&ab);
	secs[n++] = (struct sec){.name = ".debug_abbrev", .data = &ab};
	secs[n++] = (struct sec){.name = ".debug_info", .data = info};
	if (str)
		secs[n++] = (struct sec){.name = ".debug_str", .data = str};
	write_elf(path, secs, n);
	free(ab.p);
	return path;
}

static struct hw_dwarf *open_ok(const char *path)
{
	struct hw_dwarf *dw = NULL;
	struct hw_error *err = hw_dwarf_find(NULL, NULL, path, &dw);

	if (err)
		fail_msg("%s: %s", path, err->message);
	return dw;
}

static void expect_struct(struct hw_dwarf *dw, const char *name, uint64_t size, uint64_t b_off)
{
	struct hw_dwarf_member m = {.name = "b"};
	struct hw_error *err;
	uint64_t got = 0;

	err = hw_dwarf_struct(dw, name, &got, &m, 1);
	if (err)
		fail_msg("struct %s: %s", name, err->message);
	assert_int_equal(got, size);
	assert_true(m.found);
	assert_int_equal(m.offset, b_off);
	assert_int_equal(m.size, 4);
}

/* hw_dwarf_struct(@name) must fail with @code and a message containing @want. */
static void expect_struct_error(struct hw_dwarf *dw, const char *name, const char *member,
				enum hw_error_code code, const char *want)
{
	struct hw_dwarf_member m = {.name = member};
	struct hw_error *err = hw_dwarf_struct(dw, name, NULL, &m, member ? 1 : 0);

	if (!err)
		fail_msg("struct %s: no error", name);
	printf("# %s: %s\n", name, err->message);
	if ((int)err->code != (int)code || !strstr(err->message, want))
		fail_msg("struct %s: error %d '%s', expected %d with '%s'", name, err->code,
			 err->message, code, want);
	hw_error_destroy(err);
}

static void expect_open_error(const char *path, enum hw_error_code code, const char *want)
{
	struct hw_dwarf *dw = NULL;
	struct hw_error *err = hw_dwarf_find(NULL, NULL, path, &dw);

	if (!err)
		fail_msg("%s: opened", path);
	printf("# %s\n", err->message);
	if ((int)err->code != (int)code || !strstr(err->message, want))
		fail_msg("%s: error %d '%s', expected %d with '%s'", path, err->code, err->message,
			 code, want);
	hw_error_destroy(err);
}

/*
 * How long a case took, as a figure only: a busy machine must not fail a
 * test. A reader that loops forever is caught by the test's timeout, and the
 * reader's own bounds (DIE and damage caps) are asserted by the cases.
 */
static void check_time(double t0, const char *what)
{
	printf("# %s: %.3f s\n", what, now() - t0);
}

/* ---- crafted DWARF ---- */

/* The builder itself: what it writes reads back as written. */
static void test_crafted_good(void **state)
{
	struct buf info = {0};
	struct unit u = unit_begin(&info);
	size_t t_int = base_type(&u, "int", 4);
	struct hw_dwarf *dw;
	uint64_t addr = 0;
	char *path;

	(void)state;
	good_struct(&u, "alpha", t_int);
	variable(&u, "gvar", t_int, 0x601234);
	unit_end(&u);
	path = write_dwarf("good", &info, NULL);
	dw = open_ok(path);
	expect_struct(dw, "alpha", 8, 4);
	assert_null(hw_dwarf_variable(dw, "gvar", &addr));
	assert_int_equal(addr, 0x601234);
	hw_dwarf_close(dw);
	free(path);
	free(info.p);
}

/* A unit holding only struct @name { int a; int b; }. */
static void good_unit(struct buf *info, const char *name)
{
	struct unit u = unit_begin(info);

	good_struct(&u, name, base_type(&u, "int", 4));
	unit_end(&u);
}

/*
 * A unit whose DIE chain does not move forward: a top-level DW_AT_sibling
 * pointing at its own DIE or back (@to_self), or (@nested) one of a
 * member inside a struct libdwarf has to step over (libdwarf 20210528
 * loops forever there). The unit is rejected as a whole before libdwarf
 * walks it; the units around it are read.
 */
static void sibling_loop(const char *name, bool to_self, bool nested)
{
	struct buf info = {0};
	struct unit u;
	size_t t_int, sib, msib, loop_die, m;
	struct hw_dwarf *dw;
	double t0 = now();
	char *path, want[128];

	good_unit(&info, "alpha");
	u = unit_begin(&info);
	t_int = base_type(&u, "int", 4);
	if (nested) {
		uleb(u.info, AB_STRUCT_NOSIB);
		cstr(u.info, "looper");
		u8(u.info, 8);
		member(&u, "a", t_int, 0, &msib);
		m = member(&u, "b", t_int, 4, &msib);
		patch32(u.info, msib, m);
		u8(u.info, 0);
		snprintf(want, sizeof(want), "DW_AT_sibling of DIE 0x%zx points back to 0x%zx",
			 u.start + m, u.start + m);
	} else {
		loop_die = struct_begin(&u, "looper", 8, &sib);
		member(&u, "a", t_int, 0, &msib);
		member(&u, "b", t_int, 4, &msib);
		u8(u.info, 0);
		patch32(u.info, sib, to_self ? loop_die : t_int);
		snprintf(want, sizeof(want), "DW_AT_sibling of DIE 0x%zx points back to 0x%zx",
			 u.start + loop_die, u.start + (to_self ? loop_die : t_int));
	}
	good_struct(&u, "lost", t_int);
	unit_end(&u);
	good_unit(&info, "omega");
	path = write_dwarf(name, &info, NULL);
	dw = open_ok(path);
	expect_struct(dw, "alpha", 8, 4);
	expect_struct(dw, "omega", 8, 4);
	expect_struct_error(dw, "lost", NULL, HW_ERR_DWARF, "index incomplete, 1 problem: ");
	expect_struct_error(dw, "looper", NULL, HW_ERR_DWARF, want);
	hw_dwarf_close(dw);
	check_time(t0, name);
	free(path);
	free(info.p);
}

static void test_sibling_self(void **state)
{
	(void)state;
	sibling_loop("sibling-self", true, false);
}

static void test_sibling_back(void **state)
{
	(void)state;
	sibling_loop("sibling-back", false, false);
}

static void test_sibling_nested(void **state)
{
	(void)state;
	sibling_loop("sibling-nested", true, true);
}

/*
 * A reference from a sound unit into a rejected one: refused before
 * libdwarf is asked for a DIE there.
 */
static void test_ref_into_rejected(void **state)
{
	struct buf info = {0};
	struct unit u = unit_begin(&info), v;
	size_t t_int = base_type(&u, "int", 4), sib, msib, patch, target;
	struct hw_dwarf *dw;
	char *path;

	(void)state;
	struct_begin(&u, "user", 8, &sib);
	member(&u, "a", t_int, 0, &msib);
	uleb(u.info, AB_MEMBER_ADDR);
	cstr(u.info, "b");
	patch = u.info->len;
	u32(u.info, 0);
	u8(u.info, 4);
	struct_end(&u, sib);
	unit_end(&u);
	v = unit_begin(&info);
	target = v.start + here(&v);
	base_type(&v, "int", 4);
	uleb(v.info, 99); /* no such abbreviation: the unit is rejected */
	unit_end(&v);
	patch32(&info, patch, target);
	path = write_dwarf("ref-into-rejected", &info, NULL);
	dw = open_ok(path);
	expect_struct_error(dw, "user", "b", HW_ERR_BAD_DATA,
			    "no DIE of a sound unit starts there");
	hw_dwarf_close(dw);
	free(path);
	free(info.p);
}

/*
 * Many top-level DIEs whose names lie outside .debug_str: each costs only
 * itself, 64 of them the rest of their unit.
 */
static void test_bad_names(void **state)
{
	struct buf info = {0}, str = {0};
	struct unit u = unit_begin(&info);
	size_t t_int = base_type(&u, "int", 4);
	struct hw_dwarf *dw;
	double t0 = now();
	char *path;
	unsigned i;

	(void)state;
	cstr(&str, "named");
	good_struct(&u, "alpha", t_int);
	for (i = 0; i < 50000; i++) {
		uleb(u.info, AB_STRUCT_STRP);
		u32(u.info, 0x7fff0000u + i);
		u8(u.info, 8);
	}
	good_struct(&u, "omega", t_int);
	unit_end(&u);
	path = write_dwarf("bad-names", &info, &str);
	dw = open_ok(path);
	expect_struct(dw, "alpha", 8, 4);
	expect_struct_error(dw, "omega", NULL, HW_ERR_DWARF, "index incomplete, 65 problems");
	hw_dwarf_close(dw);
	check_time(t0, "bad-names");
	free(path);
	free(info.p);
	free(str.p);
}

/* Many units with a damaged DIE each: after 1024 the rest of the file is skipped. */
static void test_bad_units(void **state)
{
	struct buf info = {0}, str = {0};
	struct hw_dwarf *dw;
	double t0 = now();
	char *path;
	unsigned i;

	(void)state;
	cstr(&str, "named");
	for (i = 0; i < 3000; i++) {
		struct unit u = unit_begin(&info);

		uleb(u.info, AB_STRUCT_STRP);
		u32(u.info, 0x7fff0000u);
		u8(u.info, 8);
		unit_end(&u);
	}
	{
		struct unit u = unit_begin(&info);

		good_struct(&u, "omega", base_type(&u, "int", 4));
		unit_end(&u);
	}
	path = write_dwarf("bad-units", &info, &str);
	dw = open_ok(path);
	expect_struct_error(dw, "omega", NULL, HW_ERR_DWARF, "index incomplete, 1025 problems");
	hw_dwarf_close(dw);
	check_time(t0, "bad-units");
	free(path);
	free(info.p);
	free(str.p);
}

/*
 * A struct made of anonymous members of its own type: looking for a
 * member that is not there would visit 50^4 DIEs; the query's budget ends
 * it with an error.
 */
static void test_anon_recursion(void **state)
{
	struct buf info = {0};
	struct unit u = unit_begin(&info);
	size_t sib, self;
	struct hw_dwarf *dw;
	double t0 = now();
	char *path;
	unsigned i;

	(void)state;
	base_type(&u, "int", 4);
	self = struct_begin(&u, "delta", 8, &sib);
	for (i = 0; i < 50; i++) {
		uleb(u.info, AB_ANON_MEMBER);
		u32(u.info, self);
		u8(u.info, 0);
	}
	struct_end(&u, sib);
	unit_end(&u);
	path = write_dwarf("anon-recursion", &info, NULL);
	dw = open_ok(path);
	expect_struct_error(dw, "delta", "nothere", HW_ERR_BAD_DATA, "too convoluted");
	hw_dwarf_close(dw);
	check_time(t0, "anon-recursion");
	free(path);
	free(info.p);
}

/* ---- damaged sections ---- */

/* A section claiming 100 GiB in a small file is refused before anything reads it. */
static void test_huge_section(void **state)
{
	struct buf info = {0}, ab = {0};
	struct unit u = unit_begin(&info);
	struct sec secs[2];
	char *path = tmp_path("huge-section");
	double t0 = now();

	(void)state;
	good_struct(&u, "alpha", base_type(&u, "int", 4));
	unit_end(&u);
	abbrevs(&ab);
	secs[0] = (struct sec){.name = ".debug_abbrev", .data = &ab};
	secs[1] = (struct sec){.name = ".debug_info", .data = &info, .size = 100ull << 30};
	write_elf(path, secs, 2);
	expect_open_error(path, HW_ERR_BAD_DATA, "lies outside the file");
	check_time(t0, "huge-section");
	free(path);
	free(info.p);
	free(ab.p);
}

/* Compressed sections whose headers claim 100 GiB: refused before any allocation. */
static void test_compression_bomb(void **state)
{
	struct buf ab = {0}, chdr = {0}, gnu = {0};
	struct sec secs[2];
	char *p1 = tmp_path("bomb-chdr"), *p2 = tmp_path("bomb-gnu");
	unsigned i;

	(void)state;
	abbrevs(&ab);
	u32(&chdr, ELFCOMPRESS_ZLIB);
	u32(&chdr, 0);
	put_le(&chdr, 100ull << 30, 8);
	put_le(&chdr, 1, 8);
	put(&gnu, "ZLIB", 4);
	for (i = 0; i < 8; i++)
		u8(&gnu, (unsigned)((100ull << 30) >> (8 * (7 - i))));
	for (i = 0; i < 256; i++) {
		u8(&chdr, 0x78);
		u8(&gnu, 0x78);
	}
	secs[0] = (struct sec){.name = ".debug_abbrev", .data = &ab};
	secs[1] = (struct sec){.name = ".debug_info", .data = &chdr, .flags = SHF_COMPRESSED};
	write_elf(p1, secs, 2);
	expect_open_error(p1, HW_ERR_BAD_DATA, "cannot hold");
	secs[1] = (struct sec){.name = ".zdebug_info", .data = &gnu};
	write_elf(p2, secs, 2);
	expect_open_error(p2, HW_ERR_BAD_DATA, "cannot hold");
	free(p1);
	free(p2);
	free(ab.p);
	free(chdr.p);
	free(gnu.p);
}

/*
 * A section group claiming 0x1a00000000 bytes in a small file: libdwarf
 * 20210528's own ELF reader allocated that much before comparing it with
 * the file size (the fuzzer's out-of-memory). heapwalk reads ELF with
 * libelf and never asks about sections it does not need: the file reads.
 */
static void test_huge_group(void **state)
{
	struct buf info = {0}, ab = {0}, grp = {0};
	struct unit u = unit_begin(&info);
	struct sec secs[3];
	struct hw_dwarf *dw;
	char *path = tmp_path("huge-group");

	(void)state;
	good_struct(&u, "alpha", base_type(&u, "int", 4));
	unit_end(&u);
	abbrevs(&ab);
	u32(&grp, 1); /* GRP_COMDAT */
	u32(&grp, 1);
	secs[0] = (struct sec){
	    .name = ".group", .data = &grp, .type = SHT_GROUP, .size = 0x1a00000000ull};
	secs[1] = (struct sec){.name = ".debug_abbrev", .data = &ab};
	secs[2] = (struct sec){.name = ".debug_info", .data = &info};
	write_elf(path, secs, 3);
	dw = open_ok(path);
	expect_struct(dw, "alpha", 8, 4);
	hw_dwarf_close(dw);
	free(path);
	free(info.p);
	free(ab.p);
	free(grp.p);
}

/* ---- real compilers' output ---- */

/* The offset and size of section @name of @path; false if absent. */
static bool find_section(const char *path, const char *name, uint64_t *off, uint64_t *size)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx = 0;
	bool found = false;
	int fd = open(path, O_RDONLY);
	Elf *elf;

	assert_true(fd >= 0);
	assert_true(elf_version(EV_CURRENT) != EV_NONE);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while (!found && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		assert_non_null(gelf_getshdr(scn, &sh));
		n = elf_strptr(elf, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name)) {
			*off = sh.sh_offset;
			*size = sh.sh_size;
			found = true;
		}
	}
	elf_end(elf);
	close(fd);
	return found;
}

/* Overwrite @len bytes at @off of @path. */
static void poke(const char *path, uint64_t off, const void *bytes, size_t len)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, bytes, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static void build(const char *tag, const char *flags, char **exe, char **facts)
{
	*exe = tmp_path(tag);
	assert_true(asprintf(facts, "%s/%s.facts", tmp, tag) > 0);
	if (!th_build_inputs(*exe, *facts, flags))
		fail_msg("cannot build test inputs with '%s' (see %s.log)", flags, *exe);
}

static void check_file(const char *path, const char *facts, size_t min_facts)
{
	struct hw_dwarf *dw = open_ok(path);

	assert_true(th_check_facts(dw, facts) >= min_facts);
	hw_dwarf_close(dw);
}

/*
 * gcc 12's -O2 -gdwarf-5 output has .debug_rnglists and .debug_loclists.
 * libdwarf 20210528 parses their headers whenever it loads .debug_info and
 * frees twice on a damaged .debug_rnglists header; heapwalk never shows it
 * those sections, so damage there costs nothing, and every layout is read.
 */
static void test_damaged_rnglists(void **state)
{
	static const char *const lists[] = {".debug_rnglists", ".debug_loclists"};
	char *exe = NULL, *facts = NULL;
	unsigned i, damaged = 0;

	(void)state;
	build("rnglists", "-O2 -gdwarf-5", &exe, &facts);
	check_file(exe, facts, 80);
	for (i = 0; i < 2; i++) {
		static const uint8_t bad_version[2] = {0x07, 0x00};
		uint64_t off = 0, size = 0;

		if (!find_section(exe, lists[i], &off, &size) || size < 6)
			continue;
		/* unit_length (4) then version (2): version 7 makes libdwarf's header read fail */
		poke(exe, off + 4, bad_version, sizeof(bad_version));
		damaged++;
	}
	if (!damaged)
		fail_msg("%s has neither .debug_rnglists nor .debug_loclists", exe);
	check_file(exe, facts, 80);
	free(exe);
	free(facts);
}

/* Sections compressed the ELF way (SHF_COMPRESSED) and the GNU way (.zdebug_*). */
static void test_compressed(void **state)
{
	char *exe = NULL, *facts = NULL, *gnu = tmp_path("zdebug");
	uint64_t off = 0, size = 0;

	(void)state;
	build("gz", "-O2 -gdwarf-5 -gz=zlib", &exe, &facts);
	check_file(exe, facts, 80);
	if (th_sh("'%s' --compress-debug-sections=zlib-gnu '%s' '%s' 2>/dev/null", HW_TEST_OBJCOPY,
		  exe, gnu) != 0 ||
	    !find_section(gnu, ".zdebug_info", &off, &size)) {
		printf("# objcopy cannot write .zdebug sections; that half skipped\n");
	} else {
		check_file(gnu, facts, 80);
	}
	free(exe);
	free(facts);
	free(gnu);
}

/* A truncated debug file: its sections now lie past the end. */
static void test_truncated(void **state)
{
	char *exe = NULL, *facts = NULL;
	uint64_t off = 0, size = 0;

	(void)state;
	build("trunc", "-gdwarf-5", &exe, &facts);
	assert_true(find_section(exe, ".debug_info", &off, &size));
	assert_int_equal(truncate(exe, (off_t)(off + size / 2)), 0);
	expect_open_error(exe, HW_ERR_NO_DEBUGINFO, "");
	free(exe);
	free(facts);
}

/*
 * Relocatable objects (gcc -r): heapwalk applies their relocations to the
 * DWARF itself (RELA on x86-64, REL with addends in place on i386).
 */
static void relocatable(const char *tag, const char *flags)
{
	char *exe = NULL, *facts = NULL, *obj = NULL, *types = NULL;
	const char *in = HW_TEST_INPUTS;

	build(tag, flags, &exe, &facts);
	assert_true(asprintf(&obj, "%s.o", exe) > 0);
	assert_true(asprintf(&types, "%s.types", facts) > 0);
	if (th_sh("%s %s -r -I'%s' -o '%s' '%s/cu_decl.c' '%s/cu_main.c' '%s/cu_def.c'", HW_TEST_CC,
		  flags, in, obj, in, in, in) != 0)
		fail_msg("cannot build %s", obj);
	/* variable addresses are not final in an object file: check the types only */
	assert_int_equal(th_sh("grep -v '^V ' '%s' >'%s'", facts, types), 0);
	check_file(obj, types, 60);
	free(exe);
	free(facts);
	free(obj);
	free(types);
}

static void test_relocatable(void **state)
{
	(void)state;
	relocatable("rel64", "-gdwarf-5");
	relocatable("rel64d4", "-gdwarf-4");
}

static void test_relocatable_m32(void **state)
{
	char *probe = tmp_path("probe32"), *facts = NULL;

	(void)state;
	assert_true(asprintf(&facts, "%s.facts", probe) > 0);
	if (!th_build_inputs(probe, facts, "-m32 -g")) {
		free(probe);
		free(facts);
		skip();
	}
	relocatable("rel32", "-m32 -gdwarf-5");
	free(probe);
	free(facts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crafted_good),      cmocka_unit_test(test_sibling_self),
	    cmocka_unit_test(test_sibling_back),      cmocka_unit_test(test_sibling_nested),
	    cmocka_unit_test(test_ref_into_rejected), cmocka_unit_test(test_bad_names),
	    cmocka_unit_test(test_bad_units),	      cmocka_unit_test(test_anon_recursion),
	    cmocka_unit_test(test_huge_section),      cmocka_unit_test(test_compression_bomb),
	    cmocka_unit_test(test_huge_group),	      cmocka_unit_test(test_damaged_rnglists),
	    cmocka_unit_test(test_compressed),	      cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_relocatable),	      cmocka_unit_test(test_relocatable_m32),
	};
	int rc;

	tmp = th_tmpdir();
	if (!tmp)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	th_rmtree(tmp);
	free(tmp);
	return rc;
}
