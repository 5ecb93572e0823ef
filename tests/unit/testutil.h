/* testutil.h - whole files in and out, for the unit tests (failures are cmocka failures). */
#ifndef HW_TESTUTIL_H
#define HW_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* The whole of @path (not empty) in a malloc'ed buffer the caller frees; its size in *len. */
uint8_t *tu_slurp(const char *path, size_t *len);

/* @path made to hold exactly @len bytes of @data. */
void tu_spit(const char *path, const void *data, size_t len);

/* The next number of a xorshift64 sequence in *state (never 0): repeatable damage. */
uint64_t tu_rng(uint64_t *state);

#endif
