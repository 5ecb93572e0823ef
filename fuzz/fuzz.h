/*
 * fuzz.h - what the fuzz harnesses share: the libFuzzer entry point every
 * harness defines, a memory file holding the input (the readers under test
 * take paths), the sysroot the core and snapshot harnesses resolve the
 * files a core names in, and the fallback of the walker's mutator.
 */
#ifndef HEAPWALK_FUZZ_H
#define HEAPWALK_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A memfd holding @data (the caller closes it), or -1. */
int hw_fuzz_memfd(const uint8_t *data, size_t size);

struct hw_target;

/*
 * What a command does first with an opened target: a read at both ends of
 * every segment (at most 64), the mapping of every file, pool discovery.
 */
void hw_fuzz_use_target(struct hw_target *t);

/* A structure-aware mutator (libFuzzer calls it; the replay driver does not). */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed);

/* libFuzzer's own mutation of @data, or a flipped byte where libFuzzer is not linked. */
size_t hw_fuzz_mutate(uint8_t *data, size_t size, size_t max_size);

/*
 * A directory standing for the target's root (--sysroot), made once per
 * process in the temporary directory and removed at exit, or NULL: a few
 * real files (a small ELF executable, a copy of it as a module, a file
 * that is no ELF, an empty one), symlinks in it (relative, absolute,
 * pointing out of it, a loop), a directory where a file is expected, and
 * more files than one core may open (usr/lib/many/NNN). Nothing the
 * harnesses read lies outside it.
 */
const char *hw_fuzz_sysroot(void);

/* hw_fuzz_sysroot(), or a directory that does not exist if it could not be made. */
#define HW_FUZZ_SYSROOT() (hw_fuzz_sysroot() ? hw_fuzz_sysroot() : "/nonexistent-heapwalk-fuzz")

#endif
