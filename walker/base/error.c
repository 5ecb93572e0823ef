/* error.c - the error object (see include/heapwalk/error.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/error.h"

static struct hw_error nomem_error = {
    .code = HW_ERR_NOMEM,
    .message = "out of memory",
};

struct hw_error *hw_error_nomem(void)
{
	return &nomem_error;
}

static struct hw_error *verror(enum hw_error_code code, int errnum, uint64_t addr, const char *fmt,
			       va_list ap)
{
	struct hw_error *err = calloc(1, sizeof(*err));
	char *msg = NULL;

	if (!err)
		return &nomem_error;
	if (vasprintf(&msg, fmt, ap) < 0) {
		free(err);
		return &nomem_error;
	}
	if (code == HW_ERR_OS) {
		char *full = NULL;
		if (asprintf(&full, "%s: %s", msg, strerror(errnum)) < 0) {
			free(msg);
			free(err);
			return &nomem_error;
		}
		free(msg);
		msg = full;
	}
	err->code = code;
	err->errnum = errnum;
	err->addr = addr;
	err->message = msg;
	return err;
}

struct hw_error *hw_error_create(enum hw_error_code code, const char *fmt, ...)
{
	va_list ap;
	struct hw_error *err;

	va_start(ap, fmt);
	err = verror(code, 0, 0, fmt, ap);
	va_end(ap);
	return err;
}

struct hw_error *hw_error_os(int errnum, const char *fmt, ...)
{
	va_list ap;
	struct hw_error *err;

	va_start(ap, fmt);
	err = verror(HW_ERR_OS, errnum, 0, fmt, ap);
	va_end(ap);
	return err;
}

struct hw_error *hw_error_fault(uint64_t addr, const char *fmt, ...)
{
	va_list ap;
	struct hw_error *err;

	va_start(ap, fmt);
	err = verror(HW_ERR_FAULT, 0, addr, fmt, ap);
	va_end(ap);
	return err;
}

struct hw_error *hw_error_context(struct hw_error *err, const char *fmt, ...)
{
	va_list ap;
	char *ctx = NULL, *full = NULL;

	if (!err || err == &nomem_error)
		return err;
	va_start(ap, fmt);
	if (vasprintf(&ctx, fmt, ap) < 0)
		ctx = NULL;
	va_end(ap);
	if (!ctx)
		return err;
	if (asprintf(&full, "%s: %s", ctx, err->message) >= 0) {
		free(err->message);
		err->message = full;
	}
	free(ctx);
	return err;
}

void hw_error_destroy(struct hw_error *err)
{
	if (!err || err == &nomem_error)
		return;
	free(err->message);
	free(err);
}

char *hw_error_steal_message(struct hw_error *err)
{
	char *msg;

	if (!err)
		return NULL;
	if (err == &nomem_error)
		return strdup(err->message);
	msg = err->message;
	free(err);
	return msg;
}
