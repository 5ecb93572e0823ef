/* helpers.c - shared pieces of the debuginfo tests (see helpers.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"

#include "helpers.h"

char *th_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir = NULL;

	if (!base || !*base)
		base = "/tmp";
	if (asprintf(&dir, "%s/hw-dwarf-test-XXXXXX", base) < 0)
		return NULL;
	if (!mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

void th_rmtree(const char *dir)
{
	if (dir && strstr(dir, "hw-dwarf-test-"))
		th_sh("/bin/rm -rf '%s'", dir);
}

int th_sh(const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	int n, st;

	va_start(ap, fmt);
	n = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	st = system(cmd);
	free(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int th_group_teardown(void **state)
{
	th_rmtree(*state);
	free(*state);
	*state = NULL;
	return 0;
}

char *th_vpath(const char *fmt, va_list ap)
{
	char *p = NULL;

	assert_true(vasprintf(&p, fmt, ap) > 0);
	return p;
}

char *th_path(const char *fmt, ...)
{
	char *p;
	va_list ap;

	va_start(ap, fmt);
	p = th_vpath(fmt, ap);
	va_end(ap);
	return p;
}

bool th_build_inputs(const char *exe, const char *facts, const char *flags)
{
	const char *in = HW_TEST_INPUTS;

	if (th_sh("%s %s -Wall -Wextra -Werror -I'%s' -o '%s' '%s/cu_decl.c' '%s/cu_main.c' "
		  "'%s/cu_def.c' >'%s.log' 2>&1",
		  HW_TEST_CC, flags, in, exe, in, in, in, exe) != 0)
		return false;
#ifdef HW_TEST_RUN32
	/* an i386 program: natively, or under qemu-i386 on a kernel without ia32 */
	if (strstr(flags, "-m32"))
		return th_sh("'%s' '%s' >'%s' 2>>'%s.log'", HW_TEST_RUN32, exe, facts, exe) == 0;
#endif
	return th_sh("'%s' >'%s' 2>>'%s.log'", exe, facts, exe) == 0;
}

bool th_copy(const char *from, const char *to)
{
	return th_sh("cp '%s' '%s'", from, to) == 0;
}

static void check_struct(struct hw_dwarf *dw, const char *type, unsigned long long want)
{
	struct hw_error *err;
	uint64_t size = 0;

	err = hw_dwarf_struct(dw, type, &size, NULL, 0);
	if (err)
		fail_msg("struct %s: %s", type, err->message);
	if (size != want)
		fail_msg("struct %s: size %llu, compiler says %llu", type, (unsigned long long)size,
			 want);
}

static void check_member(struct hw_dwarf *dw, const char *type, const char *path,
			 unsigned long long off, unsigned long long size, unsigned long long count)
{
	struct hw_dwarf_member m = {.name = path};
	struct hw_error *err;

	err = hw_dwarf_struct(dw, type, NULL, &m, 1);
	if (err)
		fail_msg("%s.%s: %s", type, path, err->message);
	if (!m.found)
		fail_msg("%s.%s: not found", type, path);
	if (m.offset != off || m.size != size || m.count != count)
		fail_msg("%s.%s: offset %llu size %llu count %llu; compiler says %llu %llu %llu",
			 type, path, (unsigned long long)m.offset, (unsigned long long)m.size,
			 (unsigned long long)m.count, off, size, count);
}

static void check_variable(struct hw_dwarf *dw, const char *name, unsigned long long want)
{
	struct hw_error *err;
	uint64_t addr = 0;

	err = hw_dwarf_variable(dw, name, &addr);
	if (err)
		fail_msg("variable %s: %s", name, err->message);
	if (addr != want)
		fail_msg("variable %s: address 0x%llx, program says 0x%llx", name,
			 (unsigned long long)addr, want);
}

size_t th_check_facts(struct hw_dwarf *dw, const char *facts)
{
	char line[512], a[128], b[128];
	unsigned long long x, y, z;
	size_t n = 0;
	FILE *f = fopen(facts, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "S %127s %llu", a, &x) == 2) {
			check_struct(dw, a, x);
		} else if (sscanf(line, "M %127s %127s %llu %llu %llu", a, b, &x, &y, &z) == 5) {
			check_member(dw, a, b, x, y, z);
		} else if (sscanf(line, "V %127s %llu", a, &x) == 2) {
			check_variable(dw, a, x);
		} else {
			fclose(f);
			fail_msg("bad fact line: %s", line);
		}
		n++;
	}
	fclose(f);
	return n;
}
