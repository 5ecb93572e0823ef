/*
 * fuzz_core.c - fuzz harness: the ELF core reader (hw_target_open_core)
 * over arbitrary bytes, the files it names resolved in the harnesses'
 * sysroot (real files, symlinks, aliases: see hw_fuzz_sysroot).
 */
#include <stdio.h>
#include <unistd.h>

#include "heapwalk/error.h"
#include "heapwalk/target.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct hw_target_opts opts = {
	    .core_path = path,
	    /* nothing outside it is opened */
	    .sysroot = HW_FUZZ_SYSROOT(),
	    .max_core_size = 16u << 20,
	};
	struct hw_target *t = NULL;
	struct hw_error *err;
	int fd = hw_fuzz_memfd(data, size);

	if (fd < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = hw_target_open_core(&opts, &t);
	if (!err) {
		hw_fuzz_use_target(t);
		hw_target_destroy(t);
	}
	hw_error_destroy(err);
	close(fd);
	return 0;
}
