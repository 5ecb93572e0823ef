/* helpers.h - shared pieces of the debuginfo tests: temp dirs, building the inputs, fact files. */
#ifndef DEBUGINFO_TEST_HELPERS_H
#define DEBUGINFO_TEST_HELPERS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct hw_dwarf;

/* A fresh temporary directory (caller frees; th_rmtree removes it). */
char *th_tmpdir(void);
void th_rmtree(const char *dir);

/*
 * A cmocka group teardown for a group whose setup put its th_tmpdir() in
 * *state: removes and frees it.
 */
int th_group_teardown(void **state);

/* A path (or any string) built from @fmt, asserted; the caller frees it. */
char *th_path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *th_vpath(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Run a shell command built from @fmt; returns its exit status (-1 if it did not exit). */
int th_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Compile the inputs (inputs/cu_decl.c, cu_main.c, cu_def.c, in that link
 * order) with @flags into @exe, run it and store its facts in @facts.
 * Returns false if compiling, linking or running failed.
 */
bool th_build_inputs(const char *exe, const char *facts, const char *flags);

/*
 * Check every fact of @facts against @dw with cmocka assertions; returns
 * the number of facts checked.
 */
size_t th_check_facts(struct hw_dwarf *dw, const char *facts);

/* Copy a file; false on failure. */
bool th_copy(const char *from, const char *to);

#endif
