/*
 * error.h - the one error object of heapwalk.
 *
 * Every fallible function returns a struct hw_error *: NULL means success,
 * anything else is a heap-allocated error the caller owns and must pass to
 * hw_error_destroy() (or return upward). Results travel through trailing
 * *ret parameters, written only on success.
 *
 * This is not for findings about a damaged heap: those are data (see
 * check.h). An error means heapwalk could not do what was asked.
 */
#ifndef HEAPWALK_ERROR_H
#define HEAPWALK_ERROR_H

#include <stdint.h>

enum hw_error_code {
	HW_ERR_NOMEM = 1,    /* out of memory (heapwalk's own) */
	HW_ERR_OS,	     /* a system call failed; errnum holds errno */
	HW_ERR_FAULT,	     /* a target address could not be read; addr holds it */
	HW_ERR_BAD_DATA,     /* the input file or target memory is malformed */
	HW_ERR_LOOKUP,	     /* a symbol, type or member was not found */
	HW_ERR_NO_DEBUGINFO, /* no DWARF could be found */
	HW_ERR_ELF,	     /* libelf reported an error */
	HW_ERR_DWARF,	     /* libdwarf reported an error */
	HW_ERR_INVALID_ARG,  /* the caller (ultimately the user) asked for nonsense */
	HW_ERR_UNSUPPORTED,  /* valid, but heapwalk does not handle it */
};

struct hw_error {
	enum hw_error_code code;
	int errnum;    /* HW_ERR_OS: errno */
	uint64_t addr; /* HW_ERR_FAULT: the first unreadable address */
	char *message; /* full text, with context prefixes; never NULL */
};

/*
 * Create an error. Never returns NULL: when memory is exhausted a static
 * out-of-memory error is returned, which hw_error_destroy() ignores.
 */
struct hw_error *hw_error_create(enum hw_error_code code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* HW_ERR_OS with errno @errnum; strerror(errnum) is appended: "<msg>: <strerror>". */
struct hw_error *hw_error_os(int errnum, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* HW_ERR_FAULT at @addr. */
struct hw_error *hw_error_fault(uint64_t addr, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The static out-of-memory error. */
struct hw_error *hw_error_nomem(void);

/*
 * Prepend context: message becomes "<context>: <old message>". Returns @err
 * (so: return hw_error_context(err, "reading %s", path);). NULL passes through.
 */
struct hw_error *hw_error_context(struct hw_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Take the message (caller frees) and destroy the error; NULL on out of memory. */
char *hw_error_steal_message(struct hw_error *err);

/* Accepts NULL and the static nomem error. */
void hw_error_destroy(struct hw_error *err);

#endif
