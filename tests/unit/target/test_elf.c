/* test_elf.c - unit tests of the ELF reader (walker/target/elf.c) on binaries built by meson. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heapwalk/elfsym.h"
#include "heapwalk/error.h"

static const char *fixture_path, *stripped_path, *helper32_path;
static char tmpdir[256];

static void tmp_path(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", tmpdir, name);
}

static void expect_open_error(const char *path, enum hw_error_code code, const char *needle)
{
	struct hw_elf *elf = NULL;
	struct hw_error *err = hw_elf_open(path, &elf);

	assert_non_null(err);
	assert_null(elf);
	assert_int_equal(err->code, code);
	if (needle && !strstr(err->message, needle))
		fail_msg("error '%s' does not mention '%s'", err->message, needle);
	hw_error_destroy(err);
}

static void test_identity(void **state)
{
	struct hw_elf *elf;
	const uint8_t *id;
	size_t len;
	char hex[2 * 64 + 1];

	(void)state;
	assert_null(hw_elf_open(fixture_path, &elf));
	assert_string_equal(hw_elf_path(elf), fixture_path);
	assert_int_equal(hw_elf_class(elf), sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32);
#ifdef __x86_64__
	assert_int_equal(hw_elf_machine(elf), EM_X86_64);
#endif
	assert_true(hw_elf_type(elf) == ET_DYN || hw_elf_type(elf) == ET_EXEC);
	id = hw_elf_build_id(elf, &len);
	assert_non_null(id);
	assert_int_equal(len, strlen(FIXTURE_BUILD_ID) / 2);
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	assert_string_equal(hex, FIXTURE_BUILD_ID);
	assert_null(hw_elf_debuglink(elf));
	assert_true(hw_elf_has_debug_info(elf));
	assert_true(hw_elf_has_symtab(elf));
	if (hw_elf_type(elf) == ET_DYN)
		assert_int_equal(hw_elf_first_load_vaddr(elf), 0);
	hw_elf_close(elf);
}

static void test_symbols(void **state)
{
	struct hw_elf *elf;
	struct hw_elf_symbol sym;
	struct hw_error *err;
	int arr[7];
	char str[32];
	int st;
	const void *data;
	size_t size;

	(void)state;
	assert_null(hw_elf_open(fixture_path, &elf));
	assert_null(hw_elf_symbol(elf, "hw_fixture_array", &sym));
	assert_int_equal(sym.size, sizeof(arr));
	assert_int_equal(sym.type, STT_OBJECT);
	assert_null(hw_elf_read_vaddr(elf, arr, sym.value, sizeof(arr)));
	for (int i = 0; i < 7; i++)
		assert_int_equal(arr[i], i + 1);

	assert_null(hw_elf_symbol(elf, "hw_fixture_rodata", &sym));
	assert_int_equal(sym.size, sizeof("fixture rodata bytes"));
	assert_null(hw_elf_read_vaddr(elf, str, sym.value, sym.size));
	assert_string_equal(str, "fixture rodata bytes");

	/* A file-static: only in .symtab. */
	assert_null(hw_elf_symbol(elf, "hw_fixture_static", &sym));
	assert_null(hw_elf_read_vaddr(elf, &st, sym.value, sizeof(st)));
	assert_int_equal(st, 42);

	assert_null(hw_elf_symbol(elf, "hw_fixture_func", &sym));
	assert_int_equal(sym.type, STT_FUNC);
	assert_true(sym.size > 0);
	assert_null(hw_elf_symbol(elf, "_start", &sym));
	assert_int_equal(sym.value, hw_elf_entry(elf));
	/* The code bytes read through the vaddr are the file's bytes at that offset. */
	data = hw_elf_data(elf, &size);
	assert_non_null(data);
	assert_true(size > 1000);

	err = hw_elf_symbol(elf, "no_such_symbol", &sym);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_LOOKUP);
	assert_non_null(strstr(err->message, "no_such_symbol"));
	hw_error_destroy(err);
	/* Undefined (imported) symbols are not found. */
	err = hw_elf_symbol(elf, "__libc_start_main", &sym);
	assert_non_null(err);
	hw_error_destroy(err);
	err = hw_elf_symbol(elf, "", &sym);
	assert_non_null(err);
	hw_error_destroy(err);

	/* Outside every PT_LOAD, and across the end of one. */
	err = hw_elf_read_vaddr(elf, arr, 0xdead00000000ull, 4);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_FAULT);
	assert_int_equal(err->addr, 0xdead00000000ull);
	hw_error_destroy(err);
	hw_elf_close(elf);
}

static void test_stripped(void **state)
{
	struct hw_elf *elf, *full;
	struct hw_elf_symbol sym, fsym;
	struct hw_error *err;
	const uint8_t *id, *fid;
	size_t len, flen;

	(void)state;
	if (!stripped_path)
		skip();
	assert_null(hw_elf_open(stripped_path, &elf));
	assert_null(hw_elf_open(fixture_path, &full));
	assert_false(hw_elf_has_symtab(elf));
	assert_false(hw_elf_has_debug_info(elf));
	assert_non_null(hw_elf_debuglink(elf));
	assert_string_equal(hw_elf_debuglink(elf), "elf_fixture");
	id = hw_elf_build_id(elf, &len);
	fid = hw_elf_build_id(full, &flen);
	assert_int_equal(len, flen);
	assert_memory_equal(id, fid, len);
	/* Exported symbols still resolve, through .dynsym, to the same values. */
	assert_null(hw_elf_symbol(elf, "hw_fixture_array", &sym));
	assert_null(hw_elf_symbol(full, "hw_fixture_array", &fsym));
	assert_int_equal(sym.value, fsym.value);
	assert_int_equal(sym.size, 28);
	err = hw_elf_symbol(elf, "hw_fixture_static", &sym);
	assert_non_null(err);
	hw_error_destroy(err);
	hw_elf_close(elf);
	hw_elf_close(full);
}

static void test_class32(void **state)
{
	struct hw_elf *elf;
	struct hw_elf_symbol sym;
	const uint8_t *id;
	size_t len;
	uint32_t magic;

	(void)state;
	if (!helper32_path)
		skip();
	assert_null(hw_elf_open(helper32_path, &elf));
	assert_int_equal(hw_elf_class(elf), ELFCLASS32);
	assert_int_equal(hw_elf_machine(elf), EM_386);
	id = hw_elf_build_id(elf, &len);
	assert_non_null(id);
	assert_int_equal(len, 20);
	assert_true(hw_elf_has_symtab(elf));
	assert_null(hw_elf_symbol(elf, "hw_helper_magic", &sym));
	assert_int_equal(sym.size, 4);
	assert_true(sym.value < 0x100000000ull);
	assert_null(hw_elf_read_vaddr(elf, &magic, sym.value, 4));
	assert_int_equal(magic, 0xfeedc0deu);
	hw_elf_close(elf);
}

static void test_not_elf(void **state)
{
	char path[512];
	static const uint8_t be[64] = {0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2MSB, EV_CURRENT};
	static const uint8_t badclass[64] = {0x7f, 'E', 'L', 'F', 7, ELFDATA2LSB, EV_CURRENT};
	static const uint8_t shorthdr[20] = {0x7f,	 'E',	      'L',	 'F',
					     ELFCLASS64, ELFDATA2LSB, EV_CURRENT};

	(void)state;
	expect_open_error("/etc/passwd", HW_ERR_BAD_DATA, "/etc/passwd: not an ELF file");
	expect_open_error("/", HW_ERR_BAD_DATA, "not a regular file");
	expect_open_error("/dev/null", HW_ERR_BAD_DATA, "not a regular file");
	tmp_path(path, sizeof(path), "fifo");
	assert_int_equal(mkfifo(path, 0600), 0);
	/* Must neither block in open() nor read it. */
	expect_open_error(path, HW_ERR_BAD_DATA, "not a regular file");
	unlink(path);
	expect_open_error("/nonexistent/heapwalk-test", HW_ERR_OS, "/nonexistent/heapwalk-test");

	tmp_path(path, sizeof(path), "empty");
	tu_spit(path, "", 0);
	expect_open_error(path, HW_ERR_BAD_DATA, "not an ELF file");
	tmp_path(path, sizeof(path), "bigendian");
	tu_spit(path, be, sizeof(be));
	expect_open_error(path, HW_ERR_UNSUPPORTED, "big-endian");
	tmp_path(path, sizeof(path), "badclass");
	tu_spit(path, badclass, sizeof(badclass));
	expect_open_error(path, HW_ERR_BAD_DATA, "class");
	tmp_path(path, sizeof(path), "short");
	tu_spit(path, shorthdr, sizeof(shorthdr));
	expect_open_error(path, HW_ERR_BAD_DATA, "truncated");
	for (const char *const *n =
		 (const char *const[]){"empty", "bigendian", "badclass", "short", NULL};
	     *n; n++) {
		tmp_path(path, sizeof(path), *n);
		unlink(path);
	}
}

/* Open (and use, if it opens) a damaged copy: any outcome but a crash. */
static void try_damaged(const char *path)
{
	struct hw_elf *elf;
	struct hw_error *err = hw_elf_open(path, &elf);
	struct hw_elf_symbol sym;
	size_t len;
	uint8_t buf[16];

	if (err) {
		assert_non_null(err->message);
		hw_error_destroy(err);
		return;
	}
	(void)hw_elf_build_id(elf, &len);
	(void)hw_elf_debuglink(elf);
	(void)hw_elf_first_load_vaddr(elf);
	if (!(err = hw_elf_symbol(elf, "hw_fixture_array", &sym)))
		err = hw_elf_read_vaddr(elf, buf, sym.value, sizeof(buf));
	hw_error_destroy(err);
	if (!(err = hw_elf_symbol(elf, "main", &sym)))
		err = hw_elf_read_vaddr(elf, buf, sym.value, sizeof(buf));
	hw_error_destroy(err);
	hw_elf_close(elf);
}

static void test_truncated_copies(void **state)
{
	size_t len;
	uint8_t *img = tu_slurp(fixture_path, &len);
	char path[512];

	(void)state;
	tmp_path(path, sizeof(path), "truncated");
	for (size_t cut = 0; cut < len; cut += cut < 256 ? 7 : 61) {
		tu_spit(path, img, cut);
		try_damaged(path);
	}
	unlink(path);
	free(img);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	return tu_rng(&rng_state);
}

/* Overwrite random bytes of the ELF header, program headers and section headers. */
static void test_corrupt_headers(void **state)
{
	size_t len;
	uint8_t *img = tu_slurp(fixture_path, &len), *copy = malloc(len);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
	char path[512];
	size_t phend, shoff, shend;

	(void)state;
	assert_non_null(copy);
	assert_int_equal(img[EI_CLASS], ELFCLASS64);
	phend = eh->e_phoff + (size_t)eh->e_phnum * eh->e_phentsize;
	shoff = eh->e_shoff;
	shend = shoff + (size_t)eh->e_shnum * eh->e_shentsize;
	assert_true(phend <= len && shend <= len);
	tmp_path(path, sizeof(path), "corrupt");
	for (int iter = 0; iter < 200; iter++) {
		int flips = 1 + (int)(rng() % 6);
		memcpy(copy, img, len);
		for (int k = 0; k < flips; k++) {
			size_t pos;
			switch (rng() % 3) {
			case 0:
				pos = rng() % phend;
				break;
			case 1:
				pos = shoff + rng() % (shend - shoff);
				break;
			default:
				pos = rng() % len;
			}
			copy[pos] = (uint8_t)rng();
		}
		tu_spit(path, copy, len);
		try_damaged(path);
	}
	unlink(path);
	free(copy);
	free(img);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_identity),	    cmocka_unit_test(test_symbols),
	    cmocka_unit_test(test_stripped),	    cmocka_unit_test(test_class32),
	    cmocka_unit_test(test_not_elf),	    cmocka_unit_test(test_truncated_copies),
	    cmocka_unit_test(test_corrupt_headers),
	};
	const char *base = getenv("TMPDIR");
	int rc;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--fixture") == 0)
			fixture_path = argv[i + 1];
		else if (strcmp(argv[i], "--stripped") == 0)
			stripped_path = argv[i + 1];
		else if (strcmp(argv[i], "--helper32") == 0)
			helper32_path = argv[i + 1];
	}
	if (!fixture_path) {
		fprintf(stderr, "usage: %s --fixture PATH [--stripped PATH] [--helper32 PATH]\n",
			argv[0]);
		return 2;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/hw-test-elf-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
