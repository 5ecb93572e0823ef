/*
 * fuzz.h - what the fuzz harnesses share: the libFuzzer entry point every
 * harness defines, and a memory file holding the input (the readers under
 * test take paths).
 */
#ifndef HEAPWALK_FUZZ_H
#define HEAPWALK_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A memfd holding @data (the caller closes it), or -1. */
int hw_fuzz_memfd(const uint8_t *data, size_t size);

#endif
